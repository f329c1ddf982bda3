#include <fcntl.h>
#include <linux/capability.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "caps.h"
#include "util.h"

static const char *const cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
	"setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
	"net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
	"sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
	"sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
	"setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

int lxm_cap_from_name(const char *name)
{
	if (strncasecmp(name, "cap_", 4) == 0)
		name += 4;
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (strcasecmp(name, cap_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *lxm_cap_to_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names))
		return NULL;
	return cap_names[cap];
}

uint64_t lxm_caps_mask(char *const *drop, size_t n_drop, char *const *keep, size_t n_keep)
{
	uint64_t mask = ~0ULL;

	if (n_keep) {
		mask = 0;
		for (size_t i = 0; i < n_keep; i++) {
			int c = lxm_cap_from_name(keep[i]);
			if (c >= 0 && c < 64)
				mask |= 1ULL << c;
		}
	}
	for (size_t i = 0; i < n_drop; i++) {
		int c = lxm_cap_from_name(drop[i]);
		if (c >= 0 && c < 64)
			mask &= ~(1ULL << c);
	}
	return mask;
}

int lxm_caps_apply(char *const *drop, size_t n_drop, char *const *keep, size_t n_keep,
		   struct lxm_error *err)
{
	return lxm_caps_apply_mask(lxm_caps_mask(drop, n_drop, keep, n_keep), err);
}

int lxm_caps_apply_mask(uint64_t mask, struct lxm_error *err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (mask == ~0ULL)
		return 0;
	/* up to the kernel's last capability, where it says EINVAL (instead
	 * of reading /proc/sys/kernel/cap_last_cap: in lxm-attach that is
	 * the container's /proc, and a file read costs more than the drops) */
	for (int c = 0; c < 64; c++) {
		if (mask & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			const char *name = lxm_cap_to_name(c);

			if (errno == EINVAL)
				break;
			return lxm_error_set(err, errno, "dropping capability '%s'", name ? name : "?");
		}
	}
	if (syscall(SYS_capget, &hdr, data) < 0)
		return lxm_error_set(err, errno, "reading capabilities");
	for (int i = 0; i < 2; i++) {
		uint32_t k = (uint32_t)(mask >> (32 * i));
		data[i].effective &= k;
		data[i].permitted &= k;
		data[i].inheritable &= k;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return lxm_error_set(err, errno, "setting capabilities");
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;
}
