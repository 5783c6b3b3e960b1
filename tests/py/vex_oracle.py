#!/usr/bin/env python3
"""Independent check of `ward vex` statuses, from binutils' readelf.

usage: vex_oracle.py ROOT VEX SCAN ANNOTATIONS [CONFIG]

ROOT is the root filesystem ward inspected, VEX its OpenVEX output, SCAN
ward's scan JSON of the same target (findings, and the scan's own
resolved ones), ANNOTATIONS the annotations file, CONFIG the image's config
JSON (OCI/Docker) when the target was an image.  For every statement the
expected status is recomputed with the rules of
docs/formats/vex-annotations.md, reading every ELF object with readelf
(imports, definitions, SONAME, type, program interpreter), dpkg's file
lists and the image's /ward/policy.json with plain Python.  Exit 1 on any
difference; every finding must have exactly one statement.
"""
import glob, hashlib, json, os, subprocess, sys

if len(sys.argv) not in (5, 6):
    sys.exit(__doc__)
root, vex, scan, ann = sys.argv[1], *(json.load(open(p)) for p in sys.argv[2:5])
config = json.load(open(sys.argv[5])) if len(sys.argv) == 6 else None


def resolve(path):
    """path resolved inside root as a chroot would, or None."""
    parts = [p for p in path.split("/") if p and p != "."]
    cur, links = [], 0
    while parts:
        p = parts.pop(0)
        if p == "..":
            if cur:
                cur.pop()
            continue
        full = os.path.join(root, *cur, p)
        if not os.path.lexists(full):
            return None
        if os.path.islink(full):
            links += 1
            if links > 40:
                return None
            t = os.readlink(full)
            if t.startswith("/"):
                cur = []
            parts = [x for x in t.split("/") if x and x != "."] + parts
            continue
        cur.append(p)
    return "/" + "/".join(cur)


def interp(res):
    data = open(os.path.join(root, res.lstrip("/")), "rb").read()
    if data.startswith(b"#!"):
        tok = data[2:].split(b"\n", 1)[0].strip().split()
        return tok[0].decode() if tok else None
    if data[:4] == b"\x7fELF":
        out = subprocess.run(["readelf", "-W", "-l", os.path.join(root, res.lstrip("/"))],
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            if "Requesting program interpreter:" in line:
                return line.split(":", 1)[1].strip().rstrip("]")
    return None


def runtime():
    """The set of resolved paths ward-init lets execute, or None when the
    image does not prove it (entrypoint, /ward/init, policy)."""
    if config is None:
        return None
    cfg = config.get("config") or {}
    argv = (cfg.get("Entrypoint") or []) + (cfg.get("Cmd") or [])
    if not argv or argv[0] != "/ward/init" or "--" not in argv[1:]:
        return None
    server = argv[argv.index("--", 1) + 1:]
    if not server or not os.path.isfile(os.path.join(root, "ward/init")):
        return None
    try:
        pol = json.load(open(os.path.join(root, "ward/policy.json")))
    except (OSError, ValueError):
        return None
    if not isinstance(pol, dict) or pol.get("version") != 1:
        return None
    s0 = server[0]
    if "/" not in s0:
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for e in cfg.get("Env") or []:
            if e.startswith("PATH="):
                path = e[5:]
        s0 = next((d + "/" + s0 for d in path.split(":") if resolve(d + "/" + s0)), None)
        if s0 is None:
            return None
    elif resolve(s0) is None:
        return None
    ex = {"/ward/init"}
    for prog in [s0] + list((pol.get("exec") or {}).get("allow") or []):
        cur = prog
        for _ in range(4):
            if cur is None:
                break
            res = resolve(cur)
            if res is None:
                break
            ex.add(res)
            cur = interp(res)
    return ex


EXEC = runtime()
objs = []
for d, _, files in os.walk(root):
    if d == root:
        _[:] = [x for x in _ if x not in ("proc", "sys", "dev")]
    for f in files:
        p = os.path.join(d, f)
        if os.path.islink(p) or not os.path.isfile(p) or open(p, "rb").read(4) != b"\x7fELF":
            continue
        r = subprocess.run(["readelf", "-W", "--dyn-syms", "-d", "-S", "-h", "-l", p],
                           capture_output=True, text=True)
        out = r.stdout
        dynamic = " .dynamic " in out or "(NEEDED)" in out
        symtab = " .symtab " in out
        rows = [l.split() for l in out.splitlines() if len(l.split()) >= 8 and l.split()[0].endswith(":")]
        und = {r_[7].split("@")[0] for r_ in rows if r_[6] == "UND"}
        defs = {r_[7].split("@")[0] for r_ in rows if r_[6] != "UND" and r_[3] in ("FUNC", "OBJECT", "IFUNC")
                and r_[4] in ("GLOBAL", "WEAK", "UNIQUE")}
        if not dynamic and symtab:  # a static executable: its own symbol table
            full = subprocess.run(["readelf", "-W", "-s", p], capture_output=True, text=True).stdout
            rows = [l.split() for l in full.splitlines() if len(l.split()) >= 8 and l.split()[0].endswith(":")]
            defs |= {r_[7].split("@")[0] for r_ in rows if r_[6] != "UND" and r_[3] in ("FUNC", "OBJECT", "IFUNC")
                     and r_[4] in ("GLOBAL", "WEAK", "UNIQUE")}
        soname = [l.split("[")[1].rstrip("]") for l in out.splitlines() if "(SONAME)" in l]
        etype = next((l.split(":", 1)[1].split()[0] for l in out.splitlines() if l.strip().startswith("Type:")), "")
        has_interp = "Requesting program interpreter" in out
        program = etype == "EXEC" or (has_interp and not soname)
        rel = "/" + os.path.relpath(p, root)
        dead = EXEC is not None and program and resolve(rel) not in EXEC
        objs.append({"und": und, "defs": defs, "soname": soname[0] if soname else None,
                     "base": os.path.basename(p), "data": open(p, "rb").read(), "dynamic": dynamic,
                     "symtab": symtab, "bad": r.returncode != 0 or "Error" in r.stderr, "dead": dead})

open_f = {(f["id"], f["purl"]): f for f in scan["findings"]}
resolved_f = {(f["id"], f["purl"]): f for f in scan.get("resolved", [])}
bad = 0
seen = set()
for s in vex["statements"]:
    name, prod = s["vulnerability"]["name"], s["products"][0]["@id"]
    seen.add((name, prod))
    if (name, prod) in resolved_f:
        f = resolved_f[(name, prod)]
        want = ("fixed", None) if f["status"] == "fixed" else ("not_affected", f.get("justification"))
    else:
        f = open_f[(name, prod)]
        lists = glob.glob(os.path.join(root, "var/lib/dpkg/info", f["owner"] + ".list")) + \
            glob.glob(os.path.join(root, "var/lib/dpkg/info", f["owner"] + ":*.list"))
        listed = [l.strip() for p in lists for l in open(p) if l.strip()]
        md5 = os.path.join(root, "var/lib/dpkg/status.d", f["owner"] + ".md5sums")
        if not lists and os.path.exists(md5):
            listed = ["/" + l.rstrip("\n").split("  ", 1)[1].lstrip("/") for l in open(md5) if "  " in l]
        listed = [l for l in listed if not l.startswith(("/usr/share/doc/", "/usr/share/man/",
                                                         "/usr/share/info/", "/usr/share/lintian/"))]
        a = next((a for a in ann["annotations"] if a["vulnerability"] == name or
                  name in a.get("aliases", []) or
                  any(x == a["vulnerability"] or x in a.get("aliases", []) for x in f["aliases"])), None)
        provides = lambda o: o["soname"] in a["libraries"] or o["base"] in a["libraries"]
        default = ("affected" if f["status"] == "affected" else "under_investigation", None)
        want = None
        present = any(os.path.lexists(root + l) and not os.path.isdir(root + l) for l in listed)
        gone = any(not os.path.lexists(root + l) for l in listed)
        if f["ecosystem"].startswith("Debian:") and not present and gone:
            want = ("not_affected", "component_not_present")
        elif a is None:
            want = default
        elif a.get("packages") and f["owner"] not in a["packages"]:
            want = ("not_affected", "component_not_present")
        if want is None and a.get("programs"):
            present = [p for p in a["programs"] if resolve(p)]
            run = [p for p in present if EXEC is None or resolve(p) in EXEC]
            if not present and not a.get("libraries"):
                want = ("not_affected", "vulnerable_code_not_present")
            elif EXEC is not None and not run and not a.get("libraries"):
                want = ("not_affected", "vulnerable_code_not_in_execute_path")
            elif run or not a.get("libraries"):
                want = default
        if want is None:
            live = [o for o in objs if not o["dead"]]
            if not any(provides(o) for o in objs):
                want = ("not_affected", "vulnerable_code_not_present")
            elif any(o["bad"] for o in objs) or any(not provides(o) and (
                     (o["und"] | o["defs"]) & set(a["symbols"]) or
                     ("dlopen" in o["und"] and any(l.split(".so")[0].encode() + b".so" in o["data"]
                                                   for l in a["libraries"])) or
                     (not o["dynamic"] and not o["symtab"] and any(x.encode() in o["data"] for x in
                                                                   a["symbols"] + [l.split(".so")[0] for l in a["libraries"]])))
                     for o in live):
                want = default
            else:
                want = ("not_affected", "vulnerable_code_not_in_execute_path")
    if (s["status"], s.get("justification")) != want:
        bad += 1
        print("%s %s: ward %s, oracle says %s" % (name, f["owner"], (s["status"], s.get("justification")), want))
missing = (set(open_f) | set(resolved_f)) - seen
for m in sorted(missing):
    bad += 1
    print("no statement for %s %s" % m)
print("%d statements checked (runtime policy %s)" % (len(vex["statements"]),
                                                     "proven" if EXEC is not None else "not proven"))
sys.exit(1 if bad else 0)
