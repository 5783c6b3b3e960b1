#!/usr/bin/env python3
"""Write the example's ONNX model, reproducibly, with python3-onnx.

usage: make_model.py OUTDIR

A small classifier (4 features -> 16 -> 16 -> 3 classes: Gemm, Relu, Gemm,
Relu, Gemm, Softmax), weights from Python's Mersenne Twister with a fixed
seed.  Everything that could differ between machines or onnx versions is
fixed: IR version, opset, producer, names, tensor order, float32 values.
Same script, same bytes (model.onnx, labels.json), so the model directory
is signed at build time and its digest is stable in tests.
"""
import json
import math
import os
import random
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

LAYERS = [4, 16, 16, 3]
LABELS = ["setosa", "versicolor", "virginica"]
SEED = 20261206


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "model"
    os.makedirs(out, exist_ok=True)
    rng = random.Random(SEED)
    nodes, inits = [], []
    prev = "input"
    for i, (fan_in, fan_out) in enumerate(zip(LAYERS, LAYERS[1:])):
        bound = 1.0 / math.sqrt(fan_in)
        w = np.array([[rng.uniform(-bound, bound) for _ in range(fan_in)]
                      for _ in range(fan_out)], dtype=np.float32)
        b = np.array([rng.uniform(-bound, bound) for _ in range(fan_out)], dtype=np.float32)
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        nodes.append(helper.make_node("Gemm", [prev, f"w{i}", f"b{i}"], [f"h{i}"],
                                      name=f"gemm{i}", transB=1))
        prev = f"h{i}"
        if i < len(LAYERS) - 2:
            nodes.append(helper.make_node("Relu", [prev], [f"r{i}"], name=f"relu{i}"))
            prev = f"r{i}"
    nodes.append(helper.make_node("Softmax", [prev], ["probabilities"], name="softmax", axis=1))
    graph = helper.make_graph(
        nodes, "classifier",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", LAYERS[0]])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", LAYERS[-1]])],
        inits)
    model = helper.make_model(graph, producer_name="ward-example", producer_version="1",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    with open(os.path.join(out, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString(deterministic=True))
    with open(os.path.join(out, "labels.json"), "w") as f:
        json.dump(LABELS, f)
        f.write("\n")


if __name__ == "__main__":
    main()
