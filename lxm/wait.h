/* lxm-wait: block until a container is in one of a set of states, woken by
 * what changes its state instead of polling: inotify on the runtime dir
 * (the monitor replaces <rundir>/<name>/state at each change and removes
 * the dir at the stop), a pidfd on init (its exit when the monitor is
 * gone) and the container's directory (a destroy). */
#pragma once

#include "error.h"
#include "state.h"

/* states: a mask of 1 << enum lxm_state. timeout_ms: -1 forever, 0 one
 * look. 0 with the state reached in *ret_state (optional); -ETIMEDOUT
 * with the state it is in; -ENOENT for a container that does not exist,
 * or that was destroyed meanwhile while STOPPED is not wanted (with it,
 * a destroyed container is STOPPED). */
int lxm_container_wait(const struct lxm_paths *paths, const char *name, uint32_t states, int64_t timeout_ms,
		       enum lxm_state *ret_state, struct lxm_error *err);
