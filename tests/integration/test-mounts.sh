#!/bin/bash
# The config's mounts on real containers: a bind mount's options add to the
# flags its source has (a "ro" bind of a nosuid,nodev,noexec host mount
# keeps all three, in a user namespace too, where the kernel locks them),
# and "rbind,ro" makes every mount of the tree read-only; the other
# mounts of the child's start where they depend on the config.
. "$(dirname "$0")/lib.sh"
require_root

# flat: a nosuid,nodev,noexec mount; src: one more with a submount (a
# user namespace may bind that only with rbind: its submount is locked)
flat=$TEST_TMP/flat src=$TEST_TMP/src
mkdir -p "$flat" "$src"
mount -t tmpfs -o nosuid,nodev,noexec,size=1m "lxm-flat-$PFX" "$flat" || { echo "1..0 # SKIP cannot mount a tmpfs"; exit 0; }
mount -t tmpfs -o nosuid,nodev,noexec,size=1m "lxm-src-$PFX" "$src"
mkdir -p "$src/sub" "$src/rosub"
mount -t tmpfs -o size=1m "lxm-sub-$PFX" "$src/sub"
mount -t tmpfs -o ro,size=1m "lxm-rosub-$PFX" "$src/rosub"
mounts_cleanup() {
	destroy_all
	umount "$src/sub" "$src/rosub" "$src" "$flat" 2>/dev/null
	cleanup
}
trap mounts_cleanup EXIT

# opts_of NAME TARGET: the mount options the container sees at TARGET
opts_of() { lxm-attach -n "$1" -- awk -v t="$2" '$2 == t { print $4 }' /proc/self/mounts; }
has_opts() {  # has_opts OPTS WANTED...: every wanted option is in OPTS
	local o=$1 w; shift
	for w; do [[ ",$o," == *",$w,"* ]] || return 1; done
}

for kind in unprivileged privileged; do
	c=${PFX}-${kind:0:1}
	args=(); [ $kind = privileged ] && args=(--privileged)
	check "$kind: create" -- lxm-create -n "$c" -t busybox "${args[@]}"
	printf 'mounts = ( { source = "%s"; target = "/mnt/ro"; options = "bind,ro"; },\n  { source = "%s"; target = "/mnt/tree"; options = "rbind,ro"; },\n  { source = "%s"; target = "/mnt/rw"; options = "rbind,rw"; } );\n' \
		"$flat" "$src" "$src" >> "$LXM_PATH/$c/config"
	check "$kind: a 'bind,ro' of a nosuid,nodev,noexec mount starts" -- lxm-start -n "$c"
	o=$(opts_of "$c" /mnt/ro)
	ok "$(has_opts "$o" ro nosuid nodev noexec; echo $?)" "$kind: the bind is read-only and keeps nosuid, nodev and noexec ($o)"
	o=$(opts_of "$c" /mnt/tree)
	ok "$(has_opts "$o" ro nosuid nodev noexec; echo $?)" "$kind: so is the top of the rbind ($o)"
	o=$(opts_of "$c" /mnt/tree/sub)
	ok "$(has_opts "$o" ro; echo $?)" "$kind: 'rbind,ro': the submount is read-only too ($o)"
	ok "$(! lxm-attach -n "$c" -- touch /mnt/tree/sub/x 2>/dev/null; echo $?)" "$kind: nothing can be written below the rbind"
	ok "$( [ ! -e "$src/sub/x" ]; echo $?)" "$kind: and nothing was"
	o=$(opts_of "$c" /mnt/rw)
	ok "$(has_opts "$o" rw nosuid nodev noexec; echo $?)" "$kind: 'rbind,rw' lifts none of the source's flags ($o)"
	o=$(opts_of "$c" /mnt/rw/rosub)
	ok "$(has_opts "$o" ro; echo $?)" "$kind: nor a read-only submount's ($o)"
	check "$kind: stop" -- lxm-stop -n "$c" -k
	no_leaks "$c" "$kind: nothing left"
done

# a file bind's target that the container made a FIFO: the start neither
# opens it (which blocked until something read the FIFO) nor fails
c=${PFX}-u
echo "data-$PFX" > "$TEST_TMP/file"
sed -i '/^mounts = /,$d' "$LXM_PATH/$c/config"
printf 'mounts = ( { source = "%s"; target = "/etc/lxm-fifo"; options = "bind,ro"; } );\n' "$TEST_TMP/file" >> "$LXM_PATH/$c/config"
mkfifo "$LXM_PATH/$c/rootfs/etc/lxm-fifo"
# a reader comes late, for a start that waits for one nonetheless
(sleep 12; timeout 5 cat "$LXM_PATH/$c/rootfs/etc/lxm-fifo" >/dev/null 2>&1) &
check "a file bind onto a FIFO in the rootfs starts, without waiting for a reader" -- timeout 10 lxm-start -n "$c"
wait_state "$c" RUNNING 20
ok "$( [ "$(lxm-attach -n "$c" -- cat /etc/lxm-fifo)" = "data-$PFX" ]; echo $?)" "the file is bound on it"
check "stop" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing left"

# "optional": a mount whose target cannot be made is skipped, for a file
# bind as for a directory
c=${PFX}-u
sed -i '/^mounts = /,$d' "$LXM_PATH/$c/config"
printf 'mounts = ( { source = "%s"; target = "/etc/passwd/f"; options = "bind,optional"; },\n  { source = "%s"; target = "/etc/passwd/d"; options = "bind,optional"; } );\n' \
	"$TEST_TMP/file" "$flat" >> "$LXM_PATH/$c/config"
check "optional mounts whose targets cannot be made are skipped" -- lxm-start -n "$c"
check "stop" -- lxm-stop -n "$c" -k

# a mount may not land on the rootfs itself (where it hides proc, sys, dev
# and init), named or by a symlink in the rootfs
c=${PFX}-p
sed -i '/^mounts = /,$d' "$LXM_PATH/$c/config"
cp "$LXM_PATH/$c/config" "$TEST_TMP/p.conf"
printf 'mounts = ( { source = "tmpfs"; fstype = "tmpfs"; target = "/"; options = "size=1m"; } );\n' >> "$LXM_PATH/$c/config"
expect_error "^lxm-start: $c: mount '/': the target is the root of the rootfs" "a mount on '/' is refused" -- lxm-start -n "$c"
cp "$TEST_TMP/p.conf" "$LXM_PATH/$c/config"
ln -s / "$LXM_PATH/$c/rootfs/data"
printf 'mounts = ( { source = "%s"; target = "/data"; options = "bind"; } );\n' "$flat" >> "$LXM_PATH/$c/config"
expect_error "^lxm-start: $c: mount '/data': the target is the root of the rootfs" "so is one through a symlink to '/' in the rootfs" -- lxm-start -n "$c"
no_leaks "$c" "nothing left of the refused starts"
rm "$LXM_PATH/$c/rootfs/data"

# /proc/sys/net stays writable only for a network namespace of the
# container's own: with the host's network ("none") those are the host's
# sysctls (the write puts back the value read, changing nothing)
sysctl=/proc/sys/net/ipv4/conf/lo/accept_local
cp "$TEST_TMP/p.conf" "$LXM_PATH/$c/config"
check "a privileged container with its own network starts" -- lxm-start -n "$c"
ok "$(lxm-attach -n "$c" -- sh -c "cat $sysctl > $sysctl"; echo $?)" "its /proc/sys/net is writable"
check "stop" -- lxm-stop -n "$c" -k
sed -i 's/^net = ( );/net = ( { type = "none"; } );/' "$LXM_PATH/$c/config"
check "one with the host's network starts" -- lxm-start -n "$c"
ok "$(lxm-attach -n "$c" -- awk '$2 == "/proc/sys/net"' /proc/self/mounts | grep -q ' rw,'; [ $? -ne 0 ]; echo $?)" "no writable /proc/sys/net is bound"
ok "$(! lxm-attach -n "$c" -- sh -c "cat $sysctl > $sysctl" 2>/dev/null; echo $?)" "the host's network sysctls cannot be written"
check "stop" -- lxm-stop -n "$c" -k
no_leaks "$c" "nothing left"

done_testing
