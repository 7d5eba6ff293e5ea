"""`membudget check`: exit 1 when any budget is exceeded.

run() checks one ELF against one budgets file; run_images() checks several
images, each budgets file naming its own ELF and map ([image] elf, map):
one roll-up table, one exit status.
"""

import os

from ..analysis import heapbudget
from ..model import InputError
from ..read import budgets as budgets_mod
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


def image_of(budgets):
    """(ELF, map or None) a budgets file names in [image]; bad input if missing."""
    if budgets.elf is None:
        raise InputError(budgets.path, "image.elf: not set (checking several images, "
                         "each budgets file names its ELF: [image] elf = \"...\")")
    for key, path in (("elf", budgets.elf), ("map", budgets.map)):
        if path is not None and not os.path.isfile(path):
            raise InputError(budgets.path, f"image.{key}: {path}: no such file")
    return budgets.elf, budgets.map


def run_images(budgets_paths, fmt="text", heap_traces=None,
               heapsim=heapbudget.DEFAULT_HEAPSIM, out=None):
    """Check every image the budgets files name; exit 1 if any budget is exceeded.

    Every input is read and checked before anything is written: bad input
    in any of them is one line and exit 2, for the whole run.
    """
    from ..analysis import rollup  # several images only
    rows = []
    names = {}
    for path in budgets_paths:
        loaded = budgets_mod.load(path)
        elf, map_path = image_of(loaded)
        if loaded.name in names:
            raise InputError(path, f"image.name: '{loaded.name}' is also the name of "
                             f"{names[loaded.name]}'s image")
        names[loaded.name] = path
        report = report_cmd.analyze(elf, path, map_path, heap_traces=heap_traces,
                                    heapsim=heapsim, loaded_budgets=loaded)
        rows.append(rollup.row(loaded.name, elf, path, report))
    rows = rollup.rollup(rows)
    output.write(check.IMAGE_RENDERERS[fmt](rows), out)
    return check.EXIT_OVER if any(row.over() for row in rows) else check.EXIT_OK
