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

# gen_synthetic.py's images: one directory per size under the ELFs
# directory (make's BENCH_ELFS_DIR), u<units> and s<symbols>
ELFS_DIR = Path("build/bench/elfs")
SYNTHETIC_ELF = "synthetic.elf"
SYNTHETIC_HEAD = "synthetic-head.elf"
SYNTHETIC_MAP = "synthetic.map"
SYNTHETIC_SUMMARY = "synthetic.json"
SYNTHETIC_CHANGES = "synthetic-head.changes.json"
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
    summary: dict = field(default_factory=dict)   # gen_synthetic's counts
    link_map: Path = None       # the image's map, for the bloaty table

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


def synthetic_dir(units, elfs=ELFS_DIR):
    """Where gen_synthetic.py builds the @units-unit image."""
    return Path(elfs) / f"u{units}"


def million_dir(symbols, elfs=ELFS_DIR):
    """Where gen_synthetic.py builds the @symbols-symbol image."""
    return Path(elfs) / f"s{symbols}"


def _summary(directory):
    """gen_synthetic's summary of the image in @directory, or {}."""
    for name in (SYNTHETIC_SUMMARY, SYNTHETIC_CHANGES):
        try:
            with open(Path(directory) / name) as f:
                return json.load(f)["summary"]
        except (OSError, ValueError, KeyError):
            continue
    return {}


def synthetic(directory=None, name="synthetic", head=True):
    """A generated image in @directory (default: the 2,000-unit one) and,
    with @head, its ~1 % changed head.

    Its map is in `link_map` (the subject's `map` stays None: the table
    against nm times membudget on the image alone, as it always has).
    """
    directory = Path(directory or synthetic_dir(2000))
    elf = directory / SYNTHETIC_ELF
    subject = Subject(name, elf, head=directory / SYNTHETIC_HEAD
                      if head else None, link_map=directory / SYNTHETIC_MAP)
    subject.summary = _summary(directory)
    made = subject.summary
    make = f"make bench-elfs BENCH_ELFS_DIR={directory.parent}"
    if not elf.exists() or not subject.link_map.exists():
        subject.skipped = f"{elf} not built ({make})"
        return subject
    if head and not subject.head.exists():
        subject.skipped = f"{subject.head} not built ({make})"
        return subject
    if made:
        subject.note = (f"{made['units']} units, {made['functions']} "
                        f"functions, {made['symbols']} symbols")
        if "head_functions_changed" in made and head:
            subject.note += (f"; head has {made['head_functions_changed']}"
                             " functions changed")
    else:
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
