#include <ctype.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <seccomp.h>   /* lxm/seccomp.h, which pulls in libseccomp's */
#include <sys/mount.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "log.h"
#include "seccomp-prog.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* generated from config/seccomp/default by the build */
const char lxm_seccomp_default_policy[] =
#include "lxm/seccomp-default.inc"
	;

struct lxm_seccomp {
	scmp_filter_ctx ctx;         /* NULL when taken from the cache */
	struct lxm_seccomp_prog prog; /* the BPF, once generated or read */
};

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EIO", EIO }, { "E2BIG", E2BIG },
	{ "EBADF", EBADF }, { "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM }, { "EACCES", EACCES },
	{ "EFAULT", EFAULT }, { "EBUSY", EBUSY }, { "EEXIST", EEXIST }, { "ENODEV", ENODEV },
	{ "EINVAL", EINVAL }, { "ENOSPC", ENOSPC }, { "EROFS", EROFS }, { "ENOSYS", ENOSYS },
	{ "ENOTSUP", ENOTSUP }, { "EOPNOTSUPP", EOPNOTSUPP }, { "EAFNOSUPPORT", EAFNOSUPPORT },
	{ "EPROTONOSUPPORT", EPROTONOSUPPORT },
};

static const struct {
	const char *name;
	uint64_t value;
} constants[] = {
	{ "CLONE_NEWUSER", CLONE_NEWUSER }, { "CLONE_NEWNS", CLONE_NEWNS },
	{ "CLONE_NEWPID", CLONE_NEWPID }, { "CLONE_NEWNET", CLONE_NEWNET },
	{ "CLONE_NEWUTS", CLONE_NEWUTS }, { "CLONE_NEWIPC", CLONE_NEWIPC },
	{ "CLONE_NEWCGROUP", CLONE_NEWCGROUP }, { "CLONE_NEWTIME", CLONE_NEWTIME },
	{ "MNT_FORCE", MNT_FORCE }, { "MNT_DETACH", MNT_DETACH },
	{ "TIOCSTI", TIOCSTI }, { "TIOCLINUX", TIOCLINUX },
};

static const char *const op_names[LXM_SECCOMP_OP_MAX] = {
	[LXM_SECCOMP_EQ] = "==", [LXM_SECCOMP_NE] = "!=", [LXM_SECCOMP_LT] = "<",
	[LXM_SECCOMP_LE] = "<=", [LXM_SECCOMP_GT] = ">", [LXM_SECCOMP_GE] = ">=",
	[LXM_SECCOMP_MASKED_EQ] = "&",
};

int lxm_seccomp_action_parse(const char *s, uint32_t *ret)
{
	if (streq(s, "allow"))
		*ret = SCMP_ACT_ALLOW;
	else if (streq(s, "deny"))
		*ret = SCMP_ACT_ERRNO(EPERM);
	else if (streq(s, "kill") || streq(s, "kill-process"))
		*ret = SCMP_ACT_KILL_PROCESS;
	else if (streq(s, "kill-thread"))
		*ret = SCMP_ACT_KILL_THREAD;
	else if (streq(s, "trap"))
		*ret = SCMP_ACT_TRAP;
	else if (streq(s, "log"))
		*ret = SCMP_ACT_LOG;
	else if (lxm_startswith(s, "errno:")) {
		const char *v = s + 6;
		uint64_t n;

		for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
			if (streq(v, errnos[i].name)) {
				*ret = SCMP_ACT_ERRNO((uint32_t)errnos[i].value);
				return 0;
			}
		if (lxm_parse_u64(v, 4095, &n) < 0)
			return -EINVAL;
		*ret = SCMP_ACT_ERRNO((uint32_t)n);
	} else
		return -EINVAL;
	return 0;
}

const char *lxm_seccomp_action_format(uint32_t action, char *buf, size_t size)
{
	if ((action & 0xffff0000U) == SCMP_ACT_ERRNO(0)) {
		int e = (int)(action & 0xffff);
		for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
			if (errnos[i].value == e) {
				snprintf(buf, size, "errno:%s", errnos[i].name);
				return buf;
			}
		snprintf(buf, size, "errno:%d", e);
		return buf;
	}
	switch (action) {
	case SCMP_ACT_ALLOW: return "allow";
	case SCMP_ACT_KILL_PROCESS: return "kill";
	case SCMP_ACT_KILL_THREAD: return "kill-thread";
	case SCMP_ACT_TRAP: return "trap";
	case SCMP_ACT_LOG: return "log";
	}
	snprintf(buf, size, "0x%08x", action);
	return buf;
}

static int parse_value(const char *s, uint64_t *ret)
{
	char *end;

	for (size_t i = 0; i < ARRAY_SIZE(constants); i++)
		if (streq(s, constants[i].name)) {
			*ret = constants[i].value;
			return 0;
		}
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	*ret = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

static int parse_op(const char *s)
{
	for (int i = 0; i < LXM_SECCOMP_MASKED_EQ; i++)
		if (streq(s, op_names[i]))
			return i;
	return -EINVAL;
}

static uint32_t arch_from_name(const char *s)
{
	if (streq(s, "native"))
		return seccomp_arch_native();
	if (streq(s, "i386"))
		s = "x86";
	return seccomp_arch_resolve_name(s);
}

static const uint32_t probe_arches[] = {
	SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_AARCH64, SCMP_ARCH_ARM,
	SCMP_ARCH_S390X, SCMP_ARCH_PPC64LE, SCMP_ARCH_RISCV64,
};

/* Known on some architecture: a name valid only on i386 (socketcall) is
 * still a system call. */
static bool syscall_known(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(probe_arches); i++)
		if (seccomp_syscall_resolve_name_arch(probe_arches[i], name) != __NR_SCMP_ERROR)
			return true;
	return false;
}

#define MAX_TOKENS 32

static size_t tokenize(char *line, char **tok)
{
	size_t n = 0;
	char *hash = strchr(line, '#');

	if (hash)
		*hash = '\0';
	for (char *p = line; *p;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (n == MAX_TOKENS)
			return n + 1;
		tok[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

#define FAIL(...) do { r = lxm_error_setr(err, EINVAL, "%s:%u: ", label, lineno); \
		snprintf(err->msg + strlen(err->msg), sizeof(err->msg) - strlen(err->msg), __VA_ARGS__); \
		goto out; } while (0)

struct section {
	uint32_t arches[LXM_SECCOMP_MAX_ARCHES];
	size_t n_arches;
	enum lxm_seccomp_nesting nesting;
};

static int parse_rule(char **tok, size_t n, const struct section *sec, unsigned lineno,
		      const char *label, struct lxm_seccomp_rule *rule, struct lxm_error *err)
{
	int r = 0;

	memset(rule, 0, sizeof(*rule));
	rule->line = lineno;
	rule->nesting = sec->nesting;
	memcpy(rule->arches, sec->arches, sizeof(rule->arches));
	rule->n_arches = sec->n_arches;
	if (lxm_seccomp_action_parse(tok[0], &rule->action) < 0)
		FAIL("unknown action '%s' (allow, deny, errno:N, kill, kill-thread, trap, log)", tok[0]);
	if (n < 2)
		FAIL("'%s' needs a system call name", tok[0]);
	if (lxm_strscpy(rule->syscall, tok[1], sizeof(rule->syscall)) < 0 || !syscall_known(tok[1]))
		FAIL("unknown system call '%s'", tok[1]);
	for (size_t i = 2; i < n;) {
		struct lxm_seccomp_cond *c = &rule->conds[rule->n_conds];
		const char *a = tok[i];
		size_t need;

		if (!lxm_startswith(a, "arg") || a[3] < '0' || a[3] > '5' || a[4])
			FAIL("expected arg0 to arg5, got '%s'", a);
		c->arg = (unsigned)(a[3] - '0');
		for (size_t k = 0; k < rule->n_conds; k++)
			if (rule->conds[k].arg == c->arg)
				FAIL("more than one condition on '%s'", a);
		need = i + 1 < n && streq(tok[i + 1], "&") ? 5 : 3;
		if (i + need > n)
			FAIL("incomplete condition on '%s'", a);
		if (need == 5) {
			c->op = LXM_SECCOMP_MASKED_EQ;
			if (parse_value(tok[i + 2], &c->mask) < 0)
				FAIL("bad mask '%s'", tok[i + 2]);
			if (!streq(tok[i + 3], "=="))
				FAIL("expected '==' after the mask, got '%s'", tok[i + 3]);
			if (parse_value(tok[i + 4], &c->value) < 0)
				FAIL("bad value '%s'", tok[i + 4]);
		} else {
			int op = parse_op(tok[i + 1]);
			if (op < 0)
				FAIL("unknown operator '%s' (== != < <= > >= or & MASK ==)", tok[i + 1]);
			c->op = (enum lxm_seccomp_op)op;
			if (parse_value(tok[i + 2], &c->value) < 0)
				FAIL("bad value '%s'", tok[i + 2]);
		}
		rule->n_conds++;
		i += need;
	}
out:
	return r;
}

int lxm_seccomp_parse(const char *text, const char *label, struct lxm_seccomp_policy *ret,
		      struct lxm_error *err)
{
	struct lxm_seccomp_policy p = { 0 };
	struct section sec = { 0 };
	_cleanup_free_ char *copy = strdup(text);
	bool have_default = false, have_arch = false;
	unsigned lineno = 0;
	size_t cap = 0;
	char *save = NULL, *line, *next;
	int r = 0;

	if (!copy)
		return lxm_error_set(err, ENOMEM, "%s", label);
	for (line = copy; line; line = next) {
		char *tok[MAX_TOKENS];
		size_t n;

		(void)save;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		n = tokenize(line, tok);
		if (n == 0)
			continue;
		if (n > MAX_TOKENS)
			FAIL("too many words");
		if (tok[0][0] == '[') {
			char *last = tok[n - 1];
			size_t len = strlen(last);

			if (last[len - 1] != ']')
				FAIL("section header without ']'");
			last[len - 1] = '\0';
			tok[0]++;
			memset(&sec, 0, sizeof(sec));
			for (size_t i = 0; i < n; i++) {
				const char *s = tok[i];
				uint32_t a;

				if (!*s || streq(s, "*"))
					continue;
				if (streq(s, "nesting"))
					sec.nesting = LXM_SECCOMP_NEST_ONLY;
				else if (streq(s, "!nesting"))
					sec.nesting = LXM_SECCOMP_NEST_NEVER;
				else if ((a = arch_from_name(s)) == 0)
					FAIL("unknown architecture '%s' in section header", s);
				else if (sec.n_arches == LXM_SECCOMP_MAX_ARCHES)
					FAIL("too many architectures");
				else
					sec.arches[sec.n_arches++] = a;
			}
			continue;
		}
		if (streq(tok[0], "default")) {
			if (have_default)
				FAIL("'default' given twice");
			if (n != 2)
				FAIL("'default' takes one action");
			if (lxm_seccomp_action_parse(tok[1], &p.default_action) < 0)
				FAIL("unknown action '%s'", tok[1]);
			have_default = true;
			continue;
		}
		if (streq(tok[0], "arch")) {
			if (have_arch)
				FAIL("'arch' given twice");
			if (n < 2)
				FAIL("'arch' needs at least one architecture");
			if (n - 1 > LXM_SECCOMP_MAX_ARCHES)
				FAIL("too many architectures");
			for (size_t i = 1; i < n; i++) {
				uint32_t a = arch_from_name(tok[i]);
				if (!a)
					FAIL("unknown architecture '%s'", tok[i]);
				p.arches[p.n_arches++] = a;
			}
			have_arch = true;
			continue;
		}
		if (p.n_rules == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct lxm_seccomp_rule *nr = realloc(p.rules, ncap * sizeof(*nr));
			if (!nr) {
				r = lxm_error_set(err, ENOMEM, "%s", label);
				goto out;
			}
			p.rules = nr;
			cap = ncap;
		}
		r = parse_rule(tok, n, &sec, lineno, label, &p.rules[p.n_rules], err);
		if (r < 0)
			goto out;
		p.n_rules++;
	}
	if (!have_default) {
		r = lxm_error_setr(err, EINVAL, "%s: no 'default ACTION' line", label);
		goto out;
	}
	*ret = p;
	memset(&p, 0, sizeof(p));
out:
	lxm_seccomp_policy_free(&p);
	return r;
}
#undef FAIL

void lxm_seccomp_policy_free(struct lxm_seccomp_policy *p)
{
	if (!p)
		return;
	free(p->rules);
	p->rules = NULL;
	p->n_rules = 0;
}

size_t lxm_seccomp_policy_arches(const struct lxm_seccomp_policy *p, uint32_t out[LXM_SECCOMP_MAX_ARCHES])
{
	uint32_t native = seccomp_arch_native();
	size_t n = 0;

	if (p->n_arches) {
		for (size_t i = 0; i < p->n_arches; i++) {
			bool dup = false;
			for (size_t k = 0; k < n; k++)
				dup |= out[k] == p->arches[i];
			if (!dup)
				out[n++] = p->arches[i];
		}
		return n;
	}
	out[n++] = native;
	switch (native) {
	case SCMP_ARCH_X86_64:
		out[n++] = SCMP_ARCH_X86;
		out[n++] = SCMP_ARCH_X32;
		break;
	case SCMP_ARCH_AARCH64:
		out[n++] = SCMP_ARCH_ARM;
		break;
	case SCMP_ARCH_S390X:
		out[n++] = SCMP_ARCH_S390;
		break;
	case SCMP_ARCH_PPC64LE:
		break;
	}
	return n;
}

static bool rule_applies(const struct lxm_seccomp_rule *r, uint32_t arch, bool nesting)
{
	bool arch_ok = r->n_arches == 0;

	if ((r->nesting == LXM_SECCOMP_NEST_ONLY && !nesting) ||
	    (r->nesting == LXM_SECCOMP_NEST_NEVER && nesting))
		return false;
	for (size_t i = 0; i < r->n_arches; i++)
		arch_ok |= r->arches[i] == arch;
	return arch_ok;
}

static const enum scmp_compare scmp_ops[LXM_SECCOMP_OP_MAX] = {
	[LXM_SECCOMP_EQ] = SCMP_CMP_EQ, [LXM_SECCOMP_NE] = SCMP_CMP_NE,
	[LXM_SECCOMP_LT] = SCMP_CMP_LT, [LXM_SECCOMP_LE] = SCMP_CMP_LE,
	[LXM_SECCOMP_GT] = SCMP_CMP_GT, [LXM_SECCOMP_GE] = SCMP_CMP_GE,
	[LXM_SECCOMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

/* One filter per architecture, merged: a rule may be limited to some
 * architectures, which one shared context cannot express. */
static int compile_arch(const struct lxm_seccomp_policy *p, uint32_t arch, bool nesting,
			scmp_filter_ctx *ret, struct lxm_error *err)
{
	scmp_filter_ctx ctx = seccomp_init(p->default_action);
	char abuf[32];
	int r;

	if (!ctx)
		return lxm_error_set(err, ENOMEM, "seccomp: creating a filter");
	/* no_new_privs is the config's decision (setuid tools need it off) */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* the kernel's errno rather than -ECANCELED when loading fails */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	if (r < 0)
		goto fail_r;
	/* a binary tree of syscall numbers rather than a linear chain: about
	 * a third of the instructions per syscall, and the kernel's
	 * per-syscall action cache, built by running the filter for every
	 * syscall number at each load (init's and each attach's), costs
	 * 40 us instead of 90 here (same results: checked for every syscall
	 * number and architecture). Older libseccomp: the chain. */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (arch != seccomp_arch_native()) {
		r = seccomp_arch_add(ctx, arch);
		if (r < 0 && r != -EEXIST)
			goto fail_r;
		r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
		if (r < 0)
			goto fail_r;
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct lxm_seccomp_rule *rule = &p->rules[i];
		struct scmp_arg_cmp cmp[LXM_SECCOMP_MAX_ARGS];
		int nr;

		if (!rule_applies(rule, arch, nesting) || rule->action == p->default_action)
			continue;
		/* libseccomp takes the native number (or its pseudo number for a
		 * call the native architecture lacks) and maps it to arch */
		nr = seccomp_syscall_resolve_name(rule->syscall);
		if (nr == __NR_SCMP_ERROR)
			continue;
		for (size_t k = 0; k < rule->n_conds; k++) {
			const struct lxm_seccomp_cond *c = &rule->conds[k];
			cmp[k] = (struct scmp_arg_cmp){
				.arg = c->arg,
				.op = scmp_ops[c->op],
				.datum_a = c->op == LXM_SECCOMP_MASKED_EQ ? c->mask : c->value,
				.datum_b = c->op == LXM_SECCOMP_MASKED_EQ ? c->value : 0,
			};
		}
		r = seccomp_rule_add_array(ctx, rule->action, nr, (unsigned)rule->n_conds, cmp);
		if (r < 0) {
			seccomp_release(ctx);
			return lxm_error_set(err, -r, "seccomp: line %u: adding the rule for '%s' (architecture 0x%x)",
					     rule->line, rule->syscall, arch);
		}
	}
	*ret = ctx;
	return 0;
fail_r:
	snprintf(abuf, sizeof(abuf), "0x%x", arch);
	seccomp_release(ctx);
	return lxm_error_set(err, -r, "seccomp: setting up the filter for architecture %s", abuf);
}

int lxm_seccomp_compile(const struct lxm_seccomp_policy *p, bool nesting, struct lxm_seccomp **ret,
			struct lxm_error *err)
{
	uint32_t arches[LXM_SECCOMP_MAX_ARCHES];
	size_t n = lxm_seccomp_policy_arches(p, arches);
	scmp_filter_ctx all = NULL;
	struct lxm_seccomp *s;
	int r;

	for (size_t i = 0; i < n; i++) {
		scmp_filter_ctx ctx = NULL;

		r = compile_arch(p, arches[i], nesting, &ctx, err);
		if (r < 0)
			goto fail;
		if (!all) {
			all = ctx;
			continue;
		}
		r = seccomp_merge(all, ctx);
		if (r < 0) {
			seccomp_release(ctx);
			lxm_error_set(err, -r, "seccomp: merging the filters of each architecture");
			goto fail;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		r = lxm_error_set(err, ENOMEM, "seccomp");
		goto fail;
	}
	s->ctx = all;
	*ret = s;
	return 0;
fail:
	if (all)
		seccomp_release(all);
	return r;
}

/* A compiled policy kept in a directory across starts: policy.bin, its BPF
 * program, and policy.key, all it was made from: the policy's text,
 * security.nesting, the lxm executable (the compiler's own rules) and
 * libseccomp's version, and the boot id (libseccomp asks the running
 * kernel what it supports). A start whose key matches takes the program
 * from there: no parse, no compile, no BPF generation (~0.4 ms of CPU a
 * start here). The key is removed before the program is rewritten and
 * written after it. */
#define CACHE_KEY "policy.key"
#define CACHE_BIN "policy.bin"

static char *cache_key(const char *text, bool nesting)
{
	const struct scmp_version *v = seccomp_version();
	char boot[64], exe[128], lib[128];
	Dl_info di = { 0 };

	if (lxm_boot_id(boot) < 0)
		return NULL;
	lxm_file_ident("/proc/self/exe", exe, sizeof(exe));
	if (streq(exe, "-"))
		return NULL;
	/* a shared libseccomp (a dynamic build): its file too, since a
	 * distribution's fix may keep the version */
	if (dladdr((const void *)(uintptr_t)seccomp_export_bpf, &di) == 0)
		di.dli_fname = NULL;
	lxm_file_ident(di.dli_fname, lib, sizeof(lib));
	return lxm_strdup_printf("lxm-seccomp 1\nexe %s\nlibseccomp %u.%u.%u %s\nnesting %d\nboot %s\n\n%s", exe,
				 v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, lib, nesting, boot, text);
}

/* The cache directory, only when it is a directory of ours that nobody
 * else may write */
static int cache_dir_open(const char *dir, bool create)
{
	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return lxm_open_ours_at(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0022, NULL);
}

static int cache_load(const char *dir, const char *key, struct lxm_seccomp **ret)
{
	_cleanup_close_ int dfd = cache_dir_open(dir, false);
	_cleanup_close_ int kfd = -1, bfd = -1;
	_cleanup_free_ char *old = NULL;
	struct lxm_seccomp_prog prog = { 0 };
	struct lxm_seccomp *s;
	struct stat st;

	if (dfd < 0)
		return dfd;
	kfd = lxm_open_ours_at(dfd, CACHE_KEY, O_RDONLY | O_NONBLOCK, 0022, &st);
	if (kfd < 0 || (size_t)st.st_size != strlen(key))
		return -ESTALE;
	old = malloc(strlen(key) + 1);
	if (!old)
		return -ENOMEM;
	if (lxm_read_full(kfd, old, strlen(key)) != (ssize_t)strlen(key) || memcmp(old, key, strlen(key)) != 0)
		return -ESTALE;
	/* the program: a regular file of ours, mode 0600, whole instructions */
	bfd = lxm_open_ours_at(dfd, CACHE_BIN, O_RDONLY | O_NONBLOCK, 0077, &st);
	if (bfd < 0 || lxm_seccomp_prog_read(bfd, (size_t)st.st_size, &prog) < 0)
		return -ESTALE;
	s = calloc(1, sizeof(*s));
	if (!s) {
		lxm_seccomp_prog_free(&prog);
		return -ENOMEM;
	}
	s->prog = prog;
	*ret = s;
	return 0;
}

static int cache_store(const char *dir, const char *key, const struct lxm_seccomp *s)
{
	_cleanup_close_ int dfd = cache_dir_open(dir, true);
	int r;

	if (dfd < 0)
		return dfd;
	if (unlinkat(dfd, CACHE_KEY, 0) < 0 && errno != ENOENT)
		return -errno;
	r = lxm_write_file_replace_at(dfd, CACHE_BIN, s->prog.insns, s->prog.n * sizeof(*s->prog.insns), 0600);
	if (r < 0)
		return r;
	return lxm_write_file_replace_at(dfd, CACHE_KEY, key, strlen(key), 0600);
}

int lxm_seccomp_prepare(const char *spec, const char *dir, bool nesting, const char *cache_dir,
			struct lxm_seccomp **ret, struct lxm_error *err)
{
	struct lxm_seccomp_policy p = { 0 };
	_cleanup_free_ char *text = NULL, *path = NULL, *label = NULL, *key = NULL;
	const char *src;
	int r;

	*ret = NULL;
	if (streq(spec, "none"))
		return 0;
	if (streq(spec, "default")) {
		src = lxm_seccomp_default_policy;
		label = strdup("seccomp policy 'default'");
	} else {
		path = spec[0] == '/' || !dir ? strdup(spec) : lxm_strdup_printf("%s/%s", dir, spec);
		if (!path)
			return lxm_error_set(err, ENOMEM, "seccomp");
		r = lxm_read_file_at(AT_FDCWD, path, &text, NULL);
		if (r < 0)
			return lxm_error_set(err, -r, "reading seccomp policy '%s'", path);
		src = text;
		label = lxm_strdup_printf("seccomp policy '%s'", path);
	}
	if (!label)
		return lxm_error_set(err, ENOMEM, "seccomp");
	if (cache_dir) {
		key = cache_key(src, nesting);
		if (key && cache_load(cache_dir, key, ret) == 0) {
			log_debug("%s: its program from '%s'", label, cache_dir);
			return 0;
		}
	}
	r = lxm_seccomp_parse(src, label, &p, err);
	if (r < 0)
		return r;
	r = lxm_seccomp_compile(&p, nesting, ret, err);
	lxm_seccomp_policy_free(&p);
	if (r < 0)
		return r;
	/* the program itself now: whoever inherits it loads it with one
	 * syscall (init, after its wait for the network) */
	r = lxm_seccomp_generate(*ret, err);
	if (r < 0) {
		lxm_seccomp_free(*ret);
		*ret = NULL;
		return r;
	}
	if (!key)
		return 0;
	r = cache_store(cache_dir, key, *ret);
	if (r < 0)
		log_debug("%s: keeping its program in '%s': %s, ignoring", label, cache_dir, strerror(-r));
	return 0;
}

int lxm_seccomp_generate(struct lxm_seccomp *s, struct lxm_error *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (!s || s->prog.n)
		return 0;
	/* libseccomp's BPF through a memfd, read back into s->prog */
	fd = memfd_create("lxm-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return lxm_error_set(err, errno, "generating the seccomp program");
	r = seccomp_export_bpf(s->ctx, fd);
	if (r == 0)
		r = fstat(fd, &st) < 0 ? -errno : lxm_seccomp_prog_read(fd, (size_t)st.st_size, &s->prog);
	if (r < 0)
		return lxm_error_set(err, -r, "generating the seccomp program");
	return 0;
}

int lxm_seccomp_load(struct lxm_seccomp *s, struct lxm_error *err)
{
	int r;

	if (!s)
		return 0;
	/* the program itself, as lxm-attach loads it: seccomp_load() would
	 * generate it again, with the same attributes (seccomp-prog.h) */
	r = lxm_seccomp_generate(s, err);
	if (r < 0)
		return r;
	return lxm_seccomp_prog_load(&s->prog, err);
}

int lxm_seccomp_save(struct lxm_seccomp *s, const char *path, struct lxm_error *err)
{
	int r;

	if (!s) {
		if (unlink(path) < 0 && errno != ENOENT)
			return lxm_error_set(err, errno, "removing '%s'", path);
		return 0;
	}
	r = lxm_seccomp_generate(s, err);
	if (r < 0)
		return r;
	r = lxm_write_file_replace(path, (const char *)s->prog.insns, s->prog.n * sizeof(*s->prog.insns), 0600,
				   false);
	if (r < 0)
		return lxm_error_set(err, -r, "writing the seccomp program to '%s'", path);
	return 0;
}

void lxm_seccomp_free(struct lxm_seccomp *s)
{
	if (!s)
		return;
	if (s->ctx)
		seccomp_release(s->ctx);
	lxm_seccomp_prog_free(&s->prog);
	free(s);
}

int lxm_seccomp_export_pfc(struct lxm_seccomp *s, int fd)
{
	return s && s->ctx ? seccomp_export_pfc(s->ctx, fd) : 0;
}
