#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "config.h"
#include "log.h"
#include "snapshot.h"
#include "util.h"

int lxm_snapshot_register(const char *base_dir, const char *snapname)
{
	_cleanup_close_ int dfd = -1, fd = -1;
	_cleanup_free_ char *dir = lxm_strdup_printf("%s/" LXM_SNAPSHOTS_DIR, base_dir);

	if (!dir)
		return -ENOMEM;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = openat(dfd, snapname, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	return 0;
}

int lxm_snapshot_unregister(const char *base_dir, const char *snapname)
{
	_cleanup_free_ char *dir = lxm_strdup_printf("%s/" LXM_SNAPSHOTS_DIR, base_dir);
	_cleanup_close_ int dfd = -1;

	if (!dir)
		return -ENOMEM;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (unlinkat(dfd, snapname, 0) < 0 && errno != ENOENT)
		return -errno;
	/* the last one takes the directory with it (fails while others remain) */
	(void)unlinkat(AT_FDCWD, dir, AT_REMOVEDIR);
	return 0;
}

/* 1: a live snapshot of real_base; 0: stale */
static int marker_live(const struct lxm_paths *paths, const char *snap, const char *real_base)
{
	_cleanup_free_ char *dir = lxm_container_path(paths, snap, NULL);
	_cleanup_free_ char *partial = lxm_container_path(paths, snap, "partial");
	_cleanup_free_ char *config = lxm_container_path(paths, snap, "config");
	_cleanup_free_ char *lower = NULL;
	struct lxm_config conf = { 0 };
	struct lxm_error err = { 0 };
	struct stat st;
	int r;

	if (!dir || !partial || !config)
		return -ENOMEM;
	if (lxm_name_validate(snap, &err) < 0 || lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	/* being made by lxm-copy -s, which holds the marker's lock: it will be
	 * one; an unheld marker is a copy that was killed (it registers only
	 * once it holds the lock), whose remains the next create of that name
	 * or lxm-destroy removes */
	if (lxm_lock_held_at(AT_FDCWD, partial) != 0)
		return 1;       /* held, or cannot be told: keep the base */
	if (access(partial, F_OK) == 0)
		return 0;
	if (access(config, F_OK) < 0)
		return 0;
	r = lxm_config_init(&conf);
	if (r < 0)
		return r;
	r = lxm_config_read_file(&conf, config, &err);
	if (r < 0) {
		lxm_config_free(&conf);
		/* unreadable now (a hand edit under way): keep the base safe */
		return 1;
	}
	if (conf.rootfs_overlay_lower)
		lower = realpath(conf.rootfs_overlay_lower, NULL);
	lxm_config_free(&conf);
	return lower && streq(lower, real_base);
}

int lxm_snapshot_count(const struct lxm_paths *paths, const char *base_dir, const char *base_rootfs,
		       size_t *ret_n, char **ret_first)
{
	_cleanup_free_ char *dir = lxm_strdup_printf("%s/" LXM_SNAPSHOTS_DIR, base_dir);
	_cleanup_free_ char *real = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int fd, r = 0;

	*ret_n = 0;
	if (ret_first)
		*ret_first = NULL;
	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	real = realpath(base_rootfs, NULL);
	while ((de = readdir(d))) {
		int live;

		if (de->d_name[0] == '.')
			continue;
		live = real ? marker_live(paths, de->d_name, real) : 1;
		if (live < 0) {
			r = live;
			break;
		}
		if (!live) {
			log_debug("snapshot marker '%s/%s' is stale, removing it", dir, de->d_name);
			(void)unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (n++ == 0 && ret_first)
			*ret_first = strdup(de->d_name);
	}
	closedir(d);
	if (n == 0 && r == 0)
		(void)rmdir(dir);
	*ret_n = n;
	return r;
}

int lxm_snapshot_destroy_lock(const char *dir)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (dfd < 0)
		return -errno;
	/* a file that a refused destroy unlinks while we lock it is not the
	 * lock any more: lock the one that is there */
	for (int attempt = 0; attempt < 10; attempt++) {
		struct stat a, b;
		int fd = openat(dfd, LXM_DESTROYING_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
		int r;

		if (fd < 0)
			return -errno;
		/* a start's or a copy's probe holds it shared for an instant */
		r = lxm_flock_retry(fd, 20, 500);
		if (r < 0) {
			close(fd);
			return r == -EWOULDBLOCK ? -EBUSY : r;
		}
		if (fstat(fd, &a) == 0 && fstatat(dfd, LXM_DESTROYING_FILE, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return fd;
		close(fd);
	}
	return -EBUSY;
}

int lxm_snapshot_being_destroyed(const char *dir)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* gone: renamed away by a destroy */
	if (dfd < 0)
		return errno == ENOENT ? 1 : -errno;
	return lxm_lock_held_at(dfd, LXM_DESTROYING_FILE);
}

bool lxm_snapshot_base_readonly(const struct lxm_paths *paths, const char *dir, const char *rootfs, char *note,
				size_t note_len)
{
	_cleanup_free_ char *first = NULL;
	size_t n = 0;
	int r = lxm_snapshot_count(paths, dir, rootfs, &n, &first);

	if (r < 0) {
		snprintf(note, note_len, "cannot tell whether the rootfs is the base of snapshots (%s): "
			 "it is mounted read-only", strerror(-r));
		return true;
	}
	if (n == 0)
		return false;
	snprintf(note, note_len, "'%s' is the base of %zu snapshot(s) ('%s'%s): its rootfs is mounted read-only "
		 "until they are destroyed", strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir, n, first ? first : "?",
		 n > 1 ? ", ..." : "");
	return true;
}
