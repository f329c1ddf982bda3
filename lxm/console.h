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

/* Client side of a console stream (LXM_CMD_CONSOLE). */

/* The detach sequence: <escape> q detaches, <escape> <escape> sends one
 * <escape>, <escape> followed by anything else sends both. */
struct lxm_escape {
	unsigned char key;         /* e.g. 1 for Ctrl-a; 0: no escape sequence */
	bool pending;              /* the last byte seen was the escape key */
};

/* Filter len bytes of terminal input: what is to be sent goes to out (room
 * for len + 1 bytes), its length to *ret_len. Returns true when the detach
 * sequence was typed; out then holds what came before it. */
bool lxm_escape_filter(struct lxm_escape *e, const char *in, size_t len, char *out, size_t *ret_len);

struct lxm_console_client {
	int sock;                  /* the stream, after LXM_CMD_CONSOLE */
	int in_fd;                 /* local terminal (or any input) */
	int out_fd;
	unsigned char escape;      /* 0: none */
};

/* Run the session until the detach sequence, the end of the stream (the
 * container stopped, or its monitor is gone) or SIGINT/SIGTERM/SIGHUP/SIGQUIT.
 * The local terminal is in raw mode meanwhile and restored on every way out;
 * SIGWINCH is forwarded. Returns 0 (detached, our output unwritable),
 * LXM_CONSOLE_ENDED (the stream ended), 128+signal, or -errno. */
#define LXM_CONSOLE_ENDED 1
int lxm_console_client_run(const struct lxm_console_client *c, struct lxm_error *err);
