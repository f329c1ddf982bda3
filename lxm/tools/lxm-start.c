#include "common.h"
#include "start.h"

static const char usage[] =
	"Usage: lxm-start -n NAME [-F] [-f CONF] [-s KEY=VALUE]...\n"
	"Boot a container. Returns once its init runs (state RUNNING), or fails with\n"
	"the step that went wrong.\n\n"
	"  -F, --foreground       stay in the foreground, console on this terminal\n"
	"  -d, --daemon           run in the background (the default)\n"
	"  -f, --rcfile=FILE      read this config file over the container's own\n"
	"  -s, --define=KEY=VAL   override one config key (e.g. limits.memory=256M)\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		LXM_COMMON_LONGOPTS,
		{ "foreground", no_argument, NULL, 'F' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "rcfile", required_argument, NULL, 'f' },
		{ "define", required_argument, NULL, 's' },
		{ 0 }
	};
	struct lxm_start_opts sopts = { 0 };
	struct lxm_error err = { 0 };
	struct lxm_tool t;
	char **overrides;
	int opt, r;

	/* before lxm opens anything (the -o log file, the lock) */
	lxm_start_close_inherited_fds();
	overrides = calloc((size_t)argc, sizeof(char *));
	if (!overrides)
		return 1;
	lxm_tool_begin(&t, "lxm-start", usage);
	while ((opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS "Fdf:s:", opts, NULL)) != -1) {
		if (lxm_tool_common_opt(&t, opt, optarg))
			continue;
		switch (opt) {
		case 'F':
			sopts.foreground = true;
			break;
		case 'd':
			sopts.foreground = false;
			break;
		case 'f':
			sopts.conf_file = optarg;
			break;
		case 's':
			overrides[sopts.n_overrides++] = optarg;
			break;
		default:
			lxm_tool_usage_error(&t, "invalid option");
		}
	}
	if (optind < argc)
		lxm_tool_usage_error(&t, "unexpected argument '%s'", argv[optind]);
	lxm_tool_setup(&t, true);
	sopts.overrides = overrides;
	sopts.log_file = t.logfile;
	sopts.log_level = t.level;
	r = lxm_start(&t.paths, t.name, &sopts, &err);
	r = r < 0 ? lxm_tool_fail(&t, &err) : 0;
	free(overrides);
	lxm_tool_end(&t);
	return r;
}
