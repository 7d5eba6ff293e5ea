"""Print one summary line over every JUnit XML file a test suite wrote.

Usage: summary.py RESULTS_DIR.  Exit 1 if anything failed or nothing ran.
"""

import pathlib
import sys
import xml.etree.ElementTree as ET


def count(path):
    """Return (passed, failed, skipped, failed test names) for one file."""
    passed = failed = skipped = 0
    names = []
    for case in ET.parse(path).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            # cmocka leaves classname empty: the file names the suite
            names.append(f"{case.get('classname') or path.stem}::{case.get('name')}")
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped, names


def main():
    results = pathlib.Path(sys.argv[1])
    totals = [0, 0, 0]
    failures = []
    for path in sorted(results.glob("*.xml")):
        try:
            passed, failed, skipped, names = count(path)
        except ET.ParseError as err:
            print(f"summary: {path}: {err}", file=sys.stderr)
            totals[1] += 1
            continue
        print(f"  {path.stem:<28} {passed:5d} passed {failed:3d} failed {skipped:3d} skipped")
        totals = [totals[0] + passed, totals[1] + failed, totals[2] + skipped]
        failures += names
    for name in failures:
        print(f"FAILED {name}")
    print(f"{totals[0]} passed, {totals[1]} failed, {totals[2]} skipped")
    return 0 if totals[1] == 0 and totals[0] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
