#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <termios.h>

#include "console.h"

int lxm_pty_open(struct lxm_pty *pty, struct lxm_error *err)
{
	_cleanup_close_ int master = -1;
	int slave;

	pty->master = pty->slave = -1;
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (master < 0)
		return lxm_error_set(err, errno, "allocating a console pty");
	if (grantpt(master) < 0 || unlockpt(master) < 0 ||
	    ptsname_r(master, pty->path, sizeof(pty->path)) != 0)
		return lxm_error_set(err, errno, "unlocking the console pty");
	slave = open(pty->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return lxm_error_set(err, errno, "opening '%s'", pty->path);
	pty->master = TAKE_FD(master);
	pty->slave = slave;
	return 0;
}

void lxm_pty_close(struct lxm_pty *pty)
{
	closep(&pty->master);
	closep(&pty->slave);
	pty->master = pty->slave = -1;
}

int lxm_ring_init(struct lxm_ring *r, size_t size)
{
	memset(r, 0, sizeof(*r));
	if (size == 0)
		return 0;
	/* pages are touched only as output arrives, so a large ring costs
	 * memory only once the console has written that much */
	r->buf = malloc(size);
	if (!r->buf)
		return -ENOMEM;
	r->size = size;
	return 0;
}

void lxm_ring_free(struct lxm_ring *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

void lxm_ring_write(struct lxm_ring *r, const char *data, size_t len)
{
	if (r->size == 0)
		return;
	if (len >= r->size) {
		memcpy(r->buf, data + len - r->size, r->size);
		r->head = 0;
		r->len = r->size;
		return;
	}
	size_t first = MIN(len, r->size - r->head);
	memcpy(r->buf + r->head, data, first);
	memcpy(r->buf, data + first, len - first);
	r->head = (r->head + len) % r->size;
	r->len = MIN(r->len + len, r->size);
}

size_t lxm_ring_copy(const struct lxm_ring *r, char *out, size_t outsize)
{
	size_t n = MIN(r->len, outsize);
	/* the newest n bytes end at head */
	size_t start = (r->head + r->size - n) % (r->size ? r->size : 1);
	size_t first;

	if (n == 0)
		return 0;
	first = MIN(n, r->size - start);
	memcpy(out, r->buf + start, first);
	memcpy(out + first, r->buf, n - first);
	return n;
}

int lxm_console_log_open(struct lxm_console_log *log, const char *path, uint64_t max,
			 struct lxm_error *err)
{
	struct stat st;

	log->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (log->fd < 0)
		return lxm_error_set(err, errno, "opening console log '%s'", path);
	log->path = strdup(path);
	if (!log->path) {
		closep(&log->fd);
		return lxm_error_set(err, ENOMEM, "opening console log '%s'", path);
	}
	log->size = fstat(log->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	log->max = max;
	return 0;
}

static void console_log_rotate(struct lxm_console_log *log)
{
	_cleanup_free_ char *old = lxm_strdup_printf("%s.1", log->path);
	int fd;

	if (!old)
		return;
	if (rename(log->path, old) < 0)
		return;
	fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0)
		return;
	close(log->fd);
	log->fd = fd;
	log->size = 0;
}

void lxm_console_log_write(struct lxm_console_log *log, const char *data, size_t len)
{
	if (log->fd < 0)
		return;
	/* an empty log is not rotated: that would only replace console.log.1
	 * with an empty file when one write is larger than max */
	if (log->max && log->size && log->size + len > log->max)
		console_log_rotate(log);
	if (lxm_write_full(log->fd, data, len) == 0)
		log->size += len;
}

void lxm_console_log_close(struct lxm_console_log *log)
{
	closep(&log->fd);
	log->fd = -1;
	free(log->path);
	log->path = NULL;
}
