#!/usr/bin/env python3
"""Write the example model's weights, reproducibly, with no third-party code.

usage: make_model.py OUTDIR

A small multilayer perceptron (8 -> 32 -> 32 -> 4, ReLU) for a toy
classification task.  Weights come from Python's Mersenne Twister with a
fixed seed, scaled like PyTorch's default (Kaiming-uniform) initialisation,
and are written as little-endian float32 with a JSON config that names
every tensor, its shape and its byte offset.  Same script, same bytes, on
any machine: the model directory can be signed and its signature checked
by digest in tests.
"""
import json
import math
import os
import random
import struct
import sys

LAYERS = [8, 32, 32, 4]
SEED = 20261128


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "model"
    os.makedirs(out, exist_ok=True)
    rng = random.Random(SEED)
    tensors, blob = [], bytearray()
    for i, (fan_in, fan_out) in enumerate(zip(LAYERS, LAYERS[1:])):
        bound = 1.0 / math.sqrt(fan_in)
        for name, shape, count in ((f"layers.{i}.weight", [fan_out, fan_in], fan_in * fan_out),
                                   (f"layers.{i}.bias", [fan_out], fan_out)):
            values = [rng.uniform(-bound, bound) for _ in range(count)]
            tensors.append({"name": name, "shape": shape, "dtype": "float32",
                            "offset": len(blob), "length": 4 * count})
            blob += struct.pack("<%df" % count, *values)
    with open(os.path.join(out, "weights.bin"), "wb") as f:
        f.write(blob)
    config = {"architecture": "mlp", "activation": "relu", "layers": LAYERS,
              "labels": ["cat", "dog", "bird", "fish"], "tensors": tensors}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
