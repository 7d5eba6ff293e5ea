"""Several images checked in one run: one row per image, worst headroom first.

`check A.toml B.toml` analyses each budgets file's image ([image] elf and
map) and rolls the reports up: per image its rom and ram against the image
caps, its memory regions against their caps (or their length), and its
tightest budget.  Rows are sorted by that tightest budget's use, the most
used first, so the image closest to (or furthest past) a limit leads.
"""

from dataclasses import dataclass


@dataclass
class Cell:
    """Bytes used of a limit (None: no limit set)."""

    used: int
    limit: int | None

    def ratio(self):
        if self.limit is None:
            return 0.0
        if not self.limit:
            return float("inf") if self.used else 0.0
        return self.used / self.limit


@dataclass
class ImageRow:
    name: str
    elf: str
    budgets: str
    report: object                  # pipeline.Report
    rom: Cell
    ram: Cell
    regions: list[tuple[str, Cell]]

    def lines(self):
        return self.report.budget_lines()

    def over(self):
        return [line for line in self.lines() if line.over]

    def tightest(self):
        """The budget line closest to (or furthest past) its limit, or None."""
        lines = self.lines()
        return max(lines, key=lambda line: line.ratio()) if lines else None

    def worst(self):
        """The highest use ratio of the image's budgets and regions."""
        ratios = [line.ratio() for line in self.lines()]
        ratios += [cell.ratio() for _, cell in self.regions]
        return max(ratios, default=0.0)


def row(name, elf, budgets_path, report):
    """The roll-up row of one image's pipeline.Report."""
    summary = report.summary
    caps = {line.key: line.budget for line in summary.image_budgets}
    total = summary.total.sizes
    region_caps = {line.owner[len("region "):]: line.budget
                   for line in summary.region_budgets}
    regions = [(r.name, Cell(r.used, region_caps.get(r.name, r.length)))
               for r in summary.regions]
    return ImageRow(name, elf, budgets_path, report, Cell(total.rom, caps.get("rom")),
                    Cell(total.ram, caps.get("ram")), regions)


def rollup(rows):
    """Rows sorted worst headroom first (ties: by name)."""
    return sorted(rows, key=lambda r: (-r.worst(), r.name))
