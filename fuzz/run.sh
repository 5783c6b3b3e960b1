#!/usr/bin/env bash
# Run every libFuzzer target for FUZZ_SECONDS each, starting from its seeds.
# New inputs go to a scratch corpus, never into the committed seeds.
set -euo pipefail
bin=${1:?usage: run.sh BUILD/bin}
secs=${FUZZ_SECONDS:-30}
here=$(cd "$(dirname "$0")" && pwd)
fail=0
for t in "$bin"/fuzz_*; do
	name=$(basename "$t")
	case "$name" in *_replay) continue ;; esac
	work="$here/corpus-run/$name"
	mkdir -p "$work"
	echo "== $name ($secs s)"
	if ! "$t" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		"$work" "$here/corpus/$name" >"$work.log" 2>&1; then
		echo "FAILED: $name (see $work.log)"; tail -30 "$work.log"; fail=1
	else
		grep -E '^#[0-9]+.*DONE|Done [0-9]+ runs' "$work.log" | tail -1 || true
	fi
done
exit $fail
