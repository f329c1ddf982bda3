#!/bin/bash
# A monitor killed with SIGKILL must not take the container with it;
# lxm-info and lxm-stop must still work, and the stop must clean up.
. "$(dirname "$0")/lib.sh"
require_root

c=${PFX}-mon
check "create" -- lxm-create -n "$c" -t busybox

for mode in halt kill; do
	check "start ($mode)" -- lxm-start -n "$c"
	pid=$(pid_of "$c")
	mon=$(awk '/^PPid:/ {print $2}' /proc/$pid/status)
	ok "$(grep -q lxm-start /proc/$mon/cmdline; echo $?)" "the monitor ($mon) is init's parent"
	kill -9 "$mon"
	for i in $(seq 50); do [ -d /proc/$mon ] || break; sleep 0.05; done
	ok "$( [ -d /proc/$pid ]; echo $?)" "the container survives its monitor's SIGKILL"
	ok "$( [ "$(state_of "$c")" = RUNNING ]; echo $?)" "lxm-info still says RUNNING"
	ok "$( [ "$(pid_of "$c")" = "$pid" ]; echo $?)" "lxm-info still gives the init pid"
	ok "$(lxm-info -n "$c" | grep -q '^Monitor: *gone'; echo $?)" "lxm-info says the monitor is gone"
	expect_error "^lxm-start: $c: already running" "start refuses a container whose monitor died" -- lxm-start -n "$c"
	if [ $mode = halt ]; then
		check "lxm-stop halts it without its monitor" -- lxm-stop -n "$c" -t 10
	else
		check "lxm-stop -k kills it without its monitor" -- lxm-stop -n "$c" -k
	fi
	ok "$( [ ! -d /proc/$pid ] || grep -q "^State:.*Z" /proc/$pid/status; echo $?)" "init is gone"
	ok "$( [ "$(state_of "$c")" = STOPPED ]; echo $?)" "STOPPED after the stop"
	sleep 0.1
	no_leaks "$c" "no cgroup, runtime dir or mount left ($mode)"
done

# a pid file that points at a recycled pid must not be trusted
check "start" -- lxm-start -n "$c"
pid=$(pid_of "$c")
mon=$(awk '/^PPid:/ {print $2}' /proc/$pid/status)
kill -9 "$mon"
sleep 0.1
kill -9 "$pid"
sleep 0.3
ok "$( [ "$(state_of "$c")" = STOPPED ]; echo $?)" "an init that died with its monitor reads as STOPPED"
check "lxm-stop cleans up after both died" -- lxm-stop -n "$c"
no_leaks "$c" "nothing left after both died"
check "it starts again" -- lxm-start -n "$c"
check "and stops" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing left at the end"

done_testing
