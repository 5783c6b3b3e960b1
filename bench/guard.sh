#!/usr/bin/env bash
# bench/guard.sh: the endpoint guard's cost, in one run, as ratios (these
# machines are noisy; compare within a run).
#  1. wrk POST /predict against the example-shaped server (bench/
#     guard_upstream.py) directly and through the guard, 1 and 64
#     connections, alternating direct/guard BENCH_ROUNDS times (median):
#     throughput ratio (guard/direct, goal >= 0.95) and added p99 latency
#     (goal < 1 ms)
#  2. latency request by request: one request direct, one through the
#     guard, alternating (BENCH_PAIRS pairs), so drift in the machine's load
#     hits both alike: p50/p99/p99.9 and what the guard adds
#  3. Server-Sent Events: time to the first event, direct vs guard (median
#     and worst of BENCH_SSE requests)
#  4. the guard's resident memory after the 64-connection runs
# BENCH_VIA=init (default): the guard where it runs in production — ward-init
# (build/bin/ward-init from `make`, or $WARD_INIT) runs the server under its
# policy (as uid 65532: run as root) and the guard in its unprivileged helper,
# audit lines through PID 1's log (to a file, as in a container).
# BENCH_VIA=drive: the guard's code alone (tests/tools/guard_drive, -O2).
# Both with API keys, the vllm-style routes, rate limits off.
# Needs: make, wrk, python3, cc.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dur=${BENCH_SECONDS:-8}
rounds=${BENCH_ROUNDS:-3}
sse_n=${BENCH_SSE:-40}
via=${BENCH_VIA:-init}
dir=$(mktemp -d /tmp/ward-bench-guard.XXXXXX)
chmod 755 "$dir" # the server runs as uid 65532 under ward-init
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$dir"' EXIT
for t in wrk python3 cc; do
	command -v $t >/dev/null || { echo "bench: $t is needed" >&2; exit 3; }
done
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [ "$via" = init ]; then
	WI=${WARD_INIT:-$root/build/bin/ward-init}
	[ -x "$WI" ] || { echo "bench: $WI is needed (make)" >&2; exit 3; }
	[ "$(id -u)" = 0 ] || { echo "bench: ward-init runs the server as uid 65532: run as root (or BENCH_VIA=drive)" >&2; exit 3; }
	[ -x /usr/bin/python3.11 ] || { echo "bench: /usr/bin/python3.11 is needed" >&2; exit 3; }
fi
# the guard alone, optimised, from the same sources as ward-init's
[ "$via" = init ] || cmake -DOUT="$dir/guard_profiles.c" "-DIN=$(ls "$root"/init/profiles/*.json | paste -sd';')" \
	-P "$root/init/profiles/embed.cmake"
[ "$via" = init ] || cc -O2 -g -D_GNU_SOURCE -DWARD_VERSION='"bench"' -I"$root/lib" -I"$root/init" -I"$root/init/helper" \
	"$root/tests/tools/guard_drive.c" "$root"/init/helper/guard{,_request,_response,_http,_keys,_stats,_tls}.c \
	"$root"/init/guard_policy.c "$root"/init/guard_route.c \
	"$root"/init/policy.c "$root"/init/jlog.c "$dir/guard_profiles.c" \
	"$root"/lib/core/{error,mem,file,log,json}.c "$root"/lib/crypto/{sha256,hasher}.c \
	-o "$dir/guard_drive" -ljansson -lssl -lcrypto -lpthread

UP=$(port) GP=$(port) MP=$(port)
KEY=sk-bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
HASH=$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)
cat >"$dir/policy.json" <<JSON
{"version":1,"guard":{"listen":"127.0.0.1:$GP","upstream":"127.0.0.1:$UP",
 "routes":[{"methods":["POST"],"path":"/predict"},{"methods":["GET"],"path":"/sse"}],
 "auth":{"keys":[{"id":"bench","sha256":"$HASH"}]},
 "limits":{"connections":1024}}}
JSON
if [ "$via" = init ]; then
	python3 - "$dir/policy.json" "$MP" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["metrics"] = {"address": "127.0.0.1:" + sys.argv[2]}
json.dump(p, open(sys.argv[1], "w"))
PY
	cp "$root/bench/guard_upstream.py" "$dir/up.py" && chmod 644 "$dir/up.py" "$dir/policy.json"
	"$WI" --policy "$dir/policy.json" -- /usr/bin/python3.11 "$dir/up.py" "$UP" >"$dir/up.out" 2>"$dir/init.log" &
	IPID=$!
	pids+=($IPID)
	for i in $(seq 200); do
		curl -sf -o /dev/null "http://127.0.0.1:$MP/healthz" && curl -s -o /dev/null "http://127.0.0.1:$UP/" && break
		kill -0 "$IPID" || { echo "bench: ward-init stopped: $(tail -3 "$dir/init.log")" >&2; exit 3; }
		sleep 0.05
	done
	GPID=$(pgrep -P "$IPID" -x ward-http)
else
	python3 "$root/bench/guard_upstream.py" "$UP" >"$dir/up.out" 2>&1 &
	pids+=($!)
	"$dir/guard_drive" "$dir/policy.json" "127.0.0.1:$MP" >"$dir/guard.out" 2>"$dir/audit.log" &
	GPID=$!
	pids+=($GPID)
	for i in $(seq 100); do grep -q ready "$dir/up.out" "$dir/guard.out" 2>/dev/null && \
		[ "$(cat "$dir/up.out" "$dir/guard.out" | grep -c ready)" = 2 ] && break; sleep 0.05; done
fi
echo "guard: $([ "$via" = init ] && echo "in ward-init's helper ward-http (pid $GPID), server under ward-init" || echo "guard_drive alone")"
# two request sizes: a 2-row batch (well under a millisecond in the server)
# and a 64-row batch (a few milliseconds), to show how the guard's fixed
# cost per request weighs against the server's work
for rows in 2 64; do
	body=$(python3 -c "import json; print(json.dumps({'inputs': [[0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8]] * $rows}))")
	cat >"$dir/post$rows.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
LUA
done

# wrk --latency: "Requests/sec: N" and "99% Xms|us|s"
run_wrk() { # run_wrk PORT CONNS ROWS -> "rps p99_ms non2xx"
	local threads=1
	[ "$2" -gt 1 ] && threads=2
	wrk -t"$threads" -c"$2" -d"${dur}s" --latency -s "$dir/post$3.lua" "http://127.0.0.1:$1/predict" |
		python3 -c '
import re, sys
t = sys.stdin.read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
v, u = re.search(r"\n\s+99%\s+([\d.]+)(us|ms|s)", t).groups()
err = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print(rps, float(v) * {"us": 1e-3, "ms": 1, "s": 1e3}[u], err.group(1) if err else 0)'
}

echo "host: $(nproc) CPUs, load average $(cut -d" " -f1-3 /proc/loadavg) (other work on the machine shows in the spread)"
echo "== 1. wrk POST /predict, ${dur} s per run, $rounds rounds alternating (median)"
: >"$dir/results"
for rows in 2 64; do
	for conns in 1 64; do
		for r in $(seq "$rounds"); do
			echo "direct $conns $rows $(run_wrk "$UP" "$conns" "$rows")" >>"$dir/results"
			echo "guard $conns $rows $(run_wrk "$GP" "$conns" "$rows")" >>"$dir/results"
		done
	done
done
rss=$(awk '/VmRSS/ {print $2}' /proc/$GPID/status)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$GPID/status)

echo "== 2. latency, request by request: direct and guard alternating on two kept-alive connections"
python3 - "$UP" "$GP" "$KEY" "${BENCH_PAIRS:-3000}" >"$dir/pairs" <<'PY'
import socket, sys, time
up, gp, key, n = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
body = b'{"inputs": [[0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8], [1, 1, 1, 1, 0, 0, 0, 0]]}'
req = (b"POST /predict HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n"
       b"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n" % (key.encode(), len(body)) + body)
def conn(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s
def one(s):
    t0 = time.perf_counter()
    s.sendall(req)
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, rest = buf.split(b"\r\n\r\n", 1)
    cl = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
    while len(rest) < cl:
        rest += s.recv(65536)
    return (time.perf_counter() - t0) * 1e3
d, g = conn(up), conn(gp)
res = {"direct": [], "guard": []}
for i in range(n):
    res["direct"].append(one(d))
    res["guard"].append(one(g))
for k, v in res.items():
    v.sort()
    print(k, v[len(v) // 2], v[int(len(v) * 0.99)], v[int(len(v) * 0.999)])
PY

echo "== 3. SSE: time to the first event ($sse_n requests each)"
python3 - "$UP" "$GP" "$KEY" "$sse_n" >"$dir/sse" <<'PY'
import socket, sys, time
up, gp, key, n = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def first_event(port):
    s = socket.create_connection(("127.0.0.1", port))
    t0 = time.perf_counter()
    s.sendall(b"GET /sse HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer %s\r\n\r\n" % key.encode())
    buf = b""
    while b"data: " not in buf:
        buf += s.recv(65536)
    t = time.perf_counter() - t0
    s.close()
    return t * 1e3
res = {"direct": [], "guard": []}
for i in range(n):
    res["direct"].append(first_event(up))
    res["guard"].append(first_event(gp))
for k, v in res.items():
    v.sort()
    print(k, v[len(v) // 2], v[int(len(v) * 0.99) - 1 if len(v) >= 100 else -1])
PY

python3 - "$dir/results" "$dir/sse" "$rss" "$hwm" "$(cat "$dir"/audit.log "$dir"/init.log 2>/dev/null | grep -c '"request' || true)" "$dir/pairs" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print()
print("| batch rows | connections | direct req/s | guard req/s | ratio (goal >= 0.95) | direct p99 ms | guard p99 ms | added p99 ms (goal < 1) | non-2xx |")
print("|---|---|---|---|---|---|---|---|---|")
for n in ("2", "64"):
    for c in ("1", "64"):
        d = [r for r in rows if r[0] == "direct" and r[1] == c and r[2] == n]
        g = [r for r in rows if r[0] == "guard" and r[1] == c and r[2] == n]
        dr = statistics.median(float(r[3]) for r in d)
        gr = statistics.median(float(r[3]) for r in g)
        dp = statistics.median(float(r[4]) for r in d)
        gpp = statistics.median(float(r[4]) for r in g)
        errs = sum(int(r[5]) for r in g + d)
        print("| %s | %s | %.0f | %.0f | %.3f | %.2f | %.2f | %+.2f | %d |" % (n, c, dr, gr, gr / dr, dp, gpp, gpp - dp, errs))
pairs = dict((l.split()[0], [float(x) for x in l.split()[1:]]) for l in open(sys.argv[6]))
print()
print("| request by request (alternating) | p50 ms | p99 ms | p99.9 ms |")
print("|---|---|---|---|")
for k in ("direct", "guard"):
    print("| %s | %.3f | %.3f | %.3f |" % (k, *pairs[k]))
print("| added by the guard (goal p99 < 1 ms) | %+.3f | %+.3f | %+.3f |" %
      tuple(g - d for g, d in zip(pairs["guard"], pairs["direct"])))
sse = dict((l.split()[0], l.split()[1:]) for l in open(sys.argv[2]))
print()
print("| SSE first event | median ms | worst ms |")
print("|---|---|---|")
for k in ("direct", "guard"):
    print("| %s | %.2f | %.2f |" % (k, float(sse[k][0]), float(sse[k][1])))
print()
print("guard resident memory after the runs: %.1f MiB (peak %.1f MiB); %s audit lines written" %
      (int(sys.argv[3]) / 1024, int(sys.argv[4]) / 1024, sys.argv[5]))
PY
