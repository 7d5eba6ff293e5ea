"""Read gcc's stack-usage files: frames (.su) and call graphs (.ci).

`gcc -fstack-usage` writes, beside each object, FILE.su with one line per
function the unit emits:

    firmware/heap.c:120:7:malloc<TAB>32<TAB>static

(location, frame bytes, and "static", "dynamic,bounded" or "dynamic": a
"dynamic" frame grows by an amount gcc cannot bound, alloca or a VLA).
`gcc -fcallgraph-info=su` writes FILE.ci, the unit's call graph in VCG:

    graph: { title: "firmware/heap.c"
    node: { title: "malloc" label: "malloc\\nfirmware/heap.c:120:7\\n32 bytes (static)" }
    node: { title: "firmware/heap.c:grow" label: "grow\\n..." }
    node: { title: "memset" label: "memset\\nfirmware/include/string.h:9:7" shape : ellipse }
    node: { title: "__indirect_call" label: "Indirect Call Placeholder" shape : ellipse }
    edge: { sourcename: "malloc" targetname: "firmware/heap.c:grow" label: "firmware/heap.c:131:9" }
    }

A node with a location and a byte count is a function the unit defines
(a static one's title carries its unit); one without is a callee defined
elsewhere; `__indirect_call` stands for every call through a pointer.
Edges are the calls gcc emitted after inlining, library calls included
(memcpy for a struct copy, __udivdi3), each labelled with its call site.

Both readers are strict: anything else is model.InputError naming the
file and line.  docs/design.md "Stack depth" says why the graph comes from
.ci files and not from relocations.
"""

import os
import re

from ..model import FrozenRecord, InputError, Record

SU_SUFFIX = ".su"
CI_SUFFIX = ".ci"

#: The placeholder node gcc draws every indirect call to
INDIRECT = "__indirect_call"

#: .su kinds: "dynamic" alone is unbounded
KINDS = ("static", "dynamic,bounded", "dynamic")

_SU_RE = re.compile(r"(?P<file>.+?):(?P<line>\d+)(?::(?P<col>\d+))?:(?P<name>[^\t]+)"
                    r"\t(?P<size>\d+)\t(?P<kind>[a-z,]+)")
_STACK_RE = re.compile(r"(\d+) bytes \(([a-z,]+)\)")
_LOC_RE = re.compile(r"(.+?):(\d+)(?::(\d+))?")
#: One VCG line as gcc writes it: `graph: { title: "..."`, `node: { ... }`,
#: `edge: { ... }` or the graph's closing `}`; attributes `key: "string"`
#: or `key : word`
_ITEM_RE = re.compile(r"(graph|node|edge):\s*\{(.*?)(\}?)")
_ATTR_RE = re.compile(r'\s*([a-z]+)\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_]+))')


class Frame(FrozenRecord):
    """One .su line: a function's own frame."""

    FIELDS = ("file", "line", "col", "name", "size", "kind")

    def __init__(self, file, line, col, name, size, kind):
        self.file = file
        self.line = line
        self.col = col              # or None
        self.name = name
        self.size = size
        self.kind = kind            # one of KINDS

    @property
    def location(self):
        col = f":{self.col}" if self.col is not None else ""
        return f"{self.file}:{self.line}{col}"


class Node(FrozenRecord):
    """A .ci node: a function the unit defines, or a callee it names."""

    FIELDS = ("title", "name", "location", "size", "kind")

    def __init__(self, title, name, location=None, size=None, kind=None):
        self.title = title
        self.name = name
        self.location = location    # "file:line:col" of a definition
        self.size = size            # bytes, for a definition
        self.kind = kind

    @property
    def defined(self):
        return self.location is not None


class Edge(FrozenRecord):
    """A .ci edge: a call from one node to another."""

    FIELDS = ("source", "target", "site")

    def __init__(self, source, target, site):
        self.source = source        # node titles
        self.target = target
        self.site = site            # "file:line:col" of the call, when gcc gives one


class Unit(Record):
    """One .ci file (one translation unit) and its .su frames."""

    FIELDS = ("path", "title", "nodes", "edges", "frames", "su_path")

    def __init__(self, path, title, nodes=None, edges=None, frames=None, su_path=None):
        self.path = path            # the .ci file
        self.title = title          # the unit, as gcc names it (its source path)
        self.nodes = {} if nodes is None else nodes         # title -> Node
        self.edges = [] if edges is None else edges
        self.frames = [] if frames is None else frames      # Frames of its .su
        self.su_path = su_path


def _decode(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as err:
        raise InputError(path, err.strerror or str(err)) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(path, f"not UTF-8 text (byte {err.start})") from None


def read_su(path):
    """The frames of one .su file, in file order."""
    frames = []
    for number, line in enumerate(_decode(path).splitlines(), 1):
        if not line.strip():
            continue
        match = _SU_RE.fullmatch(line)
        if not match or match.group("kind") not in KINDS:
            raise InputError(path, f"line {number}: not a -fstack-usage line "
                             "(file:line:col:function<TAB>bytes<TAB>static|dynamic|"
                             f"dynamic,bounded): {line[:60]!r}")
        col = match.group("col")
        frames.append(Frame(match.group("file"), int(match.group("line")),
                            int(col) if col else None, match.group("name"),
                            int(match.group("size")), match.group("kind")))
    return frames


def _unescape(text):
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def _node(attrs, path, number):
    title = attrs.get("title")
    label = attrs.get("label")
    if not title or label is None:
        raise InputError(path, f"line {number}: node without a title or label")
    lines = label.split("\n")
    name = lines[0] if title != INDIRECT else INDIRECT
    location = size = kind = None
    if len(lines) >= 3:
        stack = _STACK_RE.fullmatch(lines[2])
        if stack and _LOC_RE.fullmatch(lines[1]):
            location, size, kind = lines[1], int(stack.group(1)), stack.group(2)
            if kind not in KINDS:
                raise InputError(path, f"line {number}: unknown stack kind {kind!r}")
    if location is None and "shape" not in attrs and title != INDIRECT:
        raise InputError(path, f"line {number}: node {title!r} has neither a stack "
                         "size (build with -fcallgraph-info=su) nor the shape of "
                         "an external callee")
    return Node(title, name, location, size, kind)


def _attrs(text, path, number):
    attrs, pos = {}, 0
    while pos < len(text.rstrip()):
        match = _ATTR_RE.match(text, pos)
        if not match:
            raise InputError(path, f"line {number}: not VCG: {text[pos:pos + 40]!r}")
        value = match.group(2)
        attrs[match.group(1)] = (_unescape(value) if value is not None
                                 else match.group(3))
        pos = match.end()
    return attrs


def read_ci(path):
    """One .ci file as a Unit (frames not yet attached)."""
    unit = None
    closed = False
    for number, line in enumerate(_decode(path).splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if closed:
            raise InputError(path, f"line {number}: text after the graph's closing '}}'")
        if line == "}":
            if unit is None:
                raise InputError(path, f"line {number}: unbalanced '}}'")
            closed = True
            continue
        match = _ITEM_RE.fullmatch(line)
        if not match:
            raise InputError(path, f"line {number}: not VCG as gcc writes it: "
                             f"{line[:60]!r}")
        kind, body, end = match.groups()
        attrs = _attrs(body, path, number)
        if kind == "graph":
            if unit is not None or end:
                raise InputError(path, f"line {number}: a second or empty graph")
            unit = Unit(path=str(path), title=attrs.get("title", ""))
            continue
        if unit is None:
            raise InputError(path, f"line {number}: '{kind}' outside 'graph: {{'")
        if not end:
            raise InputError(path, f"line {number}: '{kind}: {{' is not closed")
        if kind == "node":
            node = _node(attrs, path, number)
            old = unit.nodes.get(node.title)
            if old is None or (not old.defined and node.defined):
                unit.nodes[node.title] = node
        else:
            if "sourcename" not in attrs or "targetname" not in attrs:
                raise InputError(path, f"line {number}: edge without sourcename "
                                 "or targetname")
            unit.edges.append(Edge(attrs["sourcename"], attrs["targetname"],
                                   attrs.get("label")))
    if unit is None:
        raise InputError(path, "not a -fcallgraph-info file (no 'graph: {')")
    if not closed:
        raise InputError(path, "cut off: the graph's '{' is never closed")
    for edge in unit.edges:
        for end in (edge.source, edge.target):
            if end not in unit.nodes:
                raise InputError(path, f"edge names node {end!r}, which the file "
                                 "does not define")
    return unit


def read_unit(ci_path, su_path=None):
    """A .ci file with the frames of its .su (su_path None: the .ci alone)."""
    unit = read_ci(ci_path)
    if su_path is not None:
        unit.frames = read_su(su_path)
        unit.su_path = str(su_path)
    return unit


def _expand(spec):
    """Files one --stack argument names: a directory (searched recursively),
    a file, or a glob."""
    if os.path.isdir(spec):
        found = []
        for dirpath, dirnames, filenames in os.walk(spec):
            dirnames.sort()
            found += [os.path.join(dirpath, name) for name in sorted(filenames)
                      if name.endswith((SU_SUFFIX, CI_SUFFIX))]
        return found
    if any(c in spec for c in "*?["):
        import glob as globmod  # only a --stack glob needs it
        return sorted(globmod.glob(spec, recursive=True))
    return [spec]


def pair(paths):
    """Group .su and .ci files by stem: [(ci or None, su or None)], sorted."""
    stems = {}
    for path in paths:
        stem, ext = os.path.splitext(path)
        if ext not in (SU_SUFFIX, CI_SUFFIX):
            raise InputError(path, "not a .su or .ci file")
        stems.setdefault(stem, {})[ext] = path
    return [(files.get(CI_SUFFIX), files.get(SU_SUFFIX)) for _, files in sorted(stems.items())]


def find(specs):
    """The (ci, su) pairs that --stack arguments name (dirs, files, globs)."""
    paths = []
    for spec in specs:
        files = _expand(spec)
        if not files:
            raise InputError(spec, "no .su or .ci files there")
        for path in files:
            if not os.path.isfile(path):
                raise InputError(path, "No such file or directory")
        paths += files
    return pair(list(dict.fromkeys(paths)))


def beside(objects):
    """The (ci, su) pairs next to object files (build/fw/heap.o -> heap.ci, heap.su).

    Objects without either (assembly) are skipped: their functions are
    then "no stack data" unknowns, not errors.
    """
    paths = []
    for obj in objects:
        stem = os.path.splitext(obj)[0]
        paths += [stem + ext for ext in (CI_SUFFIX, SU_SUFFIX) if os.path.isfile(stem + ext)]
    return pair(list(dict.fromkeys(paths)))


def load(pairs):
    """Read every (ci, su) pair into Units.

    A .su without its .ci has no call graph: bad input, since the depth
    cannot be computed from frames alone.
    """
    units = []
    for ci, su in pairs:
        if ci is None:
            raise InputError(su, "no call graph beside it (build with "
                             "-fcallgraph-info=su: a .ci file of the same name)")
        units.append(read_unit(ci, su))
    return units
