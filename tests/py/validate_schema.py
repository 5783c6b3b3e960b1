#!/usr/bin/env python3
"""Validate JSON documents against the official schemas in shared/schemas.

usage: validate_schema.py KIND FILE...
KIND: oms-bundle (also validates the decoded statement), oms-statement,
      cyclonedx, spdx, openvex, sigstore-bundle
A FILE with several lines of JSON (JSON lines) has each line validated.
Works offline with jsonschema >= 4.18 (referencing) and with Debian 12's
4.10 (RefResolver).  Exit 0 when all are valid, 1 otherwise.
"""
import base64
import copy
import json
import os
import sys

import jsonschema

SHARED = os.environ.get("WARD_SHARED") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "data", "shared")
SCHEMAS = os.path.join(SHARED, "schemas")


def load(rel):
    with open(os.path.join(SCHEMAS, rel), encoding="utf-8") as f:
        return json.load(f)


def camel_case_bundle_schema(schema):
    """Sigstore's published Bundle.schema.json requires snake_case names in
    its oneOf clauses but only allows camelCase properties: rewrite the
    oneOf names in memory (schemas/SOURCES.md), leaving the file untouched."""
    schema = copy.deepcopy(schema)

    def camel(name):
        head, *rest = name.split("_")
        return head + "".join(p.title() for p in rest)

    def walk(node):
        if isinstance(node, dict):
            for alt in node.get("oneOf", []):
                if isinstance(alt, dict) and "required" in alt:
                    alt["required"] = [camel(n) for n in alt["required"]]
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(schema)
    return schema


def schema_set(kind):
    """Return (root schema, {id: schema} of every schema it may refer to)."""
    if kind in ("oms-bundle", "oms-statement"):
        docs = {n: load(f"model-signing/{n}.schema.json")
                for n in ("bundle", "envelope", "statement", "predicate")}
        root = docs["bundle" if kind == "oms-bundle" else "statement"]
        return root, {d["$id"]: d for d in docs.values()}
    if kind == "cyclonedx":
        docs = [load(f"cyclonedx/{n}") for n in
                ("bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json")]
        return docs[0], {d["$id"]: d for d in docs}
    if kind == "spdx":
        return load("spdx/spdx-2.3-schema.json"), {}
    if kind == "openvex":
        d = load("openvex/openvex_json_schema.json")
        return d, {d["$id"]: d}
    if kind == "sigstore-bundle":
        return camel_case_bundle_schema(load("sigstore/Bundle.schema.json")), {}
    raise SystemExit(f"unknown schema kind {kind}")


def make_validator(root, store):
    cls = jsonschema.validators.validator_for(root)
    try:
        from referencing import Registry, Resource
        from referencing.jsonschema import specification_with
        resources = []
        for uri, doc in store.items():
            spec = specification_with(doc.get("$schema", root.get("$schema", "")),
                                      default=None)
            resource = (Resource(contents=doc, specification=spec) if spec
                        else Resource.from_contents(doc))
            resources.append((uri, resource))
            # CycloneDX refers to its siblings by relative file name.
            resources.append((uri.rsplit("/", 1)[-1], resource))
        registry = Registry().with_resources(resources)
        return cls(root, registry=registry, format_checker=cls.FORMAT_CHECKER)
    except ImportError:
        full = dict(store)
        for uri, doc in store.items():
            full[uri.rsplit("/", 1)[-1]] = doc
        resolver = jsonschema.RefResolver.from_schema(root, store=full)
        return cls(root, resolver=resolver, format_checker=cls.FORMAT_CHECKER)


def documents(path):
    with open(path, encoding="utf-8") as f:
        text = f.read().strip()
    try:
        yield json.loads(text)
    except json.JSONDecodeError:
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    kind = sys.argv[1]
    validator = make_validator(*schema_set(kind))
    statement = (make_validator(*schema_set("oms-statement"))
                 if kind == "oms-bundle" else None)
    bad = 0
    for path in sys.argv[2:]:
        for i, doc in enumerate(documents(path), 1):
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
            if statement is not None and not errors:
                payload = json.loads(base64.b64decode(doc["dsseEnvelope"]["payload"]))
                errors = list(statement.iter_errors(payload))
            for e in errors[:5]:
                print(f"{path}[{i}]: {'/'.join(map(str, e.path))}: {e.message}")
            if errors:
                bad += 1
    print(f"validate_schema {kind}: {'FAILED' if bad else 'ok'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
