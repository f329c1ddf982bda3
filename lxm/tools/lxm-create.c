#include <signal.h>

#include "common.h"
#include "container.h"
#include "template.h"

static const char usage[] =
	"Usage: lxm-create -n NAME -t TEMPLATE [-f CONF] [--privileged] [-- TEMPLATE ARGS]\n"
	"Create a container: its rootfs (built by TEMPLATE) and config.\n"
	"An interrupted or failed create leaves nothing behind.\n\n"
	"  -t, --template=T       a template of the list below, archive (-- --file ARCHIVE),\n"
	"                         or none (the rootfs is supplied by you); with -h: its options\n"
	"  -f, --config=FILE      config read over " LXM_DEFAULT_CONFDIR "/default.conf\n"
	"      --privileged       no user namespace (root inside is root outside)\n";

enum { OPT_PRIVILEGED = LXM_OPT_TOOL_BASE };

/* -h: our options, then the templates there are, or with -t the
 * template's own options (as "lxc-create -t T -h" shows them) */
static int help(const char *template)
{
	struct lxm_error err = { 0 };
	_cleanup_strv_ char **names = NULL;
	_cleanup_free_ char *path = NULL;
	size_t n = 0;
	int r;

	fputs(usage, stdout);
	fputs(LXM_COMMON_HELP, stdout);
	if (template && streq(template, "archive")) {
		printf("\nOptions of the template 'archive' (after --):\n"
		       "  --file=ARCHIVE|DIR|-   a tar or cpio archive, compressed or not (gzip, xz,\n"
		       "                         zstd, ...), such as lxm-export writes; '-': read it\n"
		       "                         from standard input; or a directory to copy\n");
		return 0;
	}
	if (template && streq(template, "none")) {
		printf("\nThe template 'none' takes no options: the container gets an empty rootfs\n"
		       "directory, for you to fill before its first start.\n");
		return 0;
	}
	if (template) {
		r = lxm_template_find(template, &path, &err);
		if (r >= 0) {
			printf("\nOptions of the template '%s' (after --):\n", template);
			r = lxm_template_help(path, &err);
		}
	} else {
		r = lxm_template_list(&names, &n, &err);
		if (r >= 0) {
			printf("\nTemplates: ");
			for (size_t i = 0; i < n; i++)
				printf("%s, ", names[i]);
			printf("archive, none (%s'%s')\n'lxm-create -t TEMPLATE -h' shows a template's own options.\n",
			       n ? "the first ones in " : "none more in ", lxm_template_dir());
		}
	}
	if (r < 0) {
		char text[LXM_ERROR_MSG_MAX + 64];

		fflush(stdout);
		fprintf(stderr, "lxm-create: %s\n", lxm_error_text(&err, text, sizeof(text)));
		return 1;
	}
	return 0;
}

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
	bool want_help = false;
	struct sigaction sa = { .sa_handler = on_signal };
	int opt, r;

	lxm_tool_begin(&t, "lxm-create", usage);
	while ((opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS "t:f:", opts, NULL)) != -1) {
		if (opt == 'h') {
			want_help = true;
			continue;
		}
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
	if (want_help)
		return help(copts.template);
	lxm_tool_setup(&t, true);
	if (!copts.template)
		lxm_tool_usage_error(&t, "missing template, use -t TEMPLATE (-h lists them)");
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
