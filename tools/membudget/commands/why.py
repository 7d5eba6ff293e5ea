"""`membudget why`: the reference chains that keep a symbol, file or component."""

import os

from ..analysis import pipeline, why as why_mod
from ..model import InputError
from ..render import why as render_why
from . import output

FORMATS = tuple(render_why.RENDERERS)


def default_map(elf):
    """The map beside the ELF (app.elf -> app.map), when there is one."""
    path = os.path.splitext(elf)[0] + ".map"
    return path if os.path.isfile(path) else None


def run(query, elf, budgets=None, map_path=None, objects=(), scripts=(), fmt="text",
        chains=why_mod.DEFAULT_CHAINS, out=None):
    """Print why QUERY is in the image; exit 0, or 2 when it is not there."""
    if map_path is None:
        map_path = default_map(elf)
    # The attribution's warnings are about budgets and sources, not references
    analysis = pipeline.analyze(elf, budgets, map_path, objects)
    graph = analysis.reference_graph(scripts)
    components = [c.name for c in analysis.budgets.components] if analysis.budgets else []
    link = analysis.attribution.link_map
    result = why_mod.why(graph, query, components, link.discarded if link else (), chains)
    if not result.targets:
        raise InputError(query, "not found")
    output.write(render_why.RENDERERS[fmt](result), out)
    return 0
