/* Pure value helpers and checks: signal names, sizes, uuids, MACs, the
 * network type names (all public, in config.h), and the check_* functions
 * that cfg_keys[] (config.c) and the validation pass run on one value.
 * Nothing here knows about libconfig. */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <signal.h>
#include <strings.h>
#include <sys/mount.h>
#include <uuid/uuid.h>

#include "caps.h"
#include "config-internal.h"
#include "config.h"
#include "devcg.h"
#include "rootfs.h"
#include "state.h"
#include "util.h"

#define LXM_CPU_MAX 8192             /* largest CONFIG_NR_CPUS */

/* ---- pure helpers -------------------------------------------------------- */

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "BUS", SIGBUS }, { "FPE", SIGFPE },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
#ifdef SIGSTKFLT
	{ "STKFLT", SIGSTKFLT },
#endif
	{ "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },
	{ "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG }, { "XCPU", SIGXCPU },
	{ "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH }, { "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
	/* aliases last, so lxm_signal_to_name() finds the usual name first */
	{ "IOT", SIGABRT }, { "POLL", SIGIO }, { "CLD", SIGCHLD },
};

/* "SIGUSR2", "USR2", "SIGRTMIN+3", "RTMIN+3", "RTMAX-1", any case. Numbers
 * are rejected on purpose: their meaning differs between architectures. */
int lxm_signal_from_name(const char *s)
{
	uint64_t off = 0;

	if (!s)
		return -EINVAL;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
		bool min = strncasecmp(s, "RTMIN", 5) == 0;
		const char *rest = s + 5;

		if (*rest) {
			if (*rest != (min ? '+' : '-'))
				return -EINVAL;
			if (lxm_parse_u64(rest + 1, (uint64_t)(SIGRTMAX - SIGRTMIN), &off) < 0)
				return -EINVAL;
		}
		return min ? SIGRTMIN + (int)off : SIGRTMAX - (int)off;
	}
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (strcasecmp(s, signals[i].name) == 0)
			return signals[i].sig;
	return -EINVAL;
}

const char *lxm_signal_to_name(int sig, char *buf, size_t size)
{
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (signals[i].sig == sig) {
			snprintf(buf, size, "SIG%s", signals[i].name);
			return buf;
		}
	if (sig == SIGRTMIN)
		snprintf(buf, size, "SIGRTMIN");
	else if (sig > SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, size, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		return NULL;
	return buf;
}

int lxm_parse_size(const char *s, uint64_t *ret)
{
	static const char units[] = "KMGTPE";
	char digits[32];
	const char *p = s;
	uint64_t v, mult = 1;
	size_t n;
	int r;

	if (!s)
		return -EINVAL;
	while (isdigit((unsigned char)*p))
		p++;
	n = (size_t)(p - s);
	if (n == 0)
		return -EINVAL;
	if (n >= sizeof(digits))
		return -ERANGE;
	memcpy(digits, s, n);
	digits[n] = '\0';
	r = lxm_parse_u64(digits, UINT64_MAX, &v);
	if (r < 0)
		return r;
	if (*p) {
		const char *u = strchr(units, toupper((unsigned char)*p));

		if (u) {
			for (const char *q = units; q <= u; q++)
				mult *= 1024;
			p++;
			if (*p && strcasecmp(p, "B") != 0 && strcasecmp(p, "iB") != 0)
				return -EINVAL;
		} else if (strcasecmp(p, "B") != 0)
			return -EINVAL;
	}
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*ret = v * mult;
	return 0;
}

int lxm_uuid_generate(char out[LXM_UUID_STR_LEN])
{
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
	return 0;
}

int lxm_mac_from_uuid(const char *uuid, unsigned index, char out[LXM_HWADDR_STR_LEN])
{
	uuid_t u;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	uint32_t low;

	if (!uuid || uuid_parse(uuid, u) < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(u); i++) {
		h ^= u[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	/* An odd multiplier is invertible mod 2^24: distinct indexes (below 2^24)
	 * always give distinct addresses for one uuid. */
	low = (uint32_t)(h + (uint64_t)index * 0x9e3779U) & 0xffffffU;
	snprintf(out, LXM_HWADDR_STR_LEN, "00:16:3e:%02x:%02x:%02x",
		 (low >> 16) & 0xff, (low >> 8) & 0xff, low & 0xff);
	return 0;
}

static const char *const net_types[LXM_NET_MAX] = {
	[LXM_NET_VETH] = "veth",
	[LXM_NET_MACVLAN] = "macvlan",
	[LXM_NET_PHYS] = "phys",
	[LXM_NET_EMPTY] = "empty",
	[LXM_NET_NONE] = "none",
};

const char *lxm_net_type_to_string(enum lxm_net_type t)
{
	if ((unsigned)t >= LXM_NET_MAX)
		return NULL;
	return net_types[t];
}

int lxm_net_type_from_string(const char *s)
{
	for (int i = 0; i < LXM_NET_MAX; i++)
		if (streq(s, net_types[i]))
			return i;
	return -EINVAL;
}

/* ---- value checks: 0, or -EINVAL with the reason in why -------------------- */


int cfg_check_name(char *s, char *why, size_t n)
{
	return lxm_name_check("container name", s, why, n);
}

int cfg_check_group_name(char *s, char *why, size_t n)
{
	return lxm_name_check("group name", s, why, n);
}

int cfg_check_nonempty(char *s, char *why, size_t n)
{
	return *s ? 0 : lxm_why_invalid(why, n, "must not be empty");
}

/* a profile name the runtime state can record (struct lxm_runtime) */
int cfg_check_apparmor(char *s, char *why, size_t n)
{
	if (!*s)
		return lxm_why_invalid(why, n, "must not be empty");
	if (strlen(s) >= LXM_APPARMOR_PROFILE_MAX)
		return lxm_why_invalid(why, n, "profile name longer than %d characters", LXM_APPARMOR_PROFILE_MAX - 1);
	for (const char *p = s; *p; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return lxm_why_invalid(why, n, "invalid profile name '%s': white space or a control character", s);
	return 0;
}

/* lxm's own mount options are checked now, not when the mount fails at start */
int cfg_check_mount_options(char *s, char *why, size_t n)
{
	struct lxm_mount_opts o;
	int r = lxm_mount_options_parse(s, &o);

	if (r == -EINVAL)
		return lxm_why_invalid(why, n, "'%s': create= must be 'dir' or 'file'", s);
	if (r < 0)
		return lxm_why_invalid(why, n, "'%s': %s", s, strerror(-r));
	/* the kernel ignores a bind mount's data: "readonly" would give a
	 * writable mount without a word */
	if (o.bind && o.data && o.data[0]) {
		r = lxm_why_invalid(why, n, "'%s': unknown option '%s' for a bind mount (it takes ro, rw, nosuid, "
				    "nodev, noexec, the atime options, optional and create=)", s, o.data);
		free(o.data);
		return r;
	}
	free(o.data);
	/* flags of a whole filesystem: a bind mount has no say in them */
	if (o.bind && (o.flags & (MS_SYNCHRONOUS | MS_DIRSYNC)))
		return lxm_why_invalid(why, n, "'%s': '%s' is a flag of the whole filesystem, a bind mount cannot set it", s,
				       o.flags & MS_SYNCHRONOUS ? "sync" : "dirsync");
	return 0;
}

int cfg_check_idmapped(char *s, char *why, size_t n)
{
	if (streq(s, "auto") || streq(s, "mount") || streq(s, "shift"))
		return 0;
	return lxm_why_invalid(why, n, "invalid value '%s': expected \"auto\", \"mount\" or \"shift\"", s);
}

int cfg_check_hostname(char *s, char *why, size_t n)
{
	size_t len = strlen(s);

	if (len == 0)
		return lxm_why_invalid(why, n, "invalid hostname '': must not be empty");
	if (len > 64)
		return lxm_why_invalid(why, n, "invalid hostname '%s': longer than 64 characters", s);
	for (const char *label = s; ; ) {
		size_t l = strcspn(label, ".");

		if (l == 0)
			return lxm_why_invalid(why, n, "invalid hostname '%s': empty label", s);
		if (l > 63)
			return lxm_why_invalid(why, n, "invalid hostname '%s': label longer than 63 characters", s);
		if (label[0] == '-' || label[l - 1] == '-')
			return lxm_why_invalid(why, n, "invalid hostname '%s': a label must not start or end with '-'", s);
		for (size_t i = 0; i < l; i++) {
			unsigned char c = (unsigned char)label[i];

			if (!(isascii(c) && (isalnum(c) || c == '-')))
				return lxm_why_invalid(why, n, "invalid hostname '%s': only letters, digits, '-' and '.' are allowed", s);
		}
		if (!label[l])
			break;
		label += l + 1;
	}
	return 0;
}

int lxm_config_default_hostname(const char *name, char **ret)
{
	_cleanup_free_ char *out = malloc(strlen(name) + 1);
	char why[256];
	size_t n = 0;

	*ret = NULL;
	if (!out)
		return -ENOMEM;
	for (const char *label = name; ; ) {
		size_t l = strcspn(label, "."), dot = n, start;

		if (n)
			out[n++] = '.';
		start = n;
		for (size_t i = 0; i < l && n - start < 63; i++) {
			unsigned char c = (unsigned char)label[i];

			if (isascii(c) && isalnum(c))
				out[n++] = (char)c;
			else if (n > start)
				out[n++] = '-';
		}
		while (n > start && out[n - 1] == '-')
			n--;
		if (n == start)
			n = dot;
		if (!label[l])
			break;
		label += l + 1;
	}
	if (n > 64) {
		n = 64;
		while (n && (out[n - 1] == '.' || out[n - 1] == '-'))
			n--;
	}
	out[n] = '\0';
	if (!n || cfg_check_hostname(out, why, sizeof(why)) < 0)
		return -EINVAL;
	*ret = TAKE_PTR(out);
	return 0;
}

int cfg_check_uuid(char *s, char *why, size_t n)
{
	uuid_t u;

	if (strlen(s) != LXM_UUID_STR_LEN - 1 || uuid_parse(s, u) < 0)
		return lxm_why_invalid(why, n, "invalid uuid '%s'", s);
	uuid_unparse_lower(u, s);
	return 0;
}

int cfg_check_ifname(char *s, char *why, size_t n)
{
	return lxm_ifname_check(s, why, n);
}

/* an interface inside: not the loopback, which every container has */
int cfg_check_inner_ifname(char *s, char *why, size_t n)
{
	if (streq(s, "lo"))
		return lxm_why_invalid(why, n, "'lo' is the container's loopback interface");
	return lxm_ifname_check(s, why, n);
}

int cfg_check_hwaddr(char *s, char *why, size_t n)
{
	unsigned o[6];
	bool zero = true;

	if (strlen(s) != LXM_HWADDR_STR_LEN - 1)
		return lxm_why_invalid(why, n, "invalid MAC address '%s': expected xx:xx:xx:xx:xx:xx", s);
	for (int i = 0; i < 6; i++) {
		const char *p = s + i * 3;

		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) || (i < 5 && p[2] != ':'))
			return lxm_why_invalid(why, n, "invalid MAC address '%s': expected xx:xx:xx:xx:xx:xx", s);
		o[i] = (unsigned)strtoul((char[3]){ p[0], p[1], 0 }, NULL, 16);
		if (o[i])
			zero = false;
	}
	if (o[0] & 1)
		return lxm_why_invalid(why, n, "invalid MAC address '%s': multicast", s);
	if (zero)
		return lxm_why_invalid(why, n, "invalid MAC address '%s': all zero", s);
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

static int check_addr_family(const char *s, int family, bool with_prefix, char *why, size_t n)
{
	const char *what = family == AF_INET ? "IPv4" : "IPv6";
	unsigned max = family == AF_INET ? 32 : 128;
	char addr[INET6_ADDRSTRLEN + 1];
	unsigned char buf[sizeof(struct in6_addr)];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t prefix;

	if (with_prefix && !slash)
		return lxm_why_invalid(why, n, "invalid %s address '%s': expected ADDRESS/PREFIX", what, s);
	if (!with_prefix && slash)
		return lxm_why_invalid(why, n, "invalid %s address '%s': no prefix length allowed here", what, s);
	if (alen >= sizeof(addr))
		return lxm_why_invalid(why, n, "invalid %s address '%s'", what, s);
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(family, addr, buf) != 1)
		return lxm_why_invalid(why, n, "invalid %s address '%s'", what, s);
	if (slash && lxm_parse_u64(slash + 1, max, &prefix) < 0)
		return lxm_why_invalid(why, n, "invalid %s address '%s': prefix length must be 0-%u", what, s, max);
	return 0;
}

int cfg_check_cidr4(char *s, char *why, size_t n)
{
	return check_addr_family(s, AF_INET, true, why, n);
}

int cfg_check_cidr6(char *s, char *why, size_t n)
{
	return check_addr_family(s, AF_INET6, true, why, n);
}

static int check_ipv4(char *s, char *why, size_t n)
{
	return check_addr_family(s, AF_INET, false, why, n);
}

static int check_ipv6(char *s, char *why, size_t n)
{
	return check_addr_family(s, AF_INET6, false, why, n);
}

/* a gateway: an address, or "auto" (the bridge's own) */
int cfg_check_gw4(char *s, char *why, size_t n)
{
	return streq(s, "auto") ? 0 : check_ipv4(s, why, n);
}

int cfg_check_gw6(char *s, char *why, size_t n)
{
	return streq(s, "auto") ? 0 : check_ipv6(s, why, n);
}

/* "0-3,6,8-9" */
int cfg_check_cpuset(char *s, char *why, size_t n)
{
	const char *p = s;

	for (;;) {
		uint64_t a, b;
		char *end;

		if (!isdigit((unsigned char)*p))
			goto bad;
		a = strtoull(p, &end, 10);
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				goto bad;
			b = strtoull(p, &end, 10);
			p = end;
		}
		if (a >= LXM_CPU_MAX || b >= LXM_CPU_MAX)
			return lxm_why_invalid(why, n, "invalid cpuset '%s': CPU numbers must be below %d", s, LXM_CPU_MAX);
		if (a > b)
			return lxm_why_invalid(why, n, "invalid cpuset '%s': range %" PRIu64 "-%" PRIu64 " is reversed", s, a, b);
		if (!*p)
			return 0;
		if (*p != ',')
			goto bad;
		p++;
	}
bad:
	return lxm_why_invalid(why, n, "invalid cpuset '%s': expected a list like '0-3,6'", s);
}

/* Stores the canonical name: "CAP_SYS_ADMIN" -> "sys_admin". */
int cfg_check_cap(char *s, char *why, size_t n)
{
	int cap = lxm_cap_from_name(s);

	if (cap < 0)
		return lxm_why_invalid(why, n, "unknown capability '%s'", s);
	strcpy(s, lxm_cap_to_name(cap)); /* never longer than the input */
	return 0;
}

/* "rwm" or a part of it, each letter once (the device program's parser) */
int cfg_check_dev_access(char *s, char *why, size_t n)
{
	if (!*s)
		return lxm_why_invalid(why, n, "invalid access '': expected letters from \"rwm\"");
	if (lxm_devcg_access_parse(s) < 0)
		return lxm_why_invalid(why, n, "invalid access '%s': expected \"rwm\" or a part of it, each letter once", s);
	return 0;
}

/* A node below /dev that devices.c does not make itself. */
int cfg_check_dev_path(char *s, char *why, size_t n)
{
	static const char *const taken[] = {
		"null", "zero", "full", "random", "urandom", "tty", "console", "ptmx", "pts",
		"shm", "mqueue", "fd", "stdin", "stdout", "stderr",
	};
	size_t first;

	if (!lxm_startswith(s, "/dev/") || !s[5])
		return lxm_why_invalid(why, n, "invalid path '%s': expected a path below '/dev/'", s);
	if (strlen(s) > 255)
		return lxm_why_invalid(why, n, "invalid path '%s': longer than 255 characters", s);
	for (const char *c = s + 5; ; ) {
		size_t l = strcspn(c, "/");

		if (l == 0 || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
			return lxm_why_invalid(why, n, "invalid path '%s': empty, '.' or '..' component", s);
		if (!c[l])
			break;
		c += l + 1;
	}
	first = strcspn(s + 5, "/");
	if (s[5] == '.')
		return lxm_why_invalid(why, n, "invalid path '%s': names starting with '.' in '/dev' are lxm's own", s);
	for (size_t i = 0; i < ARRAY_SIZE(taken); i++)
		if (strlen(taken[i]) == first && strncmp(s + 5, taken[i], first) == 0)
			return lxm_why_invalid(why, n, "invalid path '%s': '/dev/%s' is one of the standard nodes", s, taken[i]);
	if (lxm_startswith(s + 5, "tty") && first > 3 && strspn(s + 8, "0123456789") == first - 3)
		return lxm_why_invalid(why, n, "invalid path '%s': the ttys are the console's (console.ttys)", s);
	return 0;
}
