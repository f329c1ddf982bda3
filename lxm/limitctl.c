/* lxm-cgroup: a container's limits, live (its cgroups) and persistent (its
 * config). See limits.h. */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "container.h"
#include "limitctl.h"
#include "log.h"

static bool is_raw(const char *key)
{
	return strchr(key, '.') != NULL;
}

static int bad_key(const char *key, struct lxm_error *err)
{
	return lxm_error_setr(err, EINVAL,
			      "'%s' is not a limit (memory, memory_swap, pids, cpu_weight, cpuset, io_weight) "
			      "or a cgroup file (like 'memory.high')", key);
}

/* Set limit l in conf from a command-line value, with the config parser
 * and then the cross-key checks; errors become "KEY: why". */
static int set_in_config(struct lxm_config *conf, enum lxm_limit l, const char *value, struct lxm_error *err)
{
	const char *key = lxm_limit_to_string(l);
	int r;

	if (streq(value, "max") && (l == LXM_LIMIT_MEMORY || l == LXM_LIMIT_MEMORY_SWAP || l == LXM_LIMIT_PIDS))
		value = "0";
	if (streq(value, "default") && l == LXM_LIMIT_CPU_WEIGHT)
		conf->limits.cpu_weight = 0;
	else if (streq(value, "default") && l == LXM_LIMIT_IO_WEIGHT)
		conf->limits.io_weight = 0;
	else if ((r = lxm_config_set_limit(conf, key, value, err)) < 0)
		return r;
	r = lxm_config_validate(conf, "\x01", err);
	if (r < 0) {
		/* "\x01: limits.memory_swap: why" -> "memory_swap: why" */
		const char *p = err->msg;

		if (lxm_startswith(p, "\x01: "))
			p += 3;
		if (lxm_startswith(p, "limits."))
			p += strlen("limits.");
		memmove(err->msg, p, strlen(p) + 1);
	}
	return r;
}

/* Rewrite the one key in the config file, keeping the rest of its text. */
static int persist(const struct lxm_paths *paths, const char *name, enum lxm_limit l,
		   const struct lxm_config *conf, struct lxm_error *err)
{
	_cleanup_free_ char *path = lxm_container_path(paths, name, "config");
	_cleanup_free_ char *dir = lxm_container_path(paths, name, NULL);
	_cleanup_free_ char *key = lxm_strdup_printf("limits.%s", lxm_limit_to_string(l));
	_cleanup_free_ char *text = NULL, *out = NULL, *lit = NULL, *back = NULL;
	_cleanup_close_ int dfd = -1;
	struct lxm_config check = { 0 };
	struct stat st;
	int r;

	if (!path || !dir || !key)
		return lxm_error_set(err, ENOMEM, "saving the config");
	/* two lxm-cgroup at once must not lose either change */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || flock(dfd, LOCK_EX) < 0)
		return lxm_error_set(err, errno, "locking '%s'", dir);
	r = lxm_read_file_at(AT_FDCWD, path, &text, NULL);
	if (r < 0)
		return lxm_error_set(err, -r, "reading '%s'", path);
	if (stat(path, &st) < 0)
		return lxm_error_set(err, errno, "reading '%s'", path);
	r = lxm_config_format_key(conf, key, &lit);
	if (r < 0)
		return lxm_error_set(err, -r, "formatting '%s'", key);
	r = lxm_config_edit_text(text, key, lit, &out);
	if (r < 0)
		return lxm_error_set(err, -r, "changing '%s' in '%s'", key, path);
	/* read it back: the edit must give exactly the new value and a
	 * config that still passes every check */
	r = lxm_config_init(&check);
	if (r < 0)
		return lxm_error_set(err, -r, "checking the new config");
	r = lxm_config_read_string(&check, out, path, err);
	if (r == 0)
		r = lxm_config_validate(&check, path, err);
	if (r == 0 && lxm_config_format_key(&check, key, &back) < 0)
		r = lxm_error_set(err, ENOMEM, "checking the new config");
	if (r == 0 && !((!lit && !back) || (lit && back && streq(lit, back))))
		r = lxm_error_setr(err, EINVAL, "changing '%s' in '%s': the edited text reads back as %s, not %s",
				   key, path, back ?: "unset", lit ?: "unset");
	lxm_config_free(&check);
	if (r < 0)
		return r;
	r = lxm_write_file_replace(path, out, strlen(out), st.st_mode & 07777, true);
	if (r < 0)
		return lxm_error_set(err, -r, "writing '%s'", path);
	/* the new file is ours (root's): give it the old one's owner */
	if ((st.st_uid != geteuid() || st.st_gid != getegid()) && chown(path, st.st_uid, st.st_gid) < 0)
		return lxm_error_set(err, errno, "keeping the owner of '%s'", path);
	log_debug("'%s': %s = %s", path, key, lit ?: "(removed)");
	return 0;
}

/* The running container: its cgroups, and its runtime config copy (what
 * lxm-attach and lxm-info take as init's config). */
static int apply_live(const struct lxm_paths *paths, const char *name, enum lxm_limit l, const char *value,
		      const struct lxm_config *conf, struct lxm_error *err)
{
	_cleanup_free_ char *rtpath = lxm_runtime_path(paths, name, "config");
	_cleanup_(lxm_cgroup_freep) struct lxm_cgroup *cg = NULL;
	struct lxm_config rt = { 0 };
	struct lxm_cgroup_limits lim;
	bool have_rt;
	int r;

	if (!rtpath)
		return lxm_error_set(err, ENOMEM, "runtime config");
	/* the running values: init's config (-s and -f included) plus this */
	have_rt = access(rtpath, F_OK) == 0;
	if (have_rt) {
		r = lxm_config_load(&rt, rtpath, err);
		if (r == 0)
			r = set_in_config(&rt, l, value, err);
		if (r < 0)
			goto out;
		lxm_cgroup_limits_of(&rt, &lim);
	} else {
		lxm_cgroup_limits_of(conf, &lim);
	}
	r = lxm_container_open_cgroup(paths, name, &cg, err);
	if (r < 0)
		goto out;
	r = lxm_cgroup_limit_apply(cg, l, &lim, err);
	if (r == -EOPNOTSUPP) {
		char text[LXM_ERROR_MSG_MAX + 64];

		log_warn("%s, ignoring", lxm_error_text(err, text, sizeof(text)));
		lxm_error_clear(err);
		r = 0;
	}
	if (r < 0) {
		lxm_error_prefix(err, "%s", lxm_limit_to_string(l));
		goto out;
	}
	if (have_rt)
		r = lxm_config_write_runtime(&rt, rtpath, err);
out:
	lxm_config_free(&rt);
	return r;
}

static int open_running(const struct lxm_paths *paths, const char *name, const char *key, struct lxm_cgroup **ret,
			bool *ret_running, struct lxm_error *err)
{
	struct lxm_container_info info;
	int r;

	r = lxm_container_query(paths, name, &info, err);
	if (r < 0)
		return r;
	*ret_running = info.state != LXM_STATE_STOPPED;
	if (!*ret_running)
		return 0;
	r = lxm_container_open_cgroup(paths, name, ret, err);
	if (r < 0)
		return lxm_error_prefix(err, "%s", key);
	return 0;
}

int lxm_limits_set(const struct lxm_paths *paths, const char *name, const char *key, const char *value,
		   bool persist_it, struct lxm_error *err)
{
	_cleanup_(lxm_cgroup_freep) struct lxm_cgroup *cg = NULL;
	struct lxm_config conf = { 0 };
	bool running = false;
	int l, r;

	if (is_raw(key)) {
		r = open_running(paths, name, key, &cg, &running, err);
		if (r < 0)
			return r;
		if (!running)
			return lxm_error_setr(err, ESRCH, "%s: the container is not running (a cgroup file is only "
					      "written in a running container's cgroup)", key);
		return lxm_cgroup_file_write(cg, key, value, err);
	}
	l = lxm_limit_from_string(key);
	if (l < 0)
		return bad_key(key, err);
	r = lxm_container_check_exists(paths, name, err);
	if (r < 0)
		return r;
	r = lxm_container_load_config(paths, name, &conf, err);
	if (r == 0)
		r = set_in_config(&conf, (enum lxm_limit)l, value, err);
	if (r < 0)
		goto out;
	r = open_running(paths, name, key, &cg, &running, err);
	if (r < 0)
		goto out;
	if (!running && !persist_it) {
		r = lxm_error_setr(err, ESRCH, "%s: the container is not running, and --no-persist leaves its config alone",
				   key);
		goto out;
	}
	if (running) {
		r = apply_live(paths, name, (enum lxm_limit)l, value, &conf, err);
		if (r < 0)
			goto out;
	}
	if (persist_it)
		r = persist(paths, name, (enum lxm_limit)l, &conf, err);
out:
	lxm_config_free(&conf);
	return r;
}

/* A stopped container's limit, from its config, in the terms the cgroup
 * read gives. */
static char *config_value(const struct lxm_config *conf, enum lxm_limit l)
{
	switch (l) {
	case LXM_LIMIT_MEMORY:
	case LXM_LIMIT_MEMORY_SWAP:
	case LXM_LIMIT_PIDS: {
		uint64_t v = l == LXM_LIMIT_MEMORY ? conf->limits.memory :
			l == LXM_LIMIT_PIDS ? conf->limits.pids : conf->limits.memory_swap;

		return v ? lxm_strdup_printf("%" PRIu64, v) : strdup("max");
	}
	case LXM_LIMIT_CPU_WEIGHT:
		return lxm_strdup_printf("%" PRIu32, conf->limits.cpu_weight ?: 100);
	case LXM_LIMIT_IO_WEIGHT:
		return lxm_strdup_printf("%" PRIu32, conf->limits.io_weight ?: 100);
	case LXM_LIMIT_CPUSET:
		return strdup(conf->limits.cpuset ?: "");
	default:
		return NULL;
	}
}

int lxm_limits_get(const struct lxm_paths *paths, const char *name, const char *key, char **ret,
		   struct lxm_error *err)
{
	_cleanup_(lxm_cgroup_freep) struct lxm_cgroup *cg = NULL;
	struct lxm_config conf = { 0 };
	bool running = false;
	int l = -1, r;

	if (!is_raw(key)) {
		l = lxm_limit_from_string(key);
		if (l < 0)
			return bad_key(key, err);
	}
	r = open_running(paths, name, key, &cg, &running, err);
	if (r < 0)
		return r;
	if (running) {
		if (l < 0)
			return lxm_cgroup_file_read(cg, key, ret, err);
		return lxm_cgroup_limit_read(cg, (enum lxm_limit)l, ret, NULL, err);
	}
	if (l < 0)
		return lxm_error_setr(err, ESRCH, "%s: the container is not running", key);
	r = lxm_container_load_config(paths, name, &conf, err);
	if (r == 0) {
		*ret = config_value(&conf, (enum lxm_limit)l);
		if (!*ret)
			r = lxm_error_set(err, ENOMEM, "%s", key);
	}
	lxm_config_free(&conf);
	return r;
}

int lxm_limits_get_all(const struct lxm_paths *paths, const char *name, struct lxm_limit_value ret[LXM_LIMIT_MAX],
		       struct lxm_error *err)
{
	_cleanup_(lxm_cgroup_freep) struct lxm_cgroup *cg = NULL;
	int r;

	memset(ret, 0, sizeof(*ret) * LXM_LIMIT_MAX);
	r = lxm_container_open_cgroup(paths, name, &cg, err);
	if (r < 0)
		return r;
	for (int l = 0; l < LXM_LIMIT_MAX; l++) {
		struct lxm_error e = { 0 };

		/* what the host lacks (no swap accounting, no I/O weights)
		 * stays NULL */
		if (lxm_cgroup_limit_read(cg, (enum lxm_limit)l, &ret[l].value, &ret[l].is_default, &e) < 0)
			ret[l].value = NULL;
	}
	return 0;
}

void lxm_limits_values_free(struct lxm_limit_value v[LXM_LIMIT_MAX])
{
	for (int l = 0; l < LXM_LIMIT_MAX; l++) {
		free(v[l].value);
		v[l].value = NULL;
	}
}
