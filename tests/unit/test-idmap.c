/* Unit tests for lxm/idmap.c: subordinate id parsing, range allocation and
 * overlap, map text, translation, and allocation across the containers of a
 * temporary lxmpath with temporary subuid/subgid files. No root needed. */
#include <fcntl.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "idmap.h"
#include "shift.h"
#include "tap.h"

static void test_parse(void)
{
	const char *text =
		"# comment\n"
		"alice:100000:65536\n"
		"root:1000000:1000000000\n"
		"\n"
		"bad line\n"
		"root:5:x\n"
		"root:7:0\n"
		"0:200000:65536\r\n"
		"root:4294967295:2\n"
		"root:4294901760:65536\n"     /* would hold (uid_t)-1: the kernel refuses */
		"roots:1:1\n"
		"root:300000:10";
	struct lxm_id_range *v = NULL;
	size_t n = 0;
	int r;

	r = lxm_subid_parse(text, "root", "0", &v, &n);
	ok(r == 0 && n == 3, "root has 3 valid ranges (by name and by id), got %zu", n);
	ok(n == 3 && v[0].start == 1000000 && v[0].count == 1000000000 && v[1].start == 200000 &&
	      v[1].count == 65536 && v[2].start == 300000 && v[2].count == 10, "range values");
	free(v);
	r = lxm_subid_parse(text, "alice", NULL, &v, &n);
	ok(r == 0 && n == 1 && v[0].start == 100000, "alice's range");
	free(v);
	r = lxm_subid_parse("", "root", "0", &v, &n);
	ok(r == 0 && n == 0 && !v, "empty file: no range");
	r = lxm_subid_parse_all(text, &v, &n);
	ok(r == 0 && n == 5, "all valid ranges: %zu", n);
	free(v);
}

static void test_ranges(void)
{
	struct lxm_id_range a = { 100, 10 }, b = { 109, 5 }, c = { 110, 5 }, z = { 0, 0 };
	struct lxm_id_range avail[] = { { 1000000, 65536 * 3 }, { 5000000, 65536 } };
	struct lxm_id_range used[] = { { 1000000, 65536 }, { 1065536 + 100, 10 } };
	uint32_t s = 0;
	int r;

	ok(lxm_id_range_overlap(&a, &b) && lxm_id_range_overlap(&b, &a), "touching by one id overlaps");
	ok(!lxm_id_range_overlap(&a, &c) && !lxm_id_range_overlap(&c, &a), "adjacent ranges do not overlap");
	ok(!lxm_id_range_overlap(&a, &z), "an empty range overlaps nothing");
	ok(lxm_id_range_within(&(struct lxm_id_range){ 1000000, 65536 }, avail, 2), "within");
	ok(!lxm_id_range_within(&(struct lxm_id_range){ 1000000 + 65536 * 3 - 1, 2 }, avail, 2),
	      "crossing the end is not within");
	ok(!lxm_id_range_within(&(struct lxm_id_range){ 999999, 2 }, avail, 2), "crossing the start is not within");

	r = lxm_id_range_allocate(avail, 2, NULL, 0, 65536, &s);
	ok(r == 0 && s == 1000000, "first fit at the start: %u", s);
	r = lxm_id_range_allocate(avail, 2, used, 2, 65536, &s);
	ok(r == 0 && s == 1065536 + 110, "skips used ranges: %u", s);
	r = lxm_id_range_allocate(avail, 2, used, 2, 65536 * 2, &s);
	ok(r == -ENOSPC, "no room for two blocks past the used ones");
	{
		struct lxm_id_range full[] = { { 1000000, 65536 * 3 } };

		r = lxm_id_range_allocate(avail, 2, full, 1, 65536, &s);
		ok(r == 0 && s == 5000000, "falls through to the second range: %u", s);
		r = lxm_id_range_allocate(avail, 1, full, 1, 65536, &s);
		ok(r == -ENOSPC, "-ENOSPC when every range is used");
	}
	{
		struct lxm_id_range top[] = { { UINT32_MAX - 65535, 65536 } };

		r = lxm_id_range_allocate(top, 1, NULL, 0, 65536, &s);
		ok(r == 0 && s == UINT32_MAX - 65535, "a range ending at 2^32");
	}
	ok(lxm_id_range_allocate(avail, 2, NULL, 0, 0, &s) == -EINVAL, "count 0 is invalid");

	ok(lxm_subid_new_start(NULL, 0, LXM_SUBID_ADD_COUNT) == LXM_SUBID_ADD_START, "new range at 1000000");
	{
		struct lxm_id_range other[] = { { 100000, 65536 }, { 1500000, 10 } };
		uint32_t ns = lxm_subid_new_start(other, 2, LXM_SUBID_ADD_COUNT);

		ok(ns == 1507328, "new range placed past an overlapping one, aligned: %u", ns);
	}
}

/* Where root's new range goes, on a host and inside a nesting container. */
static void test_pick_new(void)
{
	struct lxm_id_range r;
	int e;

	e = lxm_subid_pick_new("         0          0 4294967295\n", NULL, 0, &r);
	ok(e == 0 && r.start == LXM_SUBID_ADD_START && r.count == LXM_SUBID_ADD_COUNT,
	      "initial namespace: the usual range (%u:%u)", r.start, r.count);
	e = lxm_subid_pick_new("0 1000000 1048576\n", NULL, 0, &r);
	ok(e == 0 && r.start == 65536 && r.count == 983040, "nesting container: ids 65536 up to its last (%u:%u)",
	      r.start, r.count);
	e = lxm_subid_pick_new("0 1000000 65536\n", NULL, 0, &r);
	ok(e == -ENOSPC, "a container with only 65536 ids has no room (%d)", e);
	e = lxm_subid_pick_new("0 1000000 131071\n", NULL, 0, &r);
	ok(e == -ENOSPC, "65535 spare ids are not a range (%d)", e);
	{
		struct lxm_id_range other[] = { { 100000, 1000 } };

		e = lxm_subid_pick_new("0 1000000 1048576\n", other, 1, &r);
		ok(e == 0 && r.start == 131072 && r.count == 917504,
		      "an existing range is skipped, start aligned (%u:%u)", r.start, r.count);
	}
	{
		struct lxm_id_range other[] = { { 500000, 10 } };

		e = lxm_subid_pick_new("0 1000000 65536\n65536 3000000 1048576\n", other, 1, &r);
		ok(e == 0 && r.start == 524288 && r.count == 589824,
		      "the larger free run of a split map (%u:%u)", r.start, r.count);
	}
	{
		/* the last range ends at 2^32: no room, not a start wrapped to 0 */
		struct lxm_id_range full[] = { { 1000000, 4293967296u } };
		uint32_t ns = lxm_subid_new_start(full, 1, LXM_SUBID_ADD_COUNT);

		ok((uint64_t)ns + LXM_SUBID_ADD_COUNT > UINT32_MAX, "no room up to 2^32 says so (%u)", ns);
		e = lxm_subid_pick_new("0 0 4294967295\n", full, 1, &r);
		ok(e == -ENOSPC, "initial namespace, ids used up to 2^32: no room (%d, %u:%u)", e, r.start, r.count);
	}
	e = lxm_subid_pick_new("", NULL, 0, &r);
	ok(e == -ENOSPC, "an empty map gives no range (%d)", e);
}

static void test_format(void)
{
	struct lxm_idmap maps[] = {
		{ 'u', 0, 1000000, 65536 },
		{ 'g', 0, 1000000, 65536 },
		{ 'u', 65536, 3000000, 1 },
	};
	char buf[128], small[8];
	char *lines = NULL;
	struct lxm_idmap *back = NULL;
	size_t n = 0;
	int r;

	r = lxm_idmap_format(maps, 3, 'u', buf, sizeof(buf));
	ok(r > 0 && streq(buf, "0 1000000 65536\n65536 3000000 1\n"), "uid_map text");
	r = lxm_idmap_format(maps, 3, 'g', buf, sizeof(buf));
	ok(r > 0 && streq(buf, "0 1000000 65536\n"), "gid_map text");
	ok(lxm_idmap_format(maps, 3, 'u', small, sizeof(small)) == -E2BIG, "-E2BIG when it does not fit");
	ok(lxm_idmap_format(NULL, 0, 'u', buf, sizeof(buf)) == 0 && buf[0] == '\0', "no maps, empty text");

	ok(lxm_idmap_format_lines(maps, 3, &lines) == 0, "format lines");
	ok(lines && streq(lines, "u 0 1000000 65536\ng 0 1000000 65536\nu 65536 3000000 1\n"), "lines text");
	r = lxm_idmap_parse_lines(lines, &back, &n);
	ok(r == 0 && n == 3 && lxm_idmap_equal(maps, 3, back, n), "lines parse back to the same maps");
	free(back);
	free(lines);
	ok(lxm_idmap_parse_lines("u 0 1 2 3\n", &back, &n) == -EINVAL, "trailing junk is refused");
	ok(lxm_idmap_parse_lines("x 0 1 2\n", &back, &n) == -EINVAL, "bad type is refused");
	ok(lxm_idmap_parse_lines("", &back, &n) == 0 && n == 0, "empty text, no maps");

	ok(lxm_idmap_to_host(maps, 3, 'u', 0) == 1000000, "uid 0 -> host 1000000");
	ok(lxm_idmap_to_host(maps, 3, 'u', 65535) == 1065535, "uid 65535 -> host 1065535");
	ok(lxm_idmap_to_host(maps, 3, 'u', 65536) == 3000000, "second uid entry");
	ok(lxm_idmap_to_host(maps, 3, 'g', 65536) == -1, "unmapped gid -> -1");
	ok(lxm_idmap_to_host(NULL, 0, 'u', 42) == 42, "no maps is the identity");
	ok(lxm_idmap_to_container(maps, 3, 'u', 1000005) == 5, "host 1000005 -> uid 5");
	ok(lxm_idmap_to_container(maps, 3, 'u', 0) == -1, "host root unmapped");
	ok(lxm_idmap_equal(maps, 2, (struct lxm_idmap[]){ maps[1], maps[0] }, 2), "order does not matter");
	ok(!lxm_idmap_equal(maps, 2, maps, 3), "a missing entry is a difference");
	ok(!lxm_idmap_equal(maps, 2, NULL, 0), "maps differ from none");
}

static char tmpdir[] = "/tmp/lxm-test-idmap.XXXXXX";

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_files(void)
{
	char subuid[256], subgid[256], lib[256], p[512];
	struct lxm_paths paths = { 0 };
	struct lxm_idmap out[2], out2[2];
	struct lxm_error err = { 0 };
	struct lxm_id_range *v = NULL;
	char *text = NULL;
	size_t n = 0;
	int r;

	if (!mkdtemp(tmpdir)) {
		ok(false, "mkdtemp");
		return;
	}
	snprintf(subuid, sizeof(subuid), "%s/subuid", tmpdir);
	snprintf(subgid, sizeof(subgid), "%s/subgid", tmpdir);
	snprintf(lib, sizeof(lib), "%s/lib", tmpdir);
	mkdir(lib, 0755);
	setenv("LXM_SUBUID_FILE", subuid, 1);
	setenv("LXM_SUBGID_FILE", subgid, 1);
	ok(streq(lxm_subid_path('u'), subuid) && streq(lxm_subid_path('g'), subgid), "env overrides the files");

	write_text(subuid, "alice:100000:65536");     /* no newline at the end */
	r = lxm_subid_root_ranges('u', &v, &n, &err);
	ok(r == 0 && n == 1 && v[0].start == LXM_SUBID_ADD_START && v[0].count == LXM_SUBID_ADD_COUNT,
	      "a range for root is added when there is none");
	free(v);
	lxm_read_file_at(AT_FDCWD, subuid, &text, NULL);
	ok(text && streq(text, "alice:100000:65536\nroot:1000000:1000000000\n"), "the file gets one line");
	free(text);
	r = lxm_subid_root_ranges('u', &v, &n, &err);
	ok(r == 0 && n == 1, "and only once");
	free(v);
	write_text(subgid, "root:2000000:131072\n");

	paths.lxmpath = lib;
	r = lxm_idmap_allocate(&paths, "a", 65536, -1, out, &err);
	ok(r == 0 && out[0].type == 'u' && out[0].host == 1000000 && out[0].count == 65536 &&
	      out[1].type == 'g' && out[1].host == 2000000 && out[0].container == 0, "first container's range");

	/* a container "a" with that range, and a create in progress "b" */
	snprintf(p, sizeof(p), "%s/a", lib);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/a/config", lib);
	write_text(p, "idmap = ( { type = \"u\"; container = 0; host = 1000000; count = 65536; },\n"
		      "          { type = \"g\"; container = 0; host = 2000000; count = 65536; } );\n");
	snprintf(p, sizeof(p), "%s/b", lib);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/b/partial", lib);
	{
		int fd = open(p, O_RDWR | O_CREAT, 0600);

		r = lxm_idmap_allocate(&paths, "b", 65536, fd, out2, &err);
		close(fd);
	}
	ok(r == 0 && out2[0].host == 1065536 && out2[1].host == 2065536, "second range is disjoint: %u %u",
	      out2[0].host, out2[1].host);
	text = NULL;
	lxm_read_file_at(AT_FDCWD, p, &text, NULL);
	ok(text && streq(text, "u 0 1065536 65536\ng 0 2065536 65536\n"), "reserved in the partial marker");
	free(text);
	r = lxm_idmap_allocate(&paths, "c", 65536, -1, out2, &err);
	ok(r == -ENOSPC && strstr(err.msg, "no free range") && strstr(err.msg, subgid),
	      "the gid ranges are full: %s", err.msg);
	lxm_error_clear(&err);
	r = lxm_idmap_allocate(&paths, "a", 65536, -1, out2, &err);
	ok(r == 0 && out2[0].host == 1000000, "a container's own range does not count against it");

	r = lxm_idmap_check(&paths, "c", out, 2, &err);
	ok(r == -EEXIST && strstr(err.msg, "container 'a'") && strstr(err.msg, "1000000-1065535"),
	      "an overlapping idmap names the other container: %s", err.msg);
	lxm_error_clear(&err);
	{
		struct lxm_idmap far[2] = { { 'u', 0, 5, 65536 }, { 'g', 0, 2065536, 65536 } };

		r = lxm_idmap_check(&paths, "a", far, 2, &err);
		ok(r == -ERANGE && strstr(err.msg, "not within") && strstr(err.msg, subuid),
		      "an idmap outside root's ranges names the file: %s", err.msg);
		lxm_error_clear(&err);
	}
	r = lxm_idmap_check(&paths, "a", out, 2, &err);
	ok(r == 0, "a container's own range is fine");

	/* "a" being destroyed (renamed to .destroy-PID-a) keeps its range;
	 * another hidden directory does not count */
	{
		char from[600], to[600];

		snprintf(from, sizeof(from), "%s/a", lib);
		snprintf(to, sizeof(to), "%s/.destroy-4242-a", lib);
		r = rename(from, to);
		lxm_error_clear(&err);
		r = r == 0 ? lxm_idmap_check(&paths, "c", out, 2, &err) : r;
		ok(r == -EEXIST && strstr(err.msg, ".destroy-4242-a"),
		   "a container being destroyed keeps its range: %s", err.msg);
		snprintf(from, sizeof(from), "%s/.hidden-a", lib);
		r = rename(to, from);
		lxm_error_clear(&err);
		r = r == 0 ? lxm_idmap_check(&paths, "c", out, 2, &err) : r;
		ok(r == 0, "another hidden directory's config does not count (%d)", r);
	}

	snprintf(p, sizeof(p), "rm -rf '%s'", tmpdir);
	if (system(p) != 0)
		printf("# could not remove %s\n", tmpdir);
}

/* The registry of lxmpaths: what counts as an entry, and adding one. */
static void test_registry(void)
{
	char **v = NULL, *out = NULL;
	size_t n = 0;
	int r;

	r = lxm_idmap_registry_parse("# header\n/var/lib/lxm\n\n  /srv/lxm/ \t\nrelative/path\n/var/lib/lxm//\r\n"
				     "/\n#/commented\n/srv/lxm\n/last", &v, &n);
	ok(r == 0 && n == 4 && streq(v[0], "/var/lib/lxm") && streq(v[1], "/srv/lxm") && streq(v[2], "/") &&
	   streq(v[3], "/last") && !v[4],
	   "parse: absolute paths once each, trimmed, slashes dropped, comments and relative paths skipped (%zu)", n);
	lxm_strv_free(v, (size_t)-1);
	r = lxm_idmap_registry_parse(NULL, &v, &n);
	ok(r == 0 && n == 0 && !v, "parse: no file is no entry");
	r = lxm_idmap_registry_parse("# only a comment\n\n", &v, &n);
	ok(r == 0 && n == 0 && !v, "parse: only comments is no entry");

	r = lxm_idmap_registry_add(NULL, "/var/lib/lxm", &out);
	ok(r == 1 && out && streq(out, LXM_IDMAP_REGISTRY_HEADER "/var/lib/lxm\n"),
	   "add to no file: the header, then the path");
	free(out);
	r = lxm_idmap_registry_add("", "/var/lib/lxm", &out);
	ok(r == 1 && out && lxm_startswith(out, "#"), "add to an empty file: the header too");
	free(out);
	r = lxm_idmap_registry_add("# mine\n/var/lib/lxm", "/srv/lxm", &out);
	ok(r == 1 && out && streq(out, "# mine\n/var/lib/lxm\n/srv/lxm\n"),
	   "add: the text kept as it is, the path on a line of its own");
	free(out);
	out = (char *)"x";
	r = lxm_idmap_registry_add("/srv/lxm/\n", "/srv/lxm", &out);
	ok(r == 0 && !out, "add: a path listed already (with a trailing slash) is not added again");
	r = lxm_idmap_registry_add("#/srv/lxm\n", "/srv/lxm", &out);
	ok(r == 1 && out && streq(out, "#/srv/lxm\n/srv/lxm\n"), "add: a commented-out path does not count");
	free(out);
	ok(lxm_idmap_registry_add(NULL, "srv/lxm", &out) == -EINVAL && !out, "add: a relative path is refused");
	ok(lxm_idmap_registry_add(NULL, "/srv/a\nb", &out) == -EINVAL && !out, "add: a path with a line break is refused");
}

/* Two lxmpaths with one config dir: the registry makes a range of one count
 * in the other; a listed lxmpath that is gone, or that now holds something
 * that is no lxm container, does no harm. */
static void test_registry_files(void)
{
	char top[] = "/tmp/lxm-test-idmap-reg.XXXXXX";
	char subuid[256], subgid[256], lib1[256], lib2[256], conf[256], p[600];
	struct lxm_paths paths1 = { 0 }, paths2 = { 0 };
	struct lxm_idmap out[2], out2[2];
	struct lxm_error err = { 0 };
	char *text = NULL;
	int r;

	if (!mkdtemp(top)) {
		ok(false, "mkdtemp");
		return;
	}
	snprintf(subuid, sizeof(subuid), "%s/subuid", top);
	snprintf(subgid, sizeof(subgid), "%s/subgid", top);
	snprintf(lib1, sizeof(lib1), "%s/lib1", top);
	snprintf(lib2, sizeof(lib2), "%s/lib2", top);
	snprintf(conf, sizeof(conf), "%s/etc", top);
	mkdir(lib1, 0755);
	mkdir(lib2, 0755);
	setenv("LXM_SUBUID_FILE", subuid, 1);
	setenv("LXM_SUBGID_FILE", subgid, 1);
	write_text(subuid, "root:1000000:196608\n");
	write_text(subgid, "root:1000000:196608\n");
	paths1.lxmpath = lib1;
	paths1.confdir = conf;
	paths2.lxmpath = lib2;
	paths2.confdir = conf;

	/* a listed lxmpath that is gone, and one listed before its config dir existed */
	r = lxm_idmap_allocate(&paths1, "a", 65536, -1, out, &err);
	ok(r == 0 && out[0].host == 1000000, "first range in the first lxmpath: %s", err.msg);
	snprintf(p, sizeof(p), "%s/%s", conf, LXM_IDMAP_REGISTRY);
	lxm_read_file_at(AT_FDCWD, p, &text, NULL);
	ok(text && strstr(text, lib1) && !strstr(text, lib2), "the config dir is made and lists the lxmpath");
	free(text);
	text = NULL;
	snprintf(p, sizeof(p), "%s/a", lib1);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/a/config", lib1);
	write_text(p, "idmap = ( { type = \"u\"; container = 0; host = 1000000; count = 65536; },\n"
		      "          { type = \"g\"; container = 0; host = 1000000; count = 65536; } );\n");
	/* a container of the same name in the other lxmpath is another one */
	r = lxm_idmap_allocate(&paths2, "a", 65536, -1, out2, &err);
	ok(r == 0 && out2[0].host == 1065536 && out2[1].host == 1065536,
	   "a container in the second lxmpath gets a range disjoint from the first's: %u %s", out2[0].host, err.msg);
	snprintf(p, sizeof(p), "%s/%s", conf, LXM_IDMAP_REGISTRY);
	lxm_read_file_at(AT_FDCWD, p, &text, NULL);
	ok(text && strstr(text, lib1) && strstr(text, lib2), "both lxmpaths are listed");
	free(text);
	text = NULL;
	r = lxm_idmap_check(&paths2, "b", out, 2, &err);
	ok(r == -EEXIST && strstr(err.msg, "overlap container 'a' in '") && strstr(err.msg, lib1),
	   "an idmap overlapping a container of the other lxmpath names it and its lxmpath: %s", err.msg);
	lxm_error_clear(&err);

	/* a config in the other lxmpath that does not parse: not counted
	 * there, still an error in the container's own lxmpath */
	snprintf(p, sizeof(p), "%s/a/config", lib1);
	write_text(p, "this is no config\n");
	r = lxm_idmap_check(&paths2, "b", out, 2, &err);
	ok(r == 0, "a config in another lxmpath that does not parse does not count: %s", err.msg);
	lxm_error_clear(&err);
	r = lxm_idmap_allocate(&paths1, "c", 65536, -1, out2, &err);
	ok(r == -EINVAL && strstr(err.msg, "container 'a' is unknown"),
	   "but in the container's own lxmpath it is an error as before: %s", err.msg);
	lxm_error_clear(&err);

	/* others may write to the listed lxmpath: not trusted */
	snprintf(p, sizeof(p), "%s/a/config", lib1);
	write_text(p, "idmap = ( { type = \"u\"; container = 0; host = 1000000; count = 65536; },\n"
		      "          { type = \"g\"; container = 0; host = 1000000; count = 65536; } );\n");
	chmod(lib1, 0777);
	r = lxm_idmap_check(&paths2, "b", out, 2, &err);
	ok(r == 0, "a listed lxmpath others can write to is skipped: %s", err.msg);
	lxm_error_clear(&err);
	chmod(lib1, 0755);

	/* the first lxmpath removed: its entry is skipped */
	snprintf(p, sizeof(p), "rm -rf '%s'", lib1);
	r = system(p);
	r = r == 0 ? lxm_idmap_check(&paths2, "b", out, 2, &err) : -1;
	ok(r == 0, "a listed lxmpath that is gone is skipped, no error: %s", err.msg);
	lxm_error_clear(&err);
	/* and a file where it was */
	write_text(lib1, "not a directory\n");
	r = lxm_idmap_allocate(&paths2, "b", 65536, -1, out2, &err);
	ok(r == 0 && out2[0].host == 1000000, "a listed lxmpath that is now a file is skipped: %u %s", out2[0].host,
	   err.msg);

	snprintf(p, sizeof(p), "rm -rf '%s'", top);
	if (system(p) != 0)
		printf("# could not remove %s\n", top);
}

/* A POSIX ACL entry naming an id the map shifts is shifted also where the
 * file's owner is one the map leaves alone (it was skipped with the
 * owner). */
static void test_shift_acl(void)
{
	char dir[] = "/tmp/test-idmap-XXXXXX", file[64], cmd[96];
	struct { uint16_t tag, perm; uint32_t id; } __attribute__((packed)) e[5] = {
		{ 0x01, 6, UINT32_MAX }, { 0x02, 4, 5 }, { 0x04, 4, UINT32_MAX }, { 0x10, 4, UINT32_MAX },
		{ 0x20, 4, UINT32_MAX },
	};
	unsigned char acl[4 + sizeof(e)];
	/* a map that leaves the test's own owner (nobody or root past 1000:
	 * both are outside [0, 1000) unless root, whom it shifts anyway) */
	const struct lxm_idmap to[2] = {
		{ .type = 'u', .container = 0, .host = 200000, .count = 1000 },
		{ .type = 'g', .container = 0, .host = 200000, .count = 1000 },
	};
	struct lxm_error err = { 0 };
	uint32_t v = htole32(2), id;
	ssize_t n;
	int fd;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(file, sizeof(file), "%s/f", dir);
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < 5; i++) {
		e[i].tag = htole16(e[i].tag);
		e[i].perm = htole16(e[i].perm);
		e[i].id = htole32(e[i].id);
	}
	memcpy(acl, &v, 4);
	memcpy(acl + 4, e, sizeof(e));
	if (setxattr(file, "system.posix_acl_access", acl, sizeof(acl), 0) < 0) {
		printf("ok %d # SKIP no POSIX ACLs on /tmp\n", ++tap_n);
	} else {
		ok(lxm_shift_tree(dir, NULL, 0, to, 2, &err) == 0, "shift a tree with an ACL: %s", err.msg);
		n = getxattr(file, "system.posix_acl_access", acl, sizeof(acl));
		memcpy(&id, acl + 4 + 8 + 4, 4);
		ok(n == (ssize_t)sizeof(acl) && le32toh(id) == 200005, "the ACL's user entry 5 is host 200005 (%u)",
		   le32toh(id));
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ok(system(cmd) == 0, "clean up");
}

int main(void)
{
	test_parse();
	test_ranges();
	test_pick_new();
	test_format();
	test_files();
	test_registry();
	test_registry_files();
	test_shift_acl();
	return tap_done();
}
