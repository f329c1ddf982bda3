/* Unit tests for the resource limits: the v1/v2 value mapping
 * (cgroup-limits.c) and the in-place config edit lxm-cgroup persists with
 * (config-edit.c). No root needed. */
#include <fcntl.h>
#include <sys/stat.h>

#include "../../lxm/cgroup-limits.h"
#include "../../lxm/config.h" /* not the build dir's autoconf config.h */
#include "tap.h"

static void expect_edit(const char *text, const char *key, const char *value, const char *expected,
			const char *desc)
{
	char *out = NULL;
	int r = lxm_config_edit_text(text, key, value, &out);

	ok(r == 0 && out && streq(out, expected), "edit: %s", desc);
	if (!(r == 0 && out && streq(out, expected)))
		printf("#   r=%d got:\n%s\n#   expected:\n%s\n", r, out ? out : "(null)", expected);
	free(out);
}

static void expect_edit_fails(const char *text, const char *key, const char *value, const char *desc)
{
	char *out = NULL;
	int r = lxm_config_edit_text(text, key, value, &out);

	ok(r == -EINVAL && !out, "edit refused: %s", desc);
	free(out);
}

static void test_edit(void)
{
	expect_edit("limits = {\n\tmemory = \"1G\";   # mem\n\tpids = 10;\n};\n", "limits.memory", "\"2G\"",
		    "limits = {\n\tmemory = \"2G\";   # mem\n\tpids = 10;\n};\n", "replace keeps the comment");
	expect_edit("limits = { memory = \"512M\"; pids = 1024; };\n", "limits.pids", "5",
		    "limits = { memory = \"512M\"; pids = 5; };\n", "replace in a one-line group");
	expect_edit("limits = { memory = \"512M\"; pids = 1024; };\n", "limits.cpu_weight", "50",
		    "limits = { memory = \"512M\"; pids = 1024; cpu_weight = 50; };\n", "add to a one-line group");
	expect_edit("limits = {\n\tmemory = \"1G\";\n};\n", "limits.pids", "5",
		    "limits = {\n\tmemory = \"1G\";\n\tpids = 5;\n};\n", "add to a group of lines, indented alike");
	expect_edit("limits = {\n    memory = \"1G\"; };\n", "limits.pids", "5",
		    "limits = {\n    memory = \"1G\"; \n    pids = 5;\n};\n", "add before a '}' that shares a line");
	expect_edit("name = \"x\";\n# limits = { memory = \"1G\"; };\n", "limits.memory", "\"1G\"",
		    "name = \"x\";\n# limits = { memory = \"1G\"; };\n\nlimits = {\n\tmemory = \"1G\";\n};\n",
		    "a missing group is added at the end; a commented-out one is left");
	expect_edit("name = \"x\";", "limits.pids", "3", "name = \"x\";\n\nlimits = {\n\tpids = 3;\n};\n",
		    "the last line gets its newline first");
	expect_edit("limits = {\n\tmemory = \"1G\";  # c\n\tpids = 10;\n};\n", "limits.memory", NULL,
		    "limits = {\n\tpids = 10;\n};\n", "remove a setting with its line and comment");
	expect_edit("limits = { memory = \"512M\"; pids = 1024; };", "limits.memory", NULL,
		    "limits = { pids = 1024; };", "remove from a one-line group");
	expect_edit("limits = { pids = 1; };\n", "limits.memory", NULL, "limits = { pids = 1; };\n",
		    "removing what is not there changes nothing");
	expect_edit("name = \"x\";\n", "limits.memory", NULL, "name = \"x\";\n", "nor without the group");
	expect_edit("security = { memory = 1; };\nlimits = { pids = 1; };\n", "limits.memory", "\"1G\"",
		    "security = { memory = 1; };\nlimits = { pids = 1; memory = \"1G\"; };\n",
		    "the same name in another group is not ours");
	expect_edit("name = \"limits = { pids = 1; }\"; # limits = {\nlimits = { pids = 1; };\n", "limits.pids", "2",
		    "name = \"limits = { pids = 1; }\"; # limits = {\nlimits = { pids = 2; };\n",
		    "strings and comments that look like the group are skipped");
	expect_edit("/* limits = { pids = 1; } */\nlimits = { pids = 2; };\n", "limits.pids", "3",
		    "/* limits = { pids = 1; } */\nlimits = { pids = 3; };\n", "block comments too");
	expect_edit("net = ( { type = \"veth\"; ipv4 = [ \"10.0.3.10/24\" ]; } );\nlimits = { pids = 1; };\n",
		    "limits.pids", "2", "net = ( { type = \"veth\"; ipv4 = [ \"10.0.3.10/24\" ]; } );\nlimits = { pids = 2; };\n",
		    "lists and arrays before the group");
	expect_edit("limits = { memory = \"1G\" pids = 3 }", "limits.pids", "4", "limits = { memory = \"1G\" pids = 4 }",
		    "settings without separators");
	expect_edit("limits : { pids : 3, memory : \"1G\"; };", "limits.pids", "4", "limits : { pids : 4, memory : \"1G\"; };",
		    "':' and ',' syntax");
	expect_edit("limits = { cpuset = \"0-1\"; };", "limits.cpuset", "\"0\"", "limits = { cpuset = \"0\"; };",
		    "a string value");
	expect_edit("hostname = \"a\";\nname = \"b\";\n", "hostname", "\"c\"", "hostname = \"c\";\nname = \"b\";\n",
		    "a top-level key");
	{
		/* a name (true, false) ends the text: on the heap, so that
		 * ASan sees a read past its NUL */
		char *t = strdup("autostart = true");

		expect_edit(t, "limits.pids", "3", "autostart = true\n\nlimits = {\n\tpids = 3;\n};\n",
			    "a name at the very end of the text");
		expect_edit(t, "autostart", "false", "autostart = false", "a name at the end, replaced");
		free(t);
	}
	expect_edit_fails("limits = 5;\n", "limits.pids", "3", "the group is not a group");
	expect_edit_fails("limits = { memory = ; };\n", "limits.pids", "3", "a setting without a value");
	expect_edit_fails("limits = { pids = 1;\n", "limits.memory", "3", "an unclosed group");
	expect_edit_fails("limits = { pids = 1; };\n", "limits.a.b", "3", "a key two levels down");
}

static void test_mapping(void)
{
	bool all = true;
	uint64_t v = 1;

	ok(lxm_cgroup_io_weight_to_blkio(100) == 500, "io weight 100 is blkio.weight's default 500");
	ok(lxm_cgroup_io_weight_to_blkio(1) == 10 && lxm_cgroup_io_weight_to_blkio(2) == 10,
	      "io weights below 2 clamp to blkio.weight 10");
	ok(lxm_cgroup_io_weight_to_blkio(50) == 250 && lxm_cgroup_io_weight_to_blkio(200) == 1000 &&
	      lxm_cgroup_io_weight_to_blkio(10000) == 1000, "x5, clamped to 1000");
	ok(lxm_cgroup_io_weight_to_bfq(100) == 100 && lxm_cgroup_io_weight_to_bfq(1) == 1 &&
	      lxm_cgroup_io_weight_to_bfq(1000) == 1000 && lxm_cgroup_io_weight_to_bfq(10000) == 1000,
	      "BFQ weights: the same scale, clamped to 1-1000");
	ok(lxm_cgroup_blkio_to_io_weight(500) == 100 && lxm_cgroup_blkio_to_io_weight(10) == 2 &&
	      lxm_cgroup_blkio_to_io_weight(1000) == 200, "blkio.weight back to io weight");
	for (uint32_t w = 1; w <= 10000; w++)
		if (lxm_cgroup_shares_to_weight(lxm_cgroup_weight_to_shares(w)) != w) {
			printf("#   weight %u -> shares %llu -> %u\n", w, (unsigned long long)lxm_cgroup_weight_to_shares(w),
			       lxm_cgroup_shares_to_weight(lxm_cgroup_weight_to_shares(w)));
			all = false;
			break;
		}
	ok(all, "every cpu weight 1-10000 survives cpu.shares and back");
	ok(lxm_cgroup_shares_to_weight(1024) == 100 && lxm_cgroup_shares_to_weight(2) == 1 &&
	      lxm_cgroup_shares_to_weight(262144) == 10000, "cpu.shares 1024 is weight 100; out of range clamps");
	ok(lxm_cgroup_parse_max("max", &v) == 0 && v == 0, "'max' is no limit");
	ok(lxm_cgroup_parse_max("9223372036854771712", &v) == 0 && v == 0, "v1's huge number is no limit");
	ok(lxm_cgroup_parse_max("67108864", &v) == 0 && v == 67108864, "a number is itself");
	ok(lxm_cgroup_parse_max("12X", &v) < 0 && lxm_cgroup_parse_max("", &v) < 0, "garbage is refused");
	for (int l = 0; l < LXM_LIMIT_MAX; l++)
		if (lxm_limit_from_string(lxm_limit_to_string((enum lxm_limit)l)) != l)
			all = false;
	ok(all && lxm_limit_from_string("memory.max") == -EINVAL && lxm_limit_from_string("") == -EINVAL &&
	      !lxm_limit_to_string(LXM_LIMIT_MAX), "limit names round trip; others are refused");
	{
		struct lxm_cgroup_limits lim = { .memory = 1, .cpuset = "" };

		ok(lxm_cgroup_limit_is_set(&lim, LXM_LIMIT_MEMORY) && !lxm_cgroup_limit_is_set(&lim, LXM_LIMIT_CPUSET) &&
		      !lxm_cgroup_limit_is_set(&lim, LXM_LIMIT_MEMORY_SWAP) && !lxm_cgroup_limit_is_set(&lim, LXM_LIMIT_IO_WEIGHT),
		      "which limits are set");
	}
}

/* ---- which file gets which value: a fake cgroup tree of plain files ----
 *
 * LXM_CGROUP_MOUNTINFO points lxm at cgroup mounts in a temporary
 * directory, so the paths neither the build host nor the VM has can be
 * checked: a v1 host without swap accounting and with CFQ's blkio.weight, a
 * v2 host with BFQ's io.bfq.weight only. */

static char tree[256];

static void mkfile(const char *rel, const char *content)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	lxm_write_file_at(AT_FDCWD, path, content, strlen(content), O_CREAT | O_TRUNC, 0644);
}

static void mkdirs(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	for (char *p = path + strlen(tree) + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	mkdir(path, 0755);
}

static char *content(const char *rel)
{
	char path[512];
	char *s = NULL;

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	if (lxm_read_file_at(AT_FDCWD, path, &s, NULL) < 0)
		return strdup("(missing)");
	return s;
}

static void expect_file(const char *rel, const char *expected, const char *desc)
{
	_cleanup_free_ char *v = content(rel);

	ok(streq(v, expected), "%s: '%s' = '%s'", desc, rel, v);
}

static struct lxm_cgroup *open_tree(const char *mi)
{
	char path[512];
	struct lxm_cgroup *cg = NULL;
	struct lxm_error err = { 0 };

	snprintf(path, sizeof(path), "%s/mountinfo", tree);
	lxm_write_file_at(AT_FDCWD, path, mi, strlen(mi), O_CREAT | O_TRUNC, 0644);
	setenv("LXM_CGROUP_MOUNTINFO", path, 1);
	if (lxm_cgroup_open("c1", &cg, &err) < 0)
		printf("#   open: %s\n", err.msg);
	unsetenv("LXM_CGROUP_MOUNTINFO");
	return cg;
}

static void test_tree_v1(void)
{
	static const char *const ctl[] = { "memory", "pids", "cpu", "cpuset", "blkio" };
	const struct lxm_cgroup_limits lim = {
		.memory = 64 << 20, .memory_swap = 128 << 20, .pids = 50, .cpu_weight = 10,
		.cpuset = "1", .io_weight = 300,
	};
	char mi[4096] = "";
	struct lxm_error err = { 0 };
	struct lxm_cgroup *cg;
	char *v = NULL;
	bool dflt = true;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(ctl); i++) {
		char d[64], line[512];

		snprintf(d, sizeof(d), "%s/lxm/c1", ctl[i]);
		mkdirs(d);
		snprintf(line, sizeof(line), "%zu 1 0:%zu / %s/%s rw - cgroup cgroup rw,%s\n", 30 + i, 40 + i, tree,
			 ctl[i], ctl[i]);
		strcat(mi, line);
	}
	/* no memory.memsw.*: no swap accounting; CFQ's blkio.weight */
	mkfile("memory/lxm/c1/memory.limit_in_bytes", "");
	mkfile("pids/lxm/c1/pids.max", "");
	mkfile("cpu/lxm/c1/cpu.shares", "");
	mkfile("cpuset/lxm/cpuset.cpus", "0-3\n");
	mkfile("cpuset/lxm/c1/cpuset.cpus", "");
	mkfile("blkio/lxm/c1/blkio.weight", "");
	cg = open_tree(mi);
	ok(cg != NULL, "v1 tree opens");
	if (!cg)
		return;
	ok(lxm_cgroup_limit_apply(cg, LXM_LIMIT_MEMORY, &lim, &err) == 0, "v1 memory");
	expect_file("memory/lxm/c1/memory.limit_in_bytes", "67108864", "v1 memory");
	r = lxm_cgroup_limit_apply(cg, LXM_LIMIT_MEMORY_SWAP, &lim, &err);
	ok(r == -EOPNOTSUPP && strstr(err.msg, "limits.memory_swap: this host has no swap accounting (no 'memory.memsw.limit_in_bytes'"),
	      "v1 memory_swap without swap accounting: EOPNOTSUPP (%s)", err.msg);
	r = lxm_cgroup_limit_read(cg, LXM_LIMIT_MEMORY_SWAP, &v, NULL, &err);
	ok(r == -EOPNOTSUPP && !v, "reading it too");
	ok(lxm_cgroup_limit_apply(cg, LXM_LIMIT_PIDS, &lim, &err) == 0, "v1 pids");
	expect_file("pids/lxm/c1/pids.max", "50", "v1 pids");
	ok(lxm_cgroup_limit_apply(cg, LXM_LIMIT_CPU_WEIGHT, &lim, &err) == 0, "v1 cpu_weight");
	expect_file("cpu/lxm/c1/cpu.shares", "102", "v1 cpu_weight 10 -> cpu.shares");
	ok(lxm_cgroup_limit_read(cg, LXM_LIMIT_CPU_WEIGHT, &v, &dflt, &err) == 0 && streq(v, "10") && !dflt,
	      "read back as 10 (%s)", v);
	free(v);
	v = NULL;
	ok(lxm_cgroup_limit_apply(cg, LXM_LIMIT_IO_WEIGHT, &lim, &err) == 0, "v1 io_weight");
	expect_file("blkio/lxm/c1/blkio.weight", "1000", "v1 io_weight 300 -> blkio.weight (x5, clamped)");
	mkfile("blkio/lxm/c1/blkio.weight", "250\n");
	ok(lxm_cgroup_limit_read(cg, LXM_LIMIT_IO_WEIGHT, &v, &dflt, &err) == 0 && streq(v, "50"),
	      "blkio.weight 250 reads as io_weight 50 (%s)", v);
	free(v);
	v = NULL;
	ok(lxm_cgroup_limit_apply(cg, LXM_LIMIT_CPUSET, &lim, &err) == 0, "v1 cpuset");
	expect_file("cpuset/lxm/c1/cpuset.cpus", "1", "v1 cpuset");
	{
		const struct lxm_cgroup_limits none = { 0 };

		mkfile("cpuset/lxm/c1/cpuset.cpus", "");
		mkfile("pids/lxm/c1/pids.max", "");
		mkfile("memory/lxm/c1/memory.limit_in_bytes", "");
		mkfile("cpu/lxm/c1/cpu.shares", "");
		ok(lxm_cgroup_limit_apply(cg, LXM_LIMIT_CPUSET, &none, &err) == 0, "v1 cpuset reset");
		expect_file("cpuset/lxm/c1/cpuset.cpus", "0-3", "v1 cpuset reset: the parent's CPUs");
		ok(lxm_cgroup_limit_apply(cg, LXM_LIMIT_PIDS, &none, &err) == 0, "v1 pids reset");
		expect_file("pids/lxm/c1/pids.max", "max", "v1 pids reset");
		ok(lxm_cgroup_limit_apply(cg, LXM_LIMIT_MEMORY, &none, &err) == 0, "v1 memory reset");
		expect_file("memory/lxm/c1/memory.limit_in_bytes", "-1", "v1 memory reset");
		ok(lxm_cgroup_limit_apply(cg, LXM_LIMIT_CPU_WEIGHT, &none, &err) == 0, "v1 cpu_weight reset");
		expect_file("cpu/lxm/c1/cpu.shares", "1024", "v1 cpu_weight reset");
	}
	mkfile("memory/lxm/c1/memory.limit_in_bytes", "9223372036854771712\n");
	ok(lxm_cgroup_limit_read(cg, LXM_LIMIT_MEMORY, &v, &dflt, &err) == 0 && streq(v, "max") && dflt,
	      "v1's huge number reads as max (%s)", v);
	free(v);
	v = NULL;
	/* raw files: the controller's hierarchy; no way out of it */
	mkfile("memory/lxm/c1/memory.soft_limit_in_bytes", "");
	ok(lxm_cgroup_file_write(cg, "memory.soft_limit_in_bytes", "123", &err) == 0, "raw write");
	expect_file("memory/lxm/c1/memory.soft_limit_in_bytes", "123", "raw write");
	ok(lxm_cgroup_file_write(cg, "../memory.x", "1", &err) == -EINVAL &&
	      lxm_cgroup_file_write(cg, "memory/x", "1", &err) == -EINVAL &&
	      lxm_cgroup_file_write(cg, "memory", "1", &err) == -EINVAL &&
	      lxm_cgroup_file_write(cg, ".memory", "1", &err) == -EINVAL &&
	      lxm_cgroup_file_write(cg, "memory.", "1", &err) == -EINVAL, "raw names with '/', '..' or no 'ctl.file' are refused");
	r = lxm_cgroup_file_write(cg, "memory.nosuch", "1", &err);
	ok(r == -ENOENT, "a missing file is ENOENT, never created");
	lxm_cgroup_free(cg);
}

static void test_tree_v2(void)
{
	const struct lxm_cgroup_limits lim = {
		.memory = 64 << 20, .memory_swap = 96 << 20, .pids = 50, .cpu_weight = 10, .io_weight = 3000,
	};
	char mi[1024];
	struct lxm_error err = { 0 };
	struct lxm_cgroup *cg;
	char *v = NULL;
	bool dflt = true;
	int r;

	mkdirs("v2/lxm/c1");
	snprintf(mi, sizeof(mi), "29 1 0:26 / %s/v2 rw - cgroup2 cgroup2 rw\n", tree);
	mkfile("v2/lxm/c1/cgroup.controllers", "cpuset cpu io memory pids\n");
	mkfile("v2/lxm/c1/memory.max", "");
	mkfile("v2/lxm/c1/memory.swap.max", "");
	mkfile("v2/lxm/c1/pids.max", "");
	mkfile("v2/lxm/c1/cpu.weight", "");
	mkfile("v2/lxm/c1/io.bfq.weight", "");       /* BFQ only, no iocost */
	mkfile("v2/lxm/c1/cpuset.cpus", "");
	mkfile("v2/lxm/cpuset.cpus.effective", "0-7\n");
	cg = open_tree(mi);
	ok(cg != NULL, "v2 tree opens");
	if (!cg)
		return;
	ok(lxm_cgroup_limit_apply(cg, LXM_LIMIT_MEMORY, &lim, &err) == 0, "v2 memory");
	expect_file("v2/lxm/c1/memory.max", "67108864", "v2 memory");
	expect_file("v2/lxm/c1/memory.swap.max", "33554432", "v2 memory also sets swap.max = memory_swap - memory");
	ok(lxm_cgroup_limit_read(cg, LXM_LIMIT_MEMORY_SWAP, &v, &dflt, &err) == 0 && streq(v, "100663296") && !dflt,
	      "memory_swap reads back as memory.max + memory.swap.max (%s)", v);
	free(v);
	v = NULL;
	ok(lxm_cgroup_limit_apply(cg, LXM_LIMIT_CPU_WEIGHT, &lim, &err) == 0, "v2 cpu_weight");
	expect_file("v2/lxm/c1/cpu.weight", "10", "v2 cpu_weight as it is");
	ok(lxm_cgroup_limit_apply(cg, LXM_LIMIT_IO_WEIGHT, &lim, &err) == 0, "v2 io_weight");
	expect_file("v2/lxm/c1/io.bfq.weight", "1000", "v2 io_weight 3000 -> io.bfq.weight (clamped)");
	mkfile("v2/lxm/c1/io.bfq.weight", "default 100\n");
	ok(lxm_cgroup_limit_read(cg, LXM_LIMIT_IO_WEIGHT, &v, &dflt, &err) == 0 && streq(v, "100") && dflt,
	      "'default 100' reads as 100, the default (%s)", v);
	free(v);
	v = NULL;
	{
		const struct lxm_cgroup_limits none = { .memory = 64 << 20 };

		mkfile("v2/lxm/c1/memory.swap.max", "");
		ok(lxm_cgroup_limit_apply(cg, LXM_LIMIT_MEMORY_SWAP, &none, &err) == 0, "v2 memory_swap reset");
		expect_file("v2/lxm/c1/memory.swap.max", "max", "v2 memory_swap reset: swap.max max");
		ok(lxm_cgroup_limit_apply(cg, LXM_LIMIT_CPUSET, &none, &err) == 0, "v2 cpuset reset");
		expect_file("v2/lxm/c1/cpuset.cpus", "0-7", "v2 cpuset reset: the parent's effective CPUs");
	}
	unlink(strcat(strcpy(mi, tree), "/v2/lxm/c1/io.bfq.weight"));
	r = lxm_cgroup_limit_apply(cg, LXM_LIMIT_IO_WEIGHT, &lim, &err);
	ok(r == -EOPNOTSUPP && strstr(err.msg, "limits.io_weight: this host has no I/O weights"),
	      "v2 without io.weight or io.bfq.weight: EOPNOTSUPP (%s)", err.msg);
	lxm_cgroup_free(cg);
}

int main(void)
{
	test_edit();
	test_mapping();
	snprintf(tree, sizeof(tree), "/tmp/lxm-test-limits.XXXXXX");
	if (mkdtemp(tree)) {
		test_tree_v1();
		test_tree_v2();
		{
			char cmd[300];

			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
			if (system(cmd) != 0)
				printf("# could not remove %s\n", tree);
		}
	}
	return tap_done();
}
