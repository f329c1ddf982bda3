/* What lxm-cgroup does: show and change a container's resource limits, in
 * its running cgroups and in its config.
 *
 * It works on the cgroups directly (found by name, as lxm-stop does when
 * the monitor is gone), not through the monitor: a change needs no help
 * from the monitor, and works the same when it is dead. */
#pragma once

#include "cgroup-limits.h"
#include "state.h"

struct lxm_limit_value {
	char *value;       /* NULL when the host lacks it (no swap accounting, ...) */
	bool is_default;   /* what a cgroup has when nothing is set */
};

/* KEY is a limit name ("memory", see cgroup-limits.h) or a raw cgroup file
 * ("memory.high"). A limit's VALUE is checked by the config parser (sizes,
 * ranges, cross-key rules; "max" lifts memory, memory_swap and pids limits,
 * "" unsets the others), written into the running container's cgroups and
 * its runtime config copy, and, when persist is set, into the container's
 * config file (in place: other keys and comments stay). A stopped container
 * only gets the config change (persist must be set). A raw file is only
 * written in the running container's cgroup. One-line errors start with
 * the key: "memory: invalid size '12X'". */
int lxm_limits_set(const struct lxm_paths *paths, const char *name, const char *key, const char *value,
		   bool persist, struct lxm_error *err);
/* The current value: from the cgroups of a running container (in lxm's
 * units: bytes or "max", weights on lxm's scale), from the config of a
 * stopped one; a raw file only from a running container. */
int lxm_limits_get(const struct lxm_paths *paths, const char *name, const char *key, char **ret,
		   struct lxm_error *err);
/* Every limit of a running container, from its cgroups (ENOENT when it is
 * not running). Free with lxm_limits_values_free(). */
int lxm_limits_get_all(const struct lxm_paths *paths, const char *name, struct lxm_limit_value ret[LXM_LIMIT_MAX],
		       struct lxm_error *err);
void lxm_limits_values_free(struct lxm_limit_value v[LXM_LIMIT_MAX]);
