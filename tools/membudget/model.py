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

    def replace(self, **changes):
        """A copy with changes (dataclasses.replace): FIELDS must be every
        argument of __init__."""
        values = {name: getattr(self, name) for name in self.FIELDS}
        values.update(changes)
        return self.__class__(**values)


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


class Section(FrozenRecord):
    """A section of the image, as its header says."""

    FIELDS = ("index", "name", "cls", "addr", "size", "offset", "flags", "type", "align",
              "link", "info", "lma")

    def __init__(self, index, name, cls, addr, size, offset, flags, type, align, link=0,
                 info=0, lma=None):
        self.index = index
        self.name = name
        self.cls = cls          # one of CLASSES
        self.addr = addr
        self.size = size        # bytes in memory (sh_size)
        self.offset = offset    # file offset
        self.flags = flags
        self.type = type
        self.align = align
        self.link = link        # sh_link
        self.info = info        # sh_info (e.g. the section a relocation table patches)
        self.lma = lma          # load address, when it differs from addr

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


class Image(Record):
    """An ELF file read: its sections, symbols and bytes."""

    # data is neither shown nor compared
    FIELDS = ("path", "elfclass", "endian", "machine", "type", "sections", "symbols",
              "build_id", "sha256", "has_dwarf", "entry")

    def __init__(self, path, elfclass, endian, machine, type, sections, symbols, build_id,
                 sha256, has_dwarf, data=b"", entry=None):
        self.path = path
        self.elfclass = elfclass    # 32 or 64
        self.endian = endian        # "little" or "big"
        self.machine = machine      # e.g. "EM_386"
        self.type = type            # "ET_EXEC", "ET_DYN", "ET_REL"
        self.sections = sections    # Sections
        self.symbols = symbols      # Symbols
        self.build_id = build_id
        self._sha256 = sha256       # hex, or a function computing it (on first use)
        self.has_dwarf = has_dwarf
        #: the file's bytes, read once: DWARF, strings and .comment come from
        #: here (an mmap of the file, or bytes; slices of either are bytes)
        self.data = data
        self.entry = entry          # e_entry, None when 0 (no entry point)

    @property
    def sha256(self):
        """The file's sha256 (hex); read/elf.py computes it only when asked."""
        if callable(self._sha256):
            self._sha256 = self._sha256()
        return self._sha256

    def allocated(self):
        """Allocated sections, the ones that count."""
        return [s for s in self.sections if s.cls in CLASSES]


class ComponentDef(FrozenRecord):
    """A component as the budgets file defines it (globs are fnmatch-style)."""

    FIELDS = ("name", "paths", "symbols", "sections", "catch_all", "budgets", "creep",
              "owners")

    def __init__(self, name, paths=(), symbols=(), sections=(), catch_all=False,
                 budgets=None, creep=None, owners=()):
        self.name = name
        self.paths = paths          # source paths relative to the project
        self.symbols = symbols
        self.sections = sections
        self.catch_all = catch_all
        self.budgets = {} if budgets is None else budgets   # class/rom/ram -> bytes
        self.creep = {} if creep is None else creep         # reserved for `diff`
        self.owners = owners        # who to mention when it creeps: "@org/team"


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


class Attribution(Record):
    """Every allocated byte of an image, cut into Pieces with one owner each."""

    FIELDS = ("image", "pieces", "source_bytes", "unavailable", "warnings", "class_bytes",
              "link_map")

    def __init__(self, image, pieces, source_bytes, unavailable, warnings=None,
                 class_bytes=None, link_map=None):
        self.image = image
        self.pieces = pieces                # Pieces
        self.source_bytes = source_bytes    # bytes each source decided
        self.unavailable = unavailable      # source -> why it was not usable
        self.warnings = [] if warnings is None else warnings
        self.class_bytes = {} if class_bytes is None else class_bytes  # class source -> bytes
        self.link_map = link_map            # mapfile.LinkMap when a map was read
