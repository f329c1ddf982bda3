/* What the config files share, and nothing else: config.c (the key table,
 * the reader, defaults), config-check.c (value checks), config-validate.c
 * (the validation pass) and config-write.c (the writer). Other modules use
 * config.h. */
#pragma once

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "config.h"

#define LXM_TTYS_MAX 63
#define LXM_PIDS_MAX 4194304ULL      /* PID_MAX_LIMIT on 64-bit */
/* lxm-console --log gets the ring in one reply of the monitor */
#define LXM_CONSOLE_BUFFER_MAX ((uint64_t)LXM_CMD_DATA_MAX)
#define WHY_MAX 256

/* ---- value checks (config-check.c) ---------------------------------------- */

typedef int (*check_fn)(char *s, char *why, size_t n);

int cfg_check_name(char *s, char *why, size_t n);
int cfg_check_group_name(char *s, char *why, size_t n);
int cfg_check_nonempty(char *s, char *why, size_t n);
int cfg_check_apparmor(char *s, char *why, size_t n);
int cfg_check_mount_options(char *s, char *why, size_t n);
int cfg_check_idmapped(char *s, char *why, size_t n);
int cfg_check_hostname(char *s, char *why, size_t n);
int cfg_check_uuid(char *s, char *why, size_t n);
int cfg_check_ifname(char *s, char *why, size_t n);
int cfg_check_inner_ifname(char *s, char *why, size_t n);
int cfg_check_hwaddr(char *s, char *why, size_t n);
int cfg_check_cidr4(char *s, char *why, size_t n);
int cfg_check_cidr6(char *s, char *why, size_t n);
int cfg_check_gw4(char *s, char *why, size_t n);
int cfg_check_gw6(char *s, char *why, size_t n);
int cfg_check_cpuset(char *s, char *why, size_t n);
int cfg_check_cap(char *s, char *why, size_t n);
int cfg_check_dev_access(char *s, char *why, size_t n);
int cfg_check_dev_path(char *s, char *why, size_t n);

/* ---- the key table (config.c) --------------------------------------------- */

struct reader;
struct key;
/* s: the setting; kname: its name for messages ("net[0].link"). */
typedef int (*parse_fn)(struct reader *rd, const struct key *k, const config_setting_t *s,
			const char *kname, void *base);
/* 1 and the value text in *ret, 0 when there is nothing to write, <0 on error. */
typedef int (*format_fn)(const struct key *k, const void *base, char **ret);

enum {
	K_REQUIRED = 1 << 0,     /* must be present in each list element */
	K_ALWAYS = 1 << 1,       /* written even when empty / zero */
	K_EMPTY_NULL = 1 << 2,   /* "" stores NULL */
	K_UNIQUE = 1 << 3,       /* array elements must be distinct */
	K_ONE_LINE = 1 << 4,     /* list elements written on one line each */
};

struct list_desc {
	size_t elem_size;
	void (*elem_free)(void *elem);
	int (*finish)(struct reader *rd, const config_setting_t *s, void *elems, size_t n);
};

struct key {
	const char *path;        /* "net.link" */
	parse_fn parse;
	format_fn format;
	size_t offset;           /* in struct lxm_config, or in the list element */
	size_t aux;              /* arrays and lists: offset of the count */
	check_fn check;          /* strings and string arrays */
	uint64_t min, max;       /* integers */
	size_t size;             /* inline char arrays */
	unsigned flags;
	const struct list_desc *list;
	const char *conflict;    /* key that must not be set (non-empty) along with this one */
	size_t conflict_offset;  /* that key's array, cleared when this one is set */
	size_t conflict_aux;
};

#define FIELD(base, k, type) ((type *)((char *)(base) + (k)->offset))
#define CFIELD(base, k, type) ((const typeof(type) *)((const char *)(base) + (k)->offset))
#define COUNT(base, off) (*(size_t *)((char *)(base) + (off)))
#define CCOUNT(base, off) (*(const size_t *)((const char *)(base) + (off)))

extern const struct key cfg_keys[];
extern const size_t cfg_n_keys;

int cfg_parse_group(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
int cfg_parse_list(struct reader *, const struct key *, const config_setting_t *, const char *, void *);
const char *cfg_key_leaf(const struct key *k);
bool cfg_key_in_group(const struct key *k, const char *prefix);
const struct lxm_config_origin *cfg_origin_of(const struct lxm_config *conf, const char *key);

/* ---- the writer (config-write.c) ----------------------------------------- */

char *cfg_quote(const char *s);
int cfg_format_string(const struct key *, const void *, char **);
int cfg_format_chars(const struct key *, const void *, char **);
int cfg_format_strv(const struct key *, const void *, char **);
int cfg_format_u32(const struct key *, const void *, char **);
int cfg_format_u64(const struct key *, const void *, char **);
int cfg_format_i32(const struct key *, const void *, char **);
int cfg_format_size(const struct key *, const void *, char **);
int cfg_format_signal(const struct key *, const void *, char **);
int cfg_format_bool(const struct key *, const void *, char **);
int cfg_format_nettype(const struct key *, const void *, char **);
int cfg_format_idtype(const struct key *, const void *, char **);
int cfg_format_devtype(const struct key *, const void *, char **);
int cfg_format_devnum(const struct key *, const void *, char **);
