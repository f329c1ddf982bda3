#!/bin/bash
# The real boot test of issue 7: a Debian container (unprivileged,
# security.nesting = true) with lxm installed inside it by "make install"
# from this build tree and lxm.service enabled there runs a nested busybox
# container with autostart enabled; after a reboot of the outer container
# (lxm-stop -r) systemd starts lxm.service, which starts the nested
# container again, without anyone starting it.
#
# Needs the Debian tree that test-debian.sh keeps in $LXM_TEST_DEBIAN_CACHE
# (default /var/tmp/lxm-test-cache): it does not debootstrap on its own.
. "$(dirname "$0")/lib.sh"
require_root

release=bookworm
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
seed=${LXM_TEST_DEBIAN_CACHE-/var/tmp/lxm-test-cache}
if [ -z "$seed" ] || [ ! -x "$seed/debian/$release-$arch/sbin/init" ]; then
	echo "1..0 # SKIP no Debian $release tree in '$seed' (test-debian.sh makes it)"
	exit 0
fi
if [ ! -f "$BUILDDIR/Makefile" ] || [ ! -x /bin/busybox ]; then
	echo "1..0 # SKIP needs a configured build tree and /bin/busybox (busybox-static)"
	exit 0
fi
mkdir -p "$LXM_CACHEDIR/debian"
cp -al "$seed/debian/$release-$arch" "$LXM_CACHEDIR/debian/" 2>/dev/null ||
	cp -a "$seed/debian/$release-$arch" "$LXM_CACHEDIR/debian/"

# systemctl is-system-running --wait needs systemd's bus: retry until it is there
wait_running() {   # wait_running NAME SECS: prints the final state
	local end=$((SECONDS + $2)) st
	while :; do
		st=$(timeout "$2" lxm-attach -n "$1" -- systemctl is-system-running --wait 2>/dev/null)
		case $st in
		running|degraded|maintenance|stopping) break ;;
		esac
		[ "$SECONDS" -lt "$end" ] || break
		sleep 0.1
	done
	printf '%s\n' "$st"
}
inner_state() {    # inner_state OUTER: the nested container's state, as lxm inside sees it
	lxm-attach -n "$1" -- lxm-info -n inner -s 2>/dev/null | awk '{ print $2 }'
}
wait_inner() {     # wait_inner OUTER STATE SECS
	local end=$((SECONDS + $3))
	while [ "$(inner_state "$1")" != "$2" ]; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

d=${PFX}-deb
printf 'security = { nesting = true; };\nnet = ( );\n' >"$TEST_TMP/outer.conf"
out=$(timeout 120 lxm-create -n "$d" -t debian -f "$TEST_TMP/outer.conf" -- -r "$release" 2>&1)
ok $? "create a Debian $release container with security.nesting = true"
r=$LXM_PATH/$d/rootfs

# lxm inside: make install from this build tree, the libraries its commands
# load that the Debian tree lacks (same release as this host), busybox for
# the busybox template
out=$(make -C "$BUILDDIR" install DESTDIR="$r" 2>&1)
rc=$?
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -10 | sed 's/^/#   /'
ok $rc "make install DESTDIR=<its rootfs>"
for f in "$r"/usr/bin/lxm-*; do
	ldd "$BUILDDIR/$(basename "$f")" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		[ -e "$r$lib" ] || { mkdir -p "$(dirname "$r$lib")" && cp -L "$lib" "$r$lib"; }
	done
done
cp /bin/busybox "$r/bin/busybox"
mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
ln -sf /lib/systemd/system/lxm.service "$r/etc/systemd/system/multi-user.target.wants/lxm.service"
ok "$( [ -x "$r/usr/bin/lxm-autostart" ] && [ -f "$r/lib/systemd/system/lxm.service" ] &&
	[ -d "$r/usr/share/lxm/templates" ]; echo $?)" "commands, units and templates are installed inside, lxm.service enabled"

t0=$(date +%s%N)
check "start it" -- lxm-start -n "$d"
st=$(wait_running "$d" 90)
case $st in running|degraded) rr=0 ;; *) rr=1 ;; esac
ok $rr "systemd is up ($st, $(( ($(date +%s%N) - t0) / 1000000 )) ms)"
v=$(lxm-attach -n "$d" -- lxm-start --version 2>&1)
ok "$(echo "$v" | grep -qi lxm; echo $?)" "lxm runs inside ($v)"
ok "$( [ "$(lxm-attach -n "$d" -- systemctl is-enabled lxm.service 2>/dev/null)" = enabled ]; echo $?)" "lxm.service is enabled"

printf 'net = ( );\nautostart = { enabled = true; };\n' >"$r/root/inner.conf"
out=$(timeout 60 lxm-attach -n "$d" -- lxm-create -n inner -t busybox -f /root/inner.conf 2>&1)
ok $? "inside: lxm-create -n inner -t busybox with autostart.enabled${out:+ ($(echo "$out" | tr '\n' ' '))}"
out=$(timeout 60 lxm-attach -n "$d" -- lxm-autostart -L 2>&1)
ok "$(echo "$out" | grep -qw inner; echo $?)" "inside: lxm-autostart -L lists it ($(echo "$out" | tr '\n' ' '))"
out=$(timeout 60 lxm-attach -n "$d" -- lxm-start -n inner 2>&1)
ok $? "inside: lxm-start -n inner${out:+ ($(echo "$out" | tr '\n' ' '))}"
ok "$( [ "$(inner_state "$d")" = RUNNING ]; echo $?)" "the nested container is RUNNING"
ipid=$(lxm-attach -n "$d" -- lxm-info -n inner -p 2>/dev/null | awk '{ print $2 }')
a=$(timeout 20 lxm-attach -n "$d" -- lxm-attach -n inner -- /bin/hostname 2>/dev/null)
ok "$( [ "$a" = inner ]; echo $?)" "lxm-attach into it from inside ($a)"

# the reboot: systemd stops lxm.service (which halts the nested container),
# the monitor restarts the outer container, systemd starts lxm.service,
# which starts the nested one
opid=$(pid_of "$d")
t0=$(date +%s%N)
check "lxm-stop -r of the outer container" -- lxm-stop -n "$d" -r -t 60
for i in $(seq 1 300); do
	p=$(pid_of "$d")
	[ -n "$p" ] && [ "$p" != "$opid" ] && [ "$(state_of "$d")" = RUNNING ] && break
	sleep 0.2
done
ok "$( [ -n "$p" ] && [ "$p" != "$opid" ]; echo $?)" "it comes back with a new init (pid $opid -> ${p:-none})"
st=$(wait_running "$d" 90)
case $st in running|degraded) rr=0 ;; *) rr=1 ;; esac
ok $rr "systemd is up again ($st)"
wait_inner "$d" RUNNING 60
ok $? "the nested container is RUNNING again, started by lxm.service ($(( ($(date +%s%N) - t0) / 1000000 )) ms after lxm-stop -r)"
ipid2=$(lxm-attach -n "$d" -- lxm-info -n inner -p 2>/dev/null | awk '{ print $2 }')
ok "$( [ -n "$ipid2" ]; echo $?)" "with an init of its own (pid $ipid -> $ipid2 in the outer's PID namespace)"
j=$(lxm-attach -n "$d" -- journalctl -b -u lxm.service --no-pager -q 2>/dev/null | tail -3 | tr '\n' ' ')
[ -n "$j" ] && diag "lxm.service: $j"
a=$(timeout 20 lxm-attach -n "$d" -- lxm-attach -n inner -- /bin/hostname 2>/dev/null)
ok "$( [ "$a" = inner ]; echo $?)" "and answers lxm-attach ($a)"

clog=$r/var/lib/lxm/inner/console.log
[ -f "$clog" ] && : >"$clog"
t0=$(date +%s%N)
check "a clean stop of the outer container" -- lxm-stop -n "$d" -t 60
diag "stop: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
ok "$(grep -aq 'going down\|poweroff' "$clog" 2>/dev/null; echo $?)" \
	"lxm.service halted the nested container cleanly first (its console: $(tr -d '\r' <"$clog" 2>/dev/null | grep -a . | tail -2 | tr '\n' ' '))"
no_leaks "$d" "nothing is left (cgroups of both included)"
check "destroy it" -- lxm-destroy -n "$d"

done_testing
