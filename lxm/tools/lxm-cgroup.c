#include "common.h"
#include "limitctl.h"

static const char usage[] =
	"Usage: lxm-cgroup -n NAME [--no-persist] [KEY [VALUE]]\n"
	"Show or change a container's resource limits: in its running cgroups and in its config.\n\n"
	"KEY is a limit: memory, memory_swap, pids, cpu_weight, cpuset or io_weight, with values as\n"
	"in the config's limits group (\"max\" lifts a memory, memory_swap or pids limit, \"default\"\n"
	"resets a weight, \"\" a cpuset); or a cgroup file of the running container ('memory.high'),\n"
	"which is written as it is and never saved. Without VALUE: the current value; without KEY:\n"
	"every limit.\n\n"
	"  -N, --no-persist       change the running container only, not its config\n";

enum { OPT_NO_PERSIST = 'N' };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		LXM_COMMON_LONGOPTS,
		{ "no-persist", no_argument, NULL, OPT_NO_PERSIST },
		{ 0 }
	};
	struct lxm_error err = { 0 };
	struct lxm_tool t;
	bool persist = true;
	const char *key = NULL, *value = NULL;
	_cleanup_free_ char *out = NULL;
	int opt, r = 0;

	lxm_tool_begin(&t, "lxm-cgroup", usage);
	while ((opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS "N", opts, NULL)) != -1) {
		if (lxm_tool_common_opt(&t, opt, optarg))
			continue;
		switch (opt) {
		case OPT_NO_PERSIST:
			persist = false;
			break;
		default:
			lxm_tool_usage_error(&t, "invalid option");
		}
	}
	if (optind < argc)
		key = argv[optind++];
	if (optind < argc)
		value = argv[optind++];
	if (optind < argc)
		lxm_tool_usage_error(&t, "unexpected argument '%s'", argv[optind]);
	lxm_tool_setup(&t, true);

	if (key && value) {
		r = lxm_limits_set(&t.paths, t.name, key, value, persist, &err);
	} else if (key) {
		r = lxm_limits_get(&t.paths, t.name, key, &out, &err);
		if (r == 0)
			printf("%s\n", out);
	} else {
		for (int l = 0; l < LXM_LIMIT_MAX && r == 0; l++) {
			_cleanup_free_ char *v = NULL;
			struct lxm_error e = { 0 };

			r = lxm_limits_get(&t.paths, t.name, lxm_limit_to_string((enum lxm_limit)l), &v, &e);
			if (r == -EOPNOTSUPP) {
				r = 0;   /* the host lacks it: leave it out */
				continue;
			}
			if (r < 0)
				err = e;
			else
				printf("%s %s\n", lxm_limit_to_string((enum lxm_limit)l), v);
		}
	}
	r = r < 0 ? lxm_tool_fail(&t, &err) : 0;
	lxm_tool_end(&t);
	return r;
}
