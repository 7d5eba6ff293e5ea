"""The runtime heap budget: [heap] in a budgets file, check/report --heap-trace.

Runs the real build/host/heapsim on the traces in tests/traces/; the
expected figures come from running heapsim here, never from constants.
"""

import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest

from cli_helpers import HEAP_AND_OTHER, ROOT, assert_bad_input, run, write_budgets
from membudget.read import budgets
from membudget.model import InputError

HEAPSIM = ROOT / "build" / "host" / "heapsim"
TRACES = ROOT / "tests" / "traces"


@pytest.fixture(scope="module")
def heapsim():
    if not HEAPSIM.exists():
        pytest.fail(f"{HEAPSIM} is missing: run `make host`")
    return HEAPSIM


@pytest.fixture(scope="module")
def stats(heapsim):
    """heapsim's own figures for every trace, by file stem."""
    figures = {}
    for trace in sorted(TRACES.glob("*.trace")):
        proc = subprocess.run([str(heapsim), "--json", str(trace)],
                              capture_output=True, text=True, check=True)
        figures[trace.stem] = json.loads(proc.stdout)
    return figures


@pytest.fixture(scope="module")
def elf(fw):
    return fw.elf


def budgets_file(tmp_path, heap):
    """The components and heap; a top-level key (heap = 3) has to come first."""
    layout = "{components}{heap}" if heap.startswith("[") or not heap else "{heap}{components}"
    return write_budgets(tmp_path, layout, "heap.toml", heap=heap,
                         components=HEAP_AND_OTHER.format(root=ROOT))


def trace_table(caps):
    """[heap.traces] entries: name -> (peak bytes, failures cap or None)."""
    lines = ["[heap.traces]"]
    for name, (peak, failures) in caps.items():
        extra = "" if failures is None else f", failures = {failures}"
        lines.append(f'{name} = {{ path = "tests/traces/{name}.trace", '
                     f'peak = "{peak} B"{extra} }}')
    return "\n".join(lines) + "\n"


def check(elf, path, *args):
    return run("check", elf, "-b", path, "--heapsim", HEAPSIM, *args)


def test_peak_one_byte_over_fails_with_exact_line(tmp_path, elf, stats):
    peak = stats["packets"]["peak_used"]
    caps = {"packets": (peak - 1, None), "dma_io": (stats["dma_io"]["peak_used"], 0)}
    path = budgets_file(tmp_path, "[heap]\n" + trace_table(caps))
    proc = check(elf, path, "--heap-trace")
    assert proc.returncode == 1, proc.stderr
    percent = f"{100 / (peak - 1):,.1f}"
    assert proc.stdout.splitlines()[0] == (
        f"heap: trace packets peak {peak:,} B > budget {peak - 1:,} B "
        f"(+1 B, +{percent} %)")
    assert len(proc.stdout.splitlines()) == 2
    # packets' peak, dma_io's peak and failures
    assert "3 budgets checked, 1 exceeded" in proc.stdout


def test_caps_equal_to_peaks_pass(tmp_path, elf, stats):
    caps = {name: (figures["peak_used"], figures["failures"])
            for name, figures in stats.items()}
    path = budgets_file(tmp_path, '[heap]\npool = "128 KiB"\n' + trace_table(caps))
    proc = check(elf, path, "--heap-trace")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The components set no budget: the pool, 4 peaks and 4 failure caps
    assert "9 budgets checked, 0 exceeded" in proc.stdout


def test_failures_cap_one_too_small(tmp_path, elf, stats):
    figures = stats["fragmentation"]
    assert figures["failures"] > 0, "fragmentation.trace should run short"
    caps = {"fragmentation": (figures["peak_used"], figures["failures"] - 1)}
    path = budgets_file(tmp_path, "[heap]\n" + trace_table(caps))
    proc = check(elf, path, "--heap-trace", "fragmentation")
    assert proc.returncode == 1
    failures = figures["failures"]
    percent = f"{100 / (failures - 1):,.1f}"
    assert proc.stdout.splitlines()[0] == (
        f"heap: trace fragmentation failures {failures:,} > budget "
        f"{failures - 1:,} (+1, +{percent} %)")


def test_pool_must_equal_heapsims(tmp_path, elf, stats):
    pool = stats["packets"]["pool"]
    caps = {"packets": (stats["packets"]["peak_used"], 0)}
    path = budgets_file(tmp_path, '[heap]\npool = "64 KiB"\n' + trace_table(caps))
    proc = check(elf, path, "--heap-trace")
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[0] == (
        f"heap: pool {pool:,} B != expected 65,536 B ({pool - 65536:+,} B)")


def test_named_traces_only(tmp_path, elf, stats):
    """Only the traces named run: an exceeded cap elsewhere is not checked."""
    caps = {"packets": (stats["packets"]["peak_used"], 0),
            "dma_io": (stats["dma_io"]["peak_used"] - 1, 0)}
    path = budgets_file(tmp_path, "[heap]\n" + trace_table(caps))
    assert check(elf, path, "--heap-trace", "packets").returncode == 0
    assert check(elf, path, "--heap-trace", "dma_io").returncode == 1
    # Without --heap-trace check runs no trace at all
    proc = check(elf, path)
    assert proc.returncode == 0
    assert "heap: trace" not in proc.stdout


def test_github_and_junit(tmp_path, elf, stats):
    peak = stats["packets"]["peak_used"]
    path = budgets_file(tmp_path, "[heap]\n" + trace_table({"packets": (peak - 1, 0)}))
    proc = check(elf, path, "--heap-trace", "--format", "github")
    assert proc.returncode == 1
    assert proc.stdout.startswith(
        "::error title=membudget%3A heap trace packets peak over budget::"
        f"heap: trace packets peak {peak:,} B > budget")
    proc = check(elf, path, "--heap-trace", "--format", "junit")
    assert proc.returncode == 1
    cases = {(c.get("classname"), c.get("name")): c
             for c in ET.fromstring(proc.stdout).iter("testcase")}
    assert cases[("membudget.heap", "trace packets peak")].find("failure") is not None
    assert cases[("membudget.heap", "trace packets failures")].find("failure") is None


def test_unknown_trace_name(tmp_path, elf, stats):
    path = budgets_file(tmp_path, "[heap]\n" + trace_table({"packets": (1, None)}))
    assert_bad_input(check(elf, path, "--heap-trace", "packets", "nosuch"),
                     "no trace 'nosuch'", "known: packets")


def test_heap_trace_without_heap_table(tmp_path, elf):
    path = budgets_file(tmp_path, "")
    assert_bad_input(check(elf, path, "--heap-trace"), "has no [heap] table")


def test_heapsim_missing(tmp_path, elf):
    path = budgets_file(tmp_path, "[heap]\n" + trace_table({"packets": (1, None)}))
    missing = tmp_path / "no-heapsim"
    proc = run("check", elf, "-b", path, "--heap-trace", "--heapsim", missing)
    assert_bad_input(proc, str(missing), "heapsim not found")


def test_heapsim_fails_on_bad_trace(tmp_path, elf, heapsim):
    """heapsim's exit 2 and its file:line message become one membudget line."""
    (tmp_path / "bad.trace").write_text("malloc 1 8\nfree 2\n")
    path = tmp_path / "heap.toml"
    path.write_text(f'[image]\nroot = "{tmp_path}"\n[components.all]\ncatch_all = true\n'
                    '[heap.traces]\nbad = { path = "bad.trace", peak = 1 }\n')
    proc = check(elf, path, "--heap-trace")
    assert_bad_input(proc, "exit 2 on trace 'bad.trace'", "bad.trace:2: ")


def test_heapsim_output_not_json(tmp_path, elf):
    path = budgets_file(tmp_path, "[heap]\n" + trace_table({"packets": (1, None)}))
    proc = run("check", elf, "-b", path, "--heap-trace", "--heapsim", "/bin/true")
    assert_bad_input(proc, "not heapsim's JSON statistics")


def test_not_executable(tmp_path, elf):
    path = budgets_file(tmp_path, "[heap]\n" + trace_table({"packets": (1, None)}))
    fake = tmp_path / "heapsim"
    fake.write_text("not a program\n")
    os.chmod(fake, 0o644)
    proc = run("check", elf, "-b", path, "--heap-trace", "--heapsim", fake)
    assert_bad_input(proc, "not executable")


GOOD_TRACE = '{ path = "tests/traces/packets.trace", peak = "42 KiB" }'

MALFORMED = [
    ("heap = 3\n", "heap: expected a table, got an integer"),
    ("[heap]\n", "[heap]: no pool and no traces"),
    ('[heap]\nsize = "1 KiB"\n', "unknown key 'size' in [heap]"),
    ('[heap]\npool = "lots"\n', "heap.pool: bad size 'lots'"),
    ("[heap]\npool = -1\n", "heap.pool: negative size"),
    ("[heap]\ntraces = [1]\n", "heap.traces: expected a table, got an array"),
    ("[heap.traces]\npackets = 3\n", "heap.traces.packets: expected a table"),
    ('[heap.traces]\n"a-b" = ' + GOOD_TRACE + "\n", "a trace name is a C identifier"),
    ('[heap.traces]\np = { peak = 1 }\n', "[heap.traces.p]: no path"),
    ('[heap.traces]\np = { path = "tests/traces/packets.trace" }\n',
     "[heap.traces.p]: no peak"),
    ('[heap.traces]\np = { path = "tests/traces/packets.trace", peak = "1 KB" }\n',
     "heap.traces.p.peak: bad size '1 KB'"),
    ('[heap.traces]\np = { path = "tests/traces/nosuch.trace", peak = 1 }\n',
     "heap.traces.p.path: 'tests/traces/nosuch.trace' is not a file"),
    ('[heap.traces]\np = { path = "tests/traces", peak = 1 }\n',
     "heap.traces.p.path: 'tests/traces' is not a file"),
    ('[heap.traces]\np = { path = 7, peak = 1 }\n',
     "heap.traces.p.path: expected a non-empty string"),
    ('[heap.traces]\np = { path = "tests/traces/packets.trace", peak = 1, max = 2 }\n',
     "unknown key 'max' in [heap.traces.p]"),
    ('[heap.traces]\np = { path = "tests/traces/packets.trace", peak = 1, failures = -1 }\n',
     "heap.traces.p.failures: expected a whole number"),
    ('[heap.traces]\np = { path = "tests/traces/packets.trace", peak = 1, failures = 1.5 }\n',
     "heap.traces.p.failures: expected a whole number"),
    ('[heap.traces]\np = { path = "tests/traces/packets.trace", peak = 1, failures = true }\n',
     "heap.traces.p.failures: expected a whole number"),
]


@pytest.mark.parametrize("heap, message", MALFORMED)
def test_bad_heap_tables(tmp_path, elf, heap, message):
    path = budgets_file(tmp_path, heap)
    with pytest.raises(InputError) as err:
        budgets.load(path)
    assert message in str(err.value)
    # The command line: exit 2, one line naming the file (with or without traces)
    assert_bad_input(check(elf, path, "--heap-trace"), str(path), message)
    assert_bad_input(run("report", elf, "-b", path), str(path), message)


def test_heap_only_budgets_file(tmp_path):
    path = tmp_path / "heap.toml"
    path.write_text(f'[image]\nroot = "{ROOT}"\n[heap]\npool = "128 KiB"\n')
    parsed = budgets.load(path)
    assert parsed.heap.pool == 128 * 1024
    assert parsed.heap.traces == []


def test_json_report_has_heap_figures(tmp_path, elf, stats):
    caps = {"packets": (stats["packets"]["peak_used"] + 100, 0),
            "fragmentation": (stats["fragmentation"]["peak_used"] - 1, None)}
    path = budgets_file(tmp_path, '[heap]\npool = "128 KiB"\n' + trace_table(caps))
    proc = run("report", elf, "-b", path, "--format", "json",
               "--heap-trace", "--heapsim", HEAPSIM)
    assert proc.returncode == 0, proc.stderr
    heap = json.loads(proc.stdout)["heap"]
    assert heap["pool_budget"] == 131072
    assert heap["pool"] == stats["packets"]["pool"]
    by_name = {t["name"]: t for t in heap["traces"]}
    packets, frag = by_name["packets"], by_name["fragmentation"]
    assert packets["path"] == "tests/traces/packets.trace"
    assert packets["peak_used"] == stats["packets"]["peak_used"]
    assert packets["peak_budget"] == stats["packets"]["peak_used"] + 100
    assert packets["failures"] == 0 and packets["failures_budget"] == 0
    assert packets["ops"] == stats["packets"]["ops"]
    assert packets["over"] is False
    assert frag["over"] is True and frag["failures_budget"] is None
    assert frag["failures"] == stats["fragmentation"]["failures"]

    # Without --heap-trace: the caps, and null where a figure would be
    proc = run("report", elf, "-b", path, "--format", "json")
    heap = json.loads(proc.stdout)["heap"]
    assert heap["pool"] is None and heap["pool_budget"] == 131072
    assert [t["peak_used"] for t in heap["traces"]] == [None, None]
    assert [t["over"] for t in heap["traces"]] == [None, None]


def test_no_heap_key_without_heap_table(tmp_path, elf):
    proc = run("report", elf, "-b", budgets_file(tmp_path, ""), "--format", "json")
    assert "heap" not in json.loads(proc.stdout)


def test_text_and_markdown_reports(tmp_path, elf, stats):
    peak = stats["packets"]["peak_used"]
    path = budgets_file(tmp_path, '[heap]\npool = "128 KiB"\n'
                        + trace_table({"packets": (peak - 1, 0)}))
    text = run("report", elf, "-b", path, "--heap-trace", "--heapsim", HEAPSIM).stdout
    assert "heap pool  131,072 B (128.00 KiB), as expected" in text
    row = next(line for line in text.splitlines() if line.startswith("packets "))
    assert row.split() == ["packets", f"{peak:,}", f"{peak - 1:,}", "-1",
                           f"{peak * 100 / (peak - 1):,.1f}", "%", "0", "/", "0",
                           f"{stats['packets']['ops']:,}", "OVER"]
    markdown = run("report", elf, "-b", path, "--format", "markdown",
                   "--heap-trace", "--heapsim", HEAPSIM).stdout
    assert "### Heap" in markdown
    assert f"| `packets` | {peak:,} | {peak - 1:,} | -1 |" in markdown
    unmeasured = run("report", elf, "-b", path).stdout
    assert "heap pool  expected 131,072 B (128.00 KiB), not measured" in unmeasured


def test_firmware_budgets_heap_table():
    """The committed budgets cap all four traces and expect the 128 KiB pool."""
    parsed = budgets.load(ROOT / "budgets" / "firmware.toml")
    assert parsed.heap.pool == 128 * 1024
    assert sorted(t.name for t in parsed.heap.traces) == sorted(
        p.stem for p in TRACES.glob("*.trace"))


def nm_address(elf, name):
    """A symbol's address as binutils' nm reads it (the independent oracle)."""
    out = subprocess.run(["nm", str(elf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[0] for line in out.splitlines()
                    if line.split()[2:] == [name]), 16)


def test_traces_run_where_the_image_has_its_pool(firmware_build, heapsim):
    """With [heap] symbol, heapsim's pool lies where nm says the ELF's does
    (modulo 64 KiB): failures on fragmentation.trace's aligned DMA requests
    are the ones heapsim gives at that address, not at its own."""
    elf = firmware_build / "firmware.elf"
    address = nm_address(elf, "heap_pool")
    placed = json.loads(subprocess.run(
        [str(heapsim), "--json", "--pool-address", hex(address),
         str(TRACES / "fragmentation.trace")],
        capture_output=True, text=True, check=True).stdout)
    proc = run("report", elf, "-b", ROOT / "budgets" / "firmware.toml", "--map",
               firmware_build / "firmware.map", "--heap-trace", "fragmentation",
               "--heapsim", heapsim, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    [trace] = json.loads(proc.stdout)["heap"]["traces"]
    assert (trace["failures"], trace["peak_used"]) == (placed["failures"],
                                                       placed["peak_used"])
    # Another address modulo 16 KiB would not do: the test can tell
    others = {json.loads(subprocess.run(
        [str(heapsim), "--json", "--pool-address", hex(address + delta),
         str(TRACES / "fragmentation.trace")],
        capture_output=True, text=True, check=True).stdout)["failures"]
        for delta in (8, 0x1000, 0x2000, 0x3000)}
    assert others - {placed["failures"]}, others


def test_firmware_caps_hold(heapsim, stats):
    """Each committed cap is at or above what its trace measures.

    Only a floor: an allocator that gets better (a lower peak, fewer
    failures) must not fail the tests.  How much slack a cap leaves is the
    budgets file's policy, not a test's; the next test keeps caps from
    being set where nothing could ever reach them."""
    parsed = budgets.load(ROOT / "budgets" / "firmware.toml")
    for trace in parsed.heap.traces:
        assert stats[trace.name]["peak_used"] <= trace.peak, trace.name
        assert stats[trace.name]["failures"] <= trace.failures, trace.name


def test_firmware_caps_can_be_exceeded():
    """No committed cap is one a run could never exceed: a peak cap lies
    below the pool (no peak is larger), a failures cap below the number of
    allocation requests in its trace (no run fails more).  Properties of
    the pool and the traces only, whatever the allocator measures."""
    parsed = budgets.load(ROOT / "budgets" / "firmware.toml")
    allocating = ("malloc", "zalloc", "realloc", "dma")
    for trace in parsed.heap.traces:
        assert trace.peak < parsed.heap.pool, trace.name
        with open(trace.file, encoding="utf-8") as f:
            requests = sum(1 for line in f if line.split()[:1] and
                           line.split()[0] in allocating)
        assert requests > 0, trace.name
        assert trace.failures is None or trace.failures < requests, trace.name


def test_pool_symbol_checked_without_traces(tmp_path, elf):
    """[heap] symbol: its size in the ELF must equal pool, no heapsim needed."""
    path = budgets_file(tmp_path, '[heap]\npool = "512 B"\nsymbol = "heap_pool"\n')
    proc = run("check", elf, "-b", path, "--heapsim", tmp_path / "no-heapsim")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 budgets checked, 0 exceeded" in proc.stdout
    path = budgets_file(tmp_path, '[heap]\npool = "513 B"\nsymbol = "heap_pool"\n')
    proc = run("check", elf, "-b", path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[0] == (
        "heap: pool symbol heap_pool 512 B != expected 513 B (-1 B)")
    report = json.loads(run("report", elf, "-b", path, "--format", "json").stdout)
    assert report["heap"]["symbol"] == "heap_pool"
    assert report["heap"]["symbol_size"] == 512


def test_pool_symbol_missing_or_unpaired(tmp_path, elf):
    path = budgets_file(tmp_path, '[heap]\npool = "512 B"\nsymbol = "no_pool"\n')
    assert_bad_input(run("check", elf, "-b", path), str(elf), "no symbol 'no_pool'")
    path = budgets_file(tmp_path, '[heap]\nsymbol = "heap_pool"\n')
    assert_bad_input(run("check", elf, "-b", path), "heap.symbol: needs heap.pool")
    path = budgets_file(tmp_path, '[heap]\npool = 1\nsymbol = 3\n')
    assert_bad_input(run("check", elf, "-b", path), "heap.symbol: expected a symbol name")


def test_firmware_pool_symbol(heapsim, stats):
    """The firmware's pool symbol, heapsim's pool and the budget agree."""
    parsed = budgets.load(ROOT / "budgets" / "firmware.toml")
    assert parsed.heap.symbol == "heap_pool"
    assert {s["pool"] for s in stats.values()} == {parsed.heap.pool}
