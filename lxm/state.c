#include <ctype.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "config.h"
#include "state.h"

static const char *const state_names[LXM_STATE_MAX] = {
	[LXM_STATE_STOPPED] = "STOPPED",
	[LXM_STATE_STARTING] = "STARTING",
	[LXM_STATE_RUNNING] = "RUNNING",
	[LXM_STATE_STOPPING] = "STOPPING",
	[LXM_STATE_FROZEN] = "FROZEN",
	[LXM_STATE_ABORTING] = "ABORTING",
};

const char *lxm_state_to_string(enum lxm_state s)
{
	return s < LXM_STATE_MAX ? state_names[s] : "UNKNOWN";
}

int lxm_state_from_string(const char *s, enum lxm_state *ret)
{
	for (int i = 0; i < LXM_STATE_MAX; i++) {
		if (strcasecmp(s, state_names[i]) == 0) {
			*ret = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int path_from(char **dst, const char *env, const char *dflt)
{
	const char *v = getenv(env);

	*dst = strdup(v && *v ? v : dflt);
	return *dst ? 0 : -ENOMEM;
}

int lxm_ifname_check(const char *s, char *why, size_t n)
{
	if (!*s)
		return lxm_why_invalid(why, n, "invalid interface name '': must not be empty");
	if (strlen(s) >= IFNAMSIZ)
		return lxm_why_invalid(why, n, "invalid interface name '%s': longer than %d characters", s, IFNAMSIZ - 1);
	if (streq(s, ".") || streq(s, ".."))
		return lxm_why_invalid(why, n, "invalid interface name '%s'", s);
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) || !isprint((unsigned char)*p))
			return lxm_why_invalid(why, n, "invalid interface name '%s': must not contain '/', ':' or white space", s);
	/* the kernel would take "eth%d" for a template and pick a number */
	if (strchr(s, '%'))
		return lxm_why_invalid(why, n, "invalid interface name '%s': must not contain '%%'", s);
	return 0;
}

int lxm_name_check(const char *what, const char *s, char *why, size_t n)
{
	if (!*s)
		return lxm_why_invalid(why, n, "invalid %s '': must not be empty", what);
	if (strlen(s) > LXM_NAME_MAX)
		return lxm_why_invalid(why, n, "invalid %s '%s': longer than %d characters", what, s, LXM_NAME_MAX);
	if (strchr(s, '/'))
		return lxm_why_invalid(why, n, "invalid %s '%s': must not contain '/'", what, s);
	if (streq(s, ".") || streq(s, ".."))
		return lxm_why_invalid(why, n, "invalid %s '%s': must not be '.' or '..'", what, s);
	if (s[0] == '.' || s[0] == '-')
		return lxm_why_invalid(why, n, "invalid %s '%s': must not start with '%c'", what, s, s[0]);
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (isascii(c) && (isalnum(c) || c == '_' || c == '.' || c == '-'))
			continue;
		if (isprint(c))
			return lxm_why_invalid(why, n, "invalid %s '%s': invalid character '%c'", what, s, c);
		return lxm_why_invalid(why, n, "invalid %s: invalid character 0x%02x", what, c);
	}
	return 0;
}

int lxm_name_validate(const char *name, struct lxm_error *err)
{
	char why[256];

	if (!name)
		return lxm_error_setr(err, EINVAL, "invalid container name: none given");
	if (lxm_name_check("container name", name, why, sizeof(why)) < 0)
		return lxm_error_setr(err, EINVAL, "%s", why);
	return 0;
}

int lxm_paths_init(struct lxm_paths *p, const char *lxmpath)
{
	memset(p, 0, sizeof(*p));
	if (path_from(&p->lxmpath, "LXM_PATH", LXM_DEFAULT_PATH) < 0 ||
	    path_from(&p->rundir, "LXM_RUNDIR", LXM_DEFAULT_RUNDIR) < 0 ||
	    path_from(&p->confdir, "LXM_CONFDIR", LXM_DEFAULT_CONFDIR) < 0 ||
	    path_from(&p->cachedir, "LXM_CACHEDIR", LXM_DEFAULT_CACHEDIR) < 0)
		goto oom;
	if (lxmpath) {
		free(p->lxmpath);
		p->lxmpath = strdup(lxmpath);
		if (!p->lxmpath)
			goto oom;
	}
	/* trailing slashes make messages ugly and paths compare unequal */
	for (size_t n = strlen(p->lxmpath); n > 1 && p->lxmpath[n - 1] == '/'; n--)
		p->lxmpath[n - 1] = '\0';
	return 0;
oom:
	lxm_paths_free(p);
	return -ENOMEM;
}

void lxm_paths_free(struct lxm_paths *p)
{
	free(p->lxmpath);
	free(p->rundir);
	free(p->confdir);
	free(p->cachedir);
	memset(p, 0, sizeof(*p));
}

char *lxm_container_path(const struct lxm_paths *p, const char *name, const char *file)
{
	if (file)
		return lxm_strdup_printf("%s/%s/%s", p->lxmpath, name, file);
	return lxm_strdup_printf("%s/%s", p->lxmpath, name);
}

char *lxm_runtime_path(const struct lxm_paths *p, const char *name, const char *file)
{
	if (file)
		return lxm_strdup_printf("%s/%s/%s", p->rundir, name, file);
	return lxm_strdup_printf("%s/%s", p->rundir, name);
}

int lxm_runtime_format(const struct lxm_runtime *rt, char *buf, size_t size)
{
	size_t len;
	int n = snprintf(buf, size,
			 "init_pid=%d\ninit_starttime=%llu\nmonitor_pid=%d\nstate=%s\ncgroup=%s\n",
			 (int)rt->init_pid, (unsigned long long)rt->init_starttime,
			 (int)rt->monitor_pid, lxm_state_to_string(rt->state), rt->cgroup);

	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	len = (size_t)n;
	/* one "cgroup_mount=" line each */
	for (const char *l = rt->cgroup_mounts; *l; ) {
		const char *nl = strchr(l, '\n');
		size_t ll = nl ? (size_t)(nl - l) : strlen(l);

		n = snprintf(buf + len, size - len, "cgroup_mount=%.*s\n", (int)ll, l);
		if (n < 0 || (size_t)n >= size - len)
			return -ENOBUFS;
		len += (size_t)n;
		l += ll + (nl ? 1 : 0);
	}
	if (rt->confine.known) {
		const struct lxm_confinement *c = &rt->confine;

		n = snprintf(buf + len, size - len, "userns=%d\nno_new_privs=%d\nseccomp=%d\ncaps=%llu\napparmor=%s\n",
			     c->userns, c->no_new_privs, c->seccomp, (unsigned long long)c->caps, c->apparmor);
		if (n < 0 || (size_t)n >= size - len)
			return -ENOBUFS;
		len += (size_t)n;
	}
	if (rt->dir_ino) {
		n = snprintf(buf + len, size - len, "dir_id=%llu:%llu\n", (unsigned long long)rt->dir_dev,
			     (unsigned long long)rt->dir_ino);
		if (n < 0 || (size_t)n >= size - len)
			return -ENOBUFS;
		len += (size_t)n;
	}
	if (rt->dir[0]) {
		n = snprintf(buf + len, size - len, "dir=%s\n", rt->dir);
		if (n < 0 || (size_t)n >= size - len)
			return -ENOBUFS;
		len += (size_t)n;
	}
	for (size_t i = 0; i < rt->n_phys && i < LXM_PHYS_MAX; i++) {
		const struct lxm_phys_index *p = &rt->phys[i];

		n = snprintf(buf + len, size - len, "phys=%d %s %s %u %s\n", (int)p->ifindex, p->kind[0] ? p->kind : "-",
			     p->link, p->mtu, p->hwaddr[0] ? p->hwaddr : "-");
		if (n < 0 || (size_t)n >= size - len)
			return -ENOBUFS;
		len += (size_t)n;
	}
	return (int)len;
}

/* A MAC as "xx:xx:xx:xx:xx:xx" (either case). */
static bool is_hwaddr(const char *s)
{
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	return s[17] == '\0';
}

/* "IFINDEX KIND LINK [MTU HWADDR]", KIND and HWADDR "-" for none, MTU 0
 * for not known (a state file of an older lxm has no MTU and HWADDR) */
static int parse_phys(char *s, struct lxm_phys_index *ret)
{
	char *kind = strchr(s, ' '), *link, *mtu = NULL, *hwaddr = NULL;
	uint64_t ifindex, m = 0;

	if (!kind)
		return -EINVAL;
	*kind++ = '\0';
	link = strchr(kind, ' ');
	if (!link)
		return -EINVAL;
	*link++ = '\0';
	mtu = strchr(link, ' ');
	if (mtu) {
		*mtu++ = '\0';
		hwaddr = strchr(mtu, ' ');
		if (!hwaddr)
			return -EINVAL;
		*hwaddr++ = '\0';
		if (lxm_parse_u64(mtu, UINT32_MAX, &m) < 0 || (!streq(hwaddr, "-") && !is_hwaddr(hwaddr)))
			return -EINVAL;
	}
	if (lxm_parse_u64(s, INT32_MAX, &ifindex) < 0 || ifindex == 0 || lxm_ifname_check(link, NULL, 0) < 0 ||
	    (!streq(kind, "-") && lxm_ifname_check(kind, NULL, 0) < 0))
		return -EINVAL;
	*ret = (struct lxm_phys_index){ .ifindex = (int32_t)ifindex, .mtu = (uint32_t)m };
	if (!streq(kind, "-"))
		memcpy(ret->kind, kind, strlen(kind) + 1);
	memcpy(ret->link, link, strlen(link) + 1);
	if (hwaddr && !streq(hwaddr, "-"))
		memcpy(ret->hwaddr, hwaddr, strlen(hwaddr) + 1);
	return 0;
}

static int parse_flag(const char *s, bool *ret)
{
	uint64_t v;

	if (lxm_parse_u64(s, 1, &v) < 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

int lxm_runtime_parse(const char *text, struct lxm_runtime *ret)
{
	struct lxm_runtime rt = { .state = LXM_STATE_STOPPED };
	const char *line = text;
	bool have_pid = false, mounts_dropped = false;
	unsigned confine_keys = 0;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[512];
		char *eq;
		uint64_t v;

		if (len >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = nl ? nl + 1 : NULL;
		if (!buf[0])
			continue;
		eq = strchr(buf, '=');
		if (!eq)
			return -EINVAL;
		*eq++ = '\0';
		if (streq(buf, "init_pid")) {
			if (lxm_parse_u64(eq, INT32_MAX, &v) < 0)
				return -EINVAL;
			rt.init_pid = (pid_t)v;
			have_pid = true;
		} else if (streq(buf, "init_starttime")) {
			if (lxm_parse_u64(eq, UINT64_MAX, &rt.init_starttime) < 0)
				return -EINVAL;
		} else if (streq(buf, "monitor_pid")) {
			if (lxm_parse_u64(eq, INT32_MAX, &v) < 0)
				return -EINVAL;
			rt.monitor_pid = (pid_t)v;
		} else if (streq(buf, "state")) {
			if (lxm_state_from_string(eq, &rt.state) < 0)
				return -EINVAL;
		} else if (streq(buf, "dir_id")) {
			char *colon = strchr(eq, ':');

			if (!colon)
				return -EINVAL;
			*colon++ = '\0';
			if (lxm_parse_u64(eq, UINT64_MAX, &rt.dir_dev) < 0 || lxm_parse_u64(colon, UINT64_MAX, &rt.dir_ino) < 0)
				return -EINVAL;
		} else if (streq(buf, "dir")) {
			if (eq[0] != '/' || lxm_strscpy(rt.dir, eq, sizeof(rt.dir)) < 0)
				rt.dir[0] = '\0';   /* for messages only */
		} else if (streq(buf, "cgroup")) {
			if (lxm_strscpy(rt.cgroup, eq, sizeof(rt.cgroup)) < 0)
				return -EINVAL;
		} else if (streq(buf, "cgroup_mount")) {
			size_t have = strlen(rt.cgroup_mounts), add = strlen(eq);

			/* too many to keep: none, the reader falls back to
			 * mountinfo */
			if (have + add + 2 > sizeof(rt.cgroup_mounts) || mounts_dropped) {
				mounts_dropped = true;
				rt.cgroup_mounts[0] = '\0';
				continue;
			}
			memcpy(rt.cgroup_mounts + have, eq, add);
			rt.cgroup_mounts[have + add] = '\n';
			rt.cgroup_mounts[have + add + 1] = '\0';
		} else if (streq(buf, "userns")) {
			if (parse_flag(eq, &rt.confine.userns) < 0)
				return -EINVAL;
			confine_keys |= 1;
		} else if (streq(buf, "no_new_privs")) {
			if (parse_flag(eq, &rt.confine.no_new_privs) < 0)
				return -EINVAL;
			confine_keys |= 2;
		} else if (streq(buf, "seccomp")) {
			if (parse_flag(eq, &rt.confine.seccomp) < 0)
				return -EINVAL;
			confine_keys |= 4;
		} else if (streq(buf, "caps")) {
			if (lxm_parse_u64(eq, UINT64_MAX, &rt.confine.caps) < 0)
				return -EINVAL;
			confine_keys |= 8;
		} else if (streq(buf, "apparmor")) {
			if (lxm_strscpy(rt.confine.apparmor, eq, sizeof(rt.confine.apparmor)) < 0)
				return -EINVAL;
			confine_keys |= 16;
		} else if (streq(buf, "phys")) {
			bool dup = false;

			/* a line that cannot be used (bad, one more than kept,
			 * or a device twice) is left out, not the whole file:
			 * what tells lxm-stop that init runs */
			if (rt.n_phys >= LXM_PHYS_MAX)
				continue;
			if (parse_phys(eq, &rt.phys[rt.n_phys]) < 0) {
				memset(&rt.phys[rt.n_phys], 0, sizeof(rt.phys[0]));
				continue;
			}
			for (size_t i = 0; i < rt.n_phys; i++)
				dup |= rt.phys[i].ifindex == rt.phys[rt.n_phys].ifindex ||
				       streq(rt.phys[i].link, rt.phys[rt.n_phys].link);
			if (dup)
				memset(&rt.phys[rt.n_phys], 0, sizeof(rt.phys[0]));
			else
				rt.n_phys++;
		}
		/* unknown keys: written by a newer lxm, ignore */
	}
	if (!have_pid)
		return -EINVAL;
	/* all of the record or none of it */
	if (confine_keys != 0 && confine_keys != 31)
		return -EINVAL;
	rt.confine.known = confine_keys == 31;
	*ret = rt;
	return 0;
}

int lxm_runtime_write(const char *path, const struct lxm_runtime *rt)
{
	char buf[4096];
	int n = lxm_runtime_format(rt, buf, sizeof(buf));

	if (n < 0)
		return n;
	return lxm_write_file_replace(path, buf, (size_t)n, 0600, false);
}

int lxm_runtime_read(const char *path, struct lxm_runtime *ret)
{
	_cleanup_free_ char *text = NULL;
	int r = lxm_read_file_at(AT_FDCWD, path, &text, NULL);

	if (r < 0)
		return r;
	return lxm_runtime_parse(text, ret);
}

bool lxm_runtime_is_of(const struct lxm_runtime *rt, const char *cdir)
{
	struct stat st;

	if (!rt->dir_ino || !cdir)
		return true;
	/* a directory that is gone is not the one that runs */
	return stat(cdir, &st) == 0 && (uint64_t)st.st_dev == rt->dir_dev && (uint64_t)st.st_ino == rt->dir_ino;
}

void lxm_runtime_set_dir(struct lxm_runtime *rt, const char *cdir)
{
	struct stat st;

	if (cdir && stat(cdir, &st) == 0) {
		rt->dir_dev = (uint64_t)st.st_dev;
		rt->dir_ino = (uint64_t)st.st_ino;
	}
	{
		_cleanup_free_ char *abs = cdir ? realpath(cdir, NULL) : NULL;

		/* absolute, for messages: a relative -P means nothing elsewhere */
		if (!abs || lxm_strscpy(rt->dir, abs, sizeof(rt->dir)) < 0)
			rt->dir[0] = '\0';
	}
}

bool lxm_process_matches(pid_t pid, uint64_t starttime)
{
	uint64_t now;
	char st;

	return pid > 0 && lxm_proc_stat(pid, &st, &now) == 0 && now == starttime && st != 'Z' && st != 'X';
}

int lxm_pidfd_open_checked(pid_t pid, uint64_t starttime)
{
	_cleanup_close_ int fd = -1;
	uint64_t now;
	char st;

	if (pid <= 0)
		return -ESRCH;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	/* checked after the pidfd exists, so the pidfd is pinned to the process
	 * whose start time we compare */
	if (lxm_proc_stat(pid, &st, &now) < 0 || now != starttime)
		return -ESRCH;
	/* a zombie waiting for a reaper that is not us is as good as gone */
	if (st == 'Z' || st == 'X')
		return -ESRCH;
	return TAKE_FD(fd);
}
