#include "autostart.h"
#include "util.h"

int lxm_autostart_parse_groups(const char *arg, char ***groups, size_t *n)
{
	const char *p = arg;

	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char **nv;
		char *g;
		bool dup = false;

		g = strndup(p, len);
		if (!g)
			return -ENOMEM;
		for (size_t i = 0; i < *n; i++)
			if (streq((*groups)[i], g))
				dup = true;
		if (dup) {
			free(g);
		} else {
			nv = realloc(*groups, (*n + 2) * sizeof(char *));
			if (!nv) {
				free(g);
				return -ENOMEM;
			}
			*groups = nv;
			nv[(*n)++] = g;
			nv[*n] = NULL;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

static bool in_group(const struct lxm_autostart_entry *e, const char *group)
{
	if (!*group)
		return e->n_groups == 0;
	for (size_t i = 0; i < e->n_groups; i++)
		if (e->groups[i] && streq(e->groups[i], group))
			return true;
	return false;
}

bool lxm_autostart_selected(const struct lxm_autostart_entry *e, const struct lxm_autostart_select *sel)
{
	if (!e->enabled && !sel->ignore_auto)
		return false;
	if (sel->all)
		return true;
	if (sel->n_groups == 0)
		return e->n_groups == 0;
	for (size_t i = 0; i < sel->n_groups; i++)
		if (in_group(e, sel->groups[i]))
			return true;
	return false;
}

int lxm_autostart_compare(const struct lxm_autostart_entry *a, const struct lxm_autostart_entry *b)
{
	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	return strcmp(a->name, b->name);
}

struct ranked {
	const struct lxm_autostart_entry *e;
	size_t rank;                /* the first -g group it is in */
};

static int cmp_start(const void *x, const void *y)
{
	const struct ranked *a = x, *b = y;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return lxm_autostart_compare(a->e, b->e);
}

static int cmp_stop(const void *x, const void *y)
{
	return -cmp_start(x, y);
}

/* Which of the -g groups comes first for e: groups are taken in the order
 * given, as lxc-autostart does ("-g onboot," boots onboot first). */
static size_t group_rank(const struct lxm_autostart_entry *e, const struct lxm_autostart_select *sel)
{
	if (sel->all)
		return 0;
	for (size_t i = 0; i < sel->n_groups; i++)
		if (in_group(e, sel->groups[i]))
			return i;
	return 0;
}

int lxm_autostart_plan(const struct lxm_autostart_entry *entries, size_t n,
		       const struct lxm_autostart_select *sel, bool reverse,
		       const struct lxm_autostart_entry ***ret)
{
	const struct lxm_autostart_entry **v = calloc(n + 1, sizeof(*v));
	struct ranked *r = calloc(n + 1, sizeof(*r));
	size_t k = 0;

	*ret = NULL;
	if (!v || !r) {
		free(v);
		free(r);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (lxm_autostart_selected(&entries[i], sel))
			r[k++] = (struct ranked){ &entries[i], group_rank(&entries[i], sel) };
	if (k > 1)
		qsort(r, k, sizeof(*r), reverse ? cmp_stop : cmp_start);
	for (size_t i = 0; i < k; i++)
		v[i] = r[i].e;
	free(r);
	*ret = v;
	return (int)k;
}
