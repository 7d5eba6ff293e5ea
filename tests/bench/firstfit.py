"""Replay a heapsim trace on a reference first-fit allocator.

The issue's bar for the firmware heap: no trace fails where a plain
first-fit allocator over an address-sorted free list would succeed.  This
is that plain allocator, as iPXE's malloc.c has it: the same pool size,
granule and one-granule header per malloc() block as the firmware, blocks
taken from the lowest-addressed free block that fits (alignment slack
left free in front), merged with both neighbours on free, and realloc()
always allocating a new block, copying and freeing the old one.

The pool starts at the address the real one has in the simulator (the
caller passes it), so aligned requests leave the same slack.
"""

import bisect
from dataclasses import dataclass, field

GRANULE = 16            # HEAP_ALIGN on a 64-bit host: 2 * sizeof(size_t)


class TraceError(Exception):
    """A line the replay cannot read."""


@dataclass
class Outcome:
    """What the replay ends with."""
    ops: int = 0
    failures: int = 0
    peak_used: int = 0
    largest_free: int = 0


@dataclass
class Pool:
    """Address-sorted free list over [base, base + size)."""
    size: int
    base: int = 0
    starts: list = field(default_factory=list)
    sizes: list = field(default_factory=list)
    used: int = 0
    peak: int = 0

    def __post_init__(self):
        self.starts, self.sizes = [self.base], [self.size]

    def alloc(self, size, align):
        """First fit of @size bytes at @align; return the address or None."""
        for i, (start, avail) in enumerate(zip(self.starts, self.sizes)):
            pad = -start & (align - 1)
            if pad + size > avail:
                continue
            rest = avail - pad - size
            del self.starts[i], self.sizes[i]
            if rest:
                self.starts.insert(i, start + pad + size)
                self.sizes.insert(i, rest)
            if pad:
                self.starts.insert(i, start)
                self.sizes.insert(i, pad)
            self.used += size
            self.peak = max(self.peak, self.used)
            return start + pad
        return None

    def free(self, start, size):
        """Return a block and merge it with the free blocks it touches."""
        self.used -= size
        i = bisect.bisect(self.starts, start)
        if i < len(self.starts) and start + size == self.starts[i]:
            size += self.sizes[i]
            del self.starts[i], self.sizes[i]
        if i and self.starts[i - 1] + self.sizes[i - 1] == start:
            self.sizes[i - 1] += size
        else:
            self.starts.insert(i, start)
            self.sizes.insert(i, size)


def _round(size):
    """Round up to the granule."""
    return -(-size // GRANULE) * GRANULE


def _number(text, lineno):
    """A decimal or 0x number."""
    try:
        return int(text, 0)
    except ValueError:
        raise TraceError(f"line {lineno}: bad number '{text}'") from None


ARITY = {"malloc": 2, "zalloc": 2, "realloc": 2, "free": 1, "dma": 3,
         "freedma": 1, "check": 0}


def replay(lines, heap_size, base=0, granule=GRANULE):
    """Run the trace @lines on a first-fit pool of @heap_size bytes at @base,
    with blocks of @granule bytes (16 on a 64-bit host, 8 on i386)."""
    pool = Pool(heap_size, base)

    def _round(size):
        return -(-size // granule) * granule

    live = {}           # id -> (block start, block size) or None
    out = Outcome()

    def malloc(size):
        if size > heap_size:
            return None
        block = _round(size + granule)
        start = pool.alloc(block, granule)
        return None if start is None else (start, block)

    for lineno, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        op, args = words[0], words[1:]
        if ARITY.get(op) != len(args):
            raise TraceError(f"line {lineno}: cannot read '{line.strip()}'")
        out.ops += 1
        nums = [_number(a, lineno) for a in args[1:]]
        key = args[0] if args else None
        if op in ("malloc", "zalloc"):
            live[key] = malloc(nums[0])
            out.failures += live[key] is None
        elif op == "dma":
            size, align = nums
            ok = size <= heap_size and not align & (align - 1)
            block = _round(size or 1)
            start = pool.alloc(block, max(align, granule)) if ok else None
            live[key] = None if start is None else (start, block)
            out.failures += start is None
        elif op in ("free", "freedma"):
            old = live.pop(key, None)
            if old:
                pool.free(*old)
        elif op == "realloc":
            old = live.get(key)
            if nums[0] == 0:
                if old:
                    pool.free(*old)
                live[key] = None
                continue
            new = malloc(nums[0])
            if new is None:
                out.failures += 1
                continue
            if old:
                pool.free(*old)
            live[key] = new
    out.peak_used = pool.peak
    out.largest_free = max(pool.sizes, default=0)
    return out
