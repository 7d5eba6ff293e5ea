"""render_markdown: golden output and table shape."""

import report_sample as sample
from membudget.analysis import summary
from membudget.analysis.pipeline import Report
from membudget.render import markdown as render_markdown


def test_golden_components():
    result = summary.summarize(sample.attribution(), sample.budgets())
    sample.check_golden("report.md", render_markdown.render(Report(result)))


def test_golden_by_file():
    result = summary.summarize(sample.attribution(), sample.budgets(), by="file")
    sample.check_golden("report-file.md", render_markdown.render(Report(result)))


def test_every_table_row_has_the_header_column_count():
    text = render_markdown.render(Report(summary.summarize(sample.attribution(), sample.budgets(),
                                                    by="symbol")))
    tables = [block.splitlines() for block in text.split("\n\n")
              if block.startswith("|")]
    assert len(tables) == 4
    for rows in tables:
        widths = {row.replace("\\|", "").count("|") for row in rows}
        assert len(widths) == 1, rows


def test_pipe_in_a_name_is_escaped():
    attribution = sample.attribution()
    attribution.unavailable = {"dwarf": "no .debug_info | stripped"}
    text = render_markdown.render(Report(summary.summarize(attribution)))
    assert "no .debug_info \\| stripped" in text
