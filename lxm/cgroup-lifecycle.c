/* Making and removing a container's cgroups: the name it takes ("lxm/<name>",
 * else "lxm/<name>-<n>"), the owner marks and the lock that starts take
 * turns by; creating the cgroup in every hierarchy (a crash's leftover,
 * cpuset, controllers for the children, limits); killing what is left in
 * it, resetting it for a reboot and removing it. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/xattr.h>

#include "cgroup-internal.h"
#include "cgroup-limits.h"
#include "log.h"

#define KILL_TIMEOUT_NS (2ULL * 1000000000ULL)
#define RMDIR_TIMEOUT_NS (1ULL * 1000000000ULL)

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
	int r = cg_load_mounts(&m, err);

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
	if (faccessat(dirfd, "cgroup.type", F_OK, 0) == 0 && cg_read_trimmed_at(dirfd, "cgroup.procs", &procs) == 0 &&
	    procs[0]) {
		log_debug("cgroup: '%s' holds processes: no controllers enabled for its children", where);
		return;
	}
	if (cg_read_trimmed_at(dirfd, "cgroup.controllers", &avail) < 0 ||
	    cg_read_trimmed_at(dirfd, "cgroup.subtree_control", &enabled) < 0) {
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

		if (!cg_list_has(avail, wanted[i]) || cg_list_has(enabled, wanted[i]))
			continue;
		snprintf(buf, sizeof(buf), "+%s", wanted[i]);
		r = cg_write_str_at(dirfd, "cgroup.subtree_control", buf);
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

		r = cg_read_trimmed_at(child_fd, files[i], &cur);
		if (r < 0)
			return lxm_error_set(err, -r, "reading '%s/%s'", child_path, files[i]);
		if (cur[0])
			continue;
		r = cg_read_trimmed_at(parent_fd, files[i], &val);
		if (r < 0)
			return lxm_error_set(err, -r, "reading the parent of '%s' for '%s'", child_path, files[i]);
		r = cg_write_str_at(child_fd, files[i], val);
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

	if (cg->h[i].unified && cg_read_keyed_at(cg->f[i].fd, "cgroup.events", "populated", &populated) == 0) {
		*ret = populated != 0;
		return 0;
	}
	return subtree_has_tasks(cg->f[i].fd, ret);
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

	f->fd = cg_open_dir_at(f->lxm_fd, cg->name, O_PATH);
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
	fd = cg_open_dir_at(cg->f[i].lxm_fd, cg->name, O_RDONLY);
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
	f->lxm_fd = cg_open_dir_at(f->root_fd, CGROUP_PARENT, O_PATH);
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

		if (cg_read_trimmed_at(f->lxm_fd, "memory.use_hierarchy", &v) == 0 && streq(v, "0")) {
			r = cg_write_str_at(f->lxm_fd, "memory.use_hierarchy", "1");
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
	f->fd = cg_open_dir_at(f->lxm_fd, cg->name, O_PATH);
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
	_cleanup_close_ int fd = cg_open_dir_at(parent_fd, name, O_RDONLY);
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
		cg_sleep_ns(5 * 1000 * 1000);
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
	return cg_check_name(leaf, NULL) < 0 ? name : leaf;
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
	parent = root >= 0 ? cg_open_dir_at(root, CGROUP_PARENT, O_PATH) : -1;
	if (parent < 0)
		return errno == ENOENT ? 0 : lxm_error_set(err, errno, "reading cgroup '%s/" CGROUP_PARENT "'", mp);
	for (size_t k = 0; k < LXM_CGROUP_LEAF_TRIES; k++) {
		_cleanup_close_ int fd = -1;
		char leaf[256], mark[LXM_CGROUP_OWNER_MAX];

		if (lxm_cgroup_leaf_name(name, (unsigned)k, leaf, sizeof(leaf)) < 0)
			break;
		fd = cg_open_dir_at(parent, leaf, O_RDONLY);
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
	if (lxm_cgroup_leaf_name(name, (unsigned)k, leaf, sizeof(leaf)) < 0 || cg_check_name(leaf, NULL) < 0)
		return lxm_error_setr(err, ENAMETOOLONG, "no cgroup name for '%s': too long", name);
	if (k > 0 || claims[0] == LXM_CGROUP_OTHER)
		log_debug("cgroup: '" CGROUP_PARENT "/%s' is another container's, taking '" CGROUP_PARENT "/%s'",
			  name, leaf);
	return cg_set_leaf(cg, leaf, err);
}

int lxm_cgroup_open_own(const char *name, const char *owner, struct lxm_cgroup **ret, struct lxm_error *err)
{
	_cleanup_(lxm_cgroup_freep) struct lxm_cgroup *cg = NULL;
	enum lxm_cgroup_claim claims[LXM_CGROUP_LEAF_TRIES];
	char leaf[256];
	int lock_fd, k = -1, r;

	r = cg_new(name, NULL, &cg, err);
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
	r = cg_new(name, NULL, &cg, err);
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
	cg_compact(cg);
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
	if ((i = cg_find_v1(cg, "freezer")) >= 0) {
		_cleanup_free_ char *state = NULL;

		if (cg_read_trimmed_at(cg->f[i].fd, "freezer.state", &state) == 0 && !streq(state, "THAWED")) {
			r = cg_write_str_at(cg->f[i].fd, "freezer.state", "THAWED");
			if (r < 0)
				log_debug("cgroup: thawing '%s': %s, ignoring", cg->h[i].path, strerror(-r));
		}
	}
	if (cgroup_kill && (i = cg_find_v2(cg)) >= 0) {
		r = cg_write_str_at(cg->f[i].fd, "cgroup.kill", "1");
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
		cg_sleep_ns(delay);
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

	r = cg_read_trimmed_at(cg->f[i].fd, "cgroup.subtree_control", &enabled);
	if (r < 0)
		return lxm_error_set(err, -r, "reading '%s/cgroup.subtree_control'", cg->h[i].path);
	if (!enabled[0])
		return 0;
	off = calloc(1, 2 * strlen(enabled) + 2);
	if (!off)
		return lxm_error_set(err, ENOMEM, "resetting cgroup '%s'", cg->h[i].path);
	for (char *c = strtok_r(enabled, " ", &save); c; c = strtok_r(NULL, " ", &save))
		len += (size_t)sprintf(off + len, "%s-%s", len ? " " : "", c);
	r = cg_write_str_at(cg->f[i].fd, "cgroup.subtree_control", off);
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
		/* a freeze that came after the old init died would hold the
		 * next one, and the monitor waiting for it, for good (v1's
		 * freezer was thawed for the kill) */
		if (cg->h[i].unified) {
			r = cg_write_str_at(cg->f[i].fd, "cgroup.freeze", "0");
			if (r < 0 && r != -ENOENT)
				return lxm_error_set(err, -r, "thawing cgroup '%s'", cg->h[i].path);
		}
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
