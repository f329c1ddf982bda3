#include "common.h"
#include "container.h"

enum { OPT_NOKILL = LXM_OPT_TOOL_BASE };

static const char usage[] =
	"Usage: lxm-stop -n NAME [-t SECS] [--nokill | -k | -r]\n"
	"Stop a container: its init's halt signal, then SIGKILL after the timeout.\n"
	"Stopping a stopped container succeeds.\n\n"
	"  -t, --timeout=SECS     wait this long before SIGKILL (default: init.stop_timeout;\n"
	"                         -1: wait for the halt forever; 0: SIGKILL at once)\n"
	"      --nokill           never SIGKILL: fail, the container running on, when it\n"
	"                         has not halted in time (-t 0: send the signal, do not wait)\n"
	"  -k, --kill             SIGKILL now\n"
	"  -r, --reboot           reboot instead, and wait until it runs again (-t: this long at\n"
	"                         most, default init.stop_timeout; 0: do not wait; -1: no limit)\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		LXM_COMMON_LONGOPTS,
		{ "timeout", required_argument, NULL, 't' },
		{ "kill", no_argument, NULL, 'k' },
		{ "reboot", no_argument, NULL, 'r' },
		{ "nokill", no_argument, NULL, OPT_NOKILL },
		{ 0 }
	};
	enum lxm_stop_mode mode = LXM_STOP_HALT;
	struct lxm_error err = { 0 };
	struct lxm_tool t;
	int timeout = LXM_STOP_TIMEOUT_DEFAULT;
	bool kill = false, reboot = false, nokill = false, have_timeout = false;
	int opt, r;

	lxm_tool_begin(&t, "lxm-stop", usage);
	while ((opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS "t:kr", opts, NULL)) != -1) {
		uint64_t v;

		if (lxm_tool_common_opt(&t, opt, optarg))
			continue;
		switch (opt) {
		case 't':
			if (streq(optarg, "-1"))
				timeout = LXM_STOP_TIMEOUT_FOREVER;
			else if (lxm_parse_u64(optarg, 86400, &v) < 0)
				lxm_tool_usage_error(&t, "invalid timeout '%s' (seconds, 0-86400, or -1: no limit)",
						     optarg);
			else
				timeout = (int)v;
			have_timeout = true;
			break;
		case 'k':
			kill = true;
			break;
		case 'r':
			reboot = true;
			break;
		case OPT_NOKILL:
			nokill = true;
			break;
		default:
			lxm_tool_usage_error(&t, "invalid option");
		}
	}
	if (optind < argc)
		lxm_tool_usage_error(&t, "unexpected argument '%s'", argv[optind]);
	/* one way to stop: none of them wins over another given with it */
	if (kill + reboot + nokill > 1)
		lxm_tool_usage_error(&t, "%s and %s do not go together", kill ? "-k" : "-r",
				     nokill ? "--nokill" : "-r");
	/* -k -t 0, as lxc-stop takes it (a kill is a stop with no wait) */
	if (have_timeout && kill && timeout != 0)
		lxm_tool_usage_error(&t, "-t has no meaning with -k (it kills at once)");
	if (kill)
		mode = LXM_STOP_KILL;
	else if (reboot)
		mode = LXM_STOP_REBOOT;
	else if (nokill)
		mode = LXM_STOP_NOKILL;
	lxm_tool_setup(&t, true);
	r = lxm_container_stop(&t.paths, t.name, mode, timeout, &err);
	r = r < 0 ? lxm_tool_fail(&t, &err) : 0;
	lxm_tool_end(&t);
	return r;
}
