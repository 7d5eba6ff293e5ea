"""attribute.attribute on real links, against the ld map and binutils."""

import collections
import re
from array import array

import pytest
from hypothesis import given, settings, strategies as st

from elfwriter import Section, Symbol as Sym, write_elf
from membudget import model
from membudget.analysis import attribute
from membudget.read import elf
from membudget.read.elf import STB_GLOBAL, STT_FILE, STT_FUNC

FIX = "tests/tools/fixtures/"
COMPONENTS = [
    model.ComponentDef("heap", paths=(FIX + "heap.c",)),
    model.ComponentDef("e820_map", paths=(FIX + "e820.c",)),
    model.ComponentDef("main", paths=(FIX + "main.c",)),
]
OBJECT_COMPONENT = {"heap.o": "heap", "e820.o": "e820_map", "main.o": "main"}
FREESTANDING = ["-ffunction-sections", "-fdata-sections"]

INPUT_LINE = re.compile(r"^ (\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
NAME_LINE = re.compile(r"^ (\S+)$")
NUMBERS_LINE = re.compile(r"^\s{2,}0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")


def map_oracle(built, image):
    """Sum the map's input-section lines per (component, class).

    A deliberately separate parser (regular expressions) from mapfile.py.
    """
    text = built.map.read_text()
    text = text[text.index("Linker script and memory map"):]
    classes = {s.name: s.cls for s in image.allocated()}
    sums = collections.Counter()
    output = None
    name = None
    for line in text.splitlines():
        if line[:1] not in ("", " "):
            output = line.split()[0]
            continue
        m = INPUT_LINE.match(line)
        if m:
            name, size, obj = m.group(1), int(m.group(3), 16), m.group(4)
        else:
            n = NAME_LINE.match(line)
            if n:
                name = n.group(1)
                continue
            m = NUMBERS_LINE.match(line)
            if not m or name is None:
                continue
            size, obj = int(m.group(2), 16), m.group(3)
        name = None
        comp = OBJECT_COMPONENT.get(obj.rsplit("/", 1)[-1])
        # ld lists sections it creates (.note.gnu.build-id, .got) under
        # the first input object; they are not that object's bytes
        if attribute._matches(output, attribute.LINKER_SECTIONS):
            continue
        if comp and classes.get(output) and size:
            sums[(comp, classes[output])] += size
    return sums


def component_sums(result, source=None):
    sums = collections.Counter()
    for piece in result.pieces:
        if piece.component and (source is None or piece.source == source):
            sums[(piece.component, piece.cls)] += piece.size
    return sums


def run(built, components=COMPONENTS, **kwargs):
    image = elf.read_image(built.elf)
    return image, attribute.attribute(image, components, project_root=attribute_root(),
                                      **kwargs)


def attribute_root():
    import pathlib
    return str(pathlib.Path(__file__).resolve().parents[2])


def assert_tiles(image, result):
    """The pieces tile every allocated section and add up to `size -A`."""
    attribute.check_invariant(image, result.pieces)
    by_class = collections.Counter()
    for piece in result.pieces:
        by_class[piece.cls] += piece.size
    assert dict(by_class) == {k: v for k, v in elf.class_totals(image).items() if v}


ARCHES = {
    "i386": dict(arch="i386"),
    "x86_64": dict(arch="x86_64"),
    "arm": dict(arch="arm", cflags=FREESTANDING),
    "armbe": dict(arch="armbe"),
    "riscv64": dict(arch="riscv64", cflags=FREESTANDING, ldflags=["-Wl,--gc-sections"]),
}


@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_components_equal_map_sums(build_elf, arch):
    built = build_elf("attr-" + arch, **ARCHES[arch])
    image, result = run(built, map_path=built.map)
    assert_tiles(image, result)
    oracle = map_oracle(built, image)
    assert oracle[("heap", "bss")] >= 512
    assert component_sums(result) == oracle
    # DWARF, not the map, decided most of it
    assert result.source_bytes[model.SOURCE_DWARF] > result.source_bytes[model.SOURCE_MAP]


def test_without_map_code_and_data_match_map(build_elf):
    """DWARF and symbols alone agree with the map where nothing is merged."""
    built = build_elf("attr-fs", arch="i386", cflags=FREESTANDING + ["-fno-pic"],
                      freestanding=True)
    image, result = run(built)
    assert_tiles(image, result)
    assert result.unavailable[model.SOURCE_MAP] == "no map given"
    ours, oracle = component_sums(result), map_oracle(built, image)
    for key in oracle:
        if key[1] in ("code", "data"):
            assert ours[key] == oracle[key], key
    # What the map gives in rodata beyond DWARF is string literals
    buckets = collections.Counter()
    for piece in result.pieces:
        if piece.cls == "rodata":
            buckets[piece.bucket] += piece.size
    strings = sum(oracle[(c, "rodata")] - ours[(c, "rodata")] for c in OBJECT_COMPONENT.values())
    assert buckets[model.BUCKET_MERGED_STRINGS] == strings > 0


def test_symbol_sizes_match_nm(build_elf):
    built = build_elf("attr-i386", **ARCHES["i386"])
    image, result = run(built)
    by_symbol = collections.Counter()
    for piece in result.pieces:
        if piece.symbol:
            by_symbol[piece.symbol] += piece.size
    nm = {name: size for (name, _), size in built.tools.nm_sizes(built.elf).items()}
    for name in ("heap_alloc", "heap_name", "heap_fits", "heap_pool", "e820_table",
                 "e820_describe", "main", "main_sink", "calls.0"):
        assert by_symbol[name] == nm[name], name


def test_boundary_symbols(build_elf):
    built = build_elf("attr-boundary", arch="i386", cflags=FREESTANDING,
                      script="boundary.lds", ldflags=["-Wl,--gc-sections"])
    image, result = run(built, components=COMPONENTS[:2] + [
        model.ComponentDef("rest", catch_all=True)])
    assert_tiles(image, result)
    syms = {s.name: s.addr for s in image.symbols if s.name.startswith("__mb_")}
    expected = collections.Counter()
    for name, addr in syms.items():
        m = re.fullmatch(r"__mb_(.+)_(code|rodata|data|bss)_start", name)
        if m:
            end = syms[name[:-len("start")] + "end"]
            expected[(m.group(1), m.group(2))] += end - addr
    assert ("e820_map", "code") in expected
    boundary = component_sums(result, model.SOURCE_BOUNDARY)
    assert boundary == expected
    assert result.source_bytes[model.SOURCE_BOUNDARY] == sum(expected.values())
    assert model.SOURCE_BOUNDARY not in result.unavailable
    # Inside a boundary range the pieces still name files and symbols
    alloc = [p for p in result.pieces if p.symbol == "heap_alloc"]
    assert alloc and alloc[0].component == "heap"
    assert alloc[0].file == FIX + "heap.c"
    # main.c has no component and no boundary: the catch-all takes it
    assert {p.component for p in result.pieces if p.file == FIX + "main.c"} == {"rest"}


def test_boundary_map_fill_and_linker_data(build_elf):
    built = build_elf("attr-boundary", arch="i386", cflags=FREESTANDING,
                      script="boundary.lds", ldflags=["-Wl,--gc-sections"])
    image, result = run(built, map_path=built.map)
    assert_tiles(image, result)
    data = [p for p in result.pieces if p.section == ".data"]
    assert data[-1].bucket == model.BUCKET_LINKER and data[-1].size == 4  # LONG()
    fills = [p for p in result.pieces if p.bucket == model.BUCKET_PADDING
             and p.source == model.SOURCE_MAP]
    assert fills


def test_unknown_boundary_component_warns(build_elf):
    built = build_elf("attr-boundary", arch="i386", cflags=FREESTANDING,
                      script="boundary.lds", ldflags=["-Wl,--gc-sections"])
    _, result = run(built, components=COMPONENTS[:1])
    assert "boundary symbols name components the budgets do not define: e820_map" \
        in result.warnings


def test_stripped_says_what_is_missing(build_elf):
    built = build_elf("attr-stripped", arch="x86_64", strip=True)
    image, result = run(built)
    assert_tiles(image, result)
    assert result.unavailable[model.SOURCE_DWARF] == "no DWARF"
    assert result.unavailable[model.SOURCE_FILE_SYMBOLS] in ("no symbol table",
                                                             "no STT_FILE symbols")
    assert result.unavailable[model.SOURCE_MAP] == "no map given"
    assert not component_sums(result)
    buckets = {p.bucket for p in result.pieces}
    assert model.BUCKET_LINKER in buckets and model.BUCKET_UNATTRIBUTED in buckets


def test_shared_object_linker_sections(build_elf):
    built = build_elf("attr-shared", arch="x86_64", shared=True, sources=("heap.c", "tls.c"))
    image, result = run(built, map_path=built.map)
    assert_tiles(image, result)
    owners = {}
    for piece in result.pieces:
        owners.setdefault(piece.section, set()).add(piece.component or piece.bucket)
    for name in (".dynsym", ".dynstr", ".got", ".dynamic", ".gnu.hash"):
        assert owners[name] == {model.BUCKET_LINKER}, name
    assert owners[".tbss"] == {model.BUCKET_UNATTRIBUTED}    # tls.c has no component
    assert "heap" in owners[".text"]


def test_relocatable_object(build_elf):
    for debug in (True, False):
        built = build_elf(f"attr-obj-{debug}", arch="i386", sources=("heap.c",),
                          relocatable=True, debug=debug)
        image, result = run(built)
        assert_tiles(image, result)
        owned = sum(p.size for p in result.pieces if p.component == "heap")
        assert owned == sum(s.size for s in image.allocated()) > 0
        source = model.SOURCE_DWARF if debug else model.SOURCE_FILE_SYMBOLS
        assert result.source_bytes[source] == owned


def test_catch_all_takes_known_files(build_elf):
    built = build_elf("attr-i386", **ARCHES["i386"])
    comps = COMPONENTS + [model.ComponentDef("libc", catch_all=True)]
    image, result = run(built, components=comps, map_path=built.map)
    assert_tiles(image, result)
    for piece in result.pieces:
        if piece.bucket == model.BUCKET_UNATTRIBUTED:
            assert piece.file is None and piece.symbol is None, piece
    assert any(p.component == "libc" and "crt" in (p.file or "") for p in result.pieces)


def test_symbol_and_section_globs(build_elf):
    built = build_elf("attr-nodebug", arch="i386", debug=False)
    comps = [model.ComponentDef("e820_map", symbols=("e820_*",)),
             model.ComponentDef("init", sections=(".init",)),
             model.ComponentDef("other", paths=("nothing/*.c",))]
    image, result = run(built, components=comps)
    assert_tiles(image, result)
    nm = {name: size for (name, _), size in built.tools.nm_sizes(built.elf).items()}
    sums = collections.Counter()
    for p in result.pieces:
        if p.component == "e820_map":
            sums[p.symbol] += p.size
    for name in ("e820_describe", "e820_table", "e820_scratch", "e820_count"):
        assert sums[name] == nm[name], name
    init = [p for p in result.pieces if p.section == ".init"]
    assert {(p.component, p.source) for p in init} == {("init", model.SOURCE_GLOBS)}
    assert any("nothing/*.c" in w for w in result.warnings)
    assert result.unavailable[model.SOURCE_DWARF] == "no DWARF"


def test_file_claimed_twice_is_input_error(build_elf):
    built = build_elf("attr-i386", **ARCHES["i386"])
    comps = [model.ComponentDef("a", paths=(FIX + "heap.c",)),
             model.ComponentDef("b", paths=(FIX + "h*.c",))]
    with pytest.raises(model.InputError, match="'a' and 'b'"):
        run(built, components=comps)


def test_merged_strings_from_objects(build_elf):
    built = build_elf("attr-fs", arch="i386", cflags=FREESTANDING + ["-fno-pic"],
                      freestanding=True)
    image, without = run(built)
    image, with_objects = run(built, objects=[str(o) for o in built.objects])
    assert_tiles(image, with_objects)
    strings = sum(p.size for p in without.pieces if p.bucket == model.BUCKET_MERGED_STRINGS)
    found = sum(p.size for p in with_objects.pieces if p.source == model.SOURCE_OBJECTS)
    assert found == strings > 0
    assert with_objects.source_bytes[model.SOURCE_OBJECTS] == found
    text = [p for p in with_objects.pieces if p.source == model.SOURCE_OBJECTS]
    assert {p.component for p in text} == {"heap", "e820_map"}
    assert "object strings" not in with_objects.unavailable
    # the map agrees on who owns the string bytes
    oracle = map_oracle(build_elf("attr-fs-map", arch="i386",
                                  cflags=FREESTANDING + ["-fno-pic"], freestanding=True),
                        image)
    assert component_sums(with_objects)[("heap", "rodata")] == oracle[("heap", "rodata")]


def test_bad_map_is_input_error(build_elf, tmp_path):
    built = build_elf("attr-i386", **ARCHES["i386"])
    bad = tmp_path / "bad.map"
    bad.write_text("this is not a map\n")
    with pytest.raises(model.InputError, match="not a GNU ld map"):
        run(built, map_path=bad)


def test_invariant_catches_a_gap(build_elf):
    built = build_elf("attr-i386", **ARCHES["i386"])
    image, result = run(built)
    with pytest.raises(attribute.AttributionError):
        attribute.check_invariant(image, result.pieces[:-1])
    broken = list(result.pieces)
    broken[3] = broken[3]._replace(size=broken[3].size + 1)
    with pytest.raises(attribute.AttributionError):
        attribute.check_invariant(image, broken)


def test_tls_symbols_land_in_tls_sections(build_elf):
    """STT_TLS values are offsets in the TLS segment, not addresses."""
    built = build_elf("attr-shared", arch="x86_64", shared=True, sources=("heap.c", "tls.c"))
    comps = [model.ComponentDef("tls", symbols=("tls_*",))]
    image, result = run(built, components=comps)
    assert_tiles(image, result)
    owned = collections.Counter()
    for piece in result.pieces:
        if piece.component == "tls":
            owned[(piece.section, piece.symbol)] += piece.size
    nm = {name: size for (name, _), size in built.tools.nm_sizes(built.elf).items()}
    assert owned[(".tbss", "tls_buffer")] == nm["tls_buffer"] == 400
    assert owned[(".tdata", "tls_counter")] == nm["tls_counter"]


def test_objects_name_the_files_of_globals(build_elf, tmp_path):
    """Without DWARF and map, the objects' symbol tables place globals."""
    built = build_elf("attr-i386", **ARCHES["i386"])
    elf_path = tmp_path / "nodwarf.elf"
    built.tools.run("objcopy", "--strip-debug", str(built.elf), str(elf_path))
    image = elf.read_image(elf_path)
    assert not image.has_dwarf
    comps = COMPONENTS[:2]
    bare = attribute.attribute(image, comps, project_root=attribute_root())
    informed = attribute.attribute(image, comps, project_root=attribute_root(),
                                   objects=[str(o) for o in built.objects])
    assert_tiles(image, informed)
    nm = {name: size for (name, _), size in built.tools.nm_sizes(elf_path).items()}
    owner = {}
    for piece in informed.pieces:
        if piece.symbol:
            owner[piece.symbol] = piece.component
    for name, comp in (("heap_alloc", "heap"), ("e820_describe", "e820_map"),
                       ("heap_failures", "heap"), ("e820_table", "e820_map")):
        assert owner[name] == comp, name
    before, after = component_sums(bare), component_sums(informed)
    added = sum(nm[n] for n in ("heap_alloc", "heap_name", "heap_failures",
                                "heap_sizes", "e820_describe", "e820_table"))
    assert sum(after.values()) - sum(before.values()) >= added


def test_map_objects_found_in_the_project_tree(build_elf):
    """Objects gone from disk and no DWARF: the object's stem finds its
    source when one project file fits better than any other, else nothing."""
    built = build_elf("attr-noobj", arch="i386", debug=False)
    for obj in built.objects:
        obj.unlink()
    image, result = run(built, map_path=built.map)
    assert_tiles(image, result)
    files = {p.file for p in result.pieces if p.source == model.SOURCE_MAP}
    # e820.c is the only e820 source in the project; heap.c and main.c are
    # also firmware files, and no directory of the object path decides
    assert FIX + "e820.c" in files
    assert not any(f and f.endswith("heap.c") for f in files)
    assert ("e820_map", "data") in component_sums(result)


def test_damaged_inputs_never_break_the_invariant(build_elf, tmp_path):
    """Flip bytes in symbols, DWARF and the map: InputError or exact pieces."""
    built = build_elf("attr-i386", **ARCHES["i386"])
    image = elf.read_image(built.elf)
    data = built.elf.read_bytes()
    spots = []
    for name, step in ((".symtab", 19), (".debug_info", 41), (".debug_aranges", 5),
                       (".debug_abbrev", 23)):
        sec = next(s for s in image.sections if s.name == name)
        spots += range(sec.offset, sec.offset + sec.size, step)
    path = tmp_path / "damaged.elf"
    for number, pos in enumerate(spots):
        damaged = bytearray(data)
        damaged[pos] ^= 0xFF if number % 2 else 0x11
        path.write_bytes(bytes(damaged))
        try:
            img = elf.read_image(path)
            result = attribute.attribute(img, COMPONENTS, map_path=built.map,
                                         project_root=attribute_root())
        except model.InputError:
            continue
        attribute.check_invariant(img, result.pieces)
    lines = built.map.read_text().splitlines()
    bad_map = tmp_path / "damaged.map"
    for cut in range(0, len(lines), 23):
        bad_map.write_text("\n".join(lines[:cut] + [l[::-1] for l in lines[cut:cut + 9]]
                                     + lines[cut + 9:]))
        try:
            result = attribute.attribute(image, COMPONENTS, map_path=bad_map)
        except model.InputError:
            continue
        attribute.check_invariant(image, result.pieces)


FDE_LINE = re.compile(r"^([0-9a-f]+) ([0-9a-f]+) [0-9a-f]+ FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\.\.")


@pytest.mark.parametrize("arch", ["i386", "x86_64"])
def test_eh_frame_follows_functions(build_elf, arch):
    """Each FDE goes with its function; oracle: readelf's frame dump."""
    built = build_elf(f"attr-unwind-{arch}", arch=arch,
                      cflags=["-fasynchronous-unwind-tables"])
    image, result = run(built)
    assert_tiles(image, result)
    funcs = {s.addr: s.name for s in image.symbols if s.kind == "func" and s.size}
    owner = {"heap_alloc": "heap", "heap_name": "heap", "heap_fits": "heap",
             "e820_describe": "e820_map", "e820_count": "e820_map", "main": "main"}
    expected = collections.Counter()
    frames = built.tools.run("readelf", "--debug-dump=frames", str(built.elf))
    for line in frames.splitlines():
        m = FDE_LINE.match(line)
        if m and funcs.get(int(m.group(3), 16)) in owner:
            expected[owner[funcs[int(m.group(3), 16)]]] += int(m.group(2), 16) + 4
    ours = collections.Counter()
    for piece in result.pieces:
        if piece.section == ".eh_frame" and piece.component:
            ours[piece.component] += piece.size
    assert set(expected) == {"heap", "e820_map", "main"}
    assert ours == expected


def test_bad_eh_frame_is_a_warning(build_elf, tmp_path):
    built = build_elf("attr-unwind-x86_64", arch="x86_64",
                      cflags=["-fasynchronous-unwind-tables"])
    image = elf.read_image(built.elf)
    sec = next(s for s in image.sections if s.name == ".eh_frame")
    data = bytearray(built.elf.read_bytes())
    data[sec.offset:sec.offset + 4] = (sec.size * 2).to_bytes(4, "little")
    path = tmp_path / "eh.elf"
    path.write_bytes(bytes(data))
    image = elf.read_image(path)
    result = attribute.attribute(image, COMPONENTS, project_root=attribute_root())
    attribute.check_invariant(image, result.pieces)
    assert any(w.startswith(".eh_frame ignored: bad .eh_frame") for w in result.warnings)


@pytest.mark.parametrize("bits, endian", [(64, "big"), (32, "big")])
def test_big_endian_synthetic(synthetic_elf, bits, endian):
    built = synthetic_elf(bits, endian, 21 if bits == 64 else 8)
    image = elf.read_image(built.elf)
    comps = [model.ComponentDef("globals", symbols=("global_*",)),
             model.ComponentDef("synth", paths=("synth.c",))]
    result = attribute.attribute(image, comps)
    assert_tiles(image, result)
    assert component_sums(result) == {("globals", "code"): 16, ("globals", "data"): 16,
                                      ("synth", "code"): 8}
    assert result.source_bytes[model.SOURCE_FILE_SYMBOLS] == 8


@pytest.mark.parametrize("linker", ["gold", "lld"])
def test_other_linkers_maps_agree_with_dwarf(build_elf, linker):
    """With gold's or lld's map, components still equal the map's objects;
    strings those linkers merged across objects are [merged strings]."""
    built = build_elf(f"map-{linker}", arch="i386", cflags=FREESTANDING,
                      freestanding=True, linker=linker)
    image, result = run(built, map_path=built.map)
    assert_tiles(image, result)
    sums = component_sums(result)
    nm = {name: size for (name, _), size in built.tools.nm_sizes(built.elf).items()}
    assert sums[("heap", "code")] == nm["heap_alloc"] + nm["heap_name"] + nm["heap_fits"]
    assert sums[("e820_map", "bss")] == nm["e820_scratch"]
    merged = [p for p in result.pieces if p.bucket == model.BUCKET_MERGED_STRINGS]
    # (lld flags its .rodata "merge strings": its ownerless rest is merged too)
    assert model.SOURCE_MAP in {p.source for p in merged}


def test_overlapping_boundaries_warn(build_elf):
    """Boundary symbols may also come from --defsym (absolute symbols)."""
    built = build_elf("attr-defsym", arch="i386", ldflags=[
        "-Wl,--defsym=__mb_heap_code_start=heap_alloc",
        "-Wl,--defsym=__mb_heap_code_end=heap_name",
        "-Wl,--defsym=__mb_e820_map_code_start=heap_alloc+8",
        "-Wl,--defsym=__mb_e820_map_code_end=heap_alloc+16"])
    image, result = run(built)
    assert_tiles(image, result)
    assert any("boundary ranges of e820_map and heap overlap" in w or
               "boundary ranges of heap and e820_map overlap" in w
               for w in result.warnings), result.warnings
    syms = {s.name: s for s in image.symbols}
    alloc = syms["heap_alloc"]
    expected = syms["heap_name"].addr - alloc.addr
    assert result.source_bytes[model.SOURCE_BOUNDARY] == expected


# extents drawn from a few as often as not: sources claim one function or
# object with the same extent, the sweep's commonest cluster
CLAIM = st.tuples(st.sampled_from([0, 8, 16]) | st.integers(0, 40),
                  st.sampled_from([8, 16]) | st.integers(1, 24), st.integers(0, 6),
                  st.sampled_from([None, "a", "b"]), st.sampled_from([None, "f", "g"]),
                  st.sampled_from([None, "s", "t"]))


@settings(max_examples=300, deadline=None)
@given(size=st.integers(1, 48), raw=st.lists(CLAIM, max_size=12))
def test_sweep_matches_brute_force(size, raw):
    """Every byte gets the best-ranked owner, file and symbol covering it."""
    # classes and their sources vary with seq: the map's beat every other;
    # a claim's place in the columns is its seq
    kinds = model.CLASSES + (None,)
    claims = [(start, min(start + length, size),
               (rank, comp, None, file, sym, model.SOURCE_MAP if seq % 3 == 0 else "x",
                kinds[seq % 5]))
              for seq, (start, length, rank, comp, file, sym) in enumerate(raw)
              if start < size]
    starts, ends = array("Q", [c[0] for c in claims]), array("Q", [c[1] for c in claims])
    runs = list(attribute._sweep(size, starts, ends, [c[2] for c in claims]))
    assert runs[0][0] == 0 and runs[-1][1] == size
    assert all(a[1] == b[0] for a, b in zip(runs, runs[1:]))

    def best(byte, field):
        covering = [seq for seq, (start, end, payload) in enumerate(claims)
                    if start <= byte < end and payload[field]]
        return min(covering, key=lambda seq: (claims[seq][2][0], seq), default=None)

    def best_class(byte):
        covering = [seq for seq, (start, end, payload) in enumerate(claims)
                    if start <= byte < end and payload[attribute.CLS]]
        return min(covering, key=lambda seq: (claims[seq][2][attribute.SOURCE]
                                              != model.SOURCE_MAP, seq), default=None)

    for start, end, owner, file, symbol, cls in runs:
        for byte in range(start, end):
            assert owner == best(byte, attribute.COMPONENT)
            assert file == best(byte, attribute.FILE)
            assert symbol == best(byte, attribute.SYMBOL)
            assert cls == best_class(byte)


def _hand_map(tmp_path, sections, lines):
    """An ELF of sections (elfwriter) and a GNU map of those lines."""
    elf_path, map_path = tmp_path / "hand.elf", tmp_path / "hand.map"
    write_elf(elf_path, sections, [])
    map_path.write_text("Linker script and memory map\n\n" + "\n".join(lines) + "\n")
    return elf.read_image(str(elf_path)), map_path


def test_map_entries_clipped_to_the_next_one(tmp_path):
    """ld lists two inputs at overlapping addresses (sizes before merging):
    each claims up to where the next one of its output section starts, so
    the later one keeps its bytes (its claim would lose the rank tie)."""
    text = Section(".text", "code", 0x1000, 0x40, bytes(0x40))
    image, map_path = _hand_map(tmp_path, [text], [
        ".text           0x0000000000001000       0x40",
        " .text.a        0x0000000000001000       0x30 a.o",
        " .text.b        0x0000000000001010       0x30 b.o"])
    comps = [model.ComponentDef("a", paths=("a.o",)), model.ComponentDef("b", paths=("b.o",))]
    result = attribute.attribute(image, comps, map_path=map_path)
    owned = collections.Counter()
    for piece in result.pieces:
        owned[piece.component] += piece.size
    assert owned == {"a": 0x10, "b": 0x30}


def test_map_class_of_an_unnamed_input_in_a_writable_section(tmp_path):
    """An input whose name says no class, in a writable PROGBITS section,
    is data by the map (a table in a mixed section), not by section flags."""
    data = Section(".data", "data", 0x2000, 0x20, bytes(0x20))
    image, map_path = _hand_map(tmp_path, [data], [
        ".data           0x0000000000002000       0x20",
        " .mytable       0x0000000000002000       0x20 t.o"])
    result = attribute.attribute(image, [model.ComponentDef("t", paths=("t.o",))],
                                 map_path=map_path)
    assert [(p.component, p.cls, p.size) for p in result.pieces] == [("t", "data", 0x20)]
    assert result.class_bytes[attribute.CLASS_MAP] == 0x20


def test_map_object_claimed_twice_is_input_error(tmp_path):
    """The component globs' error, raised inside the map's C loop, reaches
    the caller as it is."""
    text = Section(".text", "code", 0x1000, 0x40, bytes(0x40))
    image, map_path = _hand_map(tmp_path, [text], [
        ".text           0x0000000000001000       0x40",
        " .text.a        0x0000000000001000       0x40 a.o"])
    comps = [model.ComponentDef("a", paths=("a.o",)), model.ComponentDef("b", paths=("*.o",))]
    with pytest.raises(model.InputError, match="'a' and 'b'"):
        attribute.attribute(image, comps, map_path=map_path)


def test_global_between_locals_of_one_file_takes_that_file(tmp_path):
    """With no DWARF and no map, a global whose nearest sized locals before
    and after it both belong to one STT_FILE is that file's; one between
    two files' locals stays unowned."""
    text = Section(".text", "code", 0x1000, 0x60, bytes(0x60))
    path = tmp_path / "sandwich.elf"
    write_elf(path, [text], [
        Sym("a.c", None, 0, kind=STT_FILE),
        Sym("a_first", 0, 0x1000, 0x10, STT_FUNC), Sym("a_last", 0, 0x1020, 0x10, STT_FUNC),
        Sym("b.c", None, 0, kind=STT_FILE),
        Sym("b_only", 0, 0x1040, 0x10, STT_FUNC),
        Sym("in_a", 0, 0x1010, 0x10, STT_FUNC, STB_GLOBAL),
        Sym("between", 0, 0x1030, 0x10, STT_FUNC, STB_GLOBAL)])
    comps = [model.ComponentDef("a", paths=("a.c",)), model.ComponentDef("b", paths=("b.c",))]
    result = attribute.attribute(elf.read_image(str(path)), comps)
    owner = {p.symbol: (p.component, p.file) for p in result.pieces if p.symbol}
    assert owner["in_a"] == ("a", "a.c")
    assert owner["a_first"] == owner["a_last"] == ("a", "a.c")
    assert owner["b_only"] == ("b", "b.c")
    assert owner["between"] == (None, None)
