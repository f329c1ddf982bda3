#!/bin/bash
# A VPS host inside a container (issue 7): a Debian container with
# security.nesting = true gets lxm installed by `make install` from this
# build tree, lxm.service enabled, and a nested busybox container with
# autostart on. After `lxm-stop -r` of the outer container, systemd in it
# boots again, lxm.service runs lxm-autostart, and the nested container is
# RUNNING without anyone starting it.
#
# The outer rootfs is the Debian template's, with lxm's runtime libraries
# and busybox-static added by --packages (its own cache entry, kept in
# $LXM_TEST_DEBIAN_CACHE like test-debian.sh's).
. "$(dirname "$0")/lib.sh"
require_root

release=bookworm
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
seed=${LXM_TEST_DEBIAN_CACHE-/var/tmp/lxm-test-cache}
# what the installed commands load (lxm-start and lxm-attach are static)
packages=libconfig9,libnl-3-200,libnl-route-3-200,libarchive13,libapparmor1,libuuid1,busybox-static

if ! command -v debootstrap >/dev/null 2>&1; then
	echo "1..0 # SKIP debootstrap is not installed (scripts/deps)"
	exit 0
fi
if ! grep -q '^prefix = /usr$' "$BUILDDIR/Makefile" 2>/dev/null; then
	echo "1..0 # SKIP the build tree is not configured with --prefix=/usr (scripts/build does that)"
	exit 0
fi
if grep -q '^SAN_CFLAGS = .*-fsanitize' "$BUILDDIR/Makefile" 2>/dev/null; then
	echo "1..0 # SKIP a sanitizer build: the guest has no libasan for the installed commands"
	exit 0
fi

# the cache entries test-debian.sh and earlier runs kept
mkdir -p "$LXM_CACHEDIR/debian"
for e in "$seed"/debian/*; do
	[ -e "$e" ] || continue
	case ${e##*/} in .*) continue ;; esac
	cp -al "$e" "$LXM_CACHEDIR/debian/" 2>/dev/null || cp -a "$e" "$LXM_CACHEDIR/debian/"
done
before=$(ls "$LXM_CACHEDIR/debian")

outer=${PFX}-host inner=${PFX}-vps

# ---- the outer container: Debian, nesting, lxm installed ----
printf 'security = { nesting = true; };\nnet = ( { type = "empty"; } );\n' >"$TEST_TMP/outer.conf"
t0=$(date +%s%N)
out=$(timeout 400 lxm-create -n "$outer" -f "$TEST_TMP/outer.conf" -t debian -- -r "$release" --packages "$packages" 2>&1)
rc=$?
ok $rc "create a Debian container with nesting = true ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
[ $rc -eq 0 ] || { printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'; done_testing; }
# keep a freshly debootstrapped entry for the next runs
if [ -n "$seed" ]; then
	mkdir -p "$seed/debian"
	for e in $(ls "$LXM_CACHEDIR/debian"); do
		case " $(echo $before) " in *" $e "*) continue ;; esac
		case $e in .*) continue ;; esac
		rm -rf "$seed/debian/.new" &&
			{ cp -al "$LXM_CACHEDIR/debian/$e" "$seed/debian/.new" 2>/dev/null ||
			  cp -a "$LXM_CACHEDIR/debian/$e" "$seed/debian/.new"; } &&
			rm -rf "${seed:?}/debian/$e" && mv "$seed/debian/.new" "$seed/debian/$e" ||
			diag "could not keep '$e' in '$seed'"
	done
fi
count=$(sed -n 's/.*type = "u"; container = 0; host = [0-9]*; count = \([0-9]*\);.*/\1/p' "$LXM_PATH/$outer/config")
[ "${count:-0}" -gt 65536 ]
ok $? "a nesting container gets ids for containers of its own (${count:-none})"

R=$LXM_PATH/$outer/rootfs
make -C "$BUILDDIR" -s install DESTDIR="$R" >"$TEST_TMP/install.log" 2>&1
ok $? "make install DESTDIR=<the container's rootfs>"
[ $? -eq 0 ] || sed 's/^/#   /' "$TEST_TMP/install.log" | tail -20

inside() { timeout 60 lxm-attach -n "$outer" -- "$@"; }
inner_state() { inside lxm-info -n "$inner" -s 2>/dev/null | awk '{ print $NF }'; }

check "start it" -- lxm-start -n "$outer"
st=$(wait_running "$outer" 60)
ok "$(case $st in running|degraded) echo 0 ;; *) echo 1 ;; esac)" "systemd in it is up ($st)"
[ "$st" = running ] || inside systemctl --failed --no-pager --no-legend 2>&1 | sed 's/^/#   failed: /'
ok "$(inside lxm-checkconfig >"$TEST_TMP/checkconfig" 2>&1; echo $?)" "lxm-checkconfig inside says it can run containers"
[ "$(tail -n 1 "$TEST_TMP/checkconfig")" = "verdict: this host can run lxm containers" ] ||
	sed 's/^/#   /' "$TEST_TMP/checkconfig"
check "systemctl enable lxm.service inside" -- inside systemctl enable lxm.service

# ---- the nested container, autostart on ----
inside sh -c 'printf "net = ( { type = \"empty\"; } );\nautostart = { enabled = true; };\n" >/root/vps.conf'
out=$(inside lxm-create -n "$inner" -t busybox -f /root/vps.conf 2>&1)
ok $? "lxm-create of a busybox container inside"
printf '%s\n' "$out" | grep -v "^lxm-create: '/etc/sub[ug]id' granted root no subordinate ids" | sed 's/^/#   /'
ok "$(inside sh -c 'grep -q "^root:65536:" /etc/subuid'; echo $?)" "lxm inside took root's ids from what the outer container maps ($(inside cat /etc/subuid 2>/dev/null))"
out=$(inside lxm-autostart -L 2>&1)
ok "$(printf '%s\n' "$out" | grep -qw "$inner"; echo $?)" "lxm-autostart -L inside lists it ($(echo $out))"
ok "$( [ "$(inner_state)" = STOPPED ]; echo $?)" "the nested container is STOPPED before the reboot"

# ---- reboot the outer container: lxm.service brings the nested one up ----
pid1=$(pid_of "$outer")
check "lxm-stop -r of the outer container" -- lxm-stop -r -n "$outer"
end=$((SECONDS + 90)) st= ist=
while [ "$SECONDS" -lt "$end" ]; do
	pid2=$(pid_of "$outer")
	if [ -n "$pid2" ] && [ "$pid2" != "$pid1" ]; then
		ist=$(inner_state)
		[ "$ist" = RUNNING ] && break
	fi
	sleep 0.2
done
ok "$( [ -n "$pid2" ] && [ "$pid2" != "$pid1" ] && [ "$(state_of "$outer")" = RUNNING ]; echo $?)" "the outer container came back with a new init ($pid1 -> ${pid2:-none})"
ok "$( [ "$ist" = RUNNING ]; echo $?)" "the nested container is RUNNING again, started by lxm.service (${ist:-no answer})"
if [ "$ist" != RUNNING ]; then
	inside systemctl status lxm.service --no-pager 2>&1 | sed 's/^/#   /' | head -20
	inside journalctl -u lxm.service --no-pager -b 2>&1 | sed 's/^/#   /' | tail -20
fi
ok "$( [ "$(inside lxm-attach -n "$inner" -- hostname 2>/dev/null)" = "$inner" ]; echo $?)" "lxm-attach into the nested container works"
ipid=$(inside lxm-info -n "$inner" -p 2>/dev/null | awk '{ print $NF }')
# its status on the host: NSpid is "HOST OUTER 1"
st_file=$(grep -l -E "^NSpid:[[:space:]]+[0-9]+[[:space:]]+${ipid:-x}[[:space:]]+1\$" /proc/[0-9]*/status 2>/dev/null | head -1)
read -r _ huid _ < <(grep '^Uid:' "${st_file:-/dev/null}" 2>/dev/null)
[ -n "${huid:-}" ] && [ "$huid" -ge $((1000000 + 65536)) ]
ok $? "the nested init runs as a host uid of the outer container's nested range (${huid:-?})"

# at the outer's halt, systemd stops lxm.service, which halts the nested one
clog=$R/var/lib/lxm/$inner/console.log
[ -f "$clog" ] && : >"$clog"
t0=$(date +%s%N)
check "a clean stop of the outer container" -- lxm-stop -n "$outer" -t 60
diag "stop: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
ok "$(grep -aq -e 'going down' -e 'poweroff' "$clog" 2>/dev/null; echo $?)" \
	"lxm.service halted the nested container cleanly first (its console: $(tr -d '\r' <"$clog" 2>/dev/null | grep -a . | tail -2 | tr '\n' ' '))"
no_leaks "$outer" "nothing left behind"
check "lxm-destroy it" -- lxm-destroy -n "$outer"

done_testing
