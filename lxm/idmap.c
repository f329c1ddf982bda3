#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/mount.h>
#include <pwd.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "idmap.h"
#include "log.h"

#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

/* ---- pure helpers ---- */

static int push_range(struct lxm_id_range **v, size_t *n, uint32_t start, uint32_t count)
{
	struct lxm_id_range *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	nv[*n] = (struct lxm_id_range){ start, count };
	*v = nv;
	(*n)++;
	return 0;
}

static bool parse_u32(const char *s, size_t len, uint32_t *ret)
{
	uint64_t v = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*ret = (uint32_t)v;
	return true;
}

static int subid_parse(const char *text, const char *owner, const char *owner_id,
		       struct lxm_id_range **ret, size_t *ret_n)
{
	struct lxm_id_range *v = NULL;
	size_t n = 0;
	const char *p = text;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		const char *c1 = memchr(p, ':', len);
		const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - p)) : NULL;
		uint32_t start, count;

		/* trailing white space / CR */
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
			len--;
		if (len && p[0] != '#' && c1 && c2 && c2 < p + len &&
		    parse_u32(c1 + 1, (size_t)(c2 - c1 - 1), &start) &&
		    parse_u32(c2 + 1, (size_t)(p + len - c2 - 1), &count) && count > 0 &&
		    (uint64_t)start + count <= UINT32_MAX) {   /* (uid_t)-1 is never mapped */
			size_t olen = (size_t)(c1 - p);
			bool match = !owner ||
				     (strlen(owner) == olen && strncmp(p, owner, olen) == 0) ||
				     (owner_id && strlen(owner_id) == olen && strncmp(p, owner_id, olen) == 0);

			if (match && push_range(&v, &n, start, count) < 0) {
				free(v);
				return -ENOMEM;
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int lxm_subid_parse(const char *text, const char *owner, const char *owner_id,
		    struct lxm_id_range **ret, size_t *ret_n)
{
	return subid_parse(text, owner ? owner : "", owner_id, ret, ret_n);
}

int lxm_subid_parse_all(const char *text, struct lxm_id_range **ret, size_t *ret_n)
{
	return subid_parse(text, NULL, NULL, ret, ret_n);
}

bool lxm_id_range_overlap(const struct lxm_id_range *a, const struct lxm_id_range *b)
{
	uint64_t ae = (uint64_t)a->start + a->count, be = (uint64_t)b->start + b->count;

	return a->count && b->count && a->start < be && b->start < ae;
}

bool lxm_id_range_within(const struct lxm_id_range *r, const struct lxm_id_range *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r->start >= in[i].start &&
		    (uint64_t)r->start + r->count <= (uint64_t)in[i].start + in[i].count)
			return true;
	return false;
}

int lxm_id_range_allocate(const struct lxm_id_range *avail, size_t n_avail,
			  const struct lxm_id_range *used, size_t n_used, uint32_t count,
			  uint32_t *ret_start)
{
	bool found = false;
	uint64_t best = 0;

	if (!count)
		return -EINVAL;
	for (size_t i = 0; i < n_avail; i++) {
		uint64_t end = (uint64_t)avail[i].start + avail[i].count;
		uint64_t s = avail[i].start;

		/* try the range's start, then just past each used range that
		 * blocks; every candidate only moves forward */
		while (s + count <= end) {
			struct lxm_id_range cand = { (uint32_t)s, count };
			bool moved = false;

			for (size_t j = 0; j < n_used; j++) {
				if (lxm_id_range_overlap(&cand, &used[j])) {
					s = (uint64_t)used[j].start + used[j].count;
					moved = true;
					break;
				}
			}
			if (!moved) {
				if (!found || s < best)
					best = s;
				found = true;
				break;
			}
		}
	}
	if (!found)
		return -ENOSPC;
	*ret_start = (uint32_t)best;
	return 0;
}

uint32_t lxm_subid_new_start(const struct lxm_id_range *all, size_t n, uint32_t count)
{
	uint64_t start = LXM_SUBID_ADD_START;

	for (;;) {
		struct lxm_id_range cand = { (uint32_t)start, count };
		bool moved = false;

		for (size_t i = 0; i < n; i++) {
			if (lxm_id_range_overlap(&cand, &all[i])) {
				uint64_t e = (uint64_t)all[i].start + all[i].count;
				/* keep ranges aligned to 65536 */
				start = (e + 65535) / 65536 * 65536;
				moved = true;
			}
		}
		/* no room: a start that callers see overflow (2^32 itself
		 * would wrap to 0) */
		if (start + count > UINT32_MAX)
			return UINT32_MAX;
		if (!moved)
			return (uint32_t)start;
	}
}

/* The longest free run in [s, e) not overlapping any of all, start aligned
 * to 65536 and length a multiple of it; len 0 when there is none. */
static void longest_free(uint64_t s, uint64_t e, const struct lxm_id_range *all, size_t n,
			 struct lxm_id_range *best)
{
	uint64_t cur = s;

	while (cur < e) {
		uint64_t next = e, a;
		bool inside = false;

		for (size_t i = 0; i < n; i++) {
			uint64_t rs = all[i].start, re = rs + all[i].count;

			if (rs <= cur && cur < re) {
				cur = re;
				inside = true;
				break;
			}
			if (rs > cur && rs < next)
				next = rs;
		}
		if (inside)
			continue;
		a = (cur + 65535) / 65536 * 65536;
		if (next > a && (next - a) / 65536 * 65536 > best->count && (next - a) / 65536 * 65536 <= UINT32_MAX) {
			best->start = (uint32_t)a;
			best->count = (uint32_t)((next - a) / 65536 * 65536);
		}
		cur = next;
	}
}

int lxm_subid_pick_new(const char *self_map, const struct lxm_id_range *all, size_t n,
		       struct lxm_id_range *ret)
{
	struct lxm_id_range best = { 0, 0 };
	const char *p = self_map ? self_map : "";

	while (*p) {
		unsigned long long in, out, count;
		int used = 0;

		if (sscanf(p, " %llu %llu %llu%n", &in, &out, &count, &used) != 3)
			break;
		p += used;
		if (in == 0 && count >= UINT32_MAX) {
			/* the initial user namespace */
			uint32_t start = lxm_subid_new_start(all, n, LXM_SUBID_ADD_COUNT);

			if ((uint64_t)start + LXM_SUBID_ADD_COUNT > UINT32_MAX)
				return -ENOSPC;
			*ret = (struct lxm_id_range){ start, LXM_SUBID_ADD_COUNT };
			return 0;
		}
		if (in + count > 65536)
			longest_free(in > 65536 ? in : 65536, in + count, all, n, &best);
	}
	if (best.count < 65536)
		return -ENOSPC;
	*ret = best;
	return 0;
}

int lxm_idmap_format(const struct lxm_idmap *maps, size_t n, char type, char *buf, size_t size)
{
	size_t off = 0;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w;

		if (maps[i].type != type)
			continue;
		w = snprintf(buf + off, size - off, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n",
			     maps[i].container, maps[i].host, maps[i].count);
		if (w < 0 || (size_t)w >= size - off)
			return -E2BIG;
		off += (size_t)w;
	}
	return (int)off;
}

int lxm_idmap_parse_lines(const char *text, struct lxm_idmap **ret, size_t *ret_n)
{
	struct lxm_idmap *v = NULL;
	size_t n = 0;
	const char *p = text;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		char line[128];
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char t;
		uint32_t c, h, cnt;
		char extra;

		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			if (sscanf(line, " %c %" SCNu32 " %" SCNu32 " %" SCNu32 " %c", &t, &c, &h, &cnt, &extra) == 4 &&
			    (t == 'u' || t == 'g') && cnt > 0) {
				struct lxm_idmap *nv = realloc(v, (n + 1) * sizeof(*v));

				if (!nv) {
					free(v);
					return -ENOMEM;
				}
				v = nv;
				v[n++] = (struct lxm_idmap){ .type = t, .container = c, .host = h, .count = cnt };
			} else if (len && line[strspn(line, " \t\r")] != '\0') {
				free(v);
				return -EINVAL;
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int lxm_idmap_format_lines(const struct lxm_idmap *maps, size_t n, char **ret)
{
	char *buf = malloc(n * 48 + 1);
	size_t off = 0;

	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		off += (size_t)sprintf(buf + off, "%c %" PRIu32 " %" PRIu32 " %" PRIu32 "\n", maps[i].type,
				       maps[i].container, maps[i].host, maps[i].count);
	*ret = buf;
	return 0;
}

int64_t lxm_idmap_to_host(const struct lxm_idmap *maps, size_t n, char type, uint32_t id)
{
	if (n == 0)
		return id;
	for (size_t i = 0; i < n; i++)
		if (maps[i].type == type && id >= maps[i].container &&
		    (uint64_t)id < (uint64_t)maps[i].container + maps[i].count)
			return (int64_t)maps[i].host + (id - maps[i].container);
	return -1;
}

int64_t lxm_idmap_to_container(const struct lxm_idmap *maps, size_t n, char type, uint32_t id)
{
	if (n == 0)
		return id;
	for (size_t i = 0; i < n; i++)
		if (maps[i].type == type && id >= maps[i].host &&
		    (uint64_t)id < (uint64_t)maps[i].host + maps[i].count)
			return (int64_t)maps[i].container + (id - maps[i].host);
	return -1;
}

static bool contains_map(const struct lxm_idmap *v, size_t n, const struct lxm_idmap *m)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].type == m->type && v[i].container == m->container && v[i].host == m->host &&
		    v[i].count == m->count)
			return true;
	return false;
}

bool lxm_idmap_equal(const struct lxm_idmap *a, size_t na, const struct lxm_idmap *b, size_t nb)
{
	for (size_t i = 0; i < na; i++)
		if (!contains_map(b, nb, &a[i]))
			return false;
	for (size_t i = 0; i < nb; i++)
		if (!contains_map(a, na, &b[i]))
			return false;
	return true;
}

/* ---- the registry of lxmpaths ---- */

/* One line of registry text, white space around it and trailing slashes
 * dropped; false for a comment, a blank line or a relative path. */
static bool registry_line(const char *p, size_t len, const char **ret, size_t *ret_len)
{
	while (len && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
		len--;
	while (len > 1 && p[len - 1] == '/')
		len--;
	if (!len || p[0] != '/')
		return false;
	*ret = p;
	*ret_len = len;
	return true;
}

static bool strv_has(char *const *v, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(v[i]) == len && strncmp(v[i], s, len) == 0)
			return true;
	return false;
}

int lxm_idmap_registry_parse(const char *text, char ***ret, size_t *ret_n)
{
	char **v = NULL;
	size_t n = 0;

	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n'), *s;
		size_t len = eol ? (size_t)(eol - p) : strlen(p), slen;

		if (registry_line(p, len, &s, &slen) && !strv_has(v, n, s, slen)) {
			char **nv = realloc(v, (n + 2) * sizeof(*v));

			if (!nv || !(nv[n] = strndup(s, slen))) {
				lxm_strv_free(nv ? nv : v, n);
				return -ENOMEM;
			}
			nv[++n] = NULL;
			v = nv;
		}
		p = eol ? eol + 1 : NULL;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int lxm_idmap_registry_add(const char *text, const char *path, char **ret)
{
	_cleanup_strv_ char **v = NULL;
	size_t n = 0, tlen = text ? strlen(text) : 0;
	int r;

	*ret = NULL;
	if (path[0] != '/' || strchr(path, '\n'))
		return -EINVAL;
	r = lxm_idmap_registry_parse(text, &v, &n);
	if (r < 0)
		return r;
	if (strv_has(v, n, path, strlen(path)))
		return 0;
	if (!tlen)
		*ret = lxm_strdup_printf("%s%s\n", LXM_IDMAP_REGISTRY_HEADER, path);
	else
		*ret = lxm_strdup_printf("%s%s%s\n", text, text[tlen - 1] == '\n' ? "" : "\n", path);
	return *ret ? 1 : -ENOMEM;
}

/* ---- files ---- */

const char *lxm_subid_path(char type)
{
	const char *env = getenv(type == 'u' ? "LXM_SUBUID_FILE" : "LXM_SUBGID_FILE");

	if (env && *env)
		return env;
	return type == 'u' ? "/etc/subuid" : "/etc/subgid";
}

int lxm_subid_root_ranges(char type, struct lxm_id_range **ret, size_t *ret_n, struct lxm_error *err)
{
	const char *path = lxm_subid_path(type);
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ struct lxm_id_range *all = NULL;
	_cleanup_free_ char *self_map = NULL;
	_cleanup_close_ int fd = -1;
	size_t n_all = 0, len = 0;
	struct lxm_id_range add;
	struct stat st;
	char line[96];
	int r;

	/* the lock keeps two creates from both adding a range */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return lxm_error_set(err, errno, "opening '%s'", path);
	if (flock(fd, LOCK_EX) < 0)
		return lxm_error_set(err, errno, "locking '%s'", path);
	{
		char p[64];

		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		r = lxm_read_file_at(AT_FDCWD, p, &text, &len);
	}
	if (r < 0)
		return lxm_error_set(err, -r, "reading '%s'", path);
	r = lxm_subid_parse(text, "root", "0", ret, ret_n);
	if (r < 0)
		return lxm_error_set(err, -r, "parsing '%s'", path);
	if (*ret_n)
		return 0;
	r = lxm_subid_parse_all(text, &all, &n_all);
	if (r < 0)
		return lxm_error_set(err, -r, "parsing '%s'", path);
	{
		char p[32];

		snprintf(p, sizeof(p), "/proc/self/%cid_map", type);
		r = lxm_read_file_at(AT_FDCWD, p, &self_map, NULL);
		if (r < 0)
			return lxm_error_set(err, -r, "reading '%s'", p);
	}
	r = lxm_subid_pick_new(self_map, all, n_all, &add);
	if (r < 0)
		return lxm_error_setr(err, ENOSPC,
				      "no room in '%s' for a range for root: this user namespace maps too few %cids "
				      "(a container that runs containers needs security.nesting = true, which gives it %u)",
				      path, type, LXM_IDMAP_NESTING_COUNT);
	snprintf(line, sizeof(line), "%sroot:%" PRIu32 ":%" PRIu32 "\n",
		 len && text[len - 1] != '\n' ? "\n" : "", add.start, add.count);
	if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_END) < 0 ||
	    lxm_write_full(fd, line, strlen(line)) < 0 || fsync(fd) < 0)
		return lxm_error_set(err, errno, "adding a range for root to '%s'", path);
	log_warn("'%s' granted root no subordinate ids: added 'root:%" PRIu32 ":%" PRIu32 "'", path, add.start,
		 add.count);
	free(*ret);
	*ret = NULL;
	*ret_n = 0;
	if (push_range(ret, ret_n, add.start, add.count) < 0)
		return lxm_error_set(err, ENOMEM, "subordinate ids");
	return 0;
}

struct used_range {
	char type;
	struct lxm_id_range r;
	char owner[LXM_NAME_MAX + 1];
	size_t where;              /* index in used_set.dirs */
};

/* The host ranges of other containers, and the lxmpaths they are in:
 * dirs[0] is the lxmpath of the container the ranges are for. */
struct used_set {
	struct used_range *v;
	size_t n;
	char **dirs;
	size_t n_dirs;
};

static void used_set_free(struct used_set *s)
{
	free(s->v);
	lxm_strv_free(s->dirs, s->n_dirs);
	*s = (struct used_set){ 0 };
}

static int used_push(struct used_set *s, size_t where, const char *owner, const struct lxm_idmap *m)
{
	struct used_range *nv = realloc(s->v, (s->n + 1) * sizeof(*s->v));

	if (!nv)
		return -ENOMEM;
	s->v = nv;
	nv[s->n] = (struct used_range){ .type = m->type, .r = { m->host, m->count }, .where = where };
	snprintf(nv[s->n].owner, sizeof(nv[s->n].owner), "%s", owner);
	s->n++;
	return 0;
}

static int used_add_dir(struct used_set *s, const char *dir)
{
	char **nv = realloc(s->dirs, (s->n_dirs + 2) * sizeof(*s->dirs));

	if (!nv)
		return -ENOMEM;
	s->dirs = nv;
	nv[s->n_dirs] = strdup(dir);
	if (!nv[s->n_dirs])
		return -ENOMEM;
	nv[++s->n_dirs] = NULL;
	return 0;
}

/* The host ranges of every container in the lxmpath dir (open as d) but
 * self, as s->dirs[where]. strict: the container's own lxmpath, where a
 * config lxm cannot read is an error; elsewhere (another lxmpath listed in
 * the registry, which may have become anything since) only containers whose
 * config parses count. */
static int scan_lxmpath(struct used_set *s, size_t where, DIR *d, const char *dir, const char *self, bool strict,
			struct lxm_error *err)
{
	struct dirent *de;

	while ((de = readdir(d))) {
		_cleanup_free_ char *config = NULL, *partial = NULL, *text = NULL;
		_cleanup_free_ struct lxm_idmap *maps = NULL;
		struct lxm_config conf = { 0 };
		struct lxm_error cerr = { 0 };
		const struct lxm_idmap *mv = NULL;
		size_t mn = 0, len;
		struct stat st;
		int rc;

		/* a container being destroyed (lxm-destroy renamed it) keeps
		 * its range until it is gone: its removal may yet fail and
		 * give it its name back */
		bool going = lxm_startswith(de->d_name, LXM_DESTROY_PREFIX);

		if ((!going && (de->d_name[0] == '.' || lxm_name_validate(de->d_name, NULL) < 0)) ||
		    (self && streq(de->d_name, self)))
			continue;
		config = lxm_strdup_printf("%s/%s/config", dir, de->d_name);
		partial = lxm_strdup_printf("%s/%s/partial", dir, de->d_name);
		if (!config || !partial)
			return lxm_error_set(err, ENOMEM, "scanning '%s'", dir);
		if (stat(config, &st) == 0) {
			if (lxm_config_init(&conf) < 0)
				return lxm_error_set(err, ENOMEM, "scanning '%s'", dir);
			/* a FIFO or a device would be read for ever, with the
			 * lock every create and start on the host waits for */
			if (!S_ISREG(st.st_mode))
				rc = lxm_error_setr(&cerr, EINVAL, "'%s' is not a regular file", config);
			else
				rc = lxm_config_read_file(&conf, config, &cerr);
			if (rc == 0) {
				mv = conf.idmaps;
				mn = conf.n_idmaps;
			} else if (cerr.code != ENOENT) {
				char why[LXM_ERROR_MSG_MAX];

				lxm_config_free(&conf);
				lxm_error_text(&cerr, why, sizeof(why));
				/* its range (in use, maybe by a running
				 * container) is unknown: taking it as free
				 * would hand it out twice */
				if (strict)
					return lxm_error_setr(err, cerr.code ? cerr.code : EINVAL,
							      "the id range of container '%s' is unknown: %s",
							      de->d_name, why);
				log_debug("not counting '%s/%s' in the id ranges in use: %s", dir, de->d_name, why);
				continue;
			}
		} else if (stat(partial, &st) == 0 && S_ISREG(st.st_mode) &&
			   lxm_read_file_at(AT_FDCWD, partial, &text, &len) == 0 &&
			   lxm_idmap_parse_lines(text, &maps, &mn) == 0) {
			mv = maps;
		}
		for (size_t i = 0; i < mn; i++) {
			if (used_push(s, where, de->d_name, &mv[i]) < 0) {
				lxm_config_free(&conf);
				return lxm_error_set(err, ENOMEM, "scanning '%s'", dir);
			}
		}
		lxm_config_free(&conf);
	}
	return 0;
}

/* Whether a listed lxmpath may be scanned: a directory of root's (or of
 * our euid, in a user namespace) that others cannot write to, so that what
 * another user put there cannot take ranges away. */
static bool registry_dir_trusted(const struct stat *st)
{
	return S_ISDIR(st->st_mode) && (st->st_uid == 0 || st->st_uid == geteuid()) && !(st->st_mode & S_IWOTH);
}

/* The host ranges of every container in paths->lxmpath but self, and of
 * every container in the other lxmpaths listed in the registry in
 * paths->confdir (those that are still there and readable). */
static int collect_used(const struct lxm_paths *paths, const char *self, struct used_set *s,
			struct lxm_error *err)
{
	_cleanup_free_ char *file = NULL, *text = NULL;
	_cleanup_strv_ char **listed = NULL;
	_cleanup_free_ struct stat *seen = NULL;
	size_t n_listed = 0, n_seen = 0;
	DIR *d;
	int r;

	*s = (struct used_set){ 0 };
	seen = calloc(1, sizeof(*seen));
	if (!seen || used_add_dir(s, paths->lxmpath) < 0)
		return lxm_error_set(err, ENOMEM, "scanning '%s'", paths->lxmpath);
	d = opendir(paths->lxmpath);
	if (!d) {
		if (errno != ENOENT)
			return lxm_error_set(err, errno, "opening '%s'", paths->lxmpath);
	} else {
		if (fstat(dirfd(d), &seen[0]) == 0)
			n_seen = 1;
		r = scan_lxmpath(s, 0, d, paths->lxmpath, self, true, err);
		closedir(d);
		if (r < 0)
			return r;
	}
	if (!paths->confdir)
		return 0;
	file = lxm_strdup_printf("%s/%s", paths->confdir, LXM_IDMAP_REGISTRY);
	if (!file)
		return lxm_error_set(err, ENOMEM, "scanning '%s'", paths->lxmpath);
	r = lxm_read_file_at(AT_FDCWD, file, &text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return lxm_error_set(err, -r, "reading '%s'", file);
	r = lxm_idmap_registry_parse(text, &listed, &n_listed);
	if (r < 0)
		return lxm_error_set(err, -r, "reading '%s'", file);
	for (size_t i = 0; i < n_listed; i++) {
		_cleanup_close_ int fd = open(listed[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct stat st, *ns;
		bool dup = false;

		if (fd < 0 || fstat(fd, &st) < 0) {
			/* gone, or no longer a directory: nothing of it counts */
			log_debug("lxmpath '%s' (listed in '%s'): %s, skipping", listed[i], file, strerror(errno));
			continue;
		}
		for (size_t j = 0; j < n_seen; j++)
			dup = dup || (seen[j].st_dev == st.st_dev && seen[j].st_ino == st.st_ino);
		if (dup)
			continue;
		if (!registry_dir_trusted(&st)) {
			log_debug("lxmpath '%s' (listed in '%s') is not root's or others can write to it, skipping",
				  listed[i], file);
			continue;
		}
		ns = realloc(seen, (n_seen + 1) * sizeof(*seen));
		if (!ns)
			return lxm_error_set(err, ENOMEM, "scanning '%s'", listed[i]);
		seen = ns;
		seen[n_seen++] = st;
		if (used_add_dir(s, listed[i]) < 0 || !(d = fdopendir(fd)))
			return lxm_error_set(err, ENOMEM, "scanning '%s'", listed[i]);
		TAKE_FD(fd);
		r = scan_lxmpath(s, s->n_dirs - 1, d, listed[i], NULL, false, err);
		closedir(d);
		if (r < 0)
			return r;
	}
	return 0;
}

/* List the container's lxmpath (resolved) in the registry, when it is not:
 * the file is replaced whole, under the registry lock. */
static int register_lxmpath(const struct lxm_paths *paths, struct lxm_error *err)
{
	_cleanup_free_ char *file = NULL, *text = NULL, *canon = NULL, *out = NULL;
	int r;

	if (!paths->confdir)
		return 0;
	file = lxm_strdup_printf("%s/%s", paths->confdir, LXM_IDMAP_REGISTRY);
	if (!file)
		return lxm_error_set(err, ENOMEM, "listing '%s'", paths->lxmpath);
	canon = realpath(paths->lxmpath, NULL);
	if (!canon)
		return lxm_error_set(err, errno, "resolving '%s'", paths->lxmpath);
	r = lxm_read_file_at(AT_FDCWD, file, &text, NULL);
	if (r < 0 && r != -ENOENT)
		return lxm_error_set(err, -r, "reading '%s'", file);
	r = lxm_idmap_registry_add(text, canon, &out);
	if (r == -EINVAL)
		return lxm_error_setr(err, EINVAL, "the lxmpath '%s' cannot be listed in '%s': its name has a line break",
				      canon, file);
	if (r < 0)
		return lxm_error_set(err, -r, "listing '%s' in '%s'", canon, file);
	if (r == 0)
		return 0;
	r = lxm_write_file_atomic(file, out, strlen(out), 0644);
	if (r < 0)
		return lxm_error_set(err, -r, "listing the lxmpath '%s' in '%s'", canon, file);
	log_debug("listed the lxmpath '%s' in '%s'", canon, file);
	return 0;
}

struct ranges_lock {
	int confdir;
	int lxmpath;
};

static void ranges_unlock(struct ranges_lock *l)
{
	if (l->lxmpath >= 0)
		close(l->lxmpath);
	if (l->confdir >= 0)
		close(l->confdir);
	l->lxmpath = l->confdir = -1;
}

static int lock_dir_fd(const char *dir, struct lxm_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return lxm_error_set(err, errno, "opening '%s'", dir);
	if (flock(fd, LOCK_EX) < 0) {
		int e = errno;
		close(fd);
		return lxm_error_set(err, e, "locking '%s'", dir);
	}
	return fd;
}

/* Every allocation, check and reservation of ranges on the host holds the
 * config dir's lock, then the lxmpath's: the config dir holds the registry
 * that says which lxmpaths count, so whoever shares the registry shares the
 * lock (the runtime dir is set on its own, and two commands with one
 * registry but two runtime dirs would not exclude each other). It is the
 * directory that is locked: that needs no file written, so a read-only
 * config dir with a registry an admin made still works. The lxmpath's lock
 * keeps commands of one lxmpath apart also when their config dirs differ.
 * The lxmpath is then listed in the registry. */
static int ranges_lock(const struct lxm_paths *paths, struct ranges_lock *l, struct lxm_error *err)
{
	int r;

	*l = (struct ranges_lock){ -1, -1 };
	if (paths->confdir) {
		r = lxm_mkdir_p(paths->confdir, 0755);
		if (r < 0)
			lxm_error_set(err, -r, "creating '%s'", paths->confdir);
		else
			r = lock_dir_fd(paths->confdir, err);
		if (r < 0) {
			char text[LXM_ERROR_MSG_MAX + 64];

			/* as for the registry below: said, not fatal */
			log_warn("%s; id ranges of '%s' are kept apart only within it", lxm_error_text(err, text, sizeof(text)),
				 paths->lxmpath);
			lxm_error_clear(err);
		} else {
			l->confdir = r;
		}
	}
	r = lock_dir_fd(paths->lxmpath, err);
	if (r < 0) {
		ranges_unlock(l);
		return r;
	}
	l->lxmpath = r;
	/* a registry that cannot be written (a read-only /etc) stops no
	 * start or create: this lxmpath's ranges are then only kept apart
	 * from those of the lxmpaths listed, and said so */
	if (l->confdir >= 0 && register_lxmpath(paths, err) < 0) {
		char text[LXM_ERROR_MSG_MAX + 64];

		log_warn("%s; id ranges of '%s' are not kept apart from other lxmpaths' until it is listed",
			 lxm_error_text(err, text, sizeof(text)), paths->lxmpath);
		lxm_error_clear(err);
	}
	return 0;
}

int lxm_idmap_allocate(const struct lxm_paths *paths, const char *self, uint32_t count, int reserve_fd,
		       struct lxm_idmap out[2], struct lxm_error *err)
{
	static const char types[2] = { 'u', 'g' };
	_cleanup_(ranges_unlock) struct ranges_lock lock = { -1, -1 };
	_cleanup_(used_set_free) struct used_set used = { 0 };
	int r;

	r = ranges_lock(paths, &lock, err);
	if (r < 0)
		return r;
	r = collect_used(paths, self, &used, err);
	if (r < 0)
		return r;
	for (size_t t = 0; t < 2; t++) {
		_cleanup_free_ struct lxm_id_range *avail = NULL, *u = NULL;
		size_t n_avail = 0, n_u = 0;
		uint32_t start;

		r = lxm_subid_root_ranges(types[t], &avail, &n_avail, err);
		if (r < 0)
			return r;
		u = calloc(used.n + 1, sizeof(*u));
		if (!u)
			return lxm_error_set(err, ENOMEM, "allocating ids");
		for (size_t i = 0; i < used.n; i++)
			if (used.v[i].type == types[t])
				u[n_u++] = used.v[i].r;
		r = lxm_id_range_allocate(avail, n_avail, u, n_u, count, &start);
		if (r < 0)
			return lxm_error_setr(err, ENOSPC, "no free range of %" PRIu32 " %cids left in root's ranges in '%s' "
					      "(%zu used by other containers)", count, types[t], lxm_subid_path(types[t]), n_u);
		out[t] = (struct lxm_idmap){ .type = types[t], .container = 0, .host = start, .count = count };
	}
	if (reserve_fd >= 0) {
		_cleanup_free_ char *text = NULL;

		if (lxm_idmap_format_lines(out, 2, &text) < 0)
			return lxm_error_set(err, ENOMEM, "allocating ids");
		if (ftruncate(reserve_fd, 0) < 0 || pwrite(reserve_fd, text, strlen(text), 0) < 0)
			return lxm_error_set(err, errno, "reserving the id range");
	}
	return 0;
}

/* lxm_idmap_check() with the lock held. */
static int check_locked(const struct lxm_paths *paths, const char *self, const struct lxm_idmap *maps, size_t n,
			struct lxm_error *err)
{
	_cleanup_(used_set_free) struct used_set used = { 0 };
	int r;

	r = collect_used(paths, self, &used, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct lxm_id_range mr = { maps[i].host, maps[i].count };
		_cleanup_free_ struct lxm_id_range *avail = NULL;
		size_t n_avail = 0;
		uint64_t end = (uint64_t)mr.start + mr.count - 1;

		for (size_t j = 0; j < used.n; j++) {
			const struct used_range *u = &used.v[j];
			uint64_t uend = (uint64_t)u->r.start + u->r.count - 1;

			if (u->type != maps[i].type || !lxm_id_range_overlap(&mr, &u->r))
				continue;
			if (u->where == 0)
				return lxm_error_setr(err, EEXIST, "idmap[%zu]: host %cids %" PRIu32 "-%" PRIu64
						      " overlap container '%s' (%" PRIu32 "-%" PRIu64 ")",
						      i, maps[i].type, mr.start, end, u->owner, u->r.start, uend);
			return lxm_error_setr(err, EEXIST, "idmap[%zu]: host %cids %" PRIu32 "-%" PRIu64
					      " overlap container '%s' in '%s' (%" PRIu32 "-%" PRIu64 ")",
					      i, maps[i].type, mr.start, end, u->owner, used.dirs[u->where], u->r.start,
					      uend);
		}
		r = lxm_subid_root_ranges(maps[i].type, &avail, &n_avail, err);
		if (r < 0)
			return r;
		if (!lxm_id_range_within(&mr, avail, n_avail))
			return lxm_error_setr(err, ERANGE, "idmap[%zu]: host %cids %" PRIu32 "-%" PRIu64
					      " are not within root's ranges in '%s'",
					      i, maps[i].type, mr.start, end, lxm_subid_path(maps[i].type));
	}
	return 0;
}

int lxm_idmap_check(const struct lxm_paths *paths, const char *self, const struct lxm_idmap *maps,
		    size_t n, struct lxm_error *err)
{
	_cleanup_(ranges_unlock) struct ranges_lock lock = { -1, -1 };
	int r;

	/* a create in another lxmpath that is choosing a range now sees
	 * this lxmpath listed, or has reserved its range before this looks */
	r = ranges_lock(paths, &lock, err);
	if (r < 0)
		return r;
	return check_locked(paths, self, maps, n, err);
}

int lxm_idmap_reserve(const struct lxm_paths *paths, const char *self, const struct lxm_idmap *maps, size_t n,
		      int reserve_fd, struct lxm_error *err)
{
	_cleanup_(ranges_unlock) struct ranges_lock lock = { -1, -1 };
	_cleanup_free_ char *text = NULL;
	int r;

	/* as lxm_idmap_allocate(): a create running at the same time sees
	 * these ranges in the marker, or finishes before they are checked */
	r = ranges_lock(paths, &lock, err);
	if (r < 0)
		return r;
	r = check_locked(paths, self, maps, n, err);
	if (r < 0)
		return r;
	if (lxm_idmap_format_lines(maps, n, &text) < 0)
		return lxm_error_set(err, ENOMEM, "reserving the id range");
	if (ftruncate(reserve_fd, 0) < 0 || pwrite(reserve_fd, text, strlen(text), 0) < 0)
		return lxm_error_set(err, errno, "reserving the id range");
	return 0;
}

/* ---- idmapped mount support ---- */

int lxm_idmapped_mounts_supported(const char *path)
{
	int pipe_ready[2], pipe_done[2];
	char c = 0, p[64];
	int result, nsfd = -1, treefd = -1;
	pid_t pid;

	if (pipe2(pipe_ready, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(pipe_done, O_CLOEXEC) < 0) {
		result = -errno;
		close(pipe_ready[0]);
		close(pipe_ready[1]);
		return result;
	}
	pid = fork();
	if (pid < 0) {
		result = -errno;
		goto out;
	}
	if (pid == 0) {
		char ok = 1;

		close(pipe_done[1]);
		close(pipe_ready[0]);
		if (unshare(CLONE_NEWUSER) < 0)
			ok = 0;
		(void)!write(pipe_ready[1], &ok, 1);
		(void)!read(pipe_done[0], &c, 1);
		_exit(0);
	}
	if (read(pipe_ready[0], &c, 1) != 1 || !c) {
		result = -EOPNOTSUPP;   /* no user namespaces */
		goto reap;
	}
	snprintf(p, sizeof(p), "/proc/%d/uid_map", (int)pid);
	if (lxm_write_file_at(AT_FDCWD, p, "0 65534 1\n", 10, 0, 0) < 0) {
		result = -EPERM;
		goto reap;
	}
	snprintf(p, sizeof(p), "/proc/%d/setgroups", (int)pid);
	(void)lxm_write_file_at(AT_FDCWD, p, "deny", 4, 0, 0);
	snprintf(p, sizeof(p), "/proc/%d/gid_map", (int)pid);
	if (lxm_write_file_at(AT_FDCWD, p, "0 65534 1\n", 10, 0, 0) < 0) {
		result = -EPERM;
		goto reap;
	}
	snprintf(p, sizeof(p), "/proc/%d/ns/user", (int)pid);
	nsfd = open(p, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		result = -errno;
		goto reap;
	}
	treefd = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (treefd < 0) {
		result = errno == ENOSYS ? 0 : -errno;
		goto reap;
	}
	{
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)nsfd };

		if (syscall(SYS_mount_setattr, treefd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == 0)
			result = 1;
		else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)
			result = 0;
		else
			result = -errno;
	}
reap:
	close(pipe_done[1]);
	pipe_done[1] = -1;
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
out:
	if (treefd >= 0)
		close(treefd);
	if (nsfd >= 0)
		close(nsfd);
	close(pipe_ready[0]);
	close(pipe_ready[1]);
	close(pipe_done[0]);
	if (pipe_done[1] >= 0)
		close(pipe_done[1]);
	return result;
}

/* ---- fd passing ---- */

int lxm_send_fd(int sock, uint32_t tag, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &tag, .iov_len = sizeof(tag) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

int lxm_recv_fd(int sock, uint32_t *ret_tag)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	uint32_t tag = 0;
	struct iovec iov = { .iov_base = &tag, .iov_len = sizeof(tag) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n;
	int fd = -1;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (ret_tag)
		*ret_tag = tag;
	return fd >= 0 ? fd : -EBADMSG;
}

/* ---- the rootfs mount for a user namespace ---- */

int lxm_idmap_mount_tree(const char *path, pid_t pid, bool idmapped)
{
	char p[64];
	int tree, nsfd;

	tree = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return -errno;
	{
		/* A clone of a shared mount (the lxmpath's on a systemd
		 * host, / is rshared) stays in its peer group: whatever the
		 * child mounts on it (proc, sys, dev) would show up on the
		 * host too, and pivot_root into it fails (EINVAL); the 6.1
		 * kernel also refuses to idmap it (EINVAL). */
		struct mount_attr priv = { .propagation = MS_PRIVATE };

		if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &priv, sizeof(priv)) < 0) {
			int e = errno;
			close(tree);
			return -e;
		}
	}
	if (!idmapped)
		return tree;
	snprintf(p, sizeof(p), "/proc/%d/ns/user", (int)pid);
	nsfd = open(p, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		int e = errno;
		close(tree);
		return -e;
	}
	{
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)nsfd };

		if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
			int e = errno;
			close(nsfd);
			close(tree);
			return -e;
		}
	}
	close(nsfd);
	return tree;
}
