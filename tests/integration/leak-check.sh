#!/bin/bash
# What the integration tests could leave on the host: links of theirs
# (lxm<letters><pid>, vlxmt<pid>...), cgroups of their containers
# (lxm/t<pid>-...), mounts, processes and dnsmasq instances under their
# temporary dirs (/tmp/lxm-it.*), those dirs, nft tables of their bridges,
# and dnsmasq lease files of their bridges (lxm-net keeps them after a stop).
#
#   leak-check.sh list          one line per such thing there is now
#   leak-check.sh check BEFORE  TAP: one check per kind, failing on what is
#                               there now and was not in BEFORE (a list)
set -u

list() {
	local d
	ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		grep -E '^(lxm[a-z]*[0-9]+|vlxmt[0-9])' | sed 's/^/link /'
	# and the shared lxm parents, which go with the last container
	for d in /sys/fs/cgroup/*/lxm/t[0-9]* /sys/fs/cgroup/lxm/t[0-9]* /sys/fs/cgroup/*/lxm /sys/fs/cgroup/lxm; do
		[ -d "$d" ] && echo "cgroup $d"
	done
	awk '$5 ~ "^/tmp/lxm-it\\." { print "mount " $5 }' /proc/self/mountinfo
	for d in /proc/[0-9]*; do
		tr '\0' ' ' 2>/dev/null <"$d/cmdline" | grep -q -- '/tmp/lxm-it\.' &&
			echo "process ${d#/proc/} $(tr '\0' ' ' 2>/dev/null <"$d/cmdline" | cut -c1-80)"
	done
	for d in /tmp/lxm-it.*; do
		[ -e "$d" ] && echo "dir $d"
	done
	nft list tables 2>/dev/null | awk '$3 ~ /^lxm_lxm[a-z]*[0-9]+$/ { print "nft " $2 " " $3 }'
	for d in /var/lib/misc/dnsmasq.lxm*.leases; do
		case $d in */dnsmasq.lxm*[0-9].leases) [ -e "$d" ] && echo "lease $d" ;; esac
	done
	return 0
}

case "${1:-}" in
list)
	list | sort
	;;
check)
	before=${2:?usage: leak-check.sh check BEFORE}
	now=$(list | sort)
	n=0
	for kind in link cgroup mount process dir nft lease; do
		n=$((n + 1))
		# what was there before the tests is not theirs
		leaked=$(printf '%s\n' "$now" | grep "^$kind " | grep -vxF -f "$before")
		if [ -z "$leaked" ]; then
			echo "ok $n - the integration tests left no $kind behind"
		else
			echo "not ok $n - the integration tests left $kind(s) behind"
			printf '%s\n' "$leaked" | sed 's/^/#   /'
		fi
	done
	echo "1..$n"
	;;
*)
	echo "usage: leak-check.sh list | check BEFORE" >&2
	exit 2
	;;
esac
