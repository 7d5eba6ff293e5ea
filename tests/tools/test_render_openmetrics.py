"""report --format openmetrics (GitLab's metrics report), parsed by
prometheus_client's OpenMetrics parser as the independent oracle."""

import json

import pytest

from cli_helpers import run, write_budgets

parser = pytest.importorskip("prometheus_client.openmetrics.parser",
                             reason="python3-prometheus-client (make test-deps)")

BUDGETS = """
[image]
name = 'fix"ture'
root = "{root}"
rom = "64 KiB"

[components.heap]
paths = ["tests/tools/fixtures/heap.c"]
budget = {{ code = "4 KiB" }}

[components.other]
catch_all = true
"""


def test_openmetrics_parses_and_matches_the_json(fw, tmp_path):
    budgets = write_budgets(tmp_path, BUDGETS)
    args = ("report", fw.elf, "-b", budgets, "--map", fw.map)
    proc = run(*args, "--format", "openmetrics")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert text.endswith("# EOF\n")
    families = {f.name: f for f in parser.text_string_to_metric_families(text)}
    assert {f.type for f in families.values()} == {"gauge"}
    assert {f.unit for f in families.values()} == {"bytes"}
    doc = json.loads(run(*args, "--format", "json").stdout)
    components = {(s.labels["component"], s.labels["class"]): s.value
                  for s in families["membudget_component_bytes"].samples}
    for row in doc["components"] + doc["buckets"]:
        for key in ("code", "rodata", "data", "bss", "rom", "ram"):
            assert components[(row["name"], key)] == row[key]
    image = {s.labels["class"]: s.value for s in families["membudget_image_bytes"].samples}
    assert image == doc["totals"]
    # The image name's quote is escaped, and every sample carries it
    assert {s.labels["image"] for f in families.values() for s in f.samples} == {'fix"ture'}
    budgets_seen = {(s.labels["owner"], s.labels["class"]): s.value
                    for s in families["membudget_budget_bytes"].samples}
    assert budgets_seen == {("heap", "code"): 4096, ("image", "rom"): 65536}
