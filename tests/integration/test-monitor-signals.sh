#!/bin/bash
# Stops through the monitor: SIGTERM/SIGINT to a detached monitor halt the
# container as lxm-stop does, SIGHUP is ignored; a frozen container is
# thawed for its halt; a halt or reboot right after the start waits for
# init to take it; a stop under way stays one (a thaw keeps STOPPING,
# a second halt request never pushes the SIGKILL back).
. "$(dirname "$0")/lib.sh"
require_root

monitor_of() { awk '/^PPid:/ {print $2}' "/proc/$(pid_of "$1")/status" 2>/dev/null; }
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status"; }
gone_within() {   # gone_within PID SECS
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		alive "$1" || return 0
		sleep 0.05
	done
	return 1
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# each part starts from a stopped container, whatever the one before did
reset() {
	lxm-unfreeze -n "$c" >/dev/null 2>&1
	lxm-stop -n "$c" -k >/dev/null 2>&1
	: >"$LXM_PATH/$c/console.log"
}

c=${PFX}-sig
check "create" -- lxm-create -n "$c" -t busybox

# SIGTERM and SIGINT: a clean halt (busybox init powers off on SIGUSR2)
for sig in TERM INT; do
	reset
	check "start (SIG$sig)" -- lxm-start -n "$c"
	pid=$(pid_of "$c")
	mon=$(monitor_of "$c")
	t0=$(now_ms)
	kill -$sig "$mon"
	ok "$(gone_within "$mon" 15; echo $?)" "SIG$sig: the detached monitor exits once the container is down"
	ok "$( ! alive "$pid"; echo $?)" "SIG$sig: init is gone"
	ok "$( ! alive "$pid" && [ $(( $(now_ms) - t0 )) -lt 10000 ]; echo $?)" "SIG$sig: a halt, not the 30 s timeout's SIGKILL ($(( $(now_ms) - t0 )) ms)"
	ok "$(grep -q 'The system is going down NOW\|Sent SIG\|Requesting system poweroff' "$LXM_PATH/$c/console.log"; echo $?)" \
		"SIG$sig: init ran its shutdown (console.log)"
	ok "$( [ "$(state_of "$c")" = STOPPED ]; echo $?)" "SIG$sig: STOPPED"
	no_leaks "$c" "SIG$sig: nothing left"
done

# SIGHUP: ignored by a detached monitor
reset
check "start (SIGHUP)" -- lxm-start -n "$c"
pid=$(pid_of "$c")
mon=$(monitor_of "$c")
kill -HUP "$mon"
sleep 0.5
ok "$(alive "$mon" && alive "$pid"; echo $?)" "SIGHUP: the monitor and the container go on"
ok "$( [ "$(state_of "$c")" = RUNNING ]; echo $?)" "SIGHUP: still RUNNING"
ok "$(lxm-info -n "$c" | grep -q '^Monitor: *gone'; [ $? -ne 0 ]; echo $?)" "SIGHUP: lxm-info does not call the monitor gone"

# a frozen container gets its halt signal acted on (thawed), no SIGKILL
# after the timeout
reset
check "start" -- lxm-start -n "$c"
pid=$(pid_of "$c")
check "freeze" -- lxm-freeze -n "$c"
ok "$( [ "$(state_of "$c")" = FROZEN ]; echo $?)" "FROZEN"
t0=$(now_ms)
check "lxm-stop -t 12 of the frozen container" -- timeout 30 lxm-stop -n "$c" -t 12
ms=$(( $(now_ms) - t0 ))
ok "$( [ "$ms" -lt 8000 ]; echo $?)" "a frozen container halts cleanly, well before the 12 s timeout (${ms} ms)"
ok "$( ! alive "$pid" && [ "$(state_of "$c")" = STOPPED ]; echo $?)" "init is gone, STOPPED"
no_leaks "$c" "nothing left after the frozen halt"

# SIGTERM to a frozen container's monitor: the same
reset
check "start" -- lxm-start -n "$c"
pid=$(pid_of "$c")
mon=$(monitor_of "$c")
check "freeze" -- lxm-freeze -n "$c"
t0=$(now_ms)
kill -TERM "$mon"
ok "$(gone_within "$mon" 15; echo $?)" "SIGTERM to the monitor of a frozen container: it exits"
ms=$(( $(now_ms) - t0 ))
ok "$( ! alive "$pid" && [ "$ms" -lt 10000 ]; echo $?)" "... after a clean halt (${ms} ms)"
no_leaks "$c" "nothing left after SIGTERM to a frozen container's monitor"

# a stop right after the start, before init has set itself up (here a
# shell that execs busybox init 0.4 s later): init would drop the halt
# signal then; it is held until init takes it, a clean halt, no SIGKILL at
# the timeout. The same for a reboot, and without the monitor.
late='init.cmd=["/bin/sh", "-c", "sleep 0.4; exec /sbin/init"]'
reset
check "start (init set up late)" -- lxm-start -n "$c" -s "$late" -l info -o "$TEST_TMP/late.log"
pid=$(pid_of "$c")
t0=$(now_ms)
check "lxm-stop -t 8 right after the start" -- timeout 30 lxm-stop -n "$c" -t 8
ms=$(( $(now_ms) - t0 ))
ok "$( ! alive "$pid" && [ "$ms" -lt 6000 ]; echo $?)" "a halt right after the start is not lost: halted in ${ms} ms, no SIGKILL at 8 s"
ok "$(grep -q 'Sent SIG\|Requesting system poweroff' "$LXM_PATH/$c/console.log"; echo $?)" "... init ran its shutdown"
ok "$(grep -q 'init does not take signal 12 yet, holding it' "$TEST_TMP/late.log" &&
      grep -q 'init takes signal 12 now, sending it' "$TEST_TMP/late.log"; echo $?)" "... the monitor held the signal until init took it (log)"
no_leaks "$c" "nothing left after the early halt"

reset
check "start (init set up late)" -- lxm-start -n "$c" -s "$late"
pid=$(pid_of "$c")
check "lxm-stop -r right after the start" -- lxm-stop -n "$c" -r
for ((i = 0; i < 200; i++)); do
	new=$(pid_of "$c")
	[ -n "$new" ] && [ "$new" != "$pid" ] && [ "$(state_of "$c")" = RUNNING ] && break
	sleep 0.05
done
ok "$( [ -n "$new" ] && [ "$new" != "$pid" ] && [ "$(state_of "$c")" = RUNNING ]; echo $?)" \
	"a reboot right after the start is not lost: init $pid rebooted as $new"

# held no longer than it is waited for: an lxm-stop -r -t 1 that failed
# ('runs on') is not followed by a reboot once init takes the signal
# later; nor is an lxm-stop --nokill -t 0 by a halt after init.stop_timeout
later='init.cmd=["/bin/sh", "-c", "sleep 2; exec /sbin/init"]'
reset
check "start (init set up after 2 s)" -- lxm-start -n "$c" -s "$later" -l info -o "$TEST_TMP/later.log"
pid=$(pid_of "$c")
expect_error "^lxm-stop: $c: not rebooted after 1 s: init $pid runs on" "lxm-stop -r -t 1 before init takes the signal fails" \
	-- lxm-stop -n "$c" -r -t 1
sleep 5   # init takes it at 2 s, busybox's reboot takes 2 s more
ok "$( [ "$(pid_of "$c")" = "$pid" ] && [ "$(state_of "$c")" = RUNNING ]; echo $?)" \
	"... and no reboot follows once init takes the signal ($pid, now $(pid_of "$c"))"
ok "$(grep -q 'init did not take signal 15 within 1.0 s, dropping it' "$TEST_TMP/later.log"; echo $?)" \
	"... the monitor dropped the held signal at the timeout (log)"
reset
check "start (init set up after 2 s, stop_timeout 1)" -- lxm-start -n "$c" -s "$later" -s init.stop_timeout=1
pid=$(pid_of "$c")
check "lxm-stop --nokill -t 0 before init takes the signal" -- lxm-stop -n "$c" --nokill -t 0
sleep 5
ok "$(alive "$pid" && [ "$(state_of "$c")" = RUNNING ]; echo $?)" \
	"... no halt follows after init.stop_timeout once init takes the signal"
# a reboot during a stop (its halt signal held) is refused: it would take
# the halt's place, and the halt would be lost with it
reset
check "start (init set up after 2 s)" -- lxm-start -n "$c" -s "$later"
pid=$(pid_of "$c")
timeout 20 lxm-stop -n "$c" --nokill -t -1 >/dev/null 2>&1 &
stop1=$!
wait_state "$c" STOPPING 2
expect_error "^lxm-stop: $c: cannot reboot: it is being stopped \\(STOPPING\\)" "lxm-stop -r during a stop is refused" \
	-- lxm-stop -n "$c" -r -t 1
wait "$stop1"
ok "$(rc=$?; [ "$rc" = 0 ] && ! alive "$pid"; echo $?)" "... and the stop's held halt signal still halts the container"

reset
check "start (init set up late)" -- lxm-start -n "$c" -s "$late"
pid=$(pid_of "$c")
mon=$(monitor_of "$c")
kill -KILL "$mon"
t0=$(now_ms)
check "lxm-stop -t 8 right after the start, monitor killed" -- timeout 30 lxm-stop -n "$c" -t 8
ms=$(( $(now_ms) - t0 ))
ok "$( ! alive "$pid" && [ "$ms" -lt 6000 ]; echo $?)" "without the monitor, a halt right after the start is not lost either (${ms} ms)"
no_leaks "$c" "nothing left after the early halt without a monitor"

# an init that ignores its halt signal (busybox init has no handler for
# SIGWINCH) stays STOPPING until the SIGKILL at the timeout
slow="-s init.halt_signal=SIGWINCH"
# start_stopping SECS: such a container, and an lxm-stop -t SECS under way
# (its pid in stop1, its start in t0)
start_stopping() {
	reset
	check "start (halt signal ignored)" -- lxm-start -n "$c" $slow
	pid=$(pid_of "$c")
	t0=$(now_ms)
	lxm-stop -n "$c" -t "$1" >/dev/null 2>&1 &
	stop1=$!
	wait_state "$c" STOPPING 2
}
start_stopping 4
ok "$( [ "$(state_of "$c")" = STOPPING ]; echo $?)" "STOPPING while init ignores the halt signal"
# (a frozen init would never act on the halt signal: refused)
expect_error "^lxm-freeze: $c: freezing: it is being stopped$" "a freeze during the stop is refused" -- lxm-freeze -n "$c"
check "a thaw during the stop" -- lxm-unfreeze -n "$c"
ok "$( [ "$(state_of "$c")" = STOPPING ]; echo $?)" "a thaw keeps STOPPING (not RUNNING)"
sleep 0.5
lxm-stop -n "$c" -t 60 >/dev/null 2>&1 &
stop2=$!
wait "$stop1"
ok $? "the first lxm-stop returns"
ms=$(( $(now_ms) - t0 ))
ok "$( ! alive "$pid" && [ "$ms" -lt 7000 ]; echo $?)" "a second halt request (-t 60) does not push the SIGKILL back (${ms} ms, first -t 4)"
ok "$(timeout 10 tail --pid="$stop2" -f /dev/null; echo $?)" "the second lxm-stop returns too"
kill "$stop2" 2>/dev/null; wait "$stop2" 2>/dev/null
no_leaks "$c" "nothing left after the double stop"

# a second halt request with a shorter timeout brings the SIGKILL forward
start_stopping 60
t0=$(now_ms)
check "a second lxm-stop -t 1" -- timeout 20 lxm-stop -n "$c" -t 1
ms=$(( $(now_ms) - t0 ))
ok "$( ! alive "$pid" && [ "$ms" -lt 5000 ]; echo $?)" "... kills after its own 1 s, not the first's 60 s (${ms} ms)"
ok "$(timeout 10 tail --pid="$stop1" -f /dev/null; echo $?)" "the first lxm-stop returns too"
kill "$stop1" 2>/dev/null; wait "$stop1" 2>/dev/null
no_leaks "$c" "nothing left"

# lxm-stop -t -1 (no SIGKILL ever) that is interrupted: as an interrupted
# --nokill, the container is RUNNING again (it was STOPPING for good, and
# could never be frozen), unless a stop with a SIGKILL time is under way
start_stopping -1
expect_error "^lxm-freeze: $c: freezing: it is being stopped$" "... a freeze is refused meanwhile" -- lxm-freeze -n "$c"
kill -KILL "$stop1"; wait "$stop1" 2>/dev/null
wait_state "$c" RUNNING 2
ok "$( [ "$(state_of "$c")" = RUNNING ] && [ "$(pid_of "$c")" = "$pid" ]; echo $?)" \
	"an interrupted lxm-stop -t -1: RUNNING again ($(state_of "$c"))"
check "... and it can be frozen" -- lxm-freeze -n "$c"
check "... and thawed" -- lxm-unfreeze -n "$c"
lxm-stop -n "$c" -t -1 >/dev/null 2>&1 & stop1=$!
wait_state "$c" STOPPING 2
t0=$(now_ms)
lxm-stop -n "$c" -t 2 >/dev/null 2>&1 & stop2=$!
sleep 0.5
kill -TERM "$stop1"; wait "$stop1" 2>/dev/null
sleep 0.3
ok "$( [ "$(state_of "$c")" = STOPPING ]; echo $?)" \
	"an interrupted lxm-stop -t -1 next to an lxm-stop -t 2: still STOPPING ($(state_of "$c"))"
ok "$(timeout 10 tail --pid="$stop2" -f /dev/null; echo $?)" "... and the lxm-stop -t 2 returns"
ms=$(( $(now_ms) - t0 ))
ok "$( ! alive "$pid" && [ "$ms" -ge 1900 ] && [ "$ms" -lt 5000 ]; echo $?)" "... after its SIGKILL at 2 s (${ms} ms)"
wait "$stop2" 2>/dev/null
no_leaks "$c" "nothing left after an interrupted lxm-stop -t -1"

# SIGTERM twice to the monitor of such an init: SIGKILL at the stop
# timeout of the first, not pushed back by the second
reset
check "start (halt signal ignored, stop_timeout 3)" -- lxm-start -n "$c" $slow -s init.stop_timeout=3
pid=$(pid_of "$c")
mon=$(monitor_of "$c")
t0=$(now_ms)
kill -TERM "$mon"
sleep 1.5
ok "$(alive "$mon" && [ "$(state_of "$c")" = STOPPING ]; echo $?)" "SIGTERM: STOPPING while the halt signal is ignored"
kill -TERM "$mon" 2>/dev/null
ok "$(gone_within "$mon" 10; echo $?)" "the monitor exits after the SIGKILL"
ms=$(( $(now_ms) - t0 ))
ok "$( ! alive "$pid" && [ "$ms" -ge 2900 ] && [ "$ms" -lt 4500 ]; echo $?)" "SIGKILL at the stop timeout of the first SIGTERM (${ms} ms, timeout 3 s)"
no_leaks "$c" "nothing left after the SIGTERMs"

# the foreground monitor: SIGTERM halts too
reset
lxm-start -F -n "$c" </dev/null >/dev/null 2>&1 &
fg=$!
wait_state "$c" RUNNING 10
pid=$(pid_of "$c")
kill -TERM "$fg"
ok "$(timeout 15 tail --pid="$fg" -f /dev/null; echo $?)" "SIGTERM to lxm-start -F: it returns"
ok "$( ! alive "$pid" && [ "$(state_of "$c")" = STOPPED ]; echo $?)" "... with the container halted"
wait "$fg" 2>/dev/null
no_leaks "$c" "nothing left after the foreground SIGTERM"

done_testing
