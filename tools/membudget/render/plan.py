"""Render a plan (analysis/plan.py) as text or JSON."""

import json
import textwrap

from ..analysis.summary import BUDGET_ORDER
from ..model import CLASSES, SCHEMA
from .fmt import fmt_bytes, fmt_percent, fmt_signed
from .text import WIDTH, table


def _excess(line):
    extra = f"+{fmt_bytes(line.excess)} B"
    if line.budget:
        extra += f", +{line.excess * 100 / line.budget:,.1f} %"
    return (f"{line.owner}: {line.key} {fmt_bytes(line.used)} B > budget "
            f"{fmt_bytes(line.budget)} B ({extra})")


#: Sections listed under a removal in text (JSON lists all)
GOES_SHOWN = 12
INDENT = "      "


def _wrap(text):
    return textwrap.wrap(text, WIDTH, initial_indent=INDENT,
                         subsequent_indent=INDENT + "  ")


def _graph_lines(change):
    """What goes with a removal, what the link would drop of an added object."""
    out = []
    if change.freed and (len(change.freed) > 1 or change.symbol is not None):
        for owner, sizes in change.freed.items():
            parts = ", ".join(f"{k} {fmt_bytes(sizes.get(k))} B" for k in CLASSES
                              if sizes.get(k))
            out += _wrap(f"frees from {owner}: {parts or '0 B'}")
    if change.goes:
        out.append(f"{INDENT}goes with it: {len(change.goes)} section"
                   f"{'s' if len(change.goes) != 1 else ''}")
        rows = [[sym if sym != section else "", section, owner or "", fmt_bytes(size)]
                for sym, section, owner, size in
                change.goes[:GOES_SHOWN if len(change.goes) > GOES_SHOWN + 1 else None]]
        if len(change.goes) > GOES_SHOWN + 1:
            rest = change.goes[GOES_SHOWN:]
            rows.append([f"... {len(rest)} more", "", "",
                         fmt_bytes(sum(g[3] for g in rest))])
        out += [INDENT + "  " + line
                for line in table(["symbol", "section", "owner", "bytes"], rows, "lllr")]
    if change.revived:
        out += _wrap("kept all the same, an added object refers to them: " +
                     ", ".join(f"{sym} ({fmt_bytes(size)} B)"
                               for sym, _, _, size in change.revived))
    if change.gc_dropped:
        total = sum(size for _, _, size in change.gc_dropped)
        out += _wrap(f"not counted, --gc-sections would drop {fmt_bytes(total)} B: " +
                     ", ".join(f"{sym} ({fmt_bytes(size)} B)"
                               for sym, _, size in change.gc_dropped))
    out += [line for note in change.notes for line in _wrap(f"note: {note}")]
    return out


def render_text(result):
    out = [f"membudget plan: {result.image} ({result.elf})"]
    for change in result.changes:
        parts = ", ".join(f"{k} {fmt_bytes(change.sizes.get(k))} B"
                          for k in CLASSES if change.sizes.get(k)) or "0 B"
        sign = "-" if change.remove else "+"
        what = " (new component, no budget of its own)" \
            if change.component in result.new_components else ""
        out.append(f"  {sign} {change.component}: {parts}{what}   [{change.origin}]")
        if change.slack:
            out.append(f"      the link may add up to {fmt_bytes(change.slack)} B of "
                       "alignment padding (not counted)")
        for name, size in change.dropped:
            out.append(f"      dropped {name} ({fmt_bytes(size)} B): "
                       "the image has no such section")
        out += _graph_lines(change)
    notes = []
    if result.graph:
        notes.append(f"linked as --gc-sections would: reference graph from {result.graph}")
    elif result.graph_unavailable:
        notes.append("own bytes only, every section of added objects counted: no reference "
                     f"graph ({result.graph_unavailable})")
    for name, referrers in result.unresolved:
        verb = "refers" if len(referrers) == 1 else "refer"
        notes.append(f"the link would fail: {name} is removed but {', '.join(referrers)} "
                     f"still {verb} to it")
    for note in notes:
        out += textwrap.wrap(note, WIDTH, initial_indent="  ", subsequent_indent="    ")
    rows = [["before"] + [fmt_bytes(result.before.get(k)) for k in BUDGET_ORDER],
            ["after"] + [fmt_bytes(result.after.get(k)) for k in BUDGET_ORDER],
            ["delta"] + [fmt_signed(result.after.get(k) - result.before.get(k))
                         for k in BUDGET_ORDER]]
    out += [""] + table(["image (bytes)", *BUDGET_ORDER], rows)
    before = {(l.owner, l.key): l for l in result.lines_before}
    broken = result.broken()
    out.append("")
    if broken:
        out.append(f"would break {len(broken)} budget{'s' if len(broken) != 1 else ''}:")
        for line in broken:
            was = before.get((line.owner, line.key))
            note = " (already over before)" if was is not None and was.over else ""
            out.append(f"  {_excess(line)}{note}")
    else:
        out.append("fits: every budget holds")
    rows = [[l.owner, l.key, fmt_bytes(l.used), fmt_bytes(l.budget), fmt_signed(l.headroom),
             fmt_percent(l)] for l in result.lines_after]
    if rows:
        out += ["", "headroom after the change:"]
        out += table(["budget", "class", "used", "budget", "headroom", "% used"], rows,
                     "llrrrr")
    return "\n".join(out) + "\n"


def _graph_json(change):
    """A change's graph fields: symbol, freed per owner, goes, revived, gc_dropped."""
    def node(entry):
        sym, section, owner, size = entry
        return {"symbol": sym, "section": section, "owner": owner, "size": size}

    return {"symbol": change.symbol,
            "freed": {owner: sizes.as_dict() for owner, sizes in (change.freed or {}).items()},
            "goes": [node(g) for g in change.goes],
            "revived": [node(g) for g in change.revived],
            "gc_dropped": [{"symbol": sym, "section": section, "size": size}
                           for sym, section, size in change.gc_dropped],
            "notes": list(change.notes)}


def render_json(result):
    def line(l):
        return {"owner": l.owner, "class": l.key, "used": l.used, "budget": l.budget,
                "headroom": l.headroom, "over": l.over}

    doc = {"schema": SCHEMA, "kind": "plan", "elf": result.elf, "image": result.image,
           "changes": [{"component": c.component, "remove": c.remove, "origin": c.origin,
                        "new": c.component in result.new_components,
                        "sizes": c.sizes.as_dict(),
                        "dropped": [{"section": n, "size": s} for n, s in c.dropped],
                        "alignment_slack": c.slack,
                        **_graph_json(c)}
                       for c in result.changes],
           "graph": result.graph, "graph_unavailable": result.graph_unavailable,
           "unresolved": [{"symbol": n, "referrers": r} for n, r in result.unresolved],
           "before": result.before.as_dict(), "after": result.after.as_dict(),
           "budgets": [line(l) for l in result.lines_after],
           "broken": [line(l) for l in result.broken()],
           "fits": not result.broken()}
    return json.dumps(doc, indent=2) + "\n"


RENDERERS = {"text": render_text, "json": render_json}
