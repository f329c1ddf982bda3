/* A static probe that test-confine.sh copies into busybox containers: it
 * makes one system call (harmless arguments) and prints how it ended, as
 * "ok" or the errno name, e.g. "EPERM". Killed by seccomp, it prints
 * nothing (the shell sees status 159). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOSYS: return "ENOSYS";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case EFAULT: return "EFAULT";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EROFS: return "EROFS";
	case ENOKEY: return "ENOKEY";
	case EEXIST: return "EEXIST";
	case ENOMEM: return "ENOMEM";
	case EAGAIN: return "EAGAIN";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ESRCH: return "ESRCH";
	case ENODEV: return "ENODEV";
	case ENXIO: return "ENXIO";
	case EBUSY: return "EBUSY";
	}
	static char buf[32];
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static int report(long r)
{
	if (r < 0)
		puts(errname(errno));
	else
		puts("ok");
	return 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	if (!strcmp(c, "kexec_load"))
		return report(syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000UL));
	if (!strcmp(c, "kexec_file_load"))
		return report(syscall(SYS_kexec_file_load, -1, -1, 0, NULL, 0xdead0000UL));
	if (!strcmp(c, "init_module"))
		return report(syscall(SYS_init_module, NULL, 0, ""));
	if (!strcmp(c, "finit_module"))
		return report(syscall(SYS_finit_module, -1, "", 0));
	if (!strcmp(c, "delete_module"))
		return report(syscall(SYS_delete_module, "lxm_no_such_module", O_NONBLOCK));
	if (!strcmp(c, "open_by_handle_at"))
		return report(syscall(SYS_open_by_handle_at, -1, NULL, 0));
	if (!strcmp(c, "keyctl"))  /* KEYCTL_GET_KEYRING_ID of the session keyring */
		return report(syscall(SYS_keyctl, 0, -3, 0));
	if (!strcmp(c, "request_key"))
		return report(syscall(SYS_request_key, "user", "lxm-probe", NULL, 0));
	if (!strcmp(c, "bpf"))
		return report(syscall(SYS_bpf, -1, NULL, 0));
	if (!strcmp(c, "perf_event_open"))
		return report(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
	if (!strcmp(c, "euid")) {
		printf("%u\n", (unsigned)geteuid());
		return 0;
	}
	if (!strcmp(c, "getppid"))
		return report(syscall(SYS_getppid));
	if (!strcmp(c, "unshare-user"))
		return report(unshare(CLONE_NEWUSER));
	if (!strcmp(c, "clone-user") || !strcmp(c, "clone")) {
		unsigned long flags = SIGCHLD | (!strcmp(c, "clone-user") ? CLONE_NEWUSER : 0);
		long pid = syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		return report(pid);
	}
	if (!strcmp(c, "clone3")) {
		struct clone_args a = { .exit_signal = SIGCHLD };
		long pid = syscall(SYS_clone3, &a, sizeof(a));
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		return report(pid);
	}
	if (!strcmp(c, "fork")) {  /* through the C library: clone3, then clone */
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return report(pid);
	}
	if (!strcmp(c, "mknod-block") && argc > 4) {
		long r = mknod(argv[2], S_IFBLK | 0600, makedev(atoi(argv[3]), atoi(argv[4])));
		if (r == 0)
			unlink(argv[2]);
		return report(r);
	}
	if (!strcmp(c, "open-block") && argc > 2) {  /* open a block node we were given */
		int fd = open(argv[2], O_RDONLY);
		return report(fd);
	}
	if (!strcmp(c, "write") && argc > 3) {
		int fd = open(argv[2], O_WRONLY);
		if (fd < 0)
			return report(fd);
		return report(write(fd, argv[3], strlen(argv[3])));
	}
	if (!strcmp(c, "alloc") && argc > 2) {  /* touch N MiB */
		size_t n = (size_t)atol(argv[2]) << 20;
		char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return report(-1);
		for (size_t i = 0; i < n; i += 4096)
			p[i] = 1;
		return report(0);
	}
	if (!strcmp(c, "forkloop")) {  /* fork until refused; print how */
		long n = 0;
		for (;;) {
			pid_t pid = fork();
			if (pid == 0) {
				pause();
				_exit(0);
			}
			if (pid < 0) {
				printf("%ld %s\n", n, errname(errno));
				fflush(stdout);
				kill(0, SIGKILL);
				return 0;
			}
			n++;
		}
	}
	fprintf(stderr, "usage: confine-probe SYSCALL|unshare-user|clone-user|clone3|fork|"
		"mknod-block PATH MAJ MIN|write FILE DATA|alloc MIB|forkloop\n");
	return 2;
}
