/* libconfig <-> struct lxm_config.
 *
 * Every key is listed once in keys[] below, with its parser, its formatter
 * and its place in the struct. The reader walks the libconfig tree and looks
 * each setting up in that table (so an unknown key is found where it is), the
 * writer walks the table in order. Cross-key checks live in
 * lxm_config_validate(), a separate pass. */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libconfig.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <uuid/uuid.h>

#include "caps.h"
#include "cmd.h"
#include "config.h"
#include "devcg.h"
#include "log.h"
#include "rootfs.h"
#include "state.h"
#include "util.h"

#define LXM_TTYS_MAX 63
#define LXM_PIDS_MAX 4194304ULL      /* PID_MAX_LIMIT on 64-bit */
/* lxm-console --log gets the ring in one reply of the monitor */
#define LXM_CONSOLE_BUFFER_MAX ((uint64_t)LXM_CMD_DATA_MAX)
#define LXM_CPU_MAX 8192             /* largest CONFIG_NR_CPUS */
#define LXM_IDMAP_LINES_MAX 340      /* kernel limit per map since 4.15 */
#define WHY_MAX 256

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

typedef int (*check_fn)(char *s, char *why, size_t n);


static int check_name(char *s, char *why, size_t n)
{
	return lxm_name_check("container name", s, why, n);
}

static int check_group_name(char *s, char *why, size_t n)
{
	return lxm_name_check("group name", s, why, n);
}

static int check_nonempty(char *s, char *why, size_t n)
{
	return *s ? 0 : lxm_why_invalid(why, n, "must not be empty");
}

/* a profile name the runtime state can record (struct lxm_runtime) */
static int check_apparmor(char *s, char *why, size_t n)
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
static int check_mount_options(char *s, char *why, size_t n)
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

static int check_idmapped(char *s, char *why, size_t n)
{
	if (streq(s, "auto") || streq(s, "mount") || streq(s, "shift"))
		return 0;
	return lxm_why_invalid(why, n, "invalid value '%s': expected \"auto\", \"mount\" or \"shift\"", s);
}

static int check_hostname(char *s, char *why, size_t n)
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
	if (!n || check_hostname(out, why, sizeof(why)) < 0)
		return -EINVAL;
	*ret = TAKE_PTR(out);
	return 0;
}

static int check_uuid(char *s, char *why, size_t n)
{
	uuid_t u;

	if (strlen(s) != LXM_UUID_STR_LEN - 1 || uuid_parse(s, u) < 0)
		return lxm_why_invalid(why, n, "invalid uuid '%s'", s);
	uuid_unparse_lower(u, s);
	return 0;
}

static int check_ifname(char *s, char *why, size_t n)
{
	return lxm_ifname_check(s, why, n);
}

/* an interface inside: not the loopback, which every container has */
static int check_inner_ifname(char *s, char *why, size_t n)
{
	if (streq(s, "lo"))
		return lxm_why_invalid(why, n, "'lo' is the container's loopback interface");
	return lxm_ifname_check(s, why, n);
}

static int check_hwaddr(char *s, char *why, size_t n)
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

static int check_cidr4(char *s, char *why, size_t n)
{
	return check_addr_family(s, AF_INET, true, why, n);
}

static int check_cidr6(char *s, char *why, size_t n)
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
static int check_gw4(char *s, char *why, size_t n)
{
	return streq(s, "auto") ? 0 : check_ipv4(s, why, n);
}

static int check_gw6(char *s, char *why, size_t n)
{
	return streq(s, "auto") ? 0 : check_ipv6(s, why, n);
}

/* "0-3,6,8-9" */
static int check_cpuset(char *s, char *why, size_t n)
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
static int check_cap(char *s, char *why, size_t n)
{
	int cap = lxm_cap_from_name(s);

	if (cap < 0)
		return lxm_why_invalid(why, n, "unknown capability '%s'", s);
	strcpy(s, lxm_cap_to_name(cap)); /* never longer than the input */
	return 0;
}

/* "rwm" or a part of it, each letter once (the device program's parser) */
static int check_dev_access(char *s, char *why, size_t n)
{
	if (!*s)
		return lxm_why_invalid(why, n, "invalid access '': expected letters from \"rwm\"");
	if (lxm_devcg_access_parse(s) < 0)
		return lxm_why_invalid(why, n, "invalid access '%s': expected \"rwm\" or a part of it, each letter once", s);
	return 0;
}

/* A node below /dev that devices.c does not make itself. */
static int check_dev_path(char *s, char *why, size_t n)
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

/* ---- the key table --------------------------------------------------------- */

struct reader {
	const char *label;
	struct lxm_error *err;
	struct lxm_config *conf;      /* origins are noted here; NULL: not */
};

struct key;
/* s: the setting; kname: its name for messages ("net[0].link"). */
typedef int (*parse_fn)(struct reader *rd, const struct key *k, const config_setting_t *s,
			const char *kname, void *base);
/* 1 and the value text in *ret, 0 when there is nothing to write, <0 on error. */
typedef int (*format_fn)(const struct key *k, const void *base, char **ret);

enum {
	K_REQUIRED = 1 << 0,     /* must be present in each list element */
	K_ALWAYS = 1 << 1,       /* written even when empty / zero */
	K_EMPTY_NULL = 1 << 2,   /* "" stores NULL */
	K_UNIQUE = 1 << 3,       /* array elements must be distinct */
	K_ONE_LINE = 1 << 4,     /* list elements written on one line each */
};

struct list_desc {
	size_t elem_size;
	void (*elem_free)(void *elem);
	int (*finish)(struct reader *rd, const config_setting_t *s, void *elems, size_t n);
};

struct key {
	const char *path;        /* "net.link" */
	parse_fn parse;
	format_fn format;
	size_t offset;           /* in struct lxm_config, or in the list element */
	size_t aux;              /* arrays and lists: offset of the count */
	check_fn check;          /* strings and string arrays */
	uint64_t min, max;       /* integers */
	size_t size;             /* inline char arrays */
	unsigned flags;
	const struct list_desc *list;
	const char *conflict;    /* key that must not be set (non-empty) along with this one */
	size_t conflict_offset;  /* that key's array, cleared when this one is set */
	size_t conflict_aux;
};

#define FIELD(base, k, type) ((type *)((char *)(base) + (k)->offset))
#define CFIELD(base, k, type) ((const typeof(type) *)((const char *)(base) + (k)->offset))
#define COUNT(base, off) (*(size_t *)((char *)(base) + (off)))
#define CCOUNT(base, off) (*(const size_t *)((const char *)(base) + (off)))

static int parse_group(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int parse_list(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int parse_string(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int parse_chars(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int parse_strv(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int parse_caps(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int parse_u32(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int parse_u64(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int parse_i32(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int parse_size(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int parse_signal(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int parse_bool(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int parse_nettype(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int parse_idtype(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int parse_devtype(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int parse_devnum(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
static int format_string(const struct key *, const void *, char **);
static int format_chars(const struct key *, const void *, char **);
static int format_strv(const struct key *, const void *, char **);
static int format_u32(const struct key *, const void *, char **);
static int format_u64(const struct key *, const void *, char **);
static int format_i32(const struct key *, const void *, char **);
static int format_size(const struct key *, const void *, char **);
static int format_signal(const struct key *, const void *, char **);
static int format_bool(const struct key *, const void *, char **);
static int format_nettype(const struct key *, const void *, char **);
static int format_idtype(const struct key *, const void *, char **);
static int format_devtype(const struct key *, const void *, char **);
static int format_devnum(const struct key *, const void *, char **);

static void idmap_free(void *elem _unused_)
{
}

static void nic_free(void *elem)
{
	struct lxm_nic *nic = elem;

	lxm_strv_free(nic->ipv4, nic->n_ipv4);
	lxm_strv_free(nic->ipv6, nic->n_ipv6);
	free(nic->ipv4_gateway);
	free(nic->ipv6_gateway);
	memset(nic, 0, sizeof(*nic));
}

static void mount_free(void *elem)
{
	struct lxm_mount *m = elem;

	free(m->source);
	free(m->target);
	free(m->options);
	free(m->fstype);
	memset(m, 0, sizeof(*m));
}

static void device_free(void *elem)
{
	struct lxm_device *d = elem;

	free(d->access);
	free(d->path);
	memset(d, 0, sizeof(*d));
}

static int nics_finish(struct reader *rd, const config_setting_t *s, void *elems, size_t n);
static int devices_finish(struct reader *rd, const config_setting_t *s, void *elems, size_t n);

static const struct list_desc idmap_list = { sizeof(struct lxm_idmap), idmap_free, NULL };
static const struct list_desc nic_list = { sizeof(struct lxm_nic), nic_free, nics_finish };
static const struct list_desc mount_list = { sizeof(struct lxm_mount), mount_free, NULL };
static const struct list_desc device_list = { sizeof(struct lxm_device), device_free, devices_finish };
/* not a list: the check a group gets once its members are read */
static int limits_finish(struct reader *rd, const config_setting_t *s, void *base, size_t n);
static const struct list_desc limits_group = { 0, NULL, limits_finish };

#define C(f) offsetof(struct lxm_config, f)
#define NIC(f) offsetof(struct lxm_nic, f)
#define IDMAP(f) offsetof(struct lxm_idmap, f)
#define MNT(f) offsetof(struct lxm_mount, f)
#define DEV(f) offsetof(struct lxm_device, f)
#define GROUP(p) { .path = p, .parse = parse_group }
#define KEY(p, kind, off, ...) { .path = p, .parse = parse_##kind, .format = format_##kind, .offset = off, __VA_ARGS__ }
#define LIST(p, off, count, desc, ...) \
	{ .path = p, .parse = parse_list, .offset = off, .aux = count, .list = desc, __VA_ARGS__ }
#define format_caps format_strv

static const struct key keys[] = {
	KEY("name", string, C(name), .check = check_name),
	KEY("uuid", chars, C(uuid), .size = LXM_UUID_STR_LEN, .check = check_uuid),
	KEY("hostname", string, C(hostname), .check = check_hostname),

	GROUP("rootfs"),
	KEY("rootfs.path", string, C(rootfs_path), .check = check_nonempty, .flags = K_ALWAYS),
	KEY("rootfs.idmapped", string, C(rootfs_idmapped), .check = check_idmapped, .flags = K_EMPTY_NULL),
	KEY("rootfs.overlay_lower", string, C(rootfs_overlay_lower), .flags = K_EMPTY_NULL),
	KEY("rootfs.overlay_upper", string, C(rootfs_overlay_upper), .flags = K_EMPTY_NULL),
	KEY("rootfs.overlay_work", string, C(rootfs_overlay_work), .flags = K_EMPTY_NULL),

	GROUP("init"),
	KEY("init.cmd", strv, C(init_cmd), .aux = C(n_init_cmd), .flags = K_ALWAYS),
	KEY("init.halt_signal", signal, C(halt_signal), .flags = K_ALWAYS),
	KEY("init.reboot_signal", signal, C(reboot_signal), .flags = K_ALWAYS),
	KEY("init.stop_timeout", u32, C(stop_timeout), .max = LXM_STOP_TIMEOUT_MAX, .flags = K_ALWAYS),

	LIST("idmap", C(idmaps), C(n_idmaps), &idmap_list, .flags = K_ONE_LINE),
	KEY("idmap.type", idtype, IDMAP(type), .flags = K_REQUIRED | K_ALWAYS),
	KEY("idmap.container", u32, IDMAP(container), .max = UINT32_MAX, .flags = K_REQUIRED | K_ALWAYS),
	KEY("idmap.host", u32, IDMAP(host), .max = UINT32_MAX, .flags = K_REQUIRED | K_ALWAYS),
	KEY("idmap.count", u32, IDMAP(count), .min = 1, .max = UINT32_MAX, .flags = K_REQUIRED | K_ALWAYS),

	LIST("net", C(nics), C(n_nics), &nic_list, .flags = K_ALWAYS),
	KEY("net.type", nettype, NIC(type), .flags = K_REQUIRED | K_ALWAYS),
	KEY("net.link", chars, NIC(link), .size = IFNAMSIZ, .check = check_ifname),
	KEY("net.name", chars, NIC(name), .size = IFNAMSIZ, .check = check_inner_ifname),
	KEY("net.hwaddr", chars, NIC(hwaddr), .size = LXM_HWADDR_STR_LEN, .check = check_hwaddr),
	KEY("net.mtu", u32, NIC(mtu), .min = 68, .max = 65535),
	KEY("net.ipv4", strv, NIC(ipv4), .aux = NIC(n_ipv4), .check = check_cidr4, .flags = K_UNIQUE),
	KEY("net.ipv4_gateway", string, NIC(ipv4_gateway), .check = check_gw4),
	KEY("net.ipv6", strv, NIC(ipv6), .aux = NIC(n_ipv6), .check = check_cidr6, .flags = K_UNIQUE),
	KEY("net.ipv6_gateway", string, NIC(ipv6_gateway), .check = check_gw6),

	GROUP("console"),
	KEY("console.ttys", u32, C(console.ttys), .max = LXM_TTYS_MAX, .flags = K_ALWAYS),
	KEY("console.log", string, C(console.log), .flags = K_ALWAYS | K_EMPTY_NULL),
	KEY("console.buffer", size, C(console.buffer), .max = LXM_CONSOLE_BUFFER_MAX, .flags = K_ALWAYS),
	KEY("console.log_size", size, C(console.log_size), .flags = K_ALWAYS),

	{ .path = "limits", .parse = parse_group, .list = &limits_group },
	KEY("limits.memory", size, C(limits.memory)),
	KEY("limits.memory_swap", size, C(limits.memory_swap)),
	KEY("limits.pids", u64, C(limits.pids), .max = LXM_PIDS_MAX),
	KEY("limits.cpu_weight", u32, C(limits.cpu_weight), .min = 1, .max = 10000),
	KEY("limits.cpuset", string, C(limits.cpuset), .check = check_cpuset, .flags = K_EMPTY_NULL),
	KEY("limits.io_weight", u32, C(limits.io_weight), .min = 1, .max = 10000),

	GROUP("security"),
	KEY("security.apparmor", string, C(security.apparmor), .check = check_apparmor, .flags = K_ALWAYS),
	KEY("security.seccomp", string, C(security.seccomp), .check = check_nonempty, .flags = K_ALWAYS),
	KEY("security.cap_drop", caps, C(security.cap_drop), .aux = C(security.n_cap_drop),
	  .check = check_cap, .flags = K_ALWAYS | K_UNIQUE, .conflict = "security.cap_keep",
	  .conflict_offset = C(security.cap_keep), .conflict_aux = C(security.n_cap_keep)),
	KEY("security.cap_keep", caps, C(security.cap_keep), .aux = C(security.n_cap_keep),
	  .check = check_cap, .flags = K_UNIQUE, .conflict = "security.cap_drop",
	  .conflict_offset = C(security.cap_drop), .conflict_aux = C(security.n_cap_drop)),
	KEY("security.no_new_privs", bool, C(security.no_new_privs)),
	KEY("security.nesting", bool, C(security.nesting)),

	LIST("mounts", C(mounts), C(n_mounts), &mount_list),
	KEY("mounts.source", string, MNT(source), .check = check_nonempty, .flags = K_REQUIRED),
	KEY("mounts.target", string, MNT(target), .check = check_nonempty, .flags = K_REQUIRED),
	KEY("mounts.options", string, MNT(options), .check = check_mount_options, .flags = K_EMPTY_NULL),
	KEY("mounts.fstype", string, MNT(fstype), .flags = K_EMPTY_NULL),

	LIST("devices", C(devices), C(n_devices), &device_list, .flags = K_ONE_LINE),
	KEY("devices.type", devtype, DEV(type), .flags = K_REQUIRED | K_ALWAYS),
	KEY("devices.major", devnum, DEV(major), .max = LXM_DEVCG_MAJOR_MAX, .flags = K_REQUIRED | K_ALWAYS),
	KEY("devices.minor", devnum, DEV(minor), .max = LXM_DEVCG_MINOR_MAX, .flags = K_REQUIRED | K_ALWAYS),
	KEY("devices.access", string, DEV(access), .check = check_dev_access, .flags = K_EMPTY_NULL),
	KEY("devices.path", string, DEV(path), .check = check_dev_path, .flags = K_EMPTY_NULL),

	GROUP("autostart"),
	KEY("autostart.enabled", bool, C(autostart.enabled)),
	KEY("autostart.delay", u32, C(autostart.delay), .max = 3600),
	KEY("autostart.order", i32, C(autostart.order)),
	KEY("autostart.groups", strv, C(autostart.groups), .aux = C(autostart.n_groups),
	  .check = check_group_name, .flags = K_UNIQUE),
};

#define N_KEYS ARRAY_SIZE(keys)

/* The key named name directly below prefix ("" for the top level). */
static const struct key *key_find(const char *prefix, const char *name)
{
	size_t plen = strlen(prefix);

	for (size_t i = 0; i < N_KEYS; i++) {
		const char *p = keys[i].path;

		if (plen) {
			if (strncmp(p, prefix, plen) != 0 || p[plen] != '.')
				continue;
			p += plen + 1;
		}
		if (streq(p, name))
			return &keys[i];
	}
	return NULL;
}

/* The last path component: "net.link" -> "link". */
static const char *key_leaf(const struct key *k)
{
	const char *dot = strrchr(k->path, '.');

	return dot ? dot + 1 : k->path;
}

/* k is a direct member of the group at prefix ("" = the top level): what
 * key_find(prefix, key_leaf(k)) == k says when paths are unique. */
static bool key_in_group(const struct key *k, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *p = k->path;

	if (plen) {
		if (strncmp(p, prefix, plen) != 0 || p[plen] != '.')
			return false;
		p += plen + 1;
	}
	return !strchr(p, '.');
}

/* ---- where settings came from ------------------------------------------------ */

/* Forget the origins of key's members ("net[" drops every interface's): a
 * list read again replaces them all. */
static void origins_drop(struct lxm_config *conf, const char *prefix)
{
	size_t plen = strlen(prefix), out = 0;

	for (size_t i = 0; i < conf->n_origins; i++) {
		if (strncmp(conf->origins[i].key, prefix, plen) == 0) {
			free(conf->origins[i].key);
			continue;
		}
		conf->origins[out++] = conf->origins[i];
	}
	conf->n_origins = out;
}

/* Note that key was set at label:line (a later reading wins). Best effort:
 * without memory an error just has no line. */
static void origin_note(struct reader *rd, const char *key, unsigned line)
{
	struct lxm_config *conf = rd->conf;
	const char *label = NULL;
	struct lxm_config_origin *o;

	if (!conf)
		return;
	for (size_t i = 0; i < conf->n_labels && !label; i++)
		if (streq(conf->labels[i], rd->label))
			label = conf->labels[i];
	if (!label) {
		char **l = realloc(conf->labels, (conf->n_labels + 1) * sizeof(*l));

		if (!l)
			return;
		conf->labels = l;
		if (!(l[conf->n_labels] = strdup(rd->label)))
			return;
		label = l[conf->n_labels++];
	}
	for (size_t i = 0; i < conf->n_origins; i++)
		if (streq(conf->origins[i].key, key)) {
			conf->origins[i].label = label;
			conf->origins[i].line = line;
			return;
		}
	o = realloc(conf->origins, (conf->n_origins + 1) * sizeof(*o));
	if (!o)
		return;
	conf->origins = o;
	o = &conf->origins[conf->n_origins];
	if (!(o->key = strdup(key)))
		return;
	o->label = label;
	o->line = line;
	conf->n_origins++;
}

/* Where key, or the nearest enclosing setting ("net[1]" for
 * "net[1].name", "init" for "init.halt_signal"), was set; NULL: nowhere. */
static const struct lxm_config_origin *origin_of(const struct lxm_config *conf, const char *key)
{
	char k[WHY_MAX];

	if (!conf)
		return NULL;
	snprintf(k, sizeof(k), "%s", key);
	for (;;) {
		char *cut;

		for (size_t i = 0; i < conf->n_origins; i++)
			if (streq(conf->origins[i].key, k))
				return &conf->origins[i];
		cut = strrchr(k, '.');
		if (!cut || (strrchr(k, '[') && strrchr(k, '[') > cut))
			cut = strrchr(k, '[');
		if (!cut)
			return NULL;
		*cut = '\0';
	}
}

/* ---- reading --------------------------------------------------------------- */

static unsigned setting_line(const config_setting_t *s)
{
	for (; s; s = config_setting_parent(s)) {
		unsigned line = config_setting_source_line(s);

		if (line)
			return line;
	}
	return 0;
}

static int rd_fail(struct reader *rd, const config_setting_t *s, const char *kname, const char *fmt, ...)
	_printf_(4, 5);
static int rd_fail(struct reader *rd, const config_setting_t *s, const char *kname, const char *fmt, ...)
{
	char what[LXM_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return lxm_error_setr(rd->err, EINVAL, "%s:%u: %s: %s", rd->label, setting_line(s), kname, what);
}

static int rd_nomem(struct reader *rd)
{
	return lxm_error_set(rd->err, ENOMEM, "%s", rd->label);
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "nothing";
	}
}

static int expect_type(struct reader *rd, const config_setting_t *s, const char *kname, int type,
		       const char *what)
{
	int t = config_setting_type(s);

	if (t == type || (type == CONFIG_TYPE_INT && t == CONFIG_TYPE_INT64))
		return 0;
	return rd_fail(rd, s, kname, "expected %s, got %s", what, type_name(t));
}

/* A string checked (and maybe normalized) by k->check, in a new allocation. */
static int get_checked_string(struct reader *rd, const struct key *k, const config_setting_t *s,
			      const char *kname, char **ret)
{
	_cleanup_free_ char *v = NULL;
	char why[WHY_MAX];
	int r;

	r = expect_type(rd, s, kname, CONFIG_TYPE_STRING, "a string");
	if (r < 0)
		return r;
	v = strdup(config_setting_get_string(s));
	if (!v)
		return rd_nomem(rd);
	if (k->check && !(*v == '\0' && (k->flags & K_EMPTY_NULL)) && k->check(v, why, sizeof(why)) < 0)
		return rd_fail(rd, s, kname, "%s", why);
	*ret = TAKE_PTR(v);
	return 0;
}

static int parse_string(struct reader *rd, const struct key *k, const config_setting_t *s,
			const char *kname, void *base)
{
	char **field = FIELD(base, k, char *);
	char *v = NULL;
	int r;

	r = get_checked_string(rd, k, s, kname, &v);
	if (r < 0)
		return r;
	if (*v == '\0' && (k->flags & K_EMPTY_NULL)) {
		free(v);
		v = NULL;
	}
	free(*field);
	*field = v;
	return 0;
}

static int parse_chars(struct reader *rd, const struct key *k, const config_setting_t *s,
		       const char *kname, void *base)
{
	_cleanup_free_ char *v = NULL;
	int r;

	r = get_checked_string(rd, k, s, kname, &v);
	if (r < 0)
		return r;
	if (lxm_strscpy(FIELD(base, k, char), v, k->size) < 0)
		return rd_fail(rd, s, kname, "'%s' is longer than %zu characters", v, k->size - 1);
	return 0;
}

static int parse_strv(struct reader *rd, const struct key *k, const config_setting_t *s,
		      const char *kname, void *base)
{
	char ***field = FIELD(base, k, char **);
	char **v;
	int n, r;

	r = expect_type(rd, s, kname, CONFIG_TYPE_ARRAY, "an array of strings");
	if (r < 0)
		return r;
	n = config_setting_length(s);
	v = calloc((size_t)n + 1, sizeof(char *));
	if (!v)
		return rd_nomem(rd);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		char ename[WHY_MAX];

		snprintf(ename, sizeof(ename), "%s[%d]", kname, i);
		r = get_checked_string(rd, k, e, ename, &v[i]);
		if (r < 0)
			goto fail;
		if (k->flags & K_UNIQUE)
			for (int j = 0; j < i; j++)
				if (streq(v[i], v[j])) {
					r = rd_fail(rd, e, ename, "'%s' is listed twice", v[i]);
					goto fail;
				}
	}
	lxm_strv_free(*field, COUNT(base, k->aux));
	*field = v;
	COUNT(base, k->aux) = (size_t)n;
	return 0;
fail:
	lxm_strv_free(v, (size_t)n);
	return r;
}

/* cap_drop and cap_keep exclude each other: setting one (non-empty) in a
 * later file replaces the other one inherited from an earlier file. */
static int parse_caps(struct reader *rd, const struct key *k, const config_setting_t *s,
		      const char *kname, void *base)
{
	int r = parse_strv(rd, k, s, kname, base);

	if (r < 0)
		return r;
	if (COUNT(base, k->aux) > 0) {
		char ***other = (char ***)((char *)base + k->conflict_offset);

		lxm_strv_free(*other, COUNT(base, k->conflict_aux));
		*other = NULL;
		COUNT(base, k->conflict_aux) = 0;
	}
	return 0;
}

static int get_int(struct reader *rd, const config_setting_t *s, const char *kname,
		   long long min, long long max, long long *ret)
{
	long long v;
	int r;

	r = expect_type(rd, s, kname, CONFIG_TYPE_INT, "an integer");
	if (r < 0)
		return r;
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return rd_fail(rd, s, kname, "must be between %lld and %lld, got %lld", min, max, v);
	*ret = v;
	return 0;
}

static int parse_u32(struct reader *rd, const struct key *k, const config_setting_t *s,
		     const char *kname, void *base)
{
	long long v = 0;
	int r = get_int(rd, s, kname, (long long)k->min, (long long)k->max, &v);

	if (r < 0)
		return r;
	*FIELD(base, k, uint32_t) = (uint32_t)v;
	return 0;
}

static int parse_u64(struct reader *rd, const struct key *k, const config_setting_t *s,
		     const char *kname, void *base)
{
	long long v = 0;
	int r = get_int(rd, s, kname, (long long)k->min, (long long)MIN(k->max, (uint64_t)LLONG_MAX), &v);

	if (r < 0)
		return r;
	*FIELD(base, k, uint64_t) = (uint64_t)v;
	return 0;
}

static int parse_i32(struct reader *rd, const struct key *k, const config_setting_t *s,
		     const char *kname, void *base)
{
	long long v = 0;
	int r = get_int(rd, s, kname, INT32_MIN, INT32_MAX, &v);

	if (r < 0)
		return r;
	*FIELD(base, k, int32_t) = (int32_t)v;
	return 0;
}

static int parse_size(struct reader *rd, const struct key *k, const config_setting_t *s,
		      const char *kname, void *base)
{
	uint64_t v;
	const char *str = NULL;
	int r;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: {
		long long i = config_setting_get_int64(s);

		if (i < 0)
			return rd_fail(rd, s, kname, "invalid size %lld: must not be negative", i);
		v = (uint64_t)i;
		break;
	}
	case CONFIG_TYPE_STRING:
		str = config_setting_get_string(s);
		r = lxm_parse_size(str, &v);
		if (r == -ERANGE)
			return rd_fail(rd, s, kname, "invalid size '%s': too large", str);
		if (r < 0)
			return rd_fail(rd, s, kname, "invalid size '%s'", str);
		break;
	default:
		return rd_fail(rd, s, kname, "expected a size (\"512M\" or a number of bytes), got %s",
			       type_name(config_setting_type(s)));
	}
	/* console.buffer: what the monitor can send back in one message */
	if (k->max && v > k->max) {
		char got[64];

		if (str)
			snprintf(got, sizeof(got), "'%.40s'", str);
		else
			snprintf(got, sizeof(got), "%" PRIu64 " bytes", v);
		return rd_fail(rd, s, kname, "must be at most %" PRIu64 "K, got %s", k->max / 1024, got);
	}
	*FIELD(base, k, uint64_t) = v;
	return 0;
}

static int parse_signal(struct reader *rd, const struct key *k, const config_setting_t *s,
			const char *kname, void *base)
{
	const char *str;
	int sig, r;

	r = expect_type(rd, s, kname, CONFIG_TYPE_STRING, "a signal name");
	if (r < 0)
		return r;
	str = config_setting_get_string(s);
	sig = lxm_signal_from_name(str);
	if (sig < 0)
		return rd_fail(rd, s, kname, "invalid signal '%s': expected a name like 'SIGPWR' or 'SIGRTMIN+3'", str);
	*FIELD(base, k, int) = sig;
	return 0;
}

static int parse_bool(struct reader *rd, const struct key *k, const config_setting_t *s,
		      const char *kname, void *base)
{
	int r = expect_type(rd, s, kname, CONFIG_TYPE_BOOL, "a boolean (true or false)");

	if (r < 0)
		return r;
	*FIELD(base, k, bool) = config_setting_get_bool(s);
	return 0;
}

static int parse_nettype(struct reader *rd, const struct key *k, const config_setting_t *s,
			 const char *kname, void *base)
{
	const char *str;
	int t, r;

	r = expect_type(rd, s, kname, CONFIG_TYPE_STRING, "a string");
	if (r < 0)
		return r;
	str = config_setting_get_string(s);
	t = lxm_net_type_from_string(str);
	if (t < 0)
		return rd_fail(rd, s, kname, "invalid type '%s': expected veth, macvlan, phys, empty or none", str);
	*FIELD(base, k, enum lxm_net_type) = (enum lxm_net_type)t;
	return 0;
}

/* A one-letter type, one of letters, stored as that char. */
static int parse_type_letter(struct reader *rd, const struct key *k, const config_setting_t *s,
			     const char *kname, void *base, const char *letters, const char *expected)
{
	const char *str;
	int r;

	r = expect_type(rd, s, kname, CONFIG_TYPE_STRING, "a string");
	if (r < 0)
		return r;
	str = config_setting_get_string(s);
	if (!str[0] || str[1] || !strchr(letters, str[0]))
		return rd_fail(rd, s, kname, "invalid type '%s': expected %s", str, expected);
	*FIELD(base, k, char) = str[0];
	return 0;
}

static int parse_idtype(struct reader *rd, const struct key *k, const config_setting_t *s,
			const char *kname, void *base)
{
	return parse_type_letter(rd, k, s, kname, base, "ug", "\"u\" or \"g\"");
}

static int parse_devtype(struct reader *rd, const struct key *k, const config_setting_t *s,
			 const char *kname, void *base)
{
	return parse_type_letter(rd, k, s, kname, base, "cb", "\"c\" (character) or \"b\" (block)");
}

/* A device major or minor: 0..k->max, or "*" (any), stored as -1. */
static int parse_devnum(struct reader *rd, const struct key *k, const config_setting_t *s,
			const char *kname, void *base)
{
	long long v = 0;
	int r;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		if (!streq(config_setting_get_string(s), "*"))
			return rd_fail(rd, s, kname, "invalid value '%s': expected a number or \"*\"",
				       config_setting_get_string(s));
		*FIELD(base, k, int32_t) = -1;
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
		return rd_fail(rd, s, kname, "expected an integer or \"*\", got %s", type_name(config_setting_type(s)));
	r = get_int(rd, s, kname, 0, (long long)k->max, &v);
	if (r < 0)
		return r;
	*FIELD(base, k, int32_t) = (int32_t)v;
	return 0;
}

/* Parse the members of group s into base; prefix is the table path of the
 * group ("" for the top level), dname its name in messages. */
static int walk_group(struct reader *rd, const char *prefix, const char *dname,
		      const config_setting_t *s, void *base, bool check_required)
{
	const config_setting_t *seen[N_KEYS] = { NULL };
	int n = config_setting_length(s);

	for (int i = 0; i < n; i++) {
		const config_setting_t *c = config_setting_get_elem(s, (unsigned)i);
		const char *name = config_setting_name(c) ?: "?";
		const struct key *k = key_find(prefix, name);
		char kname[WHY_MAX];
		int r;

		snprintf(kname, sizeof(kname), "%s%s%s", dname, *dname ? "." : "", name);
		if (!k)
			return rd_fail(rd, c, kname, "unknown key");
		if (k->parse == parse_list && rd->conf) {
			char members[WHY_MAX + 1];

			snprintf(members, sizeof(members), "%s[", kname);
			origins_drop(rd->conf, members);
		}
		r = k->parse(rd, k, c, kname, base);
		if (r < 0)
			return r;
		origin_note(rd, kname, setting_line(c));
		if (!k->aux || k->list || COUNT(base, k->aux) > 0)
			seen[k - keys] = c;
	}

	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key *k = &keys[i];
		char kname[WHY_MAX];

		/* only the members of this group (a direct test: key_find()
		 * here made every read quadratic in the table, ~100 us) */
		if (!key_in_group(k, prefix))
			continue;
		snprintf(kname, sizeof(kname), "%s%s%s", dname, *dname ? "." : "", key_leaf(k));
		if (check_required && (k->flags & K_REQUIRED) && !seen[i])
			return rd_fail(rd, s, kname, "required key is missing");
		if (k->conflict && seen[i]) {
			const struct key *o = key_find(prefix, strrchr(k->conflict, '.') + 1);
			const config_setting_t *other = o ? seen[o - keys] : NULL;

			/* report it once, at the one that comes second */
			if (other && (setting_line(other) < setting_line(seen[i]) ||
				      (setting_line(other) == setting_line(seen[i]) && o < k)))
				return rd_fail(rd, seen[i], kname, "must not be used together with '%s'", key_leaf(o));
		}
	}
	return 0;
}

static int parse_group(struct reader *rd, const struct key *k, const config_setting_t *s,
		       const char *kname, void *base)
{
	int r = expect_type(rd, s, kname, CONFIG_TYPE_GROUP, "a group");

	if (r < 0)
		return r;
	r = walk_group(rd, k->path, kname, s, base, false);
	if (r == 0 && k->list && k->list->finish)
		r = k->list->finish(rd, s, base, 1);
	return r;
}

static const char *size_text(uint64_t v, char *buf, size_t n)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (v && u < 5 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, n, "%" PRIu64, v);
	else
		snprintf(buf, n, "%" PRIu64 "%c", v, units[u]);
	return buf;
}

/* memory_swap is memory plus swap, so never below memory. Checked where a
 * file sets either (over what earlier files set), so that the error names
 * the line; lxm_config_validate() checks the result again. */
static int limits_finish(struct reader *rd, const config_setting_t *s, void *base, size_t n _unused_)
{
	const struct lxm_config *conf = base;
	const config_setting_t *sw = config_setting_get_member(s, "memory_swap");
	const config_setting_t *mem = config_setting_get_member(s, "memory");
	char a[32], b[32];

	if (!conf->limits.memory_swap || conf->limits.memory_swap >= conf->limits.memory || (!sw && !mem))
		return 0;
	size_text(conf->limits.memory_swap, a, sizeof(a));
	size_text(conf->limits.memory, b, sizeof(b));
	if (sw)
		return rd_fail(rd, sw, "limits.memory_swap", "%s is less than limits.memory (%s): it is memory plus swap", a, b);
	return rd_fail(rd, mem, "limits.memory", "%s is more than limits.memory_swap (%s), which is memory plus swap", b, a);
}

static int parse_list(struct reader *rd, const struct key *k, const config_setting_t *s,
		      const char *kname, void *base)
{
	const struct list_desc *d = k->list;
	void **field = FIELD(base, k, void *);
	int t = config_setting_type(s);
	int n = config_setting_length(s);
	char *elems = NULL;
	int r = 0, done = 0;

	/* "net = [];" reads naturally too: an empty array is an empty list */
	if (t != CONFIG_TYPE_LIST && !(t == CONFIG_TYPE_ARRAY && n == 0))
		return rd_fail(rd, s, kname, "expected a list ( { ... }, ... ), got %s", type_name(t));
	if (n > 0) {
		elems = calloc((size_t)n, d->elem_size);
		if (!elems)
			return rd_nomem(rd);
	}
	for (; done < n; done++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)done);
		char ename[WHY_MAX];

		snprintf(ename, sizeof(ename), "%s[%d]", kname, done);
		origin_note(rd, ename, setting_line(e));
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			r = rd_fail(rd, e, ename, "expected a group, got %s", type_name(config_setting_type(e)));
			break;
		}
		r = walk_group(rd, k->path, ename, e, elems + (size_t)done * d->elem_size, true);
		if (r < 0) {
			done++; /* free what the failed element holds too */
			break;
		}
	}
	if (r == 0 && d->finish)
		r = d->finish(rd, s, elems, (size_t)n);
	if (r < 0) {
		for (int i = 0; i < done; i++)
			d->elem_free(elems + (size_t)i * d->elem_size);
		free(elems);
		return r;
	}
	for (size_t i = 0; i < COUNT(base, k->aux); i++)
		d->elem_free((char *)*field + i * d->elem_size);
	free(*field);
	*field = elems;
	COUNT(base, k->aux) = (size_t)n;
	return 0;
}

/* Interfaces without a name get the first free eth<N>. */
static int nics_finish(struct reader *rd _unused_, const config_setting_t *s _unused_, void *elems, size_t n)
{
	struct lxm_nic *nics = elems;
	unsigned next = 0;

	for (size_t i = 0; i < n; i++) {
		if (nics[i].name[0] || nics[i].type == LXM_NET_EMPTY || nics[i].type == LXM_NET_NONE)
			continue;
		for (;; next++) {
			char cand[IFNAMSIZ];
			bool used = false;

			snprintf(cand, sizeof(cand), "eth%u", next);
			for (size_t j = 0; j < n; j++)
				if (streq(nics[j].name, cand))
					used = true;
			if (!used) {
				memcpy(nics[i].name, cand, sizeof(cand));
				break;
			}
		}
	}
	return 0;
}

/* A node can only be made for one device; each path once. */
static int devices_finish(struct reader *rd, const config_setting_t *s, void *elems, size_t n)
{
	const struct lxm_device *devs = elems;

	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		char ename[64];

		snprintf(ename, sizeof(ename), "devices[%zu].path", i);
		if (!devs[i].path)
			continue;
		if (devs[i].major < 0 || devs[i].minor < 0)
			return rd_fail(rd, e, ename, "'%s' needs a device: major and minor must not be \"*\"",
				       devs[i].path);
		for (size_t j = 0; j < i; j++)
			if (devs[j].path && streq(devs[j].path, devs[i].path))
				return rd_fail(rd, e, ename, "'%s' is listed twice", devs[i].path);
	}
	return 0;
}

static bool is_ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '*';
}

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '*';
}

static bool is_number_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '+' || c == '-' || c == '_';
}

static bool all_of(const char *s, size_t n, int (*pred)(int))
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!pred((unsigned char)s[i]))
			return false;
	return true;
}

/* libconfig 1.5 silently truncates an integer without the 'L' suffix to 32
 * bits (4294967296 reads as 0). Before parsing, give every such literal its
 * 'L' so that large values mean what they say, and reject what does not fit
 * in 64 bits. Also reject @include: a container config must not read other
 * files. The lexing follows libconfig's scanner (comments, strings, names). */
static int preprocess(struct reader *rd, const char *text, char **ret)
{
	size_t len = strlen(text);
	_cleanup_free_ char *out = malloc(len * 2 + 1);
	const char *p = text;
	char *o = out;
	unsigned line = 1;
	bool bol = true;

	if (!out)
		return rd_nomem(rd);
	while (*p) {
		char c = *p;

		if (c == '\n') {
			line++;
			bol = true;
			*o++ = *p++;
			continue;
		}
		if (bol && (c == ' ' || c == '\t')) {
			*o++ = *p++;
			continue;
		}
		if (bol && strncmp(p, "@include", 8) == 0)
			return lxm_error_setr(rd->err, EINVAL, "%s:%u: @include is not supported", rd->label, line);
		bol = false;

		if (c == '#' || (c == '/' && p[1] == '/')) {
			while (*p && *p != '\n')
				*o++ = *p++;
		} else if (c == '/' && p[1] == '*') {
			*o++ = *p++;
			*o++ = *p++;
			while (*p && !(p[0] == '*' && p[1] == '/')) {
				if (*p == '\n')
					line++;
				*o++ = *p++;
			}
			if (*p) {
				*o++ = *p++;
				*o++ = *p++;
			}
		} else if (c == '"') {
			*o++ = *p++;
			while (*p && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					*o++ = *p++;
				if (*p == '\n')
					line++;
				*o++ = *p++;
			}
			if (*p)
				*o++ = *p++;
		} else if (is_ident_start(c)) {
			while (is_ident(*p))
				*o++ = *p++;
		} else if (isdigit((unsigned char)c) ||
			   ((c == '-' || c == '+') && isdigit((unsigned char)p[1]))) {
			const char *start = p, *digits;
			size_t n, nd;
			bool hex;

			while (is_number_char(*p))
				p++;
			n = (size_t)(p - start);
			memcpy(o, start, n);
			o += n;

			digits = start + (*start == '-' || *start == '+');
			hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
			if (hex && digits == start)
				digits += 2;
			nd = (size_t)(p - digits);
			while (nd > 0 && digits[nd - 1] == 'L' && (size_t)(p - digits) - nd < 2)
				nd--;
			if (all_of(digits, nd, hex ? isxdigit : isdigit)) {
				bool has_l = nd < (size_t)(p - digits);
				char num[64];
				char *end;

				if (nd + 3 > sizeof(num))
					goto out_of_range;
				memcpy(num, start, (size_t)(digits - start) + nd);
				num[(size_t)(digits - start) + nd] = '\0';
				errno = 0;
				if (hex) {
					unsigned long long v = strtoull(num, &end, 16);

					if (errno)
						goto out_of_range;
					if (!has_l && v > INT32_MAX)
						*o++ = 'L';
				} else {
					long long v = strtoll(num, &end, 10);

					if (errno)
						goto out_of_range;
					if (!has_l && (v > INT32_MAX || v < INT32_MIN))
						*o++ = 'L';
				}
				continue;
out_of_range:
				return lxm_error_setr(rd->err, EINVAL, "%s:%u: integer '%.*s' is out of range",
						      rd->label, line, (int)n, start);
			}
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

static char *quote(const char *s);

static void config_destroyp(config_t **c)
{
	if (*c)
		config_destroy(*c);
}

int lxm_config_read_string(struct lxm_config *conf, const char *text, const char *label,
			   struct lxm_error *err)
{
	struct reader rd = { .label = label ?: "config", .err = err, .conf = conf };
	_cleanup_free_ char *fixed = NULL;
	config_t cfg;
	_cleanup_(config_destroyp) config_t *cfgp = NULL;
	int r;

	r = preprocess(&rd, text, &fixed);
	if (r < 0)
		return r;
	config_init(&cfg);
	cfgp = &cfg;
	if (!config_read_string(&cfg, fixed))
		return lxm_error_setr(err, EINVAL, "%s:%d: syntax error: %s", rd.label, config_error_line(&cfg),
				      config_error_text(&cfg) ?: "unknown error");
	r = walk_group(&rd, "", "", config_root_setting(&cfg), conf, false);
	if (r < 0)
		return r;
	log_debug("read config '%s'", rd.label);
	return 0;
}

int lxm_config_read_file(struct lxm_config *conf, const char *path, struct lxm_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	r = lxm_read_file_at(AT_FDCWD, path, &text, &len);
	if (r < 0)
		return lxm_error_set(err, -r, "read config '%s'", path);
	if (strlen(text) != len)
		return lxm_error_setr(err, EINVAL, "%s: not a text file (contains a NUL byte)", path);
	return lxm_config_read_string(conf, text, path, err);
}

/* A value from the command line is a libconfig literal when it looks like
 * one (number, boolean, string, array), else a bare string. */
static bool looks_literal(const char *v)
{
	char *end;

	if (v[0] == '"' || v[0] == '[')
		return true;
	if (strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0)
		return true;
	if (!*v || isspace((unsigned char)*v))
		return false;
	(void)strtoll(v, &end, 0);
	return *end == '\0' || (end[0] == 'L' && end[1] == '\0');
}

/* Whether text is one libconfig value: "v = TEXT;" sets v and nothing else. */
static bool single_value(const char *text)
{
	_cleanup_free_ char *probe = lxm_strdup_printf("v = %s;", text);
	config_t c;
	bool one;

	if (!probe)
		return false;
	config_init(&c);
	one = config_read_string(&c, probe) == CONFIG_TRUE && config_setting_length(config_root_setting(&c)) == 1;
	config_destroy(&c);
	return one;
}

/* Keys whose value is a string in the file (sizes and numbers are not). */
static bool takes_string(const struct key *k)
{
	return k->parse == parse_string || k->parse == parse_chars || k->parse == parse_signal ||
	       k->parse == parse_devtype || k->parse == parse_idtype || k->parse == parse_nettype;
}

int lxm_config_set(struct lxm_config *conf, const char *key, const char *value, struct lxm_error *err)
{
	const struct key *k = NULL;
	_cleanup_free_ char *val = NULL, *text = NULL;
	const char *dot = strchr(key, '.');

	for (size_t i = 0; i < N_KEYS; i++)
		if (streq(keys[i].path, key))
			k = &keys[i];
	if (!k)
		return lxm_error_setr(err, EINVAL, "%s: unknown key", key);
	if (k->parse == parse_group || k->parse == parse_list)
		return lxm_error_setr(err, EINVAL, "%s: a %s cannot be set from the command line", key,
				      k->parse == parse_group ? "group" : "list");
	if (dot) {
		const struct key *parent = NULL;

		for (size_t i = 0; i < N_KEYS; i++)
			if (strncmp(keys[i].path, key, (size_t)(dot - key)) == 0 && !keys[i].path[dot - key])
				parent = &keys[i];
		if (!parent || parent->parse != parse_group)
			return lxm_error_setr(err, EINVAL, "%s: keys inside a list cannot be set from the command line", key);
	}
	/* a key that takes a string gets one, whatever the value looks like
	 * (cpuset "0", hostname "1234"); a literal the user wrote ("..." or
	 * [...]) must be one value and nothing more */
	if (value[0] == '"' || value[0] == '[') {
		if (!single_value(value))
			return lxm_error_setr(err, EINVAL, "%s: '%s' is not one value", key, value);
		val = strdup(value);
	} else if (takes_string(k)) {
		val = quote(value);
	} else {
		val = looks_literal(value) ? strdup(value) : quote(value);
	}
	if (!val)
		return -ENOMEM;
	if (dot)
		text = lxm_strdup_printf("%.*s = { %s = %s; };", (int)(dot - key), key, dot + 1, val);
	else
		text = lxm_strdup_printf("%s = %s;", key, val);
	if (!text)
		return -ENOMEM;
	return lxm_config_read_string(conf, text, "command line", err);
}

static const struct key *key_by_path(const char *path)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (streq(keys[i].path, path))
			return &keys[i];
	return NULL;
}

int lxm_config_set_limit(struct lxm_config *conf, const char *name, const char *value, struct lxm_error *err)
{
	_cleanup_free_ char *path = lxm_strdup_printf("limits.%s", name);
	const struct key *k;
	size_t plen;
	int r;

	if (!path)
		return lxm_error_set(err, ENOMEM, "%s", name);
	k = key_by_path(path);
	if (!k || strchr(name, '.'))
		return lxm_error_setr(err, ENOENT, "%s: unknown limit", name);
	/* a bare word would be taken as a string and fail as "expected an
	 * integer, got a string": say what is wrong with it instead */
	if ((k->parse == parse_u32 || k->parse == parse_u64) &&
	    (!*value || strspn(value, "0123456789") != strlen(value)))
		return lxm_error_setr(err, EINVAL, "%s: '%s' is not a number", name, value);
	if (k->parse == parse_string) {
		/* a string even when it looks like a number: cpuset "0" */
		_cleanup_free_ char *q = quote(value);
		_cleanup_free_ char *text = q ? lxm_strdup_printf("limits = { %s = %s; };", name, q) : NULL;

		if (!text)
			return lxm_error_set(err, ENOMEM, "%s", name);
		r = lxm_config_read_string(conf, text, "command line", err);
	} else {
		r = lxm_config_set(conf, path, value, err);
	}
	if (r < 0) {
		/* "command line:1: limits.NAME: why" -> "NAME: why" */
		const char *p = strstr(err->msg, path);

		plen = strlen("limits.");
		if (p)
			memmove(err->msg, p + plen, strlen(p + plen) + 1);
	}
	return r;
}

int lxm_config_format_key(const struct lxm_config *conf, const char *key, char **ret)
{
	const struct key *k = key_by_path(key);
	int r;

	*ret = NULL;
	if (!k || !k->format || strchr(key, '.') != strrchr(key, '.'))
		return -ENOENT;
	if (strchr(key, '.')) {
		char group[64];

		snprintf(group, sizeof(group), "%.*s", (int)(strchr(key, '.') - key), key);
		k = key_by_path(group);
		if (!k || k->parse != parse_group)
			return -ENOENT;   /* inside a list */
		k = key_by_path(key);
	}
	r = k->format(k, conf, ret);
	if (r <= 0)
		*ret = NULL;
	return r;
}

/* ---- defaults, free ------------------------------------------------------ */

static char **strv_new(const char *const *src, size_t n)
{
	char **v = calloc(n + 1, sizeof(char *));

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(src[i]);
		if (!v[i]) {
			lxm_strv_free(v, n);
			return NULL;
		}
	}
	return v;
}

char *lxm_config_rootfs_path(const struct lxm_config *conf, const char *dir)
{
	if (conf->rootfs_path[0] == '/')
		return strdup(conf->rootfs_path);
	return lxm_strdup_printf("%s/%s", dir, conf->rootfs_path);
}

void lxm_config_free(struct lxm_config *conf)
{
	if (!conf)
		return;
	free(conf->name);
	free(conf->hostname);
	free(conf->rootfs_path);
	free(conf->rootfs_idmapped);
	free(conf->rootfs_overlay_lower);
	free(conf->rootfs_overlay_upper);
	free(conf->rootfs_overlay_work);
	lxm_strv_free(conf->init_cmd, conf->n_init_cmd);
	free(conf->idmaps);
	for (size_t i = 0; conf->nics && i < conf->n_nics; i++)
		nic_free(&conf->nics[i]);
	free(conf->nics);
	free(conf->console.log);
	free(conf->limits.cpuset);
	free(conf->security.apparmor);
	free(conf->security.seccomp);
	lxm_strv_free(conf->security.cap_drop, conf->security.n_cap_drop);
	lxm_strv_free(conf->security.cap_keep, conf->security.n_cap_keep);
	for (size_t i = 0; conf->mounts && i < conf->n_mounts; i++)
		mount_free(&conf->mounts[i]);
	free(conf->mounts);
	for (size_t i = 0; conf->devices && i < conf->n_devices; i++)
		device_free(&conf->devices[i]);
	free(conf->devices);
	lxm_strv_free(conf->autostart.groups, conf->autostart.n_groups);
	for (size_t i = 0; i < conf->n_origins; i++)
		free(conf->origins[i].key);
	free(conf->origins);
	lxm_strv_free(conf->labels, conf->n_labels);
	memset(conf, 0, sizeof(*conf));
}

int lxm_config_init(struct lxm_config *conf)
{
	static const char *const init_cmd[] = { "/sbin/init" };
	static const char *const cap_drop[] = { "sys_module", "sys_time", "sys_rawio", "mac_admin", "mac_override" };

	memset(conf, 0, sizeof(*conf));
	conf->rootfs_path = strdup("rootfs");
	conf->init_cmd = strv_new(init_cmd, ARRAY_SIZE(init_cmd));
	conf->n_init_cmd = ARRAY_SIZE(init_cmd);
	conf->halt_signal = SIGPWR;
	conf->reboot_signal = SIGINT;
	conf->stop_timeout = 30;
	conf->console.ttys = 4;
	conf->console.log = strdup("console.log");
	conf->console.buffer = 128 * 1024;
	conf->console.log_size = 1024 * 1024;
	conf->security.apparmor = strdup("generated");
	conf->security.seccomp = strdup("default");
	conf->security.cap_drop = strv_new(cap_drop, ARRAY_SIZE(cap_drop));
	conf->security.n_cap_drop = ARRAY_SIZE(cap_drop);
	if (!conf->rootfs_path || !conf->init_cmd || !conf->console.log || !conf->security.apparmor ||
	    !conf->security.seccomp || !conf->security.cap_drop) {
		lxm_config_free(conf);
		return -ENOMEM;
	}
	return 0;
}

/* ---- validation -------------------------------------------------------------- */

/* "FILE:LINE: key: what", with the file and line the setting (or the one
 * around it) was read from; "LABEL: key: what" for one nothing set. */
static int val_fail(const struct lxm_config *conf, struct lxm_error *err, const char *label, const char *key,
		    const char *fmt, ...) _printf_(5, 6);
static int val_fail(const struct lxm_config *conf, struct lxm_error *err, const char *label, const char *key,
		    const char *fmt, ...)
{
	const struct lxm_config_origin *o = origin_of(conf, key);
	char what[LXM_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (o && o->line)
		return lxm_error_setr(err, EINVAL, "%s:%u: %s: %s", o->label, o->line, key, what);
	return lxm_error_setr(err, EINVAL, "%s: %s: %s", label, key, what);
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static int validate_idmaps(const struct lxm_config *conf, const char *label, struct lxm_error *err)
{
	bool has[2] = { false, false }, root[2] = { false, false };
	size_t lines[2] = { 0, 0 };

	for (size_t i = 0; i < conf->n_idmaps; i++) {
		const struct lxm_idmap *m = &conf->idmaps[i];
		char key[64];
		int t;

		snprintf(key, sizeof(key), "idmap[%zu]", i);
		if (m->type != 'u' && m->type != 'g')
			return val_fail(conf, err, label, key, "type must be \"u\" or \"g\"");
		t = m->type == 'g';
		if (m->count == 0)
			return val_fail(conf, err, label, key, "count must not be 0");
		/* id 4294967295 is (uid_t)-1, which no map may hold: the
		 * kernel refuses the whole map (EINVAL) */
		if ((uint64_t)m->container + m->count > UINT32_MAX || (uint64_t)m->host + m->count > UINT32_MAX)
			return val_fail(conf, err, label, key, "range goes beyond id 4294967294 (4294967295 is never mapped)");
		has[t] = true;
		lines[t]++;
		if (m->container == 0)
			root[t] = true;
		for (size_t j = 0; j < i; j++) {
			const struct lxm_idmap *o = &conf->idmaps[j];

			if (o->type != m->type)
				continue;
			if (ranges_overlap(m->container, m->count, o->container, o->count))
				return val_fail(conf, err, label, key, "container ids %" PRIu32 "-%" PRIu64 " overlap idmap[%zu]",
						m->container, (uint64_t)m->container + m->count - 1, j);
			if (ranges_overlap(m->host, m->count, o->host, o->count))
				return val_fail(conf, err, label, key, "host ids %" PRIu32 "-%" PRIu64 " overlap idmap[%zu]",
						m->host, (uint64_t)m->host + m->count - 1, j);
		}
	}
	for (int t = 0; t < 2; t++) {
		char c = t ? 'g' : 'u';

		if (!has[0] && !has[1])
			break;
		if (!has[t])
			return val_fail(conf, err, label, "idmap", "no \"%c\" entry: a user namespace needs both uid and gid maps", c);
		if (!root[t])
			return val_fail(conf, err, label, "idmap", "no \"%c\" entry maps container id 0 (root)", c);
		if (lines[t] > LXM_IDMAP_LINES_MAX)
			return val_fail(conf, err, label, "idmap", "more than %d \"%c\" entries", LXM_IDMAP_LINES_MAX, c);
	}
	return 0;
}

/* One address given twice, in any spelling, on one interface or two. */
static int validate_nic_addresses(const struct lxm_config *conf, const char *label, struct lxm_error *err)
{
	for (size_t i = 0; i < conf->n_nics; i++) {
		const struct lxm_nic *a = &conf->nics[i];

		for (size_t x = 0; x < a->n_ipv4 + a->n_ipv6; x++) {
			const char *ax = x < a->n_ipv4 ? a->ipv4[x] : a->ipv6[x - a->n_ipv4];

			for (size_t j = 0; j <= i; j++) {
				const struct lxm_nic *b = &conf->nics[j];
				size_t end = j == i ? x : b->n_ipv4 + b->n_ipv6;

				for (size_t y = 0; y < end; y++) {
					const char *by = y < b->n_ipv4 ? b->ipv4[y] : b->ipv6[y - b->n_ipv4];
					char key[32];

					if (!lxm_same_address(ax, by))
						continue;
					char where[32] = "";

					if (j != i)
						snprintf(where, sizeof(where), " by net[%zu]", j);
					snprintf(key, sizeof(key), "net[%zu]", i);
					return val_fail(conf, err, label, key, "address '%s' is given already as '%s'%s", ax, by, where);
				}
			}
		}
	}
	return 0;
}

static int validate_nics(const struct lxm_config *conf, const char *label, struct lxm_error *err)
{
	for (size_t i = 0; i < conf->n_nics; i++) {
		const struct lxm_nic *nic = &conf->nics[i];
		const char *type = lxm_net_type_to_string(nic->type);
		char key[64], why[WHY_MAX], buf[IFNAMSIZ + LXM_HWADDR_STR_LEN];

		snprintf(key, sizeof(key), "net[%zu]", i);
		if (!type)
			return val_fail(conf, err, label, key, "invalid type %d", (int)nic->type);
		if (nic->type == LXM_NET_NONE && conf->n_nics > 1)
			return val_fail(conf, err, label, key, "type 'none' (the host's network) excludes other interfaces");
		if (nic->type == LXM_NET_NONE || nic->type == LXM_NET_EMPTY) {
			const char *bad = nic->link[0] ? "link" : nic->name[0] ? "name" : nic->hwaddr[0] ? "hwaddr" :
				nic->mtu ? "mtu" : nic->n_ipv4 ? "ipv4" : nic->ipv4_gateway ? "ipv4_gateway" :
				nic->n_ipv6 ? "ipv6" : nic->ipv6_gateway ? "ipv6_gateway" : NULL;

			if (bad)
				return val_fail(conf, err, label, key, "'%s' makes no sense with type '%s'", bad, type);
			continue;
		}
		if ((nic->type == LXM_NET_MACVLAN || nic->type == LXM_NET_PHYS) && !nic->link[0])
			return val_fail(conf, err, label, key, "type '%s' needs 'link' (the host device)", type);
		memcpy(buf, nic->link, sizeof(nic->link));
		if (nic->link[0] && check_ifname(buf, why, sizeof(why)) < 0)
			return val_fail(conf, err, label, key, "link: %s", why);
		memcpy(buf, nic->name, sizeof(nic->name));
		if (!nic->name[0])
			return val_fail(conf, err, label, key, "name: missing");
		if (check_inner_ifname(buf, why, sizeof(why)) < 0)
			return val_fail(conf, err, label, key, "name: %s", why);
		memcpy(buf, nic->hwaddr, sizeof(nic->hwaddr));
		if (nic->hwaddr[0] && check_hwaddr(buf, why, sizeof(why)) < 0)
			return val_fail(conf, err, label, key, "hwaddr: %s", why);
		if (nic->mtu && (nic->mtu < 68 || nic->mtu > 65535))
			return val_fail(conf, err, label, key, "mtu must be between 68 and 65535");
		if (nic->mtu && nic->mtu < 1280 && nic->n_ipv6)
			return val_fail(conf, err, label, key, "mtu %u is below 1280, the least IPv6 works with, "
					"and the interface has ipv6 addresses", nic->mtu);
		if (nic->ipv4_gateway && nic->n_ipv4 == 0)
			return val_fail(conf, err, label, key, "ipv4_gateway needs a static ipv4 address");
		if (nic->ipv6_gateway && nic->n_ipv6 == 0)
			return val_fail(conf, err, label, key, "ipv6_gateway needs a static ipv6 address");
		if (nic->type != LXM_NET_VETH &&
		    ((nic->ipv4_gateway && streq(nic->ipv4_gateway, "auto")) ||
		     (nic->ipv6_gateway && streq(nic->ipv6_gateway, "auto"))))
			return val_fail(conf, err, label, key, "gateway 'auto' (the bridge's address) needs type 'veth'");
		for (size_t j = 0; j < i; j++) {
			if (streq(conf->nics[j].name, nic->name))
				return val_fail(conf, err, label, key, "name '%s' is already used by net[%zu]", nic->name, j);
			if (nic->hwaddr[0] && strcasecmp(conf->nics[j].hwaddr, nic->hwaddr) == 0)
				return val_fail(conf, err, label, key, "hwaddr '%s' is already used by net[%zu]", nic->hwaddr, j);
			if (nic->type == LXM_NET_PHYS && conf->nics[j].type == LXM_NET_PHYS &&
			    streq(conf->nics[j].link, nic->link))
				return val_fail(conf, err, label, key, "device '%s' is already moved in by net[%zu]", nic->link, j);
		}
	}
	return 0;
}

int lxm_config_validate(const struct lxm_config *conf, const char *label, struct lxm_error *err)
{
	char why[WHY_MAX];
	int r;

	label = label ?: "config";
	if (conf->name && lxm_name_check("container name", conf->name, why, sizeof(why)) < 0)
		return val_fail(conf, err, label, "name", "%s", why);
	if (conf->uuid[0]) {
		char u[LXM_UUID_STR_LEN];

		memcpy(u, conf->uuid, sizeof(u));
		if (check_uuid(u, why, sizeof(why)) < 0)
			return val_fail(conf, err, label, "uuid", "%s", why);
	}
	if (conf->hostname) {
		_cleanup_free_ char *h = strdup(conf->hostname);

		if (!h)
			return lxm_error_set(err, ENOMEM, "%s", label);
		if (check_hostname(h, why, sizeof(why)) < 0)
			return val_fail(conf, err, label, "hostname", "%s", why);
	}
	if (!conf->rootfs_path || !conf->rootfs_path[0])
		return val_fail(conf, err, label, "rootfs.path", "missing");
	if (conf->rootfs_overlay_lower && conf->rootfs_overlay_lower[0] != '/')
		return val_fail(conf, err, label, "rootfs.overlay_lower", "'%s' is not an absolute path", conf->rootfs_overlay_lower);
	if (conf->rootfs_overlay_lower && (!conf->rootfs_overlay_upper || !conf->rootfs_overlay_work))
		return val_fail(conf, err, label, "rootfs.overlay_lower", "needs rootfs.overlay_upper and rootfs.overlay_work");
	if (!conf->rootfs_overlay_lower && (conf->rootfs_overlay_upper || conf->rootfs_overlay_work))
		return val_fail(conf, err, label, "rootfs.overlay_upper", "needs rootfs.overlay_lower");
	if (conf->n_init_cmd == 0 || !conf->init_cmd || !conf->init_cmd[0])
		return val_fail(conf, err, label, "init.cmd", "must not be empty");
	if (conf->init_cmd[0][0] != '/')
		return val_fail(conf, err, label, "init.cmd", "'%s' is not an absolute path", conf->init_cmd[0]);
	if (conf->halt_signal <= 0 || conf->halt_signal > SIGRTMAX)
		return val_fail(conf, err, label, "init.halt_signal", "missing or invalid");
	if (conf->reboot_signal <= 0 || conf->reboot_signal > SIGRTMAX)
		return val_fail(conf, err, label, "init.reboot_signal", "missing or invalid");
	if (conf->halt_signal == conf->reboot_signal)
		return val_fail(conf, err, label, "init.reboot_signal", "must differ from init.halt_signal");
	if (conf->console.ttys > LXM_TTYS_MAX)
		return val_fail(conf, err, label, "console.ttys", "must be between 0 and %d", LXM_TTYS_MAX);
	if (conf->console.buffer > LXM_CONSOLE_BUFFER_MAX)
		return val_fail(conf, err, label, "console.buffer", "must be at most %" PRIu64 "K",
				LXM_CONSOLE_BUFFER_MAX / 1024);
	if (conf->limits.cpu_weight > 10000)
		return val_fail(conf, err, label, "limits.cpu_weight", "must be between 1 and 10000");
	if (conf->limits.pids > LXM_PIDS_MAX)
		return val_fail(conf, err, label, "limits.pids", "must be at most %llu", LXM_PIDS_MAX);
	if (conf->limits.memory_swap && !conf->limits.memory)
		return val_fail(conf, err, label, "limits.memory_swap", "needs limits.memory (it is memory plus swap)");
	if (conf->limits.memory_swap && conf->limits.memory_swap < conf->limits.memory)
		return val_fail(conf, err, label, "limits.memory_swap", "is less than limits.memory: it is memory plus swap");
	if (conf->limits.io_weight > 10000)
		return val_fail(conf, err, label, "limits.io_weight", "must be between 1 and 10000");
	if (!conf->security.apparmor || !conf->security.apparmor[0])
		return val_fail(conf, err, label, "security.apparmor", "missing");
	if (!conf->security.seccomp || !conf->security.seccomp[0])
		return val_fail(conf, err, label, "security.seccomp", "missing");
	if (conf->security.n_cap_drop && conf->security.n_cap_keep)
		return val_fail(conf, err, label, "security", "cap_drop and cap_keep are mutually exclusive");
	for (size_t i = 0; i < conf->security.n_cap_drop; i++)
		if (lxm_cap_from_name(conf->security.cap_drop[i]) < 0)
			return val_fail(conf, err, label, "security.cap_drop", "unknown capability '%s'", conf->security.cap_drop[i]);
	for (size_t i = 0; i < conf->security.n_cap_keep; i++)
		if (lxm_cap_from_name(conf->security.cap_keep[i]) < 0)
			return val_fail(conf, err, label, "security.cap_keep", "unknown capability '%s'", conf->security.cap_keep[i]);
	if (conf->autostart.delay > 3600)
		return val_fail(conf, err, label, "autostart.delay", "must be between 0 and 3600");
	for (size_t i = 0; i < conf->n_mounts; i++) {
		char key[64];

		snprintf(key, sizeof(key), "mounts[%zu]", i);
		if (!conf->mounts[i].source || !conf->mounts[i].source[0])
			return val_fail(conf, err, label, key, "source: missing");
		if (!conf->mounts[i].target || !conf->mounts[i].target[0])
			return val_fail(conf, err, label, key, "target: missing");
		if (!conf->mounts[i].fstype) {
			struct lxm_mount_opts o;
			bool bind;

			if (lxm_mount_options_parse(conf->mounts[i].options, &o) < 0)
				continue;   /* said at the key */
			bind = o.bind;
			free(o.data);
			if (!bind)
				return val_fail(conf, err, label, key, "a mount that is not a bind mount needs 'fstype' "
						"(or 'bind' in its options)");
		}
	}
	r = validate_idmaps(conf, label, err);
	if (r < 0)
		return r;
	r = validate_nics(conf, label, err);
	if (r < 0)
		return r;
	return validate_nic_addresses(conf, label, err);
}

int lxm_config_load(struct lxm_config *conf, const char *path, struct lxm_error *err)
{
	int r = lxm_config_init(conf);

	if (r < 0)
		return lxm_error_set(err, -r, "loading '%s'", path);
	r = lxm_config_read_file(conf, path, err);
	if (r == 0)
		r = lxm_config_validate(conf, path, err);
	/* nothing is left to free after a failure (callers that only test
	 * the result leaked the defaults) */
	if (r < 0)
		lxm_config_free(conf);
	return r;
}

/* ---- writing ------------------------------------------------------------------- */

/* A libconfig string literal. */
static char *quote(const char *s)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		return NULL;
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int set_ret(char *v, char **ret)
{
	if (!v)
		return -ENOMEM;
	*ret = v;
	return 1;
}

static int format_string(const struct key *k, const void *base, char **ret)
{
	const char *v = *CFIELD(base, k, char *);

	if (!v && (k->flags & K_ALWAYS) && (k->flags & K_EMPTY_NULL))
		v = "";
	if (!v)
		return 0;
	return set_ret(quote(v), ret);
}

static int format_chars(const struct key *k, const void *base, char **ret)
{
	const char *v = CFIELD(base, k, char);

	if (!v[0])
		return 0;
	return set_ret(quote(v), ret);
}

static int format_strv(const struct key *k, const void *base, char **ret)
{
	char *const *v = *CFIELD(base, k, char **);
	size_t n = CCOUNT(base, k->aux);
	char *out = NULL;
	size_t size = 0;
	FILE *f;

	if (n == 0 && !(k->flags & K_ALWAYS))
		return 0;
	f = open_memstream(&out, &size);
	if (!f)
		return -ENOMEM;
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *q = quote(v[i]);

		if (!q) {
			fclose(f);
			free(out);
			return -ENOMEM;
		}
		fprintf(f, "%s%s", i ? ", " : " ", q);
	}
	fputs(n ? " ]" : "]", f);
	if (fclose(f) != 0) {
		free(out);
		return -ENOMEM;
	}
	*ret = out;
	return 1;
}

static int format_u32(const struct key *k, const void *base, char **ret)
{
	uint32_t v = *CFIELD(base, k, uint32_t);

	if (v == 0 && !(k->flags & K_ALWAYS))
		return 0;
	return set_ret(lxm_strdup_printf("%" PRIu32, v), ret);
}

static int format_u64(const struct key *k, const void *base, char **ret)
{
	uint64_t v = *CFIELD(base, k, uint64_t);

	if (v == 0 && !(k->flags & K_ALWAYS))
		return 0;
	return set_ret(lxm_strdup_printf("%" PRIu64, v), ret);
}

static int format_i32(const struct key *k, const void *base, char **ret)
{
	int32_t v = *CFIELD(base, k, int32_t);

	if (v == 0 && !(k->flags & K_ALWAYS))
		return 0;
	return set_ret(lxm_strdup_printf("%" PRId32, v), ret);
}

/* The largest binary unit that divides the value: "128K", "1G", "12345". */
static int format_size(const struct key *k, const void *base, char **ret)
{
	static const char units[] = "KMGTPE";
	uint64_t v = *CFIELD(base, k, uint64_t);
	int u = -1;

	if (v == 0 && !(k->flags & K_ALWAYS))
		return 0;
	while (v && u < 5 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		return set_ret(lxm_strdup_printf("\"%" PRIu64 "\"", v), ret);
	return set_ret(lxm_strdup_printf("\"%" PRIu64 "%c\"", v, units[u]), ret);
}

static int format_signal(const struct key *k, const void *base, char **ret)
{
	int sig = *CFIELD(base, k, int);
	char buf[32];

	if (sig == 0)
		return 0;
	if (!lxm_signal_to_name(sig, buf, sizeof(buf)))
		return -EINVAL;
	return set_ret(lxm_strdup_printf("\"%s\"", buf), ret);
}

static int format_bool(const struct key *k, const void *base, char **ret)
{
	bool v = *CFIELD(base, k, bool);

	if (!v && !(k->flags & K_ALWAYS))
		return 0;
	return set_ret(strdup(v ? "true" : "false"), ret);
}

static int format_nettype(const struct key *k, const void *base, char **ret)
{
	const char *t = lxm_net_type_to_string(*CFIELD(base, k, enum lxm_net_type));

	if (!t)
		return -EINVAL;
	return set_ret(lxm_strdup_printf("\"%s\"", t), ret);
}

static int format_idtype(const struct key *k, const void *base, char **ret)
{
	char t = *CFIELD(base, k, char);

	if (t != 'u' && t != 'g')
		return -EINVAL;
	return set_ret(lxm_strdup_printf("\"%c\"", t), ret);
}

static int format_devtype(const struct key *k, const void *base, char **ret)
{
	char t = *CFIELD(base, k, char);

	if (t != 'c' && t != 'b')
		return -EINVAL;
	return set_ret(lxm_strdup_printf("\"%c\"", t), ret);
}

static int format_devnum(const struct key *k, const void *base, char **ret)
{
	int32_t v = *CFIELD(base, k, int32_t);

	if (v < 0)
		return set_ret(strdup("\"*\""), ret);
	return set_ret(lxm_strdup_printf("%" PRId32, v), ret);
}

static int write_members(FILE *f, const char *prefix, const void *base, int depth, bool one_line);

static void indent(FILE *f, int depth)
{
	for (int i = 0; i < depth; i++)
		fputc('\t', f);
}

/* The members of a group or list element, rendered into a string (empty when
 * nothing is set, so the caller can leave the group out). */
static int render_members(const char *prefix, const void *base, int depth, bool one_line, char **ret)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	int r;

	if (!f)
		return -ENOMEM;
	r = write_members(f, prefix, base, depth, one_line);
	if (fclose(f) != 0 && r >= 0)
		r = -ENOMEM;
	if (r < 0) {
		free(out);
		return r;
	}
	*ret = out;
	return 0;
}

static int write_list(FILE *f, const struct key *k, const void *base, int depth)
{
	const void *elems = *CFIELD(base, k, void *);
	size_t n = CCOUNT(base, k->aux);
	bool one_line = k->flags & K_ONE_LINE;

	if (n == 0 && !(k->flags & K_ALWAYS))
		return 0;
	indent(f, depth);
	fprintf(f, "%s = (", key_leaf(k));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *body = NULL;
		int r = render_members(k->path, (const char *)elems + i * k->list->elem_size, depth + 2,
				       one_line, &body);

		if (r < 0)
			return r;
		fputs(i ? ",\n" : "\n", f);
		indent(f, depth + 1);
		if (one_line)
			fprintf(f, "{ %s}", body);
		else {
			fprintf(f, "{\n%s", body);
			indent(f, depth + 1);
			fputc('}', f);
		}
	}
	fputs(n ? "\n" : " ", f);
	if (n)
		indent(f, depth);
	fputs(");\n", f);
	return 0;
}

static int write_members(FILE *f, const char *prefix, const void *base, int depth, bool one_line)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key *k = &keys[i];
		_cleanup_free_ char *v = NULL;
		int r;

		if (!key_in_group(k, prefix))
			continue;
		if (k->parse == parse_group) {
			r = render_members(k->path, base, depth + 1, false, &v);
			if (r < 0)
				return r;
			if (!*v)
				continue;
			if (depth == 0)
				fputc('\n', f);
			indent(f, depth);
			fprintf(f, "%s = {\n%s", key_leaf(k), v);
			indent(f, depth);
			fputs("};\n", f);
			continue;
		}
		if (k->parse == parse_list) {
			if (depth == 0 && (CCOUNT(base, k->aux) || (k->flags & K_ALWAYS)))
				fputc('\n', f);
			r = write_list(f, k, base, depth);
			if (r < 0)
				return r;
			continue;
		}
		r = k->format(k, base, &v);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		if (one_line)
			fprintf(f, "%s = %s; ", key_leaf(k), v);
		else {
			indent(f, depth);
			fprintf(f, "%s = %s;\n", key_leaf(k), v);
		}
	}
	return 0;
}

int lxm_config_format(const struct lxm_config *conf, char **ret)
{
	_cleanup_free_ char *body = NULL;
	int r;

	r = render_members("", conf, 0, false, &body);
	if (r < 0)
		return r;
	*ret = lxm_strdup_printf("# lxm container configuration (libconfig syntax)\n%s", body);
	return *ret ? 0 : -ENOMEM;
}

static int lxm_conf_save(const struct lxm_config *conf, const char *path, bool durable, struct lxm_error *err)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = lxm_config_format(conf, &text);
	if (r < 0)
		return lxm_error_set(err, -r, "format config '%s'", path);
	r = lxm_write_file_replace(path, text, strlen(text), 0640, durable);
	if (r < 0)
		return lxm_error_set(err, -r, "write config '%s'", path);
	/* the umask may have taken bits away: the group (lxm admins) reads it */
	if (chmod(path, 0640) < 0)
		return lxm_error_set(err, errno, "chmod config '%s'", path);
	return 0;
}

int lxm_config_write(const struct lxm_config *conf, const char *path, struct lxm_error *err)
{
	return lxm_conf_save(conf, path, true, err);
}

int lxm_config_write_runtime(const struct lxm_config *conf, const char *path, struct lxm_error *err)
{
	return lxm_conf_save(conf, path, false, err);
}
