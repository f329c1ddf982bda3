/* Which cgroup hierarchies the host mounts: /proc/self/mountinfo parsed
 * into struct lxm_cgroup_mounts (each v1 hierarchy's controllers, the v2
 * one, the layout), and the reverse, the hierarchies as mountinfo lines
 * for the state file (lxm_cgroup_format_mounts). */
#include <fcntl.h>

#include "cgroup-internal.h"

static const char *const layout_names[LXM_CGROUP_LAYOUT_MAX] = {
	[LXM_CGROUP_UNIFIED] = "unified",
	[LXM_CGROUP_HYBRID] = "hybrid",
	[LXM_CGROUP_LEGACY] = "legacy",
};

const char *lxm_cgroup_layout_to_string(enum lxm_cgroup_layout l)
{
	return l < LXM_CGROUP_LAYOUT_MAX ? layout_names[l] : "unknown";
}

/* ---- mountinfo ---- */

void cg_hierarchy_done(struct lxm_cgroup_hierarchy *h)
{
	free(h->mountpoint);
	free(h->controllers);
	free(h->path);
	*h = (struct lxm_cgroup_hierarchy){ 0 };
}

void lxm_cgroup_mounts_done(struct lxm_cgroup_mounts *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		cg_hierarchy_done(&m->h[i]);
	free(m->h);
	*m = (struct lxm_cgroup_mounts){ 0 };
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; ) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* Super options of a v1 hierarchy minus the generic ones: what is left is
 * the controllers and "name=...". */
static bool is_generic_v1_option(const char *o)
{
	static const char *const generic[] = {
		"rw", "ro", "none", "all", "noprefix", "clone_children", "cpuset_v2_mode",
		"xattr", "favordynmods", "nofavordynmods", "sane_behavior",
	};

	for (size_t i = 0; i < ARRAY_SIZE(generic); i++)
		if (streq(o, generic[i]))
			return true;
	return lxm_startswith(o, "release_agent=");
}

static int v1_controllers(const char *superopts, char **ret)
{
	_cleanup_free_ char *copy = strdup(superopts);
	_cleanup_free_ char *out = NULL;
	size_t len = 0;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	out = calloc(1, strlen(superopts) + 1);
	if (!out)
		return -ENOMEM;
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (is_generic_v1_option(o))
			continue;
		if (strchr(o, '=') && !lxm_startswith(o, "name="))
			continue;
		if (len)
			out[len++] = ',';
		memcpy(out + len, o, strlen(o) + 1);
		len += strlen(o);
	}
	if (len == 0)
		return -EINVAL;
	*ret = TAKE_PTR(out);
	return 0;
}

struct mi_entry {
	int id, parent;
	char *root, *mountpoint, *fstype, *superopts;   /* point into the text copy */
};

/* One line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE
 * SOURCE SUPEROPTS". Returns false for lines that do not look like that. */
static bool split_line(char *line, struct mi_entry *e)
{
	char *tok[64];
	size_t n = 0, sep = 0;
	char *save = NULL, *end;
	long id, parent;

	for (char *t = strtok_r(line, " \t", &save); t && n < ARRAY_SIZE(tok); t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	for (size_t i = 6; i < n; i++)
		if (streq(tok[i], "-")) {
			sep = i;
			break;
		}
	if (sep == 0 || sep + 3 >= n || tok[4][0] != '/')
		return false;
	errno = 0;
	id = strtol(tok[0], &end, 10);
	if (errno || *end || id < 0 || id > INT32_MAX)
		return false;
	parent = strtol(tok[1], &end, 10);
	if (errno || *end || parent < 0 || parent > INT32_MAX)
		return false;
	unescape_octal(tok[3]);
	unescape_octal(tok[4]);
	*e = (struct mi_entry){
		.id = (int)id, .parent = (int)parent, .root = tok[3], .mountpoint = tok[4],
		.fstype = tok[sep + 1], .superopts = tok[sep + 3],
	};
	return true;
}

static const struct mi_entry *mi_find(const struct mi_entry *e, size_t n, int id)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].id == id)
			return &e[i];
	return NULL;
}

/* A mount is hidden when another one sits on top of it on the same mount
 * point (the other's parent is the mount itself), or when one of its
 * ancestors is hidden by something other than the mount on the path down
 * (a tmpfs mounted over /sys/fs/cgroup hides the hierarchies below it). */
static bool mi_hidden(const struct mi_entry *e, size_t n, const struct mi_entry *m)
{
	const struct mi_entry *via = NULL;

	for (int depth = 0; m && depth < 64; depth++) {
		for (size_t i = 0; i < n; i++)
			if (e[i].parent == m->id && &e[i] != m && &e[i] != via &&
			    streq(e[i].mountpoint, m->mountpoint))
				return true;
		if (m->parent == m->id)
			break;
		via = m;
		m = mi_find(e, n, m->parent);
	}
	return false;
}

static int mounts_add(struct lxm_cgroup_mounts *m, const struct mi_entry *e, bool unified,
		      char **controllers, const char **roots)
{
	struct lxm_cgroup_hierarchy *nh;
	char *mp;

	/* The same hierarchy mounted twice (a bind of a subtree, a second
	 * mount): keep the first, unless only a later one shows its root. */
	for (size_t i = 0; i < m->n; i++) {
		if (m->h[i].unified != unified || (!unified && !streq(m->h[i].controllers, *controllers)))
			continue;
		if (streq(roots[i], "/") || !streq(e->root, "/"))
			return 0;
		mp = strdup(e->mountpoint);
		if (!mp)
			return -ENOMEM;
		free(m->h[i].mountpoint);
		m->h[i].mountpoint = mp;
		roots[i] = e->root;
		return 0;
	}
	mp = strdup(e->mountpoint);
	if (!mp)
		return -ENOMEM;
	nh = realloc(m->h, (m->n + 1) * sizeof(*nh));
	if (!nh) {
		free(mp);
		return -ENOMEM;
	}
	m->h = nh;
	roots[m->n] = e->root;
	m->h[m->n++] = (struct lxm_cgroup_hierarchy){
		.mountpoint = mp,
		.controllers = TAKE_PTR(*controllers),
		.unified = unified,
	};
	return 0;
}

static int parse_entries(struct mi_entry *e, size_t n, struct lxm_cgroup_mounts *m)
{
	_cleanup_free_ const char **roots = calloc(n + 1, sizeof(*roots));

	if (!roots)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *ctrl = NULL;
		bool unified;
		int r;

		if (streq(e[i].fstype, "cgroup2"))
			unified = true;
		else if (streq(e[i].fstype, "cgroup"))
			unified = false;
		else
			continue;
		if (mi_hidden(e, n, &e[i]))
			continue;
		if (!unified) {
			r = v1_controllers(e[i].superopts, &ctrl);
			if (r == -EINVAL)
				continue;
			if (r < 0)
				return r;
		}
		r = mounts_add(m, &e[i], unified, &ctrl, roots);
		if (r < 0)
			return r;
	}
	return 0;
}

int lxm_cgroup_parse_mountinfo(const char *text, struct lxm_cgroup_mounts *ret, struct lxm_error *err)
{
	_cleanup_free_ char *copy = NULL;
	_cleanup_free_ struct mi_entry *e = NULL;
	struct lxm_cgroup_mounts m = { 0 };
	size_t n = 0, cap = 0;
	bool v2 = false, v1_controller = false;
	char *rest;
	int r;

	if (!text)
		return lxm_error_set(err, EINVAL, "parsing mountinfo");
	copy = strdup(text);
	if (!copy)
		return lxm_error_set(err, ENOMEM, "parsing mountinfo");
	rest = copy;
	while (rest) {
		char *line = strsep(&rest, "\n");
		struct mi_entry one;

		if (!split_line(line, &one))
			continue;
		if (n == cap) {
			struct mi_entry *ne;

			cap = cap ? cap * 2 : 64;
			ne = realloc(e, cap * sizeof(*e));
			if (!ne)
				return lxm_error_set(err, ENOMEM, "parsing mountinfo");
			e = ne;
		}
		e[n++] = one;
	}
	r = parse_entries(e, n, &m);
	if (r < 0) {
		lxm_cgroup_mounts_done(&m);
		return lxm_error_set(err, -r, "parsing mountinfo");
	}
	for (size_t i = 0; i < m.n; i++) {
		const char *c = m.h[i].controllers;

		if (m.h[i].unified) {
			v2 = true;
			continue;
		}
		/* a hierarchy of only "name=..." carries no controller */
		for (const char *p = c; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
			if (!lxm_startswith(p, "name="))
				v1_controller = true;
	}
	if (m.n == 0)
		return lxm_error_setr(err, ENOENT, "no cgroup hierarchy is mounted");
	if (v1_controller)
		m.layout = v2 ? LXM_CGROUP_HYBRID : LXM_CGROUP_LEGACY;
	else
		m.layout = v2 ? LXM_CGROUP_UNIFIED : LXM_CGROUP_LEGACY;
	*ret = m;
	return 0;
}

int cg_load_mounts(struct lxm_cgroup_mounts *ret, struct lxm_error *err)
{
	const char *path = getenv("LXM_CGROUP_MOUNTINFO");
	_cleanup_free_ char *text = NULL;
	int r;

	if (!path || !*path)
		path = "/proc/self/mountinfo";
	r = lxm_read_file_at(AT_FDCWD, path, &text, NULL);
	if (r < 0)
		return lxm_error_set(err, -r, "reading '%s'", path);
	r = lxm_cgroup_parse_mountinfo(text, ret, err);
	if (r < 0)
		return lxm_error_prefix(err, "reading '%s'", path);
	return 0;
}

int lxm_cgroup_detect(enum lxm_cgroup_layout *ret, struct lxm_error *err)
{
	struct lxm_cgroup_mounts m = { 0 };
	int r = cg_load_mounts(&m, err);

	if (r < 0)
		return r;
	*ret = m.layout;
	lxm_cgroup_mounts_done(&m);
	return 0;
}

/* Each hierarchy as a line of mountinfo that lxm_cgroup_parse_mountinfo()
 * reads back (only the fields it looks at are real), with the mount point
 * escaped as the kernel does. */
int lxm_cgroup_format_mounts(const struct lxm_cgroup_hierarchy *hs, size_t n_hs, char *buf, size_t size)
{
	size_t len = 0;

	if (!size)
		return -ENOBUFS;
	buf[0] = '\0';
	for (size_t i = 0; i < n_hs; i++) {
		const struct lxm_cgroup_hierarchy *h = &hs[i];
		char mp[LXM_CGROUP_MOUNT_LINE_MAX];
		size_t w = 0;
		int n;

		for (const char *c = h->mountpoint; *c; c++) {
			if (w + 5 > sizeof(mp))
				return -ENOBUFS;
			if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\\')
				w += (size_t)snprintf(mp + w, sizeof(mp) - w, "\\%03o", (unsigned char)*c);
			else
				mp[w++] = *c;
		}
		mp[w] = '\0';
		if (!h->unified && (!h->controllers || strpbrk(h->controllers, " \t\n")))
			return -EINVAL;
		n = snprintf(buf + len, size - len, "%zu 0 0:0 / %s rw - %s %s rw%s%s\n", i + 1, mp,
			     h->unified ? "cgroup2" : "cgroup", h->unified ? "cgroup2" : "cgroup",
			     h->unified ? "" : ",", h->unified ? "" : h->controllers);
		if (n < 0 || (size_t)n >= size - len || n >= LXM_CGROUP_MOUNT_LINE_MAX)
			return -ENOBUFS;
		len += (size_t)n;
	}
	return (int)len;
}
