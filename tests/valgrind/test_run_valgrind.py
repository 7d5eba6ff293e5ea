"""Tests for run_valgrind.py: it must fail what memcheck catches, and only that.

Small C programs compiled here play the test binaries and simulators:
one clean, one with an invalid read, one that loses a block, one that
exits 2 on purpose (a simulator given malformed input).
"""

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parent / "run_valgrind.py"

PROGRAMS = {
    "clean": "int main(void) { char *p = malloc(8); p[0] = 1; free(p); puts(\"ok\"); "
             "return 0; }",
    "overread": "int main(void) { char *p = malloc(4); int v = p[4]; free(p); "
                "printf(\"%d\\n\", v != 0); return 0; }",
    "leak": "char *keep; int main(void) { keep = malloc(16); keep = 0; return 0; }",
    "malformed": "int main(int argc, char **argv) { FILE *f = fopen(argv[1], \"r\"); "
                 "if (f) fclose(f); fputs(\"line 1: bad\\n\", stderr); return 2; }",
}


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    if shutil.which("valgrind") is None:
        pytest.skip("valgrind not installed")
    work = tmp_path_factory.mktemp("vg")
    built = {}
    for name, body in PROGRAMS.items():
        src = work / f"{name}.c"
        src.write_text("#include <stdio.h>\n#include <stdlib.h>\n" + body + "\n")
        subprocess.run(["gcc", "-O0", "-g", "-o", str(work / name), str(src)], check=True)
        built[name] = work / name
    (work / "input.txt").write_text("x\n")
    built["input"] = work / "input.txt"
    return built


def run(tmp_path, *cases):
    """Run the runner; return (exit status, {testcase name: failure text or None})."""
    junit = tmp_path / "vg.xml"
    proc = subprocess.run([sys.executable, str(RUNNER), "--junit", str(junit), *map(str, cases)],
                          capture_output=True, text=True, timeout=300)
    results = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        failure = case.find("failure")
        results[case.get("name")] = None if failure is None else failure.text
    return proc.returncode, results


def test_clean_and_deliberate_exit_pass(tmp_path, programs):
    malformed = f"{programs['malformed']}:{programs['input']}"
    status, results = run(tmp_path, programs["clean"], malformed)
    assert status == 0
    assert list(results.values()) == [None, None]


def test_invalid_read_fails(tmp_path, programs):
    status, results = run(tmp_path, programs["overread"])
    assert status == 1
    assert "Invalid read" in results["overread"]


def test_definite_leak_fails(tmp_path, programs):
    status, results = run(tmp_path, programs["leak"], programs["clean"])
    assert status == 1
    assert "definitely lost" in results["leak"]
    assert results["clean"] is None
