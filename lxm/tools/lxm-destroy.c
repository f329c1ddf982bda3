#include "common.h"
#include "container.h"

static const char usage[] =
	"Usage: lxm-destroy -n NAME [-f]\n"
	"Delete a container: its config, rootfs and logs. Never follows a symlink\n"
	"or enters another mount out of the container's directory.\n\n"
	"  -f, --force            stop (kill) it first if it runs\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		LXM_COMMON_LONGOPTS,
		{ "force", no_argument, NULL, 'f' },
		{ 0 }
	};
	struct lxm_error err = { 0 };
	struct lxm_tool t;
	bool force = false;
	int opt, r;

	lxm_tool_begin(&t, "lxm-destroy", usage);
	while ((opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS "f", opts, NULL)) != -1) {
		if (lxm_tool_common_opt(&t, opt, optarg))
			continue;
		if (opt == 'f')
			force = true;
		else
			lxm_tool_usage_error(&t, "invalid option");
	}
	if (optind < argc)
		lxm_tool_usage_error(&t, "unexpected argument '%s'", argv[optind]);
	lxm_tool_setup(&t, true);
	r = lxm_container_destroy(&t.paths, t.name, force, &err);
	r = r < 0 ? lxm_tool_fail(&t, &err) : 0;
	lxm_tool_end(&t);
	return r;
}
