#include <signal.h>

#include "common.h"
#include "container.h"
#include "template.h"

static const char usage[] =
	"Usage: lxm-create -n NAME -t TEMPLATE [-f CONF] [--privileged] [-- TEMPLATE ARGS]\n"
	"Create a container: its rootfs (built by TEMPLATE: busybox, none, ...) and config.\n"
	"An interrupted or failed create leaves nothing behind.\n\n"
	"  -t, --template=T       busybox, or none (the rootfs is supplied by you)\n"
	"  -f, --config=FILE      config read over " LXM_DEFAULT_CONFDIR "/default.conf\n"
	"      --privileged       no user namespace (root inside is root outside)\n";

enum { OPT_PRIVILEGED = LXM_OPT_TOOL_BASE };

static void on_signal(int sig)
{
	lxm_create_interrupted = sig;
	lxm_template_interrupted = sig;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		LXM_COMMON_LONGOPTS,
		{ "template", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'f' },
		{ "privileged", no_argument, NULL, OPT_PRIVILEGED },
		{ 0 }
	};
	struct lxm_create_opts copts = { 0 };
	struct lxm_error err = { 0 };
	struct lxm_tool t;
	struct sigaction sa = { .sa_handler = on_signal };
	int opt, r;

	lxm_tool_begin(&t, "lxm-create", usage);
	while ((opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS "t:f:", opts, NULL)) != -1) {
		if (lxm_tool_common_opt(&t, opt, optarg))
			continue;
		switch (opt) {
		case 't':
			copts.template = optarg;
			break;
		case 'f':
			copts.conf_file = optarg;
			break;
		case OPT_PRIVILEGED:
			copts.privileged = true;
			break;
		default:
			lxm_tool_usage_error(&t, "invalid option");
		}
	}
	lxm_tool_setup(&t, true);
	if (!copts.template)
		lxm_tool_usage_error(&t, "missing template, use -t busybox or -t none");
	copts.template_args = optind < argc ? argv + optind : NULL;

	/* no SA_RESTART: an interrupted wait for the template returns so the
	 * create can clean up */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	r = lxm_container_create(&t.paths, t.name, &copts, &err);
	if (r < 0 && lxm_create_interrupted) {
		int sig = lxm_create_interrupted;

		lxm_error_setr(&err, EINTR, "interrupted by signal %d, nothing was created", sig);
		lxm_tool_fail(&t, &err);
		lxm_tool_end(&t);
		signal(sig, SIG_DFL);
		raise(sig);
		return 1;
	}
	if (r < 0)
		r = lxm_tool_fail(&t, &err);
	else
		r = 0;
	lxm_tool_end(&t);
	return r;
}
