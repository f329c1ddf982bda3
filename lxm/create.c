/* Making a container: its directory built atomically (a locked partial
 * marker, cleaned up on failure or signal), its rootfs from a template or
 * an archive, its id range and its config. Kept apart from container.c so
 * that the commands that only query or stop containers do not link
 * libarchive (and its libxml2, ICU and libstdc++: ~2.5 ms of loading per
 * command). */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "archive.h"
#include "cgroup.h"
#include "container.h"
#include "copy.h"
#include "destroy.h"
#include "idmap.h"
#include "log.h"
#include "shift.h"
#include "template.h"

volatile sig_atomic_t lxm_create_interrupted;

static int add_default_hwaddrs(struct lxm_config *conf, struct lxm_error *err)
{
	for (size_t i = 0; i < conf->n_nics; i++) {
		struct lxm_nic *nic = &conf->nics[i];

		if (nic->hwaddr[0] || (nic->type != LXM_NET_VETH && nic->type != LXM_NET_MACVLAN))
			continue;
		if (lxm_mac_from_uuid(conf->uuid, (unsigned)i, nic->hwaddr) < 0)
			return lxm_error_set(err, EINVAL, "deriving a MAC address");
	}
	return 0;
}

/* "-t archive -- --file SOURCE": the rootfs from a tarball, stdin ("-") or
 * a directory, imported in C (archive.c); the config's init from what the
 * rootfs holds. */
static int create_from_archive(int dirfd, struct lxm_config *conf, const struct lxm_create_opts *opts,
			       struct lxm_error *err)
{
	struct lxm_import_opts iopts = { .allow_devices = opts->privileged, .interrupted = &lxm_create_interrupted };
	struct lxm_import_stats st = { 0 };
	struct lxm_init_info init;
	_cleanup_close_ int rootfd = -1;
	const char *source = NULL;
	char **init_cmd;
	int r;

	for (size_t i = 0; opts->template_args && opts->template_args[i]; i++) {
		const char *a = opts->template_args[i];

		if (streq(a, "--file") && opts->template_args[i + 1])
			source = opts->template_args[++i];
		else if (lxm_startswith(a, "--file="))
			source = a + strlen("--file=");
		else
			return lxm_error_setr(err, EINVAL, "template 'archive': unknown argument '%s' (use -- --file ARCHIVE|DIR|-)", a);
	}
	if (!source)
		return lxm_error_setr(err, EINVAL, "template 'archive' needs -- --file ARCHIVE|DIR|-");
	rootfd = openat(dirfd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		return lxm_error_set(err, errno, "opening the new rootfs");
	r = lxm_archive_import(source, rootfd, &iopts, &st, err);
	if (r < 0)
		return lxm_error_prefix(err, "importing");
	log_debug("imported %llu entries, %llu bytes", (unsigned long long)st.entries, (unsigned long long)st.bytes);
	/* an export of another container names that one in /etc/hostname */
	r = lxm_rootfs_rename_host(rootfd, rootfd, NULL, conf->hostname ? conf->hostname : conf->name, err);
	if (r < 0)
		return r;
	r = lxm_init_detect(rootfd, &init, err);
	if (r < 0)
		return r;
	init_cmd = calloc(2, sizeof(char *));
	if (!init_cmd || !(init_cmd[0] = strdup(init.cmd))) {
		free(init_cmd);
		return lxm_error_set(err, ENOMEM, "creating");
	}
	lxm_strv_free(conf->init_cmd, conf->n_init_cmd);
	conf->init_cmd = init_cmd;
	conf->n_init_cmd = 1;
	conf->halt_signal = init.halt_signal;
	conf->reboot_signal = init.reboot_signal;
	log_debug("'%s' found: %s init", init.cmd, lxm_init_kind_to_string(init.kind));
	return 0;
}

/* Unprivileged by default: a range of its own for the new container,
 * reserved in its partial marker until the config is written; an idmap
 * from the config files is checked instead, and reserved the same way. */
static int create_idmap(const struct lxm_paths *paths, const char *name, int partialfd, struct lxm_config *conf,
			bool privileged, struct lxm_error *err)
{
	struct lxm_idmap maps[2];
	struct lxm_idmap *v;
	int r;

	if (privileged) {
		free(conf->idmaps);
		conf->idmaps = NULL;
		conf->n_idmaps = 0;
		return 0;
	}
	if (conf->n_idmaps) {
		r = lxm_idmap_reserve(paths, name, conf->idmaps, conf->n_idmaps, partialfd, err);
		return r < 0 ? lxm_error_prefix(err, "config") : 0;
	}
	r = lxm_idmap_allocate(paths, name, conf->security.nesting ? LXM_IDMAP_NESTING_COUNT : LXM_IDMAP_DEFAULT_COUNT,
			       partialfd, maps, err);
	if (r < 0)
		return r;
	v = malloc(sizeof(maps));
	if (!v)
		return lxm_error_set(err, ENOMEM, "creating");
	memcpy(v, maps, sizeof(maps));
	conf->idmaps = v;
	conf->n_idmaps = 2;
	return 0;
}

/* Where idmapped mounts do not work (or rootfs.idmapped = "shift"), the
 * rootfs a template built is shifted to the container's range now. */
static int create_shift(const char *dir, const char *rootfs, const struct lxm_config *conf,
			const char *template, struct lxm_error *err)
{
	const char *method = conf->rootfs_idmapped ? conf->rootfs_idmapped : "auto";
	int r;

	if (!conf->n_idmaps || streq(template, "none") || streq(method, "mount"))
		return 0;
	if (streq(method, "auto") && lxm_idmapped_mounts_supported(rootfs) == 1)
		return 0;
	r = lxm_shift_ensure(dir, rootfs, conf->idmaps, conf->n_idmaps, err);
	return r < 0 ? r : 0;
}

static int rename_template_host(int dirfd, const char *hostname, struct lxm_error *err)
{
	_cleanup_close_ int rootfd = openat(dirfd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (rootfd < 0)
		return lxm_error_set(err, errno, "opening the new rootfs");
	return lxm_rootfs_rename_host(rootfd, rootfd, NULL, hostname, err);
}

struct create_ctx {
	const struct lxm_paths *paths;
	const char *name;
	const struct lxm_create_opts *opts;
};

static int create_in(int dirfd, int partialfd, const char *dir, void *data, struct lxm_error *err)
{
	const struct create_ctx *ctx = data;
	const struct lxm_paths *paths = ctx->paths;
	const char *name = ctx->name;
	const struct lxm_create_opts *opts = ctx->opts;
	_cleanup_free_ char *defaults = lxm_strdup_printf("%s/default.conf", paths->confdir);
	_cleanup_free_ char *rootfs = lxm_strdup_printf("%s/rootfs", dir);
	_cleanup_free_ char *config = lxm_strdup_printf("%s/config", dir);
	struct lxm_config conf = { 0 };
	int r;

	if (!defaults || !rootfs || !config)
		return lxm_error_set(err, ENOMEM, "creating");
	r = lxm_config_init(&conf);
	if (r < 0)
		return lxm_error_set(err, -r, "creating");
	if (access(defaults, F_OK) == 0) {
		r = lxm_config_read_file(&conf, defaults, err);
		if (r < 0)
			goto out;
	}
	if (opts->conf_file) {
		r = lxm_config_read_file(&conf, opts->conf_file, err);
		if (r < 0)
			goto out;
	}
	free(conf.name);
	conf.name = strdup(name);
	if (!conf.name) {
		r = lxm_error_set(err, ENOMEM, "creating");
		goto out;
	}
	if (!conf.hostname) {
		r = lxm_config_default_hostname(name, &conf.hostname);
		if (r == -EINVAL)
			r = lxm_error_setr(err, EINVAL, "no hostname can be made of the name: set 'hostname' in a config given with -f");
		else if (r < 0)
			r = lxm_error_set(err, -r, "creating");
		if (r < 0)
			goto out;
	}
	r = lxm_uuid_generate(conf.uuid);
	if (r < 0) {
		lxm_error_set(err, -r, "generating a uuid");
		goto out;
	}
	r = add_default_hwaddrs(&conf, err);
	if (r < 0)
		goto out;
	r = create_idmap(paths, name, partialfd, &conf, opts->privileged, err);
	if (r < 0)
		goto out;

	r = lxm_template_make_rootfs(dirfd);
	if (r < 0) {
		r = lxm_error_set(err, -r, "creating '%s'", rootfs);
		goto out;
	}
	if (streq(opts->template, "archive")) {
		r = create_from_archive(dirfd, &conf, opts, err);
		if (r < 0)
			goto out;
	} else if (!streq(opts->template, "none")) {
		_cleanup_free_ char *tpath = NULL;
		struct lxm_template_result res = { 0 };
		size_t n_args = 0;
		_cleanup_free_ char **args = NULL;
		char ttys[16];

		r = lxm_template_find(opts->template, &tpath, err);
		if (r < 0)
			goto out;
		while (opts->template_args && opts->template_args[n_args])
			n_args++;
		args = calloc(n_args + 3, sizeof(char *));
		if (!args) {
			r = lxm_error_set(err, ENOMEM, "creating");
			goto out;
		}
		snprintf(ttys, sizeof(ttys), "%u", conf.console.ttys);
		args[0] = "--ttys";
		args[1] = ttys;
		for (size_t i = 0; i < n_args; i++)
			args[i + 2] = opts->template_args[i];
		/* the marker's lock goes with the template: a killed create's
		 * next one removes nothing that its template still writes */
		r = lxm_template_run(tpath, name, dir, rootfs, args, partialfd, &res, err);
		if (r == 0) {
			if (res.init) {
				lxm_strv_free(conf.init_cmd, (size_t)-1);
				conf.init_cmd = calloc(2, sizeof(char *));
				conf.n_init_cmd = 1;
				if (!conf.init_cmd || !(conf.init_cmd[0] = strdup(res.init)))
					r = lxm_error_set(err, ENOMEM, "creating");
			}
			if (r == 0 && res.halt_signal) {
				int sig = lxm_signal_from_name(res.halt_signal);
				if (sig > 0)
					conf.halt_signal = sig;
			}
			if (r == 0 && res.reboot_signal) {
				int sig = lxm_signal_from_name(res.reboot_signal);
				if (sig > 0)
					conf.reboot_signal = sig;
			}
		}
		lxm_template_result_free(&res);
		if (r < 0)
			goto out;
		/* templates name the guest after the container: the config's
		 * hostname, when it differs, is what the guest's boot sets */
		r = rename_template_host(dirfd, conf.hostname, err);
		if (r < 0)
			goto out;
	}
	r = create_shift(dir, rootfs, &conf, opts->template, err);
	if (r < 0)
		goto out;
	r = lxm_config_validate(&conf, config, err);
	if (r < 0)
		goto out;
	r = lxm_config_write(&conf, config, err);
out:
	lxm_config_free(&conf);
	return r;
}

#define STALE_EMPTY_DIR_SEC 10

/* Whether the directory fd was last changed more than STALE_EMPTY_DIR_SEC
 * ago: no create that is under way (it names and marks its own within
 * microseconds). */
static bool dir_old(int fd)
{
	struct stat st;
	struct timespec now;

	return fstat(fd, &st) == 0 && clock_gettime(CLOCK_REALTIME, &now) == 0 &&
	       now.tv_sec - st.st_mtim.tv_sec >= STALE_EMPTY_DIR_SEC;
}

/* Whether the directory fd has no entries and is old (dir_old). */
static bool dir_empty_and_old(int fd)
{
	DIR *d;
	int dup_fd;
	bool empty = true;

	if (!dir_old(fd))
		return false;
	dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return false;
	}
	for (struct dirent *de; empty && (de = readdir(d)); )
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

/* A directory a create killed before it named its own left
 * (LXM_CREATE_PREFIX): old (dir_old), and its marker, if any, free (held
 * while it goes). */
static bool create_abandoned(int parentfd _unused_, const char *name _unused_, int topfd, int *ret_hold)
{
	_cleanup_close_ int marker = -1;

	if (!dir_old(topfd))
		return false;
	marker = openat(topfd, "partial", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (marker >= 0 && flock(marker, LOCK_EX | LOCK_NB) < 0)
		return false;
	*ret_hold = TAKE_FD(marker);
	return true;
}

int lxm_container_build(const struct lxm_paths *paths, const char *name, bool name_in_errors,
			lxm_container_build_fn fn, void *data, struct lxm_error *err)
{
	_cleanup_close_ int lxmfd = -1, dirfd = -1, partialfd = -1;
	_cleanup_free_ char *dir = NULL;
	char tmpname[NAME_MAX + 1];
	int r;

	dir = lxm_container_path(paths, name, NULL);
	if (!dir)
		return lxm_error_set(err, ENOMEM, "creating");
	r = lxm_mkdir_p(paths->lxmpath, 0755);
	if (r < 0)
		return lxm_error_set(err, -r, "creating '%s'", paths->lxmpath);
	lxmfd = open(paths->lxmpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lxmfd < 0)
		return lxm_error_set(err, errno, "opening '%s'", paths->lxmpath);
	lxm_sweep_leftovers(lxmfd, paths->lxmpath, LXM_CREATE_PREFIX, create_abandoned, "partial", "create");

	/* made under a name no command takes, with its marker locked, and
	 * only then named: a create killed at any moment leaves either that
	 * (swept above) or a directory with a marker, never an empty one
	 * that holds the name */
	snprintf(tmpname, sizeof(tmpname), LXM_CREATE_PREFIX "%d-%.200s", (int)getpid(), name);
	r = lxm_remove_tree_at(lxmfd, tmpname, err);   /* of a killed create that had our pid */
	if (r < 0)
		return r;
	if (mkdirat(lxmfd, tmpname, 0750) < 0)
		return lxm_error_set(err, errno, "creating '%s/%s'", paths->lxmpath, tmpname);
	dirfd = openat(lxmfd, tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0) {
		r = lxm_error_set(err, errno, "opening '%s/%s'", paths->lxmpath, tmpname);
		goto fail_tmp;
	}
	partialfd = openat(dirfd, "partial", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (partialfd < 0) {
		r = lxm_error_set(err, errno, "creating the partial marker in '%s/%s'", paths->lxmpath, tmpname);
		goto fail_tmp;
	}
	/* a snapshot base's probe (is this copy alive?) holds it shared for
	 * an instant once it is named */
	if (flock(partialfd, LOCK_EX) < 0) {
		r = lxm_error_set(err, errno, "locking the partial marker in '%s/%s'", paths->lxmpath, tmpname);
		goto fail_tmp;
	}

	for (int attempt = 0; attempt < 2; attempt++) {
		_cleanup_close_ int stale = -1;

		if (renameat2(lxmfd, tmpname, lxmfd, name, RENAME_NOREPLACE) == 0)
			break;
		if (errno != EEXIST) {
			r = lxm_error_set(err, errno, "creating '%s'", dir);
			goto fail_tmp;
		}
		/* a create that was killed leaves its unlocked partial marker */
		stale = openat(lxmfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (stale >= 0) {
			_cleanup_close_ int marker = openat(stale, "partial", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			bool locked = marker >= 0 && attempt == 0 && lxm_flock_retry(marker, 20, 500) == 0;
			struct stat st;
			/* its create finished while we waited: it removes the
			 * marker before it lets the lock go (the whole new
			 * container was taken for remains and replaced) */
			bool finished = locked && fstat(marker, &st) == 0 && st.st_nlink == 0;

			if (locked && !finished) {
				log_warn("removing the remains of an interrupted create of '%s'", name);
				r = lxm_remove_tree_last_at(lxmfd, name, "partial", err);
				if (r < 0) {
					lxm_error_prefix(err, "removing the interrupted create");
					goto fail_tmp;
				}
				continue;
			}
			if (marker >= 0 && !finished) {
				r = name_in_errors ? lxm_error_setr(err, EBUSY, "'%s' is being created", name)
						   : lxm_error_setr(err, EBUSY, "is being created");
				goto fail_tmp;
			}
			/* an empty directory of a create killed between its mkdir
			 * and its marker (as an older lxm made them): one this old
			 * is no create that is under way */
			if (marker < 0 && errno == ENOENT && attempt == 0 && dir_empty_and_old(stale)) {
				log_warn("removing the empty directory of an interrupted create of '%s'", name);
				if (unlinkat(lxmfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
					r = lxm_error_set(err, errno, "removing the empty '%s'", dir);
					goto fail_tmp;
				}
				continue;
			}
		}
		r = name_in_errors ? lxm_error_setr(err, EEXIST, "'%s' already exists in '%s'", name, paths->lxmpath)
				   : lxm_error_setr(err, EEXIST, "already exists in '%s'", paths->lxmpath);
		goto fail_tmp;
	}
	r = fn(dirfd, partialfd, dir, data, err);
	if (r < 0)
		goto fail;
	if (lxm_create_interrupted) {
		r = lxm_error_setr(err, EINTR, "interrupted");
		goto fail;
	}
	if (unlinkat(dirfd, "partial", 0) < 0) {
		r = lxm_error_set(err, errno, "removing the partial marker");
		goto fail;
	}
	return 0;
fail_tmp:
	/* not named: only the temporary directory goes */
	(void)lxm_remove_tree_at(lxmfd, tmpname, &(struct lxm_error){ 0 });
	return r;
fail:
	{
		struct lxm_error rmerr = { 0 };
		char text[1024];

		if (lxm_remove_tree_last_at(lxmfd, name, "partial", &rmerr) < 0)
			log_warn("cleaning up '%s': %s", dir, lxm_error_text(&rmerr, text, sizeof(text)));
	}
	return r;
}

int lxm_container_create(const struct lxm_paths *paths, const char *name,
			 const struct lxm_create_opts *opts, struct lxm_error *err)
{
	struct create_ctx ctx = { .paths = paths, .name = name, .opts = opts };
	int r = lxm_name_validate(name, err);

	if (r == 0)
		r = lxm_cgroup_name_check(name, err);
	if (r < 0)
		return r;
	return lxm_container_build(paths, name, false, create_in, &ctx, err);
}
