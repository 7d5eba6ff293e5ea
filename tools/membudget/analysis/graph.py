"""The reference graph of a linked image: who keeps what, and what it retains.

Nodes are the image's input sections, each with the symbols inside it and
its bytes per owner and class (from the attribution's pieces); an edge
A -> B says that A's bytes refer to a symbol in B.  This is the graph GNU
ld's --gc-sections marks from its roots: whatever no root reaches, the
link drops.  The edges come from one source, the first of these available:

  objects       the relocations of the link's object files: the --objects
                given, else the objects (and archive members, lib.a(x.o))
                the map names, when they are readable and none is smaller
                than the map says (a rebuilt object is not used).  Needs
                the map, to know which input sections the image holds.
                Exact: one node per input section; a reference through a
                global resolves to the definition the link kept (strong
                before weak, the first copy of a COMDAT group).
  relocations   the image's own relocation sections, kept by linking with
                --emit-relocs (read/relocs.py): nodes are the map's input
                sections, or without a map the extents of the sized
                symbols; a reference through a section symbol is placed by
                its addend (types relocs.py cannot decode are counted).
                The image has no section groups: a member of a COMDAT
                group that nothing refers to counts as unreferenced.
  cross reference
                the map's Cross Reference Table (ld --cref): which objects
                refer to each global symbol.  Coarse: one node per object
                file, references of static symbols are not listed.

What ld treats specially, the objects source does too: all sections of a
group are kept together; an SHF_LINK_ORDER section (.ARM.exidx) is kept by
the section it describes; .eh_frame references keep nothing, but the
function an FDE describes keeps what the FDE refers to (LSDA, personality);
a reference to an undefined __start_SEC / __stop_SEC keeps every input
section named SEC.

Roots (each node's reason is kept for `why`):
  entry         the section holding e_entry;
  KEEP          input sections the map lists under a KEEP() pattern of the
                linker script (read/ldscript.py; [graph] scripts or
                --script), or without a script the sections ld's default
                scripts KEEP (.init, .fini, .init_array, .ctors, ...);
  extern        EXTERN(sym) of the script, and [graph] roots of the
                budgets file (globs over symbol names: ld's -u);
  exported      symbols defined in .dynsym (shared objects, --export-dynamic);
  linker        SHT_NOTE and SHF_GNU_RETAIN input sections, .eh_frame;
  unreferenced  a section that no root reaches and nothing refers to (or,
                in a cycle nothing refers to, its first section): the link
                kept it, so something the graph does not see (-u, a KEEP of
                an unread script, no --gc-sections) did.

Retained size: the dominator tree of the graph from a virtual root above
all roots (Cooper, Harvey and Kennedy's iterative algorithm); a node's
retained bytes are its own plus those of every node it dominates: what
would leave the image if it went.  For a set of nodes (a file, a
component, a symbol name several sections define) removed() walks the
graph from the roots without them instead.
"""

import bisect
import fnmatch
import os
import re
import struct
from dataclasses import dataclass, field

from .. import model
from ..read import archive, ehframe, elf, ldscript, relocs
from . import attribute

SOURCE_OBJECTS = "objects"
SOURCE_RELOCATIONS = "relocations"
SOURCE_CREF = "cross reference"

ROOT_ENTRY, ROOT_KEEP, ROOT_EXTERN, ROOT_EXPORTED, ROOT_LINKER, ROOT_UNREFERENCED = (
    "entry", "KEEP", "extern", "exported", "linker", "unreferenced")

SHT_NOTE, SHT_DYNSYM = elf.SHT_NOTE, elf.SHT_DYNSYM
_DEFAULT_KEEP = re.compile("|".join(fnmatch.translate(g) for g in ldscript.DEFAULT_KEEP))
START_STOP = re.compile(r"__(?:start|stop)_([A-Za-z_][A-Za-z0-9_]*)")
SYMBOL_KINDS = ("func", "object", "tls", "ifunc", "common")


class GraphUnavailable(model.InputError):
    """No source for the graph, or one that does not belong to the image."""


@dataclass
class Node:
    """An input section of the image (or, from --cref, an object file)."""

    name: str                   # input section name (cref: the object)
    object: str | None          # object file, "lib.a(x.o)" for a member
    output: str                 # output section
    addr: int
    size: int
    symbols: list = field(default_factory=list)  # names, sized globals first
    file: str | None = None     # source file, from the attribution
    owners: dict = field(default_factory=dict)   # (component or bucket, class) -> bytes

    @property
    def label(self):
        """The node's name for people: its main symbol, else its section."""
        return self.symbols[0] if self.symbols else self.name


@dataclass
class Graph:
    """Nodes, edges (succ[i]: the nodes i refers to), roots and provenance."""

    source: str
    detail: str                 # what was read, for the sources table
    nodes: list
    succ: list
    roots: dict                 # node -> (kind, what) e.g. ("entry", "_start")
    labels: dict = field(default_factory=dict)      # (a, b) -> symbol name
    refs: dict = field(default_factory=dict)        # node -> {global names}
    defined: dict = field(default_factory=dict)     # global name -> node
    copies: set = field(default_factory=set)        # names several objects define
    notes: list = field(default_factory=list)
    edges: int = 0
    image_path: str = ""
    _dom: tuple | None = None
    _reached: bytearray | None = None

    # -- lookups --------------------------------------------------------
    def nodes_of_symbol(self, name):
        """Nodes holding a symbol called name (several: static namesakes)."""
        return [i for i, n in enumerate(self.nodes) if name in n.symbols]

    def root_names(self):
        """[(kind, what, node)] of the roots, in node order."""
        return [(kind, what, i) for i, (kind, what) in sorted(self.roots.items())]

    # -- dominators -------------------------------------------------------
    def dominators(self):
        """(idom, postorder number) per node; idom -1: unreachable, n: the virtual root."""
        if self._dom is None:
            self._dom = _dominators(len(self.nodes), self.succ, sorted(self.roots))
        return self._dom

    def retained(self):
        """Retained bytes of every node (its dominator subtree's sizes)."""
        idom, order = self.dominators()
        n = len(self.nodes)
        total = [node.size for node in self.nodes] + [0]
        for v in order:
            if v != n and idom[v] >= 0:
                total[idom[v]] += total[v]
        return total[:n]

    def dominated(self, node):
        """The nodes node dominates, itself included."""
        idom, _ = self.dominators()
        children = {}
        for v, d in enumerate(idom[:len(self.nodes)]):
            if d >= 0 and d != v:
                children.setdefault(d, []).append(v)
        out, stack = [], [node]
        while stack:
            v = stack.pop()
            out.append(v)
            stack += children.get(v, ())
        return sorted(out)

    def reachable(self, removed=frozenset(), roots=None):
        """Nodes the roots reach without passing through removed ones."""
        seen = bytearray(len(self.nodes))
        stack = [r for r in (self.roots if roots is None else roots) if r not in removed]
        for r in stack:
            seen[r] = 1
        succ = self.succ
        while stack:
            for w in succ[stack.pop()]:
                if not seen[w] and w not in removed:
                    seen[w] = 1
                    stack.append(w)
        return seen

    def removed(self, nodes):
        """Every node that leaves when nodes go: them, and what only they reach."""
        nodes = set(nodes)
        if self._reached is None:
            self._reached = self.reachable()
        before = self._reached
        after = self.reachable(nodes)
        return sorted(i for i in range(len(self.nodes))
                      if before[i] and not after[i] or i in nodes)


def _dominators(n, succ, roots):
    """Cooper-Harvey-Kennedy: immediate dominators from a virtual root n above roots."""
    post = [-1] * (n + 1)
    order = []
    seen = bytearray(n + 1)
    seen[n] = 1
    stack = [(n, iter(roots))]
    while stack:
        v, it = stack[-1]
        for w in it:
            if not seen[w]:
                seen[w] = 1
                stack.append((w, iter(succ[w])))
                break
        else:
            stack.pop()
            post[v] = len(order)
            order.append(v)
    preds = [[] for _ in range(n + 1)]
    for r in roots:
        preds[r].append(n)
    for v in order:
        if v != n:
            for w in succ[v]:
                preds[w].append(v)
    idom = [-1] * (n + 1)
    idom[n] = n
    rpo = order[-2::-1]         # reverse postorder without the root
    changed = True
    while changed:
        changed = False
        for b in rpo:
            new = -1
            for p in preds[b]:
                if idom[p] < 0:
                    continue
                if new < 0:
                    new = p
                    continue
                a = p
                while a != new:
                    while post[a] < post[new]:
                        a = idom[a]
                    while post[new] < post[a]:
                        new = idom[new]
            if idom[b] != new:
                idom[b] = new
                changed = True
    return idom, order


# -- nodes ---------------------------------------------------------------------

class _Places:
    """Nodes by output section and address."""

    def __init__(self, nodes):
        self.by_output = {}
        for i, node in enumerate(nodes):
            self.by_output.setdefault(node.output, []).append((node.addr, i))
        self.starts = {}
        for name, items in self.by_output.items():
            items.sort()
            self.starts[name] = [a for a, _ in items]
        self.nodes = nodes

    def at(self, output, addr):
        """The node of output section output holding addr, or None."""
        starts = self.starts.get(output)
        if not starts:
            return None
        k = bisect.bisect_right(starts, addr) - 1
        if k < 0:
            return None
        i = self.by_output[output][k][1]
        node = self.nodes[i]
        return i if addr < node.addr + max(node.size, 1) else None

    def starting(self, output, addr):
        starts = self.starts.get(output)
        if not starts:
            return None
        k = bisect.bisect_left(starts, addr)
        return self.by_output[output][k][1] if k < len(starts) and starts[k] == addr else None


def _map_nodes(image, link):
    """One node per input section of an object the map places in the image."""
    outputs = {s.name: s for s in image.allocated() if s.size}
    nodes = []
    entries = [e for e in link.entries if e.size]
    for entry, end in attribute._map_spans(entries):
        sec = outputs.get(entry.output)
        if sec is None or not entry.object or entry.fill or entry.linker or entry.merged \
                or not sec.addr <= entry.addr < sec.addr + sec.size or end <= entry.addr:
            continue
        nodes.append(Node(entry.name, entry.object, sec.name, entry.addr, end - entry.addr))
    return nodes


def _symbol_nodes(image):
    """Without a map: the extents of sized symbols, and the runs between them."""
    nodes = []
    linker = set(s.index for s in image.allocated()
                 if attribute._matches(s.name, attribute.LINKER_SECTIONS))
    spans = {}
    for sym in image.symbols:
        if sym.size and sym.kind in SYMBOL_KINDS and sym.section not in linker:
            spans.setdefault(sym.section, []).append((sym.addr, sym.addr + sym.size))
    for sec in image.allocated():
        if not sec.size or sec.index in linker:
            continue
        runs = []
        for lo, hi in sorted(spans.get(sec.index, ())):
            lo, hi = max(lo, sec.addr), min(hi, sec.addr + sec.size)
            if hi <= lo:
                continue
            if runs and lo < runs[-1][1]:
                runs[-1][1] = max(runs[-1][1], hi)
            else:
                runs.append([lo, hi])
        at = sec.addr
        for lo, hi in runs + [[sec.addr + sec.size, sec.addr + sec.size]]:
            if lo > at:
                nodes.append(Node(f"{sec.name}+{at - sec.addr:#x}", None, sec.name, at, lo - at))
            if hi > lo:
                nodes.append(Node(sec.name, None, sec.name, lo, hi - lo))
            at = max(at, hi)
    return nodes


def _name_symbols(image, nodes, places, assigned):
    """Each node's symbols, sized globals first (not the script's own)."""
    by_index = {s.index: s.name for s in image.sections}
    found = {}
    for sym in image.symbols:
        if not sym.name or sym.kind in ("section", "file") or sym.section in (0, 0xFFF1) \
                or sym.name in assigned:
            continue
        output = by_index.get(sym.section)
        if output is None:
            continue
        i = places.at(output, sym.addr)
        if i is None or (not sym.size and sym.kind not in SYMBOL_KINDS
                         and sym.binding == "local"):
            continue
        rank = (sym.size == 0, sym.binding == "local", sym.addr)
        found.setdefault(i, []).append((rank, sym.name))
    for i, names in found.items():
        nodes[i].symbols = list(dict.fromkeys(name for _, name in sorted(names)))


def _owners(attribution, nodes, places):
    """Each node's bytes per (owner, class) and its main file, from the pieces."""
    starts = {s.name: s.addr for s in attribution.image.allocated()}
    files = {}
    for piece in attribution.pieces:
        base = starts.get(piece.section)
        if base is None:
            continue
        lo = base + piece.offset
        hi = lo + piece.size
        items = places.by_output.get(piece.section, ())
        k = max(bisect.bisect_right(places.starts.get(piece.section, []), lo) - 1, 0)
        while k < len(items) and items[k][0] < hi:
            i = items[k][1]
            node = nodes[i]
            overlap = min(hi, node.addr + node.size) - max(lo, node.addr)
            if overlap > 0:
                key = (piece.component or piece.bucket, piece.cls)
                node.owners[key] = node.owners.get(key, 0) + overlap
                if piece.file:
                    per = files.setdefault(i, {})
                    per[piece.file] = per.get(piece.file, 0) + overlap
            k += 1
    for i, per in files.items():
        nodes[i].file = max(per.items(), key=lambda kv: (kv[1], kv[0]))[0]


# -- object files --------------------------------------------------------------

@dataclass
class _Object:
    """What the graph keeps of an object file: its bytes are dropped once
    the relocations, groups and .eh_frame records are read (thousands of
    objects would otherwise stay in memory together)."""

    sections: list
    symbols: list
    tables: list                # relocs.Table
    groups: list                # [[member section indices]]
    eh_records: dict            # .eh_frame section index -> ehframe.records()

    def allocated(self):
        return [s for s in self.sections if s.cls in model.CLASSES]


def _slim(obj):
    """An object's model.Image as an _Object."""
    endian = "<" if obj.endian == "little" else ">"
    groups = []
    eh_records = {}
    for sec in obj.sections:
        if sec.type == relocs.SHT_GROUP and sec.size >= 8 and \
                sec.offset + sec.size <= len(obj.data):
            groups.append(list(struct.unpack_from(f"{endian}{sec.size // 4}I", obj.data,
                                                  sec.offset)[1:]))
        elif sec.name == ".eh_frame" and sec.type != elf.SHT_NOBITS:
            eh_records[sec.index] = ehframe.records(
                obj.data[sec.offset:sec.offset + sec.size], obj.endian)
    return _Object(obj.sections, obj.symbols, relocs.tables(obj), groups, eh_records)


def _read_object(name, base_dirs):
    """The model.Image of an object the map names, or None (not readable)."""
    member = None
    path = name
    if name.endswith(")") and "(" in name:
        path, member = name[:-1].split("(", 1)
    for base in base_dirs:
        full = path if os.path.isabs(path) else os.path.join(base, path)
        if not os.path.isfile(full):
            continue
        with open(full, "rb") as f:
            data = f.read()
        if member is None:
            return _slim(elf.read_image_bytes(name, data))
        for mname, body in archive.ar_members(full, data):
            if mname == member and body.startswith(b"\x7fELF"):
                return _slim(elf.read_image_bytes(name, body))
        return None
    return None


class _Builder:
    """Edges, resolved the way the link resolved them."""

    def __init__(self, image, nodes, link):
        self.image = image
        self.nodes = nodes
        self.places = _Places(nodes)
        self.succ = [set() for _ in nodes]
        self.labels = {}
        self.refs = {}
        self.roots = {}
        self.notes = []
        self.link = link
        self.assigned = link.assigned if link else set()
        self.defined = {}       # global name -> node defining it
        self.copies = set()     # global names more than one object defines
        self.map_entry = {}     # node -> its mapfile.MapEntry

    def edge(self, a, b, label=None):
        if a is None or b is None or a == b:
            return
        if b not in self.succ[a]:
            self.succ[a].add(b)
            if label:
                self.labels[(a, b)] = label

    def root(self, i, kind, what):
        if i is not None and i not in self.roots:
            self.roots[i] = (kind, what)

    def image_symbol(self, name):
        """The node of the image's global symbol name (sized or typed), or None."""
        for sym in self.image_globals().get(name, ()):
            out = self.output_name(sym.section)
            i = self.places.at(out, sym.addr) if out else None
            if i is not None:
                return i
        return None

    def image_globals(self):
        if not hasattr(self, "_globals"):
            self._globals = {}
            for sym in self.image.symbols:
                if sym.binding != "local" and sym.section not in (0, 0xFFF1) and \
                        (sym.size or sym.kind in SYMBOL_KINDS) and \
                        sym.name not in self.assigned:
                    self._globals.setdefault(sym.name, []).append(sym)
        return self._globals

    def output_name(self, index):
        if not hasattr(self, "_outputs"):
            self._outputs = {s.index: s.name for s in self.image.sections}
        return self._outputs.get(index)

    def start_stop(self, name):
        """Nodes __start_SEC/__stop_SEC keeps: every input section named SEC."""
        m = START_STOP.fullmatch(name)
        if not m:
            return []
        return [i for i, n in enumerate(self.nodes) if n.name == m.group(1)]

    def graph(self, source, detail):
        edges = sum(len(s) for s in self.succ)
        return Graph(source, detail, self.nodes, [sorted(s) for s in self.succ],
                     self.roots, self.labels, self.refs, self.defined or _image_defined(self),
                     self.copies, self.notes, edges, self.image.path)


def _objects_edges(b, objects):
    """Edges from the relocations of the object files {name: Image}."""
    where = {}          # (object, section index) -> node
    seen = {}
    named = {name: _sections_by_name(obj) for name, obj in objects.items()}
    for i, node in enumerate(b.nodes):
        obj = objects.get(node.object)
        if obj is None:
            continue
        k = seen.get((node.object, node.name), 0)
        seen[(node.object, node.name)] = k + 1
        same = named[node.object].get(node.name, ())
        if k < len(same):
            where[(node.object, same[k].index)] = i
        else:
            # ld lists the sections it makes (.note.gnu.build-id, .got, ...)
            # under its first input file
            b.root(i, ROOT_LINKER, f"{node.name} (made by the linker)")
    # Global definitions the link kept: strong first, then weak; and the
    # names another object defines too (a COMDAT copy the link discarded)
    defs = {}
    copies = {}
    for name, obj in objects.items():
        for sym in obj.symbols:
            if sym.binding == "local" or sym.section == 0 or sym.section >= 0xFF00:
                continue
            copies[sym.name] = copies.get(sym.name, 0) + 1
            i = where.get((name, sym.section))
            if i is not None:
                defs.setdefault(sym.name, []).append((sym.binding != "global", i))
    b.copies = {name for name, count in copies.items() if count > 1}
    resolved = {}

    def resolve(gname):
        if gname not in resolved:
            found = sorted(defs.get(gname, ()))
            i = found[0][1] if found else b.image_symbol(gname)
            resolved[gname] = [i] if i is not None else b.start_stop(gname)
        return resolved[gname]

    for gname in defs:
        hit = resolve(gname)
        if hit:
            b.defined[gname] = hit[0]
    for name, obj in objects.items():
        secs = {s.index: s for s in obj.sections}

        def local_target(sym, name=name):
            return where.get((name, sym.section))

        for table in obj.tables:
            target = secs[table.target]
            src = where.get((name, table.target))
            if target.name == ".eh_frame":
                _fde_edges(b, obj, table, local_target, resolve)
                continue
            if src is None:
                continue
            for sym in relocs.referenced_symbols(obj, table):
                if sym.binding == "local":
                    b.edge(src, local_target(sym),
                           sym.name if sym.kind != "section" and sym.name else None)
                else:
                    b.refs.setdefault(src, set()).add(sym.name)
                    for dst in resolve(sym.name):
                        b.edge(src, dst, sym.name)
        _groups(b, obj, name, where)
        for sec in obj.sections:
            i = where.get((name, sec.index))
            if i is None:
                continue
            if sec.flags & relocs.SHF_LINK_ORDER:
                b.edge(where.get((name, sec.link)), i)
            elif sec.type == SHT_NOTE and not sec.flags & relocs.SHF_GROUP:
                b.root(i, ROOT_LINKER, "note section")
            if sec.flags & relocs.SHF_GNU_RETAIN:
                b.root(i, ROOT_LINKER, "SHF_GNU_RETAIN")
            if sec.name == ".eh_frame":
                b.root(i, ROOT_LINKER, ".eh_frame")


def _groups(b, obj, name, where):
    """All sections of a group stay together: a cycle through its members."""
    for group in obj.groups:
        members = [where.get((name, m)) for m in group]
        members = [m for m in members if m is not None]
        for a, c in zip(members, members[1:] + members[:1]):
            b.edge(a, c)


def _fde_edges(b, obj, table, local_target, resolve):
    """The function an FDE describes keeps what the FDE and its CIE refer to."""
    records = obj.eh_records.get(table.target, [])
    starts = [r[0] for r in records]
    per_record = {}
    for offset, _, symi, _ in table.entries:
        k = bisect.bisect_right(starts, offset) - 1
        if k < 0 or not symi or offset >= records[k][1]:
            continue
        sym = obj.symbols[symi - 1]
        if sym.binding == "local":
            hit = [local_target(sym)]
        else:
            hit = resolve(sym.name)
        per_record.setdefault(records[k][0], []).append(
            (offset, [h for h in hit if h is not None],
             sym.name if sym.binding != "local" else None))
    by_start = {r[0]: r for r in records}
    for start, refs in per_record.items():
        cie = by_start[start][2]
        if cie is None:
            continue
        refs.sort()
        function = refs[0][1]
        others = refs[1:] + per_record.get(cie, [])
        for f in function:
            for _, hits, label in others:
                for h in hits:
                    b.edge(f, h, label)


# -- the image's own relocations (--emit-relocs) ----------------------------------

def _relocation_edges(b, tables):
    """Edges from an image linked with --emit-relocs."""
    image = b.image
    by_index = {s.index: s for s in image.sections}
    undecoded = 0
    for table in tables:
        sec = by_index[table.target]
        if sec.name == ".eh_frame":
            continue
        for entry in table.entries:
            offset, _, symi, _ = entry
            if not symi:
                continue
            src = b.places.at(sec.name, offset)
            if src is None:
                continue
            sym = image.symbols[symi - 1]
            out = b.output_name(sym.section)
            if out is None or sym.section in (0, 0xFFF1):
                if sym.binding != "local":
                    b.refs.setdefault(src, set()).add(sym.name)
                    for dst in b.start_stop(sym.name):
                        b.edge(src, dst, sym.name)
                continue
            if sym.kind == "section":
                candidates = relocs.reference_addresses(image, sec, entry, sym.addr)
                if not candidates:
                    undecoded += 1
                    continue
                dst = next((b.places.starting(out, a) for a in candidates[1:]
                            if b.places.starting(out, a) is not None), None)
                if dst is None or b.places.at(out, candidates[0]) is not None and \
                        b.places.starting(out, candidates[0]) is not None:
                    dst = b.places.at(out, candidates[0])
                b.edge(src, dst)
                continue
            if sym.name in b.assigned or b.link is None and _script_like(b, sym, out):
                continue
            if sym.binding != "local":
                b.refs.setdefault(src, set()).add(sym.name)
            b.edge(src, b.places.at(out, sym.addr), sym.name)
    if undecoded:
        b.notes.append(f"{undecoded} reference{'s' if undecoded != 1 else ''} through "
                       "a section symbol of a type not decoded: left out")


def _script_like(b, sym, out):
    """Without a map: a global zero-sized untyped symbol at a node's edge is
    taken for one the linker script defines (`__bss_start = .`)."""
    if sym.binding == "local" or sym.size or sym.kind != "notype":
        return False
    return b.places.starting(out, sym.addr) is not None or b.places.at(out, sym.addr) is None


# -- the cross reference table ----------------------------------------------------

def _cref_graph(image, link):
    """One node per object; an edge for each object the table says refers to a
    symbol another object defines."""
    per_object = {}
    for node in _map_nodes(image, link):
        per_object.setdefault(node.object, []).append(node)
    objects = sorted(per_object, key=lambda o: min(n.addr for n in per_object[o]))
    nodes = []
    section_nodes = []
    for k, obj in enumerate(objects):
        parts = per_object[obj]
        first = min(parts, key=lambda n: (n.output, n.addr))
        nodes.append(Node(obj, obj, first.output, first.addr, sum(n.size for n in parts)))
        section_nodes += [(n, k) for n in parts]
    return nodes, section_nodes


# -- roots -----------------------------------------------------------------------

def _common_roots(b, image, link, scripts, root_globs, section_of):
    """entry, KEEP, EXTERN and [graph] roots, exported symbols."""
    by_index = {s.index: s for s in image.sections}
    if image.entry and image.type != "ET_REL":
        entry = image.entry & ~1 if image.machine == "EM_ARM" else image.entry
        for sec in image.allocated():
            if sec.addr <= entry < sec.addr + sec.size and sec.size:
                i = section_of(sec.name, entry)
                name = next((s.name for s in image.symbols if s.addr == entry and s.name
                             and s.kind not in ("section", "file")
                             and s.name not in b.assigned), f"{entry:#x}")
                b.root(i, ROOT_ENTRY, name)
                break
    keep = {ldscript.normalize(p) for s in scripts for p in s.keep}
    if link is not None:
        for i, node in enumerate(b.nodes):
            if keep:
                entry = b.map_entry.get(i)
                if entry is not None and entry.pattern in keep:
                    b.root(i, ROOT_KEEP, entry.pattern)
            elif _DEFAULT_KEEP.fullmatch(node.name):
                b.root(i, ROOT_KEEP, f"{node.name} (ld's default script)")
    globs = [(g, "[graph] roots") for g in root_globs] + \
        [(name, "EXTERN") for s in scripts for name in s.externs]
    if globs:
        for sym in image.symbols:
            if not sym.name or sym.section in (0, 0xFFF1) or sym.kind in ("section", "file"):
                continue
            for glob, why in globs:
                if fnmatch.fnmatchcase(sym.name, glob):
                    out = by_index.get(sym.section)
                    if out is not None:
                        b.root(section_of(out.name, sym.addr), ROOT_EXTERN,
                               f"{sym.name} ({why})")
    dynsym = next((s for s in image.sections if s.type == SHT_DYNSYM), None)
    if dynsym is not None and any(s.type == 2 for s in image.sections):
        exported = elf.symbol_table(image, dynsym)
    else:
        exported = image.symbols if dynsym is not None else []
    for sym in exported:
        if sym.binding != "local" and sym.section not in (0, 0xFFF1) and sym.name:
            out = by_index.get(sym.section)
            if out is not None and out.cls:
                b.root(section_of(out.name, sym.addr), ROOT_EXPORTED, sym.name)


def _unreferenced_roots(b):
    """Sections no root reaches: those nothing refers to, then one per cycle."""
    n = len(b.nodes)
    graph = Graph("", "", b.nodes, [sorted(s) for s in b.succ], dict(b.roots))
    seen = graph.reachable()
    referenced = bytearray(n)
    for s in b.succ:
        for w in s:
            referenced[w] = 1
    order = sorted(range(n), key=lambda i: (referenced[i], b.nodes[i].output,
                                            b.nodes[i].addr))
    count = 0
    for i in order:
        if seen[i]:
            continue
        b.root(i, ROOT_UNREFERENCED, b.nodes[i].name)
        count += 1
        stack = [i]
        seen[i] = 1
        while stack:
            for w in b.succ[stack.pop()]:
                if not seen[w]:
                    seen[w] = 1
                    stack.append(w)
    if count:
        b.notes.append(f"{count} section{'s' if count != 1 else ''} no known root reaches "
                       "counted as roots (unreferenced)")


# -- entry point -------------------------------------------------------------------

def build(attribution, map_path=None, objects=(), scripts=(), roots=(), base_dirs=None):
    """The reference graph of an attributed image, from the best source.

    @v attribution  model.Attribution (its image and, when read, its link map)
    @v map_path     the map file attribution read (for messages)
    @v objects      --objects: the link's object files (else the map's)
    @v scripts      linker scripts (ldscript.Script) of the link
    @v roots        [graph] roots: globs over symbol names
    @v base_dirs    where the map's relative object paths are looked up
                    (default: the current directory, then the map's and
                    each directory above it)
    @ret Graph
    @raises GraphUnavailable  no usable source, or objects not of this image
    """
    with elf.gc_paused():
        return _build(attribution, map_path, objects, scripts, roots, base_dirs)


def _build(attribution, map_path, objects, scripts, roots, base_dirs):
    """build() with the collector off (thousands of objects read)."""
    image = attribution.image
    link = attribution.link_map
    objects = [str(o) for o in objects]
    if base_dirs is None:
        base_dirs = ["."] + _ancestors(map_path)
    if objects and link is None:
        raise GraphUnavailable(objects[0], "--objects needs --map, to know which of "
                               "their sections the image holds")
    tables = relocs.tables(image) if image.type != "ET_REL" else []
    tables = [t for t in tables if not t.section.name.endswith(".eh_frame")]
    nodes = _map_nodes(image, link) if link is not None else None
    source = detail = None
    read = {}
    notes = []
    if objects:
        source = SOURCE_OBJECTS
        for path in objects:
            read[path] = _slim(elf.read_image(path))
        detail = f"{len(objects)} object file{'s' if len(objects) != 1 else ''} (--objects)"
        read = _match_given(nodes, read)
        stale = _stale(nodes, read)
        if stale:
            raise GraphUnavailable(stale[0], f"does not match the map: {stale[1]}")
    elif link is not None:
        names = sorted({n.object for n in nodes})
        missing = []
        for name in names:
            try:
                obj = _read_object(name, base_dirs)
            except model.InputError:
                obj = None
            if obj is None:
                missing.append(name)
            else:
                read[name] = obj
        stale = _stale(nodes, read) if read else None
        if read and not stale:
            source = SOURCE_OBJECTS
            detail = f"{len(read)} of {len(names)} object files the map names"
            if missing:
                detail += f" ({len(missing)} not readable, e.g. {missing[0]})"
        elif tables:
            source = SOURCE_RELOCATIONS
            detail = "the ELF's relocation sections (--emit-relocs)"
        elif link.cref:
            source = SOURCE_CREF
        elif stale:
            raise GraphUnavailable(stale[0], f"does not match the map: {stale[1]}")
        else:
            raise GraphUnavailable(map_path or image.path, _no_source(names, image))
        if stale and source != SOURCE_OBJECTS:
            notes.append(f"{stale[0]} does not match the map ({stale[1]}): objects not used")
    elif tables:
        source = SOURCE_RELOCATIONS
        detail = "the ELF's relocation sections (--emit-relocs), nodes from symbol " \
            "extents (no map)"
        nodes = _symbol_nodes(image)
    else:
        raise GraphUnavailable(image.path, _no_source(None, image))
    if source == SOURCE_CREF:
        graph = _build_cref(attribution, link, scripts, roots)
        graph.notes[:0] = notes
        return graph
    b = _Builder(image, nodes, link)
    b.notes += notes
    if link is not None:
        entries = {(e.object, e.name, e.addr): e for e in link.entries if e.object}
        for i, node in enumerate(nodes):
            b.map_entry[i] = entries.get((node.object, node.name, node.addr))
    if source == SOURCE_OBJECTS:
        _objects_edges(b, read)
    else:
        _relocation_edges(b, tables)
    _finish(b, attribution, link, scripts, roots, lambda out, addr: b.places.at(out, addr))
    return b.graph(source, detail)


def _image_defined(b):
    found = {}
    for name in b.image_globals():
        i = b.image_symbol(name)
        if i is not None:
            found[name] = i
    return found


def _finish(b, attribution, link, scripts, roots, section_of):
    _name_symbols(attribution.image, b.nodes, b.places, b.assigned)
    _owners(attribution, b.nodes, b.places)
    _common_roots(b, attribution.image, link, scripts, roots, section_of)
    _unreferenced_roots(b)


def _build_cref(attribution, link, scripts, roots):
    """The cross reference source (module docstring): object-level nodes."""
    image = attribution.image
    nodes, section_nodes = _cref_graph(image, link)
    fine = [n for n, _ in section_nodes]
    places = _Places(fine)
    owner_of = [k for _, k in section_nodes]
    b = _Builder(image, nodes, link)
    b.places = _Places(nodes)
    index = {n.object: k for k, n in enumerate(nodes)}
    outputs = {s.index: s.name for s in image.sections}
    globals_ = {}
    for sym in image.symbols:
        if sym.binding != "local" and sym.section not in (0, 0xFFF1):
            globals_.setdefault(sym.name, sym)
    for symbol, files in link.cref.items():
        sym = globals_.get(symbol)
        if symbol in link.assigned or not files or sym is None:
            continue
        out = outputs.get(sym.section)
        j = places.at(out, sym.addr) if out else None
        definer = owner_of[j] if j is not None else None
        # The table lists the defining file first, when an object defines it
        if definer is None or nodes[definer].object != files[0]:
            continue
        b.defined[symbol] = definer
        for ref in files[1:]:
            k = index.get(ref)
            if k is not None:
                b.refs.setdefault(k, set()).add(symbol)
                b.edge(k, definer, symbol)
    fine_owner = {}
    _name_symbols(image, fine, places, b.assigned)
    _owners(attribution, fine, places)
    for node, k in section_nodes:
        nodes[k].symbols += node.symbols
        for key, size in node.owners.items():
            nodes[k].owners[key] = nodes[k].owners.get(key, 0) + size
        fine_owner.setdefault(k, {})
        if node.file:
            fine_owner[k][node.file] = fine_owner[k].get(node.file, 0) + node.size
    for k, per in fine_owner.items():
        if per:
            nodes[k].file = max(per.items(), key=lambda kv: (kv[1], kv[0]))[0]

    def section_of(out, addr):
        j = places.at(out, addr)
        return owner_of[j] if j is not None else None

    _common_roots(b, image, link, scripts, roots, section_of)
    keep = {ldscript.normalize(p) for s in scripts for p in s.keep}
    entries = {(e.object, e.name, e.addr): e for e in link.entries if e.object}
    for node, k in section_nodes:
        entry = entries.get((node.object, node.name, node.addr))
        if keep and entry is not None and entry.pattern in keep:
            b.root(k, ROOT_KEEP, entry.pattern)
    _unreferenced_roots(b)
    b.notes.append("coarse: one node per object file, references of static "
                   "symbols and from dropped sections are not told apart")
    return b.graph(SOURCE_CREF, "the map's Cross Reference Table (--cref)")


def _sections_by_name(obj):
    """{name: [sections]} of an object, in section order."""
    found = {}
    for sec in obj.sections:
        found.setdefault(sec.name, []).append(sec)
    return found


def _stale(nodes, read):
    """(object, what) when an object's section is smaller than the map says
    (merging and relaxation only ever shrink one; .eh_frame aside): a
    rebuilt object."""
    named = {}
    for node in nodes:
        obj = read.get(node.object)
        if obj is None:
            continue
        if node.object not in named:
            named[node.object] = _sections_by_name(obj)
        same = named[node.object].get(node.name, ())
        # ld rewrites .eh_frame (it may even grow: CIEs, the terminator)
        if same and max(s.size for s in same) < node.size and node.name != ".eh_frame":
            return node.object, (f"{node.name} is {max(s.size for s in same):,} B in it, "
                                 f"{node.size:,} B in the map")
    return None


def _ancestors(path):
    """The directories holding path, innermost first: where a link may have run."""
    if not path:
        return []
    found, here = [], os.path.dirname(os.path.abspath(path))
    while here not in found:
        found.append(here)
        here = os.path.dirname(here)
    return found


def _match_given(nodes, read):
    """--objects must be the link's: {map's object name: Image} of each.

    An object none of whose allocated bytes the map places is not one of
    this link's (an input error); one the link dropped whole is skipped.
    """
    placed = {}
    for node in nodes:
        placed.setdefault(os.path.realpath(node.object), node.object)
    found = {}
    for path, obj in read.items():
        name = placed.get(os.path.realpath(path))
        if name is None:
            if any(s.size for s in obj.allocated()):
                raise GraphUnavailable(path, "not an object of this link: the map "
                                       "places none of its sections in the image")
            continue
        found[name] = obj
    return found


def _no_source(names, image):
    what = ("no map, " if names is None else
            f"none of the {len(names)} objects the map names is readable, no --cref table, ")
    return (f"no reference graph: {what}no --objects, and {image.path} has no relocation "
            "sections (link with --emit-relocs)")


# -- retained sizes for reports ------------------------------------------------------

class Retention:
    """Retained sizes of report rows: symbols (by name and owner) and owners.

    A symbol row's bytes may lie in several nodes (static functions of one
    name in several files of one component): its retained size is then what
    leaves when all of them go.  An owner's (a component's) retained size is
    all of its own bytes plus every byte of other owners that leaves with it.
    """

    def __init__(self, graph, attribution):
        self.graph = graph
        self.attribution = attribution
        self._sets = None
        self._sizes = None

    def describe(self):
        """The graph as plain data for the summary and its renderers."""
        g = self.graph
        return {"source": g.source, "detail": g.detail, "nodes": len(g.nodes),
                "edges": g.edges, "roots": [(k, w) for k, w, _ in g.root_names()],
                "notes": list(g.notes)}

    def _index(self):
        if self._sets is not None:
            return
        places = _Places(self.graph.nodes)
        bases = {s.name: s.addr for s in self.attribution.image.allocated()}
        symbols, owners = {}, {}
        self._own = {}
        for piece in self.attribution.pieces:
            owner = piece.component or piece.bucket
            self._own[owner] = self._own.get(owner, 0) + piece.size
            base = bases.get(piece.section)
            i = places.at(piece.section, base + piece.offset) if base is not None else None
            if i is None:
                continue
            owners.setdefault(owner, set()).add(i)
            if piece.symbol:
                symbols.setdefault((piece.symbol, owner), set()).add(i)
        self._sets = symbols, owners

    def _removed_bytes(self, nodes):
        if len(nodes) == 1:
            if self._sizes is None:
                self._sizes = self.graph.retained()
            return self._sizes[next(iter(nodes))]
        return sum(self.graph.nodes[i].size for i in self.graph.removed(nodes))

    def symbol(self, key, owner):
        """Retained bytes of the symbol called key that owner holds, or None."""
        self._index()
        nodes = self._sets[0].get((key, owner))
        return self._removed_bytes(nodes) if nodes else None

    def owner(self, name):
        """Retained bytes of a component (or bucket): its bytes and what goes with them."""
        self._index()
        nodes = self._sets[1].get(name, set())
        own = self._own.get(name, 0)
        others = 0
        if nodes:
            for i in self.graph.removed(nodes):
                others += sum(size for (who, _), size in self.graph.nodes[i].owners.items()
                              if who != name)
        return own + others
