#include <fcntl.h>
#include <ftw.h>
#include <search.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "idmap.h"
#include "log.h"
#include "shift.h"

#define STATE_FILE "rootfs.idmap"

/* VFS capability xattr layouts */
#define VFS_CAP_REVISION_2 0x02000000
#define VFS_CAP_REVISION_3 0x03000000
#define VFS_CAP_REVISION_MASK 0xFF000000
#define XATTR_CAPS_SZ_2 20
#define XATTR_CAPS_SZ_3 24

/* POSIX ACL xattr layout */
#define ACL_XATTR_VERSION 0x0002
#define ACL_USER_TAG 0x02
#define ACL_GROUP_TAG 0x08

struct shift_ctx {
	const struct lxm_idmap *from, *to;
	size_t n_from, n_to;
	void *seen;                  /* tsearch tree of hard-linked inodes done */
	struct lxm_error *err;
	unsigned long changed;
};

/* nftw has no user pointer */
static struct shift_ctx *cur;

struct ino_key {
	dev_t dev;
	ino_t ino;
};

static int ino_cmp(const void *a, const void *b)
{
	const struct ino_key *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

static int64_t shift_id(const struct shift_ctx *c, char type, uint32_t id)
{
	int64_t cid = lxm_idmap_to_container(c->from, c->n_from, type, id);
	int64_t h;

	if (cid < 0)
		return id;
	h = lxm_idmap_to_host(c->to, c->n_to, type, (uint32_t)cid);
	return h < 0 ? id : h;
}

static void shift_acl(const struct shift_ctx *c, const char *path, const char *name)
{
	char buf[4096];
	ssize_t n = lgetxattr(path, name, buf, sizeof(buf));
	bool changed = false;

	if (n < 4)
		return;
	for (size_t off = 4; off + 8 <= (size_t)n; off += 8) {
		uint16_t tag;
		uint32_t id;

		memcpy(&tag, buf + off, 2);
		memcpy(&id, buf + off + 4, 4);
		tag = le16toh(tag);
		id = le32toh(id);
		if (tag == ACL_USER_TAG || tag == ACL_GROUP_TAG) {
			uint32_t nid = (uint32_t)shift_id(c, tag == ACL_USER_TAG ? 'u' : 'g', id);

			if (nid != id) {
				nid = htole32(nid);
				memcpy(buf + off + 4, &nid, 4);
				changed = true;
			}
		}
	}
	if (changed && lsetxattr(path, name, buf, (size_t)n, 0) < 0)
		log_warn("shifting the ACL '%s' of '%s': %s", name, path, strerror(errno));
}

static int shift_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw _unused_)
{
	struct shift_ctx *c = cur;
	uint32_t uid = (uint32_t)shift_id(c, 'u', st->st_uid);
	uint32_t gid = (uint32_t)shift_id(c, 'g', st->st_gid);
	unsigned char cap[XATTR_CAPS_SZ_3];
	ssize_t caplen = -1;
	bool lnk = S_ISLNK(st->st_mode);

	if (flag == FTW_NS || flag == FTW_DNR)
		return 0;
	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
		struct ino_key *k = malloc(sizeof(*k)), **found;

		if (!k)
			return lxm_error_set(c->err, ENOMEM, "shifting"), 1;
		k->dev = st->st_dev;
		k->ino = st->st_ino;
		found = tsearch(k, &c->seen, ino_cmp);
		if (!found)
			return free(k), lxm_error_set(c->err, ENOMEM, "shifting"), 1;
		if (*found != k) {
			free(k);
			return 0;    /* this inode is done */
		}
	}
	if (uid == st->st_uid && gid == st->st_gid) {
		/* an owner the map leaves alone: the ACL's entries may still
		 * name ids it maps */
		if (!lnk) {
			shift_acl(c, path, "system.posix_acl_access");
			if (S_ISDIR(st->st_mode))
				shift_acl(c, path, "system.posix_acl_default");
		}
		return 0;
	}
	if (S_ISREG(st->st_mode))
		caplen = lgetxattr(path, "security.capability", cap, sizeof(cap));
	if (lchown(path, uid, gid) < 0)
		return lxm_error_set(c->err, errno, "changing the owner of '%s'", path), 1;
	c->changed++;
	/* chown clears setuid/setgid and file capabilities: put them back */
	if (!lnk && (st->st_mode & (S_ISUID | S_ISGID)) && chmod(path, st->st_mode & 07777) < 0)
		return lxm_error_set(c->err, errno, "restoring the mode of '%s'", path), 1;
	if (caplen >= XATTR_CAPS_SZ_2) {
		uint32_t magic, rootid = 0;
		int64_t newroot;

		memcpy(&magic, cap, 4);
		magic = le32toh(magic);
		if ((magic & VFS_CAP_REVISION_MASK) == VFS_CAP_REVISION_3 && caplen >= XATTR_CAPS_SZ_3) {
			memcpy(&rootid, cap + 20, 4);
			rootid = le32toh(rootid);
			newroot = shift_id(c, 'u', rootid);
		} else {
			/* a v2 entry belongs to whoever is root of the files */
			newroot = lxm_idmap_to_host(c->to, c->n_to, 'u', 0);
			if (newroot < 0)
				newroot = 0;
		}
		if (newroot == 0) {
			magic = htole32((magic & ~VFS_CAP_REVISION_MASK) | VFS_CAP_REVISION_2);
			memcpy(cap, &magic, 4);
			caplen = XATTR_CAPS_SZ_2;
		} else {
			uint32_t r = htole32((uint32_t)newroot);

			magic = htole32((magic & ~VFS_CAP_REVISION_MASK) | VFS_CAP_REVISION_3);
			memcpy(cap, &magic, 4);
			memcpy(cap + 20, &r, 4);
			caplen = XATTR_CAPS_SZ_3;
		}
		if (lsetxattr(path, "security.capability", cap, (size_t)caplen, 0) < 0)
			return lxm_error_set(c->err, errno, "restoring the file capabilities of '%s'", path), 1;
	}
	if (!lnk) {
		shift_acl(c, path, "system.posix_acl_access");
		if (S_ISDIR(st->st_mode))
			shift_acl(c, path, "system.posix_acl_default");
	}
	return 0;
}

int lxm_shift_tree(const char *rootfs, const struct lxm_idmap *from, size_t n_from,
		   const struct lxm_idmap *to, size_t n_to, struct lxm_error *err)
{
	struct shift_ctx c = { .from = from, .to = to, .n_from = n_from, .n_to = n_to, .err = err };
	uint64_t t0 = lxm_now_ns();
	int r;

	cur = &c;
	r = nftw(rootfs, shift_entry, 64, FTW_PHYS | FTW_MOUNT);
	cur = NULL;
	tdestroy(c.seen, free);
	if (r < 0)
		return lxm_error_set(err, errno, "walking '%s'", rootfs);
	if (r > 0)
		return -(err->code ? err->code : EIO);
	log_debug("shifted %lu entries of '%s' in %.1f ms", c.changed, rootfs,
		  (double)(lxm_now_ns() - t0) / 1e6);
	return 0;
}

int lxm_shift_read_state(const char *container_dir, struct lxm_idmap **ret, size_t *ret_n)
{
	_cleanup_free_ char *path = lxm_strdup_printf("%s/" STATE_FILE, container_dir);
	_cleanup_free_ char *text = NULL;
	int r;

	*ret = NULL;
	*ret_n = 0;
	if (!path)
		return -ENOMEM;
	r = lxm_read_file_at(AT_FDCWD, path, &text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return lxm_idmap_parse_lines(text, ret, ret_n);
}

int lxm_shift_ensure(const char *container_dir, const char *rootfs, const struct lxm_idmap *want,
		     size_t n_want, struct lxm_error *err)
{
	_cleanup_free_ char *path = lxm_strdup_printf("%s/" STATE_FILE, container_dir);
	_cleanup_free_ struct lxm_idmap *have = NULL;
	_cleanup_free_ char *text = NULL;
	size_t n_have = 0;
	int r;

	if (!path)
		return lxm_error_set(err, ENOMEM, "shifting");
	r = lxm_shift_read_state(container_dir, &have, &n_have);
	if (r < 0)
		return lxm_error_set(err, -r, "reading '%s'", path);
	if (lxm_idmap_equal(have, n_have, want, n_want))
		return 0;
	log_info("shifting the ownership of '%s' to the container's id map", rootfs);
	/* rootfs.idmap names the old map until the whole tree is done: a
	 * rerun after an interruption shifts what was not shifted yet and
	 * leaves what was, as shift_id() leaves an id that is no container
	 * id of the new map once read through the old one (the host ranges
	 * lxm allocates lie above the container ids and apart) */
	r = lxm_shift_tree(rootfs, have, n_have, want, n_want, err);
	if (r < 0)
		return lxm_error_prefix(err, "shifting the rootfs");
	if (n_want == 0) {
		if (unlink(path) < 0 && errno != ENOENT)
			return lxm_error_set(err, errno, "removing '%s'", path);
		return 1;
	}
	if (lxm_idmap_format_lines(want, n_want, &text) < 0)
		return lxm_error_set(err, ENOMEM, "shifting");
	r = lxm_write_file_atomic(path, text, strlen(text), 0644);
	if (r < 0)
		return lxm_error_set(err, -r, "writing '%s'", path);
	return 1;
}
