"""membudget lds: the ASSERTs it writes make a real `ld` link fail, naming
the component, and pass with an adequate budget."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from membudget.render import lds

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "tools" / "membudget"
FIXTURE_LDS = ROOT / "tests" / "tools" / "fixtures" / "boundary.lds"
FIRMWARE_LDS = ROOT / "firmware" / "arch" / "i386" / "firmware.lds"

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


def run(*args):
    return subprocess.run([sys.executable, str(LAUNCHER), *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def symbols(elf):
    out = subprocess.run(["nm", str(elf)], capture_output=True, text=True,
                         check=True).stdout
    return {f[2]: int(f[0], 16) for f in map(str.split, out.splitlines()) if len(f) == 3}


def span(syms, comp, cls):
    return syms[f"__mb_{comp}_{cls}_end"] - syms[f"__mb_{comp}_{cls}_start"]


@pytest.fixture(scope="module")
def fixture(build_elf):
    return build_elf("lds-boundary", script="boundary.lds")


def write_lds(tmp_path, budgets_text, script):
    budgets = tmp_path / "b.toml"
    budgets.write_text(budgets_text)
    out = tmp_path / "budgets.lds"
    proc = run("lds", "-b", budgets, "--script", script, "-o", out)
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


def test_scan_script_finds_every_firmware_boundary():
    found, sections = lds.scan_script(FIRMWARE_LDS.read_text())
    components = {comp for comp, _ in found}
    assert {"boot", "int15", "payload", "e820", "hidemem", "umalloc", "dma", "lib",
            "heap"} <= components
    assert all((comp, cls) in found for comp in components
               for cls in ("code", "rodata", "data", "bss"))
    assert sections == {"code": [".text"], "rodata": [".rodata"], "data": [".data"],
                        "bss": [".bss"]}


@pytest.fixture(scope="module")
def firmware_build(tmp_path_factory):
    """The real firmware built by its Makefile into a private BUILD."""
    if shutil.which("make") is None or shutil.which("ld") is None:
        pytest.skip("make or ld not installed")
    build = tmp_path_factory.mktemp("fwbuild")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    proc = subprocess.run(["make", "-s", "--no-print-directory", f"BUILD={build}",
                           f"{build}/firmware.elf"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return build


def firmware_link(build, fragment, out):
    objects = sorted(str(p) for p in (build / "fw").rglob("*.o"))
    return subprocess.run(["ld", "-m", "elf_i386", "--gc-sections", "-nostdlib",
                           "--orphan-handling=error", "--no-warn-rwx-segments",
                           "-T", str(FIRMWARE_LDS), "-T", str(fragment), "-o", str(out),
                           *objects], capture_output=True, text=True)


def test_real_firmware_link_fails_over_budget(firmware_build, tmp_path):
    # The Makefile linked the generated fragment in
    made = firmware_build / "budgets.lds"
    assert "heap: code over budget" in made.read_text()
    syms = symbols(firmware_build / "firmware.elf")
    heap_code = span(syms, "heap", "code")
    source = (ROOT / "budgets" / "firmware.toml").read_text()
    source = source.replace('root = ".."', f'root = "{ROOT}"')
    tight, count = re.subn(r'(\[components\.heap\]\n.*?budget = \{ code = )"[^"]*"',
                           rf'\g<1>"{heap_code - 1} B"', source, flags=re.S)
    assert count == 1
    exact = tight.replace(f'"{heap_code - 1} B"', f'"{heap_code} B"')
    fragment = write_lds(tmp_path, exact, FIRMWARE_LDS)
    proc = firmware_link(firmware_build, fragment, tmp_path / "ok.elf")
    assert proc.returncode == 0, proc.stderr
    fragment = write_lds(tmp_path, tight, FIRMWARE_LDS)
    proc = firmware_link(firmware_build, fragment, tmp_path / "over.elf")
    assert proc.returncode != 0
    assert f"heap: code over budget ({heap_code - 1} B)" in proc.stderr
    assert not (tmp_path / "over.elf").exists()


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
