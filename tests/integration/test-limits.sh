#!/bin/bash
# Resource limits (limits.* in the config, lxm-cgroup) on real busybox
# containers, on this host's cgroup layout (v1 hybrid or pure v2): every
# limit lands in the right cgroup file; lxm-cgroup changes memory and pids
# of a running container and the change is enforced (a fork loop stops, an
# allocation past the memory limit is killed inside, not on the host) and
# saved in the config in place (other keys and comments stay); --no-persist
# and raw cgroup files change the running container only; it works with the
# monitor killed; a stopped container only gets the config change, which
# its next start applies; bad values and keys give one error line and exit
# 1 with the config untouched; lxm-info shows the limits.
. "$(dirname "$0")/lib.sh"
require_root

CG=/sys/fs/cgroup
v2=false
[ "$(stat -f -c %T $CG)" = cgroup2fs ] && v2=true
c=${PFX}-lim
cfg=$LXM_PATH/$c/config
cgf() {   # cgf CONTROLLER FILE: the container's cgroup file
	if $v2; then echo "$CG/lxm/$c/$2"; else echo "$CG/$1/lxm/$c/$2"; fi
}
val() { cat "$(cgf "$1" "$2")" 2>/dev/null; }
is() {    # is DESCRIPTION EXPECTED ACTUAL
	ok "$( [ "$2" = "$3" ]; echo $?)" "$1 ($3)"
	[ "$2" = "$3" ] || diag "expected '$2'"
}
# start N sleepers inside (busybox sh), as far as forks go
# (their stdio closed: lxm-attach then need not wait for them)
sleepers() { lxm-attach -n "$c" -- /bin/sh -c "i=0; while [ \$i -lt $1 ]; do sleep 60 </dev/null >/dev/null 2>&1 & i=\$((i + 1)); done" >/dev/null 2>&1 </dev/null; }
killsleepers() { lxm-attach -n "$c" -- /bin/sh -c 'killall sleep' >/dev/null 2>&1; sleep 0.2; }
# touch N MiB at once inside: dd fills a buffer of that size
alloc() { lxm-attach -n "$c" -- /bin/dd if=/dev/zero of=/dev/null bs=${1}M count=1 >/dev/null 2>&1; }

check "create" -- lxm-create -n "$c" -t busybox --privileged
cat >>"$cfg" <<'EOF'

# limits set by test-limits
limits = {
	memory = "96M";         # the memory limit
	memory_swap = "128M";   # memory plus swap
	pids = 100;
	cpu_weight = 50;
	cpuset = "0";
	io_weight = 200;
};
EOF

# ---- a memory_swap below memory is refused at its line ----
cp "$cfg" "$TEST_TMP/config.good"
sed -i 's/memory_swap = "128M";/memory_swap = "64M";/' "$cfg"
line=$(grep -n 'memory_swap = "64M"' "$cfg" | cut -d: -f1)
expect_error "^lxm-start: $c: $cfg:$line: limits.memory_swap: 64M is less than limits.memory \(96M\): it is memory plus swap$" \
	"memory_swap below memory: one error naming FILE:LINE" -- lxm-start -n "$c"
cp "$TEST_TMP/config.good" "$cfg"
expect_error "^lxm-start: $c: command line:1: limits.memory: 1G is more than limits.memory_swap \(128M\), which is memory plus swap$" \
	"... and from -s" -- lxm-start -n "$c" -s limits.memory=1G
no_leaks "$c" "nothing is left of the refused starts"

# ---- start: every limit in its file ----
lxm-start -n "$c" 2>"$TEST_TMP/start.err"
ok $? "start with every limit"
# what this host has: swap accounting, I/O weights (else one warning each)
if $v2; then swapf=$(cgf memory memory.swap.max); else swapf=$(cgf memory memory.memsw.limit_in_bytes); fi
has_swap=false; [ -f "$swapf" ] && has_swap=true
iofile=
for f in io.weight io.bfq.weight blkio.bfq.weight blkio.weight; do
	ctl=${f%%.*}
	[ -f "$(cgf "$ctl" "$f")" ] && { iofile=$f; break; }
done
warns=$(grep -c 'ignoring' "$TEST_TMP/start.err")
expect=0
$has_swap || expect=$((expect + 1))
[ -n "$iofile" ] || expect=$((expect + 1))
ok "$( [ "$warns" = $expect ]; echo $?)" "one warning per limit this host lacks (swap accounting: $has_swap, I/O weight file: ${iofile:-none}): $warns"
sed 's/^/#   /' "$TEST_TMP/start.err"
$has_swap || ok "$(grep -q 'limits.memory_swap: this host has no swap accounting.*, ignoring$' "$TEST_TMP/start.err"; echo $?)" "the swap warning says why"
[ -n "$iofile" ] || ok "$(grep -q 'limits.io_weight: this host has no I/O weights.*, ignoring$' "$TEST_TMP/start.err"; echo $?)" "the I/O weight warning says why"
if $v2; then
	is "memory.max = 96M" $((96 << 20)) "$(val memory memory.max)"
	$has_swap && is "memory.swap.max = memory_swap - memory = 32M" $((32 << 20)) "$(val memory memory.swap.max)"
	is "cpu.weight = 50" 50 "$(val cpu cpu.weight)"
else
	is "memory.limit_in_bytes = 96M" $((96 << 20)) "$(val memory memory.limit_in_bytes)"
	$has_swap && is "memory.memsw.limit_in_bytes = 128M" $((128 << 20)) "$(val memory memory.memsw.limit_in_bytes)"
	is "cpu.shares = 50 * 1024 / 100" 512 "$(val cpu cpu.shares)"
fi
case $iofile in
io.weight | io.bfq.weight) is "$iofile = 200" "default 200" "$(val io $iofile | head -1)" ;;
blkio.bfq.weight) is "blkio.bfq.weight = 200 (same scale)" 200 "$(val blkio blkio.bfq.weight)" ;;
blkio.weight) is "blkio.weight = 200 * 5 = 1000" 1000 "$(val blkio blkio.weight)" ;;
esac
is "pids.max = 100" 100 "$(val pids pids.max)"
is "cpuset.cpus = 0" 0 "$(val cpuset cpuset.cpus)"
pid=$(pid_of "$c")
ok "$(grep -q '^Cpus_allowed_list:[[:space:]]*0$' /proc/$pid/status; echo $?)" "init may only run on CPU 0"

# ---- reading them back ----
is "lxm-cgroup memory" $((96 << 20)) "$(lxm-cgroup -n "$c" memory)"
$has_swap && is "lxm-cgroup memory_swap" $((128 << 20)) "$(lxm-cgroup -n "$c" memory_swap)"
is "lxm-cgroup cpu_weight (on lxm's scale)" 50 "$(lxm-cgroup -n "$c" cpu_weight)"
[ -n "$iofile" ] && is "lxm-cgroup io_weight (on lxm's scale)" 200 "$(lxm-cgroup -n "$c" io_weight)"
nlim=6
$has_swap || nlim=$((nlim - 1))
[ -n "$iofile" ] || nlim=$((nlim - 1))
all=$(lxm-cgroup -n "$c")
ok "$(printf '%s\n' "$all" | grep -qx "pids 100" && printf '%s\n' "$all" | grep -qx "cpuset 0" &&
	[ "$(printf '%s\n' "$all" | wc -l)" = $nlim ]; echo $?)" "lxm-cgroup without a key lists the $nlim this host has ($(echo $all))"
info=$(lxm-info -n "$c")
ok "$(printf '%s\n' "$info" | grep -qx 'Memory limit:   96.00 MiB' && printf '%s\n' "$info" | grep -qx 'Tasks limit:    100' &&
	printf '%s\n' "$info" | grep -qx 'CPU weight:     50' && printf '%s\n' "$info" | grep -q '^CPU use:' &&
	printf '%s\n' "$info" | grep -q '^Memory use:'; echo $?)" "lxm-info shows use and limits"
printf '%s\n' "$info" | sed 's/^/#   /'
json=$(lxm-info -n "$c" --json)
jswap=null; $has_swap && jswap=$((128 << 20))
jio=null; [ -n "$iofile" ] && jio=200
ok "$(printf '%s' "$json" | grep -q "\"limits\": {\"memory\": $((96 << 20)), \"memory_swap\": $jswap, \"pids\": 100, \"cpu_weight\": 50, \"cpuset\": \"0\", \"io_weight\": $jio}" &&
	printf '%s' "$json" | grep -q '"memory_bytes": [0-9]' && printf '%s' "$json" | grep -q '"cpu_ns": [0-9]'; echo $?)" \
	"lxm-info --json has the use and the limits"
if command -v python3 >/dev/null; then
	ok "$(printf '%s' "$json" | python3 -c 'import json,sys; json.load(sys.stdin)' 2>&1; echo $?)" "and it is valid JSON"
fi

# ---- pids, live: a fork loop stops at the new limit ----
cur=$(val pids pids.current)
lim=$((cur + 5))
check "lxm-cgroup pids $lim (tasks now: $cur)" -- lxm-cgroup -n "$c" pids $lim
is "pids.max follows" $lim "$(val pids pids.max)"
maxev() { awk '$1 == "max" { print $2 }' "$(cgf pids pids.events)"; }
ev0=$(maxev)
sleepers 20
now=$(val pids pids.current)
ok "$( [ "$now" -le $lim ] && [ "$(maxev)" -gt "$ev0" ]; echo $?)" \
	"a fork loop of 20 stops at it (tasks: $now, pids.events max: $ev0 -> $(maxev))"
killsleepers
ok "$(lxm-attach -n "$c" -- true; echo $?)" "the container stays manageable"
ok "$(grep -qx "	pids = $lim;" "$cfg"; echo $?)" "pids = $lim is saved in the config"
ok "$(grep -qx '# limits set by test-limits' "$cfg" && grep -q 'memory = "96M";         # the memory limit' "$cfg" &&
	grep -q '^hostname = ' "$cfg"; echo $?)" "the other keys and the comments stay"
ok "$(grep -q "pids = $lim;" "$LXM_RUNDIR/$c/config"; echo $?)" "the runtime config copy has it too"
check "lxm-cgroup pids 100" -- lxm-cgroup -n "$c" pids 100
ev0=$(maxev)
sleepers 20
now=$(val pids pids.current)
ok "$( [ "$now" -ge $((cur + 20)) ] && [ "$(maxev)" = "$ev0" ]; echo $?)" "raised again, all 20 start (tasks: $now)"
killsleepers

# ---- memory, live: lowered, an allocation past it is killed inside ----
check "lxm-cgroup memory 48M" -- lxm-cgroup -n "$c" memory 48M
if $v2; then
	is "memory.max follows" $((48 << 20)) "$(val memory memory.max)"
	$has_swap && is "memory.swap.max moves with it (128M - 48M)" $((80 << 20)) "$(val memory memory.swap.max)"
	oom() { awk '$1 == "oom_kill" { print $2 }' "$(cgf memory memory.events)"; }
else
	is "memory.limit_in_bytes follows" $((48 << 20)) "$(val memory memory.limit_in_bytes)"
	oom() { awk '$1 == "oom_kill" { print $2 }' "$(cgf memory memory.oom_control)"; }
fi
before=$(oom)
alloc 96
rc=$?
ok "$( [ $rc -eq 137 ]; echo $?)" "an allocation of 96M is killed (exit $rc)"
ok "$( [ "$(oom)" -gt "$before" ]; echo $?)" "by the container's own OOM killer (oom_kill $before -> $(oom))"
ok "$( [ "$(state_of "$c")" = RUNNING ] && [ -d /proc/$pid ]; echo $?)" "init and the host are fine"
alloc 16
ok $? "16M still works"
expect_error "^lxm-cgroup: $c: memory: 200M is more than limits.memory_swap \(128M\), which is memory plus swap$" \
	"memory above memory_swap: one error line" -- lxm-cgroup -n "$c" memory 200M
check "lxm-cgroup memory_swap 512M" -- lxm-cgroup -n "$c" memory_swap 512M
check "lxm-cgroup memory 200M" -- lxm-cgroup -n "$c" memory 200M
alloc 96
ok $? "raised, 96M works"
ok "$(grep -q 'memory = "200M";         # the memory limit' "$cfg" && grep -q 'memory_swap = "512M";   # memory plus swap' "$cfg"; echo $?)" \
	"memory and memory_swap are saved in place, comments kept"

# ---- --no-persist and raw cgroup files: the running container only ----
cp "$cfg" "$TEST_TMP/config.before"
check "lxm-cgroup --no-persist pids 77" -- lxm-cgroup -n "$c" --no-persist pids 77
is "pids.max is 77" 77 "$(val pids pids.max)"
ok "$(cmp -s "$cfg" "$TEST_TMP/config.before"; echo $?)" "the config is untouched"
if $v2; then raw=memory.high; else raw=memory.soft_limit_in_bytes; fi
check "lxm-cgroup $raw 64M" -- lxm-cgroup -n "$c" $raw $((64 << 20))
is "$raw is written" $((64 << 20)) "$(val memory $raw)"
is "and read back" $((64 << 20)) "$(lxm-cgroup -n "$c" $raw)"
ok "$(cmp -s "$cfg" "$TEST_TMP/config.before"; echo $?)" "a raw file never goes into the config"

# ---- bad values and keys: one line, exit 1, nothing changed ----
expect_error "^lxm-cgroup: $c: memory: invalid size '12X'$" "memory 12X" -- lxm-cgroup -n "$c" memory 12X
expect_error "^lxm-cgroup: $c: pids: 'abc' is not a number$" "pids abc" -- lxm-cgroup -n "$c" pids abc
expect_error "^lxm-cgroup: $c: cpu_weight: must be between 1 and 10000, got 0$" "cpu_weight 0" -- lxm-cgroup -n "$c" cpu_weight 0
expect_error "^lxm-cgroup: $c: io_weight: must be between 1 and 10000, got 20000$" "io_weight 20000" -- lxm-cgroup -n "$c" io_weight 20000
expect_error "^lxm-cgroup: $c: cpuset: invalid cpuset '0-': expected a list like '0-3,6'$" "cpuset 0-" -- lxm-cgroup -n "$c" cpuset 0-
expect_error "^lxm-cgroup: $c: 'foo' is not a limit \(memory, memory_swap, pids, cpu_weight, cpuset, io_weight\) or a cgroup file" \
	"an unknown key" -- lxm-cgroup -n "$c" foo 1
expect_error "^lxm-cgroup: $c: '../memory.max' is not a cgroup file name" "'..' is refused" -- lxm-cgroup -n "$c" ../memory.max 1
expect_error "^lxm-cgroup: $c: 'memory/../../x.y' is not a cgroup file name" "'/' is refused" -- lxm-cgroup -n "$c" memory/../../x.y 1
if $v2; then
	expect_error "^lxm-cgroup: $c: writing 'x' to '.*/memory.nosuchfile': No such file or directory$" \
		"a file the cgroup lacks" -- lxm-cgroup -n "$c" memory.nosuchfile x
else
	expect_error "^lxm-cgroup: $c: writing 'x': no file 'memory.nosuchfile' in the cgroup v1 hierarchy '$CG/memory/lxm/$c' \(a limit name, like 'memory', works on v1 and v2\)$" \
		"a file the cgroup lacks: one line naming the v1 hierarchy" -- lxm-cgroup -n "$c" memory.nosuchfile x
	# an LXC user's cgroup v2 name on this host's v1 memory controller
	expect_error "^lxm-cgroup: $c: reading: no file 'memory.max' in the cgroup v1 hierarchy '$CG/memory/lxm/$c' \(a limit name" \
		"reading the v2 'memory.max' on a v1 memory controller says it is v1" -- lxm-cgroup -n "$c" memory.max
fi
# no controller of that name anywhere, and cgroup.* (the v2 core files):
# both crashed lxm-cgroup (a NULL controller name)
out=$(lxm-cgroup -n "$c" foo.bar 2>&1); rc=$?
ok "$( [ $rc = 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | grep -q "^lxm-cgroup: $c: .*foo.bar"; echo $?)" \
	"a file of no controller: one error line, exit 1 (exit $rc: $out)"
if [ -d "$CG/unified" ] || $v2; then
	out=$(lxm-cgroup -n "$c" cgroup.procs 2>&1); rc=$?
	ok "$( [ $rc = 0 ] && printf '%s\n' "$out" | grep -qx "$pid"; echo $?)" "lxm-cgroup cgroup.procs lists init ($pid) (exit $rc)"
	if ! $v2 && [ -f "$CG/unified/lxm/$c/memory.pressure" ]; then
		out=$(lxm-cgroup -n "$c" memory.pressure 2>&1); rc=$?
		ok "$( [ $rc = 0 ] && printf '%s\n' "$out" | grep -q '^some avg10='; echo $?)" \
			"a v2 file the v1 hierarchy lacks is read from the v2 cgroup (memory.pressure, exit $rc)"
	fi
fi
expect_error "^lxm-cgroup: ${PFX}-none: no such container" "an unknown container" -- lxm-cgroup -n "${PFX}-none" pids 5
ok "$(cmp -s "$cfg" "$TEST_TMP/config.before" && [ "$(val pids pids.max)" = 77 ]; echo $?)" "none of them changed anything"

# ---- weights and cpuset, live ----
check "lxm-cgroup cpu_weight 300" -- lxm-cgroup -n "$c" cpu_weight 300
if $v2; then is "cpu.weight" 300 "$(val cpu cpu.weight)"; else is "cpu.shares" 3072 "$(val cpu cpu.shares)"; fi
if [ -n "$iofile" ]; then
	check "lxm-cgroup io_weight 50" -- lxm-cgroup -n "$c" io_weight 50
	is "lxm-cgroup io_weight" 50 "$(lxm-cgroup -n "$c" io_weight)"
else
	out=$(lxm-cgroup -n "$c" io_weight 50 2>&1)
	ok "$(echo "$out" | grep -q 'limits.io_weight: this host has no I/O weights.*, ignoring$' && grep -qx '	io_weight = 50;' "$cfg"; echo $?)" \
		"lxm-cgroup io_weight 50 on a host without I/O weights: a warning, and saved ($out)"
	expect_error "^lxm-cgroup: $c: limits.io_weight: this host has no I/O weights" "reading it: one error line" \
		-- lxm-cgroup -n "$c" io_weight
fi
check "lxm-cgroup cpuset ''" -- lxm-cgroup -n "$c" cpuset ''
ok "$(! grep -q 'cpuset' "$cfg"; echo $?)" "an unset cpuset leaves the config"
all_cpus=$(cat /sys/devices/system/cpu/online)
grep -q "^Cpus_allowed_list:[[:space:]]*$all_cpus$" /proc/$pid/status
r=$?
ok $r "init may run on every CPU again ($all_cpus)"
[ $r = 0 ] || diag "$(grep Cpus_allowed_list /proc/$pid/status); cpuset.cpus '$(val cpuset cpuset.cpus)', effective '$(val cpuset cpuset.cpus.effective)'"
check "lxm-cgroup memory_swap max" -- lxm-cgroup -n "$c" memory_swap max
$has_swap && is "lxm-cgroup memory_swap" max "$(lxm-cgroup -n "$c" memory_swap)"
ok "$(! grep -q 'memory_swap' "$cfg"; echo $?)" "memory_swap left the config"

# ---- with the monitor killed ----
mon=$(pgrep -f -- "lxm-start -n $c\$" | head -1)
if [ -n "$mon" ]; then
	kill -9 "$mon"
	sleep 0.2
	check "lxm-cgroup pids 60 without a monitor" -- lxm-cgroup -n "$c" pids 60
	is "pids.max" 60 "$(val pids pids.max)"
	ok "$(grep -qx '	pids = 60;' "$cfg"; echo $?)" "saved too"
else
	skip "no monitor process found"
fi
check "stop" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing is left after the stop"

# ---- a stopped container: only the config ----
check "lxm-cgroup pids 42 on the stopped container" -- lxm-cgroup -n "$c" pids 42
ok "$(grep -qx '	pids = 42;' "$cfg" && [ ! -d "$(cgf pids '')" ]; echo $?)" "saved, and no cgroup was made"
is "lxm-cgroup pids reads the config" 42 "$(lxm-cgroup -n "$c" pids)"
expect_error "^lxm-cgroup: $c: pids: the container is not running, and --no-persist leaves its config alone$" \
	"--no-persist on a stopped container" -- lxm-cgroup -n "$c" --no-persist pids 5
expect_error "^lxm-cgroup: $c: memory.max: the container is not running" "a raw file on a stopped container" \
	-- lxm-cgroup -n "$c" memory.max 5
check "start again" -- lxm-start -n "$c"
is "the next start applies the saved pids" 42 "$(val pids pids.max)"
if $v2; then is "and memory" $((200 << 20)) "$(val memory memory.max)"; else is "and memory" $((200 << 20)) "$(val memory memory.limit_in_bytes)"; fi

# ---- a crash leaves the cgroup behind: the next start gets a fresh one ----
check "lxm-cgroup --no-persist cpuset 0" -- lxm-cgroup -n "$c" --no-persist cpuset 0
check "lxm-cgroup $raw 64M" -- lxm-cgroup -n "$c" $raw $((64 << 20))
mon=$(pgrep -f -- "lxm-start -n $c\$" | head -1)
pid=$(pid_of "$c")
[ -n "$mon" ] && kill -9 "$mon"
[ -n "$pid" ] && kill -9 "$pid"
for i in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
ok "$( [ -n "$mon" ] && [ ! -d "/proc/$pid" ] && [ -d "$(cgf pids '')" ]; echo $?)" \
	"monitor and init killed: the cgroup is left behind"
check "start after the crash" -- lxm-start -n "$c"
pid=$(pid_of "$c")
ok "$(grep -q "^Cpus_allowed_list:[[:space:]]*$all_cpus$" /proc/$pid/status; echo $?)" \
	"the crashed run's --no-persist cpuset is gone: init may run on every CPU ($(grep Cpus_allowed_list /proc/$pid/status))"
if $v2; then dflt=max; else dflt=$(cat /sys/fs/cgroup/memory/$raw); fi
is "the crashed run's $raw is gone" "$dflt" "$(val memory $raw)"
is "the config's pids limit is there" 42 "$(val pids pids.max)"
check "stop" -- lxm-stop -n "$c" -k
check "destroy" -- lxm-destroy -n "$c"
no_leaks "$c" "nothing is left"

done_testing
