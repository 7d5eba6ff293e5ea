"""The one way from input files to an attributed image: read once, analyse.

analyze() reads the budgets file and the ELF (once: every later consumer
gets the parsed Image, its bytes included), attributes every byte, and
returns an Analysis that commands summarise, snapshot, diff or plan.
Warnings are collected as (file, message) pairs, for the command line to
print; nothing here prints or writes.
"""

import fnmatch
import os

from ..model import ComponentDef, InputError, Record
from ..read import budgets as budgets_mod, elf
from . import attribute, summary as summary_mod

#: The one component of a report without a budgets file
NO_BUDGETS_COMPONENT = "all"


class Analysis(Record):
    """An image attributed against its budgets (or against one catch-all)."""

    FIELDS = ("image", "budgets", "attribution", "warnings", "map_path", "objects")

    def __init__(self, image, budgets, attribution, warnings=None, map_path=None,
                 objects=()):
        self.image = image                  # model.Image
        self.budgets = budgets              # budgets.Budgets, or None
        self.attribution = attribution      # model.Attribution
        self.warnings = [] if warnings is None else warnings    # (file, message)
        self.map_path = map_path
        self.objects = objects
        self._graph = None

    @property
    def budgets_path(self):
        return self.budgets.path if self.budgets else None

    def reference_graph(self, scripts=()):
        """The reference graph (analysis/graph.py), built once.

        @v scripts  linker scripts (--script) besides the budgets' [graph] scripts
        @raises GraphUnavailable  no source for it (a one-line reason)
        """
        if self._graph is None:
            # Imported here: only retained sizes, why and plan need the graph
            from ..read import ldscript
            from . import graph as graph_mod
            config = self.budgets.graph if self.budgets else budgets_mod.GraphConfig()
            paths = list(dict.fromkeys(list(config.scripts) + [str(s) for s in scripts]))
            self._graph = graph_mod.build(
                self.attribution, self.map_path, self.objects,
                [ldscript.read_script(p) for p in paths], config.roots)
        return self._graph

    def summary(self, by="component", top=None, retained=False, scripts=()):
        """The tables every report prints (summary.summarize).

        @v retained     add retained sizes (symbols, components) when a
                        reference graph can be built; else say why not
        """
        retention = unavailable = None
        if retained:
            from . import graph as graph_mod
            try:
                retention = graph_mod.Retention(self.reference_graph(scripts),
                                                self.attribution)
            except InputError as err:
                # A graph the inputs cannot give (or a malformed relocation
                # table) costs the retained sizes, not the report
                unavailable = f"{err.path}: {err}"
        with elf.gc_paused():
            return summary_mod.summarize(self.attribution, self.budgets, by=by, top=top,
                                         retention=retention, graph_unavailable=unavailable)


class Report(Record):
    """What a report renderer draws: every renderer takes one of these.

    summary is always there; heap when the budgets have a [heap] table or
    traces ran; stack when they have a [stack] table; pieces and compilers
    for renderers that draw every piece (the HTML treemap) and the image's
    provenance.
    """

    FIELDS = ("summary", "heap", "pieces", "compilers", "stack")

    def __init__(self, summary, heap=None, pieces=None, compilers=None, stack=None):
        self.summary = summary          # summary.Summary
        self.heap = heap                # heapbudget.HeapReport, or None
        self.pieces = pieces
        self.compilers = compilers      # None: not read
        self.stack = stack              # stack.StackReport with [stack]

    def budget_lines(self):
        """Every budget verdict: components, image caps, the heap's, the stack's."""
        return (self.summary.budget_lines() + (self.heap.lines() if self.heap else [])
                + (self.stack.lines() if self.stack else []))


def _glob_warnings(budgets, image):
    """Symbol and section globs that match nothing in the image."""
    names = {"symbols": {s.name for s in image.symbols},
             "sections": {s.name for s in image.sections}}
    found = []
    for comp in budgets.components:
        for kind in ("symbols", "sections"):
            for glob in getattr(comp, kind):
                if not any(fnmatch.fnmatchcase(name, glob) for name in names[kind]):
                    found.append(f"components.{comp.name}: {kind[:-1]} glob '{glob}' "
                                 f"matches nothing in {image.path}")
    return found


def analyze(elf_path, budgets_path=None, map_path=None, objects=(), budgets=None):
    """Read the budgets and the ELF once; attribute every byte.

    @v elf_path         the linked image
    @v budgets_path     budgets file (TOML), or None: one catch-all component
    @v map_path         the link's map file, or None
    @v objects          object files of the link (strings, globals)
    @v budgets          budgets already loaded (diff reads them once for two sides)
    @ret Analysis
    @raises InputError  any unreadable or malformed input
    """
    if budgets is None and budgets_path:
        budgets = budgets_mod.load(budgets_path)
    image = elf.read_image(elf_path)
    warnings = []
    if budgets:
        components, root = budgets.components, budgets.root
        # The summary lists the budgets file's warnings: these are its too
        budgets.warnings += [w for w in _glob_warnings(budgets, image)
                             if w not in budgets.warnings]
        warnings += [(budgets.path, w) for w in budgets.warnings]
    else:
        # No budgets: one catch-all, so the report still shows what every
        # source can say about the image
        components = [ComponentDef(NO_BUDGETS_COMPONENT, catch_all=True)]
        root = os.getcwd()
    attribution = attribute.attribute(image, components, map_path=map_path,
                                      objects=list(objects) or None, project_root=root)
    warnings += [(image.path, w) for w in attribution.warnings]
    return Analysis(image, budgets, attribution, warnings, map_path=map_path,
                    objects=tuple(str(o) for o in objects))
