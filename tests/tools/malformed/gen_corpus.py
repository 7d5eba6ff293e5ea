#!/usr/bin/env python3
"""Write membudget's malformed-input corpus into a directory, deterministically.

Usage: gen_corpus.py [--full] OUTDIR

The corpus starts from small real ELFs compiled now (i386 and x86_64
with gcc, big-endian Thumb with arm-none-eabi-gcc when installed, plus
one x86_64 relocatable object) and their link maps, then mutates them:
truncations at every header boundary, offsets and sizes past the end,
huge section counts, bad name table indexes, bad symbol table entry
sizes, overlapping sections, strings without NUL, corrupt DWARF units,
abbreviations and .debug_aranges; map files and budget files with
garbage, wrong types, wrong units, duplicate, unknown and overlapping
keys; empty files, binary garbage and directories.

Every case says what membudget must do with it (Case.expect); sections
that share addresses are not malformed (real-mode segments, overlays):
  error    exit 2, one `membudget:` line on stderr, no output file;
  survive  the input is odd but usable: exit 0 (report) or 0/1 (check),
           only `membudget: ... warning:` lines, an output file;
  either   one of the two (fields membudget has no reason to read).
Corrupt DWARF in a valid ELF is "survive": attribution warns and falls
back to the other sources (tools/membudget/attribute.py).

Every ELF mutation applies to every base ELF; by default each one is
kept for one base only (chosen by a CRC of its name) and only the first
two and the last entry boundaries of each header table are cut, which
keeps every kind of mutation and every base in a corpus the test suite
runs in half a minute.  --full keeps them all (about three times as many
cases).

OUTDIR/manifest.json lists the cases (paths relative to OUTDIR).  The
same toolchains give the same bytes: sources are compiled with their
directory mapped away and random garbage comes from a fixed seed.
"""

import functools
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

# The ELF constants are membudget's own (tools/membudget/read/elf.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))
from membudget.read.elf import (  # noqa: E402
    ET_REL, SHF_ALLOC, SHF_COMPRESSED, SHT_NOBITS, SHT_PROGBITS)

ERROR, SURVIVE, EITHER = "error", "survive", "either"
#: What the zlib bomb inflates to: more than a run may take (test_malformed.py)
BOMB_SIZE = 320 << 20

#: Two small units: code, read-only data, strings, data, bss, a struct type
SOURCES = {
    "src/table.c": """\
struct point { int x, y; };
const struct point origin = { 1, 2 };
struct point table[4];
static char scratch[256];
static const char greeting[] = "hello, corpus";

static int helper(int v)
{
	return v * 3 + origin.y;
}

int table_put(int v)
{
	scratch[v & 255] = (char)v;
	table[v & 3].x = helper(v);
	return greeting[v & 7];
}
""",
    "src/start.c": """\
int table_put(int v);
int counter = 3;
const char *banner = "corpus start";

void _start(void)
{
	for (;;)
		counter += table_put(counter) + banner[counter & 3];
}
""",
}

#: name -> (compiler command, link?)
TOOLCHAINS = {
    "i386": (["gcc", "-m32", "-fno-asynchronous-unwind-tables"], True),
    "x86_64": (["gcc", "-m64", "-fasynchronous-unwind-tables"], True),
    "armbe": (["arm-none-eabi-gcc", "-mthumb", "-mcpu=cortex-m3", "-mbig-endian"], True),
    "x86_64_rel": (["gcc", "-m64", "-fno-asynchronous-unwind-tables"], False),
}
CFLAGS = ["-O1", "-g", "-ffreestanding", "-fno-pic", "-fno-stack-protector"]

GOOD_BUDGETS = """\
[image]
name = "corpus"
root = "."
rom = "1 MiB"

[components.all]
catch_all = true
budget = { code = "64 KiB", bss = 64 }
"""


@dataclass
class Case:
    name: str
    family: str
    expect: str
    elf: str
    budgets: str
    map: str | None = None
    budgets_in_report: bool = False


# ---------------------------------------------------------------- ELF layout

EHDR = {32: {"type": (16, "H"), "shoff": (32, "I"), "phoff": (28, "I"), "ehsize": (40, "H"),
             "phentsize": (42, "H"), "phnum": (44, "H"), "shentsize": (46, "H"),
             "shnum": (48, "H"), "shstrndx": (50, "H")},
        64: {"type": (16, "H"), "shoff": (40, "Q"), "phoff": (32, "Q"), "ehsize": (52, "H"),
             "phentsize": (54, "H"), "phnum": (56, "H"), "shentsize": (58, "H"),
             "shnum": (60, "H"), "shstrndx": (62, "H")}}
SHDR_FIELDS = ("name", "type", "flags", "addr", "offset", "size", "link", "info",
               "addralign", "entsize")
SHDR = {32: "IIIIIIIIII", 64: "IIQQQQIIQQ"}
SYM = {32: ("IIIBBH", ("name", "value", "size", "info", "other", "shndx")),
       64: ("IBBHQQ", ("name", "info", "other", "shndx", "value", "size"))}


class Elf:
    """The header fields of one well-formed ELF, and patched copies of it."""

    def __init__(self, data):
        self.data = bytes(data)
        self.bits = {1: 32, 2: 64}[data[4]]
        self.e = {1: "<", 2: ">"}[data[5]]
        self.hdr = {key: self.get(key) for key in EHDR[self.bits]}
        self.sections = []
        for index in range(self.hdr["shnum"]):
            at = self.hdr["shoff"] + index * self.hdr["shentsize"]
            values = struct.unpack_from(self.e + SHDR[self.bits], data, at)
            self.sections.append(dict(zip(SHDR_FIELDS, values), index=index, at=at))
        names = self.sections[self.hdr["shstrndx"]]
        table = data[names["offset"]:names["offset"] + names["size"]]
        for sec in self.sections:
            sec["sname"] = table[sec["name"]:table.index(b"\0", sec["name"])].decode()

    def get(self, key):
        at, fmt = EHDR[self.bits][key]
        return struct.unpack_from(self.e + fmt, self.data, at)[0]

    def section(self, name):
        return next((s for s in self.sections if s["sname"] == name), None)

    def mask(self):
        return (1 << self.bits) - 1

    def patch(self, data, at, fmt, value):
        """Return data with value packed at at (value masked to fit fmt)."""
        out = bytearray(data)
        value &= (1 << (8 * struct.calcsize(fmt))) - 1
        struct.pack_into(self.e + fmt, out, at, value)
        return bytes(out)

    def with_header(self, data=None, **fields):
        data = self.data if data is None else data
        for key, value in fields.items():
            at, fmt = EHDR[self.bits][key]
            data = self.patch(data, at, fmt, value)
        return data

    def with_section(self, sec, data=None, **fields):
        data = self.data if data is None else data
        fmts = SHDR[self.bits]
        for key, value in fields.items():
            index = SHDR_FIELDS.index(key)
            at = sec["at"] + struct.calcsize(self.e + fmts[:index])
            data = self.patch(data, at, fmts[index], value)
        return data

    def symbol_at(self, number):
        """(file offset, fields) of symbol number in .symtab."""
        symtab = self.section(".symtab")
        fmt, names = SYM[self.bits]
        at = symtab["offset"] + number * symtab["entsize"]
        return at, dict(zip(names, struct.unpack_from(self.e + fmt, self.data, at)))

    def with_symbol(self, number, **fields):
        at, _ = self.symbol_at(number)
        fmt, names = SYM[self.bits]
        data = self.data
        for key, value in fields.items():
            index = names.index(key)
            data = self.patch(data, at + struct.calcsize(self.e + fmt[:index]),
                              fmt[index], value)
        return data

    def reads_past(self, end):
        """Whether membudget must read a section's bytes past end."""
        return any(s["index"] and s["type"] != SHT_NOBITS and
                   s["offset"] + s["size"] > end for s in self.sections)


# ---------------------------------------------------------------- mutations


def _boundaries(kind, start, size, count, full):
    """(name, offset) of the entry boundaries of a header table.

    The quick corpus keeps the first two and the last: the ones between
    fail the same way (the table runs past the end of the file).
    """
    for k in range(count + 1):
        name = f"cut-{kind}-{'end' if k == count else k}"
        if full or k < 2 or k == count:
            yield name, start + k * size


def truncations(elf, full=True):
    """Cut the file at every header boundary and every section's data.

    Names say which boundary, not its offset, so the same cut of two
    bases has one name (one offset may be two boundaries: the first wins).
    """
    hdr = elf.hdr
    cuts = [(f"cut-at-{k}", k) for k in (1, 4, 15, 16, 17, 20)]
    cuts += [("cut-ehdr-end-1", hdr["ehsize"] - 1), ("cut-ehdr-end", hdr["ehsize"])]
    if hdr["phoff"]:
        cuts += _boundaries("phdr", hdr["phoff"], hdr["phentsize"], hdr["phnum"], full)
    cuts += _boundaries("shdr", hdr["shoff"], hdr["shentsize"], hdr["shnum"], full)
    cuts.append(("cut-last-byte", len(elf.data) - 1))
    done = set()
    for name, cut in cuts:
        if cut not in done and 0 < cut < len(elf.data):
            done.add(cut)
            yield name, elf.data[:cut], ERROR
    # The section table moved to the new end: each section's data is cut
    table = elf.data[hdr["shoff"]:hdr["shoff"] + hdr["shnum"] * hdr["shentsize"]]
    done = set()
    for sec in elf.sections[1:]:
        cut = sec["offset"]
        if cut in done or cut < hdr["ehsize"] or not elf.reads_past(cut + len(table)):
            continue
        done.add(cut)
        data = elf.with_header(elf.data[:cut] + table, shoff=cut)
        yield f"cutdata-{sec['sname']}", data, ERROR


def header_fields(elf):
    """ELF header: identification, section table position, counts, indexes."""
    d = elf.data
    yield "magic", b"\x7fELG" + d[4:], ERROR
    for value in (0, 3, 255):
        yield f"class-{value}", d[:4] + bytes([value]) + d[5:], ERROR
        yield f"data-{value}", d[:5] + bytes([value]) + d[6:], ERROR
    # The other class or byte order may still decode by chance
    other = 2 if elf.bits == 32 else 1
    yield "class-swapped", d[:4] + bytes([other]) + d[5:], EITHER
    yield "data-swapped", d[:5] + bytes([3 - d[5]]) + d[6:], EITHER
    shnum, size, entsize = elf.hdr["shnum"], len(d), elf.hdr["shentsize"]
    for what, value in (("eof", size), ("eof-1", size - 1), ("last-entry-cut", size - entsize + 1),
                        ("max", elf.mask()), ("max-entry", elf.mask() - entsize + 1),
                        ("top-bit", 1 << (elf.bits - 1))):
        yield f"shoff-{what}", elf.with_header(shoff=value), ERROR
    for what, value in (("0", 0), ("1", 1), ("minus-1", entsize - 1), ("plus-1", entsize + 1),
                        ("ffff", 0xFFFF)):
        yield f"shentsize-{what}", elf.with_header(shentsize=value), ERROR
    for what, value in (("plus-1", shnum + 1), ("ff00", 0xFF00), ("ffff", 0xFFFF)):
        yield f"shnum-{what}", elf.with_header(shnum=value), ERROR
    # e_shnum 0: the real count lives in section 0's sh_size
    zero = elf.sections[0]
    for what, value in (("plus-1", shnum + 1), ("u32-max", 0xFFFFFFFF), ("u64-max", elf.mask())):
        if what != "u64-max" or elf.bits == 64:
            data = elf.with_section(zero, elf.with_header(shnum=0), size=value)
            yield f"shnum-ext-{what}", data, ERROR
    for what, value in (("shnum", shnum), ("plus-1", shnum + 1), ("feff", 0xFEFF)):
        yield f"shstrndx-{what}", elf.with_header(shstrndx=value), ERROR
    data = elf.with_section(zero, elf.with_header(shstrndx=0xFFFF), link=0xFFFFFFFF)
    yield "shstrndx-xindex-huge", data, ERROR
    # Names from a table that is not one: .symtab's bytes
    symtab = elf.section(".symtab")
    yield "shstrndx-symtab", elf.with_header(shstrndx=symtab["index"]), EITHER
    # Program headers are not read: anything may happen but a crash
    yield "phoff-past-eof", elf.with_header(phoff=elf.mask()), EITHER
    yield "phnum-huge", elf.with_header(phnum=0xFFFF), EITHER


def section_fields(elf):
    """Section headers: offsets and sizes past the end, names, types."""
    size = len(elf.data)
    names = [".text", ".rodata", ".data", ".bss", ".symtab", ".strtab",
             ".shstrtab", ".debug_info", ".debug_abbrev", ".note.gnu.build-id"]
    for sec in filter(None, map(elf.section, names)):
        nobits = sec["type"] == SHT_NOBITS
        tag = sec["sname"].lstrip(".").replace(".", "_")
        fatal = SURVIVE if nobits else ERROR
        yield f"{tag}-offset-past-eof", elf.with_section(sec, offset=size + 16), fatal
        yield f"{tag}-offset-wraps", elf.with_section(sec, offset=elf.mask() - 7), fatal
        yield f"{tag}-size-past-eof", elf.with_section(sec, size=size), fatal
        yield f"{tag}-size-huge", elf.with_section(sec, size=1 << (elf.bits - 1)), \
            EITHER if nobits else ERROR
        yield f"{tag}-name-huge", elf.with_section(sec, name=0xFFFFFFFF), ERROR
    bss = elf.section(".bss")
    if bss:
        # NOBITS given file bytes it does not have
        data = elf.with_section(bss, type=SHT_PROGBITS, size=size)
        yield "bss-progbits-past-eof", data, ERROR
    text, data_sec = elf.section(".text"), elf.section(".data")
    if text and data_sec and elf.hdr["type"] != ET_REL:
        # Two allocated sections at the same addresses of a linked image:
        # normal input (real-mode segments at 0, overlays), attributed per section
        yield "overlap-data-on-text", elf.with_section(data_sec, addr=text["addr"]), SURVIVE
        # The first allocated section grown 4 bytes into the next one
        alloc = sorted((s for s in elf.sections if s["flags"] & SHF_ALLOC and s["size"]),
                       key=lambda s: s["addr"])
        first, second = alloc[0], alloc[1]
        grown = second["addr"] - first["addr"] + 4
        yield f"overlap-grow-{first['sname'].lstrip('.')}", \
            elf.with_section(first, size=grown), SURVIVE
        yield "overlap-file-offsets", elf.with_section(data_sec, offset=text["offset"]), \
            EITHER


def symtab_fields(elf):
    """Symbol table: entry sizes, sizes, links, names, strings."""
    symtab, strtab = elf.section(".symtab"), elf.section(".strtab")
    want = symtab["entsize"]
    for value in (0, 1, want - 1, want + 1, 2 * want, elf.mask()):
        yield f"symtab-entsize-{value:#x}", elf.with_section(symtab, entsize=value), ERROR
    yield "symtab-size-odd", elf.with_section(symtab, size=symtab["size"] - 1), ERROR
    for value, what in ((0, "zero"), (0xFFFF, "huge"), (elf.section(".text")["index"], "text"),
                        (symtab["index"], "self")):
        yield f"symtab-link-{what}", elf.with_section(symtab, link=value), ERROR
    yield "symtab-type-dynsym", elf.with_section(symtab, type=11), EITHER
    last = symtab["size"] // want - 1
    yield "symbol-name-huge", elf.with_symbol(last, name=0xFFFFFFFF), ERROR
    yield "symbol-name-end", elf.with_symbol(last, name=strtab["size"]), ERROR
    yield "symbol-shndx-huge", elf.with_symbol(last, shndx=0xFEFF), SURVIVE
    yield "symbol-shndx-xindex", elf.with_symbol(last, shndx=0xFFFF), SURVIVE
    yield "symbol-size-huge", elf.with_symbol(last, size=elf.mask()), SURVIVE
    yield "symbol-value-huge", elf.with_symbol(last, value=elf.mask()), SURVIVE
    # String tables whose last string loses its NUL
    for sec in (strtab, elf.section(".shstrtab")):
        end = sec["offset"] + sec["size"] - 1
        data = elf.data[:end] + b"A" + elf.data[end + 1:]
        yield f"{sec['sname'].lstrip('.')}-no-nul", data, ERROR
    data = elf.with_section(strtab, size=0)
    yield "strtab-empty", data, ERROR


def build_id(elf):
    """The GNU build-id note with a descriptor longer than the note."""
    note = elf.section(".note.gnu.build-id")
    if note:
        data = elf.patch(elf.data, note["offset"] + 4, "I", 0xFFFF)
        yield "build-id-descsz-huge", data, ERROR


@functools.cache
def _bomb():
    """A zlib stream of BOMB_SIZE zero bytes (made once: it takes a moment)."""
    comp = zlib.compressobj(1)
    chunk = bytes(1 << 20)
    return b"".join([comp.compress(chunk) for _ in range(BOMB_SIZE >> 20)] + [comp.flush()])


def dwarf_fields(elf, path):
    """Corrupt units, abbreviations, sibling links and .debug_aranges.

    Offsets of DIEs and attributes come from pyelftools.
    """
    from elftools.elf.elffile import ELFFile

    info, abbrev = elf.section(".debug_info"), elf.section(".debug_abbrev")
    if info is None:
        return
    with open(path, "rb") as f:
        dwarf = ELFFile(f).get_dwarf_info()
        cu = next(dwarf.iter_CUs())
        top = cu.get_top_DIE()
        kids = list(top.iter_children())
        sibling = next((d for d in kids
                        if d.has_children and "DW_AT_sibling" in d.attributes), None)
        sib_attr = sibling.attributes["DW_AT_sibling"] if sibling else None
        variable = next((d for d in kids if d.tag == "DW_TAG_variable"), None)
    base = info["offset"]
    yield "dwarf-unit-length-reserved", elf.patch(elf.data, base, "I", 0xFFFFFFF0)
    yield "dwarf-unit-length-past", elf.patch(elf.data, base, "I", info["size"] + 64)
    yield "dwarf-unit-length-zero", elf.patch(elf.data, base, "I", 0)
    yield "dwarf-unit-length-one", elf.patch(elf.data, base, "I", 1)
    data = elf.patch(elf.data, base, "I", 0xFFFFFFFF)
    yield "dwarf-unit-length-64-huge", elf.patch(data, base + 4, "I", 0x7FFFFFFF)
    yield "dwarf-version-0", elf.patch(elf.data, base + 4, "H", 0)
    yield "dwarf-version-99", elf.patch(elf.data, base + 4, "H", 99)
    version = struct.unpack_from(elf.e + "H", elf.data, base + 4)[0]
    if version >= 5:
        size_at, abbrev_at = base + 7, base + 8
    else:
        size_at, abbrev_at = base + 10, base + 6
    yield "dwarf-address-size-3", elf.patch(elf.data, size_at, "B", 3)
    yield "dwarf-address-size-0", elf.patch(elf.data, size_at, "B", 0)
    yield "dwarf-abbrev-offset-past", elf.patch(elf.data, abbrev_at, "I", abbrev["size"] + 1)
    yield "dwarf-abbrev-offset-last", elf.patch(elf.data, abbrev_at, "I", abbrev["size"] - 1)
    yield "dwarf-abbrev-truncated", elf.with_section(abbrev, size=3)
    # Marked SHF_COMPRESSED: the plain bytes are no compression header + zlib
    yield "dwarf-info-not-compressed", elf.with_section(info, flags=info["flags"] | SHF_COMPRESSED)
    yield "dwarf-abbrev-not-compressed", elf.with_section(
        abbrev, flags=abbrev["flags"] | SHF_COMPRESSED)
    # A compressed .debug_info that says 4 KiB and inflates to BOMB_SIZE
    chdr = struct.pack(elf.e + ("IIQQ" if elf.bits == 64 else "III"),
                       *((1, 0, 4096, 1) if elf.bits == 64 else (1, 4096, 1)))
    data = elf.with_section(info, flags=info["flags"] | SHF_COMPRESSED,
                            offset=len(elf.data), size=len(chdr) + len(_bomb()))
    yield "dwarf-info-zlib-bomb", data + chdr + _bomb()
    chdr = struct.pack(elf.e + ("IIQQ" if elf.bits == 64 else "III"),
                       *((1, 0, elf.mask(), 1) if elf.bits == 64 else (1, elf.mask(), 1)))
    stream = zlib.compress(bytes(64))
    data = elf.with_section(info, flags=info["flags"] | SHF_COMPRESSED,
                            offset=len(elf.data), size=len(chdr) + len(stream))
    yield "dwarf-info-zlib-size-huge", data + chdr + stream
    # Abbreviation table without its terminating 0
    end = abbrev["offset"] + abbrev["size"]
    yield "dwarf-abbrev-unterminated", elf.data[:end - 1] + b"\x7f" + elf.data[end:]
    # Codes no abbreviation defines (one-byte ULEB 0x7f)
    yield "dwarf-cu-abbrev-missing", elf.patch(elf.data, base + top.offset, "B", 0x7F)
    if kids:
        yield "dwarf-child-abbrev-missing", elf.patch(elf.data, base + kids[0].offset, "B", 0x7F)
        # A ULEB that never ends, running to the end of .debug_info
        at = base + kids[0].offset
        yield "dwarf-uleb-runaway", elf.data[:at] + b"\xff" * (info["size"] - kids[0].offset) \
            + elf.data[base + info["size"]:]
    if sib_attr is not None:
        fmt = {"DW_FORM_ref1": "B", "DW_FORM_ref2": "H", "DW_FORM_ref4": "I",
               "DW_FORM_ref8": "Q"}.get(sib_attr.form)
        if fmt:
            at = base + sib_attr.offset
            rel = sibling.offset - cu.cu_offset
            yield "dwarf-sibling-self", elf.patch(elf.data, at, fmt, rel)
            yield "dwarf-sibling-backwards", elf.patch(elf.data, at, fmt, top.offset - cu.cu_offset)
            yield "dwarf-sibling-header", elf.patch(elf.data, at, fmt, 0)
            yield "dwarf-sibling-past-unit", elf.patch(elf.data, at, fmt, info["size"] + 8)
            yield "dwarf-sibling-mid-die", elf.patch(elf.data, at, fmt, rel + 1)
    if variable is not None and "DW_AT_type" in variable.attributes:
        attr = variable.attributes["DW_AT_type"]
        fmt = {"DW_FORM_ref4": "I"}.get(attr.form)
        if fmt:
            at = base + attr.offset
            yield "dwarf-type-self", elf.patch(elf.data, at, fmt, variable.offset - cu.cu_offset)
            yield "dwarf-type-past-unit", elf.patch(elf.data, at, fmt, 0xFFFFFF)
    aranges = elf.section(".debug_aranges")
    if aranges:
        at = aranges["offset"]
        yield "aranges-length-past", elf.patch(elf.data, at, "I", aranges["size"] + 4)
        yield "aranges-length-zero", elf.patch(elf.data, at, "I", 0)
        yield "aranges-address-size-3", elf.patch(elf.data, at + 10, "B", 3)
        yield "aranges-segment-size-4", elf.patch(elf.data, at + 11, "B", 4)
        yield "aranges-unit-nowhere", elf.patch(elf.data, at + 6, "I", 0xFFFFFF)
        yield "aranges-truncated", elf.with_section(aranges, size=6)
        # First tuple: a range covering the whole address space
        # First tuple (after the 12-byte header padded to 16): size covers all
        fmt = "Q" if elf.bits == 64 else "I"
        yield "aranges-range-huge", elf.patch(elf.data, at + 16 + elf.bits // 8, fmt,
                                              elf.mask())


def eh_frame_fields(elf):
    """Corrupt .eh_frame records (only bases built with unwind tables have it).

    Attribution reads FDEs to place them with their function's unit; a
    bad record makes it warn and leave .eh_frame to the other sources.
    """
    sec = elf.section(".eh_frame")
    if sec is None or not sec["size"]:
        return
    at = sec["offset"]
    cie_length = struct.unpack_from(elf.e + "I", elf.data, at)[0]
    fde = at + 4 + cie_length
    yield "eh-cie-length-past", elf.patch(elf.data, at, "I", sec["size"] + 64), SURVIVE
    data = elf.patch(elf.data, at, "I", 0xFFFFFFFF)
    yield "eh-cie-length-64-huge", elf.patch(data, at + 4, "I", 0x7FFFFFFF), SURVIVE
    yield "eh-cie-augmentation-garbage", elf.patch(elf.data, at + 9, "I", 0x7A7A7A7A), SURVIVE
    yield "eh-fde-cie-pointer-bogus", elf.patch(elf.data, fde + 4, "I", 0x7FFFFFFF), SURVIVE
    yield "eh-fde-cie-pointer-self", elf.patch(elf.data, fde + 4, "I", 0), SURVIVE
    yield "eh-fde-length-one", elf.patch(elf.data, fde, "I", 1), SURVIVE


def map_cases(good_map, rng):
    """Map files: (name, bytes, expect)."""
    text = good_map.decode("utf-8", "replace")
    heading = "Linker script and memory map\n"
    yield "map-empty", b"", ERROR
    yield "map-binary", bytes(rng.randrange(256) for _ in range(4096)), ERROR
    yield "map-text-no-heading", b"this is not a map\n" * 50, ERROR
    yield "map-lld-header-only", b"     VMA      LMA     Size Align Out     In      Symbol\n", \
        SURVIVE
    yield "map-nul-after-heading", (heading + "\0\0\0").encode(), ERROR
    yield "map-heading-only", heading.encode(), SURVIVE
    junk = "".join(f" .text.{i} 0x{rng.getrandbits(64):x} 0x{rng.getrandbits(64):x} junk.o\n"
                   for i in range(200))
    # (the output section lines carry no numbers: a size would not match the ELF)
    yield "map-huge-entries", (heading + ".text\n" + junk).encode(), SURVIVE
    lines = "".join(f"{'  ' * rng.randrange(3)}{rng.choice(['0x', 'zz', '*fill*', 'LONG'])}"
                    f"{rng.getrandbits(32):x} 0x{rng.getrandbits(16):x}\n" for _ in range(300))
    yield "map-random-lines", (heading + lines).encode(), SURVIVE
    yield "map-bad-utf8", (heading + ".text\n").encode() + b"\xff\xfe\x80 .x\n", SURVIVE
    # A map of another link: its .text has another size than the ELF's
    yield "map-of-another-link", (heading + ".text 0x0 0x10\n").encode(), ERROR
    yield "map-bad-hex", (heading + ".text\n .text 0xZZ 0x10 a.o\n"
                          " .text 0x 0x a.o\n").encode(), SURVIVE
    yield "map-truncated", text[:len(text) // 2].encode(), SURVIVE
    # Every input section of the real map moved on top of the first one
    start = text.index(heading)
    shifted = []
    for line in text[start:].splitlines():
        tokens = line.split()
        if line.startswith(" .") and len(tokens) >= 3 and tokens[1].startswith("0x"):
            line = line.replace(tokens[1], "0x0", 1)
        shifted.append(line)
    yield "map-all-at-zero", (text[:start] + "\n".join(shifted) + "\n").encode(), SURVIVE


BUDGET_CASES = {
    # Wrong TOML
    "toml-syntax": "[image\nname = 1\n",
    "toml-duplicate-key": "[image]\nrom = 1\nrom = 2\n",
    "toml-duplicate-table": "[components.a]\ncatch_all = true\n[components.a]\npaths = []\n",
    "toml-unterminated-string": '[image]\nname = "corpus\n',
    # Unknown keys
    "unknown-top": "[imagee]\n",
    "unknown-image-key": "[image]\nrom = 1\nflash = 2\n",
    "unknown-component-key": "[components.a]\ncatch_all = true\nowner = 'x'\n",
    "unknown-budget-key": "[components.a]\ncatch_all = true\nbudget = { text = 1 }\n",
    "unknown-creep-key": "[components.a]\ncatch_all = true\ncreep = { stack = 1 }\n",
    # Wrong types
    "type-image-array": "image = [1, 2]\n",
    "type-components-int": "components = 3\n",
    "type-component-int": "[components]\na = 5\n",
    "type-name-int": "[image]\nname = 5\n",
    "type-name-empty": '[image]\nname = ""\n',
    "type-root-int": "[image]\nroot = 5\n",
    "type-rom-bool": "[image]\nrom = true\n",
    "type-rom-array": "[image]\nrom = [1]\n",
    "type-rom-date": "[image]\nrom = 1979-05-27\n",
    "type-paths-string": "[components.a]\npaths = 'src/*.c'\n",
    "type-paths-ints": "[components.a]\npaths = [1, 2]\n",
    "type-symbols-table": "[components.a]\nsymbols = { x = 1 }\n",
    "type-catch-all-string": "[components.a]\ncatch_all = 'yes'\n",
    "type-budget-int": "[components.a]\ncatch_all = true\nbudget = 5\n",
    "type-budget-code-table": "[components.a]\ncatch_all = true\nbudget = { code = { x = 1 } }\n",
    "type-creep-bool": "[components.a]\ncatch_all = true\ncreep = true\n",
    # Wrong units and values
    "unit-kb": "[image]\nrom = '5 kB'\n",
    "unit-gib": "[image]\nrom = '1 GiB'\n",
    "unit-none": "[image]\nrom = '512'\n",
    "unit-bytes-word": "[image]\nrom = '512 bytes'\n",
    "unit-exponent": "[image]\nrom = '1e3 KiB'\n",
    "unit-negative-string": "[image]\nrom = '-1 KiB'\n",
    "value-negative": "[image]\nrom = -1\n",
    "value-negative-float": "[components.a]\ncatch_all = true\nbudget = { bss = -0.5 }\n",
    "value-nan": "[image]\nrom = nan\n",
    "value-inf": "[image]\nram = inf\n",
    "value-float-huge": "[image]\nrom = 1e308\n",
    "value-string-huge": f"[image]\nrom = '{'9' * 400}.5 KiB'\n",
    "value-creep-negative": "[image]\ncreep = -3\n",
    # Components
    "component-name-dash": '[components."a-b"]\ncatch_all = true\n',
    "component-name-empty": '[components.""]\ncatch_all = true\n',
    "component-no-globs": "[components.a]\nbudget = { code = 1 }\n",
    "component-empty-glob": "[components.a]\npaths = ['  ']\n",
    "overlap-same-glob": "[components.a]\npaths = ['src/*.c']\n"
                         "[components.b]\npaths = ['src/*.c']\n",
    "overlap-same-file": "[components.a]\npaths = ['src/*.c']\n"
                         "[components.b]\npaths = ['src/table.c']\n",
    "overlap-two-catch-all": "[components.a]\ncatch_all = true\n"
                             "[components.b]\ncatch_all = true\n",
    "overlap-symbol-globs": "[components.a]\nsymbols = ['table_*']\n"
                            "[components.b]\nsymbols = ['*_put']\n",
    "root-missing": "[image]\nroot = 'no/such/dir'\n[components.a]\ncatch_all = true\n",
    "root-is-file": "[image]\nroot = '../good.toml'\n[components.a]\ncatch_all = true\n",
}


def budget_files(rng):
    """Budget files: (name, bytes); every one must be refused (exit 2)."""
    for name, text in BUDGET_CASES.items():
        # The project root is the corpus (cases/..), where src/ is
        if "root" in text or "image = " in text:
            pass
        elif "[image]\n" in text:
            text = text.replace("[image]\n", "[image]\nroot = '..'\n", 1)
        elif text.startswith("["):
            text += "\n[image]\nroot = '..'\n"
        yield f"budgets-{name}", text.encode()
    yield "budgets-not-utf8", b"[image]\nname = '\xff\xfe'\n"
    yield "budgets-utf16", "[image]\nname = 'x'\n".encode("utf-16")
    yield "budgets-nul", b"[image]\0\nrom = 1\n"
    yield "budgets-binary", bytes(rng.randrange(256) for _ in range(2048))
    yield "budgets-elf", None       # filled in with an ELF's bytes


# ---------------------------------------------------------------- builds


def _run(cmd, cwd):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr}")


def compile_base(arch, out, work):
    """Compile SOURCES for one toolchain; return (elf path, map path or None)."""
    cc, link = TOOLCHAINS[arch]
    if shutil.which(cc[0]) is None:
        return None, None
    prefix_map = f"-fdebug-prefix-map={work}=."
    flags = cc + CFLAGS + [prefix_map]
    elf = out / "base" / (arch + (".elf" if link else ".o"))
    mapfile = out / "base" / (arch + ".map") if link else None
    objects = []
    for src in sorted(SOURCES):
        obj = f"{Path(src).stem}-{arch}.o"
        _run(flags + ["-c", "-o", obj, src], work)
        objects.append(obj)
    if link:
        _run(flags + ["-nostdlib", "-static", "-Wl,-e,_start", "-Wl,--build-id=sha1",
                      f"-Wl,-Map={mapfile}", "-o", str(elf)] + objects, work)
        # The map names the output by its path: keep only the name
        text = mapfile.read_text().replace(str(out) + os.sep, "")
        mapfile.write_text(text)
    else:
        shutil.copyfile(work / objects[-1], elf)
    return elf, mapfile


def generate(outdir, full=False):
    """Write the corpus into outdir (emptied first); return the list of Cases.

    @v full     keep every ELF mutation for every base (module docstring)
    """
    out = Path(outdir).resolve()
    if out.exists():
        shutil.rmtree(out)
    for sub in ("base", "cases", "src", "work"):
        (out / sub).mkdir(parents=True)
    work = out / "work"
    for name, text in SOURCES.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
        (out / name).write_text(text)
    (out / "good.toml").write_text(GOOD_BUDGETS)
    rng = random.Random(0x6D656D62)
    cases = []

    def add(name, family, data, expect, kind="elf", base_elf=None):
        path = out / "cases" / name
        if path.exists():
            raise ValueError(f"two cases named {name}")
        path.write_bytes(data)
        rel = str(path.relative_to(out))
        case = Case(name=name, family=family, expect=expect, elf=rel, budgets="good.toml")
        if kind == "budgets":
            case.elf, case.budgets, case.budgets_in_report = base_elf, rel, True
        elif kind == "map":
            case.elf, case.map = base_elf, rel
        cases.append(case)

    bases = {}
    for arch in TOOLCHAINS:
        elf_path, map_path = compile_base(arch, out, work)
        if elf_path is not None:
            bases[arch] = (elf_path, map_path)

    # Mutation name -> [(arch, family, bytes, expect)] over the bases that have it
    mutations = {}
    for arch, (elf_path, _) in bases.items():
        elf = Elf(elf_path.read_bytes())
        families = (("truncate", truncations(elf, full)), ("header", header_fields(elf)),
                    ("sections", section_fields(elf)), ("symtab", symtab_fields(elf)),
                    ("sections", build_id(elf)), ("dwarf", eh_frame_fields(elf)),
                    ("dwarf", ((n, d, SURVIVE) for n, d in dwarf_fields(elf, elf_path))))
        for family, found in families:
            for name, data, expect in found:
                mutations.setdefault(name, []).append((arch, family, data, expect))
    shutil.rmtree(work)
    for name, variants in mutations.items():
        if not full:
            variants = [variants[zlib.crc32(name.encode()) % len(variants)]]
        for arch, family, data, expect in variants:
            add(f"{arch}-{name}", family, data, expect)

    first_elf, first_map = next(iter(bases.values()))
    rel_elf = str(first_elf.relative_to(out))
    for name, data, expect in map_cases(first_map.read_bytes(), rng):
        add(name, "map", data, expect, kind="map", base_elf=rel_elf)
    for name, data in budget_files(rng):
        add(name, "budgets", data if data is not None else first_elf.read_bytes(), ERROR,
            kind="budgets", base_elf=rel_elf)

    # Anything at all: empty files, garbage, directories
    add("empty", "garbage", b"", ERROR)
    add("budgets-empty-file", "budgets", b"", ERROR, kind="budgets", base_elf=rel_elf)
    for n, size in enumerate((1, 64, 4096, 65536)):
        add(f"garbage-{size}", "garbage", bytes(rng.randrange(256) for _ in range(size)), ERROR)
    for n in range(4):
        head = first_elf.read_bytes()[:16 + 8 * n]
        tail = bytes(rng.randrange(256) for _ in range(4096))
        add(f"elf-magic-garbage-{n}", "garbage", head + tail, ERROR)
    add("text-file", "garbage", b"#!/bin/sh\necho not an elf\n" * 20, ERROR)
    for kind, name in (("elf", "dir-as-elf"), ("budgets", "dir-as-budgets"), ("map", "dir-as-map")):
        (out / "cases" / name).mkdir()
        rel = f"cases/{name}"
        case = Case(name=name, family="garbage", expect=ERROR, elf=rel, budgets="good.toml")
        if kind == "budgets":
            case.elf, case.budgets, case.budgets_in_report = rel_elf, rel, True
        elif kind == "map":
            case.elf, case.map = rel_elf, rel
        cases.append(case)
    cases.append(Case(name="missing-elf", family="garbage", expect=ERROR,
                      elf="cases/no-such-file", budgets="good.toml"))

    manifest = {"toolchains": sorted(bases), "cases": [asdict(c) for c in cases]}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return cases


def main(argv):
    full = "--full" in argv[1:]
    args = [a for a in argv[1:] if a != "--full"]
    if len(args) != 1:
        print("usage: gen_corpus.py [--full] OUTDIR", file=sys.stderr)
        return 2
    cases = generate(args[0], full=full)
    print(f"{len(cases)} cases in {args[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
