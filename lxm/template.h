/* Running a template: an executable in the template dir (LXM_TEMPLATEDIR
 * overrides), called as
 *   lxm-<name> --name NAME --path CONTAINER_DIR --rootfs ROOTFS [ARGS...]
 * The template may print "key=value" lines on stdout to hint the config
 * (init=/sbin/init, halt_signal=SIGUSR2, reboot_signal=SIGTERM); its other
 * stdout lines are passed on to our stdout, its stderr goes to ours. */
#pragma once

#include <signal.h>

#include "error.h"

/* Set (to the signal number) by a caller's signal handler: a running
 * template is then sent SIGTERM and the run fails. */
extern volatile sig_atomic_t lxm_template_interrupted;

struct lxm_template_result {
	char *init;               /* from "init=..." or NULL */
	char *halt_signal;        /* from "halt_signal=..." or NULL */
	char *reboot_signal;      /* from "reboot_signal=..." or NULL */
};

/* mkdir "rootfs" in the container directory dirfd (O_RDONLY), spread
 * over the filesystem (see template.c); 0 or -errno. */
int lxm_template_make_rootfs(int dirfd);
/* Template names are [a-z0-9_-]+. */
bool lxm_template_name_valid(const char *name);
/* The template dir: $LXM_TEMPLATEDIR, else LXM_DEFAULT_TEMPLATEDIR. */
const char *lxm_template_dir(void);
/* The names of the templates in the template dir (those that
 * lxm_template_find() would take), sorted, NULL-terminated. */
int lxm_template_list(char ***ret, size_t *ret_n, struct lxm_error *err);
/* Find lxm-<name> in $LXM_TEMPLATEDIR, else LXM_DEFAULT_TEMPLATEDIR, and
 * check that it is executable. -ENOENT: "template 'foo' not found in 'DIR'". */
int lxm_template_find(const char *name, char **ret_path, struct lxm_error *err);
/* Run the template at `path` for container `name` and wait for it. `args`
 * is NULL or a NULL-terminated list of extra arguments. The template gets a
 * clean environment (PATH, LANG=C, LXM_CACHEDIR when set), stdin from
 * /dev/null, no fd of ours but 0-2, and stays in our process group so that
 * Ctrl-C reaches it. A non-zero exit or a death by signal is an error.
 * It gets SIGTERM when we die (SIGKILL), and inherits `lockfd` (-1: none):
 * a create's partial marker stays locked while anything of the template
 * still writes into the container. `ret` is filled on success (free with
 * lxm_template_result_free()). */
int lxm_template_run(const char *path, const char *name, const char *container_dir,
		     const char *rootfs, char *const *args, int lockfd, struct lxm_template_result *ret,
		     struct lxm_error *err);
/* Run the template at `path` with --help, its output on our stdout and
 * stderr, in the same clean environment as a run; a non-zero exit is an
 * error. */
int lxm_template_help(const char *path, struct lxm_error *err);
void lxm_template_result_free(struct lxm_template_result *r);
