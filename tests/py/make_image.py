#!/usr/bin/env python3
"""Write a small docker-archive image with Python's tarfile, independently of
ward, for tests to turn into an OCI layout with skopeo.

usage: make_image.py OUT.tar NAME:TAG [--layers N] [--size BYTES] [--seed S]
Each layer holds a few files (one of BYTES pseudo-random bytes) under
layerN/, plus etc/os-release in the first.  Deterministic for a seed.
"""
import argparse
import hashlib
import io
import json
import random
import tarfile


def layer(index, size, rng):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        def add(name, data, mode=0o644):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(data))
        d = tarfile.TarInfo(f"layer{index}")
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        d.mtime = 1700000000
        t.addfile(d)
        def mkdir(name):
            e = tarfile.TarInfo(name)
            e.type = tarfile.DIRTYPE
            e.mode = 0o755
            e.mtime = 1700000000
            t.addfile(e)
        if index == 0:
            mkdir("etc")
            add("etc/os-release", b'ID=debian\nVERSION_ID="12"\nNAME="Debian GNU/Linux"\n')
            # two Debian packages as distroless images record them
            for d in ("usr", "usr/share", "usr/share/doc", "var", "var/lib", "var/lib/dpkg",
                      "var/lib/dpkg/status.d"):
                mkdir(d)
            for name, ver in (("hello", "1.0-1"), ("world", "2.1-1+deb12u1")):
                mkdir(f"usr/share/doc/{name}")
                text = f"{name} is free software.\n".encode()
                add(f"usr/share/doc/{name}/copyright", text)
                add(f"var/lib/dpkg/status.d/{name}", (
                    f"Package: {name}\nStatus: install ok installed\nPriority: optional\n"
                    f"Section: misc\nMaintainer: Ward Tests <tests@example.org>\n"
                    f"Architecture: amd64\nVersion: {ver}\nDescription: test package {name}\n"
                ).encode())
                add(f"var/lib/dpkg/status.d/{name}.md5sums",
                    f"{hashlib.md5(text).hexdigest()}  usr/share/doc/{name}/copyright\n".encode())
        add(f"layer{index}/data.bin", bytes(rng.getrandbits(8) for _ in range(size)))
        add(f"layer{index}/hello.txt", f"hello from layer {index}\n".encode())
    return buf.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("name")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--seed", default="ward")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    layers = [layer(i, a.size, rng) for i in range(a.layers)]
    diff_ids = ["sha256:" + hashlib.sha256(b).hexdigest() for b in layers]
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "created": "2023-11-14T22:13:20Z",
        "config": {"Entrypoint": ["/layer0/hello.txt"], "User": "65532"},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2023-11-14T22:13:20Z", "created_by": f"layer {i}"}
                    for i in range(a.layers)],
    }, sort_keys=True).encode()
    cfg_name = hashlib.sha256(config).hexdigest() + ".json"
    members = {cfg_name: config}
    names = []
    for i, b in enumerate(layers):
        n = f"{hashlib.sha256(b).hexdigest()}/layer.tar"
        members[n] = b
        names.append(n)
    manifest = json.dumps([{"Config": cfg_name, "RepoTags": [a.name], "Layers": names}]).encode()
    members["manifest.json"] = manifest
    with tarfile.open(a.out, "w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    main()
