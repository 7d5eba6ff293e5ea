"""Time a command and read its own peak RSS.

Each run goes through the small C helper build/bench/rusage (from
tests/bench/rusage.c), which forks the command, reaps it with wait4() and
writes its wall time and ru_maxrss.  wait4() gives that one child's usage,
unlike the cumulative RUSAGE_CHILDREN, and forking from the helper rather
than from this Python process keeps our own resident set out of the
child's high-water mark (the kernel carries it across exec).  Output goes
to files, not pipes, so a chatty command never blocks on a full pipe.
"""

import statistics
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MIB = 1024 * 1024
HELPER = Path("build/bench/rusage")


class MeasureError(Exception):
    """The helper is missing or did not report."""


@dataclass
class Run:
    """One execution: wall and CPU seconds, peak RSS in bytes, status."""
    seconds: float
    peak_rss: int
    status: int
    cpu_seconds: float = 0.0


@dataclass
class Timing:
    """Several runs of one command, and the first run's output."""
    argv: list
    runs: list = field(default_factory=list)
    stdout: bytes = b""
    stderr: bytes = b""

    @property
    def median(self):
        """Median wall seconds."""
        return statistics.median(r.seconds for r in self.runs)

    @property
    def median_cpu(self):
        """Median CPU seconds (user + system)."""
        return statistics.median(r.cpu_seconds for r in self.runs)

    @property
    def peak_rss(self):
        """Largest peak RSS over the runs, in bytes."""
        return max(r.peak_rss for r in self.runs)

    @property
    def statuses(self):
        """Distinct exit statuses, sorted."""
        return sorted({r.status for r in self.runs})


def run_once(argv, stdout, stderr, cwd=None):
    """Run @argv once with its output in the given files; return a Run."""
    if not HELPER.exists():
        raise MeasureError(f"{HELPER} not built (make bench builds it)")
    with tempfile.NamedTemporaryFile("r") as result:
        proc = subprocess.run([str(HELPER.resolve()), result.name, *argv],
                              stdin=subprocess.DEVNULL, stdout=stdout,
                              stderr=stderr, cwd=cwd)
        fields = result.read().split()
    if proc.returncode != 0 or len(fields) != 4:
        raise MeasureError(f"could not run {argv[0]}")
    wall_ns, maxrss_kib, status, cpu_ns = map(int, fields)
    return Run(wall_ns / 1e9, maxrss_kib * 1024, status, cpu_ns / 1e9)


def time_command(argv, runs, cwd=None):
    """Run @argv @runs times; keep the first run's output for checks."""
    return time_alternating([argv], runs, cwd)[0]


def time_alternating(commands, runs, cwd=None):
    """Run each argv of @commands @runs times, in turns: each round runs
    every command once, in order, so a change in the machine's load falls
    on all of them alike.  Returns one Timing per command, in order, each
    with its first run's output."""
    timings = [Timing(list(argv)) for argv in commands]
    for index in range(runs):
        for timing in timings:
            with tempfile.TemporaryFile() as out, \
                    tempfile.TemporaryFile() as err:
                timing.runs.append(run_once(timing.argv, out, err, cwd))
                if index == 0:
                    out.seek(0)
                    err.seek(0)
                    timing.stdout = out.read()
                    timing.stderr = err.read()
    return timings
