"""render_json: golden output and the schema's promises."""

import json

import report_sample as sample
from membudget import __version__
from membudget.analysis import summary
from membudget.analysis.pipeline import Report
from membudget.render import json as render_json
from membudget.model import BUCKETS, SCHEMA, SOURCES


def _doc(**kwargs):
    result = summary.summarize(sample.attribution(), sample.budgets(), **kwargs)
    return json.loads(render_json.render(Report(result)))


def test_golden_components():
    result = summary.summarize(sample.attribution(), sample.budgets())
    sample.check_golden("report.json", render_json.render(Report(result)))


def test_golden_by_section():
    result = summary.summarize(sample.attribution(), sample.budgets(), by="section")
    sample.check_golden("report-section.json", render_json.render(Report(result)))


def test_header_fields():
    doc = _doc()
    assert doc["schema"] == SCHEMA
    assert doc["tool"] == {"name": "membudget", "version": __version__}
    assert doc["elf"]["build_id"] == "0123456789abcdef0123456789abcdef01234567"
    assert doc["elf"]["sha256"] == "ab" * 32
    assert [s["name"] for s in doc["sources"]] == list(SOURCES)
    assert doc["unavailable"] == [{"name": "map file", "reason": "no --map given"}]


def test_totals_equal_sections_and_components_plus_buckets():
    doc = _doc()
    by_class = {}
    for section in sample.SECTIONS:
        by_class[section.cls] = by_class.get(section.cls, 0) + section.size
    for cls, size in by_class.items():
        assert doc["totals"][cls] == size
        rows = doc["components"] + doc["buckets"]
        assert sum(row[cls] for row in rows) == size
    assert [b["name"] for b in doc["buckets"]] == list(BUCKETS)


def test_every_number_is_integer_bytes():
    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        else:
            assert not isinstance(value, float), value
    walk(_doc(by="symbol"))


def test_budget_entries():
    heap = _doc()["components"][0]
    assert heap["name"] == "heap"
    assert heap["budgets"][0] == {"class": "code", "used": 1104, "budget": 1024,
                                  "headroom": -80, "over": True}
