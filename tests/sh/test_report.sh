#!/usr/bin/env bash
# ward report: one static HTML page for a release and for an audit, opened
# in Debian's headless Chromium (no network: the page must be complete by
# itself).  The screenshot must not be blank (distinct colours counted by
# decoding the PNG with zlib) and the DOM Chromium dumps must hold the key
# numbers of the release's own artifacts (score, findings, CVEs, tests).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build_lib.sh"
. "$(dirname "$0")/release_lib.sh"
podman_setup

CHROMIUM=$(command -v chromium || command -v chromium-browser)
[ -n "$CHROMIUM" ] || { fail "chromium is needed (scripts/install-deps.sh --test)"; finish; exit 1; }
release_setup || { fail "lock, fetch and the vulnerability store"; finish; exit 1; }
REL=$T/rel
release_small "$REL" --no-run
[ "$RC" = 0 ] && pass "ward release --no-run" || { fail "release: $(tail -3 <<<"$ERR")"; finish; exit 1; }

run "$WARD" report "$REL" -o "$T/release.html" --key "$T/signing.pub"
[ "$RC" = 0 ] && [ "$(tail -1 <<<"$OUT")" = "$(realpath "$T/release.html")" ] &&
	pass "ward report RELEASE --key: the page's path is the last line of stdout" ||
	fail "ward report: $RC $ERR"
"$WARD" audit "$REL/image:1" --db "$DB" -o "$T/audit.json" >/dev/null 2>&1
check "ward report AUDIT.json" "$WARD" report "$T/audit.json" -o "$T/audit.html"

# Self-contained: no script, no external reference of any kind.
python3 - "$T/release.html" "$T/audit.html" <<'PY' && pass "both pages: no <script>, no src=/href=/url() references, a CSP that forbids fetching" || fail "the pages reference something"
import re, sys
for p in sys.argv[1:]:
    h = open(p, encoding="utf-8").read()
    assert "<script" not in h.lower(), p
    assert not re.search(r"\b(src|href)\s*=", h, re.I), re.search(r"\b(src|href)\s*=", h, re.I).group(0)
    assert "url(" not in h and "@import" not in h, p
    assert "default-src 'none'" in h
    assert "<svg" in h
PY

# Chromium: fresh profile, no network features; screenshot and DOM.
shoot() { # HTML PNG DOM
	local prof
	prof=$(mktemp -d "$T/chromium.XXXXXX")
	local flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
		--disable-background-networking --disable-component-update --disable-sync
		--user-data-dir="$prof" --window-size=1280,2000)
	timeout 120 "$CHROMIUM" "${flags[@]}" --screenshot="$2" "file://$1" >/dev/null 2>&1 &&
		timeout 120 "$CHROMIUM" "${flags[@]}" --dump-dom "file://$1" >"$3" 2>/dev/null
}
# distinct colours of a PNG (8-bit RGB/RGBA, non-interlaced), decoded with zlib
PNGCOLORS='
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(d):
    n, t = struct.unpack(">I4s", d[pos:pos + 8]); body = d[pos + 8:pos + 8 + n]; pos += 12 + n
    if t == b"IHDR":
        w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", body)
        assert depth == 8 and ctype in (2, 6) and inter == 0, (depth, ctype, inter)
        bpp = 3 if ctype == 2 else 4
    elif t == b"IDAT":
        idat += body
raw = zlib.decompress(idat)
stride, prev, colours = w * bpp, bytearray(w * bpp), set()
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        p = a + b - c
        pr = a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else b if abs(p - b) <= abs(p - c) else c
        line[i] = (line[i] + (0, a, b, (a + b) // 2, pr)[f]) & 255
    if y % 4 == 0:
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp * 4))
    prev = line
print(len(colours))
'
if shoot "$T/release.html" "$T/release.png" "$T/release.dom"; then
	n=$(python3 -c "$PNGCOLORS" "$T/release.png")
	[ "${n:-0}" -ge 20 ] && pass "Chromium rendered the release page: $n distinct colours in the screenshot" ||
		fail "release screenshot looks blank ($n colours)"
	python3 - "$T/release.dom" "$REL" <<'PY' && pass "the DOM holds the release's numbers: score, findings, CVEs, VEX, tests, signature status" || fail "release DOM"
import html, json, re, sys
dom, rel = open(sys.argv[1]).read(), sys.argv[2]
def by_id(i):
    m = re.search(r'id="%s"[^>]*>([^<]*)<' % re.escape(i), dom)
    assert m, i
    return html.unescape(m.group(1)).strip()
t = json.load(open(rel + "/artifacts/test-report.json"))
v = json.load(open(rel + "/artifacts/vulnerabilities.json"))
assert by_id("score") == str(t["audit"]["score"]), (by_id("score"), t["audit"]["score"])
assert by_id("grade") == t["audit"]["grade"]
assert by_id("findings-count") == str(len(t["audit"]["findings"]))
assert by_id("cve-count") == str(len(v["findings"]) + len(v.get("resolved", [])) + len(v["suppressed"])), by_id("cve-count")
for st, n in v["statuses"].items():
    assert by_id("cve-status-" + st) == str(n), (st, n, by_id("cve-status-" + st))
assert by_id("tests-total") == str(len(t["checks"]))
assert by_id("tests-pass").startswith(str(t["summary"]["pass"]) + " ")
assert by_id("signature-status") == "verified"
assert by_id("reproducible-status") in ("not checked", "same")
for c in t["checks"]:
    assert c["id"] in dom, c["id"]
lic = json.load(open(rel + "/artifacts/licenses.json"))
for b in lic["by_license"][:5]:
    assert html.escape(b["license"]) in dom or b["license"] in dom, b["license"]
PY
else
	fail "Chromium could not render the release page"
fi
if shoot "$T/audit.html" "$T/audit.png" "$T/audit.dom"; then
	n=$(python3 -c "$PNGCOLORS" "$T/audit.png")
	[ "${n:-0}" -ge 20 ] && pass "Chromium rendered the audit page: $n distinct colours" ||
		fail "audit screenshot looks blank ($n colours)"
	python3 -c '
import json, re, sys
dom, a = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
assert re.search(r"id=\"score\"[^>]*>%d<" % a["score"], dom)
assert re.search(r"id=\"findings-count\"[^>]*>%d<" % len(a["findings"]), dom)' "$T/audit.dom" "$T/audit.json" &&
		pass "the audit page's DOM holds its score and finding count" || fail "audit DOM"
else
	fail "Chromium could not render the audit page"
fi

# Hostile input: markup in the data is text on the page.
python3 - "$T/audit.json" "$T/evil.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
a["target"] = "<script>alert(1)</script><img src=x onerror=alert(2)>"
a["findings"] = [{"id": "shell", "severity": "critical\" onmouseover=\"x", "penalty": 25,
                  "title": "t", "explanation": "<b>x</b>", "count": 1, "evidence": ["</td><script>"]}]
json.dump(a, open(sys.argv[2], "w"))
PY
check "a report of hostile audit JSON" "$WARD" report "$T/evil.json" -o "$T/evil.html"
! grep -qiE "<script|<img|onmouseover=\"" "$T/evil.html" && pass "its markup is escaped (no tag or attribute got through)" ||
	fail "unescaped markup in the page"
expect_err 2 "neither" "a JSON file that is not an audit: exit 2" "$WARD" report "$REL/artifacts/licenses.json" -o "$T/x.html"
finish
