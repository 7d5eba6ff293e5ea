"""What a change costs, per component and symbol: the model behind `membudget diff`.

BASE and HEAD are each an ELF or a snapshot; both become snapshot
documents (analysis/snapshot.py), and compare() works
on those alone, so a snapshot and the ELF it came from diff identically.

Symbols are matched in rounds, each on what the previous left over:
  1. (file, name, class) exactly;
  2. (file, base name, class), the base name without compiler clone
     suffixes (.constprop.N, .isra.N, .part.N, .lto_priv.N, .cold, ...);
  3. (name, class), then 4. (base name, class), ignoring the file.
Within a round, several candidates for one key (a static function in
several files, say) pair up by closest size.  File paths lose the build
directory first: absolute paths are cut to what follows the directory
all of one side's absolute paths share.  The [padding] bucket is never
matched symbol by symbol: its change is one aggregate line.

Rows below --min-delta or --min-percent are folded, never dropped:
renderers show how many and their net bytes.  Creep caps from the
budgets file (per component and image) make the exit status 1.
"""

import os
import re
from dataclasses import dataclass, field
from itertools import compress, filterfalse
from operator import itemgetter, ne, not_

from ..model import BUCKET_PADDING, CLASSES
from ..read import budgets as budgets_mod, elf
from . import snapshot
from .summary import BUDGET_ORDER, Sizes


#: Compiler clone suffixes: foo.constprop.0, foo.isra.1, foo.part.0.lto_priv.2
CLONE_RE = re.compile(r"(\.(constprop|isra|part|lto_priv|cold|clone|specialized)(\.\d+)?)+$")

#: Pairing by closest size beyond this many candidate pairs sorts instead
PAIR_LIMIT = 250_000

#: An entry's (name, file, class): what the first round matches on
_KEY = itemgetter(0, 1, 3)
_SIZE = itemgetter(4)
_BASE, _HEAD = itemgetter(0), itemgetter(1)


@dataclass
class OwnerDelta:
    """A component or bucket in both builds."""

    name: str
    kind: str           # "component" or "bucket"
    base: Sizes
    head: Sizes

    def delta(self, key):
        return self.head.get(key) - self.base.get(key)

    @property
    def changed(self):
        return any(self.delta(k) for k in CLASSES)


@dataclass
class SymbolDelta:
    name: str | None            # HEAD's name (BASE's when removed)
    base_name: str | None       # BASE's name when it differs (a clone suffix changed)
    file: str | None
    owner: str
    cls: str
    base: int | None            # None: added
    head: int | None            # None: removed

    @property
    def delta(self):
        return (self.head or 0) - (self.base or 0)

    @property
    def status(self):
        if self.base is None:
            return "added"
        if self.head is None:
            return "removed"
        return "grown" if self.delta > 0 else "shrunk"

    def percent(self):
        """Change relative to the base size (an added symbol is 100 %)."""
        return abs(self.delta) * 100 / self.base if self.base else 100.0


@dataclass
class CreepLine:
    owner: str          # component name or "image"
    key: str            # class, "rom" or "ram"
    delta: int
    cap: int            # bytes allowed
    cap_text: str       # as the budgets file put it: "64 B" or "2 % of 1,000 B"
    override: object = None     # the override line that lets it pass (gate.py)
    short: object = None        # an override line too small for the growth

    @property
    def over(self):
        return self.delta > self.cap

    @property
    def failing(self):
        return self.over and self.override is None


@dataclass(frozen=True)
class StackDelta:
    """One [stack] entry's bound in both builds (None: unbounded or absent)."""

    name: str
    base: int | None
    head: int | None
    head_chain: tuple           # head's deepest chain: (function, frame) pairs
    base_chain: tuple
    present: tuple = (True, True)   # the entry exists in base, in head

    @property
    def delta(self):
        if self.base is None or self.head is None:
            return None
        return self.head - self.base

    @property
    def changed(self):
        return (self.base != self.head or self.present != (True, True)
                or self.base_chain != self.head_chain)


def _stack_entries(doc):
    stack = doc.get("stack") or {}
    return {e["name"]: e for e in stack.get("entries", [])}


def _stack_deltas(base_doc, head_doc):
    """Per [stack] entry: the bound before and after, and the head's chain."""
    base, head = _stack_entries(base_doc), _stack_entries(head_doc)

    def chain(entry):
        return tuple((l["function"], l["frame"]) for l in (entry or {}).get("chain", []))

    return [StackDelta(name, (base.get(name) or {}).get("bound"),
                       (head.get(name) or {}).get("bound"),
                       chain(head.get(name)), chain(base.get(name)),
                       (name in base, name in head))
            for name in list(base) + [n for n in head if n not in base]]


@dataclass
class Diff:
    image: str
    base_label: str
    head_label: str
    base_ids: dict          # build_id, sha256, commit, dirty
    head_ids: dict
    base_total: Sizes
    head_total: Sizes
    owners: list[OwnerDelta]
    padding: OwnerDelta | None
    symbols: list[SymbolDelta]      # shown, sorted by |delta|
    folded: list[SymbolDelta]       # below the noise thresholds
    unchanged: int                  # matched symbols of equal size
    creep: list[CreepLine]
    min_delta: int
    min_percent: float
    warnings: list[str] = field(default_factory=list)
    budgets_path: str | None = None     # the file the creep caps came from
    mentions: dict = field(default_factory=dict)    # component -> its owners
    gate: object = None         # gate.Gate: budgets judged, overrides (None: none)
    budgets: object = None      # budgets.Budgets the creep caps and gate came from
    stack: list = field(default_factory=list)   # StackDeltas, when either has [stack]

    @property
    def same(self):
        return (not self.symbols and not self.folded
                and all(not o.changed for o in self.owners)
                and not (self.padding and self.padding.changed)
                and all(self.head_total.get(k) == self.base_total.get(k) for k in CLASSES)
                and not any(s.changed for s in self.stack))

    def creep_over(self):
        """Creep caps exceeded, overridden or not."""
        return [c for c in self.creep if c.over]

    def creep_failing(self):
        """Creep caps exceeded that no override line lets pass."""
        return [c for c in self.creep if c.failing]

    def budgets_failing(self):
        """Budgets the gate fails (none without --gate)."""
        return self.gate.failing() if self.gate is not None else []

    def failed(self):
        """Whether the diff fails: exit status 1."""
        return bool(self.creep_failing() or self.budgets_failing())

    def over_creep_owners(self):
        """[(component, owners)] of components past a creep cap, in order."""
        names = dict.fromkeys(c.owner for c in self.creep_over())
        return [(name, self.mentions[name]) for name in names if self.mentions.get(name)]


def base_name(name):
    """name without its compiler clone suffixes."""
    return CLONE_RE.sub("", name) if name else name


def _sizes(row, xip=False):
    """A document row's sizes; xip as the document's image says (ram = data + bss)."""
    return Sizes(**{k: row[k] for k in CLASSES}, xip=bool(xip))


def _ids(doc):
    git = doc["provenance"].get("git") or {}
    return {"build_id": doc["elf"].get("build_id"), "sha256": doc["elf"].get("sha256"),
            "commit": git.get("commit"), "dirty": bool(git.get("dirty"))}


def _strip_prefixes(files):
    """Cut the directory all absolute file paths of one build share."""
    absolute = {f for f in files if f and os.path.isabs(f)}
    if not absolute:
        return {}
    if len(absolute) == 1:
        common = os.path.dirname(next(iter(absolute)))
    else:
        common = os.path.commonpath(absolute)
    return {f: os.path.relpath(f, common) for f in absolute}


def _columns(doc):
    """A document's symbols as five lists: names, files, owners, classes,
    sizes.  Rows are tuples as read (read.snapshot.ROW) and built, or
    packed (snapshot.PackedRows); dicts as in the file."""
    symbols = doc["symbols"]
    if isinstance(symbols, snapshot.PackedRows):
        return symbols.columns()
    if not symbols:
        return [], [], [], [], []
    if set(map(type, symbols)) != {tuple}:
        symbols = [r if type(r) is tuple else
                   (r.get("name"), r.get("file"), r["owner"], r["class"], r["size"])
                   for r in symbols]
    return list(zip(*symbols))


def _entries(doc):
    """Symbol rows of one build as (name, file, owner, cls, size), padding
    excluded, one per (name, file, class)."""
    # a column at a time: loops that run in C, not once per row in Python
    columns = _columns(doc)
    padding = columns[2].count(BUCKET_PADDING)
    if padding:
        start = columns[2].index(BUCKET_PADDING)
        if columns[2][start:start + padding].count(BUCKET_PADDING) == padding:
            # one run, as in a snapshot (sorted by owner): cut it out
            columns = [column[:start] + column[start + padding:] for column in columns]
        else:
            keep = list(map(BUCKET_PADDING.__ne__, columns[2]))
            columns = [list(compress(column, keep)) for column in columns]
    names, files, owners, classes, sizes = columns
    cut = _strip_prefixes(set(files))
    if cut:
        files = list(map(cut.get, files, files))
    rows = list(zip(names, files, owners, classes, sizes))
    if len(set(zip(names, files, classes))) == len(rows):
        return rows
    # one (name, file, class) in several owners or build directories:
    # one entry, the first row's owner
    merged = {}
    for row in rows:
        key = _KEY(row)
        first = merged.get(key)
        merged[key] = row if first is None else first[:4] + (first[4] + row[4],)
    return list(merged.values())


def _pair(base, head):
    """Pair two candidate lists by closest size: [(b, h)], leftovers stay."""
    if len(base) == 1 and len(head) == 1:
        return [(base[0], head[0])]
    if len(base) * len(head) > PAIR_LIMIT:
        return list(zip(sorted(base, key=lambda e: e[4]), sorted(head, key=lambda e: e[4])))
    options = sorted(((abs(b[4] - h[4]), i, j) for i, b in enumerate(base)
                      for j, h in enumerate(head)))
    used_b, used_h, pairs = set(), set(), []
    for _, i, j in options:
        if i not in used_b and j not in used_h:
            used_b.add(i)
            used_h.add(j)
            pairs.append((base[i], head[j]))
    return pairs


def _exact(base, head):
    """The first round when no (name, file, class) repeats on either side
    (the case of _entries' output): a join.  None when one repeats."""
    base_keys = list(map(_KEY, base))
    head_keys = list(map(_KEY, head))
    heads = dict(zip(head_keys, head))
    bases = set(base_keys)
    if len(heads) != len(head) or len(bases) != len(base):
        return None
    found = list(map(heads.__contains__, base_keys))
    pairs = list(zip(compress(base, found),
                     map(heads.__getitem__, compress(base_keys, found))))
    base_left = list(compress(base, map(not_, found)))
    head_left = list(compress(head, map(not_, map(bases.__contains__, head_keys))))
    return pairs, base_left, head_left


def match(base_entries, head_entries):
    """Match symbols of two builds; returns (pairs, removed, added)."""
    # Bytes no symbol names match only within their file: across files
    # they have nothing in common
    keys = (itemgetter(1, 0, 3), lambda e: (e[1], base_name(e[0]), e[3]),
            lambda e: (e[0], e[3]) if e[0] is not None else None,
            lambda e: (base_name(e[0]), e[3]) if e[0] is not None else None)
    pairs = []
    base_left, head_left = base_entries, head_entries
    first = _exact(base_entries, head_entries)
    if first is not None:
        pairs, base_left, head_left = first
        keys = keys[1:]
    for key in keys:
        # keys only HEAD has can pair with nothing: they are never grouped
        groups = {}
        for e in base_left:
            k = key(e)
            if k is not None:
                group = groups.get(k)
                if group is None:
                    groups[k] = [e]
                else:
                    group.append(e)
        heads = {}
        for e in head_left:
            k = key(e)
            if k is not None and k in groups:
                group = heads.get(k)
                if group is None:
                    heads[k] = [e]
                else:
                    group.append(e)
        # by identity, per side: a document diffed with itself shares rows
        paired_b, paired_h = set(), set()
        for k, b_list in groups.items():
            h_list = heads.get(k)
            if h_list:
                for b, h in _pair(b_list, h_list):
                    pairs.append((b, h))
                    paired_b.add(id(b))
                    paired_h.add(id(h))
        base_left = [e for e in base_left if id(e) not in paired_b]
        head_left = [e for e in head_left if id(e) not in paired_h]
    return pairs, base_left, head_left


def _symbol_deltas(base_doc, head_doc):
    base, head = _entries(base_doc), _entries(head_doc)
    # A row the same in both builds (most of them) is a first-round pair
    # of equal sizes, as (name, file, class) repeats on neither side:
    # counted, and left out of the matching
    same = set(base).intersection(head)
    if same:
        base = list(filterfalse(same.__contains__, base))
        head = list(filterfalse(same.__contains__, head))
    pairs, removed, added = match(base, head)
    changed = list(compress(pairs, map(ne, map(_SIZE, map(_BASE, pairs)),
                                       map(_SIZE, map(_HEAD, pairs)))))
    unchanged = len(same) + len(pairs) - len(changed)
    rows = [SymbolDelta(h[0], b[0] if b[0] != h[0] else None, h[1] or b[1],
                        h[2], h[3], b[4], h[4]) for b, h in changed]
    rows += [SymbolDelta(b[0], None, b[1], b[2], b[3], b[4], None) for b in removed]
    rows += [SymbolDelta(h[0], None, h[1], h[2], h[3], None, h[4]) for h in added]
    rows.sort(key=lambda r: (-abs(r.delta), r.owner, r.name or "", r.file or ""))
    return rows, unchanged


def _owners(base_doc, head_doc):
    kinds = ("component", "bucket")
    base = {r["name"]: (kind, _sizes(r, base_doc.get("xip")))
            for kind in kinds for r in base_doc[kind + "s"]}
    head = {r["name"]: (kind, _sizes(r, head_doc.get("xip")))
            for kind in kinds for r in head_doc[kind + "s"]}
    names = list(dict.fromkeys([r["name"] for r in head_doc["components"]]
                               + [r["name"] for r in base_doc["components"]]
                               + [r["name"] for r in head_doc["buckets"]]
                               + [r["name"] for r in base_doc["buckets"]]))
    return [OwnerDelta(name, (head.get(name) or base.get(name))[0],
                       base.get(name, (None, Sizes(xip=bool(base_doc.get("xip")))))[1],
                       head.get(name, (None, Sizes(xip=bool(head_doc.get("xip")))))[1])
            for name in names]


def _cap(limit, base):
    """(bytes, text) of a creep cap on a base of base bytes."""
    if isinstance(limit, budgets_mod.Percent):
        return limit.of(base), f"{limit.value:g} % of {base:,} B"
    return limit, f"{limit:,} B"


def _creep(budgets, owners, base_total, head_total):
    lines = []
    if budgets is None:
        return lines
    by_name = {o.name: o for o in owners}
    for comp in budgets.components:
        owner = by_name.get(comp.name)
        if owner is None:
            continue
        for key in BUDGET_ORDER:
            if key in comp.creep:
                cap, text = _cap(comp.creep[key], owner.base.get(key))
                lines.append(CreepLine(comp.name, key, owner.delta(key), cap, text))
    for key in BUDGET_ORDER:
        if key in budgets.image_creep:
            cap, text = _cap(budgets.image_creep[key], base_total.get(key))
            lines.append(CreepLine("image", key, head_total.get(key) - base_total.get(key),
                                   cap, text))
    return lines


def _provenance_warnings(base_doc, head_doc):
    base, head = base_doc["provenance"], head_doc["provenance"]
    out = []
    if base.get("compilers") != head.get("compilers"):
        out.append("BASE and HEAD were built by different compilers: "
                   f"{'; '.join(base.get('compilers') or ['unknown'])} vs "
                   f"{'; '.join(head.get('compilers') or ['unknown'])}")
    if base.get("budgets_sha256") != head.get("budgets_sha256"):
        short = [(h or "none")[:12] for h in (base.get("budgets_sha256"),
                                              head.get("budgets_sha256"))]
        out.append("BASE and HEAD were attributed with different budgets files "
                   f"(sha256 {short[0]} vs {short[1]}): component deltas may "
                   "reflect the definitions, not the code")
    return out


def _noise(row, min_delta, min_percent):
    return abs(row.delta) < min_delta or row.percent() < min_percent


def compare(base_doc, head_doc, budgets=None, min_delta=0, min_percent=0.0,
            base_label="BASE", head_label="HEAD"):
    """Compare two snapshot documents.

    @v budgets      budgets.Budgets for creep caps, or None
    @v min_delta    symbol rows with |delta| below this many bytes are folded
    @v min_percent  ... and those changing less than this % of their base size
    @ret Diff
    """
    with elf.gc_paused():
        return _compare(base_doc, head_doc, budgets, min_delta, min_percent,
                        base_label, head_label)


def _compare(base_doc, head_doc, budgets, min_delta, min_percent, base_label,
             head_label):
    """compare() with the collector off."""
    owners = _owners(base_doc, head_doc)
    padding = next((o for o in owners if o.name == BUCKET_PADDING), None)
    owners = [o for o in owners if o.name != BUCKET_PADDING]
    rows, unchanged = _symbol_deltas(base_doc, head_doc)
    shown = [r for r in rows if not _noise(r, min_delta, min_percent)]
    folded = [r for r in rows if _noise(r, min_delta, min_percent)]
    base_total = _sizes(base_doc["totals"], base_doc.get("xip"))
    head_total = _sizes(head_doc["totals"], head_doc.get("xip"))
    image = ((head_doc.get("budgets") or {}).get("name")
             or (base_doc.get("budgets") or {}).get("name")
             or os.path.basename(head_doc["elf"].get("path") or head_label))
    if budgets is not None:
        image = budgets.name
    return Diff(image=image, base_label=base_label, head_label=head_label,
                base_ids=_ids(base_doc), head_ids=_ids(head_doc),
                base_total=base_total, head_total=head_total,
                owners=owners, padding=padding, symbols=shown, folded=folded,
                unchanged=unchanged,
                creep=_creep(budgets, owners + ([padding] if padding else []),
                             base_total, head_total),
                min_delta=min_delta, min_percent=min_percent,
                warnings=_provenance_warnings(base_doc, head_doc),
                budgets=budgets,
                mentions={c.name: c.owners for c in budgets.components if c.owners}
                if budgets is not None else {},
                stack=_stack_deltas(base_doc, head_doc))
