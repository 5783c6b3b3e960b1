#!/usr/bin/env python3
"""Oracles for tests/unit/test_wheel.c: Python's packaging library.

usage: wheel_oracle.py tags
    every tag CPython 3.11 on glibc 2.36 x86_64 accepts, most preferred
    first (packaging.tags.cpython_tags + compatible_tags), one per line
usage: wheel_oracle.py markers FILE
    for each marker in FILE (one per line): "1" or "0", TAB, the marker,
    evaluated by packaging.markers for that interpreter on Linux
"""
import sys

try:
    from packaging import markers, tags
except ImportError:  # pip's vendored copy
    from pip._vendor.packaging import markers, tags

ENV = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.2",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_system": "Linux",
    "python_full_version": "3.11.2",
    "python_version": "3.11",
    "sys_platform": "linux",
    "platform_release": "",
    "platform_version": "",
    "extra": "",
}


def platforms():
    out = []
    for minor in range(36, 4, -1):
        out.append(f"manylinux_2_{minor}_x86_64")
        legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}.get(minor)
        if legacy:
            out.append(f"{legacy}_x86_64")
    out.append("linux_x86_64")
    return out


def main():
    if sys.argv[1] == "tags":
        p = platforms()
        for t in list(tags.cpython_tags((3, 11), ["cp311"], p)) + \
                list(tags.compatible_tags((3, 11), "cp311", p)):
            print(t)
        return 0
    if sys.argv[1] == "markers":
        with open(sys.argv[2], encoding="utf-8") as f:
            for line in f:
                m = line.rstrip("\n")
                if m:
                    print(f"{int(markers.Marker(m).evaluate(ENV))}\t{m}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
