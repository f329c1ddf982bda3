/* Named steps of the start handshake between the monitor and the child that
 * becomes the container's init, over a SOCK_SEQPACKET|SOCK_CLOEXEC pair.
 * The child's exec closes its end: EOF means init is running; an ERROR
 * message carries a struct lxm_error. */
#pragma once

#include "error.h"

enum lxm_sync_step {
	LXM_SYNC_IDMAPS_WRITTEN,    /* parent -> child: uid/gid maps are written */
	LXM_SYNC_NET_UNSHARED,      /* child -> parent: the network namespace exists */
	LXM_SYNC_NET_CONFIGURED,    /* parent -> child: host side links are in place */
	LXM_SYNC_CGROUP_JOINED,     /* parent -> child: the child is in every cgroup */
	LXM_SYNC_ERROR,             /* either way: the step failed, see the error */
	LXM_SYNC_STEP_MAX,
};

const char *lxm_sync_step_to_string(enum lxm_sync_step step);

int lxm_sync_send(int fd, enum lxm_sync_step step);
int lxm_sync_send_error(int fd, const struct lxm_error *e);
/* Wait for `step`. An ERROR message is copied to err and returns its
 * -code; EOF returns -EPIPE (with ret_eof set if given). */
int lxm_sync_wait(int fd, enum lxm_sync_step step, struct lxm_error *err);
/* Parent: wait for the child's exec (EOF) or its error. */
int lxm_sync_wait_exec(int fd, struct lxm_error *err);
/* Parent, once the child is gone: the error it sent, if any (messages
 * still queued are read without blocking). Returns -code with err filled,
 * or 0 when it sent none. */
int lxm_sync_pending_error(int fd, struct lxm_error *err);
