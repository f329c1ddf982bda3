#!/bin/bash
# Networking: lxm-net (bridge, dnsmasq, nftables), veth with static and DHCP
# addresses, MAC and MTU, macvlan, phys (returned on every stop path),
# empty, none refused unprivileged, lxm-info -i / lxm-ls -f, teardown.
# Everything runs on a bridge, subnet, nft table and dummy devices of this
# test's own; nothing talks to anything the test did not make.
. "$(dirname "$0")/lib.sh"
require_root
for cmd in dnsmasq nft ip busybox; do
	command -v $cmd >/dev/null || { echo "1..0 # SKIP $cmd not installed"; exit 0; }
done

export LXM_NET=$SRCDIR/net/lxm-net
export LXM_NET_LEASEDIR=$TEST_TMP         # dnsmasq's leases (they outlive a stop)
BR=lxmt$$                                  # <= 11 chars
NET3=10.231.$(( $$ % 250 ))                # this test's /24
GW=$NET3.1
NET6=fd42:7e57:$(printf %x $(( $$ % 65536 )))   # this test's IPv6 /64 (unique local)
GW6=$NET6::1
PHYS=lxmp$$
MVPARENT=lxmm$$
cat >"$LXM_CONFDIR/lxm.conf" <<EOF
net_bridge = "$BR";
net_ipv4 = "$GW/24";
net_ipv6 = "$GW6/64";
net_nat = true;
net_domain = "";
EOF
NETRUN=$LXM_RUNDIR/.net-$BR
FWD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)
FWD6_BEFORE=$(cat /proc/sys/net/ipv6/conf/all/forwarding)
NFT_BEFORE=$(nft list tables 2>/dev/null)

net_cleanup() {
	# lxm-net's state (dnsmasq's pid file) is under $TEST_TMP: stopped first
	cleanup_containers
	"$LXM_NET" stop --force >/dev/null 2>&1   # (a veth may still be going)
	ip link del "$BR" 2>/dev/null
	ip link del "$PHYS" 2>/dev/null
	ip link del "lxmr$$" 2>/dev/null
	ip link del "lxmnb$$" 2>/dev/null
	ip link del "$MVPARENT" 2>/dev/null
	ip link del "lxmy$$" 2>/dev/null
	ip link del "lxmf${$}a" 2>/dev/null
	ip link del "lxmf${$}b" 2>/dev/null
	nft delete table ip "lxm_$BR" 2>/dev/null
	nft delete table ip6 "lxm_$BR" 2>/dev/null
	echo "$FWD_BEFORE" >/proc/sys/net/ipv4/ip_forward
	echo "$FWD6_BEFORE" >/proc/sys/net/ipv6/conf/all/forwarding
	# the tables iptables (over nftables) makes on its first use, when
	# this test made them and they are empty again
	nft list tables 2>/dev/null | while read -r _ fam name; do
		printf '%s\n' "$NFT_BEFORE" | grep -qx "table $fam $name" && continue
		case $name in nat|filter) ;; *) continue ;; esac
		nft list table "$fam" "$name" 2>/dev/null | grep -qvE '^[[:space:]]*(table |chain |type |}|$)' ||
			nft delete table "$fam" "$name" 2>/dev/null
	done
	rm -rf "$TEST_TMP"
}
trap net_cleanup EXIT

# host veth ends of this test's containers (all named vlxm<name...>)
host_veths() { ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^vlxm(t$$|t${$:0:4})" ; }
no_veths() {
	# host veth ends go with the container's namespace, which the kernel
	# releases just after the stop returns: give it a second
	local v i
	for i in $(seq 1 100); do
		v=$(host_veths)
		[ -z "$v" ] && break
		sleep 0.01
	done
	if [ -z "$v" ]; then ok 0 "$1"; else ok 1 "$1"; diag "left: $v"; fi
}

mkconf() {  # mkconf NAME CONFTEXT: a privileged busybox container with this net config
	printf '%s\n' "$2" >"$TEST_TMP/$1.conf"
	lxm-create -n "$1" -t busybox --privileged -f "$TEST_TMP/$1.conf" >/dev/null
}

ip4_of() { lxm-info -n "$1" -i 2>/dev/null | awk '$1 == "IP:" && $2 ~ /\./ {print $2; exit}'; }

# ---- lxm-net ----
net_snapshot() {
	ip link show dev "$BR" 2>/dev/null; ip addr show dev "$BR" 2>/dev/null | grep inet; cat "$NETRUN/state" 2>/dev/null
	nft list table ip "lxm_$BR" 2>/dev/null; nft list table ip6 "lxm_$BR" 2>/dev/null
	cat "$NETRUN/dnsmasq.pid" 2>/dev/null; cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding
}
check "lxm-net start" -- "$LXM_NET" start
ok "$(ip link show dev "$BR" >/dev/null 2>&1; echo $?)" "the bridge exists"
ok "$(ip -4 addr show dev "$BR" | grep -qF "inet $GW/24"; echo $?)" "the bridge has $GW/24"
ok "$(ip -6 addr show dev "$BR" | grep -F "inet6 $GW6/64" | grep -qv tentative; echo $?)" \
	"the bridge has $GW6/64, usable at once (no DAD)"
ok "$(nft list tables | grep -qx "table ip lxm_$BR"; echo $?)" "nftables table lxm_$BR"
ok "$(nft list table ip6 "lxm_$BR" 2>/dev/null | grep -q "ip6 saddr $NET6::/64 ip6 daddr != $NET6::/64 masquerade" &&
	[ "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" = 1 ]; echo $?)" "IPv6: table ip6 lxm_$BR masquerades $NET6::/64, forwarding on"
dpid=$(cat "$NETRUN/dnsmasq.pid" 2>/dev/null)
ok "$([ "$(cat /proc/"${dpid:-0}"/comm 2>/dev/null)" = dnsmasq ] && tr '\0' ' ' </proc/"$dpid"/cmdline | grep -q -- '--no-ping'; echo $?)" \
	"dnsmasq runs with --no-ping"
before=$(net_snapshot)
check "lxm-net start again" -- "$LXM_NET" start
ok "$([ "$before" = "$(net_snapshot)" ]; echo $?)" "a second start changes nothing"
check "lxm-net status" -- "$LXM_NET" status

# ---- veth, static address ----
s1=$PFX-s
mkconf "$s1" "net = ( { type = \"veth\"; link = \"$BR\"; mtu = 1400; ipv4 = [\"$NET3.10/24\"]; ipv4_gateway = \"$GW\"; } );"
mac=$(sed -n 's/.*hwaddr = "\(.*\)".*/\1/p' "$LXM_PATH/$s1/config")
ok "$([ -n "$mac" ]; echo $?)" "lxm-create derived a MAC ($mac)"
check "start the static container" -- lxm-start -n "$s1"
check "host pings the container" -- busybox ping -c1 -W2 "$NET3.10"
check "the container pings the bridge" -- lxm-attach -n "$s1" -- ping -c1 -W2 "$GW"
ok "$([ "$(lxm-attach -n "$s1" -- cat /sys/class/net/eth0/address)" = "$mac" ]; echo $?)" "eth0 has the configured MAC"
ok "$([ "$(lxm-attach -n "$s1" -- cat /sys/class/net/eth0/mtu)" = 1400 ]; echo $?)" "eth0 has MTU 1400"
ok "$(lxm-attach -n "$s1" -- ip route | grep -q "default via $GW"; echo $?)" "default route via the gateway"
ok "$(lxm-info -n "$s1" -i | grep -Eq "^IP: +$NET3.10$"; echo $?)" "lxm-info -i shows the address"
link=$(lxm-info -n "$s1" | awk '$1 == "Link:" {print $2}')
ok "$([ -n "$link" ] && ip link show dev "$link" | grep -q "master $BR"; echo $?)" "lxm-info Link: names the host veth ($link) on the bridge"
# as lxc-info: the link's byte counters (the pings above went through it)
stats=$(lxm-info -n "$s1" -S -H)
tx=$(echo "$stats" | awk '$1 == "TX" {print $3}'); rx=$(echo "$stats" | awk '$1 == "RX" {print $3}')
total=$(echo "$stats" | awk '$1 == "Total" {print $3}')
ok "$(echo "$stats" | grep -q "^Link: *$link$" && [ "${tx:-0}" -gt 0 ] && [ "${rx:-0}" -gt 0 ] && [ "$total" = $((tx + rx)) ]; echo $?)" \
	"lxm-info -S -H shows the link's TX, RX and total bytes ($tx + $rx = $total)"
ok "$(lxm-info -n "$s1" | grep -Eq '^ RX bytes: +[0-9.]+ (bytes|KiB|MiB)$'; echo $?)" "lxm-info prints them humanized"
ok "$(lxm-ls -f | awk -v n="$s1" '$1 == n' | grep -qF "$NET3.10"; echo $?)" "lxm-ls -f shows the address"
ok "$(lxm-ls --json | grep -qF "\"ipv4\": [\"$NET3.10\"]"; echo $?)" "lxm-ls --json shows the address"
check "stop (halt)" -- lxm-stop -n "$s1" -t 10
no_veths "no host veth after the halt"
check "start again" -- lxm-start -n "$s1"
ok "$([ "$(lxm-attach -n "$s1" -- cat /sys/class/net/eth0/address)" = "$mac" ]; echo $?)" "the MAC is stable across restarts"
check "host pings it right after the restart" -- busybox ping -c1 -W2 "$NET3.10"
# an interface given without hwaddr (-f, or added by hand): its MAC comes
# from the uuid too, the same at every start
check "stop it" -- lxm-stop -n "$s1" -k
printf 'net = ( { type = "veth"; link = "%s"; ipv4 = ["%s.10/24"]; } );\n' "$BR" "$NET3" >"$TEST_TMP/nomac.conf"
macs=""
for _ in 1 2; do
	lxm-start -n "$s1" -f "$TEST_TMP/nomac.conf" >/dev/null 2>&1
	macs="$macs $(lxm-attach -n "$s1" -- cat /sys/class/net/eth0/address 2>/dev/null)"
	lxm-stop -n "$s1" -k >/dev/null 2>&1
done
set -- $macs
ok "$([ $# = 2 ] && [ "$1" = "$2" ] && case $1 in 00:16:3e:*) true ;; *) false ;; esac; echo $?)" \
	"an interface without hwaddr gets the same 00:16:3e MAC at every start ($macs)"
no_veths "no host veth after those starts"
check "start it as configured" -- lxm-start -n "$s1"
# reboot: the links go with the old init's namespace and are made again in
# the new one (a reboot makes it in the clone, without the start's thread)
reboot_check() {   # reboot_check NAME ADDRESS
	local old new n0
	old=$(pid_of "$1")
	n0=$(ip -o link show master "$BR" | wc -l)
	check "lxm-stop -r reboots $1" -- lxm-stop -n "$1" -r
	for _ in $(seq 1 100); do new=$(pid_of "$1"); [ -n "$new" ] && [ "$new" != "$old" ] && break; sleep 0.05; done
	ok "$([ -n "$new" ] && [ "$new" != "$old" ] && [ "$(state_of "$1")" = RUNNING ]; echo $?)" \
		"it runs again with a new init ($old -> $new)"
	ok "$(lxm-attach -n "$1" -- ip -4 -o addr show dev eth0 | grep -qF "inet $2/"; echo $?)" "eth0 has $2 again"
	check "host pings it after the reboot" -- busybox ping -c1 -W2 "$2"
	for _ in $(seq 1 100); do [ "$(ip -o link show master "$BR" | wc -l)" = "$n0" ] && break; sleep 0.02; done
	ok "$([ "$(ip -o link show master "$BR" | wc -l)" = "$n0" ]; echo $?)" \
		"as many host veths on the bridge as before ($n0: the old one gone with its namespace)"
}
reboot_check "$s1" "$NET3.10"
# a start whose thread cannot make the network namespace ahead of the clone
# (unshare of a network namespace refused): clone3 makes it
NONS="$BUILDDIR/tests/integration/deny-syscall netns-unshare"
if [ -x "${NONS%% *}" ] && $NONS true; then
	check "stop it" -- lxm-stop -n "$s1" -k
	$NONS lxm-start -n "$s1" -l debug >"$TEST_TMP/nons.out" 2>&1
	rc=$?
	ok "$([ $rc = 0 ] && [ "$(state_of "$s1")" = RUNNING ] &&
		grep -q "making the network namespace ahead: Operation not permitted, leaving it to the clone" "$TEST_TMP/nons.out"; echo $?)" \
		"with unshare(CLONE_NEWNET) refused the start still succeeds, the namespace made by clone3"
	[ $rc = 0 ] || sed 's/^/#   /' "$TEST_TMP/nons.out" | tail -5
	check "host pings it" -- busybox ping -c1 -W2 "$NET3.10"
	# without the wrapper's filter and no_new_privs from here on
	check "stop it, start it plainly" -- sh -c "lxm-stop -n '$s1' -k && lxm-start -n '$s1'"
else
	skip "deny-syscall: not built or no filter for this architecture"
fi

# ---- IPv6: static address and gateway ----
s6=$PFX-6
mkconf "$s6" "net = ( { type = \"veth\"; link = \"$BR\"; ipv4 = [\"$NET3.20/24\"]; ipv6 = [\"$NET6::20/64\"]; ipv6_gateway = \"$GW6\"; } );"
check "start a container with a static IPv6 address" -- lxm-start -n "$s6"
a6=$(lxm-attach -n "$s6" -- ip -6 addr show dev eth0 2>&1)
ok "$(printf '%s\n' "$a6" | grep -F "inet6 $NET6::20/64" | grep -qv tentative; echo $?)" \
	"eth0 has $NET6::20/64 right at RUNNING, not tentative (no DAD)"
check "host pings the container over IPv6" -- busybox ping -6 -c1 -W2 "$NET6::20"
check "the container pings the bridge over IPv6" -- lxm-attach -n "$s6" -- ping -6 -c1 -W2 "$GW6"
ok "$(lxm-attach -n "$s6" -- ip -6 route show default | grep -q "default via $GW6 dev eth0"; echo $?)" \
	"the container's default IPv6 route is via $GW6"
ok "$(lxm-info -n "$s6" -i | grep -Eq "^IP: +$NET6::20$"; echo $?)" "lxm-info -i shows the IPv6 address"
ok "$(lxm-ls --json | grep -F "\"$s6\"" | grep -qF "\"$NET6::20\""; echo $?)" "lxm-ls --json shows the IPv6 address"
check "stop the IPv6 container" -- lxm-stop -n "$s6" -k
for _ in $(seq 1 100); do
	ip link show dev "vlxm$s6-0" >/dev/null 2>&1 || ip link show dev "vlxm${s6}_0" >/dev/null 2>&1 || break
	sleep 0.01
done
ok "$(! ip link show dev "vlxm$s6-0" >/dev/null 2>&1 && ! ip link show dev "vlxm${s6}_0" >/dev/null 2>&1; echo $?)" \
	"no host veth of the IPv6 container after its stop"
# unprivileged (the default): the monitor configures a namespace that the
# container's user namespace owns
u6=$PFX-w
# its gateways "auto": the bridge's own addresses
printf '%s\n' "net = ( { type = \"veth\"; link = \"$BR\"; ipv4 = [\"$NET3.21/24\"]; ipv4_gateway = \"auto\"; ipv6 = [\"$NET6::21/64\"]; ipv6_gateway = \"auto\"; } );" >"$TEST_TMP/$u6.conf"
check "create an unprivileged container with static IPv4 and IPv6 addresses" -- lxm-create -n "$u6" -t busybox -f "$TEST_TMP/$u6.conf"
check "start it" -- lxm-start -n "$u6"
check "host pings it over IPv4" -- busybox ping -c1 -W2 "$NET3.21"
check "host pings it over IPv6" -- busybox ping -6 -c1 -W2 "$NET6::21"
ok "$(lxm-attach -n "$u6" -- ip -6 route show default | grep -q "default via $GW6 dev eth0" &&
	lxm-attach -n "$u6" -- ip route show default | grep -q "default via $GW dev eth0"; echo $?)" \
	"its default IPv4 and IPv6 routes are set, via the bridge's addresses (gateways 'auto')"
reboot_check "$u6" "$NET3.21"
check "stop it" -- lxm-stop -n "$u6" -k
# "auto" on a bridge without an address: the start names what is missing
ip link add "lxmnb$$" type bridge && ip link set "lxmnb$$" up
printf 'net = ( { type = "veth"; link = "lxmnb%s"; ipv4 = ["%s.22/24"]; ipv4_gateway = "auto"; } );\n' $$ "$NET3" >"$TEST_TMP/noaddr.conf"
expect_error "^lxm-start: $u6: network 'eth0': gateway 'auto': bridge 'lxmnb$$' has no IPv4 address" \
	"gateway 'auto' on a bridge without an address is refused, naming it" -- lxm-start -n "$u6" -f "$TEST_TMP/noaddr.conf"
for _ in $(seq 1 100); do [ -z "$(ip -o link show master "lxmnb$$")" ] && break; sleep 0.01; done   # gone with its namespace
ok "$( [ "$(state_of "$u6")" = STOPPED ] && [ -z "$(ip -o link show master "lxmnb$$")" ]; echo $?)" \
	"and leaves no host veth on it"
ip link del "lxmnb$$" 2>/dev/null
printf 'net = ( { type = "veth"; link = "%s"; ipv6 = ["%s::zz/64"]; } );\n' "$BR" "$NET6" >"$TEST_TMP/bad6.conf"
expect_error "^lxm-start: $s6: .*net\[0\]\.ipv6\[0\]: invalid IPv6 address '$NET6::zz/64'" "a bad IPv6 address is named with its interface" \
	-- lxm-start -n "$s6" -f "$TEST_TMP/bad6.conf"

# ---- DHCP ----
d1=$PFX-d
mkconf "$d1" "net = ( { type = \"veth\"; link = \"$BR\"; } );"
dmac=$(sed -n 's/.*hwaddr = "\(.*\)".*/\1/p' "$LXM_PATH/$d1/config")
ok "$([ -n "$dmac" ] && [ "$dmac" != "$mac" ]; echo $?)" "MACs differ between containers"
t0=$(date +%s%N)
check "start the DHCP container" -- lxm-start -n "$d1"
daddr=
for _ in $(seq 1 50); do
	daddr=$(ip4_of "$d1")
	[ -n "$daddr" ] && break
	sleep 0.05
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$([ "${daddr%.*}" = "$NET3" ] && [ "${daddr##*.}" -ge 100 ]; echo $?)" \
	"a DHCP lease from lxm-net's dnsmasq, in its default range $NET3.100-254 ($daddr after $ms ms)"
ok "$([ -n "$daddr" ] && [ "$ms" -lt 1000 ]; echo $?)" "the first lease for a new MAC came within 1 s of the start ($ms ms)"
ok "$(grep -qi "$dmac" "$LXM_NET_LEASEDIR/dnsmasq.$BR.leases"; echo $?)" "the lease is in lxm-net's lease file"
[ -n "$daddr" ] && check "the static container pings the DHCP one" -- lxm-attach -n "$s1" -- ping -c1 -W2 "$daddr"
check "kill the DHCP container" -- lxm-stop -n "$d1" -k
check "kill the static container" -- lxm-stop -n "$s1" -k
no_veths "no host veth after kill"

# ---- a monitor killed, then lxm-stop ----
check "start" -- lxm-start -n "$s1"
kill -9 "$(pgrep -f -- "lxm-start -n $s1\$" | head -1)" 2>/dev/null
sleep 0.2
check "lxm-stop after the monitor died" -- lxm-stop -n "$s1" -k
no_veths "no host veth after monitor death + lxm-stop"
no_leaks "$s1" "nothing left of the static container"

# ---- macvlan, empty ----
# no dummy driver on every kernel: a veth end is the host device
ip link add "$MVPARENT" type veth peer name "lxmn$$" && ip link set "$MVPARENT" up
m1=$PFX-m
mkconf "$m1" "net = ( { type = \"macvlan\"; link = \"$MVPARENT\"; ipv4 = [\"$NET3.50/24\"]; } );"
check "start a macvlan container" -- lxm-start -n "$m1"
ok "$(nsenter -t "$(pid_of "$m1")" -n ip -d link show eth0 | grep -q "macvlan mode bridge"; echo $?)" "eth0 is a macvlan in bridge mode"
ok "$(lxm-info -n "$m1" -i | grep -q "$NET3.50"; echo $?)" "the macvlan has its address"
check "stop the macvlan container" -- lxm-stop -n "$m1" -k
e1=$PFX-e
mkconf "$e1" 'net = ( { type = "empty"; } );'
check "start an empty-network container" -- lxm-start -n "$e1"
ok "$([ "$(lxm-attach -n "$e1" -- ls /sys/class/net)" = lo ]; echo $?)" "only lo inside"
ok "$(lxm-attach -n "$e1" -- ip link show lo | grep -q ",UP"; echo $?)" "lo is up"
check "stop the empty container" -- lxm-stop -n "$e1" -k

# ---- phys: returned on every stop path ----
ip link add "$PHYS" type veth peer name "lxmq$$"   # gone with the namespace unless returned
# its host MTU and MAC: the container sets its own, the host gets these back
PMAC=02:00:5e:$(printf '%02x:%02x:%02x' $(( $$ % 256 )) $(( $$ / 256 % 256 )) 7)
ip link set dev "$PHYS" address "$PMAC" mtu 1400
phys_as_before() { ip -o link show dev "$PHYS" 2>/dev/null | grep -q " mtu 1400 .*link/ether $PMAC "; }
p1=$PFX-p
mkconf "$p1" "net = ( { type = \"phys\"; link = \"$PHYS\"; name = \"eth1\"; mtu = 1300; hwaddr = \"00:16:3e:$(printf '%02x' $(( $$ % 256 ))):0a:0b\"; ipv4 = [\"$NET3.60/24\"]; } );"
for how in halt kill monitor; do
	check "start the phys container ($how)" -- lxm-start -n "$p1"
	ok "$( ! ip link show dev "$PHYS" >/dev/null 2>&1 && lxm-attach -n "$p1" -- ip addr show eth1 | grep -q "$NET3.60"; echo $?)" \
		"$PHYS is inside as eth1 with its address"
	# the container renames it: the stop finds it by its index
	ok "$(lxm-attach -n "$p1" -- sh -c 'ip link set eth1 down && ip link set eth1 name ren1 && ip link show ren1' >/dev/null 2>&1; echo $?)" \
		"renamed ren1 inside"
	case $how in
	halt) lxm-stop -n "$p1" -t 10 ;;
	kill) lxm-stop -n "$p1" -k ;;
	monitor) kill -9 "$(pgrep -f -- "lxm-start -n $p1\$" | head -1)"; sleep 0.2; lxm-stop -n "$p1" -k ;;
	esac
	ok "$(ip link show dev "$PHYS" >/dev/null 2>&1 && ! ip link show dev ren1 >/dev/null 2>&1; echo $?)" \
		"$PHYS is back on the host under its name after $how (renamed inside)"
	ok "$(phys_as_before; echo $?)" "with its host MTU (1400) and MAC after $how"
done
# a start that fails after the device was moved in gives it back as it was
ip link add "lxmnb$$" type bridge && ip link set "lxmnb$$" up
printf 'net = ( { type = "phys"; link = "%s"; name = "eth1"; mtu = 1300; hwaddr = "00:16:3e:00:0a:0b"; },\n        { type = "veth"; link = "lxmnb%s"; ipv4 = ["%s.61/24"]; ipv4_gateway = "auto"; } );\n' \
	"$PHYS" $$ "$NET3" >"$TEST_TMP/physfail.conf"
expect_error "^lxm-start: $p1: network 'eth0': gateway 'auto': bridge 'lxmnb$$' has no IPv4 address" \
	"a start failing after the phys device is moved in fails" -- lxm-start -n "$p1" -f "$TEST_TMP/physfail.conf"
ok "$(phys_as_before; echo $?)" "$PHYS is back with its host name, MTU and MAC after the failed start"
ip link del "lxmnb$$" 2>/dev/null
# init killed while its monitor was dead: nobody holds the namespace, and
# the kernel deletes a virtual device with it (one of a driver comes back,
# tests/vm/test-phys.sh): lxm-stop says so, not a silent success
check "start the phys container (monitor, then init killed)" -- lxm-start -n "$p1"
ppid=$(pid_of "$p1")
kill -9 "$(awk '/^PPid:/ {print $2}' "/proc/$ppid/status")"; sleep 0.2; kill -9 "$ppid"
err=$(lxm-stop -n "$p1" 2>&1)
ok "$(printf '%s\n' "$err" | grep -q "^lxm-stop: returning '$PHYS' to the host: its namespace went with init while no monitor ran, and it was not seen back on the host within 3 s"; echo $?)" \
	"lxm-stop says that the phys device did not come back"
no_leaks "$p1" "and cleans up the rest"
ip link add "$PHYS" type veth peer name "lxmq$$" && ip link set dev "$PHYS" address "$PMAC" mtu 1400
# the container gives the device's index to a device of its own (here the
# test does it from outside: the device moved out, a macvlan made inside
# with that index): that one is not moved to the host
check "start the phys container (decoy)" -- lxm-start -n "$p1"
ppid=$(pid_of "$p1")
idx=$(nsenter --net="/proc/$ppid/ns/net" ip -o link show dev eth1 2>/dev/null | cut -d: -f1)
ok "$(nsenter --net="/proc/$ppid/ns/net" ip link set dev eth1 netns 1 &&
	ip link set dev eth1 name "lxmr$$" 2>/dev/null &&
	nsenter --net="/proc/$ppid/ns/net" ip link add dv0 type veth peer name dv1 &&
	nsenter --net="/proc/$ppid/ns/net" ip link add decoy index "$idx" link dv0 type macvlan; echo $?)" \
	"$PHYS moved out as lxmr$$, a macvlan made inside with its index $idx"
lxm-stop -n "$p1" -k >/dev/null 2>&1
ok "$( ! ip link show dev "$PHYS" >/dev/null 2>&1 && ! ip link show dev decoy >/dev/null 2>&1; echo $?)" \
	"the stop did not move the macvlan out as $PHYS"
ip link set dev "lxmr$$" name "$PHYS" 2>/dev/null

# ---- refusals ----
n1=$PFX-n
mkconf "$n1" 'net = ( { type = "empty"; } );'
cat >"$TEST_TMP/unpriv-none.conf" <<'EOF'
idmap = ( { type = "u"; container = 0; host = 1000000; count = 65536; },
          { type = "g"; container = 0; host = 1000000; count = 65536; } );
net = ( { type = "none"; } );
EOF
expect_error "^lxm-start: $n1: network: type 'none' .*privileged" "type none refused for an unprivileged config" \
	-- lxm-start -n "$n1" -f "$TEST_TMP/unpriv-none.conf"
printf 'net = ( { type = "veth"; link = "nosuch%s"; } );\n' $$ >"$TEST_TMP/nobr.conf"
expect_error "^lxm-start: $n1: network 'eth0': bridge 'nosuch$$' does not exist" "a missing bridge is named" \
	-- lxm-start -n "$n1" -f "$TEST_TMP/nobr.conf"
# a link that is there but no bridge: found when the veth is made (for a
# privileged container by the monitor's second thread, before the clone)
ip link add "lxmy$$" type veth peer name "lxmz$$"
printf 'net = ( { type = "veth"; link = "lxmy%s"; ipv4 = ["%s.40/24"]; } );\n' $$ "$NET3" >"$TEST_TMP/notbr.conf"
expect_error "^lxm-start: $n1: network 'eth0': link 'lxmy$$' is not a bridge" "a link that is no bridge is named" \
	-- lxm-start -n "$n1" -f "$TEST_TMP/notbr.conf"
no_leaks "$n1" "and that failed start leaves nothing"
ok "$(! ip link show dev "vlxm$n1-0" >/dev/null 2>&1 && ! ip link show dev "vlxm${n1}_0" >/dev/null 2>&1; echo $?)" \
	"nor a host veth"
ip link del "lxmy$$"
printf 'net = ( { type = "vethx"; link = "%s"; } );\n' "$BR" >"$TEST_TMP/badtype.conf"
expect_error "^lxm-start: $n1: .*net\[0\]\.type: invalid type 'vethx'" "an unknown type is named with its interface" \
	-- lxm-start -n "$n1" -f "$TEST_TMP/badtype.conf"
for cidr in "$NET3.300/24" "$NET3.10/33" "$NET3.10/x"; do
	printf 'net = ( { type = "veth"; link = "%s"; ipv4 = ["%s"]; } );\n' "$BR" "$cidr" >"$TEST_TMP/badcidr.conf"
	expect_error "^lxm-start: $n1: .*net\[0\]\.ipv4\[0\]: invalid IPv4 address '$cidr'" "a bad CIDR ($cidr) is named with its interface" \
		-- lxm-start -n "$n1" -f "$TEST_TMP/badcidr.conf"
done
# two containers with the same static address on one bridge: the second
# start is refused while the first runs, and allowed once it stopped
check "start the static container" -- lxm-start -n "$s1"
dup=$PFX-u
mkconf "$dup" "net = ( { type = \"veth\"; link = \"$BR\"; name = \"eth3\"; ipv4 = [\"$NET3.10/24\"]; } );"
expect_error "^lxm-start: $dup: network 'eth3': address '$NET3.10/24' on bridge '$BR' is already used by running container '$s1' \('eth0'\)" \
	"a second container with the same static address on the bridge is refused" -- lxm-start -n "$dup"
dstate=$(state_of "$dup")
ok "$([ "$dstate" = STOPPED ] && ! ip link show dev "vlxm$dup-0" >/dev/null 2>&1; echo $?)" \
	"the refused container is stopped and has no host veth"
no_leaks "$dup" "the refused start leaves nothing"
check "the first one still answers" -- busybox ping -c1 -W2 "$NET3.10"
check "stop the first one" -- lxm-stop -n "$s1" -k
check "then the second one starts" -- lxm-start -n "$dup"
check "stop it" -- lxm-stop -n "$dup" -k
# started at the same moment, one of the two gets the address: a claim is
# live while its owner's start holds the runtime dir's lock
both=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	lxm-start -n "$s1" 2>"$TEST_TMP/race1" & r1=$!
	lxm-start -n "$dup" 2>"$TEST_TMP/race2" & r2=$!
	wait $r1; e1=$?; wait $r2; e2=$?
	if [ $((e1 + e2)) != 1 ] || ! grep -qE "address '$NET3.10/24' on bridge '$BR' is already (used by running|claimed by) container" \
		"$TEST_TMP/race$([ $e1 = 1 ] && echo 1 || echo 2)"; then
		both=$((both + 1)); diag "round $i: exit $e1 / $e2: $(cat "$TEST_TMP/race1" "$TEST_TMP/race2")"
	fi
	lxm-stop -n "$s1" -k >/dev/null 2>&1; lxm-stop -n "$dup" -k >/dev/null 2>&1
done
ok "$both" "two containers with one static address started at once: one starts, the other is refused (10 rounds)"
# host end names taken by other links (another container's whose name
# hashes alike): a start takes the next candidate, and neither it nor the
# stop touches those links
col=$PFX-h
mkconf "$col" "net = ( { type = \"veth\"; link = \"$BR\"; ipv4 = [\"$NET3.80/24\"]; } );"
ip link add "vlxm$col-0" type veth peer name "lxmf${$}a"
ip link add "vlxm${col}_0" type veth peer name "lxmf${$}b"
check "start a container whose two host end names are taken by other links" -- lxm-start -n "$col"
clink=$(lxm-info -n "$col" | awk '/^Link:/ {print $2}')
ok "$(case $clink in "vlxm$col-0" | "vlxm${col}_0" | "") false ;; vlxm*) true ;; *) false ;; esac; echo $?)" \
	"it took a third name ('$clink')"
check "host pings it" -- busybox ping -c1 -W2 "$NET3.80"
check "stop it" -- lxm-stop -n "$col" -k
ok "$(ip link show dev "vlxm$col-0" >/dev/null && ip link show dev "vlxm${col}_0" >/dev/null; echo $?)" \
	"the other links are still there after its start and stop"
# the same where lxm-stop has no namespace and deletes host ends itself
# (monitor and init killed): only those with this container's host MAC
check "start it again" -- lxm-start -n "$col"
cpid=$(pid_of "$col")
kill -9 "$(awk '/^PPid:/ {print $2}' "/proc/$cpid/status")"; sleep 0.1; kill -9 "$cpid"; sleep 0.2
check "lxm-stop with monitor and init dead" -- lxm-stop -n "$col"
ok "$(ip link show dev "vlxm$col-0" >/dev/null && ip link show dev "vlxm${col}_0" >/dev/null; echo $?)" \
	"the other links are still there after a stop without the namespace"
ip link del "vlxm$col-0"; ip link del "vlxm${col}_0"
# the first start after a boot: the runtime dir's parent does not exist yet
fresh=$TEST_TMP/run-fresh/lxm
ok "$(LXM_RUNDIR=$fresh lxm-start -n "$s1" && [ "$(LXM_RUNDIR=$fresh lxm-info -n "$s1" -s | awk '{print $2}')" = RUNNING ]; echo $?)" \
	"a container with a static address starts with no runtime dir yet (first start after a boot)"
LXM_RUNDIR=$fresh lxm-stop -n "$s1" -k >/dev/null 2>&1
no_veths "no host veth after the refusals"
no_leaks "$n1" "refused starts leave nothing"

# ---- 50 start/stop cycles leave no interface behind ----
c1=$PFX-c
mkconf "$c1" "net = ( { type = \"veth\"; link = \"$BR\"; ipv4 = [\"$NET3.70/24\"]; } );"
fails=0
t0=$(date +%s%N)
for i in $(seq 1 50); do
	lxm-start -n "$c1" >/dev/null 2>&1 || { fails=$((fails + 1)); diag "start $i failed"; }
	lxm-stop -n "$c1" -k >/dev/null 2>&1 || { fails=$((fails + 1)); diag "stop $i failed"; }
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$fails" "50 start/stop cycles of a veth container ($ms ms)"
# a start right after a stop: the old host end may still be going away
# with its namespace; the new one takes the other name, and works
check "start" -- lxm-start -n "$c1"
check "stop -k" -- lxm-stop -n "$c1" -k
check "start right after the stop" -- lxm-start -n "$c1"
link=$(lxm-info -n "$c1" | awk '$1 == "Link:" {print $2}')
ok "$(case $link in vlxm*) ip link show dev "$link" | grep -q "master $BR" ;; *) false ;; esac; echo $?)" \
	"lxm-info Link: names its host veth on the bridge ($link)"
check "host pings it" -- busybox ping -c1 -W2 "$NET3.70"
check "stop -k" -- lxm-stop -n "$c1" -k
no_veths "no host veth left after 50 cycles"
for _ in $(seq 1 100); do
	left=$(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^vlxm' | grep -F "$(printf 'vlxm%s' "$c1" | cut -c1-9)")
	[ -z "$left" ] && break
	sleep 0.01
done
ok "$([ -z "$left" ]; echo $?)" "ip link shows no leftover lxm interface of it"
ok "$([ "$(ip -o link show master "$BR" | wc -l)" -eq 0 ]; echo $?)" "the bridge has no ports left"
no_leaks "$c1" "nothing left of the cycled container"

# ---- lxm-net stop, and the default bridge brought up on demand ----
check "lxm-net stop" -- "$LXM_NET" stop
ok "$( ! ip link show dev "$BR" >/dev/null 2>&1; echo $?)" "the bridge is gone"
ok "$( ! nft list tables | grep -q "lxm_$BR"; echo $?)" "the nft table is gone"
# (a zombie is gone: reaping the daemon is up to init, which may take its time)
ok "$( ! grep -qs '^State:[[:space:]]*[^Z[:space:]]' "/proc/$dpid/status"; echo $?)" "dnsmasq is gone"
ok "$([ ! -e "$NETRUN" ] && [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$FWD_BEFORE" ] &&
	[ "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" = "$FWD6_BEFORE" ]; echo $?)" "runtime dir gone, ip_forward and IPv6 forwarding restored"
check "lxm-net stop when stopped" -- "$LXM_NET" stop
out=$(lxm-start -n "$s1" 2>&1); rc=$?
ok "$([ $rc -eq 0 ] && printf '%s' "$out" | grep -q "bridge '$BR' does not exist, starting lxm-net" && ip link show dev "$BR" >/dev/null 2>&1; echo $?)" \
	"a start on the missing default bridge runs lxm-net start and says so"
check "host pings it" -- busybox ping -c1 -W2 "$NET3.10"
check "stop" -- lxm-stop -n "$s1" -k
no_veths "no host veth at the end"
"$LXM_NET" stop

# ---- where nftables is absent: iptables rules, tagged, and gone at stop ----
if command -v iptables >/dev/null 2>&1 && command -v ip6tables >/dev/null 2>&1; then
	ipt_mine() { { iptables-save; ip6tables-save; } 2>/dev/null | grep -F -- "lxm-net:$BR"; }
	export LXM_NET_FIREWALL=iptables
	check "lxm-net start with net_firewall = iptables" -- "$LXM_NET" start
	ok "$(iptables -w -t nat -S POSTROUTING | grep -F -- "lxm-net:$BR" | grep -F -- "-s $NET3.0/24 ! -d $NET3.0/24" | grep -q MASQUERADE; echo $?)" \
		"iptables masquerades $NET3.0/24"
	ok "$(ip6tables -w -t nat -S POSTROUTING | grep -F -- "lxm-net:$BR" | grep -F -- "-s $NET6::/64 ! -d $NET6::/64" | grep -q MASQUERADE; echo $?)" \
		"ip6tables masquerades $NET6::/64"
	ok "$( [ "$(iptables -w -S FORWARD | grep -cF -- "lxm-net:$BR")" = 2 ] && [ "$(ip6tables -w -S FORWARD | grep -cF -- "lxm-net:$BR")" = 2 ]; echo $?)" \
		"forwarding from the bridge and back (related, established) in both"
	ok "$( ! nft list tables | grep -q "lxm_$BR"; echo $?)" "and no nftables table of lxm's"
	n=$(ipt_mine | wc -l)
	check "lxm-net start again" -- "$LXM_NET" start
	ok "$( [ "$(ipt_mine | wc -l)" = "$n" ] && [ "$n" = 6 ]; echo $?)" "a second start adds nothing ($n rules)"
	ok "$("$LXM_NET" status | grep -qx "nat: iptables rules"; echo $?)" "lxm-net status names them"
	check "lxm-net stop" -- "$LXM_NET" stop
	ok "$( [ -z "$(ipt_mine)" ]; echo $?)" "no rule of it left$(ipt_mine | sed 's/^/: /' | head -3)"
	unset LXM_NET_FIREWALL
else
	skip "iptables is not installed (scripts/deps installs it)"
fi

done_testing
