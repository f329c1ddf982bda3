#!/bin/bash
# lxm-console, driven through tmux like a person at a terminal: the busybox
# console's askfirst shell, a getty on tty1, detaching, two clients, the
# escape key, window size, the terminal restored, --log and console.log.
. "$(dirname "$0")/lib.sh"
require_root
if ! command -v tmux >/dev/null; then
	echo "1..0 # SKIP tmux not installed (scripts/deps)"
	exit 0
fi

TSOCK=$TEST_TMP/tmux.sock
T() { tmux -S "$TSOCK" "$@"; }
trap 'T kill-server >/dev/null 2>&1; cleanup' EXIT

# tstart SESSION COMMAND: a 100x30 terminal running COMMAND; when it ends,
# "EXITED-<status>" is printed and the pane stays for inspection.
tstart() {
	T new-session -d -x 100 -y 30 -s "$1" "$2; echo EXITED-\$?; sleep 600"
}
screen_of() { T capture-pane -p -J -t "$1" -S -300 2>/dev/null | tr -d '\r'; }
wait_screen() {   # wait_screen SESSION ERE SECS
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		screen_of "$1" | grep -Eq -- "$2" && return 0
		sleep 0.05
	done
	diag "screen of $1 (waiting for '$2'):"
	screen_of "$1" | grep -v '^$' | tail -8 | sed 's/^/#     /'
	return 1
}
console_pid() {   # the lxm-console running in a session's pane
	pgrep -P "$(T display -p -t "$1" '#{pane_pid}')" -x lxm-console
}

c=${PFX}-con
check "create" -- lxm-create -n "$c" -t busybox
expect_error "^lxm-console: $c: not running" "console of a stopped container fails" -- lxm-console -n "$c"
expect_error "^lxm-console: ${PFX}-nope: .*" "console of a missing container fails" -- lxm-console -n "${PFX}-nope"
expect_error "^lxm-console: invalid tty '99'" "-t beyond the maximum is a usage error" -- lxm-console -n "$c" -t 99
check "start" -- lxm-start -n "$c"

# the console: askfirst shell, a command, its output
tstart s1 "stty -g > $TEST_TMP/stty.before; lxm-console -n $c; r=\$?; stty -g > $TEST_TMP/stty.after; (exit \$r)"
ok "$(wait_screen s1 '^Connected to tty 0' 5; echo $?)" "the banner says 'Connected to tty 0'"
ok "$(wait_screen s1 'Type <Ctrl a q> to exit' 1; echo $?)" "... and how to detach"
T send-keys -t s1 Enter
ok "$(wait_screen s1 '# $' 5; echo $?)" "Enter at the askfirst prompt gives a root shell"
tok=hello-$RANDOM$RANDOM
T send-keys -t s1 "echo $tok" Enter
ok "$(wait_screen s1 "^$tok\$" 5; echo $?)" "a command runs and its output is shown"
# ^C interrupts the shell's command: the shell has the console as its
# controlling terminal, not init, for which SIGINT is ctrl-alt-del (busybox
# init rebooted the container; its askfirst shell had no job control)
ipid=$(pid_of "$c")
T send-keys -t s1 "sleep 100" Enter
sleep 0.3
T send-keys -t s1 C-c
T send-keys -t s1 'echo rc-$?' Enter
ok "$(wait_screen s1 '^rc-130$' 5; echo $?)" "^C on the console interrupts the shell's command (exit 130)"
ok "$( [ "$(pid_of "$c")" = "$ipid" ] && [ "$(state_of "$c")" = RUNNING ] &&
	! screen_of s1 | grep -q 'job control turned off'; echo $?)" "... and does not reach init (no reboot, the shell has job control)"
T send-keys -t s1 "stty size" Enter
ok "$(wait_screen s1 '^30 100$' 5; echo $?)" "the console has the client's window size (30 100)"
if T resize-window -t s1 -x 90 -y 25 2>/dev/null; then
	sleep 0.3
	T send-keys -t s1 "stty size" Enter
	ok "$(wait_screen s1 '^25 90$' 5; echo $?)" "a window size change (SIGWINCH) reaches the console (25 90)"
else
	skip "tmux cannot resize the window"
fi

# a second client on the same console sees the same output
tstart s2 "lxm-console -n $c"
wait_screen s2 '^Connected to tty 0' 5 >/dev/null
tok2=both-$RANDOM$RANDOM
T send-keys -t s1 "echo $tok2" Enter
ok "$(wait_screen s1 "^$tok2\$" 5; echo $?)" "two clients: the first sees the output"
ok "$(wait_screen s2 "^$tok2\$" 5; echo $?)" "two clients: the second sees it too"

# Ctrl-a Ctrl-a is one literal Ctrl-a
T send-keys -t s2 "od -An -tx1" Enter
sleep 0.3
T send-keys -t s2 C-a C-a Enter C-d
ok "$(wait_screen s2 '^ *01 0a$' 5; echo $?)" "Ctrl-a Ctrl-a sends a single Ctrl-a"

# Ctrl-a q detaches; the container goes on
T send-keys -t s1 C-a q
ok "$(wait_screen s1 '^EXITED-0$' 5; echo $?)" "Ctrl-a q detaches (exit 0)"
ok "$( [ "$(state_of "$c")" = RUNNING ]; echo $?)" "the container is still RUNNING after the detach"
ok "$(cmp -s "$TEST_TMP/stty.before" "$TEST_TMP/stty.after"; echo $?)" "the terminal settings are restored after the detach"
tok3=after-$RANDOM$RANDOM
T send-keys -t s2 "echo $tok3" Enter
ok "$(wait_screen s2 "^$tok3\$" 5; echo $?)" "the other client still works after the first left"
T send-keys -t s2 C-a q
wait_screen s2 '^EXITED-0$' 5 >/dev/null

# -e x: Ctrl-x q detaches, Ctrl-a q does not
tstart s3 "lxm-console -n $c -e x"
ok "$(wait_screen s3 'Type <Ctrl x q> to exit' 5; echo $?)" "-e x: the banner names Ctrl x"
T send-keys -t s3 C-a q
sleep 0.5
ok "$( ! screen_of s3 | grep -q '^EXITED'; echo $?)" "-e x: Ctrl-a q does not detach"
T send-keys -t s3 C-u C-x q
ok "$(wait_screen s3 '^EXITED-0$' 5; echo $?)" "-e x: Ctrl-x q detaches"

# a signal restores the terminal too
tstart s4 "stty -g > $TEST_TMP/stty4.before; lxm-console -n $c; r=\$?; stty -g > $TEST_TMP/stty4.after; (exit \$r)"
wait_screen s4 '^Connected to tty 0' 5 >/dev/null
kill -TERM "$(console_pid s4)" 2>/dev/null
ok "$(wait_screen s4 '^EXITED-143$' 5; echo $?)" "SIGTERM ends lxm-console with 143"
ok "$(cmp -s "$TEST_TMP/stty4.before" "$TEST_TMP/stty4.after"; echo $?)" "the terminal settings are restored after SIGTERM"

# tty1: the getty, one client at a time
tstart s5 "lxm-console -n $c -t 1"
ok "$(wait_screen s5 '^Connected to tty 1' 5; echo $?)" "-t 1 connects to tty1"
T send-keys -t s5 Enter
ok "$(wait_screen s5 'login: *$' 5; echo $?)" "-t 1 shows the getty's login prompt"
expect_error "^lxm-console: $c: tty 1 is in use by another lxm-console$" "a second client on tty1 is refused" \
	-- lxm-console -n "$c" -t 1 </dev/null
T send-keys -t s5 root Enter
ok "$(wait_screen s5 '# $' 5; echo $?)" "root logs in on tty1"
T send-keys -t s5 tty Enter
ok "$(wait_screen s5 '^/dev/tty1$' 5; echo $?)" "the login shell runs on /dev/tty1"
T send-keys -t s5 exit Enter C-a q
ok "$(wait_screen s5 '^EXITED-0$' 5; echo $?)" "detach from tty1"
expect_error "^lxm-console: $c: no tty 9 in the container" "a tty the container does not have is refused" \
	-- lxm-console -n "$c" -t 9 </dev/null

# a client killed with SIGKILL frees its tty and leaves the container alone
lxm-console -n "$c" -t 2 </dev/null >/dev/null 2>&1 &
kpid=$!
sleep 0.3
kill -KILL "$kpid"; wait "$kpid" 2>/dev/null
sleep 0.2
ok "$( [ "$(state_of "$c")" = RUNNING ]; echo $?)" "SIGKILL of lxm-console leaves the container RUNNING"
tstart s6 "lxm-console -n $c -t 2"
ok "$(wait_screen s6 '^Connected to tty 2' 5; echo $?)" "... and its tty can be taken again"
T send-keys -t s6 C-a q

# SIGKILL of lxm-console in a real terminal: the terminal stays raw (no
# handler runs), `reset` makes it usable again, the container goes on
T new-session -d -x 100 -y 30 -s s8 "env PS1='sh8\$ ' bash --norc --noprofile"
wait_screen s8 'sh8\$ $' 5 >/dev/null
T send-keys -t s8 "lxm-console -n $c" Enter
wait_screen s8 '^Connected to tty 0' 5 >/dev/null
kill -KILL "$(console_pid s8)" 2>/dev/null
sleep 0.3
ok "$( [ "$(state_of "$c")" = RUNNING ]; echo $?)" "SIGKILL of lxm-console in a terminal leaves the container RUNNING"
T send-keys -t s8 Enter reset Enter
sleep 1
T send-keys -t s8 clear Enter
tok5=usable-$RANDOM$RANDOM
T send-keys -t s8 "stty -a | tr ' ;' '\n\n' | grep -xE 'icanon|echo|opost' | sort | tr '\n' ' '; echo $tok5" Enter
ok "$(wait_screen s8 "^echo icanon opost $tok5\$" 5; echo $?)" "... and after \`reset\` the terminal is usable (canonical, echo, output processing)"
T kill-session -t s8 2>/dev/null

# without a terminal: input from a pipe, output to a file
tok4=pipe-$RANDOM$RANDOM
(printf 'echo %s\r' "$tok4"; sleep 1; printf '\001q') | timeout 10 lxm-console -n "$c" -q > "$TEST_TMP/pipe.out" 2>&1
rc=$?
ok "$( [ $rc -eq 0 ] && tr -d '\r' < "$TEST_TMP/pipe.out" | grep -qx "$tok4"; echo $?)" "lxm-console works with a pipe on stdin (exit $rc)"

# --log: the ring buffer, boot output included
ok "$(lxm-console -n "$c" --log | grep -q 'Please press Enter to activate this console'; echo $?)" "--log shows the boot output"
ok "$(lxm-console -n "$c" --log | tr -d '\r' | grep -qx "$tok"; echo $?)" "--log shows what the console printed"

# console.log: kept across a restart, rotated at console.log_size
log=$LXM_PATH/$c/console.log
check "stop" -- lxm-stop -n "$c" -k
check "restart with console.log_size = 4K" -- lxm-start -n "$c" -s console.log_size=4K
wait_screen_log() { for _ in $(seq 50); do [ "$(grep -c 'Please press Enter' "$log" "$log.1" 2>/dev/null | awk -F: '{s += $2} END {print s}')" -ge 2 ] && return 0; sleep 0.1; done; return 1; }
ok "$(wait_screen_log; echo $?)" "console.log keeps the first boot's output after a restart"
lxm-attach -n "$c" -- sh -c 'for i in $(seq 1 800); do echo "line $i of console output"; done > /dev/console'
sleep 0.5
size=$(stat -c %s "$log" 2>/dev/null || echo 0)
ok "$( [ -s "$log.1" ] && [ "$size" -le $((4096 + 16384)) ]; echo $?)" "console.log rotates to console.log.1 at console.log_size ($size bytes)"
ok "$(grep -q 'line 800 of console output' "$log"; echo $?)" "the newest output is in console.log"

# the monitor killed under a running container: the console ends with an
# error that says so, not as after a stop (exit 0, nothing said)
pid=$(pid_of "$c")
mon=$(awk '/^PPid:/ {print $2}' /proc/$pid/status)
(lxm-console -n "$c" -q </dev/null >/dev/null 2>"$TEST_TMP/mondead.err"; echo $? >"$TEST_TMP/mondead.rc") &
sleep 0.5
kill -9 "$mon"
for _ in $(seq 100); do [ -s "$TEST_TMP/mondead.rc" ] && break; sleep 0.05; done
ok "$( [ "$(cat "$TEST_TMP/mondead.rc" 2>/dev/null)" = 1 ] &&
	grep -qx "lxm-console: $c: the console ended: the container's monitor is gone (init $pid runs on without a console)" "$TEST_TMP/mondead.err"; echo $?)" \
	"the monitor killed: lxm-console exits 1 saying so ($(cat "$TEST_TMP/mondead.rc" 2>/dev/null) $(cat "$TEST_TMP/mondead.err"))"
check "stop without the monitor" -- lxm-stop -n "$c" -k
check "start again" -- lxm-start -n "$c"

# the stream ends when the container stops
tstart s7 "lxm-console -n $c"
wait_screen s7 '^Connected to tty 0' 5 >/dev/null
check "stop" -- lxm-stop -n "$c" -k
ok "$(wait_screen s7 '^EXITED-0$' 5; echo $?)" "a client ends (exit 0) when the container stops"
ok "$(screen_of s7 | grep -qx "lxm-console: $c: the container stopped"; echo $?)" "... and says so"
no_leaks "$c" "nothing left"

done_testing
