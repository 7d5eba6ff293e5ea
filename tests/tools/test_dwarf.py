"""dwarf.read_units against pyelftools (unit names, aranges) and nm."""

import shutil
import struct

import pytest
from elftools.elf.elffile import ELFFile

from membudget import model
from membudget.analysis import attribute
from membudget.read import dwarf, elf

FIX = "tests/tools/fixtures/"
BUILDS = {
    "dw-i386": dict(arch="i386"),
    "dw-x86_64": dict(arch="x86_64"),
    "dw-arm": dict(arch="arm", cflags=["-ffunction-sections"]),
    "dw-riscv64": dict(arch="riscv64"),
    "dw-dwarf2": dict(arch="i386", cflags=["-gdwarf-2"]),
    "dw-dwarf4": dict(arch="x86_64", cflags=["-gdwarf-4", "-ffunction-sections"]),
    "dw-sections": dict(arch="x86_64", cflags=["-ffunction-sections", "-fdata-sections"]),
}


@pytest.fixture(params=sorted(BUILDS))
def linked(request, build_elf):
    return build_elf(request.param, **BUILDS[request.param])


def pyelftools_units(path):
    """{unit offset: (name, comp_dir, sorted aranges)} by pyelftools."""
    with open(path, "rb") as f:
        info = ELFFile(f).get_dwarf_info()
        aranges = info.get_aranges()
        result = {}
        for cu in info.iter_CUs():
            top = cu.get_top_DIE()
            name = top.attributes["DW_AT_name"].value.decode()
            comp = top.attributes["DW_AT_comp_dir"].value.decode()
            ranges = sorted((e.begin_addr, e.begin_addr + e.length)
                            for e in aranges.entries
                            if e.info_offset == cu.cu_offset and e.length)
            result[cu.cu_offset] = (name, comp, ranges)
    return result


def test_units_match_pyelftools(linked):
    units = dwarf.read_units(elf.read_image(linked.elf))
    ours = {u.offset: (u.name, u.comp_dir, sorted(u.ranges)) for u in units}
    assert ours == pyelftools_units(linked.elf)
    assert {u.name for u in units} >= {FIX + "heap.c", FIX + "e820.c", FIX + "main.c"}


def test_variables_match_nm(linked):
    image = elf.read_image(linked.elf)
    units = {u.name: u for u in dwarf.read_units(image)}
    nm = {name: (addr, size) for (name, addr), size in linked.tools.nm_sizes(linked.elf).items()}
    expect = {FIX + "heap.c": ("heap_pool", "heap_used", "heap_failures", "heap_sizes"),
              FIX + "e820.c": ("e820_table", "e820_scratch", "e820_types"),
              FIX + "main.c": ("main_sink",)}
    for name, symbols in expect.items():
        variables = dict(units[name].variables)
        for symbol in symbols:
            addr, size = nm[symbol]
            assert variables.get(addr) == size, (linked.name, symbol)


def test_code_ranges_cover_functions(linked):
    image = elf.read_image(linked.elf)
    units = {u.name: u for u in dwarf.read_units(image)}
    funcs = {s.name: s for s in image.symbols if s.kind == "func"}
    for unit, name in ((FIX + "heap.c", "heap_alloc"), (FIX + "e820.c", "e820_describe"),
                       (FIX + "main.c", "main")):
        sym = funcs[name]
        assert any(lo <= sym.addr and sym.addr + sym.size <= hi
                   for lo, hi in units[unit].ranges), (linked.name, name)


def _objcopy(built, tmp_path, *args):
    out = tmp_path / (built.name + "-copy")
    built.tools.run(built.tools.prefix + "objcopy", *args, str(built.elf), str(out))
    return out


@pytest.mark.parametrize("name", ["dw-i386", "dw-dwarf4", "dw-sections"])
def test_without_aranges_unit_dies_give_the_same_code(build_elf, tmp_path, name):
    built = build_elf(name, **BUILDS[name])
    copy = _objcopy(built, tmp_path, "--remove-section=.debug_aranges")
    merged = lambda ranges: sorted(ranges)
    full = {u.name: merged(u.ranges) for u in dwarf.read_units(elf.read_image(built.elf))}
    bare = {u.name: merged(u.ranges) for u in dwarf.read_units(elf.read_image(copy))}
    assert bare == full


def test_compressed_debug_sections(build_elf, tmp_path):
    built = build_elf("dw-x86_64", **BUILDS["dw-x86_64"])
    copy = _objcopy(built, tmp_path, "--compress-debug-sections=zlib")
    image = elf.read_image(copy)
    assert any(s.flags & elf.SHF_COMPRESSED for s in image.sections)
    strip = lambda units: [(u.name, u.comp_dir, u.ranges, u.variables) for u in units]
    assert strip(dwarf.read_units(image)) == \
        strip(dwarf.read_units(elf.read_image(built.elf)))


def test_clang_units(build_elf):
    """clang writes no .debug_aranges and uses DW_FORM_addrx/strx forms."""
    if shutil.which("clang") is None:
        pytest.skip("clang not installed")
    built = build_elf("dw-clang", arch="x86_64", cflags=["-ffunction-sections"])
    # build_elf used gcc; relink the same sources with clang
    out = built.workdir / "clang.elf"
    objs = []
    for src in built.sources:
        obj = built.workdir / ("clang-" + src.rsplit("/", 1)[-1] + ".o")
        built.tools.run("clang", "-g", "-O1", "-ffunction-sections", "-c", src, "-o", str(obj))
        objs.append(str(obj))
    built.tools.run("clang", "-o", str(out), *objs)
    image = elf.read_image(out)
    units = {u.name: u for u in dwarf.read_units(image)}
    funcs = {s.name: s for s in image.symbols if s.kind == "func"}
    heap = funcs["heap_alloc"]
    assert any(lo <= heap.addr < hi for lo, hi in units[FIX + "heap.c"].ranges)
    nm = {name: (addr, size) for (name, addr), size in built.tools.nm_sizes(out).items()}
    assert dict(units[FIX + "e820.c"].variables)[nm["e820_table"][0]] == nm["e820_table"][1]


def test_relocatable_object_names(build_elf):
    for arch in ("i386", "x86_64", "riscv64"):
        built = build_elf(f"dw-obj-{arch}", arch=arch, sources=("e820.c",), relocatable=True)
        units = dwarf.read_units(elf.read_image(built.elf))
        assert [(u.name, u.ranges) for u in units] == [(FIX + "e820.c", [])], arch


def test_no_dwarf_is_empty(build_elf):
    built = build_elf("dw-nodebug", arch="i386", debug=False)
    assert dwarf.read_units(elf.read_image(built.elf)) == []


def _corrupt(built, tmp_path, section, offset, value):
    image = elf.read_image(built.elf)
    sec = next(s for s in image.sections if s.name == section)
    data = bytearray(built.elf.read_bytes())
    data[sec.offset + offset:sec.offset + offset + len(value)] = value
    path = tmp_path / f"corrupt-{section}-{offset}.elf"
    path.write_bytes(bytes(data))
    return path


def test_bad_dwarf_is_input_error(build_elf, tmp_path):
    built = build_elf("dw-i386", **BUILDS["dw-i386"])
    cases = [(".debug_info", 0, struct.pack("<I", 0x7FFFFFF0)),   # unit past end
             (".debug_info", 4, struct.pack("<H", 9)),            # DWARF version 9
             (".debug_info", 8, struct.pack("<I", 0xFFFFFF)),     # abbrevs past end
             (".debug_abbrev", 0, b"\x7f"),                       # unknown abbreviation
             (".debug_aranges", 0, struct.pack("<I", 0x10000))]
    for section, offset, value in cases:
        path = _corrupt(built, tmp_path, section, offset, value)
        image = elf.read_image(path)
        with pytest.raises(model.InputError, match="bad DWARF"):
            dwarf.read_units(image)
        # attribution still runs, says why DWARF was not used
        result = attribute.attribute(image, [])
        assert result.unavailable[model.SOURCE_DWARF].startswith("bad DWARF")


def _uleb(data, pos):
    value = shift = 0
    while True:
        value |= (data[pos] & 0x7F) << shift
        shift += 7
        pos += 1
        if data[pos - 1] < 0x80:
            return value, pos


def _cu_low_pc_form(table):
    """Offset in an abbreviation table of DW_TAG_compile_unit's
    DW_AT_low_pc form byte."""
    pos = 0
    while True:
        _, pos = _uleb(table, pos)
        tag, pos = _uleb(table, pos)
        pos += 1                                    # children
        while True:
            attr, pos = _uleb(table, pos)
            form_at = pos
            form, pos = _uleb(table, pos)
            if form == 0x21:                        # implicit_const: its value
                _, pos = _uleb(table, pos)
            if (attr, form) == (0, 0):
                break
            if tag == 0x11 and attr == 0x11:
                return form_at


def test_unit_low_pc_of_a_non_address_form_is_input_error(build_elf, tmp_path):
    """A compile unit whose DW_AT_low_pc has a constant form (damage a
    fuzzer found): bad DWARF in one line, not a TypeError."""
    built = build_elf("dw-i386", **BUILDS["dw-i386"])
    # without .debug_aranges, the unit DIE's own pcs give its code
    bare = _objcopy(built, tmp_path, "--remove-section=.debug_aranges")
    image = elf.read_image(bare)
    abbrev = next(s for s in image.sections if s.name == ".debug_abbrev")
    data = bytearray(bare.read_bytes())
    # the compile unit's low pc: DW_FORM_addr becomes DW_FORM_data4, the
    # same 4 bytes
    data[abbrev.offset + _cu_low_pc_form(bytes(data[abbrev.offset:]))] = 0x06
    path = tmp_path / "low-pc-data4.elf"
    path.write_bytes(bytes(data))
    with pytest.raises(model.InputError, match=r"bad DWARF: unit at 0x0: DW_AT_low_pc "
                       r"of form 0x6 is no address"):
        dwarf.read_units(elf.read_image(path))


def test_random_damage_never_escapes(build_elf, tmp_path):
    built = build_elf("dw-x86_64", **BUILDS["dw-x86_64"])
    image = elf.read_image(built.elf)
    info = next(s for s in image.sections if s.name == ".debug_info")
    data = built.elf.read_bytes()
    path = tmp_path / "flip.elf"
    for pos in range(info.offset, info.offset + min(info.size, 600), 5):
        damaged = bytearray(data)
        damaged[pos] ^= 0x5A
        path.write_bytes(bytes(damaged))
        try:
            dwarf.read_units(elf.read_image(path))
        except model.InputError:
            pass
