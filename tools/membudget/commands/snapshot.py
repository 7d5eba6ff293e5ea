"""`membudget snapshot`: the report JSON plus provenance and every symbol."""

import json as jsonlib
from json.encoder import encode_basestring_ascii

from ..analysis import pipeline, snapshot
from ..read import snapshot as snapshot_file
from ..render import json
from . import output
from .report import stack_of

#: One symbol row as json.dumps(indent=1) lays it out in the "symbols" array
ROW_TEXT = ('  {\n   "name": %s,\n   "file": %s,\n   "owner": %s,\n   "class": %s,\n'
       '   "size": %d\n  }')


def build(elf, budgets=None, map_path=None, objects=(), loaded_budgets=None, stack=()):
    """Analyse one ELF into its snapshot document (with [stack]: its bounds)."""
    analysis = pipeline.analyze(elf, budgets, map_path, objects, budgets=loaded_budgets)
    for path, message in analysis.warnings:
        output.warn(path, message)
    report = pipeline.Report(analysis.summary(), stack=stack_of(analysis, objects, stack))
    report_doc = json.document(report)
    origin = snapshot.provenance(analysis.image, analysis.budgets_path)
    pieces = analysis.attribution.pieces
    # The image's symbols, its link map and the rest are as large as the
    # rows about to be built: freed first, diff's peak drops by 20 MB
    del analysis, report
    return snapshot.document(report_doc, origin, pieces)


def side(path, budgets=None, map_path=None, objects=(), loaded_budgets=None):
    """An ELF (analysed now) or a snapshot file (read back): a snapshot document.

    What the file is, its first bytes decide, not its name.
    """
    if not snapshot_file.is_elf(path):
        return snapshot_file.load(path)
    return build(path, budgets, map_path, objects, loaded_budgets)


def text(doc):
    """The snapshot document as JSON text, laid out as json.dumps(indent=1)
    would the same document with its symbol rows as objects.

    The rows are formatted here, not by json's encoder: with an indent it
    runs in Python, and 100k rows took it 0.5 s.
    """
    rest = {key: value for key, value in doc.items() if key != "symbols"}
    head = jsonlib.dumps(rest, indent=1)
    if "symbols" not in doc:
        return head + "\n"
    if not doc["symbols"]:
        rows = "[]"
    else:
        # owners, classes and files repeat: each encoded once
        seen = {None: "null"}

        def enc(value):
            out = seen.get(value)
            if out is None:
                out = seen[value] = encode_basestring_ascii(value)
            return out

        rows = "[\n" + ",\n".join([
            ROW_TEXT % ("null" if name is None else encode_basestring_ascii(name),
                   enc(file), enc(owner), enc(cls), size)
            for name, file, owner, cls, size in doc["symbols"]]) + "\n ]"
    # the symbols last, as document() puts them
    return (head[:-2] + ",\n" if rest else "{\n") + f' "symbols": {rows}\n}}\n'


def run(elf, budgets=None, map_path=None, objects=(), out=None, stack=()):
    doc = build(elf, budgets, map_path, objects, stack=stack)
    output.write(text(doc), out)
    return 0
