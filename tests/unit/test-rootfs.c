/* Mount option parsing, path safety, and path resolution inside a root dir:
 * symlinks and ".." never lead out of it. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "destroy.h"
#include "rootfs.h"
#include "tap.h"

static char tmp[] = "/tmp/test-rootfs-XXXXXX";
static int rootfd = -1;

static const char *nn(const char *s)
{
	return s ? s : "(null)";
}

static void test_mount_options(void)
{
	struct lxm_mount_opts o;
	int r;
	bool good;

	r = lxm_mount_options_parse(NULL, &o);
	ok(r == 0 && o.flags == 0 && !o.bind && !o.optional && !o.data && o.create == LXM_MOUNT_CREATE_AUTO,
	   "NULL options: nothing set");
	r = lxm_mount_options_parse("", &o);
	ok(r == 0 && o.flags == 0 && !o.bind && !o.optional && !o.data, "empty options: nothing set");
	r = lxm_mount_options_parse(",,,", &o);
	ok(r == 0 && o.flags == 0 && !o.data, "only commas: nothing set");

	r = lxm_mount_options_parse("ro", &o);
	ok(r == 0 && o.flags == MS_RDONLY && !o.bind && !o.data, "ro -> MS_RDONLY (%#lx)", o.flags);
	r = lxm_mount_options_parse("ro,rw", &o);
	ok(r == 0 && o.flags == 0, "ro,rw -> rw wins (%#lx)", o.flags);
	r = lxm_mount_options_parse("rw", &o);
	ok(r == 0 && o.flags == 0 && !o.data, "rw -> no flags (%#lx)", o.flags);
	r = lxm_mount_options_parse("nosuid,nodev,noexec", &o);
	ok(r == 0 && o.flags == (MS_NOSUID | MS_NODEV | MS_NOEXEC) && !o.data, "nosuid,nodev,noexec (%#lx)", o.flags);
	r = lxm_mount_options_parse("bind", &o);
	ok(r == 0 && o.flags == MS_BIND && o.bind, "bind -> MS_BIND, bind (%#lx)", o.flags);
	r = lxm_mount_options_parse("rbind,ro", &o);
	ok(r == 0 && o.flags == (MS_BIND | MS_REC | MS_RDONLY) && o.bind && !o.optional,
	   "rbind,ro -> MS_BIND|MS_REC|MS_RDONLY, bind (%#lx)", o.flags);
	r = lxm_mount_options_parse("bind,optional", &o);
	ok(r == 0 && o.flags == MS_BIND && o.bind && o.optional && !o.data, "optional is not a flag nor data");

	r = lxm_mount_options_parse("bind,create=file", &o);
	ok(r == 0 && o.bind && o.create == LXM_MOUNT_CREATE_FILE && !o.data, "create=file is lxm's, not data");
	r = lxm_mount_options_parse("create=dir,size=1m", &o);
	good = r == 0 && o.create == LXM_MOUNT_CREATE_DIR && o.data && streq(o.data, "size=1m");
	ok(good, "create=dir is lxm's, size=1m is data (%s)", r == 0 ? nn(o.data) : "error");
	if (r == 0)
		free(o.data);
	r = lxm_mount_options_parse("bind,create=fifo", &o);
	ok(r == -EINVAL, "create=fifo is refused (%d)", r);
	r = lxm_mount_options_parse("create=", &o);
	ok(r == -EINVAL, "an empty create= is refused (%d)", r);

	r = lxm_mount_options_parse("size=10m,mode=755", &o);
	good = r == 0 && o.flags == 0 && !o.bind && o.data && streq(o.data, "size=10m,mode=755");
	ok(good, "unknown options go to data (%s)", r == 0 ? nn(o.data) : "error");
	if (r == 0)
		free(o.data);
	r = lxm_mount_options_parse("nosuid,size=10m,ro,,mode=755,nodev", &o);
	good = r == 0 && o.flags == (MS_NOSUID | MS_RDONLY | MS_NODEV) && o.data && streq(o.data, "size=10m,mode=755");
	ok(good, "mixed: flags set, data comma-joined in order (%#lx, %s)", o.flags, r == 0 ? nn(o.data) : "error");
	if (r == 0)
		free(o.data);
	r = lxm_mount_options_parse("uid=0", &o);
	ok(r == 0 && o.data && streq(o.data, "uid=0"), "a single data option (%s)", r == 0 ? nn(o.data) : "error");
	if (r == 0)
		free(o.data);
}

static void test_safe_relative(void)
{
	static const struct {
		const char *path;
		bool safe;
	} cases[] = {
		{ "a/b", true },
		{ "../x", false },
		{ "a/../../x", false },
		{ "a/../b", true },
		{ "/abs", true },
		{ "./.", true },
		{ "", true },
		{ "..", false },
		{ "a/..", true },
		{ "a/../..", false },
		{ "//a//b//", true },
		{ "./../a", false },
		{ "a/./../b/../c", true },
		{ "...", true },
		{ "..a/b", true },
		{ "a/b/../../..", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bool s = lxm_path_is_safe_relative(cases[i].path);

		ok(s == cases[i].safe, "'%s' is %s", cases[i].path, cases[i].safe ? "safe" : "unsafe");
	}
}

static bool is_dir_at(int dfd, const char *path)
{
	struct stat st;

	return fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Whether fd refers to the same inode as path below rootfd. */
static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return fd >= 0 && fstat(fd, &a) == 0 && fstatat(rootfd, path, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void mk(const char *path)
{
	if (mkdirat(rootfd, path, 0755) < 0 && errno != EEXIST) {
		printf("# mkdir %s: %m\n", path);
		exit(1);
	}
}

static void mklink(const char *target, const char *path)
{
	if (symlinkat(target, rootfd, path) < 0) {
		printf("# symlink %s: %m\n", path);
		exit(1);
	}
}

static void mkfile(const char *path)
{
	if (lxm_write_file_at(rootfd, path, "x", 1, O_CREAT | O_TRUNC | O_WRONLY, 0644) < 0) {
		printf("# write %s: %m\n", path);
		exit(1);
	}
}

static void test_open_in_root(void)
{
	int fd;
	bool good;

	mk("etc");
	mkfile("etc/passwd");
	mk("tmp");
	mklink("/etc", "link");
	mklink("/etc-host-does-not-matter", "dangling");
	mklink("../../../../etc", "up");
	mklink("/proc/self/root", "magic");

	fd = lxm_rootfs_open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
	ok(same_file(fd, "."), "'/' is the root itself");
	if (fd >= 0)
		close(fd);
	fd = lxm_rootfs_open_in_root(rootfd, "", O_PATH | O_DIRECTORY);
	ok(same_file(fd, "."), "'' is the root itself");
	if (fd >= 0)
		close(fd);

	fd = lxm_rootfs_open_in_root(rootfd, "link/passwd", O_PATH);
	ok(same_file(fd, "etc/passwd"), "absolute symlink 'link' -> /etc resolves inside the root (%d)", fd);
	if (fd >= 0)
		close(fd);
	fd = lxm_rootfs_open_in_root(rootfd, "/link/passwd", O_RDONLY);
	ok(same_file(fd, "etc/passwd"), "leading slash, O_RDONLY: still inside the root (%d)", fd);
	if (fd >= 0)
		close(fd);
	fd = lxm_rootfs_open_in_root(rootfd, "link/hostname", O_PATH);
	ok(fd == -ENOENT, "a host file missing in the root is not found (%d)", fd);
	if (fd >= 0)
		close(fd);
	fd = lxm_rootfs_open_in_root(rootfd, "dangling/x", O_PATH);
	ok(fd == -ENOENT, "dangling absolute symlink: ENOENT (%d)", fd);
	if (fd >= 0)
		close(fd);

	fd = lxm_rootfs_open_in_root(rootfd, "up/passwd", O_PATH);
	ok(same_file(fd, "etc/passwd"), "relative symlink with many '..' is clamped (%d)", fd);
	if (fd >= 0)
		close(fd);
	fd = lxm_rootfs_open_in_root(rootfd, "../../../etc/passwd", O_PATH);
	ok(same_file(fd, "etc/passwd"), "'../../../etc/passwd' is clamped to the root (%d)", fd);
	if (fd >= 0)
		close(fd);
	fd = lxm_rootfs_open_in_root(rootfd, "..", O_PATH | O_DIRECTORY);
	ok(same_file(fd, "."), "'..' of the root is the root (%d)", fd);
	if (fd >= 0)
		close(fd);

	fd = lxm_rootfs_open_in_root(rootfd, "magic", O_PATH);
	ok(fd < 0, "a magic link is refused (%d)", fd);
	if (fd >= 0)
		close(fd);
	fd = lxm_rootfs_open_in_root(rootfd, "etc/passwd", O_PATH | O_DIRECTORY);
	ok(fd == -ENOTDIR, "O_DIRECTORY on a file: ENOTDIR (%d)", fd);
	if (fd >= 0)
		close(fd);
	fd = lxm_rootfs_open_in_root(rootfd, "etc", O_PATH);
	good = fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ok(good, "the fd is O_CLOEXEC");
	if (fd >= 0)
		close(fd);
}

static void test_mkdir_in_root(void)
{
	char name[64], via[80], inroot[80], host[80];
	int fd;
	bool good;

	fd = lxm_rootfs_mkdir_in_root(rootfd, "a/b/c", 0755);
	ok(same_file(fd, "a/b/c"), "nested directories created (%d)", fd);
	if (fd >= 0)
		close(fd);
	good = is_dir_at(rootfd, "a") && is_dir_at(rootfd, "a/b") && is_dir_at(rootfd, "a/b/c");
	ok(good, "a, a/b and a/b/c are directories");
	fd = lxm_rootfs_mkdir_in_root(rootfd, "a/b/c", 0755);
	ok(same_file(fd, "a/b/c"), "existing directories are fine (%d)", fd);
	if (fd >= 0)
		close(fd);
	fd = lxm_rootfs_mkdir_in_root(rootfd, "//a//b/d//", 0755);
	ok(same_file(fd, "a/b/d"), "repeated slashes are fine (%d)", fd);
	if (fd >= 0)
		close(fd);
	fd = lxm_rootfs_mkdir_in_root(rootfd, "/", 0755);
	ok(same_file(fd, "."), "'/' opens the root (%d)", fd);
	if (fd >= 0)
		close(fd);

	/* an absolute symlink: evil -> /tmp must mean ROOT/tmp, not the host's
	 * /tmp; a unique name tells whether the host was touched */
	snprintf(name, sizeof(name), "%s-newdir", strrchr(tmp, '/') + 1);
	snprintf(via, sizeof(via), "evil/%s", name);
	snprintf(inroot, sizeof(inroot), "tmp/%s", name);
	snprintf(host, sizeof(host), "/tmp/%s", name);
	mklink("/tmp", "evil");
	fd = lxm_rootfs_mkdir_in_root(rootfd, via, 0755);
	ok(same_file(fd, inroot), "'%s' (evil -> /tmp) created ROOT/%s (%d)", via, inroot, fd);
	if (fd >= 0)
		close(fd);
	ok(!exists(host), "'%s' was not created on the host", host);

	/* ".." escapes are clamped */
	fd = lxm_rootfs_mkdir_in_root(rootfd, "../../../clamped", 0755);
	ok(same_file(fd, "clamped"), "'../../../clamped' is created in the root (%d)", fd);
	if (fd >= 0)
		close(fd);
	fd = lxm_rootfs_mkdir_in_root(rootfd, "a/../../x/y", 0755);
	ok(same_file(fd, "x/y"), "'a/../../x/y' is created as ROOT/x/y (%d)", fd);
	if (fd >= 0)
		close(fd);
	mklink("../../../../../../tmp", "relup");
	snprintf(via, sizeof(via), "relup/%s-rel", name);
	snprintf(inroot, sizeof(inroot), "tmp/%s-rel", name);
	snprintf(host, sizeof(host), "/tmp/%s-rel", name);
	fd = lxm_rootfs_mkdir_in_root(rootfd, via, 0755);
	ok(same_file(fd, inroot), "relative symlink out of the root is clamped (%d)", fd);
	if (fd >= 0)
		close(fd);
	ok(!exists(host), "'%s' was not created on the host", host);

	/* files and dangling links on the way */
	mkfile("a/file");
	fd = lxm_rootfs_mkdir_in_root(rootfd, "a/file/sub", 0755);
	ok(fd == -ENOTDIR, "a file component -> ENOTDIR (%d)", fd);
	if (fd >= 0)
		close(fd);
	fd = lxm_rootfs_mkdir_in_root(rootfd, "a/file", 0755);
	ok(fd == -ENOTDIR, "a file as the last component -> ENOTDIR (%d)", fd);
	if (fd >= 0)
		close(fd);
	mklink("/nonexistent-in-root", "dangle");
	fd = lxm_rootfs_mkdir_in_root(rootfd, "dangle/sub", 0755);
	ok(fd == -ENOENT, "a dangling symlink component -> ENOENT (%d)", fd);
	if (fd >= 0)
		close(fd);
	ok(!exists("/nonexistent-in-root"), "the dangling target was not created on the host");
}

int main(void)
{
	struct lxm_error err = {};
	int topfd, r = -1;

	test_mount_options();
	test_safe_relative();

	if (!mkdtemp(tmp)) {
		printf("# mkdtemp: %m\n");
		return 1;
	}
	rootfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return 1;
	r = lxm_rootfs_open_in_root(rootfd, "/", O_PATH);
	if (r == -ENOSYS) {
		ok(1, "# SKIP openat2 not supported");
	} else {
		if (r >= 0)
			close(r);
		test_open_in_root();
		test_mkdir_in_root();
	}

	topfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = topfd >= 0 ? lxm_remove_tree_at(topfd, strrchr(tmp, '/') + 1, &err) : -1;
	ok(r == 0, "temp dir removed (%s)", err.msg);
	if (topfd >= 0)
		close(topfd);
	close(rootfd);
	return tap_done();
}
