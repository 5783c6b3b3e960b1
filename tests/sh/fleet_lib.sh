# fleet_lib.sh: a fleet of real inputs and `ward scan` of each, for the
# ward fleet tests.  Source after lib.sh.
#   fleet_pack DIR NAME      docker-archive $T/img/NAME.tar of the root filesystem
#                            DIR, made by podman
#   fleet_prepare NAME LIST DB
#                            LIST: lines "INPUT|add options|scan options|scan
#                            target" ('|' keeps empty fields; the target is
#                            INPUT unless given: a release's is its image).  For
#                            each input: `ward scan` (scan-BASE.json) and the
#                            digest ward fleet add records; writes
#                            $T/inputs-NAME.tsv (BASE|INPUT|ADD|SCAN|DIGEST|
#                            TARGET) and $T/scans-NAME.tsv (DIGEST<TAB>scan)
#   fleet_rescan NAME DB SUFFIX
#                            the same scans against another store:
#                            $T/scans-NAME-SUFFIX.tsv
#   fleet_add_all NAME INV   ward fleet add of every input; $ADDED of them new
#   fleet_equal WHAT INV DB IDS SCANS
#                            `ward fleet impact` of every id of the file IDS
#                            equals the scans (tests/py/fleet_compare.py)
CMP="python3 $WARD_SRC/tests/py/fleet_compare.py"

fleet_pack() {
	mkdir -p "$T/img"
	tar -C "$1" -cf - . | podman import -q - "localhost/ward-test-fleet-$2-$$:1" >/dev/null 2>&1 &&
		podman save -q --format docker-archive -o "$T/img/$2.tar" "localhost/ward-test-fleet-$2-$$:1" >/dev/null 2>&1
	local rc=$?
	podman rmi -f "localhost/ward-test-fleet-$2-$$:1" >/dev/null 2>&1
	return $rc
}

fleet_prepare() {
	local name=$1 list=$2 db=$3 input addopts scanopts target base d
	: >"$T/inputs-$name.tsv"
	: >"$T/scans-$name.tsv"
	while IFS='|' read -r input addopts scanopts target; do
		[ -n "$input" ] || continue
		base=$(basename "${input%%:*}")
		[ -n "$target" ] || target=$input
		# shellcheck disable=SC2086
		"$WARD" scan "$target" --db "$db" $scanopts --json -o "$T/scan-$base.json" 2>"$T/scan-$base.err" ||
			fail "ward scan $target: $(tail -2 "$T/scan-$base.err")"
		# shellcheck disable=SC2086
		d=$("$WARD" fleet add "$input" $addopts --inventory "$T/probe.sqlite" --json 2>"$T/probe.err" |
			python3 -c "import json,sys; print(json.load(sys.stdin)[0]['digest'])") ||
			fail "ward fleet add $input: $(tail -2 "$T/probe.err")"
		printf '%s|%s|%s|%s|%s|%s\n' "$base" "$input" "$addopts" "$scanopts" "$d" "$target" \
			>>"$T/inputs-$name.tsv"
		printf '%s\t%s\n' "$d" "$T/scan-$base.json" >>"$T/scans-$name.tsv"
	done <"$list"
}

fleet_rescan() {
	local name=$1 db=$2 suffix=$3 base input addopts scanopts d target
	: >"$T/scans-$name-$suffix.tsv"
	while IFS='|' read -r base input addopts scanopts d target; do
		# shellcheck disable=SC2086
		"$WARD" scan "$target" --db "$db" $scanopts --json -o "$T/scan-$base-$suffix.json" 2>/dev/null ||
			fail "ward scan $target ($suffix)"
		printf '%s\t%s\n' "$d" "$T/scan-$base-$suffix.json" >>"$T/scans-$name-$suffix.tsv"
	done <"$T/inputs-$name.tsv"
}

fleet_add_all() {
	local name=$1 inv=$2 base input addopts scanopts d target
	ADDED=0
	while IFS='|' read -r base input addopts scanopts d target; do
		# shellcheck disable=SC2086
		run "$WARD" fleet add "$input" $addopts --inventory "$inv"
		[ "$RC" = 0 ] && grep -q "^ward: added sha256:" <<<"$ERR" && ADDED=$((ADDED + 1))
		[ "$RC" = 0 ] || echo "# ward fleet add $input: $ERR"
	done <"$T/inputs-$name.tsv"
}

fleet_equal() {
	local what=$1 inv=$2 db=$3 ids=$4 scans=$5 out
	out=$T/impact-$(echo "$what" | tr -c 'a-zA-Z0-9\n' _).json
	# shellcheck disable=SC2046
	run "$WARD" fleet impact $(cat "$ids") --db "$db" --inventory "$inv" --json -o "$out"
	if [ "$RC" != 0 ]; then
		fail "$what: impact of $(wc -l <"$ids") ids: $(tail -3 <<<"$ERR")"
		return
	fi
	run $CMP impact "$out" "$scans"
	if [ "$RC" = 0 ] && ! grep -q " 0 (advisory, image) pairs" <<<"$OUT"; then
		pass "$what: fleet impact equals ward scan for $(wc -l <"$ids") CVEs ($OUT)"
	else
		fail "$what: impact differs from scan: $OUT"
	fi
}
