"""Worst-case stack depth per entry point, from gcc's .su and .ci files.

The call graph is the union of the units' .ci graphs (read/stackusage.py):
a function gcc compiled is a node with its frame (the .su figure), every
call gcc emitted is an edge.  An entry's bound is the largest sum of
frames along any call path from it.

Return addresses.  A call on i386 pushes 4 bytes, on x86-64 8; gcc's
figure for an x86 function already counts the return address of the call
into it (an empty function reports 4 B on i386, 8 B on x86-64), so each
one is counted once, inside the callee's frame, and nothing is added per
call.  ARM (Thumb) and RISC-V calls push nothing: the return address goes
to lr/ra, and a function that calls further saves it in its own frame,
which gcc counts.  The x86-64 System V ABI lets a leaf function use 128
bytes below its stack pointer (the red zone) that gcc's frame leaves out:
every x86-64 bound adds them, unless `red_zone = "0 B"` says the code
was built with -mno-red-zone.  An interrupt frame (the CPU's pushes before an ISR
runs) is no call: it is the user's to add, in the `assume` of the ISR or
in its budget.

Unknowns are never 0.  Each is listed with where it occurs, and one that
the budgets' [stack] table does not resolve makes the entry's bound
"unbounded" (check: over budget):

  recursion       a cycle of calls        recursion = { fn = activations }
  indirect        a call through a pointer  indirect = { fn = [targets] }
  dynamic         alloca or a VLA (.su "dynamic")   assume = { fn = bytes }
  no stack data   in the image, no .su (assembly)   assume = { fn = bytes }
  outside image   called, defined nowhere we see    assume = { fn = bytes }

`assume` sets a function's frame.  Callees the graph shows are still
added (a C function with alloca); a function whose calls the graph cannot
see (assembly, code outside the image) has none, so its figure must
cover everything it calls.  With `recursion = { fn = N }`, fn may be
active at most N times at once on any path; every cycle must pass through
such a function.

The depth known so far (unknowns as 0) is kept for unbounded entries: a
lower bound, shown as "unbounded (>= N B known)".
"""

import fnmatch

from ..model import FrozenRecord, InputError, Record
from ..read import stackusage
from .summary import BudgetLine

OWNER = "stack"

#: ELF machine -> (architecture, bytes a call pushes, red zone of the ABI)
ARCHES = {"EM_386": ("i386", 4, 0), "EM_X86_64": ("x86-64", 8, 128),
          "EM_ARM": ("ARM", 0, 0), "EM_RISCV": ("RISC-V", 0, 0),
          "EM_AARCH64": ("AArch64", 0, 0)}

#: The chain's last link when the ABI lets a leaf use bytes below its
#: stack pointer that gcc's frame leaves out
RED_ZONE = "[red zone]"

RECURSION = "recursion"
INDIRECT = "indirect"
DYNAMIC = "dynamic"
NO_DATA = "no stack data"
OUTSIDE = "outside image"
KINDS = (RECURSION, INDIRECT, DYNAMIC, NO_DATA, OUTSIDE)

#: How each kind is resolved in the budgets file
RESOLVE = {RECURSION: "stack.recursion", INDIRECT: "stack.indirect",
           DYNAMIC: "stack.assume", NO_DATA: "stack.assume", OUTSIDE: "stack.assume"}


class Unknown(FrozenRecord):
    """Something the analysis cannot bound, and where it is."""

    FIELDS = ("kind", "function", "site", "detail")

    def __init__(self, kind, function, site=None, detail=""):
        self.kind = kind            # one of KINDS
        self.function = function    # the function it is in (or the callee)
        self.site = site            # a location: call site or definition
        self.detail = detail

    def text(self):
        where = f" ({self.site})" if self.site else ""
        what = {RECURSION: f"recursion {self.detail}",
                INDIRECT: f"indirect call in {self.function}",
                DYNAMIC: f"dynamic frame of {self.function}",
                NO_DATA: f"no stack data for {self.function}",
                OUTSIDE: f"{self.function} outside the image{self.detail}"}[self.kind]
        return f"{what}{where}"


class Function(Record):
    """A function of the call graph, its frame and its calls."""

    FIELDS = ("id", "name", "location", "frame", "kind", "calls", "indirect", "in_image")

    def __init__(self, id, name, location=None, frame=None, kind=None, calls=None,
                 indirect=None, in_image=False):
        self.id = id                # unique: a static's .ci title carries its unit
        self.name = name
        self.location = location
        self.frame = frame
        self.kind = kind            # .su kind, "assumed", or None (no data)
        self.calls = [] if calls is None else calls             # (callee id, site)
        self.indirect = [] if indirect is None else indirect    # call sites
        self.in_image = in_image


class Link(FrozenRecord):
    """One frame of a chain."""

    FIELDS = ("function", "location", "frame", "kind")

    def __init__(self, function, location, frame, kind):
        self.function = function
        self.location = location
        self.frame = frame
        self.kind = kind    # "static", "dynamic,bounded", "assumed", ...; None: unknown


class EntryResult(Record):
    """One [stack.entries] entry, analysed."""

    FIELDS = ("name", "functions", "budget", "stack", "stack_size", "known", "chain",
              "unknowns", "measured")

    def __init__(self, name, functions, budget, stack, stack_size, known, chain, unknowns,
                 measured=None):
        self.name = name
        self.functions = functions  # the functions matched (ids)
        self.budget = budget        # bytes, or None
        self.stack = stack          # symbol of its stack, or None
        self.stack_size = stack_size
        self.known = known          # deepest path, unknowns counted as 0
        self.chain = chain          # Links of the deepest path
        self.unknowns = unknowns    # unresolved Unknowns reachable from it
        self.measured = measured

    @property
    def bound(self):
        """The worst case in bytes, or None: unbounded."""
        return None if self.unknowns else self.known

    def lines(self):
        """Budget lines: the budget, then the stack's size (when given)."""
        out = []
        chain = tuple(link.function for link in self.chain)
        unknowns = tuple(u.text() for u in self.unknowns)
        if self.budget is not None:
            out.append(StackLine(OWNER, self.name, self.known, self.budget,
                                 chain=chain, unknowns=unknowns))
        if self.stack_size is not None:
            out.append(StackLine(OWNER, self.name, self.known, self.stack_size,
                                 chain=chain, unknowns=unknowns,
                                 against=f"stack {self.stack}"))
        return out


class StackLine(BudgetLine):
    """An entry's bound against its budget or its stack's size."""

    FIELDS = BudgetLine.FIELDS + ("chain", "unknowns", "against")
    unit = "B"

    def __init__(self, owner, key, used, budget, chain=(), unknowns=(), against="budget"):
        super().__init__(owner, key, used, budget)
        self.chain = chain
        self.unknowns = unknowns    # texts of unresolved unknowns: unbounded
        self.against = against

    @property
    def unbounded(self):
        return bool(self.unknowns)

    @property
    def over(self):
        return self.unbounded or self.used > self.budget

    @property
    def excess(self):
        return max(0, self.used - self.budget)

    def ratio(self):
        if self.unbounded:
            return float("inf")
        return super().ratio()

    def verdict(self, fmt_bytes):
        """The check line: over, unbounded or within."""
        via = f" via {' > '.join(self.chain)}" if self.chain else ""
        if self.unbounded:
            return (f"{self.owner}: {self.key} unbounded (>= {fmt_bytes(self.used)} B "
                    f"known) > {self.against} {fmt_bytes(self.budget)} B: "
                    + "; ".join(self.unknowns))
        if self.over:
            return (f"{self.owner}: {self.key} {fmt_bytes(self.used)} B > {self.against} "
                    f"{fmt_bytes(self.budget)} B (+{fmt_bytes(self.excess)} B){via}")
        return (f"{self.owner}: {self.key} {fmt_bytes(self.used)} B <= {self.against} "
                f"{fmt_bytes(self.budget)} B{via}")


class StackReport(Record):
    """The [stack] figures of an image: every entry's bound."""

    FIELDS = ("arch", "return_address", "red_zone", "entries", "unknowns", "resolved",
              "units", "functions", "measured_path", "warnings")

    def __init__(self, arch, return_address, red_zone, entries, unknowns, resolved, units,
                 functions, measured_path=None, warnings=None):
        self.arch = arch
        self.return_address = return_address
        self.red_zone = red_zone
        self.entries = entries      # EntryResults, budgets order
        self.unknowns = unknowns    # every unknown of the graph, resolved or not
        self.resolved = resolved    # texts: what the budgets file resolved
        self.units = units
        self.functions = functions
        self.measured_path = measured_path
        self.warnings = [] if warnings is None else warnings

    def lines(self):
        return [line for entry in self.entries for line in entry.lines()]


def _arch(image):
    found = ARCHES.get(image.machine)
    if found is None:
        raise InputError(image.path, f"stack: no stack analysis for {image.machine}")
    return found


class Graph:
    """Every unit's functions and calls, merged; names resolved."""

    def __init__(self, units, image):
        self.functions = {}
        self.by_name = {}
        self.warnings = []
        symbols = {s.name for s in image.symbols
                   if s.section and s.kind in ("func", "notype", "ifunc")}
        self.symbols = symbols
        for unit in units:
            frames = {(f.location, f.name): f for f in unit.frames}
            ids = {}
            for node in unit.nodes.values():
                if node.title == stackusage.INDIRECT:
                    continue
                fid = node.title
                ids[node.title] = fid
                fn = self.functions.get(fid)
                if node.defined:
                    frame = frames.get((node.location, node.name))
                    size, kind = node.size, node.kind
                    if frame is not None and (frame.size, frame.kind) != (size, kind):
                        raise InputError(unit.su_path, f"{node.name}: {frame.size} B "
                                         f"{frame.kind} here but {size} B {kind} in "
                                         f"{unit.path}: files from different builds?")
                    if fn is not None and fn.location is not None:
                        if fn.location != node.location:
                            self.warnings.append(
                                f"{node.name} defined twice ({fn.location}, "
                                f"{node.location}): the first is used")
                        continue
                    if fn is None:
                        fn = self.functions[fid] = Function(fid, node.name)
                    fn.location, fn.frame, fn.kind = node.location, size, kind
                elif fn is None:
                    self.functions[fid] = Function(fid, node.title)
            for edge in unit.edges:
                caller = self.functions[ids[edge.source]]
                source = unit.nodes[edge.source]
                if not source.defined or caller.location != source.location:
                    continue        # not this unit's function (a duplicate)
                if edge.target == stackusage.INDIRECT:
                    caller.indirect.append(edge.site)
                else:
                    caller.calls.append((ids[edge.target], edge.site))
        for fn in self.functions.values():
            fn.in_image = fn.name in symbols
            self.by_name.setdefault(fn.name, []).append(fn.id)
        # Image functions no unit compiled (assembly): nodes without data
        for name in sorted(symbols - set(self.by_name)):
            self.functions[name] = Function(name, name, in_image=True)
            self.by_name[name] = [name]

    def lookup(self, name, where, path):
        """The id of a function named in the budgets file, or InputError."""
        if name in self.functions:
            return name
        ids = self.by_name.get(name, [])
        if len(ids) == 1:
            return ids[0]
        if not ids:
            raise InputError(path, f"{where}: no function '{name}' in the call graph "
                             "or the image")
        raise InputError(path, f"{where}: '{name}' names several static functions "
                         f"({', '.join(sorted(ids))}): use one of those")

    def match(self, glob):
        return sorted(fid for fid, fn in self.functions.items()
                      if fn.location is not None or fn.in_image
                      if fnmatch.fnmatchcase(fn.name, glob))


def _sccs(functions, succ):
    """Strongly connected components (iterative Tarjan): fid -> component index,
    and the set of components with a cycle."""
    index, low, comp = {}, {}, {}
    stack, on, counter, cyclic = [], set(), [0], set()
    ncomp = 0
    for root in functions:
        if root in index:
            continue
        work = [(root, iter(succ(root)))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(succ(nxt))))
                    advanced = True
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on.discard(member)
                    comp[member] = ncomp
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1 or node in succ(node):
                    cyclic.add(ncomp)
                ncomp += 1
    return comp, cyclic


class Analysis:
    """The graph with the budgets' resolutions applied; depth per function."""

    def __init__(self, graph, config, path):
        self.g = graph
        fns = graph.functions
        self.assume = {graph.lookup(n, f"stack.assume.{n}", path): v
                       for n, v in config.assume.items()}
        self.recursion = {graph.lookup(n, f"stack.recursion.{n}", path): v
                          for n, v in config.recursion.items()}
        self.targets = {}
        for name, targets in config.indirect.items():
            fid = graph.lookup(name, f"stack.indirect.{name}", path)
            if not fns[fid].indirect:
                raise InputError(path, f"stack.indirect.{name}: {name} makes no "
                                 "indirect call")
            self.targets[fid] = [graph.lookup(t, f"stack.indirect.{name}", path)
                                 for t in targets]
        self.succ = {fid: [c for c, _ in fn.calls] + self.targets.get(fid, [])
                     for fid, fn in fns.items()}
        self.comp, cyclic = _sccs(list(fns), lambda f: self.succ[f])
        # Cycles that avoid every function with a recursion depth: unresolved
        members = {}
        for fid, c in self.comp.items():
            if c in cyclic:
                members.setdefault(c, set()).add(fid)
        self.cyclic = set(fid for group in members.values() for fid in group)
        free = [f for f in self.cyclic if f not in self.recursion]
        inner = set(free)
        sub, subcyclic = _sccs(free, lambda f: [c for c in self.succ[f] if c in inner])
        self.unresolved_cycle = {f for f in free if sub[f] in subcyclic}
        groups = {}
        for f in self.unresolved_cycle:
            groups.setdefault(sub[f], []).append(f)
        self.unknowns = {}          # fid -> [Unknown] found at that function
        for group in groups.values():
            group.sort()
            head = group[0]
            site = next((s for c, s in fns[head].calls if c in group), None)
            detail = (f"{fns[head].name} calls itself" if len(group) == 1 else
                      "through " + " > ".join(fns[f].name for f in group))
            self.unknowns.setdefault(head, []).append(
                Unknown(RECURSION, fns[head].name, site, detail))
        callers = {}
        for fn in fns.values():
            for callee, site in fn.calls:
                callers.setdefault(callee, []).append(
                    f"{fn.name} at {site}" if site else fn.name)
        self.resolved = []
        for fid, fn in fns.items():
            found = self.unknowns.setdefault(fid, [])
            if fn.indirect and fid not in self.targets:
                found += [Unknown(INDIRECT, fn.name, site) for site in fn.indirect]
            elif fn.indirect:
                self.resolved.append(f"indirect calls in {fn.name} -> "
                                     + (", ".join(fns[t].name for t in self.targets[fid])
                                        or "nothing"))
            if fid in self.assume:
                self.resolved.append(f"{fn.name} assumed {self.assume[fid]} B"
                                     + ("" if fn.frame is None else
                                        f" (gcc: {fn.frame} B {fn.kind})"))
            elif fn.kind == "dynamic":
                found.append(Unknown(DYNAMIC, fn.name, fn.location))
            elif fn.location is None and fn.in_image:
                found.append(Unknown(NO_DATA, fn.name))
            elif fn.location is None:
                sites = callers.get(fid, [])
                found.append(Unknown(OUTSIDE, fn.name, None,
                                     f", called by {', '.join(sites)}" if sites else ""))
        for fid, depth in self.recursion.items():
            if fid not in self.cyclic:
                raise InputError(path, f"stack.recursion.{fns[fid].name}: not on a "
                                 "cycle of calls")
            self.resolved.append(f"{fns[fid].name} at most {depth} activations")
        self.memo = {}

    def frame(self, fid):
        """Bytes a function's own frame takes; unknown ones count 0 here."""
        if fid in self.assume:
            return self.assume[fid], "assumed"
        fn = self.g.functions[fid]
        if fn.frame is None or fn.kind == "dynamic":
            return (fn.frame or 0), None
        return fn.frame, fn.kind

    def deepest(self, fid):
        """(depth, chain of fids) of the deepest path from fid, entered fresh."""
        if fid not in self.memo:
            if fid in self.cyclic:
                self.memo[fid] = self._walk(fid, {})
            else:
                best = (0, ())
                for callee in self.succ[fid]:
                    best = max(best, self.deepest(callee), key=lambda b: b[0])
                self.memo[fid] = (self.frame(fid)[0] + best[0], (fid,) + best[1])
        return self.memo[fid]

    def _walk(self, fid, counts):
        """Deepest path through a cyclic component, counting activations."""
        counts[fid] = counts.get(fid, 0) + 1
        best = (0, ())
        for callee in self.succ[fid]:
            if self.comp.get(callee) != self.comp[fid]:
                found = self.deepest(callee)
            else:
                limit = self.recursion.get(callee)
                if limit is None and callee in self.unresolved_cycle:
                    limit = 1       # a lower bound only: the entry is unbounded
                if limit is not None and counts.get(callee, 0) >= limit:
                    continue
                found = self._walk(callee, counts)
            best = max(best, found, key=lambda b: b[0])
        counts[fid] -= 1
        return self.frame(fid)[0] + best[0], (fid,) + best[1]

    def reachable_unknowns(self, start):
        seen, todo, found = set(start), list(start), []
        while todo:
            fid = todo.pop()
            found += self.unknowns.get(fid, [])
            for callee in self.succ[fid]:
                if callee not in seen:
                    seen.add(callee)
                    todo.append(callee)
        return sorted(set(found), key=lambda u: (KINDS.index(u.kind), u.function,
                                                  u.site or ""))

    def link(self, fid):
        fn = self.g.functions[fid]
        size, kind = self.frame(fid)
        return Link(fn.name, fn.location, size, kind)


def _symbol_size(image, name, where, path):
    sizes = {s.size for s in image.symbols if s.name == name and s.section}
    if not sizes:
        raise InputError(path, f"{where}: no symbol '{name}' in {image.path}")
    if len(sizes) > 1:
        raise InputError(path, f"{where}: several symbols '{name}' of different sizes")
    size = sizes.pop()
    if not size:
        raise InputError(path, f"{where}: symbol '{name}' has no size (give it "
                         ".size in assembly)")
    return size


def read_measured(path, image):
    """The high-water marks a boot test wrote: {entry: bytes}, or None.

    The file: {"elf_sha256": "...", "entries": {"int15": {"measured": 356}}};
    marks of another build (another sha256) are not this image's: None.
    """
    import json  # only the boot test's marks are JSON
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        return None, None       # not measured yet: nothing to show
    except (OSError, ValueError) as err:
        raise InputError(path, f"not a stack measurement file: {err}") from None
    entries = doc.get("entries") if isinstance(doc, dict) else None
    if not isinstance(entries, dict) or not all(
            isinstance(v, dict) and type(v.get("measured")) is int for v in entries.values()):
        raise InputError(path, "not a stack measurement file (entries.NAME.measured)")
    if doc.get("elf_sha256") != image.sha256:
        return None, "measured on another build"
    return {name: v["measured"] for name, v in entries.items()}, None


def analyze(config, units, image, budgets_path, measured_path=None):
    """Bound every [stack.entries] entry: a StackReport."""
    arch, ra, red = _arch(image)
    if config.red_zone is not None:
        red = config.red_zone
    graph = Graph(units, image)
    analysis = Analysis(graph, config, budgets_path)
    measured, why = (read_measured(measured_path, image) if measured_path
                     else (None, None))
    entries = []
    for entry in config.entries:
        where = f"stack.entries.{entry.name}"
        if entry.glob:
            fids = sorted({f for g in entry.functions for f in graph.match(g)})
            if not fids:
                raise InputError(budgets_path, f"{where}.entries: no function matches "
                                 f"{', '.join(entry.functions)}")
        else:
            fids = [graph.lookup(entry.functions[0], f"{where}.entry", budgets_path)]
        best = max((analysis.deepest(f) for f in fids), key=lambda b: b[0])
        chain = [analysis.link(f) for f in best[1]]
        if red:
            chain.append(Link(RED_ZONE, None, red, "red zone"))
        size = (_symbol_size(image, entry.stack, f"{where}.stack", budgets_path)
                if entry.stack else None)
        entries.append(EntryResult(
            entry.name, [graph.functions[f].name for f in fids], entry.budget,
            entry.stack, size, best[0] + red, chain,
            analysis.reachable_unknowns(fids),
            measured.get(entry.name) if measured else None))
    every = sorted({u for found in analysis.unknowns.values() for u in found},
                   key=lambda u: (KINDS.index(u.kind), u.function, u.site or ""))
    warnings = list(graph.warnings)
    if measured_path and why:
        warnings.append(f"{measured_path}: {why}")
    return StackReport(arch, ra, red, entries, every, analysis.resolved, len(units),
                       sum(1 for f in graph.functions.values() if f.location),
                       measured_path, warnings)


def object_files(objects, link_map):
    """The link's object files: those given, then the map's (on disk, .o)."""
    found = list(objects)
    if link_map is not None:
        found += [e.object for e in link_map.entries
                  if e.object and e.object.endswith(".o") and "(" not in e.object]
    return list(dict.fromkeys(found))


def for_image(budgets, image, specs=(), objects=(), link_map=None, measured_path=None):
    """The [stack] figures of an image, or None without a [stack] table.

    @v specs    --stack arguments: directories, files or globs of .su/.ci;
                none: the .su/.ci beside the link's objects
    """
    config = budgets.stack if budgets is not None else None
    if config is None:
        if specs:
            raise InputError(budgets.path if budgets else specs[0],
                             "--stack: the budgets file has no [stack.entries]")
        return None
    if specs:
        pairs = stackusage.find(specs)
    else:
        pairs = stackusage.beside(object_files(objects, link_map))
    if not pairs:
        raise InputError(budgets.path, "[stack]: no .su/.ci files: give --stack DIR, "
                         "or --map/--objects of objects built with -fstack-usage "
                         "-fcallgraph-info=su")
    units = stackusage.load(pairs)
    return analyze(config, units, image, budgets.path, measured_path)
