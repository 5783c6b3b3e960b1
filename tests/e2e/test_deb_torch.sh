#!/usr/bin/env bash
# The PyTorch example end to end: ward lock on examples/torch-serve against
# the machine's apt lists (twice: identical bytes), the closure compared with
# apt's resolver and free of shells and package managers, the cut edges
# recorded; ward fetch of the whole closure from the configured mirror;
# every blob's SHA-256 equal to the Packages index (read by Python) and to
# sha256sum; every .deb's control fields and file list equal to
# dpkg-deb -f / dpkg-deb -c.  WARD_E2E_CACHE keeps the cache between runs.
. "$(dirname "$0")/../sh/lib.sh"
export LC_ALL=C TZ=UTC
CACHE=${WARD_E2E_CACHE:-$T/cache}

mkdir -p "$T/torch"
cp "$WARD_SRC/examples/torch-serve/ward.yaml" "$T/torch/"
check "ward lock (apt lists)" "$WARD" lock -f "$T/torch/ward.yaml" --offline
echo "$ERR" | tail -1
cp "$T/torch/ward.lock" "$T/lock1"
"$WARD" lock -f "$T/torch/ward.yaml" --offline 2>/dev/null
cmp -s "$T/lock1" "$T/torch/ward.lock" && pass "second lock: identical bytes" || fail "locks differ"

# ---- the closure: apt's, minus what the policy cuts; no shell, no dpkg/apt ---------
mkdir -p "$T/apt/lists/partial" "$T/apt/cache"
: >"$T/apt/status"
cp /var/lib/apt/lists/*_InRelease /var/lib/apt/lists/*_Packages* "$T/apt/lists/"
apt-get -s -o Dir::State::status="$T/apt/status" -o Dir::State::Lists="$T/apt/lists" \
	-o Dir::Cache="$T/apt/cache" -o APT::Install-Recommends=false \
	install python3.11-minimal python3-torch python3-numpy 2>/dev/null |
	awk '/^Inst /{v=$3; gsub(/[()]/,"",v); print $2, v}' >"$T/apt.txt"
python3 - "$T/torch/ward.lock" "$T/apt.txt" <<'PY' && pass "closure = apt's minus the cut packages; no shell/dpkg/apt; cut edges recorded" || fail "closure check"
import json, sys
lock = json.load(open(sys.argv[1]))
apt = dict(l.split() for l in open(sys.argv[2]))
ward = {p["name"]: p["version"] for p in lock["packages"]}
forbidden = {"dash", "bash", "busybox", "zsh", "mksh", "ksh", "dpkg", "apt", "apt-utils", "aptitude",
             "debconf", "cdebconf", "gcc", "gcc-12", "cpp-12", "g++-12", "binutils", "gdb", "strace"}
assert not forbidden & set(ward), forbidden & set(ward)
assert len(ward) > 300, len(ward)
differ = [(n, v, apt.get(n)) for n, v in ward.items() if n in apt and apt[n] != v]
assert not differ, differ
only_ward = set(ward) - set(apt)
only_apt = set(apt) - set(ward)
cuts = lock["cut"]
reasons = " ".join(c["dependency"] + " " + c["reason"] for c in cuts)
assert any(c["package"] == "python3-minimal" and c["dependency"].startswith("dpkg") for c in cuts), cuts
assert all("distroless policy" in c["reason"] for c in cuts)
# apt picks dpkg for "dpkg | install-info"; ward cannot, and takes install-info.
assert only_ward <= {"install-info"}, only_ward
assert only_apt <= {"dpkg", "debconf", "tar"}, only_apt
print("ward %d packages, apt %d; cut %d edges; only apt: %s; only ward: %s" %
      (len(ward), len(apt), len(cuts), sorted(only_apt), sorted(only_ward)))
PY

# ---- fetch everything ---------------------------------------------------------------
check "ward fetch (whole closure, 8 parallel)" "$WARD" fetch -f "$T/torch/ward.yaml" --cache "$CACHE" --jobs 8
echo "$ERR" | tail -1
check "ward fetch --offline afterwards" "$WARD" fetch -f "$T/torch/ward.yaml" --cache "$CACHE" --offline

# Every blob against the Packages indices themselves (not ward's reading of them).
python3 - "$T/torch/ward.lock" "$CACHE" <<'PY' && pass "every blob: size and sha256 equal the Packages index and the file" || fail "blob digests"
import glob, hashlib, json, subprocess, sys
lock, cache = json.load(open(sys.argv[1])), sys.argv[2]
index = {}
for path in glob.glob("/var/lib/apt/lists/*_Packages.lz4"):
    text = subprocess.run(["lz4", "-dc", path], check=True, capture_output=True).stdout.decode()
    for para in text.split("\n\n"):
        f = dict(l.split(": ", 1) for l in para.splitlines() if ": " in l and not l.startswith(" "))
        if "Package" in f:
            index.setdefault((f["Package"], f["Version"]), set()).add((f["SHA256"], int(f["Size"])))
for p in lock["packages"]:
    assert (p["sha256"], p["size"]) in index[(p["name"], p["version"])], p["name"]
    data = open("%s/blobs/sha256/%s" % (cache, p["sha256"]), "rb").read()
    assert len(data) == p["size"] and hashlib.sha256(data).hexdigest() == p["sha256"], p["name"]
print(len(lock["packages"]), "blobs checked")
PY

# ---- every .deb: ward's reader against dpkg-deb ---------------------------------------
bad=""
n=0
while read -r name sha; do
	f="$CACHE/blobs/sha256/$sha"
	n=$((n + 1))
	diff -q <(dpkg-deb -f "$f") <("$WARD" deb control "$f") >/dev/null || bad="$bad $name:control"
	diff -q <(dpkg-deb -c "$f" | tr -s ' ') <("$WARD" deb contents "$f" | tr -s ' ') >/dev/null || bad="$bad $name:contents"
done < <(python3 -c 'import json,sys
for p in json.load(open(sys.argv[1]))["packages"]: print(p["name"], p["sha256"])' "$T/torch/ward.lock")
[ -z "$bad" ] && pass "$n .debs: control = dpkg-deb -f, file list = dpkg-deb -c" || fail "differ:$bad"

finish
