/* The container's mount plan, run by the child in its new mount namespace:
 * the rootfs made a mount point, proc, sysfs (read-only), /dev (devices.c),
 * user mounts with every target resolved inside the rootfs, pivot_root. */
#pragma once

#include "cgroup.h"
#include "config.h"
#include "error.h"

struct lxm_rootfs_spec {
	const char *rootfs;              /* absolute host path */
	const struct lxm_mount *mounts;  /* user mounts, targets inside the rootfs */
	size_t n_mounts;
	const char *container_dir;       /* relative mount sources are below it */
	/* a snapshot (lxm-copy -s): an overlay is mounted at rootfs instead
	 * of the bind; absolute paths, NULL for a plain rootfs */
	const char *overlay_lower;
	const char *overlay_upper;
	const char *overlay_work;
	int overlay_fds[3];              /* with have_fds: O_PATH fds of lower, upper
					  * and work (tree_fd, when set, is the lower) */
	bool have_fds;                   /* rootfs_fd and tree_fd below are set */
	int rootfs_fd;                   /* O_PATH fd of the rootfs in the child's mount
					  * namespace (opened before the user namespace
					  * took host root's access away) */
	int tree_fd;                     /* idmapped detached mount of the rootfs
					  * (open_tree + mount_setattr by the monitor), or -1 */
	bool readonly;                   /* the rootfs mount read-only: the base of
					  * snapshots (overlayfs lower layer) */
	const struct lxm_cgroup_hierarchy *cgroups;   /* the container's own cgroup view */
	size_t n_cgroups;
};

/* Open path inside the root dirfd: symlinks resolve inside the root, magic
 * links are refused. Returns an O_PATH fd. */
int lxm_rootfs_open_in_root(int rootfd, const char *path, int flags);
/* mkdir -p inside the root, every component resolved inside it. */
int lxm_rootfs_mkdir_in_root(int rootfd, const char *path, mode_t mode);

/* Mount everything before pivot_root; returns an O_PATH fd of the rootfs. */
int lxm_rootfs_prepare(const struct lxm_rootfs_spec *spec, int *ret_rootfd, struct lxm_error *err);
/* The config's mounts, in order, each target resolved inside the rootfs. */
int lxm_rootfs_mount_user(int rootfd, const struct lxm_rootfs_spec *spec, struct lxm_error *err);
/* pivot_root into rootfd's directory and detach the old root. */
int lxm_rootfs_pivot(int rootfd, struct lxm_error *err);
/* After pivot_root: read-only /proc/sys (but a writable /proc/sys/net with
 * own_netns, a network namespace of the container's own); /proc/sysrq-trigger,
 * kcore, keys, timer_list and sched_debug masked by a read-only empty file. */
int lxm_rootfs_finish(bool own_netns, struct lxm_error *err);
/* After pivot_root, with security.nesting: an unobstructed proc and sysfs
 * at /dev/.lxm/proc and /dev/.lxm/sys, so that containers inside may mount
 * their own. */
int lxm_rootfs_nesting(struct lxm_error *err);

enum lxm_mount_create {
	LXM_MOUNT_CREATE_AUTO, /* a directory, or a file for a bind of a non-directory */
	LXM_MOUNT_CREATE_DIR,  /* create=dir */
	LXM_MOUNT_CREATE_FILE, /* create=file */
};

struct lxm_mount_opts {
	unsigned long flags; /* MS_* */
	bool bind;           /* bind or rbind */
	bool optional;       /* a missing source is skipped */
	enum lxm_mount_create create;
	char *data;          /* what is left for the filesystem, or NULL; caller frees */
};

/* Parse "bind,ro,nosuid,create=dir" into flags, lxm's own options and the
 * leftover filesystem data (pure); -EINVAL for a create= that is neither
 * dir nor file. */
int lxm_mount_options_parse(const char *opts, struct lxm_mount_opts *ret);
/* Whether a path, once made absolute and normalized, stays inside "/" (pure). */
bool lxm_path_is_safe_relative(const char *path);
