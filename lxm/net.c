#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <libconfig.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "log.h"
#include "net.h"
#include "state.h"

static void nl_sock_freep(struct nl_sock **s)
{
	if (*s)
		nl_socket_free(*s);
}

static void rtnl_link_putp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}

static void rtnl_addr_putp(struct rtnl_addr **a)
{
	if (*a)
		rtnl_addr_put(*a);
}

static void rtnl_route_putp(struct rtnl_route **r)
{
	if (*r)
		rtnl_route_put(*r);
}

static void nl_addr_putp(struct nl_addr **a)
{
	if (*a)
		nl_addr_put(*a);
}

static void nl_cache_freep(struct nl_cache **c)
{
	if (*c)
		nl_cache_free(*c);
}

static int nl_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_EXIST: return EEXIST;
	case NLE_OBJ_NOTFOUND: return ENODEV;
	case NLE_NODEV: return ENODEV;
	case NLE_PERM: return EPERM;
	case NLE_BUSY: return EBUSY;
	case NLE_INVAL: return EINVAL;
	case NLE_RANGE: return ERANGE;
	case NLE_NOMEM: return ENOMEM;
	case NLE_NOADDR: return EADDRNOTAVAIL;
	case NLE_OPNOTSUPP: return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
	case NLE_NOACCESS: return EACCES;
	default: return EIO;
	}
}

/* libnl errors are -NLE_*; turn them into an errno and a message here */
static int nl_error(struct lxm_error *err, int nlerr, const char *fmt, ...) _printf_(3, 4);
static int nl_error(struct lxm_error *err, int nlerr, const char *fmt, ...)
{
	char what[LXM_ERROR_MSG_MAX / 2];
	va_list ap;
	int e = nl_to_errno(nlerr);

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (e == EIO)
		return lxm_error_setr(err, EIO, "%s: %s", what, nl_geterror(nlerr));
	return lxm_error_set(err, e, "%s", what);
}

static int route_socket(struct nl_sock **ret, struct lxm_error *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		return lxm_error_set(err, ENOMEM, "allocating netlink socket");
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(sk);
		return nl_error(err, r, "connecting to rtnetlink");
	}
	*ret = sk;
	return 0;
}

static int loopback_up(struct nl_sock *sk, struct lxm_error *err)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *lo = NULL, *change = NULL;
	int r;

	r = rtnl_link_get_kernel(sk, 0, "lo", &lo);
	if (r < 0)
		return nl_error(err, r, "looking up 'lo'");
	change = rtnl_link_alloc();
	if (!change)
		return lxm_error_set(err, ENOMEM, "allocating link");
	rtnl_link_set_flags(change, IFF_UP);
	r = rtnl_link_change(sk, lo, change, 0);
	if (r < 0)
		return nl_error(err, r, "bringing 'lo' up");
	return 0;
}

int lxm_net_loopback_up(struct lxm_error *err)
{
	_cleanup_(nl_sock_freep) struct nl_sock *sk = NULL;
	int r = route_socket(&sk, err);

	if (r < 0)
		return r;
	return loopback_up(sk, err);
}

/* ---- pure helpers ---- */

int lxm_net_host_ifname(const char *name, unsigned index, unsigned attempt, char out[IFNAMSIZ])
{
	static const char prefix[] = "vlxm";
	char suffix[16], clean[LXM_NAME_MAX + 1];
	size_t len, room, i;
	uint32_t h = 2166136261u;

	if (!name || !*name || attempt >= LXM_NET_HOST_IFNAME_TRIES)
		return -EINVAL;
	for (i = 0; name[i] && i < sizeof(clean) - 1; i++) {
		unsigned char c = (unsigned char)name[i];
		clean[i] = (isalnum(c) || c == '-' || c == '_' || c == '.') ? (char)c : '_';
		h = (h ^ c) * 16777619u;
	}
	clean[i] = '\0';
	len = i;
	if (attempt >= 2)
		h = (h ^ attempt) * 16777619u;
	snprintf(suffix, sizeof(suffix), "%c%u", attempt == 1 ? '_' : '-', index);
	if (sizeof(prefix) - 1 + strlen(suffix) + 5 > IFNAMSIZ - 1)
		return -ERANGE;
	room = IFNAMSIZ - 1 - (sizeof(prefix) - 1) - strlen(suffix);
	if (len <= room && attempt < 2) {
		snprintf(out, IFNAMSIZ, "%s%s%s", prefix, clean, suffix);
	} else {
		/* the start of the name and a hash of all of it */
		h ^= h >> 16;
		snprintf(out, IFNAMSIZ, "%s%.*s%04x%s", prefix, (int)(room - 4), clean, h & 0xffff, suffix);
	}
	return 0;
}


void lxm_net_host_hwaddr(const char *name, const char *uuid, unsigned index, unsigned char out[6])
{
	uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a over name, NUL, uuid, NUL, index */
	const char *parts[2] = { name ?: "", uuid ?: "" };

	for (int k = 0; k < 2; k++)
		for (const char *c = parts[k];; c++) {
			h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
			if (!*c)
				break;
		}
	for (int k = 0; k < 4; k++)
		h = (h ^ ((index >> (8 * k)) & 0xff)) * 0x100000001b3ULL;
	h ^= h >> 31;
	out[0] = 0xfe;
	for (int k = 1; k < 6; k++)
		out[k] = (unsigned char)(h >> (8 * (k - 1)));
}

bool lxm_net_shares_host(const struct lxm_config *conf)
{
	for (size_t i = 0; i < conf->n_nics; i++)
		if (conf->nics[i].type == LXM_NET_NONE)
			return true;
	return false;
}

static bool has_link(const struct lxm_nic *nic)
{
	return nic->type == LXM_NET_VETH || nic->type == LXM_NET_MACVLAN || nic->type == LXM_NET_PHYS;
}

bool lxm_net_has_links(const struct lxm_config *conf)
{
	for (size_t i = 0; i < conf->n_nics; i++)
		if (has_link(&conf->nics[i]))
			return true;
	return false;
}

void lxm_net_default_bridge(const char *confdir, char out[IFNAMSIZ])
{
	_cleanup_free_ char *path = NULL;
	config_t cfg;
	const char *s;

	snprintf(out, IFNAMSIZ, "%s", LXM_NET_DEFAULT_BRIDGE);
	if (!confdir)
		return;
	path = lxm_strdup_printf("%s/lxm.conf", confdir);
	if (!path || access(path, F_OK) < 0)
		return;
	config_init(&cfg);
	if (config_read_file(&cfg, path) == CONFIG_TRUE) {
		if (config_lookup_string(&cfg, "net_bridge", &s) == CONFIG_TRUE && *s && strlen(s) < IFNAMSIZ)
			snprintf(out, IFNAMSIZ, "%s", s);
	} else {
		log_warn("'%s':%d: %s, using bridge '%s'", path, config_error_line(&cfg),
			 config_error_text(&cfg), out);
	}
	config_destroy(&cfg);
}

/* ---- host side: checks before the start ---- */

static int run_lxm_net_start(const char *confdir)
{
	const char *cmd = getenv("LXM_NET");
	pid_t pid;
	int status;

	if (!cmd || !*cmd)
		cmd = "lxm-net";
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		if (confdir)
			setenv("LXM_CONFDIR", confdir, 1);
		if (strchr(cmd, '/'))
			execl(cmd, cmd, "start", (char *)NULL);
		else
			execlp(cmd, cmd, "start", (char *)NULL);
		if (!strchr(cmd, '/'))
			execl(LXM_SBINDIR "/lxm-net", "lxm-net", "start", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

int lxm_net_check(const struct lxm_config *conf, const char *confdir, struct lxm_error *err)
{
	char defbr[IFNAMSIZ];
	bool have_default = false;

	for (size_t i = 0; i < conf->n_nics; i++) {
		const struct lxm_nic *nic = &conf->nics[i];
		const char *what = nic->type == LXM_NET_VETH ? "bridge" : "device";

		if (nic->type == LXM_NET_NONE && conf->n_idmaps > 0)
			return lxm_error_setr(err, EPERM, "network: type 'none' (the host's network) needs a "
					      "privileged container, and this one has an idmap");
		if (!has_link(nic))
			continue;
		if (!nic->link[0])
			return lxm_error_setr(err, EINVAL, "network '%s': no link given", nic->name);
		if (if_nametoindex(nic->link) > 0)
			continue;
		if (nic->type == LXM_NET_VETH) {
			if (!have_default) {
				lxm_net_default_bridge(confdir, defbr);
				have_default = true;
			}
			if (streq(nic->link, defbr)) {
				log_warn("bridge '%s' does not exist, starting lxm-net", nic->link);
				/* the bridge, also when another start's lxm-net
				 * made it first and this one failed */
				(void)run_lxm_net_start(confdir);
				if (if_nametoindex(nic->link) > 0)
					continue;
				return lxm_error_setr(err, ENODEV, "network '%s': bridge '%s' does not exist "
						      "and 'lxm-net start' failed to create it", nic->name, nic->link);
			}
		}
		return lxm_error_setr(err, ENODEV, "network '%s': %s '%s' does not exist on the host",
				      nic->name, what, nic->link);
	}
	return 0;
}

/* Whether the container with runtime dir <rundir>/<name> starts or runs:
 * its start or monitor holds the runtime dir's lock (taken before its
 * addresses are claimed), or its init is alive (checked against pid reuse;
 * a monitor killed with SIGKILL holds no lock). */
static bool is_running(const struct lxm_paths *paths, const char *name)
{
	_cleanup_free_ char *state = lxm_runtime_path(paths, name, "state");
	_cleanup_free_ char *lock = lxm_runtime_path(paths, name, "lock");
	struct lxm_runtime rt;

	if (lock && lxm_lock_held_at(AT_FDCWD, lock) != 0)
		return true;   /* held, or cannot tell: never call it stopped */
	if (!state || lxm_runtime_read(state, &rt) < 0)
		return false;
	if (rt.init_pid > 0) {
		int fd = lxm_pidfd_open_checked(rt.init_pid, rt.init_starttime);

		if (fd >= 0)
			close(fd);
		/* without pidfd_open (Linux < 5.3, valgrind) compare /proc */
		return fd >= 0 || (fd == -ENOSYS && lxm_process_matches(rt.init_pid, rt.init_starttime));
	}
	return rt.monitor_pid > 0 && (kill(rt.monitor_pid, 0) == 0 || errno == EPERM);
}

/* A static address of nic that a running container (its effective config,
 * <rundir>/<name>/config) already has on the same link. One that starts
 * and has not written that config yet claimed the address in this start
 * (a start claims after taking its lock): in use too. */
static int check_one_running(const struct lxm_config *conf, const struct lxm_paths *paths,
			     const char *other, const char *cidr, const struct lxm_nic *claimed,
			     struct lxm_error *err)
{
	_cleanup_free_ char *path = lxm_runtime_path(paths, other, "config");
	struct lxm_config oc;
	struct lxm_error ignore = { 0 };
	int r = 0;

	if (!path || !is_running(paths, other))
		return 0;
	if (access(path, R_OK) < 0)
		return lxm_error_setr(err, EADDRINUSE, "network '%s': address '%s' on %s '%s' is already "
				      "claimed by container '%s', which is starting", claimed->name, cidr,
				      claimed->type == LXM_NET_VETH ? "bridge" : "device", claimed->link, other);
	if (lxm_config_init(&oc) < 0)
		return 0;
	if (lxm_config_read_file(&oc, path, &ignore) < 0)
		goto out;
	for (size_t i = 0; i < conf->n_nics && r == 0; i++) {
		const struct lxm_nic *nic = &conf->nics[i];

		if (nic->type != LXM_NET_VETH && nic->type != LXM_NET_MACVLAN)
			continue;
		for (size_t j = 0; j < oc.n_nics && r == 0; j++) {
			const struct lxm_nic *on = &oc.nics[j];

			if (on->type != nic->type || !streq(on->link, nic->link))
				continue;
			for (size_t a = 0; a < nic->n_ipv4 + nic->n_ipv6 && r == 0; a++) {
				const char *mine = a < nic->n_ipv4 ? nic->ipv4[a] : nic->ipv6[a - nic->n_ipv4];

				for (size_t b = 0; b < on->n_ipv4 + on->n_ipv6; b++) {
					const char *theirs = b < on->n_ipv4 ? on->ipv4[b] : on->ipv6[b - on->n_ipv4];

					if (!lxm_same_address(mine, theirs))
						continue;
					r = lxm_error_setr(err, EADDRINUSE, "network '%s': address '%s' on %s '%s' "
							   "is already used by running container '%s' ('%s')",
							   nic->name, mine, nic->type == LXM_NET_VETH ? "bridge" : "device",
							   nic->link, other, on->name);
					break;
				}
			}
		}
	}
out:
	lxm_config_free(&oc);
	return r;
}

/* "<link>,<address>" (the address in canonical form): the claim of a
 * static address on a link, in <rundir>/.addrs */
static int claim_key(const struct lxm_nic *nic, const char *cidr, char *out, size_t n)
{
	unsigned char bin[16];
	char addr[INET6_ADDRSTRLEN];
	unsigned prefix;
	int family;

	if (lxm_parse_cidr(cidr, &family, bin, &prefix) < 0 || !inet_ntop(family, bin, addr, sizeof(addr)))
		return -EINVAL;
	if ((size_t)snprintf(out, n, "%s,%s", nic->link, addr) >= n)
		return -ENAMETOOLONG;
	return 0;
}

/* Claim one static address: a symlink <rundir>/.addrs/<link>,<address>
 * whose target is the container's name, so a start looks at one entry
 * instead of every running container's config (a start costs the same
 * with 100 containers running as with none). An entry is never removed:
 * one whose owner does not run, or runs without that address now, is
 * stale and taken over. */
static int claim_address(int dfd, const struct lxm_config *conf, const struct lxm_paths *paths,
			 const struct lxm_nic *nic, const char *cidr, struct lxm_error *err)
{
	char key[IFNAMSIZ + INET6_ADDRSTRLEN + 2], tmp[sizeof(key) + 24], owner[LXM_NAME_MAX + 1];
	ssize_t len;
	int r;

	if (claim_key(nic, cidr, key, sizeof(key)) < 0)
		return 0;   /* validated before: cannot happen */
	if (symlinkat(conf->name, dfd, key) == 0)
		return 0;
	if (errno != EEXIST)
		return lxm_error_set(err, errno, "claiming address '%s' in '%s/.addrs'", cidr, paths->rundir);
	len = readlinkat(dfd, key, owner, sizeof(owner) - 1);
	if (len > 0) {
		owner[len] = '\0';
		if (streq(owner, conf->name))
			return 0;
		/* its owner's effective config, if it runs */
		r = check_one_running(conf, paths, owner, cidr, nic, err);
		if (r < 0)
			return r;
	}
	/* stale: take it over (rename replaces it atomically) */
	snprintf(tmp, sizeof(tmp), ".%s.%d", key, (int)getpid());
	(void)unlinkat(dfd, tmp, 0);
	if (symlinkat(conf->name, dfd, tmp) < 0 || renameat(dfd, tmp, dfd, key) < 0) {
		r = lxm_error_set(err, errno, "claiming address '%s' in '%s/.addrs'", cidr, paths->rundir);
		(void)unlinkat(dfd, tmp, 0);
		return r;
	}
	return 0;
}

int lxm_net_check_conflicts(const struct lxm_config *conf, const struct lxm_paths *paths,
			    struct lxm_error *err)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dfd = -1;
	bool statics = false;
	int r;

	for (size_t i = 0; i < conf->n_nics; i++)
		statics |= (conf->nics[i].type == LXM_NET_VETH || conf->nics[i].type == LXM_NET_MACVLAN) &&
			   conf->nics[i].n_ipv4 + conf->nics[i].n_ipv6 > 0;
	if (!statics || !paths->rundir || !conf->name)
		return 0;
	dir = lxm_strdup_printf("%s/.addrs", paths->rundir);
	if (!dir)
		return lxm_error_set(err, ENOMEM, "address claims");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT) {
		/* the first start after a boot: /run/lxm may not exist yet */
		r = lxm_mkdir_p(paths->rundir, 0755);
		if (r < 0)
			return lxm_error_set(err, -r, "creating runtime dir '%s'", paths->rundir);
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return lxm_error_set(err, errno, "creating '%s'", dir);
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (dfd < 0)
		return lxm_error_set(err, errno, "opening '%s'", dir);
	/* one start at a time looks at and takes claims (until dfd is
	 * closed): two starts reading each other's claims before either
	 * took one over would both win */
	if (flock(dfd, LOCK_EX) < 0) {
		/* a runtime dir where directories take no flock (NFS): as
		 * before the lock, a race of two starts goes unseen */
		if (errno != EBADF && errno != ENOLCK && errno != EOPNOTSUPP)
			return lxm_error_set(err, errno, "locking '%s'", dir);
		log_debug("'%s' takes no flock: claiming without it", dir);
	}
	for (size_t i = 0; i < conf->n_nics; i++) {
		const struct lxm_nic *nic = &conf->nics[i];

		if (nic->type != LXM_NET_VETH && nic->type != LXM_NET_MACVLAN)
			continue;
		for (size_t a = 0; a < nic->n_ipv4 + nic->n_ipv6; a++) {
			r = claim_address(dfd, conf, paths, nic, a < nic->n_ipv4 ? nic->ipv4[a] : nic->ipv6[a - nic->n_ipv4],
					  err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- monitor side: create the links ---- */

/* A netlink socket in the namespace of nsfd (the caller is single-threaded
 * here: the monitor, or a command). */
static int socket_in_netns(int nsfd, struct nl_sock **ret, struct lxm_error *err)
{
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	if (self < 0)
		return lxm_error_set(err, errno, "opening '/proc/self/ns/net'");
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return lxm_error_set(err, errno, "entering the container's network namespace");
	r = route_socket(ret, err);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* cannot happen for root; never go on in the wrong namespace */
		log_error("returning to the host's network namespace: %s", strerror(errno));
		abort();
	}
	return r;
}

static int set_hwaddr(struct rtnl_link *l, const char *hwaddr, struct lxm_error *err)
{
	_cleanup_(nl_addr_putp) struct nl_addr *a = NULL;
	int r;

	if (!hwaddr[0])
		return 0;
	r = nl_addr_parse(hwaddr, AF_LLC, &a);
	if (r < 0)
		return nl_error(err, r, "hwaddr '%s'", hwaddr);
	rtnl_link_set_addr(l, a);
	return 0;
}

/* l's MAC as "xx:xx:xx:xx:xx:xx" in out, or "" when it has none. */
static void link_mac(struct rtnl_link *l, char out[LXM_HWADDR_STR_LEN])
{
	struct nl_addr *a = rtnl_link_get_addr(l);

	out[0] = '\0';
	if (a && nl_addr_get_len(a) == 6)
		nl_addr2str(a, out, LXM_HWADDR_STR_LEN);
}

/* hwaddr into change unless l has it already: 1 set, 0 the same, <0 error. */
static int set_hwaddr_changed(struct rtnl_link *change, struct rtnl_link *l, const char *hwaddr,
			      struct lxm_error *err)
{
	char cur[LXM_HWADDR_STR_LEN];
	int r;

	link_mac(l, cur);
	if (strcasecmp(cur, hwaddr) == 0)
		return 0;
	r = set_hwaddr(change, hwaddr, err);
	return r < 0 ? r : 1;
}

/* mtu (0: none) and hwaddr ("": none) into change where l differs: 1 set,
 * 0 nothing to change, <0 error. */
static int set_mtu_hwaddr_changed(struct rtnl_link *change, struct rtnl_link *l, unsigned mtu, const char *hwaddr,
				  struct lxm_error *err)
{
	int r = 0;

	if (mtu && mtu != rtnl_link_get_mtu(l)) {
		rtnl_link_set_mtu(change, mtu);
		r = 1;
	}
	if (hwaddr[0]) {
		int h = set_hwaddr_changed(change, l, hwaddr, err);

		if (h < 0)
			return h;
		r |= h;
	}
	return r;
}

static void delete_link(struct nl_sock *sk, const char *name)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *l = rtnl_link_alloc();
	int r;

	if (!l)
		return;
	rtnl_link_set_name(l, name);
	r = rtnl_link_delete(sk, l);
	if (r < 0 && r != -NLE_NODEV && r != -NLE_OBJ_NOTFOUND)
		log_warn("deleting '%s': %s", name, nl_geterror(r));
	else if (r == 0)
		log_debug("deleted '%s'", name);
}

static bool link_exists(const char *name)
{
	return if_nametoindex(name) > 0;
}

/* Whether the link called name is a host end of this container's from an
 * earlier run: a veth with the host end's MAC (lxm_net_host_hwaddr). */
static bool host_end_is_ours(struct nl_sock *sk, const char *name, const unsigned char mac[6])
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
	struct nl_addr *a;
	const char *type;

	if (rtnl_link_get_kernel(sk, 0, name, &l) < 0)
		return false;
	type = rtnl_link_get_type(l);
	a = rtnl_link_get_addr(l);
	return type && streq(type, "veth") && a && nl_addr_get_len(a) == 6 &&
	       memcmp(nl_addr_get_binary_addr(a), mac, 6) == 0;
}

static int create_veth(struct nl_sock *sk, const struct lxm_config *conf, size_t i, int netns_fd,
		       struct lxm_error *err)
{
	const struct lxm_nic *nic = &conf->nics[i];
	_cleanup_(rtnl_link_putp) struct rtnl_link *veth = NULL, *peer = NULL, *br = NULL;
	_cleanup_(nl_addr_putp) struct nl_addr *hostmac = NULL;
	char names[LXM_NET_HOST_IFNAME_TRIES][IFNAMSIZ];
	unsigned char mac[6];
	const char *type;
	int ours = -1;
	uint64_t t0;
	int r;

	for (unsigned k = 0; k < LXM_NET_HOST_IFNAME_TRIES; k++)
		if (lxm_net_host_ifname(conf->name, (unsigned)i, k, names[k]) < 0)
			return lxm_error_set(err, EINVAL, "host interface name");
	lxm_net_host_hwaddr(conf->name, conf->uuid, (unsigned)i, mac);
	r = rtnl_link_get_kernel(sk, 0, nic->link, &br);
	if (r < 0)
		return nl_error(err, r, "bridge '%s'", nic->link);
	type = rtnl_link_get_type(br);
	if (!type || !streq(type, "bridge"))
		return lxm_error_setr(err, EINVAL, "link '%s' is not a bridge", nic->link);
	veth = rtnl_link_veth_alloc();
	hostmac = nl_addr_build(AF_LLC, mac, sizeof(mac));
	if (!veth || !hostmac)
		return lxm_error_set(err, ENOMEM, "allocating veth");
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_addr(veth, hostmac);
	rtnl_link_set_master(veth, rtnl_link_get_ifindex(br));
	rtnl_link_set_flags(veth, IFF_UP);
	if (nic->mtu) {
		rtnl_link_set_mtu(veth, nic->mtu);
		rtnl_link_set_mtu(peer, nic->mtu);
	}
	/* the container end is made in the container's namespace, named,
	 * with its MAC: nothing is moved (that waits for RCU). Not up yet:
	 * a veth end cannot open before the pair is linked (ENOTCONN) */
	rtnl_link_set_name(peer, nic->name);
	r = set_hwaddr(peer, nic->hwaddr, err);
	if (r < 0)
		return r;
	rtnl_link_set_ns_fd(peer, netns_fd);
	t0 = lxm_now_ns();
	/* The first free name. The first two are taken, mostly, by this
	 * container's host ends of the runs before, still going away with
	 * their namespace (the kernel's netns cleanup, after an RCU grace
	 * period: 5-35 ms here): take the next name instead of waiting. A
	 * name can also be another container's whose name hashes alike:
	 * its link is never touched. */
	for (unsigned k = 0; k < LXM_NET_HOST_IFNAME_TRIES; k++) {
		rtnl_link_set_name(veth, names[k]);
		r = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
		if (r == -NLE_EXIST && !link_exists(names[k]))   /* gone meanwhile */
			r = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
		if (r != -NLE_EXIST || !link_exists(names[k]))
			break;   /* made, or failed for another reason (the peer's name inside) */
		if (ours < 0 && host_end_is_ours(sk, names[k], mac))
			ours = (int)k;
		log_debug("host interface '%s' is taken%s", names[k], ours == (int)k ? " by an earlier run" : "");
	}
	if (r == -NLE_EXIST && ours >= 0 && link_exists(names[ours])) {
		/* every name taken, one by an earlier run of this container:
		 * wait for that one to go (1 s at most), then delete it */
		for (int t = 0; t < 1000 && host_end_is_ours(sk, names[ours], mac); t++)
			usleep(1000);
		if (host_end_is_ours(sk, names[ours], mac)) {
			log_warn("host interface '%s' of an earlier run is still there, deleting it", names[ours]);
			delete_link(sk, names[ours]);
		}
		rtnl_link_set_name(veth, names[ours]);
		r = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	}
	if (r == -NLE_EXIST && link_exists(rtnl_link_get_name(veth)))
		return lxm_error_setr(err, EEXIST, "no free name for the host end of the veth on bridge '%s': "
				      "'%s', '%s' and %d more are taken by other containers' links", nic->link,
				      names[0], names[1], LXM_NET_HOST_IFNAME_TRIES - 2);
	if (r < 0)
		return nl_error(err, r, "creating veth '%s' on bridge '%s'", rtnl_link_get_name(veth), nic->link);
	/* slow when the kernel's netns cleanup holds rtnl_lock */
	log_debug("veth '%s' on '%s' made in %.2f ms", rtnl_link_get_name(veth), nic->link,
		  (double)(lxm_now_ns() - t0) / 1e6);
	return 0;
}

static int create_macvlan(struct nl_sock *sk, const struct lxm_nic *nic, int netns_fd, struct lxm_error *err)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *mv = NULL;
	int ifindex = (int)if_nametoindex(nic->link);
	int r;

	if (ifindex <= 0)
		return lxm_error_set(err, ENODEV, "device '%s'", nic->link);
	mv = rtnl_link_macvlan_alloc();
	if (!mv)
		return lxm_error_set(err, ENOMEM, "allocating macvlan");
	rtnl_link_set_link(mv, ifindex);
	rtnl_link_macvlan_set_mode(mv, MACVLAN_MODE_BRIDGE);
	rtnl_link_set_name(mv, nic->name);
	rtnl_link_set_flags(mv, IFF_UP);
	if (nic->mtu)
		rtnl_link_set_mtu(mv, nic->mtu);
	r = set_hwaddr(mv, nic->hwaddr, err);
	if (r < 0)
		return r;
	rtnl_link_set_ns_fd(mv, netns_fd);
	r = rtnl_link_add(sk, mv, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return nl_error(err, r, "creating macvlan on '%s'", nic->link);
	return 0;
}

/* Move a link from the namespace of sk to the one of netns_fd (< 0: stay),
 * named `to` there. */
static int move_dev(struct nl_sock *sk, struct rtnl_link *dev, const char *to, int netns_fd, struct lxm_error *err)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *change = rtnl_link_alloc();
	int r;

	if (!change)
		return lxm_error_set(err, ENOMEM, "allocating link");
	rtnl_link_set_name(change, to);
	if (netns_fd >= 0)
		rtnl_link_set_ns_fd(change, netns_fd);
	r = rtnl_link_change(sk, dev, change, 0);
	if (r < 0)
		return nl_error(err, r, "moving device '%s'", rtnl_link_get_name(dev));
	return 0;
}

/* A phys device back on the host (sk there) gets the MTU and MAC it had
 * there. A request of its own: one refused must not keep the device from
 * its name. */
static int restore_phys_attrs(struct nl_sock *sk, const struct lxm_phys_index *p, struct lxm_error *err)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *dev = NULL, *change = rtnl_link_alloc();
	int r;

	if (!change)
		return lxm_error_set(err, ENOMEM, "allocating link");
	r = rtnl_link_get_kernel(sk, 0, p->link, &dev);
	if (r < 0)
		return nl_error(err, r, "device '%s'", p->link);
	r = set_mtu_hwaddr_changed(change, dev, p->mtu, p->hwaddr, err);
	if (r <= 0)
		return r;
	r = rtnl_link_change(sk, dev, change, 0);
	if (r < 0)
		return nl_error(err, r, "giving '%s' its MTU %u and MAC %s back", p->link, p->mtu,
				p->hwaddr[0] ? p->hwaddr : "-");
	return 0;
}

/* The device named from into netns_fd as to. */
static int move_link(struct nl_sock *sk, const char *from, const char *to, int netns_fd, struct lxm_error *err)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *dev = NULL;
	int r;

	r = rtnl_link_get_kernel(sk, 0, from, &dev);
	if (r < 0)
		return nl_error(err, r, "device '%s'", from);
	return move_dev(sk, dev, to, netns_fd, err);
}

/* The phys device of nic into netns_fd, named nic->name there, and
 * recorded in phys with what return_phys needs: its index inside, its
 * kind, its host name, MTU and MAC. Recorded as soon as it is moved, so
 * that a start failing after it gives it back as it was. */
static int move_phys_in(struct nl_sock *host, struct nl_sock *inside, const struct lxm_nic *nic, int netns_fd,
			struct lxm_phys_index *phys, size_t *n_phys, struct lxm_error *err)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *dev = NULL, *moved = NULL;
	struct lxm_phys_index p = { 0 };
	int r;

	r = rtnl_link_get_kernel(host, 0, nic->link, &dev);
	if (r < 0)
		return nl_error(err, r, "device '%s'", nic->link);
	snprintf(p.kind, sizeof(p.kind), "%s", rtnl_link_get_type(dev) ? rtnl_link_get_type(dev) : "");
	snprintf(p.link, sizeof(p.link), "%s", nic->link);
	p.mtu = rtnl_link_get_mtu(dev);
	link_mac(dev, p.hwaddr);
	r = move_dev(host, dev, nic->name, netns_fd, err);
	if (r < 0)
		return r;
	/* not found: given back by its name (lxm_net_teardown) */
	r = rtnl_link_get_kernel(inside, 0, nic->name, &moved);
	if (r < 0)
		return nl_error(err, r, "looking up '%s'", nic->name);
	p.ifindex = rtnl_link_get_ifindex(moved);
	if (*n_phys == LXM_PHYS_MAX) {
		log_warn("network '%s': more than %d phys devices: '%s' goes back by its name only", nic->name,
			 LXM_PHYS_MAX, nic->link);
		return 0;
	}
	phys[(*n_phys)++] = p;
	return 0;
}

/* A phys device back to the host (hostns) under its host name, found by
 * its index inside: only while it is still of the kind it was moved in
 * as. A container can free an index and give it to a device of its own
 * (a chosen index at creation), but it cannot make a device of a driver
 * (no kind), nor change a device's kind. (See struct lxm_phys_index for
 * what it can still do with two devices of one kind.) */
static int return_phys(struct nl_sock *inside, const struct lxm_phys_index *p, int hostns, struct lxm_error *err)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *dev = NULL;
	const char *kind;
	int r;

	r = rtnl_link_get_kernel(inside, p->ifindex, NULL, &dev);
	if (r < 0)
		return nl_error(err, r, "device index %d", (int)p->ifindex);
	kind = rtnl_link_get_type(dev);
	if (!streq(kind ? kind : "", p->kind))
		return lxm_error_setr(err, EPERM, "device index %d ('%s') is a '%s' device, not the '%s' moved in",
				      (int)p->ifindex, rtnl_link_get_name(dev), kind ? kind : "driver's",
				      p->kind[0] ? p->kind : "driver's");
	{
		_cleanup_(nl_sock_freep) struct nl_sock *host = NULL;

		r = move_dev(inside, dev, p->link, hostns, err);
		if (r == 0)
			r = route_socket(&host, err);
		return r < 0 ? r : restore_phys_attrs(host, p, err);
	}
}

struct reclaim {
	const struct lxm_phys_index *p;
	const char *given;            /* the MAC the config gave it inside, or "" */
	struct rtnl_link *found;      /* a reference: by MAC */
	int matches;
	struct rtnl_link *by_index;   /* a reference: by index, down */
	int index_matches;
};

static void reclaim_match(struct nl_object *obj, void *arg)
{
	struct reclaim *w = arg;
	struct rtnl_link *l = (struct rtnl_link *)obj;
	const char *kind = rtnl_link_get_type(l);
	char mac[LXM_HWADDR_STR_LEN];

	if (!streq(kind ? kind : "", w->p->kind))
		return;
	link_mac(l, mac);
	if (mac[0] && ((w->p->hwaddr[0] && strcasecmp(mac, w->p->hwaddr) == 0) ||
		       (w->given[0] && strcasecmp(mac, w->given) == 0))) {
		if (w->matches++ == 0) {
			nl_object_get(obj);
			w->found = l;
		}
		return;
	}
	/* a MAC the container changed, or none: the index it kept on the way
	 * back (a host device's index is taken by no other), and down as a
	 * device fresh from a namespace is, where one in use is up */
	if (rtnl_link_get_ifindex(l) == w->p->ifindex && !(rtnl_link_get_flags(l) & IFF_UP) &&
	    w->index_matches++ == 0) {
		nl_object_get(obj);
		w->by_index = l;
	}
}

/* A phys device whose container's namespace is gone without the stop
 * holding it (init died while no monitor ran): the kernel gave a device of
 * a driver back to the host under the name it had inside, or "devN" (a
 * virtual one it deleted). Found by its kind and MAC (the host's, or the
 * one the config gave it; by its index where it has none), it gets its
 * name, MTU and MAC back. */
static int reclaim_phys(struct nl_sock *host, const struct lxm_phys_index *p, const struct lxm_config *conf,
			struct lxm_error *err)
{
	_cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
	struct reclaim w = { .p = p, .given = "" };
	int r;

	for (size_t i = 0; conf && i < conf->n_nics; i++)
		if (conf->nics[i].type == LXM_NET_PHYS && streq(conf->nics[i].link, p->link))
			w.given = conf->nics[i].hwaddr;
	/* the kernel tears the namespace down after its last user is gone,
	 * from a work queue: wait for the device (3 s at most) */
	for (int t = 0; t < 300 && !w.matches && !w.index_matches; t++) {
		if (t)
			usleep(10000);
		nl_cache_free(cache);
		cache = NULL;
		r = rtnl_link_alloc_cache(host, AF_UNSPEC, &cache);
		if (r < 0)
			return nl_error(err, r, "listing links");
		nl_cache_foreach(cache, reclaim_match, &w);
	}
	if (!w.matches && w.index_matches == 1) {
		w.found = w.by_index;
		w.by_index = NULL;
		w.matches = 1;
	}
	if (w.by_index)
		rtnl_link_put(w.by_index);
	if (w.matches != 1) {
		if (w.found)
			rtnl_link_put(w.found);
		return lxm_error_setr(err, ENODEV, "its namespace went with init while no monitor ran, and %s",
				      w.matches || w.index_matches > 1
					      ? "more than one host device looks like it: not renamed"
					      : "it was not seen back on the host within 3 s (a virtual device goes "
						"with its namespace; a device of a driver comes back as 'devN' or its "
						"name inside)");
	}
	r = move_dev(host, w.found, p->link, -1, err);
	rtnl_link_put(w.found);
	return r < 0 ? r : restore_phys_attrs(host, p, err);
}

/* ---- inside the container's namespace (through a socket made there) ---- */

static int add_address(struct nl_sock *sk, int ifindex, const char *cidr, struct lxm_error *err)
{
	_cleanup_(rtnl_addr_putp) struct rtnl_addr *a = rtnl_addr_alloc();
	_cleanup_(nl_addr_putp) struct nl_addr *local = NULL, *bcast = NULL;
	unsigned char bin[16];
	unsigned prefix;
	int family, r;

	if (!a)
		return lxm_error_set(err, ENOMEM, "allocating address");
	if (lxm_parse_cidr(cidr, &family, bin, &prefix) < 0)
		return lxm_error_setr(err, EINVAL, "bad address '%s'", cidr);
	local = nl_addr_build(family, bin, family == AF_INET ? 4 : 16);
	if (!local)
		return lxm_error_set(err, ENOMEM, "allocating address");
	nl_addr_set_prefixlen(local, (int)prefix);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, family);
	r = rtnl_addr_set_local(a, local);
	if (r < 0)
		return nl_error(err, r, "address '%s'", cidr);
	if (family == AF_INET && prefix < 31) {
		uint32_t ip, mask = prefix ? htonl(~0u << (32 - prefix)) : 0;

		memcpy(&ip, bin, 4);
		ip |= ~mask;
		bcast = nl_addr_build(AF_INET, &ip, 4);
		if (bcast)
			rtnl_addr_set_broadcast(a, bcast);
	}
	/* a static address is usable at once: no duplicate address
	 * detection (1-2 s in "tentative", when nothing can use it) */
	if (family == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	r = rtnl_addr_add(sk, a, 0);
	if (r < 0)
		return nl_error(err, r, "adding address '%s'", cidr);
	return 0;
}

static int add_default_route(struct nl_sock *sk, int ifindex, const char *gw, int family,
			     struct lxm_error *err)
{
	_cleanup_(rtnl_route_putp) struct rtnl_route *rt = rtnl_route_alloc();
	_cleanup_(nl_addr_putp) struct nl_addr *dst = NULL, *via = NULL;
	struct rtnl_nexthop *nh;
	unsigned char bin[16];
	int r;

	if (!rt)
		return lxm_error_set(err, ENOMEM, "allocating route");
	if (inet_pton(family, gw, bin) != 1)
		return lxm_error_setr(err, EINVAL, "bad gateway '%s'", gw);
	via = nl_addr_build(family, bin, family == AF_INET ? 4 : 16);
	memset(bin, 0, sizeof(bin));
	dst = nl_addr_build(family, bin, family == AF_INET ? 4 : 16);
	nh = rtnl_route_nh_alloc();
	if (!via || !dst || !nh) {
		if (nh)
			rtnl_route_nh_free(nh);
		return lxm_error_set(err, ENOMEM, "allocating route");
	}
	nl_addr_set_prefixlen(dst, 0);
	rtnl_route_set_family(rt, (uint8_t)family);
	rtnl_route_set_dst(rt, dst);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, via);
	/* a gateway outside the interface's subnets is still on this link */
	rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
	rtnl_route_add_nexthop(rt, nh);
	r = rtnl_route_add(sk, rt, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return nl_error(err, r, "adding default route via '%s'", gw);
	return 0;
}

/* Up, MTU and MAC (changed only where they differ: a veth or macvlan is
 * made with MTU and MAC already, a macvlan up), addresses, default routes
 * via gw4 and gw6 (NULL: none). */
static int configure_nic(struct nl_sock *sk, const struct lxm_nic *nic, const char *gw4, const char *gw6,
			 struct lxm_error *err)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL, *change = NULL;
	bool changed = false;
	int ifindex, r;

	r = rtnl_link_get_kernel(sk, 0, nic->name, &l);
	if (r < 0)
		return nl_error(err, r, "looking up '%s'", nic->name);
	ifindex = rtnl_link_get_ifindex(l);
	change = rtnl_link_alloc();
	if (!change)
		return lxm_error_set(err, ENOMEM, "allocating link");
	if (!(rtnl_link_get_flags(l) & IFF_UP)) {
		rtnl_link_set_flags(change, IFF_UP);
		changed = true;
	}
	r = set_mtu_hwaddr_changed(change, l, nic->mtu, nic->hwaddr, err);
	if (r < 0)
		return r;
	changed |= r > 0;
	if (changed) {
		rtnl_link_set_flags(change, IFF_UP);
		r = rtnl_link_change(sk, l, change, 0);
		if (r < 0)
			return nl_error(err, r, "bringing '%s' up", nic->name);
	}
	for (size_t j = 0; j < nic->n_ipv4; j++) {
		r = add_address(sk, ifindex, nic->ipv4[j], err);
		if (r < 0)
			return r;
	}
	for (size_t j = 0; j < nic->n_ipv6; j++) {
		r = add_address(sk, ifindex, nic->ipv6[j], err);
		if (r < 0)
			return r;
	}
	if (gw4) {
		r = add_default_route(sk, ifindex, gw4, AF_INET, err);
		if (r < 0)
			return r;
	}
	if (gw6) {
		r = add_default_route(sk, ifindex, gw6, AF_INET6, err);
		if (r < 0)
			return r;
	}
	return 0;
}

struct addr_walk {
	struct lxm_net_addrs *out;
	int ifindex;                 /* 0: every link's */
};

static void collect_addr(struct nl_object *obj, void *arg)
{
	struct addr_walk *w = arg;
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct nl_addr *local = rtnl_addr_get_local(a);
	int family = rtnl_addr_get_family(a);
	char buf[INET6_ADDRSTRLEN];

	if (!local || rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE ||
	    (w->ifindex && rtnl_addr_get_ifindex(a) != w->ifindex))
		return;
	if (!inet_ntop(family, nl_addr_get_binary_addr(local), buf, sizeof(buf)))
		return;
	if (family == AF_INET && w->out->n_ipv4 < LXM_NET_ADDRS_MAX)
		snprintf(w->out->ipv4[w->out->n_ipv4++], INET6_ADDRSTRLEN, "%s", buf);
	else if (family == AF_INET6 && w->out->n_ipv6 < LXM_NET_ADDRS_MAX)
		snprintf(w->out->ipv6[w->out->n_ipv6++], INET6_ADDRSTRLEN, "%s", buf);
}

/* The global addresses in the namespace of sk, of link ifindex (0: all) */
static int read_addrs(struct nl_sock *sk, int ifindex, struct lxm_net_addrs *out, struct lxm_error *err)
{
	_cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
	struct addr_walk w = { .out = out, .ifindex = ifindex };
	int r;

	memset(out, 0, sizeof(*out));
	r = rtnl_addr_alloc_cache(sk, &cache);
	if (r < 0)
		return nl_error(err, r, "reading addresses");
	nl_cache_foreach(cache, collect_addr, &w);
	return 0;
}

/* For gateways "auto": the global addresses of the bridge link, read
 * through host (a socket in the host's namespace). */
static int bridge_addresses(struct nl_sock *host, const char *link, struct lxm_net_addrs *out,
			    struct lxm_error *err)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *br = NULL;
	int r = rtnl_link_get_kernel(host, 0, link, &br);

	if (r < 0)
		return nl_error(err, r, "bridge '%s'", link);
	r = read_addrs(host, rtnl_link_get_ifindex(br), out, err);
	if (r < 0)
		return lxm_error_prefix(err, "bridge '%s'", link);
	return 0;
}

/* Links made with host (a socket in the host's namespace) into netns_fd,
 * then configured through inside (a socket in netns_fd); the phys devices'
 * indexes there into phys. */
static int make_links(const struct lxm_config *conf, struct nl_sock *host, int netns_fd, struct nl_sock *inside,
		      struct lxm_phys_index *phys, size_t *n_phys, struct lxm_error *err)
{
	size_t i;
	int r;

	for (i = 0; i < conf->n_nics; i++) {
		const struct lxm_nic *nic = &conf->nics[i];

		switch (nic->type) {
		case LXM_NET_VETH:
			r = create_veth(host, conf, i, netns_fd, err);
			break;
		case LXM_NET_MACVLAN:
			r = create_macvlan(host, nic, netns_fd, err);
			break;
		case LXM_NET_PHYS:
			r = move_phys_in(host, inside, nic, netns_fd, phys, n_phys, err);
			break;
		default:
			r = 0;
		}
		if (r < 0)
			return lxm_error_prefix(err, "network '%s'", nic->name);
	}
	r = loopback_up(inside, err);
	if (r < 0)
		return lxm_error_prefix(err, "network 'lo'");
	for (i = 0; i < conf->n_nics; i++) {
		const struct lxm_nic *nic = &conf->nics[i];
		const char *gw4 = nic->ipv4_gateway, *gw6 = nic->ipv6_gateway;
		bool auto4 = gw4 && streq(gw4, "auto"), auto6 = gw6 && streq(gw6, "auto");
		struct lxm_net_addrs br;

		if (!has_link(nic))
			continue;
		/* "auto": the bridge's own first global address */
		if (auto4 || auto6) {
			r = bridge_addresses(host, nic->link, &br, err);
			if (r < 0)
				return lxm_error_prefix(err, "network '%s'", nic->name);
			if ((auto4 && !br.n_ipv4) || (auto6 && !br.n_ipv6))
				return lxm_error_setr(err, EADDRNOTAVAIL,
						      "network '%s': gateway 'auto': bridge '%s' has no %s address",
						      nic->name, nic->link, auto4 && !br.n_ipv4 ? "IPv4" : "global IPv6");
			if (auto4)
				gw4 = br.ipv4[0];
			if (auto6)
				gw6 = br.ipv6[0];
		}
		r = configure_nic(inside, nic, gw4, gw6, err);
		if (r < 0)
			return lxm_error_prefix(err, "network '%s'", nic->name);
	}
	return 0;
}

int lxm_net_create_links(const struct lxm_config *conf, int netns_fd, struct lxm_phys_index *phys, size_t *n_phys,
			 struct lxm_error *err)
{
	_cleanup_(nl_sock_freep) struct nl_sock *sk = NULL, *inside = NULL;
	int r;

	r = route_socket(&sk, err);
	if (r < 0)
		return r;
	r = socket_in_netns(netns_fd, &inside, err);
	if (r < 0)
		return r;
	*n_phys = 0;
	r = make_links(conf, sk, netns_fd, inside, phys, n_phys, err);
	if (r < 0)
		return r;
	log_debug("network links made and configured");
	return 0;
}

/* ---- teardown ---- */

void lxm_net_teardown(const struct lxm_config *conf, int netns_fd, const struct lxm_phys_index *phys, size_t n_phys)
{
	_cleanup_(nl_sock_freep) struct nl_sock *host = NULL, *inside = NULL;
	struct lxm_error err = { 0 };
	char text[LXM_ERROR_MSG_MAX + 64];
	bool has_phys = false;

	if (!n_phys && (!conf || !lxm_net_has_links(conf)))
		return;
	has_phys = n_phys > 0;
	for (size_t i = 0; conf && i < conf->n_nics; i++)
		has_phys |= conf->nics[i].type == LXM_NET_PHYS;
	if (has_phys && netns_fd >= 0) {
		_cleanup_close_ int hostns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

		if (hostns < 0 || socket_in_netns(netns_fd, &inside, &err) < 0) {
			log_warn("returning phys devices: %s", lxm_error_text(&err, text, sizeof(text)));
		} else {
			/* by index where recorded: the container may have
			 * renamed the device, and given its name to another */
			for (size_t k = 0; k < n_phys; k++) {
				lxm_error_clear(&err);
				if (return_phys(inside, &phys[k], hostns, &err) < 0)
					log_warn("returning '%s' to the host: %s", phys[k].link,
						 lxm_error_text(&err, text, sizeof(text)));
				else
					log_debug("returned index %d to the host as '%s'", (int)phys[k].ifindex,
						  phys[k].link);
			}
			for (size_t i = 0; conf && i < conf->n_nics; i++) {
				const struct lxm_nic *nic = &conf->nics[i];
				bool recorded = false;

				if (nic->type != LXM_NET_PHYS)
					continue;
				for (size_t k = 0; k < n_phys; k++)
					recorded |= streq(phys[k].link, nic->link);
				if (recorded)
					continue;
				lxm_error_clear(&err);
				if (move_link(inside, nic->name, nic->link, hostns, &err) < 0)
					log_warn("returning '%s' to the host as '%s': %s", nic->name, nic->link,
						 lxm_error_text(&err, text, sizeof(text)));
				else
					log_debug("returned '%s' to the host as '%s'", nic->name, nic->link);
			}
		}
	}
	/* With the container's namespace in hand, its release (the caller
	 * closes netns_fd once init is gone) deletes both ends of every veth:
	 * the kernel does that after the stop returns, off its critical path
	 * (an explicit delete waits for RCU, ~15 ms a link). A start that
	 * finds the old host end still there takes the next free name
	 * (create_veth). */
	if (netns_fd >= 0 || (!conf && !n_phys))
		return;
	lxm_error_clear(&err);
	if (route_socket(&host, &err) < 0) {
		log_warn("removing host links: %s", lxm_error_text(&err, text, sizeof(text)));
		return;
	}
	for (size_t k = 0; k < n_phys; k++) {
		lxm_error_clear(&err);
		if (reclaim_phys(host, &phys[k], conf, &err) < 0)
			log_warn("returning '%s' to the host: %s", phys[k].link, lxm_error_text(&err, text, sizeof(text)));
		else
			log_debug("'%s' is back on the host", phys[k].link);
	}
	if (!conf)
		return;
	/* only links with this container's host MAC: a name may also be
	 * another container's */
	for (size_t i = 0; i < conf->n_nics; i++) {
		unsigned char mac[6];
		char name[IFNAMSIZ];

		if (conf->nics[i].type != LXM_NET_VETH || !conf->name)
			continue;
		lxm_net_host_hwaddr(conf->name, conf->uuid, (unsigned)i, mac);
		for (unsigned k = 0; k < LXM_NET_HOST_IFNAME_TRIES; k++)
			if (lxm_net_host_ifname(conf->name, (unsigned)i, k, name) == 0 && link_exists(name) &&
			    host_end_is_ours(host, name, mac))
				delete_link(host, name);
	}
}

/* ---- addresses, for lxm-info and lxm-ls ---- */

int lxm_net_query_addrs(pid_t pid, struct lxm_net_addrs *ret, struct lxm_error *err)
{
	_cleanup_(nl_sock_freep) struct nl_sock *sk = NULL;
	_cleanup_close_ int nsfd = -1;
	struct stat a, b;
	char path[64];
	int r;

	memset(ret, 0, sizeof(*ret));
	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return lxm_error_set(err, errno, "opening '%s'", path);
	if (fstat(nsfd, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 && a.st_ino == b.st_ino &&
	    a.st_dev == b.st_dev)
		return 0;   /* the host's network */
	r = socket_in_netns(nsfd, &sk, err);
	if (r < 0)
		return r;
	return read_addrs(sk, 0, ret, err);
}

size_t lxm_net_query_host_links(const struct lxm_config *conf, pid_t pid, char links[][IFNAMSIZ], size_t max)
{
	_cleanup_(nl_sock_freep) struct nl_sock *sk = NULL;
	_cleanup_close_ int nsfd = -1;
	struct lxm_error err = { 0 };
	char path[64];
	size_t n = 0;

	if (pid <= 0 || !lxm_net_has_links(conf))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || socket_in_netns(nsfd, &sk, &err) < 0)
		return 0;
	for (size_t i = 0; i < conf->n_nics && n < max; i++) {
		_cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
		int peer;

		if (conf->nics[i].type != LXM_NET_VETH ||
		    rtnl_link_get_kernel(sk, 0, conf->nics[i].name, &l) < 0)
			continue;
		/* a veth's IFLA_LINK: its peer's index, in the host's namespace */
		peer = rtnl_link_get_link(l);
		if (peer > 0 && if_indextoname((unsigned)peer, links[n]))
			n++;
	}
	return n;
}
