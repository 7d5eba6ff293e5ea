#!/usr/bin/env python3
"""Generate and build the large synthetic ELF that `make bench` measures.

Writes N C translation units (default 2,000, about 100k symbols in all:
functions of varied sizes, static and global data, const tables, string
literals, bss, and static functions whose names repeat across files) under
OUT/src, compiles them with `gcc -g -O1 -ffunction-sections -fdata-sections`
and links OUT/synthetic.elf (with OUT/synthetic.map).  A "head" variant
with about 1 % of the functions changed (grown, shrunk, added, removed) is
linked as OUT/synthetic-head.elf for the diff benchmark; only its changed
units are compiled again, from OUT/src-head, with their debug paths mapped
back to OUT/src so both ELFs name the same files.

Everything is derived from one seed, so two runs write identical sources.
Work is incremental: a source is rewritten only when its text changes and
an object is compiled only when older than its source.

Images of a million symbols (`--asm-templates T --symbols 1000000`, about
20,800 units) would take hours to compile unit by unit, so that mode
compiles T template units with `gcc -S` (same flags, the same DWARF, each
unit's index replaced by a placeholder in its path and symbol names) and
makes each of the N units from template N mod T by putting its own index
back into the assembly text, which `as` assembles: every object is what
gcc -c would have made of a unit with that template's contents and that
unit's names (its own functions, data, .file symbol, DWARF unit, line
table; the shared static names and string literals repeat, as they do
across units of the default mode).  The link and its map are real.  Only
the templates' C sources are written, and there is no head variant.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

UNITS_PER_MODULE = 100
CFLAGS = ["-std=gnu11", "-g", "-O1", "-ffunction-sections",
          "-fdata-sections", "-w"]

# Module prefixes and name parts; names read like a real code base
AREAS = ["net", "usb", "pci", "disk", "fs", "crypto", "tls", "http", "dns",
         "dhcp", "tcp", "udp", "ip", "arp", "eth", "wifi", "video", "input",
         "timer", "acpi", "smbios", "efi", "bios", "image", "script",
         "menu", "config", "log", "hash", "rng"]
VERBS = ["open", "close", "read", "write", "poll", "reset", "probe",
         "remove", "init", "fini", "parse", "format", "encode", "decode",
         "alloc", "free", "lookup", "insert", "update", "flush", "queue",
         "dequeue", "verify", "sign", "step", "tick", "scan", "map"]
NOUNS = ["buffer", "packet", "frame", "header", "entry", "table", "state",
         "ctx", "desc", "ring", "slot", "block", "record", "key", "page",
         "cache", "node", "list", "port", "link", "req", "resp"]
# Static helpers that many files define under the same name
SHARED_STATIC = ["helper", "check_args", "fill", "reset_state", "dump",
                 "cmp_entry", "next_id", "round_up"]
WORDS = ["invalid", "timeout", "device", "not", "found", "error", "ready",
         "link", "up", "down", "retry", "failed", "ok", "config", "value",
         "missing", "bad", "checksum", "length", "unsupported"]


@dataclass
class Function:
    """One generated function: its name, linkage and body size."""
    name: str
    static: bool
    statements: int
    seed: int


@dataclass
class Data:
    """One generated object; kind is data, const, bss or strings."""
    name: str
    kind: str
    static: bool
    count: int
    seed: int


@dataclass
class Unit:
    """One translation unit."""
    index: int
    path: str
    functions: list = field(default_factory=list)
    data: list = field(default_factory=list)


def unit_path(index):
    """Source path of unit @index, relative to the source root."""
    return f"mod{index // UNITS_PER_MODULE:02d}/tu{index:05d}.c"


def body_size(rng):
    """Statements in a function: mostly small, a long tail of big ones."""
    return max(1, min(400, int(rng.lognormvariate(1.3, 1.0))))


def new_function(rng, unit, serial, used_names, tag=None):
    """A fresh function for @unit; names are unique within the unit.

    Global names carry @tag (default: the unit's index) so they are unique
    in the image; the assembly templates put a placeholder there.
    """
    tag = unit if tag is None else tag
    area = AREAS[unit % len(AREAS)]
    if rng.random() < 0.08:
        base = rng.choice(SHARED_STATIC)
        static = True
    else:
        base = f"{area}_{rng.choice(VERBS)}_{rng.choice(NOUNS)}"
        static = rng.random() < 0.4
    name = f"{base}" if static and base in SHARED_STATIC else \
        f"{base}_{tag}_{serial}"
    while name in used_names:
        serial += 1000
        name = f"{base}_{tag}_{serial}"
    used_names.add(name)
    return Function(name, static, body_size(rng), rng.getrandbits(32))


def make_unit(seed, index, tag=None):
    """Unit @index of the base tree: about 50 symbols.

    @tag replaces the index in the unit's path and in its symbol names
    (default: the index itself); its contents come from @seed and @index.
    """
    tag = index if tag is None else tag
    rng = random.Random(f"{seed}:{index}")
    unit = Unit(index, unit_path(tag))
    names = set()
    for serial in range(rng.randint(24, 38)):
        unit.functions.append(new_function(rng, index, serial, names, tag))
    area = AREAS[index % len(AREAS)]
    kinds = (["data"] * 5 + ["const"] * 4 + ["bss"] * 3 + ["strings"] * 3)
    for serial in range(rng.randint(10, 24)):
        kind = rng.choice(kinds)
        count = max(1, int(rng.lognormvariate(2.5, 1.2)))
        unit.data.append(Data(f"{area}_{kind}_{tag}_{serial}", kind,
                              rng.random() < 0.5, min(count, 2048),
                              rng.getrandbits(32)))
    return unit


def mutate(unit, rng, changes):
    """Change @changes functions of @unit; return what changed."""
    log = []
    names = {f.name for f in unit.functions}
    for serial in range(changes):
        kind = rng.choices(["grow", "shrink", "add", "remove"],
                           [40, 30, 15, 15])[0]
        if kind == "add" or len(unit.functions) < 2:
            func = new_function(rng, unit.index, 500 + serial, names)
            unit.functions.insert(rng.randrange(len(unit.functions) + 1),
                                  func)
            log.append(("add", func.name))
            continue
        pos = rng.randrange(len(unit.functions))
        func = unit.functions[pos]
        if kind == "remove":
            del unit.functions[pos]
        elif kind == "grow":
            func.statements += max(2, func.statements)
        else:
            func.statements = max(1, func.statements // 3)
        log.append((kind, func.name))
    return log


def c_string(rng):
    """A short C string literal; common phrases repeat across files."""
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))
    return '"' + text + '"'


def render_function(func):
    """C text of @func: arithmetic, branches and loops over its size."""
    rng = random.Random(func.seed)
    lines = []
    if func.static:
        lines.append("static __attribute__((used, noinline)) "
                     f"unsigned int {func.name}(unsigned int a, "
                     "unsigned int b)")
    else:
        lines.append(f"unsigned int {func.name}(unsigned int a, "
                     "unsigned int b)")
    lines.append("{")
    lines.append("\tunsigned int x = a ^ b, i;")
    for _ in range(func.statements):
        pick = rng.random()
        k = rng.getrandbits(16) | 1
        if pick < 0.5:
            op = rng.choice(["+", "^", "*", "-", "|"])
            lines.append(f"\tx = (x {op} {k}u) >> (b & 3);")
        elif pick < 0.75:
            lines.append(f"\tif (x & {k}u)\n\t\tx += a * {k}u;\n"
                         f"\telse\n\t\tx ^= b + {k}u;")
        elif pick < 0.9:
            lines.append(f"\tfor (i = 0; i < (b & 7); i++)\n"
                         f"\t\tx = x * {k}u + i;")
        else:
            lines.append(f"\tsink(x, {c_string(rng)});")
    lines.append("\treturn x;")
    lines.append("}")
    return "\n".join(lines)


def render_data(obj):
    """C text of @obj."""
    rng = random.Random(obj.seed)
    storage = "static __attribute__((used)) " if obj.static else ""
    if obj.kind == "bss":
        return f"{storage}unsigned int {obj.name}[{obj.count}];"
    if obj.kind == "strings":
        items = ",\n\t".join(c_string(rng) for _ in range(obj.count % 12 + 1))
        return (f"{storage}const char *const {obj.name}[] = {{\n"
                f"\t{items}\n}};")
    values = ", ".join(str(rng.getrandbits(16)) for _ in range(obj.count))
    const = "const " if obj.kind == "const" else ""
    return (f"{storage}{const}unsigned short {obj.name}[{obj.count}] = "
            f"{{ {values} }};")


def render_unit(unit):
    """Full C text of @unit."""
    parts = [f"/* Generated by tests/bench/gen_synthetic.py: unit "
             f"{unit.index} */",
             "extern void sink(unsigned int value, const char *text);"]
    parts += [render_data(obj) for obj in unit.data]
    parts += [render_function(func) for func in unit.functions]
    return "\n\n".join(parts) + "\n"


MAIN_C = """\
/* Generated by tests/bench/gen_synthetic.py: the program's entry */
#include <stdio.h>

void sink(unsigned int value, const char *text)
{
\tif (value == 0xdeadbeef)
\t\tputs(text);
}

int main(void)
{
\treturn 0;
}
"""


def write_if_changed(path, text):
    """Write @text to @path unless it already holds exactly that."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        pass
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return True


def stale(obj, src):
    """True if @obj must be rebuilt from @src."""
    try:
        return obj.stat().st_mtime_ns < src.stat().st_mtime_ns
    except FileNotFoundError:
        return True


def compile_one(src, obj, extra):
    """Compile @src into @obj; return an error message or None."""
    obj.parent.mkdir(parents=True, exist_ok=True)
    tmp = obj.with_suffix(".o.tmp")
    cmd = ["gcc", *CFLAGS, *extra, "-c", str(src), "-o", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return f"{src}: {proc.stderr.strip()}"
    tmp.replace(obj)
    return None


def compile_all(jobs, work):
    """Compile every (src, obj, extra) in @work that is stale."""
    todo = [item for item in work if stale(item[1], item[0])]
    if not todo:
        return 0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        errors = [e for e in pool.map(lambda w: compile_one(*w), todo) if e]
    if errors:
        raise SystemExit("gen_synthetic: compile failed:\n" + errors[0])
    return len(todo)


def link(objs, elf, response, force):
    """Link @objs into @elf with a map file, unless it is up to date."""
    listed = write_if_changed(response, "\n".join(map(str, objs)) + "\n")
    if not (force or listed or stale(elf, response)):
        # Up to date: say so to make, whose rule runs when the script changes
        os.utime(elf)
        os.utime(elf.with_suffix(".map"))
        return
    tmp = elf.with_suffix(".elf.tmp")
    cmd = ["gcc", "-no-pie", f"-Wl,-Map={elf.with_suffix('.map')}",
           "-o", str(tmp), f"@{response}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"gen_synthetic: link failed: {proc.stderr}")
    tmp.replace(elf)


def default_jobs():
    """Cores this process may use."""
    return len(os.sched_getaffinity(0))


def parse_args(argv):
    """Command line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--jobs", type=int, default=default_jobs())
    ap.add_argument("--out", type=Path, default=Path("build/bench"))
    ap.add_argument("--change", type=float, default=0.01,
                    help="fraction of functions changed in the head variant")
    ap.add_argument("--symbols", type=int, default=0,
                    help="instead of --units: the fewest units that make at "
                    "least this many symbols")
    ap.add_argument("--asm-templates", type=int, default=0, metavar="T",
                    help="compile T template units with gcc -S and assemble "
                    "every unit from one of them (fast; no head variant)")
    return ap.parse_args(argv)


# Placeholder for a unit's index in the templates' paths and names: far
# outside the generated constants (16 bits) and unit numbers
PLACEHOLDER = 987654321


def symbol_count(unit):
    """The generated symbols of @unit (functions and data objects)."""
    return len(unit.functions) + len(unit.data)


def units_for(symbols, counts):
    """Fewest units whose symbols, unit i having counts[i % len(counts)],
    reach @symbols."""
    per_cycle = sum(counts)
    cycles, rest = divmod(symbols, per_cycle)
    units = cycles * len(counts)
    total = cycles * per_cycle
    while total < symbols:
        total += counts[units % len(counts)]
        units += 1
    return units


def unit_asm(template, index):
    """Assembly of unit @index from @template (its gcc -S text)."""
    stem = unit_path(index)[:-2]
    return (template.replace(unit_path(PLACEHOLDER)[:-2], stem)
            .replace(f"tu{PLACEHOLDER}", f"tu{index:05d}")
            .replace(str(PLACEHOLDER), str(index)))


def compile_template(src, asm, tpl_root, src_root):
    """gcc -S @src into @asm, its debug paths mapped from @tpl_root to
    @src_root; return an error message or None."""
    asm.parent.mkdir(parents=True, exist_ok=True)
    tmp = asm.with_suffix(".s.tmp")
    cmd = ["gcc", *CFLAGS, f"-fdebug-prefix-map={tpl_root}={src_root}",
           "-S", str(src), "-o", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return f"{src}: {proc.stderr.strip()}"
    tmp.replace(asm)
    return None


def assemble_one(text, obj):
    """Assemble @text into @obj; return an error message or None."""
    obj.parent.mkdir(parents=True, exist_ok=True)
    tmp = obj.with_suffix(".o.tmp")
    proc = subprocess.run(["as", "-o", str(tmp)], input=text,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return f"{obj}: {proc.stderr.strip()[:2000]}"
    tmp.replace(obj)
    return None


def build_from_templates(args):
    """The --asm-templates mode: T templates compiled, N units assembled
    from them, one image linked; return a summary."""
    start = time.monotonic()
    out = args.out
    src_root, obj_root = out / "src", out / "obj"
    tpl_root = out / "templates"
    templates = [make_unit(args.seed, t, tag=PLACEHOLDER)
                 for t in range(args.asm_templates)]
    counts = [symbol_count(u) for u in templates]
    nunits = units_for(args.symbols, counts) if args.symbols else args.units

    # Each template in its own directory (they share the placeholder path);
    # its debug paths name OUT/src as the default mode's objects do
    work = []
    for t, unit in enumerate(templates):
        root = tpl_root / f"t{t:04d}"
        write_if_changed(root / unit.path, render_unit(unit))
        work.append((root / unit.path, root / "unit.s", root))
    todo = [w for w in work if stale(w[1], w[0])]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        errors = [e for e in pool.map(
            lambda w: compile_template(w[0], w[1], w[2], src_root), todo)
            if e]
    if errors:
        raise SystemExit("gen_synthetic: compile failed:\n" + errors[0])
    asm = [w[1] for w in work]
    texts = [a.read_text() for a in asm]

    def one(index):
        t = index % len(templates)
        obj = obj_root / unit_path(index).replace(".c", ".o")
        if not stale(obj, asm[t]):
            return None, 0
        return assemble_one(unit_asm(texts[t], index), obj), 1

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        done = list(pool.map(one, range(nunits)))
    errors = [e for e, _ in done if e]
    if errors:
        raise SystemExit("gen_synthetic: assembly failed:\n" + errors[0])
    assembled = sum(n for _, n in done)
    write_if_changed(src_root / "main.c", MAIN_C)
    compiled = compile_all(args.jobs, [(src_root / "main.c",
                                        obj_root / "main.o", [])])
    objs = [obj_root / unit_path(i).replace(".c", ".o")
            for i in range(nunits)] + [obj_root / "main.o"]
    link(objs, out / "synthetic.elf", out / "base.rsp",
         len(todo) + compiled + assembled > 0)
    cycles, rest = divmod(nunits, len(templates))
    nfuncs = sum(len(u.functions) * (cycles + (t < rest))
                 for t, u in enumerate(templates))
    nsyms = sum(c * (cycles + (t < rest)) for t, c in enumerate(counts))
    summary = {"units": nunits, "functions": nfuncs, "symbols": nsyms,
               "method": f"{len(templates)} gcc -S templates, assembled "
                         "with each unit's names"}
    write_if_changed(out / "synthetic.json",
                     json.dumps({"summary": summary}, indent=1) + "\n")
    summary["templates_compiled"] = len(todo)
    summary["objects_assembled"] = assembled
    summary["seconds"] = round(time.monotonic() - start, 1)
    return summary


def build(args):
    """Generate, compile and link both variants; return a summary."""
    if args.asm_templates:
        return build_from_templates(args)
    start = time.monotonic()
    out = args.out
    if args.symbols:
        units, total = [], 0
        while total < args.symbols:
            units.append(make_unit(args.seed, len(units)))
            total += symbol_count(units[-1])
        args.units = len(units)
    else:
        units = [make_unit(args.seed, i) for i in range(args.units)]
    nfuncs = sum(len(u.functions) for u in units)
    nsyms = nfuncs + sum(len(u.data) for u in units)

    # Base tree
    src_root, obj_root = out / "src", out / "obj"
    for unit in units:
        write_if_changed(src_root / unit.path, render_unit(unit))
    write_if_changed(src_root / "main.c", MAIN_C)
    base = [(src_root / u.path, obj_root / u.path.replace(".c", ".o"), [])
            for u in units]
    base.append((src_root / "main.c", obj_root / "main.o", []))
    compiled = compile_all(args.jobs, base)

    # Head tree: about @change of the functions, in one unit in 25
    rng = random.Random(f"{args.seed}:head")
    picked = sorted(rng.sample(range(args.units), max(1, args.units // 25)))
    per_unit = max(1, round(nfuncs * args.change / len(picked)))
    head_root, head_obj = out / "src-head", out / "obj-head"
    changes = []
    head = []
    mapping = f"-fdebug-prefix-map={head_root}={src_root}"
    for index in picked:
        unit = make_unit(args.seed, index)
        for kind, name in mutate(unit, rng, per_unit):
            changes.append({"unit": unit.path, "change": kind,
                            "function": name})
        write_if_changed(head_root / unit.path, render_unit(unit))
        head.append((head_root / unit.path,
                     head_obj / unit.path.replace(".c", ".o"), [mapping]))
    compiled += compile_all(args.jobs, head)

    changed = {src_root / u.path for u in (units[i] for i in picked)}
    head_objs = [h[1] for h in head] + \
        [b[1] for b in base if b[0] not in changed]
    link([b[1] for b in base], out / "synthetic.elf", out / "base.rsp",
         compiled > 0)
    link(head_objs, out / "synthetic-head.elf", out / "head.rsp",
         compiled > 0)
    summary = {"units": args.units, "functions": nfuncs, "symbols": nsyms,
               "head_units_changed": len(picked),
               "head_functions_changed": len(changes)}
    write_if_changed(out / "synthetic-head.changes.json",
                     json.dumps({"summary": summary, "changes": changes},
                                indent=1) + "\n")
    write_if_changed(out / "synthetic.json", json.dumps(
        {"summary": {**summary, "method": "gcc -c per unit"}},
        indent=1) + "\n")
    summary["objects_compiled"] = compiled
    summary["seconds"] = round(time.monotonic() - start, 1)
    return summary


def main(argv=None):
    """Entry point."""
    args = parse_args(argv)
    summary = build(args)
    print("gen_synthetic: " + ", ".join(f"{k} {v}" for k, v in
                                        summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
