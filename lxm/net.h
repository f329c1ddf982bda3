/* Network links over netlink (libnl-route-3).
 *
 * A start with host links goes: the monitor creates each link with its
 * container end placed straight in the child's network namespace (veth
 * peer / macvlan created there, named, with MAC and MTU, up; a phys device
 * moved in), then adds addresses and routes through a netlink socket made
 * in that namespace (lxm_net_create_links), while the child sets up its
 * rootfs; the child waits for it only before it execs init. On every stop
 * path lxm_net_teardown returns phys devices to the host under their
 * original name; veths go with the container's namespace. */
#pragma once

#include <netinet/in.h>
#include <net/if.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"
#include "state.h"

#define LXM_NET_DEFAULT_BRIDGE "lxmbr0"
#define LXM_NET_ADDRS_MAX 8

/* Bring "lo" up in the calling process's network namespace. */
int lxm_net_loopback_up(struct lxm_error *err);

/* ---- pure helpers (unit-tested) ---- */

/* Candidate `attempt` (0 .. LXM_NET_HOST_IFNAME_TRIES - 1) for the host
 * end of veth `index` of container `name`: 0 is "vlxm<name>-<index>", with
 * the name cut and a hash of the whole name added when that does not fit
 * in IFNAMSIZ (characters not allowed in a link name become '_'); 1 the
 * same with '_' before the index (the name a start takes when the first
 * one is still there: the previous run's host end, which goes with its
 * namespace a few ms after the stop); from 2 on, the cut name with a hash
 * salted by the attempt, for when both are taken (another container's
 * name that hashes alike, or two quick restarts). */
#define LXM_NET_HOST_IFNAME_TRIES 8
int lxm_net_host_ifname(const char *name, unsigned index, unsigned attempt, char out[IFNAMSIZ]);
/* The MAC of that host end, which tells this container's host ends from
 * another's of the same name: fe (locally administered, and above the
 * MACs a bridge takes its own from) and a hash of the name, the uuid (may
 * be NULL) and the index. */
void lxm_net_host_hwaddr(const char *name, const char *uuid, unsigned index, unsigned char out[6]);
/* Whether the config shares the host's network (type "none"), and whether
 * the monitor has links to make for it (veth, macvlan, phys). */
bool lxm_net_shares_host(const struct lxm_config *conf);
bool lxm_net_has_links(const struct lxm_config *conf);

/* The default bridge: "net_bridge" in CONFDIR/lxm.conf, else "lxmbr0".
 * out is always filled. */
void lxm_net_default_bridge(const char *confdir, char out[IFNAMSIZ]);

/* Before anything is started (lxm-start, host side): "none" refused for
 * an unprivileged config; every link present on the host. A missing
 * default bridge is brought up with "lxm-net start" (with a warning);
 * otherwise the error names the interface, the link and the command. */
int lxm_net_check(const struct lxm_config *conf, const char *confdir, struct lxm_error *err);

/* Before the start: a static address of a veth or macvlan link that a
 * running container of the same runtime dir already has on the same link
 * is refused (-EADDRINUSE, the error names both containers). Each address
 * is claimed in <rundir>/.addrs (a symlink "<link>,<address>" -> name), so
 * the check reads one entry per address, however many containers run. */
struct lxm_paths;
int lxm_net_check_conflicts(const struct lxm_config *conf, const struct lxm_paths *paths,
			    struct lxm_error *err);

/* Monitor side: make every link of conf with its container end in the
 * network namespace netns_fd, then, from inside it, lo and every link up,
 * addresses and gateway routes added; the phys devices (index inside,
 * kind, host name) go to phys (LXM_PHYS_MAX entries), their number to
 * *n_phys. On error the
 * caller's lxm_net_teardown() takes back what was made. */
int lxm_net_create_links(const struct lxm_config *conf, int netns_fd, struct lxm_phys_index *phys, size_t *n_phys,
			 struct lxm_error *err);
/* Every stop path: with netns_fd (the container's network namespace, kept
 * alive by that fd; -1 when gone) phys devices go back to the host under
 * their original name (found by their index in phys, and only while of
 * the kind they were moved in as; else by name), and the veths are left
 * to the namespace's release
 * (the caller closes netns_fd: the kernel deletes both ends then, off the
 * stop's critical path); without it, host veth ends that are still there
 * are deleted. Best effort, logs what fails. */
void lxm_net_teardown(const struct lxm_config *conf, int netns_fd, const struct lxm_phys_index *phys, size_t n_phys);

/* The global addresses in the network namespace of pid (read over netlink
 * from inside that namespace; needs CAP_SYS_ADMIN). Nothing for a
 * container that shares the host's network. */
struct lxm_net_addrs {
	size_t n_ipv4, n_ipv6;
	char ipv4[LXM_NET_ADDRS_MAX][INET6_ADDRSTRLEN];
	char ipv6[LXM_NET_ADDRS_MAX][INET6_ADDRSTRLEN];
};
int lxm_net_query_addrs(pid_t pid, struct lxm_net_addrs *ret, struct lxm_error *err);
/* The host ends of the veths of conf in the network namespace of pid, in
 * config order (each found as the peer of the container's end, so the
 * name in use, first or alternate); returns how many (at most max). */
size_t lxm_net_query_host_links(const struct lxm_config *conf, pid_t pid, char links[][IFNAMSIZ], size_t max);
