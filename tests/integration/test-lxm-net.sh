#!/bin/bash
# lxm-net itself: two starts at once, an IPv6 address written non-canonically,
# forwarding put back only by the last of two networks, the default DHCP
# range leaving static addresses alone, leases that outlive a stop and a
# restart, a bridge with interfaces attached left up by stop (and restarted
# softly), stop undoing what start recorded after lxm.conf changed, and the
# generated unit.
# lxm-net runs here in a network namespace of this test's own (with its own
# /sys, where the bridge's ports are read): turning forwarding off and on
# must not touch the host's, which other tests and users rely on. The
# bridges, subnets, nft tables, lease files and the DHCP clients (network
# namespaces with a veth on the bridge) are this test's own too; nothing
# talks to anything the test did not make.
. "$(dirname "$0")/lib.sh"
require_root
for cmd in dnsmasq nft ip busybox unshare nsenter flock; do
	command -v $cmd >/dev/null || { echo "1..0 # SKIP $cmd not installed"; exit 0; }
done

export LXM_NET=$SRCDIR/net/lxm-net
export LXM_NET_LEASEDIR=$TEST_TMP/leases
BR=lxmk$$                        # the first config's bridge (<= 11 chars)
BR2=lxmkn$$                      # the second config's
BR3=lxmkr$$                      # the first config's, renamed
BRD=lxmkd$$                      # default DHCP ranges of other subnets
NET3=10.233.$(( $$ % 250 ))      # the first config's /24
NET3B=10.234.$(( $$ % 250 ))     # the second's
NET3C=10.235.$(( $$ % 250 ))     # the first's after an edit
NET6=fd42:7e58:$(printf %x $(( $$ % 65536 )))
NET6U=$(printf '%s' "$NET6" | tr a-f A-F)
mkdir -p "$TEST_TMP/etc2"
conf1() {   # conf1 [MORE LINES]: the first config
	cat >"$LXM_CONFDIR/lxm.conf" <<-EOF
	net_bridge = "$BR";
	net_ipv4 = "$NET3.1/24";
	net_ipv6 = "$NET6U:0::1/64";
	net_nat = true;
	net_domain = "";
	EOF
	[ $# -eq 0 ] || printf '%s\n' "$@" >>"$LXM_CONFDIR/lxm.conf"
}
conf1
cat >"$TEST_TMP/etc2/lxm.conf" <<EOF
net_bridge = "$BR2";
net_ipv4 = "$NET3B.1/24";
net_nat = true;
net_domain = "";
EOF

NSPID= C1= C2=
in_ns() { nsenter -t "$NSPID" -n -m "$@"; }
net1() { in_ns "$LXM_NET" "$@"; }
net2() { LXM_CONFDIR=$TEST_TMP/etc2 in_ns "$LXM_NET" "$@"; }
lxmnet_cleanup() {
	local d
	# every network lxm-net has state of (dnsmasq's pid file is under
	# $TEST_TMP): down first; the namespaces take the rest with them
	if [ -n "$NSPID" ]; then
		for d in "$LXM_RUNDIR"/.net-*; do
			[ -d "$d" ] && LXM_NET_RUNDIR=$d in_ns "$LXM_NET" stop --force >/dev/null 2>&1
		done
	fi
	cleanup_containers   # the namespaces' processes (background jobs)
	rm -rf "$TEST_TMP"
}
trap lxmnet_cleanup EXIT

# the namespace: a process of its own holds it
unshare -n -m --propagation private sh -c 'mount -t sysfs sysfs /sys && exec sleep 600' </dev/null >/dev/null 2>&1 &
NSPID=$!
for _ in $(seq 1 100); do [ "$(cat /proc/$NSPID/comm 2>/dev/null)" = sleep ] && break; sleep 0.01; done
ok "$([ "$(readlink /proc/$NSPID/ns/net)" != "$(readlink /proc/self/ns/net)" ] &&
	in_ns sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward && echo 0 >/proc/sys/net/ipv6/conf/all/forwarding'; echo $?)" \
	"a network namespace of the test's own, forwarding off in it"
fwd() { in_ns cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding | tr -d '\n'; }
lxm_tables() { in_ns nft list tables 2>/dev/null | grep " lxm_"; }
# a process that runs (not a zombie: who reaps dnsmasq is not lxm-net's business)
running() { grep -qs '^State:[[:space:]]*[^Z[:space:]]' "/proc/$1/status"; }
dnsmasqs() { pgrep -f -- "--interface=$1 " | wc -l; }

# ---- two starts at once (two lxm-start bringing the bridge up) ----
fails=0
for i in 1 2 3 4 5; do
	net1 start 2>"$TEST_TMP/race1" & r1=$!
	net1 start 2>"$TEST_TMP/race2" & r2=$!
	wait $r1 || { fails=$((fails + 1)); diag "round $i: $(cat "$TEST_TMP/race1")"; }
	wait $r2 || { fails=$((fails + 1)); diag "round $i: $(cat "$TEST_TMP/race2")"; }
	n=$(dnsmasqs "$BR")
	[ "$n" = 1 ] || { fails=$((fails + 1)); diag "round $i: $n dnsmasq(s)"; }
	[ $i = 5 ] || net1 stop >/dev/null 2>&1
done
ok "$fails" "two lxm-net start at once both succeed, with one dnsmasq (5 rounds)"

# ---- an IPv6 address as it was written (upper case, a 0 group) ----
check "a second start with net_ipv6 = \"$NET6U:0::1/64\"" -- net1 start
ok "$(in_ns ip -6 -o addr show dev "$BR" | grep -qF "inet6 $NET6::1/64" &&
	[ "$(grep -c '^addr6=' "$LXM_RUNDIR/.net-$BR/state")" = 1 ]; echo $?)" "the bridge has $NET6::1/64, added once"

# ---- forwarding: put back by the last lxm-net network to stop ----
ok "$([ "$(fwd)" = 11 ]; echo $?)" "forwarding (IPv4, IPv6) on after the start"
check "start a second network (another config, same runtime dir)" -- net2 start
check "stop the first" -- net1 stop
ok "$([ "$(fwd)" = 11 ] && in_ns ip link show dev "$BR2" >/dev/null 2>&1; echo $?)" \
	"forwarding stays on while the second network is up ($(fwd))"
check "stop the second" -- net2 stop
ok "$([ "$(fwd)" = 00 ]; echo $?)" "the last stop puts forwarding back as it was before the first start ($(fwd))"
check "lxm-net start" -- net1 start

# ---- DHCP: the default range, leases that outlive a stop ----
dpid=$(cat "$LXM_RUNDIR/.net-$BR/dnsmasq.pid" 2>/dev/null)
ok "$(tr '\0' ' ' </proc/"${dpid:-0}"/cmdline 2>/dev/null | grep -q -- "--dhcp-range=$NET3.100,$NET3.254 "; echo $?)" \
	"the default DHCP range of $NET3.1/24 is $NET3.100-$NET3.254 (static addresses below)"
# (nsenter, not in_ns: $! must be the namespace's process, not a subshell)
nsenter -t "$NSPID" -n -m unshare -n sleep 600 </dev/null >/dev/null 2>&1 & C1=$!
nsenter -t "$NSPID" -n -m unshare -n sleep 600 </dev/null >/dev/null 2>&1 & C2=$!
for _ in $(seq 1 100); do
	[ "$(readlink /proc/$C1/ns/net)" != "$(readlink /proc/$NSPID/ns/net)" ] &&
		[ "$(readlink /proc/$C2/ns/net)" != "$(readlink /proc/$NSPID/ns/net)" ] && break
	sleep 0.01
done
attach() {   # attach PID VETH MAC: eth0 of that namespace on the bridge
	in_ns ip link add "$2" type veth peer name eth0 netns "$1" &&
		in_ns ip link set "$2" master "$BR" up &&
		nsenter -t "$1" -n ip link set eth0 address "$3" &&
		nsenter -t "$1" -n ip link set eth0 up
}
lease() {   # lease PID ADDRESS: what dnsmasq leases a client asking for ADDRESS
	nsenter -t "$1" -n busybox udhcpc -i eth0 -n -q -s /bin/true -t 3 -T 1 -r "$2" 2>&1 |
		sed -n 's/.*lease of \([0-9.]*\) obtained.*/\1/p'
}
ok "$(attach "$C1" "lxmkx$$" 02:00:0a:e9:00:01 && attach "$C2" "lxmky$$" 02:00:0a:e9:00:02; echo $?)" \
	"two DHCP clients on the bridge"
got=$(lease "$C2" "$NET3.10")
ok "$([ -n "$got" ] && [ "${got%.*}" = "$NET3" ] && [ "${got##*.}" -ge 100 ]; echo $?)" \
	"a client asking for $NET3.10 (a static address) gets one of the range instead (${got:-none})"
got=$(lease "$C1" "$NET3.150")
ok "$([ "$got" = "$NET3.150" ]; echo $?)" "a client asking for $NET3.150 gets it (${got:-none})"

# ---- stop with interfaces on the bridge: everything stays up ----
idx=$(in_ns cat "/sys/class/net/$BR/ifindex")
snap() {
	in_ns ip -o addr show dev "$BR" 2>/dev/null | grep -v fe80; in_ns nft list tables 2>/dev/null
	cat "$LXM_RUNDIR/.net-$BR/dnsmasq.pid" 2>/dev/null; fwd
}
before=$(snap)
err=$(net1 stop 2>&1 >/dev/null); rc=$?
ok "$([ $rc = 0 ] && [ "$(printf '%s\n' "$err" | grep -c '')" = 1 ] &&
	printf '%s' "$err" | grep -q "^lxm-net: bridge '$BR' has 2 interface(s) attached"; echo $?)" \
	"lxm-net stop with 2 interfaces attached exits 0 and says so in one line (exit $rc: $err)"
ok "$([ "$(snap)" = "$before" ] && [ "$(in_ns cat "/sys/class/net/$BR/ifindex" 2>/dev/null)" = "$idx" ] &&
	running "$dpid"; echo $?)" "and leaves the bridge, its addresses, dnsmasq, the tables and forwarding up"
got=$(lease "$C1" "$NET3.150")
ok "$([ "$got" = "$NET3.150" ]; echo $?)" "the client still gets its lease"

# ---- restart with interfaces on the bridge: dnsmasq and NAT only ----
conf1 "net_nft_table = \"lxm_lxmkt$$\";"
err=$(net1 restart 2>&1 >/dev/null); rc=$?
ok "$([ $rc = 0 ] && [ "$(in_ns cat "/sys/class/net/$BR/ifindex" 2>/dev/null)" = "$idx" ] &&
	in_ns ip -o addr show dev "$BR" | grep -qF "inet $NET3.1/24" &&
	[ "$(in_ns ls "/sys/class/net/$BR/brif" | wc -l)" = 2 ]; echo $?)" \
	"lxm-net restart keeps the bridge, its address and its ports (exit $rc: $err)"
ok "$(in_ns nft list tables | grep -qx "table ip lxm_lxmkt$$" && ! in_ns nft list tables | grep -q "lxm_$BR\$"; echo $?)" \
	"and moved NAT to the new table lxm_lxmkt$$"
npid=$(cat "$LXM_RUNDIR/.net-$BR/dnsmasq.pid" 2>/dev/null)
ok "$([ -n "$npid" ] && [ "$npid" != "$dpid" ] && ! running "$dpid" && running "$npid"; echo $?)" \
	"and restarted dnsmasq ($dpid -> $npid)"
got=$(lease "$C2" "$NET3.150")
ok "$([ -n "$got" ] && [ "$got" != "$NET3.150" ]; echo $?)" \
	"after the restart another client asking for $NET3.150 (leased) gets another address (${got:-none})"
conf1 "net_nft_table = \"lxm_lxmkt$$\";" "net_ipv4_dhcp_range = \"$NET3.200,$NET3.210\";"
sed -i "s|^net_ipv4 = .*|net_ipv4 = \"$NET3.2/24\";|" "$LXM_CONFDIR/lxm.conf"
expect_error "^lxm-net: bridge '$BR' has 2 interface\(s\) attached and net_ipv4 changed in '.*': not restarting" \
	"a restart that would change the bridge's address with interfaces attached is refused" -- net1 restart
ok "$(in_ns ip -o addr show dev "$BR" | grep -qF "inet $NET3.1/24" && running "$npid"; echo $?)" "and changes nothing"

# ---- stop --force, then start: the leases are still there ----
check "lxm-net stop --force" -- net1 stop --force
ok "$( ! in_ns ip link show dev "$BR" >/dev/null 2>&1 && ! running "$npid" &&
	[ -z "$(lxm_tables)" ] && [ ! -e "$LXM_RUNDIR/.net-$BR" ]; echo $?)" \
	"the bridge, dnsmasq, the tables and the state are gone"
ok "$(grep -q "02:00:0a:e9:00:01 $NET3.150 " "$LXM_NET_LEASEDIR/dnsmasq.$BR.leases"; echo $?)" \
	"the lease file is kept (dnsmasq.$BR.leases)"
conf1
check "lxm-net start" -- net1 start
in_ns ip link set "lxmkx$$" master "$BR"; in_ns ip link set "lxmky$$" master "$BR"
got=$(lease "$C2" "$NET3.150")
ok "$([ -n "$got" ] && [ "$got" != "$NET3.150" ]; echo $?)" \
	"after stop and start another client asking for $NET3.150 (leased) gets another address (${got:-none})"
in_ns ip link set "lxmkx$$" nomaster; in_ns ip link set "lxmky$$" nomaster

# ---- stop undoes what start did, whatever lxm.conf says now ----
fw=
command -v iptables >/dev/null 2>&1 && command -v ip6tables >/dev/null 2>&1 && fw='net_firewall = "iptables";'
conf1 "net_nft_table = \"lxm_lxmku$$\";" ${fw:+"$fw"}
sed -i -e "s|^net_ipv4 = .*|net_ipv4 = \"$NET3C.1/24\";|" -e "s|^net_ipv6 = .*|net_ipv6 = \"fd42:7e59::1/64\";|" "$LXM_CONFDIR/lxm.conf"
before=$(in_ns nft list tables)
err=$(net1 start 2>&1 >/dev/null); rc=$?
ok "$([ $rc = 0 ] && printf '%s' "$err" | grep -q "^lxm-net: '$BR' stays up as it was started: .*net_nft_table.*'lxm-net restart' applies that" &&
	[ "$(in_ns nft list tables)" = "$before" ]; echo $?)" \
	"start after an edit (table, subnets${fw:+, firewall}) changes nothing and says so (exit $rc: $err)"
check "lxm-net stop" -- net1 stop
ok "$( [ -z "$(lxm_tables)" ] && ! in_ns ip link show dev "$BR" >/dev/null 2>&1 &&
	[ -z "$(in_ns iptables-save 2>/dev/null | grep -F "lxm-net:")" ]; echo $?)" \
	"stop removed the table and the bridge that start made$(lxm_tables | tr '\n' ' ')"
check "lxm-net start (the edited config)" -- net1 start
sed -i "s|^net_bridge = .*|net_bridge = \"$BR3\";|" "$LXM_CONFDIR/lxm.conf"
check "lxm-net stop, the bridge renamed in lxm.conf since" -- net1 stop
ok "$( ! in_ns ip link show dev "$BR" >/dev/null 2>&1 && ! in_ns ip link show dev "$BR3" >/dev/null 2>&1 &&
	[ -z "$(lxm_tables)" ] && [ -z "$(in_ns iptables-save 2>/dev/null | grep -F "lxm-net:")" ] &&
	[ -z "$(ls -d "$LXM_RUNDIR"/.net-* 2>/dev/null)" ]; echo $?)" \
	"stop removed the bridge '$BR', its rules and its state"

# ---- an lxm.conf edited into an error does not keep a network from stopping ----
sed -i "s|^net_bridge = .*|net_bridge = \"$BR\";|" "$LXM_CONFDIR/lxm.conf"
check "lxm-net start" -- net1 start
printf 'net_nat = maybe;\n' >>"$LXM_CONFDIR/lxm.conf"
check "lxm-net stop, lxm.conf made wrong since" -- net1 stop
ok "$( ! in_ns ip link show dev "$BR" >/dev/null 2>&1 && [ -z "$(lxm_tables)" ]; echo $?)" "it stopped what start made"
expect_error "^lxm-net: net_nat: expected true or false, not 'maybe'$" "a start with it is refused" -- net1 start
sed -i '/^net_nat = maybe;$/d' "$LXM_CONFDIR/lxm.conf"

# ---- a bridge of the host's own, with a port of its own: stop takes down
# dnsmasq and NAT, not waiting for that port to go ----
in_ns ip link add "$BR" type bridge && in_ns ip link add "lxmkh$$" type dummy && in_ns ip link set "lxmkh$$" master "$BR"
check "lxm-net start on a bridge that exists" -- net1 start
check "lxm-net stop" -- net1 stop
ok "$([ "$(dnsmasqs "$BR")" = 0 ] && [ -z "$(lxm_tables)" ] && in_ns ip link show dev "$BR" >/dev/null 2>&1 &&
	[ -z "$(ls -d "$LXM_RUNDIR"/.net-* 2>/dev/null)" ]; echo $?)" \
	"its dnsmasq, rules and state are gone, the host's bridge stays"
in_ns ip link del "lxmkh$$"; in_ns ip link del "$BR"

# ---- the default DHCP range of other subnets ----
range_of() {   # range_of ADDRESS/PREFIX: the --dhcp-range dnsmasq gets
	local r
	LXM_NET_BRIDGE=$BRD LXM_NET_IPV4=$1 LXM_NET_IPV6= LXM_NET_NAT=false in_ns "$LXM_NET" start >/dev/null 2>&1
	r=$(tr '\0' '\n' <"/proc/$(cat "$LXM_RUNDIR/.net-$BRD/dnsmasq.pid" 2>/dev/null)/cmdline" 2>/dev/null |
		sed -n 's/^--dhcp-range=//p')
	LXM_NET_BRIDGE=$BRD in_ns "$LXM_NET" stop --force >/dev/null 2>&1
	echo "$r"
}
r=$(range_of "$NET3.65/26")
ok "$([ "$r" = "$NET3.89,$NET3.126" ]; echo $?)" "$NET3.65/26: the default range is $NET3.89-$NET3.126 ($r)"
r=$(range_of "$NET3.200/24")
ok "$([ "$r" = "$NET3.100,$NET3.199" ]; echo $?)" "$NET3.200/24: the range stops below the bridge's address ($r)"
r=$(range_of "10.236.0.1/16")
ok "$([ "$r" = "10.236.100.0,10.236.255.254" ]; echo $?)" "10.236.0.1/16: 10.236.100.0-10.236.255.254 ($r)"
ok "$(r=$(LXM_NET_DHCP_RANGE="$NET3.20,$NET3.30" range_of "$NET3.1/24") && [ "$r" = "$NET3.20,$NET3.30" ]; echo $?)" \
	"a configured range is taken as it is"

# ---- the unit: made from lxm-net.service.in with the configured sbindir ----
unit=$BUILDDIR/systemd/lxm-net.service
ok "$(grep -qx 'ExecStart=@sbindir@/lxm-net start' "$SRCDIR/systemd/lxm-net.service.in" &&
	grep -qx 'ExecStop=@sbindir@/lxm-net stop' "$SRCDIR/systemd/lxm-net.service.in" &&
	grep -qx 'KillMode=process' "$SRCDIR/systemd/lxm-net.service.in" &&
	[ -f "$unit" ] && ! grep -q '@[a-z]*@' "$unit" && grep -Eqx 'ExecStart=/.*/sbin/lxm-net start' "$unit"; echo $?)" \
	"lxm-net.service is made from lxm-net.service.in with the configured sbindir"

ok "$([ "$(dnsmasqs "$BR")" = 0 ] && [ "$(dnsmasqs "$BRD")" = 0 ]; echo $?)" "no dnsmasq of the test left"
done_testing
