"""Read a linker map file into input-section records.

Three formats, told apart by their headings:

  * GNU ld (`ld -Map`): the "Linker script and memory map" part lists,
    inside each output section, the input sections in address order with
    the object they came from, the `*fill*` gaps the linker padded, and
    data statements (BYTE/SHORT/LONG/QUAD) from the linker script.  An
    input section name too long for its column sits alone on its line and
    its address, size and object follow on the next: both shapes are read.
    Merged sections (.rodata.str*) appear with their size after merging,
    each object listed with the strings it kept, which is exactly what
    attribution needs.
  * gold: the same line shapes under "Memory map"; its own records start
    with "**": "** fill"/"** zero fill" are padding, "** merge strings"
    and "** merge constants" are merged bytes no object owns any more, the
    other "**" records (headers, symbol tables) are the linker's.
  * lld: columns "VMA LMA Size Align Out In Symbol", input sections as
    "object:(section)"; "<internal>" ones are the linker's, except the
    synthetic merge sections inside .rodata*, which are merged bytes.

GNU ld maps also give each output section's address, size and load
address (`load address 0x...` when it differs), and the "Memory
Configuration" table: read_map() returns all three as a LinkMap.  Data
statements (BYTE, SHORT, LONG, QUAD, SQUAD) are the linker's, also after
an input pattern that matched nothing (`*(.xdata)` then `LONG ...`).  The
map ends at a cross-reference table or at output some build scripts
append after it (`objdump -h`, "FILE:  file format ...").

Symbol and assignment lines are skipped.  Anything else is an InputError.

The loops over the lines of the memory map and of the discarded list run
in C (_mapfile.c) on the file's bytes; only what Python reads is decoded.
"""

import re
from typing import NamedTuple

from .. import model
from . import ldscript
from ._mapfile import breaks as _breaks, discarded as _scan_discarded, gnu as _scan_gnu

GNU_HEADING = "Linker script and memory map"
GOLD_HEADING = "Memory map"
LLD_COLUMNS = ("VMA", "LMA", "Size", "Align", "Out", "In", "Symbol")
END_HEADINGS = ("Cross Reference Table",)
MEMORY_HEADING = "Memory Configuration"
DISCARDED_HEADING = "Discarded input sections"
#: `name = ...` or `PROVIDE (name = ...)` after the address of an assignment
ASSIGNED_RE = re.compile(r"(?:PROVIDE(?:_HIDDEN)?\s*\(\s*)?([A-Za-z_.$][\w.$]*)\s*=")


class MapEntry(NamedTuple):
    """One input section (or fill, or data statement) of an output section.

    A named tuple, as model.Symbol: a large map has hundreds of thousands.
    """

    name: str           # input section name, "*fill*" or e.g. "LONG"
    output: str         # the output section it was placed in
    addr: int
    size: int
    object: str | None  # object file (or "lib.a(member.o)"), None if none
    fill: bool = False  # linker padding (*fill*)
    linker: bool = False  # bytes the linker itself (or its script) made
    merged: bool = False  # merged strings/constants no object owns
    pattern: str | None = None  # the script pattern that placed it (ldscript.normalize)


class OutputSection(model.FrozenRecord):
    """An output section as the map states it."""

    FIELDS = ("name", "addr", "size", "lma")

    def __init__(self, name, addr, size, lma):
        self.name = name
        self.addr = addr        # run address (VMA)
        self.size = size
        self.lma = lma          # load address (= addr unless `load address` follows)


class Region(model.FrozenRecord):
    """A MEMORY region of the link's script."""

    FIELDS = ("name", "origin", "length", "attributes")

    def __init__(self, name, origin, length, attributes):
        self.name = name
        self.origin = origin
        self.length = length
        self.attributes = attributes    # as written: "rx", "xrw", ... ("" when none)


class LinkMap(model.Record):
    """What read_map() returns: input sections, output sections, regions."""

    FIELDS = ("entries", "sections", "regions", "discarded", "cref", "assigned")

    def __init__(self, entries, sections=None, regions=None, discarded=None, cref=None,
                 assigned=None):
        self.entries = entries                              # [MapEntry]
        self.sections = {} if sections is None else sections    # name -> OutputSection
        self.regions = [] if regions is None else regions       # [Region]
        #: "Discarded input sections" (GNU ld): name, size and object of each
        self.discarded = [] if discarded is None else discarded
        #: the Cross Reference Table (ld --cref): symbol -> the files it lists,
        #: the defining one first when an object defines it
        self.cref = cref
        #: symbols the script assigns (`__bss_start = .`, PROVIDE(...) used)
        self.assigned = set() if assigned is None else assigned


def _hex(token):
    """Return the value of a 0x token, or None."""
    if not token.startswith("0x"):
        return None
    try:
        return int(token, 16)
    except ValueError:
        return None


def _text(data):
    """The text of some of the map's bytes: UTF-8, anything else replaced
    (a decoder starts afresh at each "\n": lines decode alone)."""
    return data.decode("utf-8", "replace")


def _read(path):
    """Return the map's bytes, its lines ending in "\n" alone.

    A map written with "\r\n" (or any break str.splitlines() knows) has
    its lines joined again with "\n": the lines are the same.  Only the
    parts read in Python are decoded.
    """
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as err:
        raise model.InputError(path, err.strerror or str(err)) from None
    kind = _breaks(raw)
    if kind == 2:
        raise model.InputError(path, "not a linker map file (binary data)")
    if kind:
        raw = "\n".join(_text(raw).splitlines()).encode()
    return raw


def _heading(data):
    """The first line that is the memory map's heading, give or take
    blanks: its (start, end) in data and whether it is indented; or None.

    Looked for by the headings' own bytes (a decoded line holds them as
    its bytes do), not line by line.
    """
    found = None
    for title in (GNU_HEADING.encode(), GOLD_HEADING.encode()):
        # a later title only before the line found: "Memory map" is slow
        # to look for through a whole map that is not gold's
        at = data.find(title, 0, found[0] if found else len(data))
        while at >= 0:
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end
            line = _text(data[start:end])
            if line.strip() in (GNU_HEADING, GOLD_HEADING):
                found = (start, end, line[:1].isspace())
                break
            at = data.find(title, end, found[0] if found else len(data))
    return found


def read_map(path):
    """Parse the GNU ld, gold or lld map at path.

    @v path             map file name
    @ret LinkMap        entries in file order, output sections, regions
    @raises InputError  unreadable file, not a map of a known format, or a
                        corrupt Memory Configuration table

    The part before the memory map is read as a list of lines, the memory
    map itself (most of a large map) by _gnu() from the bytes.
    """
    data = _read(path)
    cut = data.find(b"\n")
    if _text(data[:cut] if cut >= 0 else data).split() == list(LLD_COLUMNS):
        return LinkMap(_lld(_text(data).splitlines()))
    heading = _heading(data)
    # the lines up to the heading are all the parts before it read (an
    # indented heading does not stop the discarded list: then all of them)
    stop = heading[1] if heading and not heading[2] else len(data)
    lines = _text(data[:stop]).splitlines()
    regions, discarded = [], []
    at, at_line = 0, 0      # where line at_line starts in data
    for number, line in enumerate(lines):
        title = line.strip()
        if title == DISCARDED_HEADING:
            # its input sections, from the next line on (_mapfile.c)
            while at_line <= number:
                cut = data.find(b"\n", at, stop)
                at, at_line = stop if cut < 0 else cut + 1, at_line + 1
            discarded = _scan_discarded(data, at, stop, MapEntry)
        if title == MEMORY_HEADING:
            regions = _regions(lines[number + 1:], path, number + 2)
        if title in (GNU_HEADING, GOLD_HEADING):
            link = LinkMap([], {}, regions, discarded)
            end = _gnu(data, heading[1] + 1, link)
            if end is not None:
                eol = data.find(b"\n", end)
                if _text(data[end:eol if eol >= 0 else len(data)]).startswith(END_HEADINGS):
                    link.cref = _cref(_text(data[eol + 1:]).splitlines() if eol >= 0 else [])
            return link
    raise model.InputError(path, "not a GNU ld map file (no "
                           f"'{GNU_HEADING}'), nor a gold or lld map")


def _cref(lines):
    """The Cross Reference Table: {symbol: [files]} (the header line skipped)."""
    table, symbol = {}, None
    for line in lines:
        tokens = line.split()
        if not tokens or tokens[:2] == ["Symbol", "File"]:
            continue
        if not line[0].isspace():
            symbol = tokens[0]
            table[symbol] = [" ".join(tokens[1:])] if len(tokens) > 1 else []
        elif symbol is not None:
            table[symbol].append(line.strip())
    return table


def _regions(lines, path, first):
    """The Memory Configuration table: Name Origin Length [Attributes] rows."""
    regions = []
    for number, line in enumerate(lines, first):
        tokens = line.split()
        if not tokens or tokens[:3] == ["Name", "Origin", "Length"]:
            if regions and not tokens:
                break
            continue
        if line.strip() in (GNU_HEADING, GOLD_HEADING):
            break
        origin = _hex(tokens[1]) if len(tokens) > 2 else None
        length = _hex(tokens[2]) if len(tokens) > 2 else None
        if origin is None or length is None or len(tokens) > 4:
            raise model.InputError(f"{path}:{number}", "corrupt Memory Configuration "
                                   f"line: {line.strip()!r}")
        if tokens[0] != "*default*":
            regions.append(Region(tokens[0], origin, length,
                                  tokens[3] if len(tokens) > 3 else ""))
    return regions


def _gnu(data, start, link):
    """GNU ld and gold: the memory map part (module docstring), from
    offset start of the map's bytes on; the offset of the line that ends it (an
    END_HEADINGS line, or objdump's "FILE:  file format ..." that some
    builds append), or None.

    The loop over its lines is _mapfile.c's: it returns the entries, the
    output sections' numbers and the lines that may assign a symbol.
    """
    link.entries, sections, assigned, end = _scan_gnu(data, start, ldscript.normalize,
                                                      MapEntry)
    for name, addr, size, lma in sections:
        link.sections.setdefault(name, OutputSection(name, addr, size, lma))
    for line in assigned:
        # `0x... name = expr`: a symbol the script assigns
        name = ASSIGNED_RE.match(line)
        if name:
            link.assigned.add(name.group(1))
    return end


def _lld(lines):
    """lld: fixed columns; the indentation of the last ones tells the level."""
    header = lines[0]
    at_out, at_in = header.index("Out"), header.index("In ")
    entries = []
    output = None
    for line in lines[1:]:
        fields = line[:at_out].split()
        if len(fields) != 4:
            continue
        try:
            addr, size = int(fields[0], 16), int(fields[2], 16)
        except ValueError:
            continue
        rest = line[at_out:]
        if rest[:1] not in ("", " "):
            output = rest.split()[0] if rest.split() else None
            continue
        if output is None or line[at_in:at_in + 1] in ("", " "):
            continue            # a symbol, or a line outside any section
        obj, sep, name = line[at_in:].strip().rpartition(":(")
        if not sep or not name.endswith(")"):
            continue            # an assignment such as ". = ALIGN(16)"
        name = name[:-1]
        if obj == "<internal>":
            merged = output.startswith(".rodata")
            entries.append(MapEntry(name, output, addr, size, None,
                                    linker=not merged, merged=merged))
        else:
            entries.append(MapEntry(name, output, addr, size, obj))
    return entries
