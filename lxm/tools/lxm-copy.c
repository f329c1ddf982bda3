#include <signal.h>

#include "common.h"
#include "container.h"
#include "copy.h"

static const char usage[] =
	"Usage: lxm-copy -n NAME -N NEWNAME [-s]\n"
	"Copy a stopped container: a full copy of its rootfs (reflinked where the\n"
	"filesystem can), or with -s a snapshot on overlayfs over its rootfs, which\n"
	"then stays the snapshot's read-only base: lxm-destroy refuses it and\n"
	"lxm-start mounts its rootfs read-only while the snapshot exists. The copy\n"
	"gets a new uuid, MAC addresses, hostname (also in its /etc/hostname) and\n"
	"id range, and autostart off. An interrupted copy leaves nothing behind.\n"
	"While it copies, lxm-start and lxm-destroy of NAME are refused.\n\n"
	"  -N, --newname=NAME     the new container\n"
	"  -s, --snapshot         overlayfs snapshot instead of a full copy\n";

static void on_signal(int sig)
{
	lxm_create_interrupted = sig;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		LXM_COMMON_LONGOPTS,
		{ "newname", required_argument, NULL, 'N' },
		{ "snapshot", no_argument, NULL, 's' },
		{ 0 }
	};
	struct lxm_copy_req req = { 0 };
	struct lxm_error err = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct lxm_tool t;
	const char *newname = NULL;
	int opt, r;

	lxm_tool_begin(&t, "lxm-copy", usage);
	while ((opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS "N:s", opts, NULL)) != -1) {
		if (lxm_tool_common_opt(&t, opt, optarg))
			continue;
		switch (opt) {
		case 'N':
			newname = optarg;
			break;
		case 's':
			req.snapshot = true;
			break;
		default:
			lxm_tool_usage_error(&t, "invalid option");
		}
	}
	if (optind < argc)
		lxm_tool_usage_error(&t, "unexpected argument '%s'", argv[optind]);
	lxm_tool_setup(&t, true);
	if (!newname)
		lxm_tool_usage_error(&t, "missing the new name, use -N NEWNAME");
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	r = lxm_container_copy(&t.paths, t.name, newname, &req, &err);
	if (r < 0 && lxm_create_interrupted)
		lxm_error_setr(&err, EINTR, "interrupted by signal %d, '%s' was not made", (int)lxm_create_interrupted, newname);
	r = r < 0 ? lxm_tool_fail(&t, &err) : 0;
	lxm_tool_end(&t);
	return r;
}
