/* State names, paths with their overrides, the runtime state file, and
 * pidfds checked against the process start time. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "container.h"
#include "state.h"
#include "tap.h"

static char tmp[] = "/tmp/test-state-XXXXXX";

static const char *nn(const char *s)
{
	return s ? s : "(null)";
}

static void test_state_names(void)
{
	enum lxm_state s = LXM_STATE_MAX;
	int r;

	ok(streq(lxm_state_to_string(LXM_STATE_STOPPED), "STOPPED"), "STOPPED");
	ok(streq(lxm_state_to_string(LXM_STATE_RUNNING), "RUNNING"), "RUNNING");
	ok(streq(lxm_state_to_string(LXM_STATE_ABORTING), "ABORTING"), "ABORTING");
	ok(streq(lxm_state_to_string(LXM_STATE_MAX), "UNKNOWN"), "LXM_STATE_MAX is UNKNOWN");
	ok(streq(lxm_state_to_string((enum lxm_state)-1), "UNKNOWN"), "-1 is UNKNOWN");

	for (int i = 0; i < LXM_STATE_MAX; i++) {
		s = LXM_STATE_MAX;
		r = lxm_state_from_string(lxm_state_to_string(i), &s);
		ok(r == 0 && (int)s == i, "state %d round trips through '%s'", i, lxm_state_to_string(i));
	}
	r = lxm_state_from_string("running", &s);
	ok(r == 0 && s == LXM_STATE_RUNNING, "lower case 'running' parses");
	r = lxm_state_from_string("FrOzEn", &s);
	ok(r == 0 && s == LXM_STATE_FROZEN, "mixed case 'FrOzEn' parses");
	s = LXM_STATE_FROZEN;
	r = lxm_state_from_string("RUNNINGX", &s);
	ok(r == -EINVAL && s == LXM_STATE_FROZEN, "'RUNNINGX' -> EINVAL, output untouched");
	r = lxm_state_from_string("", &s);
	ok(r == -EINVAL, "'' -> EINVAL");
	r = lxm_state_from_string("UNKNOWN", &s);
	ok(r == -EINVAL, "'UNKNOWN' -> EINVAL");
	r = lxm_state_from_string(" RUNNING", &s);
	ok(r == -EINVAL, "' RUNNING' -> EINVAL");
}

static void unset_env(void)
{
	unsetenv("LXM_PATH");
	unsetenv("LXM_RUNDIR");
	unsetenv("LXM_CONFDIR");
	unsetenv("LXM_CACHEDIR");
}

static void test_paths(void)
{
	struct lxm_paths p;
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	int r;
	bool good;

	unset_env();
	r = lxm_paths_init(&p, NULL);
	good = r == 0 && streq(p.lxmpath, LXM_DEFAULT_PATH) && streq(p.rundir, LXM_DEFAULT_RUNDIR) &&
	       streq(p.confdir, LXM_DEFAULT_CONFDIR) && streq(p.cachedir, LXM_DEFAULT_CACHEDIR);
	ok(good, "defaults without environment (%s %s %s %s)", nn(p.lxmpath), nn(p.rundir), nn(p.confdir), nn(p.cachedir));
	lxm_paths_free(&p);
	ok(!p.lxmpath && !p.rundir && !p.confdir && !p.cachedir, "lxm_paths_free clears the struct");

	setenv("LXM_PATH", "/e/path", 1);
	setenv("LXM_RUNDIR", "/e/run", 1);
	setenv("LXM_CONFDIR", "/e/conf", 1);
	setenv("LXM_CACHEDIR", "/e/cache", 1);
	r = lxm_paths_init(&p, NULL);
	good = r == 0 && streq(p.lxmpath, "/e/path") && streq(p.rundir, "/e/run") &&
	       streq(p.confdir, "/e/conf") && streq(p.cachedir, "/e/cache");
	ok(good, "environment overrides all four (%s %s %s %s)", nn(p.lxmpath), nn(p.rundir), nn(p.confdir), nn(p.cachedir));
	lxm_paths_free(&p);

	r = lxm_paths_init(&p, "/opt/ct///");
	good = r == 0 && streq(p.lxmpath, "/opt/ct") && streq(p.rundir, "/e/run");
	ok(good, "-P beats LXM_PATH, trailing slashes stripped (%s)", nn(p.lxmpath));
	lxm_paths_free(&p);

	setenv("LXM_PATH", "/e/path/", 1);
	r = lxm_paths_init(&p, NULL);
	ok(r == 0 && streq(p.lxmpath, "/e/path"), "trailing slash of LXM_PATH stripped (%s)", nn(p.lxmpath));
	lxm_paths_free(&p);

	r = lxm_paths_init(&p, "///");
	ok(r == 0 && streq(p.lxmpath, "/"), "-P / stays / (%s)", nn(p.lxmpath));
	lxm_paths_free(&p);

	setenv("LXM_PATH", "", 1);
	setenv("LXM_RUNDIR", "", 1);
	r = lxm_paths_init(&p, NULL);
	good = r == 0 && streq(p.lxmpath, LXM_DEFAULT_PATH) && streq(p.rundir, LXM_DEFAULT_RUNDIR) &&
	       streq(p.confdir, "/e/conf");
	ok(good, "empty environment values mean the default (%s %s)", nn(p.lxmpath), nn(p.rundir));
	lxm_paths_free(&p);
	unset_env();

	r = lxm_paths_init(&p, "/var/lib/lxm-test");
	if (r < 0)
		abort();
	free(p.rundir);
	p.rundir = strdup("/run/lxm-test");
	if (!p.rundir)
		abort();
	a = lxm_container_path(&p, "c1", NULL);
	b = lxm_container_path(&p, "c1", "config");
	c = lxm_runtime_path(&p, "c1", NULL);
	d = lxm_runtime_path(&p, "c1", "command");
	ok(a && streq(a, "/var/lib/lxm-test/c1"), "container path (%s)", nn(a));
	ok(b && streq(b, "/var/lib/lxm-test/c1/config"), "container file path (%s)", nn(b));
	ok(c && streq(c, "/run/lxm-test/c1"), "runtime path (%s)", nn(c));
	ok(d && streq(d, "/run/lxm-test/c1/command"), "runtime file path (%s)", nn(d));
	lxm_paths_free(&p);
}

static void test_runtime_text(void)
{
	const struct lxm_runtime rt = {
		.init_pid = 4321, .init_starttime = UINT64_MAX, .monitor_pid = 99,
		.state = LXM_STATE_FROZEN, .cgroup = "lxm/c1",
	};
	struct lxm_runtime out;
	char buf[1024], small[16];
	int n, r;
	bool same;

	n = lxm_runtime_format(&rt, buf, sizeof(buf));
	ok(n > 0 && (size_t)n == strlen(buf), "format returns the length (%d)", n);
	ok(streq(buf, "init_pid=4321\ninit_starttime=18446744073709551615\nmonitor_pid=99\n"
		      "state=FROZEN\ncgroup=lxm/c1\n"),
	   "formatted text is one key=value per line");
	memset(&out, 0xaa, sizeof(out));
	r = lxm_runtime_parse(buf, &out);
	same = r == 0 && out.init_pid == rt.init_pid && out.init_starttime == rt.init_starttime &&
	       out.monitor_pid == rt.monitor_pid && out.state == rt.state && streq(out.cgroup, rt.cgroup);
	ok(same, "parse(format(rt)) == rt (%d)", r);
	n = lxm_runtime_format(&rt, small, sizeof(small));
	ok(n == -ENOBUFS, "format into a small buffer -> ENOBUFS (%d)", n);

	{
		struct lxm_runtime wm = rt;

		snprintf(wm.cgroup_mounts, sizeof(wm.cgroup_mounts), "%s",
			 "1 0 0:0 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
			 "2 0 0:0 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
		n = lxm_runtime_format(&wm, buf, sizeof(buf));
		ok(n > 0 && strstr(buf, "cgroup=lxm/c1\ncgroup_mount=1 0 0:0 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
					"cgroup_mount=2 0 0:0 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"),
		   "cgroup mounts: one cgroup_mount= line each");
		r = lxm_runtime_parse(buf, &out);
		ok(r == 0 && streq(out.cgroup_mounts, wm.cgroup_mounts) && out.init_pid == rt.init_pid,
		   "cgroup mounts: parsed back (%d)", r);
	}
	{
		/* more than the field holds: none rather than some */
		char big[8192];
		size_t len = (size_t)snprintf(big, sizeof(big), "init_pid=3\n");

		for (int i = 0; i < 40; i++)
			len += (size_t)snprintf(big + len, sizeof(big) - len,
						"cgroup_mount=%d 0 0:0 / /sys/fs/cgroup/hierarchy-%02d rw - cgroup cgroup rw,x%d\n",
						i + 1, i, i);
		r = lxm_runtime_parse(big, &out);
		ok(r == 0 && out.init_pid == 3 && out.cgroup_mounts[0] == '\0',
		   "cgroup mounts: too many for the field -> none kept, the rest parsed (%d)", r);
	}

	r = lxm_runtime_parse("init_pid=7", &out);
	same = r == 0 && out.init_pid == 7 && out.init_starttime == 0 && out.monitor_pid == 0 &&
	       out.state == LXM_STATE_STOPPED && out.cgroup[0] == '\0' && out.cgroup_mounts[0] == '\0';
	ok(same, "only init_pid, no newline: the rest defaults (%d)", r);
	r = lxm_runtime_parse("\n\nfuture_key=whatever\ninit_pid=8\nx=\n\n", &out);
	ok(r == 0 && out.init_pid == 8, "unknown keys and empty lines are ignored (%d)", r);
	r = lxm_runtime_parse("state=running\ninit_pid=9\n", &out);
	ok(r == 0 && out.state == LXM_STATE_RUNNING, "state is case-insensitive (%d)", r);

	memset(&out, 0x55, sizeof(out));
	r = lxm_runtime_parse("", &out);
	ok(r == -EINVAL, "empty text -> EINVAL (%d)", r);
	r = lxm_runtime_parse("monitor_pid=1\nstate=RUNNING\n", &out);
	ok(r == -EINVAL, "missing init_pid -> EINVAL (%d)", r);
	r = lxm_runtime_parse("init_pid=abc\n", &out);
	ok(r == -EINVAL, "non-numeric init_pid -> EINVAL (%d)", r);
	r = lxm_runtime_parse("init_pid=-1\n", &out);
	ok(r == -EINVAL, "negative init_pid -> EINVAL (%d)", r);
	r = lxm_runtime_parse("init_pid=\n", &out);
	ok(r == -EINVAL, "empty init_pid -> EINVAL (%d)", r);
	r = lxm_runtime_parse("init_pid=2147483648\n", &out);
	ok(r == -EINVAL, "init_pid beyond INT32_MAX -> EINVAL (%d)", r);
	r = lxm_runtime_parse("init_pid=1\ninit_starttime=12x\n", &out);
	ok(r == -EINVAL, "non-numeric init_starttime -> EINVAL (%d)", r);
	r = lxm_runtime_parse("init_pid=1\nmonitor_pid=zz\n", &out);
	ok(r == -EINVAL, "non-numeric monitor_pid -> EINVAL (%d)", r);
	r = lxm_runtime_parse("init_pid=1\nstate=SLEEPING\n", &out);
	ok(r == -EINVAL, "bad state -> EINVAL (%d)", r);
	r = lxm_runtime_parse("init_pid=1\nno equals sign\n", &out);
	ok(r == -EINVAL, "a line without '=' -> EINVAL (%d)", r);

	memset(buf, 'a', 600);
	memcpy(buf, "init_pid=1\ncgroup=", 18);
	buf[600] = '\0';
	r = lxm_runtime_parse(buf, &out);
	ok(r == -EINVAL, "overlong line -> EINVAL (%d)", r);
	memset(buf, 'a', 200);
	memcpy(buf, "init_pid=1\ncgroup=", 18);
	buf[200] = '\0';
	r = lxm_runtime_parse(buf, &out);
	ok(r == -EINVAL, "cgroup longer than the field -> EINVAL (%d)", r);
	same = out.init_pid == 0x55555555;
	ok(same, "failed parses leave the output alone");
}

/* init's confinement, for lxm-attach: all of the record or none */
static void test_confinement(void)
{
	struct lxm_runtime rt = { .init_pid = 5, .cgroup = "lxm/c" }, out;
	char buf[2048];
	int n, r;

	rt.confine = (struct lxm_confinement){
		.known = true, .userns = true, .no_new_privs = false, .seccomp = true,
		.caps = 0x1ffffffffeULL,
	};
	snprintf(rt.confine.apparmor, sizeof(rt.confine.apparmor), "lxm-c_0123abcd");
	n = lxm_runtime_format(&rt, buf, sizeof(buf));
	ok(n > 0 && strstr(buf, "\nuserns=1\nno_new_privs=0\nseccomp=1\ncaps=137438953470\napparmor=lxm-c_0123abcd\n"),
	   "confinement: five lines");
	memset(&out, 0, sizeof(out));
	r = lxm_runtime_parse(buf, &out);
	ok(r == 0 && out.confine.known && out.confine.userns && !out.confine.no_new_privs && out.confine.seccomp &&
	   out.confine.caps == rt.confine.caps && streq(out.confine.apparmor, "lxm-c_0123abcd"),
	   "confinement: parsed back (%d)", r);
	ok(!lxm_confinement_seccomp_first(&out.confine), "CAP_SYS_ADMIN kept: the filter after the drop");
	out.confine.caps &= ~(1ULL << 21);
	ok(lxm_confinement_seccomp_first(&out.confine), "CAP_SYS_ADMIN dropped, no no_new_privs: the filter first");
	out.confine.no_new_privs = true;
	ok(!lxm_confinement_seccomp_first(&out.confine), "with no_new_privs: the filter last");

	rt.confine.apparmor[0] = '\0';
	n = lxm_runtime_format(&rt, buf, sizeof(buf));
	r = n > 0 ? lxm_runtime_parse(buf, &out) : n;
	ok(r == 0 && out.confine.known && out.confine.apparmor[0] == '\0' && strstr(buf, "\napparmor=\n"),
	   "confinement: no AppArmor profile (%d)", r);

	rt.confine = (struct lxm_confinement){ 0 };
	n = lxm_runtime_format(&rt, buf, sizeof(buf));
	ok(n > 0 && !strstr(buf, "caps=") && !strstr(buf, "userns="), "unknown confinement: no lines");
	r = lxm_runtime_parse("init_pid=5\n", &out);
	ok(r == 0 && !out.confine.known, "a state file without the record: not known (%d)", r);
	r = lxm_runtime_parse("init_pid=5\nuserns=1\ncaps=12\n", &out);
	ok(r == -EINVAL, "part of the record -> EINVAL (%d)", r);
	r = lxm_runtime_parse("init_pid=5\nuserns=2\nno_new_privs=0\nseccomp=0\ncaps=1\napparmor=\n", &out);
	ok(r == -EINVAL, "a flag other than 0/1 -> EINVAL (%d)", r);
	r = lxm_runtime_parse("init_pid=5\nuserns=0\nno_new_privs=0\nseccomp=0\ncaps=0x1f\napparmor=\n", &out);
	ok(r == -EINVAL, "caps not decimal -> EINVAL (%d)", r);
	{
		char name[300];

		memset(name, 'p', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		snprintf(buf, sizeof(buf), "init_pid=5\nuserns=0\nno_new_privs=0\nseccomp=0\ncaps=1\napparmor=%s\n", name);
		r = lxm_runtime_parse(buf, &out);
		ok(r == -EINVAL, "a profile name longer than the field -> EINVAL (%d)", r);
	}
}

/* phys devices moved in, for any stop path */
static void test_phys(void)
{
	struct lxm_runtime rt = { .init_pid = 7, .state = LXM_STATE_RUNNING }, out;
	char buf[4096], text[2048];
	size_t len = 0;
	int n, r;

	rt.phys[0] = (struct lxm_phys_index){ .ifindex = 4, .link = "enp3s0", .mtu = 9000, .hwaddr = "52:54:00:AB:cd:01" };
	rt.phys[1] = (struct lxm_phys_index){ .ifindex = 2147483647, .kind = "veth", .link = "lxmq1" };
	rt.n_phys = 2;
	n = lxm_runtime_format(&rt, buf, sizeof(buf));
	ok(n > 0 && strstr(buf, "\nphys=4 - enp3s0 9000 52:54:00:AB:cd:01\nphys=2147483647 veth lxmq1 0 -\n"),
	   "phys: one line each, '-' for no kind or MAC, 0 for no MTU");
	r = lxm_runtime_parse(buf, &out);
	ok(r == 0 && out.n_phys == 2 && out.phys[0].ifindex == 4 && streq(out.phys[0].kind, "") &&
	   streq(out.phys[0].link, "enp3s0") && out.phys[0].mtu == 9000 && streq(out.phys[0].hwaddr, "52:54:00:AB:cd:01") &&
	   out.phys[1].ifindex == 2147483647 && streq(out.phys[1].kind, "veth") &&
	   streq(out.phys[1].link, "lxmq1") && out.phys[1].mtu == 0 && !out.phys[1].hwaddr[0], "phys: parsed back (%d)", r);
	r = lxm_runtime_parse("init_pid=5\nphys=4 - eth1\n", &out);
	ok(r == 0 && out.n_phys == 1 && out.phys[0].mtu == 0 && !out.phys[0].hwaddr[0],
	   "phys: an older line without MTU and MAC is read (%d)", r);
	rt.n_phys = 0;
	n = lxm_runtime_format(&rt, buf, sizeof(buf));
	ok(n > 0 && !strstr(buf, "phys=") && lxm_runtime_parse(buf, &out) == 0 && out.n_phys == 0, "no phys device: no line");
	{
		/* left out, the rest of the file kept: the line of a second
		 * device with index 4 or name eth1 is the one dropped */
		static const char *const bad[] = {
			"phys=4", "phys=4 - ", "phys=0 - eth1", "phys=x - eth1", "phys=2147483648 - eth1",
			"phys=4 - a/b", "phys=4 - 0123456789abcdef", "phys=4 0123456789abcdef eth1", "phys=4 - ..",
			"phys=4 a:b eth1", "phys=4 - eth1 1500", "phys=4 - eth1 x -", "phys=4 - eth1 1500 52:54:00:ab:cd",
			"phys=4 - eth1 1500 52:54:00:ab:cd:0g", "phys=4 - eth1 4294967296 -",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char shown[64];

			snprintf(buf, sizeof(buf), "init_pid=5\n%s\nmonitor_pid=9\n", bad[i]);
			r = lxm_runtime_parse(buf, &out);
			snprintf(shown, sizeof(shown), "%s", bad[i]);
			ok(r == 0 && out.n_phys == 0 && out.init_pid == 5 && out.monitor_pid == 9,
			   "'%s' is left out, the file still read (%d)", shown, r);
		}
	}
	r = lxm_runtime_parse("init_pid=5\nphys=4 - eth1\nphys=4 - eth2\nphys=5 - eth1\nphys=6 veth -\n", &out);
	ok(r == 0 && out.n_phys == 2 && out.phys[0].ifindex == 4 && streq(out.phys[0].link, "eth1") &&
	   out.phys[1].ifindex == 6 && streq(out.phys[1].link, "-") && streq(out.phys[1].kind, "veth"),
	   "a device twice (index or name): the first line kept; a host name '-' is a name (%d)", r);
	len = (size_t)snprintf(text, sizeof(text), "init_pid=5\n");
	for (int i = 0; i < LXM_PHYS_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "phys=%d - eth%d\n", i + 10, i);
	r = lxm_runtime_parse(text, &out);
	ok(r == 0 && out.n_phys == LXM_PHYS_MAX && out.phys[LXM_PHYS_MAX - 1].ifindex == LXM_PHYS_MAX + 9,
	   "%d phys lines: all kept", LXM_PHYS_MAX);
	snprintf(text + len, sizeof(text) - len, "phys=99 - eth99\n");
	ok(lxm_runtime_parse(text, &out) == 0 && out.n_phys == LXM_PHYS_MAX, "one more than LXM_PHYS_MAX: left out");
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_runtime_file(void)
{
	const struct lxm_runtime rt = {
		.init_pid = 1234, .init_starttime = 5678, .monitor_pid = 1230,
		.state = LXM_STATE_RUNNING, .cgroup = "lxm/web",
	}, rt2 = { .init_pid = 1, .state = LXM_STATE_STOPPING };
	_cleanup_free_ char *path = lxm_strdup_printf("%s/state", tmp);
	_cleanup_free_ char *missing = lxm_strdup_printf("%s/nodir/state", tmp);
	struct lxm_runtime out = {};
	struct stat st;
	int r;
	bool same;

	if (!path || !missing)
		abort();
	r = lxm_runtime_write(path, &rt);
	ok(r == 0, "runtime write (%d)", r);
	r = stat(path, &st);
	ok(r == 0 && (st.st_mode & 07777) == 0600, "state file mode is 0600 (%o)", st.st_mode & 07777);
	ok(count_entries(tmp) == 1, "no temporary file is left (%d entries)", count_entries(tmp));
	r = lxm_runtime_read(path, &out);
	same = r == 0 && out.init_pid == 1234 && out.init_starttime == 5678 && out.monitor_pid == 1230 &&
	       out.state == LXM_STATE_RUNNING && streq(out.cgroup, "lxm/web");
	ok(same, "runtime read returns what was written (%d)", r);

	r = lxm_runtime_write(path, &rt2);
	ok(r == 0, "runtime rewrite (%d)", r);
	r = lxm_runtime_read(path, &out);
	same = r == 0 && out.init_pid == 1 && out.state == LXM_STATE_STOPPING && out.cgroup[0] == '\0';
	ok(same, "rewrite replaces the content (%d)", r);
	ok(count_entries(tmp) == 1, "still no temporary file (%d entries)", count_entries(tmp));

	r = lxm_runtime_read(missing, &out);
	ok(r == -ENOENT, "reading a missing file -> ENOENT (%d)", r);
	r = lxm_runtime_write(missing, &rt);
	ok(r < 0, "writing into a missing directory fails (%d)", r);
	unlink(path);
}

/* The runtime dir is claimed under <rundir>/.NAME.PID: what a command
 * killed there left is no runtime dir that is there (the pid is ours now) */
static void test_claim_runtime(void)
{
	_cleanup_free_ char *rundir = lxm_strdup_printf("%s/run", tmp);
	_cleanup_free_ char *stale = lxm_strdup_printf("%s/run/.c1.%d", tmp, (int)getpid());
	_cleanup_free_ char *stalelock = lxm_strdup_printf("%s/lock", stale);
	_cleanup_free_ char *lock = lxm_strdup_printf("%s/run/c1/lock", tmp);
	_cleanup_free_ char *dir = lxm_strdup_printf("%s/run/c1", tmp);
	struct lxm_paths p = { .rundir = rundir };
	int fd = -1, r, lf;

	if (!rundir || !stale || !stalelock || !lock || !dir || mkdir(rundir, 0755) < 0 || mkdir(stale, 0700) < 0)
		abort();
	lf = open(stalelock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lf < 0)
		abort();
	close(lf);
	r = lxm_container_claim_runtime(&p, "c1", &fd);
	ok(r == 0 && fd >= 0, "claiming a runtime dir past a killed claim of our pid (%d)", r);
	ok(access(stale, F_OK) < 0 && access(lock, F_OK) == 0, "the runtime dir is in place, the leftover gone");
	r = lxm_container_claim_runtime(&p, "c1", &lf);
	ok(r == -EEXIST && access(stale, F_OK) < 0, "a second claim -> EEXIST, nothing left (%d)", r);
	if (fd >= 0)
		close(fd);
	unlink(lock);
	rmdir(dir);
	unlink(stalelock);
	rmdir(stale);
	rmdir(rundir);
}

/* <rundir>/.NAME.PID, with its lock file (locked: a held fd), and its
 * mtime age s ago */
static char *make_claim(const char *rundir, const char *name, long pid, bool locked, int age, int *ret_held)
{
	char *dir = lxm_strdup_printf("%s/.%s.%ld", rundir, name, pid);
	_cleanup_free_ char *lock = dir ? lxm_strdup_printf("%s/lock", dir) : NULL;
	struct timespec ts[2] = { { .tv_sec = time(NULL) - age }, { .tv_sec = time(NULL) - age } };
	int fd;

	if (!lock || mkdir(dir, 0700) < 0)
		abort();
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || (locked && flock(fd, LOCK_EX) < 0) || utimensat(AT_FDCWD, dir, ts, 0) < 0)
		abort();
	if (locked)
		*ret_held = fd;
	else
		close(fd);
	return dir;
}

static void remove_claim(const char *dir)
{
	_cleanup_free_ char *lock = lxm_strdup_printf("%s/lock", dir);

	if (lock)
		unlink(lock);
	rmdir(dir);
}

/* What commands killed in lxm_container_claim_runtime left of a name goes
 * with the removal of its runtime dir: of a pid that is gone, or unlocked
 * for longer than a live claimer keeps it so. A live claim, a locked one
 * and one of another name stay. */
static void test_sweep_claims(void)
{
	_cleanup_free_ char *rundir = lxm_strdup_printf("%s/run", tmp);
	_cleanup_free_ char *dead = NULL, *reused = NULL, *live = NULL, *held = NULL, *other = NULL;
	struct lxm_paths p = { .rundir = rundir };
	int status, heldfd = -1, r;
	pid_t child;

	child = fork();
	if (child < 0)
		abort();
	if (child == 0)
		_exit(0);
	if (!rundir || waitpid(child, &status, 0) != child || mkdir(rundir, 0755) < 0)
		abort();
	dead = make_claim(rundir, "c1", child, false, 0, NULL);
	reused = make_claim(rundir, "c1", 1, false, 60, NULL);
	live = make_claim(rundir, "c1", getppid(), false, 0, NULL);
	held = make_claim(rundir, "c1", getpid(), true, 60, &heldfd);
	other = make_claim(rundir, "c10", child, false, 60, NULL);
	r = lxm_container_remove_runtime(&p, "c1", tmp);
	ok(r == 0, "removing the runtime dir of c1, none there (%d)", r);
	ok(access(dead, F_OK) < 0, "the claim of a pid that is gone is removed");
	ok(access(reused, F_OK) < 0, "an unlocked claim of a live pid, 60 s old, is removed");
	ok(access(live, F_OK) == 0, "an unlocked claim of a live pid, new, stays (a claimer before its lock)");
	ok(access(held, F_OK) == 0, "a locked claim stays");
	ok(access(other, F_OK) == 0, "the claim of another name stays");
	close(heldfd);
	remove_claim(dead);
	remove_claim(reused);
	remove_claim(live);
	remove_claim(held);
	remove_claim(other);
	rmdir(rundir);
}

static void test_pidfd(void)
{
	uint64_t start = 0;
	int fd, r, status;
	pid_t child;
	char st = 0;
	bool good;

	r = lxm_proc_starttime(getpid(), &start);
	ok(r == 0 && start > 0, "own start time (%d, %llu)", r, (unsigned long long)start);
	fd = lxm_pidfd_open_checked(0, start);
	ok(fd == -ESRCH, "pid 0 -> ESRCH (%d)", fd);
	fd = lxm_pidfd_open_checked(-1, start);
	ok(fd == -ESRCH, "pid -1 -> ESRCH (%d)", fd);
	fd = lxm_pidfd_open_checked(getpid(), start);
	if (fd == -ENOSYS) {
		/* old kernels, and valgrind does not know pidfd_open */
		for (int i = 0; i < 7; i++)
			ok(1, "# SKIP pidfd_open not supported");
		return;
	}
	ok(fd >= 0, "pidfd for ourselves with the right start time (%d)", fd);
	if (fd >= 0)
		close(fd);
	fd = lxm_pidfd_open_checked(getpid(), start + 1);
	ok(fd == -ESRCH, "wrong start time -> ESRCH (%d)", fd);

	child = fork();
	if (child == 0)
		_exit(0);
	ok(child > 0, "forked a child");
	if (child < 0)
		return;
	/* wait for it to become a zombie without reaping it */
	r = lxm_proc_stat(child, &st, &start);
	for (int i = 0; i < 500 && r == 0 && st != 'Z'; i++) {
		usleep(10000);
		r = lxm_proc_stat(child, &st, &start);
	}
	ok(r == 0 && st == 'Z', "child is a zombie (%d, '%c')", r, st ? st : '?');
	fd = lxm_pidfd_open_checked(child, start);
	ok(fd == -ESRCH, "zombie with the right start time -> ESRCH (%d)", fd);
	if (fd >= 0)
		close(fd);
	good = waitpid(child, &status, 0) == child;
	ok(good, "reaped the child");
	fd = lxm_pidfd_open_checked(child, start);
	ok(fd == -ESRCH, "reaped child -> ESRCH (%d)", fd);
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	int r;

	if (!mkdtemp(tmp)) {
		printf("# mkdtemp: %m\n");
		return 1;
	}
	test_state_names();
	test_paths();
	test_runtime_text();
	test_confinement();
	test_phys();
	test_runtime_file();
	test_claim_runtime();
	test_sweep_claims();
	test_pidfd();
	r = rmdir(tmp);
	ok(r == 0, "temp dir is empty and removed");
	return tap_done();
}
