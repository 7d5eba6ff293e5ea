#!/usr/bin/env python3
"""Apply each committed source mutant and check that the tests kill it.

Usage: run_mutants.py [--keep] [--timeout S] [PATCH...]

Copies the work tree (less what git ignores) to a temporary directory, checks
that the unmutated copy passes, then for each patch (default: every
tests/mutants/*.patch, in name order): applies it with `patch -p1`, runs
`make test-c` (the cmocka unit tests) and, only if they pass,
`make boot-test`, and reverts it.  A mutant is killed when either fails
(a build failure or a timeout counts, and says so); it survives when
both pass.  Builds are incremental: only what a patch touches rebuilds.
Exit status 0 if every mutant was killed, 1 otherwise, 2 on bad usage
or when the unmutated copy fails.
"""

import argparse
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITES = ("test-c", "boot-test")


def copy_tree(dest):
    """Copy the work tree as it is on disk, less what git ignores."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True).stdout.split(b"\0")
    for name in files:
        if not name:
            continue
        src = os.path.join(ROOT, os.fsdecode(name))
        dst = os.path.join(dest, os.fsdecode(name))
        if not os.path.exists(src):
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)


def run_suite(tree, suite, timeout):
    """Run one make target; return (passed, how it ended)."""
    # A session of its own, so a timeout ends the test that hangs too
    proc = subprocess.Popen(["make", "--no-print-directory", suite],
                            cwd=tree, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return False, "timeout"
    if proc.returncode == 0:
        return True, "passed"
    text = out.decode(errors="replace")
    if "error:" in text and ("CC" in text or "LD" in text):
        # A compile or link error still kills, but say which
        for line in text.splitlines():
            if "error" in line and ("firmware/" in line or "ld:" in line):
                return False, "build: " + line.strip()[:100]
    return False, "failed"


def patch(tree, path, reverse=False):
    args = ["patch", "-p1", "-s", "--no-backup-if-mismatch"]
    if reverse:
        args.append("-R")
    with open(path, "rb") as f:
        proc = subprocess.run(args, cwd=tree, stdin=f,
                              capture_output=True)
    return proc.returncode == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("patches", nargs="*")
    ap.add_argument("--timeout", type=float, default=180,
                    help="seconds per make run (default 180: a mutant that "
                    "makes a test loop forever is killed by the timeout)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary copy")
    args = ap.parse_args()
    patches = args.patches or sorted(
        glob.glob(os.path.join(ROOT, "tests", "mutants", "*.patch")))
    if not patches:
        print("mutants: no patches", file=sys.stderr)
        return 2

    tree = tempfile.mkdtemp(prefix="mutants-")
    try:
        copy_tree(tree)
        for suite in SUITES:
            ok, how = run_suite(tree, suite, args.timeout)
            if not ok:
                print(f"mutants: unmutated copy fails {suite} ({how})",
                      file=sys.stderr)
                return 2

        survivors = []
        for path in patches:
            name = os.path.basename(path)[:-len(".patch")]
            if not patch(tree, path):
                print(f"mutants: {name}: does not apply", file=sys.stderr)
                survivors.append(name)
                continue
            start = time.monotonic()
            verdict = "SURVIVED"
            for suite in SUITES:
                ok, how = run_suite(tree, suite, args.timeout)
                if not ok:
                    verdict = f"killed by {suite} ({how})"
                    break
            print(f"{name:40} {verdict}  {time.monotonic() - start:.0f} s",
                  flush=True)
            if verdict == "SURVIVED":
                survivors.append(name)
            if not patch(tree, path, reverse=True):
                print(f"mutants: {name}: does not revert", file=sys.stderr)
                return 2
            # Reverting restores the text; make must see it as new
            for line in open(path):
                if line.startswith("+++ b/"):
                    os.utime(os.path.join(tree, line[6:].strip()))

        total = len(patches)
        print(f"mutants: {total - len(survivors)} killed / {total}"
              + (f"; survived: {', '.join(survivors)}" if survivors else ""))
        return 1 if survivors else 0
    finally:
        if args.keep:
            print(f"mutants: copy kept in {tree}")
        else:
            shutil.rmtree(tree, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
