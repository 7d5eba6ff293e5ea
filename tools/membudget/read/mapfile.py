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
"""

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from .. import model
from . import ldscript
from ._mapfile import gnu as _scan_gnu

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


@dataclass(frozen=True)
class OutputSection:
    """An output section as the map states it."""

    name: str
    addr: int           # run address (VMA)
    size: int
    lma: int            # load address (= addr unless `load address` follows)


@dataclass(frozen=True)
class Region:
    """A MEMORY region of the link's script."""

    name: str
    origin: int
    length: int
    attributes: str     # as written: "rx", "xrw", ... ("" when none)


@dataclass
class LinkMap:
    """What read_map() returns: input sections, output sections, regions."""

    entries: list[MapEntry]
    sections: dict[str, OutputSection] = field(default_factory=dict)
    regions: list[Region] = field(default_factory=list)
    #: "Discarded input sections" (GNU ld): name, size and object of each
    discarded: list[MapEntry] = field(default_factory=list)
    #: the Cross Reference Table (ld --cref): symbol -> the files it lists,
    #: the defining one first when an object defines it
    cref: dict[str, list[str]] | None = None
    #: symbols the script assigns (`__bss_start = .`, PROVIDE(...) used)
    assigned: set[str] = field(default_factory=set)


def _hex(token):
    """Return the value of a 0x token, or None."""
    if not token.startswith("0x"):
        return None
    try:
        return int(token, 16)
    except ValueError:
        return None


#: Line breaks str.splitlines() knows besides "\n"
OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
#: The first line that is the memory map's heading, give or take blanks
HEADING_RE = re.compile(r"^[^\S\n]*(?:%s|%s)[^\S\n]*$" % (re.escape(GNU_HEADING),
                                                         re.escape(GOLD_HEADING)), re.M)


def _read(path):
    """Return the map's text, its lines ending in "\n" alone.

    A map written with "\r\n" (or any break str.splitlines() knows) has
    its lines joined again with "\n": the lines are the same.
    """
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as err:
        raise model.InputError(path, err.strerror or str(err)) from None
    if b"\0" in raw:
        raise model.InputError(path, "not a linker map file (binary data)")
    text = raw.decode("utf-8", "replace")
    del raw
    if any(brk in text for brk in OTHER_BREAKS):
        text = "\n".join(text.splitlines())
    return text


def read_map(path):
    """Parse the GNU ld, gold or lld map at path.

    @v path             map file name
    @ret LinkMap        entries in file order, output sections, regions
    @raises InputError  unreadable file, not a map of a known format, or a
                        corrupt Memory Configuration table

    The part before the memory map is read as a list of lines, the memory
    map itself (most of a large map) by _gnu() in place.
    """
    text = _read(path)
    first = text[:text.find("\n")] if "\n" in text else text
    if first.split() == list(LLD_COLUMNS):
        return LinkMap(_lld(text.splitlines()))
    heading = HEADING_RE.search(text)
    # the lines up to the heading are all the parts before it read (an
    # indented heading does not stop the discarded list: then all of them)
    lines = (text[:heading.end()] if heading and not text[heading.start()].isspace()
             else text).splitlines()
    regions, discarded = [], []
    for number, line in enumerate(lines):
        if line.strip() == DISCARDED_HEADING:
            discarded = _discarded(lines[number + 1:])
        if line.strip() == MEMORY_HEADING:
            regions = _regions(lines[number + 1:], path, number + 2)
        if line.strip() in (GNU_HEADING, GOLD_HEADING):
            link = LinkMap([], {}, regions, discarded)
            end = _gnu(text, heading.end() + 1, link)
            if end is not None:
                stop = text.find("\n", end)
                if text[end:stop if stop >= 0 else len(text)].startswith(END_HEADINGS):
                    link.cref = _cref(text[stop + 1:].splitlines() if stop >= 0 else [])
            return link
    raise model.InputError(path, "not a GNU ld map file (no "
                           f"'{GNU_HEADING}'), nor a gold or lld map")


def _discarded(lines):
    """The input sections of the "Discarded input sections" list."""
    found, pending = [], None
    for line in lines:
        tokens = line.split()
        if not tokens:
            if found:
                break
            continue
        if not line[0].isspace():
            break
        numbers = [_hex(t) for t in tokens[:3]]
        if pending is not None and len(tokens) >= 2 and None not in numbers[:2]:
            found.append(MapEntry(pending, "", numbers[0], numbers[1],
                                  " ".join(tokens[2:]) or None))
            pending = None
        elif len(tokens) >= 3 and numbers[1] is not None and numbers[2] is not None:
            found.append(MapEntry(tokens[0], "", numbers[1], numbers[2],
                                  " ".join(tokens[3:]) or None))
            pending = None
        elif len(tokens) == 1:
            pending = tokens[0]
    return found


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


def _gnu(text, start, link):
    """GNU ld and gold: the memory map part (module docstring), from
    character start of text on; the position of the line that ends it (an
    END_HEADINGS line, or objdump's "FILE:  file format ..." that some
    builds append), or None.

    The loop over its lines is _mapfile.c's: it returns the entries, the
    output sections' numbers and the lines that may assign a symbol.
    """
    link.entries, sections, assigned, end = _scan_gnu(text, start, ldscript.normalize,
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
