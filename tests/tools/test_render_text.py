"""render_text: golden output, column alignment and the 100-column limit."""

import report_sample as sample
from membudget.analysis import summary
from membudget.analysis.pipeline import Report
from membudget.render import text as render_text
from membudget.model import CLASSES, Piece


def test_golden_components():
    result = summary.summarize(sample.attribution(), sample.budgets())
    sample.check_golden("report.txt", render_text.render(Report(result)))


def test_golden_by_symbol():
    result = summary.summarize(sample.attribution(), sample.budgets(), by="symbol", top=2)
    sample.check_golden("report-symbol.txt", render_text.render(Report(result)))


def test_without_budgets_has_no_budget_table():
    text = render_text.render(Report(summary.summarize(sample.attribution())))
    assert "KiB used / budget" not in text
    assert "heap" in text and "[unattributed]" in text


def test_long_names_and_huge_numbers_fit_100_columns():
    long_name = "a_very_long_component_name_" * 3
    attribution = sample.attribution()
    pieces = [p._replace(component=long_name, symbol="_ZN9namespace5Class6methodEv" * 4,
                         size=p.size * 1000)
              if p.component else p for p in attribution.pieces]
    attribution.pieces = pieces
    # Every component now has the long name: one row, the sum of them all
    sums = {cls: sum(p.size for p in pieces if p.component and p.cls == cls)
            for cls in CLASSES}
    rom = sums["code"] + sums["rodata"] + sums["data"]
    figures = [f"{n:,}" for n in (*(sums[c] for c in CLASSES), rom, rom + sums["bss"])]
    assert len(figures[-1]) > 10                     # 133,405,000: a huge number
    for by in summary.BY_CHOICES:
        text = render_text.render(Report(summary.summarize(attribution, by=by)))
        assert max(len(line) for line in text.splitlines()) <= render_text.WIDTH
        # The name gives way (cut, marked ~); every figure stays whole
        row = next(line for line in text.splitlines() if line.startswith(long_name[:20]))
        name, *numbers = row.split()
        assert name.endswith("~") and long_name.startswith(name[:-1]), by
        assert numbers == figures, by


def test_columns_are_aligned():
    lines = render_text.render(Report(summary.summarize(sample.attribution()))).splitlines()
    start = lines.index(next(l for l in lines if l.startswith("component")))
    table = lines[start:start + 10]
    # Right-aligned numbers: every row of the sizes table has the same length
    assert len({len(line) for line in table}) == 1, table


def test_bytes_have_thousands_separators_and_kib():
    text = render_text.render(Report(summary.summarize(sample.attribution(), sample.budgets())))
    assert "131,072" in text
    assert "128.00 / 132.00" in text       # heap bss used / budget in KiB


def test_zero_budget():
    attribution = sample.attribution()
    attribution.pieces.append(Piece(".text", "code", 0, 0, "dma", None, None))
    budgets = sample.budgets()
    budgets.components[1] = budgets.components[1].replace(budgets={"bss": 0})
    text = render_text.render(Report(summary.summarize(attribution, budgets)))
    assert "0.0 %" in text
