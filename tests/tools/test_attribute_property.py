"""Property test of the attribution invariant on real ELF files.

Hypothesis draws section and symbol layouts: ELF32 or ELF64, either byte
order, sections of every class (bss as NOBITS, empty ones too) at
increasing addresses with gaps, contents mixing text, NULs and binary
bytes, symbols of random sizes that overlap, leave gaps or run past
their section's end, grouped under STT_FILE symbols; and components over
those files, symbol names and section names, with or without a
catch-all.  tests/tools/elfwriter.py writes each layout as an ELF that
membudget reads back like any other.  For every layout:

  * the class totals equal the sections' sizes as drawn;
  * the pieces tile each allocated section, each with exactly one owner;
  * components + buckets == class totals, to the byte;
  * a symbol alone over its bytes, from a file one component lists,
    gives those bytes to that component.

The profile is derandomized so CI runs the same examples every time.
"""

import random
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
import elfwriter  # noqa: E402

from membudget import model  # noqa: E402
from membudget.analysis import attribute  # noqa: E402
from membudget.read import elf  # noqa: E402

FILES = ("a.c", "b.c", "net.c", "heap.c")
SECTION_NAMES = {"code": (".text", ".text.hot", ".init"),
                 "rodata": (".rodata", ".rodata.tbl", ".rodata.str1.1"),
                 "data": (".data", ".data.rel", ".sdata"),
                 "bss": (".bss", ".bss.pool", ".sbss")}
KINDS = {"func": elf.STT_FUNC, "object": elf.STT_OBJECT,
         "notype": elf.STT_NOTYPE}
BINDINGS = (elf.STB_LOCAL, elf.STB_GLOBAL, elf.STB_WEAK)


def _contents(seed, size):
    """Bytes that look like code, tables and strings: text, NULs, binary."""
    rng = random.Random(seed)
    out = bytearray()
    while len(out) < size:
        pick = rng.randrange(3)
        if pick == 0:
            out += bytes(rng.randrange(0x20, 0x7F) for _ in range(rng.randrange(1, 12))) + b"\0"
        elif pick == 1:
            out += bytes(rng.randrange(1, 4))
        else:
            out += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
    return bytes(out[:size])


@st.composite
def layouts(draw):
    """(bits, endian, sections, symbols, components) of one image."""
    bits = draw(st.sampled_from((32, 64)))
    endian = draw(st.sampled_from(("<", ">")))
    count = draw(st.integers(1, 6))
    sections, used = [], set()
    addr = draw(st.integers(0, 0x1000)) * 16
    for _ in range(count):
        cls = draw(st.sampled_from(tuple(elfwriter.CLASS_LAYOUT)))
        name = draw(st.sampled_from(SECTION_NAMES[cls]).filter(lambda n: n not in used))
        used.add(name)
        align = draw(st.sampled_from((1, 2, 4, 8, 16, 64)))
        addr = -(-addr // align) * align
        size = draw(st.integers(0, 600))
        data = b"" if cls == "bss" else _contents(draw(st.integers(0, 1 << 16)), size)
        sections.append(elfwriter.Section(name, cls, addr, size, data, align))
        addr += size + draw(st.sampled_from((0, 0, 1, 3, 32, 4096)))
    symbols = []
    for number in range(draw(st.integers(0, 24))):
        index = draw(st.integers(0, count - 1))
        sec = sections[index]
        offset = draw(st.integers(0, sec.size + 8))
        size = draw(st.one_of(st.just(0), st.integers(1, 64), st.integers(1, sec.size + 16)))
        symbols.append((draw(st.sampled_from((None,) + FILES)),
                        draw(st.sampled_from(BINDINGS)),
                        elfwriter.Symbol(f"sym{number}", index, sec.addr + offset, size,
                                         KINDS[draw(st.sampled_from(tuple(KINDS)))])))
    components = []
    owners = draw(st.lists(st.sampled_from(FILES), unique=True, max_size=len(FILES)))
    for number, file in enumerate(owners):
        components.append(model.ComponentDef(f"comp{number}", paths=(file,)))
    named = draw(st.lists(st.sampled_from([s.name for _, _, s in symbols] or ["none"]),
                          unique=True, max_size=3))
    if named:
        components.append(model.ComponentDef("by_symbol", symbols=tuple(named)))
    if draw(st.booleans()):
        components.append(model.ComponentDef("by_section", sections=(sections[0].name,)))
    if draw(st.booleans()):
        components.append(model.ComponentDef("rest", catch_all=True))
    return bits, endian, sections, symbols, components


def _symbol_table(symbols):
    """Order drawn symbols as an ELF wants them: file groups of locals, globals."""
    table = []
    groups = {}
    for file, bind, sym in symbols:
        if bind == elf.STB_LOCAL:
            groups.setdefault(file, []).append(sym)
    for file, members in groups.items():
        if file:
            table.append(elfwriter.Symbol(file, None, 0, kind=elf.STT_FILE))
        elif table:
            # An empty STT_FILE name ends the previous group
            table.append(elfwriter.Symbol("", None, 0, kind=elf.STT_FILE))
        table += members
    for file, bind, sym in symbols:
        if bind != elf.STB_LOCAL:
            sym.bind = bind
            table.append(sym)
    return table


def _alone(sym, symbols, sections):
    """Whether sym's bytes lie in its section and no other sized symbol touches them."""
    sec = sections[sym.section]
    if sym.size == 0 or sym.value + sym.size > sec.addr + sec.size:
        return False
    return all(other is sym or other.size == 0 or other.value >= sym.value + sym.size or
               other.value + other.size <= sym.value
               for _, _, other in symbols if other.section == sym.section)


@settings(derandomize=True, database=None, max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(layout=layouts())
def test_components_and_buckets_add_up(tmp_path, layout):
    bits, endian, sections, symbols, components = layout
    path = tmp_path / "image.elf"
    elfwriter.write_elf(path, sections, _symbol_table(symbols), bits=bits, endian=endian)
    image = elf.read_image(path)
    result = attribute.attribute(image, components, project_root=str(tmp_path))

    # Class totals: what was drawn
    drawn = dict.fromkeys(model.CLASSES, 0)
    for sec in sections:
        drawn[sec.cls] += sec.size
    assert elf.class_totals(image) == drawn

    # Pieces tile each section, one owner each, classes as the section's
    # but where a data object lies in (read-only) code: rodata
    names = {c.name for c in components}
    for index, sec in enumerate(sections, 1):
        objects = [s for _, _, s in symbols if s.kind == elf.STT_OBJECT and s.size
                   and s.section == index - 1 and sec.cls == "code"]
        pieces = [p for p in result.pieces if p.section == sec.name]
        at = 0
        for piece in sorted(pieces, key=lambda p: p.offset):
            assert piece.offset == at and piece.size > 0, (sec.name, piece)
            covered = {b for s in objects
                       for b in range(s.value - sec.addr, s.value - sec.addr + s.size)}
            inside = set(range(piece.offset, piece.offset + piece.size)) <= covered
            expected = "rodata" if inside \
                else sec.cls
            assert piece.cls == expected, (sec.name, piece)
            assert (piece.component is None) != (piece.bucket is None), piece
            assert piece.component in names or piece.bucket in model.BUCKETS, piece
            at += piece.size
        assert at == sec.size, sec.name

    # Components + buckets == every byte drawn
    assert sum(p.size for p in result.pieces) == sum(drawn.values())

    # A lone local symbol of a listed file: its file's component owns it
    by_file = {c.paths[0]: c.name for c in components if c.paths}
    for file, bind, sym in symbols:
        if bind != elf.STB_LOCAL or file not in by_file or sym.kind == elf.STT_NOTYPE:
            continue
        if not _alone(sym, symbols, sections):
            continue
        sec = sections[sym.section]
        lo, hi = sym.value - sec.addr, sym.value - sec.addr + sym.size
        for piece in result.pieces:
            if piece.section == sec.name and piece.offset < hi and piece.offset + piece.size > lo:
                assert piece.component == by_file[file], (sym, piece)
