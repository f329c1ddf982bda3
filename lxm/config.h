/* The container configuration (libconfig) as one typed struct.
 *
 * One table in config.c lists every key with its parser and its place in the
 * struct; the reader, the validator and the writer all use that table. */
#pragma once

#include <net/if.h>
#include <sys/types.h>

#include "error.h"

#define LXM_NAME_MAX 64          /* container name length limit */
#define LXM_UUID_STR_LEN 37      /* 36 chars + NUL */
#define LXM_HWADDR_STR_LEN 18    /* "00:16:3e:xx:xx:xx" + NUL */
#define LXM_STOP_TIMEOUT_MAX 86400   /* init.stop_timeout: a day (in ms it fits an int) */

enum lxm_net_type {
	LXM_NET_VETH,
	LXM_NET_MACVLAN,
	LXM_NET_PHYS,
	LXM_NET_EMPTY,
	LXM_NET_NONE,
	LXM_NET_MAX,
};

struct lxm_idmap {
	char type;                   /* 'u' or 'g' */
	uint32_t container;
	uint32_t host;
	uint32_t count;
};

struct lxm_nic {
	enum lxm_net_type type;
	char link[IFNAMSIZ];         /* bridge (veth), parent (macvlan), device (phys) */
	char name[IFNAMSIZ];         /* name inside, default eth<N> */
	char hwaddr[LXM_HWADDR_STR_LEN]; /* empty: derived from uuid + index */
	uint32_t mtu;                /* 0: kernel default */
	char **ipv4;                 /* "10.0.3.10/24" */
	size_t n_ipv4;
	char *ipv4_gateway;
	char **ipv6;
	size_t n_ipv6;
	char *ipv6_gateway;
};

struct lxm_mount {
	char *source;
	char *target;                /* inside the rootfs */
	char *options;               /* "bind,ro", ... */
	char *fstype;                /* NULL for bind mounts */
};

/* A device the container may use (as lxc.cgroup.devices.allow), with an
 * optional node made for it in the container's /dev. */
struct lxm_device {
	char type;                   /* 'c' or 'b' */
	int32_t major;               /* -1: any ("*") */
	int32_t minor;               /* -1: any ("*") */
	char *access;                /* "rwm" or a part of it; NULL: "rwm" */
	char *path;                  /* "/dev/net/tun"; NULL: no node */
};

struct lxm_config {
	char *name;
	char uuid[LXM_UUID_STR_LEN];
	char *hostname;

	char *rootfs_path;           /* relative to the container dir, or absolute */
	char *rootfs_idmapped;       /* "auto" (NULL), "mount" or "shift": how an
				      * unprivileged container's rootfs gets its owners */
	/* A snapshot (lxm-copy -s): the rootfs is an overlay mounted at
	 * rootfs_path, lower = the base's rootfs (absolute), upper and work
	 * relative to the container dir (or absolute). NULL: a plain rootfs. */
	char *rootfs_overlay_lower;
	char *rootfs_overlay_upper;
	char *rootfs_overlay_work;

	char **init_cmd;             /* NULL-terminated */
	size_t n_init_cmd;
	int halt_signal;             /* signal number */
	int reboot_signal;           /* signal number */
	uint32_t stop_timeout;       /* seconds */

	struct lxm_idmap *idmaps;
	size_t n_idmaps;

	struct lxm_nic *nics;
	size_t n_nics;

	struct {
		uint32_t ttys;
		char *log;                   /* relative to the container dir; NULL: none */
		uint64_t buffer;             /* ring buffer bytes */
		uint64_t log_size;           /* rotate console.log beyond this many bytes */
	} console;

	struct {
		uint64_t memory;             /* bytes, 0: unlimited */
		uint64_t memory_swap;        /* memory + swap, bytes, 0: unset; needs memory */
		uint64_t pids;               /* 0: unlimited */
		uint32_t cpu_weight;         /* 1-10000, 0: unset */
		char *cpuset;                /* NULL: unset */
		uint32_t io_weight;          /* 1-10000 (v2 io.weight scale), 0: unset */
	} limits;

	struct {
		char *apparmor;              /* "generated", "unconfined", a profile */
		char *seccomp;               /* "default", "none", a policy path */
		char **cap_drop;
		size_t n_cap_drop;
		char **cap_keep;
		size_t n_cap_keep;
		bool no_new_privs;
		bool nesting;
	} security;

	struct lxm_mount *mounts;
	size_t n_mounts;

	struct lxm_device *devices;
	size_t n_devices;

	struct {
		bool enabled;
		uint32_t delay;
		int32_t order;
		char **groups;
		size_t n_groups;
	} autostart;

	/* where each setting read came from, for errors found after the
	 * reading (lxm_config_validate): "net[1]" -> -f FILE, line 3 */
	struct lxm_config_origin {
		char *key;
		const char *label;       /* one of labels */
		unsigned line;
	} *origins;
	size_t n_origins;
	char **labels;
	size_t n_labels;
};

/* Fill conf with built-in defaults (no name, no rootfs). */
int lxm_config_init(struct lxm_config *conf);
void lxm_config_free(struct lxm_config *conf);
/* The absolute path of the rootfs: rootfs.path, relative to the container's
 * directory dir unless absolute. NULL without memory. */
char *lxm_config_rootfs_path(const struct lxm_config *conf, const char *dir);

/* Read a config file over what conf already holds (so default.conf then the
 * container's config): a key that is present replaces the value (an array or
 * a list entirely), a key that is absent keeps it. A non-empty cap_keep
 * clears an inherited cap_drop and the other way round. Errors (-EINVAL):
 * "FILE:LINE: key: what is wrong"; on error conf may be partly updated but
 * is still safe to free. @include is rejected. */
int lxm_config_read_file(struct lxm_config *conf, const char *path, struct lxm_error *err);
int lxm_config_read_string(struct lxm_config *conf, const char *text, const char *label,
			   struct lxm_error *err);
/* Set one key as "lxm-start -s KEY=VALUE" does: ("limits.memory", "512M"),
 * ("init.cmd", "[\"/bin/sh\"]"). VALUE is a libconfig literal (number,
 * true/false, "string", [array]) or else taken as a string. Keys inside the
 * lists (net, idmap, mounts) cannot be set this way. Errors as above, with
 * "command line" as the file. */
int lxm_config_set(struct lxm_config *conf, const char *key, const char *value, struct lxm_error *err);
/* lxm-cgroup's values: set limits.NAME ("memory", "pids", ...) from a bare
 * VALUE ("512M", "100", "0-1") with the config file's own parser and
 * checks. Errors (-EINVAL): "NAME: what is wrong"; an unknown NAME is
 * -ENOENT. */
int lxm_config_set_limit(struct lxm_config *conf, const char *name, const char *value, struct lxm_error *err);
/* The value of KEY ("limits.memory") as the writer writes it (a libconfig
 * literal, "\"512M\""); 0 with *ret NULL when the writer leaves it out. */
int lxm_config_format_key(const struct lxm_config *conf, const char *key, char **ret);
/* Change one "group.key" (or top-level "key") in config TEXT, keeping every
 * other line and comment: replace its value with VALUE (a libconfig
 * literal), add it to the group (the group to the end) when missing, or
 * remove it when VALUE is NULL. Pure text work; the caller reads the
 * result back to check it. -EINVAL when the text cannot be followed. */
int lxm_config_edit_text(const char *text, const char *key, const char *value, char **ret);
/* The hostname a container gets when its config names none: its name,
 * made a valid hostname ('_' becomes '-', empty labels and the '-' at a
 * label's ends dropped, labels cut to 63 characters), so that "web_1" is
 * "web-1". -EINVAL when nothing of the name is left ("_"). */
int lxm_config_default_hostname(const char *name, char **ret);
/* Checks across keys (init present, rootfs present, idmaps complete, ...). */
int lxm_config_validate(const struct lxm_config *conf, const char *label, struct lxm_error *err);
/* lxm_config_init(), lxm_config_read_file() and lxm_config_validate() of
 * one file: a whole config from path alone. */
int lxm_config_load(struct lxm_config *conf, const char *path, struct lxm_error *err);

/* Serialize to libconfig text that reads back (over lxm_config_init()) to an
 * equal struct; write atomically (tmp, fsync, rename), mode 0640. */
int lxm_config_format(const struct lxm_config *conf, char **ret);
int lxm_config_write(const struct lxm_config *conf, const char *path, struct lxm_error *err);
/* The same without fsync, for the runtime copy in /run: it does not
 * outlive a reboot, readers only need the rename's atomicity. */
int lxm_config_write_runtime(const struct lxm_config *conf, const char *path, struct lxm_error *err);

/* Pure helpers (unit-tested). */
int lxm_parse_size(const char *s, uint64_t *ret);
int lxm_signal_from_name(const char *s);          /* -EINVAL when unknown */
const char *lxm_signal_to_name(int sig, char *buf, size_t size);
int lxm_uuid_generate(char out[LXM_UUID_STR_LEN]);
/* A locally administered MAC in the 00:16:3e Xen OUI space, stable for
 * (uuid, index). */
int lxm_mac_from_uuid(const char *uuid, unsigned index, char out[LXM_HWADDR_STR_LEN]);
const char *lxm_net_type_to_string(enum lxm_net_type t);
/* "veth" -> LXM_NET_VETH; -EINVAL when unknown. */
int lxm_net_type_from_string(const char *s);
