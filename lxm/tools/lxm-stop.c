#include "common.h"
#include "container.h"

static const char usage[] =
	"Usage: lxm-stop -n NAME [-t SECS] [-k] [-r]\n"
	"Stop a container: its init's halt signal, then SIGKILL after the timeout.\n"
	"Stopping a stopped container succeeds.\n\n"
	"  -t, --timeout=SECS     wait this long before SIGKILL (default: init.stop_timeout)\n"
	"  -k, --kill             SIGKILL now\n"
	"  -r, --reboot           reboot instead\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		LXM_COMMON_LONGOPTS,
		{ "timeout", required_argument, NULL, 't' },
		{ "kill", no_argument, NULL, 'k' },
		{ "reboot", no_argument, NULL, 'r' },
		{ 0 }
	};
	enum lxm_stop_mode mode = LXM_STOP_HALT;
	struct lxm_error err = { 0 };
	struct lxm_tool t;
	int timeout = -1;
	int opt, r;

	lxm_tool_begin(&t, "lxm-stop", usage);
	while ((opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS "t:kr", opts, NULL)) != -1) {
		uint64_t v;

		if (lxm_tool_common_opt(&t, opt, optarg))
			continue;
		switch (opt) {
		case 't':
			if (lxm_parse_u64(optarg, 86400, &v) < 0)
				lxm_tool_usage_error(&t, "invalid timeout '%s' (seconds, 0-86400)", optarg);
			timeout = (int)v;
			break;
		case 'k':
			mode = LXM_STOP_KILL;
			break;
		case 'r':
			mode = LXM_STOP_REBOOT;
			break;
		default:
			lxm_tool_usage_error(&t, "invalid option");
		}
	}
	if (optind < argc)
		lxm_tool_usage_error(&t, "unexpected argument '%s'", argv[optind]);
	lxm_tool_setup(&t, true);
	r = lxm_container_stop(&t.paths, t.name, mode, timeout, &err);
	r = r < 0 ? lxm_tool_fail(&t, &err) : 0;
	lxm_tool_end(&t);
	return r;
}
