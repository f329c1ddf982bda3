/* What the commands do to a container as a whole: create, query, stop,
 * destroy, list. Each talks to the monitor when there is one, and falls back
 * to the runtime state file and a pidfd when the monitor is gone. */
#pragma once

#include <signal.h>

#include "cgroup.h"
#include "cmd.h"
#include "config.h"
#include "inuse.h"
#include "state.h"

struct lxm_container_info {
	enum lxm_state state;
	pid_t init_pid;             /* 0 when stopped */
	pid_t monitor_pid;          /* 0 when there is no monitor */
	bool monitor_alive;
	struct lxm_cgroup_stats stats;
	bool has_stats;
};

/* ENOENT with "no such container" when the directory or config is missing. */
int lxm_container_check_exists(const struct lxm_paths *paths, const char *name, struct lxm_error *err);
/* Remove the runtime dir of a container whose monitor is gone: everything
 * in it (also a temporary file of an interrupted write), its AppArmor
 * profile released. cdir is the container's directory. */
int lxm_container_remove_runtime(const struct lxm_paths *paths, const char *name, const char *cdir);
/* Make the runtime dir of name with its lock file locked (the lock's fd
 * in ret_lockfd): -EEXIST when there is one already. */
int lxm_container_claim_runtime(const struct lxm_paths *paths, const char *name, int *ret_lockfd);
/* Whether the lock fd (of a runtime dir) still is the lock file at path:
 * not removed by the cleanup after a stop while its holder waited for it
 * (and maybe made anew since). */
bool lxm_container_lock_is_current(int lockfd, const char *path);
/* Whether the runtime dir of name is live and of a container of that name
 * in another lxmpath (they share LXM_RUNDIR): its
 * directory then goes to other. */
bool lxm_container_runs_elsewhere(const struct lxm_paths *paths, const char *name, char *other, size_t n);
/* For a command that reads a stopped container's files for long (a full
 * lxm-copy, lxm-export): its lock taken in the container's directory,
 * saying what (inuse.h: lxm-start and lxm-destroy refuse it meanwhile),
 * then the container is checked to be stopped, with no start and no
 * destroy under way. 0 with the lock in ret (lxm_inuse_release() it when
 * done), or the error (naming the container when name_in_errors). */
int lxm_container_hold_stopped(const struct lxm_paths *paths, const char *name, const char *what,
			       bool name_in_errors, struct lxm_inuse *ret, struct lxm_error *err);
int lxm_container_load_config(const struct lxm_paths *paths, const char *name,
			      struct lxm_config *conf, struct lxm_error *err);
int lxm_container_query(const struct lxm_paths *paths, const char *name,
			struct lxm_container_info *ret, struct lxm_error *err);
/* Open the cgroup the running container's init runs in, as its state file
 * records it (lxm_cgroup_recorded_leaf): never one of the same name that
 * is another container's. ENOENT when there is no state file of this
 * container (stopped, or a start that did not get that far). */
int lxm_container_open_cgroup(const struct lxm_paths *paths, const char *name, struct lxm_cgroup **ret,
			      struct lxm_error *err);
/* timeout: seconds, LXM_STOP_TIMEOUT_DEFAULT (-1) for the config's
 * stop_timeout, LXM_STOP_TIMEOUT_FOREVER (-2) for no limit; 0 with HALT is a
 * kill, with NOKILL the halt signal without a wait. NOKILL fails with
 * ETIMEDOUT (the container running on) when init outlives the timeout.
 * Stopping a stopped container succeeds. */
int lxm_container_stop(const struct lxm_paths *paths, const char *name, enum lxm_stop_mode mode,
		       int timeout, struct lxm_error *err);
int lxm_container_console_log(const struct lxm_paths *paths, const char *name, char **ret,
			      size_t *ret_len, struct lxm_error *err);
/* Connect to console stream tty (0 the console, N /dev/ttyN): returns the
 * stream's fd (LXM_CMD_CONSOLE accepted) or -errno with a message for a
 * container that is not running, a tty it does not have (ENXIO) or one that
 * another client holds (EBUSY). */
int lxm_container_console_open(const struct lxm_paths *paths, const char *name, unsigned tty,
			       struct lxm_error *err);
int lxm_container_freeze(const struct lxm_paths *paths, const char *name, bool freeze,
			 struct lxm_error *err);
int lxm_container_destroy(const struct lxm_paths *paths, const char *name, bool force,
			  struct lxm_error *err);

struct lxm_create_opts {
	const char *template;       /* "busybox", "none", ... */
	const char *conf_file;      /* -f: read over default.conf */
	char *const *template_args;
	bool privileged;
};

/* Make <lxmpath>/<name> atomically: claim the name (cleaning up after a
 * killed create), hold a locked 'partial' marker while fn fills the
 * directory, and remove everything if fn fails or a signal interrupts it.
 * name_in_errors: the caller's messages are about another container, so
 * "already exists" names this one. */
typedef int (*lxm_container_build_fn)(int dirfd, int partialfd, const char *dir, void *data,
				      struct lxm_error *err);
int lxm_container_build(const struct lxm_paths *paths, const char *name, bool name_in_errors,
			lxm_container_build_fn fn, void *data, struct lxm_error *err);

int lxm_container_create(const struct lxm_paths *paths, const char *name,
			 const struct lxm_create_opts *opts, struct lxm_error *err);
/* Set by a signal handler: an interrupted create cleans up and fails. */
extern volatile sig_atomic_t lxm_create_interrupted;

/* Container names in lxmpath (those with a config and no partial marker),
 * sorted. */
int lxm_container_list(const struct lxm_paths *paths, char ***ret, size_t *ret_n);

/* Names of the containers in lxmpath whose rootfs is an overlay over
 * NAME's rootfs (NULL-terminated; free with lxm_strv_free(v, -1)). */
int lxm_container_snapshots(const struct lxm_paths *paths, const char *name, char ***ret, size_t *ret_n);
