#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>

#include "cmd.h"
#include "console.h"

int lxm_pty_open(struct lxm_pty *pty, struct lxm_error *err)
{
	_cleanup_close_ int master = -1;
	unsigned int n = 0;
	int unlock = 0, slave;

	pty->master = pty->slave = -1;
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (master < 0)
		return lxm_error_set(err, errno, "allocating a console pty");
	/* devpts needs no grantpt(); its number names the slave */
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0)
		return lxm_error_set(err, errno, "unlocking the console pty");
	snprintf(pty->path, sizeof(pty->path), "/dev/pts/%u", n);
	/* the slave through the master, not by path (Linux 4.13) */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0 && (errno == EINVAL || errno == ENOTTY))
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

bool lxm_escape_filter(struct lxm_escape *e, const char *in, size_t len, char *out, size_t *ret_len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (e->key == 0) {
			out[n++] = (char)ch;
		} else if (e->pending) {
			e->pending = false;
			if (ch == 'q') {
				*ret_len = n;
				return true;
			}
			/* <esc> <esc> is one literal <esc>; anything else goes
			 * through with the <esc> held back before it */
			out[n++] = (char)e->key;
			if (ch != e->key)
				out[n++] = (char)ch;
		} else if (ch == e->key) {
			e->pending = true;
		} else {
			out[n++] = (char)ch;
		}
	}
	*ret_len = n;
	return false;
}

static int client_send(int sock, const struct lxm_console_msg *msg, const void *data)
{
	char pkt[sizeof(struct lxm_console_msg) + LXM_CONSOLE_DATA_MAX];
	ssize_t n = lxm_console_msg_encode(msg, data, pkt, sizeof(pkt));

	if (n < 0)
		return (int)n;
	while (send(sock, pkt, (size_t)n, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static void client_send_winsz(const struct lxm_console_client *c)
{
	struct winsize ws;

	if ((ioctl(c->in_fd, TIOCGWINSZ, &ws) == 0 || ioctl(c->out_fd, TIOCGWINSZ, &ws) == 0) &&
	    ws.ws_row && ws.ws_col) {
		struct lxm_console_msg msg = { .type = LXM_CONSOLE_WINSZ, .rows = ws.ws_row, .cols = ws.ws_col };

		(void)client_send(c->sock, &msg, NULL);
	}
}

static int client_send_input(const struct lxm_console_client *c, const char *data, size_t len)
{
	for (size_t done = 0; done < len;) {
		struct lxm_console_msg msg = { .type = LXM_CONSOLE_DATA };
		int r;

		msg.datalen = (uint32_t)MIN(len - done, (size_t)LXM_CONSOLE_DATA_MAX);
		r = client_send(c->sock, &msg, data + done);
		if (r < 0)
			return r;
		done += msg.datalen;
	}
	return 0;
}

int lxm_console_client_run(const struct lxm_console_client *c, struct lxm_error *err)
{
	char pkt[sizeof(struct lxm_console_msg) + LXM_CONSOLE_DATA_MAX];
	char in[4096], filtered[sizeof(in) + 1];
	struct lxm_escape esc = { .key = c->escape };
	struct termios saved;
	sigset_t mask, oldmask;
	_cleanup_close_ int sfd = -1;
	bool raw = false, in_open = true;
	int r = 0;

	/* signals first, so that none can leave the terminal raw */
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &mask, &oldmask);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		r = lxm_error_set(err, errno, "signalfd");
		goto out;
	}
	if (isatty(c->in_fd) && tcgetattr(c->in_fd, &saved) == 0) {
		struct termios t = saved;

		cfmakeraw(&t);
		if (tcsetattr(c->in_fd, TCSAFLUSH, &t) < 0) {
			r = lxm_error_set(err, errno, "setting the terminal to raw mode");
			goto out;
		}
		raw = true;
	}
	client_send_winsz(c);
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = c->sock, .events = POLLIN },
			{ .fd = in_open ? c->in_fd : -1, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		struct lxm_console_msg msg;
		const void *data;
		ssize_t n;
		size_t flen;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = lxm_error_set(err, errno, "poll");
			goto out;
		}
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH) {
					client_send_winsz(c);
				} else if (si.ssi_signo != SIGPIPE) {
					r = 128 + (int)si.ssi_signo;
					goto out;
				}
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(c->sock, pkt, sizeof(pkt), MSG_TRUNC);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno != ECONNRESET) {
				r = lxm_error_set(err, errno, "reading the console");
				goto out;
			}
			if (n <= 0) {  /* the monitor went away */
				r = LXM_CONSOLE_ENDED;
				goto out;
			}
			if ((size_t)n > sizeof(pkt) || lxm_console_msg_decode(pkt, (size_t)n, &msg, &data) < 0 ||
			    msg.type != LXM_CONSOLE_DATA) {
				r = lxm_error_setr(err, EPROTO, "bad message on the console stream");
				goto out;
			}
			if (lxm_write_full(c->out_fd, data, msg.datalen) < 0)
				goto out;   /* nobody reads our output any more */
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			bool detach;

			n = read(c->in_fd, in, sizeof(in));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				/* input ended: keep showing output until the
				 * stream ends or a signal comes */
				in_open = false;
				continue;
			}
			detach = lxm_escape_filter(&esc, in, (size_t)n, filtered, &flen);
			if (flen) {
				r = client_send_input(c, filtered, flen);
				if (r < 0) {
					r = lxm_error_set(err, -r, "writing to the console");
					goto out;
				}
			}
			if (detach)
				goto out;
		}
	}
out:
	if (raw)
		tcsetattr(c->in_fd, TCSAFLUSH, &saved);
	/* drop what is pending of the blocked signals, then restore */
	if (sfd >= 0) {
		struct signalfd_siginfo si;
		int fl = fcntl(sfd, F_GETFL);

		if (fl >= 0 && fcntl(sfd, F_SETFL, fl | O_NONBLOCK) == 0)
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
	}
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return r;
}
