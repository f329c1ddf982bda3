#!/bin/bash
# create -> start -> query -> reboot -> poweroff -> start -> stop -> destroy,
# on a real busybox container.
. "$(dirname "$0")/lib.sh"
require_root

c=${PFX}-life

check "create a busybox container" -- lxm-create -n "$c" -t busybox
check "the config exists" -- test -f "$LXM_PATH/$c/config"
check "the rootfs has an init" -- test -x "$LXM_PATH/$c/rootfs/sbin/init"
check "no partial marker is left" -- test ! -e "$LXM_PATH/$c/partial"
check "the config names the busybox halt signal" -- grep -q 'halt_signal = "SIGUSR2"' "$LXM_PATH/$c/config"
check "the config has a uuid" -- grep -Eq 'uuid = "[0-9a-f-]{36}"' "$LXM_PATH/$c/config"
ok "$( [ "$(state_of "$c")" = STOPPED ]; echo $?)" "a new container is STOPPED"
ok "$(lxm-info -n "$c" -s | grep -qx 'State:          STOPPED'; echo $?)" "lxm-info -s pads like lxc-info"

before=$(sha256sum "$LXM_PATH/$c/config")
expect_error "^lxm-create: $c: already exists" "creating an existing name fails" -- lxm-create -n "$c" -t busybox
ok "$( [ "$before" = "$(sha256sum "$LXM_PATH/$c/config")" ]; echo $?)" "the existing container is untouched"

check "start" -- lxm-start -n "$c"
ok "$( [ "$(state_of "$c")" = RUNNING ]; echo $?)" "lxm-info -s says RUNNING right after start"
pid=$(pid_of "$c")
ok "$( [ -n "$pid" ] && [ -d "/proc/$pid" ]; echo $?)" "lxm-info -p gives a live pid ($pid)"
for ns in pid mnt uts ipc net cgroup; do
	ok "$( [ "$(readlink /proc/$pid/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ]; echo $?)" "init has its own $ns namespace"
done
ok "$( [ "$(nsenter -t "$pid" -u hostname)" = "$c" ]; echo $?)" "the hostname inside is the container name"
ok "$(grep -q '^NSpid:.*[[:space:]]1$' /proc/$pid/status; echo $?)" "init is pid 1 in its namespace"
ok "$(tr '\0' '\n' < /proc/$pid/environ | grep -qx 'container=lxm'; echo $?)" "init has container=lxm in its environment"
ok "$( [ "$(readlink /proc/$pid/exe)" != "" ] && [ "$(cat /proc/$pid/comm)" = init ]; echo $?)" "init runs /sbin/init"
# the monitor runs with a short scheduler slice (its wakeups preempt); init,
# its child, must get the default back (reset on fork)
mon=$(awk '{ print $4 }' /proc/$pid/stat)
if [ "$(awk '/^se.slice/ { print $3 }' /proc/$mon/sched 2>/dev/null)" = 100000 ]; then
	ok "$( [ "$(awk '/^se.slice/ { print $3 }' /proc/$pid/sched)" != 100000 ]; echo $?)" \
		"init does not inherit the monitor's scheduler slice"
fi
mounts=$(cat /proc/$pid/mounts)
ok "$(printf '%s\n' "$mounts" | grep -q '^proc /proc proc'; echo $?)" "proc is mounted inside"
ok "$(printf '%s\n' "$mounts" | grep -Eq '^sysfs /sys sysfs ro,'; echo $?)" "sysfs is read-only inside"
ok "$(printf '%s\n' "$mounts" | grep -Eq '^proc /proc/sys proc ro,'; echo $?)" "/proc/sys is read-only inside"
ok "$(printf '%s\n' "$mounts" | grep -q ' /dev/pts devpts'; echo $?)" "a private devpts is mounted"
ok "$(printf '%s\n' "$mounts" | grep -q ' /dev/console '; echo $?)" "/dev/console is a bound pty"
ok "$(printf '%s\n' "$mounts" | grep -Eq ' /dev/shm tmpfs| /dev/mqueue mqueue' ; echo $?)" "/dev/shm and /dev/mqueue are mounted"
ok "$( ! printf '%s\n' "$mounts" | grep -q ' /run/lxm\| /work\| /home '; echo $?)" "no host mounts are visible"
ok "$( ! grep -qF "$LXM_PATH/$c/rootfs" /proc/self/mountinfo; echo $?)" "the container's mounts do not show on the host"
ok "$(nsenter -t "$pid" -m -p test -c /dev/null -a -c /dev/zero -a -c /dev/urandom -a -L /dev/ptmx; echo $?)" "/dev has the standard nodes"
ok "$(grep -Eq '(^0::|memory:)/lxm/'"$c"'$' /proc/$pid/cgroup; echo $?)" "init is in its own cgroup ($(grep -m1 lxm /proc/$pid/cgroup))"
ok "$(nsenter -t "$pid" -a cat /proc/1/cgroup | grep -qv ':/$'; [ $? -ne 0 ]; echo $?)" "the container sees its cgroup as / (cgroup namespace)"
for h in /sys/fs/cgroup/*/lxm/"$c" /sys/fs/cgroup/lxm/"$c"; do
	[ -d "$h" ] || continue
	ok "$(grep -qx "$pid" "$h/cgroup.procs"; echo $?)" "init is in $h"
done

expect_error "^lxm-start: $c: already running" "starting a running container fails" -- lxm-start -n "$c"

sleep 0.3
ok "$(grep -q 'Please press Enter' "$LXM_PATH/$c/console.log"; echo $?)" "console.log has the boot output"
ok "$(ls "$LXM_RUNDIR/$c" | sort | tr '\n' ' ' | grep -Eqx '(apparmor.profile )?command config lock (seccomp.bpf )?state '; echo $?)" "the runtime dir holds command, config, lock, state (and the seccomp program, 3d303e1)"

# reboot from inside: busybox reboot signals init, init calls reboot(2)
nsenter -t "$pid" -a /bin/busybox reboot >/dev/null 2>&1
for i in $(seq 1 100); do
	npid=$(pid_of "$c")
	[ -n "$npid" ] && [ "$npid" != "$pid" ] && break
	sleep 0.1
done
ok "$( [ -n "$npid" ] && [ "$npid" != "$pid" ]; echo $?)" "reboot inside brings up a new init ($pid -> $npid)"
wait_state "$c" RUNNING 5
ok "$( [ "$(state_of "$c")" = RUNNING ]; echo $?)" "after the reboot the state is RUNNING"
ok "$(nsenter -t "$npid" -u hostname | grep -qx "$c"; echo $?)" "the rebooted container is set up again (hostname)"

# lxm-stop -r: returns once a new init runs (lxc-stop -r waits too)
check "lxm-stop -r" -- timeout 30 lxm-stop -n "$c" -r
rpid=$(pid_of "$c")
ok "$( [ -n "$rpid" ] && [ "$rpid" != "$npid" ] && [ "$(state_of "$c")" = RUNNING ]; echo $?)" \
	"lxm-stop -r returns with the new init RUNNING ($npid -> $rpid), no polling"
# -t 0: the signal only (busybox init's shutdown takes ~2 s)
check "lxm-stop -r -t 0" -- lxm-stop -n "$c" -r -t 0
ok "$( [ "$(pid_of "$c")" = "$rpid" ]; echo $?)" "lxm-stop -r -t 0 returns before the reboot"
for i in $(seq 1 100); do
	npid=$(pid_of "$c")
	[ -n "$npid" ] && [ "$npid" != "$rpid" ] && [ "$(state_of "$c")" = RUNNING ] && break
	sleep 0.1
done
ok "$( [ -n "$npid" ] && [ "$npid" != "$rpid" ]; echo $?)" "... and the reboot follows ($rpid -> $npid)"
# a frozen container is thawed for its reboot, as for a halt
check "freeze" -- lxm-freeze -n "$c"
check "lxm-stop -r of the frozen container" -- timeout 30 lxm-stop -n "$c" -r -t 15
rpid=$(pid_of "$c")
ok "$( [ -n "$rpid" ] && [ "$rpid" != "$npid" ] && [ "$(state_of "$c")" = RUNNING ]; echo $?)" \
	"a frozen container reboots ($npid -> $rpid), RUNNING"
npid=$rpid

# poweroff from inside: the container stops and everything is cleaned up
nsenter -t "$npid" -a /bin/busybox poweroff >/dev/null 2>&1
wait_state "$c" STOPPED 10
ok "$( [ "$(state_of "$c")" = STOPPED ]; echo $?)" "poweroff inside leaves the container STOPPED"
sleep 0.2
no_leaks "$c" "nothing left after poweroff"

# a clean stop with the init's halt signal, within the timeout
check "start again" -- lxm-start -n "$c"
sleep 0.2
t0=$(date +%s%N)
check "lxm-stop (clean halt)" -- lxm-stop -n "$c" -t 20
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
ok "$( [ "$ms" -lt 15000 ]; echo $?)" "the clean stop took ${ms} ms, well within the 20 s timeout"
ok "$( [ "$(state_of "$c")" = STOPPED ]; echo $?)" "STOPPED after lxm-stop"
no_leaks "$c" "nothing left after a clean stop"
check "stopping a stopped container succeeds" -- lxm-stop -n "$c"

# stop -k
check "start for kill" -- lxm-start -n "$c"
check "lxm-stop -k" -- lxm-stop -n "$c" -k
ok "$( [ "$(state_of "$c")" = STOPPED ]; echo $?)" "STOPPED after lxm-stop -k"
no_leaks "$c" "nothing left after stop -k"

# stop timeout: an init that ignores the halt signal is killed after -t
check "start with an init that ignores its halt signal" -- lxm-start -n "$c" -s init.halt_signal=SIGWINCH
t0=$(date +%s%N)
check "lxm-stop -t 1 kills it after the timeout" -- lxm-stop -n "$c" -t 1
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
ok "$( [ "$ms" -ge 900 ] && [ "$ms" -lt 5000 ]; echo $?)" "the stop waited the timeout, then killed (${ms} ms)"
no_leaks "$c" "nothing left after a timed-out stop"

# --nokill: the halt signal, never SIGKILL; an init that ignores it is left
# running (RUNNING again, so that a later -k works) and lxm-stop says so
check "start with an init that ignores its halt signal (--nokill)" -- lxm-start -n "$c" -s init.halt_signal=SIGWINCH
pid=$(pid_of "$c")
t0=$(date +%s%N)
expect_error "^lxm-stop: $c: still running after 1 s \\(--nokill: not killed\\)$" \
	"lxm-stop --nokill -t 1 fails when init does not halt" -- lxm-stop -n "$c" --nokill -t 1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$( [ "$ms" -ge 900 ] && [ "$ms" -lt 5000 ]; echo $?)" "after the timeout (${ms} ms)"
ok "$( [ "$(state_of "$c")" = RUNNING ] && [ "$(pid_of "$c")" = "$pid" ]; echo $?)" \
	"the container runs on, RUNNING again ($(state_of "$c"))"
# an lxm-stop --nokill that is interrupted gives the container back too
lxm-stop -n "$c" --nokill -t -1 >/dev/null 2>&1 & sp=$!
sleep 1
ok "$( [ "$(state_of "$c")" = STOPPING ]; echo $?)" "STOPPING while lxm-stop --nokill -t -1 waits"
kill "$sp"; wait "$sp" 2>/dev/null
sleep 0.3
ok "$( [ "$(state_of "$c")" = RUNNING ] && [ "$(pid_of "$c")" = "$pid" ]; echo $?)" \
	"RUNNING again once that lxm-stop is gone ($(state_of "$c"))"
check "lxm-stop -k after --nokill gave up" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing left after --nokill, then -k"

# --nokill next to other stops: a halt under way keeps its SIGKILL (the
# --nokill waiter that gives up leaves it STOPPING); of two --nokill
# waiters, the container is RUNNING again only once both gave up
check "start with an init that ignores its halt signal (--nokill and a halt)" -- \
	lxm-start -n "$c" -s init.halt_signal=SIGWINCH
t0=$(date +%s%N)
lxm-stop -n "$c" -t 4 >"$TEST_TMP/halt.out" 2>&1 & sp=$!
sleep 0.5
expect_error "^lxm-stop: $c: still running after 1 s" "an lxm-stop --nokill -t 1 meanwhile gives up" \
	-- lxm-stop -n "$c" --nokill -t 1
ok "$( [ "$(state_of "$c")" = STOPPING ]; echo $?)" "the halt is still under way ($(state_of "$c"))"
wait "$sp"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$( [ $rc = 0 ] && [ "$ms" -ge 3900 ] && [ "$(state_of "$c")" = STOPPED ]; echo $?)" \
	"and kills at its own time (exit $rc after ${ms} ms: $(cat "$TEST_TMP/halt.out"))"
no_leaks "$c" "nothing left after a halt with a --nokill next to it"
check "start with an init that ignores its halt signal (two --nokill)" -- \
	lxm-start -n "$c" -s init.halt_signal=SIGWINCH
lxm-stop -n "$c" --nokill -t 1 >/dev/null 2>&1 & s1=$!
lxm-stop -n "$c" --nokill -t 3 >/dev/null 2>&1 & s2=$!
wait "$s1"; r1=$?
ok "$( [ $r1 = 1 ] && [ "$(state_of "$c")" = STOPPING ]; echo $?)" \
	"the first --nokill gives up (exit $r1), the second still waits ($(state_of "$c"))"
wait "$s2"; r2=$?
ok "$( [ $r2 = 1 ] && [ "$(state_of "$c")" = RUNNING ]; echo $?)" "then the second (exit $r2): RUNNING ($(state_of "$c"))"
check "lxm-stop -k after both gave up" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing left after two --nokill, then -k"

# the same without a monitor
check "start with an init that ignores its halt signal (--nokill, no monitor)" -- \
	lxm-start -n "$c" -s init.halt_signal=SIGWINCH
pid=$(pid_of "$c")
kill -9 "$(awk '/^PPid:/ {print $2}' /proc/$pid/status)"
sleep 0.2
expect_error "^lxm-stop: $c: still running after 1 s \\(--nokill: not killed\\)$" \
	"lxm-stop --nokill -t 1 without the monitor fails when init does not halt" -- lxm-stop -n "$c" --nokill -t 1
ok "$( [ -d /proc/$pid ] && [ "$(state_of "$c")" = RUNNING ]; echo $?)" "and leaves init running"
check "lxm-stop -k without the monitor after --nokill gave up" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing left after --nokill, then -k (no monitor)"

# --nokill on an init that halts: a normal stop
check "start (--nokill, clean halt)" -- lxm-start -n "$c"
sleep 0.2   # busybox init has its signal handlers
check "lxm-stop --nokill halts it" -- lxm-stop -n "$c" --nokill -t 20
ok "$( [ "$(state_of "$c")" = STOPPED ]; echo $?)" "STOPPED after lxm-stop --nokill"
no_leaks "$c" "nothing left after lxm-stop --nokill"
# --nokill -t 0: the signal, no wait
check "start (--nokill -t 0)" -- lxm-start -n "$c"
sleep 0.2   # busybox init has its signal handlers
check "lxm-stop --nokill -t 0 returns at once" -- lxm-stop -n "$c" --nokill -t 0
ok "$(wait_state "$c" STOPPED 10; echo $?)" "and the container halts by itself"
sleep 0.2
no_leaks "$c" "nothing left after lxm-stop --nokill -t 0"

# -t -1: wait for the halt as long as it takes, never SIGKILL (beyond
# init.stop_timeout); another lxm-stop -k ends the wait
check "start with an init that ignores its halt signal (-t -1)" -- \
	lxm-start -n "$c" -s init.halt_signal=SIGWINCH -s init.stop_timeout=1
pid=$(pid_of "$c")
lxm-stop -n "$c" -t -1 >"$TEST_TMP/forever.out" 2>&1 & sp=$!
sleep 2.5
ok "$( [ -d /proc/$pid ] && kill -0 "$sp" 2>/dev/null && [ "$(state_of "$c")" = STOPPING ]; echo $?)" \
	"lxm-stop -t -1 still waits after init.stop_timeout, init alive, STOPPING"
check "lxm-stop -k meanwhile" -- lxm-stop -n "$c" -k
wait "$sp"; rc=$?
ok "$( [ $rc = 0 ] && [ "$(state_of "$c")" = STOPPED ]; echo $?)" \
	"the waiting lxm-stop -t -1 returns 0 (exit $rc: $(cat "$TEST_TMP/forever.out"))"
no_leaks "$c" "nothing left after lxm-stop -t -1"
check "start (-t -1, clean halt)" -- lxm-start -n "$c"
sleep 0.2   # busybox init has its signal handlers
check "lxm-stop -t -1 halts it" -- lxm-stop -n "$c" -t -1
ok "$( [ "$(state_of "$c")" = STOPPED ]; echo $?)" "STOPPED after lxm-stop -t -1"
# -t 0: SIGKILL at once, as -k
check "start with an init that ignores its halt signal (-t 0)" -- lxm-start -n "$c" -s init.halt_signal=SIGWINCH
t0=$(date +%s%N)
check "lxm-stop -t 0 kills at once" -- lxm-stop -n "$c" -t 0
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$( [ "$ms" -lt 3000 ] && [ "$(state_of "$c")" = STOPPED ]; echo $?)" "STOPPED in ${ms} ms"

# one way to stop at a time: conflicting options are usage errors
for opts in "-k -r" "--nokill -k" "-r --nokill" "-k -t 5"; do
	# shellcheck disable=SC2086
	expect_error "^lxm-stop: .* (do not go together|has no meaning)" "lxm-stop $opts is refused" \
		-- lxm-stop -n "$c" $opts
done
expect_error "^lxm-stop: invalid timeout '-2'" "lxm-stop -t -2 is refused" -- lxm-stop -n "$c" -t -2
check "lxm-stop -k -t 0 is taken, as lxc-stop takes it" -- lxm-stop -n "$c" -k -t 0
expect_error "^lxm-stop: $c: not running: nothing to reboot" "lxm-stop -r of a stopped container fails" \
	-- lxm-stop -n "$c" -r

# lxm-stop -r that does not come true: an init that ignores its reboot
# signal runs on (not killed), one whose reboot signal powers off stops
check "start with an init that ignores its reboot signal" -- lxm-start -n "$c" -s init.reboot_signal=SIGWINCH
pid=$(pid_of "$c")
expect_error "^lxm-stop: $c: not rebooted after 2 s: init $pid runs on" "lxm-stop -r -t 2 fails when init ignores it" \
	-- lxm-stop -n "$c" -r -t 2
ok "$( [ "$(pid_of "$c")" = "$pid" ] && [ "$(state_of "$c")" = RUNNING ]; echo $?)" "... and init runs on, RUNNING"
check "lxm-stop -k" -- lxm-stop -n "$c" -k
check "start with SIGUSR1 (busybox: halt) as its reboot signal" -- lxm-start -n "$c" -s init.reboot_signal=SIGUSR1
expect_error "^lxm-stop: $c: it stopped instead of rebooting" "lxm-stop -r fails when the container powers off instead" \
	-- lxm-stop -n "$c" -r -t 20
ok "$( [ "$(state_of "$c")" = STOPPED ]; echo $?)" "... STOPPED"
no_leaks "$c" "nothing left after a reboot that powered off"
# monitor and init killed: -r cleans up after them but fails, nothing rebooted
check "start (to kill its monitor and init)" -- lxm-start -n "$c"
pid=$(pid_of "$c")
kill -9 "$(awk '/^PPid:/ {print $2}' /proc/$pid/status)" "$pid"
sleep 0.3
expect_error "^lxm-stop: $c: not running: nothing to reboot \\(init $pid had died with its monitor" \
	"lxm-stop -r of a container whose monitor and init were killed fails" -- lxm-stop -n "$c" -r
ok "$( [ "$(state_of "$c")" = STOPPED ]; echo $?)" "... STOPPED"
no_leaks "$c" "... and nothing of it left"

# foreground start: lxm-start -F stays until the container stops
lxm-start -n "$c" -F </dev/null >"$TEST_TMP/fg.out" 2>&1 &
fg=$!
wait_state "$c" RUNNING 5
ok "$( [ "$(state_of "$c")" = RUNNING ] && kill -0 $fg; echo $?)" "lxm-start -F runs the container in the foreground"
check "lxm-stop of a foreground container" -- lxm-stop -n "$c" -k
wait $fg
ok "$?" "lxm-start -F exits 0 when the container stops"
ok "$(grep -q 'Please press Enter' "$TEST_TMP/fg.out"; echo $?)" "-F shows the console on its stdout"
no_leaks "$c" "nothing left after a foreground run"

# lxm-start and lxm-destroy at once: whichever comes second refuses
flock -o "$LXM_PATH/$c/destroying" sleep 300 &
holder=$!
for _ in $(seq 1 50); do flock -n "$LXM_PATH/$c/destroying" true 2>/dev/null || break; sleep 0.1; done
expect_error "^lxm-start: $c: is being destroyed" "lxm-start refuses a container being destroyed" -- lxm-start -n "$c"
no_leaks "$c" "and leaves no runtime dir, cgroup or monitor"
stop_holder "$holder"
rm -f "$LXM_PATH/$c/destroying"
mkdir -p "$LXM_RUNDIR/$c"
flock -o "$LXM_RUNDIR/$c/lock" sleep 300 &
holder=$!
for _ in $(seq 1 50); do flock -n "$LXM_RUNDIR/$c/lock" true 2>/dev/null || break; sleep 0.1; done
expect_error "^lxm-destroy: $c: is being started or stopped; try again" \
	"lxm-destroy -f refuses a container whose start has claimed its runtime dir" -- lxm-destroy -n "$c" -f
ok "$( [ -f "$LXM_PATH/$c/config" ] && [ -d "$LXM_PATH/$c/rootfs/sbin" ] && [ ! -e "$LXM_PATH/$c/destroying" ]; echo $?)" \
	"the container is whole, no destroy lock left"
stop_holder "$holder"
rm -rf "$LXM_RUNDIR/${c:?}"
# the real race: the destroy comes 0-7.5 ms after the start began (a start
# takes ~5 ms here); one that goes ahead leaves nothing running
r=${PFX}-race
bad=0 gone=0
mkfifo "$TEST_TMP/race-fifo"
exec 9<>"$TEST_TMP/race-fifo"   # read -t on it: a sleep without a fork
for i in $(seq 0 15); do
	[ -d "$LXM_PATH/$r" ] || lxm-create -n "$r" -t busybox --privileged >/dev/null 2>&1 || { bad=$((bad + 1)); break; }
	lxm-start -n "$r" >/dev/null 2>"$TEST_TMP/race-start" &
	sp=$!
	printf -v delay '0.%04d' $((i * 5))
	[ $i = 0 ] || read -r -t "$delay" -u 9
	lxm-destroy -n "$r" -f >/dev/null 2>"$TEST_TMP/race-destroy"
	drc=$?
	wait "$sp"
	if [ $drc = 0 ]; then
		gone=$((gone + 1))
		leaks=$(leaks_of "$r")
		if [ -n "$leaks" ] || [ -e "$LXM_PATH/$r" ]; then
			bad=$((bad + 1))
			diag "round $i: destroyed, but left: ${leaks:-its directory}"
		fi
	else
		if ! [ -f "$LXM_PATH/$r/config" ] || ! grep -qE "is being started or stopped; try again|is (RUNNING|STARTING)" "$TEST_TMP/race-destroy"; then
			bad=$((bad + 1))
			diag "round $i: destroy failed: $(cat "$TEST_TMP/race-destroy")"
		fi
		lxm-stop -n "$r" -k >/dev/null 2>&1
	fi
done
exec 9<&-
ok "$( [ $bad = 0 ]; echo $?)" "16 lxm-start/lxm-destroy -f races: none leaves a container without its directory ($gone destroyed)"
lxm-destroy -n "$r" -f >/dev/null 2>&1

# two lxm-start of one container at once: one starts it, the other says
# it is running or being started (the second took the first's runtime dir, made but not
# yet locked, for a stale one: it removed it and failed with ENOENT, or
# started a second monitor while the first blocked on the lock for good)
r=${PFX}-twice
bad=0
lxm-create -n "$r" -t busybox --privileged >/dev/null 2>&1 || bad=1
for i in $(seq 1 25); do
	[ $bad = 0 ] || break
	timeout 10 lxm-start -n "$r" >/dev/null 2>"$TEST_TMP/twice.1" &
	sp=$!
	timeout 10 lxm-start -n "$r" >/dev/null 2>"$TEST_TMP/twice.2"
	r2=$?
	wait "$sp"; r1=$?
	mons=$(pgrep -fc -- "lxm-start -n $r\$")
	errs=$(cat "$TEST_TMP/twice.1" "$TEST_TMP/twice.2" | grep -v "AppArmor is not enabled")
	if [ $((r1 + r2)) != 1 ] || [ "$mons" != 1 ] || [ "$(state_of "$r")" != RUNNING ] ||
		! printf '%s\n' "$errs" | grep -Eqx "lxm-start: $r: (already running|is being started or stopped; try again)" || [ "$(printf '%s\n' "$errs" | grep -c '')" != 1 ]; then
		bad=$((bad + 1))
		diag "round $i: exits $r1 $r2, $mons monitor(s), $(state_of "$r"): $errs"
	fi
	lxm-stop -n "$r" -k >/dev/null 2>&1
	pkill -9 -f -- "lxm-start -n $r\$"
	leaks=$(leaks_of "$r")
	[ -z "$leaks" ] || { bad=$((bad + 1)); diag "round $i left: $leaks"; rm -rf "${LXM_RUNDIR:?}/$r"; }
done
ok "$( [ $bad = 0 ]; echo $?)" "25 rounds of two lxm-start at once: one starts it, the other fails with one line, one monitor, nothing left"
lxm-destroy -n "$r" -f >/dev/null 2>&1

# lxm-stop of a stopped container and lxm-start at once: the stop found
# neither runtime dir nor state file and then removed the cgroup and the
# runtime dir of a start that came meanwhile (strace holds the stop for
# 0.5 s after its read of the state file); the start must either fail
# cleanly or leave a running container
r=${PFX}-stopstart
if command -v strace >/dev/null && lxm-create -n "$r" -t busybox --privileged >/dev/null 2>&1; then
	"${strace_cmd[@]}" -f -o /dev/null -P "$LXM_RUNDIR/$r/state" -e trace=openat \
		-e inject=openat:delay_exit=500000:when=2 lxm-stop -n "$r" -k >/dev/null 2>"$TEST_TMP/ss.stop" &
	sp=$!
	sleep 0.2
	lxm-start -n "$r" >/dev/null 2>"$TEST_TMP/ss.start"; src=$?
	wait "$sp"; prc=$?
	sleep 0.1
	if [ $src = 0 ]; then
		ok "$( [ $prc = 0 ] && [ "$(state_of "$r")" = RUNNING ] && [ -S "$LXM_RUNDIR/$r/command" ] &&
			lxm-attach -n "$r" -- /bin/true; echo $?)" \
			"a start during the stop of a stopped container runs on (stop exit $prc, $(state_of "$r"))"
	else
		ok "$( [ $prc = 0 ] && grep -qx "lxm-start: $r: is being started or stopped; try again" "$TEST_TMP/ss.start" &&
			[ "$(state_of "$r")" = STOPPED ]; echo $?)" \
			"a start during the stop of a stopped container fails cleanly ($(cat "$TEST_TMP/ss.start"))"
	fi
	lxm-stop -n "$r" -k >/dev/null 2>&1
	no_leaks "$r" "and nothing is left after its stop"
	lxm-destroy -n "$r" -f >/dev/null 2>&1
else
	skip "no strace"
	skip "no strace"
fi

# a container directory that is a symbolic link (to another disk, say)
# starts; lxm-destroy refuses it, touching neither the link nor its target
l=${PFX}-link
check "create a container to move behind a symlink" -- lxm-create -n "$l" -t busybox --privileged
mv "$LXM_PATH/$l" "$TEST_TMP/$l-real" && ln -s "$TEST_TMP/$l-real" "$LXM_PATH/$l"
check "a container whose directory is a symlink starts" -- lxm-start -n "$l"
check "and stops" -- lxm-stop -n "$l" -k
expect_error "^lxm-destroy: $l: '$LXM_PATH/$l' is a symbolic link: lxm-destroy removes only a real directory" \
	"lxm-destroy refuses a symlinked container directory" -- lxm-destroy -n "$l"
ok "$( [ -L "$LXM_PATH/$l" ] && [ -f "$TEST_TMP/$l-real/config" ] && [ -d "$TEST_TMP/$l-real/rootfs/bin" ]; echo $?)" \
	"the link and its target are untouched"
no_leaks "$l" "nothing left of its run"
rm -f "$LXM_PATH/$l"
rm -rf --one-file-system "${TEST_TMP:?}/$l-real"

# a destroy killed halfway leaves its directory renamed to .destroy-PID-NAME
# (here made by hand: a killed one's state after its rename); the next
# lxm-destroy removes it, but not one a destroy under way still holds
k=${PFX}-killed
check "create a container for a killed destroy" -- lxm-create -n "$k" -t busybox --privileged
mv "$LXM_PATH/$k" "$LXM_PATH/.destroy-999999-$k"
mkdir -p "$LXM_PATH/.destroy-999998-held/rootfs/etc"
flock -o "$LXM_PATH/.destroy-999998-held" sleep 300 &
holder=$!
for _ in $(seq 1 50); do flock -n "$LXM_PATH/.destroy-999998-held" true 2>/dev/null || break; sleep 0.1; done
check "create another one and destroy it" -- sh -c "lxm-create -n '$k-2' -t busybox --privileged >/dev/null && lxm-destroy -n '$k-2'"
ok "$( [ ! -e "$LXM_PATH/.destroy-999999-$k" ] && [ ! -e "$LXM_PATH/$k-2" ]; echo $?)" \
	"that lxm-destroy also removed what the killed one left"
ok "$( [ -d "$LXM_PATH/.destroy-999998-held/rootfs/etc" ]; echo $?)" "but not a directory a destroy still holds"
stop_holder "$holder"
rm -rf "$LXM_PATH/.destroy-999998-held"

# lxm-wait is woken by the state changes (inotify on the runtime dir, a
# pidfd on init), not by polling the monitor: a long wait costs neither
# lxm-wait nor the monitor any CPU to speak of
check "start for lxm-wait" -- lxm-start -n "$c"
pid=$(pid_of "$c")
mon=$(awk '/^PPid:/ {print $2}' /proc/$pid/status)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
m0=$(ticks "$mon")
lxm-wait -n "$c" -s STOPPED -t 4 >/dev/null 2>&1 & wp=$!
sleep 3
w=$(ticks "$wp"); m1=$(ticks "$mon")
wait "$wp"; rc=$?
ok "$( [ $rc = 1 ] && [ -n "$w" ] && [ "$w" -le 2 ] && [ $((m1 - m0)) -le 2 ]; echo $?)" \
	"3 s of lxm-wait -s STOPPED on a running container: lxm-wait used $w, its monitor $((m1 - m0)) clock ticks (exit $rc)"
check "lxm-wait -t 0 for the state it is in" -- lxm-wait -n "$c" -s RUNNING -t 0
t0=$(date +%s%N)
expect_error "^lxm-wait: $c: timed out waiting for the state \(it is RUNNING\)$" "lxm-wait -t 0 looks once" \
	-- lxm-wait -n "$c" -s FROZEN -t 0
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$( [ $ms -lt 500 ]; echo $?)" "... at once (${ms} ms)"
check "lxm-wait -t -1 (lxc-wait's no timeout)" -- lxm-wait -n "$c" -s RUNNING -t -1
if command -v strace >/dev/null; then
	# 30 days: more ms than poll's int holds (it wrapped to a negative
	# timeout, none at all)
	"${strace_cmd[@]}" -o "$TEST_TMP/wait.strace" -e trace=poll,ppoll lxm-wait -n "$c" -s FROZEN -t 2592000 >/dev/null 2>&1 &
	sp=$!
	sleep 1
	pkill -P "$sp"; wait "$sp"
	polls=$(grep -Eo '^poll\(.*\], [0-9]+, -?[0-9]+' "$TEST_TMP/wait.strace" | sed 's/.*, //' | tr '\n' ' ')
	ok "$( [ -n "$polls" ] && ! printf '%s' "$polls" | grep -q -- -; echo $?)" \
		"lxm-wait -t 2592000 (30 days) polls with timeouts (ms: $polls)"
else
	skip "no strace"
fi
lxm-wait -n "$c" -s FROZEN -t 10 >/dev/null 2>&1 & wp=$!
sleep 0.3
t0=$(date +%s%N)
lxm-freeze -n "$c"
wait "$wp"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$( [ $rc = 0 ] && [ $ms -lt 1000 ]; echo $?)" "a waiting lxm-wait -s FROZEN returns when frozen (exit $rc, ${ms} ms after)"
lxm-wait -n "$c" -s 'RUNNING|STOPPED' -t 10 >/dev/null 2>&1 & wp=$!
sleep 0.3
lxm-unfreeze -n "$c"
wait "$wp"
ok $? "a waiting lxm-wait -s 'RUNNING|STOPPED' returns when thawed"
# freezing a frozen container, thawing a running one: no-ops that succeed
check "lxm-freeze" -- lxm-freeze -n "$c"
check "lxm-freeze of a frozen container succeeds" -- lxm-freeze -n "$c"
ok "$( [ "$(state_of "$c")" = FROZEN ]; echo $?)" "... FROZEN"
check "lxm-unfreeze" -- lxm-unfreeze -n "$c"
check "lxm-unfreeze of a running container succeeds" -- lxm-unfreeze -n "$c"
ok "$( [ "$(state_of "$c")" = RUNNING ]; echo $?)" "... RUNNING"
# a freeze while a clean stop is under way (busybox init takes ~2 s to
# halt) is refused: a frozen init never acted on the halt signal, and the
# stop waited out its whole timeout, then killed
lxm-stop -n "$c" -t 8 >/dev/null 2>&1 & sp=$!
t0=$(date +%s%N)
sleep 0.3
expect_error "^lxm-freeze: $c: freezing: it is being stopped$" "lxm-freeze during a stop is refused" -- lxm-freeze -n "$c"
wait "$sp"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$( [ $rc = 0 ] && [ $ms -lt 6000 ] && [ "$(state_of "$c")" = STOPPED ]; echo $?)" \
	"and the stop halts the container, no timeout (exit $rc, $ms ms)"
check "start it again" -- lxm-start -n "$c"
pid=$(pid_of "$c")
mon=$(awk '/^PPid:/ {print $2}' /proc/$pid/status)
# lxm-checkconfig names the freezer lxm-freeze uses on this host
if [ -d "/sys/fs/cgroup/freezer/lxm/$c" ]; then want="yes - cgroup v1 freezer controller"
else want="yes - cgroup v2 (cgroup.freeze)"; fi
got=$(lxm-checkconfig 2>/dev/null | grep '^cgroup freezer ')
ok "$(printf '%s\n' "$got" | sed 's/  */ /g' | grep -qx "cgroup freezer $want"; echo $?)" \
	"lxm-checkconfig reports the freezer in use: '$want' ($got)"
# with the monitor gone nothing rewrites the state file: init's exit wakes it
kill -9 "$mon"
sleep 0.2
lxm-wait -n "$c" -s STOPPED -t 10 >/dev/null 2>&1 & wp=$!
sleep 0.3
t0=$(date +%s%N)
kill -9 "$pid"
wait "$wp"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$( [ $rc = 0 ] && [ $ms -lt 1000 ]; echo $?)" "without a monitor, lxm-wait -s STOPPED returns when init dies (exit $rc, ${ms} ms after)"
check "lxm-stop cleans up after it" -- lxm-stop -n "$c"
no_leaks "$c" "nothing left after the monitor and init were killed"
expect_error "^lxm-freeze: $c: not running$" "lxm-freeze of a stopped container fails" -- lxm-freeze -n "$c"
expect_error "^lxm-unfreeze: $c: not running$" "lxm-unfreeze of a stopped container fails" -- lxm-unfreeze -n "$c"
# a container destroyed meanwhile is STOPPED; any other state never comes
w=${PFX}-wd
check "create a container to destroy under lxm-wait" -- lxm-create -n "$w" -t busybox --privileged
lxm-wait -n "$w" -s RUNNING -t 10 >/dev/null 2>"$TEST_TMP/wait.err" & wp=$!
sleep 0.3
lxm-destroy -n "$w" >/dev/null 2>&1
wait "$wp"; rc=$?
ok "$( [ $rc = 1 ] && grep -qx "lxm-wait: $w: the container was destroyed while waiting" "$TEST_TMP/wait.err"; echo $?)" \
	"lxm-wait -s RUNNING on a container that is destroyed fails at once, saying so (exit $rc: $(cat "$TEST_TMP/wait.err"))"
expect_error "^lxm-wait: $w: no such container" "lxm-wait on an unknown container fails (lxc-wait would wait for it)" \
	-- lxm-wait -n "$w" -s STOPPED -t 1

# destroy
check "start before destroy" -- lxm-start -n "$c"
expect_error "^lxm-destroy: $c: is RUNNING" "destroy refuses a running container" -- lxm-destroy -n "$c"
check "destroy -f stops and deletes it" -- lxm-destroy -n "$c" -f
ok "$( [ ! -e "$LXM_PATH/$c" ]; echo $?)" "the container directory is gone"
no_leaks "$c" "nothing left after destroy -f"
expect_error "^lxm-info: $c: no such container" "info on a destroyed container fails" -- lxm-info -n "$c"

done_testing
