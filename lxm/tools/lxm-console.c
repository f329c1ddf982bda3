/* lxm-console: the container's console or one of its ttys on this terminal,
 * through the monitor; or, with --log, the console's ring buffer. */
#include <ctype.h>

#include "common.h"
#include "console.h"
#include "container.h"

static const char usage[] =
	"Usage: lxm-console -n NAME [-t TTY] [-e CHAR] [--log]\n"
	"Connect this terminal to the container's console (or /dev/ttyN with -t N).\n"
	"Type Ctrl-a q to detach, Ctrl-a Ctrl-a to send a Ctrl-a.\n\n"
	"  -t, --tty=N            /dev/ttyN instead of /dev/console (0: the console)\n"
	"  -e, --escape=CHAR      escape with Ctrl-CHAR instead of Ctrl-a (a letter)\n"
	"      --log              print the console's recent output and exit\n";

enum { OPT_LOG = LXM_OPT_TOOL_BASE };

static int print_log(struct lxm_tool *t, struct lxm_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = lxm_container_console_log(&t->paths, t->name, &buf, &len, err);

	if (r < 0)
		return r;
	if (len && lxm_write_full(STDOUT_FILENO, buf, len) < 0)
		return lxm_error_set(err, errno, "writing the console log");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		LXM_COMMON_LONGOPTS,
		{ "tty", required_argument, NULL, 't' },
		{ "escape", required_argument, NULL, 'e' },
		{ "log", no_argument, NULL, OPT_LOG },
		{ 0 }
	};
	struct lxm_console_client c = { .sock = -1, .in_fd = STDIN_FILENO, .out_fd = STDOUT_FILENO };
	struct lxm_error err = { 0 };
	struct lxm_tool t;
	char esc = 'a';
	bool stopped = false;
	unsigned tty = 0;
	bool log = false;
	int opt, r;

	lxm_tool_begin(&t, "lxm-console", usage);
	while ((opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS "t:e:", opts, NULL)) != -1) {
		uint64_t v;

		if (lxm_tool_common_opt(&t, opt, optarg))
			continue;
		switch (opt) {
		case 't':
			if (lxm_parse_u64(optarg, LXM_CMD_TTY_MAX, &v) < 0)
				lxm_tool_usage_error(&t, "invalid tty '%s' (0 to %d)", optarg, LXM_CMD_TTY_MAX);
			tty = (unsigned)v;
			break;
		case 'e': {
			/* "x", or "^x" as it is printed */
			const char *s = optarg[0] == '^' ? optarg + 1 : optarg;

			if (!isalpha((unsigned char)s[0]) || s[1])
				lxm_tool_usage_error(&t, "invalid escape character '%s' (a letter)", optarg);
			esc = (char)tolower((unsigned char)s[0]);
			break;
		}
		case OPT_LOG:
			log = true;
			break;
		default:
			lxm_tool_usage_error(&t, "invalid option");
		}
	}
	if (optind < argc)
		lxm_tool_usage_error(&t, "unexpected argument '%s'", argv[optind]);
	lxm_tool_setup(&t, true);
	if (log) {
		r = print_log(&t, &err);
		r = r < 0 ? lxm_tool_fail(&t, &err) : 0;
		goto out;
	}
	c.escape = (unsigned char)(esc - 'a' + 1);
	c.sock = lxm_container_console_open(&t.paths, t.name, tty, &err);
	if (c.sock < 0) {
		r = lxm_tool_fail(&t, &err);
		goto out;
	}
	if (!t.quiet)
		fprintf(stderr, "\nConnected to tty %u\n"
			"Type <Ctrl %c q> to exit the console, <Ctrl %c Ctrl %c> to enter Ctrl %c itself\n",
			tty, esc, esc, esc, esc);
	r = lxm_console_client_run(&c, &err);
	if (r == LXM_CONSOLE_ENDED) {
		struct lxm_container_info info;
		struct lxm_error qerr = { 0 };

		/* the stream ends when the container stops; a monitor killed
		 * under a running container takes the console with it, and
		 * that is no normal end */
		r = 0;
		if (lxm_container_query(&t.paths, t.name, &info, &qerr) == 0 &&
		    info.state != LXM_STATE_STOPPED && !info.monitor_alive) {
			lxm_error_setr(&err, EPIPE, "the console ended: the container's monitor is gone "
				       "(init %d runs on without a console)", (int)info.init_pid);
			r = -EPIPE;
		} else if (!t.quiet) {
			/* as the banner said whom we were connected to */
			fprintf(stderr, "\n%s: %s: the container stopped\n", t.prog, t.name);
			stopped = true;
		}
	}
	if (r < 0)
		r = lxm_tool_fail(&t, &err);
	else if (r == 0 && !stopped && !t.quiet && isatty(STDERR_FILENO))
		fputc('\n', stderr);
	close(c.sock);
out:
	lxm_tool_end(&t);
	return r;
}
