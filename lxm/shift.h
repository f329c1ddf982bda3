/* Shifting a rootfs's ownership on disk from one id map to another (the
 * fallback where idmapped mounts are not available, or forced with
 * rootfs.idmapped = "shift"). The map the files are shifted to is recorded
 * in the container's "rootfs.idmap" file; no file means the identity (files
 * owned as the container sees them, root = 0). */
#pragma once

#include "config.h"
#include "error.h"

/* lchown every entry below rootfs (not crossing mounts) so that host id h,
 * read through `from`, becomes the same container id through `to` (n == 0:
 * identity). Keeps setuid/setgid bits, rewrites the rootid of file
 * capabilities (security.capability) and the ids in POSIX ACLs; hard links
 * are shifted once. Ids that `from` does not map are left alone. */
int lxm_shift_tree(const char *rootfs, const struct lxm_idmap *from, size_t n_from,
		   const struct lxm_idmap *to, size_t n_to, struct lxm_error *err);

/* Bring the rootfs of the container in container_dir to `want` (n == 0:
 * unshifted) if its rootfs.idmap says it is elsewhere, and record it.
 * Returns 1 when it shifted, 0 when nothing had to change. */
int lxm_shift_ensure(const char *container_dir, const char *rootfs, const struct lxm_idmap *want,
		     size_t n_want, struct lxm_error *err);
/* Read the recorded map (n == 0 when there is no rootfs.idmap). */
int lxm_shift_read_state(const char *container_dir, struct lxm_idmap **ret, size_t *ret_n);
