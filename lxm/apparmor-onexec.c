#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>

#include "apparmor.h"
#include "state.h"
#include "util.h"

int lxm_apparmor_onexec_host(const char *profile, struct lxm_error *err)
{
	/* the LSM's own file (Linux 5.8+), else the shared one of older kernels */
	static const char *const files[] = { "/proc/thread-self/attr/apparmor/exec",
					     "/proc/thread-self/attr/exec" };
	/* no allocation: lxm-attach's child shares its parent's memory */
	char cmd[sizeof("exec ") + LXM_APPARMOR_PROFILE_MAX];
	_cleanup_close_ int fd = -1;
	const char *file = NULL;
	struct statfs sfs;
	ssize_t n;

	if (!profile)
		return 0;
	if ((size_t)snprintf(cmd, sizeof(cmd), "exec %s", profile) >= sizeof(cmd))
		return lxm_error_setr(err, ENAMETOOLONG, "AppArmor profile name '%s' too long", profile);
	for (size_t i = 0; i < ARRAY_SIZE(files) && fd < 0; i++) {
		file = files[i];
		fd = open(file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno != ENOENT)
			break;
	}
	if (fd < 0)
		return lxm_error_set(err, errno, "switching to AppArmor profile '%s' on exec: opening '%s'", profile,
				     file);
	/* a file of the kernel's, not something mounted over it */
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return lxm_error_setr(err, EPERM, "switching to AppArmor profile '%s' on exec: '%s' is not on procfs",
				      profile, file);
	n = write(fd, cmd, strlen(cmd));
	if (n < 0)
		return lxm_error_set(err, errno, "switching to AppArmor profile '%s' on exec", profile);
	if ((size_t)n != strlen(cmd))
		return lxm_error_setr(err, EIO, "switching to AppArmor profile '%s' on exec: short write", profile);
	return 0;
}
