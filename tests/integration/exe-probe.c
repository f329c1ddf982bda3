/* exe-probe DEV INO SECONDS STOPFILE: run inside a container, watch /proc
 * for new processes (until STOPFILE exists, SECONDS at most) and try to get hold of each one's executable
 * through /proc/PID/exe (the CVE-2019-5736 route to the host's runtime
 * binary). Prints "seen N opened N hit N": hit counts opens that reached
 * the file with that device and inode (the host's lxm-attach); a non-zero
 * hit is an escape. Statically linked: the container has no libc of ours. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static unsigned char seen_pid[1 << 22];
	unsigned long long dev, ino;
	unsigned long seen = 0, opened = 0, hit = 0;
	double end;
	pid_t self = getpid();

	if (argc != 5) {
		fprintf(stderr, "usage: exe-probe DEV INO SECONDS STOPFILE\n");
		return 2;
	}
	dev = strtoull(argv[1], NULL, 0);
	ino = strtoull(argv[2], NULL, 0);
	end = now() + atof(argv[3]);
	/* ready: the caller starts its attaches after this line */
	printf("ready\n");
	fflush(stdout);
	while (now() < end && access(argv[4], F_OK) < 0) {
		DIR *d = opendir("/proc");
		struct dirent *e;

		if (!d)
			return 1;
		while ((e = readdir(d))) {
			char path[64];
			struct stat st;
			long pid;
			int fd;

			pid = strtol(e->d_name, NULL, 10);
			if (pid <= 1 || pid == self || pid >= (long)sizeof(seen_pid))
				continue;
			snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
			fd = open(path, O_PATH | O_CLOEXEC);
			if (!seen_pid[pid]) {
				seen_pid[pid] = 1;
				seen++;
			}
			if (fd < 0)
				continue;
			opened++;
			if (fstat(fd, &st) == 0 && (unsigned long long)st.st_dev == dev &&
			    (unsigned long long)st.st_ino == ino) {
				hit++;
				printf("hit pid %ld\n", pid);
			}
			close(fd);
		}
		closedir(d);
	}
	printf("seen %lu opened %lu hit %lu\n", seen, opened, hit);
	return 0;
}
