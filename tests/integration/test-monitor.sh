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

# a frozen container whose monitor died: lxm-stop thaws it after each
# signal (a frozen init acts on none), for the halt and for -k
for mode in halt kill; do
	check "start ($mode, frozen)" -- lxm-start -n "$c"
	pid=$(pid_of "$c")
	check "freeze it" -- lxm-freeze -n "$c"
	kill -9 "$(awk '/^PPid:/ {print $2}' /proc/$pid/status)"
	sleep 0.1
	t0=$(date +%s%N)
	if [ $mode = halt ]; then
		check "lxm-stop halts the frozen container without its monitor" -- lxm-stop -n "$c" -t 8
	else
		check "lxm-stop -k kills the frozen container without its monitor" -- lxm-stop -n "$c" -k
	fi
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	ok "$([ $ms -lt 5000 ] && [ "$(state_of "$c")" = STOPPED ]; echo $?)" "STOPPED, in $ms ms ($mode: no wait for a timeout)"
	no_leaks "$c" "nothing left ($mode, frozen)"
done

# the monitor killed while lxm-stop waits for its stop (init ignores the
# halt signal here): lxm-stop does not take the dropped connection for a
# finished stop, it stops the container without the monitor
check "start with a halt signal init ignores" -- lxm-start -n "$c" -s init.halt_signal=SIGWINCH
pid=$(pid_of "$c")
mon=$(awk '/^PPid:/ {print $2}' /proc/$pid/status)
lxm-stop -n "$c" -t 2 >"$TEST_TMP/drop.out" 2>&1 & sp=$!
sleep 0.5
kill -9 "$mon"
wait $sp; rc=$?
ok "$([ $rc = 0 ] && { [ ! -d /proc/$pid ] || grep -q "^State:.*Z" /proc/$pid/status; } && [ "$(state_of "$c")" = STOPPED ]; echo $?)" \
	"a stop whose monitor is killed meanwhile ends with the container stopped (exit $rc: $(cat "$TEST_TMP/drop.out"))"
no_leaks "$c" "nothing left after that stop"
# the same for a reboot (init ignores the reboot signal here): lxm-stop -r
# sees the monitor die and says so at once, not "init runs on" after its
# whole wait (when init has died too, it cleans up as lxm-stop does)
check "start with a reboot signal init ignores" -- lxm-start -n "$c" -s init.reboot_signal=SIGWINCH
pid=$(pid_of "$c")
mon=$(awk '/^PPid:/ {print $2}' /proc/$pid/status)
t0=$(date +%s%N)
lxm-stop -n "$c" -r -t 20 >"$TEST_TMP/reboot.out" 2>&1 & sp=$!
sleep 0.5
kill -9 "$mon"
wait $sp; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$([ $rc = 1 ] && [ $ms -lt 10000 ] && grep -q "^lxm-stop: $c: cannot reboot: the monitor is gone" "$TEST_TMP/reboot.out"; echo $?)" \
	"a reboot whose monitor is killed meanwhile fails at once, naming why ($ms ms, exit $rc: $(cat "$TEST_TMP/reboot.out"))"
check "lxm-stop -k stops it" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing left after that reboot and stop"
# without the monitor, lxm-stop -t -1 waits for the halt without holding
# the runtime lock: an lxm-stop -k meanwhile gets through (it was told "the
# container is starting; try again"), and the waiting one then succeeds
check "start with a halt signal init ignores (-t -1, no monitor)" -- lxm-start -n "$c" -s init.halt_signal=SIGWINCH
pid=$(pid_of "$c")
kill -9 "$(awk '/^PPid:/ {print $2}' /proc/$pid/status)"
sleep 0.2
lxm-stop -n "$c" -t -1 >"$TEST_TMP/forever.out" 2>&1 & sp=$!
sleep 0.5
check "lxm-stop -k while lxm-stop -t -1 waits without the monitor" -- timeout 20 lxm-stop -n "$c" -k
# (it would wait forever otherwise)
[ "$(state_of "$c")" = STOPPED ] || kill "$sp" 2>/dev/null
wait $sp; rc=$?
ok "$( [ $rc = 0 ] && { [ ! -d /proc/$pid ] || grep -q "^State:.*Z" /proc/$pid/status; } && [ "$(state_of "$c")" = STOPPED ]; echo $?)" \
	"the waiting lxm-stop -t -1 returns 0, STOPPED (exit $rc: $(cat "$TEST_TMP/forever.out"))"
no_leaks "$c" "nothing left after -t -1 and -k without the monitor"
# a stuck monitor (stopped here with SIGSTOP) does not hang lxm-stop
check "start" -- lxm-start -n "$c"
pid=$(pid_of "$c")
mon=$(awk '/^PPid:/ {print $2}' /proc/$pid/status)
kill -STOP "$mon"
t0=$(date +%s%N)
expect_error "^lxm-stop: $c: its monitor does not answer \\(stuck\\?\\)" "lxm-stop gives up on a stuck monitor" \
	-- timeout 30 lxm-stop -n "$c" -k
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$([ $ms -lt 15000 ]; echo $?)" "after its timeout ($ms ms)"
kill -CONT "$mon"
sleep 1
ok "$([ "$(state_of "$c")" = RUNNING ] && [ "$(pid_of "$c")" = "$pid" ]; echo $?)" \
	"the stop that timed out is not carried out once the monitor runs again"
check "lxm-stop -k once it runs again" -- lxm-stop -n "$c" -k
# and lxm-console says why there is no console once the monitor is gone
check "start" -- lxm-start -n "$c"
pid=$(pid_of "$c")
kill -9 "$(awk '/^PPid:/ {print $2}' /proc/$pid/status)"
sleep 0.1
expect_error "^lxm-console: $c: its monitor is gone, and the console with it \\(lxm-stop still stops the container\\)$" \
	"lxm-console names the gone monitor" -- lxm-console -n "$c"
check "lxm-stop -k" -- lxm-stop -n "$c" -k

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

# without pidfd_open (Linux < 5.3, valgrind 3.19) no command may take a
# running container for a stopped one: lxm-start would take its runtime
# dir for a stale one, lxm-destroy would orphan it
DENY="$BUILDDIR/tests/integration/deny-syscall pidfd-open"
check "it starts again" -- lxm-start -n "$c"
if [ -x "${DENY%% *}" ] && $DENY true; then
	pid=$(pid_of "$c")
	expect_error "^lxm-attach: $c: opening a pidfd for init $pid \\(needs Linux 5.3\\): Function not implemented\$" \
		"lxm-attach without pidfd_open says so, not 'not running'" -- $DENY lxm-attach -n "$c" -- true
	mon=$(awk '/^PPid:/ {print $2}' /proc/$pid/status)
	kill -9 "$mon"
	for i in $(seq 50); do [ -d /proc/$mon ] || break; sleep 0.05; done
	ok "$([ "$($DENY lxm-info -n "$c" -s 2>&1 | awk '{print $2}')" = RUNNING ]; echo $?)" \
		"without pidfd_open and its monitor, lxm-info still says RUNNING"
	expect_error "^lxm-start: $c: already running" \
		"without pidfd_open, start refuses a container whose monitor died" -- $DENY lxm-start -n "$c"
	ok "$([ -f "$LXM_RUNDIR/$c/state" ] && [ -d /proc/$pid ]; echo $?)" "its runtime dir and init are still there"
	expect_error "^lxm-destroy: $c: " "without pidfd_open, destroy refuses it" -- $DENY lxm-destroy -n "$c"
	ok "$([ -d "$LXM_PATH/$c" ]; echo $?)" "its directory is still there"
else
	skip "deny-syscall: not built or no filter for this architecture"
fi
check "and stops" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing left at the end"

monitor_of() { awk '/^PPid:/ {print $2}' "/proc/$(pid_of "$1")/status" 2>/dev/null; }
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status"; }

# --- lxm-start's inherited fds: the monitor (which lives as long as the
# container) must not keep the caller's pipes and locks
rc=0
timeout 10 bash -c "lxm-start -n '$c' 3>&1 2>/dev/null | cat >/dev/null" || rc=$?
ok "$rc" "lxm-start -n $c 3>&1 | cat returns at once: the monitor does not hold the pipe (exit $rc)"
mon=$(monitor_of "$c")
ok "$( ! ls -l "/proc/$mon/fd" | grep -q 'pipe:'; echo $?)" "the monitor has no pipe open"
check "stop" -- lxm-stop -n "$c" -k
( flock 9 && lxm-start -n "$c" -o "$TEST_TMP/start.log" -l info ) 9>"$TEST_TMP/flock"
ok "$(flock -n "$TEST_TMP/flock" true; echo $?)" "a flock on an fd lxm-start was given is not held by the monitor"
mon=$(monitor_of "$c")
ok "$( ! ls -l "/proc/$mon/fd" | grep -qF "$TEST_TMP/flock"; echo $?)" "the monitor has no fd of the caller's lock file"
ok "$(grep -q "'$c' started" "$TEST_TMP/start.log"; echo $?)" "-o: the log file lxm-start opens itself still gets the monitor's log"
check "stop" -- lxm-stop -n "$c" -k

# --- the command socket when all 64 client slots are taken
cat >"$TEST_TMP/clients.py" <<'PY'
# clients.py SOCKET N MODE READYFILE: hold N connections to a monitor.
# MODE idle: connect and send nothing; console: attach each to the console
# (a stream that is never idle). Prints, per connection on exit... nothing:
# the test looks at the monitor's answers elsewhere.
import socket, struct, sys, time
path, n, mode, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
REQ = struct.Struct('<IHHiiI')
socks = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    if mode == 'console':
        s.send(REQ.pack(0x6c786d31, 1, 4, 0, 0, 0))
        ret = struct.unpack('<IiIiI', s.recv(1 << 20)[:20])[1]
        if ret != 0:
            sys.exit('console %d refused: %d' % (i, ret))
    socks.append(s)
open(ready, 'w').write('ready\n')
time.sleep(600)
PY
cat >"$TEST_TMP/state.py" <<'PY'
# state.py SOCKET: one state request; prints "ret state pid", or EOF
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
try:
    s.send(struct.pack('<IHHiiI', 0x6c786d31, 1, 0, 0, 0, 0))
    d = s.recv(1 << 20)
except OSError as e:
    sys.exit(print(e.strerror))
print('EOF' if not d else '%d %d %d' % struct.unpack('<IiIiI', d[:20])[1:4])
PY
# a container of its own for each part, so that one failing leaves the next alone
c=${PFX}-cli
check "create $c" -- lxm-create -n "$c" -t busybox
sock=$LXM_RUNDIR/$c/command
holders() {   # holders MODE: 64 connections held in the background ($hold)
	rm -f "$TEST_TMP/ready"
	python3 "$TEST_TMP/clients.py" "$sock" 64 "$1" "$TEST_TMP/ready" >/dev/null 2>&1 &
	hold=$!
	for _ in $(seq 100); do [ -e "$TEST_TMP/ready" ] && break; sleep 0.05; done
	[ -e "$TEST_TMP/ready" ]
}
check "start" -- lxm-start -n "$c"
pid=$(pid_of "$c")
holders console
ok $? "64 console clients attach"
out=$(timeout 5 python3 "$TEST_TMP/state.py" "$sock")
ok "$( [ "$out" = "-87 2 $pid" ]; echo $?)" "a 65th connection gets an answer: -EUSERS, RUNNING, init's pid ('$out')"
expect_error "^lxm-console: $c: its monitor has too many clients connected; try again\$" \
	"lxm-console says so, not that the tty is in use" -- timeout 20 lxm-console -n "$c" -t 2
expect_error "^lxm-freeze: $c: its monitor has too many clients connected; try again\$" \
	"lxm-freeze says so" -- timeout 20 lxm-freeze -n "$c"
expect_error "^lxm-stop: $c: its monitor has too many clients connected; try again\$" "lxm-stop with all slots busy fails, not a false success" \
	-- timeout 20 lxm-stop -n "$c" -t 10
ok "$(alive "$pid" && [ "$(state_of "$c")" = RUNNING ]; echo $?)" "... and the container is still RUNNING"
stop_holder "$hold"
sleep 0.2
ok "$( [ "$(timeout 5 python3 "$TEST_TMP/state.py" "$sock")" = "0 2 $pid" ]; echo $?)" "with the clients gone, a state request is served again"
holders idle
ok $? "64 idle connections are taken"
sleep 0.5
check "lxm-stop gets through 64 idle connections" -- timeout 20 lxm-stop -n "$c" -t 10
ok "$( ! alive "$pid" && [ "$(state_of "$c")" = STOPPED ]; echo $?)" "... and the container is really stopped"
stop_holder "$hold"
no_leaks "$c" "nothing left after the client tests"

# --- lxm-console --log with the largest ring (one reply of ~256K, more
# than a socket's default send buffer)
c=${PFX}-ring
check "create $c" -- lxm-create -n "$c" -t busybox
check "start with console.buffer = 256K" -- lxm-start -n "$c" -s console.buffer=256K
lxm-attach -n "$c" -- sh -c 'busybox seq 1 60000 > /dev/console; echo end-of-output > /dev/console'
sleep 0.5
rc=0
lxm-console -n "$c" --log >"$TEST_TMP/ring" 2>"$TEST_TMP/ring.err" || rc=$?
ok "$( [ $rc -eq 0 ] && [ ! -s "$TEST_TMP/ring.err" ]; echo $?)" "lxm-console --log of a 256K ring succeeds (exit $rc: $(head -c 200 "$TEST_TMP/ring.err"))"
ok "$( [ "$(stat -c %s "$TEST_TMP/ring")" -eq 262144 ]; echo $?)" "... and prints the whole ring ($(stat -c %s "$TEST_TMP/ring") bytes)"
ok "$(tr -d '\r' <"$TEST_TMP/ring" | tail -n 2 | grep -qx 60000; echo $?)" "... up to the newest output"
check "stop" -- lxm-stop -n "$c" -k
expect_error "^lxm-start: $c: .*console\.buffer: must be at most 256K, got '257K'\$" \
	"a console.buffer beyond one reply is a config error naming the maximum" -- lxm-start -n "$c" -s console.buffer=257K
no_leaks "$c" "nothing left after the console buffer tests"

# --- lxm-start -F: the console goes to stdout, which must neither kill
# the monitor (SIGPIPE) nor block its loop
c=${PFX}-fg
check "create $c" -- lxm-create -n "$c" -t busybox
lxm-start -F -n "$c" </dev/null 2>/dev/null | head -c 20 >/dev/null &
wait_state "$c" RUNNING 10
mon=$(monitor_of "$c")
sleep 0.5
lxm-attach -n "$c" -- sh -c 'echo after-head-exited > /dev/console'
sleep 0.5
ok "$(alive "$mon"; echo $?)" "-F | head -c 20: the monitor survives its reader's exit"
ok "$(lxm-info -n "$c" | grep -q '^Monitor: *gone'; [ $? -ne 0 ]; echo $?)" "... lxm-info does not call it gone"
check "... and lxm-stop halts the container through it" -- timeout 20 lxm-stop -n "$c" -t 10
wait
no_leaks "$c" "nothing left after -F | head"
c=${PFX}-fg2
check "create $c" -- lxm-create -n "$c" -t busybox

mkfifo "$TEST_TMP/fifo"
# stalled_pipe WHAT ARGS...: lxm-start -F ARGS into a pipe nobody reads,
# far more console output than it holds: the monitor still answers
stalled_pipe() {
	local what=$1 sl fg rc=0
	shift
	sleep 120 <"$TEST_TMP/fifo" &
	sl=$!
	if [ "$what" = "2>&1" ]; then
		lxm-start -F -n "$c" "$@" </dev/null >"$TEST_TMP/fifo" 2>&1 &
	else
		lxm-start -F -n "$c" "$@" </dev/null >"$TEST_TMP/fifo" 2>/dev/null &
	fi
	fg=$!
	wait_state "$c" RUNNING 10
	timeout 20 lxm-attach -n "$c" -- sh -c 'busybox seq 1 100000 > /dev/console'
	ok "$( [ "$(timeout 5 lxm-info -n "$c" -s 2>&1)" = "State:          RUNNING" ]; echo $?)" \
		"-F $what | (a reader that does not read): lxm-info is answered"
	check "... and lxm-stop -k works" -- timeout 15 lxm-stop -n "$c" -k
	timeout 10 tail --pid="$fg" -f /dev/null || rc=$?
	ok "$rc" "... and lxm-start -F returns"
	kill "$sl" 2>/dev/null
	wait
	no_leaks "$c" "nothing left after -F $what to a stalled pipe"
}
stalled_pipe ">"
# the log on that pipe too, at info: its lines must not block either
stalled_pipe "2>&1" -l info

done_testing
