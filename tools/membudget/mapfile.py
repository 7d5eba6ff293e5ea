"""Read a GNU ld map file (`ld -Map`) into input-section records.

Only the "Linker script and memory map" part is read: it lists, inside
each output section, the input sections in address order with the object
they came from, the `*fill*` gaps the linker padded, and data statements
(BYTE/SHORT/LONG/QUAD) from the linker script.  Symbol and assignment
lines are skipped.  Merged sections (.rodata.str*) appear with their size
after merging, each object listed with the strings it contributed first,
which is exactly what attribution needs.

An input section name too long for its column sits alone on one line and
its address, size and object follow on the next: both shapes are read.
A file without that part (not a GNU ld map, e.g. an lld map) is an
InputError.
"""

from dataclasses import dataclass

from . import model

HEADING = "Linker script and memory map"
END_HEADINGS = ("Cross Reference Table",)
DATA_STATEMENTS = ("BYTE", "SHORT", "LONG", "QUAD", "SQUAD")


@dataclass(frozen=True)
class MapEntry:
    """One input section (or fill, or data statement) of an output section."""

    name: str           # input section name, "*fill*" or e.g. "LONG"
    output: str         # the output section it was placed in
    addr: int
    size: int
    object: str | None  # object file (or "lib.a(member.o)"), None if none
    fill: bool = False  # linker padding (*fill*)
    linker: bool = False  # bytes the linker script itself emitted


def _hex(token):
    """Return the value of a 0x token, or None."""
    if not token.startswith("0x"):
        return None
    try:
        return int(token, 16)
    except ValueError:
        return None


def _lines(path):
    """Return the map's lines from its memory-map heading on."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as err:
        raise model.InputError(path, err.strerror or str(err)) from None
    if b"\0" in raw:
        raise model.InputError(path, "not a GNU ld map file (binary data)")
    lines = raw.decode("utf-8", "replace").splitlines()
    for number, line in enumerate(lines):
        if line.strip() == HEADING:
            return lines[number + 1:]
    raise model.InputError(path, f"not a GNU ld map file (no '{HEADING}')")


def read_map(path):
    """Parse the GNU ld map at path.

    @v path             map file name
    @ret entries        list of MapEntry in file order
    @raises InputError  unreadable file or not a GNU ld map
    """
    entries = []
    output = None
    pending = None      # input section name waiting for its numbers
    for line in _lines(path):
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
        addr = _hex(tokens[1]) if len(tokens) > 1 else None
        size = _hex(tokens[2]) if len(tokens) > 2 else None
        if line.startswith(" ") and not line.startswith("  "):
            # An input section line, or a pattern such as " *(.text)"
            name = tokens[0]
            if name == "*fill*" and addr is not None and size is not None:
                entries.append(MapEntry(name, output, addr, size, None, fill=True))
                pending = None
            elif addr is not None and size is not None:
                obj = " ".join(tokens[3:]) or None
                entries.append(MapEntry(name, output, addr, size, obj))
                pending = None
            else:
                pending = name if len(tokens) == 1 else None
            continue
        # Indented: a continuation, a data statement, a symbol or a comment
        first = _hex(tokens[0])
        second = _hex(tokens[1]) if len(tokens) > 1 else None
        if first is None or second is None:
            continue
        if pending is not None:
            obj = " ".join(tokens[2:]) or None
            entries.append(MapEntry(pending, output, first, second, obj))
            pending = None
        elif len(tokens) > 2 and tokens[2] in DATA_STATEMENTS:
            entries.append(MapEntry(tokens[2], output, first, second, None,
                                    linker=True))
    return entries
