"""Read an ELF file into a model.Image: sections, classes, symbols.

The ELF headers, section table and symbol table are decoded here with
struct over the raw file bytes: it is fast (a 23 MB shared library reads
in a fraction of a second) and every malformed field can be reported as a
one-line InputError.  DWARF is left to dwarf.py and read only on demand.

Callers may rely on:
  * read_image() raises model.InputError, and nothing else, for any file
    that is not a well-formed ELF (not ELF, truncated, offsets past the
    end, bad entry sizes, bad string indexes);
  * every allocated section gets exactly one class (docs/design.md
    "Size classes"), and the per-class sums equal what GNU `size -A`
    prints for those sections;
  * ARM function symbols have the Thumb bit cleared.
"""

import contextlib
import gc
import mmap
import os
import struct

from .. import model
from ._elf import symbols as _decode_symbols

# The ELF constants of membudget and its tests: defined here only
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
SHF_MERGE = 0x10
SHF_STRINGS = 0x20
SHF_TLS = 0x400
SHF_COMPRESSED = 0x800

SHT_NULL = 0
SHT_PROGBITS = 1
SHT_SYMTAB = 2
SHT_STRTAB = 3
SHT_RELA = 4
SHT_NOTE = 7
SHT_NOBITS = 8
SHT_DYNSYM = 11
SHT_SYMTAB_SHNDX = 18

SHN_UNDEF = 0
SHN_LORESERVE = 0xFF00
SHN_ABS = 0xFFF1
SHN_XINDEX = 0xFFFF

STB_LOCAL = 0
STB_GLOBAL = 1
STB_WEAK = 2

STT_NOTYPE = 0
STT_OBJECT = 1
STT_FUNC = 2
STT_FILE = 4

ET_REL = 1
ET_EXEC = 2

NT_GNU_BUILD_ID = 3
PT_LOAD = 1

EM_386 = 3
EM_ARM = 40
EM_X86_64 = 62

ELF_TYPES = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE"}
MACHINES = {
    2: "EM_SPARC", 3: "EM_386", 8: "EM_MIPS", 20: "EM_PPC", 21: "EM_PPC64",
    22: "EM_S390", 40: "EM_ARM", 42: "EM_SH", 50: "EM_IA_64",
    62: "EM_X86_64", 183: "EM_AARCH64", 243: "EM_RISCV", 258: "EM_LOONGARCH",
}
SYMBOL_KINDS = {0: "notype", 1: "object", 2: "func", 3: "section", 4: "file",
                5: "common", 6: "tls", 10: "ifunc"}
SYMBOL_BINDINGS = {0: "local", 1: "global", 2: "weak", 10: "unique"}

# Field layouts per ELF class: header after e_ident, section header; a
# symbol's entry size (_elf.c decodes the entries)
HEADER = {32: "HHIIIIIHHHHHH", 64: "HHIQQQIHHHHHH"}
SHDR = {32: "IIIIIIIIII", 64: "IIQQQQIIQQ"}
SYM_SIZE = {32: 16, 64: 24}       # Elf32_Sym, Elf64_Sym


def classify(flags, sh_type):
    """Return a section's size class (docs/design.md "Size classes") or None.

    @v flags            sh_flags
    @v sh_type          sh_type
    @ret cls            one of model.CLASSES, or None

    .tbss (TLS, NOBITS) is bss: `size -A` counts its full sh_size even
    though it shares addresses with the sections that follow it.
    """
    if not flags & SHF_ALLOC:
        return None
    if flags & SHF_EXECINSTR:
        return "code"
    if sh_type == SHT_NOBITS:
        return "bss"
    if flags & SHF_WRITE:
        return "data"
    return "rodata"


class _Reader:
    """Bounds-checked access to the bytes of one ELF file."""

    def __init__(self, path, data):
        self.path = path
        self.data = data

    def fail(self, message):
        raise model.InputError(self.path, message)

    def unpack(self, fmt, offset, what):
        """Unpack fmt at offset; a short read is a truncated file."""
        size = struct.calcsize(fmt)
        if offset < 0 or offset + size > len(self.data):
            self.fail(f"truncated ELF: {what} at offset {offset:#x} "
                      f"past end of file ({len(self.data)} bytes)")
        return struct.unpack_from(fmt, self.data, offset)

    def check(self, offset, size, what):
        """Fail naming what was read unless size bytes at offset are in the file."""
        if offset < 0 or size < 0 or offset + size > len(self.data):
            self.fail(f"{what}: offset {offset:#x} + size {size:#x} "
                      f"past end of file ({len(self.data)} bytes)")

    def blob(self, offset, size, what):
        """Return size bytes at offset, or fail naming what was read."""
        self.check(offset, size, what)
        return self.data[offset:offset + size]


def _string(table, offset, path, what):
    """Return the NUL-terminated string at offset in a string table."""
    if offset >= len(table) and offset:
        raise model.InputError(path, f"{what}: string offset {offset:#x} "
                               f"outside string table ({len(table)} bytes)")
    end = table.find(b"\0", offset)
    if end < 0:
        raise model.InputError(path, f"{what}: unterminated string at "
                               f"offset {offset:#x}")
    return table[offset:end].decode("utf-8", "replace")


def _header(rd):
    """Decode e_ident and the ELF header; return (bits, endian, fields)."""
    ident = rd.data[:16]
    if len(ident) < 4 or ident[:4] != b"\x7fELF":
        rd.fail("not an ELF file")
    if len(ident) < 16:
        rd.fail("truncated ELF: identification shorter than 16 bytes")
    bits = {1: 32, 2: 64}.get(ident[4])
    endian = {1: "<", 2: ">"}.get(ident[5])
    if bits is None:
        rd.fail(f"bad ELF class {ident[4]}")
    if endian is None:
        rd.fail(f"bad ELF data encoding {ident[5]}")
    fields = rd.unpack(endian + HEADER[bits], 16, "ELF header")
    return bits, endian, fields


def _section_headers(rd, bits, endian, fields):
    """Return the raw section header tuples and the shstrtab index."""
    (_, _, _, _, _, shoff, _, _, _, _, shentsize, shnum, shstrndx) = fields
    if shoff == 0:
        return [], 0
    fmt = endian + SHDR[bits]
    if shentsize != struct.calcsize(fmt):
        rd.fail(f"bad section header size {shentsize}")
    # Large section counts live in section 0 (e_shnum == 0)
    first = rd.unpack(fmt, shoff, "section header table")
    if shnum == 0:
        shnum = first[5]
    if shstrndx == SHN_XINDEX:
        shstrndx = first[6]
    rd.blob(shoff, shnum * shentsize, "section header table")
    headers = list(struct.iter_unpack(fmt, rd.data[shoff:shoff + shnum * shentsize]))
    if shstrndx >= shnum:
        rd.fail(f"section name table index {shstrndx} out of range")
    return headers, shstrndx


def _sections(rd, headers, shstrndx):
    """Build model.Section objects; every section's bytes must be in the file."""
    names = b""
    if headers:
        _, _, _, _, off, size, _, _, _, _ = headers[shstrndx]
        names = rd.blob(off, size, "section name table")
    sections = []
    for index, (name, sh_type, flags, addr, off, size, link, info, align, _) \
            in enumerate(headers):
        if index == 0:
            continue
        sname = _string(names, name, rd.path, f"section {index} name")
        if sh_type not in (SHT_NULL, SHT_NOBITS):
            rd.check(off, size, f"section {sname}")
        sections.append(model.Section(
            index=index, name=sname, cls=classify(flags, sh_type), addr=addr,
            size=size, offset=off, flags=flags, type=sh_type, align=align,
            link=link, info=info))
    return sections


def _load_addresses(rd, bits, endian, fields, sections):
    """Give each allocated section its load address (LMA) from the program headers.

    A section inside a PT_LOAD segment loads at p_paddr plus its offset in
    the segment; one outside every segment (or in a relocatable object)
    loads where it runs.  Sections may share run addresses (real-mode
    segments at 0, overlays): that is normal input, not an error.
    """
    phoff, phentsize, phnum = fields[4], fields[8], fields[9]
    fmt = endian + ("IIIIIIII" if bits == 32 else "IIQQQQQQ")
    loads = []
    if phoff and phnum and phentsize == struct.calcsize(fmt):
        rd.blob(phoff, phnum * phentsize, "program header table")
        for entry in struct.iter_unpack(fmt, rd.data[phoff:phoff + phnum * phentsize]):
            if bits == 32:
                p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz = entry[:6]
            else:
                p_type, _, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz = entry[:7]
            if p_type == PT_LOAD:
                loads.append((p_offset, p_vaddr, p_paddr, p_filesz, p_memsz))
    placed = []
    for sec in sections:
        lma = sec.addr
        if sec.cls:
            for p_offset, p_vaddr, p_paddr, p_filesz, p_memsz in loads:
                if sec.type == SHT_NOBITS:
                    inside = p_vaddr <= sec.addr < p_vaddr + p_memsz or \
                        (sec.size == 0 and sec.addr == p_vaddr + p_memsz)
                else:
                    inside = p_offset <= sec.offset < p_offset + max(p_filesz, 1) \
                        and p_vaddr <= sec.addr <= p_vaddr + p_memsz
                if inside:
                    lma = sec.addr - p_vaddr + p_paddr
                    break
        placed.append(sec if lma == sec.addr else sec.replace(lma=lma))
    return placed


def _symbols(rd, bits, endian, headers, symtab_index, machine):
    """Check one symbol table's shape; _elf.c decodes its entries.

    @ret symbols        list of model.Symbol, in table order (index 0 dropped)

    A local symbol after an STT_FILE symbol gets its name as file; an
    empty STT_FILE name ends the group (ld emits one for linker locals).
    """
    _, _, _, _, off, size, link, _, _, entsize = headers[symtab_index]
    want = SYM_SIZE[bits]
    if entsize != want:
        rd.fail(f"symbol table: bad entry size {entsize} (expected {want})")
    if size % want:
        rd.fail(f"symbol table: size {size} not a multiple of {want}")
    if link == 0 or link >= len(headers) or headers[link][1] != SHT_STRTAB:
        rd.fail(f"symbol table: bad string table link {link}")
    raw = rd.blob(off, size, "symbol table")
    _, _, _, _, soff, ssize, _, _, _, _ = headers[link]
    strings = rd.blob(soff, ssize, "symbol string table")
    xindex = _xindex_table(rd, endian, headers, symtab_index)
    # st_info's halves, named once
    kinds = [SYMBOL_KINDS.get(k, f"type{k}") for k in range(16)]
    bindings = [SYMBOL_BINDINGS.get(b, f"bind{b}") for b in range(16)]
    try:
        return _decode_symbols(raw, strings, bits, endian == ">", xindex, machine == EM_ARM,
                               model.Symbol, kinds, bindings)
    except ValueError as err:
        number, offset = err.args
        _string(strings, offset, rd.path, f"symbol {number}")  # raises its message
        raise


def _xindex_table(rd, endian, headers, symtab_index):
    """Return the SHT_SYMTAB_SHNDX entries for a symbol table, or None."""
    for _, sh_type, _, _, off, size, link, _, _, _ in headers:
        if sh_type == SHT_SYMTAB_SHNDX and link == symtab_index:
            raw = rd.blob(off, size - size % 4, "extended section index table")
            return [v for (v,) in struct.iter_unpack(endian + "I", raw)]
    return None


def _build_id(rd, endian, sections):
    """Return the GNU build-id as lowercase hex, or None."""
    for sec in sections:
        if sec.type != SHT_NOTE or sec.name != ".note.gnu.build-id":
            continue
        note = rd.data[sec.offset:sec.offset + sec.size]
        pos = 0
        while pos + 12 <= len(note):
            namesz, descsz, ntype = struct.unpack_from(endian + "III", note, pos)
            name_at = pos + 12
            desc_at = name_at + (namesz + 3) // 4 * 4
            end = desc_at + (descsz + 3) // 4 * 4
            if desc_at + descsz > len(note):
                rd.fail("truncated build-id note")
            if ntype == NT_GNU_BUILD_ID and note[name_at:name_at + 3] == b"GNU":
                return note[desc_at:desc_at + descsz].hex()
            pos = end
    return None


@contextlib.contextmanager
def gc_paused():
    """Hold the cyclic garbage collector off for a block.

    Reading and attributing a large image makes millions of small
    acyclic objects (symbols, claims, pieces); each allocation burst
    would set off collections that walk all the live ones again (0.6 s
    of 3 s on a 100k-symbol image).  Reference counting frees them as
    usual; cycles wait for the collector to come back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_image(path):
    """Read the ELF at path into a model.Image.

    @v path             file name
    @ret image          model.Image (symbols from .symtab, else .dynsym)
    @raises InputError  unreadable file or malformed ELF

    The file is mapped, not read: Image.data is an mmap, read like bytes
    (slices are bytes), and only the pages something reads (headers,
    symbols, the DWARF that attribution uses) take memory.  Most of a
    large image's bytes (.debug_line, .debug_loclists, code) are never
    read; its hash is computed from the file, when something asks for it
    (a check never does).  A file that cannot be mapped (empty, a pipe)
    is read as before.
    """
    try:
        with open(path, "rb") as f:
            try:
                data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):
                data = f.read()
                digest = _digest_of_bytes(data)
            else:
                digest = _digest_of_file(path, data, _identity(os.fstat(f.fileno())))
    except OSError as err:
        raise model.InputError(path, err.strerror or str(err)) from None
    with gc_paused():
        return _image(path, data, digest)


def _digest_of_bytes(data):
    """Image.sha256 of bytes read: computed on first use."""
    def digest():
        import hashlib  # on use: hashlib (OpenSSL) is 11 M instructions to import
        return hashlib.sha256(data).hexdigest()
    return digest


def _identity(st):
    """What tells a file's version apart: a linker writes a new file."""
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _digest_of_file(path, data, identity):
    """Image.sha256 of a mapped file, on first use: read from the file
    (hashing the map would bring every page of it into memory), or from
    the map (data) when path is no longer the file that was mapped."""
    def digest():
        import hashlib
        try:
            with open(path, "rb") as f:
                if _identity(os.fstat(f.fileno())) == identity:
                    return hashlib.file_digest(f, "sha256").hexdigest()
        except OSError:
            pass
        return hashlib.sha256(data).hexdigest()
    return digest


def read_image_bytes(path, data):
    """read_image() on bytes already read (an archive member); path names them."""
    with gc_paused():
        return _image(path, data, _digest_of_bytes(data))


def symbol_table(image, table):
    """The symbols of one more symbol table of image (.dynsym beside .symtab).

    @v table            the model.Section of an SHT_SYMTAB or SHT_DYNSYM
    @ret symbols        list of model.Symbol in table order, index 0 dropped
    @raises InputError  a malformed table
    """
    rd = _Reader(image.path, image.data)
    headers = [(0,) * 10] * (max(s.index for s in image.sections) + 1)
    for sec in image.sections:
        entsize = SYM_SIZE[image.elfclass] if sec.index == table.index else 0
        headers[sec.index] = (0, sec.type, sec.flags, sec.addr, sec.offset, sec.size,
                              sec.link, sec.info, sec.align, entsize)
    machine = next((k for k, v in MACHINES.items() if v == image.machine), 0)
    return _symbols(rd, image.elfclass, "<" if image.endian == "little" else ">",
                    headers, table.index, machine)


def _image(path, data, digest):
    """read_image() on the file's bytes (digest: their sha256, or a
    function that computes it)."""
    rd = _Reader(str(path), data)
    bits, endian, fields = _header(rd)
    e_type, machine = fields[0], fields[1]
    headers, shstrndx = _section_headers(rd, bits, endian, fields)
    sections = _load_addresses(rd, bits, endian, fields, _sections(rd, headers, shstrndx))
    symtab = [i for i, h in enumerate(headers) if h[1] == SHT_SYMTAB]
    if not symtab:
        symtab = [i for i, h in enumerate(headers) if h[1] == SHT_DYNSYM]
    symbols = _symbols(rd, bits, endian, headers, symtab[0], machine) \
        if symtab else []
    debug = {s.name for s in sections if s.size}
    return model.Image(
        path=str(path), elfclass=bits,
        endian="little" if endian == "<" else "big",
        machine=MACHINES.get(machine, f"EM_{machine}"),
        type=ELF_TYPES.get(e_type, f"ET_{e_type}"),
        sections=sections, symbols=symbols,
        build_id=_build_id(rd, endian, sections),
        sha256=digest,
        has_dwarf=".debug_info" in debug or ".zdebug_info" in debug, data=data,
        entry=fields[3] or None)


def class_totals(image):
    """Return {class: bytes} summed over the allocated sections."""
    totals = dict.fromkeys(model.CLASSES, 0)
    for sec in image.allocated():
        totals[sec.cls] += sec.size
    return totals
