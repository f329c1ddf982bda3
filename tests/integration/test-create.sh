#!/bin/bash
# lxm-create: busybox and none templates, atomicity under SIGINT/SIGTERM
# and SIGKILL; lxm-ls, lxm-wait and --json output.
. "$(dirname "$0")/lib.sh"
require_root

# -h lists the templates; with -t, the template's own options follow ours
out=$(lxm-create -h 2>&1)
ok "$(printf '%s\n' "$out" | grep -qx "Templates: busybox, debian, archive, none (the first ones in '$LXM_TEMPLATEDIR')"; echo $?)" \
	"-h lists the templates in the template dir, then archive and none"
out=$(lxm-create -t busybox -h 2>&1)
ok "$(printf '%s\n' "$out" | head -1 | grep -q '^Usage: lxm-create' &&
	printf '%s\n' "$out" | grep -qx "Options of the template 'busybox' (after --):" &&
	printf '%s\n' "$out" | grep -q '^Usage: lxm-busybox --name NAME'; echo $?)" "-t busybox -h: our options, then the template's"
out=$(lxm-create -h -t debian 2>&1)
ok "$(printf '%s\n' "$out" | grep -q -- '--auth-key FILE'; echo $?)" "-h before -t: the debian template's options too"
ok "$(lxm-create -t archive -h 2>&1 | grep -q -- '--file=ARCHIVE|DIR|-'; echo $?)" "-t archive -h: its --file option"
expect_error "^lxm-create: template 'nope' not found in '$LXM_TEMPLATEDIR'\$" "-t nope -h fails naming the template" -- lxm-create -t nope -h

# -t none: a config and an empty rootfs that the user fills
n=${PFX}-none
check "create -t none" -- lxm-create -n "$n" -t none
ok "$( [ -d "$LXM_PATH/$n/rootfs" ] && [ -z "$(ls -A "$LXM_PATH/$n/rootfs")" ]; echo $?)" "-t none makes an empty rootfs"
expect_error "^lxm-start: $n: init '/sbin/init' in rootfs" "starting an empty rootfs says init is missing" -- lxm-start -n "$n"

# default.conf is the base of new containers; -f is read over it
printf 'console = { ttys = 2; };\nautostart = { enabled = true; order = 5; groups = ["web", "db"]; };\n' > "$LXM_CONFDIR/default.conf"
printf 'limits = { pids = 100; };\n' > "$TEST_TMP/extra.conf"
d=${PFX}-dflt
check "create with default.conf and -f" -- lxm-create -n "$d" -t busybox -f "$TEST_TMP/extra.conf"
ok "$(grep -q 'ttys = 2' "$LXM_PATH/$d/config"; echo $?)" "default.conf values reach the new config"
ok "$(grep -q 'pids = 100' "$LXM_PATH/$d/config"; echo $?)" "-f values reach the new config"
ok "$(grep -c 'getty' "$LXM_PATH/$d/rootfs/etc/inittab" | grep -qx 2; echo $?)" "the template made one getty per configured tty"

# the hostname: the config's, when it names one, also in the guest's
# /etc/hostname (its boot sets it from there); else the name made a valid
# hostname, so that a name with '_' (as LXC allows) can be created
h=${PFX}-host
printf 'hostname = "web-%s";\n' "$PFX" > "$TEST_TMP/host.conf"
check "create with a hostname in -f" -- lxm-create -n "$h" -t busybox -f "$TEST_TMP/host.conf"
ok "$( [ "$(cat "$LXM_PATH/$h/rootfs/etc/hostname")" = "web-$PFX" ] &&
	grep -q "^127.0.1.1[[:space:]]*web-$PFX\$" "$LXM_PATH/$h/rootfs/etc/hosts"; echo $?)" "the config's hostname is in the guest's /etc/hostname and /etc/hosts"
check "the container boots" -- lxm-start -n "$h"
ok "$( [ "$(lxm-attach -n "$h" -- /bin/hostname)" = "web-$PFX" ]; echo $?)" "its boot keeps the config's hostname"
lxm-stop -n "$h" -k >/dev/null 2>&1
check "destroy it" -- lxm-destroy -n "$h"
u=${PFX}_under
check "create a name with '_'" -- lxm-create -n "$u" -t busybox
ok "$(grep -q "^hostname = \"${PFX}-under\";" "$LXM_PATH/$u/config" &&
	[ "$(cat "$LXM_PATH/$u/rootfs/etc/hostname")" = "${PFX}-under" ]; echo $?)" "its hostname has '-' for '_', in the config and the guest"
check "copy it to another name with '_'" -- lxm-copy -n "$u" -N "${u}_2"
ok "$(grep -q "^hostname = \"${PFX}-under-2\";" "$LXM_PATH/${u}_2/config" &&
	[ "$(cat "$LXM_PATH/${u}_2/rootfs/etc/hostname")" = "${PFX}-under-2" ]; echo $?)" "the copy's hostname too"
check "destroy them" -- sh -c "lxm-destroy -n ${u}_2 && lxm-destroy -n $u"
expect_error "^lxm-create: _: no hostname can be made of the name" "a name with no hostname in it asks for one" -- lxm-create -n _ -t none
ok "$( [ ! -e "$LXM_PATH/_" ]; echo $?)" "and leaves nothing"

rm -f "$LXM_CONFDIR/default.conf"
printf 'bogus_key = 1;\n' > "$LXM_CONFDIR/default.conf"
expect_error "^lxm-create: ${PFX}-bad: .*default.conf:1: bogus_key: unknown key" "a broken default.conf stops the create" -- lxm-create -n "${PFX}-bad" -t busybox
ok "$( [ ! -e "$LXM_PATH/${PFX}-bad" ]; echo $?)" "and leaves nothing"
rm -f "$LXM_CONFDIR/default.conf"

# an interrupted create leaves nothing behind
tdir=$TEST_TMP/templates
mkdir -p "$tdir"
cat > "$tdir/lxm-slow" <<'EOT'
#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = --rootfs ] && rootfs=$2; shift; done
mkdir -p "$rootfs/sbin" && : > "$rootfs/sbin/half-made"
exec sleep 30
EOT
chmod +x "$tdir/lxm-slow"
for sig in INT TERM; do
	s=${PFX}-slow$sig
	LXM_TEMPLATEDIR=$tdir lxm-create -n "$s" -t slow >/dev/null 2>"$TEST_TMP/err" &
	cpid=$!
	for i in $(seq 100); do [ -e "$LXM_PATH/$s/rootfs/sbin/half-made" ] && break; sleep 0.05; done
	kill -$sig $cpid
	wait $cpid
	rc=$?
	ok "$( [ $rc -ne 0 ]; echo $?)" "SIG$sig during the template makes create fail (exit $rc)"
	ok "$( [ ! -e "$LXM_PATH/$s" ]; echo $?)" "SIG$sig during create leaves no container directory"
	ok "$(grep -q "interrupted" "$TEST_TMP/err"; echo $?)" "SIG$sig: the error says it was interrupted"
done
pkill -f "$tdir/lxm-slow" 2>/dev/null

# two creates of one name, the second while the first ends: the second
# waited for the first's marker lock, got it once the first had removed the
# marker and finished, took the whole new container for the remains of an
# interrupted create and replaced it (both exited 0); strace holds the
# second before that lock for 1 s
cat > "$tdir/lxm-brief" <<'EOT'
#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = --rootfs ] && rootfs=$2; shift; done
mkdir -p "$rootfs/sbin" && cp /bin/busybox "$rootfs/sbin/init" && : > "$rootfs/first"
sleep 0.5
EOT
chmod +x "$tdir/lxm-brief"
if command -v strace >/dev/null; then
	s=${PFX}-twice
	LXM_TEMPLATEDIR=$tdir lxm-create -n "$s" -t brief --privileged >/dev/null 2>"$TEST_TMP/tw.1" &
	cpid=$!
	for i in $(seq 100); do [ -e "$LXM_PATH/$s/rootfs/first" ] && break; sleep 0.02; done
	"${strace_cmd[@]}" -f -o /dev/null -e trace=flock -e inject=flock:delay_enter=1000000:when=2 \
		lxm-create -n "$s" -t busybox --privileged >/dev/null 2>"$TEST_TMP/tw.2"
	r2=$?
	wait $cpid; r1=$?
	ok "$( [ $r1 = 0 ] && [ $r2 = 1 ] && grep -q "^lxm-create: $s: already exists" "$TEST_TMP/tw.2" &&
		[ -e "$LXM_PATH/$s/rootfs/first" ] && [ ! -e "$LXM_PATH/$s/partial" ]; echo $?)" \
		"a create while another of the name ends fails, the first one's container stays (exits $r1 $r2: $(cat "$TEST_TMP/tw.2"))"
	lxm-destroy -n "$s" >/dev/null 2>&1
else
	skip "no strace"
fi

# SIGKILL cannot be caught: the partial marker makes the next create clean up
s=${PFX}-killed
LXM_TEMPLATEDIR=$tdir lxm-create -n "$s" -t slow >/dev/null 2>&1 &
cpid=$!
for i in $(seq 100); do [ -e "$LXM_PATH/$s/rootfs/sbin/half-made" ] && break; sleep 0.05; done
kill -9 $cpid; wait $cpid 2>/dev/null
pkill -f "$tdir/lxm-slow" 2>/dev/null
sleep 0.1
ok "$( [ -e "$LXM_PATH/$s/partial" ]; echo $?)" "a SIGKILLed create leaves its partial marker"
ok "$( ! lxm-ls | grep -qw "$s"; echo $?)" "lxm-ls hides a half-made container"
expect_error "creation was interrupted" "lxm-start refuses a half-made container" -- lxm-start -n "$s"
check "the next create of that name cleans up and succeeds" -- lxm-create -n "$s" -t busybox
ok "$( [ ! -e "$LXM_PATH/$s/partial" ] && [ ! -e "$LXM_PATH/$s/rootfs/sbin/half-made" ]; echo $?)" "the remains were removed first"

# a SIGKILLed create's template goes too (SIGTERM), and what of it still
# runs (a subshell, a command) keeps the marker locked: the next create
# removes nothing under it, and nothing of it lands in the new container
cat > "$tdir/lxm-linger" <<'EOT'
#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = --rootfs ] && rootfs=$2; shift; done
echo $$ > "$LXM_CACHEDIR/linger.pid"
mkdir -p "$rootfs/sbin" && : > "$rootfs/sbin/half-made"
( sleep 2; : > "$rootfs/late" ) &
exec sleep 30
EOT
chmod +x "$tdir/lxm-linger"
mkdir -p "$LXM_CACHEDIR"
s=${PFX}-linger
LXM_TEMPLATEDIR=$tdir lxm-create -n "$s" -t linger >/dev/null 2>&1 &
cpid=$!
for i in $(seq 100); do [ -e "$LXM_PATH/$s/rootfs/sbin/half-made" ] && break; sleep 0.05; done
kill -9 $cpid; wait $cpid 2>/dev/null
tpid=$(cat "$LXM_CACHEDIR/linger.pid")
# (a zombie until init reaps it)
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
for i in $(seq 50); do alive "$tpid" || break; sleep 0.02; done
ok "$( ! alive "$tpid"; echo $?)" "the template of a SIGKILLed create is ended"
expect_error "^lxm-create: $s: is being created" "the next create waits for what of the template still runs" \
	-- lxm-create -n "$s" -t busybox
for i in $(seq 100); do lxm-create -n "$s" -t busybox >/dev/null 2>&1 && break; sleep 0.05; done
sleep 0.5
ok "$( [ -x "$LXM_PATH/$s/rootfs/sbin/init" ] && [ ! -e "$LXM_PATH/$s/rootfs/late" ] &&
	[ ! -e "$LXM_PATH/$s/partial" ]; echo $?)" "once it ended, the next create succeeds, and nothing of the killed one is in it"
kill "$tpid" 2>/dev/null

# SIGKILLed before each of its directory, open, lock, rename and unlink
# calls in turn (strace injects the signal), a create leaves nothing that
# keeps the next create of the name from succeeding (or it had finished,
# and the container is whole), and lxm-ls shows no half-made container
if command -v strace >/dev/null; then
	s=${PFX}-crash
	fails=0 runs=0
	for sc in mkdirat openat flock renameat2 unlinkat; do
		"${strace_cmd[@]}" -f -o "$TEST_TMP/calls" -e trace=$sc lxm-create -n "$s" -t none >/dev/null 2>&1
		calls=$(grep -c "$sc(" "$TEST_TMP/calls")
		lxm-destroy -n "$s" >/dev/null 2>&1
		for i in $(seq "$calls"); do
			runs=$((runs + 1))
			# (a subshell: bash's "Killed" goes to /dev/null too)
			("${strace_cmd[@]}" -f -o /dev/null -e trace=$sc -e inject=$sc:signal=KILL:when=$i \
				lxm-create -n "$s" -t none >/dev/null 2>&1) 2>/dev/null
			listed=$(lxm-ls -1 | grep -x "$s")
			if [ -n "$listed" ] && { [ ! -f "$LXM_PATH/$s/config" ] || [ -e "$LXM_PATH/$s/partial" ]; }; then
				fails=$((fails + 1)); diag "killed before $sc #$i: lxm-ls lists a half-made container"
			fi
			if ! lxm-create -n "$s" -t none >/dev/null 2>"$TEST_TMP/err" &&
				! { [ -f "$LXM_PATH/$s/config" ] && [ ! -e "$LXM_PATH/$s/partial" ]; }; then
				fails=$((fails + 1)); diag "killed before $sc #$i: the next create fails: $(cat "$TEST_TMP/err")"
			fi
			lxm-destroy -n "$s" >/dev/null 2>&1
		done
	done
	ok "$( [ $fails = 0 ] && [ $runs -gt 20 ]; echo $?)" "a create killed at any of $runs points leaves the name free"
	ok "$( [ -z "$(ls "$LXM_PATH" | grep -x "$s")" ] && ! lxm-ls -1 | grep -qx "$s"; echo $?)" "and nothing of it is listed"
else
	skip "no strace"
	skip "no strace"
fi

# what creates killed before they named their directory left
# (.create-PID-NAME) goes with the next create once it is old, unless its
# marker is held (a template of it that still runs) or it is fresh
mkdir -p "$LXM_PATH/.create-999999-old/rootfs/etc" "$LXM_PATH/.create-999998-new/rootfs" \
	"$LXM_PATH/.create-999997-held/rootfs"
: > "$LXM_PATH/.create-999999-old/partial"; : > "$LXM_PATH/.create-999997-held/partial"
touch -d '1 minute ago' "$LXM_PATH/.create-999999-old" "$LXM_PATH/.create-999997-held"
flock -o "$LXM_PATH/.create-999997-held/partial" sleep 300 &
holder=$!
for _ in $(seq 1 50); do flock -n "$LXM_PATH/.create-999997-held/partial" true 2>/dev/null || break; sleep 0.1; done
check "a create with leftovers of killed ones around" -- lxm-create -n "${PFX}-sw" -t none
ok "$( [ ! -e "$LXM_PATH/.create-999999-old" ] && [ -d "$LXM_PATH/.create-999998-new/rootfs" ] &&
	[ -f "$LXM_PATH/.create-999997-held/partial" ]; echo $?)" \
	"it removes an old one, not a fresh one or one whose marker is held"
stop_holder "$holder"
ok "$(lxm-ls -1 | grep -q '^\.create-'; [ $? -ne 0 ]; echo $?)" "lxm-ls lists none of them"
rm -rf "$LXM_PATH/.create-999998-new" "$LXM_PATH/.create-999997-held"
check "destroy it" -- lxm-destroy -n "${PFX}-sw"

# killed between its mkdir and its marker, a create leaves an empty
# directory: the next create takes its place once it is not new (a fresh
# one may be a create under way)
mkdir "$LXM_PATH/${PFX}-em"
touch -d '1 minute ago' "$LXM_PATH/${PFX}-em"
check "a create replaces the old empty directory of a killed create" -- lxm-create -n "${PFX}-em" -t busybox
ok "$( [ -f "$LXM_PATH/${PFX}-em/config" ]; echo $?)" "and the container is whole"
check "destroy it" -- lxm-destroy -n "${PFX}-em"
mkdir "$LXM_PATH/${PFX}-em"
expect_error "^lxm-create: ${PFX}-em: already exists in " "a fresh empty directory is left alone" -- lxm-create -n "${PFX}-em" -t busybox
rmdir "$LXM_PATH/${PFX}-em"

# lxm-ls, lxm-wait, --json
r=${PFX}-run
check "create another" -- lxm-create -n "$r" -t busybox
check "start it" -- lxm-start -n "$r"
names=$(lxm-ls)
ok "$(echo "$names" | grep -qw "$r" && echo "$names" | grep -qw "$d" && echo "$names" | grep -qw "$n"; echo $?)" "lxm-ls lists every container"
ok "$( [ "$(lxm-ls --running)" = "$r" ]; echo $?)" "lxm-ls --running lists the running one only"
ok "$( ! lxm-ls --stopped | grep -qw "$r"; echo $?)" "lxm-ls --stopped leaves it out"
fancy=$(lxm-ls -f)
ok "$(echo "$fancy" | head -1 | grep -Eq '^NAME +STATE +AUTOSTART +GROUPS +IPV4 +IPV6 +UNPRIVILEGED$'; echo $?)" "lxm-ls -f has the LXC columns"
ok "$(echo "$fancy" | grep -E "^$r +RUNNING " | grep -Eq ' (true|false)$'; echo $?)" "lxm-ls -f shows RUNNING and true/false under UNPRIVILEGED"
mkdir -p "$TEST_TMP/empty-path"
ok "$( [ -z "$(lxm-ls -f -P "$TEST_TMP/empty-path")" ]; echo $?)" "lxm-ls -f of no containers prints nothing, not even the header (as lxc-ls -f)"
ok "$(echo "$fancy" | grep -E "^$d +STOPPED +1 +web,db" >/dev/null; echo $?)" "lxm-ls -f shows autostart and groups"
ok "$(lxm-ls --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert any(c["name"]=="'"$r"'" and c["state"]=="RUNNING" for c in d)'; echo $?)" "lxm-ls --json is valid JSON"
# as lxc-ls: -1, a regular expression, --frozen, -g GROUPS
ok "$(lxm-ls -1 | grep -qx "$r" && lxm-ls -1 | grep -qx "$d"; echo $?)" "lxm-ls -1 prints one name a line"
ok "$( [ "$(lxm-ls "^$r\$")" = "$r" ] && [ -z "$(lxm-ls 'no-such-name-x')" ]; echo $?)" "lxm-ls FILTER lists the names that match"
expect_error "^lxm-ls: invalid filter '\(': " "lxm-ls refuses a bad regular expression" -- lxm-ls '('
check "freeze it" -- lxm-freeze -n "$r"
ok "$( [ "$(lxm-ls --frozen)" = "$r" ]; echo $?)" "lxm-ls --frozen lists the frozen one"
check "thaw it" -- lxm-unfreeze -n "$r"
ok "$( [ -z "$(lxm-ls --frozen)" ]; echo $?)" "lxm-ls --frozen: none once thawed"
ok "$( [ "$(lxm-ls -g web,db)" = "$d" ] && [ "$(lxm-ls -g db)" = "$d" ] && [ -z "$(lxm-ls -g web,nope)" ]; echo $?)" \
	"lxm-ls -g lists the containers in every group given"
# a broken config: a warning with file:line, its fields unknown (not "false")
b=${PFX}-bad
check "create one to break" -- lxm-create -n "$b" -t busybox
echo 'broken = ' >>"$LXM_PATH/$b/config"
fancy=$(lxm-ls -f 2>"$TEST_TMP/ls.err"); rc=$?
ok "$( [ $rc = 0 ] && echo "$fancy" | grep -Eq "^$b +STOPPED +- +- +- +- +-$" &&
	grep -q "^lxm-ls: $b: $LXM_PATH/$b/config:[0-9]*: " "$TEST_TMP/ls.err"; echo $?)" \
	"lxm-ls -f shows a broken config's fields as '-' and says where it is broken"
ok "$(lxm-ls --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); assert any(c["name"]=="'"$b"'" and c["unprivileged"] is None for c in d)'; echo $?)" \
	"lxm-ls --json gives null for them"
check "destroy it" -- lxm-destroy -n "$b"
# a user who may not look into the containers is told so, not shown none
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups lxm-ls 2>"$TEST_TMP/ls.err"); rc=$?
ok "$( [ $rc = 1 ] && grep -q "^lxm-ls: $r: .*Permission denied" "$TEST_TMP/ls.err"; echo $?)" \
	"lxm-ls as another user exits 1 naming the containers it cannot read"
# more groups than the column holds: cut with "...", never past the row
g=${PFX}-grp
check "create a container in 60 autostart groups" -- lxm-create -n "$g" -t busybox
printf 'autostart = { enabled = true; groups = [%s"g60"]; };\n' "$(for i in $(seq 1 59); do printf '"group%02d", ' $i; done)" \
	>>"$LXM_PATH/$g/config"
fancy=$(lxm-ls -f 2>&1); rc=$?
ok "$([ $rc = 0 ] && echo "$fancy" | grep -E "^$g +STOPPED +1 +group01,group02,.*\.\.\. " >/dev/null &&
	echo "$fancy" | grep -Eq "^$r +RUNNING "; echo $?)" "lxm-ls -f cuts a long group list with '...' and lists the others"
ok "$(lxm-ls --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert any(c["name"]=="'"$g"'" and len(c["groups"].split(",")) == 60 and c["groups"].endswith(",g60") for c in d)'; echo $?)" \
	"lxm-ls --json gives the whole list"
check "destroy it" -- lxm-destroy -n "$g"
ok "$(lxm-info -n "$r" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["state"]=="RUNNING" and d["pid"]>1'; echo $?)" "lxm-info --json is valid JSON"
ok "$(lxm-info -n "$r" -H | grep -Eq '^Memory use: +[0-9]+$'; echo $?)" "lxm-info -H prints raw numbers"
ok "$(lxm-info -n "$r" | grep -Eq '^CPU use: +[0-9.]+ seconds$'; echo $?)" "lxm-info prints CPU use like LXC"
check "lxm-wait for a state it is in" -- lxm-wait -n "$r" -s RUNNING -t 1
t0=$(date +%s%N)
expect_error "^lxm-wait: $r: timed out" "lxm-wait exits 1 when the timeout passes" -- lxm-wait -n "$r" -s FROZEN -t 1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$( [ $ms -ge 900 ] && [ $ms -lt 3000 ]; echo $?)" "lxm-wait waited about the timeout (${ms} ms)"
lxm-stop -n "$r" -t 10 >/dev/null 2>&1 &
check "lxm-wait sees the stop" -- lxm-wait -n "$r" -s STOPPED -t 15
wait
check "lxm-wait accepts several states" -- lxm-wait -n "$r" -s 'RUNNING|STOPPED' -t 1

# destroy never follows symlinks out of the container directory
check "create a container to destroy" -- lxm-create -n "${PFX}-ds" -t busybox
mkdir -p "$TEST_TMP/precious"; echo keep > "$TEST_TMP/precious/file"
ln -s "$TEST_TMP/precious" "$LXM_PATH/${PFX}-ds/rootfs/link-out"
ln -s "$TEST_TMP/precious/file" "$LXM_PATH/${PFX}-ds/rootfs/root/file-link"
check "destroy" -- lxm-destroy -n "${PFX}-ds"
ok "$( [ "$(cat "$TEST_TMP/precious/file")" = keep ]; echo $?)" "destroy removed links, not what they point at"
mkdir -p "$TEST_TMP/mnt-src"; echo keep > "$TEST_TMP/mnt-src/file"
check "create a container with a mount inside" -- lxm-create -n "${PFX}-dm" -t busybox
mkdir -p "$LXM_PATH/${PFX}-dm/rootfs/mnt"
mount --bind "$TEST_TMP/mnt-src" "$LXM_PATH/${PFX}-dm/rootfs/mnt"
expect_error "^lxm-destroy: ${PFX}-dm: .*mount point" "destroy refuses to cross a mount" -- lxm-destroy -n "${PFX}-dm"
ok "$( [ "$(cat "$TEST_TMP/mnt-src/file")" = keep ]; echo $?)" "the mounted files survive"
ok "$( [ ! -e "$LXM_PATH/${PFX}-dm/destroying" ]; echo $?)" "the refused destroy leaves no lock file"
umount "$LXM_PATH/${PFX}-dm/rootfs/mnt"
check "destroy works once unmounted" -- lxm-destroy -n "${PFX}-dm"
# the container directory itself a mount point: refused before anything goes
check "create a container on a mount of its own" -- lxm-create -n "${PFX}-dmm" -t busybox
mount --bind "$LXM_PATH/${PFX}-dmm" "$LXM_PATH/${PFX}-dmm"
expect_error "^lxm-destroy: ${PFX}-dmm: renaming .* to remove it: Device or resource busy" \
	"destroy refuses a container directory that is a mount point" -- lxm-destroy -n "${PFX}-dmm"
ok "$( [ -f "$LXM_PATH/${PFX}-dmm/config" ] && [ ! -e "$LXM_PATH/${PFX}-dmm/destroying" ]; echo $?)" \
	"... keeps it whole, and leaves no lock file"
umount "$LXM_PATH/${PFX}-dmm"
check "destroy works once unmounted" -- lxm-destroy -n "${PFX}-dmm"

# a destroy that fails halfway (an immutable file) keeps the config,
# whatever order the directory lists its entries in (a tmpfs lists the
# config, written last, first): lxm-destroy can finish it once the flag
# is cleared
tp=$TEST_TMP/tmpfs-path
mkdir -p "$tp" && mount -t tmpfs "lxm-test-$PFX" "$tp"
di=${PFX}-di
check "create a container on a tmpfs" -- lxm-create -P "$tp" -n "$di" -t busybox
if chattr +i "$tp/$di/rootfs/etc/passwd" 2>/dev/null; then
	expect_error "^lxm-destroy: $di: .*'rootfs/etc/passwd': file is immutable or append-only" \
		"destroy stops at an immutable file and says so" -- lxm-destroy -P "$tp" -n "$di"
	ok "$( [ -f "$tp/$di/config" ] && lxm-ls -P "$tp" | grep -qw "$di"; echo $?)" "the container keeps its config and is listed"
	chattr -i "$tp/$di/rootfs/etc/passwd"
	check "destroy finishes once the flag is cleared" -- lxm-destroy -P "$tp" -n "$di"
	ok "$( [ -z "$(ls -A "$tp")" ]; echo $?)" "and nothing is left"
else
	skip "chattr +i does not work on a tmpfs here"
fi
rm -rf "${tp:?}/$di"
umount "$tp"

# a name that is a cgroup control file (lxm/<name> is the container's
# cgroup, next to the lxm parent's files) is refused before anything is
# made; one given by hand fails to start with that reason and leaves nothing
expect_error "^lxm-create: cgroup.procs: container name 'cgroup.procs' is taken by the cgroup control file '/sys/fs/cgroup/.*cgroup.procs'" \
	"create refuses a cgroup control file's name" -- lxm-create -n cgroup.procs -t busybox
ok "$( [ ! -e "$LXM_PATH/cgroup.procs" ]; echo $?)" "the refused create made nothing"
expect_error "^lxm-copy: $r: container name 'cgroup.procs' is taken by the cgroup control file" \
	"copy refuses one too" -- lxm-copy -n "$r" -N cgroup.procs
check "create a container to rename by hand" -- lxm-create -n "${PFX}-cf" -t busybox
mv "$LXM_PATH/${PFX}-cf" "$LXM_PATH/cgroup.procs"
sed -i 's/^name *=.*/name = "cgroup.procs";/' "$LXM_PATH/cgroup.procs/config"
parents_before=$(ls -d /sys/fs/cgroup/*/lxm /sys/fs/cgroup/lxm 2>/dev/null)
expect_error "^lxm-start: cgroup.procs: container name 'cgroup.procs' is taken by the cgroup control file" \
	"its start fails with the reason" -- lxm-start -n cgroup.procs
ok "$( [ "$(ls -d /sys/fs/cgroup/*/lxm /sys/fs/cgroup/lxm 2>/dev/null)" = "$parents_before" ]; echo $?)" \
	"the failed start left no lxm parent cgroup it made"
ok "$( [ "$(state_of cgroup.procs)" = STOPPED ]; echo $?)" "lxm-info sees it stopped"
ok "$( [ ! -e "$LXM_RUNDIR/cgroup.procs" ]; echo $?)" "the failed start left no runtime dir"
check "and it can be destroyed" -- lxm-destroy -n cgroup.procs

done_testing
