# guard_lib.sh: helpers for the endpoint guard's tests (source after lib.sh).
#   GUARD_VIA     init (default): the guard runs where it runs in production,
#                 in ward-init's unprivileged helper (ward-http), ward-init
#                 as root switching to uid 65532, a server that only sleeps
#                 (the stand-in upstreams run beside it); drive: the guard
#                 alone (tests/tools/guard_drive.c), for debugging
#   start_upstream NAME ARGS...   the stand-in server (tests/py/guard_upstream.py)
#   start_guard NAME POLICY METRICS_PORT, stop_guard
#   audit NAME    the guard's own log lines (unwrapped from ward-init's) in
#                 $T/NAME.audit
#   free_port, key_hash KEY, metric NAME_WITH_LABELS (from $MPORT)

: "${WARD_BUILD:=$WARD_SRC/build-check}"
GUARD_DRIVE=${GUARD_DRIVE:-$WARD_BUILD/bin/guard_drive}
GUARD_VIA=${GUARD_VIA:-init}
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
# ward-init's helper runs as uid 65532: it reads key files and certificates
# beneath $T and connects to unix sockets there.
chmod 755 "$T"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

key_hash() { printf %s "$1" | sha256sum | cut -d' ' -f1; }

# wait_ready FILE: until FILE says "ready" (5 s).
wait_ready() {
	local i
	for i in $(seq 1 100); do
		grep -q '^ready' "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

start_upstream() {
	local name=$1
	shift
	python3 "$WARD_SRC/tests/py/guard_upstream.py" "$@" >"$T/$name.out" 2>&1 &
	PIDS+=($!)
	wait_ready "$T/$name.out" || { echo "upstream $name did not start: $(cat "$T/$name.out")"; return 1; }
}

start_guard() {
	local name=$1 policy=$2 mport=$3 i
	if [ "$GUARD_VIA" = drive ]; then
		"$GUARD_DRIVE" "$policy" "127.0.0.1:$mport" >"$T/$name.out" 2>"$T/$name.log" &
		GUARD_PID=$!
		PIDS+=($GUARD_PID)
		wait_ready "$T/$name.out" || { echo "guard $name did not start: $(cat "$T/$name.log")"; return 1; }
		return 0
	fi
	# The same policy with ward-init's /metrics on $mport (the guard's
	# metrics are part of it); the server is a process that sleeps.
	python3 - "$policy" "$mport" >"$T/$name.init.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["metrics"] = {"address": "127.0.0.1:" + sys.argv[2]}
print(json.dumps(p))
PY
	"$WARD_INIT" --policy "$T/$name.init.json" -- /bin/sleep 1000000 >"$T/$name.out" 2>"$T/$name.log" &
	GUARD_PID=$!
	PIDS+=($GUARD_PID)
	# ready: the helper answers /healthz (it builds the guard before it serves)
	for ((i = 0; i < 200; i++)); do
		curl -sf -o /dev/null "http://127.0.0.1:$mport/healthz" && return 0
		kill -0 "$GUARD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "guard $name did not start: $(tail -3 "$T/$name.log")"
	return 1
}

# stop_guard: SIGTERM, and wait until it has gone (its ports are free again).
stop_guard() {
	local i
	kill "$GUARD_PID" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		kill -0 "$GUARD_PID" 2>/dev/null || break
		sleep 0.05
	done
	wait "$GUARD_PID" 2>/dev/null
	return 0
}

# audit NAME: the guard's own JSON lines in $T/NAME.audit — through ward-init
# each is the "line" field of one of ward-init's {"event":"guard"} lines.
audit() {
	python3 - "$T/$1.log" "$GUARD_VIA" >"$T/$1.audit" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if sys.argv[2] == "drive":
        print(line, end="")
    elif o["event"] == "guard":
        print(o["fields"]["line"])
PY
}

# metric SAMPLE: its value in the guard's /metrics on $MPORT (0 when absent).
metric() {
	curl -s "http://127.0.0.1:$MPORT/metrics" | awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }'
}
