/* Unit tests for the resource limits: the v1/v2 value mapping
 * (cgroup-limits.c) and the in-place config edit lxm-cgroup persists with
 * (config-edit.c). No root needed. */
#include "../../lxm/cgroup-limits.h"
#include "../../lxm/config.h" /* not the build dir's autoconf config.h */
#include "tap.h"

#define check(cond, ...) do {                                                  \
		bool check_ = (cond);                                          \
		ok(check_, __VA_ARGS__);                                       \
		if (!check_)                                                   \
			printf("#   condition: %s\n", #cond);                 \
	} while (0)

static void expect_edit(const char *text, const char *key, const char *value, const char *expected,
			const char *desc)
{
	char *out = NULL;
	int r = lxm_config_edit_text(text, key, value, &out);

	check(r == 0 && out && streq(out, expected), "edit: %s", desc);
	if (!(r == 0 && out && streq(out, expected)))
		printf("#   r=%d got:\n%s\n#   expected:\n%s\n", r, out ? out : "(null)", expected);
	free(out);
}

static void expect_edit_fails(const char *text, const char *key, const char *value, const char *desc)
{
	char *out = NULL;
	int r = lxm_config_edit_text(text, key, value, &out);

	check(r == -EINVAL && !out, "edit refused: %s", desc);
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

	check(lxm_cgroup_io_weight_to_blkio(100) == 500, "io weight 100 is blkio.weight's default 500");
	check(lxm_cgroup_io_weight_to_blkio(1) == 10 && lxm_cgroup_io_weight_to_blkio(2) == 10,
	      "io weights below 2 clamp to blkio.weight 10");
	check(lxm_cgroup_io_weight_to_blkio(50) == 250 && lxm_cgroup_io_weight_to_blkio(200) == 1000 &&
	      lxm_cgroup_io_weight_to_blkio(10000) == 1000, "x5, clamped to 1000");
	check(lxm_cgroup_io_weight_to_bfq(100) == 100 && lxm_cgroup_io_weight_to_bfq(1) == 1 &&
	      lxm_cgroup_io_weight_to_bfq(1000) == 1000 && lxm_cgroup_io_weight_to_bfq(10000) == 1000,
	      "BFQ weights: the same scale, clamped to 1-1000");
	check(lxm_cgroup_blkio_to_io_weight(500) == 100 && lxm_cgroup_blkio_to_io_weight(10) == 2 &&
	      lxm_cgroup_blkio_to_io_weight(1000) == 200, "blkio.weight back to io weight");
	for (uint32_t w = 1; w <= 10000; w++)
		if (lxm_cgroup_shares_to_weight(lxm_cgroup_weight_to_shares(w)) != w) {
			printf("#   weight %u -> shares %llu -> %u\n", w, (unsigned long long)lxm_cgroup_weight_to_shares(w),
			       lxm_cgroup_shares_to_weight(lxm_cgroup_weight_to_shares(w)));
			all = false;
			break;
		}
	check(all, "every cpu weight 1-10000 survives cpu.shares and back");
	check(lxm_cgroup_shares_to_weight(1024) == 100 && lxm_cgroup_shares_to_weight(2) == 1 &&
	      lxm_cgroup_shares_to_weight(262144) == 10000, "cpu.shares 1024 is weight 100; out of range clamps");
	check(lxm_cgroup_parse_max("max", &v) == 0 && v == 0, "'max' is no limit");
	check(lxm_cgroup_parse_max("9223372036854771712", &v) == 0 && v == 0, "v1's huge number is no limit");
	check(lxm_cgroup_parse_max("67108864", &v) == 0 && v == 67108864, "a number is itself");
	check(lxm_cgroup_parse_max("12X", &v) < 0 && lxm_cgroup_parse_max("", &v) < 0, "garbage is refused");
	for (int l = 0; l < LXM_LIMIT_MAX; l++)
		if (lxm_limit_from_string(lxm_limit_to_string((enum lxm_limit)l)) != l)
			all = false;
	check(all && lxm_limit_from_string("memory.max") == -EINVAL && lxm_limit_from_string("") == -EINVAL &&
	      !lxm_limit_to_string(LXM_LIMIT_MAX), "limit names round trip; others are refused");
	{
		struct lxm_cgroup_limits lim = { .memory = 1, .cpuset = "" };

		check(lxm_cgroup_limit_is_set(&lim, LXM_LIMIT_MEMORY) && !lxm_cgroup_limit_is_set(&lim, LXM_LIMIT_CPUSET) &&
		      !lxm_cgroup_limit_is_set(&lim, LXM_LIMIT_MEMORY_SWAP) && !lxm_cgroup_limit_is_set(&lim, LXM_LIMIT_IO_WEIGHT),
		      "which limits are set");
	}
}

int main(void)
{
	test_edit();
	test_mapping();
	return tap_done();
}
