#!/usr/bin/env bash
# The red team: tests/redteam/server.py plays a compromised inference
# server under ward-init and tries to exec (by path, by memfd, through the
# loader, from shellcode), write the model, read memory, dump core, reach
# the network by every family and protocol, listen where it was not told
# to, starve /healthz, forge ward-init's log, hijack ward-init's seccomp
# notifications, and harm every process outside its own tree (limits,
# priorities, scheduling, memory, signals).  Twice: bare (ward-init PID 1
# of fresh PID and mount namespaces, the host's python3.11) and in a
# podman+runc container started as `ward deploy` starts one (--read-only
# --cap-drop ALL --security-opt no-new-privileges --user 65532).  Both run
# under the policy ward build writes (models, writable, the declared port):
# every other field is the default.  Every attempt must be blocked, each
# refusal counted by ward-init (or refused by the kernel where the test says
# so), PID 1 and its helper untouched, and the server still serving.  Then
# the same with exec.allow listing the interpreter: the loader, memfds and
# a path-swapping race still run nothing.  Also: a tampered model keeps the
# server from starting, and the OCI profile ward-init prints works under runc.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/init_lib.sh"

PY=/usr/bin/python3.11
RT=$WARD_SRC/tests/redteam
[ -x "$PY" ] || { fail "$PY is needed"; finish; exit; }

# ---- the network namespace the server runs in, with listeners outside its
# sandbox that record whatever it manages to send --------------------------
UDP=5300
mkdir -p "$T/sock"
chmod 0777 "$T/sock"
unshare --net -- sleep 600 &
HOLDER=$!
for ((i = 0; i < 100; i++)); do [ "$(readlink /proc/$HOLDER/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.02; done
NETNS=/proc/$HOLDER/ns/net
in_net() { nsenter --net="$NETNS" "$@"; }
in_net ip link set lo up
nsenter --net="$NETNS" python3 "$RT/recorder.py" "$T/recv" $UDP "$T/sock/outside.sock" 2>"$T/recorder.err" &
RECORDER=$!
for ((i = 0; i < 100; i++)); do [ -e "$T/recv.ready" ] && break; sleep 0.05; done
[ -e "$T/recv.ready" ] || fail "recorder did not start: $(cat "$T/recorder.err")"
touch "$T/recv"
cleanup() {
	kill "$RECORDER" "$HOLDER" 2>/dev/null
	podman rm -f "$NAME" "$NAME-x" "$NAME-t" "$NAME-s" >/dev/null 2>&1
	chmod -R u+w "$T" 2>/dev/null
	rm -rf "$T"
}
NAME=ward-test-init-rt-$$
trap cleanup EXIT
[ -n "${KEEP_T:-}" ] && trap "kill $RECORDER $HOLDER" EXIT

# check_results NAME DIR PODMAN-PROFILE: every attempt blocked; every
# seccomp-level attempt counted by ward-init (unless the container
# runtime's own filter refused that syscall first); the controls (what a
# server legitimately does to itself) still work.
check_results() {
	local name=$1 dir=$2
	run python3 - "$dir/results.json" "$dir/metrics" "$dir/log" "${3:-}" "$dir/controls.json" <<'PY'
import json, re, sys
results = json.load(open(sys.argv[1]))
metrics = open(sys.argv[2]).read()
log = [json.loads(l) for l in open(sys.argv[3]) if l.startswith("{")]
controls = json.load(open(sys.argv[5]))
runtime_allows = None
if sys.argv[4]:
    # What podman's default profile lets a container without capabilities do.
    prof = json.load(open(sys.argv[4]))
    runtime_allows = set()
    for rule in prof["syscalls"]:
        if rule["action"] == "SCMP_ACT_ALLOW" and not rule.get("includes", {}).get("caps") \
                and not rule.get("args"):
            runtime_allows.update(rule["names"])
def counter(pattern):
    return sum(float(m.group(1)) for m in re.finditer(pattern + r"\} (\S+)", metrics))
problems = []
skip = {"_victims"}
open_holes = [k for k, v in results.items() if k not in skip and not v["blocked"]]
if open_holes:
    problems.append("NOT BLOCKED: " + ", ".join(f"{k} ({results[k]['errno']}: {results[k]['detail']})" for k in open_holes))
bad_controls = [k for k, v in controls.items() if not v["ok"]]
if bad_controls:
    problems.append("BROKEN for the server itself: " + ", ".join(f"{k} ({controls[k]['detail']})" for k in bad_controls))
exec_attempts = [k for k, v in results.items() if v["syscall"] in ("execve", "execveat")]
denied = counter(r'ward_exec_attempts_total\{binary="[^"]*",result="denied"')
if denied < len(exec_attempts):
    problems.append(f"exec: {denied} denials counted for {len(exec_attempts)} attempts")
if exec_attempts and not any(e["event"] == "exec_denied" for e in log):
    problems.append("no exec_denied log line")
counted = []
for k, v in results.items():
    sc = v["syscall"]
    if k in skip or sc in (None, "execve", "execveat"):
        continue
    n = counter(f'ward_seccomp_denied_total\\{{syscall="{sc}"')
    if n >= 1:
        counted.append(k)
    elif runtime_allows is not None and sc not in runtime_allows and v["errno"] in ("ENOSYS", "EPERM"):
        counted.append(k + "(runtime)")
    else:
        problems.append(f"{k}: syscall {sc} not counted by ward-init")
victims = results.get("_victims", {}).get("pids", [])
print(f"{len(results) - len(skip)} attempts on {len(victims)} other processes and the kernel, "
      f"all blocked: {not open_holes}; {len(exec_attempts)} exec attempts, {int(denied)} denials "
      f"counted; seccomp-level counted: {len(counted)}; {len(controls)} controls ok: {not bad_controls}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
PY
	if [ "$RC" = 0 ]; then pass "$name: $OUT"; else fail "$name: $OUT $ERR"; fi
}

# check_untouched NAME PID...: ward-init and its helpers kept their limits,
# niceness, scheduling policy and CPU affinity.
check_untouched() {
	local name=$1 p bad=""
	shift
	for p in "$@"; do
		grep -qE '^Max cpu time +unlimited' "/proc/$p/limits" || bad="$bad $p:cpu-limit"
		[ "$(awk '/^Max open files/{print $4}' "/proc/$p/limits")" -gt 16 ] || bad="$bad $p:nofile"
		[ "$(cut -d' ' -f19 "/proc/$p/stat")" = 0 ] || bad="$bad $p:nice=$(cut -d' ' -f19 "/proc/$p/stat")($(cat /proc/$p/comm))"
		[ "$(cut -d' ' -f41 "/proc/$p/stat")" = 0 ] || bad="$bad $p:policy"
		[ "$(awk '/^Cpus_allowed_list/{print $2}' "/proc/$p/status")" = "$(awk '/^Cpus_allowed_list/{print $2}' /proc/self/status)" ] || bad="$bad $p:affinity"
	done
	[ -z "$bad" ] && pass "$name: ward-init and its helper (pids $*) keep their limits, nice, policy, affinity" ||
		fail "$name: changed:$bad"
}

# check_network NAME PORT-OF-UNBOUND-LISTENER: nothing reached the
# recorder, and a listener the server opened without bind() (if listen()
# let it) is not reachable from its network namespace.
check_network() {
	local name=$1 port=$2
	[ ! -s "$T/recv" ] && pass "$name: no UDP, unix (pathname, datagram, abstract) data reached a listener" ||
		fail "$name: exfiltrated: $(head -5 "$T/recv")"
	: >"$T/recv"
	if [ -z "$port" ] || [ "$port" = 0 ]; then
		pass "$name: listen() without bind() refused"
	else
		run in_net python3 -c "
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(('127.0.0.1', $port)); print('connected')
except OSError as e:
    print('refused', e)"
		grep -q refused <<<"$OUT" && pass "$name: listen() without bind (port $port) accepts no connection" ||
			fail "$name: the unbound listener on port $port is reachable: $OUT"
	fi
}

# check_starvation NAME: /healthz answers within 100 ms while 1,000
# idle and slow connections are held open.
check_starvation() {
	local name=$1
	run in_net python3 "$RT/hold.py" 127.0.0.1 9090 900 100 20
	run_json=$OUT
	if python3 -c "
import json, sys; r = json.loads(sys.argv[1])
sys.exit(0 if r['ok'] == r['samples'] and r['max_ms'] < 100 else 1)" "$OUT" 2>/dev/null; then
		pass "$name: /healthz with 1,000 held connections: max $(python3 -c "import json,sys;r=json.loads(sys.argv[1]);print(r['max_ms'], 'ms over 20 requests, retaken after >= 100 ms:', r['retaken_ms'])" "$run_json")"
	else
		fail "$name: /healthz starved: $OUT $ERR"
	fi
}

# ---- bare: ward-init PID 1 of fresh PID and mount namespaces -----------------
B=$T/bare
mkdir -p "$B/app" "$B/bin" "$B/tmp"
chmod 1777 "$B/tmp"
sign_model "$B/models/m"
cp "$RT/server.py" "$B/app/"
install -m 0711 "$PY" "$B/bin/python3.11"
# What ward build writes for this image: user, models, writable, the declared
# port.  Everything else is ward-init's default.
cat >"$B/policy.json" <<EOF
{"version":1,"uid":$INIT_UID,"gid":$INIT_UID,"keys_dir":"$T/keys",
 "models":[{"path":"$B/models/m","key":"model.pub"}],
 "writable":["$B/tmp"],"landlock":{"tcp_bind":[8080]}}
EOF
check "the red-team policy is valid" "$WARD_INIT" --check-policy "$B/policy.json"
# start_bare DIR POLICY ARGS...: ward-init as PID 1 in a fresh PID and mount
# namespace inside the recorder's network namespace; $UPID, $WPID.
start_bare() {
	local dir=$1 pol=$2
	shift 2
	nsenter --net="$NETNS" unshare --pid --fork --mount --mount-proc -- sh -c "
	mount --bind '$B/models' '$B/models' && mount -o remount,bind,ro '$B/models' &&
	exec '$WARD_INIT' --policy '$pol' -- '$B/bin/python3.11' '$B/app/server.py' \
		--port 8080 --metrics-port 9090 --model-file '$B/models/m/weights.safetensors' \
		--app-dir '$B/app' --tmp-dir '$B/tmp' --udp-port $UDP --unix-path '$T/sock/outside.sock' $*" \
		>"$dir/out" 2>"$dir/log" &
	UPID=$!
	for ((i = 0; i < 600; i++)); do grep -q '^CONTROLS ' "$dir/out" 2>/dev/null && break; sleep 0.05; done
	WPID=$(pgrep -P "$UPID" | head -1)
	sed -n 's/^REDTEAM //p' "$dir/out" >"$dir/results.json"
	sed -n 's/^CONTROLS //p' "$dir/out" >"$dir/controls.json"
}
# others PID1: ward-init and the processes it runs beside the server (its
# HTTP helper, its guard): not the server's children it inherited.
others() {
	echo "$1" $(pgrep -P "$1" -x 'ward-http|ward-guard')
}
start_bare "$B" "$B/policy.json"
if [ -s "$B/results.json" ] && [ -n "$WPID" ]; then
	pass "bare: ward-init verified the model, started the server, the server ran its attacks"
	in_net curl -sf http://127.0.0.1:9090/metrics >"$B/metrics"
	check_results "bare" "$B"
	check_untouched "bare" $(others "$WPID")
	check_network "bare" "$(python3 -c "import json;print(json.load(open('$B/results.json'))['listen_unbound'].get('port',0))")"
	check_starvation "bare"
	grep -q '"model_unchanged": {"blocked": true' "$B/results.json" && pass "bare: the model file is unchanged" || fail "bare: model changed"
	run in_net curl -sf http://127.0.0.1:8080/ping
	[ "$OUT" = pong ] && pass "bare: the server still answers after the attacks" || fail "bare: /ping: $OUT"
	run in_net curl -sf http://127.0.0.1:9090/healthz
	[ "$OUT" = ok ] && kill -0 "$WPID" && pass "bare: ward-init (PID 1) survived, /healthz ok" || fail "bare: healthz $OUT"
	grep -q '"event":"exec_denied".*"binary":"/bin/ls"' "$B/log" &&
		pass "bare: denied execs are logged with the path the server gave" || fail "bare: exec log lines"
	! grep -q FORGED "$B/log" && grep -q FORGED "$B/out" &&
		pass "bare: the server's forged log line is on its own stream, not ward-init's" || fail "bare: forged line in ward-init's log"
	grep -qE '^ward_hardening_enabled\{feature="non_dumpable"\} 1' "$B/metrics" &&
		grep -qE '^ward_hardening_enabled\{feature="landlock_tcp"\} 1' "$B/metrics" &&
		pass "bare: metrics report Landlock TCP rules and a non-dumpable server" || fail "bare: hardening metrics"
	spid=$(pgrep -P "$WPID" -f server.py | head -1)
	run setpriv --reuid=$INIT_UID --regid=$INIT_UID --clear-groups "$PY" -c "open('/proc/$spid/mem','rb').read(1)"
	[ "$RC" != 0 ] && grep -q PermissionError <<<"$ERR" &&
		pass "bare: another uid-$INIT_UID process cannot read the server's memory" || fail "bare: /proc/mem readable"
	check "bare: the model still verifies (ward model verify)" "$WARD" model verify "$B/models/m" --key "$T/keys/model.pub"
	[ ! -e /ward-pwned ] && [ ! -e "$B/app/pwned.py" ] && pass "bare: nothing written to / or the app directory" || fail "bare: files written"
	kill -TERM "$WPID"
	wait "$UPID"
	RC=$?
	[ "$RC" = 143 ] && pass "bare: SIGTERM to PID 1 from outside: exit 143" || fail "bare: exit $RC"
	check "bare: every log line is JSON" log_ok "$B/log"
else
	fail "bare: no results: $(tail -5 "$B/log") $(tail -5 "$B/out")"
	kill -9 "$WPID" "$UPID" 2>/dev/null
fi

# exec.allow lists the interpreter (workers): nothing else may run.
BX=$T/bare-x
mkdir -p "$BX"
sed 's#"writable"#"exec":{"allow":["'"$B"'/bin/python3.11"]},"writable"#' "$B/policy.json" >"$BX/policy.json"
start_bare "$BX" "$BX/policy.json" --mode exec-allow
if [ -s "$BX/results.json" ] && [ -n "$WPID" ]; then
	in_net curl -sf http://127.0.0.1:9090/metrics >"$BX/metrics"
	check_results "bare, exec.allow" "$BX"
	grep -q '"event":"exec_allowed"' "$BX/log" && pass "bare, exec.allow: the listed interpreter's exec is logged" ||
		fail "bare, exec.allow: no exec_allowed line"
	kill -TERM "$WPID"
	wait "$UPID"
else
	fail "bare, exec.allow: no results: $(tail -5 "$BX/log") $(tail -5 "$BX/out")"
	kill -9 "$WPID" "$UPID" 2>/dev/null
fi

# ---- container: podman + runc, as ward deploy runs it -----------------------
if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
	fail "podman and runc are needed (scripts/install-deps.sh)"
	finish
	exit
fi
cat >"$T/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF=$T/containers.conf

# The image: python3.11, the standard library it needs, its shared
# libraries (ldd closure), the red-team server and one ordinary program the
# policy never lists (id); no shell, nothing else.  Built once per content
# (tag = hash of the inputs), kept in podman storage.
stdlib_files() {
	(cd /usr/lib/python3.11 && find . -type f \
		-not -path './test/*' -not -path './idlelib/*' -not -path './tkinter/*' \
		-not -path './lib2to3/*' -not -path './ensurepip/*' -not -path './pydoc_data/*' \
		-not -path './turtledemo/*' -not -path './distutils/*' -not -path './config-3.11*' \
		-not -path './site-packages/*' -not -path './dist-packages/*' -not -path '*/__pycache__/*' \
		-not -path './asyncio/*' -not -path './xml/*' \
		-not -path './unittest/*' -not -path './sqlite3/*' -not -path './curses/*' \
		-not -path './venv/*' -not -name '_test*' -not -name '*_test.*' -not -name 'xx*' \
		-not -name '_ssl.*' -not -name '_hashlib.*' -not -name '_sqlite3.*' -not -name '_curses*' \
		-not -name '_dbm.*' -not -name 'readline.*' -not -name '_tkinter*' -not -name 'nis.*' \
		-not -name 'ossaudiodev.*' | sort)
}
ID=$(command -v id)
key=$( (sha256sum "$PY" "$ID" "$RT/server.py"; stdlib_files) | sha256sum | cut -c1-16)
IMAGE=localhost/ward-test-init-redteam:$key
if ! podman image exists "$IMAGE"; then
	R=$T/rootfs
	mkdir -p "$R/usr/bin" "$R/usr/lib/python3.11" "$R/app" "$R/ward" "$R/models" "$R/tmp" "$R/etc" "$R/sock"
	install -m 0711 "$PY" "$R/usr/bin/python3.11"
	install -m 0755 "$ID" "$R/usr/bin/id"
	stdlib_files | tar -C /usr/lib/python3.11 -cf - -T - | tar -C "$R/usr/lib/python3.11" -xf -
	mkdir -p "$R/usr/lib/python3.11/lib-dynload"
	for f in "$PY" "$ID" "$R"/usr/lib/python3.11/lib-dynload/*.so; do ldd "$f"; done |
		awk '/=> \//{print $3} /^\t\/lib/{print $1}' | sort -u | while read -r lib; do
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
	cp "$RT/server.py" "$R/app/server.py"
	echo "nonroot:x:$INIT_UID:$INIT_UID::/tmp:/nonexistent" >"$R/etc/passwd"
	chmod -R go-w "$R" && chmod 1777 "$R/tmp"
	tar -C "$R" --numeric-owner --owner=0 --group=0 -cf "$T/rootfs.tar" .
	check "built the container image (python, its libraries, id, no shell)" podman import \
		--change 'ENTRYPOINT ["/ward/init", "--"]' --change "USER $INIT_UID:$INIT_UID" \
		"$T/rootfs.tar" "$IMAGE"
	pass "image size: $(du -h "$T/rootfs.tar" | cut -f1) (tar)"
else
	pass "container image cached: $IMAGE"
fi

C=$T/ct
mkdir -p "$C/ward/keys" "$C/models"
install -m 0755 "$WARD_INIT" "$C/ward/init"
cp "$T/keys/model.pub" "$C/ward/keys/model.pub"
cp -a "$B/models/m" "$C/models/m"
cat >"$C/ward/policy.json" <<EOF
{"version":1,"uid":$INIT_UID,"gid":$INIT_UID,
 "models":[{"path":"/models/m","key":"model.pub"}],
 "writable":["/tmp"],"landlock":{"tcp_bind":[8080]}}
EOF
chmod -R a+rX "$C"
# As ward deploy writes it (lib/deploy/run.c), in the recorder's network.
HARDENED=(--read-only --cap-drop ALL --security-opt no-new-privileges --user $INIT_UID:$INIT_UID
	--network "ns:$NETNS" -v "$C/models:/models:ro,nosuid,nodev,noexec"
	-v "$T/sock:/sock" --tmpfs /tmp:rw,noexec,nosuid,nodev,size=64m,mode=1777)
# start_ct NAME WARD-DIR ARGS...: the red-team server in a container; $CPID.
start_ct() {
	local name=$1 dir=$2 i
	shift 2
	podman rm -f "$name" >/dev/null 2>&1
	run podman run -d --name "$name" "${HARDENED[@]}" -v "$dir:/ward:ro" "$IMAGE" \
		/usr/bin/python3.11 /app/server.py --port 8080 --metrics-port 9090 \
		--model-file /models/m/weights.safetensors --app-dir /app --tmp-dir /tmp \
		--udp-port $UDP --unix-path /sock/outside.sock "$@"
	[ "$RC" = 0 ] || fail "podman run $name: $ERR"
	for ((i = 0; i < 600; i++)); do podman logs "$name" 2>/dev/null | grep -q '^CONTROLS ' && break; sleep 0.1; done
	CPID=$(podman inspect -f '{{.State.Pid}}' "$name" 2>/dev/null)
}
collect_ct() { # collect_ct NAME DIR
	podman logs "$1" 2>/dev/null | sed -n 's/^REDTEAM //p' >"$2/results.json"
	podman logs "$1" 2>/dev/null | sed -n 's/^CONTROLS //p' >"$2/controls.json"
	podman logs "$1" 2>/dev/null >"$2/out"
	podman logs "$1" 2>&1 >/dev/null | grep '^{' >"$2/log"
}
start_ct "$NAME" "$C/ward"
collect_ct "$NAME" "$C"
if [ -s "$C/results.json" ] && [ -n "$CPID" ] && [ "$CPID" != 0 ]; then
	pass "container started as ward deploy starts it (--read-only --cap-drop ALL, user $INIT_UID)"
	in_net curl -sf http://127.0.0.1:9090/metrics >"$C/metrics"
	check_results "container" "$C" /usr/share/containers/seccomp.json
	check_untouched "container" $(others "$CPID")
	check_network "container" "$(python3 -c "import json;print(json.load(open('$C/results.json'))['listen_unbound'].get('port',0))")"
	check_starvation "container"
	grep -q '"model_unchanged": {"blocked": true' "$C/results.json" && pass "container: the model file is unchanged" || fail "container: model changed"
	run in_net curl -sf http://127.0.0.1:8080/ping
	[ "$OUT" = pong ] && pass "container: the server still answers after the attacks" || fail "container: /ping: $OUT"
	run in_net curl -sf http://127.0.0.1:9090/healthz
	[ "$OUT" = ok ] && pass "container: ward-init (PID 1) alive, /healthz ok" || fail "container: healthz $OUT"
	! grep -q FORGED "$C/log" && grep -q FORGED "$C/out" &&
		pass "container: the server's forged log line is on its own stream" || fail "container: forged line in ward-init's log"
	grep -qE '^ward_hardening_enabled\{feature="read_only_root"\} 1' "$C/metrics" &&
		grep -qE '^ward_hardening_enabled\{feature="non_dumpable"\} 1' "$C/metrics" &&
		pass "container: read-only root and non-dumpable server reported" || fail "container: hardening metrics"
	check "container: promtool accepts /metrics" bash -c "promtool check metrics <'$C/metrics'"
	spid=$(event_field "$C/log" server_started pid)
	run podman exec --user $INIT_UID "$NAME" /usr/bin/python3.11 -c "open('/proc/$spid/mem','rb').read(1)"
	[ "$RC" != 0 ] && grep -q PermissionError <<<"$ERR" &&
		pass "container: a same-uid process (podman exec) cannot read the server's memory" || fail "container: mem: $RC $ERR"
	run podman exec "$NAME" /bin/sh -c true
	[ "$RC" != 0 ] && pass "container: there is no shell to exec into" || fail "container: a shell ran"
	run podman stop -t 10 "$NAME"
	code=$(podman inspect -f '{{.State.ExitCode}}' "$NAME")
	[ "$code" = 143 ] && pass "container: podman stop (SIGTERM to PID 1): exit 143" || fail "container: exit $code"
else
	fail "container: no results: $(podman logs "$NAME" 2>&1 | tail -5)"
fi

# exec.allow in the container, without CAP_SYS_PTRACE: the same tricks.
mkdir -p "$C/wardx/keys" "$T/ctx"
install -m 0755 "$C/ward/init" "$C/wardx/init"
cp "$C/ward/keys/model.pub" "$C/wardx/keys/"
sed 's#"writable"#"exec":{"allow":["/usr/bin/python3.11"]},"writable"#' "$C/ward/policy.json" >"$C/wardx/policy.json"
chmod -R a+rX "$C/wardx"
start_ct "$NAME-x" "$C/wardx" --mode exec-allow
collect_ct "$NAME-x" "$T/ctx"
if [ -s "$T/ctx/results.json" ]; then
	in_net curl -sf http://127.0.0.1:9090/metrics >"$T/ctx/metrics"
	check_results "container, exec.allow" "$T/ctx" /usr/share/containers/seccomp.json
else
	fail "container, exec.allow: no results: $(podman logs "$NAME-x" 2>&1 | tail -5)"
fi
podman rm -f "$NAME-x" >/dev/null 2>&1

# A tampered model: the server never starts.
cp -a "$C/models" "$C/models-t"
python3 -c "
f = open('$C/models-t/m/weights.safetensors', 'r+b'); f.seek(1000); b = f.read(1)
f.seek(1000); f.write(bytes([b[0] ^ 1]))"  # a bit flipped: always a change
run podman run --name "$NAME-t" --read-only --cap-drop ALL --security-opt no-new-privileges --network none \
	-v "$C/ward:/ward:ro" -v "$C/models-t:/models:ro" "$IMAGE" /usr/bin/python3.11 /app/server.py --port 8080
[ "$RC" = 1 ] && grep -q '"event":"model_resource_failed".*"resource":"weights.safetensors","verdict":"mismatch"' <<<"$ERR" &&
	! grep -q REDTEAM <<<"$OUT" && pass "container: one flipped bit in the model: exit 1, server never started" ||
	fail "container: tampered model: exit $RC: $(tail -3 <<<"$ERR")"

# The OCI seccomp profile ward-init prints: runc loads it, ward-init runs under it.
"$WARD_INIT" --print-seccomp-profile >"$T/profile.json"
run podman run --name "$NAME-s" --read-only --cap-drop ALL --security-opt no-new-privileges --network none \
	-v "$C/ward:/ward:ro" -v "$C/models:/models:ro" --security-opt seccomp="$T/profile.json" "$IMAGE" \
	/usr/bin/python3.11 -c 'import socket; socket.socket().bind(("127.0.0.1", 8080)); print("served")'
[ "$RC" = 0 ] && grep -q served <<<"$OUT" && grep -q '"event":"hardened"' <<<"$ERR" &&
	pass "container: ward-init's OCI seccomp profile works under runc" || fail "container: seccomp profile: $RC $(tail -3 <<<"$ERR")"
finish
