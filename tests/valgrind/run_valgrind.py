#!/usr/bin/env python3
"""Run host binaries under valgrind memcheck and write one JUnit testcase each.

Usage: run_valgrind.py [--junit FILE] [--jobs N] CASE...

A CASE is a binary (a cmocka test, run without arguments) or BINARY:INPUT
(a simulator given one input file).  Each runs twice: natively, then under
`valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
--errors-for-leak-kinds=definite`.  A case fails when valgrind reports an
error (exit 99), when either run dies of a signal or a cmocka test fails,
or when valgrind changes what the program prints or its exit status (a
simulator may exit 1 or 2 on purpose: tests/sim/heap/bad_line.trace is
malformed input).  Exit 1 if any case failed.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

VALGRIND = ["valgrind", "--tool=memcheck", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--quiet"]
MEMCHECK_ERROR = 99
#: Per run; memcheck slows these programs down 20-50 times
TIMEOUT = 120


@dataclass
class Result:
    binary: str
    input: str | None
    seconds: float
    failure: str | None     # None: passed


def _run(argv):
    """Run argv; return (status, stdout) with status None on timeout."""
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, b""
    return proc.returncode, proc.stdout


def check(case):
    """Run one case natively and under memcheck; return its Result."""
    binary, _, path = case.partition(":")
    argv = [binary] + ([path] if path else [])
    start = time.monotonic()
    with tempfile.NamedTemporaryFile(prefix="vg.", suffix=".log") as log:
        native, native_out = _run(argv)
        status, out = _run(VALGRIND + [f"--log-file={log.name}"] + argv)
        report = open(log.name, encoding="utf-8", errors="replace").read()
    failure = None
    if status is None or native is None:
        failure = f"no answer within {TIMEOUT} s"
    elif status == MEMCHECK_ERROR:
        failure = "memcheck errors:\n" + report
    elif status < 0 or native < 0:
        failure = f"killed by signal {-min(status, native)}\n{report}"
    elif not path and status != 0:
        failure = f"test failed under valgrind (exit {status})\n{out.decode(errors='replace')}"
    elif (status, out) != (native, native_out):
        failure = (f"valgrind changed the result: exit {native} -> {status}, "
                   f"output {'same' if out == native_out else 'differs'}\n{report}")
    return Result(binary, path or None, time.monotonic() - start, failure)


def junit(results, path):
    """Write results as one JUnit testsuite."""
    suite = ET.Element("testsuite", name="valgrind", tests=str(len(results)),
                       failures=str(sum(r.failure is not None for r in results)),
                       time=f"{sum(r.seconds for r in results):.3f}")
    for r in results:
        name = os.path.basename(r.binary) + (f" {r.input}" if r.input else "")
        case = ET.SubElement(suite, "testcase", classname="valgrind", name=name,
                             time=f"{r.seconds:.3f}")
        if r.failure:
            ET.SubElement(case, "failure", message=r.failure.splitlines()[0]).text = r.failure
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--junit", metavar="FILE", help="write JUnit XML here")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("cases", nargs="+", metavar="CASE")
    args = parser.parse_args()
    start = time.monotonic()
    # Longest first keeps the pool busy to the end
    cases = sorted(args.cases, key=lambda c: -os.path.getsize(c.partition(":")[2] or
                                                              c.partition(":")[0]))
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(check, cases))
    results.sort(key=lambda r: (r.binary, r.input or ""))
    if args.junit:
        junit(results, args.junit)
    failed = [r for r in results if r.failure]
    for r in failed:
        print(f"FAILED: {r.binary} {r.input or ''}: {r.failure}", file=sys.stderr)
    print(f"valgrind: {len(results) - len(failed)} of {len(results)} passed "
          f"in {time.monotonic() - start:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
