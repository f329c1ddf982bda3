/* Archive import safety (hostile tarballs built in memory), sparse files,
 * init detection, directory copies, export round trip. No root needed. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "archive.h"
#include "copy.h"
#include "destroy.h"
#include "tap.h"
#include "util.h"

struct ent {
	const char *path;
	char type;                 /* f file, d dir, l symlink, h hardlink, c chardev, z sparse zeros */
	const char *data;          /* file content, link target */
	unsigned mode;
	size_t zeros;              /* 'z': this many zero bytes, then data */
};

static char tmpdir[] = "/tmp/test-archive.XXXXXX";

static const char *tmpdir_path(const char *rel)
{
	static char p[600];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	return p;
}

/* A tar (optionally gzip'ed) of the entries, malloc'ed. */
static void *make_tar(const struct ent *ents, size_t n, bool gzip, size_t *ret_len)
{
	size_t cap = 32 << 20, used = 0;
	char *buf = malloc(cap);
	struct archive *w = archive_write_new();

	archive_write_set_format_pax_restricted(w);
	if (gzip)
		archive_write_add_filter_gzip(w);
	archive_write_set_bytes_in_last_block(w, 1);
	archive_write_open_memory(w, buf, cap, &used);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		const struct ent *x = &ents[i];
		size_t dlen = x->data ? strlen(x->data) : 0;

		archive_entry_set_pathname(e, x->path);
		archive_entry_set_perm(e, x->mode ? x->mode : 0644);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		archive_entry_set_mtime(e, 1700000000, 0);
		switch (x->type) {
		case 'f':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)dlen);
			break;
		case 'z':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)(x->zeros + dlen));
			break;
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, x->mode ? x->mode : 0755);
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, x->data);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, x->data);
			break;
		case 'c':
			archive_entry_set_filetype(e, AE_IFCHR);
			archive_entry_set_rdev(e, makedev(1, 3));
			break;
		}
		archive_write_header(w, e);
		if (x->type == 'z') {
			char *z = calloc(1, x->zeros);
			archive_write_data(w, z, x->zeros);
			free(z);
		}
		if ((x->type == 'f' || x->type == 'z') && dlen)
			archive_write_data(w, x->data, dlen);
		archive_entry_free(e);
	}
	archive_write_close(w);
	archive_write_free(w);
	*ret_len = used;
	return buf;
}

/* A fresh rootfs dir and an "outside" dir with a sentinel, in tmpdir. */
static int fresh(void)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/rootfs", tmpdir);
	{
		int t = open(tmpdir, O_RDONLY | O_DIRECTORY);
		struct lxm_error e = { 0 };

		lxm_remove_tree_at(t, "rootfs", &e);
		close(t);
	}
	mkdir(p, 0755);
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static bool outside_untouched(void)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/outside", tmpdir);
	if (count_entries(p) != 1)
		return false;
	snprintf(p, sizeof(p), "%s/outside/sentinel", tmpdir);
	if (stat(p, &st) < 0 || st.st_nlink != 1 || st.st_size != 4)
		return false;
	return count_entries(tmpdir) == 2;   /* outside, rootfs */
}

static int import(const struct ent *ents, size_t n, int rootfd, struct lxm_import_stats *st, struct lxm_error *err)
{
	size_t len;
	_cleanup_free_ void *tar = make_tar(ents, n, false, &len);
	struct lxm_import_opts o = { 0 };

	memset(err, 0, sizeof(*err));
	return lxm_archive_import_memory(tar, len, rootfd, &o, st, err);
}

static bool exists_at(int dfd, const char *p)
{
	struct stat st;

	return fstatat(dfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void test_normal(void)
{
	static const struct ent ents[] = {
		{ "./", 'd', NULL, 0755, 0 },
		{ "./etc/", 'd', NULL, 0755, 0 },
		{ "./etc/hosts", 'f', "127.0.0.1 localhost\n", 0644, 0 },
		{ "./usr/bin/su", 'f', "#!/bin/sh\n", 04755, 0 },
		{ "./bin", 'l', "usr/bin", 0, 0 },
		{ "./etc/hosts2", 'h', "./etc/hosts", 0, 0 },
		{ "/abs/file", 'f', "abs", 0600, 0 },
	};
	struct lxm_import_stats st;
	struct lxm_error err;
	_cleanup_close_ int root = fresh();
	struct stat a, b;
	char buf[64] = "";
	int r = import(ents, ARRAY_SIZE(ents), root, &st, &err);
	_cleanup_free_ char *hosts = NULL;
	size_t len;

	ok(r == 0, "a normal archive imports (%s)", err.msg);
	r = lxm_read_file_at(root, "etc/hosts", &hosts, &len);
	ok(r == 0 && streq(hosts, "127.0.0.1 localhost\n"), "file content");
	r = (int)readlinkat(root, "bin", buf, sizeof(buf) - 1);
	ok(r == 7 && strncmp(buf, "usr/bin", 7) == 0, "symlink kept");
	ok(fstatat(root, "etc/hosts", &a, 0) == 0 && fstatat(root, "etc/hosts2", &b, 0) == 0 &&
	      a.st_ino == b.st_ino && a.st_nlink == 2, "hardlink inside the rootfs");
	ok(fstatat(root, "usr/bin/su", &a, 0) == 0 && (a.st_mode & 07777) == 04755, "setuid bit kept");
	ok(exists_at(root, "abs/file"), "an absolute path lands inside the rootfs");
	ok(fstatat(root, "etc/hosts", &a, 0) == 0 && a.st_mtime == 1700000000, "mtime kept");
	ok(outside_untouched(), "nothing outside the rootfs changed");
}

static void test_hostile(void)
{
	char target[512], through[600];
	struct lxm_import_stats st;
	struct lxm_error err;
	int r;

	snprintf(target, sizeof(target), "%s/outside", tmpdir);
	{
		static const struct ent ents[] = { { "../escape", 'f', "x", 0644, 0 } };
		_cleanup_close_ int root = fresh();

		r = import(ents, 1, root, &st, &err);
		ok(r == -EXDEV && strstr(err.msg, "leaves the rootfs"), "'../' is refused: %s", err.msg);
		ok(outside_untouched(), "'../': outside untouched");
	}
	{
		static const struct ent ents[] = { { "a/b/../../../escape", 'f', "x", 0644, 0 } };
		_cleanup_close_ int root = fresh();

		r = import(ents, 1, root, &st, &err);
		ok(r == -EXDEV, "nested '..' is refused");
		ok(outside_untouched(), "nested '..': outside untouched");
	}
	{
		/* symlink to the host directory, then a file through it */
		struct ent ents[] = { { "evil", 'l', target, 0, 0 }, { "evil/pwned", 'f', "x", 0644, 0 } };
		_cleanup_close_ int root = fresh();

		snprintf(through, sizeof(through), "%s/pwned", target + 1);
		r = import(ents, 2, root, &st, &err);
		/* the link leads nowhere inside the rootfs: refused */
		ok(r < 0, "symlink to a host dir, then a file through it: refused (%s)", err.msg);
		ok(outside_untouched(), "symlink to a host dir: the file did not land there");
		ok(!exists_at(root, through), "symlink to a host dir: nothing made for it");
	}
	{
		static const struct ent ents[] = { { "root", 'l', "/", 0, 0 }, { "up", 'l', "../../../../..", 0, 0 },
						   { "root/etc/x", 'f', "x", 0644, 0 }, { "up/y", 'f', "y", 0644, 0 } };
		_cleanup_close_ int root = fresh();

		r = import(ents, 4, root, &st, &err);
		ok(r == 0 && exists_at(root, "etc/x") && exists_at(root, "y"),
		      "symlinks to '/' and '../..' resolve inside the rootfs (%s)", err.msg);
		ok(outside_untouched(), "symlinks to '/': outside untouched");
	}
	{
		char sentinel[600];
		struct ent ents[] = { { "link", 'h', sentinel, 0, 0 } };
		_cleanup_close_ int root = fresh();

		snprintf(sentinel, sizeof(sentinel), "%s/sentinel", target);
		r = import(ents, 1, root, &st, &err);
		ok(r == -ENOENT && strstr(err.msg, "inside the rootfs"), "hardlink to a host file fails: %s", err.msg);
		ok(outside_untouched(), "hardlink to a host file: sentinel still has one link");
	}
	{
		static const struct ent ents[] = { { "link", 'h', "../outside/sentinel", 0, 0 } };
		_cleanup_close_ int root = fresh();

		r = import(ents, 1, root, &st, &err);
		ok(r == -EXDEV, "hardlink through '..' is refused");
		ok(outside_untouched(), "hardlink through '..': outside untouched");
	}
	{
		static const struct ent ents[] = { { "dev/", 'd', NULL, 0755, 0 }, { "dev/mem", 'c', NULL, 0600, 0 } };
		_cleanup_close_ int root = fresh();

		r = import(ents, 2, root, &st, &err);
		ok(r == 0 && st.skipped_devices == 1 && !exists_at(root, "dev/mem"),
		      "a device node is left out of an unprivileged import");
	}
	{
		static const struct ent ents[] = { { "etc/", 'd', NULL, 0755, 0 }, { "tmp/", 'd', NULL, 0755, 0 }, { "etc", 'l', "/tmp", 0, 0 },
						   { "etc/z", 'f', "z", 0644, 0 } };
		_cleanup_close_ int root = fresh();

		r = import(ents, 4, root, &st, &err);
		ok(r == 0 && exists_at(root, "tmp/z"), "a dir replaced by a symlink: later entries stay inside (%s)",
		      err.msg);
		ok(outside_untouched(), "dir replaced by symlink: outside untouched");
	}
}

static void test_truncated_and_sparse(void)
{
	struct lxm_import_stats st;
	struct lxm_error err = { 0 };
	struct lxm_import_opts o = { 0 };
	static char big[300000];
	struct ent ents[] = { { "big", 'f', big, 0644, 0 }, { "sparse", 'z', "end", 0644, 64 << 20 } };
	size_t len;
	_cleanup_free_ void *tar = NULL;
	struct stat s;
	int r;

	for (size_t i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)('a' + (i * 7) % 26);
	tar = make_tar(ents, 2, true, &len);
	{
		_cleanup_close_ int root = fresh();

		r = lxm_archive_import_memory(tar, len / 2, root, &o, &st, &err);
		ok(r < 0 && strstr(err.msg, "runcat") != NULL, "a truncated archive fails cleanly: %s", err.msg);
		ok(outside_untouched(), "truncated: outside untouched");
	}
	{
		_cleanup_close_ int root = fresh();

		memset(&err, 0, sizeof(err));
		r = lxm_archive_import_memory(tar, len, root, &o, &st, &err);
		ok(r == 0, "the whole archive imports (%s)", err.msg);
		ok(fstatat(root, "sparse", &s, 0) == 0 && s.st_size == (64 << 20) + 3 && s.st_blocks * 512 < (1 << 20),
		      "zeros became a hole: size %lld, %lld blocks", (long long)s.st_size, (long long)s.st_blocks);
	}
}

static void test_init_detect(void)
{
	struct lxm_init_info info;
	struct lxm_error err = { 0 };

	{
		static const struct ent ents[] = { { "bin/busybox", 'f', "\x7f" "ELF", 0755, 0 },
						   { "sbin/init", 'l', "../bin/busybox", 0, 0 } };
		_cleanup_close_ int root = fresh();
		struct lxm_import_stats st;

		ok(import(ents, 2, root, &st, &err) == 0 && lxm_init_detect(root, &info, &err) == 0 &&
		      info.kind == LXM_INIT_BUSYBOX && info.halt_signal == SIGUSR2 && info.reboot_signal == SIGTERM &&
		      streq(info.cmd, "/sbin/init"), "busybox init detected");
	}
	{
		static const struct ent ents[] = { { "lib/systemd/systemd", 'f', "\x7f" "ELF", 0755, 0 },
						   { "sbin/init", 'l', "/lib/systemd/systemd", 0, 0 } };
		_cleanup_close_ int root = fresh();
		struct lxm_import_stats st;

		ok(import(ents, 2, root, &st, &err) == 0 && lxm_init_detect(root, &info, &err) == 0 &&
		      info.kind == LXM_INIT_SYSTEMD && info.halt_signal == SIGRTMIN + 3, "systemd detected");
	}
	{
		static const struct ent ents[] = { { "sbin/init", 'f', "\x7f" "ELF", 0755, 0 },
						   { "etc/inittab", 'f', "id:2:initdefault:\n", 0644, 0 } };
		_cleanup_close_ int root = fresh();
		struct lxm_import_stats st;

		ok(import(ents, 2, root, &st, &err) == 0 && lxm_init_detect(root, &info, &err) == 0 &&
		      info.kind == LXM_INIT_SYSVINIT && info.halt_signal == SIGPWR, "sysvinit detected");
	}
	{
		static const struct ent ents[] = { { "etc/os-release", 'f', "ID=debian\n", 0644, 0 } };
		_cleanup_close_ int root = fresh();
		struct lxm_import_stats st;

		memset(&err, 0, sizeof(err));
		ok(import(ents, 1, root, &st, &err) == 0 && lxm_init_detect(root, &info, &err) == -ENOENT &&
		      strstr(err.msg, "no init in the rootfs"), "no init: %s", err.msg);
	}
}

static void test_copy_and_export(void)
{
	static const struct ent ents[] = {
		{ "etc/hosts", 'f', "hosts\n", 0640, 0 },
		{ "etc/hosts2", 'h', "etc/hosts", 0, 0 },
		{ "usr/bin/su", 'f', "su", 04755, 0 },
		{ "bin", 'l', "usr/bin", 0, 0 },
		{ "var/sparse", 'z', "x", 0644, 16 << 20 },
	};
	char src[600], dst[600], out[600];
	struct lxm_import_stats st;
	struct lxm_copy_stats cst;
	struct lxm_error err = { 0 };
	_cleanup_close_ int root = fresh(), dfd = -1, ofd = -1;
	bool have_xattr;
	struct stat a, b;
	int r;

	ok(import(ents, ARRAY_SIZE(ents), root, &st, &err) == 0, "source tree imported");
	have_xattr = fsetxattr(openat(root, "etc/hosts", O_RDONLY | O_CLOEXEC), "user.test", "v", 1, 0) == 0;
	snprintf(src, sizeof(src), "%s/rootfs", tmpdir);
	snprintf(dst, sizeof(dst), "%s/copy", tmpdir);
	mkdir(dst, 0755);
	dfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = lxm_copy_tree(root, dfd, NULL, &cst, &err);
	ok(r == 0, "directory tree copied (%s)", err.msg);
	ok(fstatat(root, "var/sparse", &a, 0) == 0 && a.st_blocks * 512 < (1 << 20), "source sparse (%lld blocks)", (long long)a.st_blocks);
	ok(fstatat(dfd, "etc/hosts", &a, 0) == 0 && fstatat(dfd, "etc/hosts2", &b, 0) == 0 &&
	      a.st_ino == b.st_ino && (a.st_mode & 07777) == 0640, "copy: hardlink and mode kept");
	ok(fstatat(dfd, "usr/bin/su", &a, 0) == 0 && (a.st_mode & 07777) == 04755, "copy: setuid kept");
	ok(fstatat(dfd, "var/sparse", &a, 0) == 0 && a.st_size == (16 << 20) + 1 && a.st_blocks * 512 < (1 << 20),
	      "copy: sparse stays sparse (%lld blocks)", (long long)a.st_blocks);
	ok(fstatat(dfd, "bin", &a, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(a.st_mode), "copy: symlink kept");
	if (have_xattr) {
		char v[4] = "";
		int fd = openat(dfd, "etc/hosts", O_RDONLY | O_CLOEXEC);

		ok(fgetxattr(fd, "user.test", v, sizeof(v)) == 1 && v[0] == 'v', "copy: xattr kept");
		close(fd);
	}

	/* export the tree, import it again */
	snprintf(out, sizeof(out), "%s/export.tar.zst", tmpdir);
	ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	r = lxm_archive_export(src, ofd, lxm_compression_from_name(out), NULL, "name = \"x\";\n", &err);
	ok(r == 0, "export (%s)", err.msg);
	close(ofd);
	ofd = -1;
	{
		struct lxm_error rm = { 0 };
		int t = open(tmpdir, O_RDONLY | O_DIRECTORY);

		lxm_remove_tree_at(t, "copy", &rm);
		close(t);
	}
	{
		_cleanup_close_ int r2 = fresh();

		memset(&err, 0, sizeof(err));
		r = lxm_archive_import(out, r2, NULL, &st, &err);
		ok(r == 0, "the export imports (%s)", err.msg);
		ok(fstatat(r2, "usr/bin/su", &a, 0) == 0 && (a.st_mode & 07777) == 04755, "round trip: setuid kept");
		ok(fstatat(r2, "etc/hosts", &a, 0) == 0 && fstatat(r2, "etc/hosts2", &b, 0) == 0 &&
		      a.st_ino == b.st_ino, "round trip: hardlink kept");
		ok(fstatat(r2, "var/sparse", &a, 0) == 0 && a.st_size == (16 << 20) + 1 && a.st_blocks * 512 < (1 << 20),
		      "round trip: sparse stays sparse");
		ok(!exists_at(r2, ".lxm-export"), "round trip: the metadata entry is not extracted");
		if (have_xattr) {
			char v[4] = "";
			int fd = openat(r2, "etc/hosts", O_RDONLY | O_CLOEXEC);

			ok(fgetxattr(fd, "user.test", v, sizeof(v)) == 1 && v[0] == 'v', "round trip: xattr kept");
			close(fd);
		}
	}
	unlink(out);
	ok(lxm_compression_from_name("a.tar.gz") == LXM_COMPRESS_GZIP &&
	      lxm_compression_from_name("a.tar") == LXM_COMPRESS_NONE &&
	      lxm_compression_from_name("-") == LXM_COMPRESS_ZSTD, "compression from the file name");
}

static void test_idshift(void)
{
	struct lxm_idshift s = { .uid_base = 100000, .gid_base = 200000, .count = 65536 };
	bool clamped = false;
	uint32_t a = lxm_idshift_uid(&s, 0, &clamped), b = lxm_idshift_gid(&s, 5, &clamped);
	uint32_t c;

	ok(a == 100000 && b == 200005 && !clamped, "ids shift into the range");
	c = lxm_idshift_uid(&s, 70000, &clamped);
	ok(c == 100000 + 65534 && clamped, "an id outside the range becomes the overflow id");
}

/* GNU tar writes named ACL entries ("group:adm:r-x") even with
 * --numeric-owner: the id comes from the rootfs's /etc/group; an unknown
 * name is left out instead of failing the import (it failed with EINVAL). */
static void test_named_acl(void)
{
	static const char group[] = "root:x:0:\nlxmtestgrp:x:4242:\n";
	size_t cap = 1 << 20, used = 0;
	_cleanup_free_ char *buf = malloc(cap);
	struct archive *w = archive_write_new();
	struct lxm_import_opts o = { 0 };
	struct lxm_error err = { 0 };
	unsigned char val[256];
	ssize_t len;
	bool found = false;
	int fd = fresh(), r;

	archive_write_set_format_pax_restricted(w);
	archive_write_open_memory(w, buf, cap, &used);
	for (int i = 0; i < 3; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, i == 0 ? "./etc" : i == 1 ? "./etc/group" : "./journal");
		archive_entry_set_filetype(e, i == 1 ? AE_IFREG : AE_IFDIR);
		archive_entry_set_perm(e, i == 1 ? 0644 : 0755);
		archive_entry_set_uid(e, geteuid());
		archive_entry_set_gid(e, getegid());
		if (i == 1)
			archive_entry_set_size(e, sizeof(group) - 1);
		if (i == 2) {
			archive_entry_acl_add_entry(e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS, 7, ARCHIVE_ENTRY_ACL_USER_OBJ, -1, NULL);
			archive_entry_acl_add_entry(e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS, 5, ARCHIVE_ENTRY_ACL_GROUP_OBJ, -1, NULL);
			archive_entry_acl_add_entry(e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS, 5, ARCHIVE_ENTRY_ACL_GROUP, -1, "lxmtestgrp");
			archive_entry_acl_add_entry(e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS, 5, ARCHIVE_ENTRY_ACL_GROUP, -1,
						    "no-such-group-lxm");
			archive_entry_acl_add_entry(e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS, 5, ARCHIVE_ENTRY_ACL_MASK, -1, NULL);
			archive_entry_acl_add_entry(e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS, 5, ARCHIVE_ENTRY_ACL_OTHER, -1, NULL);
		}
		archive_write_header(w, e);
		if (i == 1)
			archive_write_data(w, group, sizeof(group) - 1);
		archive_entry_free(e);
	}
	archive_write_close(w);
	archive_write_free(w);
	r = lxm_archive_import_memory(buf, used, fd, &o, NULL, &err);
	ok(r == 0, "named ACL entries import (%s)", err.msg);
	len = getxattr(tmpdir_path("rootfs/journal"), "system.posix_acl_access", val, sizeof(val));
	if (len < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP)) {
		ok(1, "# SKIP no ACLs on this file system");
	} else {
		for (ssize_t off = 4; off + 8 <= len; off += 8)
			if (val[off] == 0x08 && val[off + 4] == (4242 & 0xff) && val[off + 5] == (4242 >> 8))
				found = true;
		ok(found && len == 4 + 5 * 8, "the named group's id comes from the rootfs's /etc/group; "
		      "an unknown name is left out");
	}
	close(fd);
}

/* lxm-copy's new name in the guest's /etc/hostname and /etc/hosts: whole
 * words outside comments; a last line shorter than the old name. */
static void test_rename_host(void)
{
	static const char hosts[] = "127.0.0.1 localhost\n127.0.1.1 oldname1 oldname1.lan\n# oldname1\nx oldname1";
	_cleanup_free_ char *hn = NULL, *h = NULL;
	struct lxm_error err = { 0 };
	int fd = fresh(), r;

	r = mkdirat(fd, "etc", 0755);
	if (r == 0)
		r = lxm_write_file_at(fd, "etc/hostname", "oldname1\n", 9, O_CREAT | O_TRUNC, 0644);
	if (r == 0)
		r = lxm_write_file_at(fd, "etc/hosts", hosts, sizeof(hosts) - 1, O_CREAT | O_TRUNC, 0644);
	r = r == 0 ? lxm_rootfs_rename_host(fd, fd, NULL, "new", &err) : r;
	ok(r == 0, "renaming the guest (%s)", err.msg);
	ok(lxm_read_file_at(fd, "etc/hostname", &hn, NULL) == 0 && streq(hn, "new\n"), "/etc/hostname has the new name");
	ok(lxm_read_file_at(fd, "etc/hosts", &h, NULL) == 0 &&
	      streq(h, "127.0.0.1 localhost\n127.0.1.1 new oldname1.lan\n# oldname1\nx new"),
	      "/etc/hosts: whole words outside comments");
	close(fd);
}

int main(void)
{
	char p[600];
	int fd;

	if (!mkdtemp(tmpdir))
		skip_all("no temp dir");
	snprintf(p, sizeof(p), "%s/outside", tmpdir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/outside/sentinel", tmpdir);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || write(fd, "safe", 4) != 4)
		skip_all("cannot write in the temp dir");
	close(fd);

	test_normal();
	test_hostile();
	test_truncated_and_sparse();
	test_init_detect();
	test_copy_and_export();
	test_idshift();
	test_named_acl();
	test_rename_host();

	{
		int t = open("/tmp", O_RDONLY | O_DIRECTORY);
		struct lxm_error e = { 0 };

		lxm_remove_tree_at(t, tmpdir + 5, &e);
		close(t);
	}
	return tap_done();
}
