"""Relocation tables (SHT_REL, SHT_RELA): which bytes refer to which symbol.

An object file's relocation section patches one section (sh_info) and
refers to symbols of one symbol table (sh_link).  Each entry says: the
bytes at r_offset of that section hold (a function of) the address of
symbol r_sym plus an addend, explicit in SHT_RELA, stored in the patched
bytes themselves in SHT_REL (i386, ARM).  That is all a reference graph
needs from an object file: the patched section refers to the section that
defines the symbol; the addend does not matter there.

A linked image keeps its relocations only when it was linked with
`--emit-relocs`: then r_offset is an address, and a reference through a
section symbol (the linker turns references to static functions and data
into `.text + offset`) needs the addend to tell which input section is
meant.  reference_addresses() works it out per machine:

  * RELA (x86-64, RISC-V, AArch64, ...): S + A; for x86-64 PC-relative
    types the field ends 4 bytes after r_offset, and an immediate operand
    may follow it (0, 1, 2 or 4 bytes), so S + A + 4 plus each of those
    are the candidates, the likely one first;
  * REL i386: the final bytes hold S + A (absolute types, 8, 16 or 32
    bit) or S + A - P (PC-relative; + 4, the field, for a call);
  * REL ARM: ABS32/TARGET1 hold S + A, REL32 S + A - P, PREL31 the same in
    31 bits.  (Branches always name their function symbol: GNU as keeps
    local function symbols on ARM for interworking.)
Other types through a section symbol are not decoded ([]): the caller
counts them.

Callers may rely on: tables() raises model.InputError, and nothing else,
for a malformed table (bad entry size, a symbol index past the table,
bytes past the end of the file).
"""

import struct
from dataclasses import dataclass

from .. import model
from .elf import SHT_RELA, SHF_ALLOC

SHT_REL = 9
SHT_GROUP = 17
GRP_COMDAT = 1
SHF_LINK_ORDER = 0x80
SHF_GROUP = 0x200
SHF_GNU_RETAIN = 0x200000

EM_386, EM_ARM, EM_X86_64 = "EM_386", "EM_ARM", "EM_X86_64"

#: Entry layouts: (struct format, entry size) per (class, RELA?)
LAYOUT = {(32, False): ("II", 8), (32, True): ("IIi", 12),
          (64, False): ("QQ", 16), (64, True): ("QQq", 24)}

#: i386 REL types through a section symbol: type -> (bytes, PC-relative)
I386 = {1: (4, False), 2: (4, True), 4: (4, True), 20: (2, False), 21: (2, True),
        22: (1, False), 23: (1, True)}
#: x86-64 PC-relative RELA types (the field is 4 bytes, or 8 for PC64)
X86_64_PCREL = {2: 4, 4: 4, 9: 4, 13: 2, 15: 1, 24: 8, 41: 4, 42: 4}
#: Immediate sizes that may follow a RIP-relative displacement
X86_IMMEDIATES = (0, 1, 2, 4)
ARM_ABS = (2, 38)               # ABS32, TARGET1
ARM_REL32, ARM_PREL31 = 3, 42


@dataclass
class Table:
    """One relocation section: what it patches and its entries.

    entries are (r_offset, r_type, r_sym, r_addend) tuples; r_addend is
    None for SHT_REL.
    """

    section: model.Section      # the SHT_REL/SHT_RELA section itself
    target: int                 # index of the section it patches (sh_info)
    entries: list


def tables(image, allocated_only=True):
    """The relocation sections of image that patch a section.

    @v allocated_only   only those patching an allocated section (the ones
                        a reference graph needs; .rel.debug_* are skipped)
    @ret [Table]        in section order; dynamic relocations (.rel.dyn,
                        allocated, sh_info 0) are never included
    @raises InputError  a malformed table
    """
    by_index = {s.index: s for s in image.sections}
    endian = "<" if image.endian == "little" else ">"
    found = []
    nsyms = len(image.symbols)
    for sec in image.sections:
        if sec.type not in (SHT_REL, SHT_RELA) or sec.flags & SHF_ALLOC:
            continue
        target = by_index.get(sec.info)
        if target is None or (allocated_only and target.cls is None):
            continue
        fmt, size = LAYOUT[(image.elfclass, sec.type == SHT_RELA)]
        if sec.size % size:
            raise model.InputError(image.path, f"relocation section {sec.name}: size "
                                   f"{sec.size} not a multiple of {size}")
        end = sec.offset + sec.size
        if end > len(image.data):
            raise model.InputError(image.path, f"relocation section {sec.name}: past "
                                   "the end of the file")
        shift, mask = (8, 0xFF) if image.elfclass == 32 else (32, 0xFFFFFFFF)
        entries = []
        for raw in struct.iter_unpack(endian + fmt, image.data[sec.offset:end]):
            sym = raw[1] >> shift
            if sym > nsyms:
                raise model.InputError(image.path, f"relocation section {sec.name}: "
                                       f"symbol index {sym} past the symbol table")
            entries.append((raw[0], raw[1] & mask, sym, raw[2] if len(raw) > 2 else None))
        found.append(Table(sec, target.index, entries))
    return found


def referenced_symbols(obj, table):
    """The symbols of obj a relocation table's entries name, in entry order
    (entries with no symbol, r_sym 0, left out)."""
    for _, _, symi, _ in table.entries:
        if symi:
            yield obj.symbols[symi - 1]


def _signed(value, bits):
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


def reference_addresses(image, section, entry, symbol_addr):
    """Candidate addresses a linked image's entry (--emit-relocs) refers to.

    @v section      the model.Section the entry patches
    @v entry        (r_offset, r_type, r_sym, r_addend) of tables()
    @v symbol_addr  the value of the entry's (section) symbol
    @ret [address]  the likely one first; [] when the type is not decoded
    """
    offset, rtype, _, addend = entry
    machine = image.machine
    if addend is not None:
        base = symbol_addr + addend
        field = X86_64_PCREL.get(rtype) if machine == EM_X86_64 else None
        if field is None:
            return [base]
        return [base + field + imm for imm in X86_IMMEDIATES]
    pos = section.offset + offset - section.addr
    data, endian = image.data, "<" if image.endian == "little" else ">"
    if section.type == 8 or pos < section.offset or pos + 4 > section.offset + section.size:
        return []
    if machine == EM_386 and rtype in I386:
        size, pcrel = I386[rtype]
        value = int.from_bytes(data[pos:pos + size], image.endian)
        if not pcrel:
            if size < 4:        # 16-bit real mode: the segment's 64 KiB
                value |= symbol_addr & ~((1 << (8 * size)) - 1)
                if value < symbol_addr:
                    value += 1 << (8 * size)
            return [value]
        return [(offset + _signed(value, 8 * size) + size) & 0xFFFFFFFF]
    if machine == EM_ARM:
        word = struct.unpack_from(endian + "I", data, pos)[0]
        if rtype in ARM_ABS:
            return [word]
        if rtype == ARM_REL32:
            return [(offset + _signed(word, 32)) & 0xFFFFFFFF]
        if rtype == ARM_PREL31:
            return [(offset + _signed(word & 0x7FFFFFFF, 31)) & 0xFFFFFFFF]
    return []
