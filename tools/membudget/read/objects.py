"""Source files behind object files and symbols, and merged-string owners.

Attribution learns files under three spellings: DWARF unit names (full
paths), STT_FILE symbols (usually a base name such as "heap.c") and the
object paths of a map file ("build/fw/heap.o", "libgcc.a(_udivdi3.o)").
This module turns each into one project-relative path when it can:

  * unit_path(): DW_AT_name joined with DW_AT_comp_dir, made relative to
    the project root when inside it (else the name as compiled, normalised;
    absolute outside the root);
  * FileNames.base(): an STT_FILE base name becomes the one DWARF unit (or
    map object) with that base name; ambiguous names stay as they are;
  * object_path(): an object becomes (1) the DWARF unit whose code the
    object's input sections overlap (the caller passes it), else (2) the
    unit of the object file itself when it exists on disk, else (3) the
    source file under the project root with the object's stem ("heap.o"
    -> "heap.c", ".S", ...) that shares the most trailing directories with
    the object path (build/fw/arch/i386/int15.o -> firmware/arch/i386/
    int15.S); when that is not unique, or for archive members, the object
    path is kept (still matchable with globs like "*libgcc.a*").

Merged strings: StringOwners reads the SHF_MERGE|SHF_STRINGS sections of
the given objects and maps each NUL-terminated string to the first object
(in the order given, which is the link order the linker keeps the first
copy from) that contains it.
"""

import os

from .. import model
from . import dwarf, elf
from .elf import SHF_MERGE, SHF_STRINGS

SOURCE_EXTENSIONS = (".c", ".S", ".s", ".cc", ".cpp", ".cxx", ".asm")


def relative(path, root):
    """path relative to root when inside it; else the longest tail of path
    that names a file under root (a build of the same project in another
    checkout); else path (normalised)."""
    path = os.path.normpath(path)
    if root and os.path.isabs(path):
        root = os.path.normpath(os.path.abspath(root))
        if path == root or path.startswith(root + os.sep):
            return os.path.relpath(path, root)
        return _tail_under(path, root)
    return path


_TAILS = {}


def _tail_under(path, root):
    """The longest tail of an absolute path that exists under root, or path."""
    key = (path, root)
    if key not in _TAILS:
        parts = path.split(os.sep)[1:]
        _TAILS[key] = next((os.path.join(*parts[i:]) for i in range(len(parts) - 1)
                            if os.path.isfile(os.path.join(root, *parts[i:]))), path)
    return _TAILS[key]


def unit_path(name, comp_dir, root):
    """The project-relative path of a DWARF unit (see module docstring)."""
    if name is None:
        return None
    if not os.path.isabs(name) and comp_dir:
        full = os.path.join(comp_dir, name)
        rel = relative(full, root)
        return rel if not os.path.isabs(rel) else os.path.normpath(name)
    return relative(name, root)


class FileNames:
    """Known full paths by base name, to expand STT_FILE names."""

    def __init__(self, paths, root=None):
        self.by_base = {}
        self.root = root
        self.on_disk = None
        for path in paths:
            self.by_base.setdefault(os.path.basename(path), set()).add(path)

    def base(self, name):
        """Expand an STT_FILE base name: the one known path with that base
        name, else the one source file under the project root with it."""
        if name is None or "/" in name:
            return name
        found = self.by_base.get(name, ())
        if not found and self.root:
            if self.on_disk is None:
                self.on_disk = _sources_by_base(self.root)
            found = self.on_disk.get(name, ())
        return next(iter(found)) if len(found) == 1 else name


def _sources_by_base(root):
    """{base name: {project-relative paths}} of source files under root.

    Hidden directories and build/ are skipped: they hold no sources.
    """
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "build"]
        for name in filenames:
            if name.endswith(SOURCE_EXTENSIONS):
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                found.setdefault(name, set()).add(rel)
    return found


def object_source(obj, root):
    """Rules (2) and (3) of the module docstring for one map object."""
    if obj.endswith(".o") and os.path.isfile(obj):
        try:
            units = dwarf.read_units(elf.read_image(obj))
        except model.InputError:
            units = []
        if len(units) == 1 and units[0].name:
            return unit_path(units[0].name, units[0].comp_dir, root)
    # An archive member (lib.a(tcp.o)) is found by its own name alone
    member = obj[obj.index("(") + 1:-1] if obj.endswith(")") and "(" in obj else obj
    if not member.endswith((".o", ".obj")) or not root:
        return relative(obj, root)
    stem_dirs = os.path.normpath(os.path.splitext(member)[0]).split(os.sep)
    best, score = [], -1
    for path in _project_sources(root).get(stem_dirs[-1], ()):
        if path.endswith(HEADER_SUFFIXES):
            continue        # objects are compiled from sources, not headers
        dirs = os.path.splitext(path)[0].split(os.sep)
        common = 0
        while common < min(len(dirs), len(stem_dirs)) and \
                dirs[-1 - common] == stem_dirs[-1 - common]:
            common += 1
        if common > score:
            best, score = [path], common
        elif common == score:
            best.append(path)
    return best[0] if len(best) == 1 else relative(obj, root)


HEADER_SUFFIXES = (".h", ".hh", ".hpp", ".hxx", ".inc")
_SOURCES = {}


def _project_sources(root):
    """{stem: [project-relative source paths]} under root, cached."""
    if root not in _SOURCES:
        by_stem = {}
        for base, paths in _sources_by_base(root).items():
            by_stem.setdefault(os.path.splitext(base)[0], []).extend(sorted(paths))
        _SOURCES[root] = by_stem
    return _SOURCES[root]


class StringOwners:
    """Which object first defines each merged string (module docstring)."""

    def __init__(self, paths):
        self.owner = {}
        for path in paths:
            image = elf.read_image(path)
            data = image.data
            for sec in image.sections:
                if sec.cls != "rodata" or sec.flags & (SHF_MERGE | SHF_STRINGS) \
                        != SHF_MERGE | SHF_STRINGS:
                    continue
                blob = data[sec.offset:sec.offset + sec.size]
                for text in blob.split(b"\0")[:-1]:
                    self.owner.setdefault(text, str(path))


def global_definitions(paths):
    """{symbol name: object} for sized globals exactly one object defines."""
    owner = {}
    for path in paths:
        for sym in elf.read_image(path).symbols:
            if sym.binding != "local" and sym.section and sym.size:
                owner[sym.name] = None if sym.name in owner else str(path)
    return {name: obj for name, obj in owner.items() if obj}
