# lib.sh: helpers for ward's shell tests.  Source it first:
#   . "$(dirname "$0")/lib.sh"
# Provides $WARD, $WARD_INIT, $WARD_SRC, $WARD_SHARED, a scratch dir $T
# (removed on exit), check helpers, and a closing "N passed, N failed" line.
set -uo pipefail

: "${WARD_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${WARD:=$WARD_SRC/build-check/bin/ward}"
: "${WARD_INIT:=$WARD_SRC/build-check/bin/ward-init}"
if [ -z "${WARD_SHARED:-}" ]; then
	if [ -d "$WARD_SRC/../shared/interop" ]; then WARD_SHARED=$(cd "$WARD_SRC/../shared" && pwd)
	else WARD_SHARED=$WARD_SRC/tests/data/shared; fi
fi
export WARD WARD_INIT WARD_SRC WARD_SHARED
export WARD_NO_PROGRESS=1
T=$(mktemp -d "${TMPDIR:-/tmp}/ward-test.XXXXXX")
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
PASSED=0
FAILED=0
OUT=""
ERR=""
RC=0

pass() { PASSED=$((PASSED + 1)); echo "ok   - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }

# run CMD...: run it, keep stdout in $OUT, stderr in $ERR, status in $RC.
run() {
	local o="$T/.out" e="$T/.err"
	"$@" >"$o" 2>"$e"
	RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
}

# expect RC DESCRIPTION CMD...: the command exits with RC.
expect() {
	local want=$1 what=$2
	shift 2
	run "$@"
	if [ "$RC" = "$want" ]; then
		pass "$what"
	else
		fail "$what (exit $RC, want $want): $(echo "$ERR" | tail -3)"
	fi
}

# expect_err RC SUBSTRING DESCRIPTION CMD...: exit RC and stderr mentions SUBSTRING.
expect_err() {
	local want=$1 needle=$2 what=$3
	shift 3
	run "$@"
	if [ "$RC" = "$want" ] && grep -qF -- "$needle" <<<"$ERR"; then
		pass "$what"
	else
		fail "$what (exit $RC, want $want with \"$needle\"): $(echo "$ERR" | tail -3)"
	fi
}

# check DESCRIPTION CMD...: the command succeeds (any output is shown on failure).
check() {
	local what=$1
	shift
	run "$@"
	if [ "$RC" = 0 ]; then pass "$what"; else fail "$what: $(echo "$OUT$ERR" | tail -5)"; fi
}

# one_line: the error message is exactly one line.
one_line() {
	[ "$(printf '%s' "$ERR" | grep -c '')" -le 1 ]
}

python_oracle() { python3 "$WARD_SRC/tests/py/$1" "${@:2}"; }

# The Debian mirror comes from the system's apt sources (deb822 or one-line).
debian_mirror() {
	python3 - <<'PY'
import glob, re
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in open(path).read().split("\n\n"):
        f = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M))
        if "deb" in f.get("Types", "").split() and "bookworm" in f.get("Suites", "").split():
            print(f["URIs"].split()[0]); raise SystemExit
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        for line in open(path):
            m = re.match(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s", line)
            if m:
                print(m.group(1)); raise SystemExit
    except FileNotFoundError:
        pass
PY
}

# debootstrap_root DIR PACKAGES [SUITE]: a Debian minbase root (SUITE,
# default bookworm) with PACKAGES (comma-separated) at DIR, built once from
# the mirror of the machine's apt sources and cached (DIR.ok marks it
# whole); tests running in parallel wait on DIR.lock.  Non-zero, with the
# reason on stderr, when it cannot be made.
debootstrap_root() {
	local dir=$1 include=$2 suite=${3:-bookworm}
	[ -f "$dir.ok" ] && return 0
	mkdir -p "$(dirname "$dir")"
	(
		flock 9
		[ -f "$dir.ok" ] && exit 0
		mirror=$(debian_mirror)
		[ -n "$mirror" ] || { echo "no bookworm mirror in the apt sources" >&2; exit 1; }
		command -v debootstrap >/dev/null || { echo "debootstrap is not installed" >&2; exit 1; }
		rm -rf "$dir" "$dir.tmp"
		echo "# debootstrap --variant=minbase --include=$include $suite (cached in $dir)"
		debootstrap --variant=minbase --include="$include" "$suite" "$dir.tmp" "$mirror" \
			>"$dir.log" 2>&1 || { tail -3 "$dir.log" >&2; exit 1; }
		rm -f "$dir.tmp"/var/cache/apt/archives/*.deb # apt-get clean
		mv "$dir.tmp" "$dir" && touch "$dir.ok"
	) 9>"$dir.lock"
}

# flip_byte FILE OFFSET: invert the byte at OFFSET (a change whatever it
# held: writing a fixed byte is a no-op where the file already has it).
flip_byte() {
	python3 -c 'import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))' "$1" "$2"
}

finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}
