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

In a relocatable object (ET_REL) addresses are section-relative, so only
the unit names are read, after applying the object's absolute data
relocations to the DWARF sections.  Every failure becomes
model.InputError (corrupt DWARF in an otherwise valid ELF); a missing
DWARF is not an error: read_units() returns an empty list.
"""

import struct
import zlib
from dataclasses import dataclass, field
from itertools import repeat

from .. import model
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
TAG_VARIABLE = 0x34
TAG_SUBRANGE = 0x21
TAG_ARRAY = 0x01
TYPE_WRAPPERS = (0x16, 0x26, 0x35, 0x37, 0x47)  # typedef, const, volatile, ...

AT_SIBLING = 0x01
AT_LOCATION = 0x02
AT_NAME = 0x03
AT_BYTE_SIZE = 0x0B
AT_LOW_PC = 0x11
AT_HIGH_PC = 0x12
AT_COMP_DIR = 0x1B
AT_UPPER_BOUND = 0x2F
AT_COUNT = 0x37
AT_DECLARATION = 0x3C
AT_SPECIFICATION = 0x47
AT_TYPE = 0x49
AT_RANGES = 0x55
AT_STR_OFFSETS_BASE = 0x72
AT_ADDR_BASE = 0x73
AT_RNGLISTS_BASE = 0x74

OP_ADDR = 0x03
OP_ADDRX = 0xA1
OP_GNU_ADDR_INDEX = 0xFB

# Forms of a fixed size whatever the unit (sizes of the others below)
FIXED_FORMS = {0x05: 2, 0x06: 4, 0x07: 8, 0x0B: 1, 0x0C: 1, 0x11: 1, 0x12: 2,
               0x13: 4, 0x14: 8, 0x19: 0, 0x1C: 4, 0x1E: 16, 0x20: 8, 0x21: 0,
               0x24: 8, 0x25: 1, 0x26: 2, 0x27: 3, 0x28: 4, 0x29: 1, 0x2A: 2,
               0x2B: 3, 0x2C: 4}
OFFSET_FORMS = (0x0E, 0x17, 0x1D, 0x1F, 0x1F20, 0x1F21)   # offset_size bytes
ULEB_FORMS = (0x0F, 0x15, 0x1A, 0x1B, 0x22, 0x23, 0x1F01, 0x1F02)
BLOCK_FORMS = {0x03: 2, 0x04: 4, 0x09: 0, 0x0A: 1, 0x18: 0}  # length prefix
FORM_ADDR, FORM_STRING, FORM_SDATA, FORM_REF_ADDR, FORM_INDIRECT = \
    0x01, 0x08, 0x0D, 0x10, 0x16
REF_FORMS = (0x11, 0x12, 0x13, 0x14, 0x15)
DATA_FORMS = (0x05, 0x06, 0x07, 0x0B, 0x0D, 0x0F, 0x21)
# Kinds of the steps of _Unit.decoder()
STEP_FIXED, STEP_EXPRLOC, STEP_STRING, STEP_OTHER = range(4)
# Kinds of the steps of _Unit.skipper()
SKIP_FIXED, SKIP_LEB, SKIP_ULEB_BLOCK, SKIP_BLOCK, SKIP_STRING, SKIP_SIBLING = range(6)


class DwarfError(Exception):
    """Malformed DWARF; read_units() turns it into model.InputError."""


@dataclass
class Unit:
    """One compile unit and the addresses it owns."""

    offset: int
    name: str | None
    comp_dir: str | None
    ranges: list = field(default_factory=list)     # [(lo, hi)] code
    variables: list = field(default_factory=list)  # [(addr, size or None)]


def _uleb(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _sleb(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            if byte & 0x40:
                result -= 1 << shift
            return result, pos


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
        self.abbrevs = {}
        # abbreviations, one tuple per distinct one; and by the bytes of
        # their attribute list: (abbreviation, bytes it takes)
        self.entries = {}
        self.plans = {}
        self.decoders = {}
        self.skippers = {}

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

    def abbrev_table(self, offset):
        """Decode the abbreviation table at offset: {code: Abbrev}."""
        table = self.abbrevs.get(offset)
        if table is not None:
            return table
        data = self.sections.get(".debug_abbrev", b"")
        entries = self.entries
        table = {}
        pos = offset
        while True:
            code, pos = _uleb(data, pos)
            if code == 0:
                break
            tag, pos = _uleb(data, pos)
            children = data[pos]
            pos += 1
            # Nearly always every attribute and form code is one byte and
            # no form is implicit_const: the list is the bytes up to the
            # first (0, 0) pair, read in one piece.  Other lists are read
            # one attribute at a time, and kept by those bytes too when the
            # reading stayed within them (so the same bytes read the same)
            end = data.find(b"\0\0", pos)
            while end >= 0 and (end - pos) & 1:
                end = data.find(b"\0\0", end + 1)
            key = None
            if end >= 0:
                spec = data[pos:end]
                key = (tag, children, spec)
                found = entries.get(key)
                if found is None and (not spec or max(spec) < 0x80) \
                        and 0x21 not in spec[1::2]:
                    entry = (tag, bool(children),
                             tuple(zip(spec[::2], spec[1::2], repeat(None))))
                    found = entries[key] = (entries.setdefault(entry, entry), end + 2 - pos)
                if found is not None:
                    table[code] = found[0]
                    pos += found[1]
                    continue
            start = pos
            attrs = []
            while True:
                # attribute and form codes are nearly always one byte each
                attr, form = data[pos], data[pos + 1]
                if attr < 0x80 and form < 0x80:
                    pos += 2
                else:
                    attr, pos = _uleb(data, pos)
                    form, pos = _uleb(data, pos)
                if attr == 0 and form == 0:
                    break
                const = None
                if form == 0x21:
                    const, pos = _sleb(data, pos)
                attrs.append((attr, form, const))
            entry = (tag, bool(children), tuple(attrs))
            table[code] = entry = entries.setdefault(entry, entry)
            if key is not None and pos - start <= len(key[2]) + 2:
                entries[key] = (entry, pos - start)
        self.abbrevs[offset] = table
        return table


class _Unit:
    """Decoding state for one unit header: sizes, bases, abbreviations."""

    def __init__(self, dbg, offset):
        self.dbg = dbg
        info = dbg.info
        e = dbg.e
        self.offset = offset
        length, = struct.unpack_from(e + "I", info, offset)
        pos = offset + 4
        self.offset_size = 4
        if length == 0xFFFFFFFF:
            length, = struct.unpack_from(e + "Q", info, pos)
            pos += 8
            self.offset_size = 8
        self.end = pos + length
        if self.end > len(info):
            raise DwarfError(f"unit at {offset:#x} runs past .debug_info")
        self.version, = struct.unpack_from(e + "H", info, pos)
        pos += 2
        osz = "I" if self.offset_size == 4 else "Q"
        if self.version == 5:
            unit_type, self.addr_size = info[pos], info[pos + 1]
            abbrev, = struct.unpack_from(e + osz, info, pos + 2)
            pos += 2 + self.offset_size
            if unit_type in (4, 5):         # skeleton, split_compile
                pos += 8
            elif unit_type in (2, 6):       # type, split_type units
                pos += 8 + self.offset_size
        elif 2 <= self.version <= 4:
            abbrev, = struct.unpack_from(e + osz, info, pos)
            self.addr_size = info[pos + self.offset_size]
            pos += self.offset_size + 1
        else:
            raise DwarfError(f"unit at {offset:#x}: DWARF version {self.version}")
        if self.addr_size not in (2, 4, 8):
            raise DwarfError(f"unit at {offset:#x}: address size {self.addr_size}")
        self.first_die = pos
        self.abbrev = dbg.abbrev_table(abbrev)
        self.plans = {}
        self.decoders = {}
        self.skips = {}
        self.type_sizes = {}
        self.addr_fmt = e + {2: "H", 4: "I", 8: "Q"}[self.addr_size]
        self.off_fmt = e + osz
        self.str_offsets_base = self.addr_base = self.rnglists_base = None

    def form_value(self, form, pos, const):
        """Decode one attribute value: (value, next position).

        Blocks and expressions come back as bytes, strings as (form, x)
        pairs resolved by string().
        """
        data = self.dbg.info
        if form in FIXED_FORMS:
            size = FIXED_FORMS[form]
            if form == 0x21:
                return const, pos
            if size in (1, 2, 4, 8):
                fmt = self.dbg.e + {1: "B", 2: "H", 4: "I", 8: "Q"}[size]
                return struct.unpack_from(fmt, data, pos)[0], pos + size
            return int.from_bytes(data[pos:pos + size],
                                  "little" if self.dbg.e == "<" else "big"), pos + size
        if form == FORM_ADDR:
            return struct.unpack_from(self.addr_fmt, data, pos)[0], pos + self.addr_size
        if form in OFFSET_FORMS or (form == FORM_REF_ADDR and self.version >= 3):
            return struct.unpack_from(self.off_fmt, data, pos)[0], pos + self.offset_size
        if form == FORM_REF_ADDR:
            return struct.unpack_from(self.addr_fmt, data, pos)[0], pos + self.addr_size
        if form in ULEB_FORMS:
            return _uleb(data, pos)
        if form == FORM_SDATA:
            return _sleb(data, pos)
        if form == FORM_STRING:
            return _cstring(data, pos)
        if form in BLOCK_FORMS:
            prefix = BLOCK_FORMS[form]
            if prefix == 0:
                length, pos = _uleb(data, pos)
            else:
                fmt = self.dbg.e + {1: "B", 2: "H", 4: "I"}[prefix]
                length = struct.unpack_from(fmt, data, pos)[0]
                pos += prefix
            return data[pos:pos + length], pos + length
        if form == FORM_INDIRECT:
            real, pos = _uleb(data, pos)
            return self.form_value(real, pos, None)
        raise DwarfError(f"unit at {self.offset:#x}: unknown form {form:#x}")

    def form_size(self, form):
        """Bytes a form takes in this unit, None if it varies."""
        if form in FIXED_FORMS:
            return FIXED_FORMS[form]
        if form == FORM_ADDR or (form == FORM_REF_ADDR and self.version < 3):
            return self.addr_size
        if form in OFFSET_FORMS or form == FORM_REF_ADDR:
            return self.offset_size
        return None

    def plan(self, code):
        """How to step over a DIE of abbreviation code without decoding it.

        @ret (fixed, sib_at, sib_fmt)  fixed: size of all attributes if
                 every form has a fixed size; sib_at: where DW_AT_sibling
                 sits if every attribute before it is fixed (sib_fmt its
                 struct format), else None
        """
        plan = self.plans.get(code)
        if plan is None:
            # units share their abbreviations' shapes: each planned once
            entry = self.abbrev[code]
            # abbreviations are interned (_Debug.entries): id() is the shape
            key = (id(entry), self.addr_size, self.offset_size, self.version)
            plan = self.dbg.plans.get(key)
            if plan is None:
                plan = self.dbg.plans[key] = self._plan(entry[2])
            self.plans[code] = plan
        return plan

    def skipper(self, code):
        """How to find where a DIE of abbreviation code ends, and its
        DW_AT_sibling, without decoding it: steps (kind, a, b), or None.

        For a DIE plan() cannot step over: one with children whose
        sibling follows a form of varying size (a function's frame base),
        or one without children whose forms vary (an inline string).
        None when a form cannot be stepped over (indirect, unknown), or a
        DIE with children has no one DW_AT_sibling of a ref form.
        """
        entry = self.abbrev.get(code)
        if entry is None:
            return None
        key = (id(entry), self.addr_size, self.offset_size, self.version)
        if key in self.dbg.skippers:
            return self.dbg.skippers[key]
        steps, fixed, siblings = [], 0, 0
        for attr, form, _ in entry[2]:
            size = self.form_size(form)
            if attr == AT_SIBLING and entry[1]:
                if form not in REF_FORMS[:4]:
                    steps = None
                    break
                siblings += 1
                if fixed:
                    steps.append((SKIP_FIXED, fixed, None))
                    fixed = 0
                steps.append((SKIP_SIBLING, struct.Struct(self.dbg.e + {
                    1: "B", 2: "H", 4: "I", 8: "Q"}[size]), size))
                continue
            if size is not None:
                fixed += size
                continue
            if fixed:
                steps.append((SKIP_FIXED, fixed, None))
                fixed = 0
            if form in ULEB_FORMS or form == FORM_SDATA:
                steps.append((SKIP_LEB, None, None))
            elif form == FORM_STRING:
                steps.append((SKIP_STRING, None, None))
            elif form in BLOCK_FORMS and BLOCK_FORMS[form] == 0:
                steps.append((SKIP_ULEB_BLOCK, None, None))
            elif form in BLOCK_FORMS:
                prefix = BLOCK_FORMS[form]
                steps.append((SKIP_BLOCK, struct.Struct(self.dbg.e + {
                    1: "B", 2: "H", 4: "I"}[prefix]), prefix))
            else:
                steps = None
                break
        if steps is not None:
            if fixed:
                steps.append((SKIP_FIXED, fixed, None))
            if entry[1] and siblings != 1:
                steps = None
        steps = self.dbg.skippers[key] = tuple(steps) if steps is not None else None
        return steps

    def skip(self, steps, pos):
        """Run skipper() steps from pos (after the code): (end, sibling
        value or None), or None when die() must decide (a read past the
        section: die() raises or reads exactly as it always did)."""
        info = self.dbg.info
        sibling = None
        try:
            for kind, a, b in steps:
                if kind == SKIP_FIXED:
                    pos += a
                elif kind == SKIP_LEB:
                    while info[pos] >= 0x80:
                        pos += 1
                    pos += 1
                elif kind == SKIP_ULEB_BLOCK:
                    length = info[pos]
                    if length < 0x80:
                        pos += 1 + length
                    else:
                        length, pos = _uleb(info, pos)
                        pos += length
                elif kind == SKIP_BLOCK:
                    pos += b + a.unpack_from(info, pos)[0]
                elif kind == SKIP_STRING:
                    pos = info.index(b"\0", pos) + 1
                else:
                    sibling = a.unpack_from(info, pos)[0]
                    pos += b
        except (IndexError, ValueError, struct.error):
            return None
        # Every fixed-size read ended before pos: within the section
        return (pos, sibling) if pos <= len(info) else None

    def _plan(self, specs):
        """plan() for an abbreviation's attributes."""
        fixed, sib_at, sib_fmt = 0, None, None
        for attr, form, _ in specs:
            size = None if fixed is None else self.form_size(form)
            if attr == AT_SIBLING and fixed is not None and form in REF_FORMS[:4]:
                sib_at = fixed
                sib_fmt = self.dbg.e + {1: "B", 2: "H", 4: "I", 8: "Q"}[FIXED_FORMS[form]]
            fixed = None if size is None else fixed + size
        return fixed, sib_at, sib_fmt

    def decoder(self, code):
        """How to decode a DIE of abbreviation code: (tag, children, steps).

        Consecutive attributes of a fixed size are read with one
        precompiled struct (a step (STEP_FIXED, struct, size, fields),
        fields (attr, form, index into the unpacked values or -1, value
        when -1)); block and string forms have steps of their own; any
        other form is decoded by form_value() (STEP_OTHER).
        """
        decoder = self.decoders.get(code)
        if decoder is not None:
            return decoder
        entry = self.abbrev.get(code)
        if entry is None:
            raise DwarfError(f"unit at {self.offset:#x}: unknown abbreviation {code}")
        tag, children, specs = entry
        # units repeat the same abbreviations: compile each shape once
        key = (id(entry), self.addr_size, self.offset_size, self.version)
        steps = self.dbg.decoders.get(key)
        if steps is None:
            steps = self.dbg.decoders[key] = self._steps(specs)
        decoder = self.decoders[code] = (tag, children, steps)
        return decoder

    def _steps(self, specs):
        """The decoding steps for an abbreviation's attributes (decoder())."""
        steps, fmt, size, fields = [], "", 0, []
        for attr, form, const in specs:
            width = self.form_size(form)
            if width == 0:
                fields.append((attr, form, -1, const if form == 0x21 else 0))
                continue
            if width in (1, 2, 4, 8):
                fields.append((attr, form, len(fmt), None))
                fmt += {1: "B", 2: "H", 4: "I", 8: "Q"}[width]
                size += width
                continue
            if fields:
                steps.append((STEP_FIXED, struct.Struct(self.dbg.e + fmt), size,
                              tuple(fields)))
                fmt, size, fields = "", 0, []
            if form == 0x18:
                steps.append((STEP_EXPRLOC, attr, form, None))
            elif form == FORM_STRING:
                steps.append((STEP_STRING, attr, form, None))
            else:
                steps.append((STEP_OTHER, attr, form, const))
        if fields:
            steps.append((STEP_FIXED, struct.Struct(self.dbg.e + fmt), size, tuple(fields)))
        return tuple(steps)

    def die(self, pos):
        """Decode the DIE at pos: (tag, children, {attr: (form, value)}, end)."""
        info = self.dbg.info
        start = pos
        code = info[pos]
        if code < 0x80:
            pos += 1
        else:
            code, pos = _uleb(info, pos)
        if code == 0:
            return None, False, {}, pos
        tag, children, steps = self.decoders.get(code) or self.decoder(code)
        attrs = {}
        try:
            for kind, a, b, c in steps:
                if kind == STEP_FIXED:
                    values = a.unpack_from(info, pos)
                    pos += b
                    for attr, form, index, const in c:
                        attrs[attr] = (form, values[index] if index >= 0 else const)
                elif kind == STEP_EXPRLOC:
                    length = info[pos]
                    if length < 0x80:
                        pos += 1
                    else:
                        length, pos = _uleb(info, pos)
                    attrs[a] = (b, info[pos:pos + length])
                    pos += length
                elif kind == STEP_STRING:
                    end = info.index(b"\0", pos)
                    attrs[a] = (b, info[pos:end].decode("utf-8", "replace"))
                    pos = end + 1
                else:
                    value, pos = self.form_value(b, pos, c)
                    attrs[a] = (b, value)
        except (struct.error, IndexError, ValueError):
            # decode again one attribute at a time, for the precise error
            return self._die_slowly(start)
        return tag, children, attrs, pos

    def _die_slowly(self, pos):
        """die() one attribute at a time with form_value()."""
        code, pos = _uleb(self.dbg.info, pos)
        tag, children, specs = self.abbrev[code]
        attrs = {}
        for attr, form, const in specs:
            value, pos = self.form_value(form, pos, const)
            attrs[attr] = (form, value)
        return tag, children, attrs, pos

    def skip_children(self, pos):
        """Return the position after the children list starting at pos."""
        depth = 1
        while depth:
            if pos >= self.end:
                raise DwarfError(f"unit at {self.offset:#x}: unterminated children")
            tag, children, attrs, pos = self.die(pos)
            if tag is None:
                depth -= 1
            elif children:
                sibling = attrs.get(AT_SIBLING)
                if sibling and sibling[0] in REF_FORMS:
                    pos = self.sibling(sibling[1], pos)
                else:
                    depth += 1
        return pos

    def sibling(self, value, lowest):
        """Where DW_AT_sibling value points; before lowest it would loop."""
        target = self.offset + value
        if target < lowest:
            raise DwarfError(f"unit at {self.offset:#x}: DW_AT_sibling "
                             f"{target:#x} points back before {lowest:#x}")
        return target

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
                raise DwarfError(f"unit at {self.offset:#x}: address index {value}")
            return struct.unpack_from(self.addr_fmt, table, at)[0]
        return None

    def type_size(self, ref, depth=0):
        """Byte size of the type DIE at unit offset ref, or None.

        Known sizes are kept per (ref, depth): a unit's variables share
        their base types.
        """
        if depth > 8 or ref is None:
            return None
        key = (ref, depth)
        if key in self.type_sizes:
            return self.type_sizes[key]
        size = self.type_sizes[key] = self._type_size(ref, depth)
        return size

    def _type_size(self, ref, depth):
        """type_size() decoding the DIE."""
        tag, children, attrs, pos = self.die(self.offset + ref)
        if AT_BYTE_SIZE in attrs and attrs[AT_BYTE_SIZE][0] in DATA_FORMS:
            return attrs[AT_BYTE_SIZE][1]
        inner = attrs.get(AT_TYPE)
        inner = inner[1] if inner and inner[0] in REF_FORMS else None
        if tag in TYPE_WRAPPERS:
            return self.type_size(inner, depth + 1)
        if tag == TAG_ARRAY and children:
            size = self.type_size(inner, depth + 1)
            while size is not None:
                sub, _, sattrs, pos = self.die(pos)
                if sub != TAG_SUBRANGE:
                    break
                if AT_COUNT in sattrs and sattrs[AT_COUNT][0] in DATA_FORMS:
                    size *= sattrs[AT_COUNT][1]
                elif AT_UPPER_BOUND in sattrs and sattrs[AT_UPPER_BOUND][0] in DATA_FORMS:
                    size *= sattrs[AT_UPPER_BOUND][1] + 1
                else:
                    return None
            return size
        return None


def _aranges(dbg):
    """Parse .debug_aranges: {unit offset: [(lo, hi)]}."""
    data = dbg.sections.get(".debug_aranges", b"")
    e = dbg.e
    result = {}
    pos = 0
    while pos + 4 <= len(data):
        start = pos
        length, = struct.unpack_from(e + "I", data, pos)
        pos += 4
        osz = "I"
        if length == 0xFFFFFFFF:
            length, = struct.unpack_from(e + "Q", data, pos)
            pos += 8
            osz = "Q"
        end = pos + length
        if end > len(data):
            raise DwarfError(".debug_aranges: set runs past the section")
        _, unit = struct.unpack_from(e + "H" + osz, data, pos)
        pos += 2 + struct.calcsize(osz)
        addr_size, seg_size = data[pos], data[pos + 1]
        pos += 2
        if addr_size not in (2, 4, 8) or seg_size:
            raise DwarfError(f".debug_aranges: address size {addr_size}")
        tuple_size = 2 * addr_size
        pos = start + -(-(pos - start) // tuple_size) * tuple_size
        fmt = e + {2: "HH", 4: "II", 8: "QQ"}[addr_size]
        ranges = result.setdefault(unit, [])
        for lo, size in struct.iter_unpack(fmt, data[pos:end - (end - pos) % tuple_size]):
            if lo == 0 and size == 0:
                break
            if size:
                ranges.append((lo, lo + size))
        pos = end
    return result


def _unit_ranges(unit, attrs):
    """Code ranges from the unit DIE (low/high pc, DW_AT_ranges)."""
    low = attrs.get(AT_LOW_PC)
    base = unit.address(*low) if low else 0
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


def _static_address(unit, expr):
    """The address of a location that is just DW_OP_addr/addrx, else None."""
    if not isinstance(expr, bytes) or not expr:
        return None
    if expr[0] == OP_ADDR and len(expr) == 1 + unit.addr_size:
        return struct.unpack_from(unit.addr_fmt, expr, 1)[0]
    if expr[0] in (OP_ADDRX, OP_GNU_ADDR_INDEX):
        index, end = _uleb(expr, 1)
        if end == len(expr):
            return unit.address(0x1B, index)
    return None


#: How _variables() steps over a top-level DIE (_action())
STEP_SIBLING, STEP_OVER, STEP_SKIP, STEP_DECODE = range(4)


def _action(unit, code):
    """How _variables() steps over DIEs of abbreviation code: to their
    DW_AT_sibling at a fixed place (STEP_SIBLING, place, struct), over
    attributes of a fixed size (STEP_OVER, size), with skipper() steps
    (STEP_SKIP, steps, children), or by decoding them (STEP_DECODE): a
    variable, an unknown code, or forms skipper() cannot step over."""
    entry = unit.abbrev.get(code)
    if entry is None or entry[0] == TAG_VARIABLE:
        return (STEP_DECODE,)
    fixed, sib_at, sib_fmt = unit.plan(code)
    if entry[1] and sib_at is not None:
        return STEP_SIBLING, sib_at, struct.Struct(sib_fmt)
    if not entry[1] and fixed is not None:
        return STEP_OVER, fixed
    steps = unit.skipper(code)
    return (STEP_SKIP, steps, entry[1]) if steps is not None else (STEP_DECODE,)


def _variables(unit, pos):
    """Top-level variables with a static address: [(addr, size or None)].

    Most top-level DIEs (types, declarations) are stepped over without
    decoding: see _Unit.plan().
    """
    found = []
    info = unit.dbg.info
    base, end = unit.offset, unit.end
    actions = {}        # abbreviation code -> how to step over its DIEs
    while pos < end:
        code = info[pos]
        if code < 0x80:
            after = pos + 1
        else:
            code, after = _uleb(info, pos)
        action = actions.get(code)
        if action is None:
            action = actions[code] = _action(unit, code)
        kind = action[0]
        if kind == STEP_SIBLING:
            value = action[2].unpack_from(info, after + action[1])[0]
            pos = base + value
            if pos < after:
                unit.sibling(value, after)      # raises: it points back
            continue
        if kind == STEP_OVER:
            pos = after + action[1]
            continue
        if kind == STEP_SKIP:
            # what die() would find, without decoding every attribute
            skipped = unit.skip(action[1], after)
            if skipped is not None:
                pos = unit.sibling(skipped[1], skipped[0]) if action[2] else skipped[0]
                continue
        tag, children, attrs, pos = unit.die(pos)
        if tag is None:
            break
        addr = None
        if tag == TAG_VARIABLE and AT_LOCATION in attrs:
            addr = _static_address(unit, attrs[AT_LOCATION][1])
        if addr is not None:
            ref = attrs.get(AT_TYPE)
            if ref is None and AT_SPECIFICATION in attrs:
                _, _, decl, _ = unit.die(unit.offset + attrs[AT_SPECIFICATION][1])
                ref = decl.get(AT_TYPE)
            size = unit.type_size(ref[1]) if ref and ref[0] in REF_FORMS else None
            found.append((addr, size))
        if children:
            sibling = attrs.get(AT_SIBLING)
            if sibling and sibling[0] in REF_FORMS:
                pos = unit.sibling(sibling[1], pos)
            else:
                pos = unit.skip_children(pos)
    return found


def _units(image, data):
    """Every compile unit; for ET_REL names only (addresses are relative)."""
    dbg = _Debug(image, data)
    linked = image.type != "ET_REL"
    aranges = _aranges(dbg) if linked else {}
    units = []
    pos = 0
    while pos < len(dbg.info):
        unit = _Unit(dbg, pos)
        tag, children, attrs, after = unit.die(unit.first_die)
        if tag in (TAG_COMPILE_UNIT, TAG_PARTIAL_UNIT):
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
                variables = _variables(unit, after) if children else []
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
        # The decoders index section bytes directly: a field, offset or
        # reference past the end of its section lands here
        raise model.InputError(image.path, f"bad DWARF: read past the end of a section "
                               f"({type(err).__name__}: {err})") from None
