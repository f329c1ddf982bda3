/* Seccomp policies: a small text format (documented in config/seccomp/default
 * and README), parsed by a pure parser, compiled with libseccomp for the
 * native architecture and its compat architectures, loaded last before exec.
 *
 * Policy text, one statement per line, '#' starts a comment:
 *
 *   default ACTION            action for syscalls no rule matches (required)
 *   arch NAME...              architectures to compile for ("native",
 *                             "x86_64", "x86", "x32", "aarch64", ...);
 *                             default: native plus its compat architectures
 *   [SELECTOR...]             the rules below apply only where every selector
 *                             holds: an architecture name, "nesting" or
 *                             "!nesting" (security.nesting); "[*]" resets
 *   ACTION SYSCALL [COND...]  a rule; up to 6 conditions, one per argument:
 *                               argN OP VALUE         OP: == != < <= > >=
 *                               argN & MASK == VALUE
 *                             VALUE/MASK: decimal, 0x hex, or a constant
 *                             (CLONE_NEWUSER, MNT_FORCE, TIOCSTI, ...)
 *
 * ACTION: allow | deny (= errno:EPERM) | errno:N or errno:ENAME |
 *         kill (the process) | kill-thread | trap | log
 *
 * An allow-list is "default deny" (or errno/kill) plus allow rules; a
 * deny-list is "default allow" plus deny rules. */
#pragma once

/* lxm's -I path puts this file first for <seccomp.h>; seccomp.c includes it
 * as <seccomp.h>, so that this finds libseccomp's header after it */
#include_next <seccomp.h>

#include "error.h"

#define LXM_SECCOMP_MAX_ARGS 6
#define LXM_SECCOMP_MAX_ARCHES 16

enum lxm_seccomp_op {
	LXM_SECCOMP_EQ,
	LXM_SECCOMP_NE,
	LXM_SECCOMP_LT,
	LXM_SECCOMP_LE,
	LXM_SECCOMP_GT,
	LXM_SECCOMP_GE,
	LXM_SECCOMP_MASKED_EQ,
	LXM_SECCOMP_OP_MAX,
};

struct lxm_seccomp_cond {
	unsigned arg;                /* 0-5 */
	enum lxm_seccomp_op op;
	uint64_t value;
	uint64_t mask;               /* LXM_SECCOMP_MASKED_EQ only */
};

enum lxm_seccomp_nesting {
	LXM_SECCOMP_NEST_ANY,
	LXM_SECCOMP_NEST_ONLY,       /* [nesting] */
	LXM_SECCOMP_NEST_NEVER,      /* [!nesting] */
	LXM_SECCOMP_NEST_MAX,
};

struct lxm_seccomp_rule {
	unsigned line;
	uint32_t action;             /* SCMP_ACT_* */
	char syscall[64];
	struct lxm_seccomp_cond conds[LXM_SECCOMP_MAX_ARGS];
	size_t n_conds;
	uint32_t arches[LXM_SECCOMP_MAX_ARCHES];  /* SCMP_ARCH_*; none: all */
	size_t n_arches;
	enum lxm_seccomp_nesting nesting;
};

struct lxm_seccomp_policy {
	uint32_t default_action;
	uint32_t arches[LXM_SECCOMP_MAX_ARCHES];  /* none: native + compat */
	size_t n_arches;
	struct lxm_seccomp_rule *rules;
	size_t n_rules;
};

/* The built-in default policy (config/seccomp/default). */
extern const char lxm_seccomp_default_policy[];

/* Parse policy text (pure). Errors (-EINVAL): "LABEL:LINE: what is wrong". */
int lxm_seccomp_parse(const char *text, const char *label, struct lxm_seccomp_policy *ret,
		      struct lxm_error *err);
void lxm_seccomp_policy_free(struct lxm_seccomp_policy *p);

/* "deny" -> SCMP_ACT_ERRNO(EPERM) and back ("errno:EPERM"); pure. */
int lxm_seccomp_action_parse(const char *s, uint32_t *ret);
const char *lxm_seccomp_action_format(uint32_t action, char *buf, size_t size);
/* The architectures a policy compiles for (native + compat when it names
 * none); returns the count. */
size_t lxm_seccomp_policy_arches(const struct lxm_seccomp_policy *p, uint32_t out[LXM_SECCOMP_MAX_ARCHES]);

/* A compiled filter, built while the host's files are still reachable and
 * loaded in the container's process right before exec. */
struct lxm_seccomp;

/* security.seccomp: "default", "none" (*ret = NULL), or a policy file (an
 * absolute path, or relative to dir). Reads, parses and compiles; with a
 * cache_dir, takes the program kept there for the same policy, nesting,
 * lxm, libseccomp and boot instead, or keeps what it compiled there. */
int lxm_seccomp_prepare(const char *spec, const char *dir, bool nesting, const char *cache_dir,
			struct lxm_seccomp **ret, struct lxm_error *err);
/* Compile a parsed policy. */
int lxm_seccomp_compile(const struct lxm_seccomp_policy *p, bool nesting, struct lxm_seccomp **ret,
			struct lxm_error *err);
/* The BPF program of the filter, generated once and kept in s (NULL or
 * already generated: nothing), so that the load itself is one syscall. */
int lxm_seccomp_generate(struct lxm_seccomp *s, struct lxm_error *err);
/* Load into the calling process (NULL: nothing), the program generated
 * first if it is not yet: as lxm-attach loads it. Does not set
 * no_new_privs: that stays the config's decision. Without NNP the kernel
 * wants CAP_SYS_ADMIN, so callers load it before they give that up. */
int lxm_seccomp_load(struct lxm_seccomp *s, struct lxm_error *err);
/* The BPF program of a compiled filter (generated first if it is not yet)
 * into PATH, mode 0600, through a temporary file renamed. s NULL (no
 * filter): PATH is removed. */
int lxm_seccomp_save(struct lxm_seccomp *s, const char *path, struct lxm_error *err);
/* (lxm-attach reads and loads the saved program with seccomp-prog.h.) */
void lxm_seccomp_free(struct lxm_seccomp *s);
static inline void lxm_seccomp_freep(struct lxm_seccomp **s)
{
	lxm_seccomp_free(*s);
}
/* The compiled BPF, for tests and debugging (pfc text into fd). */
int lxm_seccomp_export_pfc(struct lxm_seccomp *s, int fd);
