/* lxm-attach: run a command in a running container's namespaces, cgroup and
 * capability set.
 *
 * The calling process stays on the host and never enters the container; a
 * child enters the namespaces through the init's pidfd and forks the command
 * into the container's PID namespace and cgroup. With a terminal on stdin the
 * command gets a pty from the container's own devpts, proxied by the caller,
 * so no host terminal fd reaches the container. */
#pragma once

#include "state.h"

struct lxm_attach_opts {
	char *const *argv;          /* NULL: the user's login shell */
	uid_t uid;                  /* inside the container */
	gid_t gid;                  /* (gid_t)-1: the user's primary group */
	const char *cwd;            /* NULL: the user's home */
	bool keep_env;
	char *const *extra_env;     /* "VAR=VAL", NULL-terminated */
	int use_pty;                /* -1 auto (stdin is a tty), 0 no, 1 yes */
};

/* Returns the command's exit status (0-255, 128+signal) or -errno. A
 * command that could not be executed: 127 (not found) or 126, as from a
 * shell, with err saying why (err->code set). */
int lxm_attach(const struct lxm_paths *paths, const char *name, const struct lxm_attach_opts *opts,
	       struct lxm_error *err);
