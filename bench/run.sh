#!/usr/bin/env bash
# bench/run.sh: every benchmark in bench/ (make bench), one after another.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for b in "$here"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $(basename "$b")"
	bash "$b"
done
