#include <regex.h>

#include "common.h"
#include "container.h"
#include "net.h"

static const char usage[] =
	"Usage: lxm-ls [-f|-1] [--running|--stopped|--frozen] [-g GROUPS] [--json] [FILTER]\n"
	"List containers, those whose name matches the regular expression FILTER.\n\n"
	"  -f, --fancy            a table: NAME STATE AUTOSTART GROUPS IPV4 IPV6 UNPRIVILEGED\n"
	"  -1, --line             one name a line\n"
	"      --running          running (and frozen) containers only\n"
	"      --stopped          stopped containers only\n"
	"      --frozen           frozen containers only\n"
	"  -g, --groups=GROUPS    containers in every one of these (comma-separated) groups\n"
	"      --json             a JSON array of objects\n";

enum { OPT_RUNNING = LXM_OPT_TOOL_BASE, OPT_STOPPED, OPT_FROZEN, OPT_JSON };

struct row {
	char *name;
	const char *state;
	bool autostart;
	char *groups;              /* "web,db", or NULL */
	bool unprivileged;
	bool no_config;            /* unreadable: AUTOSTART, GROUPS, UNPRIVILEGED unknown */
	struct lxm_net_addrs addrs;
};

/* every group of the comma-separated list want is one of conf's */
static bool in_groups(const struct lxm_config *conf, const char *want)
{
	_cleanup_free_ char *copy = strdup(want);
	char *save = NULL;

	if (!copy)
		return false;
	for (char *g = strtok_r(copy, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
		bool found = false;

		for (size_t i = 0; i < conf->autostart.n_groups && !found; i++)
			found = streq(conf->autostart.groups[i], g);
		if (!found)
			return false;
	}
	return true;
}

/* "10.0.3.10, 10.0.3.11" or "-"; JSON: ["10.0.3.10", "10.0.3.11"] */
static void print_addrs(char (*a)[INET6_ADDRSTRLEN], size_t n, bool json, int width)
{
	char buf[LXM_NET_ADDRS_MAX * (INET6_ADDRSTRLEN + 2)] = "";
	size_t off = 0;

	if (json) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s\"%s\"", i ? ", " : "", a[i]);
		printf("]");
		return;
	}
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? ", " : "", a[i]);
	printf("%-*s", width, n ? buf : "-");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		LXM_COMMON_LONGOPTS,
		{ "fancy", no_argument, NULL, 'f' },
		{ "line", no_argument, NULL, '1' },
		{ "running", no_argument, NULL, OPT_RUNNING },
		{ "stopped", no_argument, NULL, OPT_STOPPED },
		{ "frozen", no_argument, NULL, OPT_FROZEN },
		{ "groups", required_argument, NULL, 'g' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ 0 }
	};
	bool fancy = false, running = false, stopped = false, frozen = false, json = false;
	bool line = false;
	const char *groups = NULL, *filter = NULL;
	regex_t re;
	struct lxm_tool t;
	struct row *rows = NULL;
	size_t n_rows = 0, n_names = 0;
	char **names = NULL;
	int opt, r, ret = 0;

	lxm_tool_begin(&t, "lxm-ls", usage);
	while ((opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS "f1g:", opts, NULL)) != -1) {
		if (lxm_tool_common_opt(&t, opt, optarg))
			continue;
		switch (opt) {
		case 'f':
			fancy = true;
			break;
		case '1':
			line = true;
			break;
		case OPT_RUNNING:
			running = true;
			break;
		case OPT_STOPPED:
			stopped = true;
			break;
		case OPT_FROZEN:
			frozen = true;
			break;
		case 'g':
			groups = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			lxm_tool_usage_error(&t, "invalid option");
		}
	}
	if (optind < argc)
		filter = argv[optind++];
	if (optind < argc)
		lxm_tool_usage_error(&t, "unexpected argument '%s'", argv[optind]);
	if (filter && (r = regcomp(&re, filter, REG_EXTENDED | REG_NOSUB)) != 0) {
		char msg[128];

		regerror(r, &re, msg, sizeof(msg));
		lxm_tool_usage_error(&t, "invalid filter '%s': %s", filter, msg);
	}
	lxm_tool_setup(&t, false);
	r = lxm_container_list(&t.paths, &names, &n_names);
	if (r < 0) {
		struct lxm_error err = { 0 };
		lxm_error_set(&err, -r, "listing '%s'", t.paths.lxmpath);
		r = lxm_tool_fail(&t, &err);
		lxm_tool_end(&t);
		return r;
	}
	rows = calloc(n_names + 1, sizeof(*rows));
	if (!rows)
		return 1;
	for (size_t i = 0; i < n_names; i++) {
		struct lxm_container_info info;
		struct lxm_config conf = { 0 };
		struct lxm_error err = { 0 };
		struct row *row = &rows[n_rows];
		bool have_conf;

		if (filter && regexec(&re, names[i], 0, NULL, 0) != 0)
			continue;
		if (lxm_container_query(&t.paths, names[i], &info, &err) < 0) {
			/* destroyed since the listing: gone, not an error */
			if (err.code == ENOENT)
				continue;
			/* say so rather than leave it out (permission denied) */
			t.name = names[i];
			ret = lxm_tool_fail(&t, &err);
			t.name = NULL;
			continue;
		}
		if (running && info.state == LXM_STATE_STOPPED)
			continue;
		if (stopped && info.state != LXM_STATE_STOPPED)
			continue;
		if (frozen && info.state != LXM_STATE_FROZEN)
			continue;
		have_conf = lxm_container_load_config(&t.paths, names[i], &conf, &err) == 0;
		if (!have_conf) {
			char text[LXM_ERROR_MSG_MAX + 256];

			/* a broken config: its fields are unknown, not "false" */
			log_warn("%s: %s", names[i], lxm_error_text(&err, text, sizeof(text)));
		}
		if (groups && (!have_conf || !in_groups(&conf, groups))) {
			lxm_config_free(&conf);
			continue;
		}
		row->name = names[i];
		row->state = lxm_state_to_string(info.state);
		row->no_config = !have_conf;
		if ((fancy || json) && info.state != LXM_STATE_STOPPED && info.init_pid > 0)
			(void)lxm_net_query_addrs(info.init_pid, &row->addrs, &err);
		row->groups = NULL;
		if (have_conf) {
			size_t len = 0;

			row->autostart = conf.autostart.enabled;
			row->unprivileged = conf.n_idmaps > 0;
			for (size_t g = 0; g < conf.autostart.n_groups; g++)
				len += strlen(conf.autostart.groups[g]) + 1;
			row->groups = len ? calloc(1, len) : NULL;
			for (size_t g = 0; row->groups && g < conf.autostart.n_groups; g++) {
				if (g)
					strcat(row->groups, ",");
				strcat(row->groups, conf.autostart.groups[g]);
			}
		}
		lxm_config_free(&conf);
		n_rows++;
	}
	if (filter)
		regfree(&re);
	if (json) {
		printf("[");
		for (size_t i = 0; i < n_rows; i++) {
			printf("%s{\"name\": ", i ? ", " : "");
			lxm_tool_json_string(rows[i].name);
			printf(", \"state\": \"%s\", \"autostart\": %s, \"groups\": ", rows[i].state,
			       rows[i].no_config ? "null" : rows[i].autostart ? "true" : "false");
			if (rows[i].no_config)
				printf("null");
			else
				lxm_tool_json_string(rows[i].groups ? rows[i].groups : "");
			printf(", \"ipv4\": ");
			print_addrs(rows[i].addrs.ipv4, rows[i].addrs.n_ipv4, true, 0);
			printf(", \"ipv6\": ");
			print_addrs(rows[i].addrs.ipv6, rows[i].addrs.n_ipv6, true, 0);
			printf(", \"unprivileged\": %s}",
			       rows[i].no_config ? "null" : rows[i].unprivileged ? "true" : "false");
		}
		printf("]\n");
	} else if (fancy && n_rows) {   /* as lxc-ls -f: no containers, no header */
		int w = 4;
		for (size_t i = 0; i < n_rows; i++)
			w = MAX(w, (int)strlen(rows[i].name));
		printf("%-*s %-8s %-9s %-6s %-15s %-4s %s\n", w, "NAME", "STATE", "AUTOSTART", "GROUPS",
		       "IPV4", "IPV6", "UNPRIVILEGED");
		for (size_t i = 0; i < n_rows; i++) {
			const char *g = rows[i].groups ? rows[i].groups : "-";
			const char *a = rows[i].no_config ? "-" : rows[i].autostart ? "1" : "0";

			/* a long list is cut in the table, whole in --json */
			if (strlen(g) > 255)
				printf("%-*s %-8s %-9s %.252s... ", w, rows[i].name, rows[i].state, a, g);
			else
				printf("%-*s %-8s %-9s %-6s ", w, rows[i].name, rows[i].state, a, g);
			print_addrs(rows[i].addrs.ipv4, rows[i].addrs.n_ipv4, false, 15);
			printf(" ");
			print_addrs(rows[i].addrs.ipv6, rows[i].addrs.n_ipv6, false, 4);
			printf(" %s\n", rows[i].no_config ? "-" : rows[i].unprivileged ? "true" : "false");
		}
	} else {
		for (size_t i = 0; i < n_rows; i++)
			printf("%s%s", i ? (line ? "\n" : " ") : "", rows[i].name);
		if (n_rows)
			printf("\n");
	}
	for (size_t i = 0; i < n_rows; i++)
		free(rows[i].groups);
	free(rows);
	lxm_strv_free(names, n_names);
	lxm_tool_end(&t);
	return ret;
}
