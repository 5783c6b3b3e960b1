#!/usr/bin/env bash
# dpkg version order: 5,000 pairs (fixed seed) drawn from every version
# string in the machine's Packages indices plus edge cases, each answer of
# ward checked with dpkg --compare-versions.  tests/e2e/test_deb_version_all.sh
# runs 120,000.
. "$(dirname "$0")/lib.sh"

if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
	echo "skip - no Packages indices in /var/lib/apt/lists"
	finish
	exit
fi
check "5,000 pairs against dpkg --compare-versions" python_oracle version_oracle.py "$WARD" 5000 20240601
echo "$OUT"
grep -q "disagreements 0$" <<<"$OUT" && pass "zero disagreements" || fail "disagreements: $OUT"
expect 0 "vercmp: 1.0~rc1 < 1.0" "$WARD" deb vercmp 1.0~rc1 1.0
[ "$OUT" = "<" ] && pass "prints <" || fail "vercmp printed $OUT"
expect 2 "vercmp --batch refuses a malformed line" sh -c "echo onlyone | '$WARD' deb vercmp --batch"
finish
