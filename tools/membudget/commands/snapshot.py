"""`membudget snapshot`: the report JSON plus provenance and every symbol."""

import json as jsonlib

from ..analysis import pipeline, snapshot
from ..read import snapshot as snapshot_file
from ..render import json
from . import output
from .report import stack_of


def build(elf, budgets=None, map_path=None, objects=(), loaded_budgets=None, stack=()):
    """Analyse one ELF into its snapshot document (with [stack]: its bounds)."""
    analysis = pipeline.analyze(elf, budgets, map_path, objects, budgets=loaded_budgets)
    for path, message in analysis.warnings:
        output.warn(path, message)
    report = pipeline.Report(analysis.summary(), stack=stack_of(analysis, objects, stack))
    return snapshot.document(json.document(report), analysis)


def side(path, budgets=None, map_path=None, objects=(), loaded_budgets=None):
    """An ELF (analysed now) or a snapshot file (read back): a snapshot document.

    What the file is, its first bytes decide, not its name.
    """
    if not snapshot_file.is_elf(path):
        return snapshot_file.load(path)
    return build(path, budgets, map_path, objects, loaded_budgets)


def run(elf, budgets=None, map_path=None, objects=(), out=None, stack=()):
    doc = build(elf, budgets, map_path, objects, stack=stack)
    output.write(jsonlib.dumps(doc, indent=1) + "\n", out)
    return 0
