#!/usr/bin/env python3
"""Craft OMS bundles for negative tests, signed with a real key by openssl.

usage: oms_craft.py KEY.pem PUB.pem STATEMENT.json OUT.sig [--media-type T]
The statement is used verbatim as the DSSE payload; the signature is an
`openssl dgst -sign` ECDSA signature over the DSSE PAE, so ward's checks
after the signature (types, names, hashes) can be exercised.
"""
import base64
import hashlib
import json
import subprocess
import sys


def main():
    key, pub, stmt_path, out = sys.argv[1:5]
    media = "application/vnd.dev.sigstore.bundle.v0.3+json"
    if "--media-type" in sys.argv:
        media = sys.argv[sys.argv.index("--media-type") + 1]
    payload = open(stmt_path, "rb").read()
    ptype = b"application/vnd.in-toto+json"
    pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=pae,
                         capture_output=True, check=True).stdout
    pem = subprocess.run(["openssl", "pkey", "-pubin", "-in", pub, "-pubout"],
                         capture_output=True, check=True).stdout
    bundle = {
        "mediaType": media,
        "verificationMaterial": {"publicKey": {"hint": hashlib.sha256(pem).hexdigest()},
                                 "tlogEntries": []},
        "dsseEnvelope": {"payload": base64.b64encode(payload).decode(),
                         "payloadType": ptype.decode(),
                         "signatures": [{"sig": base64.b64encode(sig).decode(), "keyid": ""}]},
    }
    with open(out, "w") as f:
        json.dump(bundle, f)


if __name__ == "__main__":
    main()
