"""membudget snapshot: report JSON + provenance + symbols, on real ELFs."""

import hashlib
import json
import shutil
import subprocess
import re
import tomllib

import pytest

from cli_helpers import HEAP_AND_OTHER, ROOT, run, write_budgets
from membudget.analysis import snapshot
from membudget.commands import snapshot as snapshot_cmd
from membudget.model import InputError
from membudget.read import snapshot as snapshot_file


def comment_strings(elf):
    """The .comment strings, as readelf prints them."""
    out = subprocess.run(["readelf", "-p", ".comment", str(elf)], capture_output=True,
                         text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        if line.strip().startswith("["):
            text = line.split("]", 1)[1].strip()
            if text not in found:
                found.append(text)
    return found


def test_snapshot_is_report_plus_provenance(fw, tmp_path):
    budgets = write_budgets(tmp_path, HEAP_AND_OTHER)
    out = tmp_path / "snap.json"
    proc = run("snapshot", fw.elf, "-b", budgets, "--map", fw.map, "-o", out)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    report = json.loads(run("report", fw.elf, "-b", budgets, "--map", fw.map,
                            "--format", "json").stdout)
    # Every report field, unchanged
    for key, value in report.items():
        assert doc[key] == value, key
    assert doc["kind"] == "snapshot"
    prov = doc["provenance"]
    assert prov["compilers"] == comment_strings(fw.elf)
    assert any(c.startswith("GCC: ") for c in prov["compilers"])
    assert prov["budgets_sha256"] == hashlib.sha256(budgets.read_bytes()).hexdigest()
    assert prov["elf_sha256"] == hashlib.sha256(fw.elf.read_bytes()).hexdigest()
    assert prov["build_id"] == doc["elf"]["build_id"]
    assert prov["git"] is None      # the fixture lives outside any checkout


def test_symbols_add_up_to_the_totals(fw, tmp_path):
    out = tmp_path / "snap.json"
    assert run("snapshot", fw.elf, "--map", fw.map, "-o", out).returncode == 0
    doc = json.loads(out.read_text())
    for cls in ("code", "rodata", "data", "bss"):
        assert sum(s["size"] for s in doc["symbols"] if s["class"] == cls) \
            == doc["totals"][cls]
    # A sized function shows with its nm size, in its file
    sizes = fw.tools.nm_sizes(fw.elf)
    (heap_alloc,) = [size for (name, _), size in sizes.items() if name == "heap_alloc"]
    rows = [s for s in doc["symbols"] if s["name"] == "heap_alloc"]
    assert sum(r["size"] for r in rows) == heap_alloc
    assert rows[0]["file"].endswith("heap.c")


def test_git_commit_and_dirty_flag(fw, tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    elf = repo / "fw.elf"
    shutil.copy(fw.elf, elf)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "fw.elf"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "x"], check=True)
    head = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert snapshot.git_state(str(elf)) == {"commit": head, "dirty": False}
    (repo / "fw.elf").write_bytes(elf.read_bytes() + b"\0")
    assert snapshot.git_state(str(elf)) == {"commit": head, "dirty": True}


def test_snapshot_loads_back(fw, tmp_path):
    out = tmp_path / "snap.json"
    assert run("snapshot", fw.elf, "-o", out).returncode == 0
    doc = snapshot_file.load(out)
    assert doc == json.loads(out.read_text())
    # ELF or snapshot: told apart by content, not by name
    renamed = tmp_path / "snap.elf"
    shutil.copy(out, renamed)
    assert snapshot_cmd.side(str(renamed)) == doc


def test_bad_input_leaves_no_file(tmp_path):
    out = tmp_path / "snap.json"
    junk = tmp_path / "junk.elf"
    junk.write_bytes(b"\x7fELF" + b"\xff" * 20)
    proc = run("snapshot", junk, "-o", out)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith(f"membudget: {junk}: ")
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_committed_baseline_is_a_valid_snapshot():
    doc = snapshot_file.load(ROOT / "reports" / "baseline.json")
    budgets = tomllib.loads((ROOT / "budgets" / "firmware.toml").read_text())
    assert [c["name"] for c in doc["components"]] == list(budgets["components"])
    assert doc["budgets"]["path"] == "budgets/firmware.toml"
    assert sum(s["size"] for s in doc["symbols"]) == doc["totals"]["ram"]


# The in-memory rows: tuples, packed, written as objects

def _doc(rows):
    return {"schema": 1, "kind": "snapshot", "elf": {"path": "x.elf"}, "totals": {},
            "symbols": rows}


ODD_ROWS = [("f", "src/a.c", "app", "code", 12), (None, None, "[padding]", "rodata", 3),
            ("", "", "app", "data", 0), ('q"uo\\te\u00e9\u4e2d', "/abs/b.c", "lib", "bss", 1 << 40),
            ("g", "src/a.c", "app", "code", 7)]


@pytest.mark.parametrize("rows", [ODD_ROWS, [], ODD_ROWS[:1]])
def test_snapshot_text_is_json_dumps_of_the_objects(rows):
    doc = _doc(list(rows))
    objects = dict(doc, symbols=[dict(zip(snapshot_file.ROW, r)) for r in rows])
    assert snapshot_cmd.text(doc) == json.dumps(objects, indent=1) + "\n"


@pytest.mark.parametrize("rows", [ODD_ROWS, [], ODD_ROWS[:1],
                                  [("a\0b", None, "o", "code", 1), (None, "f", "o", "bss", 2)]])
def test_packed_rows_give_the_rows_back(rows):
    assert snapshot.PackedRows(list(rows)).rows() == list(rows)


def test_load_rows_is_load_with_tuples(tmp_path):
    """Rows shaped and valid become tuples; anything else is read as before."""
    row = {"name": "s", "file": None, "owner": "app", "class": "code", "size": 4}
    doc = _doc([row, {"owner": "app", "class": "code", "size": 1},
                dict(row, extra=[dict(row)]), dict(reversed(list(row.items())))])
    doc.update(provenance={"git": None, "compilers": []}, components=[], buckets=[],
               totals=dict(code=1, rodata=0, data=0, bss=0), elf={"nested": [row]})
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    plain, rows = snapshot_file.load(path), snapshot_file.load(path, rows=True)
    assert rows["symbols"] == [("s", None, "app", "code", 4), (None, None, "app", "code", 1),
                               ("s", None, "app", "code", 4), ("s", None, "app", "code", 4)]
    assert {k: v for k, v in rows.items() if k != "symbols"} == \
        {k: v for k, v in plain.items() if k != "symbols"}
    assert rows["elf"]["nested"] == [row]


@pytest.mark.parametrize("mutate, fragment", [
    (lambda d: d["symbols"].append({"name": "x", "file": None, "owner": "x",
                                    "class": "code", "size": -1}),
     "symbols[1].size: expected a byte count"),
    (lambda d: d["symbols"].append({"name": 5, "file": None, "owner": "x",
                                    "class": "code", "size": 1}),
     "symbols[1].name: expected a string or null"),
    (lambda d: d["symbols"].append({"name": "x", "file": None, "owner": "x",
                                    "class": "code", "size": True}),
     "symbols[1].size: expected a byte count"),
    # shaped like a symbol row, where an object of another kind belongs
    (lambda d: d.update(totals=dict(d["symbols"][0])), "totals.code: expected a byte count"),
    (lambda d: d["components"].append(dict(d["symbols"][0])),
     "components/buckets[0].code: expected a byte count"),
])
def test_load_rows_says_what_load_says(tmp_path, mutate, fragment):
    doc = _doc([{"name": "s", "file": None, "owner": "app", "class": "code", "size": 4}])
    doc.update(provenance={"git": None, "compilers": []}, components=[], buckets=[],
               totals=dict(code=4, rodata=0, data=0, bss=0))
    mutate(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    for rows in (False, True):
        with pytest.raises(InputError, match=re.escape(fragment)):
            snapshot_file.load(path, rows=rows)
