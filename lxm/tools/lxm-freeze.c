/* lxm-freeze and lxm-unfreeze (built with LXM_UNFREEZE). */
#include "common.h"
#include "container.h"

#ifdef LXM_UNFREEZE
#define PROG "lxm-unfreeze"
#define FREEZE false
static const char usage[] = "Usage: lxm-unfreeze -n NAME\nThaw a frozen container (cgroup freezer).\n\n";
#else
#define PROG "lxm-freeze"
#define FREEZE true
static const char usage[] = "Usage: lxm-freeze -n NAME\nFreeze every process of a container (cgroup freezer).\n\n";
#endif

int main(int argc, char **argv)
{
	static const struct option opts[] = { LXM_COMMON_LONGOPTS, { 0 } };
	struct lxm_error err = { 0 };
	struct lxm_tool t;
	int opt, r;

	lxm_tool_begin(&t, PROG, usage);
	while ((opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS, opts, NULL)) != -1)
		if (!lxm_tool_common_opt(&t, opt, optarg))
			lxm_tool_usage_error(&t, "invalid option");
	if (optind < argc)
		lxm_tool_usage_error(&t, "unexpected argument '%s'", argv[optind]);
	lxm_tool_setup(&t, true);
	r = lxm_container_freeze(&t.paths, t.name, FREEZE, &err);
	r = r < 0 ? lxm_tool_fail(&t, &err) : 0;
	lxm_tool_end(&t);
	return r;
}
