"""The real-world layout corpus: membudget against GNU ld's own account.

Each layout in tests/tools/fixtures/realworld/ (iPXE-style real mode,
Cortex-M XIP, RISC-V small data, an overlay, a LONG after an empty
pattern, an assembly blob without .size, C++) is compiled and linked here
(`build_layout`, conftest.py) and reported as a user would:
`python3 tools/membudget report ELF --map MAP --by file --format json`.
The truth is maporacle's own reading of the same map, itself checked
against `size -A` and the ELF's SHF_ALLOC flags; memory regions are
checked against `ld --print-memory-usage`.  Issue 12 defines the
behaviour expected here.
"""

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePath

import pytest

import maporacle
from maporacle import CLASSES

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "tools" / "membudget"
SECTIONS = ("-ffunction-sections", "-fdata-sections")


@dataclass(frozen=True)
class Layout:
    arch: str
    sources: tuple
    cflags: tuple = ()
    memory: bool = False    # the script has a MEMORY block
    ram: str | None = None  # "xip": ram = data + bss; "loaded": every class


LAYOUTS = {
    "ipxe": Layout("i386", ("prefix.S", "real.S", "core.c"), ram="loaded"),
    "cortexm": Layout("arm", ("vectors.c", "main.c"), memory=True, ram="xip"),
    "riscv": Layout("riscv32", ("start.S", "main.c"), memory=True, ram="xip"),
    # Two sections share one VMA: what "ram" means there is not settled
    "overlay": Layout("i386", ("main.c", "ovl_a.c", "ovl_b.c"), SECTIONS),
    "xdata": Layout("i386", ("main.c",), SECTIONS, ram="loaded"),
    "asmblob": Layout("i386", ("main.c", "blob.S"), SECTIONS, ram="loaded"),
    "cxx": Layout("i386-c++", ("driver.cpp",),
                  SECTIONS + ("-fno-exceptions", "-fno-rtti"), ram="loaded"),
}


@dataclass
class Case:
    name: str
    layout: Layout
    built: object           # conftest.Built
    truth: maporacle.LinkMap


_reports = {}


def report(case, by="file", *options, use_map=True):
    """membudget's JSON report of a case (run once per session and key)."""
    key = (case.name, by, options, use_map)
    if key not in _reports:
        with_map = ["--map", str(case.built.map)] if use_map else []
        _reports[key] = subprocess.run(
            [sys.executable, str(LAUNCHER), "report", str(case.built.elf), *with_map,
             "--by", by, "--format", "json", *options],
            cwd=ROOT, capture_output=True, text=True, timeout=120)
    proc = _reports[key]
    if proc.returncode:
        pytest.fail(f"membudget exit {proc.returncode}: {proc.stderr.strip()}", pytrace=False)
    return json.loads(proc.stdout)


def make_case(name, build_layout):
    layout = LAYOUTS[name]
    built = build_layout(name, layout.sources, layout.arch, layout.cflags,
                         memory_usage=layout.memory)
    return Case(name, layout, built, maporacle.parse_map(built.map))


@pytest.fixture(params=sorted(LAYOUTS))
def case(request, build_layout):
    return make_case(request.param, build_layout)


@pytest.fixture(params=sorted(n for n, layout in LAYOUTS.items() if layout.memory))
def regions_case(request, build_layout):
    return make_case(request.param, build_layout)


@pytest.fixture(params=sorted(n for n, layout in LAYOUTS.items() if layout.ram))
def ram_case(request, build_layout):
    return make_case(request.param, build_layout)


def bucket(doc, name):
    return next(b for b in doc["buckets"] if b["name"] == name)


def bytes_of(entry):
    return sum(entry[c] for c in CLASSES)


def describe(entry):
    """`[padding] code 0, rodata 60, data 0, bss 0`, for assertion messages."""
    return entry["name"] + " " + ", ".join(f"{c} {entry[c]}" for c in CLASSES)


def object_rows(case, doc):
    """{object: {class: bytes}} from membudget's --by file rows.

    A row belongs to an object when it names the object's source (as
    compiled, relative to the repository) or the object file itself.
    Bucket rows ([padding] ...) belong to no object.
    """
    objects = {}
    for source in case.built.sources:
        obj = PurePath(source).stem + ".o"
        sizes = dict.fromkeys(CLASSES, 0)
        for row in doc["details"]["rows"]:
            name = row["name"]
            if row["component"].startswith("["):
                continue
            if name == source or name.endswith("/" + source) or PurePath(name).name == obj:
                for cls in CLASSES:
                    sizes[cls] += row[cls]
        objects[obj] = sizes
    return objects


# The oracle, checked against binutils

def test_oracle_reads_exactly_the_allocated_sections(case):
    """The map's non-empty allocated output sections are the ELF's SHF_ALLOC ones."""
    elf = {n for n, (_, size) in case.built.tools.allocated_sections(case.built.elf).items()
           if size}
    oracle = {s.name for s in case.truth.sections if s.size}
    assert oracle == elf


def test_oracle_pieces_sum_to_size_A(case):
    """Input sections + fill + statements == each section's size in `size -A`."""
    size_a = case.built.tools.size_sections(case.built.elf)
    headers, pieces = case.truth.section_sizes(), case.truth.piece_sums()
    for name, size in headers.items():
        if size:
            assert (pieces[name], size) == (size_a[name], size_a[name]), name


def test_oracle_memory_configuration_matches_print_memory_usage(regions_case):
    printed = maporacle.parse_memory_usage(regions_case.built.extra["memory_usage"])
    lengths = {name: length for name, (_, length) in printed.items()}
    assert lengths
    assert {r.name: r.length for r in regions_case.truth.regions} == lengths


# membudget against the oracle, every layout

def test_objects_classes_equal_map(case):
    """Per object: code, rodata, data and bss exactly as the map places them."""
    truth = {obj: sizes for obj, sizes in case.truth.by_object().items()
             if bytes_of(sizes)}
    measured = object_rows(case, report(case))
    assert measured == truth


def test_class_totals_equal_map(case):
    """Image totals, less fill and linker-generated bytes, equal the map's input sections."""
    doc = report(case)
    padding, linker = bucket(doc, "[padding]"), bucket(doc, "[linker-generated]")
    measured = {c: doc["totals"][c] - padding[c] - linker[c] for c in CLASSES}
    truth = case.truth.class_totals()
    assert measured == truth


def test_padding_is_the_maps_fill(case):
    padding, fill = bytes_of(bucket(report(case), "[padding]")), case.truth.total("fill")
    assert padding == fill


def test_linker_generated_is_the_maps_data_statements(case):
    generated = bytes_of(bucket(report(case), "[linker-generated]"))
    statements = case.truth.total("statement")
    assert generated == statements


def test_nothing_unattributed(case):
    unattributed = bucket(report(case), "[unattributed]")
    assert bytes_of(unattributed) == 0, describe(unattributed)


def test_rom_is_the_bytes_stored_in_the_image(case):
    """rom: every allocated section with contents (PROGBITS), counted by LMA."""
    sections = case.built.tools.allocated_sections(case.built.elf).values()
    stored = sum(size for kind, size in sections if kind != "NOBITS")
    assert report(case)["totals"]["rom"] == stored


def test_ram(ram_case):
    """XIP: ram is data + bss.  Loaded into RAM: every class."""
    totals = report(ram_case)["totals"]
    classes = ("data", "bss") if ram_case.layout.ram == "xip" else CLASSES
    assert totals["ram"] == sum(totals[c] for c in classes), totals


def test_regions_equal_print_memory_usage(regions_case):
    """Every region's used bytes as `ld --print-memory-usage` prints them."""
    printed = maporacle.parse_memory_usage(regions_case.built.extra["memory_usage"])
    ld = {name: used for name, (used, _) in printed.items()}
    doc = report(regions_case)
    assert "regions" in doc, f"no regions in the JSON report; ld says {ld}"
    assert {r["name"]: r["used"] for r in doc["regions"]} == ld


def test_regions_origin_and_length_equal_the_map(regions_case):
    truth = {r.name: (r.origin, r.length) for r in regions_case.truth.regions}
    doc = report(regions_case)
    assert "regions" in doc, f"no regions in the JSON report; the map has {truth}"
    assert {r["name"]: (r["origin"], r["length"]) for r in doc["regions"]} == truth


# One property per layout, stated on its own

def test_ipxe_real_mode_objects_have_rows(build_layout):
    case = make_case("ipxe", build_layout)
    rows, truth = object_rows(case, report(case)), case.truth.by_object()
    assert rows["prefix.o"]["code"] == truth["prefix.o"]["code"] > 0
    assert rows["real.o"]["code"] == truth["real.o"]["code"] > 0
    assert rows["real.o"]["data"] == truth["real.o"]["data"] > 0


def test_ipxe_textdata_is_classed_by_input_section(build_layout):
    """The writable, executable .textdata holds core.c's rodata and data too."""
    case = make_case("ipxe", build_layout)
    core = object_rows(case, report(case))["core.o"]
    truth = case.truth.by_object()["core.o"]
    assert (core["rodata"], core["data"]) == (truth["rodata"], truth["data"])


def test_cortexm_const_banner_is_rodata(build_layout):
    """The 52-byte const string sits in .text (by the script) and is rodata."""
    case = make_case("cortexm", build_layout)
    sizes = {name: size for (name, _), size in case.built.tools.nm_sizes(case.built.elf).items()}
    assert sizes["banner"] == 52
    rows = report(case, "symbol", "--top", "100")["details"]["rows"]
    banner = [r for r in rows if r["name"] == "banner"]
    assert [(r["code"], r["rodata"]) for r in banner] == [(0, 52)]


def test_cortexm_ram_is_the_ram_region(build_layout):
    """XIP: ram counts .data and .bss (and the stack), not the code in FLASH."""
    case = make_case("cortexm", build_layout)
    ram_used, _ = maporacle.parse_memory_usage(case.built.extra["memory_usage"])["RAM"]
    assert report(case)["totals"]["ram"] == ram_used


def test_overlay_sections_fully_attributed(build_layout):
    """Both sections at the overlay's one VMA: every byte has its owner."""
    case = make_case("overlay", build_layout)
    rows = report(case, "section")["details"]["rows"]
    sizes = case.built.tools.size_sections(case.built.elf)
    for section in (".ovl_a", ".ovl_b"):
        owned = [r for r in rows if r["name"] == section]
        assert sum(bytes_of(r) for r in owned) == sizes[section], section
        inputs = sum(p.size for s in case.truth.sections if s.name == section
                     for p in s.pieces if p.kind == "input")
        files = sum(bytes_of(r) for r in owned if not r["component"].startswith("["))
        assert files == inputs, section


XDATA_BUDGETS = """
[image]
root = "{root}"

[components.xdata]
paths = ["tests/tools/fixtures/realworld/xdata/main.c"]
"""


def test_xdata_long_after_empty_pattern_is_linker_generated(build_layout, tmp_path):
    """LONG(0x12345678) after `*(.xdata)` is the linker's, not an object's.

    With a budgets file and no catch-all, a LONG misread as an input
    section lands in [unattributed].
    """
    case = make_case("xdata", build_layout)
    budgets = tmp_path / "xdata.toml"
    budgets.write_text(XDATA_BUDGETS.format(root=ROOT))
    doc = report(case, "file", "-b", str(budgets))
    unattributed = bucket(doc, "[unattributed]")
    assert bytes_of(unattributed) == 0, describe(unattributed)
    assert bucket(doc, "[linker-generated]")["data"] == 4
    assert [r["name"] for r in doc["details"]["rows"] if "LONG" in r["name"]] == []


def test_asmblob_without_size_is_not_padding(build_layout):
    """60 bytes of 0x11 that end on an aligned address are blob.S's rodata."""
    case = make_case("asmblob", build_layout)
    doc = report(case)
    assert object_rows(case, doc)["blob.o"]["rodata"] == 60
    padding = bucket(doc, "[padding]")
    assert bytes_of(padding) == 0, describe(padding)


def test_asmblob_without_size_is_not_padding_without_a_map(build_layout):
    """No map, no symbol size: the 60 bytes are not fill, so not [padding]."""
    case = make_case("asmblob", build_layout)
    padding = bucket(report(case, use_map=False), "[padding]")
    assert bytes_of(padding) == 0, describe(padding)


@pytest.mark.skipif(shutil.which("c++filt") is None, reason="c++filt not installed")
def test_cxx_demangled_names_in_symbol_report(build_layout):
    """Every mangled symbol shows as c++filt spells it (`name` or `demangled`)."""
    case = make_case("cxx", build_layout)
    mangled = sorted({name for name, _ in case.built.tools.nm_sizes(case.built.elf)
                      if name.startswith("_Z")})
    assert len(mangled) >= 3
    demangled = case.built.tools.run("c++filt", *mangled).splitlines()
    rows = report(case, "symbol", "--top", "100")["details"]["rows"]
    shown = {r["name"] for r in rows} | {r.get("demangled") for r in rows}
    missing = [d for d in demangled if d not in shown]
    assert missing == [], f"report --by symbol shows {sorted(filter(None, shown))}"
