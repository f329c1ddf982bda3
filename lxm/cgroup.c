/* Container cgroups on cgroup v1, hybrid and pure v2 hosts.
 *
 * The container's cgroup is "lxm/<name>" below the root of every mounted
 * hierarchy: every v1 hierarchy (named ones such as name=systemd included,
 * so a systemd guest finds its own) and the v2 one.
 *
 * Cost of joining a v1 cgroup, measured on the build host (kernel 6.18,
 * 2 CPUs, hybrid layout, 9 v1 hierarchies + empty unified):
 *
 *   write(pid) into cgroup.procs after 50-300 ms of quiet:
 *       first hierarchy 6.6-15 ms, the other 9 together ~0.3 ms
 *       (lxm_cgroup_attach() of a forked child: 6.1-15.2 ms in 6 runs)
 *   the child itself writes "0" into each v1 "tasks" file (fds opened by
 *   the parent before the fork; clone3 CLONE_INTO_CGROUP for v2):
 *       0.10-0.23 ms for all 9 hierarchies, also as uid 65534
 *   lxm_cgroup_destroy() of 2 tasks, frozen: ~1.8 ms
 *
 * Why: writing a pid into cgroup.procs (or tasks) takes
 * cgroup_threadgroup_rwsem for writing. That is a global percpu rwsem; a
 * writer first has to move the readers (fork, exit, exec) to the slow path,
 * which is rcu_sync_enter(), a full RCU grace period, unless another writer
 * did so within about one grace period before (hence "the first write is
 * slow, an immediate second one fast"). It is the same for v2 cgroup.procs.
 * Host-wide ways out, none of which lxm takes on its own:
 *  - the "favordynmods" mount option (v1 and v2; cgroup_favordynmods= on
 *    the command line, CONFIG_CGROUP_FAVOR_DYNMODS) keeps the rwsem in the
 *    slow-reader mode permanently: migrations become cheap, every fork and
 *    exit on the host pays a little more. Since 6.18 it also switches
 *    cgroup.procs writers to a per-threadgroup rwsem
 *    (signal->cgroup_threadgroup_rwsem), and that switch is one-way: a
 *    remount with nofavordynmods cannot undo it until reboot. That is why
 *    it was not even tried as a throw-away experiment on the shared host.
 * Per container, with no host setting:
 *  - v2: clone3(CLONE_INTO_CGROUP) only takes the rwsem for reading.
 *  - v1: the kernel skips the write lock when a single thread migrates
 *    itself (pid "0" written into "tasks": cgroup_procs_write_start() uses
 *    CGRP_ATTACH_LOCK_NONE because current can neither exit nor exec under
 *    it). A single-threaded child that writes "0" into each hierarchy's
 *    tasks file has moved its whole process. v1 checks the credentials of
 *    the file's opener, so fds opened by the root monitor keep working in a
 *    child that is already in a user namespace: lxm_cgroup_enter_self().
 * So a start that uses both never waits for a grace period; the pid-based
 * lxm_cgroup_attach() stays for the cases where the mover is not the task.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>

#include "cgroup-limits.h"
#include "cgroup.h"
#include "devcg.h"
#include "log.h"

#define CGROUP_PARENT "lxm"
#define KILL_TIMEOUT_NS (2ULL * 1000000000ULL)
#define RMDIR_TIMEOUT_NS (1ULL * 1000000000ULL)
#define FREEZE_TIMEOUT_NS (2ULL * 1000000000ULL)

/* The fds that go with one public struct lxm_cgroup_hierarchy. */
struct cg_fds {
	int root_fd;     /* mount point */
	int lxm_fd;      /* <mount point>/lxm */
	int fd;          /* <mount point>/lxm/<name>, O_PATH */
	int tasks_fd;    /* v1: <...>/tasks, O_WRONLY, for lxm_cgroup_enter_self() */
	bool created;    /* made by this create: removed again when it fails */
};

struct lxm_cgroup {
	char *name;                      /* the leaf: "<name>" or "<name>-<n>" */
	char *rel;                       /* "lxm/<leaf>" */
	char *owner;                     /* the mark it gets, NULL: none */
	int lock_fd;                     /* lock_starts(), -1: not held */
	enum lxm_cgroup_layout layout;
	size_t n;
	struct lxm_cgroup_hierarchy *h;
	struct cg_fds *f;
	bool destroyed;
};

static const char *const layout_names[LXM_CGROUP_LAYOUT_MAX] = {
	[LXM_CGROUP_UNIFIED] = "unified",
	[LXM_CGROUP_HYBRID] = "hybrid",
	[LXM_CGROUP_LEGACY] = "legacy",
};

const char *lxm_cgroup_layout_to_string(enum lxm_cgroup_layout l)
{
	return l < LXM_CGROUP_LAYOUT_MAX ? layout_names[l] : "unknown";
}

uint64_t lxm_cgroup_weight_to_shares(uint32_t weight)
{
	uint64_t shares = (uint64_t)weight * 1024 / 100;

	return shares < 2 ? 2 : shares;
}

static bool list_has(const char *list, const char *word)
{
	size_t len = strlen(word);

	if (!list || len == 0)
		return false;
	for (const char *p = list; p; ) {
		const char *comma = strchr(p, ',');
		size_t l = comma ? (size_t)(comma - p) : strlen(p);

		if (l == len && strncmp(p, word, len) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

bool lxm_cgroup_hierarchy_has(const struct lxm_cgroup_hierarchy *h, const char *controller)
{
	return h && !h->unified && list_has(h->controllers, controller);
}

/* ---- mountinfo ---- */

static void hierarchy_done(struct lxm_cgroup_hierarchy *h)
{
	free(h->mountpoint);
	free(h->controllers);
	free(h->path);
	*h = (struct lxm_cgroup_hierarchy){ 0 };
}

void lxm_cgroup_mounts_done(struct lxm_cgroup_mounts *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		hierarchy_done(&m->h[i]);
	free(m->h);
	*m = (struct lxm_cgroup_mounts){ 0 };
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; ) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* Super options of a v1 hierarchy minus the generic ones: what is left is
 * the controllers and "name=...". */
static bool is_generic_v1_option(const char *o)
{
	static const char *const generic[] = {
		"rw", "ro", "none", "all", "noprefix", "clone_children", "cpuset_v2_mode",
		"xattr", "favordynmods", "nofavordynmods", "sane_behavior",
	};

	for (size_t i = 0; i < ARRAY_SIZE(generic); i++)
		if (streq(o, generic[i]))
			return true;
	return lxm_startswith(o, "release_agent=");
}

static int v1_controllers(const char *superopts, char **ret)
{
	_cleanup_free_ char *copy = strdup(superopts);
	_cleanup_free_ char *out = NULL;
	size_t len = 0;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	out = calloc(1, strlen(superopts) + 1);
	if (!out)
		return -ENOMEM;
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (is_generic_v1_option(o))
			continue;
		if (strchr(o, '=') && !lxm_startswith(o, "name="))
			continue;
		if (len)
			out[len++] = ',';
		memcpy(out + len, o, strlen(o) + 1);
		len += strlen(o);
	}
	if (len == 0)
		return -EINVAL;
	*ret = TAKE_PTR(out);
	return 0;
}

struct mi_entry {
	int id, parent;
	char *root, *mountpoint, *fstype, *superopts;   /* point into the text copy */
};

/* One line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE
 * SOURCE SUPEROPTS". Returns false for lines that do not look like that. */
static bool split_line(char *line, struct mi_entry *e)
{
	char *tok[64];
	size_t n = 0, sep = 0;
	char *save = NULL, *end;
	long id, parent;

	for (char *t = strtok_r(line, " \t", &save); t && n < ARRAY_SIZE(tok); t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	for (size_t i = 6; i < n; i++)
		if (streq(tok[i], "-")) {
			sep = i;
			break;
		}
	if (sep == 0 || sep + 3 >= n || tok[4][0] != '/')
		return false;
	errno = 0;
	id = strtol(tok[0], &end, 10);
	if (errno || *end || id < 0 || id > INT32_MAX)
		return false;
	parent = strtol(tok[1], &end, 10);
	if (errno || *end || parent < 0 || parent > INT32_MAX)
		return false;
	unescape_octal(tok[3]);
	unescape_octal(tok[4]);
	*e = (struct mi_entry){
		.id = (int)id, .parent = (int)parent, .root = tok[3], .mountpoint = tok[4],
		.fstype = tok[sep + 1], .superopts = tok[sep + 3],
	};
	return true;
}

static const struct mi_entry *mi_find(const struct mi_entry *e, size_t n, int id)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].id == id)
			return &e[i];
	return NULL;
}

/* A mount is hidden when another one sits on top of it on the same mount
 * point (the other's parent is the mount itself), or when one of its
 * ancestors is hidden by something other than the mount on the path down
 * (a tmpfs mounted over /sys/fs/cgroup hides the hierarchies below it). */
static bool mi_hidden(const struct mi_entry *e, size_t n, const struct mi_entry *m)
{
	const struct mi_entry *via = NULL;

	for (int depth = 0; m && depth < 64; depth++) {
		for (size_t i = 0; i < n; i++)
			if (e[i].parent == m->id && &e[i] != m && &e[i] != via &&
			    streq(e[i].mountpoint, m->mountpoint))
				return true;
		if (m->parent == m->id)
			break;
		via = m;
		m = mi_find(e, n, m->parent);
	}
	return false;
}

static int mounts_add(struct lxm_cgroup_mounts *m, const struct mi_entry *e, bool unified,
		      char **controllers, const char **roots)
{
	struct lxm_cgroup_hierarchy *nh;
	char *mp;

	/* The same hierarchy mounted twice (a bind of a subtree, a second
	 * mount): keep the first, unless only a later one shows its root. */
	for (size_t i = 0; i < m->n; i++) {
		if (m->h[i].unified != unified || (!unified && !streq(m->h[i].controllers, *controllers)))
			continue;
		if (streq(roots[i], "/") || !streq(e->root, "/"))
			return 0;
		mp = strdup(e->mountpoint);
		if (!mp)
			return -ENOMEM;
		free(m->h[i].mountpoint);
		m->h[i].mountpoint = mp;
		roots[i] = e->root;
		return 0;
	}
	mp = strdup(e->mountpoint);
	if (!mp)
		return -ENOMEM;
	nh = realloc(m->h, (m->n + 1) * sizeof(*nh));
	if (!nh) {
		free(mp);
		return -ENOMEM;
	}
	m->h = nh;
	roots[m->n] = e->root;
	m->h[m->n++] = (struct lxm_cgroup_hierarchy){
		.mountpoint = mp,
		.controllers = TAKE_PTR(*controllers),
		.unified = unified,
	};
	return 0;
}

static int parse_entries(struct mi_entry *e, size_t n, struct lxm_cgroup_mounts *m)
{
	_cleanup_free_ const char **roots = calloc(n + 1, sizeof(*roots));

	if (!roots)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *ctrl = NULL;
		bool unified;
		int r;

		if (streq(e[i].fstype, "cgroup2"))
			unified = true;
		else if (streq(e[i].fstype, "cgroup"))
			unified = false;
		else
			continue;
		if (mi_hidden(e, n, &e[i]))
			continue;
		if (!unified) {
			r = v1_controllers(e[i].superopts, &ctrl);
			if (r == -EINVAL)
				continue;
			if (r < 0)
				return r;
		}
		r = mounts_add(m, &e[i], unified, &ctrl, roots);
		if (r < 0)
			return r;
	}
	return 0;
}

int lxm_cgroup_parse_mountinfo(const char *text, struct lxm_cgroup_mounts *ret, struct lxm_error *err)
{
	_cleanup_free_ char *copy = NULL;
	_cleanup_free_ struct mi_entry *e = NULL;
	struct lxm_cgroup_mounts m = { 0 };
	size_t n = 0, cap = 0;
	bool v2 = false, v1_controller = false;
	char *rest;
	int r;

	if (!text)
		return lxm_error_set(err, EINVAL, "parsing mountinfo");
	copy = strdup(text);
	if (!copy)
		return lxm_error_set(err, ENOMEM, "parsing mountinfo");
	rest = copy;
	while (rest) {
		char *line = strsep(&rest, "\n");
		struct mi_entry one;

		if (!split_line(line, &one))
			continue;
		if (n == cap) {
			struct mi_entry *ne;

			cap = cap ? cap * 2 : 64;
			ne = realloc(e, cap * sizeof(*e));
			if (!ne)
				return lxm_error_set(err, ENOMEM, "parsing mountinfo");
			e = ne;
		}
		e[n++] = one;
	}
	r = parse_entries(e, n, &m);
	if (r < 0) {
		lxm_cgroup_mounts_done(&m);
		return lxm_error_set(err, -r, "parsing mountinfo");
	}
	for (size_t i = 0; i < m.n; i++) {
		const char *c = m.h[i].controllers;

		if (m.h[i].unified) {
			v2 = true;
			continue;
		}
		/* a hierarchy of only "name=..." carries no controller */
		for (const char *p = c; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
			if (!lxm_startswith(p, "name="))
				v1_controller = true;
	}
	if (m.n == 0)
		return lxm_error_setr(err, ENOENT, "no cgroup hierarchy is mounted");
	if (v1_controller)
		m.layout = v2 ? LXM_CGROUP_HYBRID : LXM_CGROUP_LEGACY;
	else
		m.layout = v2 ? LXM_CGROUP_UNIFIED : LXM_CGROUP_LEGACY;
	*ret = m;
	return 0;
}

static int load_mounts(struct lxm_cgroup_mounts *ret, struct lxm_error *err)
{
	const char *path = getenv("LXM_CGROUP_MOUNTINFO");
	_cleanup_free_ char *text = NULL;
	int r;

	if (!path || !*path)
		path = "/proc/self/mountinfo";
	r = lxm_read_file_at(AT_FDCWD, path, &text, NULL);
	if (r < 0)
		return lxm_error_set(err, -r, "reading '%s'", path);
	r = lxm_cgroup_parse_mountinfo(text, ret, err);
	if (r < 0)
		return lxm_error_prefix(err, "reading '%s'", path);
	return 0;
}

int lxm_cgroup_detect(enum lxm_cgroup_layout *ret, struct lxm_error *err)
{
	struct lxm_cgroup_mounts m = { 0 };
	int r = load_mounts(&m, err);

	if (r < 0)
		return r;
	*ret = m.layout;
	lxm_cgroup_mounts_done(&m);
	return 0;
}

/* A container's cgroup is lxm/<name>, next to the files of the "lxm"
 * parent: a name that is one of them ("cgroup.procs", "tasks", "pids.max")
 * can never be its cgroup. dirfd: the parent (or the root when there is no
 * parent yet, which has most of the same files). */
static bool is_control_file(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode);
}

static int control_file_error(struct lxm_error *err, const char *name, const char *where)
{
	return lxm_error_setr(err, EEXIST, "container name '%s' is taken by the cgroup control file '%s/%s': "
			      "choose another name", name, where, name);
}

int lxm_cgroup_name_check(const char *name, struct lxm_error *err)
{
	struct lxm_cgroup_mounts m = { 0 };
	int r = load_mounts(&m, err);

	/* no cgroups mounted, or none to read: the start tells (create_one_try) */
	if (r < 0) {
		log_debug("cgroup: not checking name '%s': %s", name, err ? err->msg : strerror(-r));
		if (err)
			lxm_error_clear(err);
		return 0;
	}
	for (size_t i = 0; i < m.n && r == 0; i++) {
		_cleanup_close_ int root = open(m.h[i].mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
		_cleanup_close_ int parent = root >= 0 ? openat(root, CGROUP_PARENT, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
		_cleanup_free_ char *where = lxm_strdup_printf("%s%s", m.h[i].mountpoint, parent >= 0 ? "/" CGROUP_PARENT : "");

		if (root >= 0 && is_control_file(parent >= 0 ? parent : root, name))
			r = control_file_error(err, name, where ? where : m.h[i].mountpoint);
	}
	lxm_cgroup_mounts_done(&m);
	return r;
}

/* ---- small file helpers ---- */

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ULL), .tv_nsec = (long)(ns % 1000000000ULL) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int read_trimmed_at(int dirfd, const char *file, char **ret)
{
	char *s = NULL;
	size_t len = 0;
	int r = lxm_read_file_at(dirfd, file, &s, &len);

	if (r < 0)
		return r;
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
		s[--len] = '\0';
	*ret = s;
	return 0;
}

static int write_str_at(int dirfd, const char *file, const char *s)
{
	return lxm_write_file_at(dirfd, file, s, strlen(s), 0, 0);
}

/* "key value" lines (cgroup.events, cpu.stat) */
static int read_keyed_at(int dirfd, const char *file, const char *key, uint64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	size_t klen = strlen(key);
	int r = lxm_read_file_at(dirfd, file, &s, NULL);

	if (r < 0)
		return r;
	for (char *line = s; line && *line; ) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return lxm_parse_u64(line + klen + 1, UINT64_MAX, ret);
		line = nl ? nl + 1 : NULL;
	}
	return -ENODATA;
}

static int read_u64_at(int dirfd, const char *file, uint64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	int r = read_trimmed_at(dirfd, file, &s);

	if (r < 0)
		return r;
	return lxm_parse_u64(s, UINT64_MAX, ret);
}

/* ---- struct lxm_cgroup ---- */

void lxm_cgroup_free(struct lxm_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n; i++) {
		closep(&cg->f[i].root_fd);
		closep(&cg->f[i].lxm_fd);
		closep(&cg->f[i].fd);
		closep(&cg->f[i].tasks_fd);
		hierarchy_done(&cg->h[i]);
	}
	free(cg->h);
	free(cg->f);
	free(cg->name);
	free(cg->rel);
	free(cg->owner);
	closep(&cg->lock_fd);
	free(cg);
}

static int check_name(const char *name, struct lxm_error *err)
{
	if (!name || !*name || strchr(name, '/') || streq(name, ".") || streq(name, "..") ||
	    strlen(name) > 200)
		return lxm_error_setr(err, EINVAL, "invalid container name '%s' for a cgroup", name ? name : "");
	return 0;
}

/* The names that go with the leaf "lxm/<leaf>". */
static int set_leaf(struct lxm_cgroup *cg, const char *leaf, struct lxm_error *err)
{
	free(cg->name);
	free(cg->rel);
	cg->name = strdup(leaf);
	cg->rel = lxm_strdup_printf(CGROUP_PARENT "/%s", leaf);
	if (!cg->name || !cg->rel)
		return lxm_error_set(err, ENOMEM, "cgroup for '%s'", leaf);
	for (size_t i = 0; i < cg->n; i++) {
		free(cg->h[i].path);
		cg->h[i].path = lxm_strdup_printf("%s/%s", cg->h[i].mountpoint, cg->rel);
		if (!cg->h[i].path)
			return lxm_error_set(err, ENOMEM, "cgroup for '%s'", leaf);
	}
	return 0;
}

/* mounts: the hierarchies as lxm_cgroup_format_mounts() wrote them, or
 * NULL (or unusable): this process's mountinfo */
static int cgroup_new(const char *name, const char *mounts, struct lxm_cgroup **ret, struct lxm_error *err)
{
	_cleanup_(lxm_cgroup_freep) struct lxm_cgroup *cg = NULL;
	struct lxm_cgroup_mounts m = { 0 };
	int r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	if (!mounts || !*mounts || lxm_cgroup_parse_mountinfo(mounts, &m, NULL) < 0) {
		r = load_mounts(&m, err);
		if (r < 0)
			return r;
	}
	cg = calloc(1, sizeof(*cg));
	if (cg)
		cg->f = calloc(m.n, sizeof(*cg->f));
	if (!cg || !cg->f) {
		lxm_cgroup_mounts_done(&m);
		return lxm_error_set(err, ENOMEM, "cgroup for '%s'", name);
	}
	cg->lock_fd = -1;
	cg->layout = m.layout;
	cg->n = m.n;
	cg->h = TAKE_PTR(m.h);
	for (size_t i = 0; i < cg->n; i++)
		cg->f[i] = (struct cg_fds){ .root_fd = -1, .lxm_fd = -1, .fd = -1, .tasks_fd = -1 };
	r = set_leaf(cg, name, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(cg);
	return 0;
}

/* Drop hierarchies without a cgroup of this container. */
static void cgroup_compact(struct lxm_cgroup *cg)
{
	size_t w = 0;

	for (size_t i = 0; i < cg->n; i++) {
		/* lxm_cgroup_open_join() keeps only the 'tasks' fd of a v1 one */
		if (cg->f[i].fd < 0 && cg->f[i].tasks_fd < 0) {
			closep(&cg->f[i].root_fd);
			closep(&cg->f[i].lxm_fd);
			closep(&cg->f[i].tasks_fd);
			hierarchy_done(&cg->h[i]);
			continue;
		}
		cg->h[w] = cg->h[i];
		cg->f[w] = cg->f[i];
		w++;
	}
	cg->n = w;
}

static ssize_t find_v1(const struct lxm_cgroup *cg, const char *controller)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->f[i].fd >= 0 && lxm_cgroup_hierarchy_has(&cg->h[i], controller))
			return (ssize_t)i;
	return -1;
}

static ssize_t find_v2(const struct lxm_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->f[i].fd >= 0 && cg->h[i].unified)
			return (ssize_t)i;
	return -1;
}

/* Each hierarchy as a line of mountinfo that lxm_cgroup_parse_mountinfo()
 * reads back (only the fields it looks at are real), with the mount point
 * escaped as the kernel does. */
int lxm_cgroup_format_mounts(const struct lxm_cgroup_hierarchy *hs, size_t n_hs, char *buf, size_t size)
{
	size_t len = 0;

	if (!size)
		return -ENOBUFS;
	buf[0] = '\0';
	for (size_t i = 0; i < n_hs; i++) {
		const struct lxm_cgroup_hierarchy *h = &hs[i];
		char mp[LXM_CGROUP_MOUNT_LINE_MAX];
		size_t w = 0;
		int n;

		for (const char *c = h->mountpoint; *c; c++) {
			if (w + 5 > sizeof(mp))
				return -ENOBUFS;
			if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\\')
				w += (size_t)snprintf(mp + w, sizeof(mp) - w, "\\%03o", (unsigned char)*c);
			else
				mp[w++] = *c;
		}
		mp[w] = '\0';
		if (!h->unified && (!h->controllers || strpbrk(h->controllers, " \t\n")))
			return -EINVAL;
		n = snprintf(buf + len, size - len, "%zu 0 0:0 / %s rw - %s %s rw%s%s\n", i + 1, mp,
			     h->unified ? "cgroup2" : "cgroup", h->unified ? "cgroup2" : "cgroup",
			     h->unified ? "" : ",", h->unified ? "" : h->controllers);
		if (n < 0 || (size_t)n >= size - len || n >= LXM_CGROUP_MOUNT_LINE_MAX)
			return -ENOBUFS;
		len += (size_t)n;
	}
	return (int)len;
}

const struct lxm_cgroup_hierarchy *lxm_cgroup_hierarchies(const struct lxm_cgroup *cg, size_t *ret_n)
{
	*ret_n = cg ? cg->n : 0;
	return cg ? cg->h : NULL;
}

const char *lxm_cgroup_rel_path(const struct lxm_cgroup *cg)
{
	return cg ? cg->rel : NULL;
}

int lxm_cgroup_v2_fd(const struct lxm_cgroup *cg)
{
	ssize_t i;

	if (!cg || cg->destroyed)
		return -1;
	i = find_v2(cg);
	return i < 0 ? -1 : cg->f[i].fd;
}

int lxm_cgroup_v2_open_of(const struct lxm_cgroup *cg, pid_t pid)
{
	_cleanup_free_ char *text = NULL;
	char path[64], *line, *rel;
	size_t len;
	ssize_t i;

	if (!cg || cg->destroyed || (i = find_v2(cg)) < 0)
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (lxm_read_file_at(AT_FDCWD, path, &text, NULL) < 0)
		return -ENOENT;
	for (line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (lxm_startswith(line, "0::/"))
			break;
	if (!line)
		return -ENOENT;
	rel = line + 4;
	rel[strcspn(rel, "\n")] = '\0';
	/* "lxm/NAME/sub/dir", in this process's cgroup namespace */
	len = strlen(cg->rel);
	if (strncmp(rel, cg->rel, len) != 0 || (rel[len] != '/' && rel[len] != '\0'))
		return -EXDEV;
	rel += len;
	while (*rel == '/')
		rel++;
	if (!*rel)
		return fcntl(cg->f[i].fd, F_DUPFD_CLOEXEC, 3);
	if (strstr(rel, "..") || strstr(rel, "//"))
		return -EINVAL;
	{
		int fd = openat(cg->f[i].fd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		return fd < 0 ? -errno : fd;
	}
}

bool lxm_cgroup_has_v1(const struct lxm_cgroup *cg)
{
	if (!cg || cg->destroyed)
		return false;
	for (size_t i = 0; i < cg->n; i++)
		if (!cg->h[i].unified && cg->f[i].fd >= 0)
			return true;
	return false;
}

/* ---- create ---- */

/* v2: a controller is usable in a child only when the parent lists it in
 * cgroup.subtree_control. Best effort: a controller that cannot be enabled
 * (EBUSY with processes in a non-root parent, ENOTSUP for an rt task in
 * cpu, the empty unified hierarchy of a hybrid host) is reported later, by
 * the limit that needs it. */
static void enable_controllers(int dirfd, const char *where)
{
	static const char *const wanted[] = { "cpu", "memory", "pids", "cpuset", "io" };
	_cleanup_free_ char *avail = NULL, *enabled = NULL, *procs = NULL;

	/* A non-root cgroup with processes in it (the cgroup namespace root
	 * of a container that runs lxm: its init is there) takes the
	 * threaded controllers (cpu, pids, cpuset) anyway and becomes a
	 * thread root, and then no cgroup below it can hold a process
	 * (clone3 into one fails with EOPNOTSUPP): leave it alone. The real
	 * root has no cgroup.type. */
	if (faccessat(dirfd, "cgroup.type", F_OK, 0) == 0 && read_trimmed_at(dirfd, "cgroup.procs", &procs) == 0 &&
	    procs[0]) {
		log_debug("cgroup: '%s' holds processes: no controllers enabled for its children", where);
		return;
	}
	if (read_trimmed_at(dirfd, "cgroup.controllers", &avail) < 0 ||
	    read_trimmed_at(dirfd, "cgroup.subtree_control", &enabled) < 0) {
		log_debug("cgroup: cannot read the controllers of '%s', ignoring", where);
		return;
	}
	for (char *p = avail; *p; p++)
		if (*p == ' ')
			*p = ',';
	for (char *p = enabled; *p; p++)
		if (*p == ' ')
			*p = ',';
	for (size_t i = 0; i < ARRAY_SIZE(wanted); i++) {
		char buf[32];
		int r;

		if (!list_has(avail, wanted[i]) || list_has(enabled, wanted[i]))
			continue;
		snprintf(buf, sizeof(buf), "+%s", wanted[i]);
		r = write_str_at(dirfd, "cgroup.subtree_control", buf);
		if (r < 0)
			log_debug("cgroup: enabling '%s' in '%s/cgroup.subtree_control': %s, ignoring",
				  wanted[i], where, strerror(-r));
	}
}

/* v1 cpuset starts with empty cpus and mems, and a task cannot join such a
 * cpuset (ENOSPC): copy the parent's before anything joins. */
static int copy_cpuset(int parent_fd, int child_fd, const char *child_path, struct lxm_error *err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *cur = NULL, *val = NULL;
		int r;

		r = read_trimmed_at(child_fd, files[i], &cur);
		if (r < 0)
			return lxm_error_set(err, -r, "reading '%s/%s'", child_path, files[i]);
		if (cur[0])
			continue;
		r = read_trimmed_at(parent_fd, files[i], &val);
		if (r < 0)
			return lxm_error_set(err, -r, "reading the parent of '%s' for '%s'", child_path, files[i]);
		r = write_str_at(child_fd, files[i], val);
		if (r < 0)
			return lxm_error_set(err, -r, "writing '%s' into '%s/%s'", val, child_path, files[i]);
	}
	return 0;
}

/* Whether any task is in the cgroup at dirfd or below it (v1 has no
 * "populated" for a subtree in a file). */
static int subtree_has_tasks(int cgfd, bool *ret)
{
	_cleanup_free_ char *procs = NULL;
	DIR *d;
	struct dirent *de;
	int fd, r;

	r = lxm_read_file_at(cgfd, "cgroup.procs", &procs, NULL);
	if (r < 0)
		return r;
	if (procs[0]) {
		*ret = true;
		return 0;
	}
	fd = openat(cgfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	*ret = false;
	r = 0;
	while ((de = readdir(d)) && !*ret) {
		int sub;

		if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		sub = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (sub < 0)
			continue;
		r = subtree_has_tasks(sub, ret);
		close(sub);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

static int cgroup_in_use(const struct lxm_cgroup *cg, size_t i, bool *ret)
{
	uint64_t populated;

	if (cg->h[i].unified && read_keyed_at(cg->f[i].fd, "cgroup.events", "populated", &populated) == 0) {
		*ret = populated != 0;
		return 0;
	}
	return subtree_has_tasks(cg->f[i].fd, ret);
}

static int open_dir_at(int dirfd, const char *name, int flags)
{
	return openat(dirfd, name, flags | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

static int rmdir_tree(int parent_fd, const char *name, const char *path, uint64_t deadline,
		      struct lxm_error *err);

/* A cgroup of this name that a crash left behind (a monitor killed, then
 * init gone, with nobody to clean up): with tasks in it, the name is taken
 * (EBUSY); empty, it goes, sub-cgroups included, and the caller makes it
 * anew. Reused as it was, it would hand the new container the old one's
 * limits (lxm-cgroup --no-persist values, raw files such as memory.high,
 * a cpuset the config no longer has), since only the limits the config
 * sets are written, and on v2 the controllers the old init enabled in its
 * cgroup.subtree_control, which make clone3 into it fail (EBUSY). */
static int remove_leftover(struct lxm_cgroup *cg, size_t i, struct lxm_error *err)
{
	struct cg_fds *f = &cg->f[i];
	const char *path = cg->h[i].path;
	bool busy = false;
	int r;

	f->fd = open_dir_at(f->lxm_fd, cg->name, O_PATH);
	if (f->fd < 0)
		return lxm_error_set(err, errno, "opening the leftover cgroup '%s'", path);
	r = cgroup_in_use(cg, i, &busy);
	closep(&f->fd);
	f->fd = -1;
	if (r < 0)
		return lxm_error_set(err, -r, "checking the leftover cgroup '%s'", path);
	if (busy)
		return lxm_error_setr(err, EBUSY, "cgroup '%s' still has processes (left by an earlier run? "
				      "lxm-stop kills them)", path);
	r = rmdir_tree(f->lxm_fd, cg->name, path, lxm_now_ns() + RMDIR_TIMEOUT_NS, err);
	if (r < 0)
		return r;
	log_debug("cgroup: removed the empty leftover '%s'", path);
	return 0;
}

static int create_one_try(struct lxm_cgroup *cg, size_t i, struct lxm_error *err);

/* Another container's stop may remove the empty "lxm" parent between our
 * mkdir of it and of the container's cgroup (ENOENT): start over. */
static int create_one(struct lxm_cgroup *cg, size_t i, struct lxm_error *err)
{
	int r = -ENOENT;

	for (int attempt = 0; attempt < 5 && r == -ENOENT; attempt++) {
		struct cg_fds *f = &cg->f[i];

		closep(&f->root_fd);
		closep(&f->lxm_fd);
		f->root_fd = f->lxm_fd = -1;
		if (err)
			lxm_error_clear(err);
		r = create_one_try(cg, i, err);
	}
	return r;
}

/* The one hierarchy whose cgroups carry the owner marks, and whose root
 * the starts lock: the first by mount point (the same for every start). A
 * mark in each of the ten v1 hierarchies cost a start ~0.1 ms more. */
static size_t mark_hierarchy(const struct lxm_cgroup *cg)
{
	size_t k = 0;

	for (size_t i = 1; i < cg->n; i++)
		if (strcmp(cg->h[i].mountpoint, cg->h[k].mountpoint) < 0)
			k = i;
	return k;
}

/* The owner mark on a cgroup this start made: trusted.*, which only the
 * host's root may set (the container's root owns its cgroup directory
 * once delegated, and could rewrite a user.* mark), else user.* (a nested
 * lxm, in a user namespace). Where neither can be had (before 5.7, a
 * directory not ours), the cgroup stays unmarked, as before marks. */
static void mark_owner(const struct lxm_cgroup *cg, size_t i)
{
	_cleanup_close_ int fd = -1;

	if (!cg->owner || i != mark_hierarchy(cg))
		return;
	fd = open_dir_at(cg->f[i].lxm_fd, cg->name, O_RDONLY);
	if (fd >= 0 && (fsetxattr(fd, LXM_CGROUP_OWNER_XATTR, cg->owner, strlen(cg->owner), 0) == 0 ||
			fsetxattr(fd, LXM_CGROUP_OWNER_XATTR_USER, cg->owner, strlen(cg->owner), 0) == 0))
		return;
	log_debug("cgroup: marking '%s' as '%s': %s, ignoring", cg->h[i].path, cg->owner, strerror(errno));
}

/* A cgroup's owner mark (mark_owner) into buf; -errno when it has none. */
static int read_owner(int fd, char *buf, size_t size)
{
	ssize_t len = fgetxattr(fd, LXM_CGROUP_OWNER_XATTR, buf, size - 1);

	if (len < 0 && (errno == ENODATA || errno == EPERM || errno == EOPNOTSUPP))
		len = fgetxattr(fd, LXM_CGROUP_OWNER_XATTR_USER, buf, size - 1);
	if (len < 0)
		return -errno;
	buf[len] = '\0';
	return 0;
}

static int create_one_try(struct lxm_cgroup *cg, size_t i, struct lxm_error *err)
{
	struct lxm_cgroup_hierarchy *h = &cg->h[i];
	struct cg_fds *f = &cg->f[i];
	bool cpuset = lxm_cgroup_hierarchy_has(h, "cpuset");
	bool new_parent = false;
	int r;

	f->root_fd = open(h->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->root_fd < 0)
		return lxm_error_set(err, errno, "opening cgroup hierarchy '%s'", h->mountpoint);
	if (h->unified)
		enable_controllers(f->root_fd, h->mountpoint);

	if (mkdirat(f->root_fd, CGROUP_PARENT, 0755) == 0)
		new_parent = true;
	else if (errno != EEXIST)
		return lxm_error_set(err, errno, "creating cgroup '%s/" CGROUP_PARENT "'", h->mountpoint);
	f->lxm_fd = open_dir_at(f->root_fd, CGROUP_PARENT, O_PATH);
	if (f->lxm_fd < 0)
		return lxm_error_set(err, errno, "opening cgroup '%s/" CGROUP_PARENT "'", h->mountpoint);

	if (cpuset) {
		_cleanup_free_ char *p = lxm_strdup_printf("%s/" CGROUP_PARENT, h->mountpoint);

		r = copy_cpuset(f->root_fd, f->lxm_fd, p ? p : h->mountpoint, err);
		if (r < 0)
			return r;
	}
	if (new_parent && lxm_cgroup_hierarchy_has(h, "memory")) {
		/* Gone from v2, always 1 since 6.x; older v1 kernels default
		 * to 0, which would let a container escape its limit through
		 * sub-cgroups. Only a new, childless cgroup may change it. */
		_cleanup_free_ char *v = NULL;

		if (read_trimmed_at(f->lxm_fd, "memory.use_hierarchy", &v) == 0 && streq(v, "0")) {
			r = write_str_at(f->lxm_fd, "memory.use_hierarchy", "1");
			if (r < 0)
				log_debug("cgroup: setting '%s/" CGROUP_PARENT "/memory.use_hierarchy': %s, ignoring",
					  h->mountpoint, strerror(-r));
		}
	}
	if (h->unified) {
		_cleanup_free_ char *p = lxm_strdup_printf("%s/" CGROUP_PARENT, h->mountpoint);

		enable_controllers(f->lxm_fd, p ? p : h->mountpoint);
	}

	if (mkdirat(f->lxm_fd, cg->name, 0755) < 0) {
		if (errno != EEXIST)
			return lxm_error_set(err, errno, "creating cgroup '%s'", h->path);
		if (is_control_file(f->lxm_fd, cg->name)) {
			_cleanup_free_ char *p = lxm_strdup_printf("%s/" CGROUP_PARENT, h->mountpoint);

			return control_file_error(err, cg->name, p ? p : h->mountpoint);
		}
		r = remove_leftover(cg, i, err);
		if (r < 0)
			return r;
		if (mkdirat(f->lxm_fd, cg->name, 0755) < 0)
			return lxm_error_set(err, errno, "creating cgroup '%s'", h->path);
	}
	f->created = true;
	f->fd = open_dir_at(f->lxm_fd, cg->name, O_PATH);
	if (f->fd < 0)
		return lxm_error_set(err, errno, "opening cgroup '%s'", h->path);
	mark_owner(cg, i);
	if (cpuset) {
		r = copy_cpuset(f->lxm_fd, f->fd, h->path, err);
		if (r < 0)
			return r;
	}
	if (!h->unified) {
		f->tasks_fd = openat(f->fd, "tasks", O_WRONLY | O_CLOEXEC);
		if (f->tasks_fd < 0)
			return lxm_error_set(err, errno, "opening '%s/tasks'", h->path);
	}
	return 0;
}

static bool v2_has_controller(const struct lxm_cgroup *cg, size_t i, const char *controller)
{
	_cleanup_free_ char *avail = NULL;

	if (read_trimmed_at(cg->f[i].fd, "cgroup.controllers", &avail) < 0)
		return false;
	for (char *p = avail; *p; p++)
		if (*p == ' ')
			*p = ',';
	return list_has(avail, controller);
}

int lxm_cgroup_controller_fd(const struct lxm_cgroup *cg, const char *controller, bool *ret_unified,
			     const char **ret_path)
{
	ssize_t i;

	if (!cg || cg->destroyed)
		return -ENOENT;
	i = controller ? find_v1(cg, controller) : -1;
	if (i < 0) {
		i = find_v2(cg);
		if (i < 0 || (controller && !v2_has_controller(cg, (size_t)i, controller)))
			return -ENOENT;
	}
	if (ret_unified)
		*ret_unified = cg->h[i].unified;
	if (ret_path)
		*ret_path = cg->h[i].path;
	return cg->f[i].fd;
}

/* The limits that are set, each through cgroup-limits.c. memory_swap and
 * io_weight depend on host features (swap accounting; an I/O scheduler or
 * iocost that has weights): where the host lacks them the start goes on
 * with one warning each. */
static int apply_limits(const struct lxm_cgroup *cg, const struct lxm_cgroup_limits *l, struct lxm_error *err)
{
	if (!l)
		return 0;
	for (int k = 0; k < LXM_LIMIT_MAX; k++) {
		int r;

		if (!lxm_cgroup_limit_is_set(l, (enum lxm_limit)k))
			continue;
		r = lxm_cgroup_limit_apply(cg, (enum lxm_limit)k, l, err);
		if (r == -EOPNOTSUPP) {
			char text[LXM_ERROR_MSG_MAX + 64];

			log_warn("%s, ignoring", lxm_error_text(err, text, sizeof(text)));
			lxm_error_clear(err);
			continue;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* The device policy (devcg.c: the standard nodes of the container's /dev
 * and its ptys, plus the config's devices): with a v1 devices controller,
 * everything denied and then each rule allowed; without one (a pure v2
 * host), a BPF device program on the v2 cgroup. mknod of a block device, or
 * opening one bound in, fails with EPERM either way. On a hybrid host both
 * would apply; the v1 controller alone is used there. */

static int apply_devices(const struct lxm_cgroup *cg, const struct lxm_devcg_rule *rules, size_t n_rules,
			 struct lxm_error *err)
{
	bool v1 = false;
	ssize_t v2;
	int r;

	for (size_t i = 0; i < cg->n; i++) {
		if (cg->h[i].unified || !lxm_cgroup_hierarchy_has(&cg->h[i], "devices"))
			continue;
		r = write_str_at(cg->f[i].fd, "devices.deny", "a");
		if (r == -EPERM && lxm_devcg_confined()) {
			/* only init's user namespace may change a device
			 * cgroup: a nested container keeps the policy of the
			 * container it runs in (its cgroup is a child of it) */
			log_debug("cgroup: %s: device policy is the outer container's (user namespace), ignoring",
				  cg->h[i].path);
			continue;
		}
		if (r < 0)
			return lxm_error_set(err, -r, "setting 'devices.deny' for '%s'", cg->rel);
		v1 = true;
		for (size_t k = 0; k < n_rules; k++) {
			char line[64];

			r = lxm_devcg_rule_format(&rules[k], line, sizeof(line));
			if (r >= 0)
				r = write_str_at(cg->f[i].fd, "devices.allow", line);
			if (r < 0)
				return lxm_error_set(err, -r, "allowing device '%s' for '%s'", line, cg->rel);
		}
		log_debug("cgroup: %s: device policy set", cg->h[i].path);
	}
	v2 = find_v2(cg);
	if (v1 || v2 < 0)
		return 0;
	r = lxm_devcg_attach(cg->f[v2].fd, rules, n_rules, err);
	if (r == -EPERM && lxm_devcg_confined()) {
		/* loading BPF takes CAP_BPF/CAP_SYS_ADMIN in init's user
		 * namespace, and lxm's seccomp policy denies bpf(2): a nested
		 * container keeps the outer container's program, which its
		 * cgroup (a descendant) inherits */
		log_debug("cgroup: %s: device program is the outer container's (user namespace), ignoring",
			  cg->h[v2].path);
		lxm_error_clear(err);
		return 0;
	}
	if (r < 0)
		return lxm_error_prefix(err, "cgroup '%s'", cg->rel);
	log_debug("cgroup: %s: device program attached", cg->h[v2].path);
	return 0;
}

int lxm_cgroup_set_devices(const struct lxm_cgroup *cg, const struct lxm_devcg_rule *rules, size_t n_rules,
			   struct lxm_error *err)
{
	if (!cg || cg->destroyed)
		return lxm_error_set(err, ENOENT, "setting the device policy of a removed cgroup");
	return apply_devices(cg, rules, n_rules, err);
}

/* ---- removal ---- */

/* rmdir every cgroup below the one that fd (O_RDONLY) is, leaf first;
 * path names it in messages. */
static int remove_subcgroups(int fd, const char *path, uint64_t deadline, struct lxm_error *err)
{
	char **subs = NULL;
	size_t n = 0;
	int r = 0;
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;

	if (!d) {
		r = -errno;
		if (dfd >= 0)
			close(dfd);
		return lxm_error_set(err, -r, "reading cgroup '%s'", path);
	}
	for (struct dirent *de; (de = readdir(d)); ) {
		char **ns;

		if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		ns = realloc(subs, (n + 1) * sizeof(*subs));
		if (ns)
			subs = ns;
		if (!ns || !(subs[n] = strdup(de->d_name))) {
			r = lxm_error_set(err, ENOMEM, "reading cgroup '%s'", path);
			break;
		}
		n++;
	}
	closedir(d);
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *sub = lxm_strdup_printf("%s/%s", path, subs[i]);

		r = sub ? rmdir_tree(fd, subs[i], sub, deadline, err)
			: lxm_error_set(err, ENOMEM, "removing cgroup '%s'", path);
	}
	lxm_strv_free(subs, n);
	return r;
}

/* rmdir parent_fd/name and everything below it, leaf first. A cgroup whose
 * last task just exited may still be busy for a moment (the task is past
 * the point where cgroup.procs lists it, not yet past cgroup_exit()). */
static int rmdir_tree(int parent_fd, const char *name, const char *path, uint64_t deadline,
		      struct lxm_error *err)
{
	_cleanup_close_ int fd = open_dir_at(parent_fd, name, O_RDONLY);
	int r;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return lxm_error_set(err, errno, "opening cgroup '%s'", path);
	}
	r = remove_subcgroups(fd, path, deadline, err);
	if (r < 0)
		return r;
	for (;;) {
		if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || lxm_now_ns() >= deadline)
			return lxm_error_set(err, errno, "removing cgroup '%s'", path);
		sleep_ns(5 * 1000 * 1000);
	}
}

/* The shared "lxm" parent goes with its last container, so a host with no
 * container has no lxm cgroup left. A parent that still holds another
 * container refuses the rmdir (EBUSY/ENOTEMPTY), which is fine; a create
 * racing with this retries (see create_one). */
static void remove_parent_if_empty(struct cg_fds *f)
{
	if (f->root_fd >= 0)
		(void)unlinkat(f->root_fd, CGROUP_PARENT, AT_REMOVEDIR);
}

static void undo_create(struct lxm_cgroup *cg)
{
	uint64_t deadline = lxm_now_ns() + RMDIR_TIMEOUT_NS;

	for (size_t i = cg->n; i-- > 0; ) {
		struct lxm_error e = { 0 };

		if (cg->f[i].lxm_fd < 0)
			continue;
		/* the parent too where this start made it and failed before
		 * its own cgroup (a name that is a control file's) */
		if (!cg->f[i].created)
			remove_parent_if_empty(&cg->f[i]);
		else if (rmdir_tree(cg->f[i].lxm_fd, cg->name, cg->h[i].path, deadline, &e) < 0)
			log_debug("cgroup: undo: %s: %s, ignoring", e.msg, strerror(e.code));
		else
			remove_parent_if_empty(&cg->f[i]);
		cg->f[i].created = false;
	}
}

/* ---- names and owners ---- */

int lxm_cgroup_owner_format(uint64_t dev, uint64_t ino, const char *dir, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%" PRIu64 ":%" PRIu64 " %s", dev, ino, dir ? dir : "");

	return n < 0 || (size_t)n >= size ? -ENOBUFS : 0;
}

int lxm_cgroup_owner_of(const char *cdir, char *buf, size_t size)
{
	struct stat st;

	if (stat(cdir, &st) < 0)
		return -errno;
	return lxm_cgroup_owner_format((uint64_t)st.st_dev, (uint64_t)st.st_ino, cdir, buf, size);
}

bool lxm_cgroup_owner_same(const char *a, const char *b)
{
	size_t la, lb;

	if (!a || !b)
		return false;
	la = strcspn(a, " ");
	lb = strcspn(b, " ");
	/* "<dev>:<ino>": the path is for people only */
	return la > 0 && la == lb && strncmp(a, b, la) == 0 && memchr(a, ':', la);
}

int lxm_cgroup_leaf_name(const char *name, unsigned n, char *buf, size_t size)
{
	int w = n == 0 ? snprintf(buf, size, "%s", name) : snprintf(buf, size, "%s-%u", name, n);

	return w < 0 || (size_t)w >= size ? -ENOBUFS : 0;
}

int lxm_cgroup_pick(const enum lxm_cgroup_claim *claims, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (claims[i] == LXM_CGROUP_OWN)
			return (int)i;
	if (n > 0 && (claims[0] == LXM_CGROUP_FREE || claims[0] == LXM_CGROUP_UNMARKED))
		return 0;
	/* an unmarked "<name>-<n>" is nobody's leftover: only marked starts
	 * make those */
	for (size_t i = 1; i < n; i++)
		if (claims[i] == LXM_CGROUP_FREE)
			return (int)i;
	return -1;
}

const char *lxm_cgroup_recorded_leaf(const char *recorded, const char *name)
{
	const char *leaf;

	if (!recorded || !lxm_startswith(recorded, CGROUP_PARENT "/"))
		return name;
	leaf = recorded + strlen(CGROUP_PARENT "/");
	return check_name(leaf, NULL) < 0 ? name : leaf;
}

int lxm_cgroup_check_owner(const struct lxm_cgroup *cg, const char *owner, struct lxm_error *err)
{
	_cleanup_close_ int fd = -1;
	char mark[LXM_CGROUP_OWNER_MAX];
	const char *who;
	size_t i;

	if (!owner || cg->n == 0)
		return 0;
	i = mark_hierarchy(cg);
	fd = cg->f[i].fd >= 0 ? openat(cg->f[i].fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	/* unmarked: as before marks */
	if (fd < 0 || read_owner(fd, mark, sizeof(mark)) < 0 || lxm_cgroup_owner_same(mark, owner))
		return 0;
	who = strchr(mark, ' ');
	return lxm_error_setr(err, ENOENT, "its cgroup '%s' is another container's now ('%s')", cg->rel,
			      who ? who + 1 : mark);
}

/* Starts and the stop of a container without its state file judge the
 * names by their marks, and a start marks what it made only after its
 * mkdir: they take turns, by a flock on the root of one hierarchy (the
 * first by mount point, the same for all of them). Only they take it. */
static int lock_starts(const struct lxm_cgroup *cg, struct lxm_error *err)
{
	const char *mp;
	int fd, r;

	if (cg->n == 0)
		return lxm_error_set(err, ENOENT, "no cgroup hierarchy to lock");
	mp = cg->h[mark_hierarchy(cg)].mountpoint;
	fd = open(mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return lxm_error_set(err, errno, "opening cgroup hierarchy '%s'", mp);
	/* the others hold it for a scan and some mkdirs: 10 s is a hang */
	r = lxm_flock_retry(fd, 10000, 1000);
	if (r < 0) {
		close(fd);
		return lxm_error_set(err, -r, "locking cgroup hierarchy '%s' against other starts", mp);
	}
	return fd;
}

/* The claim on each name of the container (lxm_cgroup_leaf_name), from
 * the hierarchy that carries the marks (a leftover only in others, of a
 * crash halfway through a create, is handled as before marks: made anew
 * when empty, EBUSY when not). The names are looked up one after the
 * other, not found by listing the parent: a start costs the same with
 * hundreds of containers running. The look ends at the first name after
 * "<name>" that is not there; an own leftover beyond such a gap (a crashed
 * run's "-2" once "-1" went) is not seen and stays, empty. */
static int scan_claims(const struct lxm_cgroup *cg, const char *name, const char *owner,
		       enum lxm_cgroup_claim claims[LXM_CGROUP_LEAF_TRIES], struct lxm_error *err)
{
	const char *mp = cg->n ? cg->h[mark_hierarchy(cg)].mountpoint : NULL;
	_cleanup_close_ int root = -1, parent = -1;

	for (size_t k = 0; k < LXM_CGROUP_LEAF_TRIES; k++)
		claims[k] = LXM_CGROUP_FREE;
	if (!mp)
		return 0;
	root = open(mp, O_PATH | O_DIRECTORY | O_CLOEXEC);
	parent = root >= 0 ? open_dir_at(root, CGROUP_PARENT, O_PATH) : -1;
	if (parent < 0)
		return errno == ENOENT ? 0 : lxm_error_set(err, errno, "reading cgroup '%s/" CGROUP_PARENT "'", mp);
	for (size_t k = 0; k < LXM_CGROUP_LEAF_TRIES; k++) {
		_cleanup_close_ int fd = -1;
		char leaf[256], mark[LXM_CGROUP_OWNER_MAX];

		if (lxm_cgroup_leaf_name(name, (unsigned)k, leaf, sizeof(leaf)) < 0)
			break;
		fd = open_dir_at(parent, leaf, O_RDONLY);
		if (fd < 0) {
			if (k > 0)
				break;
			continue;   /* "<name>" free: its own leftover may be at "-1" */
		}
		if (read_owner(fd, mark, sizeof(mark)) < 0)
			claims[k] = LXM_CGROUP_UNMARKED;
		else
			claims[k] = lxm_cgroup_owner_same(mark, owner) ? LXM_CGROUP_OWN : LXM_CGROUP_OTHER;
	}
	return 0;
}

/* Under the lock: the name this start of container name takes. */
static int pick_leaf(struct lxm_cgroup *cg, const char *name, struct lxm_error *err)
{
	enum lxm_cgroup_claim claims[LXM_CGROUP_LEAF_TRIES];
	char leaf[256];
	int k, r;

	r = scan_claims(cg, name, cg->owner, claims, err);
	if (r < 0)
		return r;
	k = lxm_cgroup_pick(claims, LXM_CGROUP_LEAF_TRIES);
	if (k < 0)
		return lxm_error_setr(err, EBUSY, "no free cgroup name: '" CGROUP_PARENT "/%s' to '" CGROUP_PARENT
				      "/%s-%d' are other containers'", name, name, LXM_CGROUP_LEAF_TRIES - 1);
	if (lxm_cgroup_leaf_name(name, (unsigned)k, leaf, sizeof(leaf)) < 0 || check_name(leaf, NULL) < 0)
		return lxm_error_setr(err, ENAMETOOLONG, "no cgroup name for '%s': too long", name);
	if (k > 0 || claims[0] == LXM_CGROUP_OTHER)
		log_debug("cgroup: '" CGROUP_PARENT "/%s' is another container's, taking '" CGROUP_PARENT "/%s'",
			  name, leaf);
	return set_leaf(cg, leaf, err);
}

int lxm_cgroup_open_own(const char *name, const char *owner, struct lxm_cgroup **ret, struct lxm_error *err)
{
	_cleanup_(lxm_cgroup_freep) struct lxm_cgroup *cg = NULL;
	enum lxm_cgroup_claim claims[LXM_CGROUP_LEAF_TRIES];
	char leaf[256];
	int lock_fd, k = -1, r;

	r = cgroup_new(name, NULL, &cg, err);
	if (r < 0)
		return r;
	lock_fd = lock_starts(cg, err);
	if (lock_fd < 0)
		return lock_fd;
	r = scan_claims(cg, name, owner, claims, err);
	if (r < 0) {
		close(lock_fd);
		return r;
	}
	for (size_t i = 0; i < LXM_CGROUP_LEAF_TRIES && k < 0; i++)
		if (claims[i] == LXM_CGROUP_OWN)
			k = (int)i;
	/* "<name>" unmarked, or not in the hierarchy of the marks (a crash
	 * halfway through a create, a leftover in some hierarchies): as
	 * before marks */
	if (k < 0 && (claims[0] == LXM_CGROUP_UNMARKED || claims[0] == LXM_CGROUP_FREE))
		k = 0;
	if (k < 0) {
		close(lock_fd);
		return lxm_error_setr(err, ENOENT, "no cgroup of the container");
	}
	lxm_cgroup_free(TAKE_PTR(cg));
	if (lxm_cgroup_leaf_name(name, (unsigned)k, leaf, sizeof(leaf)) < 0) {
		close(lock_fd);
		return lxm_error_setr(err, ENAMETOOLONG, "no cgroup name for '%s': too long", name);
	}
	r = lxm_cgroup_open(leaf, &cg, err);
	if (r < 0) {
		close(lock_fd);
		return r;
	}
	cg->lock_fd = lock_fd;
	*ret = TAKE_PTR(cg);
	return 0;
}

int lxm_cgroup_create(const char *name, const char *owner, const struct lxm_cgroup_limits *limits,
		      struct lxm_cgroup **ret, struct lxm_error *err)
{
	_cleanup_(lxm_cgroup_freep) struct lxm_cgroup *cg = NULL;
	int r;

	if (limits && limits->cpu_weight > 10000)
		return lxm_error_setr(err, EINVAL, "cpu weight %" PRIu32 " is out of range (1-10000)",
				      limits->cpu_weight);
	r = cgroup_new(name, NULL, &cg, err);
	if (r < 0)
		return r;
	if (owner) {
		cg->owner = strdup(owner);
		if (!cg->owner)
			return lxm_error_set(err, ENOMEM, "cgroup for '%s'", name);
		cg->lock_fd = lock_starts(cg, err);
		if (cg->lock_fd < 0)
			return cg->lock_fd;
		r = pick_leaf(cg, name, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < cg->n; i++) {
		r = create_one(cg, i, err);
		if (r >= 0)
			continue;
		if (cg->layout == LXM_CGROUP_HYBRID && cg->h[i].unified) {
			/* The unified hierarchy of a hybrid host carries no
			 * controller: without it the container only loses
			 * CLONE_INTO_CGROUP. */
			char buf[LXM_ERROR_MSG_MAX + 64];

			log_debug("cgroup: %s, ignoring", lxm_error_text(err, buf, sizeof(buf)));
			lxm_error_clear(err);
			if (cg->f[i].created && cg->f[i].lxm_fd >= 0)
				(void)unlinkat(cg->f[i].lxm_fd, cg->name, AT_REMOVEDIR);
			remove_parent_if_empty(&cg->f[i]);
			cg->f[i].created = false;
			closep(&cg->f[i].fd);
			cg->f[i].fd = -1;
			continue;
		}
		goto fail;
	}
	cgroup_compact(cg);
	/* every hierarchy has it, marked: the next start sees it taken */
	closep(&cg->lock_fd);
	cg->lock_fd = -1;
	r = apply_limits(cg, limits, err);
	if (r < 0)
		goto fail;

	log_debug("cgroup: created '%s' in %zu hierarchies (%s)", cg->rel, cg->n,
		  lxm_cgroup_layout_to_string(cg->layout));
	*ret = TAKE_PTR(cg);
	return 0;
fail:
	undo_create(cg);
	return r;
}

/* The end of lxm_cgroup_open() and lxm_cgroup_open_join(): each v1
 * hierarchy found gets its 'tasks' fd (only lxm_cgroup_enter_self() needs
 * it: not fatal), the ones not found are dropped, and none at all is an
 * error. */
static int open_done(struct lxm_cgroup **cgp, struct lxm_cgroup **ret, struct lxm_error *err)
{
	struct lxm_cgroup *cg = *cgp;

	for (size_t i = 0; i < cg->n; i++) {
		struct cg_fds *f = &cg->f[i];

		if (cg->h[i].unified || f->fd < 0)
			continue;
		f->tasks_fd = openat(f->fd, "tasks", O_WRONLY | O_CLOEXEC);
		if (f->tasks_fd < 0)
			log_debug("cgroup: opening '%s/tasks': %s, ignoring", cg->h[i].path, strerror(errno));
	}
	cgroup_compact(cg);
	if (cg->n == 0)
		return lxm_error_set(err, ENOENT, "opening cgroup '%s'", cg->rel);
	*ret = TAKE_PTR(*cgp);
	return 0;
}

int lxm_cgroup_open(const char *name, struct lxm_cgroup **ret, struct lxm_error *err)
{
	_cleanup_(lxm_cgroup_freep) struct lxm_cgroup *cg = NULL;
	int r;

	r = cgroup_new(name, NULL, &cg, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < cg->n; i++) {
		struct lxm_cgroup_hierarchy *h = &cg->h[i];
		struct cg_fds *f = &cg->f[i];

		f->root_fd = open(h->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (f->root_fd < 0)
			return lxm_error_set(err, errno, "opening cgroup hierarchy '%s'", h->mountpoint);
		f->lxm_fd = open_dir_at(f->root_fd, CGROUP_PARENT, O_PATH);
		if (f->lxm_fd < 0) {
			if (errno == ENOENT)
				continue;
			return lxm_error_set(err, errno, "opening cgroup '%s/" CGROUP_PARENT "'", h->mountpoint);
		}
		f->fd = open_dir_at(f->lxm_fd, cg->name, O_PATH);
		if (f->fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR)   /* a control file's name: none */
				continue;
			return lxm_error_set(err, errno, "opening cgroup '%s'", h->path);
		}
	}
	return open_done(&cg, ret, err);
}

int lxm_cgroup_open_join(const char *name, const char *mounts, struct lxm_cgroup **ret, struct lxm_error *err)
{
	_cleanup_(lxm_cgroup_freep) struct lxm_cgroup *cg = NULL;
	int r;

	r = cgroup_new(name, mounts, &cg, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < cg->n; i++) {
		struct lxm_cgroup_hierarchy *h = &cg->h[i];
		struct cg_fds *f = &cg->f[i];
		/* the whole path in one lookup that follows no symlink (the
		 * mount point comes from mountinfo, which has none): v2's
		 * directory (clone3 wants it), v1's 'tasks' only */
		struct open_how how = {
			.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};
		int fd;

		if (h->unified) {
			fd = f->fd = (int)syscall(SYS_openat2, AT_FDCWD, h->path, &how, sizeof(how));
		} else {
			_cleanup_free_ char *tasks = lxm_strdup_printf("%s/tasks", h->path);

			if (!tasks)
				return lxm_error_set(err, ENOMEM, "opening cgroup '%s'", h->path);
			how.flags = O_WRONLY | O_CLOEXEC;
			fd = f->tasks_fd = (int)syscall(SYS_openat2, AT_FDCWD, tasks, &how, sizeof(how));
		}
		if (fd < 0) {
			/* the state file names only hierarchies the container
			 * has a cgroup in: one that is gone was moved or
			 * unmounted since, and mountinfo knows where it is */
			if (errno == ENOENT && mounts && *mounts)
				return lxm_cgroup_open_join(name, NULL, ret, err);
			if (errno == ENOENT)
				continue;
			/* no openat2, or a symlink after all: the long way */
			return lxm_cgroup_open(name, ret, err);
		}
	}
	return open_done(&cg, ret, err);
}

/* ---- attach ---- */

int lxm_cgroup_attach(const struct lxm_cgroup *cg, pid_t pid, bool skip_v2, struct lxm_error *err)
{
	char buf[32];

	if (!cg || cg->destroyed)
		return lxm_error_set(err, ENOENT, "attaching pid %d to a removed cgroup", (int)pid);
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (size_t i = 0; i < cg->n; i++) {
		int r;

		if (cg->f[i].fd < 0 || (skip_v2 && cg->h[i].unified))
			continue;
		r = write_str_at(cg->f[i].fd, "cgroup.procs", buf);
		if (r < 0)
			return lxm_error_set(err, -r, "attaching pid %d to '%s/cgroup.procs'", (int)pid, cg->h[i].path);
	}
	return 0;
}

int lxm_cgroup_enter_self(const struct lxm_cgroup *cg, struct lxm_error *err)
{
	if (!cg || cg->destroyed)
		return lxm_error_set(err, ENOENT, "joining a removed cgroup");
	for (size_t i = 0; i < cg->n; i++) {
		if (cg->h[i].unified || (cg->f[i].fd < 0 && cg->f[i].tasks_fd < 0))
			continue;
		if (cg->f[i].tasks_fd < 0)
			return lxm_error_set(err, EBADF, "joining cgroup '%s': no open 'tasks' file", cg->h[i].path);
		/* "0" = the calling thread; see the top of this file */
		if (pwrite(cg->f[i].tasks_fd, "0", 1, 0) < 0) {
			_cleanup_close_ int fd = -1;

			/* v1 checks the opener's euid against the task's uid
			 * unless the opener is the host's root: lxm nested in
			 * a container opened the file as that container's
			 * root, and this child is already its own mapped root,
			 * which owns the file (delegated by the monitor) */
			if (errno != EACCES)
				return lxm_error_set(err, errno, "joining cgroup '%s/tasks'", cg->h[i].path);
			if (cg->f[i].fd >= 0) {
				fd = openat(cg->f[i].fd, "tasks", O_WRONLY | O_CLOEXEC);
			} else {
				_cleanup_free_ char *tasks = lxm_strdup_printf("%s/tasks", cg->h[i].path);

				fd = tasks ? open(tasks, O_WRONLY | O_CLOEXEC) : -1;
			}
			if (fd < 0 || write(fd, "0", 1) < 0)
				return lxm_error_set(err, errno, "joining cgroup '%s/tasks'", cg->h[i].path);
		}
	}
	return 0;
}

/* ---- freezer ---- */

static int freeze_v1(const struct lxm_cgroup *cg, size_t i, bool freeze, struct lxm_error *err)
{
	const char *want = freeze ? "FROZEN" : "THAWED";
	uint64_t deadline = lxm_now_ns() + FREEZE_TIMEOUT_NS;
	int r;

	for (;;) {
		_cleanup_free_ char *state = NULL;

		/* Writing FROZEN again retries the tasks that could not be
		 * frozen yet (the state stays FREEZING meanwhile). */
		r = write_str_at(cg->f[i].fd, "freezer.state", want);
		if (r < 0)
			return lxm_error_set(err, -r, "writing '%s' into '%s/freezer.state'", want, cg->h[i].path);
		r = read_trimmed_at(cg->f[i].fd, "freezer.state", &state);
		if (r < 0)
			return lxm_error_set(err, -r, "reading '%s/freezer.state'", cg->h[i].path);
		if (streq(state, want))
			return 0;
		if (lxm_now_ns() >= deadline)
			break;
		sleep_ns(2 * 1000 * 1000);
	}
	if (freeze)
		(void)write_str_at(cg->f[i].fd, "freezer.state", "THAWED");
	return lxm_error_set(err, EBUSY, "%s '%s': still not %s after %llu s", freeze ? "freezing" : "thawing",
			     cg->rel, want, (unsigned long long)(FREEZE_TIMEOUT_NS / 1000000000ULL));
}

static int freeze_v2(const struct lxm_cgroup *cg, size_t i, bool freeze, struct lxm_error *err)
{
	uint64_t deadline = lxm_now_ns() + FREEZE_TIMEOUT_NS, frozen;
	int r;

	r = write_str_at(cg->f[i].fd, "cgroup.freeze", freeze ? "1" : "0");
	if (r < 0)
		return lxm_error_set(err, -r, "writing '%s/cgroup.freeze'", cg->h[i].path);
	for (;;) {
		r = read_keyed_at(cg->f[i].fd, "cgroup.events", "frozen", &frozen);
		if (r < 0)
			return lxm_error_set(err, -r, "reading '%s/cgroup.events'", cg->h[i].path);
		if ((frozen != 0) == freeze)
			return 0;
		if (lxm_now_ns() >= deadline)
			break;
		sleep_ns(1 * 1000 * 1000);
	}
	if (freeze)
		(void)write_str_at(cg->f[i].fd, "cgroup.freeze", "0");
	return lxm_error_set(err, EBUSY, "%s '%s': not done after %llu s", freeze ? "freezing" : "thawing",
			     cg->rel, (unsigned long long)(FREEZE_TIMEOUT_NS / 1000000000ULL));
}

/* The v1 freezer when it is mounted (the tasks of a hybrid host are there),
 * else the v2 core freezer. */
static int freezer_index(const struct lxm_cgroup *cg, bool *ret_v1)
{
	ssize_t i = find_v1(cg, "freezer");

	*ret_v1 = i >= 0;
	if (i < 0)
		i = find_v2(cg);
	return (int)i;
}

int lxm_cgroup_freeze(const struct lxm_cgroup *cg, bool freeze, struct lxm_error *err)
{
	bool v1;
	int i;

	if (!cg || cg->destroyed)
		return lxm_error_set(err, ENOENT, "freezing a removed cgroup");
	i = freezer_index(cg, &v1);
	if (i < 0)
		return lxm_error_setr(err, ENOTSUP, "%s '%s': no freezer on this host",
				      freeze ? "freezing" : "thawing", cg->rel);
	return v1 ? freeze_v1(cg, (size_t)i, freeze, err) : freeze_v2(cg, (size_t)i, freeze, err);
}

int lxm_cgroup_is_frozen(const struct lxm_cgroup *cg, bool *ret)
{
	bool v1;
	int i, r;

	if (!cg || cg->destroyed)
		return -ENOENT;
	i = freezer_index(cg, &v1);
	if (i < 0)
		return -ENOTSUP;
	if (v1) {
		_cleanup_free_ char *state = NULL;

		r = read_trimmed_at(cg->f[i].fd, "freezer.state", &state);
		if (r < 0)
			return r;
		*ret = streq(state, "FROZEN");
	} else {
		uint64_t frozen;

		r = read_keyed_at(cg->f[i].fd, "cgroup.events", "frozen", &frozen);
		if (r < 0)
			return r;
		*ret = frozen != 0;
	}
	return 0;
}

/* ---- stats ---- */

int lxm_cgroup_parse_io_stat(const char *text, uint64_t *ret)
{
	uint64_t sum = 0;

	for (const char *tok = text; *tok; ) {
		size_t n = strcspn(tok, " \n");

		if ((lxm_startswith(tok, "rbytes=") || lxm_startswith(tok, "wbytes=")) && n > 7) {
			char num[24];
			uint64_t v;

			if (n - 7 >= sizeof(num))
				return -EINVAL;
			memcpy(num, tok + 7, n - 7);
			num[n - 7] = '\0';
			if (lxm_parse_u64(num, UINT64_MAX, &v) < 0 || sum + v < sum)
				return -EINVAL;
			sum += v;
		}
		tok += n;
		tok += strspn(tok, " \n");
	}
	*ret = sum;
	return 0;
}

static int read_io_stat(int fd, uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	int r = lxm_read_file_at(fd, "io.stat", &text, NULL);

	return r < 0 ? r : lxm_cgroup_parse_io_stat(text, ret);
}

int lxm_cgroup_stats(const struct lxm_cgroup *cg, struct lxm_cgroup_stats *ret)
{
	struct lxm_cgroup_stats s = { 0 };
	ssize_t i, v2;

	if (!cg || cg->destroyed)
		return -ENOENT;
	v2 = find_v2(cg);

	if ((i = find_v1(cg, "memory")) >= 0)
		s.has_memory = read_u64_at(cg->f[i].fd, "memory.usage_in_bytes", &s.memory_bytes) == 0;
	else if (v2 >= 0)
		s.has_memory = read_u64_at(cg->f[v2].fd, "memory.current", &s.memory_bytes) == 0;

	if ((i = find_v1(cg, "cpuacct")) >= 0) {
		s.has_cpu = read_u64_at(cg->f[i].fd, "cpuacct.usage", &s.cpu_ns) == 0;
	} else if (v2 >= 0) {
		uint64_t usec = 0;

		s.has_cpu = read_keyed_at(cg->f[v2].fd, "cpu.stat", "usage_usec", &usec) == 0;
		s.cpu_ns = usec * 1000;
	}

	if ((i = find_v1(cg, "pids")) >= 0)
		s.has_pids = read_u64_at(cg->f[i].fd, "pids.current", &s.pids) == 0;
	else if (v2 >= 0)
		s.has_pids = read_u64_at(cg->f[v2].fd, "pids.current", &s.pids) == 0;

	/* v2 only: v1's blkio.throttle.io_service_bytes counts only what
	 * blk-throttle saw (0 on this kernel for everything) */
	if (v2 >= 0)
		s.has_io = read_io_stat(cg->f[v2].fd, &s.io_bytes) == 0;

	if (!s.has_cpu)
		s.cpu_ns = 0;
	*ret = s;
	return 0;
}

/* ---- destroy ---- */

/* SIGKILL every task listed in dirfd's subtree; counts them. */
static void kill_subtree(int cgfd, size_t *count, int depth)
{
	_cleanup_free_ char *procs = NULL;
	DIR *d;
	struct dirent *de;
	int fd;

	if (lxm_read_file_at(cgfd, "cgroup.procs", &procs, NULL) == 0) {
		for (char *p = procs, *nl; p && *p; p = nl ? nl + 1 : NULL) {
			uint64_t pid;

			nl = strchr(p, '\n');
			if (nl)
				*nl = '\0';
			if (lxm_parse_u64(p, INT32_MAX, &pid) < 0 || pid == 0 || (pid_t)pid == getpid())
				continue;
			if (kill((pid_t)pid, SIGKILL) == 0 || errno != ESRCH)
				(*count)++;
		}
	}
	if (depth > 64)
		return;
	fd = openat(cgfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		int sub;

		if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		sub = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (sub < 0)
			continue;
		kill_subtree(sub, count, depth + 1);
		close(sub);
	}
	closedir(d);
}

/* cgroup_kill: whether to use v2's cgroup.kill. Not for a cgroup that a
 * new task will be cloned into: after a write to cgroup.kill, this kernel
 * (6.18) SIGKILLs a child that clone3(CLONE_INTO_CGROUP) puts into that
 * cgroup later, as soon as it is created. */
static int kill_all(const struct lxm_cgroup *cg, bool cgroup_kill, struct lxm_error *err)
{
	uint64_t deadline = lxm_now_ns() + KILL_TIMEOUT_NS;
	uint64_t delay = 1000 * 1000;
	ssize_t i;
	int r;

	/* A frozen v1 task sits in the refrigerator even with SIGKILL
	 * pending: thaw first. (cgroup.kill handles a frozen v2 cgroup.) */
	if ((i = find_v1(cg, "freezer")) >= 0) {
		_cleanup_free_ char *state = NULL;

		if (read_trimmed_at(cg->f[i].fd, "freezer.state", &state) == 0 && !streq(state, "THAWED")) {
			r = write_str_at(cg->f[i].fd, "freezer.state", "THAWED");
			if (r < 0)
				log_debug("cgroup: thawing '%s': %s, ignoring", cg->h[i].path, strerror(-r));
		}
	}
	if (cgroup_kill && (i = find_v2(cg)) >= 0) {
		r = write_str_at(cg->f[i].fd, "cgroup.kill", "1");
		if (r < 0 && r != -ENOENT)
			log_debug("cgroup: writing '%s/cgroup.kill': %s, ignoring", cg->h[i].path, strerror(-r));
	}
	/* Also the fallback without cgroup.kill (before 5.14), and for tasks
	 * that are in a v1 hierarchy only. */
	for (;;) {
		size_t n = 0;

		for (size_t j = 0; j < cg->n; j++)
			if (cg->f[j].fd >= 0)
				kill_subtree(cg->f[j].fd, &n, 0);
		if (n == 0)
			return 0;
		if (lxm_now_ns() >= deadline)
			return lxm_error_set(err, EBUSY, "killing the tasks of '%s': %zu left", cg->rel, n);
		sleep_ns(delay);
		if (delay < 20 * 1000 * 1000)
			delay *= 2;
	}
}

/* v2: no controller enabled for children ("-memory -pids"). */
static int clear_subtree_control(const struct lxm_cgroup *cg, size_t i, struct lxm_error *err)
{
	_cleanup_free_ char *enabled = NULL, *off = NULL;
	size_t len = 0;
	char *save = NULL;
	int r;

	r = read_trimmed_at(cg->f[i].fd, "cgroup.subtree_control", &enabled);
	if (r < 0)
		return lxm_error_set(err, -r, "reading '%s/cgroup.subtree_control'", cg->h[i].path);
	if (!enabled[0])
		return 0;
	off = calloc(1, 2 * strlen(enabled) + 2);
	if (!off)
		return lxm_error_set(err, ENOMEM, "resetting cgroup '%s'", cg->h[i].path);
	for (char *c = strtok_r(enabled, " ", &save); c; c = strtok_r(NULL, " ", &save))
		len += (size_t)sprintf(off + len, "%s-%s", len ? " " : "", c);
	r = write_str_at(cg->f[i].fd, "cgroup.subtree_control", off);
	if (r < 0)
		return lxm_error_set(err, -r, "writing '%s' into '%s/cgroup.subtree_control'", off, cg->h[i].path);
	return 0;
}

int lxm_cgroup_reset(struct lxm_cgroup *cg, struct lxm_error *err)
{
	uint64_t deadline;
	int r;

	if (!cg || cg->destroyed)
		return lxm_error_set(err, ENOENT, "resetting a removed cgroup");
	r = kill_all(cg, false, err);
	if (r < 0)
		return r;
	deadline = lxm_now_ns() + RMDIR_TIMEOUT_NS;
	for (size_t i = 0; i < cg->n; i++) {
		_cleanup_close_ int fd = -1;

		if (cg->f[i].fd < 0)
			continue;
		/* the sub-cgroups the old init made */
		fd = openat(cg->f[i].fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = fd >= 0 ? remove_subcgroups(fd, cg->h[i].path, deadline, err)
			    : lxm_error_set(err, errno, "opening cgroup '%s'", cg->h[i].path);
		if (r == 0 && cg->h[i].unified)
			r = clear_subtree_control(cg, i, err);
		if (r < 0)
			return lxm_error_prefix(err, "resetting cgroup '%s'", cg->rel);
	}
	log_debug("cgroup: reset '%s'", cg->rel);
	return 0;
}

int lxm_cgroup_destroy(struct lxm_cgroup *cg, struct lxm_error *err)
{
	uint64_t deadline;
	size_t mark;
	int r, ret = 0;

	if (!cg)
		return 0;
	if (cg->destroyed)
		return 0;
	r = kill_all(cg, true, err);
	if (r < 0)
		return r;
	deadline = lxm_now_ns() + RMDIR_TIMEOUT_NS;
	mark = mark_hierarchy(cg);
	/* v1 first: a hybrid host's unified cgroup is the least useful one
	 * to be left with. The one with the owner mark last, and only once
	 * the others are gone: while it is there, a start of a container of
	 * the same name in another lxmpath takes another name, instead of
	 * making this one anew in the hierarchies this removes after it (or
	 * cannot remove) */
	for (int pass = 0; pass < 3; pass++) {
		if (pass == 2 && ret < 0)
			break;
		for (size_t i = 0; i < cg->n; i++) {
			if ((pass == 2) != (i == mark) || (pass < 2 && cg->h[i].unified != (pass == 1)) ||
			    cg->f[i].lxm_fd < 0)
				continue;
			closep(&cg->f[i].tasks_fd);
			cg->f[i].tasks_fd = -1;
			r = rmdir_tree(cg->f[i].lxm_fd, cg->name, cg->h[i].path, deadline, err);
			if (r < 0 && ret == 0) {
				ret = r;
				continue;
			}
			if (r == 0) {
				closep(&cg->f[i].fd);
				cg->f[i].fd = -1;
				remove_parent_if_empty(&cg->f[i]);
			}
		}
	}
	if (ret < 0)
		return ret;
	cg->destroyed = true;
	log_debug("cgroup: removed '%s'", cg->rel);
	return 0;
}
