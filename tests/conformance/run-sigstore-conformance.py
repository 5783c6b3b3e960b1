#!/usr/bin/env python3
"""Run sigstore-conformance's offline bundle-verification cases against ward.

usage: run-sigstore-conformance.py SUITE_CHECKOUT [--adapter PATH] [--only NAME]

SUITE_CHECKOUT is a checkout of github.com/sigstore/sigstore-conformance
(nothing of it is kept in this repository).  Its pytest harness needs an
OIDC token from the network even for verification, so this runner does what
its test_verify does, case for case: for every directory under
test/assets/bundle-verify it builds the arguments as test/client.py's
BundleMaterials.from_dir and build_verify_args do (bundle, key.pub or
identity/issuer with the suite's defaults, trusted_root.json, artifact or
bundle-verify/a.txt), runs the adapter twice (the artifact's path, then its
sha256: digest) in a fresh copy of test/assets, and expects failure exactly
for the directories whose name ends in "fail".  It prints one line per
case and a closing "N passed, N failed" line; exit 1 when any failed.
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

IDENTITY = ("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
            ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main")
ISSUER = "https://token.actions.githubusercontent.com"


def case_args(d, digest):
    args = ["verify-bundle", "--bundle", os.path.join(d, "bundle.sigstore.json")]
    if os.path.exists(os.path.join(d, "key.pub")):
        args += ["--key", os.path.join(d, "key.pub")]
    else:
        ident = ISSUER_ = None
        p = os.path.join(d, "identity")
        ident = open(p).read().strip() if os.path.exists(p) else IDENTITY
        p = os.path.join(d, "issuer")
        ISSUER_ = open(p).read().strip() if os.path.exists(p) else ISSUER
        args += ["--certificate-identity", ident, "--certificate-oidc-issuer", ISSUER_]
    if os.path.exists(os.path.join(d, "trusted_root.json")):
        args += ["--trusted-root", os.path.join(d, "trusted_root.json")]
    art = os.path.join(d, "artifact")
    if not os.path.exists(art):
        art = os.path.join("bundle-verify", "a.txt")
    if digest:
        args.append("sha256:" + hashlib.sha256(open(art, "rb").read()).hexdigest())
    else:
        args.append(art)
    return args


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("suite")
    ap.add_argument("--adapter", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                      "sigstore-adapter"))
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    assets = os.path.join(a.suite, "test", "assets")
    root = os.path.join(assets, "bundle-verify")
    if not os.path.isdir(root):
        print("run-sigstore-conformance: %s has no test/assets/bundle-verify" % a.suite)
        return 2
    passed = failed = 0
    for name in sorted(os.listdir(root)):
        if not os.path.isdir(os.path.join(root, name)) or (a.only and a.only not in name):
            continue
        for mode in ("PATH", "DIGEST"):
            work = tempfile.mkdtemp(prefix="ward-conformance-")
            try:
                shutil.copytree(assets, work, dirs_exist_ok=True)
                old = os.getcwd()
                os.chdir(work)
                d = os.path.join(work, "bundle-verify", name)
                p = subprocess.run([a.adapter] + case_args(d, mode == "DIGEST"),
                                   capture_output=True, text=True)
                os.chdir(old)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            want_fail = name.endswith("fail")
            ok = (p.returncode != 0) == want_fail
            why = (p.stderr.strip().splitlines() or [""])[-1]
            print("%s test_verify[%s-%s] %s" % ("PASS" if ok else "FAIL", mode, name,
                                               ("(exit %d) %s" % (p.returncode, why))[:300]))
            passed += ok
            failed += not ok
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
