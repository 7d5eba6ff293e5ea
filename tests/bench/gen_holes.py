#!/usr/bin/env python3
"""Write the heap's worst case as a trace: many free holes, none useful.

Usage: gen_holes.py [--holes N] [--heap-size BYTES] [--granule BYTES] OUT

Fills the pool with one-granule malloc() blocks (a header granule plus
one of data each), frees every other one of the first 2N, so N free
holes too small for anything larger sit in front of a full pool, then
repeats 100 times: a malloc(64) that must fail after looking at every
hole, and the free of a block near the pool's end (every other one, so
none merges), whose neighbours lie behind every hole.  An address-ordered
first-fit allocator walks all N holes in each of those calls; a
bounded-time one would not.
"""

import argparse
import sys


def holes_trace(holes, heap_size, granule):
    block = 2 * granule                 # header + one granule of data
    blocks = heap_size // block
    if blocks < 2 * holes + 2:
        raise ValueError(f"{heap_size} B holds {blocks} blocks, "
                         f"too few for {holes} holes")
    lines = [f"# {holes} free holes of {block} B in front of a full pool "
             f"of {heap_size} B"]
    lines += [f"malloc {i} {granule}" for i in range(blocks)]
    lines += [f"free {i}" for i in range(0, 2 * holes, 2)]
    tail = [blocks - 1 - 2 * i for i in range(100)]
    for i in tail:
        lines.append(f"malloc {blocks} 64")      # fails after every hole
        lines.append(f"free {i}")                # neighbours behind them
    lines += [f"free {i}" for i in range(1, 2 * holes, 2)]
    lines += [f"free {i}" for i in range(2 * holes, blocks) if i not in tail]
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--holes", type=int, default=2048)
    ap.add_argument("--heap-size", type=int, default=131072)
    ap.add_argument("--granule", type=int, default=8,
                    help="HEAP_ALIGN of the heap measured (8 on i386)")
    args = ap.parse_args(argv)
    try:
        text = holes_trace(args.holes, args.heap_size, args.granule)
    except ValueError as err:
        print(f"gen_holes: {err}", file=sys.stderr)
        return 2
    with open(args.out, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
