"""`membudget report`: sizes per component and class, budgets, sources."""

from ..analysis import heapbudget, pipeline, snapshot
from ..render import csv, html, json, markdown, openmetrics, text
from . import output

RENDERERS = {"text": text.render, "json": json.render, "markdown": markdown.render,
             "csv": csv.render, "html": html.render, "openmetrics": openmetrics.render}
#: Renderers that draw every piece (and name the compilers)
PIECE_FORMATS = {"html"}


def analyze(elf, budgets=None, map_path=None, objects=(), by="component", top=None,
            heap_traces=None, heapsim=heapbudget.DEFAULT_HEAPSIM, pieces=False,
            loaded_budgets=None):
    """Read, attribute and summarise one image: the pipeline.Report.

    @v heap_traces  trace names to run (empty: all), or None to run none
    @v pieces       keep the pieces and compilers (for the HTML page)
    @v loaded_budgets   the budgets file already read, if it was
    """
    analysis = pipeline.analyze(elf, budgets, map_path, objects, budgets=loaded_budgets)
    for path, message in analysis.warnings:
        output.warn(path, message)
    heap = heapbudget.for_image(analysis.budgets, analysis.image, heap_traces, heapsim)
    report = pipeline.Report(analysis.summary(by=by, top=top), heap)
    if pieces:
        report.pieces = analysis.attribution.pieces
        report.compilers = snapshot.compilers(analysis.image)
    return report


def run(elf, budgets=None, map_path=None, objects=(), by="component", fmt="text",
        top=None, heap_traces=None, heapsim=heapbudget.DEFAULT_HEAPSIM, out=None):
    """Print or write the report; exit status 0."""
    report = analyze(elf, budgets, map_path, objects, by, top, heap_traces, heapsim,
                     pieces=fmt in PIECE_FORMATS)
    output.write(RENDERERS[fmt](report), out)
    return 0
