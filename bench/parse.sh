#!/usr/bin/env bash
# bench/parse.sh: ward's parsers of untrusted input must be linear (issue
# 15).  Each case runs at N and 2N and prints the time of both and the
# ratio (goal: doubling the input costs at most ~2.2x; quadratic code shows
# ~4x), at the sizes that took minutes before:
#   status-fields   one dpkg status paragraph with N fields (ward sbom of a
#                   root filesystem: catalog_run / deb_para_get)
#   status-packages a dpkg status with N packages, each depending on the
#                   previous one (ward sbom)
#   deb-fields      a .deb whose control file has N fields (ward deb control)
#   yaml-labels     a ward.yaml with N labels (ward build reads the spec; it
#                   then stops: there is no lock)
# N defaults to 100000 (SCALE=0.25 runs a quarter of that, for old binaries).
# Each time is the best of RUNS (default 3): these machines are noisy.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
WARD=${WARD:-$here/build/bin/ward}
SCALE=${SCALE:-1}
RUNS=${RUNS:-3}
[ -x "$WARD" ] || { echo "bench/parse.sh: build ward first (make)" >&2; exit 3; }
T=$(mktemp -d "${TMPDIR:-/tmp}/ward-bench-parse.XXXXXX")
trap 'rm -rf "$T"' EXIT

gen() { # gen KIND N DIR
	python3 - "$@" <<'PY'
import io, os, subprocess, sys, tarfile
kind, n, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(d, exist_ok=True)
def status(text):
    os.makedirs(d + "/var/lib/dpkg", exist_ok=True)
    open(d + "/var/lib/dpkg/status", "w").write(text)
if kind == "status-fields":
    f = "".join("X-Field-%d: value %d\n" % (i, i) for i in range(n))
    status("Package: big\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n%s\n" % f)
elif kind == "status-packages":
    out = []
    for i in range(n):
        dep = "Depends: pkg%d (>= 1.0)\n" % (i - 1) if i else ""
        out.append("Package: pkg%d\nStatus: install ok installed\nVersion: 1.0-%d\n"
                   "Architecture: amd64\nSource: src%d\n%s" % (i, i, i % 1000, dep))
    status("\n".join(out))
elif kind == "deb-fields":
    root = d + "/pkg"
    os.makedirs(root + "/DEBIAN", exist_ok=True)
    f = "".join("X-Field-%d: v\n" % i for i in range(n))
    open(root + "/DEBIAN/control", "w").write(
        "Package: big\nVersion: 1.0\nArchitecture: all\nMaintainer: b <b@b.invalid>\n%s"
        "Description: bench\n x\n" % f)
    subprocess.run(["dpkg-deb", "-Zxz", "--build", root, d + "/big.deb"], check=True,
                   stdout=subprocess.DEVNULL)
elif kind == "yaml-labels":
    f = "".join('  label.%d: "v"\n' % i for i in range(n))
    open(d + "/ward.yaml", "w").write(
        "name: bench\npackages: [python3-minimal]\nentrypoint: [/usr/bin/python3]\n"
        "labels:\n%s" % f)
PY
}

once() { # once KIND DIR: seconds of the ward command on it
	local kind=$1 d=$2 t0 t1
	t0=$(date +%s.%N)
	case $kind in
	status-*) "$WARD" -q sbom "$d" --format cyclonedx >/dev/null 2>&1 ;;
	deb-fields) "$WARD" -q deb control "$d/big.deb" >/dev/null 2>&1 ;;
	yaml-labels) "$WARD" -q build -f "$d/ward.yaml" -o "$d/out" >/dev/null 2>&1 ;;
	esac
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}

run() { # run KIND DIR: the best of RUNS
	local best="" t
	for _ in $(seq "$RUNS"); do
		t=$(once "$@")
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
	done
	echo "$best"
}

printf '%-16s %9s %9s %9s %9s %7s\n' case N "t(N) s" 2N "t(2N) s" ratio
status=0
for kind in status-fields status-packages deb-fields yaml-labels; do
	n=$(python3 -c "print(int(100000 * $SCALE))")
	[ "$kind" = status-packages ] && n=$(python3 -c "print(int(20000 * $SCALE))")
	gen "$kind" "$n" "$T/$kind-1"
	gen "$kind" $((n * 2)) "$T/$kind-2"
	run "$kind" "$T/$kind-1" >/dev/null # warm the page cache
	a=$(run "$kind" "$T/$kind-1")
	b=$(run "$kind" "$T/$kind-2")
	r=$(echo "scale=2; $b / ($a + 0.001)" | bc)
	printf '%-16s %9d %9.3f %9d %9.3f %6.2fx\n' "$kind" "$n" "$a" $((n * 2)) "$b" "$r"
	rm -rf "$T/$kind-1" "$T/$kind-2"
done
exit $status
