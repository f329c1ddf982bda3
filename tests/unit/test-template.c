/* Finding and running templates: the argv contract, a clean environment,
 * no leaked fds, hints on stdout, exit status and signals. */
#include <fcntl.h>
#include <sys/stat.h>

#include "destroy.h"
#include "tap.h"
#include "template.h"

static char tmp[] = "/tmp/test-template-XXXXXX";
static int tmpfd = -1;

static void write_script(const char *name, const char *body, mode_t mode)
{
	if (lxm_write_file_at(tmpfd, name, body, strlen(body), O_CREAT | O_TRUNC | O_WRONLY, mode) < 0 ||
	    fchmodat(tmpfd, name, mode, 0) < 0) {
		printf("# writing %s: %m\n", name);
		exit(1);
	}
}

static char *read_at(const char *name)
{
	char *data = NULL;

	if (lxm_read_file_at(tmpfd, name, &data, NULL) < 0)
		return NULL;
	return data;
}

static const char *errtext(const struct lxm_error *err)
{
	static char buf[LXM_ERROR_MSG_MAX + 128];

	return lxm_error_text(err, buf, sizeof(buf));
}

static void test_names(void)
{
	bool v;

	v = lxm_template_name_valid("busybox");
	ok(v, "'busybox' is a valid name");
	v = lxm_template_name_valid("debian-12_x");
	ok(v, "'debian-12_x' is a valid name");
	v = lxm_template_name_valid("") || lxm_template_name_valid("../x") || lxm_template_name_valid("Foo") ||
	    lxm_template_name_valid("a b") || lxm_template_name_valid(NULL);
	ok(!v, "empty, '../x', 'Foo', 'a b' and NULL are refused");
}

static void test_find(void)
{
	struct lxm_error err = {};
	_cleanup_free_ char *path = NULL, *want = NULL;
	char msg[256];
	int r;

	setenv("LXM_TEMPLATEDIR", tmp, 1);
	r = lxm_template_find("missing", &path, &err);
	snprintf(msg, sizeof(msg), "template 'missing' not found in '%s'", tmp);
	ok(r == -ENOENT && streq(errtext(&err), msg), "missing template: %s", errtext(&err));

	write_script("lxm-noexec", "#!/bin/sh\n", 0644);
	r = lxm_template_find("noexec", &path, &err);
	ok(r == -EACCES, "non-executable template refused: %s", errtext(&err));

	r = lxm_template_find("../etc", &path, &err);
	ok(r == -EINVAL, "bad template name refused: %s", errtext(&err));

	write_script("lxm-good", "#!/bin/sh\nexit 0\n", 0755);
	r = lxm_template_find("good", &path, &err);
	want = lxm_strdup_printf("%s/lxm-good", tmp);
	ok(r == 0 && path && streq(path, want), "template found at '%s'", path ? path : "(null)");

	unsetenv("LXM_TEMPLATEDIR");
	free(path);
	path = NULL;
	r = lxm_template_find("surely-not-installed", &path, &err);
	snprintf(msg, sizeof(msg), "template 'surely-not-installed' not found in '%s'", LXM_DEFAULT_TEMPLATEDIR);
	ok(r == -ENOENT && streq(errtext(&err), msg), "default dir searched: %s", errtext(&err));
}

static void test_run(void)
{
	struct lxm_error err = {};
	struct lxm_template_result res = {};
	char *const extra[] = { (char *)"--ttys", (char *)"2", (char *)"with space", NULL };
	_cleanup_free_ char *path = NULL, *args = NULL, *env = NULL, *fds = NULL, *in = NULL, *want = NULL;
	char script[1024];
	int leak, r;

	/* An fd of ours without O_CLOEXEC must not reach the template. */
	leak = dup(STDOUT_FILENO);
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "cd \"$(dirname \"$0\")\"\n"
		 "for a in \"$@\"; do printf '%%s\\n' \"$a\"; done > args\n"
		 "tr '\\0' '\\n' < /proc/$$/environ | sort > env\n"
		 "if [ -e /proc/$$/fd/%d ]; then echo leaked; else echo clean; fi > fds\n"
		 "readlink /proc/$$/fd/0 > stdin\n"
		 "echo '# forwarded line from the template'\n"
		 "echo init=/sbin/init\n"
		 "echo halt_signal=SIGUSR2\n"
		 "echo reboot_signal=SIGTERM\n"
		 "echo '# other=value'\n"
		 "echo '# template stderr is ours' >&2\n",
		 leak);
	write_script("lxm-run", script, 0755);
	path = lxm_strdup_printf("%s/lxm-run", tmp);

	setenv("LXM_CACHEDIR", "/var/cache/test", 1);
	setenv("SECRET_VAR", "x", 1);
	setenv("http_proxy", "http://proxy:3128/", 1);
	setenv("NO_PROXY", "localhost", 1);
	r = lxm_template_run(path, "web1", "/var/lib/lxm/web1", "/var/lib/lxm/web1/rootfs", extra, -1, &res, &err);
	unsetenv("SECRET_VAR");
	unsetenv("http_proxy");
	unsetenv("NO_PROXY");
	unsetenv("LXM_CACHEDIR");
	close(leak);
	ok(r == 0, "template ran (%s)", r < 0 ? errtext(&err) : "ok");
	ok(res.init && streq(res.init, "/sbin/init"), "init hint read");
	ok(res.halt_signal && streq(res.halt_signal, "SIGUSR2"), "halt_signal hint read");
	ok(res.reboot_signal && streq(res.reboot_signal, "SIGTERM"), "reboot_signal hint read");
	lxm_template_result_free(&res);
	ok(!res.init && !res.halt_signal && !res.reboot_signal, "result freed and reset");

	args = read_at("args");
	ok(args && streq(args, "--name\nweb1\n--path\n/var/lib/lxm/web1\n--rootfs\n/var/lib/lxm/web1/rootfs\n"
				"--ttys\n2\nwith space\n"),
	   "argv is --name --path --rootfs then the extra args");
	env = read_at("env");
	want = lxm_strdup_printf("LANG=C\nLXM_CACHEDIR=/var/cache/test\nNO_PROXY=localhost\n%s\nhttp_proxy=http://proxy:3128/\n",
				 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	ok(env && streq(env, want), "environment is clean: PATH, LANG=C, LXM_CACHEDIR and the proxy variables");
	if (env && !streq(env, want))
		printf("#   got:\n%s", env);
	fds = read_at("fds");
	ok(fds && streq(fds, "clean\n"), "no fd of ours leaks into the template");
	in = read_at("stdin");
	ok(in && streq(in, "/dev/null\n"), "stdin is /dev/null");

	/* Without LXM_CACHEDIR it is not passed. */
	r = lxm_template_run(path, "web1", "/d", "/d/rootfs", NULL, -1, NULL, &err);
	free(env);
	env = read_at("env");
	ok(r == 0 && env && !strstr(env, "LXM_CACHEDIR"), "LXM_CACHEDIR only when set");
}

static bool under_valgrind(void)
{
	_cleanup_free_ char *maps = NULL;

	if (lxm_read_file_at(AT_FDCWD, "/proc/self/maps", &maps, NULL) < 0)
		return false;
	return strstr(maps, "vgpreload") != NULL;
}

static void test_failures(void)
{
	struct lxm_error err = {};
	struct lxm_template_result res = {};
	_cleanup_free_ char *p1 = NULL, *p2 = NULL, *p3 = NULL, *p4 = NULL;
	int r;

	write_script("lxm-fail", "#!/bin/sh\necho init=/sbin/init\nexit 3\n", 0755);
	p1 = lxm_strdup_printf("%s/lxm-fail", tmp);
	r = lxm_template_run(p1, "c", "/d", "/d/rootfs", NULL, -1, &res, &err);
	ok(r < 0 && streq(errtext(&err), "template 'fail' failed with exit status 3"), "exit status: %s",
	   errtext(&err));
	ok(!res.init, "no result on failure");

	write_script("lxm-killed", "#!/bin/sh\nkill -9 $$\n", 0755);
	p2 = lxm_strdup_printf("%s/lxm-killed", tmp);
	r = lxm_template_run(p2, "c", "/d", "/d/rootfs", NULL, -1, &res, &err);
	ok(r < 0 && streq(errtext(&err), "template 'killed' killed by signal 9"), "signal: %s", errtext(&err));

	write_script("lxm-badhint", "#!/bin/sh\necho init=sbin/init\n", 0755);
	p3 = lxm_strdup_printf("%s/lxm-badhint", tmp);
	r = lxm_template_run(p3, "c", "/d", "/d/rootfs", NULL, -1, &res, &err);
	ok(r == -EINVAL, "a relative init is refused: %s", errtext(&err));

	/* valgrind cannot survive a failed execve() in the child. */
	if (under_valgrind()) {
		ok(1, "# SKIP exec failure under valgrind");
		return;
	}
	write_script("lxm-badinterp", "#!/nonexistent/interpreter\n", 0755);
	p4 = lxm_strdup_printf("%s/lxm-badinterp", tmp);
	r = lxm_template_run(p4, "c", "/d", "/d/rootfs", NULL, -1, &res, &err);
	ok(r == -ENOENT && strstr(errtext(&err), "executing template"), "exec failure: %s", errtext(&err));
}

/* -h lists what lxm_template_find() would take, sorted */
static void test_list(void)
{
	struct lxm_error err = {};
	_cleanup_strv_ char **v = NULL;
	_cleanup_free_ char *dir = lxm_strdup_printf("%s/list", tmp);
	size_t n = 99;
	int r;

	if (mkdirat(tmpfd, "list", 0755) < 0 || mkdirat(tmpfd, "list/lxm-dir", 0755) < 0) {
		printf("# mkdir: %m\n");
		exit(1);
	}
	write_script("list/lxm-zeta", "#!/bin/sh\n", 0755);
	write_script("list/lxm-alpha", "#!/bin/sh\n", 0755);
	write_script("list/lxm-noexec", "#!/bin/sh\n", 0644);
	write_script("list/lxm-Upper", "#!/bin/sh\n", 0755);
	write_script("list/lxm-alpha~", "#!/bin/sh\n", 0755);
	write_script("list/lxm-", "#!/bin/sh\n", 0755);
	write_script("list/other", "#!/bin/sh\n", 0755);
	if (symlinkat("lxm-alpha", tmpfd, "list/lxm-link") < 0) {
		printf("# symlink: %m\n");
		exit(1);
	}
	setenv("LXM_TEMPLATEDIR", dir, 1);
	ok(streq(lxm_template_dir(), dir), "template dir from LXM_TEMPLATEDIR");
	r = lxm_template_list(&v, &n, &err);
	ok(r == 0 && n == 3 && streq(v[0], "alpha") && streq(v[1], "link") && streq(v[2], "zeta") && !v[3],
	   "listed: executables named lxm-NAME (a symlink to one too), sorted: %zu: %s %s %s", n,
	   n > 0 ? v[0] : "", n > 1 ? v[1] : "", n > 2 ? v[2] : "");
	lxm_strv_free(v, (size_t)-1);
	v = NULL;

	setenv("LXM_TEMPLATEDIR", "/nonexistent-template-dir", 1);
	r = lxm_template_list(&v, &n, &err);
	ok(r == -ENOENT && !v && n == 0 && streq(errtext(&err), "listing templates in '/nonexistent-template-dir': No such file or directory"),
	   "a missing template dir: %s", errtext(&err));
	unsetenv("LXM_TEMPLATEDIR");
	ok(streq(lxm_template_dir(), LXM_DEFAULT_TEMPLATEDIR), "default template dir without LXM_TEMPLATEDIR");
}

/* lxm-create -t T -h: the template's own --help, on our stdout */
static void test_help(void)
{
	struct lxm_error err = {};
	_cleanup_free_ char *path = lxm_strdup_printf("%s/lxm-helpful", tmp), *out = NULL;
	_cleanup_free_ char *bad = lxm_strdup_printf("%s/lxm-grumpy", tmp);
	int saved, fd, r;

	setenv("LXM_HELP_LEAK", "1", 1);
	write_script("lxm-helpful",
		     "#!/bin/sh\n[ \"$*\" = --help ] || exit 5\n[ -z \"$LXM_HELP_LEAK\" ] || exit 6\n"
		     "read x && exit 7\necho \"usage of helpful\"\n",
		     0755);
	write_script("lxm-grumpy", "#!/bin/sh\nexit 3\n", 0755);
	fd = openat(tmpfd, "help.out", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	saved = dup(STDOUT_FILENO);
	if (fd < 0 || saved < 0 || dup2(fd, STDOUT_FILENO) < 0) {
		printf("# redirecting stdout: %m\n");
		exit(1);
	}
	r = lxm_template_help(path, &err);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);
	out = read_at("help.out");
	ok(r == 0 && out && streq(out, "usage of helpful\n"),
	   "--help alone, clean environment, stdin at EOF, output on our stdout: %d %s", r, out ? out : "(none)");
	r = lxm_template_help(bad, &err);
	ok(r == -ECHILD && streq(errtext(&err), "template 'grumpy' --help failed with exit status 3"), "a failing --help: %s",
	   errtext(&err));
	unsetenv("LXM_HELP_LEAK");
}

int main(void)
{
	struct lxm_error err = {};
	int top, r;

	if (!mkdtemp(tmp)) {
		printf("# mkdtemp: %m\n");
		return 1;
	}
	tmpfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0)
		return 1;

	test_names();
	test_find();
	test_list();
	test_help();
	test_run();
	test_failures();

	top = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = top < 0 ? -errno : lxm_remove_tree_at(top, strrchr(tmp, '/') + 1, &err);
	if (top >= 0)
		close(top);
	ok(r == 0, "temp dir removed");
	close(tmpfd);
	return tap_done();
}
