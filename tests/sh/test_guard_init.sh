#!/usr/bin/env bash
# The endpoint guard inside ward-init: PID 1 opens the public listener, the
# unprivileged helper (ward-http: no capabilities, no_new_privs, seccomp,
# Landlock) runs the guard in front of the real server ward-init started and
# confined (the recording stand-in, tests/py/guard_upstream.py).  The exploit
# patterns of tests/py/guard_attacks.py are refused before the server and
# counted in ward-init's own /metrics; SIGHUP reloads the API keys without
# touching the server or open connections; audit lines reach ward-init's log
# wrapped in its own lines; a guard that cannot start stops ward-init (exit 2).
# Then the same in a container run with the command `ward deploy podman`
# writes (read-only, no capabilities, ward's seccomp profile, uid 65532),
# ward-init as PID 1, the API key file mounted as a secret.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/init_lib.sh"
. "$(dirname "$0")/guard_lib.sh"
chmod 755 "$T"

PY=/usr/bin/python3.11
KEY=sk-init-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
UP=$(free_port) GP=$(free_port) MPORT=$(free_port)
mkdir -p "$T/w" "$T/secrets" && chmod 777 "$T/w" && chmod 755 "$T/secrets"
printf 'tester %s\n' "$KEY" >"$T/secrets/keys" && chmod 644 "$T/secrets/keys"
cp "$WARD_SRC/tests/py/guard_upstream.py" "$T/up.py" && chmod 644 "$T/up.py"
printf '# HELP queue_depth Requests queued.\n# TYPE queue_depth gauge\nqueue_depth 2\n' >"$T/w/app.prom"
cat >"$T/p.json" <<JSON
{"version":1,"writable":["$T/w"],"landlock":{"tcp_bind":[$UP]},"metrics":{"address":"127.0.0.1:$MPORT"},
 "guard":{"listen":"127.0.0.1:$GP","upstream":"127.0.0.1:$UP","profile":"vllm",
  "routes":[{"methods":["GET"],"path":"/sse"}],
  "auth":{"keys_file":"$T/secrets/keys"},
  "limits":{"request_timeout_s":1.5,"body_bytes":1048576,"chunks":1024},
  "app_metrics":{"file":"$T/w/app.prom","prefix":"srv_"}}}
JSON
check "the policy validates" "$WARD_INIT" --check-policy "$T/p.json"
start_init "$T/init.log" --policy "$T/p.json" -- "$PY" "$T/up.py" --port "$UP" --record "$T/w/rec.bin" --sse-delay 0.4
wait_event "$T/init.log" server_started || fail "server did not start: $(tail -3 "$T/init.log")"
for i in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$UP/" && break; sleep 0.05; done

HP=$(pgrep -P "$IPID" -x ward-http)
st() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$HP/status"; }
[ -n "$HP" ] && [ "$(st CapEff)" = 0000000000000000 ] && [ "$(st CapPrm)" = 0000000000000000 ] &&
	[ "$(st NoNewPrivs)" = 1 ] && [ "$(st Seccomp)" = 2 ] && [ "$(st Uid)" != 0 ] &&
	pass "the guard runs in ward-http: no capabilities, no_new_privs, seccomp, uid $(st Uid)" ||
	fail "helper status: pid '$HP' $(grep -E 'Cap|NoNew|Seccomp|Uid' /proc/$HP/status 2>/dev/null | tr '\n' ' ')"
[ "$(awk '$1 == "Tgid:" {print $2}' /proc/$IPID/status)" != "$HP" ] && pass "not in PID 1's process" || fail "guard in PID 1"

run python3 "$WARD_SRC/tests/py/guard_attacks.py" "$GP" "$MPORT" "$T/w/rec.bin" "$KEY" vllm
echo "$OUT" | sed 's/^/    /'
[ "$RC" = 0 ] && pass "through ward-init: every exploit pattern refused before the server, counted in /metrics" \
	|| fail "through ward-init: $(echo "$OUT" | grep -c '^FAIL') case(s) failed $ERR"

curl -s "http://127.0.0.1:$MPORT/metrics" >"$T/m.txt"
check "promtool accepts ward-init's /metrics with the guard's and the server's metrics" \
	bash -c "promtool check metrics <'$T/m.txt'"
grep -q '^ward_server_up 1$' "$T/m.txt" && grep -q '^ward_guard_rejected_total{reason="path_ambiguous"} 0$' "$T/m.txt" &&
	grep -q '^srv_queue_depth 2$' "$T/m.txt" && pass "one /metrics: ward-init's, the guard's and the server's (prefixed)" ||
	fail "merged metrics: $(grep -c . "$T/m.txt") lines"

# SIGHUP: keys read again; the server and an open connection live on
python3 - "$GP" "$KEY" "$T/secrets/keys" "$IPID" <<'PY' && pass "SIGHUP: keys reloaded under the helper's sandbox, connection kept" || fail "SIGHUP through ward-init"
import os, signal, socket, sys, time
port, key, keys, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
def ask(k):
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer %s\r\n"
              b"Content-Length: 2\r\n\r\n{}" % k.encode())
    d = b""
    while b"\r\n\r\n" not in d:
        d += s.recv(65536)
    head, rest = d.split(b"\r\n\r\n", 1)
    n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
    while len(rest) < n:
        rest += s.recv(65536)
    return int(head.split(b" ")[1])
assert ask(key) == 200
open(keys, "w").write("rotated sk-rotated-key-0123456789\n")
os.kill(pid, signal.SIGHUP)
time.sleep(0.5)
assert ask("sk-rotated-key-0123456789") == 200, "new key refused"
assert ask(key) == 401, "old key still accepted"
PY
kill -0 "$IPID" && grep -q '"event":"guard_reload"' "$T/init.log" && ! grep -q '"event":"server_exited"' "$T/init.log" &&
	pass "SIGHUP went to the guard, not the server" || fail "SIGHUP reached the server"

# audit lines: ward-init's own lines carry the helper's, escaped
python3 - "$T/init.log" <<'PY' && pass "each request's audit line reaches ward-init's log, wrapped in its own line" || fail "wrapped audit lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
g = [l for l in lines if l["event"] == "guard"]
inner = [json.loads(l["fields"]["line"]) for l in g]
reqs = [i for i in inner if i["event"] == "request"]
assert len(reqs) > 40, len(reqs)
assert any(i["fields"].get("reason") == "cl_te_conflict" for i in reqs)
assert all(set(l) == {"ts", "level", "event", "fields"} for l in lines)
PY
kill -TERM "$IPID"
wait_exit "$IPID" 15
[ "$RC" = 143 ] && pass "SIGTERM: the server's status (143)" || fail "exit $RC"

# a guard that cannot start (no key file): ward-init stops, exit 2
sed "s|$T/secrets/keys|$T/secrets/missing|" "$T/p.json" >"$T/bad.json"
start_init "$T/bad.log" --policy "$T/bad.json" -- "$PY" "$T/up.py" --port "$UP" --record "$T/w/rec2.bin"
wait_exit "$IPID" 20
[ "$RC" = 2 ] && grep -q 'guard_failed' "$T/bad.log" && pass "no key file: guard_failed, ward-init exits 2" \
	|| fail "missing key file: exit $RC $(tail -2 "$T/bad.log")"

# ---- container: podman + runc, as ward deploy runs it -----------------------
if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
	fail "podman and runc are needed (scripts/install-deps.sh)"
	finish
	exit
fi
printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n[engine]\nruntime = "runc"\n' \
	>"$T/containers.conf"
export CONTAINERS_CONF=$T/containers.conf
CT=ward-test-guard-$$
CIMG=localhost/ward-test-guard-$$:latest
trap 'podman rm -f "$CT" >/dev/null 2>&1; podman rmi -f "$CIMG" >/dev/null 2>&1
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT

# The image: ward-init, its policy, python3.11 with the modules the stand-in
# server loads and their shared libraries, the stand-in; nothing else.
R=$T/root
mkdir -p "$R/ward" "$R/app" "$R/tmp" "$R/etc" "$R/usr/bin" "$R/run/secrets/ward"
install -m 0755 "$PY" "$R/usr/bin/python3.11"
"$PY" -c 'import sys, argparse, json, os, socket, socketserver, threading, time, encodings.idna
argparse.ArgumentParser().parse_args([])  # loads gettext and locale
for m in list(sys.modules.values()):
    f = getattr(m, "__file__", None)
    if f and f.startswith(sys.prefix + "/lib/python3.11/"):
        print(f)' >"$T/pyfiles"
while read -r f; do mkdir -p "$R$(dirname "$f")" && cp "$f" "$R$f"; done <"$T/pyfiles"
mkdir -p "$R/usr/lib/python3.11/lib-dynload"
for f in "$PY" $(grep '\.so$' "$T/pyfiles"); do ldd "$f"; done |
	awk '/=> \//{print $3} /^\t\/lib/{print $1}' | sort -u | while read -r lib; do
	mkdir -p "$R$(dirname "$lib")" && cp -L "$lib" "$R$lib"
done
install -m 0755 "$WARD_INIT" "$R/ward/init"
cp "$WARD_SRC/tests/py/guard_upstream.py" "$R/app/up.py"
printf 'root:x:0:0::/root:/sbin/nologin\nnonroot:x:65532:65532::/tmp:/sbin/nologin\n' >"$R/etc/passwd"
printf '%s\n' '{"version":1,"writable":["/tmp"],"landlock":{"tcp_bind":[8000]},"metrics":{"address":":9090"},' \
	' "guard":{"listen":":8080","upstream":"127.0.0.1:8000","profile":"ollama",' \
	'  "routes":[{"methods":["GET"],"path":"/sse"},{"methods":["GET"],"path":"/health","auth":false}],' \
	'  "auth":{"keys_file":"/run/secrets/ward/keys"},' \
	'  "limits":{"request_timeout_s":1.5,"body_bytes":1048576,"chunks":1024,"rate":{"rps":200,"burst":50}}}}' \
	>"$R/ward/policy.json"
# a key file in the image (the mounted secret replaces it; ward test runs without one)
printf 'image-default sha256:%s\n' "$(printf %s unused-key-0123456789 | sha256sum | cut -d' ' -f1)" \
	>"$R/run/secrets/ward/keys"
chmod 1777 "$R/tmp" && chmod -R a+rX "$R"
check "ward image pack: ward-init, the guard's policy, the stand-in server" "$WARD" image pack "$R" \
	-o "$T/img:latest" --entrypoint /ward/init --entrypoint -- --entrypoint /usr/bin/python3.11 \
	--entrypoint /app/up.py --cmd --port --cmd 8000 --cmd --host --cmd 0.0.0.0 --cmd --record \
	--cmd /tmp/rec.bin --cmd --sse-delay --cmd 0.4 --user 65532:65532 --port 8080/tcp
check "loaded into podman" skopeo copy -q "oci:$T/img:latest" "containers-storage:$CIMG"

mkdir -p "$T/csecrets" && chmod 755 "$T/csecrets"
printf 'tester %s\n' "$KEY" >"$T/csecrets/keys" && chmod 644 "$T/csecrets/keys"
HP=$(free_port) CMP=$(free_port)
run "$WARD" deploy podman "$T/img" --name "$CT" --seccomp "$T/seccomp.json" \
	--publish "$HP:8080" --publish "$CMP:9090" --json
[ "$RC" = 0 ] && pass "ward deploy podman writes the command" || fail "ward deploy: $ERR"
# ward deploy's argv, plus the API key file mounted read-only as a secret
# (what a Kubernetes Secret volume or podman --secret gives)
mapfile -t ARGV < <(echo "$OUT" | python3 -c '
import json, sys
a = json.load(sys.stdin)["argv"]
for x in a[:-1] + ["--volume", sys.argv[1] + ":/run/secrets/ward:ro", a[-1]]:
    print(x)' "$T/csecrets")
echo "    ${ARGV[*]}"
run "${ARGV[@]}"
[ "$RC" = 0 ] || fail "podman run: $ERR"
for ((i = 0; i < 300; i++)); do curl -sf -o /dev/null "http://127.0.0.1:$CMP/metrics" && break; sleep 0.1; done
CPID=$(podman inspect -f '{{.State.Pid}}' "$CT" 2>/dev/null)
CREC=/proc/$CPID/root/tmp/rec.bin
for ((i = 0; i < 100; i++)); do [ -e "$CREC" ] && break; sleep 0.1; done
[ -e "$CREC" ] && pass "the container runs: ward-init PID 1, the server, the guard" ||
	fail "container: $(podman logs "$CT" 2>&1 | tail -5)"

# The stand-in binds 0.0.0.0:8000, as careless servers do: behind the guard
# ward-init's gate binds its sockets to lo, so the container's address
# reaches the guard (8080) and never the server (8000).
CIP=$(podman inspect -f '{{.NetworkSettings.IPAddress}}' "$CT" 2>/dev/null)
reach() { python3 -c 'import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close(); print("open")
except OSError as e:
    print(type(e).__name__)' "$@"; }
g_reach=$(reach "$CIP" 8080) s_reach=$(reach "$CIP" 8000)
[ -n "$CIP" ] && [ "$g_reach" = open ] && [ "$s_reach" != open ] &&
	pass "container: the server bound 0.0.0.0 but takes no connection from $CIP (guard: $g_reach, server: $s_reach)" ||
	fail "container: the server is reachable around the guard at $CIP:8000 ($s_reach; guard $g_reach)"

CHP=$(pgrep -P "$CPID" -x ward-http)
cst() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$CHP/status"; }
[ -n "$CHP" ] && [ "$(cst CapEff)" = 0000000000000000 ] && [ "$(cst NoNewPrivs)" = 1 ] &&
	[ "$(cst Seccomp)" = 2 ] && [ "$(cst Uid)" = 65532 ] &&
	pass "container: the guard runs in ward-http (no capabilities, no_new_privs, seccomp, uid 65532)" ||
	fail "container helper: pid '$CHP' $(grep -E 'Cap|NoNew|Seccomp|Uid' "/proc/$CHP/status" 2>/dev/null | tr '\n' ' ')"

run python3 "$WARD_SRC/tests/py/guard_attacks.py" "$HP" "$CMP" "$CREC" "$KEY" ollama
echo "$OUT" | sed 's/^/    /'
[ "$RC" = 0 ] && pass "container: every exploit pattern refused before the server, counted in /metrics" \
	|| fail "container: $(echo "$OUT" | grep -c '^FAIL') case(s) failed $ERR"
curl -s "http://127.0.0.1:$CMP/metrics" >"$T/cm.txt"
check "container: promtool accepts /metrics" bash -c "promtool check metrics <'$T/cm.txt'"

# SIGHUP to the container (podman kill): keys rotated in the mounted secret
cat >"$T/rotate.py" <<'PY'
import socket, subprocess, sys, time
port, key, keys, ct = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = socket.create_connection(("127.0.0.1", port), timeout=5)
def ask(k):
    s.sendall(b"POST /api/chat HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer %s\r\n"
              b"Content-Length: 2\r\n\r\n{}" % k.encode())
    d = b""
    while b"\r\n\r\n" not in d:
        d += s.recv(65536)
    head, rest = d.split(b"\r\n\r\n", 1)
    n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
    while len(rest) < n:
        rest += s.recv(65536)
    return int(head.split(b" ")[1])
assert ask(key) == 200
open(keys, "w").write("rotated sk-rotated-key-0123456789\n")
subprocess.run(["podman", "kill", "--signal", "HUP", ct], check=True, capture_output=True)
for i in range(50):
    time.sleep(0.1)
    if ask("sk-rotated-key-0123456789") == 200:
        break
else:
    raise SystemExit("new key refused")
assert ask(key) == 401, "old key still accepted"
PY
run python3 "$T/rotate.py" "$HP" "$KEY" "$T/csecrets/keys" "$CT"
[ "$RC" = 0 ] && pass "container: podman kill --signal HUP reloads the mounted key file, connection kept" ||
	fail "container SIGHUP: $OUT $ERR"
podman logs "$CT" 2>"$T/clog" >/dev/null
python3 - "$T/clog" <<'PY' && pass "container: audit lines in ward-init's log (podman logs), wrapped" || fail "container audit lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
inner = [json.loads(l["fields"]["line"]) for l in lines if l["event"] == "guard"]
reqs = [i for i in inner if i["event"] == "request"]
assert len(reqs) > 40, len(reqs)
assert any(i["fields"].get("reason") == "route_denied" for i in reqs)
assert any(l["event"] == "guard_reload" for l in lines)
# nofile 1024 (the test's containers.conf): 512 connections would need 1,024
# descriptors; the table is sized so the limit cannot fill first
cap = [i for i in inner if i["event"] == "guard_connections_capped"]
assert cap and cap[0]["fields"]["connections"] == (1024 - 96) // 2, cap
assert not any(l["event"] == "server_exited" for l in lines)
PY
run podman stop -t 10 "$CT"
code=$(podman inspect -f '{{.State.ExitCode}}' "$CT")
[ "$code" = 143 ] && pass "container: podman stop: exit 143 (the server's SIGTERM)" || fail "container: exit $code"

# ward test runs the image as ward deploy would and probes the guard through
# its published port; then the same image with a guard that forwards without
# a key, has no rate and a catch-all route: those checks fail
wtest() { # wtest IMAGE JSON ARGS...: ward test's matrix (its exit status is not the point here)
	local img=$1 out=$2
	shift 2
	"$WARD" test "$img" --require-run "$@" -o "$out" >"$out.out" 2>"$out.err"
}
wtest "$T/img:latest" "$T/wt.json"
python3 - "$T/wt.json" <<'PY' && pass "ward test: through the guard's port no key -> 401, management/unlisted -> 403, body cap -> 413, burst -> 429" || fail "ward test guard checks: $(cat "$T/wt.json.err" | tail -3)"
import json, sys
r = json.load(open(sys.argv[1]))
c = {x["id"]: x for x in r["checks"]}
assert len(c) >= 86 and r["runtime"] is True, (len(c), r.get("runtime_note"))
for i in ("security.guard-run-unauthenticated-refused", "security.guard-run-unlisted-route-refused",
          "security.guard-run-body-cap", "security.guard-run-rate-limit"):
    assert c[i]["result"] == "pass", (i, c[i])
    print("    %s: %s" % (i, c[i]["evidence"]))
assert "/api/create: 403" in c["security.guard-run-unlisted-route-refused"]["evidence"]
# no --health: the guard refuses /healthz, ward-init's /healthz says the container is up
assert c["function.container-starts"]["result"] == "pass", c["function.container-starts"]
assert c["function.health-endpoint"]["result"] == "skip", c["function.health-endpoint"]
assert "refused GET /healthz" in c["function.health-endpoint"]["evidence"]
assert c["performance.request-latency"]["result"] == "skip", c["performance.request-latency"]
PY
python3 - "$R/ward/policy.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
g = p["guard"]
g["auth"]["required"] = False
del g["limits"]["rate"]
g["routes"].append({"methods": ["GET", "POST"], "path": "/**"})
json.dump(p, open(sys.argv[1], "w"))
PY
"$WARD" image pack "$R" -o "$T/img-open:latest" --entrypoint /ward/init --entrypoint -- \
	--entrypoint /usr/bin/python3.11 --entrypoint /app/up.py --cmd --port --cmd 8000 --cmd --record \
	--cmd /tmp/rec.bin --user 65532:65532 --port 8080/tcp >/dev/null 2>&1
wtest "$T/img-open:latest" "$T/wt-open.json"
python3 - "$T/wt-open.json" <<'PY' && pass "ward test: an open guard fails them (no key forwarded, catch-all served, no rate)" || fail "ward test on an open guard: $(cat "$T/wt-open.json.err" | tail -3)"
import json, sys
c = {x["id"]: x for x in json.load(open(sys.argv[1]))["checks"]}
want = {"security.guard-run-unauthenticated-refused": "fail", "security.guard-run-unlisted-route-refused": "fail",
        "security.guard-run-body-cap": "pass", "security.guard-run-rate-limit": "warn",
        # its catch-all serves /healthz through the guard
        "function.container-starts": "pass", "function.health-endpoint": "pass"}
for i, res in want.items():
    assert c[i]["result"] == res, (i, c[i])
    print("    %s: %s: %s" % (i, res, c[i]["evidence"]))
PY
finish
