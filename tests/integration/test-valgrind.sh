#!/bin/bash
# No leaks or invalid accesses under valgrind in create, info, ls, attach,
# stop and destroy. (lxm-start uses openat2, which this valgrind does not
# know, and is linked statically; it runs under AddressSanitizer in
# scripts/test-all instead.)
. "$(dirname "$0")/lib.sh"
require_root
if ! command -v valgrind >/dev/null; then
	echo "1..0 # SKIP valgrind not installed"
	exit 0
fi
# forked helpers that only _exit (the idmapped-mount probe, template and
# attach children) hold copies of the parent's heap, not leaks of their own
V="valgrind -q --child-silent-after-fork=yes --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
vg() {   # vg DESCRIPTION COMMAND...
	local desc=$1; shift
	local out rc
	# the static commands (lxm-start, lxm-attach, and lxm-stop, -info,
	# -ls, -wait for their start-up time) cannot be instrumented by
	# valgrind; they run under ASan in the second pass of scripts/test-all
	if ! ldd "$(command -v "$1")" >/dev/null 2>&1; then
		"$@" >/dev/null 2>&1   # the test goes on as if it had run
		skip "$desc: $1 is linked statically, checked under ASan instead"
		return
	fi
	out=$($V "$@" 2>&1); rc=$?
	if [ $rc -eq 99 ] || printf '%s' "$out" | grep -q '==[0-9]*== '; then
		ok 1 "$desc"
		printf '%s\n' "$out" | grep '==' | head -30 | sed 's/^/#   /'
	else
		ok 0 "$desc"
	fi
}
c=${PFX}-vg
vg "lxm-create is valgrind-clean" lxm-create -n "$c" -t busybox
vg "lxm-info of a stopped container is valgrind-clean" lxm-info -n "$c"
check "start (natively)" -- lxm-start -n "$c"
vg "lxm-info of a running container is valgrind-clean" lxm-info -n "$c"
vg "lxm-info --json is valgrind-clean" lxm-info -n "$c" --json
vg "lxm-ls -f is valgrind-clean" lxm-ls -f
vg "lxm-ls --json is valgrind-clean" lxm-ls --json
vg "lxm-attach without a pty is valgrind-clean" lxm-attach -n "$c" -- true
vg "lxm-wait is valgrind-clean" lxm-wait -n "$c" -s RUNNING -t 1
vg "lxm-freeze is valgrind-clean" lxm-freeze -n "$c"
vg "lxm-unfreeze is valgrind-clean" lxm-unfreeze -n "$c"
vg "lxm-stop is valgrind-clean" lxm-stop -n "$c" -t 10
check "start again" -- lxm-start -n "$c"
pid=$(pid_of "$c"); mon=$(awk '/^PPid:/ {print $2}' /proc/$pid/status)
kill -9 "$mon"; sleep 0.1
vg "lxm-stop without a monitor is valgrind-clean" lxm-stop -n "$c" -k
vg "lxm-destroy is valgrind-clean" lxm-destroy -n "$c"
vg "an error path (unknown container) is valgrind-clean" lxm-info -n "$c"
no_leaks "$c" "nothing left"
done_testing
