#!/bin/bash
# lxm-attach runs commands inside a running container: namespaces, cgroup,
# environment, users, exit status, pipes, and a pty of the container's own.
. "$(dirname "$0")/lib.sh"
require_root

c=${PFX}-att
check "create" -- lxm-create -n "$c" -t busybox
expect_error "^lxm-attach: $c: not running$" "attach to a stopped container fails (one line, exit 1)" -- lxm-attach -n "$c" -- true
expect_error "^lxm-attach: ${PFX}-nope: no such container in '.*'$" "attach to a missing container fails (one line, exit 1)" \
	-- lxm-attach -n "${PFX}-nope" -- true
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
# -v replaces a variable of the default or kept environment (no second
# entry, which getenv() would not see: it takes the first), and
# container=lxm is there with --keep-env too
env_out=$(lxm-attach -n "$c" -v PATH=/usr/bin:/bin -v HOME=/tmp -v TERM=xterm-x -- env)
ok "$( [ "$(echo "$env_out" | grep -E '^(PATH|HOME|TERM)=' | sort | tr '\n' ' ')" = 'HOME=/tmp PATH=/usr/bin:/bin TERM=xterm-x ' ]; echo $?)" \
	"-v replaces PATH, HOME and TERM of the clean environment, each once"
env_out=$(FOO=host container=other lxm-attach -n "$c" --keep-env -v FOO=new -- env)
ok "$( [ "$(echo "$env_out" | grep -E '^(FOO|container)=' | sort | tr '\n' ' ')" = 'FOO=new container=lxm ' ]; echo $?)" \
	"--keep-env: -v replaces a kept variable, container=lxm is set"
ok "$( [ "$(lxm-attach -n "$c" -u 1000 -g 1000 -- id -u)" = 1000 ]; echo $?)" "-u/-g switch the user"
ok "$( [ "$(lxm-attach -n "$c" --cwd /etc -- pwd)" = /etc ]; echo $?)" "--cwd sets the directory"
ok "$( [ "$(lxm-attach -n "$c" -- pwd)" = /root ]; echo $?)" "the default directory is the user's home"
lxm-attach -n "$c" -- sh -c 'exit 7'
ok "$( [ $? -eq 7 ]; echo $?)" "the exit status is the command's"
lxm-attach -n "$c" -- sh -c 'exit 42'
ok "$( [ $? -eq 42 ]; echo $?)" "exit code 42 propagates"
lxm-attach -n "$c" -- sh -c 'echo out; echo err >&2' >"$TEST_TMP/f1" 2>"$TEST_TMP/f2"
ok "$( [ "$(cat "$TEST_TMP/f1")" = out ] && [ "$(cat "$TEST_TMP/f2")" = err ]; echo $?)" "stdout and stderr stay separate"
lxm-attach -n "$c" -- sh -c 'kill -TERM $$'
ok "$( [ $? -eq 143 ]; echo $?)" "a command killed by a signal exits 128+signal"
# a command that cannot be executed: the reason on one line, and the
# status a shell gives (scripts test for 127)
err=$(lxm-attach -n "$c" -- nosuchcmd 2>&1 >/dev/null); rc=$?
ok "$( [ $rc -eq 127 ] && [ "$err" = "lxm-attach: $c: executing 'nosuchcmd': No such file or directory" ]; echo $?)" \
	"a missing command is reported, exit 127 (exit $rc: $err)"
err=$(lxm-attach -n "$c" -- /etc/passwd 2>&1 >/dev/null); rc=$?
ok "$( [ $rc -eq 126 ] && [ "$err" = "lxm-attach: $c: executing '/etc/passwd': Permission denied" ]; echo $?)" \
	"a command that is not executable is reported, exit 126 (exit $rc: $err)"
expect_error "^lxm-attach: $c: changing to '/nonexistent': No such file or directory$" \
	"--cwd to a missing directory fails (one line, exit 1)" -- lxm-attach -n "$c" --cwd /nonexistent -- true
head -c 200000 /dev/urandom > "$TEST_TMP/blob"
lxm-attach -n "$c" -- cat < "$TEST_TMP/blob" > "$TEST_TMP/blob.out"
ok "$(cmp -s "$TEST_TMP/blob" "$TEST_TMP/blob.out"; echo $?)" "binary data passes through pipes unchanged"
head -c 50M /dev/urandom > "$TEST_TMP/big"
want=$(sha256sum < "$TEST_TMP/big")
got=$(cat "$TEST_TMP/big" | lxm-attach -n "$c" -- cat | sha256sum)
ok "$( [ "$want" = "$got" ]; echo $?)" "a 50 MiB binary stream through a pipe arrives byte-identical"
rm -f "$TEST_TMP/big"
# the attached process, seen from the host: every namespace of init's, and
# init's cgroups
tag=$((3000 + RANDOM % 5000))
lxm-attach -n "$c" -- sleep "$tag" </dev/null >/dev/null 2>&1 &
apid=
for _ in $(seq 50); do
	apid=$(pgrep -x -f "sleep $tag" | head -1)
	[ -n "$apid" ] && break
	sleep 0.05
done
nsdiff=
for ns in mnt pid pid_for_children uts ipc net cgroup user time; do
	[ -e "/proc/$pid/ns/$ns" ] || continue
	[ "$(readlink "/proc/$apid/ns/$ns" 2>/dev/null)" = "$(readlink "/proc/$pid/ns/$ns")" ] || nsdiff="$nsdiff $ns"
done
ok "$( [ -n "$apid" ] && [ -z "$nsdiff" ]; echo $?)" "the attached process (host pid ${apid:-?}) is in all of init's namespaces${nsdiff:+ (differs:$nsdiff)}"
ok "$( [ -n "$apid" ] && [ "$(cat "/proc/$apid/cgroup" 2>/dev/null)" = "$(cat "/proc/$pid/cgroup")" ]; echo $?)" "... and in init's cgroups (/proc/PID/cgroup from the host)"
[ -n "$apid" ] && kill "$apid" 2>/dev/null
wait
# the state file names the cgroup hierarchies (no mountinfo to read); one
# written without them (an older monitor) still gets every cgroup
st=$LXM_RUNDIR/$c/state
ok "$(grep -q '^cgroup_mount=' "$st"; echo $?)" "the state file lists the cgroup hierarchies ($(grep -c '^cgroup_mount=' "$st") lines)"
cp "$st" "$TEST_TMP/state.full"
grep -v '^cgroup_mount=' "$TEST_TMP/state.full" >"$st.tmp" && mv "$st.tmp" "$st"
ok "$( [ "$(lxm-attach -n "$c" -- cat /proc/self/cgroup)" = "$(lxm-attach -n "$c" -- cat /proc/1/cgroup)" ] &&
	[ -n "$(lxm-attach -n "$c" -- cat /proc/self/cgroup)" ]; echo $?)" "without them (read from mountinfo) the command is in init's cgroups too"
# a hierarchy the state file names that is not there (moved since): the
# mount points are looked up again
sed '0,/^cgroup_mount=/s|^\(cgroup_mount=[0-9]* 0 0:0 / \)/|\1/nonexistent/|' "$TEST_TMP/state.full" >"$st.tmp" && mv "$st.tmp" "$st"
ok "$(grep -q '^cgroup_mount=.* /nonexistent/' "$st" &&
	[ "$(lxm-attach -n "$c" -- cat /proc/self/cgroup)" = "$(lxm-attach -n "$c" -- cat /proc/1/cgroup)" ]; echo $?)" \
	"with a hierarchy in it that is gone, the command is still in init's cgroups"
cp "$TEST_TMP/state.full" "$st"
# how init is confined comes from the state file, recorded at start: no
# config is read (a broken runtime copy changes nothing), a state file
# without the record (an older lxm) is refused, and so is a missing program
ok "$(grep -qx 'caps=[0-9]*' "$st" && grep -qx 'seccomp=1' "$st" && grep -qx 'userns=[01]' "$st"; echo $?)" \
	"the state file records init's confinement"
cp "$LXM_RUNDIR/$c/config" "$TEST_TMP/config.rt"
echo 'this is { not a config' >"$LXM_RUNDIR/$c/config"
ok "$( [ "$(lxm-attach -n "$c" -- hostname)" = "$c" ]; echo $?)" "attach reads no config (the runtime copy broken)"
cp "$TEST_TMP/config.rt" "$LXM_RUNDIR/$c/config"
grep -Ev '^(userns|no_new_privs|seccomp|caps|apparmor)=' "$TEST_TMP/state.full" >"$st.tmp" && mv "$st.tmp" "$st"
expect_error "^lxm-attach: $c: its state file does not say how init is confined \(started by an older lxm\?\); restart the container to attach to it$" \
	"a state file without the record is refused (one line, exit 1)" -- lxm-attach -n "$c" -- true
cp "$TEST_TMP/state.full" "$st"
mv "$LXM_RUNDIR/$c/seccomp.bpf" "$TEST_TMP/seccomp.bpf"
expect_error "^lxm-attach: $c: init's seccomp program '.*/seccomp.bpf' is missing$" \
	"a missing seccomp program is refused, not run without a filter" -- lxm-attach -n "$c" -- true
mv "$TEST_TMP/seccomp.bpf" "$LXM_RUNDIR/$c/seccomp.bpf"
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
	# a terminal on stdin, stdout and stderr files: only stdin is the pty,
	# the files get the bytes as written (no "\r\n"), each its own
	script -qc "lxm-attach -n $c -- sh -c 'printf \"a\\nb\\n\"; echo err >&2; tty >&2' >$TEST_TMP/po.1 2>$TEST_TMP/po.2" /dev/null </dev/null >/dev/null
	ok "$( [ "$(od -An -c "$TEST_TMP/po.1" | tr -d ' ')" = 'a\nb\n' ] &&
		[ "$(head -1 "$TEST_TMP/po.2")" = err ] && sed -n 2p "$TEST_TMP/po.2" | grep -qx '/dev/pts/[0-9]*'; echo $?)" \
		"with a terminal on stdin, stdout and stderr redirected to files pass through untouched (the pty is stdin's)"
	# stdin not a terminal, stdout/stderr terminals: no pty, and the host's
	# terminal still never reaches the container (pipes, copied by lxm-attach)
	out=$(script -qc "lxm-attach -n $c -- sh -c 'readlink /proc/self/fd/1; readlink /proc/self/fd/2; [ -t 1 ] || [ -t 2 ] || echo no-tty; echo err-\$\$ >&2; exit 5' </dev/null; echo rc=\$?" /dev/null | tr -d '\r')
	ok "$(echo "$out" | head -2 | grep -c '^pipe:' | grep -qx 2; echo $?)" "stdin not a tty, stdout/stderr a tty: the command gets pipes, not the host's tty"
	ok "$(echo "$out" | grep -qx no-tty; echo $?)" "... and no terminal at all"
	ok "$(echo "$out" | grep -q '^err-[0-9]*$' && echo "$out" | grep -qx rc=5; echo $?)" "... its stdout and stderr arrive, and its exit status"
	out=$(script -qc "printf 'line1\nline2\n' | lxm-attach -n $c -- sh -c 'cat; readlink /proc/self/fd/0'" /dev/null | tr -d '\r')
	ok "$(echo "$out" | head -2 | tr '\n' ' ' | grep -qx 'line1 line2 ' && echo "$out" | sed -n 3p | grep -q '^pipe:'; echo $?)" "a pipe on stdin with a tty on stdout: input and EOF pass through"
	# with a pty, lxm-attach ends with the command: a process it left in
	# the background on the pty (HUP ignored) does not keep it
	t0=$(date +%s%N)
	out=$(timeout 20 script -qc "lxm-attach -n $c -- sh -c 'trap \"\" HUP; sleep 6 & echo started; exit 3'; echo rc=\$?" /dev/null | tr -d '\r')
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	ok "$(echo "$out" | grep -qx started && echo "$out" | grep -qx rc=3 && [ $ms -lt 3000 ]; echo $?)" \
		"with a pty, lxm-attach returns when the command exits, not when a background process lets go of the pty (${ms} ms)"
	big=$(script -qc "head -c 300000 /dev/zero | lxm-attach -n $c -- sh -c 'cat >/dev/null; seq 1 20000'" /dev/null | tr -d '\r' | tail -1)
	ok "$( [ "$big" = 20000 ]; echo $?)" "large output through the tty proxy arrives complete"
	# typed input larger than the pty's input queue while the command
	# writes and does not read yet: the output still flows (a blocking
	# write of the input stopped the relay, and both waited for good)
	seq 1 100000 >"$TEST_TMP/paste"
	last=$(timeout 20 script -qc "lxm-attach -n $c -- sh -c 'sleep 1; seq 1 100000; stty -echo; cat >/dev/null; echo DONE'" /dev/null \
		<"$TEST_TMP/paste" | tr -d '\r' | tail -1)
	ok "$( [ "$last" = DONE ]; echo $?)" "a paste larger than the pty takes while the command writes does not stall the relay"
	# the window size comes from whichever standard stream is the terminal
	out=$(script -qc "stty cols 77 rows 22; true | lxm-attach -n $c --pty -- sh -c 'stty size <&1'" /dev/null | tr -d '\r')
	ok "$( [ "$out" = "22 77" ]; echo $?)" "with --pty and stdin a pipe, the pty gets the size of the terminal on stdout ($out)"
else
	for i in 1 2 3 4 5 6 7 8 9 10 11; do skip "script(1) not installed"; done
fi
# TIOCSTI from the attached process, with the host side on a real terminal
# (a tmux pane): whatever it pushes may land in the container's own pty at
# most, never in the pane's input (the shell there reads it after the
# command: GOT[...] must stay empty).
PROBE=$BUILDDIR/tests/integration/tiocsti-probe
if command -v tmux >/dev/null && [ -x "$PROBE" ]; then
	install -m 0755 "$PROBE" "$LXM_PATH/$c/rootfs/bin/tiocsti-probe"
	TSOCK=$TEST_TMP/tmux.sock
	trap 'tmux -S "$TSOCK" kill-server >/dev/null 2>&1; cleanup' EXIT
	for mode in pty no-pty; do
		opt=; [ $mode = no-pty ] && opt=--no-pty
		tmux -S "$TSOCK" new-session -d -x 100 -y 30 -s "$mode" \
			"lxm-attach -n $c $opt -- tiocsti-probe; echo EXITED-\$?; read -r -t 2 line; echo \"GOT[\$line]\"; sleep 600"
		for _ in $(seq 100); do
			tmux -S "$TSOCK" capture-pane -p -t "$mode" | grep -q '^GOT\[' && break
			sleep 0.05
		done
		screen=$(tmux -S "$TSOCK" capture-pane -p -J -t "$mode" | tr -d '\r')
		printf '%s\n' "$screen" | grep '^fd[0-9]' | sed "s/^/# $mode: /"
		ok "$(printf '%s\n' "$screen" | grep -qx 'EXITED-0' && [ "$(printf '%s\n' "$screen" | grep -c '^fd[0-2] ')" = 3 ]; echo $?)" \
			"TIOCSTI probe ran on fds 0-2 from a tmux pane ($mode)"
		ok "$(printf '%s\n' "$screen" | grep -qx 'GOT\[\]' && ! printf '%s\n' "$screen" | grep -q '^lxm-tiocsti-injected'; echo $?)" \
			"TIOCSTI from the attached process does not reach the host's terminal ($mode)"
		tmux -S "$TSOCK" kill-session -t "$mode" 2>/dev/null
	done
	tmux -S "$TSOCK" kill-server >/dev/null 2>&1
else
	skip "tmux or $PROBE missing (make check)"; skip "tmux or $PROBE missing (make check)"
	skip "tmux or $PROBE missing (make check)"; skip "tmux or $PROBE missing (make check)"
fi
# Signals for lxm-attach go on to the command, which lxm-attach waits for:
# `timeout`/kill no longer leave it running in the container, and with a
# pty the terminal is restored (the command says how it ends).
tag=$((3000 + RANDOM % 5000))
lxm-attach -n "$c" -- sleep "$tag" </dev/null >/dev/null 2>&1 &
apid=$!
for _ in $(seq 50); do pgrep -x -f "sleep $tag" >/dev/null && break; sleep 0.05; done
kill -TERM "$apid"
wait "$apid"
rc=$?
sleep 0.2
left=$(pgrep -x -f "sleep $tag")
ok "$( [ $rc -eq 143 ] && [ -z "$left" ]; echo $?)" "SIGTERM to lxm-attach ends the command too (exit $rc, left: ${left:-none})"
[ -n "$left" ] && kill $left
timeout --preserve-status -s INT 1 lxm-attach -n "$c" -- sh -c "trap 'echo got-INT; exit 9' INT; while :; do sleep 0.05; done; : $tag" \
	</dev/null >"$TEST_TMP/sigint.out" 2>&1
rc=$?
sleep 0.2
left=$(pgrep -f "sleep 0.05; done; : $tag")
ok "$( [ $rc -eq 9 ] && grep -qx got-INT "$TEST_TMP/sigint.out" && [ -z "$left" ]; echo $?)" \
	"SIGINT reaches the command, lxm-attach exits with its status (exit $rc, left: ${left:-none})"
[ -n "$left" ] && kill $left
if command -v tmux >/dev/null; then
	TSOCK=$TEST_TMP/tmux.sock
	trap 'tmux -S "$TSOCK" kill-server >/dev/null 2>&1; cleanup' EXIT
	tmux -S "$TSOCK" new-session -d -x 100 -y 30 -s sig \
		"stty -g >$TEST_TMP/stty.before; lxm-attach -n $c -- sh -c 'trap \"echo got-TERM; exit 7\" TERM; tty; while :; do sleep 0.05; done'; echo EXITED-\$?; stty -g >$TEST_TMP/stty.after; sleep 600"
	for _ in $(seq 100); do tmux -S "$TSOCK" capture-pane -p -t sig | grep -q '^/dev/pts/' && break; sleep 0.05; done
	kill -TERM "$(pgrep -P "$(tmux -S "$TSOCK" display -p -t sig '#{pane_pid}')" -x lxm-attach)"
	for _ in $(seq 100); do tmux -S "$TSOCK" capture-pane -p -t sig | grep -q '^EXITED' && break; sleep 0.05; done
	screen=$(tmux -S "$TSOCK" capture-pane -p -J -t sig | tr -d '\r')
	ok "$(printf '%s\n' "$screen" | grep -qx got-TERM && printf '%s\n' "$screen" | grep -qx EXITED-7; echo $?)" \
		"with a pty, SIGTERM to lxm-attach reaches the command and its status comes back"
	ok "$(cmp -s "$TEST_TMP/stty.before" "$TEST_TMP/stty.after"; echo $?)" "... and the terminal is restored"
	tmux -S "$TSOCK" kill-server >/dev/null 2>&1
else
	skip "tmux missing"; skip "tmux missing"
fi
# CVE-2019-5736: nothing in the container may get hold of the host's
# lxm-attach through /proc/PID/exe of an attached process before its execve
# (the container is unprivileged: its root has no CAP_SYS_PTRACE over the
# host, so only the process's non-dumpable state stands in the way). A probe
# inside watches /proc and opens every new process's exe while many
# attaches run; it must never reach the host binary's inode.
EPROBE=$BUILDDIR/tests/integration/exe-probe
if [ -x "$EPROBE" ]; then
	install -m 0755 "$EPROBE" "$LXM_PATH/$c/rootfs/bin/exe-probe"
	read -r adev aino < <(stat -L -c '%d %i' "$(command -v lxm-attach)")
	stopf=$LXM_PATH/$c/rootfs/.exe-probe-stop
	rm -f "$stopf"
	lxm-attach -n "$c" -- exe-probe "$adev" "$aino" 30 /.exe-probe-stop >"$TEST_TMP/exe-probe.out" 2>&1 &
	eppid=$!
	for _ in $(seq 200); do grep -q '^ready' "$TEST_TMP/exe-probe.out" && break; sleep 0.02; done
	for _ in $(seq 150); do lxm-attach -n "$c" -- true; done
	touch "$stopf"
	wait "$eppid"
	rm -f "$stopf" "$LXM_PATH/$c/rootfs/bin/exe-probe"
	res=$(tail -1 "$TEST_TMP/exe-probe.out")
	grep '^hit' "$TEST_TMP/exe-probe.out" | head -3 | sed 's/^/# /'
	ok "$(echo "$res" | grep -q '^seen [0-9]* opened [0-9]* hit 0$' && [ "$(echo "$res" | awk '{ print $2 }')" -ge 50 ]; echo $?)" \
		"an attached process never exposes the host's lxm-attach through /proc/PID/exe (CVE-2019-5736; probe: ${res:-no output})"
else
	skip "$EPROBE missing (make check)"
fi
# a frozen container: a clear error at once, not a command that hangs
# until someone thaws it
check "freeze" -- lxm-freeze -n "$c"
expect_error "^lxm-attach: $c: frozen; lxm-unfreeze it to attach$" "attach to a frozen container fails at once (one line, exit 1)" \
	-- timeout 10 lxm-attach -n "$c" -- true
check "unfreeze" -- lxm-unfreeze -n "$c"
ok "$(lxm-attach -n "$c" -- true; echo $?)" "... and works once it is thawed"
# the container's /etc/passwd is the container's: a FIFO there (the open
# waited for a writer for good) or a link to /dev/zero (read without end)
# is passed over, as a missing one is
pw=$LXM_PATH/$c/rootfs/etc/passwd
mv "$pw" "$TEST_TMP/passwd.saved"
mkfifo "$pw"
ok "$(timeout -s KILL 10 lxm-attach -n "$c" -- true; echo $?)" "attach with a FIFO for /etc/passwd"
timeout 2 sh -c "echo >'$pw'" 2>/dev/null   # frees an open that waits there (a failure)
rm -f "$pw"; ln -s /dev/zero "$pw"
ok "$(timeout -s KILL 10 lxm-attach -n "$c" -- true; echo $?)" "attach with /etc/passwd a link to /dev/zero"
rm -f "$pw"; mv "$TEST_TMP/passwd.saved" "$pw"
ok "$(lxm-attach -n "$c" -- ls /proc/self/fd 7</dev/null | grep -qx 7; [ $? -ne 0 ]; echo $?)" "an fd the caller left open (7) does not reach the command"
cp "$LXM_RUNDIR/$c/state" "$TEST_TMP/state.running"
# attach_during_stop DESC STRACE_ARGS... -- ATTACH_OPTS...: lxm-attach,
# held by strace at one of its syscalls, while lxm-stop -k runs: it fails
# saying the container stopped meanwhile, not with what the half-gone
# container made its step fail with
attach_during_stop() {
	local desc=$1 sargs=() ap rc
	shift
	while [ "$1" != -- ]; do sargs+=("$1"); shift; done
	shift
	"${strace_cmd[@]}" -o /dev/null "${sargs[@]}" lxm-attach "$@" -n "$c" -- true </dev/null >/dev/null \
		2>"$TEST_TMP/stopped.err" &
	ap=$!
	sleep 0.2
	check "stop" -- lxm-stop -n "$c" -k
	wait "$ap"; rc=$?
	ok "$( [ $rc = 1 ] && [ "$(cat "$TEST_TMP/stopped.err")" = "lxm-attach: $c: not running (it stopped meanwhile)" ]; echo $?)" \
		"$desc (exit $rc: $(cat "$TEST_TMP/stopped.err"))"
}
if command -v strace >/dev/null; then
	# held 0.5 s after its setns: not "forking: Out of memory" (a PID
	# namespace whose init died takes no process)
	attach_during_stop "an attach during a stop fails saying so" \
		-e trace=setns -e inject=setns:delay_exit=500000 --
	# held 1 s before its first openat2, between its read of the state
	# file and its open of the cgroup: not "opening cgroup"
	check "start again" -- lxm-start -n "$c"
	attach_during_stop "an attach whose cgroup a stop removed fails saying so" \
		-e trace=openat2 -e inject=openat2:delay_enter=1000000:when=1 --
	# held 1 s at the open of init's seccomp program: not "init's
	# seccomp program ... is missing"
	check "start again" -- lxm-start -n "$c"
	bpf=$LXM_RUNDIR/$c/seccomp.bpf
	ok "$( [ -f "$bpf" ]; echo $?)" "init has a seccomp program ('$bpf')"
	attach_during_stop "an attach whose seccomp program a stop removed fails saying so" \
		-P "$bpf" -e trace=open,openat -e inject=open,openat:delay_enter=1000000 --
	# held 1 s at the open of /proc/PID/root for its pty (which open or
	# openat that is, a first run counts): not "opening '/proc/PID/root':
	# No such file or directory"
	check "start again" -- lxm-start -n "$c"
	pid=$(pid_of "$c")
	"${strace_cmd[@]}" -o "$TEST_TMP/open.trace" -e trace=open,openat lxm-attach --pty -n "$c" -- true </dev/null >/dev/null 2>&1
	sc=$(grep -o "^open[a-z]*(.*\"/proc/$pid/root\"" "$TEST_TMP/open.trace" | head -1 | cut -d'(' -f1)
	nth=$(grep "^${sc:-open}(" "$TEST_TMP/open.trace" | grep -n "\"/proc/$pid/root\"" | head -1 | cut -d: -f1)
	ok "$( [ -n "$nth" ]; echo $?)" "lxm-attach --pty opens '/proc/$pid/root' (${sc:-open} number ${nth:-none})"
	attach_during_stop "an attach whose pty's open a stop overtook fails saying so" \
		-e trace="${sc:-open}" -e inject="${sc:-open}":delay_enter=1000000:when="${nth:-1}" -- --pty
else
	check "stop" -- lxm-stop -n "$c" -k
	skip "no strace"
fi
# between the two inits of a reboot the state file says STARTING and names
# the old init, which is gone: that is no stopped container
mkdir "$LXM_RUNDIR/$c"
sed 's/^state=.*/state=STARTING/' "$TEST_TMP/state.running" > "$LXM_RUNDIR/$c/state"
expect_error "^lxm-attach: $c: is starting \(or rebooting\); try again once it runs$" \
	"attach between the inits of a reboot says so, not 'not running'" -- lxm-attach -n "$c" -- true
rm -rf "$LXM_RUNDIR/$c"
no_leaks "$c" "nothing left"

done_testing
