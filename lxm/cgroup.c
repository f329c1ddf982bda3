/* Container cgroups on cgroup v1, hybrid and pure v2 hosts: struct
 * lxm_cgroup, opening a container's existing cgroups, and what works on
 * them: joining (attach, enter_self), the freezer, stats and the device
 * policy. cgroup-mountinfo.c finds the hierarchies, cgroup-lifecycle.c
 * names, creates and removes the cgroups, cgroup-limits.c sets limits.
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
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <time.h>

#include "cgroup-internal.h"
#include "devcg.h"
#include "log.h"

#define FREEZE_TIMEOUT_NS (2ULL * 1000000000ULL)

uint64_t lxm_cgroup_weight_to_shares(uint32_t weight)
{
	uint64_t shares = (uint64_t)weight * 1024 / 100;

	return shares < 2 ? 2 : shares;
}

bool cg_list_has(const char *list, const char *word)
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
	return h && !h->unified && cg_list_has(h->controllers, controller);
}

/* ---- small file helpers ---- */

void cg_sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ULL), .tv_nsec = (long)(ns % 1000000000ULL) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int cg_read_trimmed_at(int dirfd, const char *file, char **ret)
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

int cg_write_str_at(int dirfd, const char *file, const char *s)
{
	return lxm_write_file_at(dirfd, file, s, strlen(s), 0, 0);
}

/* "key value" lines (cgroup.events, cpu.stat) */
int cg_read_keyed_at(int dirfd, const char *file, const char *key, uint64_t *ret)
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
	int r = cg_read_trimmed_at(dirfd, file, &s);

	if (r < 0)
		return r;
	return lxm_parse_u64(s, UINT64_MAX, ret);
}

int cg_open_dir_at(int dirfd, const char *name, int flags)
{
	return openat(dirfd, name, flags | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
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
		cg_hierarchy_done(&cg->h[i]);
	}
	free(cg->h);
	free(cg->f);
	free(cg->name);
	free(cg->rel);
	free(cg->owner);
	closep(&cg->lock_fd);
	free(cg);
}

int cg_check_name(const char *name, struct lxm_error *err)
{
	if (!name || !*name || strchr(name, '/') || streq(name, ".") || streq(name, "..") ||
	    strlen(name) > 200)
		return lxm_error_setr(err, EINVAL, "invalid container name '%s' for a cgroup", name ? name : "");
	return 0;
}

/* The names that go with the leaf "lxm/<leaf>". */
int cg_set_leaf(struct lxm_cgroup *cg, const char *leaf, struct lxm_error *err)
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
int cg_new(const char *name, const char *mounts, struct lxm_cgroup **ret, struct lxm_error *err)
{
	_cleanup_(lxm_cgroup_freep) struct lxm_cgroup *cg = NULL;
	struct lxm_cgroup_mounts m = { 0 };
	int r;

	r = cg_check_name(name, err);
	if (r < 0)
		return r;
	if (!mounts || !*mounts || lxm_cgroup_parse_mountinfo(mounts, &m, NULL) < 0) {
		r = cg_load_mounts(&m, err);
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
	r = cg_set_leaf(cg, name, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(cg);
	return 0;
}

/* Drop hierarchies without a cgroup of this container. */
void cg_compact(struct lxm_cgroup *cg)
{
	size_t w = 0;

	for (size_t i = 0; i < cg->n; i++) {
		/* lxm_cgroup_open_join() keeps only the 'tasks' fd of a v1 one */
		if (cg->f[i].fd < 0 && cg->f[i].tasks_fd < 0) {
			closep(&cg->f[i].root_fd);
			closep(&cg->f[i].lxm_fd);
			closep(&cg->f[i].tasks_fd);
			cg_hierarchy_done(&cg->h[i]);
			continue;
		}
		cg->h[w] = cg->h[i];
		cg->f[w] = cg->f[i];
		w++;
	}
	cg->n = w;
}

ssize_t cg_find_v1(const struct lxm_cgroup *cg, const char *controller)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->f[i].fd >= 0 && lxm_cgroup_hierarchy_has(&cg->h[i], controller))
			return (ssize_t)i;
	return -1;
}

ssize_t cg_find_v2(const struct lxm_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->f[i].fd >= 0 && cg->h[i].unified)
			return (ssize_t)i;
	return -1;
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
	i = cg_find_v2(cg);
	return i < 0 ? -1 : cg->f[i].fd;
}

int lxm_cgroup_v2_open_of(const struct lxm_cgroup *cg, pid_t pid)
{
	_cleanup_free_ char *text = NULL;
	char path[64], *line, *rel;
	size_t len;
	ssize_t i;

	if (!cg || cg->destroyed || (i = cg_find_v2(cg)) < 0)
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

static bool v2_has_controller(const struct lxm_cgroup *cg, size_t i, const char *controller)
{
	_cleanup_free_ char *avail = NULL;

	if (cg_read_trimmed_at(cg->f[i].fd, "cgroup.controllers", &avail) < 0)
		return false;
	for (char *p = avail; *p; p++)
		if (*p == ' ')
			*p = ',';
	return cg_list_has(avail, controller);
}

int lxm_cgroup_controller_fd(const struct lxm_cgroup *cg, const char *controller, bool *ret_unified,
			     const char **ret_path)
{
	ssize_t i;

	if (!cg || cg->destroyed)
		return -ENOENT;
	i = controller ? cg_find_v1(cg, controller) : -1;
	if (i < 0) {
		i = cg_find_v2(cg);
		if (i < 0 || (controller && !v2_has_controller(cg, (size_t)i, controller)))
			return -ENOENT;
	}
	if (ret_unified)
		*ret_unified = cg->h[i].unified;
	if (ret_path)
		*ret_path = cg->h[i].path;
	return cg->f[i].fd;
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
		r = cg_write_str_at(cg->f[i].fd, "devices.deny", "a");
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
				r = cg_write_str_at(cg->f[i].fd, "devices.allow", line);
			if (r < 0)
				return lxm_error_set(err, -r, "allowing device '%s' for '%s'", line, cg->rel);
		}
		log_debug("cgroup: %s: device policy set", cg->h[i].path);
	}
	v2 = cg_find_v2(cg);
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
	cg_compact(cg);
	if (cg->n == 0)
		return lxm_error_set(err, ENOENT, "opening cgroup '%s'", cg->rel);
	*ret = TAKE_PTR(*cgp);
	return 0;
}

int lxm_cgroup_open(const char *name, struct lxm_cgroup **ret, struct lxm_error *err)
{
	_cleanup_(lxm_cgroup_freep) struct lxm_cgroup *cg = NULL;
	int r;

	r = cg_new(name, NULL, &cg, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < cg->n; i++) {
		struct lxm_cgroup_hierarchy *h = &cg->h[i];
		struct cg_fds *f = &cg->f[i];

		f->root_fd = open(h->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (f->root_fd < 0)
			return lxm_error_set(err, errno, "opening cgroup hierarchy '%s'", h->mountpoint);
		f->lxm_fd = cg_open_dir_at(f->root_fd, CGROUP_PARENT, O_PATH);
		if (f->lxm_fd < 0) {
			if (errno == ENOENT)
				continue;
			return lxm_error_set(err, errno, "opening cgroup '%s/" CGROUP_PARENT "'", h->mountpoint);
		}
		f->fd = cg_open_dir_at(f->lxm_fd, cg->name, O_PATH);
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

	r = cg_new(name, mounts, &cg, err);
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
		r = cg_write_str_at(cg->f[i].fd, "cgroup.procs", buf);
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
		r = cg_write_str_at(cg->f[i].fd, "freezer.state", want);
		if (r < 0)
			return lxm_error_set(err, -r, "writing '%s' into '%s/freezer.state'", want, cg->h[i].path);
		r = cg_read_trimmed_at(cg->f[i].fd, "freezer.state", &state);
		if (r < 0)
			return lxm_error_set(err, -r, "reading '%s/freezer.state'", cg->h[i].path);
		if (streq(state, want))
			return 0;
		if (lxm_now_ns() >= deadline)
			break;
		cg_sleep_ns(2 * 1000 * 1000);
	}
	if (freeze)
		(void)cg_write_str_at(cg->f[i].fd, "freezer.state", "THAWED");
	return lxm_error_set(err, EBUSY, "%s '%s': still not %s after %llu s", freeze ? "freezing" : "thawing",
			     cg->rel, want, (unsigned long long)(FREEZE_TIMEOUT_NS / 1000000000ULL));
}

static int freeze_v2(const struct lxm_cgroup *cg, size_t i, bool freeze, struct lxm_error *err)
{
	uint64_t deadline = lxm_now_ns() + FREEZE_TIMEOUT_NS, frozen;
	int r;

	r = cg_write_str_at(cg->f[i].fd, "cgroup.freeze", freeze ? "1" : "0");
	if (r < 0)
		return lxm_error_set(err, -r, "writing '%s/cgroup.freeze'", cg->h[i].path);
	for (;;) {
		r = cg_read_keyed_at(cg->f[i].fd, "cgroup.events", "frozen", &frozen);
		if (r < 0)
			return lxm_error_set(err, -r, "reading '%s/cgroup.events'", cg->h[i].path);
		if ((frozen != 0) == freeze)
			return 0;
		if (lxm_now_ns() >= deadline)
			break;
		cg_sleep_ns(1 * 1000 * 1000);
	}
	if (freeze)
		(void)cg_write_str_at(cg->f[i].fd, "cgroup.freeze", "0");
	return lxm_error_set(err, EBUSY, "%s '%s': not done after %llu s", freeze ? "freezing" : "thawing",
			     cg->rel, (unsigned long long)(FREEZE_TIMEOUT_NS / 1000000000ULL));
}

/* The v1 freezer when it is mounted (the tasks of a hybrid host are there),
 * else the v2 core freezer. */
static int freezer_index(const struct lxm_cgroup *cg, bool *ret_v1)
{
	ssize_t i = cg_find_v1(cg, "freezer");

	*ret_v1 = i >= 0;
	if (i < 0)
		i = cg_find_v2(cg);
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

		r = cg_read_trimmed_at(cg->f[i].fd, "freezer.state", &state);
		if (r < 0)
			return r;
		*ret = streq(state, "FROZEN");
	} else {
		uint64_t frozen;

		r = cg_read_keyed_at(cg->f[i].fd, "cgroup.events", "frozen", &frozen);
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
	v2 = cg_find_v2(cg);

	if ((i = cg_find_v1(cg, "memory")) >= 0)
		s.has_memory = read_u64_at(cg->f[i].fd, "memory.usage_in_bytes", &s.memory_bytes) == 0;
	else if (v2 >= 0)
		s.has_memory = read_u64_at(cg->f[v2].fd, "memory.current", &s.memory_bytes) == 0;

	if ((i = cg_find_v1(cg, "cpuacct")) >= 0) {
		s.has_cpu = read_u64_at(cg->f[i].fd, "cpuacct.usage", &s.cpu_ns) == 0;
	} else if (v2 >= 0) {
		uint64_t usec = 0;

		s.has_cpu = cg_read_keyed_at(cg->f[v2].fd, "cpu.stat", "usage_usec", &usec) == 0;
		s.cpu_ns = usec * 1000;
	}

	if ((i = cg_find_v1(cg, "pids")) >= 0)
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
