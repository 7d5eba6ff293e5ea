"""elf.read_image against binutils: `size -A`, `readelf -S`, `nm -S`."""

import re
import struct

import pytest

from elfwriter import Section, Symbol, write_elf
from membudget import model
from membudget.read import elf
from membudget.read.elf import STB_GLOBAL, STT_FILE, STT_FUNC

# name -> build_elf keyword arguments; one ELF per architecture and kind
VARIANTS = {
    "i386": dict(arch="i386"),
    "i386-nodebug": dict(arch="i386", debug=False),
    "i386-obj": dict(arch="i386", relocatable=True),
    "i386-tls": dict(arch="i386", sources=("tls.c", "main.c", "heap.c", "e820.c")),
    "x86_64": dict(arch="x86_64"),
    "x86_64-stripped": dict(arch="x86_64", strip=True),
    "x86_64-shared": dict(arch="x86_64", shared=True, sources=("heap.c", "tls.c")),
    "x86_64-obj": dict(arch="x86_64", relocatable=True, sources=("e820.c",)),
    "arm": dict(arch="arm"),
    "armbe": dict(arch="armbe"),
    "riscv64": dict(arch="riscv64"),
}

READELF_SECTION = re.compile(
    r"^\s*\[\s*(\d+)\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)"
    r"\s+[0-9a-f]+\s+([A-Za-z]*)\s+\d+\s+\d+\s+\d+$")


def readelf_classes(built):
    """Classify sections from `readelf -SW` flags: {index: (name, cls)}."""
    out = built.tools.run("readelf", "-SW", str(built.elf))
    classes = {}
    for line in out.splitlines():
        m = READELF_SECTION.match(line)
        if not m or m.group(1) == "0":
            continue
        index, name, stype, _, flags = m.groups()
        cls = None
        if "A" in flags:
            if "X" in flags:
                cls = "code"
            elif stype == "NOBITS":
                cls = "bss"
            elif "W" in flags:
                cls = "data"
            else:
                cls = "rodata"
        classes[int(index)] = (name, cls)
    return classes


@pytest.fixture(params=sorted(VARIANTS))
def variant(request, build_elf):
    return build_elf(request.param, **VARIANTS[request.param])


def test_class_totals_match_size_A(variant):
    image = elf.read_image(variant.elf)
    sizes = variant.tools.size_sections(variant.elf)
    classes = readelf_classes(variant)
    expected = dict.fromkeys(model.CLASSES, 0)
    for name, cls in classes.values():
        if cls:
            expected[cls] += sizes[name]
    assert elf.class_totals(image) == expected
    assert sum(expected.values()) > 0


def test_sections_match_readelf(variant):
    image = elf.read_image(variant.elf)
    classes = readelf_classes(variant)
    assert {s.index: (s.name, s.cls) for s in image.sections} == classes


def test_symbol_sizes_match_nm(variant):
    image = elf.read_image(variant.elf)
    if "stripped" in variant.name:
        assert all(s.kind != "file" for s in image.symbols)
        return
    ours = {}
    for sym in image.symbols:
        if sym.section != 0 and sym.kind not in ("file", "section"):
            ours.setdefault((sym.name, sym.addr), sym.size)
    oracle = variant.tools.nm_sizes(variant.elf)
    assert oracle
    for key, size in oracle.items():
        assert ours.get(key) == size, key


def test_header_fields(build_elf):
    cases = [("arm", 32, "little", "EM_ARM", "ET_EXEC"),
             ("armbe", 32, "big", "EM_ARM", "ET_EXEC"),
             ("riscv64", 64, "little", "EM_RISCV", "ET_EXEC"),
             ("x86_64-shared", 64, "little", "EM_X86_64", "ET_DYN"),
             ("i386-obj", 32, "little", "EM_386", "ET_REL")]
    for name, bits, endian, machine, etype in cases:
        image = elf.read_image(build_elf(name, **VARIANTS[name]).elf)
        assert (image.elfclass, image.endian, image.machine, image.type) == \
            (bits, endian, machine, etype), name


def test_thumb_bit_cleared(build_elf):
    built = build_elf("arm", **VARIANTS["arm"])
    image = elf.read_image(built.elf)
    funcs = {s.name: s for s in image.symbols if s.kind == "func"}
    assert funcs["heap_alloc"].addr % 2 == 0
    raw = built.tools.run("arm-none-eabi-readelf", "-sW", str(built.elf))
    line = next(l for l in raw.splitlines() if l.endswith(" heap_alloc"))
    assert int(line.split()[1], 16) == funcs["heap_alloc"].addr + 1


def test_file_symbols_group_locals(build_elf):
    image = elf.read_image(build_elf("i386", **VARIANTS["i386"]).elf)
    by_name = {s.name: s for s in image.symbols}
    assert by_name["heap_pool"].file == "heap.c"
    assert by_name["heap_fits"].file == "heap.c"
    assert by_name["e820_scratch"].file == "e820.c"
    assert by_name["heap_alloc"].file is None       # global: no STT_FILE group


def test_empty_file_symbol_ends_the_group(tmp_path):
    """ld ends the last object's group with an empty STT_FILE before its own
    locals: those belong to no file, and a later group starts afresh."""
    text = Section(".text", "code", 0x1000, 0x40, bytes(0x40))
    path = tmp_path / "groups.elf"
    write_elf(path, [text], [
        Symbol("a.c", None, 0, kind=STT_FILE), Symbol("in_a", 0, 0x1000, 4),
        Symbol("", None, 0, kind=STT_FILE), Symbol("linker_local", 0, 0x1010, 4),
        Symbol("b.c", None, 0, kind=STT_FILE), Symbol("in_b", 0, 0x1020, 4),
        Symbol("global_b", 0, 0x1030, 4, STT_FUNC, STB_GLOBAL)])
    files = {s.name: s.file for s in elf.read_image(str(path)).symbols}
    assert files == {"a.c": None, "in_a": "a.c", "": None, "linker_local": None,
                     "b.c": None, "in_b": "b.c", "global_b": None}


def test_build_id_and_hash(build_elf):
    built = build_elf("x86_64", **VARIANTS["x86_64"])
    image = elf.read_image(built.elf)
    out = built.tools.run("readelf", "-n", str(built.elf))
    want = re.search(r"Build ID: ([0-9a-f]+)", out).group(1)
    assert image.build_id == want
    import hashlib
    assert image.sha256 == hashlib.sha256(built.elf.read_bytes()).hexdigest()
    assert image.has_dwarf
    assert not elf.read_image(build_elf("i386-nodebug", **VARIANTS["i386-nodebug"]).elf).has_dwarf


def test_hash_is_of_the_bytes_read_when_the_file_is_replaced(build_elf, tmp_path):
    """The hash is computed on first use; a link that replaces the file
    after it was read must not change it: it is the read bytes' hash."""
    import hashlib
    built = build_elf("x86_64", **VARIANTS["x86_64"])
    original = built.elf.read_bytes()
    path = tmp_path / "app.elf"
    path.write_bytes(original)
    image = elf.read_image(path)
    newer = tmp_path / "new.elf"
    newer.write_bytes(original[:-1] + bytes([original[-1] ^ 0xFF]))
    newer.replace(path)
    assert image.sha256 == hashlib.sha256(original).hexdigest()


# --- bad input: always InputError with a one-line message ----------------

def _expect_input_error(path, pattern):
    with pytest.raises(model.InputError) as err:
        elf.read_image(path)
    assert err.value.path == str(path)
    assert "\n" not in str(err.value)
    assert re.search(pattern, str(err.value)), str(err.value)


def _section_header_offset(data, index):
    """Offset of section header index in an ELF32 little-endian file."""
    shoff, = struct.unpack_from("<I", data, 0x20)
    return shoff + 40 * index


@pytest.fixture(scope="module")
def sample(build_elf):
    built = build_elf("i386", **VARIANTS["i386"])
    return built, built.elf.read_bytes(), elf.read_image(built.elf)


def test_not_an_elf(tmp_path):
    path = tmp_path / "notelf"
    path.write_text("#!/bin/sh\necho hello\n")
    _expect_input_error(path, "not an ELF")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    _expect_input_error(empty, "not an ELF")


def test_missing_file_and_directory(tmp_path):
    _expect_input_error(tmp_path / "nope", "No such file")
    _expect_input_error(tmp_path, "directory")


@pytest.mark.parametrize("cut", [4, 16, 30, 52, -1, -40, -200])
def test_truncated(sample, tmp_path, cut):
    _, data, image = sample
    if cut < 0:
        cut = len(data) + cut
    path = tmp_path / "cut.elf"
    path.write_bytes(data[:cut])
    _expect_input_error(path, "truncated|past end of file")


def test_truncated_inside_a_section(sample, tmp_path):
    _, data, image = sample
    text = next(s for s in image.sections if s.name == ".text")
    # Move the section header table to the end so only .text is cut
    path = tmp_path / "cut.elf"
    shoff, = struct.unpack_from("<I", data, 0x20)
    shdrs = data[shoff:]
    body = data[:text.offset + text.size // 2]
    patched = bytearray(body + shdrs)
    struct.pack_into("<I", patched, 0x20, len(body))
    path.write_bytes(bytes(patched))
    _expect_input_error(path, r"past end of file")


def test_section_offset_past_eof(sample, tmp_path):
    _, data, image = sample
    text = next(s for s in image.sections if s.name == ".text")
    patched = bytearray(data)
    struct.pack_into("<I", patched, _section_header_offset(data, text.index) + 16,
                     len(data) + 0x1000)
    path = tmp_path / "far.elf"
    path.write_bytes(bytes(patched))
    _expect_input_error(path, r"\.text.*past end of file")


def test_bad_symbol_entsize(sample, tmp_path):
    _, data, image = sample
    symtab = next(s for s in image.sections if s.name == ".symtab")
    patched = bytearray(data)
    struct.pack_into("<I", patched, _section_header_offset(data, symtab.index) + 36, 12)
    path = tmp_path / "entsize.elf"
    path.write_bytes(bytes(patched))
    _expect_input_error(path, "bad entry size 12")


def test_bad_symbol_name_offset(sample, tmp_path):
    _, data, image = sample
    symtab = next(s for s in image.sections if s.name == ".symtab")
    patched = bytearray(data)
    struct.pack_into("<I", patched, symtab.offset + 16 * 3, 0x7FFFFFFF)
    path = tmp_path / "strx.elf"
    path.write_bytes(bytes(patched))
    _expect_input_error(path, "string offset")


def test_unterminated_symbol_name(sample, tmp_path):
    """A name that runs to the string table's end without its NUL."""
    _, data, image = sample
    symtab = next(s for s in image.sections if s.name == ".symtab")
    strtab = next(s for s in image.sections if s.name == ".strtab")
    patched = bytearray(data)
    patched[strtab.offset + strtab.size - 1] = ord("x")
    struct.pack_into("<I", patched, symtab.offset + 16 * 3, strtab.size - 1)
    path = tmp_path / "unterminated.elf"
    path.write_bytes(bytes(patched))
    _expect_input_error(path, f"symbol 3: unterminated string at offset {strtab.size - 1:#x}")


def test_bad_section_header_size(sample, tmp_path):
    _, data, _ = sample
    patched = bytearray(data)
    struct.pack_into("<H", patched, 0x2E, 39)
    path = tmp_path / "shentsize.elf"
    path.write_bytes(bytes(patched))
    _expect_input_error(path, "section header size")


def test_bad_class_and_encoding(sample, tmp_path):
    _, data, _ = sample
    for offset, what in ((4, "class"), (5, "encoding")):
        patched = bytearray(data)
        patched[offset] = 9
        path = tmp_path / f"bad{offset}.elf"
        path.write_bytes(bytes(patched))
        _expect_input_error(path, what)


def test_garbage_never_escapes(sample, tmp_path):
    """Flip bytes all over the headers: InputError or a valid Image."""
    _, data, _ = sample
    shoff, = struct.unpack_from("<I", data, 0x20)
    path = tmp_path / "flip.elf"
    for pos in list(range(0, 52, 3)) + list(range(shoff, len(data), 7)):
        patched = bytearray(data)
        patched[pos] ^= 0xA5
        path.write_bytes(bytes(patched))
        try:
            elf.read_image(path)
        except model.InputError:
            pass


# (bits, endian, machine): big-endian 64-bit has no compiler here
SYNTHETIC = [(64, "big", 21), (32, "big", 8), (64, "little", 183), (32, "little", 243)]


@pytest.mark.parametrize("bits, endian, machine", SYNTHETIC)
def test_synthetic_against_binutils(synthetic_elf, bits, endian, machine):
    built = synthetic_elf(bits, endian, machine)
    image = elf.read_image(built.elf)
    assert (image.elfclass, image.endian) == (bits, endian)
    sizes = built.tools.size_sections(built.elf)
    classes = readelf_classes(built)
    expected = dict.fromkeys(model.CLASSES, 0)
    for name, cls in classes.values():
        if cls:
            expected[cls] += sizes[name]
    assert elf.class_totals(image) == expected == \
        {"code": 24, "rodata": 12, "data": 16, "bss": 48}
    ours = {(s.name, s.addr): s.size for s in image.symbols if s.size}
    assert ours == built.tools.nm_sizes(built.elf)
    files = {s.name: s.file for s in image.symbols}
    assert files["local_fn"] == "synth.c" and files["global_fn"] is None
