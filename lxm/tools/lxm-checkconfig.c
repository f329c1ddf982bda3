/* lxm-checkconfig: what this host supports, one verdict per line. Every probe
 * is tried for real where it can be (namespaces, idmapped mounts, pidfd,
 * clone3, links in a throw-away network namespace), not read from a kernel
 * config file that may not exist. Exit status 1 when something lxm needs is
 * missing; optional features only print a note. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>

#include "cgroup.h"
#include "common.h"
#include "devcg.h"

static const char usage[] =
	"Usage: lxm-checkconfig\n"
	"Check what this host supports: namespaces, cgroups and their controllers,\n"
	"idmapped mounts, pidfd, clone3, AppArmor, seccomp, veth/bridge/macvlan links\n"
	"and root's subordinate id ranges. Each line ends in a verdict: 'yes',\n"
	"'missing' (lxm needs it) or 'no' (optional, with what lxm does instead).\n"
	"Exits 1 when something lxm needs is missing. Most probes need root.\n";

static int n_missing;
static bool color;

enum verdict { YES, NO, MISSING };

static void line(const char *what, enum verdict v, const char *fmt, ...) _printf_(3, 4);
static void line(const char *what, enum verdict v, const char *fmt, ...)
{
	static const char *const words[] = { "yes", "no", "missing" };
	static const char *const colors[] = { "\033[32m", "\033[33m", "\033[31m" };
	char detail[512] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	if (v == MISSING)
		n_missing++;
	printf("%-26s %s%s%s%s%s\n", what, color ? colors[v] : "", words[v], color ? "\033[0m" : "",
	       *detail ? " - " : "", detail);
}

static void section(const char *title)
{
	printf("--- %s ---\n", title);
}

/* Run fn in a child; its exit status is 0 or an errno. */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(fn(arg) & 0xff);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return errno;
	if (!WIFEXITED(status))
		return EINTR;
	return WEXITSTATUS(status);
}

static int try_unshare(void *arg)
{
	return unshare((int)(intptr_t)arg) < 0 ? errno : 0;
}

static void check_namespaces(void)
{
	static const struct { const char *name; int flag; } ns[] = {
		{ "mount namespace", CLONE_NEWNS },
		{ "pid namespace", CLONE_NEWPID },
		{ "uts namespace", CLONE_NEWUTS },
		{ "ipc namespace", CLONE_NEWIPC },
		{ "network namespace", CLONE_NEWNET },
		{ "cgroup namespace", CLONE_NEWCGROUP },
		{ "user namespace", CLONE_NEWUSER },
	};

	section("Namespaces");
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		int r = in_child(try_unshare, (void *)(intptr_t)ns[i].flag);

		if (r == 0)
			line(ns[i].name, YES, NULL);
		else
			line(ns[i].name, MISSING, "unshare: %s", strerror(r));
	}
	{
		_cleanup_free_ char *max = NULL;

		if (lxm_read_file_at(AT_FDCWD, "/proc/sys/user/max_user_namespaces", &max, NULL) == 0 &&
		    atoi(max) == 0)
			line("user namespaces allowed", MISSING, "user.max_user_namespaces is 0");
	}
}

/* What enforces the container's device policy (devcg.h): the v1 devices
 * controller where there is one, else a BPF device program on cgroup v2. */
static void check_device_policy(const struct lxm_cgroup_mounts *m)
{
	bool v1 = false, v2 = false;
	int r;

	for (size_t i = 0; i < m->n; i++) {
		if (m->h[i].unified)
			v2 = true;
		else if (lxm_cgroup_hierarchy_has(&m->h[i], "devices"))
			v1 = true;
	}
	if (v1) {
		line("device policy", YES, "cgroup v1 devices controller");
		return;
	}
	if (!v2) {
		line("device policy", MISSING, "no devices controller and no cgroup v2");
		return;
	}
	r = lxm_devcg_probe();
	if (r == 0)
		line("device policy", YES, "BPF device program on cgroup v2");
	else if (r == -EPERM && geteuid() != 0)
		line("device policy", NO, "loading a BPF device program needs root: run as root to check");
	else
		line("device policy", MISSING, "loading a BPF device program: %s", strerror(-r));
}

/* What lxm-freeze uses (cgroup.c): the v1 freezer controller where it is
 * mounted, else the core freezer of cgroup v2, whose cgroup.freeze is in
 * every cgroup but the root one (Linux 5.2 and later). */
static void check_freezer(const struct lxm_cgroup_mounts *m)
{
	const char *v2 = NULL;

	for (size_t i = 0; i < m->n; i++) {
		if (m->h[i].unified)
			v2 = m->h[i].mountpoint;
		else if (lxm_cgroup_hierarchy_has(&m->h[i], "freezer")) {
			line("cgroup freezer", YES, "cgroup v1 freezer controller");
			return;
		}
	}
	if (v2) {
		DIR *d = opendir(v2);
		struct dirent *de;
		bool found = false;

		while (d && !found && (de = readdir(d))) {
			char path[PATH_MAX];

			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/cgroup.freeze", v2, de->d_name);
			found = access(path, F_OK) == 0;
		}
		if (d)
			closedir(d);
		if (found) {
			line("cgroup freezer", YES, "cgroup v2 (cgroup.freeze)");
			return;
		}
	}
	line("cgroup freezer", NO, "%s: lxm-freeze will not work",
	     v2 ? "no v1 freezer, no cgroup.freeze in cgroup v2 (Linux 5.2 or later)" : "no freezer controller");
}

static void check_cgroups(void)
{
	struct lxm_cgroup_mounts m = { 0 };
	struct lxm_error err = { 0 };
	_cleanup_free_ char *mi = NULL;
	char v1[1024] = "", v2[1024] = "";
	bool have[4] = { false };
	static const char *const wanted[] = { "memory", "pids", "cpu", "cpuset" };
	char text[LXM_ERROR_MSG_MAX + 64];

	section("Control groups");
	if (lxm_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &mi, NULL) < 0 ||
	    lxm_cgroup_parse_mountinfo(mi, &m, &err) < 0) {
		line("cgroup hierarchy", MISSING, "%s", err.code ? lxm_error_text(&err, text, sizeof(text)) : "no mountinfo");
		return;
	}
	line("cgroup layout", YES, "%s", m.layout == LXM_CGROUP_UNIFIED ? "cgroup v2 (unified)" :
	     m.layout == LXM_CGROUP_HYBRID ? "hybrid (cgroup v1 controllers, v2 mounted too)" : "cgroup v1 (legacy)");
	for (size_t i = 0; i < m.n; i++) {
		const struct lxm_cgroup_hierarchy *h = &m.h[i];

		if (h->unified) {
			_cleanup_free_ char *path = lxm_strdup_printf("%s/cgroup.controllers", h->mountpoint);
			_cleanup_free_ char *ctl = NULL;

			if (path && lxm_read_file_at(AT_FDCWD, path, &ctl, NULL) == 0) {
				ctl[strcspn(ctl, "\n")] = '\0';
				snprintf(v2 + strlen(v2), sizeof(v2) - strlen(v2), "%s", ctl);
				for (size_t w = 0; w < ARRAY_SIZE(wanted); w++) {
					char pad[512], key[64];

					snprintf(pad, sizeof(pad), " %s ", ctl);
					snprintf(key, sizeof(key), " %s ", wanted[w]);
					if (strstr(pad, key))
						have[w] = true;
				}
			}
		} else if (h->controllers) {
			snprintf(v1 + strlen(v1), sizeof(v1) - strlen(v1), "%s%s", *v1 ? " " : "", h->controllers);
			for (size_t w = 0; w < ARRAY_SIZE(wanted); w++)
				if (lxm_cgroup_hierarchy_has(h, wanted[w]))
					have[w] = true;
		}
	}
	if (m.layout != LXM_CGROUP_UNIFIED)
		line("cgroup v1 hierarchies", YES, "%s", *v1 ? v1 : "(none)");
	if (m.layout != LXM_CGROUP_LEGACY)
		line("cgroup v2 controllers", YES, "%s", *v2 ? v2 : "(none enabled at the root)");
	for (size_t w = 0; w < ARRAY_SIZE(wanted); w++) {
		char what[64];

		snprintf(what, sizeof(what), "cgroup %s controller", wanted[w]);
		if (have[w])
			line(what, YES, NULL);
		else
			line(what, NO, "limits.%s cannot be applied",
			     streq(wanted[w], "cpu") ? "cpu_weight" : wanted[w]);
	}
	check_device_policy(&m);
	check_freezer(&m);
	lxm_cgroup_mounts_done(&m);
}

static int wait_byte(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

/* A tmpfs made with the new mount API, detached, idmapped through the user
 * namespace of a child that waits meanwhile. */
static int try_idmapped(void *arg)
{
	int go[2], done[2], fsfd, mfd, usernsfd, r = 0;
	char path[64];
	pid_t pid;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
		return errno;
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		char c = 1;

		close(go[0]);
		close(done[1]);
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		if (write(go[1], &c, 1) != 1)
			_exit(1);
		wait_byte(done[0]);
		_exit(0);
	}
	close(go[1]);
	close(done[0]);
	if (wait_byte(go[0]) < 0) {
		r = EPERM;
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	if (lxm_write_file_at(AT_FDCWD, path, "0 100000 65536\n", 15, O_WRONLY, 0) < 0) {
		r = errno ? errno : EPERM;
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	if (lxm_write_file_at(AT_FDCWD, path, "0 100000 65536\n", 15, O_WRONLY, 0) < 0) {
		r = errno ? errno : EPERM;
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	usernsfd = open(path, O_RDONLY | O_CLOEXEC);
	fsfd = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (usernsfd < 0 || fsfd < 0) {
		r = errno;
		goto out;
	}
	if (syscall(SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		r = errno;
		goto out;
	}
	mfd = (int)syscall(SYS_fsmount, fsfd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0) {
		r = errno;
		goto out;
	}
	attr.userns_fd = (uint64_t)usernsfd;
	if (syscall(SYS_mount_setattr, mfd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		r = errno;
out:
	close(done[1]);
	waitpid(pid, NULL, 0);
	return r;
}

static int try_clone3(void *arg)
{
	/* a zero-sized struct: EINVAL where clone3 exists, ENOSYS where not */
	if (syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS)
		return ENOSYS;
	return 0;
}

static void check_kernel(void)
{
	struct utsname u;
	int r, fd;

	section("Kernel");
	if (uname(&u) == 0)
		line("kernel", YES, "%s %s", u.sysname, u.release);
	fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (fd >= 0) {
		close(fd);
		line("pidfd", YES, NULL);
	} else {
		line("pidfd", MISSING, "pidfd_open: %s (Linux 5.3 or later)", strerror(errno));
	}
	r = in_child(try_clone3, NULL);
	if (r == 0)
		line("clone3", YES, NULL);
	else
		line("clone3", MISSING, "%s (Linux 5.3 or later)", strerror(r));
	r = in_child(try_idmapped, NULL);
	if (r == 0)
		line("idmapped mounts", YES, "tried on a tmpfs");
	else
		line("idmapped mounts", NO, "%s: unprivileged rootfs ownership is shifted at create instead",
		     strerror(r));
}

static void check_security(void)
{
	_cleanup_free_ char *enabled = NULL, *status = NULL, *actions = NULL;
	struct stat st;
	int r;

	section("Security");
	if (stat("/sys/kernel/security/apparmor", &st) == 0 &&
	    lxm_read_file_at(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", &enabled, NULL) == 0 &&
	    enabled[0] == 'Y')
		line("AppArmor", YES, NULL);
	else
		line("AppArmor", NO, "not enabled in this kernel: containers run without an AppArmor profile");
	r = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	if (r < 0 && errno == EINVAL) {
		line("seccomp", MISSING, "the kernel has no seccomp");
	} else {
		bool filter = false;

		if (lxm_read_file_at(AT_FDCWD, "/proc/self/status", &status, NULL) == 0 && strstr(status, "\nSeccomp_filters:"))
			filter = true;
		if (lxm_read_file_at(AT_FDCWD, "/proc/sys/kernel/seccomp/actions_avail", &actions, NULL) == 0) {
			actions[strcspn(actions, "\n")] = '\0';
			filter = filter || strstr(actions, "errno");
		}
		if (filter)
			line("seccomp filters", YES, "%s", actions ? actions : "");
		else
			line("seccomp filters", MISSING, "no seccomp filter mode (CONFIG_SECCOMP_FILTER)");
	}
}

/* In a new network namespace: a veth pair, a bridge, a macvlan on the veth.
 * Exit status bits: 1 veth, 2 bridge, 4 macvlan failed; 64 no netns. */
static int try_links(void *arg)
{
	struct nl_sock *sk;
	struct rtnl_link *l;
	int res = 0, idx = 0;

	if (unshare(CLONE_NEWNET) < 0)
		return 64;
	sk = nl_socket_alloc();
	if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0)
		return 64;
	l = rtnl_link_veth_alloc();
	if (!l)
		return 64;
	rtnl_link_set_name(l, "lxmck0");
	rtnl_link_set_name(rtnl_link_veth_get_peer(l), "lxmck1");
	if (rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL) < 0)
		res |= 1;
	rtnl_link_veth_release(l);
	l = rtnl_link_bridge_alloc();
	rtnl_link_set_name(l, "lxmckbr");
	if (!l || rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL) < 0)
		res |= 2;
	rtnl_link_put(l);
	if (!(res & 1)) {
		struct nl_cache *cache = NULL;

		if (rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) == 0)
			idx = rtnl_link_name2i(cache, "lxmck0");
		nl_cache_free(cache);
	}
	l = rtnl_link_macvlan_alloc();
	if (!l || idx <= 0) {
		res |= 4;
	} else {
		rtnl_link_set_link(l, idx);
		rtnl_link_set_name(l, "lxmckmv");
		if (rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL) < 0)
			res |= 4;
	}
	rtnl_link_put(l);
	nl_socket_free(sk);
	return res;
}

static void check_network(void)
{
	int r;

	section("Network");
	r = in_child(try_links, NULL);
	if (r & 64) {
		line("veth", MISSING, "could not try: no network namespace");
		return;
	}
	if (r & 1)
		line("veth", MISSING, "creating a veth pair failed");
	else
		line("veth", YES, NULL);
	if (r & 2)
		line("bridge", MISSING, "creating a bridge failed (lxm-net and net.link need one)");
	else
		line("bridge", YES, NULL);
	if (r & 4)
		line("macvlan", NO, "creating a macvlan failed: net type 'macvlan' will not work");
	else
		line("macvlan", YES, NULL);
}

/* Root's ranges in a subordinate id file: "root:100000:65536" or "0:...". */
static void check_subid(const char *what, const char *path)
{
	_cleanup_free_ char *text = NULL;
	char found[256] = "";
	uint64_t total = 0;

	if (lxm_read_file_at(AT_FDCWD, path, &text, NULL) < 0) {
		line(what, NO, "no '%s': lxm-create adds a range for root", path);
		return;
	}
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char owner[64];
		unsigned long start, count;

		if (sscanf(l, "%63[^:]:%lu:%lu", owner, &start, &count) != 3)
			continue;
		if (!streq(owner, "root") && !streq(owner, "0"))
			continue;
		total += count;
		snprintf(found + strlen(found), sizeof(found) - strlen(found), "%s%lu-%lu", *found ? ", " : "",
			 start, start + count - 1);
	}
	if (total >= 65536)
		line(what, YES, "root: %s", found);
	else
		line(what, NO, "root has %s in '%s': lxm-create adds a range", total ? "too few ids" : "no range", path);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		LXM_COMMON_LONGOPTS,
		{ 0 }
	};
	struct lxm_tool t;
	int opt;

	lxm_tool_begin(&t, "lxm-checkconfig", usage);
	while ((opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS, opts, NULL)) != -1) {
		if (lxm_tool_common_opt(&t, opt, optarg))
			continue;
		lxm_tool_usage_error(&t, "invalid option");
	}
	if (optind < argc)
		lxm_tool_usage_error(&t, "unexpected argument '%s'", argv[optind]);
	lxm_tool_setup(&t, false);
	color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	if (geteuid() != 0)
		printf("note: not root: lxm runs as root, and most probes fail for that reason alone\n");

	check_namespaces();
	check_cgroups();
	check_kernel();
	check_security();
	check_network();
	section("Unprivileged containers");
	check_subid("subuid range for root", getenv("LXM_SUBUID_FILE") ? getenv("LXM_SUBUID_FILE") : "/etc/subuid");
	check_subid("subgid range for root", getenv("LXM_SUBGID_FILE") ? getenv("LXM_SUBGID_FILE") : "/etc/subgid");

	printf("---\n");
	if (n_missing)
		printf("verdict: %d required feature%s missing: lxm will not work here\n", n_missing,
		       n_missing == 1 ? " is" : "s are");
	else
		printf("verdict: this host can run lxm containers\n");
	lxm_tool_end(&t);
	return n_missing ? 1 : 0;
}
