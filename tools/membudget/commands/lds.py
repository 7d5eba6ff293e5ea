"""`membudget lds`: the budgets as link-time ASSERTs (and, with --place, the
component placement the linker script includes)."""

from ..model import InputError
from ..read import budgets as budgets_mod
from ..render import lds
from . import output

DEFAULT_SCRIPT = lds.DEFAULT_SCRIPT


def run(budgets, script=DEFAULT_SCRIPT, out=None):
    """ASSERTs over the boundary symbols script defines."""
    loaded = budgets_mod.load(budgets)
    try:
        with open(script, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(script, getattr(err, "strerror", None) or str(err)) from None
    output.write(lds.render(loaded, text, script), out)
    return 0
