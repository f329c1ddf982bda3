/* Running a template: an executable in the template dir (LXM_TEMPLATEDIR
 * overrides), called as
 *   lxm-<name> --name NAME --path CONTAINER_DIR --rootfs ROOTFS [ARGS...]
 * The template may print "key=value" lines on stdout to hint the config
 * (init=/sbin/init, halt_signal=SIGUSR2). */
#pragma once

#include "error.h"

struct lxm_template_result {
	char *init;               /* from "init=..." or NULL */
	char *halt_signal;        /* from "halt_signal=..." or NULL */
};

int lxm_template_find(const char *name, char **ret_path, struct lxm_error *err);
int lxm_template_run(const char *path, const char *name, const char *container_dir,
		     const char *rootfs, char *const *args, struct lxm_template_result *ret,
		     struct lxm_error *err);
void lxm_template_result_free(struct lxm_template_result *r);
