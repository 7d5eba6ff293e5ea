"""`membudget history`: sizes over snapshots, budget lines, trend estimates."""

from ..analysis import history
from ..render import history as render_history
from . import output

FORMATS = tuple(render_history.RENDERERS)


def run(snapshots, fmt="html", out=None):
    result = history.load(snapshots, output.warn)
    output.write(render_history.RENDERERS[fmt](result), out)
    return 0
