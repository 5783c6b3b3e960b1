#!/usr/bin/env bash
# make_expected.sh ROOT [OUT]: the example's model and its expected answer,
# computed OUTSIDE the image under test, in a Debian 13 root that
# debootstrap (not ward) made with the same ONNX Runtime the image locks:
#
#   debootstrap --variant=minbase \
#       --include=python3-onnxruntime,python3-onnx,python3-numpy,libre2-11 trixie ROOT MIRROR
#   bash make_expected.sh ROOT          # -> model/classifier, request.json, expected.json
#
# Why there and not in the image: the image is what the tests check, so its
# answer cannot be the reference; why not on the host: Debian 12 has no
# python3-onnxruntime.  Needs root (chroot).  OUT defaults to this directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${1:?usage: make_expected.sh ROOT [OUT]}
out=${2:-$here}
[ -x "$root/usr/bin/python3" ] || { echo "make_expected.sh: $root has no python3" >&2; exit 2; }
work=$(mktemp -d "$root/tmp/onnx-serve.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$here/app" "$here/model" "$here/make_expected.py" "$work/"
in_root=/tmp/$(basename "$work")
# ONNX Runtime reads /proc/cpuinfo and /sys: mounted in a private mount
# namespace, gone when the command ends.
in_chroot() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 PYTHONHASHSEED=0 OMP_NUM_THREADS=1 \
		unshare --mount --propagation private -- sh -c \
		'mount -t proc proc "$0/proc" && mount --rbind -o ro /sys "$0/sys" && exec chroot "$0" "$@"' \
		"$root" "$@"
}
in_chroot /usr/bin/python3 "$in_root/model/make_model.py" "$in_root/classifier"
in_chroot /usr/bin/python3 "$in_root/make_expected.py" "$in_root/classifier" "$in_root"
mkdir -p "$out/model/classifier"
cp "$work/classifier/model.onnx" "$work/classifier/labels.json" "$out/model/classifier/"
cp "$work/request.json" "$work/expected.json" "$out/"
