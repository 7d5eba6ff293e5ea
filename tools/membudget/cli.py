"""Command line: argparse front end, error handling, output files.

Each subcommand registers itself with register_<name>(subparsers) and
runs as run_<name>(args) -> exit status; later commands (diff, plan, lds,
snapshot) plug in the same way through COMMANDS.  main() turns every
input problem into one line `membudget: <file>: <message>` and exit 2.
"""

import argparse
import fnmatch
import os
import sys
import tempfile

from . import __version__, attribute, budgets as budgets_mod, check, elf
from . import render_csv, render_html, render_json, render_markdown, render_text
from . import summary as summary_mod
from . import diff as diff_cmd, heapbudget, history, lds, plan, snapshot
from .model import ComponentDef, InputError

EXIT_USAGE = 2
DEFAULT_ELF = "build/firmware.elf"
#: The one component of a report without a budgets file
NO_BUDGETS_COMPONENT = "all"

REPORT_RENDERERS = {"text": render_text.render, "json": render_json.render,
                    "markdown": render_markdown.render, "csv": render_csv.render,
                    "html": render_html.render}
#: Renderers that show the [heap] budgets: render(summary, heap=HeapReport)
HEAP_RENDERERS = {"text", "json", "markdown"}
#: Renderers that draw every piece too: render(summary, attribution, compilers)
PIECE_RENDERERS = {"html"}


def warn(path, message):
    print(f"membudget: {path}: warning: {message}", file=sys.stderr)


def write_output(text, path):
    """Write text to path atomically (temp file + rename), or to stdout.

    A failure leaves no partial file: the temp file is removed and the
    previous contents of path, if any, stay as they were.
    """
    if path is None or path == "-":
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader went away (| head): not worth an error message
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                                   dir=directory)
    except OSError as err:
        raise InputError(path, err.strerror or str(err)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as err:
        os.unlink(tmp)
        if isinstance(err, OSError):
            raise InputError(path, err.strerror or str(err)) from None
        raise


def _add_input_args(parser, budgets_required):
    """Arguments every command that reads an image shares."""
    parser.add_argument("elf", nargs="?", default=DEFAULT_ELF, metavar="ELF",
                        help=f"the image to analyse (default: {DEFAULT_ELF})")
    parser.add_argument("-b", "--budgets", metavar="FILE", required=budgets_required,
                        help="budgets file (TOML) defining components and budgets")
    parser.add_argument("--map", metavar="FILE",
                        help="GNU ld map file of the link (ld -Map)")
    parser.add_argument("--objects", metavar="FILE.o", nargs="+", action="extend",
                        default=[], help="object files of the link (for merged strings)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write to FILE (atomically) instead of stdout")


def _glob_warnings(budgets, image):
    """Warn about symbol and section globs that match nothing in the image."""
    names = {"symbols": {s.name for s in image.symbols},
             "sections": {s.name for s in image.sections}}
    for comp in budgets.components:
        for kind in ("symbols", "sections"):
            for glob in getattr(comp, kind):
                if not any(fnmatch.fnmatchcase(name, glob) for name in names[kind]):
                    budgets.warnings.append(f"components.{comp.name}: {kind[:-1]} "
                                            f"glob '{glob}' matches nothing in {image.path}")


def analyze(args, by="component", top=None):
    """Read budgets and ELF, attribute, summarize: the shared pipeline."""
    attribution, budgets = attribute_args(args)
    return summary_mod.summarize(attribution, budgets, by=by, top=top)


def attribute_args(args):
    """Read budgets and ELF and attribute: (Attribution, Budgets or None)."""
    budgets = budgets_mod.load(args.budgets) if args.budgets else None
    image = elf.read_image(args.elf)
    if budgets:
        _glob_warnings(budgets, image)
        components, root = budgets.components, budgets.root
    else:
        # No budgets: one catch-all, so the report still shows what every
        # source can say about the image
        components, root = [ComponentDef(NO_BUDGETS_COMPONENT, catch_all=True)], os.getcwd()
    attribution = attribute.attribute(image, components, map_path=args.map,
                                      objects=args.objects or None, project_root=root)
    for message in budgets.warnings if budgets else []:
        warn(budgets.path, message)
    for message in attribution.warnings:
        warn(args.elf, message)
    return attribution, budgets


def _add_heap_args(parser):
    """--heap-trace and --heapsim, shared by report and check."""
    parser.add_argument("--heap-trace", nargs="*", metavar="NAME",
                        help="run heapsim on the budgets file's [heap.traces] "
                             "(the NAMEs given, or all) and check their caps")
    parser.add_argument("--heapsim", metavar="PATH", default=heapbudget.DEFAULT_HEAPSIM,
                        help=f"the heap simulator (default: {heapbudget.DEFAULT_HEAPSIM})")


def heap_report(args, budgets, image):
    """The [heap] figures: measured with --heap-trace, else the caps alone.

    @ret heapbudget.HeapReport, or None without a [heap] table and --heap-trace
    """
    if args.heap_trace is not None:
        if budgets is None:
            raise InputError(args.elf, "--heap-trace needs a budgets file (-b)")
        return heapbudget.measure(budgets.heap, args.heap_trace, budgets.path,
                                  image, args.heapsim)
    if budgets is not None and budgets.heap is not None:
        return heapbudget.unmeasured(budgets.heap, image)
    return None


def register_report(subparsers):
    parser = subparsers.add_parser(
        "report", help="size report per component",
        description="Attribute every byte of ELF to components and buckets and "
                    "print sizes per class, budgets, headroom and sources.")
    _add_input_args(parser, budgets_required=False)
    parser.add_argument("--by", choices=summary_mod.BY_CHOICES, default="component",
                        help="add a detail table per file, symbol or section")
    parser.add_argument("--format", choices=tuple(REPORT_RENDERERS), default="text")
    parser.add_argument("--top", type=_positive_int, metavar="N",
                        help=f"detail rows per component (default: {summary_mod.DEFAULT_TOP} "
                             "with --by symbol, all otherwise)")
    _add_heap_args(parser)
    parser.set_defaults(run=run_report)


def run_report(args):
    attribution, budgets = attribute_args(args)
    result = summary_mod.summarize(attribution, budgets, by=args.by, top=args.top)
    heap = heap_report(args, budgets, attribution.image)
    render = REPORT_RENDERERS[args.format]
    if args.format in PIECE_RENDERERS:
        text = render(result, attribution, snapshot.compilers(attribution.image))
    elif args.format in HEAP_RENDERERS and heap is not None:
        text = render(result, heap=heap)
    else:
        text = render(result)
    write_output(text, args.output)
    return 0


def register_check(subparsers):
    parser = subparsers.add_parser(
        "check", help="check budgets: exit 1 if any is exceeded",
        description="Exit 0 if every budget holds, 1 if any is exceeded, "
                    "2 on bad input.")
    _add_input_args(parser, budgets_required=True)
    parser.add_argument("--format", choices=check.FORMATS, default="text")
    _add_heap_args(parser)
    parser.set_defaults(run=run_check)


def run_check(args):
    attribution, budgets = attribute_args(args)
    result = summary_mod.summarize(attribution, budgets)
    # Traces run only when asked for (--heap-trace): they take time; the
    # pool symbol, when [heap] names one, is always checked
    heap = heap_report(args, budgets, attribution.image)
    extra = heap.lines() if heap else []
    write_output(check.RENDERERS[args.format](result, extra), args.output)
    return check.exit_status(result, extra)


#: Subcommands in help order; each entry registers one
COMMANDS = [register_report, register_check, snapshot.register_snapshot,
            diff_cmd.register_diff, plan.register_plan, lds.register_lds,
            history.register_history]


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="membudget",
        description="Attribute every byte of an ELF image to a component "
                    "and enforce memory budgets.",
        epilog="Exit status: 0 within budget, 1 a budget exceeded, 2 bad input or usage.")
    parser.add_argument("--version", action="version", version=f"membudget {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in COMMANDS:
        register(subparsers)
    return parser


def _one_line(text):
    return " ".join(str(text).split())


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except InputError as err:
        print(f"membudget: {err.path}: {_one_line(err)}", file=sys.stderr)
    except OSError as err:
        where = err.filename if err.filename is not None else args.elf
        print(f"membudget: {where}: {_one_line(err.strerror or err)}", file=sys.stderr)
    except KeyboardInterrupt:
        print("membudget: interrupted", file=sys.stderr)
    except attribute.AttributionError as err:
        print(f"membudget: {args.elf}: attribution bug: {_one_line(err)}", file=sys.stderr)
    except Exception as err:  # noqa: BLE001 - the last resort: never a traceback
        print(f"membudget: internal error: {type(err).__name__}: {_one_line(err)}",
              file=sys.stderr)
    return EXIT_USAGE
