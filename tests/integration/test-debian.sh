#!/bin/bash
# Debian containers (issue 3): templates/lxm-debian builds bookworm with
# debootstrap into the cache once (the tree and a zstd tar of it), a second
# create imports that archive in seconds, and the unprivileged container boots systemd to "running" (or
# "degraded"), answers lxm-attach, and halts cleanly on lxm-stop, also
# right after its start.
#
# The first build takes 1-2.5 minutes. The built tree is kept (hard links)
# in $LXM_TEST_DEBIAN_CACHE (default /var/tmp/lxm-test-cache) and seeds the
# next runs; LXM_TEST_DEBIAN_CACHE= (empty) always builds from scratch.
. "$(dirname "$0")/lib.sh"
require_root

release=bookworm
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
seed=${LXM_TEST_DEBIAN_CACHE-/var/tmp/lxm-test-cache}

if ! command -v debootstrap >/dev/null 2>&1; then
	echo "1..0 # SKIP debootstrap is not installed (scripts/deps)"
	exit 0
fi

mkdir -p "$LXM_CACHEDIR/debian"
seeded=
if [ -n "$seed" ] && [ -x "$seed/debian/$release-$arch/sbin/init" ]; then
	cp -al "$seed/debian/$release-$arch" "$LXM_CACHEDIR/debian/" 2>/dev/null ||
		cp -a "$seed/debian/$release-$arch" "$LXM_CACHEDIR/debian/"
	# its archive too, when an earlier run kept it (else the template
	# makes it from the tree)
	if [ -s "$seed/debian/$release-$arch.tar.zst" ]; then
		cp -l "$seed/debian/$release-$arch.tar.zst" "$LXM_CACHEDIR/debian/" 2>/dev/null ||
			cp "$seed/debian/$release-$arch.tar.zst" "$LXM_CACHEDIR/debian/"
	fi
	seeded=1
else
	skip_unless_debian_mirror "$release"
fi

d1=${PFX}-d1 d2=${PFX}-d2 bad=${PFX}-bad

# ---- create ----
t0=$(date +%s%N)
out=$(timeout 400 lxm-create -n "$d1" -t debian -- -r "$release" 2>&1)
rc=$?
t1=$(date +%s%N)
ok $rc "create a Debian $release container${seeded:+ (cache seeded from $seed)}"
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'
diag "first create: $(( (t1 - t0) / 1000000 )) ms${seeded:+ (from the seeded cache)}"
grep -q 'cmd = \[ "/sbin/init" \]' "$LXM_PATH/$d1/config" &&
	grep -q 'halt_signal = "SIGRTMIN+3"' "$LXM_PATH/$d1/config"
ok $? "the config has systemd's init and halt signal SIGRTMIN+3"
grep -q '^idmap' "$LXM_PATH/$d1/config"
ok $? "it is unprivileged (an idmap in the config)"
[ -x "$LXM_CACHEDIR/debian/$release-$arch/sbin/init" ] || [ -L "$LXM_CACHEDIR/debian/$release-$arch/sbin/init" ]
ok $? "the debootstrapped tree is cached in \$LXM_CACHEDIR/debian/$release-$arch"
zarch=$LXM_CACHEDIR/debian/$release-$arch.tar.zst
[ -s "$zarch" ] && [ "$(stat -c %a "$zarch")" = 600 ] && zstd -q -t "$zarch"
ok $? "... with a zstd-compressed tar of it next to it, mode 0600 (it holds /etc/shadow)"
if [ -z "$seeded" ] && [ -n "$seed" ] && [ -x "$LXM_CACHEDIR/debian/$release-$arch/sbin/init" ]; then
	# keep it for the next runs (hard links where the file system allows)
	mkdir -p "$seed/debian" && rm -rf "$seed/debian/.new" &&
		{ cp -al "$LXM_CACHEDIR/debian/$release-$arch" "$seed/debian/.new" 2>/dev/null ||
		  cp -a "$LXM_CACHEDIR/debian/$release-$arch" "$seed/debian/.new"; } &&
		rm -rf "$seed/debian/$release-$arch" && mv "$seed/debian/.new" "$seed/debian/$release-$arch" ||
		diag "could not keep the tree in '$seed'"
fi
if [ -n "$seed" ] && [ -d "$seed/debian" ] && [ -s "$zarch" ] && [ ! -s "$seed/debian/$release-$arch.tar.zst" ]; then
	{ cp -l "$zarch" "$seed/debian/.new.tar.zst" 2>/dev/null || cp "$zarch" "$seed/debian/.new.tar.zst"; } &&
		mv "$seed/debian/.new.tar.zst" "$seed/debian/$release-$arch.tar.zst" ||
		diag "could not keep the archive in '$seed'"
fi

keyfile=$TEST_TMP/key.pub
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Qta2V5LWZvci1seG0tZGViaWFuLXRlc3QAAAAA test@lxm" >"$keyfile"
# the second create imports the archive: the tree is out of reach meanwhile
mv "$LXM_CACHEDIR/debian/$release-$arch" "$LXM_CACHEDIR/debian/.away"
t0=$(date +%s%N)
out=$(timeout 60 lxm-create -n "$d2" -t debian -- -r "$release" --password 'lxm-test' --auth-key "$keyfile" 2>&1)
rc=$?
t1=$(date +%s%N)
mv "$LXM_CACHEDIR/debian/.away" "$LXM_CACHEDIR/debian/$release-$arch"
ms=$(( (t1 - t0) / 1000000 ))
ok $rc "a second create of $release from the cache (an import of its archive alone)"
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'
[ "$ms" -lt 30000 ]
ok $? "takes seconds, not minutes ($ms ms)"
r2=$LXM_PATH/$d2/rootfs
[ "$(cat "$r2/etc/hostname" 2>/dev/null)" = "$d2" ] && grep -q "127.0.1.1[[:space:]]*$d2\$" "$r2/etc/hosts"
ok $? "/etc/hostname and /etc/hosts name the container"
cmp -s "$keyfile" "$r2/root/.ssh/authorized_keys"
ok $? "--auth-key is root's authorized_keys"
grep -q '^root:\$' "$r2/etc/shadow"
ok $? "--password sets root's password"
grep -q '^root:\*:' "$LXM_PATH/$d1/rootfs/etc/shadow"
ok $? "without it root's login is locked"
[ ! -s "$LXM_PATH/$d1/rootfs/etc/machine-id" ]
ok $? "the machine-id is left for systemd to make"
k1=$(cat "$LXM_PATH/$d1/rootfs/etc/ssh/ssh_host_ed25519_key.pub" 2>/dev/null)
k2=$(cat "$r2/etc/ssh/ssh_host_ed25519_key.pub" 2>/dev/null)
[ -z "$k1$k2" ] || [ "$k1" != "$k2" ]
ok $? "each container gets its own ssh host keys"
check "lxm-destroy the second one" -- lxm-destroy -n "$d2"

# ---- bad input ----
# the template's own line, then lxm-create's
err=$(lxm-create -n "$bad" -t debian -- -r sid 2>&1 >/dev/null)
rc=$?
[ $rc -eq 1 ] && printf '%s\n' "$err" | grep -q "^lxm-debian: unknown release 'sid' (known: .*bookworm" &&
	printf '%s\n' "$err" | tail -n 1 | grep -q "^lxm-create: $bad: template 'debian' failed"
ok $? "an unknown release is refused with a clear message"
[ $rc -eq 1 ] || diag "exit $rc: $err"
[ ! -e "$LXM_PATH/$bad" ]
ok $? "and leaves no half-made container"
# a cold cache and no debootstrap: lxm-create runs templates with a fixed
# PATH, so the template is run directly here, with /usr/sbin and /sbin
# left out of its PATH (lxm-create's clean-up is the case above)
nodeb=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -x -e /usr/sbin -e /sbin -e /usr/local/sbin | paste -sd:)
err=$(LXM_CACHEDIR=$TEST_TMP/cold PATH=$nodeb "$LXM_TEMPLATEDIR/lxm-debian" --name "$bad" \
	--rootfs "$TEST_TMP/nodeb/rootfs" -r "$release" 2>&1 >/dev/null)
rc=$?
[ $rc -eq 1 ] && [ "$err" = "lxm-debian: 'debootstrap' is missing: install the Debian package 'debootstrap'" ]
ok $? "a missing debootstrap is a clear error"
[ $rc -eq 1 ] || diag "exit $rc: $err"
[ ! -e "$TEST_TMP/nodeb" ] && [ -z "$(ls -A "$TEST_TMP/cold/debian" 2>/dev/null | grep -v '^\.lock-')" ]
ok $? "and leaves no rootfs and no partial cache"

# ---- boot ----
t0=$(date +%s%N)
check "start it (unprivileged)" -- lxm-start -n "$d1"
st=$(wait_running "$d1" 60)
t1=$(date +%s%N)
case $st in running|degraded) r=0 ;; *) r=1 ;; esac
ok $r "systemd reaches 'systemctl is-system-running' = running or degraded ($st, $(( (t1 - t0) / 1000000 )) ms after lxm-start)"
if [ "$st" != running ]; then
	lxm-attach -n "$d1" -- systemctl --failed --no-pager --no-legend 2>&1 | sed 's/^/#   failed: /'
fi
[ "$st" = running ]
ok $? "no failed units (running, not degraded)"
pid=$(pid_of "$d1")
read -r _ ruid _ < <(grep '^Uid:' "/proc/$pid/status" 2>/dev/null)
[ -n "$ruid" ] && [ "$ruid" != 0 ]
ok $? "systemd runs as an unprivileged host uid ($ruid)"
[ "$(lxm-attach -n "$d1" -- cat /proc/1/comm 2>/dev/null)" = systemd ]
ok $? "lxm-attach reaches PID 1 = systemd"
[ "$(lxm-attach -n "$d1" -- hostname 2>/dev/null)" = "$d1" ]
ok $? "the hostname is the container's name"
lxm-attach -n "$d1" -- sh -c '! test -e /sys/class/net/eth0 && test "$(systemctl is-active lxm-dhcp)" = inactive' >/dev/null 2>&1
ok $? "no eth0 (no nics in the config), so no DHCP client runs"
mid=$(lxm-attach -n "$d1" -- cat /etc/machine-id 2>/dev/null)
[ ${#mid} -eq 32 ]
ok $? "systemd made a machine-id ($mid)"
act=$(lxm-attach -n "$d1" -- systemctl is-active console-getty.service systemd-journald.service dbus.service ssh.service systemd-logind.service 2>/dev/null | sort -u)
[ "$act" = active ]
ok $? "console getty, journald, dbus, sshd and logind are active"
lxm-attach -n "$d1" -- sh -c 'systemctl show -p ControlGroup ssh.service | grep -q "=/system.slice/ssh.service" && test -d /sys/fs/cgroup/systemd/system.slice/ssh.service' >/dev/null 2>&1
ok $? "systemd manages its cgroup subtree (ssh.service in system.slice)"
lxm-attach -n "$d1" -- sh -c 'grep -q "^deb .* '"$release"' main" /etc/apt/sources.list && test -e /etc/localtime && grep -q ^LANG= /etc/default/locale' >/dev/null 2>&1
ok $? "apt sources, timezone and locale are set"
out=$(lxm-attach -n "$d1" -- sh -c 'exit 7' 2>&1)
[ $? -eq 7 ]
ok $? "lxm-attach passes the command's exit status"

# ---- halt ----
t0=$(date +%s%N)
lxm-stop -n "$d1" -t 30 >/dev/null 2>&1
rc=$?
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ $rc -eq 0 ] && [ "$(state_of "$d1")" = STOPPED ] && [ "$ms" -lt 20000 ]
ok $? "lxm-stop halts it within the timeout ($ms ms, STOPPED)"
grep -q -e 'Reached target.*System Shutdown' "$LXM_PATH/$d1/console.log" &&
	grep -q -e 'Halting system' -e 'System Halt' "$LXM_PATH/$d1/console.log"
ok $? "it was a clean systemd shutdown (console.log: shutdown.target, halt)"
no_leaks "$d1" "nothing left behind after the halt"

# a stop right after the start: systemd has not blocked SIGRTMIN+3 yet
# (the kernel would drop it); the halt is held until it has, no SIGKILL
check "start it again" -- lxm-start -n "$d1" -l info -o "$TEST_TMP/early.log"
t0=$(date +%s%N)
lxm-stop -n "$d1" -t 30 >/dev/null 2>&1
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc -eq 0 ] && [ "$(state_of "$d1")" = STOPPED ] && [ "$ms" -lt 20000 ] &&
	! grep -q 'stop timeout passed' "$TEST_TMP/early.log"
ok $? "a stop right after the start halts it, no SIGKILL at the timeout ($ms ms)"
no_leaks "$d1" "nothing left behind after the early halt"

check "lxm-destroy it" -- lxm-destroy -n "$d1"
[ ! -e "$LXM_PATH/$d1" ] && [ ! -e "$LXM_PATH/$d2" ]
ok $? "both containers are gone"

done_testing
