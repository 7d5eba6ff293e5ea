"""A tiny ELF writer for tests: sections and a symbol table, nothing else.

write_elf() lays out an ELF32 or ELF64 file of either byte order: the ELF
header, each section's bytes (NOBITS sections take none), .symtab,
.strtab, .shstrtab and the section header table.  Symbols name their
section by index in the list given (0-based; the file's index is one
more, after the null section).  Local symbols must come before globals,
as in any ELF; an STT_FILE symbol starts a group of locals.  No program
headers: membudget reads sections only.
"""

import struct
from dataclasses import dataclass

# The ELF constants are membudget's own (tools/membudget/read/elf.py)
from membudget.read.elf import (
    EM_386, EM_X86_64, ET_EXEC, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHN_ABS, SHT_NOBITS,
    SHT_PROGBITS, SHT_STRTAB, SHT_SYMTAB, STB_LOCAL, STT_NOTYPE)

#: Flags and type of each size class (docs/design.md "Size classes")
CLASS_LAYOUT = {"code": (SHF_ALLOC | SHF_EXECINSTR, SHT_PROGBITS),
                "rodata": (SHF_ALLOC, SHT_PROGBITS),
                "data": (SHF_ALLOC | SHF_WRITE, SHT_PROGBITS),
                "bss": (SHF_ALLOC | SHF_WRITE, SHT_NOBITS)}


@dataclass
class Section:
    name: str
    cls: str            # a CLASS_LAYOUT key
    addr: int
    size: int
    data: bytes = b""   # size bytes, ignored for bss
    align: int = 1


@dataclass
class Symbol:
    name: str
    section: int | None     # index into the sections list; None: SHN_ABS
    value: int
    size: int = 0
    kind: int = STT_NOTYPE
    bind: int = STB_LOCAL


class _Strings:
    """A string table under construction."""

    def __init__(self):
        self.data = bytearray(b"\0")
        self.offsets = {"": 0}

    def add(self, name):
        if name not in self.offsets:
            self.offsets[name] = len(self.data)
            self.data += name.encode() + b"\0"
        return self.offsets[name]


def write_elf(path, sections, symbols, bits=32, endian="<", machine=None):
    """Write an ET_EXEC ELF file to path; return the bytes written."""
    e = endian
    wide = bits == 64
    machine = machine if machine is not None else (EM_X86_64 if wide else EM_386)
    ehsize, shentsize = (64, 64) if wide else (52, 40)
    out = bytearray(ehsize)
    shstr, strtab = _Strings(), _Strings()
    headers = [(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)]

    def place(blob, align):
        while len(out) % align:
            out.append(0)
        offset = len(out)
        out.extend(blob)
        return offset

    for sec in sections:
        flags, sh_type = CLASS_LAYOUT[sec.cls]
        if sh_type == SHT_NOBITS:
            offset = place(b"", sec.align)
        else:
            assert len(sec.data) == sec.size, sec.name
            offset = place(sec.data, sec.align)
        headers.append((shstr.add(sec.name), sh_type, flags, sec.addr, offset, sec.size,
                        0, 0, sec.align, 0))

    locals_ = sum(1 for s in symbols if s.bind == STB_LOCAL) + 1
    assert all(s.bind == STB_LOCAL for s in symbols[:locals_ - 1]), "locals first"
    entsize = 24 if wide else 16
    table = bytearray(entsize)
    for sym in symbols:
        shndx = SHN_ABS if sym.section is None else sym.section + 1
        info = (sym.bind << 4) | sym.kind
        if wide:
            table += struct.pack(e + "IBBHQQ", strtab.add(sym.name), info, 0, shndx,
                                 sym.value, sym.size)
        else:
            table += struct.pack(e + "IIIBBH", strtab.add(sym.name), sym.value, sym.size,
                                 info, 0, shndx)
    symtab_index = len(headers)
    headers.append((shstr.add(".symtab"), SHT_SYMTAB, 0, 0, place(table, 8), len(table),
                    symtab_index + 1, locals_, 8, entsize))
    headers.append((shstr.add(".strtab"), SHT_STRTAB, 0, 0, place(strtab.data, 1),
                    len(strtab.data), 0, 0, 1, 0))
    name = shstr.add(".shstrtab")
    headers.append((name, SHT_STRTAB, 0, 0, place(shstr.data, 1), len(shstr.data),
                    0, 0, 1, 0))
    shdr = e + ("IIQQQQIIQQ" if wide else "IIIIIIIIII")
    shoff = place(b"".join(struct.pack(shdr, *h) for h in headers), 8)

    ident = b"\x7fELF" + bytes([2 if wide else 1, 1 if e == "<" else 2, 1]) + bytes(9)
    fields = (ET_EXEC, machine, 1, 0, 0, shoff, 0, ehsize, 0, 0, shentsize,
              len(headers), len(headers) - 1)
    header = struct.pack(e + ("HHIQQQIHHHHHH" if wide else "HHIIIIIHHHHHH"), *fields)
    out[:ehsize] = ident + header
    with open(path, "wb") as f:
        f.write(out)
    return bytes(out)
