#!/bin/bash
# Inside the VM (tests/vm/run): a `phys` device of a driver (QEMU's e1000,
# on a hub with no other port: nothing it sends goes anywhere). It goes in
# under its inside name with the config's MTU and MAC, and comes back under
# its host name with its host MTU and MAC after a stop, and also when init
# died while its monitor was dead: then nobody holds the container's
# network namespace, the kernel gives the device back to the host under
# its inside name, and lxm-stop has to find it (by its MAC) and rename it.
# On the host of the other tests a phys device is a veth, which the kernel
# deletes with the namespace instead.
. "$SRCDIR/tests/integration/lib.sh"
require_root

modprobe e1000 2>/dev/null
dev=$(for d in /sys/class/net/*; do
	[ "$(basename "$(readlink -f "$d/device/driver" 2>/dev/null)")" = e1000 ] && basename "$d"
done | head -1)
if [ -z "$dev" ]; then
	echo "1..0 # SKIP no e1000 device (the VM runs with one on an empty hub)"
	exit 0
fi
PHYS=lxmphys0
ip link set dev "$dev" down
ip link set dev "$dev" name "$PHYS" mtu 1400 address 52:54:00:12:34:57 || { echo "1..0 # SKIP cannot set up $dev"; exit 0; }
trap 'cleanup_containers; ip link set dev "$PHYS" name "$dev" 2>/dev/null' EXIT
as_before() { ip -o link show dev "$PHYS" 2>/dev/null | grep -q " mtu 1400 .*link/ether 52:54:00:12:34:57 "; }

c=${PFX}-ph
printf 'net = ( { type = "phys"; link = "%s"; name = "eth1"; mtu = 1300; hwaddr = "00:16:3e:00:0c:0d"; ipv4 = ["10.233.0.2/24"]; } );\n' \
	"$PHYS" >"$TEST_TMP/phys.conf"
check "create a privileged busybox container with it" -- lxm-create -n "$c" -t busybox --privileged -f "$TEST_TMP/phys.conf"
check "start it" -- lxm-start -n "$c"
in=$(lxm-attach -n "$c" -- ip -o link show dev eth1 2>&1)
ok "$(! ip link show dev "$PHYS" >/dev/null 2>&1 && printf '%s\n' "$in" | grep -q " mtu 1300 .*link/ether 00:16:3e:00:0c:0d "; echo $?)" \
	"the e1000 device is inside as eth1 with the config's MTU and MAC"
check "stop it" -- lxm-stop -n "$c" -k
ok "$(as_before; echo $?)" "it is back as $PHYS with its host MTU and MAC"

check "start it again" -- lxm-start -n "$c"
pid=$(pid_of "$c")
mon=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
kill -9 "$mon"; sleep 0.2; kill -9 "$pid"
for _ in $(seq 1 100); do ip link show dev eth1 >/dev/null 2>&1 && break; sleep 0.02; done
ok "$(ip link show dev eth1 >/dev/null 2>&1; echo $?)" \
	"with its monitor and then its init killed, the kernel gives it back to the host as eth1"
err=$(lxm-stop -n "$c" 2>&1); rc=$?
ok "$([ $rc = 0 ] && [ -z "$err" ] && as_before && ! ip link show dev eth1 >/dev/null 2>&1; echo $?)" \
	"lxm-stop finds it and gives it its name, MTU and MAC back${err:+ ($err)}"
# the same after the container gave the device a MAC of its own: found by
# the index it kept, down as a device fresh from a namespace is
check "start it once more" -- lxm-start -n "$c"
check "the container changes the device's MAC" -- lxm-attach -n "$c" -- ip link set dev eth1 address 02:00:00:00:0c:0e
pid=$(pid_of "$c")
mon=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
kill -9 "$mon"; sleep 0.2; kill -9 "$pid"
err=$(lxm-stop -n "$c" 2>&1); rc=$?
ok "$([ $rc = 0 ] && [ -z "$err" ] && as_before; echo $?)" \
	"lxm-stop finds it by its index and gives its name, MTU and MAC back${err:+ ($err)}"
no_leaks "$c" "nothing left"
done_testing
