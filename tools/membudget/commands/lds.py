"""`membudget lds`: the budgets as link-time ASSERTs (and, with --place, the
component placement the linker script includes)."""

import os

from ..analysis import placement as placement_mod
from ..model import CLASSES, InputError
from ..read import budgets as budgets_mod
from ..render import lds
from . import output

DEFAULT_SCRIPT = lds.DEFAULT_SCRIPT
FRAGMENTS = lds.FRAGMENTS


def run(budgets, script=DEFAULT_SCRIPT, out=None, place=None, object_map=()):
    """ASSERTs over the boundary symbols script defines; with place (a
    directory), also write the placement fragments there (FRAGMENTS, one per
    class) from budgets' paths globs under object_map ["SRC=OBJ" strings:
    source prefix, object prefix], and assert over their symbols instead."""
    if object_map and place is None:
        raise InputError("--object-map", "only means something with --place DIR")
    pairs = placement_mod.parse_object_map(object_map) if place is not None else None
    loaded = budgets_mod.load(budgets)
    placed = placement_mod.place(loaded, pairs) if place is not None else None
    try:
        with open(script, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(script, getattr(err, "strerror", None) or str(err)) from None
    asserts = lds.render(loaded, text, script, placed)
    if placed is not None:
        fragments = {cls: lds.render_placement(loaded, placed, cls) for cls in CLASSES}
        if os.path.exists(place) and not os.path.isdir(place):
            raise InputError(place, "not a directory")
        try:
            os.makedirs(place, exist_ok=True)
        except OSError as err:
            raise InputError(place, err.strerror or str(err)) from None
        for cls, fragment in fragments.items():
            output.write(fragment, os.path.join(place, FRAGMENTS[cls]))
    output.write(asserts, out)
    return 0
