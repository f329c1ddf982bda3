/* libconfig <-> struct lxm_config: the key table, the reader, defaults.
 *
 * Every key is listed once in cfg_keys[] below, with its parser, its formatter
 * and its place in the struct. The reader walks the libconfig tree and looks
 * each setting up in that table (so an unknown key is found where it is), the
 * writer (config-write.c) walks the table in order. The value checks the table
 * names are in config-check.c; cross-key checks live in lxm_config_validate()
 * (config-validate.c), a separate pass. */
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libconfig.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <strings.h>

#include "config-internal.h"
#include "config.h"
#include "devcg.h"
#include "log.h"
#include "util.h"

/* ---- the key table --------------------------------------------------------- */

struct reader {
	const char *label;
	struct lxm_error *err;
	struct lxm_config *conf;      /* origins are noted here; NULL: not */
};

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
#define GROUP(p) { .path = p, .parse = cfg_parse_group }
#define KEY(p, kind, off, ...) \
	{ .path = p, .parse = parse_##kind, .format = cfg_format_##kind, .offset = off, __VA_ARGS__ }
#define LIST(p, off, count, desc, ...) \
	{ .path = p, .parse = cfg_parse_list, .offset = off, .aux = count, .list = desc, __VA_ARGS__ }
#define cfg_format_caps cfg_format_strv

const struct key cfg_keys[] = {
	KEY("name", string, C(name), .check = cfg_check_name),
	KEY("uuid", chars, C(uuid), .size = LXM_UUID_STR_LEN, .check = cfg_check_uuid),
	KEY("hostname", string, C(hostname), .check = cfg_check_hostname),

	GROUP("rootfs"),
	KEY("rootfs.path", string, C(rootfs_path), .check = cfg_check_nonempty, .flags = K_ALWAYS),
	KEY("rootfs.idmapped", string, C(rootfs_idmapped), .check = cfg_check_idmapped, .flags = K_EMPTY_NULL),
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
	KEY("net.link", chars, NIC(link), .size = IFNAMSIZ, .check = cfg_check_ifname),
	KEY("net.name", chars, NIC(name), .size = IFNAMSIZ, .check = cfg_check_inner_ifname),
	KEY("net.hwaddr", chars, NIC(hwaddr), .size = LXM_HWADDR_STR_LEN, .check = cfg_check_hwaddr),
	KEY("net.mtu", u32, NIC(mtu), .min = 68, .max = 65535),
	KEY("net.ipv4", strv, NIC(ipv4), .aux = NIC(n_ipv4), .check = cfg_check_cidr4, .flags = K_UNIQUE),
	KEY("net.ipv4_gateway", string, NIC(ipv4_gateway), .check = cfg_check_gw4),
	KEY("net.ipv6", strv, NIC(ipv6), .aux = NIC(n_ipv6), .check = cfg_check_cidr6, .flags = K_UNIQUE),
	KEY("net.ipv6_gateway", string, NIC(ipv6_gateway), .check = cfg_check_gw6),

	GROUP("console"),
	KEY("console.ttys", u32, C(console.ttys), .max = LXM_TTYS_MAX, .flags = K_ALWAYS),
	KEY("console.log", string, C(console.log), .flags = K_ALWAYS | K_EMPTY_NULL),
	KEY("console.buffer", size, C(console.buffer), .max = LXM_CONSOLE_BUFFER_MAX, .flags = K_ALWAYS),
	KEY("console.log_size", size, C(console.log_size), .flags = K_ALWAYS),

	{ .path = "limits", .parse = cfg_parse_group, .list = &limits_group },
	KEY("limits.memory", size, C(limits.memory)),
	KEY("limits.memory_swap", size, C(limits.memory_swap)),
	KEY("limits.pids", u64, C(limits.pids), .max = LXM_PIDS_MAX),
	KEY("limits.cpu_weight", u32, C(limits.cpu_weight), .min = 1, .max = 10000),
	KEY("limits.cpuset", string, C(limits.cpuset), .check = cfg_check_cpuset, .flags = K_EMPTY_NULL),
	KEY("limits.io_weight", u32, C(limits.io_weight), .min = 1, .max = 10000),

	GROUP("security"),
	KEY("security.apparmor", string, C(security.apparmor), .check = cfg_check_apparmor, .flags = K_ALWAYS),
	KEY("security.seccomp", string, C(security.seccomp), .check = cfg_check_nonempty, .flags = K_ALWAYS),
	KEY("security.cap_drop", caps, C(security.cap_drop), .aux = C(security.n_cap_drop),
	  .check = cfg_check_cap, .flags = K_ALWAYS | K_UNIQUE, .conflict = "security.cap_keep",
	  .conflict_offset = C(security.cap_keep), .conflict_aux = C(security.n_cap_keep)),
	KEY("security.cap_keep", caps, C(security.cap_keep), .aux = C(security.n_cap_keep),
	  .check = cfg_check_cap, .flags = K_UNIQUE, .conflict = "security.cap_drop",
	  .conflict_offset = C(security.cap_drop), .conflict_aux = C(security.n_cap_drop)),
	KEY("security.no_new_privs", bool, C(security.no_new_privs)),
	KEY("security.nesting", bool, C(security.nesting)),

	LIST("mounts", C(mounts), C(n_mounts), &mount_list),
	KEY("mounts.source", string, MNT(source), .check = cfg_check_nonempty, .flags = K_REQUIRED),
	KEY("mounts.target", string, MNT(target), .check = cfg_check_nonempty, .flags = K_REQUIRED),
	KEY("mounts.options", string, MNT(options), .check = cfg_check_mount_options, .flags = K_EMPTY_NULL),
	KEY("mounts.fstype", string, MNT(fstype), .flags = K_EMPTY_NULL),

	LIST("devices", C(devices), C(n_devices), &device_list, .flags = K_ONE_LINE),
	KEY("devices.type", devtype, DEV(type), .flags = K_REQUIRED | K_ALWAYS),
	KEY("devices.major", devnum, DEV(major), .max = LXM_DEVCG_MAJOR_MAX, .flags = K_REQUIRED | K_ALWAYS),
	KEY("devices.minor", devnum, DEV(minor), .max = LXM_DEVCG_MINOR_MAX, .flags = K_REQUIRED | K_ALWAYS),
	KEY("devices.access", string, DEV(access), .check = cfg_check_dev_access, .flags = K_EMPTY_NULL),
	KEY("devices.path", string, DEV(path), .check = cfg_check_dev_path, .flags = K_EMPTY_NULL),

	GROUP("autostart"),
	KEY("autostart.enabled", bool, C(autostart.enabled)),
	KEY("autostart.delay", u32, C(autostart.delay), .max = 3600),
	KEY("autostart.order", i32, C(autostart.order)),
	KEY("autostart.groups", strv, C(autostart.groups), .aux = C(autostart.n_groups),
	  .check = cfg_check_group_name, .flags = K_UNIQUE),
};

#define N_KEYS ARRAY_SIZE(cfg_keys)
const size_t cfg_n_keys = N_KEYS;

/* The key named name directly below prefix ("" for the top level). */
static const struct key *key_find(const char *prefix, const char *name)
{
	size_t plen = strlen(prefix);

	for (size_t i = 0; i < N_KEYS; i++) {
		const char *p = cfg_keys[i].path;

		if (plen) {
			if (strncmp(p, prefix, plen) != 0 || p[plen] != '.')
				continue;
			p += plen + 1;
		}
		if (streq(p, name))
			return &cfg_keys[i];
	}
	return NULL;
}

/* The last path component: "net.link" -> "link". */
const char *cfg_key_leaf(const struct key *k)
{
	const char *dot = strrchr(k->path, '.');

	return dot ? dot + 1 : k->path;
}

/* k is a direct member of the group at prefix ("" = the top level): what
 * key_find(prefix, cfg_key_leaf(k)) == k says when paths are unique. */
bool cfg_key_in_group(const struct key *k, const char *prefix)
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
const struct lxm_config_origin *cfg_origin_of(const struct lxm_config *conf, const char *key)
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
		if (k->parse == cfg_parse_list && rd->conf) {
			char members[WHY_MAX + 1];

			snprintf(members, sizeof(members), "%s[", kname);
			origins_drop(rd->conf, members);
		}
		r = k->parse(rd, k, c, kname, base);
		if (r < 0)
			return r;
		origin_note(rd, kname, setting_line(c));
		if (!k->aux || k->list || COUNT(base, k->aux) > 0)
			seen[k - cfg_keys] = c;
	}

	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key *k = &cfg_keys[i];
		char kname[WHY_MAX];

		/* only the members of this group (a direct test: key_find()
		 * here made every read quadratic in the table, ~100 us) */
		if (!cfg_key_in_group(k, prefix))
			continue;
		snprintf(kname, sizeof(kname), "%s%s%s", dname, *dname ? "." : "", cfg_key_leaf(k));
		if (check_required && (k->flags & K_REQUIRED) && !seen[i])
			return rd_fail(rd, s, kname, "required key is missing");
		if (k->conflict && seen[i]) {
			const struct key *o = key_find(prefix, strrchr(k->conflict, '.') + 1);
			const config_setting_t *other = o ? seen[o - cfg_keys] : NULL;

			/* report it once, at the one that comes second */
			if (other && (setting_line(other) < setting_line(seen[i]) ||
				      (setting_line(other) == setting_line(seen[i]) && o < k)))
				return rd_fail(rd, seen[i], kname, "must not be used together with '%s'", cfg_key_leaf(o));
		}
	}
	return 0;
}

int cfg_parse_group(struct reader *rd, const struct key *k, const config_setting_t *s,
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

int cfg_parse_list(struct reader *rd, const struct key *k, const config_setting_t *s,
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
		if (streq(cfg_keys[i].path, key))
			k = &cfg_keys[i];
	if (!k)
		return lxm_error_setr(err, EINVAL, "%s: unknown key", key);
	if (k->parse == cfg_parse_group || k->parse == cfg_parse_list)
		return lxm_error_setr(err, EINVAL, "%s: a %s cannot be set from the command line", key,
				      k->parse == cfg_parse_group ? "group" : "list");
	if (dot) {
		const struct key *parent = NULL;

		for (size_t i = 0; i < N_KEYS; i++)
			if (strncmp(cfg_keys[i].path, key, (size_t)(dot - key)) == 0 && !cfg_keys[i].path[dot - key])
				parent = &cfg_keys[i];
		if (!parent || parent->parse != cfg_parse_group)
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
		val = cfg_quote(value);
	} else {
		val = looks_literal(value) ? strdup(value) : cfg_quote(value);
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
		if (streq(cfg_keys[i].path, path))
			return &cfg_keys[i];
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
		_cleanup_free_ char *q = cfg_quote(value);
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
		if (!k || k->parse != cfg_parse_group)
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
