"""Compile units of an ELF's DWARF: which file owns which addresses.

For a linked image (ET_EXEC, ET_DYN) this module reads the few DWARF
pieces attribution needs straight from the section bytes, because a full
DIE tree is far too slow on large images (libpython: 851k DIEs):

  * code ranges of each unit from .debug_aranges, or, for units it does
    not list, the unit DIE's DW_AT_low_pc/high_pc/ranges;
  * data from the unit's top-level DW_TAG_variable DIEs whose location is
    DW_OP_addr.  Only top-level DIEs are visited: a DIE with children is
    stepped over with its DW_AT_sibling (GCC emits it), and only walked
    when it has none.

The walk over DIEs (unit headers, abbreviation tables, forms, variables
and their types' sizes) is _dwarf.c; this module keeps the sections, the
unit names and code ranges, and every error message.

In a relocatable object (ET_REL) addresses are section-relative, so only
the unit names are read, after applying the object's absolute data
relocations to the DWARF sections.  Every failure becomes
model.InputError (corrupt DWARF in an otherwise valid ELF); a missing
DWARF is not an error: read_units() returns an empty list.
"""

import struct
import zlib

from .. import model
from ._dwarf import aranges as _decode_aranges, unit as _decode_unit, \
    variables as _decode_variables, walker as _walker
from .elf import SHF_COMPRESSED, SHT_RELA


#: Absolute data relocation types per machine: type -> width in bytes
ABS_RELOCS = {
    "EM_X86_64": {10: 4, 1: 8},         # R_X86_64_32, R_X86_64_64
    "EM_RISCV": {1: 4, 2: 8},           # R_RISCV_32, R_RISCV_64
    "EM_AARCH64": {258: 4, 257: 8},     # R_AARCH64_ABS32, R_AARCH64_ABS64
}
ELFCOMPRESS_ZLIB = 1
ZLIB_MAX_RATIO = 1032

TAG_COMPILE_UNIT = 0x11
TAG_PARTIAL_UNIT = 0x3C

AT_NAME = 0x03
AT_LOW_PC = 0x11
AT_HIGH_PC = 0x12
AT_COMP_DIR = 0x1B
AT_RANGES = 0x55
AT_STR_OFFSETS_BASE = 0x72
AT_ADDR_BASE = 0x73
AT_RNGLISTS_BASE = 0x74

#: The unit DIE's attributes this module reads
UNIT_ATTRS = (AT_NAME, AT_LOW_PC, AT_HIGH_PC, AT_COMP_DIR, AT_RANGES, AT_STR_OFFSETS_BASE,
              AT_ADDR_BASE, AT_RNGLISTS_BASE)

FORM_ADDR, FORM_STRING = 0x01, 0x08

#: _dwarf.c's problems, ValueError(kind, values...): the message of each
PROBLEMS = {
    "past": "read past the end of a section ({} at {:#x})",
    "runs past": "unit at {:#x} runs past .debug_info",
    "version": "unit at {:#x}: DWARF version {}",
    "address size": "unit at {:#x}: address size {}",
    "form": "unit at {:#x}: unknown form {:#x}",
    "abbreviation": "unit at {:#x}: unknown abbreviation {}",
    "children": "unit at {:#x}: unterminated children",
    "sibling": "unit at {:#x}: DW_AT_sibling {:#x} points back before {:#x}",
    "address index": "unit at {:#x}: address index {}",
    "low pc": "unit at {:#x}: DW_AT_low_pc of form {:#x} is no address",
    "aranges runs past": ".debug_aranges: set runs past the section",
    "aranges address size": ".debug_aranges: address size {}",
}


class DwarfError(Exception):
    """Malformed DWARF; read_units() turns it into model.InputError."""


class Unit(model.Record):
    """One compile unit and the addresses it owns."""

    FIELDS = ("offset", "name", "comp_dir", "ranges", "variables")

    def __init__(self, offset, name, comp_dir, ranges=None, variables=None):
        self.offset = offset
        self.name = name                # str or None
        self.comp_dir = comp_dir        # str or None
        self.ranges = [] if ranges is None else ranges              # [(lo, hi)] code
        self.variables = [] if variables is None else variables     # [(addr, size or None)]


def _uleb(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _cstring(data, pos):
    end = data.index(b"\0", pos)
    return data[pos:end].decode("utf-8", "replace"), end + 1


class _Sections(dict):
    """Section name -> contents, an uncompressed section copied out of the
    file's bytes when first asked for: a linked image's .debug_line and
    .debug_loclists, most of its DWARF, are never read."""

    def __init__(self, data):
        super().__init__()
        self.data = data
        self.spans = {}

    def get(self, name, default=None):
        if name in self:
            return self[name]
        span = self.spans.get(name)
        if span is None:
            return default
        contents = self[name] = self.data[span[0]:span[1]]
        return contents


class _Debug:
    """The DWARF sections of one image and the readers over them."""

    def __init__(self, image, data):
        self.e = "<" if image.endian == "little" else ">"
        self.sections = _Sections(data)
        for sec in image.sections:
            if sec.name.startswith(".debug_") and sec.type != 8:
                # a later section of the same name wins, as it always did
                self.sections.pop(sec.name, None)
                self.sections.spans.pop(sec.name, None)
                if sec.flags & SHF_COMPRESSED or image.type == "ET_REL":
                    # inflated now: a bad one is bad DWARF, used or not
                    self.sections[sec.name] = self._contents(image, data, sec)
                else:
                    self.sections.spans[sec.name] = (sec.offset, sec.offset + sec.size)
        if image.type == "ET_REL":
            self._relocate(image, data)
        self.info = self.sections.get(".debug_info", b"")
        self.walker = None

    def _relocate(self, image, data):
        """Apply SHT_RELA relocations to the DWARF sections of an object.

        Only absolute data relocations (ABS_RELOCS) are applied, which is
        all the unit names need (offsets into .debug_str and friends).
        SHT_REL addends sit in place already, and section symbols are 0
        in an object, so REL machines (i386, ARM) need nothing.
        """
        kinds = ABS_RELOCS.get(image.machine, {})
        by_index = {s.index: s for s in image.sections}
        size, fmt, shift = (12, "IIi", 8) if image.elfclass == 32 else (24, "QQq", 32)
        for rel in image.sections:
            target = by_index.get(rel.info) if rel.type == SHT_RELA else None
            if target is None or target.name not in self.sections:
                continue
            contents = bytearray(self.sections[target.name])
            raw = data[rel.offset:rel.offset + rel.size - rel.size % size]
            for offset, info, addend in struct.iter_unpack(self.e + fmt, raw):
                width = kinds.get(info & ((1 << shift) - 1))
                if width is None or offset + width > len(contents):
                    continue
                number = info >> shift
                value = addend
                if 0 < number <= len(image.symbols):
                    value += image.symbols[number - 1].addr
                mask = (1 << (8 * width)) - 1
                struct.pack_into(self.e + ("I" if width == 4 else "Q"), contents,
                                 offset, value & mask)
            self.sections[target.name] = bytes(contents)

    def _contents(self, image, data, sec):
        raw = data[sec.offset:sec.offset + sec.size]
        if not sec.flags & SHF_COMPRESSED:
            return raw
        fmt = self.e + ("IIQQ" if image.elfclass == 64 else "III")
        head = struct.calcsize(fmt)
        if len(raw) < head:
            raise DwarfError(f"{sec.name}: truncated compression header")
        fields = struct.unpack_from(fmt, raw)
        kind, size = fields[0], fields[-2]
        if kind != ELFCOMPRESS_ZLIB:
            raise DwarfError(f"{sec.name}: unsupported compression {kind}")
        # zlib expands at most 1032 times: a bigger claim is a lie
        if size > ZLIB_MAX_RATIO * (len(raw) - head) + 64:
            raise DwarfError(f"{sec.name}: {size} bytes claimed from "
                             f"{len(raw) - head} compressed")
        try:
            # Inflate no more than the header promises: a stream that goes
            # on (a zlib bomb) would otherwise take any amount of memory
            out = zlib.decompressobj().decompress(raw[head:], size + 1)
        except zlib.error as err:
            raise DwarfError(f"{sec.name}: {err}") from None
        if len(out) != size:
            raise DwarfError(f"{sec.name}: inflates to {len(out)}{'+' if len(out) > size else ''}"
                             f" bytes, not the {size} its header says")
        return out


def _native(call, *args):
    """Call a _dwarf.c function; its problems become DwarfError."""
    try:
        return call(*args)
    except ValueError as err:
        kind, *values = err.args
        raise DwarfError(PROBLEMS[kind].format(*values)) from None


class _Unit:
    """One unit header and its first DIE (_dwarf.c decodes both): sizes,
    bases, and the readers of strings and indexed addresses."""

    def __init__(self, dbg, offset):
        self.dbg = dbg
        self.offset = offset
        if dbg.walker is None:
            dbg.walker = _walker(dbg.info, dbg.sections.get(".debug_abbrev", b""),
                                 dbg.sections.get(".debug_addr", b""), dbg.e == ">",
                                 UNIT_ATTRS)
        (self.end, self.version, self.addr_size, self.offset_size, self.tag,
         self.children, self.after, self.attrs) = _native(_decode_unit, dbg.walker, offset)
        e = dbg.e
        self.addr_fmt = e + {2: "H", 4: "I", 8: "Q"}[self.addr_size]
        self.off_fmt = e + ("I" if self.offset_size == 4 else "Q")
        self.str_offsets_base = self.addr_base = self.rnglists_base = None

    def variables(self):
        """Top-level variables with a static address: [(addr, size or None)].

        Most top-level DIEs (types, declarations) are stepped over without
        decoding, by their DW_AT_sibling or their fixed size.
        """
        return _native(_decode_variables, self.dbg.walker, self.after, self.addr_base)

    def string(self, form, value):
        """Resolve a string attribute's value to text, or None."""
        secs = self.dbg.sections
        if form == FORM_STRING:
            return value
        if form == 0x0E:
            table = secs.get(".debug_str", b"")
        elif form == 0x1F:
            table = secs.get(".debug_line_str", b"")
        elif form in (0x1A, 0x25, 0x26, 0x27, 0x28, 0x1F02):
            offsets = secs.get(".debug_str_offsets", b"")
            base = self.str_offsets_base or 0
            at = base + value * self.offset_size
            if at + self.offset_size > len(offsets):
                return None
            value = struct.unpack_from(self.off_fmt, offsets, at)[0]
            table = secs.get(".debug_str", b"")
        else:
            return None
        if value >= len(table):
            return None
        return _cstring(table, value)[0]

    def address(self, form, value):
        """Resolve an address attribute (addr or addrx forms)."""
        if form == FORM_ADDR:
            return value
        if form in (0x1B, 0x29, 0x2A, 0x2B, 0x2C, 0x1F01):
            table = self.dbg.sections.get(".debug_addr", b"")
            at = (self.addr_base or 0) + value * self.addr_size
            if at + self.addr_size > len(table):
                raise DwarfError(PROBLEMS["address index"].format(self.offset, value))
            return struct.unpack_from(self.addr_fmt, table, at)[0]
        return None


def _aranges(dbg):
    """Parse .debug_aranges: {unit offset: [(lo, hi)]}."""
    return _native(_decode_aranges, dbg.sections.get(".debug_aranges", b""), dbg.e == ">")


def _unit_ranges(unit, attrs):
    """Code ranges from the unit DIE (low/high pc, DW_AT_ranges)."""
    low = attrs.get(AT_LOW_PC)
    base = unit.address(*low) if low else 0
    if base is None:
        raise DwarfError(PROBLEMS["low pc"].format(unit.offset, low[0]))
    high = attrs.get(AT_HIGH_PC)
    if low and high:
        form, value = high
        hi = unit.address(form, value)
        if hi is None:
            hi = base + value
        return [(base, hi)] if hi > base else []
    ranges = attrs.get(AT_RANGES)
    if not ranges:
        return []
    form, value = ranges
    if unit.version < 5:
        return _ranges_v4(unit, value, base or 0)
    secs = unit.dbg.sections
    if form == 0x23:                    # rnglistx: via the offsets table
        table = secs.get(".debug_rnglists", b"")
        at = (unit.rnglists_base or 0) + value * unit.offset_size
        value = (unit.rnglists_base or 0) + \
            struct.unpack_from(unit.off_fmt, table, at)[0]
    return _rnglist(unit, value, base or 0)


def _ranges_v4(unit, offset, base):
    data = unit.dbg.sections.get(".debug_ranges", b"")
    fmt = unit.addr_fmt[0] + unit.addr_fmt[1] * 2
    top = (1 << (8 * unit.addr_size)) - 1
    result = []
    while offset + 2 * unit.addr_size <= len(data):
        lo, hi = struct.unpack_from(fmt, data, offset)
        offset += 2 * unit.addr_size
        if lo == 0 and hi == 0:
            break
        if lo == top:
            base = hi
        elif hi > lo:
            result.append((base + lo, base + hi))
    return result


def _rnglist(unit, pos, base):
    data = unit.dbg.sections.get(".debug_rnglists", b"")
    result = []
    addr = unit.addr_size
    while pos < len(data):
        kind = data[pos]
        pos += 1
        if kind == 0:
            break
        if kind == 1:
            idx, pos = _uleb(data, pos)
            base = unit.address(0x1B, idx)
        elif kind in (2, 3):
            a, pos = _uleb(data, pos)
            b, pos = _uleb(data, pos)
            lo = unit.address(0x1B, a)
            hi = unit.address(0x1B, b) if kind == 2 else lo + b
            result.append((lo, hi))
        elif kind == 4:
            a, pos = _uleb(data, pos)
            b, pos = _uleb(data, pos)
            result.append((base + a, base + b))
        elif kind == 5:
            base = struct.unpack_from(unit.addr_fmt, data, pos)[0]
            pos += addr
        elif kind == 6:
            lo, hi = struct.unpack_from(unit.addr_fmt[0] + unit.addr_fmt[1] * 2, data, pos)
            pos += 2 * addr
            result.append((lo, hi))
        elif kind == 7:
            lo = struct.unpack_from(unit.addr_fmt, data, pos)[0]
            length, pos = _uleb(data, pos + addr)
            result.append((lo, lo + length))
        else:
            raise DwarfError(f".debug_rnglists: unknown entry kind {kind}")
    return [r for r in result if r[1] > r[0]]


def _units(image, data):
    """Every compile unit; for ET_REL names only (addresses are relative)."""
    dbg = _Debug(image, data)
    linked = image.type != "ET_REL"
    aranges = _aranges(dbg) if linked else {}
    units = []
    pos = 0
    while pos < len(dbg.info):
        unit = _Unit(dbg, pos)
        attrs = unit.attrs
        if unit.tag in (TAG_COMPILE_UNIT, TAG_PARTIAL_UNIT):
            for attr, name in ((AT_STR_OFFSETS_BASE, "str_offsets_base"),
                               (AT_ADDR_BASE, "addr_base"),
                               (AT_RNGLISTS_BASE, "rnglists_base")):
                if attr in attrs:
                    setattr(unit, name, attrs[attr][1])
            name = unit.string(*attrs[AT_NAME]) if AT_NAME in attrs else None
            comp_dir = unit.string(*attrs[AT_COMP_DIR]) if AT_COMP_DIR in attrs else None
            ranges, variables = [], []
            if linked:
                ranges = aranges.get(pos)
                if ranges is None:
                    ranges = _unit_ranges(unit, attrs)
                variables = unit.variables() if unit.children else []
            units.append(Unit(pos, name, comp_dir, ranges, variables))
        pos = unit.end
    return units


def read_units(image, data=None):
    """Return the compile units of image (empty without DWARF).

    @v image            model.Image from elf.read_image
    @v data             the file's bytes if the caller has them, else None
    @ret units          list of Unit; for ET_REL only names are filled
    @raises InputError  DWARF present but malformed
    """
    if not image.has_dwarf:
        return []
    try:
        return _units(image, image.data if data is None else data)
    except DwarfError as err:
        raise model.InputError(image.path, f"bad DWARF: {err}") from None
    except (struct.error, IndexError) as err:
        # The range and string readers index section bytes directly: a field, offset or
        # reference past the end of its section lands here
        raise model.InputError(image.path, f"bad DWARF: read past the end of a section "
                               f"({type(err).__name__}: {err})") from None
