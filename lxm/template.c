#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "log.h"
#include "template.h"

/* <linux/fs.h> clashes with glibc's <sys/mount.h> */
#ifndef FS_IOC_GETFLAGS
#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#define FS_IOC_SETFLAGS _IOW('f', 2, long)
#endif
#ifndef FS_TOPDIR_FL
#define FS_TOPDIR_FL 0x00020000
#endif

#ifndef LXM_DEFAULT_TEMPLATEDIR
#define LXM_DEFAULT_TEMPLATEDIR "/usr/share/lxm/templates"
#endif

#define TEMPLATE_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Kept from our environment: a host that reaches the mirror only through a
 * proxy needs it for debootstrap (wget) and apt in the new rootfs. */
static const char *const template_env_kept[] = {
	"http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy",
	"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY",
};

int lxm_template_make_rootfs(int dirfd)
{
	uint64_t rnd = 0;
	char tmp[64];
	int flags;

	/* Children of a TOPDIR directory are placed by ext4's Orlov
	 * allocator as top-level ones: in an empty block group found from
	 * a start hashed from the name. Without it the rootfs lands where
	 * the last container's was, and on an ext4 without a journal that
	 * one's inodes, if it was removed within the last minute, are skipped
	 * one by one by every inode allocation ("recently deleted": several
	 * seconds of system time for a Debian tree). The random name makes
	 * the start differ each time; the rename keeps the inode where it is.
	 * Elsewhere (no such flag, other filesystems) nothing changes. */
	if (ioctl(dirfd, FS_IOC_GETFLAGS, &flags) == 0 && !(flags & FS_TOPDIR_FL)) {
		flags |= FS_TOPDIR_FL;
		(void)ioctl(dirfd, FS_IOC_SETFLAGS, &flags);
	}
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)time(NULL);
	snprintf(tmp, sizeof(tmp), ".rootfs-%016llx", (unsigned long long)rnd);
	if (mkdirat(dirfd, tmp, 0755) < 0)
		return -errno;
	/* a rootfs that is already there stays, and the caller hears EEXIST */
	if (renameat2(dirfd, tmp, dirfd, "rootfs", RENAME_NOREPLACE) < 0) {
		int r = -errno;

		(void)unlinkat(dirfd, tmp, AT_REMOVEDIR);
		return r;
	}
	return 0;
}

bool lxm_template_name_valid(const char *name)
{
	if (!name || !*name || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return true;
}

const char *lxm_template_dir(void)
{
	const char *dir = getenv("LXM_TEMPLATEDIR");

	return dir && *dir ? dir : LXM_DEFAULT_TEMPLATEDIR;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int lxm_template_list(char ***ret, size_t *ret_n, struct lxm_error *err)
{
	const char *dir = lxm_template_dir();
	_cleanup_strv_ char **v = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	*ret = NULL;
	*ret_n = 0;
	d = opendir(dir);
	if (!d)
		return lxm_error_set(err, errno, "listing templates in '%s'", dir);
	while ((de = readdir(d))) {
		const char *tname = de->d_name + strlen("lxm-");
		struct stat st;
		char **nv;

		/* what lxm_template_find() would take: lxm-<valid name>, a
		 * regular executable file (not an editor's "lxm-foo~") */
		if (!lxm_startswith(de->d_name, "lxm-") || !lxm_template_name_valid(tname) ||
		    fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode) ||
		    faccessat(dirfd(d), de->d_name, X_OK, 0) < 0)
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv || !(nv[n] = strdup(tname))) {
			if (nv)
				v = nv;
			closedir(d);
			return lxm_error_set(err, ENOMEM, "listing templates in '%s'", dir);
		}
		v = nv;
		v[++n] = NULL;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), name_cmp);
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

int lxm_template_find(const char *name, char **ret_path, struct lxm_error *err)
{
	const char *dir = lxm_template_dir();
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (!lxm_template_name_valid(name))
		return lxm_error_setr(err, EINVAL, "invalid template name '%s' (allowed: a-z, 0-9, '_', '-')",
				      name ? name : "");

	path = lxm_strdup_printf("%s/lxm-%s", dir, name);
	if (!path)
		return lxm_error_set(err, ENOMEM, "finding template '%s'", name);
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return lxm_error_setr(err, ENOENT, "template '%s' not found in '%s'", name, dir);
		return lxm_error_set(err, errno, "finding template '%s' in '%s'", name, dir);
	}
	if (!S_ISREG(st.st_mode))
		return lxm_error_setr(err, ENOEXEC, "template '%s' ('%s') is not a regular file", name, path);
	if (access(path, X_OK) < 0)
		return lxm_error_setr(err, EACCES, "template '%s' ('%s') is not executable", name, path);

	log_debug("template '%s' is '%s'", name, path);
	*ret_path = TAKE_PTR(path);
	return 0;
}

void lxm_template_result_free(struct lxm_template_result *r)
{
	if (!r)
		return;
	free(r->init);
	free(r->halt_signal);
	free(r->reboot_signal);
	*r = (struct lxm_template_result) {};
}

/* "lxm-busybox" for "/usr/share/lxm/templates/lxm-busybox" -> "busybox". */
static const char *template_label(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return lxm_startswith(base, "lxm-") && base[4] ? base + 4 : base;
}

static bool signal_name_valid(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '+' || *s == '-' || *s == '_'))
			return false;
	return true;
}

/* A "key=value" line the template uses to hint the config: 1 when taken,
 * 0 when it is an ordinary line, <0 on a bad value. */
static int parse_hint(const char *label, const char *line, struct lxm_template_result *res,
		      struct lxm_error *err)
{
	static const struct {
		const char *key;
		size_t offset;
		bool is_signal;
	} keys[] = {
		{ "init", offsetof(struct lxm_template_result, init), false },
		{ "halt_signal", offsetof(struct lxm_template_result, halt_signal), true },
		{ "reboot_signal", offsetof(struct lxm_template_result, reboot_signal), true },
	};
	const char *eq = strchr(line, '=');

	if (!eq)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		char **slot = (char **)((char *)res + keys[i].offset);
		const char *value = eq + 1;
		char *copy;

		if (strlen(keys[i].key) != (size_t)(eq - line) || strncmp(line, keys[i].key, (size_t)(eq - line)) != 0)
			continue;
		if (keys[i].is_signal ? !signal_name_valid(value) : value[0] != '/')
			return lxm_error_setr(err, EINVAL, "template '%s' printed an invalid %s '%s'",
					      label, keys[i].key, value);
		copy = strdup(value);
		if (!copy)
			return lxm_error_set(err, ENOMEM, "reading the output of template '%s'", label);
		free(*slot);
		*slot = copy;
		return 1;
	}
	return 0;
}

/* Place `fd` at `target` without FD_CLOEXEC. */
static int move_fd(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) < 0 ? -1 : 0;
}

static _Noreturn void child_exec(const char *path, char *const *argv, char *const *envp,
				 int nullfd, int outfd, int errfd, int lockfd, pid_t parent)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	int e;

	/* a SIGKILLed lxm-create cannot forward its SIGTERM: the kernel
	 * sends it (the parent may be gone already, before the prctl) */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0 || getppid() != parent)
		_exit(127);

	/* Ignored signals and the mask survive exec: give the template a
	 * normal process. */
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (move_fd(nullfd, STDIN_FILENO) < 0 || move_fd(outfd, STDOUT_FILENO) < 0)
		goto fail;
	/* the lock goes right above the error pipe */
	if (lockfd >= 0 && move_fd(lockfd, errfd + 1) < 0)
		goto fail;
	/* Only 0-2, the CLOEXEC error pipe and the lock may survive until
	 * exec. */
	if (errfd > 3)
		close_range(3, (unsigned)errfd - 1, 0);
	close_range((unsigned)errfd + (lockfd >= 0 ? 2 : 1), ~0U, 0);

	execve(path, argv, envp);
fail:
	e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(127);
}

volatile sig_atomic_t lxm_template_interrupted;

static int wait_child(pid_t pid, int *ret_status)
{
	bool forwarded = false;

	for (;;) {
		/* a signal meant for us alone (kill PID, not the terminal's
		 * process group) must stop the template too */
		if (lxm_template_interrupted && !forwarded) {
			kill(pid, SIGTERM);
			forwarded = true;
		}
		if (waitpid(pid, ret_status, 0) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* Read the template's stdout: hints into `res`, the rest to our stdout. */
static int read_output(const char *label, int fd, struct lxm_template_result *res, struct lxm_error *err)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	ssize_t n;
	int r = 0;

	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return lxm_error_set(err, errno, "reading the output of template '%s'", label);
	}
	while ((n = getline(&line, &size, f)) >= 0) {
		bool nl = n > 0 && line[n - 1] == '\n';
		int h;

		if (nl)
			line[n - 1] = '\0';
		/* After a bad hint keep draining, so the template does not
		 * die of SIGPIPE; the first error is the one reported. */
		h = r < 0 ? 0 : parse_hint(label, line, res, err);
		if (h < 0)
			r = h;
		if (h != 0)
			continue;
		fputs(line, stdout);
		if (nl)
			fputc('\n', stdout);
		fflush(stdout);
	}
	if (ferror(f) && r == 0)
		r = lxm_error_set(err, errno ? errno : EIO, "reading the output of template '%s'", label);
	return r;
}

/* A template's exit status as an error (what: "" for a run, " --help"),
 * 0 for a clean exit. */
static int exit_status_error(const char *label, const char *what, int status, struct lxm_error *err)
{
	if (WIFSIGNALED(status))
		return lxm_error_setr(err, ECHILD, "template '%s'%s killed by signal %d", label, what,
				      WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return lxm_error_setr(err, ECHILD, "template '%s'%s failed with exit status %d", label, what,
				      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

int lxm_template_help(const char *path, struct lxm_error *err)
{
	char *const argv[] = { (char *)path, (char *)"--help", NULL };
	char *const envp[] = { (char *)TEMPLATE_PATH, (char *)"LANG=C", NULL };
	const char *label = template_label(path);
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return lxm_error_set(err, errno, "running template '%s' --help", label);
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY | O_NOCTTY);

		if (fd >= 0 && fd != STDIN_FILENO) {
			dup2(fd, STDIN_FILENO);
			close(fd);
		}
		execve(path, argv, envp);
		fprintf(stderr, "running template '%s': %s\n", path, strerror(errno));
		_exit(127);
	}
	if (wait_child(pid, &status) < 0)
		return lxm_error_set(err, errno, "waiting for template '%s' --help", label);
	return exit_status_error(label, " --help", status, err);
}

int lxm_template_run(const char *path, const char *name, const char *container_dir,
		     const char *rootfs, char *const *args, int lockfd, struct lxm_template_result *ret,
		     struct lxm_error *err)
{
	struct lxm_template_result res = {};
	const char *label = template_label(path);
	const char *cachedir = getenv("LXM_CACHEDIR");
	_cleanup_free_ char *cache_env = NULL;
	_cleanup_free_ char **argv = NULL;
	_cleanup_close_ int nullfd = -1, out_r = -1, out_w = -1, err_r = -1, err_w = -1;
	char *envp[3 + ARRAY_SIZE(template_env_kept) + 1] = {};
	size_t nargs = 0, n = 0, ne = 0;
	int status, e = 0, r;
	ssize_t got;
	pid_t pid, self = getpid();

	if (!path || !name || !container_dir || !rootfs)
		return lxm_error_setr(err, EINVAL, "running a template: missing argument");

	while (args && args[nargs])
		nargs++;
	argv = calloc(nargs + 8, sizeof(*argv));
	if (!argv)
		return lxm_error_set(err, ENOMEM, "running template '%s'", label);
	argv[n++] = (char *)path;
	argv[n++] = (char *)"--name";
	argv[n++] = (char *)name;
	argv[n++] = (char *)"--path";
	argv[n++] = (char *)container_dir;
	argv[n++] = (char *)"--rootfs";
	argv[n++] = (char *)rootfs;
	for (size_t i = 0; i < nargs; i++)
		argv[n++] = args[i];

	envp[ne++] = (char *)TEMPLATE_PATH;
	envp[ne++] = (char *)"LANG=C";
	if (cachedir && *cachedir) {
		cache_env = lxm_strdup_printf("LXM_CACHEDIR=%s", cachedir);
		if (!cache_env)
			return lxm_error_set(err, ENOMEM, "running template '%s'", label);
		envp[ne++] = cache_env;
	}
	/* as "NAME=value" from our environ, so nothing is allocated */
	for (size_t i = 0; i < ARRAY_SIZE(template_env_kept); i++) {
		size_t len = strlen(template_env_kept[i]);

		for (char **v = environ; v && *v; v++)
			if (strncmp(*v, template_env_kept[i], len) == 0 && (*v)[len] == '=') {
				envp[ne++] = *v;
				break;
			}
	}

	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (nullfd < 0)
		return lxm_error_set(err, errno, "opening '/dev/null'");
	{
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0)
			return lxm_error_set(err, errno, "running template '%s': pipe", label);
		out_r = p[0];
		out_w = p[1];
		if (pipe2(p, O_CLOEXEC) < 0)
			return lxm_error_set(err, errno, "running template '%s': pipe", label);
		err_r = p[0];
		err_w = p[1];
	}

	log_debug("running template '%s' for '%s' into '%s'", path, name, rootfs);
	/* Flush so the child cannot write out our buffered output again. */
	fflush(stdout);
	fflush(stderr);
	/* Same process group as ours, on purpose: Ctrl-C reaches it. */
	pid = fork();
	if (pid < 0)
		return lxm_error_set(err, errno, "running template '%s': fork", label);
	if (pid == 0)
		child_exec(path, argv, envp, nullfd, out_w, err_w, lockfd, self);

	close(TAKE_FD(out_w));
	close(TAKE_FD(err_w));
	close(TAKE_FD(nullfd));

	got = lxm_read_full(err_r, &e, sizeof(e));
	if (got == (ssize_t)sizeof(e)) {
		(void)wait_child(pid, &status);
		return lxm_error_set(err, e, "executing template '%s'", path);
	}

	r = read_output(label, TAKE_FD(out_r), &res, err);
	if (wait_child(pid, &status) < 0) {
		lxm_template_result_free(&res);
		return lxm_error_set(err, errno, "waiting for template '%s'", label);
	}
	if (exit_status_error(label, "", status, err) < 0) {
		lxm_template_result_free(&res);
		return -ECHILD;
	}
	if (r < 0) {
		lxm_template_result_free(&res);
		return r;
	}

	log_debug("template '%s' done: init=%s halt_signal=%s reboot_signal=%s", label,
		  res.init ? res.init : "-", res.halt_signal ? res.halt_signal : "-",
		  res.reboot_signal ? res.reboot_signal : "-");
	if (ret)
		*ret = res;
	else
		lxm_template_result_free(&res);
	return 0;
}
