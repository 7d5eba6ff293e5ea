"""A small, fixed Attribution and Budgets for renderer and check tests.

Built by hand so golden files do not depend on a compiler: three
components (one over its code budget by 80 bytes, as in issue 3), every
bucket, and sources with one unavailable.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from membudget.read.budgets import Budgets  # noqa: E402
from membudget.model import (BUCKET_LINKER, BUCKET_MERGED_STRINGS, BUCKET_PADDING,  # noqa: E402
                             SOURCE_BOUNDARY, SOURCE_DWARF, SOURCE_FILE_SYMBOLS,
                             SOURCE_GLOBS, SOURCE_MAP, Attribution, ComponentDef,
                             Image, Piece, Section)

SECTIONS = [
    Section(1, ".text", "code", 0x100000, 2048, 0x1000, 0x6, 1, 16),
    Section(2, ".rodata", "rodata", 0x100800, 300, 0x1800, 0x2, 1, 4),
    Section(3, ".data", "data", 0x100a00, 64, 0x1a00, 0x3, 1, 4),
    Section(4, ".bss", "bss", 0x100a40, 131200, 0x1a40, 0x3, 8, 16),
]

# (section, class, size, component, bucket, source, file, symbol)
PIECES = [
    (".text", "code", 700, "heap", None, SOURCE_BOUNDARY, "firmware/heap.c", "malloc"),
    (".text", "code", 404, "heap", None, SOURCE_BOUNDARY, "firmware/heap.c", "free"),
    (".text", "code", 3, None, BUCKET_PADDING, None, None, None),
    (".text", "code", 500, "dma", None, SOURCE_DWARF, "firmware/dma.c", "malloc_dma"),
    (".text", "code", 441, "other", None, SOURCE_FILE_SYMBOLS, "firmware/main.c", "main"),
    (".rodata", "rodata", 24, "heap", None, SOURCE_BOUNDARY, "firmware/heap.c", "heap_names"),
    (".rodata", "rodata", 200, None, BUCKET_MERGED_STRINGS, None, None, None),
    (".rodata", "rodata", 76, "other", None, SOURCE_GLOBS, None, "banner"),
    (".data", "data", 60, "dma", None, SOURCE_DWARF, "firmware/dma.c", "dma_pool"),
    (".data", "data", 4, None, BUCKET_LINKER, None, None, None),
    (".bss", "bss", 131072, "heap", None, SOURCE_BOUNDARY, "firmware/heap.c", "heap_area"),
    (".bss", "bss", 128, "other", None, SOURCE_FILE_SYMBOLS, "firmware/main.c", "stack"),
]


def attribution():
    image = Image(path="build/firmware.elf", elfclass=32, endian="little",
                  machine="EM_386", type="ET_EXEC", sections=SECTIONS, symbols=[],
                  build_id="0123456789abcdef0123456789abcdef01234567",
                  sha256="ab" * 32, has_dwarf=True)
    offsets = {}
    pieces = []
    for section, cls, size, comp, bucket, source, file, symbol in PIECES:
        offset = offsets.get(section, 0)
        offsets[section] = offset + size
        pieces.append(Piece(section, cls, offset, size, comp, bucket, source, file, symbol))
    source_bytes = {}
    for p in pieces:
        if p.source:
            source_bytes[p.source] = source_bytes.get(p.source, 0) + p.size
    return Attribution(image=image, pieces=pieces, source_bytes=source_bytes,
                       unavailable={SOURCE_MAP: "no --map given"})


def budgets(heap_code=1024):
    """Budgets for the sample; heap code is 1,104 bytes, so 1024 is 80 B over."""
    comps = [
        ComponentDef("heap", paths=("firmware/heap.c",),
                     budgets={"code": heap_code, "rodata": 32, "bss": 132 * 1024}),
        ComponentDef("dma", paths=("firmware/dma.c",), budgets={"rom": 600}),
        ComponentDef("other", catch_all=True),
    ]
    return Budgets(path="budgets/firmware.toml", name="firmware", root=".",
                   image={"rom": 16 * 1024, "ram": 160 * 1024}, image_creep={},
                   components=comps)


GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE_ENV = "MEMBUDGET_UPDATE_GOLDEN"


def check_golden(name, text):
    """Compare text with golden/NAME; MEMBUDGET_UPDATE_GOLDEN=1 rewrites it."""
    import os

    path = GOLDEN / name
    if os.environ.get(UPDATE_ENV):
        path.write_text(text)
    assert path.exists(), f"{path} missing: run with {UPDATE_ENV}=1 to create it"
    assert text == path.read_text(), f"{name} differs from its golden file"
