#include <fcntl.h>
#include <ctype.h>
#include <dirent.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "apparmor.h"
#include "caps.h"
#include "container.h"
#include "devcg.h"
#include "devices.h"
#include "idmap.h"
#include "inuse.h"
#include "log.h"
#include "monitor.h"
#include "net.h"
#include "rootfs.h"
#include "seccomp.h"
#include "shift.h"
#include "snapshot.h"
#include "start.h"
#include "sync.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* ---- the child: becomes the container's init ---- */

/* Init gets the console as stdio, in a session of its own, but not as its
 * controlling terminal, as on a machine (the kernel never makes /dev/console
 * one): the shell or getty that init starts there takes it (busybox's
 * askfirst shell only when no one holds it), and ^C on the console goes to
 * that shell's job, not to init, for which SIGINT is ctrl-alt-del (busybox
 * and systemd reboot). */
static int setup_console_stdio(struct lxm_error *err)
{
	int fd;

	if (setsid() < 0)
		return lxm_error_set(err, errno, "setsid");
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return lxm_error_set(err, errno, "opening '/dev/console'");
	for (int i = 0; i < 3; i++) {
		if (dup2(fd, i) < 0) {
			close(fd);
			return lxm_error_set(err, errno, "redirecting stdio to the console");
		}
	}
	if (fd > 2)
		close(fd);
	return 0;
}

struct child_ctx {
	struct lxm_monitor *m;
	int sync_fd;
	bool userns;
	bool idmapped_mount;        /* the parent sends an idmapped rootfs mount */
	bool enter_self;            /* the child joins the v1 hierarchies itself */
	bool wait_cgroup;           /* the parent attaches the child after clone */
	bool unshare_cgroupns;      /* the cgroup namespace comes after that */
	bool net_unshare;           /* the network namespace comes after the idmaps */
	bool net_host;              /* type "none": the host's network */
	bool net_links;             /* the parent makes links (veth, macvlan, phys) */
	struct lxm_seccomp *seccomp; /* compiled by the parent, NULL: none */
	const char *aa_profile;     /* AppArmor profile for init's exec, NULL: none */
};

static int child_setup(const struct child_ctx *c, struct lxm_error *err)
{
	const struct lxm_config *conf = c->m->conf;
	struct lxm_rootfs_spec rspec = {
		.rootfs = c->m->rootfs,
		.mounts = conf->mounts,
		.n_mounts = conf->n_mounts,
		.container_dir = c->m->dir,
		.have_fds = true,
		.rootfs_fd = -1,
		.tree_fd = -1,
	};
	_cleanup_free_ char **tty_paths = NULL, *ov_upper = NULL, *ov_work = NULL;
	_cleanup_close_ int rootfd = -1, rootfs_fd = -1, tree_fd = -1;
	_cleanup_close_ int ov_lower = -1, ov_upper_fd = -1, ov_work_fd = -1;
	struct lxm_dev_spec dspec = {
		.console = c->m->console.path,
		.devices = conf->devices,
		.n_devices = conf->n_devices,
	};
	const char *hostname = conf->hostname ? conf->hostname : conf->name;
	bool seccomp_early;
	int r;

	/* still host root's credentials, even in a new user namespace: the
	 * container dir (0750 root) is reachable only now */
	rootfs_fd = open(c->m->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfs_fd < 0)
		return lxm_error_set(err, errno, "opening rootfs '%s'", c->m->rootfs);
	rspec.rootfs_fd = rootfs_fd;
	rspec.readonly = c->m->rootfs_readonly;
	if (conf->rootfs_overlay_lower) {
		/* a snapshot: upper and work are relative to the container dir */
		rspec.overlay_lower = conf->rootfs_overlay_lower;
		ov_upper = conf->rootfs_overlay_upper[0] == '/' ? strdup(conf->rootfs_overlay_upper) :
			   lxm_strdup_printf("%s/%s", c->m->dir, conf->rootfs_overlay_upper);
		ov_work = conf->rootfs_overlay_work[0] == '/' ? strdup(conf->rootfs_overlay_work) :
			  lxm_strdup_printf("%s/%s", c->m->dir, conf->rootfs_overlay_work);
		if (!ov_upper || !ov_work)
			return lxm_error_set(err, ENOMEM, "overlay rootfs");
		rspec.overlay_upper = ov_upper;
		rspec.overlay_work = ov_work;
		/* still reachable: the layers by fd */
		ov_lower = open(conf->rootfs_overlay_lower, O_PATH | O_DIRECTORY | O_CLOEXEC);
		ov_upper_fd = ov_lower < 0 ? -1 : open(ov_upper, O_PATH | O_DIRECTORY | O_CLOEXEC);
		ov_work_fd = ov_upper_fd < 0 ? -1 : open(ov_work, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (ov_work_fd < 0)
			return lxm_error_set(err, errno, "opening the overlay rootfs layers (lower '%s')",
					     conf->rootfs_overlay_lower);
		rspec.overlay_fds[0] = ov_lower;
		rspec.overlay_fds[1] = ov_upper_fd;
		rspec.overlay_fds[2] = ov_work_fd;
	}
	rspec.cgroups = lxm_cgroup_hierarchies(c->m->cg, &rspec.n_cgroups);
	if (c->enter_self) {
		/* joining as a single thread skips the global cgroup rwsem and
		 * its RCU grace period (see cgroup.c); before becoming the
		 * container's root: v1 lets the fds' opener (the monitor) move
		 * only tasks of its own uid unless it is host root, and a
		 * nested monitor is not */
		r = lxm_cgroup_enter_self(c->m->cg, err);
		if (r < 0)
			return r;
	}
	if (c->userns) {
		/* the parent writes gid_map, then uid_map */
		r = lxm_sync_wait(c->sync_fd, LXM_SYNC_IDMAPS_WRITTEN, err);
		if (r < 0)
			return r;
		if (c->idmapped_mount) {
			/* the rootfs mounted with the container's id map */
			tree_fd = lxm_recv_fd(c->sync_fd, NULL);
			if (tree_fd < 0)
				return lxm_error_set(err, -tree_fd, "receiving the idmapped rootfs mount");
			rspec.tree_fd = tree_fd;
		}
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			return lxm_error_set(err, errno, "becoming root in the user namespace");
		if (setgroups(0, NULL) < 0 && errno != EPERM)
			return lxm_error_set(err, errno, "dropping supplementary groups");
	}
	if (c->net_unshare) {
		/* after the idmaps, so that /proc/net gets a mapped owner */
		if (unshare(CLONE_NEWNET) < 0)
			return lxm_error_set(err, errno, "creating the network namespace");
		/* the network namespace exists */
		r = lxm_sync_send(c->sync_fd, LXM_SYNC_NET_UNSHARED);
		if (r < 0)
			return lxm_error_set(err, -r, "sync");
	}
	if (c->wait_cgroup) {
		/* the parent has put us in every cgroup */
		r = lxm_sync_wait(c->sync_fd, LXM_SYNC_CGROUP_JOINED, err);
		if (r < 0)
			return r;
	}
	if (c->unshare_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		return lxm_error_set(err, errno, "creating the cgroup namespace");
	if (!c->net_host && !c->net_links) {
		r = lxm_net_loopback_up(err);
		if (r < 0)
			return lxm_error_prefix(err, "network 'lo'");
	}
	if (sethostname(hostname, strlen(hostname)) < 0)
		return lxm_error_set(err, errno, "setting hostname '%s'", hostname);

	r = lxm_rootfs_prepare(&rspec, &rootfd, err);
	if (r < 0)
		return r;
	if (rootfd == tree_fd)
		tree_fd = -1;     /* owned by rootfd now */
	if (c->m->n_ttys) {
		tty_paths = calloc(c->m->n_ttys, sizeof(char *));
		if (!tty_paths)
			return lxm_error_set(err, ENOMEM, "ttys");
		for (size_t i = 0; i < c->m->n_ttys; i++)
			tty_paths[i] = c->m->ttys[i].path;
		dspec.ttys = tty_paths;
		dspec.n_ttys = c->m->n_ttys;
	}
	r = lxm_devices_setup(rootfd, &dspec, err);
	if (r < 0)
		return lxm_error_prefix(err, "setting up '/dev'");
	r = lxm_rootfs_mount_user(rootfd, &rspec, err);
	if (r < 0)
		return r;

	r = lxm_rootfs_pivot(rootfd, err);
	if (r < 0)
		return r;
	r = lxm_rootfs_finish(!c->net_host, err);
	if (r < 0)
		return r;
	if (conf->security.nesting && (r = lxm_rootfs_nesting(err)) < 0)
		return r;
	r = setup_console_stdio(err);
	if (r < 0)
		return r;
	/* security: AppArmor on exec, capabilities, no_new_privs, seccomp
	 * last (but first when the drop takes CAP_SYS_ADMIN and there is no
	 * no_new_privs); all but the last seccomp before the network wait */
	r = lxm_apparmor_change_onexec(c->aa_profile, err);
	if (r < 0)
		return r;
	/* without no_new_privs the kernel wants CAP_SYS_ADMIN to load a
	 * filter: a config that drops it gets the filter before the drop */
	seccomp_early = lxm_confinement_seccomp_first(&c->m->confine);
	if (seccomp_early && (r = lxm_seccomp_load(c->seccomp, err)) < 0)
		return r;
	r = lxm_caps_apply_mask(c->m->confine.caps, err);
	if (r < 0)
		return r;
	if (conf->security.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return lxm_error_set(err, errno, "setting no_new_privs");
	if (c->net_links) {
		/* host side links are in place (the monitor configures them
		 * while we set up the rootfs and confine ourselves; init must
		 * find them ready) */
		r = lxm_sync_wait(c->sync_fd, LXM_SYNC_NET_CONFIGURED, err);
		if (r < 0)
			return r;
	}
	if (!seccomp_early && (r = lxm_seccomp_load(c->seccomp, err)) < 0)
		return r;
	return 0;
}

static _Noreturn void child_main(struct child_ctx *c)
{
	struct lxm_error err = { 0 };
	const struct lxm_config *conf = c->m->conf;
	char ttys_env[256] = "container_ttys=";
	char *envp[] = {
		"container=lxm",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"TERM=linux",
		"HOME=/",
		ttys_env,
		NULL,
	};
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	for (size_t i = 0; i < c->m->n_ttys; i++) {
		size_t len = strlen(ttys_env);
		snprintf(ttys_env + len, sizeof(ttys_env) - len, "%stty%zu", i ? " " : "", i + 1);
	}

	if (child_setup(c, &err) < 0)
		goto fail;
	/* every fd but stdio goes at exec; the sync socket's close tells the
	 * parent that init is running */
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	execve(conf->init_cmd[0], conf->init_cmd, envp);
	lxm_error_set(&err, errno, "executing init '%s'", conf->init_cmd[0]);
fail:
	lxm_sync_send_error(c->sync_fd, &err);
	_exit(1);
}

/* ---- the parent (monitor) side ---- */

/* The AppArmor profile (generated, loaded) and the compiled seccomp filter,
 * made while the host's files are reachable; the child inherits both. */
static int prepare_security(struct lxm_monitor *m, struct lxm_seccomp **ret_sc, char **ret_aa,
			    struct lxm_error *err)
{
	const struct lxm_config *conf = m->conf;
	int r = lxm_apparmor_exec_profile(conf->security.apparmor, m->name, m->dir, lxm_apparmor_enabled(),
					  ret_aa, err);

	if (r < 0)
		return r;
	if (*ret_aa && lxm_apparmor_mode(conf->security.apparmor) == LXM_APPARMOR_GENERATED) {
		_cleanup_free_ char **ro = calloc(conf->n_mounts + 1, sizeof(char *));
		_cleanup_free_ char *text = NULL;
		_cleanup_free_ char *path = lxm_runtime_path(m->paths, m->name, "apparmor.profile");
		struct lxm_apparmor_spec spec = { .profile = *ret_aa, .nesting = conf->security.nesting, .ro_mounts = ro };

		if (!ro || !path)
			return lxm_error_set(err, ENOMEM, "AppArmor profile");
		for (size_t i = 0; i < conf->n_mounts; i++) {
			const char *o = conf->mounts[i].options;
			if (o && strstr(o, "bind") && (streq(o, "ro") || strstr(o, ",ro") || lxm_startswith(o, "ro,")))
				ro[spec.n_ro_mounts++] = conf->mounts[i].target;
		}
		r = lxm_apparmor_generate(lxm_apparmor_base, &spec, &text);
		if (r < 0)
			return lxm_error_set(err, -r, "generating AppArmor profile '%s'", *ret_aa);
		r = lxm_apparmor_load(m->dir, path, *ret_aa, text, err);
		if (r < 0)
			return r;
		log_debug("AppArmor profile '%s' loaded", *ret_aa);
	}
	{
		_cleanup_free_ char *cache = lxm_strdup_printf("%s/seccomp", m->dir);

		if (!cache)
			return lxm_error_set(err, ENOMEM, "seccomp");
		r = lxm_seccomp_prepare(conf->security.seccomp, m->dir, conf->security.nesting, cache, ret_sc,
					err);
	}
	if (r < 0)
		return r;
	log_debug("seccomp policy '%s' ready", conf->security.seccomp);
	return 0;
}

/* What others read once the container runs: written before the clone,
 * while the console and the cgroups are set up (prep_security). */
static int save_runtime_files(struct lxm_monitor *m, struct lxm_seccomp *sc, struct lxm_error *err)
{
	const struct lxm_config *conf = m->conf;
	int r;

	/* the program itself, for lxm-attach (which then neither parses
	 * nor compiles the policy) */
	{
		_cleanup_free_ char *path = lxm_runtime_path(m->paths, m->name, "seccomp.bpf");

		if (!path)
			return lxm_error_set(err, ENOMEM, "seccomp");
		r = lxm_seccomp_save(sc, path, err);
		if (r < 0)
			return r;
	}
	/* the config init runs with (-f, -s included), for lxm-cgroup's
	 * live changes and other starts' address checks (net.c) */
	{
		_cleanup_free_ char *path = lxm_runtime_path(m->paths, m->name, "config");

		if (!path)
			return lxm_error_set(err, ENOMEM, "runtime config");
		r = lxm_config_write_runtime(conf, path, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int write_idmaps(pid_t pid, const struct lxm_config *conf, struct lxm_error *err)
{
	static const char types[] = { 'g', 'u' };  /* gid_map first, then uid_map */

	for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
		char path[64], buf[1024];
		size_t off = 0;
		int r;

		for (size_t i = 0; i < conf->n_idmaps; i++) {
			const struct lxm_idmap *m = &conf->idmaps[i];
			if (m->type != types[t])
				continue;
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%u %u %u\n",
						m->container, m->host, m->count);
			if (off >= sizeof(buf))
				return lxm_error_set(err, E2BIG, "idmap");
		}
		snprintf(path, sizeof(path), "/proc/%d/%cid_map", (int)pid, types[t]);
		r = lxm_write_file_at(AT_FDCWD, path, buf, off, 0, 0);
		if (r < 0) {
			/* the map itself, as the kernel refused it as a whole */
			for (char *nl; (nl = strchr(buf, '\n')) && nl[1]; )
				*nl = ',';
			buf[strcspn(buf, "\n")] = '\0';
			return lxm_error_set(err, -r, "writing the %cid map '%s' to '%s'", types[t], buf, path);
		}
	}
	return 0;
}

/* ---- user namespace: rootfs ownership and what the mapped root owns ---- */

static const char *idmapped_method(const struct lxm_config *conf)
{
	return conf->rootfs_idmapped ? conf->rootfs_idmapped : "auto";
}

/* "mount": always; "shift": never; "auto": unless the rootfs has been
 * shifted (at create, where idmapped mounts did not work). */
static bool wants_idmapped_mount(const char *dir, const struct lxm_config *conf)
{
	_cleanup_free_ struct lxm_idmap *have = NULL;
	const char *method = idmapped_method(conf);
	size_t n = 0;

	if (!conf->n_idmaps || streq(method, "shift"))
		return false;
	if (streq(method, "mount"))
		return true;
	return lxm_shift_read_state(dir, &have, &n) == 0 && n == 0;
}

/* Bring the files on disk to what this start needs: shifted to the config's
 * map (a changed map re-shifts), or back to unshifted for an idmapped mount
 * or a privileged start. */
static int rootfs_ownership(const struct lxm_monitor *m, struct lxm_error *err)
{
	const struct lxm_config *conf = m->conf;
	bool shift = conf->n_idmaps && !wants_idmapped_mount(m->dir, conf);
	int r;

	if (m->rootfs_readonly) {
		_cleanup_free_ struct lxm_idmap *have = NULL;
		size_t n = 0;

		/* its files are the snapshots' lower layer */
		if (lxm_shift_read_state(m->dir, &have, &n) < 0 ||
		    !lxm_idmap_equal(have, n, shift ? conf->idmaps : NULL, shift ? conf->n_idmaps : 0))
			return lxm_error_setr(err, EBUSY, "rootfs '%s' is the base of snapshots: its owners cannot be "
					      "shifted to another id map", m->rootfs);
	}
	r = lxm_shift_ensure(m->dir, m->rootfs, shift ? conf->idmaps : NULL, shift ? conf->n_idmaps : 0, err);
	return r < 0 ? r : 0;
}

/* The console, the ttys and the container's cgroups (the directory and
 * the files that delegate it, not the limits) belong to the mapped root. */
static void delegate_to_root(const struct lxm_monitor *m)
{
	static const char *const files[] = { "cgroup.procs", "tasks", "cgroup.subtree_control",
					     "cgroup.threads", "cgroup.clone_children", "notify_on_release" };
	const struct lxm_config *conf = m->conf;
	int64_t uid = lxm_idmap_to_host(conf->idmaps, conf->n_idmaps, 'u', 0);
	int64_t gid = lxm_idmap_to_host(conf->idmaps, conf->n_idmaps, 'g', 0);
	int64_t tty = lxm_idmap_to_host(conf->idmaps, conf->n_idmaps, 'g', 5);
	const struct lxm_cgroup_hierarchy *h;
	size_t n = 0;

	if (uid < 0 || gid < 0)
		return;
	if (tty < 0)
		tty = gid;
	if (m->console.path[0] && chown(m->console.path, (uid_t)uid, (gid_t)tty) < 0)
		log_warn("giving '%s' to the container's root: %s", m->console.path, strerror(errno));
	for (size_t i = 0; i < m->n_ttys; i++)
		if (chown(m->ttys[i].path, (uid_t)uid, (gid_t)tty) < 0)
			log_warn("giving '%s' to the container's root: %s", m->ttys[i].path, strerror(errno));
	h = lxm_cgroup_hierarchies(m->cg, &n);
	for (size_t i = 0; i < n; i++) {
		_cleanup_close_ int dfd = h[i].path ? open(h[i].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		_cleanup_free_ char *more = NULL;
		char *save = NULL;

		if (dfd < 0)
			continue;
		(void)fchown(dfd, (uid_t)uid, (gid_t)gid);
		for (size_t f = 0; f < ARRAY_SIZE(files); f++)
			(void)fchownat(dfd, files[f], (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW);
		/* v2: whatever else this kernel says is safe to delegate
		 * (memory.oom.group, memory.reclaim, ...) */
		if (!h[i].unified || lxm_read_file_at(AT_FDCWD, "/sys/kernel/cgroup/delegate", &more, NULL) < 0)
			continue;
		for (char *f = strtok_r(more, " \n", &save); f; f = strtok_r(NULL, " \n", &save))
			if (!strchr(f, '/'))
				(void)fchownat(dfd, f, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW);
	}
}

/* The rootfs for the child: idmapped when wanted; in "auto" mode a
 * filesystem that refuses gets shifted now, and a plain clone. */
static int rootfs_tree(const struct lxm_monitor *m, pid_t pid, struct lxm_error *err)
{
	const struct lxm_config *conf = m->conf;
	/* a snapshot: its base's rootfs, the overlay's lower layer */
	const char *src = conf->rootfs_overlay_lower ? conf->rootfs_overlay_lower : m->rootfs;
	int tree = lxm_idmap_mount_tree(src, pid, true);
	int r;

	if (tree >= 0)
		return tree;
	if (!streq(idmapped_method(conf), "auto"))
		return lxm_error_set(err, -tree, "idmapped mount of rootfs '%s'", src);
	if (conf->rootfs_overlay_lower)
		return lxm_error_set(err, -tree, "idmapped mount of the snapshot's base '%s' (an unprivileged "
				     "snapshot needs idmapped mounts)", src);
	if (m->rootfs_readonly)
		return lxm_error_set(err, -tree, "idmapped mount of rootfs '%s' (the base of snapshots: no shifting)",
				     m->rootfs);
	log_warn("no idmapped mount of '%s' (%s): shifting its ownership instead", m->rootfs, strerror(-tree));
	r = lxm_shift_ensure(m->dir, m->rootfs, conf->idmaps, conf->n_idmaps, err);
	if (r < 0)
		return r;
	tree = lxm_idmap_mount_tree(m->rootfs, pid, false);
	if (tree < 0)
		return lxm_error_set(err, -tree, "cloning the mount of rootfs '%s'", m->rootfs);
	return tree;
}

/* What the clone needs that nothing of the console or the cgroups does,
 * made by a second thread of the monitor while its main thread sets those
 * up: for a container without a user namespace its network namespace
 * (~0.45 ms of kernel work here; in a user namespace init makes its own
 * once its id maps are written), then the AppArmor profile, the seccomp
 * program and the runtime files, by whichever thread comes to them first
 * (right after a stop the namespace waits for the kernel's teardown of
 * the last one). The links are made after the clone, while init sets
 * itself up. The thread ends before the clone: init is cloned from a
 * single-threaded process, and the monitor never setns()es into a mount
 * namespace (which a second thread would forbid). */
static void prep_netns(struct lxm_monitor_prep *p)
{
	_cleanup_close_ int host = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	/* failing that, clone3 makes it (and says why, if it cannot) */
	if (host < 0 || unshare(CLONE_NEWNET) < 0) {
		log_debug("making the network namespace ahead: %s, leaving it to the clone", strerror(errno));
		return;
	}
	/* the thread's end leaves the namespace to this fd */
	p->netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (p->netns_fd < 0) {
		log_debug("opening the network namespace made ahead: %s, leaving it to the clone", strerror(errno));
		return;
	}
	p->host_fd = TAKE_FD(host);
}

static int prep_security(struct lxm_monitor *m, struct lxm_error *err)
{
	struct lxm_monitor_prep *p = &m->prep;
	int r;

	if (atomic_exchange(&p->security_claimed, true))
		return 0;
	r = prepare_security(m, &p->seccomp, &p->aa_profile, err);
	return r < 0 ? r : save_runtime_files(m, p->seccomp, err);
}

static void *prep_thread(void *arg)
{
	struct lxm_monitor *m = arg;

	if (m->prep.make_netns)
		prep_netns(&m->prep);
	if (!m->prep.err.code)
		(void)prep_security(m, &m->prep.err);
	return NULL;
}

static void prep_begin(struct lxm_monitor *m)
{
	int r;

	/* only a thread may leave the monitor's network namespace */
	m->prep.make_netns = m->conf->n_idmaps == 0 && !lxm_net_shares_host(m->conf);
	r = pthread_create(&m->prep.thread, NULL, prep_thread, m);
	m->prep.running = r == 0;
	/* failing that, prep_join() makes all but the namespace */
	if (r != 0)
		log_debug("starting the preparing thread: %s, preparing after the cgroups", strerror(r));
}

/* The thread's end. */
static void prep_wait(struct lxm_monitor_prep *p)
{
	if (p->running) {
		pthread_join(p->thread, NULL);
		p->running = false;
	}
}

/* What the thread made, and the security part made here unless the
 * thread has come to it (without a thread: all of that). */
static int prep_join(struct lxm_monitor *m, struct lxm_error *err)
{
	struct lxm_monitor_prep *p = &m->prep;
	struct lxm_error own = { 0 };
	int r = prep_security(m, &own);

	prep_wait(p);
	if (p->err.code) {
		*err = p->err;
		return -p->err.code;
	}
	if (r < 0)
		*err = own;
	return r;
}

/* After the clone or a failure (a reboot prepares again). */
static void prep_release(struct lxm_monitor_prep *p)
{
	prep_wait(p);
	closep(&p->netns_fd);
	closep(&p->host_fd);
	p->netns_fd = p->host_fd = -1;
	lxm_seccomp_free(p->seccomp);
	p->seccomp = NULL;
	free(p->aa_profile);
	p->aa_profile = NULL;
	atomic_store(&p->security_claimed, false);
	lxm_error_clear(&p->err);
}

static int spawn(struct lxm_monitor *m, struct lxm_error *err)
{
	const struct lxm_config *conf = m->conf;
	int sv[2];
	int pidfd = -1;
	int cgfd = lxm_cgroup_v2_fd(m->cg);
	bool has_v1 = lxm_cgroup_has_v1(m->cg);
	bool userns = conf->n_idmaps > 0;
	bool net_host = lxm_net_shares_host(conf);
	struct child_ctx ctx = {
		.m = m, .userns = userns, .enter_self = has_v1,
		.idmapped_mount = userns && wants_idmapped_mount(m->dir, conf),
		.net_host = net_host, .net_unshare = userns && !net_host,
		.net_links = lxm_net_has_links(conf),
	};
	bool into_netns;
	struct clone_args args = {
		.flags = CLONE_PIDFD | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		.exit_signal = SIGCHLD,
	};
	pid_t pid;
	int r;

	if (userns) {
		args.flags |= CLONE_NEWUSER;
		delegate_to_root(m);
	}
	/* made while the monitor was set up (on a reboot, now) */
	r = prep_join(m, err);
	if (r < 0)
		return r;
	/* init is cloned into the network namespace made for it; without
	 * one, clone3 makes it */
	into_netns = !userns && !net_host && m->prep.netns_fd >= 0 && m->prep.host_fd >= 0;
	if (!userns && !net_host && !into_netns)
		args.flags |= CLONE_NEWNET;
	if (cgfd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgfd;
	}
	/* the cgroup namespace's root is the cgroup we are in when it is made:
	 * with v1 hierarchies to join after the clone, it has to wait */
	if (has_v1 || cgfd < 0)
		ctx.unshare_cgroupns = true;
	else
		args.flags |= CLONE_NEWCGROUP;

	ctx.seccomp = m->prep.seccomp;
	ctx.aa_profile = m->prep.aa_profile;
	/* for the state file: lxm-attach confines attached processes so */
	m->confine = (struct lxm_confinement){
		.known = true,
		.userns = userns,
		.no_new_privs = conf->security.no_new_privs,
		.seccomp = ctx.seccomp != NULL,
		.caps = lxm_caps_mask(conf->security.cap_drop, conf->security.n_cap_drop,
				      conf->security.cap_keep, conf->security.n_cap_keep),
	};
	if (ctx.aa_profile && lxm_strscpy(m->confine.apparmor, ctx.aa_profile, sizeof(m->confine.apparmor)) < 0)
		return lxm_error_setr(err, ENAMETOOLONG, "AppArmor profile name '%s' too long", ctx.aa_profile);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return lxm_error_set(err, errno, "creating the sync socket");

	/* init is cloned in the network namespace made for it: the monitor
	 * is there for that clone only */
	if (into_netns && setns(m->prep.netns_fd, CLONE_NEWNET) < 0) {
		r = lxm_error_set(err, errno, "entering the container's network namespace");
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0 && errno == EINVAL && cgfd >= 0) {
		/* a cgroup that refuses CLONE_INTO_CGROUP: attach it afterwards */
		args.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
		args.flags &= ~(uint64_t)CLONE_NEWCGROUP;
		args.cgroup = 0;
		cgfd = -1;
		ctx.wait_cgroup = true;
		ctx.unshare_cgroupns = true;
		pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	}
	if (pid != 0 && into_netns) {
		int e = errno;

		if (setns(m->prep.host_fd, CLONE_NEWNET) < 0) {
			/* cannot happen for root; never go on in the wrong namespace */
			log_error("returning to the host's network namespace: %s", strerror(errno));
			abort();
		}
		errno = e;
		/* the container's now: every stop path tears it down */
		if (pid > 0) {
			m->netns_fd = m->prep.netns_fd;
			m->prep.netns_fd = -1;
		}
	}
	if (pid < 0) {
		int e = errno;

		/* lxm's own seccomp policy in an outer container, unless it
		 * has security.nesting: clone3 is ENOSYS, new user
		 * namespaces EPERM */
		r = lxm_error_set(err, e, "cloning the container's init%s",
				  (e == ENOSYS || e == EPERM) && lxm_devcg_confined() ?
				  " (inside a container without security.nesting = true?)" : "");
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		close(sv[0]);
		ctx.sync_fd = sv[1];
		child_main(&ctx);
	}
	close(sv[1]);
	m->pid = pid;
	m->pidfd = pidfd;
	log_debug("cloned init as pid %d%s", (int)pid, cgfd >= 0 ? " into its cgroup" : "");

	if (userns) {
		r = write_idmaps(pid, conf, err);
		if (r < 0)
			goto fail;
		/* the parent writes gid_map, then uid_map */
		r = lxm_sync_send(sv[0], LXM_SYNC_IDMAPS_WRITTEN);
		if (r < 0)
			goto child_failed;
		if (ctx.idmapped_mount) {
			int tree = rootfs_tree(m, pid, err);

			if (tree < 0) {
				r = tree;
				goto fail;
			}
			/* the rootfs mounted with the container's id map */
			r = lxm_send_fd(sv[0], LXM_SYNC_IDMAPS_WRITTEN, tree);
			close(tree);
			if (r < 0)
				goto child_failed;
		}
	}
	if (ctx.net_unshare) {
		/* the network namespace exists */
		r = lxm_sync_wait(sv[0], LXM_SYNC_NET_UNSHARED, err);
		if (r < 0)
			goto fail;
	}
	if (!net_host && m->netns_fd < 0) {
		char nspath[64];

		/* held until teardown: phys devices go back to the host from it */
		snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", (int)pid);
		m->netns_fd = open(nspath, O_RDONLY | O_CLOEXEC);
		if (m->netns_fd < 0) {
			r = lxm_error_set(err, errno, "opening '%s'", nspath);
			goto fail;
		}
	}
	if (ctx.wait_cgroup) {
		r = lxm_cgroup_attach(m->cg, pid, false, err);
		if (r < 0)
			goto fail;
		/* the parent has put us in every cgroup */
		r = lxm_sync_send(sv[0], LXM_SYNC_CGROUP_JOINED);
		if (r < 0)
			goto child_failed;
	}
	if (ctx.net_links) {
		/* the child waits for this only before its seccomp filter
		 * (when last) and exec */
		r = lxm_net_create_links(conf, m->netns_fd, m->phys, &m->n_phys, err);
		if (r < 0)
			goto fail;
		/* host side links are in place (the monitor configures them
		 * while we set up the rootfs and confine ourselves; init must
		 * find them ready) */
		r = lxm_sync_send(sv[0], LXM_SYNC_NET_CONFIGURED);
		if (r < 0)
			goto child_failed;
	}
	/* the first start: the command socket (a reboot keeps it) */
	if (m->listen_fd < 0 && (r = lxm_monitor_listen(m, err)) < 0)
		goto fail;
child_failed:
	r = lxm_sync_wait_exec(sv[0], err);
	if (r < 0)
		goto fail;
	close(sv[0]);
	if (lxm_proc_starttime(pid, &m->starttime) < 0)
		m->starttime = 0;
	log_debug("init exec'd");
	return 0;
fail:
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	{
		siginfo_t si;
		while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR)
			;
	}
	{
		/* a child that failed first says why; what failed here may
		 * only follow from it (its /proc/PID/ns gone: EACCES) */
		struct lxm_error child_err = { 0 };

		if (lxm_sync_pending_error(sv[0], &child_err) < 0) {
			*err = child_err;
			r = -child_err.code;
		}
	}
	close(sv[0]);
	close(pidfd);
	m->pidfd = -1;
	m->pid = 0;
	lxm_net_teardown(conf, m->netns_fd, m->phys, m->n_phys);
	m->n_phys = 0;
	closep(&m->netns_fd);
	m->netns_fd = -1;
	return r;
}

int lxm_start_spawn(struct lxm_monitor *m, struct lxm_error *err)
{
	int r = spawn(m, err);

	prep_release(&m->prep);
	return r;
}

/* ---- lxm-start: the command's side ---- */

struct status_msg {
	int32_t code;
	uint8_t complete;
	char msg[LXM_ERROR_MSG_MAX];
};

static int apply_override(struct lxm_config *conf, const char *kv, struct lxm_error *err)
{
	_cleanup_free_ char *key = NULL;
	const char *eq = strchr(kv, '=');

	if (!eq || eq == kv)
		return lxm_error_setr(err, EINVAL, "-s '%s': expected KEY=VALUE", kv);
	key = strndup(kv, (size_t)(eq - kv));
	if (!key)
		return lxm_error_set(err, ENOMEM, "-s");
	return lxm_config_set(conf, key, eq + 1, err);
}

static int load_config(struct lxm_monitor *m, const struct lxm_start_opts *opts, struct lxm_error *err)
{
	_cleanup_free_ char *path = lxm_container_path(m->paths, m->name, "config");
	_cleanup_free_ char *partial = lxm_container_path(m->paths, m->name, "partial");
	struct stat st;
	int r;

	if (!path || !partial)
		return lxm_error_set(err, ENOMEM, "loading config");
	if (stat(m->dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return lxm_error_setr(err, ENOENT, "no such container in '%s'", m->paths->lxmpath);
	if (access(partial, F_OK) == 0)
		return lxm_error_setr(err, EBUSY, "the container is being created, or its creation was interrupted (run lxm-destroy)");
	r = lxm_config_init(m->conf);
	if (r < 0)
		return lxm_error_set(err, -r, "loading config");
	r = lxm_config_read_file(m->conf, path, err);
	if (r < 0)
		return r;
	if (opts->conf_file) {
		r = lxm_config_read_file(m->conf, opts->conf_file, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < opts->n_overrides; i++) {
		r = apply_override(m->conf, opts->overrides[i], err);
		if (r < 0)
			return r;
	}
	if (!m->conf->name) {
		m->conf->name = strdup(m->name);
		if (!m->conf->name)
			return lxm_error_set(err, ENOMEM, "loading config");
	} else if (!streq(m->conf->name, m->name)) {
		/* a copied directory: the name owns static addresses and
		 * host links, two containers must not share one */
		return lxm_error_setr(err, EINVAL, "%s: name: '%s' is not this container's name (a copy of "
				      "another container? set name = \"%s\", and a new uuid and hwaddr, or use lxm-copy)",
				      path, m->conf->name, m->name);
	}
	r = lxm_config_validate(m->conf, path, err);
	if (r < 0)
		return r;
	/* an interface added by hand without hwaddr: the same MAC at every
	 * start (from the uuid, as lxm-create gives), not a random one */
	for (size_t i = 0; m->conf->uuid[0] && i < m->conf->n_nics; i++) {
		struct lxm_nic *nic = &m->conf->nics[i];

		if ((nic->type == LXM_NET_VETH || nic->type == LXM_NET_MACVLAN) && !nic->hwaddr[0])
			(void)lxm_mac_from_uuid(m->conf->uuid, (unsigned)i, nic->hwaddr);
	}
	m->rootfs = lxm_config_rootfs_path(m->conf, m->dir);
	if (!m->rootfs)
		return lxm_error_set(err, ENOMEM, "loading config");
	return 0;
}

static int check_rootfs(const struct lxm_monitor *m, struct lxm_error *err)
{
	_cleanup_close_ int rootfd = open(m->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int initfd = -1;
	const char *init = m->conf->init_cmd[0];
	struct stat st;

	if (rootfd < 0)
		return lxm_error_set(err, errno, "rootfs '%s'", m->rootfs);
	if (m->conf->rootfs_overlay_lower) {
		/* a snapshot: its rootfs is only the overlay's mount point
		 * until the child mounts it; init is in a layer (the upper dir
		 * may replace it, but rarely removes it) */
		closep(&rootfd);
		rootfd = open(m->conf->rootfs_overlay_lower, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			return lxm_error_set(err, errno, "the snapshot's base rootfs '%s'", m->conf->rootfs_overlay_lower);
	}
	initfd = lxm_rootfs_open_in_root(rootfd, init, O_PATH);
	if (initfd < 0)
		return lxm_error_set(err, -initfd, "init '%s' in rootfs '%s'", init, m->rootfs);
	if (fstat(initfd, &st) < 0)
		return lxm_error_set(err, errno, "init '%s' in rootfs '%s'", init, m->rootfs);
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return lxm_error_setr(err, EACCES, "init '%s' in rootfs '%s' is not an executable file",
				      init, m->rootfs);
	return 0;
}

/* The runtime dir doubles as the start lock: whoever makes it starts the
 * container; the monitor holds an flock on its 'lock' file for its life. */
static int claim_rundir(struct lxm_monitor *m, struct lxm_error *err)
{
	_cleanup_free_ char *lock = lxm_runtime_path(m->paths, m->name, "lock");
	int r;

	if (!lock)
		return lxm_error_set(err, ENOMEM, "runtime dir");
	r = lxm_mkdir_p(m->paths->rundir, 0755);
	if (r < 0)
		return lxm_error_set(err, -r, "creating runtime dir '%s'", m->paths->rundir);
	for (int attempt = 0; attempt < 4; attempt++) {
		_cleanup_close_ int fd = -1;
		struct lxm_runtime rt;

		r = lxm_container_claim_runtime(m->paths, m->name, &m->lock_fd);
		if (r == 0)
			return 0;
		if (r != -EEXIST)
			return lxm_error_set(err, -r, "creating runtime dir '%s'", m->rundir);
		fd = open(lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		/* retried: another command's probe holds it for a moment */
		if (fd >= 0 && lxm_flock_retry(fd, 5, 1000) < 0) {
			char other[512];

			if (lxm_container_runs_elsewhere(m->paths, m->name, other, sizeof(other)))
				return lxm_error_setr(err, EBUSY, "the container of that name in '%s' is running: "
						      "containers of one name share the runtime dir '%s' and their "
						      "cgroups, whatever their lxmpath", other, m->rundir);
			/* no state file yet: another start, or a stop cleaning up */
			if (access(m->state_path, F_OK) < 0 && errno == ENOENT)
				return lxm_error_setr(err, EBUSY, "is being started or stopped; try again");
			return lxm_error_setr(err, EBUSY, "already running");
		}
		if (lxm_runtime_read(m->state_path, &rt) == 0) {
			_cleanup_close_ int pidfd = lxm_pidfd_open_checked(rt.init_pid, rt.init_starttime);
			/* without pidfd_open (Linux < 5.3, valgrind) compare /proc */
			if (pidfd >= 0 || (pidfd == -ENOSYS && lxm_process_matches(rt.init_pid, rt.init_starttime)))
				return lxm_runtime_is_of(&rt, m->dir)
					       ? lxm_error_setr(err, EBUSY, "already running (its monitor is gone; "
								"lxm-stop still stops it)")
					       : lxm_error_setr(err, EBUSY, "the container of that name in '%s' is running "
								"(its monitor is gone): containers of one name share "
								"the runtime dir '%s' and their cgroups",
								rt.dir[0] ? rt.dir : "another lxmpath", m->rundir);
		}
		/* a lock that was removed while we waited for it: another
		 * command cleaned up that runtime dir (and a start may have
		 * made a new one since) */
		if (fd >= 0 && !lxm_container_lock_is_current(fd, lock))
			continue;
		/* a stale runtime dir: the monitor and the container are gone */
		log_debug("removing stale runtime dir '%s'", m->rundir);
		r = lxm_container_remove_runtime(m->paths, m->name, m->dir);
		if (r < 0)
			return lxm_error_set(err, -r, "removing stale runtime dir '%s'", m->rundir);
	}
	return lxm_error_setr(err, EBUSY, "runtime dir '%s' keeps reappearing", m->rundir);
}

static void report_status(int fd, const struct lxm_error *e)
{
	struct status_msg s = { 0 };

	if (e) {
		s.code = e->code ? e->code : EIO;
		s.complete = e->complete;
		memcpy(s.msg, e->msg, sizeof(s.msg));
	}
	(void)lxm_write_full(fd, &s, sizeof(s));
}

static int monitor_init(struct lxm_monitor *m, const struct lxm_paths *paths, const char *name,
			struct lxm_config *conf)
{
	memset(m, 0, sizeof(*m));
	m->paths = paths;
	m->name = name;
	m->conf = conf;
	m->listen_fd = m->epoll_fd = m->timer_fd = m->signal_fd = m->lock_fd = m->pidfd = -1;
	m->netns_fd = m->prep.netns_fd = m->prep.host_fd = -1;
	atomic_init(&m->prep.security_claimed, false);
	m->stdin_fd = m->stdout_fd = -1;
	m->console.master = m->console.slave = -1;
	m->log.fd = -1;
	for (size_t i = 0; i < LXM_MONITOR_MAX_CLIENTS; i++)
		m->clients[i] = -1;
	for (size_t i = 0; i < LXM_MONITOR_MAX_REJECTS; i++)
		m->rejects[i] = -1;
	m->dir = lxm_container_path(paths, name, NULL);
	m->rundir = lxm_runtime_path(paths, name, NULL);
	m->sock_path = lxm_runtime_path(paths, name, "command");
	m->state_path = lxm_runtime_path(paths, name, "state");
	if (!m->dir || !m->rundir || !m->sock_path || !m->state_path)
		return -ENOMEM;
	return 0;
}

static int run_monitor(struct lxm_monitor *m, struct lxm_error *err)
{
	int r;

	prep_begin(m);
	r = lxm_monitor_setup(m, err);
	if (r < 0) {
		prep_release(&m->prep);
		return r;
	}
	m->state = LXM_STATE_STARTING;
	log_debug("monitor set up");
	r = lxm_start_spawn(m, err);
	if (r < 0)
		return r;
	m->state = LXM_STATE_RUNNING;
	r = lxm_monitor_write_state(m);
	if (r < 0)
		return lxm_error_set(err, -r, "writing '%s'", m->state_path);
	log_debug("state file written");
	return 0;
}

#define AA_WARNING "AppArmor is not enabled on this host, the container runs without a profile"
/* without the profile nothing keeps a privileged container's root from
 * remounting /proc/sys or /sys writable (seccomp cannot see the path) */
#define AA_WARNING_PRIVILEGED AA_WARNING " (its root can remount /proc/sys and /sys writable: use an unprivileged container)"

/* The command and the monitor mostly wait for each other and for the
 * child, and the one woken gets the CPU of the one that woke it: with the
 * default slice it waits there until that one's slice ends (init, just
 * exec'd, keeps the CPU for ~0.7 ms). A short slice lets their wakeups
 * preempt (kernel 6.12+; older ones ignore it). reset_on_fork: the
 * container's processes get the default again. */
static void short_slice(bool reset_on_fork)
{
	/* <linux/sched/types.h>'s, which clashes with <sched.h> */
	struct {
		uint32_t size, sched_policy;
		uint64_t sched_flags;
		int32_t sched_nice;
		uint32_t sched_priority;
		uint64_t sched_runtime, sched_deadline, sched_period;
	} attr = {
		.size = sizeof(attr),
		.sched_policy = SCHED_OTHER,
		.sched_flags = reset_on_fork ? 0x01 : 0,   /* SCHED_FLAG_RESET_ON_FORK */
		.sched_runtime = 100 * 1000,   /* ns: the shortest slice there is */
	};
	int nice;

	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	/* reset_on_fork would also reset a negative nice */
	if (errno || nice < 0 || sched_getscheduler(0) != SCHED_OTHER)
		return;
	attr.sched_nice = nice;
	(void)syscall(SYS_sched_setattr, 0, &attr, 0);
}

void lxm_start_close_inherited_fds(void)
{
	DIR *d;
	struct dirent *de;

	if (syscall(SYS_close_range, 3, ~0U, 0) == 0)
		return;
	/* before Linux 5.9 */
	d = opendir("/proc/self/fd");
	if (!d) {
		long max = sysconf(_SC_OPEN_MAX);

		for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
			close((int)fd);
		return;
	}
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd < 3 || fd == dirfd(d))
			continue;
		close((int)fd);
	}
	closedir(d);
}

int lxm_start(const struct lxm_paths *paths, const char *name, const struct lxm_start_opts *opts,
	      struct lxm_error *err)
{
	bool aa_warn = false;
	char ro_note[256] = "";
	struct lxm_config conf = { 0 };
	struct lxm_monitor m;
	_cleanup_free_ char *logpath = NULL;
	int pipefd[2];
	pid_t pid;
	int r;

	r = lxm_name_validate(name, err);
	if (r < 0)
		return r;
	short_slice(opts->foreground);
	if (monitor_init(&m, paths, name, &conf) < 0) {
		r = lxm_error_set(err, ENOMEM, "starting");
		goto out;
	}
	r = load_config(&m, opts, err);
	if (r < 0)
		goto out;
	r = lxm_net_check(&conf, paths->confdir, err);
	if (r < 0)
		goto out;
	r = check_rootfs(&m, err);
	if (r < 0)
		goto out;
	/* a hand-edited idmap: the same checks as at create (another
	 * container's range, root's subordinate ranges) */
	if (conf.n_idmaps) {
		r = lxm_idmap_check(paths, name, conf.idmaps, conf.n_idmaps, err);
		if (r < 0) {
			lxm_error_prefix(err, "config");
			goto out;
		}
	}
	/* AppArmor: a named profile needs it; "generated" is said once, when
	 * the start goes ahead (an error stays the only line on failure) */
	if (lxm_apparmor_mode(conf.security.apparmor) != LXM_APPARMOR_UNCONFINED && !lxm_apparmor_enabled()) {
		if (lxm_apparmor_mode(conf.security.apparmor) == LXM_APPARMOR_NAMED) {
			r = lxm_error_setr(err, EOPNOTSUPP, "AppArmor profile '%s': AppArmor is not enabled on this host",
					   conf.security.apparmor);
			goto out;
		}
		aa_warn = true;
	}
	r = claim_rundir(&m, err);
	if (r < 0)
		goto out;
	/* after claiming the runtime dir: lxm-destroy locks first, then looks
	 * for a claimed one (a start that got past this is seen there) */
	r = lxm_snapshot_being_destroyed(m.dir);
	if (r != 0) {
		r = r > 0 ? lxm_error_setr(err, EBUSY, "is being destroyed")
			  : lxm_error_set(err, -r, "checking whether '%s' is being destroyed", m.dir);
		lxm_monitor_cleanup(&m);
		goto out;
	}
	/* after claiming the runtime dir: a full lxm-copy or an lxm-export
	 * locks first, then looks for a claimed one (inuse.h) */
	r = lxm_inuse_check(m.dir, err);
	if (r < 0) {
		lxm_monitor_cleanup(&m);
		goto out;
	}
	/* after claiming the runtime dir, whose lock tells another start
	 * that the addresses claimed here are in use while this one starts */
	r = lxm_net_check_conflicts(&conf, paths, err);
	if (r < 0) {
		lxm_monitor_cleanup(&m);
		goto out;
	}
	/* after claiming the runtime dir: lxm-copy -s marks the base first,
	 * then looks for it */
	m.rootfs_readonly = !conf.rootfs_overlay_lower &&
			    lxm_snapshot_base_readonly(paths, m.dir, m.rootfs, ro_note, sizeof(ro_note));
	r = rootfs_ownership(&m, err);
	if (r < 0) {
		lxm_monitor_cleanup(&m);
		goto out;
	}
	log_debug("config loaded, runtime dir claimed");
	logpath = opts->log_file ? strdup(opts->log_file) : lxm_strdup_printf("%s/%s.log", m.dir, name);

	if (opts->foreground) {
		/* the console goes to stdout: a reader that went away (| head)
		 * must not take the monitor, and the container's cleanup, with it */
		signal(SIGPIPE, SIG_IGN);
		m.foreground = true;
		m.stdin_fd = STDIN_FILENO;
		m.stdout_fd = STDOUT_FILENO;
		if (aa_warn)
			log_warn("%s", conf.n_idmaps ? AA_WARNING : AA_WARNING_PRIVILEGED);
		if (m.rootfs_readonly)
			log_warn("%s", ro_note);
		r = run_monitor(&m, err);
		if (r < 0) {
			lxm_monitor_cleanup(&m);
			goto out;
		}
		lxm_monitor_loop(&m);
		lxm_monitor_cleanup(&m);
		r = 0;
		goto out;
	}

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = lxm_error_set(err, errno, "creating status pipe");
		lxm_monitor_cleanup(&m);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = lxm_error_set(err, errno, "forking the monitor");
		close(pipefd[0]);
		close(pipefd[1]);
		lxm_monitor_cleanup(&m);
		goto out;
	}
	if (pid == 0) {
		int devnull;

		close(pipefd[0]);
		setsid();
		signal(SIGPIPE, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		{
			/* SIGTERM and SIGINT while the container starts wait for
			 * the event loop, which halts it (lxm_monitor_listen):
			 * dying of them now would leave its cgroup and runtime
			 * dir behind. Init resets its mask (child_main). */
			sigset_t set;

			lxm_monitor_halt_signals(&set);
			sigprocmask(SIG_BLOCK, &set, NULL);
		}
		short_slice(true);
		r = run_monitor(&m, err);
		if (r < 0) {
			lxm_monitor_cleanup(&m);
			report_status(pipefd[1], err);
			_exit(1);
		}
		/* detach: no terminal, logs go to the container's log file */
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
			close(devnull);
		}
		if (logpath && lxm_log_open("lxm-monitor", (enum lxm_log_level)opts->log_level, logpath) < 0)
			lxm_log_to_fd(-1);
		else if (!logpath)
			lxm_log_to_fd(-1);
		log_info("'%s' started, init pid %d", name, (int)m.pid);
		report_status(pipefd[1], NULL);
		close(pipefd[1]);
		lxm_monitor_loop(&m);
		lxm_monitor_cleanup(&m);
		lxm_monitor_free(&m);
		lxm_config_free(&conf);
		_exit(0);
	}
	close(pipefd[1]);
	{
		struct status_msg s;
		ssize_t n = lxm_read_full(pipefd[0], &s, sizeof(s));

		close(pipefd[0]);
		if (n != (ssize_t)sizeof(s)) {
			r = lxm_error_setr(err, EIO, "the monitor exited before the container started");
		} else if (s.code) {
			s.msg[sizeof(s.msg) - 1] = '\0';
			err->code = s.code;
			err->complete = s.complete;
			memcpy(err->msg, s.msg, sizeof(err->msg));
			r = -s.code;
		} else {
			r = 0;
			if (aa_warn)
				log_warn("%s", conf.n_idmaps ? AA_WARNING : AA_WARNING_PRIVILEGED);
			if (m.rootfs_readonly)
				log_warn("%s", ro_note);
		}
	}
	/* the monitor holds the lock now */
	closep(&m.lock_fd);
	m.lock_fd = -1;
out:
	lxm_monitor_free(&m);
	lxm_config_free(&conf);
	return r;
}
