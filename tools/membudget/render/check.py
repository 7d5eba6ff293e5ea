"""Budget verdicts for `membudget check`, as text, GitHub annotations or JUnit.

A verdict is a summary.BudgetLine: every component budget and image cap
the budgets file sets, then the heap's lines (heapbudget.HeapReport.lines)
of the pipeline.Report.  A line whose class sets
`exact` (the heap pool) must equal its budget.  The exit status is 1 when
any budget is exceeded.
"""

from .fmt import fmt_bytes, fmt_excess_percent, fmt_percent, fmt_signed

# The roll-up's tables (rollup, markdown, text) are imported where they are
# drawn: the one-image verdict of `check`, make's, needs none of them

EXIT_OK = 0
EXIT_OVER = 1

FORMATS = ("text", "github", "junit", "markdown")


def _unit(line):
    """' B' after byte counts; a line counting something else sets `unit`."""
    unit = getattr(line, "unit", "B")
    return f" {unit}" if unit else ""


def excess_line(line):
    if hasattr(line, "verdict"):
        return line.verdict(fmt_bytes)
    return _excess_line(line)


def _excess_line(line):
    """The one-line verdict of an exceeded budget.

    heap: code 1,104 B > budget 1,024 B (+80 B, +7.8 %)
    A zero budget has no percentage: (+80 B).  An exact line:
    heap: pool 65,536 B != expected 131,072 B (-65,536 B)
    """
    unit = _unit(line)
    if getattr(line, "exact", False):
        return (f"{line.owner}: {line.key} {fmt_bytes(line.used)}{unit} != expected "
                f"{fmt_bytes(line.budget)}{unit} "
                f"({fmt_signed(line.used - line.budget)}{unit})")
    extra = f"{fmt_signed(line.excess)}{unit}"
    percent = fmt_excess_percent(line)
    if percent:
        extra += f", {percent}"
    return (f"{line.owner}: {line.key} {fmt_bytes(line.used)}{unit} > "
            f"budget {fmt_bytes(line.budget)}{unit} ({extra})")


def ok_line(line):
    """The one-line description of a budget within its limit."""
    if hasattr(line, "verdict"):
        return line.verdict(fmt_bytes)
    unit = _unit(line)
    if getattr(line, "exact", False):
        return (f"{line.owner}: {line.key} {fmt_bytes(line.used)}{unit} == expected "
                f"{fmt_bytes(line.budget)}{unit}")
    return (f"{line.owner}: {line.key} {fmt_bytes(line.used)}{unit} <= "
            f"budget {fmt_bytes(line.budget)}{unit} ({fmt_percent(line)})")


def exit_status(report):
    """0 when every budget holds (the heap's too), 1 when any is exceeded."""
    return EXIT_OVER if any(l.over for l in report.budget_lines()) else EXIT_OK


def _tally(report):
    lines = report.budget_lines()
    over = [l for l in lines if l.over]
    return lines, over, f"{len(lines)} budgets checked, {len(over)} exceeded"


def render_text(report):
    """One line per exceeded budget, then a tally naming the tightest budget."""
    summary = report.summary
    lines, over, tally = _tally(report)
    out = [excess_line(l) for l in over]
    tally = f"membudget check: {summary.elf}: {tally}"
    if lines and not over:
        tightest = max(lines, key=lambda l: l.ratio())
        tally += f" (tightest: {tightest.owner} {tightest.key} {fmt_percent(tightest)})"
    out.append(tally)
    return "\n".join(out) + "\n"


def _gh_escape(text, prop=False):
    """Escape a workflow command value (properties also escape ':' and ',')."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(report):
    """::error per exceeded budget and a ::notice tally (GitHub Actions)."""
    summary = report.summary
    lines, over, tally = _tally(report)
    out = []
    for line in over:
        title = _gh_escape(f"membudget: {line.owner} {line.key} over budget", prop=True)
        out.append(f"::error title={title}::{_gh_escape(excess_line(line))}")
    title = _gh_escape("membudget check", prop=True)
    out.append(f"::notice title={title}::{_gh_escape(summary.elf + ': ' + tally)}")
    return "\n".join(out) + "\n"


def _testcase(suite, classname, line):
    import xml.etree.ElementTree as ET  # only JUnit needs it: imported on use
    """One JUnit test case for a budget line: a failure when it is exceeded."""
    case = ET.SubElement(suite, "testcase", {"classname": classname, "name": line.key,
                                             "time": "0"})
    if line.over:
        failure = ET.SubElement(case, "failure", {"message": excess_line(line),
                                                  "type": "over-budget"})
        failure.text = excess_line(line)
    else:
        ET.SubElement(case, "system-out").text = ok_line(line)


def render_junit(report):
    import xml.etree.ElementTree as ET  # only JUnit needs it: imported on use
    """A JUnit XML document: one testcase per component budget and image cap."""
    summary = report.summary
    lines, over, _ = _tally(report)
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", {
        "name": f"membudget.{summary.image_name or 'image'}",
        "tests": str(len(lines)), "failures": str(len(over)),
        "errors": "0", "skipped": "0"})
    for line in lines:
        _testcase(suite, f"membudget.{line.owner}", line)
    ET.indent(suites)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(suites, encoding="unicode") + "\n")


def render_markdown(report):
    """One image as a one-row roll-up (for a job summary)."""
    from ..analysis import rollup
    summary = report.summary
    return render_images_markdown([rollup.row(summary.image_name or summary.elf,
                                              summary.elf, summary.budgets_path, report)])


RENDERERS = {"text": render_text, "github": render_github, "junit": render_junit,
             "markdown": render_markdown}


# Several images (`check A.toml B.toml`): analysis/rollup.py's rows

ROLLUP_HEADER = ["image", "rom", "ram", "regions", "tightest budget", "verdict"]
#: The roll-up's text width: one row per image reads better than cut cells
ROLLUP_WIDTH = 160


def _cell(cell):
    """'6,346 / 6,656 B (95.3 %)', or '6,346 B' without a limit."""
    if cell.limit is None:
        return f"{fmt_bytes(cell.used)} B"
    ratio = cell.ratio()
    percent = "-" if ratio == float("inf") else f"{ratio * 100:,.1f} %"
    return f"{fmt_bytes(cell.used)} / {fmt_bytes(cell.limit)} B ({percent})"


def _rollup_rows(rows, region_rows=False):
    """One row per image; region_rows: each region after the first on a row
    of its own below (text), else all in one cell (markdown)."""
    out = []
    for row in rows:
        tightest = row.tightest()
        over = row.over()
        regions = [f"{name} {_cell(cell)}" for name, cell in row.regions]
        first = regions[:1] if region_rows else ["; ".join(regions)] if regions else []
        out.append([row.name, _cell(row.rom), _cell(row.ram), (first or ["-"])[0],
                    f"{tightest.owner} {tightest.key} {fmt_percent(tightest)}"
                    if tightest else "-",
                    f"{len(over)} exceeded" if over else "ok"])
        if region_rows:
            out += [["", "", "", region, "", ""] for region in regions[1:]]
    return out


def _images_tally(rows):
    lines = sum(len(r.lines()) for r in rows)
    over = sum(len(r.over()) for r in rows)
    images = f"{len(rows)} image{'s' if len(rows) != 1 else ''}"
    return f"{images}, {lines} budgets checked, {over} exceeded"


def render_images_text(rows):
    """The roll-up table, every exceeded budget (image: line), then a tally."""
    from .text import table as text_table
    out = text_table(ROLLUP_HEADER, _rollup_rows(rows, region_rows=True), "lrrlll",
                     width=ROLLUP_WIDTH)
    over = [f"{row.name}: {excess_line(line)}" for row in rows for line in row.over()]
    if over:
        out += [""] + over
    out.append(f"membudget check: {_images_tally(rows)}")
    return "\n".join(out) + "\n"


def render_images_markdown(rows):
    """The roll-up as a markdown table (a CI job summary), exceeded lines below."""
    over = [f"- :x: `{row.name}`: {excess_line(line)}" for row in rows
            for line in row.over()]
    mark = ":x:" if over else ":white_check_mark:"
    out = ["### membudget check", "", f"{mark} {_images_tally(rows)}", ""]
    from .markdown import _table as md_table
    out += md_table(ROLLUP_HEADER, _rollup_rows(rows), "lrrlll")
    if over:
        out += [""] + over
    return "\n".join(out) + "\n"


def render_images_github(rows):
    """::error per exceeded budget, titled with its image; one ::notice tally."""
    out = []
    for row in rows:
        for line in row.over():
            title = _gh_escape(f"membudget: {row.name}: {line.owner} {line.key} over budget",
                               prop=True)
            out.append(f"::error title={title}::{_gh_escape(row.name + ': ' + excess_line(line))}")
    title = _gh_escape("membudget check", prop=True)
    out.append(f"::notice title={title}::{_gh_escape(_images_tally(rows))}")
    return "\n".join(out) + "\n"


def render_images_junit(rows):
    """One test suite per image (membudget.<image>), one test case per budget."""
    import xml.etree.ElementTree as ET  # only JUnit needs it: imported on use
    suites = ET.Element("testsuites")
    for row in rows:
        lines, over = row.lines(), row.over()
        suite = ET.SubElement(suites, "testsuite", {
            "name": f"membudget.{row.name}", "tests": str(len(lines)),
            "failures": str(len(over)), "errors": "0", "skipped": "0"})
        for line in lines:
            _testcase(suite, f"membudget.{row.name}.{line.owner}", line)
    ET.indent(suites)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(suites, encoding="unicode") + "\n")


IMAGE_RENDERERS = {"text": render_images_text, "github": render_images_github,
                   "junit": render_images_junit, "markdown": render_images_markdown}
