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


def region_rows(summary):
    """Rows of the memory-region table: name, origin, length, used, free, % used."""
    return [[r.name, f"{r.origin:#010x}", fmt_bytes(r.length), fmt_bytes(r.used),
             fmt_bytes(r.free), f"{r.used * 100 / r.length:.2f} %" if r.length else "-"]
            for r in summary.regions]


REGION_HEADER = ["memory region", "origin", "length", "used", "free", "% used"]


def class_note(summary):
    """Which sources decided the size classes, in one line."""
    parts = [f"{name.split()[0]} {fmt_bytes(size)} B"
             for name, size in summary.class_sources if size]
    ram = "data + bss (in place)" if summary.xip else "all classes (loaded)"
    return f"classes by {', '.join(parts) or 'section flags'}; ram = {ram}"


def fmt_excess_percent(line):
    """Excess over budget as a percentage: '+7.8 %' (None for a zero budget)."""
    if not line.budget:
        return None
    return f"+{line.excess * 100 / line.budget:,.1f} %"
