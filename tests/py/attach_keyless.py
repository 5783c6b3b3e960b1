#!/usr/bin/env python3
"""Attach keyless Sigstore material to an image in an OCI layout, in the two
forms cosign writes, for ward's keyless image tests (the bundles come from
tests/js/sigstore-keyless.js).

  attach_keyless.py LAYOUT IMAGE_DIGEST referrer BUNDLE PREDICATE_TYPE
      an OCI 1.1 referrer manifest whose one layer is BUNDLE (v0.3)
  attach_keyless.py LAYOUT IMAGE_DIGEST legacy-sig BUNDLE PAYLOAD
      the tag sha256-<hex>.sig: one simple-signing layer (PAYLOAD) with the
      signature, certificate and Rekor bundle annotations cosign writes for a
      keyless signature, taken from the message-signature BUNDLE
"""
import base64
import hashlib
import json
import os
import ssl
import sys

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
BUNDLE_MT = "application/vnd.dev.sigstore.bundle.v0.3+json"
EMPTY = {"mediaType": "application/vnd.oci.empty.v1+json",
         "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
         "size": 2}


def put(layout, data):
    d = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", d)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return "sha256:" + d, len(data)


def add_index(layout, entry):
    p = os.path.join(layout, "index.json")
    idx = json.load(open(p))
    idx["manifests"].append(entry)
    json.dump(idx, open(p, "w"))


def image_descriptor(layout, digest):
    for m in json.load(open(os.path.join(layout, "index.json")))["manifests"]:
        if m["digest"] == digest:
            return {"mediaType": m["mediaType"], "digest": digest, "size": m["size"]}
    sys.exit("attach_keyless: %s is not in the layout" % digest)


def referrer(layout, digest, bundle_path, ptype):
    put(layout, b"{}")
    raw = open(bundle_path, "rb").read()
    bd, bs = put(layout, raw)
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": BUNDLE_MT,
         "config": EMPTY, "layers": [{"mediaType": BUNDLE_MT, "digest": bd, "size": bs}],
         "subject": image_descriptor(layout, digest),
         "annotations": {"dev.sigstore.bundle.content": "dsse-envelope",
                         "dev.sigstore.bundle.predicateType": ptype}}
    md, ms = put(layout, json.dumps(m, separators=(",", ":")).encode())
    add_index(layout, {"mediaType": OCI_MANIFEST, "digest": md, "size": ms,
                       "artifactType": BUNDLE_MT})


def legacy_sig(layout, digest, bundle_path, payload_path):
    b = json.load(open(bundle_path))
    vm = b["verificationMaterial"]
    cert = (vm.get("certificate") or vm["x509CertificateChain"]["certificates"][0])["rawBytes"]
    e = vm["tlogEntries"][0]
    rekor = {"SignedEntryTimestamp": e["inclusionPromise"]["signedEntryTimestamp"],
             "Payload": {"body": e["canonicalizedBody"], "integratedTime": int(e["integratedTime"]),
                         "logIndex": int(e["logIndex"]),
                         "logID": base64.b64decode(e["logId"]["keyId"]).hex()}}
    payload = open(payload_path, "rb").read()
    ld, ls = put(layout, payload)
    layer = {"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": ld,
             "size": ls, "annotations": {
                 "dev.cosignproject.cosign/signature": b["messageSignature"]["signature"],
                 "dev.sigstore.cosign/certificate": ssl.DER_cert_to_PEM_cert(base64.b64decode(cert)),
                 "dev.sigstore.cosign/bundle": json.dumps(rekor, separators=(",", ":"))}}
    cfg = {"architecture": "", "config": {}, "created": "0001-01-01T00:00:00Z",
           "history": [{"created": "0001-01-01T00:00:00Z"}], "os": "",
           "rootfs": {"type": "layers", "diff_ids": [ld]}}
    cd, cs = put(layout, json.dumps(cfg, separators=(",", ":")).encode())
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
         "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
         "layers": [layer]}
    md, ms = put(layout, json.dumps(m, separators=(",", ":")).encode())
    add_index(layout, {"mediaType": OCI_MANIFEST, "digest": md, "size": ms, "annotations": {
        "org.opencontainers.image.ref.name": digest.replace(":", "-") + ".sig"}})


if __name__ == "__main__":
    layout, digest, mode = sys.argv[1:4]
    if mode == "referrer":
        referrer(layout, digest, sys.argv[4], sys.argv[5])
    elif mode == "legacy-sig":
        legacy_sig(layout, digest, sys.argv[4], sys.argv[5])
    else:
        sys.exit(__doc__)
