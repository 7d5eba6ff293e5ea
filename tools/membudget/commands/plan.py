"""`membudget plan`: would a planned change fit the budgets?  Exit 1 if not."""

from ..analysis import graph, pipeline, plan
from ..model import InputError
from ..analysis.summary import Sizes
from ..read import ldscript
from ..render import plan as render_plan
from . import output

EXIT_FITS = 0
EXIT_BREAKS = 1
FORMATS = tuple(render_plan.RENDERERS)


def _keep_globs(analysis, scripts):
    """(file glob, [section globs]) of the link's KEEP()s, or ld's defaults."""
    paths = list(analysis.budgets.graph.scripts) + [str(s) for s in scripts]
    patterns = [p for path in dict.fromkeys(paths) for p in ldscript.read_script(path).keep]
    if not paths:
        return [("*", list(ldscript.DEFAULT_KEEP))]
    return [g for g in map(ldscript.pattern_globs, patterns) if g]


def run(elf, budgets, map_path=None, objects=(), add=(), add_object=(), remove=(),
        fmt="text", out=None, remove_symbol=(), scripts=()):
    """Apply --add, --add-object, --remove and --remove-symbol to the image's sizes."""
    changes = [plan.parse_add(spec) for spec in add]
    if not (add or add_object or remove or remove_symbol):
        raise InputError(budgets, "nothing to plan: give --add, --add-object, "
                         "--remove or --remove-symbol")
    analysis = pipeline.analyze(elf, budgets, map_path, objects)
    for path, message in analysis.warnings:
        output.warn(path, message)
    sections = [s.name for s in analysis.image.allocated()]
    changes += [plan.parse_object(spec, sections) for spec in add_object]
    changes += [plan.Change(name, Sizes(), f"--remove {name}", remove=True)
                for name in remove]
    changes += [plan.Change(name, Sizes(), f"--remove-symbol {name}", remove=True,
                            symbol=name) for name in remove_symbol]
    summary = analysis.summary()
    unresolved, source, unavailable = [], None, None
    try:
        ref_graph = analysis.reference_graph(scripts)
    except graph.GraphUnavailable as err:
        if remove_symbol:
            raise
        unavailable = f"{err.path}: {err}"
    else:
        source = f"{ref_graph.source}, {ref_graph.detail}"
        unresolved = plan.simulate(ref_graph, summary, changes,
                                   _keep_globs(analysis, scripts),
                                   analysis.budgets.graph.roots)
    result = plan.plan(summary, changes)
    result.graph, result.graph_unavailable, result.unresolved = source, unavailable, unresolved
    output.write(render_plan.RENDERERS[fmt](result), out)
    return EXIT_BREAKS if result.broken() else EXIT_FITS
