"""Memory regions as GNU ld counts them, and whether an image executes in place.

`ld --print-memory-usage` reports, per MEMORY region, how far the link
filled it: the end of the last thing placed there minus the origin, gaps
included.  A section is placed in the region that holds its run address
(VMA); a section with contents whose load address (LMA) differs is placed
in the region that holds that address too (`.data > RAM AT > FLASH` fills
both).  used() reproduces that from the ELF's sections and the map's
Memory Configuration.

An image executes in place (XIP) when its code runs from a region the
script did not mark writable: then only data and bss occupy RAM.  An
image loaded into RAM (a PC firmware, iPXE) occupies RAM with every
class.  A budgets file may say so itself: [image] xip = true or false.
"""

from ..model import InputError, Record
from ..read import elf


class RegionUse(Record):
    """A memory region of the link and the bytes placed in it."""

    FIELDS = ("name", "origin", "length", "attributes", "used", "sections")

    def __init__(self, name, origin, length, attributes, used=0, sections=None):
        self.name = name
        self.origin = origin
        self.length = length
        self.attributes = attributes
        self.used = used
        self.sections = [] if sections is None else sections    # section names

    @property
    def free(self):
        return self.length - self.used


def _inside(region, start, size):
    return region.origin <= start and start + size <= region.origin + region.length


def used(image, link_map):
    """Every region of the map with the bytes the link placed in it."""
    if link_map is None:
        return []
    uses = [RegionUse(r.name, r.origin, r.length, r.attributes) for r in link_map.regions]
    for sec in image.allocated():
        places = [sec.addr]
        if sec.type != elf.SHT_NOBITS and sec.load_addr != sec.addr:
            places.append(sec.load_addr)
        for start in places:
            for use in uses:
                if _inside(use, start, sec.size):
                    use.used = max(use.used, start + sec.size - use.origin)
                    if sec.size and sec.name not in use.sections:
                        use.sections.append(sec.name)
                    break
    return uses


def executes_in_place(image, uses, budgets=None):
    """True when code runs from a region the script did not make writable."""
    if budgets is not None and budgets.xip is not None:
        return budgets.xip
    for sec in image.allocated():
        if sec.cls != "code" or not sec.size:
            continue
        for use in uses:
            if _inside(use, sec.addr, sec.size) and use.attributes \
                    and "w" not in use.attributes.lower():
                return True
    return False


def check_budgets(budgets, uses, map_path):
    """Region caps of the budgets file: (name, used, cap) for each region.

    A region with no cap of its own is capped at its length; a cap for a
    region the map lacks is bad input.
    """
    named = {u.name: u for u in uses}
    for name in (budgets.regions if budgets else {}):
        if name not in named:
            where = map_path or "the map"
            raise InputError(budgets.path, f"regions.{name}: no memory region '{name}' in "
                             f"{where} (regions: {', '.join(named) or 'none'})")
    caps = budgets.regions if budgets else {}
    return [(u.name, u.used, caps.get(u.name, u.length)) for u in uses]
