/* Rootfs import and export with libarchive, and init detection.
 *
 * Import is safe by construction: every entry is created relative to an
 * open rootfs dirfd, its parent resolved with openat2(RESOLVE_IN_ROOT), its
 * last component never followed. So an absolute path or a symlink to '/'
 * lands inside the rootfs, a '..' that would climb out of it is refused, a
 * hardlink can only point at an entry inside, and device nodes are made only
 * when the caller allows them (privileged containers). */
#pragma once

/* -I lxm makes <archive.h> find this file: pull in libarchive's own. */
#include_next <archive.h>
#include <archive_entry.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "state.h"

/* An ownership shift: ids in [0, count) become [base, base + count) (on
 * import; the other way round on export). count 0: no shift. An id outside
 * the range becomes the overflow id 65534 (inside the range). */
struct lxm_idshift {
	uint32_t uid_base, gid_base;
	uint32_t count;
	/* export of an unprivileged snapshot: ids below count come from its
	 * base's lower layer, unshifted on disk, and stay as they are */
	bool keep_below_count;
};

struct lxm_import_opts {
	bool allow_devices;            /* privileged: keep block/char device nodes */
	struct lxm_idshift shift;      /* unprivileged without idmapped mounts */
	/* set by a signal handler: stop at the next entry or block (EINTR) */
	const volatile sig_atomic_t *interrupted;
};

struct lxm_import_stats {
	uint64_t entries;
	uint64_t bytes;                /* file data written */
	uint64_t skipped_devices;      /* device nodes left out (unprivileged) */
	uint64_t clamped_ids;          /* owners outside the id range */
};

/* Import `source` into the directory rootfd (an O_PATH or O_RDONLY dirfd):
 * a tarball (any compression libarchive knows: gzip, xz, zstd, bzip2, lz4,
 * or none), "-" for stdin, or a directory tree (copied, see copy.h). */
int lxm_archive_import(const char *source, int rootfd, const struct lxm_import_opts *opts,
		       struct lxm_import_stats *ret_stats, struct lxm_error *err);
/* The same from an fd or from memory (tests). */
int lxm_archive_import_fd(int fd, int rootfd, const struct lxm_import_opts *opts,
			  struct lxm_import_stats *ret_stats, struct lxm_error *err);
int lxm_archive_import_memory(const void *buf, size_t len, int rootfd, const struct lxm_import_opts *opts,
			      struct lxm_import_stats *ret_stats, struct lxm_error *err);

enum lxm_compression {
	LXM_COMPRESS_NONE,
	LXM_COMPRESS_GZIP,
	LXM_COMPRESS_XZ,
	LXM_COMPRESS_ZSTD,
	LXM_COMPRESS_BZIP2,
	LXM_COMPRESS_MAX,
};

/* By file name: .tar -> none, .gz/.tgz -> gzip, .xz/.txz -> xz, .bz2 ->
 * bzip2, anything else (and "-") -> zstd. */
enum lxm_compression lxm_compression_from_name(const char *filename);

/* Metadata entry written first by an export; an import skips it. */
#define LXM_EXPORT_METADATA ".lxm-export/config"

/* Write the tree at rootfs_path (a stopped container's rootfs) to outfd as
 * a pax tarball with xattrs, ACLs, hardlinks and sparse files, owners
 * shifted back by `shift` (host ids -> container ids). `config_text`, when
 * not NULL, goes first as LXM_EXPORT_METADATA. */
int lxm_archive_export(const char *rootfs_path, int outfd, enum lxm_compression comp,
		       const struct lxm_idshift *shift, const char *config_text, struct lxm_error *err);

enum lxm_init_kind {
	LXM_INIT_SYSTEMD,
	LXM_INIT_SYSVINIT,
	LXM_INIT_OPENRC,
	LXM_INIT_BUSYBOX,
	LXM_INIT_MAX,
};

struct lxm_init_info {
	enum lxm_init_kind kind;
	char cmd[64];                  /* absolute path inside the rootfs */
	int halt_signal;
	int reboot_signal;
};

const char *lxm_init_kind_to_string(enum lxm_init_kind k);
/* Look at the rootfs (resolving inside it) for an init: /sbin/init and what
 * it is (systemd, busybox, sysvinit, openrc-init), else systemd or
 * openrc-init at their usual places. -ENOENT with a message that says what
 * is missing when there is none. */
int lxm_init_detect(int rootfd, struct lxm_init_info *ret, struct lxm_error *err);

/* Apply a shift to one id (pure). */
uint32_t lxm_idshift_uid(const struct lxm_idshift *s, uint32_t id, bool *clamped);
uint32_t lxm_idshift_gid(const struct lxm_idshift *s, uint32_t id, bool *clamped);

/* lxm-export: the stopped container's rootfs (a snapshot's merged view) and
 * its config as metadata, owners back to container ids, to `output` ("-":
 * stdout; else written to a temporary file renamed into place). */
int lxm_container_export(const struct lxm_paths *paths, const char *name, const char *output,
			 struct lxm_error *err);
