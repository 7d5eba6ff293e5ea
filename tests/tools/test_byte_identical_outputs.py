"""Speed work changes no output: this tree and a pinned commit write the same bytes.

Issue 17 makes membudget faster and leaner, and every such step must leave
every output byte-identical.  PINNED is the last commit before that work.
Its tools/membudget is checked out in a temporary git worktree (removed as
soon as the package is copied out), and both trees run the same command
lines on the corpus the other tests build: the real-world layouts of
test_realworld.py, the firmware-like fixture, the real firmware with its
budgets file, and the two diff variants.  Each tree runs every command in
one interpreter (cli_batch.py); their stdout, stderr, exit status and every
file written with -o must be equal byte for byte.

The commands: report in every format (one analysis, -o DIR), also with
each --by; report without the map and without the budgets file; check in
every format; snapshot; diff of the snapshot against its ELF; and diff of
the variants in every format.

When an output is meant to change (a new field, a fixed bug), move PINNED
to the commit that changed it, after checking the difference is the one
intended.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import variants
from cli_helpers import ROOT
from membudget.commands import check as check_cmd, diff as diff_cmd, report as report_cmd
from test_realworld import LAYOUTS

PINNED = "a35281b"
BATCH = Path(__file__).with_name("cli_batch.py")
#: The HTML page prints the date: pinned through SOURCE_DATE_EPOCH
EPOCH = "1700000000"
#: Jobs that are bad input, their one line compared too: the firmware's
#: [stack] needs the map to find its .su/.ci files
BAD_INPUT = {"firmware-report-nomap"}


@pytest.fixture(scope="module")
def pinned_tools(tmp_path_factory):
    """tools/ of PINNED, copied out of a short-lived worktree."""
    have = subprocess.run(["git", "rev-parse", "--verify", "-q", PINNED + "^{commit}"],
                          cwd=ROOT, capture_output=True, text=True)
    if have.returncode:
        pytest.skip(f"commit {PINNED} is not in this clone")
    top = tmp_path_factory.mktemp("pinned")
    tree = top / "worktree"
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), PINNED],
                   cwd=ROOT, check=True, capture_output=True)
    try:
        shutil.copytree(tree / "tools" / "membudget", top / "tools" / "membudget")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                       capture_output=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)
    return top / "tools"


def budgets_for(path, name, sources):
    """A budgets file: a component per source (tight rom caps, so some are
    exceeded), a symbol glob, a section glob and the catch-all."""
    lines = ["[image]", f'name = "{name}"', f'root = "{ROOT}"', 'rom = "64 KiB"', ""]
    for number, source in enumerate(sources):
        lines += [f"[components.part{number}]", f'paths = ["{source}"]',
                  'budget = { rom = "512 B", bss = "1 KiB" }', 'creep = "16 B"', ""]
    lines += ["[components.entry]", 'symbols = ["_start", "main"]', "",
              "[components.other]", "catch_all = true", ""]
    path.write_text("\n".join(lines))
    return path


def image_jobs(name, elf, map_path, budgets, cwd):
    """The command lines run on one image."""
    with_map = ["--map", str(map_path)] if map_path else []
    common = [str(elf), "-b", str(budgets), *with_map]
    every = ",".join(report_cmd.RENDERERS)
    jobs = {f"{name}-report": ["report", *common, "--format", every, "-o", "{out}/all"],
            f"{name}-report-nomap": ["report", str(elf), "-b", str(budgets)],
            f"{name}-report-nobudgets": ["report", str(elf), *with_map, "--format", "json"]}
    for by in ("file", "symbol", "section"):
        jobs[f"{name}-by-{by}"] = ["report", *common, "--by", by, "--format", every,
                                   "-o", "{out}/all"]
    for fmt in check_cmd.FORMATS:
        jobs[f"{name}-check-{fmt}"] = ["check", *common, "--format", fmt]
    jobs[f"{name}-snapshot"] = ["snapshot", *common, "-o", "{out}/snap.json"]
    # diff reads the snapshot the job above wrote (jobs run in this order)
    jobs[f"{name}-diff"] = ["diff", f"{{out}}/../{name}-snapshot/snap.json", str(elf),
                            "-b", str(budgets), *(["--head-map", str(map_path)]
                                                  if map_path else []),
                            "--format", "json"]
    return {key: {"argv": argv, "cwd": str(cwd)} for key, argv in jobs.items()}


@pytest.fixture(scope="module")
def corpus_jobs(build_layout, build_elf, firmware_build, tmp_path_factory):
    """Every job, on every image of the corpus that this machine can build."""
    top = tmp_path_factory.mktemp("identical")
    jobs = {}
    for name, layout in sorted(LAYOUTS.items()):
        try:
            built = build_layout(name, layout.sources, layout.arch, layout.cflags,
                                 memory_usage=layout.memory)
        except pytest.skip.Exception:
            continue        # a missing cross compiler: the others still count
        budgets = budgets_for(top / f"{name}.toml", name, built.sources)
        jobs.update(image_jobs(name, built.elf, built.map, budgets, ROOT))
    fw = build_elf("firmware")
    jobs.update(image_jobs("fw", fw.elf, fw.map, budgets_for(top / "fw.toml", "fw",
                                                             fw.sources), ROOT))
    jobs.update(image_jobs("firmware", firmware_build / "firmware.elf",
                           firmware_build / "firmware.map",
                           ROOT / "budgets" / "firmware.toml", ROOT))
    base, head = variants.build(top, 0), variants.build(top, 1)
    for fmt in diff_cmd.FORMATS:
        jobs[f"variants-diff-{fmt}"] = {"argv": ["diff", str(base), str(head),
                                                 "--format", fmt], "cwd": str(ROOT)}
    assert len(jobs) > 40
    return jobs


def run_batches(trees, jobs, top):
    """Run the jobs with each tree at once; {tree label: output directory}."""
    path = top / "jobs.json"
    path.write_text(json.dumps(jobs))
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    procs = {}
    for label, tools in trees.items():
        out = top / label
        out.mkdir()
        procs[label] = (out, subprocess.Popen([sys.executable, str(BATCH), str(tools),
                                               str(path), str(out)], env=env,
                                              stdout=subprocess.PIPE,
                                              stderr=subprocess.STDOUT, text=True))
    for label, (out, proc) in procs.items():
        printed, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{label}: {printed}"
    return {label: out for label, (out, _) in procs.items()}


def files_under(top):
    return sorted(p.relative_to(top) for p in top.rglob("*") if p.is_file())


def test_every_output_is_byte_identical(pinned_tools, corpus_jobs, tmp_path):
    outs = run_batches({"pinned": pinned_tools, "current": ROOT / "tools"}, corpus_jobs,
                       tmp_path)
    pinned, current = outs["pinned"], outs["current"]
    names = files_under(pinned)
    assert names == files_under(current)
    # every job ran, and most of them did their work (exit 0, or 1 over budget)
    statuses = {p.parent.name: (pinned / p).read_text().strip()
                for p in names if p.name == "status"}
    assert set(statuses) == set(corpus_jobs)
    failed = {job: (pinned / job / "stderr").read_text() for job, s in statuses.items()
              if s not in ("0", "1")}
    assert set(failed) == BAD_INPUT, failed
    differ = [str(p) for p in names if (pinned / p).read_bytes() != (current / p).read_bytes()]
    assert not differ, f"outputs differ from {PINNED}'s: {differ}"
