/* Paths, the runtime state file and the container lock.
 *
 * A container lives in <lxmpath>/<name>/ (config, rootfs, console.log). While
 * it runs, <rundir>/<name>/ holds the command socket, the state file and the
 * lock; the runtime dir exists only while the container runs. */
#pragma once

#include <sys/types.h>

#include "error.h"

enum lxm_state {
	LXM_STATE_STOPPED,
	LXM_STATE_STARTING,
	LXM_STATE_RUNNING,
	LXM_STATE_STOPPING,
	LXM_STATE_FROZEN,
	LXM_STATE_ABORTING,
	LXM_STATE_MAX,
};

const char *lxm_state_to_string(enum lxm_state s);
int lxm_state_from_string(const char *s, enum lxm_state *ret);

struct lxm_paths {
	char *lxmpath;     /* containers */
	char *rundir;      /* runtime state */
	char *confdir;     /* lxm.conf, default.conf */
	char *cachedir;    /* template cache */
};

/* Defaults, then LXM_PATH/LXM_RUNDIR/LXM_CONFDIR/LXM_CACHEDIR, then the -P
 * override (lxmpath may be NULL). */
int lxm_paths_init(struct lxm_paths *p, const char *lxmpath);
void lxm_paths_free(struct lxm_paths *p);

/* Newly allocated "<lxmpath>/<name>[/<file>]" and "<rundir>/<name>[/<file>]". */
char *lxm_container_path(const struct lxm_paths *p, const char *name, const char *file);
char *lxm_runtime_path(const struct lxm_paths *p, const char *name, const char *file);

/* What the monitor records in <rundir>/<name>/state, so that a container
 * whose monitor died can still be found, checked and stopped. */
struct lxm_runtime {
	pid_t init_pid;
	uint64_t init_starttime;   /* /proc/PID/stat field 22: tells pid reuse */
	pid_t monitor_pid;
	enum lxm_state state;
	char cgroup[128];          /* cgroup name ("lxm/<name>") */
	/* the hierarchies the container has a cgroup in, as mountinfo lines
	 * (lxm_cgroup_format_mounts); "": not known, read mountinfo */
	char cgroup_mounts[1536];
};

int lxm_runtime_format(const struct lxm_runtime *rt, char *buf, size_t size);
int lxm_runtime_parse(const char *text, struct lxm_runtime *ret);
int lxm_runtime_write(const char *path, const struct lxm_runtime *rt);
int lxm_runtime_read(const char *path, struct lxm_runtime *ret);

/* Open a pidfd for pid, and only if it is still the process that started at
 * starttime. -ESRCH when it is gone or was replaced; -ENOSYS where the
 * kernel (or valgrind) has no pidfd_open, which says nothing about pid. */
int lxm_pidfd_open_checked(pid_t pid, uint64_t starttime);
/* Whether pid is still the live (not zombie) process that started at
 * starttime, from /proc alone (racy: for when no pidfd can be had). */
bool lxm_process_matches(pid_t pid, uint64_t starttime);
