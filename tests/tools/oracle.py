"""pyelftools, the independent oracle: every ELF the tests build is read by
membudget's own reader and by pyelftools, and the two must agree.

cross_check(path) compares the header (class, byte order), every section
(name, address, size, offset, flags), every symbol of the symbol table
membudget reads (name, value with ARM's Thumb bit cleared, size, section
index) and, for linked images with DWARF, the compilation units (offset
and name).  conftest.py calls it on every ELF its factories build, so a
reader bug shows in whichever test first builds an ELF that exposes it.
pyelftools is a test dependency only: membudget never imports it.
"""

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from membudget.read import dwarf, elf

STT_FUNC = "STT_FUNC"


def _sections(ours, theirs):
    mine = [(s.index, s.name, s.addr, s.size, s.offset, s.flags) for s in ours.sections]
    other = [(i, s.name, s["sh_addr"], s["sh_size"], s["sh_offset"], s["sh_flags"])
             for i, s in enumerate(theirs.iter_sections()) if i]
    assert mine == other, f"{ours.path}: sections differ from pyelftools'"


def _symbols(ours, theirs):
    table = theirs.get_section_by_name(".symtab") or theirs.get_section_by_name(".dynsym")
    if table is None:
        assert ours.symbols == [], f"{ours.path}: symbols where pyelftools has no table"
        return
    arm = theirs["e_machine"] == "EM_ARM"
    other = []
    for i, sym in enumerate(table.iter_symbols()):
        if i == 0:
            continue
        value = sym["st_value"]
        if arm and sym["st_info"]["type"] == STT_FUNC:
            value &= ~1
        shndx = sym["st_shndx"]
        other.append((sym.name, value, sym["st_size"],
                      shndx if isinstance(shndx, int) else None))
    mine = [(s.name, s.addr, s.size, s.section if isinstance(other_shndx, int) else None)
            for s, (_, _, _, other_shndx) in zip(ours.symbols, other)]
    assert len(ours.symbols) == len(other), f"{ours.path}: symbol count differs"
    assert mine == other, f"{ours.path}: symbols differ from pyelftools'"


def _units(ours, theirs):
    if ours.type == "ET_REL" or not theirs.has_dwarf_info():
        return
    try:
        info = theirs.get_dwarf_info()
        other = {}
        for cu in info.iter_CUs():
            name = cu.get_top_DIE().attributes.get("DW_AT_name")
            other[cu.cu_offset] = name.value.decode() if name else None
    except (ELFError, KeyError, ValueError, AssertionError):
        return      # pyelftools cannot read it: nothing to compare with
    mine = {u.offset: u.name for u in dwarf.read_units(ours)}
    assert {k: v for k, v in mine.items() if k in other} == \
        {k: v for k, v in other.items() if k in mine}, \
        f"{ours.path}: DWARF units differ from pyelftools'"
    assert set(mine) == set(other), f"{ours.path}: DWARF unit offsets differ"


def cross_check(path):
    """Assert that membudget's reader and pyelftools read path alike."""
    ours = elf.read_image(path)
    with open(path, "rb") as f:
        theirs = ELFFile(f)
        assert ours.elfclass == theirs.elfclass
        assert (ours.endian == "little") == theirs.little_endian
        _sections(ours, theirs)
        _symbols(ours, theirs)
        _units(ours, theirs)
