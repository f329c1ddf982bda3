#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "seccomp-prog.h"
#include "util.h"

int lxm_seccomp_prog_read(int fd, size_t size, struct lxm_seccomp_prog *p)
{
	ssize_t n;

	lxm_seccomp_prog_free(p);
	if (size == 0 || size % sizeof(struct sock_filter) || size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return -EINVAL;
	p->insns = malloc(size);
	if (!p->insns)
		return -ENOMEM;
	n = pread(fd, p->insns, size, 0);
	if (n < 0 || (size_t)n != size) {
		int r = n < 0 ? -errno : -EIO;

		lxm_seccomp_prog_free(p);
		return r;
	}
	p->n = size / sizeof(struct sock_filter);
	return 0;
}

int lxm_seccomp_prog_open(const char *path, struct lxm_seccomp_prog *p, struct lxm_error *err)
{
	/* only a program that root wrote and nobody else can change */
	struct stat st;
	_cleanup_close_ int fd = lxm_open_ours_at(AT_FDCWD, path, O_RDONLY | O_NONBLOCK, 0077, &st);
	int r;

	if (fd == -ENOENT)
		return -ENOENT;
	if (fd == -EPERM)
		return lxm_error_setr(err, EPERM, "'%s' is not a regular file of ours with mode 0600", path);
	if (fd < 0)
		return lxm_error_set(err, -fd, "opening '%s'", path);
	r = lxm_seccomp_prog_read(fd, (size_t)st.st_size, p);
	if (r < 0)
		return lxm_error_set(err, -r, "reading the seccomp program '%s'", path);
	return 0;
}

int lxm_seccomp_prog_load(const struct lxm_seccomp_prog *p, struct lxm_error *err)
{
	struct sock_fprog fprog = { .len = (unsigned short)p->n, .filter = p->insns };

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
		return lxm_error_set(err, errno, "loading the seccomp filter");
	return 0;
}

void lxm_seccomp_prog_free(struct lxm_seccomp_prog *p)
{
	free(p->insns);
	p->insns = NULL;
	p->n = 0;
}
