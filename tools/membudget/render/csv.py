"""Render a Summary as CSV: one table, a `kind` column tells rows apart.

kind is component, bucket, total, budget (one per budget applied: name is
the component or "image", class/used/budget/headroom are set) or, with
--by, file, symbol or section (owner is the component).  Sizes in bytes.
"""

import csv
import io

from ..analysis.summary import BUDGET_ORDER

HEADER = ["kind", "name", "owner", *BUDGET_ORDER, "class", "used", "budget", "headroom"]


def render(report):
    """The report as CSV: owners, budget lines, then the detail rows."""
    summary = report.summary
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER)
    blank_budget = [""] * 4
    for row in summary.components + summary.buckets + [summary.total]:
        sizes = [row.sizes.get(k) for k in BUDGET_ORDER]
        writer.writerow([row.kind, row.name, ""] + sizes + blank_budget)
    for line in summary.budget_lines():
        writer.writerow(["budget", line.owner, ""] + [""] * len(BUDGET_ORDER)
                        + [line.key, line.used, line.budget, line.headroom])
    for d in summary.details:
        sizes = [d.sizes.get(k) for k in BUDGET_ORDER]
        writer.writerow([summary.by, d.key, d.owner] + sizes + blank_budget)
    return buf.getvalue()
