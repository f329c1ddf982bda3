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

/* AppArmor's globs as the generated rules use them: "**" (anything;
 * after a '/' at least one character, not '/': so not the directory
 * itself),
 * "*" and "?" (not '/'), "[^...]" (one character, not '/', none of those;
 * "\\x" is x), "\\x" elsewhere, "{,**}" at the end (nothing or "**"). */
static bool glob_match(const char *g, const char *s)
{
	if (!*g)
		return !*s;
	if (streq(g, "{,**}"))
		return !*s || (*s != '/' && glob_match("**", s));
	if (g[0] == '/' && g[1] == '*' && g[2] == '*')
		return *s == '/' && s[1] && s[1] != '/' && glob_match(g + 1, s + 1);
	if (g[0] == '*' && g[1] == '*') {
		for (const char *t = s;; t++) {
			if (glob_match(g + 2, t))
				return true;
			if (!*t)
				return false;
		}
	}
	if (*g == '*') {
		for (const char *t = s;; t++) {
			if (glob_match(g + 1, t))
				return true;
			if (!*t || *t == '/')
				return false;
		}
	}
	if (!*s)
		return false;
	if (*g == '?')
		return *s != '/' && glob_match(g + 1, s + 1);
	if (g[0] == '[' && g[1] == '^') {
		const char *e = g + 2;
		bool hit = false;

		for (; *e && *e != ']'; e++) {
			if (*e == '\\' && e[1])
				e++;
			hit |= *e == *s;
		}
		return *e && *s != '/' && !hit && glob_match(e + 1, s + 1);
	}
	if (*g == '\\' && g[1])
		g++;
	return *g == *s && glob_match(g + 1, s + 1);
}

/* Whether a source path is matched by one of the rules "PREFIX GLOB -> **,"
 * in text. */
static bool source_allowed(const char *text, const char *prefix, const char *path)
{
	size_t plen = strlen(prefix);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t n = strcspn(l, "\n");
		char glob[256];
		const char *end;

		if (n <= plen || strncmp(l, prefix, plen) != 0)
			continue;
		end = strstr(l + plen, " -> **,");
		if (!end || end > l + n || (size_t)(end - l - plen) >= sizeof(glob))
			continue;
		snprintf(glob, sizeof(glob), "%.*s", (int)(end - l - plen), l + plen);
		if (glob_match(glob, path))
			return true;
	}
	return false;
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
		   has(deny, "  deny /p/h wl,\n") && has(deny, "  deny /p/h/{,**} wl,\n") &&
		   has(deny, "  deny /p/host[^n]** wl,\n") && has(deny, "  deny /p/hostname?** wl,\n") &&
		   has(deny, "  deny /p/sem?** wl,\n"), "deny_except covers every other name");
		ok(!strstr(deny, "deny /p/host wl") && !strstr(deny, "deny /p/hostname wl") &&
		   !strstr(deny, "deny /p/sem wl") && !strstr(deny, "/p/host/**"),
		   "and leaves the allowed names alone");
	}

	{
		_cleanup_free_ char *d = NULL;
		const char *const names[] = { "unit-root" };

		ok(lxm_apparmor_deny_except("/r", names, 1, &d) == 0 && has(d, "  deny /r/unit[^\\-]** wl,\n") &&
		   glob_match("/r/unit[^\\-]**", "/r/units") && !glob_match("/r/unit[^\\-]**", "/r/unit-root"),
		   "a '-' in a name is escaped in the class (not a range)");
		ok(glob_match("/p/[^hs]**", "/p/x/y") && !glob_match("/p/[^hs]**", "/p/h") &&
		   !glob_match("/p/[^hs]**", "/p//") && !glob_match("/p/**", "/p/") && glob_match("/p/**", "/p/x/") &&
		   !glob_match("/p?**", "/p/") && glob_match("/p/{,**}", "/p/") && glob_match("/p/{,**}", "/p/a/b"),
		   "the test's glob matcher");
	}

	r = lxm_apparmor_generate(lxm_apparmor_base, &spec, &plain);
	ok(r == 0 && plain, "the default profile is generated");
	ok(has(plain, "profile ") && has(plain, name) && has(plain, "flags=(attach_disconnected,mediate_deleted)"),
	   "it is named after the container");
	ok(has(plain, "deny /proc/sysrq-trigger rwklx,"), "writing /proc/sysrq-trigger is denied");
	ok(has(plain, "  deny /proc/irq/** wklx,\n") && has(plain, "  deny /proc/bus/** wklx,\n"),
	   "writing /proc/irq (IRQ affinity) and /proc/bus (PCI config space) is denied");
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
	/* a proc or sysfs at another path escapes the rules on /proc/sys
	 * and /sys (VM tier: test-apparmor.sh) */
	ok(plain && !strstr(plain, "/run/systemd/**") && !strstr(plain, "  pivot_root,\n") &&
	   !strstr(plain, "  mount options=(rw,bind),\n") && !strstr(plain, "  mount options=(rw,rbind),\n") &&
	   !strstr(plain, "  mount options=(rw,move),\n"),
	   "no proc or sysfs anywhere under /run/systemd, no pivot_root, no bind or move of anything");
	ok(has(plain, "  mount fstype=proc -> /run/systemd/unit-root/proc/,\n") &&
	   has(plain, "  mount fstype=sysfs -> /run/systemd/unit-root/sys/,\n") &&
	   has(plain, "  audit deny /run/systemd/unit-root/[^r]** rwklx,\n") &&
	   has(plain, "  audit deny /run/systemd/unit-root/run/[^s]** rwklx,\n") &&
	   has(plain, "  audit deny /run/systemd/unit-root/run/systemd/[^i]** rwklx,\n") &&
	   has(plain, "  audit deny /run/systemd/unit-root/run/systemd/incoming?** rwklx,\n") &&
	   has(plain, "  audit deny /run/systemd/unit-root/run/systemd/incoming/?** rwklx,\n"),
	   "proc and sysfs where systemd builds a service's namespace, and nothing under it may be read or written");
	ok(has(plain, "  mount options=(rw,rbind) / -> /run/systemd/unit-root/,\n") &&
	   has(plain, "  mount options=(rw,move) /run/systemd/unit-root/ -> /,\n") &&
	   has(plain, "  mount options=(rw,move) /tmp/namespace-dev-*/dev/ -> /run/systemd/unit-root/dev/,\n"),
	   "systemd's rbind of / onto unit-root, its /dev moved in, and the tree moved onto /");
	{
		/* sources systemd binds from (PrivateTmp=, ProtectHome=,
		 * PrivateDevices=, LoadCredential=), and others */
		static const char *const fine[] = {
			"/usr/", "/etc/", "/tmp/systemd-private-x-y/tmp/", "/var/tmp/x/", "/dev/pts/", "/dev/shm/",
			"/run/systemd/inaccessible/dir/", "/run/systemd/inaccessible/reg", "/run/credentials/x.service/",
			"/run/user/0/", "/run/systemd/unit-rootx/", "/run/systemd/unit/", "/run/systemdx/", "/runx/",
			"/procx/", "/p/", "/s", "/sy/x", "/sysx/", "/r/", "/home/proc/", "/srv/sys/",
		};
		/* where a proc or sysfs is, or may be mounted */
		static const char *const not[] = {
			"/", "/proc/", "/proc/sys/", "/proc/1/root/", "/sys/", "/sys/fs/cgroup/", "/run/", "/run/systemd/",
			"/run/systemd/unit-root/", "/run/systemd/unit-root/proc/", "/run/systemd/unit-root/run/",
		};
		const char *bad = NULL;

		for (size_t i = 0; i < ARRAY_SIZE(fine) && !bad; i++)
			if (!source_allowed(plain, "  mount options=(rw,bind) ", fine[i]) ||
			    !source_allowed(plain, "  mount options=(rw,rbind) ", fine[i]))
				bad = fine[i];
		ok(plain && !bad, "binds and rbinds from elsewhere are allowed to anywhere (%s)", bad ? bad : "all");
		bad = NULL;
		for (size_t i = 0; i < ARRAY_SIZE(not) && !bad; i++)
			if (source_allowed(plain, "  mount options=(rw,bind) ", not[i]) ||
			    source_allowed(plain, "  mount options=(rw,rbind) ", not[i]))
				bad = not[i];
		ok(plain && !bad, "no bind or rbind from /, /proc, /sys, /run, /run/systemd, unit-root to anywhere (%s)",
		   bad ? bad : "none");
		ok(has(plain, "  mount options=(rw,bind) /run/systemd/unit-root/?** -> /run/systemd/unit-root/?**,\n"),
		   "inside unit-root only onto unit-root");
	}
	{
		/* apparmor_parser makes a "remount,bind" rule allow a bind
		 * from anywhere onto its target too (VM tier) */
		const char *bad = NULL;
		size_t n = 0;

		for (const char *l = plain; l && *l && !bad; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			size_t len = strcspn(l, "\n");
			const char *want = " -> /run/systemd/unit-root/{,**},";

			if (!memmem(l, len, "remount", 7) || lxm_startswith(l, "  deny ") || lxm_startswith(l, "  #") ||
			    lxm_startswith(l, "  mount options=(ro,remount,bind,nosuid,nodev,noexec) -> /dev/shm/,"))
				continue;
			n++;
			if (len < strlen(want) || memcmp(l + len - strlen(want), want, strlen(want)) != 0 ||
			    !memmem(l, len, "remount,bind", 12))
				bad = l;
		}
		ok(n == 64 && !bad, "bind remounts (%zu rules) only under unit-root%s%.60s", n, bad ? ": " : "", bad ? bad : "");
		ok(has(plain, "  mount options=(ro,remount,bind,nosuid,nodev,noexec) -> /dev/shm/,\n") &&
		   has(plain, "  deny mount options=(rw,bind) -> /dev/shm/,\n") &&
		   has(plain, "  deny mount options=(rw,rbind) -> /dev/shm/,\n") &&
		   has(plain, "  mount options=(rw,move) /dev/shm/ -> /run/credentials/*/,\n"),
		   "and the read-only remount of /dev/shm that systemd's credentials need, with no bind onto it");
		ok(has(plain, "  mount options=(ro,remount,bind,nosuid,nodev,noexec,relatime) -> /run/systemd/unit-root/{,**},\n") &&
		   has(plain, "  mount options=(ro,remount,bind) -> /run/systemd/unit-root/{,**},\n") &&
		   has(plain, "  mount options=(rw,remount,bind) -> /run/systemd/unit-root/{,**},\n"),
		   "with the flags systemd keeps (nosuid, nodev, noexec, an atime mode)");
	}
	ok(!strstr(plain, "@@") && !strstr(plain, "##nesting"), "no template markers left");

	spec.nesting = true;
	r = lxm_apparmor_generate(lxm_apparmor_base, &spec, &nest);
	ok(r == 0 && has(nest, "  mount fstype=proc,\n") && has(nest, "change_profile -> lxm-*,"),
	   "the nesting profile allows proc anywhere and nested profiles");
	ok(nest && !strstr(nest, "  mount options=(rw,bind) /[^") && !strstr(nest, "-> /run/systemd/unit-root/?**,") &&
	   has(nest, "  mount options=(rw,bind),\n") && has(nest, "  pivot_root,\n"),
	   "and binds anything, pivot_root (nested containers), without the !nesting rules");
	ok(nest && has(nest, "  audit deny /run/systemd/unit-root/[^r]** rwklx,\n"), "unit-root stays out of reach with nesting too");
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
