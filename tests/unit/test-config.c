/* Unit tests for lxm/config*.c: reading, every error path, validation,
 * defaults, read-over semantics, round trips, atomic writes and the pure
 * helpers. No root needed. */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <sys/stat.h>

#include "../../lxm/config.h" /* not the build dir's autoconf config.h */
#include "../../lxm/caps.h"
#include "../../lxm/cmd.h"
#include "../../lxm/state.h"
#include "tap.h"

static const char example[] =
	"name = \"web1\";\n"
	"uuid = \"3F6C2E9A-1111-4222-8333-444455556666\";\n"
	"hostname = \"web1.example.org\";\n"
	"rootfs = { path = \"rootfs\"; };                 # relative to the container dir\n"
	"init = { cmd = [\"/sbin/init\", \"--quiet\"]; halt_signal = \"SIGUSR2\"; stop_timeout = 30; };\n"
	"idmap = ( { type = \"u\"; container = 0; host = 1000000; count = 65536; },\n"
	"          { type = \"g\"; container = 0; host = 3000000000; count = 65536; } );\n"
	"net = ( { type = \"veth\"; link = \"lxmbr0\"; name = \"eth0\";\n"
	"          hwaddr = \"00:16:3E:5A:01:02\"; mtu = 1500;\n"
	"          ipv4 = [\"10.0.3.10/24\"]; ipv4_gateway = \"10.0.3.1\";\n"
	"          ipv6 = [\"fd00::10/64\"]; ipv6_gateway = \"fd00::1\"; },\n"
	"        { type = \"macvlan\"; link = \"enp3s0\"; } );\n"
	"console = { ttys = 2; log = \"\"; buffer = \"64K\"; log_size = 4096; };\n"
	"limits = { memory = \"512M\"; pids = 1024; cpu_weight = 100; cpuset = \"0-1,3\"; };\n"
	"security = { apparmor = \"unconfined\"; seccomp = \"none\";\n"
	"             cap_drop = [\"sys_module\", \"CAP_SYS_TIME\"];\n"
	"             no_new_privs = true; nesting = true; };\n"
	"mounts = ( { source = \"/srv/web1\"; target = \"/srv\"; options = \"bind,ro\"; },\n"
	"           { source = \"tmpfs\"; target = \"/tmp\"; fstype = \"tmpfs\"; } );\n"
	"autostart = { enabled = true; delay = 5; order = -10; groups = [\"web\", \"prod\"]; };\n";

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return streq(a, b);
}

static bool strv_eq(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!str_eq(a[i], b[i]))
			return false;
	return true;
}

static bool nic_eq(const struct lxm_nic *a, const struct lxm_nic *b)
{
	return a->type == b->type && streq(a->link, b->link) && streq(a->name, b->name) &&
	       streq(a->hwaddr, b->hwaddr) && a->mtu == b->mtu &&
	       strv_eq(a->ipv4, a->n_ipv4, b->ipv4, b->n_ipv4) && str_eq(a->ipv4_gateway, b->ipv4_gateway) &&
	       strv_eq(a->ipv6, a->n_ipv6, b->ipv6, b->n_ipv6) && str_eq(a->ipv6_gateway, b->ipv6_gateway);
}

static bool config_eq(const struct lxm_config *a, const struct lxm_config *b)
{
	if (!str_eq(a->name, b->name) || !streq(a->uuid, b->uuid) || !str_eq(a->hostname, b->hostname) ||
	    !str_eq(a->rootfs_path, b->rootfs_path) || !str_eq(a->rootfs_idmapped, b->rootfs_idmapped) ||
	    !str_eq(a->rootfs_overlay_lower, b->rootfs_overlay_lower) ||
	    !str_eq(a->rootfs_overlay_upper, b->rootfs_overlay_upper) ||
	    !str_eq(a->rootfs_overlay_work, b->rootfs_overlay_work) ||
	    !strv_eq(a->init_cmd, a->n_init_cmd, b->init_cmd, b->n_init_cmd) ||
	    a->halt_signal != b->halt_signal || a->reboot_signal != b->reboot_signal ||
	    a->stop_timeout != b->stop_timeout)
		return false;
	if (a->n_idmaps != b->n_idmaps || a->n_nics != b->n_nics || a->n_mounts != b->n_mounts)
		return false;
	for (size_t i = 0; i < a->n_idmaps; i++)
		if (a->idmaps[i].type != b->idmaps[i].type || a->idmaps[i].container != b->idmaps[i].container ||
		    a->idmaps[i].host != b->idmaps[i].host || a->idmaps[i].count != b->idmaps[i].count)
			return false;
	for (size_t i = 0; i < a->n_nics; i++)
		if (!nic_eq(&a->nics[i], &b->nics[i]))
			return false;
	for (size_t i = 0; i < a->n_mounts; i++)
		if (!str_eq(a->mounts[i].source, b->mounts[i].source) || !str_eq(a->mounts[i].target, b->mounts[i].target) ||
		    !str_eq(a->mounts[i].options, b->mounts[i].options) || !str_eq(a->mounts[i].fstype, b->mounts[i].fstype))
			return false;
	if (a->n_devices != b->n_devices)
		return false;
	for (size_t i = 0; i < a->n_devices; i++)
		if (a->devices[i].type != b->devices[i].type || a->devices[i].major != b->devices[i].major ||
		    a->devices[i].minor != b->devices[i].minor || !str_eq(a->devices[i].access, b->devices[i].access) ||
		    !str_eq(a->devices[i].path, b->devices[i].path))
			return false;
	return a->console.ttys == b->console.ttys && str_eq(a->console.log, b->console.log) &&
	       a->console.buffer == b->console.buffer && a->console.log_size == b->console.log_size &&
	       a->limits.memory == b->limits.memory && a->limits.pids == b->limits.pids &&
	       a->limits.cpu_weight == b->limits.cpu_weight && str_eq(a->limits.cpuset, b->limits.cpuset) &&
	       a->limits.memory_swap == b->limits.memory_swap && a->limits.io_weight == b->limits.io_weight &&
	       str_eq(a->security.apparmor, b->security.apparmor) && str_eq(a->security.seccomp, b->security.seccomp) &&
	       strv_eq(a->security.cap_drop, a->security.n_cap_drop, b->security.cap_drop, b->security.n_cap_drop) &&
	       strv_eq(a->security.cap_keep, a->security.n_cap_keep, b->security.cap_keep, b->security.n_cap_keep) &&
	       a->security.no_new_privs == b->security.no_new_privs && a->security.nesting == b->security.nesting &&
	       a->autostart.enabled == b->autostart.enabled && a->autostart.delay == b->autostart.delay &&
	       a->autostart.order == b->autostart.order &&
	       strv_eq(a->autostart.groups, a->autostart.n_groups, b->autostart.groups, b->autostart.n_groups);
}

/* Read text over the defaults. */
static int parse(struct lxm_config *c, const char *text, struct lxm_error *err)
{
	if (lxm_config_init(c) < 0)
		return -ENOMEM;
	return lxm_config_read_string(c, text, "config", err);
}

static void expect_error(const char *text, const char *expected)
{
	struct lxm_config c;
	struct lxm_error err = { 0 };
	int r = parse(&c, text, &err);

	ok(r == -EINVAL && err.code == EINVAL && err.complete && streq(err.msg, expected), "rejects: %s", expected);
	if (!(r == -EINVAL && streq(err.msg, expected)))
		printf("#   got r=%d '%s'\n", r, err.msg);
	lxm_config_free(&c);
}

static void expect_invalid(const char *text, const char *expected)
{
	struct lxm_config c;
	struct lxm_error err = { 0 };
	int r = parse(&c, text, &err);

	if (r < 0) {
		ok(false, "parses before validation: %s", expected);
		printf("#   got '%s'\n", err.msg);
	} else {
		r = lxm_config_validate(&c, "c1", &err);
		ok(r == -EINVAL && streq(err.msg, expected), "invalid: %s", expected);
		if (!(r == -EINVAL && streq(err.msg, expected)))
			printf("#   got r=%d '%s'\n", r, err.msg);
	}
	lxm_config_free(&c);
}

static void expect_valid(const char *text, const char *desc)
{
	struct lxm_config c;
	struct lxm_error err = { 0 };
	int r = parse(&c, text, &err);

	if (r == 0)
		r = lxm_config_validate(&c, "c1", &err);
	ok(r == 0, "valid: %s", desc);
	if (r < 0)
		printf("#   got '%s'\n", err.msg);
	lxm_config_free(&c);
}

static void test_defaults(void)
{
	struct lxm_config c;
	struct lxm_error err = { 0 };

	ok(lxm_config_init(&c) == 0, "init");
	ok(c.n_init_cmd == 1 && streq(c.init_cmd[0], "/sbin/init") && c.init_cmd[1] == NULL,
	   "default init.cmd is /sbin/init, NULL-terminated");
	ok(c.halt_signal == SIGPWR && c.reboot_signal == SIGINT && c.stop_timeout == 30, "default signals and timeout");
	ok(c.console.ttys == 4 && streq(c.console.log, "console.log") && c.console.buffer == 128 * 1024 &&
	   c.console.log_size == 1024 * 1024, "default console");
	ok(streq(c.security.apparmor, "generated") && streq(c.security.seccomp, "default"), "default LSM and seccomp");
	ok(c.security.n_cap_drop == 5 && streq(c.security.cap_drop[0], "sys_module") &&
	   streq(c.security.cap_drop[1], "sys_time") && streq(c.security.cap_drop[2], "sys_rawio") &&
	   streq(c.security.cap_drop[3], "mac_admin") && streq(c.security.cap_drop[4], "mac_override") &&
	   c.security.n_cap_keep == 0, "default cap_drop");
	ok(streq(c.rootfs_path, "rootfs") && !c.name && !c.hostname && !c.uuid[0], "default rootfs, no name");
	ok(c.n_nics == 0 && c.n_idmaps == 0 && c.n_mounts == 0 && !c.autostart.enabled, "no nets, idmaps, mounts, autostart");
	ok(c.limits.memory == 0 && c.limits.pids == 0 && c.limits.cpu_weight == 0 && !c.limits.cpuset, "no limits");
	ok(!c.security.no_new_privs && !c.security.nesting, "no_new_privs and nesting off");
	ok(lxm_config_validate(&c, "c1", &err) == 0, "defaults validate");
	lxm_config_free(&c);
	ok(c.init_cmd == NULL && c.n_init_cmd == 0, "free zeroes the struct");
	lxm_config_free(&c);
	ok(true, "free twice is harmless");

	struct lxm_config z = { 0 };
	lxm_config_free(&z);
	lxm_config_free(NULL);
	ok(true, "free of a zeroed struct and NULL");
}

static void test_example(void)
{
	struct lxm_config c;
	struct lxm_error err = { 0 };
	int r = parse(&c, example, &err);

	ok(r == 0, "example parses");
	if (r < 0) {
		printf("#   %s\n", err.msg);
		lxm_config_free(&c);
		return;
	}
	ok(lxm_config_validate(&c, "web1", &err) == 0, "example validates");
	ok(streq(c.name, "web1") && streq(c.hostname, "web1.example.org"), "name and hostname");
	ok(streq(c.uuid, "3f6c2e9a-1111-4222-8333-444455556666"), "uuid stored lower-case");
	ok(c.n_init_cmd == 2 && streq(c.init_cmd[1], "--quiet") && !c.init_cmd[2], "init.cmd");
	ok(c.halt_signal == SIGUSR2 && c.reboot_signal == SIGINT && c.stop_timeout == 30, "signals, reboot kept");
	ok(c.n_idmaps == 2 && c.idmaps[0].type == 'u' && c.idmaps[0].host == 1000000 && c.idmaps[1].type == 'g' &&
	   c.idmaps[1].host == 3000000000U && c.idmaps[1].count == 65536, "idmaps, host id beyond 2^31");
	ok(c.n_nics == 2 && c.nics[0].type == LXM_NET_VETH && streq(c.nics[0].link, "lxmbr0") &&
	   streq(c.nics[0].name, "eth0") && streq(c.nics[0].hwaddr, "00:16:3e:5a:01:02") && c.nics[0].mtu == 1500,
	   "net[0] link, name, hwaddr (lower-cased), mtu");
	ok(c.nics[0].n_ipv4 == 1 && streq(c.nics[0].ipv4[0], "10.0.3.10/24") && streq(c.nics[0].ipv4_gateway, "10.0.3.1") &&
	   c.nics[0].n_ipv6 == 1 && streq(c.nics[0].ipv6[0], "fd00::10/64") && streq(c.nics[0].ipv6_gateway, "fd00::1"),
	   "net[0] addresses");
	ok(c.nics[1].type == LXM_NET_MACVLAN && streq(c.nics[1].name, "eth1") && !c.nics[1].hwaddr[0],
	   "net[1] gets the name eth1, hwaddr left for derivation");
	ok(c.console.ttys == 2 && c.console.log == NULL && c.console.buffer == 64 * 1024 && c.console.log_size == 4096,
	   "console: log \"\" means none, sizes as string and integer");
	ok(c.limits.memory == 512ULL << 20 && c.limits.pids == 1024 && c.limits.cpu_weight == 100 &&
	   streq(c.limits.cpuset, "0-1,3"), "limits");
	ok(streq(c.security.apparmor, "unconfined") && streq(c.security.seccomp, "none") &&
	   c.security.n_cap_drop == 2 && streq(c.security.cap_drop[1], "sys_time") && c.security.no_new_privs &&
	   c.security.nesting, "security, CAP_SYS_TIME stored as sys_time");
	ok(c.n_mounts == 2 && streq(c.mounts[0].options, "bind,ro") && !c.mounts[0].fstype &&
	   streq(c.mounts[1].fstype, "tmpfs") && !c.mounts[1].options, "mounts");
	ok(c.autostart.enabled && c.autostart.delay == 5 && c.autostart.order == -10 && c.autostart.n_groups == 2 &&
	   streq(c.autostart.groups[1], "prod"), "autostart");
	lxm_config_free(&c);
}

static void test_read_over(void)
{
	struct lxm_config c;
	struct lxm_error err = { 0 };
	const char *defaults =
		"console = { ttys = 6; buffer = \"256K\"; };\n"
		"limits = { memory = \"1G\"; };\n"
		"security = { cap_drop = [\"sys_module\"]; };\n"
		"net = ( { type = \"veth\"; link = \"lxmbr0\"; }, { type = \"veth\"; link = \"br1\"; } );\n"
		"init = { cmd = [\"/sbin/init\", \"a\", \"b\"]; };\n";
	const char *own =
		"name = \"c1\";\n"
		"console = { ttys = 1; };\n"
		"net = ( { type = \"macvlan\"; link = \"eth9\"; } );\n"
		"init = { cmd = [\"/bin/init\"]; };\n"
		"security = { cap_keep = [\"chown\"]; };\n";

	ok(parse(&c, defaults, &err) == 0, "defaults file parses");
	ok(lxm_config_read_string(&c, own, "own", &err) == 0, "own config reads over it");
	ok(c.console.ttys == 1 && c.console.buffer == 256 * 1024, "a present key replaces, an absent one is kept");
	ok(c.limits.memory == 1ULL << 30 && c.stop_timeout == 30, "untouched groups are kept");
	ok(c.n_nics == 1 && c.nics[0].type == LXM_NET_MACVLAN && streq(c.nics[0].name, "eth0"),
	   "a list replaces the previous list entirely");
	ok(c.n_init_cmd == 1 && streq(c.init_cmd[0], "/bin/init") && !c.init_cmd[1],
	   "an array replaces the previous array entirely");
	ok(c.security.n_cap_keep == 1 && c.security.n_cap_drop == 0 && !c.security.cap_drop,
	   "cap_keep in a later file clears an inherited cap_drop");
	ok(lxm_config_validate(&c, "c1", &err) == 0, "merged config validates");
	ok(lxm_config_read_string(&c, "security = { cap_drop = [\"bpf\"]; };", "third", &err) == 0 &&
	   c.security.n_cap_drop == 1 && c.security.n_cap_keep == 0, "cap_drop clears an inherited cap_keep");
	ok(lxm_config_read_string(&c, "net = ();", "x", &err) == 0 && c.n_nics == 0 && !c.nics, "net = () clears nets");
	ok(lxm_config_read_string(&c, "net = [];", "x", &err) == 0 && c.n_nics == 0, "net = [] is an empty list too");
	ok(lxm_config_read_string(&c, "security = { cap_drop = []; };", "x", &err) == 0 && c.security.n_cap_drop == 0,
	   "an empty array clears");
	ok(lxm_config_read_string(&c, "limits = { cpuset = \"\"; };", "x", &err) == 0 && !c.limits.cpuset,
	   "cpuset \"\" unsets");
	/* a failed read leaves the struct safe to free */
	ok(lxm_config_read_string(&c, "net = ( { type = \"veth\"; ipv4 = [\"1.2.3.4/8\"]; }, { type = \"x\"; } );",
				  "bad", &err) == -EINVAL, "failing list read");
	ok(c.n_nics == 0, "a failed list read keeps the old list");
	lxm_config_free(&c);

	ok(parse(&c, "", &err) == 0 && c.stop_timeout == 30, "empty text keeps the defaults");
	lxm_config_free(&c);
	ok(parse(&c, "# just a comment\n/* and another */\n// and one more\n", &err) == 0, "comments only");
	lxm_config_free(&c);
}

static void test_nic_names(void)
{
	struct lxm_config c;
	struct lxm_error err = { 0 };

	ok(parse(&c, "net = ( { type = \"veth\"; }, { type = \"veth\"; name = \"eth0\"; }, { type = \"empty\"; },"
		     " { type = \"phys\"; link = \"enp1s0\"; } );", &err) == 0, "nets without names");
	ok(streq(c.nics[0].name, "eth1") && streq(c.nics[1].name, "eth0") && !c.nics[2].name[0] &&
	   streq(c.nics[3].name, "eth2"), "unnamed nets get the first free eth<N>; empty gets none");
	lxm_config_free(&c);
}

static void test_errors(void)
{
	/* syntax errors carry libconfig's line and text */
	expect_error("name = \"a\";\n\nlimits = { memory = ; };\n", "config:3: syntax error: syntax error");
	expect_error("a = 1;\na = 2;\n", "config:2: syntax error: duplicate setting name");
	expect_error("name = \"unterminated;\n", "config:2: syntax error: syntax error");
	expect_error("init = { cmd = [\"a\", 1]; };", "config:1: syntax error: mismatched element type in array");
	expect_error("\n@include \"/etc/passwd\"\n", "config:2: @include is not supported");
	expect_error("x = 99999999999999999999;", "config:1: integer '99999999999999999999' is out of range");

	/* unknown keys at every level */
	expect_error("foo = 1;", "config:1: foo: unknown key");
	expect_error("name = \"a\";\n\n\nconsole = {\n  ttys = 1;\n  bogus = true;\n};",
		     "config:6: console.bogus: unknown key");
	expect_error("net = ( { type = \"veth\"; }, { type = \"veth\"; colour = \"red\"; } );",
		     "config:1: net[1].colour: unknown key");
	expect_error("idmap = ( { type = \"u\"; container = 0; host = 1; count = 1; extra = 1; } );",
		     "config:1: idmap[0].extra: unknown key");
	expect_error("mounts = ( { source = \"a\"; target = \"b\"; flags = 1; } );", "config:1: mounts[0].flags: unknown key");
	expect_error("console = { log = { path = \"x\"; }; };", "config:1: console.log: expected a string, got a group");
	expect_error("init = { cmd = [\"/sbin/init\"]; args = [\"x\"]; };", "config:1: init.args: unknown key");
	expect_error("link = \"x\";", "config:1: link: unknown key");

	/* wrong types */
	expect_error("\n\n\n\ninit = { stop_timeout = \"30\"; };", "config:5: init.stop_timeout: expected an integer, got a string");
	expect_error("name = 5;", "config:1: name: expected a string, got an integer");
	expect_error("init = { stop_timeout = 1.5; };", "config:1: init.stop_timeout: expected an integer, got a float");
	expect_error("security = { nesting = 1; };", "config:1: security.nesting: expected a boolean (true or false), got an integer");
	expect_error("security = { nesting = \"yes\"; };", "config:1: security.nesting: expected a boolean (true or false), got a string");
	expect_error("console = 5;", "config:1: console: expected a group, got an integer");
	expect_error("console = ( 1 );", "config:1: console: expected a group, got a list");
	expect_error("net = { type = \"veth\"; };", "config:1: net: expected a list ( { ... }, ... ), got a group");
	expect_error("net = ( 5 );", "config:1: net[0]: expected a group, got an integer");
	expect_error("init = { cmd = \"/sbin/init\"; };", "config:1: init.cmd: expected an array of strings, got a string");
	expect_error("init = { cmd = [1, 2]; };", "config:1: init.cmd[0]: expected a string, got an integer");
	expect_error("init = { halt_signal = 10; };", "config:1: init.halt_signal: expected a signal name, got an integer");
	expect_error("limits = { memory = true; };",
		     "config:1: limits.memory: expected a size (\"512M\" or a number of bytes), got a boolean");
	expect_error("idmap = ( { type = 'u'; } );", "config:1: syntax error: syntax error");
	expect_error("idmap = ( { type = 117; container = 0; host = 1; count = 1; } );",
		     "config:1: idmap[0].type: expected a string, got an integer");

	/* sizes */
	expect_error("limits = { memory = \"12Q\"; };", "config:1: limits.memory: invalid size '12Q'");
	expect_error("limits = { memory = \"\"; };", "config:1: limits.memory: invalid size ''");
	expect_error("limits = { memory = \"1.5G\"; };", "config:1: limits.memory: invalid size '1.5G'");
	expect_error("limits = { memory = \"-1\"; };", "config:1: limits.memory: invalid size '-1'");
	expect_error("limits = { memory = \"16E\"; };", "config:1: limits.memory: invalid size '16E': too large");
	expect_error("console = { buffer = \"99999999999999999999\"; };",
		     "config:1: console.buffer: invalid size '99999999999999999999': too large");
	/* the ring goes back to lxm-console --log in one message (LXM_CMD_DATA_MAX) */
	expect_error("console = { buffer = \"1M\"; };", "config:1: console.buffer: must be at most 256K, got '1M'");
	expect_error("console = { buffer = 262145; };",
		     "config:1: console.buffer: must be at most 256K, got 262145 bytes");
	expect_error("\nconsole = { buffer = \"257K\"; };", "config:2: console.buffer: must be at most 256K, got '257K'");
	{
		struct lxm_config c;
		struct lxm_error err = { 0 };

		ok(parse(&c, "console = { buffer = \"256K\"; };", &err) == 0 && c.console.buffer == LXM_CMD_DATA_MAX,
		   "console.buffer = 256K (the maximum) is accepted");
		lxm_config_free(&c);
	}
	expect_error("console = { log_size = -1; };", "config:1: console.log_size: invalid size -1: must not be negative");

	/* integer ranges */
	expect_error("console = { ttys = 64; };", "config:1: console.ttys: must be between 0 and 63, got 64");
	expect_error("console = { ttys = -1; };", "config:1: console.ttys: must be between 0 and 63, got -1");
	expect_error("limits = { cpu_weight = 0; };", "config:1: limits.cpu_weight: must be between 1 and 10000, got 0");
	expect_error("limits = { cpu_weight = 10001; };", "config:1: limits.cpu_weight: must be between 1 and 10000, got 10001");
	expect_error("limits = { pids = 5000000; };", "config:1: limits.pids: must be between 0 and 4194304, got 5000000");
	expect_error("autostart = { delay = 3601; };", "config:1: autostart.delay: must be between 0 and 3600, got 3601");
	expect_error("autostart = { order = 2147483648; };",
		     "config:1: autostart.order: must be between -2147483648 and 2147483647, got 2147483648");
	expect_error("init = { stop_timeout = 4294967296; };",
		     "config:1: init.stop_timeout: must be between 0 and 86400, got 4294967296");
	expect_error("mounts = ( { source = \"/srv\"; target = \"/srv\"; options = \"bind,readonly\"; } );",
		     "config:1: mounts[0].options: 'bind,readonly': unknown option 'readonly' for a bind mount (it takes ro, rw, "
		     "nosuid, nodev, noexec, the atime options, optional and create=)");
	expect_error("mounts = ( { source = \"/srv\"; target = \"/srv\"; options = \"rbind,ro,sync\"; } );",
		     "config:1: mounts[0].options: 'rbind,ro,sync': 'sync' is a flag of the whole filesystem, a bind mount cannot set it");
	expect_error("mounts = ( { source = \"/srv\"; target = \"/srv\"; options = \"bind,dirsync\"; } );",
		     "config:1: mounts[0].options: 'bind,dirsync': 'dirsync' is a flag of the whole filesystem, a bind mount cannot set it");
	expect_error("init = { stop_timeout = 86401; };", "config:1: init.stop_timeout: must be between 0 and 86400, got 86401");
	expect_error("security = { apparmor = \"foo\\nbar\"; };",
		     "config:1: security.apparmor: invalid profile name 'foo\nbar': white space or a control character");
	expect_error("net = ( { type = \"veth\"; mtu = 67; } );", "config:1: net[0].mtu: must be between 68 and 65535, got 67");
	expect_error("net = ( { type = \"veth\"; mtu = 65536; } );",
		     "config:1: net[0].mtu: must be between 68 and 65535, got 65536");
	expect_error("net = ( { type = \"veth\"; name = \"lo\"; } );",
		     "config:1: net[0].name: 'lo' is the container's loopback interface");
	expect_error("net = ( { type = \"veth\"; name = \"eth%d\"; } );",
		     "config:1: net[0].name: invalid interface name 'eth%d': must not contain '%'");
	expect_error("idmap = ( { type = \"u\"; container = 0; host = 1; count = 0; } );",
		     "config:1: idmap[0].count: must be between 1 and 4294967295, got 0");

	/* signals */
	expect_error("init = { halt_signal = \"SIGFOO\"; };",
		     "config:1: init.halt_signal: invalid signal 'SIGFOO': expected a name like 'SIGPWR' or 'SIGRTMIN+3'");
	expect_error("init = { reboot_signal = \"15\"; };",
		     "config:1: init.reboot_signal: invalid signal '15': expected a name like 'SIGPWR' or 'SIGRTMIN+3'");
	expect_error("init = { halt_signal = \"SIGRTMIN+99\"; };",
		     "config:1: init.halt_signal: invalid signal 'SIGRTMIN+99': expected a name like 'SIGPWR' or 'SIGRTMIN+3'");
	expect_error("init = { halt_signal = \"RTMIN-1\"; };",
		     "config:1: init.halt_signal: invalid signal 'RTMIN-1': expected a name like 'SIGPWR' or 'SIGRTMIN+3'");

	/* names, hostnames, uuid */
	expect_error("name = \"a/b\";", "config:1: name: invalid container name 'a/b': must not contain '/'");
	expect_error("name = \"\";", "config:1: name: invalid container name '': must not be empty");
	expect_error("name = \"-x\";", "config:1: name: invalid container name '-x': must not start with '-'");
	expect_error("name = \"a b\";", "config:1: name: invalid container name 'a b': invalid character ' '");
	expect_error("hostname = \"-web\";",
		     "config:1: hostname: invalid hostname '-web': a label must not start or end with '-'");
	expect_error("hostname = \"web..example\";", "config:1: hostname: invalid hostname 'web..example': empty label");
	expect_error("hostname = \"web_1\";",
		     "config:1: hostname: invalid hostname 'web_1': only letters, digits, '-' and '.' are allowed");
	expect_error("hostname = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\";",
		     "config:1: hostname: invalid hostname 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': longer than 64 characters");
	expect_error("hostname = \"\";", "config:1: hostname: invalid hostname '': must not be empty");
	expect_error("uuid = \"not-a-uuid\";", "config:1: uuid: invalid uuid 'not-a-uuid'");
	expect_error("rootfs = { path = \"\"; };", "config:1: rootfs.path: must not be empty");
	{
		struct lxm_config c;
		struct lxm_error e = { 0 };

		ok(parse(&c, "rootfs = { path = \"r\"; overlay_lower = \"base\"; "
			"overlay_upper = \"u\"; overlay_work = \"w\"; };", &e) == 0, "overlay keys parse");
		ok(lxm_config_validate(&c, "c", &e) == -EINVAL &&
		      streq(e.msg, "config:1: rootfs.overlay_lower: 'base' is not an absolute path"), "overlay lower must be absolute");
		lxm_config_free(&c);
		ok(parse(&c, "rootfs = { overlay_lower = \"/b\"; };", &e) == 0 &&
		      lxm_config_validate(&c, "c", &e) == -EINVAL &&
		      streq(e.msg, "config:1: rootfs.overlay_lower: needs rootfs.overlay_upper and rootfs.overlay_work"),
		      "overlay lower needs upper and work");
		lxm_config_free(&c);
	}
	expect_error("rootfs = { path = \"r\"; idmapped = \"copy\"; };",
		     "config:1: rootfs.idmapped: invalid value 'copy': expected \"auto\", \"mount\" or \"shift\"");
	expect_error("autostart = { groups = [\"web\", \"a/b\"]; };",
		     "config:1: autostart.groups[1]: invalid group name 'a/b': must not contain '/'");
	expect_error("autostart = { groups = [\"web\", \"web\"]; };", "config:1: autostart.groups[1]: 'web' is listed twice");

	/* network */
	expect_error("net = ( { type = \"bridge\"; } );",
		     "config:1: net[0].type: invalid type 'bridge': expected veth, macvlan, phys, empty or none");
	expect_error("net = ( { link = \"br0\"; } );", "config:1: net[0].type: required key is missing");
	expect_error("net = ( { type = \"veth\"; link = \"averyveryverylongname\"; } );",
		     "config:1: net[0].link: invalid interface name 'averyveryverylongname': longer than 15 characters");
	expect_error("net = ( { type = \"veth\"; name = \"a/b\"; } );",
		     "config:1: net[0].name: invalid interface name 'a/b': must not contain '/', ':' or white space");
	expect_error("net = ( { type = \"veth\"; name = \"a b\"; } );",
		     "config:1: net[0].name: invalid interface name 'a b': must not contain '/', ':' or white space");
	expect_error("net = ( { type = \"veth\"; name = \"..\"; } );", "config:1: net[0].name: invalid interface name '..'");
	expect_error("net = ( { type = \"veth\"; name = \"\"; } );",
		     "config:1: net[0].name: invalid interface name '': must not be empty");
	expect_error("net = ( { type = \"veth\"; hwaddr = \"00:16:3e:00:00\"; } );",
		     "config:1: net[0].hwaddr: invalid MAC address '00:16:3e:00:00': expected xx:xx:xx:xx:xx:xx");
	expect_error("net = ( { type = \"veth\"; hwaddr = \"00:16:3e:00:00:zz\"; } );",
		     "config:1: net[0].hwaddr: invalid MAC address '00:16:3e:00:00:zz': expected xx:xx:xx:xx:xx:xx");
	expect_error("net = ( { type = \"veth\"; hwaddr = \"01:16:3e:00:00:01\"; } );",
		     "config:1: net[0].hwaddr: invalid MAC address '01:16:3e:00:00:01': multicast");
	expect_error("net = ( { type = \"veth\"; hwaddr = \"00:00:00:00:00:00\"; } );",
		     "config:1: net[0].hwaddr: invalid MAC address '00:00:00:00:00:00': all zero");
	expect_error("net = ( { type = \"veth\"; ipv4 = [\"10.0.3.10\"]; } );",
		     "config:1: net[0].ipv4[0]: invalid IPv4 address '10.0.3.10': expected ADDRESS/PREFIX");
	expect_error("net = ( { type = \"veth\"; ipv4 = [\"10.0.3.10/33\"]; } );",
		     "config:1: net[0].ipv4[0]: invalid IPv4 address '10.0.3.10/33': prefix length must be 0-32");
	expect_error("net = ( { type = \"veth\"; ipv4 = [\"10.0.3.10/x\"]; } );",
		     "config:1: net[0].ipv4[0]: invalid IPv4 address '10.0.3.10/x': prefix length must be 0-32");
	expect_error("net = ( { type = \"veth\"; ipv4 = [\"10.0.3/24\"]; } );",
		     "config:1: net[0].ipv4[0]: invalid IPv4 address '10.0.3/24'");
	expect_error("net = ( { type = \"veth\"; ipv4 = [\"fd00::1/64\"]; } );",
		     "config:1: net[0].ipv4[0]: invalid IPv4 address 'fd00::1/64'");
	expect_error("net = ( { type = \"veth\"; ipv4 = [\"10.0.0.1/8\", \"10.0.0.1/8\"]; } );",
		     "config:1: net[0].ipv4[1]: '10.0.0.1/8' is listed twice");
	expect_error("net = ( { type = \"veth\"; ipv6 = [\"fd00::1/129\"]; } );",
		     "config:1: net[0].ipv6[0]: invalid IPv6 address 'fd00::1/129': prefix length must be 0-128");
	expect_error("net = ( { type = \"veth\"; ipv6 = [\"fd00:::1/64\"]; } );",
		     "config:1: net[0].ipv6[0]: invalid IPv6 address 'fd00:::1/64'");
	expect_error("net = ( { type = \"veth\"; ipv4_gateway = \"10.0.0.1/24\"; } );",
		     "config:1: net[0].ipv4_gateway: invalid IPv4 address '10.0.0.1/24': no prefix length allowed here");
	expect_error("net = ( { type = \"veth\"; ipv4_gateway = \"Auto\"; } );",
		     "config:1: net[0].ipv4_gateway: invalid IPv4 address 'Auto'");
	expect_error("net = ( { type = \"veth\"; ipv6_gateway = \"10.0.0.1\"; } );",
		     "config:1: net[0].ipv6_gateway: invalid IPv6 address '10.0.0.1'");

	/* limits, security */
	expect_error("limits = { cpuset = \"0-\"; };", "config:1: limits.cpuset: invalid cpuset '0-': expected a list like '0-3,6'");
	expect_error("limits = { cpuset = \"3-1\"; };", "config:1: limits.cpuset: invalid cpuset '3-1': range 3-1 is reversed");
	expect_error("limits = { cpuset = \"0,,1\"; };", "config:1: limits.cpuset: invalid cpuset '0,,1': expected a list like '0-3,6'");
	expect_error("limits = { cpuset = \"99999\"; };",
		     "config:1: limits.cpuset: invalid cpuset '99999': CPU numbers must be below 8192");
	expect_error("security = { cap_drop = [\"sys_admin\", \"fly\"]; };",
		     "config:1: security.cap_drop[1]: unknown capability 'fly'");
	expect_error("security = { cap_drop = [\"sys_admin\", \"CAP_SYS_ADMIN\"]; };",
		     "config:1: security.cap_drop[1]: 'sys_admin' is listed twice");
	expect_error("security = {\n  cap_drop = [\"sys_admin\"];\n  cap_keep = [\"chown\"];\n};",
		     "config:3: security.cap_keep: must not be used together with 'cap_drop'");
	expect_error("security = {\n  cap_keep = [\"chown\"];\n  cap_drop = [\"sys_admin\"];\n};",
		     "config:3: security.cap_drop: must not be used together with 'cap_keep'");
	expect_error("security = { apparmor = \"\"; };", "config:1: security.apparmor: must not be empty");
	{
		char text[400], name[257];

		memset(name, 'p', 256);
		name[256] = '\0';
		snprintf(text, sizeof(text), "security = { apparmor = \"%s\"; };", name);
		expect_error(text, "config:1: security.apparmor: profile name longer than 255 characters");
	}
	expect_error("security = { seccomp = \"\"; };", "config:1: security.seccomp: must not be empty");

	/* idmap, mounts */
	expect_error("idmap = ( { type = \"x\"; container = 0; host = 1; count = 1; } );",
		     "config:1: idmap[0].type: invalid type 'x': expected \"u\" or \"g\"");
	expect_error("idmap = (\n { type = \"u\"; container = 0; host = 1; } );", "config:2: idmap[0].count: required key is missing");
	expect_error("mounts = ( { source = \"/a\"; } );", "config:1: mounts[0].target: required key is missing");
	expect_error("mounts = ( { target = \"/a\"; } );", "config:1: mounts[0].source: required key is missing");
	expect_error("mounts = ( { source = \"\"; target = \"/a\"; } );", "config:1: mounts[0].source: must not be empty");
}

static void test_validate(void)
{
	const char *ids = "idmap = ( { type = \"u\"; container = 0; host = 100000; count = 65536; },"
			  " { type = \"g\"; container = 0; host = 100000; count = 65536; } );";
	struct lxm_config c;
	struct lxm_error err = { 0 };

	expect_valid(ids, "idmap with u and g");
	expect_valid("idmap = ( { type = \"u\"; container = 0; host = 100000; count = 1; },"
		     " { type = \"u\"; container = 1; host = 200000; count = 10; },"
		     " { type = \"g\"; container = 0; host = 100000; count = 11; } );", "split uid ranges");
	expect_invalid("init = { cmd = []; };", "config:1: init.cmd: must not be empty");
	expect_invalid("init = { cmd = [\"sbin/init\"]; };", "config:1: init.cmd: 'sbin/init' is not an absolute path");
	expect_invalid("init = { halt_signal = \"SIGINT\"; };", "config:1: init.reboot_signal: must differ from init.halt_signal");
	expect_invalid("idmap = ( { type = \"u\"; container = 0; host = 100000; count = 65536; } );",
		       "config:1: idmap: no \"g\" entry: a user namespace needs both uid and gid maps");
	expect_invalid("idmap = ( { type = \"g\"; container = 0; host = 100000; count = 65536; } );",
		       "config:1: idmap: no \"u\" entry: a user namespace needs both uid and gid maps");
	expect_invalid("idmap = ( { type = \"u\"; container = 1; host = 100000; count = 65536; },"
		       " { type = \"g\"; container = 0; host = 100000; count = 65536; } );",
		       "config:1: idmap: no \"u\" entry maps container id 0 (root)");
	expect_invalid("idmap = ( { type = \"u\"; container = 0; host = 100000; count = 100; },"
		       " { type = \"u\"; container = 50; host = 300000; count = 100; },"
		       " { type = \"g\"; container = 0; host = 100000; count = 65536; } );",
		       "config:1: idmap[1]: container ids 50-149 overlap idmap[0]");
	expect_invalid("idmap = ( { type = \"u\"; container = 0; host = 100000; count = 100; },"
		       " { type = \"u\"; container = 100; host = 100099; count = 100; },"
		       " { type = \"g\"; container = 0; host = 100000; count = 65536; } );",
		       "config:1: idmap[1]: host ids 100099-100198 overlap idmap[0]");
	expect_invalid("idmap = ( { type = \"u\"; container = 0; host = 4294967295; count = 2; },"
		       " { type = \"g\"; container = 0; host = 100000; count = 65536; } );",
		       "config:1: idmap[0]: range goes beyond id 4294967294 (4294967295 is never mapped)");
	/* the kernel refuses a map that holds (uid_t)-1 */
	expect_invalid("idmap = ( { type = \"u\"; container = 0; host = 4294901760; count = 65536; },"
		       " { type = \"g\"; container = 0; host = 100000; count = 65536; } );",
		       "config:1: idmap[0]: range goes beyond id 4294967294 (4294967295 is never mapped)");
	expect_invalid("idmap = ( { type = \"u\"; container = 0; host = 100000; count = 65536; },"
		       " { type = \"u\"; container = 4294967294; host = 300000; count = 2; },"
		       " { type = \"g\"; container = 0; host = 100000; count = 65536; } );",
		       "config:1: idmap[1]: range goes beyond id 4294967294 (4294967295 is never mapped)");
	expect_invalid("net = ( { type = \"veth\"; name = \"eth0\"; }, { type = \"veth\"; name = \"eth0\"; } );",
		       "config:1: net[1]: name 'eth0' is already used by net[0]");
	expect_invalid("net = ( { type = \"veth\"; hwaddr = \"00:16:3e:00:00:01\"; }, { type = \"veth\"; hwaddr = \"00:16:3E:00:00:01\"; } );",
		       "config:1: net[1]: hwaddr '00:16:3e:00:00:01' is already used by net[0]");
	expect_invalid("net = ( { type = \"veth\"; }, { type = \"none\"; } );",
		       "config:1: net[1]: type 'none' (the host's network) excludes other interfaces");
	expect_invalid("net = ( { type = \"macvlan\"; } );", "config:1: net[0]: type 'macvlan' needs 'link' (the host device)");
	expect_invalid("net = ( { type = \"phys\"; } );", "config:1: net[0]: type 'phys' needs 'link' (the host device)");
	expect_invalid("net = ( { type = \"phys\"; link = \"enp1s0\"; }, { type = \"phys\"; link = \"enp1s0\"; } );",
		       "config:1: net[1]: device 'enp1s0' is already moved in by net[0]");
	expect_invalid("net = ( { type = \"empty\"; ipv4 = [\"10.0.0.1/8\"]; } );",
		       "config:1: net[0]: 'ipv4' makes no sense with type 'empty'");
	expect_invalid("net = ( { type = \"none\"; link = \"br0\"; } );", "config:1: net[0]: 'link' makes no sense with type 'none'");
	expect_invalid("net = ( { type = \"veth\"; ipv4_gateway = \"10.0.0.1\"; } );",
		       "config:1: net[0]: ipv4_gateway needs a static ipv4 address");
	expect_invalid("net = ( { type = \"veth\"; ipv6_gateway = \"fd00::1\"; } );",
		       "config:1: net[0]: ipv6_gateway needs a static ipv6 address");
	expect_invalid("mounts = ( { source = \"proc\"; target = \"/mnt/p\"; options = \"nosuid\"; } );",
		       "config:1: mounts[0]: a mount that is not a bind mount needs 'fstype' (or 'bind' in its options)");
	expect_valid("name = \"c1\"; mounts = ( { source = \"none\"; target = \"/mnt/t\"; fstype = \"tmpfs\"; options = \"size=1m\"; } );",
		     "a tmpfs mount with its data");
	expect_invalid("net = ( { type = \"veth\"; link = \"br0\"; ipv6 = [\"fd00::5/64\", \"fd00:0::5/64\"]; } );",
		       "config:1: net[0]: address 'fd00:0::5/64' is given already as 'fd00::5/64'");
	expect_invalid("net = ( { type = \"veth\"; link = \"br0\"; ipv4 = [\"10.0.0.5/24\"]; },"
		       " { type = \"veth\"; link = \"br1\"; name = \"eth1\"; ipv4 = [\"10.0.0.5/16\"]; } );",
		       "config:1: net[1]: address '10.0.0.5/16' is given already as '10.0.0.5/24' by net[0]");
	expect_invalid("net = ( { type = \"veth\"; link = \"br0\"; mtu = 1279; ipv6 = [\"fd00::2/64\"]; } );",
		       "config:1: net[0]: mtu 1279 is below 1280, the least IPv6 works with, and the interface has ipv6 addresses");
	expect_valid("name = \"c1\"; net = ( { type = \"veth\"; link = \"br0\"; mtu = 1280; ipv6 = [\"fd00::2/64\"]; } );",
		     "mtu 1280 with IPv6");
	expect_valid("net = ( { type = \"none\"; } );", "net type none alone");
	expect_valid("net = ( { type = \"empty\"; } );", "net type empty");
	expect_valid("name = \"c1\"; net = ( { type = \"veth\"; link = \"lxmbr0\"; ipv4 = [\"10.0.3.2/24\"];"
		     " ipv4_gateway = \"10.0.3.1\"; } );", "veth with static address");
	expect_valid("name = \"c1\"; net = ( { type = \"veth\"; link = \"lxmbr0\"; ipv4 = [\"10.0.3.2/24\"];"
		     " ipv4_gateway = \"auto\"; ipv6 = [\"fd00::2/64\"]; ipv6_gateway = \"auto\"; } );",
		     "veth with gateways 'auto' (the bridge's addresses)");
	expect_invalid("net = ( { type = \"macvlan\"; link = \"eth0\"; ipv4 = [\"10.0.3.2/24\"]; ipv4_gateway = \"auto\"; } );",
		       "config:1: net[0]: gateway 'auto' (the bridge's address) needs type 'veth'");
	expect_invalid("net = ( { type = \"phys\"; link = \"enp1s0\"; ipv6 = [\"fd00::2/64\"]; ipv6_gateway = \"auto\"; } );",
		       "config:1: net[0]: gateway 'auto' (the bridge's address) needs type 'veth'");

	/* an error found after the reading names the file and line the
	 * setting came from, also when a later source set it */
	{
		struct lxm_config o;
		struct lxm_error e = { 0 };

		ok(parse(&o, "name = \"c1\";\nnet = ( { type = \"veth\"; link = \"br0\"; name = \"eth0\"; },\n"
			      "  { type = \"veth\"; link = \"br0\"; name = \"eth0\"; } );", &e) == 0 &&
		   lxm_config_validate(&o, "c1", &e) == -EINVAL &&
		   streq(e.msg, "config:3: net[1]: name 'eth0' is already used by net[0]"),
		   "a cross-key error names the line of the element (%s)", e.msg);
		lxm_config_free(&o);
		ok(parse(&o, "init = {\n  halt_signal = \"SIGUSR2\";\n};", &e) == 0 &&
		   lxm_config_read_string(&o, "init = { reboot_signal = \"SIGUSR2\"; };", "command line", &e) == 0 &&
		   lxm_config_validate(&o, "c1", &e) == -EINVAL &&
		   streq(e.msg, "command line:1: init.reboot_signal: must differ from init.halt_signal"),
		   "and the source that set it last (%s)", e.msg);
		lxm_config_free(&o);
		ok(parse(&o, "net = ( { type = \"veth\"; },\n { type = \"veth\"; } );", &e) == 0 &&
		   lxm_config_read_string(&o, "\n\nnet = ( { type = \"veth\"; link = \"br0\"; mtu = 1279; ipv6 = [\"fd00::2/64\"]; } );",
					  "extra.conf", &e) == 0 &&
		   lxm_config_validate(&o, "c1", &e) == -EINVAL && strncmp(e.msg, "extra.conf:3: net[0]: mtu 1279", 30) == 0,
		   "a list read again: its elements' lines are the new ones (%s)", e.msg);
		lxm_config_free(&o);
	}

	/* a struct built in code gets the same checks */
	ok(lxm_config_init(&c) == 0, "init for programmatic checks");
	c.security.cap_keep = calloc(2, sizeof(char *));
	c.security.cap_keep[0] = strdup("chown");
	c.security.n_cap_keep = 1;
	ok(lxm_config_validate(&c, "c1", &err) == -EINVAL &&
	   streq(err.msg, "c1: security: cap_drop and cap_keep are mutually exclusive"), "cap_drop and cap_keep together");
	lxm_config_free(&c);

	ok(lxm_config_init(&c) == 0, "init");
	free(c.rootfs_path);
	c.rootfs_path = NULL;
	ok(lxm_config_validate(&c, "c1", &err) == -EINVAL && streq(err.msg, "c1: rootfs.path: missing"), "rootfs missing");
	c.rootfs_path = strdup("rootfs");
	c.name = strdup("a/b");
	ok(lxm_config_validate(&c, "c1", &err) == -EINVAL &&
	   streq(err.msg, "c1: name: invalid container name 'a/b': must not contain '/'"), "bad name in struct");
	free(c.name);
	c.name = NULL;
	c.console.ttys = 100;
	ok(lxm_config_validate(&c, "c1", &err) == -EINVAL && streq(err.msg, "c1: console.ttys: must be between 0 and 63"),
	   "ttys out of range in struct");
	c.console.ttys = 1;
	c.console.buffer = LXM_CMD_DATA_MAX + 1;
	ok(lxm_config_validate(&c, "c1", &err) == -EINVAL && streq(err.msg, "c1: console.buffer: must be at most 256K"),
	   "console.buffer beyond one reply in struct");
	c.console.buffer = LXM_CMD_DATA_MAX;
	c.halt_signal = 0;
	ok(lxm_config_validate(&c, "c1", &err) == -EINVAL && streq(err.msg, "c1: init.halt_signal: missing or invalid"),
	   "no halt signal");
	lxm_config_free(&c);
}

static void test_round_trip(void)
{
	struct lxm_config a, b, z = { 0 };
	struct lxm_error err = { 0 };
	_cleanup_free_ char *t1 = NULL, *t2 = NULL, *t3 = NULL;

	ok(parse(&a, example, &err) == 0, "parse example for round trip");
	ok(lxm_config_format(&a, &t1) == 0, "format");
	ok(parse(&b, t1, &err) == 0, "formatted text parses");
	if (err.msg[0])
		printf("#   %s\n", err.msg);
	ok(config_eq(&a, &b), "round trip gives an equal struct");
	ok(lxm_config_format(&b, &t2) == 0 && streq(t1, t2), "and the same text");
	ok(strstr(t1, "\tlog = \"\";\n") && strstr(t1, "memory = \"512M\";") && strstr(t1, "host = 3000000000;") &&
	   strstr(t1, "halt_signal = \"SIGUSR2\";") && strstr(t1, "cap_drop = [ \"sys_module\", \"sys_time\" ];"),
	   "formatted text is readable");
	lxm_config_free(&b);

	/* the same text read over an empty struct gives the same struct too */
	ok(lxm_config_read_string(&z, t1, "z", &err) == 0 && config_eq(&a, &z), "round trip over a zeroed struct");
	lxm_config_free(&z);
	lxm_config_free(&a);

	/* awkward values set in code */
	ok(lxm_config_init(&a) == 0, "init for awkward values");
	free(a.init_cmd[0]);
	a.init_cmd[0] = strdup("/bin/sh \"quoted\" back\\slash\n\ttab\x01\x7f" "caf\xc3\xa9");
	a.console.buffer = 12345;
	a.console.log_size = 3ULL << 40;
	a.limits.memory = UINT64_MAX;
	a.limits.pids = 4194304;
	a.halt_signal = SIGRTMIN + 3;
	a.reboot_signal = SIGRTMAX;
	a.stop_timeout = 0;
	a.console.ttys = 0;
	free(a.console.log);
	a.console.log = NULL;
	a.autostart.order = INT32_MIN;
	a.rootfs_idmapped = strdup("shift");
	a.rootfs_overlay_lower = strdup("/var/lib/lxm/base/rootfs");
	a.rootfs_overlay_upper = strdup("overlay/upper");
	a.rootfs_overlay_work = strdup("overlay/work");
	lxm_strv_free(a.security.cap_drop, a.security.n_cap_drop);
	a.security.cap_drop = NULL;
	a.security.n_cap_drop = 0;
	ok(lxm_config_format(&a, &t3) == 0, "format awkward values");
	ok(parse(&b, t3, &err) == 0, "awkward values parse back");
	if (err.msg[0])
		printf("#   %s\n", err.msg);
	ok(config_eq(&a, &b), "awkward values round trip");
	ok(b.limits.memory == UINT64_MAX && b.console.log_size == 3ULL << 40 && b.console.buffer == 12345 &&
	   b.halt_signal == SIGRTMIN + 3 && b.reboot_signal == SIGRTMAX && b.security.n_cap_drop == 0 && !b.console.log,
	   "sizes, realtime signals, empty cap_drop and no log survive");
	lxm_config_free(&a);
	lxm_config_free(&b);
}

/* limits.memory_swap and limits.io_weight; the value parser lxm-cgroup uses */
static void test_limits(void)
{
	struct lxm_config c, d;
	struct lxm_error err = { 0 };
	_cleanup_free_ char *text = NULL, *lit = NULL;
	int r;

	ok(parse(&c, "limits = { memory = \"1G\"; memory_swap = \"2G\"; io_weight = 500; };", &err) == 0 &&
	      c.limits.memory == 1ULL << 30 && c.limits.memory_swap == 2ULL << 30 && c.limits.io_weight == 500 &&
	      lxm_config_validate(&c, "c", &err) == 0, "memory_swap and io_weight are read");
	ok(lxm_config_format(&c, &text) == 0 && strstr(text, "\tmemory_swap = \"2G\";\n") &&
	      strstr(text, "\tio_weight = 500;\n"), "and written");
	ok(parse(&d, text, &err) == 0 && d.limits.memory_swap == c.limits.memory_swap &&
	      d.limits.io_weight == c.limits.io_weight, "and read back");
	lxm_config_free(&d);
	lxm_config_free(&c);

	expect_valid("limits = { memory = \"1G\"; memory_swap = \"1G\"; };", "memory_swap = memory (no swap)");
	expect_error("limits = { memory = \"1G\"; memory_swap = \"512M\"; };",
		     "config:1: limits.memory_swap: 512M is less than limits.memory (1G): it is memory plus swap");
	expect_error("name = \"x\";\nlimits = {\n\tmemory = \"1G\";\n\tmemory_swap = \"1000\";\n};\n",
		     "config:4: limits.memory_swap: 1000 is less than limits.memory (1G): it is memory plus swap");
	expect_error("limits = { memory_swap = \"12Q\"; };", "config:1: limits.memory_swap: invalid size '12Q'");
	expect_error("limits = { io_weight = 0; };", "config:1: limits.io_weight: must be between 1 and 10000, got 0");
	expect_error("limits = { io_weight = 10001; };", "config:1: limits.io_weight: must be between 1 and 10000, got 10001");
	expect_error("limits = { io_weight = \"100\"; };", "config:1: limits.io_weight: expected an integer, got a string");
	expect_invalid("limits = { memory_swap = \"1G\"; };",
		       "config:1: limits.memory_swap: needs limits.memory (it is memory plus swap)");

	/* read over: the file that makes the pair wrong is named, at its line */
	ok(parse(&c, "limits = { memory = \"512M\"; memory_swap = \"1G\"; };", &err) == 0, "base with swap");
	r = lxm_config_read_string(&c, "\nlimits = { memory = \"2G\"; };", "over", &err);
	ok(r == -EINVAL && streq(err.msg, "over:2: limits.memory: 2G is more than limits.memory_swap (1G), which is memory plus swap"),
	      "raising memory past an inherited memory_swap names the line");
	if (r != -EINVAL)
		printf("#   got '%s'\n", err.msg);
	ok(lxm_config_read_string(&c, "limits = { memory = \"2G\"; memory_swap = \"3G\"; };", "over2", &err) == 0,
	      "both raised together is fine");
	lxm_config_free(&c);

	/* lxm-cgroup's values: the same parser, errors "NAME: why" */
	ok(lxm_config_init(&c) == 0, "init for set_limit");
	ok(lxm_config_set_limit(&c, "memory", "256M", &err) == 0 && c.limits.memory == 256ULL << 20, "memory 256M");
	ok(lxm_config_set_limit(&c, "memory", "268435456", &err) == 0 && c.limits.memory == 256ULL << 20,
	      "memory in bytes");
	r = lxm_config_set_limit(&c, "memory", "12X", &err);
	ok(r == -EINVAL && streq(err.msg, "memory: invalid size '12X'"), "memory 12X: %s", err.msg);
	r = lxm_config_set_limit(&c, "pids", "abc", &err);
	ok(r == -EINVAL && streq(err.msg, "pids: 'abc' is not a number"), "pids abc: %s", err.msg);
	r = lxm_config_set_limit(&c, "pids", "-1", &err);
	ok(r == -EINVAL && streq(err.msg, "pids: '-1' is not a number"), "pids -1: %s", err.msg);
	r = lxm_config_set_limit(&c, "pids", "99999999", &err);
	ok(r == -EINVAL && streq(err.msg, "pids: must be between 0 and 4194304, got 99999999"), "pids too many: %s", err.msg);
	r = lxm_config_set_limit(&c, "cpu_weight", "0", &err);
	ok(r == -EINVAL && streq(err.msg, "cpu_weight: must be between 1 and 10000, got 0"), "cpu_weight 0: %s", err.msg);
	ok(lxm_config_set_limit(&c, "cpuset", "0", &err) == 0 && streq(c.limits.cpuset, "0"), "cpuset 0 is a string");
	ok(lxm_config_set_limit(&c, "cpuset", "", &err) == 0 && !c.limits.cpuset, "cpuset \"\" unsets it");
	r = lxm_config_set_limit(&c, "cpuset", "0-", &err);
	ok(r == -EINVAL && streq(err.msg, "cpuset: invalid cpuset '0-': expected a list like '0-3,6'"), "cpuset 0-: %s", err.msg);
	r = lxm_config_set_limit(&c, "memory_swap", "128M", &err);
	ok(r == -EINVAL && streq(err.msg, "memory_swap: 128M is less than limits.memory (256M): it is memory plus swap"),
	      "memory_swap below memory: %s", err.msg);
	ok(lxm_config_set_limit(&c, "memory_swap", "1G", &err) == 0 && c.limits.memory_swap == 1ULL << 30, "memory_swap 1G");
	r = lxm_config_set_limit(&c, "foo", "1", &err);
	ok(r == -ENOENT && streq(err.msg, "foo: unknown limit"), "unknown limit: %s", err.msg);
	r = lxm_config_set_limit(&c, "memory.max", "1", &err);
	ok(r == -ENOENT, "a cgroup file is not a limit");
	ok(lxm_config_set_limit(&c, "io_weight", "300", &err) == 0 && c.limits.io_weight == 300, "io_weight 300");

	ok(lxm_config_format_key(&c, "limits.memory", &lit) == 1 && streq(lit, "\"256M\""), "format_key memory");
	free(lit);
	lit = NULL;
	ok(lxm_config_format_key(&c, "limits.pids", &lit) == 0 && !lit, "format_key: unset pids is left out");
	ok(lxm_config_format_key(&c, "limits.cpu_weight", &lit) == 0 && !lit, "nor an unset weight");
	ok(lxm_config_format_key(&c, "net.link", &lit) == -ENOENT && !lit, "keys inside lists cannot be formatted alone");
	ok(lxm_config_format_key(&c, "nothing", &lit) == -ENOENT, "unknown keys neither");
	lxm_config_free(&c);
}

/* devices: the allow-list entries and the nodes made for them */
static void test_devices(void)
{
	static const char text[] =
		"devices = (\n"
		"  { type = \"c\"; major = 10; minor = 200; access = \"rw\"; path = \"/dev/net/tun\"; },\n"
		"  { type = \"c\"; major = 136; minor = \"*\"; },\n"
		"  { type = \"b\"; major = \"*\"; minor = \"*\"; access = \"m\"; },\n"
		"  { type = \"c\"; major = 0; minor = 0; access = \"\"; }\n"
		");\n";
	struct lxm_config a, b;
	struct lxm_error err = { 0 };
	_cleanup_free_ char *t = NULL, *t2 = NULL;
	int r;

	r = parse(&a, text, &err);
	ok(r == 0, "devices parse");
	if (r < 0) {
		printf("#   %s\n", err.msg);
		lxm_config_free(&a);
		return;
	}
	ok(lxm_config_validate(&a, "c1", &err) == 0, "devices validate");
	ok(a.n_devices == 4 && a.devices[0].type == 'c' && a.devices[0].major == 10 && a.devices[0].minor == 200 &&
	      streq(a.devices[0].access, "rw") && streq(a.devices[0].path, "/dev/net/tun"), "devices[0]: all fields");
	ok(a.devices[1].major == 136 && a.devices[1].minor == -1 && !a.devices[1].access && !a.devices[1].path,
	      "devices[1]: minor \"*\" is -1, access and path default to NULL (rwm, no node)");
	ok(a.devices[2].type == 'b' && a.devices[2].major == -1 && a.devices[2].minor == -1 &&
	      streq(a.devices[2].access, "m"), "devices[2]: block, both wildcards");
	ok(a.devices[3].major == 0 && a.devices[3].minor == 0 && !a.devices[3].access, "devices[3]: 0:0, access \"\" is NULL");
	ok(lxm_config_format(&a, &t) == 0, "format devices");
	ok(t && strstr(t, "{ type = \"c\"; major = 10; minor = 200; access = \"rw\"; path = \"/dev/net/tun\"; }") &&
	      strstr(t, "{ type = \"b\"; major = \"*\"; minor = \"*\"; access = \"m\"; }"), "one entry per line, \"*\" written back");
	ok(parse(&b, t, &err) == 0 && config_eq(&a, &b), "devices round trip");
	ok(lxm_config_format(&b, &t2) == 0 && streq(t, t2), "and the same text");
	lxm_config_free(&a);
	lxm_config_free(&b);

	expect_error("devices = ( { major = 1; minor = 3; } );", "config:1: devices[0].type: required key is missing");
	expect_error("devices = ( { type = \"c\"; minor = 3; } );", "config:1: devices[0].major: required key is missing");
	expect_error("devices = ( { type = \"c\"; major = 1; } );", "config:1: devices[0].minor: required key is missing");
	expect_error("devices = ( { type = \"a\"; major = 1; minor = 3; } );",
		     "config:1: devices[0].type: invalid type 'a': expected \"c\" (character) or \"b\" (block)");
	expect_error("devices = (\n { type = \"c\"; major = 4096; minor = 3; } );",
		     "config:2: devices[0].major: must be between 0 and 4095, got 4096");
	expect_error("devices = ( { type = \"c\"; major = 1; minor = 1048576; } );",
		     "config:1: devices[0].minor: must be between 0 and 1048575, got 1048576");
	expect_error("devices = ( { type = \"c\"; major = -1; minor = 3; } );",
		     "config:1: devices[0].major: must be between 0 and 4095, got -1");
	expect_error("devices = ( { type = \"c\"; major = \"all\"; minor = 3; } );",
		     "config:1: devices[0].major: invalid value 'all': expected a number or \"*\"");
	expect_error("devices = ( { type = \"c\"; major = 1.5; minor = 3; } );",
		     "config:1: devices[0].major: expected an integer or \"*\", got a float");
	expect_error("devices = ( { type = \"c\"; major = 1; minor = 3; access = \"rwx\"; } );",
		     "config:1: devices[0].access: invalid access 'rwx': expected \"rwm\" or a part of it, each letter once");
	expect_error("devices = ( { type = \"c\"; major = 1; minor = 3; access = \"rr\"; } );",
		     "config:1: devices[0].access: invalid access 'rr': expected \"rwm\" or a part of it, each letter once");
	expect_error("devices = ( { type = \"c\"; major = 10; minor = 200; path = \"/tmp/tun\"; } );",
		     "config:1: devices[0].path: invalid path '/tmp/tun': expected a path below '/dev/'");
	expect_error("devices = ( { type = \"c\"; major = 10; minor = 200; path = \"/dev/net/../../etc/x\"; } );",
		     "config:1: devices[0].path: invalid path '/dev/net/../../etc/x': empty, '.' or '..' component");
	expect_error("devices = ( { type = \"c\"; major = 10; minor = 200; path = \"/dev/net/\"; } );",
		     "config:1: devices[0].path: invalid path '/dev/net/': empty, '.' or '..' component");
	expect_error("devices = ( { type = \"c\"; major = 1; minor = 3; path = \"/dev/null\"; } );",
		     "config:1: devices[0].path: invalid path '/dev/null': '/dev/null' is one of the standard nodes");
	expect_error("devices = ( { type = \"c\"; major = 136; minor = 1; path = \"/dev/pts/1\"; } );",
		     "config:1: devices[0].path: invalid path '/dev/pts/1': '/dev/pts' is one of the standard nodes");
	expect_error("devices = ( { type = \"c\"; major = 4; minor = 1; path = \"/dev/tty1\"; } );",
		     "config:1: devices[0].path: invalid path '/dev/tty1': the ttys are the console's (console.ttys)");
	expect_valid("devices = ( { type = \"c\"; major = 4; minor = 64; path = \"/dev/ttyS0\"; } );", "/dev/ttyS0 is not a console tty");
	expect_error("devices = ( { type = \"c\"; major = 10; minor = 200; path = \"/dev/.lxm/tun\"; } );",
		     "config:1: devices[0].path: invalid path '/dev/.lxm/tun': names starting with '.' in '/dev' are lxm's own");
	expect_valid("devices = ( { type = \"c\"; major = 10; minor = 200; path = \"/dev/net/.tun\"; } );", "a hidden name further down is fine");
	expect_error("devices = (\n  { type = \"c\"; major = 10; minor = 200; },\n  { type = \"c\"; major = 10; minor = \"*\"; path = \"/dev/x\"; } );",
		     "config:3: devices[1].path: '/dev/x' needs a device: major and minor must not be \"*\"");
	expect_error("devices = (\n  { type = \"c\"; major = 10; minor = 200; path = \"/dev/x\"; },\n"
		     "  { type = \"c\"; major = 10; minor = 229; path = \"/dev/x\"; } );",
		     "config:3: devices[1].path: '/dev/x' is listed twice");
	expect_error("devices = { type = \"c\"; };", "config:1: devices: expected a list ( { ... }, ... ), got a group");
	expect_valid("devices = ();", "an empty devices list");
}

static void test_files(void)
{
	char dir[] = "/tmp/test-config.XXXXXX";
	struct lxm_config a, b;
	struct lxm_error err = { 0 };
	_cleanup_free_ char *path = NULL, *text = NULL, *expected = NULL, *binpath = NULL;
	char msg[1024];
	struct stat st;
	int count = 0;
	DIR *d;
	struct dirent *de;
	mode_t old;

	ok(mkdtemp(dir) != NULL, "mkdtemp");
	path = lxm_strdup_printf("%s/config", dir);
	binpath = lxm_strdup_printf("%s/binary", dir);

	ok(parse(&a, example, &err) == 0, "parse example for writing");
	old = umask(077);
	ok(lxm_config_write(&a, path, &err) == 0, "write config");
	umask(old);
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640 && S_ISREG(st.st_mode), "mode 0640 despite umask 077");
	ok(lxm_read_file_at(AT_FDCWD, path, &text, NULL) == 0 && lxm_config_format(&a, &expected) == 0 &&
	   streq(text, expected), "file holds the formatted text");
	d = opendir(dir);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			count++;
	if (d)
		closedir(d);
	ok(count == 1, "no temporary file left behind");
	ok(lxm_config_write(&a, path, &err) == 0, "overwrite");
	ok(lxm_config_init(&b) == 0 && lxm_config_read_file(&b, path, &err) == 0 && config_eq(&a, &b), "read back equal");
	lxm_config_free(&b);

	{
		const char *bad = "name = \"x\";\nlimits = { memory = \"12Q\"; };\n";

		ok(lxm_write_file_atomic(path, bad, strlen(bad), 0640) == 0, "write bad file");
	}
	ok(lxm_config_init(&b) == 0 && lxm_config_read_file(&b, path, &err) == -EINVAL, "bad file fails");
	snprintf(msg, sizeof(msg), "%s:2: limits.memory: invalid size '12Q'", path);
	ok(streq(err.msg, msg), "error names the file and line");
	if (!streq(err.msg, msg))
		printf("#   got '%s'\n", err.msg);
	lxm_config_free(&b);

	ok(lxm_write_file_atomic(path, "name = \"x\";\n\0junk", 17, 0640) == 0, "write file with a NUL byte");
	ok(lxm_config_init(&b) == 0 && lxm_config_read_file(&b, path, &err) == -EINVAL, "NUL byte rejected");
	lxm_config_free(&b);

	ok(lxm_config_init(&b) == 0 && lxm_config_read_file(&b, binpath, &err) == -ENOENT &&
	   err.code == ENOENT, "missing file: -ENOENT");
	snprintf(msg, sizeof(msg), "read config '%s': %s", binpath, strerror(ENOENT));
	ok(streq(lxm_error_text(&err, msg + 512, 512), msg), "missing file message: %s", msg);
	lxm_config_free(&b);

	{
		_cleanup_free_ char *nodir = lxm_strdup_printf("%s/nodir/config", dir);

		ok(lxm_config_write(&a, nodir, &err) == -ENOENT && err.code == ENOENT, "write into a missing dir fails");
	}
	lxm_config_free(&a);
	unlink(path);
	rmdir(dir);
}

static void test_default_conf(void)
{
	const char *srcdir = getenv("top_srcdir");
	_cleanup_free_ char *path = NULL, *file = strdup(__FILE__);
	struct lxm_config c;
	struct lxm_error err = { 0 };

	if (srcdir)
		path = lxm_strdup_printf("%s/config/default.conf", srcdir);
	else
		path = lxm_strdup_printf("%s/../../config/default.conf", dirname(file));
	if (access(path, R_OK) < 0) {
		ok(true, "# SKIP %s not found", path);
		return;
	}
	ok(lxm_config_init(&c) == 0 && lxm_config_read_file(&c, path, &err) == 0, "config/default.conf parses");
	if (err.msg[0])
		printf("#   %s\n", err.msg);
	ok(lxm_config_validate(&c, "default.conf", &err) == 0, "config/default.conf validates");
	lxm_config_free(&c);
}

static void test_set(void)
{
	struct lxm_config c;
	struct lxm_error err = { 0 };

	ok(lxm_config_init(&c) == 0, "init for set");
	ok(lxm_config_set(&c, "limits.memory", "512M", &err) == 0 && c.limits.memory == 512ULL << 20, "set a size");
	ok(lxm_config_set(&c, "limits.pids", "100", &err) == 0 && c.limits.pids == 100 && c.limits.memory == 512ULL << 20,
	      "set an integer, the rest of the group is kept");
	ok(lxm_config_set(&c, "hostname", "box", &err) == 0 && streq(c.hostname, "box"), "set a bare string");
	ok(lxm_config_set(&c, "init.halt_signal", "\"SIGUSR2\"", &err) == 0 && c.halt_signal == SIGUSR2,
	      "set a quoted string");
	ok(lxm_config_set(&c, "init.cmd", "[\"/bin/sh\", \"-l\"]", &err) == 0 && c.n_init_cmd == 2 &&
	      streq(c.init_cmd[1], "-l"), "set an array");
	ok(lxm_config_set(&c, "security.nesting", "true", &err) == 0 && c.security.nesting, "set a boolean");
	ok(lxm_config_set(&c, "init.cmd", "a b; c", &err) == -EINVAL &&
	      streq(err.msg, "command line:1: init.cmd: expected an array of strings, got a string"), "wrong type");
	ok(lxm_config_set(&c, "limits.memory", "12Q", &err) == -EINVAL &&
	      streq(err.msg, "command line:1: limits.memory: invalid size '12Q'"), "bad value");
	ok(lxm_config_set(&c, "console.buffer", "512K", &err) == -EINVAL &&
	      streq(err.msg, "command line:1: console.buffer: must be at most 256K, got '512K'"), "console.buffer cap with -s");
	ok(lxm_config_set(&c, "limits.colour", "1", &err) == -EINVAL && streq(err.msg, "limits.colour: unknown key"),
	      "unknown key");
	ok(lxm_config_set(&c, "net.link", "br0", &err) == -EINVAL &&
	      streq(err.msg, "net.link: keys inside a list cannot be set from the command line"), "list member");
	ok(lxm_config_set(&c, "limits", "1", &err) == -EINVAL &&
	      streq(err.msg, "limits: a group cannot be set from the command line"), "group");
	ok(lxm_config_set(&c, "hostname", "x\"; name = \"y", &err) == -EINVAL && !c.name, "no injection through a value");
	ok(lxm_config_set(&c, "hostname", "\"rc1\"; net = ( { type = \"veth\"; link = \"br0\"; } )", &err) == -EINVAL &&
	      c.n_nics == 0 && strstr(err.msg, "is not one value"), "no injection through a quoted value");
	ok(lxm_config_set(&c, "init.cmd", "[\"/bin/sh\"]; name = \"y\"", &err) == -EINVAL && !c.name,
	      "no injection through an array");
	ok(lxm_config_set(&c, "limits.cpuset", "0", &err) == 0 && streq(c.limits.cpuset, "0"),
	      "a string key takes a value that looks like a number: cpuset 0 (%s)", err.msg);
	ok(lxm_config_set(&c, "hostname", "1234", &err) == 0 && streq(c.hostname, "1234"), "hostname 1234");
	lxm_config_free(&c);
}

static void test_names(void)
{
	static const char *const good[] = { "web1", "a", "A_b-c.d", "x.", "0", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	static const struct {
		const char *name, *msg;
	} bad[] = {
		{ "", "invalid container name '': must not be empty" },
		{ "a/b", "invalid container name 'a/b': must not contain '/'" },
		{ ".", "invalid container name '.': must not be '.' or '..'" },
		{ "..", "invalid container name '..': must not be '.' or '..'" },
		{ ".hidden", "invalid container name '.hidden': must not start with '.'" },
		{ "-x", "invalid container name '-x': must not start with '-'" },
		{ "a b", "invalid container name 'a b': invalid character ' '" },
		{ "a:b", "invalid container name 'a:b': invalid character ':'" },
		{ "caf\xc3\xa9", "invalid container name: invalid character 0xc3" },
		{ "a\nb", "invalid container name: invalid character 0x0a" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "invalid container name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': longer than 64 characters" },
	};
	struct lxm_error err = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		ok(lxm_name_validate(good[i], &err) == 0, "name '%s' is valid", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		lxm_error_clear(&err);
		ok(lxm_name_validate(bad[i].name, &err) == -EINVAL && err.complete && streq(err.msg, bad[i].msg),
		   "%s", bad[i].msg);
		if (!streq(err.msg, bad[i].msg))
			printf("#   got '%s'\n", err.msg);
	}
	ok(lxm_name_validate(NULL, &err) == -EINVAL, "NULL name");
}

static void test_sizes(void)
{
	static const struct {
		const char *s;
		int r;
		uint64_t v;
	} cases[] = {
		{ "0", 0, 0 }, { "512", 0, 512 }, { "512B", 0, 512 }, { "128K", 0, 128 << 10 }, { "128k", 0, 128 << 10 },
		{ "128KB", 0, 128 << 10 }, { "128KiB", 0, 128 << 10 }, { "128kib", 0, 128 << 10 },
		{ "512M", 0, 512ULL << 20 }, { "1G", 0, 1ULL << 30 }, { "2T", 0, 2ULL << 40 }, { "3P", 0, 3ULL << 50 },
		{ "15E", 0, 15ULL << 60 }, { "18446744073709551615", 0, UINT64_MAX },
		{ "16E", -ERANGE, 0 }, { "18446744073709551616", -ERANGE, 0 }, { "17179869184G", -ERANGE, 0 },
		{ "99999999999999999999999999999999999", -ERANGE, 0 },
		{ "", -EINVAL, 0 }, { "K", -EINVAL, 0 }, { "12Q", -EINVAL, 0 }, { "-1", -EINVAL, 0 }, { "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 }, { "1 ", -EINVAL, 0 }, { "1.5G", -EINVAL, 0 }, { "1iB", -EINVAL, 0 },
		{ "1GG", -EINVAL, 0 }, { "1Gb ", -EINVAL, 0 }, { "0x10", -EINVAL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 42;
		int r = lxm_parse_size(cases[i].s, &v);

		ok(r == cases[i].r && (r < 0 ? v == 42 : v == cases[i].v), "size '%s' -> %d", cases[i].s, cases[i].r);
	}
	ok(lxm_parse_size(NULL, &(uint64_t){ 0 }) == -EINVAL, "size NULL");
}

static void test_signals(void)
{
	char buf[32];

	ok(lxm_signal_from_name("SIGUSR2") == SIGUSR2 && lxm_signal_from_name("USR2") == SIGUSR2, "SIGUSR2 and USR2");
	ok(lxm_signal_from_name("SIGPWR") == SIGPWR && lxm_signal_from_name("sigterm") == SIGTERM, "PWR, lower case");
	ok(lxm_signal_from_name("SIGRTMIN+3") == SIGRTMIN + 3 && lxm_signal_from_name("RTMIN+3") == SIGRTMIN + 3,
	   "SIGRTMIN+3 and RTMIN+3");
	ok(lxm_signal_from_name("SIGRTMIN") == SIGRTMIN && lxm_signal_from_name("SIGRTMAX") == SIGRTMAX &&
	   lxm_signal_from_name("SIGRTMAX-2") == SIGRTMAX - 2, "RTMIN, RTMAX, RTMAX-2");
	ok(lxm_signal_from_name("SIGIOT") == SIGABRT && lxm_signal_from_name("SIGCLD") == SIGCHLD, "aliases");
	ok(lxm_signal_from_name("15") == -EINVAL && lxm_signal_from_name("SIG") == -EINVAL &&
	   lxm_signal_from_name("") == -EINVAL && lxm_signal_from_name(NULL) == -EINVAL &&
	   lxm_signal_from_name("SIGRTMIN+") == -EINVAL && lxm_signal_from_name("SIGRTMIN-1") == -EINVAL &&
	   lxm_signal_from_name("SIGRTMAX+1") == -EINVAL && lxm_signal_from_name("SIGRTMIN+31") == -EINVAL &&
	   lxm_signal_from_name("SIGUSR3") == -EINVAL, "numbers and unknown names rejected");
	ok(streq(lxm_signal_to_name(SIGPWR, buf, sizeof(buf)), "SIGPWR"), "to name SIGPWR");
	ok(streq(lxm_signal_to_name(SIGABRT, buf, sizeof(buf)), "SIGABRT"), "to name prefers SIGABRT to SIGIOT");
	ok(streq(lxm_signal_to_name(SIGRTMIN + 3, buf, sizeof(buf)), "SIGRTMIN+3"), "to name SIGRTMIN+3");
	ok(streq(lxm_signal_to_name(SIGRTMIN, buf, sizeof(buf)), "SIGRTMIN"), "to name SIGRTMIN");
	ok(lxm_signal_to_name(0, buf, sizeof(buf)) == NULL && lxm_signal_to_name(SIGRTMAX + 1, buf, sizeof(buf)) == NULL,
	   "to name of invalid signals");
	for (int sig = 1; sig <= SIGRTMAX; sig++) {
		const char *n;

		if (sig > SIGSYS && sig < SIGRTMIN)
			continue; /* reserved by the C library */
		n = lxm_signal_to_name(sig, buf, sizeof(buf));
		if (!n || lxm_signal_from_name(n) != sig) {
			ok(false, "signal %d round trips through '%s'", sig, n ?: "(null)");
			return;
		}
	}
	ok(true, "every signal round trips through its name");
}

static void test_mac_uuid(void)
{
	char u[LXM_UUID_STR_LEN], u2[LXM_UUID_STR_LEN], m0[LXM_HWADDR_STR_LEN], m1[LXM_HWADDR_STR_LEN],
		again[LXM_HWADDR_STR_LEN], other[LXM_HWADDR_STR_LEN];
	bool distinct = true, format = true;

	ok(lxm_uuid_generate(u) == 0 && strlen(u) == 36 && u[8] == '-' && u[14] == '4', "uuid generated (version 4)");
	ok(lxm_uuid_generate(u2) == 0 && !streq(u, u2), "two uuids differ");
	ok(lxm_mac_from_uuid(u, 0, m0) == 0 && lxm_mac_from_uuid(u, 0, again) == 0 && streq(m0, again),
	   "MAC stable for (uuid, index)");
	ok(lxm_mac_from_uuid(u, 1, m1) == 0 && !streq(m0, m1), "another index gives another MAC");
	ok(lxm_mac_from_uuid(u2, 0, other) == 0 && !streq(m0, other), "another uuid gives another MAC");
	ok(lxm_mac_from_uuid("3f6c2e9a-1111-4222-8333-444455556666", 0, m0) == 0 &&
	   lxm_mac_from_uuid("3F6C2E9A-1111-4222-8333-444455556666", 0, m1) == 0 && streq(m0, m1),
	   "uuid case does not matter");
	for (unsigned i = 0; i < 64; i++) {
		char a[LXM_HWADDR_STR_LEN], b[LXM_HWADDR_STR_LEN];

		lxm_mac_from_uuid(u, i, a);
		if (strlen(a) != 17 || !lxm_startswith(a, "00:16:3e:"))
			format = false;
		for (size_t j = 0; j < 17; j++)
			if (j % 3 == 2 ? a[j] != ':' : !strchr("0123456789abcdef", a[j]))
				format = false;
		for (unsigned k = 0; k < i; k++) {
			lxm_mac_from_uuid(u, k, b);
			if (streq(a, b))
				distinct = false;
		}
	}
	ok(format, "MACs look like 00:16:3e:xx:xx:xx");
	ok(distinct, "64 indexes give 64 distinct MACs");
	ok(lxm_mac_from_uuid("nope", 0, m0) == -EINVAL && lxm_mac_from_uuid(NULL, 0, m0) == -EINVAL, "bad uuid rejected");

	/* a derived MAC is accepted as hwaddr */
	{
		_cleanup_free_ char *text = NULL;
		struct lxm_config c;
		struct lxm_error err = { 0 };

		lxm_mac_from_uuid(u, 0, m0);
		text = lxm_strdup_printf("net = ( { type = \"veth\"; hwaddr = \"%s\"; } );", m0);
		ok(parse(&c, text, &err) == 0 && streq(c.nics[0].hwaddr, m0), "derived MAC is a valid hwaddr");
		lxm_config_free(&c);
	}
}

static void test_tables(void)
{
	ok(streq(lxm_net_type_to_string(LXM_NET_VETH), "veth") && streq(lxm_net_type_to_string(LXM_NET_MACVLAN), "macvlan") &&
	   streq(lxm_net_type_to_string(LXM_NET_PHYS), "phys") && streq(lxm_net_type_to_string(LXM_NET_EMPTY), "empty") &&
	   streq(lxm_net_type_to_string(LXM_NET_NONE), "none") && lxm_net_type_to_string(LXM_NET_MAX) == NULL,
	   "net type names");
	ok(lxm_net_type_from_string("phys") == LXM_NET_PHYS && lxm_net_type_from_string("bridge") == -EINVAL, "net type from string");
	ok(lxm_cap_from_name("chown") == 0 && lxm_cap_from_name("sys_admin") == 21 && lxm_cap_from_name("CAP_SYS_ADMIN") == 21 &&
	   lxm_cap_from_name("checkpoint_restore") == 40 && lxm_cap_from_name("cap_bpf") == 39, "capability numbers");
	ok(lxm_cap_from_name("fly") == -EINVAL && lxm_cap_from_name("") == -EINVAL && lxm_cap_from_name("CAP_") == -EINVAL,
	   "unknown capabilities");
	ok(streq(lxm_cap_to_name(21), "sys_admin") && lxm_cap_to_name(41) == NULL && lxm_cap_to_name(-1) == NULL,
	   "capability names");
}

static void test_default_hostname(void)
{
	static const struct {
		const char *name, *host;
	} v[] = {
		{ "web1", "web1" },
		{ "my_ct", "my-ct" },
		{ "A_b-c.d", "A-b-c.d" },
		{ "x.", "x" },
		{ "a..b", "a.b" },
		{ "web-", "web" },
		{ "a.-b_", "a.b" },
		{ "_x_", "x" },
		{ "0", "0" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		_cleanup_free_ char *h = NULL;
		int r = lxm_config_default_hostname(v[i].name, &h);

		ok(r == 0 && h && streq(h, v[i].host), "name '%s' gets hostname '%s'", v[i].name, v[i].host);
		if (r == 0 && !streq(h, v[i].host))
			printf("#   got '%s'\n", h);
	}
	{
		_cleanup_free_ char *h = NULL;

		ok(lxm_config_default_hostname("_", &h) == -EINVAL && !h, "name '_' has no hostname");
		ok(lxm_config_default_hostname("-._", &h) == -EINVAL && !h, "nor has '-._'");
	}
}

int main(void)
{
	test_defaults();
	test_example();
	test_read_over();
	test_nic_names();
	test_errors();
	test_validate();
	test_round_trip();
	test_limits();
	test_devices();
	test_files();
	test_default_conf();
	test_set();
	test_names();
	test_default_hostname();
	test_sizes();
	test_signals();
	test_mac_uuid();
	test_tables();
	return tap_done();
}
