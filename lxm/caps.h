/* Capability sets of the container's init and of attached processes. */
#pragma once

#include "error.h"

/* Drop caps from the bounding set and from the permitted, effective,
 * inheritable and ambient sets: everything in drop, or, when keep is given,
 * everything not in keep. Names as in the config ("sys_admin"). */
int lxm_caps_apply(char *const *drop, size_t n_drop, char *const *keep, size_t n_keep,
		   struct lxm_error *err);
/* The bounding-set mask that lxm_caps_apply() leaves (pure). */
uint64_t lxm_caps_mask(char *const *drop, size_t n_drop, char *const *keep, size_t n_keep);
