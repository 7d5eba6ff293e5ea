"""The size model: plain data shared by readers, attribution and renderers.

Readers (elf, dwarf, mapfile) produce an Image; attribution cuts every
allocated section into Pieces, each owned by exactly one component or one
named bucket; budgets and renderers only ever see these objects.  Every
number is in bytes.

Symbols and Pieces come by the hundred thousand in a large image: they
are named tuples (immutable, compared by value, as a frozen dataclass
would be), which cost a fifth of the time to make and less memory.  A
hot loop may make one with tuple.__new__(Symbol, fields) in field order.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

SCHEMA = 1

#: Size classes, in report order (docs/design.md "Size classes")
CLASSES = ("code", "rodata", "data", "bss")

#: Named buckets for bytes no component owns
BUCKET_PADDING = "[padding]"
BUCKET_MERGED_STRINGS = "[merged strings]"
BUCKET_LINKER = "[linker-generated]"
BUCKET_UNATTRIBUTED = "[unattributed]"
BUCKETS = (BUCKET_PADDING, BUCKET_MERGED_STRINGS, BUCKET_LINKER, BUCKET_UNATTRIBUTED)

#: Attribution sources, best first (docs/design.md "Attribution")
SOURCE_BOUNDARY = "boundary symbols"
SOURCE_DWARF = "dwarf"
SOURCE_FILE_SYMBOLS = "file symbols"
SOURCE_MAP = "map file"
SOURCE_GLOBS = "symbol globs"
#: Merged strings matched in the link's object files (ranks after the map)
SOURCE_OBJECTS = "object strings"
SOURCES = (SOURCE_BOUNDARY, SOURCE_DWARF, SOURCE_FILE_SYMBOLS, SOURCE_MAP, SOURCE_GLOBS,
           SOURCE_OBJECTS)

KIB = 1024


class Record:
    """A plain class with the equality and repr @dataclass would give it.

    FIELDS names what __init__ sets, in order.  @dataclass writes and
    compiles each class's methods on every import, 2 to 3 M instructions a
    class (callgrind): the records a check reads are classes like these.
    Unhashable, as a mutable dataclass is.
    """

    FIELDS = ()
    __hash__ = None

    def _values(self):
        return tuple(getattr(self, name) for name in self.FIELDS)

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __repr__(self):
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{self.__class__.__qualname__}({fields})"


class FrozenRecord(Record):
    """A Record that is not changed after __init__: hashed by its fields."""

    def __hash__(self):
        return hash(self._values())


class InputError(Exception):
    """Bad input (file, ELF, map, budgets): the CLI prints it and exits 2.

    str(err) is the message without the file name; err.path names the file.
    """

    def __init__(self, path, message):
        super().__init__(message)
        self.path = str(path)


@dataclass(frozen=True)
class Section:
    index: int
    name: str
    cls: str            # one of CLASSES
    addr: int
    size: int           # bytes in memory (sh_size)
    offset: int         # file offset
    flags: int
    type: int
    align: int
    link: int = 0       # sh_link
    info: int = 0       # sh_info (e.g. the section a relocation table patches)
    lma: int | None = None  # load address, when it differs from addr

    @property
    def load_addr(self):
        """Where the section's bytes are stored (LMA); addr is where it runs."""
        return self.addr if self.lma is None else self.lma


class Symbol(NamedTuple):
    name: str
    addr: int           # Thumb bit already cleared
    size: int
    section: int        # section index (st_shndx)
    kind: str           # "func", "object", "section", "file", "notype", ...
    binding: str        # "local", "global", "weak"
    file: str | None    # STT_FILE that precedes this local symbol, if any


@dataclass
class Image:
    path: str
    elfclass: int       # 32 or 64
    endian: str         # "little" or "big"
    machine: str        # e.g. "EM_386"
    type: str           # "ET_EXEC", "ET_DYN", "ET_REL"
    sections: list[Section]
    symbols: list[Symbol]
    build_id: str | None
    sha256: str
    has_dwarf: bool
    #: the file's bytes, read once: DWARF, strings and .comment come from
    #: here (an mmap of the file, or bytes; slices of either are bytes)
    data: bytes = field(default=b"", repr=False, compare=False)
    entry: int | None = None    # e_entry, None when 0 (no entry point)

    def allocated(self):
        """Allocated sections, the ones that count."""
        return [s for s in self.sections if s.cls in CLASSES]


@dataclass(frozen=True)
class ComponentDef:
    """A component as the budgets file defines it (globs are fnmatch-style)."""

    name: str
    paths: tuple[str, ...] = ()      # source paths relative to the project
    symbols: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    catch_all: bool = False
    budgets: dict = field(default_factory=dict)  # class/rom/ram -> bytes
    creep: dict = field(default_factory=dict)    # reserved for `diff`
    owners: tuple[str, ...] = ()     # who to mention when it creeps: "@org/team"


class Piece(NamedTuple):
    """A run of bytes of one section with one owner.

    Exactly one of component and bucket is set.  offset is relative to
    the section start, so relocatable objects (all addresses 0) work.
    """

    section: str
    cls: str
    offset: int
    size: int
    component: str | None
    bucket: str | None
    source: str | None       # which SOURCES entry decided it (None: bucket default)
    file: str | None = None  # source file path, when known
    symbol: str | None = None


@dataclass
class Attribution:
    image: Image
    pieces: list[Piece]
    source_bytes: dict[str, int]     # bytes each source decided
    unavailable: dict[str, str]      # source -> why it was not usable
    warnings: list[str] = field(default_factory=list)
    class_bytes: dict[str, int] = field(default_factory=dict)  # class source -> bytes
    link_map: object = None          # mapfile.LinkMap when a map was read
