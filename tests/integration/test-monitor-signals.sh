#!/bin/bash
# Stops through the monitor: a frozen container is thawed for its halt; a
# stop under way stays one (a thaw keeps STOPPING, a second halt request
# never pushes the SIGKILL back).
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

# an init that ignores its halt signal (busybox init has no handler for
# SIGWINCH) stays STOPPING until the SIGKILL at the timeout
slow="-s init.halt_signal=SIGWINCH"
reset
check "start (halt signal ignored)" -- lxm-start -n "$c" $slow
pid=$(pid_of "$c")
t0=$(now_ms)
lxm-stop -n "$c" -t 4 >/dev/null 2>&1 &
stop1=$!
wait_state "$c" STOPPING 2
ok "$( [ "$(state_of "$c")" = STOPPING ]; echo $?)" "STOPPING while init ignores the halt signal"
check "freeze during the stop" -- lxm-freeze -n "$c"
check "thaw during the stop" -- lxm-unfreeze -n "$c"
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
reset
check "start (halt signal ignored)" -- lxm-start -n "$c" $slow
pid=$(pid_of "$c")
lxm-stop -n "$c" -t 60 >/dev/null 2>&1 &
stop1=$!
wait_state "$c" STOPPING 2
t0=$(now_ms)
check "a second lxm-stop -t 1" -- timeout 20 lxm-stop -n "$c" -t 1
ms=$(( $(now_ms) - t0 ))
ok "$( ! alive "$pid" && [ "$ms" -lt 5000 ]; echo $?)" "... kills after its own 1 s, not the first's 60 s (${ms} ms)"
ok "$(timeout 10 tail --pid="$stop1" -f /dev/null; echo $?)" "the first lxm-stop returns too"
kill "$stop1" 2>/dev/null; wait "$stop1" 2>/dev/null
no_leaks "$c" "nothing left"

done_testing
