#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "inuse.h"
#include "util.h"

void lxm_inuse_release(struct lxm_inuse *h)
{
	/* removed while still held: no look can be removing it meanwhile */
	if (h->fd >= 0 && h->dirfd >= 0)
		(void)unlinkat(h->dirfd, h->name, 0);
	closep(&h->fd);
	closep(&h->dirfd);
	h->fd = h->dirfd = -1;
}

int lxm_inuse_take(const char *dir, const char *what, struct lxm_inuse *ret)
{
	static unsigned serial;
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	*ret = (struct lxm_inuse)LXM_INUSE_INIT;
	if (dfd < 0)
		return -errno;
	for (int attempt = 0; attempt < 10; attempt++) {
		_cleanup_close_ int fd = -1;
		struct timespec ts;
		struct stat a, b;
		char *name = ret->name;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		/* a name nobody had: a killed holder's file is never taken
		 * again, so whoever finds it unheld may remove it */
		snprintf(name, sizeof(ret->name), LXM_INUSE_PREFIX "%d.%llx.%u", (int)getpid(),
			 (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec, serial++);
		fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return -errno;
		/* the text before the lock: a held file always says who holds it */
		r = lxm_write_full(fd, what, strlen(what));
		if (r == 0)
			r = lxm_write_full(fd, "\n", 1);
		/* a look meanwhile that found it unheld holds it shared for
		 * an instant while it removes it */
		if (r == 0)
			r = lxm_flock_retry(fd, 20, 500);
		if (r < 0 && r != -EWOULDBLOCK) {
			(void)unlinkat(dfd, name, 0);
			return r;
		}
		/* held, and still there under its name: ours */
		if (r == 0 && fstat(fd, &a) == 0 && fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			ret->fd = TAKE_FD(fd);
			ret->dirfd = TAKE_FD(dfd);
			return 0;
		}
		(void)unlinkat(dfd, name, 0);
	}
	return -EBUSY;
}

/* The first line of what fd says, control characters replaced. */
static void read_what(int fd, char *buf, size_t n)
{
	ssize_t len;

	if (n == 0)
		return;
	len = pread(fd, buf, n - 1, 0);
	buf[len > 0 ? len : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
}

int lxm_inuse_find(const char *dir, char *ret_what, size_t n)
{
	/* followed: a container's directory may be a symlink (lxm-start
	 * takes one) */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	int held = 0, r = 0;
	DIR *d;

	if (n)
		ret_what[0] = '\0';
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		close(dfd);
		return r;
	}
	while ((de = readdir(d))) {
		_cleanup_close_ int fd = -1;

		if (!lxm_startswith(de->d_name, LXM_INUSE_PREFIX))
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		/* gone meanwhile (its holder is done), or no file of ours */
		if (fd < 0 && (errno == ENOENT || errno == ELOOP))
			continue;
		if (fd < 0) {
			r = -errno;
			break;
		}
		if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
			/* its holder was killed (or has not locked it yet: it
			 * then sees it gone and makes another); removed while
			 * held, so no holder can take it in between */
			(void)unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (errno != EWOULDBLOCK) {
			r = -errno;
			break;
		}
		if (held++ == 0)
			read_what(fd, ret_what, n);
	}
	closedir(d);
	return r < 0 ? r : held;
}

int lxm_inuse_check(const char *dir, struct lxm_error *err)
{
	char what[256];
	int r = lxm_inuse_find(dir, what, sizeof(what));

	if (r == 0)
		return 0;
	if (r < 0)
		return lxm_error_set(err, -r, "checking whether '%s' is being copied or exported", dir);
	if (!what[0])
		snprintf(what, sizeof(what), "being copied or exported (" LXM_INUSE_PREFIX "* in '%s')", dir);
	if (r == 1)
		return lxm_error_setr(err, EBUSY, "%s; try again when it is done", what);
	return lxm_error_setr(err, EBUSY, "%s, and read by %d other command(s); try again when they are done", what,
			      r - 1);
}
