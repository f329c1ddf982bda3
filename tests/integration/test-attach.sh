#!/bin/bash
# lxm-attach runs commands inside a running container: namespaces, cgroup,
# environment, users, exit status, pipes, and a pty of the container's own.
. "$(dirname "$0")/lib.sh"
require_root

c=${PFX}-att
check "create" -- lxm-create -n "$c" -t busybox
expect_error "^lxm-attach: $c: not running" "attach to a stopped container fails" -- lxm-attach -n "$c" -- true
check "start" -- lxm-start -n "$c"
pid=$(pid_of "$c")

ok "$( [ "$(lxm-attach -n "$c" -- hostname)" = "$c" ]; echo $?)" "the command sees the container's hostname"
ok "$(lxm-attach -n "$c" -- sh -c 'echo $$' | grep -qvx "$$"; echo $?)" "the command runs in the container's PID namespace"
ok "$( [ "$(lxm-attach -n "$c" -- readlink /proc/1/exe)" = /bin/busybox ]; echo $?)" "pid 1 inside is the container's init"
ok "$(lxm-attach -n "$c" -- cat /proc/self/cgroup | grep -v ':/$' | wc -l | grep -qx 0; echo $?)" "the command is in the container's cgroup, seen as /"
ok "$( [ "$(lxm-attach -n "$c" -- readlink /proc/self/ns/net)" = "$(readlink /proc/$pid/ns/net)" ]; echo $?)" "the command shares init's network namespace"
env_out=$(FOO=bar lxm-attach -n "$c" -- env)
ok "$(echo "$env_out" | grep -qx container=lxm && ! echo "$env_out" | grep -q '^FOO='; echo $?)" "the environment is cleared by default, with container=lxm"
ok "$(FOO=bar lxm-attach -n "$c" --keep-env -- env | grep -qx FOO=bar; echo $?)" "--keep-env keeps it"
ok "$(lxm-attach -n "$c" -v A=1 -v B=2 -- env | grep -c '^[AB]=' | grep -qx 2; echo $?)" "-v sets variables"
ok "$( [ "$(lxm-attach -n "$c" -u 1000 -g 1000 -- id -u)" = 1000 ]; echo $?)" "-u/-g switch the user"
ok "$( [ "$(lxm-attach -n "$c" --cwd /etc -- pwd)" = /etc ]; echo $?)" "--cwd sets the directory"
ok "$( [ "$(lxm-attach -n "$c" -- pwd)" = /root ]; echo $?)" "the default directory is the user's home"
lxm-attach -n "$c" -- sh -c 'exit 7'
ok "$( [ $? -eq 7 ]; echo $?)" "the exit status is the command's"
lxm-attach -n "$c" -- sh -c 'kill -TERM $$'
ok "$( [ $? -eq 143 ]; echo $?)" "a command killed by a signal exits 128+signal"
expect_error "^lxm-attach: $c: executing 'nosuchcmd': No such file or directory" "a missing command is reported" -- lxm-attach -n "$c" -- nosuchcmd
head -c 200000 /dev/urandom > "$TEST_TMP/blob"
lxm-attach -n "$c" -- cat < "$TEST_TMP/blob" > "$TEST_TMP/blob.out"
ok "$(cmp -s "$TEST_TMP/blob" "$TEST_TMP/blob.out"; echo $?)" "binary data passes through pipes unchanged"
(cd "$SRCDIR" && tar cf - templates) | lxm-attach -n "$c" -- tar xf - -C /tmp
ok "$(lxm-attach -n "$c" -- test -x /tmp/templates/lxm-busybox; echo $?)" "tar c | lxm-attach -- tar x works"
bnd=$(lxm-attach -n "$c" -- grep CapBnd /proc/self/status | awk '{print $2}')
ibnd=$(awk '/CapBnd/ {print $2}' /proc/$pid/status)
ok "$( [ "$bnd" = "$ibnd" ]; echo $?)" "the command has init's capability bounding set ($bnd)"
ok "$( [ $(( 0x$bnd >> 16 & 1 )) -eq 0 ]; echo $?)" "sys_module is dropped from it"
if command -v script >/dev/null; then
	out=$(script -qc "lxm-attach -n $c -- sh -c 'tty; stat -c %t /proc/self/fd/0'" /dev/null | tr -d '\r')
	ok "$(echo "$out" | head -1 | grep -qx '/dev/pts/[0-9]*'; echo $?)" "with a terminal the command gets a pty of the container's devpts"
	ok "$(lxm-attach -n "$c" -- ls /dev/pts | grep -qx ptmx; echo $?)" "the container's devpts is its own"
else
	skip "script(1) not installed"
	skip "script(1) not installed"
fi
check "stop" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing left"

done_testing
