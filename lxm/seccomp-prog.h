/* A seccomp filter as the kernel takes it: the BPF program that
 * lxm_seccomp_save() wrote for a running container, read and loaded without
 * libseccomp (lxm-attach, which is linked without it). */
#pragma once

#include <linux/filter.h>

#include "error.h"

struct lxm_seccomp_prog {
	struct sock_filter *insns;
	size_t n;                    /* 0: none */
};

/* Read size bytes of program from fd (whole instructions, BPF_MAXINSNS at
 * most: -EINVAL otherwise). */
int lxm_seccomp_prog_read(int fd, size_t size, struct lxm_seccomp_prog *p);
/* The program in path; -ENOENT (err untouched) when there is none. Refuses
 * a file that is not ours or that others may write. */
int lxm_seccomp_prog_open(const char *path, struct lxm_seccomp_prog *p, struct lxm_error *err);
/* Load into the calling process, as seccomp_load() would with lxm's
 * attributes: no no_new_privs, no TSYNC, no flags. */
int lxm_seccomp_prog_load(const struct lxm_seccomp_prog *p, struct lxm_error *err);
void lxm_seccomp_prog_free(struct lxm_seccomp_prog *p);
