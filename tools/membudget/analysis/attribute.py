"""Attribute every byte of every allocated section to a component or bucket.

Each source turns what it knows into claims: "bytes [start, end) of
section S belong to component C (or bucket B), come from file F, are
symbol Y".  Claims carry a rank (sources best first, as docs/design.md
"Attribution" orders them); one sweep over the change points of each
section then picks, for every run of bytes, the best-ranked claim that
names an owner, and independently the best-ranked claim that names a file
and a symbol, so a boundary-symbol range still shows the files and
symbols inside it.

Ranks and what each source claims:
  0 boundary   __mb_<component>_<class>_start/_end symbols from our linker
               script: the bytes between them in the sections of <class>
               (component names may contain underscores);
  1 dwarf      code ranges of each unit (.debug_aranges, else the unit DIE)
               and its top-level variables (size from the DWARF type, else
               from the symbol at that address); each .eh_frame FDE goes
               with the unit holding its pc_begin (CIEs stay unowned); a
               relocatable object with one unit: all its sections;
  2 file sym.  sized local symbols under an STT_FILE symbol; a sized global
               symbol defined by exactly one of the given object files is
               that object's file; else a global whose nearest locals with
               a file in its section (before and after it, by address)
               share one file is taken to come from that file too (ld
               keeps each object's input sections together);
  3 map        input sections of a GNU ld, gold or lld map, in the
               allocated output section the map names (objects -> files,
               see objects.py; input section names also match
               `sections` globs), fill -> padding, BYTE/LONG/... and the
               linker's own records -> linker, strings the linker merged
               across objects (gold, lld) -> merged strings;
  4 globs      `sections` globs over output section names (whole sections);
  5 globs      `symbols` globs over symbol names;
  6 labels     every sized symbol, naming bytes (no owner).
Sections may share run addresses (real-mode segments at 0, overlays):
every claim is made in one section: a symbol's by st_shndx, a map
entry's in its output section, and an address range (DWARF) that several
sections hold in the section of the sized symbols starting at its first
byte, or in none of them when no symbol says.

Each byte's class (code, rodata, data, bss) is, independently of its
owner: the class of the map input section it came from (INPUT_CLASSES by
name; an unknown name in a writable section is data), else, for a data
object (STT_OBJECT) in an executable section, rodata or data by the
section's write flag, else its output section's (elf.classify).  A NOBITS section is bss throughout.

A file maps to a component through its `paths` globs (fnmatch over the
project-relative path; a bare base name such as an unresolved STT_FILE
"heap.c" matches a glob whose last part is exactly that name, when only
one component has one).  A file or symbol matched by two components is an
InputError.

Bytes no claim owns, in this order: in a linker-generated section (.got,
.plt, .dynsym, .rel*, .note.*, ...; there only boundary symbols and
`sections` globs count) -> [linker-generated]; a file or symbol is known
and there is a catch-all component -> the catch-all (source: the one that
named the file, else "symbol globs": a catch-all is an implicit "*" symbol
glob of the lowest rank); a .rodata.str* or
.rodata.cst* (or SHF_MERGE) section -> [merged strings].  Ownerless
read-only bytes are then cut at NULs: a string one of the given object
files holds in its SHF_MERGE|SHF_STRINGS sections goes to that object's
file ("object strings", see objects.py); other NUL-terminated text goes to
[merged strings] when the whole run is text.  What remains: a run nothing
describes that is shorter than the alignment of the address it ends at
(capped at max(64, section alignment)) and holds only fill (zeros, or the
machine's NOP bytes in code; NOBITS is zeros) -> [padding]; else
[unattributed].
Map `*fill*` lines are [padding] and a merged-string input section of no
component (and no catch-all) is [merged strings], both from the map.

After every run the pieces must tile each allocated section exactly, with
bss only in NOBITS sections; otherwise AttributionError (a bug, exit 2).

The loops over claims, symbols and pieces are _attribute.c's (the sweep,
the pieces, the invariant's walk, and the claims of DWARF units, FDEs,
file symbols, symbol globs and labels); this module decides what each
source claims and keeps every message.
"""

import bisect
import fnmatch
import os
import re
from array import array

from .. import model
from ..read import dwarf, ehframe, elf, mapfile
from ..read import objects as objfiles
from ._attribute import check as _check_pieces
from ._attribute import columns as _columns
from ._attribute import fdes as _claim_fdes
from ._attribute import file_symbols as _claim_file_symbols
from ._attribute import globs as _claim_globs
from ._attribute import map as _native_map
from ._attribute import pieces as _cut_pieces
from ._attribute import prefixed as _prefixed
from ._attribute import source_sizes as _source_sizes
from ._attribute import units as _claim_units
from ._attribute import sweep as _sweep_runs

RANK_BOUNDARY, RANK_DWARF, RANK_FILE, RANK_MAP, RANK_SECTIONS, RANK_SYMBOLS, \
    RANK_LABEL = range(7)

LINKER_SECTIONS = (".interp", ".note*", ".hash", ".gnu.hash", ".dynsym",
                   ".dynstr", ".gnu.version*", ".rel.*", ".rela.*", ".relr.dyn",
                   ".rel", ".rela", ".plt", ".plt.*", ".iplt", ".got", ".got.*",
                   ".igot*", ".dynamic", ".eh_frame_hdr", ".sframe")
MERGED_SECTIONS = (".rodata.str*", ".rodata.cst*", ".rodata.*.str*", ".rodata.*.cst*")
#: Input section names to size classes (the map's input sections)
INPUT_CLASSES = (
    ("bss", (".bss", ".bss.*", ".sbss", ".sbss.*", ".tbss", ".tbss.*", "COMMON",
             ".scommon", ".dynbss", ".gnu.linkonce.b.*", ".bss16", ".bss16.*")),
    ("code", (".text", ".text.*", ".text16", ".text16.*", ".prefix", ".prefix.*", ".init",
              ".fini", ".gnu.linkonce.t.*", ".glue_7", ".glue_7t", ".vfp11_veneer",
              ".v4_bx", ".plt", ".plt.*", ".iplt")),
    ("rodata", (".rodata", ".rodata.*", ".srodata", ".srodata.*", ".rdata", ".rdata.*",
                ".gnu.linkonce.r.*", ".isr_vector", ".isr_vector.*", ".ARM.exidx*",
                ".ARM.extab*", ".eh_frame", ".gcc_except_table*")),
    ("data", (".data", ".data.*", ".data16", ".data16.*", ".sdata", ".sdata.*", ".tdata",
              ".tdata.*", ".gnu.linkonce.d.*", ".got", ".got.*", ".init_array*",
              ".fini_array*", ".ctors*", ".dtors*", ".tm_clone_table")),
)
#: Which source decided each byte's class (Attribution.class_bytes)
CLASS_MAP, CLASS_SYMBOLS, CLASS_FLAGS = "map input sections", "symbol types", "section flags"
CLASS_SOURCES = (CLASS_MAP, CLASS_SYMBOLS, CLASS_FLAGS)
BOUNDARY = re.compile(r"__mb_(.+)_(code|rodata|data|bss)_(start|end)")
SYMBOL_KINDS = ("func", "object", "tls", "ifunc")
TEXT_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n\r\0" + bytes(range(0x80, 0x100))

#: What a claim says, besides its extent: (rank, component, bucket, file,
#: symbol, source, cls).  Sources make one per unit, object or symbol and
#: share it between the claims that say the same.
RANK, COMPONENT, BUCKET, FILE, SYMBOL, SOURCE, CLS = range(7)


#: The claims that a data object's type makes for its class (_globs())
_OBJECT_CLASSES = {cls: (RANK_LABEL, None, None, None, None, model.SOURCE_GLOBS, cls)
                   for cls in ("data", "rodata")}


class AttributionError(Exception):
    """The attribution broke its own invariant: a bug, never bad input."""


def _matches(name, globs):
    return any(fnmatch.fnmatchcase(name, g) for g in globs)


class _Resolver:
    """Files, symbols and section names to component names, with caches."""

    def __init__(self, components):
        self.components = components
        self.catch_all = next((c.name for c in components if c.catch_all), None)
        self.used = set()
        self.cache = {}
        self.paths_seen = 0
        self.has_symbols = any(c.symbols for c in components)
        self.has_sections = any(c.sections for c in components)

    def _lookup(self, kind, name):
        key = (kind, name)
        if key in self.cache:
            return self.cache[key]
        found = []
        for comp in self.components:
            for glob in getattr(comp, kind):
                hit = fnmatch.fnmatchcase(name, glob)
                if not hit and kind == "paths" and "/" not in name:
                    hit = glob.rsplit("/", 1)[-1] == name and "base"
                if hit:
                    found.append((comp.name, glob, hit == "base"))
        exact = [f for f in found if not f[2]]
        found = exact or found
        names = sorted({f[0] for f in found})
        if len(names) > 1:
            if not exact:       # an ambiguous base name decides nothing
                names, found = [], []
            else:
                raise model.InputError(name, f"{kind[:-1]} matched by components "
                                       f"'{names[0]}' and '{names[1]}'")
        for comp, glob, _ in found:
            self.used.add((comp, kind, glob))
        self.cache[key] = names[0] if names else None
        return self.cache[key]

    def path(self, path):
        if not path:
            return None
        self.paths_seen += 1
        return self._lookup("paths", path)

    def symbol(self, name):
        return self._lookup("symbols", name) if self.has_symbols else None

    def section(self, name):
        return self._lookup("sections", name) if self.has_sections else None


class _Claims:
    """Claims per section, and the ways sources address bytes.

    A large image has hundreds of thousands of claims, so each section
    keeps three columns: start and end offsets (arrays of integers) and
    the claim's payload (a tuple shared by the claims that say the same).
    A claim's place in its section's columns is its sequence number: among
    claims of one rank, the earlier one wins.
    """

    def __init__(self, image):
        self.sections = {s.index: s for s in image.allocated() if s.size}
        self.lists = {index: (array("Q"), array("Q"), []) for index in self.sections}
        self.linker = {i for i, s in self.sections.items()
                       if _matches(s.name, LINKER_SECTIONS)}
        # per section: the columns' appends, its size, linker-made, NOBITS
        self.targets = {index: (lists[0].append, lists[1].append, lists[2].append,
                                self.sections[index].size, index in self.linker,
                                self.sections[index].type == elf.SHT_NOBITS)
                        for index, lists in self.lists.items()}
        # symbols (their place in image.symbols) with a file-symbol claim:
        # their label claim could never win (same bytes, same name, better
        # rank), so none is made
        self.named = bytearray(len(image.symbols))
        self.relocatable = image.type == "ET_REL"
        spans = sorted((s.addr, s.index) for s in self.sections.values()
                       if not s.flags & elf.SHF_TLS or s.type != elf.SHT_NOBITS)
        self.starts = [a for a, _ in spans]
        self.order = [i for _, i in spans]
        tls = [s.addr for s in image.sections if s.flags & elf.SHF_TLS and s.cls]
        self.tls_base = min(tls) if tls else 0
        # Sections that share addresses with another, and for those the
        # sections of the sized symbols at each address, to tell them apart
        self.overlapping = set()
        ends = []
        for addr, index in spans:
            for end, other in ends:
                if addr < end:
                    self.overlapping |= {index, other}
            ends = [(e, i) for e, i in ends if e > addr]
            ends.append((addr + self.sections[index].size, index))
        self.symbol_sections = {}
        if self.overlapping:
            for sym in image.symbols:
                if sym.size and sym.section in self.overlapping:
                    self.symbol_sections.setdefault(sym.addr, set()).add(sym.section)
        # the columns again, for the sources whose loops are in _attribute.c
        # (dropped before the sweep, which frees each section's claims)
        self.native = _columns(
            [(index, sec.addr, sec.size, index in self.linker, *self.lists[index],
              self._object_payload(sec)) for index, sec in sorted(self.sections.items())],
            self.relocatable, self.tls_base, self.starts,
            None if self.overlapping else self.order)

    @staticmethod
    def _object_payload(sec):
        """The class claim of a data object in code section sec (a Cortex-M
        .text that holds *(.rodata*)), as stored there, or None."""
        if sec.cls != "code":
            return None
        cls = "data" if sec.flags & elf.SHF_WRITE else "rodata"
        payload = _OBJECT_CLASSES[cls]
        # NOBITS holds bss alone
        return payload[:6] + (None,) if sec.type == elf.SHT_NOBITS else payload

    def add(self, index, start, end, payload):
        """Claim [start, end) of section index (clipped to the section).

        @v payload      (rank, component, bucket, file, symbol, source, cls)
        """
        target = self.targets.get(index)
        if target is None:
            return
        if target[4] and payload[0] not in (RANK_BOUNDARY, RANK_SECTIONS):
            return
        cls = payload[6]
        if cls is not None and target[5] != (cls == "bss"):
            # NOBITS holds bss alone; a stored byte is never bss
            payload = payload[:6] + (None,)
        if start < 0:
            start = 0
        if end > target[3]:
            end = target[3]
        if start >= end:
            return
        target[0](start)
        target[1](end)
        target[2](payload)

    def sections_of(self, lo, hi, cls=None):
        """The sections an address range [lo, hi) is claimed in.

        Sections may share addresses (real-mode segments at 0, overlays):
        then the sized symbols that start at lo decide which section is
        meant, and a range they cannot place is claimed nowhere.
        """
        if self.relocatable:
            return []
        found = []
        # with shared addresses a long section may start before a short one
        at = 0 if self.overlapping else max(bisect.bisect_right(self.starts, lo) - 1, 0)
        while at < len(self.order) and self.starts[at] < hi:
            sec = self.sections[self.order[at]]
            if sec.addr + sec.size > lo and (cls is None or sec.cls == cls):
                found.append(sec)
            at += 1
        shared = [s for s in found if s.index in self.overlapping]
        if len(shared) > 1:
            homes = self.symbol_sections.get(lo, ())
            placed = [s for s in shared if s.index in homes]
            found = [s for s in found if s.index not in self.overlapping] + \
                (placed if len(placed) == 1 else [])
        return found

    def add_addr(self, lo, hi, payload, cls=None):
        """Claim the address range [lo, hi) in the section that holds it
        (sections_of(); cls picks sections of that class only)."""
        for sec in self.sections_of(lo, hi, cls):
            self.add(sec.index, lo - sec.addr, hi - sec.addr, payload)


def _boundary(image, claims, names, warnings):
    """Source 0: __mb_ boundary symbols; returns True if any was found."""
    ends = {}
    for sym in _prefixed(image.symbols, "__mb_"):
        m = BOUNDARY.fullmatch(sym.name)
        if m:
            ends.setdefault((m.group(1), m.group(2)), {}).setdefault(m.group(3), sym.addr)
    ranges, unknown = [], set()
    for (comp, cls), pair in sorted(ends.items()):
        if comp not in names:
            unknown.add(comp)
        elif set(pair) != {"start", "end"}:
            warnings.append(f"boundary symbol __mb_{comp}_{cls}_"
                            f"{'end' if 'start' in pair else 'start'} is missing")
        else:
            claims.add_addr(pair["start"], pair["end"], (RANK_BOUNDARY, comp, None, None, None,
                                                         model.SOURCE_BOUNDARY, None), cls)
            ranges.append((pair["start"], pair["end"], comp))
    if unknown:
        warnings.append("boundary symbols name components the budgets do not "
                        "define: " + ", ".join(sorted(unknown)))
    ranges.sort()
    for (_, end, first), (start, _, second) in zip(ranges, ranges[1:]):
        if start < end:
            warnings.append(f"boundary ranges of {first} and {second} overlap "
                            f"at {start:#x}")
    return bool(ends)


def _dwarf(image, claims, resolver, root, units):
    """Source 1: unit code ranges and top-level variables.

    A variable's size is its DWARF type's, else that of the first data
    object symbol at its address (only there: another object can start at
    the address of a zero-sized one).  The claims are made in _attribute.c,
    each as _Claims.add_addr() would.
    """
    paths = []
    todo = []           # (ranges, variables, payload) of each unit
    for unit in units:
        path = objfiles.unit_path(unit.name, unit.comp_dir, root)
        paths.append(path)
        comp = resolver.path(path)
        payload = (RANK_DWARF, comp, None, path, None, model.SOURCE_DWARF, None)
        if image.type == "ET_REL":
            if len(units) == 1:
                for sec in claims.sections.values():
                    claims.add(sec.index, 0, sec.size, payload)
            continue
        todo.append((unit.ranges, unit.variables, payload))
    if todo:
        _claim_units(claims.native, todo, image.symbols, claims.add_addr)
    return paths


def _eh_frame(image, claims, resolver, data, units, unit_paths):
    """Source 1, continued: each .eh_frame FDE goes with its function's unit
    (the unit range holding its pc_begin; the loop is _attribute.c's)."""
    spans = sorted((lo, hi, path) for unit, path in zip(units, unit_paths)
                   for lo, hi in unit.ranges)
    sec = next((s for s in claims.sections.values() if s.name == ".eh_frame"), None)
    if not spans or sec is None:
        return
    payloads = {}
    for path in unit_paths:
        if path not in payloads:
            payloads[path] = (RANK_DWARF, resolver.path(path), None, path, None,
                              model.SOURCE_DWARF, None)
    _claim_fdes(claims.native, sec.index, ehframe.read_fdes(image, data), spans,
                [payloads[span[2]] for span in spans])


def _file_symbols(image, claims, resolver, names, defined):
    """Source 2: locals under STT_FILE, globals the given objects define
    (defined: name -> file), and globals sandwiched by one file.

    The loop over the symbols is _attribute.c's: by section, by address
    (locals first), a local claims its STT_FILE's file (names.base()), a
    global the file of defined, else that of its nearest locals with a
    file before and after it when both name one.
    """
    relocatable = image.type == "ET_REL"
    files = _claim_file_symbols(claims.native, image.symbols, SYMBOL_KINDS, ("local",),
                                names.base, defined, resolver.path, claims.named,
                                model.SOURCE_FILE_SYMBOLS, relocatable)
    if relocatable and len(files) == 1:
        path = next(iter(files.values()))
        payload = (RANK_FILE, resolver.path(path), None, path, None,
                   model.SOURCE_FILE_SYMBOLS, None)
        for sec in claims.sections.values():
            claims.add(sec.index, 0, sec.size, payload)
        return bool(files)
    return bool(files or defined)


#: INPUT_CLASSES as one compiled pattern, a group per class in their order
#: (the first class with a matching glob names the group that matched)
_INPUT_PATTERN = re.compile("|".join(
    f"(?P<{cls}>" + "|".join(fnmatch.translate(g) for g in globs) + ")"
    for cls, globs in INPUT_CLASSES))


def input_class(name):
    """The size class an input section's name says, or None.

    Not cached: nearly every input section of a large link (.text.NAME)
    has a name of its own.
    """
    found = _INPUT_PATTERN.match(name)
    return found.lastgroup if found else None


def _check_map(image, link, map_path):
    """A map of another link is bad input: output sections must agree."""
    for sec in image.allocated():
        out = link.sections.get(sec.name)
        if out is None or not sec.size:
            continue
        if out.size != sec.size:
            raise model.InputError(map_path, f"does not match ELF: {sec.name} is "
                                   f"{sec.size:,} B in the ELF, {out.size:,} B in the map")
        if out.addr != sec.addr:
            raise model.InputError(map_path, f"does not match ELF: {sec.name} is at "
                                   f"{sec.addr:#x} in the ELF, {out.addr:#x} in the map")


def _map_spans(entries):
    """Input sections with their extent clipped to the next entry of their
    output section: a map can list merged sections at one address with
    their sizes before merging."""
    spans = []
    for k, entry in enumerate(entries):
        end = entry.addr + entry.size
        nxt = entries[k + 1] if k + 1 < len(entries) else None
        if nxt is not None and nxt.output == entry.output and entry.addr <= nxt.addr < end:
            end = nxt.addr
        spans.append((entry, end))
    return spans


def _map(image, claims, resolver, root, link, units, unit_paths):
    """Source 3: input sections of a GNU ld map; returns object -> file."""
    entries = [e for e in link.entries if e.size]
    spans = sorted((lo, hi, path) for unit, path in zip(units, unit_paths)
                   for lo, hi in unit.ranges)
    starts = [s[0] for s in spans]
    by_name = {}
    for sec in claims.sections.values():
        by_name.setdefault(sec.name, []).append(sec)
    sources = {}
    shared = {name for name, secs in by_name.items()
              if any(s.index in claims.overlapping for s in secs)}
    for entry in entries:       # rule 1: the unit whose code the object holds
        if entry.object and entry.object not in sources \
                and entry.output not in shared and input_class(entry.name) == "code":
            k = bisect.bisect_right(starts, entry.addr) - 1
            if k >= 0 and spans[k][0] <= entry.addr < spans[k][1]:
                sources[entry.object] = spans[k][2]
    # Claimed by _attribute.c, in map order: the sections of each output
    # section, and what a rule of Python's says (class, source file,
    # component) asked once per name, object or path
    outputs = {name: tuple((s.index, s.addr, s.size, bool(s.flags & elf.SHF_WRITE),
                            s.type == elf.SHT_NOBITS) for s in secs)
               for name, secs in by_name.items()}
    _native_map(claims.native, entries, outputs, input_class,
                lambda obj: objfiles.object_source(obj, root),
                resolver.section if resolver.has_sections else None, resolver.path,
                None if resolver.catch_all is not None
                else lambda name: _matches(name, MERGED_SECTIONS),
                sources, {}, {},
                (RANK_MAP, model.SOURCE_MAP, model.BUCKET_PADDING, model.BUCKET_LINKER,
                 model.BUCKET_MERGED_STRINGS, "data", "bss"))
    return sources


def _globs(image, claims, resolver):
    """Sources 5 and 6: section globs, symbol globs; then symbol labels."""
    for sec in claims.sections.values():
        comp = resolver.section(sec.name)
        if comp:
            claims.add(sec.index, 0, sec.size, (RANK_SECTIONS, comp, None, None, None,
                                                model.SOURCE_GLOBS, None))
    # globals first, each group in table order (_attribute.c): a symbol
    # glob's claim, a label unless a file symbol's claim names the symbol,
    # and for a data object in an executable section its class
    _claim_globs(claims.native, image.symbols, SYMBOL_KINDS, ("local",),
                 resolver.symbol if resolver.has_symbols else None, claims.named,
                 model.SOURCE_GLOBS)


def _sweep(size, starts, ends, payloads):
    """The runs of one section's claims (its columns), in _attribute.c:
    a list of (start, end, owner, file, symbol, cls), the last four the
    winning claims' places in the columns, or None.

    Owner, file and symbol: the best-ranked claim that names one, the
    earlier of two of one rank.  The class comes from the map's input
    sections first, then from symbol types, whatever the claims' ranks
    for owners.  Each run is one interval between consecutive claim
    boundaries.
    """
    return _sweep_runs(size, starts, ends, payloads, model.SOURCE_MAP)


#: Bytes an assembler or linker pads code with, per machine (multi-byte NOPs
#: are made of these); elsewhere only zeros are fill
CODE_FILL = {
    "EM_386": frozenset(b"\x90\x66\x0f\x1f\x00\x40\x44\x80\x84\x2e\x8d\x74\x26"
                        b"\xb4\xbc\x76\x27\xcc"),
    "EM_ARM": frozenset(b"\x00\xbf\xc0\x46\xf0\x20\xe3\xa0\xe1"),
    "EM_RISCV": frozenset(b"\x13\x00\x01"),
    "EM_AARCH64": frozenset(b"\x1f\x20\x03\xd5\x00"),
}
CODE_FILL["EM_X86_64"] = CODE_FILL["EM_386"]
ZERO = frozenset(b"\x00")


#: The fill sets as 256 flags, for _attribute.c
_FILL_TABLES = {}


def _fill_table(fill):
    """Padding's rule (fill bytes, a run shorter than the alignment of the
    address it ends at) is in _attribute.c; these are its fill bytes."""
    table = _FILL_TABLES.get(fill)
    if table is None:
        table = _FILL_TABLES[fill] = bytes(b in fill for b in range(256))
    return table


def _strings(sec, start, end, ctx):
    """Ownerless read-only bytes: object strings, merged strings, padding.

    Yields (start, end, component, bucket, source, file).  Strings the
    given object files define go to their file's component (or, with no
    component, to [merged strings] keeping the file); other text goes to
    [merged strings] when the whole run is NUL-terminated text; NUL runs
    and anything else fall to the padding rule or [unattributed].
    Neighbouring strings with the same owner come out as one run.
    """
    parts = ctx.data[sec.offset + start:sec.offset + end].split(b"\0")
    tail = parts.pop()      # the unterminated rest, b"" after a final NUL
    textual = not tail and not any(t.translate(None, TEXT_BYTES) for t in parts)
    owners = ctx.strings.owner if ctx.strings else {}
    runs = []               # [lo, hi, component, bucket, source, file]
    lo = start
    for text in parts:
        hi = lo + len(text) + 1
        obj = owners.get(text) if text else None
        if obj is not None:
            path = ctx.object_path(obj)
            comp = ctx.resolver.path(path) or ctx.resolver.catch_all
            owner = (comp, None if comp else model.BUCKET_MERGED_STRINGS,
                     model.SOURCE_OBJECTS, path)
        elif text and textual:
            owner = _MERGED_RUN
        else:
            owner = _PLAIN_RUN  # bytes nothing names, kept together
        if runs and runs[-1][1] == lo and tuple(runs[-1][2:]) == owner:
            runs[-1][1] = hi
        else:
            runs.append([lo, hi, *owner])
        lo = hi
    if tail:
        if runs and tuple(runs[-1][2:]) == _PLAIN_RUN:
            runs[-1][1] = end
        else:
            runs.append([lo, end, *_PLAIN_RUN])
    return runs


_MERGED_RUN = (None, model.BUCKET_MERGED_STRINGS, None, None)
_PLAIN_RUN = (None, None, None, None)


def _pieces(ctx):
    """Run the sweep on every section and merge equal neighbours
    (_attribute.c).

    A run no claim owns goes, in this order, to [linker-generated] in a
    linker-made section; to the catch-all when a claim names its file or
    symbol (source: that claim's); to [merged strings] in a merged
    section; through _strings() when it is read-only and nothing names it;
    else to [padding] when it is fill shorter than the alignment of the
    address it ends at, or [unattributed].

    @ret (pieces, class_bytes): class_bytes counts the bytes whose class
         each of CLASS_SOURCES decided
    """
    pieces = []
    by_map = by_symbols = by_flags = 0
    claims = ctx.claims
    claims.native = None    # its hold on the columns
    catch_all = ctx.resolver.catch_all or None
    buckets = (model.BUCKET_LINKER, model.BUCKET_MERGED_STRINGS,
               model.BUCKET_UNATTRIBUTED, model.BUCKET_PADDING)
    for index, sec in sorted(claims.sections.items()):
        # a section's claims go once its runs are made
        starts, ends, payloads = claims.lists.pop(index)
        claims.targets.pop(index)
        mode = 1 if index in claims.linker else 2 if ctx.merged_section(sec) else 0
        nobits = sec.type == elf.SHT_NOBITS
        fill = CODE_FILL.get(ctx.machine, ZERO) if sec.cls == "code" else ZERO
        spec = (sec.size, sec.cls, mode, sec.cls == "rodata" and not nobits, catch_all,
                lambda lo, hi, sec=sec: _strings(sec, lo, hi, ctx),
                0 if claims.relocatable else sec.addr, max(64, sec.align), nobits,
                ctx.data, sec.offset, _fill_table(fill), model.Piece, model.SOURCE_MAP,
                buckets)
        found = _cut_pieces(starts, ends, payloads, pieces, sec.name, spec)
        by_map += found[0]
        by_symbols += found[1]
        by_flags += found[2]
    return pieces, dict(zip(CLASS_SOURCES, (by_map, by_symbols, by_flags)))


def check_invariant(image, pieces):
    """Pieces tile every allocated section; components + buckets == totals.

    Pieces must come in section-table order (as attribute() makes them),
    which also keeps sections that share a name (relocatable objects) apart.
    The walk over the pieces is _attribute.c's.
    """
    allocated = image.allocated()
    broken, total = _check_pieces(
        [(s.name, s.size, s.type == elf.SHT_NOBITS and s.cls == "bss") for s in allocated],
        list(pieces), model.CLASSES)
    if broken:
        what, number, at, pos = broken
        sec = allocated[number] if number is not None else None
        if what == "tile":
            raise AttributionError(f"{sec.name}: pieces do not tile the section "
                                   f"at offset {at:#x}")
        if what == "owner":
            raise AttributionError(f"{sec.name}: piece at {at:#x} needs exactly "
                                   "one of component and bucket")
        if what == "cover":
            raise AttributionError(f"{sec.name}: pieces cover {at} of {sec.size} bytes")
        raise AttributionError(f"piece for {pieces[pos].section} outside every section")
    totals = dict.fromkeys(model.CLASSES, 0)
    for sec in allocated:
        totals[sec.cls] += sec.size
    if sum(totals.values()) != total:
        raise AttributionError(f"class sums {totals} != section totals")


class _Context:
    """What the final pass over ownerless bytes needs."""

    def __init__(self, image, components, root):
        self.claims = _Claims(image)
        self.resolver = _Resolver(components)
        self.root = root
        self.data = b""
        self.strings = None
        self.known = {}
        self.merged = {}
        self.link_map = None
        self.machine = image.machine

    def merged_section(self, sec):
        """Whether sec holds merged strings or constants (cached per section)."""
        if sec.index not in self.merged:
            self.merged[sec.index] = bool(_matches(sec.name, MERGED_SECTIONS)
                                          or sec.flags & objfiles.SHF_MERGE)
        return self.merged[sec.index]

    def object_path(self, obj):
        """The source file of an object file (objects.py), cached."""
        if obj not in self.known:
            self.known[obj] = objfiles.object_source(obj, self.root)
        return self.known[obj]


def _read_dwarf(image, data, warnings, unavailable):
    """The DWARF units, or [] with the reason in unavailable."""
    if not image.has_dwarf:
        unavailable[model.SOURCE_DWARF] = "no DWARF"
        return []
    try:
        units = dwarf.read_units(image, data)
    except model.InputError as err:
        unavailable[model.SOURCE_DWARF] = str(err)
        warnings.append(f"DWARF ignored: {err}")
        return []
    if not units:
        unavailable[model.SOURCE_DWARF] = "no compile units in DWARF"
    return units


def _unused_path_globs(components, resolver):
    """Warnings for path globs no file of the image matched."""
    if not resolver.paths_seen:
        return []
    return [f"component {comp.name}: path glob '{glob}' matches no file of the image"
            for comp in components for glob in comp.paths
            if (comp.name, "paths", glob) not in resolver.used]


def attribute(image, components, map_path=None, objects=None, project_root=None):
    """Cut every allocated section of image into owned Pieces.

    @v image            model.Image (elf.read_image)
    @v components       list of model.ComponentDef
    @v map_path         linker map file of the link (mapfile.py), or None
    @v objects          object files of the link (strings, globals), or None
    @v project_root     directory source paths are made relative to, or None
    @ret attribution    model.Attribution
    @raises InputError  unreadable image/map/objects, or a file or symbol
                        matched by two components
    @raises AttributionError  the invariant failed (a bug)
    """
    with elf.gc_paused():
        return _attribute(image, components, map_path, objects, project_root)


def _attribute(image, components, map_path, objects, project_root):
    """attribute() with the collector off."""
    root = os.path.abspath(project_root) if project_root else None
    ctx = _Context(image, components, root)
    claims, resolver = ctx.claims, ctx.resolver
    warnings, unavailable = [], {}
    objects = [str(o) for o in objects or ()]
    ctx.data = image.data
    if not _boundary(image, claims, {c.name for c in components}, warnings):
        unavailable[model.SOURCE_BOUNDARY] = "no __mb_ boundary symbols"
    units = _read_dwarf(image, ctx.data, warnings, unavailable)
    unit_paths = _dwarf(image, claims, resolver, root, units)
    if image.type != "ET_REL":
        try:
            _eh_frame(image, claims, resolver, ctx.data, units, unit_paths)
        except model.InputError as err:
            warnings.append(f".eh_frame ignored: {err}")
    if map_path:
        ctx.link_map = mapfile.read_map(map_path)
        _check_map(image, ctx.link_map, map_path)
        ctx.known = _map(image, claims, resolver, root, ctx.link_map, units, unit_paths)
    else:
        unavailable[model.SOURCE_MAP] = "no map given"
    del units           # their claims are made: not kept for the sweep
    names = objfiles.FileNames([p for p in unit_paths + list(ctx.known.values()) if p],
                               root)
    defined = {name: ctx.object_path(obj) for name, obj in
               objfiles.global_definitions(objects).items()}
    if not image.symbols:
        unavailable[model.SOURCE_FILE_SYMBOLS] = "no symbol table"
    elif not _file_symbols(image, claims, resolver, names, defined):
        unavailable[model.SOURCE_FILE_SYMBOLS] = "no STT_FILE symbols"
    if objects:
        ctx.strings = objfiles.StringOwners(objects)
    else:
        unavailable[model.SOURCE_OBJECTS] = "no object files given"
    _globs(image, claims, resolver)
    if not (resolver.has_symbols or resolver.has_sections or resolver.catch_all):
        unavailable[model.SOURCE_GLOBS] = "no symbol or section globs in the budgets"
    pieces, class_bytes = _pieces(ctx)
    check_invariant(image, pieces)
    source_bytes = dict.fromkeys(model.SOURCES, 0)
    for source, size in _source_sizes(pieces):
        source_bytes[source] += size
    return model.Attribution(image=image, pieces=pieces, source_bytes=source_bytes,
                             unavailable=unavailable,
                             warnings=warnings + _unused_path_globs(components, resolver),
                             class_bytes=class_bytes, link_map=ctx.link_map)
