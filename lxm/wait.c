/* Waiting for a container state. See wait.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "container.h"
#include "log.h"
#include "wait.h"

/* Without inotify (no instance left: fs.inotify.max_user_instances) the
 * state is looked at this often. */
#define WAIT_POLL_MS 100
/* With a monitor that is gone, lxm-freeze writes the freezer directly and
 * no state file changes: the state is looked at again this often. */
#define WAIT_NO_MONITOR_MS 1000

#define RUN_EVENTS (IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ONLYDIR)

struct waiter {
	int ino;
	int wd_rundir;           /* <rundir>: the container's runtime dir comes and goes */
	char *rundir;            /* <rundir>/<name>: its state file is replaced */
	char *state_path;
	int pidfd;               /* init's, while it has not exited */
	pid_t pid;               /* the init that pidfd is (or was) of */
	uint64_t starttime;
};

static void waiter_done(struct waiter *w)
{
	closep(&w->ino);
	closep(&w->pidfd);
	free(w->rundir);
	free(w->state_path);
}

/* A pidfd on the init the state file names, once per init: after its exit
 * (a zombie's pidfd stays readable) it is not opened again. */
static void track_init(struct waiter *w, bool stopped)
{
	struct lxm_runtime rt;
	int fd;

	if (stopped || lxm_runtime_read(w->state_path, &rt) < 0) {
		closep(&w->pidfd);
		w->pidfd = -1;
		w->pid = 0;
		return;
	}
	if (rt.init_pid == w->pid && rt.init_starttime == w->starttime)
		return;
	closep(&w->pidfd);
	w->pid = rt.init_pid;
	w->starttime = rt.init_starttime;
	fd = lxm_pidfd_open_checked(rt.init_pid, rt.init_starttime);
	w->pidfd = fd >= 0 ? fd : -1;
}

/* Reads every queued event; whether one is about this container. */
static bool drain(struct waiter *w, const char *name)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool relevant = false;
	ssize_t n;

	while ((n = read(w->ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			/* the shared runtime dir: only this container's entry */
			if (ev->wd != w->wd_rundir || (ev->len && streq(ev->name, name)) || (ev->mask & IN_Q_OVERFLOW))
				relevant = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return relevant;
}

static void watch(struct waiter *w, const struct lxm_paths *paths, const char *name)
{
	_cleanup_free_ char *cdir = lxm_container_path(paths, name, NULL);

	w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ino < 0) {
		log_debug("inotify: %s: looking every %d ms", strerror(errno), WAIT_POLL_MS);
		return;
	}
	/* lxm-start makes it alike; a container that never ran has none yet */
	(void)lxm_mkdir_p(paths->rundir, 0755);
	w->wd_rundir = inotify_add_watch(w->ino, paths->rundir, RUN_EVENTS);
	if (w->wd_rundir < 0) {
		log_debug("watching '%s': %s: looking every %d ms", paths->rundir, strerror(errno), WAIT_POLL_MS);
		closep(&w->ino);
		w->ino = -1;
		return;
	}
	/* a destroy, while the wait is for another state than STOPPED */
	if (!cdir || inotify_add_watch(w->ino, cdir, IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR) < 0)
		log_debug("watching the container's directory: %s, ignoring", strerror(errno));
}

int lxm_container_wait(const struct lxm_paths *paths, const char *name, uint32_t states, int64_t timeout_ms,
		       enum lxm_state *ret_state, struct lxm_error *err)
{
	struct waiter w = { .ino = -1, .wd_rundir = -1, .pidfd = -1 };
	uint64_t start = lxm_now_ns();
	bool first = true;
	int r;

	w.rundir = lxm_runtime_path(paths, name, NULL);
	w.state_path = lxm_runtime_path(paths, name, "state");
	if (!w.rundir || !w.state_path) {
		r = lxm_error_set(err, ENOMEM, "waiting");
		goto out;
	}
	r = lxm_name_validate(name, err);
	if (r < 0)
		goto out;
	/* the watches before each look, so no change falls in between */
	watch(&w, paths, name);
	for (;;) {
		struct lxm_container_info info;
		struct pollfd pfd[2];
		int64_t left = -1, poll_ms = -1;
		nfds_t n = 0;

		if (w.ino >= 0)
			/* the same wd while the dir lives; a new one once it is made again */
			(void)inotify_add_watch(w.ino, w.rundir,
						RUN_EVENTS | IN_DELETE_SELF | IN_MOVE_SELF);
		r = lxm_container_query(paths, name, &info, err);
		if (r == -ENOENT && !first) {
			/* destroyed meanwhile: it does not run */
			if (states & (1u << LXM_STATE_STOPPED)) {
				lxm_error_clear(err);
				info.state = LXM_STATE_STOPPED;
				r = 0;
			} else {
				r = lxm_error_setr(err, ENOENT, "the container was destroyed while waiting");
				goto out;
			}
		}
		if (r < 0)
			goto out;
		first = false;
		if (states & (1u << info.state)) {
			if (ret_state)
				*ret_state = info.state;
			r = 0;
			goto out;
		}
		track_init(&w, info.state == LXM_STATE_STOPPED);
		if (timeout_ms >= 0) {
			left = timeout_ms - (int64_t)((lxm_now_ns() - start) / 1000000);
			if (left <= 0) {
				r = lxm_error_setr(err, ETIMEDOUT, "timed out waiting for the state (it is %s)",
						   lxm_state_to_string(info.state));
				goto out;
			}
		}
		if (w.ino < 0)
			poll_ms = WAIT_POLL_MS;
		else if (!info.monitor_alive && info.state != LXM_STATE_STOPPED)
			poll_ms = WAIT_NO_MONITOR_MS;
		if (left >= 0 && (poll_ms < 0 || left < poll_ms))
			poll_ms = left;
		/* -t over 24 days: poll's int wrapped (25 to 49 days: no timeout) */
		if (poll_ms > INT_MAX)
			poll_ms = INT_MAX;
		if (w.ino >= 0)
			pfd[n++] = (struct pollfd){ .fd = w.ino, .events = POLLIN };
		if (w.pidfd >= 0)
			pfd[n++] = (struct pollfd){ .fd = w.pidfd, .events = POLLIN };
		for (;;) {
			int p = poll(pfd, n, (int)poll_ms);

			if (p < 0 && errno == EINTR)
				continue;
			if (p < 0) {
				r = lxm_error_set(err, errno, "waiting for a state change");
				goto out;
			}
			if (p == 0)
				break;          /* the timeout, or time for a look */
			if (w.pidfd >= 0 && pfd[n - 1].fd == w.pidfd && pfd[n - 1].revents) {
				/* init exited: its pidfd stays readable */
				closep(&w.pidfd);
				w.pidfd = -1;
				break;
			}
			if (w.ino >= 0 && pfd[0].revents && drain(&w, name))
				break;
			/* only other containers' entries: wait on, for what is left */
			if (left >= 0) {
				left = timeout_ms - (int64_t)((lxm_now_ns() - start) / 1000000);
				if (left <= 0)
					break;
				if (poll_ms < 0 || left < poll_ms)
					poll_ms = left;
			}
		}
	}
out:
	waiter_done(&w);
	return r;
}
