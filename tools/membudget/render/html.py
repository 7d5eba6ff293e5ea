"""Render a Summary (and its pieces) as one self-contained HTML page.

The page needs no network: CSS, JavaScript and the data are inlined, the
treemap is drawn as SVG by the page's own script (assets/report.js) from
the JSON in <script type="application/json" id="membudget-data">.  What
reads without a script (provenance, totals, budget bars) is written here
as plain HTML.

The treemap is component -> file -> symbol.  Symbols beyond the largest
TOP_PER_FILE of a file are folded into one "(N more symbols)" leaf of that
file, so a 100k-symbol image stays a few MiB; the page says so.

A renderer: it never opens an ELF; everything comes from the Summary, the
Attribution's pieces and the provenance the caller passes.
"""

import datetime
import html
import json
import os
from pathlib import Path

from .. import __version__
from ..analysis.summary import BUDGET_ORDER
from ..model import CLASSES, SCHEMA
from .fmt import fmt_bytes, fmt_kib, fmt_percent

ASSETS = Path(__file__).resolve().parent / "assets"

#: Symbols kept per file before the rest fold into one leaf
TOP_PER_FILE = 25

#: The page may fetch nothing: inline script and style only
CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"

NO_FILE = "(no file)"
NO_SYMBOL = "(no symbol)"


def _asset(name):
    return (ASSETS / name).read_text(encoding="utf-8")


def sizes_json(sizes):
    """Sizes -> [code, rodata, data, bss] (rom and ram are derived in the page)."""
    return [sizes.get(cls) for cls in CLASSES]


def tree(pieces, top=TOP_PER_FILE):
    """Group pieces into owner -> file -> symbol.

    @v pieces   model.Piece list (every piece has a component or a bucket)
    @v top      symbols kept per file, largest first by ram (None: all)
    @ret dict   owner name -> list of {"name", "symbols": [[name, c, r, d, b]],
                "folded": symbols folded into the last leaf}
    """
    groups = {}
    for piece in pieces:
        owner = piece.component if piece.component is not None else piece.bucket
        files = groups.setdefault(owner, {})
        symbols = files.setdefault(piece.file or NO_FILE, {})
        row = symbols.setdefault(piece.symbol or NO_SYMBOL, [0, 0, 0, 0])
        row[CLASSES.index(piece.cls)] += piece.size
    out = {}
    for owner, files in groups.items():
        entries = []
        for name, symbols in files.items():
            rows = sorted(([sym] + sizes for sym, sizes in symbols.items()),
                          key=lambda r: (-sum(r[1:]), r[0]))
            folded = 0
            if top is not None and len(rows) > top:
                rest = rows[top:]
                other = [sum(r[i] for r in rest) for i in range(1, 5)]
                folded = len(rest)
                rows = rows[:top] + [[f"({folded} more symbols)"] + other]
            entries.append({"name": name, "symbols": rows, "folded": folded})
        entries.sort(key=lambda f: (-sum(sum(r[1:]) for r in f["symbols"]), f["name"]))
        out[owner] = entries
    return out


def _budget(line):
    return {"class": line.key, "used": line.used, "budget": line.budget, "over": line.over}


def document(summary, pieces=None, provenance=None, top=TOP_PER_FILE):
    """The data the page's script draws from, JSON-ready.

    @v pieces       the Attribution's pieces (None: one leaf per owner)
    @v provenance   {"compiler": ..., "date": ...} or None
    """
    groups = tree(pieces, top) if pieces is not None else {}
    owners = []
    for row in summary.components + summary.buckets:
        files = groups.get(row.name)
        if files is None:
            files = [{"name": NO_FILE, "symbols": [[NO_SYMBOL] + sizes_json(row.sizes)],
                      "folded": 0}]
        owners.append({"name": row.name, "kind": row.kind, "sizes": sizes_json(row.sizes),
                       "budgets": [_budget(line) for line in row.budgets],
                       "files": files})
    return {
        "schema": SCHEMA,
        "kind": "report",
        "tool": {"name": "membudget", "version": __version__},
        "image": _image_name(summary),
        "classes": list(CLASSES),
        "total": sizes_json(summary.total.sizes),
        "image_budgets": [_budget(line) for line in summary.image_budgets],
        "owners": owners,
        "top_per_file": top,
        "provenance": _provenance(summary, provenance),
    }


def _image_name(summary):
    return summary.image_name or os.path.basename(summary.elf)


def report_date():
    """Now in UTC, or SOURCE_DATE_EPOCH when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
            if epoch and epoch.isdigit() else datetime.datetime.now(datetime.timezone.utc))
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def _provenance(summary, extra):
    extra = extra or {}
    return [
        ("ELF", summary.elf),
        ("image", f"ELF{summary.elfclass} {summary.endian}-endian {summary.machine} "
                  f"{summary.type}"),
        ("build-id", summary.build_id or "(none)"),
        ("sha256", summary.sha256),
        ("compiler", extra.get("compiler") or "(not read)"),
        ("budgets", summary.budgets_path or "(none)"),
        ("date", extra.get("date") or report_date()),
        ("tool", f"membudget {__version__}"),
    ]


def script_json(data):
    """JSON for a <script> element: no '<' appears literally, so no '</script>'."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def escape(text):
    return html.escape(str(text), quote=True)


def provenance_html(items):
    cells = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
    return f'<dl id="provenance">{cells}</dl>'


def _totals_html(summary):
    head = "".join(f"<th>{k}</th>" for k in BUDGET_ORDER)
    rows = []
    for row in summary.components + summary.buckets + [summary.total]:
        cells = "".join(f"<td>{fmt_bytes(row.sizes.get(k))}</td>" for k in BUDGET_ORDER)
        rows.append(f'<tr class="{row.kind}"><th>{escape(row.name)}</th>{cells}</tr>')
    kib = "".join(f"<td>{fmt_kib(summary.total.sizes.get(k))}</td>" for k in BUDGET_ORDER)
    rows.append(f'<tr class="total"><th>total KiB</th>{kib}</tr>')
    return (f'<table id="totals"><thead><tr><th>owner (bytes)</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _bar(line):
    """One budget as a bar: used / budget, red when over."""
    if line.budget:
        width = min(100.0, line.used * 100 / line.budget)
    else:
        width = 100.0 if line.used else 0.0
    state = "over" if line.over else "ok"
    label = (f"{fmt_bytes(line.used)} / {fmt_bytes(line.budget)} B "
             f"({fmt_percent(line)})")
    return (f'<div class="bar {state}" data-owner="{escape(line.owner)}" data-class="{line.key}"'
            f' title="{escape(line.owner)} {line.key}: {escape(label)}">'
            f'<span class="key">{line.key}</span>'
            f'<span class="track"><span class="fill" style="width:{width:.1f}%"></span></span>'
            f'<span class="num">{escape(label)}</span></div>')


def _bars_html(summary):
    groups = []
    for owner, lines in [(r.name, r.budgets) for r in summary.components] + \
            [("image", summary.image_budgets)]:
        if not lines:
            continue
        over = " over" if any(line.over for line in lines) else ""
        bars = "".join(_bar(line) for line in lines)
        groups.append(f'<div class="budget{over}"><h3>{escape(owner)}</h3>{bars}</div>')
    if not groups:
        return '<p class="note">No budgets file: no budgets to show.</p>'
    return f'<div id="bars">{"".join(groups)}</div>'


def _stack_html(stack):
    """Each entry: its bound against budget and stack, and its deepest chain
    as one bar, a segment per frame (width by bytes)."""
    if stack is None:
        return ""
    groups = []
    for entry in stack.entries:
        lines = entry.lines()
        state = " over" if any(line.over for line in lines) else ""
        bound = (f"{fmt_bytes(entry.known)} B" if entry.bound is not None
                 else f"unbounded (&ge; {fmt_bytes(entry.known)} B known)")
        caps = []
        if entry.budget is not None:
            caps.append(f"budget {fmt_bytes(entry.budget)} B")
        if entry.stack_size is not None:
            caps.append(f"{escape(entry.stack)} {fmt_bytes(entry.stack_size)} B")
        if entry.measured is not None:
            caps.append(f"measured {fmt_bytes(entry.measured)} B")
        scale = max([entry.known, entry.budget or 0, entry.stack_size or 0, 1])
        segments = "".join(
            f'<span class="frame{" unknown" if link.kind is None else ""}" '
            f'style="width:{link.frame * 100 / scale:.2f}%" '
            f'title="{escape(link.function)}: {fmt_bytes(link.frame)} B'
            f'{" (" + escape(link.kind) + ")" if link.kind else " (unknown)"}">'
            f'{escape(link.function)}</span>' for link in entry.chain)
        unknowns = "".join(f"<li>{escape(u.text())}</li>" for u in entry.unknowns)
        groups.append(
            f'<div class="stack-entry{state}" data-entry="{escape(entry.name)}">'
            f'<h3>{escape(entry.name)}: {bound}'
            f'{" &mdash; " + ", ".join(caps) if caps else ""}</h3>'
            f'<div class="chain">{segments}</div>'
            + (f'<ul class="unknowns">{unknowns}</ul>' if unknowns else "") + "</div>")
    resolved = "".join(f"<li>{escape(text)}</li>" for text in stack.resolved)
    note = (f"{escape(stack.arch)}: "
            + (f"each frame includes the {stack.return_address} B return address of "
               "the call into it" if stack.return_address else
               "calls push no return address"))
    return (f'<section id="stack"><h2>Stack depth</h2><p class="note">{note}; a bar '
            f'is the deepest chain, a segment per frame.</p>{"".join(groups)}'
            + (f'<p class="note">Resolved in the budgets file:</p><ul>{resolved}</ul>'
               if resolved else "") + "</section>")


def page(title, body, data, script="report.js"):
    """The whole document: head with inline CSS, body, data, inline script.

    @v script   the asset that draws the page from data (history: history.js)
    """
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{escape(title)}</title>\n"
        f"<script>{_asset('errors.js')}</script>\n"
        f"<style>{_asset('report.css')}</style>\n"
        f"</head><body>\n{body}\n"
        '<pre id="selftest" hidden></pre>\n'
        f'<script type="application/json" id="membudget-data">{script_json(data)}</script>\n'
        f"<script>{_asset(script)}</script>\n"
        "</body></html>\n")


def treemap_html(legend=""):
    measures = "".join(f'<option value="{m}"{" selected" if m == "rom" else ""}>{m}</option>'
                       for m in ("rom", "ram") + CLASSES)
    return (
        '<section id="map"><h2>Treemap</h2>'
        '<div class="controls"><label>size <select id="measure">'
        f"{measures}</select></label>"
        f'{legend}<button id="zoom-out" type="button" hidden></button>'
        '<span id="map-note" class="note"></span></div>'
        '<div id="treemap-box"><svg id="treemap" role="img" '
        'aria-label="treemap: component, file, symbol"></svg>'
        '<div id="tooltip" hidden></div></div></section>')


def table_html(diff=False):
    cols = [("symbol", "symbol"), ("file", "file"), ("owner", "component")]
    cols += [("status", "status")] if diff else []
    cols += [(k, k) for k in BUDGET_ORDER]
    head = "".join(f'<th data-key="{k}" tabindex="0">{label}</th>' for k, label in cols)
    return (
        '<section id="symbols"><h2>Symbols</h2>'
        '<div class="controls"><input id="filter" type="search" '
        'placeholder="filter: symbol, file or component" size="40">'
        '<span id="table-note" class="note"></span></div>'
        f'<table id="symtab"><thead><tr>{head}</tr></thead><tbody></tbody></table>'
        '</section>')


def render(report, top=TOP_PER_FILE):
    """The report page.

    @v report       pipeline.Report; its pieces give the file and symbol
                    levels (None: one leaf per component), its compilers
                    the image's .comment strings (None: not read)
    @v top          symbols kept per file (the rest fold into one leaf)
    @ret str        the HTML document
    """
    summary, pieces, compilers = report.summary, report.pieces, report.compilers
    provenance = {"compiler": ("; ".join(compilers) if compilers else
                               "(no .comment section)" if compilers is not None else
                               "(not read)")}
    data = document(summary, pieces, provenance, top)
    name = data["image"]
    fold = (f"Symbols beyond the largest {top} of a file are folded into one "
            "'(N more symbols)' entry per file." if top is not None else "")
    body = (
        f'<header><h1>membudget: {escape(name)}</h1>'
        f'{provenance_html(data["provenance"])}</header>\n'
        f'{treemap_html()}\n'
        f'<section id="budgets"><h2>Budgets</h2>{_bars_html(summary)}</section>\n'
        f'{_stack_html(getattr(report, "stack", None))}\n'
        f'<section id="sizes"><h2>Sizes</h2>{_totals_html(summary)}</section>\n'
        f'{table_html()}\n'
        f'<footer class="note">1 KiB = 1024 bytes. rom = code + rodata + data; '
        f'ram = rom + bss. {escape(fold)}</footer>')
    return page(f"membudget: {name}", body, data)


# The diff page: the same treemap and table over changes
