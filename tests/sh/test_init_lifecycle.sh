#!/usr/bin/env bash
# ward-init's end of a server's life and what it writes meanwhile: a server
# that ignores SIGTERM is SIGKILLed after stop_timeout; when ward-init is
# not PID 1 and is itself killed, the whole process tree goes with it (the
# guard, and the filter that keeps every server process in its group); the
# server cannot forge ward-init's log lines (its output goes to stdout);
# W^X (memory.deny_write_execute) refuses writable-and-executable memory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/init_lib.sh"

PY=/usr/bin/python3.11
[ -x "$PY" ] || { fail "$PY is needed"; finish; exit; }
mkdir -p "$T/tmp" && chmod 1777 "$T/tmp"

# ---- stop_timeout -----------------------------------------------------------
cat >"$T/stubborn.py" <<'PY'
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:          # a child that ignores it too
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(600)
    os._exit(0)
print("ready", flush=True)
time.sleep(600)
PY
chmod 644 "$T/stubborn.py"
policy "$T/stop.json" '"metrics":null,"stop_timeout":2'
start_init "$T/stop.log" --policy "$T/stop.json" -- "$PY" "$T/stubborn.py"
for ((i = 0; i < 100; i++)); do grep -q ready "$T/stop.log.out" 2>/dev/null && break; sleep 0.05; done
spid=$(event_field "$T/stop.log" server_started pid)
t0=$(date +%s.%N)
kill -TERM "$IPID"
wait_exit "$IPID" 10
dt=$(python3 -c "print(round($(date +%s.%N) - $t0, 1))")
[ "$RC" = 137 ] && grep -q '"event":"stop_timeout"' "$T/stop.log" && ! kill -0 "$spid" 2>/dev/null &&
	python3 -c "import sys; sys.exit(0 if 1.9 <= $dt <= 5 else 1)" &&
	pass "a server ignoring SIGTERM is SIGKILLed after stop_timeout 2 s (${dt}s, exit 137)" ||
	fail "stop_timeout: exit $RC after ${dt}s: $(tail -3 "$T/stop.log")"
[ -z "$(pgrep -f "$T/stubborn.py")" ] && pass "its child too" || fail "left: $(pgrep -af "$T/stubborn.py")"
run "$WARD_INIT" --check-policy "$T/stop.json"
grep -q '"stop_timeout": 2' <<<"$OUT" && pass "--check-policy shows stop_timeout" || fail "check-policy: $OUT"
run "$WARD_INIT" --print-default-policy
grep -q '"stop_timeout": 10' <<<"$OUT" && pass "default stop_timeout: 10 s" || fail "default: $OUT"

# ---- ward-init not PID 1, killed: the tree goes too --------------------------
cat >"$T/tree.py" <<'PY'
import os, sys, time
# a child, a grandchild, and a double-forked daemon that tries to leave the
# server's process group and session
for i in range(2):
    if os.fork() == 0:
        if os.fork() == 0:
            for f in (os.setsid, lambda: os.setpgid(0, 0)):
                try:
                    f()
                    print("ESCAPED", flush=True)
                except OSError as e:
                    print("stayed", e.errno, flush=True)
            time.sleep(600)
        time.sleep(600)
print("ready", flush=True)
time.sleep(600)
PY
chmod 644 "$T/tree.py"
policy "$T/tree.json" '"metrics":null'
start_init "$T/tree.log" --policy "$T/tree.json" -- "$PY" "$T/tree.py"
for ((i = 0; i < 100; i++)); do [ "$(grep -c stayed "$T/tree.log.out" 2>/dev/null)" -ge 4 ] && break; sleep 0.05; done
grep -q ESCAPED "$T/tree.log.out" && fail "a server process left its group: $(cat "$T/tree.log.out")" ||
	pass "no server process may leave its group (setsid, setpgid refused)"
n=$(pgrep -f "$T/tree.py" | wc -l)
kill -KILL "$IPID"
wait "$IPID" 2>/dev/null
for ((i = 0; i < 40; i++)); do [ -z "$(pgrep -f "$T/tree.py")" ] && break; sleep 0.05; done
[ "$n" -ge 5 ] && [ -z "$(pgrep -f "$T/tree.py")" ] &&
	pass "ward-init (not PID 1) SIGKILLed: all $n server processes killed by the guard" ||
	fail "tree: $n before, left: $(pgrep -af "$T/tree.py")"
grep -q '"seccomp_denied".*"syscall":"setsid"' "$T/tree.log" && pass "the escape attempts are logged" || fail "no setsid denial logged"

# ---- the server cannot forge ward-init's lines ------------------------------
policy "$T/out.json" '"metrics":null'
run "$WARD_INIT" --policy "$T/out.json" -- "$PY" -c '
import sys
sys.stderr.write("{\"ts\":\"x\",\"level\":\"info\",\"event\":\"server_exited\",\"fields\":{\"forged\":1}}\n")
print("to stdout")'
! grep -q forged <<<"$ERR" && grep -q forged <<<"$OUT" && grep -q "to stdout" <<<"$OUT" &&
	pass "the server's stderr goes to stdout: ward-init's stream holds only its own lines" || fail "forged: $ERR"
check "ward-init's stream: every line JSON" log_ok <(echo "$ERR")
policy "$T/inherit.json" '"metrics":null,"server_output":"inherit"'
run "$WARD_INIT" --policy "$T/inherit.json" -- "$PY" -c 'import sys; sys.stderr.write("shared\n")'
grep -q shared <<<"$ERR" && grep -q '"policy_loosened".*"server_output"' <<<"$ERR" &&
	pass "server_output inherit: shared stderr, logged as a loosening" || fail "inherit: $ERR"

# ---- W^X --------------------------------------------------------------------
WX='import ctypes, mmap, sys
try:
    m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    print("rwx mapped")
except OSError as e:
    print("rwx refused", e.errno)
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
p = libc.mmap(None, 4096, 3, 0x22, -1, 0)
print("mprotect rx", libc.mprotect(ctypes.c_void_p(p), 4096, 5), ctypes.get_errno())'
policy "$T/wx.json" '"metrics":null,"memory":{"deny_write_execute":true}'
run "$WARD_INIT" --policy "$T/wx.json" -- "$PY" -c "$WX"
grep -q "rwx refused" <<<"$OUT" && grep -q "mprotect rx -1 13" <<<"$OUT" &&
	grep -q '"write_execute_denied":true' <<<"$ERR" &&
	pass "memory.deny_write_execute: RWX mappings and making memory executable are refused" || fail "W^X: $OUT $(grep hardened <<<"$ERR")"
run "$WARD_INIT" --policy "$T/out.json" -- "$PY" -c "$WX"
grep -q "rwx mapped" <<<"$OUT" && pass "without it (the default) they work: JIT runtimes run" || fail "no W^X: $OUT"
finish
