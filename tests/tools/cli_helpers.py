"""What the end-to-end tests share: run the launcher, check the one-line
bad-input contract, write a budgets file.

    proc = run("check", elf, "-b", write_budgets(tmp_path, HEAP_AND_OTHER))
    assert_bad_input(proc, "components.heap")

(The firmware-like fixture ELF they share is conftest.py's `fw` fixture.)
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "tools" / "membudget"

#: A budgets file with one component, heap (the fixtures' heap.c), and the
#: catch-all other; no caps.  Fields: {root}.
HEAP_AND_OTHER = """
[image]
name = "fixture"
root = "{root}"

[components.heap]
paths = ["tests/tools/fixtures/heap.c"]

[components.other]
catch_all = true
"""


def run(*args, python=sys.executable, env=None, cwd=ROOT):
    """Run `membudget ARGS...` through the launcher; the CompletedProcess (text)."""
    return subprocess.run([python, str(LAUNCHER), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def assert_bad_input(proc, *fragments):
    """Exit 2, exactly one `membudget: ` line on stderr holding every fragment,
    no traceback and nothing on stdout."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("membudget: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert proc.stdout == ""


def write_budgets(tmp_path, text, name="b.toml", **fields):
    """Write text.format(root=ROOT, **fields) to tmp_path/name; returns the path."""
    path = tmp_path / name
    path.write_text(text.format(root=ROOT, **fields))
    return path
