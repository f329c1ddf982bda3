#!/bin/bash
# Rootfs archives: lxm-export / lxm-create -t archive (file, stdin, directory,
# each compression), metadata kept across a round trip (setuid, file
# capability, xattr, hardlink, 10 GiB sparse file, pax and GNU), hostile and
# truncated archives, /etc/hostname of imports and copies,
# lxm-copy full copies and overlayfs snapshots.
. "$(dirname "$0")/lib.sh"
require_root

boots() {   # boots NAME: starts, runs, stops cleanly
	lxm-start -n "$1" >/dev/null 2>&1 && wait_state "$1" RUNNING 10 &&
		lxm-attach -n "$1" -- /bin/true >/dev/null 2>&1 &&
		lxm-stop -n "$1" -t 10 >/dev/null 2>&1 && [ "$(state_of "$1")" = STOPPED ]
}

cfg() { awk -v k="$2" '$1 == k { gsub(/[";]/, "", $3); print $3; exit }' "$LXM_PATH/$1/config"; }

# a host sentinel that hostile archives aim at
sentinel=$TEST_TMP/host-sentinel
echo safe > "$sentinel"
sentinel_ok() { [ "$(cat "$sentinel")" = safe ] && [ "$(stat -c %h "$sentinel")" = 1 ]; }

# ---- a busybox base with metadata worth keeping --------------------------------
b=${PFX}-base
check "create the busybox base" -- lxm-create -n "$b" -t busybox --privileged
r=$LXM_PATH/$b/rootfs
cp "$r/bin/busybox" "$r/bin/suid-probe" && chmod 4755 "$r/bin/suid-probe"
cp "$r/bin/busybox" "$r/bin/cap-probe"
have_caps=0
if command -v setcap >/dev/null && setcap cap_net_raw+ep "$r/bin/cap-probe" 2>/dev/null; then have_caps=1; fi
setfattr_ok=0
if python3 -c "import os; os.setxattr('$r/etc/inittab', 'user.lxm-test', b'kept')" 2>/dev/null; then setfattr_ok=1; fi
ln "$r/etc/inittab" "$r/etc/inittab.hard"
truncate -s 10G "$r/var-sparse" && echo end >> "$r/var-sparse"

exp=$TEST_TMP/base.tar.zst
check "lxm-export to .tar.zst" -- lxm-export -n "$b" -o "$exp"
ok "$(zstd -dc "$exp" | tar -t 2>/dev/null | grep -q '^\./\.lxm-export/config$'; echo $?)" "the export carries the config as metadata"
ok "$( [ "$(stat -c %s "$exp")" -lt $((64 << 20)) ]; echo $?)" "a 10 GiB sparse file does not bloat the export"

# ---- import: file, each compression, stdin, directory -------------------------
i=${PFX}-imp
check "create -t archive from the export" -- lxm-create -n "$i" -t archive --privileged -- --file "$exp"
ir=$LXM_PATH/$i/rootfs
ok "$( [ "$(stat -c %a "$ir/bin/suid-probe")" = 4755 ]; echo $?)" "round trip keeps the setuid bit"
if [ $have_caps = 1 ]; then
	ok "$(getcap "$ir/bin/cap-probe" | grep -q cap_net_raw; echo $?)" "round trip keeps the file capability"
else skip "no setcap (libcap2-bin)"; fi
if [ $setfattr_ok = 1 ]; then
	ok "$(python3 -c "import os,sys; sys.exit(os.getxattr('$ir/etc/inittab', 'user.lxm-test') != b'kept')"; echo $?)" "round trip keeps an xattr"
else skip "no user xattrs here"; fi
ok "$( [ "$(stat -c %i "$ir/etc/inittab")" = "$(stat -c %i "$ir/etc/inittab.hard")" ]; echo $?)" "round trip keeps a hardlink"
ok "$( [ "$(stat -c %s "$ir/var-sparse")" = $(( (10 << 30) + 4 )) ] && [ "$(stat -c %b "$ir/var-sparse")" -lt 1024 ]; echo $?)" "a 10 GiB sparse file stays sparse (not 10 GiB of disk)"
ok "$( [ ! -e "$ir/.lxm-export" ]; echo $?)" "the metadata entry is not in the rootfs"
ok "$(grep -q 'halt_signal = "SIGUSR2"' "$LXM_PATH/$i/config"; echo $?)" "busybox init detected: halt signal SIGUSR2"
ok "$( [ "$(cat "$ir/etc/hostname")" = "$i" ] && [ "$(cat "$r/etc/hostname")" = "$b" ]; echo $?)" "the import's /etc/hostname names it, not the exported container"
check "the imported container boots and stops" -- boots "$i"
no_leaks "$i" "nothing left after its stop"

# the same file in GNU tar's own sparse format
tar -C "$r" -S -cf "$TEST_TMP/gnusparse.tar" . 2>/dev/null
gs=${PFX}-gnusparse
check "a GNU sparse tar imports" -- lxm-create -n "$gs" -t archive --privileged -- --file "$TEST_TMP/gnusparse.tar"
ok "$( [ "$(stat -c %s "$LXM_PATH/$gs/rootfs/var-sparse")" = $(( (10 << 30) + 4 )) ] &&
      [ "$(stat -c %b "$LXM_PATH/$gs/rootfs/var-sparse")" -lt 1024 ] && [ "$(tail -c 4 "$LXM_PATH/$gs/rootfs/var-sparse")" = end ]; echo $?)" \
	"its 10 GiB sparse file stays sparse, with its data at the end"
rm -f "$r/var-sparse" "$TEST_TMP/gnusparse.tar"
for comp in gz xz bz2 zst tar; do
	n=${PFX}-c$comp
	f=$TEST_TMP/plain.$comp
	case $comp in
	gz) tar -C "$r" -czf "$f" . ;; xz) tar -C "$r" -cJf "$f" . ;; bz2) tar -C "$r" -cjf "$f" . ;;
	zst) tar -C "$r" --zstd -cf "$f" . ;; tar) tar -C "$r" -cf "$f" . ;;
	esac
	check "tar .$comp imports" -- lxm-create -n "$n" -t archive --privileged -- --file "$f"
done
check "one of them boots" -- boots "${PFX}-cgz"
s=${PFX}-stdin
check "import from stdin" -- sh -c "lxm-create -n $s -t archive --privileged -- --file - < $TEST_TMP/plain.xz"
ok "$( [ -x "$LXM_PATH/$s/rootfs/bin/busybox" ]; echo $?)" "stdin import has the files"
d=${PFX}-dir
check "import a directory" -- lxm-create -n "$d" -t archive --privileged -- --file "$r"
ok "$( [ "$(stat -c %a "$LXM_PATH/$d/rootfs/bin/suid-probe")" = 4755 ] &&
      [ "$(stat -c %i "$LXM_PATH/$d/rootfs/etc/inittab")" = "$(stat -c %i "$LXM_PATH/$d/rootfs/etc/inittab.hard")" ]; echo $?)" \
	"directory import keeps setuid and hardlinks"
check "the directory import boots" -- boots "$d"

# an interrupt stops an import at once, not after the archive's last byte:
# a pipe gives 600 MiB at about 100 MiB/s
si=${PFX}-slowin
python3 -c '
import sys, tarfile, time
class Slow:
    done = 0
    def read(self, n=-1):
        n = n if n > 0 else 1 << 20
        if self.done // (1 << 20) != (self.done + n) // (1 << 20):
            time.sleep(0.01)
        self.done += n
        return b"\x01" * n
try:
    t = tarfile.open(fileobj=sys.stdout.buffer, mode="w|")
    ti = tarfile.TarInfo("big")
    ti.size = 600 << 20
    t.addfile(ti, Slow())
    t.close()
except (BrokenPipeError, OSError):
    pass
' 2>/dev/null | lxm-create -n "$si" -t archive --privileged -- --file - >/dev/null 2>"$TEST_TMP/slowin.err" &
spid=$!
for _ in $(seq 300); do [ -e "$LXM_PATH/$si/rootfs/big" ] && break; sleep 0.01; done
t0=$(date +%s%N); kill -INT "$spid"; wait "$spid"; t1=$(date +%s%N); wait
ms=$(( (t1 - t0) / 1000000 ))
ok "$( [ $ms -lt 1500 ] && [ ! -e "$LXM_PATH/$si" ] && grep -q interrupted "$TEST_TMP/slowin.err"; echo $?)" \
	"SIGINT stops an import at once and leaves nothing (${ms} ms)"

# and while it waits for a pipe that brings nothing (a stalled download)
st=${PFX}-stall
mkfifo "$TEST_TMP/stall.fifo"
exec 7<>"$TEST_TMP/stall.fifo"
lxm-create -n "$st" -t archive --privileged -- --file "$TEST_TMP/stall.fifo" >/dev/null 2>"$TEST_TMP/stall.err" 7>&- &
spid=$!
for _ in $(seq 300); do [ -e "$LXM_PATH/$st/rootfs" ] && break; sleep 0.01; done
sleep 0.2
t0=$(date +%s%N); kill -TERM "$spid"
for _ in $(seq 300); do kill -0 "$spid" 2>/dev/null || break; sleep 0.01; done
t1=$(date +%s%N)
exec 7>&-
wait "$spid"
ms=$(( (t1 - t0) / 1000000 ))
ok "$( [ $ms -lt 1500 ] && [ ! -e "$LXM_PATH/$st" ] && grep -q interrupted "$TEST_TMP/stall.err"; echo $?)" \
	"SIGTERM stops an import that waits on a stalled pipe (${ms} ms)"

# ---- refusals -----------------------------------------------------------------
expect_error "^lxm-create: ${PFX}-nof: template 'archive' needs -- --file" "no --file: one clear line" -- lxm-create -n "${PFX}-nof" -t archive
mkdir -p "$TEST_TMP/noinit/etc" && echo x > "$TEST_TMP/noinit/etc/os-release"
tar -C "$TEST_TMP/noinit" -czf "$TEST_TMP/noinit.tgz" .
expect_error "^lxm-create: ${PFX}-noinit: no init in the rootfs" "a rootfs without init is refused clearly" -- lxm-create -n "${PFX}-noinit" -t archive --privileged -- --file "$TEST_TMP/noinit.tgz"
ok "$( [ ! -e "$LXM_PATH/${PFX}-noinit" ]; echo $?)" "and leaves nothing"
head -c $(( $(stat -c %s "$TEST_TMP/plain.gz") / 2 )) "$TEST_TMP/plain.gz" > "$TEST_TMP/trunc.gz"
expect_error "^lxm-create: ${PFX}-trunc: importing: .*(runcat|EOF|nexpected)" "a truncated archive fails with one line" -- lxm-create -n "${PFX}-trunc" -t archive --privileged -- --file "$TEST_TMP/trunc.gz"
ok "$( [ ! -e "$LXM_PATH/${PFX}-trunc" ]; echo $?)" "a truncated archive leaves nothing"
python3 - "$TEST_TMP/evil.tar" "$sentinel" <<'EOF'
import io, sys, tarfile
out, sentinel = sys.argv[1], sys.argv[2]
t = tarfile.open(out, "w", format=tarfile.PAX_FORMAT)
def add(name, **kw):
    i = tarfile.TarInfo(name)
    data = kw.pop("data", None)
    for k, v in kw.items(): setattr(i, k, v)
    if data is not None: i.size = len(data)
    t.addfile(i, io.BytesIO(data) if data is not None else None)
add("./sbin/init", type=tarfile.SYMTYPE, linkname="/bin/busybox")
add("./bin/busybox", data=b"\x7fELF", mode=0o755)
add("./host", type=tarfile.SYMTYPE, linkname="/")
add("./host" + sentinel, data=b"pwned")
add("./hl", type=tarfile.LNKTYPE, linkname=sentinel[1:])
t.close()
EOF
check "symlink to '/', a file through it, a hardlink to a host path: imported, contained" -- lxm-create -n "${PFX}-evil" -t archive --privileged -- --file "$TEST_TMP/evil.tar"
ok "$(sentinel_ok; echo $?)" "the host sentinel is untouched"
ok "$( [ "$(cat "$LXM_PATH/${PFX}-evil/rootfs$sentinel")" = pwned ] &&
      [ "$(stat -c %i "$LXM_PATH/${PFX}-evil/rootfs/hl")" = "$(stat -c %i "$LXM_PATH/${PFX}-evil/rootfs$sentinel")" ]; echo $?)" \
	"the file and the hardlink landed inside the rootfs"
python3 - "$TEST_TMP/escape.tar" <<'EOF'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w")
i = tarfile.TarInfo("../../escape"); i.size = 1
t.addfile(i, io.BytesIO(b"x")); t.close()
EOF
expect_error "^lxm-create: ${PFX}-esc: importing: .*leaves the rootfs" "'../' escape refused" -- lxm-create -n "${PFX}-esc" -t archive --privileged -- --file "$TEST_TMP/escape.tar"
ok "$( [ ! -e "$LXM_PATH/../escape" ] && [ ! -e "$LXM_PATH/escape" ]; echo $?)" "nothing escaped"
python3 - "$TEST_TMP/dev.tar" <<'EOF'
import sys, tarfile
t = tarfile.open(sys.argv[1], "w")
for n, ty, l in (("./sbin/init", tarfile.SYMTYPE, "/bin/busybox"),):
    i = tarfile.TarInfo(n); i.type = ty; i.linkname = l; t.addfile(i)
import io
i = tarfile.TarInfo("./bin/busybox"); i.size = 4; i.mode = 0o755; t.addfile(i, io.BytesIO(b"\x7fELF"))
i = tarfile.TarInfo("./dev/sda"); i.type = tarfile.BLKTYPE; i.devmajor = 8; i.devminor = 0; t.addfile(i)
t.close()
EOF
check "unprivileged import with a device node" -- timeout 60 lxm-create -n "${PFX}-dev" -t archive -- --file "$TEST_TMP/dev.tar"
ok "$( [ ! -e "$LXM_PATH/${PFX}-dev/rootfs/dev/sda" ]; echo $?)" "the device node was left out"
check "privileged import keeps it" -- lxm-create -n "${PFX}-devp" -t archive --privileged -- --file "$TEST_TMP/dev.tar"
ok "$( [ -b "$LXM_PATH/${PFX}-devp/rootfs/dev/sda" ]; echo $?)" "block device made for the privileged container"

# ---- export refusals and stdout -------------------------------------------------
check "export to stdout" -- sh -c "lxm-export -n $b -o - | zstd -dc | tar -t >/dev/null"
# a killed export (Ctrl-C, SIGKILL) leaves no partial archive behind
head -c 100M /dev/urandom > "$r/big"
mkdir "$TEST_TMP/killed"
lxm-export -n "$b" -o "$TEST_TMP/killed/k.tar.gz" >/dev/null 2>&1 &
epid=$! seen=1
for _ in $(seq 500); do
	ls -l "/proc/$epid/fd" 2>/dev/null | grep -q -- "-> $TEST_TMP/killed/" && { seen=0; break; }
	sleep 0.01
done
kill -9 "$epid"; wait "$epid" 2>/dev/null
ok "$( [ $seen = 0 ] && [ -z "$(ls -A "$TEST_TMP/killed")" ]; echo $?)" "an export killed while writing leaves no file ($(ls -A "$TEST_TMP/killed" | tr '\n' ' '))"
rm -f "$r/big"
lxm-start -n "$i" >/dev/null 2>&1 && wait_state "$i" RUNNING 10
expect_error "^lxm-export: $i: is RUNNING; stop it" "exporting a running container is refused" -- lxm-export -n "$i" -o "$TEST_TMP/x.tar.gz"
ok "$( [ ! -e "$TEST_TMP/x.tar.gz" ]; echo $?)" "and writes nothing"
lxm-stop -n "$i" -k >/dev/null 2>&1

# ---- lxm-copy: full copy ---------------------------------------------------------
f=${PFX}-full
check "lxm-copy full copy" -- lxm-copy -n "$b" -N "$f"
ok "$( [ "$(cfg "$f" uuid)" != "$(cfg "$b" uuid)" ] && [ "$(cfg "$f" hostname)" = "$f" ]; echo $?)" "the copy has a new uuid and hostname"
ok "$( ! grep -q 'enabled = true' "$LXM_PATH/$f/config"; echo $?)" "the copy's autostart is off"
ok "$( [ "$(cat "$LXM_PATH/$f/rootfs/etc/hostname")" = "$f" ]; echo $?)" "the copy's /etc/hostname names it"
ok "$( [ "$(stat -c %a "$LXM_PATH/$f/rootfs/bin/suid-probe")" = 4755 ]; echo $?)" "the copy keeps setuid"
if [ $have_caps = 1 ]; then
	ok "$(getcap "$LXM_PATH/$f/rootfs/bin/cap-probe" | grep -q cap_net_raw; echo $?)" "the copy keeps the file capability"
else skip "no setcap"; fi
check "the full copy boots" -- boots "$f"
# an interrupt stops a copy at once, not after the last file
head -c 1G /dev/zero > "$r/big1" && head -c 1G /dev/zero > "$r/big2"
lxm-copy -n "$b" -N "${PFX}-cpint" >/dev/null 2>"$TEST_TMP/cpint.err" &
cpid=$!
for _ in $(seq 300); do [ -e "$LXM_PATH/${PFX}-cpint/rootfs/big1" ] && break; sleep 0.01; done
t0=$(date +%s%N); kill -INT "$cpid"; wait "$cpid"; rc=$?; t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
ok "$( [ $rc = 1 ] && [ $ms -lt 1500 ] && [ ! -e "$LXM_PATH/${PFX}-cpint" ] &&
	grep -q "^lxm-copy: $b: interrupted by signal" "$TEST_TMP/cpint.err"; echo $?)" "SIGINT stops lxm-copy at once and leaves nothing (${ms} ms, exit $rc)"
rm -f "$r/big1" "$r/big2"
expect_error "^lxm-copy: $b: '$f' already exists" "copying onto an existing name is refused" -- lxm-copy -n "$b" -N "$f"

# ---- a copy or an export under way keeps lxm-start and lxm-destroy away ----------
# until it is done (or killed): the files it reads must not change under it
inuse() { compgen -G "$LXM_PATH/$b/in-use.*" >/dev/null; }
# whether a reader holds its lock (the killed export above left one unheld)
lock_held() { ( exec 9<"$1" && ! flock -n -s 9 ) 2>/dev/null; }
inuse_held() {
	local f
	for f in "$LXM_PATH/$b"/in-use.*; do lock_held "$f" && return 0; done
	return 1
}
# held_reader PID [FILE]: waits until PID holds its lock on the base (and
# FILE is there), then stops it there
held_reader() {
	local seen=1
	for _ in $(seq 500); do
		inuse_held && [ -e "${2:-/}" ] && { seen=0; break; }
		kill -0 "$1" 2>/dev/null || break
		sleep 0.01
	done
	kill -STOP "$1" 2>/dev/null
	return $seen
}
head -c 1G /dev/zero > "$r/big1"
cx=${PFX}-cpx
lxm-copy -n "$b" -N "$cx" >/dev/null 2>"$TEST_TMP/cpx.err" &
cpid=$!
held_reader "$cpid" "$LXM_PATH/$cx/rootfs/big1"
ok "$( [ -e "$LXM_PATH/$cx/partial" ] && kill -0 "$cpid"; echo $?)" "an lxm-copy stopped halfway (its lock held)"
expect_error "^lxm-start: $b: being copied to $cx \(lxm-copy, pid $cpid\); try again when it is done$" \
	"lxm-start of the source is refused while it is copied" -- lxm-start -n "$b"
expect_error "^lxm-destroy: $b: being copied to $cx \(lxm-copy, pid $cpid\); try again when it is done$" \
	"and lxm-destroy" -- lxm-destroy -n "$b"
expect_error "^lxm-destroy: $b: being copied to $cx \(lxm-copy, pid $cpid\); try again when it is done$" \
	"and lxm-destroy -f" -- lxm-destroy -n "$b" -f
ok "$( [ "$(state_of "$b")" = STOPPED ] && [ -d "$r/bin" ] && [ ! -e "$LXM_RUNDIR/$b" ]; echo $?)" \
	"the source stays stopped and whole, with no runtime dir"
expect_error "^lxm-copy: $b: '$cx' is being created$" "a second copy into the same name is refused" -- lxm-copy -n "$b" -N "$cx"
expect_error "^lxm-destroy: $cx: the container is being created$" "the copy under way cannot be destroyed" -- lxm-destroy -n "$cx"
expect_error "^lxm-start: $cx: the container is being created" "nor started" -- lxm-start -n "$cx"
kill -9 "$cpid"; wait "$cpid" 2>/dev/null
ok "$(lxm-start -n "$b" >/dev/null 2>&1 && wait_state "$b" RUNNING 10; echo $?)" \
	"once the copier is killed (SIGKILL), lxm-start works again"
ok "$(! inuse; echo $?)" "and the killed copier's lock file is gone"
# and the other way round: a running container is neither copied nor exported
expect_error "^lxm-copy: $b: '$b' is RUNNING; stop it first$" "lxm-copy of the running source is refused" -- lxm-copy -n "$b" -N "${PFX}-cpr"
expect_error "^lxm-export: $b: is RUNNING; stop it first$" "and lxm-export" -- lxm-export -n "$b" -o "$TEST_TMP/running.tar"
ok "$( [ ! -e "$LXM_PATH/${PFX}-cpr" ] && [ ! -e "$TEST_TMP/running.tar" ] && ! inuse; echo $?)" "and they leave nothing"
lxm-stop -n "$b" -k >/dev/null 2>&1
ok "$(lxm-ls | grep -qw "$cx"; [ $? = 1 ]; echo $?)" "the killed copy is not listed"
check "and lxm-destroy removes its remains" -- sh -c "lxm-destroy -n $cx && [ ! -e $LXM_PATH/$cx ]"
# a start under way (its runtime dir claimed, no state written yet)
mkdir -p "$LXM_RUNDIR/$b"
flock "$LXM_RUNDIR/$b/lock" sleep 60 &
hpid=$!
for _ in $(seq 100); do flock -n "$LXM_RUNDIR/$b/lock" true 2>/dev/null || break; sleep 0.01; done
expect_error "^lxm-copy: $b: '$b' is being started or stopped; try again once it is stopped$" \
	"lxm-copy of a container being started is refused" -- lxm-copy -n "$b" -N "${PFX}-cps"
expect_error "^lxm-export: $b: is being started or stopped; try again once it is stopped$" \
	"and lxm-export" -- lxm-export -n "$b" -o "$TEST_TMP/starting.tar"
stop_holder "$hpid"
rm -rf "${LXM_RUNDIR:?}/$b"
ok "$( [ ! -e "$LXM_PATH/${PFX}-cps" ] && [ ! -e "$TEST_TMP/starting.tar" ]; echo $?)" "and they leave nothing"
# an export the same
lxm-export -n "$b" -o "$TEST_TMP/held.tar" >/dev/null 2>&1 &
epid=$!
held_reader "$epid"
ok "$(kill -0 "$epid"; echo $?)" "an lxm-export stopped halfway (its lock held)"
expect_error "^lxm-start: $b: being exported to '$TEST_TMP/held.tar' \(lxm-export, pid $epid\); try again when it is done$" \
	"lxm-start is refused while it is exported" -- lxm-start -n "$b"
expect_error "^lxm-destroy: $b: being exported to '$TEST_TMP/held.tar' \(lxm-export, pid $epid\); try again when it is done$" \
	"and lxm-destroy" -- lxm-destroy -n "$b"
kill -9 "$epid"; wait "$epid" 2>/dev/null
check "once the export is killed, the container boots" -- boots "$b"
ok "$(! inuse; [ -z "$(ls "$TEST_TMP" | grep held)" ]; echo $?)" "and no lock file or archive is left"
# a copy that ends well lets go too
rm -f "$r/big1"
check "a full copy that ends" -- lxm-copy -n "$b" -N "${PFX}-cpd"
ok "$(! inuse; echo $?)" "leaves no lock file behind"
check "and the source boots after it" -- boots "$b"
check "destroy that copy" -- lxm-destroy -n "${PFX}-cpd"

# ---- lxm-copy -s: overlayfs snapshot ---------------------------------------------
sn=${PFX}-snap
check "lxm-copy -s snapshot" -- lxm-copy -n "$b" -N "$sn" -s
ok "$(grep -q "overlay_lower = \"$LXM_PATH/$b/rootfs\"" "$LXM_PATH/$sn/config"; echo $?)" "the snapshot's config names its base"
ok "$( [ "$(cd "$LXM_PATH/$sn/overlay/upper" && find . -mindepth 1 | grep -v '^\./etc/hosts$' | sort | tr '\n' ' ')" = "./etc ./etc/hostname " ] &&
      [ "$(cat "$LXM_PATH/$sn/overlay/upper/etc/hostname")" = "$sn" ] && [ "$(cat "$r/etc/hostname")" = "$b" ]; echo $?)" \
	"the snapshot's upper dir starts with only its own /etc/hostname (the base keeps its own)"
check "the snapshot boots" -- sh -c "lxm-start -n $sn && lxm-wait -n $sn -s RUNNING -t 10"
check "a write inside the snapshot" -- lxm-attach -n "$sn" -- /bin/sh -c 'echo snap > /written-in-snapshot'
lxm-stop -n "$sn" -t 10 >/dev/null 2>&1
ok "$( [ "$(cat "$LXM_PATH/$sn/overlay/upper/written-in-snapshot" 2>/dev/null)" = snap ]; echo $?)" "the write landed in the snapshot's upper dir"
ok "$( [ ! -e "$r/written-in-snapshot" ]; echo $?)" "the base is untouched"
no_leaks "$sn" "nothing left after the snapshot's stop"
expect_error "^lxm-destroy: $b: is the base of 1 snapshot" "destroying the base is refused while the snapshot exists" -- lxm-destroy -n "$b"
ok "$( [ -d "$r/bin" ]; echo $?)" "the base is still there"
ex2=$TEST_TMP/snap.tar.gz
check "a snapshot exports (merged view)" -- lxm-export -n "$sn" -o "$ex2"
ok "$(tar -tzf "$ex2" 2>/dev/null | grep -q '^\./written-in-snapshot$' && tar -tzf "$ex2" 2>/dev/null | grep -q '^\./bin/busybox$'; echo $?)" "the snapshot export has the base's and its own files"
check "destroy the snapshot" -- lxm-destroy -n "$sn"
check "then the base can go" -- lxm-destroy -n "$b"

# a container on a read-only filesystem (a backup mounted so) exports: its
# readers' lock cannot be written there, and is not needed (nothing starts
# or destroys it while it is read-only)
ro=$TEST_TMP/ro
mkdir -p "$ro" && mount -t tmpfs none "$ro"
check "a container in an lxmpath of its own" -- lxm-create -P "$ro" -n "${PFX}-ro" -t busybox
mount -o remount,ro "$ro"
check "lxm-export of it once that is read-only" -- lxm-export -P "$ro" -n "${PFX}-ro" -o "$TEST_TMP/ro.tar"
ok "$(tar -tf "$TEST_TMP/ro.tar" 2>/dev/null | grep -q '^\./bin/busybox$'; echo $?)" "the archive has its rootfs"
umount "$ro"

ok "$(sentinel_ok; echo $?)" "the host sentinel is untouched at the end"
done_testing
