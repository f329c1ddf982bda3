#!/bin/bash
# 50 create/start/stop/destroy cycles leave no mounts, cgroups, runtime
# files or processes behind.
. "$(dirname "$0")/lib.sh"
require_root

CYCLES=${LXM_TEST_CYCLES:-50}
mounts_before=$(wc -l < /proc/self/mountinfo)
parents_before=$(ls -d /sys/fs/cgroup/*/lxm /sys/fs/cgroup/lxm 2>/dev/null)
fails=0
for i in $(seq "$CYCLES"); do
	c=${PFX}-cyc$i
	if ! lxm-create -n "$c" -t busybox >/dev/null 2>"$TEST_TMP/err" ||
	   ! lxm-start -n "$c" 2>>"$TEST_TMP/err" ||
	   [ "$(state_of "$c")" != RUNNING ] ||
	   ! { if [ $((i % 2)) -eq 0 ]; then lxm-stop -n "$c" -k; else lxm-stop -n "$c" -t 10; fi; } 2>>"$TEST_TMP/err" ||
	   [ "$(state_of "$c")" != STOPPED ] ||
	   ! lxm-destroy -n "$c" 2>>"$TEST_TMP/err"; then
		fails=$((fails + 1))
		diag "cycle $i failed: $(cat "$TEST_TMP/err")"
	fi
	leaks=$(leaks_of "$c")
	if [ -n "$leaks" ]; then
		fails=$((fails + 1))
		diag "cycle $i leaked: $leaks"
	fi
	# halting busybox takes its init two seconds; the odd cycles do that
done
ok "$fails" "$CYCLES create/start/stop/destroy cycles succeed without leaks"
sleep 0.3
ok "$( [ "$(wc -l < /proc/self/mountinfo)" -eq "$mounts_before" ]; echo $?)" "the host mount table is as before"
left_procs=$(pgrep -f "lxm-start -n ${PFX}-" ; grep -l "/lxm/${PFX}-" /proc/[0-9]*/cgroup 2>/dev/null)
ok "$( [ -z "$left_procs" ]; echo $?)" "no monitor or container process is left"
ok "$( [ -z "$(ls -A "$LXM_RUNDIR" 2>/dev/null)" ]; echo $?)" "the runtime dir is empty"
ok "$( [ -z "$(ls -A "$LXM_PATH")" ]; echo $?)" "the lxmpath is empty"
left=$(find /sys/fs/cgroup/*/lxm /sys/fs/cgroup/lxm -maxdepth 1 -mindepth 1 -type d -name "${PFX}-*" 2>/dev/null)
ok "$( [ -z "$left" ]; echo $?)" "no container cgroup is left"
# the shared lxm parent goes with the last container (unless some other
# container, not this test's, was running before)
parents_after=$(ls -d /sys/fs/cgroup/*/lxm /sys/fs/cgroup/lxm 2>/dev/null)
ok "$( [ "$parents_after" = "$parents_before" ]; echo $?)" "no lxm parent cgroup is left behind"
[ "$parents_after" = "$parents_before" ] ||
	for p in $parents_after; do diag "$p: $(ls -A "$p" | grep -v '\.' | tr '\n' ' ')"; done

done_testing
