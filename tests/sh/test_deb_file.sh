#!/usr/bin/env bash
# The .deb reader against dpkg-deb: control fields (dpkg-deb -f), file lists
# (dpkg-deb -c), file contents (dpkg-deb -x + sha256sum), md5sums and
# conffiles, for .debs built here with every entry type and compression and
# for .debs from the machine's apt archive; maintainer scripts never run;
# truncated, garbage and path-traversal .debs are refused in one line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deb_lib.sh"
export LC_ALL=C TZ=UTC
MARK="$T/postinst-ran"

rich_tree() {
	local d=$1
	mkdir -p "$d/usr/bin" "$d/usr/lib/rich" "$d/etc" "$d/var/tmp/sticky" "$d/usr/share/rich/empty"
	printf '#!/bin/sh\necho hi\n' >"$d/usr/bin/rich-tool" && chmod 0755 "$d/usr/bin/rich-tool"
	printf 'setuid\n' >"$d/usr/bin/rich-suid" && chmod 4755 "$d/usr/bin/rich-suid"
	printf 'setgid\n' >"$d/usr/bin/rich-sgid" && chmod 2711 "$d/usr/bin/rich-sgid"
	chmod 1777 "$d/var/tmp/sticky"
	head -c 200000 /dev/urandom >"$d/usr/lib/rich/libdata.so.1.2"
	ln -s libdata.so.1.2 "$d/usr/lib/rich/libdata.so.1"
	ln -s /usr/lib/rich/libdata.so.1.2 "$d/usr/lib/rich/absolute-link"
	ln "$d/usr/lib/rich/libdata.so.1.2" "$d/usr/lib/rich/hardlink-copy"
	: >"$d/usr/share/rich/zero-bytes"
	printf 'name with spaces\n' >"$d/usr/share/rich/a file with spaces"
	printf 'odd\n' >"$d/usr/share/rich/$(printf 'caf\303\251-tab\there')"
	printf 'key = value\n' >"$d/etc/rich.conf"
	echo "/etc/rich.conf" >"$d/DEBIAN/conffiles"
	printf '#!/bin/sh\ntouch %s\n' "$MARK" >"$d/DEBIAN/postinst" && chmod 0755 "$d/DEBIAN/postinst"
	cp "$d/DEBIAN/postinst" "$d/DEBIAN/preinst"
	(cd "$d" && find usr etc -type f ! -name hardlink-copy -exec md5sum {} + | sort -k2) >"$d/DEBIAN/md5sums"
}

# compare_deb FILE: ward and dpkg-deb agree on everything; "" when they do.
compare_deb() {
	local f=$1 x="$T/x"
	diff <(dpkg-deb -f "$f") <("$WARD" deb control "$f") >/dev/null || { echo "control"; return; }
	diff <(dpkg-deb -c "$f" | tr -s ' ') <("$WARD" deb contents "$f" | tr -s ' ') >/dev/null || { echo "contents"; return; }
	rm -rf "$x" && mkdir -p "$x" && dpkg-deb -x "$f" "$x" || { echo "dpkg-deb -x"; return; }
	"$WARD" deb contents --sha256 "$f" >"$T/sums" || { echo "content digests"; return; }
	if [ -s "$T/sums" ]; then
		(cd "$x" && sha256sum --quiet -c "$T/sums" >/dev/null 2>&1) || { echo "content digests"; return; }
	fi
	[ "$(wc -l <"$T/sums")" = "$(cd "$x" && find . -type f -links 1 | wc -l)" ] || [ "$(find "$x" -type f -links +1 | wc -l)" != 0 ] || { echo "file count"; return; }
	"$WARD" deb inspect --json "$f" >"$T/inspect.json" || { echo "inspect"; return; }
	rm -rf "$T/ctl" && mkdir -p "$T/ctl" && dpkg-deb -e "$f" "$T/ctl"
	python3 - "$T/inspect.json" "$T/ctl" <<'PY' || { echo "md5sums/conffiles"; return; }
import json, os, sys
j, ctl = json.load(open(sys.argv[1])), sys.argv[2]
def lines(n):
    p = os.path.join(ctl, n)
    return [l for l in open(p, "rb").read().split(b"\n") if l.strip()] if os.path.exists(p) else []
assert j["md5sums"] == len(lines("md5sums")), (j["md5sums"], len(lines("md5sums")))
assert [c.encode() for c in j["conffiles"]] == [l.strip() for l in lines("conffiles")]
scripts = [n for n in ("preinst", "postinst", "prerm", "postrm", "config") if os.path.exists(os.path.join(ctl, n))]
assert sorted(j["maintainer_scripts_not_run"]) == sorted(scripts), j["maintainer_scripts_not_run"]
PY
}

for comp in xz gzip zstd none; do
	make_deb "$T/pool" "rich-$comp" 1.0-1 amd64 "Depends: libc6 (>= 2.36)
Multi-Arch: foreign
Homepage: https://example.invalid/rich" "$comp" rich_tree
	f="$T/pool/rich-${comp}_1.0-1_amd64.deb"
	why=$(compare_deb "$f")
	[ -z "$why" ] && pass "data.tar ($comp): ward agrees with dpkg-deb" || fail "data.tar ($comp): $why differs"
done
"$WARD" deb contents "$T/pool/rich-xz_1.0-1_amd64.deb" >"$T/list"
grep -q '^-rwsr-xr-x root/root 7 .* ./usr/bin/rich-suid$' "$T/list" &&
	grep -Eq '^hrw-r--r-- root/root 0 .* ./usr/lib/rich/(hardlink-copy|libdata.so.1.2) link to ./usr/lib/rich/' "$T/list" &&
	grep -q '^drwxrwxrwt ' "$T/list" && grep -q 'caf\\303\\251-tab\\there' "$T/list" &&
	pass "setuid, hard link, sticky dir, escaped names listed" || fail "listing: $(cat "$T/list")"
[ ! -e "$MARK" ] && pass "maintainer scripts never ran" || fail "a maintainer script ran"

# ---- .debs from the machine's apt archive ------------------------------------------
n=0
bad=""
if ls /var/cache/apt/archives/*.deb >/dev/null 2>&1; then
	# A fixed spread: every 40th by name among those under 1 MB (the
	# sanitizer build is slow on big ones), plus the 10 smallest.
	for f in $( (find /var/cache/apt/archives -maxdepth 1 -name '*.deb' -size -1024k | sort | awk 'NR % 40 == 1'
		ls -S -r /var/cache/apt/archives/*.deb | head -10) | sort -u); do
		why=$(compare_deb "$f")
		n=$((n + 1))
		[ -z "$why" ] || bad="$bad $(basename "$f"):$why"
	done
	[ -z "$bad" ] && pass "$n real .debs: ward agrees with dpkg-deb" || fail "real .debs differ:$bad"
else
	echo "skip - no .debs in /var/cache/apt/archives"
fi

# ---- bad input ----------------------------------------------------------------------
f="$T/pool/rich-xz_1.0-1_amd64.deb"
size=$(stat -c %s "$f")
for cut in 7 70 $((size / 2)) $((size - 1)); do
	head -c "$cut" "$f" >"$T/trunc.deb"
	expect 2 "truncated .deb ($cut of $size bytes) refused" "$WARD" deb contents "$T/trunc.deb"
	one_line || fail "not one line: $ERR"
done
expect_err 2 "truncated" "truncated .deb names the problem" "$WARD" deb inspect "$T/trunc.deb"
head -c 5000 /dev/urandom >"$T/garbage.deb"
expect_err 2 "not a .deb" "garbage refused" "$WARD" deb inspect "$T/garbage.deb"
python3 - "$T/evil.deb" <<'PY'
import io, sys, tarfile
def tar(entries):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz") as t:
        for name, data in entries:
            i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
    return b.getvalue()
members = [("debian-binary", b"2.0\n"),
           ("control.tar.gz", tar([("./control", b"Package: evil\nVersion: 1\nArchitecture: all\n")])),
           ("data.tar.gz", tar([("./usr/ok", b"ok"), ("./../../etc/evil", b"pwned")]))]
out = b"!<arch>\n"
for name, data in members:
    out += ("%-16s%-12s%-6s%-6s%-8s%-10s`\n" % (name, 0, 0, 0, 100644, len(data))).encode() + data
    if len(data) % 2: out += b"\n"
open(sys.argv[1], "wb").write(out)
PY
expect_err 2 "unsafe path" "a path escaping the root is refused" "$WARD" deb contents "$T/evil.deb"
dpkg-deb -f "$T/evil.deb" Package >/dev/null 2>&1 && pass "(the crafted .deb is otherwise valid for dpkg-deb)" || fail "crafted .deb invalid"

finish
