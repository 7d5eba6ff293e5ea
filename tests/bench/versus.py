"""membudget against bloaty, side by side: the goals of issue 17.

Each row pairs one membudget command with the bloaty command that does the
same job on the same image (`bloaty -d compileunits -n 0 --csv`, or its
diff mode `NEW -- OLD`).  The commands that share an image run in turns
(measure.time_alternating), so the load of a shared machine falls on both
alike, and the figures compared are median CPU times (user + system: what
a CI runner pays; bloaty reads the two files of a diff in two threads, so
its wall time there is below its CPU time) and each command's own peak RSS.

The goals, printed next to each row with whether it is met:

- CPU time at most GOAL_CPU_RATIO of bloaty's, peak RSS at most bloaty's;
- the million-symbol image reported with `--map` in at most
  GOAL_SCALE_RATIO times the 100k image's time, in at most
  GOAL_SCALE_PEAK_MIB;
- the firmware's `make check` at most GOAL_FW_OVERHEAD_S over `make
  firmware`.

Without bloaty (none on PATH, BLOATY unset) the membudget commands still
run and the bloaty columns say why they are empty; nothing here fails.
"""

import csv
import io
import json
import os
import shutil
import subprocess
from dataclasses import dataclass

import measure

GOAL_CPU_RATIO = 0.5
GOAL_SCALE_RATIO = 10.0
GOAL_SCALE_PEAK_MIB = 2048.0
GOAL_FW_OVERHEAD_S = 0.15

# bloaty's data sources for the two report rows, and its options
BLOATY_CU = ["-d", "compileunits", "-n", "0", "--csv"]
BLOATY_CU_SYMBOLS = ["-d", "compileunits,symbols", "-n", "0", "--csv"]
CSV_SIZES = ["vmsize", "filesize"]
CSV_DIFF_SIZES = ["original_vmsize", "original_filesize",
                  "current_vmsize", "current_filesize"]


# --- bloaty -----------------------------------------------------------------

@dataclass
class Bloaty:
    """The bloaty binary compared with, or why there is none."""
    path: str = ""
    version: str = ""
    skipped: str = ""


def find_bloaty(explicit=None, env=None, which=shutil.which, run=None):
    """The bloaty to compare with: @explicit (a path or a command name;
    default $BLOATY) if given, else `bloaty` on PATH.  A BLOATY that is not
    an executable file is reported, not looked past."""
    env = os.environ if env is None else env
    run = run or subprocess.run
    explicit = env.get("BLOATY", "") if explicit is None else explicit
    if explicit:
        path = explicit if os.sep in explicit else which(explicit)
        if not path or not os.path.isfile(path) or \
                not os.access(path, os.X_OK):
            return Bloaty(skipped=f"BLOATY={explicit} is not an executable "
                          "file")
    else:
        path = which("bloaty")
        if not path:
            return Bloaty(skipped="no bloaty on PATH and BLOATY is not set")
    try:
        proc = run([path, "--version"], capture_output=True, text=True,
                   timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        return Bloaty(path=path, skipped=f"{path} does not run: {err}")
    if proc.returncode != 0:
        return Bloaty(path=path, skipped=f"`{path} --version` exited "
                      f"{proc.returncode}")
    return Bloaty(path=path,
                  version=(proc.stdout.strip().splitlines() or ["?"])[0])


def bloaty_argv(bloaty, sources, elf, base=None):
    """bloaty's command line: @sources of @elf, or of @elf against @base."""
    argv = [bloaty.path, *sources, str(elf)]
    return argv + ["--", str(base)] if base else argv


def csv_sources(argv):
    """The data sources of a bloaty command line (its -d list)."""
    for flag, value in zip(argv, argv[1:]):
        if flag == "-d":
            return value.split(",")
    return []


@dataclass
class BloatyCsv:
    """bloaty --csv output: one row per leaf of its tree."""
    sources: list
    rows: list          # [(labels, [sizes...])], sizes as in the header
    diff: bool          # a diff: original and current sizes follow


def parse_csv(text, sources):
    """Read bloaty --csv output made with data sources @sources.

    The header is the sources, then vmsize and filesize, then in a diff the
    original and current sizes; a label holding a comma or a quote is
    quoted.  Raises ValueError on anything else.
    """
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    plain = [*sources, *CSV_SIZES]
    if header == plain:
        diff = False
    elif header == plain + CSV_DIFF_SIZES:
        diff = True
    else:
        raise ValueError(f"header {header!r} is not {','.join(plain)}"
                         "[,original/current sizes]")
    rows = []
    for line, record in enumerate(reader, 2):
        if len(record) != len(header):
            raise ValueError(f"line {line}: {len(record)} fields, not "
                             f"{len(header)}")
        try:
            sizes = [int(v) for v in record[len(sources):]]
        except ValueError:
            raise ValueError(f"line {line}: a size is not an integer") \
                from None
        rows.append((tuple(record[:len(sources)]), sizes))
    return BloatyCsv(list(sources), rows, diff)


def csv_summary(parsed):
    """What a bloaty CSV holds: rows, distinct first-level labels (compile
    units), and the vmsize and filesize totals (in a diff: the changes)."""
    return {"rows": len(parsed.rows),
            parsed.sources[0]: len({labels[0] for labels, _ in parsed.rows}),
            "vmsize": sum(sizes[0] for _, sizes in parsed.rows),
            "filesize": sum(sizes[1] for _, sizes in parsed.rows),
            "diff": parsed.diff}


def check_bloaty(timing):
    """(error or "", summary of its CSV) for a bloaty Timing."""
    if timing.statuses != [0]:
        err = timing.stderr.decode(errors="replace").strip()
        return ((err.splitlines() or ["no message"])[-1][:300] +
                f" (exit {','.join(map(str, timing.statuses))})"), {}
    try:
        parsed = parse_csv(timing.stdout.decode(errors="replace"),
                           csv_sources(timing.argv))
    except ValueError as err:
        return f"bloaty printed no CSV that reads: {err}", {}
    if not parsed.rows:
        return "bloaty's CSV has no rows", {}
    return "", csv_summary(parsed)


def check_membudget(timing):
    """(error or "", {}) for a membudget Timing: 0 within budget and 1 over
    are both a finished run; JSON output must read and carry a schema."""
    if any(s not in (0, 1) for s in timing.statuses):
        err = timing.stderr.decode(errors="replace").strip()
        return ((err.splitlines() or ["no message"])[-1][:300] +
                f" (exit {','.join(map(str, timing.statuses))})"), {}
    if "--format" in timing.argv and \
            timing.argv[timing.argv.index("--format") + 1] == "json":
        try:
            doc = json.loads(timing.stdout)
        except ValueError:
            return "--format json printed no valid JSON", {}
        if not isinstance(doc, dict) or "schema" not in doc:
            return "the JSON output has no schema field", {}
    return "", {"output_bytes": len(timing.stdout)}


# --- measuring --------------------------------------------------------------

@dataclass
class Command:
    """One command of a group: argv None means it does not run (why)."""
    key: str
    tool: str                   # "membudget" or "bloaty"
    argv: list = None
    skipped: str = ""


@dataclass
class Group:
    """Commands on one image, run in turns."""
    name: str
    commands: list
    runs: int


def figures(timing):
    """A Timing as the report's numbers."""
    return {"median_s": round(timing.median, 4),
            "median_cpu_s": round(timing.median_cpu, 4),
            "peak_mib": round(timing.peak_rss / measure.MIB, 1),
            "cpu_s": [round(r.cpu_seconds, 3) for r in timing.runs],
            "statuses": timing.statuses}


def measure_group(group, log, timer=measure.time_alternating):
    """Run @group's commands in turns; {key: figures, or skipped/error}."""
    out = {c.key: {"tool": c.tool, "argv": c.argv or [],
                   "skipped": c.skipped, "error": ""}
           for c in group.commands}
    todo = [c for c in group.commands if c.argv]
    if not todo:
        return out
    log(f"bench: {group.name}: " + ", ".join(c.key for c in todo) +
        f", in turns x{group.runs}")
    try:
        timings = timer([c.argv for c in todo], group.runs)
    except measure.MeasureError as err:
        for c in todo:
            out[c.key]["error"] = str(err)
        return out
    for c, timing in zip(todo, timings):
        check = check_bloaty if c.tool == "bloaty" else check_membudget
        error, output = check(timing)
        out[c.key].update(figures(timing))
        out[c.key]["output"] = output
        if error:
            # A failed run's time is no figure for the table
            out[c.key].update(error=error, median_s=None, median_cpu_s=None,
                              peak_mib=None)
    return out


# --- the table --------------------------------------------------------------

@dataclass
class Pair:
    """One row: a membudget command against a bloaty command."""
    subject: str        # which image (a key of the subjects' notes)
    what: str           # the commands, as the row names them
    membudget: str      # command keys
    bloaty: str


def goal(value, limit, what):
    """A goal's verdict: met when @value <= @limit; None when unmeasured."""
    return {"goal": what, "limit": limit, "value": value,
            "met": None if value is None else value <= limit}


def why_not(fig):
    """Why a command has no figures, or ""."""
    if fig is None:
        return "not planned"
    return fig.get("skipped") or fig.get("error") or \
        ("" if fig.get("median_cpu_s") is not None else "no figures")


def compare(pair, measured):
    """The row of @pair from the measured commands: both sides' figures,
    the CPU ratio and the two goals."""
    mb, bl = measured.get(pair.membudget), measured.get(pair.bloaty)
    row = {"subject": pair.subject, "what": pair.what,
           "membudget": pair.membudget, "bloaty": pair.bloaty,
           "membudget_cpu_s": None, "bloaty_cpu_s": None,
           "membudget_peak_mib": None, "bloaty_peak_mib": None,
           "ratio": None, "membudget_missing": why_not(mb),
           "bloaty_missing": why_not(bl)}
    if not row["membudget_missing"]:
        row["membudget_cpu_s"] = mb["median_cpu_s"]
        row["membudget_peak_mib"] = mb["peak_mib"]
    if not row["bloaty_missing"]:
        row["bloaty_cpu_s"] = bl["median_cpu_s"]
        row["bloaty_peak_mib"] = bl["peak_mib"]
    both = not (row["membudget_missing"] or row["bloaty_missing"])
    if both and row["bloaty_cpu_s"] > 0:
        row["ratio"] = round(row["membudget_cpu_s"] / row["bloaty_cpu_s"], 3)
    row["goals"] = [
        goal(row["ratio"], GOAL_CPU_RATIO, f"CPU <= {GOAL_CPU_RATIO} x bloaty"),
        goal(row["membudget_peak_mib"] if both else None,
             row["bloaty_peak_mib"], "peak <= bloaty's")]
    return row


def scale_row(million, base, million_symbols, base_symbols):
    """The million-symbol row: @million's figures against @base's (the
    100k image's report --map, run in turns with it)."""
    row = {"symbols": million_symbols, "base_symbols": base_symbols,
           "cpu_s": None, "peak_mib": None, "base_cpu_s": None,
           "ratio": None, "missing": why_not(million),
           "base_missing": why_not(base)}
    if not row["missing"]:
        row["cpu_s"] = million["median_cpu_s"]
        row["wall_s"] = million["median_s"]
        row["peak_mib"] = million["peak_mib"]
    if not row["base_missing"]:
        row["base_cpu_s"] = base["median_cpu_s"]
    if row["cpu_s"] is not None and row["base_cpu_s"]:
        row["ratio"] = round(row["cpu_s"] / row["base_cpu_s"], 2)
    if million_symbols and base_symbols:
        row["symbols_ratio"] = round(million_symbols / base_symbols, 2)
    row["goals"] = [
        goal(row["ratio"], GOAL_SCALE_RATIO,
             f"CPU <= {GOAL_SCALE_RATIO:g} x the 100k image's"),
        goal(row["peak_mib"], GOAL_SCALE_PEAK_MIB,
             f"peak <= {GOAL_SCALE_PEAK_MIB / 1024:g} GiB")]
    return row


def verdict(g):
    """A goal as the table shows it."""
    if g["met"] is None:
        return "-"
    return "pass" if g["met"] else "FAIL"


def num(value, spec, missing="-"):
    """@value formatted, or @missing."""
    return missing if value is None else format(value, spec)


def render(section, markdown=False):
    """The comparison table (and the million-symbol row) as lines."""
    bloaty = section["bloaty"]
    if bloaty.get("skipped"):
        head = f"bloaty: skipped, {bloaty['skipped']}: the bloaty columns " \
            "are empty and no goal against it is judged"
    else:
        head = f"bloaty: {bloaty['version']} ({bloaty['path']})"
    head += (f"; CPU seconds, median of {section['runs']} runs of each "
             "command, in turns with its peer")
    cols = ["subject", "membudget / bloaty", "membudget CPU s",
            "bloaty CPU s", "ratio", f"<= {GOAL_CPU_RATIO}",
            "membudget peak MiB", "bloaty peak MiB", "<= bloaty"]
    rows = []
    for r in section["rows"]:
        what = r["what"] if markdown else r["what"].replace("`", "")
        subject = section["subjects"].get(r["subject"], r["subject"]) \
            if markdown else r["subject"]
        rows.append([
            subject, what,
            num(r["membudget_cpu_s"], ".2f",
                "skipped" if r["membudget_missing"] else "-"),
            num(r["bloaty_cpu_s"], ".2f"), num(r["ratio"], ".2f"),
            verdict(r["goals"][0]), num(r["membudget_peak_mib"], ".0f"),
            num(r["bloaty_peak_mib"], ".0f"), verdict(r["goals"][1])])
    # Why anything is missing, once per reason
    reasons = {}
    for r in section["rows"]:
        if r["membudget_missing"]:
            reasons.setdefault(r["membudget_missing"], {})[r["subject"]] = 1
        if r["bloaty_missing"] and not bloaty.get("skipped"):
            reasons.setdefault("bloaty: " + r["bloaty_missing"],
                               {})[r["subject"]] = 1
    notes = [f"{', '.join(subjects)}: {why}"
             for why, subjects in reasons.items()]
    if markdown:
        out = [head + ".", "",
               "| " + " | ".join(cols) + " |",
               "|---|---|--:|--:|--:|:-:|--:|--:|:-:|"]
        out += ["| " + " | ".join(row) + " |" for row in rows]
    else:
        used = [key for key in section["subjects"]
                if any(r["subject"] == key for r in section["rows"])]
        width = max((len(k) for k in used), default=0)
        out = [head, ""] + [f"  {k:<{width}}  {section['subjects'][k]}"
                            for k in used] + [""]
        widths = [max(len(str(x)) for x in col) for col in zip(cols, *rows)]

        def line(cells):
            return "  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(cells, widths)))
        out += [line(cols), "-" * len(line(cols))] + \
            [line(row) for row in rows]
    scale = section.get("scale")
    if scale:
        out += ["", render_scale(scale, markdown,
                                 section.get("runs_million"))]
    if notes:
        out += ["", "Not measured: " + "; ".join(notes) + "."]
    return out


def render_scale(s, markdown=False, runs=None):
    """The million-symbol row as one sentence (@runs: how many runs the
    median is of)."""
    tick = "`" if markdown else ""
    if s["missing"]:
        return (f"{s['symbols'] or 'million'}-symbol image: not measured, "
                f"{s['missing']}.")
    base = (f"{num(s['ratio'], '.2f')} x the {s['base_symbols']:,}-symbol "
            f"image's {num(s['base_cpu_s'], '.2f')} s in the same turns"
            if s["ratio"] is not None else
            f"no ratio: the 100k image is {s['base_missing']}")
    symbols = (f" ({s['symbols_ratio']:g} x its symbols)"
               if s.get("symbols_ratio") else "")
    median = f" (median of {runs} runs)" if runs else ""
    return (f"{s['symbols']:,}-symbol image, {tick}report --map --format "
            f"json{tick}: {s['cpu_s']:.2f} s CPU{median}, {base}{symbols}: "
            f"{verdict(s['goals'][0])} (goal <= {GOAL_SCALE_RATIO:g} x); "
            f"peak {s['peak_mib']:.0f} MiB: {verdict(s['goals'][1])} "
            f"(goal <= {GOAL_SCALE_PEAK_MIB / 1024:g} GiB).")


def render_fw(fw, markdown=False):
    """The firmware's make check overhead and its goal, as one sentence."""
    tick = "`" if markdown else ""
    if "skipped" in fw:
        return f"Firmware {tick}make check{tick} overhead: skipped, " \
            f"{fw['skipped']}."
    g = goal(fw["overhead_s"], GOAL_FW_OVERHEAD_S, "")
    return (f"Firmware {tick}make check{tick} overhead over {tick}make "
            f"firmware{tick}: {fw['overhead_s']:.3f} s ({tick}make check"
            f"{tick} {fw['make_check_s']:.3f} s, {tick}make firmware{tick} "
            f"{fw['make_firmware_s']:.3f} s, medians in turns; "
            f"the {tick}membudget check{tick} it runs alone "
            f"{fw['membudget_check_s']:.3f} s" +
            (f", {fw['membudget_check_plain_s']:.3f} s without "
             f"{tick}--heap-trace{tick}" if "membudget_check_plain_s" in fw
             else "") +
            f"): {verdict(g)} (goal <= {GOAL_FW_OVERHEAD_S} s).")
