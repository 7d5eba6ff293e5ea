"""render_csv: golden output and parseability."""

import csv
import io

import report_sample as sample
from membudget.analysis import summary
from membudget.analysis.pipeline import Report
from membudget.render import csv as render_csv


def test_golden_by_section():
    result = summary.summarize(sample.attribution(), sample.budgets(), by="section")
    sample.check_golden("report-section.csv", render_csv.render(Report(result)))


def test_rows_parse_and_sum():
    text = render_csv.render(Report(summary.summarize(sample.attribution(), sample.budgets(),
                                               by="symbol")))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == render_csv.HEADER
    owners = [r for r in rows if r["kind"] in ("component", "bucket")]
    total = next(r for r in rows if r["kind"] == "total")
    for cls in ("code", "rodata", "data", "bss", "rom", "ram"):
        assert sum(int(r[cls]) for r in owners) == int(total[cls])
    over = [r for r in rows if r["kind"] == "budget" and int(r["headroom"]) < 0]
    assert [(r["name"], r["class"], r["used"], r["budget"]) for r in over] == [
        ("heap", "code", "1104", "1024")]
    symbols = {r["name"]: r for r in rows if r["kind"] == "symbol"}
    assert symbols["malloc"]["owner"] == "heap" and symbols["malloc"]["code"] == "700"
