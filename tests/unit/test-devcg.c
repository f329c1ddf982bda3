/* Unit tests for lxm/devcg.c: rule text, the rule list, and the BPF device
 * program, run here by a small interpreter of the instructions it uses and
 * compared with a plain matcher over many requests. No root needed (the
 * program is not loaded). */
#include <sys/sysmacros.h>

#include "../../lxm/devcg.h"
#include "tap.h"

/* ---- a tiny eBPF interpreter: the subset lxm_devcg_build() emits ---- */

/* Runs the program on one request; returns r0, or -1 for anything the
 * interpreter (and so the verifier's idea of the program) would not accept:
 * an unknown opcode, a backward or out-of-range jump, a bad context read,
 * a read of an unset register, falling off the end. */
static int64_t run(const struct bpf_insn *p, size_t n, uint32_t access_type, uint32_t major, uint32_t minor)
{
	struct bpf_cgroup_dev_ctx ctx = { .access_type = access_type, .major = major, .minor = minor };
	uint64_t reg[11] = { 0 };
	bool set[11] = { false }, is_ctx[11] = { false };

	set[1] = is_ctx[1] = true; /* r1: the context */
	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &p[pc];
		uint8_t d = i->dst_reg, s = i->src_reg;
		uint32_t v32;

		if (d > 10 || s > 10)
			return -1;
		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			if (!is_ctx[s] || i->off < 0 || (size_t)i->off + 4 > sizeof(ctx) || i->off % 4)
				return -1;
			memcpy(&v32, (const char *)&ctx + i->off, 4);
			reg[d] = v32;
			set[d] = true;
			is_ctx[d] = false;
			break;
		case BPF_ALU64 | BPF_MOV | BPF_X:
			if (!set[s])
				return -1;
			reg[d] = reg[s];
			set[d] = true;
			is_ctx[d] = is_ctx[s];
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			reg[d] = (uint64_t)(int64_t)i->imm;
			set[d] = true;
			is_ctx[d] = false;
			break;
		case BPF_ALU64 | BPF_AND | BPF_K:
			if (!set[d] || is_ctx[d])
				return -1;
			reg[d] &= (uint64_t)(int64_t)i->imm;
			break;
		case BPF_ALU64 | BPF_RSH | BPF_K:
			if (!set[d] || is_ctx[d] || i->imm < 0 || i->imm > 63)
				return -1;
			reg[d] >>= i->imm;
			break;
		case BPF_JMP | BPF_JNE | BPF_K:
			if (!set[d] || is_ctx[d] || i->off < 0 || pc + 1 + (size_t)i->off >= n)
				return -1;
			if (reg[d] != (uint64_t)(int64_t)i->imm)
				pc += (size_t)i->off;
			break;
		case BPF_JMP | BPF_EXIT:
			return set[0] && !is_ctx[0] ? (int64_t)reg[0] : -1;
		default:
			return -1;
		}
	}
	return -1;
}

static bool ref_allows(const struct lxm_devcg_rule *rules, size_t n, char type, int32_t major, int32_t minor,
		       unsigned access)
{
	for (size_t i = 0; i < n; i++) {
		const struct lxm_devcg_rule *r = &rules[i];

		if (r->type == type && (r->major == LXM_DEVCG_ANY || r->major == major) &&
		    (r->minor == LXM_DEVCG_ANY || r->minor == minor) && (access & ~r->access) == 0)
			return true;
	}
	return false;
}

static uint32_t access_type(char type, unsigned access)
{
	return (access << 16) | (type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
}

/* Every request over a grid of types, numbers and access combinations:
 * the program and the plain matcher agree. Returns the number of requests
 * that disagree (or the program would not run). */
static int disagreements(const struct lxm_devcg_rule *rules, size_t n, const struct bpf_insn *p, size_t np)
{
	static const int32_t majors[] = { 0, 1, 4, 5, 8, 10, 136, 137, 254, 4095 };
	static const int32_t minors[] = { 0, 1, 2, 3, 5, 7, 8, 9, 200, 229, 255, 256, 1048575 };
	int bad = 0;

	for (int t = 0; t < 2; t++)
		for (size_t a = 0; a < ARRAY_SIZE(majors); a++)
			for (size_t b = 0; b < ARRAY_SIZE(minors); b++)
				for (unsigned acc = 1; acc <= 7; acc++) {
					char type = t ? 'b' : 'c';
					bool want = ref_allows(rules, n, type, majors[a], minors[b], acc);
					int64_t got = run(p, np, access_type(type, acc), (uint32_t)majors[a],
							  (uint32_t)minors[b]);

					if (got != (want ? 1 : 0)) {
						if (bad++ < 3)
							printf("#   %c %d:%d access %u: program %lld, expected %d\n", type,
							       majors[a], minors[b], acc, (long long)got, want);
					}
				}
	return bad;
}

static void test_parse(void)
{
	struct lxm_devcg_rule r;
	char buf[32];

	ok(lxm_devcg_rule_parse("c 1:3 rwm", &r) == 0 && r.type == 'c' && r.major == 1 && r.minor == 3 &&
	   r.access == LXM_DEVCG_ALL, "parse 'c 1:3 rwm'");
	ok(lxm_devcg_rule_parse("c 136:* rw", &r) == 0 && r.major == 136 && r.minor == LXM_DEVCG_ANY &&
	   r.access == (LXM_DEVCG_READ | LXM_DEVCG_WRITE), "parse 'c 136:* rw'");
	ok(lxm_devcg_rule_parse("b *:* m", &r) == 0 && r.type == 'b' && r.major == LXM_DEVCG_ANY &&
	   r.minor == LXM_DEVCG_ANY && r.access == LXM_DEVCG_MKNOD, "parse 'b *:* m'");
	ok(lxm_devcg_rule_parse("c 4095:1048575 mwr", &r) == 0 && r.major == 4095 && r.minor == 1048575 &&
	   r.access == LXM_DEVCG_ALL, "parse the largest numbers, letters in any order");
	static const char *const bad[] = {
		"", "a", "a *:* rwm", "c", "c 1:3", "c 1:3 ", "c 1:3 rwx", "c 1:3 rr", "c 1 rwm", "c :3 rwm",
		"c 1: rwm", "c 4096:0 rwm", "c 1:1048576 rwm", "c -1:3 rwm", "c 1:3  rwm", "x 1:3 rwm",
		"c 1:3 rwm extra", "c 1x:3 rwm", "c 1:** rwm", "c 99999999:3 rwm", "C 1:3 rwm",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ok(lxm_devcg_rule_parse(bad[i], &r) == -EINVAL, "rejects '%s'", bad[i]);

	ok(lxm_devcg_access_parse("rwm") == LXM_DEVCG_ALL && lxm_devcg_access_parse("r") == LXM_DEVCG_READ &&
	   lxm_devcg_access_parse("wm") == (LXM_DEVCG_WRITE | LXM_DEVCG_MKNOD), "access letters");
	ok(lxm_devcg_access_parse("") < 0 && lxm_devcg_access_parse("rwmr") < 0 && lxm_devcg_access_parse("a") < 0 &&
	   lxm_devcg_access_parse(NULL) < 0, "bad access strings");

	static const char *const round[] = { "c 1:3 rwm", "c 136:* rw", "b *:* m", "b 8:0 r", "c 10:200 wm" };
	for (size_t i = 0; i < ARRAY_SIZE(round); i++)
		ok(lxm_devcg_rule_parse(round[i], &r) == 0 && lxm_devcg_rule_format(&r, buf, sizeof(buf)) == 0 &&
		   streq(buf, round[i]), "'%s' formats back the same (v1 devices.allow text)", round[i]);
	lxm_devcg_rule_parse("c 4095:1048575 rwm", &r);
	ok(lxm_devcg_rule_format(&r, buf, 10) == -ENOSPC, "format into a short buffer: -ENOSPC");
}

static void test_rules_new(void)
{
	const struct lxm_device devs[] = {
		{ .type = 'c', .major = 10, .minor = 200, .access = (char *)"rw", .path = (char *)"/dev/net/tun" },
		{ .type = 'b', .major = -1, .minor = -1, .access = NULL },
	};
	struct lxm_device bad = { .type = 'c', .major = 1, .minor = 3, .access = (char *)"x" };
	struct lxm_devcg_rule *rules = NULL;
	size_t n = 0, nd = lxm_devcg_n_default();
	char buf[32];
	bool has_null = false, has_pts = false, has_block = false;

	ok(lxm_devcg_rules_new(NULL, 0, &rules, &n) == 0 && n == nd && nd > 0, "the standard rules alone (%zu)", n);
	for (size_t i = 0; i < n; i++) {
		lxm_devcg_rule_format(&rules[i], buf, sizeof(buf));
		has_null |= streq(buf, "c 1:3 rwm");
		has_pts |= streq(buf, "c 136:* rwm");
		has_block |= rules[i].type == 'b';
	}
	ok(has_null && has_pts, "they allow /dev/null and every pty");
	ok(!has_block, "and no block device at all");
	ok(!ref_allows(rules, n, 'c', 10, 200, LXM_DEVCG_READ) && !ref_allows(rules, n, 'c', 10, 229, LXM_DEVCG_READ),
	   "nor net/tun or fuse unless configured");
	free(rules);
	ok(lxm_devcg_rules_new(devs, 2, &rules, &n) == 0 && n == nd + 2, "standard + configured rules");
	ok(rules[nd].type == 'c' && rules[nd].major == 10 && rules[nd].minor == 200 &&
	   rules[nd].access == (LXM_DEVCG_READ | LXM_DEVCG_WRITE), "configured entry with access \"rw\"");
	ok(rules[nd + 1].type == 'b' && rules[nd + 1].major == LXM_DEVCG_ANY && rules[nd + 1].access == LXM_DEVCG_ALL,
	   "NULL access means rwm, -1 means any");
	free(rules);
	rules = NULL;
	ok(lxm_devcg_rules_new(&bad, 1, &rules, &n) == -EINVAL && !rules, "a bad access string is refused");
}

static void test_program(void)
{
	struct lxm_devcg_rule *rules = NULL;
	struct bpf_insn *p = NULL;
	size_t n = 0, np = 0;
	const struct lxm_device devs[] = {
		{ .type = 'c', .major = 10, .minor = 200, .access = (char *)"rw" },
		{ .type = 'c', .major = 10, .minor = 229, .access = (char *)"m" },
		{ .type = 'b', .major = 7, .minor = -1, .access = (char *)"r" },
		{ .type = 'c', .major = -1, .minor = 5, .access = (char *)"wm" },
	};

	/* the shape */
	ok(lxm_devcg_build(NULL, 0, &p, &np) == 0 && np == 8, "no rules: 8 instructions (%zu)", np);
	ok(p[0].code == (BPF_LDX | BPF_MEM | BPF_W) && p[0].src_reg == BPF_REG_1 && p[0].off == 0,
	   "it starts by reading access_type from the context (r1)");
	ok(p[np - 2].code == (BPF_ALU64 | BPF_MOV | BPF_K) && p[np - 2].dst_reg == BPF_REG_0 && p[np - 2].imm == 0 &&
	   p[np - 1].code == (BPF_JMP | BPF_EXIT), "and ends in 'return 0' (deny)");
	ok(run(p, np, access_type('c', LXM_DEVCG_READ), 1, 3) == 0, "no rules deny even /dev/null");
	free(p);

	ok(lxm_devcg_rules_new(NULL, 0, &rules, &n) == 0, "standard rules");
	ok(lxm_devcg_build(rules, n, &p, &np) == 0, "build the standard program (%zu instructions)", np);
	ok(run(p, np, access_type('c', LXM_DEVCG_READ | LXM_DEVCG_WRITE), 1, 3) == 1, "it allows opening /dev/null rw");
	ok(run(p, np, access_type('c', LXM_DEVCG_MKNOD), 1, 9) == 1, "and mknod of /dev/urandom");
	ok(run(p, np, access_type('c', LXM_DEVCG_READ | LXM_DEVCG_WRITE), 136, 300) == 1, "and /dev/pts/300");
	ok(run(p, np, access_type('b', LXM_DEVCG_MKNOD), 8, 0) == 0, "it denies mknod of block 8:0 (sda)");
	ok(run(p, np, access_type('b', LXM_DEVCG_READ), 259, 0) == 0, "and opening block 259:0 (nvme)");
	ok(run(p, np, access_type('c', LXM_DEVCG_READ), 1, 1) == 0, "and /dev/mem (c 1:1)");
	ok(run(p, np, access_type('c', LXM_DEVCG_READ), 10, 200) == 0, "and an unconfigured net/tun");
	ok(run(p, np, access_type('b', LXM_DEVCG_READ), 1, 3) == 0, "the type matters: block 1:3 is not /dev/null");
	ok(disagreements(rules, n, p, np) == 0, "standard program == plain matcher on every request of the grid");
	free(p);
	free(rules);

	ok(lxm_devcg_rules_new(devs, ARRAY_SIZE(devs), &rules, &n) == 0, "standard + 4 configured rules");
	ok(lxm_devcg_build(rules, n, &p, &np) == 0, "build (%zu instructions)", np);
	ok(run(p, np, access_type('c', LXM_DEVCG_READ | LXM_DEVCG_WRITE), 10, 200) == 1, "configured net/tun opens rw");
	ok(run(p, np, access_type('c', LXM_DEVCG_MKNOD), 10, 200) == 0, "but its mknod is denied (access \"rw\")");
	ok(run(p, np, access_type('c', LXM_DEVCG_MKNOD), 10, 229) == 1 &&
	   run(p, np, access_type('c', LXM_DEVCG_READ), 10, 229) == 0, "an \"m\" rule allows mknod only");
	ok(run(p, np, access_type('b', LXM_DEVCG_READ), 7, 12345) == 1 &&
	   run(p, np, access_type('b', LXM_DEVCG_WRITE), 7, 1) == 0, "a block rule with minor \"*\", read only");
	ok(disagreements(rules, n, p, np) == 0, "configured program == plain matcher on every request of the grid");
	/* every jump is forward and lands inside */
	{
		bool fine = true;

		for (size_t i = 0; i < np; i++)
			if (BPF_CLASS(p[i].code) == BPF_JMP && BPF_OP(p[i].code) == BPF_JNE &&
			    (p[i].off < 0 || i + 1 + (size_t)p[i].off >= np))
				fine = false;
		ok(fine, "every jump goes forward and stays inside the program");
	}
	free(p);
	free(rules);

	{
		struct lxm_devcg_rule bad[] = { { 'x', 1, 3, LXM_DEVCG_ALL } }, none[] = { { 'c', 1, 3, 0 } },
				      big[] = { { 'c', 4096, 3, LXM_DEVCG_ALL } };

		p = NULL;
		ok(lxm_devcg_build(bad, 1, &p, &np) == -EINVAL && !p, "a bad type is refused");
		ok(lxm_devcg_build(none, 1, &p, &np) == -EINVAL && !p, "an empty access is refused");
		ok(lxm_devcg_build(big, 1, &p, &np) == -EINVAL && !p, "a major beyond 12 bits is refused");
	}
	{
		/* too many rules for 16-bit jumps and the classic size limit */
		size_t many = BPF_MAXINSNS;
		struct lxm_devcg_rule *r = calloc(many, sizeof(*r));

		for (size_t i = 0; r && i < many; i++)
			r[i] = (struct lxm_devcg_rule){ 'c', 1, (int32_t)i, LXM_DEVCG_ALL };
		p = NULL;
		ok(r && lxm_devcg_build(r, many, &p, &np) == -E2BIG && !p, "too many rules: -E2BIG");
		free(r);
	}
}

int main(void)
{
	test_parse();
	test_rules_new();
	test_program();
	return tap_done();
}
