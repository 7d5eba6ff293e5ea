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
"""

import bisect
import fnmatch
import functools
import heapq
import os
import re
from collections import namedtuple
from operator import itemgetter

from .. import model
from ..read import dwarf, ehframe, elf, mapfile
from ..read import objects as objfiles

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

Claim = namedtuple("Claim", "start end rank seq component bucket file symbol source cls")
_new_claim = tuple.__new__
_START = itemgetter(0)


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
    """Claims per section, and the ways sources address bytes."""

    def __init__(self, image):
        self.sections = {s.index: s for s in image.allocated() if s.size}
        self.lists = {index: [] for index in self.sections}
        self.linker = {i for i, s in self.sections.items()
                       if _matches(s.name, LINKER_SECTIONS)}
        self.seq = 0
        # symbols with a file-symbol claim: their label claim could never
        # win (same bytes, same name, better rank), so none is made
        self.named = set()
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

    def add(self, index, start, end, rank, source, component=None, bucket=None,
            file=None, symbol=None, cls=None):
        """Claim [start, end) of section index (clipped to the section)."""
        sec = self.sections.get(index)
        if sec is None:
            return
        if index in self.linker and rank not in (RANK_BOUNDARY, RANK_SECTIONS):
            return
        if cls is not None and (sec.type == elf.SHT_NOBITS) != (cls == "bss"):
            cls = None      # NOBITS holds bss alone; a stored byte is never bss
        if start < 0:
            start = 0
        if end > sec.size:
            end = sec.size
        if start >= end:
            return
        self.seq += 1
        # tuple.__new__ skips the namedtuple's Python-level constructor
        self.lists[index].append(_new_claim(Claim, (start, end, rank, self.seq, component,
                                                    bucket, file, symbol, source, cls)))

    def add_addr(self, lo, hi, rank, source, cls=None, component=None, bucket=None,
                 file=None, symbol=None):
        """Claim the address range [lo, hi) in the section that holds it.

        Sections may share addresses (real-mode segments at 0, overlays):
        then the sized symbols that start at lo decide which section is
        meant, and a range they cannot place is claimed nowhere.
        """
        if self.relocatable:
            return
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
        for sec in found:
            self.add(sec.index, lo - sec.addr, hi - sec.addr, rank, source,
                     component, bucket, file, symbol)

    def add_symbol(self, sym, rank, source, component=None, bucket=None, file=None,
                   symbol=None, cls=None):
        """Claim a symbol's bytes in its own section."""
        sec = self.sections.get(sym.section)
        if sec is None or sym.size == 0:
            return
        offset = sym.addr
        if not self.relocatable:
            offset -= sec.addr - self.tls_base if sym.kind == "tls" else sec.addr
        self.add(sec.index, offset, offset + sym.size, rank, source, component, bucket,
                 file, symbol, cls)


def _boundary(image, claims, names, warnings):
    """Source 0: __mb_ boundary symbols; returns True if any was found."""
    ends = {}
    for sym in image.symbols:
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
            claims.add_addr(pair["start"], pair["end"], RANK_BOUNDARY,
                            model.SOURCE_BOUNDARY, cls=cls, component=comp)
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
    """Source 1: unit code ranges and top-level variables."""
    sizes = {}
    for sym in image.symbols:
        if sym.kind == "object" and sym.size:
            sizes.setdefault(sym.addr, sym.size)
    paths = []
    for unit in units:
        path = objfiles.unit_path(unit.name, unit.comp_dir, root)
        paths.append(path)
        comp = resolver.path(path)
        if image.type == "ET_REL":
            if len(units) == 1:
                for sec in claims.sections.values():
                    claims.add(sec.index, 0, sec.size, RANK_DWARF, model.SOURCE_DWARF,
                               comp, None, path)
            continue
        for lo, hi in unit.ranges:
            claims.add_addr(lo, hi, RANK_DWARF, model.SOURCE_DWARF, None, comp, None, path)
        for addr, size in unit.variables:
            # the symbol's size only where DWARF's type has none: another
            # object can start at the address of a zero-sized one
            if size is None:
                size = sizes.get(addr)
            if size:
                claims.add_addr(addr, addr + size, RANK_DWARF, model.SOURCE_DWARF, None,
                                comp, None, path)
    return paths


def _eh_frame(image, claims, resolver, data, units, unit_paths):
    """Source 1, continued: each .eh_frame FDE goes with its function's unit."""
    spans = sorted((lo, hi, path) for unit, path in zip(units, unit_paths)
                   for lo, hi in unit.ranges)
    starts = [s[0] for s in spans]
    sec = next((s for s in claims.sections.values() if s.name == ".eh_frame"), None)
    if not spans or sec is None:
        return
    for offset, size, pc in ehframe.read_fdes(image, data):
        k = bisect.bisect_right(starts, pc) - 1
        if k >= 0 and spans[k][0] <= pc < spans[k][1]:
            path = spans[k][2]
            claims.add(sec.index, offset, offset + size, RANK_DWARF, model.SOURCE_DWARF,
                       component=resolver.path(path), file=path)


def _file_symbols(image, claims, resolver, names, defined):
    """Source 2: locals under STT_FILE, globals the given objects define
    (defined: name -> file), and globals sandwiched by one file."""
    usable = [s for s in image.symbols
              if s.size and s.kind in SYMBOL_KINDS and s.section in claims.sections]
    files = {}
    by_section = {}
    for sym in usable:
        if sym.file:
            files.setdefault(sym.file, names.base(sym.file))
        by_section.setdefault(sym.section, []).append(sym)
    if image.type == "ET_REL" and len(files) == 1:
        path = next(iter(files.values()))
        for sec in claims.sections.values():
            claims.add(sec.index, 0, sec.size, RANK_FILE, model.SOURCE_FILE_SYMBOLS,
                       component=resolver.path(path), file=path)
        return bool(files)
    for syms in by_section.values():
        syms.sort(key=lambda s: (s.addr, s.binding != "local"))
        known = [i for i, s in enumerate(syms) if s.file]
        for i, sym in enumerate(syms):
            file = sym.file
            if file is None and sym.binding != "local" and sym.name in defined:
                path = defined[sym.name]
                claims.add_symbol(sym, RANK_FILE, model.SOURCE_FILE_SYMBOLS,
                                  component=resolver.path(path), file=path, symbol=sym.name)
                claims.named.add(id(sym))
                continue
            if file is None and known and sym.binding != "local":
                k = bisect.bisect_left(known, i)
                if 0 < k < len(known) and syms[known[k - 1]].file == syms[known[k]].file:
                    file = syms[known[k]].file
            if file:
                path = files[file]
                claims.add_symbol(sym, RANK_FILE, model.SOURCE_FILE_SYMBOLS,
                                  component=resolver.path(path), file=path, symbol=sym.name)
                claims.named.add(id(sym))
    return bool(files or defined)


#: INPUT_CLASSES as one compiled pattern per class
_INPUT_PATTERNS = tuple((cls, re.compile("|".join(fnmatch.translate(g) for g in globs)))
                        for cls, globs in INPUT_CLASSES)


@functools.lru_cache(maxsize=None)
def input_class(name):
    """The size class an input section's name says, or None."""
    for cls, pattern in _INPUT_PATTERNS:
        if pattern.match(name):
            return cls
    return None


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
    for entry in entries:       # rule 1: the unit whose code the object holds
        if entry.object and entry.object not in sources \
                and input_class(entry.name) == "code" \
                and not any(s.index in claims.overlapping for s in by_name.get(entry.output, ())):
            k = bisect.bisect_right(starts, entry.addr) - 1
            if k >= 0 and spans[k][0] <= entry.addr < spans[k][1]:
                sources[entry.object] = spans[k][2]
    for entry, end in _map_spans(entries):
        # Only allocated output sections hold bytes (.debug_* offsets are
        # no addresses)
        home = [s for s in by_name.get(entry.output, ())
                if s.addr <= entry.addr < s.addr + s.size]
        if not home:
            continue
        comp = bucket = path = cls = None
        if entry.fill:
            bucket = model.BUCKET_PADDING
        elif entry.linker:
            bucket = model.BUCKET_LINKER
        elif entry.merged:
            bucket = model.BUCKET_MERGED_STRINGS
        else:
            cls = input_class(entry.name)
            if cls is None and home[0].flags & elf.SHF_WRITE \
                    and home[0].type != elf.SHT_NOBITS:
                cls = "data"    # a table or the like in a writable (mixed) section
            if entry.object:
                if entry.object not in sources:
                    sources[entry.object] = objfiles.object_source(entry.object, root)
                path = sources[entry.object]
            comp = resolver.section(entry.name) or resolver.path(path)
            if comp is None and resolver.catch_all is None \
                    and _matches(entry.name, MERGED_SECTIONS):
                bucket = model.BUCKET_MERGED_STRINGS
        sec = home[0]
        claims.add(sec.index, entry.addr - sec.addr, end - sec.addr, RANK_MAP,
                   model.SOURCE_MAP, comp, bucket, path, cls=cls)
    return sources


def _globs(image, claims, resolver):
    """Sources 5 and 6: section globs, symbol globs; then symbol labels."""
    for sec in claims.sections.values():
        comp = resolver.section(sec.name)
        if comp:
            claims.add(sec.index, 0, sec.size, RANK_SECTIONS, model.SOURCE_GLOBS,
                       component=comp)
    ordered = sorted((s for s in image.symbols if s.size and s.kind in SYMBOL_KINDS),
                     key=lambda s: s.binding == "local")
    for sym in ordered:
        comp = resolver.symbol(sym.name)
        if comp:
            claims.add_symbol(sym, RANK_SYMBOLS, model.SOURCE_GLOBS,
                              component=comp, symbol=sym.name)
        if id(sym) not in claims.named:
            claims.add_symbol(sym, RANK_LABEL, model.SOURCE_GLOBS, symbol=sym.name)
        sec = claims.sections.get(sym.section)
        if sym.kind == "object" and sec is not None and sec.cls == "code":
            # a data object in an executable section (a Cortex-M .text that
            # holds *(.rodata*)): its type says its class where no map does
            claims.add_symbol(sym, RANK_LABEL, model.SOURCE_GLOBS,
                              cls="data" if sec.flags & elf.SHF_WRITE else "rodata")


def _sweep(size, claims):
    """Yield (start, end, owner, file, symbol, cls) runs; the last four are Claims.

    The class comes from the map's input sections first, then from symbol
    types, whatever the claims' ranks for owners.
    """
    claims.sort(key=_START)
    points = sorted({0, size}.union([c[0] for c in claims], [c[1] for c in claims]))
    owners, files, symbols, classes = [], [], [], []
    push, pop = heapq.heappush, heapq.heappop
    count = len(claims)
    i = 0
    for k in range(len(points) - 1):
        p = points[k]
        while i < count and claims[i][0] <= p:
            c = claims[i]
            # (rank, seq) is unique: the heap never compares the claims
            entry = (c[2], c[3], c)
            if c[4] or c[5]:
                push(owners, entry)
            if c[6]:
                push(files, entry)
            if c[7]:
                push(symbols, entry)
            if c[9]:
                push(classes, (c[8] != model.SOURCE_MAP, c[3], c))
            i += 1
        while owners and owners[0][2][1] <= p:
            pop(owners)
        while files and files[0][2][1] <= p:
            pop(files)
        while symbols and symbols[0][2][1] <= p:
            pop(symbols)
        while classes and classes[0][2][1] <= p:
            pop(classes)
        yield (p, points[k + 1], owners[0][2] if owners else None,
               files[0][2] if files else None, symbols[0][2] if symbols else None,
               classes[0][2] if classes else None)


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


def _is_padding(sec, start, end, ctx):
    """Fill bytes (zeros, or NOPs in code) in a run shorter than the alignment
    of the address it ends at: what a linker or assembler pads with."""
    at = end if ctx.claims.relocatable else sec.addr + end
    align = at & -at if at else 1 << 62
    if end - start >= min(align, max(64, sec.align)):
        return False
    if sec.type == elf.SHT_NOBITS:
        return True
    fill = CODE_FILL.get(ctx.machine, ZERO) if sec.cls == "code" else ZERO
    return set(ctx.data[sec.offset + start:sec.offset + end]) <= fill


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


def _unowned(sec, start, end, file, symbol, ctx):
    """Owners of a run no claim owns: yield (start, end, comp, bucket, source, file)."""
    if sec.index in ctx.claims.linker:
        yield start, end, None, model.BUCKET_LINKER, None, None
    elif (file or symbol) and ctx.resolver.catch_all:
        yield start, end, ctx.resolver.catch_all, None, (file or symbol).source, None
    elif ctx.merged_section(sec):
        yield start, end, None, model.BUCKET_MERGED_STRINGS, None, None
    else:
        runs = [(start, end, None, None, None, None)]
        if sec.cls == "rodata" and sec.type != elf.SHT_NOBITS and not (file or symbol):
            runs = _strings(sec, start, end, ctx)
        for lo, hi, comp, bucket, source, path in runs:
            if comp is None and bucket is None:
                bucket = model.BUCKET_UNATTRIBUTED
                if not (file or symbol) and _is_padding(sec, lo, hi, ctx):
                    bucket = model.BUCKET_PADDING
            yield lo, hi, comp, bucket, source, path


def _pieces(ctx):
    """Run the sweep on every section and merge equal neighbours.

    @ret (pieces, class_bytes): class_bytes counts the bytes whose class
         each of CLASS_SOURCES decided
    """
    pieces = []
    new, Piece = tuple.__new__, model.Piece
    class_bytes = dict.fromkeys(CLASS_SOURCES, 0)
    for index, sec in sorted(ctx.claims.sections.items()):
        runs = []           # [key, start, end], key: cls + the Piece fields after size
        last = None
        for start, end, owner, file, symbol, cls in \
                _sweep(sec.size, ctx.claims.lists[index]):
            name = file[6] if file else None
            symbol_name = symbol[7] if symbol else None
            if cls is None:
                kind = sec.cls
                class_bytes[CLASS_FLAGS] += end - start
            else:
                kind = cls[9]
                class_bytes[CLASS_MAP if cls[8] == model.SOURCE_MAP
                            else CLASS_SYMBOLS] += end - start
            if owner:
                # the common case, kept free of the generator below
                key = (kind, owner[4], owner[5], owner[8], name, symbol_name)
                if last and last[0] == key and last[2] == start:
                    last[2] = end
                else:
                    last = [key, start, end]
                    runs.append(last)
                continue
            for lo, hi, comp, bucket, source, path in \
                    _unowned(sec, start, end, file, symbol, ctx):
                key = (kind, comp, bucket, source, path or name, symbol_name)
                if last and last[0] == key and last[2] == lo:
                    last[2] = hi
                    continue
                last = [key, lo, hi]
                runs.append(last)
        section = sec.name
        pieces += [new(Piece, (section, key[0], start, end - start, *key[1:]))
                   for key, start, end in runs]
    return pieces, class_bytes


def check_invariant(image, pieces):
    """Pieces tile every allocated section; components + buckets == totals.

    Pieces must come in section-table order (as attribute() makes them),
    which also keeps sections that share a name (relocatable objects) apart.
    """
    totals = dict.fromkeys(model.CLASSES, 0)
    pos = 0
    for sec in image.allocated():
        at = 0
        while at < sec.size and pos < len(pieces):
            piece = pieces[pos]
            if (piece.section, piece.offset) != (sec.name, at) or piece.size <= 0 \
                    or piece.cls not in model.CLASSES \
                    or (piece.cls == "bss") != (sec.type == elf.SHT_NOBITS and sec.cls == "bss"):
                raise AttributionError(f"{sec.name}: pieces do not tile the section "
                                       f"at offset {at:#x}")
            if (piece.component is None) == (piece.bucket is None):
                raise AttributionError(f"{sec.name}: piece at {at:#x} needs exactly "
                                       "one of component and bucket")
            at += piece.size
            pos += 1
        if at != sec.size:
            raise AttributionError(f"{sec.name}: pieces cover {at} of {sec.size} bytes")
        totals[sec.cls] += at
    if pos != len(pieces):
        raise AttributionError(f"piece for {pieces[pos].section} outside every section")
    if sum(totals.values()) != sum(p.size for p in pieces):
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
    for piece in pieces:
        if piece.source:
            source_bytes[piece.source] += piece.size
    return model.Attribution(image=image, pieces=pieces, source_bytes=source_bytes,
                             unavailable=unavailable,
                             warnings=warnings + _unused_path_globs(components, resolver),
                             class_bytes=class_bytes, link_map=ctx.link_map)
