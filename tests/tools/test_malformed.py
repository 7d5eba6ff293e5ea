"""membudget on malformed input: one error line and exit 2, never a crash.

The corpus comes from tests/tools/malformed/gen_corpus.py, written into a
temporary directory once per session.  Every case runs through
`membudget report` and `membudget check`, each in a process of its own,
with -o into a fresh directory, under a 5 s timeout and a 1 GiB
address-space limit.  The processes are forked from fork servers
(malformed/forkserver.py) that imported membudget once: starting the
interpreter and importing the package cost about 0.25 s of CPU, ten times
what the run itself does, so one `python3 tools/membudget` per run kept
the set-up at about 270 s on 2 cores for ~530 runs.  Each server runs one
case at a time; a small thread pool keeps a few of them busy.  (The
launcher itself is test_cli.py's business.)  What each case must give
(gen_corpus.py, Case.expect):

  error    exit 2, stderr exactly one line `membudget: ...` (no internal
           error, no attribution bug), no output file;
  survive  exit 0 (report) or 0/1 (check), stderr only warning lines,
           an output file;
  either   one of those two.

No case may print a traceback.  Results are shared by one test per
mutation family, so a failure names its family and lists every case.
Each child is reaped with os.wait4, so its own CPU time and peak memory
are checked too (its peak memory includes the imports it inherited, as a
launched run's does).  MALFORMED_FULL=1 runs the full corpus (gen_corpus.py
--full, about three times as many cases) instead of the quick one.
"""

import json
import os
import queue
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "malformed"))
import gen_corpus  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FORKSERVER = Path(__file__).resolve().parent / "malformed" / "forkserver.py"
TIMEOUT = 5.0
MEMORY_LIMIT = 1 << 30
#: What a run may use at most; a normal one takes ~0.1 s and ~30 MiB
MAX_CPU_SECONDS = 2.5
MAX_RSS_KIB = 256 * 1024
FAMILIES = ("truncate", "header", "sections", "symtab", "dwarf", "map", "budgets", "garbage")
#: Messages that mean a bug caught by the CLI's last resort, not bad input
BUG_MARKERS = ("internal error", "attribution bug", "Traceback")


class ForkServer:
    """One malformed/forkserver.py process: run(argv, cwd, stderr) -> its answer."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, str(FORKSERVER), str(ROOT / "tools"), str(MEMORY_LIMIT),
             str(TIMEOUT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, argv, cwd, stderr):
        request = {"argv": [str(a) for a in argv], "cwd": str(cwd), "stderr": str(stderr)}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError(f"fork server exited ({self.proc.wait()}): see stderr")
        return json.loads(answer)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@dataclass
class Run:
    case: gen_corpus.Case
    command: str
    status: int | None      # None: timed out
    stderr: str
    seconds: float          # wall
    cpu: float              # user + system
    rss_kib: int            # peak resident set
    output: bool            # the -o file exists


def _argv(case, command, corpus, output):
    argv = [command, str(corpus / case.elf), "-o", str(output)]
    if command == "check" or case.budgets_in_report:
        argv += ["-b", str(corpus / case.budgets)]
    if case.map:
        argv += ["--map", str(corpus / case.map)]
    return argv


def _run(case, command, corpus, scratch, servers):
    """Run one case one way on a free fork server; stderr goes to a file."""
    outdir = scratch / f"{case.name}.{command}"
    outdir.mkdir()
    output = outdir / "out.txt"
    errpath = outdir / "stderr.txt"
    server = servers.get()
    try:
        answer = server.run(_argv(case, command, corpus, output), outdir, errpath)
    finally:
        servers.put(server)
    stderr = errpath.read_bytes().decode("utf-8", "replace")
    return Run(case, command, answer["status"], stderr, answer["seconds"], answer["cpu"],
               answer["rss_kib"], output.exists())


def problems(run):
    """What is wrong with one run, as a list of strings (empty: fine)."""
    found = []
    lines = run.stderr.splitlines()
    if run.status is None:
        return [f"no answer within {TIMEOUT} s"]
    if any(marker in run.stderr for marker in BUG_MARKERS):
        found.append("bug: " + " | ".join(lines[-3:]))
    expect = run.case.expect
    if expect == "either":
        expect = "error" if run.status == 2 else "survive"
    if expect == "error":
        if run.status != 2:
            found.append(f"exit {run.status}, expected 2")
        if len(lines) != 1 or not lines[0].startswith("membudget: "):
            found.append(f"stderr is not one membudget: line: {lines[:3]}")
        if run.output:
            found.append("output file left behind")
    else:
        allowed = (0,) if run.command == "report" else (0, 1)
        if run.status not in allowed:
            found.append(f"exit {run.status}, expected {allowed}: {lines[:2]}")
        bad = [line for line in lines
               if not (line.startswith("membudget: ") and ": warning: " in line)]
        if bad:
            found.append(f"stderr lines that are not warnings: {bad[:2]}")
        if run.status in allowed and not run.output:
            found.append("no output file")
    return found


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory):
    """Generate the corpus and run every case both ways: {family: [Run]}."""
    corpus = tmp_path_factory.mktemp("malformed") / "corpus"
    cases = gen_corpus.generate(corpus, full=os.environ.get("MALFORMED_FULL") == "1")
    scratch = tmp_path_factory.mktemp("malformed-out")
    jobs = [(case, command) for case in cases for command in ("report", "check")]
    workers = min(4, (os.cpu_count() or 1) + 1)
    servers = queue.Queue()
    started = []
    try:
        for _ in range(workers):
            started.append(ForkServer())
            servers.put(started[-1])
        with ThreadPoolExecutor(max_workers=workers) as pool:
            runs = list(pool.map(lambda job: _run(*job, corpus, scratch, servers), jobs))
    finally:
        for server in started:
            server.close()
    by_family = {}
    for run in runs:
        by_family.setdefault(run.case.family, []).append(run)
    return by_family


@pytest.mark.parametrize("family", FAMILIES)
def test_malformed_family(corpus_runs, family):
    runs = corpus_runs.get(family, [])
    assert runs, f"the corpus has no {family} cases"
    failures = [f"{run.case.name} ({run.command}, expect {run.case.expect}): {p}"
                for run in runs for p in problems(run)]
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)


def test_corpus_is_large_and_mixed(corpus_runs):
    """Every family is there and the expectations are not all alike."""
    runs = [r for family in corpus_runs.values() for r in family]
    expects = {r.case.expect for r in runs}
    assert len(runs) >= 2 * 200
    assert {"error", "survive", "either"} <= expects


def test_every_run_is_small(corpus_runs):
    """CPU time and memory of each run: a reader going quadratic or reading
    a size field as an allocation shows here before it hits the limits."""
    big = [f"{r.case.name} ({r.command}) {r.cpu:.2f} s CPU, {r.rss_kib // 1024} MiB"
           for family in corpus_runs.values() for r in family
           if r.cpu > MAX_CPU_SECONDS or r.rss_kib > MAX_RSS_KIB]
    assert not big, "\n".join(big)


def test_fork_server_reports_what_a_launch_would(tmp_path, monkeypatch):
    """The harness itself: exit statuses, an escaping exception's traceback,
    stderr captured, the cwd, a hang killed at the timeout, the memory cap."""
    package = tmp_path / "tools" / "membudget"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "cli.py").write_text(
        "import os, sys, time\n"
        "def main(argv):\n"
        "    what = argv[0]\n"
        "    print('membudget: ' + os.getcwd(), file=sys.stderr)\n"
        "    if what == 'hang':\n"
        "        time.sleep(60)\n"
        "    if what == 'raise':\n"
        "        raise ValueError('boom')\n"
        "    if what == 'exit':\n"
        "        sys.exit(2)\n"
        "    if what == 'hog':\n"
        "        return 3 if len(bytearray(2 << 30)) else 0\n"
        "    return int(what)\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "TIMEOUT", 1.0)
    server = ForkServer()
    try:
        def run(what):
            err = tmp_path / f"{what}.err"
            return server.run([what], tmp_path, err), err.read_text()
        assert run("0")[0]["status"] == 0
        answer, err = run("1")
        assert answer["status"] == 1 and err == f"membudget: {tmp_path}\n"
        assert answer["cpu"] >= 0 and answer["rss_kib"] > 0
        assert run("exit")[0]["status"] == 2
        answer, err = run("raise")
        assert answer["status"] == 1 and "Traceback" in err and "ValueError: boom" in err
        answer, err = run("hog")
        assert answer["status"] == 1 and "MemoryError" in err
        answer, _ = run("hang")
        assert answer["status"] is None and 1.0 <= answer["seconds"] < 10
        assert run("0")[0]["status"] == 0       # and it goes on serving
    finally:
        server.close()
