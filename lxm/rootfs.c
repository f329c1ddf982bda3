#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#ifndef FSOPEN_CLOEXEC
/* a C library whose <sys/mount.h> lacks the new mount API (musl, for
 * lxm-attach) */
#include <linux/mount.h>
#endif
#include <sys/stat.h>
#include <sys/syscall.h>

#include "log.h"
#include "rootfs.h"

#define FD_PATH_MAX 40

static const char *fd_path(int fd, char buf[FD_PATH_MAX])
{
	snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
	return buf;
}

int lxm_rootfs_open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	/* EAGAIN: a mount or rename somewhere on the system raced with a ".."
	 * in the walk (busybox's /sbin/init -> ../bin/busybox); retry. */
	for (int tries = 0;; tries++) {
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN || tries >= 100)
			break;
	}
	return fd < 0 ? -errno : fd;
}

int lxm_rootfs_mkdir_in_root(int rootfd, const char *path, mode_t mode)
{
	_cleanup_free_ char *prefix = calloc(1, strlen(path) + 2);
	_cleanup_close_ int dirfd = -1;
	const char *p = path;
	size_t len;

	if (!prefix)
		return -ENOMEM;
	dirfd = lxm_rootfs_open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
	if (dirfd < 0)
		return dirfd;
	for (const char *c; lxm_path_next(&p, &c, &len);) {
		size_t plen;
		char comp[NAME_MAX + 1];
		int next;

		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, c, len);
		comp[len] = '\0';
		plen = strlen(prefix);
		prefix[plen] = '/';
		memcpy(prefix + plen + 1, comp, len + 1);
		/* mkdirat never follows a symlink in its last component; a
		 * symlink that is there already is resolved inside the root by
		 * the open below */
		if (mkdirat(dirfd, comp, mode) < 0 && errno != EEXIST)
			return -errno;
		next = lxm_rootfs_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
		if (next < 0)
			return next;
		close(dirfd);
		dirfd = next;
	}
	return TAKE_FD(dirfd);
}

bool lxm_path_is_safe_relative(const char *path)
{
	int depth = 0;
	const char *p = path, *c;
	size_t len;

	while (lxm_path_next(&p, &c, &len)) {
		if (len == 2 && c[0] == '.' && c[1] == '.') {
			if (--depth < 0)
				return false;
		} else if (!(len == 1 && c[0] == '.')) {
			depth++;
		}
	}
	return true;
}

static const struct {
	const char *name;
	unsigned long set;
	unsigned long clear;
} mount_opts[] = {
	{ "ro", MS_RDONLY, 0 },
	{ "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 },
	{ "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 },
	{ "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },
	{ "exec", 0, MS_NOEXEC },
	{ "noatime", MS_NOATIME, 0 },
	{ "nodiratime", MS_NODIRATIME, 0 },
	{ "relatime", MS_RELATIME, 0 },
	{ "strictatime", MS_STRICTATIME, 0 },
	{ "sync", MS_SYNCHRONOUS, 0 },
	{ "dirsync", MS_DIRSYNC, 0 },
	{ "bind", MS_BIND, 0 },
	{ "rbind", MS_BIND | MS_REC, 0 },
	{ "defaults", 0, 0 },
};

int lxm_mount_options_parse(const char *opts, struct lxm_mount_opts *ret)
{
	_cleanup_free_ char *copy = strdup(opts ? opts : "");
	_cleanup_free_ char *data = NULL;
	struct lxm_mount_opts o = { 0 };
	size_t dlen = 0;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	data = calloc(1, strlen(copy) + 1);
	if (!data)
		return -ENOMEM;
	for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		bool known = false;

		if (streq(s, "optional")) {
			o.optional = true;
			continue;
		}
		if (lxm_startswith(s, "create=")) {
			if (streq(s, "create=dir"))
				o.create = LXM_MOUNT_CREATE_DIR;
			else if (streq(s, "create=file"))
				o.create = LXM_MOUNT_CREATE_FILE;
			else
				return -EINVAL;
			continue;
		}
		for (size_t i = 0; i < ARRAY_SIZE(mount_opts); i++) {
			if (streq(s, mount_opts[i].name)) {
				o.flags |= mount_opts[i].set;
				o.flags &= ~mount_opts[i].clear;
				known = true;
				break;
			}
		}
		if (known)
			continue;
		if (dlen)
			data[dlen++] = ',';
		memcpy(data + dlen, s, strlen(s));
		dlen += strlen(s);
	}
	o.bind = o.flags & MS_BIND;
	o.data = dlen ? TAKE_PTR(data) : NULL;
	*ret = o;
	return 0;
}

/* mkdir the top-level directory if missing, then open it inside the root */
static int open_mountpoint(int rootfd, const char *path, bool dir, struct lxm_error *err)
{
	int fd;

	if (dir)
		fd = lxm_rootfs_mkdir_in_root(rootfd, path, 0755);
	else
		fd = lxm_rootfs_open_in_root(rootfd, path, O_PATH);
	if (fd < 0)
		return lxm_error_set(err, -fd, "opening mount point '%s' in the rootfs", path);
	return fd;
}

static int mount_at(int rootfd, const char *target, const char *source, const char *fstype,
		    unsigned long flags, const char *data, struct lxm_error *err)
{
	_cleanup_close_ int fd = open_mountpoint(rootfd, target, true, err);
	char buf[FD_PATH_MAX];

	if (fd < 0)
		return fd;
	if (mount(source, fd_path(fd, buf), fstype, flags, data) < 0)
		return lxm_error_set(err, errno, "mounting %s on '%s'", fstype ? fstype : source, target);
	return 0;
}

/* What a bind mount's options add to the flags it has from its source, as
 * mount_setattr attributes; nothing is taken away ("rw", "suid", "dev" and
 * "exec" only undo an earlier "ro", ... of the same options): a host
 * mount's ro, nosuid, nodev and noexec stay, on every mount of an rbind's
 * tree. (A bind remount sets every flag at once: it dropped the source's
 * nosuid, nodev and noexec where the options did not repeat them, and a
 * user namespace may not drop those at all.) */
static void bind_attrs(const struct lxm_mount_opts *o, struct mount_attr *ret)
{
	static const struct {
		unsigned long ms;
		uint64_t attr;
	} map[] = {
		{ MS_RDONLY, MOUNT_ATTR_RDONLY },
		{ MS_NOSUID, MOUNT_ATTR_NOSUID },
		{ MS_NODEV, MOUNT_ATTR_NODEV },
		{ MS_NOEXEC, MOUNT_ATTR_NOEXEC },
		{ MS_NODIRATIME, MOUNT_ATTR_NODIRATIME },
	};
	struct mount_attr a = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (o->flags & map[i].ms)
			a.attr_set |= map[i].attr;
	/* one access time mode, the strictest asked for, as mount(2) does */
	if (o->flags & (MS_STRICTATIME | MS_NOATIME | MS_RELATIME)) {
		a.attr_clr |= MOUNT_ATTR__ATIME;
		if (o->flags & MS_STRICTATIME)
			a.attr_set |= MOUNT_ATTR_STRICTATIME;
		else if (o->flags & MS_NOATIME)
			a.attr_set |= MOUNT_ATTR_NOATIME;
		else
			a.attr_set |= MOUNT_ATTR_RELATIME;
	}
	*ret = a;
}

/* Make a bind mount read-only (and keep the flags the kernel locks). */
static int remount_ro(const char *path, unsigned long keep, struct lxm_error *err)
{
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return lxm_error_set(err, errno, "binding '%s'", path);
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
		return lxm_error_set(err, errno, "making '%s' read-only", path);
	return 0;
}

static int user_mount(int rootfd, const struct lxm_rootfs_spec *spec, const struct lxm_mount *m,
		      struct lxm_error *err)
{
	_cleanup_free_ char *data = NULL, *source = NULL;
	_cleanup_close_ int fd = -1;
	struct lxm_mount_opts o;
	struct mount_attr attr = { 0 };
	unsigned long flags;
	bool bind, optional, file_target;
	char buf[FD_PATH_MAX];
	struct stat st;
	int r;

	r = lxm_mount_options_parse(m->options, &o);
	if (r < 0)
		return lxm_error_set(err, -r, "parsing options of mount '%s'", m->target);
	flags = o.flags;
	bind = o.bind;
	optional = o.optional;
	data = o.data;
	if (m->source[0] == '/' || !bind)
		source = strdup(m->source);
	else
		source = lxm_strdup_printf("%s/%s", spec->container_dir, m->source);
	if (!source)
		return lxm_error_set(err, ENOMEM, "mount '%s'", m->target);

	if (bind && stat(source, &st) < 0) {
		if (optional)
			return 0;
		return lxm_error_set(err, errno, "mount '%s': source '%s'", m->target, source);
	}
	/* create=dir|file says what the target is; without it a bind's source decides */
	if (o.create == LXM_MOUNT_CREATE_AUTO)
		file_target = bind && !S_ISDIR(st.st_mode);
	else
		file_target = o.create == LXM_MOUNT_CREATE_FILE;
	if (file_target) {
		/* file bind mount: create the target file inside the root */
		_cleanup_free_ char *parent = strdup(m->target);
		char *slash = parent ? strrchr(parent, '/') : NULL;
		_cleanup_close_ int pfd = -1;

		if (!parent)
			return lxm_error_set(err, ENOMEM, "mount '%s'", m->target);
		if (slash)
			*slash = '\0';
		pfd = lxm_rootfs_mkdir_in_root(rootfd, slash ? parent : "/", 0755);
		if (pfd < 0) {
			if (optional)
				return 0;
			return lxm_error_set(err, -pfd, "mount '%s': creating parent", m->target);
		}
		{
			char pbuf[FD_PATH_MAX];
			_cleanup_close_ int dfd = open(fd_path(pfd, pbuf), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
			int f;

			if (dfd < 0)
				return lxm_error_set(err, errno, "mount '%s'", m->target);
			/* O_EXCL: only ever a new file; an open of what is
			 * there (a FIFO the container made there, a device
			 * node) would block the start or poke the device */
			f = openat(dfd, slash ? slash + 1 : m->target,
				   O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (f >= 0)
				close(f);
		}
		fd = lxm_rootfs_open_in_root(rootfd, m->target, O_PATH);
	} else {
		fd = lxm_rootfs_mkdir_in_root(rootfd, m->target, 0755);
	}
	if (fd < 0) {
		if (optional)
			return 0;
		return lxm_error_set(err, -fd, "mount '%s': opening target in the rootfs", m->target);
	}
	/* on the rootfs itself ("/", "etc/..", a symlink to "/" in the
	 * rootfs) the mount would hide proc, sys, dev and init under it */
	{
		struct stat tst, rst;

		if (fstat(fd, &tst) < 0 || fstat(rootfd, &rst) < 0)
			return lxm_error_set(err, errno, "mount '%s': target", m->target);
		if (tst.st_dev == rst.st_dev && tst.st_ino == rst.st_ino)
			return lxm_error_setr(err, EINVAL, "mount '%s': the target is the root of the rootfs", m->target);
	}
	if (mount(source, fd_path(fd, buf), m->fstype, flags & ~MS_RDONLY, data) < 0) {
		if (optional)
			return 0;
		return lxm_error_set(err, errno, "mounting '%s' on '%s'", source, m->target);
	}
	if (bind)
		bind_attrs(&o, &attr);
	/* the fd still points at the directory under the new mount: reopen it
	 * to reach the mount itself for the flags */
	if (bind ? attr.attr_set || attr.attr_clr : flags & MS_RDONLY) {
		close(fd);
		fd = lxm_rootfs_open_in_root(rootfd, m->target, O_PATH);
		if (fd < 0)
			return lxm_error_set(err, -fd, "mount '%s': reopening the target", m->target);
	}
	/* a bind mount takes its flags only afterwards; rbind: on every mount
	 * of the tree, as "rbind,ro" means */
	if (bind && (attr.attr_set || attr.attr_clr)) {
		if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (flags & MS_REC ? AT_RECURSIVE : 0),
			    &attr, sizeof(attr)) < 0)
			return lxm_error_set(err, errno, "mount '%s': applying '%s' to the bind mount", m->target,
					     m->options);
	} else if (!bind && (flags & MS_RDONLY)) {
		if (mount(NULL, fd_path(fd, buf), NULL, MS_REMOUNT | flags, data) < 0)
			return lxm_error_set(err, errno, "remounting '%s' read-only", m->target);
	}
	return 0;
}

/* The layers by fd (opened with host root's access, before the user
 * namespace took it away; the lower is the monitor's idmapped mount of the
 * base's rootfs when there is one): a new overlay mount, attached onto the
 * rootfs directory. Returns the mount's fd. */
static int mount_overlay_fds(const struct lxm_rootfs_spec *spec, int *ret, struct lxm_error *err)
{
	static const char *const keys[] = { "lowerdir", "upperdir", "workdir" };
	_cleanup_close_ int fsfd = -1, mfd = -1;
	char path[FD_PATH_MAX];

	/* a layer must be a mount of our namespace: the idmapped lower goes
	 * onto the rootfs directory, the overlay over it */
	if (spec->tree_fd >= 0 && syscall(SYS_move_mount, spec->tree_fd, "", spec->rootfs_fd, "",
					  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return lxm_error_set(err, errno, "mounting the snapshot's base '%s' (idmapped)", spec->overlay_lower);
	fsfd = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return lxm_error_set(err, errno, "overlay rootfs: fsopen");
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		int fd = i == 0 && spec->tree_fd >= 0 ? spec->tree_fd : spec->overlay_fds[i];

		if (syscall(SYS_fsconfig, fsfd, FSCONFIG_SET_STRING, keys[i], fd_path(fd, path), 0) < 0)
			return lxm_error_set(err, errno, "overlay rootfs: %s '%s'%s", keys[i],
					     i == 0 ? spec->overlay_lower : i == 1 ? spec->overlay_upper : spec->overlay_work,
					     i == 0 && spec->tree_fd >= 0 ? " (idmapped)" : "");
	}
	/* mounted by a mapped root, which cannot set trusted.* xattrs (opaque
	 * directories, redirects): overlayfs's user.* ones instead */
	if (spec->tree_fd >= 0 && syscall(SYS_fsconfig, fsfd, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0)
		return lxm_error_set(err, errno, "overlay rootfs: userxattr");
	if (syscall(SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return lxm_error_set(err, errno, "mounting the overlay rootfs (lower '%s')", spec->overlay_lower);
	mfd = (int)syscall(SYS_fsmount, fsfd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0)
		return lxm_error_set(err, errno, "mounting the overlay rootfs (lower '%s')", spec->overlay_lower);
	if (syscall(SYS_move_mount, mfd, "", spec->rootfs_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return lxm_error_set(err, errno, "mounting the overlay rootfs on '%s'", spec->rootfs);
	*ret = TAKE_FD(mfd);
	return 0;
}

/* A snapshot's rootfs: overlayfs over its base's rootfs, mounted where the
 * plain rootfs would be bound. */
static int mount_overlay(const struct lxm_rootfs_spec *spec, int *ret, struct lxm_error *err)
{
	const char *paths[] = { spec->overlay_lower, spec->overlay_upper, spec->overlay_work };
	_cleanup_free_ char *opts = NULL;
	char target[FD_PATH_MAX];
	int fd;

	if (spec->have_fds)
		return mount_overlay_fds(spec, ret, err);
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (!paths[i] || strpbrk(paths[i], ",:\\"))
			return lxm_error_setr(err, EINVAL, "overlay rootfs: unusable path '%s'", paths[i] ?: "");
	opts = lxm_strdup_printf("lowerdir=%s,upperdir=%s,workdir=%s", paths[0], paths[1], paths[2]);
	if (!opts)
		return lxm_error_set(err, ENOMEM, "overlay rootfs");
	if (mount("overlay", spec->have_fds ? fd_path(spec->rootfs_fd, target) : spec->rootfs, "overlay", 0, opts) < 0)
		return lxm_error_set(err, errno, "mounting the overlay rootfs on '%s' (lower '%s')", spec->rootfs, paths[0]);
	fd = open(spec->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return lxm_error_set(err, errno, "opening rootfs '%s'", spec->rootfs);
	*ret = fd;
	return 0;
}

/* The rootfs as a mount of its own: the monitor's idmapped tree, or a
 * recursive clone of the directory, attached onto the directory itself
 * (pivot_root needs a mount point). Returns the attached tree's fd. */
static int attach_rootfs(const struct lxm_rootfs_spec *spec, int *ret, struct lxm_error *err)
{
	int tree = spec->tree_fd;

	if (tree < 0) {
		tree = (int)syscall(SYS_open_tree, spec->rootfs_fd, "",
				    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
		if (tree < 0)
			return lxm_error_set(err, errno, "binding rootfs '%s'", spec->rootfs);
	}
	if (syscall(SYS_move_mount, tree, "", spec->rootfs_fd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		int e = errno;

		if (tree != spec->tree_fd)
			close(tree);
		return lxm_error_set(err, e, "mounting rootfs '%s'%s", spec->rootfs,
				     spec->tree_fd >= 0 ? " (idmapped)" : "");
	}
	*ret = tree;
	return 0;
}

/* The container's own view of each cgroup hierarchy under /sys/fs/cgroup,
 * mounted inside its cgroup namespace (so its root is the container's
 * cgroup), before init: a systemd guest on a hybrid host needs each v1
 * hierarchy as the host has it, or it co-mounts cpu,cpuacct and loses both. */
static int mount_cgroups(int rootfd, const struct lxm_rootfs_spec *spec, struct lxm_error *err)
{
	_cleanup_close_ int tmpfs = -1;
	bool top_v2 = false;
	int r;

	if (!spec->n_cgroups)
		return 0;
	for (size_t i = 0; i < spec->n_cgroups; i++)
		if (spec->cgroups[i].unified && streq(spec->cgroups[i].mountpoint, "/sys/fs/cgroup"))
			top_v2 = true;
	if (!top_v2) {
		r = mount_at(rootfd, "sys/fs/cgroup", "cgroup", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			     "mode=755,size=64k", err);
		if (r < 0)
			return r;
		/* the tmpfs just made holds nothing but what we add: its
		 * mount points need no walk from the rootfs (which would be
		 * ~13 syscalls per hierarchy, ten of them on a hybrid host) */
		tmpfs = lxm_rootfs_open_in_root(rootfd, "sys/fs/cgroup", O_PATH | O_DIRECTORY);
		if (tmpfs < 0)
			return lxm_error_set(err, -tmpfs, "opening mount point 'sys/fs/cgroup' in the rootfs");
	}
	for (size_t i = 0; i < spec->n_cgroups; i++) {
		const struct lxm_cgroup_hierarchy *h = &spec->cgroups[i];
		const char *sub;
		char target[PATH_MAX];

		if (!lxm_startswith(h->mountpoint, "/sys/fs/cgroup"))
			continue;
		sub = h->mountpoint + strlen("/sys/fs/cgroup");
		snprintf(target, sizeof(target), "sys/fs/cgroup%s", sub);
		if (tmpfs >= 0 && sub[0] == '/' && sub[1] && sub[1] != '.' && !strchr(sub + 1, '/')) {
			_cleanup_close_ int fd = -1;
			char buf[FD_PATH_MAX];

			if ((mkdirat(tmpfs, sub + 1, 0755) < 0 && errno != EEXIST) ||
			    (fd = openat(tmpfs, sub + 1, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
				return lxm_error_set(err, errno, "opening mount point '%s' in the rootfs", target);
			if (h->unified)
				r = mount("cgroup2", fd_path(fd, buf), "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
			else
				r = mount("cgroup", fd_path(fd, buf), "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC,
					  h->controllers);
			/* no cgroup namespace mount: bind the container's cgroup */
			if (r < 0 && h->path)
				r = mount(h->path, fd_path(fd, buf), NULL, MS_BIND, NULL);
			if (r < 0)
				return lxm_error_set(err, errno, "mounting %s on '%s'",
						     h->path ? h->path : h->unified ? "cgroup2" : "cgroup", target);
			continue;
		}
		if (h->unified)
			r = mount_at(rootfd, target, "cgroup2", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
		else
			r = mount_at(rootfd, target, "cgroup", "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC,
				     h->controllers, err);
		if (r < 0 && h->path) {
			/* no cgroup namespace mount: bind the container's cgroup */
			lxm_error_clear(err);
			r = mount_at(rootfd, target, h->path, NULL, MS_BIND, NULL, err);
		}
		if (r < 0)
			return r;
	}
	/* co-mounted controllers get their single names as links, as on hosts */
	for (size_t i = 0; i < spec->n_cgroups; i++) {
		const struct lxm_cgroup_hierarchy *h = &spec->cgroups[i];
		_cleanup_free_ char *copy = NULL;
		_cleanup_close_ int dir = -1;
		const char *base;
		char *save = NULL;

		if (h->unified || !h->controllers || !strchr(h->controllers, ',') ||
		    !lxm_startswith(h->mountpoint, "/sys/fs/cgroup/"))
			continue;
		base = h->mountpoint + strlen("/sys/fs/cgroup/");
		copy = strdup(h->controllers);
		dir = tmpfs >= 0 ? openat(tmpfs, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC) :
				   lxm_rootfs_open_in_root(rootfd, "sys/fs/cgroup", O_DIRECTORY | O_RDONLY);
		if (!copy || dir < 0)
			continue;
		for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save))
			if (!strchr(c, '=') && !streq(c, base))
				(void)symlinkat(base, dir, c);
	}
	return 0;
}

int lxm_rootfs_prepare(const struct lxm_rootfs_spec *spec, int *ret_rootfd, struct lxm_error *err)
{
	_cleanup_close_ int rootfd = -1;
	struct stat st;
	int r;

	/* nothing we mount may propagate back to the host */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return lxm_error_set(err, errno, "making mounts private");
	if (spec->overlay_lower) {
		r = mount_overlay(spec, &rootfd, err);
		if (r < 0)
			return r;
		goto mounted;
	}
	if (spec->have_fds) {
		r = attach_rootfs(spec, &rootfd, err);
		if (r < 0)
			return r;
		goto mounted;
	}
	if (stat(spec->rootfs, &st) < 0)
		return lxm_error_set(err, errno, "rootfs '%s'", spec->rootfs);
	if (!S_ISDIR(st.st_mode))
		return lxm_error_set(err, ENOTDIR, "rootfs '%s'", spec->rootfs);
	/* pivot_root needs the new root to be a mount point */
	if (mount(spec->rootfs, spec->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return lxm_error_set(err, errno, "binding rootfs '%s'", spec->rootfs);
	rootfd = open(spec->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return lxm_error_set(err, errno, "opening rootfs '%s'", spec->rootfs);
mounted:
	if (spec->readonly && !spec->overlay_lower) {
		/* this mount only (its superblock is the host's), before
		 * anything is mounted on it */
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

		if (syscall(SYS_mount_setattr, rootfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
			return lxm_error_set(err, errno, "making rootfs '%s' read-only", spec->rootfs);
	}
	r = mount_at(rootfd, "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
	if (r < 0)
		return r;
	r = mount_at(rootfd, "sys", "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
	if (r < 0)
		return r;
	r = mount_cgroups(rootfd, spec, err);
	if (r < 0)
		return r;
	r = mount_at(rootfd, "dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", err);
	if (r < 0)
		return r;
	*ret_rootfd = TAKE_FD(rootfd);
	return 0;
}

int lxm_rootfs_mount_user(int rootfd, const struct lxm_rootfs_spec *spec, struct lxm_error *err)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		int r = user_mount(rootfd, spec, &spec->mounts[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

int lxm_rootfs_pivot(int rootfd, struct lxm_error *err)
{
	if (fchdir(rootfd) < 0) {
		/* O_PATH fds can be fchdir'ed since 3.5; keep the message useful */
		return lxm_error_set(err, errno, "entering the rootfs");
	}
	/* pivot_root(".", ".") stacks the old root on top of the new one; the
	 * umount then takes it away without needing a directory for it */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return lxm_error_set(err, errno, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return lxm_error_set(err, errno, "detaching the old root");
	if (chdir("/") < 0)
		return lxm_error_set(err, errno, "chdir to the new root");
	return 0;
}

/* Files in /proc that show or poke the host kernel, masked inside (not only
 * by the AppArmor profile, which a host without AppArmor lacks): each gets a
 * read-only bind of an empty file on top, so reads give nothing and writes
 * fail with EROFS. (Not /dev/null: a device node takes writes even on a
 * read-only mount.) The empty file is made in the container's fresh /dev
 * tmpfs and unlinked again once bound, so nothing of it shows in /dev. A
 * file this kernel does not have is skipped. Only the first bind needs
 * mount_setattr: a bind of a read-only bind copies its mount flags, so the
 * others are one mount(2) each.
 * Nesting: a mount on top of anything in /proc makes the kernel refuse a
 * nested "mount -t proc" (mount_too_revealing), so a nesting container
 * needs an unobstructed proc elsewhere as well; that belongs here too. */
static const char *const masked_proc_files[] = {
	"/proc/sysrq-trigger",
	"/proc/kcore",
	"/proc/keys",
	"/proc/timer_list",
	"/proc/sched_debug",
};

static int mask_proc_paths(struct lxm_error *err)
{
	static const char empty[] = "/dev/.lxm-mask";
	const char *first = NULL;
	int fd, r = 0;

	fd = open(empty, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (fd < 0)
		return lxm_error_set(err, errno, "creating '%s'", empty);
	close(fd);
	for (size_t i = 0; i < ARRAY_SIZE(masked_proc_files); i++) {
		const char *path = masked_proc_files[i];

		if (mount(first ? first : empty, path, NULL, MS_BIND, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			r = lxm_error_set(err, errno, "masking '%s'", path);
			break;
		}
		if (!first) {
			struct mount_attr attr = {
				.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
			};

			if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, &attr, sizeof(attr)) < 0) {
				r = lxm_error_set(err, errno, "making the mask of '%s' read-only", path);
				break;
			}
			first = path;
		}
	}
	if (unlink(empty) < 0 && r == 0)
		r = lxm_error_set(err, errno, "removing '%s'", empty);
	return r;
}

int lxm_rootfs_finish(bool own_netns, struct lxm_error *err)
{
	const unsigned long procflags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	int r;

	r = remount_ro("/proc/sys", procflags, err);
	if (r < 0)
		return r;
	/* the network sysctls are per namespace: keep them writable, but
	 * only the container's own (with the host's network they would be
	 * the host's) */
	if (!own_netns)
		return mask_proc_paths(err);
	if (mount("/proc/sys/net", "/proc/sys/net", NULL, MS_BIND, NULL) < 0)
		return lxm_error_set(err, errno, "binding '/proc/sys/net'");
	if (mount(NULL, "/proc/sys/net", NULL, MS_BIND | MS_REMOUNT | procflags, NULL) < 0)
		return lxm_error_set(err, errno, "making '/proc/sys/net' writable");
	return mask_proc_paths(err);
}

/* security.nesting: a clean proc and sysfs at /dev/.lxm/{proc,sys}. A
 * container inside this one mounts its own proc and sysfs in a new user
 * namespace, and the kernel allows that only when a mount of the same
 * filesystem is already fully visible in the mount namespace it copies
 * (mount_too_revealing): this container's /proc has read-only binds and
 * masks on top (locked in the copy), so it does not count. These two have
 * nothing on top. The AppArmor nesting profile denies any access through
 * them; nothing else needs them. sysfs read-only: a nested mount may then
 * only be read-only as well, which is how lxm mounts it. */
int lxm_rootfs_nesting(struct lxm_error *err)
{
	static const struct {
		const char *dir, *fstype;
		unsigned long flags;
	} m[] = {
		{ "/dev/.lxm/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "/dev/.lxm/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC },
	};

	if (mkdir("/dev/.lxm", 0700) < 0 && errno != EEXIST)
		return lxm_error_set(err, errno, "creating '/dev/.lxm'");
	for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
		if (mkdir(m[i].dir, 0700) < 0 && errno != EEXIST)
			return lxm_error_set(err, errno, "creating '%s'", m[i].dir);
		if (mount(m[i].fstype, m[i].dir, m[i].fstype, m[i].flags, NULL) < 0)
			return lxm_error_set(err, errno, "mounting %s on '%s' for nesting", m[i].fstype, m[i].dir);
	}
	return 0;
}
