"""Render a Summary as aligned text for people (at most 100 columns)."""

import textwrap

from .. import __version__
from ..analysis.summary import BUDGET_ORDER
from ..model import CLASSES
from .fmt import (REGION_HEADER, class_note, fmt_bytes, fmt_kib, fmt_percent, fmt_signed,
                  region_rows)

WIDTH = 100


def _fit(text, width):
    """Cut text to width, marking the cut with '~'."""
    return text if len(text) <= width else text[:width - 1] + "~"


def table(header, rows, align=None, width=WIDTH):
    """Align rows under header in at most width columns.

    @v align    "l" or "r" per column (default: first left, rest right);
                text columns are shortened when the table is too wide
    @ret lines  list of strings without trailing blanks
    """
    align = align or "l" + "r" * (len(header) - 1)
    rows = [header] + rows
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    spare = width - (sum(widths) + 2 * (len(widths) - 1))
    # Too wide: shorten the text columns, first one first, to at least 12
    for i in (i for i, a in enumerate(align) if a == "l"):
        if spare >= 0:
            break
        cut = min(-spare, max(0, widths[i] - max(len(header[i]), 12)))
        widths[i] -= cut
        spare += cut
    lines = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cell = _fit(cell, widths[i])
            cells.append(cell.ljust(widths[i]) if align[i] == "l" else cell.rjust(widths[i]))
        lines.append("  ".join(cells).rstrip())
    return lines


def _size_cells(sizes, keys=BUDGET_ORDER):
    return [fmt_bytes(sizes.get(k)) for k in keys]


def _heading(summary):
    kind = f"ELF{summary.elfclass} {summary.endian}-endian {summary.machine} {summary.type}"
    lines = [f"membudget {__version__} report: {summary.elf}",
             f"  image     {kind}",
             f"  build-id  {summary.build_id or '(none)'}",
             f"  sha256    {summary.sha256}"]
    if summary.budgets_path:
        lines.append(f"  budgets   {summary.budgets_path} (image '{summary.image_name}')")
    return lines


def _sizes_table(summary):
    rows = [[r.name] + _size_cells(r.sizes) for r in summary.components + summary.buckets]
    rows.append(["total"] + _size_cells(summary.total.sizes))
    rows.append(["total KiB"] + [fmt_kib(summary.total.sizes.get(k)) for k in BUDGET_ORDER])
    header = ["component (bytes)", *BUDGET_ORDER]
    if summary.graph is not None:
        # what would leave with each component (its bytes and what only it keeps)
        header.append("retained")
        for row, comp in zip(rows, summary.components):
            row.append(fmt_bytes(comp.retained) if comp.retained is not None else "-")
        for row in rows[len(summary.components):]:
            row.append("")
    return table(header, rows)


def _budget_table(summary):
    rows = []
    previous = None
    for line in summary.budget_lines():
        owner = line.owner if line.owner != previous else ""
        previous = line.owner
        rows.append([owner, line.key, fmt_bytes(line.used), fmt_bytes(line.budget),
                     fmt_signed(line.headroom), fmt_percent(line),
                     f"{fmt_kib(line.used)} / {fmt_kib(line.budget)}",
                     "OVER" if line.over else ""])
    if not rows:
        return []
    header = ["budget", "class", "used", "budget", "headroom", "% used",
              "KiB used / budget", ""]
    return [""] + table(header, rows, "llrrrrrl")


def _regions(summary):
    if not summary.regions:
        return []
    return [""] + table(REGION_HEADER, region_rows(summary), "lrrrrr")


def _sources(summary):
    unavailable = dict(summary.unavailable)
    rows = []
    for name, size in summary.sources:
        note = f"unavailable: {unavailable.pop(name)}" if name in unavailable else ""
        rows.append([name, fmt_bytes(size), note])
    rows += [[name, "-", f"unavailable: {why}"] for name, why in unavailable.items()]
    lines = table(["attribution source", "bytes", ""], rows, "lrl")
    if summary.class_sources:
        lines.append(class_note(summary))
    lines += graph_lines(summary)
    return [""] + [_fit(line, WIDTH) for line in lines]


def graph_lines(summary):
    """The reference graph behind the retained sizes, or why there is none."""
    if summary.graph_unavailable:
        return textwrap.wrap(f"retained sizes unavailable: {summary.graph_unavailable}",
                             WIDTH, subsequent_indent="  ")
    info = summary.graph
    if info is None:
        return []
    kinds = {}
    for kind, what in info["roots"]:
        kinds.setdefault(kind, []).append(what)
    roots = "; ".join(f"{kind} {', '.join(dict.fromkeys(whats[:3]))}" if len(whats) <= 3 else
                      f"{kind} {fmt_bytes(len(whats))} ({', '.join(whats[:2])}, ...)"
                      for kind, whats in kinds.items())
    lines = [f"retained sizes: reference graph from {info['source']} "
             f"({fmt_bytes(info['nodes'])} sections, {fmt_bytes(info['edges'])} references)"]
    for text in [f"read: {info['detail']}", f"roots: {roots or 'none'}"] + \
            [f"note: {note}" for note in info["notes"]]:
        lines += textwrap.wrap(text, WIDTH - 2, initial_indent="  ",
                               subsequent_indent="    ")
    return lines


def _details(summary):
    if summary.by == "component":
        return []
    rows = [[d.demangled or d.key, d.owner] + _size_cells(d.sizes, CLASSES + ("total",))
            for d in summary.details]
    header = [summary.by, "component", *CLASSES, "total"]
    if not rows:
        return ["", f"(no {summary.by} detail)"]
    if summary.graph is not None and summary.by == "symbol":
        header.append("retained")
        for row, d in zip(rows, summary.details):
            row.append(fmt_bytes(d.retained) if d.retained is not None else "-")
    return [""] + table(header, rows, "ll" + "r" * (len(header) - 2))


def heap_pool(heap):
    """The pool sentence of the heap section (text and markdown)."""
    if heap.pool is None:
        text = (f"expected {fmt_bytes(heap.pool_budget)} B "
                f"({fmt_kib(heap.pool_budget)} KiB), not measured by heapsim")
    else:
        text = f"{fmt_bytes(heap.pool)} B ({fmt_kib(heap.pool)} KiB)"
        if heap.pool_budget is not None:
            text += (", as expected" if heap.pool == heap.pool_budget else
                     f", expected {fmt_bytes(heap.pool_budget)} B: MISMATCH")
    if heap.symbol_size is not None:
        text += f"; {heap.symbol} in the ELF {fmt_bytes(heap.symbol_size)} B"
        if heap.symbol_size != heap.pool_budget:
            text += ": MISMATCH"
    return text


def heap_rows(heap):
    """One row per [heap.traces] entry: figures, or '-' when not run."""
    rows = []
    for result in heap.results:
        trace, stats = result.trace, result.stats
        cap = "" if trace.failures is None else f" / {fmt_bytes(trace.failures)}"
        if stats is None:
            failures = "-" + cap
            rows.append([trace.name, "-", fmt_bytes(trace.peak), "-", "-",
                         failures, "-", "not run"])
            continue
        line = result.peak_line()
        rows.append([trace.name, fmt_bytes(line.used), fmt_bytes(line.budget),
                     fmt_signed(line.headroom), fmt_percent(line),
                     fmt_bytes(stats["failures"]) + cap, fmt_bytes(stats["ops"]),
                     "OVER" if result.over else ""])
    return rows


HEAP_HEADER = ["heap trace", "peak used", "budget", "headroom", "% used",
               "failures / cap", "ops", ""]


def _heap(heap):
    if heap is None:
        return []
    lines = ["", f"heap pool  {heap_pool(heap)}"] if heap.pool_budget is not None \
        or heap.pool is not None else [""]
    rows = heap_rows(heap)
    if rows:
        lines += table(HEAP_HEADER, rows, "lrrrrrrl")
    return lines


STACK_HEADER = ["stack entry", "bound", "budget", "headroom", "% used", "stack",
                "measured", ""]


def stack_note(stack):
    """What the frames count, per architecture (text and markdown)."""
    if stack.return_address:
        return (f"{stack.arch}: a call pushes a {stack.return_address} B return "
                "address, counted in the frame of the function called (as gcc "
                "counts it)")
    return f"{stack.arch}: calls push no return address (it goes to a register)"


def _bound(entry):
    return fmt_bytes(entry.known) if entry.bound is not None else \
        f"unbounded >= {fmt_bytes(entry.known)}"


def stack_rows(stack):
    """One row per [stack.entries] entry."""
    rows = []
    for e in stack.entries:
        bounded = e.bound is not None
        budget = "-" if e.budget is None else fmt_bytes(e.budget)
        headroom = (fmt_signed(e.budget - e.known) if bounded and e.budget is not None
                    else "-")
        percent = (f"{e.known * 100 / e.budget:,.1f} %" if bounded and e.budget
                   else "-")
        where = (f"{e.stack} {fmt_bytes(e.stack_size)}" if e.stack_size is not None
                 else "-")
        measured = "-" if e.measured is None else fmt_bytes(e.measured)
        over = any(line.over for line in e.lines())
        rows.append([e.name, _bound(e), budget, headroom, percent, where, measured,
                     "OVER" if over else ""])
    return rows


def stack_chain(entry):
    """The deepest chain, each frame with its size: 'a 20 > b 32 (assumed)'."""
    parts = []
    for link in entry.chain:
        note = {"assumed": " assumed", None: " unknown"}.get(link.kind, "")
        parts.append(f"{link.function} {fmt_bytes(link.frame)}{note}")
    return " > ".join(parts)


def stack_unknowns(stack):
    """Lines: every unknown, resolved or not, and what resolves it."""
    from_entries = {u for e in stack.entries for u in e.unknowns}
    lines = [f"unknown: {u.text()} -> unresolved, reached from an entry "
             f"(resolve in [{RESOLVE_KEYS[u.kind]}])" for u in stack.unknowns
             if u in from_entries]
    lines += [f"resolved: {text}" for text in stack.resolved]
    return lines


#: How each unknown kind is resolved (analysis.stack.RESOLVE, by kind name)
RESOLVE_KEYS = {"recursion": "stack.recursion", "indirect": "stack.indirect",
                "dynamic": "stack.assume", "no stack data": "stack.assume",
                "outside image": "stack.assume"}


def _stack(stack):
    if stack is None:
        return []
    lines = ["", f"stack depth ({stack_note(stack)})"]
    lines += table(STACK_HEADER, stack_rows(stack), "lrrrrrrl")
    for entry in stack.entries:
        lines.append(f"  {entry.name}: {stack_chain(entry)}")
    lines += [f"  {line}" for line in stack_unknowns(stack)]
    return lines


def render(report):
    """The whole report (pipeline.Report) as one string."""
    summary, heap = report.summary, report.heap
    lines = _heading(summary) + [""]
    lines += _sizes_table(summary)
    lines += _budget_table(summary)
    lines += _regions(summary)
    lines += _heap(heap)
    lines += _stack(report.stack)
    lines += _details(summary)
    lines += _sources(summary)
    lines += [f"warning: {w}" for w in summary.warnings]
    return "\n".join(lines) + "\n"
