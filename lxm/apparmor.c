#include <fcntl.h>
#include <spawn.h>
#include <sys/apparmor.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "apparmor.h"
#include "destroy.h"
#include "log.h"

/* generated from config/apparmor/lxm-base by the build */
const char lxm_apparmor_base[] =
#include "lxm/apparmor-base.inc"
	;

#define AA_SECURITYFS "/sys/kernel/security/apparmor"
#define AA_PARSER "apparmor_parser"

extern char **environ;

enum lxm_apparmor_mode lxm_apparmor_mode(const char *setting)
{
	if (!setting || streq(setting, "generated"))
		return LXM_APPARMOR_GENERATED;
	if (streq(setting, "unconfined"))
		return LXM_APPARMOR_UNCONFINED;
	return LXM_APPARMOR_NAMED;
}

char *lxm_apparmor_profile_name(const char *name, const char *dir)
{
	uint32_t h = 2166136261U;  /* FNV-1a */

	for (const char *p = dir ? dir : ""; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619U;
	return lxm_strdup_printf("lxm-%s_%08x", name, h);
}

static int appendf(char **buf, const char *fmt, ...) _printf_(2, 3);
static int appendf(char **buf, const char *fmt, ...)
{
	size_t old = *buf ? strlen(*buf) : 0;
	va_list ap;
	char *nb;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	nb = realloc(*buf, old + (size_t)n + 1);
	if (!nb)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(nb + old, (size_t)n + 1, fmt, ap);
	va_end(ap);
	*buf = nb;
	return 0;
}

char *lxm_apparmor_quote(const char *path)
{
	size_t len = strlen(path);
	char *out = malloc(2 * len + 3), *o = out;

	if (!out)
		return NULL;
	*o++ = '"';
	for (const char *p = path; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			free(out);
			return NULL;
		}
		if (strchr("\"\\*?[]{}^@", *p))
			*o++ = '\\';
		*o++ = *p;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static bool name_ok_profile(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || strchr("\"\\{}[]*?^,#", *s))
			return false;
	return true;
}

/* Every string under dir that is not an allowed entry (or inside one) is
 * matched by one glob: for each prefix p of an allowed name, "p" followed
 * by a character no allowed name continues p with, and (when p is not a
 * name itself) p alone and p as a directory with its subtree. "[^...]"
 * never matches '/'. Each
 * glob is written as one rule: pre, the glob, post. */
static int globs_except(const char *dir, const char *const *allowed, size_t n, const char *pre,
			const char *post, char **buf)
{
	for (size_t i = 0; i < n; i++)
		if (!name_ok(allowed[i]))
			return -EINVAL;
	if (n == 0)
		return appendf(buf, "%s%s/**%s\n", pre, dir, post);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(allowed[i]);

		for (size_t k = 0; k <= len; k++) {
			const char *p = allowed[i];
			char children[128] = "";
			size_t nc = 0;
			bool is_name = false, seen = false;
			int r;

			/* each distinct prefix once: at its first owner */
			for (size_t j = 0; j < i && !seen; j++)
				seen = strlen(allowed[j]) >= k && strncmp(allowed[j], p, k) == 0;
			if (seen)
				continue;
			for (size_t j = 0; j < n; j++) {
				size_t lj = strlen(allowed[j]);
				char c;

				if (lj < k || strncmp(allowed[j], p, k) != 0)
					continue;
				if (lj == k) {
					is_name = true;
					continue;
				}
				c = allowed[j][k];
				if (memchr(children, c, nc) || nc >= sizeof(children) - 2)
					continue;
				/* '-' would make a range in a class */
				if (c == '-')
					children[nc++] = '\\';
				children[nc++] = c;
				children[nc] = '\0';
			}
			if (nc)
				r = appendf(buf, "%s%s/%.*s[^%s]**%s\n", pre, dir, (int)k, p, children, post);
			else
				r = appendf(buf, "%s%s/%.*s?**%s\n", pre, dir, (int)k, p, post);
			if (r < 0)
				return r;
			if (k > 0 && !is_name) {
				r = appendf(buf, "%s%s/%.*s%s\n%s%s/%.*s/{,**}%s\n", pre, dir, (int)k, p, post,
					    pre, dir, (int)k, p, post);
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

int lxm_apparmor_deny_except(const char *dir, const char *const *allowed, size_t n, char **buf)
{
	return globs_except(dir, allowed, n, "  deny ", " wl,", buf);
}

/* What the kernel namespaces: UTS, IPC and PID entries of
 * /proc/sys/kernel; the network namespace's /proc/sys/net. */
static const char *const proc_sys_ok[] = { "kernel", "net" };
static const char *const proc_sys_kernel_ok[] = {
	"hostname", "domainname", "shmmax", "shmall", "shmmni", "shm_rmid_forced",
	"msgmax", "msgmnb", "msgmni", "sem", "ns_last_pid",
};
/* systemd writes its cgroups; networkd its interfaces' settings */
static const char *const sys_ok[] = { "fs", "devices" };
static const char *const sys_fs_ok[] = { "cgroup" };
static const char *const sys_devices_ok[] = { "virtual" };
static const char *const sys_devices_virtual_ok[] = { "net" };

/* Where systemd (252) builds a unit's mount namespace: every path below
 * but run/systemd/incoming (and what leads there). */
static const struct {
	const char *dir;
	const char *keep;
} unit_root[] = {
	{ "/run/systemd/unit-root", "run" },
	{ "/run/systemd/unit-root/run", "systemd" },
	{ "/run/systemd/unit-root/run/systemd", "incoming" },
};

/* Without nesting, bind mounts from anywhere but these (a proc or sysfs
 * is mounted there or under it, or may be): "/" itself, /proc, /sys, and
 * /run, /run/systemd themselves and /run/systemd/unit-root (lxm-base has
 * the few binds into unit-root that systemd makes). */
static const struct {
	const char *dir;
	const char *const *not;
	size_t n;
} bind_sources[] = {
	{ "", (const char *const[]){ "proc", "sys", "run" }, 3 },
	{ "/run", (const char *const[]){ "systemd" }, 1 },
	{ "/run/systemd", (const char *const[]){ "unit-root" }, 1 },
};

static int generated_rules(const struct lxm_apparmor_spec *spec, char **buf)
{
	static const struct {
		const char *dir;
		const char *const *ok;
		size_t n;
	} trees[] = {
		{ "/proc/sys", proc_sys_ok, ARRAY_SIZE(proc_sys_ok) },
		{ "/proc/sys/kernel", proc_sys_kernel_ok, ARRAY_SIZE(proc_sys_kernel_ok) },
		{ "/sys", sys_ok, ARRAY_SIZE(sys_ok) },
		{ "/sys/fs", sys_fs_ok, ARRAY_SIZE(sys_fs_ok) },
		{ "/sys/devices", sys_devices_ok, ARRAY_SIZE(sys_devices_ok) },
		{ "/sys/devices/virtual", sys_devices_virtual_ok, ARRAY_SIZE(sys_devices_virtual_ok) },
	};
	int r;

	for (size_t t = 0; t < ARRAY_SIZE(trees); t++) {
		r = appendf(buf, "  # writes under %s only to namespaced entries\n", trees[t].dir);
		if (r < 0)
			return r;
		r = lxm_apparmor_deny_except(trees[t].dir, trees[t].ok, trees[t].n, buf);
		if (r < 0)
			return r;
	}
	if (!spec->nesting) {
		/* apparmor_parser (3.0) makes each "remount,bind" rule allow a
		 * plain bind mount from anywhere onto its targets too (seen in
		 * the VM tier): so only where nothing can be read or written;
		 * systemd remounts there before it moves the tree onto "/".
		 * (a glob "dir/" followed by two stars is not "dir/" itself.)
		 * Every set of flags spelled out ("options in" would allow
		 * subsets without remount or bind: a superblock remount). */
		static const char *const atime[] = { "", ",relatime", ",noatime", ",strictatime" };

		r = appendf(buf, "  # bind remounts: only under /run/systemd/unit-root\n");
		for (unsigned m = 0; r >= 0 && m < 2 * 8 * ARRAY_SIZE(atime); m++) {
			unsigned f = m / 2 % 8;

			r = appendf(buf, "  mount options=(%s,remount,bind%s%s%s%s) -> /run/systemd/unit-root/{,**},\n",
				    m % 2 ? "rw" : "ro", f & 1 ? ",nosuid" : "", f & 2 ? ",nodev" : "",
				    f & 4 ? ",noexec" : "", atime[m / 16]);
		}
		if (r < 0)
			return r;
		r = appendf(buf, "  # bind mounts: not of /, /proc, /sys, nor what holds /run/systemd/unit-root\n");
		if (r < 0)
			return r;
		for (size_t b = 0; b < ARRAY_SIZE(bind_sources); b++) {
			static const char *const binds[] = { "  mount options=(rw,bind) ", "  mount options=(rw,rbind) " };

			for (size_t k = 0; k < ARRAY_SIZE(binds); k++) {
				r = globs_except(bind_sources[b].dir, bind_sources[b].not, bind_sources[b].n, binds[k],
						 " -> **,", buf);
				if (r < 0)
					return r;
			}
		}
	}
	/* Nothing under unit-root but the one mount point systemd creates
	 * there (for every unit: "systemctl bind" propagation); audited, so
	 * that a denial systemd meets shows in the log. */
	r = appendf(buf, "  # nothing under /run/systemd/unit-root but creating run/systemd/incoming\n");
	for (size_t u = 0; r >= 0 && u < ARRAY_SIZE(unit_root); u++)
		r = globs_except(unit_root[u].dir, &unit_root[u].keep, 1, "  audit deny ", " rwklx,", buf);
	if (r >= 0)
		r = appendf(buf, "  audit deny /run/systemd/unit-root/run/systemd/incoming/?** rwklx,\n");
	if (r < 0)
		return r;
	for (size_t i = 0; i < spec->n_ro_mounts; i++) {
		const char *t = spec->ro_mounts[i];
		_cleanup_free_ char *q = NULL;
		size_t len;

		while (*t == '/')
			t++;
		len = strlen(t);
		while (len && t[len - 1] == '/')
			len--;
		{
			_cleanup_free_ char *path = lxm_strdup_printf("/%.*s/", (int)len, t);
			if (!path)
				return -ENOMEM;
			q = lxm_apparmor_quote(path);
		}
		if (!q)
			return -EINVAL;
		r = appendf(buf, "  # read-only user mount: stays read-only\n"
			    "  deny mount options in (rw,remount,bind,nosuid,nodev,noexec,relatime,noatime) -> %s,\n", q);
		if (r < 0)
			return r;
	}
	return 0;
}

int lxm_apparmor_generate(const char *base, const struct lxm_apparmor_spec *spec, char **ret)
{
	_cleanup_free_ char *out = NULL, *gen = NULL;
	_cleanup_free_ char *copy = strdup(base);
	enum { ALL, NEST, NONEST } block = ALL;
	char *line, *next;
	int r;

	if (!copy)
		return -ENOMEM;
	if (!spec->profile || !name_ok_profile(spec->profile))
		return -EINVAL;
	r = generated_rules(spec, &gen);
	if (r < 0)
		return r;
	for (line = copy; line; line = next) {
		char *at;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else if (!*line)
			break;
		if (streq(line, "##nesting")) {
			block = NEST;
			continue;
		}
		if (streq(line, "##!nesting")) {
			block = NONEST;
			continue;
		}
		if (streq(line, "##end")) {
			block = ALL;
			continue;
		}
		if ((block == NEST && !spec->nesting) || (block == NONEST && spec->nesting))
			continue;
		/* the base file's own documentation stays out of the profile */
		if (line[0] == '#' && !lxm_startswith(line, "#include"))
			continue;
		if (streq(line, "@@GENERATED@@")) {
			r = appendf(&out, "%s", gen ? gen : "");
		} else if ((at = strstr(line, "@@PROFILE@@"))) {
			r = appendf(&out, "%.*s%s%s\n", (int)(at - line), line, spec->profile, at + 11);
		} else {
			r = appendf(&out, "%s\n", line);
		}
		if (r < 0)
			return r;
	}
	if (block != ALL)
		return -EINVAL;
	*ret = TAKE_PTR(out);
	return 0;
}

bool lxm_apparmor_enabled(void)
{
	struct stat st;

	if (stat(AA_SECURITYFS, &st) < 0)
		return false;
	return aa_is_enabled() == 1;
}

int lxm_apparmor_exec_profile(const char *setting, const char *name, const char *dir,
			      bool enabled, char **ret, struct lxm_error *err)
{
	*ret = NULL;
	switch (lxm_apparmor_mode(setting)) {
	case LXM_APPARMOR_GENERATED:
		if (!enabled)
			return 0;
		*ret = lxm_apparmor_profile_name(name, dir);
		break;
	case LXM_APPARMOR_UNCONFINED:
		return 0;
	case LXM_APPARMOR_NAMED:
	default:
		if (!enabled)
			return lxm_error_setr(err, EOPNOTSUPP,
					      "AppArmor profile '%s': AppArmor is not enabled on this host", setting);
		*ret = strdup(setting);
		break;
	}
	if (!*ret)
		return lxm_error_set(err, ENOMEM, "AppArmor");
	return 0;
}

/* Run the parser; its exit status (128+N for a signal), its first line of
 * stderr in why (what it found wrong in the profile). */
static int run_parser(char *const argv[], char *why, size_t why_size)
{
	posix_spawn_file_actions_t fa;
	_cleanup_close_ int rd = -1;
	char buf[4096];
	size_t len = 0;
	int fds[2], status, r;
	pid_t pid;

	why[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	rd = fds[0];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (r)
		return -r;
	/* all of it, so that the parser never blocks on a full pipe; what
	 * does not fit is dropped */
	for (;;) {
		char scratch[512];
		bool room = len < sizeof(buf) - 1;
		ssize_t n = room ? read(rd, buf + len, sizeof(buf) - 1 - len) : read(rd, scratch, sizeof(scratch));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (room)
			len += (size_t)n;
	}
	buf[len] = '\0';
	/* the line that says what is wrong ("AppArmor parser error for ...
	 * at line 2: ..."), past notes such as the missing kernel interface;
	 * else the last one */
	for (char *line = buf, *nl; *line; line = nl) {
		size_t n = strcspn(line, "\n");

		nl = line + n + (line[n] ? 1 : 0);
		if (!n)
			continue;
		snprintf(why, why_size, "%.*s", (int)n, line);
		if (memmem(line, n, "rror", 4))
			break;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* The files of a generated profile in <dir>/apparmor: its source, what
 * apparmor_parser compiled from it, and what that is valid for (the
 * stamp: boot id, parser). */
#define AA_SRC "profile"
#define AA_BIN "profile.bin"
#define AA_STAMP "profile.bin.stamp"
#define AA_BIN_MAX (64u << 20)

/* What profile.bin is valid for, besides its source's text: this boot
 * (the kernel's features), the parser that compiled it, its config and
 * the abi file the profile names. NULL: keep nothing. */
static char *stamp_text(void)
{
	char boot[64], parser[128] = "-", conf[128], abi[128];
	const char *path = getenv("PATH");

	if (lxm_boot_id(boot) < 0)
		return NULL;
	/* the parser posix_spawnp() finds */
	for (const char *p = path && *path ? path : "/usr/sbin:/usr/bin:/sbin:/bin"; *p && streq(parser, "-");) {
		size_t n = strcspn(p, ":");
		_cleanup_free_ char *f = lxm_strdup_printf("%.*s/" AA_PARSER, (int)n, p);

		if (f && n && access(f, X_OK) == 0)
			lxm_file_ident(f, parser, sizeof(parser));
		p += n + (p[n] == ':');
	}
	lxm_file_ident("/etc/apparmor/parser.conf", conf, sizeof(conf));
	lxm_file_ident("/etc/apparmor.d/abi/3.0", abi, sizeof(abi));
	return lxm_strdup_printf("boot %s\nparser %s\nconf %s\nabi %s\n", boot, parser, conf, abi);
}

/* The compiled policy into the kernel: one write of the whole of it, as
 * the kernel wants (a profile of that name is replaced). Only a file of
 * ours that nobody else may write. */
static int load_compiled(int aafd)
{
	struct stat st;
	_cleanup_close_ int fd = lxm_open_ours_at(aafd, AA_BIN, O_RDONLY | O_NONBLOCK, 0022, &st);
	_cleanup_free_ char *buf = NULL;
	ssize_t n;

	if (fd < 0)
		return fd;
	if (st.st_size <= 0 || (uint64_t)st.st_size > AA_BIN_MAX)
		return -EINVAL;
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return -ENOMEM;
	n = lxm_read_full(fd, buf, (size_t)st.st_size);
	if (n < 0)
		return (int)n;
	if ((size_t)n != (size_t)st.st_size)
		return -EIO;
	return lxm_write_file_at(AT_FDCWD, AA_SECURITYFS "/.replace", buf, (size_t)n, 0, 0);
}

/* The source goes to <dir>/apparmor/profile, rewritten only when its text
 * changed; apparmor_parser compiles it into profile.bin (against this
 * kernel's features), which lxm loads by writing it to the kernel itself.
 * Once loaded, profile.bin.stamp gets this boot's id and the identity of
 * the parser, its config and the abi file: a later start with the same
 * text and stamp loads profile.bin again without running the parser (a
 * fork and exec of it, ~2 ms on a fast host, more than 100 ms under
 * emulation; a compile costs ~60 ms, seconds on a slow host). A new boot
 * (the kernel's features may differ), a changed text or parser compiles
 * again; so does a compiled file the kernel refuses. The stamp
 * is removed before anything changes and written last: a start
 * interrupted halfway leaves none. (An older lxm had apparmor_parser keep
 * its own cache in apparmor/cache: removed at the first compile.)
 * The marker in the runtime dir (the profile's name) is written before
 * anything: what tells the stop to unload it, even when the load failed
 * halfway. */
int lxm_apparmor_load(const char *dir, const char *marker, const char *profile, const char *text,
		      struct lxm_error *err)
{
	_cleanup_free_ char *aadir = lxm_strdup_printf("%s/apparmor", dir);
	_cleanup_free_ char *src = lxm_strdup_printf("%s/apparmor/" AA_SRC, dir);
	_cleanup_free_ char *bin = lxm_strdup_printf("%s/apparmor/" AA_BIN, dir);
	_cleanup_free_ char *old = NULL, *stamp = NULL, *want = NULL;
	_cleanup_close_ int aafd = -1;
	size_t len = strlen(text), old_len = 0;
	bool same;
	int r;

	if (!aadir || !src || !bin)
		return lxm_error_set(err, ENOMEM, "AppArmor profile '%s'", profile);
	r = lxm_write_file_at(AT_FDCWD, marker, profile, strlen(profile), O_CREAT | O_TRUNC, 0600);
	if (r < 0)
		return lxm_error_set(err, -r, "writing '%s'", marker);
	if (mkdir(aadir, 0700) < 0 && errno != EEXIST)
		return lxm_error_set(err, errno, "creating '%s'", aadir);
	aafd = open(aadir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (aafd < 0)
		return lxm_error_set(err, errno, "opening '%s'", aadir);
	want = stamp_text();   /* NULL: no reuse, compile every time */

	same = lxm_read_file_at(aafd, AA_SRC, &old, &old_len) == 0 && old_len == len && memcmp(old, text, len) == 0;
	if (same && want && lxm_read_file_at(aafd, AA_STAMP, &stamp, NULL) == 0 && streq(stamp, want)) {
		r = load_compiled(aafd);
		if (r == 0) {
			log_debug("AppArmor profile '%s' loaded from '%s'", profile, bin);
			return 0;
		}
		log_debug("loading '%s': %s; compiling the profile again", bin, strerror(-r));
	}
	if (unlinkat(aafd, AA_STAMP, 0) < 0 && errno != ENOENT)
		return lxm_error_set(err, errno, "removing '%s/" AA_STAMP "'", aadir);
	if (!same) {
		r = lxm_write_file_replace_at(aafd, AA_SRC, text, len, 0600);
		if (r < 0)
			return lxm_error_set(err, -r, "writing AppArmor profile '%s'", src);
	}
	{
		_cleanup_free_ char *tmp = lxm_strdup_printf("%s.tmp", bin);
		char *argv[] = { AA_PARSER, "-Q", "-K", "-q", "-o", tmp, src, NULL };
		char why[512];

		if (!tmp)
			return lxm_error_set(err, ENOMEM, "AppArmor profile '%s'", profile);
		/* the parser opens its output by path: nothing may be there */
		if (unlinkat(aafd, AA_BIN ".tmp", 0) < 0 && errno != ENOENT)
			return lxm_error_set(err, errno, "removing '%s'", tmp);
		r = run_parser(argv, why, sizeof(why));
		if (r == 0 && renameat(aafd, AA_BIN ".tmp", aafd, AA_BIN) < 0)
			r = lxm_error_set(err, errno, "renaming '%s'", tmp);
		else if (r < 0)
			r = lxm_error_set(err, -r, "running '%s'", AA_PARSER);
		else if (r > 0 && why[0])
			r = lxm_error_setr(err, EINVAL, "compiling AppArmor profile '%s': %s", src, why);
		else if (r > 0)
			r = lxm_error_setr(err, EINVAL, "compiling AppArmor profile '%s': %s exited with status %d",
					   src, AA_PARSER, r);
		if (r < 0) {
			(void)unlinkat(aafd, AA_BIN ".tmp", 0);
			return r;
		}
	}
	if (faccessat(aafd, "cache", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		struct lxm_error e = { 0 };
		char why[LXM_ERROR_MSG_MAX + 64];

		if (lxm_remove_tree_at(aafd, "cache", &e) < 0)
			log_debug("removing the old '%s/cache': %s, ignoring", aadir,
				  lxm_error_text(&e, why, sizeof(why)));
	}
	r = load_compiled(aafd);
	if (r < 0)
		return lxm_error_set(err, -r, "loading AppArmor profile '%s' (%s) into the kernel", profile, bin);
	if (want) {
		r = lxm_write_file_replace_at(aafd, AA_STAMP, want, strlen(want), 0600);
		if (r < 0)
			log_debug("writing '%s/" AA_STAMP "': %s, ignoring", aadir, strerror(-r));
	}
	return 0;
}

int lxm_apparmor_unload(const char *profile, struct lxm_error *err)
{
	int r = lxm_write_file_at(AT_FDCWD, AA_SECURITYFS "/.remove", profile, strlen(profile), 0, 0);

	if (r < 0 && r != -ENOENT)
		return lxm_error_set(err, -r, "unloading AppArmor profile '%s'", profile);
	return 0;
}

#define AA_FEATURES_FILE "/usr/share/apparmor-features/features"

int lxm_apparmor_compile_check(const char *path)
{
	/* without a kernel to ask, compile against Debian's feature set, so
	 * the check costs what a real load would (mount rules included) */
	char *with_features[] = { AA_PARSER, "-QTK", "-M", AA_FEATURES_FILE, "-o", "/dev/null", (char *)path, NULL };
	char *plain[] = { AA_PARSER, "-QTK", "-o", "/dev/null", (char *)path, NULL };

	char why[512];
	int r = run_parser(access(AA_FEATURES_FILE, R_OK) == 0 ? with_features : plain, why, sizeof(why));

	if (r != 0)
		log_debug("apparmor: compiling '%s': %s", path, why[0] ? why : "(no message)");
	return r;
}

int lxm_apparmor_change_onexec(const char *profile, struct lxm_error *err)
{
	if (!profile)
		return 0;
	if (aa_change_onexec(profile) < 0)
		return lxm_error_set(err, errno, "switching to AppArmor profile '%s' on exec", profile);
	return 0;
}

void lxm_apparmor_release(const char *file, const char *name, const char *dir)
{
	struct lxm_error err = { 0 };
	bool had_file = file && unlink(file) == 0;

	if (had_file && lxm_apparmor_enabled()) {
		_cleanup_free_ char *profile = lxm_apparmor_profile_name(name, dir);

		if (profile && lxm_apparmor_unload(profile, &err) < 0)
			log_debug("%s, ignoring", err.msg);
	}
}
