/* A static probe that test-confine.sh copies into busybox containers: it
 * makes one system call (harmless arguments) and prints how it ended, as
 * "ok" or the errno name, e.g. "EPERM". Killed by seccomp, it prints
 * nothing (the shell sees status 159). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_fspick
#define SYS_fspick 433
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

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

/* BPF_PROG_QUERY for the device programs of the cgroup at dir, flags as
 * query_flags, at most n ids into ids: -1 with errno on failure. */
static int query_device_progs(const char *dir, uint32_t flags, union bpf_attr *a, uint32_t *ids, uint32_t n)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY), r, e;

	if (fd < 0)
		return -1;
	memset(a, 0, sizeof(*a));
	a->query.target_fd = (uint32_t)fd;
	a->query.attach_type = BPF_CGROUP_DEVICE;
	a->query.query_flags = flags;
	a->query.prog_ids = (uint64_t)(uintptr_t)ids;
	a->query.prog_cnt = n;
	r = (int)syscall(SYS_bpf, BPF_PROG_QUERY, a, sizeof(*a));
	e = errno;
	close(fd);
	errno = e;
	return r;
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
	/* reconfigure the superblock of the filesystem at PATH read-only
	 * through the new mount API (what "mount -o remount,ro" does with a
	 * recent libmount) */
	if (!strcmp(c, "fspick-ro") && argc > 2) {
		long fd = syscall(SYS_fspick, AT_FDCWD, argv[2], 0);
		if (fd < 0)
			return report(fd);
		if (syscall(SYS_fsconfig, fd, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0)
			return report(-1);
		return report(syscall(SYS_fsconfig, fd, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0));
	}
	/* a proc or sysfs that no path leads to: a detached copy of the mount
	 * at PATH made writable (open_tree, mount_setattr), or a new one
	 * (fsopen, fsmount); then write DATA to REL under it */
	if ((!strcmp(c, "clone-write") || !strcmp(c, "fsmount-write")) && argc > 4) {
		long mfd;
		int fd;

		if (!strcmp(c, "clone-write")) {
			struct mount_attr attr = { .attr_clr = MOUNT_ATTR_RDONLY };

			mfd = syscall(SYS_open_tree, AT_FDCWD, argv[2], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
			if (mfd < 0)
				return report(mfd);
			/* not there when it was writable already */
			(void)syscall(SYS_mount_setattr, mfd, "", AT_EMPTY_PATH, &attr, sizeof(attr));
		} else {
			long sfd = syscall(SYS_fsopen, argv[2], FSOPEN_CLOEXEC);
			if (sfd < 0)
				return report(sfd);
			if (syscall(SYS_fsconfig, sfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
				return report(-1);
			mfd = syscall(SYS_fsmount, sfd, FSMOUNT_CLOEXEC, 0);
			if (mfd < 0)
				return report(mfd);
		}
		fd = openat((int)mfd, argv[3], O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return report(fd);
		return report(write(fd, argv[4], strlen(argv[4])));
	}
	/* mount(2) with exactly these flags (hex; busybox's mount adds
	 * MS_SILENT, which AppArmor's remount rules do not ignore) */
	if (!strcmp(c, "mount") && argc > 5)
		return report(mount(argv[2][0] ? argv[2] : NULL, argv[3], argv[4][0] ? argv[4] : NULL,
				    strtoul(argv[5], NULL, 16), NULL));
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
	if (!strcmp(c, "mknod-char") && argc > 4) {
		long r = mknod(argv[2], S_IFCHR | 0600, makedev(atoi(argv[3]), atoi(argv[4])));
		if (r == 0)
			unlink(argv[2]);
		return report(r);
	}
	if (!strcmp(c, "open") && argc > 2) {  /* open a node read-write */
		int fd = open(argv[2], O_RDWR | O_NOCTTY);
		return report(fd);
	}
	if (!strcmp(c, "read") && argc > 2) {  /* "ok N": N bytes read (up to 64 KiB) */
		static char buf[65536];
		int fd = open(argv[2], O_RDONLY);
		ssize_t n;
		if (fd < 0)
			return report(fd);
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return report(n);
		printf("ok %zd\n", n);
		return 0;
	}
	/* run on the host (the VM): the cgroup device programs of a cgroup,
	 * "COUNT FLAGS" (attached directly) or "COUNT" (effective) */
	if (!strcmp(c, "bpf-query") && argc > 2) {
		union bpf_attr a;
		uint32_t ids[64];
		if (query_device_progs(argv[2], argc > 3 && !strcmp(argv[3], "effective") ? BPF_F_QUERY_EFFECTIVE : 0,
				       &a, ids, 64) < 0)
			return report(-1);
		if (a.query.query_flags)
			printf("%u\n", a.query.prog_cnt);
		else
			printf("%u %s\n", a.query.prog_cnt, a.query.attach_flags == BPF_F_ALLOW_MULTI ? "ALLOW_MULTI" :
			       a.query.attach_flags == BPF_F_ALLOW_OVERRIDE ? "ALLOW_OVERRIDE" :
			       a.query.attach_flags ? "OTHER" : "NONE");
		return 0;
	}
	/* run on the host: the ids of the device programs attached to a cgroup */
	if (!strcmp(c, "bpf-ids") && argc > 2) {
		union bpf_attr a;
		uint32_t ids[64];
		if (query_device_progs(argv[2], 0, &a, ids, 64) < 0)
			return report(-1);
		for (uint32_t i = 0; i < a.query.prog_cnt && i < 64; i++)
			printf("%s%u", i ? " " : "", ids[i]);
		printf("\n");
		return 0;
	}
	/* run on the host: attach an allow-everything (or deny-everything)
	 * device program to a cgroup with BPF_F_ALLOW_MULTI, as systemd does
	 * for its units */
	if ((!strcmp(c, "bpf-allow-all") || !strcmp(c, "bpf-deny-all")) && argc > 2) {
		struct bpf_insn prog[] = {
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = !strcmp(c, "bpf-allow-all") },
			{ .code = BPF_JMP | BPF_EXIT },
		};
		union bpf_attr a;
		long pfd;
		int fd = open(argv[2], O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			return report(fd);
		memset(&a, 0, sizeof(a));
		a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
		a.expected_attach_type = BPF_CGROUP_DEVICE;
		a.insns = (uint64_t)(uintptr_t)prog;
		a.insn_cnt = 2;
		a.license = (uint64_t)(uintptr_t)"GPL";
		pfd = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
		if (pfd < 0)
			return report(pfd);
		memset(&a, 0, sizeof(a));
		a.target_fd = (uint32_t)fd;
		a.attach_bpf_fd = (uint32_t)pfd;
		a.attach_type = BPF_CGROUP_DEVICE;
		a.attach_flags = BPF_F_ALLOW_MULTI;
		return report(syscall(SYS_bpf, BPF_PROG_ATTACH, &a, sizeof(a)));
	}
	if (!strcmp(c, "stat-dev") && argc > 2) {  /* "c 10:200" */
		struct stat st;
		if (stat(argv[2], &st) < 0)
			return report(-1);
		printf("%c %u:%u\n", S_ISCHR(st.st_mode) ? 'c' : S_ISBLK(st.st_mode) ? 'b' : '-',
		       major(st.st_rdev), minor(st.st_rdev));
		return 0;
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
		"fspick-ro PATH|mount SRC TARGET FSTYPE HEXFLAGS|clone-write|fsmount-write PATH|FSTYPE REL DATA|mknod-block|mknod-char PATH MAJ MIN|open-block|open|read|stat-dev PATH|write FILE DATA|alloc MIB|forkloop\n");
	return 2;
}
