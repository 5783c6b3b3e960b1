#!/usr/bin/env python3
"""Wheels for tests/unit/test_wheel.c: one good one, and one per way a wheel
can lie or attack the installer.

usage: wheel_craft.py OUTDIR

Writes OUTDIR/<case>.whl, each a wheel of "demo" 1.0 (file name
demo-1.0-py3-none-any.whl inside the case directory OUTDIR/<case>/).
The good one has a package, a .data/scripts script with a #!python line,
.data/data and .data/headers files, and console and GUI entry points.
"""
import base64
import hashlib
import os
import stat
import sys
import zipfile

OUT = sys.argv[1]
DI = "demo-1.0.dist-info"
DATA = "demo-1.0.data"


def h(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def good_files():
    return {
        "demo/__init__.py": b"VERSION = '1.0'\n",
        "demo/cli.py": b"def main():\n    return 0\n\ndef gui():\n    return 0\n",
        "demo/data/table.txt": b"1,2,3\n",
        DATA + "/scripts/demo-tool": b"#!python\nimport demo\nprint(demo.VERSION)\n",
        DATA + "/data/share/demo/README": b"shared data\n",
        DATA + "/headers/demo.h": b"#define DEMO 1\n",
        DI + "/METADATA": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nLicense: MIT\n",
        DI + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: ward-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        DI + "/entry_points.txt": b"[console_scripts]\ndemo = demo.cli:main\n\n[gui_scripts]\ndemo-gui = demo.cli:gui\n",
        DI + "/top_level.txt": b"demo\n",
    }


def write(case, files, record=None, extra_entries=(), modes=None):
    d = os.path.join(OUT, case)
    os.makedirs(d, exist_ok=True)
    if record is None:
        record = "".join("%s,%s,%d\n" % (p, h(b), len(b)) for p, b in files.items())
        record += DI + "/RECORD,,\n"
    path = os.path.join(d, "demo-1.0-py3-none-any.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for p, b in files.items():
            info = zipfile.ZipInfo(p, (2020, 1, 1, 0, 0, 0))
            mode = (modes or {}).get(p, 0o644)
            info.external_attr = (mode | (stat.S_IFREG if not stat.S_IFMT(mode) else 0)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, b)
        for p, b, mode in extra_entries:
            info = zipfile.ZipInfo(p, (2020, 1, 1, 0, 0, 0))
            info.external_attr = mode << 16
            z.writestr(info, b)
        z.writestr(zipfile.ZipInfo(DI + "/RECORD", (2020, 1, 1, 0, 0, 0)), record.encode())


def main():
    f = good_files()
    write("good", f, modes={DATA + "/scripts/demo-tool": 0o755})

    bad = dict(f)
    rec = "".join("%s,%s,%d\n" % (p, h(b), len(b)) for p, b in bad.items()) + DI + "/RECORD,,\n"
    bad["demo/__init__.py"] = b"import os; os.system('id')\n"
    write("record-mismatch", bad, record=rec)

    for case, evil in (("traversal", "../../../../etc/cron.d/evil"), ("absolute", "/etc/cron.d/evil"),
                       ("dotdot-inside", "demo/../../evil.py"), ("backslash", "demo\\..\\..\\evil.py"),
                       ("data-escape", DATA + "/data/../../../../etc/evil")):
        bad = dict(f)
        bad[evil] = b"* * * * * root id\n"
        write(case, bad)

    write("symlink", f, extra_entries=[("demo/link", b"/etc/shadow", stat.S_IFLNK | 0o777)])

    bad = dict(f)
    rec = "".join("%s,%s,%d\n" % (p, h(b), len(b)) for p, b in bad.items() if p != "demo/cli.py")
    write("not-in-record", bad, record=rec + DI + "/RECORD,,\n")

    rec = "".join("%s,%s,%d\n" % (p, h(b), len(b)) for p, b in f.items())
    write("record-extra", f, record=rec + "demo/gone.py,%s,3\n" % h(b"abc") + DI + "/RECORD,,\n")

    rec = "".join("%s,%s,%d\n" % (p, "" if p == "demo/cli.py" else h(b), len(b)) for p, b in f.items())
    write("no-hash", f, record=rec + DI + "/RECORD,,\n")

    rec = "".join("%s,%s,%d\n" % (p, h(b).replace("sha256", "md5") if p == "demo/cli.py" else h(b), len(b))
                  for p, b in f.items())
    write("md5-hash", f, record=rec + DI + "/RECORD,,\n")

    write("duplicate", f, extra_entries=[("demo/__init__.py", b"import evil\n", stat.S_IFREG | 0o644)])

    bad = dict(f)
    bad["other-2.0.dist-info/METADATA"] = b"Name: other\n"
    write("two-dist-info", bad)

    bad = {k.replace("demo-1.0.dist-info", "evil-1.0.dist-info"): v for k, v in f.items()}
    write("wrong-dist-info", bad)

    bad = dict(f)
    bad[DI + "/entry_points.txt"] = b"[console_scripts]\n../../etc/evil = demo.cli:main\n"
    write("entry-point-name", bad)

    bad = dict(f)
    bad[DI + "/entry_points.txt"] = b"[console_scripts]\ndemo = os:system('id')\n"
    write("entry-point-code", bad)

    bad = dict(f)
    bad[DI + "/WHEEL"] = b"Wheel-Version: 2.0\n"
    write("wheel-version", bad)


if __name__ == "__main__":
    main()
