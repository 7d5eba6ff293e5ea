"""The boot test's stack verdict (boot_test.stack_cases), without QEMU.

Transcripts carry the payload's `stack ENTRY USED SIZE` lines; the bounds
come from a report JSON shaped like `membudget report --format json`.
"""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from boot_test import stack_cases  # noqa: E402
from transcript import parse  # noqa: E402


def bounds(tmp_path, bound=336, size=1024):
    path = tmp_path / "bounds.json"
    path.write_text(json.dumps({"elf": {"sha256": "ab" * 32}, "stack": {"entries": [
        {"name": "boot", "bound": bound, "stack": {"symbol": "pm_stack", "size": size}}]}}))
    return path


def marks(*used):
    return [parse(f"stack boot {u:x} 400\ndone\n") for u in used]


def failures(cases):
    return [f for case in cases for f in case.failures]


def test_measured_within_bound_passes_and_is_kept(tmp_path, capsys):
    out = tmp_path / "measured.json"
    assert failures(stack_cases(bounds(tmp_path), marks(300, 320), out)) == []
    assert "stack boot: measured 320 B <= static bound 336 B <= stack 1,024 B" \
        in capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert doc == {"elf_sha256": "ab" * 32, "entries": {"boot": {
        "measured": 320, "bound": 336, "stack_size": 1024}}}


@pytest.mark.parametrize("bound, size, used, fragment", [
    (336, 1024, 400, "measured 400 B > static bound 336 B"),
    (2048, 1024, 100, "bound 2,048 B > stack 1,024 B"),
    (None, 1024, 100, "unbounded"),
    (336, 2048, 100, "painted 1,024 B"),
    (336, 1024, 0, "not painted"),
])
def test_each_violation_fails(tmp_path, bound, size, used, fragment):
    found = failures(stack_cases(bounds(tmp_path, bound, size), marks(used)))
    assert any(fragment in f for f in found), found


def test_a_missing_mark_fails(tmp_path):
    found = failures(stack_cases(bounds(tmp_path), [parse("done\n")]))
    assert found == ["boot: the payload printed no 'stack boot' mark"]
