/* Replay driver: runs LLVMFuzzerTestOneInput on each file named in argv (or
 * every file of a directory), so the fuzz targets build and run as plain
 * regression tests without libFuzzer. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(int dirfd, const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = lxm_read_file_at(dirfd, path, &buf, &len);

	if (r < 0) {
		fprintf(stderr, "reading '%s': %s\n", path, strerror(-r));
		return r;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0, count = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;

			if (!d) {
				failed++;
				continue;
			}
			while ((de = readdir(d))) {
				if (de->d_name[0] == '.')
					continue;
				if (replay_file(dirfd(d), de->d_name) < 0)
					failed++;
				count++;
			}
			closedir(d);
		} else {
			if (replay_file(AT_FDCWD, argv[i]) < 0)
				failed++;
			count++;
		}
	}
	printf("replayed %d inputs, %d unreadable\n", count, failed);
	return failed ? 1 : 0;
}
