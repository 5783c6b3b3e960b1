# init_lib.sh: helpers for ward-init's shell tests (source after lib.sh).
# ward-init runs as root here and switches the server to uid 65532, so the
# scratch directory is opened up for that user.
chmod 755 "$T"
INIT_UID=65532

# free_port: an unused TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_init LOG ARGS...: ward-init in the background, stderr to LOG; $IPID.
start_init() {
	local log=$1
	shift
	"$WARD_INIT" "$@" >"$log.out" 2>"$log" &
	IPID=$!
}

# wait_event LOG EVENT [SECONDS]: wait for a JSON log line of that event.
wait_event() {
	local log=$1 ev=$2 secs=${3:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		grep -q "\"event\":\"$ev\"" "$log" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# wait_exit PID [SECONDS]: wait for a background job; its status in $RC.
wait_exit() {
	local pid=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		RC=timeout
		return 1
	fi
	wait "$pid"
	RC=$?
}

# log_ok LOG: every line of LOG is one JSON object with ts, level, event, fields.
log_ok() {
	python3 - "$1" <<'PY'
import json, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    o = json.loads(line)
    assert isinstance(o, dict) and list(o)[:4] == ["ts", "level", "event", "fields"], (n, line)
    assert o["level"] in ("error", "warn", "info", "debug"), (n, line)
    assert isinstance(o["fields"], dict), (n, line)
PY
}

# event_field LOG EVENT FIELD: the field of the first line of that event.
event_field() {
	python3 - "$@" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    if o["event"] == sys.argv[2]:
        v = o["fields"].get(sys.argv[3])
        print(json.dumps(v) if not isinstance(v, str) else v)
        break
PY
}

# sign_model DIR: a small model signed with a fresh key in $T/keys/model.pub.
sign_model() {
	local dir=$1
	mkdir -p "$dir/sub" "$T/keys"
	head -c 300001 /dev/urandom >"$dir/weights.safetensors"
	printf '{"arch":"mlp"}' >"$dir/config.json"
	echo tok >"$dir/sub/tokenizer.txt"
	if [ ! -f "$T/signing.key" ]; then
		WARD_PASSWORD=test "$WARD" keygen -o "$T/signing" >/dev/null 2>&1
		cp "$T/signing.pub" "$T/keys/model.pub"
	fi
	WARD_PASSWORD=test "$WARD" model sign "$dir" --key "$T/signing.key" >/dev/null 2>&1
	chmod -R a+rX "$dir" "$T/keys"
}

# policy FILE JSON-FRAGMENT: a policy with version 1 plus the fragment's
# fields (a JSON object's members, without braces).
# Unless the fragment says otherwise, the server may write only $T/tmp.
policy() {
	local extra=$2
	case $extra in *'"writable"'*) ;; *) extra="\"writable\":[\"$T/tmp\"],$extra" ;; esac
	mkdir -p "$T/tmp" && chmod 1777 "$T/tmp"
	printf '{"version":1,"keys_dir":"%s/keys",%s}\n' "$T" "$extra" >"$1"
}
