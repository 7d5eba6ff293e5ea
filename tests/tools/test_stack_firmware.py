"""The firmware's stack budgets ([stack] of budgets/firmware.toml).

A temporary copy of the firmware gets a 512-byte local array in
e820_unhidden_kib(), a function on the INT 15h hook's path; its build
must fail `membudget check` with the chain naming that function.  The
unchanged copy passes, so the failure is the array's.
"""

import shutil
import subprocess

import pytest

from cli_helpers import ROOT, run

#: What the copy needs to build build/firmware.elf
COPIED = ("Makefile", "mk", "firmware", "budgets", "tools", "tests/traces")
FUNCTION = "e820_unhidden_kib"
ANCHOR = "\tuint64_t limit = UINT64_MAX;\n\tuint64_t start;\n"
#: 512 bytes gcc must keep: volatile, and read back into the result
PADDED = ANCHOR + "\tvolatile uint8_t pad[512];\n\n\tpad[nhide & 511] = 1;\n"
RESULT = "\treturn ((limit >> 32) ? 0xffffffffUL : limit);\n"
PADDED_RESULT = "\treturn ((limit >> 32) ? 0xffffffffUL : limit) + pad[0];\n"


def build(tree):
    proc = subprocess.run(["make", "-C", str(tree), "--no-print-directory",
                           "build/firmware.elf"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return tree / "build"


def check(tree):
    out = tree / "build"
    return run("check", out / "firmware.elf", "-b", tree / "budgets" / "firmware.toml",
               "--map", out / "firmware.map", cwd=tree)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    if shutil.which("make") is None:
        pytest.skip("make not installed")
    top = tmp_path_factory.mktemp("fwcopy")
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, top / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (top / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, top / name)
    (top / ".git").mkdir()      # the budgets file's root
    return top


def test_unchanged_copy_passes(tree):
    build(tree)
    proc = check(tree)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_512_byte_array_on_the_hook_path_fails_check(tree):
    source = tree / "firmware" / "e820mangle.c"
    text = source.read_text()
    assert text.count(ANCHOR) == 1 and text.count(RESULT) == 1
    source.write_text(text.replace(ANCHOR, PADDED).replace(RESULT, PADDED_RESULT))
    build(tree)
    proc = check(tree)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [l for l in proc.stdout.splitlines() if l.startswith("stack: int15 ")]
    assert lines, proc.stdout
    assert f"> {FUNCTION}" in lines[0] and " via int15_trap > " in lines[0], lines[0]
    assert "> budget 128 B" in lines[0], lines[0]
    print("\n" + lines[0])
