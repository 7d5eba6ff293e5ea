"""ehframe.read_fdes against pyelftools, and its messages on bad records."""

import struct

import pytest
from elftools.dwarf.callframe import FDE
from elftools.elf.elffile import ELFFile

from membudget import model
from membudget.read import ehframe, elf

UNWIND = ["-fasynchronous-unwind-tables"]


def pyelftools_fdes(path):
    """[(offset, size, pc_begin)] of every FDE in .eh_frame, by pyelftools."""
    with open(path, "rb") as f:
        found = []
        for entry in ELFFile(f).get_dwarf_info().EH_CFI_entries():
            if isinstance(entry, FDE):
                size = entry.structs.initial_length_field_size() + entry.header.length
                found.append((entry.offset, size, entry.header.initial_location))
    return found


@pytest.mark.parametrize("arch, cflags", [("x86_64", UNWIND), ("i386", UNWIND),
                                          ("x86_64", UNWIND + ["-fPIC", "-mcmodel=large"])])
def test_fdes_match_pyelftools(build_elf, arch, cflags):
    built = build_elf(f"eh-{arch}-{len(cflags)}", arch=arch, cflags=cflags)
    image = elf.read_image(built.elf)
    fdes = ehframe.read_fdes(image, image.data)
    assert len(fdes) >= 5
    assert fdes == pyelftools_fdes(built.elf)


def _damaged(built, tmp_path, patch):
    image = elf.read_image(built.elf)
    sec = next(s for s in image.sections if s.name == ".eh_frame")
    data = bytearray(built.elf.read_bytes())
    patch(data, sec.offset)
    path = tmp_path / "eh.elf"
    path.write_bytes(bytes(data))
    image = elf.read_image(path)
    return image


def test_bad_records_name_the_problem(build_elf, tmp_path):
    built = build_elf("eh-x86_64-1", arch="x86_64", cflags=UNWIND)
    image = elf.read_image(built.elf)
    cie_length = struct.unpack_from("<I", image.data,
                                    next(s for s in image.sections if s.name == ".eh_frame").offset)[0]
    fde = 4 + cie_length

    def put(at, value, fmt="<I"):
        return lambda data, base: struct.pack_into(fmt, data, base + at, value)

    def augmentation(data, base):
        # the CIE's augmentation string without its NUL, up to the record end
        data[base + 9:base + 4 + cie_length] = b"z" * (cie_length - 5)

    cases = [(put(0, 1 << 30), "record at 0x0 runs past the section"),
             (put(fde + 4, 0x7FFFFFF), f"FDE at {fde:#x} points to no CIE"),
             (augmentation, "CIE at 0x0: augmentation string runs past the record")]
    for patch, message in cases:
        image = _damaged(built, tmp_path, patch)
        with pytest.raises(model.InputError, match="bad .eh_frame: " + message):
            ehframe.read_fdes(image, image.data)
