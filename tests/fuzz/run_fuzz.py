"""Run each libFuzzer harness for a while and report execs and findings.

Usage: run_fuzz.py --seconds N [--junit FILE] HARNESS...

Each harness first replays its committed seed corpus
(tests/fuzz/corpus/NAME) and every committed crasher
(tests/fuzz/crashers/NAME, regression tests: they must no longer crash),
then fuzzes; new inputs go to build/fuzz/corpus/NAME, a crash to
build/fuzz/artifacts/NAME/.  Exit 1 if any harness found a failure.
"""

import argparse
import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(harness, seconds):
    """Fuzz one harness; return (ok, stats dict, output tail)."""
    name = harness.name
    work = ROOT / "build/fuzz/corpus" / name
    artifacts = ROOT / "build/fuzz/artifacts" / name
    seeds = ROOT / "tests/fuzz/corpus" / name
    crashers = ROOT / "tests/fuzz/crashers" / name
    for path in (work, artifacts):
        path.mkdir(parents=True, exist_ok=True)
    dirs = [str(d) for d in (work, seeds, crashers) if d.is_dir()]
    cmd = [str(harness), f"-max_total_time={seconds}", "-timeout=10",
           "-print_final_stats=1", f"-artifact_prefix={artifacts}/", *dirs]
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          timeout=seconds + 120)
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", proc.stderr, re.M))
    tail = "\n".join(proc.stderr.splitlines()[-25:])
    return proc.returncode == 0, stats, tail


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--junit", type=pathlib.Path)
    parser.add_argument("harness", nargs="+", type=pathlib.Path)
    args = parser.parse_args()

    suite = ET.Element("testsuite", name="fuzz")
    failed = 0
    for harness in args.harness:
        ok, stats, tail = run(harness, args.seconds)
        execs = int(stats.get("number_of_executed_units", 0))
        rate = int(stats.get("average_exec_per_sec", 0))
        print(f"  fuzz {harness.name:<12} {'ok' if ok else 'FAILED':<6} "
              f"{execs:>10,} execs {rate:>8,} execs/s")
        case = ET.SubElement(suite, "testcase", classname="fuzz",
                             name=harness.name)
        if not ok or execs == 0:
            failed += 1
            print(tail, file=sys.stderr)
            ET.SubElement(case, "failure", message="fuzzer failed").text = tail
    if args.junit:
        ET.ElementTree(suite).write(args.junit, encoding="unicode")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
