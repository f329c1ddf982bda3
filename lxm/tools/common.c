#include "common.h"

void lxm_tool_begin(struct lxm_tool *t, const char *prog, const char *usage)
{
	memset(t, 0, sizeof(*t));
	t->prog = prog;
	t->usage = usage;
	t->level = LXM_LOG_WARN;
	lxm_log_open(prog, LXM_LOG_WARN, NULL);
}

bool lxm_tool_common_opt(struct lxm_tool *t, int opt, const char *arg)
{
	switch (opt) {
	case 'n':
		t->name = arg;
		return true;
	case 'P':
		t->lxmpath = arg;
		return true;
	case 'q':
		t->quiet = true;
		return true;
	case 'l':
		if (lxm_log_parse_level(arg, &t->level) < 0)
			lxm_tool_usage_error(t, "invalid log level '%s' (error, warn, info, debug)", arg);
		return true;
	case 'o':
		t->logfile = arg;
		return true;
	case 'h':
		fputs(t->usage, stdout);
		fputs(LXM_COMMON_HELP, stdout);
		exit(0);
	case LXM_OPT_VERSION:
		printf("%s %s\n", t->prog, PACKAGE_VERSION);
		exit(0);
	default:
		return false;
	}
}

void lxm_tool_usage_error(const struct lxm_tool *t, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", t->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s --help')\n", t->prog);
	exit(1);
}

void lxm_tool_setup(struct lxm_tool *t, bool need_name)
{
	int r;

	if (t->quiet)
		t->level = LXM_LOG_ERROR;
	if (t->logfile) {
		r = lxm_log_open(t->prog, t->level, t->logfile);
		if (r < 0) {
			fprintf(stderr, "%s: opening log file '%s': %s\n", t->prog, t->logfile, strerror(-r));
			exit(1);
		}
	} else {
		lxm_log_set_level(t->level);
	}
	if (need_name && !t->name)
		lxm_tool_usage_error(t, "missing container name, use -n NAME");
	if (need_name) {
		struct lxm_error err = { 0 };

		if (lxm_name_validate(t->name, &err) < 0) {
			t->name = NULL;   /* the message names it already */
			exit(lxm_tool_fail(t, &err));
		}
	}
	r = lxm_paths_init(&t->paths, t->lxmpath);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", t->prog, strerror(-r));
		exit(1);
	}
}

int lxm_tool_fail(const struct lxm_tool *t, const struct lxm_error *err)
{
	char text[LXM_ERROR_MSG_MAX + 256];

	lxm_error_text(err, text, sizeof(text));
	/* errors always reach stderr, whatever the log file */
	if (t->name)
		fprintf(stderr, "%s: %s: %s\n", t->prog, t->name, text);
	else
		fprintf(stderr, "%s: %s\n", t->prog, text);
	if (t->logfile) {
		if (t->name)
			log_error("%s: %s", t->name, text);
		else
			log_error("%s", text);
	}
	return 1;
}

void lxm_tool_end(struct lxm_tool *t)
{
	lxm_paths_free(&t->paths);
	lxm_log_close();
}

void lxm_tool_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}
