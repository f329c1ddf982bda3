#!/bin/bash
# Two containers of one name in two lxmpaths: with one runtime dir
# (<LXM_RUNDIR>/NAME) for both, one of them runs at a time.
# Every command on the other one sees it stopped and never reaches into the
# running one (before, lxm-stop -P OTHER stopped it, lxm-attach entered it).
. "$(dirname "$0")/lib.sh"
require_root

c=${PFX}-same
P2=$TEST_TMP/lib2
mkdir -p "$P2"
check "create it in the first lxmpath" -- lxm-create -n "$c" -t busybox
check "create one of that name in a second lxmpath" -- lxm-create -P "$P2" -n "$c" -t busybox
check "start the first" -- lxm-start -n "$c"
pid=$(pid_of "$c")
ok "$([ "$(lxm-info -P "$P2" -n "$c" -s | awk '{print $2}')" = STOPPED ]; echo $?)" "lxm-info: the second is STOPPED"
ok "$(lxm-ls -P "$P2" -f | grep -Eq "^$c +STOPPED "; echo $?)" "lxm-ls -f: the second is STOPPED"
expect_error "^lxm-start: $c: the container of that name in '$LXM_PATH/$c' is running: containers of one name share the runtime dir" \
	"starting the second names the running one" -- lxm-start -P "$P2" -n "$c"
err=$(lxm-stop -P "$P2" -n "$c" -k 2>&1); rc=$?
ok "$([ $rc = 0 ] && [ "$(state_of "$c")" = RUNNING ] && [ "$(pid_of "$c")" = "$pid" ]; echo $?)" \
	"lxm-stop of the second succeeds (it is stopped) and leaves the first running ($err)"
expect_error "^lxm-attach: $c: not running \(the container of that name in '$LXM_PATH/$c' is\)$" \
	"lxm-attach does not enter the first" -- lxm-attach -P "$P2" -n "$c" -- true
expect_error "^lxm-console: $c: not running \(the container of that name in '$LXM_PATH/$c' is\)$" \
	"lxm-console does not open the first's console" -- lxm-console -P "$P2" -n "$c"
expect_error "^lxm-freeze: $c: not running \(the container of that name in '$LXM_PATH/$c' is\)$" \
	"lxm-freeze does not freeze the first" -- lxm-freeze -P "$P2" -n "$c"
check "lxm-destroy -f of the second" -- lxm-destroy -P "$P2" -f -n "$c"
ok "$([ "$(state_of "$c")" = RUNNING ] && [ "$(pid_of "$c")" = "$pid" ] && [ -d "$LXM_PATH/$c/rootfs" ]; echo $?)" \
	"the first still runs, its directory untouched"
check "stop the first" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing left"

# With runtime dirs of their own, both run at once: the second start finds
# "lxm/NAME" taken by the first (its owner mark names the first's
# directory) and takes "lxm/NAME-1"; the state file records which, and
# every command on either reaches its own cgroup only.
R2=$TEST_TMP/run2
P3=$TEST_TMP/lib3
mkdir -p "$P3"
two() { local cmd=$1; shift; LXM_RUNDIR=$R2 "$cmd" -P "$P3" -n "$c" "$@"; }
cleanup() {
	two lxm-stop -k >/dev/null 2>&1
	two lxm-destroy -f >/dev/null 2>&1
	cleanup_containers
	rm -rf "$TEST_TMP"
}
# the hierarchy with the pids controller (v1), else the v2 one
if [ -d /sys/fs/cgroup/pids ]; then CGROOT=/sys/fs/cgroup/pids; else CGROOT=/sys/fs/cgroup; fi
if [ -d /sys/fs/cgroup/freezer ]; then FRROOT=/sys/fs/cgroup/freezer; else FRROOT=/sys/fs/cgroup; fi
recorded() { sed -n 's/^cgroup=//p' "$1/$c/state"; }   # recorded RUNDIR
frozen() {   # frozen CGROUP: the freezer says frozen
	local f
	f=$(cat "$FRROOT/$1/freezer.state" 2>/dev/null || sed -n 's/^frozen //p' "$FRROOT/$1/cgroup.events" 2>/dev/null)
	[ "$f" = FROZEN ] || [ "$f" = 1 ]
}
info_tasks() { sed -n 's/^Tasks: *//p'; }
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status"; }

check "create one of the name in a third lxmpath" -- two lxm-create -t busybox
check "start the first" -- lxm-start -n "$c"
check "start the third at the same time (its own runtime dir)" -- two lxm-start
pid1=$(pid_of "$c")
pid3=$(two lxm-info -p | awk '{print $2}')
cg1=$(recorded "$LXM_RUNDIR")
cg3=$(recorded "$R2")
ok "$( [ "$cg1" = "lxm/$c" ] && [ "$cg3" = "lxm/$c-1" ]; echo $?)" \
	"the first has 'lxm/$c', the third 'lxm/$c-1' (state files: '$cg1', '$cg3')"
ok "$(grep -q ":/$cg1\$" "/proc/$pid1/cgroup" && grep -q ":/$cg3\$" "/proc/$pid3/cgroup" &&
	! grep -q ":/$cg1\$" "/proc/$pid3/cgroup"; echo $?)" "each init runs in its own cgroup"

# different task counts, so that each lxm-info's figure tells whose it is;
# the three lxm-attach leaves behind count only in the cgroup it joined
two lxm-attach -- sh -c 'for i in 1 2 3; do setsid sleep 600 </dev/null >/dev/null 2>&1 & done' </dev/null
t1=$(lxm-info -n "$c" | info_tasks)
t3=$(two lxm-info | info_tasks)
n1=$(wc -l <"$CGROOT/$cg1/cgroup.procs")
n3=$(wc -l <"$CGROOT/$cg3/cgroup.procs")
ok "$( [ -n "$t1" ] && [ "$t1" = "$n1" ] && [ "$t3" = "$n3" ] && [ "$t3" -eq $((t1 + 3)) ]; echo $?)" \
	"lxm-attach joined the third's cgroup, lxm-info of each counts its own (first $t1 of $n1, third $t3 of $n3)"
check "lxm-cgroup sets a limit of the third" -- two lxm-cgroup pids.max 200
ok "$( [ "$(cat "$CGROOT/$cg3/pids.max" 2>/dev/null)" = 200 ] && [ "$(cat "$CGROOT/$cg1/pids.max" 2>/dev/null)" != 200 ]; echo $?)" \
	"in its own cgroup only"

check "freeze the third" -- two lxm-freeze
ok "$( [ "$(two lxm-info -s | awk '{print $2}')" = FROZEN ] && [ "$(state_of "$c")" = RUNNING ] &&
	frozen "$cg3" && ! frozen "$cg1"; echo $?)" "the third is frozen, the first runs on (its cgroup thawed)"
ok "$(lxm-attach -n "$c" -- true; echo $?)" "the first still runs commands"
check "unfreeze the third" -- two lxm-unfreeze
ok "$( [ "$(two lxm-info -s | awk '{print $2}')" = RUNNING ] && ! frozen "$cg3"; echo $?)" "the third is thawed"

check "stop the third" -- two lxm-stop -k
ok "$( [ "$(state_of "$c")" = RUNNING ] && [ "$(pid_of "$c")" = "$pid1" ] && [ -d "$CGROOT/$cg1" ] &&
	grep -qx "$pid1" "$CGROOT/$cg1/cgroup.procs" && [ ! -e "$CGROOT/$cg3" ]; echo $?)" \
	"the first runs on in its cgroup; the third's is gone"
# a stopped container's stop (no runtime dir, no state file) looks for
# the cgroup a crashed start of it may have left: never the first's
check "lxm-stop of the stopped third" -- two lxm-stop -k
ok "$( [ "$(pid_of "$c")" = "$pid1" ] && grep -qx "$pid1" "$CGROOT/$cg1/cgroup.procs"; echo $?)" \
	"leaves the first and its cgroup alone"

check "start the third again" -- two lxm-start
pid3=$(two lxm-info -p | awk '{print $2}')
mon3=$(sed -n 's/^monitor_pid=//p' "$R2/$c/state")
kill -9 "$mon3"
for i in $(seq 50); do [ -d "/proc/$mon3" ] || break; sleep 0.05; done
ok "$( [ "$(two lxm-info -s | awk '{print $2}')" = RUNNING ]; echo $?)" "with its monitor killed the third still runs"
check "lxm-stop of the third without its monitor" -- two lxm-stop -k
ok "$(! alive "$pid3" && [ ! -e "$CGROOT/$cg3" ] && [ ! -e "$R2/$c" ]; echo $?)" \
	"its init, cgroup and runtime dir are gone"
ok "$( [ "$(pid_of "$c")" = "$pid1" ] && grep -qx "$pid1" "$CGROOT/$cg1/cgroup.procs" &&
	[ "$(lxm-attach -n "$c" -- echo alive)" = alive ]; echo $?)" "the first runs on, in its cgroup"

# the other way round: the first's monitor killed, its stop takes the
# cgroup from the state file, the third keeps 'lxm/$c-1'
check "start the third again" -- two lxm-start
pid3=$(two lxm-info -p | awk '{print $2}')
mon1=$(sed -n 's/^monitor_pid=//p' "$LXM_RUNDIR/$c/state")
kill -9 "$mon1"
for i in $(seq 50); do [ -d "/proc/$mon1" ] || break; sleep 0.05; done
check "freeze the first without its monitor" -- lxm-freeze -n "$c"
ok "$(frozen "$cg1" && ! frozen "$(recorded "$R2")"; echo $?)" "only its cgroup is frozen"
check "lxm-stop of the first without its monitor" -- lxm-stop -n "$c" -k
ok "$(! alive "$pid1" && [ ! -e "$CGROOT/$cg1" ] && [ "$(two lxm-info -p | awk '{print $2}')" = "$pid3" ] &&
	grep -qx "$pid3" "$CGROOT/$(recorded "$R2")/cgroup.procs"; echo $?)" "the first is gone, the third runs on in its cgroup"
no_leaks "$c" "nothing of the first is left"

# a crashed run's leftover of the same container is still taken over:
# the third's monitor and init killed, its 'lxm/$c-1' left marked as its
# own; the next start makes it anew even though 'lxm/$c' is free now
cg3=$(recorded "$R2")
mon3=$(sed -n 's/^monitor_pid=//p' "$R2/$c/state")
kill -9 "$mon3" "$pid3"
for i in $(seq 100); do [ -s "$CGROOT/$cg3/cgroup.procs" ] || break; sleep 0.05; done
rm -rf "${R2:?}/$c"
ok "$( [ -d "$CGROOT/$cg3" ] && [ ! -s "$CGROOT/$cg3/cgroup.procs" ]; echo $?)" "a crash leaves the third's cgroup empty behind"
check "the third starts" -- two lxm-start
ok "$( [ "$(recorded "$R2")" = "$cg3" ] && [ ! -e "$CGROOT/lxm/$c" ]; echo $?)" \
	"in its leftover '$cg3', made anew ($(recorded "$R2"))"
check "and stops" -- two lxm-stop -k
ok "$( [ ! -e "$CGROOT/$cg3" ] && [ ! -e "$CGROOT/lxm/$c" ]; echo $?)" "no cgroup of it is left"

# a monitor killed after it removed the cgroup, before its state file:
# the state file outlives the cgroup, whose name the first takes; the
# third's stop finds its init dead and must not kill and remove the
# cgroup its state file names (it did: the first's)
check "the third starts in 'lxm/$c'" -- two lxm-start
cg3=$(recorded "$R2")
pid3=$(two lxm-info -p | awk '{print $2}')
mon3=$(sed -n 's/^monitor_pid=//p' "$R2/$c/state")
kill -9 "$mon3" "$pid3"
for d in /sys/fs/cgroup/*/"$cg3" /sys/fs/cgroup/"$cg3"; do   # once the dead init has left it
	for i in $(seq 100); do [ ! -d "$d" ] || rmdir "$d" 2>/dev/null && break; sleep 0.05; done
done
check "the first starts" -- lxm-start -n "$c"
pid1=$(pid_of "$c")
ok "$( [ "$cg3" = "lxm/$c" ] && [ "$(recorded "$LXM_RUNDIR")" = "$cg3" ] && [ -f "$R2/$c/state" ]; echo $?)" \
	"in the name the third's state file still records ($cg3, $(recorded "$LXM_RUNDIR"))"
check "lxm-stop of the third (init dead, its state file left)" -- two lxm-stop -k
ok "$( [ "$(pid_of "$c")" = "$pid1" ] && grep -qx "$pid1" "$CGROOT/$cg3/cgroup.procs" && [ ! -e "$R2/$c" ]; echo $?)" \
	"the first runs on in its cgroup; the third's runtime dir is gone"
check "stop the first" -- lxm-stop -n "$c" -k

# a cgroup that cannot be removed whole (here: a mount on a sub-cgroup in
# a hierarchy other than the one with the marks) keeps its owner mark: a
# start of the other container of the name takes another name (the mark
# went first, the start took 'lxm/NAME' and failed on what was left)
check "the first starts" -- lxm-start -n "$c"
cg1=$(recorded "$LXM_RUNDIR")
if [ "$(ls -d /sys/fs/cgroup/*/"$cg1" 2>/dev/null | wc -l)" -ge 2 ]; then
	marked=$(ls -d /sys/fs/cgroup/*/"$cg1" | sort | head -n 1)
	held=$(ls -d /sys/fs/cgroup/*/"$cg1" | sort | tail -n 1)/held
	mkdir "$held" && mount -t tmpfs none "$held"
	lxm-stop -n "$c" -k
	ok "$( [ ! -e "$LXM_RUNDIR/$c" ] && [ -d "$held" ] && [ -d "$marked" ]; echo $?)" \
		"the first stopped; its cgroup in '$held' is left, and in '$marked', with the mark"
	check "the third starts" -- two lxm-start
	ok "$( [ "$(recorded "$R2")" = "lxm/$c-1" ]; echo $?)" "in 'lxm/$c-1' ($(recorded "$R2"))"
	check "and stops" -- two lxm-stop -k
	umount "$held" && rmdir "$held"
	check "the first starts again, in its leftover made anew" -- lxm-start -n "$c"
	ok "$( [ "$(recorded "$LXM_RUNDIR")" = "lxm/$c" ]; echo $?)" "'lxm/$c' ($(recorded "$LXM_RUNDIR"))"
	check "and stops" -- lxm-stop -n "$c" -k
else
	skip "one cgroup hierarchy: no owner mark in one of several"
	lxm-stop -n "$c" -k
fi

# the destroy of a container whose monitor and init were killed takes the
# runtime dir and the cgroup its state file records with it (they stayed:
# the cgroup, marked as the gone container's, for good)
check "the third starts" -- two lxm-start
cg3=$(recorded "$R2")
pid3=$(two lxm-info -p | awk '{print $2}')
mon3=$(sed -n 's/^monitor_pid=//p' "$R2/$c/state")
kill -9 "$mon3" "$pid3"
for i in $(seq 100); do [ -s "$CGROOT/$cg3/cgroup.procs" ] || break; sleep 0.05; done
check "lxm-destroy of the third, its monitor and init killed" -- two lxm-destroy
ok "$( [ ! -e "$CGROOT/$cg3" ] && [ ! -e "$R2/$c" ] && [ ! -e "$P3/$c" ]; echo $?)" \
	"its cgroup '$cg3' and runtime dir went with it"
done_testing
