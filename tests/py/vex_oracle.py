#!/usr/bin/env python3
"""Independent check of `ward vex` statuses, from binutils' readelf.

usage: vex_oracle.py ROOT VEX SCAN ANNOTATIONS

ROOT is the root filesystem ward inspected, VEX its OpenVEX output, SCAN
ward's scan JSON of the same target (for owners and fixed versions) and
ANNOTATIONS the annotations file.  For every statement the expected status
is recomputed with the rules of docs/formats/vex-annotations.md, reading
every ELF object with readelf (imports, definitions, SONAME) and dpkg's file
lists with plain Python.  Exit 1 on any difference.
"""
import glob, json, os, subprocess, sys
if len(sys.argv) != 5:
    sys.exit(__doc__)
root, vex, scan, ann = sys.argv[1], *(json.load(open(p)) for p in sys.argv[2:])
objs = []
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        if os.path.islink(p) or not os.path.isfile(p) or open(p, "rb").read(4) != b"\x7fELF":
            continue
        r = subprocess.run(["readelf", "-W", "--dyn-syms", "-d", "-S", p], capture_output=True,
                           text=True)
        out = r.stdout
        dynamic = " .dynamic " in out or "(NEEDED)" in out
        symtab = " .symtab " in out
        rows = [l.split() for l in out.splitlines() if len(l.split()) >= 8 and l.split()[0].endswith(":")]
        und = {r[7].split("@")[0] for r in rows if r[6] == "UND"}
        defs = {r[7].split("@")[0] for r in rows if r[6] != "UND" and r[3] in ("FUNC", "OBJECT", "IFUNC")
                and r[4] in ("GLOBAL", "WEAK", "UNIQUE")}
        if not dynamic and symtab:  # a static executable: its own symbol table
            full = subprocess.run(["readelf", "-W", "-s", p], capture_output=True, text=True).stdout
            rows = [l.split() for l in full.splitlines() if len(l.split()) >= 8 and l.split()[0].endswith(":")]
            defs |= {r[7].split("@")[0] for r in rows if r[6] != "UND" and r[3] in ("FUNC", "OBJECT", "IFUNC")
                     and r[4] in ("GLOBAL", "WEAK", "UNIQUE")}
        soname = [l.split("[")[1].rstrip("]") for l in out.splitlines() if "(SONAME)" in l]
        objs.append((und, defs, soname[0] if soname else None, os.path.basename(p),
                     open(p, "rb").read(), dynamic, symtab, r.returncode != 0 or "Error" in r.stderr))
findings = {(f["id"], f["purl"]): f for f in scan["findings"]}
bad = 0
for s in vex["statements"]:
    name, prod = s["vulnerability"]["name"], s["products"][0]["@id"]
    f = findings[(name, prod)]
    lists = glob.glob(os.path.join(root, "var/lib/dpkg/info", f["owner"] + ".list")) + \
        glob.glob(os.path.join(root, "var/lib/dpkg/info", f["owner"] + ":*.list"))
    listed = [l.strip() for p in lists for l in open(p) if l.strip()]
    a = next((a for a in ann["annotations"] if a["vulnerability"] == name), None)
    provides = lambda o: o[2] in a["libraries"] or o[3] in a["libraries"]
    if listed and not any(os.path.lexists(root + l) and not os.path.isdir(root + l) for l in listed):
        want = ("not_affected", "component_not_present")
    elif a is None:
        want = ("affected" if f["fixed"] else "under_investigation", None)
    elif a.get("packages") and f["owner"] not in a["packages"]:
        want = ("not_affected", "component_not_present")
    elif not any(provides(o) for o in objs):
        want = ("not_affected", "component_not_present")
    elif any(o[7] for o in objs) or any(not provides(o) and (
             (o[0] | o[1]) & set(a["symbols"]) or
             ("dlopen" in o[0] and any(l.split(".so")[0].encode() + b".so" in o[4]
                                       for l in a["libraries"])) or
             # a stripped static executable naming a symbol or the library
             (not o[5] and not o[6] and any(x.encode() in o[4] for x in
                                            a["symbols"] + [l.split(".so")[0] for l in a["libraries"]])))
             for o in objs):
        want = ("affected" if f["fixed"] else "under_investigation", None)
    else:
        want = ("not_affected", "vulnerable_code_not_in_execute_path")
    if (s["status"], s.get("justification")) != want:
        bad += 1
        print("%s %s: ward %s, readelf says %s" % (name, f["owner"], (s["status"], s.get("justification")), want))
print("%d statements checked" % len(vex["statements"]))
sys.exit(1 if bad else 0)
