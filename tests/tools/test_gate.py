"""diff --gate (absolute, new-only, ratchet), override lines, owners, and the
base found by merge-base in a directory of snapshots: hand-made snapshots
through the command line."""

import json
import os
import subprocess

import pytest

from cli_helpers import assert_bad_input, run

BUDGETS = """# budgets for the gate tests
[image]
name = "fw"
rom = "64 KiB"      # the whole image

[components.heap]
symbols = ["heap_*"]
budget = {{ code = "800 B", bss = "{heap_bss}" }}   # heap's caps

[components.net]
symbols = ["net_*"]
owners = ["@org/net-team", "@alice"]
creep = {{ code = "16 B" }}

[components.other]
catch_all = true
"""


def budgets_file(tmp_path, heap_bss="1 KiB"):
    path = tmp_path / "fw.toml"
    path.write_text(BUDGETS.format(heap_bss=heap_bss))
    return path


def snapshot(tmp_path, name, heap_code, net_code=100, heap_bss=512, commit=None):
    """A snapshot file: heap (code, bss) and net (code) in one symbol each."""
    symbols = [{"name": "heap_alloc", "file": "heap.c", "owner": "heap", "class": "code",
                "size": heap_code},
               {"name": "heap_pool", "file": "heap.c", "owner": "heap", "class": "bss",
                "size": heap_bss},
               {"name": "net_rx", "file": "net.c", "owner": "net", "class": "code",
                "size": net_code}]
    comps = {}
    for s in symbols:
        row = comps.setdefault(s["owner"], {"name": s["owner"], "code": 0, "rodata": 0,
                                            "data": 0, "bss": 0})
        row[s["class"]] += s["size"]
    comps["other"] = {"name": "other", "code": 0, "rodata": 0, "data": 0, "bss": 0}
    totals = {k: sum(r[k] for r in comps.values()) for k in ("code", "rodata", "data", "bss")}
    doc = {"schema": 1, "kind": "snapshot",
           "elf": {"path": "fw.elf", "sha256": name * 4, "build_id": None},
           "budgets": None, "totals": totals, "components": list(comps.values()),
           "buckets": [], "symbols": symbols,
           "provenance": {"git": {"commit": commit, "dirty": False} if commit else None,
                          "compilers": ["GCC: 12"], "budgets_sha256": None}}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(doc))
    return path


def diff(tmp_path, base, head, *args, heap_bss="1 KiB"):
    return run("diff", base, head, "-b", budgets_file(tmp_path, heap_bss), *args)


# new-only

def test_already_over_and_unchanged_passes_new_only(tmp_path):
    base = snapshot(tmp_path, "base", heap_code=900)
    head = snapshot(tmp_path, "head", heap_code=900, net_code=104)
    proc = diff(tmp_path, base, head, "--gate", "new-only")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "already over before" in proc.stdout
    assert "within creep caps and budgets (new-only)" in proc.stdout
    # The same sizes under absolute: HEAD is over, so it fails
    proc = diff(tmp_path, base, head, "--gate", "absolute")
    assert proc.returncode == 1
    assert "over budget (absolute): heap code 900 B > 800 B (already over before)" \
        in proc.stdout
    # Without --gate, budgets are not diff's business (creep caps alone)
    assert diff(tmp_path, base, head).returncode == 0


def test_growing_an_already_over_budget_fails_new_only(tmp_path):
    base = snapshot(tmp_path, "base", heap_code=900)
    head = snapshot(tmp_path, "head", heap_code=950)
    proc = diff(tmp_path, base, head, "--gate", "new-only", "--format", "markdown")
    assert proc.returncode == 1
    assert proc.stdout.startswith("## membudget: fw\n")
    assert ":x: **over budget (new-only): heap code 950 B > 800 B (over before, grew)" \
        in proc.stdout
    assert "| heap | code | 900 | 950 | 800 | FAIL | over before, grew +50 B |" in proc.stdout


def test_newly_broken_budget_fails_new_only(tmp_path):
    base = snapshot(tmp_path, "base", heap_code=700)
    head = snapshot(tmp_path, "head", heap_code=820)
    proc = diff(tmp_path, base, head, "--gate", "new-only", "--format", "json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["failed"] is True
    heap = [b for b in doc["gate"]["budgets"] if b["owner"] == "heap" and b["class"] == "code"]
    assert heap == [{"owner": "heap", "class": "code", "budget": 800, "base": 700,
                     "head": 820, "status": "new", "failing": True, "override": None}]


# Override lines

def test_override_lets_growth_pass_and_is_reported(tmp_path):
    base = snapshot(tmp_path, "base", heap_code=700)
    head = snapshot(tmp_path, "head", heap_code=850)
    body = tmp_path / "pr-body.txt"
    body.write_text("Faster allocator.\n\n"
                    "Membudget-Override: heap code +200 B: free lists per size class\n")
    proc = diff(tmp_path, base, head, "--gate", "new-only", "--override-from", body)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"override: heap code +200 B: free lists per size class ({body}:3): applied" \
        in proc.stdout
    assert "heap    code    700   850  800  overridden  newly over" in proc.stdout
    assert "1 override applied" in proc.stdout
    doc = json.loads(diff(tmp_path, base, head, "--gate", "new-only", "--override-from",
                          body, "--format", "json").stdout)
    assert doc["gate"]["overrides"] == [{
        "owner": "heap", "class": "code", "allowance": 200,
        "reason": "free lists per size class", "where": f"{body}:3", "used": True}]
    # Too small an allowance: still fails, and says why
    body.write_text("Membudget-Override: heap code +100 B: not enough\n")
    proc = diff(tmp_path, base, head, "--gate", "new-only", "--override-from", body)
    assert proc.returncode == 1
    assert "override +100 B is less than the growth +150 B" in proc.stdout


def test_override_lets_creep_pass(tmp_path):
    base = snapshot(tmp_path, "base", heap_code=700, net_code=100)
    head = snapshot(tmp_path, "head", heap_code=700, net_code=164)
    assert diff(tmp_path, base, head).returncode == 1
    msg = tmp_path / "commit-msg"
    msg.write_text("net: bigger rings\n\nMembudget-Override: net code +64 B: rx ring\n")
    proc = diff(tmp_path, base, head, "--override-from", msg, "--format", "markdown")
    assert proc.returncode == 0, proc.stdout
    assert "overridden: +64 B: rx ring" in proc.stdout


@pytest.mark.parametrize("line, message", [
    ("Membudget-Override: heap code 200 B: no plus", "line 1: expected 'Membudget-Override:"),
    ("Membudget-Override: heap code +200 B:", "line 1: expected"),
    ("Membudget-Override: heap stack +200 B: why", "unknown class 'stack'"),
])
def test_bad_override_line_exits_2(tmp_path, line, message):
    base = snapshot(tmp_path, "base", heap_code=700)
    body = tmp_path / "body.txt"
    body.write_text(line + "\n")
    assert_bad_input(diff(tmp_path, base, base, "--override-from", body),
                     f"membudget: {body}: ", message)


# Owners

def test_owners_of_creeping_components_are_mentioned(tmp_path):
    base = snapshot(tmp_path, "base", heap_code=700, net_code=100)
    head = snapshot(tmp_path, "head", heap_code=700, net_code=120)
    md = diff(tmp_path, base, head, "--format", "markdown").stdout
    assert "cc @org/net-team (net), @alice (net): past a creep cap" in md
    # Within the cap: nobody is called
    head = snapshot(tmp_path, "head", heap_code=700, net_code=110)
    md = diff(tmp_path, base, head, "--format", "markdown").stdout
    assert "@org/net-team" not in md


def test_bad_owners_exit_2(tmp_path):
    path = tmp_path / "fw.toml"
    path.write_text('[components.net]\nsymbols = ["net_*"]\nowners = "@org/net"\n')
    base = snapshot(tmp_path, "base", heap_code=700)
    assert_bad_input(run("diff", base, base, "-b", path), "components.net.owners")


# ratchet

def test_ratchet_lowers_what_shrank(tmp_path):
    base = snapshot(tmp_path, "base", heap_code=700, heap_bss=512)
    head = snapshot(tmp_path, "head", heap_code=640, heap_bss=512)
    budgets = budgets_file(tmp_path)
    before = budgets.read_text()
    out = tmp_path / "tightened.toml"
    proc = run("diff", base, head, "-b", budgets, "--gate", "ratchet", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "ratchet: heap code budget 800 B -> 740 B" in proc.stderr
    # The image's rom shrank by as much: its cap comes down 60 B too
    assert "ratchet: image rom budget 65,536 B -> 65,476 B" in proc.stderr
    # Only the lowered values changed: comments, order and the rest kept
    assert out.read_text() == before.replace('code = "800 B"', 'code = "740 B"').replace(
        'rom = "64 KiB"', 'rom = "65476 B"')
    # Nothing shrank: the file comes out unchanged, so -o on it is safe
    proc = run("diff", head, head, "-b", budgets, "--gate", "ratchet")
    assert proc.returncode == 0
    assert proc.stdout == before


def test_ratchet_fails_as_new_only(tmp_path):
    base = snapshot(tmp_path, "base", heap_code=700)
    head = snapshot(tmp_path, "head", heap_code=820)
    proc = diff(tmp_path, base, head, "--gate", "ratchet")
    assert proc.returncode == 1
    assert "heap code 820 B > budget 800 B (newly over; was 700 B)" in proc.stderr


# The base: the merge-base's snapshot

def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=dict(os.environ, GIT_AUTHOR_NAME="t",
                                              GIT_AUTHOR_EMAIL="t@example.com",
                                              GIT_COMMITTER_NAME="t",
                                              GIT_COMMITTER_EMAIL="t@example.com")).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    """main: A - C; feature: A - B (HEAD).  Returns (repo, A, C)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for name in ("A",):
        (repo / "f").write_text(name)
        git(repo, "commit", "-q", "-a" if name != "A" else "--allow-empty", "-m", name)
    a = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "feature")
    git(repo, "commit", "-q", "--allow-empty", "-m", "B")
    git(repo, "checkout", "-q", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "C")
    c = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "feature")
    return repo, a, c


def test_base_dir_takes_the_merge_base_snapshot(tmp_path, repo):
    repo, a, c = repo
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    snapshot(snaps, a, heap_code=700, commit=a)
    snapshot(snaps, c, heap_code=100, commit=c)       # main's tip: not the base
    head = snapshot(tmp_path, "head", heap_code=720)
    budgets = budgets_file(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_BASE_REF",
                                                           "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")}
    for ref in ("main", "auto"):
        proc = run("diff", head, "--base-dir", snaps, "--base-ref", ref, "-b", budgets,
                   "--format", "json", cwd=repo, env=env)
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
        assert doc["base"]["commit"] == a
        assert doc["base"]["label"] == str(snaps / f"{a}.json")
        assert f"merge-base {a[:12]} of HEAD and main" in proc.stderr
    # GitHub's target branch decides under auto: a release branch at HEAD
    b = git(repo, "rev-parse", "HEAD")
    git(repo, "branch", "-q", "release", b)
    snapshot(snaps, b, heap_code=100, commit=b)
    proc = run("diff", head, "--base-dir", snaps, "-b", budgets, "--format", "json",
               cwd=repo, env=dict(env, GITHUB_BASE_REF="release"))
    assert json.loads(proc.stdout)["base"]["commit"] == b


def test_base_dir_without_the_snapshot_exits_2(tmp_path, repo):
    repo, a, c = repo
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    snapshot(snaps, c, heap_code=100, commit=c)
    head = snapshot(tmp_path, "head", heap_code=720)
    proc = run("diff", head, "--base-dir", snaps, "--base-ref", "main", cwd=repo)
    assert_bad_input(proc, f"membudget: {snaps}: no snapshot of the merge-base {a[:12]}",
                     f"{a}.json")
    proc = run("diff", head, "--base-dir", snaps, "--base-ref", "nosuch", cwd=repo)
    assert_bad_input(proc, "--base-ref nosuch: no such revision")


def test_base_dir_takes_gitlabs_merge_base(tmp_path):
    """A GitLab merge request pipeline names the merge-base: no git needed."""
    sha = "5" * 40
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    snapshot(snaps, sha, heap_code=700, commit=sha)
    head = snapshot(tmp_path, "head", heap_code=720)
    env = dict(os.environ, CI_MERGE_REQUEST_DIFF_BASE_SHA=sha)
    proc = run("diff", head, "--base-dir", snaps, "--format", "json", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["base"]["commit"] == sha
    env["CI_MERGE_REQUEST_DIFF_BASE_SHA"] = "../../etc/passwd"
    assert_bad_input(run("diff", head, "--base-dir", snaps, cwd=tmp_path, env=env),
                     "CI_MERGE_REQUEST_DIFF_BASE_SHA", "not a commit id")


def test_base_and_base_dir_are_one_or_the_other(tmp_path):
    head = snapshot(tmp_path, "head", heap_code=720)
    for args in ((head,), (head, head, "--base-dir", tmp_path)):
        proc = run("diff", *args)
        assert proc.returncode == 2 and "give BASE or --base-dir" in proc.stderr
