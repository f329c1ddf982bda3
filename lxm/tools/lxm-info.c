#include <fcntl.h>

#include "common.h"
#include "container.h"
#include "limitctl.h"
#include "net.h"

static const char usage[] =
	"Usage: lxm-info -n NAME [-s] [-p] [-i] [-S] [-H] [--json]\n"
	"Show a container's state, init pid, addresses and resource use, as lxc-info does.\n\n"
	"  -s, --state            the state only\n"
	"  -p, --pid              the init's pid only\n"
	"  -i, --ips              the container's IP addresses only\n"
	"  -S, --stats            resource use only\n"
	"  -H, --no-humanize      raw numbers (bytes, nanoseconds)\n"
	"      --json             one JSON object\n";

enum { OPT_JSON = LXM_OPT_TOOL_BASE };

static void print_line(const char *label, const char *value)
{
	char l[32];

	snprintf(l, sizeof(l), "%s:", label);
	printf("%-16s%s\n", l, value);
}

static void human_bytes(uint64_t b, char *buf, size_t size)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu bytes", (unsigned long long)b);
	else
		snprintf(buf, size, "%.2f %s", v, units[u]);
}

/* a host link's byte counter (sysfs "tx_bytes"/"rx_bytes"), as the host
 * counts it: the container's received bytes are its veth's TX */
static bool link_bytes(const char *link, const char *which, uint64_t *ret)
{
	_cleanup_free_ char *data = NULL;
	char path[IFNAMSIZ + 64];
	size_t len;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", link, which);
	if (lxm_read_file_at(AT_FDCWD, path, &data, &len) < 0)
		return false;
	data[strcspn(data, "\n")] = '\0';
	return lxm_parse_u64(data, UINT64_MAX, ret) == 0;
}

static void print_bytes(const char *label, uint64_t b, bool raw)
{
	char buf[64];

	if (raw)
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)b);
	else
		human_bytes(b, buf, sizeof(buf));
	print_line(label, buf);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		LXM_COMMON_LONGOPTS,
		{ "state", no_argument, NULL, 's' },
		{ "pid", no_argument, NULL, 'p' },
		{ "ips", no_argument, NULL, 'i' },
		{ "stats", no_argument, NULL, 'S' },
		{ "no-humanize", no_argument, NULL, 'H' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ 0 }
	};
	struct lxm_container_info info;
	struct lxm_error err = { 0 };
	struct lxm_tool t;
	bool want_state = false, want_pid = false, want_stats = false, raw = false, json = false;
	bool want_ip = false;
	struct lxm_limit_value limits[LXM_LIMIT_MAX] = { 0 };
	bool has_limits = false;
	struct lxm_net_addrs addrs = { 0 };
	char links[LXM_NET_ADDRS_MAX][IFNAMSIZ];
	size_t n_links = 0;
	bool all;
	char buf[64];
	int opt, r;

	lxm_tool_begin(&t, "lxm-info", usage);
	while ((opt = getopt_long(argc, argv, LXM_COMMON_SHORTOPTS "spSHi", opts, NULL)) != -1) {
		if (lxm_tool_common_opt(&t, opt, optarg))
			continue;
		switch (opt) {
		case 's':
			want_state = true;
			break;
		case 'p':
			want_pid = true;
			break;
		case 'i':
			want_ip = true;
			break;
		case 'S':
			want_stats = true;
			break;
		case 'H':
			raw = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			lxm_tool_usage_error(&t, "invalid option");
		}
	}
	if (optind < argc)
		lxm_tool_usage_error(&t, "unexpected argument '%s'", argv[optind]);
	lxm_tool_setup(&t, true);
	r = lxm_container_query(&t.paths, t.name, &info, &err);
	if (r < 0) {
		r = lxm_tool_fail(&t, &err);
		lxm_tool_end(&t);
		return r;
	}
	all = !want_state && !want_pid && !want_stats && !want_ip;
	if (info.state != LXM_STATE_STOPPED && info.init_pid > 0) {
		struct lxm_config conf = { 0 };
		struct lxm_error nerr = { 0 };

		/* read from inside the container's network namespace */
		(void)lxm_net_query_addrs(info.init_pid, &addrs, &nerr);
		if (lxm_container_load_config(&t.paths, t.name, &conf, &nerr) == 0)
			n_links = lxm_net_query_host_links(&conf, info.init_pid, links, LXM_NET_ADDRS_MAX);
		lxm_config_free(&conf);
		has_limits = lxm_limits_get_all(&t.paths, t.name, limits, &nerr) == 0;
	}
	if (json) {
		printf("{\"name\": ");
		lxm_tool_json_string(t.name);
		printf(", \"state\": \"%s\"", lxm_state_to_string(info.state));
		if (info.init_pid)
			printf(", \"pid\": %d", (int)info.init_pid);
		else
			printf(", \"pid\": null");
		printf(", \"monitor\": %s", info.monitor_alive ? "true" : "false");
		printf(", \"ipv4\": [");
		for (size_t i = 0; i < addrs.n_ipv4; i++)
			printf("%s\"%s\"", i ? ", " : "", addrs.ipv4[i]);
		printf("], \"ipv6\": [");
		for (size_t i = 0; i < addrs.n_ipv6; i++)
			printf("%s\"%s\"", i ? ", " : "", addrs.ipv6[i]);
		printf("], \"links\": [");
		for (size_t i = 0; i < n_links; i++) {
			printf("%s", i ? ", " : "");
			lxm_tool_json_string(links[i]);
		}
		printf("]");
		if (info.has_stats && info.stats.has_cpu)
			printf(", \"cpu_ns\": %llu", (unsigned long long)info.stats.cpu_ns);
		if (info.has_stats && info.stats.has_io)
			printf(", \"io_bytes\": %llu", (unsigned long long)info.stats.io_bytes);
		if (info.has_stats && info.stats.has_memory)
			printf(", \"memory_bytes\": %llu", (unsigned long long)info.stats.memory_bytes);
		if (info.has_stats && info.stats.has_pids)
			printf(", \"pids\": %llu", (unsigned long long)info.stats.pids);
		/* the limits in force: numbers, "max" for none, null where
		 * the host lacks the file */
		if (has_limits) {
			printf(", \"limits\": {");
			for (int l = 0; l < LXM_LIMIT_MAX; l++) {
				const char *v = limits[l].value;

				printf("%s\"%s\": ", l ? ", " : "", lxm_limit_to_string((enum lxm_limit)l));
				if (!v)
					printf("null");
				else if (l == LXM_LIMIT_CPUSET || streq(v, "max"))
					lxm_tool_json_string(v);
				else
					printf("%s", v);
			}
			printf("}");
		}
		printf("}\n");
		lxm_limits_values_free(limits);
		lxm_tool_end(&t);
		return 0;
	}
	if (all)
		print_line("Name", t.name);
	if (all || want_state)
		print_line("State", lxm_state_to_string(info.state));
	if ((all || want_pid) && info.init_pid) {
		snprintf(buf, sizeof(buf), "%d", (int)info.init_pid);
		print_line("PID", buf);
	}
	if (all || want_ip) {
		for (size_t i = 0; i < addrs.n_ipv4; i++)
			print_line("IP", addrs.ipv4[i]);
		for (size_t i = 0; i < addrs.n_ipv6; i++)
			print_line("IP", addrs.ipv6[i]);
	}
	if ((all || want_stats) && info.has_stats) {
		if (info.stats.has_cpu) {
			if (raw)
				snprintf(buf, sizeof(buf), "%llu", (unsigned long long)info.stats.cpu_ns);
			else
				snprintf(buf, sizeof(buf), "%.2f seconds", (double)info.stats.cpu_ns / 1e9);
			print_line("CPU use", buf);
		}
		if (info.stats.has_io)
			print_bytes("BlkIO use", info.stats.io_bytes, raw);
		if (info.stats.has_memory) {
			if (raw)
				snprintf(buf, sizeof(buf), "%llu", (unsigned long long)info.stats.memory_bytes);
			else
				human_bytes(info.stats.memory_bytes, buf, sizeof(buf));
			print_line("Memory use", buf);
		}
		if (info.stats.has_pids) {
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)info.stats.pids);
			print_line("Tasks", buf);
		}
	}
	/* the limits that are set (not at the cgroup's default) */
	if ((all || want_stats) && has_limits) {
		static const char *const labels[LXM_LIMIT_MAX] = {
			[LXM_LIMIT_MEMORY] = "Memory limit",
			[LXM_LIMIT_MEMORY_SWAP] = "Mem+swap limit",
			[LXM_LIMIT_PIDS] = "Tasks limit",
			[LXM_LIMIT_CPU_WEIGHT] = "CPU weight",
			[LXM_LIMIT_CPUSET] = "CPUs",
			[LXM_LIMIT_IO_WEIGHT] = "IO weight",
		};

		for (int l = 0; l < LXM_LIMIT_MAX; l++) {
			const char *v = limits[l].value;
			uint64_t bytes;

			if (!v || limits[l].is_default)
				continue;
			if (!raw && (l == LXM_LIMIT_MEMORY || l == LXM_LIMIT_MEMORY_SWAP) &&
			    lxm_parse_u64(v, UINT64_MAX, &bytes) == 0) {
				human_bytes(bytes, buf, sizeof(buf));
				v = buf;
			}
			print_line(labels[l], v);
		}
	}
	lxm_limits_values_free(limits);
	/* as lxc-info: each host link with its byte counters, also under -S */
	for (size_t i = 0; (all || want_stats) && i < n_links; i++) {
		uint64_t tx, rx;

		print_line("Link", links[i]);
		if (link_bytes(links[i], "tx_bytes", &tx) && link_bytes(links[i], "rx_bytes", &rx)) {
			print_bytes(" TX bytes", tx, raw);
			print_bytes(" RX bytes", rx, raw);
			print_bytes(" Total bytes", tx + rx, raw);
		}
	}
	if (all && info.state != LXM_STATE_STOPPED && !info.monitor_alive)
		print_line("Monitor", "gone (lxm-stop still works)");
	lxm_tool_end(&t);
	return 0;
}
