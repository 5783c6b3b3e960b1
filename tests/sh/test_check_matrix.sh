#!/usr/bin/env bash
# The test matrix's image checks beyond the audit (lib/check/hygiene.c,
# guardcheck.c) on two small images packed independently of ward
# (tests/py/make_config_image.py): one with every defect the checks name
# (sudo, sshd, an empty password, duplicate ids, .git, apt lists, a key in
# the environment, a volume over /etc and over a model, port 80, :latest, a
# guard with a catch-all route and no keys, the server's port published),
# one without.  Also: >= 80 checks, each mapped where a public benchmark
# asks the same, in the JSON, the JUnit XML and docs/ward-test.md alike.
. "$(dirname "$0")/lib.sh"

mk() { mkdir -p "$(dirname "$1")" && printf '%b' "$2" >"$1"; }

# ---- the bad image
B=$T/bad
mk "$B/etc/passwd" 'root:x:0:0::/root:/sbin/nologin\nguest::1000:1000::/home/guest:/bin/false\ndup:x:1000:1000::/:/bin/false\n'
mk "$B/etc/group" 'root:x:0:\nstaff:x:50:\nstaff:x:51:\n'
mk "$B/etc/shadow" 'root:*:19000::::::\nguest::19000::::::\n'
mk "$B/usr/bin/sudo" 'x' && chmod 755 "$B/usr/bin/sudo"
mk "$B/usr/sbin/sshd" 'x' && chmod 755 "$B/usr/sbin/sshd"
mk "$B/srv/app/.git/config" '[core]\n'
mk "$B/srv/app/.git/HEAD" 'ref: refs/heads/main\n'
mk "$B/srv/app/notes.txt.swp" 'x'
mk "$B/var/lib/apt/lists/mirror.example_debian_dists_bookworm_InRelease" 'x'
mk "$B/var/lib/apt/lists/lock" ''
mk "$B/var/cache/apt/archives/curl_7.88_amd64.deb" 'x'
mk "$B/ward/policy.json" '{"version":1,"models":[{"path":"/models/llm","key":"m.pub"}],
 "landlock":{"required":false,"tcp_bind":null,"tcp_connect":[443]},"network":{"udp":true,"netlink":true},
 "read_only":{"models":"warn"},"metrics":{"address":":9090"},
 "guard":{"listen":":8080","upstream":"127.0.0.1:8000","routes":[{"methods":["*"],"path":"/**"}],"auth":{"required":false}}}\n'
cat >"$T/bad.json" <<'JSON'
{"User": "65532", "Entrypoint": ["/ward/init", "--", "/usr/bin/server"],
 "Env": ["PATH=/usr/bin", "OPENAI_API_KEY=sk-live-abcdefghijklmnopqrstuvwxyz", "HF_TOKEN=", "GREETING=hello"],
 "Volumes": {"/etc": {}, "/models/llm": {}, "/data": {}},
 "ExposedPorts": {"80/tcp": {}, "8000/tcp": {}, "8080/tcp": {}}}
JSON
python3 "$WARD_SRC/tests/py/make_config_image.py" "$B" "$T/bad.tar" localhost/bad:latest "$T/bad.json"

# ---- the good image
G=$T/good
mk "$G/etc/passwd" 'root:x:0:0::/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n'
mk "$G/etc/group" 'root:x:0:\nnonroot:x:65532:\n'
mk "$G/usr/bin/server" 'x' && chmod 711 "$G/usr/bin/server"
mk "$G/ward/policy.json" '{"version":1,"landlock":{"tcp_bind":[8000],"tcp_connect":[]},
 "guard":{"listen":":8080","upstream":"127.0.0.1:8000","profile":"vllm",
  "auth":{"keys":[{"id":"ops","sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}]},
  "limits":{"key_rate":{"rps":5}}}}\n'
cat >"$T/good.json" <<'JSON'
{"User": "65532", "Entrypoint": ["/ward/init", "--", "/usr/bin/server"], "Env": ["PATH=/usr/bin"],
 "ExposedPorts": {"8080/tcp": {}},
 "Healthcheck": {"Test": ["CMD", "/usr/bin/server", "--ping"], "Interval": 30000000000}}
JSON
python3 "$WARD_SRC/tests/py/make_config_image.py" "$G" "$T/good.tar" localhost/good:1.0 "$T/good.json"

for img in bad good; do
	"$WARD" test "$T/$img.tar" --no-run --json -o "$T/$img-report.json" --junit "$T/$img.xml" >/dev/null 2>"$T/$img.err"
	[ -s "$T/$img-report.json" ] && pass "ward test --no-run on the $img image wrote a report" || fail "$img report: $(cat "$T/$img.err")"
done

python3 - "$T/bad-report.json" <<'PY' && pass "the bad image: every defect found, by the check that names it" || fail "bad image results"
import json, sys
c = {x["id"]: x for x in json.load(open(sys.argv[1]))["checks"]}
want = {
    "security.no-sudo": ("fail", "usr/bin/sudo"),
    "security.no-ssh-server": ("fail", "usr/sbin/sshd"),
    "security.no-empty-password": ("fail", "guest (/etc/passwd), guest (/etc/shadow)"),
    "security.unique-ids": ("fail", "user id 1000 (dup), group name staff"),
    "security.no-unneeded-files": ("fail", "srv/app/.git, /srv/app/notes.txt.swp"),
    "performance.no-package-caches": ("fail", "2: /var/cache/apt/archives/curl_7.88_amd64.deb"),
    "security.no-secrets-in-env": ("fail", "OPENAI_API_KEY"),
    "security.no-sensitive-volumes": ("fail", "/etc, /models/llm"),
    "security.unprivileged-ports": ("fail", "80/tcp"),
    "function.tag-not-latest": ("fail", ":latest"),
    "function.healthcheck-declared": ("warn", "no Healthcheck"),
    "security.guard-configured": ("pass", "upstream 127.0.0.1:8000"),
    "security.guard-default-deny": ("fail", "/**"),
    "security.guard-auth-required": ("fail", "auth.required is false"),
    "security.guard-server-not-exposed": ("fail", "port 8000 is declared"),
    "security.guard-limits": ("warn", "UNLIMITED"),
    "security.policy-landlock-required": ("warn", "landlock.required is false"),
    "security.policy-tcp-bind-restricted": ("warn", "tcp_bind any"),
    "security.policy-no-outbound-tcp": ("warn", "tcp_connect [443]"),
    "security.policy-no-extra-sockets": ("warn", "udp, netlink"),
    "security.policy-models-read-only": ("warn", "read_only.models warn"),
    "security.policy-metrics-loopback": ("warn", "metrics.address :9090"),
}
bad = []
for k, (res, ev) in want.items():
    if c[k]["result"] != res or ev not in c[k]["evidence"]:
        bad.append("%s: %s %r" % (k, c[k]["result"], c[k]["evidence"]))
assert "sk-live" not in json.dumps(c), "a secret value in the report"
assert "HF_TOKEN" not in c["security.no-secrets-in-env"]["evidence"], "an empty variable flagged"
assert "lock" not in c["performance.no-package-caches"]["evidence"]
assert "/data" not in c["security.no-sensitive-volumes"]["evidence"]
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
python3 - "$T/good-report.json" <<'PY' && pass "the good image: the same checks pass" || fail "good image results"
import json, sys
c = {x["id"]: x for x in json.load(open(sys.argv[1]))["checks"]}
ids = ["security.no-sudo", "security.no-ssh-server", "security.no-empty-password", "security.unique-ids",
       "security.no-unneeded-files", "performance.no-package-caches", "security.no-secrets-in-env",
       "security.no-sensitive-volumes", "security.unprivileged-ports", "function.tag-not-latest",
       "function.healthcheck-declared", "security.guard-configured", "security.guard-default-deny",
       "security.guard-auth-required", "security.guard-server-not-exposed", "security.guard-limits",
       "security.policy-landlock-required", "security.policy-tcp-bind-restricted",
       "security.policy-no-outbound-tcp", "security.policy-no-extra-sockets",
       "security.policy-models-read-only", "security.policy-metrics-loopback"]
bad = ["%s: %s %r" % (k, c[k]["result"], c[k]["evidence"]) for k in ids if c[k]["result"] != "pass"]
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
python3 - "$T/good-report.json" "$T/good.xml" "$WARD_SRC/docs/ward-test.md" <<'PY' && pass ">= 80 checks; mappings in the JSON, the JUnit XML and docs/ward-test.md agree" || fail "mappings"
import json, re, sys, xml.etree.ElementTree as ET
r = json.load(open(sys.argv[1]))
checks = r["checks"]
assert len(checks) >= 80, len(checks)
keys = {"cis_docker_1.6": "cis-docker-1.6", "dockle": "dockle", "k8s_pss_restricted": "k8s-pss-restricted"}
mapped = [c for c in checks if any(c["mappings"][k] for k in keys)]
assert len(mapped) >= 40, len(mapped)
for c in checks:
    for v in c["mappings"]["cis_docker_1.6"]:
        assert re.fullmatch(r"[45]\.\d{1,2}", v), (c["id"], v)
    for v in c["mappings"]["dockle"]:
        assert re.fullmatch(r"(CIS-DI|DKL-DI|DKL-LI)-\d{4}", v), (c["id"], v)
# JUnit: the same mappings as <property> elements
cases = {e.get("name"): e for e in ET.parse(sys.argv[2]).getroot().iter("testcase")}
assert sorted(cases) == sorted(c["id"] for c in checks)
for c in checks:
    props = [(p.get("name"), p.get("value")) for p in cases[c["id"]].iter("property")]
    want = [(keys[k], v) for k in keys for v in c["mappings"][k]]
    assert props == want, (c["id"], props, want)
# docs/ward-test.md: one table row per check, same order, required flag and mappings
rows = [l for l in open(sys.argv[3]) if l.startswith("| `")]
assert len(rows) == len(checks), (len(rows), len(checks))
for row, c in zip(rows, checks):
    f = [x.strip() for x in row.strip().strip("|").split("|")]
    assert f[0] == "`%s`" % c["id"], (f[0], c["id"])
    assert (f[1] == "yes") == c["required"], c["id"]
    assert f[2] == c["description"], (c["id"], f[2])
    for i, k in enumerate(keys, 3):
        assert f[i] == ", ".join(c["mappings"][k]), (c["id"], k, f[i])
PY
finish
