#!/usr/bin/env bash
# bench/fleet.sh: ward fleet on a synthetic fleet, SQLite and PostgreSQL, side
# by side with the per-image approach (`ward scan` of every image's SBOM).
#
# The fleet (bench/fleet_gen.py, seeded): N images (default 10,000) whose
# package sets are drawn from the real Debian 12 Packages indices of this
# machine's apt lists (bookworm main + bookworm-security: ~200 components
# each, ~2M component rows), as CycloneDX SBOMs.  The store: shared/vulndata.
# Measured, per backend:
#   add        time to `ward fleet add` every SBOM (500 per process)
#   impact     `ward fleet impact ID` per advisory, whole process, median and
#              max over 100 random CVEs of the store and over 100 random
#              Debian advisories (they hit the packages every image has)
#   sync       the first sync (every image), then a sync after `ward db
#              import` of 1,000 changed records (modified, fixed, withdrawn)
#   RSS        the peak of any one ward process; database size
# Baseline, in the same run: `ward scan SBOM --json` of SAMPLE images (default
# 200), times N: what answering one advisory costs when every image must be
# rescanned.  Goals (issue 18): impact < 100 ms SQLite, < 1 s PostgreSQL;
# sync of 1,000 changed advisories < 60 s; peak RSS <= 256 MiB.
# Usage: N=10000 SAMPLE=200 BACKENDS="sqlite postgresql" bench/fleet.sh
# (needs a release build: make; PostgreSQL from scripts/install-deps.sh --test)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
WARD=${WARD:-$here/build/bin/ward}
SHARED=${WARD_SHARED:-$here/tests/data/shared}
[ -d "$here/../shared/vulndata" ] && SHARED=$(cd "$here/../shared" && pwd)
VD=$SHARED/vulndata
N=${N:-10000}
SEED=${SEED:-1}
SAMPLE=${SAMPLE:-200}
BACKENDS=${BACKENDS:-"sqlite postgresql"}
export WARD_NO_PROGRESS=1
T=$(mktemp -d "${TMPDIR:-/tmp}/ward-bench-fleet.XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$here/tests/sh/pg_lib.sh"

# measure CMD: "seconds peak_rss_kib" of one run of the shell command CMD
measure() {
	python3 - "$1" <<'PY'
import os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1); os.dup2(fd, 2)
    os.execvp("sh", ["sh", "-c", sys.argv[1]])
_, status, ru = os.wait4(pid, 0)
if status != 0:
    sys.exit("failed: %s" % sys.argv[1][:300])
print("%.4f %d %.4f" % (time.perf_counter() - t0, ru.ru_maxrss, ru.ru_utime + ru.ru_stime))
PY
}

# prefix P: every line of stdin with "P " before it
prefix() {
	local line
	while IFS= read -r line; do printf '%s %s\n' "$1" "$line"; done
}

# each: median, max, total seconds, peak RSS and count over the commands, one a line on stdin
each() {
	python3 -c '
import os, statistics, sys, time
ts, cpu, rss = [], [], 0
for line in sys.stdin:
    cmd = line.rstrip("\n")
    if not cmd:
        continue
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1); os.dup2(fd, 2)
        os.execvp("sh", ["sh", "-c", cmd])
    _, status, ru = os.wait4(pid, 0)
    if status != 0:
        sys.exit("failed: %s" % cmd[:300])
    ts.append(time.perf_counter() - t0)
    cpu.append(ru.ru_utime + ru.ru_stime)
    rss = max(rss, ru.ru_maxrss)
print("%.4f %.4f %.4f %d %d %.4f" % (statistics.median(ts), max(ts), sum(ts), rss, len(ts),
                                     statistics.median(cpu)))'
}

echo "# generating $N images from the Debian 12 Packages indices (seed $SEED)" >&2
lists=()
for l in /var/lib/apt/lists/*_dists_bookworm_main_binary-amd64_Packages* \
	/var/lib/apt/lists/*_dists_bookworm-security_main_binary-amd64_Packages*; do
	[ -e "$l" ] || continue
	out=$T/$(basename "$l").txt
	/usr/lib/apt/apt-helper cat-file "$l" >"$out"
	lists+=("$out")
done
[ "${#lists[@]}" -gt 0 ] || { echo "no bookworm Packages index in /var/lib/apt/lists (apt-get update)" >&2; exit 3; }
gen=$(python3 "$here/bench/fleet_gen.py" "$T/sboms" "$N" "$SEED" "$VD" "${lists[@]}")
"$WARD" db import "$VD/pypi" "$VD/debian-12" --db "$T/db" 2>/dev/null

# advisories: 100 random CVEs of the store, 100 random Debian advisories;
# the newer feed: 1,000 records changed (every Debian record, the rest PyPI)
python3 - "$VD" "$SEED" "$T" <<'PY'
import glob, json, os, random, sys
vd, seed, t = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(seed)
recs = []
for p in sorted(glob.glob(os.path.join(vd, "*", "*.json"))):
    r = json.load(open(p))
    if not r.get("withdrawn"):
        recs.append((p, r))
cves = sorted({x for _, r in recs for x in [r["id"]] + r.get("aliases", []) if x.startswith("CVE-")})
deb = sorted(r["id"] for p, r in recs if "/debian-12/" in p)
open(os.path.join(t, "adv-any.txt"), "w").write("\n".join(rnd.sample(cves, 100)) + "\n")
open(os.path.join(t, "adv-deb.txt"), "w").write("\n".join(rnd.sample(deb, min(100, len(deb)))) + "\n")
os.makedirs(os.path.join(t, "feed2"))
debs = [x for x in recs if "/debian-12/" in x[0]]
pypi = [x for x in recs if "/pypi/" in x[0]]
changed = debs + rnd.sample(pypi, 1000 - len(debs))
for i, (p, r) in enumerate(changed):
    r = dict(r)
    r["modified"] = "2099-01-01T00:00:00Z"
    k = i % 4
    if k == 3:
        r["withdrawn"] = "2099-01-01T00:00:00Z"
    else:
        for a in r["affected"]:
            for g in a.get("ranges", []):
                if g.get("type") != "ECOSYSTEM":
                    continue
                ev = [e for e in g["events"] if "introduced" in e]
                fix = "99:0" if "/debian-12/" in p else "9999"
                if k == 1:   # fixed below every version: newly fixed
                    fix = "0:0~" if "/debian-12/" in p else "0.0.0.dev0"
                g["events"] = ev + [{"fixed": fix}]
            a.pop("ecosystem_specific", None) if k == 1 else None
    json.dump(r, open(os.path.join(t, "feed2", "%04d.json" % i), "w"))
PY
cp -a "$T/db" "$T/db2"
"$WARD" db import "$T/feed2" --db "$T/db2" 2>/dev/null

declare -A R
for b in $BACKENDS; do
	case $b in
	sqlite) INV=$T/fleet.sqlite ;;
	postgresql)
		pg_start >&2 || { echo "cannot start PostgreSQL" >&2; exit 3; }
		INV=$PG_URI ;;
	esac
	echo "# $b: add" >&2
	read -r _ _ tot rss cnt _ < <(find "$T/sboms" -name '*.json' | sort | xargs -n 500 echo |
		prefix "$WARD fleet add --inventory '$INV'" | each)
	R[$b.add]=$tot R[$b.add_rss]=$rss
	echo "# $b: impact" >&2
	read -r med max _ rss _ cpu < <(prefix "$WARD fleet impact --json -o /dev/null --db $T/db --inventory '$INV'" <"$T/adv-any.txt" | each)
	R[$b.imp_any]=$med R[$b.imp_any_max]=$max R[$b.imp_rss]=$rss R[$b.imp_any_cpu]=$cpu
	read -r med max _ rss _ cpu < <(prefix "$WARD fleet impact --json -o /dev/null --db $T/db --inventory '$INV'" <"$T/adv-deb.txt" | each)
	R[$b.imp_deb]=$med R[$b.imp_deb_max]=$max R[$b.imp_deb_cpu]=$cpu
	[ "$rss" -gt "${R[$b.imp_rss]}" ] && R[$b.imp_rss]=$rss
	R[$b.hits]=$("$WARD" fleet impact $(cat "$T/adv-deb.txt") --json --db "$T/db" --inventory "$INV" 2>/dev/null |
		python3 -c "import json,statistics,sys; d=json.load(sys.stdin); print(int(statistics.median(a['affected_images'] for a in d)))")
	echo "# $b: sync" >&2
	read -r t1 rss1 c1 < <(measure "$WARD fleet sync --json -o /dev/null --db $T/db --inventory '$INV'")
	read -r t2 rss2 c2 < <(measure "$WARD fleet sync --json -o $T/sync2-$b.json --db $T/db2 --inventory '$INV'")
	R[$b.sync1]=$t1 R[$b.sync2]=$t2 R[$b.sync_rss]=$((rss1 > rss2 ? rss1 : rss2))
	R[$b.sync1_cpu]=$c1 R[$b.sync2_cpu]=$c2
	R[$b.changes]=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(' '.join('%s %d' % kv for kv in d['counts'].items()))" "$T/sync2-$b.json")
	case $b in
	sqlite) R[$b.size]=$(du -b "$INV" | cut -f1) ;;
	postgresql) R[$b.size]=$(as_pg "$(pg_bin)/psql" -h "$PG_DIR/sock" -U ward -d wardtest -Atc \
		"SELECT pg_database_size('wardtest')") ;;
	esac
done

echo "# baseline: ward scan of $SAMPLE SBOMs" >&2
read -r bmed _ btot brss bcnt bcpu < <(find "$T/sboms" -name '*.json' | sort | head -n "$SAMPLE" |
	prefix "$WARD scan --json -o /dev/null --db $T/db" | each)

printf '\nfleet: %s (seed %s); store: %s records of shared/vulndata; this machine: %s cores\n' \
	"$gen" "$SEED" "$(find "$VD" -name '*.json' | wc -l)" "$(nproc)"
printf 'per-image baseline: ward scan of one SBOM, mean of %s: %.1f ms (median CPU %.1f ms, peak %d MiB) -> %.1f s to rescan %s images\n' \
	"$bcnt" "$(python3 -c "print($btot / $bcnt * 1000)")" "$(python3 -c "print($bcpu * 1000)")" \
	"$((brss / 1024))" "$(python3 -c "print($btot / $bcnt * $N)")" "$N"
printf 'load average at the end: %s (wall times include waiting for the CPU; CPU = user + system)\n\n' \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-46s' "measure"
for b in $BACKENDS; do printf '%16s' "$b"; done
printf '\n'
row() { # LABEL FORMAT KEY
	printf '%-46s' "$1"
	for b in $BACKENDS; do printf "%16s" "$(python3 -c "print($2)" "${R[$b.$3]}")"; done
	printf '\n'
}
row "add all images (s)" "'%.1f' % float(__import__('sys').argv[1])" add
row "impact, 100 random CVEs: median (ms)" "'%.1f' % (float(__import__('sys').argv[1])*1000)" imp_any
row "  median CPU (ms)" "'%.1f' % (float(__import__('sys').argv[1])*1000)" imp_any_cpu
row "  max (ms)" "'%.1f' % (float(__import__('sys').argv[1])*1000)" imp_any_max
row "impact, 100 Debian advisories: median (ms)" "'%.1f' % (float(__import__('sys').argv[1])*1000)" imp_deb
row "  median CPU (ms)" "'%.1f' % (float(__import__('sys').argv[1])*1000)" imp_deb_cpu
row "  max (ms)" "'%.1f' % (float(__import__('sys').argv[1])*1000)" imp_deb_max
row "  median images affected" "__import__('sys').argv[1]" hits
row "first sync, every image (s)" "'%.1f' % float(__import__('sys').argv[1])" sync1
row "  CPU (s)" "'%.1f' % float(__import__('sys').argv[1])" sync1_cpu
row "sync of 1,000 changed advisories (s)" "'%.1f' % float(__import__('sys').argv[1])" sync2
row "  CPU (s)" "'%.1f' % float(__import__('sys').argv[1])" sync2_cpu
row "peak RSS: add / impact / sync (MiB)" "'%d' % (int(__import__('sys').argv[1])/1024)" add_rss
row "" "'%d' % (int(__import__('sys').argv[1])/1024)" imp_rss
row "" "'%d' % (int(__import__('sys').argv[1])/1024)" sync_rss
row "database size (MiB)" "'%.0f' % (int(__import__('sys').argv[1])/1048576)" size
printf '%-46s' "per-image rescan / impact (Debian median)"
for b in $BACKENDS; do printf '%15.0fx' "$(python3 -c "print($btot / $bcnt * $N / ${R[$b.imp_deb]})")"; done
printf '\n%-46s' "per-image rescan / sync of 1,000 changes"
for b in $BACKENDS; do printf '%15.1fx' "$(python3 -c "print($btot / $bcnt * $N / ${R[$b.sync2]})")"; done
printf '\n'
for b in $BACKENDS; do echo "$b sync changes: ${R[$b.changes]}"; done
echo "goals: impact < 100 ms (SQLite), < 1 s (PostgreSQL); sync of 1,000 changes < 60 s; RSS <= 256 MiB"
