/* Removing a container directory safely: every step is relative to an open
 * directory fd, symlinks are removed and never followed, and nothing on
 * another mount is entered. */
#pragma once

#include "error.h"

/* Remove the entry `name` inside the directory `parentfd`, recursively.
 * Refuses to descend into a directory on another mount (EXDEV) and never
 * follows symlinks. */
int lxm_remove_tree_at(int parentfd, const char *name, struct lxm_error *err);
