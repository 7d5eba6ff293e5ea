"""Launcher: `python3 tools/membudget ARGS` or `python3 -m membudget ARGS`.

membudget needs nothing beyond the standard library of Python 3.11 or
later (tomllib).  When the python3 that runs this is older, the launcher
re-executes the same command, once, under $MEMBUDGET_PYTHON if set, else
/usr/bin/python3.  Run as a directory, it puts tools/ on the import path
so the package imports as `membudget`.  (The installed `membudget` command
of pyproject.toml calls cli.console_main directly.)
"""

import os
import sys

FALLBACK_PYTHON = "/usr/bin/python3"
REEXEC_MARK = "MEMBUDGET_REEXEC"

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _use_package_path():
    """Import from tools/, not from inside the package directory."""
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != PACKAGE_DIR]
    sys.path.insert(0, os.path.dirname(PACKAGE_DIR))


def _need_python():
    """Make sure this interpreter has tomllib (Python 3.11+), or re-exec."""
    try:
        import tomllib  # noqa: F401
        return
    except ImportError as err:
        missing = err.name or "tomllib"
    import shutil  # only here: every run would pay for its import
    fallback = shutil.which(os.environ.get("MEMBUDGET_PYTHON") or FALLBACK_PYTHON)
    # The mark stops a loop when the fallback cannot import it either
    if fallback and not os.environ.get(REEXEC_MARK):
        os.environ[REEXEC_MARK] = "1"
        os.execv(fallback, [fallback, PACKAGE_DIR, *sys.argv[1:]])
    print(f"membudget: {sys.executable}: cannot import {missing}; membudget needs "
          "Python 3.11 or later: set MEMBUDGET_PYTHON to one",
          file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    _use_package_path()
    _need_python()
    try:
        from membudget.cli import main
    except Exception as err:  # noqa: BLE001 - a broken install: one line, no traceback
        print(f"membudget: internal error: {type(err).__name__}: {err}", file=sys.stderr)
        sys.exit(2)
    sys.exit(main())
