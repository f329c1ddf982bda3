/* The readers' locks in a container's directory (inuse.c): what lxm-start
 * and lxm-destroy see while a full lxm-copy or an lxm-export reads it, and
 * that a reader killed with SIGKILL is in nobody's way. No root needed. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "error.h"
#include "inuse.h"
#include "tap.h"
#include "util.h"

static char tmpdir[] = "/tmp/test-inuse.XXXXXX";

/* how many in-use files there are in tmpdir */
static int files(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (lxm_startswith(de->d_name, LXM_INUSE_PREFIX))
			n++;
	closedir(d);
	return n;
}

int main(void)
{
	struct lxm_inuse a = LXM_INUSE_INIT, b = LXM_INUSE_INIT, never = LXM_INUSE_INIT;
	struct lxm_error err = { 0 };
	char what[256], path[600];
	int sync[2], r, fd;
	pid_t child;

	if (!mkdtemp(tmpdir))
		skip_all("no temp dir");

	r = lxm_inuse_find(tmpdir, what, sizeof(what));
	ok(r == 0 && what[0] == '\0', "nothing in use in an empty directory (%d)", r);
	ok(lxm_inuse_check(tmpdir, &err) == 0, "and the check lets a start or destroy through");
	ok(lxm_inuse_find("/nonexistent/test-inuse", what, sizeof(what)) == 0, "a directory that is gone: nothing");

	r = lxm_inuse_take(tmpdir, "being copied to web2 (lxm-copy, pid 1234)", &a);
	ok(r == 0 && a.fd >= 0 && files() == 1, "a reader takes its lock (%d)", r);
	r = lxm_inuse_find(tmpdir, what, sizeof(what));
	ok(r == 1 && streq(what, "being copied to web2 (lxm-copy, pid 1234)"), "it is found, with what it does: '%s'", what);
	r = lxm_inuse_check(tmpdir, &err);
	ok(r == -EBUSY && err.complete &&
	   streq(err.msg, "being copied to web2 (lxm-copy, pid 1234); try again when it is done"),
	   "the check refuses, naming it: '%s'", err.msg);
	ok(files() == 1, "a look leaves a held file alone");

	/* readers do not exclude each other */
	r = lxm_inuse_take(tmpdir, "being exported to '/tmp/x.tar' (lxm-export, pid 99)\tz\nsecond line", &b);
	ok(r == 0 && files() == 2, "a second reader takes one of its own (%d)", r);
	lxm_error_clear(&err);
	r = lxm_inuse_check(tmpdir, &err);
	ok(r == -EBUSY && strstr(err.msg, "and read by 1 other command(s); try again when they are done"),
	   "both are counted: '%s'", err.msg);

	lxm_inuse_release(&a);
	ok(a.fd == -1 && a.dirfd == -1 && files() == 1, "a release removes its file");
	r = lxm_inuse_find(tmpdir, what, sizeof(what));
	ok(r == 1 && streq(what, "being exported to '/tmp/x.tar' (lxm-export, pid 99)?z"),
	   "the other one is left, its first line only, control characters replaced: '%s'", what);
	lxm_inuse_release(&b);
	lxm_inuse_release(&b);
	lxm_inuse_release(&never);
	ok(files() == 0 && lxm_inuse_find(tmpdir, what, sizeof(what)) == 0, "released twice, or never taken: harmless");

	/* a holder that is killed: the kernel drops its lock, its file stays
	 * until a look removes it */
	if (pipe(sync) < 0)
		skip_all("no pipe");
	child = fork();
	if (child == 0) {
		struct lxm_inuse h;
		char c = lxm_inuse_take(tmpdir, "being copied to web3 (lxm-copy, pid 5)", &h) == 0 ? 'y' : 'n';

		(void)!write(sync[1], &c, 1);
		pause();
		_exit(0);
	}
	{
		char c = 0;

		(void)!read(sync[0], &c, 1);
		ok(c == 'y' && lxm_inuse_find(tmpdir, what, sizeof(what)) == 1 && strstr(what, "web3"),
		   "another process's lock is seen");
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ok(files() == 1, "a holder killed with SIGKILL leaves its file");
	r = lxm_inuse_find(tmpdir, what, sizeof(what));
	ok(r == 0 && files() == 0, "unheld, it is in nobody's way, and the look removes it (%d)", r);

	/* a file nobody holds, with no text: the same; and a held one
	 * without text still refuses */
	snprintf(path, sizeof(path), "%s/" LXM_INUSE_PREFIX "1.2.3", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ok(fd >= 0 && lxm_inuse_find(tmpdir, what, sizeof(what)) == 0 && files() == 0, "a stray unheld file goes");
	if (fd >= 0)
		close(fd);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ok(fd >= 0 && flock(fd, LOCK_EX) == 0, "a held file without text");
	lxm_error_clear(&err);
	r = lxm_inuse_check(tmpdir, &err);
	ok(r == -EBUSY && strstr(err.msg, "being copied or exported") && strstr(err.msg, "try again when it is done"),
	   "still refuses: '%s'", err.msg);
	if (fd >= 0)
		close(fd);
	unlink(path);

	ok(lxm_inuse_take("/nonexistent/test-inuse", "x", &a) == -ENOENT && a.fd == -1, "no directory: no lock");

	rmdir(tmpdir);
	return tap_done();
}
