"""Render a `why` answer (analysis/why.py) as text or JSON."""

import json

from ..model import CLASSES, SCHEMA
from .fmt import fmt_bytes
from .text import table


def _root(hop):
    kind, what = hop.root
    return f"root: {kind} {what}" if kind != "unreferenced" else "root: unreferenced"


def _hop_row(hop, first):
    where = hop.file or hop.object or ""
    row = [("" if first else "-> ") + hop.symbol, hop.section, where]
    row.append(_root(hop) if first and hop.root else "")
    return row


def _sizes(per_class):
    return ", ".join(f"{k} {fmt_bytes(v)} B" for k, v in per_class.items() if v) or "0 B"


def render_text(result):
    g = result.graph
    out = [f"membudget why {result.query}: {result.kind} of {result.elf}",
           f"reference graph: {g.source}, {g.detail}", ""]
    if result.hops == 0 and result.chains and len(result.chains[0]) == 1 \
            and result.chains[0][0].root:
        out.append(f"{result.chains[0][0].symbol} is a root itself "
                   f"({_root(result.chains[0][0])[6:]})")
    elif result.chains:
        many = "s" if result.shortest != 1 else ""
        out.append(f"{fmt_bytes(result.shortest)} shortest chain{many} of "
                   f"{result.hops} reference{'s' if result.hops != 1 else ''} from a root, "
                   f"{fmt_bytes(result.paths)} distinct path{'s' if result.paths != 1 else ''} "
                   "in all (a cycle counts once):")
        for k, chain in enumerate(result.chains):
            if k:
                out.append("")
            rows = [_hop_row(hop, i == 0) for i, hop in enumerate(chain)]
            out += ["  " + line for line in table(["symbol", "section", "file", ""], rows,
                                                  "llll")[1:]]
        if result.shortest > len(result.chains):
            out.append(f"  ... {fmt_bytes(result.shortest - len(result.chains))} more "
                       "shortest chains")
    out.append("")
    alone = "alone " if len(result.targets) == 1 else ""
    out.append(f"retains {fmt_bytes(result.retained)} B {alone}(what leaves the image "
               f"with it): {len(result.removed)} section{'s' if len(result.removed) != 1 else ''}")
    for owner, per in result.retained_sizes.items():
        out.append(f"  {owner}: {_sizes(per)}")
    rows = [[hop.symbol, hop.section, hop.component or "", hop.file or hop.object or "",
             fmt_bytes(size)] for hop, size in result.removed]
    if rows:
        out += ["  " + line for line in table(["symbol", "section", "component", "file",
                                               "bytes"], rows, "llllr")]
    return "\n".join(out) + "\n"


def _hop_json(hop):
    return {"symbol": hop.symbol, "section": hop.section, "object": hop.object,
            "file": hop.file, "component": hop.component,
            "root": {"kind": hop.root[0], "name": hop.root[1]} if hop.root else None}


def render_json(result):
    g = result.graph
    doc = {"schema": SCHEMA, "kind": "why", "query": result.query, "as": result.kind,
           "elf": result.elf,
           "graph": {"source": g.source, "detail": g.detail, "nodes": len(g.nodes),
                     "edges": g.edges, "notes": list(g.notes)},
           "targets": [_hop_json(_target) for _target in result.target_hops],
           "hops": result.hops, "shortest_chains": result.shortest, "paths": result.paths,
           "chains": [[_hop_json(h) for h in chain] for chain in result.chains],
           "retained": result.retained,
           "retained_sizes": {owner: dict(per) for owner, per in
                              result.retained_sizes.items()},
           "removed": [dict(_hop_json(hop), size=size) for hop, size in result.removed]}
    for per in doc["retained_sizes"].values():
        for k in CLASSES:
            per.setdefault(k, 0)
    return json.dumps(doc, indent=2) + "\n"


RENDERERS = {"text": render_text, "json": render_json}
