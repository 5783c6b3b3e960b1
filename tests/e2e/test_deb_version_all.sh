#!/usr/bin/env bash
# dpkg version order, in full: 120,000 pairs drawn from every version string
# in the machine's Packages indices plus edge cases; every answer of ward is
# checked with dpkg --compare-versions.  Zero disagreements.
. "$(dirname "$0")/../sh/lib.sh"

check "120,000 pairs against dpkg --compare-versions" python_oracle version_oracle.py "$WARD" 120000 1
echo "$OUT"
grep -q "disagreements 0$" <<<"$OUT" && pass "zero disagreements" || fail "disagreements: $OUT"
finish
