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

Symbol and assignment lines are skipped.  Anything else is an InputError.
"""

from dataclasses import dataclass

from .. import model

GNU_HEADING = "Linker script and memory map"
GOLD_HEADING = "Memory map"
LLD_COLUMNS = ("VMA", "LMA", "Size", "Align", "Out", "In", "Symbol")
END_HEADINGS = ("Cross Reference Table",)
DATA_STATEMENTS = ("BYTE", "SHORT", "LONG", "QUAD", "SQUAD")
GOLD_FILL = ("fill", "zero fill")
GOLD_MERGED = ("merge strings", "merge constants")


@dataclass(frozen=True)
class MapEntry:
    """One input section (or fill, or data statement) of an output section."""

    name: str           # input section name, "*fill*" or e.g. "LONG"
    output: str         # the output section it was placed in
    addr: int
    size: int
    object: str | None  # object file (or "lib.a(member.o)"), None if none
    fill: bool = False  # linker padding (*fill*)
    linker: bool = False  # bytes the linker itself (or its script) made
    merged: bool = False  # merged strings/constants no object owns


def _hex(token):
    """Return the value of a 0x token, or None."""
    if not token.startswith("0x"):
        return None
    try:
        return int(token, 16)
    except ValueError:
        return None


def _read(path):
    """Return the map's lines."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as err:
        raise model.InputError(path, err.strerror or str(err)) from None
    if b"\0" in raw:
        raise model.InputError(path, "not a linker map file (binary data)")
    return raw.decode("utf-8", "replace").splitlines()


def read_map(path):
    """Parse the GNU ld, gold or lld map at path.

    @v path             map file name
    @ret entries        list of MapEntry in file order
    @raises InputError  unreadable file or not a map of a known format
    """
    lines = _read(path)
    if lines and lines[0].split() == list(LLD_COLUMNS):
        return _lld(lines)
    for number, line in enumerate(lines):
        if line.strip() in (GNU_HEADING, GOLD_HEADING):
            return _gnu(lines[number + 1:])
    raise model.InputError(path, "not a GNU ld map file (no "
                           f"'{GNU_HEADING}'), nor a gold or lld map")


def _special(name, output, addr, size):
    """The entry for a gold '** ...' record."""
    if name in GOLD_FILL:
        return MapEntry("*fill*", output, addr, size, None, fill=True)
    if name in GOLD_MERGED:
        return MapEntry(name, output, addr, size, None, merged=True)
    return MapEntry(name, output, addr, size, None, linker=True)


def _gnu(lines):
    """GNU ld and gold: the memory map part (module docstring)."""
    entries = []
    output = None
    pending = None      # input section name waiting for its numbers
    for line in lines:
        if line.startswith(END_HEADINGS):
            break
        tokens = line.split()
        if not tokens:
            continue
        if not line[0].isspace():
            output, pending = tokens[0], None
            continue
        if output is None:
            continue
        if line.startswith(" ** "):
            # gold: "** name" with the numbers after two spaces or below
            head, _, rest = line[4:].partition("  ")
            numbers = rest.split()
            if len(numbers) >= 2 and _hex(numbers[0]) is not None \
                    and _hex(numbers[1]) is not None:
                entries.append(_special(head.strip(), output, _hex(numbers[0]),
                                        _hex(numbers[1])))
                pending = None
            else:
                pending = ("**", head.strip())
            continue
        if line.startswith(" ") and not line.startswith("  "):
            # An input section line, or a pattern such as " *(.text)"
            addr = _hex(tokens[1]) if len(tokens) > 1 else None
            size = _hex(tokens[2]) if len(tokens) > 2 else None
            name = tokens[0]
            pending = None
            if name == "*fill*" and addr is not None and size is not None:
                entries.append(MapEntry(name, output, addr, size, None, fill=True))
            elif addr is not None and size is not None:
                obj = " ".join(tokens[3:]) or None
                entries.append(MapEntry(name, output, addr, size, obj))
            elif len(tokens) == 1:
                pending = name
            continue
        # Indented: a continuation, a data statement, a symbol or a comment
        # (symbol lines, the most common, fail on their second token)
        second = _hex(tokens[1]) if len(tokens) > 1 else None
        if second is None:
            continue
        first = _hex(tokens[0])
        if first is None:
            continue
        if isinstance(pending, tuple):
            entries.append(_special(pending[1], output, first, second))
        elif pending is not None:
            obj = " ".join(tokens[2:]) or None
            entries.append(MapEntry(pending, output, first, second, obj))
        elif len(tokens) > 2 and tokens[2] in DATA_STATEMENTS:
            entries.append(MapEntry(tokens[2], output, first, second, None,
                                    linker=True))
        pending = None
    return entries


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
