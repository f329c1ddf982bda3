#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "destroy.h"
#include "log.h"

/* How many ancestor directories stay open while walking down. Deeper ones
 * are closed and reopened through ".." (checked by dev/ino) on the way up,
 * so fd use is bounded whatever the depth of the tree. */
#define OPEN_DIRS_MAX 16

struct ident {
	dev_t dev;
	ino_t ino;
	uint64_t mnt_id;        /* 0 when the kernel does not report it */
	mode_t mode;
};

struct frame {
	char *name;             /* name inside the parent frame */
	struct ident id;
	DIR *dir;               /* NULL while evicted */
};

struct walk {
	int topfd;              /* the caller's parentfd */
	struct ident mount;     /* the mount nothing may leave */
	struct frame *frames;
	size_t depth;           /* index of the current frame */
	size_t alloc;
	const char *last;       /* a top entry removed after all others, or NULL */
	struct ident last_id;
	bool have_last;
	struct lxm_error *err;
};

static int ident_at(int dfd, const char *name, int flags, struct ident *ret)
{
	struct statx stx;

	if (statx(dfd, name, flags | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_SYNC_AS_STAT,
		  STATX_TYPE | STATX_MODE | STATX_INO | STATX_MNT_ID, &stx) < 0)
		return -errno;
	*ret = (struct ident) {
		.dev = makedev(stx.stx_dev_major, stx.stx_dev_minor),
		.ino = stx.stx_ino,
		.mnt_id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0,
		.mode = stx.stx_mode,
	};
	return 0;
}

static bool same_mount(const struct ident *a, const struct ident *b)
{
	/* st_dev alone misses bind mounts from the same filesystem. */
	return a->dev == b->dev && a->mnt_id == b->mnt_id;
}

static bool same_inode(const struct ident *a, const struct ident *b)
{
	return same_mount(a, b) && a->ino == b->ino;
}

/* Path of `entry` inside the current frame, relative to the top directory
 * (the top's own name when both are absent). */
static char *walk_path(const struct walk *w, const char *entry)
{
	size_t len = 1, off = 0;
	char *p;

	if (w->depth == 0 && !entry)
		return strdup(w->frames[0].name);
	for (size_t i = 1; i <= w->depth; i++)
		len += strlen(w->frames[i].name) + 1;
	if (entry)
		len += strlen(entry);
	p = malloc(len);
	if (!p)
		return NULL;
	for (size_t i = 1; i <= w->depth; i++)
		off += (size_t)sprintf(p + off, "%s%s", i > 1 ? "/" : "", w->frames[i].name);
	if (entry)
		sprintf(p + off, "%s%s", off ? "/" : "", entry);
	return p;
}

static int walk_fail(const struct walk *w, const char *entry, int code, const char *step)
{
	_cleanup_free_ char *path = walk_path(w, entry);

	return lxm_error_set(w->err, code, "%s '%s'", step, path ? path : "?");
}

static int walk_refuse_mount(const struct walk *w, const char *entry)
{
	_cleanup_free_ char *path = walk_path(w, entry);

	return lxm_error_setr(w->err, EXDEV, "'%s' is a mount point, refusing to remove it",
			      path ? path : "?");
}

static bool fd_has_flags(int fd, int mask)
{
	int attr = 0;

	if (ioctl(fd, FS_IOC_GETFLAGS, &attr) < 0)
		return false;
	return (attr & mask) != 0;
}

/* unlinkat() with a readable reason when chattr flags are in the way. */
static int unlink_entry(const struct walk *w, int dfd, const char *name, const struct ident *id)
{
	const int flags = FS_IMMUTABLE_FL | FS_APPEND_FL;
	_cleanup_free_ char *path = NULL;

	if (unlinkat(dfd, name, S_ISDIR(id->mode) ? AT_REMOVEDIR : 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EPERM)
		return walk_fail(w, name, errno, "removing");

	path = walk_path(w, name);
	if (fd_has_flags(dfd, flags))
		return lxm_error_setr(w->err, EPERM, "removing '%s': its directory is immutable or append-only (chattr -ia)",
				      path ? path : "?");
	/* Only regular files and directories are opened: opening a device
	 * node or a fifo could have side effects. */
	if (S_ISREG(id->mode) || S_ISDIR(id->mode)) {
		_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

		if (fd >= 0 && fd_has_flags(fd, flags))
			return lxm_error_setr(w->err, EPERM, "removing '%s': file is immutable or append-only (chattr -ia)",
					      path ? path : "?");
	}
	return lxm_error_set(w->err, EPERM, "removing '%s'", path ? path : "?");
}

/* Open a subdirectory that was just inspected, making it readable and
 * writable for its owner first when needed, and check that it is still the
 * inode that was inspected (nothing swapped or mounted in between). */
static int open_subdir(const struct walk *w, int dfd, const char *name, const struct ident *id, DIR **ret)
{
	_cleanup_close_ int fd = -1;
	struct ident now;
	DIR *d;

	if ((id->mode & S_IRWXU) != S_IRWXU &&
	    fchmodat(dfd, name, (id->mode & 07777) | S_IRWXU, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno != EPERM)
		return walk_fail(w, name, errno, "making writable");

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return walk_fail(w, name, errno, "opening");
	if (ident_at(fd, "", AT_EMPTY_PATH, &now) < 0)
		return walk_fail(w, name, errno, "inspecting");
	if (!same_mount(&now, &w->mount))
		return walk_refuse_mount(w, name);
	if (!same_inode(&now, id)) {
		_cleanup_free_ char *path = walk_path(w, name);

		return lxm_error_setr(w->err, EBUSY, "'%s' was replaced while removing it", path ? path : "?");
	}

	d = fdopendir(fd);
	if (!d)
		return walk_fail(w, name, errno, "opening");
	TAKE_FD(fd);
	*ret = d;
	return 0;
}

static int walk_push(struct walk *w, const char *name, const struct ident *id, DIR *d)
{
	struct frame *f;

	if (w->depth + 1 >= w->alloc) {
		size_t n = w->alloc ? w->alloc * 2 : 64;
		struct frame *nf = realloc(w->frames, n * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		w->frames = nf;
		w->alloc = n;
	}
	f = &w->frames[w->depth + 1];
	*f = (struct frame) { .name = strdup(name), .id = *id };
	if (!f->name)
		return -ENOMEM;
	f->dir = d;
	w->depth++;

	if (w->depth >= OPEN_DIRS_MAX) {
		struct frame *old = &w->frames[w->depth - OPEN_DIRS_MAX];

		if (old->dir) {
			closedir(old->dir);
			old->dir = NULL;
		}
	}
	return 0;
}

/* The current directory is empty: reopen its parent if it was evicted,
 * then remove it from there. */
static int walk_pop(struct walk *w)
{
	struct frame *cur = &w->frames[w->depth];
	struct frame *parent;
	int r;

	if (w->depth == 0) {
		if (w->have_last) {
			r = unlink_entry(w, dirfd(cur->dir), w->last, &w->last_id);
			if (r < 0)
				return r;
			w->have_last = false;
		}
		closedir(cur->dir);
		cur->dir = NULL;
		return unlink_entry(w, w->topfd, cur->name, &cur->id);
	}

	parent = &w->frames[w->depth - 1];
	if (!parent->dir) {
		/* Going up through ".." is only safe when it is still the
		 * directory we came down from. */
		_cleanup_close_ int fd = openat(dirfd(cur->dir), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct ident now;

		if (fd < 0)
			return walk_fail(w, NULL, errno, "reopening the parent of");
		if (ident_at(fd, "", AT_EMPTY_PATH, &now) < 0)
			return walk_fail(w, NULL, errno, "reopening the parent of");
		if (!same_inode(&now, &parent->id))
			return walk_fail(w, NULL, EBUSY, "reopening the parent of");
		parent->dir = fdopendir(fd);
		if (!parent->dir)
			return walk_fail(w, NULL, errno, "reopening the parent of");
		TAKE_FD(fd);
	}

	closedir(cur->dir);
	cur->dir = NULL;
	w->depth--;
	r = unlink_entry(w, dirfd(parent->dir), cur->name, &cur->id);
	free(cur->name);
	cur->name = NULL;
	return r;
}

static int walk_step(struct walk *w)
{
	struct frame *cur = &w->frames[w->depth];
	struct dirent *de;
	struct ident id;
	DIR *sub = NULL;
	int r;

	errno = 0;
	de = readdir(cur->dir);
	if (!de) {
		if (errno != 0)
			return walk_fail(w, NULL, errno, "reading");
		return walk_pop(w);
	}
	if (streq(de->d_name, ".") || streq(de->d_name, ".."))
		return 0;

	r = ident_at(dirfd(cur->dir), de->d_name, 0, &id);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return walk_fail(w, de->d_name, -r, "inspecting");
	if (!same_mount(&id, &w->mount))
		return walk_refuse_mount(w, de->d_name);
	/* what marks the directory as a container (or a create's remains)
	 * goes last: a walk that fails on the way leaves one that a next
	 * lxm-destroy or lxm-create still takes */
	if (w->depth == 0 && w->last && streq(de->d_name, w->last) && !S_ISDIR(id.mode)) {
		w->last_id = id;
		w->have_last = true;
		return 0;
	}

	if (!S_ISDIR(id.mode))
		return unlink_entry(w, dirfd(cur->dir), de->d_name, &id);

	r = open_subdir(w, dirfd(cur->dir), de->d_name, &id, &sub);
	if (r < 0)
		return r;
	r = walk_push(w, de->d_name, &id, sub);
	if (r < 0) {
		closedir(sub);
		return lxm_error_set(w->err, r, "removing");
	}
	return 0;
}

static void walk_done(struct walk *w)
{
	if (!w->frames)
		return;
	for (size_t i = 0; i <= w->depth; i++) {
		if (w->frames[i].dir)
			closedir(w->frames[i].dir);
		free(w->frames[i].name);
	}
	free(w->frames);
	w->frames = NULL;
}

int lxm_remove_tree_at(int parentfd, const char *name, struct lxm_error *err)
{
	return lxm_remove_tree_last_at(parentfd, name, NULL, err);
}

int lxm_remove_tree_last_at(int parentfd, const char *name, const char *last, struct lxm_error *err)
{
	struct walk w = { .topfd = parentfd, .last = last, .err = err };
	struct ident top;
	DIR *d = NULL;
	int r;

	if (!name || !*name || strchr(name, '/') || streq(name, ".") || streq(name, ".."))
		return lxm_error_setr(err, EINVAL, "invalid name to remove '%s'", name ? name : "");

	if (ident_at(parentfd, "", AT_EMPTY_PATH, &w.mount) < 0)
		return lxm_error_set(err, errno, "inspecting the directory of '%s'", name);

	w.frames = calloc(64, sizeof(*w.frames));
	if (!w.frames)
		return lxm_error_set(err, ENOMEM, "removing '%s'", name);
	w.alloc = 64;
	w.frames[0].name = strdup(name);
	if (!w.frames[0].name) {
		r = lxm_error_set(err, ENOMEM, "removing '%s'", name);
		goto out;
	}

	r = ident_at(parentfd, name, 0, &top);
	if (r == -ENOENT) {
		r = 0;
		goto out;
	}
	if (r < 0) {
		r = lxm_error_set(err, -r, "inspecting '%s'", name);
		goto out;
	}
	if (!same_mount(&top, &w.mount)) {
		r = walk_refuse_mount(&w, NULL);
		goto out;
	}
	if (!S_ISDIR(top.mode)) {
		/* A symlink (or any non-directory) is removed itself, never
		 * followed. */
		r = unlink_entry(&w, parentfd, name, &top);
		goto out;
	}

	r = open_subdir(&w, parentfd, name, &top, &d);
	if (r < 0)
		goto out;
	w.frames[0].id = top;
	w.frames[0].dir = d;
	log_debug("removing tree '%s'", name);

	while (w.frames[0].dir || w.depth > 0) {
		r = walk_step(&w);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	walk_done(&w);
	return r;
}

void lxm_sweep_leftovers(int lxmfd, const char *lxmpath, const char *prefix, lxm_abandoned_fn abandoned,
			 const char *last, const char *what)
{
	_cleanup_close_ int fd = dup(lxmfd);
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd)))
		return;
	TAKE_FD(fd);
	while ((de = readdir(d))) {
		_cleanup_close_ int top = -1, hold = -1;
		struct lxm_error err = { 0 };
		char text[LXM_ERROR_MSG_MAX + 64];

		if (!lxm_startswith(de->d_name, prefix))
			continue;
		top = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (top < 0 || !abandoned(dirfd(d), de->d_name, top, &hold))
			continue;
		log_debug("removing '%s/%s', left by a %s that did not finish", lxmpath, de->d_name, what);
		if (lxm_remove_tree_last_at(dirfd(d), de->d_name, last, &err) < 0)
			log_warn("removing '%s/%s' (left by a %s that did not finish): %s, ignoring", lxmpath,
				 de->d_name, what, lxm_error_text(&err, text, sizeof(text)));
	}
	closedir(d);
}
