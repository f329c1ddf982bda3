#!/bin/bash
# Inside the VM (tests/vm/run): lxm-copy -s on Debian 12's own kernel (6.1,
# pure cgroup v2), where a user would run it (issue 8). The snapshot's
# overlay is made with fsopen/fsconfig by fd; on 6.1 overlayfs still takes
# those through its legacy option string. A privileged snapshot boots and
# writes; its base then starts read-only. An unprivileged snapshot (its own
# id range) sees its base's files through an idmapped lower layer; that
# needs idmapped mounts on the lxmpath, which 6.1's tmpfs (the VM's root)
# lacks, so that part runs on an ext4 image as test-userns.sh does.
. "$SRCDIR/tests/integration/lib.sh"
require_root

modprobe overlay 2>/dev/null
: >"$LXM_SUBUID_FILE"; : >"$LXM_SUBGID_FILE"
diag "kernel $(uname -r), lxmpath on $(stat -f -c %T "$LXM_PATH")"

# ---- privileged: on the VM's tmpfs ---------------------------------------------
p=${PFX}-pb ps=${PFX}-ps
check "create a privileged busybox base" -- lxm-create -n "$p" -t busybox --privileged
check "lxm-copy -s" -- lxm-copy -n "$p" -N "$ps" -s
check "the snapshot starts" -- timeout 60 lxm-start -n "$ps"
check "and writes" -- lxm-attach -n "$ps" -- /bin/sh -c 'echo snap > /in-snap'
ok "$( [ "$(cat "$LXM_PATH/$ps/overlay/upper/in-snap" 2>/dev/null)" = snap ] && [ ! -e "$LXM_PATH/$p/rootfs/in-snap" ]; echo $?)" \
	"into its upper dir, not its base"
ok "$( [ "$(lxm-attach -n "$ps" -- cat /etc/hostname 2>/dev/null)" = "$ps" ]; echo $?)" "its /etc/hostname names it"
lxm-stop -n "$ps" -k >/dev/null 2>&1
no_leaks "$ps" "nothing left after its stop"
err=$(timeout 60 lxm-start -n "$p" 2>&1 >/dev/null)
ok "$(printf '%s\n' "$err" | grep -q "is the base of 1 snapshot(s) ('$ps'): its rootfs is mounted read-only"; echo $?)" \
	"the base starts, read-only, and says so"
out=$(lxm-attach -n "$p" -- /bin/sh -c 'touch /probe' 2>&1)
ok "$(printf '%s\n' "$out" | grep -q 'Read-only file system' && [ ! -e "$LXM_PATH/$p/rootfs/probe" ]; echo $?)" \
	"a write to the base fails with EROFS"
lxm-stop -n "$p" -k >/dev/null 2>&1
no_leaks "$p" "nothing left after the base's stop"
check "destroy the snapshot" -- lxm-destroy -n "$ps"
check "then the base" -- lxm-destroy -n "$p"

# ---- unprivileged: on an ext4 image ----------------------------------------------
mnt=$TEST_TMP/ext4
mkdir -p "$mnt"
img=$TEST_TMP.ext4
loopdev=
if out=$( { modprobe loop && modprobe crc32c_generic && modprobe ext4 && truncate -s 256M "$img" &&
	    mke2fs -q -F "$img" >/dev/null && loopdev=$(losetup -f) &&
	    { [ -b "$loopdev" ] || mknod "$loopdev" b 7 "${loopdev#/dev/loop}"; } &&
	    losetup "$loopdev" "$img" && echo "$loopdev" >"$TEST_TMP/loopdev" && mount -t ext4 "$loopdev" "$mnt"; } 2>&1); then
	ext4_cleanup() {
		local x
		for x in $(ls "$mnt" 2>/dev/null | sort -r); do
			LXM_PATH=$mnt lxm-stop -n "$x" -k >/dev/null 2>&1
			LXM_PATH=$mnt lxm-destroy -n "$x" -f >/dev/null 2>&1
		done
		umount "$mnt" 2>/dev/null
		[ -s "$TEST_TMP/loopdev" ] && losetup -d "$(cat "$TEST_TMP/loopdev")" 2>/dev/null
		rm -f "$img"
		cleanup
	}
	trap ext4_cleanup EXIT
	export LXM_PATH=$mnt
	u=${PFX}-ub us=${PFX}-us
	check "create an unprivileged busybox base (ext4)" -- lxm-create -n "$u" -t busybox
	ok "$( [ "$(stat -c %u "$LXM_PATH/$u/rootfs/bin/busybox")" = 0 ]; echo $?)" "its files stay unshifted (idmapped mounts)"
	check "lxm-copy -s of it" -- lxm-copy -n "$u" -N "$us" -s
	shost=$(sed -n 's/.*type = "u"; container = 0; host = \([0-9]*\);.*/\1/p' "$LXM_PATH/$us/config")
	bhost=$(sed -n 's/.*type = "u"; container = 0; host = \([0-9]*\);.*/\1/p' "$LXM_PATH/$u/config")
	ok "$( [ -n "$shost" ] && [ "$shost" != "$bhost" ]; echo $?)" "the snapshot has its own id range ($shost, base $bhost)"
	out=$(timeout 60 lxm-start -n "$us" 2>&1)
	ok $? "the unprivileged snapshot starts${out:+: $out}"
	pid=$(pid_of "$us")
	ok "$( [ "$(awk '/^Uid:/ { print $2 }' /proc/$pid/status 2>/dev/null)" = "$shost" ]; echo $?)" "its init runs as host uid $shost"
	own=$(lxm-attach -n "$us" -- /bin/sh -c 'stat -c %u:%g /bin/busybox /etc/inittab' 2>/dev/null | sort -u)
	ok "$( [ "$own" = 0:0 ]; echo $?)" "its base's files are its root's ($own)"
	lxm-attach -n "$us" -- /bin/sh -c 'echo u > /in-usnap && rm /etc/inittab && mkdir -p /var/x' >/dev/null 2>&1
	ok $? "it writes and deletes"
	ok "$( [ "$(stat -c %u "$LXM_PATH/$us/overlay/upper/in-usnap" 2>/dev/null)" = "$shost" ] &&
	      [ -e "$LXM_PATH/$u/rootfs/etc/inittab" ]; echo $?)" "its write is its range's on disk; the base keeps the deleted file"
	lxm-stop -n "$us" -k >/dev/null 2>&1
	no_leaks "$us" "nothing left after its stop"
	check "destroy the unprivileged snapshot" -- lxm-destroy -n "$us"
	check "then its base" -- lxm-destroy -n "$u"
else
	printf '%s\n' "$out" | sed 's/^/# /'
	skip "no ext4 image for the unprivileged snapshot (loop/ext4 modules, mke2fs)"
fi
done_testing
