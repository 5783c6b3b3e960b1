#!/usr/bin/env bash
# ward sbom on a real Debian root filesystem (debootstrap --variant=minbase
# with Python packages, cached between runs) plus a pip-installed
# distribution, signed and unsigned models, a foreign ELF library and
# ward-init — as a directory, a docker-archive (podman) and an OCI layout
# (skopeo) — and its distroless (status.d) form.  Oracles: dpkg-query,
# importlib.metadata, lstat + hashlib, sha256sum/sha1sum, readelf, podman,
# skopeo, the JSON schemas (validate_schema.py) and sbom_check.py.
. "$(dirname "$0")/lib.sh"

ORACLE="$WARD_SRC/tests/py/sbom_oracle.py"
CACHE=${WARD_BUILD:-$WARD_SRC/build-check}/test-cache
BASE=$CACHE/sbom-bookworm-minbase-py
export WARD_PASSWORD=sbom-test


debootstrap_root "$BASE" python3-six,python3-packaging,python3-idna ||
	{ fail "debootstrap minbase (needs debootstrap and a bookworm mirror)"; finish; exit 1; }

R=$T/rootfs
cp -a "$BASE" "$R"
# A distribution installed by pip (RECORD, a Requires-Dist on a Debian one).
mkdir -p "$T/proj/ward_demo"
cat >"$T/proj/pyproject.toml" <<'EOF'
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"
[project]
name = "Ward_Demo.Pkg"
version = "1.2.3"
license = {text = "MIT"}
dependencies = ["six", "rich; extra == 'fancy'"]
[tool.setuptools]
packages = ["ward_demo"]
EOF
echo 'X = 1' >"$T/proj/ward_demo/__init__.py"
SITE=$R/usr/local/lib/python3.11/dist-packages
(cd "$T/proj" && /usr/bin/python3 -m pip install -q --no-index --no-deps --no-build-isolation \
	--target "$SITE" . >/dev/null 2>&1) || fail "pip install into the root filesystem"
# Models: one signed beside itself, one signed into /ward/model.sig, one unsigned.
"$WARD" keygen -o "$T/k" >/dev/null 2>&1
mkdir -p "$R/opt/models/tiny" "$R/srv/llm" "$R/data" "$R/ward/keys" "$R/opt/tool/lib"
head -c 200000 /dev/urandom >"$R/opt/models/tiny/weights.safetensors"
printf '{"arch":"mlp"}' >"$R/opt/models/tiny/config.json"
head -c 300000 /dev/urandom >"$R/srv/llm/model.gguf"
printf 'tokenizer' >"$R/srv/llm/tokenizer.json"
head -c 1000 /dev/urandom >"$R/data/extra.onnx"
"$WARD" model sign "$R/opt/models/tiny" --key "$T/k.key" >/dev/null 2>&1 || fail "sign tiny"
"$WARD" model sign "$R/srv/llm" --key "$T/k.key" --signature "$R/ward/model.sig" >/dev/null 2>&1 ||
	fail "sign llm into /ward/model.sig"
cp "$WARD_INIT" "$R/ward/init"
echo '{"server":"/usr/bin/true"}' >"$R/ward/policy.json"
cp "$T/k.pub" "$R/ward/keys/signing.pub"
# A shared library no package of the image owns.
LIB=$(ls /usr/lib/x86_64-linux-gnu/libyaml-0.so.2.* | head -1)
cp "$LIB" "$R/opt/tool/lib/libyaml-0.so.2"

O=$T/out
check "ward sbom on the root filesystem" "$WARD" sbom "$R" -o "$O"
SUMMARY_ERR=$ERR
for f in sbom.cdx.json sbom.spdx.json licenses.json licenses.md licenses.csv files.manifest \
	owners.tsv summary.json; do
	[ -s "$O/$f" ] || fail "output $f missing"
done
check "CycloneDX validates against bom-1.6" python_oracle validate_schema.py cyclonedx "$O/sbom.cdx.json"
check "SPDX validates against spdx-2.3" python_oracle validate_schema.py spdx "$O/sbom.spdx.json"
check "refs, dependencies, namespace, same components in both" \
	python_oracle sbom_check.py "$O/sbom.cdx.json" "$O/sbom.spdx.json"
check "packages = dpkg-query -W (ii) and every dist-info/egg-info (importlib.metadata)" \
	python3 "$ORACLE" packages "$O/sbom.cdx.json" "$R"
check "every file dpkg-query -L lists is owned by its package" \
	python3 "$ORACLE" owners "$O/owners.tsv" "$O/sbom.cdx.json" "$R"
check "files.manifest = lstat + sha256 of every entry" python3 "$ORACLE" manifest "$O/files.manifest" "$R"

# Completeness: every regular file counted once, owned or listed as unowned.
run python3 - "$O/summary.json" "$R" <<'PY'
import json, os, sys
s = json.load(open(sys.argv[1])); c = s["completeness"]
n = sum(1 for d, _, fs in os.walk(sys.argv[2]) for f in fs
        if os.path.isfile(os.path.join(d, f)) and not os.path.islink(os.path.join(d, f)))
assert c["files"] == n, (c["files"], n)
assert sum(c["owned"].values()) + c["unowned"] == n, c
assert len(s["unowned_files"]) == c["unowned"]
assert all(os.path.isfile(sys.argv[2] + p) for p in s["unowned_files"])
assert "/etc/passwd" in s["unowned_files"] and c["derived"] > 0, c
PY
[ "$RC" = 0 ] && pass "completeness: files = owned + unowned = find -type f" || fail "completeness: $ERR"
grep -qE "^ward: licenses: [0-9]+ of [0-9]+ packages concluded \([0-9.]+%\)" <<<"$SUMMARY_ERR" &&
	pass "the concluded license share is printed" || fail "license share line: $SUMMARY_ERR"

# The pip-installed distribution, the models, the ELF file, ward-init.
run python3 - "$O" "$R" "$($WARD_INIT --version)" <<'PY'
import hashlib, json, subprocess, sys
o, r, initv = sys.argv[1], sys.argv[2], sys.argv[3].split()[1]
cdx = json.load(open(o + "/sbom.cdx.json"))
comps = {c["bom-ref"]: c for c in cdx["components"]}
deps = {d["ref"]: d["dependsOn"] for d in cdx["dependencies"]}
owners = dict(l.rstrip("\n").split("\t") for l in open(o + "/owners.tsv"))
def prop(c, n): return [p["value"] for p in c.get("properties", []) if p["name"] == n]
def sha(p, alg="sha256"): return hashlib.new(alg, open(r + p, "rb").read()).hexdigest()
def one(pred):
    m = [c for c in cdx["components"] if pred(c)]
    assert len(m) == 1, m
    return m[0]
demo = comps["pkg:pypi/ward-demo-pkg@1.2.3"]
site = "/usr/local/lib/python3.11/dist-packages"
meta = open(r + site + "/Ward_Demo.Pkg-1.2.3.dist-info/METADATA").read()
assert "Name: " + demo["name"] + "\n" in meta, demo["name"]
assert demo["licenses"][0]["license"]["id"] == "MIT", demo
assert "pkg:pypi/six@1.16.0" in deps[demo["bom-ref"]], deps[demo["bom-ref"]]
for p in ["/ward_demo/__init__.py", "/ward_demo/__pycache__/__init__.cpython-311.pyc",
          "/Ward_Demo.Pkg-1.2.3.dist-info/METADATA"]:
    assert owners[site + p] == demo["bom-ref"], p
six = comps["pkg:pypi/six@1.16.0"]
assert prop(six, "ward:owner") == [c for c in comps if c.startswith("pkg:deb/debian/python3-six@")], six
tiny = one(lambda c: c["type"] == "machine-learning-model" and c["name"] == "tiny")
files = {f["name"]: f for f in tiny["components"]}
assert set(files) == {"config.json", "weights.safetensors"}, files
for n, f in files.items():
    h = {x["alg"]: x["content"] for x in f["hashes"]}
    assert h["SHA-256"] == sha("/opt/models/tiny/" + n) and h["SHA-1"] == sha("/opt/models/tiny/" + n, "sha1"), n
assert prop(tiny, "ward:model:files-match") == ["true"], tiny
llm = one(lambda c: c["type"] == "machine-learning-model" and c["name"] == "llm")
assert prop(llm, "ward:location") == ["/srv/llm"] and prop(llm, "ward:model:signature") == ["/ward/model.sig"], llm
assert owners["/srv/llm/model.gguf"] == llm["bom-ref"] and owners["/ward/model.sig"] == llm["bom-ref"]
onnx = one(lambda c: c["name"] == "extra.onnx")
assert onnx["type"] == "file" and onnx["hashes"][0]["content"] == sha("/data/extra.onnx"), onnx
lib = one(lambda c: c["name"] == "libyaml-0.so.2")
dyn = subprocess.run(["readelf", "-d", r + "/opt/tool/lib/libyaml-0.so.2"], capture_output=True, text=True).stdout
import re
assert prop(lib, "ward:elf:needed") == re.findall(r"\(NEEDED\).*\[(.*)\]", dyn), lib
assert prop(lib, "ward:elf:soname") == re.findall(r"\(SONAME\).*\[(.*)\]", dyn), lib
assert lib["hashes"][0]["content"] == sha("/opt/tool/lib/libyaml-0.so.2")
assert any(d.startswith("pkg:deb/debian/libc6@") for d in deps[lib["bom-ref"]]), deps[lib["bom-ref"]]
init = one(lambda c: c["name"] == "ward-init")
assert init["version"] == initv and init["hashes"][0]["content"] == sha("/ward/init"), init
assert owners["/ward/policy.json"] == init["bom-ref"] and owners["/ward/keys/signing.pub"] == init["bom-ref"]
zlib = one(lambda c: c["name"] == "zlib1g")   # its DEP-5 file: "License: Zlib"
assert zlib["licenses"] == [{"license": {"id": "Zlib", "acknowledgement": "concluded"}}], zlib
lic = json.load(open(o + "/licenses.json"))
pk = [c for c in cdx["components"] if c.get("purl", "").startswith(("pkg:deb/", "pkg:pypi/"))]
assert lic["summary"]["packages"] == len(pk) and len(lic["components"]) == len(cdx["components"])
spdx = json.load(open(o + "/sbom.spdx.json"))
assert {f["fileName"] for f in spdx["files"]} >= {"./opt/models/tiny/weights.safetensors", "./srv/llm/model.gguf"}
PY
[ "$RC" = 0 ] && pass "pip dist, models, ELF library, ward-init and zlib1g's license as expected" ||
	fail "components: $(echo "$ERR" | tail -4)"

# Deterministic: same bytes with another thread count; dates from SOURCE_DATE_EPOCH.
check "second run with --threads 1" "$WARD" sbom "$R" -o "$T/out2" --threads 1
diff -r "$O" "$T/out2" >/dev/null && pass "outputs are byte-identical across runs and thread counts" ||
	fail "outputs differ between runs"
check "run with SOURCE_DATE_EPOCH" env SOURCE_DATE_EPOCH=1700000000 "$WARD" sbom "$R" -o "$T/out3"
run python3 -c "
import json,sys
c=json.load(open('$T/out3/sbom.cdx.json')); s=json.load(open('$T/out3/sbom.spdx.json'))
c0=json.load(open('$O/sbom.cdx.json'))
assert c['metadata']['timestamp']=='2023-11-14T22:13:20Z' and s['creationInfo']['created']=='2023-11-14T22:13:20Z'
assert c['serialNumber']!=c0['serialNumber'] and c['components']==c0['components']"
[ "$RC" = 0 ] && pass "SOURCE_DATE_EPOCH sets the timestamps and serial, nothing else" || fail "epoch: $ERR"
expect_err 1 "owned by no component" "--strict fails on unowned files" "$WARD" sbom "$R" --strict --format files

# ---- the same tree as images: docker-archive (podman) and OCI layout (skopeo)
IMG=localhost/ward-test-sbom-$$:1
if tar -C "$R" -cf - . | podman import -q - "$IMG" >/dev/null 2>&1 &&
	podman save -q --format docker-archive -o "$T/img.tar" "$IMG" >/dev/null 2>&1; then
	ID=$(podman image inspect --format '{{.Id}}' "$IMG")
	podman rmi -f "$IMG" >/dev/null 2>&1
	check "ward sbom on the docker-archive" "$WARD" sbom "$T/img.tar" -o "$T/oa"
	cmp -s <(tail -n +3 "$O/files.manifest") <(tail -n +3 "$T/oa/files.manifest") &&
		pass "docker-archive: same files manifest as the directory (hard links included)" ||
		fail "docker-archive manifest differs from the directory's"
	cmp -s "$O/owners.tsv" "$T/oa/owners.tsv" && cmp -s "$O/licenses.csv" "$T/oa/licenses.csv" &&
		pass "docker-archive: same components, owners and licenses" || fail "docker-archive components differ"
	# ELF and signed-model files come from a second pass over the layers.
	run python3 - "$O/sbom.cdx.json" "$T/oa/sbom.cdx.json" <<'PY'
import json, sys
def comps(p):
    cs = json.load(open(p))["components"]
    for c in cs:
        c["properties"] = [x for x in c.get("properties", []) if x["name"] != "ward:layer"]
    return cs
a, b = comps(sys.argv[1]), comps(sys.argv[2])
assert a == b, [(x["bom-ref"], y["bom-ref"]) for x, y in zip(a, b) if x != y][:3]
PY
	[ "$RC" = 0 ] && pass "docker-archive: CycloneDX components identical to the directory's (ELF, model hashes)" ||
		fail "docker-archive components: $ERR"
	grep -q "^image sha256:$ID\$" "$T/oa/files.manifest" && pass "docker-archive digest = podman's image ID" ||
		fail "docker-archive digest is not $ID"
	check "docker-archive SBOMs validate (CycloneDX)" python_oracle validate_schema.py cyclonedx "$T/oa/sbom.cdx.json"
	check "docker-archive SBOMs validate (SPDX)" python_oracle validate_schema.py spdx "$T/oa/sbom.spdx.json"
	if skopeo copy -q "docker-archive:$T/img.tar" "oci:$T/layout:v1" >/dev/null 2>&1; then
		check "ward sbom on the OCI layout" "$WARD" sbom "$T/layout:v1" -o "$T/ol"
		want=$(skopeo inspect "oci:$T/layout:v1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')
		run python3 -c "
import json; s=json.load(open('$T/ol/summary.json')); c=json.load(open('$T/ol/sbom.cdx.json'))
assert s['image_digest']=='$want', s['image_digest']
assert c['metadata']['component']['purl']=='pkg:oci/layout@$want?tag=v1'.replace('sha256:','sha256:'), c['metadata']['component']['purl']"
		[ "$RC" = 0 ] && pass "OCI layout: digest = skopeo's, purl pkg:oci/…@digest?tag=v1" || fail "OCI digest/purl: $ERR"
		cmp -s <(tail -n +3 "$O/files.manifest") <(tail -n +3 "$T/ol/files.manifest") &&
			pass "OCI layout: same files manifest as the directory" || fail "OCI manifest differs"
		# A flipped byte in the layer blob: caught, the layer named.
		blob=$(python3 -c "
import json; l='$T/layout'; i=json.load(open(l+'/index.json'))['manifests'][0]['digest'].split(':')[1]
m=json.load(open(l+'/blobs/sha256/'+i)); print(l+'/blobs/sha256/'+m['layers'][0]['digest'].split(':')[1])")
		chmod u+w "$blob"
		# XOR, not a written 0x00: the byte may already be 0 (then nothing changed)
		python3 -c "import sys; f=open(sys.argv[1],'r+b'); f.seek(5000); b=f.read(1); f.seek(5000); f.write(bytes([b[0]^1]))" "$blob"
		# Either the digest check (exit 1) or the tar reader (exit 2) stops it.
		run "$WARD" sbom "$T/layout:v1" --format files
		if [ "$RC" = 1 ] || [ "$RC" = 2 ]; then
			grep -q "layer 0" <<<"$ERR" && one_line && pass "a corrupt layer fails, naming it (exit $RC)" ||
				fail "corrupt layer message: $ERR"
		else
			fail "a corrupt layer was not caught (exit $RC)"
		fi
	else
		fail "skopeo copy to an OCI layout"
	fi
	head -c 50000000 "$T/img.tar" >"$T/trunc.tar"
	expect_err 2 "trunc.tar" "a truncated docker-archive fails, naming the file" "$WARD" sbom "$T/trunc.tar" --format files
else
	fail "podman import/save (see TESTING.md)"
fi

# ---- the distroless layout: status.d/<pkg> + .md5sums, no status, no info/
# (the tree above is converted in place: nothing below needs it as it was)
D=$R
mkdir -p "$D/var/lib/dpkg/status.d"
dpkg-query --admindir="$D/var/lib/dpkg" -W -f '${Package}:${Architecture}\n' | while read -r p; do
	n=${p%%:*}
	dpkg-query --admindir="$D/var/lib/dpkg" -s "$p" >"$D/var/lib/dpkg/status.d/$n"
	for m in "$D/var/lib/dpkg/info/$n.md5sums" "$D/var/lib/dpkg/info/$p.md5sums"; do
		[ -f "$m" ] && cp "$m" "$D/var/lib/dpkg/status.d/$n.md5sums"
	done
done
rm -rf "$D/var/lib/dpkg/status" "$D/var/lib/dpkg/info"
check "ward sbom on the status.d layout" "$WARD" sbom "$D" -o "$T/od"
check "status.d: packages = the status.d entries and dist-infos" python3 "$ORACLE" packages "$T/od/sbom.cdx.json" "$D"
run python3 - "$T/od/owners.tsv" "$D" <<'PY'
import glob, os, sys, urllib.parse
owners = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[1]))
n = 0
for m in glob.glob(sys.argv[2] + "/var/lib/dpkg/status.d/*.md5sums"):
    pkg = os.path.basename(m)[:-8]
    for line in open(m):
        p = "/" + line.split(None, 1)[1].rstrip("\n")
        if p in owners:
            n += 1
            assert urllib.parse.unquote(owners[p]).split("@")[0].endswith("/" + pkg), (p, owners[p])
assert n > 1000, n
PY
[ "$RC" = 0 ] && pass "status.d: files in <pkg>.md5sums are owned by <pkg>" || fail "status.d owners: $ERR"
# Remove what nothing owns (as ward's builder would not have put it there): --strict passes.
python3 -c "
import json; [print(p) for p in json.load(open('$T/od/summary.json'))['unowned_files']]" |
	while read -r p; do rm -f "$D$p"; done
expect 0 "--strict passes when every file is owned" "$WARD" sbom "$D" --strict --format summary
echo stray >"$D/etc/stray"
expect_err 1 "/etc/stray" "--strict names an unowned file" "$WARD" sbom "$D" --strict --format summary

# ---- this machine's own dpkg database and copyright files (~1000 packages)
H=$T/host
mkdir -p "$H/var/lib/dpkg" "$H/usr/share/doc" "$H/etc"
cp /var/lib/dpkg/status "$H/var/lib/dpkg/status" && cp -L /etc/os-release "$H/etc/os-release"
for d in /usr/share/doc/*; do
	if [ -L "$d" ]; then
		cp -P "$d" "$H/usr/share/doc/"
	elif [ -f "$d/copyright" ]; then
		mkdir -p "$H$d" && cp "$d/copyright" "$H$d/"
	fi
done
check "ward sbom on the host's dpkg database" "$WARD" sbom "$H" -o "$T/oh"
run python3 - "$T/oh" <<'PY'
import json, subprocess, sys
o = sys.argv[1]
cdx = json.load(open(o + "/sbom.cdx.json"))
got = {(c["name"], c["version"]) for c in cdx["components"]}
q = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}\t${Package}\t${Version}\n"],
                   capture_output=True, text=True, check=True).stdout
want = {tuple(l.split("\t")[1:]) for l in q.splitlines() if l.startswith("ii")}
assert got == want, (sorted(want - got)[:5], sorted(got - want)[:5])
lic = json.load(open(o + "/licenses.json"))
assert len(lic["components"]) == len(want) and lic["summary"]["packages"] == len(want)
assert all(c["declared"] and c["concluded"] and c["source"] for c in lic["components"])
PY
[ "$RC" = 0 ] && pass "host: packages = dpkg-query -W; the license report covers every package" ||
	fail "host catalog: $ERR"
check "host: CycloneDX validates" python_oracle validate_schema.py cyclonedx "$T/oh/sbom.cdx.json"
check "host: SPDX validates (LicenseRefs from ~1000 copyright files)" python_oracle validate_schema.py spdx "$T/oh/sbom.spdx.json"
check "host: refs, LicenseRefs defined, same components" python_oracle sbom_check.py "$T/oh/sbom.cdx.json" "$T/oh/sbom.spdx.json"

# ---- bad input
mkdir -p "$T/bad/var/lib/dpkg"
printf 'Package: a\nVersion: 1\n\nPackage: b\nthis line is broken\n' >"$T/bad/var/lib/dpkg/status"
expect_err 2 "/var/lib/dpkg/status:5:" "a malformed status file is an error naming file:line" \
	"$WARD" sbom "$T/bad" --format summary
one_line && pass "malformed status: one-line message" || fail "malformed status message: $ERR"
rm "$T/bad/var/lib/dpkg/status"
mkdir -p "$T/bad/usr/lib/python3/dist-packages/broken-1.0.dist-info"
printf 'Name: broken\nSummary: no version\n' >"$T/bad/usr/lib/python3/dist-packages/broken-1.0.dist-info/METADATA"
check "a malformed METADATA is a warning, not an error" "$WARD" sbom "$T/bad" -o "$T/ob"
grep -q "broken-1.0.dist-info/METADATA: no Name or Version" "$T/ob/summary.json" &&
	pass "the warning names the METADATA file" || fail "METADATA warning missing"
expect_err 2 "no-such" "a missing input is an error" "$WARD" sbom "$T/no-such" --format summary
expect 2 "no output chosen is a usage error" "$WARD" sbom "$R"

finish
