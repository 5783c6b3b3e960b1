#!/usr/bin/env python3
"""Regenerate request.json and expected.json for the onnx-serve example.

usage: make_expected.py MODELDIR   (needs Debian 13's python3-onnxruntime)

Run it OUTSIDE the image under test: make_expected.sh runs it in a Debian
13 root made by debootstrap (not by ward), with the same onnxruntime
version the image locks.  The request is a fixed batch; the expected answer
is what onnxruntime computes for it with the model make_model.py writes,
using the server's own predict() (app/server.py) so the two cannot drift.
"""
import importlib.util
import json
import os
import random
import sys

here = os.path.dirname(os.path.abspath(__file__))


def main():
    model_dir = sys.argv[1]
    os.environ["MODEL_DIR"] = model_dir
    spec = importlib.util.spec_from_file_location("server", os.path.join(here, "app", "server.py"))
    server = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(server)
    rng = random.Random(13)
    request = {"inputs": [[round(rng.uniform(-3, 3), 3) for _ in range(4)] for _ in range(5)]}
    expected = server.predict(server.SESSION, server.LABELS, request["inputs"])
    out = sys.argv[2] if len(sys.argv) > 2 else here
    for name, obj in (("request.json", request), ("expected.json", expected)):
        with open(os.path.join(out, name), "w") as f:
            json.dump(obj, f, indent=2, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
