"""The ELF files `make bench` measures, and why any of them is missing.

A subject is one image, optionally with a second image to diff it
against and a budgets file to check it with.  Each finder returns a
Subject, or a Subject whose `skipped` says why it cannot be measured.
"""

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from elftools.elf.elffile import ELFFile
from elftools.common.exceptions import ELFError

SYNTHETIC = Path("build/bench/synthetic.elf")
SYNTHETIC_HEAD = Path("build/bench/synthetic-head.elf")
SYNTHETIC_CHANGES = Path("build/bench/synthetic-head.changes.json")
FIRMWARE = Path("build/firmware.elf")
FIRMWARE_BUDGETS = Path("budgets/firmware.toml")
FIRMWARE_MAP = Path("build/firmware.map")

# Where libpython may come from: Debian's interpreter and the one on PATH
INTERPRETERS = ("/usr/bin/python3", "python3")
LIBPYTHON_QUERY = ("import sys, sysconfig; v = sysconfig.get_config_var; "
                   "print(sys.executable); print(v('LIBDIR')); "
                   "print(v('INSTSONAME') or v('LDLIBRARY') or '')")


@dataclass
class Subject:
    """One image to measure."""
    name: str
    path: Path
    head: Path = None           # second image for diff, or None
    budgets: Path = None        # budgets file for check, or None
    map: Path = None            # linker map membudget is given, or None
    note: str = ""
    skipped: str = ""           # non-empty: why it is not measured
    candidates: list = field(default_factory=list)

    @property
    def size(self):
        """File size in bytes, 0 when absent."""
        try:
            return self.path.stat().st_size
        except OSError:
            return 0


def has_dwarf(path):
    """True if @path is an ELF file with a .debug_info section."""
    try:
        with open(path, "rb") as f:
            return ELFFile(f).get_section_by_name(".debug_info") is not None
    except (OSError, ELFError):
        return False


def synthetic():
    """The generated 2,000-unit image and its ~1 % changed head."""
    subject = Subject("synthetic", SYNTHETIC, head=SYNTHETIC_HEAD)
    if not SYNTHETIC.exists() or not SYNTHETIC_HEAD.exists():
        subject.skipped = f"{SYNTHETIC} not built (make bench-elfs)"
        return subject
    try:
        with open(SYNTHETIC_CHANGES) as f:
            made = json.load(f)["summary"]
        subject.note = (f"{made['units']} units, {made['functions']} "
                        f"functions, {made['symbols']} symbols; head has "
                        f"{made['head_functions_changed']} functions changed")
    except (OSError, ValueError, KeyError):
        subject.note = "tests/bench/gen_synthetic.py"
    return subject


def _libpython_of(interpreter):
    """(interpreter path, libpython path) for @interpreter, or None."""
    try:
        proc = subprocess.run([interpreter, "-c", LIBPYTHON_QUERY],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or len(lines) != 3 or not lines[2]:
        return None
    return lines[0], Path(lines[1]) / lines[2]


def libpython():
    """The first libpython shared library with DWARF among the interpreters'.

    Every candidate is recorded, with or without DWARF, so the report
    says which one was measured and why the others were not.
    """
    subject = Subject("libpython", Path())
    seen = set()
    for interpreter in INTERPRETERS:
        found = _libpython_of(interpreter)
        if found is None:
            subject.candidates.append({"interpreter": interpreter,
                                       "library": None, "dwarf": False})
            continue
        exe, lib = found
        real = lib.resolve() if lib.exists() else lib
        dwarf = real not in seen and lib.exists() and has_dwarf(lib)
        seen.add(real)
        subject.candidates.append({"interpreter": exe, "library": str(lib),
                                   "exists": lib.exists(), "dwarf": dwarf})
        if dwarf and not subject.path.name:
            subject.path = lib
            subject.head = lib
            subject.note = f"from {exe}"
    if not subject.path.name:
        subject.skipped = "no libpython shared library with DWARF found"
    return subject


def firmware():
    """The project's own image, with its budgets when they exist."""
    subject = Subject("firmware", FIRMWARE, head=FIRMWARE,
                      budgets=FIRMWARE_BUDGETS if FIRMWARE_BUDGETS.exists()
                      else None,
                      map=FIRMWARE_MAP if FIRMWARE_MAP.exists() else None,
                      note="as `make check` runs it, with its map")
    if not FIRMWARE.exists():
        subject.skipped = f"{FIRMWARE} not built (make firmware)"
    return subject
