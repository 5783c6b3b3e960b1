#!/usr/bin/env python3
"""Turn the one-image OCI layout LAYOUT (tag TAG) into a two-platform image
index: linux/amd64 (the image) and linux/arm64 (the same layers, a config
saying arm64), tagged TAG.  Prints the arm64 config digest.

usage: make_index.py LAYOUT TAG
"""
import hashlib
import json
import sys


def main():
    layout, tag = sys.argv[1:3]

    def put(b):
        d = hashlib.sha256(b).hexdigest()
        with open(f"{layout}/blobs/sha256/{d}", "wb") as f:
            f.write(b)
        return "sha256:" + d, len(b)

    def get(d):
        with open(f"{layout}/blobs/sha256/{d[7:]}") as f:
            return json.load(f)

    with open(f"{layout}/index.json") as f:
        idx = json.load(f)
    e = [m for m in idx["manifests"]
         if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag][0]
    m = get(e["digest"])
    cfg = get(m["config"]["digest"])
    cfg["architecture"] = "arm64"
    cd, cs = put(json.dumps(cfg).encode())
    m["config"] = dict(m["config"], digest=cd, size=cs)
    md, ms = put(json.dumps(m).encode())
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [
                 {"mediaType": e["mediaType"], "digest": e["digest"], "size": e["size"],
                  "platform": {"architecture": "amd64", "os": "linux"}},
                 {"mediaType": e["mediaType"], "digest": md, "size": ms,
                  "platform": {"architecture": "arm64", "os": "linux"}}]}
    d, n = put(json.dumps(index).encode())
    idx["manifests"] = [{"mediaType": index["mediaType"], "digest": d, "size": n,
                         "annotations": {"org.opencontainers.image.ref.name": tag}}]
    with open(f"{layout}/index.json", "w") as f:
        json.dump(idx, f)
    print(cd)


if __name__ == "__main__":
    main()
