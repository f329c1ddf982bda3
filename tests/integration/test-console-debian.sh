#!/bin/bash
# lxm-console on a Debian container, driven through tmux: the getty on
# tty1 shows Debian's login prompt, root logs in, a command runs, Ctrl-a q
# detaches and the container is still RUNNING. Needs the Debian tree that
# test-debian.sh keeps in $LXM_TEST_DEBIAN_CACHE (default
# /var/tmp/lxm-test-cache): skipped without it (no debootstrap run here).
. "$(dirname "$0")/lib.sh"
require_root

release=bookworm
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
if ! command -v tmux >/dev/null; then
	echo "1..0 # SKIP tmux not installed (scripts/deps)"
	exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
	echo "1..0 # SKIP debootstrap is not installed (scripts/deps)"
	exit 0
fi
use_debian_seed "$release" "$arch"

TSOCK=$TEST_TMP/tmux.sock
T() { tmux -S "$TSOCK" "$@"; }
trap 'T kill-server >/dev/null 2>&1; cleanup' EXIT
screen_of() { T capture-pane -p -J -t "$1" -S -300 2>/dev/null | tr -d '\r'; }
wait_screen() {   # wait_screen SESSION ERE SECS
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		screen_of "$1" | grep -Eq -- "$2" && return 0
		sleep 0.05
	done
	diag "screen of $1 (waiting for '$2'):"
	screen_of "$1" | grep -v '^$' | tail -8 | sed 's/^/#     /'
	return 1
}

d=${PFX}-cd
out=$(timeout 120 lxm-create -n "$d" -t debian -- -r "$release" --ttys 1 --password lxm-test 2>&1)
rc=$?
ok $rc "create a Debian $release container with a getty on tty1 (from the cache)"
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -10 | sed 's/^/#   /'
check "start it" -- lxm-start -n "$d"

T new-session -d -x 100 -y 30 -s g "lxm-console -n $d -t 1; echo EXITED-\$?; sleep 600"
ok "$(wait_screen g '^Connected to tty 1' 5; echo $?)" "lxm-console -t 1 connects to tty1"
# systemd may still be booting: the getty comes when it is up
for _ in $(seq 60); do
	screen_of g | grep -Eq 'login: *$' && break
	T send-keys -t g Enter
	sleep 0.5
done
ok "$(wait_screen g "^Debian GNU/Linux 12 $d tty1" 1 && wait_screen g "^$d login: *\$" 1; echo $?)" "the Debian getty's banner and login prompt on tty1"
T send-keys -t g root Enter
wait_screen g 'Password: *$' 10 >/dev/null
T send-keys -t g lxm-test Enter
ok "$(wait_screen g "^root@$d:~# *\$" 15; echo $?)" "root logs in and gets a shell prompt"
tok=deb-$RANDOM$RANDOM
T send-keys -t g "echo $tok; tty" Enter
ok "$(wait_screen g "^$tok\$" 5 && wait_screen g '^/dev/tty1$' 1; echo $?)" "a command runs on /dev/tty1 and its output is shown"
T send-keys -t g exit Enter
sleep 0.3
T send-keys -t g C-a q
ok "$(wait_screen g '^EXITED-0$' 5; echo $?)" "Ctrl-a q detaches (exit 0)"
ok "$( [ "$(state_of "$d")" = RUNNING ]; echo $?)" "the container is still RUNNING"

check "stop" -- lxm-stop -n "$d" -k
no_leaks "$d" "nothing left"
check "destroy" -- lxm-destroy -n "$d"
done_testing
