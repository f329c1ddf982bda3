#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>

#include "apparmor.h"
#include "cgroup-limits.h"
#include "cmd.h"
#include "devcg.h"
#include "log.h"
#include "monitor.h"
#include "net.h"

/* an idle monitor drops the text pages it faulted in (see trim_resident_set) */
#define LXM_MONITOR_TRIM_AFTER_MS 200

/* epoll tags: small integers for the fixed fds, client slots above */
enum {
	TAG_PIDFD = 1,
	TAG_LISTEN,
	TAG_CONSOLE,
	TAG_TIMER,
	TAG_SIGNAL,
	TAG_STDIN,
	TAG_REJECT_BASE = 100,
	TAG_TTY_BASE = 1000,
	TAG_CLIENT_BASE = 100000,
};

static int epoll_add(int epfd, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int lxm_monitor_setup(struct lxm_monitor *m, struct lxm_error *err)
{
	const struct lxm_config *conf = m->conf;
	struct lxm_cgroup_limits limits;
	int r;

	r = lxm_pty_open(&m->console, err);
	if (r < 0)
		return r;
	if (conf->console.ttys) {
		m->ttys = calloc(conf->console.ttys, sizeof(*m->ttys));
		if (!m->ttys)
			return lxm_error_set(err, ENOMEM, "allocating ttys");
		for (size_t i = 0; i < conf->console.ttys; i++) {
			r = lxm_pty_open(&m->ttys[i], err);
			if (r < 0)
				return lxm_error_prefix(err, "tty%zu", i + 1);
			m->n_ttys++;
		}
	}
	if (lxm_ring_init(&m->ring, conf->console.buffer) < 0)
		return lxm_error_set(err, ENOMEM, "allocating the console buffer");
	if (conf->console.log && conf->console.log[0]) {
		_cleanup_free_ char *path = conf->console.log[0] == '/' ? strdup(conf->console.log)
			: lxm_strdup_printf("%s/%s", m->dir, conf->console.log);
		if (!path)
			return lxm_error_set(err, ENOMEM, "console log");
		r = lxm_console_log_open(&m->log, path, conf->console.log_size, err);
		if (r < 0)
			return r;
	}

	log_debug("console and %zu ttys allocated", m->n_ttys);
	lxm_cgroup_limits_of(conf, &limits);
	{
		/* tells its cgroup from that of a container of the same name
		 * in another lxmpath */
		char owner[LXM_CGROUP_OWNER_MAX];

		r = lxm_cgroup_owner_of(m->dir, owner, sizeof(owner));
		if (r < 0)
			return lxm_error_set(err, -r, "cgroup: reading the container directory '%s'", m->dir);
		r = lxm_cgroup_create(m->name, owner, &limits, &m->cg, err);
	}
	if (r < 0)
		return r;
	log_debug("cgroup '%s' created", lxm_cgroup_rel_path(m->cg));
	{
		/* before clone3 puts init into the cgroup */
		_cleanup_free_ struct lxm_devcg_rule *rules = NULL;
		size_t n_rules = 0;

		r = lxm_devcg_rules_new(conf->devices, conf->n_devices, &rules, &n_rules);
		if (r < 0)
			return lxm_error_set(err, -r, "device policy");
		r = lxm_cgroup_set_devices(m->cg, rules, n_rules, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The foreground console's copy on stdout must neither block the loop (a
 * pipe nobody reads: lxm-stop and lxm-info would hang) nor end the monitor
 * (a reader gone: EPIPE, with SIGPIPE ignored). A pipe or a terminal is
 * reopened through /proc with O_NONBLOCK: setting that on fd 1 would change
 * the file description that the caller's shell shares. A socket gets
 * MSG_DONTWAIT; a regular file never blocks. */
static void stdout_setup(struct lxm_monitor *m)
{
	struct stat st;
	char path[64];
	int fd;

	if (m->stdout_fd < 0 || m->stdout_own)
		return;
	if (fstat(m->stdout_fd, &st) < 0) {
		m->stdout_fd = -1;
		return;
	}
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return;
	if (S_ISSOCK(st.st_mode)) {
		m->stdout_sock = true;
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m->stdout_fd);
	fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("reopening stdout without blocking: %s, the console is not copied there", strerror(errno));
		m->stdout_fd = -1;
		return;
	}
	m->stdout_fd = fd;
	m->stdout_own = true;
	m->stdout_tty = isatty(fd);
}

/* The log on stderr (no -o) of a foreground monitor: like the console's
 * copy on stdout, a line that does not fit in a pipe nobody reads is
 * dropped, never waited for. Through a description of our own, so the
 * caller's stderr stays as it was. */
static void stderr_setup(void)
{
	struct stat st;
	int fd;

	if (lxm_log_fd() != STDERR_FILENO || fstat(STDERR_FILENO, &st) < 0 ||
	    !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
		return;
	fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0)
		lxm_log_to_fd(fd);
}

/* Console output to stdout (foreground). What does not fit is dropped, as
 * for a console client that cannot keep up; a terminal gets a moment to
 * drain first, but not again while it stays stalled. A reader gone (EPIPE)
 * or a terminal hung up (EIO) ends the copy. */
static void stdout_write(struct lxm_monitor *m, const char *buf, size_t len)
{
	int tries = 0;

	for (size_t done = 0; done < len;) {
		ssize_t n = m->stdout_sock ? send(m->stdout_fd, buf + done, len - done, MSG_DONTWAIT | MSG_NOSIGNAL)
					   : write(m->stdout_fd, buf + done, len - done);

		if (n > 0) {
			done += (size_t)n;
			m->stdout_stalled = false;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			if (m->stdout_tty && !m->stdout_stalled && tries++ < 5) {
				struct pollfd p = { .fd = m->stdout_fd, .events = POLLOUT };
				(void)poll(&p, 1, 10);
				continue;
			}
			m->stdout_stalled = true;
			log_debug("stdout: %zu bytes of console output dropped", len - done);
			return;
		}
		log_debug("stdout: %s, no longer copying the console there", n < 0 ? strerror(errno) : "short write");
		if (m->stdout_own)
			close(m->stdout_fd);
		m->stdout_fd = -1;
		m->stdout_own = false;
		return;
	}
}

int lxm_monitor_listen(struct lxm_monitor *m, struct lxm_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (lxm_strscpy(sa.sun_path, m->sock_path, sizeof(sa.sun_path)) < 0)
		return lxm_error_setr(err, ENAMETOOLONG, "command socket path '%s' is too long", m->sock_path);
	m->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (m->listen_fd < 0)
		return lxm_error_set(err, errno, "creating the command socket");
	unlink(m->sock_path);
	if (bind(m->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(m->listen_fd, 16) < 0)
		return lxm_error_set(err, errno, "binding the command socket '%s'", m->sock_path);
	chmod(m->sock_path, 0600);

	m->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (m->epoll_fd < 0 || m->timer_fd < 0)
		return lxm_error_set(err, errno, "creating the monitor's event loop");
	if (epoll_add(m->epoll_fd, m->listen_fd, TAG_LISTEN) < 0 ||
	    epoll_add(m->epoll_fd, m->console.master, TAG_CONSOLE) < 0 ||
	    epoll_add(m->epoll_fd, m->timer_fd, TAG_TIMER) < 0)
		return lxm_error_set(err, errno, "setting up the monitor's event loop");
	for (size_t i = 0; i < m->n_ttys; i++)
		if (epoll_add(m->epoll_fd, m->ttys[i].master, TAG_TTY_BASE + i) < 0)
			return lxm_error_set(err, errno, "setting up the monitor's event loop");
	{
		/* SIGTERM and SIGINT halt the container cleanly, as lxm-stop
		 * does (systemd, a shutdown's kill of every process): a
		 * monitor that died of them would leave the container without
		 * its console and its cleanup. SIGHUP is the terminal's hangup
		 * in the foreground; a detached monitor has none and ignores it. */
		sigset_t set;

		lxm_monitor_halt_signals(&set);
		if (m->foreground)
			sigaddset(&set, SIGHUP);
		else
			signal(SIGHUP, SIG_IGN);
		sigprocmask(SIG_BLOCK, &set, NULL);
		m->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
		if (m->signal_fd < 0 || epoll_add(m->epoll_fd, m->signal_fd, TAG_SIGNAL) < 0)
			return lxm_error_set(err, errno, "setting up signal handling");
	}
	if (m->foreground) {
		if (m->stdin_fd >= 0 && epoll_add(m->epoll_fd, m->stdin_fd, TAG_STDIN) < 0)
			m->stdin_fd = -1;
		stdout_setup(m);
		stderr_setup();
	}
	return 0;
}

void lxm_monitor_halt_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

int lxm_monitor_write_state(struct lxm_monitor *m)
{
	struct lxm_runtime rt = {
		.init_pid = m->pid,
		.init_starttime = m->starttime,
		.monitor_pid = getpid(),
		.state = m->state,
		.confine = m->confine,
	};

	/* the one init runs in: "lxm/<name>-<n>" when another container
	 * of the name has "lxm/<name>" */
	if (m->cg)
		snprintf(rt.cgroup, sizeof(rt.cgroup), "%s", lxm_cgroup_rel_path(m->cg));
	lxm_runtime_set_dir(&rt, m->dir);
	memcpy(rt.phys, m->phys, sizeof(rt.phys));
	rt.n_phys = m->n_phys;
	/* none when they do not fit: lxm-attach reads mountinfo then */
	if (m->cg) {
		size_t n;
		const struct lxm_cgroup_hierarchy *h = lxm_cgroup_hierarchies(m->cg, &n);

		if (lxm_cgroup_format_mounts(h, n, rt.cgroup_mounts, sizeof(rt.cgroup_mounts)) < 0)
			rt.cgroup_mounts[0] = '\0';
	}
	return lxm_runtime_write(m->state_path, &rt);
}

static void send_signal(struct lxm_monitor *m, int sig)
{
	if (m->pidfd >= 0 && syscall(SYS_pidfd_send_signal, m->pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
		log_warn("sending signal %d to init: %s", sig, strerror(errno));
}

/* After a stop's signal: a frozen init sits in the refrigerator with the
 * signal pending and would never act on it (a (v1) SIGKILL neither). LXC
 * thaws on a stop too. */
static void thaw_to(struct lxm_monitor *m, const char *what)
{
	struct lxm_error err = { 0 };
	bool frozen = false;

	if (m->cg && lxm_cgroup_is_frozen(m->cg, &frozen) == 0 && frozen &&
	    lxm_cgroup_freeze(m->cg, false, &err) < 0)
		log_warn("thawing to %s: %s, ignoring", what, err.msg);
}

/* A halt or reboot signal goes to init once it takes it: in its first
 * moments (a stop right after the start) init has set up nothing yet and
 * the kernel would drop it. Held meanwhile, looked at again by the timer,
 * for up to limit s (-1: no limit): a reboot that came true long after
 * lxm-stop -r said it did not would come out of the blue. */
static void send_when_taken(struct lxm_monitor *m, int sig, int limit)
{
	if (m->pidfd >= 0 && lxm_proc_signal_taken(m->pid, sig) == 0) {
		uint64_t now = lxm_now_ns();

		if (!m->held_sig) {
			m->held_since = now;
			log_info("init does not take signal %d yet, holding it", sig);
		}
		m->held_sig = sig;
		m->held_until = limit < 0 ? 0 : now + (uint64_t)limit * 1000000000ULL;
		return;
	}
	m->held_sig = 0;
	send_signal(m, sig);
}

static void send_held(struct lxm_monitor *m)
{
	int sig = m->held_sig;

	if (!sig)
		return;
	if (m->pidfd >= 0 && lxm_proc_signal_taken(m->pid, sig) == 0) {
		if (m->held_until && lxm_now_ns() >= m->held_until) {
			log_warn("init did not take signal %d within %.1f s, dropping it", sig,
				 (double)(m->held_until - m->held_since) / 1e9);
			m->held_sig = 0;
		}
		return;
	}
	m->held_sig = 0;
	log_info("init takes signal %d now, sending it", sig);
	send_signal(m, sig);
}

static void kill_init(struct lxm_monitor *m)
{
	m->kill_sent = true;
	m->kill_at = 0;
	m->held_sig = 0;
	send_signal(m, SIGKILL);
	thaw_to(m, "kill");
}

/* The timer goes off at the first of the SIGKILL time, the --nokill
 * waiters' deadlines and the next look at a held signal. */
static void rearm_timer(struct lxm_monitor *m)
{
	struct itimerspec its = { 0 };
	uint64_t at = m->kill_at;

	if (m->held_sig) {
		uint64_t now = lxm_now_ns();
		uint64_t look = now + lxm_signal_hold_step_ms(now - m->held_since) * 1000000ULL;

		if (m->held_until && m->held_until < look)
			look = m->held_until;
		if (!at || look < at)
			at = look;
	}

	for (size_t slot = 0; slot < LXM_MONITOR_MAX_CLIENTS; slot++)
		if (m->client_nokill[slot] && m->client_nokill[slot] != UINT64_MAX &&
		    (!at || m->client_nokill[slot] < at))
			at = m->client_nokill[slot];
	if (at) {
		its.it_value.tv_sec = (time_t)(at / 1000000000ULL);
		its.it_value.tv_nsec = (long)(at % 1000000000ULL);
	}
	if (timerfd_settime(m->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_warn("setting the stop timer: %s", strerror(errno));
}

/* Only stops without SIGKILL (--nokill, -t -1) were under way and none
 * waits any more: the halt did not take, the container runs on (a later
 * stop sends the halt signal again). */
static void maybe_resume(struct lxm_monitor *m)
{
	if (!m->stop_requested || m->stop_final || m->pidfd < 0)
		return;
	for (size_t slot = 0; slot < LXM_MONITOR_MAX_CLIENTS; slot++)
		if (m->client_nokill[slot])
			return;
	log_info("init did not halt and nobody waits for it (no SIGKILL): running on");
	m->stop_requested = false;
	m->held_sig = 0;
	m->state = LXM_STATE_RUNNING;
	lxm_monitor_write_state(m);
}

/* A --nokill waiter's time is up: it gets a second response, -ETIMEDOUT,
 * and waits no more. */
static void nokill_give_up(struct lxm_monitor *m, size_t slot)
{
	struct lxm_cmd_rsp rsp = { .magic = LXM_CMD_MAGIC, .ret = -ETIMEDOUT };

	m->client_nokill[slot] = 0;
	m->client_waits[slot] = false;
	maybe_resume(m);
	rsp.state = m->state;
	rsp.init_pid = m->pid;
	if (send(m->clients[slot], &rsp, sizeof(rsp), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("client %zu: telling it the halt did not take: %s", slot, strerror(errno));
}

/* The SIGKILL time is brought forward by a later halt request, never
 * pushed back; once SIGKILL is sent there is none. */
static void set_kill_time(struct lxm_monitor *m, int timeout)
{
	uint64_t at;

	if (m->kill_sent || timeout == LXM_STOP_TIMEOUT_FOREVER) {
		if (!m->kill_sent && !m->kill_at)
			log_info("halting, no SIGKILL");
		return;
	}
	at = lxm_now_ns() + (uint64_t)timeout * 1000000000ULL;
	if (m->kill_at && m->kill_at <= at)
		return;
	m->kill_at = at;
	log_info("halting, SIGKILL in %d s", timeout);
}

/* The halt signal, once per stop (a second one could start init's
 * shutdown over, or count as a forced one), and a thaw. limit: how long
 * it is held (send_when_taken). */
static void signal_halt(struct lxm_monitor *m, int limit)
{
	if (!m->stop_requested)
		send_when_taken(m, m->conf->halt_signal, limit);
	thaw_to(m, "halt");
}

/* The halt signal, and the container STOPPING: it is held for as long as
 * the stop goes on (until the SIGKILL or the last --nokill waiter). */
static void send_halt(struct lxm_monitor *m)
{
	signal_halt(m, -1);
	m->stop_requested = true;
	m->state = LXM_STATE_STOPPING;
}

/* slot: the requester, LXM_MONITOR_MAX_CLIENTS for none. Returns whether
 * it waits (for the close at the cleanup, or a --nokill's answer). */
static bool begin_stop(struct lxm_monitor *m, enum lxm_stop_mode mode, int timeout, size_t slot)
{
	bool waits = true;

	if (timeout == LXM_STOP_TIMEOUT_DEFAULT)
		timeout = (int)m->conf->stop_timeout;
	switch (mode) {
	case LXM_STOP_HALT:
	case LXM_STOP_KILL:
		if (mode == LXM_STOP_HALT && timeout == LXM_STOP_TIMEOUT_FOREVER &&
		    slot < LXM_MONITOR_MAX_CLIENTS) {
			/* no SIGKILL ever: only its waiter holds the stop, as
			 * a --nokill's does (an interrupted lxm-stop -t -1 left
			 * an init that ignores the halt STOPPING for good, and
			 * unfreezable) */
			set_kill_time(m, timeout);
			send_halt(m);
			m->client_nokill[slot] = UINT64_MAX;
			break;
		}
		if (mode == LXM_STOP_HALT && timeout != 0) {
			m->stop_final = true;
			set_kill_time(m, timeout);
			send_halt(m);
			break;
		}
		/* -t 0 is a kill */
		m->stop_requested = m->stop_final = true;
		m->state = LXM_STATE_STOPPING;
		kill_init(m);
		break;
	case LXM_STOP_NOKILL:
		if (timeout == 0) {
			/* the signal only: nobody waits, nothing to undo; held
			 * no longer than a stop would wait */
			signal_halt(m, (int)m->conf->stop_timeout);
			waits = false;
			break;
		}
		send_halt(m);
		if (slot < LXM_MONITOR_MAX_CLIENTS) {
			m->client_nokill[slot] = timeout == LXM_STOP_TIMEOUT_FOREVER ? UINT64_MAX :
						 lxm_now_ns() + (uint64_t)timeout * 1000000000ULL;
			log_info("halting, no SIGKILL (--nokill)");
		}
		break;
	case LXM_STOP_REBOOT:
		/* held as long as lxm-stop -r waits (-t 0: as a stop would) */
		send_when_taken(m, m->conf->reboot_signal,
				timeout == 0 ? (int)m->conf->stop_timeout :
				timeout == LXM_STOP_TIMEOUT_FOREVER ? -1 : timeout);
		/* frozen, init would never act on it */
		thaw_to(m, "reboot");
		if (m->state == LXM_STATE_FROZEN)
			m->state = LXM_STATE_RUNNING;
		waits = false;
		break;
	default:
		waits = false;
		break;
	}
	rearm_timer(m);
	lxm_monitor_write_state(m);
	return waits;
}

static void client_close(struct lxm_monitor *m, size_t slot)
{
	if (m->clients[slot] < 0)
		return;
	epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, m->clients[slot], NULL);
	close(m->clients[slot]);
	m->clients[slot] = -1;
	m->client_console[slot] = 0;
	m->client_waits[slot] = false;
	/* an lxm-stop --nokill or -t -1 that gave up (^C) */
	if (m->client_nokill[slot]) {
		m->client_nokill[slot] = 0;
		maybe_resume(m);
		rearm_timer(m);
	}
}

/* The pty master behind console stream number tty (0 console, N ttyN). */
static int console_master(struct lxm_monitor *m, unsigned tty)
{
	if (tty == 0)
		return m->console.master;
	return tty <= m->n_ttys ? m->ttys[tty - 1].master : -1;
}

/* Output of a tty to every client attached to it. A client that cannot
 * keep up loses this chunk rather than stalling the container's console
 * (and init with it); one that is gone is dropped. Returns the number of
 * clients attached. */
static size_t console_broadcast(struct lxm_monitor *m, unsigned tty, const char *data, size_t len)
{
	char pkt[sizeof(struct lxm_console_msg) + LXM_CONSOLE_DATA_MAX];
	size_t n_clients = 0;

	for (size_t done = 0; done < len;) {
		struct lxm_console_msg msg = { .type = LXM_CONSOLE_DATA };
		ssize_t n;

		msg.datalen = (uint32_t)MIN(len - done, (size_t)LXM_CONSOLE_DATA_MAX);
		n = lxm_console_msg_encode(&msg, data + done, pkt, sizeof(pkt));
		if (n < 0)
			return n_clients;
		done += msg.datalen;
		n_clients = 0;
		for (size_t slot = 0; slot < LXM_MONITOR_MAX_CLIENTS; slot++) {
			if (m->clients[slot] < 0 || m->client_console[slot] != tty + 1)
				continue;
			n_clients++;
			if (send(m->clients[slot], pkt, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
			    errno != EAGAIN && errno != ENOBUFS) {
				log_debug("console client %zu: %s, dropping it", slot, strerror(errno));
				client_close(m, slot);
			}
		}
	}
	return n_clients;
}

/* Input from a console client to its pty. The master is non-blocking: a
 * tty whose input queue is full (nobody reading it) gets a short grace
 * period, then the rest of the packet is dropped; the monitor never hangs
 * on a container's tty. */
static void console_input(struct lxm_monitor *m, size_t slot)
{
	char buf[sizeof(struct lxm_console_msg) + LXM_CONSOLE_DATA_MAX];
	struct lxm_console_msg msg;
	const void *data;
	int master = console_master(m, m->client_console[slot] - 1u);
	ssize_t n = recv(m->clients[slot], buf, sizeof(buf), MSG_TRUNC);

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			client_close(m, slot);
		return;
	}
	/* a client that breaks the stream protocol is cut off */
	if ((size_t)n > sizeof(buf) || lxm_console_msg_decode(buf, (size_t)n, &msg, &data) < 0 ||
	    master < 0) {
		log_debug("console client %zu: bad message, dropping it", slot);
		client_close(m, slot);
		return;
	}
	if (msg.type == LXM_CONSOLE_WINSZ) {
		struct winsize ws = { .ws_row = msg.rows, .ws_col = msg.cols };

		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			log_debug("console client %zu: TIOCSWINSZ: %s, ignoring", slot, strerror(errno));
		return;
	}
	for (size_t done = 0, tries = 0; done < msg.datalen;) {
		ssize_t w = write(master, (const char *)data + done, msg.datalen - done);

		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN && tries++ < 5) {
			struct pollfd p = { .fd = master, .events = POLLOUT };
			(void)poll(&p, 1, 10);
			continue;
		}
		log_debug("console client %zu: tty input dropped (%zu bytes)", slot, msg.datalen - done);
		break;
	}
}

/* A connection the monitor does not serve gets an -EUSERS reply (with the
 * state, which lxm-info shows) instead of a bare close, which clients take
 * for a monitor that exited: lxm-stop would report a stop that never
 * happened. The reply is queued at once; the connection is closed once the
 * request has come (closing before, the client's send would fail with
 * EPIPE and the reply be lost) or the client has hung up. */
static void reject_conn(struct lxm_monitor *m, int fd)
{
	struct lxm_cmd_rsp rsp = {
		.magic = LXM_CMD_MAGIC, .ret = -EUSERS, .state = m->state, .init_pid = m->pid,
	};
	size_t i = m->next_reject;

	if (send(fd, &rsp, sizeof(rsp), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		close(fd);
		return;
	}
	/* the oldest refused connection has had its time */
	if (m->rejects[i] >= 0) {
		epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, m->rejects[i], NULL);
		close(m->rejects[i]);
		m->rejects[i] = -1;
	}
	if (epoll_add(m->epoll_fd, fd, TAG_REJECT_BASE + i) < 0) {
		close(fd);
		return;
	}
	m->rejects[i] = fd;
	m->next_reject = (i + 1) % LXM_MONITOR_MAX_REJECTS;
}

static void handle_reject(struct lxm_monitor *m, size_t i)
{
	char buf[sizeof(struct lxm_cmd_req) + 256];

	if (m->rejects[i] < 0)
		return;
	/* the request read: no "reset by peer" for the reply at the close */
	while (recv(m->rejects[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, m->rejects[i], NULL);
	close(m->rejects[i]);
	m->rejects[i] = -1;
}

/* All slots taken: the command client that has been silent longest, with
 * no request of its own under way (a console stream, a stop waiting for
 * the cleanup), makes room when it has been so for LXM_MONITOR_IDLE_MS, so
 * that idle connections can never lock out lxm-stop. It gets the -EUSERS
 * reply for whatever it may still send. Returns the freed slot, or
 * LXM_MONITOR_MAX_CLIENTS. */
static size_t evict_idle(struct lxm_monitor *m, uint64_t now)
{
	size_t victim = LXM_MONITOR_MAX_CLIENTS;
	int fd;

	for (size_t slot = 0; slot < LXM_MONITOR_MAX_CLIENTS; slot++) {
		char c;

		if (m->clients[slot] < 0 || m->client_console[slot] || m->client_waits[slot] ||
		    now - m->client_active[slot] < LXM_MONITOR_IDLE_MS * 1000000ULL)
			continue;
		/* a request that has come, not read yet (a busy round): served */
		if (recv(m->clients[slot], &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
			continue;
		if (victim == LXM_MONITOR_MAX_CLIENTS || m->client_active[slot] < m->client_active[victim])
			victim = slot;
	}
	if (victim == LXM_MONITOR_MAX_CLIENTS)
		return victim;
	log_debug("client %zu: idle while all %d slots are taken, dropping it", victim, LXM_MONITOR_MAX_CLIENTS);
	fd = m->clients[victim];
	epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
	m->clients[victim] = -1;
	m->client_console[victim] = 0;
	m->client_waits[victim] = false;
	reject_conn(m, fd);
	return victim;
}

static void handle_accept(struct lxm_monitor *m)
{
	for (;;) {
		int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		uint64_t now = lxm_now_ns();
		struct ucred cred;
		socklen_t len = sizeof(cred);
		size_t slot;

		if (fd < 0)
			return;
		/* only root or the monitor's own user may drive the container */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    (cred.uid != 0 && cred.uid != geteuid())) {
			close(fd);
			continue;
		}
		for (slot = 0; slot < LXM_MONITOR_MAX_CLIENTS; slot++)
			if (m->clients[slot] < 0)
				break;
		if (slot == LXM_MONITOR_MAX_CLIENTS)
			slot = evict_idle(m, now);
		if (slot == LXM_MONITOR_MAX_CLIENTS) {
			log_warn("too many clients (%d), refusing a connection", LXM_MONITOR_MAX_CLIENTS);
			reject_conn(m, fd);
			continue;
		}
		if (epoll_add(m->epoll_fd, fd, TAG_CLIENT_BASE + slot) < 0) {
			close(fd);
			continue;
		}
		m->clients[slot] = fd;
		m->client_active[slot] = now;
		m->client_waits[slot] = false;
		m->client_nokill[slot] = 0;
	}
}

/* A reply is one packet, which must fit in the socket's send buffer
 * (wmem_default, ~208K; beyond, EMSGSIZE): the console ring goes back whole
 * (console.buffer is at most LXM_CMD_DATA_MAX). */
static void reply_room(int fd, size_t len)
{
	int cur = 0, want;
	socklen_t sl = sizeof(cur);

	/* the kernel keeps 32 bytes of the buffer for itself */
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl) == 0 && cur > 32 && (size_t)cur - 32 >= len)
		return;
	/* the kernel doubles what it is given (for its bookkeeping) */
	want = (int)MIN(len + 4096, (size_t)INT_MAX / 2);
	/* SO_SNDBUFFORCE: root, past net.core.wmem_max; SO_SNDBUF: up to it,
	 * which is twice the default */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want)) < 0)
		log_debug("raising a client's send buffer to %d: %s, ignoring", want, strerror(errno));
}

static void handle_client(struct lxm_monitor *m, size_t slot)
{
	char buf[sizeof(struct lxm_cmd_req) + 256];
	struct lxm_cmd_req req;
	struct lxm_cmd_rsp rsp = { .magic = LXM_CMD_MAGIC };
	_cleanup_free_ char *data = NULL;
	_cleanup_free_ char *out = NULL;
	const void *reqdata;
	unsigned console_tty = 0;
	ssize_t n;
	int r;

	if (m->client_console[slot]) {
		console_input(m, slot);
		return;
	}
	n = recv(m->clients[slot], buf, sizeof(buf), MSG_TRUNC);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			client_close(m, slot);
		return;
	}
	m->client_active[slot] = lxm_now_ns();
	if ((size_t)n > sizeof(buf)) {
		rsp.ret = -EMSGSIZE;
		goto reply;
	}
	r = lxm_cmd_decode_req(buf, (size_t)n, &req, &reqdata);
	if (r < 0) {
		rsp.ret = r;
		goto reply;
	}
	log_debug("command '%s' (%d, %d)", lxm_cmd_to_string(req.cmd), req.arg1, req.arg2);
	/* a client that gave up waiting (its 10 s passed while the monitor
	 * was stuck) has been told the command failed: never carry it out */
	if (req.cmd == LXM_CMD_STOP || req.cmd == LXM_CMD_FREEZE) {
		struct pollfd p = { .fd = m->clients[slot], .events = POLLRDHUP };

		if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP))) {
			log_info("client %zu hung up before its '%s' was served, ignoring it", slot,
				 lxm_cmd_to_string(req.cmd));
			client_close(m, slot);
			return;
		}
	}
	switch (req.cmd) {
	case LXM_CMD_STATE:
		break;
	case LXM_CMD_STOP:
		/* a reboot would take the place of the halt signal (held or
		 * sent): the stop under way goes on */
		if (req.arg1 == LXM_STOP_REBOOT && m->stop_requested) {
			rsp.ret = -EBUSY;
			break;
		}
		/* it waits for the close at the cleanup (or a --nokill's
		 * second answer) */
		m->client_waits[slot] = begin_stop(m, (enum lxm_stop_mode)req.arg1, req.arg2, slot);
		break;
	case LXM_CMD_CONSOLE_LOG:
		data = malloc(m->ring.len + 1);
		if (!data) {
			rsp.ret = -ENOMEM;
			break;
		}
		rsp.datalen = (uint32_t)lxm_ring_copy(&m->ring, data, MIN(m->ring.len, LXM_CMD_DATA_MAX));
		break;
	case LXM_CMD_FREEZE: {
		struct lxm_error err = { 0 };

		/* a frozen init would never act on the halt signal: the stop
		 * under way would wait out its timeout and kill */
		if (req.arg1 == 1 && m->stop_requested) {
			rsp.ret = -EBUSY;
			data = strdup("it is being stopped");
			rsp.datalen = data ? (uint32_t)strlen(data) : 0;
			break;
		}
		r = lxm_cgroup_freeze(m->cg, req.arg1 == 1, &err);
		if (r < 0) {
			char text[LXM_ERROR_MSG_MAX + 64];

			/* the reason goes with the reply: lxm-freeze says it */
			rsp.ret = r;
			data = strdup(lxm_error_text(&err, text, sizeof(text)));
			rsp.datalen = data ? (uint32_t)strlen(data) : 0;
		} else if (req.arg1 == 1)
			m->state = LXM_STATE_FROZEN;
		else
			/* a thaw does not call off a stop under way */
			m->state = m->stop_requested ? LXM_STATE_STOPPING : LXM_STATE_RUNNING;
		lxm_monitor_write_state(m);
		break;
	}
	case LXM_CMD_CONSOLE:
		/* the console is shared; a tty belongs to one client at a time */
		if ((unsigned)req.arg1 > m->n_ttys) {
			rsp.ret = -ENXIO;
			break;
		}
		for (size_t i = 0; req.arg1 > 0 && i < LXM_MONITOR_MAX_CLIENTS; i++)
			if (m->clients[i] >= 0 && m->client_console[i] == req.arg1 + 1)
				rsp.ret = -EBUSY;
		if (rsp.ret == 0)
			console_tty = (unsigned)req.arg1 + 1;
		break;
	default:
		rsp.ret = -EOPNOTSUPP;
		break;
	}
reply:
	rsp.state = m->state;
	rsp.init_pid = m->pid;
	out = malloc(sizeof(rsp) + rsp.datalen);
	if (!out)
		return;
	n = lxm_cmd_encode_rsp(&rsp, data, out, sizeof(rsp) + rsp.datalen);
	if (n >= 0)
		reply_room(m->clients[slot], (size_t)n);
	if (n < 0 || send(m->clients[slot], out, (size_t)n, MSG_NOSIGNAL) < 0) {
		client_close(m, slot);
		return;
	}
	/* from here on the connection is a console stream */
	if (console_tty) {
		m->client_console[slot] = (uint8_t)console_tty;
		log_debug("console client %zu attached to tty %u", slot, console_tty - 1);
	}
}

static void pump_console(struct lxm_monitor *m)
{
	char buf[16384];

	for (;;) {
		ssize_t n = read(m->console.master, buf, sizeof(buf));

		if (n <= 0)
			return;
		lxm_ring_write(&m->ring, buf, (size_t)n);
		lxm_console_log_write(&m->log, buf, (size_t)n);
		if (m->stdout_fd >= 0)
			stdout_write(m, buf, (size_t)n);
		console_broadcast(m, 0, buf, (size_t)n);
	}
}

static void drain_tty(struct lxm_monitor *m, size_t i)
{
	char buf[4096];
	ssize_t n;

	/* to the client attached to this tty; with none, output is dropped
	 * so that the getty never blocks */
	while ((n = read(m->ttys[i].master, buf, sizeof(buf))) > 0)
		console_broadcast(m, (unsigned)i + 1, buf, (size_t)n);
}

static void pump_stdin(struct lxm_monitor *m)
{
	char buf[4096];
	ssize_t n = read(m->stdin_fd, buf, sizeof(buf));

	if (n <= 0) {
		epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, m->stdin_fd, NULL);
		m->stdin_fd = -1;
		return;
	}
	(void)lxm_write_full(m->console.master, buf, (size_t)n);
}

/* Init is gone. Returns true when the container should come back (reboot). */
static bool handle_init_exit(struct lxm_monitor *m)
{
	siginfo_t si = { 0 };
	bool reboot;

	while (waitid(P_PIDFD, (id_t)m->pidfd, &si, WEXITED) < 0 && errno == EINTR)
		;
	/* reboot(2) in a PID namespace kills its init with SIGHUP for a
	 * restart and SIGINT for a power off or halt */
	reboot = si.si_code == CLD_KILLED && si.si_status == SIGHUP && !m->stop_requested;
	if (si.si_code == CLD_EXITED)
		log_info("init exited with status %d", si.si_status);
	else
		log_info("init killed by signal %d%s", si.si_status, reboot ? " (reboot)" : "");
	epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, m->pidfd, NULL);
	closep(&m->pidfd);
	m->pidfd = -1;
	m->pid = 0;
	m->held_sig = 0;
	/* phys devices back to the host, host veth ends gone */
	lxm_net_teardown(m->conf, m->netns_fd, m->phys, m->n_phys);
	m->n_phys = 0;
	closep(&m->netns_fd);
	m->netns_fd = -1;
	pump_console(m);
	return reboot;
}

/* The monitor lives as long as the container and mostly sleeps. What it ran
 * to set up (config parsing, libc's and libnl's start-up paths) stays
 * mapped; drop the pages of read-only file mappings that hold nothing but
 * file data (no private copies), so the idle resident set is what the loop
 * touches again. Their pages come back from the page cache on access. */
static void trim_resident_set(void)
{
	struct { unsigned long start, end; } ranges[64];
	size_t n = 0;
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	unsigned long start = 0, end = 0;
	bool candidate = false;

	if (!f)
		return;
	while (n < ARRAY_SIZE(ranges) && fgets(line, sizeof(line), f)) {
		char perms[5];
		int path_off = 0;
		unsigned long kb, s, e;

		/* field lines ("Anonymous: ...") start with letters that are hex
		 * digits too: parse into temporaries, keep them for headers only */
		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &s, &e, perms, &path_off) >= 3 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			start = s;
			end = e;
			candidate = perms[1] == '-' && perms[3] == 'p' && path_off > 0 && line[path_off] == '/';
			continue;
		}
		/* "Anonymous:" follows the header: private copies (relocated
		 * data, relro) must stay */
		if (candidate && sscanf(line, "Anonymous: %lu kB", &kb) == 1) {
			if (kb == 0) {
				ranges[n].start = start;
				ranges[n].end = end;
				n++;
			}
			candidate = false;
		}
	}
	fclose(f);
	/* last, so that parsing does not fault the pages straight back in */
	for (size_t i = 0; i < n; i++)
		madvise((void *)ranges[i].start, ranges[i].end - ranges[i].start, MADV_DONTNEED);
}

int lxm_monitor_loop(struct lxm_monitor *m)
{
	struct termios saved;
	bool raw = false;
	bool busy = false;

	if (epoll_add(m->epoll_fd, m->pidfd, TAG_PIDFD) < 0)
		return -errno;
	if (m->foreground && m->stdin_fd >= 0 && isatty(m->stdin_fd) && tcgetattr(m->stdin_fd, &saved) == 0) {
		struct termios t = saved;

		cfmakeraw(&t);
		raw = tcsetattr(m->stdin_fd, TCSAFLUSH, &t) == 0;
	}
	trim_resident_set();
	for (;;) {
		struct epoll_event evs[16];
		/* after a burst of work, give the pages it faulted in back once
		 * things have been quiet for a moment */
		int n = epoll_wait(m->epoll_fd, evs, ARRAY_SIZE(evs), busy ? LXM_MONITOR_TRIM_AFTER_MS : -1);

		if (n == 0) {
			trim_resident_set();
			busy = false;
			continue;
		}
		busy = true;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			break;
		}
		bool accept_pending = false;

		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			if (tag == TAG_PIDFD) {
				struct lxm_error err = { 0 };

				if (!handle_init_exit(m))
					goto done;
				m->state = LXM_STATE_STARTING;
				lxm_monitor_write_state(m);
				if (lxm_cgroup_reset(m->cg, &err) < 0 || lxm_start_spawn(m, &err) < 0) {
					char text[1024];
					log_error("reboot: %s", lxm_error_text(&err, text, sizeof(text)));
					goto done;
				}
				m->state = LXM_STATE_RUNNING;
				lxm_monitor_write_state(m);
				epoll_add(m->epoll_fd, m->pidfd, TAG_PIDFD);
				log_info("rebooted, init pid %d", (int)m->pid);
				/* events of this round refer to the old init */
				break;
			} else if (tag == TAG_LISTEN) {
				/* after the other events of this round: an
				 * accept may give a slot's tag to a new fd */
				accept_pending = true;
			} else if (tag == TAG_CONSOLE) {
				pump_console(m);
			} else if (tag == TAG_TIMER) {
				uint64_t exp;
				uint64_t now = lxm_now_ns();

				(void)!read(m->timer_fd, &exp, sizeof(exp));
				send_held(m);
				if (m->kill_at && m->kill_at <= now) {
					log_info("stop timeout passed, killing init");
					kill_init(m);
				}
				for (size_t slot = 0; slot < LXM_MONITOR_MAX_CLIENTS; slot++)
					if (m->clients[slot] >= 0 && m->client_nokill[slot] &&
					    m->client_nokill[slot] <= now)
						nokill_give_up(m, slot);
				rearm_timer(m);
			} else if (tag == TAG_SIGNAL) {
				struct signalfd_siginfo ssi;
				if (read(m->signal_fd, &ssi, sizeof(ssi)) == sizeof(ssi))
					begin_stop(m, LXM_STOP_HALT, LXM_STOP_TIMEOUT_DEFAULT,
						   LXM_MONITOR_MAX_CLIENTS);
			} else if (tag == TAG_STDIN) {
				pump_stdin(m);
			} else if (tag >= TAG_REJECT_BASE && tag < TAG_REJECT_BASE + LXM_MONITOR_MAX_REJECTS) {
				handle_reject(m, (size_t)(tag - TAG_REJECT_BASE));
			} else if (tag >= TAG_CLIENT_BASE && tag < TAG_CLIENT_BASE + LXM_MONITOR_MAX_CLIENTS) {
				handle_client(m, (size_t)(tag - TAG_CLIENT_BASE));
			} else if (tag >= TAG_TTY_BASE && tag < TAG_TTY_BASE + m->n_ttys) {
				drain_tty(m, (size_t)(tag - TAG_TTY_BASE));
			}
		}
		if (accept_pending)
			handle_accept(m);
	}
done:
	if (raw)
		tcsetattr(m->stdin_fd, TCSAFLUSH, &saved);
	m->state = LXM_STATE_STOPPED;
	return 0;
}

void lxm_monitor_cleanup(struct lxm_monitor *m)
{
	struct lxm_error err = { 0 };
	char text[1024];

	if (m->pidfd >= 0) {
		siginfo_t si;

		send_signal(m, SIGKILL);
		while (waitid(P_PIDFD, (id_t)m->pidfd, &si, WEXITED) < 0 && errno == EINTR)
			;
		closep(&m->pidfd);
		m->pidfd = -1;
	}
	if (m->netns_fd >= 0) {
		lxm_net_teardown(m->conf, m->netns_fd, m->phys, m->n_phys);
		m->n_phys = 0;
		closep(&m->netns_fd);
		m->netns_fd = -1;
	}
	if (m->cg) {
		if (lxm_cgroup_destroy(m->cg, &err) < 0)
			log_warn("removing cgroup: %s, ignoring", lxm_error_text(&err, text, sizeof(text)));
		lxm_cgroup_free(m->cg);
		m->cg = NULL;
	}
	if (m->listen_fd >= 0) {
		unlink(m->sock_path);
		closep(&m->listen_fd);
		m->listen_fd = -1;
	}
	if (m->lock_fd >= 0) {
		_cleanup_free_ char *lock = lxm_runtime_path(m->paths, m->name, "lock");
		_cleanup_free_ char *aa = lxm_runtime_path(m->paths, m->name, "apparmor.profile");
		_cleanup_free_ char *rc = lxm_runtime_path(m->paths, m->name, "config");
		_cleanup_free_ char *bpf = lxm_runtime_path(m->paths, m->name, "seccomp.bpf");

		unlink(m->state_path);
		if (lock)
			unlink(lock);
		if (rc)
			unlink(rc);
		if (bpf)
			unlink(bpf);
		lxm_apparmor_release(aa, m->name, m->dir);
		rmdir(m->rundir);
		closep(&m->lock_fd);
		m->lock_fd = -1;
	}
	/* clients waiting for the stop see EOF now that everything is gone */
	for (size_t i = 0; i < LXM_MONITOR_MAX_CLIENTS; i++)
		closep(&m->clients[i]);
	for (size_t i = 0; i < LXM_MONITOR_MAX_REJECTS; i++) {
		closep(&m->rejects[i]);
		m->rejects[i] = -1;
	}
	m->state = LXM_STATE_STOPPED;
}

void lxm_monitor_free(struct lxm_monitor *m)
{
	lxm_pty_close(&m->console);
	for (size_t i = 0; i < m->n_ttys; i++)
		lxm_pty_close(&m->ttys[i]);
	free(m->ttys);
	m->ttys = NULL;
	m->n_ttys = 0;
	lxm_ring_free(&m->ring);
	lxm_console_log_close(&m->log);
	closep(&m->epoll_fd);
	closep(&m->timer_fd);
	closep(&m->signal_fd);
	closep(&m->lock_fd);
	m->epoll_fd = m->timer_fd = m->signal_fd = m->lock_fd = -1;
	if (m->stdout_own)
		closep(&m->stdout_fd);
	m->stdout_fd = -1;
	m->stdout_own = false;
	if (m->cg)
		lxm_cgroup_free(m->cg);
	m->cg = NULL;
	free(m->dir);
	free(m->rootfs);
	free(m->rundir);
	free(m->sock_path);
	free(m->state_path);
	m->dir = m->rootfs = m->rundir = m->sock_path = m->state_path = NULL;
}
