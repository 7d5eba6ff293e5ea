"""Display helpers: the only place bytes become strings.

Thousands separators, KiB = 1024 bytes with two decimals, percentages of
a budget.  Every renderer formats numbers through these.
"""

from ..model import KIB

def fmt_bytes(n):
    """1104 -> '1,104'."""
    return f"{n:,}"


def fmt_signed(n):
    """80 -> '+80', -80 -> '-80' (thousands separators)."""
    return f"{n:+,}"


def fmt_kib(n):
    """Bytes as KiB with two decimals: 1536 -> '1.50'."""
    return f"{n / KIB:,.2f}"


def fmt_percent(line):
    """Percentage of the budget used: '107.8 %', or '-' for a zero budget."""
    if not line.budget:
        return "-" if line.used else "0.0 %"
    return f"{line.used * 100 / line.budget:,.1f} %"


def fmt_excess_percent(line):
    """Excess over budget as a percentage: '+7.8 %' (None for a zero budget)."""
    if not line.budget:
        return None
    return f"+{line.excess * 100 / line.budget:,.1f} %"
