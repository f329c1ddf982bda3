#!/bin/bash
# VPS scenario (issue 4): a Debian container created with
# "--packages openssh-server --auth-key KEY.pub", started on a bridge of
# this test's own (lxm-net with its own name, subnet and nft table) with a
# DHCP address from lxm-net's dnsmasq, accepts "ssh root@ADDRESS hostname"
# from the host with that key and answers its own name.
#
# The Debian tree comes from $LXM_TEST_DEBIAN_CACHE (default
# /var/tmp/lxm-test-cache, kept there by test-debian.sh and by this test);
# without it, debootstrap builds it (1-2.5 min), or the test is skipped when
# debootstrap or the mirror is unavailable.
. "$(dirname "$0")/lib.sh"
require_root
for cmd in dnsmasq nft ip ssh ssh-keygen debootstrap; do
	command -v $cmd >/dev/null || { echo "1..0 # SKIP $cmd not installed (scripts/deps)"; exit 0; }
done

release=bookworm
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
seed=${LXM_TEST_DEBIAN_CACHE-/var/tmp/lxm-test-cache}
packages=openssh-server
# the template's cache key for these --packages (templates/lxm-debian)
key=$release-$arch-$(printf '%s' "$packages" | tr ',' '\n' | sort -u | cksum | cut -d' ' -f1)

mkdir -p "$LXM_CACHEDIR/debian"
seeded=
for from in "$seed/debian/$key" "$seed/debian/$release-$arch"; do
	# openssh-server is in the template's base set: the plain tree is the same
	if [ -n "$seed" ] && [ -x "$from/sbin/init" ]; then
		cp -al "$from" "$LXM_CACHEDIR/debian/$key" 2>/dev/null ||
			cp -a "$from" "$LXM_CACHEDIR/debian/$key"
		seeded=$from
		break
	fi
done
if [ -z "$seeded" ]; then
	skip_unless_debian_mirror "$release"
fi

export LXM_NET=$SRCDIR/net/lxm-net
export LXM_NET_LEASEDIR=$TEST_TMP
BR=lxmv$$
NET3=10.232.$(( $$ % 250 ))
GW=$NET3.1
cat >"$LXM_CONFDIR/lxm.conf" <<EOF
net_bridge = "$BR";
net_ipv4 = "$GW/24";
net_nat = false;
net_domain = "";
EOF
vps_cleanup() {
	# lxm-net's state (dnsmasq's pid file) is under $TEST_TMP: stopped first
	cleanup_containers
	"$LXM_NET" stop --force >/dev/null 2>&1
	ip link del "$BR" 2>/dev/null
	nft delete table ip "lxm_$BR" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap vps_cleanup EXIT

v1=$PFX-vps
ssh-keygen -q -t ed25519 -N '' -C "lxm-test-vps" -f "$TEST_TMP/key"
ok $? "a throwaway ssh key"
printf 'net = ( { type = "veth"; link = "%s"; } );\n' "$BR" >"$TEST_TMP/net.conf"

t0=$(date +%s%N)
out=$(timeout 400 lxm-create -n "$v1" -t debian -f "$TEST_TMP/net.conf" -- -r "$release" \
	--packages "$packages" --auth-key "$TEST_TMP/key.pub" 2>&1)
rc=$?
ok $rc "lxm-create -t debian -- --packages $packages --auth-key KEY.pub ($(( ($(date +%s%N) - t0) / 1000000 )) ms${seeded:+, cache seeded from $seeded})"
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'
if [ -z "$seeded" ] && [ -n "$seed" ] && [ -x "$LXM_CACHEDIR/debian/$key/sbin/init" ]; then
	mkdir -p "$seed/debian" && rm -rf "$seed/debian/.new-vps" &&
		{ cp -al "$LXM_CACHEDIR/debian/$key" "$seed/debian/.new-vps" 2>/dev/null ||
		  cp -a "$LXM_CACHEDIR/debian/$key" "$seed/debian/.new-vps"; } &&
		rm -rf "$seed/debian/$key" && mv "$seed/debian/.new-vps" "$seed/debian/$key" ||
		diag "could not keep the tree in '$seed'"
fi
grep -q "link = \"$BR\"" "$LXM_PATH/$v1/config" && grep -q '^idmap' "$LXM_PATH/$v1/config"
ok $? "the config has the veth on $BR and is unprivileged"

t0=$(date +%s%N)
# the bridge does not exist yet: the start brings lxm-net up first
check "start it (unprivileged, DHCP)" -- lxm-start -n "$v1"
addr=
for _ in $(seq 1 600); do
	addr=$(lxm-info -n "$v1" -i 2>/dev/null | awk '$1 == "IP:" && $2 ~ /\./ {print $2; exit}')
	[ -n "$addr" ] && break
	sleep 0.1
done
ok "$([ "${addr%.*}" = "$NET3" ]; echo $?)" "a DHCP address from lxm-net's dnsmasq (${addr:-none} after $(( ($(date +%s%N) - t0) / 1000000 )) ms)"

answer= tries=0
if [ -n "$addr" ]; then
	while [ $tries -lt 60 ]; do
		tries=$((tries + 1))
		answer=$(ssh -i "$TEST_TMP/key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
			-o BatchMode=yes -o ConnectTimeout=3 -o LogLevel=ERROR "root@$addr" hostname 2>"$TEST_TMP/ssh.err")
		[ -n "$answer" ] && break
		sleep 0.5
	done
fi
ok "$([ "$answer" = "$v1" ]; echo $?)" "ssh -i KEY root@$addr hostname answers '$answer' ($tries attempt(s), $(( ($(date +%s%N) - t0) / 1000000 )) ms after lxm-start)"
[ "$answer" = "$v1" ] || sed 's/^/#   ssh: /' "$TEST_TMP/ssh.err" | tail -5
out=$(ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
	-o PubkeyAuthentication=no -o ConnectTimeout=3 -o LogLevel=ERROR \
	"root@${addr:-0.0.0.0}" hostname 2>/dev/null)
ok "$([ -z "$out" ]; echo $?)" "without the key, no way in"

t0=$(date +%s%N)
lxm-stop -n "$v1" -t 30 >/dev/null 2>&1
rc=$?
ok "$([ $rc -eq 0 ] && [ "$(state_of "$v1")" = STOPPED ]; echo $?)" "lxm-stop halts it ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
for _ in $(seq 1 100); do   # released with the container's namespace, just after the stop
	left=$(ip -o link show master "$BR" 2>/dev/null)
	[ -z "$left" ] && break
	sleep 0.01
done
ok "$([ -z "$left" ]; echo $?)" "no host veth left on $BR"
no_leaks "$v1" "nothing left of the container"
check "lxm-destroy it" -- lxm-destroy -n "$v1"
check "lxm-net stop" -- "$LXM_NET" stop
ok "$( ! ip link show dev "$BR" >/dev/null 2>&1 && ! nft list tables | grep -q "lxm_$BR"; echo $?)" "bridge and nft table gone"

done_testing
