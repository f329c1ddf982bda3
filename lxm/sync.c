#include <sys/socket.h>

#include "sync.h"

struct sync_msg {
	uint32_t step;
	int32_t code;
	uint8_t complete;
	char msg[LXM_ERROR_MSG_MAX];
};

static const char *const step_names[LXM_SYNC_STEP_MAX] = {
	[LXM_SYNC_IDMAPS_WRITTEN] = "idmaps-written",
	[LXM_SYNC_NET_UNSHARED] = "net-unshared",
	[LXM_SYNC_NET_CONFIGURED] = "net-configured",
	[LXM_SYNC_CGROUP_JOINED] = "cgroup-joined",
	[LXM_SYNC_ERROR] = "error",
};

const char *lxm_sync_step_to_string(enum lxm_sync_step step)
{
	return (unsigned)step < LXM_SYNC_STEP_MAX ? step_names[step] : "unknown";
}

int lxm_sync_send(int fd, enum lxm_sync_step step)
{
	uint32_t s = step;

	if (send(fd, &s, sizeof(s), MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

int lxm_sync_send_error(int fd, const struct lxm_error *e)
{
	struct sync_msg m = { .step = LXM_SYNC_ERROR, .code = e->code, .complete = e->complete };

	memcpy(m.msg, e->msg, sizeof(m.msg));
	m.msg[sizeof(m.msg) - 1] = '\0';
	if (send(fd, &m, sizeof(m), MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

static int sync_recv(int fd, bool eof_ok, enum lxm_sync_step step, struct lxm_error *err)
{
	struct sync_msg m;
	ssize_t n;

	/* read(), not recv(): the child may wait for the network with its
	 * seccomp filter loaded (when it loads it before its capability
	 * drop), and no filter init can live with denies read (one message
	 * per read on a SOCK_SEQPACKET socket) */
	do
		n = read(fd, &m, sizeof(m));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return lxm_error_set(err, errno, "waiting for step '%s'", lxm_sync_step_to_string(step));
	if (n == 0) {
		if (eof_ok)
			return 0;
		return lxm_error_setr(err, EPIPE, "the other side exited before step '%s'",
				      lxm_sync_step_to_string(step));
	}
	if ((size_t)n >= sizeof(uint32_t) && m.step == LXM_SYNC_ERROR && (size_t)n == sizeof(m)) {
		m.msg[sizeof(m.msg) - 1] = '\0';
		err->code = m.code > 0 ? m.code : EIO;
		err->complete = m.complete;
		memcpy(err->msg, m.msg, sizeof(err->msg));
		return -err->code;
	}
	if ((size_t)n != sizeof(uint32_t) || m.step != step)
		return lxm_error_setr(err, EPROTO, "expected step '%s', got '%s'",
				      lxm_sync_step_to_string(step),
				      lxm_sync_step_to_string((enum lxm_sync_step)m.step));
	return 1;
}

int lxm_sync_wait(int fd, enum lxm_sync_step step, struct lxm_error *err)
{
	int r = sync_recv(fd, false, step, err);

	return r < 0 ? r : 0;
}

int lxm_sync_pending_error(int fd, struct lxm_error *err)
{
	struct sync_msg m;
	ssize_t n;

	for (;;) {
		n = recv(fd, &m, sizeof(m), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		if ((size_t)n == sizeof(m) && m.step == LXM_SYNC_ERROR) {
			m.msg[sizeof(m.msg) - 1] = '\0';
			err->code = m.code > 0 ? m.code : EIO;
			err->complete = m.complete;
			memcpy(err->msg, m.msg, sizeof(err->msg));
			return -err->code;
		}
	}
}

int lxm_sync_wait_exec(int fd, struct lxm_error *err)
{
	int r = sync_recv(fd, true, LXM_SYNC_STEP_MAX, err);

	if (r > 0)
		return lxm_error_setr(err, EPROTO, "unexpected message while waiting for init");
	return r;
}
