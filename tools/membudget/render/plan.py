"""Render a plan (analysis/plan.py) as text or JSON."""

import json

from ..analysis.summary import BUDGET_ORDER
from ..model import CLASSES, SCHEMA
from .fmt import fmt_bytes, fmt_percent, fmt_signed
from .text import table


def _excess(line):
    extra = f"+{fmt_bytes(line.excess)} B"
    if line.budget:
        extra += f", +{line.excess * 100 / line.budget:,.1f} %"
    return (f"{line.owner}: {line.key} {fmt_bytes(line.used)} B > budget "
            f"{fmt_bytes(line.budget)} B ({extra})")


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


def render_json(result):
    def line(l):
        return {"owner": l.owner, "class": l.key, "used": l.used, "budget": l.budget,
                "headroom": l.headroom, "over": l.over}

    doc = {"schema": SCHEMA, "kind": "plan", "elf": result.elf, "image": result.image,
           "changes": [{"component": c.component, "remove": c.remove, "origin": c.origin,
                        "new": c.component in result.new_components,
                        "sizes": c.sizes.as_dict(),
                        "dropped": [{"section": n, "size": s} for n, s in c.dropped],
                        "alignment_slack": c.slack}
                       for c in result.changes],
           "before": result.before.as_dict(), "after": result.after.as_dict(),
           "budgets": [line(l) for l in result.lines_after],
           "broken": [line(l) for l in result.broken()],
           "fits": not result.broken()}
    return json.dumps(doc, indent=2) + "\n"


RENDERERS = {"text": render_text, "json": render_json}
