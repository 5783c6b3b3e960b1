#!/usr/bin/env bash
# The endpoint guard (init/helper/guard*.c), run where it runs in production —
# in ward-init's unprivileged helper (guard_lib.sh; GUARD_VIA=drive runs it
# alone) — against stand-in upstreams that record every byte they receive: for each built-in profile the exploit patterns
# of issue 19 (unauthenticated model management, unguarded prefixes,
# management API on the inference port, path traversal in every encoding,
# request smuggling, 1 GB bodies, thousands of chunks, header floods,
# slowloris) are refused before reaching the upstream and counted by
# reason (tests/py/guard_attacks.py); then keys, limits, streaming and
# metrics.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/guard_lib.sh"

KEY=sk-ward-test-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
KEY2=sk-ward-other-0123456789abcdef
HASH=$(key_hash "$KEY")

# --------------------------------------------------------------- profiles
for profile in ollama vllm torchserve; do
	UP=$(free_port) GP=$(free_port) MPORT=$(free_port)
	start_upstream "up-$profile" --port "$UP" --record "$T/rec-$profile" --sse-delay 0.4 || { fail "upstream"; continue; }
	cat >"$T/$profile.json" <<JSON
{"version":1,"guard":{"listen":"127.0.0.1:$GP","upstream":"127.0.0.1:$UP","profile":"$profile",
 "routes":[{"methods":["GET"],"path":"/sse"}],
 "auth":{"keys":[{"id":"tester","sha256":"$HASH"}]},
 "limits":{"request_timeout_s":1.5,"body_bytes":1048576,"chunks":1024,"headers":100,"header_bytes":16384}}}
JSON
	start_guard "guard-$profile" "$T/$profile.json" "$MPORT" || { fail "guard $profile"; continue; }
	run python3 "$WARD_SRC/tests/py/guard_attacks.py" "$GP" "$MPORT" "$T/rec-$profile" "$KEY" "$profile"
	echo "$OUT" | sed 's/^/    /'
	[ "$RC" = 0 ] && pass "$profile: every exploit pattern refused before the upstream, counted" \
		|| fail "$profile: $(echo "$OUT" | grep -c '^FAIL') case(s) failed $ERR"
	curl -s "http://127.0.0.1:$MPORT/metrics" >"$T/m-$profile.txt"
	check "$profile: promtool accepts the guard's /metrics" bash -c "promtool check metrics <'$T/m-$profile.txt'"
	grep -q "^ward_guard_key_responses_total{key=\"tester\",code=\"2xx\"} [1-9]" "$T/m-$profile.txt" \
		&& pass "$profile: responses counted by key id" || fail "$profile: no per-key count"
	grep -q "$KEY" "$T/m-$profile.txt" "$T/guard-$profile.log" && fail "$profile: the key appears in metrics or logs" \
		|| pass "$profile: the key never appears in metrics or logs"
	audit "guard-$profile"
	python3 - "$T/guard-$profile.audit" <<'PY' && pass "$profile: one JSON audit line per request" || fail "$profile: audit log"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
reqs = [l for l in lines if l["event"] == "request"]
assert len(reqs) > 40, len(reqs)
assert all({"peer", "status", "route", "key"} <= set(l["fields"]) for l in reqs)
assert any(l["fields"].get("reason") == "route_denied" for l in reqs)
PY
	stop_guard
done

# --------------------------------------------------------------- keys, limits
UP=$(free_port) GP=$(free_port) MPORT=$(free_port)
start_upstream up --port "$UP" --record "$T/rec" --sse-delay 0.3
printf '# api keys\n\nfile-raw %s\nfile-hash sha256:%s\n' "$KEY2" "$(key_hash other-key-0123456789)" >"$T/keys"
cat >"$T/limits.json" <<JSON
{"version":1,"guard":{"listen":"127.0.0.1:$GP","upstream":"127.0.0.1:$UP",
 "routes":[{"methods":["POST"],"path":"/v1/chat/completions"},{"methods":["GET"],"path":"/slow"},
           {"methods":["GET"],"path":"/open","auth":false},{"methods":["GET"],"path":"/close"},
           {"methods":["GET"],"path":"/drop"},
           {"methods":["GET","HEAD"],"path":"/chunked"}],
 "auth":{"keys":[{"id":"tester","sha256":"$HASH"}],"keys_file":"$T/keys"},
 "limits":{"key_rate":{"rps":2,"burst":3},"key_concurrent":1,
           "key_tokens":{"tokens":1500,"window_s":3600},"upstream_timeout_s":1}}}
JSON
check "the policy with a guard section validates" "$WARD_INIT" --check-policy "$T/limits.json"
start_guard guard "$T/limits.json" "$MPORT"
URL=http://127.0.0.1:$GP
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

[ "$(code "$URL/open")" = 200 ] && pass "a route with auth false needs no key" || fail "auth false route"
[ "$(code -H "Authorization: Bearer $KEY2" -d '{}' "$URL/v1/chat/completions")" = 200 ] \
	&& pass "a raw key from the key file works" || fail "key file raw key"
[ "$(code -H "Authorization: Bearer other-key-0123456789" -d '{}' "$URL/v1/chat/completions")" = 200 ] \
	&& pass "a hashed key from the key file works" || fail "key file hashed key"
# key rate: burst 3, then 2/s: the 4th request in a row is refused (one curl,
# one kept-alive connection: quick enough on a loaded machine)
codes=$(curl -s -o /dev/null -o /dev/null -o /dev/null -o /dev/null -w ' %{http_code}' -H "X-Api-Key: $KEY" -d '{}' \
	"$URL/v1/chat/completions" "$URL/v1/chat/completions" "$URL/v1/chat/completions" "$URL/v1/chat/completions")
[ "$codes" = " 200 200 200 429" ] && pass "per-key rate limit (burst 3): 429 on the 4th" || fail "rate: $codes"
[ "$(metric 'ward_guard_rejected_total{reason="rate_key"}')" = 1 ] && pass "rate_key counted" || fail "rate_key count"
sleep 1.6
# token budget 1500: 1000 + 1000 reported in usage, then refused
t1=$(code -H "X-Api-Key: $KEY2" -H "X-Test-Tokens: 1000" -d '{}' "$URL/v1/chat/completions")
t2=$(code -H "X-Api-Key: $KEY2" -H "X-Test-Tokens: 1000" -d '{}' "$URL/v1/chat/completions")
t3=$(code -H "X-Api-Key: $KEY2" -H "X-Test-Tokens: 1000" -d '{}' "$URL/v1/chat/completions")
[ "$t1 $t2 $t3" = "200 200 429" ] && pass "token budget from the response's usage: 429 once spent" || fail "budget: $t1 $t2 $t3"
[ "$(metric 'ward_guard_key_tokens_total{key="file-raw"}')" = 2007 ] && pass "tokens counted per key id" \
	|| fail "tokens: $(metric 'ward_guard_key_tokens_total{key="file-raw"}')"
# concurrency: one slow request in flight per key
sleep 1
curl -s -o /dev/null -H "X-Api-Key: $KEY" "$URL/slow" &
SLOW=$!
for i in $(seq 100); do # until the guard has it in flight
	[ "$(metric 'ward_guard_key_inflight_requests{key="tester"}')" = 1 ] && break
	sleep 0.02
done
[ "$(code -H "X-Api-Key: $KEY" -d '{}' "$URL/v1/chat/completions")" = 429 ] \
	&& pass "per-key concurrency: a second request in flight is refused" || fail "key concurrency"
wait "$SLOW"
[ "$(metric 'ward_guard_rejected_total{reason="concurrency_key"}')" = 1 ] && pass "concurrency_key counted" || fail "concurrency count"
# upstream timeout (1 s) on /slow (2 s): 504
sleep 1
K3=other-key-0123456789
[ "$(code -H "X-Api-Key: $K3" "$URL/slow")" = 504 ] && pass "a stalled upstream: 504" || fail "upstream timeout"
[ "$(metric 'ward_guard_upstream_errors_total{kind="timeout"}')" = 2 ] && pass "upstream timeouts counted" || fail "timeout count"
# close-delimited and chunked responses, HEAD
[ "$(curl -s -H "X-Api-Key: $K3" "$URL/close" | grep -c '"path": "/close"')" = 1 ] \
	&& pass "a close-delimited response is passed on whole" || fail "close-delimited"
[ "$(curl -s -H "X-Api-Key: $K3" "$URL/chunked" | grep -c '"path": "/chunked"')" = 1 ] \
	&& pass "a chunked response is passed on" || fail "chunked response"
[ "$(code -I -H "X-Api-Key: $K3" "$URL/chunked")" = 200 ] && pass "HEAD" || fail "HEAD"
# the server drops a kept-alive connection between two requests: the next
# request on the client's connection is still served (a fresh upstream one)
sleep 1
python3 - "$GP" "$K3" <<'PY' && pass "an upstream that drops kept-alive connections: the next request is served" || fail "dropped upstream connection"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
def ask(method, path):
    s.sendall(b"%s %s HTTP/1.1\r\nHost: g\r\nX-Api-Key: %s\r\nContent-Length: 2\r\n\r\n{}" % (method, path, sys.argv[2].encode()))
    d = b""
    while b"\r\n\r\n" not in d:
        d += s.recv(65536)
    head, rest = d.split(b"\r\n\r\n", 1)
    n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
    while len(rest) < n:
        rest += s.recv(65536)
    return int(head.split(b" ")[1])
assert ask(b"GET", b"/drop") == 200
time.sleep(0.3)
assert ask(b"POST", b"/v1/chat/completions") == 200
PY

# HTTP/1.0 client (after the key bucket refills)
sleep 1
[ "$(curl -s -0 -H "X-Api-Key: $K3" "$URL/chunked" | grep -c '"path": "/chunked"')" = 1 ] \
	&& pass "an HTTP/1.0 client gets a response it can read" || fail "HTTP/1.0"

# SIGHUP: the key file is read again, an open keep-alive connection survives
python3 - "$GP" "$KEY2" "$T/keys" "$GUARD_PID" <<'PY' && pass "SIGHUP reloads keys without dropping connections" || fail "SIGHUP reload"
import os, signal, socket, sys, time
port, key, keys, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
def ask(k):
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: g\r\nX-Api-Key: %s\r\n"
              b"X-Test-Tokens: 1\r\nContent-Length: 2\r\n\r\n{}" % k.encode())
    d = b""
    while b"\r\n\r\n" not in d:
        d += s.recv(65536)
    head, rest = d.split(b"\r\n\r\n", 1)
    n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
    while len(rest) < n:
        rest += s.recv(65536)
    return int(head.split(b" ")[1])
time.sleep(1.2)
assert ask("other-key-0123456789") == 200
open(keys, "w").write("new-key sk-rotated-key-0123456789\n")
os.kill(pid, signal.SIGHUP)
time.sleep(0.3)
assert ask("sk-rotated-key-0123456789") == 200, "new key refused"
assert ask("other-key-0123456789") == 401, "removed key still accepted"
s.close()
PY
[ "$(metric 'ward_guard_key_reloads_total{result="ok"}')" = 1 ] && pass "reload counted" || fail "reload count"
printf 'bad line with three fields\n' >"$T/keys"
kill -HUP "$GUARD_PID"
sleep 0.3
[ "$(metric 'ward_guard_key_reloads_total{result="error"}')" = 1 ] && pass "a bad key file is counted" || fail "bad reload count"
[ "$(code -H "X-Api-Key: sk-rotated-key-0123456789" -d '{}' "$URL/v1/chat/completions")" = 200 ] \
	&& pass "a bad key file keeps the previous keys in force" || fail "bad reload replaced keys"
audit guard
grep -q '"event":"guard_keys_reload_failed"' "$T/guard.audit" && pass "the failed reload is logged" || fail "reload failure log"
grep -q 'sk-rotated' "$T/guard.log" && fail "a key in the log" || pass "keys stay out of the log"

# upstream down: 502, counted
stop_guard
printf 'k1 %s\n' "$KEY2" >"$T/keys"
DEAD=$(free_port)
sed "s/127.0.0.1:$UP/127.0.0.1:$DEAD/" "$T/limits.json" >"$T/dead.json"
start_guard guard-dead "$T/dead.json" "$MPORT"
[ "$(code "$URL/open")" = 502 ] && pass "upstream down: 502" || fail "502"
[ "$(metric 'ward_guard_upstream_errors_total{kind="connect"}')" = 1 ] && pass "connect error counted" || fail "connect count"
stop_guard

# unix socket upstream, app metrics merged under a prefix
cat >"$T/app.prom" <<'PROM'
# HELP batch_latency_seconds Batch latency.
# TYPE batch_latency_seconds gauge
batch_latency_seconds{model="resnet"} 0.25
# HELP model_confidence Mean confidence.
# TYPE model_confidence gauge
model_confidence 0.93 1700000000000
# HELP ward_guard_rejected_total A forgery.
# TYPE ward_guard_rejected_total counter
ward_guard_rejected_total{reason="route_denied"} 0
bad line here
other{bad="\q"} 1
PROM
start_upstream up-unix --unix "$T/up.sock" --record "$T/rec-unix"
chmod 666 "$T/up.sock" # the guard's uid connects to it
cat >"$T/unix.json" <<JSON
{"version":1,"guard":{"listen":"127.0.0.1:$GP","upstream":"unix:$T/up.sock",
 "routes":[{"methods":["GET"],"path":"/open","auth":false}],"auth":{"required":false},
 "app_metrics":{"file":"$T/app.prom","prefix":"app_"}}}
JSON
start_guard guard-unix "$T/unix.json" "$MPORT"
[ "$(code "$URL/open")" = 200 ] && [ -s "$T/rec-unix" ] && pass "unix socket upstream" || fail "unix upstream"
curl -s "http://127.0.0.1:$MPORT/metrics" >"$T/m-app.txt"
grep -q '^app_batch_latency_seconds{model="resnet"} 0.25$' "$T/m-app.txt" && grep -q '^app_model_confidence 0.93 1700000000000$' "$T/m-app.txt" \
	&& pass "app metrics merged under the prefix" || fail "app metrics: $(grep app_ "$T/m-app.txt")"
grep -q '^app_ward_guard_rejected_total' "$T/m-app.txt" && ! grep -q '^ward_guard_rejected_total{reason="route_denied"} 0$' <(grep -v '^#' "$T/m-app.txt" | sort | uniq -d) \
	&& pass "the server cannot forge ward_* metrics (prefixed)" || fail "app forged ward metrics"
[ "$(metric ward_guard_app_metrics_lines_dropped_total)" -ge 1 ] 2>/dev/null && pass "invalid app lines dropped and counted" || fail "dropped count"
check "promtool accepts the merged /metrics" bash -c "promtool check metrics <'$T/m-app.txt'"
stop_guard

# app metrics from the server's unix socket; one that stalls is skipped fast
cat >"$T/appsock.py" <<'PY'
import socketserver, sys, time
class H(socketserver.StreamRequestHandler):
    def handle(self):
        self.rfile.readline()
        if sys.argv[2] == "slow":
            time.sleep(3)
        self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                         b"# HELP queue_depth Requests queued.\n# TYPE queue_depth gauge\nqueue_depth 4\n")
socketserver.ThreadingUnixStreamServer.daemon_threads = True
s = socketserver.ThreadingUnixStreamServer(sys.argv[1], H)
print("ready", flush=True)
s.serve_forever()
PY
for mode in fast slow; do
	python3 "$T/appsock.py" "$T/app-$mode.sock" "$mode" >"$T/appsock-$mode.out" 2>&1 &
	PIDS+=($!)
	wait_ready "$T/appsock-$mode.out"
	chmod 666 "$T/app-$mode.sock"
	sed "s|\"file\":\"$T/app.prom\"|\"unix\":\"$T/app-$mode.sock\"|" "$T/unix.json" >"$T/unix-$mode.json"
	start_guard "guard-$mode" "$T/unix-$mode.json" "$MPORT"
	t0=$(date +%s%N)
	curl -s "http://127.0.0.1:$MPORT/metrics" >"$T/m-$mode.txt"
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$mode" = fast ]; then
		grep -q '^app_queue_depth 4$' "$T/m-$mode.txt" && pass "app metrics from the server's unix socket" || fail "unix app metrics"
	else
		! grep -q 'queue_depth' "$T/m-$mode.txt" && [ "$ms" -lt 1000 ] && \
			[ "$(awk '$1 == "ward_guard_app_metrics_reads_total{result=\"error\"}" {print $2}' "$T/m-$mode.txt")" = 1 ] \
			&& pass "a stalled metrics socket is skipped (${ms} ms) and counted" || fail "slow app socket: ${ms} ms"
	fi
	stop_guard
done

# a full connection table: the connection waiting longest without a request
# makes room; a real request is served while 20 trickling heads hold 8 slots
cat >"$T/evict.json" <<JSON
{"version":1,"guard":{"listen":"127.0.0.1:$GP","upstream":"unix:$T/up.sock",
 "routes":[{"methods":["GET"],"path":"/open","auth":false}],"auth":{"required":false},
 "limits":{"connections":8,"request_timeout_s":30}}}
JSON
start_guard guard-evict "$T/evict.json" "$MPORT"
python3 - "$GP" <<'PY' && pass "held connections cannot keep a real request out (oldest waiting evicted)" || fail "eviction"
import socket, sys, time
port = int(sys.argv[1])
held = []
for i in range(20):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /open HTTP/1.1\r\nHost: x\r\n")
    held.append(s)
    time.sleep(0.01)
for i in range(5):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(b"GET /open HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert s.recv(100).startswith(b"HTTP/1.1 200"), i
    s.close()
PY
[ "$(metric 'ward_guard_rejected_total{reason="connection_limit"}')" -ge 12 ] && pass "evictions counted (connection_limit)" \
	|| fail "connection_limit: $(metric 'ward_guard_rejected_total{reason="connection_limit"}')"
stop_guard

# differential smuggling fuzz: what the guard forwards, h11 (a strict independent
# parser) reads as exactly the requests the guard relayed, never an error
H11_UP=$(free_port)
if /usr/bin/python3 -c 'import h11' 2>/dev/null; then
	/usr/bin/python3 "$WARD_SRC/tests/py/guard_h11_upstream.py" "$H11_UP" "$T/h11.log" >"$T/h11.out" 2>&1 &
	PIDS+=($!)
	wait_ready "$T/h11.out"
	cat >"$T/smuggle.json" <<JSON
{"version":1,"guard":{"listen":"127.0.0.1:$GP","upstream":"127.0.0.1:$H11_UP",
 "routes":[{"methods":["POST","GET","PUT"],"path":"/v1/chat/completions","auth":false},
           {"methods":["GET"],"path":"/admin","auth":false}],
 "auth":{"required":false},"limits":{"request_timeout_s":2}}}
JSON
	start_guard guard-smuggle "$T/smuggle.json" "$MPORT"
	run python3 "$WARD_SRC/tests/py/guard_smuggle_fuzz.py" "$GP" "$T/h11.log" 19 2000
	echo "    $OUT"
	[ "$RC" = 0 ] && pass "2,000 fuzzed smuggling messages: no desync with h11" || fail "smuggling fuzz: $OUT $ERR"
	stop_guard
else
	fail "python3-h11 is not installed (scripts/install-deps.sh --test)"
fi

# TLS with client certificates (mTLS): certificates made with openssl(1)
mkcert() { # mkcert NAME CN CA: NAME.pem/NAME.key signed by CA (or self-signed CA when CA is -)
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
		-out "$T/$1.csr" -subj "/CN=$2" 2>/dev/null
	if [ "$3" = - ]; then
		openssl x509 -req -in "$T/$1.csr" -signkey "$T/$1.key" -out "$T/$1.pem" -days 2 \
			-extfile <(printf 'basicConstraints=critical,CA:true\nkeyUsage=keyCertSign\n') 2>/dev/null
	else
		openssl x509 -req -in "$T/$1.csr" -CA "$T/$3.pem" -CAkey "$T/$3.key" -CAcreateserial \
			-out "$T/$1.pem" -days 2 -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n') 2>/dev/null
	fi
}
mkcert ca ward-test-ca - && mkcert srv localhost ca && mkcert client client-a ca &&
	mkcert other other-ca - && mkcert rogue client-a other
chmod 644 "$T"/*.key # read by the guard's uid (a mounted secret readable by it)
cat >"$T/tls.json" <<JSON
{"version":1,"guard":{"listen":"127.0.0.1:$GP","upstream":"unix:$T/up.sock",
 "routes":[{"methods":["GET"],"path":"/open","auth":false},{"methods":["GET"],"path":"/sse","auth":false}],
 "auth":{"required":false},
 "tls":{"cert":"$T/srv.pem","key":"$T/srv.key","client_ca":"$T/ca.pem"}}}
JSON
start_guard guard-tls "$T/tls.json" "$MPORT"
TURL=https://127.0.0.1:$GP
[ "$(code --cacert "$T/ca.pem" --cert "$T/client.pem" --key "$T/client.key" "$TURL/open")" = 200 ] \
	&& pass "mTLS: a client certificate from the CA is served" || fail "mTLS with a good certificate"
[ "$(code --cacert "$T/ca.pem" "$TURL/open")" = 000 ] && [ "$(metric 'ward_guard_rejected_total{reason="client_cert"}')" = 1 ] \
	&& pass "mTLS: no client certificate: refused in the handshake, counted" || fail "mTLS without a certificate"
[ "$(code --cacert "$T/ca.pem" --cert "$T/rogue.pem" --key "$T/rogue.key" "$TURL/open")" = 000 ] \
	&& [ "$(metric 'ward_guard_rejected_total{reason="client_cert"}')" = 2 ] \
	&& pass "mTLS: a certificate from another CA (same CN): refused, counted" || fail "mTLS rogue certificate"
[ "$(code "http://127.0.0.1:$GP/open")" = 000 ] && [ "$(metric 'ward_guard_rejected_total{reason="tls_handshake"}')" = 1 ] \
	&& pass "plain HTTP on the TLS port: refused, counted" || fail "plain HTTP to TLS"
python3 - "$GP" "$T" <<'PY' && pass "TLS: keep-alive, pipelining and SSE pass through" || fail "TLS keep-alive/SSE"
import socket, ssl, sys, time
port, t = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=t + "/ca.pem")
ctx.load_cert_chain(t + "/client.pem", t + "/client.key")
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
s.sendall(b"GET /open HTTP/1.1\r\nHost: x\r\n\r\n" * 3)
buf = b""
while buf.count(b"HTTP/1.1 200") < 3 or not buf.endswith(b"}\n"):
    d = s.recv(65536)
    assert d, buf
    buf += d
t0 = time.time()
s.sendall(b"GET /sse HTTP/1.1\r\nHost: x\r\n\r\n")
buf = b""
while b"data: " not in buf:
    buf += s.recv(65536)
assert time.time() - t0 < 0.25, time.time() - t0
s.close()
PY
audit guard-tls
grep -q '"client_cn":"client-a"' "$T/guard-tls.audit" && pass "the audit line names the client certificate" || fail "client_cn in audit"
stop_guard

# the effective policy validates against docs/policy.schema.json
"$WARD_INIT" --check-policy "$T/limits.json" >"$T/eff.json"
check "the effective guard policy validates against the schema" python3 - "$WARD_SRC/docs/policy.schema.json" "$T/eff.json" <<'PY'
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))
PY

# policy errors: one line naming the field, exit 2
bad() {
	echo "{\"version\":1,\"guard\":$2}" >"$T/bad.json"
	expect 2 "$1" "$WARD_INIT" --check-policy "$T/bad.json"
	[ "$(echo "$ERR" | wc -l)" = 1 ] && echo "$ERR" | grep -q "guard" || fail "error line for $1: $ERR"
}
bad "guard: a non-loopback upstream" '{"listen":"0.0.0.0:8080","upstream":"10.1.2.3:80"}'
bad "guard: unknown field" '{"listen":"0.0.0.0:8080","upstream":"127.0.0.1:80","rotes":[]}'
bad "guard: unknown profile" '{"listen":"0.0.0.0:8080","upstream":"127.0.0.1:80","profile":"triton"}'
bad "guard: bad route pattern" '{"listen":"0.0.0.0:8080","upstream":"127.0.0.1:80","routes":[{"methods":["GET"],"path":"/a/../b"}]}'
bad "guard: ** not last" '{"listen":"0.0.0.0:8080","upstream":"127.0.0.1:80","routes":[{"methods":["GET"],"path":"/**/b"}]}'
bad "guard: unknown method" '{"listen":"0.0.0.0:8080","upstream":"127.0.0.1:80","routes":[{"methods":["TRACE"],"path":"/a"}]}'
bad "guard: a key instead of its hash" '{"listen":"0.0.0.0:8080","upstream":"127.0.0.1:80","auth":{"keys":[{"id":"a","sha256":"sk-live-123"}]}}'
bad "guard: app metrics prefix in ward's namespace" '{"listen":"0.0.0.0:8080","upstream":"127.0.0.1:80","app_metrics":{"file":"/tmp/m","prefix":"ward_"}}'
bad "guard: no listen" '{"upstream":"127.0.0.1:80"}'
for lb in '[8080,8000]' '[9000]'; do
	echo "{\"version\":1,\"landlock\":{\"tcp_bind\":$lb},\"guard\":{\"listen\":\":8080\",\"upstream\":\"127.0.0.1:8000\"}}" >"$T/bind.json"
	expect 2 "guard: tcp_bind $lb (the guard's port, or not the upstream's)" "$WARD_INIT" --check-policy "$T/bind.json"
	echo "$ERR" | grep -q "landlock.tcp_bind" || fail "bind error names landlock.tcp_bind: $ERR"
done
echo '{"version":1,"landlock":{"tcp_bind":[8000]},"guard":{"listen":":8080","upstream":"127.0.0.1:8000"}}' >"$T/bind.json"
expect 0 "guard: tcp_bind holds the upstream port only" "$WARD_INIT" --check-policy "$T/bind.json"
run "$WARD_INIT" --print-guard-profile ollama
echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["profile"]=="ollama" and any(x["path"]=="/api/create" for x in d["deny"])' \
	&& pass "--print-guard-profile prints the built-in profile" || fail "--print-guard-profile: $OUT $ERR"
finish
