/* Snapshot marks (snapshot.c): which containers a base start must count,
 * and which marks are stale. Containers are made by hand in a temp dir. No
 * root needed. */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "../../lxm/config.h" /* not the build dir's autoconf config.h */
#include "destroy.h"
#include "snapshot.h"
#include "tap.h"
#include "util.h"

static char tmpdir[] = "/tmp/test-snapshot.XXXXXX";

static void put(const char *rel, const char *text)
{
	char p[600];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (text && lxm_write_full(fd, text, strlen(text)) < 0))
		skip_all("cannot write '%s'", p);
	close(fd);
}

static void dir(const char *rel)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	if (mkdir(p, 0755) < 0)
		skip_all("cannot make '%s'", p);
}

static bool exists(const char *rel)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	return access(p, F_OK) == 0;
}

/* a snapshot container NAME over LOWER (absolute) */
static void snapshot(const char *name, const char *lower)
{
	char rel[256], text[1024];

	snprintf(rel, sizeof(rel), "lib/%s", name);
	dir(rel);
	snprintf(rel, sizeof(rel), "lib/%s/config", name);
	snprintf(text, sizeof(text),
		 "name = \"%s\";\nrootfs = { path = \"rootfs\"; overlay_lower = \"%s\"; overlay_upper = \"overlay/upper\"; "
		 "overlay_work = \"overlay/work\"; };\n", name, lower);
	put(rel, text);
}

int main(void)
{
	int making_fd = -1;
	char lib[600], base_dir[600], base_rootfs[600], other_rootfs[600], note[256];
	struct lxm_paths paths = { 0 };
	_cleanup_free_ char *first = NULL;
	size_t n = 99;
	int r;

	if (!mkdtemp(tmpdir))
		skip_all("no temp dir");
	snprintf(lib, sizeof(lib), "%s/lib", tmpdir);
	snprintf(base_dir, sizeof(base_dir), "%s/lib/base", tmpdir);
	snprintf(base_rootfs, sizeof(base_rootfs), "%s/lib/base/rootfs", tmpdir);
	snprintf(other_rootfs, sizeof(other_rootfs), "%s/lib/other/rootfs", tmpdir);
	paths.lxmpath = lib;
	dir("lib");
	dir("lib/base");
	dir("lib/base/rootfs");
	dir("lib/other");
	dir("lib/other/rootfs");

	r = lxm_snapshot_count(&paths, base_dir, base_rootfs, &n, &first);
	ok(r == 0 && n == 0 && !first, "no marks: no snapshots");
	ok(!lxm_snapshot_base_readonly(&paths, base_dir, base_rootfs, note, sizeof(note)), "and no read-only rootfs");

	/* live, being made (its create holds the partial marker's lock),
	 * killed while being made (nobody holds it), gone, over another base,
	 * renamed away from overlays */
	ok(lxm_snapshot_register(base_dir, "live") == 0, "mark 'live'");
	snapshot("live", base_rootfs);
	lxm_snapshot_register(base_dir, "making");
	dir("lib/making");
	put("lib/making/partial", NULL);
	{
		char p[600];

		snprintf(p, sizeof(p), "%s/lib/making/partial", tmpdir);
		making_fd = open(p, O_RDONLY | O_CLOEXEC);
		if (making_fd < 0 || flock(making_fd, LOCK_EX) < 0)
			skip_all("cannot lock '%s'", p);
	}
	lxm_snapshot_register(base_dir, "killed");
	dir("lib/killed");
	put("lib/killed/partial", NULL);
	lxm_snapshot_register(base_dir, "gone");
	lxm_snapshot_register(base_dir, "elsewhere");
	snapshot("elsewhere", other_rootfs);
	lxm_snapshot_register(base_dir, "plain");
	dir("lib/plain");
	put("lib/plain/config", "name = \"plain\";\nrootfs = { path = \"rootfs\"; };\n");
	lxm_snapshot_register(base_dir, "..");
	ok(exists("lib/base/snapshots/live") && exists("lib/base/snapshots/gone"), "marks are files in <base>/snapshots");

	r = lxm_snapshot_count(&paths, base_dir, base_rootfs, &n, &first);
	ok(r == 0 && n == 2, "a live snapshot and one being made count, the others (one killed while being made) do not (%zu)", n);
	ok(first && (streq(first, "live") || streq(first, "making")), "the first one is named ('%s')", first ? first : "");
	ok(exists("lib/base/snapshots/live") && exists("lib/base/snapshots/making"), "their marks stay");
	ok(!exists("lib/base/snapshots/gone") && !exists("lib/base/snapshots/elsewhere") &&
	   !exists("lib/base/snapshots/plain") && !exists("lib/base/snapshots/killed"), "stale marks are removed");
	ok(lxm_snapshot_base_readonly(&paths, base_dir, base_rootfs, note, sizeof(note)) &&
	   strstr(note, "'base' is the base of 2 snapshot(s)"), "the base's rootfs is read-only: %s", note);

	/* a config being edited (unreadable) keeps the base safe */
	put("lib/live/config", "rootfs = { path = ");
	r = lxm_snapshot_count(&paths, base_dir, base_rootfs, &n, NULL);
	ok(r == 0 && n == 2 && exists("lib/base/snapshots/live"), "an unreadable snapshot config still counts");

	ok(lxm_snapshot_unregister(base_dir, "live") == 0 && lxm_snapshot_unregister(base_dir, "making") == 0 &&
	   lxm_snapshot_unregister(base_dir, "never") == 0, "unregister, also of a name never marked");
	ok(!exists("lib/base/snapshots"), "the last mark takes the directory with it");
	r = lxm_snapshot_count(&paths, base_dir, base_rootfs, &n, NULL);
	ok(r == 0 && n == 0, "no snapshots left");
	close(making_fd);

	{
		int t = open("/tmp", O_RDONLY | O_DIRECTORY);
		struct lxm_error e = { 0 };

		lxm_remove_tree_at(t, tmpdir + strlen("/tmp/"), &e);
		close(t);
	}
	return tap_done();
}
