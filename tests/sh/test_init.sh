#!/usr/bin/env bash
# ward-init: command line, policy schema, bad input (nothing starts), model
# verification at start, exit codes, signals, zombie reaping, the exec
# gate's allow-list and non-dumpable servers.  Runs the real binary as root;
# the server runs as uid 65532.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/init_lib.sh"

SCHEMA=$WARD_SRC/docs/policy.schema.json
validate_policy() { # validate_policy FILE: valid against docs/policy.schema.json
	python3 - "$SCHEMA" "$1" <<'PY'
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
errs = [e.message for e in v.iter_errors(json.load(open(sys.argv[2])))]
sys.exit("; ".join(errs) if errs else 0)
PY
}

# ---- command line -----------------------------------------------------------
expect 0 "--version" "$WARD_INIT" --version
grep -q "^ward-init " <<<"$OUT" && pass "--version names ward-init" || fail "--version: $OUT"
expect 0 "--help" "$WARD_INIT" --help
expect 2 "no command is a usage error" "$WARD_INIT"
expect 2 "unknown option" "$WARD_INIT" --bogus -- /bin/true
run "$WARD_INIT" --print-default-policy
echo "$OUT" >"$T/default.json"
check "the default policy validates against docs/policy.schema.json" validate_policy "$T/default.json"
python3 -c "
import json,sys; p=json.load(open('$T/default.json'))
assert p['models']==[] and p['writable']==['/tmp'] and p['exec']['allow']==[], p
assert p['metrics']['address'].startswith('127.0.0.1:'), p
assert p['uid']==65532 and p['signals']['forward']=='process_group', p" &&
	pass "default policy: no models, writes only under /tmp, exec once, loopback metrics" ||
	fail "default policy content"
expect 0 "--check-policy accepts the default policy" "$WARD_INIT" --check-policy "$T/default.json"
check "--check-policy output validates against the schema" bash -c "'$WARD_INIT' --check-policy '$T/default.json' >'$T/checked.json' && python3 -c 'import json; json.load(open(\"$T/checked.json\"))'"

# Every accepted policy validates against the schema, every refused one
# fails it (the schema and the parser agree).
good=('"uid":0' '"models":[{"path":"/m","key":"k.pub"}]' '"writable":["/","/var/tmp"]'
	'"landlock":{"tcp_bind":[8080],"tcp_connect":[]}' '"metrics":null'
	'"metrics":{"address":"[::1]:9100"}' '"read_only":{"root":"refuse","models":"landlock"}'
	'"exec":{"allow":["/usr/bin/python3"]}' '"dumpable":"refuse"')
bad=('"uid":-1' '"models":[{"path":"/m"}]' '"models":[{"path":"m","key":"k"}]'
	'"writable":["/tmp/../etc"]' '"landlock":{"tcp_bind":[70000]}' '"metrics":{"address":"host:1"}'
	'"read_only":{"root":"landlock"}' '"exec":{"allow":["python3"]}' '"dumpable":"ignore"'
	'"extra":1' '"models":[{"path":"/m","key":"../k"}]' '"log_level":"trace"')
agree=0
for g in "${good[@]}"; do
	policy "$T/p.json" "$g"
	"$WARD_INIT" --check-policy "$T/p.json" >/dev/null 2>&1 && validate_policy "$T/p.json" 2>/dev/null &&
		agree=$((agree + 1)) || fail "policy should be valid: $g"
done
for b in "${bad[@]}"; do
	policy "$T/p.json" "$b"
	run "$WARD_INIT" --check-policy "$T/p.json"
	if [ "$RC" = 2 ] && one_line && ! validate_policy "$T/p.json" 2>/dev/null; then
		agree=$((agree + 1))
	else
		fail "policy should be invalid (exit $RC): $b"
	fi
done
[ "$agree" = $((${#good[@]} + ${#bad[@]})) ] && pass "parser and schema agree on $agree policies" || true

# ---- bad input: clear error, non-zero exit, nothing started -----------------
PY=/usr/bin/python3.11
mkdir -p "$T/tmp" && chmod 1777 "$T/tmp"
MARK=$T/tmp/started
SERVER=(/bin/sh -c ": >$MARK")
nothing_started() { # nothing_started RC NEEDLE WHAT ARGS...
	local want=$1 needle=$2 what=$3
	shift 3
	rm -f "$MARK"
	run "$WARD_INIT" "$@" -- "${SERVER[@]}"
	if [ "$RC" = "$want" ] && [ ! -e "$MARK" ] && grep -qF -- "$needle" <<<"$ERR" && log_ok <(echo "$ERR") 2>/dev/null; then
		pass "$what: exit $RC, JSON log names it, server not started"
	else
		fail "$what: exit $RC (want $want), started=$([ -e "$MARK" ] && echo yes || echo no): $(tail -2 <<<"$ERR")"
	fi
}
sign_model "$T/model"
nothing_started 2 "nope.json" "missing policy file" --policy "$T/nope.json"
echo '{"version":1,' >"$T/broken.json"
nothing_started 2 "invalid JSON" "truncated policy" --policy "$T/broken.json"
policy "$T/typo.json" '"writeable":["/tmp"]'
nothing_started 2 "unknown field \\\"writeable\\\"" "policy with a misspelt field" --policy "$T/typo.json"
policy "$T/nomodel.json" "\"models\":[{\"path\":\"$T/no-such-model\",\"key\":\"model.pub\"}]"
nothing_started 2 "no-such-model" "missing model directory" --policy "$T/nomodel.json"
policy "$T/nokey.json" "\"models\":[{\"path\":\"$T/model\",\"key\":\"absent.pub\"}]"
nothing_started 2 "absent.pub" "missing key" --policy "$T/nokey.json"
echo "not a key" >"$T/keys/garbage.pub"
policy "$T/garbage.json" "\"models\":[{\"path\":\"$T/model\",\"key\":\"garbage.pub\"}]"
nothing_started 2 "garbage.pub" "a key file that is not a key" --policy "$T/garbage.json"
# Unreadable for the user ward-init runs as (root reads everything).
cp "$T/keys/model.pub" "$T/keys/secret.pub" && chmod 000 "$T/keys/secret.pub"
policy "$T/unread.json" "\"models\":[{\"path\":\"$T/model\",\"key\":\"secret.pub\"}],\"uid\":$INIT_UID,\"gid\":$INIT_UID"
rm -f "$MARK"
run setpriv --reuid=$INIT_UID --regid=$INIT_UID --clear-groups "$WARD_INIT" --policy "$T/unread.json" --metrics off -- "${SERVER[@]}"
[ "$RC" = 3 ] && [ ! -e "$MARK" ] && grep -q "secret.pub" <<<"$ERR" &&
	pass "unreadable key: exit 3, named, server not started" || fail "unreadable key: exit $RC: $ERR"
# The models here live on a writable mount: these policies loosen
# read_only.models explicitly (the default refuses; tested below).
LOOSE='"read_only":{"models":"landlock"}'
policy "$T/ok.json" "\"models\":[{\"path\":\"$T/model\",\"key\":\"model.pub\"}],\"metrics\":null,$LOOSE"
rm -f "$MARK"
run "$WARD_INIT" --policy "$T/ok.json" -- /no/such/server
[ "$RC" = 127 ] && grep -q '"event":"server_not_found"' <<<"$ERR" && pass "missing server binary: exit 127" || fail "missing server: $RC $ERR"
run "$WARD_INIT" --policy "$T/ok.json" -- no-such-server-in-path
[ "$RC" = 127 ] && pass "server not in PATH: exit 127" || fail "server not in PATH: $RC"
printf '#!/bin/sh\n' >"$T/noexec.sh"
chmod 644 "$T/noexec.sh"
run "$WARD_INIT" --policy "$T/ok.json" -- "$T/noexec.sh"
[ "$RC" = 126 ] && pass "server not executable: exit 126" || fail "server not executable: $RC"
run "$WARD_INIT" --policy "$T/ok.json" --metrics nonsense -- /bin/true
[ "$RC" = 2 ] && pass "--metrics with a bad address: exit 2" || fail "--metrics nonsense: $RC"
policy "$T/rorefuse.json" '"read_only":{"root":"refuse"},"metrics":null'
nothing_started 3 '"event":"root_writable"' "writable / with read_only.root refuse" --policy "$T/rorefuse.json"
policy "$T/mdefault.json" "\"models\":[{\"path\":\"$T/model\",\"key\":\"model.pub\"}],\"metrics\":null"
nothing_started 3 '"event":"model_writable"' "a model on a writable mount (the default refuses)" --policy "$T/mdefault.json"
grep -q '"event":"policy_loosened".*"field":"read_only.models"' <(run "$WARD_INIT" --policy "$T/ok.json" -- /bin/true; echo "$ERR") &&
	pass "read_only.models landlock is logged as a loosening" || fail "no policy_loosened line for read_only.models"
policy "$T/mcovered.json" "\"models\":[{\"path\":\"$T/model\",\"key\":\"model.pub\"}],\"writable\":[\"$T\"],\"metrics\":null,$LOOSE"
nothing_started 3 "not protected by Landlock" "model under a writable path (Landlock cannot protect it)" --policy "$T/mcovered.json"
# On a read-only mount it starts; a writable mount beneath it (one file
# bind-mounted read-write, a tmpfs over a subdirectory) is refused.
in_ro() { # in_ro EXTRA-MOUNTS ARGS...: ward-init in a mount namespace, $T/model read-only
	local extra=$1
	shift
	unshare --mount --propagation private -- sh -c "mount --bind '$T/model' '$T/model' &&
		mount -o remount,bind,ro '$T/model' && $extra exec \"\$@\"" sh "$@"
}
rm -f "$MARK"
run in_ro "" "$WARD_INIT" --policy "$T/mdefault.json" -- "${SERVER[@]}"
[ "$RC" = 0 ] && [ -e "$MARK" ] && pass "a model on a read-only mount: the server starts" || fail "ro model: exit $RC: $(tail -2 <<<"$ERR")"
rm -f "$MARK"
rm -rf "$T/subrw" && cp -a "$T/model/sub" "$T/subrw" # the same bytes, on a writable mount
run in_ro "mount --bind '$T/subrw' '$T/model/sub' &&" "$WARD_INIT" --policy "$T/mdefault.json" -- "${SERVER[@]}"
[ "$RC" = 3 ] && [ ! -e "$MARK" ] && grep -q "\"event\":\"model_writable\",\"fields\":{\"path\":\"$T/model/sub\"" <<<"$ERR" &&
	pass "a writable mount beneath a read-only model is found and refused" || fail "writable submount: exit $RC: $(tail -2 <<<"$ERR")"
# A FIFO for a signature must not hang ward-init: refused at once.
rm -rf "$T/mfifo" && cp -a "$T/model" "$T/mfifo" && rm "$T/mfifo/model.sig" && mkfifo "$T/mfifo/model.sig"
policy "$T/mfifo.json" "\"models\":[{\"path\":\"$T/mfifo\",\"key\":\"model.pub\"}],\"metrics\":null,$LOOSE"
rm -f "$MARK"
run timeout 20 "$WARD_INIT" --policy "$T/mfifo.json" -- "${SERVER[@]}"
[ "$RC" = 2 ] && [ ! -e "$MARK" ] && grep -q "not a regular file" <<<"$ERR" &&
	pass "a FIFO model.sig: refused at once (exit 2), no hang" || fail "FIFO model.sig: exit $RC: $(tail -2 <<<"$ERR")"
# Verification that does not finish within verify_timeout, and SIGTERM
# while it runs: ward-init stops at once either way.
head -c $((512 << 20)) /dev/zero >"$T/mbig.bin" 2>/dev/null
WARD_PASSWORD=test "$WARD" model sign "$T/mbig.bin" --key "$T/signing.key" --signature "$T/mbig.sig" >/dev/null 2>&1
chmod a+r "$T/mbig.bin" "$T/mbig.sig"
policy "$T/mslow.json" "\"models\":[{\"path\":\"$T/mbig.bin\",\"signature\":\"$T/mbig.sig\",\"key\":\"model.pub\"}],\"metrics\":null,\"verify_threads\":1,\"verify_timeout\":1,$LOOSE"
run "$WARD_INIT" --policy "$T/mslow.json" -- "${SERVER[@]}"
if grep -q '"model_verified"' <<<"$ERR"; then
	pass "verify_timeout: (512 MiB verified within 1 s here: the deadline was not reached)"
else
	[ "$RC" = 1 ] && grep -q "verify_timeout" <<<"$ERR" && pass "verify_timeout: exit 1 when verification takes longer" ||
		fail "verify_timeout: exit $RC: $(tail -2 <<<"$ERR")"
fi
policy "$T/mslow2.json" "\"models\":[{\"path\":\"$T/mbig.bin\",\"signature\":\"$T/mbig.sig\",\"key\":\"model.pub\"}],\"metrics\":null,\"verify_threads\":1,$LOOSE"
start_init "$T/vs.log" --policy "$T/mslow2.json" -- "${SERVER[@]}"
sleep 0.1
kill -TERM "$IPID"
wait_exit "$IPID" 5
[ "$RC" = 143 ] && grep -q '"stopped_before_start"' "$T/vs.log" && ! pgrep -f "ward-init --policy $T/mslow2.json" >/dev/null &&
	pass "SIGTERM during model verification: exit 143 at once, the verifier gone" || fail "SIGTERM during verification: $RC $(tail -2 "$T/vs.log")"
rm -f "$T/mbig.bin"

# ---- model verification at start -----------------------------------------
rm -f "$MARK"
run "$WARD_INIT" --policy "$T/ok.json" -- "${SERVER[@]}"
[ "$RC" = 0 ] && [ -e "$MARK" ] && pass "clean model: the server starts" || fail "clean model: exit $RC: $ERR"
echo "$ERR" >"$T/ok.log"
check "every log line is a JSON object {ts, level, event, fields}" log_ok "$T/ok.log"
bytes=$(event_field "$T/ok.log" model_verified bytes)
want=$(($(stat -c %s "$T/model/weights.safetensors") + $(stat -c %s "$T/model/config.json") + $(stat -c %s "$T/model/sub/tokenizer.txt")))
[ "$bytes" = "$want" ] && [ -n "$(event_field "$T/ok.log" model_verified mb_per_s)" ] &&
	pass "model_verified logs the bytes hashed ($bytes) and the throughput" || fail "model_verified bytes $bytes, want $want"
tampered=0
for target in weights.safetensors config.json sub/tokenizer.txt; do
	rm -rf "$T/m2" && cp -a "$T/model" "$T/m2"
	size=$(stat -c %s "$T/m2/$target")
	python3 - "$T/m2/$target" $((size / 2)) <<'PY'
import sys
p, off = sys.argv[1], int(sys.argv[2]); b = bytearray(open(p, 'rb').read()); b[off] ^= 1
open(p, 'wb').write(bytes(b))
PY
	policy "$T/m2.json" "\"models\":[{\"path\":\"$T/m2\",\"key\":\"model.pub\"}],\"metrics\":null,$LOOSE"
	rm -f "$MARK"
	run "$WARD_INIT" --policy "$T/m2.json" -- "${SERVER[@]}"
	if [ "$RC" = 1 ] && [ ! -e "$MARK" ] && grep -q "\"resource\":\"$target\",\"verdict\":\"mismatch\"" <<<"$ERR"; then
		tampered=$((tampered + 1))
	else
		fail "one flipped byte in $target: exit $RC, started=$([ -e "$MARK" ] && echo yes)"
	fi
done
[ "$tampered" = 3 ] && pass "one flipped byte in any model file: exit 1, resource named, server never starts"
rm -rf "$T/m2" && cp -a "$T/model" "$T/m2" && echo extra >"$T/m2/extra.bin"
nothing_started 1 '"verdict":"extra"' "an extra file in the model" --policy "$T/m2.json"
rm "$T/m2/extra.bin" "$T/m2/config.json"
nothing_started 1 '"verdict":"missing"' "a missing model file" --policy "$T/m2.json"

# ---- exit status, signals, reaping ---------------------------------------
policy "$T/plain.json" '"metrics":null'
expect 7 "the server's exit status is ward-init's" "$WARD_INIT" --policy "$T/plain.json" -- /bin/sh -c 'exit 7'
run "$WARD_INIT" --policy "$T/plain.json" -- "$PY" -c 'import os, signal; os.kill(os.getpid(), signal.SIGSEGV)'
[ "$RC" = 139 ] && grep -q '"event":"server_exited".*"signal":"SEGV","crash":true' <<<"$ERR" &&
	pass "a crashing server: exit 139, logged as a crash" || fail "crash: exit $RC: $(tail -1 <<<"$ERR")"
grep -q '"core_dumped":false' <<<"$ERR" && pass "no core dump (RLIMIT_CORE 0)" || fail "core dump status: $ERR"

for sig in TERM INT HUP; do
	start_init "$T/sig.log" --policy "$T/plain.json" -- /bin/sleep 60
	wait_event "$T/sig.log" server_started
	spid=$(event_field "$T/sig.log" server_started pid)
	kill -$sig "$IPID"
	wait_exit "$IPID"
	num=$(kill -l $sig)
	if [ "$RC" = $((128 + num)) ] && ! kill -0 "$spid" 2>/dev/null && grep -q "\"signal_forwarded\".*\"signal\":\"$sig\"" "$T/sig.log"; then
		pass "SIG$sig to ward-init reaches the server: exit $RC"
	else
		fail "SIG$sig: exit $RC, want $((128 + num))"
	fi
done

# A double-forking server: its grandchildren are reparented to ward-init
# (subreaper here, PID 1 in a container) and must be reaped, not left as
# zombies; leftovers are killed when the server exits.
cat >"$T/daemon.py" <<'PY'
import os, sys, time
for i in range(5):
    if os.fork() == 0:
        if os.fork() == 0:
            time.sleep(0.3)   # outlives its parent: reparented to ward-init
            os._exit(0)
        os._exit(0)
    os.wait()
if os.fork() == 0:
    if os.fork() == 0:
        time.sleep(600)       # a daemon left behind
    os._exit(0)
os.wait()
open(sys.argv[1], "w").write("forked")
time.sleep(float(sys.argv[2]))
PY
start_init "$T/z.log" --policy "$T/plain.json" -- "$PY" "$T/daemon.py" "$T/tmp/forked" 2
wait_event "$T/z.log" server_started
for ((i = 0; i < 40; i++)); do [ -e "$T/tmp/forked" ] && break; sleep 0.05; done
sleep 0.6
# A zombie may exist for the instant between exit and reaping: only one
# that stays (ward-init not reaping) fails this.
for ((i = 0; i < 5; i++)); do
	zombies=$(ps -o stat= --ppid "$IPID" | grep -c '^Z')
	[ "$zombies" = 0 ] && break
	sleep 0.05
done
[ "$zombies" = 0 ] && pass "no zombies under ward-init while the server runs" || fail "$zombies zombies under ward-init"
orphan=$(pgrep -P "$IPID" -f daemon.py | grep -v "$(event_field "$T/z.log" server_started pid)" | head -1)
[ -n "$orphan" ] && pass "the double-forked daemon was reparented to ward-init" || fail "no reparented daemon found"
wait_exit "$IPID"
[ "$RC" = 0 ] && grep -q '"event":"leftovers_killed"' "$T/z.log" && ! kill -0 "$orphan" 2>/dev/null &&
	pass "server exit: leftovers killed and reaped, exit 0" || fail "leftovers: exit $RC, orphan alive=$(kill -0 "$orphan" 2>/dev/null && echo yes)"

# ---- the exec gate --------------------------------------------------------
run "$WARD_INIT" --policy "$T/plain.json" -- /bin/sh -c '/bin/true && echo ran'
[ "$RC" != 0 ] && ! grep -q ran <<<"$OUT" && grep -q '"event":"exec_denied".*"binary":"/bin/true"' <<<"$ERR" &&
	pass "exec once: a second exec is refused and logged by name" || fail "exec once: $RC $OUT"
policy "$T/allow.json" '"metrics":null,"exec":{"allow":["/bin/true"]}'
run "$WARD_INIT" --policy "$T/allow.json" -- /bin/sh -c '/bin/true && echo ran-true; /bin/ls / >/dev/null 2>&1 && echo ran-ls; exit 0'
grep -q ran-true <<<"$OUT" && ! grep -q ran-ls <<<"$OUT" &&
	grep -q '"event":"exec_allowed","fields":{"binary":"/usr/bin/true"' <<<"$ERR" &&
	grep -q '"event":"exec_denied","fields":{"binary":"/bin/ls","why":"refused by the kernel' <<<"$ERR" &&
	pass "exec.allow: the listed binary runs (logged as the kernel ran it), another is refused, both logged" || fail "exec.allow: $OUT $ERR"
# The ELF loader is executable (it must be, to load /bin/true), but running
# it directly is seen after the exec, before its first instruction: killed.
run "$WARD_INIT" --policy "$T/allow.json" -- /bin/sh -c '/lib64/ld-linux-x86-64.so.2 /bin/true && echo ran-loader'
! grep -q ran-loader <<<"$OUT" && grep -q '"event":"exec_denied","fields":{"binary":"[^"]*/ld-linux-x86-64.so.2","why":"the loader run as a program"' <<<"$ERR" &&
	pass "exec.allow: running the ELF loader directly is killed before it runs" || fail "loader run directly: $OUT $ERR"
# Landlock holds the same list: even a path the gate was shown differently
# (a symlink elsewhere) only executes the allowed file.
ln -sf /bin/true "$T/true-link"
run "$WARD_INIT" --policy "$T/allow.json" -- /bin/sh -c "$T/true-link && echo ran-link"
grep -q ran-link <<<"$OUT" && pass "exec.allow matches the file, not the path (symlink to it runs)" || fail "symlink to allowed file: $OUT $ERR"

# ---- non-dumpable server --------------------------------------------------
install -m 0711 /usr/bin/python3.11 "$T/python3.11"
cat >"$T/hold.py" <<'PY'
import sys, time
secret = bytearray(b"model-weights-in-memory" * 100)
print(id(secret), flush=True)
time.sleep(30)
PY
start_init "$T/d.log" --policy "$T/plain.json" -- "$T/python3.11" "$T/hold.py"
wait_event "$T/d.log" server_started
spid=$(event_field "$T/d.log" server_started pid)
[ "$(event_field "$T/d.log" server_started dumpable)" = false ] && pass "server exec'd from a mode-0711 binary is non-dumpable" || fail "dumpable: $(cat "$T/d.log")"
# Another process of the same uid, outside ward-init's seccomp filter.
run setpriv --reuid=$INIT_UID --regid=$INIT_UID --clear-groups "$PY" - "$spid" <<'PY'
import ctypes, os, sys
pid = int(sys.argv[1])
try:
    open(f"/proc/{pid}/mem", "rb").read(1)
    print("mem: READ")
except OSError as e:
    print("mem:", e.errno)
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(8)
iov_l = (ctypes.c_void_p * 2)(ctypes.addressof(buf), 8)
iov_r = (ctypes.c_void_p * 2)(0x400000, 8)
r = libc.process_vm_readv(pid, iov_l, 1, iov_r, 1, 0)
print("vm:", ctypes.get_errno() if r < 0 else "READ")
PY
grep -q "mem: 13" <<<"$OUT" && grep -q "vm: 1" <<<"$OUT" &&
	pass "same-uid process: /proc/PID/mem EACCES, process_vm_readv EPERM" || fail "same-uid memory access: $OUT $ERR"
kill -TERM "$IPID"
wait_exit "$IPID"
start_init "$T/d2.log" --policy "$T/plain.json" -- "$PY" "$T/hold.py"
wait_event "$T/d2.log" server_started
grep -q '"event":"server_dumpable"' "$T/d2.log" && pass "a readable server binary is logged as dumpable" || fail "no server_dumpable warning"
kill -TERM "$IPID"
wait_exit "$IPID"
policy "$T/dref.json" '"metrics":null,"dumpable":"refuse"'
rm -f "$MARK"
run "$WARD_INIT" --policy "$T/dref.json" -- "${SERVER[@]}"
[ "$RC" = 3 ] && [ ! -e "$MARK" ] && grep -q "mode 0711" <<<"$ERR" && pass "dumpable: refuse stops a readable server binary" || fail "dumpable refuse: $RC $ERR"

finish
