"""history: ordering by provenance, least-squares estimates, the charts."""

import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest

from membudget import cli
from membudget.analysis import history
from membudget.render import history as render_history

DAY = 86400
T0 = 1_700_000_000      # 2023-11-14 22:13:20 UTC


def snapshot_doc(code, bss=1000, commit=None, image_rom=None, heap_code=None):
    """A minimal valid snapshot: one component 'heap' holding every byte."""
    sizes = {"code": code, "rodata": 0, "data": 0, "bss": bss}
    row = dict(sizes, rom=code, ram=code + bss)
    budgets = [{"class": "code", "used": code, "budget": heap_code, "headroom": 0,
                "over": code > heap_code}] if heap_code is not None else []
    image = [{"class": "rom", "used": code, "budget": image_rom, "headroom": 0,
              "over": code > image_rom}] if image_rom is not None else []
    return {"schema": 1, "kind": "snapshot", "elf": {"path": "fw.elf", "build_id": None,
                                                     "sha256": "00" * 32},
            "budgets": {"path": "b.toml", "name": "fw"}, "totals": dict(row),
            "image_budgets": image, "components": [dict(row, name="heap", budgets=budgets)],
            "buckets": [], "sources": [], "unavailable": [], "warnings": [],
            "provenance": {"git": {"commit": commit, "dirty": False} if commit else None,
                           "compilers": [], "budgets_sha256": None},
            "symbols": []}


def write(path, doc, mtime=None):
    path.write_text(json.dumps(doc))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def series_of(result, owner, key):
    return next(s for s in result.series if (s.owner, s.key) == (owner, key))


def test_fit_is_least_squares():
    assert history.fit([0, 1, 2], [1, 3, 5]) == (1, 2)
    a, b = history.fit([0, 1, 2, 3], [0, 2, 1, 3])
    assert (round(a, 9), round(b, 9)) == (0.3, 0.8)
    assert history.fit([5], [1]) is None
    assert history.fit([5, 5], [1, 2]) is None


def test_estimate_date_where_trend_meets_budget(tmp_path):
    # code grows 10 B/day from 100; the budget of 150 is met on day 5
    files = [write(tmp_path / f"s{i}.json", snapshot_doc(100 + 10 * i, heap_code=150),
                   mtime=T0 + i * DAY) for i in range(3)]
    points = history.load(files)
    s = series_of(points, "heap", "code")
    assert s.trend.hit == pytest.approx(T0 + 5 * DAY)
    assert s.trend.verdict == "2023-11-19 (in 3.0 days)"
    assert s.trend.slope * DAY == pytest.approx(10)


@pytest.mark.parametrize("codes, verdict", [
    ((100, 100, 100), "never (flat or shrinking)"),
    ((120, 110, 100), "never (flat or shrinking)"),
    ((100, 140, 160), "over budget now"),
    ((100,), "one point in time: no trend"),
])
def test_estimate_verdicts(tmp_path, codes, verdict):
    files = [write(tmp_path / f"s{i}.json", snapshot_doc(c, heap_code=150),
                   mtime=T0 + i * DAY) for i, c in enumerate(codes)]
    assert series_of(history.load(files), "heap", "code").trend.verdict == verdict


def test_no_budget_no_estimate(tmp_path):
    files = [write(tmp_path / f"s{i}.json", snapshot_doc(100 + i), mtime=T0 + i * DAY)
             for i in range(2)]
    points = history.load(files)
    assert series_of(points, "heap", "ram").trend.verdict == "no budget"
    # Unbudgeted classes are not charted; rom and ram always are
    keys = {(s.owner, s.key) for s in points.series}
    assert keys == {("image", "rom"), ("image", "ram"), ("heap", "rom"), ("heap", "ram")}


def _git(repo, *args, date=None):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid")
    if date is not None:
        env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"] = f"@{date} +0000"
    return subprocess.run(["git", "-C", str(repo), *args], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_ordered_by_commit_date_not_name_or_mtime(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    commits = []
    for day in (0, 1, 2):
        _git(repo, "commit", "-q", "--allow-empty", "-m", f"day {day}", date=T0 + day * DAY)
        commits.append(_git(repo, "rev-parse", "HEAD"))
    # Names and modification times both say the opposite order
    files = [write(repo / f"{name}.json", snapshot_doc(code, commit=commit), mtime=T0 - i)
             for i, (name, code, commit) in enumerate(
                 [("c", 300, commits[2]), ("b", 200, commits[1]), ("a", 100, commits[0])])]
    # One snapshot whose commit this repository does not know: its file time
    stray = write(repo / "0.json", snapshot_doc(250, commit="f" * 40), mtime=T0 + 1.5 * DAY)
    points = history.load([repo]).points
    assert [p.doc["totals"]["code"] for p in points] == [100, 200, 250, 300]
    assert [p.when_source for p in points] == ["commit date", "commit date", "file time",
                                               "commit date"]
    assert points[0].label == commits[0][:10] and points[2].path == str(stray)
    assert {str(f) for f in files} < {p.path for p in points}


def test_svg_is_wellformed_with_one_chart_per_series(tmp_path):
    files = [write(tmp_path / f"s{i}.json",
                   snapshot_doc(100 + 10 * i, image_rom=400, heap_code=150),
                   mtime=T0 + i * DAY) for i in range(4)]
    points = history.load(files)
    text = render_history.render_svg(points)
    root = ET.fromstring(text.split("\n", 1)[1])
    ns = {"s": "http://www.w3.org/2000/svg"}
    charts = root.findall("s:g", ns)
    assert [(g.get("data-owner"), g.get("data-key")) for g in charts] == \
        [(s.owner, s.key) for s in points.series]
    budgeted = {("image", "rom"), ("heap", "code")}
    for g in charts:
        assert len(g.findall("s:circle", ns)) == 4
        lines = {p.get("class") for p in g.findall("s:polyline", ns)}
        want = {"series", "trend"} | ({"budget"} if (g.get("data-owner"),
                                                    g.get("data-key")) in budgeted else set())
        assert lines == want


def test_html_page_is_self_contained(tmp_path):
    files = [write(tmp_path / f"s{i}.json", snapshot_doc(100 + i, heap_code=150),
                   mtime=T0 + i * DAY) for i in range(2)]
    text = render_history.render_html(history.load(files))
    assert "http://" not in text and "https://" not in text
    assert 'id="history"' in text and "When budgets will be hit" in text


def run_cli(argv, capsys):
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_bad_inputs_are_one_line(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    status, _, err = run_cli(["history", str(empty)], capsys)
    assert status == 2 and err == f"membudget: {empty}: no snapshots (*.json) in this directory\n"
    future = write(tmp_path / "future.json", dict(snapshot_doc(1), schema=99))
    status, _, err = run_cli(["history", str(future)], capsys)
    assert status == 2 and "schema 99" in err and err.count("\n") == 1


def test_cli_real_snapshots_of_a_compiled_fixture(build_elf, tmp_path, capsys):
    built = build_elf("history")
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    for i in range(2):
        out = snaps / f"s{i}.json"
        assert cli.main(["snapshot", str(built.elf), "--map", str(built.map),
                         "-o", str(out)]) == 0
        os.utime(out, (T0 + i * DAY, T0 + i * DAY))
    capsys.readouterr()
    status, out, _ = run_cli(["history", str(snaps), "--format", "svg"], capsys)
    assert status == 0
    root = ET.fromstring(out.split("\n", 1)[1])
    owners = {g.get("data-owner") for g in root.iter("{http://www.w3.org/2000/svg}g")}
    assert owners == {"image", "all"}


def test_directory_skips_other_json_with_a_warning(tmp_path, capsys):
    write(tmp_path / "s0.json", snapshot_doc(100), mtime=T0)
    write(tmp_path / "s1.json", snapshot_doc(110), mtime=T0 + DAY)
    other = tmp_path / "bench.json"
    other.write_text('{"runs": []}')
    status, out, err = run_cli(["history", str(tmp_path), "--format", "svg"], capsys)
    assert status == 0 and out.count('<g class="chart"') == 4
    assert err == f"membudget: {other}: warning: not a membudget snapshot: skipped\n"
    # Named explicitly, it must be a snapshot
    status, _, err = run_cli(["history", str(other)], capsys)
    assert status == 2 and err.startswith(f"membudget: {other}: ")


def test_malformed_budget_entries_are_ignored(tmp_path):
    doc = snapshot_doc(100, heap_code=150)
    doc["components"][0]["budgets"] += [{"class": "rom"}, "junk", {"class": "nope", "budget": 1}]
    doc["image_budgets"] = {"not": "a list"}
    points = history.load([write(tmp_path / "s.json", doc, mtime=T0)])
    assert series_of(points, "heap", "code").budget == 150
    assert series_of(points, "heap", "rom").budget is None
