#!/usr/bin/env python3
"""Regenerate request.json and expected.json for the torch-serve example.

usage: make_expected.py   (needs python3-torch and python3-numpy on the host)

The request is a fixed batch of inputs; the expected response is what the
same model code (app/model.py) computes outside the container from the
weights make_model.py writes.  Tests compare the container's answer with it.
"""
import json
import os
import random
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "app"))
import model as mlp  # noqa: E402


def main():
    rng = random.Random(7)
    request = {"inputs": [[round(rng.uniform(-2, 2), 4) for _ in range(8)] for _ in range(4)]}
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.executable, os.path.join(here, "model", "make_model.py"), d],
                       check=True)
        model, config = mlp.load(d)
        expected = mlp.predict(model, config, request["inputs"])
    for name, obj in (("request.json", request), ("expected.json", expected)):
        with open(os.path.join(here, name), "w") as f:
            json.dump(obj, f, indent=2, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
