#!/bin/bash
# systemd-style cgroup delegation (issue 9): a container's root may create
# sub-cgroups in its own subtree, move its processes there and set limits
# on them, and nothing above its own cgroup. Runs in the VM (pure cgroup v2
# with nsdelegate, AppArmor enforcing, generated profiles) and, through
# tests/integration/test-delegation.sh, on a hybrid v1 + v2 host (the v2
# hierarchy at /sys/fs/cgroup/unified and the v1 pids hierarchy). For an
# unprivileged (default) and a privileged container.
#
# On v2 the container's root cgroup must hold no process once it enables
# controllers for its children ("no internal processes"): like systemd
# (init.scope), the probe first moves every process into a child "init".
. "$SRCDIR/tests/integration/lib.sh"
require_root

CG=/sys/fs/cgroup
if [ "$(stat -f -c %T $CG)" = cgroup2fs ]; then
	layout=unified V2=$CG
elif [ "$(stat -f -c %T $CG/unified 2>/dev/null)" = cgroup2fs ] && [ -d $CG/pids ]; then
	layout=hybrid V2=$CG/unified
else
	echo "1..0 # SKIP neither a pure cgroup v2 nor a hybrid (v1 pids + unified) host"
	exit 0
fi
diag "cgroup layout: $layout"

# The probe runs inside (lxm-attach) and prints KEY=VALUE lines.
probe_unified() {
	cat <<'EOF'
#!/bin/sh
cg=/sys/fs/cgroup
echo "self=$(cat /proc/self/cgroup | tr '\n' ' ')"
echo "mountroot=$(awk '$5 == "/sys/fs/cgroup" { print $4 }' /proc/self/mountinfo)"
mkdir $cg/init; echo "mkdir_init=$?"
for p in $(cat $cg/cgroup.procs); do echo $p >$cg/init/cgroup.procs 2>/dev/null; done
echo "root_procs=$(wc -l <$cg/cgroup.procs)"
echo "+pids +memory" >$cg/cgroup.subtree_control; echo "enable=$?"
echo "subtree=$(cat $cg/cgroup.subtree_control | tr ' ' ,)"
mkdir $cg/a; echo "mkdir_a=$?"
echo 4 >$cg/a/pids.max; echo "pidsmax=$?"
echo 16M >$cg/a/memory.max; echo "memmax=$?"
sleep 1000 </dev/null >/dev/null 2>&1 &
s=$!
echo $s >$cg/a/cgroup.procs; echo "move=$?"
echo "sleep_cg=$(cat /proc/$s/cgroup)"
# a shell in a/ forks until pids.max (4: the sleep, the shell, 2 more)
sh -c "echo \$\$ >$cg/a/cgroup.procs; n=0; for i in 1 2 3 4 5 6; do sleep 1000 </dev/null >/dev/null 2>&1 & [ \$? = 0 ] && n=\$((n + 1)); done" 2>/dev/null
echo "pids_current=$(cat $cg/a/pids.current)"
echo "pids_events=$(grep max $cg/a/pids.events)"
mkdir $cg/a/b; echo "mkdir_nested=$?"
# the container's own cgroup (the namespace's root): its limits stay
echo max >$cg/pids.max 2>/dev/null; echo "raise_pids=$?"
echo max >$cg/memory.max 2>/dev/null; echo "raise_mem=$?"
echo "roots=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) ~ /^cgroup/) print $4; break } }' /proc/self/mountinfo | sort -u | tr '\n' ' ')"
echo done=1
EOF
}

probe_hybrid() {
	cat <<'EOF'
#!/bin/sh
u=/sys/fs/cgroup/unified p=/sys/fs/cgroup/pids
echo "self=$(grep -E '^0::|:pids:' /proc/self/cgroup | tr '\n' ' ')"
sleep 1000 </dev/null >/dev/null 2>&1 &
s=$!
mkdir $u/a; echo "mkdir_a=$?"
echo $s >$u/a/cgroup.procs; echo "move=$?"
mkdir $p/a; echo "v1_mkdir_a=$?"
echo 4 >$p/a/pids.max; echo "v1_pidsmax=$?"
echo $s >$p/a/cgroup.procs; echo "v1_move=$?"
echo "sleep_cg=$(grep -E '^0::|:pids:' /proc/$s/cgroup | tr '\n' ' ')"
sh -c "echo \$\$ >$p/a/cgroup.procs; n=0; for i in 1 2 3 4 5 6; do sleep 1000 </dev/null >/dev/null 2>&1 & [ \$? = 0 ] && n=\$((n + 1)); done" 2>/dev/null
echo "pids_current=$(cat $p/a/pids.current)"
echo "pids_events=$(grep max $p/a/pids.events)"
mkdir $u/a/b; echo "mkdir_nested=$?"
echo max >$p/pids.max 2>/dev/null; echo "raise_pids=$?"
echo "roots=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) ~ /^cgroup/) print $4; break } }' /proc/self/mountinfo | sort -u | tr '\n' ' ')"
echo done=1
EOF
}

val() { printf '%s\n' "$out" | sed -n "s/^$1=//p" | head -1; }

run_case() {   # run_case NAME CREATE-ARGS...
	local c=$1 kind; shift
	local d r pid hp uid
	kind=unprivileged
	[ "${1:-}" = --privileged ] && kind=privileged
	check "$kind: create" -- lxm-create -n "$c" -t busybox "$@"
	cat >>"$LXM_PATH/$c/config" <<'EOF'
limits = { pids = 100; memory = "128M"; };
EOF
	[ $layout = hybrid ] && sed -i 's/memory = "128M"; //' "$LXM_PATH/$c/config"
	r=$LXM_PATH/$c/rootfs
	if [ $layout = unified ]; then probe_unified >"$r/deleg-probe"; else probe_hybrid >"$r/deleg-probe"; fi
	chmod 755 "$r/deleg-probe"
	check "$kind: start" -- timeout 90 lxm-start -n "$c"
	pid=$(pid_of "$c")
	d=$V2/lxm/$c
	uid=$(awk '/^Uid:/ { print $2 }' /proc/$pid/status 2>/dev/null)
	if [ $kind = unprivileged ]; then
		ok "$( [ -n "$uid" ] && [ "$uid" != 0 ] && [ "$(stat -c %u "$d")" = "$uid" ] &&
			[ "$(stat -c %u "$d/cgroup.procs")" = "$uid" ] && [ "$(stat -c %u "$d/cgroup.subtree_control")" = "$uid" ] &&
			[ "$(stat -c %u "$d/pids.max" 2>/dev/null || echo 0)" = 0 ]; echo $?)" \
			"$kind: $d and its delegation files belong to the container's root (host uid $uid), its limit files do not"
		if [ -r /sys/kernel/cgroup/delegate ]; then
			bad=""
			for f in $(cat /sys/kernel/cgroup/delegate); do
				[ -e "$d/$f" ] && [ "$(stat -c %u "$d/$f")" != "$uid" ] && bad="$bad $f"
			done
			ok "$( [ -z "$bad" ]; echo $?)" "$kind: every file in /sys/kernel/cgroup/delegate is the container root's${bad:+ (not:$bad)}"
		fi
	fi
	out=$(timeout 60 lxm-attach -n "$c" -- /bin/sh /deleg-probe 2>&1)
	[ "$(val done)" = 1 ] || diag "probe: $out"
	ok "$( [ "$(val mkdir_a)" = 0 ] && [ -d "$d/a" ]; echo $?)" "$kind: mkdir /sys/fs/cgroup${V2#$CG}/a inside makes $d/a on the host"
	ok "$( [ "$(val move)" = 0 ]; echo $?)" "$kind: a process moves into it ($(val sleep_cg))"
	hp=$(head -1 "$d/a/cgroup.procs" 2>/dev/null)
	ok "$( [ -n "$hp" ] && tr '\0' ' ' </proc/$hp/cmdline | grep -q '^sleep 1000' &&
		grep -q "^0::/lxm/$c/a\$" /proc/$hp/cgroup; echo $?)" \
		"$kind: from the host it is in lxm/$c/a ($(grep '^0::' /proc/${hp:-0}/cgroup 2>/dev/null))"
	ok "$( [ "$(val mkdir_nested)" = 0 ] && [ -d "$d/a/b" ]; echo $?)" "$kind: and deeper: $d/a/b"
	ok "$( [ "$(val roots)" = "/ " ]; echo $?)" \
		"$kind: nothing above: every cgroup mount inside has the container's cgroup as its root (roots: $(val roots))"
	if [ $layout = unified ]; then
		ok "$( [ "$(val mountroot)" = / ] && echo "$(val self)" | grep -q '^0::/ *$'; echo $?)" \
			"$kind: the cgroup namespace's root is the container's cgroup (self: $(val self), mount root: $(val mountroot))"
		ok "$( [ "$(val root_procs)" = 0 ] && [ "$(val enable)" = 0 ] &&
			echo ",$(val subtree)," | grep -q ',pids,' && echo ",$(val subtree)," | grep -q ',memory,'; echo $?)" \
			"$kind: with every process in /init, the container enables +pids +memory for its children ($(val subtree))"
		ok "$( [ "$(val pidsmax)" = 0 ] && [ "$(cat "$d/a/pids.max")" = 4 ] && [ "$(val memmax)" = 0 ] &&
			[ "$(cat "$d/a/memory.max")" = $((16 * 1024 * 1024)) ]; echo $?)" \
			"$kind: it sets pids.max and memory.max of its sub-cgroup (host: $(cat "$d/a/pids.max" 2>/dev/null), $(cat "$d/a/memory.max" 2>/dev/null))"
		ok "$( [ "$(val pids_current)" -le 4 ] 2>/dev/null && [ "$(val pids_events | awk '{ print $2 }')" -gt 0 ] 2>/dev/null; echo $?)" \
			"$kind: and it is enforced (6 forks tried: pids.current $(val pids_current), pids.events $(val pids_events))"
		ok "$( [ "$(val raise_pids)" != 0 ] && [ "$(val raise_mem)" != 0 ] && [ "$(cat "$d/pids.max")" = 100 ] &&
			[ "$(cat "$d/memory.max")" = $((128 * 1024 * 1024)) ]; echo $?)" \
			"$kind: the container cannot raise its own pids.max / memory.max (host: $(cat "$d/pids.max"), $(cat "$d/memory.max"))"
		ok "$(grep -q "^0::/lxm/$c/init\$" /proc/$pid/cgroup; echo $?)" "$kind: init itself moved to lxm/$c/init"
		# lxm-attach still works once the container's own cgroup may
		# hold no process: it joins init's cgroup
		a=$(timeout 20 lxm-attach -n "$c" -- /bin/cat /proc/self/cgroup 2>&1)
		ok "$(echo "$a" | grep -q '^0::/init$'; echo $?)" "$kind: lxm-attach after that runs in init's cgroup ($a)"
	else
		p1=$CG/pids/lxm/$c
		ok "$( [ "$(val v1_mkdir_a)" = 0 ] && [ "$(val v1_pidsmax)" = 0 ] && [ "$(cat "$p1/a/pids.max" 2>/dev/null)" = 4 ] &&
			[ "$(val v1_move)" = 0 ] && grep -qx "$hp" "$p1/a/cgroup.procs"; echo $?)" \
			"$kind: v1 pids: mkdir, pids.max and a process in $p1/a"
		ok "$( [ "$(val pids_current)" -le 4 ] 2>/dev/null && [ "$(val pids_events | awk '{ print $2 }')" -gt 0 ] 2>/dev/null; echo $?)" \
			"$kind: and it is enforced (6 forks tried: pids.current $(val pids_current), pids.events $(val pids_events))"
		if [ $kind = unprivileged ]; then
			ok "$( [ "$(val raise_pids)" != 0 ] && [ "$(cat "$p1/pids.max")" = 100 ]; echo $?)" \
				"$kind: the container cannot raise its own v1 pids.max (host: $(cat "$p1/pids.max"))"
		else
			skip "$kind: a privileged container's root is the host's root on v1 (no nsdelegate)"
		fi
	fi
	# a reboot: the next init gets the cgroup as lxm made it (on v2 the
	# controllers the old one enabled for its children made clone3 into
	# it fail with EBUSY, and the container stayed down)
	check "$kind: reboot" -- lxm-stop -n "$c" -r
	np=
	for i in $(seq 300); do
		np=$(pid_of "$c")
		[ -n "$np" ] && [ "$np" != "$pid" ] && [ "$(state_of "$c")" = RUNNING ] && break
		[ -e "$LXM_RUNDIR/$c" ] || break
		sleep 0.1
	done
	ok "$( [ -n "$np" ] && [ "$np" != "$pid" ] && [ "$(state_of "$c")" = RUNNING ]; echo $?)" \
		"$kind: the reboot brings up a new init ($pid -> ${np:-none}, $(state_of "$c"))"
	[ -n "$np" ] && [ "$np" != "$pid" ] || diag "$(tail -5 "$LXM_PATH/$c/$c.log" 2>/dev/null)"
	if [ $layout = unified ]; then
		ok "$( [ ! -e "$d/a" ] && [ ! -e "$d/init" ] && [ -z "$(cat "$d/cgroup.subtree_control")" ] &&
			grep -q "^0::/lxm/$c\$" /proc/$np/cgroup; echo $?)" \
			"$kind: the new init is in lxm/$c, which has none of the old one's sub-cgroups or controllers for them ($(ls "$d" | grep -v '\.' | tr '\n' ' ')subtree_control: '$(cat "$d/cgroup.subtree_control")')"
	else
		ok "$( [ ! -e "$d/a" ] && [ ! -e "$p1/a" ] && grep -q "^0::/lxm/$c\$" /proc/$np/cgroup; echo $?)" \
			"$kind: the new init is in lxm/$c, without the old one's sub-cgroups ($d/a, $p1/a)"
	fi
	check "$kind: stop" -- lxm-stop -n "$c" -k
	no_leaks "$c" "$kind: the container's cgroup and the sub-cgroups it made are gone after the stop"
	check "$kind: destroy" -- lxm-destroy -n "$c"
}

run_case "${PFX}-du"
run_case "${PFX}-dp" --privileged

done_testing
