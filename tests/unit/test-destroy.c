/* lxm_remove_tree_at(): symlinks are never followed, mounts never crossed,
 * deep trees and read-only directories are handled. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "destroy.h"
#include "tap.h"

static char tmp[] = "/tmp/test-destroy-XXXXXX";
static int tmpfd = -1;

static bool exists_at(int dfd, const char *path)
{
	struct stat st;

	return fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void mk(const char *path)
{
	if (mkdirat(tmpfd, path, 0755) < 0 && errno != EEXIST) {
		printf("# mkdir %s: %m\n", path);
		exit(1);
	}
}

static void mkfile(const char *path, const char *data)
{
	if (lxm_write_file_at(tmpfd, path, data, strlen(data), O_CREAT | O_TRUNC | O_WRONLY, 0644) < 0) {
		printf("# write %s: %m\n", path);
		exit(1);
	}
}

static void mklink(const char *target, const char *path)
{
	if (symlinkat(target, tmpfd, path) < 0) {
		printf("# symlink %s: %m\n", path);
		exit(1);
	}
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

static const char *errtext(const struct lxm_error *err)
{
	static char buf[LXM_ERROR_MSG_MAX + 128];

	return lxm_error_text(err, buf, sizeof(buf));
}

static void test_plain_tree(void)
{
	struct lxm_error err = {};
	int r;

	mk("t1");
	mk("t1/a");
	mk("t1/a/b");
	mk("t1/a/b/c");
	mkfile("t1/f", "x");
	mkfile("t1/a/b/c/g", "y");
	mkfile("t1/a/.hidden", "z");
	r = lxm_remove_tree_at(tmpfd, "t1", &err);
	ok(r == 0, "plain tree removed (%s)", r < 0 ? errtext(&err) : "ok");
	ok(!exists_at(tmpfd, "t1"), "plain tree is gone");

	r = lxm_remove_tree_at(tmpfd, "t1", &err);
	ok(r == 0, "removing a missing entry succeeds");

	mkfile("plainfile", "x");
	r = lxm_remove_tree_at(tmpfd, "plainfile", &err);
	ok(r == 0 && !exists_at(tmpfd, "plainfile"), "a plain file as the top is removed");

	r = lxm_remove_tree_at(tmpfd, "a/b", &err);
	ok(r == -EINVAL, "a name with a slash is refused");
	r = lxm_remove_tree_at(tmpfd, "..", &err);
	ok(r == -EINVAL, "'..' is refused");
}

static void test_symlinks(void)
{
	struct lxm_error err = {};
	char target[sizeof(tmp) + 32];
	int r;

	mk("outside");
	mk("outside/keep");
	mkfile("outside/keep/file", "precious");
	mkfile("outside/file", "precious");

	mk("t2");
	mk("t2/sub");
	snprintf(target, sizeof(target), "%s/outside", tmp);
	mklink(target, "t2/absdir");
	mklink("../outside", "t2/reldir");
	mklink("../../outside/keep", "t2/sub/deeprel");
	snprintf(target, sizeof(target), "%s/outside/file", tmp);
	mklink(target, "t2/absfile");
	mklink("../outside/file", "t2/relfile");
	mklink("/nonexistent/dangling", "t2/dangling");
	mklink("sub", "t2/self");

	r = lxm_remove_tree_at(tmpfd, "t2", &err);
	ok(r == 0, "tree with symlinks removed (%s)", r < 0 ? errtext(&err) : "ok");
	ok(!exists_at(tmpfd, "t2"), "tree with symlinks is gone");
	ok(exists_at(tmpfd, "outside/keep/file"), "directory behind a symlink survives");
	ok(exists_at(tmpfd, "outside/file"), "file behind a symlink survives");

	/* The top itself is a symlink to a directory: only the link goes. */
	mklink("outside", "toplink");
	r = lxm_remove_tree_at(tmpfd, "toplink", &err);
	ok(r == 0, "top symlink removed (%s)", r < 0 ? errtext(&err) : "ok");
	ok(!exists_at(tmpfd, "toplink"), "top symlink is gone");
	ok(exists_at(tmpfd, "outside/keep/file") && exists_at(tmpfd, "outside/file"),
	   "the target of the top symlink is intact");
}

static void test_special_files(void)
{
	struct lxm_error err = {};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s, r;

	mk("t3");
	r = mkfifoat(tmpfd, "t3/fifo", 0644);
	ok(r == 0, "made a fifo");
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/t3/sock", tmp);
	r = s >= 0 ? bind(s, (struct sockaddr *)&sa, sizeof(sa)) : -1;
	ok(r == 0, "made a socket");
	if (s >= 0)
		close(s);
	if (geteuid() == 0) {
		r = mknodat(tmpfd, "t3/null", S_IFCHR | 0666, makedev(1, 3));
		ok(r == 0, "made a device node");
	} else
		ok(1, "# SKIP not root: device node");

	r = lxm_remove_tree_at(tmpfd, "t3", &err);
	ok(r == 0, "fifo, socket and device removed (%s)", r < 0 ? errtext(&err) : "ok");
	ok(!exists_at(tmpfd, "t3"), "special files tree is gone");
}

/* Read-only and unreadable directories, as their (non-root) owner. */
static int readonly_tree(void)
{
	struct lxm_error err = {};
	int r;

	mk("t4");
	mk("t4/ro");
	mk("t4/ro/inner");
	mkfile("t4/ro/inner/file", "x");
	mkfile("t4/ro/file", "x");
	mk("t4/none");
	mkfile("t4/none/file", "x");
	mk("t4/wonly");
	mkfile("t4/wonly/file", "x");
	if (fchmodat(tmpfd, "t4/ro/inner", 0555, 0) < 0 || fchmodat(tmpfd, "t4/ro", 0500, 0) < 0 ||
	    fchmodat(tmpfd, "t4/none", 0, 0) < 0 || fchmodat(tmpfd, "t4/wonly", 0300, 0) < 0 ||
	    fchmodat(tmpfd, "t4", 0555, 0) < 0)
		return 2;
	r = lxm_remove_tree_at(tmpfd, "t4", &err);
	if (r < 0) {
		printf("# %s\n", errtext(&err));
		return 3;
	}
	return exists_at(tmpfd, "t4") ? 4 : 0;
}

static void test_readonly(void)
{
	pid_t pid;
	int status = -1;
	bool good;

	if (geteuid() != 0) {
		status = readonly_tree();
		ok(status == 0, "read-only directories removed (%d)", status);
		return;
	}
	/* As root permissions do not matter: check it as nobody too. */
	status = readonly_tree();
	ok(status == 0, "read-only directories removed as root (%d)", status);
	if (fchmod(tmpfd, 0777) < 0) {
		ok(0, "chmod the temp dir: %m");
		return;
	}
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(1);
		_exit(readonly_tree());
	}
	good = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	ok(good, "read-only directories removed by their owner (nobody), status %d", status);
	fchmod(tmpfd, 0700);
}

static void test_deep(void)
{
	const int depth = 2000;
	struct lxm_error err = {};
	struct rlimit old, low;
	int fd, fds_before, r;

	mk("t5");
	fd = openat(tmpfd, "t5", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < depth && fd >= 0; i++) {
		int next;

		if (i % 100 == 0) {
			int f = openat(fd, "file", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
			if (f >= 0)
				close(f);
			symlinkat("..", fd, "up");
		}
		if (mkdirat(fd, "d", 0755) < 0) {
			close(fd);
			fd = -1;
			break;
		}
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	ok(fd >= 0, "built a %d levels deep tree", depth);
	if (fd >= 0)
		close(fd);

	/* Bounded fd use: it must work with few fds available. */
	fds_before = count_fds();
	getrlimit(RLIMIT_NOFILE, &old);
	low = old;
	low.rlim_cur = (rlim_t)fds_before + 40;
	setrlimit(RLIMIT_NOFILE, &low);
	r = lxm_remove_tree_at(tmpfd, "t5", &err);
	setrlimit(RLIMIT_NOFILE, &old);
	ok(r == 0, "deep tree removed with %d fds (%s)", (int)low.rlim_cur, r < 0 ? errtext(&err) : "ok");
	ok(!exists_at(tmpfd, "t5"), "deep tree is gone");
	ok(count_fds() == fds_before, "no fd leaked (%d before, %d after)", fds_before, count_fds());
}

static void test_immutable(void)
{
	struct lxm_error err = {};
	int fd, attr = 0, r;
	bool set = false;

	mk("t6");
	mk("t6/sub");
	mkfile("t6/sub/file", "x");
	fd = openat(tmpfd, "t6/sub/file", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &attr) == 0) {
		attr |= FS_IMMUTABLE_FL;
		set = ioctl(fd, FS_IOC_SETFLAGS, &attr) == 0;
	}
	if (!set) {
		ok(1, "# SKIP cannot set the immutable flag here");
		ok(1, "# SKIP cannot set the immutable flag here");
	} else {
		r = lxm_remove_tree_at(tmpfd, "t6", &err);
		ok(r == -EPERM, "immutable file: removal fails with EPERM (%d)", r);
		ok(strstr(errtext(&err), "'sub/file'") && strstr(errtext(&err), "immutable"),
		   "immutable file: message names it: %s", errtext(&err));
		attr &= ~FS_IMMUTABLE_FL;
		ioctl(fd, FS_IOC_SETFLAGS, &attr);
	}
	if (fd >= 0)
		close(fd);
	r = lxm_remove_tree_at(tmpfd, "t6", &err);
	ok(r == 0 && !exists_at(tmpfd, "t6"), "tree removed once the flag is cleared");
}

static void test_mounts(void)
{
	struct lxm_error err = {};
	char path[sizeof(tmp) + 64], src[sizeof(tmp) + 64];
	int r, m;

	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
		for (int i = 0; i < 9; i++)
			ok(1, "# SKIP not root (mount tests)");
		return;
	}
	/* An fd opened before unshare() resolves paths in the old namespace. */
	close(tmpfd);
	tmpfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* A tmpfs: another device. */
	mk("t7");
	mk("t7/rootfs");
	mk("t7/rootfs/proc");
	mkfile("t7/rootfs/file", "x");
	snprintf(path, sizeof(path), "%s/t7/rootfs/proc", tmp);
	m = mount("tmpfs", path, "tmpfs", 0, "size=1m");
	ok(m == 0, "mounted a tmpfs in the tree");
	mkfile("t7/rootfs/proc/inside", "mounted content");
	r = lxm_remove_tree_at(tmpfd, "t7", &err);
	ok(r == -EXDEV, "tmpfs inside: removal fails with EXDEV (%d)", r);
	ok(streq(errtext(&err), "'rootfs/proc' is a mount point, refusing to remove it"),
	   "tmpfs inside: message: %s", errtext(&err));
	ok(exists_at(tmpfd, "t7/rootfs/proc/inside"), "tmpfs content is intact");
	umount2(path, MNT_DETACH);

	/* A bind mount from the same filesystem: same st_dev, other mount. */
	mk("t7/rootfs/proc");
	mk("bindsrc");
	mkfile("bindsrc/precious", "x");
	snprintf(src, sizeof(src), "%s/bindsrc", tmp);
	m = mount(src, path, "none", MS_BIND, NULL);
	ok(m == 0, "bind mounted a directory in the tree");
	r = lxm_remove_tree_at(tmpfd, "t7", &err);
	ok(r == -EXDEV && exists_at(tmpfd, "bindsrc/precious"),
	   "bind mount inside: EXDEV and the source is intact (%s)", errtext(&err));
	umount2(path, MNT_DETACH);

	/* A file bind mount. */
	mkfile("t7/rootfs/file", "x");
	snprintf(src, sizeof(src), "%s/bindsrc/precious", tmp);
	snprintf(path, sizeof(path), "%s/t7/rootfs/file", tmp);
	m = mount(src, path, "none", MS_BIND, NULL);
	ok(m == 0, "bind mounted a file in the tree");
	r = lxm_remove_tree_at(tmpfd, "t7", &err);
	ok(r == -EXDEV && exists_at(tmpfd, "bindsrc/precious"),
	   "file bind mount inside: EXDEV and the source is intact (%s)", errtext(&err));
	umount2(path, MNT_DETACH);

	r = lxm_remove_tree_at(tmpfd, "t7", &err);
	ok(r == 0 && !exists_at(tmpfd, "t7") && exists_at(tmpfd, "bindsrc/precious"),
	   "tree removed after unmounting (%s)", r < 0 ? errtext(&err) : "ok");
}

int main(void)
{
	struct lxm_error err = {};
	const char *base;
	int topfd, r = -1;

	if (!mkdtemp(tmp)) {
		printf("# mkdtemp: %m\n");
		return 1;
	}
	tmpfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0)
		return 1;

	test_plain_tree();
	test_symlinks();
	test_special_files();
	test_readonly();
	test_deep();
	test_immutable();
	test_mounts();

	/* Clean up the temp dir with the function under test. */
	base = strrchr(tmp, '/') + 1;
	topfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (topfd >= 0)
		r = lxm_remove_tree_at(topfd, base, &err);
	ok(r == 0, "temp dir removed (%s)", err.msg);
	if (topfd >= 0)
		close(topfd);
	close(tmpfd);
	return tap_done();
}
