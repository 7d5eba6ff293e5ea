"""Every committed mutant still applies to the sources (make test's guard).

make mutants is too slow for make test, so a source change that leaves a
patch behind would go unnoticed until the next mutation run; this checks
each patch with `patch --dry-run` against the work tree, in a second.
"""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PATCHES = sorted((ROOT / "tests" / "mutants").glob("*.patch"))


def test_there_are_mutants():
    assert len(PATCHES) >= 20


@pytest.mark.parametrize("patch", PATCHES, ids=lambda p: p.stem)
def test_mutant_applies(patch):
    with open(patch, "rb") as f:
        proc = subprocess.run(["patch", "-p1", "--dry-run", "-s", "-f"],
                              cwd=ROOT, stdin=f, capture_output=True)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
