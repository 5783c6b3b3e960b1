#!/usr/bin/env python3
"""Tamper with a signed OCI layout the way an attacker who controls the files
would, for ward's tamper-matrix test.  Written without ward's code: it knows
the OCI layout and cosign's conventions only.

usage:
  tamper.py blobs LAYOUT                    every blob index.json reaches:
                                            "<digest> <role>" per line
  tamper.py flip LAYOUT DIGEST [--at F]     flip one byte (xor 1) of a blob in
                                            place, at fraction F (default 0.5)
  tamper.py flip-reseal LAYOUT DIGEST (--at F | --inside TEXT | --after TEXT)
                                            flip a byte, then rename the blob to
                                            its new digest and rewrite every
                                            manifest/config/index that refers to
                                            it, recursively (a consistent forgery
                                            that only signatures can catch)
  tamper.py swap-att-types LAYOUT           swap the predicateType annotations of
                                            the first two .att layers (resealed)
  tamper.py swap-referrer-bundles LAYOUT    swap the bundle layers of the first two
                                            attestation referrers (resealed)
  tamper.py drop-att-layer LAYOUT TYPE      remove the .att layer of TYPE (resealed)
  tamper.py drop-referrer LAYOUT TYPE       remove the referrer of TYPE from index.json
  tamper.py replay-att SRC DST TYPE         put SRC's .att envelope of TYPE in DST's
                                            .att in place of DST's (resealed)
  tamper.py replay-referrer SRC DST TYPE    put SRC's bundle of TYPE in DST's referrer
                                            of TYPE (resealed)
  tamper.py replay-sig SRC DST              put SRC's simple-signing layer (payload +
                                            signature) in DST's .sig (resealed)
  tamper.py flip-line FILE N (--at F | --inside TEXT)
                                            flip a byte of line N (1-based)
  tamper.py drop-line FILE N / replace-line FILE N OTHERFILE M
TYPE is a predicate type URI or a substring of one.
"""
import hashlib
import json
import os
import sys

BUNDLE_PREFIX = "application/vnd.dev.sigstore.bundle"


def blob_path(layout, digest):
    return os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1])


def read_blob(layout, digest):
    with open(blob_path(layout, digest), "rb") as f:
        return f.read()


def put_blob(layout, data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(blob_path(layout, d), "wb") as f:
        f.write(data)
    return d


def load_index(layout):
    with open(os.path.join(layout, "index.json")) as f:
        return json.load(f)


def save_index(layout, idx):
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(idx, f, separators=(",", ":"))


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def is_json_blob(data):
    return data[:1] == b"{"


def walk(layout):
    """Yield (digest, role) for every blob reachable from index.json."""
    seen = set()
    idx = load_index(layout)
    for e in idx["manifests"]:
        ann = e.get("annotations", {})
        name = ann.get("org.opencontainers.image.ref.name") or ann.get("kind") or \
            e.get("artifactType") or "manifest"
        stack = [(e["digest"], e["mediaType"], name)]
        while stack:
            d, mt, role = stack.pop()
            if d in seen:
                continue
            seen.add(d)
            yield d, role
            try:
                m = json.loads(read_blob(layout, d)) if "json" in mt else None
            except ValueError:
                continue  # a tampered manifest: nothing below it to list
            if m is None:
                continue
            if mt.endswith("index.v1+json") or mt.endswith("list.v2+json"):
                for c in m.get("manifests", []):
                    stack.append((c["digest"], c["mediaType"], role + "/child"))
            elif mt.endswith("manifest.v1+json") or mt.endswith("manifest.v2+json"):
                stack.append((m["config"]["digest"], "config", role + "/config"))
                for i, l in enumerate(m.get("layers", [])):
                    stack.append((l["digest"], "layer", f"{role}/layer{i + 1}"))


def flip_bytes(data, at=None, inside=None, after=None):
    data = bytearray(data)
    if after is not None:
        pos = data.find(after.encode())
        if pos < 0:
            raise SystemExit(f"tamper: {after!r} not found")
        pos += len(after.encode())
    elif inside is not None:
        pos = data.find(inside.encode())
        if pos < 0:
            raise SystemExit(f"tamper: {inside!r} not found")
        pos += len(inside.encode()) // 2
    else:
        pos = min(len(data) - 1, int(len(data) * at))
    data[pos] ^= 1
    return bytes(data)


def rewrite_refs(node, old, new, size):
    """Point descriptors (and diff_ids) that name old at new; True if changed."""
    changed = False
    if isinstance(node, dict):
        if node.get("digest") == old and "size" in node:
            node["digest"] = new
            node["size"] = size
            changed = True
        for k, v in node.items():
            if k == "diff_ids" and isinstance(v, list):
                for i, x in enumerate(v):
                    if x == old:
                        v[i] = new
                        changed = True
            elif isinstance(v, (dict, list)):
                changed |= rewrite_refs(v, old, new, size)
    elif isinstance(node, list):
        for v in node:
            changed |= rewrite_refs(v, old, new, size)
    return changed


def reseal(layout, old, new):
    """Make everything that referred to blob old refer to new: rewrite each
    manifest, config or index naming a replaced blob, which replaces it in
    turn, until nothing reachable from index.json names a replaced blob."""
    mapping = {old: new}
    while True:
        changed = False
        idx = load_index(layout)
        for o, n in list(mapping.items()):
            if rewrite_refs(idx, o, n, len(read_blob(layout, n))):
                changed = True
        if changed:
            save_index(layout, idx)
        for d, _ in list(walk(layout)):
            if d in mapping:
                continue
            data = read_blob(layout, d)
            if not is_json_blob(data):
                continue
            try:
                doc = json.loads(data)
            except ValueError:
                continue
            hit = False
            for o, n in list(mapping.items()):
                hit |= rewrite_refs(doc, o, n, len(read_blob(layout, n)))
            if hit:
                mapping[d] = put_blob(layout, dumps(doc))
                changed = True
        if not changed:
            return


def replace_blob(layout, old, data):
    new = put_blob(layout, data)
    reseal(layout, old, new)
    return new


def entry(layout, pred):
    for e in load_index(layout)["manifests"]:
        if pred(e):
            return e
    raise SystemExit("tamper: no such index entry")


def att_entry(layout):
    return entry(layout, lambda e: e.get("annotations", {}).get(
        "org.opencontainers.image.ref.name", "").endswith(".att"))


def sig_entry(layout):
    return entry(layout, lambda e: e.get("annotations", {}).get(
        "org.opencontainers.image.ref.name", "").endswith(".sig"))


def referrers(layout):
    out = []
    for e in load_index(layout)["manifests"]:
        if e.get("artifactType", "").startswith(BUNDLE_PREFIX):
            m = json.loads(read_blob(layout, e["digest"]))
            out.append((e, m))
    return out


def type_matches(t, want):
    return t == want or want in t


def rewrite_manifest(layout, e, fn):
    m = json.loads(read_blob(layout, e["digest"]))
    fn(m)
    replace_blob(layout, e["digest"], dumps(m))


def cosign_config(layers):
    zero = "0001-01-01T00:00:00Z"
    return {"architecture": "", "created": zero,
            "history": [{"created": zero} for _ in layers], "os": "",
            "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]},
            "config": {}}


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    op, args = argv[1], argv[2:]
    opt = {}
    for i, a in enumerate(args):
        if a in ("--at", "--inside", "--after") and i + 1 < len(args):
            opt[a] = args[i + 1]
    pos = [a for i, a in enumerate(args) if not a.startswith("--") and
           (i == 0 or args[i - 1] not in ("--at", "--inside", "--after"))]
    at = float(opt.get("--at", 0.5))
    inside = opt.get("--inside")
    after = opt.get("--after")

    if op == "blobs":
        for d, role in walk(pos[0]):
            print(d, role)
    elif op == "flip":
        p = blob_path(pos[0], pos[1])
        with open(p, "rb") as f:
            data = f.read()
        with open(p, "wb") as f:
            f.write(flip_bytes(data, at, inside, after))
    elif op == "flip-reseal":
        replace_blob(pos[0], pos[1], flip_bytes(read_blob(pos[0], pos[1]), at, inside, after))
    elif op == "swap-att-types":
        def fn(m):
            a, b = m["layers"][0]["annotations"], m["layers"][1]["annotations"]
            a["predicateType"], b["predicateType"] = b["predicateType"], a["predicateType"]
        rewrite_manifest(pos[0], att_entry(pos[0]), fn)
    elif op == "swap-referrer-bundles":
        refs = [(e, m) for e, m in referrers(pos[0]) if not m["annotations"][
            "dev.sigstore.bundle.predicateType"].startswith("https://sigstore.dev/cosign/sign")]
        (e1, m1), (e2, m2) = refs[0], refs[1]
        l1, l2 = m1["layers"][0], m2["layers"][0]
        m1["layers"][0], m2["layers"][0] = l2, l1
        n1 = put_blob(pos[0], dumps(m1))
        n2 = put_blob(pos[0], dumps(m2))
        reseal(pos[0], e1["digest"], n1)
        reseal(pos[0], e2["digest"], n2)
    elif op == "drop-att-layer":
        layout, want = pos[0], pos[1]
        e = att_entry(layout)
        m = json.loads(read_blob(layout, e["digest"]))
        m["layers"] = [l for l in m["layers"]
                       if not type_matches(l["annotations"]["predicateType"], want)]
        cfg = put_blob(layout, dumps(cosign_config(m["layers"])))
        m["config"]["digest"] = cfg
        m["config"]["size"] = len(read_blob(layout, cfg))
        replace_blob(layout, e["digest"], dumps(m))
    elif op == "drop-referrer":
        layout, want = pos[0], pos[1]
        idx = load_index(layout)
        idx["manifests"] = [e for e in idx["manifests"] if not (
            e.get("artifactType", "").startswith(BUNDLE_PREFIX) and type_matches(
                e.get("annotations", {}).get("dev.sigstore.bundle.predicateType", ""), want))]
        save_index(layout, idx)
    elif op == "replay-att":
        src, dst, want = pos
        sm = json.loads(read_blob(src, att_entry(src)["digest"]))
        sl = [l for l in sm["layers"] if type_matches(l["annotations"]["predicateType"], want)][0]
        put_blob(dst, read_blob(src, sl["digest"]))

        def fn(m):
            for i, l in enumerate(m["layers"]):
                if type_matches(l["annotations"]["predicateType"], want):
                    m["layers"][i] = sl
            m["config"]["digest"] = put_blob(dst, dumps(cosign_config(m["layers"])))
            m["config"]["size"] = len(read_blob(dst, m["config"]["digest"]))
        rewrite_manifest(dst, att_entry(dst), fn)
    elif op == "replay-referrer":
        src, dst, want = pos
        sref = [m for e, m in referrers(src) if type_matches(
            m["annotations"]["dev.sigstore.bundle.predicateType"], want)][0]
        sl = sref["layers"][0]
        put_blob(dst, read_blob(src, sl["digest"]))
        for e, m in referrers(dst):
            if type_matches(m["annotations"]["dev.sigstore.bundle.predicateType"], want):
                m["layers"][0] = sl
                replace_blob(dst, e["digest"], dumps(m))
                break
    elif op == "replay-sig":
        src, dst = pos
        sm = json.loads(read_blob(src, sig_entry(src)["digest"]))
        sl = sm["layers"][0]
        put_blob(dst, read_blob(src, sl["digest"]))

        def fn(m):
            m["layers"][0] = sl
            m["config"]["digest"] = put_blob(dst, dumps(cosign_config(m["layers"])))
            m["config"]["size"] = len(read_blob(dst, m["config"]["digest"]))
        rewrite_manifest(dst, sig_entry(dst), fn)
    elif op in ("flip-line", "drop-line", "replace-line"):
        path, n = pos[0], int(pos[1])
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        if op == "flip-line":
            lines[n - 1] = flip_bytes(lines[n - 1], at, inside, after)
        elif op == "drop-line":
            del lines[n - 1]
        else:
            with open(pos[2], "rb") as f:
                lines[n - 1] = f.read().split(b"\n")[int(pos[3]) - 1]
        with open(path, "wb") as f:
            f.write(b"\n".join(lines))
    else:
        raise SystemExit(f"tamper: unknown operation {op}")


if __name__ == "__main__":
    main(sys.argv)
