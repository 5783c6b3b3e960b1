# guard_lib.sh: helpers for the endpoint guard's tests (source after lib.sh).
#   GUARD_DRIVE   the guard alone (tests/tools/guard_drive.c)
#   start_upstream NAME ARGS...   the stand-in server (tests/py/guard_upstream.py)
#   start_guard NAME POLICY METRICS_PORT
#   free_port, key_hash KEY, metric NAME_WITH_LABELS (from $MPORT)

: "${WARD_BUILD:=$WARD_SRC/build-check}"
GUARD_DRIVE=${GUARD_DRIVE:-$WARD_BUILD/bin/guard_drive}
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT

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
	local name=$1 policy=$2 mport=$3
	"$GUARD_DRIVE" "$policy" "127.0.0.1:$mport" >"$T/$name.out" 2>"$T/$name.log" &
	GUARD_PID=$!
	PIDS+=($GUARD_PID)
	wait_ready "$T/$name.out" || { echo "guard $name did not start: $(cat "$T/$name.log")"; return 1; }
}

# metric SAMPLE: its value in the guard's /metrics on $MPORT (0 when absent).
metric() {
	curl -s "http://127.0.0.1:$MPORT/metrics" | awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }'
}
