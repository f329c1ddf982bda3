/* The monitor's command socket: a SOCK_SEQPACKET unix socket at
 * <rundir>/<name>/command. One request, one response, each a fixed header
 * plus optional data; encoding and decoding are pure functions (fuzzed). */
#pragma once

#include "error.h"

#define LXM_CMD_MAGIC 0x6c786d31u  /* "lxm1" */
#define LXM_CMD_VERSION 1
#define LXM_CMD_DATA_MAX (256 * 1024)
/* how long a client waits for the monitor to take a connection, a
 * request, and to answer it */
#define LXM_CMD_TIMEOUT_MS 10000
/* the reply to a connection beyond the monitor's client slots: -EUSERS,
 * with the state and init pid (what a STATE request would give) */

enum lxm_cmd {
	LXM_CMD_STATE,           /* -> state, init pid */
	LXM_CMD_STOP,            /* arg1: enum lxm_stop_mode, arg2: timeout s or
				  * LXM_STOP_TIMEOUT_*. A halt or kill client
				  * then waits for the close at the cleanup; a
				  * NOKILL one gets a second response instead
				  * (-ETIMEDOUT) when its time is up */
	LXM_CMD_CONSOLE_LOG,     /* -> ring buffer contents */
	LXM_CMD_FREEZE,          /* arg1: 1 freeze, 0 thaw */
	LXM_CMD_CONSOLE,         /* arg1: 0 /dev/console, N /dev/ttyN; arg2: 0. On
				  * success the connection becomes a console
				  * stream of struct lxm_console_msg packets */
	LXM_CMD_MAX,
};

enum lxm_stop_mode {
	LXM_STOP_HALT,           /* init's halt signal, SIGKILL after the timeout */
	LXM_STOP_KILL,           /* SIGKILL now */
	LXM_STOP_REBOOT,         /* init's reboot signal */
	LXM_STOP_NOKILL,         /* init's halt signal, never SIGKILL: when the
				  * timeout passes with init alive, the container
				  * runs on (timeout 0: the signal, no wait) */
	LXM_STOP_MODE_MAX,
};

/* A STOP's arg2: seconds, or */
#define LXM_STOP_TIMEOUT_DEFAULT (-1)   /* init.stop_timeout */
#define LXM_STOP_TIMEOUT_FOREVER (-2)   /* wait for the halt as long as it takes */

struct lxm_cmd_req {
	uint32_t magic;
	uint16_t version;
	uint16_t cmd;
	int32_t arg1;
	int32_t arg2;
	uint32_t datalen;
} __attribute__((packed));

struct lxm_cmd_rsp {
	uint32_t magic;
	int32_t ret;             /* 0 or -errno */
	uint32_t state;          /* enum lxm_state */
	int32_t init_pid;
	uint32_t datalen;
} __attribute__((packed));

#define LXM_CMD_TTY_MAX 63      /* highest N of /dev/ttyN (config LXM_TTYS_MAX) */

/* After a successful LXM_CMD_CONSOLE both sides send these, one per packet:
 * DATA carries terminal bytes (monitor -> client: output of the tty; client
 * -> monitor: input), WINSZ the client's window size (client -> monitor). */
enum lxm_console_msg_type {
	LXM_CONSOLE_DATA,
	LXM_CONSOLE_WINSZ,
	LXM_CONSOLE_MSG_MAX,
};

#define LXM_CONSOLE_DATA_MAX 16384

struct lxm_console_msg {
	uint16_t type;
	uint16_t rows;           /* WINSZ; 0 otherwise */
	uint16_t cols;           /* WINSZ; 0 otherwise */
	uint16_t reserved;       /* 0 */
	uint32_t datalen;        /* DATA: 1..LXM_CONSOLE_DATA_MAX; 0 otherwise */
} __attribute__((packed));

const char *lxm_cmd_to_string(enum lxm_cmd cmd);

/* Encode into buf (header + data); returns the length or -ENOBUFS. */
ssize_t lxm_cmd_encode_req(const struct lxm_cmd_req *req, const void *data, void *buf, size_t size);
ssize_t lxm_cmd_encode_rsp(const struct lxm_cmd_rsp *rsp, const void *data, void *buf, size_t size);
/* Decode and validate a received message; *ret_data points into buf. */
int lxm_cmd_decode_req(const void *buf, size_t len, struct lxm_cmd_req *ret, const void **ret_data);
int lxm_cmd_decode_rsp(const void *buf, size_t len, struct lxm_cmd_rsp *ret, const void **ret_data);
/* The console stream, the same way: encode returns the length or -ENOBUFS
 * (-EINVAL for a message decode would refuse); decode -EBADMSG, -EOPNOTSUPP
 * (unknown type) or -EINVAL. */
ssize_t lxm_console_msg_encode(const struct lxm_console_msg *msg, const void *data, void *buf,
			       size_t size);
int lxm_console_msg_decode(const void *buf, size_t len, struct lxm_console_msg *ret,
			   const void **ret_data);

/* Client side. connect: -ENOENT/-ECONNREFUSED when no monitor listens. */
int lxm_cmd_connect(const char *sockpath);
/* Send a request and read the response; data (if any) is returned malloc'ed. */
int lxm_cmd_call(int fd, enum lxm_cmd cmd, int32_t arg1, int32_t arg2,
		 struct lxm_cmd_rsp *ret, char **ret_data);
