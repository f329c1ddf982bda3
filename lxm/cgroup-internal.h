/* What cgroup.c, cgroup-mountinfo.c and cgroup-lifecycle.c share, and
 * nothing else includes (the other subsystems have cgroup.h): struct
 * lxm_cgroup and the helpers that more than one of them uses. Their other
 * helpers are static. */
#pragma once

#include "cgroup.h"

#define CGROUP_PARENT "lxm"

/* The fds that go with one public struct lxm_cgroup_hierarchy. */
struct cg_fds {
	int root_fd;     /* mount point */
	int lxm_fd;      /* <mount point>/lxm */
	int fd;          /* <mount point>/lxm/<name>, O_PATH */
	int tasks_fd;    /* v1: <...>/tasks, O_WRONLY, for lxm_cgroup_enter_self() */
	bool created;    /* made by this create: removed again when it fails */
};

struct lxm_cgroup {
	char *name;                      /* the leaf: "<name>" or "<name>-<n>" */
	char *rel;                       /* "lxm/<leaf>" */
	char *owner;                     /* the mark it gets, NULL: none */
	int lock_fd;                     /* lock_starts(), -1: not held */
	enum lxm_cgroup_layout layout;
	size_t n;
	struct lxm_cgroup_hierarchy *h;
	struct cg_fds *f;
	bool destroyed;
};

/* cgroup-mountinfo.c */
void cg_hierarchy_done(struct lxm_cgroup_hierarchy *h);
int cg_load_mounts(struct lxm_cgroup_mounts *ret, struct lxm_error *err);

/* cgroup.c */
bool cg_list_has(const char *list, const char *word);
void cg_sleep_ns(uint64_t ns);
int cg_read_trimmed_at(int dirfd, const char *file, char **ret);
int cg_write_str_at(int dirfd, const char *file, const char *s);
int cg_read_keyed_at(int dirfd, const char *file, const char *key, uint64_t *ret);
int cg_open_dir_at(int dirfd, const char *name, int flags);
int cg_check_name(const char *name, struct lxm_error *err);
int cg_set_leaf(struct lxm_cgroup *cg, const char *leaf, struct lxm_error *err);
int cg_new(const char *name, const char *mounts, struct lxm_cgroup **ret, struct lxm_error *err);
void cg_compact(struct lxm_cgroup *cg);
ssize_t cg_find_v1(const struct lxm_cgroup *cg, const char *controller);
ssize_t cg_find_v2(const struct lxm_cgroup *cg);
