"""`membudget report`: sizes per component and class, budgets, sources.

Several formats at once (`--format json,markdown,html -o DIR`) come from
one analysis: the image is read and attributed once, and each format is
written to DIR under the name FILES gives it.
"""

import importlib
import os

from ..analysis import heapbudget, pipeline, stack as stack_mod
from ..model import InputError
from . import output

#: Each format's renderer, as (module of render/, function): imported only
#: when the format is asked for, so a run pays for the renderers it uses
RENDERERS = {"text": ("text", "render"), "json": ("json", "render"),
             "markdown": ("markdown", "render"), "csv": ("csv", "render"),
             "html": ("html", "render"), "openmetrics": ("openmetrics", "render"),
             "junit": ("check", "render_junit"), "github": ("check", "render_github")}
#: Where each format goes in a directory of outputs
FILES = {"text": "report.txt", "json": "report.json", "markdown": "report.md",
         "csv": "report.csv", "html": "report.html", "openmetrics": "metrics.txt",
         "junit": "check.xml", "github": "check-github.txt"}
#: Renderers that draw every piece (and name the compilers)
PIECE_FORMATS = {"html"}


def renderer(fmt):
    """The function that renders a report in format fmt (a RENDERERS key)."""
    module, function = RENDERERS[fmt]
    return getattr(importlib.import_module(f"..render.{module}", __package__), function)


def stack_of(analysis, objects=(), stack=(), stack_measured=None):
    """The [stack] figures of an analysed image (None without [stack])."""
    found = stack_mod.for_image(analysis.budgets, analysis.image, stack, objects,
                                analysis.attribution.link_map, stack_measured)
    for message in (found.warnings if found else []):
        output.warn(analysis.budgets_path, message)
    return found


def analyze(elf, budgets=None, map_path=None, objects=(), by="component", top=None,
            heap_traces=None, heapsim=heapbudget.DEFAULT_HEAPSIM, pieces=False,
            loaded_budgets=None, stack=(), stack_measured=None, scripts=()):
    """Read, attribute and summarise one image: the pipeline.Report.

    @v heap_traces  trace names to run (empty: all), or None to run none
    @v pieces       keep the pieces and compilers (for the HTML page)
    @v loaded_budgets   the budgets file already read, if it was
    @v stack        .su/.ci directories, files or globs (none: beside the objects)
    @v stack_measured  the boot test's high-water marks (JSON), if any
    @v scripts      the link's linker scripts (KEEP), for retained sizes
    """
    analysis = pipeline.analyze(elf, budgets, map_path, objects, budgets=loaded_budgets)
    for path, message in analysis.warnings:
        output.warn(path, message)
    heap = heapbudget.for_image(analysis.budgets, analysis.image, heap_traces, heapsim)
    # Retained sizes come with the symbol table: the graph is read only then
    summary = analysis.summary(by=by, top=top, retained=by == "symbol", scripts=scripts)
    report = pipeline.Report(summary, heap,
                             stack=stack_of(analysis, objects, stack, stack_measured))
    if pieces:
        from ..analysis import snapshot  # only the HTML page names the compilers
        report.pieces = analysis.attribution.pieces
        report.compilers = snapshot.compilers(analysis.image)
    return report


def run(elf, budgets=None, map_path=None, objects=(), by="component", fmt="text",
        top=None, heap_traces=None, heapsim=heapbudget.DEFAULT_HEAPSIM, out=None,
        stack=(), stack_measured=None, scripts=()):
    """Print or write the report in one format, or in several into a directory.

    @v fmt      a format, or several separated by commas (then out is a
                directory, created if its parent exists)
    @ret 0
    """
    formats = list(dict.fromkeys(f.strip() for f in fmt.split(",")))
    if len(formats) > 1 and (out is None or out == output.STDOUT):
        raise InputError("--format", f"{fmt}: several formats need -o DIR (one file each)")
    if len(formats) > 1 and os.path.exists(out) and not os.path.isdir(out):
        raise InputError(out, "several formats need a directory, this is a file")
    report = analyze(elf, budgets, map_path, objects, by, top, heap_traces, heapsim,
                     pieces=bool(PIECE_FORMATS.intersection(formats)), stack=stack,
                     stack_measured=stack_measured, scripts=scripts)
    texts = {f: renderer(f)(report) for f in formats}
    if len(formats) == 1:
        output.write(texts[formats[0]], out)
        return 0
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as err:
        raise InputError(out, err.strerror or str(err)) from None
    for f, body in texts.items():
        output.write(body, os.path.join(out, FILES[f]))
    return 0
