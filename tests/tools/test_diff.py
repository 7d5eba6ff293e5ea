"""membudget diff: two real builds that differ in known ways (variants.py),
binutils' `nm -S` as the oracle; synthetic snapshots for the limits."""

import json
import os
import subprocess
import sys

import pytest

import variants
from cli_helpers import ROOT, assert_bad_input, run
from membudget.analysis import diff
from membudget.render import diff as render_diff
from membudget.read.budgets import parse as parse_budgets


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    top = tmp_path_factory.mktemp("variants")
    return variants.build(top, 0), variants.build(top, 1)


def nm(elf):
    """{name: [sizes]} of sized symbols, from nm -S."""
    out = subprocess.run(["nm", "-S", "--defined-only", str(elf)], capture_output=True,
                         text=True, check=True).stdout
    sizes = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 4:
            sizes.setdefault(fields[3], []).append(int(fields[1], 16))
    return sizes


def diff_json(*args):
    proc = run("diff", *args, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def rows_by_name(doc, key="symbols"):
    return {r["name"]: r for r in doc[key]}


def test_deltas_reconcile_with_nm(builds):
    base, head = builds
    doc = diff_json(base, head)
    rows = rows_by_name(doc)
    nm_base, nm_head = nm(base), nm(head)
    for name in ("grow_me", "table", "tiny"):
        (b,), (h,) = nm_base[name], nm_head[name]
        assert rows[name]["delta"] == h - b, name
        assert (rows[name]["base"], rows[name]["head"]) == (b, h)
    assert rows["gone"]["status"] == "removed"
    assert rows["gone"]["delta"] == -nm_base["gone"][0]
    assert rows["fresh"]["status"] == "added"
    assert rows["fresh"]["delta"] == nm_head["fresh"][0]
    assert rows["table"]["class"] == "data"
    # Sorted by |delta|, largest first
    deltas = [abs(r["delta"]) for r in doc["symbols"]]
    assert deltas == sorted(deltas, reverse=True)


def nm_code(elf):
    """Bytes of every function symbol (nm types T and t)."""
    out = subprocess.run(["nm", "-S", "--defined-only", str(elf)], capture_output=True,
                         text=True, check=True).stdout
    return sum(int(f[1], 16) for f in map(str.split, out.splitlines())
               if len(f) == 4 and f[2] in "Tt")


def test_totals_match_nm(builds):
    base, head = builds
    doc = diff_json(base, head)
    totals = {t["class"]: t for t in doc["totals"]}
    # -O1 packs functions (alignment 1): every code byte is a symbol's
    assert totals["code"]["delta"] == nm_code(head) - nm_code(base)
    symbol_code = sum(r["delta"] for r in doc["symbols"] + doc["folded"]
                      if r["class"] == "code")
    assert totals["code"]["delta"] == symbol_code
    assert totals["data"]["delta"] == 96 - 64
    assert totals["rom"]["delta"] == sum(totals[k]["delta"] for k in ("code", "rodata", "data"))


def test_clone_suffix_renames_match(builds):
    base, head = builds
    doc = diff_json(base, head)
    names = {r["name"] for r in doc["symbols"] + doc["folded"]}
    # calc.constprop.0 -> calc.isra.1 is the same code: no added/removed row
    assert not names & {"calc.constprop.0", "calc.isra.1"}
    assert nm(base)["calc.constprop.0"] == nm(head)["calc.isra.1"]


def test_local_duplicates_match_by_file(builds):
    base, head = builds
    doc = diff_json(base, head)
    twins = [r for r in doc["symbols"] if r["name"] == "twin"]
    # Only two.c's twin changed; one.c's stays matched and unchanged,
    # although the build directories differ (prefix stripped)
    assert len(twins) == 1
    assert twins[0]["file"] == "two.c"
    assert twins[0]["status"] == "grown"
    nm_base, nm_head = nm(base), nm(head)
    assert twins[0]["delta"] == max(nm_head["twin"]) - max(nm_base["twin"])


def test_base_name_strips_clone_suffixes():
    assert diff.base_name("foo.constprop.0") == "foo"
    assert diff.base_name("foo.isra.12") == "foo"
    assert diff.base_name("foo.part.0.lto_priv.3") == "foo"
    assert diff.base_name("foo.cold") == "foo"
    assert diff.base_name("foo.0") == "foo.0"       # a local static, not a clone
    assert diff.base_name(None) is None


def test_size_closest_pairing_without_files():
    base = [["s", None, "c", "code", 10], ["s", None, "c", "code", 100]]
    head = [["s", None, "c", "code", 104], ["s", None, "c", "code", 10]]
    pairs, removed, added = diff.match(base, head)
    assert sorted((b[4], h[4]) for b, h in pairs) == [(10, 10), (100, 104)]
    assert not removed and not added


def test_noise_folds_into_details(builds):
    base, head = builds
    proc = run("diff", base, head, "--min-delta", "8", "--format", "markdown")
    assert proc.returncode == 0
    md = proc.stdout
    assert "<details><summary>1 symbol change below the noise threshold " \
           "(|delta| < 8 B), net +6 B</summary>" in md
    details = md[md.index("<details>"):md.index("</details>")]
    assert "`tiny`" in details
    assert "`tiny`" not in md[:md.index("<details>")]
    text = run("diff", base, head, "--min-delta", "8").stdout
    assert "folded: 1 symbol change below the noise threshold" in text
    doc = diff_json(base, head, "--min-percent", "80")
    assert {r["name"] for r in doc["folded"]} == {"tiny", "table"}


def test_same_build_is_no_change(builds):
    base, _ = builds
    proc = run("diff", base, base)
    assert proc.returncode == 0
    assert "verdict: no change" in proc.stdout
    md = run("diff", base, base, "--format", "markdown").stdout
    assert md.splitlines()[0] == "## membudget: prog.elf"
    assert "no change" in md.splitlines()[2]


def budgets_text(tmp_path, creep, image_creep):
    path = tmp_path / "prog.toml"
    path.write_text(f"""
[image]
name = "prog"
root = "."
creep = {image_creep}

[components.grower]
symbols = ["grow_me", "twin"]
creep = {creep}

[components.rest]
catch_all = true
""")
    return path


def test_creep_exceeded_exits_1_and_names_it(builds, tmp_path):
    base, head = builds
    budgets = budgets_text(tmp_path, '{ code = "64 B" }', '"1 KiB"')
    proc = run("diff", base, head, "-b", budgets)
    assert proc.returncode == 1, proc.stderr
    grown = sum(nm(head)["grow_me"]) + sum(nm(head)["twin"]) \
        - sum(nm(base)["grow_me"]) - sum(nm(base)["twin"])
    assert f"creep exceeded: grower code +{grown} B > creep 64 B" in proc.stdout
    md = run("diff", base, head, "-b", budgets, "--format", "markdown").stdout
    assert md.splitlines()[2].startswith(":x: **creep exceeded: grower code")
    # Within the caps: exit 0
    ok = budgets_text(tmp_path, f'"{grown} B"', '"1 KiB"')
    assert run("diff", base, head, "-b", ok).returncode == 0


def test_image_creep_percent(builds, tmp_path):
    base, head = builds
    budgets = budgets_text(tmp_path, '"1 MiB"', '"10 %"')
    proc = run("diff", base, head, "-b", budgets, "--format", "json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    over = [c for c in doc["creep"] if c["over"]]
    rom = next(t for t in doc["totals"] if t["class"] == "rom")
    assert {"owner": "image", "class": "rom", "delta": rom["delta"],
            "cap": rom["base"] // 10, "over": True, "override": None} in over


def test_snapshot_round_trip(builds, tmp_path):
    base, head = builds
    snap = tmp_path / "base.json"
    assert run("snapshot", base, "-o", snap).returncode == 0
    from_elf = diff_json(base, head)
    from_snapshot = diff_json(snap, head)
    for doc in (from_elf, from_snapshot):
        del doc["base"]["label"]
    assert from_snapshot == from_elf
    # Both sides snapshots: the same again
    head_snap = tmp_path / "head.json"
    assert run("snapshot", head, "-o", head_snap).returncode == 0
    both = diff_json(snap, head_snap)
    del both["base"]["label"], both["head"]["label"]
    del from_elf["head"]["label"]
    assert both == from_elf


def test_provenance_warning(builds, tmp_path):
    base, head = builds
    snap = tmp_path / "base.json"
    assert run("snapshot", base, "-o", snap).returncode == 0
    doc = json.loads(snap.read_text())
    doc["provenance"]["compilers"] = ["GCC: (Imaginary) 99.1"]
    snap.write_text(json.dumps(doc))
    md = run("diff", snap, head, "--format", "markdown").stdout
    assert "> :warning: BASE and HEAD were built by different compilers: " \
           "GCC: (Imaginary) 99.1 vs GCC:" in md


def synthetic(count, grow):
    """A snapshot document with count symbols of one component."""
    symbols = [{"name": f"function_with_a_long_name_{i:05d}", "file": f"src/f{i % 97}.c",
                "owner": "app", "class": "code", "size": 100 + (i * grow) % 50}
               for i in range(count)]
    code = sum(s["size"] for s in symbols)
    sizes = {"code": code, "rodata": 0, "data": 0, "bss": 0, "rom": code, "ram": code}
    return {"schema": 1, "kind": "snapshot", "elf": {"path": "x.elf", "sha256": "ab" * 32,
                                                     "build_id": None},
            "budgets": {"path": "b.toml", "name": "big"}, "totals": sizes,
            "components": [dict(name="app", **sizes)], "buckets": [],
            "provenance": {"git": None, "compilers": [], "budgets_sha256": None},
            "symbols": symbols}


def test_markdown_truncates_under_limit():
    result = diff.compare(synthetic(10_000, 0), synthetic(10_000, 7), min_delta=3)
    assert len(result.symbols) + len(result.folded) > 9_000
    md = render_diff.render_markdown(result)
    assert len(md) < 65_000
    assert md.splitlines()[0] == "## membudget: big"
    assert "**Truncated** to stay under 65,000 characters: cut " in md
    # The note says how many rows were cut and their net bytes
    cut = md[md.index("**Truncated**"):]
    shown = md.count("`function_with_a_long_name_")
    assert f"of {len(result.symbols):,} symbol rows" in cut
    assert shown < len(result.symbols) + len(result.folded)
    assert md.count("<details>") == md.count("</details>")


def test_markdown_cli_truncates(tmp_path):
    base, head = tmp_path / "a.json", tmp_path / "b.json"
    base.write_text(json.dumps(synthetic(10_000, 0)))
    head.write_text(json.dumps(synthetic(10_000, 3)))
    out = tmp_path / "pr.md"
    proc = run("diff", base, head, "--format", "markdown", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert len(out.read_text()) < 65_000


@pytest.mark.parametrize("mutate, fragment", [
    (lambda d: d.update(schema=7), "unsupported snapshot schema 7 (this membudget reads schema 1)"),
    (lambda d: d.pop("kind"), "a membudget report, not a snapshot"),
    (lambda d: d.pop("symbols"), "snapshot has no 'symbols' field"),
    (lambda d: d["symbols"].append({"owner": "x", "class": "code", "size": -1}),
     "symbols[3].size: expected a byte count"),
    (lambda d: d.update(totals=[]), "totals: expected an object"),
    (lambda d: d["symbols"][0].update(name=5), "symbols[0].name: expected a string or null"),
    (lambda d: d["provenance"].update(git="abc"), "provenance.git: expected an object"),
    (lambda d: d["provenance"].update(compilers=[1]), "provenance.compilers: expected"),
    (lambda d: d.update(components={}), "must be arrays"),
])
def test_bad_snapshot_exits_2(tmp_path, mutate, fragment):
    doc = synthetic(3, 0)
    mutate(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    out = tmp_path / "out.md"
    proc = run("diff", bad, bad, "-o", out)
    assert_bad_input(proc, str(bad), fragment)
    assert not out.exists()


def test_bad_files_exit_2(tmp_path, builds):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00garbage")
    assert_bad_input(run("diff", junk, builds[0]), str(junk), "neither an ELF file nor")
    assert_bad_input(run("diff", builds[0], tmp_path / "missing.elf"), "missing.elf",
                     "No such file")
    broken = tmp_path / "broken.elf"
    broken.write_bytes(b"\x7fELF\x01\x01\x01" + b"\0" * 9)
    assert_bad_input(run("diff", broken, builds[0]), str(broken))
    bad_budgets = tmp_path / "b.toml"
    bad_budgets.write_text("[image]\ncreep = \"5 parsecs\"\n")
    assert_bad_input(run("diff", builds[0], builds[1], "-b", bad_budgets),
                     str(bad_budgets), "image.creep")


def test_creep_percent_parses():
    b = parse_budgets('[image]\ncreep = { rom = "2.5 %" }\n'
                      '[components.a]\nsymbols = ["a"]\ncreep = "1 %"\n', "x.toml", root=".")
    assert b.image_creep["rom"].of(1000) == 25
    assert b.components[0].creep["code"].of(250) == 2


def test_snapshot_names_the_budgets_for_an_elf(builds, tmp_path):
    base, head = builds
    budgets = budgets_text(tmp_path, '{ code = "64 B" }', '"1 KiB"')
    snap = tmp_path / "base.json"
    assert run("snapshot", base, "-b", budgets, "-o", snap).returncode == 0
    # No -b: HEAD is attributed with the file the snapshot names, creep included
    proc = run("diff", snap, head)
    assert proc.returncode == 1
    assert f"budgets: {budgets}" in proc.stdout
    assert "creep exceeded: grower code" in proc.stdout
    assert "warning" not in proc.stdout


def worktrees():
    """The repository's worktree paths (not their HEADs: others commit meanwhile)."""
    out = subprocess.run(["git", "worktree", "list", "--porcelain"], cwd=ROOT,
                         capture_output=True, text=True).stdout
    return sorted(line.split(" ", 1)[1] for line in out.splitlines()
                  if line.startswith("worktree "))


def test_make_diff_bad_rev_leaves_no_worktree(tmp_path):
    before = worktrees()
    proc = subprocess.run([str(ROOT / "mk" / "diff-base.sh"), "no-such-rev-4", sys.executable,
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr == "make diff: BASE=no-such-rev-4: not a commit of this repository\n"
    assert list(tmp_path.iterdir()) == []
    after = worktrees()
    assert after == before


def test_make_diff_builds_the_base_in_a_worktree(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    before = worktrees()
    heads = {subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()}
    proc = subprocess.run(["make", "-s", "--no-print-directory", f"BUILD={tmp_path}",
                           "diff", "BASE=HEAD", "DIFF_FLAGS=--format markdown"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    # 0, or 1 if someone's uncommitted change exceeds a creep cap
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert "## membudget: firmware" in lines
    # Others may commit meanwhile: HEAD as it was before or after
    heads.add(subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True).stdout.strip())
    snap = json.loads((tmp_path / "diff-base.json").read_text())
    assert snap["provenance"]["git"]["commit"] in heads
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("diff-base.") and p.is_dir()]
    after = worktrees()
    assert after == before


def small_pair():
    """Two hand-made snapshots: every kind of row, a creep cap, a warning."""
    def doc(symbols, padding, compiler, commit):
        comps = {}
        for s in symbols:
            row = comps.setdefault(s["owner"], {"name": s["owner"], "code": 0, "rodata": 0,
                                                "data": 0, "bss": 0})
            row[s["class"]] += s["size"]
        sizes = {k: sum(r[k] for r in comps.values()) for k in ("code", "rodata", "data", "bss")}
        sizes["code"] += padding
        return {"schema": 1, "kind": "snapshot",
                "elf": {"path": "fw.elf", "sha256": commit * 8, "build_id": commit * 5},
                "budgets": {"path": "fw.toml", "name": "fw"}, "totals": sizes,
                "components": list(comps.values()),
                "buckets": [{"name": "[padding]", "code": padding, "rodata": 0, "data": 0,
                             "bss": 0}],
                "provenance": {"git": {"commit": commit * 5, "dirty": False},
                               "compilers": [compiler], "budgets_sha256": None},
                "symbols": symbols + [{"name": None, "file": None, "owner": "[padding]",
                                       "class": "code", "size": padding}]}

    def sym(name, file, owner, cls, size):
        return {"name": name, "file": file, "owner": owner, "class": cls, "size": size}

    base = doc([sym("heap_alloc", "/b1/src/heap.c", "heap", "code", 300),
                sym("heap_pool", "/b1/src/heap.c", "heap", "bss", 4096),
                sym("scan.constprop.0", "/b1/src/e820.c", "e820", "code", 120),
                sym("old_helper", "/b1/src/e820.c", "e820", "code", 40),
                sym("tick", "/b1/src/e820.c", "e820", "code", 20)], 6, "GCC: 12.2", "ab12")
    head = doc([sym("heap_alloc", "/b2/src/heap.c", "heap", "code", 380),
                sym("heap_pool", "/b2/src/heap.c", "heap", "bss", 4096),
                sym("scan.isra.0", "/b2/src/e820.c", "e820", "code", 110),
                sym("new_table", "/b2/src/e820.c", "e820", "rodata", 64),
                sym("tick", "/b2/src/e820.c", "e820", "code", 21)], 9, "GCC: 13.1", "cd34")
    budgets = parse_budgets('[image]\nname = "fw"\ncreep = { rom = "5 %" }\n'
                            '[components.heap]\nsymbols = ["heap_*"]\ncreep = { code = "64 B" }\n'
                            '[components.e820]\nsymbols = ["scan*"]\n', "fw.toml", root=".")
    return diff.compare(base, head, budgets, min_delta=2, base_label="base.json",
                        head_label="build/fw.elf")


@pytest.mark.parametrize("fmt, golden", [("text", "diff_small.txt"),
                                         ("markdown", "diff_small.md"),
                                         ("json", "diff_small.json")])
def test_golden_renderings(fmt, golden):
    import report_sample
    report_sample.check_golden(golden, render_diff.RENDERERS[fmt](small_pair()))


def test_small_pair_numbers():
    result = small_pair()
    rows = {r.name: r for r in result.symbols}
    assert rows["heap_alloc"].delta == 80 and rows["heap_alloc"].file == "heap.c"
    assert rows["scan.isra.0"].base_name == "scan.constprop.0"
    assert rows["scan.isra.0"].delta == -10
    assert rows["new_table"].status == "added" and rows["old_helper"].status == "removed"
    assert [r.name for r in result.folded] == ["tick"]
    assert result.padding.delta("code") == 3
    # 5 % of a 486-byte rom is 24 B: +98 B is over
    assert [(c.owner, c.key, c.cap) for c in result.creep_over()] == [
        ("heap", "code", 64), ("image", "rom", 24)]


def test_markdown_many_creep_failures():
    # 3,000 components over their creep caps
    def doc(size):
        comps = [{"name": f"component_{i:04d}", "code": size, "rodata": 0, "data": 0,
                  "bss": 0} for i in range(3000)]
        total = {"code": size * 3000, "rodata": 0, "data": 0, "bss": 0}
        return {"schema": 1, "kind": "snapshot", "elf": {"path": "x.elf"},
                "budgets": None, "totals": total, "components": comps, "buckets": [],
                "provenance": {"compilers": []}, "symbols": []}
    text = "".join(f'[components.component_{i:04d}]\nsymbols = ["s{i}"]\ncreep = "1 B"\n'
                   for i in range(3000))
    budgets = parse_budgets(text, "big.toml", root=".")
    md = render_diff.render_markdown(diff.compare(doc(10), doc(20), budgets))
    assert len(md) < 65_000
    assert md.startswith("## membudget: big\n")
    assert "; and 8,995 more (rom +30,000 B" in md.splitlines()[2]
    # The creep table is what gets cut
    assert "**Truncated** to stay under 65,000 characters: cut " in md


def test_markdown_hard_cap_beyond_tables():
    # A limit smaller than the lines outside the tables: cut at a line end
    md = render_diff.render_markdown(small_pair(), limit=700)
    assert len(md) < 700
    assert md.startswith("## membudget: fw\n")
    assert md.rstrip().endswith("`membudget diff --format json` has all of it.")


def test_a_document_diffed_with_itself_is_the_same():
    """Rows as tuples (as loaded and built) shared by both sides."""
    doc = synthetic(50, 0)
    doc["symbols"] = [tuple(r[k] for k in ("name", "file", "owner", "class", "size"))
                      for r in doc["symbols"]] * 2
    result = diff.compare(doc, doc)
    assert result.same and result.unchanged == 50
