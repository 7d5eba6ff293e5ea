"""membudget lds: the ASSERTs it writes make a real `ld` link fail, naming
the component, and pass with an adequate budget; with --place, the
placement fragments it writes decide where each component's sections go,
in a real link of a fixture and of the firmware."""

import re
import subprocess

import pytest

from cli_helpers import ROOT, run
from membudget.analysis import placement
from membudget.model import InputError
from membudget.read import budgets as budgets_mod
from membudget.render import lds

FIXTURE_LDS = ROOT / "tests" / "tools" / "fixtures" / "boundary.lds"
PLACEMENT_LDS = ROOT / "tests" / "tools" / "fixtures" / "placement.lds"
FIRMWARE_LDS = ROOT / "firmware" / "arch" / "i386" / "firmware.lds"
FIRMWARE_BUDGETS = ROOT / "budgets" / "firmware.toml"
#: mk/firmware.mk's FW_OBJECT_MAP
FIRMWARE_OBJECT_MAP = "firmware/=*/fw/"
CLASSES = ("code", "rodata", "data", "bss")

FIXTURE_BUDGETS = """
[image]
name = "fixture"
root = "{root}"
rom = "{rom} B"

[components.heap]
paths = ["tests/tools/fixtures/heap.c"]
budget = {{ code = "{code} B", rom = "4 KiB" }}

[components.e820_map]
paths = ["tests/tools/fixtures/e820.c"]
budget = {{ code = "4 KiB", data = "1 KiB" }}

[components.rest]
catch_all = true
budget = {{ ram = "0 B" }}
"""


def symbols(elf):
    out = subprocess.run(["nm", str(elf)], capture_output=True, text=True,
                         check=True).stdout
    return {f[2]: int(f[0], 16) for f in map(str.split, out.splitlines()) if len(f) == 3}


def span(syms, comp, cls):
    return syms[f"__mb_{comp}_{cls}_end"] - syms[f"__mb_{comp}_{cls}_start"]


@pytest.fixture(scope="module")
def fixture(build_elf):
    return build_elf("lds-boundary", script="boundary.lds")


def write_lds(tmp_path, budgets_text, script, *place):
    """The ASSERT fragment of budgets_text; place: --place and --object-map args."""
    budgets = tmp_path / "b.toml"
    budgets.write_text(budgets_text)
    out = tmp_path / "budgets.lds"
    proc = run("lds", "-b", budgets, "--script", script, *place, "-o", out)
    assert proc.returncode == 0, proc.stderr
    return out


def link_fixture(fixture, fragment, tmp_path):
    elf = tmp_path / "out.elf"
    return subprocess.run(["gcc", "-m32", "-nostdlib", "-static", "-Wl,-e,_start",
                           f"-Wl,-T,{FIXTURE_LDS}", f"-Wl,-T,{fragment}", "-o", str(elf),
                           *map(str, fixture.objects)], capture_output=True, text=True)


def fixture_budgets(fixture, code_delta=0, rom_delta=0):
    syms = symbols(fixture.elf)
    sizes = fixture.tools.size_sections(fixture.elf)
    rom = sum(sizes[s] for s in (".text", ".rodata", ".data"))
    return FIXTURE_BUDGETS.format(root=ROOT, code=span(syms, "heap", "code") + code_delta,
                                  rom=rom + rom_delta)


def test_fragment_asserts_and_comments(fixture, tmp_path):
    text = write_lds(tmp_path, fixture_budgets(fixture), FIXTURE_LDS).read_text()
    code = span(symbols(fixture.elf), "heap", "code")
    assert (f"ASSERT((__mb_heap_code_end - __mb_heap_code_start) <= {code}, "
            f'"heap: code over budget ({code} B)")') in text
    # A component name with an underscore keeps it
    assert '"e820_map: code over budget (4096 B)"' in text
    assert "(__mb_e820_map_data_end - __mb_e820_map_data_start) <= 1024" in text
    # No boundary symbols for heap's .data, nor for a catch-all: comments
    assert re.search(r"/\* heap: rom budget 4096 B not asserted: .*"
                     r"defines no __mb_heap_data_start/_end", text)
    assert "/* rest: ram budget 0 B not asserted: a catch-all component has no range" in text
    assert ('ASSERT(SIZEOF(.text) + SIZEOF(.rodata) + SIZEOF(.data) <= ' in text)


def test_fixture_link_fails_one_byte_over(fixture, tmp_path):
    fragment = write_lds(tmp_path, fixture_budgets(fixture), FIXTURE_LDS)
    proc = link_fixture(fixture, fragment, tmp_path)
    assert proc.returncode == 0, proc.stderr
    fragment = write_lds(tmp_path, fixture_budgets(fixture, code_delta=-1), FIXTURE_LDS)
    proc = link_fixture(fixture, fragment, tmp_path)
    assert proc.returncode != 0
    assert "heap: code over budget" in proc.stderr
    fragment = write_lds(tmp_path, fixture_budgets(fixture, rom_delta=-1), FIXTURE_LDS)
    proc = link_fixture(fixture, fragment, tmp_path)
    assert proc.returncode != 0
    assert "image: rom over budget" in proc.stderr


def test_firmware_script_places_no_component_by_hand():
    """Components live in the budgets file: the firmware's script INCLUDEs
    the placement fragments, one per class, inside its output sections."""
    text = FIRMWARE_LDS.read_text()
    code = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    assert not re.search(r"__mb_\w+_(start|end)\s*=", code)
    assert lds.scan_script(text) == (set(), {})
    _, sections = lds.scan_script(text, {f: c for c, f in lds.FRAGMENTS.items()})
    assert sections == {"code": [".text"], "rodata": [".rodata"], "data": [".data"],
                        "bss": [".bss"]}


def firmware_link(build, fragment, out, place):
    objects = sorted(str(p) for p in (build / "fw").rglob("*.o"))
    return subprocess.run(["ld", "-m", "elf_i386", "--gc-sections", "-nostdlib",
                           "--orphan-handling=error", "--no-warn-rwx-segments",
                           "-L", str(place), "-T", str(FIRMWARE_LDS), "-T", str(fragment),
                           "-o", str(out), *objects], capture_output=True, text=True)


def test_real_firmware_link_fails_over_budget(firmware_build, tmp_path):
    # The Makefile linked the generated fragments in
    made = firmware_build / "budgets.lds"
    assert "heap: code over budget" in made.read_text()
    syms = symbols(firmware_build / "firmware.elf")
    heap_code = span(syms, "heap", "code")
    source = FIRMWARE_BUDGETS.read_text()
    source = source.replace('root = ".."', f'root = "{ROOT}"')
    tight, count = re.subn(r'(\[components\.heap\]\n.*?budget = \{ code = )"[^"]*"',
                           rf'\g<1>"{heap_code - 1} B"', source, flags=re.S)
    assert count == 1
    exact = tight.replace(f'"{heap_code - 1} B"', f'"{heap_code} B"')
    place = tmp_path / "place"
    args = ("--place", place, "--object-map", FIRMWARE_OBJECT_MAP)
    fragment = write_lds(tmp_path, exact, FIRMWARE_LDS, *args)
    proc = firmware_link(firmware_build, fragment, tmp_path / "ok.elf", place)
    assert proc.returncode == 0, proc.stderr
    fragment = write_lds(tmp_path, tight, FIRMWARE_LDS, *args)
    proc = firmware_link(firmware_build, fragment, tmp_path / "over.elf", place)
    assert proc.returncode != 0
    assert f"heap: code over budget ({heap_code - 1} B)" in proc.stderr
    assert not (tmp_path / "over.elf").exists()


def test_real_firmware_boundaries_are_the_budgets_components(firmware_build):
    """Every non-catch-all component of the budgets file has all four
    ranges in the firmware, in budgets order, and nothing else has one;
    the boot sector comes first, before any range."""
    comps = [c.name for c in budgets_mod.load(FIRMWARE_BUDGETS).components
             if not c.catch_all]
    syms = symbols(firmware_build / "firmware.elf")
    found = {m.group(1) for name in syms
             if (m := re.fullmatch(r"__mb_(\w+?)_(?:code|rodata|data|bss)_start", name))}
    assert found == set(comps)
    for cls in CLASSES:
        starts = [syms[f"__mb_{c}_{cls}_start"] for c in comps]
        ends = [syms[f"__mb_{c}_{cls}_end"] for c in comps]
        assert starts == sorted(starts) and all(s <= e for s, e in zip(starts, ends))
        assert all(e <= s for e, s in zip(ends, starts[1:]))
    assert syms["_start"] == syms["__image_start"] == 0x7c00
    assert syms["__mb_boot_code_start"] == 0x7c00 + 512
    fragments = sorted(p.name for p in (firmware_build / "lds").iterdir())
    assert fragments == sorted(lds.FRAGMENTS.values())


def test_bad_input_exits_2(tmp_path):
    budgets = tmp_path / "b.toml"
    budgets.write_text("[components.a]\nsymbols = ['x']\nbudget = { code = 'lots' }\n")
    out = tmp_path / "out.lds"
    proc = run("lds", "-b", budgets, "-o", out)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith(f"membudget: {budgets}: ")
    assert not out.exists()
    good = tmp_path / "g.toml"
    good.write_text("[components.a]\nsymbols = ['x']\n")
    proc = run("lds", "-b", good, "--script", tmp_path / "none.lds", "-o", out)
    assert proc.returncode == 2 and "none.lds" in proc.stderr
    assert not out.exists()


# --- placement (--place) --------------------------------------------------

MAP = [("firmware/", "*/fw/")]


@pytest.mark.parametrize("glob, pattern", [
    ("firmware/heap.c", "*/fw/heap.o"),
    ("firmware/arch/i386/int15*.[cS]", "*/fw/arch/i386/int15*.o"),
    ("firmware/arch/i386/prefix.S", "*/fw/arch/i386/prefix.o"),
    ("firmware/*.c", "*/fw/*.o"),
    ("firmware/net/*", "*/fw/net/*"),           # every object below: kept
    ("firmware/tcp.*", "*/fw/tcp.o"),           # .c or .h: the object
    ("firmware/x/y.cpp", "*/fw/x/y.o"),
    ("firmware/include/*.h", None),             # headers: no object of their own
])
def test_object_pattern_translates_globs(glob, pattern):
    assert placement.object_pattern(glob, MAP, "components.x.paths", "b.toml") == pattern


def test_object_pattern_longest_prefix_wins():
    pairs = placement.parse_object_map(["firmware/=*/fw/", "firmware/arch/=*/arch-o/"])
    assert placement.object_pattern("firmware/arch/a.S", pairs, "w", "b") == "*/arch-o/a.o"
    assert placement.object_pattern("firmware/a.c", pairs, "w", "b") == "*/fw/a.o"


@pytest.mark.parametrize("glob, message", [
    ("src/heap.c", "'src/heap.c' starts with no --object-map source prefix ('firmware/')"),
    ("firmware/README", "names no object file"),
    ("firmware/notes.txt", "extension 'txt' matches no source suffix"),
    ("firmware/my file.c", "ld cannot match a pattern with spaces"),
])
def test_object_pattern_rejects(glob, message):
    with pytest.raises(InputError, match=re.escape(message)) as err:
        placement.object_pattern(glob, MAP, "components.x.paths", "b.toml")
    assert err.value.path == "b.toml"
    assert str(err.value).startswith("components.x.paths: ")


PLACE_BUDGETS = """
[image]
name = "fixture"
root = "{root}"
rom = "64 KiB"

[components.heap]
paths = ["tests/tools/fixtures/heap.c", "tests/tools/fixtures/*/x.h"]
budget = {{ code = "4 KiB" }}
{extra}
[components.byname]
symbols = ["main"]

[components.rest]
catch_all = true
"""

E820 = """
[components.e820_map]
paths = ["tests/tools/fixtures/e820.c"]
budget = {{ code = "{code} B" }}
"""


def place_fixture(tmp_path, fixture, extra=""):
    """Write the placement for the fixture's objects; returns (dir, asserts)."""
    place = tmp_path / "place"
    objdir = fixture.objects[0].parent.name
    budgets = PLACE_BUDGETS.format(root=ROOT, extra=extra)
    asserts = write_lds(tmp_path, budgets, PLACEMENT_LDS, "--place", place,
                        "--object-map", f"tests/tools/fixtures/=*/{objdir}/")
    return place, asserts


def link_placed(fixture, place, asserts, tmp_path):
    elf = tmp_path / "placed.elf"
    proc = subprocess.run(["gcc", "-m32", "-nostdlib", "-static", "-Wl,-e,_start",
                           f"-Wl,-L,{place}", f"-Wl,-T,{PLACEMENT_LDS}", f"-Wl,-T,{asserts}",
                           "-o", str(elf), *map(str, fixture.objects)],
                          capture_output=True, text=True)
    return proc, elf


def test_place_writes_one_fragment_per_class(fixture, tmp_path):
    place, asserts = place_fixture(tmp_path, fixture)
    assert sorted(p.name for p in place.iterdir()) == sorted(lds.FRAGMENTS.values())
    objdir = fixture.objects[0].parent.name
    sections = {"code": ".text .text.*", "rodata": ".rodata .rodata.*",
                "data": ".data .data.*", "bss": ".bss .bss.* COMMON"}
    for cls, inputs in sections.items():
        text = (place / f"{cls}.lds").read_text()
        body = [line.strip() for line in re.sub(r"/\*.*?\*/", "", text, flags=re.S)
                .splitlines() if line.strip()]
        assert body == [f"__mb_heap_{cls}_start = .;", f"*/{objdir}/heap.o({inputs})",
                        f"__mb_heap_{cls}_end = .;"], cls
        # Not placed, said so: a symbols-only component and the catch-all
        assert "/* byname: not placed: no paths glob names an object file */" in text
        assert "/* rest: not placed: a catch-all component has no range */" in text
        assert "/* tests/tools/fixtures/* /x.h: headers, placed with" in text
    text = asserts.read_text()
    assert ("ASSERT((__mb_heap_code_end - __mb_heap_code_start) <= 4096, "
            '"heap: code over budget (4096 B)")') in text
    # The image cap sums the output sections that include the fragments
    assert "ASSERT(SIZEOF(.text) + SIZEOF(.rodata) + SIZEOF(.data) <= 65536" in text


def test_place_links_and_a_new_component_appears(fixture, tmp_path):
    """The fragments bracket the components in a real link; a component added
    to the budgets gets its ranges without touching the linker script."""
    expected = symbols(fixture.elf)     # boundary.lds: heap, then e820_map
    place, asserts = place_fixture(tmp_path, fixture)
    proc, elf = link_placed(fixture, place, asserts, tmp_path)
    assert proc.returncode == 0, proc.stderr
    syms = symbols(elf)
    assert {n for n in syms if n.startswith("__mb_")} == {
        f"__mb_heap_{cls}_{edge}" for cls in CLASSES for edge in ("start", "end")}
    assert span(syms, "heap", "code") == span(expected, "heap", "code") > 0
    assert span(syms, "heap", "rodata") == span(expected, "heap", "rodata") > 0
    assert span(syms, "heap", "bss") >= 512      # heap_pool

    code = span(expected, "e820_map", "code")
    place, asserts = place_fixture(tmp_path, fixture, E820.format(code=code))
    proc, elf = link_placed(fixture, place, asserts, tmp_path)
    assert proc.returncode == 0, proc.stderr
    syms = symbols(elf)
    assert span(syms, "e820_map", "code") == code > 0
    assert syms["__mb_heap_code_end"] == syms["__mb_e820_map_code_start"]
    assert {n for n in syms if n.startswith("__mb_e820_map_")} == {
        f"__mb_e820_map_{cls}_{edge}" for cls in CLASSES for edge in ("start", "end")}
    # ...and its budget is enforced by the same link
    place, asserts = place_fixture(tmp_path, fixture, E820.format(code=code - 1))
    proc, _ = link_placed(fixture, place, asserts, tmp_path)
    assert proc.returncode != 0
    assert f"e820_map: code over budget ({code - 1} B)" in proc.stderr


@pytest.mark.parametrize("args, where, message", [
    (["--place", "{tmp}/p"], "--object-map", "--place needs at least one SRC=OBJ"),
    (["--object-map", "firmware/=*/fw/"], "--object-map", "only means something with "),
    (["--place", "{tmp}/p", "--object-map", "firmware"], "--object-map",
     "'firmware': expected SRC=OBJ"),
    (["--place", "{tmp}/p", "--object-map", "firm*/=*/fw/"], "--object-map",
     "'firm*/=*/fw/': the source prefix is plain text"),
    (["--place", "{tmp}/p", "--object-map", "src/=*/obj/"], "{budgets}",
     "components.boot.paths: 'firmware/arch/i386/prefix.S' starts with no "
     "--object-map source prefix ('src/')"),
    (["--place", "{tmp}/file", "--object-map", "firmware/=*/fw/"], "{tmp}/file",
     "not a directory"),
])
def test_place_bad_input_exits_2(tmp_path, args, where, message):
    (tmp_path / "file").write_text("")
    out = tmp_path / "out.lds"
    fill = {"tmp": tmp_path, "budgets": FIRMWARE_BUDGETS}
    proc = run("lds", "-b", FIRMWARE_BUDGETS, *(a.format(**fill) for a in args), "-o", out)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith(f"membudget: {where.format(**fill)}: {message}")
    assert not out.exists() and not (tmp_path / "p").exists()
