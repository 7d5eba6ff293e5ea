"""Tests for the benchmark's own measuring parts (not the benchmark).

The rusage helper must report each child's own peak RSS, the callgrind
reader must count only the simulator's calls into the heap API, the
generator must be deterministic (and its default image unchanged), and
the comparison with bloaty must read bloaty's CSV, compute the ratios
and goals, and skip bloaty, saying why, when there is none.  No timing
is asserted.
"""

import hashlib
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
import versus         # noqa: E402


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


def test_generator_default_image_is_unchanged():
    # The 2,000-unit image every earlier figure was measured on: the same
    # sources, base and head, as before the million-symbol mode
    digest = hashlib.sha256()
    for index in (0, 1, 7, 999, 1999):
        digest.update(gen_synthetic.render_unit(
            gen_synthetic.make_unit(6, index)).encode())
    assert digest.hexdigest() == \
        "30ae4cf003d66fa73cf563fe3522a1c0fe0d324a4301d4226cb699469210f5d3"
    unit = gen_synthetic.make_unit(6, 42)
    gen_synthetic.mutate(unit, random.Random("6:head"), 20)
    assert hashlib.sha256(gen_synthetic.render_unit(unit).encode()) \
        .hexdigest() == \
        "32389085f23065f5f5448aad382eb4c53008f80eeee24d33603c72b6ba1b7dd4"


def test_template_units_are_the_unit_with_its_own_names():
    placeholder = gen_synthetic.PLACEHOLDER
    template = gen_synthetic.make_unit(6, 3, tag=placeholder)
    text = gen_synthetic.render_unit(template)
    # What unit_asm does to gcc -S output, done to the C: the same text as
    # the unit rendered with its own index in its names and path
    for index in (3, 7, 12345):
        mine = gen_synthetic.make_unit(6, 3, tag=index)
        assert gen_synthetic.unit_asm(text, index) == \
            gen_synthetic.render_unit(mine)
        assert mine.path == gen_synthetic.unit_path(index)
    asm = (f'\t.file\t"tu{placeholder}.c"\n'
           f'\t.file 0 "/x" "out/src/{gen_synthetic.unit_path(placeholder)}"\n'
           f"net_open_buffer_{placeholder}_3:\n")
    assert gen_synthetic.unit_asm(asm, 42) == (
        '\t.file\t"tu00042.c"\n\t.file 0 "/x" "out/src/mod00/tu00042.c"\n'
        "net_open_buffer_42_3:\n")
    assert str(placeholder) not in gen_synthetic.unit_asm(text, 1)


def test_units_for_a_symbol_count():
    assert gen_synthetic.units_for(10, [3, 4]) == 3     # 3 + 4 + 3
    assert gen_synthetic.units_for(14, [3, 4]) == 4
    assert gen_synthetic.units_for(15, [3, 4]) == 5
    assert gen_synthetic.units_for(1, [5]) == 1


def test_alternating_runs_take_turns(helper, monkeypatch, tmp_path):
    monkeypatch.setattr(measure, "HELPER", helper)
    log = tmp_path / "log"
    cmds = [["sh", "-c", f"echo {name} >> {log}; echo {name}"]
            for name in ("a", "b", "c")]
    timings = measure.time_alternating(cmds, 2)
    assert log.read_text().split() == ["a", "b", "c", "a", "b", "c"]
    assert [t.stdout for t in timings] == [b"a\n", b"b\n", b"c\n"]
    assert all(len(t.runs) == 2 for t in timings)


# --- against bloaty ---------------------------------------------------------

BLOATY_CSV = """\
compileunits,vmsize,filesize
[section .debug_info],0,5670391
src/mod00/tu00001.c,8642,26181
"src/a,b.c",10,20
"""

BLOATY_CSV_SYMBOLS = '''\
compileunits,symbols,vmsize,filesize
[section .debug_loclists],,0,5670391
src/mod00/tu00001.c,net_open_buffer_1_0,100,100
src/mod00/tu00001.c,"operator,""quoted""",5,5
src/mod00/tu00002.c,helper,7,7
'''

BLOATY_CSV_DIFF = """\
compileunits,vmsize,filesize,original_vmsize,original_filesize,\
current_vmsize,current_filesize
src/mod00/tu00001.c,96,96,100,100,196,196
src/mod00/tu00002.c,-7,-7,7,7,0,0
"""


def test_parse_bloaty_csv():
    parsed = versus.parse_csv(BLOATY_CSV, ["compileunits"])
    assert not parsed.diff
    assert parsed.rows[1] == (("src/mod00/tu00001.c",), [8642, 26181])
    assert parsed.rows[2] == (("src/a,b.c",), [10, 20])
    assert versus.csv_summary(parsed) == {
        "rows": 3, "compileunits": 3, "vmsize": 8652,
        "filesize": 5670391 + 26181 + 20, "diff": False}
    two = versus.parse_csv(BLOATY_CSV_SYMBOLS, ["compileunits", "symbols"])
    assert two.rows[0][0] == ("[section .debug_loclists]", "")
    assert two.rows[2][0] == ("src/mod00/tu00001.c", 'operator,"quoted"')
    assert versus.csv_summary(two)["compileunits"] == 3
    diff = versus.parse_csv(BLOATY_CSV_DIFF, ["compileunits"])
    assert diff.diff and diff.rows[1][1] == [-7, -7, 7, 7, 0, 0]
    assert versus.csv_summary(diff)["vmsize"] == 89


@pytest.mark.parametrize("text, sources", [
    ("", ["compileunits"]),
    ("     VM SIZE    FILE SIZE\n", ["compileunits"]),
    (BLOATY_CSV, ["compileunits", "symbols"]),
    ("compileunits,vmsize,filesize\nsrc/a.c,1\n", ["compileunits"]),
    ("compileunits,vmsize,filesize\nsrc/a.c,1,x\n", ["compileunits"]),
])
def test_unreadable_bloaty_csv(text, sources):
    with pytest.raises(ValueError):
        versus.parse_csv(text, sources)


def test_bloaty_command_lines():
    bloaty = versus.Bloaty("/opt/bloaty", "Bloaty McBloatface 1.1")
    argv = versus.bloaty_argv(bloaty, versus.BLOATY_CU_SYMBOLS, "a.elf")
    assert argv == ["/opt/bloaty", "-d", "compileunits,symbols", "-n", "0",
                    "--csv", "a.elf"]
    assert versus.csv_sources(argv) == ["compileunits", "symbols"]
    assert versus.bloaty_argv(bloaty, versus.BLOATY_CU, "new", "old")[-3:] \
        == ["new", "--", "old"]


def fake_bloaty(tmp_path, version="Bloaty McBloatface 1.1", status=0):
    exe = tmp_path / "bloaty"
    exe.write_text(f"#!/bin/sh\necho '{version}'\nexit {status}\n")
    exe.chmod(0o755)
    return exe


def test_find_bloaty(tmp_path):
    none = versus.find_bloaty(env={}, which=lambda name: None)
    assert none.skipped == "no bloaty on PATH and BLOATY is not set"
    assert not none.path
    exe = fake_bloaty(tmp_path)
    on_path = versus.find_bloaty(env={}, which=lambda name: str(exe))
    assert (on_path.path, on_path.version, on_path.skipped) == \
        (str(exe), "Bloaty McBloatface 1.1", "")
    # BLOATY wins over PATH, and one that is no program is reported
    assert versus.find_bloaty(env={"BLOATY": str(exe)},
                              which=lambda name: None).path == str(exe)
    text = tmp_path / "notes.txt"
    text.write_text("bloaty\n")
    bad = versus.find_bloaty(env={"BLOATY": str(text)},
                             which=lambda name: str(exe))
    assert bad.skipped == f"BLOATY={text} is not an executable file"
    assert versus.find_bloaty(str(tmp_path / "missing"), env={}).skipped
    broken = fake_bloaty(tmp_path, status=3)
    assert "exited 3" in versus.find_bloaty(str(broken), env={}).skipped


def fake_timing(argv, cpu, peak_mib, stdout=b"", status=0):
    timing = measure.Timing(argv, stdout=stdout)
    timing.runs = [measure.Run(c * 1.1, int(peak_mib * measure.MIB), status,
                               c) for c in cpu]
    return timing


def test_measure_group_checks_outputs_and_skips():
    bloaty = versus.Bloaty("/opt/bloaty", "1.1")
    good = versus.bloaty_argv(bloaty, versus.BLOATY_CU, "a.elf")
    cmds = [versus.Command("mb", "membudget", ["mb", "report", "--format",
                                                "json"]),
            versus.Command("bl", "bloaty", good),
            versus.Command("bad", "bloaty", good + ["x"]),
            versus.Command("off", "bloaty", None, "no bloaty on PATH")]
    outputs = {"mb": b'{"schema": 1}', "bl": BLOATY_CSV.encode(),
               "bad": b"VM SIZE\n"}

    def timer(argvs, runs):
        assert runs == 3 and len(argvs) == 3   # the skipped one never runs
        return [fake_timing(a, [1.0, 3.0, 2.0], 50, outputs[key])
                for a, key in zip(argvs, ("mb", "bl", "bad"))]

    out = versus.measure_group(versus.Group("img", cmds, 3),
                               lambda msg: None, timer)
    assert out["mb"]["median_cpu_s"] == 2.0 and out["mb"]["peak_mib"] == 50
    assert out["bl"]["output"]["compileunits"] == 3
    assert out["bad"]["error"].startswith("bloaty printed no CSV")
    assert out["bad"]["median_cpu_s"] is None
    assert out["off"]["skipped"] == "no bloaty on PATH"


def figs(cpu, peak):
    return {"median_cpu_s": cpu, "median_s": cpu, "peak_mib": peak,
            "skipped": "", "error": ""}


def test_ratio_and_goals():
    pair = versus.Pair("u2000", "report", "mb", "bl")
    met = versus.compare(pair, {"mb": figs(1.0, 100.0), "bl": figs(2.5, 120)})
    assert met["ratio"] == 0.4
    assert [g["met"] for g in met["goals"]] == [True, True]
    # Exactly half and exactly bloaty's peak pass; above either fails
    assert versus.compare(pair, {"mb": figs(1.0, 120.0),
                                 "bl": figs(2.0, 120.0)})["goals"][0]["met"]
    slow = versus.compare(pair, {"mb": figs(3.42, 290.0),
                                 "bl": figs(2.64, 177.0)})
    assert slow["ratio"] == 1.295
    assert [g["met"] for g in slow["goals"]] == [False, False]
    assert [versus.verdict(g) for g in slow["goals"]] == ["FAIL", "FAIL"]


def test_no_bloaty_no_goal_judged():
    pair = versus.Pair("u2000", "report", "mb", "bl")
    off = {"tool": "bloaty", "argv": [], "skipped": "no bloaty on PATH and "
           "BLOATY is not set", "error": ""}
    row = versus.compare(pair, {"mb": figs(1.0, 100.0), "bl": off})
    assert row["membudget_cpu_s"] == 1.0 and row["ratio"] is None
    assert row["bloaty_missing"] == off["skipped"]
    assert [g["met"] for g in row["goals"]] == [None, None]
    section = {"bloaty": {"path": "", "version": "",
                          "skipped": off["skipped"]},
               "runs": 5, "subjects": {"u2000": "synthetic 96,010 symbols"},
               "rows": [row]}
    text = "\n".join(versus.render(section))
    assert "bloaty: skipped, no bloaty on PATH and BLOATY is not set" in text
    assert "FAIL" not in text and "pass" not in text
    assert "| synthetic 96,010 symbols | report | 1.00 | - | - |" in \
        "\n".join(versus.render(section, markdown=True))


def test_scale_row():
    row = versus.scale_row(figs(30.0, 1500.0), figs(3.5, 280.0),
                           1000012, 96010)
    assert row["ratio"] == 8.57 and row["symbols_ratio"] == 10.42
    assert [g["met"] for g in row["goals"]] == [True, True]
    big = versus.scale_row(figs(40.0, 2100.0), figs(3.5, 280.0),
                           1000012, 96010)
    assert [g["met"] for g in big["goals"]] == [False, False]
    assert "FAIL" in versus.render_scale(big)
    missing = versus.scale_row({"skipped": "not built", "error": ""},
                               figs(3.5, 280.0), None, 96010)
    assert missing["ratio"] is None and "not built" in \
        versus.render_scale(missing)


def test_firmware_overhead_goal():
    fw = {"make_check_s": 0.40, "make_firmware_s": 0.30, "overhead_s": 0.10,
          "membudget_check_s": 0.09}
    assert "pass (goal <= 0.15 s)" in versus.render_fw(fw)
    fw["overhead_s"] = 0.231
    fw["membudget_check_plain_s"] = 0.05
    text = versus.render_fw(fw, markdown=True)
    assert "FAIL" in text and "0.050 s without `--heap-trace`" in text
    assert "skipped" in versus.render_fw({"skipped": "no firmware"})
