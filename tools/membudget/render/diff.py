"""Render a diff.Diff as text, markdown (pull-request comments) or JSON.

Markdown is built for sticky PR comments: the first line is always
`## membudget: <image>`, a one-line verdict follows, and the whole text
stays under LIMIT characters (GitHub refuses comments over 65,536): table
rows that do not fit are cut, and a note says how many and their net bytes.
"""

import json

from .. import __version__
from ..analysis import gate as gate_mod
from ..analysis.summary import BUDGET_ORDER
from ..model import CLASSES, SCHEMA
from .fmt import fmt_bytes, fmt_signed
from .html import (NO_FILE, NO_SYMBOL, TOP_PER_FILE, escape, page, provenance_html,
                   report_date, sizes_json, table_html, treemap_html)
from .markdown import _table as md_table
from .text import table as text_table

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


#: What a gated budget line's status says, after the sizes
STATUS_TEXT = {gate_mod.NEW: "newly over", gate_mod.WORSE: "over before, grew",
               gate_mod.ALREADY: "already over before", gate_mod.FIXED:
               "back within budget", gate_mod.OK: "within budget"}


def gate_text(line):
    """One gated budget line: 'heap code 900 B > budget 800 B (newly over; was 700 B)'."""
    sign = ">" if line.head > line.budget else "<="
    was = "" if line.base is None else f"was {fmt_bytes(line.base)} B"
    status = line.status
    if status == gate_mod.WORSE:
        detail = f"over before, grew {fmt_signed(line.growth)} B; {was}"
    elif status == gate_mod.ALREADY:
        detail = f"already over before, not grown; {was}"
    else:
        detail = "; ".join(p for p in (STATUS_TEXT[status], was) if p)
    text = (f"{line.owner} {line.key} {fmt_bytes(line.head)} B {sign} budget "
            f"{fmt_bytes(line.budget)} B ({detail})")
    if line.override is not None:
        text += f", overridden: {override_text(line.override)}"
    elif line.short is not None:
        text += (f", override {fmt_signed(line.short.allowance)} B is less than the "
                 f"growth {fmt_signed(line.growth)} B")
    return text


def override_text(override):
    return f"+{fmt_bytes(override.allowance)} B: {override.reason} ({override.where})"


def _named(items, text):
    named = "; ".join(text(c) for c in items[:VERDICT_CAPS])
    if len(items) > VERDICT_CAPS:
        named += f"; and {len(items) - VERDICT_CAPS:,} more"
    return named


def verdict(diff):
    """One line: the rom/ram change, the creep and (with --gate) budget outcome."""
    problems = []
    creep = diff.creep_failing()
    if creep:
        problems.append(f"creep exceeded: {_named(creep, creep_text)}")
    budgets = diff.budgets_failing()
    if budgets:
        problems.append(f"over budget ({diff.gate.policy}): "
                        f"{_named(budgets, _budget_verdict)}")
    gate = diff.gate
    used = len(gate.used) if gate is not None else 0
    overridden = f"; {used} override{'s' if used != 1 else ''} applied" if used else ""
    if diff.same:
        change = "no change"
    else:
        parts = []
        for key in ("rom", "ram"):
            base = diff.base_total.get(key)
            delta = diff.head_total.get(key) - base
            parts.append(f"{key} {fmt_signed(delta)} B ({fmt_percent_change(delta, base)})")
        change = ", ".join(parts)
    if problems:
        return f"{'; '.join(problems)} ({change}){overridden}"
    within = (["creep caps"] if diff.creep else []) + (
        [f"budgets ({gate.policy})"] if gate is not None and gate.lines else [])
    if diff.same and not within:
        return change
    if within:
        return f"{change}, within {' and '.join(within)}{overridden}"
    return change + overridden


def _budget_verdict(line):
    return (f"{line.owner} {line.key} {fmt_bytes(line.head)} B > {fmt_bytes(line.budget)} B"
            f" ({STATUS_TEXT[line.status]})")


def _gate_rows(diff):
    """Gated budget lines worth showing: any not plainly within budget."""
    gate = diff.gate
    if gate is None:
        return []
    rows = []
    for line in gate.lines:
        if line.status == gate_mod.OK and line.override is None:
            continue
        state = "FAIL" if line.failing else "overridden" if line.override else "ok"
        note = STATUS_TEXT[line.status]
        if line.status == gate_mod.WORSE:
            note += f" {fmt_signed(line.growth)} B"
        if line.override is not None:
            note += f"; override {override_text(line.override)}"
        elif line.short is not None:
            note += (f"; override {fmt_signed(line.short.allowance)} B is less than the "
                     f"growth {fmt_signed(line.growth)} B")
        rows.append([line.owner, line.key, "-" if line.base is None else fmt_bytes(line.base),
                     fmt_bytes(line.head), fmt_bytes(line.budget), state, note])
    return rows


GATE_HEADER = ["budget", "class", "base", "head", "cap", "", "status"]


def _override_lines(diff):
    """One line per override read: what it let pass, or that nothing needed it."""
    gate = diff.gate
    if gate is None:
        return []
    def state(o):
        if o in gate.used:
            return "applied"
        if o in gate.short:
            return "too small for the growth"
        return "not needed (nothing it names fails)"
    return [f"{o.owner} {o.key} {override_text(o)}: {state(o)}" for o in gate.overrides]


def _mention_line(diff):
    """'cc @org/team (net)': owners of components past a creep cap."""
    owners = {}
    for component, names in diff.over_creep_owners():
        for name in names:
            owners.setdefault(name, []).append(component)
    if not owners:
        return None
    return "cc " + ", ".join(f"{name} ({', '.join(comps)})" for name, comps in owners.items())


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

def _bound(value, present=True):
    if not present:
        return "-"
    return "unbounded" if value is None else fmt_bytes(value)


def stack_rows(diff):
    """Per changed [stack] entry: base, head, delta and head's chain if it grew."""
    rows = []
    for s in diff.stack:
        if not s.changed:
            continue
        delta = s.delta
        chain = " > ".join(f"{name} {fmt_bytes(frame)}" for name, frame in s.head_chain)
        rows.append([s.name, _bound(s.base, s.present[0]), _bound(s.head, s.present[1]),
                     "-" if delta is None else fmt_signed(delta),
                     chain if (delta is None or delta > 0 or s.head_chain != s.base_chain)
                     else ""])
    return rows


STACK_DIFF_HEADER = ["stack entry", "base bound", "head bound", "delta", "head's chain"]


def render_text(diff):
    out = [f"membudget diff: {diff.image}",
           f"base: {diff.base_label} ({id_text(diff.base_ids, '')})",
           f"head: {diff.head_label} ({id_text(diff.head_ids, '')})",
           f"verdict: {verdict(diff)}"]
    if diff.budgets_path:
        out.insert(3, f"budgets: {diff.budgets_path}")
    out += [f"warning: {w}" for w in diff.warnings]
    gate_rows = _gate_rows(diff)
    if gate_rows:
        out += ["", f"gate: {diff.gate.policy}"] + text_table(GATE_HEADER, gate_rows,
                                                              "llrrrll")
    overrides = _override_lines(diff)
    if overrides:
        out += [""] + [f"override: {line}" for line in overrides]
    mention = _mention_line(diff)
    if mention:
        out += ["", mention]
    if diff.same:
        return "\n".join(out) + "\n"
    out += [""] + text_table(["total", "base", "head", "delta", "%"], _total_rows(diff))
    rows = _owner_rows(diff)
    if rows:
        out += [""] + text_table(["changed (bytes)", *BUDGET_ORDER], rows)
    creep = _creep_rows(diff)
    if creep:
        out += [""] + text_table(["creep", "class", "delta", "cap", ""], creep, "llrrl")
    stack = stack_rows(diff)
    if stack:
        # The chains whole, below the table: a cut chain hides the culprit
        out += [""] + text_table(STACK_DIFF_HEADER[:-1], [r[:-1] for r in stack], "lrrr")
        out += [f"  {r[0]} now via {r[-1]}" for r in stack if r[-1]]
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


def _creep_state(line):
    if line.override is not None:
        return f"overridden: {override_text(line.override)}"
    return "OVER" if line.over else "ok"


def _creep_rows(diff):
    return [[c.owner, c.key, fmt_signed(c.delta), c.cap_text, _creep_state(c)]
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
    mark = (":x:" if diff.failed() else
            ":heavy_minus_sign:" if diff.same else ":white_check_mark:")
    page.add(f"{mark} **{verdict(diff)}**", "",
             f"- base: `{diff.base_label}` {id_text(diff.base_ids)}",
             f"- head: `{diff.head_label}` {id_text(diff.head_ids)}")
    if diff.budgets_path:
        page.add(f"- budgets: `{diff.budgets_path}`")
    for warning in diff.warnings:
        page.add("", f"> :warning: {warning}")
    mention = _mention_line(diff)
    if mention:
        page.add("", f"{mention}: past a creep cap")
    gate_rows = _gate_rows(diff)
    if gate_rows:
        page.add("", f"### Budgets (gate `{diff.gate.policy}`)", "")
        page.table("budget rows", GATE_HEADER, "llrrrll", gate_rows)
    overrides = _override_lines(diff)
    if overrides:
        page.add("", "### Overrides", "")
        page.add(*[f"- `{line}`" for line in overrides])
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
        stack = stack_rows(diff)
        if stack:
            page.add("", "### Stack depth", "")
            page.table("stack rows", STACK_DIFF_HEADER, "lrrrl",
                       [[f"`{r[0]}`", *r[1:]] for r in stack])
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
                   "over": c.over, "override": _override_json(c.override)}
                  for c in diff.creep],
        "gate": _gate_json(diff.gate),
        "failed": diff.failed(),
        "mentions": [{"component": c, "owners": list(o)} for c, o in diff.over_creep_owners()],
        "warnings": list(diff.warnings),
        "stack": [{"name": s.name, "base": s.base, "head": s.head, "delta": s.delta,
                   "in_base": s.present[0], "in_head": s.present[1],
                   "head_chain": [{"function": f, "frame": n} for f, n in s.head_chain]}
                  for s in diff.stack],
    }


def _override_json(override):
    if override is None:
        return None
    return {"owner": override.owner, "class": override.key,
            "allowance": override.allowance, "reason": override.reason,
            "where": override.where}


def _gate_json(gate):
    if gate is None:
        return None
    return {"policy": gate.policy,
            "budgets": [{"owner": l.owner, "class": l.key, "budget": l.budget,
                         "base": l.base, "head": l.head, "status": l.status,
                         "failing": l.failing, "override": _override_json(l.override)}
                        for l in gate.lines],
            "overrides": [dict(_override_json(o), used=o in gate.used)
                          for o in gate.overrides],
            "tightened": [{"owner": owner, "class": key, "budget": old, "new": new}
                          for owner, key, old, new in gate.tightened]}


def render_json(diff):
    return json.dumps(document(diff), indent=2) + "\n"


# The diff page: the report page's frame and treemap, sized by change

#: Leaf colours of the diff treemap (assets/report.js uses the same)
STATUS_COLOURS = {"grown": "#d9534f", "shrunk": "#3c9a5f", "added": "#e8912d",
                  "removed": "#4a7fc1"}


def _merge_status(statuses, net):
    """One status for a symbol whose classes changed differently."""
    if len(statuses) == 1:
        return next(iter(statuses))
    return "grown" if net > 0 else "shrunk"


def diff_tree(rows, top=TOP_PER_FILE):
    """Group symbol changes into owner -> file -> symbol leaves.

    @v rows     diff.SymbolDelta list (one per symbol and class)
    @v top      changes kept per file, largest |change| first (None: all)
    @ret dict   owner -> [{"name", "symbols": [[name, status, dc, dr, dd, db]],
                "folded"}]
    """
    groups = {}
    for row in rows:
        name = row.name if row.name is not None else NO_SYMBOL
        if row.base_name:
            name += f" (was {row.base_name})"
        files = groups.setdefault(row.owner, {})
        leaf = files.setdefault(row.file or NO_FILE, {}).setdefault(
            name, {"statuses": set(), "delta": [0, 0, 0, 0]})
        leaf["statuses"].add(row.status)
        leaf["delta"][CLASSES.index(row.cls)] += row.delta
    out = {}
    for owner, files in groups.items():
        entries = []
        for fname, leaves in files.items():
            rows = [[name, _merge_status(v["statuses"], sum(v["delta"]))] + v["delta"]
                    for name, v in leaves.items()]
            rows.sort(key=lambda r: (-sum(abs(x) for x in r[2:]), r[0]))
            folded = 0
            if top is not None and len(rows) > top:
                rest = rows[top:]
                net = [sum(r[i] for r in rest) for i in range(2, 6)]
                folded = len(rest)
                rows = rows[:top] + [[f"({folded} more changes)",
                                      "grown" if sum(net) > 0 else "shrunk"] + net]
            entries.append({"name": fname, "symbols": rows, "folded": folded})
        entries.sort(key=lambda f: (-sum(abs(x) for r in f["symbols"] for x in r[2:]),
                                    f["name"]))
        out[owner] = entries
    return out


def diff_document(diff, top=TOP_PER_FILE):
    """The data the diff page's script draws from, JSON-ready."""
    owners = list(diff.owners) + ([diff.padding] if diff.padding is not None else [])
    groups = diff_tree(list(diff.symbols) + list(diff.folded), top)
    out = []
    for owner in owners:
        files = groups.get(owner.name, [])
        if owner is diff.padding and owner.changed:
            delta = [owner.delta(c) for c in CLASSES]
            files = [{"name": NO_FILE, "folded": 0, "symbols": [
                ["padding and alignment", "grown" if sum(delta) > 0 else "shrunk"] + delta]}]
        out.append({"name": owner.name, "kind": owner.kind,
                    "base": sizes_json(owner.base), "head": sizes_json(owner.head),
                    "files": files})
    return {
        "schema": SCHEMA,
        "kind": "diff",
        "tool": {"name": "membudget", "version": __version__},
        "image": diff.image,
        "classes": list(CLASSES),
        "base_total": sizes_json(diff.base_total),
        "head_total": sizes_json(diff.head_total),
        "verdict": verdict(diff),
        "owners": out,
        "top_per_file": top,
        "provenance": [("base", f"{diff.base_label} ({id_text(diff.base_ids, '')})"),
                       ("head", f"{diff.head_label} ({id_text(diff.head_ids, '')})"),
                       ("date", report_date()), ("tool", f"membudget {__version__}")],
    }


def _delta_cell(delta):
    state = "grown" if delta > 0 else "shrunk" if delta < 0 else "same"
    return f'<td class="delta {state}">{fmt_signed(delta) if delta else "0"}</td>'


def _owner_deltas_html(diff):
    head = "".join(f"<th>{k}</th>" for k in BUDGET_ORDER)
    rows = []
    owners = list(diff.owners) + ([diff.padding] if diff.padding is not None else [])
    for owner in owners:
        if not owner.changed:
            continue
        cells = "".join(_delta_cell(owner.delta(k)) for k in BUDGET_ORDER)
        rows.append(f'<tr class="{owner.kind}"><th>{escape(owner.name)}</th>{cells}</tr>')
    cells = "".join(_delta_cell(diff.head_total.get(k) - diff.base_total.get(k))
                    for k in BUDGET_ORDER)
    rows.append(f'<tr class="total"><th>total</th>{cells}</tr>')
    heads = "".join(f"<td>{fmt_bytes(diff.head_total.get(k))}</td>" for k in BUDGET_ORDER)
    rows.append(f'<tr class="total"><th>head total</th>{heads}</tr>')
    return (f'<table id="totals"><thead><tr><th>changed (bytes)</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _creep_html(diff):
    if not diff.creep:
        return '<p class="note">No creep caps in the budgets file.</p>'
    bars = []
    for line in diff.creep:
        used = max(0, line.delta)
        width = min(100.0, used * 100 / line.cap) if line.cap else (100.0 if used else 0.0)
        state = "over" if line.over else "ok"
        label = f"{fmt_signed(line.delta)} B of creep {line.cap_text}"
        bars.append(f'<div class="bar {state}" data-owner="{escape(line.owner)}" '
                    f'data-class="{line.key}"><span class="key">{line.key}</span>'
                    f'<span class="track"><span class="fill" style="width:{width:.1f}%">'
                    f'</span></span><span class="num">{escape(line.owner)}: {escape(label)}'
                    f'</span></div>')
    return f'<div id="bars"><div class="budget">{"".join(bars)}</div></div>'


def render_html(diff, top=TOP_PER_FILE):
    """The diff page: deltas coloured, the treemap sized by |change|.

    @v diff     diff.Diff
    @ret str    the HTML document
    """
    data = diff_document(diff, top)
    legend = '<span class="legend">' + "".join(
        f'<span style="background:{colour}"></span>{status}'
        for status, colour in STATUS_COLOURS.items()) + "</span>"
    warnings = "".join(f"<li>{escape(w)}</li>" for w in diff.warnings)
    body = (
        f'<header><h1>membudget diff: {escape(diff.image)}</h1>'
        f'<p id="verdict" class="{"over" if diff.failed() else "ok"}">'
        f'{escape(data["verdict"])}</p>'
        f'{provenance_html(data["provenance"])}'
        f'{f"<ul id=warnings>{warnings}</ul>" if warnings else ""}</header>\n'
        f'{treemap_html(legend)}\n'
        f'<section id="sizes"><h2>Changes</h2>{_owner_deltas_html(diff)}</section>\n'
        f'<section id="budgets"><h2>Creep</h2>{_creep_html(diff)}</section>\n'
        f'{table_html(diff=True)}\n'
        '<footer class="note">Area = |change| of the chosen size; '
        f'{diff.unchanged:,} matched symbols did not change. 1 KiB = 1024 bytes.</footer>')
    return page(f"membudget diff: {diff.image}", body, data)


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json,
             "html": render_html}
