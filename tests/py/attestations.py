#!/usr/bin/env python3
"""Independent checks of what `ward sign` / `ward attest` wrote into an OCI
layout, from the OCI, cosign, DSSE, in-toto and SLSA formats alone.

usage:
  attestations.py shape LAYOUT TAG
      the layout has the shape `cosign verify --local-image` reads: exactly one
      entry of each kind image/sigs/atts for the image, .sig/.att tags, cosign
      layer media types and annotations, configs listing the layers, and OCI
      1.1 referrers (artifactType, empty config, one bundle layer, subject).
  attestations.py extract LAYOUT TAG OUTDIR
      decode every DSSE statement (.att layers, referrer bundles): _type,
      subject digest = the image manifest digest, predicateType = the
      annotation; write each predicate to OUTDIR/<name>.<n>.json and each
      simple-signing payload + DER signature to OUTDIR/sig<n>.payload/.der.
      Prints one line per statement: "<form> <predicateType> <sha256 of payload>".
  attestations.py provenance PREDICATE.json SPEC WARD VERSION [--input P]... [--lock LOCK]
      the SLSA v1 predicate records the spec (content and sha256), every input
      (sha256 of a file; for a directory, of its sha256sum-style listing), the
      ward binary's sha256 and version, and every lock entry.
"""
import base64
import hashlib
import json
import os
import sys

BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
KIND = "kind"
EMPTY = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
NAMES = {"https://cyclonedx.org/bom": "cyclonedx", "https://spdx.dev/Document": "spdx",
         "https://slsa.dev/provenance/v1": "provenance",
         "https://sigstore.dev/cosign/sign/v1": "cosign-sign"}


def fail(msg):
    raise SystemExit(f"attestations: {msg}")


def blob(layout, digest):
    with open(os.path.join(layout, "blobs", "sha256", digest.split(":")[1]), "rb") as f:
        data = f.read()
    if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
        fail(f"blob {digest} does not match its digest")
    return data


def jblob(layout, digest):
    return json.loads(blob(layout, digest))


def index(layout):
    with open(os.path.join(layout, "index.json")) as f:
        return json.load(f)["manifests"]


def image_entry(layout, tag):
    for e in index(layout):
        if e.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return e
    fail(f"no entry tagged {tag}")


def referrers(layout, image):
    out = []
    for e in index(layout):
        if e.get("artifactType") == BUNDLE:
            m = jblob(layout, e["digest"])
            if m.get("subject", {}).get("digest") == image["digest"]:
                out.append((e, m))
    return out


def cosign_config_ok(layout, m):
    cfg = jblob(layout, m["config"]["digest"])
    if cfg["rootfs"]["diff_ids"] != [l["digest"] for l in m["layers"]]:
        fail("cosign config diff_ids do not list the layers")


def shape(layout, tag):
    img = image_entry(layout, tag)
    hexd = img["digest"].split(":")[1]
    kinds = {}
    for e in index(layout):
        k = e.get("annotations", {}).get(KIND)
        if k:
            kinds.setdefault(k, []).append(e)
    for k in ("image", "sigs", "atts"):
        if len(kinds.get("dev.cosignproject.cosign/" + k, [])) != 1:
            fail(f"want exactly one index entry of kind dev.cosignproject.cosign/{k}")
    if kinds["dev.cosignproject.cosign/image"][0]["digest"] != img["digest"]:
        fail("the kind=image entry is not the tagged image")
    sig = kinds["dev.cosignproject.cosign/sigs"][0]
    att = kinds["dev.cosignproject.cosign/atts"][0]
    if sig["annotations"]["org.opencontainers.image.ref.name"] != f"sha256-{hexd}.sig":
        fail("signature manifest is not tagged sha256-<hex>.sig")
    if att["annotations"]["org.opencontainers.image.ref.name"] != f"sha256-{hexd}.att":
        fail("attestation manifest is not tagged sha256-<hex>.att")
    sm = jblob(layout, sig["digest"])
    for l in sm["layers"]:
        if l["mediaType"] != "application/vnd.dev.cosign.simplesigning.v1+json" or \
                not l["annotations"].get("dev.cosignproject.cosign/signature"):
            fail("signature layer media type or annotation")
    cosign_config_ok(layout, sm)
    am = jblob(layout, att["digest"])
    for l in am["layers"]:
        if l["mediaType"] != "application/vnd.dsse.envelope.v1+json" or \
                "predicateType" not in l["annotations"]:
            fail("attestation layer media type or predicateType annotation")
    cosign_config_ok(layout, am)
    refs = referrers(layout, img)
    if not refs:
        fail("no OCI 1.1 referrers")
    for e, m in refs:
        if m.get("artifactType") != BUNDLE or m["config"]["mediaType"] != \
                "application/vnd.oci.empty.v1+json" or m["config"]["digest"] != EMPTY or \
                len(m["layers"]) != 1 or m["layers"][0]["mediaType"] != BUNDLE or \
                m["subject"]["mediaType"] != img["mediaType"] or \
                m["subject"]["size"] != img["size"] or \
                "dev.sigstore.bundle.predicateType" not in m.get("annotations", {}):
            fail(f"referrer {e['digest']} does not have cosign's referrer shape")
        if blob(layout, EMPTY) != b"{}":
            fail("empty config blob")
    print(f"shape ok: {len(sm['layers'])} signature(s), {len(am['layers'])} attestation "
          f"layer(s), {len(refs)} referrer(s)")


def statement(payload, image, ptype):
    st = json.loads(payload)
    if st["_type"] != "https://in-toto.io/Statement/v1":
        fail("statement _type")
    if not any(s["digest"].get("sha256") == image["digest"].split(":")[1] for s in st["subject"]):
        fail("statement subject is not the image")
    if ptype is not None and st["predicateType"] != ptype:
        fail("predicateType differs from the annotation")
    return st


def extract(layout, tag, out):
    img = image_entry(layout, tag)
    hexd = img["digest"].split(":")[1]
    os.makedirs(out, exist_ok=True)
    n = 0
    for e in index(layout):
        name = e.get("annotations", {}).get("org.opencontainers.image.ref.name")
        if name == f"sha256-{hexd}.att":
            for l in jblob(layout, e["digest"])["layers"]:
                env = json.loads(blob(layout, l["digest"]))
                if env["payloadType"] != "application/vnd.in-toto+json":
                    fail("payloadType")
                payload = base64.b64decode(env["payload"])
                st = statement(payload, img, l["annotations"]["predicateType"])
                n += 1
                emit(out, "att", st, payload, n)
        elif name == f"sha256-{hexd}.sig":
            for i, l in enumerate(jblob(layout, e["digest"])["layers"]):
                payload = blob(layout, l["digest"])
                claim = json.loads(payload)
                if claim["critical"]["image"]["docker-manifest-digest"] != img["digest"] or \
                        claim["critical"]["type"] != "cosign container image signature":
                    fail("simple-signing payload does not name the image")
                with open(os.path.join(out, f"sig{i + 1}.payload"), "wb") as f:
                    f.write(payload)
                with open(os.path.join(out, f"sig{i + 1}.der"), "wb") as f:
                    f.write(base64.b64decode(
                        l["annotations"]["dev.cosignproject.cosign/signature"]))
                print(f"sig {i + 1} {hashlib.sha256(payload).hexdigest()}")
    for e, m in referrers(layout, img):
        b = json.loads(blob(layout, m["layers"][0]["digest"]))
        payload = base64.b64decode(b["dsseEnvelope"]["payload"])
        st = statement(payload, img, m["annotations"]["dev.sigstore.bundle.predicateType"])
        n += 1
        emit(out, "referrer", st, payload, n)


def emit(out, form, st, payload, n):
    name = NAMES.get(st["predicateType"], "other")
    with open(os.path.join(out, f"{name}.{n}.json"), "w") as f:
        json.dump(st["predicate"], f)
    print(form, st["predicateType"], hashlib.sha256(payload).hexdigest())


def sha256_file(p):
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def path_digest(p):
    if os.path.isfile(p):
        return sha256_file(p)
    lines = []
    for root, _, files in os.walk(p):
        for fn in files:
            full = os.path.join(root, fn)
            lines.append((os.path.relpath(full, p), sha256_file(full)))
    listing = "".join(f"{h}  {r}\n" for r, h in sorted(lines, key=lambda x: x[0].encode()))
    return hashlib.sha256(listing.encode()).hexdigest()


def provenance(args):
    pred_path, spec, ward, version = args[:4]
    inputs, lock = [], None
    rest = args[4:]
    for i in range(0, len(rest), 2):
        if rest[i] == "--input":
            inputs.append(rest[i + 1])
        elif rest[i] == "--lock":
            lock = rest[i + 1]
    with open(pred_path) as f:
        p = json.load(f)
    bd = p["buildDefinition"]
    if bd["buildType"] != "https://ward.dev/slsa/build/v1":
        fail("buildType")
    with open(spec, "rb") as f:
        content = f.read()
    s = bd["externalParameters"]["spec"]
    if s["content"].encode() != content or s["digest"]["sha256"] != hashlib.sha256(content).hexdigest():
        fail("externalParameters.spec does not record the spec")
    deps = bd["resolvedDependencies"]
    byname = {(d["annotations"]["kind"], d["name"]): d for d in deps}
    w = byname.get(("ward", "ward"))
    if w is None or w["digest"]["sha256"] != sha256_file(ward) or \
            w["annotations"]["version"] != version:
        fail("the ward binary's digest or version is not recorded")
    for i in inputs:
        d = byname.get(("dir" if os.path.isdir(i) else "file", i))
        if d is None or d["digest"]["sha256"] != path_digest(i):
            fail(f"input {i} is not recorded with its digest")
    if lock:
        with open(lock) as f:
            lk = json.load(f)
        if bd["externalParameters"]["lock"]["digest"]["sha256"] != sha256_file(lock):
            fail("the lock's digest is not recorded")
        for pkg in lk["packages"]:
            d = byname.get(("deb", pkg["name"]))
            if d is None or d["digest"]["sha256"] != pkg["sha256"] or \
                    d["annotations"]["version"] != pkg["version"]:
                fail(f"lock entry {pkg['name']} is not a resolved dependency")
    rd = p["runDetails"]
    if not rd["builder"]["id"] or not rd["metadata"]["invocationId"]:
        fail("runDetails")
    print(f"provenance ok: {len(deps)} dependencies")


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    op = sys.argv[1]
    if op == "shape":
        shape(sys.argv[2], sys.argv[3])
    elif op == "extract":
        extract(sys.argv[2], sys.argv[3], sys.argv[4])
    elif op == "provenance":
        provenance(sys.argv[2:])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
