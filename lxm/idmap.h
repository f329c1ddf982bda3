/* User namespace id maps: the subordinate id files (/etc/subuid,
 * /etc/subgid), one 65536-id range per container taken from root's ranges
 * and never overlapping another container's range on the host (in its own
 * lxmpath, or in any other lxmpath listed in the config dir's registry), the
 * map text for /proc/PID/{u,g}id_map, id translation, and whether a path
 * allows idmapped mounts. */
#pragma once

#include "config.h"
#include "error.h"
#include "state.h"

#define LXM_IDMAP_DEFAULT_COUNT 65536u
/* A container with security.nesting = true: its own 65536 ids and room for
 * 15 nested containers of 65536 ids each. */
#define LXM_IDMAP_NESTING_COUNT (16u * 65536u)
/* What lxm adds for root when the subordinate id file grants it nothing. */
#define LXM_SUBID_ADD_START 1000000u
#define LXM_SUBID_ADD_COUNT 1000000000u

/* The registry of lxmpaths that hold containers with id ranges, in the
 * config dir: each lxmpath is listed the first time a range is allocated,
 * checked or reserved there, and every range is kept disjoint from those of
 * the containers in all of them. */
#define LXM_IDMAP_REGISTRY "lxmpaths"
#define LXM_IDMAP_REGISTRY_HEADER \
	"# lxmpaths that hold unprivileged containers, listed by lxm: their host id\n" \
	"# ranges are kept apart from each other's. One absolute path a line.\n"

struct lxm_id_range {
	uint32_t start;
	uint32_t count;
};

/* ---- pure helpers (unit-tested) ---- */

/* Ranges of `owner` (a name, or its numeric id as text) in subuid/subgid
 * text ("name:start:count" lines; '#' comments and blank lines skipped;
 * malformed lines ignored). *ret is NULL when there is none. */
int lxm_subid_parse(const char *text, const char *owner, const char *owner_id,
		    struct lxm_id_range **ret, size_t *ret_n);
/* Every range in the text, of any owner (for placing a new one). */
int lxm_subid_parse_all(const char *text, struct lxm_id_range **ret, size_t *ret_n);
bool lxm_id_range_overlap(const struct lxm_id_range *a, const struct lxm_id_range *b);
/* Whether r lies completely inside one of the ranges. */
bool lxm_id_range_within(const struct lxm_id_range *r, const struct lxm_id_range *in, size_t n);
/* The lowest start of `count` ids inside one of avail that overlaps none of
 * used; -ENOSPC when there is no room. */
int lxm_id_range_allocate(const struct lxm_id_range *avail, size_t n_avail,
			  const struct lxm_id_range *used, size_t n_used, uint32_t count,
			  uint32_t *ret_start);
/* Where to put a new range of count ids for root: LXM_SUBID_ADD_START, or
 * past every range already in the file when that overlaps one; UINT32_MAX
 * (start + count overflows) when there is no room below 2^32. */
uint32_t lxm_subid_new_start(const struct lxm_id_range *all, size_t n, uint32_t count);
/* The range to add for root, given the "INSIDE OUTSIDE COUNT" lines of
 * /proc/self/{u,g}id_map: in the initial user namespace (every id mapped)
 * LXM_SUBID_ADD_COUNT ids at lxm_subid_new_start(); inside a container (a
 * nesting host) the largest run of its mapped ids at or above 65536 (its
 * own users stay below) that overlaps none of all, in multiples of 65536.
 * -ENOSPC when not even 65536 ids are left. */
int lxm_subid_pick_new(const char *self_map, const struct lxm_id_range *all, size_t n,
		       struct lxm_id_range *ret);
/* The "CONTAINER HOST COUNT\n" lines of maps of one type ('u' or 'g');
 * returns the length, or -E2BIG when it does not fit. */
int lxm_idmap_format(const struct lxm_idmap *maps, size_t n, char type, char *buf, size_t size);
/* Parse lines "u|g CONTAINER HOST COUNT" (the format of a container's
 * rootfs.idmap file, and of the partial marker's reservation). */
int lxm_idmap_parse_lines(const char *text, struct lxm_idmap **ret, size_t *ret_n);
/* The same lines for every map; ret is malloc'ed. */
int lxm_idmap_format_lines(const struct lxm_idmap *maps, size_t n, char **ret);
/* Host id of container id `id`, -1 when unmapped. With n == 0 (no user
 * namespace) the identity. */
int64_t lxm_idmap_to_host(const struct lxm_idmap *maps, size_t n, char type, uint32_t id);
/* Container id of host id `id`, -1 when unmapped; identity when n == 0. */
int64_t lxm_idmap_to_container(const struct lxm_idmap *maps, size_t n, char type, uint32_t id);
/* Whether two map sets map the same ids the same way (order ignored). */
bool lxm_idmap_equal(const struct lxm_idmap *a, size_t na, const struct lxm_idmap *b, size_t nb);

/* The lxmpaths listed in registry text (ret NULL-terminated, NULL when
 * there is none): one absolute path a line, white space around it and
 * trailing slashes dropped; comments ('#'), blank lines and relative paths
 * skipped; a path listed twice comes once. */
int lxm_idmap_registry_parse(const char *text, char ***ret, size_t *ret_n);
/* The registry text (NULL: no file yet) with the absolute path added as a
 * line of its own: 1 and *ret the new text (the header first when the file
 * was empty), or 0 and *ret NULL when the text lists it already; -EINVAL
 * for a path that is not absolute or has a line break. */
int lxm_idmap_registry_add(const char *text, const char *path, char **ret);

/* ---- files and the host ---- */

/* $LXM_SUBUID_FILE / $LXM_SUBGID_FILE, else /etc/subuid / /etc/subgid. */
const char *lxm_subid_path(char type);
/* Root's ranges in the file of `type`; when it grants root none, append
 * "root:START:LXM_SUBID_ADD_COUNT" (creating the file if needed) and say so
 * on the log (warning level). */
int lxm_subid_root_ranges(char type, struct lxm_id_range **ret, size_t *ret_n, struct lxm_error *err);

/* Give the container `self` a uid and a gid range of `count` ids each from
 * root's subordinate ranges, disjoint from every other container's host
 * ranges (their configs, and the reservations of creates in progress in
 * their partial markers) in paths->lxmpath and in every other lxmpath the
 * registry in paths->confdir lists (one that is gone or unreadable is
 * skipped; there a container counts only when its config parses). Holds an
 * flock on the config dir and then on the lxmpath directory meanwhile, and
 * lists the lxmpath in the registry; when reserve_fd >= 0 the result is
 * written to it (the caller's partial marker) before the locks are dropped.
 * paths->confdir NULL: this lxmpath only, no registry. */
int lxm_idmap_allocate(const struct lxm_paths *paths, const char *self, uint32_t count, int reserve_fd,
		       struct lxm_idmap out[2], struct lxm_error *err);
/* Check a given idmap of container `self`: each host range inside root's
 * subordinate ranges and disjoint from other containers' ranges, under the
 * locks of lxm_idmap_allocate() (and the lxmpath listed the same way).
 * Errors name the map entry and the other container (with its lxmpath when
 * that is another), or the file. */
int lxm_idmap_check(const struct lxm_paths *paths, const char *self, const struct lxm_idmap *maps,
		    size_t n, struct lxm_error *err);
/* lxm_idmap_check() under the same locks, then the maps written to
 * reserve_fd (the caller's partial marker) as lxm_idmap_allocate() does:
 * a create with the idmap of its config. */
int lxm_idmap_reserve(const struct lxm_paths *paths, const char *self, const struct lxm_idmap *maps, size_t n,
		      int reserve_fd, struct lxm_error *err);

/* Whether `path` can be mounted idmapped here (mount_setattr with
 * MOUNT_ATTR_IDMAP on a clone of it, tried for real with a throwaway user
 * namespace): 1 yes, 0 no (the kernel or the filesystem refuses), -errno
 * when it could not be tried (e.g. -EPERM without root). For lxm-checkconfig. */
int lxm_idmapped_mounts_supported(const char *path);

/* A detached recursive clone of path (open_tree), with the id map of pid's
 * user namespace applied when idmapped (mount_setattr MOUNT_ATTR_IDMAP);
 * the fd, or -errno (-EINVAL: the filesystem or kernel refuses). */
int lxm_idmap_mount_tree(const char *path, pid_t pid, bool idmapped);

/* Send / receive one fd with a uint32 tag over a unix socket. */
int lxm_send_fd(int sock, uint32_t tag, int fd);
int lxm_recv_fd(int sock, uint32_t *ret_tag);
