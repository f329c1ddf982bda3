#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "util.h"

void lxm_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n && v[i]; i++)
		free(v[i]);
	free(v);
}

char *lxm_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

bool lxm_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int lxm_strscpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(dst, src, len + 1);
	return 0;
}

ssize_t lxm_read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int lxm_write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return 0;
}

int lxm_read_file_at(int dirfd, const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		if (cap - len < 4096) {
			char *nbuf;

			cap = cap ? cap * 2 : 8192;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf)
				return -ENOMEM;
			buf = nbuf;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

int lxm_write_file_at(int dirfd, const char *path, const char *data, size_t len, int flags, mode_t mode)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY | flags, mode);

	if (fd < 0)
		return -errno;
	return lxm_write_full(fd, data, len);
}

int lxm_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	return lxm_write_file_replace(path, data, len, mode, true);
}

int lxm_write_file_replace(const char *path, const char *data, size_t len, mode_t mode, bool durable)
{
	_cleanup_free_ char *tmp = lxm_strdup_printf("%s.tmp.%d", path, (int)getpid());
	_cleanup_free_ char *dir = strdup(path);
	_cleanup_close_ int fd = -1, dfd = -1;
	int r;

	if (!tmp || !dir)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	r = lxm_write_full(fd, data, len);
	/* the umask must not take bits away from what the caller asked for */
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && durable && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	if (!durable)
		return 0;
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd);
	return 0;
}

int lxm_write_file_replace_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	_cleanup_free_ char *tmp = lxm_strdup_printf("%s.tmp", name);
	_cleanup_close_ int fd = -1;
	int r;

	if (!tmp)
		return -ENOMEM;
	/* a fixed name: one left by a crash is taken again, not followed */
	if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT)
		return -errno;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	r = lxm_write_full(fd, data, len);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0)
		(void)unlinkat(dirfd, tmp, 0);
	return r;
}

int lxm_lock_held_at(int dirfd, const char *path)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 1 : -errno;
	return 0;
}

int lxm_flock_retry(int fd, unsigned tries, unsigned step_us)
{
	for (unsigned t = 0; t < tries; t++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK)
			return -errno;
		if (t + 1 < tries)
			usleep(step_us);
	}
	return -EWOULDBLOCK;
}

int lxm_open_ours_at(int dirfd, const char *name, int flags, mode_t forbid, struct stat *st)
{
	struct stat buf;
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC);

	if (!st)
		st = &buf;
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	if (!((flags & O_DIRECTORY) ? S_ISDIR(st->st_mode) : S_ISREG(st->st_mode)) || st->st_uid != geteuid() ||
	    (st->st_mode & forbid)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

int lxm_mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

bool lxm_path_next(const char **p, const char **ret_comp, size_t *ret_len)
{
	const char *s = *p;
	const char *slash;

	while (*s == '/')
		s++;
	if (!*s) {
		*p = s;
		return false;
	}
	slash = strchr(s, '/');
	*ret_comp = s;
	*ret_len = slash ? (size_t)(slash - s) : strlen(s);
	*p = s + *ret_len;
	return true;
}

uint64_t lxm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void lxm_file_ident(const char *path, char *buf, size_t size)
{
	struct stat st;

	if (!path || !path[0] || stat(path, &st) < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%lu:%lu %lld %lld.%09ld", (unsigned long)st.st_dev, (unsigned long)st.st_ino,
			 (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

int lxm_boot_id(char out[64])
{
	_cleanup_free_ char *id = NULL;
	size_t len = 0;
	int r = lxm_read_file_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", &id, &len);

	if (r < 0)
		return r;
	while (len && (id[len - 1] == '\n' || id[len - 1] == ' '))
		id[--len] = '\0';
	if (len == 0 || len >= 64)
		return -EINVAL;
	memcpy(out, id, len + 1);
	return 0;
}

int lxm_why_invalid(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int lxm_parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	if (*end)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int lxm_proc_starttime(pid_t pid, uint64_t *ret)
{
	return lxm_proc_stat(pid, NULL, ret);
}

int lxm_proc_stat(pid_t pid, char *ret_state, uint64_t *ret_starttime)
{
	char path[64];
	_cleanup_free_ char *buf = NULL;
	char *p;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	r = lxm_read_file_at(AT_FDCWD, path, &buf, NULL);
	if (r < 0)
		return r;
	/* comm may hold spaces and parentheses: fields start after the last ')' */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -EINVAL;
	p++;
	if (ret_state)
		*ret_state = p[1];
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	if (ret_starttime)
		*ret_starttime = strtoull(p + 1, NULL, 10);
	return 0;
}

/* The hexadecimal mask of line "name:" of /proc/PID/status text. */
static bool status_mask(const char *status, const char *name, uint64_t *ret)
{
	size_t len = strlen(name);
	char *end;

	for (const char *line = status; line && *line;) {
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			errno = 0;
			*ret = strtoull(line + len + 1, &end, 16);
			return errno == 0 && end != line + len + 1;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

bool lxm_signal_taken(const char *status, const char *syscall_text, int sig)
{
	uint64_t bit, blocked, ignored, caught;
	char *end;
	long nr;

	if (sig < 1 || sig > 64)
		return false;
	bit = 1ULL << (sig - 1);
	/* unreadable: nothing known, the signal goes as it always did */
	if (!status_mask(status, "SigBlk", &blocked) || !status_mask(status, "SigIgn", &ignored) ||
	    !status_mask(status, "SigCgt", &caught))
		return true;
	if (ignored & bit)
		return false;
	if ((blocked | caught) & bit)
		return true;
	if (!syscall_text)
		return true;
	/* "NR args... sp pc" while in a syscall; "running" or "-1 ..." not */
	errno = 0;
	nr = strtol(syscall_text, &end, 10);
	if (errno || end == syscall_text || (*end != ' ' && *end != '\n' && *end))
		return false;
#ifdef SYS_rt_sigtimedwait_time64
	if (nr == SYS_rt_sigtimedwait_time64)
		return true;
#endif
	return nr == SYS_rt_sigtimedwait;
}

int lxm_proc_signal_taken(pid_t pid, int sig)
{
	_cleanup_free_ char *status = NULL, *sc = NULL;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	r = lxm_read_file_at(AT_FDCWD, path, &status, NULL);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	/* not there without CONFIG_HAVE_ARCH_TRACEHOOK, EACCES where ptrace
	 * is not allowed: unknown */
	(void)lxm_read_file_at(AT_FDCWD, path, &sc, NULL);
	return lxm_signal_taken(status, sc, sig);
}

unsigned lxm_signal_hold_step_ms(uint64_t held_ns)
{
	return held_ns < 1000000000ULL ? 10 : 250;
}

int lxm_parse_cidr(const char *s, int *ret_family, unsigned char addr[16], unsigned *ret_prefix)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	int family;
	unsigned max, prefix;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	max = family == AF_INET ? 32 : 128;
	slash = strchr(s, '/');
	if (slash) {
		char *end;
		unsigned long p;

		buf[slash - s] = '\0';
		if (!slash[1] || !isdigit((unsigned char)slash[1]))
			return -EINVAL;
		errno = 0;
		p = strtoul(slash + 1, &end, 10);
		if (errno || *end || p > max)
			return -EINVAL;
		prefix = (unsigned)p;
	} else {
		prefix = max;
	}
	memset(addr, 0, 16);
	if (inet_pton(family, buf, addr) != 1)
		return -EINVAL;
	*ret_family = family;
	*ret_prefix = prefix;
	return 0;
}

bool lxm_same_address(const char *a, const char *b)
{
	unsigned char x[16], y[16];
	unsigned px, py;
	int fx, fy;

	if (lxm_parse_cidr(a, &fx, x, &px) < 0 || lxm_parse_cidr(b, &fy, y, &py) < 0)
		return false;
	return fx == fy && memcmp(x, y, 16) == 0;
}
