#!/bin/bash
# Unprivileged containers (issue 3): id ranges from the subordinate id
# files, the monitor's uid/gid maps, root inside mapped outside, rootfs
# ownership by idmapped mount or by shifting, --privileged.
. "$(dirname "$0")/lib.sh"
require_root

# the lxmpath is 0755 but a container dir is 0750 root: the mapped root
# must still boot from it
export LXM_SUBUID_FILE LXM_SUBGID_FILE
printf 'someone:100000:65536\n' >"$LXM_SUBUID_FILE"
printf 'someone:100000:65536\n' >"$LXM_SUBGID_FILE"

map_line() {   # map_line PID uid|gid: "inside outside count" of the first line
	awk '{print $1, $2, $3; exit}' "/proc/$1/$2_map"
}
conf_host() {  # conf_host NAME u|g [LXMPATH]: the host start of the container's range
	sed -n "s/.*type = \"$2\"; container = 0; host = \([0-9]*\); count = \([0-9]*\).*/\1 \2/p" \
		"${3:-$LXM_PATH}/$1/config"
}
pid_of_in() { lxm-info -P "$1" -n "$2" -p 2>/dev/null | awk '{print $2}'; }

a=${PFX}-a b=${PFX}-b p=${PFX}-p s=${PFX}-s
# a second and a third lxmpath with the same config dir (their containers go
# with the test too)
lib2=$TEST_TMP/lib2 lib3=$TEST_TMP/lib3
userns_cleanup() {
	LXM_PATH=$lib2 destroy_all
	[ -d "$lib3" ] && LXM_PATH=$lib3 destroy_all
	cleanup
}
trap userns_cleanup EXIT

out=$(lxm-create -n "$a" -t busybox 2>&1)
ok $? "create an unprivileged busybox container"
printf '%s\n' "$out" | grep -q "added 'root:[0-9]*:[0-9]*'"
ok $? "lxm-create says it added a range for root: $(printf '%s' "$out" | head -1)"
grep -q '^someone:100000:65536$' "$LXM_SUBUID_FILE" && grep -q '^root:1000000:1000000000$' "$LXM_SUBUID_FILE"
ok $? "the range for root is added after the other ranges in the subuid file"
grep -q '^root:1000000:1000000000$' "$LXM_SUBGID_FILE"
ok $? "and in the subgid file"
read -r ahost acount < <(conf_host "$a" u)
read -r aghost _ < <(conf_host "$a" g)
[ "$ahost" = 1000000 ] && [ "$acount" = 65536 ] && [ "$aghost" = 1000000 ]
ok $? "the config's idmap is the first 65536 ids of root's range ($ahost $acount)"

check "start it" -- lxm-start -n "$a"
pid=$(pid_of "$a")
[ "$(state_of "$a")" = RUNNING ] && [ -n "$pid" ]
ok $? "it is RUNNING (pid $pid)"
[ "$(map_line "$pid" uid)" = "0 1000000 65536" ]
ok $? "init's uid_map is the allocated range: $(map_line "$pid" uid)"
[ "$(map_line "$pid" gid)" = "0 1000000 65536" ]
ok $? "init's gid_map is the allocated range: $(map_line "$pid" gid)"
read -r _ ruid euid _ < <(grep '^Uid:' "/proc/$pid/status")
[ "$ruid" = 1000000 ] && [ "$euid" = 1000000 ]
ok $? "root inside runs as host uid 1000000 (Uid: $ruid $euid)"
[ "$(lxm-attach -n "$a" -- id -u 2>/dev/null)" = 0 ]
ok $? "and is uid 0 inside"
own=$(lxm-attach -n "$a" -- stat -c '%u:%g' /bin/busybox /etc/inittab / 2>/dev/null | sort -u)
[ "$own" = "0:0" ]
ok $? "root inside sees its files owned by root ($own)"
lxm-attach -n "$a" -- sh -c 'echo x > /root-write-test && rm /root-write-test' >/dev/null 2>&1
ok $? "and can write to its rootfs"
if [ -e "$LXM_PATH/$a/rootfs.idmap" ]; then
	method=shift
	[ "$(stat -c %u "$LXM_PATH/$a/rootfs/bin/busybox")" = 1000000 ]
	ok $? "shifted rootfs: files on disk are owned by the range"
else
	method=mount
	[ "$(stat -c %u "$LXM_PATH/$a/rootfs/bin/busybox")" = 0 ]
	ok $? "idmapped mount: files on disk stay owned by 0"
	grep -q "idmapped" /proc/"$pid"/mountinfo
	ok $? "the rootfs is an idmapped mount inside"
fi
diag "this host gets: $method"
[ "$(lxm-ls -f | awk -v n="$a" '$1 == n {print $NF}')" = true ] || [ -z "$(lxm-ls -f 2>/dev/null | grep UNPRIV)" ]
ok $? "lxm-ls -f shows it as unprivileged (when it has the column)"

check "create a second one" -- lxm-create -n "$b" -t busybox
read -r bhost bcount < <(conf_host "$b" u)
[ "$bhost" = 1065536 ] && [ "$bcount" = 65536 ]
ok $? "the second container gets the next, disjoint range ($bhost)"
check "start the second one" -- lxm-start -n "$b"
bpid=$(pid_of "$b")
[ "$(map_line "$bpid" uid)" = "0 1065536 65536" ]
ok $? "its init runs in its own range: $(map_line "$bpid" uid)"

# a config that overlaps another container's range, or lies outside
cat >"$TEST_TMP/overlap.conf" <<EOF
idmap = ( { type = "u"; container = 0; host = 1000100; count = 100; },
          { type = "g"; container = 0; host = 2000000; count = 65536; } );
EOF
expect_error "overlap container '$a'" "an idmap overlapping another container's is refused, naming it" -- \
	lxm-create -n "${PFX}-o" -t busybox -f "$TEST_TMP/overlap.conf"
[ ! -e "$LXM_PATH/${PFX}-o" ]
ok $? "and leaves nothing behind"
cat >"$TEST_TMP/outside.conf" <<EOF
idmap = ( { type = "u"; container = 0; host = 5000; count = 65536; },
          { type = "g"; container = 0; host = 3000000; count = 65536; } );
EOF
expect_error "not within root's ranges in '$LXM_SUBUID_FILE'" "an idmap outside root's ranges is refused, naming the file" -- \
	lxm-create -n "${PFX}-o" -t busybox -f "$TEST_TMP/outside.conf"

# a map of more lines than one per type cannot be copied into a range of
# the copy's own (the copy got the first line's size, the rest was lost)
cat >"$TEST_TMP/split.conf" <<EOF
idmap = ( { type = "u"; container = 0; host = 50000000; count = 1000; },
          { type = "u"; container = 1000; host = 50001000; count = 64536; },
          { type = "g"; container = 0; host = 50100000; count = 65536; } );
EOF
check "create with a map of two uid lines" -- lxm-create -n "${PFX}-sp" -t busybox -f "$TEST_TMP/split.conf"
expect_error "^lxm-copy: ${PFX}-sp: cannot give the copy an id range of its own: the id map is not one range from 0 for uids and one for gids \\(3 lines\\)$" \
	"lxm-copy refuses to squeeze that map into one range" -- lxm-copy -n "${PFX}-sp" -N "${PFX}-sq"
[ ! -e "$LXM_PATH/${PFX}-sq" ]
ok $? "and leaves nothing behind"
check "destroy it" -- lxm-destroy -n "${PFX}-sp"

# a config lxm cannot read (a hand edit gone wrong) does not free the
# range of its container, which may be running on it
cp "$LXM_PATH/$a/config" "$TEST_TMP/a.config"
echo 'bogus_key = 1;' >>"$LXM_PATH/$a/config"
expect_error "^lxm-create: ${PFX}-o: the id range of container '$a' is unknown: .*/$a/config:[0-9]+: bogus_key" \
	"a create refuses to guess while another container's config is unreadable, naming it and the line" -- \
	lxm-create -n "${PFX}-o" -t busybox
[ ! -e "$LXM_PATH/${PFX}-o" ]
ok $? "and leaves nothing behind"
cp "$TEST_TMP/a.config" "$LXM_PATH/$a/config"

check "stop both" -- lxm-stop -n "$a" -t 10
check "stop the second" -- lxm-stop -n "$b" -k
no_leaks "$a" "nothing left of the first after the stop"
no_leaks "$b" "nothing left of the second after the stop"

# lxm-start checks a hand-edited idmap again
cp "$LXM_PATH/$b/config" "$TEST_TMP/b.config"
sed -i "s/host = $bhost;/host = 1000100;/" "$LXM_PATH/$b/config"
expect_error "^lxm-start: $b: config: idmap\[0\]: host uids .* overlap container '$a'" \
	"lxm-start refuses a hand-edited idmap that overlaps another container's, naming both" -- \
	lxm-start -n "$b"
sed -i "s/host = 1000100;/host = 5000;/" "$LXM_PATH/$b/config"
expect_error "^lxm-start: $b: config: idmap\[0\]: .*not within root's ranges in '$LXM_SUBUID_FILE'" \
	"and one outside root's ranges, naming the file" -- lxm-start -n "$b"
[ "$(state_of "$b")" = STOPPED ]
ok $? "the refused container stays STOPPED"
cp "$TEST_TMP/b.config" "$LXM_PATH/$b/config"

# --privileged: no user namespace
check "create a privileged one" -- lxm-create -n "$p" -t busybox --privileged
! grep -q idmap "$LXM_PATH/$p/config"
ok $? "a privileged container has no idmap"
check "start it" -- lxm-start -n "$p"
ppid=$(pid_of "$p")
[ "$(readlink "/proc/$ppid/ns/user")" = "$(readlink /proc/self/ns/user)" ]
ok $? "it shares the host's user namespace"
[ "$(awk '/^Uid:/ {print $2}' "/proc/$ppid/status")" = 0 ]
ok $? "its init is host uid 0"
check "stop it" -- lxm-stop -n "$p" -k

# the shift path, forced by the config
printf 'rootfs = { path = "rootfs"; idmapped = "shift"; };\n' >"$TEST_TMP/shift.conf"
check "create with rootfs.idmapped = \"shift\"" -- lxm-create -n "$s" -t busybox -f "$TEST_TMP/shift.conf"
read -r shost _ < <(conf_host "$s" u)
[ "$(stat -c %u:%g "$LXM_PATH/$s/rootfs/bin/busybox")" = "$shost:$shost" ]
ok $? "the files on disk are owned by the container's range ($shost)"
[ -e "$LXM_PATH/$s/rootfs.idmap" ]
ok $? "the shift is recorded"
check "the shifted container starts" -- lxm-start -n "$s"
spid=$(pid_of "$s")
[ "$(awk '/^Uid:/ {print $2}' "/proc/$spid/status")" = "$shost" ]
ok $? "its init runs as host uid $shost"
own=$(lxm-attach -n "$s" -- stat -c '%u:%g' /bin/busybox /etc/inittab / 2>/dev/null | sort -u)
[ "$own" = "0:0" ]
ok $? "root inside sees its files owned by root ($own)"
check "stop it" -- lxm-stop -n "$s" -k

# change its idmap: the next start re-shifts
new=$((shost + 65536 * 10))
sed -i "s/host = $shost;/host = $new;/g" "$LXM_PATH/$s/config"
check "start after changing the idmap" -- lxm-start -n "$s"
[ "$(stat -c %u:%g "$LXM_PATH/$s/rootfs/bin/busybox")" = "$new:$new" ]
ok $? "the rootfs was re-shifted to the new range"
own=$(lxm-attach -n "$s" -- stat -c '%u:%g' /bin/busybox /etc/inittab 2>/dev/null | sort -u)
[ "$own" = "0:0" ]
ok $? "and root inside still owns its files ($own)"
check "stop it" -- lxm-stop -n "$s" -k
no_leaks "$s" "nothing left of the shifted container"

# a create with the idmap of its config reserves it while its template
# runs, as an allocated one does: a create at the same time takes another
free=1131072
while grep -q "host = $free;" "$LXM_PATH"/*/config; do free=$((free + 65536)); done
tdir=$TEST_TMP/templates
mkdir -p "$tdir"
cat >"$tdir/lxm-held" <<'EOT'
#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = --rootfs ] && rootfs=$2; shift; done
mkdir -p "$rootfs/sbin" && : >"$rootfs/sbin/half-made"
while [ -e "${0%/*}/hold" ]; do sleep 0.05; done
EOT
chmod +x "$tdir/lxm-held"
: >"$tdir/hold"
cat >"$TEST_TMP/given.conf" <<EOT
idmap = ( { type = "u"; container = 0; host = $free; count = 65536; },
          { type = "g"; container = 0; host = $free; count = 65536; } );
EOT
h=${PFX}-h n=${PFX}-n
LXM_TEMPLATEDIR=$tdir lxm-create -n "$h" -t held -f "$TEST_TMP/given.conf" >/dev/null 2>"$TEST_TMP/held.err" &
hpid=$!
for _ in $(seq 100); do [ -e "$LXM_PATH/$h/rootfs/sbin/half-made" ] && break; sleep 0.05; done
check "a create during the other's template" -- lxm-create -n "$n" -t busybox
read -r nhost _ < <(conf_host "$n" u)
[ -n "$nhost" ] && [ "$nhost" != "$free" ]
ok $? "it does not take the range the other's config gives ($free; got $nhost)"
rm -f "$tdir/hold"
wait $hpid
ok $? "the create with the given idmap finishes: $(cat "$TEST_TMP/held.err")"
[ "$(conf_host "$h" u)" = "$free 65536" ]
ok $? "with its range"

# Ranges are disjoint across lxmpaths too: each lxmpath with containers is
# listed in the config dir's registry, and every listed one is looked at.
ranges_in() {  # ranges_in u|g DIR...: "start count" of every container's maps
	local d
	for d in "${@:2}"; do
		sed -n "s/.*type = \"$1\"; container = [0-9]*; host = \([0-9]*\); count = \([0-9]*\).*/\1 \2/p" \
			"$d"/*/config 2>/dev/null
	done
}
disjoint() {   # disjoint u|g DIR...: no two ranges overlap
	ranges_in "$@" | sort -n |
		awk 'NR > 1 && $1 < end { bad = 1 } { if ($1 + $2 > end) end = $1 + $2 } END { exit bad }'
}
registry=$LXM_CONFDIR/lxmpaths
grep -qxF "$LXM_PATH" "$registry"
ok $? "the lxmpath is listed in the config dir's registry '$registry'"
mkdir -p "$lib2"
x=${PFX}-x y=${PFX}-y
check "create a container in a second lxmpath" -- lxm-create -P "$lib2" -n "$x" -t busybox
grep -qxF "$lib2" "$registry"
ok $? "the second lxmpath is listed too"
read -r xhost _ < <(conf_host "$x" u "$lib2")
disjoint u "$LXM_PATH" "$lib2" && disjoint g "$LXM_PATH" "$lib2"
ok $? "its range ($xhost) overlaps none of the first lxmpath's ($(ranges_in u "$LXM_PATH" | awk '{print $1}' | sort -n | tr '\n' ' '))"
check "start it" -- lxm-start -P "$lib2" -n "$x"
xpid=$(pid_of_in "$lib2" "$x")
[ -n "$xpid" ] && [ "$(map_line "$xpid" uid)" = "0 $xhost 65536" ] && [ "$xhost" != "$ahost" ]
ok $? "its root is another host uid than the root of '$a' in the first lxmpath ($(map_line "$xpid" uid))"
check "stop it" -- lxm-stop -P "$lib2" -n "$x" -k

# an explicit map in the second lxmpath that overlaps a container of the
# first is refused at create and at start, naming it and its lxmpath
cat >"$TEST_TMP/overlap2.conf" <<EOC
idmap = ( { type = "u"; container = 0; host = $((ahost + 100)); count = 100; },
          { type = "g"; container = 0; host = $((ahost + 100)); count = 100; } );
EOC
expect_error "^lxm-create: ${PFX}-o2: config: idmap\\[0\\]: host uids $((ahost + 100))-$((ahost + 199)) overlap container '$a' in '$LXM_PATH' \\($ahost-$((ahost + 65535))\\)$" \
	"an idmap in the second lxmpath overlapping a container of the first is refused, naming it and its lxmpath" -- \
	lxm-create -P "$lib2" -n "${PFX}-o2" -t busybox -f "$TEST_TMP/overlap2.conf"
[ ! -e "$lib2/${PFX}-o2" ]
ok $? "and leaves nothing behind"
cp "$lib2/$x/config" "$TEST_TMP/x.config"
sed -i "s/host = $xhost;/host = $bhost;/" "$lib2/$x/config"
expect_error "^lxm-start: $x: config: idmap\\[0\\]: host uids .* overlap container '$b' in '$LXM_PATH'" \
	"lxm-start in the second lxmpath refuses a hand-edited idmap overlapping '$b' of the first" -- \
	lxm-start -P "$lib2" -n "$x"
cp "$TEST_TMP/x.config" "$lib2/$x/config"

# destroying a container frees its range, also for the other lxmpath
check "destroy the container of the second lxmpath" -- lxm-destroy -P "$lib2" -n "$x"
check "create in the first lxmpath after it" -- lxm-create -n "$y" -t none
[ "$(conf_host "$y" u)" = "$xhost 65536" ]
ok $? "it gets the range the destroyed one had ($(conf_host "$y" u))"

# a listed lxmpath that is gone, or is a file now, does no harm
w=${PFX}-w z=${PFX}-z
mkdir -p "$lib3"
check "create in a third lxmpath" -- lxm-create -P "$lib3" -n "$w" -t none
grep -qxF "$lib3" "$registry"
ok $? "the third lxmpath is listed"
read -r whost _ < <(conf_host "$w" u "$lib3")
rm -rf "$lib3"
out=$(lxm-create -P "$lib2" -n "$z" -t busybox 2>&1)
ok $? "a create with a listed lxmpath that is gone succeeds${out:+: $out}"
[ -z "$out" ] && [ "$(conf_host "$z" u "$lib2")" = "$whost 65536" ]
ok $? "without a word, and the range of the container that went with it is free ($(conf_host "$z" u "$lib2"))"
echo "not a directory" >"$lib3"
out=$(lxm-start -P "$lib2" -n "$z" 2>&1)
ok $? "a start with a listed lxmpath that is a file now succeeds"
! printf '%s' "$out" | grep -qF "$lib3"
ok $? "without a word on it${out:+ ($out)}"
check "stop it" -- lxm-stop -P "$lib2" -n "$z" -k
no_leaks "$z" "nothing left of it after the stop"
check "destroy it" -- lxm-destroy -P "$lib2" -n "$z"
rm -f "$lib3"

# a listed lxmpath where a container's config or partial marker is a FIFO
# (reading it would never end, with the lock every create waits for) is
# not read; in the container's own lxmpath such a config is an error
mkdir -p "$lib3/fifo1" "$lib3/fifo2"
mkfifo "$lib3/fifo1/config" "$lib3/fifo2/partial"
out=$(timeout -s KILL 10 lxm-create -P "$lib2" -n "$z" -t none 2>&1)
ok $? "a create with a FIFO as a config in a listed lxmpath succeeds${out:+: $out}"
check "destroy it" -- lxm-destroy -P "$lib2" -n "$z"
expect_error "^lxm-create: $z: .*the id range of container 'fifo1' is unknown: '$lib3/fifo1/config' is not a regular file" \
	"in its own lxmpath, a FIFO as a config is an error naming it" -- timeout -s KILL 10 lxm-create -P "$lib3" -n "$z" -t none
rm -rf "$lib3"

# a config dir that cannot be written (a read-only /etc): the create goes
# on, and says that its ranges are kept apart only within its lxmpath
roconf=$TEST_TMP/roconf
mkdir -p "$roconf"
if mount -t tmpfs -o ro,size=64k "lxm-roconf-$PFX" "$roconf"; then
	out=$(LXM_CONFDIR=$roconf lxm-create -P "$lib2" -n "$z" -t busybox 2>&1)
	ok $? "a create with a read-only config dir succeeds"
	printf "%s" "$out" | grep -q "$roconf/lxmpaths.*Read-only file system.*not kept apart"
	ok $? "... and says what it could not do ($out)"
	check "destroy it" -- lxm-destroy -P "$lib2" -n "$z"
	umount "$roconf"
else
	skip "a read-only config dir: no tmpfs mount"
	skip "a read-only config dir: no tmpfs mount"
fi

done_testing
