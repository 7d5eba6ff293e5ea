"""`membudget diff BASE HEAD`: what a change costs; exit 1 over a creep cap."""

import os

from ..analysis import diff
from ..read import budgets as budgets_mod, snapshot as snapshot_file
from ..render import diff as render_diff
from . import output, snapshot

EXIT_OK = 0
EXIT_CREEP = 1
FORMATS = tuple(render_diff.RENDERERS)


def default_map(path):
    """The link map beside an ELF (build/firmware.map for build/firmware.elf)."""
    candidate = os.path.splitext(path)[0] + ".map"
    return candidate if os.path.isfile(candidate) else None


def _budgets_named_by(docs):
    """The budgets file a snapshot was made with, if it is still there."""
    for doc in docs:
        path = (doc.get("budgets") or {}).get("path")
        if isinstance(path, str) and os.path.isfile(path):
            return path
    return None


def compare(base, head, budgets=None, base_map=None, head_map=None, objects=(),
            min_delta=0, min_percent=0.0):
    """Both sides as snapshot documents, compared: a diff.Diff.

    An ELF side is analysed with the budgets file (by default the one a
    snapshot side names) and its map (by default the .map beside it).
    """
    sides = {"base": (base, base_map), "head": (head, head_map)}
    docs = {key: snapshot_file.load(path) for key, (path, _) in sides.items()
            if not snapshot_file.is_elf(path)}
    if budgets is None:
        # Attribute an ELF the way the snapshot it is compared with was
        budgets = _budgets_named_by(docs.values())
    loaded = budgets_mod.load(budgets) if budgets else None
    for key, (path, map_path) in sides.items():
        if key not in docs:
            docs[key] = snapshot.build(path, budgets, map_path or default_map(path),
                                       objects, loaded_budgets=loaded)
    result = diff.compare(docs["base"], docs["head"], loaded, min_delta, min_percent,
                          base_label=base, head_label=head)
    result.budgets_path = budgets
    return result


def run(base, head, budgets=None, base_map=None, head_map=None, objects=(),
        fmt="text", min_delta=0, min_percent=0.0, out=None):
    result = compare(base, head, budgets, base_map, head_map, objects, min_delta,
                     min_percent)
    output.write(render_diff.RENDERERS[fmt](result), out)
    return EXIT_CREEP if result.creep_over() else EXIT_OK
