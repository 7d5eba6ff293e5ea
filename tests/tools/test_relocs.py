"""read/relocs.py and read/ldscript.py: relocation tables and linker scripts."""

import struct

import pytest

from membudget.model import InputError
from membudget.read import elf, ldscript, relocs


def test_tables_of_an_object_match_readelf(build_elf):
    built = build_elf("relocs-obj", sources=["graph/lib.c"], relocatable=True,
                      cflags=("-ffunction-sections", "-fdata-sections"))
    image = elf.read_image(built.elf)
    out = built.tools.run(built.tools.prefix + "readelf", "-rW", str(built.elf))
    counts = {}
    for line in out.splitlines():
        if line.startswith("Relocation section"):
            name = line.split("'")[1]
            counts[name] = int(line.split("contains ")[1].split()[0])
    found = {t.section.name: len(t.entries) for t in relocs.tables(image, allocated_only=False)}
    assert found == counts
    text = next(t for t in relocs.tables(image) if t.section.name == ".rel.text.parse")
    names = {image.symbols[s - 1].name for _, _, s, _ in text.entries}
    assert {"lib_shared", "parse_log"} <= names


def test_malformed_table_is_bad_input(build_elf, tmp_path):
    built = build_elf("relocs-bad", sources=["graph/lib.c"], relocatable=True,
                      cflags=("-ffunction-sections",))
    image = elf.read_image(built.elf)
    table = next(t for t in relocs.tables(image))
    data = bytearray(image.data)
    # the first entry's symbol index past the symbol table
    struct.pack_into("<I", data, table.section.offset + 4, 0xFFFF01)
    bad = tmp_path / "bad.o"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError, match="past the symbol table"):
        relocs.tables(elf.read_image(bad))


def test_i386_rel_addresses():
    """Final bytes of an --emit-relocs image: absolute, PC-relative, 16-bit."""
    sec = type("S", (), {"offset": 0, "addr": 0x1000, "size": 16, "type": 1})()
    data = struct.pack("<IiHH", 0x2345, 0x100 - 4, 0x2010, 0)
    image = type("I", (), {"machine": "EM_386", "endian": "little", "data": data})()
    assert relocs.reference_addresses(image, sec, (0x1000, 1, 1, None), 0) == [0x2345]
    assert relocs.reference_addresses(image, sec, (0x1004, 2, 1, None), 0) == [0x1104]
    assert relocs.reference_addresses(image, sec, (0x1008, 20, 1, None), 0x12000) == [0x12010]
    assert relocs.reference_addresses(image, sec, (0x1008, 99, 1, None), 0) == []


def test_rela_addresses():
    image = type("I", (), {"machine": "EM_X86_64", "endian": "little", "data": b""})()
    assert relocs.reference_addresses(image, None, (0, 2, 1, -8), 0x400) == \
        [0x400 - 8 + 4 + imm for imm in (0, 1, 2, 4)]
    image.machine = "EM_RISCV"
    assert relocs.reference_addresses(image, None, (0, 19, 1, 12), 0x400) == [0x40c]


def test_script_keep_extern_and_include(tmp_path):
    (tmp_path / "more.lds").write_text("SECTIONS { .x : { KEEP(*(.more)) } }\n")
    script = tmp_path / "main.lds"
    script.write_text("/* KEEP(*(.commented)) */\nEXTERN(reset irq_0)\nINCLUDE more.lds\n"
                      "SECTIONS {\n .text : { KEEP(*/prefix.o(.prefix))\n"
                      "  KEEP(*(SORT(.tbl.*))) *(.text) }\n}\n")
    found = ldscript.read_script(script)
    assert found.keep == ["*/prefix.o(.prefix)", "*(SORT(.tbl.*))", "*(.more)"]
    assert found.externs == ["reset", "irq_0"]
    assert [ldscript.normalize(k) for k in found.keep] == \
        ["*/prefix.o(.prefix)", "*(SORT_BY_NAME(.tbl.*))", "*(.more)"]
    assert ldscript.pattern_globs("*(SORT(.tbl.*) .x)") == ("*", [".tbl.*", ".x"])
    assert ldscript.pattern_globs("*(EXCLUDE_FILE(*a.o) .x)") is None
    with pytest.raises(InputError):
        ldscript.read_script(tmp_path / "missing.lds")
