"""Render a Summary as JSON for machines.

Every size is an integer number of bytes.  The layout is versioned by
model.SCHEMA; README.md documents each field.
"""

import json

from .. import __version__
from ..model import SCHEMA


def _budget(line):
    return {"class": line.key, "used": line.used, "budget": line.budget,
            "headroom": line.headroom, "over": line.over}


def _row(row):
    out = {"name": row.name}
    out.update(row.sizes.as_dict())
    if row.kind == "component":
        out["budgets"] = [_budget(line) for line in row.budgets]
        if row.retained is not None:
            out["retained"] = row.retained
    return out


def _heap(heap):
    """The [heap] budgets; measured figures are null for traces not run."""
    traces = []
    for result in heap.results:
        trace, stats = result.trace, result.stats
        entry = {"name": trace.name, "path": trace.path, "peak_budget": trace.peak,
                 "failures_budget": trace.failures}
        entry.update({key: (stats or {}).get(key) for key in
                      ("peak_used", "failures", "ops", "largest_free")})
        entry["over"] = result.over
        traces.append(entry)
    return {"pool_budget": heap.pool_budget, "pool": heap.pool,
            "symbol": heap.symbol, "symbol_size": heap.symbol_size, "traces": traces}


def _unknown(u):
    return {"kind": u.kind, "function": u.function, "site": u.site, "text": u.text()}


def stack(report):
    """The [stack] figures: per entry its bound (null: unbounded) and chain."""
    entries = []
    for e in report.entries:
        lines = e.lines()
        entries.append({
            "name": e.name, "functions": list(e.functions), "bound": e.bound,
            "known": e.known, "budget": e.budget,
            "headroom": (e.budget - e.bound if e.budget is not None
                         and e.bound is not None else None),
            "stack": ({"symbol": e.stack, "size": e.stack_size}
                      if e.stack is not None else None),
            "measured": e.measured,
            "over": any(line.over for line in lines),
            "chain": [{"function": l.function, "location": l.location,
                       "frame": l.frame, "kind": l.kind} for l in e.chain],
            "unknowns": [_unknown(u) for u in e.unknowns]})
    return {"arch": report.arch, "return_address": report.return_address,
            "red_zone": report.red_zone, "units": report.units,
            "functions": report.functions, "entries": entries,
            "unknowns": [_unknown(u) for u in report.unknowns],
            "resolved": list(report.resolved)}


def document(report):
    """The report as plain JSON-ready data; "heap" only with a HeapReport."""
    summary, heap = report.summary, report.heap
    doc = {
        "schema": SCHEMA,
        "tool": {"name": "membudget", "version": __version__},
        "elf": {"path": summary.elf, "class": summary.elfclass,
                "endian": summary.endian, "machine": summary.machine,
                "type": summary.type, "build_id": summary.build_id,
                "sha256": summary.sha256},
        "budgets": ({"path": summary.budgets_path, "name": summary.image_name}
                    if summary.budgets_path else None),
        "totals": summary.total.sizes.as_dict(),
        "image_budgets": [_budget(line) for line in summary.image_budgets],
        "components": [_row(r) for r in summary.components],
        "buckets": [_row(r) for r in summary.buckets],
        "sources": [{"name": name, "bytes": size} for name, size in summary.sources],
        "unavailable": [{"name": name, "reason": why} for name, why in summary.unavailable],
        "warnings": list(summary.warnings),
        "xip": summary.xip,
        "regions": [{"name": r.name, "origin": r.origin, "length": r.length,
                     "used": r.used, "free": r.free, "attributes": r.attributes,
                     "sections": list(r.sections)} for r in summary.regions],
        "region_budgets": [dict(_budget(line), region=line.owner[len("region "):])
                           for line in summary.region_budgets],
        "class_sources": [{"name": name, "bytes": size}
                          for name, size in summary.class_sources],
    }
    if heap is not None:
        doc["heap"] = _heap(heap)
    if getattr(report, "stack", None) is not None:
        doc["stack"] = stack(report.stack)
    if summary.graph is not None or summary.graph_unavailable:
        info = summary.graph or {}
        doc["graph"] = {"source": info.get("source"), "detail": info.get("detail"),
                        "nodes": info.get("nodes"), "edges": info.get("edges"),
                        "roots": [{"kind": k, "name": w} for k, w in info.get("roots", ())],
                        "notes": info.get("notes", []),
                        "unavailable": summary.graph_unavailable}
    if summary.by != "component":
        doc["details"] = {
            "by": summary.by,
            "rows": [dict({"name": d.key, "component": d.owner}, **d.sizes.as_dict(),
                          **({"demangled": d.demangled} if d.demangled else {}),
                          **({"retained": d.retained} if summary.graph is not None
                             and summary.by == "symbol" else {}))
                     for d in summary.details]}
    return doc


def render(report):
    return json.dumps(document(report), indent=2) + "\n"
