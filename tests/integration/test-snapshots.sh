#!/bin/bash
# lxm-copy -s at scale and the base's protection (issue 8):
#  - a base with snapshots starts with its rootfs mounted read-only (one
#    warning line says why); overlayfs leaves writes to a lower layer under
#    a mounted overlay undefined, so nothing may write it;
#  - an unprivileged snapshot gets an id range of its own and sees its
#    base's files, owned by its own root, through an idmapped lower layer;
#  - 100 snapshots of one busybox base are made, booted, each writes a
#    known file, and destroyed: the disk use grows only by what they wrote,
#    and the base is untouched.
. "$(dirname "$0")/lib.sh"
require_root

N=${LXM_TEST_SNAPSHOTS:-100}
KB=64                 # what each snapshot writes, in KiB

# the first host id of a container's uid map
idhost() { grep -A3 '^idmap' "$LXM_PATH/$1/config" | grep -o 'host = [0-9]*' | head -1 | awk '{ print $3 }'; }
# a digest of the base's tree: names, types, sizes, modes, owners, mtimes
tree_sum() { (cd "$1" && find . -printf '%p %y %s %m %u:%g %T@\n' | sort | md5sum | cut -d' ' -f1); }

b=${PFX}-base
check "create an (unprivileged) busybox base" -- lxm-create -n "$b" -t busybox
r=$LXM_PATH/$b/rootfs
sum0=$(tree_sum "$r")

# ---- the base while it has snapshots ---------------------------------------------
s=${PFX}-s
check "lxm-copy -s" -- lxm-copy -n "$b" -N "$s" -s
ok "$(grep -q '^idmap' "$LXM_PATH/$s/config" && [ "$(idhost "$s")" != "$(idhost "$b")" ]; echo $?)" \
	"the unprivileged snapshot has an id range of its own ($(idhost "$s"), base $(idhost "$b"))"
err=$(lxm-start -n "$b" 2>&1 >/dev/null)
rc=$?
ok "$( [ $rc = 0 ] && wait_state "$b" RUNNING 10; echo $?)" "the base still starts"
ok "$(printf '%s\n' "$err" | grep -q "^lxm-start: '$b' is the base of 1 snapshot(s) ('$s'): its rootfs is mounted read-only"; echo $?)" \
	"and says once that its rootfs is read-only"
[ $rc = 0 ] || diag "$err"
out=$(lxm-attach -n "$b" -- /bin/sh -c 'touch /probe 2>&1; echo "rc=$?"; awk "\$2 == \"/\" { print \$4 }" /proc/mounts' 2>&1)
ok "$(printf '%s\n' "$out" | grep -q 'Read-only file system' && printf '%s\n' "$out" | grep -q '^ro'; echo $?)" \
	"a write to the base's / fails: EROFS, / is mounted ro"
ok "$( [ ! -e "$r/probe" ]; echo $?)" "nothing was written into the base's rootfs"
check "its snapshot starts alongside" -- sh -c "lxm-start -n $s && lxm-wait -n $s -s RUNNING -t 10"
out=$(lxm-attach -n "$s" -- /bin/sh -c 'echo hi > /in-snap && cat /in-snap && stat -c %u:%g /bin/busybox /etc/inittab | sort -u' 2>&1)
ok "$( [ "$out" = "$(printf 'hi\n0:0')" ]; echo $?)" "the snapshot writes, and sees its base's files owned by its own root"
[ "$out" = "$(printf 'hi\n0:0')" ] || diag "$out"
hostuid=$(stat -c %u "$LXM_PATH/$s/overlay/upper/in-snap" 2>/dev/null)
ok "$( [ "$hostuid" = "$(idhost "$s")" ]; echo $?)" \
	"its write is owned by its own range on the host ($hostuid)"
check "it deletes a base file and replaces a base directory" -- lxm-attach -n "$s" -- /bin/sh -c \
	'rm /etc/inittab && rm -rf /etc/init.d && mkdir /etc/init.d && touch /etc/init.d/only-this'
expect_error "^lxm-copy: $b: '$b' is (RUNNING|starting or running); stop it first" "no new snapshot of a running base" -- lxm-copy -n "$b" -N "${PFX}-late" -s
ok "$( [ ! -e "$LXM_PATH/${PFX}-late" ] && [ "$(ls "$LXM_PATH/$b/snapshots")" = "$s" ]; echo $?)" "and no mark of it is left"
lxm-stop -n "$s" -k >/dev/null 2>&1
lxm-stop -n "$b" -k >/dev/null 2>&1
no_leaks "$b" "nothing left of the base's start"
no_leaks "$s" "nothing left of the snapshot's start"
ex=$TEST_TMP/usnap.tar.zst
check "the unprivileged snapshot exports" -- lxm-export -n "$s" -o "$ex"
listing=$(zstd -dc "$ex" 2>/dev/null | tar -tv --numeric-owner 2>/dev/null | awk '{ print $2, $NF }')
ok "$(printf '%s\n' "$listing" | awk '{ split($1, o, "/"); if (o[1] + 0 >= 65536 || o[2] + 0 >= 65536) bad++ } END { exit !(NR > 100 && !bad) }'; echo $?)" \
	"its export has container ids only (its own files and its base's)"
ok "$(printf '%s\n' "$listing" | grep -qx '0/0 ./in-snap' && printf '%s\n' "$listing" | grep -qx '0/0 ./bin/busybox'; echo $?)" \
	"its own file and its base's are root's"
ok "$( ! printf '%s\n' "$listing" | grep -q ' ./etc/inittab$' &&
      [ "$(printf '%s\n' "$listing" | grep -c ' ./etc/init.d/.')" = 1 ] && printf '%s\n' "$listing" | grep -q ' ./etc/init.d/only-this$'; echo $?)" \
	"the export leaves out what it deleted, and the replaced directory has only its new file"
sum1=$(tree_sum "$r")
ok "$( [ "$sum0" = "$sum1" ]; echo $?)" "the base's boot left its tree unchanged (names, sizes, modes, owners, mtimes)"
check "destroy the snapshot" -- lxm-destroy -n "$s"
ok "$( [ ! -e "$LXM_PATH/$b/snapshots" ]; echo $?)" "its mark in the base's dir went with it"
err=$(lxm-start -n "$b" 2>&1 >/dev/null)
ok "$( ! printf '%s\n' "$err" | grep -q 'base of'; echo $?)" "without snapshots the base starts without the note"
check "and writable again" -- lxm-attach -n "$b" -- /bin/sh -c 'touch /probe && rm /probe'
lxm-stop -n "$b" -k >/dev/null 2>&1
ok "$( [ ! -e "$LXM_PATH/$b/snapshots" ]; echo $?)" "no mark after the base's start either"

# ---- lxm-destroy of the base and lxm-copy -s of it at the same time ----------------
# a snapshot being made (marked, its dir still partial, the marker locked
# by its lxm-copy) keeps the base
mkdir -p "$LXM_PATH/${PFX}-mk" "$LXM_PATH/$b/snapshots" && touch "$LXM_PATH/${PFX}-mk/partial" "$LXM_PATH/$b/snapshots/${PFX}-mk"
flock -o "$LXM_PATH/${PFX}-mk/partial" sleep 300 &
holder=$!
for _ in $(seq 1 50); do flock -n "$LXM_PATH/${PFX}-mk/partial" true 2>/dev/null || break; sleep 0.1; done
expect_error "^lxm-destroy: $b: is the base of 1 snapshot\(s\) \('${PFX}-mk'\)" \
	"a snapshot still being made keeps its base from lxm-destroy" -- lxm-destroy -n "$b"
ok "$( [ -d "$r" ] && [ ! -e "$LXM_PATH/$b/destroying" ]; echo $?)" "the base is whole, no destroy lock left"
stop_holder "$holder"
# one whose lxm-copy -s was killed (the marker unheld) does not: the base
# starts writable, and the copy's remains go with the next create of its name
err=$(lxm-start -n "$b" 2>&1)
ok "$( ! printf '%s\n' "$err" | grep -q 'base of' && wait_state "$b" RUNNING 10 &&
	lxm-attach -n "$b" -- /bin/sh -c 'touch /probe && rm /probe'; echo $?)" "a killed lxm-copy -s leaves its base writable"
lxm-stop -n "$b" -k >/dev/null 2>&1
ok "$( [ ! -e "$LXM_PATH/$b/snapshots" ]; echo $?)" "and its stale mark is gone"
check "the next create of that name cleans up" -- lxm-copy -n "$b" -N "${PFX}-mk" -s
check "and its snapshot is destroyed" -- lxm-destroy -n "${PFX}-mk"
rm -rf "$LXM_PATH/${PFX}-mk" "$LXM_PATH/$b/snapshots"
# a destroy under way (its lock held) keeps lxm-copy -s away, and another destroy
flock -o "$LXM_PATH/$b/destroying" sleep 300 &
holder=$!
for _ in $(seq 1 50); do flock -n "$LXM_PATH/$b/destroying" true 2>/dev/null || break; sleep 0.1; done
expect_error "^lxm-copy: $b: '$b' is being destroyed" "lxm-copy -s refuses a base being destroyed" -- lxm-copy -n "$b" -N "${PFX}-late2" -s
ok "$( [ ! -e "$LXM_PATH/${PFX}-late2" ] && [ ! -e "$LXM_PATH/$b/snapshots" ]; echo $?)" "and leaves neither the copy nor its mark"
expect_error "^lxm-destroy: $b: is being destroyed already" "so does a second lxm-destroy" -- lxm-destroy -n "$b"
expect_error "^lxm-copy: $b: '$b' is being destroyed$" "and a full lxm-copy" -- lxm-copy -n "$b" -N "${PFX}-late3"
expect_error "^lxm-export: $b: is being destroyed$" "and lxm-export" -- lxm-export -n "$b" -o "$TEST_TMP/late.tar"
ok "$( [ ! -e "$LXM_PATH/${PFX}-late3" ] && [ ! -e "$TEST_TMP/late.tar" ] && ! compgen -G "$LXM_PATH/$b/in-use.*" >/dev/null; echo $?)" \
	"which leave no copy, archive or lock file"
stop_holder "$holder"
# a lock file left by a destroy that died is not held: not in the way
check "with that lock file left unheld, lxm-copy -s works" -- lxm-copy -n "$b" -N "${PFX}-late2" -s
check "and its snapshot is destroyed" -- lxm-destroy -n "${PFX}-late2"
rm -f "$LXM_PATH/$b/destroying"
sum0=$(tree_sum "$r")      # after that writable boot

# ---- N snapshots: made, booted, each writes, destroyed -----------------------------
du_k() { du -sk "$@" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
base_k=$(du_k "$r")
free0=$(stat -f -c '%a*%S' "$LXM_PATH" | bc)
t0=$(date +%s%N)
made=0
for i in $(seq -w 1 "$N"); do
	lxm-copy -n "$b" -N "${PFX}-n$i" -s >/dev/null 2>&1 && made=$((made + 1))
done
t1=$(date +%s%N)
ok "$( [ $made = "$N" ]; echo $?)" "$N snapshots made ($made, $(( (t1 - t0) / 1000000 )) ms)"
empty_k=$(du_k "$LXM_PATH"/${PFX}-n*)
diag "$N fresh snapshots take $empty_k KiB in all (config, empty upper and work dirs)"
booted=0 wrote=0
for i in $(seq -w 1 "$N"); do
	c=${PFX}-n$i
	lxm-start -n "$c" >/dev/null 2>&1 || { diag "start $c: $(lxm-start -n "$c" 2>&1)"; continue; }
	booted=$((booted + 1))
	lxm-attach -n "$c" -- /bin/sh -c "dd if=/dev/urandom of=/snap-$i bs=1024 count=$KB 2>/dev/null && sync" \
		>/dev/null 2>&1 && wrote=$((wrote + 1))
	lxm-stop -n "$c" -k >/dev/null 2>&1
done
t2=$(date +%s%N)
ok "$( [ $booted = "$N" ] && [ $wrote = "$N" ]; echo $?)" \
	"each booted and wrote $KB KiB ($booted booted, $wrote wrote; $(( (t2 - t1) / 1000000 )) ms)"
leaked=
for i in $(seq -w 1 "$N"); do leaked+=$(leaks_of "${PFX}-n$i"); done
ok "$( [ -z "$leaked" ]; echo $?)" "no cgroup, mount, runtime dir or monitor left by the $N boots"
[ -z "$leaked" ] || printf '%s\n' "$leaked" | head -5 | sed 's/^/#   /'

# each upper holds its own file and what its boot wrote (a few small files)
bad=0 max_other=0
for i in $(seq -w 1 "$N"); do
	up=$LXM_PATH/${PFX}-n$i/overlay/upper
	[ "$(stat -c %s "$up/snap-$i" 2>/dev/null)" = $((KB * 1024)) ] || bad=$((bad + 1))
	other=$(( $(du_k "$up") - $(du_k "$up/snap-$i") ))
	[ $other -gt $max_other ] && max_other=$other
done
ok "$( [ $bad = 0 ]; echo $?)" "each snapshot's upper dir holds its own $KB KiB file ($bad missing)"
all_k=$(du_k "$LXM_PATH"/${PFX}-n*)
growth=$((all_k - empty_k))
expect=$((N * KB))
diag "after the boots: $all_k KiB for $N snapshots, $growth KiB more than fresh; written $expect KiB; at most $max_other KiB besides the file in one upper dir (what a busybox boot writes)"
ok "$( [ $growth -ge $expect ] && [ $growth -le $((expect + N * 64)) ]; echo $?)" \
	"the snapshots grew by what they wrote ($growth KiB for $expect KiB written, <= 64 KiB of boot writes each)"
ok "$( [ "$(du_k "$r")" = "$base_k" ]; echo $?)" "the base's rootfs did not grow ($base_k KiB)"
free1=$(stat -f -c '%a*%S' "$LXM_PATH" | bc)
diag "statfs: $(( (free0 - free1) / 1024 )) KiB less free space than before the snapshots (the file system is shared with others: informative)"
ok "$( [ "$(ls "$LXM_PATH/$b/snapshots" | wc -l)" = "$N" ]; echo $?)" "the base holds a mark for each"
expect_error "^lxm-destroy: $b: is the base of $N snapshot" "the base cannot be destroyed while they exist" -- lxm-destroy -n "$b"

gone=0
t2=$(date +%s%N)
for i in $(seq -w 1 "$N"); do
	lxm-destroy -n "${PFX}-n$i" >/dev/null 2>&1 && gone=$((gone + 1))
done
t3=$(date +%s%N)
ok "$( [ $gone = "$N" ] && [ -z "$(ls -d "$LXM_PATH"/${PFX}-n* 2>/dev/null)" ]; echo $?)" "all $N destroyed ($(( (t3 - t2) / 1000000 )) ms)"
sum2=$(tree_sum "$r")
ok "$( [ "$sum0" = "$sum2" ]; echo $?)" "the base's tree is unchanged after $N snapshots"
check "the base is writable again and boots" -- sh -c "lxm-start -n $b 2>&1 | grep -v 'base of' >/dev/null; lxm-attach -n $b -- /bin/touch /probe && lxm-stop -n $b -k"
check "then the base can go" -- lxm-destroy -n "$b"
done_testing
