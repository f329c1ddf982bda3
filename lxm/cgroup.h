/* One cgroup per container, on cgroup v1 (each controller its own
 * hierarchy, plus the v2 hierarchy at .../unified on hybrid hosts) and on a
 * pure cgroup v2 host. The container's cgroup is "<root>/lxm/<name>" in every
 * hierarchy. */
#pragma once

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
};

struct lxm_cgroup_stats {
	uint64_t memory_bytes;    /* current usage */
	uint64_t cpu_ns;          /* total CPU time */
	uint64_t pids;            /* tasks now */
	bool has_memory, has_cpu, has_pids;
};

struct lxm_cgroup;

/* What the host mounts (reads /proc/self/mountinfo; LXM_CGROUP_MOUNTINFO
 * overrides the file for tests). */
int lxm_cgroup_detect(enum lxm_cgroup_layout *ret, struct lxm_error *err);
const char *lxm_cgroup_layout_to_string(enum lxm_cgroup_layout l);

/* Create "lxm/<name>" in every hierarchy and apply the limits. A leftover
 * empty cgroup of the same name (from a crash) is reused; one with tasks in
 * it is an error (EBUSY). */
int lxm_cgroup_create(const char *name, const struct lxm_cgroup_limits *limits,
		      struct lxm_cgroup **ret, struct lxm_error *err);
/* Open the existing cgroups of a container (for stop/info/freeze). ENOENT
 * when there is none. */
int lxm_cgroup_open(const char *name, struct lxm_cgroup **ret, struct lxm_error *err);
void lxm_cgroup_free(struct lxm_cgroup *cg);

/* O_PATH|O_DIRECTORY fd of the v2 cgroup for clone3(CLONE_INTO_CGROUP), or -1
 * when there is no v2 hierarchy. Owned by cg. */
int lxm_cgroup_v2_fd(const struct lxm_cgroup *cg);
/* Move pid into every v1 hierarchy (and into v2 too unless skip_v2, used
 * when clone3 already put it there). */
int lxm_cgroup_attach(const struct lxm_cgroup *cg, pid_t pid, bool skip_v2, struct lxm_error *err);
/* Whether attach has anything to do for v1 hierarchies. */
bool lxm_cgroup_has_v1(const struct lxm_cgroup *cg);

/* Kill whatever is left (cgroup.kill on v2, else SIGKILL to every pid until
 * empty) and rmdir the container's cgroup in every hierarchy. */
int lxm_cgroup_destroy(struct lxm_cgroup *cg, struct lxm_error *err);

int lxm_cgroup_freeze(const struct lxm_cgroup *cg, bool freeze, struct lxm_error *err);
int lxm_cgroup_is_frozen(const struct lxm_cgroup *cg, bool *ret);
int lxm_cgroup_stats(const struct lxm_cgroup *cg, struct lxm_cgroup_stats *ret);
