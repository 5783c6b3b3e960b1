#!/usr/bin/env python3
"""Write small ELF shared objects in every class and byte order.

usage: elf_craft.py OUTDIR

Writes OUTDIR/{elf32le,elf32be,elf64le,elf64be}.so: a SONAME, two DT_NEEDED
entries, undefined symbols with and without a GNU symbol version
(.gnu.version + .gnu.version_r), a weak import, a defined function and a
defined object.  Built from the ELF specification with struct only, so the
test compares ward's reader with binutils' readelf on objects that neither
a 64-bit little-endian compiler nor ward produced.
"""
import os
import struct
import sys

SHT_STRTAB, SHT_DYNAMIC, SHT_DYNSYM = 3, 6, 11
SHT_GNU_VERNEED, SHT_GNU_VERSYM = 0x6FFFFFFE, 0x6FFFFFFF
DT_NULL, DT_NEEDED, DT_SONAME = 0, 1, 14
STB_GLOBAL, STB_WEAK = 1, 2
STT_OBJECT, STT_FUNC = 1, 2


class Strtab:
    def __init__(self):
        self.data = b"\0"
        self.index = {"": 0}

    def add(self, s):
        if s not in self.index:
            self.index[s] = len(self.data)
            self.data += s.encode() + b"\0"
        return self.index[s]


def craft(bits, endian, machine):
    e = "<" if endian == "le" else ">"
    is64 = bits == 64
    dynstr, shstr = Strtab(), Strtab()
    soname = "libcraft%d%s.so.1" % (bits, endian)
    needed = ["libx.so.1", "libc.so.6"]
    # (name, defined, bind, type, version index)
    syms = [
        ("foo_import", False, STB_GLOBAL, STT_FUNC, 2),
        ("bar_plain", False, STB_GLOBAL, STT_FUNC, 1),
        ("weak_thing", False, STB_WEAK, STT_FUNC, 3),
        ("my_export", True, STB_GLOBAL, STT_FUNC, 1),
        ("my_table", True, STB_GLOBAL, STT_OBJECT, 1),
    ]
    for n in [soname] + needed + [s[0] for s in syms] + ["LIBX_1.0", "GLIBC_2.2.5"]:
        dynstr.add(n)

    # section indices: 0 null, 1 .dynsym, 2 .dynstr, 3 .gnu.version,
    # 4 .gnu.version_r, 5 .dynamic, 6 .text (defined symbols point here), 7 .shstrtab
    sym_fmt = e + ("IBBHQQ" if is64 else "IIIBBH")
    dynsym = b"\0" * struct.calcsize(sym_fmt)
    for name, defined, bind, typ, _ in syms:
        info = (bind << 4) | typ
        shndx = 6 if defined else 0
        value = 0x1000 if defined else 0
        if is64:
            dynsym += struct.pack(sym_fmt, dynstr.add(name), info, 0, shndx, value, 16)
        else:
            dynsym += struct.pack(sym_fmt, dynstr.add(name), value, 16, info, 0, shndx)
    versym = struct.pack(e + "H", 0) + b"".join(struct.pack(e + "H", s[4]) for s in syms)
    # one verneed per library, one aux each
    vn_libx = struct.pack(e + "HHIII", 1, 1, dynstr.add("libx.so.1"), 16, 32)
    va_libx = struct.pack(e + "IHHII", 0x0ABCDEF0, 0, 2, dynstr.add("LIBX_1.0"), 0)
    vn_libc = struct.pack(e + "HHIII", 1, 1, dynstr.add("libc.so.6"), 16, 0)
    va_libc = struct.pack(e + "IHHII", 0x09691A75, 0, 3, dynstr.add("GLIBC_2.2.5"), 0)
    verneed = vn_libx + va_libx + vn_libc + va_libc
    dyn_fmt = e + ("qQ" if is64 else "iI")
    text = b"\xc3" * 32
    names = [".dynsym", ".dynstr", ".gnu.version", ".gnu.version_r", ".dynamic", ".text",
             ".shstrtab"]
    for n in names:
        shstr.add(n)
    ehsize = 64 if is64 else 52
    ph_fmt = e + ("IIQQQQQQ" if is64 else "IIIIIIII")
    phsize = struct.calcsize(ph_fmt)

    def dynamic_for(addr):
        d = [(DT_NEEDED, dynstr.add(n)) for n in needed]
        d += [(DT_SONAME, dynstr.add(soname)), (5, addr[1]), (6, addr[0]),
              (10, len(dynstr.data)), (11, struct.calcsize(sym_fmt)), (0x6FFFFFF0, addr[2]),
              (0x6FFFFFFE, addr[3]), (0x6FFFFFFF, 2), (DT_NULL, 0)]
        return b"".join(struct.pack(dyn_fmt, t, v) for t, v in d)

    # lay out once with a placeholder .dynamic of the right size, then fill it
    # in: addresses equal file offsets (one PT_LOAD from offset 0)
    bodies = [dynsym, dynstr.data, versym, verneed, dynamic_for([0] * 4), text, shstr.data]
    offsets, off = [], ehsize + 2 * phsize
    for b in bodies:
        off += (-off) % 8
        offsets.append(off)
        off += len(b)
    bodies[4] = dynamic_for(offsets)
    blob, pos = b"", ehsize + 2 * phsize
    for o, b in zip(offsets, bodies):
        blob += b"\0" * (o - pos) + b
        pos = o + len(b)
    blob += b"\0" * ((-pos) % 8)
    shoff = pos + (-pos) % 8
    sh_fmt = e + ("IIQQQQIIQQ" if is64 else "IIIIIIIIII")
    specs = [  # type, flags, link, info, align, entsize
        (SHT_DYNSYM, 2, 2, 1, 8, struct.calcsize(sym_fmt)),
        (SHT_STRTAB, 2, 0, 0, 1, 0),
        (SHT_GNU_VERSYM, 2, 1, 0, 2, 2),
        (SHT_GNU_VERNEED, 2, 2, 2, 4, 0),
        (SHT_DYNAMIC, 3, 2, 0, 8, struct.calcsize(dyn_fmt)),
        (1, 6, 0, 0, 16, 0),
        (SHT_STRTAB, 0, 0, 0, 1, 0),
    ]
    shdrs = b"\0" * struct.calcsize(sh_fmt)
    for i, (typ, flags, link, info, align, entsize) in enumerate(specs):
        addr = offsets[i] if flags & 2 else 0
        shdrs += struct.pack(sh_fmt, shstr.add(names[i]), typ, flags, addr, offsets[i],
                             len(bodies[i]), link, info, align, entsize)
    total = shoff + len(shdrs)
    if is64:
        phdrs = struct.pack(ph_fmt, 1, 5, 0, 0, 0, total, total, 0x1000)
        phdrs += struct.pack(ph_fmt, 2, 6, offsets[4], offsets[4], offsets[4], len(bodies[4]),
                             len(bodies[4]), 8)
    else:
        phdrs = struct.pack(ph_fmt, 1, 0, 0, 0, total, total, 5, 0x1000)
        phdrs += struct.pack(ph_fmt, 2, offsets[4], offsets[4], offsets[4], len(bodies[4]),
                             len(bodies[4]), 6, 8)
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1 if endian == "le" else 2, 1, 0]) + b"\0" * 8
    eh_fmt = e + ("HHIQQQIHHHHHH" if is64 else "HHIIIIIHHHHHH")
    ehdr = ident + struct.pack(eh_fmt, 3, machine, 1, 0, ehsize, shoff, 0, ehsize, phsize, 2,
                               struct.calcsize(sh_fmt), len(specs) + 1, len(specs))
    return ehdr + phdrs + blob + shdrs


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for bits, endian, machine in ((32, "le", 3), (32, "be", 20), (64, "le", 62), (64, "be", 21)):
        with open(os.path.join(out, "elf%d%s.so" % (bits, endian)), "wb") as f:
            f.write(craft(bits, endian, machine))


if __name__ == "__main__":
    main()
