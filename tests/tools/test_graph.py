"""The reference graph against the linker: retained sizes are what a relink drops.

Each fixture is linked with --gc-sections --print-gc-sections and a map,
membudget predicts what removing one root takes along (`why --format
json`: retained and the sections), and the fixture is linked again
without that root (another entry, no -u, no KEEP, or a table slot
emptied at the same size).  The relink must drop exactly those sections
(ld's own list, compared with the first link's) and its input sections
must shrink by exactly the retained size.  The graph comes from the
objects the map names, or from the ELF's own relocations (--emit-relocs),
on i386, x86-64, ARM and RISC-V, in C and C++.
"""

import contextlib
import json
import os
import re
import shutil
import subprocess

import pytest

from cli_helpers import ROOT, assert_bad_input, run, write_budgets
from conftest import FIXTURES, TOOLCHAINS
from membudget.analysis import graph as graph_mod, why as why_mod
from membudget.read import mapfile

GRAPH = FIXTURES / "graph"
SCRIPT = GRAPH / "graph.lds"
CFLAGS = ("-O1", "-g", "-ffreestanding", "-fno-pic", "-fno-asynchronous-unwind-tables",
          "-ffunction-sections", "-fdata-sections")
CXXFLAGS = ("-fno-exceptions", "-fno-rtti", "-fno-threadsafe-statics")
C_SOURCES = ("start.c", "graph/app.c", "graph/lib.c", "graph/extra.c")
CXX_SOURCES = ("start.c", "graph/cxx_main.cpp", "graph/square.cpp")
REMOVED = re.compile(r"removing unused section '([^'\[]+)(?:\[[^']*\])?' in file '([^']+)'")

BUDGETS = """
[image]
name = "graph"
root = "{root}"

[components.app]
paths = ["tests/tools/fixtures/graph/app.c", "tests/tools/fixtures/graph/cxx_main.cpp",
         "tests/tools/fixtures/start.c"]

[components.lib]
paths = ["tests/tools/fixtures/graph/lib.c", "tests/tools/fixtures/graph/square.cpp"]

[components.extra]
paths = ["tests/tools/fixtures/graph/extra.c"]

[graph]
roots = [{roots}]
scripts = ["tests/tools/fixtures/graph/graph.lds"]
"""

#: The C fixture's relinks: (what to ask `why`, how the relink differs)
C_CASES = {
    "-u": ("extra_root", {"undefined": ["alt_start"]}),
    "KEEP": ("hook_entry", {"script": "nokeep"}),
    "stub": ("h_b", {"defines": ["STUB_H_B"]}),
    "entry": ("_start", {"entry": "alt_start", "undefined": ["extra_root"]}),
}
C_BASE = {"undefined": ["extra_root", "alt_start"]}
CXX_EXTRA = "_ZN2gx9extra_cxxEv"
CXX_CASES = {
    "-u": (CXX_EXTRA, {"undefined": []}),
    "KEEP": (".init_array", {"script": "noinit"}),
    "stub": ("_ZN2gx11square_areaEi", {"defines": ["STUB_AREA"]}),
}
CXX_BASE = {"undefined": [CXX_EXTRA]}


class Linker:
    """Compiles the fixture's sources once per set of -D flags; links variants."""

    def __init__(self, arch, sources, tmp, emit_relocs, cref=False):
        self.tools = TOOLCHAINS[arch]
        reason = self.tools.missing()
        if reason:
            pytest.skip(f"{arch}: {reason}")
        self.arch, self.sources, self.tmp = arch, sources, tmp
        self.emit_relocs, self.cref = emit_relocs, cref
        self.objects = {}

    def compile(self, defines):
        key = tuple(sorted(defines))
        if key not in self.objects:
            out = self.tmp / ("obj-" + "-".join(key or ("base",)))
            out.mkdir()
            objs = []
            for src in self.sources:
                rel = (FIXTURES / src).relative_to(ROOT)
                obj = out / (rel.stem + ".o")
                cc = list(self.tools.cc)
                if src.endswith(".cpp"):
                    cc[0] = "g++"
                    cc += CXXFLAGS
                self.tools.run(*cc, *CFLAGS, *(f"-D{d}" for d in defines), "-c", str(rel),
                               "-o", str(obj))
                objs.append(obj)
            self.objects[key] = objs
        return self.objects[key]

    def script(self, variant):
        if variant is None:
            return SCRIPT
        text = SCRIPT.read_text()
        text = {"nokeep": text.replace("KEEP(*(.hooks))", "*(.hooks)"),
                "noinit": text.replace("KEEP(*(SORT(.init_array.*) .init_array))",
                                       "*(SORT(.init_array.*) .init_array)")}[variant]
        path = self.tmp / f"{variant}.lds"
        path.write_text(text)
        return path

    def link(self, name, undefined=(), defines=(), script=None, entry="_start"):
        """Link a variant: (elf, map, {(section, object)} ld removed)."""
        elf, map_path = self.tmp / f"{name}.elf", self.tmp / f"{name}.map"
        cmd = [self.tools.cc[0] if not any(s.endswith(".cpp") for s in self.sources)
               else "g++", *self.tools.cc[1:], "-nostdlib", "-static",
               f"-Wl,-e,{entry}", f"-Wl,-T,{self.script(script)}", "-Wl,--gc-sections",
               "-Wl,--print-gc-sections", f"-Wl,-Map={map_path}"]
        cmd += ["-Wl,--emit-relocs"] if self.emit_relocs else []
        cmd += ["-Wl,--cref"] if self.cref else []
        cmd += [f"-Wl,-u,{u}" for u in undefined]
        cmd += ["-o", str(elf), *map(str, self.compile(defines))]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        removed = {m.groups() for m in REMOVED.finditer(proc.stderr)}
        return elf, map_path, removed


def placed(map_path):
    """{(input section, object's file name): bytes} of the map's input sections
    in allocated output sections (fill and the linker's own bytes excluded)."""
    link = mapfile.read_map(map_path)
    outputs = {name for name, sec in link.sections.items() if sec.addr}
    return {(e.name, os.path.basename(e.object)): e.size for e in link.entries
            if e.object and e.size and not (e.fill or e.linker) and e.output in outputs}


@contextlib.contextmanager
def hidden(linker):
    """The objects out of sight (renamed), so that the graph comes from the ELF."""
    dirs = sorted(linker.tmp.glob("obj-*")) if linker.emit_relocs else []
    for d in dirs:
        d.rename(d.with_name(d.name + ".hidden"))
    try:
        yield
    finally:
        for d in dirs:
            d.with_name(d.name + ".hidden").rename(d)


def why_json(elf, map_path, query, *args):
    proc = run("why", query, elf, "--map", map_path, "--format", "json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def check_relink(linker, base, cases, budgets, source):
    """Every case: the relink drops what `why` says, to the byte."""
    base = dict(base, defines=base.get("defines", []))
    elf, map_path, removed_before = linker.link("base", **base)
    before = placed(map_path)
    for label, (query, variant) in cases.items():
        with hidden(linker):
            doc = why_json(elf, map_path, query, "-b", budgets)
        assert doc["graph"]["source"] == source, doc["graph"]
        predicted = {(r["section"], os.path.basename(r["object"])) for r in doc["removed"]}
        variant = {**base, **variant,
                   "defines": base["defines"] + variant.get("defines", [])}
        _, relinked_map, removed_after = linker.link(label.strip("-"), **variant)
        after = placed(relinked_map)
        assert predicted == set(before) - set(after), (label, query)
        assert doc["retained"] == sum(r["size"] for r in doc["removed"]) > 0
        assert sum(before.values()) - sum(after.values()) == doc["retained"], (label, query)
        # ld's own account: what --print-gc-sections adds (a slot emptied at
        # compile time takes its function out of the object instead)
        gc = {(s, os.path.basename(o)) for s, o in removed_after - removed_before
              if s != ".group"}
        gc = (gc - {(s, os.path.basename(o)) for s, o in removed_before}) & set(before)
        assert gc <= predicted and len(predicted - gc) <= ("defines" in variant), label


@pytest.fixture
def graph_budgets(tmp_path):
    def write(roots):
        return write_budgets(tmp_path, BUDGETS, roots=", ".join(f'"{r}"' for r in roots))
    return write


@pytest.mark.parametrize("arch, emit_relocs", [
    ("i386", False), ("i386", True), ("x86_64", True), ("arm", True), ("arm", False),
    ("riscv32", True), ("riscv32", False)])
def test_c_retained_is_what_the_relink_drops(arch, emit_relocs, tmp_path, graph_budgets):
    linker = Linker(arch, C_SOURCES, tmp_path, emit_relocs)
    budgets = graph_budgets(["extra_root", "alt_start"])
    check_relink(linker, C_BASE, C_CASES, budgets,
                 "relocations" if emit_relocs else "objects")


@pytest.mark.parametrize("emit_relocs", [False, True])
def test_cxx_retained_is_what_the_relink_drops(emit_relocs, tmp_path, graph_budgets):
    if shutil.which("g++") is None:
        pytest.skip("g++ not installed")
    linker = Linker("i386", CXX_SOURCES, tmp_path, emit_relocs)
    budgets = graph_budgets([CXX_EXTRA])
    # An image has no section groups: the group's unreferenced member would
    # count as unreferenced (module docstring of analysis/graph.py)
    base = dict(CXX_BASE, defines=["NO_GROUP_TAG"] if emit_relocs else [])
    check_relink(linker, base, CXX_CASES, budgets,
                 "relocations" if emit_relocs else "objects")


# -- the firmware ------------------------------------------------------------------

FIRMWARE_LDS = ROOT / "firmware" / "arch" / "i386" / "firmware.lds"
FIRMWARE_BUDGETS = ROOT / "budgets" / "firmware.toml"
#: Functions the firmware's link drops; the base link keeps them with -u
FIRMWARE_EXTRA = ("heap_stats", "strlen", "ufree")


def firmware_link(build, out, undefined):
    """The firmware's link (without the budgets' ASSERTs), plus -u symbols."""
    objects = sorted(str(p) for p in (build / "fw").rglob("*.o"))
    elf, map_path = out.with_suffix(".elf"), out.with_suffix(".map")
    proc = subprocess.run(["ld", "-m", "elf_i386", "--gc-sections", "--print-gc-sections",
                           "-nostdlib", "--orphan-handling=error", "--no-warn-rwx-segments",
                           "-L", str(build / "lds"), "-T", str(FIRMWARE_LDS),
                           "-Map", str(map_path), "-o", str(elf),
                           *(f"-u{u}" for u in undefined), *objects],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return elf, map_path


def test_firmware_retained_is_what_the_relink_drops(firmware_build, tmp_path):
    elf, map_path = firmware_link(firmware_build, tmp_path / "base", FIRMWARE_EXTRA)
    before = placed(map_path)
    found = {}
    for name in FIRMWARE_EXTRA:
        doc = why_json(elf, map_path, name, "-b", FIRMWARE_BUDGETS)
        assert doc["graph"]["source"] == "objects"
        rest = [u for u in FIRMWARE_EXTRA if u != name]
        _, relinked = firmware_link(firmware_build, tmp_path / name, rest)
        after = placed(relinked)
        assert {(r["section"], os.path.basename(r["object"])) for r in doc["removed"]} \
            == set(before) - set(after)
        assert sum(before.values()) - sum(after.values()) == doc["retained"] > 0
        found[name] = doc["retained"]
    # Each retains just its own section (heap_discard is the allocator's
    # too): the bytes the firmware's own link discards for it
    discarded = {e.name: e.size for e in
                 mapfile.read_map(firmware_build / "firmware.map").discarded}
    assert found["heap_stats"] == discarded[".text.heap_stats"]
    assert found["ufree"] == discarded[".text.ufree"]


def test_firmware_why_and_replacing_the_heap(firmware_build):
    """Issue 18's acceptance, on the firmware as the Makefile links it."""
    elf, map_path = firmware_build / "firmware.elf", firmware_build / "firmware.map"
    doc = why_json(elf, map_path, "heap_discard", "-b", FIRMWARE_BUDGETS)
    chain = doc["chains"][0]
    assert chain[0]["root"] == {"kind": "entry", "name": "_start"}
    assert chain[-1]["symbol"] == "heap_discard" and chain[-1]["file"] == "firmware/heap.c"
    assert doc["hops"] == len(chain) - 1 >= 2 and doc["shortest_chains"] >= 1
    assert doc["retained"] == sum(r["size"] for r in doc["removed"]) > 0
    # heap_discard_all: the boot self-test calls it, straight from the entry
    doc = why_json(elf, map_path, "heap_discard_all", "-b", FIRMWARE_BUDGETS)
    assert [hop["symbol"] for hop in doc["chains"][0]] == [
        "_start", "boot_main", "heap_discard_all"]
    assert doc["retained"] == 12
    # heap_stats is not linked: the map says the link discarded it
    proc = run("why", "heap_stats", elf, "--map", map_path)
    assert_bad_input(proc, "heap_stats: not in", "discarded .text.heap_stats", "heap.o")
    proc = run("plan", elf, "-b", FIRMWARE_BUDGETS, "--map", map_path, "--remove", "heap",
               "--add-object", firmware_build / "fw" / "heap.o", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    added, removed = plan["changes"]
    report = json.loads(run("report", elf, "-b", FIRMWARE_BUDGETS, "--map", map_path,
                            "--format", "json").stdout)
    heap = next(c for c in report["components"] if c["name"] == "heap")
    assert added["sizes"]["code"] == heap["code"] == removed["sizes"]["code"]
    assert {d["symbol"] for d in added["gc_dropped"]} == {"heap_stats"}
    assert plan["fits"]
    # The heap's range holds alignment fill the planned sections leave out
    # (reported as slack): at most that much less, never more
    for key in ("rom", "ram"):
        assert 0 <= plan["before"][key] - plan["after"][key] <= added["alignment_slack"]


# -- the algorithms ------------------------------------------------------------------

def random_graph(seed, n):
    """A derandomized graph of n nodes with a few roots, cycles and shared callees."""
    import random
    rng = random.Random(seed)
    succ = [sorted({rng.randrange(n) for _ in range(rng.randrange(4))} - {i})
            for i in range(n)]
    nodes = [graph_mod.Node(f".text.f{i}", "x.o", ".text", i * 16, rng.randrange(1, 16))
             for i in range(n)]
    roots = {r: ("entry", "r") for r in rng.sample(range(n), rng.randrange(1, 4))}
    g = graph_mod.Graph("test", "", nodes, succ, roots)
    seen = g.reachable()
    g.nodes = [node for i, node in enumerate(nodes) if seen[i]]
    keep = {i: k for k, i in enumerate(i for i in range(n) if seen[i])}
    g.succ = [[keep[w] for w in succ[i]] for i in range(n) if seen[i]]
    g.roots = {keep[r]: why for r, why in roots.items()}
    return g


@pytest.mark.parametrize("seed", range(40))
def test_dominator_retained_equals_removal(seed):
    """The dominator tree's retained size of every node is what a walk from
    the roots without it no longer reaches (its own bytes included)."""
    g = random_graph(seed, 12 + seed)
    retained = g.retained()
    for i, node in enumerate(g.nodes):
        gone = g.removed([i])
        assert retained[i] == sum(g.nodes[k].size for k in gone), (seed, i)
        assert g.dominated(i) == gone


def test_paths_count_cycles_once():
    """Two ways into a cycle and out of it to the target, and one short way
    around: 3 paths, 1 shortest chain (the short way)."""
    nodes = [graph_mod.Node(f"s{i}", None, ".text", i, 1) for i in range(6)]
    succ = [[1, 2, 5], [3], [3], [2, 4], [], [4]]
    g = graph_mod.Graph("test", "", nodes, succ, {0: ("entry", "s0")})
    assert why_mod.count_paths(g, [4]) == 3
    nodes[4].symbols = ["target"]
    result = why_mod.why(g, "target")
    assert (result.hops, result.shortest, result.paths) == (2, 1, 3)
    assert [h.section for h in result.chains[0]] == ["s0", "s5", "s4"]
    # Without the short way: the two chains through the cycle
    g.succ[0] = [1, 2]
    result = why_mod.why(g, "target")
    assert (result.hops, result.shortest, result.paths) == (3, 2, 2)


# -- the commands on the C fixture ----------------------------------------------------

@pytest.fixture(scope="module")
def c_fixture(tmp_path_factory):
    """The C fixture linked once for i386 (objects source): (linker, elf, map, budgets)."""
    tmp = tmp_path_factory.mktemp("graphc")
    linker = Linker("i386", C_SOURCES, tmp, emit_relocs=False)
    elf, map_path, _ = linker.link("base", **C_BASE)
    budgets = write_budgets(tmp, BUDGETS, roots='"extra_root", "alt_start"')
    return linker, elf, map_path, budgets


def test_report_by_symbol_carries_retained(c_fixture):
    _, elf, map_path, budgets = c_fixture
    proc = run("report", elf, "-b", budgets, "--map", map_path, "--by", "symbol",
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    rows = {(r["name"], r["component"]): r for r in doc["details"]["rows"]}
    for name, comp in (("parse", "lib"), ("h_b", "app"), ("extra_root", "extra")):
        assert rows[(name, comp)]["retained"] == why_json(elf, map_path, name, "-b",
                                                          budgets)["retained"]
    assert rows[("parse", "lib")]["retained"] > rows[("parse", "lib")]["code"]
    comps = {c["name"]: c for c in doc["components"]}
    assert comps["app"]["retained"] == why_json(elf, map_path, "app", "-b",
                                                budgets)["retained"]
    graph = doc["graph"]
    assert graph["source"] == "objects" and graph["unavailable"] is None
    roots = {(r["kind"], r["name"]) for r in graph["roots"]}
    assert {("entry", "_start"), ("KEEP", "*(.hooks)"), ("KEEP", "*(.keep_table)"),
            ("extern", "extra_root ([graph] roots)")} <= roots
    text = run("report", elf, "-b", budgets, "--map", map_path, "--by", "symbol").stdout
    header = next(line for line in text.splitlines() if line.startswith("symbol "))
    assert header.split()[-2:] == ["total", "retained"]
    assert "retained sizes: reference graph from objects" in text
    assert max(len(line) for line in text.splitlines()
               if not line.startswith("warning:")) <= 100, text


def test_without_a_source_report_says_why_and_why_exits_2(c_fixture, tmp_path):
    linker, *_ = c_fixture
    objects = []
    for obj in linker.compile(()):
        copy = tmp_path / obj.name
        copy.write_bytes(obj.read_bytes())
        objects.append(copy)
    elf, map_path = tmp_path / "gone.elf", tmp_path / "gone.map"
    linker.tools.run(linker.tools.cc[0], *linker.tools.cc[1:], "-nostdlib", "-static",
                     f"-Wl,-T,{SCRIPT}", "-Wl,--gc-sections", f"-Wl,-Map={map_path}",
                     "-o", str(elf), *map(str, objects))
    for obj in objects:
        obj.unlink()
    doc = json.loads(run("report", elf, "--map", map_path, "--by", "symbol",
                         "--format", "json").stdout)
    assert "no reference graph" in doc["graph"]["unavailable"]
    assert all("retained" not in r for r in doc["details"]["rows"])
    text = run("report", elf, "--map", map_path, "--by", "symbol").stdout
    assert "retained sizes unavailable:" in text and "none of the 4 objects" in text
    assert_bad_input(run("why", "parse", elf, "--map", map_path), "no reference graph",
                     "--emit-relocs")
    stray = tmp_path / "stray.o"
    linker.tools.run(*linker.tools.cc, "-c", "-x", "c", "/dev/null", "-o", str(stray))
    other = c_fixture[0].compile(())[1]
    assert_bad_input(run("why", "parse", c_fixture[1], "--map", c_fixture[2],
                         "--objects", tmp_path / "missing.o"), "missing.o")
    assert_bad_input(run("why", "parse", elf, "--map", map_path, "--objects", other),
                     "not an object of this link")


def test_why_finds_symbols_components_files_and_sections(c_fixture):
    _, elf, map_path, budgets = c_fixture
    assert why_json(elf, map_path, "lib", "-b", budgets)["as"] == "component"
    by_path = why_json(elf, map_path, "tests/tools/fixtures/graph/lib.c")
    by_name = why_json(elf, map_path, "lib.c")
    assert by_path["as"] == by_name["as"] == "file"
    assert by_path["retained"] == by_name["retained"] > 0
    assert why_json(elf, map_path, ".keep_table")["as"] == "section"
    doc = why_json(elf, map_path, "keep_table", "-b", budgets)
    assert doc["chains"][0][0]["root"] == {"kind": "KEEP", "name": "*(.keep_table)"}
    assert doc["hops"] == 0
    text = run("why", "parse_step", elf, "--map", map_path).stdout
    assert "-> parse_step" in text and "root: entry _start" in text
    assert_bad_input(run("why", "no_such_symbol", elf, "--map", map_path),
                     "no_such_symbol: no symbol, component or file")
    assert_bad_input(run("why", "lib_unused", elf, "--map", map_path),
                     "the link discarded .text.lib_unused")


def test_plan_remove_symbol_and_component_take_along_what_only_they_keep(c_fixture):
    _, elf, map_path, budgets = c_fixture
    parse = why_json(elf, map_path, "parse", "-b", budgets)
    proc = run("plan", elf, "-b", budgets, "--map", map_path, "--remove-symbol", "parse",
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    (change,) = doc["changes"]
    assert change["symbol"] == "parse" and change["component"] == "lib"
    assert sum(change["freed"]["lib"][k] for k in ("code", "rodata", "data", "bss")) \
        == parse["retained"]
    assert {g["section"] for g in change["goes"]} == {r["section"] for r in parse["removed"]}
    assert doc["before"]["ram"] - doc["after"]["ram"] == parse["retained"]
    assert doc["unresolved"] == [{"symbol": "parse", "referrers": ["main"]}]
    # Removing app takes parse (only main calls it) out of lib as well
    doc = json.loads(run("plan", elf, "-b", budgets, "--map", map_path, "--remove", "app",
                         "--format", "json").stdout)
    (change,) = doc["changes"]
    assert "parse" in {g["symbol"] for g in change["goes"]}
    assert change["freed"]["lib"]["code"] >= parse["retained_sizes"]["lib"]["code"]
    assert doc["before"]["ram"] - doc["after"]["ram"] == why_json(
        elf, map_path, "app", "-b", budgets)["retained"]


def test_plan_add_object_counts_what_the_link_keeps(c_fixture):
    linker, elf, map_path, budgets = c_fixture
    lib_o = linker.compile(())[2]
    report = json.loads(run("report", elf, "-b", budgets, "--map", map_path,
                            "--format", "json").stdout)
    lib = next(c for c in report["components"] if c["name"] == "lib")
    doc = json.loads(run("plan", elf, "-b", budgets, "--map", map_path, "--remove", "lib",
                         "--add-object", lib_o, "--format", "json").stdout)
    added = next(c for c in doc["changes"] if not c["remove"])
    assert [d["symbol"] for d in added["gc_dropped"]] == ["lib_unused"]
    assert {k: added["sizes"][k] for k in ("code", "rodata", "data", "bss")} == \
        {k: lib[k] for k in ("code", "rodata", "data", "bss")}
    assert doc["after"] == doc["before"] and doc["unresolved"] == []
    text = run("plan", elf, "-b", budgets, "--map", map_path, "--remove", "lib",
               "--add-object", lib_o).stdout
    assert "--gc-sections would drop" in text and "lib_unused" in text


def test_shared_object_roots_are_its_exports(build_elf):
    built = build_elf("graph-so", sources=["graph/lib.c"], shared=True,
                      cflags=("-ffunction-sections", "-fdata-sections"),
                      ldflags=("-Wl,--gc-sections",))
    doc = why_json(built.elf, built.map, "parse_step")
    chain = [h["symbol"] for h in doc["chains"][0]]
    assert chain == ["parse", "parse_step"]
    assert doc["chains"][0][0]["root"] == {"kind": "exported", "name": "parse"}


def test_cref_is_the_coarse_fallback(tmp_path):
    linker = Linker("i386", C_SOURCES, tmp_path, emit_relocs=False, cref=True)
    elf, map_path, _ = linker.link("cref", **C_BASE)
    assert mapfile.read_map(map_path).cref["lib_shared"][0].endswith("lib.o")
    for obj in linker.compile(()):
        obj.unlink()
    doc = why_json(elf, map_path, "parse_step")
    assert doc["graph"]["source"] == "cross reference"
    assert any("coarse" in note for note in doc["graph"]["notes"])
    chain = doc["chains"][0]
    assert [os.path.basename(h["section"]) for h in chain] == ["start.o", "app.o", "lib.o"]
    assert chain[1]["symbol"] == "main"


def test_unreferenced_sections_count_as_roots(tmp_path, graph_budgets):
    """Without [graph] roots, what -u keeps is found as an unreferenced root,
    and what it alone keeps is still its retained size."""
    linker = Linker("i386", C_SOURCES, tmp_path, emit_relocs=False)
    budgets = graph_budgets([])
    check_relink(linker, C_BASE, {"-u": C_CASES["-u"]}, budgets, "objects")
    doc = json.loads(run("report", tmp_path / "base.elf", "-b", budgets, "--map",
                         tmp_path / "base.map", "--by", "symbol", "--format", "json").stdout)
    roots = {(r["kind"], r["name"]) for r in doc["graph"]["roots"]}
    assert ("unreferenced", ".text.extra_root") in roots
    assert any("no known root reaches" in note for note in doc["graph"]["notes"])


def test_fde_keeps_its_functions_lsda(tmp_path):
    """A function's .gcc_except_table goes with it: only its FDE refers to
    it, and ld keeps what the FDE of a kept function refers to.  (The FDE's
    own bytes in .eh_frame are not counted: tool.md.)"""
    if shutil.which("g++") is None:
        pytest.skip("g++ not installed")
    src = (GRAPH / "except.cpp").relative_to(ROOT)
    obj = tmp_path / "except.o"
    subprocess.run(["g++", "-O1", "-ffunction-sections", "-fdata-sections", "-c", str(src),
                    "-o", str(obj)], cwd=ROOT, check=True)
    links = {}
    for name, extra in (("base", ["-Wl,-u,_Z5otheri"]), ("relinked", [])):
        elf, map_path = tmp_path / f"{name}.elf", tmp_path / f"{name}.map"
        proc = subprocess.run(["g++", "-Wl,--gc-sections", "-Wl,--print-gc-sections",
                               f"-Wl,-Map={map_path}", *extra, str(obj), "-o", str(elf)],
                              cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        links[name] = (elf, map_path, {m.groups() for m in REMOVED.finditer(proc.stderr)})
    elf, map_path, before = links["base"]
    doc = why_json(elf, map_path, "_Z5otheri")
    predicted = {(r["section"], r["object"]) for r in doc["removed"]}
    assert (".gcc_except_table._Z5otheri", str(obj)) in predicted
    assert predicted == links["relinked"][2] - before
    sizes = placed(map_path)
    assert doc["retained"] == sum(sizes[(s, "except.o")] for s, _ in predicted)
