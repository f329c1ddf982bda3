#!/bin/bash
# A Debian rootfs through lxm-export and lxm-create -t archive, and a
# snapshot of it (issue 8): the export of an unprivileged Debian container
# imports as a new unprivileged container that boots systemd to running (or
# degraded); lxm-copy -s of that container boots too, writes only into its
# own upper dir, and leaves its base's tree untouched (a digest of names,
# sizes, modes, owners and mtimes, and the rootfs directory's mtime).
#
# Uses the Debian tree kept by test-debian.sh in $LXM_TEST_DEBIAN_CACHE
# (default /var/tmp/lxm-test-cache); without it the test is skipped (a
# debootstrap here would take minutes).
. "$(dirname "$0")/lib.sh"
require_root

release=bookworm
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
use_debian_seed "$release" "$arch"

tree_sum() { (cd "$1" && find . -printf '%p %y %s %m %u:%g %T@\n' | sort | md5sum | cut -d' ' -f1); }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
boots_systemd() {   # boots_systemd NAME: start, running|degraded, clean halt
	local t0 st
	t0=$(date +%s%N)
	lxm-start -n "$1" >/dev/null 2>"$TEST_TMP/start.err" || { diag "start: $(cat "$TEST_TMP/start.err")"; return 1; }
	st=$(wait_running "$1" 60)
	diag "$1: '$st' $(ms_since "$t0") ms after lxm-start"
	case $st in running|degraded) ;; *)
		lxm-attach -n "$1" -- systemctl --failed --no-pager --no-legend 2>&1 | head -5 | sed 's/^/#   /'
		lxm-stop -n "$1" -k >/dev/null 2>&1; return 1 ;;
	esac
	[ "$(lxm-attach -n "$1" -- cat /proc/1/comm 2>/dev/null)" = systemd ] &&
		[ "$(lxm-attach -n "$1" -- hostname 2>/dev/null)" = "$1" ] &&
		[ "$(lxm-attach -n "$1" -- cat /etc/hostname 2>/dev/null)" = "$1" ] ||
		{ diag "$1: init $(lxm-attach -n "$1" -- cat /proc/1/comm 2>&1), hostname $(lxm-attach -n "$1" -- hostname 2>&1)"
		  lxm-stop -n "$1" -k >/dev/null 2>&1; return 1; }
}

src=${PFX}-src imp=${PFX}-imp snap=${PFX}-snap
t0=$(date +%s%N)
check "create an unprivileged Debian $release container from the cache" -- timeout 120 lxm-create -n "$src" -t debian -- -r "$release"
diag "create from the cache: $(ms_since "$t0") ms"

exp=$TEST_TMP/debian.tar.zst
t0=$(date +%s%N)
check "lxm-export it" -- lxm-export -n "$src" -o "$exp"
diag "export: $(ms_since "$t0") ms, $(( $(stat -c %s "$exp") >> 20 )) MiB"
ok "$(zstd -dc "$exp" | tar -tv --numeric-owner 2>/dev/null | awk '{ split($2, o, "/"); if (o[1] + 0 >= 65536) bad++ } END { exit bad > 0 }'; echo $?)" \
	"the export carries container ids (no host id of the source's range)"
check "the source can go" -- lxm-destroy -n "$src"

t0=$(date +%s%N)
check "lxm-create -t archive -- --file the export (unprivileged)" -- timeout 120 lxm-create -n "$imp" -t archive -- --file "$exp"
diag "import: $(ms_since "$t0") ms"
ok "$(grep -q 'halt_signal = "SIGRTMIN+3"' "$LXM_PATH/$imp/config" && grep -q '^idmap' "$LXM_PATH/$imp/config"; echo $?)" \
	"systemd detected (halt signal SIGRTMIN+3), unprivileged"
ok "$( [ "$(stat -c %a "$LXM_PATH/$imp/rootfs/usr/bin/passwd")" = 4755 ] &&
      [ "$(stat -c %a "$LXM_PATH/$imp/rootfs/usr/bin/su")" = 4755 ]; echo $?)" "setuid binaries kept (passwd, su)"
if command -v getcap >/dev/null && [ -e "$LXM_PATH/$imp/rootfs/usr/bin/ping" ] && getcap "$LXM_CACHEDIR/debian/$release-$arch/usr/bin/ping" 2>/dev/null | grep -q cap_net_raw; then
	ok "$(getcap "$LXM_PATH/$imp/rootfs/usr/bin/ping" | grep -q cap_net_raw; echo $?)" "ping's file capability kept"
else
	skip "no file capability on ping in this tree"
fi
boots_systemd "$imp"
ok $? "the imported Debian boots systemd to running or degraded"
t0=$(date +%s%N)
check "and halts cleanly" -- lxm-stop -n "$imp" -t 30
ok "$(grep -q -e 'Halting system' -e 'System Halt' -e 'Reached target.*System Shutdown' "$LXM_PATH/$imp/console.log"; echo $?)" \
	"a clean systemd shutdown ($(ms_since "$t0") ms)"
no_leaks "$imp" "nothing left after its stop"

# ---- a snapshot of it ------------------------------------------------------------
base=$LXM_PATH/$imp/rootfs
sum0=$(tree_sum "$base")
mt0=$(stat -c %Y.%y "$base")
check "lxm-copy -s of the Debian container" -- lxm-copy -n "$imp" -N "$snap" -s
boots_systemd "$snap"
ok $? "the snapshot boots systemd to running or degraded"
check "it writes and deletes inside" -- lxm-attach -n "$snap" -- sh -c 'echo snap > /etc/written-in-snapshot && rm /etc/debian_version && apt-get --version >/dev/null'
ok "$(lxm-attach -n "$snap" -- test ! -e /etc/debian_version; echo $?)" "a deleted base file is gone in the snapshot"
lxm-stop -n "$snap" -t 30 >/dev/null 2>&1
ok "$( [ "$(state_of "$snap")" = STOPPED ]; echo $?)" "the snapshot halts"
no_leaks "$snap" "nothing left after the snapshot's stop"
ok "$( [ "$(cat "$LXM_PATH/$snap/overlay/upper/etc/written-in-snapshot" 2>/dev/null)" = snap ]; echo $?)" \
	"its write is in its upper dir"
ok "$( [ -e "$base/etc/debian_version" ] && [ ! -e "$base/etc/written-in-snapshot" ]; echo $?)" \
	"the base still has the file the snapshot deleted, and not the one it wrote"
ok "$( [ "$(tree_sum "$base")" = "$sum0" ] && [ "$(stat -c %Y.%y "$base")" = "$mt0" ]; echo $?)" \
	"the base's tree is untouched (names, sizes, modes, owners, mtimes)"
check "destroy the snapshot" -- lxm-destroy -n "$snap"
check "then the base" -- lxm-destroy -n "$imp"
done_testing
