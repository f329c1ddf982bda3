/* Console ptys owned by the monitor, the console ring buffer and the
 * console log file with rotation. */
#pragma once

#include "error.h"

struct lxm_pty {
	int master;                /* O_NONBLOCK, owned by the monitor */
	int slave;                 /* kept open so the master never sees EIO */
	char path[64];             /* host path of the slave, /dev/pts/N */
};

int lxm_pty_open(struct lxm_pty *pty, struct lxm_error *err);
void lxm_pty_close(struct lxm_pty *pty);

/* A fixed-size ring of the most recent console output. */
struct lxm_ring {
	char *buf;
	size_t size;
	size_t head;               /* next write position */
	size_t len;                /* bytes held, <= size */
};

int lxm_ring_init(struct lxm_ring *r, size_t size);
void lxm_ring_free(struct lxm_ring *r);
void lxm_ring_write(struct lxm_ring *r, const char *data, size_t len);
/* Copy the held bytes, oldest first, into out (at most outsize); returns the
 * number copied. */
size_t lxm_ring_copy(const struct lxm_ring *r, char *out, size_t outsize);

/* console.log: appended to, rotated to console.log.1 beyond max bytes. */
struct lxm_console_log {
	int fd;
	char *path;
	uint64_t size;
	uint64_t max;
};

int lxm_console_log_open(struct lxm_console_log *log, const char *path, uint64_t max,
			 struct lxm_error *err);
void lxm_console_log_write(struct lxm_console_log *log, const char *data, size_t len);
void lxm_console_log_close(struct lxm_console_log *log);
