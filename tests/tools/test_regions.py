"""regions: used bytes as ld --print-memory-usage counts them, and XIP.

The sections and regions are written out here, the expected figures
worked out by hand from them (ld: a region is filled up to the end of
the last thing placed in it, by run address, and by load address for
bytes stored elsewhere).  test_realworld.py checks the same against ld
itself on real links.
"""

import pytest

from membudget.analysis import regions
from membudget.model import Image, InputError, Section
from membudget.read import elf
from membudget.read.budgets import parse as parse_budgets
from membudget.read.mapfile import LinkMap, Region

FLASH = Region("FLASH", 0x08000000, 0x10000, "rx")
RAM = Region("RAM", 0x20000000, 0x5000, "rwx")


def section(index, name, cls, addr, size, lma=None, nobits=False):
    flags = elf.SHF_ALLOC | (elf.SHF_EXECINSTR if cls == "code" else 0) | \
        (elf.SHF_WRITE if cls in ("data", "bss") else 0)
    return Section(index, name, cls, addr, size, 0, flags,
                   elf.SHT_NOBITS if nobits else elf.SHT_PROGBITS, 4, lma=lma)


def image(*sections):
    return Image("fw.elf", 32, "little", "EM_ARM", "ET_EXEC", list(sections), [], None,
                 "0" * 64, False)


XIP = image(section(1, ".text", "code", 0x08000000, 0x100),
            section(2, ".data", "data", 0x20000000, 0x10, lma=0x08000100),
            section(3, ".bss", "bss", 0x20000010, 0x30, lma=0x08000110, nobits=True),
            section(4, ".stack", "bss", 0x20000400, 0x400, nobits=True))


def test_used_counts_run_and_load_addresses():
    uses = {u.name: u for u in regions.used(XIP, LinkMap([], {}, [FLASH, RAM]))}
    # FLASH: .text 0x100, then .data's 16 stored bytes; .bss stores nothing
    assert uses["FLASH"].used == 0x110
    assert uses["FLASH"].sections == [".text", ".data"]
    # RAM: up to the end of .stack, the gap before it included
    assert uses["RAM"].used == 0x800
    assert uses["RAM"].free == 0x5000 - 0x800


def test_code_in_a_read_only_region_executes_in_place():
    uses = regions.used(XIP, LinkMap([], {}, [FLASH, RAM]))
    assert regions.executes_in_place(XIP, uses)
    writable = [Region("FLASH", FLASH.origin, FLASH.length, "rwx"), RAM]
    assert not regions.executes_in_place(XIP, regions.used(XIP, LinkMap([], {}, writable)))
    assert not regions.executes_in_place(XIP, [])


def test_budgets_file_decides_and_caps_regions():
    budgets = parse_budgets('[image]\nxip = false\n[regions]\nRAM = "1 KiB"\n', "b.toml",
                            root=".")
    uses = regions.used(XIP, LinkMap([], {}, [FLASH, RAM]))
    assert not regions.executes_in_place(XIP, uses, budgets)
    assert regions.check_budgets(budgets, uses, "fw.map") == [
        ("FLASH", 0x110, 0x10000), ("RAM", 0x800, 1024)]


def test_cap_for_a_region_the_map_lacks_is_bad_input():
    budgets = parse_budgets('[regions]\nSRAM2 = "1 KiB"\n', "b.toml", root=".")
    with pytest.raises(InputError, match="no memory region 'SRAM2'"):
        regions.check_budgets(budgets, regions.used(XIP, LinkMap([], {}, [FLASH, RAM])),
                              "fw.map")
