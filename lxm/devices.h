/* /dev inside the container: a tmpfs with the standard nodes, a private
 * devpts, /dev/console and /dev/ttyN bound to ptys owned by the monitor,
 * /dev/shm, /dev/mqueue, and the nodes of configured devices. */
#pragma once

#include "config.h"
#include "error.h"

struct lxm_dev_spec {
	const char *console;        /* host path of the console pty slave */
	char *const *ttys;          /* host paths of tty ptys, tty1..ttyN */
	size_t n_ttys;
	/* the config's devices: a node is made for each one with a path
	 * (mknod, or a bind of the host's node where mknod is not allowed) */
	const struct lxm_device *devices;
	size_t n_devices;
};

int lxm_devices_setup(int rootfd, const struct lxm_dev_spec *spec, struct lxm_error *err);
