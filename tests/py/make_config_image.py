#!/usr/bin/env python3
"""Pack a root filesystem directory into a docker-archive with a chosen
image config (Env, Volumes, ExposedPorts, User, Healthcheck, Entrypoint),
independently of ward, for the test matrix's config checks.

usage: make_config_image.py ROOTFS OUT.tar NAME:TAG CONFIG.json
CONFIG.json is the "config" object of the image (Docker's field names).
"""
import hashlib
import io
import json
import os
import sys
import tarfile


def main():
    root, out, tag, conf = sys.argv[1:5]
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
        for dirpath, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(dirs) + sorted(files):
                full = os.path.join(dirpath, name)
                arc = os.path.relpath(full, root)
                info = t.gettarinfo(full, arc)
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                info.mtime = 1700000000
                if info.isreg():
                    with open(full, "rb") as f:
                        t.addfile(info, f)
                else:
                    t.addfile(info)
    data = layer.getvalue()
    diff = "sha256:" + hashlib.sha256(data).hexdigest()
    config = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
              "config": json.load(open(conf)),
              "rootfs": {"type": "layers", "diff_ids": [diff]},
              "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "test"}]}
    cj = json.dumps(config).encode()
    cname = hashlib.sha256(cj).hexdigest() + ".json"
    manifest = [{"Config": cname, "RepoTags": [tag], "Layers": ["layer.tar"]}]
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        for name, blob in ((cname, cj), ("layer.tar", data),
                           ("manifest.json", json.dumps(manifest).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(blob))


if __name__ == "__main__":
    main()
