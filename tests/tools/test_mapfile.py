"""mapfile.read_map against the sections the linker actually produced."""

import collections

import pytest

from membudget import model
from membudget.read import elf, mapfile

FREESTANDING = ["-ffunction-sections", "-fdata-sections"]
BUILDS = {
    "attr-boundary": dict(arch="i386", cflags=FREESTANDING, script="boundary.lds",
                          ldflags=["-Wl,--gc-sections"]),
    "attr-i386": dict(arch="i386"),
    "attr-arm": dict(arch="arm", cflags=FREESTANDING),
    "attr-riscv64": dict(arch="riscv64", cflags=FREESTANDING,
                         ldflags=["-Wl,--gc-sections"]),
}


@pytest.fixture(params=sorted(BUILDS))
def linked(request, build_elf):
    return build_elf(request.param, **BUILDS[request.param])


def test_entries_fill_each_output_section(linked):
    """Input sections + fill + data statements == the section's size."""
    entries = mapfile.read_map(linked.map).entries
    sums = collections.Counter()
    for entry in entries:
        sums[entry.output] += entry.size
    sizes = linked.tools.size_sections(linked.elf)
    image = elf.read_image(linked.elf)
    checked = 0
    for sec in image.allocated():
        if sec.name in (".text", ".rodata", ".data", ".bss", ".sdata", ".sbss"):
            assert sums[sec.name] == sizes[sec.name], sec.name
            checked += 1
    assert checked >= 3


def test_entries_lie_inside_their_section(linked):
    image = elf.read_image(linked.elf)
    sections = {s.name: s for s in image.allocated()}
    for entry in mapfile.read_map(linked.map).entries:
        sec = sections.get(entry.output)
        if sec and entry.size:
            assert sec.addr <= entry.addr and entry.addr + entry.size <= sec.addr + sec.size


def test_long_names_fill_and_data_statements(build_elf):
    built = build_elf("attr-boundary", **BUILDS["attr-boundary"])
    entries = mapfile.read_map(built.map).entries
    by_name = {e.name: e for e in entries}
    strings = by_name[".rodata.heap_name.str1.1"]    # name alone on its line
    assert strings.output == ".rodata" and strings.object.endswith("/heap.o")
    assert strings.size > 0 and not strings.fill
    assert by_name[".text.heap_alloc"].object.endswith("/heap.o")
    long_data = [e for e in entries if e.name == "LONG"]
    assert [(e.size, e.linker, e.object) for e in long_data] == [(4, True, None)]
    fills = [e for e in entries if e.fill]
    assert fills and all(e.object is None and e.name == "*fill*" for e in fills)
    # Discarded input sections (listed before the memory map) are not entries
    assert not any(e.name == ".comment" for e in entries)


def test_symbols_and_assignments_are_skipped(build_elf):
    built = build_elf("attr-boundary", **BUILDS["attr-boundary"])
    names = {e.name for e in mapfile.read_map(built.map).entries}
    assert all(n.startswith(".") or n in ("*fill*", "LONG", "COMMON") for n in names)
    assert "." not in names


@pytest.mark.parametrize("content, message", [
    (b"", "not a GNU ld map"),
    (b"hello\nworld\n", "not a GNU ld map"),
    (b"\x7fELF\x01\x01\x01\0\0\0", "binary"),
])
def test_garbage_is_input_error(tmp_path, content, message):
    path = tmp_path / "bad.map"
    path.write_bytes(content)
    with pytest.raises(model.InputError, match=message) as err:
        mapfile.read_map(path).entries
    assert err.value.path == str(path)


def test_missing_map_is_input_error(tmp_path):
    with pytest.raises(model.InputError, match="No such file"):
        mapfile.read_map(tmp_path / "none.map").entries


def test_truncated_map_keeps_what_it_read(build_elf, tmp_path):
    built = build_elf("attr-i386", **BUILDS["attr-i386"])
    text = built.map.read_text()
    cut = tmp_path / "cut.map"
    cut.write_text(text[:text.index(".data ")] if ".data " in text else text)
    full = mapfile.read_map(built.map).entries
    part = mapfile.read_map(cut).entries
    assert 0 < len(part) < len(full)
    assert part == full[:len(part)]


@pytest.mark.parametrize("linker", ["gold", "lld"])
def test_gold_and_lld_maps(build_elf, linker):
    """Other linkers' maps: entries fill .text/.data/.bss up to alignment
    gaps (lld lists no fill) and name the objects holding the symbols."""
    built = build_elf(f"map-{linker}", arch="i386", cflags=FREESTANDING,
                      freestanding=True, linker=linker)
    entries = mapfile.read_map(built.map).entries
    sizes = built.tools.size_sections(built.elf)
    sums = collections.Counter()
    for entry in entries:
        sums[entry.output] += entry.size
    for name in (".text", ".data", ".bss"):
        assert 0 <= sizes[name] - sums[name] < 64, (linker, name)
    image = elf.read_image(built.elf)
    heap_alloc = next(s for s in image.symbols if s.name == "heap_alloc")
    holder = [e for e in entries if e.addr <= heap_alloc.addr < e.addr + e.size
              and e.output == ".text"]
    assert len(holder) == 1 and holder[0].object.endswith("heap.o")
    assert holder[0].name == ".text.heap_alloc"
    merged = [e for e in entries if e.merged]
    assert all(e.object is None for e in merged)
    assert any(e.output == ".rodata" and e.size for e in merged)


# What GNU ld writes for XIP layouts, tables and iPXE-style builds
# (hand-written excerpts in GNU ld's own shapes; the expected values are
# read off the text, not computed by the parser)

MEMORY_MAP = """\
Memory Configuration

Name             Origin             Length             Attributes
FLASH            0x08000000         0x00010000         xr
RAM              0x20000000         0x00005000         xrw
*default*        0x00000000         0xffffffff

Linker script and memory map

.text           0x08000000       0xe0
 *(.text*)
 .text.main     0x08000000       0xe0 main.o
                0x08000000                main

.data           0x20000000        0x8 load address 0x080000e0
 *(.data*)
 .data.count    0x20000000        0x4 main.o
 *(.xdata)
                0x20000004        0x4 LONG 0x12345678

.debug_info     0x00000000      0x200
 .debug_info    0x00000000      0x200 main.o
"""


def _map(tmp_path, text):
    path = tmp_path / "link.map"
    path.write_text(text)
    return mapfile.read_map(path)


def test_memory_configuration_and_load_addresses(tmp_path):
    link = _map(tmp_path, MEMORY_MAP)
    assert [(r.name, r.origin, r.length, r.attributes) for r in link.regions] == [
        ("FLASH", 0x08000000, 0x10000, "xr"), ("RAM", 0x20000000, 0x5000, "xrw")]
    data = link.sections[".data"]
    assert (data.addr, data.size, data.lma) == (0x20000000, 8, 0x080000e0)
    assert link.sections[".text"].lma == link.sections[".text"].addr == 0x08000000


def test_long_after_a_pattern_that_matched_nothing_is_the_linkers(tmp_path):
    entries = _map(tmp_path, MEMORY_MAP).entries
    longs = [e for e in entries if e.name == "LONG"]
    assert [(e.addr, e.size, e.linker, e.object) for e in longs] == [
        (0x20000004, 4, True, None)]
    assert not any("xdata" in e.name for e in entries)


def test_corrupt_memory_configuration_is_bad_input(tmp_path):
    text = MEMORY_MAP.replace("0x00005000         xrw", "0x5zz")
    with pytest.raises(model.InputError, match="corrupt Memory Configuration"):
        _map(tmp_path, text)


def test_appended_objdump_output_ends_the_map(tmp_path):
    """iPXE appends `objdump -h` to its map: none of it is a section."""
    appended = ("\nbin/ipxe.lkrn.tmp:     file format elf32-i386\n\nSections:\n"
                "Idx Name          Size      VMA       LMA       File off  Algn\n"
                "  0 .prefix       000009a5  00000000  00000000  00001000  2**4\n"
                " .text.fake     0x00000000       0x40 fake.o\n")
    link = _map(tmp_path, MEMORY_MAP + appended)
    assert "Sections:" not in link.sections and "Idx" not in link.sections
    assert not any(e.object == "fake.o" for e in link.entries)


def test_what_the_reference_graph_reads(build_elf):
    """Discarded sections, the Cross Reference Table, the script's own
    symbols and, per input section, the pattern that placed it."""
    built = build_elf("map-graph", sources=["graph/app.c", "graph/lib.c", "graph/extra.c"],
                      script="graph/graph.lds", cflags=FREESTANDING,
                      ldflags=["-Wl,--gc-sections", "-Wl,--cref", "-Wl,-u,extra_root"])
    link = mapfile.read_map(built.map)
    dropped = {(e.name, e.object.rsplit("/", 1)[-1]): e.size for e in link.discarded}
    assert dropped[(".text.lib_unused", "lib.o")] > 0
    assert dropped[(".text.alt_start", "app.o")] > 0
    assert link.cref["parse"][0].endswith("lib.o")
    assert [f.rsplit("/", 1)[-1] for f in link.cref["parse"][1:]] == ["app.o"]
    assert "lib_unused" in link.cref and len(link.cref["lib_unused"]) == 1
    patterns = {e.name: e.pattern for e in link.entries if e.object}
    assert patterns[".hooks"] == "*(.hooks)"
    assert patterns[".text.parse"] == "*(.text.text.*)"
    assert "." in link.assigned and "extra_root" not in link.assigned


def test_assigned_symbols(tmp_path):
    path = tmp_path / "a.map"
    path.write_text("Linker script and memory map\n\n"
                    "                0x00007c00                __image_start = .\n"
                    ".text           0x00007c00       0x10\n"
                    " *(.text)\n"
                    " .text          0x00007c00       0x10 a.o\n"
                    "                0x00007c10                PROVIDE (etext = .)\n"
                    "                [!provide]                PROVIDE (edata = .)\n")
    link = mapfile.read_map(path)
    assert link.assigned == {"__image_start", "etext"}
    assert [(e.name, e.pattern) for e in link.entries] == [(".text", "*(.text)")]


def test_odd_text_reads_as_its_decoded_lines(tmp_path):
    """The C loop reads the bytes as the text they decode to: CR LF lines,
    Unicode blanks between tokens, invalid UTF-8 replaced, numbers as
    int(token, 16) takes them (an underscore, another script's digits,
    past 64 bits), a long name alone on its line."""
    path = tmp_path / "odd.map"
    path.write_bytes(
        b"Discarded input sections\r\n\r\n"
        b" .text.gone\xe3\x80\x80\r\n"
        b"                0x0000000000000000       0x10 gone\xff.o\r\n"
        b"\r\n"
        b"Linker script and memory map\r\n\r\n"
        b".text           0x0000000000001000      0x130\r\n"
        b" .text\xe3\x80\x80  0x0000000000001000\xc2\xa00x_1_0 a.o\r\n"
        b" .text.a_very_long_input_section_name\r\n"
        + "                0x0000000000001010       0x\uff11\uff12 lib b.a(c.o)\r\n".encode()
        + b" .text.bad      0x0000000000001022       0x1__0 d.o\r\n"
        b" .text.big      0x0000000000001022       0x" + b"f" * 17 + b" e.o\r\n"
        b" ** fill        0x0000000000001030       0x100\r\n")
    link = mapfile.read_map(path)
    assert [tuple(e)[:6] for e in link.entries] == [
        (".text", ".text", 0x1000, 0x10, "a.o", False),
        (".text.a_very_long_input_section_name", ".text", 0x1010, 0x12, "lib b.a(c.o)", False),
        (".text.big", ".text", 0x1022, 16 ** 17 - 1, "e.o", False),
        ("*fill*", ".text", 0x1030, 0x100, None, True)]
    assert [tuple(e)[:5] for e in link.discarded] == [
        (".text.gone", "", 0, 0x10, "gone\ufffd.o")]
    assert link.sections[".text"].size == 0x130
