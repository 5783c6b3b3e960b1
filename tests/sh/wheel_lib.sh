# wheel_lib.sh: real wheels for the wheel tests.  Source after lib.sh.
#   debian_wheel PKG DIST VERSION OUT   a wheel of DIST VERSION built (pip wheel,
#                 offline) from the Python sources Debian ships in binary
#                 package PKG (apt-get download; the workplace's mirror serves
#                 no source tarballs for apt-get source), into OUT
#   debian_whl NAME   the path of Debian's own NAME wheel (python3-NAME-whl)

debian_wheel() {
	local pkg=$1 dist=$2 version=$3 out=$4 w=$T/debwheel-$1
	rm -rf "$w" && mkdir -p "$w/src" "$out"
	(cd "$w" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
		echo "apt-get download $pkg failed" >&2
		return 1
	}
	dpkg-deb -x "$w"/"${pkg}"_*.deb "$w/x" || return 1
	cp -r "$w/x/usr/lib/python3/dist-packages/$dist" "$w/src/" || return 1
	cat >"$w/src/setup.py" <<PY
from setuptools import setup
setup(name="$dist", version="$version", packages=["$dist"], include_package_data=True)
PY
	(cd "$w/src" && env -i PATH=/usr/bin:/bin HOME="$w" SOURCE_DATE_EPOCH=1700000000 \
		/usr/bin/python3 -m pip wheel -q --no-deps --no-build-isolation --no-index \
		--disable-pip-version-check -w "$out" . >/dev/null 2>&1) || {
		echo "pip wheel of $dist $version failed" >&2
		return 1
	}
}

debian_whl() {
	ls /usr/share/python-wheels/"$1"-*-py3-none-any.whl 2>/dev/null | head -1
}
