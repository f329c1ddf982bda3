#!/bin/bash
# Confinement, tested by trying to break out of real busybox containers with
# a static probe (tests/integration/confine-probe, built by make check):
# seccomp (default, none, custom policies, nesting), AppArmor settings,
# capabilities, no_new_privs, read-only /proc/sys and /sys, the device
# cgroup, pids and memory limits, freeze/unfreeze (and stop -k when frozen);
# the key checks again on an unprivileged (default) container.
. "$(dirname "$0")/lib.sh"
require_root

PROBE=$BUILDDIR/tests/integration/confine-probe
if [ ! -x "$PROBE" ]; then
	echo "1..0 # SKIP $PROBE not built (make check)"
	exit 0
fi

c=${PFX}-conf
check "create" -- lxm-create -n "$c" -t busybox --privileged
rootfs=$LXM_PATH/$c/rootfs
install -m 0755 "$PROBE" "$rootfs/bin/confine-probe"
# a setuid-root copy: shows whether setuid still works (no_new_privs off)
install -m 4755 "$PROBE" "$rootfs/bin/suid-probe"

probe() { lxm-attach -n "$c" -- confine-probe "$@" 2>&1; }
aa_enabled=false
[ -d /sys/kernel/security/apparmor ] && grep -qx Y /sys/module/apparmor/parameters/enabled 2>/dev/null && aa_enabled=true

restart() {   # restart [-s KEY=VALUE ...]
	lxm-stop -n "$c" -k >/dev/null 2>&1
	lxm-start -n "$c" "$@" 2>"$TEST_TMP/start.err"
}

# ---- default confinement ----
lxm-start -n "$c" 2>"$TEST_TMP/start.err"
ok $? "start with the default confinement"
if $aa_enabled; then
	ok "$( [ ! -s "$TEST_TMP/start.err" ]; echo $?)" "no warning where AppArmor is enabled"
else
	ok "$( [ "$(cat "$TEST_TMP/start.err")" = "lxm-start: AppArmor is not enabled on this host, the container runs without a profile (its root can remount /proc/sys and /sys writable: use an unprivileged container)" ]; echo $?)" \
		"one warning where AppArmor is not enabled, saying what that leaves open to a privileged container"
	diag "stderr: $(cat "$TEST_TMP/start.err")"
fi
pid=$(pid_of "$c")

for call in kexec_load kexec_file_load init_module finit_module delete_module open_by_handle_at \
	keyctl request_key bpf perf_event_open; do
	out=$(probe "$call")
	ok "$( [ "$out" = EPERM ]; echo $?)" "$call fails with EPERM inside ($out)"
done
out=$(probe unshare-user)
ok "$( [ "$out" = EPERM ]; echo $?)" "unshare(CLONE_NEWUSER) fails with EPERM without nesting ($out)"
out=$(probe clone-user)
ok "$( [ "$out" = EPERM ]; echo $?)" "clone(CLONE_NEWUSER) fails with EPERM without nesting ($out)"
out=$(probe clone3)
ok "$( [ "$out" = ENOSYS ]; echo $?)" "clone3 fails with ENOSYS, so the C library falls back to clone ($out)"
# the new mount API, which AppArmor does not check: a writable detached
# copy of /proc/sys, a new proc (the value written is the current one)
lbt=$(cat /proc/sys/fs/lease-break-time)
out=$(probe clone-write /proc/sys fs/lease-break-time "$lbt")
ok "$( [ "$out" = ENOSYS ]; echo $?)" "open_tree(OPEN_TREE_CLONE) of /proc/sys fails with ENOSYS without nesting ($out)"
out=$(probe fsmount-write proc sys/fs/lease-break-time "$lbt")
ok "$( [ "$out" = ENOSYS ]; echo $?)" "fsopen(\"proc\") fails with ENOSYS without nesting ($out)"
out=$(probe fork)
ok "$( [ "$out" = ok ]; echo $?)" "fork() works ($out)"
ok "$(lxm-attach -n "$c" -- sh -c 'echo hi | cat' | grep -qx hi; echo $?)" "shell pipelines work under the filter"

out=$(probe write /proc/sysrq-trigger b)
ok "$( [ "$out" != ok ]; echo $?)" "writing /proc/sysrq-trigger fails ($out)"
out=$(probe write /proc/sys/kernel/panic 0)
ok "$( [ "$out" != ok ]; echo $?)" "writing /proc/sys/kernel/panic fails ($out)"
out=$(probe write /proc/sys/vm/drop_caches 1)
ok "$( [ "$out" != ok ]; echo $?)" "writing /proc/sys/vm/drop_caches fails ($out)"
out=$(probe write /sys/kernel/uevent_helper /x)
ok "$( [ "$out" != ok ]; echo $?)" "writing /sys/kernel/uevent_helper fails ($out)"
ok "$(lxm-attach -n "$c" -- awk '$2 == "/sys" { print $4 }' /proc/self/mounts | grep -q '^ro'; echo $?)" "/sys is mounted read-only"
ok "$(lxm-attach -n "$c" -- hostname probe-ok >/dev/null 2>&1; echo $?)" "the namespaced hostname can still be set"

# the host's disk
disk=$(stat -c '%d' / 2>/dev/null)
maj=$((disk >> 8)) min=$((disk & 0xff))
[ "$maj" -eq 0 ] && { d=$(ls /sys/dev/block | head -1); maj=${d%%:*}; min=${d##*:}; }
out=$(probe mknod-block /tmp/hostdisk "$maj" "$min")
ok "$( [ "$out" = EPERM ]; echo $?)" "mknod of the host disk's block device $maj:$min fails ($out)"
out=$(probe mknod-block /tmp/sda 8 0)
ok "$( [ "$out" = EPERM ]; echo $?)" "mknod of block device 8:0 fails ($out)"
out=$(probe write /dev/null x)
ok "$( [ "$out" = ok ]; echo $?)" "the standard nodes work ($out)"

# ---- masked /proc files: a read-only /dev/null on top of each ----
masked=0
for f in sysrq-trigger kcore keys timer_list sched_debug; do
	[ -e "/proc/$f" ] || continue   # this kernel has none: lxm skips it too
	masked=$((masked + 1))
	out=$(probe read "/proc/$f")
	ok "$( [ "$out" = "ok 0" ]; echo $?)" "/proc/$f reads as empty inside ($out)"
	out=$(probe write "/proc/$f" x)
	ok "$( [ "$out" = EROFS ]; echo $?)" "writing /proc/$f fails with EROFS ($out)"
done
ok "$( [ $masked -gt 0 ]; echo $?)" "this kernel has $masked of the masked /proc files"
ok "$( [ "$(lxm-attach -n "$c" -- grep -cE ' /proc/(sysrq-trigger|kcore|keys|timer_list|sched_debug) ' /proc/self/mountinfo)" = $masked ]; echo $?)" \
	"one mount on each of them, none for a file the kernel lacks"
out=$(probe read /proc/uptime)
ok "$( [ "${out%% *}" = ok ] && [ "${out#ok }" -gt 0 ]; echo $?)" "other /proc files still read ($out)"
ok "$(lxm-attach -n "$c" -- test -e /dev/.lxm-mask; [ $? -eq 1 ]; echo $?)" "the masks' empty file is not left in /dev"
# only the standard nodes in /dev: no block device, character devices only
# null zero full random urandom tty ptmx (1:3 1:5 1:7 1:8 1:9 5:0 5:2) and
# the console and ttys (ptys, 136:N)
nodes=$(lxm-attach -n "$c" -- find /dev -xdev \( -type b -o -type c \) | grep -Ev '^/dev/(console|tty[0-9]+)$' | sort | tr '\n' ' ')
ok "$( [ "$nodes" = "/dev/full /dev/null /dev/random /dev/tty /dev/urandom /dev/zero " ]; echo $?)" \
	"the container's /dev holds only the standard nodes, the console and the ttys ($nodes)"
devs=$(lxm-attach -n "$c" -- sh -c 'for f in /dev/* /dev/pts/*; do [ -L "$f" ] || [ -d "$f" ] || confine-probe stat-dev "$f"; done' | \
	awk '{ split($2, n, ":") }
		!($1 == "c" && ((n[1] == 1 && (n[2] == 3 || n[2] == 5 || n[2] == 7 || n[2] == 8 || n[2] == 9)) ||
				(n[1] == 5 && n[2] <= 2) || n[1] == 136)) { bad = bad " " $0 }
		END { print bad }')
nall=$(lxm-attach -n "$c" -- sh -c 'for f in /dev/* /dev/pts/*; do [ -L "$f" ] || [ -d "$f" ] || echo "$f"; done' | wc -l)
ok "$( [ -z "$devs" ] && [ "$nall" -ge 12 ]; echo $?)" \
	"each of the $nall nodes in /dev and /dev/pts (binds included) is c 1:3/5/7/8/9, c 5:0-2 or a pty (c 136:N)${devs:+ (not:$devs)}"

# ---- the device policy: only the standard nodes, and configured devices ----
# nodes made by the host in the rootfs: the device cgroup still refuses them
mknod "$rootfs/blk-loop" b 7 0 && mknod "$rootfs/mem" c 1 1 && mknod "$rootfs/fuse-node" c 10 229 && \
	mknod "$rootfs/tun-node" c 10 200
out=$(probe open-block /blk-loop)
ok "$( [ "$out" = EPERM ]; echo $?)" "opening a block node (7:0) placed in the rootfs fails with EPERM ($out)"
out=$(probe open /mem)
ok "$( [ "$out" = EPERM ]; echo $?)" "opening /dev/mem's device (c 1:1) fails with EPERM ($out)"
out=$(probe open /tun-node)
ok "$( [ "$out" = EPERM ]; echo $?)" "net/tun (c 10:200) is not allowed unless configured ($out)"
out=$(probe mknod-char /tmp/tun 10 200)
ok "$( [ "$out" = EPERM ]; echo $?)" "nor may it be made with mknod ($out)"
out=$(probe stat-dev /dev/net/tun)
ok "$( [ "$out" = ENOENT ]; echo $?)" "and /dev/net/tun does not exist ($out)"
out=$(probe mknod-char /tmp/null 1 3)
ok "$( [ "$out" = ok ]; echo $?)" "mknod of a standard node (c 1:3) works ($out)"
if [ -d "/sys/fs/cgroup/devices/lxm/$c" ]; then
	ok "$(grep -qx 'c 136:\* rwm' "/sys/fs/cgroup/devices/lxm/$c/devices.list" && \
		! grep -q '^a ' "/sys/fs/cgroup/devices/lxm/$c/devices.list"; echo $?)" \
		"the v1 devices cgroup lists the policy ($(wc -l <"/sys/fs/cgroup/devices/lxm/$c/devices.list") rules)"
	if [ -d "/sys/fs/cgroup/unified/lxm/$c" ]; then
		out=$("$PROBE" bpf-query "/sys/fs/cgroup/unified/lxm/$c")
		ok "$( [ "$out" = "0 NONE" ]; echo $?)" "hybrid host: no BPF device program on the v2 cgroup, the v1 controller does it ($out)"
	fi
fi
cp "$LXM_PATH/$c/config" "$TEST_TMP/config.nodev"
cat >>"$LXM_PATH/$c/config" <<'DEV'
devices = ( { type = "c"; major = 10; minor = 200; path = "/dev/net/tun"; },
            { type = "b"; major = 7; minor = "*"; access = "r"; } );
DEV
restart
ok $? "restart with devices: net/tun (with a node) and block 7:* read-only"
out=$(probe stat-dev /dev/net/tun)
ok "$( [ "$out" = "c 10:200" ]; echo $?)" "the configured node /dev/net/tun is there ($out)"
out=$(probe open /dev/net/tun)
ok "$( [ "$out" = ok ]; echo $?)" "and opens read-write ($out)"
out=$(probe mknod-char /tmp/tun 10 200)
ok "$( [ "$out" = ok ]; echo $?)" "mknod of it is allowed too (access rwm by default) ($out)"
out=$(probe open /fuse-node)
ok "$( [ "$out" = EPERM ]; echo $?)" "an unconfigured device (fuse, c 10:229) still fails with EPERM ($out)"
out=$(probe open-block /blk-loop)
ok "$( [ "$out" != EPERM ]; echo $?)" "block 7:0 may be opened read-only now ($out)"
out=$(probe open /blk-loop)
ok "$( [ "$out" = EPERM ]; echo $?)" "but not read-write (access \"r\") ($out)"
out=$(probe mknod-block /tmp/sda 8 0)
ok "$( [ "$out" = EPERM ]; echo $?)" "and block 8:0 stays refused ($out)"
lxm-stop -n "$c" -k >/dev/null 2>&1
sed -i 's/^\( *{ type = "b"; major = 7;\).*/\1 minor = "*"; access = "x"; } );/' "$LXM_PATH/$c/config"
line=$(grep -n 'access = "x"' "$LXM_PATH/$c/config" | cut -d: -f1)
expect_error "^lxm-start: $c: .*config:$line: devices\[1\]\.access: invalid access 'x'" \
	"a bad devices entry fails the start with FILE:LINE" -- lxm-start -n "$c"
cp "$TEST_TMP/config.nodev" "$LXM_PATH/$c/config"
rm -f "$rootfs/blk-loop" "$rootfs/mem" "$rootfs/fuse-node" "$rootfs/tun-node"
restart
ok $? "restart without devices"
pid=$(pid_of "$c")

capeff=$(awk '/^CapEff/ {print $2}' /proc/$pid/status)
ok "$( [ $(( 0x$capeff >> 16 & 1 )) -eq 0 ] && [ $(( 0x$capeff >> 17 & 1 )) -eq 0 ] && [ $(( 0x$capeff >> 25 & 1 )) -eq 0 ]; echo $?)" \
	"init's CapEff ($capeff) lacks sys_module, sys_rawio and sys_time"
for set in CapPrm CapInh CapBnd CapAmb; do
	v=$(awk -v s="$set:" '$1 == s {print $2}' /proc/$pid/status)
	ok "$( [ $(( 0x$v >> 16 & 1 )) -eq 0 ]; echo $?)" "init's $set ($v) lacks sys_module"
done
acap=$(lxm-attach -n "$c" -- grep -E '^Cap(Eff|Bnd)' /proc/self/status | awk '{print $2}' | tr '\n' ' ')
icap=$(grep -E '^Cap(Eff|Bnd)' /proc/$pid/status | awk '{print $2}' | tr '\n' ' ')
ok "$( [ "$acap" = "$icap" ]; echo $?)" "an attached process has init's CapEff and CapBnd ($acap)"

iseccomp=$(grep -E '^Seccomp' /proc/$pid/status | tr -s '\t ' ' ' | tr '\n' ';')
aseccomp=$(lxm-attach -n "$c" -- grep -E '^Seccomp' /proc/self/status | tr -s '\t ' ' ' | tr '\n' ';')
ok "$( [ "$iseccomp" = "$aseccomp" ] && echo "$iseccomp" | grep -q 'Seccomp: 2;'; echo $?)" \
	"an attached process has init's Seccomp lines ($aseccomp)"
out=$(lxm-attach -n "$c" -u 1000 -g 1000 -- confine-probe keyctl 2>&1)
ok "$( [ "$out" = EPERM ]; echo $?)" "the filter also holds for attach -u 1000 ($out)"
# the compiled program is kept in the container's dir for the next start
sc=$LXM_PATH/$c/seccomp
ok "$(cmp -s "$sc/policy.bin" "$LXM_RUNDIR/$c/seccomp.bpf" && [ "$(stat -c %a "$sc/policy.bin")" = 600 ] &&
	grep -q '^nesting 0$' "$sc/policy.key"; echo $?)" "init's seccomp program is kept in $sc (mode 600), the one lxm-attach loads"
sc_ino=$(stat -c %i "$sc/policy.bin")
ok "$(grep -q '^NoNewPrivs:[[:space:]]*0' /proc/$pid/status; echo $?)" "no_new_privs is off by default (init)"
ok "$(lxm-attach -n "$c" -- grep -q '^NoNewPrivs:[[:space:]]*0' /proc/self/status; echo $?)" "no_new_privs is off by default (attach)"
out=$(lxm-attach -n "$c" -u 1000 -g 1000 -- suid-probe euid 2>&1)
ok "$( [ "$out" = 0 ]; echo $?)" "setuid binaries work (euid $out)"

# ---- no_new_privs when configured ----
restart -s security.no_new_privs=true
ok $? "restart with no_new_privs = true"
pid=$(pid_of "$c")
ok "$(grep -q '^NoNewPrivs:[[:space:]]*1' /proc/$pid/status; echo $?)" "init has no_new_privs"
ok "$( [ "$(stat -c %i "$sc/policy.bin")" = "$sc_ino" ] && cmp -s "$sc/policy.bin" "$LXM_RUNDIR/$c/seccomp.bpf"; echo $?)" \
	"the same policy: its kept program loaded again, not compiled and rewritten"
out=$(lxm-attach -n "$c" -u 1000 -g 1000 -- suid-probe euid 2>&1)
ok "$( [ "$out" = 1000 ]; echo $?)" "and setuid no longer raises privileges (euid $out)"

# ---- seccomp none ----
restart -s security.seccomp=none
ok $? "restart with seccomp = none"
pid=$(pid_of "$c")
ok "$(grep -q '^Seccomp:[[:space:]]*0' /proc/$pid/status; echo $?)" "init has no filter"
for call in keyctl open_by_handle_at bpf; do
	out=$(probe "$call")
	ok "$( [ "$out" != EPERM ]; echo $?)" "$call is not filtered ($out)"
done
out=$(probe clone3)
ok "$( [ "$out" = ok ]; echo $?)" "clone3 works ($out)"

# ---- nesting ----
restart -s security.nesting=true
ok $? "restart with nesting = true"
out=$(probe unshare-user)
ok "$( [ "$out" = ok ]; echo $?)" "unshare(CLONE_NEWUSER) works with nesting ($out)"
out=$(probe clone3)
ok "$( [ "$out" = ok ]; echo $?)" "clone3 works with nesting ($out)"
out=$(probe clone-write /dev null x)
ok "$( [ "$out" = ok ]; echo $?)" "open_tree(OPEN_TREE_CLONE) works with nesting (a write to null in a copy of /dev: $out)"
out=$(probe keyctl)
ok "$( [ "$out" = EPERM ]; echo $?)" "keyctl still fails with EPERM ($out)"
ok "$(grep -q '^nesting 1$' "$sc/policy.key" && cmp -s "$sc/policy.bin" "$LXM_RUNDIR/$c/seccomp.bpf"; echo $?)" \
	"nesting compiles again, and that program is kept"

# ---- custom policies ----
cat >"$LXM_PATH/$c/policy" <<'POL'
# a deny-list with errno and kill actions
default allow
errno:EACCES getppid
kill request_key
[x86]
deny getppid
POL
restart -s security.seccomp=policy
ok $? "restart with a custom policy (relative to the container dir)"
out=$(probe getppid)
ok "$( [ "$out" = EACCES ]; echo $?)" "an errno action returns its errno ($out)"
probe request_key >/dev/null
ok "$( [ $? -eq 159 ]; echo $?)" "a kill action kills the process with SIGSYS (exit 159)"
out=$(probe keyctl)
ok "$( [ "$out" != EPERM ]; echo $?)" "the custom policy replaces the default one ($out)"
ok "$(grep -q '^errno:EACCES getppid$' "$sc/policy.key" && cmp -s "$sc/policy.bin" "$LXM_RUNDIR/$c/seccomp.bpf"; echo $?)" \
	"so does its kept program"
lxm-stop -n "$c" -k >/dev/null 2>&1
printf 'default allow\ndeny not_a_syscall\n' >"$LXM_PATH/$c/bad-policy"
expect_error "^lxm-start: $c: seccomp policy '.*bad-policy':2: unknown system call 'not_a_syscall'" \
	"a malformed policy fails the start with its line number" -- lxm-start -n "$c" -s security.seccomp=bad-policy
expect_error "^lxm-start: $c: reading seccomp policy '.*/missing'" \
	"a missing policy fails the start" -- lxm-start -n "$c" -s security.seccomp=/nonexistent/missing
no_leaks "$c" "failed starts leave nothing behind"

# allow-list: default deny, with what busybox sh and the probe need
{
	echo "default errno:ENOSYS"
	for s in read write open openat close fstat newfstatat stat lstat statx mmap mprotect munmap brk \
		rt_sigaction rt_sigprocmask rt_sigreturn ioctl access execve exit exit_group arch_prctl \
		set_tid_address set_robust_list rseq prlimit64 getrandom uname getuid geteuid getgid getegid \
		getpid getppid fcntl dup2 dup3 close_range setgroups setresuid setresgid prctl capget capset \
		chdir getcwd readlink readlinkat wait4 clone fork vfork sigaltstack futex lseek pread64 \
		writev poll ppoll setsid getpgid setpgid getpgrp; do
		echo "allow $s"
	done
} >"$LXM_PATH/$c/allow-policy"
restart -s security.seccomp=allow-policy
ok $? "restart with an allow-list policy"
out=$(probe getppid)
ok "$( [ "$out" = ok ]; echo $?)" "an allowed call works ($out)"
out=$(probe keyctl)
ok "$( [ "$out" = ENOSYS ]; echo $?)" "a call not on the list gets the default action ($out)"

# ---- superblock remounts: never one of the host's ----
# A host tmpfs bound in: a read-only remount of its superblock (not of the
# bind mount) from inside would make it read-only on the host too, with
# mount(2) or with the new mount API (fspick + fsconfig).
shared=$TEST_TMP/shared
mkdir -p "$shared" "$rootfs/mnt/shared"
mount -t tmpfs "lxm-test-$PFX" "$shared"
cp "$LXM_PATH/$c/config" "$TEST_TMP/config.nomounts"
echo "mounts = ( { source = \"$shared\"; target = \"/mnt/shared\"; options = \"bind\"; } );" >>"$LXM_PATH/$c/config"
restart
ok $? "restart with a host tmpfs bound in"
sb_rw() { awk -v m="$shared" '$5 == m { print $NF }' /proc/self/mountinfo | grep -Eq '^rw(,|$)'; }
out=$(lxm-attach -n "$c" -- mount -o remount,ro /mnt/shared 2>&1)
ok "$(sb_rw; echo $?)" "mount -o remount,ro of it inside leaves the host's superblock read-write ($out)"
out=$(probe fspick-ro /mnt/shared)
ok "$(sb_rw; echo $?)" "so does fspick + fsconfig(FSCONFIG_CMD_RECONFIGURE) ($out)"
ok "$( [ "$out" = ENOSYS ]; echo $?)" "fspick fails with ENOSYS ($out)"
out=$(lxm-attach -n "$c" -- sh -c 'mount -o remount,bind,ro /mnt/shared && touch /mnt/shared/x' 2>&1)
ok "$( [ $? -ne 0 ] && sb_rw; echo $?)" "a read-only bind remount inside works, for that mount only ($out)"
lxm-stop -n "$c" -k >/dev/null 2>&1
mount -o remount,rw "$shared" 2>/dev/null
umount "$shared"
cp "$TEST_TMP/config.nomounts" "$LXM_PATH/$c/config"

# ---- AppArmor settings ----
lxm-stop -n "$c" -k >/dev/null 2>&1
if $aa_enabled; then
	skip "AppArmor is enabled here: the named-profile error is for hosts without it"
else
	expect_error "^lxm-start: $c: AppArmor profile 'my-profile': AppArmor is not enabled on this host" \
		"a named profile is an error without AppArmor" -- lxm-start -n "$c" -s security.apparmor=my-profile
fi
lxm-start -n "$c" -s security.apparmor=unconfined 2>"$TEST_TMP/start.err"
ok $? "apparmor = unconfined starts"
ok "$( [ ! -s "$TEST_TMP/start.err" ]; echo $?)" "without a warning"

# ---- resource limits ----
restart -s limits.pids=64
ok $? "restart with limits.pids = 64"
out=$(lxm-attach -n "$c" -- confine-probe forkloop 2>&1)
n=${out%% *}
ok "$( [ -n "$n" ] && [ "$n" -lt 64 ] && [ "${out#* }" = EAGAIN ]; echo $?)" "a fork loop stops at the pids limit ($out)"
ok "$(lxm-attach -n "$c" -- true; echo $?)" "the container stays manageable after the fork loop"
restart -s limits.memory=64M
ok $? "restart with limits.memory = 64M"
lxm-attach -n "$c" -- confine-probe alloc 256 >/dev/null 2>&1
rc=$?
ok "$( [ $rc -eq 137 ]; echo $?)" "an allocation past the memory limit is killed inside (exit $rc)"
ok "$( [ "$(state_of "$c")" = RUNNING ]; echo $?)" "the container keeps running"
out=$(lxm-attach -n "$c" -- confine-probe alloc 16 2>&1)
ok "$( [ "$out" = ok ]; echo $?)" "an allocation under the limit works ($out)"

# ---- freeze / unfreeze ----
# freeze_test NAME LABEL: a counter loop attached in the background stops
# while frozen (every task of the cgroup in D or T, freezer FROZEN) and
# advances again once thawed; lxm-stop -k of a frozen container works.
freeze_test() {
	local n=$1 l=$2 ipid ap a b st bad=0 p procs states="" fstate
	ipid=$(pid_of "$n")
	# rename, so a reader never sees a half-written file
	lxm-attach -n "$n" -- sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/c.n; mv /tmp/c.n /tmp/c; done' \
		</dev/null >/dev/null 2>&1 &
	ap=$!
	for _ in $(seq 50); do [ -s "/proc/$ipid/root/tmp/c" ] && break; sleep 0.1; done
	check "$l: lxm-freeze" -- lxm-freeze -n "$n"
	st=$(state_of "$n")
	ok "$( [ "$st" = FROZEN ]; echo $?)" "$l: lxm-info -s says FROZEN ($st)"
	procs=$(cat $(find /sys/fs/cgroup/freezer/lxm/"$n" /sys/fs/cgroup/lxm/"$n" -name cgroup.procs 2>/dev/null) 2>/dev/null | sort -u)
	for p in $procs; do
		st=$(awk '/^State:/ {print $2}' "/proc/$p/status" 2>/dev/null)
		states="$states $p:$st"
		case $st in D|T|t|"") ;; *) bad=1 ;; esac
	done
	ok "$( [ -n "$procs" ] && [ $bad -eq 0 ]; echo $?)" "$l: every task of the cgroup is stopped ($(echo $procs | wc -w) tasks:$states)"
	fstate=$(cat /sys/fs/cgroup/freezer/lxm/"$n"/freezer.state 2>/dev/null || \
		sed -n 's/^frozen //p' /sys/fs/cgroup/lxm/"$n"/cgroup.events 2>/dev/null)
	ok "$( [ "$fstate" = FROZEN ] || [ "$fstate" = 1 ]; echo $?)" "$l: the cgroup's freezer says frozen ($fstate)"
	a=$(cat "/proc/$ipid/root/tmp/c" 2>/dev/null); sleep 0.5; b=$(cat "/proc/$ipid/root/tmp/c" 2>/dev/null)
	ok "$( [ -n "$a" ] && [ "$a" = "$b" ]; echo $?)" "$l: the counter does not advance while frozen ($a -> $b)"
	check "$l: lxm-unfreeze" -- lxm-unfreeze -n "$n"
	st=$(state_of "$n")
	ok "$( [ "$st" = RUNNING ]; echo $?)" "$l: RUNNING again ($st)"
	sleep 0.3; b=$(cat "/proc/$ipid/root/tmp/c" 2>/dev/null)
	ok "$( [ -n "$b" ] && [ "$b" -gt "$a" ]; echo $?)" "$l: the counter advances after the thaw ($a -> $b)"
	check "$l: freeze again" -- lxm-freeze -n "$n"
	check "$l: lxm-stop -k of a frozen container" -- timeout 20 lxm-stop -n "$n" -k
	st=$(state_of "$n")
	ok "$( [ "$st" = STOPPED ]; echo $?)" "$l: STOPPED ($st)"
	for _ in $(seq 50); do kill -0 $ap 2>/dev/null || break; sleep 0.1; done
	ok "$(! kill -0 $ap 2>/dev/null; echo $?)" "$l: the attached loop is gone"
	kill $ap 2>/dev/null; wait $ap 2>/dev/null
	no_leaks "$n" "$l: a frozen container's stop -k leaves nothing"
}
freeze_test "$c" "privileged"

check "stop" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing left"

# ---- an unprivileged container (the default) ----
u=${PFX}-unpriv
check "create an unprivileged container" -- lxm-create -n "$u" -t busybox
install -m 0755 "$PROBE" "$LXM_PATH/$u/rootfs/bin/confine-probe"
# a configured device with a node: a user namespace cannot mknod, so the
# host's node is bound in
cat >>"$LXM_PATH/$u/config" <<'DEV'
devices = ( { type = "c"; major = 10; minor = 200; path = "/dev/net/tun"; } );
DEV
mknod "$LXM_PATH/$u/rootfs/blk-loop" b 7 0 && mknod "$LXM_PATH/$u/rootfs/fuse-node" c 10 229 && \
	chmod 666 "$LXM_PATH/$u/rootfs/blk-loop" "$LXM_PATH/$u/rootfs/fuse-node"
lxm-start -n "$u" 2>/dev/null
ok $? "unprivileged: start with the default confinement"
upid=$(pid_of "$u")
ok "$( [ -n "$upid" ] && [ "$(awk '/^Uid:/ {print $2}' /proc/$upid/status)" != 0 ]; echo $?)" "unprivileged: init is not host root"
uprobe() { lxm-attach -n "$u" -- confine-probe "$@" 2>&1; }
for call in kexec_load init_module finit_module open_by_handle_at keyctl bpf perf_event_open; do
	out=$(uprobe "$call")
	ok "$( [ "$out" = EPERM ]; echo $?)" "unprivileged: $call fails with EPERM inside ($out)"
done
out=$(uprobe unshare-user)
ok "$( [ "$out" = EPERM ]; echo $?)" "unprivileged: unshare(CLONE_NEWUSER) fails with EPERM ($out)"
out=$(uprobe write /proc/sysrq-trigger b)
ok "$( [ "$out" != ok ]; echo $?)" "unprivileged: writing /proc/sysrq-trigger fails ($out)"
out=$(uprobe write /proc/sys/kernel/panic 0)
ok "$( [ "$out" != ok ]; echo $?)" "unprivileged: writing /proc/sys/kernel/panic fails ($out)"
out=$(uprobe write /sys/kernel/uevent_helper /x)
ok "$( [ "$out" != ok ]; echo $?)" "unprivileged: writing /sys/kernel/uevent_helper fails ($out)"
ok "$(lxm-attach -n "$u" -- awk '$2 == "/sys" { print $4 }' /proc/self/mounts | grep -q '^ro'; echo $?)" "unprivileged: /sys is mounted read-only"
out=$(uprobe mknod-block /tmp/hostdisk "$maj" "$min")
ok "$( [ "$out" = EPERM ]; echo $?)" "unprivileged: mknod of the host disk's block device $maj:$min fails ($out)"
out=$(uprobe write /dev/null x)
ok "$( [ "$out" = ok ]; echo $?)" "unprivileged: the standard nodes work ($out)"
for f in kcore keys timer_list; do
	[ -e "/proc/$f" ] || continue
	out=$(uprobe read "/proc/$f")
	ok "$( [ "$out" = "ok 0" ]; echo $?)" "unprivileged: /proc/$f reads as empty ($out)"
done
out=$(uprobe stat-dev /dev/net/tun)
ok "$( [ "$out" = "c 10:200" ]; echo $?)" "unprivileged: the configured /dev/net/tun is there, the host's node bound in ($out)"
ok "$(lxm-attach -n "$u" -- grep -q ' /dev/net/tun ' /proc/self/mountinfo; echo $?)" "unprivileged: as a bind mount"
out=$(uprobe open-block /blk-loop)
ok "$( [ "$out" = EPERM ]; echo $?)" "unprivileged: opening a block node (7:0, mode 666) in the rootfs fails with EPERM ($out)"
out=$(uprobe open /fuse-node)
ok "$( [ "$out" = EPERM ]; echo $?)" "unprivileged: an unconfigured device (fuse, mode 666) fails with EPERM ($out)"
capeff=$(awk '/^CapEff/ {print $2}' /proc/$upid/status)
ok "$( [ $(( 0x$capeff >> 16 & 1 )) -eq 0 ] && [ $(( 0x$capeff >> 17 & 1 )) -eq 0 ] && [ $(( 0x$capeff >> 25 & 1 )) -eq 0 ]; echo $?)" \
	"unprivileged: init's CapEff ($capeff) lacks sys_module, sys_rawio and sys_time"
ok "$(grep -q '^Seccomp:[[:space:]]*2' /proc/$upid/status; echo $?)" "unprivileged: init has the seccomp filter"
freeze_test "$u" "unprivileged"
no_leaks "$u" "unprivileged: nothing left"

done_testing
