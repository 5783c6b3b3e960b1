#!/usr/bin/env bash
# demo.sh: ward's main job, end to end, in out/demo/.
# Today: sign an example model with a fresh key, verify it, and show that a
# tampered copy is refused.  (The image pipeline joins as it lands.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ward=${WARD:-$root/build/bin/ward}
out=$root/out/demo
export WARD_PASSWORD=${WARD_PASSWORD:-demo-password}

[ -x "$ward" ] || { echo "demo: $ward missing; run make first" >&2; exit 3; }
rm -rf "$out"
mkdir -p "$out/model"
step() { printf '\n== %s\n' "$*"; }

step "an example model (deterministic weights)"
python3 - "$out/model" <<'PY'
import json, os, struct, sys, random
d = sys.argv[1]
rng = random.Random(42)
with open(os.path.join(d, "weights.bin"), "wb") as f:
    f.write(struct.pack("<%df" % 65536, *(rng.uniform(-1, 1) for _ in range(65536))))
with open(os.path.join(d, "config.json"), "w") as f:
    json.dump({"architecture": "mlp", "layers": [256, 256]}, f)
PY
ls -l "$out/model"

step "ward keygen (cosign-compatible key pair)"
"$ward" keygen -o "$out/signing"

step "ward model sign"
"$ward" model sign "$out/model" --key "$out/signing.key"

step "ward model verify"
"$ward" model verify "$out/model" --key "$out/signing.pub"

step "a tampered copy is refused"
cp -r "$out/model" "$out/tampered"
printf '\x00' | dd of="$out/tampered/weights.bin" bs=1 seek=1000 conv=notrunc status=none
if "$ward" model verify "$out/tampered" --key "$out/signing.pub"; then
	echo "demo: tampered model was accepted" >&2
	exit 1
fi
echo "refused, as it must be (exit 1)"
