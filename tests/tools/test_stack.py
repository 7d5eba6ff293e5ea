"""Worst-case stack depth ([stack], analysis/stack.py) on real compiler output.

The fixtures in tests/tools/fixtures/stack/ are built for i386, x86-64,
ARM (Thumb) and RISC-V with -fstack-usage -fcallgraph-info=su.  Each
expected depth is written out by hand as the path the source makes
deepest (a list of function names, with repeats for recursion), summed
over the frames gcc wrote in the .su files, read here with a plain split:
never membudget's own output.
"""

import json
import shutil
import time

import pytest

from cli_helpers import ROOT, assert_bad_input, run
from conftest import TOOLCHAINS

FIXTURES = "tests/tools/fixtures/stack"
SOURCES = ("chain.c", "recurse.c", "asm.c")
ARCHES = ("i386", "x86_64", "arm", "riscv32")
#: The x86-64 ABI's red zone, which a leaf may use below its stack pointer
RED_ZONE = {"x86_64": 128}

ASSUMED_ASM = 16
ASSUMED_DYN = 300
ASSUMED_BIOS = 64

#: Every unknown resolved
RESOLVED = """
[stack]
assume = {{ asm_leaf = "{asm} B", dyn_entry = "{dyn} B", bios_service = "{bios} B" }}
indirect = {{ fp_entry = ["handler_a", "handler_b"] }}
recursion = {{ walk = 5, ping = 3 }}

[stack.entries]
chain = {{ entry = "chain_entry", budget = "4 KiB" }}
fp = {{ entry = "fp_entry", budget = "4 KiB" }}
asm = {{ entry = "asm_entry" }}
walk = {{ entry = "walk_entry", budget = "4 KiB" }}
ping = {{ entry = "ping_entry" }}
dyn = {{ entry = "dyn_entry" }}
outside = {{ entry = "outside_entry" }}
handlers = {{ entries = ["handler_*", "d6"], budget = "4 KiB" }}
""".format(asm=ASSUMED_ASM, dyn=ASSUMED_DYN, bios=ASSUMED_BIOS)

#: Nothing resolved: every entry with an unknown is unbounded
UNRESOLVED = """
[stack.entries]
chain = { entry = "chain_entry", budget = "4 KiB" }
fp = { entry = "fp_entry", budget = "4 KiB" }
asm = { entry = "asm_entry", budget = "4 KiB" }
walk = { entry = "walk_entry", budget = "4 KiB" }
ping = { entry = "ping_entry", budget = "4 KiB" }
dyn = { entry = "dyn_entry", budget = "4 KiB" }
outside = { entry = "outside_entry", budget = "4 KiB" }
"""

#: The deepest path of each entry, by hand from the sources; "=N" an assumed frame
PATHS = {
    "chain": ["chain_entry", "d1", "d2", "d3", "d4", "d5", "d6", "d_leaf"],
    "fp": ["fp_entry", "handler_b"],
    "asm": ["asm_entry", f"={ASSUMED_ASM}"],
    "walk": ["walk_entry"] + ["walk"] * 5 + ["r_leaf"],
    "ping": ["ping_entry"] + ["ping", "pong"] * 3 + ["r_leaf"],
    "dyn": [f"={ASSUMED_DYN}", "r_leaf"],
    "outside": ["outside_entry", f"={ASSUMED_BIOS}"],
    # handler_a sorts first; handler_b is deeper than it and than d6's path
    "handlers": ["handler_b"],
}


def write_budgets(tmp_path, text):
    """The budgets file, text as it is."""
    path = tmp_path / "b.toml"
    path.write_text(text)
    return path


def frames(directory):
    """{function: bytes} from every .su file, by a plain split."""
    out = {}
    for su in directory.glob("*.su"):
        for line in su.read_text().splitlines():
            where, size, _ = line.split("\t")
            out[where.rsplit(":", 1)[1]] = int(size)
    return out


def expected(path, su, arch):
    total = sum(int(name[1:]) if name.startswith("=") else su[name] for name in path)
    return total + RED_ZONE.get(arch, 0)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build the fixtures once per architecture: {arch: (elf, directory)}."""
    cache = {}
    top = tmp_path_factory.mktemp("stack")

    def build(arch, cflags=()):
        key = (arch, tuple(cflags))
        if key in cache:
            return cache[key]
        tools = TOOLCHAINS[arch]
        reason = tools.missing()
        if reason:
            pytest.skip(f"{arch}: {reason}")
        work = top / f"{arch}{len(cache)}"
        work.mkdir()
        flags = list(tools.cc) + ["-Os", "-ffreestanding", "-fno-pic", "-fstack-usage",
                                  "-fcallgraph-info=su", *cflags]
        objects = []
        for src in SOURCES:
            obj = work / src.replace(".c", ".o")
            tools.run(*flags, "-c", f"{FIXTURES}/{src}", "-o", str(obj))
            objects.append(str(obj))
        elf = work / "stack.elf"
        tools.run(*tools.cc, "-nostdlib", "-static", "-Wl,-e,_start", "-o", str(elf),
                  "-Wl,-Map=" + str(work / "stack.map"), *objects)
        cache[key] = (elf, work)
        return cache[key]

    return build


def report(tmp_path, elf, stack_dir, text, *extra):
    budgets = write_budgets(tmp_path, text)
    proc = run("report", elf, "-b", budgets, "--stack", stack_dir, "--format", "json",
               *extra)
    assert proc.returncode == 0, proc.stderr
    return {e["name"]: e for e in json.loads(proc.stdout)["stack"]["entries"]}


@pytest.mark.parametrize("arch", ARCHES)
def test_bounds_match_the_hand_computed_paths(built, tmp_path, arch):
    elf, work = built(arch)
    su = frames(work)
    entries = report(tmp_path, elf, work, RESOLVED)
    for name, path in PATHS.items():
        assert entries[name]["bound"] == expected(path, su, arch), name
        assert entries[name]["unknowns"] == [], name


def test_chain_names_each_frame(built, tmp_path):
    elf, work = built("i386")
    su = frames(work)
    chain = report(tmp_path, elf, work, RESOLVED)["chain"]["chain"]
    assert [link["function"] for link in chain] == PATHS["chain"]
    assert [link["frame"] for link in chain] == [su[n] for n in PATHS["chain"]]


def test_no_red_zone_when_built_without_one(built, tmp_path):
    elf, work = built("x86_64", ["-mno-red-zone"])
    su = frames(work)
    text = RESOLVED.replace("[stack]\n", '[stack]\nred_zone = "0 B"\n')
    entries = report(tmp_path, elf, work, text)
    assert entries["chain"]["bound"] == sum(su[n] for n in PATHS["chain"])


#: What each unresolved entry must name: kind and function
UNKNOWNS = {
    "fp": [("indirect", "fp_entry")],
    "asm": [("no stack data", "asm_leaf")],
    "walk": [("recursion", "walk")],
    "ping": [("recursion", "ping")],
    "dyn": [("dynamic", "dyn_entry")],
    "outside": [("outside image", "bios_service")],
}


@pytest.mark.parametrize("arch", ARCHES)
def test_unknowns_are_unbounded_and_named(built, tmp_path, arch):
    elf, work = built(arch)
    entries = report(tmp_path, elf, work, UNRESOLVED)
    assert entries["chain"]["bound"] is not None
    for name, kinds in UNKNOWNS.items():
        entry = entries[name]
        assert entry["bound"] is None, name
        assert [(u["kind"], u["function"]) for u in entry["unknowns"]] == kinds, name


def test_unknown_sites_point_at_the_source(built, tmp_path):
    elf, work = built("i386")
    entries = report(tmp_path, elf, work, UNRESOLVED)
    source = (ROOT / FIXTURES / "chain.c").read_text().splitlines()
    site = entries["fp"]["unknowns"][0]["site"]
    line = int(site.split(":")[1])
    assert "handlers[n & 1](n)" in source[line - 1]
    dyn = entries["dyn"]["unknowns"][0]["site"]
    assert dyn.startswith(f"{FIXTURES}/recurse.c:")


def test_check_fails_an_unbounded_entry_and_names_the_unknown(built, tmp_path):
    elf, work = built("i386")
    budgets = write_budgets(tmp_path, UNRESOLVED)
    proc = run("check", elf, "-b", budgets, "--stack", work)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    fp = next(l for l in lines if l.startswith("stack: fp "))
    assert "unbounded" in fp and "indirect call in fp_entry" in fp
    assert not any(l.startswith("stack: chain ") for l in lines)


def test_check_over_budget_names_the_chain(built, tmp_path):
    elf, work = built("i386")
    su = frames(work)
    bound = expected(PATHS["chain"], su, "i386")
    text = RESOLVED.replace('entry = "chain_entry", budget = "4 KiB"',
                            f'entry = "chain_entry", budget = "{bound - 1} B"')
    budgets = write_budgets(tmp_path, text)
    proc = run("check", elf, "-b", budgets, "--stack", work)
    assert proc.returncode == 1
    assert (f"stack: chain {bound:,} B > budget {bound - 1:,} B (+1 B) via "
            + " > ".join(PATHS["chain"])) in proc.stdout.splitlines()
    # At the bound exactly it holds
    text = text.replace(f'budget = "{bound - 1} B"', f'budget = "{bound} B"')
    budgets = write_budgets(tmp_path, text)
    assert run("check", elf, "-b", budgets, "--stack", work).returncode == 0


def test_su_found_beside_the_maps_objects(built, tmp_path):
    elf, work = built("i386")
    budgets = write_budgets(tmp_path, RESOLVED)
    proc = run("report", elf, "-b", budgets, "--map", work / "stack.map",
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    entries = {e["name"]: e for e in json.loads(proc.stdout)["stack"]["entries"]}
    assert entries["chain"]["bound"] == expected(PATHS["chain"], frames(work), "i386")


def test_stack_symbol_size_caps_the_bound(built, tmp_path):
    """bound <= the stack array's size, or check fails naming the stack."""
    elf, work = built("i386")
    su = frames(work)
    bound = expected(PATHS["chain"], su, "i386")
    # handlers: the table of two pointers, 8 bytes on i386
    text = RESOLVED.replace('entry = "chain_entry", budget = "4 KiB"',
                            'entry = "chain_entry", stack = "handlers"')
    budgets = write_budgets(tmp_path, text)
    proc = run("check", elf, "-b", budgets, "--stack", work)
    assert proc.returncode == 1
    assert f"stack: chain {bound:,} B > stack handlers 8 B (+{bound - 8:,} B) via" \
        in proc.stdout


# Bad input: one line, exit 2

def test_entry_naming_no_function(built, tmp_path):
    elf, work = built("i386")
    budgets = write_budgets(tmp_path, '[stack.entries]\nx = { entry = "no_such_fn" }\n')
    assert_bad_input(run("report", elf, "-b", budgets, "--stack", work),
                     str(budgets), "stack.entries.x.entry", "no_such_fn")


def test_assume_for_a_missing_function(built, tmp_path):
    elf, work = built("i386")
    budgets = write_budgets(tmp_path, '[stack]\nassume = { ghost = 8 }\n'
                                      '[stack.entries]\nx = { entry = "d1" }\n')
    assert_bad_input(run("check", elf, "-b", budgets, "--stack", work),
                     str(budgets), "stack.assume.ghost", "no function 'ghost'")


@pytest.mark.parametrize("content, fragment", [
    ("chain.c:12:14:d_leaf\tnot-a-number\tstatic\n", "line 1: not a -fstack-usage line"),
    ("chain.c:12:14:d_leaf\t96\tsometimes\n", "line 1: not a -fstack-usage line"),
    ("hello\n", "line 1"),
])
def test_malformed_su(built, tmp_path, content, fragment):
    elf, work = built("i386")
    bad = tmp_path / "su"
    shutil.copytree(work, bad)
    (bad / "chain.su").write_text(content)
    budgets = write_budgets(tmp_path, '[stack.entries]\nx = { entry = "d1" }\n')
    assert_bad_input(run("report", elf, "-b", budgets, "--stack", bad),
                     str(bad / "chain.su"), fragment)


@pytest.mark.parametrize("cut, fragment", [
    (lambda t: t[:len(t) // 2], "chain.ci"),
    (lambda t: t.replace("node:", "nod3:", 1), "chain.ci"),
    (lambda t: "", "no 'graph: {'"),
    (lambda t: t.replace(' bytes (static)', '', 1), "neither a stack size"),
])
def test_malformed_ci(built, tmp_path, cut, fragment):
    elf, work = built("i386")
    bad = tmp_path / "ci"
    shutil.copytree(work, bad)
    ci = bad / "chain.ci"
    ci.write_text(cut(ci.read_text()))
    budgets = write_budgets(tmp_path, '[stack.entries]\nx = { entry = "d1" }\n')
    assert_bad_input(run("report", elf, "-b", budgets, "--stack", bad), str(ci), fragment)


def test_missing_inputs(built, tmp_path):
    elf, work = built("i386")
    budgets = write_budgets(tmp_path, '[stack.entries]\nx = { entry = "d1" }\n')
    missing = tmp_path / "nowhere"
    assert_bad_input(run("report", elf, "-b", budgets, "--stack", missing), str(missing))
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy(work / "chain.su", lone)
    assert_bad_input(run("report", elf, "-b", budgets, "--stack", lone),
                     str(lone / "chain.su"), "no call graph")
    # No .su/.ci at all beside the objects
    assert_bad_input(run("report", elf, "-b", budgets), str(budgets), "no .su/.ci")


def test_stale_su_against_ci(built, tmp_path):
    elf, work = built("i386")
    bad = tmp_path / "stale"
    shutil.copytree(work, bad)
    su = bad / "chain.su"
    su.write_text(su.read_text().replace("\t", "\t1", 1))
    budgets = write_budgets(tmp_path, '[stack.entries]\nx = { entry = "d1" }\n')
    assert_bad_input(run("report", elf, "-b", budgets, "--stack", bad),
                     str(su), "different builds")


# The largest fixture: a generated graph, timed

LARGE_FUNCTIONS = 2000


def test_large_graph_time(tmp_path):
    """2,000 functions, each calling up to three earlier ones: the deepest
    path found by a plain dynamic program over the .su frames."""
    tools = TOOLCHAINS["i386"]
    lines = ["#define N __attribute__((noinline))"]
    calls = {}
    for i in range(LARGE_FUNCTIONS):
        callees = sorted({(i * 7 + k * 13) % i for k in range(3)}) if i > 2 else []
        calls[f"f{i}"] = [f"f{c}" for c in callees]
        body = " + ".join(f"f{c}(n + {k})" for k, c in enumerate(callees)) or "n"
        lines.append(f"N int f{i}(int n) {{ volatile char b[{4 + (i * 37) % 200}]; "
                     f"b[0] = n; return b[0] + {body}; }}")
    src = tmp_path / "large.c"
    src.write_text("\n".join(lines) + "\nvoid _start(void) { f%d(1); for (;;); }\n"
                   % (LARGE_FUNCTIONS - 1))
    obj, elf = tmp_path / "large.o", tmp_path / "large.elf"
    tools.run(*tools.cc, "-O1", "-ffreestanding", "-fno-pic", "-fstack-usage",
              "-fcallgraph-info=su", "-c", str(src), "-o", str(obj))
    tools.run(*tools.cc, "-nostdlib", "-static", "-Wl,-e,_start", "-o", str(elf), str(obj))
    su = frames(tmp_path)
    depth = {}
    for i in range(LARGE_FUNCTIONS):
        name = f"f{i}"
        depth[name] = su[name] + max((depth[c] for c in calls[name]), default=0)
    budgets = write_budgets(tmp_path, f'[stack.entries]\ntop = {{ entry = "f{LARGE_FUNCTIONS - 1}" }}\n')
    start = time.perf_counter()
    proc = run("report", elf, "-b", budgets, "--stack", tmp_path, "--format", "json")
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    entry = json.loads(proc.stdout)["stack"]["entries"][0]
    assert entry["bound"] == depth[f"f{LARGE_FUNCTIONS - 1}"]
    print(f"\nstack analysis of {LARGE_FUNCTIONS} functions: {elapsed:.2f} s (whole run)")
    assert elapsed < 30


# The other renderers and commands

def test_markdown_and_text_list_each_frame(built, tmp_path):
    elf, work = built("i386")
    su = frames(work)
    budgets = write_budgets(tmp_path, RESOLVED)
    chain = " > ".join(f"{n} {su[n]:,}" for n in PATHS["chain"])
    for fmt, line in (("text", f"  chain: {chain}"), ("markdown", f"- `chain`: {chain}")):
        proc = run("report", elf, "-b", budgets, "--stack", work, "--format", fmt)
        assert proc.returncode == 0, proc.stderr
        assert line in proc.stdout.splitlines(), fmt
    proc = run("report", elf, "-b", budgets, "--stack", work, "--format", "markdown")
    assert "### Stack depth" in proc.stdout


def test_html_draws_a_bar_segment_per_frame(built, tmp_path):
    elf, work = built("i386")
    su = frames(work)
    budgets = write_budgets(tmp_path, RESOLVED)
    proc = run("report", elf, "-b", budgets, "--stack", work, "--format", "html")
    assert proc.returncode == 0, proc.stderr
    entry = proc.stdout.split('data-entry="chain"', 1)[1]
    section = entry.split('<div class="chain">', 1)[1].split("</div>", 1)[0]
    titles = [t.split('"', 1)[0] for t in section.split('title="')[1:]]
    assert [t.split(" (")[0] for t in titles] == [f"{n}: {su[n]:,} B"
                                                  for n in PATHS["chain"]]


def test_diff_shows_each_entrys_bound_change(built, tmp_path):
    elf, work = built("i386")
    snaps = []
    for assumed in (ASSUMED_ASM, ASSUMED_ASM + 32):
        budgets = write_budgets(tmp_path, RESOLVED.replace(
            f'asm_leaf = "{ASSUMED_ASM} B"', f'asm_leaf = "{assumed} B"'))
        snap = tmp_path / f"snap{assumed}.json"
        proc = run("snapshot", elf, "-b", budgets, "--stack", work, "-o", snap)
        assert proc.returncode == 0, proc.stderr
        snaps.append(snap)
    proc = run("diff", *snaps, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    stack = {s["name"]: s for s in json.loads(proc.stdout)["stack"]}
    assert stack["asm"]["delta"] == 32
    assert stack["chain"]["delta"] == 0
    assert [l["function"] for l in stack["asm"]["head_chain"]] == ["asm_entry", "asm_leaf"]
    text = run("diff", *snaps).stdout
    assert "  asm now via asm_entry" in text


def test_measured_marks_show_only_for_the_same_build(built, tmp_path):
    elf, work = built("i386")
    budgets = write_budgets(tmp_path, RESOLVED)
    sha = json.loads(run("report", elf, "-b", budgets, "--stack", work, "--format",
                         "json").stdout)["elf"]["sha256"]
    marks = tmp_path / "measured.json"
    for digest, shown in ((sha, 123), ("0" * 64, None)):
        marks.write_text(json.dumps({"elf_sha256": digest,
                                     "entries": {"chain": {"measured": 123}}}))
        proc = run("report", elf, "-b", budgets, "--stack", work, "--format", "json",
                   "--stack-measured", marks)
        entries = {e["name"]: e for e in json.loads(proc.stdout)["stack"]["entries"]}
        assert entries["chain"]["measured"] == shown
        assert ("measured on another build" in proc.stderr) == (shown is None)
