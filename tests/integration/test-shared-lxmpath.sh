#!/bin/bash
# The lxmpath on a mount of its own with shared propagation, as on a
# systemd host (/ is rshared there): the monitor's detached clone of the
# rootfs (idmapped or not) must not stay in that peer group, or the
# container's proc, sys and dev mounts show up on the host and pivot_root
# fails (EINVAL).
. "$(dirname "$0")/lib.sh"
require_root

mount -t tmpfs -o mode=0755 lxm-shared "$LXM_PATH" || { echo "1..0 # SKIP cannot mount a tmpfs"; exit 0; }
mount --make-shared "$LXM_PATH"
shared_cleanup() {
	destroy_all
	umount -l "$LXM_PATH" 2>/dev/null
	cleanup
}
trap shared_cleanup EXIT
ok "$(awk -v p="$LXM_PATH" '$5 == p' /proc/self/mountinfo | grep -q 'shared:'; echo $?)" "the lxmpath is a shared mount"

for kind in unprivileged privileged; do
	c=${PFX}-${kind:0:1}
	args=(); [ $kind = privileged ] && args=(--privileged)
	check "$kind: create" -- lxm-create -n "$c" -t busybox "${args[@]}"
	check "$kind: start" -- lxm-start -n "$c"
	pid=$(pid_of "$c")
	ok "$( [ "$(state_of "$c")" = RUNNING ]; echo $?)" "$kind: RUNNING"
	if [ $kind = unprivileged ]; then
		ok "$(awk '$5 == "/" { print $6 }' /proc/$pid/mountinfo | grep -qw idmapped; echo $?)" "$kind: on an idmapped rootfs mount"
	fi
	leaked=$(grep -F "$LXM_PATH/$c/rootfs/" /proc/self/mountinfo | awk '{ print $5 }' | tr '\n' ' ')
	ok "$( [ -z "$leaked" ]; echo $?)" "$kind: none of its mounts shows up on the host${leaked:+ ($leaked)}"
	a=$(lxm-attach -n "$c" -- /bin/hostname 2>/dev/null)
	ok "$( [ "$a" = "$c" ]; echo $?)" "$kind: lxm-attach works ($a)"
	check "$kind: stop" -- lxm-stop -n "$c" -k
	no_leaks "$c" "$kind: nothing is left"
	check "$kind: destroy" -- lxm-destroy -n "$c"
done

done_testing
