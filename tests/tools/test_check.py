"""check.py: verdict lines, exit status and the text/GitHub/JUnit formats."""

import xml.etree.ElementTree as ET

import report_sample as sample
from membudget.analysis import summary
from membudget.analysis.pipeline import Report
from membudget.render import check
from membudget.analysis.summary import BudgetLine


def _summary(heap_code=1024, **image):
    budgets = sample.budgets(heap_code)
    budgets.image.update(image)
    return summary.summarize(sample.attribution(), budgets)


def test_issue_example_line():
    line = BudgetLine("heap", "code", 1104, 1024)
    assert check.excess_line(line) == "heap: code 1,104 B > budget 1,024 B (+80 B, +7.8 %)"


def test_one_byte_too_small_fails():
    result = _summary(heap_code=1103)
    assert check.exit_status(Report(result)) == check.EXIT_OVER
    assert check.render_text(Report(result)).splitlines()[0] == (
        "heap: code 1,104 B > budget 1,103 B (+1 B, +0.1 %)")


def test_exact_budget_passes():
    result = _summary(heap_code=1104)
    assert check.exit_status(Report(result)) == check.EXIT_OK
    text = check.render_text(Report(result))
    assert text == ("membudget check: build/firmware.elf: 6 budgets checked, 0 exceeded "
                    "(tightest: heap code 100.0 %)\n")


def test_image_caps_are_checked():
    result = _summary(heap_code=2000, rom=2411)
    assert check.render_text(Report(result)).splitlines() == [
        "image: rom 2,412 B > budget 2,411 B (+1 B, +0.0 %)",
        "membudget check: build/firmware.elf: 6 budgets checked, 1 exceeded"]


def test_zero_budget_line_has_no_percentage():
    line = BudgetLine("dma", "bss", 16, 0)
    assert check.excess_line(line) == "dma: bss 16 B > budget 0 B (+16 B)"
    assert not BudgetLine("dma", "bss", 0, 0).over


def test_every_exceeded_budget_gets_a_line():
    budgets = sample.budgets(1)
    budgets.components[0] = budgets.components[0].replace(
        budgets={"code": 1, "rodata": 1, "bss": 1})
    result = summary.summarize(sample.attribution(), budgets)
    lines = check.render_text(Report(result)).splitlines()
    assert lines[:3] == [
        "heap: code 1,104 B > budget 1 B (+1,103 B, +110,300.0 %)",
        "heap: rodata 24 B > budget 1 B (+23 B, +2,300.0 %)",
        "heap: bss 131,072 B > budget 1 B (+131,071 B, +13,107,100.0 %)"]
    assert lines[3].endswith("6 budgets checked, 3 exceeded")


def test_github_annotations_escape_percent():
    lines = check.render_github(Report(_summary())).splitlines()
    assert lines == [
        "::error title=membudget%3A heap code over budget::"
        "heap: code 1,104 B > budget 1,024 B (+80 B, +7.8 %25)",
        "::notice title=membudget check::build/firmware.elf: 6 budgets checked, 1 exceeded"]


def test_junit_one_case_per_budget():
    root = ET.fromstring(check.render_junit(Report(_summary())))
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("membudget.heap", "code"), ("membudget.heap", "rodata"), ("membudget.heap", "bss"),
        ("membudget.dma", "rom"), ("membudget.image", "rom"), ("membudget.image", "ram")]
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == 1 and suite.get("failures") == "1" and suite.get("tests") == "6"
    assert failed[0].find("failure").get("message") == (
        "heap: code 1,104 B > budget 1,024 B (+80 B, +7.8 %)")


def test_no_budgets_at_all():
    result = summary.summarize(sample.attribution())
    assert check.exit_status(Report(result)) == check.EXIT_OK
    assert check.render_text(Report(result)) == (
        "membudget check: build/firmware.elf: 0 budgets checked, 0 exceeded\n")
