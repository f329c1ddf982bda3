/* What every lxm-* command shares: the common options (-n -P -q -l -o -h
 * --version), logging set-up and the one-line error format
 * "lxm-start: web1: mounting proc: Permission denied". */
#pragma once

#include <getopt.h>

#include "error.h"
#include "log.h"
#include "state.h"

enum {
	LXM_OPT_VERSION = 0x1000,
	LXM_OPT_TOOL_BASE = 0x1100,   /* tool-specific long-only options from here */
};

#define LXM_COMMON_SHORTOPTS "n:P:ql:o:h"
#define LXM_COMMON_LONGOPTS \
	{ "name", required_argument, NULL, 'n' }, \
	{ "lxmpath", required_argument, NULL, 'P' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "logpriority", required_argument, NULL, 'l' }, \
	{ "logfile", required_argument, NULL, 'o' }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, LXM_OPT_VERSION }

#define LXM_COMMON_HELP \
	"Common options:\n" \
	"  -n, --name=NAME        the container\n" \
	"  -P, --lxmpath=DIR      where containers live (default " LXM_DEFAULT_PATH ", or $LXM_PATH)\n" \
	"  -q, --quiet            print errors only\n" \
	"  -l, --logpriority=LVL  error, warn, info or debug (default warn)\n" \
	"  -o, --logfile=FILE     log to FILE instead of stderr\n" \
	"  -h, --help             this help\n" \
	"      --version          print the version\n"

struct lxm_tool {
	const char *prog;
	const char *usage;          /* full --help text */
	const char *name;
	const char *lxmpath;
	const char *logfile;
	enum lxm_log_level level;
	bool quiet;
	struct lxm_paths paths;
};

void lxm_tool_begin(struct lxm_tool *t, const char *prog, const char *usage);
/* Handle a common option; returns true when it was one. Exits on -h,
 * --version and bad values. */
bool lxm_tool_common_opt(struct lxm_tool *t, int opt, const char *arg);
/* After option parsing: logging and paths. need_name: -n is mandatory. */
void lxm_tool_setup(struct lxm_tool *t, bool need_name);
/* Print "prog: name: error" and return 1. */
int lxm_tool_fail(const struct lxm_tool *t, const struct lxm_error *err);
_Noreturn void lxm_tool_usage_error(const struct lxm_tool *t, const char *fmt, ...) _printf_(2, 3);
void lxm_tool_end(struct lxm_tool *t);
/* Print s as a JSON string literal on stdout. */
void lxm_tool_json_string(const char *s);
