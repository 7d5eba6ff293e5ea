"""The truth the real-world corpus is checked against, read from a GNU ld map.

Deliberately simple and independent of membudget (it imports nothing from
tools/membudget): it walks the map line by line, keeps the allocated output
sections and, in each, the pieces GNU ld placed there: input sections (with
their object file), `*fill*` and data statements (`LONG(...)` and friends).
An input section's class is decided by its name alone:

    .text*  .prefix*  (so .text16* too)   code
    .rodata*  .srodata*  .isr_vector*     rodata
    .bss*  .sbss*  COMMON                 bss
    anything else                         data

(.srodata and .isr_vector are read-only sections under other names: RISC-V
small constants and the Cortex-M vector table.)  Output sections GNU ld
lists but does not load (.debug_*, .comment, attributes, /DISCARD/) are
skipped by name; test_realworld checks that choice against the ELF's
SHF_ALLOC flags, and every section's pieces against `size -A`.

`parse_memory_usage` reads what `ld --print-memory-usage` printed.
"""

import collections
import pathlib
from dataclasses import dataclass, field

CLASSES = ("code", "rodata", "data", "bss")
CODE = (".text", ".prefix")
RODATA = (".rodata", ".srodata", ".isr_vector")
BSS = (".bss", ".sbss", "COMMON")
NOT_ALLOCATED = (".debug", ".comment", ".note.GNU-stack", ".ARM.attributes",
                 ".riscv.attributes", ".gnu.attributes", ".gnu_debuglink", ".stab",
                 "/DISCARD/")
#: Data statements and the bytes each one stores
STATEMENTS = {"BYTE": 1, "SHORT": 2, "LONG": 4, "QUAD": 8, "SQUAD": 8}
#: Lines at column 0 that are not output sections
NOT_SECTIONS = ("LOAD", "OUTPUT(", "START", "END", "TARGET(", "INPUT(", "GROUP(")
UNITS = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}


def input_class(name):
    """The class of an input section, by its name."""
    for prefixes, cls in ((CODE, "code"), (RODATA, "rodata"), (BSS, "bss")):
        if name.startswith(prefixes):
            return cls
    return "data"


@dataclass
class Piece:
    """Bytes of one output section: an input section, fill or a statement."""

    kind: str           # "input", "fill" or "statement"
    name: str           # input section name, "*fill*" or "LONG" ...
    addr: int
    size: int
    file: str | None    # the object file, as the map names it (inputs only)


@dataclass
class OutputSection:
    name: str
    addr: int | None = None
    size: int = 0
    lma: int | None = None
    pieces: list = field(default_factory=list)


@dataclass
class Region:
    """One line of the map's Memory Configuration."""

    name: str
    origin: int
    length: int


@dataclass
class LinkMap:
    regions: list
    sections: list      # allocated output sections only, in map order

    def inputs(self):
        return [p for s in self.sections for p in s.pieces if p.kind == "input"]

    def by_object(self):
        """{object file name (no directory): {class: bytes}}."""
        objects = collections.defaultdict(lambda: dict.fromkeys(CLASSES, 0))
        for piece in self.inputs():
            objects[pathlib.PurePath(piece.file).name][input_class(piece.name)] += piece.size
        return dict(objects)

    def class_totals(self):
        """{class: bytes} of every input section (no fill, no statements)."""
        totals = dict.fromkeys(CLASSES, 0)
        for piece in self.inputs():
            totals[input_class(piece.name)] += piece.size
        return totals

    def total(self, kind):
        """Bytes of every piece of one kind ("fill", "statement", "input")."""
        return sum(p.size for s in self.sections for p in s.pieces if p.kind == kind)

    def section_sizes(self):
        """{output section: size its header line gives}."""
        return {s.name: s.size for s in self.sections}

    def piece_sums(self):
        """{output section: sum of its pieces}."""
        return {s.name: sum(p.size for p in s.pieces) for s in self.sections}


def _hex(token):
    try:
        return int(token, 16) if token.startswith("0x") else None
    except ValueError:
        return None


def _memory_configuration(lines):
    """Regions listed between `Memory Configuration` and the script."""
    regions = []
    start = lines.index("Memory Configuration") + 1
    for line in lines[start:]:
        if line.startswith("Linker script and memory map"):
            break
        fields = line.split()
        if len(fields) >= 3 and fields[0] not in ("Name", "*default*"):
            regions.append(Region(fields[0], int(fields[1], 16), int(fields[2], 16)))
    return regions


def _header(section, fields):
    """Fill an output section's address, size and LMA from `ADDR SIZE [load address LMA]`."""
    section.addr, section.size = _hex(fields[0]), _hex(fields[1])
    if fields[2:4] == ["load", "address"]:
        section.lma = _hex(fields[4])


def parse_map(path):
    """Read a GNU ld map file into a LinkMap."""
    lines = pathlib.Path(path).read_text().splitlines()
    regions = _memory_configuration(lines)
    body = lines[lines.index("Linker script and memory map") + 1:]
    sections = []
    current = None          # output section being read
    awaiting_header = False  # output section name alone on its line
    pending = None          # input section name alone on its line
    for line in body:
        fields = line.split()
        if not fields:
            continue
        if not line[0].isspace():
            pending = None
            if line.startswith(NOT_SECTIONS):
                current = None
                continue
            current = OutputSection(fields[0])
            sections.append(current)
            awaiting_header = len(fields) == 1
            if not awaiting_header:
                _header(current, fields[1:])
            continue
        if current is None:
            continue
        if awaiting_header:
            awaiting_header = False
            if _hex(fields[0]) is not None and len(fields) >= 2 and _hex(fields[1]) is not None:
                _header(current, fields)
                continue
        if line.startswith(" ") and not line.startswith("  "):
            # An input section, *fill* or a pattern: one leading space
            name = fields[0]
            if "(" in name:
                continue        # an input pattern such as *(.text .text.*)
            if len(fields) == 1:
                pending = name
                continue
            addr, size = _hex(fields[1]), _hex(fields[2])
            if name == "*fill*":
                current.pieces.append(Piece("fill", name, addr, size, None))
            else:
                current.pieces.append(Piece("input", name, addr, size, " ".join(fields[3:])))
            continue
        # Deeply indented: a continuation, a statement, a symbol or an assignment
        addr = _hex(fields[0])
        size = _hex(fields[1]) if len(fields) > 1 else None
        if pending is not None and addr is not None and size is not None:
            current.pieces.append(Piece("input", pending, addr, size, " ".join(fields[2:])))
            pending = None
        elif size is not None and len(fields) > 2 and fields[2] in STATEMENTS:
            assert size == STATEMENTS[fields[2]], line
            current.pieces.append(Piece("statement", fields[2], addr, size, None))
        elif size is not None and len(fields) > 2 and fields[2] == "FILL":
            continue            # FILL(...) sets the pattern, stores nothing
        elif size is not None:
            raise ValueError(f"{path}: unexpected map line: {line!r}")
    allocated = [s for s in sections if not s.name.startswith(NOT_ALLOCATED)]
    return LinkMap(regions, allocated)


def parse_memory_usage(text):
    """Parse `ld --print-memory-usage`: {region: (used bytes, region size)}."""
    regions = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 6 and fields[0].endswith(":") and fields[5].endswith("%"):
            used = int(fields[1]) * UNITS[fields[2]]
            length = int(fields[3]) * UNITS[fields[4]]
            regions[fields[0][:-1]] = (used, length)
    return regions
