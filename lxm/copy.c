#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "cgroup.h"
#include "container.h"
#include "copy.h"
#include "destroy.h"
#include "idmap.h"
#include "log.h"
#include "rootfs.h"
#include "shift.h"
#include "snapshot.h"
#include "template.h"

#define COPY_BUF (1 << 20)
#define COPY_CHUNK (64 << 20)
#define DEPTH_MAX 512
#define OVERFLOW_ID 65534

struct hardlink {
	dev_t dev;
	ino_t ino;
	char *path;                 /* relative to the destination top */
};

struct copier {
	const struct lxm_copy_opts *opts;
	struct lxm_copy_stats st;
	bool root;
	int dsttop;
	dev_t srcdev;
	struct hardlink *links;
	size_t n_links, cap_links;
	char *buf;
};

static uint32_t map_id(struct copier *c, bool gid, uint32_t id)
{
	const struct lxm_idshift *s = &c->opts->src_shift, *d = &c->opts->dst_shift;
	uint32_t sbase = gid ? s->gid_base : s->uid_base;
	bool clamped = false;

	if (s->count) {
		if (id >= sbase && id - sbase < s->count)
			id -= sbase;
		else
			id = OVERFLOW_ID, clamped = true;
	}
	id = gid ? lxm_idshift_gid(d, id, &clamped) : lxm_idshift_uid(d, id, &clamped);
	c->st.clamped_ids += clamped;
	return id;
}

static bool interrupted(const struct copier *c)
{
	return c->opts->interrupted && *c->opts->interrupted;
}

static bool shifting(const struct copier *c)
{
	return c->opts->src_shift.count || c->opts->dst_shift.count;
}

/* ids inside a POSIX ACL xattr and a v3 file capability follow the owners */
static void shift_xattr(struct copier *c, const char *name, unsigned char *v, size_t len)
{
	if (!shifting(c))
		return;
	if (streq(name, "security.capability") && len == 24 && (v[3] == 0x03)) {
		uint32_t id = (uint32_t)v[20] | (uint32_t)v[21] << 8 | (uint32_t)v[22] << 16 | (uint32_t)v[23] << 24;

		id = map_id(c, false, id);
		v[20] = id & 0xff, v[21] = (id >> 8) & 0xff, v[22] = (id >> 16) & 0xff, v[23] = id >> 24;
	} else if (lxm_startswith(name, "system.posix_acl_") && len >= 4) {
		for (size_t off = 4; off + 8 <= len; off += 8) {
			unsigned tag = v[off] | v[off + 1] << 8;
			uint32_t id;

			if (tag != 0x02 && tag != 0x08)
				continue;
			id = (uint32_t)v[off + 4] | (uint32_t)v[off + 5] << 8 | (uint32_t)v[off + 6] << 16 |
			     (uint32_t)v[off + 7] << 24;
			id = map_id(c, tag == 0x08, id);
			v[off + 4] = id & 0xff, v[off + 5] = (id >> 8) & 0xff;
			v[off + 6] = (id >> 16) & 0xff, v[off + 7] = id >> 24;
		}
	}
}

static int copy_xattrs(struct copier *c, int sfd, int dfd, const char *rel, struct lxm_error *err)
{
	char names[65536];
	ssize_t n = flistxattr(sfd, names, sizeof(names));
	_cleanup_free_ unsigned char *cap = NULL;
	ssize_t cap_len = 0;

	if (n < 0)
		return errno == ENOTSUP || errno == EOPNOTSUPP ? 0 : lxm_error_set(err, errno, "'%s': listing xattrs", rel);
	for (char *name = names; name < names + n; name += strlen(name) + 1) {
		unsigned char val[65536];
		ssize_t len = fgetxattr(sfd, name, val, sizeof(val));

		if (len < 0) {
			if (errno == ENODATA)
				continue;
			return lxm_error_set(err, errno, "'%s': reading xattr '%s'", rel, name);
		}
		shift_xattr(c, name, val, (size_t)len);
		if (streq(name, "security.capability")) {
			cap = malloc((size_t)len ?: 1);
			if (!cap)
				return lxm_error_set(err, ENOMEM, "copying");
			memcpy(cap, val, (size_t)len);
			cap_len = len;
			continue;
		}
		if (fsetxattr(dfd, name, val, (size_t)len, 0) < 0 &&
		    !(errno == ENOTSUP || errno == EOPNOTSUPP || (!c->root && (errno == EPERM || errno == EACCES))))
			return lxm_error_set(err, errno, "'%s': setting xattr '%s'", rel, name);
	}
	/* last: chown and chmod clear a file capability */
	if (cap && fsetxattr(dfd, "security.capability", cap, (size_t)cap_len, 0) < 0 &&
	    !(errno == ENOTSUP || errno == EOPNOTSUPP || (!c->root && (errno == EPERM || errno == EACCES))))
		return lxm_error_set(err, errno, "'%s': setting xattr 'security.capability'", rel);
	return 0;
}

static int copy_meta_fd(struct copier *c, int sfd, int dfd, const struct stat *st, const char *rel,
			struct lxm_error *err)
{
	if (c->root && fchown(dfd, map_id(c, false, st->st_uid), map_id(c, true, st->st_gid)) < 0)
		return lxm_error_set(err, errno, "'%s': chown", rel);
	if (fchmod(dfd, st->st_mode & 07777) < 0)
		return lxm_error_set(err, errno, "'%s': chmod", rel);
	return copy_xattrs(c, sfd, dfd, rel, err);
}

static int copy_data(struct copier *c, int sfd, int dfd, const struct stat *st, const char *rel,
		     struct lxm_error *err)
{
	off_t off = 0;

	if (st->st_size == 0)
		return 0;
	if (ioctl(dfd, FICLONE, sfd) == 0) {
		c->st.reflinked++;
		c->st.bytes += (uint64_t)st->st_size;
		return 0;
	}
	for (;;) {
		off_t data = lseek(sfd, off, SEEK_DATA), hole;

		if (data < 0) {
			if (errno == ENXIO)
				break;
			return lxm_error_set(err, errno, "'%s': seeking", rel);
		}
		hole = lseek(sfd, data, SEEK_HOLE);
		if (hole < 0)
			return lxm_error_set(err, errno, "'%s': seeking", rel);
		while (data < hole) {
			off_t din = data, dout = data;
			/* in chunks, so that an interrupt is seen within one */
			ssize_t n = copy_file_range(sfd, &din, dfd, &dout, (size_t)MIN((off_t)COPY_CHUNK, hole - data), 0);

			if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
				size_t want = (size_t)MIN((off_t)COPY_BUF, hole - data);

				n = pread(sfd, c->buf, want, data);
				if (n > 0) {
					ssize_t w = pwrite(dfd, c->buf, (size_t)n, data);

					if (w != n)
						return lxm_error_set(err, w < 0 ? errno : EIO, "'%s': writing", rel);
				}
			}
			if (interrupted(c))
				return lxm_error_setr(err, EINTR, "'%s': interrupted", rel);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return lxm_error_set(err, errno, "'%s': copying", rel);
			if (n == 0)
				break;   /* the file shrank */
			data += n;
			c->st.bytes += (uint64_t)n;
		}
		off = hole;
		if (off >= st->st_size)
			break;
	}
	if (ftruncate(dfd, st->st_size) < 0)
		return lxm_error_set(err, errno, "'%s': setting the size", rel);
	return 0;
}

static const char *find_link(struct copier *c, const struct stat *st)
{
	for (size_t i = 0; i < c->n_links; i++)
		if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino)
			return c->links[i].path;
	return NULL;
}

static int add_link(struct copier *c, const struct stat *st, const char *rel)
{
	if (c->n_links == c->cap_links) {
		size_t cap = c->cap_links ? c->cap_links * 2 : 64;
		struct hardlink *l = realloc(c->links, cap * sizeof(*l));

		if (!l)
			return -ENOMEM;
		c->links = l;
		c->cap_links = cap;
	}
	c->links[c->n_links].path = strdup(rel);
	if (!c->links[c->n_links].path)
		return -ENOMEM;
	c->links[c->n_links].dev = st->st_dev;
	c->links[c->n_links].ino = st->st_ino;
	c->n_links++;
	return 0;
}

static int copy_dir(struct copier *c, int sfd, int dfd, const char *rel, int depth, struct lxm_error *err);

static int copy_entry(struct copier *c, int sfd, int dfd, const char *name, const char *rel, int depth,
		      struct lxm_error *err)
{
	struct timespec ts[2];
	struct stat st;
	int r;

	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return lxm_error_set(err, errno, "'%s'", rel);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	c->st.entries++;
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		const char *first = find_link(c, &st);

		if (first) {
			if (linkat(c->dsttop, first, dfd, name, 0) < 0)
				return lxm_error_set(err, errno, "'%s': hardlink to '%s'", rel, first);
			return 0;
		}
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR: {
		_cleanup_close_ int s = -1, d = -1;

		if (mkdirat(dfd, name, 0700) < 0)
			return lxm_error_set(err, errno, "'%s': mkdir", rel);
		s = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		d = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || d < 0)
			return lxm_error_set(err, errno, "'%s': opening", rel);
		/* another mount inside the source: its mount point only */
		if (st.st_dev == c->srcdev) {
			r = copy_dir(c, s, d, rel, depth + 1, err);
			if (r < 0)
				return r;
		}
		r = copy_meta_fd(c, s, d, &st, rel, err);
		if (r < 0)
			return r;
		futimens(d, ts);
		return 0;
	}
	case S_IFREG: {
		_cleanup_close_ int s = -1, d = -1;

		s = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
		if (s < 0 && errno == EPERM)
			s = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0)
			return lxm_error_set(err, errno, "'%s': opening", rel);
		d = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (d < 0)
			return lxm_error_set(err, errno, "'%s': creating", rel);
		r = copy_data(c, s, d, &st, rel, err);
		if (r < 0)
			return r;
		r = copy_meta_fd(c, s, d, &st, rel, err);
		if (r < 0)
			return r;
		futimens(d, ts);
		break;
	}
	case S_IFLNK: {
		char target[PATH_MAX];
		ssize_t n = readlinkat(sfd, name, target, sizeof(target) - 1);

		if (n < 0)
			return lxm_error_set(err, errno, "'%s': readlink", rel);
		target[n] = '\0';
		if (symlinkat(target, dfd, name) < 0)
			return lxm_error_set(err, errno, "'%s': symlink", rel);
		if (c->root && fchownat(dfd, name, map_id(c, false, st.st_uid), map_id(c, true, st.st_gid),
					AT_SYMLINK_NOFOLLOW) < 0)
			return lxm_error_set(err, errno, "'%s': chown", rel);
		utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
		break;
	}
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		if (!S_ISFIFO(st.st_mode) && !c->opts->allow_devices) {
			c->st.skipped_devices++;
			return 0;
		}
		if (mknodat(dfd, name, (st.st_mode & S_IFMT) | 0600, st.st_rdev) < 0)
			return lxm_error_set(err, errno, "'%s': mknod", rel);
		if (c->root && fchownat(dfd, name, map_id(c, false, st.st_uid), map_id(c, true, st.st_gid),
					AT_SYMLINK_NOFOLLOW) < 0)
			return lxm_error_set(err, errno, "'%s': chown", rel);
		if (fchmodat(dfd, name, st.st_mode & 07777, 0) < 0)
			return lxm_error_set(err, errno, "'%s': chmod", rel);
		utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
		break;
	default:
		return 0;    /* sockets belong to processes, not to a copy */
	}
	if (st.st_nlink > 1 && add_link(c, &st, rel) < 0)
		return lxm_error_set(err, ENOMEM, "copying");
	return 0;
}

static int copy_dir(struct copier *c, int sfd, int dfd, const char *rel, int depth, struct lxm_error *err)
{
	DIR *d;
	struct dirent *de;
	int fd, r = 0;

	if (depth > DEPTH_MAX)
		return lxm_error_setr(err, ELOOP, "'%s': directories nested too deep", rel);
	fd = openat(sfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return lxm_error_set(err, errno, "'%s': opening", rel);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return lxm_error_set(err, errno, "'%s': opening", rel);
	}
	while ((errno = 0, de = readdir(d))) {
		_cleanup_free_ char *child = NULL;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (interrupted(c)) {
			r = lxm_error_setr(err, EINTR, "interrupted");
			break;
		}
		child = rel[0] ? lxm_strdup_printf("%s/%s", rel, de->d_name) : strdup(de->d_name);
		if (!child) {
			r = lxm_error_set(err, ENOMEM, "copying");
			break;
		}
		r = copy_entry(c, sfd, dfd, de->d_name, child, depth, err);
		if (r < 0)
			break;
	}
	if (r == 0 && errno)
		r = lxm_error_set(err, errno, "'%s': reading", rel);
	closedir(d);
	return r;
}

int lxm_copy_tree(int srcfd, int dstfd, const struct lxm_copy_opts *opts, struct lxm_copy_stats *ret_stats,
		  struct lxm_error *err)
{
	static const struct lxm_copy_opts none = { 0 };
	struct copier c = { .opts = opts ?: &none, .root = geteuid() == 0 };
	_cleanup_close_ int s = -1, d = -1;
	struct stat st;
	int r;

	s = openat(srcfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = openat(dstfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s < 0 || d < 0 || fstat(s, &st) < 0)
		return lxm_error_set(err, errno, "opening the directories to copy");
	c.dsttop = d;
	c.srcdev = st.st_dev;
	c.buf = malloc(COPY_BUF);
	if (!c.buf)
		return lxm_error_set(err, ENOMEM, "copying");
	r = copy_dir(&c, s, d, "", 0, err);
	if (r == 0)
		r = copy_meta_fd(&c, s, d, &st, "/", err);
	if (r == 0) {
		struct timespec ts[2] = { st.st_atim, st.st_mtim };

		futimens(d, ts);
		if (c.st.skipped_devices)
			log_warn("left out %llu device nodes: the container is unprivileged",
				 (unsigned long long)c.st.skipped_devices);
		if (ret_stats)
			*ret_stats = c.st;
	}
	for (size_t i = 0; i < c.n_links; i++)
		free(c.links[i].path);
	free(c.links);
	free(c.buf);
	return r;
}

void lxm_config_idshift(const struct lxm_config *conf, struct lxm_idshift *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < conf->n_idmaps; i++) {
		const struct lxm_idmap *m = &conf->idmaps[i];

		if (m->container != 0)
			continue;
		if (m->type == 'u') {
			ret->uid_base = m->host;
			ret->count = m->count;
		} else
			ret->gid_base = m->host;
	}
}

/* ---- container copies ------------------------------------------------------------ */


static int new_identity(const struct lxm_paths *paths, const char *newname, int partialfd,
			struct lxm_config *conf, bool keep_idmaps, struct lxm_error *err)
{
	int r;

	free(conf->name);
	conf->name = strdup(newname);
	free(conf->hostname);
	conf->hostname = NULL;
	if (!conf->name)
		return lxm_error_set(err, ENOMEM, "copying");
	r = lxm_config_default_hostname(newname, &conf->hostname);
	if (r == -EINVAL)
		return lxm_error_setr(err, EINVAL, "no hostname can be made of the name '%s': choose another", newname);
	if (r < 0)
		return lxm_error_set(err, -r, "copying");
	lxm_uuid_generate(conf->uuid);
	for (size_t i = 0; i < conf->n_nics; i++) {
		struct lxm_nic *nic = &conf->nics[i];

		if (nic->type != LXM_NET_VETH && nic->type != LXM_NET_MACVLAN)
			continue;
		if (lxm_mac_from_uuid(conf->uuid, (unsigned)i, nic->hwaddr) < 0)
			return lxm_error_set(err, EINVAL, "deriving a MAC address");
		if (nic->n_ipv4 || nic->n_ipv6)
			log_warn("'%s' keeps the static addresses of network '%s'; change them before starting both",
				 newname, nic->name[0] ? nic->name : nic->link);
	}
	conf->autostart.enabled = false;
	if (conf->n_idmaps && !keep_idmaps) {
		struct lxm_idmap maps[2];
		uint32_t count = conf->idmaps[0].count;

		/* the copy gets one range of that size for uids and gids: only
		 * the same for a map of one line per type from container id 0
		 * (more lines, a host id passed through say, would be lost) */
		if (conf->n_idmaps != 2 || conf->idmaps[0].type == conf->idmaps[1].type ||
		    conf->idmaps[0].container || conf->idmaps[1].container || conf->idmaps[1].count != count)
			return lxm_error_setr(err, EINVAL, "cannot give the copy an id range of its own: the id map is "
					      "not one range from 0 for uids and one for gids (%zu lines)", conf->n_idmaps);
		r = lxm_idmap_allocate(paths, newname, count, partialfd, maps, err);
		if (r < 0)
			return lxm_error_prefix(err, "giving the copy an id range");
		free(conf->idmaps);
		conf->idmaps = calloc(2, sizeof(*conf->idmaps));
		if (!conf->idmaps)
			return lxm_error_set(err, ENOMEM, "copying");
		memcpy(conf->idmaps, maps, sizeof(maps));
		conf->n_idmaps = 2;
	}
	return 0;
}

static int copy_into(const struct lxm_paths *paths, const char *name, const char *newname, int dirfd,
		     int partialfd, const char *newdir, const struct lxm_copy_req *req, struct lxm_error *err)
{
	_cleanup_free_ char *odir = lxm_container_path(paths, name, NULL), *orootfs = NULL, *config = NULL;
	struct lxm_config conf = { 0 };
	bool marked = false;
	int r;

	if (!odir)
		return lxm_error_set(err, ENOMEM, "copying");
	r = lxm_container_load_config(paths, name, &conf, err);
	if (r < 0)
		return r;
	if (conf.rootfs_overlay_lower) {
		r = lxm_error_setr(err, ENOTSUP, "'%s' is a snapshot; copies of snapshots are not supported", name);
		goto out;
	}
	if (req->snapshot) {
		_cleanup_free_ char *rundir = lxm_runtime_path(paths, name, NULL);

		/* the mark first, then the check: a start of the base makes
		 * its runtime dir before it looks for marks, so either it
		 * sees this one (and mounts its rootfs read-only) or we see
		 * its runtime dir */
		r = lxm_snapshot_register(odir, newname);
		if (r < 0) {
			lxm_error_set(err, -r, "marking '%s' as a snapshot base in '%s/" LXM_SNAPSHOTS_DIR "'", name, odir);
			goto out;
		}
		marked = true;
		if (!rundir) {
			r = lxm_error_set(err, ENOMEM, "copying");
			goto out;
		}
		if (access(rundir, F_OK) == 0) {
			r = lxm_error_setr(err, EBUSY, "'%s' is starting or running; stop it first", name);
			goto out;
		}
		/* and its destroy's lock: either it sees the mark, or we see it */
		r = lxm_snapshot_being_destroyed(odir);
		if (r != 0) {
			r = r > 0 ? lxm_error_setr(err, EBUSY, "'%s' is being destroyed", name)
				  : lxm_error_set(err, -r, "checking whether '%s' is being destroyed", name);
			goto out;
		}
	}
	orootfs = lxm_config_rootfs_path(&conf, odir);
	config = lxm_strdup_printf("%s/config", newdir);
	if (!orootfs || !config) {
		r = lxm_error_set(err, ENOMEM, "copying");
		goto out;
	}
	if (req->snapshot && conf.n_idmaps) {
		_cleanup_free_ struct lxm_idmap *shifted = NULL;
		size_t n_shifted = 0;

		/* the snapshot sees its base's files through an idmapped mount
		 * with its own id range: they must be unshifted on disk */
		if ((lxm_shift_read_state(odir, &shifted, &n_shifted) == 0 && n_shifted) ||
		    (conf.rootfs_idmapped && streq(conf.rootfs_idmapped, "shift"))) {
			r = lxm_error_setr(err, ENOTSUP, "'%s' has its files shifted on disk (no idmapped mounts): "
					   "an unprivileged snapshot needs them unshifted; make a full copy instead", name);
			goto out;
		}
	}
	r = new_identity(paths, newname, partialfd, &conf, false, err);
	if (r < 0)
		goto out;
	/* spread over the disk, as for a create (template.c) */
	r = lxm_template_make_rootfs(dirfd);
	if (r < 0) {
		r = lxm_error_set(err, -r, "creating '%s/rootfs'", newdir);
		goto out;
	}
	free(conf.rootfs_path);
	conf.rootfs_path = strdup("rootfs");
	if (!conf.rootfs_path) {
		r = lxm_error_set(err, ENOMEM, "copying");
		goto out;
	}
	if (req->snapshot) {
		_cleanup_close_ int lower = open(orootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC), upper = -1;
		_cleanup_free_ char *real = realpath(orootfs, NULL);
		struct lxm_idshift sh;
		struct stat st;

		if (lower < 0 || !real || fstat(lower, &st) < 0) {
			r = lxm_error_set(err, errno, "opening '%s'", orootfs);
			goto out;
		}
		if (mkdirat(dirfd, "overlay", 0700) < 0 || mkdirat(dirfd, "overlay/upper", 0755) < 0 ||
		    mkdirat(dirfd, "overlay/work", 0700) < 0) {
			r = lxm_error_set(err, errno, "creating '%s/overlay'", newdir);
			goto out;
		}
		/* the merged root shows the upper dir's owner and mode; an
		 * unprivileged snapshot's overlay is mounted by its root, which
		 * writes both dirs and sees the lower's files through an
		 * idmapped mount with its own range */
		lxm_config_idshift(&conf, &sh);
		upper = openat(dirfd, "overlay/upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (upper < 0 || fchown(upper, lxm_idshift_uid(&sh, st.st_uid, NULL), lxm_idshift_gid(&sh, st.st_gid, NULL)) < 0 ||
		    fchmod(upper, st.st_mode & 07777) < 0) {
			r = lxm_error_set(err, errno, "preparing '%s/overlay/upper'", newdir);
			goto out;
		}
		if (fchownat(dirfd, "overlay/work", lxm_idshift_uid(&sh, 0, NULL), lxm_idshift_gid(&sh, 0, NULL),
			     AT_SYMLINK_NOFOLLOW) < 0) {
			r = lxm_error_set(err, errno, "preparing '%s/overlay/work'", newdir);
			goto out;
		}
		/* the guest's /etc/hostname (and /etc/hosts) in the upper dir */
		r = lxm_rootfs_rename_host(lower, upper, &sh, conf.hostname, err);
		if (r < 0)
			goto out;
		conf.rootfs_overlay_lower = TAKE_PTR(real);
		conf.rootfs_overlay_upper = strdup("overlay/upper");
		conf.rootfs_overlay_work = strdup("overlay/work");
		if (!conf.rootfs_overlay_upper || !conf.rootfs_overlay_work) {
			r = lxm_error_set(err, ENOMEM, "copying");
			goto out;
		}
	} else {
		_cleanup_close_ int src = open(orootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		_cleanup_close_ int dst = openat(dirfd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_free_ struct lxm_idmap *shifted = NULL;
		size_t n_shifted = 0;
		struct lxm_copy_opts copts = { .allow_devices = conf.n_idmaps == 0, .interrupted = &lxm_create_interrupted };
		struct lxm_copy_stats cst = { 0 };

		if (src < 0 || dst < 0) {
			r = lxm_error_set(err, errno, "opening '%s'", orootfs);
			goto out;
		}
		/* files shifted on disk for the original go back to container
		 * ids; the copy's start shifts them to its own range */
		if (lxm_shift_read_state(odir, &shifted, &n_shifted) == 0 && n_shifted) {
			struct lxm_config tmp = { .idmaps = shifted, .n_idmaps = n_shifted };

			lxm_config_idshift(&tmp, &copts.src_shift);
		}
		r = lxm_copy_tree(src, dst, &copts, &cst, err);
		if (r < 0) {
			lxm_error_prefix(err, "copying '%s'", orootfs);
			goto out;
		}
		log_debug("copied %llu entries, %llu bytes (%llu files reflinked)", (unsigned long long)cst.entries,
			  (unsigned long long)cst.bytes, (unsigned long long)cst.reflinked);
		r = lxm_rootfs_rename_host(dst, dst, NULL, conf.hostname, err);
		if (r < 0)
			goto out;
	}
	r = lxm_config_validate(&conf, config, err);
	if (r < 0)
		goto out;
	r = lxm_config_write(&conf, config, err);
out:
	if (r < 0 && marked)
		(void)lxm_snapshot_unregister(odir, newname);
	lxm_config_free(&conf);
	return r;
}

struct copy_ctx {
	const struct lxm_paths *paths;
	const char *name;
	const char *newname;
	const struct lxm_copy_req *req;
};

static int copy_build(int dirfd, int partialfd, const char *dir, void *data, struct lxm_error *err)
{
	const struct copy_ctx *c = data;

	return copy_into(c->paths, c->name, c->newname, dirfd, partialfd, dir, c->req, err);
}

int lxm_container_copy(const struct lxm_paths *paths, const char *name, const char *newname,
		       const struct lxm_copy_req *req, struct lxm_error *err)
{
	struct copy_ctx ctx = { .paths = paths, .name = name, .newname = newname, .req = req };
	_cleanup_(lxm_inuse_release) struct lxm_inuse hold = LXM_INUSE_INIT;
	_cleanup_free_ char *what = NULL;
	int r;

	r = lxm_container_check_exists(paths, name, err);
	if (r < 0)
		return r;
	r = lxm_name_validate(newname, err);
	if (r == 0)
		r = lxm_cgroup_name_check(newname, err);
	if (r < 0)
		return r;
	/* held until the copy is whole: a start would change the files
	 * under the copy (and shift their owners), a destroy remove them */
	what = req->snapshot ? lxm_strdup_printf("being copied to %s as a snapshot (lxm-copy -s, pid %d)", newname,
						 (int)getpid())
			     : lxm_strdup_printf("being copied to %s (lxm-copy, pid %d)", newname, (int)getpid());
	if (!what)
		return lxm_error_set(err, ENOMEM, "copying");
	r = lxm_container_hold_stopped(paths, name, what, true, &hold, err);
	if (r < 0)
		return r;
	return lxm_container_build(paths, newname, true, copy_build, &ctx, err);
}

/* ---- the guest's own idea of its name -------------------------------------------- */

/* OLD replaced by NEW where it is a whole word (so "web1" in "127.0.1.1 web1"
 * but not in "web1.lan"), outside comments. */
static char *replace_words(const char *text, const char *old, const char *new)
{
	size_t olen = strlen(old), nlen = strlen(new), n = 0, cap = strlen(text) + 1;
	char *out;
	bool comment = false, word_start = true;

	for (const char *p = text; *p; p++)
		if (strncmp(p, old, olen) == 0)
			cap += nlen;
	out = malloc(cap);
	if (!out)
		return NULL;
	for (const char *p = text; *p;) {
		/* p[olen] only once p holds OLD: nearer the end it is past the NUL */
		bool match = strncmp(p, old, olen) == 0;
		char c = match ? p[olen] : '\0';

		if (*p == '\n')
			comment = false;
		else if (*p == '#')
			comment = true;
		if (!comment && word_start && match && (c == '\0' || c == ' ' || c == '\t' || c == '\n')) {
			memcpy(out + n, new, nlen);
			n += nlen;
			p += olen;
			word_start = false;
			continue;
		}
		word_start = *p == ' ' || *p == '\t' || *p == '\n';
		out[n++] = *p++;
	}
	out[n] = '\0';
	return out;
}

static int read_small(int fd, char **ret)
{
	char path[64];
	size_t len;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return lxm_read_file_at(AT_FDCWD, path, ret, &len);
}

/* Write TEXT as dst's etc/NAME with src's etc/NAME's mode and owner (shifted). */
static int write_etc_file(int srcroot, int dstroot, const struct lxm_idshift *sh, const char *name,
			  const char *text, struct lxm_error *err)
{
	_cleanup_close_ int sdir = lxm_rootfs_open_in_root(srcroot, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	_cleanup_close_ int ddir = -1, fd = -1;
	struct stat etc_st, fst;
	size_t len = strlen(text);

	if (sdir < 0 || fstat(sdir, &etc_st) < 0 || fstatat(sdir, name, &fst, AT_SYMLINK_NOFOLLOW) < 0)
		return lxm_error_set(err, sdir < 0 ? -sdir : errno, "'/etc/%s' in the rootfs", name);
	if (srcroot != dstroot && mkdirat(dstroot, "etc", etc_st.st_mode & 07777) == 0 &&
	    fchownat(dstroot, "etc", lxm_idshift_uid(sh, etc_st.st_uid, NULL), lxm_idshift_gid(sh, etc_st.st_gid, NULL),
		     AT_SYMLINK_NOFOLLOW) < 0)
		return lxm_error_set(err, errno, "'/etc' in the new rootfs");
	ddir = srcroot == dstroot ? TAKE_FD(sdir) : openat(dstroot, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ddir < 0)
		return lxm_error_set(err, errno, "'/etc' in the new rootfs");
	/* a new file, renamed over: the old one may be a hardlink */
	(void)unlinkat(ddir, ".lxm-name.tmp", 0);
	fd = openat(ddir, ".lxm-name.tmp", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || lxm_write_full(fd, text, len) < 0 ||
	    (geteuid() == 0 && fchown(fd, lxm_idshift_uid(sh, fst.st_uid, NULL), lxm_idshift_gid(sh, fst.st_gid, NULL)) < 0) ||
	    fchmod(fd, fst.st_mode & 07777) < 0 || renameat(ddir, ".lxm-name.tmp", ddir, name) < 0) {
		int e = errno;

		(void)unlinkat(ddir, ".lxm-name.tmp", 0);
		return lxm_error_set(err, e, "writing '/etc/%s' in the new rootfs", name);
	}
	return 0;
}

int lxm_rootfs_rename_host(int srcroot, int dstroot, const struct lxm_idshift *shift, const char *newname,
			   struct lxm_error *err)
{
	static const struct lxm_idshift none = { 0 };
	_cleanup_free_ char *old = NULL, *hosts = NULL, *newhosts = NULL, *line = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	shift = shift ?: &none;
	fd = lxm_rootfs_open_in_root(srcroot, "etc/hostname", O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		return 0;           /* none, or a symlink: the guest's business */
	r = read_small(fd, &old);
	if (r < 0 || !old)
		return 0;
	old[strcspn(old, " \t\r\n")] = '\0';
	if (!old[0] || streq(old, newname))
		return 0;
	line = lxm_strdup_printf("%s\n", newname);
	if (!line)
		return lxm_error_set(err, ENOMEM, "renaming");
	r = write_etc_file(srcroot, dstroot, shift, "hostname", line, err);
	if (r < 0)
		return r;
	closep(&fd);
	fd = lxm_rootfs_open_in_root(srcroot, "etc/hosts", O_RDONLY | O_NOFOLLOW);
	if (fd < 0 || read_small(fd, &hosts) < 0 || !hosts)
		return 0;
	newhosts = replace_words(hosts, old, newname);
	if (!newhosts)
		return lxm_error_set(err, ENOMEM, "renaming");
	if (streq(newhosts, hosts))
		return 0;
	return write_etc_file(srcroot, dstroot, shift, "hosts", newhosts, err);
}
