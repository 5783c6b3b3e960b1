#!/usr/bin/env bash
# Bad input to ward build: each case is a clear one-line error with the
# documented exit code (and line:column where the spec is at fault), and
# nothing is written.  Also ward init: the scaffold it writes is a valid,
# commented spec, and it never overwrites one by accident.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build_lib.sh"

P=$T/p
small_project "$P" || { fail "lock and fetch the small project"; finish; exit 1; }
cp "$P/ward.yaml" "$T/good.yaml"
cp "$P/ward.lock" "$T/good.lock"

# bad EXIT NEEDLE WHAT [ward build args...]: run ward build on $P and check
# the exit code, the message, one line, and that no output appeared.
bad() {
	local want=$1 needle=$2 what=$3
	shift 3
	rm -rf "$T/out"
	expect_err "$want" "$needle" "$what" "$WARD" -q build -f "$P/ward.yaml" -o "$T/out/img" \
		"${KEY[@]}" --init "$WARD_INIT" "$@"
	one_line || fail "$what: more than one line: $ERR"
	[ ! -e "$T/out" ] || fail "$what: something was written: $(ls -R "$T/out" | head -3)"
}
KEY=(--key "$T/signing.key")
restore() { cp "$T/good.yaml" "$P/ward.yaml"; cp "$T/good.lock" "$P/ward.lock"; }

printf 'name: x\npackages: [a\n' >"$P/ward.yaml"
bad 2 "ward.yaml:3:1:" "malformed YAML: file:line:col"
restore

sed -i 's/^ports:/portz:/' "$P/ward.yaml"
bad 2 'ward.yaml:21:1: unknown key "portz"' "unknown top-level key, with line:col and the known keys"
restore

sed -i 's|    dst: /app|    dst: /app\n    mod: "0644"|' "$P/ward.yaml"
bad 2 'ward.yaml:18:5: unknown key "mod"' "unknown key inside files:"
restore

sed -i 's|  - src: app|  - src: no-such-dir|' "$P/ward.yaml"
bad 2 "ward.yaml:16:10: files: $P/no-such-dir: No such file or directory" "files: source that does not exist"
restore

# files: sources stay inside the build context (ward.yaml's directory), as a
# container build context: absolute paths, ".." and symlinks out are refused
sed -i 's|  - src: app|  - src: /etc|' "$P/ward.yaml"
bad 2 "ward.yaml:16:10: files: /etc resolves to /etc, outside the build context" "files: an absolute source outside the context"
restore
sed -i 's|  - src: app|  - src: ../../../../../../../../etc|' "$P/ward.yaml"
bad 2 "resolves to /etc, outside the build context $P" "files: a \"..\" source outside the context"
restore
ln -s /etc "$P/applink"
sed -i 's|  - src: app|  - src: applink|' "$P/ward.yaml"
bad 2 "files: $P/applink resolves to /etc, outside the build context" "files: a symlink out of the context (resolved)"
rm -f "$P/applink"
restore
mkdir -p "$T/elsewhere" && cp -r "$P/app" "$T/elsewhere/"
sed -i "s|  - src: app|  - src: $T/elsewhere/app|" "$P/ward.yaml"
bad 2 "outside the build context" "files: a directory beside the project: refused by default"
rm -rf "$T/out"
check "--context widens it explicitly" "$WARD" -q build -f "$P/ward.yaml" -o "$T/out/img" "${KEY[@]}" \
	--init "$WARD_INIT" --context "$T"
rm -rf "$T/out"
restore

# writable: and user: home never name /ward (the trusted keys), / or a
# directory the image already has
sed -i 's|^writable: \[/tmp\]|writable: [/tmp, /ward/keys]|' "$P/ward.yaml"
bad 2 "ward.yaml:22:18: writable: /ward/keys is reserved (/ward)" "writable: /ward/keys refused (file:line)"
restore
sed -i 's|^writable: \[/tmp\]|writable: [/ward]|' "$P/ward.yaml"
bad 2 "ward.yaml:22:12: writable: /ward is reserved (/ward)" "writable: /ward refused"
restore
printf 'user:\n  home: /ward/keys\n' >>"$P/ward.yaml"
bad 2 "ward.yaml:28:9: user: home: /ward/keys is reserved (/ward)" "user: home /ward/keys refused (file:line)"
restore
printf 'user:\n  home: /\n' >>"$P/ward.yaml"
bad 2 'ward.yaml:28:9: user: home: "/" is not allowed' "user: home / refused (file:line, not a tar error)"
restore
printf 'user:\n  home: /etc\n' >>"$P/ward.yaml"
bad 2 "ward.yaml:28:9: user: home /etc is already in the image" "user: home on a packaged directory: exit 2 with file:line"
restore

bad 3 "locked packages are not in the cache" "packages missing from the cache (exit 3, run ward fetch)" --cache "$T/empty-cache"
[ -z "$(ls "$T/empty-cache" 2>/dev/null)" ] || fail "the empty cache was written to: $(ls "$T/empty-cache")"
restore

sed -i 's/^  - python3-minimal/  - python3-minimal\n  - bash/' "$P/ward.yaml"
bad 2 "ward.yaml:12:5: package bash is forbidden in images (shell" "forbidden package requested (line:col, before the lock)"
restore

sed -i 's/^  - python3-minimal/  - python3-minimal\n  - libzstd1/' "$P/ward.yaml"
bad 2 "ward.lock is out of date with ward.yaml" "lock out of date with the spec"
restore

sed -i 's|^entrypoint: .*|entrypoint: [/usr/bin/node, /app/server.js]|' "$P/ward.yaml"
bad 2 "ward.yaml:12:14: entrypoint: /usr/bin/node is not in the image" "entrypoint not in the image"
restore

sed -i 's|^entrypoint: .*|entrypoint: [server]|' "$P/ward.yaml"
bad 2 "entrypoint: server is not in the image (searched PATH)" "entrypoint not found in PATH"
restore

sed -i 's|^entrypoint: .*|entrypoint: /usr/bin/python3 /app/server.py|' "$P/ward.yaml"
bad 2 "ward.yaml:12:13: entrypoint: expected a non-empty list" "entrypoint written as one string"
restore

printf 'policy:\n  log_level: loud\n' >>"$P/ward.yaml"
bad 2 "policy: ward-init rejects the policy" "a policy ward-init refuses (checked by ward-init --check-policy)"
restore

printf 'policy:\n  uid: 0\n' >>"$P/ward.yaml"
bad 2 "policy: uid is derived from the spec" "policy: keys ward derives cannot be set"
restore

printf 'files:\n  - src: app\n    dst: /ward/app\n' >"$T/extra.yaml"
sed -i '/^files:/,/^    dst: \/app/d' "$P/ward.yaml"
cat "$T/extra.yaml" >>"$P/ward.yaml"
bad 2 "dst: /ward/app is reserved" "files: into /ward is refused"
restore

KEY=()
bad 2 "models: tiny: no key to trust" "a model without --key or key:"
KEY=(--key "$T/signing.key")
restore

echo tampered >>"$P/model/weights.json"
cp "$P/model/weights.json" "$T/w.json"
"$WARD" model sign "$P/model" --key "$T/signing.key" >/dev/null 2>&1 # signed, then changed again:
echo again >>"$P/model/weights.json"
printf 'models:\n  - src: model\n    dst: /models/tiny\n    key: %s\n' "$T/signing.pub" >"$T/m.yaml"
sed -i '/^models:/,/^    dst: \/models\/tiny/d' "$P/ward.yaml"
cat "$T/m.yaml" >>"$P/ward.yaml"
rm -rf "$T/out"
expect_err 1 "model tiny: $P/model/model.sig does not verify" "a model changed after signing: exit 1" \
	"$WARD" build -f "$P/ward.yaml" -o "$T/out/img" --init "$WARD_INIT"
[ ! -e "$T/out" ] || fail "output written despite the bad model"
restore

# ---- ward init -----------------------------------------------------------------
mkdir -p "$T/new-app"
(cd "$T/new-app" && "$WARD" init --package python3-minimal >/dev/null 2>&1)
[ -f "$T/new-app/ward.yaml" ] && grep -q '^name: new-app$' "$T/new-app/ward.yaml" &&
	[ "$(grep -c '^#' "$T/new-app/ward.yaml")" -gt 10 ] &&
	pass "ward init writes a commented ward.yaml named after the directory" || fail "ward init"
cp "$P/ward.lock" "$T/new-app/" 2>/dev/null
check "the scaffold is a valid spec (ward lock --offline reads it)" "$WARD" lock -f "$T/new-app/ward.yaml" --offline
(cd "$T/new-app" && "$WARD" init >/dev/null 2>"$T/init.err")
[ $? = 2 ] && grep -q "exists" "$T/init.err" && pass "ward init never overwrites without --force" || fail "ward init overwrote"
check "ward init --force -o FILE --name" "$WARD" init --force -o "$T/new-app/other.yaml" --name other
check "ward init --suite trixie" "$WARD" init -o "$T/new-app/trixie.yaml" --suite trixie
python3 -c 'import sys,yaml; d=yaml.safe_load(open(sys.argv[1])); s=[x["suites"] for x in d["sources"]]; assert s == [["trixie","trixie-updates"],["trixie-security"]], s' \
	"$T/new-app/trixie.yaml" && ! grep -q bookworm "$T/new-app/trixie.yaml" &&
	pass "the trixie scaffold lists trixie, trixie-updates and trixie-security only" || fail "trixie scaffold"
expect_err 2 "--suite buster: ward init knows bookworm (Debian 12) and trixie" "ward init --suite of an unknown release" \
	"$WARD" init -o "$T/new-app/buster.yaml" --suite buster
[ ! -e "$T/new-app/buster.yaml" ] || fail "ward init wrote a file for an unknown suite"

finish
