#include <sys/time.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cmd.h"

static const char *const cmd_names[LXM_CMD_MAX] = {
	[LXM_CMD_STATE] = "state",
	[LXM_CMD_STOP] = "stop",
	[LXM_CMD_CONSOLE_LOG] = "console-log",
	[LXM_CMD_FREEZE] = "freeze",
	[LXM_CMD_CONSOLE] = "console",
};

const char *lxm_cmd_to_string(enum lxm_cmd cmd)
{
	return (unsigned)cmd < LXM_CMD_MAX ? cmd_names[cmd] : "unknown";
}

ssize_t lxm_cmd_encode_req(const struct lxm_cmd_req *req, const void *data, void *buf, size_t size)
{
	size_t len = sizeof(*req) + req->datalen;

	if (req->datalen > LXM_CMD_DATA_MAX || len > size)
		return -ENOBUFS;
	memcpy(buf, req, sizeof(*req));
	if (req->datalen)
		memcpy((char *)buf + sizeof(*req), data, req->datalen);
	return (ssize_t)len;
}

ssize_t lxm_cmd_encode_rsp(const struct lxm_cmd_rsp *rsp, const void *data, void *buf, size_t size)
{
	size_t len = sizeof(*rsp) + rsp->datalen;

	if (rsp->datalen > LXM_CMD_DATA_MAX || len > size)
		return -ENOBUFS;
	memcpy(buf, rsp, sizeof(*rsp));
	if (rsp->datalen)
		memcpy((char *)buf + sizeof(*rsp), data, rsp->datalen);
	return (ssize_t)len;
}

int lxm_cmd_decode_req(const void *buf, size_t len, struct lxm_cmd_req *ret, const void **ret_data)
{
	struct lxm_cmd_req req;

	if (len < sizeof(req))
		return -EBADMSG;
	memcpy(&req, buf, sizeof(req));
	if (req.magic != LXM_CMD_MAGIC || req.version != LXM_CMD_VERSION)
		return -EPROTO;
	if (req.cmd >= LXM_CMD_MAX)
		return -EOPNOTSUPP;
	if (req.datalen > LXM_CMD_DATA_MAX || req.datalen != len - sizeof(req))
		return -EBADMSG;
	switch (req.cmd) {
	case LXM_CMD_STOP:
		if (req.arg1 < 0 || req.arg1 >= LXM_STOP_MODE_MAX ||
		    req.arg2 < LXM_STOP_TIMEOUT_FOREVER)
			return -EINVAL;
		break;
	case LXM_CMD_FREEZE:
		if (req.arg1 != 0 && req.arg1 != 1)
			return -EINVAL;
		break;
	case LXM_CMD_CONSOLE:
		if (req.arg1 < 0 || req.arg1 > LXM_CMD_TTY_MAX || req.arg2 != 0)
			return -EINVAL;
		break;
	default:
		break;
	}
	*ret = req;
	if (ret_data)
		*ret_data = req.datalen ? (const char *)buf + sizeof(req) : NULL;
	return 0;
}

int lxm_cmd_decode_rsp(const void *buf, size_t len, struct lxm_cmd_rsp *ret, const void **ret_data)
{
	struct lxm_cmd_rsp rsp;

	if (len < sizeof(rsp))
		return -EBADMSG;
	memcpy(&rsp, buf, sizeof(rsp));
	if (rsp.magic != LXM_CMD_MAGIC)
		return -EPROTO;
	if (rsp.datalen > LXM_CMD_DATA_MAX || rsp.datalen != len - sizeof(rsp))
		return -EBADMSG;
	if (rsp.ret > 0 || rsp.ret < -4095)
		return -EBADMSG;
	*ret = rsp;
	if (ret_data)
		*ret_data = rsp.datalen ? (const char *)buf + sizeof(rsp) : NULL;
	return 0;
}

static int console_msg_check(const struct lxm_console_msg *msg)
{
	if (msg->type >= LXM_CONSOLE_MSG_MAX)
		return -EOPNOTSUPP;
	if (msg->reserved != 0)
		return -EINVAL;
	switch (msg->type) {
	case LXM_CONSOLE_DATA:
		if (msg->datalen == 0 || msg->datalen > LXM_CONSOLE_DATA_MAX || msg->rows || msg->cols)
			return -EINVAL;
		break;
	case LXM_CONSOLE_WINSZ:
		if (msg->datalen != 0 || msg->rows == 0 || msg->cols == 0)
			return -EINVAL;
		break;
	default:
		break;
	}
	return 0;
}

ssize_t lxm_console_msg_encode(const struct lxm_console_msg *msg, const void *data, void *buf,
			       size_t size)
{
	int r = console_msg_check(msg);

	if (r < 0)
		return r;
	if (sizeof(*msg) + msg->datalen > size)
		return -ENOBUFS;
	memcpy(buf, msg, sizeof(*msg));
	if (msg->datalen)
		memcpy((char *)buf + sizeof(*msg), data, msg->datalen);
	return (ssize_t)(sizeof(*msg) + msg->datalen);
}

int lxm_console_msg_decode(const void *buf, size_t len, struct lxm_console_msg *ret,
			   const void **ret_data)
{
	struct lxm_console_msg msg;
	int r;

	if (len < sizeof(msg))
		return -EBADMSG;
	memcpy(&msg, buf, sizeof(msg));
	if (msg.datalen != len - sizeof(msg))
		return -EBADMSG;
	r = console_msg_check(&msg);
	if (r < 0)
		return r;
	*ret = msg;
	if (ret_data)
		*ret_data = msg.datalen ? (const char *)buf + sizeof(msg) : NULL;
	return 0;
}

int lxm_cmd_connect(const char *sockpath)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;

	if (lxm_strscpy(sa.sun_path, sockpath, sizeof(sa.sun_path)) < 0)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a stuck monitor must not hang the command: the connect (a full
	 * backlog) and every send give up after the timeout */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){ .tv_sec = LXM_CMD_TIMEOUT_MS / 1000 },
		       sizeof(struct timeval)) < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	return TAKE_FD(fd);
}

int lxm_cmd_call(int fd, enum lxm_cmd cmd, int32_t arg1, int32_t arg2,
		 struct lxm_cmd_rsp *ret, char **ret_data)
{
	struct lxm_cmd_req req = {
		.magic = LXM_CMD_MAGIC, .version = LXM_CMD_VERSION,
		.cmd = (uint16_t)cmd, .arg1 = arg1, .arg2 = arg2,
	};
	_cleanup_free_ char *buf = NULL;
	const void *data;
	ssize_t n;
	int r;

	if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	buf = malloc(sizeof(struct lxm_cmd_rsp) + LXM_CMD_DATA_MAX);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int pr = poll(&p, 1, LXM_CMD_TIMEOUT_MS);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -errno;
		if (pr == 0)
			return -ETIMEDOUT;
		break;
	}
	do
		n = recv(fd, buf, sizeof(struct lxm_cmd_rsp) + LXM_CMD_DATA_MAX, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	r = lxm_cmd_decode_rsp(buf, (size_t)n, ret, &data);
	if (r < 0)
		return r;
	if (ret_data) {
		*ret_data = NULL;
		if (ret->datalen) {
			*ret_data = malloc(ret->datalen + 1);
			if (!*ret_data)
				return -ENOMEM;
			memcpy(*ret_data, data, ret->datalen);
			(*ret_data)[ret->datalen] = '\0';
		}
	}
	return 0;
}
