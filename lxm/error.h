/* struct lxm_error: an errno plus a fixed-size message, small enough to be
 * sent over the start sync socket from the container's child. */
#pragma once

#include "util.h"

#define LXM_ERROR_MSG_MAX 768

struct lxm_error {
	int code;              /* positive errno, 0 when unset */
	bool complete;         /* msg already says why: do not append strerror */
	char msg[LXM_ERROR_MSG_MAX];
};

/* Set the error to "<fmt>: strerror(code)"; returns -code. */
int lxm_error_set(struct lxm_error *err, int code, const char *fmt, ...) _printf_(3, 4);
/* Set an error whose message already says what is wrong; returns -code. */
int lxm_error_setr(struct lxm_error *err, int code, const char *fmt, ...) _printf_(3, 4);
/* Prepend "<fmt>: " to the stored message; returns -code. */
int lxm_error_prefix(struct lxm_error *err, const char *fmt, ...) _printf_(2, 3);
/* The full text: "msg: strerror" or "msg". */
const char *lxm_error_text(const struct lxm_error *err, char *buf, size_t size);
void lxm_error_clear(struct lxm_error *err);
