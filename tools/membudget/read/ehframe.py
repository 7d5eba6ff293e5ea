"""Frame description entries of .eh_frame: which code each record unwinds.

Hosted images carry an .eh_frame that can be a tenth of their size; each
FDE in it describes one function (its pc_begin), so it belongs to whoever
owns that code.  CIEs are shared by many FDEs and stay unowned.

Only the encodings GCC, clang and GNU ld emit for pc_begin are read:
absolute or pc-relative, 2/4/8-byte or LEB128.  Anything else is an
InputError naming the record.
"""

import struct

from .. import model
from . import dwarf
from ._ehframe import fdes as _walk

PE_OMIT = 0xFF
PE_PCREL = 0x10
PE_FORMAT = {0x00: None, 0x02: "H", 0x03: "I", 0x04: "Q", 0x0A: "h", 0x0B: "i", 0x0C: "q"}
PE_ULEB, PE_SLEB = 0x01, 0x09


class _Bad(Exception):
    pass


def _leb(data, pos, signed):
    """LEB128 as in DWARF: (value, next position)."""
    return (dwarf._sleb if signed else dwarf._uleb)(data, pos)


def _pointer(data, pos, enc, e, addr_fmt, field_addr):
    """Decode one encoded pointer: (value, next position)."""
    fmt = enc & 0x0F
    if fmt in (PE_ULEB, PE_SLEB):
        value, end = _leb(data, pos, fmt == PE_SLEB)
    elif fmt in PE_FORMAT:
        code = PE_FORMAT[fmt] or addr_fmt
        value = struct.unpack_from(e + code, data, pos)[0]
        end = pos + struct.calcsize(code)
    else:
        raise _Bad(f"pointer encoding {enc:#x}")
    if enc & 0x70 == PE_PCREL:
        value += field_addr
    elif enc & 0x70:
        raise _Bad(f"pointer application {enc:#x}")
    return value, end


def _cie_encoding(data, body, end, e, addr_fmt):
    """The FDE pointer encoding a CIE announces (augmentation 'R')."""
    version = data[body + 4]
    pos = body + 5
    aug_end = data.index(b"\0", pos, end)
    aug = data[pos:aug_end].decode("ascii", "replace")
    pos = aug_end + 1
    if "eh" in aug:
        pos += struct.calcsize(addr_fmt)
    _, pos = _leb(data, pos, False)         # code alignment
    _, pos = _leb(data, pos, True)          # data alignment
    if version == 1:
        pos += 1
    else:
        _, pos = _leb(data, pos, False)     # return address register
    enc = 0x00
    if aug.startswith("z"):
        _, pos = _leb(data, pos, False)
        for letter in aug[1:]:
            if letter == "R":
                enc = data[pos]
                pos += 1
            elif letter == "L":
                pos += 1
            elif letter == "P":
                penc = data[pos]
                _, pos = _pointer(data, pos + 1, penc & 0x0F, e, addr_fmt, 0)
            elif letter not in "SB":
                break
    return enc


def read_fdes(image, data):
    """Return [(offset, size, pc_begin)] for every FDE of .eh_frame.

    @v image            model.Image
    @v data             the ELF file's bytes
    @ret fdes           offsets are relative to the section
    @raises InputError  malformed records
    """
    sec = next((s for s in image.sections if s.name == ".eh_frame" and s.cls
                and s.type != 8), None)
    if sec is None:
        return []
    blob = data[sec.offset:sec.offset + sec.size]
    e = "<" if image.endian == "little" else ">"
    addr_fmt = "I" if image.elfclass == 32 else "Q"
    base = sec.addr
    cies = {}

    def cie(pos, body, end):
        # a CIE's encoding of a fixed size and an absolute or pc-relative
        # application (nearly all): (struct code, pc-relative), which
        # _ehframe.c reads itself; other encodings: None, see pointer()
        enc = cies[pos] = _cie_encoding(blob, body, end, e, addr_fmt)
        code = PE_FORMAT.get(enc & 0x0F, False)
        if code is not False and enc & 0x70 in (0, PE_PCREL):
            return code or addr_fmt, enc & 0x70 == PE_PCREL
        return None

    def pointer(field, at):
        return _pointer(blob, field, cies[at], e, addr_fmt, base + field)[0]

    def unpack(code, at):
        return struct.unpack_from(e + code, blob, at)

    try:
        # the walk over the records is _ehframe.c's: a record past the end
        # or an FDE without its CIE is a ValueError with the message
        return _walk(blob, e == ">", base, cie, pointer, unpack)
    except (_Bad, IndexError, ValueError, struct.error) as err:
        raise model.InputError(image.path, f"bad .eh_frame: {err}") from None


def records(blob, endian):
    """Return [(start, end, cie)] for every record of an .eh_frame's bytes.

    cie is None for a CIE, else the start of the CIE the FDE uses; only the
    lengths and CIE pointers are read (an object file's pc_begin fields are
    still zero: its relocations say which section each FDE describes).
    A malformed record ends the list.
    """
    e = "<" if endian == "little" else ">"
    found = []
    pos = 0
    while pos + 8 <= len(blob):
        length, = struct.unpack_from(e + "I", blob, pos)
        body = pos + 4
        if length == 0:
            pos = body
            continue
        if length == 0xFFFFFFFF:
            if body + 12 > len(blob):
                break
            length, = struct.unpack_from(e + "Q", blob, body)
            body += 8
        end = body + length
        if end > len(blob) or length < 4:
            break
        cie_id, = struct.unpack_from(e + "I", blob, body)
        found.append((pos, end, None if cie_id == 0 else body - cie_id))
        pos = end
    return found
