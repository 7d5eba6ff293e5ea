"""ldscript.py: the one spelling of an input-section pattern."""

import random
import re

from membudget.read import ldscript


def regex_normalize(pattern):
    """normalize() as two substitutions, the way it was first written."""
    return re.sub(r"\s+", "", re.sub(r"\bSORT\s*\(", "SORT_BY_NAME(", pattern))


def test_normalize_spells_sort_and_drops_white_space():
    assert ldscript.normalize("*(SORT (.text.*) .rodata)") == "*(SORT_BY_NAME(.text.*).rodata)"
    assert ldscript.normalize("KEEP (*(.init))") == "KEEP(*(.init))"
    assert ldscript.normalize("*(SORT_BY_ALIGNMENT(.data*))") == "*(SORT_BY_ALIGNMENT(.data*))"
    assert ldscript.normalize("x_SORT(a)") == "x_SORT(a)"


def test_normalize_equals_the_substitutions():
    """Without regular expressions unless SORT is there, and str.split()'s
    white space is \\s's, Unicode included."""
    pieces = ["SORT", "SORT (", "SORT(", "xSORT(", "_SORT(", " ", "\t", "\n", "\x0b",
              "\x1c", "\x85", "\xa0", "\u2028", "\u3000", "*", "(", ")", ".text", "KEEP"]
    rng = random.Random(17)
    for _ in range(20000):
        pattern = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 8)))
        assert ldscript.normalize(pattern) == regex_normalize(pattern), repr(pattern)
