/* lxm-start: load and check, claim the runtime dir, fork the monitor and wait
 * until the container runs or the start fails. */
#pragma once

#include "state.h"

struct lxm_start_opts {
	bool foreground;            /* -F: the caller becomes the monitor, console on the terminal */
	const char *conf_file;      /* -f: an alternate config file */
	char **overrides;           /* -s KEY=VALUE */
	size_t n_overrides;
	const char *log_file;       /* the monitor's log (default <dir>/<name>.log) */
	int log_level;
};

/* Close every fd from 3 up that the caller handed down: the monitor lives
 * as long as the container and would hold them (the write end of a pipe
 * that a caller reads to EOF, a flock), as LXC closes them. Call it first
 * thing in main(), before anything of lxm's own is opened. */
void lxm_start_close_inherited_fds(void);

int lxm_start(const struct lxm_paths *paths, const char *name, const struct lxm_start_opts *opts,
	      struct lxm_error *err);
