"""Aggregate an Attribution into the tables every renderer prints.

summarize() is the only consumer of Pieces on the report side: it sums
them per component and bucket, applies the budgets, and builds the
per-file, per-symbol or per-section detail.  Display strings are the
renderers' business (render/fmt.py).
"""

from ..model import BUCKETS, CLASSES, SOURCES, FrozenRecord, Record
from ..read.demangle import demangle
from . import regions as regions_mod

BUDGET_ORDER = CLASSES + ("rom", "ram")
BY_CHOICES = ("component", "file", "symbol", "section")

#: Detail rows per owner for --by symbol when --top is not given
DEFAULT_TOP = 10

NO_KEY = {"file": "(no file)", "symbol": "(no symbol)", "section": "(no section)"}


class Sizes(Record):
    """Bytes per class; rom and ram derived (docs/design.md "rom and ram")."""

    FIELDS = ("code", "rodata", "data", "bss", "xip")

    def __init__(self, code=0, rodata=0, data=0, bss=0, xip=False):
        self.code = code
        self.rodata = rodata
        self.data = data
        self.bss = bss
        self.xip = xip      # executes in place: code and rodata stay in ROM

    @property
    def rom(self):
        """Bytes stored in the image."""
        return self.code + self.rodata + self.data

    @property
    def ram(self):
        """Bytes in RAM at run time: data + bss in place, every class when loaded."""
        return self.data + self.bss if self.xip else self.rom + self.bss

    @property
    def total(self):
        """Every byte, whatever its class."""
        return self.code + self.rodata + self.data + self.bss

    def get(self, key):
        """Bytes for a class or for rom/ram."""
        return getattr(self, key)

    def add(self, cls, size):
        setattr(self, cls, getattr(self, cls) + size)

    def as_dict(self):
        return {key: self.get(key) for key in BUDGET_ORDER}


class BudgetLine(FrozenRecord):
    """One budget applied: owner is a component name or "image"."""

    FIELDS = ("owner", "key", "used", "budget")

    def __init__(self, owner, key, used, budget):
        self.owner = owner
        self.key = key          # a class, "rom" or "ram"
        self.used = used
        self.budget = budget

    @property
    def headroom(self):
        return self.budget - self.used

    @property
    def over(self):
        return self.used > self.budget

    @property
    def excess(self):
        return max(0, self.used - self.budget)

    def ratio(self):
        """used / budget; a zero budget is infinitely used once anything is in it."""
        if self.budget:
            return self.used / self.budget
        return float("inf") if self.used else 0.0


class Row(Record):
    """A component, a bucket or the total, with its budget lines."""

    FIELDS = ("name", "kind", "sizes", "budgets", "retained")

    def __init__(self, name, kind, sizes, budgets=None, retained=None):
        self.name = name
        self.kind = kind            # "component", "bucket" or "total"
        self.sizes = sizes
        self.budgets = [] if budgets is None else budgets   # BudgetLines
        self.retained = retained    # bytes that leave with it (reference graph)


class DetailRow(Record):
    """Bytes of one file, symbol or section that one owner holds."""

    FIELDS = ("key", "owner", "sizes", "demangled", "retained")

    def __init__(self, key, owner, sizes, demangled=None, retained=None):
        self.key = key
        self.owner = owner
        self.sizes = sizes
        self.demangled = demangled  # a C++ symbol's name for people
        self.retained = retained    # bytes that leave with it (reference graph)


class Summary(Record):
    """The tables of a report: rows, budget lines, sources, details."""

    FIELDS = ("elf", "elfclass", "endian", "machine", "type", "build_id", "sha256",
              "budgets_path", "image_name", "components", "buckets", "total",
              "image_budgets", "sources", "unavailable", "by", "details", "warnings",
              "xip", "regions", "region_budgets", "class_sources", "graph",
              "graph_unavailable")

    def __init__(self, elf, elfclass, endian, machine, type, build_id, sha256,
                 budgets_path, image_name, components, buckets, total, image_budgets,
                 sources, unavailable, by, details, warnings, xip=False, regions=None,
                 region_budgets=None, class_sources=None, graph=None,
                 graph_unavailable=None):
        self.elf = elf
        self.elfclass = elfclass
        self.endian = endian
        self.machine = machine
        self.type = type
        self.build_id = build_id
        self._sha256 = sha256       # hex, or a function computing it (on first use)
        self.budgets_path = budgets_path
        self.image_name = image_name
        self.components = components        # Rows
        self.buckets = buckets              # Rows
        self.total = total                  # Row
        self.image_budgets = image_budgets  # BudgetLines
        self.sources = sources              # (source, bytes)
        self.unavailable = unavailable      # (source, why)
        self.by = by
        self.details = details              # DetailRows
        self.warnings = warnings
        self.xip = xip
        self.regions = [] if regions is None else regions   # regions.RegionUse
        self.region_budgets = [] if region_budgets is None else region_budgets
        self.class_sources = [] if class_sources is None else class_sources
        #: the reference graph behind retained sizes: {source, detail, nodes,
        #: edges, roots: [(kind, what)], notes}; None when not asked for
        self.graph = graph
        self.graph_unavailable = graph_unavailable  # why retained sizes are missing

    @property
    def sha256(self):
        """The image's sha256 (hex), computed when a renderer first shows it."""
        if callable(self._sha256):
            self._sha256 = self._sha256()
        return self._sha256

    def budget_lines(self):
        """Every budget applied: components, the image caps, then the regions."""
        lines = [line for row in self.components for line in row.budgets]
        return lines + self.image_budgets + self.region_budgets


def _details(pieces, by, top, owner_order, xip):
    """Group pieces by (key, owner); keep the largest top rows per owner."""
    field = {"file": 7, "symbol": 8, "section": 0}[by]     # the Piece field
    missing = NO_KEY[by]
    # bytes per (key, owner, class), in the order the keys first come
    sums = {}
    for piece in pieces:
        ident = (piece[field] or missing,
                 piece[4] if piece[4] is not None else piece[5], piece[1])
        sums[ident] = sums.get(ident, 0) + piece[3]
    groups = {}
    for (key, owner, cls), size in sums.items():
        sizes = groups.get((key, owner))
        if sizes is None:
            sizes = groups[(key, owner)] = Sizes(xip=xip)
        sizes.add(cls, size)
    seen = {ident: place for place, ident in enumerate(groups)}
    rows = [DetailRow(key, owner, sizes) for (key, owner), sizes in groups.items()]
    rank = {name: i for i, name in enumerate(owner_order)}
    if by == "section":
        # Sections read best in image order, as the pieces come
        rows.sort(key=lambda r: seen[(r.key, r.owner)])
    else:
        rows.sort(key=lambda r: (rank.get(r.owner, len(rank)), -r.sizes.total, r.key))
    if top is None and by == "symbol":
        top = DEFAULT_TOP
    if top is not None:
        kept, count = [], {}
        for row in rows:
            count[row.owner] = count.get(row.owner, 0) + 1
            if count[row.owner] <= top:
                kept.append(row)
        rows = kept
    if by == "symbol":
        names = demangle([r.key for r in rows])
        for row in rows:
            row.demangled = names.get(row.key)
    return rows


def _budget_lines(owner, caps, sizes):
    return [BudgetLine(owner, key, sizes.get(key), caps[key])
            for key in BUDGET_ORDER if key in caps]


def summarize(attribution, budgets=None, by="component", top=None, retention=None,
              graph_unavailable=None):
    """Build the Summary of an Attribution.

    @v attribution  model.Attribution (pieces tile every allocated section)
    @v budgets      budgets.Budgets or None (no budget columns)
    @v by           detail grouping: one of BY_CHOICES
    @v top          rows per owner in the detail table (None: all; 10 for symbols)
    @v retention    graph.Retention: retained sizes of components and, with
                    by="symbol", of the symbol rows; None: none
    @v graph_unavailable  why there is no retention, when one was asked for
    @ret Summary
    """
    image = attribution.image
    uses = regions_mod.used(image, attribution.link_map)
    xip = regions_mod.executes_in_place(image, uses, budgets)
    # bytes per (component, bucket, class): one pass over the pieces
    sums = {}
    for piece in attribution.pieces:
        key = (piece[4], piece[5], piece[1])
        sums[key] = sums.get(key, 0) + piece[3]
    per_owner = {}
    total = Sizes(xip=xip)
    for (component, bucket, cls), size in sums.items():
        owner = component if component is not None else bucket
        sizes = per_owner.get(owner)
        if sizes is None:
            sizes = per_owner[owner] = Sizes(xip=xip)
        sizes.add(cls, size)
        total.add(cls, size)

    defs = budgets.components if budgets else []
    names = [c.name for c in defs]
    names += sorted({component for component, _, _ in sums
                     if component is not None and component not in names})
    names = list(dict.fromkeys(names))
    caps = {c.name: c.budgets for c in defs}
    components = []
    for name in names:
        sizes = per_owner.get(name, Sizes(xip=xip))
        components.append(Row(name, "component", sizes,
                              _budget_lines(name, caps.get(name, {}), sizes)))
    bucket_names = list(BUCKETS) + sorted(
        {bucket for _, bucket, _ in sums if bucket is not None and bucket not in BUCKETS})
    buckets = [Row(name, "bucket", per_owner.get(name, Sizes(xip=xip)))
               for name in dict.fromkeys(bucket_names)]

    image_caps = _budget_lines("image", budgets.image, total) if budgets else []
    sources = [(name, attribution.source_bytes.get(name, 0)) for name in SOURCES]
    sources += sorted((k, v) for k, v in attribution.source_bytes.items()
                      if k not in SOURCES)
    details = []
    if by != "component":
        details = _details(attribution.pieces, by, top, names + bucket_names, xip)
    warnings = list(budgets.warnings) if budgets else []
    graph_info = None
    if retention is not None:
        graph_info = retention.describe()
        for row in components:
            row.retained = retention.owner(row.name)
        if by == "symbol":
            for row in details:
                row.retained = retention.symbol(row.key, row.owner)
    return Summary(
        elf=image.path, elfclass=image.elfclass, endian=image.endian,
        machine=image.machine, type=image.type, build_id=image.build_id,
        sha256=lambda: image.sha256,
        budgets_path=budgets.path if budgets else None,
        image_name=budgets.name if budgets else None,
        components=components, buckets=buckets,
        total=Row("total", "total", total, image_caps),
        image_budgets=image_caps, sources=sources,
        unavailable=sorted(attribution.unavailable.items(),
                           key=lambda kv: _source_rank(kv[0])),
        by=by, details=details,
        warnings=warnings + list(attribution.warnings), xip=xip, regions=uses,
        region_budgets=[BudgetLine(f"region {name}", "used", used, cap) for name, used, cap
                        in regions_mod.check_budgets(budgets, uses, None)],
        class_sources=[(k, v) for k, v in attribution.class_bytes.items()],
        graph=graph_info, graph_unavailable=graph_unavailable)


def _source_rank(name):
    return SOURCES.index(name) if name in SOURCES else len(SOURCES)
