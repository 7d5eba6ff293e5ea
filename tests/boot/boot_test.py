#!/usr/bin/env python3
"""Boot the firmware under QEMU + SeaBIOS and check its INT 15h hook.

Usage: boot_test.py [--junit FILE] [--break-image IMAGE]
                    [--overhide-image IMAGE]
                    [--stack-bounds REPORT.json [--stack-out FILE]] IMAGE MIB...

Boots IMAGE once per memory size (MiB) with qemu-system-i386 (TCG), reads
the payload's transcript from the debug console (port 0xE9), prints the
BIOS and mangled maps side by side and runs the checks in checks.py.
What must be hidden comes from each image's ELF (IMAGE with .elf for
.img): the allocated sections' span and the heap pool (symbol heap_pool).
With --break-image, also boots an image built to leave its heap visible,
and with --overhide-image one that hides a page too many; the checks must
catch both.

With --stack-bounds (`membudget report --format json` of the same build),
each [stack.entries] entry's high-water mark, which the payload prints
from its painted stack ("stack ENTRY USED SIZE", the highest over all
boots), must satisfy measured <= static bound <= stack size; both figures
are printed, and --stack-out keeps them for `make report`.  Exit 0 when
everything passed.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from checks import CHECKS, mangled, page_round  # noqa: E402
from transcript import Range, TranscriptError, parse  # noqa: E402
from elftools.elf.elffile import ELFFile  # noqa: E402
from elftools.elf.constants import SH_FLAGS  # noqa: E402

QEMU = "qemu-system-i386"
BIOS = "/usr/share/seabios/bios-256k.bin"
# isa-debug-exit turns the payload's final "outb 0" into this status
QEMU_PASS_STATUS = 1


@dataclass
class Boot:
    """What one QEMU run produced."""

    memory: int
    text: str = ""
    status: int = None
    timed_out: bool = False
    seconds: float = 0.0
    error: str = ""


@dataclass
class Case:
    """One JUnit test case."""

    classname: str
    name: str
    failures: list = field(default_factory=list)
    skipped: str = ""
    seconds: float = 0.0


def elf_layout(image):
    """Return what the image at ``image`` must hide, from its ELF:
    [("image", Range), ("heap", Range)], page-rounded."""
    elf_path = os.path.splitext(image)[0] + ".elf"
    with open(elf_path, "rb") as f:
        elf = ELFFile(f)
        spans = [(s["sh_addr"], s["sh_addr"] + s["sh_size"])
                 for s in elf.iter_sections()
                 if s["sh_flags"] & SH_FLAGS.SHF_ALLOC and s["sh_size"]]
        symtab = elf.get_section_by_name(".symtab")
        pool = [sym for sym in (symtab.get_symbol_by_name("heap_pool") or [])
                if sym["st_info"]["type"] == "STT_OBJECT"]
    if not spans or len(pool) != 1:
        raise ValueError(f"{elf_path}: no allocated sections or no heap_pool")
    image_range = page_round(min(s for s, _ in spans), max(e for _, e in spans))
    value, size = pool[0]["st_value"], pool[0]["st_size"]
    return [("image", Range(*image_range)),
            ("heap", Range(*page_round(value, value + size)))]


def qemu_command(image, memory, console):
    """Return the QEMU command line for one boot."""
    command = [QEMU, "-accel", "tcg", "-display", "none", "-no-reboot",
               "-m", str(memory), "-serial", "none", "-monitor", "none",
               "-drive", f"file={image},format=raw,if=ide,snapshot=on",
               "-debugcon", f"file:{console}",
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if os.path.exists(BIOS):
        command += ["-bios", BIOS]
    return command


def boot(image, memory, timeout):
    """Boot once and collect the transcript, whatever happens."""
    result = Boot(memory)
    with tempfile.TemporaryDirectory() as tmp:
        console = os.path.join(tmp, "debugcon.txt")
        started = time.monotonic()
        try:
            proc = subprocess.run(qemu_command(image, memory, console),
                                  stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True,
                                  timeout=timeout)
            result.status = proc.returncode
            result.error = proc.stderr.strip()
        except subprocess.TimeoutExpired:
            result.timed_out = True
        except OSError as err:
            result.error = f"cannot run {QEMU}: {err}"
        result.seconds = time.monotonic() - started
        if os.path.exists(console):
            with open(console, encoding="ascii", errors="replace") as f:
                result.text = f.read()
    return result


def boot_failure(result, transcript, timeout):
    """Return why a boot did not complete, or ''."""
    last = transcript.last_line if transcript else ""
    seen = f"; last line seen: {last!r}" if last else "; no output at all"
    if result.timed_out:
        return f"QEMU hung: killed after {timeout} s{seen}"
    if result.status is None:
        return result.error
    if result.status != QEMU_PASS_STATUS or not (transcript and transcript.done):
        detail = f" ({result.error})" if result.error else ""
        return f"QEMU exited with status {result.status}{detail} before 'done'{seen}"
    return ""


def run_checks(classname, result, timeout, layout):
    """Parse one boot's transcript and run every check on it."""
    transcript = None
    try:
        transcript = parse(result.text)
        transcript.layout = layout
    except TranscriptError as err:
        problem = f"bad transcript: {err}"
    else:
        problem = boot_failure(result, transcript, timeout)
    cases = []
    for name, check in CHECKS:
        case = Case(classname, name)
        if problem and name == "boot":
            case.failures = [problem]
            case.seconds = result.seconds
        elif problem:
            case.skipped = "the boot did not complete"
        else:
            case.failures = check(transcript)
        cases.append(case)
    return transcript, cases


def side_by_side(transcript):
    """Print the BIOS map next to the map the hook reports."""
    def rows(entries):
        return [f"{e.start:#018x} {e.end:#018x} {e.type}" for e in entries]

    left, right = rows(transcript.bios), rows(mangled(transcript))
    print(f"    {'BIOS map (original vector)':<40} | INT 15h E820h through the hook")
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        print(f"    {a:<40} | {b}")
    hidden = ", ".join(str(r) for r in transcript.hidden if r.start < r.end)
    print(f"    hidden: {hidden}")
    hook = transcript.legacy("hook") if "hook" in transcript.e801 else None
    bios = transcript.legacy("bios") if "bios" in transcript.e801 else None
    if hook and bios:
        print(f"    E801h AX/BX {bios.ax:#x}/{bios.bx:#x} -> {hook.ax:#x}/{hook.bx:#x}, "
              f"88h AX {bios.kib:#x} -> {hook.kib:#x}")


def report(label, transcript, cases, result):
    """Print one boot's maps and verdicts."""
    print(f"== {label}: -m {result.memory}, {result.seconds:.1f} s")
    if transcript and transcript.bios:
        side_by_side(transcript)
    for case in cases:
        verdict = "skip" if case.skipped else ("FAIL" if case.failures else "ok")
        print(f"  {verdict:<4} {case.name}")
        for failure in case.failures:
            print(f"         {failure}")


def break_case(result, cases):
    """The broken image must boot and fail exactly on hidden memory."""
    case = Case("boot.break_hide_heap", "checker_catches_visible_heap",
                seconds=result.seconds)
    failed = {c.name: c.failures for c in cases}
    if failed.get("boot"):
        case.failures = [f"broken image did not boot: {failed['boot'][0]}"]
    elif not any("heap" in f for f in failed.get("hidden_not_usable", [])):
        case.failures = ["a visible heap went unnoticed by hidden_not_usable"]
    return case


def stack_cases(bounds_path, transcripts, out_path=None):
    """measured <= bound <= stack size per entry; the marks go to out_path."""
    with open(bounds_path, encoding="utf-8") as f:
        doc = json.load(f)
    stack = doc.get("stack") or {"entries": []}
    cases, marks = [], {}
    print(f"== stack high-water marks ({len(transcripts)} boots) against "
          f"{bounds_path}")
    for entry in stack["entries"]:
        name, bound = entry["name"], entry["bound"]
        case = Case("boot.stack", name)
        seen = [t.stacks[name] for t in transcripts if t and name in t.stacks]
        size = (entry["stack"] or {}).get("size")
        if not seen:
            case.failures = [f"{name}: the payload printed no 'stack {name}' mark"]
        else:
            measured = max(used for used, _ in seen)
            painted = seen[0][1]
            marks[name] = {"measured": measured, "bound": bound, "stack_size": size}
            shown = "unbounded" if bound is None else f"{bound:,} B"
            print(f"  stack {name}: measured {measured:,} B <= static bound {shown} "
                  f"<= stack {size if size is not None else painted:,} B")
            if bound is None:
                case.failures.append(f"{name}: no static bound (unbounded)")
            elif measured > bound:
                case.failures.append(f"{name}: measured {measured:,} B > static "
                                     f"bound {bound:,} B: the analysis missed "
                                     "something")
            if size is not None and painted != size:
                case.failures.append(f"{name}: painted {painted:,} B, but the "
                                     f"image's stack is {size:,} B")
            if bound is not None and size is not None and bound > size:
                case.failures.append(f"{name}: bound {bound:,} B > stack {size:,} B")
            if measured == 0:
                case.failures.append(f"{name}: nothing used: not painted?")
        for failure in case.failures:
            print(f"         {failure}")
        cases.append(case)
    if out_path:
        with open(out_path, "w", encoding="utf-8") as f:
            json.dump({"elf_sha256": doc["elf"]["sha256"], "entries": marks}, f,
                      indent=1)
            f.write("\n")
    return cases


def overhide_case(result, cases):
    """The image hiding a page too many must boot and fail on it."""
    case = Case("boot.break_overhide", "checker_catches_overhiding",
                seconds=result.seconds)
    failed = {c.name: c.failures for c in cases}
    if failed.get("boot"):
        case.failures = [f"over-hiding image did not boot: {failed['boot'][0]}"]
    elif not failed.get("usable_preserved"):
        case.failures = ["a page hidden too many went unnoticed by usable_preserved"]
    return case


def boot_broken_image(label, image, memory, timeout, judge, check_name):
    """Boot an image that must fail, and judge that it did."""
    result = boot(image, memory, timeout)
    transcript, broken = run_checks("boot.broken", result, timeout,
                                    elf_layout(image))
    case = judge(result, broken)
    print(f"== test of the test: {image} ({label}), -m {memory}: "
          + ("caught" if not case.failures else "NOT CAUGHT"))
    for broken_case in broken:
        if broken_case.name == check_name:
            for failure in broken_case.failures:
                print(f"         expected failure: {failure}")
    for failure in case.failures:
        print(f"         {failure}")
    return case


def write_junit(path, cases):
    """Write the cases as one JUnit test suite."""
    suite = ET.Element("testsuite", name="boot", tests=str(len(cases)),
                       failures=str(sum(1 for c in cases if c.failures)),
                       skipped=str(sum(1 for c in cases if c.skipped)))
    for case in cases:
        node = ET.SubElement(suite, "testcase", classname=case.classname,
                             name=case.name, time=f"{case.seconds:.3f}")
        if case.failures:
            ET.SubElement(node, "failure", message=case.failures[0]).text = \
                "\n".join(case.failures)
        elif case.skipped:
            ET.SubElement(node, "skipped", message=case.skipped)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image")
    parser.add_argument("memory", nargs="+", type=int, help="MiB per boot")
    parser.add_argument("--junit", help="write JUnit XML here")
    parser.add_argument("--break-image",
                        help="image whose visible heap the checks must catch")
    parser.add_argument("--overhide-image",
                        help="image whose extra hidden page the checks must catch")
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--stack-bounds", metavar="REPORT",
                        help="membudget report JSON with the [stack] bounds")
    parser.add_argument("--stack-out", metavar="FILE",
                        help="write the measured marks here (for make report)")
    args = parser.parse_args()

    images = [args.image] + [p for p in (args.break_image, args.overhide_image) if p]
    for path in images:
        if not os.path.exists(path):
            print(f"boot_test: {path}: no such image", file=sys.stderr)
            return 2
        try:
            elf_layout(path)
        except (OSError, ValueError) as err:
            print(f"boot_test: {err}", file=sys.stderr)
            return 2
    layout = elf_layout(args.image)
    cases = []
    transcripts = []
    for memory in args.memory:
        result = boot(args.image, memory, args.timeout)
        transcript, boot_cases = run_checks(f"boot.m{memory}", result,
                                            args.timeout, layout)
        report(f"boot {args.image}", transcript, boot_cases, result)
        cases += boot_cases
        transcripts.append(transcript)
    if args.stack_bounds:
        cases += stack_cases(args.stack_bounds, transcripts, args.stack_out)
    if args.break_image:
        cases.append(boot_broken_image("heap left visible", args.break_image,
                                  args.memory[0], args.timeout, break_case,
                                  "hidden_not_usable"))
    if args.overhide_image:
        cases.append(boot_broken_image("a page hidden too many", args.overhide_image,
                                  args.memory[0], args.timeout, overhide_case,
                                  "usable_preserved"))
    if args.junit:
        write_junit(args.junit, cases)
    failed = sum(1 for c in cases if c.failures)
    skipped = sum(1 for c in cases if c.skipped)
    print(f"boot: {len(cases) - failed - skipped} passed, {failed} failed, "
          f"{skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
