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
from ._ehframe import fdes as _decode_fdes

#: _ehframe.c's problems, ValueError(kind, values...): the message of each
PROBLEMS = {
    "past": "read past the end of the section at {:#x}",
    "runs past": "record at {:#x} runs past the section",
    "no CIE": "FDE at {:#x} points to no CIE",
    "augmentation": "CIE at {:#x}: augmentation string runs past the record",
    "encoding": "pointer encoding {:#x}",
    "application": "pointer application {:#x}",
}


def read_fdes(image, data):
    """Return [(offset, size, pc_begin)] for every FDE of .eh_frame.

    _ehframe.c walks the records: each CIE's pointer encoding (augmentation
    'R'), each FDE's pc_begin in it.

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
    try:
        return _decode_fdes(blob, image.endian != "little", 4 if image.elfclass == 32 else 8,
                            sec.addr)
    except ValueError as err:
        kind, *values = err.args
        raise model.InputError(image.path, "bad .eh_frame: " + PROBLEMS[kind].format(*values)) \
            from None


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
