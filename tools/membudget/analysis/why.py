"""Why is it linked?  The model behind `membudget why SYMBOL|FILE|COMPONENT`.

The target is looked up as a symbol of the image first (every input
section holding a symbol of that name), then as a component of the
budgets file, then as a source file or object file (exact, or its base
name when only one file has it), then as an input section name (every
input section so named: `.init_array`).  Then, over the reference graph
(graph.py):

  * the shortest chains of references from a root to it: a breadth-first
    walk from all roots at once; each hop is the symbol the reference goes
    through (or the section's main symbol), its input section and file;
  * how many shortest chains there are, and how many distinct paths in
    all, counting each group of sections that refer to one another in a
    cycle as one step (paths end where they first reach the target);
  * what it alone retains: the bytes that would leave the image with it
    (its dominator subtree; for a set of sections, what the roots no
    longer reach without them), per component and class, and which
    sections they are.

A name the image does not hold is bad input; when the map lists it among
the input sections the link discarded, the message says so.
"""

from dataclasses import dataclass, field

from ..model import CLASSES, InputError

DEFAULT_CHAINS = 3
#: Input sections -ffunction-sections/-fdata-sections name after a symbol
DROPPED_PREFIXES = (".text.", ".data.", ".rodata.", ".bss.", ".sdata.", ".sbss.",
                    ".srodata.", ".tdata.", ".tbss.")


@dataclass
class Hop:
    """One step of a chain: the section reached and the symbol that reached it."""

    symbol: str
    section: str
    object: str | None
    file: str | None
    component: str | None
    root: tuple | None = None       # (kind, what) when the chain starts here


@dataclass
class Why:
    query: str
    kind: str                       # "symbol", "component", "file" or "section"
    elf: str
    graph: object                   # graph.Graph
    targets: list                   # node indices
    chains: list = field(default_factory=list)     # [[Hop]]
    shortest: int = 0               # how many shortest chains
    hops: int = 0                   # references in a shortest chain
    paths: int = 0                  # distinct paths (cycles counted once)
    retained: int = 0
    retained_sizes: dict = field(default_factory=dict)  # owner -> {class: bytes}
    removed: list = field(default_factory=list)         # [(Hop, size)]
    target_hops: list = field(default_factory=list)     # [Hop] of the targets


def _owner(node):
    """The owner holding most of a node's bytes."""
    if not node.owners:
        return None
    totals = {}
    for (who, _), size in node.owners.items():
        totals[who] = totals.get(who, 0) + size
    return max(totals.items(), key=lambda kv: (kv[1], kv[0]))[0]


def _hop(graph, i, label=None):
    node = graph.nodes[i]
    symbol = label if label and label in node.symbols else node.label
    return Hop(symbol, node.name, node.object, node.file, _owner(node),
               graph.roots.get(i))


def resolve(graph, query, components=(), discarded=()):
    """(kind, nodes) of a query (module docstring), or an InputError."""
    nodes = graph.nodes_of_symbol(query)
    if nodes:
        return "symbol", nodes
    if query in components:
        nodes = [i for i, n in enumerate(graph.nodes) if any(w == query for w, _ in n.owners)]
        if not nodes:
            raise InputError(query, "the component holds no section of the image")
        return "component", nodes
    exact = [i for i, n in enumerate(graph.nodes) if query in (n.file, n.object)]
    if exact:
        return "file", exact
    files = {n.file for n in graph.nodes if n.file and n.file.rsplit("/", 1)[-1] == query}
    if len(files) == 1:
        file = files.pop()
        return "file", [i for i, n in enumerate(graph.nodes) if n.file == file]
    sections = [i for i, n in enumerate(graph.nodes) if n.name == query]
    if sections:
        return "section", sections
    dropped = [e for e in discarded if e.size and e.name.endswith("." + query)
               and e.name.startswith(DROPPED_PREFIXES)]
    if dropped:
        entry = dropped[0]
        raise InputError(query, f"not in {graph.image_path}: the link discarded "
                         f"{entry.name} of {entry.object} (no root refers to it)")
    raise InputError(query, f"no symbol, component or file of that name in "
                     f"{graph.image_path}")


def _bfs(graph, roots):
    """Distance from the nearest root, shortest-path counts and parents."""
    n = len(graph.nodes)
    dist = [-1] * n
    count = [0] * n
    parents = [[] for _ in range(n)]
    frontier = []
    for r in roots:
        dist[r] = 0
        count[r] = 1
        frontier.append(r)
    while frontier:
        nxt = []
        for v in frontier:
            for w in graph.succ[v]:
                if dist[w] < 0:
                    dist[w] = dist[v] + 1
                    nxt.append(w)
                if dist[w] == dist[v] + 1:
                    count[w] += count[v]
                    parents[w].append(v)
        frontier = nxt
    return dist, count, parents


def _sccs(n, succ):
    """Tarjan's strongly connected components, iteratively: a component number per node."""
    index = [-1] * n
    low = [0] * n
    comp = [-1] * n
    on = bytearray(n)
    stack, counter, ncomp = [], 0, 0
    for start in range(n):
        if index[start] >= 0:
            continue
        work = [(start, 0)]
        while work:
            v, k = work.pop()
            if k == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on[v] = 1
            recurse = False
            edges = succ[v]
            while k < len(edges):
                w = edges[k]
                k += 1
                if index[w] < 0:
                    work.append((v, k))
                    work.append((w, 0))
                    recurse = True
                    break
                if on[w]:
                    low[v] = min(low[v], index[w])
            if recurse:
                continue
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on[w] = 0
                    comp[w] = ncomp
                    if w == v:
                        break
                ncomp += 1
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
    return comp, ncomp


def count_paths(graph, targets):
    """Distinct root-to-target paths, each cycle group one step; paths end at
    the first target they reach."""
    n = len(graph.nodes)
    comp, ncomp = _sccs(n, graph.succ)
    target_comps = {comp[t] for t in targets}
    csucc = [set() for _ in range(ncomp)]
    for v in range(n):
        for w in graph.succ[v]:
            if comp[v] != comp[w]:
                csucc[comp[v]].add(comp[w])
    # Tarjan numbers components in reverse topological order
    ways = [0] * ncomp
    for c in {comp[r] for r in graph.roots}:
        ways[c] = 1
    for c in range(ncomp - 1, -1, -1):
        if not ways[c] or c in target_comps:
            continue
        for d in csucc[c]:
            ways[d] += ways[c]
    return sum(ways[c] for c in target_comps)


def why(graph, query, components=(), discarded=(), chains=DEFAULT_CHAINS):
    """Answer `why QUERY` over graph (module docstring).

    @v components   the budgets' component names
    @v discarded    the map's discarded input sections (for the message)
    @ret Why
    @raises InputError  a query the image does not hold
    """
    kind, targets = resolve(graph, query, components, discarded)
    result = Why(query, kind, graph.image_path, graph, targets)
    result.target_hops = [_hop(graph, t) for t in targets]
    dist, count, parents = _bfs(graph, sorted(graph.roots))
    best = min((dist[t] for t in targets if dist[t] >= 0), default=-1)
    if best >= 0:
        ends = [t for t in targets if dist[t] == best]
        result.hops = best
        result.shortest = sum(count[t] for t in ends)
        for end in ends:
            for path in _chains(parents, end, chains - len(result.chains)):
                hops = []
                for k, v in enumerate(path):
                    label = graph.labels.get((path[k - 1], v)) if k else None
                    hops.append(_hop(graph, v, label))
                result.chains.append(hops)
            if len(result.chains) >= chains:
                break
        result.paths = count_paths(graph, targets)
    if len(targets) == 1:
        gone = graph.dominated(targets[0])
    else:
        gone = graph.removed(targets)
    for i in gone:
        node = graph.nodes[i]
        for (who, cls), size in node.owners.items():
            per = result.retained_sizes.setdefault(who, dict.fromkeys(CLASSES, 0))
            per[cls] += size
        result.retained += node.size
        result.removed.append((_hop(graph, i), node.size))
    result.removed.sort(key=lambda hs: (-hs[1], hs[0].symbol))
    return result


def _chains(parents, end, limit):
    """Up to limit chains from a root to end along shortest-path parents."""
    found = []
    stack = [(end, [end])]
    while stack and len(found) < limit:
        v, path = stack.pop()
        if not parents[v]:
            found.append(path[::-1])
            continue
        for p in reversed(parents[v]):
            stack.append((p, path + [p]))
    return found
