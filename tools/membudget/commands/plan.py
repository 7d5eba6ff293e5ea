"""`membudget plan`: would a planned change fit the budgets?  Exit 1 if not."""

from ..analysis import pipeline, plan
from ..model import InputError
from ..analysis.summary import Sizes
from ..render import plan as render_plan
from . import output

EXIT_FITS = 0
EXIT_BREAKS = 1
FORMATS = tuple(render_plan.RENDERERS)


def run(elf, budgets, map_path=None, objects=(), add=(), add_object=(), remove=(),
        fmt="text", out=None):
    """Apply --add, --add-object and --remove to the image's sizes."""
    changes = [plan.parse_add(spec) for spec in add]
    if not (add or add_object or remove):
        raise InputError(budgets, "nothing to plan: give --add, --add-object "
                         "or --remove")
    analysis = pipeline.analyze(elf, budgets, map_path, objects)
    for path, message in analysis.warnings:
        output.warn(path, message)
    sections = [s.name for s in analysis.image.allocated()]
    changes += [plan.parse_object(spec, sections) for spec in add_object]
    changes += [plan.Change(name, Sizes(), f"--remove {name}", remove=True)
                for name in remove]
    result = plan.plan(analysis.summary(), changes)
    output.write(render_plan.RENDERERS[fmt](result), out)
    return EXIT_BREAKS if result.broken() else EXIT_FITS
