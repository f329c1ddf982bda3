/* lxm-autostart: start, stop or list the autostart containers in order (the
 * boot and shutdown half of lxm.service). */
#include <sys/wait.h>
#include <time.h>

#include "autostart.h"
#include "common.h"
#include "container.h"
#include "start.h"

static const char usage[] =
	"Usage: lxm-autostart [-a] [-g GROUP]... [-A] [-L] [-s|-k|-r] [-t SECS]\n"
	"Start the autostart containers in order: autostart.order, lower first, then\n"
	"the name, waiting autostart.delay seconds after each. Without -a or -g: the\n"
	"autostart containers that are in no group. Running containers are skipped; a\n"
	"container that fails is reported and the others still start. Exits 0 only\n"
	"when every selected container runs.\n\n"
	"  -a, --all              every autostart container, in a group or not\n"
	"  -g, --groups=GROUP     the autostart containers in GROUP (repeatable, or a\n"
	"                         comma-separated list; an empty name: in no group),\n"
	"                         group by group in the order given\n"
	"  -A, --ignore-auto      also containers whose autostart is off\n"
	"  -L, --list             print what would be done, in order: NAME DELAY\n"
	"  -s, --shutdown         halt them cleanly, in reverse order, in parallel\n"
	"  -k, --kill             kill them (SIGKILL), in reverse order\n"
	"  -r, --reboot           reboot them, each waited for (as lxm-stop -r)\n"
	"  -t, --timeout=SECS     with -s: SIGKILL what is still running after SECS;\n"
	"                         with -r: wait that long for each reboot; -1: no\n"
	"                         limit (default: each container's init.stop_timeout)\n";

enum action { ACT_START, ACT_SHUTDOWN, ACT_KILL, ACT_REBOOT };

struct loaded {
	struct lxm_autostart_entry *e;
	struct lxm_config *confs;
	size_t n;
	bool failed;        /* a config did not load */
};

static void loaded_free(struct loaded *l)
{
	for (size_t i = 0; i < l->n; i++)
		lxm_config_free(&l->confs[i]);
	free(l->confs);
	free(l->e);
}

static int report(struct lxm_tool *t, const char *name, const struct lxm_error *err)
{
	const char *saved = t->name;

	t->name = name;
	lxm_tool_fail(t, err);
	t->name = saved;
	return 1;
}

/* Every container's autostart settings; one whose config does not load is
 * reported and left out. */
static int load_all(struct lxm_tool *t, char **names, size_t n, struct loaded *l)
{
	l->e = calloc(n + 1, sizeof(*l->e));
	l->confs = calloc(n + 1, sizeof(*l->confs));
	if (!l->e || !l->confs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct lxm_config *c = &l->confs[l->n];
		struct lxm_error err = { 0 };

		if (lxm_container_load_config(&t->paths, names[i], c, &err) < 0) {
			lxm_config_free(c);
			memset(c, 0, sizeof(*c));
			report(t, names[i], &err);
			l->failed = true;
			continue;
		}
		l->e[l->n] = (struct lxm_autostart_entry){
			.name = names[i],
			.enabled = c->autostart.enabled,
			.order = c->autostart.order,
			.delay = c->autostart.delay,
			.groups = c->autostart.groups,
			.n_groups = c->autostart.n_groups,
		};
		l->n++;
	}
	return 0;
}

static bool is_running(const struct lxm_tool *t, const char *name)
{
	struct lxm_container_info info;
	struct lxm_error err = { 0 };

	if (lxm_container_query(&t->paths, name, &info, &err) < 0)
		return false;
	return info.state != LXM_STATE_STOPPED;
}

static void sleep_s(uint32_t secs)
{
	struct timespec ts = { .tv_sec = secs };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int do_start(struct lxm_tool *t, const struct lxm_autostart_entry **plan, int n)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		const struct lxm_autostart_entry *e = plan[i];
		struct lxm_start_opts sopts = { .log_level = t->level };
		struct lxm_error err = { 0 };

		if (is_running(t, e->name)) {
			log_info("%s: already running, skipped", e->name);
			continue;
		}
		log_info("%s: starting", e->name);
		if (lxm_start(&t->paths, e->name, &sopts, &err) < 0) {
			failed += report(t, e->name, &err);
			continue;
		}
		log_info("%s: running", e->name);
		if (e->delay && i + 1 < n) {
			log_info("%s: waiting %u s before the next", e->name, e->delay);
			sleep_s(e->delay);
		}
	}
	return failed;
}

/* Stop (halt or kill) every running one at once, asking in reverse start
 * order: one child per container, each bounded by the timeout (the monitor
 * kills init when it passes), so the whole shutdown takes one timeout. */
static int do_stop(struct lxm_tool *t, const struct lxm_autostart_entry **plan, int n,
		   enum lxm_stop_mode mode, int timeout)
{
	pid_t *pids = calloc((size_t)n + 1, sizeof(pid_t));
	int failed = 0;

	if (!pids)
		return n ? n : 1;
	fflush(NULL);
	for (int i = 0; i < n; i++) {
		const char *name = plan[i]->name;

		if (!is_running(t, name))
			continue;
		log_info("%s: %s", name, mode == LXM_STOP_KILL ? "killing" : "stopping");
		pids[i] = fork();
		if (pids[i] < 0) {
			struct lxm_error err = { 0 };

			lxm_error_set(&err, errno, "forking");
			failed += report(t, name, &err);
			pids[i] = 0;
		} else if (pids[i] == 0) {
			struct lxm_error err = { 0 };
			int r = lxm_container_stop(&t->paths, name, mode, timeout, &err);

			if (r < 0)
				report(t, name, &err);
			fflush(NULL);
			_exit(r < 0 ? 1 : 0);
		}
	}
	for (int i = 0; i < n; i++) {
		int status;

		if (pids[i] <= 0)
			continue;
		while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
		else
			log_info("%s: stopped", plan[i]->name);
	}
	free(pids);
	return failed;
}

static int do_reboot(struct lxm_tool *t, const struct lxm_autostart_entry **plan, int n, int timeout)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		struct lxm_error err = { 0 };

		if (!is_running(t, plan[i]->name))
			continue;
		log_info("%s: rebooting", plan[i]->name);
		if (lxm_container_stop(&t->paths, plan[i]->name, LXM_STOP_REBOOT, timeout, &err) < 0)
			failed += report(t, plan[i]->name, &err);
	}
	return failed;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		LXM_COMMON_LONGOPTS,
		{ "all", no_argument, NULL, 'a' },
		{ "groups", required_argument, NULL, 'g' },
		{ "ignore-auto", no_argument, NULL, 'A' },
		{ "list", no_argument, NULL, 'L' },
		{ "shutdown", no_argument, NULL, 's' },
		{ "kill", no_argument, NULL, 'k' },
		{ "reboot", no_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ 0 }
	};
	struct lxm_autostart_select sel = { 0 };
	const struct lxm_autostart_entry **plan = NULL;
	struct loaded l = { 0 };
	enum action act = ACT_START;
	struct lxm_tool t;
	char **groups = NULL, **names = NULL;
	size_t n_groups = 0, n_names = 0;
	bool list = false, act_set = false;
	int timeout = LXM_STOP_TIMEOUT_DEFAULT, opt, n, r, failed = 0;

	/* the monitors it starts keep none of the caller's fds */
	lxm_start_close_inherited_fds();
	lxm_tool_begin(&t, "lxm-autostart", usage);
	while ((opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS "ag:ALskrt:", opts, NULL)) != -1) {
		uint64_t v;

		if (lxm_tool_common_opt(&t, opt, optarg))
			continue;
		switch (opt) {
		case 'a':
			sel.all = true;
			break;
		case 'g':
			if (lxm_autostart_parse_groups(optarg, &groups, &n_groups) < 0)
				return 1;
			break;
		case 'A':
			sel.ignore_auto = true;
			break;
		case 'L':
			list = true;
			break;
		case 's':
		case 'k':
		case 'r':
			if (act_set)
				lxm_tool_usage_error(&t, "-s, -k and -r exclude each other");
			act_set = true;
			act = opt == 's' ? ACT_SHUTDOWN : opt == 'k' ? ACT_KILL : ACT_REBOOT;
			break;
		case 't':
			/* -1 as lxm-stop and lxc-autostart take it */
			if (streq(optarg, "-1"))
				timeout = LXM_STOP_TIMEOUT_FOREVER;
			else if (lxm_parse_u64(optarg, 86400, &v) < 0)
				lxm_tool_usage_error(&t, "invalid timeout '%s' (seconds, 0-86400, or -1: no limit)", optarg);
			else
				timeout = (int)v;
			break;
		default:
			lxm_tool_usage_error(&t, "invalid option");
		}
	}
	if (optind < argc)
		lxm_tool_usage_error(&t, "unexpected argument '%s'", argv[optind]);
	if (t.name)
		lxm_tool_usage_error(&t, "takes no -n: it acts on the autostart containers");
	if (sel.all && n_groups)
		lxm_tool_usage_error(&t, "-a and -g exclude each other");
	lxm_tool_setup(&t, false);
	sel.groups = (const char *const *)groups;
	sel.n_groups = n_groups;

	r = lxm_container_list(&t.paths, &names, &n_names);
	if (r < 0) {
		fprintf(stderr, "lxm-autostart: listing '%s': %s\n", t.paths.lxmpath, strerror(-r));
		return 1;
	}
	if (load_all(&t, names, n_names, &l) < 0)
		return 1;
	n = lxm_autostart_plan(l.e, l.n, &sel, act == ACT_SHUTDOWN || act == ACT_KILL, &plan);
	if (n < 0)
		return 1;

	if (list) {
		for (int i = 0; i < n; i++)
			printf("%s %u\n", plan[i]->name, plan[i]->delay);
	} else if (act == ACT_START) {
		failed = do_start(&t, plan, n);
	} else if (act == ACT_REBOOT) {
		failed = do_reboot(&t, plan, n, timeout);
	} else {
		failed = do_stop(&t, plan, n, act == ACT_KILL ? LXM_STOP_KILL : LXM_STOP_HALT, timeout);
	}
	r = failed || l.failed ? 1 : 0;
	free(plan);
	loaded_free(&l);
	lxm_strv_free(names, n_names);
	lxm_strv_free(groups, n_groups);
	lxm_tool_end(&t);
	return r;
}
