"""Will a planned change fit the budgets?  The model behind `membudget plan`.

The image is analysed as `report` would; then the changes apply to the
component sizes, and every budget is checked against the result:

  --add NAME=SIZE[,CLASS=SIZE...]  bytes of a new (or grown) component; a
                                   bare first SIZE is code: interp=12KiB
  --add-object [NAME=]FILE         the allocated sections of a real .o, or of
                                   every member of a .a, classed like the
                                   image's (NAME defaults to the file's stem)
  --remove COMPONENT               what removing a component frees
  --remove-symbol NAME             what removing a symbol frees

SIZE is a byte count (4096, 0x1000) or a number with a unit as in the
budgets file (512B, 1.5KiB, 2 MiB).  Planned bytes are exact section
sizes; the alignment padding the link may add before each section (at
most its alignment - 1) is reported as slack, not counted.
Sections the image has no room for, .eh_frame and .note.* when the image
carries none, are listed as dropped rather than counted.

With a reference graph (graph.py), removals and added objects are linked
the way --gc-sections would link them (simulate()):
  * a removed component or symbol takes along every section that only it
    kept (its retained size), whatever component those belong to;
  * an added object counts only the sections that the image's remaining
    references to its global symbols, the script's KEEP() patterns, the
    [graph] roots and its note sections keep, following its own
    relocations; the rest is listed as dropped by --gc-sections.  An
    object nothing in the image refers to yet (a new component) keeps
    what its global symbols reach, as if each were called;
  * an added object's references may bring back sections a removal had
    freed (a removed component's helper that the replacement uses too);
  * references from the rest of the image to removed symbols that no added
    object defines are listed: that link would fail.
Without a graph, removals free the component's own bytes and objects count
every allocated section, and the plan says why.
"""

import fnmatch
import os
import re
from dataclasses import dataclass, field

from ..model import CLASSES, InputError
from ..read import budgets as budgets_mod, elf, relocs as relocs_mod
from ..read.archive import ar_members
from .summary import BUDGET_ORDER, BudgetLine, Sizes


_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Sections a link drops when the image has no output section for them
DROPPABLE = (".eh_frame", ".note")


@dataclass
class Change:
    """One planned change to one component (or, removing a symbol, to several)."""

    component: str
    sizes: Sizes            # bytes added (removal: the bytes taken out, every owner)
    origin: str             # how it was asked for, for the report
    remove: bool = False
    dropped: list = field(default_factory=list)   # (member/section, bytes)
    slack: int = 0          # most alignment padding the link could add
    symbol: str | None = None       # --remove-symbol NAME
    objects: list = field(default_factory=list)   # --add-object: [(name, Image)]
    #: removals: bytes freed per owner (component or bucket); None: the
    #: component's own bytes
    freed: dict | None = None
    #: removals: the sections that leave, [(symbol, section, owner, bytes)]
    goes: list = field(default_factory=list)
    #: added objects: sections --gc-sections would drop, [(symbol, section, bytes)]
    gc_dropped: list = field(default_factory=list)
    revived: list = field(default_factory=list)   # [(symbol, section, owner, bytes)]
    notes: list = field(default_factory=list)


@dataclass
class Plan:
    elf: str
    image: str
    changes: list[Change]
    before: Sizes
    after: Sizes
    new_components: list[str]
    lines_before: list[BudgetLine]
    lines_after: list[BudgetLine]
    graph: str | None = None            # the reference graph's source and detail
    graph_unavailable: str | None = None
    unresolved: list = field(default_factory=list)  # [(symbol, [referring symbols])]

    def broken(self):
        return [l for l in self.lines_after if l.over]


def parse_size(text, where):
    """Bytes from '4096', '0x1000', '12KiB', '1.5 KiB', '512 B'."""
    text = text.strip()
    try:
        value = int(text, 0)
    except ValueError:
        value = None
    if value is not None:
        if value < 0:
            raise InputError(where, f"negative size {text!r}")
        return value
    if re.fullmatch(r"[0-9.]+\s*(B|KiB|MiB)", text):
        return budgets_mod.parse_size(text, "size", where)
    raise InputError(where, f"bad size {text!r} (expected bytes, or a unit: "
                     "512B, 12KiB, 1.5 MiB)")


def parse_add(spec):
    """--add NAME=SIZE[,CLASS=SIZE...] -> Change (a bare SIZE is code)."""
    where = f"--add {spec}"
    name, eq, rest = spec.partition("=")
    if not eq or not _NAME_RE.fullmatch(name.strip()):
        raise InputError(where, "expected NAME=SIZE[,CLASS=SIZE...] with NAME a "
                         "C identifier, e.g. interp=12KiB,rodata=2KiB")
    sizes = Sizes()
    for i, item in enumerate(rest.split(",")):
        key, eq, value = item.partition("=")
        if not eq:
            if i:
                raise InputError(where, f"{item!r}: expected CLASS=SIZE after the first size")
            key, value = "code", item
        key = key.strip()
        if key not in CLASSES:
            raise InputError(where, f"unknown class {key!r} (classes: {', '.join(CLASSES)})")
        sizes.add(key, parse_size(value, where))
    return Change(name.strip(), sizes, f"--add {spec}")


def _object_sizes(name, obj, image_sections, change):
    """Add the allocated sections of the object obj (model.Image) to change."""
    change.objects.append((name, obj))
    for sec in obj.allocated():
        if sec.name.startswith(DROPPABLE) and sec.name not in image_sections:
            change.dropped.append((sec.name, sec.size))
            continue
        change.sizes.add(sec.cls, sec.size)
        if sec.size:
            change.slack += max(sec.align, 1) - 1


def parse_object(spec, image_sections):
    """--add-object [NAME=]FILE.o|FILE.a -> Change."""
    name, eq, path = spec.partition("=")
    if not eq or not _NAME_RE.fullmatch(name):
        name, path = None, spec
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise InputError(path, err.strerror or str(err)) from None
    if name is None:
        name = re.sub(r"\W", "_", os.path.basename(path).split(".")[0]) or "object"
    change = Change(name, Sizes(), f"--add-object {spec}")
    if not data.startswith(b"!<arch>\n"):
        _object_sizes(path, elf.read_image_bytes(path, data), image_sections, change)
        return change
    for member, body in ar_members(path, data):
        if not body.startswith(b"\x7fELF"):
            continue        # not an object (a text file someone archived)
        where = f"{path}({member})"
        try:
            _object_sizes(where, elf.read_image_bytes(where, body), image_sections, change)
        except InputError as err:
            raise InputError(where, str(err)) from None
    return change


def _owner_sizes(node, xip, skip=None):
    """A node's bytes per owner as {owner: Sizes}, leaving out owner skip."""
    found = {}
    for (who, cls), size in node.owners.items():
        if who != skip:
            found.setdefault(who, Sizes(xip=xip)).add(cls, size)
    return found


def _main_owner(node):
    totals = {}
    for (who, _), size in node.owners.items():
        totals[who] = totals.get(who, 0) + size
    return max(totals.items(), key=lambda kv: (kv[1], kv[0]))[0] if totals else None


def _keeps(name, sec, obj, keep, root_globs):
    """Why an added object's section is a root of the link, or None."""
    for file_glob, section_globs in keep:
        if fnmatch.fnmatchcase(name, file_glob) and \
                any(fnmatch.fnmatchcase(sec.name, g) for g in section_globs):
            return "KEEP"
    if sec.type == elf.SHT_NOTE and not sec.flags & relocs_mod.SHF_GROUP:
        return "note section"
    if sec.name == ".eh_frame":
        return ".eh_frame"
    for sym in obj.symbols:
        if sym.section == sec.index and sym.binding != "local" and \
                any(fnmatch.fnmatchcase(sym.name, g) for g in root_globs):
            return "[graph] roots"
    return None


def simulate(graph, summary, changes, keep=(), root_globs=()):
    """Link the planned changes over the reference graph (module docstring).

    Fills each removal's freed, goes and revived, and each added object's
    sizes (only what the link keeps), gc_dropped and slack.

    @v graph        graph.Graph of the image
    @v summary      summary.Summary (each component's own bytes)
    @v changes      [Change]
    @v keep         [(file glob, [section globs])] of the script's KEEP()s
    @v root_globs   the budgets' [graph] roots
    @ret unresolved [(symbol, [referring symbols])]: removed definitions the
                    rest of the image still refers to, that no object adds
    @raises InputError  a symbol or component not in the image
    """
    xip = summary.total.sizes.xip
    nodes = graph.nodes
    own = {row.name: row.sizes for row in summary.components}
    by_owner = {}
    for i, node in enumerate(nodes):
        for who, _ in node.owners:
            by_owner.setdefault(who, set()).add(i)
    removals = [c for c in changes if c.remove]
    seeds = []
    for change in removals:
        if change.symbol is not None:
            hit = set(graph.nodes_of_symbol(change.symbol))
            if not hit:
                raise InputError(f"--remove-symbol {change.symbol}",
                                 f"no symbol '{change.symbol}' in the image")
            change.component = _main_owner(nodes[min(hit)]) or change.component
        else:
            if change.component not in own:
                raise InputError(f"--remove {change.component}",
                                 f"no component '{change.component}' "
                                 f"(components: {', '.join(own)})")
            hit = by_owner.get(change.component, set())
        seeds.append(hit)
    deleted = set().union(*seeds) if seeds else set()
    alone = [set(graph.removed(seed)) if seed else set() for seed in seeds]

    # The added objects' sections, after the image's nodes
    extra = []              # (change, object name, section, object)
    index = {}              # (object name, section index) -> node
    added = [c for c in changes if not c.remove and c.objects]
    for change in added:
        change.sizes, change.slack = Sizes(xip=xip), 0
        dropped = {name for name, _ in change.dropped}
        for oname, obj in change.objects:
            for sec in obj.allocated():
                if sec.size and not (sec.name in dropped and sec.name.startswith(DROPPABLE)):
                    index[(oname, sec.index)] = len(nodes) + len(extra)
                    extra.append((change, oname, sec, obj))
    total = len(nodes) + len(extra)
    succ = [list(s) for s in graph.succ] + [[] for _ in extra]
    defs = {}
    for change in added:
        for oname, obj in change.objects:
            for sym in obj.symbols:
                i = index.get((oname, sym.section))
                if sym.binding != "local" and i is not None:
                    defs.setdefault(sym.name, []).append((sym.binding != "global", i))
    defs = {name: sorted(found)[0][1] for name, found in defs.items()}
    referenced = set()      # added nodes the image refers to
    unresolved = {}
    for s, names in graph.refs.items():
        if s in deleted:
            continue
        for name in names:
            target = graph.defined.get(name)
            if name in defs and (target is None or target in deleted):
                succ[s].append(defs[name])
                referenced.add(defs[name])
            elif target is not None and target in deleted and name not in graph.copies:
                # (a name another object defines too, a COMDAT function,
                # links from that copy: not counted)
                unresolved.setdefault(name, set()).add(nodes[s].label)
    for change, oname, sec, obj in extra:
        i = index[(oname, sec.index)]
        for table in relocs_mod.tables(obj):
            if table.target != sec.index:
                continue
            for sym in relocs_mod.referenced_symbols(obj, table):
                if sym.binding == "local":
                    target = index.get((oname, sym.section))
                else:
                    target = defs.get(sym.name)
                    if target is None:
                        target = graph.defined.get(sym.name)
                        if target in deleted:
                            target = None
                if target is not None and target != i:
                    succ[i].append(target)
        if sec.flags & relocs_mod.SHF_LINK_ORDER:
            linked = index.get((oname, sec.link))
            if linked is not None:
                succ[linked].append(i)
    roots = [r for r in graph.roots if r not in deleted]
    for change in added:
        mine = [(oname, sec, obj) for c, oname, sec, obj in extra if c is change]
        found = [index[(o, sec.index)] for o, sec, obj in mine
                 if _keeps(o, sec, obj, keep, root_globs)]
        if not found and not any(index[(o, sec.index)] in referenced for o, sec, _ in mine):
            # Nothing calls it yet: a new component, whose globals will be
            found = sorted({defs[sym.name] for _, _, obj in mine for sym in obj.symbols
                            if sym.binding != "local" and sym.name in defs
                            and any(defs[sym.name] == index[(o, sec.index)]
                                    for o, sec, _ in mine)})
            change.notes.append("nothing in the image refers to it yet: its global "
                                "symbols count as roots")
        roots += found
    reached = bytearray(total)
    stack = []
    for r in roots:
        if not reached[r]:
            reached[r] = 1
            stack.append(r)
    while stack:
        for w in succ[stack.pop()]:
            if not reached[w] and w not in deleted:
                reached[w] = 1
                stack.append(w)
    # What each removal frees: the nodes that left, each to the first removal
    # whose own removal takes it
    lost = {i for i in range(len(nodes)) if not reached[i]}
    claimed = set()
    for change, mine in zip(removals, alone):
        gone = sorted((mine & lost) - claimed)
        claimed |= set(gone)
        skip = None if change.symbol is not None else change.component
        freed = {} if change.symbol is not None else \
            {change.component: Sizes(**{k: own[change.component].get(k) for k in CLASSES},
                                     xip=xip)}
        for i in gone:
            for who, sizes in _owner_sizes(nodes[i], xip, skip).items():
                per = freed.setdefault(who, Sizes(xip=xip))
                for k in CLASSES:
                    per.add(k, sizes.get(k))
        change.freed = freed
        change.goes = sorted(((nodes[i].label, nodes[i].name, _main_owner(nodes[i]),
                               nodes[i].size) for i in gone), key=lambda g: (-g[3], g[0]))
        change.revived = sorted((nodes[i].label, nodes[i].name, _main_owner(nodes[i]),
                                 nodes[i].size) for i in mine - lost - deleted)
    for change, oname, sec, obj in extra:
        i = index[(oname, sec.index)]
        if reached[i]:
            change.sizes.add(sec.cls, sec.size)
            change.slack += max(sec.align, 1) - 1
        else:
            name = next((sym.name for sym in obj.symbols if sym.section == sec.index
                         and sym.name and sym.kind in ("func", "object")), sec.name)
            change.gc_dropped.append((name, sec.name, sec.size))
    return sorted((name, sorted(refs)) for name, refs in unresolved.items())


def plan(summary, changes):
    """Apply changes to a summary.Summary's component sizes; check every budget.

    @v summary  summary.Summary of the image with its budgets
    @v changes  [Change]: removals apply first, then additions in order; a
                removal with freed set (simulate()) takes those bytes out,
                else the component's own
    @ret Plan
    """
    xip = summary.total.sizes.xip
    sizes = {row.name: Sizes(**{k: row.sizes.get(k) for k in CLASSES}, xip=xip)
             for row in summary.components}
    caps = {row.name: {l.key: l.budget for l in row.budgets} for row in summary.components}
    new = []
    after = Sizes(**{k: summary.total.sizes.get(k) for k in CLASSES}, xip=xip)
    # Removals first, so --remove X --add-object x.o replaces X
    for change in sorted(changes, key=lambda c: not c.remove):
        if change.remove:
            if change.freed is None:
                if change.component not in sizes:
                    raise InputError(f"--remove {change.component}",
                                     f"no component '{change.component}' "
                                     f"(components: {', '.join(sizes)})")
                own = sizes[change.component]
                change.freed = {change.component: Sizes(**{k: own.get(k) for k in CLASSES},
                                                        xip=xip)}
            # Budgets stay: freed bytes show as headroom
            change.sizes = Sizes(xip=xip)
            for owner, freed in change.freed.items():
                for k in CLASSES:
                    if owner in sizes:
                        sizes[owner].add(k, -freed.get(k))
                    after.add(k, -freed.get(k))
                    change.sizes.add(k, freed.get(k))
            continue
        if change.component not in sizes:
            sizes[change.component] = Sizes(xip=xip)
            new.append(change.component)
        for k in CLASSES:
            sizes[change.component].add(k, change.sizes.get(k))
            after.add(k, change.sizes.get(k))
    lines_after = [BudgetLine(name, key, sizes[name].get(key), cap[key])
                   for name, cap in caps.items() for key in BUDGET_ORDER if key in cap]
    image_caps = {l.key: l.budget for l in summary.image_budgets}
    lines_after += [BudgetLine("image", key, after.get(key), image_caps[key])
                    for key in BUDGET_ORDER if key in image_caps]
    return Plan(elf=summary.elf, image=summary.image_name or summary.elf,
                changes=changes, before=summary.total.sizes, after=after,
                new_components=new, lines_before=summary.budget_lines(),
                lines_after=lines_after)
