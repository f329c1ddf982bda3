#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>

#include "apparmor.h"
#include "util.h"

int lxm_apparmor_onexec_host(const char *profile, struct lxm_error *err)
{
	/* the LSM-specific file (Linux 5.8+) first, the shared one before */
	static const char *const files[] = { "/proc/thread-self/attr/apparmor/exec",
					     "/proc/thread-self/attr/exec" };
	_cleanup_free_ char *cmd = NULL;
	_cleanup_close_ int fd = -1;
	struct statfs sfs;
	size_t i;
	ssize_t n;

	if (!profile)
		return 0;
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		fd = open(files[i], O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			break;
	}
	if (fd < 0)
		return lxm_error_set(err, errno, "switching to AppArmor profile '%s' on exec: opening '%s'", profile,
				     files[i < ARRAY_SIZE(files) ? i : ARRAY_SIZE(files) - 1]);
	/* a file of the kernel's, not something mounted over it */
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return lxm_error_setr(err, EPERM, "switching to AppArmor profile '%s' on exec: '%s' is not on procfs",
				      profile, files[i]);
	cmd = lxm_strdup_printf("exec %s", profile);
	if (!cmd)
		return lxm_error_set(err, ENOMEM, "AppArmor");
	n = write(fd, cmd, strlen(cmd));
	if (n < 0)
		return lxm_error_set(err, errno, "switching to AppArmor profile '%s' on exec", profile);
	if ((size_t)n != strlen(cmd))
		return lxm_error_setr(err, EIO, "switching to AppArmor profile '%s' on exec: short write", profile);
	return 0;
}
