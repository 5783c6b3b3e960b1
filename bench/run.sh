#!/usr/bin/env bash
# bench/run.sh: every benchmark under bench/, one after another.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rc=0
for b in "$here"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $(basename "$b")"
	bash "$b" || rc=1
done
exit $rc
