/* The container's device policy: which device nodes it may create (mknod)
 * and open. One list of rules, used twice: as v1 "devices.allow" lines and,
 * on a cgroup v2 host, as a BPF_PROG_TYPE_CGROUP_DEVICE program (built here
 * from raw instructions) attached to the container's cgroup. Everything not
 * listed is denied (EPERM). */
#pragma once

#include <linux/bpf.h>

#include "config.h"
#include "error.h"

/* Access bits: the kernel's BPF_DEVCG_ACC_* values. */
enum {
	LXM_DEVCG_MKNOD = 1 << 0,
	LXM_DEVCG_READ = 1 << 1,
	LXM_DEVCG_WRITE = 1 << 2,
	LXM_DEVCG_ALL = LXM_DEVCG_MKNOD | LXM_DEVCG_READ | LXM_DEVCG_WRITE,
};

#define LXM_DEVCG_ANY (-1)           /* a "*" major or minor */
#define LXM_DEVCG_MAJOR_MAX 4095     /* MAJOR() is 12 bits */
#define LXM_DEVCG_MINOR_MAX 1048575  /* MINOR() is 20 bits */

struct lxm_devcg_rule {
	char type;          /* 'c' or 'b' */
	int32_t major;      /* LXM_DEVCG_ANY or 0..LXM_DEVCG_MAJOR_MAX */
	int32_t minor;      /* LXM_DEVCG_ANY or 0..LXM_DEVCG_MINOR_MAX */
	unsigned access;    /* LXM_DEVCG_* bits, not 0 */
};

/* "c 1:3 rwm", "c 136:* rw", "b *:* m" (the v1 devices.allow syntax without
 * "a"): 0, or -EINVAL. Pure. */
int lxm_devcg_rule_parse(const char *text, struct lxm_devcg_rule *ret);
/* The v1 line for a rule ("c 136:* rwm"); -ENOSPC when it does not fit. */
int lxm_devcg_rule_format(const struct lxm_devcg_rule *rule, char *buf, size_t size);
/* "rwm" -> bits; -EINVAL for anything else (empty, repeated or unknown letters). */
int lxm_devcg_access_parse(const char *s);

/* The standard nodes of the container's /dev (devices.c) and its ptys, then
 * the config's devices entries (NULL access meaning "rwm"). Caller frees. */
int lxm_devcg_rules_new(const struct lxm_device *devices, size_t n_devices,
			struct lxm_devcg_rule **ret, size_t *ret_n);
/* The number of standard rules at the start of every lxm_devcg_rules_new() list. */
size_t lxm_devcg_n_default(void);

/* The program (pure): returns 1 (allow) when a rule matches the request,
 * 0 (deny) otherwise. Caller frees *ret. */
int lxm_devcg_build(const struct lxm_devcg_rule *rules, size_t n, struct bpf_insn **ret,
		    size_t *ret_n);

/* Load the program and attach it to the cgroup v2 directory cgroup_fd (an
 * O_PATH fd is fine) with BPF_F_ALLOW_MULTI, so that programs attached below
 * it (systemd's, a nested manager's) still run and can only restrict more.
 * Device programs attached directly to this cgroup before (a leftover
 * cgroup that is reused) are detached afterwards. A program with the same
 * instructions already attached to a sibling cgroup (another container with
 * the same policy) is attached instead of loading another copy. */
int lxm_devcg_attach(int cgroup_fd, const struct lxm_devcg_rule *rules, size_t n,
		     struct lxm_error *err);
/* How many device programs are attached directly to the cgroup. */
int lxm_devcg_count_attached(int cgroup_fd, uint32_t *ret);
/* Whether this process runs confined the way a container is (a seccomp
 * filter, or a user namespace other than init's), where bpf(2) is denied:
 * a nested container manager. Its containers' cgroups are below the outer
 * container's, whose device policy covers them too. */
bool lxm_devcg_confined(void);
/* Whether this kernel loads the standard device program (lxm-checkconfig):
 * 0, or -errno (-EPERM without the privilege to load BPF). */
int lxm_devcg_probe(void);
