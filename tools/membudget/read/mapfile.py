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

GNU_HEADING = "Linker script and memory map"
GOLD_HEADING = "Memory map"
LLD_COLUMNS = ("VMA", "LMA", "Size", "Align", "Out", "In", "Symbol")
END_HEADINGS = ("Cross Reference Table",)
MEMORY_HEADING = "Memory Configuration"
DISCARDED_HEADING = "Discarded input sections"
#: objdump's header, which some builds (iPXE) append to the map
APPENDED_RE = re.compile(r"\S+:\s+file format ")
#: `name = ...` or `PROVIDE (name = ...)` after the address of an assignment
ASSIGNED_RE = re.compile(r"(?:PROVIDE(?:_HIDDEN)?\s*\(\s*)?([A-Za-z_.$][\w.$]*)\s*=")
DATA_STATEMENTS = ("BYTE", "SHORT", "LONG", "QUAD", "SQUAD")
GOLD_FILL = ("fill", "zero fill")
GOLD_MERGED = ("merge strings", "merge constants")


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
#: Characters of the memory map split into lines at a time
WINDOW = 1 << 20


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


def _windows(text, pos):
    """(position, lines) of text from pos on, about WINDOW characters at a
    time cut after a "\n": the lines of text[pos:], never all at once."""
    while pos < len(text):
        cut = text.find("\n", pos + WINDOW)
        stop = len(text) if cut < 0 else cut + 1
        yield pos, text[pos:stop].splitlines()
        pos = stop


def read_map(path):
    """Parse the GNU ld, gold or lld map at path.

    @v path             map file name
    @ret LinkMap        entries in file order, output sections, regions
    @raises InputError  unreadable file, not a map of a known format, or a
                        corrupt Memory Configuration table

    The part before the memory map is read as a list of lines, the memory
    map itself (most of a large map) a window of lines at a time.
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
            end = _gnu(_windows(text, heading.end() + 1), link)
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


def _special(name, output, addr, size):
    """The entry for a gold '** ...' record."""
    if name in GOLD_FILL:
        return MapEntry("*fill*", output, addr, size, None, fill=True)
    if name in GOLD_MERGED:
        return MapEntry(name, output, addr, size, None, merged=True)
    return MapEntry(name, output, addr, size, None, linker=True)


def _output_section(link, name, numbers):
    """Record an output section from the numbers after its name, if any."""
    addr = _hex(numbers[0]) if numbers else None
    size = _hex(numbers[1]) if len(numbers) > 1 else None
    if addr is None or size is None:
        return False
    lma = addr
    if numbers[2:4] == ["load", "address"] and len(numbers) > 4:
        lma = _hex(numbers[4]) if _hex(numbers[4]) is not None else addr
    link.sections.setdefault(name, OutputSection(name, addr, size, lma))
    return True


def _gnu(windows, link):
    """GNU ld and gold: the memory map part (module docstring), from
    _windows(); the position of the line that ends it, or None.

    A large map has hundreds of thousands of lines, nearly all indented
    (an input section, its numbers, a symbol): those skip the heading
    checks, which only an unindented line can meet, and build their
    MapEntry as a tuple.  Object names are kept once each.
    """
    entries = link.entries
    append, new = entries.append, tuple.__new__
    objects = {}        # one string per object name, however many entries
    output = None
    waiting = None      # an output section name waiting for its numbers
    pending = None      # input section name waiting for its numbers
    pattern = None      # the script pattern the next input sections come from
    for start, lines in windows:
        for number, line in enumerate(lines):
            if line[:1] != " ":
                if line.startswith(END_HEADINGS) or APPENDED_RE.match(line):
                    return start + sum(len(before) + 1 for before in lines[:number])
                tokens = line.split()
                if not tokens:
                    continue
                if not line[0].isspace():
                    output, pending, pattern = tokens[0], None, None
                    waiting = None if _output_section(link, output, tokens[1:]) else output
                    continue
            else:
                tokens = line.split()
                count = len(tokens)
                if count == 1:
                    # ` .text.name`, its numbers on the next line: the most
                    # common line with ` numbers...` (what the end of the
                    # loop does for it, sooner)
                    name = tokens[0]
                    if output is not None and waiting is None and line[1:2] != " " \
                            and "(" not in name and not line.startswith(" ** "):
                        pending = name
                        continue
                elif not count:
                    continue
                elif line[1:2] == " " and output is not None and waiting is None:
                    # Two spaces in, inside a section with its numbers: a
                    # continuation `0xADDR 0xSIZE [object]`, a data
                    # statement, a symbol, an assignment.  The rules below
                    # in their order, for this case alone.
                    second = tokens[1]
                    try:
                        second = int(second, 16) if second.startswith("0x") else None
                    except ValueError:
                        second = None
                    if second is None:
                        if count > 2 and "=" in tokens and _hex(tokens[0]) is not None:
                            # `0x... name = expr`: a symbol the script assigns
                            name = ASSIGNED_RE.match(" ".join(tokens[1:]))
                            if name:
                                link.assigned.add(name.group(1))
                        continue
                    first = tokens[0]
                    if not first.startswith("0x"):
                        continue
                    try:
                        first = int(first, 16)
                    except ValueError:
                        continue
                    if count > 2 and tokens[2] in DATA_STATEMENTS:
                        append(new(MapEntry, (tokens[2], output, first, second, None, False,
                                              True, False, None)))
                    elif isinstance(pending, tuple):
                        append(_special(pending[1], output, first, second))
                    elif pending is not None:
                        obj = tokens[2] if count == 3 else " ".join(tokens[2:]) or None
                        if obj is not None:
                            obj = objects.setdefault(obj, obj)
                        append(new(MapEntry, (pending, output, first, second, obj, False,
                                              False, False, pattern)))
                    pending = None
                    continue
            count = len(tokens)
            if count > 2 and "=" in tokens and _hex(tokens[0]) is not None \
                    and _hex(tokens[1]) is None:
                # `0x... name = expr`: a symbol the script assigns
                name = ASSIGNED_RE.match(" ".join(tokens[1:]))
                if name:
                    link.assigned.add(name.group(1))
                continue
            if output is None:
                continue
            if waiting is not None:
                _output_section(link, waiting, tokens)
                waiting = None
                if _hex(tokens[0]) is not None:
                    continue
            if line[1:2] != " " and line[:1] == " ":
                if line.startswith(" ** "):
                    # gold: "** name" with the numbers after two spaces or below
                    head, _, rest = line[4:].partition("  ")
                    numbers = rest.split()
                    if len(numbers) >= 2 and _hex(numbers[0]) is not None \
                            and _hex(numbers[1]) is not None:
                        append(_special(head.strip(), output, _hex(numbers[0]),
                                        _hex(numbers[1])))
                        pending = None
                    else:
                        pending = ("**", head.strip())
                    continue
                # An input section line, or a pattern such as " *(.text)"
                addr = _hex(tokens[1]) if count > 1 else None
                size = _hex(tokens[2]) if count > 2 else None
                name = tokens[0]
                pending = None
                if name == "*fill*" and addr is not None and size is not None:
                    append(new(MapEntry, (name, output, addr, size, None, True, False, False,
                                          None)))
                elif addr is not None and size is not None:
                    obj = " ".join(tokens[3:]) or None
                    if obj is not None:
                        obj = objects.setdefault(obj, obj)
                    append(new(MapEntry, (name, output, addr, size, obj, False, False, False,
                                          pattern)))
                elif count == 1 and "(" not in name:
                    # a long input section name; a pattern (`*(.xdata)`) is none
                    pending = name
                elif "(" in name and addr is None:
                    pattern = ldscript.normalize(line)
                continue
            # Indented: a continuation, a data statement, a symbol or a comment
            # (symbol lines, the most common, fail on their second token); the
            # numbers are _hex() written out
            if count < 2:
                continue
            second = tokens[1]
            if not second.startswith("0x"):
                continue
            first = tokens[0]
            if not first.startswith("0x"):
                continue
            try:
                second = int(second, 16)
            except ValueError:
                continue
            try:
                first = int(first, 16)
            except ValueError:
                continue
            if count > 2 and tokens[2] in DATA_STATEMENTS:
                append(new(MapEntry, (tokens[2], output, first, second, None, False, True, False,
                                      None)))
            elif isinstance(pending, tuple):
                append(_special(pending[1], output, first, second))
            elif pending is not None:
                obj = " ".join(tokens[2:]) or None
                if obj is not None:
                    obj = objects.setdefault(obj, obj)
                append(new(MapEntry, (pending, output, first, second, obj, False, False, False,
                                      pattern)))
            pending = None
    return None


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
