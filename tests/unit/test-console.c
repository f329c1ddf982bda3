/* The console ring buffer, console.log rotation and the pty pair. */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cmd.h"
#include "console.h"
#include "tap.h"

static char tmp[] = "/tmp/test-console-XXXXXX";

/* The ring's content as a NUL-terminated string. */
static const char *ring_str(const struct lxm_ring *r)
{
	static char buf[256];
	size_t n = lxm_ring_copy(r, buf, sizeof(buf) - 1);

	buf[n] = '\0';
	return buf;
}

static void test_ring(void)
{
	struct lxm_ring r;
	char out[16], big[100];
	size_t n;
	int ret;

	ret = lxm_ring_init(&r, 8);
	ok(ret == 0 && r.size == 8, "ring of 8 bytes");
	ok(streq(ring_str(&r), "") && r.len == 0, "new ring is empty");

	lxm_ring_write(&r, "abc", 3);
	ok(streq(ring_str(&r), "abc") && r.len == 3, "partial fill: '%s'", ring_str(&r));
	lxm_ring_write(&r, "", 0);
	ok(streq(ring_str(&r), "abc"), "an empty write changes nothing");
	lxm_ring_write(&r, "defgh", 5);
	ok(streq(ring_str(&r), "abcdefgh") && r.len == 8, "exact fill: '%s'", ring_str(&r));
	lxm_ring_write(&r, "ij", 2);
	ok(streq(ring_str(&r), "cdefghij"), "wrap-around keeps the newest in order: '%s'", ring_str(&r));
	lxm_ring_write(&r, "klmnop", 6);
	ok(streq(ring_str(&r), "ijklmnop"), "wrap-around across the end: '%s'", ring_str(&r));
	for (char c = 'q'; c <= 'z'; c++)
		lxm_ring_write(&r, &c, 1);
	ok(streq(ring_str(&r), "stuvwxyz"), "byte-wise writes: '%s'", ring_str(&r));

	n = lxm_ring_copy(&r, out, 3);
	out[n] = '\0';
	ok(n == 3 && streq(out, "xyz"), "copy into a smaller buffer returns the newest: '%s'", out);
	n = lxm_ring_copy(&r, out, 0);
	ok(n == 0, "copy into a 0-byte buffer returns 0");

	lxm_ring_write(&r, "0123456789ABCDEF", 16);
	ok(streq(ring_str(&r), "89ABCDEF") && r.len == 8, "a write larger than the ring keeps its tail: '%s'",
	   ring_str(&r));
	lxm_ring_write(&r, "01234567", 8);
	ok(streq(ring_str(&r), "01234567"), "a write of exactly the ring size replaces it: '%s'", ring_str(&r));
	lxm_ring_write(&r, "xy", 2);
	ok(streq(ring_str(&r), "234567xy"), "writes after a full replace wrap correctly: '%s'", ring_str(&r));
	lxm_ring_free(&r);
	ok(!r.buf && r.size == 0 && r.len == 0, "free clears the ring");

	/* a partial fill, then a write crossing the end */
	ret = lxm_ring_init(&r, 5);
	lxm_ring_write(&r, "abc", 3);
	lxm_ring_write(&r, "defg", 4);
	ok(ret == 0 && streq(ring_str(&r), "cdefg"), "partial fill then a wrapping write: '%s'", ring_str(&r));
	n = lxm_ring_copy(&r, out, 4);
	out[n] = '\0';
	ok(n == 4 && streq(out, "defg"), "smaller copy of a wrapped ring: '%s'", out);
	lxm_ring_free(&r);

	ret = lxm_ring_init(&r, 0);
	ok(ret == 0 && r.size == 0 && !r.buf, "ring of size 0");
	lxm_ring_write(&r, "abc", 3);
	ok(r.len == 0 && streq(ring_str(&r), ""), "a size 0 ring ignores writes");
	lxm_ring_free(&r);

	ret = lxm_ring_init(&r, 64);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	for (int i = 0; i < 7; i++)
		lxm_ring_write(&r, big, 13 + (size_t)i);
	n = lxm_ring_copy(&r, out, 10);
	ok(ret == 0 && n == 10 && memcmp(out, big + 19 - 10, 10) == 0, "many odd-sized writes: newest 10 correct");
	lxm_ring_free(&r);
}

static char *read_text(const char *path)
{
	char *text = NULL;

	if (lxm_read_file_at(AT_FDCWD, path, &text, NULL) < 0)
		return NULL;
	return text;
}

static const char *nn(const char *s)
{
	return s ? s : "(null)";
}

static void test_console_log(void)
{
	_cleanup_free_ char *path = lxm_strdup_printf("%s/console.log", tmp);
	_cleanup_free_ char *old = lxm_strdup_printf("%s/console.log.1", tmp);
	_cleanup_free_ char *link = lxm_strdup_printf("%s/link.log", tmp);
	_cleanup_free_ char *missing = lxm_strdup_printf("%s/nodir/console.log", tmp);
	struct lxm_console_log log;
	struct lxm_error err = {};
	char line[61];
	struct stat st;
	char *text;
	int r;
	bool good;

	if (!path || !old || !link || !missing)
		abort();
	memset(line, 'a', 60);
	line[59] = '\n';
	line[60] = '\0';

	r = lxm_console_log_open(&log, path, 100, &err);
	ok(r == 0 && log.size == 0, "open a new log (%s)", err.msg);
	r = stat(path, &st);
	ok(r == 0 && (st.st_mode & 07777) == 0600, "log created with mode 0600 (%o)", st.st_mode & 07777);
	lxm_console_log_write(&log, line, 60);
	ok(log.size == 60, "60 bytes written (%llu)", (unsigned long long)log.size);
	lxm_console_log_write(&log, "0123456789012345678901234567890123456789", 40);
	ok(log.size == 100, "exactly max bytes do not rotate (%llu)", (unsigned long long)log.size);
	r = access(old, F_OK);
	ok(r < 0 && errno == ENOENT, "no rotation yet");
	lxm_console_log_write(&log, "NEW", 3);
	ok(log.size == 3, "beyond max: rotated, size counts the new file (%llu)", (unsigned long long)log.size);
	text = read_text(old);
	good = text && strlen(text) == 100 && lxm_startswith(text, line);
	ok(good, "console.log.1 holds the old 100 bytes");
	free(text);
	text = read_text(path);
	ok(text && streq(text, "NEW"), "the new console.log starts with the new write (%s)", nn(text));
	free(text);
	lxm_console_log_close(&log);
	ok(log.fd == -1 && !log.path, "close clears the log");

	/* size accounting of an existing file */
	r = lxm_console_log_open(&log, path, 100, &err);
	ok(r == 0 && log.size == 3, "reopening counts the existing 3 bytes (%llu)", (unsigned long long)log.size);
	lxm_console_log_write(&log, line, 60);
	lxm_console_log_write(&log, line, 37);
	ok(log.size == 100, "appended up to max (%llu)", (unsigned long long)log.size);
	text = read_text(path);
	good = text && strlen(text) == 100 && lxm_startswith(text, "NEWaaa");
	ok(good, "appended after the existing content");
	free(text);
	lxm_console_log_write(&log, "X", 1);
	text = read_text(path);
	ok(text && streq(text, "X"), "one byte more rotates (%s)", nn(text));
	free(text);
	text = read_text(old);
	good = text && strlen(text) == 100 && lxm_startswith(text, "NEWaaa");
	ok(good, "and replaces the previous console.log.1");
	free(text);
	lxm_console_log_close(&log);

	/* one write larger than max into an empty log: rotating the empty
	 * file would only throw away console.log.1 */
	unlink(path);
	r = lxm_console_log_open(&log, path, 50, &err);
	lxm_console_log_write(&log, line, 60);
	ok(r == 0 && log.size == 60, "a write larger than max goes to the empty log (%llu)",
	   (unsigned long long)log.size);
	text = read_text(old);
	good = text && strlen(text) == 100 && lxm_startswith(text, "NEWaaa");
	ok(good, "console.log.1 is kept when the log was empty");
	free(text);
	lxm_console_log_write(&log, "Y", 1);
	text = read_text(old);
	good = text && streq(text, line);
	ok(good, "the next write rotates the oversized log");
	free(text);
	lxm_console_log_close(&log);
	unlink(path);

	/* max 0: never rotate */
	r = lxm_console_log_open(&log, path, 0, &err);
	for (int i = 0; i < 5; i++)
		lxm_console_log_write(&log, line, 60);
	ok(r == 0 && log.size == 300, "max 0 never rotates (%llu)", (unsigned long long)log.size);
	lxm_console_log_close(&log);

	r = symlink(path, link);
	r = r == 0 ? lxm_console_log_open(&log, link, 100, &err) : 0;
	ok(r == -ELOOP, "a symlink as the log is refused (%d)", r);
	if (r == 0)
		lxm_console_log_close(&log);
	r = lxm_console_log_open(&log, missing, 100, &err);
	ok(r == -ENOENT && strstr(err.msg, "nodir"), "a missing directory: ENOENT with the path (%s)", err.msg);
	unlink(link);
	unlink(path);
	unlink(old);
}

static void test_pty(void)
{
	struct lxm_pty pty;
	struct lxm_error err = {};
	struct pollfd pfd;
	char buf[64];
	ssize_t n = -1;
	int r, fd;
	bool good;

	fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		for (int i = 0; i < 6; i++)
			ok(1, "# SKIP /dev/ptmx not usable: %m");
		return;
	}
	close(fd);

	r = lxm_pty_open(&pty, &err);
	ok(r == 0, "pty opened (%s)", err.msg);
	if (r < 0)
		return;
	good = lxm_startswith(pty.path, "/dev/pts/") && pty.master >= 0 && pty.slave >= 0;
	ok(good, "slave path %s", pty.path);
	good = (fcntl(pty.master, F_GETFL) & O_NONBLOCK) && (fcntl(pty.master, F_GETFD) & FD_CLOEXEC);
	ok(good, "master is O_NONBLOCK and O_CLOEXEC");
	{
		struct stat a, b;

		good = fstat(pty.slave, &a) == 0 && stat(pty.path, &b) == 0 && S_ISCHR(a.st_mode) && a.st_rdev == b.st_rdev &&
		       (fcntl(pty.slave, F_GETFD) & FD_CLOEXEC);
		ok(good, "the slave (opened through the master) is the device at %s, O_CLOEXEC", pty.path);
	}

	/* raw-ish check: output processing may turn \n into \r\n, so no \n */
	r = lxm_write_full(pty.slave, "hello", 5);
	pfd = (struct pollfd){ .fd = pty.master, .events = POLLIN };
	if (r == 0 && poll(&pfd, 1, 5000) == 1)
		n = read(pty.master, buf, sizeof(buf) - 1);
	if (n >= 0)
		buf[n] = '\0';
	ok(n == 5 && streq(buf, "hello"), "written to the slave, read from the master (%zd)", n);
	lxm_pty_close(&pty);
	ok(pty.master == -1 && pty.slave == -1, "close resets the fds");
}

static bool filter_is(struct lxm_escape *e, const char *in, const char *want, bool want_detach)
{
	char out[64];
	size_t n = 0;
	bool d = lxm_escape_filter(e, in, strlen(in), out, &n);

	return d == want_detach && n == strlen(want) && memcmp(out, want, n) == 0;
}

static void test_escape(void)
{
	struct lxm_escape e = { .key = 1 };
	bool good;

	good = filter_is(&e, "ls\r", "ls\r", false);
	ok(good, "escape: plain input passes unchanged");
	good = filter_is(&e, "ab\001q", "ab", true);
	ok(good, "escape: ^a q detaches, what came before is sent");
	e.pending = false;
	good = filter_is(&e, "\001\001x", "\001x", false) && !e.pending;
	ok(good, "escape: ^a ^a sends one ^a");
	good = filter_is(&e, "\001z", "\001z", false);
	ok(good, "escape: ^a followed by another key sends both");
	good = filter_is(&e, "x\001", "x", false) && e.pending;
	ok(good, "escape: a trailing ^a is held back");
	good = filter_is(&e, "q", "", true);
	ok(good, "escape: ... and q in the next read detaches");
	e.pending = false;
	good = filter_is(&e, "\001", "", false) && filter_is(&e, "\001", "\001", false) && !e.pending;
	ok(good, "escape: ^a ^a split over two reads is one ^a");
	good = filter_is(&e, "Q", "Q", false);
	ok(good, "escape: q alone does nothing");
	e = (struct lxm_escape){ .key = 24 };
	good = filter_is(&e, "\001q", "\001q", false) && filter_is(&e, "\030q", "", true);
	ok(good, "escape: -e x makes ^x the key and ^a plain");
	e = (struct lxm_escape){ .key = 0 };
	good = filter_is(&e, "\001q\030q", "\001q\030q", false);
	ok(good, "escape: key 0 passes everything");
}

/* The child plays the monitor's end of a console stream. */
static int serve_console(int sock, int input)
{
	char pkt[sizeof(struct lxm_console_msg) + LXM_CONSOLE_DATA_MAX];
	struct lxm_console_msg msg = { .type = LXM_CONSOLE_DATA, .datalen = 6 };
	const void *data;
	ssize_t n = lxm_console_msg_encode(&msg, "hello\n", pkt, sizeof(pkt));

	if (n < 0 || send(sock, pkt, (size_t)n, 0) != n)
		return 2;
	/* typed only once the output is on its way: the client reads the
	 * stream before its input when both are ready */
	if (write(input, "ls\r\001q", 5) != 5)
		return 5;
	close(input);
	/* input: "ls\r" then the client detaches on ^a q (no WINSZ: no tty) */
	n = recv(sock, pkt, sizeof(pkt), 0);
	if (n < 0 || lxm_console_msg_decode(pkt, (size_t)n, &msg, &data) < 0 ||
	    msg.type != LXM_CONSOLE_DATA || msg.datalen != 3 || memcmp(data, "ls\r", 3) != 0)
		return 3;
	n = recv(sock, pkt, sizeof(pkt), 0);
	return n == 0 ? 0 : 4;
}

static void test_client(void)
{
	struct lxm_console_client c = { .escape = 1 };
	struct lxm_error err = { 0 };
	int sv[2], in[2], out[2], status = -1, r;
	char buf[64] = "";
	ssize_t n;
	pid_t pid;
	bool good;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(in, O_CLOEXEC) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0) {
		ok(0, "socketpair/pipes: %m");
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(serve_console(sv[1], in[1]));
	}
	close(sv[1]);
	c.sock = sv[0];
	c.in_fd = in[0];
	c.out_fd = out[1];
	r = lxm_console_client_run(&c, &err);
	ok(r == 0, "client: ^a q in the input detaches with 0 (%d)", r);
	close(sv[0]);
	good = waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	ok(good, "client: the monitor side saw the input, then the hang-up (status %d)", status);
	close(out[1]);
	n = read(out[0], buf, sizeof(buf) - 1);
	good = n == 6 && memcmp(buf, "hello\n", 6) == 0;
	ok(good, "client: console output reaches the output fd (%zd)", n);
	close(out[0]);

	/* the stream ending (container stopped, monitor gone) ends the
	 * session with LXM_CONSOLE_ENDED: the caller tells which */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		ok(0, "socketpair: %m");
		return;
	}
	close(sv[1]);
	c.sock = sv[0];
	c.out_fd = out[1];
	r = lxm_console_client_run(&c, &err);
	ok(r == LXM_CONSOLE_ENDED, "client: the end of the stream ends the session (%d)", r);
	close(sv[0]);
	close(out[0]);
	close(out[1]);
	close(in[0]);
	close(in[1]);
}

int main(void)
{
	int r;

	if (!mkdtemp(tmp)) {
		printf("# mkdtemp: %m\n");
		return 1;
	}
	test_ring();
	test_console_log();
	test_pty();
	test_escape();
	test_client();
	r = rmdir(tmp);
	ok(r == 0, "temp dir is empty and removed");
	return tap_done();
}
