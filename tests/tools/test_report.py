"""`membudget report` with several formats: one analysis, one file each.

Each file must be byte for byte what the same format alone prints, and
the image must be read and attributed once for all of them.
"""

import re

import pytest

from cli_helpers import HEAP_AND_OTHER, assert_bad_input, run, write_budgets
from membudget.analysis import pipeline
from membudget.commands import report

FORMATS = ("json", "markdown", "html", "junit", "csv")
STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?( UTC)?")


def test_every_format_equals_its_own_run(fw, tmp_path):
    budgets = write_budgets(tmp_path, HEAP_AND_OTHER)
    out = tmp_path / "out"
    common = (fw.elf, "-b", budgets, "--map", fw.map)
    proc = run("report", *common, "--format", ",".join(FORMATS), "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(report.FILES[f] for f in FORMATS)
    for fmt in FORMATS:
        alone = run("report", *common, "--format", fmt)
        written = (out / report.FILES[fmt]).read_text()
        if fmt == "html":
            # the page names the moment it was made
            alone.stdout, written = (STAMP.sub("(date)", s) for s in (alone.stdout, written))
        assert written == alone.stdout, fmt


def test_one_analysis_for_all_formats(fw, tmp_path, monkeypatch):
    calls = []
    real = pipeline.analyze
    monkeypatch.setattr(pipeline, "analyze", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert report.run(str(fw.elf), fmt="json,markdown,html", out=str(tmp_path / "d")) == 0
    assert len(calls) == 1


@pytest.mark.parametrize("target", ["-", None, "file"])
def test_several_formats_need_a_directory(fw, tmp_path, target):
    args = ["report", fw.elf, "--format", "json,markdown"]
    if target == "file":
        (tmp_path / "f").write_text("keep")
        args += ["-o", tmp_path / "f"]
    elif target:
        args += ["-o", target]
    proc = run(*args)
    assert_bad_input(proc, "several formats need")
    if target == "file":
        assert (tmp_path / "f").read_text() == "keep"
