#!/usr/bin/env python3
"""TOML oracle for tests/unit/test_wheel.c: Python's tomllib.

usage: toml_oracle.py MANIFEST

MANIFEST has one line per TOML file: "PATH<TAB>RESULT", where RESULT is a
file holding ward's reading of PATH as JSON, or "-" when ward refused it.
For every file, tomllib must agree on validity, and on valid files the
values must be equal: tables and arrays element by element, strings,
integers, booleans and floats exactly (nan and inf are the strings ward
writes), and date-times by reading ward's text back with tomllib, so
'1979-05-27 07:32:00Z' and ward's '1979-05-27T07:32:00Z' compare equal.

Prints each disagreement and a final line "N passed, M failed"; exits 1
when any failed.
"""
import datetime
import json
import math
import sys
import tomllib


def same(py, w, where):
    if isinstance(py, dict):
        if not isinstance(w, dict) or sorted(py) != sorted(w):
            return f"{where}: table keys {sorted(py)} vs ward {w!r}"
        for k in py:
            d = same(py[k], w[k], f"{where}.{k}")
            if d:
                return d
        return None
    if isinstance(py, list):
        if not isinstance(w, list) or len(py) != len(w):
            return f"{where}: array of {len(py)} vs ward {w!r}"
        for i, (a, b) in enumerate(zip(py, w)):
            d = same(a, b, f"{where}[{i}]")
            if d:
                return d
        return None
    if isinstance(py, bool):
        return None if w is py else f"{where}: {py!r} vs ward {w!r}"
    if isinstance(py, int):
        ok = isinstance(w, int) and not isinstance(w, bool) and w == py
        return None if ok else f"{where}: {py!r} vs ward {w!r}"
    if isinstance(py, float):
        if math.isnan(py):
            return None if w == "nan" else f"{where}: nan vs ward {w!r}"
        if math.isinf(py):
            want = "inf" if py > 0 else "-inf"
            return None if w == want else f"{where}: {want} vs ward {w!r}"
        ok = isinstance(w, (int, float)) and not isinstance(w, bool) and float(w) == py
        return None if ok else f"{where}: {py!r} vs ward {w!r}"
    if isinstance(py, (datetime.datetime, datetime.date, datetime.time)):
        if not isinstance(w, str):
            return f"{where}: {py!r} vs ward {w!r}"
        try:
            back = tomllib.loads("v = " + w)["v"]
        except tomllib.TOMLDecodeError as e:
            return f"{where}: ward's date-time text {w!r} is not TOML: {e}"
        ok = type(back) is type(py) and back == py and \
            getattr(back, "tzinfo", None) == getattr(py, "tzinfo", None)
        return None if ok else f"{where}: {py!r} vs ward {w!r}"
    if isinstance(py, str):
        return None if w == py else f"{where}: {py!r} vs ward {w!r}"
    return f"{where}: unexpected type {type(py)}"


def main():
    passed = failed = 0
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = [l.rstrip("\n").split("\t") for l in f if l.strip()]
    for path, result in lines:
        with open(path, "rb") as f:
            data = f.read()
        try:
            want = tomllib.loads(data.decode("utf-8"))
            valid = True
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            valid, why = False, str(e)
        if result == "-":
            if valid:
                print(f"{path}: tomllib reads it, ward refused it")
                failed += 1
            else:
                passed += 1
            continue
        if not valid:
            print(f"{path}: ward read it, tomllib refuses it ({why})")
            failed += 1
            continue
        with open(result, encoding="utf-8") as f:
            got = json.load(f)
        d = same(want, got, "$")
        if d:
            print(f"{path}: {d}")
            failed += 1
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
