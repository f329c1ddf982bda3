#!/bin/bash
# Inside the VM (tests/vm/run): the device policy on a pure cgroup v2 host
# is a BPF device program on the container's cgroup. It is attached (seen
# with BPF_PROG_QUERY: one program, BPF_F_ALLOW_MULTI, so a manager inside
# can add its own below), it denies a block device node that is not allowed
# with EPERM (open and mknod) while the standard nodes and a configured
# device work; the /proc masks hold; a default (unprivileged) container gets
# the same policy. AppArmor is off for these containers ("unconfined"), so
# what is denied here is denied by the device program alone.
. "$SRCDIR/tests/integration/lib.sh"
require_root

require_pure_cgroup2
CG=/sys/fs/cgroup
PROBE=$BUILDDIR/tests/integration/confine-probe
if [ ! -x "$PROBE" ]; then
	echo "1..0 # SKIP $PROBE not built (make check)"
	exit 0
fi

unconfined() {   # unconfined NAME: AppArmor off in the config (attach sees it too)
	if grep -q 'apparmor = ' "$LXM_PATH/$1/config"; then
		sed -i 's/apparmor = "[^"]*"/apparmor = "unconfined"/' "$LXM_PATH/$1/config"
	else
		echo 'security = { apparmor = "unconfined"; };' >>"$LXM_PATH/$1/config"
	fi
}

out=$(lxm-checkconfig 2>/dev/null | grep '^device policy')
ok "$(echo "$out" | grep -q 'yes - BPF device program on cgroup v2'; echo $?)" "lxm-checkconfig: $out"

c=${PFX}-dev
check "create a privileged busybox container" -- lxm-create -n "$c" -t busybox --privileged
rootfs=$LXM_PATH/$c/rootfs
cp "$PROBE" "$rootfs/bin/confine-probe" && chmod 755 "$rootfs/bin/confine-probe"
unconfined "$c"
# /dev/kmsg (c 1:11) is not a standard node: configured, write-only
cat >>"$LXM_PATH/$c/config" <<'EOF'
devices = ( { type = "c"; major = 1; minor = 11; access = "w"; path = "/dev/kmsg"; } );
EOF
# nodes the host placed in the rootfs: the policy must refuse them all the same
mknod "$rootfs/blk-loop" b 7 0 && mknod "$rootfs/blk-sda" b 8 0 && mknod "$rootfs/mem" c 1 1
probe() { lxm-attach -n "$c" -- /bin/confine-probe "$@" 2>&1; }

check "start it" -- lxm-start -n "$c" -l debug -o "$TEST_TMP/start.log"
lxm-attach -n "$c" -- /bin/confine-probe euid >/dev/null 2>&1 || diag "probe: $(ls -la "$rootfs/bin/confine-probe" "$rootfs/bin" 2>&1 | head -5)"
d=$CG/lxm/$c
out=$("$PROBE" bpf-query "$d")
ok "$( [ "$out" = "1 ALLOW_MULTI" ]; echo $?)" "one device program on $d, attached with BPF_F_ALLOW_MULTI ($out)"
ok "$(grep -q 'device program attached' "$TEST_TMP/start.log"; echo $?)" "the monitor's log says so"
ok "$( [ ! -e /sys/fs/cgroup/lxm/"$c"/devices.allow ]; echo $?)" "(no v1 devices controller here)"

out=$(probe open-block /blk-loop)
ok "$( [ "$out" = EPERM ]; echo $?)" "opening a block node (7:0) fails with EPERM inside ($out)"
out=$(probe open-block /blk-sda)
ok "$( [ "$out" = EPERM ]; echo $?)" "opening block 8:0 fails with EPERM inside ($out)"
out=$(probe mknod-block /tmp/sda 8 0)
ok "$( [ "$out" = EPERM ]; echo $?)" "mknod of block 8:0 fails with EPERM ($out)"
out=$(probe open /mem)
ok "$( [ "$out" = EPERM ]; echo $?)" "opening c 1:1 (/dev/mem) fails with EPERM ($out)"
out=$(probe write /dev/null x)
ok "$( [ "$out" = ok ]; echo $?)" "/dev/null works ($out)"
out=$(probe read /dev/urandom)
ok "$( [ "$out" != "${out#ok }" ] && [ "${out#ok }" -gt 0 ]; echo $?)" "/dev/urandom reads ($out)"
out=$(probe open /dev/ptmx)
ok "$( [ "$out" = ok ]; echo $?)" "/dev/ptmx opens: a new pty ($out)"
out=$(probe stat-dev /dev/kmsg)
ok "$( [ "$out" = "c 1:11" ]; echo $?)" "the configured /dev/kmsg node was made ($out)"
out=$(probe write /dev/kmsg "lxm-vm: devices test")
ok "$( [ "$out" = ok ]; echo $?)" "and can be written ($out)"
out=$(probe read /dev/kmsg)
ok "$( [ "$out" = EPERM ]; echo $?)" "but not read: access \"w\" ($out)"
out=$(probe mknod-char /tmp/kmsg 1 11)
ok "$( [ "$out" = EPERM ]; echo $?)" "nor made again with mknod: no \"m\" ($out)"

# the masks
out=$(probe read /proc/kcore)
ok "$( [ "$out" = "ok 0" ]; echo $?)" "/proc/kcore reads as empty ($out)"
out=$(probe write /proc/sysrq-trigger h)
ok "$( [ "$out" = EROFS ]; echo $?)" "writing /proc/sysrq-trigger fails with EROFS ($out)"

# a manager inside (systemd) attaches its own programs below: allowed,
# and ours still applies to the processes there
mkdir "$d/sub"
out=$("$PROBE" bpf-allow-all "$d/sub")
ok "$( [ "$out" = ok ]; echo $?)" "an allow-all program can be attached to a sub-cgroup ($out)"
out=$("$PROBE" bpf-query "$d/sub" effective)
ok "$( [ "$out" = 2 ]; echo $?)" "the sub-cgroup runs both programs ($out)"
out=$(sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" open-block "$3"' sh "$d/sub" "$PROBE" "$rootfs/blk-loop" 2>&1)
ok "$( [ "$out" = EPERM ]; echo $?)" "a process in it is still refused block 7:0 ($out)"

check "stop" -- lxm-stop -n "$c" -k
ok "$( [ ! -d "$d" ]; echo $?)" "the cgroup (and with it the program) is gone"
no_leaks "$c" "nothing is left"

# a leftover cgroup of the same name (a crash) is reused: a device program
# still attached to it is replaced, not stacked (a stale one would keep
# denying what the new policy allows)
mkdir -p "$d"
out=$("$PROBE" bpf-deny-all "$d")
ok "$( [ "$out" = ok ]; echo $?)" "a leftover cgroup with a deny-all device program ($out)"
check "start over it" -- lxm-start -n "$c"
out=$("$PROBE" bpf-query "$d")
ok "$( [ "$out" = "1 ALLOW_MULTI" ]; echo $?)" "one device program: the old one was detached ($out)"
out=$(probe write /dev/null x)
ok "$( [ "$out" = ok ]; echo $?)" "/dev/null works again ($out)"
out=$(probe open-block /blk-loop)
ok "$( [ "$out" = EPERM ]; echo $?)" "block 7:0 is still refused ($out)"
check "stop" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing is left"

# a default (unprivileged) container: the same program
u=${PFX}-udev
check "create an unprivileged busybox container" -- lxm-create -n "$u" -t busybox
cp "$PROBE" "$LXM_PATH/$u/rootfs/bin/confine-probe" && chmod 755 "$LXM_PATH/$u/rootfs/bin/confine-probe"
unconfined "$u"
mknod -m 666 "$LXM_PATH/$u/rootfs/blk-loop" b 7 0
check "start it" -- lxm-start -n "$u"
out=$("$PROBE" bpf-query "$CG/lxm/$u")
ok "$( [ "$out" = "1 ALLOW_MULTI" ]; echo $?)" "unprivileged: one device program ($out)"
out=$(lxm-attach -n "$u" -- /bin/confine-probe open-block /blk-loop 2>&1)
ok "$( [ "$out" = EPERM ]; echo $?)" "unprivileged: opening block 7:0 (mode 666) fails with EPERM ($out)"
out=$(lxm-attach -n "$u" -- /bin/confine-probe write /dev/null x 2>&1)
ok "$( [ "$out" = ok ]; echo $?)" "unprivileged: /dev/null works ($out)"
# a second container with the same policy shares the loaded program
# instead of loading (verifier, JIT) another copy
u2=${PFX}-udev2
check "create a second default container" -- lxm-create -n "$u2" -t busybox
unconfined "$u2"
check "start it" -- lxm-start -n "$u2" -l debug -o "$TEST_TMP/start2.log"
id1=$("$PROBE" bpf-ids "$CG/lxm/$u") id2=$("$PROBE" bpf-ids "$CG/lxm/$u2")
ok "$( [ -n "$id1" ] && [ "$id1" = "$id2" ]; echo $?)" "it shares the first one's device program (ids $id1 and $id2)"
ok "$(grep -q 'shared with another container' "$TEST_TMP/start2.log"; echo $?)" "its log says so"
mknod -m 666 "$LXM_PATH/$u2/rootfs/blk-loop" b 7 0
cp "$PROBE" "$LXM_PATH/$u2/rootfs/bin/confine-probe" && chmod 755 "$LXM_PATH/$u2/rootfs/bin/confine-probe"
out=$(lxm-attach -n "$u2" -- /bin/confine-probe open-block /blk-loop 2>&1)
ok "$( [ "$out" = EPERM ]; echo $?)" "and it is enforced there too ($out)"
check "stop the first" -- lxm-stop -n "$u" -k
out=$(lxm-attach -n "$u2" -- /bin/confine-probe open-block /blk-loop 2>&1)
ok "$( [ "$out" = EPERM ] && [ "$("$PROBE" bpf-ids "$CG/lxm/$u2")" = "$id2" ]; echo $?)" \
	"the shared program stays with the second after the first is gone ($out)"
check "stop the second" -- lxm-stop -n "$u2" -k
no_leaks "$u2" "nothing is left of the second"
check "destroy" -- lxm-destroy -n "$u2"
no_leaks "$u" "unprivileged: nothing is left"
check "destroy" -- lxm-destroy -n "$c"
check "destroy" -- lxm-destroy -n "$u"

done_testing
