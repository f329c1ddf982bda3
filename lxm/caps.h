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
/* The same drops for a mask of the capabilities to keep (~0: none). */
int lxm_caps_apply_mask(uint64_t mask, struct lxm_error *err);

/* Capability number for "sys_admin" or "CAP_SYS_ADMIN" (any case), up to
 * checkpoint_restore (40); -EINVAL when unknown. The config stores the
 * canonical lower-case name without "cap_". */
int lxm_cap_from_name(const char *name);
/* "sys_admin" for 21; NULL when unknown. */
const char *lxm_cap_to_name(int cap);
