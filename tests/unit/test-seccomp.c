/* seccomp: the policy parser (pure), the default policy, compiling for the
 * native and compat architectures, and loading filters into child
 * processes (with no_new_privs, so no root is needed). */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>   /* lxm/seccomp.h, which pulls in libseccomp's */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../../lxm/seccomp-prog.h"
#include "tap.h"

static int parse(const char *text, struct lxm_seccomp_policy *p, struct lxm_error *err)
{
	memset(p, 0, sizeof(*p));
	lxm_error_clear(err);
	return lxm_seccomp_parse(text, "policy", p, err);
}

static bool parse_fails(const char *text, const char *msg)
{
	struct lxm_seccomp_policy p;
	struct lxm_error err;
	int r = parse(text, &p, &err);
	bool match = r == -EINVAL && strstr(err.msg, msg) != NULL;

	if (!match)
		printf("#   got %d '%s', expected '%s'\n", r, err.msg, msg);
	lxm_seccomp_policy_free(&p);
	return match;
}

static const struct lxm_seccomp_rule *find_rule(const struct lxm_seccomp_policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_rules; i++)
		if (streq(p->rules[i].syscall, name))
			return &p->rules[i];
	return NULL;
}

static void test_actions(void)
{
	uint32_t a = 0;
	char buf[32];
	int r;

	r = lxm_seccomp_action_parse("deny", &a);
	ok(r == 0 && a == SCMP_ACT_ERRNO(EPERM), "deny is errno EPERM");
	r = lxm_seccomp_action_parse("errno:ENOSYS", &a);
	ok(r == 0 && a == SCMP_ACT_ERRNO(ENOSYS), "errno:ENOSYS");
	r = lxm_seccomp_action_parse("errno:13", &a);
	ok(r == 0 && a == SCMP_ACT_ERRNO(13), "errno:13");
	r = lxm_seccomp_action_parse("kill", &a);
	ok(r == 0 && a == SCMP_ACT_KILL_PROCESS, "kill kills the process");
	r = lxm_seccomp_action_parse("errno:5000", &a);
	ok(r == -EINVAL, "errno beyond 4095 is refused");
	r = lxm_seccomp_action_parse("errno:", &a);
	ok(r == -EINVAL, "an empty errno is refused");
	r = lxm_seccomp_action_parse("permit", &a);
	ok(r == -EINVAL, "unknown actions are refused");
	ok(streq(lxm_seccomp_action_format(SCMP_ACT_ERRNO(EPERM), buf, sizeof(buf)), "errno:EPERM"),
	   "format errno:EPERM");
	ok(streq(lxm_seccomp_action_format(SCMP_ACT_ALLOW, buf, sizeof(buf)), "allow"), "format allow");
	ok(streq(lxm_seccomp_action_format(SCMP_ACT_KILL_PROCESS, buf, sizeof(buf)), "kill"), "format kill");
}

static void test_default_policy(void)
{
	struct lxm_seccomp_policy p;
	struct lxm_error err;
	const struct lxm_seccomp_rule *r;
	static const char *const denied[] = {
		"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
		"open_by_handle_at", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
		"userfaultfd",
	};
	uint32_t arches[LXM_SECCOMP_MAX_ARCHES];
	size_t n;
	int rc = parse(lxm_seccomp_default_policy, &p, &err);

	ok(rc == 0, "the default policy parses (%s)", err.msg);
	ok(p.default_action == SCMP_ACT_ALLOW, "the default policy is a deny-list");
	for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
		r = find_rule(&p, denied[i]);
		ok(r && r->action == SCMP_ACT_ERRNO(EPERM) && r->n_conds == 0 && r->nesting == LXM_SECCOMP_NEST_ANY,
		   "default policy denies %s with EPERM", denied[i]);
	}
	r = find_rule(&p, "unshare");
	ok(r && r->nesting == LXM_SECCOMP_NEST_NEVER && r->n_conds == 1 && r->conds[0].arg == 0 &&
	   r->conds[0].op == LXM_SECCOMP_MASKED_EQ && r->conds[0].mask == CLONE_NEWUSER &&
	   r->conds[0].value == CLONE_NEWUSER, "unshare(CLONE_NEWUSER) is denied unless nesting");
	r = find_rule(&p, "clone3");
	ok(r && r->nesting == LXM_SECCOMP_NEST_NEVER && r->action == SCMP_ACT_ERRNO(ENOSYS),
	   "clone3 fails with ENOSYS unless nesting");
	r = find_rule(&p, "clone");
	ok(r && r->n_arches >= 3 && r->arches[0] == SCMP_ARCH_X86_64, "clone's rule is per architecture");
	n = lxm_seccomp_policy_arches(&p, arches);
	if (seccomp_arch_native() == SCMP_ARCH_X86_64)
		ok(n == 3 && arches[0] == SCMP_ARCH_X86_64 && arches[1] == SCMP_ARCH_X86 &&
		   arches[2] == SCMP_ARCH_X32, "compiled for x86_64, x86 and x32");
	else
		ok(n >= 1 && arches[0] == seccomp_arch_native(), "compiled for the native architecture");
	lxm_seccomp_policy_free(&p);
}

static void test_syntax(void)
{
	struct lxm_seccomp_policy p;
	struct lxm_error err;
	const struct lxm_seccomp_rule *r;
	int rc;

	rc = parse("# allow-list\n"
		   "default kill\n"
		   "arch native x86\n"
		   "allow read   # trailing comment\n"
		   "\n"
		   "[x86_64]\n"
		   "allow write arg0 == 1 arg2 <= 0x100\n"
		   "[nesting]\n"
		   "errno:EACCES socket arg0 != 16\n"
		   "[*]\n"
		   "log getpid\n", &p, &err);
	ok(rc == 0, "an allow-list policy parses (%s)", err.msg);
	ok(p.default_action == SCMP_ACT_KILL_PROCESS && p.n_arches == 2 && p.arches[1] == SCMP_ARCH_X86,
	   "default and arch are read");
	ok(p.n_rules == 4, "four rules");
	r = find_rule(&p, "write");
	ok(r && r->line == 7 && r->n_conds == 2 && r->conds[0].op == LXM_SECCOMP_EQ && r->conds[0].value == 1 &&
	   r->conds[1].arg == 2 && r->conds[1].op == LXM_SECCOMP_LE && r->conds[1].value == 0x100 &&
	   r->n_arches == 1 && r->arches[0] == SCMP_ARCH_X86_64, "conditions and section of 'write'");
	r = find_rule(&p, "socket");
	ok(r && r->nesting == LXM_SECCOMP_NEST_ONLY && r->n_arches == 0 && r->action == SCMP_ACT_ERRNO(EACCES),
	   "a [nesting] section");
	r = find_rule(&p, "getpid");
	ok(r && r->nesting == LXM_SECCOMP_NEST_ANY && r->n_arches == 0 && r->action == SCMP_ACT_LOG,
	   "[*] resets the section");
	lxm_seccomp_policy_free(&p);

	ok(parse_fails("allow read\n", "policy: no 'default ACTION' line"), "missing default");
	ok(parse_fails("default allow\ndefault kill\n", "policy:2: 'default' given twice"), "default twice");
	ok(parse_fails("default allow\n\nfrobnicate read\n", "policy:3: unknown action 'frobnicate'"),
	   "unknown action, with its line");
	ok(parse_fails("default allow\ndeny no_such_call\n", "policy:2: unknown system call 'no_such_call'"),
	   "unknown system call");
	ok(parse_fails("default allow\ndeny\n", "policy:2: 'deny' needs a system call name"), "missing syscall");
	ok(parse_fails("default allow\ndeny read arg6 == 1\n", "policy:2: expected arg0 to arg5, got 'arg6'"),
	   "argument index out of range");
	ok(parse_fails("default allow\ndeny read arg0 =~ 1\n", "policy:2: unknown operator '=~'"),
	   "unknown operator");
	ok(parse_fails("default allow\ndeny read arg0 ==\n", "policy:2: incomplete condition on 'arg0'"),
	   "incomplete condition");
	ok(parse_fails("default allow\ndeny read arg0 == banana\n", "policy:2: bad value 'banana'"), "bad value");
	ok(parse_fails("default allow\ndeny read arg0 & 1 != 1\n", "policy:2: expected '==' after the mask"),
	   "masked comparison needs ==");
	ok(parse_fails("default allow\ndeny read arg0 == 1 arg0 == 2\n", "policy:2: more than one condition on 'arg0'"),
	   "two conditions on one argument");
	ok(parse_fails("default allow\n[vax]\n", "policy:2: unknown architecture 'vax'"), "unknown arch section");
	ok(parse_fails("default allow\n[x86_64\n", "policy:2: section header without ']'"), "unterminated section");
	ok(parse_fails("default allow\narch sparc9\n", "policy:2: unknown architecture 'sparc9'"), "unknown arch");
	ok(parse_fails("default allow\ndeny read arg0 == 99999999999999999999999\n", "bad value"), "value overflow");
	ok(parse_fails("default\n", "policy:1: 'default' takes one action"), "default without action");
}

/* Run fn in a child with no_new_privs and the filter loaded; its exit
 * status or signal. */
/* fn's result in a child that loaded the compiled filter s, or the saved
 * program p as lxm-attach loads it (both NULL: no filter) */
static int in_child_of(struct lxm_seccomp *s, const struct lxm_seccomp_prog *p, int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct lxm_error err;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    (s ? lxm_seccomp_load(s, &err) : p ? lxm_seccomp_prog_load(p, &err) : 0) < 0)
			_exit(100);
		_exit(fn());
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

static int in_child(struct lxm_seccomp *s, int (*fn)(void))
{
	return in_child_of(s, NULL, fn);
}

static int errno_of(long r)
{
	return r < 0 ? errno : 0;
}

static int do_keyctl(void) { return errno_of(syscall(SYS_keyctl, 0, -3, 0)); }
static int do_unshare_user(void) { return errno_of(unshare(CLONE_NEWUSER)); }
static int do_clone_user(void)
{
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return errno_of(pid);
}
static int do_clone3(void)
{
	struct clone_args a = { .exit_signal = SIGCHLD };
	long pid = syscall(SYS_clone3, &a, sizeof(a));
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return errno_of(pid);
}
static int do_fork(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return errno_of(pid);
}
static int do_getppid(void) { return errno_of(syscall(SYS_getppid)); }
static int do_getpid(void) { return errno_of(syscall(SYS_getpid)); }
static int do_no_new_privs(void) { return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); }

static void test_load(void)
{
	struct lxm_seccomp *s = NULL;
	struct lxm_error err = { 0 };
	struct lxm_seccomp_policy p;
	int r, userns_ok;
	char path[] = "/tmp/lxm-test-seccomp.XXXXXX";
	int fd;

	/* can this host make user namespaces at all (as this user)? */
	userns_ok = in_child(NULL, do_unshare_user) == 0;

	r = lxm_seccomp_prepare("none", NULL, false, NULL, &s, &err);
	ok(r == 0 && s == NULL, "'none' is no filter");
	r = lxm_seccomp_prepare("default", NULL, false, NULL, &s, &err);
	ok(r == 0 && s, "the default policy compiles (%s)", err.msg);
	fd = mkstemp(path);
	if (fd >= 0) {
		char *text = NULL;
		size_t len = 0;
		FILE *f;

		r = lxm_seccomp_export_pfc(s, fd);
		close(fd);
		f = fopen(path, "r");
		if (f) {
			r = (int)getdelim(&text, &len, '\0', f);
			fclose(f);
		}
		unlink(path);
		ok(text && strstr(text, "arch x86_64 (") && strstr(text, "arch x86 (") && strstr(text, "arch x32 ("),
		   "the filter covers x86_64, x86 and x32");
		free(text);
	}
	r = in_child(s, do_keyctl);
	ok(r == EPERM, "keyctl fails with EPERM (%d)", r);
	r = in_child(s, do_unshare_user);
	ok(r == EPERM, "unshare(CLONE_NEWUSER) fails with EPERM (%d)", r);
	r = in_child(s, do_clone_user);
	ok(r == EPERM, "clone(CLONE_NEWUSER) fails with EPERM (%d)", r);
	r = in_child(s, do_clone3);
	ok(r == ENOSYS, "clone3 fails with ENOSYS (%d)", r);
	r = in_child(s, do_fork);
	ok(r == 0, "fork() still works through the clone fallback (%d)", r);
	r = in_child(s, do_getpid);
	ok(r == 0, "other calls are allowed");
	lxm_seccomp_free(s);
	s = NULL;

	r = lxm_seccomp_prepare("default", NULL, true, NULL, &s, &err);
	ok(r == 0 && s, "the default policy compiles with nesting");
	r = in_child(s, do_clone3);
	ok(r == 0, "with nesting clone3 works (%d)", r);
	r = in_child(s, do_unshare_user);
	ok(r == (userns_ok ? 0 : in_child(NULL, do_unshare_user)), "with nesting unshare(CLONE_NEWUSER) is not filtered (%d)", r);
	r = in_child(s, do_keyctl);
	ok(r == EPERM, "with nesting keyctl still fails with EPERM");
	lxm_seccomp_free(s);
	s = NULL;

	r = parse("default allow\nerrno:EACCES getppid\nkill getpid\n", &p, &err);
	ok(r == 0, "a custom policy parses");
	r = lxm_seccomp_compile(&p, false, &s, &err);
	ok(r == 0 && s, "and compiles (%s)", err.msg);
	lxm_seccomp_policy_free(&p);
	r = in_child(s, do_getppid);
	ok(r == EACCES, "an errno action returns that errno (%d)", r);
	r = in_child(s, do_getpid);
	ok(r == 1000 + SIGSYS, "a kill action kills the process with SIGSYS (%d)", r);
	r = in_child(s, do_no_new_privs);
	ok(r == 1, "(the test child set no_new_privs itself)");
	lxm_seccomp_free(s);
	s = NULL;

	/* libseccomp's own NNP default is off: without CAP_SYS_ADMIN and without
	 * no_new_privs the kernel refuses, which shows lxm did not set it */
	r = parse("default allow\ndeny getppid\n", &p, &err);
	r = r == 0 ? lxm_seccomp_compile(&p, false, &s, &err) : r;
	lxm_seccomp_policy_free(&p);
	if (r == 0 && geteuid() != 0) {
		pid_t pid = fork();
		int status = 0;
		if (pid == 0) {
			struct lxm_error e;
			int lr = lxm_seccomp_load(s, &e);
			_exit(lr == -EACCES && prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0 ? 0 : 1);
		}
		waitpid(pid, &status, 0);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "loading never sets no_new_privs by itself");
	} else {
		ok(r == 0, "# SKIP as root: the NNP check needs an unprivileged user");
	}
	lxm_seccomp_free(s);

	r = lxm_seccomp_prepare("/nonexistent/policy", NULL, false, NULL, &s, &err);
	ok(r == -ENOENT && strstr(err.msg, "reading seccomp policy '/nonexistent/policy'"), "a missing policy file");
	r = lxm_seccomp_prepare("", "/dev/null/x", false, NULL, &s, &err);
	ok(r < 0, "an empty name is a path too");
}

/* The program lxm-start saves in the runtime dir for lxm-attach. */
static void test_saved(void)
{
	struct lxm_seccomp *s = NULL;
	struct lxm_seccomp_prog p = { 0 };
	struct lxm_error err = { 0 };
	char dir[] = "/tmp/lxm-test-seccomp-saved.XXXXXX";
	char path[256], bad[256];
	struct stat st;
	int r, fd;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/seccomp.bpf", dir);
	snprintf(bad, sizeof(bad), "%s/bad.bpf", dir);
	r = lxm_seccomp_prepare("default", NULL, false, NULL, &s, &err);
	r = r == 0 ? lxm_seccomp_save(s, path, &err) : r;
	ok(r == 0 && stat(path, &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_size > 0 && st.st_size % 8 == 0,
	   "the compiled program is saved, mode 0600, whole instructions (%s)", err.msg);
	r = in_child(s, do_keyctl);
	ok(r == EPERM, "the filter it was saved from loads that program: keyctl fails with EPERM (%d)", r);
	r = lxm_seccomp_prog_open(path, &p, &err);
	ok(r == 0 && p.n == (size_t)st.st_size / 8, "the saved program reads back (%s)", err.msg);
	ok(in_child_of(NULL, &p, do_keyctl) == EPERM && in_child_of(NULL, &p, do_clone3) == ENOSYS &&
	   in_child_of(NULL, &p, do_getpid) == 0,
	   "and filters as the compiled policy does (keyctl EPERM, clone3 ENOSYS, getpid allowed)");
	lxm_seccomp_prog_free(&p);
	ok(!p.insns && p.n == 0, "free leaves an empty program");

	ok(chmod(path, 0644) == 0 && lxm_seccomp_prog_open(path, &p, &err) == -EPERM && !p.n,
	   "a saved program others can read or write is refused: %s", err.msg);
	fd = open(bad, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ok(fd >= 0 && write(fd, "1234567", 7) == 7 && close(fd) == 0 &&
	   lxm_seccomp_prog_open(bad, &p, &err) == -EINVAL && !p.insns,
	   "a file that is not whole instructions is refused: %s", err.msg);
	unlink(bad);
	ok(symlink(path, bad) == 0 && lxm_seccomp_prog_open(bad, &p, &err) < 0 && !p.n, "a symlink is not followed");
	unlink(bad);
	snprintf(bad, sizeof(bad), "%s/none.bpf", dir);
	memset(&err, 0, sizeof(err));
	ok(lxm_seccomp_prog_open(bad, &p, &err) == -ENOENT && !p.n && !err.msg[0],
	   "no saved program: -ENOENT, no error text (the caller says what is missing)");
	ok(lxm_seccomp_save(NULL, path, &err) == 0 && access(path, F_OK) < 0, "saving no filter removes the file");
	lxm_seccomp_free(s);
	rmdir(dir);
}

/* A compiled policy kept across starts (lxm-start: <container>/seccomp). */
static bool read_all(const char *path, char **buf, size_t *len)
{
	return lxm_read_file_at(AT_FDCWD, path, buf, len) == 0;
}

static void test_cache(void)
{
	struct lxm_seccomp *s = NULL, *t = NULL;
	struct lxm_seccomp_prog p = { 0 };
	struct lxm_error err = { 0 };
	char dir[] = "/tmp/lxm-test-seccomp-cache.XXXXXX";
	char cache[256], key[300], bin[300], pol[300], saved[300], other[300];
	char *k1 = NULL, *k2 = NULL, *b1 = NULL, *b2 = NULL;
	size_t k1n = 0, k2n = 0, b1n = 0, b2n = 0;
	struct stat st1, st2;
	int r;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(cache, sizeof(cache), "%s/seccomp", dir);
	snprintf(key, sizeof(key), "%s/policy.key", cache);
	snprintf(bin, sizeof(bin), "%s/policy.bin", cache);
	snprintf(pol, sizeof(pol), "%s/policy", dir);
	snprintf(saved, sizeof(saved), "%s/saved.bpf", dir);
	snprintf(other, sizeof(other), "%s/other.bpf", dir);

	r = lxm_seccomp_prepare("default", NULL, false, cache, &s, &err);
	ok(r == 0 && s && stat(bin, &st1) == 0 && (st1.st_mode & 07777) == 0600 && read_all(key, &k1, &k1n) &&
	   strstr(k1, "nesting 0\n") && strstr(k1, "\nboot ") && strstr(k1, "\nexe ") && strstr(k1, "default allow"),
	   "a compile keeps its program and its key (policy, nesting, lxm, libseccomp, boot) (%s)", err.msg);
	ok(lxm_seccomp_save(s, saved, &err) == 0 && read_all(saved, &b1, &b1n) && read_all(bin, &b2, &b2n) &&
	   b1n == b2n && memcmp(b1, b2, b1n) == 0, "the kept program is the one the filter loads");
	free(b1), free(b2), b1 = b2 = NULL;
	lxm_seccomp_free(s), s = NULL;

	r = lxm_seccomp_prepare("default", NULL, false, cache, &s, &err);
	ok(r == 0 && s && stat(bin, &st2) == 0 && st2.st_ino == st1.st_ino && in_child(s, do_keyctl) == EPERM &&
	   in_child(s, do_getpid) == 0, "the same policy again: its program from the cache, nothing rewritten, it filters");
	lxm_seccomp_free(s), s = NULL;

	/* taken from the cache, not compiled: another policy's program under
	 * the default policy's key is what comes back */
	{
		int fd = open(pol, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		ok(fd >= 0 && write(fd, "default allow\nerrno:EACCES getppid\n", 35) == 35 && close(fd) == 0,
		   "a custom policy file");
	}
	r = lxm_seccomp_prepare(pol, NULL, false, NULL, &t, &err);
	r = r == 0 ? lxm_seccomp_save(t, other, &err) : r;
	ok(r == 0 && rename(other, bin) == 0, "its program put in the cache's place");
	r = lxm_seccomp_prepare("default", NULL, false, cache, &s, &err);
	ok(r == 0 && s && in_child(s, do_getppid) == EACCES && in_child(s, do_keyctl) == 0,
	   "with the key unchanged, the cached program is used as it is");
	lxm_seccomp_free(s), s = NULL;
	lxm_seccomp_free(t), t = NULL;

	r = lxm_seccomp_prepare("default", NULL, true, cache, &s, &err);
	ok(r == 0 && s && read_all(key, &k2, &k2n) && strstr(k2, "nesting 1\n") && in_child(s, do_clone3) == 0 &&
	   in_child(s, do_keyctl) == EPERM, "another nesting is another key: compiled again");
	free(k2), k2 = NULL;
	lxm_seccomp_free(s), s = NULL;

	r = lxm_seccomp_prepare(pol, NULL, false, cache, &s, &err);
	ok(r == 0 && s && read_all(key, &k2, &k2n) && strstr(k2, "errno:EACCES getppid") && in_child(s, do_getppid) == EACCES,
	   "another policy text is another key: compiled again");
	free(k2), k2 = NULL;
	lxm_seccomp_free(s), s = NULL;

	ok(lxm_write_file_at(AT_FDCWD, key, k1, k1n, O_TRUNC, 0) == 0 && chmod(bin, 0644) == 0,
	   "the default policy's key back, over a program others may read");
	r = lxm_seccomp_prepare("default", NULL, false, cache, &s, &err);
	ok(r == 0 && s && stat(bin, &st2) == 0 && (st2.st_mode & 07777) == 0600 && in_child(s, do_keyctl) == EPERM,
	   "a cached program with a loose mode is not used: compiled again, kept 0600");
	lxm_seccomp_free(s), s = NULL;

	/* a cache dir others may write is neither read nor written */
	r = lxm_seccomp_prepare(pol, NULL, false, NULL, &t, &err);
	r = r == 0 ? lxm_seccomp_save(t, other, &err) : r;
	lxm_seccomp_free(t), t = NULL;
	ok(r == 0 && rename(other, bin) == 0 && chmod(cache, 0777) == 0, "another program in place, the dir mode 0777");
	r = lxm_seccomp_prepare("default", NULL, false, cache, &s, &err);
	ok(r == 0 && s && in_child(s, do_keyctl) == EPERM && in_child(s, do_getppid) == 0 && stat(bin, &st2) == 0 &&
	   lxm_seccomp_prog_open(bin, &p, &err) == 0 && in_child_of(NULL, &p, do_getppid) == EACCES,
	   "a cache dir others may write is not used: compiled, and nothing kept there");
	lxm_seccomp_prog_free(&p);
	lxm_seccomp_free(s), s = NULL;
	chmod(cache, 0700);

	ok(unlink(bin) == 0, "the cached program removed");
	r = lxm_seccomp_prepare("default", NULL, false, cache, &s, &err);
	ok(r == 0 && s && lxm_seccomp_prog_open(bin, &p, &err) == 0 && p.n > 0, "compiled again and kept again");
	lxm_seccomp_prog_free(&p);
	lxm_seccomp_free(s);

	free(k1);
	unlink(key), unlink(bin), rmdir(cache), unlink(pol), unlink(saved), unlink(other), rmdir(dir);
}

int main(void)
{
	test_actions();
	test_default_policy();
	test_syntax();
	test_load();
	test_saved();
	test_cache();
	return tap_done();
}
