"""Shared fixtures for membudget's tests: real ELF files built at test time.

`build_elf` is a session-scoped factory: build_elf("name", ["heap.c", ...],
arch="i386", ...) compiles the named sources from tests/tools/fixtures/
(each to its own .o, from the repository root so DWARF names read
"tests/tools/fixtures/heap.c"), links them, and returns a Built with the
ELF, the map file and the objects.  The same name returns the cached
build.  A missing cross compiler skips the test with the reason.

Each Built carries its Toolchain, whose methods run the matching binutils
(`size -A`, `nm -S`) and parse their output: those are the oracles.
`synthetic_elf(bits, endian, machine)` writes a tiny hand-made ELF for
the combinations no installed compiler produces (big-endian 64-bit).

`build_layout("cortexm", ["vectors.c", "main.c"], arch="arm")` builds one
real-world layout of tests/tools/fixtures/realworld/ with that directory's
own link.lds, a map and, with memory_usage=True, the output of
`ld --print-memory-usage` (Built.extra["memory_usage"]).

`fw` is the firmware-like fixture (heap.c, e820.c, main.c) built once;
`firmware_build` is the real firmware, built by its Makefile into a
private BUILD directory once per session (its path).

Every ELF the factories make is first cross-checked against pyelftools
(oracle.py): header, sections, symbols and DWARF units must read alike.

The end-to-end tests' helpers (run the launcher, the bad-input contract,
budgets files) are in cli_helpers.py.
"""

import os
import pathlib
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass, field

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "tools" / "fixtures"
REALWORLD = FIXTURES / "realworld"
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(FIXTURES.parent))     # oracle.py, when loaded from elsewhere

from oracle import cross_check  # noqa: E402 - pyelftools, the independent oracle
from membudget.read.elf import (  # noqa: E402 - tools/ is on the path now
    ET_EXEC, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHN_ABS, SHT_NOBITS, SHT_PROGBITS,
    SHT_STRTAB, SHT_SYMTAB, STB_GLOBAL, STB_LOCAL, STT_FILE, STT_FUNC, STT_OBJECT)

#: Firmware-like sources used by most tests
FIRMWARE_SOURCES = ("heap.c", "e820.c", "main.c")


@dataclass
class Toolchain:
    """A compiler driver and the binutils that go with it."""

    arch: str
    cc: tuple
    prefix: str
    hosted: bool        # can link against a C library

    def missing(self):
        """Return why this toolchain cannot be used, or None."""
        for tool in (self.cc[0], self.prefix + "size", self.prefix + "nm"):
            if shutil.which(tool) is None:
                return f"{tool} not installed"
        return None

    def run(self, *args, cwd=ROOT):
        proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
        if proc.returncode:
            raise AssertionError(f"{' '.join(map(str, args))} failed:\n{proc.stderr}")
        return proc.stdout

    def size_sections(self, elf):
        """Parse `size -A`: {section name: size} (every section it lists)."""
        out = self.run(self.prefix + "size", "-A", str(elf))
        sizes = {}
        for line in out.splitlines()[2:]:
            fields = line.split()
            if len(fields) == 3 and fields[0] != "Total":
                sizes[fields[0]] = int(fields[1])
        return sizes

    def allocated_sections(self, elf):
        """Parse `readelf -S -W`: {name: (type, size)} of SHF_ALLOC sections."""
        out = self.run(self.prefix + "readelf", "-S", "-W", str(elf))
        sections = {}
        for line in out.splitlines():
            if "]" not in line or not line.lstrip().startswith("["):
                continue
            fields = line.split("]", 1)[1].split()
            # Name Type Addr Off Size ES [Flg] Lk Inf Al: Flg may be empty
            if len(fields) == 10 and "A" in fields[6]:
                sections[fields[0]] = (fields[1], int(fields[4], 16))
        return sections

    def nm_sizes(self, elf):
        """Parse `nm -S`: {(name, address): size} for symbols with a size."""
        out = self.run(self.prefix + "nm", "-S", "--defined-only", str(elf))
        sizes = {}
        for line in out.splitlines():
            fields = line.split()
            if len(fields) == 4:
                sizes[(fields[3], int(fields[0], 16))] = int(fields[1], 16)
        return sizes


TOOLCHAINS = {
    "i386": Toolchain("i386", ("gcc", "-m32"), "", True),
    "x86_64": Toolchain("x86_64", ("gcc", "-m64"), "", True),
    "arm": Toolchain("arm", ("arm-none-eabi-gcc", "-mthumb", "-mcpu=cortex-m3"),
                     "arm-none-eabi-", False),
    "armbe": Toolchain("armbe", ("arm-none-eabi-gcc", "-mthumb", "-mbig-endian"),
                       "arm-none-eabi-", False),
    "riscv32": Toolchain("riscv32", ("riscv64-unknown-elf-gcc", "-march=rv32imac",
                                     "-mabi=ilp32"),
                         "riscv64-unknown-elf-", False),
    "i386-c++": Toolchain("i386-c++", ("g++", "-m32"), "", False),
    "riscv64": Toolchain("riscv64", ("riscv64-unknown-elf-gcc", "-march=rv64imac",
                                     "-mabi=lp64", "-mcmodel=medany"),
                         "riscv64-unknown-elf-", False),
}


@dataclass
class Built:
    """One linked (or relocatable) fixture and where its pieces are."""

    name: str
    elf: pathlib.Path
    map: pathlib.Path | None
    objects: list
    sources: list           # paths relative to ROOT
    tools: Toolchain
    workdir: pathlib.Path
    extra: dict = field(default_factory=dict)


@pytest.fixture(scope="session")
def build_elf(tmp_path_factory):
    """Factory building fixture ELFs once per session (see module docstring).

    Keyword options: arch, cflags, ldflags, debug (-g, default True),
    freestanding (-nostdlib + start.c; forced for cross toolchains),
    script (a linker script in fixtures/), shared, relocatable (return
    the first source's .o), strip (strip --strip-all the result),
    map (write -Map, default True), linker ("lld", "gold": -fuse-ld).
    """
    cache = {}
    top = tmp_path_factory.mktemp("elves")

    def build(name, sources=FIRMWARE_SOURCES, arch="i386", cflags=(),
              ldflags=(), debug=True, freestanding=False, script=None,
              shared=False, relocatable=False, strip=False, map=True, linker=None):
        if name in cache:
            return cache[name]
        tools = TOOLCHAINS[arch]
        reason = tools.missing()
        if linker and not reason and shutil.which("ld." + linker) is None:
            reason = f"ld.{linker} not installed"
        if reason:
            pytest.skip(f"{arch}: {reason}")
        freestanding = freestanding or not tools.hosted or script is not None
        work = top / name
        work.mkdir(exist_ok=True)
        sources = list(sources)
        if freestanding and not shared and not relocatable:
            sources.append("start.c")
        flags = list(tools.cc) + ["-O1", "-fno-asynchronous-unwind-tables"]
        flags += ["-g"] if debug else []
        flags += ["-fPIC"] if shared else []
        flags += ["-ffreestanding", "-fno-pic"] if freestanding else []
        flags += list(cflags)
        objects = []
        rel = [str(FIXTURES.relative_to(ROOT) / s) for s in sources]
        for src in rel:
            obj = work / (pathlib.Path(src).stem + ".o")
            tools.run(*flags, "-c", src, "-o", str(obj))
            objects.append(obj)
        mapfile = None
        if relocatable:
            elf = objects[0]
        else:
            elf = work / (name + (".so" if shared else ".elf"))
            link = list(tools.cc) + ["-o", str(elf)]
            link += ["-shared"] if shared else []
            link += ["-fuse-ld=" + linker] if linker else []
            link += ["-nostdlib", "-static", "-Wl,-e,_start"] if freestanding else []
            if script:
                link += ["-Wl,-T," + str(FIXTURES / script)]
            if map:
                mapfile = work / (name + ".map")
                link.append("-Wl,-Map=" + str(mapfile))
            link += list(ldflags) + [str(o) for o in objects]
            tools.run(*link)
        if strip:
            tools.run(tools.prefix + "strip", "--strip-all", str(elf))
        for path in {elf, *objects}:
            cross_check(path)
        cache[name] = Built(name, elf, mapfile, objects, rel, tools, work)
        return cache[name]

    return build


@pytest.fixture(scope="session")
def build_layout(tmp_path_factory):
    """Factory: build_layout(layout, sources, arch, cflags=(), memory_usage=False).

    Compiles each source of tests/tools/fixtures/realworld/LAYOUT/ from the
    repository root (freestanding, -O1 -g), links them with that
    directory's link.lds and -Map; memory_usage adds
    --print-memory-usage and keeps what it printed.  Built once per
    session; a missing cross compiler skips with the reason.
    """
    cache = {}
    top = tmp_path_factory.mktemp("realworld")

    def build(layout, sources, arch, cflags=(), memory_usage=False):
        if layout in cache:
            return cache[layout]
        tools = TOOLCHAINS[arch]
        reason = tools.missing()
        if reason:
            pytest.skip(f"{arch}: {reason}")
        work = top / layout
        work.mkdir()
        flags = list(tools.cc) + ["-O1", "-g", "-ffreestanding", "-fno-pic",
                                  "-fno-asynchronous-unwind-tables", *cflags]
        rel = [str((REALWORLD / layout / s).relative_to(ROOT)) for s in sources]
        objects = []
        for src in rel:
            obj = work / (pathlib.Path(src).stem + ".o")
            tools.run(*flags, "-c", src, "-o", str(obj))
            objects.append(obj)
        elf, mapfile = work / (layout + ".elf"), work / (layout + ".map")
        link = list(tools.cc) + ["-nostdlib", "-static", "-o", str(elf),
                                 "-Wl,-T," + str(REALWORLD / layout / "link.lds"),
                                 "-Wl,-Map=" + str(mapfile), "-Wl,--no-warn-rwx-segments"]
        link += ["-Wl,--print-memory-usage"] if memory_usage else []
        printed = tools.run(*link, *map(str, objects))
        extra = {"memory_usage": printed} if memory_usage else {}
        for path in (elf, *objects):
            cross_check(path)
        cache[layout] = Built(layout, elf, mapfile, objects, rel, tools, work, extra)
        return cache[layout]

    return build


@pytest.fixture(scope="session")
def fw(build_elf):
    """The firmware-like fixture ELF, FIRMWARE_SOURCES linked (with a map)."""
    return build_elf("firmware")


@pytest.fixture(scope="session")
def firmware_build(tmp_path_factory):
    """The real firmware built by its Makefile into a private BUILD."""
    if shutil.which("make") is None or shutil.which("ld") is None:
        pytest.skip("make or ld not installed")
    build = tmp_path_factory.mktemp("fwbuild")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    proc = subprocess.run(["make", "-s", "--no-print-directory", f"BUILD={build}",
                           f"{build}/firmware.elf"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return build


def _synthetic(bits, endian, machine):
    """Bytes of a tiny ET_EXEC ELF no installed compiler can make.

    Sections .text, .rodata, .data, .bss, .symtab, .strtab, .shstrtab;
    symbols: an STT_FILE, a local and a global function, a global object.
    """
    e = "<" if endian == "little" else ">"
    ehsize, shentsize, symsize = (52, 40, 16) if bits == 32 else (64, 64, 24)
    base = 0x10000
    text, rodata = b"\x90" * 24, b"hello\0world\0"
    data = struct.pack(e + "4I", 1, 2, 3, 4)
    strtab = b"\0synth.c\0local_fn\0global_fn\0global_data\0"
    shstr = b"\0.text\0.rodata\0.data\0.bss\0.symtab\0.strtab\0.shstrtab\0"

    def name(table, text):
        return table.index(text.encode() + b"\0")

    def sym(text, value, size, info, shndx):
        nm = name(strtab, text) if text else 0
        if bits == 32:
            return struct.pack(e + "IIIBBH", nm, value, size, info, 0, shndx)
        return struct.pack(e + "IBBHQQ", nm, info, 0, shndx, value, size)

    def info(bind, kind):
        return bind << 4 | kind

    syms = (sym("", 0, 0, 0, 0) + sym("synth.c", 0, 0, info(STB_LOCAL, STT_FILE), SHN_ABS)
            + sym("local_fn", base, 8, info(STB_LOCAL, STT_FUNC), 1)
            + sym("global_fn", base + 8, 16, info(STB_GLOBAL, STT_FUNC), 1)
            + sym("global_data", base + 0x100, 16, info(STB_GLOBAL, STT_OBJECT), 3))
    blobs = [text, rodata, data, b"", syms, strtab, shstr]
    offsets, pos = [], ehsize
    for blob in blobs:
        offsets.append(pos)
        pos += len(blob)
    # name, type, flags, addr, offset, size, link, info, align, entsize
    sections = [
        (0,) * 10,
        (name(shstr, ".text"), SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, base, offsets[0],
         len(text), 0, 0, 4, 0),
        (name(shstr, ".rodata"), SHT_PROGBITS, SHF_ALLOC, base + 0x40, offsets[1],
         len(rodata), 0, 0, 1, 0),
        (name(shstr, ".data"), SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, base + 0x100, offsets[2],
         len(data), 0, 0, 4, 0),
        (name(shstr, ".bss"), SHT_NOBITS, SHF_ALLOC | SHF_WRITE, base + 0x110, offsets[3],
         0x30, 0, 0, 8, 0),
        (name(shstr, ".symtab"), SHT_SYMTAB, 0, 0, offsets[4], len(syms), 6, 3, 8, symsize),
        (name(shstr, ".strtab"), SHT_STRTAB, 0, 0, offsets[5], len(strtab), 0, 0, 1, 0),
        (name(shstr, ".shstrtab"), SHT_STRTAB, 0, 0, offsets[6], len(shstr), 0, 0, 1, 0),
    ]
    shfmt = e + ("10I" if bits == 32 else "IIQQQQIIQQ")
    ident = b"\x7fELF" + bytes([bits // 32, 1 if endian == "little" else 2, 1]) + bytes(9)
    hfmt = e + ("HHIIIIIHHHHHH" if bits == 32 else "HHIQQQIHHHHHH")
    header = ident + struct.pack(hfmt, ET_EXEC, machine, 1, base, 0, pos, 0, ehsize, 0, 0,
                                 shentsize, len(sections), len(sections) - 1)
    return header + b"".join(blobs) + b"".join(struct.pack(shfmt, *s) for s in sections)


@pytest.fixture(scope="session")
def synthetic_elf(tmp_path_factory):
    """Factory: synthetic_elf(bits, endian, machine) -> Built (host binutils)."""
    top = tmp_path_factory.mktemp("synthetic")

    def make(bits, endian, machine):
        path = top / f"synth-{bits}-{endian}-{machine}.elf"
        path.write_bytes(_synthetic(bits, endian, machine))
        cross_check(path)
        return Built(path.stem, path, None, [], [], TOOLCHAINS["x86_64"], top)

    return make
