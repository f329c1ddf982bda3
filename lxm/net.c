#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "net.h"

static void nl_sock_freep(struct nl_sock **s)
{
	if (*s)
		nl_socket_free(*s);
}

static void rtnl_link_putp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}

/* libnl errors are -NLE_*; turn them into an errno and a message here */
static int nl_error(struct lxm_error *err, int nlerr, const char *what)
{
	return lxm_error_setr(err, EIO, "%s: %s", what, nl_geterror(nlerr));
}

int lxm_net_loopback_up(struct lxm_error *err)
{
	_cleanup_(nl_sock_freep) struct nl_sock *sk = nl_socket_alloc();
	_cleanup_(rtnl_link_putp) struct rtnl_link *lo = NULL, *change = NULL;
	int r;

	if (!sk)
		return lxm_error_set(err, ENOMEM, "allocating netlink socket");
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0)
		return nl_error(err, r, "connecting to rtnetlink");
	r = rtnl_link_get_kernel(sk, 0, "lo", &lo);
	if (r < 0)
		return nl_error(err, r, "looking up 'lo'");
	change = rtnl_link_alloc();
	if (!change)
		return lxm_error_set(err, ENOMEM, "allocating link");
	rtnl_link_set_flags(change, IFF_UP);
	r = rtnl_link_change(sk, lo, change, 0);
	if (r < 0)
		return nl_error(err, r, "bringing 'lo' up");
	return 0;
}
