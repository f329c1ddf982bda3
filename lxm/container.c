#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "apparmor.h"
#include "container.h"
#include "destroy.h"
#include "log.h"
#include "net.h"
#include "snapshot.h"

int lxm_container_check_exists(const struct lxm_paths *paths, const char *name, struct lxm_error *err)
{
	_cleanup_free_ char *config = NULL, *partial = NULL;
	int r = lxm_name_validate(name, err);

	if (r < 0)
		return r;
	config = lxm_container_path(paths, name, "config");
	partial = lxm_container_path(paths, name, "partial");
	if (!config || !partial)
		return lxm_error_set(err, ENOMEM, "looking up the container");
	if (access(partial, F_OK) == 0 && access(config, F_OK) < 0)
		return lxm_error_setr(err, ENOENT, "no such container in '%s' (a create is in progress or was interrupted)",
				      paths->lxmpath);
	if (access(config, F_OK) < 0) {
		if (errno != ENOENT)   /* EACCES: not "no such container" */
			return lxm_error_set(err, errno, "looking up '%s'", config);
		return lxm_error_setr(err, ENOENT, "no such container in '%s'", paths->lxmpath);
	}
	return 0;
}

int lxm_container_load_config(const struct lxm_paths *paths, const char *name,
			      struct lxm_config *conf, struct lxm_error *err)
{
	_cleanup_free_ char *path = lxm_container_path(paths, name, "config");

	if (!path)
		return lxm_error_set(err, ENOMEM, "loading config");
	return lxm_config_load(conf, path, err);
}

/* A monitor that took no connection or request within LXM_CMD_TIMEOUT_MS
 * (it ignores a request whose client hung up meanwhile). */
static int monitor_stuck(struct lxm_error *err)
{
	return lxm_error_setr(err, ETIMEDOUT, "its monitor does not answer (stuck?); once it is killed, "
			      "lxm-stop stops the container without it");
}

/* The monitor's reply to a connection beyond its client slots. */
static int monitor_full(struct lxm_error *err)
{
	return lxm_error_setr(err, EUSERS, "its monitor has too many clients connected; try again");
}

static int connect_monitor(const struct lxm_paths *paths, const char *name)
{
	_cleanup_free_ char *sock = lxm_runtime_path(paths, name, "command");

	if (!sock)
		return -ENOMEM;
	return lxm_cmd_connect(sock);
}

int lxm_container_query(const struct lxm_paths *paths, const char *name,
			struct lxm_container_info *ret, struct lxm_error *err)
{
	_cleanup_free_ char *state_path = lxm_runtime_path(paths, name, "state");
	_cleanup_close_ int fd = -1;
	struct lxm_container_info info = { .state = LXM_STATE_STOPPED };
	struct lxm_runtime rt;
	bool have_rt;
	int r;

	r = lxm_container_check_exists(paths, name, err);
	if (r < 0)
		return r;
	if (!state_path)
		return lxm_error_set(err, ENOMEM, "querying");
	have_rt = lxm_runtime_read(state_path, &rt) == 0;
	if (have_rt) {
		_cleanup_free_ char *cdir = lxm_container_path(paths, name, NULL);

		/* the one of that name from another lxmpath runs: not this one */
		if (!lxm_runtime_is_of(&rt, cdir)) {
			*ret = info;
			return 0;
		}
	}
	fd = connect_monitor(paths, name);
	if (fd >= 0) {
		struct lxm_cmd_rsp rsp;

		r = lxm_cmd_call(fd, LXM_CMD_STATE, 0, 0, &rsp, NULL);
		if (r == 0) {
			info.state = rsp.state < LXM_STATE_MAX ? rsp.state : LXM_STATE_STOPPED;
			info.init_pid = rsp.init_pid;
			info.monitor_alive = true;
			info.monitor_pid = have_rt ? rt.monitor_pid : 0;
		}
	}
	if (!info.monitor_alive && have_rt) {
		_cleanup_close_ int pidfd = lxm_pidfd_open_checked(rt.init_pid, rt.init_starttime);

		/* without pidfd_open, never call a live container stopped: a
		 * destroy would then orphan it */
		if (pidfd >= 0 || (pidfd == -ENOSYS && lxm_process_matches(rt.init_pid, rt.init_starttime))) {
			info.state = LXM_STATE_RUNNING;
			info.init_pid = rt.init_pid;
		}
	}
	/* the cgroup the state file names (no state file yet: a start,
	 * whose stats are to come) */
	if (info.state != LXM_STATE_STOPPED && have_rt) {
		struct lxm_cgroup *cg = NULL;
		struct lxm_error cgerr = { 0 };

		if (lxm_cgroup_open(lxm_cgroup_recorded_leaf(rt.cgroup, name), &cg, &cgerr) == 0) {
			bool frozen = false;

			if (lxm_cgroup_stats(cg, &info.stats) == 0)
				info.has_stats = true;
			if (!info.monitor_alive && lxm_cgroup_is_frozen(cg, &frozen) == 0 && frozen)
				info.state = LXM_STATE_FROZEN;
			lxm_cgroup_free(cg);
		}
	}
	*ret = info;
	return 0;
}

/* The owner mark of the container's cgroups (from its directory), for the
 * step named in errors. */
static int container_owner(const struct lxm_paths *paths, const char *name, char owner[LXM_CGROUP_OWNER_MAX],
			   const char *step, struct lxm_error *err)
{
	_cleanup_free_ char *cdir = lxm_container_path(paths, name, NULL);
	int r;

	if (!cdir)
		return lxm_error_set(err, ENOMEM, "%s", step);
	r = lxm_cgroup_owner_of(cdir, owner, LXM_CGROUP_OWNER_MAX);
	return r < 0 ? lxm_error_set(err, -r, "%s: reading '%s'", step, cdir) : 0;
}

/* The cgroup a state file records (leaf), unless it is marked as another
 * container's (lxm_cgroup_check_owner): ENOENT then. Only for a dead init's
 * (a live one's is its own). */
static int open_recorded_cgroup(const struct lxm_paths *paths, const char *name, const char *leaf,
				struct lxm_cgroup **ret, struct lxm_error *err)
{
	char owner[LXM_CGROUP_OWNER_MAX];
	struct lxm_cgroup *cg = NULL;
	int r;

	r = container_owner(paths, name, owner, "opening the cgroup", err);
	if (r < 0)
		return r;
	r = lxm_cgroup_open(leaf, &cg, err);
	if (r < 0)
		return r;
	r = lxm_cgroup_check_owner(cg, owner, err);
	if (r < 0) {
		lxm_cgroup_free(cg);
		return r;
	}
	*ret = cg;
	return 0;
}

/* The container's state file, when it is this container's and not that
 * of one of the same name in another lxmpath (they share the runtime dir):
 * 0, -ENOENT when there is none of it, or another -errno. */
static int read_own_runtime(const struct lxm_paths *paths, const char *name, struct lxm_runtime *rt)
{
	_cleanup_free_ char *state = lxm_runtime_path(paths, name, "state");
	_cleanup_free_ char *cdir = lxm_container_path(paths, name, NULL);
	int r;

	if (!state || !cdir)
		return -ENOMEM;
	r = lxm_runtime_read(state, rt);
	if (r < 0)
		return r;
	return lxm_runtime_is_of(rt, cdir) ? 0 : -ENOENT;
}

int lxm_container_open_cgroup(const struct lxm_paths *paths, const char *name, struct lxm_cgroup **ret,
			      struct lxm_error *err)
{
	struct lxm_runtime rt;
	int r = read_own_runtime(paths, name, &rt);

	if (r < 0) {
		_cleanup_free_ char *state = lxm_runtime_path(paths, name, "state");

		if (r == -ENOENT)
			return lxm_error_setr(err, ENOENT, "not running (no state file of it in '%s')",
					      state ? state : "?");
		return lxm_error_set(err, -r, "reading '%s'", state ? state : "?");
	}
	return lxm_cgroup_open(lxm_cgroup_recorded_leaf(rt.cgroup, name), ret, err);
}

/* The runtime dir is made under a hidden name with its lock file locked
 * and renamed into place: no other command ever sees it without its lock
 * held (a second start took a runtime dir that was still empty for a stale
 * one and removed it, and two monitors ran, or the first blocked). */
int lxm_container_claim_runtime(const struct lxm_paths *paths, const char *name, int *ret_lockfd)
{
	_cleanup_free_ char *dir = lxm_runtime_path(paths, name, NULL);
	_cleanup_free_ char *tmp = lxm_strdup_printf("%s/.%s.%d", paths->rundir, name, (int)getpid());
	_cleanup_free_ char *tmplock = tmp ? lxm_strdup_printf("%s/lock", tmp) : NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (!dir || !tmplock)
		return -ENOMEM;
	r = lxm_mkdir_p(paths->rundir, 0755);
	if (r < 0)
		return r;
	/* of a command killed here that had our pid: its EEXIST would be
	 * taken for a runtime dir that is there */
	(void)unlink(tmplock);
	(void)rmdir(tmp);
	if (mkdir(tmp, 0700) < 0)
		return -errno;
	fd = open(tmplock, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
	    renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) == 0) {
		*ret_lockfd = TAKE_FD(fd);
		return 0;
	}
	r = -errno;
	unlink(tmplock);
	rmdir(tmp);
	return r;
}

bool lxm_container_lock_is_current(int lockfd, const char *path)
{
	struct stat held, cur;

	return fstat(lockfd, &held) == 0 && stat(path, &cur) == 0 && held.st_ino == cur.st_ino &&
	       held.st_dev == cur.st_dev;
}

bool lxm_container_runs_elsewhere(const struct lxm_paths *paths, const char *name, char *other, size_t n)
{
	_cleanup_free_ char *state = lxm_runtime_path(paths, name, "state");
	_cleanup_free_ char *lock = lxm_runtime_path(paths, name, "lock");
	_cleanup_free_ char *cdir = lxm_container_path(paths, name, NULL);
	struct lxm_runtime rt;

	if (!state || !lock || !cdir || lxm_runtime_read(state, &rt) < 0 || lxm_runtime_is_of(&rt, cdir))
		return false;
	if (lxm_lock_held_at(AT_FDCWD, lock) == 0 && !lxm_process_matches(rt.init_pid, rt.init_starttime))
		return false;   /* stale: its monitor and init are gone */
	snprintf(other, n, "%s", rt.dir[0] ? rt.dir : "another lxmpath");
	return true;
}

/* How long a live claimer may keep its '.NAME.PID' before its lock is
 * locked (a mkdir and an open: a moment) */
#define CLAIM_UNLOCKED_MAX_S 5

/* The '.NAME.PID' dirs (lxm_container_claim_runtime) that commands killed
 * between their mkdir and their rename left in the runtime dir: of a pid
 * that is gone, or (a pid taken again) unlocked and older than a claim is
 * unlocked. Done by the stop and the destroy, not by each start: a start
 * would read the whole runtime dir (every running container's) for what
 * a killed command leaves seldom; a leftover of our pid is the claim's. */
static void sweep_claims(const struct lxm_paths *paths, const char *name)
{
	size_t n = strlen(name);
	time_t now = time(NULL);
	int dfd = open(paths->rundir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;

	if (dfd < 0)
		return;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		const char *pid_text = e->d_name + n + 2;
		_cleanup_close_ int sub = -1;
		struct stat st;
		char *end;
		long pid;

		if (e->d_name[0] != '.' || strncmp(e->d_name + 1, name, n) != 0 || e->d_name[n + 1] != '.' ||
		    *pid_text < '1' || *pid_text > '9')
			continue;
		errno = 0;
		pid = strtol(pid_text, &end, 10);
		if (*end || errno || pid > INT_MAX)
			continue;
		sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 || fstat(sub, &st) < 0)
			continue;
		if ((kill((pid_t)pid, 0) == 0 || errno == EPERM) && now - st.st_mtime < CLAIM_UNLOCKED_MAX_S)
			continue;
		if (lxm_lock_held_at(sub, "lock") != 0)
			continue;
		log_debug("removing '%s/%s', left by a command killed while it claimed the runtime dir",
			  paths->rundir, e->d_name);
		(void)unlinkat(sub, "lock", 0);
		(void)unlinkat(dfd, e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

int lxm_container_remove_runtime(const struct lxm_paths *paths, const char *name, const char *cdir)
{
	_cleanup_free_ char *dir = lxm_runtime_path(paths, name, NULL);
	_cleanup_free_ char *aa = lxm_runtime_path(paths, name, "apparmor.profile");
	DIR *d;
	int dfd;

	if (!dir || !aa)
		return -ENOMEM;
	sweep_claims(paths, name);
	lxm_apparmor_release(aa, name, cdir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	/* files only: the runtime dir has no subdirectories */
	for (struct dirent *e; (e = readdir(d));)
		if (!streq(e->d_name, ".") && !streq(e->d_name, ".."))
			(void)unlinkat(dfd, e->d_name, 0);
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Runtime leftovers of a container whose monitor is gone. */
static void remove_runtime(const struct lxm_paths *paths, const char *name)
{
	_cleanup_free_ char *cdir = lxm_container_path(paths, name, NULL);

	(void)lxm_container_remove_runtime(paths, name, cdir);
}

static int wait_pidfd(int pidfd, int timeout_ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r;
}

/* The config a running container was started with (<rundir>/<name>/config:
 * -f and -s included), else the container's own. */
static int load_effective_config(const struct lxm_paths *paths, const char *name, struct lxm_config *conf,
				 struct lxm_error *err)
{
	_cleanup_free_ char *rc = lxm_runtime_path(paths, name, "config");
	int r = rc ? lxm_config_load(conf, rc, err) : -ENOMEM;

	if (r < 0) {
		lxm_config_free(conf);
		memset(conf, 0, sizeof(*conf));
		lxm_error_clear(err);
		r = lxm_container_load_config(paths, name, conf, err);
	}
	return r;
}

/* A frozen (v1) init acts on no signal: thawed after a signal is sent to
 * it (as the monitor's kill_init does). leaf: the recorded cgroup. */
static void thaw(const char *leaf)
{
	struct lxm_cgroup *cg = NULL;
	struct lxm_error e = { 0 };
	bool frozen = false;

	if (lxm_cgroup_open(leaf, &cg, &e) < 0)
		return;
	if (lxm_cgroup_is_frozen(cg, &frozen) == 0 && frozen && lxm_cgroup_freeze(cg, false, &e) < 0)
		log_warn("thawing to stop: %s", e.msg);
	lxm_cgroup_free(cg);
}

static int destroy_cgroup(struct lxm_cgroup *cg, struct lxm_error *err)
{
	int r = lxm_cgroup_destroy(cg, err);

	lxm_cgroup_free(cg);
	return r < 0 ? lxm_error_prefix(err, "removing the cgroup") : 0;
}

/* Kill whatever is left in the container's cgroup (leaf: the one the
 * state file records) and remove it, where there is one and it is not
 * another container's (the state file of a monitor killed after it
 * removed the cgroup names one another start may have taken since). */
static int remove_cgroup(const struct lxm_paths *paths, const char *name, const char *leaf,
			 struct lxm_error *err)
{
	struct lxm_cgroup *cg = NULL;

	if (open_recorded_cgroup(paths, name, leaf, &cg, err) == 0)
		return destroy_cgroup(cg, err);
	log_debug("%s: not removing the cgroup '%s': %s", name, leaf, err->msg);
	lxm_error_clear(err);
	return 0;
}

/* The same without a state file to say which cgroup: the one marked as
 * this container's (lxm_cgroup_open_own), never that of a container of
 * the same name in another lxmpath. */
static int remove_own_cgroup(const struct lxm_paths *paths, const char *name, struct lxm_error *err)
{
	char owner[LXM_CGROUP_OWNER_MAX];
	struct lxm_cgroup *cg = NULL;
	int r;

	r = container_owner(paths, name, owner, "removing the cgroup", err);
	if (r < 0)
		return r;
	if (lxm_cgroup_open_own(name, owner, &cg, err) == 0)
		return destroy_cgroup(cg, err);
	lxm_error_clear(err);
	return 0;
}

static int still_running(int timeout, struct lxm_error *err)
{
	return lxm_error_setr(err, ETIMEDOUT, "still running after %d s (--nokill: not killed)", timeout);
}

/* Without the monitor: the halt signal to init, then a wait for its death
 * of up to timeout s (LXM_STOP_TIMEOUT_FOREVER: no limit, 0: none).
 * Returns 1 when it died, 0 when it lives on, -errno when the signal could
 * not be sent. */
static int halt_and_wait(const char *leaf, int pidfd, int sig, int timeout, pid_t pid)
{
	uint64_t start = lxm_now_ns(), end = start + (uint64_t)MAX(timeout, 0) * 1000000000ULL;
	bool forever = timeout == LXM_STOP_TIMEOUT_FOREVER;

	thaw(leaf);
	/* held while init does not take it yet (lxm_signal_taken), within
	 * the timeout: the monitor does the same */
	while (timeout != 0 && lxm_proc_signal_taken(pid, sig) == 0 && (forever || lxm_now_ns() < end))
		if (wait_pidfd(pidfd, (int)lxm_signal_hold_step_ms(lxm_now_ns() - start)) > 0)
			return 1;
	log_debug("monitor gone: sending the halt signal to pid %d", (int)pid);
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return errno == ESRCH ? 1 : -errno;   /* ESRCH: it has died */
	if (timeout == 0)
		return 0;
	if (forever)
		return wait_pidfd(pidfd, -1) > 0;
	return wait_pidfd(pidfd, lxm_now_ns() < end ? (int)((end - lxm_now_ns() + 999999) / 1000000) : 0) > 0;
}

/* After a wait without the lock: the lock again, and the runtime dir still
 * that of the init waited for, not cleaned up by another stop meanwhile
 * (maybe with a new start after it, which holds the lock). */
static bool relock_same(int lockfd, const char *state_path, const struct lxm_runtime *rt)
{
	struct lxm_runtime cur;

	if (lockfd >= 0 && lxm_flock_retry(lockfd, 5, 1000) < 0)
		return false;
	if (lxm_runtime_read(state_path, &cur) < 0)
		return false;
	return cur.init_pid == rt->init_pid && cur.init_starttime == rt->init_starttime;
}

/* The monitor is gone (killed): stop the init found through the state file
 * with a pidfd, then clean up what the monitor would have. */
static int stop_without_monitor(const struct lxm_paths *paths, const char *name,
				enum lxm_stop_mode mode, int timeout, struct lxm_error *err)
{
	_cleanup_free_ char *state_path = lxm_runtime_path(paths, name, "state");
	_cleanup_free_ char *lock = lxm_runtime_path(paths, name, "lock");
	_cleanup_close_ int lockfd = -1, pidfd = -1, netnsfd = -1;
	struct lxm_config conf = { 0 };
	struct lxm_runtime rt;
	const char *leaf;
	bool claimed = false;
	int r = 0;

	if (!state_path || !lock)
		return lxm_error_set(err, ENOMEM, "stopping");
	lockfd = open(lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	/* no runtime dir: one of our own, locked, so that no start makes
	 * the cgroup that is removed below meanwhile (a start that came
	 * first has it: try again) */
	if (lockfd < 0 && errno == ENOENT) {
		r = lxm_container_claim_runtime(paths, name, &lockfd);
		if (r == -EEXIST)
			lockfd = open(lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		claimed = r == 0;
	}
	/* retried: another command's probe holds it for a moment */
	if (lockfd >= 0 && lxm_flock_retry(lockfd, 5, 1000) < 0)
		return lxm_error_setr(err, EBUSY, "the container is starting; try again");
	/* the runtime dir was cleaned up by another stop while we waited
	 * for its lock: stopped (a start may have made it anew since) */
	if (lockfd >= 0 && !lxm_container_lock_is_current(lockfd, lock))
		return 0;
	if (lxm_runtime_read(state_path, &rt) < 0) {
		/* stopped, or a start whose monitor died before init's exec
		 * (the state file comes then): what that start made runs on
		 * in the cgroup, where nothing else would ever reach it */
		r = mode == LXM_STOP_REBOOT
			    ? lxm_error_setr(err, ESRCH, "not running: nothing to reboot (lxm-start starts it)")
			    : remove_own_cgroup(paths, name, err);
		if (r == 0 || claimed)
			remove_runtime(paths, name);
		return r;
	}
	leaf = lxm_cgroup_recorded_leaf(rt.cgroup, name);
	pidfd = lxm_pidfd_open_checked(rt.init_pid, rt.init_starttime);
	if (pidfd == -ENOSYS && lxm_process_matches(rt.init_pid, rt.init_starttime))
		return lxm_error_setr(err, ENOSYS, "no pidfd for init %d (pidfd_open needs Linux 5.3)", (int)rt.init_pid);
	if (pidfd >= 0 && mode == LXM_STOP_REBOOT)
		return lxm_error_setr(err, ENOTCONN, "cannot reboot: the monitor is gone (stop and start it instead)");
	/* the config init runs with: its halt signal, its phys devices and
	 * the MACs it gave them (a dead init's devices are found by those) */
	if (pidfd >= 0 || rt.n_phys)
		r = load_effective_config(paths, name, &conf, err);
	if (pidfd >= 0) {
		if (r < 0 && mode == LXM_STOP_NOKILL) {
			lxm_config_free(&conf);
			return lxm_error_prefix(err, "no halt signal to send (--nokill: not killed)");
		}
		if (r < 0) {
			/* without a config there is no halt signal to send */
			lxm_error_clear(err);
			mode = LXM_STOP_KILL;
		}
		if ((r == 0 && lxm_net_has_links(&conf) && (conf.name || (conf.name = strdup(name)))) || rt.n_phys) {
			char nspath[64];

			/* keeps the namespace after init's death, so that phys
			 * devices can go back to the host (lxm_net_teardown) */
			snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", (int)rt.init_pid);
			netnsfd = open(nspath, O_RDONLY | O_CLOEXEC);
			if (netnsfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
				closep(&netnsfd), netnsfd = -1;   /* not the same process any more */
		}
		if (timeout == LXM_STOP_TIMEOUT_DEFAULT)
			timeout = (int)conf.stop_timeout;
		/* the waits below (forever with -t -1) do without the lock:
		 * another lxm-stop (-k) gets through meanwhile */
		if (lockfd >= 0)
			flock(lockfd, LOCK_UN);
		/* --nokill: init is left alone when it lives on (timeout 0:
		 * the signal, no wait) */
		if (mode == LXM_STOP_NOKILL) {
			r = halt_and_wait(leaf, pidfd, conf.halt_signal, timeout, rt.init_pid);
			if (r < 0)
				r = lxm_error_set(err, -r, "sending the halt signal to init (pid %d)", (int)rt.init_pid);
			else if (r == 0 && timeout != 0)
				r = still_running(timeout, err);
			if (r <= 0) {
				lxm_config_free(&conf);
				return r;
			}
			goto stopped;
		}
		/* a halt that did not take (or could not be sent) ends in the
		 * SIGKILL below */
		if (mode == LXM_STOP_HALT && timeout != 0 &&
		    halt_and_wait(leaf, pidfd, conf.halt_signal, timeout, rt.init_pid) > 0)
			goto stopped;
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		thaw(leaf);
		if (wait_pidfd(pidfd, 10000) <= 0) {
			lxm_config_free(&conf);
			return lxm_error_setr(err, ETIMEDOUT, "init (pid %d) did not die after SIGKILL", (int)rt.init_pid);
		}
	}
stopped:
	if (pidfd >= 0 && !relock_same(lockfd, state_path, &rt)) {
		log_debug("init %d is gone and another command cleaned up after it", (int)rt.init_pid);
		lxm_config_free(&conf);
		return 0;
	}
	lxm_net_teardown(&conf, netnsfd, rt.phys, rt.n_phys);
	lxm_config_free(&conf);
	r = remove_cgroup(paths, name, leaf, err);
	if (r < 0)
		return r;
	remove_runtime(paths, name);
	/* init had died with its monitor: what they left is cleaned up, but
	 * nothing was rebooted */
	if (mode == LXM_STOP_REBOOT)
		return lxm_error_setr(err, ESRCH, "not running: nothing to reboot (init %d had died with its monitor; "
				      "cleaned up after it)", (int)rt.init_pid);
	return 0;
}

/* The monitor closed the connection of a stop: it finished the stop and
 * exited, or it was killed meanwhile. Stopped only once the monitor is
 * gone and its runtime dir with it; a runtime dir left behind (a monitor
 * killed during the stop) is stopped and cleaned up without it. */
static int after_dropped_stop(const struct lxm_paths *paths, const char *name, enum lxm_stop_mode mode,
			      int timeout, int monitor_pidfd, struct lxm_error *err)
{
	_cleanup_free_ char *state = lxm_runtime_path(paths, name, "state");

	/* the connection closes during the monitor's last steps: wait for
	 * the process itself, so nothing of the container remains when we
	 * return */
	if (monitor_pidfd >= 0 && wait_pidfd(monitor_pidfd, 5000) <= 0)
		return lxm_error_setr(err, ETIMEDOUT, "the monitor closed the connection but did not exit");
	if (!state)
		return lxm_error_set(err, ENOMEM, "stopping");
	/* without a pidfd of the monitor, its cleanup is seen in the state
	 * file's removal (5 s at most) */
	for (int t = 0; t < (monitor_pidfd >= 0 ? 1 : 500); t++) {
		if (access(state, F_OK) < 0 && errno == ENOENT) {
			sweep_claims(paths, name);
			return 0;
		}
		if (monitor_pidfd < 0)
			usleep(10000);
	}
	if (mode == LXM_STOP_REBOOT)
		return lxm_error_setr(err, ENOTCONN, "cannot reboot: the monitor is gone (stop and start it instead)");
	log_debug("the monitor is gone and left its runtime dir: stopping without it");
	return stop_without_monitor(paths, name, mode, timeout, err);
}

/* After the reboot signal to init old_pid: wait (timeout s,
 * LXM_STOP_TIMEOUT_FOREVER: no limit) until another init runs, as lxc-stop
 * -r does. It fails when the container stops instead, or still has the
 * old init at the timeout, or when its monitor (monitor_pidfd, -1: not
 * known) dies meanwhile: what it left is then stopped as without it. */
static int wait_reboot(const struct lxm_paths *paths, const char *name, pid_t old_pid, int timeout,
		       int monitor_pidfd, struct lxm_error *err)
{
	_cleanup_free_ char *state = lxm_runtime_path(paths, name, "state");
	uint64_t end = lxm_now_ns() + (uint64_t)MAX(timeout, 0) * 1000000000ULL;
	struct lxm_runtime rt = { 0 };

	if (!state)
		return lxm_error_set(err, ENOMEM, "waiting for the reboot");
	for (;;) {
		/* looked at before the state file: a monitor gone before
		 * that read wrote all it ever will */
		bool monitor_gone = monitor_pidfd >= 0 && wait_pidfd(monitor_pidfd, 0) > 0;

		if (lxm_runtime_read(state, &rt) < 0 || rt.state == LXM_STATE_STOPPED)
			return lxm_error_setr(err, ECANCELED, "it stopped instead of rebooting (init %d)", (int)old_pid);
		if (rt.init_pid != old_pid && rt.state == LXM_STATE_RUNNING) {
			log_debug("rebooted: init %d after %d", (int)rt.init_pid, (int)old_pid);
			return 0;
		}
		/* killed during the reboot: no init comes any more */
		if (monitor_gone) {
			log_debug("the monitor died during the reboot: stopping without it");
			return stop_without_monitor(paths, name, LXM_STOP_REBOOT, timeout, err);
		}
		if (timeout != LXM_STOP_TIMEOUT_FOREVER && lxm_now_ns() >= end)
			return lxm_error_setr(err, ETIMEDOUT,
					      "not rebooted after %d s: init %d %s (-t sets the wait, 0: none)", timeout,
					      (int)rt.init_pid, rt.init_pid == old_pid ? "runs on" : "has not started");
		usleep(20000);
	}
}

int lxm_container_stop(const struct lxm_paths *paths, const char *name, enum lxm_stop_mode mode,
		       int timeout, struct lxm_error *err)
{
	_cleanup_close_ int monitor_pidfd = -1;
	_cleanup_close_ int fd = -1;
	struct lxm_cmd_rsp rsp;
	int r;

	r = lxm_container_check_exists(paths, name, err);
	if (r < 0)
		return r;
	{
		char other[512];

		/* this one is stopped: never stop the other one */
		if (lxm_container_runs_elsewhere(paths, name, other, sizeof(other))) {
			log_warn("%s: not running; the container of that name in '%s' is, and is left alone", name, other);
			return 0;
		}
	}
	fd = connect_monitor(paths, name);
	if (fd == -ETIMEDOUT)   /* a full backlog: it lives, and holds the lock */
		return monitor_stuck(err);
	if (fd < 0)
		return stop_without_monitor(paths, name, mode, timeout, err);
	{
		struct ucred cred;
		socklen_t len = sizeof(cred);

		/* the peer of a live connection is the monitor: its pid is valid */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0)
			monitor_pidfd = (int)syscall(SYS_pidfd_open, cred.pid, 0);
	}
	r = lxm_cmd_call(fd, LXM_CMD_STOP, mode, timeout, &rsp, NULL);
	if (r == -ECONNRESET || r == -EPIPE)   /* the monitor exited while we asked */
		return after_dropped_stop(paths, name, mode, timeout, monitor_pidfd, err);
	if (r == -ETIMEDOUT)
		return monitor_stuck(err);
	if (r < 0)
		return lxm_error_set(err, -r, "sending the stop command");
	if (rsp.ret == -EUSERS)
		return monitor_full(err);
	if (rsp.ret == -EINVAL && (mode == LXM_STOP_NOKILL || timeout == LXM_STOP_TIMEOUT_FOREVER))
		return lxm_error_setr(err, EINVAL, "its monitor (started by an older lxm) knows neither --nokill nor "
				      "-t -1; stop it without them");
	if (rsp.ret == -EBUSY && mode == LXM_STOP_REBOOT)
		return lxm_error_setr(err, EBUSY, "cannot reboot: it is being stopped (%s)", lxm_state_to_string(rsp.state));
	if (rsp.ret < 0)
		return lxm_error_set(err, -rsp.ret, mode == LXM_STOP_REBOOT ? "reboot" : "stop");
	/* the monitor closes our connection once everything is cleaned up; it
	 * kills init itself when the timeout passes (the effective config's,
	 * -s included), so waiting much longer than that means the monitor
	 * is stuck. A reboot is waited for as long as a halt may take. */
	if (timeout == LXM_STOP_TIMEOUT_DEFAULT && mode != LXM_STOP_KILL) {
		struct lxm_config conf = { 0 };
		struct lxm_error cerr = { 0 };

		timeout = load_effective_config(paths, name, &conf, &cerr) == 0 ? (int)conf.stop_timeout : 600;
		lxm_config_free(&conf);
	}
	/* --nokill -t 0: the halt signal is sent, nobody waits */
	if ((mode == LXM_STOP_NOKILL || mode == LXM_STOP_REBOOT) && timeout == 0)
		return 0;
	if (mode == LXM_STOP_REBOOT)
		return wait_reboot(paths, name, rsp.init_pid, timeout, monitor_pidfd, err);
	{
		bool forever = mode != LXM_STOP_KILL && timeout == LXM_STOP_TIMEOUT_FOREVER;
		uint64_t deadline = lxm_now_ns() +
			((uint64_t)(mode == LXM_STOP_KILL || forever ? 0 : timeout) + 30) * 1000000000ULL;

		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			uint64_t now = lxm_now_ns();
			char buf[sizeof(struct lxm_cmd_rsp) + 64];
			ssize_t n;

			if (!forever && now >= deadline)
				return lxm_error_setr(err, ETIMEDOUT, "the monitor did not finish the stop in time");
			r = poll(&p, 1, forever ? -1 : (int)((deadline - now) / 1000000) + 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return lxm_error_set(err, errno, "waiting for the stop");
			if (r == 0)
				continue;
			n = recv(fd, buf, sizeof(buf), 0);
			if (n <= 0)
				break;
			/* a --nokill stop's second answer: init lives on */
			if (mode == LXM_STOP_NOKILL && lxm_cmd_decode_rsp(buf, (size_t)n, &rsp, NULL) == 0 &&
			    rsp.ret == -ETIMEDOUT)
				return still_running(timeout, err);
		}
		return after_dropped_stop(paths, name, mode, timeout, monitor_pidfd, err);
	}
}

/* A connection to the monitor of an existing, running container. */
static int connect_running(const struct lxm_paths *paths, const char *name, struct lxm_error *err)
{
	int r = lxm_container_check_exists(paths, name, err);
	char other[512];
	int fd;

	if (r < 0)
		return r;
	if (lxm_container_runs_elsewhere(paths, name, other, sizeof(other)))
		return lxm_error_setr(err, ENOTCONN, "not running (the container of that name in '%s' is)", other);
	fd = connect_monitor(paths, name);
	if (fd == -ETIMEDOUT)
		return lxm_error_setr(err, ETIMEDOUT, "its monitor does not answer (stuck?)");
	if (fd < 0) {
		struct lxm_container_info info;
		struct lxm_error qerr = { 0 };

		if (lxm_container_query(paths, name, &info, &qerr) == 0 && info.state != LXM_STATE_STOPPED)
			return lxm_error_setr(err, ENOTCONN, "its monitor is gone, and the console with it "
					      "(lxm-stop still stops the container)");
		return lxm_error_setr(err, ENOTCONN, "not running");
	}
	return fd;
}

int lxm_container_console_log(const struct lxm_paths *paths, const char *name, char **ret,
			      size_t *ret_len, struct lxm_error *err)
{
	_cleanup_close_ int fd = -1;
	struct lxm_cmd_rsp rsp;
	int r;

	fd = connect_running(paths, name, err);
	if (fd < 0)
		return fd;
	r = lxm_cmd_call(fd, LXM_CMD_CONSOLE_LOG, 0, 0, &rsp, ret);
	if (r < 0)
		return lxm_error_set(err, -r, "reading the console buffer");
	if (rsp.ret == -EUSERS)
		return monitor_full(err);
	if (rsp.ret < 0)
		return lxm_error_set(err, -rsp.ret, "reading the console buffer");
	*ret_len = rsp.datalen;
	return 0;
}

int lxm_container_console_open(const struct lxm_paths *paths, const char *name, unsigned tty,
			       struct lxm_error *err)
{
	_cleanup_close_ int fd = -1;
	struct lxm_cmd_rsp rsp;
	int r;

	fd = connect_running(paths, name, err);
	if (fd < 0)
		return fd;
	if (tty > LXM_CMD_TTY_MAX)
		return lxm_error_setr(err, EINVAL, "invalid tty %u", tty);
	r = lxm_cmd_call(fd, LXM_CMD_CONSOLE, (int32_t)tty, 0, &rsp, NULL);
	if (r < 0)
		return lxm_error_set(err, -r, "connecting to the console");
	/* a console session waits as long as its user: no send timeout */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){ 0 }, sizeof(struct timeval));
	if (rsp.ret == -EUSERS)
		return monitor_full(err);
	if (rsp.ret == -EBUSY)
		return lxm_error_setr(err, EBUSY, "tty %u is in use by another lxm-console", tty);
	if (rsp.ret == -ENXIO)
		return lxm_error_setr(err, ENXIO, "no tty %u in the container (see console.ttys)", tty);
	if (rsp.ret < 0)
		return lxm_error_set(err, -rsp.ret, "connecting to tty %u", tty);
	return TAKE_FD(fd);
}

int lxm_container_freeze(const struct lxm_paths *paths, const char *name, bool freeze,
			 struct lxm_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *why = NULL;
	struct lxm_cmd_rsp rsp;
	int r;

	r = lxm_container_check_exists(paths, name, err);
	if (r < 0)
		return r;
	{
		char other[512];

		if (lxm_container_runs_elsewhere(paths, name, other, sizeof(other)))
			return lxm_error_setr(err, ENOTCONN, "not running (the container of that name in '%s' is)", other);
	}
	fd = connect_monitor(paths, name);
	if (fd == -ETIMEDOUT)
		return monitor_stuck(err);
	if (fd < 0) {
		struct lxm_container_info info;
		struct lxm_cgroup *cg = NULL;

		r = lxm_container_query(paths, name, &info, err);
		if (r < 0)
			return r;
		if (info.state == LXM_STATE_STOPPED)
			return lxm_error_setr(err, ENOTCONN, "not running");
		r = lxm_container_open_cgroup(paths, name, &cg, err);
		if (r < 0)
			return r;
		r = lxm_cgroup_freeze(cg, freeze, err);
		lxm_cgroup_free(cg);
		return r;
	}
	r = lxm_cmd_call(fd, LXM_CMD_FREEZE, freeze ? 1 : 0, 0, &rsp, &why);
	if (r == -ETIMEDOUT)
		return monitor_stuck(err);
	if (r < 0)
		return lxm_error_set(err, -r, "sending the freeze command");
	if (rsp.ret == -EUSERS)
		return monitor_full(err);
	if (rsp.ret < 0 && why)   /* the monitor's own words */
		return lxm_error_setr(err, -rsp.ret, "%s: %s", freeze ? "freezing" : "thawing", why);
	if (rsp.ret < 0)
		return lxm_error_set(err, -rsp.ret, freeze ? "freezing" : "thawing");
	return 0;
}

/* The directory of the container whose rootfs is lower, when it is one:
 * <lxmpath>/<a valid name>; else NULL. */
static char *snapshot_base_dir(const struct lxm_paths *paths, const char *lower)
{
	_cleanup_free_ char *parent = strdup(lower), *real_path = realpath(paths->lxmpath, NULL);
	_cleanup_free_ char *real_parent = NULL;
	char *slash, *name;

	if (!parent || !real_path)
		return NULL;
	/* the lower layer's directory, not where a symlinked rootfs leads */
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return NULL;
	*slash = '\0';
	real_parent = realpath(parent, NULL);
	if (!real_parent)
		return NULL;
	name = strrchr(real_parent, '/');
	if (!name || lxm_name_validate(name + 1, NULL) < 0)
		return NULL;
	/* <lxmpath>/<name> ("/" as lxmpath: /<name>) */
	if (!streq(real_path, "/") &&
	    ((size_t)(name - real_parent) != strlen(real_path) || strncmp(real_parent, real_path, strlen(real_path))))
		return NULL;
	if (streq(real_path, "/") && name != real_parent)
		return NULL;
	return TAKE_PTR(real_parent);
}

/* 1: a start or a monitor of this container holds the lock of the runtime
 * dir; 0: nobody (or there is none), or one of the same name in another
 * lxmpath; -errno: cannot be told. */
static int rundir_claimed(const struct lxm_paths *paths, const char *name)
{
	_cleanup_free_ char *lock = lxm_runtime_path(paths, name, "lock");
	char other[512];
	int r = lock ? lxm_lock_held_at(AT_FDCWD, lock) : -ENOMEM;

	if (r > 0 && lxm_container_runs_elsewhere(paths, name, other, sizeof(other)))
		return 0;
	return r;
}

static int rundir_lock_error(const struct lxm_paths *paths, const char *name, int code, struct lxm_error *err)
{
	_cleanup_free_ char *lock = lxm_runtime_path(paths, name, "lock");

	return lxm_error_set(err, code, "checking the lock '%s'", lock ? lock : "?");
}

int lxm_container_hold_stopped(const struct lxm_paths *paths, const char *name, const char *what,
			       bool name_in_errors, struct lxm_inuse *ret, struct lxm_error *err)
{
	_cleanup_free_ char *dir = lxm_container_path(paths, name, NULL), *quoted = NULL;
	_cleanup_(lxm_inuse_release) struct lxm_inuse hold = LXM_INUSE_INIT;
	struct lxm_container_info info;
	const char *who;
	int r;

	quoted = name_in_errors ? lxm_strdup_printf("'%s' ", name) : strdup("");
	if (!dir || !quoted)
		return lxm_error_set(err, ENOMEM, "locking");
	who = quoted;
	r = lxm_container_check_exists(paths, name, err);
	if (r < 0)
		return r;
	r = lxm_inuse_take(dir, what, &hold);
	/* a read-only directory (a backup mounted so) is read without: no
	 * start changes its files, no destroy removes them */
	if (r == -EROFS)
		log_debug("locking '%s' for reading: %s, going on without", dir, strerror(-r));
	else if (r < 0)
		return lxm_error_set(err, -r, "locking '%s' for reading (" LXM_INUSE_PREFIX "*)", dir);
	/* the lock first, then the checks: a start claims the runtime dir,
	 * a destroy takes its lock, then they look for ours */
	r = lxm_container_query(paths, name, &info, err);
	if (r < 0)
		return r;
	if (info.state != LXM_STATE_STOPPED)
		return lxm_error_setr(err, EBUSY, "%sis %s; stop it first", who, lxm_state_to_string(info.state));
	/* a start that has not written its state yet */
	r = rundir_claimed(paths, name);
	if (r < 0)
		return rundir_lock_error(paths, name, -r, err);
	if (r > 0)
		return lxm_error_setr(err, EBUSY, "%sis being started or stopped; try again once it is stopped", who);
	r = lxm_snapshot_being_destroyed(dir);
	if (r > 0)
		return lxm_error_setr(err, EBUSY, "%sis being destroyed", who);
	if (r < 0)
		return lxm_error_set(err, -r, "checking whether '%s' is being destroyed", dir);
	*ret = hold;
	hold = (struct lxm_inuse)LXM_INUSE_INIT;
	return 0;
}

/* After a stop: the monitor's cleanup may still be under way (lxm-stop
 * waits 5 s for it at most, none when the connection broke); the
 * directory goes only once nothing holds the runtime dir. */
static int wait_rundir_released(const struct lxm_paths *paths, const char *name, struct lxm_error *err)
{
	int r = 0;

	for (int t = 0; t < 500 && (r = rundir_claimed(paths, name)) > 0; t++)
		usleep(10 * 1000);
	if (r > 0)
		return lxm_error_setr(err, EBUSY, "its monitor still runs after the stop; try again");
	if (r < 0)
		return rundir_lock_error(paths, name, -r, err);
	return 0;
}

/* A stopped container with a state file of its own: its monitor was
 * killed (SIGKILL), and its init died. The runtime dir and the cgroup it
 * records go as lxm-stop removes them: once the container is gone,
 * nothing would (the cgroup's owner mark names it). */
static int cleanup_killed_monitor(const struct lxm_paths *paths, const char *name, struct lxm_error *err)
{
	struct lxm_runtime rt;
	int r = read_own_runtime(paths, name, &rt);

	if (r == -ENOMEM)
		return lxm_error_set(err, ENOMEM, "destroying");
	if (r < 0)
		return 0;
	if (lxm_container_stop(paths, name, LXM_STOP_KILL, 0, err) < 0)
		return lxm_error_prefix(err, "cleaning up after its killed monitor");
	return 0;
}

/* A destroy that did not happen: its lock file goes (a copy that opened
 * it meanwhile refuses once, harmlessly). */
static void drop_destroy_lock(const char *dir)
{
	_cleanup_free_ char *lock = lxm_strdup_printf("%s/" LXM_DESTROYING_FILE, dir);

	if (lock)
		(void)unlink(lock);
}

/* The container's directory locked for the walk, under either name: a
 * later destroy sweeps it only once nobody holds that (it is what a destroy
 * killed halfway leaves). lxm-cgroup holds it while it saves the config. A
 * filesystem without flock on directories gets no lock (and no sweep). */
static int lock_dir(const char *dir, int *ret_fd, struct lxm_error *err)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r;

	if (fd < 0)
		return lxm_error_set(err, errno, "opening '%s'", dir);
	r = lxm_flock_retry(fd, 500, 10 * 1000);
	if (r == -EWOULDBLOCK)
		return lxm_error_setr(err, EBUSY, "'%s' is locked by another command (lxm-cgroup?); try again", dir);
	if (r < 0)
		log_debug("locking '%s': %s, going on without", dir, strerror(-r));
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* A directory a destroy killed halfway left (LXM_DESTROY_PREFIX): its
 * lock free, and what is locked is what is removed. */
static bool destroy_abandoned(int parentfd, const char *name, int topfd, int *ret_hold _unused_)
{
	struct stat a, b;

	return flock(topfd, LOCK_EX | LOCK_NB) == 0 && fstat(topfd, &a) == 0 &&
	       fstatat(parentfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int lxm_container_destroy(const struct lxm_paths *paths, const char *name, bool force,
			  struct lxm_error *err)
{
	_cleanup_close_ int lxmfd = -1, partialfd = -1, destroyfd = -1, topfd = -1;
	_cleanup_free_ char *partial = NULL, *dir = NULL, *base_dir = NULL;
	struct lxm_container_info info;
	int r;

	r = lxm_name_validate(name, err);
	if (r < 0)
		return r;
	partial = lxm_container_path(paths, name, "partial");
	dir = lxm_container_path(paths, name, NULL);
	if (!partial || !dir)
		return lxm_error_set(err, ENOMEM, "destroying");
	{
		struct stat st;

		/* nothing outside <lxmpath>, not even where a link leads */
		if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
			return lxm_error_setr(err, ELOOP, "'%s' is a symbolic link: lxm-destroy removes only a real "
					      "directory (remove the link and what it leads to by hand)", dir);
	}
	partialfd = open(partial, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (partialfd >= 0) {
		/* an interrupted create is destroyable; a running one is not
		 * (a snapshot base's probe holds it shared for an instant) */
		if (lxm_flock_retry(partialfd, 20, 500) < 0)
			return lxm_error_setr(err, EBUSY, "the container is being created");
		r = lock_dir(dir, &topfd, err);
		if (r < 0)
			return r;
	} else {
		r = lxm_container_query(paths, name, &info, err);
		if (r < 0)
			return r;
		/* the lock first, then the marks: an lxm-copy -s of this
		 * container at the same time either is seen here or sees the
		 * lock (lxm_snapshot_being_destroyed) */
		destroyfd = lxm_snapshot_destroy_lock(dir);
		if (destroyfd == -EBUSY)
			return lxm_error_setr(err, EBUSY, "is being destroyed already");
		if (destroyfd < 0)
			return lxm_error_set(err, -destroyfd, "locking '%s/" LXM_DESTROYING_FILE "'", dir);
		r = lock_dir(dir, &topfd, err);
		/* the lock first, then the readers' locks: a full lxm-copy or
		 * an lxm-export of it either is seen here or sees the lock */
		if (r == 0)
			r = lxm_inuse_check(dir, err);
		if (r == 0) {
			_cleanup_strv_ char **snaps = NULL;
			_cleanup_free_ char *first = NULL, *rootfs = NULL;
			size_t n_snaps = 0, n_marked = 0;
			struct lxm_config conf = { 0 };

			/* the snapshots' overlays have this rootfs as their lower
			 * layer: by their marks (one being made counts), and by
			 * every config (a snapshot without a mark) */
			if (lxm_container_load_config(paths, name, &conf, err) == 0) {
				rootfs = lxm_config_rootfs_path(&conf, dir);
				/* a snapshot: its mark in its base's dir goes with it */
				if (conf.rootfs_overlay_lower)
					base_dir = snapshot_base_dir(paths, conf.rootfs_overlay_lower);
			}
			lxm_config_free(&conf);
			lxm_error_clear(err);
			if (rootfs && lxm_snapshot_count(paths, dir, rootfs, &n_marked, &first) == 0 && n_marked)
				r = lxm_error_setr(err, EBUSY, "is the base of %zu snapshot(s) ('%s'%s); destroy them first",
						   n_marked, first ? first : "?", n_marked > 1 ? ", ..." : "");
			else if (lxm_container_snapshots(paths, name, &snaps, &n_snaps) == 0 && n_snaps)
				r = lxm_error_setr(err, EBUSY, "is the base of %zu snapshot(s) ('%s'%s); destroy them first",
						   n_snaps, snaps[0], n_snaps > 1 ? ", ..." : "");
		}
		/* a start claims the runtime dir, then looks for the lock
		 * taken above: one that got past that is seen here, also
		 * before it answers as running */
		if (r == 0 && info.state == LXM_STATE_STOPPED) {
			int claimed = rundir_claimed(paths, name);

			if (claimed < 0)
				r = rundir_lock_error(paths, name, -claimed, err);
			else if (claimed && (r = lxm_container_query(paths, name, &info, err)) == 0 &&
				 info.state == LXM_STATE_STOPPED)
				r = lxm_error_setr(err, EBUSY, "is being started or stopped; try again");
		}
		if (r == 0 && info.state == LXM_STATE_STOPPED)
			r = cleanup_killed_monitor(paths, name, err);
		if (r == 0 && info.state != LXM_STATE_STOPPED) {
			if (!force)
				r = lxm_error_setr(err, EBUSY, "is %s; stop it first, or use -f",
						   lxm_state_to_string(info.state));
			else if ((r = lxm_container_stop(paths, name, LXM_STOP_KILL, 0, err)) < 0)
				lxm_error_prefix(err, "stopping");
			else
				r = wait_rundir_released(paths, name, err);
		}
		if (r < 0) {
			drop_destroy_lock(dir);
			return r;
		}
	}
	lxmfd = open(paths->lxmpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lxmfd < 0)
		return lxm_error_set(err, errno, "opening '%s'", paths->lxmpath);
	/* a snapshot's mark in its base's dir, before its own dir goes (an
	 * lxm-copy -s making a new one of that name marks again after) */
	if (base_dir && (r = lxm_snapshot_unregister(base_dir, name)) < 0)
		log_debug("removing the snapshot mark '%s/" LXM_SNAPSHOTS_DIR "/%s': %s, ignoring", base_dir, name,
			  strerror(-r));
	/* out of the way at once, under a name no command takes: an lxm-copy
	 * -s that comes now finds no directory (and the walk below may take
	 * long), a new container of this name can be made meanwhile */
	{
		char gone[NAME_MAX + 1];

		snprintf(gone, sizeof(gone), LXM_DESTROY_PREFIX "%d-%.200s", (int)getpid(), name);
		if (renameat2(lxmfd, name, lxmfd, gone, RENAME_NOREPLACE) < 0) {
			r = lxm_error_set(err, errno, "renaming '%s/%s' to '%s' to remove it", paths->lxmpath, name,
					  gone);
			if (destroyfd >= 0)
				drop_destroy_lock(dir);
			if (base_dir)
				(void)lxm_snapshot_register(base_dir, name);
			return r;
		}
		/* the remains of a failed walk stay destroyable */
		r = lxm_remove_tree_last_at(lxmfd, gone, partialfd >= 0 ? "partial" : "config", err);
		if (r < 0) {
			/* what is left keeps its name (and a snapshot its
			 * mark), for another try */
			if (renameat2(lxmfd, gone, lxmfd, name, RENAME_NOREPLACE) == 0) {
				if (destroyfd >= 0)
					drop_destroy_lock(dir);
				if (base_dir)
					(void)lxm_snapshot_register(base_dir, name);
				return lxm_error_prefix(err, "removing '%s/%s'", paths->lxmpath, name);
			}
			return lxm_error_prefix(err, "removing '%s/%s' (left as '%s')", paths->lxmpath, name, gone);
		}
	}
	lxm_sweep_leftovers(lxmfd, paths->lxmpath, LXM_DESTROY_PREFIX, destroy_abandoned, NULL, "destroy");
	sweep_claims(paths, name);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int lxm_container_list(const struct lxm_paths *paths, char ***ret, size_t *ret_n)
{
	DIR *d = opendir(paths->lxmpath);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	*ret = NULL;
	*ret_n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct stat st;
		char path[NAME_MAX + 16];

		if (de->d_name[0] == '.' || lxm_name_validate(de->d_name, NULL) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/config", de->d_name);
		/* one we may not look into is listed: the caller says why it
		 * cannot show it, rather than leave it out unsaid */
		if (fstatat(dirfd(d), path, &st, 0) < 0 ? errno != EACCES : !S_ISREG(st.st_mode))
			continue;
		snprintf(path, sizeof(path), "%s/partial", de->d_name);
		if (fstatat(dirfd(d), path, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (n == cap) {
			char **nn;
			cap = cap ? cap * 2 : 16;
			nn = realloc(names, (cap + 1) * sizeof(char *));
			if (!nn)
				goto oom;
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			goto oom;
		names[++n] = NULL;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(char *), cmp_str);
	*ret = names;
	*ret_n = n;
	return 0;
oom:
	closedir(d);
	lxm_strv_free(names, n);
	return -ENOMEM;
}

int lxm_container_snapshots(const struct lxm_paths *paths, const char *name, char ***ret, size_t *ret_n)
{
	_cleanup_free_ char *dir = lxm_container_path(paths, name, NULL), *base = NULL, *real = NULL;
	struct lxm_config conf = { 0 };
	struct lxm_error err = { 0 };
	char **names = NULL, **out = NULL;
	size_t n = 0, k = 0;
	int r;

	*ret = NULL;
	*ret_n = 0;
	if (!dir)
		return -ENOMEM;
	if (lxm_container_load_config(paths, name, &conf, &err) < 0)
		return 0;
	base = lxm_config_rootfs_path(&conf, dir);
	lxm_config_free(&conf);
	if (!base)
		return -ENOMEM;
	real = realpath(base, NULL);
	if (!real)
		return 0;
	r = lxm_container_list(paths, &names, &n);
	if (r < 0)
		return r;
	out = calloc(n + 1, sizeof(char *));
	if (!out) {
		lxm_strv_free(names, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct lxm_config c = { 0 };
		_cleanup_free_ char *lower = NULL;

		if (streq(names[i], name) || lxm_container_load_config(paths, names[i], &c, &err) < 0) {
			lxm_config_free(&c);
			continue;
		}
		if (c.rootfs_overlay_lower)
			lower = realpath(c.rootfs_overlay_lower, NULL);
		lxm_config_free(&c);
		if (lower && streq(lower, real))
			out[k++] = TAKE_PTR(names[i]);
	}
	/* not lxm_strv_free(): it stops at the first NULL, a name taken above */
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	*ret = out;
	*ret_n = k;
	return 0;
}
