"""The command line: the one entry point, and the only module that knows argparse.

Each subcommand is a parser here and a run() in commands/, called with
plain arguments.  main() turns every input problem into one line
`membudget: <file>: <message>` and exit 2.  Anything else is a bug in
membudget: one line saying so, or, with MEMBUDGET_DEBUG=1 in the
environment, the exception with its traceback; exit 2 either way.
"""

import argparse
import os
import sys

from . import __version__
from .model import InputError

EXIT_USAGE = 2
DEFAULT_ELF = "build/firmware.elf"
DEBUG_VARIABLE = "MEMBUDGET_DEBUG"
OUTPUT_HELP = "write to FILE instead of stdout (- for stdout; see docs/output.md)"


def _number(text, kind, low, what):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
    if not low <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be at least {low}: {text!r}")
    return value


def _positive_int(text):
    return _number(text, int, 1, "a number")


def _non_negative_int(text):
    return _number(text, int, 0, "a number of bytes")


def _number_at_least(low):
    def parse(text):
        return _number(text, int, low, "a number")
    return parse


def _percent(text):
    return _number(text, float, 0, "a percentage")


def _formats(text):
    """--format of report: known formats, separated by commas."""
    from .commands import report
    names = [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name not in report.RENDERERS]
    if unknown or not all(names):
        raise argparse.ArgumentTypeError(
            f"unknown format {unknown[0] if unknown else text!r} "
            f"(formats: {', '.join(report.RENDERERS)})")
    return ",".join(names)


def _columns():
    """shutil.get_terminal_size().columns, without importing shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
        columns = columns or 80
    return columns


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, its width found as argparse finds it.

    argparse makes a formatter for every argument added, and one imports
    shutil (with bz2 and lzma) for the terminal's width: 6.5 M instructions
    of every run, help or not.
    """

    def __init__(self, prog, indent_increment=2, max_help_position=24, width=None):
        super().__init__(prog, indent_increment, max_help_position,
                         _columns() - 2 if width is None else width)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser with _Formatter; subcommands' parsers are these too."""

    def __init__(self, *args, formatter_class=_Formatter, **kwargs):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)


def _input_args(parser, budgets_required, positional=True):
    """Arguments of every command that reads one image."""
    if positional:
        parser.add_argument("elf", nargs="?", default=DEFAULT_ELF, metavar="ELF",
                            help=f"the image to analyse (default: {DEFAULT_ELF})")
    parser.add_argument("-b", "--budgets", metavar="FILE", required=budgets_required,
                        help="budgets file (TOML) defining components and budgets")
    parser.add_argument("--map", metavar="FILE",
                        help="GNU ld map file of the link (ld -Map)")
    parser.add_argument("--objects", metavar="FILE.o", nargs="+", action="extend",
                        default=[], help="object files of the link (for merged strings)")
    parser.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)


def _graph_args(parser):
    parser.add_argument("--script", metavar="FILE.lds", action="append", default=[],
                        help="a linker script of the link, for its KEEP() and EXTERN() "
                             "(besides the budgets file's [graph] scripts); repeatable")


def _stack_args(parser, measured=False):
    parser.add_argument("--stack", metavar="PATH", action="append", default=[],
                        help="gcc -fstack-usage/-fcallgraph-info=su files (.su, .ci) for "
                             "the budgets file's [stack]: a directory (searched "
                             "recursively), a file or a glob; repeatable (default: "
                             "those beside the objects of --objects and of the map)")
    if measured:
        parser.add_argument("--stack-measured", metavar="FILE",
                            help="stack high-water marks a boot test measured (JSON, "
                                 "docs/formats.md), shown next to the bounds")


def _heap_args(parser):
    from .analysis import heapbudget
    parser.add_argument("--heap-trace", nargs="*", metavar="NAME",
                        help="run heapsim on the budgets file's [heap.traces] "
                             "(the NAMEs given, or all) and check their caps")
    parser.add_argument("--heapsim", metavar="PATH", default=heapbudget.DEFAULT_HEAPSIM,
                        help=f"the heap simulator (default: {heapbudget.DEFAULT_HEAPSIM})")


def _report(sub):
    from .analysis.summary import BY_CHOICES, DEFAULT_TOP
    from .commands import report
    p = sub.add_parser("report", help="size report per component",
                       description="Attribute every byte of ELF to components and "
                                   "buckets and print sizes per class, budgets, "
                                   "headroom and sources.")
    _input_args(p, budgets_required=False)
    p.add_argument("--by", choices=BY_CHOICES, default="component",
                   help="add a detail table per file, symbol or section")
    p.add_argument("--format", type=_formats, default="text", metavar="FORMAT[,FORMAT...]",
                   help=f"one of {', '.join(report.RENDERERS)}, or several separated by "
                        "commas with -o DIR: every file from one analysis")
    p.add_argument("--top", type=_positive_int, metavar="N",
                   help=f"detail rows per component (default: {DEFAULT_TOP} "
                        "with --by symbol, all otherwise)")
    _heap_args(p)
    _stack_args(p, measured=True)
    _graph_args(p)
    p.set_defaults(run=lambda a: report.run(
        a.elf, a.budgets, a.map, a.objects, a.by, a.format, a.top, a.heap_trace,
        a.heapsim, a.output, a.stack, a.stack_measured, a.script))


def _check(sub):
    from .commands import check
    p = sub.add_parser("check", help="check budgets: exit 1 if any is exceeded",
                       description="Exit 0 if every budget holds, 1 if any is "
                                   "exceeded, 2 on bad input. `check ELF -b BUDGETS` "
                                   "checks one image; `check A.toml B.toml ...` checks "
                                   "the image each budgets file names ([image] elf, "
                                   "map) and prints one roll-up table.")
    p.add_argument("inputs", nargs="*", metavar="ELF|BUDGETS.toml",
                   help=f"the image (default: {DEFAULT_ELF}), or without -b, "
                        "budgets files naming their images")
    _input_args(p, budgets_required=False, positional=False)
    p.add_argument("--format", choices=check.FORMATS, default="text")
    _heap_args(p)
    _stack_args(p)

    def run(a):
        tomls = [i for i in a.inputs if i.endswith(".toml")]
        if a.budgets is None:
            if not a.inputs or len(tomls) != len(a.inputs):
                p.error("give ELF -b BUDGETS, or budgets files naming their images "
                        "(check A.toml B.toml)")
            if a.map or a.objects:
                p.error("--map and --objects check one ELF: several images take "
                        "theirs from each budgets file's [image]")
            return check.run_images(tomls, a.format, a.heap_trace, a.heapsim, a.output)
        if len(a.inputs) > 1 or tomls:
            p.error("-b BUDGETS checks one ELF; without -b, give budgets files "
                    "(check A.toml B.toml)")
        elf = a.inputs[0] if a.inputs else DEFAULT_ELF
        return check.run(elf, a.budgets, a.map, a.objects, a.format, a.heap_trace,
                         a.heapsim, a.output, a.stack)
    p.set_defaults(run=run)


def _snapshot(sub):
    from .commands import snapshot
    p = sub.add_parser("snapshot", help="save the report plus provenance for later diffs",
                       description="Write the report JSON of ELF plus provenance (git "
                                   "commit, compilers, budgets hash, build-id) and "
                                   "every symbol's bytes: what `membudget diff` "
                                   "compares against.")
    _input_args(p, budgets_required=False)
    _stack_args(p)
    p.set_defaults(run=lambda a: snapshot.run(a.elf, a.budgets, a.map, a.objects,
                                              a.output, a.stack))


def _diff(sub):
    from .commands import diff
    p = sub.add_parser("diff", help="size change between two builds (ELF or snapshot each)",
                       usage="membudget diff [options] BASE HEAD | HEAD --base-dir DIR "
                             "| BASEDIR BUDGETS.toml...",
                       description="Compare BASE and HEAD (each an ELF or a `membudget "
                                   "snapshot` file): per component and class, then per "
                                   "symbol. Exit 1 when a creep cap of the budgets "
                                   "file is exceeded, or a budget fails the --gate "
                                   "policy. `diff BASEDIR A.toml B.toml` compares the "
                                   "image each budgets file names ([image] elf, map) "
                                   "with BASEDIR/<image>.json.")
    p.add_argument("inputs", metavar="BASE HEAD", nargs="+",
                   help="base and head builds: ELF or snapshot each (HEAD alone with "
                        "--base-dir; or a directory of snapshots and budgets files)")
    p.add_argument("-b", "--budgets", metavar="FILE",
                   help="budgets file: components of ELF inputs and creep caps "
                        "(default: the one a snapshot input names, if present)")
    p.add_argument("--base-map", metavar="FILE",
                   help="link map of an ELF BASE (default: BASE's .map beside it)")
    p.add_argument("--head-map", metavar="FILE",
                   help="link map of an ELF HEAD (default: HEAD's .map beside it)")
    p.add_argument("--format", choices=diff.FORMATS, default="text")
    p.add_argument("--min-delta", type=_non_negative_int, default=0, metavar="BYTES",
                   help="fold symbol changes smaller than BYTES")
    p.add_argument("--min-percent", type=_percent, default=0.0, metavar="P",
                   help="fold symbol changes smaller than P %% of their base size")
    p.add_argument("--gate", choices=diff.GATES,
                   help="also judge every budget: absolute fails any HEAD exceeds "
                        "(as check does), new-only only those the change newly breaks "
                        "or makes worse, ratchet as new-only and writes the budgets "
                        "file with the caps lowered where HEAD shrank "
                        "(default: creep caps alone)")
    p.add_argument("--override-from", metavar="FILE", action="append", default=[],
                   help="a commit message or pull-request body: its "
                        "'Membudget-Override: <component> <class> +<N> B: <reason>' "
                        "lines let that growth pass (repeatable)")
    p.add_argument("--base-dir", metavar="DIR",
                   help="instead of BASE: the snapshot DIR/<commit>.json of HEAD's "
                        "merge-base with --base-ref")
    p.add_argument("--base-ref", metavar="REV", default="auto",
                   help="with --base-dir: the upstream to take the merge-base with "
                        "(default: auto, from the CI's target branch or @{upstream})")
    p.add_argument("--max-chars", type=_number_at_least(2000), default=diff.MARKDOWN_LIMIT,
                   metavar="N", help="with --format markdown: stay under N characters "
                                     f"(default: {diff.MARKDOWN_LIMIT:,}, under GitHub's "
                                     "65,536 per comment)")
    p.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)

    def run(a):
        tomls = [i for i in a.inputs[1:] if i.endswith(".toml")]
        if tomls and a.base_dir is None and a.budgets is None:
            if len(tomls) != len(a.inputs) - 1:
                p.error("several images: BASEDIR then budgets files only")
            if a.base_map or a.head_map:
                p.error("--base-map and --head-map diff one image: several take their "
                        "maps from each budgets file's [image]")
            return diff.run_images(a.inputs[0], tomls, a.format, a.min_delta,
                                   a.min_percent, a.output, a.gate, a.override_from,
                                   a.max_chars)
        wanted = 1 if a.base_dir is not None else 2
        if len(a.inputs) != wanted:
            p.error("give BASE or --base-dir DIR (one of them), and HEAD")
        base, head = (None, a.inputs[0]) if wanted == 1 else a.inputs
        return diff.run(base, head, a.budgets, a.base_map, a.head_map, (), a.format,
                        a.min_delta, a.min_percent, a.output, a.gate, a.override_from,
                        a.base_dir, a.base_ref, a.max_chars)
    p.set_defaults(run=run)


def _plan(sub):
    from .commands import plan
    p = sub.add_parser("plan", help="would a new component or object fit the budgets?",
                       description="Apply planned changes (--add, --add-object, "
                                   "--remove, --remove-symbol) to the image's component "
                                   "sizes, linked as --gc-sections would (when a "
                                   "reference graph is available: see `why`), and "
                                   "report which component and image budgets would "
                                   "break, by how much, and the headroom left. Exit 1 "
                                   "if anything would break.")
    _input_args(p, budgets_required=True)
    p.add_argument("--add", metavar="NAME=SIZE[,CLASS=SIZE...]", action="append",
                   default=[], help="bytes of a new or grown component "
                                    "(a bare first SIZE is code)")
    p.add_argument("--add-object", metavar="[NAME=]FILE", action="append", default=[],
                   help="the allocated sections of a .o or of a .a's members")
    p.add_argument("--remove", metavar="COMPONENT", action="append", default=[],
                   help="remove a component, and what only it keeps")
    p.add_argument("--remove-symbol", metavar="NAME", action="append", default=[],
                   help="remove a symbol's section, and what only it keeps")
    _graph_args(p)
    p.add_argument("--format", choices=plan.FORMATS, default="text")
    p.set_defaults(run=lambda a: plan.run(
        a.elf, a.budgets, a.map, a.objects, a.add, a.add_object, a.remove, a.format,
        a.output, a.remove_symbol, a.script))


def _why(sub):
    from .commands import why
    p = sub.add_parser("why", help="why a symbol, file or component is linked, and what "
                                   "it retains",
                       description="Print the shortest chains of references from a root "
                                   "of the link (entry point, KEEP, exported or [graph] "
                                   "roots) to WHAT (a symbol, a component of the budgets "
                                   "file, or a source or object file), how many distinct "
                                   "paths reach it, and the bytes that would leave the "
                                   "image with it. The references come from the link's "
                                   "object files, an ELF linked with --emit-relocs, or "
                                   "the map's --cref table.")
    p.add_argument("what", metavar="SYMBOL|FILE|COMPONENT", help="what to explain")
    p.add_argument("elf", nargs="?", default=DEFAULT_ELF, metavar="ELF",
                   help=f"the image (default: {DEFAULT_ELF})")
    p.add_argument("-b", "--budgets", metavar="FILE",
                   help="budgets file: components, [graph] roots and scripts")
    p.add_argument("--map", metavar="FILE",
                   help="the link map (default: the .map beside ELF, if any)")
    p.add_argument("--objects", metavar="FILE.o", nargs="+", action="extend", default=[],
                   help="object files of the link (default: those the map names)")
    _graph_args(p)
    p.add_argument("--chains", type=_positive_int, default=3, metavar="N",
                   help="shortest chains to print (default: 3)")
    p.add_argument("--format", choices=why.FORMATS, default="text")
    p.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)
    p.set_defaults(run=lambda a: why.run(a.what, a.elf, a.budgets, a.map, a.objects,
                                         a.script, a.format, a.chains, a.output))


def _lds(sub):
    from .commands import lds
    p = sub.add_parser("lds", help="linker-script ASSERTs enforcing the budgets at link time",
                       description="Write a GNU ld script fragment with one ASSERT per "
                                   "component budget (over the "
                                   "__mb_<component>_<class>_start/_end symbols of the "
                                   "firmware's linker script) and per image cap; link "
                                   "it with a second -T so ld fails on an over-budget "
                                   "image. With --place, also write the component "
                                   "placement: DIR/code.lds, rodata.lds, data.lds and "
                                   "bss.lds, one per class, which the linker script "
                                   "INCLUDEs inside its output sections (ld -L DIR); "
                                   "each brackets a component's input sections, named "
                                   "by its paths globs, with its boundary symbols.")
    p.add_argument("-b", "--budgets", metavar="FILE", required=True,
                   help="budgets file (TOML)")
    p.add_argument("--script", metavar="FILE", default=lds.DEFAULT_SCRIPT,
                   help="the linker script defining the boundary symbols, or with "
                        "--place the one including the fragments "
                        f"(default: {lds.DEFAULT_SCRIPT})")
    p.add_argument("--place", metavar="DIR",
                   help="write the placement fragments into DIR (created if missing)")
    p.add_argument("--object-map", metavar="SRC=OBJ", action="append",
                   default=[],
                   help="with --place: a paths glob starting with SRC names objects "
                        "matching OBJ plus the rest, its extension made .o "
                        "(firmware/=*/fw/: firmware/heap.c -> */fw/heap.o); repeatable")
    p.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)
    p.set_defaults(run=lambda a: lds.run(a.budgets, a.script, a.output, a.place,
                                         a.object_map))


def _history(sub):
    from .commands import history
    p = sub.add_parser("history",
                       help="sizes over snapshots, with budget lines and trend estimates",
                       description="Chart rom, ram and each component over snapshots "
                                   "(files made by `membudget snapshot`, or a directory "
                                   "of them) ordered by their commit date, with budget "
                                   "lines and a least-squares estimate of when each "
                                   "budget will be hit.")
    p.add_argument("snapshots", nargs="+", metavar="SNAPSHOT|DIR",
                   help="snapshot files, or directories of *.json snapshots")
    p.add_argument("--format", choices=history.FORMATS, default="html")
    p.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)
    p.set_defaults(run=lambda a: history.run(a.snapshots, a.format, a.output))


#: Subcommands in help order
COMMANDS = {"report": _report, "check": _check, "snapshot": _snapshot, "diff": _diff,
            "plan": _plan, "why": _why, "lds": _lds, "history": _history}


def build_parser(argv=None):
    """The parser; with argv naming a subcommand, only that one's is complete.

    Each subcommand's parser imports its command module, and with it the
    readers, analyses and renderers it runs: building just the one that
    runs keeps every run from paying for all the others' imports.  The
    others are bare names, enough for argparse's choices.
    """
    args = sys.argv[1:] if argv is None else argv
    chosen = next((arg for arg in args if not arg.startswith("-")), None)
    if chosen not in COMMANDS:
        chosen = None
    parser = _Parser(
        prog="membudget",
        description="Attribute every byte of an ELF image to a component "
                    "and enforce memory budgets.",
        epilog="Exit status: 0 within budget, 1 a budget exceeded, 2 bad input or "
               f"usage. {DEBUG_VARIABLE}=1 shows the traceback of an internal error.")
    parser.add_argument("--version", action="version", version=f"membudget {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, add in COMMANDS.items():
        if chosen in (None, name):
            add(sub)
        else:
            sub.add_parser(name)
    return parser


def _one_line(text):
    return " ".join(str(text).split())


def _native(module):
    """Whether module is one of the compiled loops (mk/native.mk)."""
    return bool(module) and module.startswith("membudget.") and \
        module.rpartition(".")[2].startswith("_")


def console_main():
    """The installed `membudget` command (pyproject.toml): main()'s status is the exit status."""
    sys.exit(main())


def main(argv=None):
    """Run the command line; returns the exit status."""
    debug = os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")
    command = "membudget"
    try:
        args = build_parser(argv).parse_args(argv)
        command = args.command
        return args.run(args)
    except InputError as err:
        print(f"membudget: {err.path}: {_one_line(err)}", file=sys.stderr)
    except OSError as err:
        where = err.filename if err.filename is not None else command
        print(f"membudget: {where}: {_one_line(err.strerror or err)}", file=sys.stderr)
    except KeyboardInterrupt:
        print("membudget: interrupted", file=sys.stderr)
    except ImportError as err:
        if not _native(err.name) or debug:
            raise
        print(f"membudget: {err.name}: the compiled part is not built "
              f"(run `make native` in the checkout, or install with pip)", file=sys.stderr)
    except Exception as err:  # noqa: BLE001 - a bug: one line, the traceback on request
        from .analysis.attribute import AttributionError
        if debug:
            import traceback
            traceback.print_exc()
            return EXIT_USAGE
        kind = "attribution bug" if isinstance(err, AttributionError) else "internal error"
        print(f"membudget: {kind}: {type(err).__name__}: {_one_line(err)} "
              f"(run with {DEBUG_VARIABLE}=1 for the traceback)", file=sys.stderr)
    return EXIT_USAGE
