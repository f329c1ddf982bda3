#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "devices.h"
#include "rootfs.h"

static const struct {
	const char *name;
	mode_t mode;
	unsigned maj, min;
} dev_nodes[] = {
	{ "null", 0666, 1, 3 },
	{ "zero", 0666, 1, 5 },
	{ "full", 0666, 1, 7 },
	{ "random", 0666, 1, 8 },
	{ "urandom", 0666, 1, 9 },
	{ "tty", 0666, 5, 0 },
};

static const struct {
	const char *name;
	const char *target;
} dev_links[] = {
	{ "ptmx", "pts/ptmx" },
	{ "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

static int bind_onto(int devfd, const char *name, const char *source, struct lxm_error *err)
{
	char target[64];
	int fd = openat(devfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0000);

	if (fd < 0)
		return lxm_error_set(err, errno, "creating '/dev/%s'", name);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (mount(source, target, NULL, MS_BIND, NULL) < 0) {
		int e = errno;
		close(fd);
		return lxm_error_set(err, e, "binding '%s' to '/dev/%s'", source, name);
	}
	close(fd);
	return 0;
}

/* A configured device's node at d->path ("/dev/net/tun"), parents made as
 * needed. mknod where the container may (privileged, and "m" allowed by
 * the device cgroup, which the child is in already), else a bind of the
 * host's node at the same path, which must be that device. The mode is the
 * host node's where it has one, else 0660. */
static int make_node(int devfd, const struct lxm_device *d, struct lxm_error *err)
{
	_cleanup_free_ char *rel = strdup(d->path + strlen("/dev/"));
	_cleanup_close_ int dirfd = -1;
	mode_t type = d->type == 'b' ? S_IFBLK : S_IFCHR, mode = 0660;
	dev_t dev = makedev((unsigned)d->major, (unsigned)d->minor);
	char *leaf, *slash, target[64];
	struct stat st;
	bool on_host;
	int fd;

	if (!rel)
		return lxm_error_set(err, ENOMEM, "creating '%s'", d->path);
	dirfd = fcntl(devfd, F_DUPFD_CLOEXEC, 3);
	if (dirfd < 0)
		return lxm_error_set(err, errno, "creating '%s'", d->path);
	for (leaf = rel; (slash = strchr(leaf, '/')); leaf = slash + 1) {
		int sub;

		*slash = '\0';
		if (mkdirat(dirfd, leaf, 0755) < 0 && errno != EEXIST)
			return lxm_error_set(err, errno, "creating the directory of '%s'", d->path);
		sub = openat(dirfd, leaf, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return lxm_error_set(err, errno, "opening the directory of '%s'", d->path);
		close(dirfd);
		dirfd = sub;
	}
	on_host = stat(d->path, &st) == 0 && (st.st_mode & S_IFMT) == type && st.st_rdev == dev;
	if (on_host)
		mode = st.st_mode & 0777;
	if (mknodat(dirfd, leaf, type | mode, dev) == 0)
		return 0;
	if (errno != EPERM)
		return lxm_error_set(err, errno, "creating '%s'", d->path);
	if (!on_host)
		return lxm_error_set(err, EPERM, "creating '%s' (%c %d:%d): mknod is not allowed here and the host has no such node to bind",
				     d->path, d->type, (int)d->major, (int)d->minor);
	/* a user namespace may not mknod: bind the host's node instead */
	fd = openat(dirfd, leaf, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0000);
	if (fd < 0)
		return lxm_error_set(err, errno, "creating '%s'", d->path);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (mount(d->path, target, NULL, MS_BIND, NULL) < 0) {
		int e = errno;

		close(fd);
		return lxm_error_set(err, e, "binding the host's '%s'", d->path);
	}
	close(fd);
	return 0;
}

int lxm_devices_setup(int rootfd, const struct lxm_dev_spec *spec, struct lxm_error *err)
{
	_cleanup_close_ int devpath = lxm_rootfs_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY);
	_cleanup_close_ int devfd = -1;
	char buf[64];
	mode_t old_umask;
	int r = 0;

	if (devpath < 0)
		return lxm_error_set(err, -devpath, "opening '/dev' in the rootfs");
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", devpath);
	devfd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (devfd < 0)
		return lxm_error_set(err, errno, "opening '/dev' in the rootfs");

	old_umask = umask(0);
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		if (mknodat(devfd, dev_nodes[i].name, S_IFCHR | dev_nodes[i].mode,
			    makedev(dev_nodes[i].maj, dev_nodes[i].min)) == 0)
			continue;
		if (errno != EPERM) {
			r = lxm_error_set(err, errno, "creating '/dev/%s'", dev_nodes[i].name);
			goto out;
		}
		/* a user namespace may not mknod: bind the host's node instead */
		snprintf(buf, sizeof(buf), "/dev/%s", dev_nodes[i].name);
		r = bind_onto(devfd, dev_nodes[i].name, buf, err);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++) {
		if (symlinkat(dev_links[i].target, devfd, dev_links[i].name) < 0) {
			r = lxm_error_set(err, errno, "creating '/dev/%s'", dev_links[i].name);
			goto out;
		}
	}
	if (mkdirat(devfd, "pts", 0755) < 0 || mkdirat(devfd, "shm", 01777) < 0 ||
	    mkdirat(devfd, "mqueue", 0755) < 0) {
		r = lxm_error_set(err, errno, "creating directories in '/dev'");
		goto out;
	}
	{
		_cleanup_close_ int pts = openat(devfd, "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		snprintf(buf, sizeof(buf), "/proc/self/fd/%d", pts);
		/* gid=5 is "tty" in every distro; a user namespace without it
		 * mapped refuses the option, so retry without it */
		if (pts < 0 ||
		    (mount("devpts", buf, "devpts", MS_NOSUID | MS_NOEXEC,
			   "newinstance,ptmxmode=0666,mode=0620,gid=5") < 0 &&
		     mount("devpts", buf, "devpts", MS_NOSUID | MS_NOEXEC,
			   "newinstance,ptmxmode=0666,mode=0620") < 0)) {
			r = lxm_error_set(err, errno, "mounting devpts on '/dev/pts'");
			goto out;
		}
	}
	{
		_cleanup_close_ int shm = openat(devfd, "shm", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		snprintf(buf, sizeof(buf), "/proc/self/fd/%d", shm);
		if (shm < 0 || mount("shm", buf, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=65536k") < 0) {
			r = lxm_error_set(err, errno, "mounting tmpfs on '/dev/shm'");
			goto out;
		}
	}
	{
		_cleanup_close_ int mq = openat(devfd, "mqueue", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		snprintf(buf, sizeof(buf), "/proc/self/fd/%d", mq);
		if (mq < 0 || mount("mqueue", buf, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
			r = lxm_error_set(err, errno, "mounting mqueue on '/dev/mqueue'");
			goto out;
		}
	}
	if (spec->console) {
		r = bind_onto(devfd, "console", spec->console, err);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < spec->n_ttys; i++) {
		char name[16];

		snprintf(name, sizeof(name), "tty%zu", i + 1);
		r = bind_onto(devfd, name, spec->ttys[i], err);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < spec->n_devices; i++) {
		if (!spec->devices[i].path)
			continue;
		r = make_node(devfd, &spec->devices[i], err);
		if (r < 0)
			goto out;
	}
out:
	umask(old_umask);
	return r;
}
