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
	# stdin not a terminal, stdout/stderr terminals: no pty, and the host's
	# terminal still never reaches the container (pipes, copied by lxm-attach)
	out=$(script -qc "lxm-attach -n $c -- sh -c 'readlink /proc/self/fd/1; readlink /proc/self/fd/2; [ -t 1 ] || [ -t 2 ] || echo no-tty; echo err-\$\$ >&2; exit 5' </dev/null; echo rc=\$?" /dev/null | tr -d '\r')
	ok "$(echo "$out" | head -2 | grep -c '^pipe:' | grep -qx 2; echo $?)" "stdin not a tty, stdout/stderr a tty: the command gets pipes, not the host's tty"
	ok "$(echo "$out" | grep -qx no-tty; echo $?)" "... and no terminal at all"
	ok "$(echo "$out" | grep -q '^err-[0-9]*$' && echo "$out" | grep -qx rc=5; echo $?)" "... its stdout and stderr arrive, and its exit status"
	out=$(script -qc "printf 'line1\nline2\n' | lxm-attach -n $c -- sh -c 'cat; readlink /proc/self/fd/0'" /dev/null | tr -d '\r')
	ok "$(echo "$out" | head -2 | tr '\n' ' ' | grep -qx 'line1 line2 ' && echo "$out" | sed -n 3p | grep -q '^pipe:'; echo $?)" "a pipe on stdin with a tty on stdout: input and EOF pass through"
	big=$(script -qc "head -c 300000 /dev/zero | lxm-attach -n $c -- sh -c 'cat >/dev/null; seq 1 20000'" /dev/null | tr -d '\r' | tail -1)
	ok "$( [ "$big" = 20000 ]; echo $?)" "large output through the tty proxy arrives complete"
else
	for i in 1 2 3 4 5 6 7; do skip "script(1) not installed"; done
fi
ok "$(lxm-attach -n "$c" -- ls /proc/self/fd 7</dev/null | grep -qx 7; [ $? -ne 0 ]; echo $?)" "an fd the caller left open (7) does not reach the command"
check "stop" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing left"

done_testing
