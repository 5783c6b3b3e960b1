#!/usr/bin/env bash
# The red team: tests/redteam/server.py plays a compromised inference
# server under ward-init and tries to exec, write the model, read memory,
# dump core, reach the network, attack the kernel and kill PID 1.  Twice:
# bare (ward-init PID 1 of fresh PID, mount and network namespaces, the
# host's python3.11) and in a podman+runc container started with
# --read-only --cap-drop ALL --security-opt no-new-privileges.  Every
# attempt must be blocked, the seccomp-level ones counted by ward-init,
# and the server must still answer afterwards.  Also: a tampered model
# keeps the server from starting in the container, and the OCI seccomp
# profile ward-init prints is accepted by runc with ward-init running
# under it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/init_lib.sh"

PY=/usr/bin/python3.11
RT=$WARD_SRC/tests/redteam
[ -x "$PY" ] || { fail "$PY is needed"; finish; exit; }

# check_results NAME RESULTS-JSON METRICS-FILE LOG-FILE PODMAN-PROFILE:
# every attempt blocked; every seccomp-level attempt counted by ward-init
# (unless the container runtime's own filter refused that syscall first).
check_results() {
	local name=$1
	run python3 - "$2" "$3" "$4" "${5:-}" <<'PY'
import json, re, sys
results = json.load(open(sys.argv[1]))
metrics = open(sys.argv[2]).read()
log = [json.loads(l) for l in open(sys.argv[3]) if l.startswith("{")]
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
open_holes = [k for k, v in results.items() if not v["blocked"]]
if open_holes:
    problems.append("NOT BLOCKED: " + ", ".join(f"{k} ({results[k]['detail']})" for k in open_holes))
exec_attempts = [k for k, v in results.items() if v["syscall"] in ("execve", "execveat")]
denied = counter(r'ward_exec_attempts_total\{binary="[^"]*",result="denied"')
if denied < len(exec_attempts):
    problems.append(f"exec: {denied} denials counted for {len(exec_attempts)} attempts")
if not any(e["event"] == "exec_denied" for e in log):
    problems.append("no exec_denied log line")
counted = []
for k, v in results.items():
    sc = v["syscall"]
    if sc in (None, "execve", "execveat"):
        continue
    n = counter(f'ward_seccomp_denied_total\\{{syscall="{sc}"')
    if n >= 1:
        counted.append(k)
    elif runtime_allows is not None and sc not in runtime_allows and v["errno"] in ("ENOSYS", "EPERM"):
        counted.append(k + "(runtime)")
    else:
        problems.append(f"{k}: syscall {sc} not counted by ward-init")
print(f"{len(results)} attempts, all blocked: {not open_holes}; "
      f"{len(exec_attempts)} exec attempts, {int(denied)} denials counted; "
      f"seccomp-level counted: {len(counted)}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
PY
	if [ "$RC" = 0 ]; then pass "$name: $OUT"; else fail "$name: $OUT $ERR"; fi
	grep -q '"model_unchanged": {"blocked": true' "$2" && pass "$name: the model file is unchanged" || fail "$name: model changed"
}

# ---- bare: unshare'd namespaces, ward-init as PID 1 -------------------------
B=$T/bare
mkdir -p "$B/app" "$B/bin" "$B/tmp"
chmod 1777 "$B/tmp"
sign_model "$B/models/m"
cp "$RT/server.py" "$B/app/"
install -m 0711 "$PY" "$B/bin/python3.11"
cat >"$B/policy.json" <<EOF
{"version":1,"uid":$INIT_UID,"gid":$INIT_UID,"keys_dir":"$T/keys",
 "models":[{"path":"$B/models/m","key":"model.pub"}],
 "writable":["$B/tmp"],"read_only":{"models":"refuse"},
 "landlock":{"required":true,"tcp_bind":[8080],"tcp_connect":[]},
 "metrics":{"address":"127.0.0.1:9090"}}
EOF
check "the red-team policy is valid" "$WARD_INIT" --check-policy "$B/policy.json"
unshare --pid --fork --net --mount --mount-proc -- sh -c "
	ip link set lo up &&
	mount --bind '$B/models' '$B/models' && mount -o remount,bind,ro '$B/models' &&
	exec '$WARD_INIT' --policy '$B/policy.json' -- '$B/bin/python3.11' '$B/app/server.py' \
		--port 8080 --metrics-port 9090 --model-file '$B/models/m/weights.safetensors' \
		--app-dir '$B/app' --tmp-dir '$B/tmp'" >"$B/out" 2>"$B/log" &
UPID=$!
for ((i = 0; i < 200; i++)); do grep -q '^REDTEAM ' "$B/out" 2>/dev/null && break; sleep 0.05; done
WPID=$(pgrep -P "$UPID" | head -1)
sed -n 's/^REDTEAM //p' "$B/out" >"$B/results.json"
if [ -s "$B/results.json" ] && [ -n "$WPID" ]; then
	pass "bare: ward-init verified the model, started the server, the server ran its attacks"
	in_ns() { nsenter -t "$WPID" -n "$@"; }
	in_ns curl -sf http://127.0.0.1:9090/metrics >"$B/metrics"
	check_results "bare" "$B/results.json" "$B/metrics" "$B/log"
	run in_ns curl -sf http://127.0.0.1:8080/ping
	[ "$OUT" = pong ] && pass "bare: the server still answers after the attacks" || fail "bare: /ping: $OUT"
	run in_ns curl -sf http://127.0.0.1:9090/healthz
	[ "$OUT" = ok ] && kill -0 "$WPID" && pass "bare: ward-init (PID 1) survived kill attempts, /healthz ok" || fail "bare: healthz $OUT"
	grep -q '"event":"exec_denied".*"binary":"/bin/ls"' "$B/log" &&
		pass "bare: denied execs are logged with the binary's path" || fail "bare: exec log lines"
	grep -qE '^ward_hardening_enabled\{feature="non_dumpable"\} 1' "$B/metrics" &&
		grep -qE '^ward_hardening_enabled\{feature="landlock_tcp"\} 1' "$B/metrics" &&
		pass "bare: metrics report Landlock TCP rules and a non-dumpable server" || fail "bare: hardening metrics"
	spid=$(pgrep -P "$WPID" | head -1)
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
	fail "bare: no results: $(tail -5 "$B/log") $(cat "$B/out")"
	kill -9 "$WPID" "$UPID" 2>/dev/null
fi

# ---- container: podman + runc, read-only, no capabilities -------------------
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
# libraries (ldd closure) and the red-team server; no shell, nothing else.
# Built once per content (tag = hash of the inputs), kept in podman storage.
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
key=$( (sha256sum "$PY" "$RT/server.py"; stdlib_files) | sha256sum | cut -c1-16)
IMAGE=localhost/ward-test-init-redteam:$key
if ! podman image exists "$IMAGE"; then
	R=$T/rootfs
	mkdir -p "$R/usr/bin" "$R/usr/lib/python3.11" "$R/app" "$R/ward" "$R/models" "$R/tmp" "$R/etc"
	install -m 0711 "$PY" "$R/usr/bin/python3.11"
	stdlib_files | tar -C /usr/lib/python3.11 -cf - -T - | tar -C "$R/usr/lib/python3.11" -xf -
	mkdir -p "$R/usr/lib/python3.11/lib-dynload"
	for f in "$PY" "$R"/usr/lib/python3.11/lib-dynload/*.so; do ldd "$f"; done |
		awk '/=> \//{print $3} /^\t\/lib/{print $1}' | sort -u | while read -r lib; do
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
	cp "$RT/server.py" "$R/app/server.py"
	echo "nonroot:x:$INIT_UID:$INIT_UID::/tmp:/nonexistent" >"$R/etc/passwd"
	chmod -R go-w "$R" && chmod 1777 "$R/tmp"
	tar -C "$R" --numeric-owner --owner=0 --group=0 -cf "$T/rootfs.tar" .
	for old in $(podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/ward-test-init-redteam:'); do
		podman rmi -f "$old" >/dev/null 2>&1 # our own older builds only
	done
	check "built the container image (python, its libraries, no shell)" podman import \
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
 "writable":["/tmp"],"read_only":{"root":"refuse","models":"refuse"},
 "landlock":{"required":true,"tcp_bind":[8080],"tcp_connect":[]},
 "metrics":{"address":"127.0.0.1:9090"}}
EOF
chmod -R a+rX "$C"
NAME=ward-test-init-rt-$$
trap 'podman rm -f "$NAME" "$NAME-t" "$NAME-s" >/dev/null 2>&1; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
HARDENED=(--read-only --cap-drop ALL --security-opt no-new-privileges --network none
	-v "$C/ward:/ward:ro" -v "$C/models:/models:ro")
run podman run -d --name "$NAME" "${HARDENED[@]}" "$IMAGE" /usr/bin/python3.11 /app/server.py \
	--port 8080 --metrics-port 9090 --model-file /models/m/weights.safetensors --app-dir /app --tmp-dir /tmp
[ "$RC" = 0 ] && pass "container started: --read-only --cap-drop ALL --security-opt no-new-privileges, user $INIT_UID" || fail "podman run: $ERR"
for ((i = 0; i < 300; i++)); do grep -q '^REDTEAM ' <<<"$(podman logs "$NAME" 2>/dev/null)" && break; sleep 0.1; done
podman logs "$NAME" 2>/dev/null | sed -n 's/^REDTEAM //p' >"$C/results.json"
podman logs "$NAME" 2>&1 >/dev/null | grep '^{' >"$C/log"
CPID=$(podman inspect -f '{{.State.Pid}}' "$NAME" 2>/dev/null)
if [ -s "$C/results.json" ] && [ -n "$CPID" ] && [ "$CPID" != 0 ]; then
	in_ct() { nsenter -t "$CPID" -n "$@"; }
	in_ct curl -sf http://127.0.0.1:9090/metrics >"$C/metrics"
	check_results "container" "$C/results.json" "$C/metrics" "$C/log" /usr/share/containers/seccomp.json
	run in_ct curl -sf http://127.0.0.1:8080/ping
	[ "$OUT" = pong ] && pass "container: the server still answers after the attacks" || fail "container: /ping: $OUT"
	run in_ct curl -sf http://127.0.0.1:9090/healthz
	[ "$OUT" = ok ] && pass "container: ward-init (PID 1) alive, /healthz ok" || fail "container: healthz $OUT"
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

# A tampered model: the server never starts.
cp -a "$C/models" "$C/models-t"
printf 'Z' | dd of="$C/models-t/m/weights.safetensors" bs=1 seek=1000 conv=notrunc status=none
TAMPERED=(--read-only --cap-drop ALL --security-opt no-new-privileges --network none
	-v "$C/ward:/ward:ro" -v "$C/models-t:/models:ro")
run podman run --name "$NAME-t" "${TAMPERED[@]}" "$IMAGE" /usr/bin/python3.11 /app/server.py --port 8080
[ "$RC" = 1 ] && grep -q '"event":"model_resource_failed".*"resource":"weights.safetensors","verdict":"mismatch"' <<<"$ERR" &&
	! grep -q REDTEAM <<<"$OUT" && pass "container: one flipped byte in the model: exit 1, server never started" ||
	fail "container: tampered model: exit $RC: $(tail -3 <<<"$ERR")"

# exec.allow without CAP_SYS_PTRACE: ward-init cannot read the exec path of
# the non-dumpable server, so it defers to Landlock, which runs only the
# listed interpreter (a file outside the list fails with EACCES).
mkdir -p "$C/ward2/keys"
install -m 0755 "$C/ward/init" "$C/ward2/init"
cp "$C/ward/keys/model.pub" "$C/ward2/keys/"
sed 's#"writable"#"exec":{"allow":["/usr/bin/python3.11"]},"writable"#' "$C/ward/policy.json" >"$C/ward2/policy.json"
chmod -R a+rX "$C/ward2"
DEFER=(--read-only --cap-drop ALL --security-opt no-new-privileges --network none
	-v "$C/ward2:/ward:ro" -v "$C/models:/models:ro")
run podman run --rm "${DEFER[@]}" "$IMAGE" /usr/bin/python3.11 -c '
import subprocess, sys
print("child:", subprocess.run([sys.executable, "-c", "print(6*7)"], capture_output=True).stdout.decode().strip())
try:
    subprocess.run(["/ward/init", "--version"])
except OSError as e:
    print("other:", e.errno)'
grep -q "child: 42" <<<"$OUT" && grep -q "other: 13" <<<"$OUT" && grep -q '"event":"exec_deferred"' <<<"$ERR" &&
	pass "container: exec.allow deferred to Landlock: the listed binary runs, another gets EACCES" ||
	fail "container: deferred exec: $OUT $(grep -E 'exec_|start_failed' <<<"$ERR" | tail -3)"

# The OCI seccomp profile ward-init prints: runc loads it, ward-init runs under it.
"$WARD_INIT" --print-seccomp-profile >"$T/profile.json"
run podman run --name "$NAME-s" "${HARDENED[@]}" --security-opt seccomp="$T/profile.json" "$IMAGE" \
	/usr/bin/python3.11 -c 'import socket; socket.socket().bind(("127.0.0.1", 8080)); print("served")'
[ "$RC" = 0 ] && grep -q served <<<"$OUT" && grep -q '"event":"hardened"' <<<"$ERR" &&
	pass "container: ward-init's OCI seccomp profile works under runc" || fail "container: seccomp profile: $RC $(tail -3 <<<"$ERR")"
finish
