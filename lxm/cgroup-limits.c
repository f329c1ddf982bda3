/* Resource limits on a container's cgroups (see cgroup-limits.h for the
 * files and the mapping of values). */
#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>

#include "cgroup-limits.h"
#include "config.h"
#include "log.h"

/* v1 shows "no limit" as PAGE_COUNTER_MAX pages in bytes (2^63 - 4096 with
 * 4K pages); nobody limits a container to 4 EiB or more */
#define V1_UNLIMITED_FROM (1ULL << 62)
#define WEIGHT_DEFAULT 100

/* each limit's name (after "limits." in the config), the controller it
 * needs and the v2 file it sets (for messages) */
static const struct {
	const char *name, *controller, *v2_file;
} limit_info[LXM_LIMIT_MAX] = {
	[LXM_LIMIT_MEMORY] = { "memory", "memory", "memory.max" },
	[LXM_LIMIT_MEMORY_SWAP] = { "memory_swap", "memory", "memory.swap.max" },
	[LXM_LIMIT_PIDS] = { "pids", "pids", "pids.max" },
	[LXM_LIMIT_CPU_WEIGHT] = { "cpu_weight", "cpu", "cpu.weight" },
	[LXM_LIMIT_CPUSET] = { "cpuset", "cpuset", "cpuset.cpus" },
	/* "blkio" on v1, "io" on v2 */
	[LXM_LIMIT_IO_WEIGHT] = { "io_weight", NULL, "io.weight" },
};

const char *lxm_limit_to_string(enum lxm_limit l)
{
	return (unsigned)l < LXM_LIMIT_MAX ? limit_info[l].name : NULL;
}

int lxm_limit_from_string(const char *s)
{
	for (int i = 0; s && i < LXM_LIMIT_MAX; i++)
		if (streq(s, limit_info[i].name))
			return i;
	return -EINVAL;
}

void lxm_cgroup_limits_of(const struct lxm_config *conf, struct lxm_cgroup_limits *ret)
{
	*ret = (struct lxm_cgroup_limits){
		.memory = conf->limits.memory,
		.memory_swap = conf->limits.memory_swap,
		.pids = conf->limits.pids,
		.cpu_weight = conf->limits.cpu_weight,
		.cpuset = conf->limits.cpuset,
		.io_weight = conf->limits.io_weight,
	};
}

bool lxm_cgroup_limit_is_set(const struct lxm_cgroup_limits *lim, enum lxm_limit l)
{
	switch (l) {
	case LXM_LIMIT_MEMORY:
		return lim->memory != 0;
	case LXM_LIMIT_MEMORY_SWAP:
		return lim->memory_swap != 0;
	case LXM_LIMIT_PIDS:
		return lim->pids != 0;
	case LXM_LIMIT_CPU_WEIGHT:
		return lim->cpu_weight != 0;
	case LXM_LIMIT_CPUSET:
		return lim->cpuset && lim->cpuset[0];
	case LXM_LIMIT_IO_WEIGHT:
		return lim->io_weight != 0;
	default:
		return false;
	}
}

/* ---- value mapping ---- */

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

uint64_t lxm_cgroup_io_weight_to_blkio(uint32_t weight)
{
	/* blkio.weight: 10-1000, default 500 */
	return clamp_u64((uint64_t)weight * 500 / WEIGHT_DEFAULT, 10, 1000);
}

uint64_t lxm_cgroup_io_weight_to_bfq(uint32_t weight)
{
	/* blkio.bfq.weight, io.bfq.weight: 1-1000, default 100 */
	return clamp_u64(weight, 1, 1000);
}

uint32_t lxm_cgroup_blkio_to_io_weight(uint64_t blkio)
{
	return (uint32_t)clamp_u64(blkio * WEIGHT_DEFAULT / 500, 1, 10000);
}

uint32_t lxm_cgroup_shares_to_weight(uint64_t shares)
{
	/* the inverse of lxm_cgroup_weight_to_shares(), rounded */
	if (shares > UINT64_MAX / 200)
		return 10000;
	return (uint32_t)clamp_u64((shares * 200 + 1024) / 2048, 1, 10000);
}

int lxm_cgroup_parse_max(const char *s, uint64_t *ret)
{
	uint64_t v;
	int r;

	if (streq(s, "max")) {
		*ret = 0;
		return 0;
	}
	r = lxm_parse_u64(s, UINT64_MAX, &v);
	if (r < 0)
		return r;
	*ret = v >= V1_UNLIMITED_FROM ? 0 : v;
	return 0;
}

/* ---- files ---- */

static bool has_file(int fd, const char *file)
{
	return faccessat(fd, file, F_OK, 0) == 0;
}

static int read_trimmed(int fd, const char *file, char **ret)
{
	char *s = NULL;
	size_t len = 0;
	int r = lxm_read_file_at(fd, file, &s, &len);

	if (r < 0)
		return r;
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
		s[--len] = '\0';
	*ret = s;
	return 0;
}

static int put(int fd, const char *path, const char *file, const char *value, struct lxm_error *err)
{
	int r = lxm_write_file_at(fd, file, value, strlen(value), 0, 0);

	if (r < 0)
		return lxm_error_set(err, -r, "writing '%s' to '%s/%s'", value, path, file);
	log_debug("cgroup: %s/%s = %s", path, file, value);
	return 0;
}

static int get(int fd, const char *path, const char *file, char **ret, struct lxm_error *err)
{
	int r = read_trimmed(fd, file, ret);

	if (r < 0)
		return lxm_error_set(err, -r, "reading '%s/%s'", path, file);
	return 0;
}

static int get_max(int fd, const char *path, const char *file, uint64_t *ret, struct lxm_error *err)
{
	_cleanup_free_ char *s = NULL;
	int r = get(fd, path, file, &s, err);

	if (r < 0)
		return r;
	if (lxm_cgroup_parse_max(s, ret) < 0)
		return lxm_error_setr(err, EINVAL, "reading '%s/%s': unexpected value '%s'", path, file, s);
	return 0;
}

/* "max" when 0, else the number; v1 takes -1 for no limit */
static void max_text(uint64_t v, bool v1, char *buf, size_t n)
{
	if (v)
		snprintf(buf, n, "%" PRIu64, v);
	else
		snprintf(buf, n, "%s", v1 ? "-1" : "max");
}

struct where {
	int fd;
	bool v2;
	const char *path;
};

static int find(const struct lxm_cgroup *cg, enum lxm_limit l, struct where *w, struct lxm_error *err)
{
	const char *ctl;
	int fd;

	if ((unsigned)l >= LXM_LIMIT_MAX)
		return lxm_error_setr(err, EINVAL, "unknown limit %d", (int)l);
	ctl = limit_info[l].controller;

	if (l == LXM_LIMIT_IO_WEIGHT) {
		fd = lxm_cgroup_controller_fd(cg, "blkio", &w->v2, &w->path);
		if (fd < 0)
			fd = lxm_cgroup_controller_fd(cg, "io", &w->v2, &w->path);
		if (fd < 0)
			return lxm_error_setr(err, EOPNOTSUPP,
					      "limits.io_weight: neither the 'blkio' (v1) nor the 'io' (v2) controller is available on this host");
	} else {
		fd = lxm_cgroup_controller_fd(cg, ctl, &w->v2, &w->path);
		if (fd < 0)
			return lxm_error_setr(err, ENOENT,
					      "limits.%s: setting '%s' for '%s': the '%s' controller is not available on this host",
					      limit_info[l].name, limit_info[l].v2_file, lxm_cgroup_rel_path(cg), ctl);
	}
	w->fd = fd;
	return 0;
}

/* v1: memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes,
 * so the one that grows is written first. 0: no limit. */
static int v1_memory_pair(const struct where *w, uint64_t mem, uint64_t memsw, struct lxm_error *err)
{
	char m[32], s[32];
	uint64_t cur = 0;
	int r;

	r = get_max(w->fd, w->path, "memory.memsw.limit_in_bytes", &cur, err);
	if (r < 0)
		return r;
	max_text(mem, true, m, sizeof(m));
	max_text(memsw, true, s, sizeof(s));
	if (mem == 0 || (cur != 0 && mem > cur)) {
		r = put(w->fd, w->path, "memory.memsw.limit_in_bytes", s, err);
		return r < 0 ? r : put(w->fd, w->path, "memory.limit_in_bytes", m, err);
	}
	r = put(w->fd, w->path, "memory.limit_in_bytes", m, err);
	return r < 0 ? r : put(w->fd, w->path, "memory.memsw.limit_in_bytes", s, err);
}

static int v2_swap(const struct where *w, const struct lxm_cgroup_limits *lim, struct lxm_error *err)
{
	char v[32];

	if (lim->memory_swap && lim->memory && lim->memory_swap >= lim->memory)
		snprintf(v, sizeof(v), "%" PRIu64, lim->memory_swap - lim->memory);
	else
		snprintf(v, sizeof(v), "max");
	return put(w->fd, w->path, "memory.swap.max", v, err);
}

static int apply_memory(const struct where *w, const struct lxm_cgroup_limits *lim, struct lxm_error *err)
{
	char v[32];
	int r;

	max_text(lim->memory, !w->v2, v, sizeof(v));
	if (!w->v2) {
		if (lim->memory_swap && has_file(w->fd, "memory.memsw.limit_in_bytes"))
			return v1_memory_pair(w, lim->memory, lim->memory_swap, err);
		return put(w->fd, w->path, "memory.limit_in_bytes", v, err);
	}
	r = put(w->fd, w->path, "memory.max", v, err);
	/* swap.max is memory_swap - memory: it moves with memory */
	if (r == 0 && lim->memory_swap && has_file(w->fd, "memory.swap.max"))
		r = v2_swap(w, lim, err);
	return r;
}

static int apply_memory_swap(const struct where *w, const struct lxm_cgroup_limits *lim, struct lxm_error *err)
{
	const char *file = w->v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes";

	if (!has_file(w->fd, file))
		return lxm_error_setr(err, EOPNOTSUPP, "limits.memory_swap: this host has no swap accounting (no '%s' in '%s')",
				      file, w->path);
	if (w->v2)
		return v2_swap(w, lim, err);
	if (!lim->memory_swap)
		return put(w->fd, w->path, file, "-1", err);
	return v1_memory_pair(w, lim->memory, lim->memory_swap, err);
}

/* the parent's CPUs: v1 cpuset.cpus; v2 cpuset.cpus.effective (its
 * cpuset.cpus may be empty: "the same as my parent") */
static int parent_cpus(const struct where *w, char **ret, struct lxm_error *err)
{
	return get(w->fd, w->path, w->v2 ? "../cpuset.cpus.effective" : "../cpuset.cpus", ret, err);
}

/* The weight file on this host: v2 io.weight (iocost) or io.bfq.weight,
 * v1 blkio.bfq.weight or blkio.weight (CFQ, before 5.0). */
static const char *io_weight_file(const struct where *w)
{
	static const char *const v2[] = { "io.weight", "io.bfq.weight" };
	static const char *const v1[] = { "blkio.bfq.weight", "blkio.weight" };

	for (size_t i = 0; i < 2; i++)
		if (has_file(w->fd, w->v2 ? v2[i] : v1[i]))
			return w->v2 ? v2[i] : v1[i];
	return NULL;
}

static uint64_t io_weight_mapped(const char *file, uint32_t weight)
{
	if (streq(file, "blkio.weight"))
		return lxm_cgroup_io_weight_to_blkio(weight);
	if (strstr(file, "bfq"))
		return lxm_cgroup_io_weight_to_bfq(weight);
	return weight;
}

int lxm_cgroup_limit_apply(const struct lxm_cgroup *cg, enum lxm_limit l, const struct lxm_cgroup_limits *lim,
			   struct lxm_error *err)
{
	struct where w;
	char v[32];
	int r;

	r = find(cg, l, &w, err);
	if (r < 0)
		return r;
	switch (l) {
	case LXM_LIMIT_MEMORY:
		return apply_memory(&w, lim, err);
	case LXM_LIMIT_MEMORY_SWAP:
		return apply_memory_swap(&w, lim, err);
	case LXM_LIMIT_PIDS:
		max_text(lim->pids, false, v, sizeof(v));
		return put(w.fd, w.path, "pids.max", v, err);
	case LXM_LIMIT_CPU_WEIGHT: {
		uint32_t weight = lim->cpu_weight ?: WEIGHT_DEFAULT;

		if (w.v2) {
			snprintf(v, sizeof(v), "%" PRIu32, weight);
			return put(w.fd, w.path, "cpu.weight", v, err);
		}
		snprintf(v, sizeof(v), "%" PRIu64, lxm_cgroup_weight_to_shares(weight));
		return put(w.fd, w.path, "cpu.shares", v, err);
	}
	case LXM_LIMIT_CPUSET: {
		_cleanup_free_ char *cpus = NULL;

		if (lim->cpuset && lim->cpuset[0])
			return put(w.fd, w.path, "cpuset.cpus", lim->cpuset, err);
		/* back to all of the parent's CPUs: v2 refuses an empty list
		 * (ENOSPC) while the cgroup has tasks */
		r = parent_cpus(&w, &cpus, err);
		return r < 0 ? r : put(w.fd, w.path, "cpuset.cpus", cpus, err);
	}
	case LXM_LIMIT_IO_WEIGHT: {
		const char *file = io_weight_file(&w);

		if (!file)
			return lxm_error_setr(err, EOPNOTSUPP,
					      "limits.io_weight: this host has no I/O weights (no '%s' in '%s': %s)",
					      w.v2 ? "io.weight" : "blkio.bfq.weight",
					      w.path, w.v2 ? "no iocost or BFQ" : "no BFQ or CFQ I/O scheduler");
		snprintf(v, sizeof(v), "%" PRIu64, io_weight_mapped(file, lim->io_weight ?: WEIGHT_DEFAULT));
		return put(w.fd, w.path, file, v, err);
	}
	default:
		return lxm_error_setr(err, EINVAL, "unknown limit %d", (int)l);
	}
}

/* "default 100\n8:0 200" (v2 io.weight, BFQ) or "100" -> 100 */
static int parse_weight_line(const char *s, uint64_t *ret)
{
	char num[32];
	size_t n;

	if (lxm_startswith(s, "default "))
		s += strlen("default ");
	n = strcspn(s, "\n ");
	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	return lxm_parse_u64(num, UINT64_MAX, ret);
}

int lxm_cgroup_limit_read(const struct lxm_cgroup *cg, enum lxm_limit l, char **ret, bool *ret_default,
			  struct lxm_error *err)
{
	_cleanup_free_ char *s = NULL, *s2 = NULL;
	struct where w;
	uint64_t a = 0, b = 0;
	bool dflt = false;
	char *out = NULL;
	int r;

	r = find(cg, l, &w, err);
	if (r < 0)
		return r;
	switch (l) {
	case LXM_LIMIT_MEMORY:
	case LXM_LIMIT_PIDS: {
		const char *file = l == LXM_LIMIT_PIDS ? "pids.max" : w.v2 ? "memory.max" : "memory.limit_in_bytes";

		r = get_max(w.fd, w.path, file, &a, err);
		if (r < 0)
			return r;
		dflt = a == 0;
		out = a ? lxm_strdup_printf("%" PRIu64, a) : strdup("max");
		break;
	}
	case LXM_LIMIT_MEMORY_SWAP:
		if (!w.v2) {
			if (!has_file(w.fd, "memory.memsw.limit_in_bytes"))
				return lxm_error_setr(err, EOPNOTSUPP, "limits.memory_swap: this host has no swap accounting");
			r = get_max(w.fd, w.path, "memory.memsw.limit_in_bytes", &a, err);
			if (r < 0)
				return r;
		} else {
			if (!has_file(w.fd, "memory.swap.max"))
				return lxm_error_setr(err, EOPNOTSUPP, "limits.memory_swap: this host has no swap accounting");
			r = get_max(w.fd, w.path, "memory.max", &a, err);
			if (r == 0)
				r = get_max(w.fd, w.path, "memory.swap.max", &b, err);
			if (r < 0)
				return r;
			/* memory + swap; no limit on either: none on the sum */
			a = (a && b) ? a + b : 0;
		}
		dflt = a == 0;
		out = a ? lxm_strdup_printf("%" PRIu64, a) : strdup("max");
		break;
	case LXM_LIMIT_CPU_WEIGHT:
		r = get_max(w.fd, w.path, w.v2 ? "cpu.weight" : "cpu.shares", &a, err);
		if (r < 0)
			return r;
		if (!w.v2)
			a = lxm_cgroup_shares_to_weight(a);
		dflt = a == WEIGHT_DEFAULT;
		out = lxm_strdup_printf("%" PRIu64, a);
		break;
	case LXM_LIMIT_CPUSET:
		r = get(w.fd, w.path, "cpuset.cpus", &s, err);
		if (r < 0)
			return r;
		if (w.v2 && !*s) {
			free(s);
			s = NULL;
			r = get(w.fd, w.path, "cpuset.cpus.effective", &s, err);
			if (r < 0)
				return r;
		}
		r = parent_cpus(&w, &s2, err);
		if (r < 0)
			return r;
		dflt = streq(s, s2);
		out = TAKE_PTR(s);
		break;
	case LXM_LIMIT_IO_WEIGHT: {
		const char *file = io_weight_file(&w);

		if (!file)
			return lxm_error_setr(err, EOPNOTSUPP, "limits.io_weight: this host has no I/O weights");
		r = get(w.fd, w.path, file, &s, err);
		if (r < 0)
			return r;
		if (parse_weight_line(s, &a) < 0)
			return lxm_error_setr(err, EINVAL, "reading '%s/%s': unexpected value '%s'", w.path, file, s);
		if (streq(file, "blkio.weight"))
			a = lxm_cgroup_blkio_to_io_weight(a);
		dflt = a == WEIGHT_DEFAULT;
		out = lxm_strdup_printf("%" PRIu64, a);
		break;
	}
	default:
		return lxm_error_setr(err, EINVAL, "unknown limit %d", (int)l);
	}
	if (!out)
		return lxm_error_set(err, ENOMEM, "reading limits.%s", limit_info[l].name);
	*ret = out;
	if (ret_default)
		*ret_default = dflt;
	return 0;
}

/* ---- raw files ---- */

static int raw_find(const struct lxm_cgroup *cg, const char *file, int *ret_fd, const char **ret_path,
		    bool *ret_v1, struct lxm_error *err)
{
	bool unified = true;

	const char *dot = strchr(file, '.');
	char ctl[64];
	int fd;

	if (!*file || strchr(file, '/') || strstr(file, "..") || !dot || dot == file || !dot[1] ||
	    (size_t)(dot - file) >= sizeof(ctl))
		return lxm_error_setr(err, EINVAL, "'%s' is not a cgroup file name (like 'memory.high')", file);
	memcpy(ctl, file, (size_t)(dot - file));
	ctl[dot - file] = '\0';
	/* cgroup.* files: the v2 cgroup */
	fd = lxm_cgroup_controller_fd(cg, streq(ctl, "cgroup") ? NULL : ctl, &unified, ret_path);
	if (fd < 0 && !streq(ctl, "cgroup"))
		fd = lxm_cgroup_controller_fd(cg, NULL, &unified, ret_path);
	if (fd < 0)
		return lxm_error_setr(err, ENOENT, "'%s': no cgroup of the container has the '%s' controller", file, ctl);
	*ret_fd = fd;
	*ret_v1 = !unified;
	return 0;
}

/* A file that the v1 hierarchy lacks may be a v2 one of the hybrid
 * layout ('memory.pressure'): *ret_fd and *ret_path become the v2 cgroup's
 * when it has the file. */
static bool raw_in_v2(const struct lxm_cgroup *cg, const char *file, int *ret_fd, const char **ret_path)
{
	const char *path = NULL;
	bool unified = false;
	int fd = lxm_cgroup_controller_fd(cg, NULL, &unified, &path);

	if (fd < 0 || !unified || faccessat(fd, file, F_OK, 0) < 0)
		return false;
	*ret_fd = fd;
	*ret_path = path;
	return true;
}

int lxm_cgroup_file_write(const struct lxm_cgroup *cg, const char *file, const char *value, struct lxm_error *err)
{
	const char *path = NULL;
	bool v1 = false;
	int fd = -1, r;

	r = raw_find(cg, file, &fd, &path, &v1, err);
	if (r < 0)
		return r;
	if (v1 && faccessat(fd, file, F_OK, 0) < 0 && errno == ENOENT && !raw_in_v2(cg, file, &fd, &path))
		/* most often a v2 name ('memory.max') */
		return lxm_error_setr(err, ENOENT, "writing '%s': no file '%s' in the cgroup v1 hierarchy '%s' "
				      "(a limit name, like 'memory', works on v1 and v2)", value, file, path);
	return put(fd, path, file, value, err);
}

int lxm_cgroup_file_read(const struct lxm_cgroup *cg, const char *file, char **ret, struct lxm_error *err)
{
	const char *path = NULL;
	bool v1 = false;
	int fd = -1, r;

	r = raw_find(cg, file, &fd, &path, &v1, err);
	if (r < 0)
		return r;
	if (v1 && faccessat(fd, file, F_OK, 0) < 0 && errno == ENOENT && !raw_in_v2(cg, file, &fd, &path))
		return lxm_error_setr(err, ENOENT, "reading: no file '%s' in the cgroup v1 hierarchy '%s' "
				      "(a limit name, like 'memory', works on v1 and v2)", file, path);
	return get(fd, path, file, ret, err);
}
