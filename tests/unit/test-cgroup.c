/* cgroup: mountinfo parsing (no root); with root, a real container cgroup
 * on this host: limits, attach, fast self-join, clone3 into the v2 cgroup,
 * stats, freezer, destroy. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "cgroup.h"
#include "tap.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* The build host: hybrid, each v1 controller on its own. */
static const char mi_hybrid[] =
	"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
	"23 27 0:22 / /sys rw,relatime - sysfs sysfs rw\n"
	"24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334492k,nr_inodes=3083623,mode=755\n"
	"25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k\n"
	"26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000\n"
	"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534\n"
	"28 27 0:25 / /mnt/sandboxing/model_tools_env/v1/python ro,nosuid,nodev,relatime - tmpfs model_tools_unavailable ro,size=4k,mode=755\n"
	"29 26 0:26 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000\n"
	"30 25 0:27 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
	"34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
	"37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
	"38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
	"39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

/* A systemd host on pure cgroup v2. */
static const char mi_unified[] =
	"21 26 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"22 26 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
	"26 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro\n"
	"29 21 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
	"30 21 0:27 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:5 - pstore pstore rw\n";

/* Older systemd on v1: co-mounted controllers, options mixed in. */
static const char mi_legacy[] =
	"18 24 0:17 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw\n"
	"24 0 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
	"25 18 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
	"26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
	"28 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct\n"
	"29 25 0:26 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,net_cls,net_prio\n"
	"30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory\n"
	"31 25 0:28 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpuset,clone_children\n"
	/* the same memory hierarchy bound somewhere else again */
	"40 24 0:27 /foo /mnt/mem\\040cg rw,relatime shared:15 - cgroup cgroup rw,memory\n";

static const struct lxm_cgroup_hierarchy *find_mp(const struct lxm_cgroup_mounts *m, const char *mp)
{
	for (size_t i = 0; i < m->n; i++)
		if (streq(m->h[i].mountpoint, mp))
			return &m->h[i];
	return NULL;
}

static void test_parse_hybrid(void)
{
	struct lxm_cgroup_mounts m = { 0 };
	struct lxm_error err = { 0 };
	const struct lxm_cgroup_hierarchy *h;
	size_t n_v2 = 0;

	int r = lxm_cgroup_parse_mountinfo(mi_hybrid, &m, &err);

	ok(r == 0, "hybrid: parses");
	ok(m.layout == LXM_CGROUP_HYBRID, "hybrid: layout %s", lxm_cgroup_layout_to_string(m.layout));
	ok(m.n == 10, "hybrid: 9 v1 hierarchies + unified (%zu)", m.n);
	for (size_t i = 0; i < m.n; i++)
		n_v2 += m.h[i].unified;
	ok(n_v2 == 1, "hybrid: one v2 hierarchy");
	h = find_mp(&m, "/sys/fs/cgroup/unified");
	ok(h && h->unified && !h->controllers, "hybrid: v2 at /sys/fs/cgroup/unified");
	h = find_mp(&m, "/sys/fs/cgroup/cpu");
	ok(h && !h->unified && streq(h->controllers, "cpu"), "hybrid: cpu alone");
	ok(h && lxm_cgroup_hierarchy_has(h, "cpu") && !lxm_cgroup_hierarchy_has(h, "cpuacct"),
	   "hybrid: cpu hierarchy has cpu, not cpuacct");
	h = find_mp(&m, "/sys/fs/cgroup/cpuset");
	ok(h && lxm_cgroup_hierarchy_has(h, "cpuset") && !lxm_cgroup_hierarchy_has(h, "cpu"),
	   "hybrid: cpuset is not cpu");
	h = find_mp(&m, "/sys/fs/cgroup/systemd");
	ok(h && streq(h->controllers, "name=systemd"), "hybrid: named systemd hierarchy");
	ok(!find_mp(&m, "/sys/fs/cgroup"), "hybrid: the tmpfs is no hierarchy");
	ok(m.h[0].path == NULL, "hybrid: parser leaves path unset");
	lxm_cgroup_mounts_done(&m);
	ok(m.n == 0 && m.h == NULL, "mounts_done resets");
}

/* The state file's lines: what format_mounts writes, the mountinfo parser
 * reads back as the same hierarchies. */
static void test_format_mounts(void)
{
	struct lxm_cgroup_mounts m = { 0 }, back = { 0 };
	struct lxm_error err = { 0 };
	struct lxm_cgroup_hierarchy odd[2] = {
		{ .mountpoint = "/run/cg roups\\x\tend", .controllers = "cpu,cpuacct" },
		{ .mountpoint = "/run/u", .unified = true },
	};
	char buf[2048], small[64], longmp[300];
	bool same;
	int n, r;

	r = lxm_cgroup_parse_mountinfo(mi_hybrid, &m, &err);
	n = lxm_cgroup_format_mounts(m.h, m.n, buf, sizeof(buf));
	ok(r == 0 && n > 0 && (size_t)n == strlen(buf), "format_mounts: hybrid, %d bytes", n);
	r = lxm_cgroup_parse_mountinfo(buf, &back, &err);
	same = r == 0 && back.n == m.n && back.layout == m.layout;
	for (size_t i = 0; same && i < m.n; i++)
		same = streq(back.h[i].mountpoint, m.h[i].mountpoint) && back.h[i].unified == m.h[i].unified &&
		       (m.h[i].unified ? !back.h[i].controllers : streq(back.h[i].controllers, m.h[i].controllers));
	ok(same, "format_mounts: parsed back, the same %zu hierarchies and layout", m.n);
	lxm_cgroup_mounts_done(&back);
	n = lxm_cgroup_format_mounts(m.h, m.n, small, sizeof(small));
	ok(n == -ENOBUFS, "format_mounts: too small a buffer -> ENOBUFS (%d)", n);
	lxm_cgroup_mounts_done(&m);

	n = lxm_cgroup_format_mounts(odd, 2, buf, sizeof(buf));
	r = n > 0 ? lxm_cgroup_parse_mountinfo(buf, &back, &err) : n;
	ok(r == 0 && back.n == 2 && streq(back.h[0].mountpoint, odd[0].mountpoint) &&
	   streq(back.h[0].controllers, "cpu,cpuacct") && back.h[1].unified && back.layout == LXM_CGROUP_HYBRID,
	   "format_mounts: space, backslash and tab in a mount point escaped and read back");
	lxm_cgroup_mounts_done(&back);
	memset(longmp, 'a', sizeof(longmp) - 1);
	longmp[0] = '/';
	longmp[sizeof(longmp) - 1] = '\0';
	odd[1].mountpoint = longmp;
	n = lxm_cgroup_format_mounts(odd, 2, buf, sizeof(buf));
	ok(n == -ENOBUFS, "format_mounts: a line past LXM_CGROUP_MOUNT_LINE_MAX -> ENOBUFS (%d)", n);
	odd[0].controllers = "cpu memory";
	n = lxm_cgroup_format_mounts(odd, 1, buf, sizeof(buf));
	ok(n == -EINVAL, "format_mounts: a controller list with a space -> EINVAL (%d)", n);
}

static void test_parse_unified(void)
{
	struct lxm_cgroup_mounts m = { 0 };
	struct lxm_error err = { 0 };

	int r = lxm_cgroup_parse_mountinfo(mi_unified, &m, &err);

	ok(r == 0, "unified: parses");
	ok(m.layout == LXM_CGROUP_UNIFIED, "unified: layout %s", lxm_cgroup_layout_to_string(m.layout));
	ok(m.n == 1 && m.h[0].unified && streq(m.h[0].mountpoint, "/sys/fs/cgroup"),
	   "unified: one v2 hierarchy at /sys/fs/cgroup");
	ok(m.n == 1 && !lxm_cgroup_hierarchy_has(&m.h[0], "memory"), "unified: has() is for v1 lists");
	lxm_cgroup_mounts_done(&m);
}

static void test_parse_legacy(void)
{
	struct lxm_cgroup_mounts m = { 0 };
	struct lxm_error err = { 0 };
	const struct lxm_cgroup_hierarchy *h;

	int r = lxm_cgroup_parse_mountinfo(mi_legacy, &m, &err);

	ok(r == 0, "legacy: parses");
	ok(m.layout == LXM_CGROUP_LEGACY, "legacy: layout %s", lxm_cgroup_layout_to_string(m.layout));
	ok(m.n == 5, "legacy: 5 hierarchies, the second memory mount merged (%zu)", m.n);
	h = find_mp(&m, "/sys/fs/cgroup/cpu,cpuacct");
	ok(h && streq(h->controllers, "cpu,cpuacct"), "legacy: co-mounted cpu,cpuacct");
	ok(h && lxm_cgroup_hierarchy_has(h, "cpu") && lxm_cgroup_hierarchy_has(h, "cpuacct") &&
	   !lxm_cgroup_hierarchy_has(h, "cpuset"), "legacy: has cpu and cpuacct, not cpuset");
	h = find_mp(&m, "/sys/fs/cgroup/systemd");
	ok(h && streq(h->controllers, "name=systemd"), "legacy: xattr and release_agent dropped (%s)",
	   h ? h->controllers : "-");
	h = find_mp(&m, "/sys/fs/cgroup/cpuset");
	ok(h && streq(h->controllers, "cpuset"), "legacy: clone_children dropped");
	ok(find_mp(&m, "/sys/fs/cgroup/memory") && !find_mp(&m, "/mnt/mem cg"),
	   "legacy: a bind of a subtree does not replace the root mount");
	lxm_cgroup_mounts_done(&m);
}

static void test_parse_special(void)
{
	struct lxm_cgroup_mounts m = { 0 };
	struct lxm_error err = { 0 };
	/* systemd "hybrid" with no v1 controller: a named v1 + v2 */
	static const char named[] =
		"1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
		"2 1 0:2 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
		"3 2 0:3 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n"
		"4 2 0:4 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n";
	/* a tmpfs mounted over /sys/fs/cgroup hides what was below */
	static const char hidden[] =
		"1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
		"2 1 0:2 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
		"3 2 0:3 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
		"4 2 0:5 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
		"5 4 0:6 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
		"6 1 0:7 /sub/dir /srv/with\\040space rw master:3 - cgroup2 cgroup2 rw\n";

	int r = lxm_cgroup_parse_mountinfo(named, &m, &err);

	ok(r == 0 && m.layout == LXM_CGROUP_UNIFIED && m.n == 2,
	   "named v1 + v2: unified layout, both hierarchies kept");
	lxm_cgroup_mounts_done(&m);
	r = lxm_cgroup_parse_mountinfo(hidden, &m, &err);
	ok(r == 0 && m.n == 2 &&
	   find_mp(&m, "/sys/fs/cgroup/pids") && !find_mp(&m, "/sys/fs/cgroup/memory"),
	   "over-mounted hierarchy is hidden");
	ok(find_mp(&m, "/srv/with space") != NULL, "octal escapes in mount points");
	ok(m.layout == LXM_CGROUP_HYBRID, "v1 pids + v2: hybrid");
	lxm_cgroup_mounts_done(&m);
}

static void test_parse_garbage(void)
{
	static const char *const junk[] = {
		"",
		"\n\n\n",
		"garbage\n",
		"1 2 3\n",
		"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup\n",
		"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup\n",
		"x y 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n",
		"32 31 0:29 / relative rw - cgroup cgroup rw,cpu\n",
		"32 31 0:29 / /sys/fs/cgroup/x rw - cgroup cgroup rw,xattr\n",
		"- - - - - - - - - - - -\n",
		"32 31 0:29 / /a - - - - - - - -\n",
		"\\\\\\ \\0 \\777 \\\n",
	};
	struct lxm_cgroup_mounts m = { 0 };
	struct lxm_error err = { 0 };
	char bin[4096];
	unsigned x = 12345;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(junk); i++) {
		r = lxm_cgroup_parse_mountinfo(junk[i], &m, &err);
		ok(r == -ENOENT && m.n == 0, "garbage %zu: -ENOENT (%d)", i, r);
	}
	ok(strstr(err.msg, "no cgroup hierarchy") != NULL, "garbage: message '%s'", err.msg);
	for (size_t i = 0; i < sizeof(bin) - 1; i++) {
		x = x * 1103515245 + 12345;
		bin[i] = (char)((x >> 16) % 255 + 1);
		if (i % 97 == 0)
			bin[i] = '\n';
		if (i % 7 == 0)
			bin[i] = ' ';
	}
	bin[sizeof(bin) - 1] = '\0';
	r = lxm_cgroup_parse_mountinfo(bin, &m, &err);
	ok(r == -ENOENT, "random bytes: -ENOENT");
	r = lxm_cgroup_parse_mountinfo(NULL, &m, &err);
	ok(r == -EINVAL, "NULL text: -EINVAL");
}

static void test_io_stat(void)
{
	uint64_t v = 1;

	ok(lxm_cgroup_parse_io_stat("", &v) == 0 && v == 0, "io.stat: empty is 0 bytes");
	ok(lxm_cgroup_parse_io_stat("8:0 rbytes=4096 wbytes=20971520 rios=1 wios=20 dbytes=0 dios=0\n"
				    "254:0 rbytes=100 wbytes=1 rios=1 wios=1 dbytes=7 dios=1\n", &v) == 0 &&
	   v == 4096 + 20971520 + 100 + 1, "io.stat: rbytes and wbytes of every device, not dbytes (%llu)",
	   (unsigned long long)v);
	ok(lxm_cgroup_parse_io_stat("8:0 rbytes=12x wbytes=1\n", &v) == -EINVAL, "io.stat: a bad number is an error");
	ok(lxm_cgroup_parse_io_stat("8:0 rbytes=18446744073709551615 wbytes=1\n", &v) == -EINVAL,
	   "io.stat: a sum past 2^64 is an error");
}

static void test_shares(void)
{
	ok(lxm_cgroup_weight_to_shares(100) == 1024, "weight 100 -> 1024 shares");
	ok(lxm_cgroup_weight_to_shares(200) == 2048, "weight 200 -> 2048 shares");
	ok(lxm_cgroup_weight_to_shares(1) == 10, "weight 1 -> 10 shares");
	ok(lxm_cgroup_weight_to_shares(0) == 2, "weight 0 -> 2 shares (minimum)");
	ok(lxm_cgroup_weight_to_shares(10000) == 102400, "weight 10000 -> 102400 shares");
	ok(streq(lxm_cgroup_layout_to_string(LXM_CGROUP_LAYOUT_MAX), "unknown"), "layout name out of range");
}

static void test_leaf_names(void)
{
	char buf[80], small[6];

	ok(lxm_cgroup_leaf_name("web", 0, buf, sizeof(buf)) == 0 && streq(buf, "web"), "name 0 is the container's");
	ok(lxm_cgroup_leaf_name("web", 1, buf, sizeof(buf)) == 0 && streq(buf, "web-1"), "name 1 is 'web-1'");
	ok(lxm_cgroup_leaf_name("web", 42, buf, sizeof(buf)) == 0 && streq(buf, "web-42"), "name 42 is 'web-42'");
	ok(lxm_cgroup_leaf_name("web", 10, small, sizeof(small)) == -ENOBUFS, "a name that does not fit: ENOBUFS");
}

static void test_owner(void)
{
	char a[LXM_CGROUP_OWNER_MAX], b[LXM_CGROUP_OWNER_MAX], c[LXM_CGROUP_OWNER_MAX], tiny[8];

	ok(lxm_cgroup_owner_format(65024, 1234, "/var/lib/lxm/web", a, sizeof(a)) == 0 &&
	   streq(a, "65024:1234 /var/lib/lxm/web"), "owner text: '%s'", a);
	lxm_cgroup_owner_format(65024, 1234, "/moved/elsewhere/web", b, sizeof(b));
	lxm_cgroup_owner_format(65024, 12345, "/var/lib/lxm/web", c, sizeof(c));
	ok(lxm_cgroup_owner_same(a, b), "the same directory (dev and inode) under another path is the same owner");
	ok(!lxm_cgroup_owner_same(a, c), "another inode at the same path is another owner (1234 vs 12345)");
	ok(!lxm_cgroup_owner_same(a, NULL) && !lxm_cgroup_owner_same(NULL, a), "no owner is nobody's");
	ok(!lxm_cgroup_owner_same("", "") && !lxm_cgroup_owner_same("x y", "x y"),
	   "a mark without '<dev>:<ino>' matches nothing");
	ok(lxm_cgroup_owner_format(1, 2, "/a/long/path", tiny, sizeof(tiny)) == -ENOBUFS, "one that does not fit: ENOBUFS");
	{
		char dir[] = "/tmp/test-cgowner-XXXXXX", d1[LXM_CGROUP_OWNER_MAX], d2[LXM_CGROUP_OWNER_MAX];
		char link[64];

		if (!mkdtemp(dir))
			return;
		snprintf(link, sizeof(link), "%s.lnk", dir);
		ok(symlink(dir, link) == 0 && lxm_cgroup_owner_of(dir, d1, sizeof(d1)) == 0 &&
		   lxm_cgroup_owner_of(link, d2, sizeof(d2)) == 0 && lxm_cgroup_owner_same(d1, d2) &&
		   strstr(d1, dir), "owner_of: a directory reached through a symlink is the same owner ('%s')", d1);
		ok(lxm_cgroup_owner_of("/nonexistent-cgowner", d1, sizeof(d1)) == -ENOENT, "owner_of a missing directory: ENOENT");
		unlink(link);
		rmdir(dir);
	}
}

static void test_pick(void)
{
	enum lxm_cgroup_claim cl[5];
	const enum lxm_cgroup_claim F = LXM_CGROUP_FREE, O = LXM_CGROUP_OWN, U = LXM_CGROUP_UNMARKED,
		X = LXM_CGROUP_OTHER;

#define SET(a, b, c, d, e) (cl[0] = a, cl[1] = b, cl[2] = c, cl[3] = d, cl[4] = e)
	SET(F, F, F, F, F);
	ok(lxm_cgroup_pick(cl, 5) == 0, "all free: the container's name");
	SET(X, F, F, F, F);
	ok(lxm_cgroup_pick(cl, 5) == 1, "the name another's: name-1");
	SET(X, X, X, F, F);
	ok(lxm_cgroup_pick(cl, 5) == 3, "name to name-2 others': name-3");
	SET(X, F, O, F, F);
	ok(lxm_cgroup_pick(cl, 5) == 2, "its own leftover (name-2) before a free name-1");
	SET(F, F, F, O, F);
	ok(lxm_cgroup_pick(cl, 5) == 3, "its own leftover (name-3) before the free name itself");
	SET(U, F, F, F, F);
	ok(lxm_cgroup_pick(cl, 5) == 0, "an unmarked name (an older lxm's): taken as before marks");
	SET(X, U, F, F, F);
	ok(lxm_cgroup_pick(cl, 5) == 2, "an unmarked name-1 is nobody's leftover: skipped");
	SET(X, X, X, X, X);
	ok(lxm_cgroup_pick(cl, 5) == -1, "all others': none");
	ok(lxm_cgroup_pick(cl, 0) == -1, "no names: none");
#undef SET
}

static void test_recorded_leaf(void)
{
	ok(streq(lxm_cgroup_recorded_leaf("lxm/web-1", "web"), "web-1"), "recorded 'lxm/web-1': 'web-1'");
	ok(streq(lxm_cgroup_recorded_leaf("lxm/web", "web"), "web"), "recorded 'lxm/web': 'web'");
	ok(streq(lxm_cgroup_recorded_leaf("", "web"), "web"), "nothing recorded (an older state file): the name");
	ok(streq(lxm_cgroup_recorded_leaf(NULL, "web"), "web"), "NULL: the name");
	ok(streq(lxm_cgroup_recorded_leaf("lxm/../x", "web"), "web") &&
	   streq(lxm_cgroup_recorded_leaf("lxm/a/b", "web"), "web") &&
	   streq(lxm_cgroup_recorded_leaf("other/web-1", "web"), "web") &&
	   streq(lxm_cgroup_recorded_leaf("lxm/", "web"), "web"), "an unusable record: the name");
}

static void test_detect_fixture(const char *dir)
{
	char path[512];
	enum lxm_cgroup_layout l = LXM_CGROUP_LAYOUT_MAX;
	struct lxm_error err = { 0 };
	struct lxm_cgroup *cg = NULL;
	int r;

	snprintf(path, sizeof(path), "%s/mountinfo", dir);
	ok(lxm_write_file_at(AT_FDCWD, path, mi_legacy, strlen(mi_legacy), O_CREAT | O_TRUNC, 0600) == 0,
	   "write fixture");
	setenv("LXM_CGROUP_MOUNTINFO", path, 1);
	ok(lxm_cgroup_detect(&l, &err) == 0 && l == LXM_CGROUP_LEGACY, "detect reads LXM_CGROUP_MOUNTINFO");
	r = lxm_cgroup_create("bad/name", NULL, NULL, &cg, &err);
	ok(r == -EINVAL && !cg, "create refuses a name with '/'");
	r = lxm_cgroup_create("..", NULL, NULL, &cg, &err);
	ok(r == -EINVAL && !cg, "create refuses '..'");
	setenv("LXM_CGROUP_MOUNTINFO", "/nonexistent/mountinfo", 1);
	r = lxm_cgroup_detect(&l, &err);
	ok(r == -ENOENT && strstr(err.msg, "/nonexistent/mountinfo"), "missing mountinfo names the file: %s",
	   err.msg);
	unsetenv("LXM_CGROUP_MOUNTINFO");
	unlink(path);
}

/* Names that are control files next to where the container's cgroup goes
 * (lxm/<name>): the check reads the hierarchies of a fixture whose mount
 * points are plain directories. */
static void test_name_check(const char *dir)
{
	char path[512], mi[2048], p[600];
	struct lxm_error err = { 0 };
	int r;

	snprintf(p, sizeof(p), "%s/v2/lxm", dir);
	ok(lxm_mkdir_p(p, 0755) == 0, "fixture: v2 hierarchy with an lxm parent");
	snprintf(p, sizeof(p), "%s/v2/lxm/pids.max", dir);
	lxm_write_file_at(AT_FDCWD, p, "max\n", 4, O_CREAT | O_TRUNC, 0644);
	snprintf(p, sizeof(p), "%s/v2/lxm/web1", dir);   /* a container's cgroup */
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/cpu", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/cpu/tasks", dir);     /* no lxm parent yet: the root's files */
	lxm_write_file_at(AT_FDCWD, p, "", 0, O_CREAT | O_TRUNC, 0644);
	snprintf(mi, sizeof(mi),
		 "30 23 0:27 / %s/v2 rw,relatime - cgroup2 cgroup2 rw\n"
		 "32 23 0:29 / %s/cpu rw,relatime - cgroup cgroup rw,cpu\n", dir, dir);
	snprintf(path, sizeof(path), "%s/mi-names", dir);
	lxm_write_file_at(AT_FDCWD, path, mi, strlen(mi), O_CREAT | O_TRUNC, 0600);
	setenv("LXM_CGROUP_MOUNTINFO", path, 1);

	r = lxm_cgroup_name_check("pids.max", &err);
	ok(r == -EEXIST && strstr(err.msg, "'pids.max'") && strstr(err.msg, "/v2/lxm/pids.max'"),
	   "a control file of the lxm parent is refused: %s", err.msg);
	lxm_error_clear(&err);
	r = lxm_cgroup_name_check("tasks", &err);
	ok(r == -EEXIST && strstr(err.msg, "/cpu/tasks'"), "without an lxm parent the root's files count: %s",
	   err.msg);
	lxm_error_clear(&err);
	ok(lxm_cgroup_name_check("web1", &err) == 0, "a container's cgroup (a directory) is no clash");
	ok(lxm_cgroup_name_check("memory.example.org", &err) == 0, "a dotted name that is no file is fine");
	setenv("LXM_CGROUP_MOUNTINFO", "/nonexistent/mountinfo", 1);
	ok(lxm_cgroup_name_check("pids.max", &err) == 0 && !err.msg[0],
	   "without a mountinfo to read the name is not refused (the start checks again)");
	unsetenv("LXM_CGROUP_MOUNTINFO");
	unlink(path);
	snprintf(p, sizeof(p), "rm -rf '%s/v2' '%s/cpu'", dir, dir);
	ok(system(p) == 0, "fixture removed");
}

/* ---- root: the real host ---- */

static pid_t children[8];
static size_t n_children;
static char test_name[64];

static pid_t clone3_into(int cgfd)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
			 set_tid, set_tid_size, cgroup;
	} args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgfd };

	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));

	/* valgrind does not know clone3: fork, the caller attaches */
	if (pid < 0 && errno == ENOSYS) {
		printf("# clone3: ENOSYS, falling back to fork\n");
		return fork();
	}
	return pid;
}

static bool clone3_works(void)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} args = { .flags = 0, .exit_signal = 0 };

	/* an invalid size is checked before anything: EINVAL when clone3 exists */
	return syscall(SYS_clone3, &args, (size_t)1) < 0 && errno != ENOSYS;
}

/* read with a timeout, so that a broken child cannot hang the test */
static bool read_timeout(int fd, void *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, 5000) != 1)
		return false;
	return read(fd, buf, len) == (ssize_t)len;
}

static void track(pid_t pid)
{
	if (pid > 0 && n_children < ARRAY_SIZE(children))
		children[n_children++] = pid;
}

/* A child cloned into the cgroup cgfd that waits there until killed (or
 * until we die); tracked. */
static pid_t clone_waiter(int cgfd)
{
	pid_t pid = clone3_into(cgfd);

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	track(pid);
	return pid;
}

/* A child that waits for a byte, then uses some memory and CPU, reports
 * back and sleeps. */
static void child_body(int go_fd, int done_fd)
{
	char c;
	volatile char *mem;
	uint64_t until;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (read(go_fd, &c, 1) != 1)
		_exit(1);
	mem = malloc(4 << 20);
	if (mem)
		for (size_t i = 0; i < (4 << 20); i += 4096)
			mem[i] = 1;
	until = lxm_now_ns() + 20 * 1000 * 1000;
	while (lxm_now_ns() < until)
		;
	if (write(done_fd, "x", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

static bool file_has_line(const char *path, const char *line)
{
	_cleanup_free_ char *s = NULL;
	size_t len = strlen(line);

	if (lxm_read_file_at(AT_FDCWD, path, &s, NULL) < 0)
		return false;
	for (char *p = s; p && *p; ) {
		char *nl = strchr(p, '\n');

		if ((nl ? (size_t)(nl - p) : strlen(p)) == len && strncmp(p, line, len) == 0)
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

static bool in_every_hierarchy(const struct lxm_cgroup *cg, pid_t pid, bool with_v2)
{
	size_t n;
	const struct lxm_cgroup_hierarchy *h = lxm_cgroup_hierarchies(cg, &n);
	char buf[32], path[512];
	size_t found = 0, want = 0;
	_cleanup_free_ char *pc = NULL;

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (size_t i = 0; i < n; i++) {
		if (h[i].unified && !with_v2)
			continue;
		want++;
		snprintf(path, sizeof(path), "%s/cgroup.procs", h[i].path);
		if (file_has_line(path, buf))
			found++;
		else
			printf("#   pid %d not in '%s'\n", (int)pid, path);
	}
	/* /proc/PID/cgroup agrees */
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (lxm_read_file_at(AT_FDCWD, path, &pc, NULL) == 0) {
		size_t lines = 0;
		char needle[128];

		snprintf(needle, sizeof(needle), ":/%s\n", lxm_cgroup_rel_path(cg));
		for (char *p = pc; (p = strstr(p, needle)); p++)
			lines++;
		if (lines != want) {
			printf("#   /proc/%d/cgroup has %zu lines for %s, want %zu\n", (int)pid, lines,
			       lxm_cgroup_rel_path(cg), want);
			return false;
		}
	}
	return found == want;
}

static bool read_limit(const struct lxm_cgroup *cg, const char *ctrl, const char *v1_file, const char *v2_file,
		       const char *want)
{
	size_t n;
	const struct lxm_cgroup_hierarchy *h = lxm_cgroup_hierarchies(cg, &n);
	const struct lxm_cgroup_hierarchy *v2 = NULL;
	char path[512];
	_cleanup_free_ char *s = NULL;

	for (size_t i = 0; i < n; i++) {
		if (h[i].unified)
			v2 = &h[i];
		if (lxm_cgroup_hierarchy_has(&h[i], ctrl)) {
			snprintf(path, sizeof(path), "%s/%s", h[i].path, v1_file);
			goto read;
		}
	}
	if (!v2)
		return false;
	snprintf(path, sizeof(path), "%s/%s", v2->path, v2_file);
read:
	if (lxm_read_file_at(AT_FDCWD, path, &s, NULL) < 0) {
		printf("#   cannot read '%s'\n", path);
		return false;
	}
	s[strcspn(s, "\n")] = '\0';
	if (!streq(s, want))
		printf("#   '%s' is '%s', want '%s'\n", path, s, want);
	return streq(s, want);
}

static bool wait_killed(pid_t pid)
{
	int status = 0;

	if (pid <= 0)
		return false;
	for (int i = 0; i < 200; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		usleep(5000);
	}
	return false;
}

static void untrack(pid_t pid)
{
	for (size_t i = 0; i < n_children; i++)
		if (children[i] == pid)
			children[i] = 0;
}

/* No lxm/lxmtest-* of ours (or of a dead test run) in any hierarchy. */
static bool no_test_cgroups_left(void)
{
	struct lxm_cgroup_mounts m = { 0 };
	struct lxm_error err = { 0 };
	_cleanup_free_ char *text = NULL;
	bool clean = true;

	if (lxm_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, NULL) < 0 ||
	    lxm_cgroup_parse_mountinfo(text, &m, &err) < 0)
		return false;
	for (size_t i = 0; i < m.n; i++) {
		char path[512];
		DIR *d;
		struct dirent *de;

		snprintf(path, sizeof(path), "%s/lxm", m.h[i].mountpoint);
		d = opendir(path);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			long pid;

			if (strncmp(de->d_name, "lxmtest-", 8) != 0)
				continue;
			pid = strtol(de->d_name + 8, NULL, 10);
			if (pid == getpid() || kill((pid_t)pid, 0) < 0) {
				printf("#   left over: %s/%s\n", path, de->d_name);
				clean = false;
			}
		}
		closedir(d);
	}
	lxm_cgroup_mounts_done(&m);
	return clean;
}

static void cleanup_root(void)
{
	struct lxm_cgroup_mounts m = { 0 };
	struct lxm_error err = { 0 };
	_cleanup_free_ char *text = NULL;
	static const char *const suffixes[] = { "", "-b", "-c", "-v2", "-1", "-2" };

	for (size_t i = 0; i < n_children; i++)
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
		}
	n_children = 0;
	if (lxm_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, NULL) < 0 ||
	    lxm_cgroup_parse_mountinfo(text, &m, &err) < 0)
		return;
	for (size_t i = 0; i < m.n; i++)
		for (size_t s = 0; s < ARRAY_SIZE(suffixes); s++) {
			char path[512];

			snprintf(path, sizeof(path), "%s/lxm/%s%s", m.h[i].mountpoint, test_name, suffixes[s]);
			if (rmdir(path) == 0)
				printf("# cleanup removed '%s'\n", path);
		}
	lxm_cgroup_mounts_done(&m);
}

static void test_root_main(void)
{
	const struct lxm_cgroup_limits limits = {
		.memory = 64ULL << 20, .pids = 50, .cpu_weight = 200, .cpuset = "0",
	};
	struct lxm_error err = { 0 };
	struct lxm_cgroup *cg = NULL, *cg2 = NULL, *cg3 = NULL;
	struct lxm_cgroup_stats st = { 0 };
	int go1[2], done1[2], go2[2], done2[2];
	char c, ebuf[1024];
	enum lxm_cgroup_layout layout;
	pid_t p1, p2;
	bool frozen = true, killed;
	uint64_t t0, t_attach, t_enter = 0;
	int r;

	ok(lxm_cgroup_detect(&layout, &err) == 0, "detect on this host: %s", lxm_cgroup_layout_to_string(layout));
	r = lxm_cgroup_create(test_name, NULL, &limits, &cg, &err);
	ok(r == 0, "create '%s': %s", test_name, r < 0 ? lxm_error_text(&err, ebuf, sizeof(ebuf)) : "ok");
	if (r < 0)
		return;
	{
		size_t n;
		const struct lxm_cgroup_hierarchy *h = lxm_cgroup_hierarchies(cg, &n);
		struct stat sb;
		size_t dirs = 0;

		for (size_t i = 0; i < n; i++)
			dirs += stat(h[i].path, &sb) == 0 && S_ISDIR(sb.st_mode);
		ok(n > 0 && dirs == n, "cgroup directory in all %zu hierarchies", n);
		ok(lxm_cgroup_has_v1(cg) == (layout != LXM_CGROUP_UNIFIED), "has_v1 matches the layout");
		ok((lxm_cgroup_v2_fd(cg) >= 0) == (layout != LXM_CGROUP_LEGACY), "v2 fd matches the layout");
	}
	ok(read_limit(cg, "memory", "memory.limit_in_bytes", "memory.max", "67108864"), "memory limit reads back");
	ok(read_limit(cg, "pids", "pids.max", "pids.max", "50"), "pids limit reads back");
	ok(read_limit(cg, "cpu", "cpu.shares", "cpu.weight",
		      layout == LXM_CGROUP_UNIFIED ? "200" : "2048"), "cpu weight reads back");
	ok(read_limit(cg, "cpuset", "cpuset.cpus", "cpuset.cpus", "0"), "cpuset reads back");

	/* what a crash leaves: the cgroup with its limits and a sub-cgroup
	 * that the container made */
	{
		size_t n, subs = 0, gone = 0;
		const struct lxm_cgroup_hierarchy *h = lxm_cgroup_hierarchies(cg, &n);
		char sub[600];

		for (size_t i = 0; i < n; i++) {
			snprintf(sub, sizeof(sub), "%s/sub", h[i].path);
			subs += mkdir(sub, 0755) == 0;
		}
		lxm_cgroup_free(cg);
		cg = NULL;
		r = lxm_cgroup_create(test_name, NULL, NULL, &cg, &err);
		ok(r == 0, "an empty leftover cgroup: create succeeds: %s",
		   r < 0 ? lxm_error_text(&err, ebuf, sizeof(ebuf)) : "ok");
		if (r < 0)
			return;
		h = lxm_cgroup_hierarchies(cg, &n);
		for (size_t i = 0; i < n; i++) {
			snprintf(sub, sizeof(sub), "%s/sub", h[i].path);
			gone += access(sub, F_OK) < 0 && errno == ENOENT;
		}
		ok(subs == n && gone == n, "its sub-cgroups are gone (%zu made, %zu gone, %zu hierarchies)", subs,
		   gone, n);
	}
	ok(read_limit(cg, "pids", "pids.max", "pids.max", "max"), "its pids limit is gone");
	ok(read_limit(cg, "cpu", "cpu.shares", "cpu.weight", layout == LXM_CGROUP_UNIFIED ? "100" : "1024"),
	   "its cpu weight is gone");

	/* child 1: plain fork + lxm_cgroup_attach() (cgroup.procs) */
	if (pipe2(go1, O_CLOEXEC) < 0 || pipe2(done1, O_CLOEXEC) < 0 || pipe2(go2, O_CLOEXEC) < 0 ||
	    pipe2(done2, O_CLOEXEC) < 0)
		return;
	usleep(200 * 1000);   /* a quiet period, as before a real start */
	p1 = fork();
	if (p1 == 0)
		child_body(go1[0], done1[1]);
	track(p1);
	t0 = lxm_now_ns();
	r = lxm_cgroup_attach(cg, p1, false, &err);
	t_attach = lxm_now_ns() - t0;
	ok(r == 0, "attach pid %d: %s", (int)p1, r < 0 ? lxm_error_text(&err, ebuf, sizeof(ebuf)) : "ok");
	printf("# attach by pid (cgroup.procs, %s): %.3f ms\n", lxm_cgroup_layout_to_string(layout),
	       (double)t_attach / 1e6);
	ok(in_every_hierarchy(cg, p1, true), "child 1 is in every hierarchy's cgroup.procs and /proc/PID/cgroup");
	r = lxm_cgroup_create(test_name, NULL, NULL, &cg2, &err);
	ok(r == -EBUSY, "a leftover cgroup with tasks is EBUSY: %s", lxm_error_text(&err, ebuf, sizeof(ebuf)));
	lxm_cgroup_free(cg2);
	cg2 = NULL;

	/* child 2: clone3 into the v2 cgroup, then joins v1 itself, as
	 * non-root: the start path without a grace period */
	usleep(200 * 1000);
	if (lxm_cgroup_v2_fd(cg) >= 0)
		p2 = clone3_into(lxm_cgroup_v2_fd(cg));
	else
		p2 = fork();
	if (p2 == 0) {
		struct lxm_error e = { 0 };
		uint64_t t;

		char eb[1024];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(3);
		t = lxm_now_ns();
		if (lxm_cgroup_enter_self(cg, &e) < 0) {
			fprintf(stderr, "child: %s\n", lxm_error_text(&e, eb, sizeof(eb)));
			_exit(2);
		}
		t = lxm_now_ns() - t;
		if (write(done2[1], &t, sizeof(t)) != sizeof(t))
			_exit(1);
		child_body(go2[0], done2[1]);
	}
	ok(p2 > 0, "clone3(CLONE_INTO_CGROUP) with the v2 fd");
	track(p2);
	if (p2 > 0) {
		bool joined = read_timeout(done2[0], &t_enter, sizeof(t_enter));

		ok(joined, "child 2 joined its v1 cgroups");
		if (!clone3_works())
			lxm_cgroup_attach(cg, p2, false, &err);
		printf("# clone3 into v2 + lxm_cgroup_enter_self() in the child (as uid 65534): %.3f ms\n",
		       (double)t_enter / 1e6);
		ok(in_every_hierarchy(cg, p2, true), "child 2 is in every hierarchy");
	}

	/* let both use memory and CPU */
	{
		bool ran = write(go1[1], "g", 1) == 1 && read_timeout(done1[0], &c, 1);

		ok(ran, "child 1 ran");
		if (p2 > 0) {
			ran = write(go2[1], "g", 1) == 1 && read_timeout(done2[0], &c, 1);
			ok(ran, "child 2 ran");
		}
	}
	ok(lxm_cgroup_stats(cg, &st) == 0, "stats");
	ok(st.has_memory && st.memory_bytes > 0, "memory use %llu", (unsigned long long)st.memory_bytes);
	ok(st.has_cpu && st.cpu_ns > 0, "cpu use %llu ns", (unsigned long long)st.cpu_ns);
	ok(st.has_pids && st.pids == (p2 > 0 ? 2 : 1), "pids %llu", (unsigned long long)st.pids);

	r = lxm_cgroup_freeze(cg, true, &err);
	ok(r == 0, "freeze: %s", r < 0 ? lxm_error_text(&err, ebuf, sizeof(ebuf)) : "ok");
	ok(lxm_cgroup_is_frozen(cg, &frozen) == 0 && frozen, "is frozen");
	r = lxm_cgroup_freeze(cg, false, &err);
	ok(r == 0, "thaw: %s", r < 0 ? lxm_error_text(&err, ebuf, sizeof(ebuf)) : "ok");
	ok(lxm_cgroup_is_frozen(cg, &frozen) == 0 && !frozen, "is thawed");

	r = lxm_cgroup_open(test_name, &cg2, &err);
	{
		size_t n1 = 0, n2 = 0;

		lxm_cgroup_hierarchies(cg, &n1);
		lxm_cgroup_hierarchies(cg2, &n2);
		ok(r == 0 && n1 == n2, "open finds all %zu hierarchies", n2);
	}
	/* freeze again, then destroy through the opened handle: the kill has
	 * to thaw first */
	ok(lxm_cgroup_freeze(cg2, true, &err) == 0, "freeze before destroy");
	t0 = lxm_now_ns();
	r = lxm_cgroup_destroy(cg2, &err);
	ok(r == 0, "destroy (frozen, 2 tasks): %s", r < 0 ? lxm_error_text(&err, ebuf, sizeof(ebuf)) : "ok");
	printf("# destroy: %.3f ms\n", (double)(lxm_now_ns() - t0) / 1e6);
	killed = wait_killed(p1);
	ok(killed, "child 1 was killed");
	untrack(p1);
	if (p2 > 0) {
		killed = wait_killed(p2);
		ok(killed, "child 2 was killed");
		untrack(p2);
	}
	ok(lxm_cgroup_destroy(cg2, &err) == 0, "destroy again is fine");
	ok(lxm_cgroup_destroy(cg, &err) == 0, "destroy through a stale handle is fine (ENOENT)");
	ok(lxm_cgroup_v2_fd(cg2) == -1, "no v2 fd after destroy");
	lxm_cgroup_free(cg2);
	lxm_cgroup_free(cg);
	cg = cg2 = NULL;
	r = lxm_cgroup_open(test_name, &cg3, &err);
	ok(r == -ENOENT && !cg3, "open after destroy: -ENOENT (%s)", lxm_error_text(&err, ebuf, sizeof(ebuf)));
	lxm_cgroup_free(cg3);
	ok(no_test_cgroups_left(), "no lxm/lxmtest-* left in any hierarchy");
	for (int i = 0; i < 2; i++) {
		close(go1[i]);
		close(done1[i]);
		close(go2[i]);
		close(done2[i]);
	}
}

/* A reboot's reset: a task the container left in a sub-cgroup is killed,
 * the sub-cgroups go (and, on v2, the controllers enabled for them), the
 * limits stay. */
/* Two containers of one name (two owners): the second gets "<name>-1";
 * each finds its own by its mark, a leftover of its own is taken over. */
static void test_root_owners(void)
{
	const char *A = "1:100 /lib-a/web", *B = "1:200 /lib-b/web", *C = "1:300 /lib-c/web";
	struct lxm_cgroup *a = NULL, *b = NULL, *c = NULL, *own = NULL;
	struct lxm_error err = { 0 };
	char ebuf[1024], want[300], mark[LXM_CGROUP_OWNER_MAX];
	const struct lxm_cgroup_hierarchy *h;
	size_t n;
	ssize_t len;
	int r;

	snprintf(want, sizeof(want), "lxm/%s", test_name);
	r = lxm_cgroup_create(test_name, A, NULL, &a, &err);
	ok(r == 0 && streq(lxm_cgroup_rel_path(a), want),
	   "owner A gets '%s': %s", a ? lxm_cgroup_rel_path(a) : "-", r < 0 ? lxm_error_text(&err, ebuf, sizeof(ebuf)) : "ok");
	if (r < 0)
		return;
	h = lxm_cgroup_hierarchies(a, &n);
	/* the mark is in one hierarchy: the first by mount point */
	size_t m = 0;
	for (size_t i = 1; i < n; i++)
		if (strcmp(h[i].mountpoint, h[m].mountpoint) < 0)
			m = i;
	len = n ? getxattr(h[m].path, LXM_CGROUP_OWNER_XATTR, mark, sizeof(mark) - 1) : -1;
	if (len >= 0)
		mark[len] = '\0';
	ok(len >= 0 && streq(mark, A), "'%s' carries the mark '%s'", n ? h[m].path : "-", len >= 0 ? mark : strerror(errno));
	for (size_t i = 0; i < n; i++)
		if (i != m && getxattr(h[i].path, LXM_CGROUP_OWNER_XATTR, mark, sizeof(mark) - 1) >= 0)
			ok(0, "'%s' carries a mark too (one hierarchy is enough)", h[i].path);
	r = lxm_cgroup_create(test_name, B, NULL, &b, &err);
	snprintf(want, sizeof(want), "lxm/%s-1", test_name);
	ok(r == 0 && streq(lxm_cgroup_rel_path(b), want), "owner B of the same name gets '%s' (%s)", want,
	   r == 0 ? lxm_cgroup_rel_path(b) : lxm_error_text(&err, ebuf, sizeof(ebuf)));
	if (r < 0)
		goto out;
	r = lxm_cgroup_open_own(test_name, B, &own, &err);
	ok(r == 0 && streq(lxm_cgroup_rel_path(own), want), "open_own(B) finds B's ('%s')", own ? lxm_cgroup_rel_path(own) : "-");
	lxm_cgroup_free(own);
	own = NULL;
	r = lxm_cgroup_open_own(test_name, C, &own, &err);
	ok(r == -ENOENT, "open_own(C), who has none, finds nothing (not A's or B's): %d", r);
	lxm_cgroup_free(own);
	own = NULL;
	/* A's is a crash's leftover now (its handle dropped, nothing in it) */
	lxm_cgroup_free(a);
	a = NULL;
	r = lxm_cgroup_create(test_name, A, NULL, &a, &err);
	snprintf(want, sizeof(want), "lxm/%s", test_name);
	ok(r == 0 && streq(lxm_cgroup_rel_path(a), want), "A's next start takes over its own leftover '%s'", want);
	r = lxm_cgroup_create(test_name, C, NULL, &c, &err);
	snprintf(want, sizeof(want), "lxm/%s-2", test_name);
	ok(r == 0 && streq(lxm_cgroup_rel_path(c), want), "a third owner gets '%s'", want);
	ok(lxm_cgroup_destroy(b, &err) == 0, "destroy B's");
	r = lxm_cgroup_open_own(test_name, A, &own, &err);
	snprintf(want, sizeof(want), "lxm/%s", test_name);
	ok(r == 0 && streq(lxm_cgroup_rel_path(own), want), "open_own(A) finds A's with B's gone");
	lxm_cgroup_free(own);
out:
	if (c)
		lxm_cgroup_destroy(c, &err);
	if (b)
		lxm_cgroup_destroy(b, &err);
	if (a)
		lxm_cgroup_destroy(a, &err);
	lxm_cgroup_free(a);
	lxm_cgroup_free(b);
	lxm_cgroup_free(c);
}

static void test_root_reset(void)
{
	const struct lxm_cgroup_limits limits = { .pids = 50 };
	struct lxm_cgroup *cg = NULL;
	struct lxm_error err = { 0 };
	const struct lxm_cgroup_hierarchy *h;
	char name[96], path[600], ebuf[1024], buf[32];
	size_t n, moved = 0, gone = 0;
	bool enabled = false;
	pid_t pid;
	int r;

	snprintf(name, sizeof(name), "%s-c", test_name);
	r = lxm_cgroup_create(name, NULL, &limits, &cg, &err);
	ok(r == 0, "reset: create: %s", r < 0 ? lxm_error_text(&err, ebuf, sizeof(ebuf)) : "ok");
	if (r < 0)
		return;
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	track(pid);
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	h = lxm_cgroup_hierarchies(cg, &n);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/sub", h[i].path);
		if (mkdir(path, 0755) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/sub/cgroup.procs", h[i].path);
		moved += lxm_write_file_at(AT_FDCWD, path, buf, strlen(buf), 0, 0) == 0;
		/* what systemd does on v2 once its processes are below */
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", h[i].path);
		if (h[i].unified && lxm_write_file_at(AT_FDCWD, path, "+pids", 5, 0, 0) == 0)
			enabled = true;
	}
	ok(pid > 0 && moved == n, "reset: a task in a sub-cgroup of all %zu hierarchies (%zu)", n, moved);
	/* frozen (v2) after the old init died: the next one must not be */
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/cgroup.freeze", h[i].path);
		if (h[i].unified)
			(void)lxm_write_file_at(AT_FDCWD, path, "1", 1, 0, 0);
	}
	printf("# v2 controllers enabled for the sub-cgroup: %s\n", enabled ? "pids" : "none (no v2 pids here)");
	r = lxm_cgroup_reset(cg, &err);
	ok(r == 0, "reset: %s", r < 0 ? lxm_error_text(&err, ebuf, sizeof(ebuf)) : "ok");
	ok(wait_killed(pid), "reset: the task was killed");
	untrack(pid);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/sub", h[i].path);
		gone += access(path, F_OK) < 0 && errno == ENOENT;
		if (h[i].unified) {
			_cleanup_free_ char *sc = NULL;

			snprintf(path, sizeof(path), "%s/cgroup.subtree_control", h[i].path);
			ok(lxm_read_file_at(AT_FDCWD, path, &sc, NULL) == 0 && (sc[0] == '\0' || sc[0] == '\n'),
			   "reset: no controller enabled in '%s'", path);
			free(sc);
			sc = NULL;
			snprintf(path, sizeof(path), "%s/cgroup.freeze", h[i].path);
			if (access(path, F_OK) == 0)
				ok(lxm_read_file_at(AT_FDCWD, path, &sc, NULL) == 0 && sc[0] == '0',
				   "reset: '%s' is 0 (frozen after the old init died)", path);
		}
	}
	ok(gone == n, "reset: the sub-cgroups are gone (%zu of %zu)", gone, n);
	ok(read_limit(cg, "pids", "pids.max", "pids.max", "50"), "reset: the limits stay");
	/* the next init of a reboot goes in through clone3 */
	if (lxm_cgroup_v2_fd(cg) >= 0 && clone3_works()) {
		int status = 0;
		pid_t w;

		pid = clone_waiter(lxm_cgroup_v2_fd(cg));
		usleep(100 * 1000);
		w = waitpid(pid, &status, WNOHANG);
		ok(pid > 0 && w == 0, "reset: a task cloned into the cgroup afterwards lives (%s)",
		   w == pid && WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "alive");
	}
	r = lxm_cgroup_destroy(cg, &err);
	ok(r == 0, "reset: destroy: %s", r < 0 ? lxm_error_text(&err, ebuf, sizeof(ebuf)) : "ok");
	lxm_cgroup_free(cg);
	ok(no_test_cgroups_left(), "reset: nothing left");
}

/* A host-derived fixture with only some hierarchies: a limit whose
 * controller is missing fails, names file and cgroup, and leaves nothing. */
static void test_root_missing_controller(const char *dir)
{
	char path[512], name[96], ebuf[1024];
	struct lxm_cgroup *cg = NULL;
	struct lxm_error err = { 0 };
	const struct lxm_cgroup_limits limits = { .memory = 64ULL << 20 };
	_cleanup_free_ char *text = NULL, *fixture = NULL;
	struct lxm_cgroup_mounts m = { 0 };
	size_t len = 0;
	int r;

	/* keep the hierarchies without the memory controller */
	if (lxm_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, NULL) < 0)
		return;
	fixture = calloc(1, strlen(text) + 1);
	if (!fixture)
		return;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strstr(line, " - cgroup ") && strstr(line, "memory"))
			continue;
		len += (size_t)sprintf(fixture + len, "%s\n", line);
	}
	snprintf(path, sizeof(path), "%s/mi-nomem", dir);
	lxm_write_file_at(AT_FDCWD, path, fixture, len, O_CREAT | O_TRUNC, 0600);
	setenv("LXM_CGROUP_MOUNTINFO", path, 1);
	if (lxm_cgroup_parse_mountinfo(fixture, &m, &err) == 0) {
		bool v2_mem = false;

		for (size_t i = 0; i < m.n; i++)
			if (m.h[i].unified) {
				_cleanup_free_ char *c = NULL;
				char p[512];

				snprintf(p, sizeof(p), "%s/cgroup.controllers", m.h[i].mountpoint);
				if (lxm_read_file_at(AT_FDCWD, p, &c, NULL) == 0 && strstr(c, "memory"))
					v2_mem = true;
			}
		lxm_cgroup_mounts_done(&m);
		if (v2_mem) {
			printf("# skipping the missing-controller test: v2 has memory here\n");
			unsetenv("LXM_CGROUP_MOUNTINFO");
			return;
		}
	}
	snprintf(name, sizeof(name), "%s-b", test_name);
	r = lxm_cgroup_create(name, NULL, &limits, &cg, &err);
	lxm_error_text(&err, ebuf, sizeof(ebuf));
	ok(r == -ENOENT && !cg, "memory limit without a memory controller fails: %s", ebuf);
	ok(strstr(ebuf, "memory.") && strstr(ebuf, name) && strstr(ebuf, "'memory'"),
	   "the error names the file, the cgroup and the controller");
	ok(no_test_cgroups_left(), "the failed create left nothing");
	lxm_cgroup_free(cg);
	unsetenv("LXM_CGROUP_MOUNTINFO");
}

/* Only the v2 hierarchy of the host (the unified one on a hybrid host):
 * the pure-v2 code paths, cgroup.freeze and cgroup.kill included. */
static void test_root_v2_only(const char *dir)
{
	char path[512], name[96], ebuf[1024], line[160];
	struct lxm_cgroup *cg = NULL;
	struct lxm_error err = { 0 };
	struct lxm_cgroup_mounts m = { 0 };
	_cleanup_free_ char *text = NULL, *fixture = NULL;
	bool frozen = false, killed;
	pid_t pid;
	int r;

	if (lxm_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, NULL) < 0)
		return;
	fixture = calloc(1, strlen(text) + 1);
	if (!fixture)
		return;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
		if (strstr(l, " - cgroup2 ")) {
			strcat(fixture, l);
			strcat(fixture, "\n");
		}
	if (lxm_cgroup_parse_mountinfo(fixture, &m, &err) < 0) {
		printf("# no v2 hierarchy: skipping the v2 tests\n");
		return;
	}
	lxm_cgroup_mounts_done(&m);
	snprintf(path, sizeof(path), "%s/mi-v2", dir);
	lxm_write_file_at(AT_FDCWD, path, fixture, strlen(fixture), O_CREAT | O_TRUNC, 0600);
	setenv("LXM_CGROUP_MOUNTINFO", path, 1);
	snprintf(name, sizeof(name), "%s-v2", test_name);
	r = lxm_cgroup_create(name, NULL, NULL, &cg, &err);
	ok(r == 0, "v2 only: create: %s", r < 0 ? lxm_error_text(&err, ebuf, sizeof(ebuf)) : "ok");
	if (r < 0)
		goto out;
	ok(!lxm_cgroup_has_v1(cg) && lxm_cgroup_v2_fd(cg) >= 0, "v2 only: no v1, a v2 fd");
	pid = clone_waiter(lxm_cgroup_v2_fd(cg));
	ok(pid > 0, "v2 only: clone3 into the cgroup");
	if (pid < 0)
		goto out_free;
	if (!clone3_works())
		lxm_cgroup_attach(cg, pid, false, &err);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	snprintf(line, sizeof(line), "0::/lxm/%s", name);
	ok(file_has_line(path, line), "v2 only: /proc/PID/cgroup says '%s'", line);
	ok(lxm_cgroup_attach(cg, pid, true, &err) == 0, "v2 only: attach with skip_v2 is a no-op");
	r = lxm_cgroup_freeze(cg, true, &err);
	ok(r == 0, "v2 only: cgroup.freeze: %s", r < 0 ? lxm_error_text(&err, ebuf, sizeof(ebuf)) : "ok");
	ok(lxm_cgroup_is_frozen(cg, &frozen) == 0 && frozen, "v2 only: frozen");
	r = lxm_cgroup_destroy(cg, &err);
	ok(r == 0, "v2 only: destroy a frozen cgroup (cgroup.kill): %s",
	   r < 0 ? lxm_error_text(&err, ebuf, sizeof(ebuf)) : "ok");
	killed = wait_killed(pid);
	ok(killed, "v2 only: the task was killed");
	untrack(pid);
out_free:
	lxm_cgroup_free(cg);
out:
	unsetenv("LXM_CGROUP_MOUNTINFO");
	ok(no_test_cgroups_left(), "v2 only: nothing left");
}

int main(void)
{
	char dir[] = "/tmp/test-cgroup-XXXXXX";

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	unsetenv("LXM_CGROUP_MOUNTINFO");
	test_parse_hybrid();
	test_format_mounts();
	test_parse_unified();
	test_parse_legacy();
	test_parse_special();
	test_parse_garbage();
	test_shares();
	test_io_stat();
	test_leaf_names();
	test_owner();
	test_pick();
	test_recorded_leaf();
	test_detect_fixture(dir);
	test_name_check(dir);

	if (geteuid() != 0 || access("/sys/fs/cgroup", W_OK) < 0) {
		printf("# not root: skipping the tests on the real host\n");
	} else {
		snprintf(test_name, sizeof(test_name), "lxmtest-%d", (int)getpid());
		test_root_main();
		cleanup_root();
		test_root_owners();
		cleanup_root();
		test_root_reset();
		cleanup_root();
		test_root_missing_controller(dir);
		cleanup_root();
		test_root_v2_only(dir);
		cleanup_root();
	}
	{
		char p[600];

		snprintf(p, sizeof(p), "%s/mi-nomem", dir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/mi-v2", dir);
		unlink(p);
		rmdir(dir);
	}
	return tap_done();
}
