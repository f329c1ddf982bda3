#!/bin/bash
# Two containers of one name in two lxmpaths: they share the runtime dir
# (<LXM_RUNDIR>/NAME) and the cgroup names, so one of them runs at a time.
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
done_testing
