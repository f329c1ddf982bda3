/* Network links over netlink (libnl-route-3). */
#pragma once

#include "error.h"

/* Bring "lo" up in the calling process's network namespace. */
int lxm_net_loopback_up(struct lxm_error *err);
