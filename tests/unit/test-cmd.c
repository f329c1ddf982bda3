/* The command socket protocol: encoding, every rejection of the decoders,
 * and a live request/response over a socketpair. */
#include <sys/socket.h>
#include <sys/wait.h>

#include "cmd.h"
#include "state.h"
#include "tap.h"

#define REQ_SIZE sizeof(struct lxm_cmd_req)
#define RSP_SIZE sizeof(struct lxm_cmd_rsp)

static struct lxm_cmd_req mkreq(uint16_t cmd, int32_t arg1, int32_t arg2, uint32_t datalen)
{
	return (struct lxm_cmd_req){
		.magic = LXM_CMD_MAGIC, .version = LXM_CMD_VERSION,
		.cmd = cmd, .arg1 = arg1, .arg2 = arg2, .datalen = datalen,
	};
}

static struct lxm_cmd_rsp mkrsp(int32_t ret, uint32_t state, int32_t pid, uint32_t datalen)
{
	return (struct lxm_cmd_rsp){
		.magic = LXM_CMD_MAGIC, .ret = ret, .state = state,
		.init_pid = pid, .datalen = datalen,
	};
}

/* Encode req (with data) and decode it again: the decoder's return. */
static int req_roundtrip(const struct lxm_cmd_req *req, const void *data)
{
	char buf[REQ_SIZE + 64];
	struct lxm_cmd_req out;
	const void *odata = (const void *)1;
	ssize_t n = lxm_cmd_encode_req(req, data, buf, sizeof(buf));
	int r;

	if (n < 0)
		return (int)n;
	r = lxm_cmd_decode_req(buf, (size_t)n, &out, &odata);
	return r;
}

static void test_to_string(void)
{
	ok(streq(lxm_cmd_to_string(LXM_CMD_STATE), "state"), "to_string state");
	ok(streq(lxm_cmd_to_string(LXM_CMD_STOP), "stop"), "to_string stop");
	ok(streq(lxm_cmd_to_string(LXM_CMD_CONSOLE_LOG), "console-log"), "to_string console-log");
	ok(streq(lxm_cmd_to_string(LXM_CMD_FREEZE), "freeze"), "to_string freeze");
	ok(streq(lxm_cmd_to_string(LXM_CMD_MAX), "unknown"), "to_string of LXM_CMD_MAX is unknown");
	ok(streq(lxm_cmd_to_string((enum lxm_cmd)-1), "unknown"), "to_string of -1 is unknown");
	ok(streq(lxm_cmd_to_string((enum lxm_cmd)1000), "unknown"), "to_string of 1000 is unknown");
}

static void test_req_roundtrip(void)
{
	struct lxm_cmd_req req = mkreq(LXM_CMD_STOP, LXM_STOP_HALT, 30, 0), out = {};
	char buf[REQ_SIZE + 64];
	const void *data = (const void *)1;
	ssize_t n;
	int r;
	bool same;

	n = lxm_cmd_encode_req(&req, NULL, buf, sizeof(buf));
	ok(n == (ssize_t)REQ_SIZE, "request without data encodes to the header (%zd)", n);
	r = lxm_cmd_decode_req(buf, (size_t)n, &out, &data);
	ok(r == 0, "request without data decodes (%d)", r);
	same = memcmp(&req, &out, REQ_SIZE) == 0;
	ok(same, "decoded request equals the original");
	ok(data == NULL, "no data: data pointer is NULL");
	r = lxm_cmd_decode_req(buf, (size_t)n, &out, NULL);
	ok(r == 0, "decoding with a NULL data pointer works");

	req = mkreq(LXM_CMD_CONSOLE_LOG, 0, 0, 5);
	n = lxm_cmd_encode_req(&req, "hello", buf, sizeof(buf));
	ok(n == (ssize_t)(REQ_SIZE + 5), "request with data encodes header + data (%zd)", n);
	r = lxm_cmd_decode_req(buf, (size_t)n, &out, &data);
	ok(r == 0, "request with data decodes (%d)", r);
	same = r == 0 && memcmp(&req, &out, REQ_SIZE) == 0;
	ok(same, "decoded request header equals the original");
	same = r == 0 && data == buf + REQ_SIZE && memcmp(data, "hello", 5) == 0;
	ok(same, "data pointer points at the data in the buffer");

	/* every valid argument of every command */
	for (int m = 0; m < LXM_STOP_MODE_MAX; m++) {
		req = mkreq(LXM_CMD_STOP, m, -1, 0);
		r = req_roundtrip(&req, NULL);
		ok(r == 0, "stop mode %d, no timeout (-1) is accepted (%d)", m, r);
		req = mkreq(LXM_CMD_STOP, m, LXM_STOP_TIMEOUT_FOREVER, 0);
		r = req_roundtrip(&req, NULL);
		ok(r == 0, "stop mode %d, timeout FOREVER (-2) is accepted (%d)", m, r);
	}
	req = mkreq(LXM_CMD_STOP, LXM_STOP_NOKILL, 30, 0);
	r = req_roundtrip(&req, NULL);
	ok(r == 0, "stop --nokill with a timeout is accepted (%d)", r);
	req = mkreq(LXM_CMD_STOP, LXM_STOP_KILL, INT32_MAX, 0);
	r = req_roundtrip(&req, NULL);
	ok(r == 0, "stop with a timeout of INT32_MAX is accepted (%d)", r);
	req = mkreq(LXM_CMD_FREEZE, 1, 0, 0);
	r = req_roundtrip(&req, NULL);
	ok(r == 0, "freeze 1 is accepted (%d)", r);
	req = mkreq(LXM_CMD_FREEZE, 0, 0, 0);
	r = req_roundtrip(&req, NULL);
	ok(r == 0, "freeze 0 (thaw) is accepted (%d)", r);
	req = mkreq(LXM_CMD_STATE, -5, 77, 0);
	r = req_roundtrip(&req, NULL);
	ok(r == 0, "state ignores its arguments (%d)", r);
}

static void test_rsp_roundtrip(void)
{
	struct lxm_cmd_rsp rsp = mkrsp(0, LXM_STATE_RUNNING, 1234, 0), out = {};
	char buf[RSP_SIZE + 64];
	const void *data = (const void *)1;
	ssize_t n;
	int r;
	bool same;

	n = lxm_cmd_encode_rsp(&rsp, NULL, buf, sizeof(buf));
	ok(n == (ssize_t)RSP_SIZE, "response without data encodes to the header (%zd)", n);
	r = lxm_cmd_decode_rsp(buf, (size_t)n, &out, &data);
	ok(r == 0, "response without data decodes (%d)", r);
	same = memcmp(&rsp, &out, RSP_SIZE) == 0;
	ok(same, "decoded response equals the original");
	ok(data == NULL, "no data: data pointer is NULL");

	rsp = mkrsp(0, LXM_STATE_RUNNING, 1, 11);
	n = lxm_cmd_encode_rsp(&rsp, "console out", buf, sizeof(buf));
	ok(n == (ssize_t)(RSP_SIZE + 11), "response with data encodes header + data (%zd)", n);
	r = lxm_cmd_decode_rsp(buf, (size_t)n, &out, &data);
	ok(r == 0, "response with data decodes (%d)", r);
	same = r == 0 && memcmp(&rsp, &out, RSP_SIZE) == 0 && data == buf + RSP_SIZE &&
	       memcmp(data, "console out", 11) == 0;
	ok(same, "decoded response and data equal the original");
	r = lxm_cmd_decode_rsp(buf, (size_t)n, &out, NULL);
	ok(r == 0, "decoding with a NULL data pointer works");

	rsp = mkrsp(-ENOENT, 0, 0, 0);
	n = lxm_cmd_encode_rsp(&rsp, NULL, buf, sizeof(buf));
	r = lxm_cmd_decode_rsp(buf, (size_t)n, &out, &data);
	ok(r == 0 && out.ret == -ENOENT, "an error response decodes with its ret (%d, %d)", r, out.ret);
	rsp = mkrsp(-4095, 0, 0, 0);
	n = lxm_cmd_encode_rsp(&rsp, NULL, buf, sizeof(buf));
	r = lxm_cmd_decode_rsp(buf, (size_t)n, &out, &data);
	ok(r == 0, "ret -4095 is the lowest accepted (%d)", r);
}

static void test_big_data(void)
{
	size_t size = RSP_SIZE + LXM_CMD_DATA_MAX;
	_cleanup_free_ char *data = malloc(LXM_CMD_DATA_MAX);
	_cleanup_free_ char *buf = malloc(size + 1);
	struct lxm_cmd_rsp rsp = mkrsp(0, LXM_STATE_RUNNING, 1, LXM_CMD_DATA_MAX), out;
	struct lxm_cmd_req req = mkreq(LXM_CMD_STATE, 0, 0, LXM_CMD_DATA_MAX + 1);
	const void *odata;
	ssize_t n;
	int r;

	if (!data || !buf)
		abort();
	for (size_t i = 0; i < LXM_CMD_DATA_MAX; i++)
		data[i] = (char)(i * 7);
	n = lxm_cmd_encode_rsp(&rsp, data, buf, size);
	ok(n == (ssize_t)size, "response with LXM_CMD_DATA_MAX bytes encodes (%zd)", n);
	r = lxm_cmd_decode_rsp(buf, size, &out, &odata);
	ok(r == 0 && memcmp(odata, data, LXM_CMD_DATA_MAX) == 0,
	   "response with LXM_CMD_DATA_MAX bytes decodes (%d)", r);

	rsp.datalen = LXM_CMD_DATA_MAX + 1;
	n = lxm_cmd_encode_rsp(&rsp, data, buf, size + 1);
	ok(n == -ENOBUFS, "encoding a response with datalen > max fails (%zd)", n);
	n = lxm_cmd_encode_req(&req, data, buf, size + 1);
	ok(n == -ENOBUFS, "encoding a request with datalen > max fails (%zd)", n);
}

static void test_enobufs(void)
{
	struct lxm_cmd_req req = mkreq(LXM_CMD_CONSOLE_LOG, 0, 0, 3);
	struct lxm_cmd_rsp rsp = mkrsp(0, 0, 0, 3);
	char buf[64];
	ssize_t n;

	n = lxm_cmd_encode_req(&req, "abc", buf, REQ_SIZE + 2);
	ok(n == -ENOBUFS, "request: one byte short of header + data -> ENOBUFS (%zd)", n);
	n = lxm_cmd_encode_req(&req, "abc", buf, REQ_SIZE + 3);
	ok(n == (ssize_t)REQ_SIZE + 3, "request: exact size fits (%zd)", n);
	req.datalen = 0;
	n = lxm_cmd_encode_req(&req, NULL, buf, REQ_SIZE - 1);
	ok(n == -ENOBUFS, "request: buffer smaller than the header -> ENOBUFS (%zd)", n);
	n = lxm_cmd_encode_req(&req, NULL, buf, 0);
	ok(n == -ENOBUFS, "request: empty buffer -> ENOBUFS (%zd)", n);

	n = lxm_cmd_encode_rsp(&rsp, "abc", buf, RSP_SIZE + 2);
	ok(n == -ENOBUFS, "response: one byte short of header + data -> ENOBUFS (%zd)", n);
	n = lxm_cmd_encode_rsp(&rsp, "abc", buf, RSP_SIZE + 3);
	ok(n == (ssize_t)RSP_SIZE + 3, "response: exact size fits (%zd)", n);
	rsp.datalen = 0;
	n = lxm_cmd_encode_rsp(&rsp, NULL, buf, RSP_SIZE - 1);
	ok(n == -ENOBUFS, "response: buffer smaller than the header -> ENOBUFS (%zd)", n);
}

static int decode_req_raw(const struct lxm_cmd_req *req, size_t extra, size_t len_delta)
{
	char buf[REQ_SIZE + 32] = {};
	struct lxm_cmd_req out;
	const void *data;

	memcpy(buf, req, REQ_SIZE);
	return lxm_cmd_decode_req(buf, REQ_SIZE + extra - len_delta, &out, &data);
}

static void test_req_reject(void)
{
	struct lxm_cmd_req req;
	char buf[REQ_SIZE] = {};
	struct lxm_cmd_req out = mkreq(99, 99, 99, 99), before = out;
	const void *data = NULL;
	int r;
	bool same;

	req = mkreq(LXM_CMD_STATE, 0, 0, 0);
	r = decode_req_raw(&req, 0, 1);
	ok(r == -EBADMSG, "request: short header -> EBADMSG (%d)", r);
	r = lxm_cmd_decode_req(buf, 0, &out, &data);
	ok(r == -EBADMSG, "request: empty buffer -> EBADMSG (%d)", r);
	r = lxm_cmd_decode_req(buf, sizeof(buf), &out, &data);
	ok(r == -EPROTO, "request: all zero -> EPROTO (%d)", r);

	req = mkreq(LXM_CMD_STATE, 0, 0, 0);
	req.magic = 0x316d786c;
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EPROTO, "request: byte-swapped magic -> EPROTO (%d)", r);
	req.magic = LXM_CMD_MAGIC;
	req.version = 2;
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EPROTO, "request: version 2 -> EPROTO (%d)", r);
	req.version = 0;
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EPROTO, "request: version 0 -> EPROTO (%d)", r);

	req = mkreq(LXM_CMD_MAX, 0, 0, 0);
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EOPNOTSUPP, "request: cmd LXM_CMD_MAX -> EOPNOTSUPP (%d)", r);
	req = mkreq(0xffff, 0, 0, 0);
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EOPNOTSUPP, "request: cmd 0xffff -> EOPNOTSUPP (%d)", r);

	req = mkreq(LXM_CMD_STATE, 0, 0, 4);
	r = decode_req_raw(&req, 3, 0);
	ok(r == -EBADMSG, "request: datalen 4 with 3 bytes -> EBADMSG (%d)", r);
	r = decode_req_raw(&req, 5, 0);
	ok(r == -EBADMSG, "request: datalen 4 with 5 bytes -> EBADMSG (%d)", r);
	r = decode_req_raw(&req, 4, 0);
	ok(r == 0, "request: datalen 4 with 4 bytes is fine (%d)", r);
	req = mkreq(LXM_CMD_STATE, 0, 0, 0);
	r = decode_req_raw(&req, 1, 0);
	ok(r == -EBADMSG, "request: datalen 0 with a trailing byte -> EBADMSG (%d)", r);
	req = mkreq(LXM_CMD_STATE, 0, 0, LXM_CMD_DATA_MAX + 1);
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EBADMSG, "request: datalen > LXM_CMD_DATA_MAX -> EBADMSG (%d)", r);
	req = mkreq(LXM_CMD_STATE, 0, 0, UINT32_MAX);
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EBADMSG, "request: datalen UINT32_MAX -> EBADMSG (%d)", r);

	req = mkreq(LXM_CMD_STOP, LXM_STOP_MODE_MAX, 0, 0);
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EINVAL, "request: stop mode LXM_STOP_MODE_MAX -> EINVAL (%d)", r);
	req = mkreq(LXM_CMD_STOP, -1, 0, 0);
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EINVAL, "request: stop mode -1 -> EINVAL (%d)", r);
	req = mkreq(LXM_CMD_STOP, LXM_STOP_HALT, -3, 0);
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EINVAL, "request: stop timeout -3 -> EINVAL (%d)", r);
	req = mkreq(LXM_CMD_STOP, LXM_STOP_HALT, INT32_MIN, 0);
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EINVAL, "request: stop timeout INT32_MIN -> EINVAL (%d)", r);

	req = mkreq(LXM_CMD_FREEZE, 2, 0, 0);
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EINVAL, "request: freeze 2 -> EINVAL (%d)", r);
	req = mkreq(LXM_CMD_FREEZE, -1, 0, 0);
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EINVAL, "request: freeze -1 -> EINVAL (%d)", r);

	/* a rejected message leaves the output alone */
	req = mkreq(LXM_CMD_FREEZE, 7, 0, 0);
	memcpy(buf, &req, REQ_SIZE);
	r = lxm_cmd_decode_req(buf, REQ_SIZE, &out, &data);
	same = r < 0 && memcmp(&out, &before, REQ_SIZE) == 0 && data == NULL;
	ok(same, "request: rejection does not touch the outputs");
}

static int decode_rsp_raw(const struct lxm_cmd_rsp *rsp, size_t extra, size_t len_delta)
{
	char buf[RSP_SIZE + 32] = {};
	struct lxm_cmd_rsp out;
	const void *data;

	memcpy(buf, rsp, RSP_SIZE);
	return lxm_cmd_decode_rsp(buf, RSP_SIZE + extra - len_delta, &out, &data);
}

static void test_rsp_reject(void)
{
	struct lxm_cmd_rsp rsp;
	int r;

	rsp = mkrsp(0, 0, 0, 0);
	r = decode_rsp_raw(&rsp, 0, 1);
	ok(r == -EBADMSG, "response: short header -> EBADMSG (%d)", r);
	r = decode_rsp_raw(&rsp, 0, RSP_SIZE);
	ok(r == -EBADMSG, "response: empty -> EBADMSG (%d)", r);
	rsp.magic = LXM_CMD_MAGIC + 1;
	r = decode_rsp_raw(&rsp, 0, 0);
	ok(r == -EPROTO, "response: bad magic -> EPROTO (%d)", r);

	rsp = mkrsp(0, 0, 0, 8);
	r = decode_rsp_raw(&rsp, 7, 0);
	ok(r == -EBADMSG, "response: datalen 8 with 7 bytes -> EBADMSG (%d)", r);
	r = decode_rsp_raw(&rsp, 9, 0);
	ok(r == -EBADMSG, "response: datalen 8 with 9 bytes -> EBADMSG (%d)", r);
	r = decode_rsp_raw(&rsp, 8, 0);
	ok(r == 0, "response: datalen 8 with 8 bytes is fine (%d)", r);
	rsp = mkrsp(0, 0, 0, LXM_CMD_DATA_MAX + 1);
	r = decode_rsp_raw(&rsp, 0, 0);
	ok(r == -EBADMSG, "response: datalen > LXM_CMD_DATA_MAX -> EBADMSG (%d)", r);
	rsp = mkrsp(0, 0, 0, UINT32_MAX);
	r = decode_rsp_raw(&rsp, 0, 0);
	ok(r == -EBADMSG, "response: datalen UINT32_MAX -> EBADMSG (%d)", r);

	rsp = mkrsp(1, 0, 0, 0);
	r = decode_rsp_raw(&rsp, 0, 0);
	ok(r == -EBADMSG, "response: ret 1 -> EBADMSG (%d)", r);
	rsp = mkrsp(INT32_MAX, 0, 0, 0);
	r = decode_rsp_raw(&rsp, 0, 0);
	ok(r == -EBADMSG, "response: ret INT32_MAX -> EBADMSG (%d)", r);
	rsp = mkrsp(-4096, 0, 0, 0);
	r = decode_rsp_raw(&rsp, 0, 0);
	ok(r == -EBADMSG, "response: ret -4096 -> EBADMSG (%d)", r);
	rsp = mkrsp(INT32_MIN, 0, 0, 0);
	r = decode_rsp_raw(&rsp, 0, 0);
	ok(r == -EBADMSG, "response: ret INT32_MIN -> EBADMSG (%d)", r);
}

/* The child plays the monitor: reads one request, checks it, answers. */
static int serve_one(int fd)
{
	char in[REQ_SIZE + 16], out[RSP_SIZE + 32];
	struct lxm_cmd_req req;
	struct lxm_cmd_rsp rsp;
	const void *data;
	ssize_t n = recv(fd, in, sizeof(in), 0);

	if (n < 0 || lxm_cmd_decode_req(in, (size_t)n, &req, &data) < 0)
		return 2;
	if (req.cmd != LXM_CMD_CONSOLE_LOG || req.arg1 != 11 || req.arg2 != 22)
		return 3;
	rsp = mkrsp(0, LXM_STATE_RUNNING, 4242, 12);
	n = lxm_cmd_encode_rsp(&rsp, "ring content", out, sizeof(out));
	if (n < 0 || send(fd, out, (size_t)n, 0) != n)
		return 4;
	/* second request: answer with an error and no data */
	n = recv(fd, in, sizeof(in), 0);
	if (n < 0 || lxm_cmd_decode_req(in, (size_t)n, &req, &data) < 0 || req.cmd != LXM_CMD_STATE)
		return 5;
	rsp = mkrsp(-EBUSY, LXM_STATE_STOPPING, 4242, 0);
	n = lxm_cmd_encode_rsp(&rsp, NULL, out, sizeof(out));
	if (n < 0 || send(fd, out, (size_t)n, 0) != n)
		return 6;
	/* third request: a malformed answer */
	n = recv(fd, in, sizeof(in), 0);
	if (n < 0)
		return 7;
	memset(out, 0xff, RSP_SIZE);
	if (send(fd, out, RSP_SIZE, 0) != (ssize_t)RSP_SIZE)
		return 8;
	/* fourth request: hang up */
	n = recv(fd, in, sizeof(in), 0);
	return n > 0 ? 0 : 9;
}

static void test_live(void)
{
	struct lxm_cmd_rsp rsp = {};
	char *data = NULL;
	int sv[2], status = -1, r;
	pid_t pid;
	bool good;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		ok(0, "socketpair: %m");
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(serve_one(sv[1]));
	}
	close(sv[1]);
	ok(pid > 0, "forked the answering child");

	r = lxm_cmd_call(sv[0], LXM_CMD_CONSOLE_LOG, 11, 22, &rsp, &data);
	ok(r == 0, "lxm_cmd_call succeeds (%d)", r);
	good = r == 0 && rsp.ret == 0 && rsp.state == LXM_STATE_RUNNING && rsp.init_pid == 4242 &&
	       rsp.datalen == 12;
	ok(good, "response header: ret %d state %u pid %d datalen %u", rsp.ret, rsp.state, rsp.init_pid,
	   rsp.datalen);
	good = data && streq(data, "ring content");
	ok(good, "response data returned NUL-terminated: '%s'", data ? data : "(null)");
	free(data);

	data = (char *)1;
	r = lxm_cmd_call(sv[0], LXM_CMD_STATE, 0, 0, &rsp, &data);
	ok(r == 0 && rsp.ret == -EBUSY && rsp.state == LXM_STATE_STOPPING,
	   "an error response is returned in ret (%d, %d)", r, rsp.ret);
	ok(data == NULL, "no data: *ret_data is NULL");

	r = lxm_cmd_call(sv[0], LXM_CMD_STATE, 0, 0, &rsp, NULL);
	ok(r == -EPROTO, "a malformed response is refused (%d)", r);

	r = lxm_cmd_call(sv[0], LXM_CMD_STATE, 0, 0, &rsp, NULL);
	ok(r == -ECONNRESET, "the peer hanging up -> ECONNRESET (%d)", r);

	good = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	ok(good, "child saw the expected requests (status %d)", status);

	r = lxm_cmd_call(sv[0], LXM_CMD_STATE, 0, 0, &rsp, NULL);
	ok(r == -EPIPE || r == -ECONNRESET, "calling a closed peer fails, without SIGPIPE (%d)", r);
	close(sv[0]);
}

static int msg_roundtrip(const struct lxm_console_msg *msg, const void *data, struct lxm_console_msg *out,
			 const void **odata)
{
	char buf[sizeof(*msg) + LXM_CONSOLE_DATA_MAX];
	ssize_t n = lxm_console_msg_encode(msg, data, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return lxm_console_msg_decode(buf, (size_t)n, out, odata);
}

static void test_console(void)
{
	struct lxm_console_msg msg = { .type = LXM_CONSOLE_DATA, .datalen = 3 }, out;
	struct lxm_cmd_req req;
	char buf[64] = {};
	const void *data = NULL;
	static char big[LXM_CONSOLE_DATA_MAX + 1];
	ssize_t n;
	int r;
	bool good;

	ok(sizeof(struct lxm_console_msg) == 12, "console message header is 12 bytes");
	ok(streq(lxm_cmd_to_string(LXM_CMD_CONSOLE), "console"), "to_string console");
	for (int tty = 0; tty <= LXM_CMD_TTY_MAX; tty += LXM_CMD_TTY_MAX) {
		req = mkreq(LXM_CMD_CONSOLE, tty, 0, 0);
		r = req_roundtrip(&req, NULL);
		ok(r == 0, "console request for tty %d is accepted (%d)", tty, r);
	}
	req = mkreq(LXM_CMD_CONSOLE, -1, 0, 0);
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EINVAL, "console request for tty -1 -> EINVAL (%d)", r);
	req = mkreq(LXM_CMD_CONSOLE, LXM_CMD_TTY_MAX + 1, 0, 0);
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EINVAL, "console request for tty %d -> EINVAL (%d)", LXM_CMD_TTY_MAX + 1, r);
	req = mkreq(LXM_CMD_CONSOLE, 1, 1, 0);
	r = decode_req_raw(&req, 0, 0);
	ok(r == -EINVAL, "console request with arg2 != 0 -> EINVAL (%d)", r);

	r = msg_roundtrip(&msg, "a\0b", &out, &data);
	good = r == 0 && out.type == LXM_CONSOLE_DATA && out.datalen == 3 && memcmp(data, "a\0b", 3) == 0;
	ok(good, "DATA (with a NUL byte) round-trips (%d)", r);
	msg = (struct lxm_console_msg){ .type = LXM_CONSOLE_WINSZ, .rows = 50, .cols = 132 };
	r = msg_roundtrip(&msg, NULL, &out, &data);
	good = r == 0 && out.type == LXM_CONSOLE_WINSZ && out.rows == 50 && out.cols == 132 && data == NULL;
	ok(good, "WINSZ round-trips with no data (%d)", r);
	msg = (struct lxm_console_msg){ .type = LXM_CONSOLE_DATA, .datalen = LXM_CONSOLE_DATA_MAX };
	r = msg_roundtrip(&msg, big, &out, &data);
	ok(r == 0, "DATA of LXM_CONSOLE_DATA_MAX bytes round-trips (%d)", r);

	msg.datalen = LXM_CONSOLE_DATA_MAX + 1;
	n = lxm_console_msg_encode(&msg, big, big, sizeof(big));
	ok(n == -EINVAL, "encoding DATA beyond the max fails (%zd)", n);
	msg = (struct lxm_console_msg){ .type = LXM_CONSOLE_DATA, .datalen = 0 };
	n = lxm_console_msg_encode(&msg, NULL, buf, sizeof(buf));
	ok(n == -EINVAL, "encoding empty DATA fails (%zd)", n);
	msg = (struct lxm_console_msg){ .type = LXM_CONSOLE_DATA, .datalen = 4 };
	n = lxm_console_msg_encode(&msg, "abcd", buf, sizeof(msg) + 3);
	ok(n == -ENOBUFS, "encoding into a buffer one byte short -> ENOBUFS (%zd)", n);

	/* decoder rejections */
	msg = (struct lxm_console_msg){ .type = LXM_CONSOLE_DATA, .datalen = 4 };
	memcpy(buf, &msg, sizeof(msg));
	r = lxm_console_msg_decode(buf, sizeof(msg) + 3, &out, &data);
	ok(r == -EBADMSG, "DATA with datalen 4 and 3 bytes -> EBADMSG (%d)", r);
	r = lxm_console_msg_decode(buf, sizeof(msg) + 5, &out, &data);
	ok(r == -EBADMSG, "DATA with datalen 4 and 5 bytes -> EBADMSG (%d)", r);
	r = lxm_console_msg_decode(buf, sizeof(msg) - 1, &out, &data);
	ok(r == -EBADMSG, "short header -> EBADMSG (%d)", r);
	msg = (struct lxm_console_msg){ .type = LXM_CONSOLE_MSG_MAX };
	memcpy(buf, &msg, sizeof(msg));
	r = lxm_console_msg_decode(buf, sizeof(msg), &out, &data);
	ok(r == -EOPNOTSUPP, "unknown type -> EOPNOTSUPP (%d)", r);
	msg = (struct lxm_console_msg){ .type = LXM_CONSOLE_WINSZ, .rows = 0, .cols = 80 };
	memcpy(buf, &msg, sizeof(msg));
	r = lxm_console_msg_decode(buf, sizeof(msg), &out, &data);
	ok(r == -EINVAL, "WINSZ with 0 rows -> EINVAL (%d)", r);
	msg = (struct lxm_console_msg){ .type = LXM_CONSOLE_WINSZ, .rows = 24, .cols = 80, .datalen = 1 };
	memcpy(buf, &msg, sizeof(msg));
	r = lxm_console_msg_decode(buf, sizeof(msg) + 1, &out, &data);
	ok(r == -EINVAL, "WINSZ with data -> EINVAL (%d)", r);
	msg = (struct lxm_console_msg){ .type = LXM_CONSOLE_WINSZ, .rows = 24, .cols = 80, .reserved = 1 };
	memcpy(buf, &msg, sizeof(msg));
	r = lxm_console_msg_decode(buf, sizeof(msg), &out, &data);
	ok(r == -EINVAL, "reserved != 0 -> EINVAL (%d)", r);
	msg = (struct lxm_console_msg){ .type = LXM_CONSOLE_DATA, .rows = 1, .datalen = 1 };
	memcpy(buf, &msg, sizeof(msg));
	r = lxm_console_msg_decode(buf, sizeof(msg) + 1, &out, &data);
	ok(r == -EINVAL, "DATA with a window size -> EINVAL (%d)", r);
	msg = (struct lxm_console_msg){ .type = LXM_CONSOLE_DATA, .datalen = UINT32_MAX };
	memcpy(buf, &msg, sizeof(msg));
	r = lxm_console_msg_decode(buf, sizeof(msg), &out, &data);
	ok(r == -EBADMSG, "DATA with datalen UINT32_MAX -> EBADMSG (%d)", r);
}

static void test_connect(void)
{
	char longpath[200];
	int r;

	r = lxm_cmd_connect("/nonexistent-lxm-test/command");
	ok(r == -ENOENT, "connect to a missing path -> ENOENT (%d)", r);
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	r = lxm_cmd_connect(longpath);
	ok(r == -ENAMETOOLONG, "connect to an overlong path -> ENAMETOOLONG (%d)", r);
}

int main(void)
{
	ok(REQ_SIZE == 20 && RSP_SIZE == 20, "wire headers are 20 bytes (%zu, %zu)", REQ_SIZE, RSP_SIZE);
	test_to_string();
	test_req_roundtrip();
	test_rsp_roundtrip();
	test_big_data();
	test_enobufs();
	test_req_reject();
	test_rsp_reject();
	test_live();
	test_console();
	test_connect();
	return tap_done();
}
