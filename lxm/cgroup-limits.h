/* Resource limits on a container's cgroups: lxm's limit names, the cgroup
 * v1 and v2 files behind them and the mapping of values between the two,
 * for the start (lxm_cgroup_create) and for live changes (lxm-cgroup).
 *
 *   name         v2                           v1
 *   memory       memory.max                   memory.limit_in_bytes
 *   memory_swap  memory.swap.max              memory.memsw.limit_in_bytes
 *                (= memory_swap - memory)     (memory + swap)
 *   pids         pids.max                     pids.max
 *   cpu_weight   cpu.weight (1-10000)         cpu.shares = weight * 1024 / 100
 *   cpuset       cpuset.cpus                  cpuset.cpus
 *   io_weight    io.weight (1-10000), else    blkio.bfq.weight = weight (1-1000),
 *                io.bfq.weight (1-1000)       else blkio.weight = weight * 5 (10-1000)
 *
 * Weights keep the kernel defaults aligned: 100 is the default of
 * cpu.weight, io.weight and the BFQ weights, 1024 of cpu.shares and 500 of
 * blkio.weight; values past a file's range are clamped to it. */
#pragma once

#include "cgroup.h"

enum lxm_limit {
	LXM_LIMIT_MEMORY,
	LXM_LIMIT_MEMORY_SWAP,
	LXM_LIMIT_PIDS,
	LXM_LIMIT_CPU_WEIGHT,
	LXM_LIMIT_CPUSET,
	LXM_LIMIT_IO_WEIGHT,
	LXM_LIMIT_MAX,
};

/* "memory", "memory_swap", ... (the names after "limits." in the config) */
const char *lxm_limit_to_string(enum lxm_limit l);
/* -EINVAL when s is not one */
int lxm_limit_from_string(const char *s);
bool lxm_cgroup_limit_is_set(const struct lxm_cgroup_limits *lim, enum lxm_limit l);
/* The limits a config sets (its "limits" section; cpuset points into it). */
struct lxm_config;
void lxm_cgroup_limits_of(const struct lxm_config *conf, struct lxm_cgroup_limits *ret);

/* Value mapping (pure). */
uint64_t lxm_cgroup_io_weight_to_blkio(uint32_t weight);   /* 10-1000 */
uint64_t lxm_cgroup_io_weight_to_bfq(uint32_t weight);     /* 1-1000 */
uint32_t lxm_cgroup_blkio_to_io_weight(uint64_t blkio);
uint32_t lxm_cgroup_shares_to_weight(uint64_t shares);
/* "max" (or v1's huge "no limit" number) -> 0; else the number; -EINVAL. */
int lxm_cgroup_parse_max(const char *s, uint64_t *ret);

/* Write limit l (its value from lim) into the container's cgroups; an
 * unset value (0, NULL) lifts the limit (max, the default weight, the
 * parent's CPUs). memory also rewrites v2 memory.swap.max when
 * lim->memory_swap is set. -EOPNOTSUPP, with the reason in err, when the
 * host has no file for it (no swap accounting, no I/O weights). */
int lxm_cgroup_limit_apply(const struct lxm_cgroup *cg, enum lxm_limit l, const struct lxm_cgroup_limits *lim,
			   struct lxm_error *err);
/* The limit's current value, in lxm's terms: bytes or "max" (memory,
 * memory_swap), a number or "max" (pids), the weight on lxm's scale,
 * the CPU list. ret_default (optional): it is what a cgroup has when
 * nothing was set. */
int lxm_cgroup_limit_read(const struct lxm_cgroup *cg, enum lxm_limit l, char **ret, bool *ret_default,
			  struct lxm_error *err);

/* A raw cgroup file ("memory.high", "pids.max") of the container's
 * cgroup: the v1 hierarchy of its controller (the part before the first
 * '.'), else the v2 one; cgroup.* the v2 one; a file the v1 hierarchy
 * lacks, the v2 cgroup's when it has it (hybrid: "memory.pressure"). Names with '/' or "..", or that do not look like
 * "controller.file", are refused (EINVAL). */
int lxm_cgroup_file_write(const struct lxm_cgroup *cg, const char *file, const char *value, struct lxm_error *err);
int lxm_cgroup_file_read(const struct lxm_cgroup *cg, const char *file, char **ret, struct lxm_error *err);
