/* Copying a directory tree (a rootfs) and container copies (lxm-copy).
 *
 * The tree copy walks the source with O_NOFOLLOW dirfds and creates every
 * entry with *at() calls in directories it made itself, so nothing in the
 * source can send a write outside the destination. Regular files are
 * reflinked (FICLONE) where the filesystem can, else copied with holes kept
 * (SEEK_DATA/SEEK_HOLE + copy_file_range). Owners, modes, xattrs (ACLs and
 * file capabilities included), times, hardlinks, symlinks, fifos and
 * (when allowed) device nodes are kept. */
#pragma once

#include "archive.h"
#include "config.h"
#include "error.h"
#include "state.h"

struct lxm_copy_opts {
	bool allow_devices;
	/* owners: host ids in src_shift's range are first taken back to
	 * container ids, then dst_shift moves them into the new range */
	struct lxm_idshift src_shift;
	struct lxm_idshift dst_shift;
	/* set by a signal handler: stop at the next entry or chunk (EINTR) */
	const volatile sig_atomic_t *interrupted;
};

struct lxm_copy_stats {
	uint64_t entries;
	uint64_t bytes;
	uint64_t reflinked;            /* files cloned, not copied */
	uint64_t skipped_devices;
	uint64_t clamped_ids;
};

/* Copy the contents of directory srcfd into directory dstfd (which should
 * be empty), and srcfd's own owner, mode and xattrs onto dstfd. */
int lxm_copy_tree(int srcfd, int dstfd, const struct lxm_copy_opts *opts, struct lxm_copy_stats *ret_stats,
		  struct lxm_error *err);

/* The container's id shift when its config maps container root to a host
 * range (unprivileged), else a zero shift. */
void lxm_config_idshift(const struct lxm_config *conf, struct lxm_idshift *ret);

struct lxm_copy_req {
	bool snapshot;                 /* overlayfs over the original's rootfs */
};

/* lxm-copy: NEW from the stopped container NAME, atomically (a partial
 * marker, as lxm-create), with a new uuid, MACs and hostname and autostart
 * off. */
int lxm_container_copy(const struct lxm_paths *paths, const char *name, const char *newname,
		       const struct lxm_copy_req *req, struct lxm_error *err);


/* The guest's own name: /etc/hostname (and its words in /etc/hosts) of the
 * rootfs srcroot, written with newname into dstroot (the same fd: in place;
 * a snapshot's upper dir: new files there with the lower's modes and
 * owners, shifted). Nothing when there is no /etc/hostname. */
int lxm_rootfs_rename_host(int srcroot, int dstroot, const struct lxm_idshift *shift, const char *newname,
			   struct lxm_error *err);
