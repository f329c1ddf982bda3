/* Unit tests for the pure parts of lxm/net.c: host veth names and address
 * parsing. No root needed. */
#include <arpa/inet.h>

#include "net.h"
#include "tap.h"

static void test_host_ifname(void)
{
	char a[IFNAMSIZ], b[IFNAMSIZ], c[IFNAMSIZ];
	char longname[LXM_NAME_MAX + 1];
	int r;

	r = lxm_net_host_ifname("web1", 0, 0, a);
	ok(r == 0 && streq(a, "vlxmweb1-0"), "short name kept: '%s'", a);
	r = lxm_net_host_ifname("web1", 12, 0, a);
	ok(r == 0 && streq(a, "vlxmweb1-12"), "index appended: '%s'", a);
	r = lxm_net_host_ifname("abcdefgh", 1, 0, a);
	ok(r == 0 && streq(a, "vlxmabcdefgh-1"), "name that just fits: '%s'", a);

	memset(longname, 'x', LXM_NAME_MAX);
	longname[LXM_NAME_MAX] = '\0';
	r = lxm_net_host_ifname(longname, 3, 0, a);
	ok(r == 0 && strlen(a) < IFNAMSIZ, "64-char name fits IFNAMSIZ: '%s'", a);
	ok(strncmp(a, "vlxm", 4) == 0 && streq(a + strlen(a) - 2, "-3"), "prefix and index kept: '%s'", a);

	lxm_net_host_ifname("container-one", 0, 0, a);
	lxm_net_host_ifname("container-two", 0, 0, b);
	lxm_net_host_ifname("container-one", 1, 0, c);
	ok(strlen(a) < IFNAMSIZ && strlen(b) < IFNAMSIZ, "cut names fit: '%s' '%s'", a, b);
	ok(!streq(a, b), "names sharing a prefix differ: '%s' '%s'", a, b);
	ok(!streq(a, c), "indexes differ: '%s' '%s'", a, c);
	lxm_net_host_ifname("container-one", 0, 0, b);
	ok(streq(a, b), "stable: '%s' '%s'", a, b);

	r = lxm_net_host_ifname("a:b/c d", 0, 0, a);
	ok(r == 0 && !strpbrk(a, ":/ "), "no ':' '/' or space: '%s'", a);
	ok(lxm_net_host_ifname("", 0, 0, a) == -EINVAL, "empty name refused");
	/* the candidates when names are taken: all different, all fit */
	{
		char all[LXM_NET_HOST_IFNAME_TRIES][IFNAMSIZ];
		bool distinct = true, fit = true;

		for (unsigned k = 0; k < LXM_NET_HOST_IFNAME_TRIES; k++) {
			fit &= lxm_net_host_ifname("web1", 0, k, all[k]) == 0 && strlen(all[k]) < IFNAMSIZ &&
			       strncmp(all[k], "vlxmweb1", 8) == 0;
			for (unsigned j = 0; j < k; j++)
				distinct &= !streq(all[j], all[k]);
		}
		ok(fit && distinct, "%d distinct candidates: '%s' '%s' '%s' ... '%s'", LXM_NET_HOST_IFNAME_TRIES, all[0],
		   all[1], all[2], all[LXM_NET_HOST_IFNAME_TRIES - 1]);
		lxm_net_host_ifname("web1", 0, 0, a);
		lxm_net_host_ifname("web1", 0, 1, b);
		ok(streq(a, "vlxmweb1-0") && streq(b, "vlxmweb1_0"), "candidates 0 and 1 are the two names");
		ok(lxm_net_host_ifname("web1", 0, LXM_NET_HOST_IFNAME_TRIES, a) == -EINVAL, "no candidate past the last");
	}
	{
		unsigned char m1[6], m2[6], m3[6], m4[6], m5[6];

		lxm_net_host_hwaddr("rvcol000028", "3f6c2e9a-0000-4000-8000-000000000001", 0, m1);
		lxm_net_host_hwaddr("rvcol001050", "3f6c2e9a-0000-4000-8000-000000000001", 0, m2);
		lxm_net_host_hwaddr("rvcol000028", "3f6c2e9a-0000-4000-8000-000000000002", 0, m3);
		lxm_net_host_hwaddr("rvcol000028", "3f6c2e9a-0000-4000-8000-000000000001", 1, m4);
		lxm_net_host_hwaddr("rvcol000028", "3f6c2e9a-0000-4000-8000-000000000001", 0, m5);
		ok(m1[0] == 0xfe && m2[0] == 0xfe, "host MACs start with fe");
		ok(memcmp(m1, m2, 6) && memcmp(m1, m3, 6) && memcmp(m1, m4, 6), "host MACs differ by name, uuid and index");
		ok(!memcmp(m1, m5, 6), "host MACs are stable");
	}
	r = lxm_net_host_ifname("a-long-container-name", 99999, 0, a);
	ok(r == 0 && strlen(a) < IFNAMSIZ, "index 99999 fits: '%s'", a);
	ok(lxm_net_host_ifname("x", 4294967295u, 0, a) == -ERANGE, "an index too long to fit refused");

	/* the alternate name (the first one still going away) */
	r = lxm_net_host_ifname("web1", 0, 1, a);
	ok(r == 0 && streq(a, "vlxmweb1_0"), "alternate name: '%s'", a);
	lxm_net_host_ifname("container-one", 2, 0, b);
	lxm_net_host_ifname("container-one", 2, 1, c);
	ok(strlen(c) == strlen(b) && !streq(b, c) && strncmp(b, c, strlen(b) - 2) == 0,
	      "cut alternate name: same length and stem, other separator: '%s' '%s'", b, c);
	/* a first name ends in '-<index>', an alternate in '_<index>': an
	 * alternate never equals another container's first name */
	lxm_net_host_ifname("a_0", 0, 0, b);
	lxm_net_host_ifname("a", 0, 1, c);
	ok(!streq(b, c), "'a_0' first and 'a' alternate differ: '%s' '%s'", b, c);
}

static void test_parse_cidr(void)
{
	static const struct {
		const char *s;
		int r, family;
		unsigned prefix;
		const char *addr;
	} cases[] = {
		{ "10.0.3.10/24", 0, AF_INET, 24, "10.0.3.10" },
		{ "10.0.3.10", 0, AF_INET, 32, "10.0.3.10" },
		{ "0.0.0.0/0", 0, AF_INET, 0, "0.0.0.0" },
		{ "192.168.1.1/32", 0, AF_INET, 32, "192.168.1.1" },
		{ "fd42::10/64", 0, AF_INET6, 64, "fd42::10" },
		{ "::1", 0, AF_INET6, 128, "::1" },
		{ "10.0.3.10/33", -EINVAL, 0, 0, NULL },
		{ "10.0.3.10/", -EINVAL, 0, 0, NULL },
		{ "10.0.3.10/-1", -EINVAL, 0, 0, NULL },
		{ "10.0.3.10/24x", -EINVAL, 0, 0, NULL },
		{ "10.0.3/24", -EINVAL, 0, 0, NULL },
		{ "10.0.3.256/24", -EINVAL, 0, 0, NULL },
		{ "fd42::10/129", -EINVAL, 0, 0, NULL },
		{ "fd42:::10/64", -EINVAL, 0, 0, NULL },
		{ "", -EINVAL, 0, 0, NULL },
		{ "web", -EINVAL, 0, 0, NULL },
		{ "10.0.3.10/24/8", -EINVAL, 0, 0, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned char addr[16];
		char buf[INET6_ADDRSTRLEN] = "";
		unsigned prefix = 999;
		int family = -1;
		int r = lxm_parse_cidr(cases[i].s, &family, addr, &prefix);

		if (r == 0)
			inet_ntop(family, addr, buf, sizeof(buf));
		if (cases[i].r < 0)
			ok(r == cases[i].r, "'%s' refused", cases[i].s);
		else
			ok(r == 0 && family == cases[i].family && prefix == cases[i].prefix &&
			      streq(buf, cases[i].addr), "'%s' -> %s/%u", cases[i].s, buf, prefix);
	}
	ok(lxm_parse_cidr(NULL, &(int){ 0 }, (unsigned char[16]){ 0 }, &(unsigned){ 0 }) == -EINVAL,
	      "NULL refused");
}

static void test_predicates(void)
{
	struct lxm_nic nics[2] = { { .type = LXM_NET_EMPTY }, { .type = LXM_NET_VETH } };
	struct lxm_config conf = { .nics = nics, .n_nics = 1 };

	ok(!lxm_net_has_links(&conf) && !lxm_net_shares_host(&conf), "empty: no links, own network");
	conf.n_nics = 2;
	ok(lxm_net_has_links(&conf), "veth: links");
	nics[0].type = LXM_NET_NONE;
	conf.n_nics = 1;
	ok(lxm_net_shares_host(&conf) && !lxm_net_has_links(&conf), "none: the host's network");
}

static void test_default_bridge(void)
{
	char dir[] = "/tmp/lxm-test-net.XXXXXX", path[64], br[IFNAMSIZ];
	FILE *f;

	lxm_net_default_bridge(NULL, br);
	ok(streq(br, "lxmbr0"), "no confdir: lxmbr0");
	if (!mkdtemp(dir)) {
		ok(false, "mkdtemp");
		return;
	}
	lxm_net_default_bridge(dir, br);
	ok(streq(br, "lxmbr0"), "no lxm.conf: lxmbr0");
	snprintf(path, sizeof(path), "%s/lxm.conf", dir);
	f = fopen(path, "w");
	if (f) {
		fputs("net_bridge = \"lxmtest0\";\nnet_ipv4 = \"10.9.9.1/24\";\nnet_nat = false;\n", f);
		fclose(f);
	}
	lxm_net_default_bridge(dir, br);
	ok(streq(br, "lxmtest0"), "lxm.conf's net_bridge: '%s'", br);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_host_ifname();
	test_parse_cidr();
	test_predicates();
	test_default_bridge();
	return tap_done();
}
