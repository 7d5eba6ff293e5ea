"""Override lines: a commit message or pull-request body accepting growth.

    Membudget-Override: heap code +200 B: the new allocator's free lists

names a component (or `image`), a class (code, rodata, data, bss, rom or
ram), the growth accepted and why.  `diff --override-from FILE` reads
every such line of FILE; any other text is ignored, so FILE can be the
whole commit message or pull-request body.  A line that starts like an
override but does not parse is bad input: a typo must not silently fail
to override, nor silently pass.
"""

import re
from dataclasses import dataclass

from ..model import CLASSES, InputError
from .budgets import parse_size

KEY = "Membudget-Override"
#: Classes an override may name: the budgets' keys
OVERRIDE_KEYS = CLASSES + ("rom", "ram")

_START_RE = re.compile(r"^\s*(?:[-*>]\s*)*" + KEY + r"\s*:", re.IGNORECASE)
_LINE_RE = re.compile(r"^\s*(?:[-*>]\s*)*" + KEY + r"\s*:\s*(?P<owner>[A-Za-z_][A-Za-z0-9_]*)"
                      r"\s+(?P<key>[a-z]+)\s+\+\s*(?P<size>[0-9]+(?:\.[0-9]+)?\s*"
                      r"(?:B|KiB|MiB))\s*:\s*(?P<reason>\S.*?)\s*$", re.IGNORECASE)
USAGE = f"expected '{KEY}: <component> <class> +<N> B: <reason>'"


@dataclass(frozen=True)
class Override:
    """Growth of one component's (or the image's) class, accepted."""

    owner: str          # component name or "image"
    key: str            # a class, "rom" or "ram"
    allowance: int      # bytes of growth accepted
    reason: str
    where: str          # "FILE:LINE", for the report

    def text(self):
        return f"{self.owner} {self.key} +{self.allowance:,} B: {self.reason}"


def parse(text, path):
    """Every override line of text (from path, for messages and `where`)."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if not _START_RE.match(line):
            continue
        match = _LINE_RE.match(line)
        if not match:
            raise InputError(path, f"line {number}: {USAGE}")
        key = match.group("key").lower()
        if key not in OVERRIDE_KEYS:
            raise InputError(path, f"line {number}: {KEY}: unknown class '{key}' "
                             f"(one of {', '.join(OVERRIDE_KEYS)})")
        size = match.group("size")
        allowance = parse_size(size, f"line {number}: {KEY}", path)
        found.append(Override(match.group("owner"), key, allowance,
                              match.group("reason"), f"{path}:{number}"))
    return found


def load(paths):
    """The override lines of every file in paths, in order."""
    found = []
    for path in paths:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as err:
            raise InputError(path, err.strerror or str(err)) from None
        found += parse(data.decode("utf-8", "replace"), path)
    return found
