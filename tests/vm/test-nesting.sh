#!/bin/bash
# security.nesting = true: lxm runs a container inside a container. A
# default (unprivileged) busybox container with nesting gets the lxm
# commands of the build tree bind-mounted read-only (with the libraries
# they load and the templates); inside it, lxm-create -t busybox and
# lxm-start make a nested default container that reaches RUNNING, in a
# user namespace inside the outer one, in a cgroup below the outer's, and
# lxm-attach into it works. Also: the clean proc and sysfs that make the
# nested proc/sysfs mounts possible (/dev/.lxm) are no way around the
# AppArmor profile, and without nesting the same start is refused.
# In the VM (pure cgroup v2, AppArmor enforcing) and, through
# tests/integration/test-nesting.sh, on this host.
. "$SRCDIR/tests/integration/lib.sh"
require_root

CG=/sys/fs/cgroup
if [ "$(stat -f -c %T $CG)" = cgroup2fs ]; then V2=$CG; else V2=$CG/unified; fi
aa=0
[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && [ -r /sys/kernel/security/apparmor/profiles ] &&
	command -v apparmor_parser >/dev/null && aa=1

# the lxm commands, their libraries and the templates, read-only
mounts="mounts = (
	{ source = \"$BUILDDIR\"; target = \"/lxm/build\"; options = \"bind,ro,create=dir\"; },
	{ source = \"$LXM_TEMPLATEDIR\"; target = \"/lxm/templates\"; options = \"bind,ro,create=dir\"; }"
for d in /lib /lib64 /usr/lib; do
	[ -d $d ] && mounts="$mounts,
	{ source = \"$d\"; target = \"$d\"; options = \"bind,ro,create=dir,optional\"; }"
done
mounts="$mounts
);"
printf 'security = { nesting = true; };\n%s\n' "$mounts" >"$TEST_TMP/nesting.conf"
printf '%s\n' "$mounts" >"$TEST_TMP/plain.conf"

# what runs inside the outer container (lxm-attach), KEY=VALUE lines
cat >"$TEST_TMP/nested.sh" <<'EOF'
#!/bin/sh
export PATH=/lxm/build:$PATH LXM_TEMPLATEDIR=/lxm/templates
n=nested
if [ "${LIMIT:-0}" = 1 ] && [ -e /sys/fs/cgroup/cgroup.subtree_control ]; then
	# cgroup v2: like systemd (init.scope), every process leaves the
	# container's root cgroup, which may then pass controllers on
	mkdir -p /sys/fs/cgroup/init
	for p in $(cat /sys/fs/cgroup/cgroup.procs); do echo $p >/sys/fs/cgroup/init/cgroup.procs; done 2>/dev/null
fi
lxm-create -n $n -t busybox >/tmp/create.out 2>&1; echo "create=$?"
[ "${LIMIT:-0}" = 1 ] && echo 'limits = { pids = 50; };' >>/var/lib/lxm/$n/config
echo "create_out=$(tr '\n' ' ' </tmp/create.out)"
echo "idmap=$(grep 'type = "u"' /var/lib/lxm/$n/config | tr -d '\t')"
lxm-start -n $n >/tmp/start.out 2>&1; echo "start=$?"
echo "start_out=$(tr '\n' ' ' </tmp/start.out)"
echo "state=$(lxm-info -n $n -s | awk '{ print $2 }')"
echo "pid=$(lxm-info -n $n -p | awk '{ print $2 }')"
echo "attach=$(lxm-attach -n $n -- /bin/sh -c 'echo "$(hostname) $(id -u) $(cat /proc/1/cgroup | grep "^0::")"' 2>/dev/null)"
echo "nested_uidmap=$(lxm-attach -n $n -- /bin/cat /proc/self/uid_map 2>/dev/null | awk '{ print $1, $2, $3 }')"
echo "nested_proc=$(lxm-attach -n $n -- /bin/sh -c 'ls /proc/1/ >/dev/null && echo ok' 2>/dev/null)"
echo "sysrq_nested=$(lxm-attach -n $n -- /bin/sh -c 'echo h >/proc/sysrq-trigger 2>/dev/null; echo $?' 2>/dev/null)"
[ "${KEEP:-0}" = 1 ] && { echo done=1; exit 0; }
lxm-stop -n $n -t 10 >/dev/null 2>&1; echo "stop=$?"
echo "state_after=$(lxm-info -n $n -s | awk '{ print $2 }')"
lxm-destroy -n $n >/dev/null 2>&1; echo "destroy=$?"
echo done=1
EOF
chmod 755 "$TEST_TMP/nested.sh"
val() { printf '%s\n' "$out" | sed -n "s/^$1=//p" | head -1; }
run_nested() {   # run_nested NAME [KEEP [LIMIT]]
	cp "$TEST_TMP/nested.sh" "$LXM_PATH/$1/rootfs/nested.sh"
	out=$(timeout 180 lxm-attach -n "$1" -v KEEP=${2:-0} -v LIMIT=${3:-0} -- /bin/sh /nested.sh 2>&1)
}

o=${PFX}-nest
check "create a default (unprivileged) busybox container with security.nesting = true" -- \
	lxm-create -n "$o" -t busybox -f "$TEST_TMP/nesting.conf"
grep -q 'nesting = true' "$LXM_PATH/$o/config" || sed -i 's/^security = {/security = {\n\tnesting = true;/' "$LXM_PATH/$o/config"
ocount=$(sed -n 's/.*type = "u"; container = 0; host = [0-9]*; count = \([0-9]*\).*/\1/p' "$LXM_PATH/$o/config")
ohost=$(sed -n 's/.*type = "u"; container = 0; host = \([0-9]*\);.*/\1/p' "$LXM_PATH/$o/config")
ok "$( [ "${ocount:-0}" -gt 65536 ]; echo $?)" "it gets more ids than a container needs itself ($ocount from $ohost)"
t0=$(date +%s%N)
check "start it" -- timeout 120 lxm-start -n "$o"
diag "outer start: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
opid=$(pid_of "$o")
mi=$(cat /proc/$opid/mountinfo 2>/dev/null)
ok "$(echo "$mi" | awk '$5 == "/dev/.lxm/proc"' | grep -q ' - proc ' && echo "$mi" | awk '$5 == "/dev/.lxm/sys"' | grep -q ' - sysfs '; echo $?)" \
	"it has an unobstructed proc and sysfs at /dev/.lxm/proc and /dev/.lxm/sys"
ok "$( ! echo "$mi" | awk '$5 ~ "^/dev/.lxm/(proc|sys)/"' | grep -q .; echo $?)" "with nothing mounted on top of them"
if [ $aa = 1 ]; then
	lbl=$(cat /proc/$opid/attr/current 2>/dev/null)
	ok "$(echo "$lbl" | grep -q "^lxm-${o}_.* (enforce)\$"; echo $?)" "init runs under its generated profile ($lbl)"
	r=$(lxm-attach -n "$o" -- /bin/sh -c 'cat /dev/.lxm/proc/uptime 2>&1; cat /dev/.lxm/sys/kernel/uevent_seqnum 2>&1' 2>&1)
	ok "$( [ "$(echo "$r" | grep -c 'Permission denied')" = 2 ]; echo $?)" \
		"the profile denies reading through /dev/.lxm/proc and /dev/.lxm/sys ($(echo "$r" | tr '\n' ' '))"
else
	skip "AppArmor is not enabled here: no profile to check"
	skip "AppArmor is not enabled here: no profile to check"
fi
# host-wide knobs through the clean proc: the kernel (unmapped owner) and,
# where enabled, AppArmor refuse
r=$(lxm-attach -n "$o" -- /bin/sh -c 'echo 1 >/dev/.lxm/proc/sys/vm/drop_caches; echo rc=$?
	[ -e /proc/sysrq-trigger ] && { echo h >/dev/.lxm/proc/sysrq-trigger; echo rc=$?; }' 2>&1)
ok "$(echo "$r" | grep -q 'rc=' && ! echo "$r" | grep -q 'rc=0'; echo $?)" \
	"writing /dev/.lxm/proc/sys/vm/drop_caches (and sysrq-trigger) fails ($(echo "$r" | tr '\n' ' '))"

t0=$(date +%s%N)
run_nested "$o" 1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ "$(val done)" != 1 ] || [ "$(val state)" != RUNNING ]; then
	printf '%s\n' "$out" | sed 's/^/# inside: /'
	dmesg 2>/dev/null | grep -a 'apparmor="DENIED"' | tail -5 | sed 's/^/# dmesg: /'
fi
ok "$( [ "$(val create)" = 0 ]; echo $?)" "inside: lxm-create -t busybox of a nested default container ($(val idmap))"
ok "$( [ "$(val start)" = 0 ] && [ "$(val state)" = RUNNING ]; echo $?)" \
	"inside: lxm-start; the nested container is $(val state) (create + start + attach: $ms ms)$( [ "$(val start)" = 0 ] || echo ": $(val start_out)")"
ok "$(val attach | grep -q '^nested 0 0::/$'; echo $?)" "inside: lxm-attach into it: hostname, uid 0, its own cgroup root ($(val attach))"
ok "$( [ "$(val nested_proc)" = ok ]; echo $?)" "the nested container has its own proc"
ok "$( [ "$(val sysrq_nested)" != 0 ] && [ -n "$(val sysrq_nested)" ]; echo $?)" "and cannot write its /proc/sysrq-trigger"
# from the host: the nested init is a process of the outer's id range,
# in a cgroup below the outer container's
npid=""
for p in $(grep -l "^0::/lxm/$o/lxm/nested\$" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3); do
	[ "$(awk '/^NSpid:/ { print $(NF) }' /proc/$p/status)" = 1 ] && npid=$p
done
nuid=$(awk '/^Uid:/ { print $2 }' /proc/${npid:-0}/status 2>/dev/null)
ok "$( [ -n "$npid" ] && [ -d "$V2/lxm/$o/lxm/nested" ]; echo $?)" \
	"from the host: the nested init (pid ${npid:-none}) is in $V2/lxm/$o/lxm/nested"
ok "$( [ -n "$nuid" ] && [ "$nuid" -gt "$ohost" ] && [ "$nuid" -lt $((ohost + ocount)) ]; echo $?)" \
	"it runs as host uid ${nuid:-?}, inside the outer container's range ($ohost-$((ohost + ocount - 1)))"
ok "$( [ -n "$npid" ] && [ "$(readlink /proc/$npid/ns/user)" != "$(readlink /proc/$opid/ns/user)" ] &&
	[ "$(readlink /proc/$npid/ns/pid)" != "$(readlink /proc/$opid/ns/pid)" ]; echo $?)" \
	"in its own user and PID namespaces"
if [ $aa = 1 ]; then
	ok "$( [ "$(cat /proc/${npid:-0}/attr/current 2>/dev/null)" = "$lbl" ]; echo $?)" \
		"and still under the outer container's AppArmor profile ($(cat /proc/${npid:-0}/attr/current 2>/dev/null))"
else
	skip "AppArmor is not enabled here"
fi
out=$(timeout 60 lxm-attach -n "$o" -- /bin/sh -c 'export PATH=/lxm/build:$PATH; lxm-stop -n nested -t 10 && lxm-info -n nested -s && lxm-destroy -n nested && echo gone' 2>&1)
ok "$(echo "$out" | grep -q STOPPED && echo "$out" | grep -q '^gone$'; echo $?)" "inside: lxm-stop and lxm-destroy of the nested container ($(echo "$out" | tr '\n' ' '))"
ok "$( [ ! -d "$V2/lxm/$o/lxm/nested" ]; echo $?)" "its cgroup is gone"
# a nested container with a limit of its own, stopped together with the
# outer one: nothing left. On v2 the outer container's processes first
# leave its root cgroup (as systemd does) so that it can pass controllers on
run_nested "$o" 1 1
[ "$(val state)" = RUNNING ] || printf '%s\n' "$out" | sed 's/^/# inside: /'
ok "$( [ "$(val state)" = RUNNING ]; echo $?)" "a second nested container runs, with limits.pids = 50"
if [ "$V2" = "$CG" ]; then pm=$V2/lxm/$o/lxm/nested/pids.max; else pm=$CG/pids/lxm/$o/lxm/nested/pids.max; fi
ok "$( [ "$(cat "$pm" 2>/dev/null)" = 50 ]; echo $?)" "its pids.max is set, below the outer container's cgroup ($pm: $(cat "$pm" 2>/dev/null))"
check "stop the outer container with the nested one running" -- lxm-stop -n "$o" -k
no_leaks "$o" "nothing is left (cgroups of both included)"

# a privileged container with nesting: the nested default container gets
# a user namespace of its own (ids from the host's range for root)
pn=${PFX}-pnest
check "privileged: create a --privileged container with nesting" -- \
	lxm-create -n "$pn" -t busybox --privileged -f "$TEST_TMP/nesting.conf"
check "privileged: start it" -- timeout 120 lxm-start -n "$pn"
run_nested "$pn"
[ "$(val state)" = RUNNING ] || printf '%s\n' "$out" | sed 's/^/# inside: /'
ok "$( [ "$(val start)" = 0 ] && [ "$(val state)" = RUNNING ] && val attach | grep -q '^nested 0 0::/$'; echo $?)" \
	"privileged: a nested default container reaches RUNNING and answers lxm-attach ($(val attach))"
ok "$( [ "$(val nested_uidmap | awk '{ print $1, $3 }')" = "0 65536" ] && [ "$(val nested_uidmap | awk '{ print $2 }')" != 0 ]; echo $?)" \
	"privileged: in a user namespace of its own ($(val nested_uidmap))"
ok "$( [ "$(val stop)" = 0 ] && [ "$(val state_after)" = STOPPED ] && [ "$(val destroy)" = 0 ]; echo $?)" \
	"privileged: inside: stop and destroy"
check "privileged: stop it" -- lxm-stop -n "$pn" -k
no_leaks "$pn" "privileged: nothing is left"
lxm-destroy -n "$pn" >/dev/null 2>&1

# without nesting: the same is refused
p=${PFX}-flat
check "create a container without nesting" -- lxm-create -n "$p" -t busybox -f "$TEST_TMP/plain.conf"
# as many ids as the nesting one: only the nesting setting differs
sed -i 's/count = 65536;/count = 131072;/' "$LXM_PATH/$p/config"
check "start it" -- timeout 120 lxm-start -n "$p"
run_nested "$p"
ok "$( [ "$(val start)" != 0 ] && [ "$(val state)" != RUNNING ] && val start_out | grep -q 'without security.nesting'; echo $?)" \
	"inside it, a nested start fails and says why ($(val start_out))"
check "stop it" -- lxm-stop -n "$p" -k
no_leaks "$p" "nothing is left"
lxm-destroy -n "$p" >/dev/null 2>&1
check "destroy the nesting container" -- lxm-destroy -n "$o"

done_testing
