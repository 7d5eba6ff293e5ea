"""`membudget check`: exit 1 when any budget is exceeded."""

from ..analysis import heapbudget
from ..render import check
from . import output, report as report_cmd

FORMATS = tuple(check.RENDERERS)


def run(elf, budgets, map_path=None, objects=(), fmt="text", heap_traces=None,
        heapsim=heapbudget.DEFAULT_HEAPSIM, out=None, stack=()):
    """Check every budget; the verdict is written even when one is exceeded.

    Traces run only when asked for (heap_traces not None): they take time;
    the pool symbol, when [heap] names one, is always checked.
    """
    report = report_cmd.analyze(elf, budgets, map_path, objects,
                                heap_traces=heap_traces, heapsim=heapsim, stack=stack)
    output.write(check.RENDERERS[fmt](report), out)
    return check.exit_status(report)
