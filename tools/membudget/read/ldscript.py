"""What a GNU ld linker script says about --gc-sections: KEEP() and EXTERN().

GNU ld's map echoes each input-section pattern of the script before the
input sections it placed (` *(SORT_BY_NAME(.tbl.*))`), but not whether the
pattern was inside KEEP().  read_script() finds the KEEP() patterns of a
script, so that the map's input sections listed under one of them are
known to be kept whatever references them; EXTERN(sym) names symbols the
link keeps like `-u sym`.  INCLUDEd files are read too when they exist
(relative to the script's directory, then to the current one).

A pattern is compared in one normal form (normalize()): no white space,
SORT( spelt SORT_BY_NAME( as the map prints it.  pattern_globs() splits a
simple pattern `FILE(SECTION SECTION ...)` into fnmatch globs, for input
sections no map lists (an object `plan --add-object` adds).

Without a script, the KEEP()s of ld's default scripts apply (DEFAULT_KEEP:
.init, .fini, the constructor and destructor tables, .jcr), as their input
section names.
"""

import os
import re

from .. import model

#: Input sections ld's built-in scripts KEEP (`ld --verbose`)
DEFAULT_KEEP = (".init", ".fini", ".preinit_array", ".init_array", ".init_array.*",
                ".fini_array", ".fini_array.*", ".ctors", ".ctors.*", ".dtors",
                ".dtors.*", ".jcr")

# Patterns, compiled on first use (re's cache): a map's reader imports this
# module for normalize() alone, and compiling them was most of its import
_COMMENT = r"(?s)/\*.*?\*/"
_KEEP = r"\bKEEP\s*\("
_EXTERN = r"\bEXTERN\s*\(([^)]*)\)"
_INCLUDE = r"\bINCLUDE\s+(\S+)"
_SORTS = (r"\b(SORT_BY_NAME|SORT_BY_ALIGNMENT|SORT_BY_INIT_PRIORITY|SORT_NONE|"
          r"SORT)\s*\(")


class Script(model.Record):
    """The KEEP() patterns (normal form) and EXTERN() symbols of a script."""

    FIELDS = ("paths", "keep", "externs")

    def __init__(self, paths=None, keep=None, externs=None):
        self.paths = [] if paths is None else paths
        self.keep = [] if keep is None else keep
        self.externs = [] if externs is None else externs


def normalize(pattern):
    """One spelling of an input-section pattern, as the map echoes it.

    The map's reader calls it on every pattern line: no pattern to compile
    unless SORT is there, and str.split() drops what \\s matches.
    """
    if "SORT" in pattern:
        pattern = re.sub(r"\bSORT\s*\(", "SORT_BY_NAME(", pattern)
    return "".join(pattern.split())


def _balanced(text, start):
    """The text inside the parenthesis that opens at text[start - 1]."""
    depth = 1
    pos = start
    while pos < len(text) and depth:
        if text[pos] == "(":
            depth += 1
        elif text[pos] == ")":
            depth -= 1
        pos += 1
    return text[start:pos - 1] if depth == 0 else None


def pattern_globs(pattern):
    """(file glob, [section globs]) of a pattern `FILE(SECTIONS)`, or None.

    SORT*() wrappers are dropped; a pattern with EXCLUDE_FILE is None.
    """
    if "EXCLUDE_FILE" in pattern:
        return None
    text = pattern.strip()
    paren = text.find("(")
    if paren <= 0 or not text.endswith(")"):
        return None
    inner = re.sub(_SORTS, "", text[paren + 1:-1]).replace(")", " ")
    return text[:paren].strip(), inner.split()


def read_script(path, seen=None):
    """Read the KEEP() patterns and EXTERN() symbols of the script at path.

    @raises InputError  an unreadable file
    """
    seen = set() if seen is None else seen
    script = Script()
    real = os.path.realpath(path)
    if real in seen:
        return script
    seen.add(real)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = re.sub(_COMMENT, " ", f.read())
    except OSError as err:
        raise model.InputError(path, err.strerror or str(err)) from None
    script.paths.append(str(path))
    for match in re.finditer(_KEEP, text):
        inner = _balanced(text, match.end())
        if inner:
            script.keep.append(inner.strip())
    for match in re.finditer(_EXTERN, text):
        script.externs += match.group(1).replace(",", " ").split()
    for match in re.finditer(_INCLUDE, text):
        name = match.group(1).strip(";\"'")
        for base in (os.path.dirname(str(path)), "."):
            candidate = os.path.join(base, name)
            if os.path.isfile(candidate):
                more = read_script(candidate, seen)
                script.paths += more.paths
                script.keep += more.keep
                script.externs += more.externs
                break
    return script
