/* Removing a container directory safely: every step is relative to an open
 * directory fd, symlinks are removed and never followed, and nothing on
 * another mount is entered. */
#pragma once

#include "error.h"

/* Remove the entry `name` (one path component) inside the directory
 * `parentfd` (AT_FDCWD allowed), recursively. A symlink is unlinked, never
 * followed, even as the top. Anything on another mount than `parentfd`
 * (another device or a bind mount) is refused with -EXDEV before it is
 * entered: "'rootfs/proc' is a mount point, refusing to remove it".
 * Directories lacking u+rwx are chmod'ed first; immutable or append-only
 * entries fail with -EPERM and say so. Paths in messages are relative to
 * the top ("removing 'rootfs/etc/passwd': Permission denied"). A missing
 * `name` is success. Uses a bounded number of fds whatever the depth. */
int lxm_remove_tree_at(int parentfd, const char *name, struct lxm_error *err);
/* The same, with the entry `last` of the top directory (a file: a
 * container's config, a create's partial marker) removed after every other
 * entry, so that a removal that fails halfway leaves it. */
int lxm_remove_tree_last_at(int parentfd, const char *name, const char *last, struct lxm_error *err);
/* Remove, best effort, the directories in lxmfd (the lxmpath, for
 * messages) whose names start with prefix and that abandoned() says no
 * command still works in; abandoned() may return in *ret_hold an fd (a
 * lock) that is kept until the removal is done. The entry `last` goes
 * last (NULL: any order). `what` is the kind of command that left them
 * ("create"). */
typedef bool (*lxm_abandoned_fn)(int parentfd, const char *name, int topfd, int *ret_hold);
void lxm_sweep_leftovers(int lxmfd, const char *lxmpath, const char *prefix, lxm_abandoned_fn abandoned,
			 const char *last, const char *what);
