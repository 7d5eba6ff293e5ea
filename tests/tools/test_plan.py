"""membudget plan: planned sizes against real objects, `size -A` the oracle."""

import json
import re
import subprocess

import pytest

from cli_helpers import run, write_budgets
from membudget.analysis import plan
from membudget.model import InputError

BUDGETS = """
[image]
name = "fixture"
root = "{root}"
rom = {rom}
ram = "64 KiB"

[components.heap]
paths = ["tests/tools/fixtures/heap.c"]
budget = {{ code = "1 KiB", bss = "1 KiB" }}

[components.other]
catch_all = true
"""

OBJECT_C = """
static const char banner[] = "interpreter ready";
int counter = 3;
char scratch[200];
const int table[6] = { 1, 2, 3, 4, 5, 6 };
const char *hello(int i) { scratch[i] = (char)counter; return banner + table[i % 6]; }
"""

CLASS_OF = {".text": "code", ".rodata": "rodata", ".data": "data", ".bss": "bss"}


@pytest.fixture
def budgets(tmp_path):
    def write(rom='"64 KiB"'):
        return write_budgets(tmp_path, BUDGETS, rom=rom)
    return write


def plan_json(fw, budgets_path, *args):
    proc = run("plan", fw.elf, "-b", budgets_path, "--map", fw.map, *args, "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def compile_object(tmp_path, name, text, *flags):
    src = tmp_path / (name + ".c")
    src.write_text(text)
    obj = tmp_path / (name + ".o")
    subprocess.run(["gcc", "-m32", "-O1", "-ffunction-sections", "-fdata-sections",
                    *flags, "-c", str(src), "-o", str(obj)], check=True)
    return obj


def size_classes(path):
    """Bytes per class of an object's .text/.rodata/.data/.bss sections (size -A)."""
    out = subprocess.run(["size", "-A", str(path)], capture_output=True, text=True,
                         check=True).stdout
    sizes = dict.fromkeys(CLASS_OF.values(), 0)
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1].isdigit():
            for prefix, cls in CLASS_OF.items():
                if fields[0] == prefix or fields[0].startswith(prefix + "."):
                    sizes[cls] += int(fields[1])
    return sizes


def test_add_breaks_image_rom_by_the_exact_amount(fw, budgets):
    status, before = plan_json(fw, budgets(), "--add", "interp=0")
    rom = before["before"]["rom"]
    status, doc = plan_json(fw, budgets(rom=f'"{rom + 100} B"'), "--add", "interp=12KiB")
    assert status == 1
    assert doc["after"]["code"] == doc["before"]["code"] + 12 * 1024
    assert doc["changes"][0] == {"component": "interp", "remove": False, "new": True,
                                 "origin": "--add interp=12KiB", "dropped": [],
                                 "alignment_slack": 0,
                                 "sizes": {"code": 12288, "rodata": 0, "data": 0, "bss": 0,
                                           "rom": 12288, "ram": 12288},
                                 "symbol": None, "freed": {}, "goes": [], "revived": [],
                                 "gc_dropped": [], "notes": []}
    (broken,) = doc["broken"]
    assert broken == {"owner": "image", "class": "rom", "used": rom + 12288,
                      "budget": rom + 100, "headroom": 100 - 12288, "over": True}
    text = run("plan", fw.elf, "-b", budgets(rom=f'"{rom + 100} B"'), "--add",
               "interp=12KiB").stdout
    assert f"image: rom {rom + 12288:,} B > budget {rom + 100:,} B (+12,188 B" in text


def test_add_fits_with_headroom(fw, budgets):
    status, doc = plan_json(fw, budgets(), "--add", "heap=16,rodata=0x10,bss=1.5KiB")
    heap = {l["class"]: l for l in doc["budgets"] if l["owner"] == "heap"}
    # heap's bss budget is 1 KiB: 1.5 KiB more breaks it
    assert status == 1
    assert heap["bss"]["over"] and heap["bss"]["used"] >= 1536
    assert doc["after"]["rodata"] == doc["before"]["rodata"] + 16
    status, doc = plan_json(fw, budgets(), "--add", "heap=16")
    assert status == 0 and doc["fits"]
    heap = {l["class"]: l for l in doc["budgets"] if l["owner"] == "heap"}
    assert heap["code"]["headroom"] == 1024 - heap["code"]["used"]


def test_add_object_equals_size_A(fw, budgets, tmp_path):
    obj = compile_object(tmp_path, "interp", OBJECT_C, "-fno-asynchronous-unwind-tables")
    status, doc = plan_json(fw, budgets(), "--add-object", obj)
    (change,) = doc["changes"]
    assert change["component"] == "interp"
    expected = size_classes(obj)
    assert all(expected.values())
    assert {k: change["sizes"][k] for k in expected} == expected
    assert doc["after"]["ram"] - doc["before"]["ram"] == sum(expected.values())
    assert change["alignment_slack"] == readelf_slack(obj) > 0


def readelf_slack(obj):
    """Sum of (alignment - 1) over non-empty allocated sections, from readelf -SW."""
    out = subprocess.run(["readelf", "-S", "-W", str(obj)], capture_output=True, text=True,
                         check=True).stdout
    slack = 0
    for line in out.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+\S+\s+\S+\s+(\S+)\s+\S+\s+"
                     r"(\S*)\s+\d+\s+\d+\s+(\d+)$", line)
        if m and "A" in m.group(3) and int(m.group(2), 16):
            slack += max(int(m.group(4)), 1) - 1
    return slack


def test_eh_frame_counts_only_if_the_image_has_one(fw, build_elf, budgets, tmp_path):
    obj = compile_object(tmp_path, "unwind", OBJECT_C, "-fasynchronous-unwind-tables")
    eh = fw.tools.size_sections(obj)[".eh_frame"]
    expected = size_classes(obj)
    # The hosted fixture keeps .eh_frame: it counts, as rodata
    assert ".eh_frame" in fw.tools.size_sections(fw.elf)
    _, doc = plan_json(fw, budgets(), "--add-object", f"interp={obj}")
    (change,) = doc["changes"]
    assert change["component"] == "interp" and change["dropped"] == []
    assert change["sizes"]["rodata"] == expected["rodata"] + eh
    # boundary.lds discards it: listed as dropped, not counted
    bare = build_elf("plan-boundary", script="boundary.lds")
    assert ".eh_frame" not in bare.tools.size_sections(bare.elf)
    _, doc = plan_json(bare, budgets(), "--add-object", f"interp={obj}")
    (change,) = doc["changes"]
    assert {"section": ".eh_frame", "size": eh} in change["dropped"]
    assert {k: change["sizes"][k] for k in CLASS_OF.values()} == expected


def test_archive_members_sum(fw, budgets, tmp_path):
    flag = "-fno-asynchronous-unwind-tables"
    one = compile_object(tmp_path, "a_rather_long_member_name", OBJECT_C, flag)
    two = compile_object(tmp_path, "b", "int b_counter[40];\nint b(void) { return b_counter[3]; }\n",
                         flag)
    lib = tmp_path / "libinterp.a"
    subprocess.run(["ar", "rcs", str(lib), str(one), str(two)], check=True)
    members = plan.ar_members(str(lib), lib.read_bytes())
    assert [name for name, _ in members] == ["a_rather_long_member_name.o", "b.o"]
    assert members[1][1] == two.read_bytes()
    _, doc = plan_json(fw, budgets(), "--add-object", lib)
    (change,) = doc["changes"]
    expected = {k: size_classes(one)[k] + size_classes(two)[k] for k in CLASS_OF.values()}
    assert {k: change["sizes"][k] for k in expected} == expected


def test_remove_frees_the_component(fw, budgets):
    report = json.loads(run("report", fw.elf, "-b", budgets(), "--map", fw.map,
                            "--format", "json").stdout)
    heap = next(c for c in report["components"] if c["name"] == "heap")
    status, doc = plan_json(fw, budgets(), "--remove", "heap")
    assert status == 0
    assert doc["after"]["ram"] == doc["before"]["ram"] - heap["ram"]
    lines = {l["class"]: l for l in doc["budgets"] if l["owner"] == "heap"}
    assert lines["code"] == {"owner": "heap", "class": "code", "used": 0, "budget": 1024,
                             "headroom": 1024, "over": False}


@pytest.mark.parametrize("spec, fragment", [
    ("interp", "expected NAME=SIZE"),
    ("interp=12 parsecs", "bad size '12 parsecs'"),
    ("1x=3", "expected NAME=SIZE"),
    ("interp=1KiB,stack=4", "unknown class 'stack'"),
    ("interp=1KiB,64", "expected CLASS=SIZE"),
    ("interp=-5", "negative size"),
])
def test_bad_add_spec_exits_2(fw, budgets, tmp_path, spec, fragment):
    out = tmp_path / "plan.txt"
    proc = run("plan", fw.elf, "-b", budgets(), "--add", spec, "-o", out)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"membudget: --add {spec}: ")
    assert fragment in proc.stderr
    assert not out.exists()


def test_other_bad_input_exits_2(fw, budgets, tmp_path):
    for args, fragment in ((["--remove", "nosuch"], "no component 'nosuch'"),
                           ([], "nothing to plan"),
                           (["--add-object", tmp_path / "missing.o"], "missing.o")):
        proc = run("plan", fw.elf, "-b", budgets(), *args)
        assert proc.returncode == 2, args
        assert len(proc.stderr.splitlines()) == 1 and fragment in proc.stderr
    junk = tmp_path / "junk.a"
    junk.write_bytes(b"!<arch>\nshort")
    proc = run("plan", fw.elf, "-b", budgets(), "--add-object", junk)
    assert proc.returncode == 2 and f"membudget: {junk}: truncated member header" \
        in proc.stderr


def test_ar_members_rejects_bad_headers():
    with pytest.raises(InputError, match="not an ar archive"):
        plan.ar_members("x.a", b"garbage")
    header = b"x.o/            0           0     0     644     99999     `\n"
    with pytest.raises(InputError, match="truncated member"):
        plan.ar_members("x.a", b"!<arch>\n" + header + b"abc")


def test_size_parsing():
    assert plan.parse_size("4096", "w") == 4096
    assert plan.parse_size("0x1000", "w") == 4096
    assert plan.parse_size("12KiB", "w") == 12288
    assert plan.parse_size("1.5 KiB", "w") == 1536
    assert plan.parse_size("512B", "w") == 512
