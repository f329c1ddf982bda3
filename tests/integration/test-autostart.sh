#!/bin/bash
# lxm-autostart on real busybox containers: selection (-a, -g, neither),
# order and -L output, delays, running containers skipped, a broken container
# reported while the others start, -s halting everything in parallel within
# -t, -k and -r.
. "$(dirname "$0")/lib.sh"
require_root

A=${PFX}-a      # order 10, delay 2, no group
B=${PFX}-b      # order 5, no group
W=${PFX}-w      # order 20, group web
X=${PFX}-x      # order 15, group web, broken (its init does not exist)
O=${PFX}-o      # autostart off

autostart() {   # autostart NAME SETTINGS
	printf 'autostart = { %s };\n' "$2" >>"$LXM_PATH/$1/config"
}
# the init's start time in clock ticks since boot
started_at() { awk '{ print $22 }' "/proc/$(pid_of "$1")/stat" 2>/dev/null; }
all_stopped() {
	local c
	for c in "$@"; do [ "$(state_of "$c")" = STOPPED ] || return 1; done
}

for c in $A $B $W $X $O; do
	lxm-create -n "$c" -t busybox --privileged >/dev/null 2>&1 || { ok 1 "create $c"; done_testing; exit 1; }
done
ok 0 "created five busybox containers"
autostart "$A" 'enabled = true; order = 10; delay = 2;'
autostart "$B" 'enabled = true; order = 5;'
autostart "$W" 'enabled = true; order = 20; groups = ["web"];'
autostart "$X" 'enabled = true; order = 15; groups = ["web"];'
sed -i 's#"/sbin/init"#"/sbin/no-such-init"#' "$LXM_PATH/$X/config"
autostart "$O" 'enabled = false; order = 1;'

list() { lxm-autostart "$@" 2>&1 | grep "^$PFX-" | tr '\n' ' ' | sed 's/ $//'; }
out=$(list -L)
ok "$( [ "$out" = "$B 0 $A 2" ]; echo $?)" "-L without -a/-g: the autostart containers in no group, by order ('$out')"
out=$(list -L -a)
ok "$( [ "$out" = "$B 0 $A 2 $X 0 $W 0" ]; echo $?)" "-L -a: every autostart container, by order ('$out')"
out=$(list -L -g web)
ok "$( [ "$out" = "$X 0 $W 0" ]; echo $?)" "-L -g web: only the group ('$out')"
out=$(lxm-autostart -L -g web, | tr '\n' ' ' | sed 's/ $//')
ok "$( [ "$out" = "$X 0 $W 0 $B 0 $A 2" ]; echo $?)" "-L -g web,: the web group first, then the no-group set, as lxc-autostart ('$out')"
out=$(list -L -a -s)
ok "$( [ "$out" = "$W 0 $X 0 $A 2 $B 0" ]; echo $?)" "-L -a -s: reverse order for the shutdown ('$out')"
out=$(list -L -a -A)
ok "$( [ "$out" = "$O 0 $B 0 $A 2 $X 0 $W 0" ]; echo $?)" "-L -a -A: autostart off too ('$out')"
ok "$(all_stopped $A $B $W $X $O; echo $?)" "-L starts nothing"

# -g web: the broken one is reported, the other one starts
err=$(lxm-autostart -g web 2>&1 >/dev/null); rc=$?
ok "$( [ $rc -eq 1 ]; echo $?)" "-g web exits 1 when one container fails"
ok "$(printf '%s\n' "$err" | grep -q "^lxm-autostart: $X: "; echo $?)" "the failure names the container ($(printf '%s' "$err" | grep "$X" | head -1))"
ok "$( [ "$(state_of "$W")" = RUNNING ]; echo $?)" "the other container of the group runs"
ok "$(all_stopped $A $B $X $O; echo $?)" "the containers outside the group were not started"
lxm-stop -n "$W" -k >/dev/null 2>&1

# -a: in order, with A's delay before the next. A's and B's inits will
# ignore their halt signal (the monitor reads it at start), for -s below.
sed -i 's/halt_signal = "SIGUSR2"/halt_signal = "SIGWINCH"/' "$LXM_PATH/$A/config" "$LXM_PATH/$B/config"
t0=$(date +%s%N)
err=$(lxm-autostart -a 2>&1 >/dev/null); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$( [ $rc -eq 1 ]; echo $?)" "-a exits 1 (the broken container)"
for c in $A $B $W; do
	ok "$( [ "$(state_of "$c")" = RUNNING ]; echo $?)" "-a started $c"
done
ok "$(all_stopped $X $O; echo $?)" "-a did not start the broken one nor the one with autostart off"
sb=$(started_at "$B"); sa=$(started_at "$A"); sw=$(started_at "$W")
ok "$( [ -n "$sb" ] && [ -n "$sa" ] && [ -n "$sw" ] && [ "$sb" -le "$sa" ] && [ "$sa" -le "$sw" ]; echo $?)" \
	"started in order: $B, $A, $W (ticks $sb, $sa, $sw)"
hz=$(getconf CLK_TCK)
ok "$( [ -n "$sw" ] && [ $(( (sw - sa) * 1000 / hz )) -ge 1900 ]; echo $?)" \
	"$A's delay of 2 s passed before the next start ($(( (${sw:-0} - ${sa:-0}) * 1000 / hz )) ms; the whole run $ms ms)"

# running containers are skipped
pa=$(pid_of "$A"); pb=$(pid_of "$B")
lxm-autostart >/dev/null 2>&1; rc=$?
ok "$( [ $rc -eq 0 ] && [ "$(pid_of "$A")" = "$pa" ] && [ "$(pid_of "$B")" = "$pb" ]; echo $?)" \
	"a second run skips the running containers and exits 0"

# -s: the two inits that ignore their halt signal are killed after -t, together
t0=$(date +%s%N)
lxm-autostart -a -s -t 3 >/dev/null 2>&1; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$( [ $rc -eq 0 ]; echo $?)" "-a -s -t 3 succeeds"
ok "$(all_stopped $A $B $W $X; echo $?)" "-a -s stopped every container"
ok "$( [ $ms -ge 2900 ] && [ $ms -lt 5500 ]; echo $?)" "the two stuck ones were killed after one 3 s timeout, in parallel ($ms ms)"
for c in $A $B $W; do no_leaks "$c" "nothing of $c is left"; done
sed -i 's/halt_signal = "SIGWINCH"/halt_signal = "SIGUSR2"/' "$LXM_PATH/$A/config" "$LXM_PATH/$B/config"

# -s when nothing runs; -k; -r
lxm-autostart -a -s >/dev/null 2>&1
ok $? "-s with nothing running succeeds"
lxm-autostart >/dev/null 2>&1
pb=$(pid_of "$B")
lxm-autostart -r >/dev/null 2>&1; rc=$?
for i in $(seq 1 50); do
	np=$(pid_of "$B"); [ -n "$np" ] && [ "$np" != "$pb" ] && break; sleep 0.1
done
ok "$( [ $rc -eq 0 ] && [ -n "$np" ] && [ "$np" != "$pb" ] && wait_state "$B" RUNNING 5; echo $?)" "-r reboots them ($B: pid $pb -> $np)"
t0=$(date +%s%N)
lxm-autostart -k >/dev/null 2>&1; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$( [ $rc -eq 0 ] && all_stopped $A $B; echo $?)" "-k kills them ($ms ms)"
for c in $A $B; do no_leaks "$c" "nothing of $c is left after -k"; done

# -r -t: how long each reboot is waited for ($B's init ignores its reboot
# signal); -t -1 is no limit, as for lxm-stop
sed -i 's/reboot_signal = "SIGTERM"/reboot_signal = "SIGWINCH"/' "$LXM_PATH/$B/config"
lxm-autostart >/dev/null 2>&1
t0=$(date +%s%N)
err=$(lxm-autostart -r -t 1 2>&1 >/dev/null); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$( [ $rc -eq 1 ] && [ $ms -lt 6000 ] && printf '%s\n' "$err" | grep -q "^lxm-autostart: $B: not rebooted after 1 s"; echo $?)" \
	"-r -t 1 gives up on a reboot after 1 s, naming the container (exit $rc, $ms ms: $err)"
lxm-autostart -k >/dev/null 2>&1
sed -i 's/reboot_signal = "SIGWINCH"/reboot_signal = "SIGTERM"/' "$LXM_PATH/$B/config"
check "-s -t -1 is taken (no limit)" -- lxm-autostart -L -s -t -1

expect_error "^lxm-autostart: .*-n" "-n is refused" -- lxm-autostart -n "$A"
expect_error "^lxm-autostart: .*exclude" "-s and -k together are refused" -- lxm-autostart -s -k

done_testing
