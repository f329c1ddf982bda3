/* Fuzz the runtime state file parser (lxm/state.c), which lxm-attach,
 * lxm-stop and lxm-info read: whatever parses must format to text that
 * parses to the same struct (phys device indexes included) and formats to
 * the same text again, and every string field must stay NUL-terminated
 * within its size. */
#include <stddef.h>
#include <stdint.h>

#include "state.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static bool same_phys(const struct lxm_runtime *a, const struct lxm_runtime *b)
{
	if (a->n_phys != b->n_phys || a->n_phys > LXM_PHYS_MAX)
		return false;
	for (size_t i = 0; i < a->n_phys; i++)
		if (a->phys[i].ifindex != b->phys[i].ifindex || a->phys[i].ifindex <= 0 ||
		    !terminated(a->phys[i].kind, sizeof(a->phys[i].kind)) ||
		    !terminated(a->phys[i].link, sizeof(a->phys[i].link)) || !streq(a->phys[i].kind, b->phys[i].kind) ||
		    !streq(a->phys[i].link, b->phys[i].link) || !a->phys[i].link[0])
			return false;
	return true;
}

static bool same(const struct lxm_runtime *a, const struct lxm_runtime *b)
{
	const struct lxm_confinement *x = &a->confine, *y = &b->confine;

	return same_phys(a, b) && a->init_pid == b->init_pid && a->init_starttime == b->init_starttime &&
	       a->monitor_pid == b->monitor_pid && a->state == b->state && streq(a->cgroup, b->cgroup) &&
	       streq(a->cgroup_mounts, b->cgroup_mounts) && x->known == y->known &&
	       (!x->known || (x->userns == y->userns && x->no_new_privs == y->no_new_privs &&
			      x->seccomp == y->seccomp && x->caps == y->caps && streq(x->apparmor, y->apparmor)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = NULL;
	struct lxm_runtime rt, again;
	char buf[8192], buf2[8192];
	int n, n2;

	if (size > 16384)
		return 0;
	text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (lxm_runtime_parse(text, &rt) < 0)
		return 0;
	if (!terminated(rt.cgroup, sizeof(rt.cgroup)) || !terminated(rt.cgroup_mounts, sizeof(rt.cgroup_mounts)) ||
	    !terminated(rt.confine.apparmor, sizeof(rt.confine.apparmor)) || rt.state >= LXM_STATE_MAX)
		abort();
	n = lxm_runtime_format(&rt, buf, sizeof(buf));
	if (n < 0 || (size_t)n != strlen(buf))
		abort();
	if (lxm_runtime_parse(buf, &again) < 0 || !same(&rt, &again))
		abort();
	n2 = lxm_runtime_format(&again, buf2, sizeof(buf2));
	if (n2 != n || memcmp(buf, buf2, (size_t)n) != 0)
		abort();
	return 0;
}
