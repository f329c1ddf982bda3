#!/bin/bash
# Bad input gets one clear stderr line and exit 1, never a crash, and a
# failed start leaves nothing behind.
. "$(dirname "$0")/lib.sh"
require_root

nx=${PFX}-nosuch
for cmd in lxm-start lxm-stop lxm-info lxm-wait lxm-destroy; do
	args=()
	[ $cmd = lxm-wait ] && args=(-s RUNNING -t 1)
	expect_error "^$cmd: $nx: no such container" "$cmd on an unknown container" -- $cmd -n "$nx" "${args[@]}"
done

expect_error "^lxm-create: invalid container name 'a/b'" "a name with a slash" -- lxm-create -n a/b -t none
expect_error "^lxm-create: invalid container name '\.\.'" "the name '..'" -- lxm-create -n .. -t none
expect_error "^lxm-create: invalid container name" "an overlong name" -- lxm-create -n "$(printf 'x%.0s' $(seq 80))" -t none
expect_error "^lxm-create: invalid container name" "an empty name" -- lxm-create -n "" -t none
expect_error "^lxm-start: invalid container name" "lxm-start checks names too" -- lxm-start -n "../etc"
expect_error "^lxm-create: missing container name" "no -n" -- lxm-create -t none
expect_error "^lxm-create: $PFX-x: template 'nosuch' not found" "an unknown template" -- lxm-create -n "$PFX-x" -t nosuch
ok "$( [ ! -e "$LXM_PATH/$PFX-x" ]; echo $?)" "a failed create leaves no directory"
expect_error "^lxm-stop: invalid timeout" "a bad stop timeout" -- lxm-stop -n "$nx" -t abc
expect_error "^lxm-wait: unknown state 'SLEEPING'" "an unknown state for lxm-wait" -- lxm-wait -n "$nx" -s SLEEPING

# config errors: file, line, key and what is wrong, before anything runs
c=${PFX}-cfg
check "create a container to break" -- lxm-create -n "$c" -t busybox
cfg=$LXM_PATH/$c/config
cp "$cfg" "$TEST_TMP/good.conf"

printf 'name = "x"\nhostname = ;\n' > "$cfg"
expect_error "^lxm-start: $c: .*config:[0-9]+: syntax error" "a config syntax error names the line" -- lxm-start -n "$c"

cp "$TEST_TMP/good.conf" "$cfg"; printf 'colour = "blue";\n' >> "$cfg"
line=$(grep -n colour "$cfg" | cut -d: -f1)
expect_error "^lxm-start: $c: .*config:$line: colour: unknown key" "an unknown key names file, line and key" -- lxm-start -n "$c"

cp "$TEST_TMP/good.conf" "$cfg"; sed -i 's/stop_timeout = 30;/stop_timeout = "soon";/' "$cfg"
line=$(grep -n soon "$cfg" | cut -d: -f1)
expect_error "^lxm-start: $c: .*config:$line: init.stop_timeout: " "a wrong type names the key" -- lxm-start -n "$c"

cp "$TEST_TMP/good.conf" "$cfg"; printf 'limits = { memory = "12Q"; };\n' >> "$cfg"
expect_error "^lxm-start: $c: .*limits.memory: .*12Q" "a bad size is reported" -- lxm-start -n "$c"

cp "$TEST_TMP/good.conf" "$cfg"; printf 'mounts = ( { source = "tmpfs"; target = "/a"; fstype = "tmpfs"; options = "create=pipe"; } );\n' >> "$cfg"
expect_error "^lxm-start: $c: .*config:$(wc -l < "$cfg"): mounts\[0\].options: 'create=pipe': create= must be 'dir' or 'file'" "a bad create= is refused before the start" -- lxm-start -n "$c"

cp "$TEST_TMP/good.conf" "$cfg"; sed -i 's/"SIGUSR2"/"SIGBOGUS"/' "$cfg"
expect_error "^lxm-start: $c: .*init.halt_signal: .*SIGBOGUS" "an unknown signal is reported" -- lxm-start -n "$c"
no_leaks "$c" "config errors leave nothing behind"

cp "$TEST_TMP/good.conf" "$cfg"
mv "$LXM_PATH/$c/rootfs" "$LXM_PATH/$c/rootfs.away"
expect_error "^lxm-start: $c: rootfs '.*': No such file or directory" "a missing rootfs" -- lxm-start -n "$c"
mv "$LXM_PATH/$c/rootfs.away" "$LXM_PATH/$c/rootfs"

mv "$LXM_PATH/$c/rootfs/sbin/init" "$LXM_PATH/$c/rootfs/sbin/init.away"
expect_error "^lxm-start: $c: init '/sbin/init' in rootfs '.*': No such file or directory" "a missing init" -- lxm-start -n "$c"
mv "$LXM_PATH/$c/rootfs/sbin/init.away" "$LXM_PATH/$c/rootfs/sbin/init"
no_leaks "$c" "a missing rootfs or init leaves nothing behind"

# a failure inside the child reaches the user with its step
printf 'mounts = ( { source = "/nonexistent-%s"; target = "/mnt"; options = "bind"; } );\n' "$PFX" >> "$cfg"
expect_error "^lxm-start: $c: mount '/mnt': source '/nonexistent-$PFX': No such file or directory" "a failing mount inside the child names the step" -- lxm-start -n "$c"
no_leaks "$c" "a failed start leaves no cgroup, runtime dir or mount"
ok "$( [ "$(state_of "$c")" = STOPPED ]; echo $?)" "the container is STOPPED after a failed start"

cp "$TEST_TMP/good.conf" "$cfg"
sed -i 's#cmd = \[ "/sbin/init" \];#cmd = [ "/etc/hostname" ];#' "$cfg"
chmod +x "$LXM_PATH/$c/rootfs/etc/hostname"
expect_error "^lxm-start: $c: executing init '/etc/hostname': Exec format error" "an init that cannot be executed" -- lxm-start -n "$c"
no_leaks "$c" "a failed exec leaves nothing behind"

# a failure in the monitor's set-up, while its second thread prepares the
# seccomp program, the runtime files and (privileged) the network
# namespace: a leftover cgroup of the container's name that has a task
cp "$TEST_TMP/good.conf" "$cfg"
p=${PFX}-priv
check "create a privileged container" -- lxm-create -n "$p" -t busybox --privileged
for x in "$c" "$p"; do
	if [ -d /sys/fs/cgroup/pids ]; then busy=/sys/fs/cgroup/pids/lxm/$x; else busy=/sys/fs/cgroup/lxm/$x; fi
	mkdir -p "$busy"
	sleep 30 &
	sleeper=$!
	echo "$sleeper" > "$busy/cgroup.procs"
	expect_error "^lxm-start: $x: cgroup '$busy' still has processes \\(left by an earlier run\\? lxm-stop kills them\\)" \
		"a leftover cgroup with a task fails the start ($x)" -- lxm-start -n "$x"
	ok "$( [ ! -e "$LXM_RUNDIR/$x" ] && [ "$(state_of "$x")" = STOPPED ]; echo $?)" "and leaves no runtime dir, files or monitor"
	# what a start whose monitor died before init's exec leaves (no
	# state file, a process in the cgroup): lxm-stop reaches it
	check "lxm-stop with a process in the cgroup and no state file" -- lxm-stop -n "$x"
	for i in $(seq 40); do [ -d /proc/$sleeper ] && ! grep -q '^State:.*Z' /proc/$sleeper/status || break; sleep 0.05; done
	ok "$( { [ ! -d /proc/$sleeper ] || grep -q '^State:.*Z' /proc/$sleeper/status; } && [ ! -d "$busy" ]; echo $?)" \
		"it killed the process and removed the cgroup ($x)"
	kill "$sleeper" 2>/dev/null; wait "$sleeper" 2>/dev/null
	rmdir "$busy" 2>/dev/null
	rmdir "${busy%/*}" 2>/dev/null
	no_leaks "$x" "nothing left of that start"
done
check "the privileged one starts now" -- lxm-start -n "$p"
check "and is destroyed" -- lxm-destroy -n "$p" -f

cp "$TEST_TMP/good.conf" "$cfg"
check "the repaired container starts" -- lxm-start -n "$c"
check "and stops" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing left"

# symlinks in the rootfs cannot take mounts out of it
rm -rf "$LXM_PATH/$c/rootfs/mnt"
ln -s /tmp "$LXM_PATH/$c/rootfs/mnt"
mkdir -p "$TEST_TMP/src"
printf 'mounts = ( { source = "%s"; target = "/mnt/escape"; options = "bind,ro"; } );\n' "$TEST_TMP/src" >> "$cfg"
check "a mount through an absolute symlink starts" -- lxm-start -n "$c"
ok "$( [ ! -e /tmp/escape ] && [ -d "$LXM_PATH/$c/rootfs/tmp/escape" ]; echo $?)" "the target resolved inside the rootfs, not on the host"
pid=$(pid_of "$c")
ok "$(! nsenter -t "$pid" -m -p touch /tmp/escape/x 2>/dev/null; echo $?)" "the 'ro' option made the bind mount read-only"
check "stop" -- lxm-stop -n "$c" -k
rm -f "$LXM_PATH/$c/rootfs/mnt"

# create=dir|file make missing targets of the right kind, deep paths included
cp "$TEST_TMP/good.conf" "$cfg"
echo "data-$PFX" > "$TEST_TMP/file"
printf 'mounts = ( { source = "tmpfs"; target = "/srv/x/y"; fstype = "tmpfs"; options = "create=dir,size=1m"; },\n  { source = "%s"; target = "/etc/deep/f.conf"; options = "bind,ro,create=file"; } );\n' "$TEST_TMP/file" >> "$cfg"
check "a container with create=dir and create=file mounts starts" -- lxm-start -n "$c"
ok "$(lxm-attach -n "$c" -- awk '$2 == "/srv/x/y" { print $3 }' /proc/self/mounts | grep -qx tmpfs; echo $?)" "create=dir: a tmpfs on a new /srv/x/y"
ok "$( [ "$(lxm-attach -n "$c" -- cat /etc/deep/f.conf)" = "data-$PFX" ]; echo $?)" "create=file: the file is bound on a new /etc/deep/f.conf"
ok "$( [ -f "$LXM_PATH/$c/rootfs/etc/deep/f.conf" ] && [ -d "$LXM_PATH/$c/rootfs/srv/x/y" ]; echo $?)" "the targets were made inside the rootfs"
check "stop" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing left after the create= mounts"

# a user who cannot read the container's directory is told so, not that
# there is no such container
if command -v setpriv >/dev/null; then
	expect_error "^lxm-info: $c: looking up '$LXM_PATH/$c/config': Permission denied$" \
		"a directory the user cannot read: permission denied, not 'no such container'" \
		-- setpriv --reuid=65534 --regid=65534 --clear-groups env PATH="$PATH" lxm-info -n "$c"
else
	skip "setpriv not installed"
fi

# a container directory copied by hand keeps the other's name in its
# config: refused, as two containers must not share a name's addresses
cp -a "$LXM_PATH/$c" "$LXM_PATH/$c-cp"
expect_error "^lxm-start: $c-cp: $LXM_PATH/$c-cp/config: name: '$c' is not this container's name \\(a copy of another container\\?" \
	"a hand copy that keeps the other's name is refused, naming the key" -- lxm-start -n "$c-cp"
no_leaks "$c-cp" "and leaves nothing"
rm -rf "$LXM_PATH/$c-cp"

done_testing
