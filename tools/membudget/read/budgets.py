"""Read and validate a budgets file (TOML).

The file defines the components (globs over source paths, symbols and
sections, or a catch-all) and their budgets.  Validation is strict: any
unknown key, wrong type, bad size or overlap raises model.InputError with
a one-line message naming the table and key.  Sizes are stored in bytes.

    [image]
    name = "firmware"
    root = ".."             # project root, relative to this file
    elf = "../build/firmware.elf"   # the image and its map, relative to this
    map = "../build/firmware.map"   # file (`check A.toml B.toml`)
    rom = "16 KiB"          # image-level caps
    ram = "160 KiB"

    [components.heap]
    paths = ["firmware/heap.c"]
    budget = { code = 0.75, bss = "129 KiB" }   # plain numbers are KiB
    creep = "64 B"
    owners = ["@org/mm-team"]   # mentioned in `diff --format markdown` over creep

    [components.other]
    catch_all = true

    [heap]                  # the runtime heap (membudget check --heap-trace)
    pool = "128 KiB"        # HEAP_SIZE: the pool heapsim must report
    symbol = "heap_pool"    # and the size of this pool symbol in the ELF
    [heap.traces]           # heapsim traces, relative to the root, and caps
    packets = { path = "tests/traces/packets.trace", peak = "42 KiB", failures = 0 }

    [stack]                 # worst-case stack depth (analysis/stack.py)
    assume = { int15_entry = "64 B" }       # whole cost of a function
    indirect = { heap_discard_all = ["cache_discard_a"] }
    recursion = { walk = 4 }                # at most 4 activations
    red_zone = "0 B"        # x86-64 built with -mno-red-zone (default 128 B)
    [stack.entries]
    int15 = { entry = "int15_trap", budget = "1 KiB", stack = "pm_stack" }
    isr = { entries = ["isr_*"], budget = "256 B" }

    [graph]                 # the reference graph (report --by symbol, why, plan)
    roots = ["irq_*"]       # symbols the link keeps whatever refers to them (-u)
    scripts = ["firmware/arch/i386/firmware.lds"]   # for KEEP(), relative to root
"""

import fnmatch
import os
import re
import tomllib

from ..model import CLASSES, KIB, ComponentDef, FrozenRecord, InputError, Record

#: Keys a budget table may cap: the four classes and the two derived sums
BUDGET_KEYS = CLASSES + ("rom", "ram")

IMAGE_KEYS = ("name", "root", "rom", "ram", "creep", "xip", "elf", "map")
HEAP_KEYS = ("pool", "symbol", "traces")
STACK_KEYS = ("assume", "indirect", "recursion", "entries", "red_zone")
STACK_ENTRY_KEYS = ("entry", "entries", "budget", "stack")
TRACE_KEYS = ("path", "peak", "failures")
GRAPH_KEYS = ("roots", "scripts")
COMPONENT_KEYS = ("paths", "symbols", "sections", "catch_all", "budget", "creep",
                  "owners")
GLOB_KINDS = ("paths", "symbols", "sections")

#: Files the overlap check considers part of the project's sources
SOURCE_SUFFIXES = (".c", ".h", ".S", ".s", ".asm", ".cc", ".cpp", ".cxx", ".rs")

_UNITS = {"B": 1, "KiB": KIB, "MiB": KIB * KIB}
_SIZE_RE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KiB|MiB)\s*")
_PERCENT_RE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Only a malformed file needs these: compiled then (re's cache)
_TOML_POS_RE = r"\s*\(at line (\d+), column \d+\)$"
_TOML_END_RE = r"\s*\(at end of document\)$"


class HeapTrace(FrozenRecord):
    """One [heap.traces] entry: a heapsim trace and its caps."""

    FIELDS = ("name", "path", "file", "peak", "failures")

    def __init__(self, name, path, file, peak, failures):
        self.name = name
        self.path = path            # as written in the budgets file
        self.file = file            # resolved against the project root
        self.peak = peak            # cap on heapsim's peak_used, bytes
        self.failures = failures    # cap on failed allocations, None: not capped


class HeapBudget(Record):
    """The [heap] table: the expected pool size and the traces' caps."""

    FIELDS = ("pool", "traces", "symbol")

    def __init__(self, pool, traces, symbol=None):
        self.pool = pool            # bytes, or None
        self.traces = traces        # HeapTraces
        self.symbol = symbol        # the ELF symbol whose size must equal pool

    def trace(self, name):
        """Return the trace called name, or None."""
        for trace in self.traces:
            if trace.name == name:
                return trace
        return None


class StackEntry(FrozenRecord):
    """One [stack.entries] entry: the functions whose depth it bounds."""

    FIELDS = ("name", "functions", "glob", "budget", "stack")

    def __init__(self, name, functions, glob, budget, stack):
        self.name = name
        self.functions = functions  # names, or globs when glob is set
        self.glob = glob
        self.budget = budget        # bytes, or None
        self.stack = stack          # symbol of the stack it runs on, or None


class StackBudget(Record):
    """The [stack] table: entries and what resolves the analysis's unknowns."""

    FIELDS = ("entries", "assume", "indirect", "recursion", "red_zone")

    def __init__(self, entries, assume=None, indirect=None, recursion=None,
                 red_zone=None):
        self.entries = entries                      # StackEntries
        self.assume = {} if assume is None else assume              # function -> bytes
        self.indirect = {} if indirect is None else indirect        # function -> (targets)
        self.recursion = {} if recursion is None else recursion     # function -> activations
        self.red_zone = red_zone    # bytes below the stack pointer; None: the ABI's


class GraphConfig(FrozenRecord):
    """The [graph] table: extra roots (symbol globs) and the link's scripts."""

    FIELDS = ("roots", "scripts")

    def __init__(self, roots=(), scripts=()):
        self.roots = roots
        self.scripts = scripts      # resolved against the project root


class Budgets(Record):
    """A budgets file, read and checked."""

    FIELDS = ("path", "name", "root", "image", "image_creep", "components", "warnings",
              "heap", "regions", "xip", "elf", "map", "stack", "graph")

    def __init__(self, path, name, root, image, image_creep, components, warnings=None,
                 heap=None, regions=None, xip=None, elf=None, map=None, stack=None,
                 graph=None):
        self.path = path
        self.name = name
        self.root = root                # project root the path globs are relative to
        self.image = image              # "rom"/"ram" -> bytes
        self.image_creep = image_creep
        self.components = components    # ComponentDefs
        self.warnings = [] if warnings is None else warnings
        self.heap = heap                # HeapBudget, or None
        self.regions = {} if regions is None else regions   # region name -> cap
        self.xip = xip      # executes in place; None: decide from the link
        self.elf = elf      # [image] elf, resolved against the file's directory
        self.map = map      # [image] map, likewise
        self.stack = stack  # StackBudget, or None
        self.graph = GraphConfig() if graph is None else graph

    def component(self, name):
        """Return the component called name, or None."""
        for comp in self.components:
            if comp.name == name:
                return comp
        return None


def parse_size(value, where, path):
    """Convert a size to bytes.

    @v value    a number (KiB) or a string "N B", "N KiB", "N MiB"
    @v where    what is being parsed, for the error message
    @v path     the budgets file, for the error message
    @ret bytes  whole bytes; fractions of a byte are rounded down
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InputError(path, f"{where}: expected a size, got {_type_name(value)}")
    if isinstance(value, str):
        match = _SIZE_RE.fullmatch(value)
        if not match:
            raise InputError(path, f"{where}: bad size {value!r} "
                             "(expected e.g. \"512 B\", \"1.5 KiB\", \"2 MiB\")")
        number, unit = float(match.group(1)), _UNITS[match.group(2)]
        if "." not in match.group(1):
            return int(match.group(1)) * unit
        return _whole_bytes(number * unit, value, where, path)
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError(path, f"{where}: bad size {value!r}")
    if value < 0:
        raise InputError(path, f"{where}: negative size {value!r}")
    if isinstance(value, int):
        return value * KIB
    return _whole_bytes(value * KIB, value, where, path)


def _whole_bytes(number, value, where, path):
    """Round a float byte count down; one too large for a float is an error."""
    if number == float("inf"):
        raise InputError(path, f"{where}: size {value!r} too large")
    return int(number)


def _type_name(value):
    """Name a TOML value's type the way a user writes it."""
    names = {bool: "a boolean", int: "an integer", float: "a number",
             str: "a string", list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _check_keys(table, allowed, where, path):
    """Reject keys outside allowed, naming the first one and its table."""
    for key in table:
        if key not in allowed:
            raise InputError(path, f"unknown key '{key}' in [{where}] "
                             f"(allowed: {', '.join(allowed)})")


def _size_table(value, where, path):
    """Parse a table of budget keys -> sizes, e.g. budget = { code = 1 }."""
    if not isinstance(value, dict):
        raise InputError(path, f"{where}: expected a table, got {_type_name(value)}")
    _check_keys(value, BUDGET_KEYS, where, path)
    return {key: parse_size(value[key], f"{where}.{key}", path)
            for key in BUDGET_KEYS if key in value}


class Percent(FrozenRecord):
    """A creep cap relative to the base size: creep = "2 %"."""

    FIELDS = ("value",)

    def __init__(self, value):
        self.value = value

    def of(self, base):
        """The cap in bytes for a base of base bytes (rounded down)."""
        return int(base * self.value / 100)


def _creep_size(value, where, path):
    """A creep cap: a size, or a string "N %" of the base size."""
    if isinstance(value, str):
        match = _PERCENT_RE.fullmatch(value)
        if match:
            return Percent(float(match.group(1)))
    return parse_size(value, where, path)


def _creep(value, where, path):
    """Parse a creep cap: one size or percentage for every key, or a table per key."""
    if isinstance(value, dict):
        _check_keys(value, BUDGET_KEYS, where, path)
        return {key: _creep_size(value[key], f"{where}.{key}", path)
                for key in BUDGET_KEYS if key in value}
    size = _creep_size(value, where, path)
    return {key: size for key in BUDGET_KEYS}


def _globs(value, where, path):
    """Parse a list of glob strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(path, f"{where}: expected an array of strings")
    for glob in value:
        if not glob.strip():
            raise InputError(path, f"{where}: empty glob")
    return tuple(value)


def _component(name, table, path):
    """Build one ComponentDef from its [components.NAME] table."""
    where = f"components.{name}"
    if not _NAME_RE.fullmatch(name):
        raise InputError(path, f"[{where}]: a component name is a C identifier")
    if not isinstance(table, dict):
        raise InputError(path, f"{where}: expected a table, got {_type_name(table)}")
    _check_keys(table, COMPONENT_KEYS, where, path)
    globs = {kind: _globs(table.get(kind, []), f"{where}.{kind}", path)
             for kind in GLOB_KINDS}
    catch_all = table.get("catch_all", False)
    if not isinstance(catch_all, bool):
        raise InputError(path, f"{where}.catch_all: expected true or false")
    if not catch_all and not any(globs.values()):
        raise InputError(path, f"[{where}]: no paths, symbols or sections, "
                         "and not a catch_all")
    budgets = _size_table(table.get("budget", {}), f"{where}.budget", path)
    creep = _creep(table["creep"], f"{where}.creep", path) if "creep" in table else {}
    owners = table.get("owners", [])
    if not isinstance(owners, list) or not all(
            isinstance(o, str) and o.strip() and not any(c.isspace() for c in o)
            for o in owners):
        raise InputError(path, f"{where}.owners: expected an array of names such as "
                         "\"@org/team\" (no spaces)")
    return ComponentDef(name=name, catch_all=catch_all, budgets=budgets,
                        creep=creep, owners=tuple(owners), **globs)


def _heap_trace(name, table, root, path):
    """Build one HeapTrace from its [heap.traces] entry."""
    where = f"heap.traces.{name}"
    if not _NAME_RE.fullmatch(name):
        raise InputError(path, f"[{where}]: a trace name is a C identifier")
    if not isinstance(table, dict):
        raise InputError(path, f"{where}: expected a table, got {_type_name(table)}")
    _check_keys(table, TRACE_KEYS, where, path)
    for key in ("path", "peak"):
        if key not in table:
            raise InputError(path, f"[{where}]: no {key}")
    trace = table["path"]
    if not isinstance(trace, str) or not trace.strip():
        raise InputError(path, f"{where}.path: expected a non-empty string")
    file = pure_path(root, trace)
    if not os.path.isfile(file):
        raise InputError(path, f"{where}.path: '{trace}' is not a file "
                         "under the project root")
    failures = table.get("failures")
    if failures is not None and (type(failures) is not int or failures < 0):
        raise InputError(path, f"{where}.failures: expected a whole number "
                         f"of allocations, got {failures!r}")
    return HeapTrace(name=name, path=trace, file=file,
                     peak=parse_size(table["peak"], f"{where}.peak", path),
                     failures=failures)


def _heap(table, root, path):
    """Parse the [heap] table: pool and traces, at least one of them."""
    if not isinstance(table, dict):
        raise InputError(path, f"heap: expected a table, got {_type_name(table)}")
    _check_keys(table, HEAP_KEYS, "heap", path)
    pool = parse_size(table["pool"], "heap.pool", path) if "pool" in table else None
    symbol = table.get("symbol")
    if symbol is not None:
        if not isinstance(symbol, str) or not symbol.strip():
            raise InputError(path, "heap.symbol: expected a symbol name")
        if pool is None:
            raise InputError(path, "heap.symbol: needs heap.pool, the size it must have")
    traces = table.get("traces", {})
    if not isinstance(traces, dict):
        raise InputError(path, f"heap.traces: expected a table, got {_type_name(traces)}")
    if pool is None and not traces:
        raise InputError(path, "[heap]: no pool and no traces")
    return HeapBudget(pool=pool, symbol=symbol,
                      traces=[_heap_trace(name, value, root, path)
                              for name, value in traces.items()])


def _graph(table, root, path):
    """Parse the [graph] table: roots (symbol globs) and scripts (files)."""
    if not isinstance(table, dict):
        raise InputError(path, f"graph: expected a table, got {_type_name(table)}")
    _check_keys(table, GRAPH_KEYS, "graph", path)
    roots = _globs(table.get("roots", []), "graph.roots", path)
    scripts = _globs(table.get("scripts", []), "graph.scripts", path)
    resolved = []
    for script in scripts:
        file = pure_path(root, script)
        if not os.path.isfile(file):
            raise InputError(path, f"graph.scripts: '{script}' is not a file "
                             "under the project root")
        resolved.append(file)
    return GraphConfig(roots=roots, scripts=tuple(resolved))


def _function_table(table, where, path, value):
    """A table function name -> value(v, where) of [stack]."""
    if not isinstance(table, dict):
        raise InputError(path, f"{where}: expected a table, got {_type_name(table)}")
    out = {}
    for name, item in table.items():
        if not name.strip():
            raise InputError(path, f"{where}: empty function name")
        out[name] = value(item, f"{where}.{name}")
    return out


def _stack_entry(name, table, path):
    where = f"stack.entries.{name}"
    if not isinstance(table, dict):
        raise InputError(path, f"{where}: expected a table, got {_type_name(table)}")
    _check_keys(table, STACK_ENTRY_KEYS, where, path)
    if ("entry" in table) == ("entries" in table):
        raise InputError(path, f"[{where}]: give entry (a function) or entries "
                         "(globs), one of them")
    if "entry" in table:
        entry = table["entry"]
        if not isinstance(entry, str) or not entry.strip():
            raise InputError(path, f"{where}.entry: expected a function name")
        functions, glob = (entry,), False
    else:
        functions, glob = _globs(table["entries"], f"{where}.entries", path), True
        if not functions:
            raise InputError(path, f"{where}.entries: no globs")
    budget = (parse_size(table["budget"], f"{where}.budget", path)
              if "budget" in table else None)
    stack = table.get("stack")
    if stack is not None and (not isinstance(stack, str) or not stack.strip()):
        raise InputError(path, f"{where}.stack: expected a symbol name")
    return StackEntry(name, functions, glob, budget, stack)


def _stack(table, path):
    """Parse the [stack] table."""
    if not isinstance(table, dict):
        raise InputError(path, f"stack: expected a table, got {_type_name(table)}")
    _check_keys(table, STACK_KEYS, "stack", path)
    entries = table.get("entries", {})
    if not isinstance(entries, dict) or not entries:
        raise InputError(path, "[stack.entries]: expected at least one entry")
    for name in entries:
        if not _NAME_RE.fullmatch(name):
            raise InputError(path, f"[stack.entries.{name}]: an entry name is a "
                             "C identifier")

    def targets(value, where):
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            raise InputError(path, f"{where}: expected an array of function names")
        return tuple(value)

    def depth(value, where):
        if type(value) is not int or value < 1:
            raise InputError(path, f"{where}: expected a whole number of activations "
                             f"(1 or more), got {value!r}")
        return value

    red_zone = (parse_size(table["red_zone"], "stack.red_zone", path)
                if "red_zone" in table else None)
    return StackBudget(
        red_zone=red_zone,
        entries=[_stack_entry(name, t, path) for name, t in entries.items()],
        assume=_function_table(table.get("assume", {}), "stack.assume", path,
                               lambda v, w: parse_size(v, w, path)),
        indirect=_function_table(table.get("indirect", {}), "stack.indirect", path,
                                 targets),
        recursion=_function_table(table.get("recursion", {}), "stack.recursion", path,
                                  depth))


def _check_overlaps(components, root, path):
    """Two components may not share a glob, nor both claim a source file.

    @ret warnings   one line per path glob that matches no project file
    """
    owner = {}
    for comp in components:
        for kind in GLOB_KINDS:
            for glob in getattr(comp, kind):
                other = owner.setdefault((kind, glob), comp.name)
                if other != comp.name:
                    raise InputError(path, f"components '{other}' and '{comp.name}' "
                                     f"both list {kind[:-1]} glob '{glob}'")
    warnings = []
    sources = project_sources(root)
    known = set(sources)
    claimed = {}
    for comp in components:
        for glob in comp.paths:
            # A glob without wildcards matches itself alone: no pattern to
            # compile (~0.6 M instructions a glob, most of this check)
            if any(c in glob for c in "*?["):
                hits = fnmatch.filter(sources, glob)
            else:
                hits = [glob] if glob in known else []
            if not hits:
                warnings.append(f"components.{comp.name}: path glob '{glob}' "
                                "matches no file under the project root")
            for hit in hits:
                other = claimed.setdefault(hit, comp.name)
                if other != comp.name:
                    raise InputError(path, f"components '{other}' and '{comp.name}' "
                                     f"both match source file '{hit}'")
    return warnings


def project_sources(root):
    """Source files under root, as sorted POSIX paths relative to root.

    Hidden directories and build/ are skipped: they hold no sources.
    """
    found = []
    top = os.fspath(root)
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "build")
        # os.walk joins every dirpath onto top: what follows it is the relative path
        rel = dirpath[len(top):].lstrip("/")
        prefix = f"{rel}/" if rel else ""
        for name in filenames:
            if name.endswith(SOURCE_SUFFIXES):
                found.append(prefix + name)
    return sorted(found)


def default_root(path):
    """The project root: the nearest ancestor holding .git, else the file's directory."""
    start = directory = os.path.dirname(os.path.realpath(path))
    while True:
        if os.path.exists(os.path.join(directory, ".git")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return start
        directory = parent


def _names(path):
    """(anchor, names) of a POSIX path as pathlib parses it: '/' or '//'
    (exactly two leading slashes stay two) or '', and the names without
    empty and '.' ones."""
    anchor = ""
    if path.startswith("/"):
        anchor = "//" if path.startswith("//") and not path.startswith("///") else "/"
    return anchor, [name for name in path.split("/") if name and name != "."]


def pure_path(*parts):
    """str(pathlib.PurePosixPath(*parts)): the parts joined, an absolute
    one restarting, in pathlib's normal form.  pathlib itself (with
    urllib.parse and ipaddress) was 16 M instructions of every check."""
    anchor, names = "", []
    for part in parts:
        part_anchor, part_names = _names(os.fspath(part))
        if part_anchor:
            anchor, names = part_anchor, []
        names += part_names
    return anchor + "/".join(names) if anchor or names else "."


def pure_parent(path):
    """str(pathlib.PurePosixPath(path).parent)."""
    anchor, names = _names(pure_path(path))
    return anchor + "/".join(names[:-1]) if anchor or len(names) > 1 else "."


def pure_stem(path):
    """pathlib.PurePosixPath(path).stem: the last name without its suffix."""
    names = _names(pure_path(path))[1]
    name = names[-1] if names else ""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def _toml_error(err, text, path):
    """Turn a TOMLDecodeError into 'line N: message'."""
    message = str(err)
    match = re.search(_TOML_POS_RE, message)
    if match:
        line = int(match.group(1))
        message = message[:match.start()]
    else:
        line = max(1, len(text.splitlines()))
        message = re.sub(_TOML_END_RE, "", message)
    return InputError(path, f"line {line}: {message}")


def parse(text, path, root=None):
    """Parse and validate a budgets file's text.

    @v text     the TOML text
    @v path     the file it came from (messages, and the default root)
    @v root     project root override (tests); default from [image].root
    @ret Budgets
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _toml_error(err, text, path) from None
    _check_keys(doc, ("image", "components", "heap", "regions", "stack", "graph"),
                "top level", path)
    image = doc.get("image", {})
    if not isinstance(image, dict):
        raise InputError(path, f"image: expected a table, got {_type_name(image)}")
    _check_keys(image, IMAGE_KEYS, "image", path)
    name = image.get("name", pure_stem(path))
    if not isinstance(name, str) or not name:
        raise InputError(path, "image.name: expected a non-empty string")
    if root is None:
        if "root" in image:
            if not isinstance(image["root"], str):
                raise InputError(path, "image.root: expected a string")
            root = os.path.realpath(os.path.join(
                os.path.dirname(os.path.realpath(path)), image["root"]))
            if not os.path.isdir(root):
                raise InputError(path, f"image.root: '{image['root']}' is not a directory")
        else:
            root = default_root(path)
    caps = {key: parse_size(image[key], f"image.{key}", path)
            for key in ("rom", "ram") if key in image}
    creep = _creep(image["creep"], "image.creep", path) if "creep" in image else {}
    xip = image.get("xip")
    if xip is not None and not isinstance(xip, bool):
        raise InputError(path, f"image.xip: expected true or false, got {_type_name(xip)}")
    files = {}
    for key in ("elf", "map"):
        if key in image:
            if not isinstance(image[key], str) or not image[key].strip():
                raise InputError(path, f"image.{key}: expected a path")
            files[key] = pure_path(pure_parent(path), image[key])
    regions = doc.get("regions", {})
    if not isinstance(regions, dict):
        raise InputError(path, f"regions: expected a table, got {_type_name(regions)}")
    regions = {rname: parse_size(value, f"regions.{rname}", path)
               for rname, value in regions.items()}

    tables = doc.get("components", {})
    if not isinstance(tables, dict):
        raise InputError(path, f"components: expected a table, got {_type_name(tables)}")
    components = [_component(cname, table, path) for cname, table in tables.items()]
    heap = _heap(doc["heap"], root, path) if "heap" in doc else None
    graph = _graph(doc["graph"], root, path) if "graph" in doc else GraphConfig()
    stack = _stack(doc["stack"], path) if "stack" in doc else None
    if not components and not caps and heap is None and not regions and stack is None:
        # An empty or cut-off file would otherwise pass every check
        raise InputError(path, "defines no components and no image budgets "
                         "(nor a [heap])")
    catch_alls = [c.name for c in components if c.catch_all]
    if len(catch_alls) > 1:
        raise InputError(path, f"components '{catch_alls[0]}' and '{catch_alls[1]}' "
                         "are both catch_all")
    warnings = _check_overlaps(components, str(root), path)
    return Budgets(path=str(path), name=name, root=str(root), image=caps,
                   image_creep=creep, components=components, warnings=warnings,
                   heap=heap, regions=regions, xip=xip, stack=stack, graph=graph,
                   **files)


def load(path, root=None):
    """Read and parse a budgets file; OSError and bad UTF-8 become InputError."""
    try:
        with open(pure_path(path), "rb") as f:     # as pathlib opened it: '' is '.'
            data = f.read()
    except OSError as err:
        raise InputError(path, err.strerror or str(err)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(path, f"not UTF-8 text (byte {err.start})") from None
    return parse(text, path, root)
