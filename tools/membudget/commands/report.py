"""`membudget report`: sizes per component and class, budgets, sources."""

from ..analysis import heapbudget, pipeline, snapshot, stack as stack_mod
from ..render import csv, html, json, markdown, text
from . import output

RENDERERS = {"text": text.render, "json": json.render, "markdown": markdown.render,
             "csv": csv.render, "html": html.render}
#: Renderers that draw every piece (and name the compilers)
PIECE_FORMATS = {"html"}


def stack_of(analysis, objects=(), stack=(), stack_measured=None):
    """The [stack] figures of an analysed image (None without [stack])."""
    found = stack_mod.for_image(analysis.budgets, analysis.image, stack, objects,
                                analysis.attribution.link_map, stack_measured)
    for message in (found.warnings if found else []):
        output.warn(analysis.budgets_path, message)
    return found


def analyze(elf, budgets=None, map_path=None, objects=(), by="component", top=None,
            heap_traces=None, heapsim=heapbudget.DEFAULT_HEAPSIM, pieces=False,
            stack=(), stack_measured=None):
    """Read, attribute and summarise one image: the pipeline.Report.

    @v heap_traces  trace names to run (empty: all), or None to run none
    @v pieces       keep the pieces and compilers (for the HTML page)
    @v stack        .su/.ci directories, files or globs (none: beside the objects)
    @v stack_measured  the boot test's high-water marks (JSON), if any
    """
    analysis = pipeline.analyze(elf, budgets, map_path, objects)
    for path, message in analysis.warnings:
        output.warn(path, message)
    heap = heapbudget.for_image(analysis.budgets, analysis.image, heap_traces, heapsim)
    report = pipeline.Report(analysis.summary(by=by, top=top), heap,
                             stack=stack_of(analysis, objects, stack, stack_measured))
    if pieces:
        report.pieces = analysis.attribution.pieces
        report.compilers = snapshot.compilers(analysis.image)
    return report


def run(elf, budgets=None, map_path=None, objects=(), by="component", fmt="text",
        top=None, heap_traces=None, heapsim=heapbudget.DEFAULT_HEAPSIM, out=None,
        stack=(), stack_measured=None):
    """Print or write the report; exit status 0."""
    report = analyze(elf, budgets, map_path, objects, by, top, heap_traces, heapsim,
                     pieces=fmt in PIECE_FORMATS, stack=stack,
                     stack_measured=stack_measured)
    output.write(RENDERERS[fmt](report), out)
    return 0
