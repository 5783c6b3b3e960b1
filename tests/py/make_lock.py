#!/usr/bin/env python3
"""A ward.lock (lockfile_version 1) for tests, written from the format, not by
ward: packages given as NAME=VERSION=SHA256HEX.

usage: make_lock.py OUT NAME=VERSION=SHA256 ...
"""
import json
import sys


def main():
    out, specs = sys.argv[1], sys.argv[2:]
    pkgs = []
    for s in sorted(specs):
        name, version, sha = s.split("=")
        pkgs.append({
            "name": name, "version": version, "architecture": "amd64",
            "source": name, "source_version": version, "suite": "bookworm",
            "component": "main", "filename": f"pool/main/{name[0]}/{name}/{name}_{version}_amd64.deb",
            "size": 1000, "sha256": sha, "requested": True, "required_by": []})
    lock = {
        "lockfile_version": 1, "architecture": "amd64",
        "request": {"packages": [p["name"] for p in pkgs], "exclude": [], "allow": []},
        "indices": [{
            "suite": "bookworm", "component": "main", "architecture": "amd64",
            "origin": "Debian", "label": "Debian", "codename": "bookworm", "version": "12.5",
            "date": "Sat, 10 Feb 2024 09:13:33 UTC", "valid_until": "",
            "release_sha256": "0" * 64, "packages_sha256": "1" * 64, "packages_size": 1,
            "signed_by": "debian-archive-keyring"}],
        "packages": pkgs,
        "cut": [],
    }
    with open(out, "w") as f:
        json.dump(lock, f, indent=2)


if __name__ == "__main__":
    main()
