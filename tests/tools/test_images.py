"""`check A.toml B.toml`: several images in one run, each budgets file naming
its ELF and map ([image] elf, map, relative to the file); one roll-up
table worst headroom first, one exit status."""

import json
import os
import xml.etree.ElementTree as ET

import pytest

from cli_helpers import ROOT, assert_bad_input, run

IMAGE = """
[image]
name = "{name}"
root = "{root}"
elf = "{elf}"
{map_line}
rom = "{rom}"

[components.heap]
paths = ["tests/tools/fixtures/heap.c"]
budget = {{ code = "{heap_code}" }}

[components.other]
catch_all = true
"""


def image_budgets(directory, name, built, rom="64 KiB", heap_code="8 KiB", with_map=True,
                  elf=None):
    """budgets/<name>.toml naming built's ELF and map relative to the file."""
    directory.mkdir(exist_ok=True)
    rel = elf if elf is not None else os.path.relpath(built.elf, directory)
    map_line = f'map = "{os.path.relpath(built.map, directory)}"' if with_map else ""
    path = directory / f"{name}.toml"
    path.write_text(IMAGE.format(name=name, root=ROOT, elf=rel, map_line=map_line, rom=rom,
                                 heap_code=heap_code))
    return path


def rom_of(fw):
    proc = run("check", fw.elf, "-b", image_budgets(fw.workdir.parent / "probe", "probe", fw),
               "--map", fw.map, "--format", "junit")
    root = ET.fromstring(proc.stdout)
    out = [c.find("system-out").text for c in root.iter("testcase")
           if c.get("classname") == "membudget.image"]
    # "image: rom 1,234 B <= budget 65,536 B (1.9 %)"
    return int(out[0].split()[2].replace(",", ""))


def test_several_images_one_table_worst_first(fw, tmp_path):
    rom = rom_of(fw)
    budgets = tmp_path / "budgets"
    roomy = image_budgets(budgets, "roomy", fw)
    tight = image_budgets(budgets, "tight", fw, rom=f"{rom + 10} B")
    # From elsewhere: the ELF and map paths are the budgets files' own
    proc = run("check", roomy, tight, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["image", "rom", "ram", "regions", "tightest", "budget",
                                "verdict"]
    assert [line.split()[0] for line in lines[1:3]] == ["tight", "roomy"]
    assert f"{rom:,} / {rom + 10:,} B" in lines[1]
    assert lines[1].rstrip().endswith("ok")
    assert lines[-1] == "membudget check: 2 images, 4 budgets checked, 0 exceeded"


def test_one_image_over_fails_the_run(fw, tmp_path):
    rom = rom_of(fw)
    budgets = tmp_path / "budgets"
    ok = image_budgets(budgets, "board_a", fw)
    over = image_budgets(budgets, "board_b", fw, rom=f"{rom - 1} B", heap_code="1 B")
    proc = run("check", ok, over)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1].split()[0] == "board_b" and lines[1].rstrip().endswith("2 exceeded")
    assert f"board_b: image: rom {rom:,} B > budget {rom - 1:,} B (+1 B, " in proc.stdout
    assert "board_b: heap: code " in proc.stdout
    assert lines[-1] == "membudget check: 2 images, 4 budgets checked, 2 exceeded"
    # JUnit: a test suite per image; GitHub: annotations name the image
    junit = ET.fromstring(run("check", ok, over, "--format", "junit").stdout)
    suites = {s.get("name"): s.get("failures") for s in junit.iter("testsuite")}
    assert suites == {"membudget.board_a": "0", "membudget.board_b": "2"}
    github = run("check", ok, over, "--format", "github").stdout.splitlines()
    assert [l for l in github if l.startswith("::error")][0].startswith(
        "::error title=membudget%3A board_b%3A ")
    md = run("check", ok, over, "--format", "markdown").stdout
    assert ":x: 2 images, 4 budgets checked, 2 exceeded" in md
    assert "| board_b |" in md


def test_regions_in_the_roll_up(build_layout, fw, tmp_path):
    # The same build test_realworld.py makes (build_layout caches by name)
    cortexm = build_layout("cortexm", ("vectors.c", "main.c"), "arm", (), memory_usage=True)
    budgets = tmp_path / "budgets"
    path = budgets / "cortexm.toml"
    budgets.mkdir()
    path.write_text(f'[image]\nname = "cortexm"\nelf = "{cortexm.elf}"\n'
                    f'map = "{cortexm.map}"\n[regions]\nFLASH = "8 KiB"\n'
                    '[components.all]\ncatch_all = true\n')
    proc = run("check", path, image_budgets(budgets, "pc", fw))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    row = next(i for i, l in enumerate(lines) if l.startswith("cortexm"))
    assert "FLASH " in lines[row] and " / 8,192 B (" in lines[row]
    # RAM has no cap: its length, on a row of its own below
    assert lines[row + 1].split()[:2] == ["RAM", lines[row + 1].split()[1]]
    assert " / 20,480 B (" in lines[row + 1]


def test_missing_image_elf_is_one_line(fw, tmp_path):
    budgets = tmp_path / "budgets"
    ok = image_budgets(budgets, "ok", fw)
    gone = image_budgets(budgets, "gone", fw, elf="../build/gone.elf")
    assert_bad_input(run("check", ok, gone), f"membudget: {gone}: image.elf: ",
                     "gone.elf: no such file")
    unnamed = budgets / "unnamed.toml"
    unnamed.write_text('[components.all]\ncatch_all = true\n')
    assert_bad_input(run("check", ok, unnamed), f"membudget: {unnamed}: image.elf: not set")


@pytest.mark.parametrize("args", [("x.elf",), ("a.toml", "x.elf"), ("x.elf", "y.elf", "-b", "a.toml"),
                                  ("a.toml", "-b", "a.toml"), ("a.toml", "--map", "x.map")])
def test_mixed_check_arguments_are_usage_errors(args):
    proc = run("check", *args)
    assert proc.returncode == 2
    assert "usage:" in proc.stderr and "Traceback" not in proc.stderr


# diff BASEDIR A.toml B.toml

def test_diff_several_images_against_a_directory(fw, tmp_path):
    budgets = tmp_path / "budgets"
    a = image_budgets(budgets, "board_a", fw)
    b = image_budgets(budgets, "board_b", fw, heap_code="1 KiB")
    base = tmp_path / "base" / "snapshots"
    base.mkdir(parents=True)
    for path, name in ((a, "board_a"), (b, "board_b")):
        proc = run("snapshot", fw.elf, "-b", path, "--map", fw.map, "-o", base / f"{name}.json")
        assert proc.returncode == 0, proc.stderr
    # board_b's base was smaller: its heap grew past the budget
    doc = json.loads((base / "board_b.json").read_text())
    heap = next(r for r in doc["components"] if r["name"] == "heap")
    sym = max((s for s in doc["symbols"] if s["owner"] == "heap" and s["class"] == "code"),
              key=lambda s: s["size"])
    # HEAD one byte over the budget, the base 20 bytes smaller: within
    b = image_budgets(budgets, "board_b", fw, heap_code=f"{heap['code'] - 1} B")
    grown = 20
    for target in (heap, doc["totals"]):
        for key in ("code", "rom", "ram"):
            target[key] -= grown
    sym["size"] -= grown
    (base / "board_b.json").write_text(json.dumps(doc))
    proc = run("diff", base.parent, a, b, "--gate", "new-only", "--format", "markdown")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("## membudget: board_a\n")
    assert "\n---\n\n## membudget: board_b\n" in proc.stdout
    assert ":x: **over budget (new-only): heap code" in proc.stdout
    text = run("diff", base.parent, a, b, "--gate", "new-only").stdout
    assert text.splitlines()[-1] == "membudget diff: 2 images, 1 failing (board_b)"
    doc = json.loads(run("diff", base.parent, a, b, "--format", "json").stdout)
    assert doc["kind"] == "diffs" and [d["image"] for d in doc["images"]] == [
        "board_a", "board_b"]
    # A missing base snapshot: one line
    (base / "board_a.json").unlink()
    assert_bad_input(run("diff", base.parent, a, b), f"membudget: {base.parent}: ",
                     "no snapshot of image 'board_a'")
