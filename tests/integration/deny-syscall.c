/* deny-syscall RULE COMMAND [ARG...]: run COMMAND under a seccomp filter
 * that makes one kind of call fail, every other call still working:
 *
 *   netns-unshare  unshare() with CLONE_NEWNET fails with EPERM (clone3
 *                  still works): test-net.sh starts a container under it,
 *                  so the monitor's thread cannot make the network
 *                  namespace ahead of the clone, and clone3 has to;
 *   pidfd-open     pidfd_open() fails with ENOSYS, as on Linux < 5.3 or
 *                  under valgrind 3.19: test-monitor.sh checks that no
 *                  command then takes a running container for a stopped
 *                  one.
 *
 * Exits 77 on an architecture it has no filter for. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define FAIL(e) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (e))
/* every call of another architecture allowed, then the call's number */
#define OWN_ARCH_NR LOAD(arch), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0), ALLOW, LOAD(nr)

int main(int argc, char **argv)
{
#ifdef ARCH
	struct sock_filter netns_unshare[] = {
		OWN_ARCH_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_unshare, 0, 3),
		LOAD(args[0]),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWNET, 0, 1),
		FAIL(EPERM),
		ALLOW,
	};
	struct sock_filter pidfd_open[] = {
		OWN_ARCH_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_pidfd_open, 0, 1),
		FAIL(ENOSYS),
		ALLOW,
	};
	struct sock_fprog prog;

	if (argc >= 3 && strcmp(argv[1], "netns-unshare") == 0)
		prog = (struct sock_fprog){ sizeof(netns_unshare) / sizeof(netns_unshare[0]), netns_unshare };
	else if (argc >= 3 && strcmp(argv[1], "pidfd-open") == 0)
		prog = (struct sock_fprog){ sizeof(pidfd_open) / sizeof(pidfd_open[0]), pidfd_open };
	else {
		fprintf(stderr, "usage: deny-syscall netns-unshare|pidfd-open COMMAND [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		perror("deny-syscall: loading the filter");
		return 1;
	}
	execvp(argv[2], argv + 2);
	perror("deny-syscall: exec");
	return 127;
#else
	(void)argc;
	(void)argv;
	fprintf(stderr, "deny-syscall: no filter for this architecture\n");
	return 77;
#endif
}
