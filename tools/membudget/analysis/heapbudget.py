"""The runtime heap budget: run heapsim on the budgets file's traces.

The [heap] table of a budgets file (budgets.HeapBudget) names heapsim
traces with a cap on their peak heap use (and optionally on failed
allocations), and the pool size the heap is built with.  measure() runs
`heapsim --json TRACE` once per selected trace; HeapReport.lines() turns
the results into budget lines that `check` renders like the component
budgets:

    heap: trace packets peak 50,000 B > budget 49,152 B (+848 B, +1.7 %)
    heap: trace fragmentation failures 268 > budget 267 (+1, +0.4 %)
    heap: pool 65,536 B != expected 131,072 B (-65,536 B)

With `symbol`, the size of that symbol in the ELF (the firmware's pool
array) must equal the pool too; that needs no heapsim and is checked
whenever [heap] names it:

    heap: pool symbol heap_pool 65,536 B != expected 131,072 B (-65,536 B)

A heapsim that is missing, fails (exit 1 or 2) or prints something that
is not its JSON is bad input: model.InputError, exit 2.
"""

import subprocess

from ..model import InputError, Record
from .summary import BudgetLine

DEFAULT_HEAPSIM = "build/host/heapsim"

#: Owner of every heap line in verdicts and reports
OWNER = "heap"

#: The statistics heapsim --json must print, all integers
STAT_KEYS = ("ops", "failures", "live", "used", "peak_used", "free",
             "largest_free", "pool")

#: A trace runs in well under a second; a hung simulator must not hang CI
TIMEOUT = 120


class ExactLine(BudgetLine):
    """A size that must equal its budget (the pool), not merely stay below."""

    exact = True

    @property
    def over(self):
        return self.used != self.budget

    def ratio(self):
        """Not a cap: never the tightest budget while it holds."""
        return 0.0 if self.used == self.budget else float("inf")


class CountLine(BudgetLine):
    """A cap on a count (failed allocations), not on bytes."""

    unit = ""


class TraceResult(Record):
    """One trace and what heapsim measured on it."""

    FIELDS = ("trace", "stats")

    def __init__(self, trace, stats):
        self.trace = trace      # budgets.HeapTrace
        self.stats = stats      # heapsim's statistics, None when not run

    def peak_line(self):
        """The peak against its cap, or None when the trace did not run."""
        if self.stats is None:
            return None
        return BudgetLine(OWNER, f"trace {self.trace.name} peak",
                          self.stats["peak_used"], self.trace.peak)

    def failures_line(self):
        """Failed allocations against their cap, or None (not run, no cap)."""
        if self.stats is None or self.trace.failures is None:
            return None
        return CountLine(OWNER, f"trace {self.trace.name} failures",
                         self.stats["failures"], self.trace.failures)

    @property
    def over(self):
        """True when the peak or the failures exceed their cap; None if not run."""
        if self.stats is None:
            return None
        return any(line is not None and line.over
                   for line in (self.peak_line(), self.failures_line()))


class HeapReport(Record):
    """The [heap] budgets and, for the traces run, heapsim's figures."""

    FIELDS = ("pool_budget", "results", "symbol", "symbol_size")

    def __init__(self, pool_budget, results=None, symbol=None, symbol_size=None):
        self.pool_budget = pool_budget  # bytes, or None
        self.results = [] if results is None else results  # TraceResults
        self.symbol = symbol            # the pool's symbol in the ELF
        self.symbol_size = symbol_size  # its size there

    @property
    def pool(self):
        """The pool heapsim reported (the same for every trace), or None."""
        for result in self.results:
            if result.stats is not None:
                return result.stats["pool"]
        return None

    def lines(self):
        """Budget lines for what was measured: pool, then per trace peak, failures."""
        lines = []
        if self.symbol_size is not None:
            lines.append(ExactLine(OWNER, f"pool symbol {self.symbol}",
                                   self.symbol_size, self.pool_budget))
        if self.pool_budget is not None and self.pool is not None:
            lines.append(ExactLine(OWNER, "pool", self.pool, self.pool_budget))
        for result in self.results:
            lines += [line for line in (result.peak_line(), result.failures_line())
                      if line is not None]
        return lines


def select(heap, names, budgets_path):
    """The traces to run: those named, in the order given, or all of them.

    @v heap     budgets.HeapBudget, or None when the file has no [heap]
    @v names    trace names from the command line; empty for all
    @ret list of budgets.HeapTrace
    """
    if heap is None:
        raise InputError(budgets_path, "--heap-trace: the budgets file has no [heap] table")
    if not names:
        return list(heap.traces)
    chosen = []
    for name in names:
        trace = heap.trace(name)
        if trace is None:
            known = ", ".join(t.name for t in heap.traces) or "none"
            raise InputError(budgets_path, f"--heap-trace: no trace '{name}' in "
                             f"[heap.traces] (known: {known})")
        if trace not in chosen:
            chosen.append(trace)
    return chosen


def start_heapsim(heapsim, trace, pool_address=None):
    """Start heapsim --json on one trace; finish_heapsim() collects it.

    @v heapsim       path of the simulator
    @v trace         budgets.HeapTrace
    @v pool_address  the image's pool address, for heapsim --pool-address
                     (aligned requests then leave the firmware's slack), or None
    @ret Popen
    """
    place = [] if pool_address is None else ["--pool-address", hex(pool_address)]
    try:
        return subprocess.Popen([heapsim, "--json", *place, trace.file],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except FileNotFoundError:
        raise InputError(heapsim, "heapsim not found (run `make host`)") from None
    except PermissionError:
        raise InputError(heapsim, "heapsim is not executable") from None


def finish_heapsim(heapsim, trace, proc):
    """Wait for a heapsim of start_heapsim() and return its statistics.

    @ret dict   STAT_KEYS -> int
    """
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise InputError(heapsim, f"trace '{trace.path}': no result after "
                         f"{TIMEOUT} s") from None
    if proc.returncode != 0:
        first = (err.strip().splitlines() or ["(no message)"])[0]
        raise InputError(heapsim, f"exit {proc.returncode} on trace "
                         f"'{trace.path}': {first}")
    import json  # once a trace has run: a check without traces needs none
    try:
        stats = json.loads(out)
    except ValueError:
        stats = None
    if (not isinstance(stats, dict)
            or any(type(stats.get(key)) is not int for key in STAT_KEYS)):
        raise InputError(heapsim, f"trace '{trace.path}': output is not heapsim's "
                         f"JSON statistics ({', '.join(STAT_KEYS)})")
    return stats


def run_heapsim(heapsim, trace, pool_address=None):
    """Run heapsim --json on one trace and return its statistics."""
    return finish_heapsim(heapsim, trace, start_heapsim(heapsim, trace, pool_address))


def symbol_size(heap, image):
    """The size of heap.symbol in the image, or None when [heap] names none.

    A symbol the image lacks, or one name with two different sizes, is
    bad input: the check could not say anything true.
    """
    if heap.symbol is None:
        return None
    sizes = {sym.size for sym in image.symbols if sym.name == heap.symbol}
    if not sizes:
        raise InputError(image.path, f"heap.symbol: no symbol '{heap.symbol}'")
    if len(sizes) > 1:
        raise InputError(image.path, f"heap.symbol: several symbols '{heap.symbol}' "
                         f"of different sizes ({', '.join(map(str, sorted(sizes)))})")
    return sizes.pop()


def pool_address(heap, image):
    """The address of heap.symbol in the image, or None without one address."""
    if heap.symbol is None:
        return None
    addresses = {sym.addr for sym in image.symbols if sym.name == heap.symbol}
    return addresses.pop() if len(addresses) == 1 else None


def measure(heap, names, budgets_path, image, heapsim=DEFAULT_HEAPSIM):
    """Run the selected traces: a HeapReport with every figure.

    The traces run at once, one heapsim each (they share nothing); the
    first failure in trace order is the one reported.  heapsim puts its
    pool where the image's lies, modulo 64 KiB, when [heap] names the
    pool's symbol: a DMA request's alignment slack, and so whether it
    fits, depends on the address.
    """
    traces = select(heap, names, budgets_path)
    address = pool_address(heap, image)
    procs = []
    try:
        for trace in traces:
            procs.append(start_heapsim(heapsim, trace, address))
        results = [TraceResult(trace, finish_heapsim(heapsim, trace, proc))
                   for trace, proc in zip(traces, procs)]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return HeapReport(pool_budget=heap.pool, results=results, symbol=heap.symbol,
                      symbol_size=symbol_size(heap, image))


def unmeasured(heap, image):
    """The [heap] budgets and the pool symbol, for when no trace runs."""
    return HeapReport(pool_budget=heap.pool,
                      results=[TraceResult(trace, None) for trace in heap.traces],
                      symbol=heap.symbol, symbol_size=symbol_size(heap, image))


def for_image(budgets, image, traces=None, heapsim=DEFAULT_HEAPSIM):
    """The [heap] figures of an analysed image.

    @v budgets  budgets.Budgets, or None
    @v traces   trace names to run (empty: all), or None to run none
    @ret HeapReport: measured when traces is not None, else the caps alone;
         None without a [heap] table and without traces
    """
    if traces is not None:
        if budgets is None:
            raise InputError(image.path, "--heap-trace needs a budgets file (-b)")
        return measure(budgets.heap, traces, budgets.path, image, heapsim)
    if budgets is not None and budgets.heap is not None:
        return unmeasured(budgets.heap, image)
    return None
