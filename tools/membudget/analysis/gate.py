"""Base-aware gating: which budgets a change breaks, under a policy.

`diff --gate POLICY` judges every budget of the budgets file (component
budgets, image caps, region caps) on BASE and on HEAD:

  absolute   a budget HEAD exceeds fails, whatever BASE was: what `check`
             says of HEAD alone;
  new-only   only a budget the change newly breaks (BASE within, HEAD
             over) or makes worse (both over, HEAD larger) fails; one
             already over before that does not grow passes, and the report
             says "already over before";
  ratchet    judged as new-only; and where HEAD shrank, the budget comes
             down by as much (never below HEAD), so the saving cannot be
             spent silently: ratchet() lists the new caps.

Creep caps (diff.CreepLine) fail when exceeded under every policy, as
without --gate.  An override line (read/override.py) naming a failing
line's owner and class lets it pass when the line's growth is within the
override's allowance; the report records it.
"""

from dataclasses import dataclass, field

from .summary import BUDGET_ORDER

ABSOLUTE = "absolute"
NEW_ONLY = "new-only"
RATCHET = "ratchet"
POLICIES = (ABSOLUTE, NEW_ONLY, RATCHET)

#: GateLine.status values
OK = "ok"               # HEAD within budget
FIXED = "fixed"         # over before, within now
NEW = "new"             # within before (or no BASE figure), over now
WORSE = "worse"         # over before and now, and grown
ALREADY = "already"     # over before and now, not grown


@dataclass
class GateLine:
    """One budget judged on both sides."""

    owner: str          # component, "image" or "region NAME"
    key: str            # class, "rom", "ram" or "used" (a region)
    budget: int
    base: int | None    # None: BASE has no such figure
    head: int
    failing: bool = False
    override: object = None     # the override.Override that let it pass
    short: object = None        # an override too small for the growth

    @property
    def growth(self):
        return self.head - (self.base or 0)

    @property
    def status(self):
        if self.head <= self.budget:
            return FIXED if self.base is not None and self.base > self.budget else OK
        if self.base is None or self.base <= self.budget:
            return NEW
        return WORSE if self.head > self.base else ALREADY


@dataclass
class Gate:
    policy: str
    lines: list[GateLine]
    overrides: list                              # every override read
    used: list = field(default_factory=list)     # those that let a line pass
    short: list = field(default_factory=list)    # those too small for a line's growth
    tightened: list = field(default_factory=list)   # [(owner, key, old, new)]

    def failing(self):
        return [line for line in self.lines if line.failing]

    def unused(self):
        return [o for o in self.overrides if o not in self.used]


def fails(status, policy):
    """Whether a line in status fails under policy (before any override)."""
    if policy == ABSOLUTE:
        return status in (NEW, WORSE, ALREADY)
    return status in (NEW, WORSE)


def budget_lines(budgets, owners, base_total, head_total, regions=None):
    """GateLines of every budget: components (in the budgets file's order),
    the image caps, then the region caps.

    @v owners   diff.OwnerDelta list (base and head Sizes per component)
    @v regions  (base {name: used}, head {name: used}), or None
    """
    by_name = {o.name: o for o in owners}
    lines = []
    for comp in budgets.components:
        owner = by_name.get(comp.name)
        for key in BUDGET_ORDER:
            if key in comp.budgets:
                base = owner.base.get(key) if owner is not None else 0
                head = owner.head.get(key) if owner is not None else 0
                lines.append(GateLine(comp.name, key, comp.budgets[key], base, head))
    for key in BUDGET_ORDER:
        if key in budgets.image:
            lines.append(GateLine("image", key, budgets.image[key], base_total.get(key),
                                  head_total.get(key)))
    base_regions, head_regions = regions or ({}, {})
    for name, cap in budgets.regions.items():
        if name in head_regions:
            lines.append(GateLine(f"region {name}", "used", cap, base_regions.get(name),
                                  head_regions[name]))
    return lines


def _override_for(overrides, owner, key):
    for override in overrides:
        if override.owner == owner and override.key == key:
            return override
    return None


def apply_overrides(items, overrides, used, short):
    """Let failing items whose growth an override allows pass.

    @v items    (item, growth, failing) triples; item gets .override/.short
    @ret        the items still failing
    """
    still = []
    for item, growth, failing in items:
        if not failing:
            continue
        override = _override_for(overrides, item.owner, item.key)
        if override is not None and growth <= override.allowance:
            item.override = override
            if override not in used:
                used.append(override)
            continue
        item.short = override
        if override is not None and override not in short:
            short.append(override)
        still.append(item)
    return still


def ratchet(lines):
    """[(owner, key, old, new)]: budgets HEAD's shrinking lowers.

    A budget comes down by what its usage shrank, keeping the headroom BASE
    had and never going below HEAD's usage.
    """
    out = []
    for line in lines:
        if line.base is None or line.head >= line.base:
            continue
        new = max(line.head, line.budget - (line.base - line.head))
        if new < line.budget:
            out.append((line.owner, line.key, line.budget, new))
    return out


def judge(policy, budgets, owners, base_total, head_total, creep, overrides=(),
          regions=None):
    """The Gate of a diff under policy.

    @v policy   one of POLICIES, or None: creep caps alone (diff without --gate)
    @v creep    diff.CreepLine list: their .override is set here too
    @ret Gate; Gate.failing() and the creep lines still failing decide
    """
    lines = budget_lines(budgets, owners, base_total, head_total, regions) \
        if budgets is not None and policy is not None else []
    overrides = list(overrides)
    gate = Gate(policy, lines, overrides)
    still = apply_overrides([(line, line.growth, fails(line.status, policy))
                             for line in lines], overrides, gate.used, gate.short)
    still = {id(line) for line in still}
    for line in lines:
        line.failing = id(line) in still
    apply_overrides([(c, c.delta, c.over) for c in creep], overrides, gate.used,
                    gate.short)
    if policy == RATCHET:
        gate.tightened = ratchet(lines)
    return gate
