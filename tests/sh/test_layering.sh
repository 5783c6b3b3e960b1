#!/usr/bin/env bash
# The parts of libward depend only on parts listed before them (DESIGN.md
# "Parts"): no part includes the header of a later part, so a part can be
# built, read and tested with only what is below it.  ward-init (PID 1)
# reaches only core, crypto and oms.
. "$(dirname "$0")/lib.sh"

ORDER="core crypto oms oci deb wheel registry build sbom attest vuln fleet deploy check release report"

rank() {
	local i=0 p
	for p in $ORDER; do
		[ "$p" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo -1
}

# includes DIR: the parts DIR's files include ("part/header.h"), one a line.
includes() {
	grep -ho '^#include "[a-z_]*/' "$1"/*.c "$1"/*.h 2>/dev/null | sed 's/^#include "//; s/\/$//' | sort -u
}

for dir in "$WARD_SRC"/lib/*/; do
	part=$(basename "$dir")
	me=$(rank "$part")
	if [ "$me" = -1 ]; then
		fail "lib/$part is not in the layering order (add it to ORDER here and to DESIGN.md's parts)"
		continue
	fi
	bad=""
	for dep in $(includes "$dir"); do
		[ "$dep" = "$part" ] && continue
		r=$(rank "$dep")
		if [ "$r" = -1 ] || [ "$r" -ge "$me" ]; then bad="$bad $dep"; fi
	done
	if [ -z "$bad" ]; then pass "lib/$part includes only parts below it"
	else fail "lib/$part includes later parts:$bad"; fi
done

bad=""
for dep in $(includes "$WARD_SRC/init"); do
	case $dep in core | crypto | oms) ;; *) bad="$bad $dep" ;; esac
done
if [ -z "$bad" ]; then pass "init/ includes only core, crypto and oms"
else fail "init/ includes$bad"; fi

# What PID 1 links: no source of a part above oms.
if grep -o 'lib/[a-z]*/' "$WARD_SRC/init/sources.cmake" | sort -u | grep -qv -e 'lib/core/' -e 'lib/crypto/' -e 'lib/oms/'; then
	fail "init/sources.cmake links a part above oms: $(grep -o 'lib/[a-z]*/' "$WARD_SRC/init/sources.cmake" | sort -u | tr '\n' ' ')"
else
	pass "ward-init links only core, crypto and oms"
fi

finish
