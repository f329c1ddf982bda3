/* The validation pass: cross-key checks on a struct lxm_config that was read
 * (id maps, interfaces and their addresses, limits), each error named with
 * the file and line the setting came from. */
#include <inttypes.h>
#include <signal.h>
#include <strings.h>

#include "caps.h"
#include "config-internal.h"
#include "config.h"
#include "rootfs.h"
#include "state.h"
#include "util.h"

#define LXM_IDMAP_LINES_MAX 340      /* kernel limit per map since 4.15 */

/* ---- validation -------------------------------------------------------------- */

/* "FILE:LINE: key: what", with the file and line the setting (or the one
 * around it) was read from; "LABEL: key: what" for one nothing set. */
static int val_fail(const struct lxm_config *conf, struct lxm_error *err, const char *label, const char *key,
		    const char *fmt, ...) _printf_(5, 6);
static int val_fail(const struct lxm_config *conf, struct lxm_error *err, const char *label, const char *key,
		    const char *fmt, ...)
{
	const struct lxm_config_origin *o = cfg_origin_of(conf, key);
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
		if (nic->link[0] && cfg_check_ifname(buf, why, sizeof(why)) < 0)
			return val_fail(conf, err, label, key, "link: %s", why);
		memcpy(buf, nic->name, sizeof(nic->name));
		if (!nic->name[0])
			return val_fail(conf, err, label, key, "name: missing");
		if (cfg_check_inner_ifname(buf, why, sizeof(why)) < 0)
			return val_fail(conf, err, label, key, "name: %s", why);
		memcpy(buf, nic->hwaddr, sizeof(nic->hwaddr));
		if (nic->hwaddr[0] && cfg_check_hwaddr(buf, why, sizeof(why)) < 0)
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
		if (cfg_check_uuid(u, why, sizeof(why)) < 0)
			return val_fail(conf, err, label, "uuid", "%s", why);
	}
	if (conf->hostname) {
		_cleanup_free_ char *h = strdup(conf->hostname);

		if (!h)
			return lxm_error_set(err, ENOMEM, "%s", label);
		if (cfg_check_hostname(h, why, sizeof(why)) < 0)
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
