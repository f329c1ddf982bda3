#!/bin/bash
# Documentation and installation: every command has a manual page that names
# each option its --help lists; the pages render; "make install" into a
# DESTDIR puts commands, pages, units and configs in place, the units pass
# systemd-analyze verify, and "make uninstall" removes all of it. No root
# needed, nothing touches the host outside temporary directories.
. "$(dirname "$0")/lib.sh"

MAN=$SRCDIR/man

# the options of one --help text: "-x" and "--long" at the start of the
# option lines (indented, beginning with a dash)
help_options() {
	grep -E '^[[:space:]]+-' | sed -E 's/[[:space:]]{2,}.*$//; s/=[^ ,]*//g; s#/#,#g' |
		tr ',' '\n' | sed -E 's/^[[:space:]]+//; s/[[:space:]].*$//' | grep -E '^--?[A-Za-z]'
}

tools=$(cd "$BUILDDIR" && ls lxm-* 2>/dev/null | grep -Ev '\.(o|lo)$' || true)
ok "$( [ -n "$tools" ]; echo $?)" "the commands are built ($(echo $tools | wc -w))"
for t in $tools; do
	[ -x "$BUILDDIR/$t" ] || continue
	page=$MAN/$t.1.scd
	if [ ! -f "$page" ]; then
		ok 1 "$t has a manual page ($page)"
		continue
	fi
	help=$("$BUILDDIR/$t" --help 2>&1)
	rc=$?
	missing=""
	for o in $(printf '%s\n' "$help" | help_options | sort -u); do
		grep -qF -- "*$o*" "$page" || missing="$missing $o"
	done
	ok "$( [ $rc -eq 0 ] && [ -z "$missing" ]; echo $?)" "$t: every --help option is in $t(1)${missing:+ (missing:$missing)}"
	ok "$(printf '%s\n' "$help" | head -1 | grep -q "^Usage: $t"; echo $?)" "$t --help starts with its usage line"
	ok "$(grep -q "^# EXAMPLES" "$page"; echo $?)" "$t(1) has examples"
done
ok "$( [ -f "$MAN/lxm.container.conf.5.scd" ]; echo $?)" "lxm.container.conf(5) exists"
# every key of the config table is documented
keys=$(grep -oE 'KEY\("[a-z_.0-9]+"' "$SRCDIR/lxm/config.c" | sed 's/KEY("//; s/"//' | sed 's/^\(idmap\|net\|mounts\|devices\)\..*/\1/' | sort -u)
missing=""
for k in $keys; do
	grep -qF -- "*$(printf '%s' "$k" | sed 's/_/\\_/g')*" "$MAN/lxm.container.conf.5.scd" || missing="$missing $k"
done
ok "$( [ -z "$missing" ]; echo $?)" "lxm.container.conf(5) documents every config key${missing:+ (missing:$missing)}"

# render every generated page without warnings
for p in "$BUILDDIR"/man/*.[158]; do
	[ -f "$p" ] || continue
	w=$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
	ok "$( [ -z "$w" ] && MANWIDTH=80 man -l "$p" 2>/dev/null | grep -q '^NAME'; echo $?)" "$(basename "$p") renders${w:+: $w}"
done

# install into a DESTDIR, verify the units, uninstall
DEST=$TEST_TMP/dest
if make -C "$BUILDDIR" -s install DESTDIR="$DEST" >"$TEST_TMP/install.log" 2>&1; then
	ok 0 "make install DESTDIR=..."
	units=$(make -C "$BUILDDIR" -s --no-print-directory print-unitdir 2>/dev/null || echo /lib/systemd/system)
	udir=$DEST$units
	for f in lxm.service lxm@.service lxm-net.service; do
		ok "$( [ -f "$udir/$f" ]; echo $?)" "$f is installed in $units"
	done
	ok "$( ! grep -q '@[a-z]*@' "$udir"/lxm*.service; echo $?)" "the installed units have their paths filled in"
	ok "$(for u in lxm-net.service lxm.service; do
		sed -n 's/^Exec[A-Za-z]*=-\{0,1\}\([^ ]*\).*/\1/p' "$udir/$u" | while read -r x; do [ -x "$DEST$x" ] || exit 1; done || exit 1
	done; echo $?)" "the installed lxm-net.service and lxm.service run the installed commands"
	for f in lxm-start.1 lxm-autostart.1; do
		ok "$(find "$DEST" -name "$f" | grep -q .; echo $?)" "$f is installed"
	done
	ok "$(find "$DEST" -path '*/man5/lxm.container.conf.5' | grep -q .; echo $?)" "lxm.container.conf.5 is installed"
	# what a user types after installing: man looks the pages up by name
	mandir=$(dirname "$(find "$DEST" -type d -name man1 | head -1)")
	for q in "lxm-start" "5 lxm.container.conf"; do
		# shellcheck disable=SC2086 # "5 NAME" is section and page
		page=$(MANPATH=$mandir MANWIDTH=80 man $q 2>&1)
		ok "$(printf '%s\n' "$page" | grep -q "^NAME" && printf '%s\n' "$page" | grep -q "${q#5 }"; echo $?)" \
			"'man $q' renders the installed page"
	done
	ok "$(find "$DEST" -path '*/lxm/templates/lxm-busybox' | grep -q .; echo $?)" "the templates are installed"
	ok "$(find "$DEST" -path '*/etc/lxm/default.conf' | grep -q .; echo $?)" "default.conf is installed"
	if command -v systemd-analyze >/dev/null; then
		# verify with the commands and pages of this DESTDIR
		mkdir -p "$TEST_TMP/units"
		for u in "$udir"/lxm*.service; do
			sed -E "s#^(Exec[A-Za-z]*=-?)/#\1$DEST/#" "$u" >"$TEST_TMP/units/$(basename "$u")"
		done
		out=$(cd "$TEST_TMP/units" && MANPATH=$(dirname "$(find "$DEST" -type d -name man1 | head -1)") \
			systemd-analyze verify ./*.service 2>&1)
		ok "$( [ -z "$out" ]; echo $?)" "systemd-analyze verify passes for every unit${out:+: $out}"
	else
		skip "systemd-analyze is not installed"
	fi
	# an edited config survives a second install
	echo "# edited" >>"$DEST/etc/lxm/default.conf"
	make -C "$BUILDDIR" -s install DESTDIR="$DEST" >/dev/null 2>&1
	ok "$(tail -1 "$DEST/etc/lxm/default.conf" | grep -qx '# edited'; echo $?)" "a second install keeps an edited default.conf"
	make -C "$BUILDDIR" -s uninstall DESTDIR="$DEST" >/dev/null 2>&1
	left=$(find "$DEST" -type f)
	ok "$( [ "$left" = "$DEST/etc/lxm/default.conf" ]; echo $?)" "make uninstall removes everything but the edited config${left:+ (left: $(echo $left))}"
else
	ok 1 "make install DESTDIR=..."
	sed 's/^/#   /' "$TEST_TMP/install.log" | tail -20
fi

done_testing
