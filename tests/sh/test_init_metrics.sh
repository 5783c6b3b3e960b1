#!/usr/bin/env bash
# ward-init's /metrics and /healthz, served by its unprivileged helper:
# promtool accepts the exposition, wrk sends 10,000 requests with no error
# and the descriptors do not grow, the listener stays bounded (connections
# per peer, request size, slow clients, bad requests) and cannot be starved
# (a new connection always gets in), and the helper itself holds no
# capability, runs under its own seccomp filter and Landlock domain, and is
# restarted when it dies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/init_lib.sh"

PY=/usr/bin/python3.11
PORT=$(free_port)
sign_model "$T/model"
policy "$T/p.json" "\"models\":[{\"path\":\"$T/model\",\"key\":\"model.pub\"}],\"metrics\":{\"address\":\"127.0.0.1:$PORT\"},\"read_only\":{\"models\":\"landlock\"}"
cat >"$T/server.py" <<'PY'
import os, sys, threading, time
os.system("sh -c true")            # one refused exec, to be counted
def work():
    while True:
        sum(range(10000)); time.sleep(0.01)
threading.Thread(target=work, daemon=True).start()
f = open(sys.argv[1], "wb"); f.write(b"x" * 65536); f.flush()
time.sleep(120)
PY
start_init "$T/m.log" --policy "$T/p.json" -- "$PY" "$T/server.py" "$T/tmp/out"
wait_event "$T/m.log" server_started || fail "server did not start: $(cat "$T/m.log")"
sleep 0.3
URL=http://127.0.0.1:$PORT

check "GET /healthz is 200 while the server runs" curl -sf "$URL/healthz"
[ "$OUT" = ok ] && pass "/healthz says ok" || fail "/healthz body: $OUT"
run curl -sf "$URL/metrics"
echo "$OUT" >"$T/metrics.txt"
check "promtool check metrics accepts /metrics" bash -c "promtool check metrics <'$T/metrics.txt'"
has() { grep -qE "$1" "$T/metrics.txt" && pass "metric: $2" || fail "metric missing: $1"; }
has '^ward_build_info\{version="[0-9.]+"\} 1$' "build info"
has '^ward_init_uptime_seconds [0-9.e+-]+$' "uptime"
has "^ward_model_verified\\{model=\"$T/model\"\\} 1$" "model verified"
has "^ward_model_verified_bytes\\{model=\"$T/model\"\\} 300019$" "model bytes"
has '^ward_exec_attempts_total\{binary="sh",result="denied"\} 1$' "exec denied, by binary name"
has '^ward_exec_attempts_total\{binary="python3.11",result="allowed"\} 1$' "the server's own exec"
has '^ward_seccomp_denied_total\{syscall="ptrace"\} 0$' "seccomp denials by syscall"
has '^ward_server_up 1$' "server up"
has '^ward_server_threads 2$' "server threads (from /proc)"
has '^ward_server_cpu_seconds_total\{mode="user"\} [0-9.]+$' "server CPU"
has '^ward_server_resident_memory_bytes [0-9.e+]+$' "server RSS"
has '^ward_server_open_fds [0-9]+$' "server open fds"
has '^ward_server_io_write_bytes_total [0-9]+$' "server I/O"
has '^ward_hardening_enabled\{feature="seccomp"\} 1$' "hardening state"
spid=$(event_field "$T/m.log" server_started pid)
# The numbers agree with what the kernel tells us directly.
threads=$(awk '/^Threads:/{print $2}' "/proc/$spid/status")
fds=$(ls "/proc/$spid/fd" | wc -l)
wchar=$(awk '/^wchar:/{print $2}' "/proc/$spid/io")
m_fds=$(awk '/^ward_server_open_fds /{print $2}' "$T/metrics.txt")
m_w=$(awk '/^ward_server_io_write_bytes_total /{print $2}' "$T/metrics.txt")
[ "$threads" = 2 ] && [ "$m_fds" = "$fds" ] && [ "$m_w" -ge 65536 ] && [ "$m_w" -le "$wchar" ] &&
	pass "server fds ($m_fds) and write bytes ($m_w) match /proc" || fail "proc mismatch: fds $m_fds/$fds wchar $m_w/$wchar"

# ---- HTTP edge cases ------------------------------------------------------
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "$URL/nope")" = 404 ] && pass "unknown path: 404" || fail "unknown path"
[ "$(code -X POST "$URL/metrics")" = 405 ] && pass "POST: 405" || fail "POST"
[ "$(code -I "$URL/metrics")" = 200 ] && pass "HEAD /metrics: 200" || fail "HEAD"
raw() { # raw BYTES: send raw bytes, print the status line
	"$PY" - "$PORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
data = b""
while True:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    if not chunk:
        break
    data += chunk
print(data.split(b"\r\n", 1)[0].decode())
print(data.count(b"HTTP/1.1 "))
PY
}
run raw 'GARBAGE\r\n\r\n'
grep -q "400" <<<"$OUT" && pass "malformed request: 400 and close" || fail "malformed: $OUT"
run raw "GET /metrics HTTP/1.1\\r\\nX: $(head -c 5000 /dev/zero | tr '\0' a)\\r\\n\\r\\n"
grep -q "413" <<<"$OUT" && pass "oversized request: 413 and close" || fail "oversize: $OUT"
run raw 'GET /healthz HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n'
[ "$(tail -1 <<<"$OUT")" = 3 ] && pass "three pipelined requests, three answers in order" || fail "pipelining: $OUT"

# Slow and idle clients are cut off; past 64 connections from one peer the
# oldest idle one is closed to let a new one in (never the other way round).
"$PY" - "$PORT" >"$T/slow.txt" 2>&1 <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(70)]
conns[-1].sendall(b"GET /metr")      # a request that never ends
time.sleep(0.2)
print("ready", flush=True)
start = time.time()
for c in conns:
    c.settimeout(12)
    try:
        c.recv(4096)
    except OSError:
        pass
print("closed-after", round(time.time() - start, 1))
PY
SLOW=$!
for ((i = 0; i < 100; i++)); do grep -q ready "$T/slow.txt" && break; sleep 0.05; done
run curl -s -m 5 "$URL/healthz"
[ "$OUT" = ok ] && pass "with 70 connections held open by one peer, a new one is still served" || fail "starved: $OUT"
wait $SLOW
secs=$(awk '/closed-after/{print $2}' "$T/slow.txt")
python3 -c "import sys; sys.exit(0 if 1 <= float('$secs') <= 7 else 1)" &&
	pass "idle and slow connections closed by the timeout (${secs}s)" || fail "timeouts: $(cat "$T/slow.txt")"
run curl -sf "$URL/metrics"
grep -qE '^ward_http_connections_rejected_total [1-9]' <<<"$OUT" && pass "connections closed to make room are counted" || fail "rejected count"
grep -qE '^ward_http_timeouts_total [1-9]' <<<"$OUT" && pass "timeouts are counted" || fail "timeout count"
grep -qE '^ward_http_requests_total\{code="408"\} [1-9]' <<<"$OUT" && pass "the slow request got 408" || fail "408 count"

# ---- the helper: no capabilities, its own filter and Landlock domain -----
HPID=$(pgrep -P "$IPID" -x ward-http)
if [ -n "$HPID" ]; then
	grep -qE '^CapEff:\s+0+$' "/proc/$HPID/status" && grep -qE '^CapPrm:\s+0+$' "/proc/$HPID/status" &&
		grep -qE '^NoNewPrivs:\s+1' "/proc/$HPID/status" && grep -qE '^Seccomp:\s+2' "/proc/$HPID/status" &&
		pass "the HTTP helper: no capabilities, no_new_privs, its own seccomp filter" || fail "helper status: $(grep -E 'Cap|NoNew|Seccomp' /proc/$HPID/status)"
	grep -qE '^CapPrm:\s+0+$' "/proc/$IPID/status" && fail "PID 1 has no capabilities left? (it runs as root here)" ||
		pass "PID 1 keeps its two capabilities ($(awk '/^CapPrm/{print $2}' /proc/$IPID/status)), the helper none"
	[ "$(awk '/^CapPrm/{print $2}' /proc/$IPID/status)" = 0000000000080004 ] &&
		pass "PID 1: CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only" || fail "PID 1 caps: $(awk '/^CapPrm/{print $2}' /proc/$IPID/status)"
	[ "$(cut -d' ' -f3 "/proc/$HPID/stat")" != Z ] && kill -KILL "$HPID"
	for ((i = 0; i < 60; i++)); do
		NEW=$(pgrep -P "$IPID" -x ward-http)
		[ -n "$NEW" ] && [ "$NEW" != "$HPID" ] && break
		sleep 0.05
	done
	run curl -sf -m 5 "$URL/healthz"
	[ "$OUT" = ok ] && [ -n "$NEW" ] && [ "$NEW" != "$HPID" ] &&
		pass "a killed helper is restarted (pid $HPID -> $NEW), the listener kept" || fail "helper restart: $OUT"
	grep -q '"event":"helper_exited".*"signal":"KILL"' "$T/m.log" && pass "its death is logged" || fail "no helper_exited line"
	run curl -sf "$URL/metrics"
	grep -qE '^ward_helper_restarts_total 1$' <<<"$OUT" && pass "and counted" || fail "helper restarts"
else
	fail "no ward-http helper under ward-init"
fi

# ---- load: 10,000 requests, no errors, no descriptor leak -----------------
fds_before=$(ls "/proc/$IPID/fd" | wc -l)
cat >"$T/limit.lua" <<'LUA'
local n = 0
function response(status, headers, body)
  n = n + 1
  if status ~= 200 then wrk.thread:stop() end
  if n >= 2500 then wrk.thread:stop() end
end
LUA
run wrk -t 4 -c 8 -d 8s -s "$T/limit.lua" "$URL/metrics"
echo "$OUT" >"$T/wrk.txt"
reqs=$(awk '/requests in/{print $1}' "$T/wrk.txt")
if [ -n "$reqs" ] && [ "$reqs" -ge 10000 ] && ! grep -qE 'Socket errors|Non-2xx' "$T/wrk.txt"; then
	pass "wrk: $reqs requests to /metrics, 0 errors ($(awk '/Requests\/sec/{print $2}' "$T/wrk.txt") req/s)"
else
	fail "wrk: $OUT"
fi
sleep 0.3
fds_after=$(ls "/proc/$IPID/fd" | wc -l)
[ "$fds_after" = "$fds_before" ] && pass "ward-init's open fds stable ($fds_before before, $fds_after after)" || fail "fds $fds_before -> $fds_after"
run curl -sf "$URL/metrics"
n200=$(awk -F' ' '/^ward_http_requests_total\{code="200"\}/{print $2}' <<<"$OUT")
[ "$n200" -ge "$reqs" ] && pass "ward_http_requests_total counts them ($n200)" || fail "200 count $n200 < $reqs"
check "promtool still accepts /metrics after load" bash -c "curl -sf '$URL/metrics' | promtool check metrics"
rss=$(awk '/^VmRSS:/{print $2}' "/proc/$IPID/status")
pass "ward-init VmRSS after load: ${rss} kB"

kill -TERM "$IPID"
wait_exit "$IPID"
[ "$RC" = 143 ] && pass "SIGTERM: exit 143" || fail "exit $RC"
check "every log line is JSON" log_ok "$T/m.log"

# --metrics off: no listener at all.
start_init "$T/off.log" --policy "$T/p.json" --metrics off -- /bin/sleep 30
wait_event "$T/off.log" server_started
[ "$(code "$URL/healthz")" = 000 ] && pass "--metrics off: nothing listens" || fail "--metrics off still listens"
kill -TERM "$IPID"
wait_exit "$IPID"
finish
