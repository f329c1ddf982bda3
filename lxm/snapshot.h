/* Which containers are snapshot bases. A snapshot (lxm-copy -s) is an
 * overlay whose lower layer is its base's rootfs; overlayfs leaves changes
 * to a lower layer under a mounted overlay undefined, so a base stays
 * read-only while it has snapshots.
 *
 * lxm-copy -s leaves a marker for each snapshot in the base's directory
 * (<base dir>/snapshots/<snapshot name>) before the snapshot can be
 * started, so that a start of the base can tell in O(snapshots) without
 * reading every container's config. lxm-destroy of a snapshot removes its
 * marker; markers are also checked when read: one whose container is
 * gone, or is no overlay over this base any more, is stale and removed.
 * Kept small: the static monitor links it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "state.h"

#define LXM_SNAPSHOTS_DIR "snapshots"

/* Mark NEW as a snapshot of the container whose directory is base_dir. */
int lxm_snapshot_register(const char *base_dir, const char *snapname);
/* Remove that mark (no error when it is not there). */
int lxm_snapshot_unregister(const char *base_dir, const char *snapname);

/* How many live snapshots have base_rootfs (the base's rootfs, absolute) as
 * their lower layer, by the markers in base_dir; stale markers are removed.
 * A marked container that is still being created counts. The first name
 * found goes to ret_first (may be NULL; free it). */
int lxm_snapshot_count(const struct lxm_paths *paths, const char *base_dir, const char *base_rootfs,
		       size_t *ret_n, char **ret_first);

/* lxm-destroy of a base and lxm-copy -s of it, run at once: destroy
 * takes <dir>/destroying (an flock held until it is done), then looks for
 * snapshot marks, then renames the directory away before it removes it;
 * copy marks, then looks for a held destroying lock or a directory gone.
 * One of the two sees the other. A lock left by a crash is not held: not
 * in the way. */
#define LXM_DESTROYING_FILE "destroying"
/* The lock (an fd to keep open), or -errno. */
int lxm_snapshot_destroy_lock(const char *dir);
/* 1: a destroy holds the lock of dir now, or dir is gone; 0: not;
 * -errno: cannot be told. (The probe is a shared lock for an instant: a
 * destroy taking the lock then retries.) */
int lxm_snapshot_being_destroyed(const char *dir);

/* For a start of the container in dir: true when its rootfs must be
 * mounted read-only (it is the base of snapshots, or that cannot be told),
 * with a note for the user in note. */
bool lxm_snapshot_base_readonly(const struct lxm_paths *paths, const char *dir, const char *rootfs, char *note,
				size_t note_len);
