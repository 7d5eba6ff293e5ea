"""Run heapsim on a trace under callgrind and read the instruction counts.

Two figures come out of one run.  The raw one is every instruction the
process executed (parsing the trace, filling and verifying patterns, the
C library) divided by the trace's operations.  The allocator's own is the
inclusive cost of the calls the simulator's code makes into the heap API,
read from callgrind's call records, so parsing and pattern work are left
out without a second "parse only" run.
"""

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

# The heap API as the host build names it (firmware/include/malloc.h)
ALLOCATING = ("fw_malloc", "fw_zalloc", "fw_realloc", "malloc_dma")
FREEING = ("fw_free", "free_dma")
API = ALLOCATING + FREEING


@dataclass
class ApiCost:
    """Calls into one API function and their inclusive instructions."""
    calls: int = 0
    ir: int = 0


@dataclass
class Profile:
    """What one callgrind output file says about a heapsim run."""
    total_ir: int = 0
    api: dict = field(default_factory=dict)

    @property
    def api_ir(self):
        """Instructions spent inside the heap API, inclusive."""
        return sum(cost.ir for cost in self.api.values())

    @property
    def ir_per_pair(self):
        """API instructions per allocation: each allocating call with its
        share of the frees (a realloc counts as one allocation)."""
        allocs = sum(self.api[n].calls for n in ALLOCATING if n in self.api)
        return self.api_ir / allocs if allocs else None

    @property
    def api_calls(self):
        """Calls made into the heap API."""
        return sum(cost.calls for cost in self.api.values())


class CallgrindError(Exception):
    """The run or its output file could not be used."""


def _name(table, value):
    """Resolve callgrind's name compression: "(n) name" defines, "(n)" reuses."""
    value = value.strip()
    if value.startswith("("):
        ident, _, rest = value.partition(")")
        rest = rest.strip()
        if rest:
            table[ident] = rest
            return rest
        return table.get(ident, value)
    return value


def parse(text, driver="heapsim.c"):
    """Read a callgrind output file (one event, Ir).

    @v text     the file's contents
    @v driver   file name of the simulator's own code: calls from it count
    @ret Profile
    """
    profile = Profile()
    files, funcs = {}, {}
    caller_file = callee = ""
    pending = None          # callee name of a calls= line just read
    for line in text.splitlines():
        if pending is not None:
            if line and (line[0].isdigit() or line[0] in "+-*"):
                cost = profile.api.setdefault(pending[0], ApiCost())
                cost.calls += pending[1]
                cost.ir += int(line.split()[1])
            pending = None
            continue
        key, _, value = line.partition("=")
        if key == "fl":
            caller_file = _name(files, value)
        elif key in ("fi", "fe", "cfi", "cfl"):
            _name(files, value)
        elif key == "fn":
            _name(funcs, value)
        elif key == "cfn":
            callee = _name(funcs, value)
        elif key == "calls":
            if caller_file.endswith(driver) and callee in API:
                pending = (callee, int(value.split()[0]))
        elif line.startswith(("summary:", "totals:")):
            profile.total_ir = int(line.split(":")[1].split()[0])
    if not profile.total_ir:
        raise CallgrindError("no totals in callgrind output")
    return profile


def profile_trace(heapsim, trace, out_file, options=()):
    """Run @heapsim (with @options) on @trace under callgrind.

    @ret (Profile, heapsim's stdout, its exit status, its stderr)
    """
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    argv = ["valgrind", "--tool=callgrind", "--quiet",
            f"--callgrind-out-file={out_file}", str(heapsim), *options, str(trace)]
    proc = subprocess.run(argv, capture_output=True, text=True)
    try:
        text = out_file.read_text()
    except OSError as err:
        raise CallgrindError(f"{out_file}: {err.strerror}") from None
    return parse(text), proc.stdout, proc.returncode, proc.stderr



# Names heapsim's per-call build dumps under (tools/sim/heapsim.c)
PER_CALL = ("malloc", "zalloc", "realloc", "free", "malloc_dma", "free_dma")


def per_call(heapsim, trace, workdir, options=()):
    """Instructions of every single heap call heapsim makes on @trace.

    @heapsim must be built with -DHEAPSIM_PER_CALL: it zeroes callgrind's
    counters before each heap call and dumps them after it, named after
    the call, and once around nothing ("calibrate"), whose cost (the
    client requests' own) is taken off every call.

    @ret {call name: [Ir of each call, in order]}
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    for old in workdir.glob("cg.out*"):
        old.unlink()
    argv = ["valgrind", "--tool=callgrind", "--quiet",
            f"--callgrind-out-file={workdir / 'cg.out'}",
            str(heapsim), *options, str(trace)]
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CallgrindError(f"{heapsim} {trace}: exit {proc.returncode}: "
                             f"{proc.stderr.strip()[-300:]}")
    calls = {}
    for dump in workdir.glob("cg.out*"):
        name = ir = None
        with open(dump) as f:
            for line in f:
                if line.startswith("desc: Trigger: Client Request: "):
                    name = line[len("desc: Trigger: Client Request: "):].strip()
                elif line.startswith("totals:"):
                    ir = int(line.split()[1])
        seq = dump.name.rsplit(".", 1)[-1]
        dump.unlink()
        if name is not None and ir is not None and seq.isdigit():
            calls.setdefault(name, []).append((int(seq), ir))
    base = min((ir for _, ir in calls.pop("calibrate", [])), default=0)
    return {name: [ir - base for _, ir in sorted(pairs)]
            for name, pairs in calls.items()}
