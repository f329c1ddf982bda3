/* Unit tests for lxm/autostart.c: which containers lxm-autostart selects and
 * in what order. Pure logic, no root. */
#include "autostart.h"
#include "util.h"
#include "tap.h"

static char *web[] = { "web", NULL };
static char *db[] = { "db", NULL };
static char *webdb[] = { "web", "db", NULL };
static char *onboot[] = { "onboot", NULL };

/* Deliberately not in order: the plan must sort. */
static const struct lxm_autostart_entry entries[] = {
	{ .name = "zeta",  .enabled = true,  .order = 0,  .delay = 0 },
	{ .name = "alpha", .enabled = true,  .order = 0,  .delay = 2 },
	{ .name = "www1",  .enabled = true,  .order = 10, .delay = 5, .groups = web, .n_groups = 1 },
	{ .name = "www0",  .enabled = true,  .order = 10, .delay = 0, .groups = web, .n_groups = 1 },
	{ .name = "pg",    .enabled = true,  .order = -5, .delay = 3, .groups = db, .n_groups = 1 },
	{ .name = "both",  .enabled = true,  .order = 20, .groups = webdb, .n_groups = 2 },
	{ .name = "off",   .enabled = false, .order = -100 },
	{ .name = "offweb", .enabled = false, .order = 1, .groups = web, .n_groups = 1 },
	{ .name = "boot",  .enabled = true,  .order = 100, .groups = onboot, .n_groups = 1 },
	{ .name = "neg",   .enabled = true,  .order = -2147483647 - 1 },
};

/* The plan's names joined by spaces. */
static char *plan_text(const struct lxm_autostart_select *sel, bool reverse)
{
	const struct lxm_autostart_entry **v = NULL;
	char buf[512] = "";
	int n = lxm_autostart_plan(entries, ARRAY_SIZE(entries), sel, reverse, &v);

	if (n < 0)
		return strdup("ERROR");
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(buf, " ");
		strcat(buf, v[i]->name);
	}
	free(v);
	return strdup(buf);
}

static void expect_plan(const struct lxm_autostart_select *sel, bool reverse, const char *want,
			const char *what)
{
	char *got = plan_text(sel, reverse);

	ok(streq(got, want), "%s: '%s'", what, want);
	if (!streq(got, want))
		printf("#   got '%s'\n", got);
	free(got);
}

static void test_select(void)
{
	const char *g_web[] = { "web" };
	const char *g_db_web[] = { "db", "web" };
	const char *g_none[] = { "" };
	const char *g_onboot_none[] = { "onboot", "" };
	const char *g_none_onboot[] = { "", "onboot" };
	const char *g_web_db[] = { "web", "db" };
	const char *g_missing[] = { "nosuchgroup" };
	struct lxm_autostart_select sel = { 0 };

	expect_plan(&sel, false, "neg alpha zeta", "no -a/-g: autostart containers in no group, by order then name");
	sel.all = true;
	expect_plan(&sel, false, "neg pg alpha zeta www0 www1 both boot", "-a: every autostart container");
	expect_plan(&sel, true, "boot both www1 www0 zeta alpha pg neg", "-a reversed for shutdown");
	sel.ignore_auto = true;
	expect_plan(&sel, false, "neg off pg alpha zeta offweb www0 www1 both boot", "-a -A: every container");
	sel = (struct lxm_autostart_select){ .groups = g_web, .n_groups = 1 };
	expect_plan(&sel, false, "www0 www1 both", "-g web: the group, autostart only");
	sel.ignore_auto = true;
	expect_plan(&sel, false, "offweb www0 www1 both", "-g web -A: autostart off too");
	sel = (struct lxm_autostart_select){ .groups = g_db_web, .n_groups = 2 };
	expect_plan(&sel, false, "pg both www0 www1", "-g db -g web: db first, then web, each container once");
	expect_plan(&sel, true, "www1 www0 both pg", "-g db -g web reversed for shutdown: web first");
	sel = (struct lxm_autostart_select){ .groups = g_web_db, .n_groups = 2 };
	expect_plan(&sel, false, "www0 www1 both pg", "-g web,db: web first (both with web), then db");
	sel = (struct lxm_autostart_select){ .groups = g_none, .n_groups = 1 };
	expect_plan(&sel, false, "neg alpha zeta", "-g '': the no-group set");
	sel = (struct lxm_autostart_select){ .groups = g_onboot_none, .n_groups = 2 };
	expect_plan(&sel, false, "boot neg alpha zeta", "-g onboot,: onboot first, then the no-group set");
	sel = (struct lxm_autostart_select){ .groups = g_none_onboot, .n_groups = 2 };
	expect_plan(&sel, false, "neg alpha zeta boot", "-g ,onboot: the no-group set first, then onboot");
	sel = (struct lxm_autostart_select){ .groups = g_missing, .n_groups = 1 };
	expect_plan(&sel, false, "", "-g with an unknown group selects nothing");
}

static void test_empty(void)
{
	const struct lxm_autostart_entry **v = NULL;
	struct lxm_autostart_select sel = { .all = true };
	int n = lxm_autostart_plan(NULL, 0, &sel, false, &v);

	ok(n == 0 && v != NULL, "an empty list plans nothing");
	free(v);
}

static void test_compare(void)
{
	struct lxm_autostart_entry a = { .name = "a", .order = 1 }, b = { .name = "b", .order = 1 };
	struct lxm_autostart_entry c = { .name = "a", .order = 2 };
	int r1 = lxm_autostart_compare(&a, &b), r2 = lxm_autostart_compare(&b, &c), r3 = lxm_autostart_compare(&a, &a);

	ok(r1 < 0, "same order: by name");
	ok(r2 < 0, "lower order first, whatever the name");
	ok(r3 == 0, "an entry equals itself");
}

static void test_parse_groups(void)
{
	char **g = NULL;
	size_t n = 0;
	int r;

	r = lxm_autostart_parse_groups("web", &g, &n);
	ok(r == 0 && n == 1 && streq(g[0], "web") && !g[1], "one group");
	r = lxm_autostart_parse_groups("db,web,", &g, &n);
	ok(r == 0 && n == 3 && streq(g[1], "db") && streq(g[2], ""), "a list with a trailing comma adds the no-group set, without duplicates");
	r = lxm_autostart_parse_groups("", &g, &n);
	ok(r == 0 && n == 3, "an empty value is the no-group set (already there)");
	lxm_strv_free(g, n);
	g = NULL;
	n = 0;
	r = lxm_autostart_parse_groups("", &g, &n);
	ok(r == 0 && n == 1 && streq(g[0], ""), "-g '' alone");
	lxm_strv_free(g, n);
}

int main(void)
{
	test_select();
	test_empty();
	test_compare();
	test_parse_groups();
	return tap_done();
}
