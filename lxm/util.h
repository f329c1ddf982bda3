/* Small helpers shared by every part of lxm: cleanup attributes, string and
 * file utilities. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

#define TAKE_PTR(p) ({ typeof(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })

#define streq(a, b) (strcmp((a), (b)) == 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Free a NULL-terminated or counted string vector. */
void lxm_strv_free(char **v, size_t n);
static inline void strvp_free(char ***v)
{
	lxm_strv_free(*v, (size_t)-1);
}
#define _cleanup_strv_ _cleanup_(strvp_free)

char *lxm_strdup_printf(const char *fmt, ...) _printf_(1, 2);
bool lxm_startswith(const char *s, const char *prefix);
/* Copy with truncation check: -ENAMETOOLONG when src does not fit. */
int lxm_strscpy(char *dst, const char *src, size_t size);

/* Whole-file helpers relative to a directory fd (AT_FDCWD allowed). */
int lxm_read_file_at(int dirfd, const char *path, char **ret, size_t *ret_len);
int lxm_write_file_at(int dirfd, const char *path, const char *data, size_t len, int flags, mode_t mode);
/* Write tmp + fsync + rename + fsync(dir): the file is either old or new. */
int lxm_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);
/* The same, with fsync only when durable: runtime state lives in /run and
 * does not outlive a reboot, so readers only need the rename's atomicity. */
int lxm_write_file_replace(const char *path, const char *data, size_t len, mode_t mode, bool durable);
/* The same in dirfd, through NAME.tmp (removed first, never followed), no
 * fsync: for what a later start may take again or make again. */
int lxm_write_file_replace_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode);
int lxm_mkdir_p(const char *path, mode_t mode);
/* name in dirfd (AT_FDCWD allowed), opened with O_NOFOLLOW, O_CLOEXEC and
 * flags, only when it is ours (our euid's) and has none of the mode bits
 * in forbid: a regular file, or a directory when flags has O_DIRECTORY.
 * The fd, -errno, or -EPERM when it is not ours; its stat to st (NULL:
 * not wanted). */
int lxm_open_ours_at(int dirfd, const char *name, int flags, mode_t forbid, struct stat *st);

/* Whether someone holds an flock on path in dirfd (AT_FDCWD allowed; not
 * followed if a symlink): 1: held; 0: not, or no such file; -errno. The
 * probe is a shared lock for an instant. */
int lxm_lock_held_at(int dirfd, const char *path);
/* flock(fd, LOCK_EX | LOCK_NB), tried again every step_us while another
 * holds it, tries times in all: 0, -EWOULDBLOCK when it stayed held, or
 * -errno. */
int lxm_flock_retry(int fd, unsigned tries, unsigned step_us);

/* Full read/write loops that retry on EINTR and short counts. */
ssize_t lxm_read_full(int fd, void *buf, size_t len);
int lxm_write_full(int fd, const void *buf, size_t len);

/* Monotonic time in nanoseconds. */
uint64_t lxm_now_ns(void);
/* This boot's id (/proc/sys/kernel/random/boot_id, without its newline):
 * what a compiled policy kept across starts is valid for. */
int lxm_boot_id(char out[64]);
/* "dev:ino size mtime" of the file at path (followed), "-" when there is
 * none: to tell whether a file a kept result came from changed. */
void lxm_file_ident(const char *path, char *buf, size_t size);

/* Step through the components of a path: skips slashes, sets *ret_comp
 * and *ret_len to the next component and advances *p past it; false at the
 * end. Empty components and repeated slashes never appear. */
bool lxm_path_next(const char **p, const char **ret_comp, size_t *ret_len);

/* "10.0.3.10/24" or "fd42::10/64" (prefix optional: /32, /128). addr gets
 * 4 or 16 bytes. -EINVAL when malformed. */
int lxm_parse_cidr(const char *s, int *ret_family, unsigned char addr[16], unsigned *ret_prefix);
/* Whether two CIDRs give one address, whatever their spelling or prefix
 * ("fd00::5/64", "fd00:0::5/48"). */
bool lxm_same_address(const char *a, const char *b);

/* Parse an unsigned decimal integer that must fit in max. */
int lxm_parse_u64(const char *s, uint64_t max, uint64_t *ret);
/* The reason a value is rejected, into why (n bytes); returns -EINVAL. */
int lxm_why_invalid(char *why, size_t n, const char *fmt, ...) _printf_(3, 4);

/* Process start time (field 22 of /proc/PID/stat) to tell a pid's reuse. */
int lxm_proc_starttime(pid_t pid, uint64_t *ret);
/* State letter (field 3: R, S, Z, ...) and start time of a pid. */
int lxm_proc_stat(pid_t pid, char *ret_state, uint64_t *ret_starttime);
/* Whether a process acts on signal sig when it comes now: it catches or
 * blocks it (a blocked one waits, queued), or it sits in sigtimedwait()
 * (the kernel puts its mask aside meanwhile, so /proc shows the waited-for
 * signals unblocked). A container's init drops a signal from outside its
 * PID namespace that it neither catches nor blocks, as it does in its first
 * moments, before it has set itself up: a halt sent then is lost. From the
 * text of /proc/PID/status and /proc/PID/syscall (NULL: unknown, taken as
 * yes). */
bool lxm_signal_taken(const char *status, const char *syscall_text, int sig);
/* The same for a live pid: 1 yes, 0 not (yet), -errno (-ENOENT: gone). */
int lxm_proc_signal_taken(pid_t pid, int sig);
/* How long a signal held until init takes it waits for the next look, once
 * held for held_ns: often at first (init sets itself up within moments),
 * then seldom (an init that never takes it). */
unsigned lxm_signal_hold_step_ms(uint64_t held_ns);
