# Shared helpers for the integration tests (bash). Each test file sources
# this, gets its own temporary lxmpath, runtime dir and config dir, and
# prints TAP. Everything a test made is removed on exit, also on failure,
# and the test fails if anything leaked (cgroups, mounts, processes, runtime).

set -u

SRCDIR=${SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILDDIR=${BUILDDIR:-$SRCDIR/build}
export PATH="$BUILDDIR:$PATH"
export LXM_TEMPLATEDIR=${LXM_TEMPLATEDIR:-$SRCDIR/templates}

TEST_TMP=$(mktemp -d /tmp/lxm-it.XXXXXX)
chmod 755 "$TEST_TMP"
export LXM_PATH=$TEST_TMP/lib
export LXM_RUNDIR=$TEST_TMP/run
export LXM_CONFDIR=$TEST_TMP/etc
export LXM_CACHEDIR=$TEST_TMP/cache
mkdir -p "$LXM_PATH" "$LXM_CONFDIR"
# Containers are unprivileged by default: their id ranges come from copies
# of the host's subordinate id files, which the tests never change.
export LXM_SUBUID_FILE=$TEST_TMP/subuid LXM_SUBGID_FILE=$TEST_TMP/subgid
cat /etc/subuid >"$LXM_SUBUID_FILE" 2>/dev/null || : >"$LXM_SUBUID_FILE"
cat /etc/subgid >"$LXM_SUBGID_FILE" 2>/dev/null || : >"$LXM_SUBGID_FILE"

# The host's own mounts must come out of every test as they went in: no
# mount stacked on them, no read-only remount through a container.
host_mounts() {
	awk '$5 == "/" || $5 == "/dev/pts" || $5 == "/dev/shm" || $5 == "/proc" || $5 == "/sys" || $5 == "/dev" \
		{ print $5, $6, $(NF) }' /proc/self/mountinfo | sort
}
HOST_MOUNTS_BEFORE=$(host_mounts)

# unique container names per test run: prefix + pid
PFX="t$$"
TAP_N=0
TAP_FAILED=0

ok() {     # ok COND_EXIT_STATUS DESCRIPTION
	local status=$1; shift
	TAP_N=$((TAP_N + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $TAP_N - $*"
	else
		TAP_FAILED=$((TAP_FAILED + 1))
		echo "not ok $TAP_N - $*"
	fi
}

check() {  # check DESCRIPTION -- COMMAND...: ok when the command succeeds
	local desc=$1; shift
	[ "$1" = "--" ] && shift
	local out
	if out=$("$@" 2>&1); then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		printf '%s\n' "$out" | sed 's/^/#   /' | head -20
	fi
}

skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - # SKIP $*"
}

diag() { printf '# %s\n' "$*"; }
# strace that holds or kills a command at a syscall: LeakSanitizer cannot
# run under ptrace (a sanitizer build would end in its fatal error, exit 99)
# (one process: "${strace_cmd[@]}" ... & gives strace's own pid in $!)
strace_cmd=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace)
# ends a background `flock FILE CMD` (and CMD, its child)
stop_holder() { pkill -P "$1" 2>/dev/null; kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# A command must fail with exit 1 and exactly one stderr line that
# matches a pattern: expect_error PATTERN DESCRIPTION -- COMMAND...
expect_error() {
	local pattern=$1 desc=$2; shift 2
	[ "$1" = "--" ] && shift
	local err rc lines
	err=$("$@" 2>&1 >/dev/null); rc=$?
	lines=$(printf '%s' "$err" | grep -c '')
	if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && printf '%s' "$err" | grep -Eq -- "$pattern"; then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		diag "exit $rc, $lines line(s): $err"
		diag "expected: $pattern"
	fi
}

state_of() { lxm-info -n "$1" -s 2>/dev/null | awk '{print $2}'; }
pid_of() { lxm-info -n "$1" -p 2>/dev/null | awk '{print $2}'; }

# skip_unless_debian_mirror RELEASE: end the test with a SKIP when the
# mirror the Debian template would debootstrap from (the host's, else
# deb.debian.org) does not answer for RELEASE.
skip_unless_debian_mirror() {
	local mirror
	mirror=$(sed -n -e 's/^URIs:[[:space:]]*\(https\{0,1\}:[^[:space:]]*\).*/\1/p' \
		-e 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\(https\{0,1\}:[^[:space:]]*\).*/\2/p' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -v security | grep '/debian/\{0,1\}$' | head -n 1)
	mirror=${mirror:-http://deb.debian.org/debian}
	if ! timeout 20 python3 -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="HEAD"), timeout=15)' \
		"${mirror%/}/dists/$1/Release" >/dev/null 2>&1; then
		echo "1..0 # SKIP the Debian mirror ${mirror} is unreachable"
		exit 0
	fi
}

# require_pure_cgroup2: the test is skipped unless /sys/fs/cgroup is a pure
# cgroup v2 hierarchy (the VM tier's tests of v2-only mechanisms)
require_pure_cgroup2() {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
		echo "1..0 # SKIP /sys/fs/cgroup is not a pure cgroup v2 hierarchy"
		exit 0
	fi
}

# require_apparmor: the test is skipped unless AppArmor is enabled and
# apparmor_parser is there (the VM tier's tests of enforced profiles); SEC
# is then AppArmor's securityfs directory
require_apparmor() {
	SEC=/sys/kernel/security/apparmor
	if [ ! -r "$SEC/profiles" ] || [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
		echo "1..0 # SKIP AppArmor is not enabled in this kernel"
		exit 0
	fi
	if ! command -v apparmor_parser >/dev/null; then
		echo "1..0 # SKIP apparmor_parser is not in the VM"
		exit 0
	fi
}

# use_debian_seed RELEASE ARCH: the Debian tree test-debian.sh keeps in
# $LXM_TEST_DEBIAN_CACHE (default /var/tmp/lxm-test-cache), hard-linked
# into this test's template cache; the test is skipped without it (a
# debootstrap here would take minutes).
use_debian_seed() {
	local seed=${LXM_TEST_DEBIAN_CACHE-/var/tmp/lxm-test-cache}
	if [ -z "$seed" ] || [ ! -x "$seed/debian/$1-$2/sbin/init" ]; then
		echo "1..0 # SKIP no Debian $1 tree in '$seed' (test-debian.sh makes it)"
		exit 0
	fi
	mkdir -p "$LXM_CACHEDIR/debian"
	cp -al "$seed/debian/$1-$2" "$LXM_CACHEDIR/debian/" 2>/dev/null ||
		cp -a "$seed/debian/$1-$2" "$LXM_CACHEDIR/debian/"
}

# wait_running NAME SECS: wait for systemd in the container to be up
# (running, degraded, ...) and print that state. is-system-running --wait
# needs systemd's bus, which may not be there yet: retry until it is.
wait_running() {
	local end=$((SECONDS + $2)) st
	while :; do
		st=$(timeout "$2" lxm-attach -n "$1" -- systemctl is-system-running --wait 2>/dev/null)
		case $st in running|degraded|maintenance|stopping) break ;; esac
		[ "$SECONDS" -lt "$end" ] || break
		sleep 0.02
	done
	printf '%s\n' "$st"
}

wait_state() {  # wait_state NAME STATE SECS
	lxm-wait -n "$1" -s "$2" -t "$3" >/dev/null 2>&1
}

# What must be gone once a container is stopped.
leaks_of() {   # leaks_of NAME: prints what leaked
	local name=$1
	local d
	for d in /sys/fs/cgroup/*/lxm/"$name" /sys/fs/cgroup/lxm/"$name"; do
		[ -d "$d" ] && echo "cgroup $d"
	done
	[ -e "$LXM_RUNDIR/$name" ] && echo "runtime dir $LXM_RUNDIR/$name"
	grep -F "$LXM_PATH/$name/" /proc/self/mountinfo | sed 's/^/mount /'
	pgrep -f -- "lxm-start -n $name\$" | sed 's/^/monitor /'
	return 0
}

no_leaks() {   # no_leaks NAME DESCRIPTION
	local leaks
	leaks=$(leaks_of "$1")
	if [ -z "$leaks" ]; then
		ok 0 "$2"
	else
		ok 1 "$2"
		printf '%s\n' "$leaks" | sed 's/^/#   leaked: /'
	fi
}

# every container in $LXM_PATH stopped and destroyed (a test that mounts
# something on $LXM_PATH calls this before its umount)
destroy_all() {
	local c
	for c in $(ls "$LXM_PATH" 2>/dev/null); do
		lxm-stop -n "$c" -k >/dev/null 2>&1
		lxm-destroy -n "$c" -f >/dev/null 2>&1
		# a test that broke the monitor may leave a cgroup behind
		for d in /sys/fs/cgroup/*/lxm/"$c" /sys/fs/cgroup/lxm/"$c"; do
			[ -d "$d" ] && rmdir "$d" 2>/dev/null
		done
	done
}

# the containers and background helpers a test left (lock holders and
# their commands); then cleanup removes the temporary dir (a test with more
# to undo that needs files there, lxm-net's pid file say, does it between)
cleanup_containers() {
	local j
	for j in $(jobs -p); do stop_holder "$j"; done
	destroy_all
}
cleanup() {
	cleanup_containers
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

done_testing() {
	local after
	after=$(host_mounts)
	if [ "$after" = "$HOST_MOUNTS_BEFORE" ]; then
		ok 0 "the host's /, /dev, /dev/pts, /dev/shm, /proc and /sys mounts are unchanged"
	else
		ok 1 "the host's /, /dev, /dev/pts, /dev/shm, /proc and /sys mounts are unchanged"
		diff <(echo "$HOST_MOUNTS_BEFORE") <(echo "$after") | sed 's/^/#   /'
	fi
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}

require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "1..0 # SKIP needs root"
		exit 0
	fi
}
