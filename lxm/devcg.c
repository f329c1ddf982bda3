/* Device policy: rules, their v1 text, and the cgroup v2 BPF program.
 *
 * The program gets a struct bpf_cgroup_dev_ctx in r1:
 *   access_type = (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*, major, minor
 * and returns 1 to allow, 0 to deny (the kernel turns 0 into EPERM). It is
 * one block per rule, each a chain of "not this one: jump to the next
 * block" tests ending in "return 1", and "return 0" after the last block:
 *
 *   r2 = ctx->access_type; r3 = r2 & 0xffff (type); r2 >>= 16 (access)
 *   r4 = ctx->major; r5 = ctx->minor
 *   rule: if r3 != TYPE goto next
 *         r1 = r2; r1 &= ~ACCESS; if r1 != 0 goto next   (unless "rwm")
 *         if r4 != MAJOR goto next                       (unless "*")
 *         if r5 != MINOR goto next                       (unless "*")
 *         r0 = 1; exit
 *   next: ...
 *   r0 = 0; exit
 *
 * No helper calls, no maps, only forward jumps: the verifier accepts it on
 * every kernel with cgroup device programs (4.15+). */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "devcg.h"
#include "log.h"
#include "util.h"

/* The standard nodes of the container's /dev (devices.c) and the ptys:
 * its own devpts and the monitor's console and ttys. */
static const struct lxm_devcg_rule default_rules[] = {
	{ 'c', 1, 3, LXM_DEVCG_ALL },    /* null */
	{ 'c', 1, 5, LXM_DEVCG_ALL },    /* zero */
	{ 'c', 1, 7, LXM_DEVCG_ALL },    /* full */
	{ 'c', 1, 8, LXM_DEVCG_ALL },    /* random */
	{ 'c', 1, 9, LXM_DEVCG_ALL },    /* urandom */
	{ 'c', 5, 0, LXM_DEVCG_ALL },    /* tty */
	{ 'c', 5, 1, LXM_DEVCG_ALL },    /* console */
	{ 'c', 5, 2, LXM_DEVCG_ALL },    /* ptmx */
	{ 'c', 136, LXM_DEVCG_ANY, LXM_DEVCG_ALL },  /* pts (20-bit minors: all of them) */
};

size_t lxm_devcg_n_default(void)
{
	return ARRAY_SIZE(default_rules);
}

int lxm_devcg_access_parse(const char *s)
{
	int bits = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		int b = *p == 'r' ? LXM_DEVCG_READ : *p == 'w' ? LXM_DEVCG_WRITE :
			*p == 'm' ? LXM_DEVCG_MKNOD : 0;

		if (!b || (bits & b))
			return -EINVAL;
		bits |= b;
	}
	return bits;
}

static int parse_num(const char *s, size_t len, int32_t max, int32_t *ret)
{
	int32_t v = 0;

	if (len == 1 && s[0] == '*') {
		*ret = LXM_DEVCG_ANY;
		return 0;
	}
	if (len == 0 || len > 7)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int lxm_devcg_rule_parse(const char *text, struct lxm_devcg_rule *ret)
{
	struct lxm_devcg_rule r = { 0 };
	const char *p = text, *colon, *sp;
	char acc[8];
	int bits;

	if (!text || (p[0] != 'c' && p[0] != 'b') || p[1] != ' ')
		return -EINVAL;
	r.type = p[0];
	p += 2;
	colon = strchr(p, ':');
	if (!colon || parse_num(p, (size_t)(colon - p), LXM_DEVCG_MAJOR_MAX, &r.major) < 0)
		return -EINVAL;
	p = colon + 1;
	sp = strchr(p, ' ');
	if (!sp || parse_num(p, (size_t)(sp - p), LXM_DEVCG_MINOR_MAX, &r.minor) < 0)
		return -EINVAL;
	if (lxm_strscpy(acc, sp + 1, sizeof(acc)) < 0)
		return -EINVAL;
	bits = lxm_devcg_access_parse(acc);
	if (bits < 0)
		return -EINVAL;
	r.access = (unsigned)bits;
	*ret = r;
	return 0;
}

int lxm_devcg_rule_format(const struct lxm_devcg_rule *rule, char *buf, size_t size)
{
	char maj[16], min[16];
	int n;

	if (rule->major == LXM_DEVCG_ANY)
		strcpy(maj, "*");
	else
		snprintf(maj, sizeof(maj), "%d", (int)rule->major);
	if (rule->minor == LXM_DEVCG_ANY)
		strcpy(min, "*");
	else
		snprintf(min, sizeof(min), "%d", (int)rule->minor);
	n = snprintf(buf, size, "%c %s:%s %s%s%s", rule->type, maj, min,
		     rule->access & LXM_DEVCG_READ ? "r" : "",
		     rule->access & LXM_DEVCG_WRITE ? "w" : "",
		     rule->access & LXM_DEVCG_MKNOD ? "m" : "");
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

int lxm_devcg_rules_new(const struct lxm_device *devices, size_t n_devices,
			struct lxm_devcg_rule **ret, size_t *ret_n)
{
	size_t n = ARRAY_SIZE(default_rules) + n_devices;
	struct lxm_devcg_rule *rules = calloc(n, sizeof(*rules));

	if (!rules)
		return -ENOMEM;
	memcpy(rules, default_rules, sizeof(default_rules));
	for (size_t i = 0; i < n_devices; i++) {
		const struct lxm_device *d = &devices[i];
		int bits = d->access ? lxm_devcg_access_parse(d->access) : LXM_DEVCG_ALL;

		if (bits < 0 || (d->type != 'c' && d->type != 'b') ||
		    d->major < LXM_DEVCG_ANY || d->major > LXM_DEVCG_MAJOR_MAX ||
		    d->minor < LXM_DEVCG_ANY || d->minor > LXM_DEVCG_MINOR_MAX) {
			free(rules);
			return -EINVAL;
		}
		rules[ARRAY_SIZE(default_rules) + i] = (struct lxm_devcg_rule){
			.type = d->type, .major = d->major, .minor = d->minor, .access = (unsigned)bits,
		};
	}
	*ret = rules;
	*ret_n = n;
	return 0;
}

/* ---- the program ---- */

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

#define LDX_W(dst, src, off)   insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV_REG(dst, src)      insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(dst, imm)      insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND_IMM(dst, imm)      insn(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_IMM(dst, imm)      insn(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define EXIT()                 insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static size_t rule_len(const struct lxm_devcg_rule *r)
{
	return 1 + ((r->access & LXM_DEVCG_ALL) == LXM_DEVCG_ALL ? 0 : 3) +
	       (r->major == LXM_DEVCG_ANY ? 0 : 1) + (r->minor == LXM_DEVCG_ANY ? 0 : 1) + 2;
}

int lxm_devcg_build(const struct lxm_devcg_rule *rules, size_t n, struct bpf_insn **ret, size_t *ret_n)
{
	size_t total = 6 + 2, at = 0;
	struct bpf_insn *p;

	for (size_t i = 0; i < n; i++) {
		if ((rules[i].type != 'c' && rules[i].type != 'b') || !(rules[i].access & LXM_DEVCG_ALL) ||
		    (rules[i].access & ~(unsigned)LXM_DEVCG_ALL) ||
		    rules[i].major < LXM_DEVCG_ANY || rules[i].major > LXM_DEVCG_MAJOR_MAX ||
		    rules[i].minor < LXM_DEVCG_ANY || rules[i].minor > LXM_DEVCG_MINOR_MAX)
			return -EINVAL;
		total += rule_len(&rules[i]);
	}
	/* jump offsets are 16 bits; BPF_MAXINSNS is the old program size limit */
	if (total > BPF_MAXINSNS)
		return -E2BIG;
	p = calloc(total, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p[at++] = LDX_W(BPF_REG_2, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
	p[at++] = MOV_REG(BPF_REG_3, BPF_REG_2);
	p[at++] = AND_IMM(BPF_REG_3, 0xffff);
	p[at++] = RSH_IMM(BPF_REG_2, 16);
	p[at++] = LDX_W(BPF_REG_4, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major));
	p[at++] = LDX_W(BPF_REG_5, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor));
	for (size_t i = 0; i < n; i++) {
		const struct lxm_devcg_rule *r = &rules[i];
		size_t next = at + rule_len(r);
		/* offset of a jump at index at to next (relative to the insn after it) */
#define TO_NEXT ((int16_t)(next - at - 1))

		p[at] = JNE_IMM(BPF_REG_3, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, TO_NEXT);
		at++;
		if ((r->access & LXM_DEVCG_ALL) != LXM_DEVCG_ALL) {
			p[at++] = MOV_REG(BPF_REG_1, BPF_REG_2);
			p[at++] = AND_IMM(BPF_REG_1, (int32_t)(~r->access & LXM_DEVCG_ALL));
			p[at] = JNE_IMM(BPF_REG_1, 0, TO_NEXT);
			at++;
		}
		if (r->major != LXM_DEVCG_ANY) {
			p[at] = JNE_IMM(BPF_REG_4, r->major, TO_NEXT);
			at++;
		}
		if (r->minor != LXM_DEVCG_ANY) {
			p[at] = JNE_IMM(BPF_REG_5, r->minor, TO_NEXT);
			at++;
		}
#undef TO_NEXT
		p[at++] = MOV_IMM(BPF_REG_0, 1);
		p[at++] = EXIT();
	}
	p[at++] = MOV_IMM(BPF_REG_0, 0);
	p[at++] = EXIT();
	*ret = p;
	*ret_n = at;
	return 0;
}

/* ---- loading and attaching ---- */

#define LXM_DEVCG_REUSE_MAX_INSNS 512   /* longer programs are always loaded anew */

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));

	return r < 0 ? -errno : (int)r;
}

static uint64_t ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static int prog_load(const struct bpf_insn *insns, size_t n, char *log, size_t log_size)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.expected_attach_type = BPF_CGROUP_DEVICE;
	a.insns = ptr(insns);
	a.insn_cnt = (uint32_t)n;
	/* no helpers are called, so the license does not matter to the kernel */
	a.license = ptr("lxm");
	if (log && log_size) {
		log[0] = '\0';
		a.log_buf = ptr(log);
		a.log_size = (uint32_t)log_size;
		a.log_level = 1;
	}
	memcpy(a.prog_name, "lxm_devices", sizeof("lxm_devices"));
	return sys_bpf(BPF_PROG_LOAD, &a);
}

static int query(int dirfd, uint32_t *ids, uint32_t *n)
{
	union bpf_attr a;
	int r;

	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)dirfd;
	a.query.attach_type = BPF_CGROUP_DEVICE;
	a.query.prog_ids = ptr(ids);
	a.query.prog_cnt = *n;
	r = sys_bpf(BPF_PROG_QUERY, &a);
	if (r < 0 && r != -ENOSPC)
		return r;
	*n = MIN(a.query.prog_cnt, *n);
	return 0;
}

static int open_cgroup_dir(int cgroup_fd)
{
	/* BPF takes the cgroup from a real open file */
	return openat(cgroup_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int lxm_devcg_count_attached(int cgroup_fd, uint32_t *ret)
{
	_cleanup_close_ int dirfd = open_cgroup_dir(cgroup_fd);
	uint32_t ids[64], n = ARRAY_SIZE(ids);
	int r;

	if (dirfd < 0)
		return -errno;
	r = query(dirfd, ids, &n);
	if (r < 0)
		return r;
	*ret = n;
	return 0;
}

/* The id of a loaded program, and whether it is a device program with
 * exactly these instructions (the kernel's translated copy: this program
 * has nothing the verifier rewrites). */
static bool prog_matches(int progfd, const struct bpf_insn *insns, size_t n, uint32_t *ret_id)
{
	struct bpf_insn x[LXM_DEVCG_REUSE_MAX_INSNS];
	struct bpf_prog_info info;
	union bpf_attr a;

	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = sizeof(x);
	info.xlated_prog_insns = ptr(x);
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)progfd;
	a.info.info_len = sizeof(info);
	a.info.info = ptr(&info);
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0)
		return false;
	if (ret_id)
		*ret_id = info.id;
	return info.type == BPF_PROG_TYPE_CGROUP_DEVICE && n <= ARRAY_SIZE(x) &&
	       info.xlated_prog_len == n * sizeof(*insns) && memcmp(x, insns, n * sizeof(*insns)) == 0;
}

/* Loading a program costs 0.2-0.6 ms here (verifier, JIT), 5-10% of a
 * start; finding an identical one attached to a sibling container's cgroup
 * (the same config: the usual case) about 5 us per sibling. At most this
 * many siblings are looked at. */
#define REUSE_SIBLINGS_MAX 16

/* A loaded program with exactly these instructions, attached to a cgroup
 * next to ours (another container's), or -1. */
static int find_sibling_prog(int cgfd, const struct bpf_insn *insns, size_t n)
{
	_cleanup_close_ int parent = openat(cgfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat self;
	DIR *d;
	struct dirent *de;
	int found = -1, looked = 0;

	if (parent < 0 || n > LXM_DEVCG_REUSE_MAX_INSNS || fstat(cgfd, &self) < 0)
		return -1;
	d = fdopendir(parent);
	if (!d)
		return -1;
	parent = -1;      /* owned by d */
	while (found < 0 && looked < REUSE_SIBLINGS_MAX && (de = readdir(d))) {
		_cleanup_close_ int sib = -1;
		uint32_t ids[4], n_ids = ARRAY_SIZE(ids);
		struct stat st;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		sib = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sib < 0 || fstat(sib, &st) < 0 || st.st_ino == self.st_ino)
			continue;
		looked++;
		if (query(sib, ids, &n_ids) < 0)
			continue;
		for (uint32_t i = 0; i < n_ids && found < 0; i++) {
			union bpf_attr a;
			int fd;

			memset(&a, 0, sizeof(a));
			a.prog_id = ids[i];
			fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
			if (fd < 0)
				continue;
			if (prog_matches(fd, insns, n, NULL))
				found = fd;
			else
				close(fd);
		}
	}
	closedir(d);
	return found;
}

int lxm_devcg_attach(int cgroup_fd, const struct lxm_devcg_rule *rules, size_t n, struct lxm_error *err)
{
	_cleanup_free_ struct bpf_insn *insns = NULL;
	_cleanup_close_ int dirfd = -1, progfd = -1;
	uint32_t old[16], n_old = ARRAY_SIZE(old), id = 0;
	bool attached = false, shared;
	union bpf_attr a;
	size_t n_insns;
	int r;

	r = lxm_devcg_build(rules, n, &insns, &n_insns);
	if (r < 0)
		return lxm_error_set(err, -r, "building the device program");
	dirfd = open_cgroup_dir(cgroup_fd);
	if (dirfd < 0)
		return lxm_error_set(err, errno, "opening the cgroup for the device program");
	r = query(dirfd, old, &n_old);
	if (r < 0)
		return lxm_error_set(err, -r, "querying the cgroup's device programs");
	progfd = find_sibling_prog(dirfd, insns, n_insns);
	shared = progfd >= 0;
	if (progfd < 0)
		progfd = prog_load(insns, n_insns, NULL, 0);
	if (progfd < 0) {
		_cleanup_free_ char *log = malloc(16384);

		/* again with the verifier's log, for the debug log */
		if (log) {
			r = prog_load(insns, n_insns, log, 16384);
			if (r < 0)
				log_debug("devcg: verifier: %s", log);
			else
				close(r);
		}
		return lxm_error_set(err, -progfd, "loading the device program (%zu instructions)", n_insns);
	}
	(void)prog_matches(progfd, insns, n_insns, &id);
	for (uint32_t i = 0; i < n_old; i++)
		if (id && old[i] == id)
			attached = true;  /* a reused cgroup that has this very program */
	if (!attached) {
		memset(&a, 0, sizeof(a));
		a.target_fd = (uint32_t)dirfd;
		a.attach_bpf_fd = (uint32_t)progfd;
		a.attach_type = BPF_CGROUP_DEVICE;
		a.attach_flags = BPF_F_ALLOW_MULTI;
		r = sys_bpf(BPF_PROG_ATTACH, &a);
		if (r < 0)
			return lxm_error_set(err, -r, "attaching the device program");
	}
	/* a reused cgroup's old policy would still deny what the new one allows */
	for (uint32_t i = 0; i < n_old; i++) {
		_cleanup_close_ int oldfd = -1;

		if (id && old[i] == id)
			continue;
		memset(&a, 0, sizeof(a));
		a.prog_id = old[i];
		oldfd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
		if (oldfd < 0) {
			log_debug("devcg: old device program %u: %s, ignoring", old[i], strerror(-oldfd));
			continue;
		}
		memset(&a, 0, sizeof(a));
		a.target_fd = (uint32_t)dirfd;
		a.attach_bpf_fd = (uint32_t)oldfd;
		a.attach_type = BPF_CGROUP_DEVICE;
		r = sys_bpf(BPF_PROG_DETACH, &a);
		if (r < 0)
			log_debug("devcg: detaching old device program %u: %s, ignoring", old[i], strerror(-r));
	}
	log_debug("devcg: device program %u attached (%zu rules, %zu instructions, %s)", id, n, n_insns,
		  shared ? "shared with another container" : "loaded");
	return 0;
}

bool lxm_devcg_confined(void)
{
	_cleanup_free_ char *status = NULL, *map = NULL;
	unsigned long a, b, c;
	const char *s;

	if (lxm_read_file_at(AT_FDCWD, "/proc/self/status", &status, NULL) == 0 &&
	    (s = strstr(status, "\nSeccomp:")) && strtoul(s + strlen("\nSeccomp:"), NULL, 10) != 0)
		return true;
	if (lxm_read_file_at(AT_FDCWD, "/proc/self/uid_map", &map, NULL) < 0)
		return false;
	return !(sscanf(map, "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 && b == 0 && c == 4294967295UL);
}

int lxm_devcg_probe(void)
{
	_cleanup_free_ struct lxm_devcg_rule *rules = NULL;
	_cleanup_free_ struct bpf_insn *insns = NULL;
	size_t n, n_insns;
	int r, fd;

	r = lxm_devcg_rules_new(NULL, 0, &rules, &n);
	if (r < 0)
		return r;
	r = lxm_devcg_build(rules, n, &insns, &n_insns);
	if (r < 0)
		return r;
	fd = prog_load(insns, n_insns, NULL, 0);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}
