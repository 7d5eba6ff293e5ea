"""Tests for the benchmark's own measuring parts (not the benchmark).

The rusage helper must report each child's own peak RSS, the callgrind
reader must count only the simulator's calls into the heap API, and the
generator must be deterministic.
"""

import random
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import callgrind      # noqa: E402
import gen_synthetic  # noqa: E402
import measure        # noqa: E402


@pytest.fixture(scope="module")
def helper(tmp_path_factory):
    """The rusage helper, compiled fresh."""
    exe = tmp_path_factory.mktemp("rusage") / "rusage"
    subprocess.run(["gcc", "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror",
                    str(HERE / "rusage.c"), "-o", str(exe)], check=True)
    return exe


def hog(mib):
    """argv of a child that touches @mib MiB and exits 3."""
    return [sys.executable, "-c",
            f"b = bytearray({mib} << 20); b[::4096] = b'x' * len(b[::4096]);"
            " raise SystemExit(3)"]


def test_peak_rss_is_per_child(helper, monkeypatch):
    monkeypatch.setattr(measure, "HELPER", helper)
    big = measure.time_command(hog(200), 1)
    small = measure.time_command(["true"], 1)
    assert big.statuses == [3]
    assert big.peak_rss >= 200 * measure.MIB
    # Touching 200 MiB takes CPU time; the runner's own does not count
    assert 0 < big.median_cpu <= big.median + 0.05
    # Neither the big child nor this process leaks into a later child
    assert small.peak_rss < 16 * measure.MIB
    assert small.statuses == [0]


def test_output_and_median(helper, monkeypatch):
    monkeypatch.setattr(measure, "HELPER", helper)
    timing = measure.time_command(["sh", "-c", "echo out; echo err >&2"], 3)
    assert (timing.stdout, timing.stderr) == (b"out\n", b"err\n")
    assert len(timing.runs) == 3
    assert min(r.seconds for r in timing.runs) <= timing.median


def test_missing_command_is_an_error(helper, monkeypatch):
    monkeypatch.setattr(measure, "HELPER", helper)
    with pytest.raises(measure.MeasureError):
        measure.time_command(["/nonexistent/command"], 1)


CALLGRIND = """\
version: 1
events: Ir
fl=(1) /src/tools/sim/heapsim.c
fn=(1) main
3 100
cfl=(2) /src/firmware/heap.c
cfn=(2) fw_malloc
calls=4 10
5 400
cfn=(3) fw_free
calls=4 20
* 120
cfn=(4) parse_line
calls=9 30
6 900
fl=(2)
fn=(2)
10 100
cfn=(5) heap_find
calls=4 40
11 300
cfn=(3)
calls=1 20
12 30
totals: 2000
"""


def test_callgrind_counts_driver_calls_into_api():
    profile = callgrind.parse(CALLGRIND)
    assert profile.total_ir == 2000
    # fw_free called from fw_malloc is inside fw_malloc's inclusive cost
    assert {k: (v.calls, v.ir) for k, v in profile.api.items()} == \
        {"fw_malloc": (4, 400), "fw_free": (4, 120)}
    assert (profile.api_calls, profile.api_ir) == (8, 520)


def test_callgrind_without_totals_is_an_error():
    with pytest.raises(callgrind.CallgrindError):
        callgrind.parse("events: Ir\nfn=(1) main\n")


def test_generator_is_deterministic_and_changes_about_one_percent():
    units = [gen_synthetic.make_unit(6, i) for i in range(40)]
    again = [gen_synthetic.make_unit(6, i) for i in range(40)]
    assert [gen_synthetic.render_unit(u) for u in units] == \
        [gen_synthetic.render_unit(u) for u in again]
    names = [f.name for u in units for f in u.functions]
    # Static helpers share names across files; globals never do
    shared = [n for n in names if n in gen_synthetic.SHARED_STATIC]
    assert len(shared) > len(set(shared))
    globals_ = [f.name for u in units for f in u.functions if not f.static]
    assert len(globals_) == len(set(globals_))
    unit = gen_synthetic.make_unit(6, 7)
    before = {f.name: f.statements for f in unit.functions}
    log = gen_synthetic.mutate(unit, random.Random(1), 5)
    after = {f.name: f.statements for f in unit.functions}
    assert len(log) == 5
    changed = {n for n in before.keys() | after.keys()
               if before.get(n) != after.get(n)}
    assert changed and changed <= {name for _, name in log}


def test_first_fit_reference():
    import firstfit
    trace = ["malloc a 100  # 128-byte block with its header",
             "malloc b 100", "malloc c 100", "free b",
             "dma d 64 0x100", "free a", "realloc c 300",
             "malloc e 0x10000000", "check"]
    out = firstfit.replay(trace, 1024)
    assert out.ops == 9
    # d (aligned) lands at 512, past the hole b left at 128; realloc
    # needs a new 320-byte block while c still holds its 128, so the peak
    # is d + old c + new c; freeing old c then merges 0..512 into one
    assert out.failures == 1
    assert out.peak_used == 64 + 128 + 320
    assert out.largest_free == 512


def test_first_fit_rejects_unreadable_lines():
    import firstfit
    with pytest.raises(firstfit.TraceError):
        firstfit.replay(["malloc a"], 1024)


def test_holes_trace_walks_every_hole():
    import firstfit
    import gen_holes
    text = gen_holes.holes_trace(2048, 131072, 8)
    lines = text.splitlines()
    # 8192 one-granule blocks fill the pool; every other one of the first
    # 4096 is freed: 2048 holes of 16 B before a full pool
    assert sum(1 for l in lines if l.startswith("malloc ") and l.endswith(" 8")) == 8192
    out = firstfit.replay(lines, 131072, 0, granule=8)
    assert out.failures == 100          # every malloc(64) fails
    assert out.largest_free == 131072   # and everything is freed at the end
    with pytest.raises(ValueError):
        gen_holes.holes_trace(5000, 131072, 8)


def test_first_fit_granule_is_a_parameter():
    import firstfit
    trace = ["malloc 1 8", "malloc 2 8"]
    assert firstfit.replay(trace, 4096, 0, granule=8).peak_used == 32
    assert firstfit.replay(trace, 4096, 0, granule=16).peak_used == 64
