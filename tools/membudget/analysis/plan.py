"""Will a planned change fit the budgets?  The model behind `membudget plan`.

The image is analysed as `report` would; then the changes apply to the
component sizes, and every budget is checked against the result:

  --add NAME=SIZE[,CLASS=SIZE...]  bytes of a new (or grown) component; a
                                   bare first SIZE is code: interp=12KiB
  --add-object [NAME=]FILE         the allocated sections of a real .o, or of
                                   every member of a .a, classed like the
                                   image's (NAME defaults to the file's stem)
  --remove COMPONENT               what removing a component frees

SIZE is a byte count (4096, 0x1000) or a number with a unit as in the
budgets file (512B, 1.5KiB, 2 MiB).  Planned bytes are exact section
sizes; the alignment padding the link may add before each section (at
most its alignment - 1) is reported as slack, not counted.
Sections the image has no room for, .eh_frame and .note.* when the image
carries none, are listed as dropped rather than counted.
"""

import os
import re
import tempfile
from dataclasses import dataclass, field

from ..model import CLASSES, InputError
from ..read import budgets as budgets_mod, elf
from ..read.archive import ar_members
from .summary import BUDGET_ORDER, BudgetLine, Sizes


_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Sections a link drops when the image has no output section for them
DROPPABLE = (".eh_frame", ".note")


@dataclass
class Change:
    """One planned change to one component."""

    component: str
    sizes: Sizes            # bytes added (removal: the component's bytes)
    origin: str             # how it was asked for, for the report
    remove: bool = False
    dropped: list = field(default_factory=list)   # (member/section, bytes)
    slack: int = 0          # most alignment padding the link could add


@dataclass
class Plan:
    elf: str
    image: str
    changes: list[Change]
    before: Sizes
    after: Sizes
    new_components: list[str]
    lines_before: list[BudgetLine]
    lines_after: list[BudgetLine]

    def broken(self):
        return [l for l in self.lines_after if l.over]


def parse_size(text, where):
    """Bytes from '4096', '0x1000', '12KiB', '1.5 KiB', '512 B'."""
    text = text.strip()
    try:
        value = int(text, 0)
    except ValueError:
        value = None
    if value is not None:
        if value < 0:
            raise InputError(where, f"negative size {text!r}")
        return value
    if re.fullmatch(r"[0-9.]+\s*(B|KiB|MiB)", text):
        return budgets_mod.parse_size(text, "size", where)
    raise InputError(where, f"bad size {text!r} (expected bytes, or a unit: "
                     "512B, 12KiB, 1.5 MiB)")


def parse_add(spec):
    """--add NAME=SIZE[,CLASS=SIZE...] -> Change (a bare SIZE is code)."""
    where = f"--add {spec}"
    name, eq, rest = spec.partition("=")
    if not eq or not _NAME_RE.fullmatch(name.strip()):
        raise InputError(where, "expected NAME=SIZE[,CLASS=SIZE...] with NAME a "
                         "C identifier, e.g. interp=12KiB,rodata=2KiB")
    sizes = Sizes()
    for i, item in enumerate(rest.split(",")):
        key, eq, value = item.partition("=")
        if not eq:
            if i:
                raise InputError(where, f"{item!r}: expected CLASS=SIZE after the first size")
            key, value = "code", item
        key = key.strip()
        if key not in CLASSES:
            raise InputError(where, f"unknown class {key!r} (classes: {', '.join(CLASSES)})")
        sizes.add(key, parse_size(value, where))
    return Change(name.strip(), sizes, f"--add {spec}")


def _object_sizes(path, image_sections, change):
    """Add the allocated sections of the ELF object at path to change."""
    obj = elf.read_image(path)
    for sec in obj.allocated():
        if sec.name.startswith(DROPPABLE) and sec.name not in image_sections:
            change.dropped.append((sec.name, sec.size))
            continue
        change.sizes.add(sec.cls, sec.size)
        if sec.size:
            change.slack += max(sec.align, 1) - 1


def parse_object(spec, image_sections):
    """--add-object [NAME=]FILE.o|FILE.a -> Change."""
    name, eq, path = spec.partition("=")
    if not eq or not _NAME_RE.fullmatch(name):
        name, path = None, spec
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise InputError(path, err.strerror or str(err)) from None
    if name is None:
        name = re.sub(r"\W", "_", os.path.basename(path).split(".")[0]) or "object"
    change = Change(name, Sizes(), f"--add-object {spec}")
    if not data.startswith(b"!<arch>\n"):
        _object_sizes(path, image_sections, change)
        return change
    with tempfile.TemporaryDirectory(prefix="membudget-ar-") as tmp:
        for i, (member, body) in enumerate(ar_members(path, data)):
            if not body.startswith(b"\x7fELF"):
                continue        # not an object (a text file someone archived)
            where = os.path.join(tmp, f"{i}.o")
            with open(where, "wb") as out:
                out.write(body)
            try:
                _object_sizes(where, image_sections, change)
            except InputError as err:
                raise InputError(f"{path}({member})", str(err)) from None
    return change


def plan(summary, changes):
    """Apply changes to a summary.Summary's component sizes; check every budget.

    @v summary  summary.Summary of the image with its budgets
    @v changes  [Change]: removals apply first, then additions in order
    @ret Plan
    """
    xip = summary.total.sizes.xip
    sizes = {row.name: Sizes(**{k: row.sizes.get(k) for k in CLASSES}, xip=xip)
             for row in summary.components}
    caps = {row.name: {l.key: l.budget for l in row.budgets} for row in summary.components}
    new = []
    after = Sizes(**{k: summary.total.sizes.get(k) for k in CLASSES}, xip=xip)
    # Removals first, so --remove X --add-object x.o replaces X
    for change in sorted(changes, key=lambda c: not c.remove):
        if change.remove:
            if change.component not in sizes:
                raise InputError(f"--remove {change.component}",
                                 f"no component '{change.component}' "
                                 f"(components: {', '.join(sizes)})")
            # Its budgets stay: freed bytes show as headroom
            change.sizes, sizes[change.component] = sizes[change.component], Sizes(xip=xip)
            for k in CLASSES:
                after.add(k, -change.sizes.get(k))
            continue
        if change.component not in sizes:
            sizes[change.component] = Sizes(xip=xip)
            new.append(change.component)
        for k in CLASSES:
            sizes[change.component].add(k, change.sizes.get(k))
            after.add(k, change.sizes.get(k))
    lines_after = [BudgetLine(name, key, sizes[name].get(key), cap[key])
                   for name, cap in caps.items() for key in BUDGET_ORDER if key in cap]
    image_caps = {l.key: l.budget for l in summary.image_budgets}
    lines_after += [BudgetLine("image", key, after.get(key), image_caps[key])
                    for key in BUDGET_ORDER if key in image_caps]
    return Plan(elf=summary.elf, image=summary.image_name or summary.elf,
                changes=changes, before=summary.total.sizes, after=after,
                new_components=new, lines_before=summary.budget_lines(),
                lines_after=lines_after)
