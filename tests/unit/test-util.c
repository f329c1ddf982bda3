/* Unit tests for lxm/util.c. No root needed; file tests run in a mkdtemp
 * directory that is removed at the end. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util.h"
#include "tap.h"

static void test_parse_u64(void)
{
	static const struct {
		const char *s;
		uint64_t max;
		int r;
		uint64_t v;
	} cases[] = {
		{ "0", 10, 0, 0 },
		{ "10", 10, 0, 10 },
		{ "11", 10, -ERANGE, 0 },
		{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
		{ "18446744073709551616", UINT64_MAX, -ERANGE, 0 },
		{ "007", 10, 0, 7 },
		{ "", 10, -EINVAL, 0 },
		{ "-1", UINT64_MAX, -EINVAL, 0 },
		{ "+1", UINT64_MAX, -EINVAL, 0 },
		{ " 1", UINT64_MAX, -EINVAL, 0 },
		{ "1 ", UINT64_MAX, -EINVAL, 0 },
		{ "1x", UINT64_MAX, -EINVAL, 0 },
		{ "x", UINT64_MAX, -EINVAL, 0 },
		{ "4294967296", UINT32_MAX, -ERANGE, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 42;
		int r = lxm_parse_u64(cases[i].s, cases[i].max, &v);

		ok(r == cases[i].r && (r < 0 ? v == 42 : v == cases[i].v), "parse_u64('%s', max %llu) = %d",
		      cases[i].s, (unsigned long long)cases[i].max, cases[i].r);
	}
	ok(lxm_parse_u64(NULL, 10, &(uint64_t){ 0 }) == -EINVAL, "parse_u64(NULL)");
}

static void test_strings(void)
{
	char buf[4];
	_cleanup_free_ char *p = lxm_strdup_printf("%s-%d", "a", 42);
	char **v;

	ok(lxm_strscpy(buf, "abc", sizeof(buf)) == 0 && streq(buf, "abc"), "strscpy fits exactly");
	ok(lxm_strscpy(buf, "", sizeof(buf)) == 0 && streq(buf, ""), "strscpy empty");
	memcpy(buf, "xyz", 4);
	ok(lxm_strscpy(buf, "abcd", sizeof(buf)) == -ENAMETOOLONG && streq(buf, "xyz"),
	      "strscpy too long: -ENAMETOOLONG, destination untouched");

	ok(p && streq(p, "a-42"), "strdup_printf");
	ok(lxm_startswith("lxm-start", "lxm-") && !lxm_startswith("lx", "lxm") && lxm_startswith("x", ""),
	      "startswith");

	v = calloc(3, sizeof(char *));
	v[0] = strdup("a");
	v[1] = strdup("b");
	lxm_strv_free(v, 2);
	v = calloc(2, sizeof(char *));
	v[0] = strdup("a");
	lxm_strv_free(v, (size_t)-1);
	lxm_strv_free(NULL, 3);
	ok(true, "strv_free with a count, NULL-terminated, and NULL");
	{
		_cleanup_strv_ char **w = calloc(2, sizeof(char *));

		w[0] = strdup("x");
	}
	ok(true, "_cleanup_strv_");
}

static void test_files(void)
{
	char dir[] = "/tmp/test-util.XXXXXX";
	_cleanup_free_ char *file = NULL, *deep = NULL, *data = NULL, *big = NULL, *link = NULL;
	_cleanup_close_ int dfd = -1;
	size_t len = 0;
	struct stat st;
	int count = 0;
	DIR *d;
	struct dirent *de;
	mode_t old;
	char *made;

	made = mkdtemp(dir);
	ok(made != NULL, "mkdtemp");
	if (!made)
		return;
	file = lxm_strdup_printf("%s/file", dir);
	deep = lxm_strdup_printf("%s/a/b/c", dir);
	link = lxm_strdup_printf("%s/link", dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ok(dfd >= 0, "open the temp dir");

	old = umask(022);
	ok(lxm_write_file_atomic(file, "hello\n", 6, 0640) == 0, "write_file_atomic");
	ok(stat(file, &st) == 0 && (st.st_mode & 07777) == 0640, "atomic file has the requested mode");
	ok(lxm_read_file_at(dfd, "file", &data, &len) == 0 && len == 6 && streq(data, "hello\n"),
	      "read_file_at relative to a dirfd");
	free(data);
	data = NULL;
	ok(lxm_write_file_atomic(file, "new", 3, 0640) == 0 && lxm_read_file_at(AT_FDCWD, file, &data, NULL) == 0 &&
	      streq(data, "new"), "write_file_atomic replaces the content");
	free(data);
	data = NULL;
	ok(lxm_write_file_atomic(file, "", 0, 0600) == 0 && lxm_read_file_at(AT_FDCWD, file, &data, &len) == 0 &&
	      len == 0 && streq(data, ""), "empty file, NUL-terminated");
	free(data);
	data = NULL;

	/* larger than the initial read buffer */
	big = malloc(100000);
	for (size_t i = 0; i < 100000; i++)
		big[i] = (char)('a' + i % 26);
	ok(lxm_write_file_atomic(file, big, 100000, 0640) == 0 &&
	      lxm_read_file_at(AT_FDCWD, file, &data, &len) == 0 && len == 100000 && memcmp(data, big, len) == 0 &&
	      data[len] == '\0', "100000 bytes round trip");
	free(data);
	data = NULL;

	d = opendir(dir);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			count++;
	if (d)
		closedir(d);
	ok(count == 1, "no temporary file left behind");

	ok(lxm_read_file_at(dfd, "missing", &data, NULL) == -ENOENT && data == NULL, "read of a missing file: -ENOENT");
	ok(lxm_write_file_at(dfd, "plain", "x", 1, O_CREAT | O_EXCL, 0600) == 0, "write_file_at O_CREAT|O_EXCL");
	ok(lxm_write_file_at(dfd, "plain", "x", 1, O_CREAT | O_EXCL, 0600) == -EEXIST, "write_file_at: -EEXIST");
	ok(symlink("file", link) == 0, "symlink");
	{
		_cleanup_free_ char *tmp = lxm_strdup_printf("%s.tmp.%d", link, (int)getpid());

		ok(symlink("file", tmp) == 0 && lxm_write_file_atomic(link, "y", 1, 0640) == -ELOOP,
		      "write_file_atomic does not follow a symlink at its temp path");
		unlink(tmp);
	}
	ok(lxm_write_file_atomic("/nonexistent-dir-lxm/x", "y", 1, 0640) == -ENOENT, "write into a missing dir: -ENOENT");

	/* in a dir fd, through NAME.tmp: a leftover (even a symlink) is
	 * replaced, never followed */
	{
		_cleanup_free_ char *plain = NULL;

		ok(symlinkat("plain", dfd, "kept.tmp") == 0 && lxm_write_file_replace_at(dfd, "kept", "abc", 3, 0600) == 0 &&
		   lxm_read_file_at(dfd, "kept", &data, &len) == 0 && len == 3 && streq(data, "abc") &&
		   fstatat(dfd, "kept", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		   (st.st_mode & 07777) == 0600 && faccessat(dfd, "kept.tmp", F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
		   lxm_read_file_at(dfd, "plain", &plain, NULL) == 0 && streq(plain, "x"),
		   "write_file_replace_at: mode 0600, a symlink at NAME.tmp replaced, not followed");
		free(data);
		data = NULL;
	}
	{
		char a1[128], a2[128], none[128];
		_cleanup_free_ char *kept = lxm_strdup_printf("%s/kept", dir);
		struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

		lxm_file_ident(kept, a1, sizeof(a1));
		utimensat(dfd, "kept", ts, 0);
		lxm_file_ident(kept, a2, sizeof(a2));
		lxm_file_ident("/nonexistent-lxm", none, sizeof(none));
		ok(!streq(a1, "-") && !streq(a1, a2) && streq(none, "-"), "file_ident: changes with the mtime, '-' for no file (%s)", a1);
		unlinkat(dfd, "kept", 0);
	}

	ok(lxm_mkdir_p(deep, 0755) == 0 && stat(deep, &st) == 0 && S_ISDIR(st.st_mode), "mkdir_p creates a tree");
	ok(lxm_mkdir_p(deep, 0755) == 0, "mkdir_p on an existing tree");
	{
		_cleanup_free_ char *under_file = lxm_strdup_printf("%s/file/sub", dir);

		ok(lxm_mkdir_p(under_file, 0755) == -ENOTDIR, "mkdir_p below a file: -ENOTDIR");
	}
	umask(old);

	/* clean up */
	{
		_cleanup_free_ char *a = lxm_strdup_printf("%s/a/b", dir), *b = lxm_strdup_printf("%s/a", dir),
				     *plain = lxm_strdup_printf("%s/plain", dir);

		rmdir(deep);
		rmdir(a);
		rmdir(b);
		unlink(plain);
	}
	unlink(link);
	unlink(file);
	ok(rmdir(dir) == 0, "temp dir left empty");
}

static void test_locks(void)
{
	char dir[] = "/tmp/test-util-lock.XXXXXX";
	_cleanup_close_ int dfd = -1, holder = -1, other = -1;
	uint64_t t0;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ok(lxm_lock_held_at(dfd, "lock") == 0, "lock_held_at: no such file, not held");
	holder = openat(dfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ok(lxm_lock_held_at(dfd, "lock") == 0, "lock_held_at: a file nobody locks, not held");
	ok(flock(holder, LOCK_EX | LOCK_NB) == 0, "another open file description takes the lock");
	ok(lxm_lock_held_at(dfd, "lock") == 1, "lock_held_at: held");
	ok(symlinkat("lock", dfd, "link") == 0 && lxm_lock_held_at(dfd, "link") == -ELOOP,
	   "lock_held_at: a symlink is not followed");
	other = openat(dfd, "lock", O_RDONLY | O_CLOEXEC);
	t0 = lxm_now_ns();
	ok(lxm_flock_retry(other, 3, 1000) == -EWOULDBLOCK, "flock_retry: still held after its tries");
	ok(lxm_now_ns() - t0 >= 2 * 1000 * 1000ULL, "flock_retry: waited between the tries");
	flock(holder, LOCK_UN);
	ok(lxm_flock_retry(other, 3, 1000) == 0, "flock_retry: takes a free lock");
	ok(lxm_lock_held_at(dfd, "lock") == 1, "lock_held_at: held by it now");
	unlinkat(dfd, "link", 0);
	unlinkat(dfd, "lock", 0);
	ok(rmdir(dir) == 0, "lock temp dir left empty");
}

static void test_io(void)
{
	int p[2];
	char buf[16] = { 0 };

	ok(pipe(p) == 0, "pipe");
	ok(lxm_write_full(p[1], "abcdef", 6) == 0, "write_full");
	close(p[1]);
	ok(lxm_read_full(p[0], buf, sizeof(buf)) == 6 && streq(buf, "abcdef"), "read_full stops at EOF");
	ok(lxm_read_full(p[0], buf, sizeof(buf)) == 0, "read_full at EOF returns 0");
	close(p[0]);
	ok(lxm_read_full(-1, buf, 1) == -EBADF && lxm_write_full(-1, buf, 1) == -EBADF, "bad fd: -EBADF");
}

/* Field 22 of /proc/self/stat, parsed here independently. */
static uint64_t own_starttime(void)
{
	_cleanup_free_ char *buf = NULL;
	char *p, *save = NULL;
	int field = 3;

	if (lxm_read_file_at(AT_FDCWD, "/proc/self/stat", &buf, NULL) < 0)
		return 0;
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	for (char *t = strtok_r(p + 1, " ", &save); t; t = strtok_r(NULL, " ", &save), field++)
		if (field == 22)
			return strtoull(t, NULL, 10);
	return 0;
}

static void test_proc(void)
{
	uint64_t a = 0, b = 0, t0, t1, expected = own_starttime();

	ok(lxm_proc_starttime(getpid(), &a) == 0 && a > 0, "starttime of getpid()");
	ok(a == expected, "starttime is field 22 of /proc/PID/stat (%llu)", (unsigned long long)expected);
	if (a != expected)
		printf("#   got %llu\n", (unsigned long long)a);
	ok(lxm_proc_starttime(getpid(), &b) == 0 && a == b, "starttime is stable");
	ok(lxm_proc_starttime(getppid(), &b) == 0 && b <= a, "parent started no later");
	ok(lxm_proc_starttime(-5, &b) == -ENOENT, "starttime of a bad pid: -ENOENT");
	t0 = lxm_now_ns();
	t1 = lxm_now_ns();
	ok(t0 > 0 && t1 >= t0, "now_ns is monotonic");
}

/* What /proc shows of an init in its first moments (nothing caught or
 * blocked), busybox's (SIGUSR2 blocked, or waited for in sigtimedwait),
 * sysvinit's (caught) and one that ignores it. */
static void test_signal_taken(void)
{
	static const char fresh[] = "Name:\tinit\nSigQ:\t0/9\nSigPnd:\t0000000000000000\n"
				    "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n";
	static const char blocked[] = "SigBlk:\t0000000000000800\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n";
	static const char caught[] = "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000800\n";
	static const char ignored[] = "SigBlk:\t0000000000000800\nSigIgn:\t0000000000000800\nSigCgt:\t0000000000000000\n";
	static const char rtmin3[] = "SigBlk:\t0000001000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n";
	char waiting[64], waiting_other[64];

	snprintf(waiting, sizeof(waiting), "%d 0x7ffd 0x0 0x0 0x8 0x0 0x0 0x7ffd 0x4a\n", (int)SYS_rt_sigtimedwait);
	snprintf(waiting_other, sizeof(waiting_other), "%d 0x0 0x0 0x0 0x0 0x0 0x0 0x7ffd 0x4a\n", (int)SYS_wait4);
	ok(!lxm_signal_taken(fresh, "running", SIGUSR2), "signal_taken: nothing caught or blocked, running: not yet");
	ok(!lxm_signal_taken(fresh, waiting_other, SIGUSR2), "signal_taken: nothing caught or blocked, in wait4: not yet");
	ok(lxm_signal_taken(fresh, waiting, SIGUSR2), "signal_taken: in sigtimedwait (mask put aside): taken");
	ok(lxm_signal_taken(blocked, "running", SIGUSR2), "signal_taken: blocked: taken (queued)");
	ok(!lxm_signal_taken(blocked, "running", SIGUSR1), "signal_taken: another signal blocked: not SIGUSR1");
	ok(lxm_signal_taken(caught, waiting_other, SIGUSR2), "signal_taken: caught: taken");
	ok(!lxm_signal_taken(ignored, waiting, SIGUSR2), "signal_taken: ignored (even blocked, even waiting): never");
	ok(lxm_signal_taken(rtmin3, "running", SIGRTMIN + 3), "signal_taken: SIGRTMIN+3 blocked (systemd): taken");
	ok(lxm_signal_taken(fresh, NULL, SIGUSR2), "signal_taken: /proc/PID/syscall unreadable: sent as ever");
	ok(lxm_signal_taken("Name:\tx\n", "running", SIGUSR2), "signal_taken: no masks in the status: sent as ever");
	ok(!lxm_signal_taken(fresh, "-1 0x7ffd 0x4a\n", SIGUSR2), "signal_taken: not in a syscall: not yet");
	ok(!lxm_signal_taken(caught, "running", 0) && !lxm_signal_taken(caught, "running", 65),
	   "signal_taken: signal numbers out of range: no");
	/* a live process: this one blocks SIGUSR1, and catches or blocks no SIGUSR2 */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	ok(lxm_proc_signal_taken(getpid(), SIGUSR1) == 1, "proc_signal_taken: own blocked SIGUSR1: 1");
	ok(lxm_proc_signal_taken(getpid(), SIGUSR2) == 0, "proc_signal_taken: own SIGUSR2 (default action): 0");
	sigprocmask(SIG_SETMASK, &old, NULL);
	ok(lxm_proc_signal_taken(-5, SIGUSR2) == -ENOENT, "proc_signal_taken: no such pid: -ENOENT");
	ok(lxm_signal_hold_step_ms(0) < lxm_signal_hold_step_ms(5000000000ULL), "signal_hold_step_ms: seldom after a while");
}

static void test_path_next(void)
{
	const char *p = "//a/bc///./d/", *c;
	char joined[64] = "";
	size_t len, n = 0;

	while (lxm_path_next(&p, &c, &len)) {
		strncat(joined, c, len);
		strcat(joined, "|");
		n++;
	}
	ok(n == 4 && streq(joined, "a|bc|.|d|"), "lxm_path_next splits '//a/bc///./d/' into 4 components (%s)", joined);
	p = "///";
	ok(!lxm_path_next(&p, &c, &len), "a path of slashes has no component");
	p = "";
	ok(!lxm_path_next(&p, &c, &len), "an empty path has no component");
}

int main(void)
{
	test_signal_taken();
	test_path_next();
	test_parse_u64();
	test_strings();
	test_files();
	test_io();
	test_locks();
	test_proc();
	return tap_done();
}
