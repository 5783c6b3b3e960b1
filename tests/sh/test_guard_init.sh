#!/usr/bin/env bash
# The endpoint guard inside ward-init: PID 1 opens the public listener, the
# unprivileged helper (ward-http: no capabilities, no_new_privs, seccomp,
# Landlock) runs the guard in front of the real server ward-init started and
# confined (the recording stand-in, tests/py/guard_upstream.py).  The exploit
# patterns of tests/py/guard_attacks.py are refused before the server and
# counted in ward-init's own /metrics; SIGHUP reloads the API keys without
# touching the server or open connections; audit lines reach ward-init's log
# wrapped in its own lines; a guard that cannot start stops ward-init (exit 2).
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
finish
