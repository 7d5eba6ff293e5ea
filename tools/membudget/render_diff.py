"""Render a diff.Diff as text, markdown (pull-request comments) or JSON.

Markdown is built for sticky PR comments: the first line is always
`## membudget: <image>`, a one-line verdict follows, and the whole text
stays under LIMIT characters (GitHub refuses comments over 65,536): table
rows that do not fit are cut, and a note says how many and their net bytes.
"""

import json

from . import __version__, render_html
from .model import SCHEMA
from .render_markdown import _table as md_table
from .render_text import table as text_table
from .summary import BUDGET_ORDER, fmt_bytes, fmt_signed

#: Hard cap on the markdown's length, under GitHub's 65,536 with room to spare
LIMIT = 65_000
#: Characters kept free for the truncation note and closing tags
RESERVE = 800
#: Exceeded creep caps the one-line verdict names; the creep table has all
VERDICT_CAPS = 5


def fmt_percent_change(delta, base):
    """Change relative to base: '+1.8 %', 'new' when base is 0."""
    if not base:
        return "new" if delta else "+0.0 %"
    return f"{delta * 100 / base:+,.1f} %"


def _short(text, n=12):
    return text[:n] if text else None


def id_text(ids, code="`"):
    """build-id, sha256 and commit of one side, shortened."""
    parts = []
    if ids.get("build_id"):
        parts.append(f"build-id {code}{_short(ids['build_id'], 16)}{code}")
    if ids.get("sha256"):
        parts.append(f"sha256 {code}{_short(ids['sha256'])}{code}")
    if ids.get("commit"):
        parts.append(f"commit {code}{_short(ids['commit'])}{code}"
                     + (" (uncommitted changes)" if ids.get("dirty") else ""))
    return ", ".join(parts) or "no ids"


def creep_text(line):
    return (f"{line.owner} {line.key} {fmt_signed(line.delta)} B > "
            f"creep {line.cap_text}")


def verdict(diff):
    """One line: the rom/ram change and the creep outcome."""
    if diff.same:
        return "no change"
    parts = []
    for key in ("rom", "ram"):
        base = diff.base_total.get(key)
        delta = diff.head_total.get(key) - base
        parts.append(f"{key} {fmt_signed(delta)} B ({fmt_percent_change(delta, base)})")
    change = ", ".join(parts)
    over = diff.creep_over()
    if over:
        named = "; ".join(creep_text(c) for c in over[:VERDICT_CAPS])
        if len(over) > VERDICT_CAPS:
            named += f"; and {len(over) - VERDICT_CAPS:,} more"
        return f"creep exceeded: {named} ({change})"
    if diff.creep:
        return f"{change}, within creep caps"
    return change


def _symbol_label(row):
    name = row.name if row.name is not None else "(no symbol)"
    if row.base_name:
        name += f" (was {row.base_name})"
    return name


def _opt(n):
    return "-" if n is None else fmt_bytes(n)


def _net(rows):
    return sum(r.delta for r in rows)


def _fold_note(diff):
    if not diff.folded:
        return None
    limits = []
    if diff.min_delta:
        limits.append(f"|delta| < {fmt_bytes(diff.min_delta)} B")
    if diff.min_percent:
        limits.append(f"< {diff.min_percent:g} % of base")
    return (f"{len(diff.folded)} symbol change{'s' if len(diff.folded) != 1 else ''} "
            f"below the noise threshold ({' or '.join(limits)}), "
            f"net {fmt_signed(_net(diff.folded))} B")


# Text

def render_text(diff):
    out = [f"membudget diff: {diff.image}",
           f"base: {diff.base_label} ({id_text(diff.base_ids, '')})",
           f"head: {diff.head_label} ({id_text(diff.head_ids, '')})",
           f"verdict: {verdict(diff)}"]
    if diff.budgets_path:
        out.insert(3, f"budgets: {diff.budgets_path}")
    out += [f"warning: {w}" for w in diff.warnings]
    if diff.same:
        return "\n".join(out) + "\n"
    out += [""] + text_table(["total", "base", "head", "delta", "%"], _total_rows(diff))
    rows = _owner_rows(diff)
    if rows:
        out += [""] + text_table(["changed (bytes)", *BUDGET_ORDER], rows)
    creep = _creep_rows(diff)
    if creep:
        out += [""] + text_table(["creep", "class", "delta", "cap", ""], creep, "llrrl")
    if diff.symbols:
        out += [""] + text_table(["delta", "%", "status", "symbol", "component", "class",
                                  "base", "head"], _symbol_rows(diff.symbols), "rrllllrr")
    note = _fold_note(diff)
    if note:
        out += ["", f"folded: {note} (--format markdown or json lists them)"]
    out.append(f"{diff.unchanged} matched symbol{'s' if diff.unchanged != 1 else ''} "
               "unchanged")
    return "\n".join(out) + "\n"


def _total_rows(diff):
    return [[key, fmt_bytes(diff.base_total.get(key)), fmt_bytes(diff.head_total.get(key)),
             fmt_signed(diff.head_total.get(key) - diff.base_total.get(key)),
             fmt_percent_change(diff.head_total.get(key) - diff.base_total.get(key),
                                diff.base_total.get(key))]
            for key in BUDGET_ORDER]


def _owner_rows(diff, code=""):
    rows = [[f"{code}{o.name}{code}" if o.kind == "component" else o.name]
            + [fmt_signed(o.delta(k)) for k in BUDGET_ORDER]
            for o in diff.owners if o.changed]
    if diff.padding is not None and diff.padding.changed:
        rows.append(["[padding] (alignment, fill: all sections)"]
                    + [fmt_signed(diff.padding.delta(k)) for k in BUDGET_ORDER])
    return rows


def _creep_rows(diff):
    return [[c.owner, c.key, fmt_signed(c.delta), c.cap_text, "OVER" if c.over else "ok"]
            for c in diff.creep if c.delta or c.over]


def _symbol_rows(rows, code=""):
    return [[fmt_signed(r.delta), fmt_percent_change(r.delta, r.base or 0),
             r.status, f"{code}{_symbol_label(r)}{code}"
             + (f" {r.file}" if r.file and not code else ""),
             r.owner, r.cls, _opt(r.base), _opt(r.head)] for r in rows]


# Markdown

def _md_symbol_rows(rows):
    return [[fmt_signed(r.delta), fmt_percent_change(r.delta, r.base or 0),
             r.status, f"`{_symbol_label(r)}`", f"`{r.file}`" if r.file else "",
             r.owner, r.cls, _opt(r.base), _opt(r.head)] for r in rows]


SYMBOL_HEADER = ["delta B", "%", "status", "symbol", "file", "owner", "class", "base", "head"]


class _Page:
    """Markdown lines with a running length, refusing rows past the limit."""

    def __init__(self, limit):
        self.lines = []
        self.size = 0
        self.limit = limit
        self.cut = []       # (what, rows cut, rows total, net bytes or None)

    def add(self, *lines):
        for line in lines:
            self.lines.append(line)
            self.size += len(line) + 1

    def fits(self, line):
        return self.size + len(line) + 1 <= self.limit - RESERVE

    def table(self, what, header, align, rows, deltas=None):
        """Add a table, cutting the rows that do not fit; deltas: bytes per row."""
        lines = md_table(header, rows, align)
        if not self.fits(lines[0]) or not self.fits(lines[0] + lines[1]):
            self.cut.append((what, len(rows), len(rows), sum(deltas) if deltas else None))
            return
        self.add(lines[0], lines[1])
        for i, line in enumerate(lines[2:]):
            if not self.fits(line):
                rest = deltas[i:] if deltas else None
                self.cut.append((what, len(rows) - i, len(rows),
                                 sum(rest) if rest is not None else None))
                return
            self.add(line)


def render_markdown(diff, limit=LIMIT):
    page = _Page(limit)
    page.add(f"## membudget: {diff.image}", "")
    mark = (":x:" if diff.creep_over() else
            ":heavy_minus_sign:" if diff.same else ":white_check_mark:")
    page.add(f"{mark} **{verdict(diff)}**", "",
             f"- base: `{diff.base_label}` {id_text(diff.base_ids)}",
             f"- head: `{diff.head_label}` {id_text(diff.head_ids)}")
    if diff.budgets_path:
        page.add(f"- budgets: `{diff.budgets_path}`")
    for warning in diff.warnings:
        page.add("", f"> :warning: {warning}")
    if not diff.same:
        page.add("")
        page.table("total rows", ["total", "base", "head", "delta", "%"], "lrrrr",
                   _total_rows(diff))
        rows = _owner_rows(diff, code="`")
        if rows:
            page.add("", "### Changed components", "")
            page.table("component rows", ["component (delta B)", *BUDGET_ORDER],
                       "l" + "r" * 6, rows)
        creep = _creep_rows(diff)
        if creep:
            page.add("", "### Creep", "")
            page.table("creep rows", ["component", "class", "delta B", "cap", ""],
                       "llrrl", creep)
        if diff.symbols:
            page.add("", "### Symbols", "")
            page.table("symbol rows", SYMBOL_HEADER, "rrlllllrr",
                       _md_symbol_rows(diff.symbols), [r.delta for r in diff.symbols])
        note = _fold_note(diff)
        if note:
            page.add("", f"<details><summary>{note}</summary>", "")
            page.table("folded rows", SYMBOL_HEADER, "rrlllllrr",
                       _md_symbol_rows(diff.folded), [r.delta for r in diff.folded])
            page.add("", "</details>")
        page.add("", f"{diff.unchanged} matched symbol"
                 f"{'s' if diff.unchanged != 1 else ''} unchanged.")
    if page.cut:
        parts = [f"{n:,} of {total:,} {what}" + (f" (net {fmt_signed(net)} B)"
                                                  if net is not None else "")
                 for what, n, total, net in page.cut]
        page.add("", f"**Truncated** to stay under {limit:,} characters: cut "
                 f"{'; '.join(parts)}. `membudget diff --format json` lists every row.")
    page.add("", f"<sub>membudget {__version__}</sub>")
    text = "\n".join(page.lines) + "\n"
    if len(text) > limit:
        # Only lines outside tables (a verdict naming thousands of caps)
        # get here: cut at a line end, whatever it was
        note = (f"\n\n**Truncated** to stay under {limit:,} characters: the text "
                f"above is cut. `membudget diff --format json` has all of it.\n")
        text = text[:text.rfind("\n", 0, limit - len(note)) + 1].rstrip("\n") + note
    return text


# JSON

def _symbol_json(r):
    return {"name": r.name, "base_name": r.base_name, "file": r.file, "owner": r.owner,
            "class": r.cls, "base": r.base, "head": r.head, "delta": r.delta,
            "status": r.status}


def document(diff):
    def owner(o):
        return {"name": o.name, "kind": o.kind,
                "base": o.base.as_dict(), "head": o.head.as_dict(),
                "delta": {k: o.delta(k) for k in BUDGET_ORDER}}

    return {
        "schema": SCHEMA,
        "kind": "diff",
        "tool": {"name": "membudget", "version": __version__},
        "image": diff.image,
        "base": dict(diff.base_ids, label=diff.base_label),
        "head": dict(diff.head_ids, label=diff.head_label),
        "verdict": verdict(diff),
        "same": diff.same,
        "totals": [{"class": k, "base": diff.base_total.get(k),
                    "head": diff.head_total.get(k),
                    "delta": diff.head_total.get(k) - diff.base_total.get(k)}
                   for k in BUDGET_ORDER],
        "owners": [owner(o) for o in diff.owners],
        "padding": owner(diff.padding) if diff.padding is not None else None,
        "symbols": [_symbol_json(r) for r in diff.symbols],
        "folded": [_symbol_json(r) for r in diff.folded],
        "thresholds": {"min_delta": diff.min_delta, "min_percent": diff.min_percent},
        "unchanged": diff.unchanged,
        "creep": [{"owner": c.owner, "class": c.key, "delta": c.delta, "cap": c.cap,
                   "over": c.over} for c in diff.creep],
        "warnings": list(diff.warnings),
    }


def render_json(diff):
    return json.dumps(document(diff), indent=2) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json,
             "html": render_html.render_diff}
