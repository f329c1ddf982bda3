/* apparmor: profile text generation (pure) and, where apparmor_parser is
 * installed, that every generated profile compiles (-QTK: no kernel
 * needed). */
#include <fcntl.h>
#include <sys/stat.h>

#include "apparmor.h"
#include "tap.h"

static bool has(const char *text, const char *s)
{
	bool r = text && strstr(text, s) != NULL;

	if (!r)
		printf("#   missing: %s\n", s);
	return r;
}

static int compiles(const char *text, const char *what)
{
	char path[] = "/tmp/lxm-test-aa.XXXXXX";
	int fd = mkstemp(path), r;

	if (fd < 0)
		return -1;
	r = lxm_write_full(fd, text, strlen(text));
	close(fd);
	if (r == 0)
		r = lxm_apparmor_compile_check(path);
	if (r != 0)
		printf("#   %s: apparmor_parser status %d (profile kept in %s)\n", what, r, path);
	else
		unlink(path);
	return r;
}

static bool parser_available(void)
{
	return access("/usr/sbin/apparmor_parser", X_OK) == 0 || access("/sbin/apparmor_parser", X_OK) == 0;
}

int main(void)
{
	_cleanup_free_ char *name = lxm_apparmor_profile_name("web1", "/var/lib/lxm/web1");
	_cleanup_free_ char *name2 = lxm_apparmor_profile_name("web1", "/tmp/other/web1");
	_cleanup_free_ char *plain = NULL, *nest = NULL, *mounts = NULL, *deny = NULL, *q = NULL;
	char *ro[] = { "/srv/data", "srv/with space/", "/odd[dir]*" };
	struct lxm_apparmor_spec spec = { .profile = name };
	struct lxm_error err = { 0 };
	_cleanup_free_ char *prof = NULL;
	int r;

	ok(name && lxm_startswith(name, "lxm-web1_") && strlen(name) == strlen("lxm-web1_") + 8,
	   "profile name lxm-NAME_HASH (%s)", name ? name : "-");
	ok(name && name2 && !streq(name, name2), "the same name under another lxmpath gets another profile");

	ok(lxm_apparmor_mode("generated") == LXM_APPARMOR_GENERATED, "mode generated");
	ok(lxm_apparmor_mode("unconfined") == LXM_APPARMOR_UNCONFINED, "mode unconfined");
	ok(lxm_apparmor_mode("my-profile") == LXM_APPARMOR_NAMED, "mode named");

	r = lxm_apparmor_exec_profile("generated", "web1", "/var/lib/lxm/web1", false, &prof, &err);
	ok(r == 0 && prof == NULL, "generated without AppArmor: no profile, no error");
	r = lxm_apparmor_exec_profile("generated", "web1", "/var/lib/lxm/web1", true, &prof, &err);
	ok(r == 0 && prof && streq(prof, name), "generated with AppArmor: the generated profile");
	free(prof);
	prof = NULL;
	r = lxm_apparmor_exec_profile("unconfined", "web1", "/d", true, &prof, &err);
	ok(r == 0 && prof == NULL, "unconfined: nothing to switch to");
	r = lxm_apparmor_exec_profile("my-profile", "web1", "/d", false, &prof, &err);
	ok(r == -EOPNOTSUPP && strstr(err.msg, "AppArmor profile 'my-profile': AppArmor is not enabled on this host"),
	   "a named profile without AppArmor is an error (%s)", err.msg);
	r = lxm_apparmor_exec_profile("my-profile", "web1", "/d", true, &prof, &err);
	ok(r == 0 && prof && streq(prof, "my-profile"), "a named profile with AppArmor");
	free(prof);
	prof = NULL;

	q = lxm_apparmor_quote("/a b/\"c\"*[x]");
	ok(q && streq(q, "\"/a b/\\\"c\\\"\\*\\[x\\]\""), "paths are quoted and globs escaped (%s)", q ? q : "-");
	ok(lxm_apparmor_quote("/a\nb") == NULL, "control characters cannot be expressed");

	{
		const char *const names[] = { "hostname", "host", "sem" };
		r = lxm_apparmor_deny_except("/p", names, 3, &deny);
		ok(r == 0, "deny_except");
		ok(has(deny, "  deny /p/[^hs]** wl,\n") && has(deny, "  deny /p/h[^o]** wl,\n") &&
		   has(deny, "  deny /p/h wl,\n") && has(deny, "  deny /p/h/** wl,\n") &&
		   has(deny, "  deny /p/host[^n]** wl,\n") && has(deny, "  deny /p/hostname?** wl,\n") &&
		   has(deny, "  deny /p/sem?** wl,\n"), "deny_except covers every other name");
		ok(!strstr(deny, "deny /p/host wl") && !strstr(deny, "deny /p/hostname wl") &&
		   !strstr(deny, "deny /p/sem wl") && !strstr(deny, "/p/host/**"),
		   "and leaves the allowed names alone");
	}

	r = lxm_apparmor_generate(lxm_apparmor_base, &spec, &plain);
	ok(r == 0 && plain, "the default profile is generated");
	ok(has(plain, "profile ") && has(plain, name) && has(plain, "flags=(attach_disconnected,mediate_deleted)"),
	   "it is named after the container");
	ok(has(plain, "deny /proc/sysrq-trigger rwklx,"), "writing /proc/sysrq-trigger is denied");
	ok(has(plain, "deny /proc/sys/kernel/[^") && has(plain, "deny /proc/sys/[^kn]** wl,"),
	   "writes under /proc/sys/kernel and /proc/sys are denied");
	ok(!strstr(plain, "deny /proc/sys/kernel/hostname wl") && !strstr(plain, "deny /proc/sys/net/"),
	   "except the namespaced entries");
	ok(has(plain, "deny /sys/firmware/** rwklx,") && has(plain, "deny /sys/kernel/security/** rwklx,"),
	   "/sys/firmware and /sys/kernel/security are denied");
	ok(has(plain, "deny /dev/{sd,vd,hd,xvd,nvme,mmcblk,dm-,md,loop,nbd,zram,sr}* rwklx,"),
	   "raw block devices are denied");
	ok(has(plain, "mount fstype=cgroup2 -> /sys/fs/cgroup/**,") && has(plain, "mount fstype=proc -> /proc/,"),
	   "mounts a systemd guest needs");
	ok(!strstr(plain, "change_profile") && !strstr(plain, "  mount fstype=proc,\n"), "no nesting rules");
	ok(!strstr(plain, "@@") && !strstr(plain, "##nesting"), "no template markers left");

	spec.nesting = true;
	r = lxm_apparmor_generate(lxm_apparmor_base, &spec, &nest);
	ok(r == 0 && has(nest, "  mount fstype=proc,\n") && has(nest, "change_profile -> lxm-*,"),
	   "the nesting profile allows proc anywhere and nested profiles");
	ok(nest && !strstr(nest, "deny mount fstype=proc -> /var/lib/**"), "and drops the !nesting block");
	ok(nest && has(nest, "deny /dev/.lxm/proc/** rwklx,") && has(nest, "deny /dev/.lxm/sys/** rwklx,") &&
	   plain && !strstr(plain, "/dev/.lxm/"),
	   "the nesting profile denies the clean proc and sysfs that nesting mounts at /dev/.lxm");
	/* the old "options=(rprivate)" rules never matched the kernel's
	 * "rw, rprivate" on "/" (AppArmor: "failed flags match", VM tier) */
	ok(plain && has(plain, "mount options=(rw,make-rprivate) -> **,") && has(plain, "mount options=(rw,make-rslave) -> **,"),
	   "propagation changes are allowed in the form the kernel matches");

	spec.nesting = false;
	spec.ro_mounts = ro;
	spec.n_ro_mounts = ARRAY_SIZE(ro);
	r = lxm_apparmor_generate(lxm_apparmor_base, &spec, &mounts);
	ok(r == 0 && has(mounts, "-> \"/srv/data/\",") && has(mounts, "-> \"/srv/with space/\",") &&
	   has(mounts, "-> \"/odd\\[dir\\]\\*/\","), "read-only user mounts stay read-only");

	spec.profile = "bad name";
	ok(lxm_apparmor_generate(lxm_apparmor_base, &spec, &prof) == -EINVAL, "a profile name with a space is refused");
	spec.profile = name;
	ok(lxm_apparmor_generate("profile @@PROFILE@@ {\n##nesting\n}\n", &spec, &prof) == -EINVAL,
	   "an unterminated ##nesting block is refused");

	if (!parser_available()) {
		printf("ok %d # SKIP apparmor_parser not installed\n", ++tap_n);
		printf("ok %d # SKIP apparmor_parser not installed\n", ++tap_n);
		printf("ok %d # SKIP apparmor_parser not installed\n", ++tap_n);
	} else {
		ok(plain && compiles(plain, "default") == 0, "the default profile compiles (apparmor_parser -QTK)");
		ok(nest && compiles(nest, "nesting") == 0, "the nesting profile compiles");
		ok(mounts && compiles(mounts, "mounts") == 0, "the profile with user mounts compiles");
		{
			/* a profile the parser refuses: its own words in the
			 * error, not only its exit status */
			char dir[] = "/tmp/lxm-test-aa-load.XXXXXX", marker[64], cmd[96];
			if (mkdtemp(dir)) {
				lxm_error_clear(&err);
				snprintf(marker, sizeof(marker), "%s/marker", dir);
				ok(lxm_apparmor_load(dir, marker, "lxm-t", "profile lxm-t {\n  bogus_rule_x,\n}\n", &err) == -EINVAL &&
				   strstr(err.msg, "compiling AppArmor profile '") && !strstr(err.msg, "exited with status") &&
				   strstr(err.msg, "at line 2:"),
				   "a profile the parser refuses: its message in the error: %s", err.msg);
				snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
				ok(system(cmd) == 0, "clean up");
			}
		}
	}
	return tap_done();
}
