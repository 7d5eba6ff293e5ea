"""Where each component's input sections go: the budgets' `paths` globs as
GNU ld object-file patterns (`membudget lds --place`).

The budgets file is the one place a component is declared.  Its `paths`
globs name sources relative to the project root; the link sees objects.
An object map says where the build puts the object of a source:

    firmware/=*/fw/          firmware/arch/i386/int15*.[cS]
                          -> */fw/arch/i386/int15*.o

The longest source prefix a glob starts with is replaced by its object
prefix, and the glob's extension (c, S, [cS], * ...) by `.o`; a last
component without an extension that ends in `*` stays as it is (it
matches the objects).  A glob that can only match headers (`*.h`) names no
object: it is left out, said in a comment.  Globs keep fnmatch's meaning
in ld, whose file patterns are fnmatch patterns too (`*` crosses `/` in
both).  Catch-all components and components without a path glob that
names an object are not placed: they have no boundary symbols.
"""

import fnmatch
from dataclasses import dataclass

from ..model import InputError

#: Source suffixes a paths glob's extension may match (read.budgets' list)
SOURCE_EXTENSIONS = ("c", "h", "S", "s", "asm", "cc", "cpp", "cxx", "rs")
HEADER_EXTENSIONS = ("h",)
#: Characters an unquoted ld file pattern cannot hold
_LD_SPECIAL = set(" \t\n\r\"'(),;{}=")
_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Placed:
    """One component's object patterns, in the order of its paths globs."""

    component: str
    patterns: tuple[str, ...]
    skipped: tuple[str, ...] = ()   # header-only globs: no object of their own


@dataclass(frozen=True)
class Placement:
    """Every component in budgets order: placed ones, and why the rest are not."""

    placed: tuple[Placed, ...]
    unplaced: tuple[tuple[str, str], ...]   # (component, why)

    def components(self):
        return [p.component for p in self.placed]


def parse_object_map(specs):
    """[(source prefix, object prefix)] of --object-map SRC=OBJ arguments.

    @raises InputError  on --object-map: none given, or one malformed
    """
    if not specs:
        raise InputError("--object-map", "--place needs at least one SRC=OBJ mapping")
    pairs = []
    for spec in specs:
        src, eq, obj = spec.partition("=")
        if not eq or not src or not obj:
            raise InputError("--object-map", f"{spec!r}: expected SRC=OBJ, both non-empty")
        if _GLOB_CHARS & set(src):
            raise InputError("--object-map", f"{spec!r}: the source prefix is plain "
                             "text, not a glob")
        if _LD_SPECIAL & set(src + obj):
            raise InputError("--object-map", f"{spec!r}: ld cannot match a pattern "
                             "with spaces, quotes, commas, parentheses or braces")
        if src in dict(pairs):
            raise InputError("--object-map", f"{src!r} mapped twice")
        pairs.append((src, obj))
    return pairs


def _extension(last):
    """Split a glob's last path component into (stem, extension or None)."""
    stem, dot, ext = last.rpartition(".")
    if not dot or not stem:
        return last, None
    return stem, ext


def object_pattern(glob, object_map, where, path):
    """The ld file pattern of one paths glob, or None for a header-only glob.

    @v glob         a paths glob of the budgets file
    @v object_map   [(source prefix, object prefix)]
    @v where        the budgets key, for messages ("components.heap.paths")
    @v path         the budgets file, for messages
    @raises InputError  a glob outside every source prefix, or no object to name
    """
    prefixes = [(src, obj) for src, obj in object_map if glob.startswith(src)]
    if not prefixes:
        known = ", ".join(repr(src) for src, _ in object_map)
        raise InputError(path, f"{where}: '{glob}' starts with no --object-map "
                         f"source prefix ({known})")
    src, obj = max(prefixes, key=lambda pair: len(pair[0]))
    rest = glob[len(src):]
    if _LD_SPECIAL & set(rest):
        raise InputError(path, f"{where}: '{glob}': ld cannot match a pattern with "
                         "spaces, quotes, commas, parentheses or braces")
    head, _, last = rest.rpartition("/")
    stem, ext = _extension(last)
    if ext is None:
        if not last.endswith("*"):
            raise InputError(path, f"{where}: '{glob}' names no object file (no "
                             "source extension, no trailing *)")
        pattern_last = last
    else:
        matched = [e for e in SOURCE_EXTENSIONS if fnmatch.fnmatchcase(e, ext)]
        if not matched:
            raise InputError(path, f"{where}: '{glob}': extension '{ext}' matches no "
                             f"source suffix ({', '.join(SOURCE_EXTENSIONS)})")
        if all(e in HEADER_EXTENSIONS for e in matched):
            return None
        pattern_last = stem + ".o"
    return obj + (head + "/" if head else "") + pattern_last


def place(budgets, object_map):
    """The Placement of budgets (read.budgets.Budgets) under object_map
    [(source prefix, object prefix)] (see parse_object_map)."""
    placed, unplaced = [], []
    for comp in budgets.components:
        if comp.catch_all:
            unplaced.append((comp.name, "a catch-all component has no range"))
            continue
        where = f"components.{comp.name}.paths"
        patterns, skipped = [], []
        for glob in comp.paths:
            pattern = object_pattern(glob, object_map, where, budgets.path)
            if pattern is None:
                skipped.append(glob)
            elif pattern not in patterns:
                patterns.append(pattern)
        if patterns:
            placed.append(Placed(comp.name, tuple(patterns), tuple(skipped)))
        else:
            unplaced.append((comp.name, "no paths glob names an object file"))
    return Placement(tuple(placed), tuple(unplaced))
