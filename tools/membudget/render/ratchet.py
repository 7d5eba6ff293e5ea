"""The budgets file with the caps `diff --gate ratchet` lowers rewritten.

Only the values change: every other byte of the file (comments, order,
other budgets, spacing) is kept, so the result is a small diff for a bot
to commit.  A lowered cap is written in bytes ("760 B").  It finds

    [components.NAME]  budget = { KEY = VALUE, ... }   (an inline table)
                       budget.KEY = VALUE              (a dotted key)
    [components.NAME.budget]  KEY = VALUE              (a sub-table)
    [image]   KEY = VALUE          [regions]   NAME = VALUE

and re-reads the result to make sure each cap now has its new value.
"""

import re

from ..model import InputError
from ..read import budgets as budgets_mod

_VALUE = r"""(?:"[^"\n]*"|'[^'\n]*'|[0-9][0-9_.]*)"""
_HEADER_RE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(?:#.*)?$")


def _tables(lines):
    """{table name: (first body line, end line)} of the file's [headers]."""
    found, name, start = {}, "", 0
    for i, line in enumerate(lines):
        match = _HEADER_RE.match(line)
        if match and not line.lstrip().startswith("[["):
            found.setdefault(name, (start, i))
            name = re.sub(r"\s*\.\s*", ".", match.group(1)).replace('"', "")
            start = i + 1
    found.setdefault(name, (start, len(lines)))
    return found


def _replace_in(lines, span, pattern, value):
    """Replace the first VALUE that pattern (with a (?P<v>) group) finds."""
    for i in range(*span):
        match = re.search(pattern, lines[i])
        if match:
            lines[i] = lines[i][:match.start("v")] + value + lines[i][match.end("v"):]
            return True
    return False


def _lower(lines, tables, owner, key, value):
    key_re = re.escape(key)
    if owner == "image":
        return _replace_in(lines, tables.get("image", (0, 0)),
                           rf"^\s*{key_re}\s*=\s*(?P<v>{_VALUE})", value)
    if owner.startswith("region "):
        name = re.escape(owner[len("region "):])
        return _replace_in(lines, tables.get("regions", (0, 0)),
                           rf"^\s*\"?{name}\"?\s*=\s*(?P<v>{_VALUE})", value)
    span = tables.get(f"components.{owner}", (0, 0))
    return (_replace_in(lines, span, rf"^\s*budget\s*=\s*\{{[^}}#]*?\b{key_re}\s*=\s*"
                                     rf"(?P<v>{_VALUE})", value)
            or _replace_in(lines, span, rf"^\s*budget\s*\.\s*{key_re}\s*=\s*(?P<v>{_VALUE})",
                           value)
            or _replace_in(lines, tables.get(f"components.{owner}.budget", (0, 0)),
                           rf"^\s*{key_re}\s*=\s*(?P<v>{_VALUE})", value))


def _cap(budgets, owner, key):
    if owner == "image":
        return budgets.image.get(key)
    if owner.startswith("region "):
        return budgets.regions.get(owner[len("region "):])
    comp = budgets.component(owner)
    return comp.budgets.get(key) if comp else None


def render(budgets, tightened):
    """The budgets file's text with each (owner, key, old, new) cap lowered.

    @v budgets      budgets.Budgets (its path is read again for the text)
    @raises InputError  the file changed, or a cap is written in a way
                        this cannot find
    """
    try:
        with open(budgets.path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(budgets.path, getattr(err, "strerror", None) or str(err)) from None
    if not tightened:
        return text
    lines = text.splitlines(keepends=True)
    tables = _tables(lines)
    for owner, key, _, new in tightened:
        if not _lower(lines, tables, owner, key, f'"{new} B"'):
            raise InputError(budgets.path, f"ratchet: cannot find {owner}'s {key} cap to "
                             "lower it (write it as budget = {{ {key} = ... }})")
    result = "".join(lines)
    again = budgets_mod.parse(result, budgets.path, root=budgets.root)
    for owner, key, _, new in tightened:
        if _cap(again, owner, key) != new:
            raise InputError(budgets.path, f"ratchet: rewriting {owner}'s {key} cap "
                             "did not give the new value")
    return result
