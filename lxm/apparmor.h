/* AppArmor: one profile generated per container from config/apparmor/lxm-base
 * (compiled in), loaded with apparmor_parser, attached with aa_change_onexec
 * right before init's (and lxm-attach's) exec.
 *
 * security.apparmor: "generated" (default), "unconfined", or the name of a
 * profile already loaded. Without AppArmor in the kernel, "generated" runs
 * unconfined (lxm-start warns once) and a named profile is an error. */
#pragma once

#include "error.h"

enum lxm_apparmor_mode {
	LXM_APPARMOR_GENERATED,
	LXM_APPARMOR_UNCONFINED,
	LXM_APPARMOR_NAMED,
	LXM_APPARMOR_MODE_MAX,
};

struct lxm_apparmor_spec {
	const char *profile;         /* the generated profile's name */
	bool nesting;
	char *const *ro_mounts;      /* targets of read-only user bind mounts */
	size_t n_ro_mounts;
};

extern const char lxm_apparmor_base[];

enum lxm_apparmor_mode lxm_apparmor_mode(const char *setting);
/* "lxm-NAME_XXXXXXXX", XXXXXXXX a hash of the container dir, so equal names
 * under different lxmpaths do not share a profile. */
char *lxm_apparmor_profile_name(const char *name, const char *dir);
/* Profile text from base (pure). */
int lxm_apparmor_generate(const char *base, const struct lxm_apparmor_spec *spec, char **ret);
/* Deny rules for writes to everything under dir except the listed entries
 * and their subtrees (pure); appended to *buf. */
int lxm_apparmor_deny_except(const char *dir, const char *const *allowed, size_t n, char **buf);
/* A path as an AppArmor file-rule string: quoted, glob characters escaped;
 * NULL for paths that cannot be expressed (control characters). */
char *lxm_apparmor_quote(const char *path);

/* AppArmor in the kernel and enabled (securityfs entry and aa_is_enabled). */
bool lxm_apparmor_enabled(void);
/* The profile init and attached processes get (NULL: none), for the
 * container's setting; errors on a named profile without AppArmor. */
int lxm_apparmor_exec_profile(const char *setting, const char *name, const char *dir,
			      bool enabled, char **ret, struct lxm_error *err);
/* Load (replace) the generated profile's text into the kernel, compiled
 * by apparmor_parser into the container's dir <dir>/apparmor, where a
 * later start with the same text under the same boot finds it; marker,
 * in the runtime dir, gets the profile's name first (see
 * lxm_apparmor_release). */
int lxm_apparmor_load(const char *dir, const char *marker, const char *profile, const char *text,
		      struct lxm_error *err);
/* Remove a loaded profile by name; no error when it is not loaded. */
int lxm_apparmor_unload(const char *profile, struct lxm_error *err);
/* After the container stopped: remove the generated profile's file from
 * the runtime dir and, when there was one, unload the profile. */
void lxm_apparmor_release(const char *file, const char *name, const char *dir);
/* apparmor_parser -QTK -o /dev/null PATH: 0 when it compiles, else its
 * exit status; the parser's output goes to stderr. */
int lxm_apparmor_compile_check(const char *path);
/* aa_change_onexec(profile) (NULL: nothing). */
int lxm_apparmor_change_onexec(const char *profile, struct lxm_error *err);
/* The same change, written by lxm-attach's child into the attr file of
 * the host's /proc, before it enters the container: a container cannot
 * redirect the write by mounting over its own /proc (the CVE-2019-16884
 * class), and lxm-attach needs no libapparmor. Refuses an attr file that
 * is not on procfs. (apparmor-onexec.c) */
int lxm_apparmor_onexec_host(const char *profile, struct lxm_error *err);
