#!/bin/bash
# Inside the VM (tests/vm/run): unprivileged by default works the same on
# a pure cgroup v2 + AppArmor host (issue 9). A default busybox container
# gets a range added to the VM's empty /etc/subuid and /etc/subgid, runs
# its init as a host uid of that range, on an idmapped mount of its rootfs,
# under its generated AppArmor profile where AppArmor is enabled, and
# attach, stop and destroy work.
. "$SRCDIR/tests/integration/lib.sh"
require_root

# what this kernel offers, as lxm-checkconfig sees it
cc=$(lxm-checkconfig 2>&1)
ccrc=$?
[ $ccrc -eq 0 ] || diag "$cc"
ok "$(echo "$cc" | grep -Eq '^user namespace +yes' ; echo $?)" "lxm-checkconfig: user namespaces ($(echo "$cc" | grep '^user namespace'))"
# its probe is a tmpfs: "no" on 6.1 (tmpfs has them since 6.3), with what lxm does instead
ok "$(echo "$cc" | grep -Eq '^idmapped mounts +(yes|no - .*shifted)'; echo $?)" "lxm-checkconfig: idmapped mounts ($(echo "$cc" | grep '^idmapped mounts' | tr -s ' '))"
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
	ok "$(echo "$cc" | grep -Eq '^cgroup layout +yes.*unified'; echo $?)" "lxm-checkconfig: cgroup layout ($(echo "$cc" | grep '^cgroup layout' | tr -s ' '))"
else
	skip "not a pure cgroup v2 host"
fi
aa=0
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && [ -r /sys/kernel/security/apparmor/profiles ] &&
   command -v apparmor_parser >/dev/null; then
	aa=1
	ok "$(echo "$cc" | grep -Eq '^AppArmor +yes'; echo $?)" "lxm-checkconfig: AppArmor ($(echo "$cc" | grep '^AppArmor' | tr -s ' '))"
else
	skip "AppArmor is not enabled here"
fi

# the VM has empty subordinate id files: lxm-create adds a range for root
: >"$LXM_SUBUID_FILE"; : >"$LXM_SUBGID_FILE"

# Debian's 6.1 kernel has no idmapped mounts on tmpfs (6.3 has), which is
# the VM's root (lxm-checkconfig tries a tmpfs): lxm then shifts the
# rootfs's ownership at create. Containers kept on ext4 get the idmapped
# mount, so the test puts its lxmpath on an ext4 image where tmpfs fails.
fsdesc="$(stat -f -c %T "$LXM_PATH")"
loopimg=""
if echo "$cc" | grep -Eq '^idmapped mounts +no' && [ "$(stat -f -c %T "$LXM_PATH")" = tmpfs ]; then
	loopimg=$TEST_TMP.ext4
	loopdev=""
	if fsout=$( { modprobe loop && modprobe crc32c_generic && modprobe ext4 && truncate -s 256M "$loopimg" && mke2fs -q -F "$loopimg" >/dev/null &&
		      loopdev=$(losetup -f) && { [ -b "$loopdev" ] || mknod "$loopdev" b 7 "${loopdev#/dev/loop}"; } &&
		      losetup "$loopdev" "$loopimg" && echo "$loopdev" >"$TEST_TMP/loopdev" && mount -t ext4 "$loopdev" "$LXM_PATH"; } 2>&1); then
		fsdesc="ext4 image (tmpfs has no idmapped mounts on $(uname -r))"
	else
		printf '%s\n' "$fsout" | sed 's/^/# /'
		dmesg 2>/dev/null | tail -8 | sed 's/^/# dmesg: /'
		lsmod 2>/dev/null | grep -E 'ext4|loop|jbd2' | sed 's/^/# lsmod: /'
		diag "could not make an ext4 lxmpath (loop/ext4 modules, mke2fs): containers stay on tmpfs"
	fi
	fs_cleanup() {
		destroy_all
		umount "$LXM_PATH" 2>/dev/null
		loopdev=$(cat "$TEST_TMP/loopdev" 2>/dev/null)
		[ -n "$loopdev" ] && losetup -d "$loopdev" 2>/dev/null
		rm -f "$loopimg"
		cleanup
	}
	trap fs_cleanup EXIT
fi
diag "lxmpath on: $fsdesc"
c=${PFX}-un
out=$(lxm-create -n "$c" -t busybox 2>&1)
ok $? "create a default (unprivileged) busybox container"
ok "$(echo "$out" | grep -q "added 'root:[0-9]*:[0-9]*'" && grep -q '^root:[0-9]*:[0-9]*$' "$LXM_SUBUID_FILE" &&
	grep -q '^root:[0-9]*:[0-9]*$' "$LXM_SUBGID_FILE"; echo $?)" \
	"lxm-create added a range for root to the empty subuid and subgid files ($(cat "$LXM_SUBUID_FILE"))"
host=$(sed -n 's/.*type = "u"; container = 0; host = \([0-9]*\); count = \([0-9]*\).*/\1/p' "$LXM_PATH/$c/config")
count=$(sed -n 's/.*type = "u"; container = 0; host = \([0-9]*\); count = \([0-9]*\).*/\2/p' "$LXM_PATH/$c/config")
ok "$( [ -n "$host" ] && [ "${count:-0}" -ge 65536 ]; echo $?)" "its config maps root to host uid $host ($count ids)"

t0=$(date +%s%N)
out=$(timeout 90 lxm-start -n "$c" 2>&1)
ok $? "start it ($(( ($(date +%s%N) - t0) / 1000000 )) ms)${out:+: $out}"
pid=$(pid_of "$c")
ok "$( [ "$(state_of "$c")" = RUNNING ] && [ -n "$pid" ]; echo $?)" "it is RUNNING (init pid $pid)"
read -r _ ruid euid _ < <(grep '^Uid:' /proc/$pid/status 2>/dev/null)
read -r _ rgid egid _ < <(grep '^Gid:' /proc/$pid/status 2>/dev/null)
ok "$( [ "$ruid" = "$host" ] && [ "$euid" = "$host" ] && [ "$rgid" = "$host" ]; echo $?)" \
	"init runs as host uid/gid $ruid/$rgid (the range's first id), from the VM's /proc/$pid/status"
ok "$( [ "$(awk '{ print $1, $2, $3; exit }' /proc/$pid/uid_map)" = "0 $host $count" ]; echo $?)" \
	"init's uid_map: $(awk '{ print $1, $2, $3; exit }' /proc/$pid/uid_map 2>/dev/null)"
rootline=$(awk '$5 == "/" { print }' /proc/$pid/mountinfo | head -1)
ok "$(echo "$rootline" | awk '{ print $6 }' | grep -qw idmapped; echo $?)" \
	"its rootfs is an idmapped mount (/proc/$pid/mountinfo: $(echo "$rootline" | awk '{ print $4, $5, $6 }'))"
# the lxmpath is its own mount here, shared like everything on the VM's /
# (as on a systemd host): nothing the container mounts may show up on it
ok "$( ! grep -qF "$LXM_PATH/$c/rootfs/" /proc/self/mountinfo; echo $?)" \
	"none of the container's mounts propagates to the VM's ($(awk '$5 == "'"$LXM_PATH"'" { print $7 }' /proc/self/mountinfo) lxmpath)"
ok "$( [ "$(stat -c %u "$LXM_PATH/$c/rootfs/bin/busybox")" = 0 ]; echo $?)" \
	"the files on disk stay owned by 0 (no shifting)"
u=$(lxm-attach -n "$c" -- /bin/sh -c 'id -u' 2>/dev/null)
ok "$( [ "$u" = 0 ]; echo $?)" "lxm-attach: uid 0 inside ($u)"
own=$(lxm-attach -n "$c" -- /bin/sh -c 'stat -c %u:%g /bin/busybox /etc/inittab /' 2>/dev/null | sort -u)
ok "$( [ "$own" = 0:0 ]; echo $?)" "root inside owns its files ($own)"
lxm-attach -n "$c" -- /bin/sh -c 'echo x >/write-test && rm /write-test' >/dev/null 2>&1
ok $? "and writes to its rootfs"
lxm-attach -n "$c" -- /bin/sh -c 'exec sleep 31' >/dev/null 2>&1 &
apid=$!
for i in $(seq 1 50); do hp=$(pgrep -x -f 'sleep 31'); [ -n "$hp" ] && break; sleep 0.1; done
ok "$( [ -n "$hp" ] && [ "$(awk '/^Uid:/ { print $2 }' /proc/$hp/status)" = "$host" ]; echo $?)" \
	"an attached process also runs as host uid $host (pid ${hp:-none})"
[ -n "$hp" ] && kill $hp 2>/dev/null
wait $apid 2>/dev/null
if [ $aa = 1 ]; then
	lbl=$(cat /proc/$pid/attr/current 2>/dev/null)
	ok "$(echo "$lbl" | grep -q "^lxm-${c}_.* (enforce)\$"; echo $?)" "init runs under its generated AppArmor profile ($lbl)"
else
	skip "AppArmor is not enabled here"
fi
# host ids outside the range are nobody inside
n=$(lxm-attach -n "$c" -- /bin/sh -c 'stat -c %u /sys/kernel' 2>/dev/null)
ok "$( [ "$n" = 65534 ]; echo $?)" "host root's files show as nobody inside (/sys/kernel: $n)"
check "lxm-stop (clean halt)" -- lxm-stop -n "$c" -t 20
ok "$( [ "$(state_of "$c")" = STOPPED ] && [ ! -d /proc/$pid ]; echo $?)" "it is STOPPED"
no_leaks "$c" "nothing is left after the stop"
check "start it again" -- timeout 90 lxm-start -n "$c"
check "lxm-stop -k" -- lxm-stop -n "$c" -k
check "lxm-destroy" -- lxm-destroy -n "$c"
ok "$( [ ! -e "$LXM_PATH/$c" ]; echo $?)" "its directory is gone"
no_leaks "$c" "nothing is left after destroy"

done_testing
