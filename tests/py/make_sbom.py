#!/usr/bin/env python3
"""Small, schema-valid SBOMs for attestation tests (not ward's cataloguer).

usage: make_sbom.py cyclonedx|spdx OUT NAME [COMPONENT@VERSION ...]
"""
import json
import sys
import uuid


def cyclonedx(name, comps):
    return {
        "bomFormat": "CycloneDX", "specVersion": "1.6",
        "serialNumber": "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "ward-test/" + name)),
        "version": 1,
        "metadata": {"timestamp": "2023-11-14T22:13:20Z",
                     "component": {"type": "container", "name": name, "bom-ref": "image"}},
        "components": [{"type": "library", "name": n, "version": v, "bom-ref": f"{n}@{v}",
                        "purl": f"pkg:generic/{n}@{v}"} for n, v in comps],
    }


def spdx(name, comps):
    pkgs = [{"SPDXID": f"SPDXRef-Package-{i}", "name": n, "versionInfo": v,
             "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
             "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                               "referenceLocator": f"pkg:generic/{n}@{v}"}]}
            for i, (n, v) in enumerate(comps)]
    return {
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": name, "documentNamespace": "https://spdx.org/spdxdocs/ward-test-" + name,
        "creationInfo": {"created": "2023-11-14T22:13:20Z", "creators": ["Tool: ward-tests"]},
        "packages": pkgs,
        "relationships": [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                           "relatedSpdxElement": p["SPDXID"]} for p in pkgs],
    }


def main():
    kind, out, name = sys.argv[1:4]
    comps = [tuple(c.split("@", 1)) for c in sys.argv[4:]] or [("hello", "1.0")]
    doc = cyclonedx(name, comps) if kind == "cyclonedx" else spdx(name, comps)
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
