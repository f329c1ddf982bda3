/* The monitor: the per-container process that lxm-start forks (or becomes,
 * with -F). It owns the console ptys and the cgroup, clones the container's
 * init (start.c), serves the command socket, and cleans up when init exits
 * for good. */
#pragma once

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "cgroup.h"
#include "config.h"
#include "console.h"
#include "state.h"

#define LXM_MONITOR_MAX_CLIENTS 64
/* connections refused while every client slot is taken: they hold an
 * -EBUSY reply until their request has been read (so that it is not lost
 * to an EPIPE), the oldest beyond this many is closed */
#define LXM_MONITOR_MAX_REJECTS 16
/* a command client silent this long with nothing under way gives up its
 * slot to a new connection when all are taken */
#define LXM_MONITOR_IDLE_MS 200

struct lxm_seccomp;

/* What the clone needs and nothing of the console or the cgroups, made by
 * a second thread of the monitor while those are set up (start.c). */
struct lxm_monitor_prep {
	pthread_t thread;
	bool running;
	bool make_netns;
	atomic_bool security_claimed;   /* by the thread or the main one */
	int netns_fd, host_fd;          /* a new network namespace, the host's; -1: none */
	struct lxm_seccomp *seccomp;
	char *aa_profile;
	struct lxm_error err;           /* the thread's failure */
};

struct lxm_monitor {
	const struct lxm_paths *paths;
	struct lxm_config *conf;
	const char *name;
	char *dir;                  /* <lxmpath>/<name> */
	char *rootfs;               /* absolute */
	char *rundir;               /* <rundir>/<name> */
	char *sock_path;
	char *state_path;

	struct lxm_cgroup *cg;
	struct lxm_pty console;
	struct lxm_pty *ttys;
	size_t n_ttys;
	struct lxm_ring ring;
	struct lxm_console_log log;

	int listen_fd;
	int epoll_fd;
	int timer_fd;
	int signal_fd;
	int lock_fd;
	int clients[LXM_MONITOR_MAX_CLIENTS];
	/* 0: a command client; 1: a console stream on /dev/console; N+1: on
	 * /dev/ttyN (one client per tty, any number on the console) */
	uint8_t client_console[LXM_MONITOR_MAX_CLIENTS];
	uint64_t client_active[LXM_MONITOR_MAX_CLIENTS];  /* ns, last request or accept */
	/* a halt or kill requester, who waits for the close at the cleanup */
	bool client_waits[LXM_MONITOR_MAX_CLIENTS];
	/* the waiter of a stop without SIGKILL (--nokill, or a halt with
	 * -t -1): when it gives up (ns, UINT64_MAX: never); 0: not one */
	uint64_t client_nokill[LXM_MONITOR_MAX_CLIENTS];
	int rejects[LXM_MONITOR_MAX_REJECTS];
	size_t next_reject;         /* the slot a new one takes (the oldest) */

	pid_t pid;                  /* init, host pid */
	int pidfd;
	int netns_fd;               /* the container's network namespace, -1: none/host */
	struct lxm_monitor_prep prep;  /* start.c */
	struct lxm_phys_index phys[LXM_PHYS_MAX]; /* phys devices' indexes in it */
	size_t n_phys;
	uint64_t starttime;
	enum lxm_state state;
	struct lxm_confinement confine; /* init's, for the state file */
	bool stop_requested;        /* halt/kill: do not treat init's death as reboot */
	bool stop_final;            /* a halt with a SIGKILL, or a kill: no way back to running */
	bool kill_sent;             /* init has its SIGKILL */
	uint64_t kill_at;           /* ns, when the stop timeout sends SIGKILL; 0: never */
	/* a halt or reboot signal init does not take yet (lxm_signal_taken),
	 * sent when it does; 0: none. Since when, and until when it is
	 * dropped (ns; 0: no limit). */
	int held_sig;
	uint64_t held_since;
	uint64_t held_until;
	bool rootfs_readonly;       /* the base of snapshots: its rootfs stays read-only */
	bool foreground;
	int stdin_fd;               /* foreground console input, -1 otherwise */
	int stdout_fd;              /* foreground console output, -1 otherwise */
	bool stdout_own;            /* stdout_fd is the monitor's non-blocking reopening */
	bool stdout_sock;           /* a socket: written with MSG_DONTWAIT */
	bool stdout_tty;            /* a terminal: gets a moment before output is dropped */
	bool stdout_stalled;        /* the last write was dropped: no more waiting */
};

/* start.c: clone the init into its namespaces and cgroup, and wait until it
 * has exec'd (m->pid, m->pidfd, m->starttime set) or failed. */
int lxm_start_spawn(struct lxm_monitor *m, struct lxm_error *err);

/* monitor.c */
int lxm_monitor_setup(struct lxm_monitor *m, struct lxm_error *err);  /* ptys, cgroup */
/* the command socket and the event loop's fds: lxm_start_spawn() makes
 * them while the child sets itself up */
int lxm_monitor_listen(struct lxm_monitor *m, struct lxm_error *err);
/* The signals a monitor turns into a clean halt of its container
 * (SIGINT, SIGTERM): blocked from its start on, read from a signalfd by
 * its event loop. */
void lxm_monitor_halt_signals(sigset_t *set);
int lxm_monitor_write_state(struct lxm_monitor *m);
int lxm_monitor_loop(struct lxm_monitor *m);                           /* until the container stops */
void lxm_monitor_cleanup(struct lxm_monitor *m);                       /* cgroup, runtime dir */
void lxm_monitor_free(struct lxm_monitor *m);
