#!/bin/bash
# Inside the VM (tests/vm/run): a busybox container on a pure cgroup v2
# host. Its cgroup lxm/NAME gets the controllers, init is cloned straight
# into it, the limits land in memory.max / pids.max / cpu.weight /
# cpuset.cpus and are enforced, the freezer is cgroup.freeze, and nothing
# is left after a stop.
. "$SRCDIR/tests/integration/lib.sh"
require_root

require_pure_cgroup2
CG=/sys/fs/cgroup

c=${PFX}-cg
check "create a busybox container" -- lxm-create -n "$c" -t busybox
cat >>"$LXM_PATH/$c/config" <<'EOF'
limits = { memory = "48M"; pids = 40; cpu_weight = 50; cpuset = "0"; };
EOF
# unconfined, in the config so that lxm-attach sees it too: the AppArmor
# side has its own test (test-apparmor.sh)
if grep -q 'apparmor = ' "$LXM_PATH/$c/config"; then
	sed -i 's/apparmor = "[^"]*"/apparmor = "unconfined"/' "$LXM_PATH/$c/config"
else
	echo 'security = { apparmor = "unconfined"; };' >>"$LXM_PATH/$c/config"
fi
check "start it with limits" -- lxm-start -n "$c" -l debug -o "$TEST_TMP/start.log"
pid=$(pid_of "$c")
d=$CG/lxm/$c
ok "$( [ -d "$d" ]; echo $?)" "its cgroup $d exists"
ok "$(grep -qx "0::/lxm/$c" /proc/$pid/cgroup; echo $?)" "init is in lxm/$c ($(cat /proc/$pid/cgroup))"
ok "$(grep -qx "$pid" "$d/cgroup.procs"; echo $?)" "cgroup.procs lists init"
ok "$(grep -q "cloned init as pid $pid into its cgroup" "$TEST_TMP/start.log"; echo $?)" "init was cloned straight into it (CLONE_INTO_CGROUP)"
ok "$(grep -qx '0::/' /proc/$pid/root/proc/1/cgroup 2>/dev/null || lxm-attach -n "$c" -- cat /proc/1/cgroup | grep -qx '0::/'; echo $?)" \
	"the container sees its cgroup as / (cgroup namespace)"
ok "$(! grep -q "lxm/$c" /proc/$(pgrep -f "lxm-start -n $c -l" | head -1)/cgroup; echo $?)" "the monitor stays outside the container's cgroup"
sc=$(cat $CG/lxm/cgroup.subtree_control)
for ctl in cpu memory pids cpuset io; do
	ok "$(echo " $sc " | grep -q " $ctl "; echo $?)" "lxm/cgroup.subtree_control enables $ctl"
done
ok "$( [ "$(cat "$d/memory.max")" = $((48 * 1024 * 1024)) ]; echo $?)" "memory.max = 48M ($(cat "$d/memory.max"))"
ok "$( [ "$(cat "$d/pids.max")" = 40 ]; echo $?)" "pids.max = 40"
ok "$( [ "$(cat "$d/cpu.weight")" = 50 ]; echo $?)" "cpu.weight = 50"
ok "$( [ "$(cat "$d/cpuset.cpus")" = 0 ] && grep -q '^Cpus_allowed_list:[[:space:]]*0$' /proc/$pid/status; echo $?)" \
	"cpuset.cpus = 0 and init may only run on cpu 0"

# lxm-info's BlkIO use is the container's io.stat (rbytes + wbytes)
want=$(awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^[rw]bytes=/) { split($i, kv, "="); s += kv[2] } } END { print s + 0 }' "$d/io.stat")
got=$(lxm-info -n "$c" -S -H | awk '/^BlkIO use:/ { print $3 }')
ok "$( [ -n "$got" ] && [ "$got" = "$want" ]; echo $?)" "lxm-info -S prints BlkIO use from io.stat ($got, io.stat: $want)"
ok "$(lxm-info -n "$c" --json | grep -q "\"io_bytes\": $want"; echo $?)" "and --json has io_bytes"

# memory: a hog inside is OOM-killed in the container's cgroup, the host is fine
out=$(lxm-attach -n "$c" -- /bin/dd if=/dev/zero of=/dev/null bs=64M count=1 2>&1)
rc=$?
[ $rc -eq 137 ] || diag "$out"
ok "$( [ $rc -eq 137 ]; echo $?)" "a memory hog inside is killed (exit $rc)"
ok "$(awk '$1 == "oom_kill" && $2 > 0 { f = 1 } END { exit !f }' "$d/memory.events"; echo $?)" \
	"memory.events counts the OOM kill ($(grep oom_kill "$d/memory.events" | tr '\n' ' '))"
ok "$( [ "$(state_of "$c")" = RUNNING ] && [ -d /proc/$pid ]; echo $?)" "the container's init survives it"

# pids: a fork loop stops at pids.max
out=$(lxm-attach -n "$c" -- /bin/sh -c 'i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i + 1)); done; echo $i' 2>&1)
cur=$(cat "$d/pids.current")
grep -q '^max [1-9]' "$d/pids.events" || diag "$out"
ok "$(grep -q '^max [1-9]' "$d/pids.events"; echo $?)" "a fork loop hits pids.max (pids.events: $(cat "$d/pids.events"))"
ok "$( [ "$cur" -le 40 ]; echo $?)" "pids.current stays at most 40 ($cur)"
lxm-attach -n "$c" -- /bin/sh -c 'killall sleep' >/dev/null 2>&1

# freezer
check "lxm-freeze" -- lxm-freeze -n "$c"
ok "$( [ "$(cat "$d/cgroup.freeze")" = 1 ]; echo $?)" "cgroup.freeze is 1"
for i in $(seq 1 50); do grep -q '^frozen 1' "$d/cgroup.events" && break; sleep 0.1; done
ok "$(grep -q '^frozen 1' "$d/cgroup.events"; echo $?)" "cgroup.events says frozen"
ok "$( [ "$(state_of "$c")" = FROZEN ]; echo $?)" "lxm-info says FROZEN"
check "lxm-unfreeze" -- lxm-unfreeze -n "$c"
ok "$( [ "$(cat "$d/cgroup.freeze")" = 0 ] && [ "$(state_of "$c")" = RUNNING ]; echo $?)" "cgroup.freeze is 0 and the state RUNNING again"

# a frozen container still stops at once with -k (cgroup.kill)
lxm-freeze -n "$c" >/dev/null 2>&1
lxm-attach -n "$c" -- /bin/sh -c 'sleep 1000 & sleep 1000 &' >/dev/null 2>&1 &
sleep 0.3
t0=$(date +%s%N)
check "lxm-stop -k of a frozen container" -- lxm-stop -n "$c" -k
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$( [ $ms -lt 5000 ]; echo $?)" "it took ${ms} ms"
wait 2>/dev/null
ok "$( [ ! -d "$d" ]; echo $?)" "the cgroup is gone after the stop"
no_leaks "$c" "nothing else is left"

# a clean halt also removes it; a restart creates it again
check "start again" -- lxm-start -n "$c"
ok "$( [ -d "$d" ]; echo $?)" "the cgroup is back"
check "clean stop" -- lxm-stop -n "$c" -t 10
ok "$( [ ! -d "$d" ]; echo $?)" "the cgroup is gone after a clean stop"
no_leaks "$c" "nothing is left after a clean stop"
check "destroy" -- lxm-destroy -n "$c"

done_testing
