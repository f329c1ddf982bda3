#include "archive.h"
#include "common.h"

static const char usage[] =
	"Usage: lxm-export -n NAME [-o FILE]\n"
	"Write a stopped container's rootfs, with its config as metadata, to a\n"
	"compressed tarball that lxm-create -t archive imports anywhere (owners\n"
	"are written as the container sees them).\n\n"
	"  -o, --output=FILE      the archive (default NAME.tar.zst); the compression\n"
	"                         follows the name: .tar.zst, .tar.gz/.tgz, .tar.xz, .tar;\n"
	"                         '-' writes zstd to stdout\n"
	"      --logfile=FILE     log to FILE (-o is the output here)\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		LXM_COMMON_LONGOPTS,
		{ "output", required_argument, NULL, 'O' },
		{ 0 }
	};
	struct lxm_error err = { 0 };
	struct lxm_tool t;
	_cleanup_free_ char *deflt = NULL;
	const char *output = NULL;
	int opt, r;

	lxm_tool_begin(&t, "lxm-export", usage);
	for (;;) {
		int idx = -1;

		opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS, opts, &idx);
		if (opt == -1)
			break;
		/* -o is the output file here; the log file is --logfile */
		if (opt == 'O' || (opt == 'o' && !(idx >= 0 && streq(opts[idx].name, "logfile")))) {
			output = optarg;
			continue;
		}
		if (lxm_tool_common_opt(&t, opt, optarg))
			continue;
		lxm_tool_usage_error(&t, "invalid option");
	}
	if (optind < argc)
		lxm_tool_usage_error(&t, "unexpected argument '%s'", argv[optind]);
	lxm_tool_setup(&t, true);
	if (!output) {
		deflt = lxm_strdup_printf("%s.tar.zst", t.name);
		output = deflt;
	}
	r = lxm_container_export(&t.paths, t.name, output, &err);
	r = r < 0 ? lxm_tool_fail(&t, &err) : 0;
	lxm_tool_end(&t);
	return r;
}
