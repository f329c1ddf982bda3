/* Rootfs import/export with libarchive; init detection.
 *
 * Import never lets the kernel resolve an archive path from the host's root:
 * the parent of each entry is opened with openat2(RESOLVE_IN_ROOT) below the
 * rootfs dirfd (so symlinks in the tree resolve inside it, whatever their
 * text), the entry itself is made with *at() calls that do not follow a
 * symlink in the last component, and existing entries in the way are
 * unlinked, never opened. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "archive.h"
#include "container.h"
#include "copy.h"
#include "shift.h"
#include "log.h"
#include "rootfs.h"

#define OVERFLOW_ID 65534
#define READ_BLOCK (1 << 20)
#define ZERO_CHUNK 65536

/* ---- ids ------------------------------------------------------------------------ */

static uint32_t shift_id(uint32_t base, uint32_t count, uint32_t id, bool *clamped)
{
	if (count == 0)
		return id;
	if (id >= count) {
		if (clamped)
			*clamped = true;
		id = OVERFLOW_ID < count ? OVERFLOW_ID : count - 1;
	}
	return base + id;
}

uint32_t lxm_idshift_uid(const struct lxm_idshift *s, uint32_t id, bool *clamped)
{
	return shift_id(s->uid_base, s->count, id, clamped);
}

uint32_t lxm_idshift_gid(const struct lxm_idshift *s, uint32_t id, bool *clamped)
{
	return shift_id(s->gid_base, s->count, id, clamped);
}

/* host id -> container id (export); ids outside the range become overflow */
static uint32_t unshift_id(uint32_t base, uint32_t count, bool keep_below, uint32_t id)
{
	if (count == 0 || (keep_below && id < count))
		return id;
	if (id < base || id - base >= count)
		return OVERFLOW_ID;
	return id - base;
}

/* security.capability: a v3 value carries the owning root id. */
#define VFS_CAP_V2 0x02000000U
#define VFS_CAP_V3 0x03000000U
#define VFS_CAP_V2_SIZE 20
#define VFS_CAP_V3_SIZE 24

static uint32_t le32_get(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void le32_put(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

/* ---- path checks ---------------------------------------------------------------- */

/* Archive path -> path relative to the rootfs ("" for the root itself).
 * Leading '/' and "./" are dropped (contained, as tar does); a ".."
 * component is refused. */
static int clean_path(const char *in, char **ret)
{
	_cleanup_free_ char *out = malloc(strlen(in) + 1);
	const char *p = in, *c;
	size_t n = 0, len;

	if (!out)
		return -ENOMEM;
	while (lxm_path_next(&p, &c, &len)) {
		if (len == 2 && c[0] == '.' && c[1] == '.')
			return -EXDEV;
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		if (!(len == 1 && c[0] == '.')) {
			if (n)
				out[n++] = '/';
			memcpy(out + n, c, len);
			n += len;
		}
	}
	out[n] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

/* ---- extraction ----------------------------------------------------------------- */

struct dirtime {
	char *path;
	struct timespec ts[2];
};

struct extractor {
	int rootfd;
	const struct lxm_import_opts *opts;
	struct lxm_import_stats st;
	bool root;                 /* euid 0: owners and privileged xattrs */
	char *cached_dir;
	int cached_fd;
	struct dirtime *dirs;
	size_t n_dirs, cap_dirs;
	bool warned_xattr;
};

static void extractor_done(struct extractor *x)
{
	free(x->cached_dir);
	if (x->cached_fd >= 0)
		close(x->cached_fd);
	for (size_t i = 0; i < x->n_dirs; i++)
		free(x->dirs[i].path);
	free(x->dirs);
}

static void cache_drop(struct extractor *x)
{
	free(x->cached_dir);
	x->cached_dir = NULL;
	if (x->cached_fd >= 0)
		close(x->cached_fd);
	x->cached_fd = -1;
}

/* The parent directory of an entry, made when missing; an O_PATH fd owned
 * by the cache. */
static int parent_fd(struct extractor *x, const char *dir)
{
	int fd;

	if (x->cached_dir && streq(x->cached_dir, dir))
		return x->cached_fd;
	cache_drop(x);
	fd = lxm_rootfs_open_in_root(x->rootfd, dir[0] ? dir : ".", O_PATH | O_DIRECTORY);
	if (fd == -ENOENT)
		fd = lxm_rootfs_mkdir_in_root(x->rootfd, dir, 0755);
	if (fd < 0)
		return fd;
	x->cached_dir = strdup(dir);
	if (!x->cached_dir) {
		close(fd);
		return -ENOMEM;
	}
	x->cached_fd = fd;
	return fd;
}

/* Clear the way for a new entry: an existing non-directory is unlinked (not
 * followed), a directory stays when a directory is wanted, else it must be
 * empty. Returns 1 when a directory is already there. */
static int make_room(int pfd, const char *name, bool want_dir)
{
	struct stat st;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		if (want_dir)
			return 1;
		return unlinkat(pfd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
	}
	return unlinkat(pfd, name, 0) < 0 ? -errno : 0;
}

static uint32_t ent_uid(struct extractor *x, struct archive_entry *e)
{
	bool clamped = false;
	uint32_t id = lxm_idshift_uid(&x->opts->shift, (uint32_t)archive_entry_uid(e), &clamped);

	x->st.clamped_ids += clamped;
	return id;
}

static uint32_t ent_gid(struct extractor *x, struct archive_entry *e)
{
	bool clamped = false;
	uint32_t id = lxm_idshift_gid(&x->opts->shift, (uint32_t)archive_entry_gid(e), &clamped);

	x->st.clamped_ids += clamped;
	return id;
}

/* An ACL entry that names its user or group ("group:adm:r-x", as GNU tar
 * writes them even with --numeric-owner): the id from the rootfs's own
 * /etc/passwd or /etc/group (read when first needed, inside the rootfs),
 * else from the host's, as tar would; -1 when neither knows the name. */
static int64_t id_from_db(int rootfd, const char *db, const char *name)
{
	_cleanup_close_ int fd = lxm_rootfs_open_in_root(rootfd, db, O_RDONLY);
	_cleanup_fclose_ FILE *f = NULL;
	char line[1024];
	size_t nlen = strlen(name);

	if (fd < 0 || !(f = fdopen(fd, "re")))
		return -1;
	fd = -1;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;
		unsigned long id;

		if (strncmp(line, name, nlen) != 0 || line[nlen] != ':')
			continue;
		p = strchr(line + nlen + 1, ':');      /* past the password field */
		if (!p)
			continue;
		errno = 0;
		id = strtoul(p + 1, &end, 10);
		if (errno == 0 && end != p + 1 && *end == ':' && id < UINT32_MAX)
			return (int64_t)id;
	}
	return -1;
}

static int64_t acl_name_id(struct extractor *x, bool group, const char *name)
{
	char buf[4096];
	int64_t id;

	if (!name || !name[0])
		return -1;
	id = id_from_db(x->rootfd, group ? "etc/group" : "etc/passwd", name);
	if (id >= 0)
		return id;
	if (group) {
		struct group gr, *res = NULL;

		if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) == 0 && res)
			return res->gr_gid;
	} else {
		struct passwd pw, *res = NULL;

		if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) == 0 && res)
			return res->pw_uid;
	}
	return -1;
}

/* POSIX ACLs from libarchive's entry to the kernel's xattr format
 * (struct posix_acl_xattr_header/entry, little endian, sorted by tag, id). */
struct acl_ent {
	uint16_t tag, perm;
	uint32_t id;
};

static int cmp_acl(const void *a, const void *b)
{
	const struct acl_ent *x = a, *y = b;

	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int acl_to_xattr(struct extractor *x, struct archive_entry *e, int want, unsigned char **ret,
			size_t *ret_len)
{
	struct acl_ent ents[256];
	size_t n = 0;
	int count, type, permset, tag, id;
	const char *name;
	unsigned char *buf;

	*ret = NULL;
	*ret_len = 0;
	count = archive_entry_acl_reset(e, want);
	if (count <= (want == ARCHIVE_ENTRY_ACL_TYPE_ACCESS ? 3 : 0))
		return 0;
	while (archive_entry_acl_next(e, want, &type, &permset, &tag, &id, &name) == ARCHIVE_OK) {
		struct acl_ent a = { .perm = (uint16_t)(permset & 7), .id = UINT32_MAX };

		if (n >= ARRAY_SIZE(ents))
			return -E2BIG;
		switch (tag) {
		case ARCHIVE_ENTRY_ACL_USER_OBJ: a.tag = 0x01; break;
		case ARCHIVE_ENTRY_ACL_USER:
			a.tag = 0x02;
			if (id < 0 && (id = (int)acl_name_id(x, false, name)) < 0) {
				log_debug("ACL entry for unknown user '%s' left out", name ? name : "");
				continue;
			}
			a.id = lxm_idshift_uid(&x->opts->shift, (uint32_t)id, NULL);
			break;
		case ARCHIVE_ENTRY_ACL_GROUP_OBJ: a.tag = 0x04; break;
		case ARCHIVE_ENTRY_ACL_GROUP:
			a.tag = 0x08;
			if (id < 0 && (id = (int)acl_name_id(x, true, name)) < 0) {
				log_debug("ACL entry for unknown group '%s' left out", name ? name : "");
				continue;
			}
			a.id = lxm_idshift_gid(&x->opts->shift, (uint32_t)id, NULL);
			break;
		case ARCHIVE_ENTRY_ACL_MASK: a.tag = 0x10; break;
		case ARCHIVE_ENTRY_ACL_OTHER: a.tag = 0x20; break;
		default: continue;
		}
		ents[n++] = a;
	}
	if (!n)
		return 0;
	qsort(ents, n, sizeof(ents[0]), cmp_acl);
	buf = malloc(4 + n * 8);
	if (!buf)
		return -ENOMEM;
	le32_put(buf, 2);
	for (size_t i = 0; i < n; i++) {
		unsigned char *p = buf + 4 + i * 8;

		p[0] = ents[i].tag & 0xff;
		p[1] = ents[i].tag >> 8;
		p[2] = ents[i].perm & 0xff;
		p[3] = 0;
		le32_put(p + 4, ents[i].id);
	}
	*ret = buf;
	*ret_len = 4 + n * 8;
	return 1;
}

static int set_xattr(struct extractor *x, int fd, const char *path, const char *name, const void *val,
		     size_t len, struct lxm_error *err)
{
	if (fsetxattr(fd, name, val, len, 0) == 0)
		return 0;
	/* as non-root (tests), or on a filesystem without them, go on like tar */
	if (errno == ENOTSUP || errno == EOPNOTSUPP || (!x->root && (errno == EPERM || errno == EACCES))) {
		if (!x->warned_xattr)
			log_debug("xattr '%s' on '%s' not kept: %s, ignoring", name, path, strerror(errno));
		x->warned_xattr = true;
		return 0;
	}
	return lxm_error_set(err, errno, "entry '%s': setting xattr '%s'", path, name);
}

/* Owner, mode, ACLs and xattrs on an open (non-O_PATH) fd. The capability
 * goes last: chown clears it, and so would a later chmod of setuid bits. */
static int apply_meta_fd(struct extractor *x, int fd, struct archive_entry *e, const char *path,
			 struct lxm_error *err)
{
	const void *cap = NULL;
	size_t cap_len = 0;
	const char *name;
	const void *val;
	size_t len;
	int r;

	if (x->root && fchown(fd, ent_uid(x, e), ent_gid(x, e)) < 0)
		return lxm_error_set(err, errno, "entry '%s': chown", path);
	if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
		return lxm_error_set(err, errno, "entry '%s': chmod", path);
	for (int t = 0; t < 2; t++) {
		int want = t ? ARCHIVE_ENTRY_ACL_TYPE_DEFAULT : ARCHIVE_ENTRY_ACL_TYPE_ACCESS;
		_cleanup_free_ unsigned char *buf = NULL;
		size_t blen;

		r = acl_to_xattr(x, e, want, &buf, &blen);
		if (r < 0)
			return lxm_error_set(err, -r, "entry '%s': ACL", path);
		if (r > 0) {
			r = set_xattr(x, fd, path, t ? "system.posix_acl_default" : "system.posix_acl_access",
				      buf, blen, err);
			if (r < 0)
				return r;
		}
	}
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &val, &len) == ARCHIVE_OK) {
		if (streq(name, "security.capability")) {
			cap = val;
			cap_len = len;
			continue;
		}
		r = set_xattr(x, fd, path, name, val, len, err);
		if (r < 0)
			return r;
	}
	if (cap) {
		unsigned char v[VFS_CAP_V3_SIZE];

		if (cap_len == VFS_CAP_V3_SIZE && (le32_get(cap) & 0xff000000U) == VFS_CAP_V3 &&
		    x->opts->shift.count) {
			memcpy(v, cap, cap_len);
			le32_put(v + 20, lxm_idshift_uid(&x->opts->shift, le32_get(v + 20), NULL));
			cap = v;
		}
		r = set_xattr(x, fd, path, "security.capability", cap, cap_len, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[0].tv_sec = archive_entry_atime_is_set(e) ? archive_entry_atime(e) : archive_entry_mtime(e);
	ts[0].tv_nsec = archive_entry_atime_is_set(e) ? archive_entry_atime_nsec(e) : archive_entry_mtime_nsec(e);
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
}

static bool all_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (len == 0)
		return true;
	if (p[0] || p[len - 1])
		return false;
	return memcmp(p, p + 1, len - 1) == 0;
}

static int write_data(struct extractor *x, struct archive *a, int fd, const char *path, int64_t size,
		      struct lxm_error *err)
{
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(a, &buf, &len, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return lxm_error_setr(err, EIO, "entry '%s': %s", path, archive_error_string(a));
		if (x->opts->interrupted && *x->opts->interrupted)
			return lxm_error_setr(err, EINTR, "entry '%s': interrupted", path);
		while (len > 0) {
			/* zero chunks stay holes: a sparse file stays sparse
			 * even from an archive that stored its zeros */
			size_t chunk = MIN(len, (size_t)(ZERO_CHUNK - (size_t)off % ZERO_CHUNK));
			ssize_t w;

			if (all_zero(buf, chunk)) {
				buf = (const char *)buf + chunk;
				len -= chunk;
				off += (la_int64_t)chunk;
				continue;
			}
			w = pwrite(fd, buf, chunk, off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return lxm_error_set(err, errno, "entry '%s': writing", path);
			buf = (const char *)buf + w;
			len -= (size_t)w;
			off += w;
			x->st.bytes += (uint64_t)w;
		}
	}
	if (ftruncate(fd, size) < 0)
		return lxm_error_set(err, errno, "entry '%s': setting the size", path);
	return 0;
}

static int push_dirtime(struct extractor *x, const char *path, struct archive_entry *e)
{
	if (x->n_dirs == x->cap_dirs) {
		size_t cap = x->cap_dirs ? x->cap_dirs * 2 : 256;
		struct dirtime *d = realloc(x->dirs, cap * sizeof(*d));

		if (!d)
			return -ENOMEM;
		x->dirs = d;
		x->cap_dirs = cap;
	}
	x->dirs[x->n_dirs].path = strdup(path[0] ? path : ".");
	if (!x->dirs[x->n_dirs].path)
		return -ENOMEM;
	entry_times(e, x->dirs[x->n_dirs].ts);
	x->n_dirs++;
	return 0;
}

static int extract_entry(struct extractor *x, struct archive *a, struct archive_entry *e,
			 struct lxm_error *err)
{
	_cleanup_free_ char *path = NULL, *dir = NULL;
	const char *raw = archive_entry_pathname(e), *name, *hl = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	struct timespec ts[2];
	int pfd, r;

	if (!raw)
		return lxm_error_setr(err, EINVAL, "an entry without a name");
	r = clean_path(raw, &path);
	if (r == -EXDEV)
		return lxm_error_setr(err, EXDEV, "entry '%s': path leaves the rootfs, refusing the archive", raw);
	if (r < 0)
		return lxm_error_set(err, -r, "entry '%s'", raw);
	if (streq(path, LXM_EXPORT_METADATA) || streq(path, ".lxm-export"))
		return archive_read_data_skip(a) < ARCHIVE_WARN ? lxm_error_setr(err, EIO, "%s", archive_error_string(a)) : 0;
	x->st.entries++;
	entry_times(e, ts);

	if (!path[0]) {
		/* the rootfs directory itself */
		_cleanup_close_ int fd = -1;

		if (!hl && type != AE_IFDIR)
			return lxm_error_setr(err, EINVAL, "entry '%s': the top is not a directory", raw);
		fd = lxm_rootfs_open_in_root(x->rootfd, ".", O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			return lxm_error_set(err, -fd, "opening the rootfs");
		r = apply_meta_fd(x, fd, e, "/", err);
		if (r < 0)
			return r;
		return push_dirtime(x, path, e) < 0 ? lxm_error_set(err, ENOMEM, "importing") : 0;
	}
	{
		char *slash = strrchr(path, '/');

		dir = strndup(path, slash ? (size_t)(slash - path) : 0);
		name = slash ? slash + 1 : path;
		if (!dir)
			return lxm_error_set(err, ENOMEM, "importing");
	}
	pfd = parent_fd(x, dir);
	if (pfd < 0)
		return lxm_error_set(err, -pfd, "entry '%s': parent directory '%s'", raw, dir);

	if (hl) {
		_cleanup_free_ char *target = NULL;
		_cleanup_close_ int tfd = -1;
		char proc[64];
		struct stat st;

		r = clean_path(hl, &target);
		if (r == -EXDEV)
			return lxm_error_setr(err, EXDEV, "entry '%s': hardlink target '%s' leaves the rootfs, refusing the archive",
					      raw, hl);
		if (r < 0)
			return lxm_error_set(err, -r, "entry '%s': hardlink target '%s'", raw, hl);
		/* the target resolves inside the rootfs; a link to a host file
		 * finds the rootfs's own file or nothing */
		tfd = lxm_rootfs_open_in_root(x->rootfd, target[0] ? target : ".", O_PATH | O_NOFOLLOW);
		if (tfd < 0)
			return lxm_error_set(err, -tfd, "entry '%s': hardlink target '%s' (looked up inside the rootfs)",
					     raw, hl);
		if (fstat(tfd, &st) < 0)
			return lxm_error_set(err, errno, "entry '%s'", raw);
		if (S_ISDIR(st.st_mode))
			return lxm_error_setr(err, EPERM, "entry '%s': hardlink to directory '%s'", raw, hl);
		if (streq(target, path))
			return 0;
		r = make_room(pfd, name, false);
		if (r < 0)
			return lxm_error_set(err, -r, "entry '%s': replacing what is there", raw);
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", tfd);
		if (linkat(AT_FDCWD, proc, pfd, name, AT_SYMLINK_FOLLOW) < 0)
			return lxm_error_set(err, errno, "entry '%s': hardlink to '%s'", raw, hl);
		return 0;
	}

	switch (type) {
	case AE_IFDIR: {
		_cleanup_close_ int fd = -1;

		r = make_room(pfd, name, true);
		if (r < 0)
			return lxm_error_set(err, -r, "entry '%s': replacing what is there", raw);
		if (r == 0 && mkdirat(pfd, name, 0700) < 0)
			return lxm_error_set(err, errno, "entry '%s': mkdir", raw);
		fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return lxm_error_set(err, errno, "entry '%s': opening", raw);
		r = apply_meta_fd(x, fd, e, raw, err);
		if (r < 0)
			return r;
		return push_dirtime(x, path, e) < 0 ? lxm_error_set(err, ENOMEM, "importing") : 0;
	}
	case AE_IFREG: {
		_cleanup_close_ int fd = -1;

		r = make_room(pfd, name, false);
		if (r < 0)
			return lxm_error_set(err, -r, "entry '%s': replacing what is there", raw);
		fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return lxm_error_set(err, errno, "entry '%s': creating", raw);
		r = write_data(x, a, fd, raw, archive_entry_size(e), err);
		if (r < 0)
			return r;
		r = apply_meta_fd(x, fd, e, raw, err);
		if (r < 0)
			return r;
		if (futimens(fd, ts) < 0)
			return lxm_error_set(err, errno, "entry '%s': setting times", raw);
		return 0;
	}
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(e);

		if (!target)
			return lxm_error_setr(err, EINVAL, "entry '%s': symlink without a target", raw);
		r = make_room(pfd, name, false);
		if (r < 0)
			return lxm_error_set(err, -r, "entry '%s': replacing what is there", raw);
		if (symlinkat(target, pfd, name) < 0)
			return lxm_error_set(err, errno, "entry '%s': symlink", raw);
		if (x->root && fchownat(pfd, name, ent_uid(x, e), ent_gid(x, e), AT_SYMLINK_NOFOLLOW) < 0)
			return lxm_error_set(err, errno, "entry '%s': chown", raw);
		utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW);
		/* a directory we cached may have been replaced by this link */
		cache_drop(x);
		return 0;
	}
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO: {
		if (type != AE_IFIFO && !x->opts->allow_devices) {
			log_debug("entry '%s': device node left out (unprivileged container)", raw);
			x->st.skipped_devices++;
			return 0;
		}
		r = make_room(pfd, name, false);
		if (r < 0)
			return lxm_error_set(err, -r, "entry '%s': replacing what is there", raw);
		if (mknodat(pfd, name, (type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO) | 0600,
			    archive_entry_rdev(e)) < 0)
			return lxm_error_set(err, errno, "entry '%s': mknod", raw);
		if (x->root && fchownat(pfd, name, ent_uid(x, e), ent_gid(x, e), AT_SYMLINK_NOFOLLOW) < 0)
			return lxm_error_set(err, errno, "entry '%s': chown", raw);
		/* just made by us in a directory no symlink leads out of */
		if (fchmodat(pfd, name, archive_entry_perm(e) & 07777, 0) < 0)
			return lxm_error_set(err, errno, "entry '%s': chmod", raw);
		utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	default:
		log_debug("entry '%s': socket or unknown type, left out", raw);
		return archive_read_data_skip(a) < ARCHIVE_WARN ? lxm_error_setr(err, EIO, "%s", archive_error_string(a)) : 0;
	}
}

static int extract_all(struct archive *a, int rootfd, const struct lxm_import_opts *opts,
		       struct lxm_import_stats *ret_stats, struct lxm_error *err)
{
	static const struct lxm_import_opts none = { 0 };
	struct extractor x = { .rootfd = rootfd, .opts = opts ?: &none, .cached_fd = -1, .root = geteuid() == 0 };
	struct archive_entry *e;
	int r = 0;

	for (;;) {
		int ar = archive_read_next_header(a, &e);

		if (ar == ARCHIVE_EOF)
			break;
		if (x.opts->interrupted && *x.opts->interrupted) {
			r = lxm_error_setr(err, EINTR, "interrupted");
			goto out;
		}
		if (ar == ARCHIVE_WARN)
			log_debug("archive: %s", archive_error_string(a));
		else if (ar != ARCHIVE_OK) {
			r = lxm_error_setr(err, EIO, "reading the archive: %s",
					   archive_error_string(a) ?: "unknown error");
			goto out;
		}
		r = extract_entry(&x, a, e, err);
		if (r < 0)
			goto out;
	}
	if (x.st.entries == 0) {
		r = lxm_error_setr(err, EINVAL, "the archive is empty");
		goto out;
	}
	/* directory times last: writing their entries changed them */
	for (size_t i = x.n_dirs; i-- > 0;) {
		_cleanup_close_ int fd = lxm_rootfs_open_in_root(rootfd, x.dirs[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);

		if (fd >= 0)
			futimens(fd, x.dirs[i].ts);
	}
	if (x.st.skipped_devices)
		log_warn("left out %llu device nodes: the container is unprivileged",
			 (unsigned long long)x.st.skipped_devices);
	if (x.st.clamped_ids)
		log_warn("%llu owners were outside the container's id range, they became %d",
			 (unsigned long long)x.st.clamped_ids, OVERFLOW_ID);
	if (ret_stats)
		*ret_stats = x.st;
out:
	extractor_done(&x);
	return r;
}

static struct archive *reader_new(void)
{
	struct archive *a = archive_read_new();

	if (!a)
		return NULL;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_cpio(a);
	return a;
}

/* Extract from a reader that archive_read_open_*() returned `opened` for,
 * and free it. */
static int extract_opened(struct archive *a, int opened, int rootfd, const struct lxm_import_opts *opts,
			  struct lxm_import_stats *ret_stats, struct lxm_error *err)
{
	int r;

	if (opened != ARCHIVE_OK)
		r = lxm_error_setr(err, EIO, "reading the archive: %s", archive_error_string(a));
	else
		r = extract_all(a, rootfd, opts, ret_stats, err);
	archive_read_free(a);
	return r;
}

struct fd_reader {
	int fd;
	const volatile sig_atomic_t *interrupted;
	void *buf;
};

/* archive_read_open_fd()'s reader retries a read that a signal interrupted:
 * on a pipe that brings nothing (a stalled "ssh ... cat | lxm-create"),
 * SIGTERM and SIGINT went unheard. This one gives up when they came. */
static la_ssize_t fd_reader_read(struct archive *a, void *data, const void **buff)
{
	struct fd_reader *r = data;

	*buff = r->buf;
	for (;;) {
		ssize_t n = read(r->fd, r->buf, READ_BLOCK);

		if (n >= 0)
			return n;
		if (errno == EINTR && r->interrupted && *r->interrupted) {
			archive_set_error(a, EINTR, "interrupted");
			return -1;
		}
		if (errno != EINTR) {
			archive_set_error(a, errno, "%s", strerror(errno));
			return -1;
		}
	}
}

int lxm_archive_import_fd(int fd, int rootfd, const struct lxm_import_opts *opts,
			  struct lxm_import_stats *ret_stats, struct lxm_error *err)
{
	struct fd_reader rd = { .fd = fd, .interrupted = opts ? opts->interrupted : NULL };
	struct archive *a;
	int r;

	rd.buf = malloc(READ_BLOCK);
	a = reader_new();
	if (!a || !rd.buf) {
		free(rd.buf);
		if (a)
			archive_read_free(a);
		return lxm_error_set(err, ENOMEM, "reading the archive");
	}
	r = extract_opened(a, archive_read_open(a, &rd, NULL, fd_reader_read, NULL), rootfd, opts, ret_stats, err);
	free(rd.buf);
	return r;
}

int lxm_archive_import_memory(const void *buf, size_t len, int rootfd, const struct lxm_import_opts *opts,
			      struct lxm_import_stats *ret_stats, struct lxm_error *err)
{
	struct archive *a = reader_new();

	if (!a)
		return lxm_error_set(err, ENOMEM, "reading the archive");
	return extract_opened(a, archive_read_open_memory(a, buf, len), rootfd, opts, ret_stats, err);
}

int lxm_archive_import(const char *source, int rootfd, const struct lxm_import_opts *opts,
		       struct lxm_import_stats *ret_stats, struct lxm_error *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (streq(source, "-"))
		return lxm_archive_import_fd(STDIN_FILENO, rootfd, opts, ret_stats, err);
	fd = open(source, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lxm_error_set(err, errno, "opening '%s'", source);
	if (fstat(fd, &st) < 0)
		return lxm_error_set(err, errno, "opening '%s'", source);
	if (S_ISDIR(st.st_mode)) {
		struct lxm_copy_opts copts = {
			.allow_devices = opts ? opts->allow_devices : false,
			.dst_shift = opts ? opts->shift : (struct lxm_idshift){ 0 },
			.interrupted = opts ? opts->interrupted : NULL,
		};
		struct lxm_copy_stats cst = { 0 };

		r = lxm_copy_tree(fd, rootfd, &copts, &cst, err);
		if (r < 0)
			return lxm_error_prefix(err, "copying '%s'", source);
		if (ret_stats) {
			ret_stats->entries = cst.entries;
			ret_stats->bytes = cst.bytes;
			ret_stats->skipped_devices = cst.skipped_devices;
			ret_stats->clamped_ids = cst.clamped_ids;
		}
		return 0;
	}
	r = lxm_archive_import_fd(fd, rootfd, opts, ret_stats, err);
	if (r < 0)
		return lxm_error_prefix(err, "'%s'", source);
	return 0;
}

/* ---- export --------------------------------------------------------------------- */

enum lxm_compression lxm_compression_from_name(const char *f)
{
	size_t n = f ? strlen(f) : 0;

#define ENDS(s) (n >= sizeof(s) - 1 && streq(f + n - (sizeof(s) - 1), s))
	if (!f || streq(f, "-"))
		return LXM_COMPRESS_ZSTD;
	if (ENDS(".tar"))
		return LXM_COMPRESS_NONE;
	if (ENDS(".gz") || ENDS(".tgz"))
		return LXM_COMPRESS_GZIP;
	if (ENDS(".xz") || ENDS(".txz"))
		return LXM_COMPRESS_XZ;
	if (ENDS(".bz2") || ENDS(".tbz2"))
		return LXM_COMPRESS_BZIP2;
	return LXM_COMPRESS_ZSTD;
#undef ENDS
}

/* Owner ids back to the container's; a v3 file capability's root id too
 * (to a plain v2 one when it becomes 0). */
static int unshift_entry(struct archive_entry *e, const struct lxm_idshift *s)
{
	struct { char *name; void *val; size_t len; } xa[64];
	size_t n = 0;
	const char *name;
	const void *val;
	size_t len;
	bool changed = false;
	int r = 0;

	if (!s || !s->count)
		return 0;
	archive_entry_set_uid(e, unshift_id(s->uid_base, s->count, s->keep_below_count, (uint32_t)archive_entry_uid(e)));
	archive_entry_set_gid(e, unshift_id(s->gid_base, s->count, s->keep_below_count, (uint32_t)archive_entry_gid(e)));
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &val, &len) == ARCHIVE_OK) {
		if (n == ARRAY_SIZE(xa)) {
			r = -E2BIG;
			goto out;
		}
		xa[n].name = strdup(name);
		xa[n].val = malloc(len ?: 1);
		xa[n].len = len;
		if (!xa[n].name || !xa[n].val) {
			free(xa[n].name);
			free(xa[n].val);
			r = -ENOMEM;
			goto out;
		}
		memcpy(xa[n].val, val, len);
		if (streq(name, "security.capability") && len == VFS_CAP_V3_SIZE &&
		    (le32_get(val) & 0xff000000U) == VFS_CAP_V3) {
			unsigned char *v = xa[n].val;
			uint32_t rootid = unshift_id(s->uid_base, s->count, s->keep_below_count, le32_get(v + 20));

			if (rootid == 0) {
				le32_put(v, (le32_get(v) & 0x00ffffffU) | VFS_CAP_V2);
				xa[n].len = VFS_CAP_V2_SIZE;
			} else
				le32_put(v + 20, rootid);
			changed = true;
		}
		n++;
	}
	if (changed) {
		archive_entry_xattr_clear(e);
		for (size_t i = 0; i < n; i++)
			archive_entry_xattr_add_entry(e, xa[i].name, xa[i].val, xa[i].len);
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(xa[i].name);
		free(xa[i].val);
	}
	return r;
}

static int write_metadata(struct archive *w, const char *text, struct lxm_error *err)
{
	struct archive_entry *e = archive_entry_new();
	size_t len = strlen(text);
	int r = 0;

	if (!e)
		return lxm_error_set(err, ENOMEM, "exporting");
	archive_entry_set_pathname(e, "./" LXM_EXPORT_METADATA);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(w, e) != ARCHIVE_OK || archive_write_data(w, text, len) != (la_ssize_t)len)
		r = lxm_error_setr(err, EIO, "writing the metadata: %s", archive_error_string(w));
	archive_entry_free(e);
	return r;
}

static int copy_entry_data(struct archive *disk, struct archive *w, const char *path, struct lxm_error *err)
{
	static char zeros[65536];
	int64_t progress = 0;

	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(disk, &buf, &len, &off);

		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return lxm_error_setr(err, EIO, "reading '%s': %s", path, archive_error_string(disk));
		/* holes: the pax writer drops these zeros again, per the entry's
		 * sparse map */
		while (off > progress) {
			size_t n = (size_t)MIN((int64_t)sizeof(zeros), off - progress);
			la_ssize_t wr = archive_write_data(w, zeros, n);

			if (wr <= 0)
				return lxm_error_setr(err, EIO, "writing '%s': %s", path, archive_error_string(w));
			progress += wr;
		}
		while (len > 0) {
			la_ssize_t wr = archive_write_data(w, buf, len);

			if (wr <= 0)
				return lxm_error_setr(err, EIO, "writing '%s': %s", path, archive_error_string(w));
			buf = (const char *)buf + wr;
			len -= (size_t)wr;
			progress += wr;
		}
	}
}

int lxm_archive_export(const char *rootfs_path, int outfd, enum lxm_compression comp,
		       const struct lxm_idshift *shift, const char *config_text, struct lxm_error *err)
{
	struct archive *disk = NULL, *w = NULL;
	struct archive_entry_linkresolver *lr = NULL;
	struct archive_entry *e = NULL;
	_cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (chdir(rootfs_path) < 0)
		return lxm_error_set(err, errno, "entering '%s'", rootfs_path);
	disk = archive_read_disk_new();
	w = archive_write_new();
	lr = archive_entry_linkresolver_new();
	e = archive_entry_new();
	if (!disk || !w || !lr || !e) {
		r = lxm_error_set(err, ENOMEM, "exporting");
		goto out;
	}
	archive_read_disk_set_symlink_physical(disk);
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
	archive_write_set_format_pax_restricted(w);
	archive_entry_linkresolver_set_strategy(lr, archive_format(w));
	switch (comp) {
	case LXM_COMPRESS_GZIP: archive_write_add_filter_gzip(w); break;
	case LXM_COMPRESS_XZ: archive_write_add_filter_xz(w); break;
	case LXM_COMPRESS_BZIP2: archive_write_add_filter_bzip2(w); break;
	case LXM_COMPRESS_ZSTD:
		if (archive_write_add_filter_zstd(w) != ARCHIVE_OK) {
			r = lxm_error_setr(err, ENOTSUP, "zstd: %s", archive_error_string(w));
			goto out;
		}
		break;
	default: break;
	}
	archive_write_set_bytes_in_last_block(w, 1);
	if (archive_write_open_fd(w, outfd) != ARCHIVE_OK) {
		r = lxm_error_setr(err, EIO, "opening the output: %s", archive_error_string(w));
		goto out;
	}
	if (config_text) {
		r = write_metadata(w, config_text, err);
		if (r < 0)
			goto out;
	}
	if (archive_read_disk_open(disk, ".") != ARCHIVE_OK) {
		r = lxm_error_setr(err, EIO, "reading '%s': %s", rootfs_path, archive_error_string(disk));
		goto out;
	}
	for (;;) {
		struct archive_entry *out = NULL, *spare = NULL;
		int ar = archive_read_next_header2(disk, e);

		if (ar == ARCHIVE_EOF)
			break;
		if (ar == ARCHIVE_WARN)
			log_warn("exporting: %s, ignoring", archive_error_string(disk));
		else if (ar != ARCHIVE_OK) {
			r = lxm_error_setr(err, EIO, "reading '%s': %s", rootfs_path, archive_error_string(disk));
			goto out;
		}
		archive_read_disk_descend(disk);
		if (archive_entry_filetype(e) == AE_IFSOCK)
			continue;
		r = unshift_entry(e, shift);
		if (r < 0) {
			r = lxm_error_set(err, -r, "entry '%s'", archive_entry_pathname(e));
			goto out;
		}
		out = archive_entry_clone(e);
		if (!out) {
			r = lxm_error_set(err, ENOMEM, "exporting");
			goto out;
		}
		archive_entry_linkify(lr, &out, &spare);
		if (out) {
			bool has_data = archive_entry_size(out) > 0;

			ar = archive_write_header(w, out);
			if (ar < ARCHIVE_WARN) {
				r = lxm_error_setr(err, EIO, "writing '%s': %s", archive_entry_pathname(out),
						   archive_error_string(w));
				archive_entry_free(out);
				goto out;
			}
			if (has_data)
				r = copy_entry_data(disk, w, archive_entry_pathname(out), err);
			archive_entry_free(out);
			if (r < 0)
				goto out;
		}
		if (spare)
			archive_entry_free(spare);
	}
	if (archive_write_close(w) != ARCHIVE_OK) {
		r = lxm_error_setr(err, EIO, "finishing the archive: %s", archive_error_string(w));
		goto out;
	}
out:
	if (cwd >= 0 && fchdir(cwd) < 0)
		log_debug("returning to the working directory: %m, ignoring");
	archive_entry_free(e);
	archive_entry_linkresolver_free(lr);
	if (disk)
		archive_read_free(disk);
	if (w)
		archive_write_free(w);
	return r;
}

/* ---- init detection ------------------------------------------------------------- */

static const char *const init_kinds[LXM_INIT_MAX] = {
	[LXM_INIT_SYSTEMD] = "systemd",
	[LXM_INIT_SYSVINIT] = "sysvinit",
	[LXM_INIT_OPENRC] = "openrc",
	[LXM_INIT_BUSYBOX] = "busybox",
};

const char *lxm_init_kind_to_string(enum lxm_init_kind k)
{
	return k < LXM_INIT_MAX ? init_kinds[k] : "unknown";
}

static bool stat_in(int rootfd, const char *path, struct stat *st)
{
	_cleanup_close_ int fd = lxm_rootfs_open_in_root(rootfd, path, O_PATH);

	return fd >= 0 && fstat(fd, st) == 0;
}

static bool exists_in(int rootfd, const char *path)
{
	struct stat st;

	return stat_in(rootfd, path, &st);
}

static bool is_exec(const struct stat *st)
{
	return S_ISREG(st->st_mode) && (st->st_mode & 0111);
}

static bool same_file_in(int rootfd, const struct stat *st, const char *const *paths)
{
	for (; *paths; paths++) {
		struct stat o;

		if (stat_in(rootfd, *paths, &o) && o.st_dev == st->st_dev && o.st_ino == st->st_ino)
			return true;
	}
	return false;
}

/* The text of the last symlink on the way to /sbin/init, for the cases
 * where inode comparison finds nothing (a relative link chain). */
static bool init_link_mentions(int rootfd, const char *what)
{
	_cleanup_close_ int dfd = lxm_rootfs_open_in_root(rootfd, "/sbin", O_PATH | O_DIRECTORY);
	char buf[PATH_MAX];
	ssize_t n;

	if (dfd < 0)
		return false;
	n = readlinkat(dfd, "init", buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, what) != NULL;
}

static void set_init(struct lxm_init_info *ret, enum lxm_init_kind kind, const char *cmd)
{
	ret->kind = kind;
	snprintf(ret->cmd, sizeof(ret->cmd), "%s", cmd);
	switch (kind) {
	case LXM_INIT_SYSTEMD:
		ret->halt_signal = SIGRTMIN + 3;
		ret->reboot_signal = SIGINT;
		break;
	case LXM_INIT_BUSYBOX:
		ret->halt_signal = SIGUSR2;
		ret->reboot_signal = SIGTERM;
		break;
	default:
		ret->halt_signal = SIGPWR;
		ret->reboot_signal = SIGINT;
		break;
	}
}

int lxm_init_detect(int rootfd, struct lxm_init_info *ret, struct lxm_error *err)
{
	static const char *const systemd[] = { "/lib/systemd/systemd", "/usr/lib/systemd/systemd", NULL };
	static const char *const busybox[] = { "/bin/busybox", "/usr/bin/busybox", "/bin/busybox.static", NULL };
	static const char *const openrc_init[] = { "/sbin/openrc-init", "/usr/sbin/openrc-init", NULL };
	struct stat st;

	memset(ret, 0, sizeof(*ret));
	if (stat_in(rootfd, "/sbin/init", &st)) {
		if (!is_exec(&st))
			return lxm_error_setr(err, EACCES, "'/sbin/init' in the rootfs is not an executable file");
		if (same_file_in(rootfd, &st, systemd) || init_link_mentions(rootfd, "systemd"))
			set_init(ret, LXM_INIT_SYSTEMD, "/sbin/init");
		else if (same_file_in(rootfd, &st, openrc_init) || init_link_mentions(rootfd, "openrc-init"))
			set_init(ret, LXM_INIT_OPENRC, "/sbin/init");
		else if (same_file_in(rootfd, &st, busybox) || init_link_mentions(rootfd, "busybox")) {
			/* Alpine: busybox init running OpenRC from its inittab; the
			 * signals are busybox init's either way */
			set_init(ret, LXM_INIT_BUSYBOX, "/sbin/init");
			if (exists_in(rootfd, "/sbin/openrc"))
				ret->kind = LXM_INIT_OPENRC;
		} else
			set_init(ret, LXM_INIT_SYSVINIT, "/sbin/init");
		return 0;
	}
	for (const char *const *p = systemd; *p; p++)
		if (stat_in(rootfd, *p, &st) && is_exec(&st)) {
			set_init(ret, LXM_INIT_SYSTEMD, *p);
			return 0;
		}
	for (const char *const *p = openrc_init; *p; p++)
		if (stat_in(rootfd, *p, &st) && is_exec(&st)) {
			set_init(ret, LXM_INIT_OPENRC, *p);
			return 0;
		}
	if (exists_in(rootfd, "/bin/busybox"))
		return lxm_error_setr(err, ENOENT, "no init in the rootfs: '/sbin/init' is missing "
				      "(busybox is there: link '/sbin/init' to it)");
	return lxm_error_setr(err, ENOENT, "no init in the rootfs: no '/sbin/init', no systemd "
			      "('/lib/systemd/systemd'), no openrc-init; an application image (docker export) "
			      "needs an init installed (systemd-sysv, sysvinit-core, openrc or busybox)");
}

/* ---- lxm-export ----------------------------------------------------------------- */

/* A snapshot's files are only whole through its overlay: mount it in a
 * mount namespace of our own, gone when we exit. */
static int mount_snapshot_view(const char *dir, const struct lxm_config *conf, const char *rootfs,
			       struct lxm_error *err)
{
	_cleanup_free_ char *upper = NULL, *work = NULL, *opts = NULL;

	upper = conf->rootfs_overlay_upper[0] == '/' ? strdup(conf->rootfs_overlay_upper) :
		lxm_strdup_printf("%s/%s", dir, conf->rootfs_overlay_upper);
	work = conf->rootfs_overlay_work[0] == '/' ? strdup(conf->rootfs_overlay_work) :
	       lxm_strdup_printf("%s/%s", dir, conf->rootfs_overlay_work);
	if (!upper || !work)
		return lxm_error_set(err, ENOMEM, "exporting");
	/* an unprivileged snapshot's overlay keeps its opaque directories in
	 * user.* xattrs (it was mounted by the container's root) */
	opts = lxm_strdup_printf("lowerdir=%s,upperdir=%s,workdir=%s%s", conf->rootfs_overlay_lower, upper, work,
				 conf->n_idmaps ? ",userxattr" : "");
	if (!opts)
		return lxm_error_set(err, ENOMEM, "exporting");
	if (unshare(CLONE_NEWNS) < 0)
		return lxm_error_set(err, errno, "a private mount namespace for the snapshot's view");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return lxm_error_set(err, errno, "making mounts private");
	if (mount("overlay", rootfs, "overlay", MS_RDONLY, opts) < 0)
		return lxm_error_set(err, errno, "mounting the snapshot's overlay on '%s'", rootfs);
	return 0;
}

int lxm_container_export(const struct lxm_paths *paths, const char *name, const char *output,
			 struct lxm_error *err)
{
	_cleanup_free_ char *dir = lxm_container_path(paths, name, NULL), *rootfs = NULL, *text = NULL;
	_cleanup_free_ char *tmp = NULL, *cfgpath = NULL, *outdir = NULL;
	_cleanup_free_ struct lxm_idmap *shifted = NULL;
	_cleanup_free_ char *what = NULL;
	_cleanup_(lxm_inuse_release) struct lxm_inuse hold = LXM_INUSE_INIT;
	_cleanup_close_ int outfd = -1;
	bool named = false;
	struct lxm_config conf = { 0 };
	struct lxm_idshift shift = { 0 };
	size_t n_shifted = 0, len = 0;
	int r;

	if (!output)
		return lxm_error_setr(err, EINVAL, "exporting: no output file given");
	if (!dir)
		return lxm_error_set(err, ENOMEM, "exporting");
	r = lxm_container_load_config(paths, name, &conf, err);
	if (r < 0)
		return r;
	/* held until the archive is whole: a start would change the files
	 * under the export (and shift their owners), a destroy remove them */
	what = streq(output, "-") ? lxm_strdup_printf("being exported to stdout (lxm-export, pid %d)", (int)getpid())
				  : lxm_strdup_printf("being exported to '%s' (lxm-export, pid %d)", output, (int)getpid());
	if (!what) {
		r = lxm_error_set(err, ENOMEM, "exporting");
		goto out;
	}
	r = lxm_container_hold_stopped(paths, name, what, false, &hold, err);
	if (r < 0)
		goto out;
	rootfs = lxm_config_rootfs_path(&conf, dir);
	cfgpath = lxm_strdup_printf("%s/config", dir);
	if (!rootfs || !cfgpath) {
		r = lxm_error_set(err, ENOMEM, "exporting");
		goto out;
	}
	r = lxm_read_file_at(AT_FDCWD, cfgpath, &text, &len);
	if (r < 0) {
		lxm_error_set(err, -r, "reading '%s'", cfgpath);
		goto out;
	}
	if (conf.rootfs_overlay_lower) {
		r = mount_snapshot_view(dir, &conf, rootfs, err);
		if (r < 0)
			goto out;
		/* an unprivileged snapshot's own files belong to its range on
		 * the host, its base's are unshifted container ids */
		if (conf.n_idmaps) {
			lxm_config_idshift(&conf, &shift);
			shift.keep_below_count = true;
		}
	}
	if (lxm_shift_read_state(dir, &shifted, &n_shifted) == 0 && n_shifted) {
		struct lxm_config tmpc = { .idmaps = shifted, .n_idmaps = n_shifted };

		lxm_config_idshift(&tmpc, &shift);
	}
	if (streq(output, "-")) {
		if (isatty(STDOUT_FILENO)) {
			r = lxm_error_setr(err, EINVAL, "refusing to write an archive to a terminal");
			goto out;
		}
		r = lxm_archive_export(rootfs, STDOUT_FILENO, lxm_compression_from_name(output), &shift, text, err);
		goto out;
	}
	tmp = lxm_strdup_printf("%s.tmp.%d", output, (int)getpid());
	outdir = strdup(output);
	if (!tmp || !outdir) {
		r = lxm_error_set(err, ENOMEM, "exporting");
		goto out;
	}
	/* a file without a name until it is whole: an export that is killed
	 * (Ctrl-C, SIGKILL) leaves no partial archive behind */
	outfd = open(dirname(outdir), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (outfd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
		named = true;
	else if (outfd < 0) {
		r = lxm_error_set(err, errno, "creating '%s'", output);
		goto out;
	}
	if (named) {
		outfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (outfd < 0) {
			r = lxm_error_set(err, errno, "creating '%s'", tmp);
			goto out;
		}
	}
	r = lxm_archive_export(rootfs, outfd, lxm_compression_from_name(output), &shift, text, err);
	if (r == 0 && fsync(outfd) < 0)
		r = lxm_error_set(err, errno, "writing '%s'", named ? tmp : output);
	if (r == 0 && !named) {
		char proc[64];

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", outfd);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) < 0)
			r = lxm_error_set(err, errno, "naming the archive '%s'", tmp);
		else
			named = true;
	}
	if (r == 0 && rename(tmp, output) < 0)
		r = lxm_error_set(err, errno, "renaming '%s' to '%s'", tmp, output);
	if (r < 0 && named)
		unlink(tmp);
out:
	lxm_config_free(&conf);
	return r;
}
