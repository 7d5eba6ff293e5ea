"""Render a Summary as GitHub-flavoured markdown (pull-request comments)."""

from ..analysis.summary import BUDGET_ORDER
from ..model import CLASSES
from .fmt import (REGION_HEADER, class_note, fmt_bytes, fmt_kib, fmt_percent, fmt_signed,
                  region_rows)
from .text import (HEAP_HEADER, STACK_HEADER, heap_pool, heap_rows, stack_chain,
                   stack_note, stack_rows, stack_unknowns)


def _cell(text):
    return str(text).replace("|", "\\|")


def _table(header, rows, align):
    """A markdown table; align is "l" or "r" per column."""
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |",
             "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _sizes(summary):
    rows = [[f"`{r.name}`" if r.kind == "component" else r.name]
            + [fmt_bytes(r.sizes.get(k)) for k in BUDGET_ORDER]
            for r in summary.components + summary.buckets]
    total = summary.total.sizes
    rows.append(["**total**"] + [f"**{fmt_bytes(total.get(k))}**" for k in BUDGET_ORDER])
    rows.append(["total KiB"] + [fmt_kib(total.get(k)) for k in BUDGET_ORDER])
    return _table(["component (bytes)", *BUDGET_ORDER], rows, "l" + "r" * 6)


def _budgets(summary):
    rows = [[line.owner, line.key, fmt_bytes(line.used), fmt_bytes(line.budget),
             fmt_signed(line.headroom), fmt_percent(line),
             f"{fmt_kib(line.used)} / {fmt_kib(line.budget)}",
             ":x: over" if line.over else "ok"]
            for line in summary.budget_lines()]
    if not rows:
        return []
    header = ["budget", "class", "used", "budget", "headroom", "% used",
              "KiB used / budget", ""]
    return ["", "### Budgets", ""] + _table(header, rows, "llrrrrrl")


def _details(summary):
    if summary.by == "component":
        return []
    rows = [[f"`{d.demangled or d.key}`", d.owner] + [fmt_bytes(d.sizes.get(k)) for k in CLASSES]
            + [fmt_bytes(d.sizes.total)] for d in summary.details]
    header = [summary.by, "component", *CLASSES, "total"]
    return ["", f"### By {summary.by}", ""] + _table(header, rows, "llrrrrr")


def _sources(summary):
    unavailable = dict(summary.unavailable)
    rows = [[name, fmt_bytes(size), unavailable.pop(name, "")]
            for name, size in summary.sources]
    rows += [[name, "-", why] for name, why in unavailable.items()]
    lines = ["", "### Attribution sources", ""] + _table(
        ["source", "bytes", "unavailable because"], rows, "lrl")
    return lines + (["", class_note(summary)] if summary.class_sources else [])


def _regions(summary):
    if not summary.regions:
        return []
    return ["", "### Memory regions", ""] + _table(REGION_HEADER, region_rows(summary),
                                                    "lrrrrr")


def _heap(heap):
    if heap is None:
        return []
    lines = ["", "### Heap", ""]
    if heap.pool_budget is not None or heap.pool is not None:
        lines += [f"Heap pool: {heap_pool(heap)}", ""]
    rows = heap_rows(heap)
    if rows:
        rows = [[f"`{row[0]}`", *row[1:-1], ":x: over" if row[-1] == "OVER"
                 else row[-1] or "ok"] for row in rows]
        lines += _table(HEAP_HEADER, rows, "lrrrrrrl")
    return lines


def _stack(stack):
    if stack is None:
        return []
    rows = [[f"`{row[0]}`", *row[1:-1], ":x: over" if row[-1] == "OVER" else "ok"]
            for row in stack_rows(stack)]
    lines = ["", "### Stack depth", "", stack_note(stack) + ".", ""]
    lines += _table(STACK_HEADER, rows, "lrrrrrrl")
    lines += [""] + [f"- `{e.name}`: {_cell(stack_chain(e))}" for e in stack.entries]
    lines += [f"- {_cell(line)}" for line in stack_unknowns(stack)]
    return lines


def render(report):
    """The report (pipeline.Report) as GitHub-flavoured markdown."""
    summary, heap = report.summary, report.heap
    build_id = f"`{summary.build_id}`" if summary.build_id else "none"
    lines = [f"## membudget report: `{summary.elf}`", "",
             f"ELF{summary.elfclass} {summary.endian}-endian {summary.machine} "
             f"{summary.type}, build-id {build_id}, sha256 `{summary.sha256}`"]
    if summary.budgets_path:
        lines[-1] += f", budgets `{summary.budgets_path}`"
    lines += [""] + _sizes(summary)
    lines += _budgets(summary) + _regions(summary) + _heap(heap)
    lines += _stack(getattr(report, "stack", None)) + _details(summary)
    lines += _sources(summary)
    if summary.warnings:
        lines += ["", "### Warnings", ""] + [f"- {w}" for w in summary.warnings]
    return "\n".join(lines) + "\n"
