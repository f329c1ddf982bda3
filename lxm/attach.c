#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>

#include "apparmor.h"
#include "attach.h"
#include "caps.h"
#include "cgroup.h"
#include "log.h"
#include "rootfs.h"
#include "seccomp-prog.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

extern char **environ;

#define PASSWD_MAX (16 << 20)

struct attach_ctx {
	const struct lxm_confinement *confine; /* init's, from the state file */
	const struct lxm_attach_opts *opts;
	struct lxm_cgroup *cg;
	int pidfd;
	int nsflags;
	int slave;                   /* -1 without a pty */
	unsigned pty_fds;            /* with one: bit i, fd i is the pty */
	int errfd;                   /* write end: an error before exec */
	const struct lxm_seccomp_prog *seccomp; /* init's program, NULL: none */
	bool in_v2;                  /* the child was cloned into the v2 cgroup */
	const char *aa_profile;      /* NULL: none */
};

struct passwd_entry {
	char name[64];
	char home[256];
	char shell[256];
	gid_t gid;
	bool found;
};

/* The container's /etc/passwd, only where it is a regular file of sane
 * size: the container may have made it a FIFO (the open would wait for a
 * writer for good) or a link to /dev/zero (read without end). */
static int read_passwd(char **ret)
{
	_cleanup_close_ int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > PASSWD_MAX)
		return -EINVAL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

/* /etc/passwd of the container, read after entering its mount namespace
 * (never through the host's NSS modules). */
static void lookup_passwd(uid_t uid, struct passwd_entry *ret)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;

	memset(ret, 0, sizeof(*ret));
	if (read_passwd(&text) < 0)
		return;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[7] = { 0 };
		char *p = line;
		uint64_t v;
		int n = 0;

		while (n < 7) {
			f[n++] = p;
			p = strchr(p, ':');
			if (!p)
				break;
			*p++ = '\0';
		}
		if (n < 7 || lxm_parse_u64(f[2], UINT32_MAX, &v) < 0 || (uid_t)v != uid)
			continue;
		snprintf(ret->name, sizeof(ret->name), "%s", f[0]);
		snprintf(ret->home, sizeof(ret->home), "%s", f[5]);
		snprintf(ret->shell, sizeof(ret->shell), "%s", f[6]);
		if (lxm_parse_u64(f[3], UINT32_MAX, &v) == 0)
			ret->gid = (gid_t)v;
		ret->found = true;
		return;
	}
}

/* Put "NAME=VALUE" into env (n entries, room for one more): it replaces
 * an entry of the same name, as setenv() would, so that no variable is
 * there twice (getenv() takes the first, a -v would be lost). */
static int env_put(char **env, size_t *n, const char *fmt, ...)
{
	va_list ap;
	char *entry;
	size_t len;

	va_start(ap, fmt);
	if (vasprintf(&entry, fmt, ap) < 0)
		entry = NULL;
	va_end(ap);
	if (!entry)
		return -ENOMEM;
	len = strcspn(entry, "=") + 1;
	for (size_t i = 0; i < *n; i++)
		if (strncmp(env[i], entry, len) == 0) {
			free(env[i]);
			env[i] = entry;
			return 0;
		}
	env[(*n)++] = entry;
	return 0;
}

static int build_env(const struct lxm_attach_opts *opts, const struct passwd_entry *pw, uid_t uid,
		     char ***ret)
{
	size_t n_extra = 0, n = 0, cap;
	char **env;
	const char *term = getenv("TERM");
	const char *lang = getenv("LANG");

	while (opts->extra_env && opts->extra_env[n_extra])
		n_extra++;
	cap = 8 + n_extra;
	if (opts->keep_env)
		for (char **e = environ; *e; e++)
			cap++;
	env = calloc(cap + 1, sizeof(char *));
	if (!env)
		return -ENOMEM;
#define ADD(...) do { if (env_put(env, &n, __VA_ARGS__) < 0) goto oom; } while (0)
	if (opts->keep_env) {
		for (char **e = environ; *e; e++)
			if (strchr(*e, '='))
				ADD("%s", *e);
	} else {
		ADD("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
		ADD("HOME=%s", pw->found && pw->home[0] ? pw->home : "/");
		ADD("TERM=%s", term && *term ? term : "linux");
		if (pw->found)
			ADD("USER=%s", pw->name);
		else
			ADD("USER=%u", (unsigned)uid);
		ADD("LANG=%s", lang && *lang ? lang : "C.UTF-8");
	}
	/* as init has it, whatever the environment kept says */
	ADD("container=lxm");
	/* -v wins over both */
	for (size_t i = 0; i < n_extra; i++)
		ADD("%s", opts->extra_env[i]);
#undef ADD
	*ret = env;
	return 0;
oom:
	lxm_strv_free(env, n);
	return -ENOMEM;
}

/* The reason goes to lxm-attach; the status says where it failed: 127 or
 * 126 at the execve (not found, or not executable), as a shell has it, 1
 * in the setup before. */
static _Noreturn void fail_child(int errfd, const struct lxm_error *e, int code)
{
	(void)lxm_write_full(errfd, e, sizeof(*e));
	_exit(code);
}

/* THE place where the attached process gets init's seccomp filter.
 * exec_command calls it once, next to the capability drop (before it when
 * the bounding set lacks CAP_SYS_ADMIN, as for init) and while the process
 * is still root of the container: without no_new_privs, loading a filter
 * needs CAP_SYS_ADMIN in the container's user namespace, which the switch
 * to -u/-g drops. What runs after it (setgroups, setresgid/setresuid,
 * PR_SET_NO_NEW_PRIVS, chdir, execve) must be allowed by the filter. (The
 * AppArmor profile was set before entering, enter_and_run.) */
static int attach_seccomp(const struct attach_ctx *a, struct lxm_error *err)
{
	return a->seccomp ? lxm_seccomp_prog_load(a->seccomp, err) : 0;
}

/* The command's process: in every namespace and cgroup (inherited from the
 * intermediate), drops what init dropped and execs. */
static _Noreturn void exec_command(const struct attach_ctx *a)
{
	const struct lxm_attach_opts *o = a->opts;
	struct lxm_error err = { 0 };
	struct passwd_entry pw;
	_cleanup_free_ char **argv = NULL;
	char **env = NULL;
	const char *cwd;
	gid_t gid;

	if (setsid() < 0) {
		lxm_error_set(&err, errno, "setsid");
		fail_child(a->errfd, &err, 1);
	}
	if (a->slave >= 0) {
		bool failed = ioctl(a->slave, TIOCSCTTY, 0) < 0;

		for (int i = 0; i < 3 && !failed; i++)
			if (a->pty_fds & (1u << i))
				failed = dup2(a->slave, i) < 0;
		if (failed) {
			lxm_error_set(&err, errno, "setting up the pty");
			fail_child(a->errfd, &err, 1);
		}
		if (a->slave > 2)
			close(a->slave);
	}
	lookup_passwd(o->uid, &pw);
	gid = o->gid != (gid_t)-1 ? o->gid : pw.found ? pw.gid : (gid_t)o->uid;
	if (build_env(o, &pw, o->uid, &env) < 0) {
		lxm_error_set(&err, ENOMEM, "building the environment");
		fail_child(a->errfd, &err, 1);
	}
	if (o->argv && o->argv[0]) {
		argv = NULL;
	} else {
		const char *shell = pw.found && pw.shell[0] ? pw.shell : "/bin/sh";
		const char *base = strrchr(shell, '/');

		argv = calloc(3, sizeof(char *));
		if (!argv) {
			lxm_error_set(&err, ENOMEM, "building the command");
			fail_child(a->errfd, &err, 1);
		}
		argv[0] = (char *)shell;
		argv[1] = NULL;
		/* a login shell: "-sh" as argv[0] */
		argv[2] = lxm_strdup_printf("-%s", base ? base + 1 : shell);
	}
	if (lxm_confinement_seccomp_first(a->confine) && attach_seccomp(a, &err) < 0)
		fail_child(a->errfd, &err, 1);
	if (lxm_caps_apply_mask(a->confine->caps, &err) < 0)
		fail_child(a->errfd, &err, 1);
	if (!lxm_confinement_seccomp_first(a->confine) && attach_seccomp(a, &err) < 0)
		fail_child(a->errfd, &err, 1);
	if (setgroups(0, NULL) < 0 && errno != EPERM) {
		lxm_error_set(&err, errno, "dropping supplementary groups");
		fail_child(a->errfd, &err, 1);
	}
	if (setresgid(gid, gid, gid) < 0 || setresuid(o->uid, o->uid, o->uid) < 0) {
		lxm_error_set(&err, errno, "switching to uid %u gid %u", (unsigned)o->uid, (unsigned)gid);
		fail_child(a->errfd, &err, 1);
	}
	if (a->confine->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		lxm_error_set(&err, errno, "setting no_new_privs");
		fail_child(a->errfd, &err, 1);
	}
	cwd = o->cwd ? o->cwd : pw.found && pw.home[0] ? pw.home : "/";
	if (chdir(cwd) < 0) {
		if (o->cwd) {
			lxm_error_set(&err, errno, "changing to '%s'", cwd);
			fail_child(a->errfd, &err, 1);
		}
		(void)!chdir("/");
	}
	/* nothing of the host's but stdin/stdout/stderr (already pipes, a file
	 * or the container's pty) crosses the exec */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		for (int fd = 3; fd < 1024; fd++)
			if (fd != a->errfd)
				(void)!fcntl(fd, F_SETFD, FD_CLOEXEC);
	environ = env;
	if (argv) {
		char *login[] = { argv[2], NULL };
		execve(argv[0], login, env);
		lxm_error_set(&err, errno, "executing the shell '%s'", argv[0]);
	} else {
		execvp(o->argv[0], o->argv);
		lxm_error_set(&err, errno, "executing '%s'", o->argv[0]);
	}
	fail_child(a->errfd, &err, errno == ENOENT ? 127 : 126);
}

/* The command's process, forked by lxm_attach() straight into the
 * container's PID namespace (and its v2 cgroup): joins the rest, then
 * exec_command(). One fork: the PID namespace came with the clone. */
static _Noreturn void enter_and_run(struct attach_ctx *a)
{
	struct lxm_error err = { 0 };

	/* Join the cgroups while still the host's root in the host's cgroup
	 * namespace (after setns() the kernel refuses writes and
	 * CLONE_INTO_CGROUP outside the cgroup namespace's root, and the
	 * command would run unlimited in the host's cgroup), and without
	 * taking the global cgroup_threadgroup_rwsem for writing (an RCU grace
	 * period, milliseconds; see cgroup.c): v2 came with clone3
	 * (CLONE_INTO_CGROUP, lxm_attach), v1 is this single-threaded process
	 * moving itself ("0" into each "tasks"). */
	if (lxm_cgroup_enter_self(a->cg, &err) < 0)
		fail_child(a->errfd, &err, 1);
	if (!a->in_v2 && lxm_cgroup_v2_fd(a->cg) >= 0 && lxm_cgroup_attach(a->cg, getpid(), false, &err) < 0)
		fail_child(a->errfd, &err, 1);
	/* init's AppArmor profile from the next execve on, written while the
	 * host's /proc is the one we see (the container's could be mounted
	 * over); it stays through setns() */
	if (lxm_apparmor_onexec_host(a->aa_profile, &err) < 0)
		fail_child(a->errfd, &err, 1);
	if (setns(a->pidfd, a->nsflags) < 0) {
		lxm_error_set(&err, errno, "entering the container's namespaces");
		fail_child(a->errfd, &err, 1);
	}
	exec_command(a);
}

/* The caller's window size: of the first of stdin, stdout and stderr that
 * is a terminal (a pty serves stdout alone where stdin is a pipe). */
static bool get_winsize(struct winsize *ws)
{
	for (int i = 0; i < 3; i++)
		if (ioctl(i, TIOCGWINSZ, ws) == 0)
			return true;
	return false;
}

static int open_container_pty(pid_t pid, int *ret_master, int *ret_slave, struct lxm_error *err)
{
	char path[64];
	_cleanup_close_ int rootfd = -1, master = -1;
	struct statfs sfs;
	struct winsize ws;
	int unlock = 0, slave;

	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return lxm_error_set(err, errno, "opening '%s'", path);
	master = lxm_rootfs_open_in_root(rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY);
	if (master < 0)
		return lxm_error_set(err, -master, "opening the container's '/dev/pts/ptmx'");
	/* only the container's own devpts instance will do */
	if (fstatfs(master, &sfs) < 0 || sfs.f_type != DEVPTS_SUPER_MAGIC)
		return lxm_error_setr(err, EPERM, "the container's '/dev/pts/ptmx' is not on a devpts");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return lxm_error_set(err, errno, "unlocking the pty");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return lxm_error_set(err, errno, "opening the pty's peer");
	if (get_winsize(&ws))
		ioctl(slave, TIOCSWINSZ, &ws);
	*ret_master = TAKE_FD(master);
	*ret_slave = slave;
	return 0;
}

/* Which of fds 0-2 get the pty: the terminals; the rest (a file, a pipe)
 * pass through as they are, as without a pty: `lxm-attach -- tar c . >x`
 * typed at a terminal must not get "\n" made "\r\n" (nor stderr mixed
 * in). None a terminal (--pty): all three. */
static unsigned pty_fds(void)
{
	unsigned fds = 0;

	for (int i = 0; i < 3; i++)
		if (isatty(i))
			fds |= 1u << i;
	return fds ? fds : 7;
}

/* Proxy the host terminal and the container's pty until the command
 * (pidfd; -1: until the pty closes) has exited, then what it left in the
 * pty: stdin to it when stdin is on it, its output to the terminal it
 * stands for (stdout, else stderr, else stdin's: the echo of what is
 * typed). A process the command left in the background holding the pty
 * (HUP ignored) does not keep lxm-attach: it gets the pty's hangup as
 * lxm-attach closes the master, as after an ssh session. */
static void proxy_pty(int master, unsigned fds, int pidfd)
{
	int out = fds & 2 ? STDOUT_FILENO : fds & 4 ? STDERR_FILENO : STDIN_FILENO;
	struct termios saved, raw;
	bool restore = false;
	sigset_t mask;
	_cleanup_close_ int sfd = -1;
	bool in_open = true;
	char buf[8192];
	/* typed or pasted input not yet taken by the pty: the master is
	 * non-blocking, so that a paste larger than the pty's input queue,
	 * while the command writes and does not read, does not stop the
	 * relay of its output (each would wait for the other) */
	char inbuf[8192];
	size_t in_len = 0, in_off = 0;

	if (tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	in_open = fds & 1;
	(void)fcntl(master, F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd p[4] = {
			{ .fd = master, .events = POLLIN | (in_len ? POLLOUT : 0) },
			{ .fd = in_open && !in_len ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
		};
		ssize_t n;

		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(master, buf, sizeof(buf));
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				break;
			/* nobody reading it: dropped, the pty is still read
			 * (the command would block on a full one) */
			if (n > 0 && out >= 0 && lxm_write_full(out, buf, (size_t)n) < 0)
				out = -1;
		}
		if (in_len && (p[0].revents & POLLOUT)) {
			n = write(master, inbuf + in_off, in_len);
			if (n > 0) {
				in_off += (size_t)n;
				in_len -= (size_t)n;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				in_len = 0;   /* the pty is gone: the read above ends the relay */
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			n = read(STDIN_FILENO, inbuf, sizeof(inbuf));
			if (n <= 0) {
				in_open = false;
			} else {
				in_off = 0;
				in_len = (size_t)n;
			}
		}
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			struct winsize ws;

			if (read(sfd, &si, sizeof(si)) == sizeof(si) && get_winsize(&ws))
				ioctl(master, TIOCSWINSZ, &ws);
		}
		if (p[3].revents) {
			/* a read of the master waits for what the command
			 * wrote to be through the pty (n_tty flushes the
			 * buffer work first); nothing more comes once it is
			 * empty, unless from the background */
			while ((n = read(master, buf, sizeof(buf))) > 0)
				if (out >= 0 && lxm_write_full(out, buf, (size_t)n) < 0)
					out = -1;
			break;
		}
	}
	if (restore)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
}

/* Without a pty, a host terminal on stdin, stdout or stderr is not handed
 * to the command either (a process holding a tty fd can TIOCSTI into it and
 * ioctl it): that stream goes through a pipe that the caller copies. Plain
 * pipes and files pass through as they are, untouched and at full speed.
 * ours[i] is the caller's end, theirs[i] the command's; -1 when i passes
 * through. */
struct stdio_proxy {
	int ours[3];
	int theirs[3];
};

static int stdio_proxy_open(struct stdio_proxy *p, struct lxm_error *err)
{
	for (int i = 0; i < 3; i++)
		p->ours[i] = p->theirs[i] = -1;
	for (int i = 0; i < 3; i++) {
		int fds[2];

		if (!isatty(i))
			continue;
		if (pipe2(fds, O_CLOEXEC) < 0)
			return lxm_error_set(err, errno, "creating a pipe for fd %d", i);
		p->ours[i] = i == 0 ? fds[1] : fds[0];
		p->theirs[i] = i == 0 ? fds[0] : fds[1];
		/* the caller never blocks on the command's stdin */
		if (i == 0)
			(void)!fcntl(p->ours[0], F_SETFL, O_NONBLOCK);
	}
	return 0;
}

static void stdio_proxy_close(struct stdio_proxy *p)
{
	for (int i = 0; i < 3; i++) {
		closep(&p->ours[i]);
		closep(&p->theirs[i]);
		p->ours[i] = p->theirs[i] = -1;
	}
}

/* In the child, before it enters the container. */
static int stdio_proxy_install(struct stdio_proxy *p)
{
	for (int i = 0; i < 3; i++) {
		closep(&p->ours[i]);
		if (p->theirs[i] >= 0 && dup2(p->theirs[i], i) < 0)
			return -errno;
		closep(&p->theirs[i]);
		p->ours[i] = p->theirs[i] = -1;
	}
	return 0;
}

/* Copy between the host's terminal and the pipes until the command (the
 * intermediate waiting for it, pidfd) has exited, then what it left in the
 * pipes. */
static void stdio_proxy_run(struct stdio_proxy *p, int pidfd)
{
	char inbuf[8192], buf[16384];
	size_t inlen = 0, inoff = 0;
	bool in_open = p->ours[0] >= 0, exited = false;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;

	/* a command that closed its stdin makes the write fail, not kill us */
	sigaction(SIGPIPE, &ign, &old);
	while (!exited) {
		struct pollfd all[5] = {
			{ .fd = in_open && inlen == 0 ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = inlen ? p->ours[0] : -1, .events = POLLOUT },
			{ .fd = p->ours[1], .events = POLLIN },
			{ .fd = p->ours[2], .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
		};
		ssize_t n;

		if (poll(all, 5, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (all[0].revents) {
			n = read(STDIN_FILENO, inbuf, sizeof(inbuf));
			if (n > 0) {
				inlen = (size_t)n;
				inoff = 0;
			} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				/* EOF on the terminal (^D) is EOF for the command */
				in_open = false;
				closep(&p->ours[0]);
				p->ours[0] = -1;
			}
		}
		if (all[1].revents) {
			n = write(p->ours[0], inbuf + inoff, inlen - inoff);
			if (n > 0) {
				inoff += (size_t)n;
				if (inoff == inlen)
					inlen = inoff = 0;
			} else if (n < 0 && errno != EINTR && errno != EAGAIN) {
				in_open = false;
				inlen = inoff = 0;
				closep(&p->ours[0]);
				p->ours[0] = -1;
			}
		}
		for (int i = 1; i < 3; i++) {
			if (!all[i + 1].revents)
				continue;
			n = read(p->ours[i], buf, sizeof(buf));
			if (n > 0 && lxm_write_full(i, buf, (size_t)n) == 0)
				continue;
			if (n < 0 && errno == EINTR)
				continue;
			closep(&p->ours[i]);
			p->ours[i] = -1;
		}
		if (all[4].revents)
			exited = true;
	}
	/* whatever the command wrote before it exited (background processes
	 * that still hold the pipe are not waited for) */
	for (int i = 1; i < 3; i++) {
		ssize_t n;

		if (p->ours[i] < 0 || fcntl(p->ours[i], F_SETFL, O_NONBLOCK) < 0)
			continue;
		while ((n = read(p->ours[i], buf, sizeof(buf))) > 0)
			if (lxm_write_full(i, buf, (size_t)n) < 0)
				break;
	}
	sigaction(SIGPIPE, &old, NULL);
}

/* Signals for lxm-attach are the command's: `timeout 5 lxm-attach ...`,
 * kill, a Ctrl-C where there is no pty (the command is in a session of its
 * own, the terminal's signals do not reach it) and a hangup of the caller's
 * terminal go on to it, and lxm-attach exits with its status as ever. Left
 * at their default, they ended lxm-attach and left the command running in
 * the container, and a pty's raw terminal was not restored. They are
 * blocked from before the clone (the child unblocks them) until the
 * handlers are in place, so none is lost in between. */
static const int forwarded_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 };
#define N_FORWARDED (sizeof(forwarded_signals) / sizeof(forwarded_signals[0]))
static volatile int forward_pidfd = -1;

static void forward_signal(int sig)
{
	int saved = errno;

	if (forward_pidfd >= 0)
		(void)syscall(SYS_pidfd_send_signal, forward_pidfd, sig, NULL, 0);
	errno = saved;
}

static void forward_block(sigset_t *ret_old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < N_FORWARDED; i++)
		sigaddset(&set, forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &set, ret_old);
}

/* Handlers on (pidfd: the command's, -1: none, the signals act as before),
 * then the mask back: what came meanwhile is forwarded now. */
static void forward_begin(int pidfd, const sigset_t *old, struct sigaction *ret_saved)
{
	struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	forward_pidfd = pidfd;
	for (size_t i = 0; i < N_FORWARDED; i++) {
		sigaction(forwarded_signals[i], NULL, &ret_saved[i]);
		/* one ignored (nohup) stays so, the command inherited that */
		if (pidfd >= 0 && ret_saved[i].sa_handler != SIG_IGN)
			sigaction(forwarded_signals[i], &sa, NULL);
	}
	sigprocmask(SIG_SETMASK, old, NULL);
}

static void forward_end(const struct sigaction *saved)
{
	for (size_t i = 0; i < N_FORWARDED; i++)
		sigaction(forwarded_signals[i], &saved[i], NULL);
	forward_pidfd = -1;
}

/* What the child needs, on the parent's stack (which a CLONE_VM child
 * only reads: the parent is suspended until the child's execve or exit). */
struct spawn {
	struct attach_ctx *a;
	struct stdio_proxy *proxy;
	const sigset_t *sigmask;     /* the caller's, before forward_begin() */
	int errrd, master;
};

static _Noreturn void spawn_main(const struct spawn *sp)
{
	/* copies: the child must not write to memory the parent uses */
	struct attach_ctx a = *sp->a;
	struct stdio_proxy proxy = *sp->proxy;
	struct lxm_error e = { 0 };

	/* the signals lxm-attach forwards are the command's own again */
	sigprocmask(SIG_SETMASK, sp->sigmask, NULL);
	close(sp->errrd);
	if (sp->master >= 0)
		close(sp->master);
	if (stdio_proxy_install(&proxy) < 0) {
		lxm_error_set(&e, errno, "setting up stdio");
		fail_child(a.errfd, &e, 1);
	}
	enter_and_run(&a);
}

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define SPAWN_VFORK 1
/* clone3 with CLONE_VM | CLONE_VFORK, the child on a stack of its own
 * running spawn_main(): no copy of our page tables to make and none to
 * tear down at the child's execve (~80 us an attach). The parent sleeps
 * until that execve or the child's exit. (Not under ASan, which does not
 * know the child's stack.) */
static pid_t clone3_vfork(struct clone_args *args, const struct spawn *sp)
{
	register void *fn __asm__("r12") = (void *)spawn_main;
	register const void *arg __asm__("r13") = sp;
	long ret;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 /* the child: a fresh, 16-byte aligned stack */
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r13, %%rdi\n\t"
			 "call *%%r12\n\t"
			 "mov $60, %%eax\n\t"      /* not reached: exit(127) */
			 "mov $127, %%edi\n\t"
			 "syscall\n\t"
			 "1:\n\t"
			 : "=a"(ret)
			 : "0"((long)SYS_clone3), "D"(args), "S"(sizeof(*args)), "r"(fn), "r"(arg)
			 : "rcx", "r11", "memory");
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return (pid_t)ret;
}
#endif

/* The child, running spawn_main(); args: flags and cgroup as wanted. */
static pid_t spawn_child(struct clone_args *args, const struct spawn *sp)
{
	pid_t pid;

#ifdef SPAWN_VFORK
	{
		static void *stack;
		const size_t size = 1 << 20;

		if (!stack) {
			stack = mmap(NULL, size, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
			if (stack == MAP_FAILED)
				stack = NULL;
		}
		if (stack) {
			struct clone_args v = *args;

			v.flags |= CLONE_VM | CLONE_VFORK;
			v.stack = (uint64_t)(uintptr_t)stack;
			v.stack_size = size;
			return clone3_vfork(&v, sp);
		}
	}
#endif
	pid = (pid_t)syscall(SYS_clone3, args, sizeof(*args));
	if (pid < 0 && errno == ENOSYS && !args->flags)
		pid = fork();
	if (pid == 0)
		spawn_main(sp);
	return pid;
}

/* The container must exist and run; its state file says how init is
 * confined (lxm-attach reads no config: what init runs with, -f and -s
 * included, was recorded at start). */
static int read_state(const struct lxm_paths *paths, const char *name, const char *state_path,
		      struct lxm_runtime *rt, int *ret_pidfd, struct lxm_error *err)
{
	int r = lxm_runtime_read(state_path, rt);
	bool have_state = r >= 0;

	if (r >= 0) {
		*ret_pidfd = r = lxm_pidfd_open_checked(rt->init_pid, rt->init_starttime);
		/* no pidfd_open (Linux < 5.3, or valgrind 3.19) says nothing
		 * about init: never call a running container stopped */
		if (r < 0 && r != -ESRCH)
			return lxm_error_set(err, -r, "opening a pidfd for init %d (needs Linux 5.3)",
					     (int)rt->init_pid);
	}
	if (r < 0) {
		_cleanup_free_ char *cfg = lxm_container_path(paths, name, "config");

		if (!cfg)
			return lxm_error_set(err, ENOMEM, "attaching");
		if (access(cfg, F_OK) < 0)
			return lxm_error_setr(err, ENOENT, "no such container in '%s'", paths->lxmpath);
		/* between two inits of a reboot (or before the first) */
		if (have_state && rt->state == LXM_STATE_STARTING) {
			_cleanup_free_ char *cdir = lxm_container_path(paths, name, NULL);

			if (cdir && lxm_runtime_is_of(rt, cdir))
				return lxm_error_setr(err, EAGAIN, "is starting (or rebooting); try again once it runs");
		}
		return lxm_error_setr(err, ENOTCONN, "not running");
	}
	{
		_cleanup_free_ char *cdir = lxm_container_path(paths, name, NULL);

		if (!cdir)
			return lxm_error_set(err, ENOMEM, "attaching");
		if (!lxm_runtime_is_of(rt, cdir))
			return lxm_error_setr(err, ENOTCONN, "not running (the container of that name in '%s' is)",
					      rt->dir[0] ? rt->dir : "another lxmpath");
	}
	if (!rt->confine.known)
		return lxm_error_setr(err, EPROTO,
				      "its state file does not say how init is confined (started by an older lxm?); "
				      "restart the container to attach to it");
	/* the command would be frozen at its first instruction, and
	 * lxm-attach wait for it until someone thaws the container */
	if (rt->state == LXM_STATE_FROZEN)
		return lxm_error_setr(err, EBUSY, "frozen; lxm-unfreeze it to attach");
	return 0;
}

/* Whether the init of pidfd has died (a stop during the attach). */
static bool init_gone(int pidfd)
{
	return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0 && errno == ESRCH;
}

/* A step's failure r (< 0) as a stop during the attach when init has died
 * meanwhile: whatever the half-gone container made the step fail with. */
static int unless_stopped(int r, int pidfd, struct lxm_error *err)
{
	if (r < 0 && init_gone(pidfd))
		return lxm_error_setr(err, ESRCH, "not running (it stopped meanwhile)");
	return r;
}

int lxm_attach(const struct lxm_paths *paths, const char *name, const struct lxm_attach_opts *opts,
	       struct lxm_error *err)
{
	_cleanup_free_ char *state_path = lxm_runtime_path(paths, name, "state");
	_cleanup_close_ int pidfd = -1, master = -1, slave = -1;
	struct attach_ctx a = { .opts = opts, .slave = -1 };
	struct stdio_proxy proxy = { .ours = { -1, -1, -1 }, .theirs = { -1, -1, -1 } };
	_cleanup_close_ int child_pidfd = -1, own_pidns = -1;
	struct lxm_seccomp_prog seccomp = { 0 };
	struct lxm_runtime rt;
	int errpipe[2] = { -1, -1 };
	struct lxm_error child_err;
	struct spawn sp;
	char **saved_environ = environ;
	struct sigaction saved_actions[N_FORWARDED];
	sigset_t sigmask;
	bool pty, relay, forwarding = false;
	pid_t pid, waited = -1;
	ssize_t n;
	int r, status;

	if (!state_path)
		return lxm_error_set(err, ENOMEM, "attaching");
	r = read_state(paths, name, state_path, &rt, &pidfd, err);
	if (r < 0)
		goto out;
	/* the cgroup init runs in, as the state file records it (a stop
	 * since the state was read removes it) */
	r = lxm_cgroup_open_join(lxm_cgroup_recorded_leaf(rt.cgroup, name), rt.cgroup_mounts, &a.cg, err);
	r = unless_stopped(r, pidfd, err);
	if (r < 0)
		goto out;
	a.confine = &rt.confine;
	a.pidfd = pidfd;
	a.aa_profile = rt.confine.apparmor[0] ? rt.confine.apparmor : NULL;
	/* the program init got, saved by lxm-start (nothing to parse or
	 * compile), read while the host's files are reachable */
	if (rt.confine.seccomp) {
		_cleanup_free_ char *bpf = lxm_runtime_path(paths, name, "seccomp.bpf");

		r = bpf ? lxm_seccomp_prog_open(bpf, &seccomp, err) : lxm_error_set(err, ENOMEM, "attaching");
		/* a stop since the state was read removes it */
		r = unless_stopped(r, pidfd, err);
		if (r == -ENOENT)
			r = lxm_error_setr(err, ENOENT, "init's seccomp program '%s' is missing", bpf);
		if (r < 0)
			goto out;
		a.seccomp = &seccomp;
	}
	/* One setns() on the pidfd in the child enters them all at once, and
	 * the kernel takes them in the order that makes each step's
	 * permission check right: the user namespace first (so that the rest
	 * is checked against the container's root), then mount, UTS, IPC,
	 * cgroup and network; it either enters all or none. The PID
	 * namespace is this process's, for its child only (below). */
	a.nsflags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP;
	if (rt.confine.userns)
		a.nsflags |= CLONE_NEWUSER;
	pty = opts->use_pty > 0 || (opts->use_pty < 0 && isatty(STDIN_FILENO));
	if (pty) {
		r = open_container_pty(rt.init_pid, &master, &slave, err);
		/* init's /proc/PID/root goes with it */
		r = unless_stopped(r, pidfd, err);
		if (r < 0)
			goto out;
		a.slave = slave;
		a.pty_fds = pty_fds();
	} else {
		r = stdio_proxy_open(&proxy, err);
		if (r < 0)
			goto out;
	}
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		r = lxm_error_set(err, errno, "creating a pipe");
		goto out;
	}
	a.errfd = errpipe[1];
	/* Not dumpable until the command's execve: the child is visible in
	 * the container's PID namespace from its first instruction, and
	 * nothing there may open its /proc/PID/exe (this binary, the
	 * CVE-2019-5736 class) or its memory. The flag belongs to the mm,
	 * which the child shares (CLONE_VM) or copies; its execve gives it
	 * a new one. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* this process's children are born in the container's PID
	 * namespace; it stays in the host's own. Under LeakSanitizer they
	 * have to be born in our own again afterwards: its tracer at exit,
	 * a child of ours, waits forever for one whose parent is outside
	 * its namespace. Nothing else forks here after the command. */
#ifdef __SANITIZE_ADDRESS__
	own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (own_pidns < 0) {
		r = lxm_error_set(err, errno, "opening our own PID namespace");
		goto out;
	}
#endif
	if (setns(pidfd, CLONE_NEWPID) < 0) {
		r = unless_stopped(lxm_error_set(err, errno, "entering the container's PID namespace"), pidfd, err);
		goto out;
	}
	forward_block(&sigmask);
	forwarding = true;
	sp = (struct spawn){ .a = &a, .proxy = &proxy, .sigmask = &sigmask, .errrd = errpipe[0], .master = master };
	/* the child straight into the v2 cgroup (the rwsem only for
	 * reading); where that fails, it joins by writing its pid */
	pid = -1;
	if (lxm_cgroup_v2_fd(a.cg) >= 0) {
		struct clone_args args = {
			.flags = CLONE_INTO_CGROUP,
			.exit_signal = SIGCHLD,
			.cgroup = (uint64_t)lxm_cgroup_v2_fd(a.cg),
		};

		a.in_v2 = true;
		pid = spawn_child(&args, &sp);
		if (pid < 0 && errno == EBUSY) {
			/* the container enabled controllers for its children
			 * (delegation): its own cgroup may hold no process,
			 * init's cgroup (systemd: init.scope) may */
			_cleanup_close_ int leaf = lxm_cgroup_v2_open_of(a.cg, rt.init_pid);

			if (leaf >= 0) {
				args.cgroup = (uint64_t)leaf;
				pid = spawn_child(&args, &sp);
			}
		}
	}
	if (pid < 0) {
		struct clone_args args = { .exit_signal = SIGCHLD };

		a.in_v2 = false;
		pid = spawn_child(&args, &sp);
	}
	r = pid < 0 ? errno : 0;
	if (own_pidns >= 0 && setns(own_pidns, CLONE_NEWPID) < 0)
		log_debug("attach: back to our own PID namespace for children: %s, ignoring", strerror(errno));
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &sigmask, NULL);
		forwarding = false;
		/* a PID namespace whose init died takes no process (ENOMEM) */
		r = unless_stopped(lxm_error_set(err, r, "forking"), pidfd, err);
		goto out;
	}
	/* the child has exec'd (or failed): the environment is ours again.
	 * We stay non-dumpable: the kernel wakes a CLONE_VFORK parent at the
	 * start of the child's execve, while the child still runs on the
	 * shared mm (this binary), and the flag is the mm's; turned back on
	 * here it let a process in the container open the child's
	 * /proc/PID/exe in that window (test-attach's probe caught it). */
	environ = saved_environ;
	relay = master >= 0 || proxy.ours[0] >= 0 || proxy.ours[1] >= 0 || proxy.ours[2] >= 0;
	child_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	forward_begin(child_pidfd, &sigmask, saved_actions);
	for (int i = 0; i < 3; i++) {
		closep(&proxy.theirs[i]);
		proxy.theirs[i] = -1;
	}
	close(errpipe[1]);
	errpipe[1] = -1;
	closep(&slave);
	slave = -1;
	/* the child has exec'd or failed: the cgroup fds (a dozen on a
	 * hybrid host) are closed while the command runs, not after it */
	lxm_cgroup_free(a.cg);
	a.cg = NULL;
	/* Nothing to relay: sleep until the exit (one wakeup, not one at the
	 * exec and one at the exit); a failure before the exec has left its
	 * message in the pipe by then. */
	if (!relay)
		while ((waited = waitpid(pid, &status, 0)) < 0)
			if (errno != EINTR) {
				r = lxm_error_set(err, errno, "waiting for the command");
				goto out;
			}
	n = lxm_read_full(errpipe[0], &child_err, sizeof(child_err));
	if (n == (ssize_t)sizeof(child_err)) {
		child_err.msg[sizeof(child_err.msg) - 1] = '\0';
		*err = child_err;
		while (waited < 0 && (waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		r = -(err->code ? err->code : EIO);
		/* the command that could not be executed: its status as a
		 * shell gives it, err says why */
		if (waited >= 0 && WIFEXITED(status) && WEXITSTATUS(status) >= 126)
			r = WEXITSTATUS(status);
		goto out;
	}
	if (master >= 0)
		proxy_pty(master, a.pty_fds, child_pidfd);
	else if (child_pidfd >= 0 && relay)
		stdio_proxy_run(&proxy, child_pidfd);
	while (waited < 0 && (waited = waitpid(pid, &status, 0)) < 0)
		if (errno != EINTR) {
			r = lxm_error_set(err, errno, "waiting for the command");
			goto out;
		}
	r = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	if (forwarding)
		forward_end(saved_actions);
	stdio_proxy_close(&proxy);
	if (errpipe[0] >= 0)
		close(errpipe[0]);
	if (errpipe[1] >= 0)
		close(errpipe[1]);
	if (a.cg)
		lxm_cgroup_free(a.cg);
	lxm_seccomp_prog_free(&seccomp);
	return r;
}
