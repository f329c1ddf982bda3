#include "common.h"
#include "wait.h"

static const char usage[] =
	"Usage: lxm-wait -n NAME -s STATE[|STATE...] [-t SECS]\n"
	"Wait until the container is in one of the states. Exits 1 when the timeout\n"
	"passes.\n\n"
	"  -s, --state=STATES     STOPPED, STARTING, RUNNING, STOPPING, FROZEN, ABORTING\n"
	"  -t, --timeout=SECS     give up after SECS; 0: look once; -1: wait forever\n"
	"                         (the default)\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		LXM_COMMON_LONGOPTS,
		{ "state", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ 0 }
	};
	struct lxm_error err = { 0 };
	struct lxm_tool t;
	uint32_t wanted = 0;
	int64_t timeout_ms = -1;
	int opt, r;

	lxm_tool_begin(&t, "lxm-wait", usage);
	while ((opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS "s:t:", opts, NULL)) != -1) {
		uint64_t v;

		if (lxm_tool_common_opt(&t, opt, optarg))
			continue;
		switch (opt) {
		case 's': {
			_cleanup_free_ char *copy = strdup(optarg);
			char *save = NULL;

			if (!copy)
				return 1;
			for (char *s = strtok_r(copy, "|", &save); s; s = strtok_r(NULL, "|", &save)) {
				enum lxm_state st;
				if (lxm_state_from_string(s, &st) < 0)
					lxm_tool_usage_error(&t, "unknown state '%s'", s);
				wanted |= 1u << st;
			}
			break;
		}
		case 't':
			/* -1 is lxc-wait's "forever" */
			if (streq(optarg, "-1")) {
				timeout_ms = -1;
				break;
			}
			if (lxm_parse_u64(optarg, 86400 * 365, &v) < 0)
				lxm_tool_usage_error(&t, "invalid timeout '%s' (seconds, or -1 for none)", optarg);
			timeout_ms = (int64_t)v * 1000;
			break;
		default:
			lxm_tool_usage_error(&t, "invalid option");
		}
	}
	if (optind < argc)
		lxm_tool_usage_error(&t, "unexpected argument '%s'", argv[optind]);
	if (!wanted)
		lxm_tool_usage_error(&t, "missing state, use -s STATE");
	lxm_tool_setup(&t, true);
	r = lxm_container_wait(&t.paths, t.name, wanted, timeout_ms, NULL, &err);
	r = r < 0 ? lxm_tool_fail(&t, &err) : 0;
	lxm_tool_end(&t);
	return r;
}
