/* One cgroup per container, on cgroup v1 (each controller its own
 * hierarchy, plus the v2 hierarchy at .../unified on hybrid hosts) and on a
 * pure cgroup v2 host. The container's cgroup is "<root>/lxm/<name>" in every
 * hierarchy, or "<root>/lxm/<name>-<n>" when that is another container's
 * (see lxm_cgroup_create). */
#pragma once

#include <sys/types.h>

#include "error.h"

enum lxm_cgroup_layout {
	LXM_CGROUP_UNIFIED,  /* pure v2 at /sys/fs/cgroup */
	LXM_CGROUP_HYBRID,   /* v1 controllers + v2 at /sys/fs/cgroup/unified */
	LXM_CGROUP_LEGACY,   /* v1 only */
	LXM_CGROUP_LAYOUT_MAX,
};

struct lxm_cgroup_limits {
	uint64_t memory;          /* bytes, 0: none */
	uint64_t pids;            /* 0: none */
	uint32_t cpu_weight;      /* 1-10000 (v2 scale; v1 cpu.shares = weight*1024/100), 0: none */
	const char *cpuset;       /* "0-1", NULL: none */
	uint64_t memory_swap;     /* memory + swap (v1 memsw; v2 swap.max = this - memory), 0: none */
	uint32_t io_weight;       /* 1-10000 (v2 io.weight scale, see cgroup-limits.h), 0: none */
};

struct lxm_cgroup_stats {
	uint64_t memory_bytes;    /* current usage */
	uint64_t cpu_ns;          /* total CPU time */
	uint64_t pids;            /* tasks now */
	uint64_t io_bytes;        /* block I/O read and written (v2 io.stat) */
	bool has_memory, has_cpu, has_pids, has_io;
};

struct lxm_cgroup;

/* What the host mounts (reads /proc/self/mountinfo; LXM_CGROUP_MOUNTINFO
 * overrides the file for tests). */
int lxm_cgroup_detect(enum lxm_cgroup_layout *ret, struct lxm_error *err);
const char *lxm_cgroup_layout_to_string(enum lxm_cgroup_layout l);

/* Container names are unique only within one lxmpath: two containers of
 * one name in two lxmpaths (with two runtime dirs) can run at once. Each
 * container cgroup is marked with its owner (the xattr
 * LXM_CGROUP_OWNER_XATTR in every hierarchy, LXM_CGROUP_OWNER_XATTR_USER
 * where that cannot be set: a nested lxm): the device and inode of the
 * container's directory, then its path for people,
 * "<dev>:<ino> /var/lib/lxm/web". A container whose "lxm/<name>" belongs to
 * another one takes the first of "lxm/<name>-1", "lxm/<name>-2", ...
 * (up to LXM_CGROUP_LEAF_TRIES) that is free or its own; which one it got
 * is in the state file (struct lxm_runtime's cgroup), and every command
 * that reaches a running container's cgroup takes it from there. */
#define LXM_CGROUP_OWNER_XATTR "trusted.lxm.container"
#define LXM_CGROUP_OWNER_XATTR_USER "user.lxm.container"
#define LXM_CGROUP_OWNER_MAX 512
#define LXM_CGROUP_LEAF_TRIES 100
/* The owner text of the container directory cdir (stat()s it). */
int lxm_cgroup_owner_of(const char *cdir, char *buf, size_t size);
/* The owner text for a directory's device, inode and path; -ENOBUFS
 * when it does not fit. */
int lxm_cgroup_owner_format(uint64_t dev, uint64_t ino, const char *dir, char *buf, size_t size);
/* Whether two owner texts name the same directory (device and inode). */
bool lxm_cgroup_owner_same(const char *a, const char *b);
/* The n-th cgroup name of container name: name itself for 0, else
 * "<name>-<n>"; -ENOBUFS when it does not fit. */
int lxm_cgroup_leaf_name(const char *name, unsigned n, char *buf, size_t size);
/* What is at one cgroup name, in the hierarchy of the owner marks. */
enum lxm_cgroup_claim {
	LXM_CGROUP_FREE,      /* in no hierarchy */
	LXM_CGROUP_OWN,       /* marked as the container's own: a leftover */
	LXM_CGROUP_UNMARKED,  /* no owner mark (an older lxm, a host without
			       * user xattrs on cgroupfs) */
	LXM_CGROUP_OTHER,     /* another container's */
	LXM_CGROUP_CLAIM_MAX,
};
/* The name (its n) a start takes, from the claims of names 0..n-1: its own
 * leftover first (made anew), else the container's name when free or
 * unmarked (as before owner marks: a leftover, which the start removes
 * when empty and refuses when busy), else the first free one. -1 when none
 * is free. */
int lxm_cgroup_pick(const enum lxm_cgroup_claim *claims, size_t n);
/* The cgroup name recorded in a state file ("lxm/<leaf>") as a leaf, or
 * name when recorded is "" (a state file of an older lxm) or unusable. */
const char *lxm_cgroup_recorded_leaf(const char *recorded, const char *name);

/* Create the container's cgroup in every hierarchy and apply the limits.
 * owner (lxm_cgroup_owner_of; NULL: no marks, always "lxm/<name>") picks
 * the name (lxm_cgroup_pick) and is set on it. A leftover empty cgroup of
 * the container (from a crash) is removed and made anew, so nothing of it
 * (limits, sub-cgroups, device programs) stays; one with tasks in it is an
 * error (EBUSY). */
int lxm_cgroup_create(const char *name, const char *owner, const struct lxm_cgroup_limits *limits,
		      struct lxm_cgroup **ret, struct lxm_error *err);
/* Open the cgroup a crashed start of the container (owner) left, with no
 * state file to say which it is: its own marked one, else "lxm/<name>"
 * unless it is marked as another's; ENOENT when there is none. Holds the lock against starts
 * (an unmarked one may be a start's that is about to mark it) until freed:
 * for lxm_cgroup_destroy(). */
int lxm_cgroup_open_own(const char *name, const char *owner, struct lxm_cgroup **ret, struct lxm_error *err);
/* EEXIST when the name is that of a control file of the cgroup filesystem
 * next to where the container's cgroup would be ("cgroup.procs", "tasks",
 * "pids.max"): such a container could never start. For create and copy;
 * 0 when the hierarchies cannot be read (the start finds the clash too). */
int lxm_cgroup_name_check(const char *name, struct lxm_error *err);
/* The device policy: allow exactly these rules (devcg.h), deny the rest:
 * v1 devices.deny/devices.allow where the host has the devices controller,
 * else a BPF device program on the v2 cgroup. Call before anything runs in
 * the cgroup. */
struct lxm_devcg_rule;
int lxm_cgroup_set_devices(const struct lxm_cgroup *cg, const struct lxm_devcg_rule *rules, size_t n_rules,
			   struct lxm_error *err);
/* Open the existing cgroups "lxm/<leaf>" of a container (for
 * stop/info/freeze; leaf: lxm_cgroup_recorded_leaf()). ENOENT when there is
 * none. */
int lxm_cgroup_open(const char *leaf, struct lxm_cgroup **ret, struct lxm_error *err);
/* 0 when cg (lxm_cgroup_open) is marked as owner's or not marked at all;
 * ENOENT when it is marked as another container's: the state file of a
 * monitor killed after it removed the cgroup outlives it, and another
 * container of the name may have taken the name since. */
int lxm_cgroup_check_owner(const struct lxm_cgroup *cg, const char *owner, struct lxm_error *err);
/* The same for joining only (lxm-attach: lxm_cgroup_enter_self,
 * lxm_cgroup_v2_fd, lxm_cgroup_attach): one open per hierarchy (v1's
 * 'tasks', v2's directory) instead of four; not for removing or changing
 * the cgroups. mounts: the state file's
 * lxm_cgroup_format_mounts() lines, or NULL to read mountinfo. */
int lxm_cgroup_open_join(const char *leaf, const char *mounts, struct lxm_cgroup **ret, struct lxm_error *err);
void lxm_cgroup_free(struct lxm_cgroup *cg);
static inline void lxm_cgroup_freep(struct lxm_cgroup **cg)
{
	lxm_cgroup_free(*cg);
}

/* O_PATH|O_DIRECTORY fd of the v2 cgroup for clone3(CLONE_INTO_CGROUP), or -1
 * when there is no v2 hierarchy. Owned by cg. */
int lxm_cgroup_v2_fd(const struct lxm_cgroup *cg);
/* O_PATH|O_DIRECTORY fd (the caller's) of the v2 cgroup that pid is in,
 * when that is the container's cgroup or below it: where the container
 * enabled controllers for its children (systemd's delegation), its own
 * cgroup may hold no process and lxm-attach joins init's instead. */
int lxm_cgroup_v2_open_of(const struct lxm_cgroup *cg, pid_t pid);
/* Move pid into every v1 hierarchy (and into v2 too unless skip_v2, used
 * when clone3 already put it there). */
int lxm_cgroup_attach(const struct lxm_cgroup *cg, pid_t pid, bool skip_v2, struct lxm_error *err);
/* Whether attach has anything to do for v1 hierarchies. */
bool lxm_cgroup_has_v1(const struct lxm_cgroup *cg);
/* The O_PATH fd (owned by cg) of the container's cgroup that holds a
 * controller's files: the v1 hierarchy that has it, else the v2 one when
 * it offers the controller (controller NULL: the v2 one); ret_unified and
 * ret_path (optional) say which. -ENOENT when none has it. */
int lxm_cgroup_controller_fd(const struct lxm_cgroup *cg, const char *controller, bool *ret_unified,
			     const char **ret_path);

/* Kill whatever is left (cgroup.kill on v2, else SIGKILL to every pid until
 * empty) and rmdir the container's cgroup in every hierarchy. */
int lxm_cgroup_destroy(struct lxm_cgroup *cg, struct lxm_error *err);

/* Back to what lxm_cgroup_create() made, for the next init of a reboot:
 * whatever is left is killed, every sub-cgroup the container made (systemd's
 * init.scope, ...) removed, and on v2 the controllers it enabled in its
 * cgroup.subtree_control disabled again ("no internal processes": clone3
 * into a cgroup with domain controllers enabled for children fails with
 * EBUSY). The limits stay, lxm-cgroup's changes included. */
int lxm_cgroup_reset(struct lxm_cgroup *cg, struct lxm_error *err);

int lxm_cgroup_freeze(const struct lxm_cgroup *cg, bool freeze, struct lxm_error *err);
int lxm_cgroup_is_frozen(const struct lxm_cgroup *cg, bool *ret);
int lxm_cgroup_stats(const struct lxm_cgroup *cg, struct lxm_cgroup_stats *ret);

/* --- Additions --- */

/* One mounted hierarchy. */
struct lxm_cgroup_hierarchy {
	char *mountpoint;    /* "/sys/fs/cgroup/memory" */
	char *controllers;   /* v1: "cpu,cpuacct", "memory", "name=systemd"; v2: NULL */
	bool unified;        /* cgroup2 */
	char *path;          /* the container's cgroup, "<mountpoint>/lxm/<name>";
			      * NULL in lxm_cgroup_parse_mountinfo() results */
};

struct lxm_cgroup_mounts {
	enum lxm_cgroup_layout layout;
	size_t n;
	struct lxm_cgroup_hierarchy *h;   /* mountinfo order; v1 hierarchies deduplicated */
};

/* Pure parser of /proc/self/mountinfo text. -ENOENT when no cgroup
 * hierarchy is mounted (garbage input included). */
int lxm_cgroup_parse_mountinfo(const char *text, struct lxm_cgroup_mounts *ret, struct lxm_error *err);
void lxm_cgroup_mounts_done(struct lxm_cgroup_mounts *m);
/* Whether a comma-separated v1 controller list names controller. */
bool lxm_cgroup_hierarchy_has(const struct lxm_cgroup_hierarchy *h, const char *controller);
/* The bytes read and written (rbytes= + wbytes=, every device) of a v2
 * io.stat text; -EINVAL for a malformed number. */
int lxm_cgroup_parse_io_stat(const char *text, uint64_t *ret);
/* v2 cpu.weight (1-10000) to v1 cpu.shares: weight*1024/100, at least 2. */
uint64_t lxm_cgroup_weight_to_shares(uint32_t weight);

/* The hierarchies this container has a cgroup in (for mounting the
 * container's own cgroup view); owned by cg. */
const struct lxm_cgroup_hierarchy *lxm_cgroup_hierarchies(const struct lxm_cgroup *cg, size_t *ret_n);
/* "lxm/<name>" ("lxm/<name>-<n>") */
const char *lxm_cgroup_rel_path(const struct lxm_cgroup *cg);
/* Hierarchies (lxm_cgroup_hierarchies) as mountinfo lines that
 * lxm_cgroup_parse_mountinfo reads back, each shorter than
 * LXM_CGROUP_MOUNT_LINE_MAX, for the state file (lxm-attach then reads no
 * /proc/self/mountinfo): length, -ENOBUFS when one or all do not fit,
 * -EINVAL for what a line cannot carry. */
#define LXM_CGROUP_MOUNT_LINE_MAX 200
int lxm_cgroup_format_mounts(const struct lxm_cgroup_hierarchy *hs, size_t n_hs, char *buf, size_t size);

/* Fast path for the container's child (and an lxm-attach child): move the
 * CALLING, single-threaded process into every v1 hierarchy by writing "0"
 * into each hierarchy's "tasks" file through fds that create/open opened
 * (O_CLOEXEC, held in cg, inherited over clone3). The kernel then migrates
 * just the calling thread and skips the write lock of the global
 * cgroup_threadgroup_rwsem, whose RCU grace period makes a plain
 * cgroup.procs write cost ~7 ms here (see cgroup.c). Works after the caller
 * dropped privileges or entered a user namespace: v1 checks the opener's
 * credentials. Call before any thread is created and before exec. Combine
 * with clone3(CLONE_INTO_CGROUP, lxm_cgroup_v2_fd()) for v2. */
int lxm_cgroup_enter_self(const struct lxm_cgroup *cg, struct lxm_error *err);
