/* Fuzz the command socket decoders: any input is decoded as a request, as a
 * response and as a console stream message; whatever decodes must encode
 * back to the same bytes, and the data pointer must stay inside the input. */
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_data(const void *ret_data, uint32_t datalen, const uint8_t *data, size_t size,
		       size_t hdr)
{
	if (datalen == 0 ? ret_data != NULL : ret_data != data + hdr)
		abort();
	if (hdr + datalen != size || datalen > LXM_CMD_DATA_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct lxm_cmd_req req;
	struct lxm_cmd_rsp rsp;
	struct lxm_console_msg msg;
	const void *ret_data;
	ssize_t n;

	if (size > sizeof(struct lxm_cmd_rsp) + LXM_CMD_DATA_MAX + 16)
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		abort();

	if (lxm_cmd_decode_req(data, size, &req, &ret_data) == 0) {
		check_data(ret_data, req.datalen, data, size, sizeof(req));
		if (req.magic != LXM_CMD_MAGIC || req.version != LXM_CMD_VERSION || req.cmd >= LXM_CMD_MAX)
			abort();
		n = lxm_cmd_encode_req(&req, ret_data, buf, size);
		if (n < 0 || (size_t)n != size || memcmp(buf, data, size) != 0)
			abort();
		/* one byte less never fits */
		if (lxm_cmd_encode_req(&req, ret_data, buf, size - 1) != -ENOBUFS)
			abort();
	}

	if (lxm_cmd_decode_rsp(data, size, &rsp, &ret_data) == 0) {
		check_data(ret_data, rsp.datalen, data, size, sizeof(rsp));
		if (rsp.magic != LXM_CMD_MAGIC || rsp.ret > 0 || rsp.ret < -4095)
			abort();
		n = lxm_cmd_encode_rsp(&rsp, ret_data, buf, size);
		if (n < 0 || (size_t)n != size || memcmp(buf, data, size) != 0)
			abort();
		if (lxm_cmd_encode_rsp(&rsp, ret_data, buf, size - 1) != -ENOBUFS)
			abort();
	}
	if (lxm_console_msg_decode(data, size, &msg, &ret_data) == 0) {
		check_data(ret_data, msg.datalen, data, size, sizeof(msg));
		if (msg.type >= LXM_CONSOLE_MSG_MAX || msg.reserved || msg.datalen > LXM_CONSOLE_DATA_MAX)
			abort();
		n = lxm_console_msg_encode(&msg, ret_data, buf, size);
		if (n < 0 || (size_t)n != size || memcmp(buf, data, size) != 0)
			abort();
		if (lxm_console_msg_encode(&msg, ret_data, buf, size - 1) != -ENOBUFS)
			abort();
	}
	return 0;
}
