#include "error.h"

static int error_vset(struct lxm_error *err, int code, bool complete, const char *fmt, va_list ap)
{
	if (code < 0)
		code = -code;
	if (code == 0)
		code = EIO;
	if (!err)
		return -code;
	err->code = code;
	err->complete = complete;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -code;
}

int lxm_error_set(struct lxm_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = error_vset(err, code, false, fmt, ap);
	va_end(ap);
	return r;
}

int lxm_error_setr(struct lxm_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = error_vset(err, code, true, fmt, ap);
	va_end(ap);
	return r;
}

int lxm_error_prefix(struct lxm_error *err, const char *fmt, ...)
{
	char prefix[LXM_ERROR_MSG_MAX], joined[LXM_ERROR_MSG_MAX];
	va_list ap;

	if (!err)
		return -EIO;
	if (err->code == 0)
		err->code = EIO;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (err->msg[0])
		snprintf(joined, sizeof(joined), "%s: %s", prefix, err->msg);
	else
		snprintf(joined, sizeof(joined), "%s", prefix);
	memcpy(err->msg, joined, sizeof(err->msg));
	return -err->code;
}

const char *lxm_error_text(const struct lxm_error *err, char *buf, size_t size)
{
	if (err->complete || err->code == 0)
		snprintf(buf, size, "%s", err->msg);
	else if (err->msg[0])
		snprintf(buf, size, "%s: %s", err->msg, strerror(err->code));
	else
		snprintf(buf, size, "%s", strerror(err->code));
	return buf;
}

void lxm_error_clear(struct lxm_error *err)
{
	err->code = 0;
	err->complete = false;
	err->msg[0] = '\0';
}
