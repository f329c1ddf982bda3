/* Paths, the runtime state file and the container lock.
 *
 * A container lives in <lxmpath>/<name>/ (config, rootfs, console.log). While
 * it runs, <rundir>/<name>/ holds the command socket, the state file and the
 * lock; the runtime dir exists only while the container runs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
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

/* A container name is one safe path component: 1-64 of [A-Za-z0-9_.-],
 * not starting with '.' or '-'. -EINVAL with the reason (naming it as
 * what) in why. */
int lxm_name_check(const char *what, const char *s, char *why, size_t n);
/* The same for a container name, the reason in err. */
int lxm_name_validate(const char *name, struct lxm_error *err);
/* A network interface name (also a link kind's): 1 to IFNAMSIZ - 1
 * printable characters, no '/', ':' or white space, not "." or "..";
 * -EINVAL with the reason in why (n bytes) otherwise. */
int lxm_ifname_check(const char *s, char *why, size_t n);

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

#define LXM_APPARMOR_PROFILE_MAX 256  /* with the NUL */

/* How init is confined, recorded at start from the config it runs with, so
 * that lxm-attach gives attached processes the same without reading (or
 * linking a parser of) any config. */
struct lxm_confinement {
	bool known;                /* false: a state file without the record */
	bool userns;               /* init has a user namespace of its own */
	bool no_new_privs;
	bool seccomp;              /* <rundir>/<name>/seccomp.bpf is init's filter */
	uint64_t caps;             /* the capability bounding set kept (mask) */
	char apparmor[LXM_APPARMOR_PROFILE_MAX]; /* init's exec profile, "": none */
};

/* Without no_new_privs, loading a seccomp filter needs CAP_SYS_ADMIN: a
 * bounding set without it gets the filter before the capability drop. */
static inline bool lxm_confinement_seccomp_first(const struct lxm_confinement *c)
{
	return !c->no_new_privs && !(c->caps & (1ULL << 21 /* CAP_SYS_ADMIN */));
}

/* lxm-destroy renames a container's directory to <lxmpath>/.destroy-PID-NAME
 * before it removes it. */
#define LXM_DESTROY_PREFIX ".destroy-"
/* lxm-create (and lxm-copy) make a container's directory as
 * <lxmpath>/.create-PID-NAME and rename it to NAME once its partial marker
 * is locked. */
#define LXM_CREATE_PREFIX ".create-"

/* A phys device moved into the container: its index there (the container
 * may rename the device), its kind ("": a device of a driver, which
 * nothing inside can create), its host name, and the MTU and MAC it had
 * on the host (given back with it; 0 and "" when not known). */
#define LXM_PHYS_MAX 16
struct lxm_phys_index {
	int32_t ifindex;           /* > 0 */
	char kind[16];
	char link[16];             /* IFNAMSIZ */
	uint32_t mtu;
	char hwaddr[18];           /* xx:xx:xx:xx:xx:xx */
};

/* What the monitor records in <rundir>/<name>/state, so that a container
 * whose monitor died can still be found, checked and stopped. */
struct lxm_runtime {
	pid_t init_pid;
	uint64_t init_starttime;   /* /proc/PID/stat field 22: tells pid reuse */
	pid_t monitor_pid;
	enum lxm_state state;
	/* the cgroup init runs in: "lxm/<name>", or "lxm/<name>-<n>" when
	 * that is another container's (cgroup.h); "": an older state file,
	 * whose container has "lxm/<name>" */
	char cgroup[128];
	/* the hierarchies the container has a cgroup in, as mountinfo lines
	 * (lxm_cgroup_format_mounts); "": not known, read mountinfo */
	char cgroup_mounts[1536];
	struct lxm_confinement confine;
	/* phys devices moved in (the first LXM_PHYS_MAX): any stop path
	 * returns one the container renamed under its host name, by index
	 * and while it is of the kind it was moved in as (a container given
	 * two devices of one kind could swap their indexes through a
	 * namespace of its own: then their host names swap too) */
	struct lxm_phys_index phys[LXM_PHYS_MAX];
	size_t n_phys;
	/* the container's directory: its device and inode tell it (0: an
	 * older state file), its path is for messages ("" when too long) */
	uint64_t dir_dev, dir_ino;
	char dir[400];
};

/* Whether the runtime state rt is of the container whose directory is cdir,
 * and not of one of the same name in another lxmpath (they share the
 * runtime dir and the cgroup names). True when rt does not say. */
bool lxm_runtime_is_of(const struct lxm_runtime *rt, const char *cdir);
/* Record cdir in rt (lxm_runtime_is_of). */
void lxm_runtime_set_dir(struct lxm_runtime *rt, const char *cdir);

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
