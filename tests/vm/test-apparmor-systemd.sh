#!/bin/bash
# Inside the VM (tests/vm/run, which puts a Debian bookworm archive in the
# VM when it has one: LXM_VM_DEBIAN): a privileged Debian container under
# its generated AppArmor profile, enforced, boots systemd, and the services
# that sandbox themselves start: systemd 252 builds each one's mount
# namespace under /run/systemd/unit-root (rbind of "/", a new proc for
# ProtectProc=, bind-onto-itself and read-only remounts for
# ProtectKernelTunables=, a /dev built in /tmp and moved in for
# PrivateDevices=) and moves that tree onto "/". The profile allows those
# mounts and no others of proc and sysfs (test-apparmor.sh tries them).
# vm-timeout: 900
. "$SRCDIR/tests/integration/lib.sh"
require_root

require_apparmor
deb=${LXM_VM_DEBIAN:-}
if [ -z "$deb" ] || [ ! -s "$deb/debian/bookworm-amd64.tar.zst" ]; then
	echo "1..0 # SKIP no Debian bookworm archive in the VM (tests/vm/run takes it from LXM_VM_DEBIAN_ARCHIVE or test-debian.sh's cache)"
	exit 0
fi
for t in zstd tar; do
	command -v $t >/dev/null || { echo "1..0 # SKIP '$t' is not in the VM"; exit 0; }
done

# every AppArmor denial, not only the first ten in five seconds
echo 100000 >/proc/sys/kernel/printk_ratelimit_burst
dmesg -c >/dev/null 2>&1

# The template under bash: the VM's /bin/sh is busybox, whose sh runs its
# own tar applet (no --xattrs) before the GNU tar in PATH.
mkdir -p "$TEST_TMP/templates"
printf '#!/bin/bash\nexec /bin/bash %q "$@"\n' "$LXM_TEMPLATEDIR/lxm-debian" >"$TEST_TMP/templates/lxm-debian"
chmod 755 "$TEST_TMP/templates/lxm-debian"

d=${PFX}-sd
t0=$(date +%s)
out=$(LXM_TEMPLATEDIR=$TEST_TMP/templates LXM_CACHEDIR=$deb timeout 300 \
	lxm-create -n "$d" -t debian --privileged -- -r bookworm --arch amd64 2>&1)
rc=$?
ok $rc "create a privileged Debian bookworm container from the archive ($(( $(date +%s) - t0 )) s)"
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'
if [ $rc -ne 0 ]; then
	done_testing
	exit
fi
! grep -q '^idmap' "$LXM_PATH/$d/config" 2>/dev/null
ok $? "it is privileged (no idmap)"

t0=$(date +%s)
timeout 120 lxm-start -n "$d" >"$TEST_TMP/start.out" 2>&1
rc=$?
ok $rc "start it under its generated profile"
[ $rc -eq 0 ] || sed 's/^/#   /' "$TEST_TMP/start.out"
if [ $rc -ne 0 ]; then
	dmesg | grep 'apparmor="DENIED"' | tail -5 | sed 's/^/#   /'
	done_testing
	exit
fi
pid=$(pid_of "$d")
label=$(cat /proc/$pid/attr/current 2>/dev/null)
ok "$(case $label in "lxm-${d}_"*" (enforce)") echo 0 ;; *) echo 1 ;; esac)" "systemd runs under it, enforced ($label)"

st=$(wait_running "$d" 400)
ok "$( [ "$st" = running ]; echo $?)" \
	"systemctl is-system-running: running ($st, $(( $(date +%s) - t0 )) s after lxm-start)"
failed=$(timeout 30 lxm-attach -n "$d" -- systemctl --failed --no-pager --no-legend --plain 2>&1)
ok "$( [ -z "$failed" ]; echo $?)" "no unit failed"
[ -z "$failed" ] || printf '%s\n' "$failed" | sed 's/^/#   failed: /'
for u in $(printf '%s\n' "$failed" | awk '{ print $1 }' | head -5); do
	timeout 30 lxm-attach -n "$d" -- journalctl -b -u "$u" -n 12 --no-pager -o cat 2>&1 | grep -v '^Stopped\|repeated too quickly\|Scheduled restart' |
		head -6 | sed "s|^|#   $u: |"
done

# logind: PrivateTmp=, ProtectSystem=strict, ProtectHome=,
# ProtectControlGroups=, ProtectKernelLogs=, ProtectKernelModules=
act=$(timeout 30 lxm-attach -n "$d" -- systemctl is-active systemd-logind.service 2>&1)
ok "$( [ "$act" = active ]; echo $?)" "systemd-logind (PrivateTmp=, ProtectSystem=strict, ProtectHome=, ...) is active ($act)"
# timedated, started on demand (timedatectl): ProtectKernelTunables=,
# ProtectProc=invisible, ProtectControlGroups=, ProtectSystem=strict
tz=$(timeout 60 lxm-attach -n "$d" -- timedatectl show -p Timezone --value 2>&1)
act=$(timeout 30 lxm-attach -n "$d" -- systemctl is-active systemd-timedated.service 2>&1)
ok "$( [ "$act" = active ] && [ -n "$tz" ] && ! echo "$tz" | grep -q ' '; echo $?)" \
	"systemd-timedated (ProtectKernelTunables=, ProtectProc=invisible) starts and answers ($act, time zone '$tz')"
[ "$act" = active ] || timeout 30 lxm-attach -n "$d" -- journalctl -b -u systemd-timedated -n 12 --no-pager -o cat 2>&1 |
	grep -v '^Stopped\|repeated too quickly\|Scheduled restart' | head -6 | sed "s|^|#   timedated: |"
tpid=$(timeout 30 lxm-attach -n "$d" -- systemctl show -p MainPID --value systemd-timedated.service 2>/dev/null)
# its namespace, seen from the VM (found by its pid in the container):
# the sandbox took effect
hostpid=
for p in $(pgrep -x systemd-timedat); do
	[ "$(awk '/^NSpid:/ { print $NF }' /proc/$p/status)" = "$tpid" ] && hostpid=$p
done
mi=$( [ -n "$hostpid" ] && cat /proc/$hostpid/mountinfo 2>/dev/null)
ok "$(echo "$mi" | awk '$5 == "/proc/sys" { split($6, o, ","); if (o[1] == "ro") f = 1 } END { exit !f }'; echo $?)" \
	"timedated's /proc/sys is mounted read-only (ProtectKernelTunables=)"
ok "$(echo "$mi" | awk '$5 == "/proc" && / - proc / && /hidepid=(invisible|2)/ { f = 1 } END { exit !f }'; echo $?)" \
	"timedated has a proc of its own with hidepid=invisible (ProtectProc=)"
ok "$(echo "$mi" | awk '$5 == "/sys/fs/cgroup" { split($6, o, ","); if (o[1] == "ro") f = 1 } END { exit !f }'; echo $?)" \
	"timedated's /sys/fs/cgroup is read-only (ProtectControlGroups=)"
[ -n "$mi" ] || diag "no mountinfo of systemd-timedated (container pid '${tpid:-}')"
# hostnamed, on demand too: PrivateDevices= (a /dev built in /tmp and
# moved in), PrivateNetwork=, ProtectProc=invisible
hn=$(timeout 60 lxm-attach -n "$d" -- hostnamectl --static 2>&1)
act=$(timeout 30 lxm-attach -n "$d" -- systemctl is-active systemd-hostnamed.service 2>&1)
ok "$( [ "$act" = active ] && [ "$hn" = "$d" ]; echo $?)" \
	"systemd-hostnamed (PrivateDevices=, PrivateNetwork=) starts and answers ($act, hostname '$hn')"
hpid=$(timeout 30 lxm-attach -n "$d" -- systemctl show -p MainPID --value systemd-hostnamed.service 2>/dev/null)
hostpid=
for p in $(pgrep -x systemd-hostnam); do
	[ "$(awk '/^NSpid:/ { print $NF }' /proc/$p/status)" = "$hpid" ] && hostpid=$p
done
mi=$( [ -n "$hostpid" ] && cat /proc/$hostpid/mountinfo 2>/dev/null)
ok "$(echo "$mi" | awk '$5 == "/dev" && / - tmpfs / { f = 1 } END { exit !f }'; echo $?)" \
	"hostnamed has a /dev of its own (PrivateDevices=)"

# (but one: the lockf() systemd makes on the unix socket that keeps a
# PrivateNetwork= namespace, denied as "file_lock" ... "send" with the
# profile before this one too; hostnamed starts all the same)
den=$(dmesg | grep 'apparmor="DENIED"' | grep "lxm-${d}_" | grep -v 'operation="file_lock".*family="unix"')
ok "$( [ -z "$den" ]; echo $?)" "the profile denied nothing during the boot and the starts ($(echo "$den" | grep -c .) denials)"
[ -z "$den" ] || printf '%s\n' "$den" | sed -E 's/.*apparmor="DENIED"/DENIED/' | sort | uniq -c | sort -rn | head -25 | sed 's/^/#   /'

t0=$(date +%s)
lxm-stop -n "$d" -t 120 >/dev/null 2>&1
ok $? "lxm-stop halts it ($(( $(date +%s) - t0 )) s)"
lxm-destroy -n "$d" >/dev/null 2>&1
no_leaks "$d" "nothing is left"

done_testing
