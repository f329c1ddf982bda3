#include "attach.h"
#include "common.h"

static const char usage[] =
	"Usage: lxm-attach -n NAME [-u UID] [-g GID] [--cwd DIR] [--clear-env|--keep-env]\n"
	"                  [-v VAR=VAL]... [-- COMMAND [ARG]...]\n"
	"Run a command inside a running container: all its namespaces, its cgroup\n"
	"and its capability set. Without a command, the user's login shell. With a\n"
	"terminal on stdin the command gets a pty of the container's own. Exits with\n"
	"the command's status (128+N when killed by signal N).\n\n"
	"  -u, --uid=UID          user inside the container (default 0)\n"
	"  -g, --gid=GID          group inside the container (default: the user's)\n"
	"      --cwd=DIR          working directory (default: the user's home)\n"
	"      --clear-env        start from a clean environment (the default)\n"
	"      --keep-env         keep this environment\n"
	"  -v, --set-var=VAR=VAL  set a variable (repeatable)\n"
	"      --pty / --no-pty   force or refuse a pty (default: when stdin is a tty)\n";

enum { OPT_CWD = LXM_OPT_TOOL_BASE, OPT_CLEAR_ENV, OPT_KEEP_ENV, OPT_PTY, OPT_NO_PTY };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		LXM_COMMON_LONGOPTS,
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "cwd", required_argument, NULL, OPT_CWD },
		{ "clear-env", no_argument, NULL, OPT_CLEAR_ENV },
		{ "keep-env", no_argument, NULL, OPT_KEEP_ENV },
		{ "set-var", required_argument, NULL, 'v' },
		{ "pty", no_argument, NULL, OPT_PTY },
		{ "no-pty", no_argument, NULL, OPT_NO_PTY },
		{ 0 }
	};
	struct lxm_attach_opts aopts = { .gid = (gid_t)-1, .use_pty = -1 };
	struct lxm_error err = { 0 };
	struct lxm_tool t;
	char **vars = calloc((size_t)argc + 1, sizeof(char *));
	size_t n_vars = 0;
	int opt, r;

	if (!vars)
		return 1;
	lxm_tool_begin(&t, "lxm-attach", usage);
	/* "+": stop at the first non-option, the command is the rest */
	while ((opt = getopt_long(argc, argv, "+" LXM_COMMON_SHORTOPTS "u:g:v:", opts, NULL)) != -1) {
		uint64_t v;

		if (lxm_tool_common_opt(&t, opt, optarg))
			continue;
		switch (opt) {
		case 'u':
			if (lxm_parse_u64(optarg, UINT32_MAX - 1, &v) < 0)
				lxm_tool_usage_error(&t, "invalid uid '%s'", optarg);
			aopts.uid = (uid_t)v;
			break;
		case 'g':
			if (lxm_parse_u64(optarg, UINT32_MAX - 1, &v) < 0)
				lxm_tool_usage_error(&t, "invalid gid '%s'", optarg);
			aopts.gid = (gid_t)v;
			break;
		case OPT_CWD:
			aopts.cwd = optarg;
			break;
		case OPT_CLEAR_ENV:
			aopts.keep_env = false;
			break;
		case OPT_KEEP_ENV:
			aopts.keep_env = true;
			break;
		case 'v':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				lxm_tool_usage_error(&t, "invalid variable '%s', expected VAR=VALUE", optarg);
			vars[n_vars++] = optarg;
			break;
		case OPT_PTY:
			aopts.use_pty = 1;
			break;
		case OPT_NO_PTY:
			aopts.use_pty = 0;
			break;
		default:
			lxm_tool_usage_error(&t, "invalid option");
		}
	}
	lxm_tool_setup(&t, true);
	aopts.argv = optind < argc ? argv + optind : NULL;
	aopts.extra_env = vars;
	r = lxm_attach(&t.paths, t.name, &aopts, &err);
	if (r < 0)
		r = lxm_tool_fail(&t, &err);
	else if (err.code)
		(void)lxm_tool_fail(&t, &err);   /* not executed: 126 or 127 */
	free(vars);
	lxm_tool_end(&t);
	return r;
}
