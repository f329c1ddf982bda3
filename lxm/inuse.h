/* A stopped container whose files a command reads for long (a full
 * lxm-copy, lxm-export, and lxm-copy -s while it makes the snapshot).
 *
 * Such a command holds an flock on a file of its own in the container's
 * directory, <dir>/in-use.<pid>.<n>, which says what it does ("being copied
 * to web2 (lxm-copy, pid 1234)"). Readers do not exclude each other: each
 * has its own file. lxm-start and lxm-destroy refuse the container while
 * one is held, naming what the file says. The kernel drops the lock with
 * the process (also on SIGKILL); the file that a killed command leaves is
 * unheld, not in the way, and removed by the next look.
 *
 * The races are settled as for the destroying lock (snapshot.h): a start
 * claims the runtime dir, then looks here; lxm-destroy takes its
 * destroying lock, then looks here; a reader takes its lock here, then
 * looks for a claimed runtime dir and a destroying lock. One of two sees
 * the other. */
#pragma once

#include <stddef.h>

#include "error.h"

#define LXM_INUSE_PREFIX "in-use."

/* A lock taken: kept while reading, released by lxm_inuse_release() (or
 * by the kernel when the process dies). */
struct lxm_inuse {
	int dirfd;
	int fd;
	char name[96];
};
#define LXM_INUSE_INIT { .dirfd = -1, .fd = -1 }

/* Take a lock of our own in the directory dir, saying what (one line);
 * 0 or -errno. */
int lxm_inuse_take(const char *dir, const char *what, struct lxm_inuse *ret);
/* Release it and remove its file (a no-op on LXM_INUSE_INIT). */
void lxm_inuse_release(struct lxm_inuse *h);

/* How many commands hold a lock in dir now (0: none, or dir is gone), what
 * the first one says in ret_what (n bytes, "" when it says nothing); or
 * -errno when that cannot be told. Files left unheld are removed. */
int lxm_inuse_find(const char *dir, char *ret_what, size_t n);

/* 0 when nothing holds a lock in dir; else the error for the command that
 * must wait ("being copied to web2 (lxm-copy, pid 1234); try again when it
 * is done"), returned. */
int lxm_inuse_check(const char *dir, struct lxm_error *err);
