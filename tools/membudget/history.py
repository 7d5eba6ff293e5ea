"""`membudget history SNAPSHOT...|DIR`: sizes over time and when budgets break.

Reads `membudget snapshot` files (a directory means every *.json in it)
and orders them by their provenance: the committer date of the snapshot's
git commit, looked up in the git checkout that holds the snapshot file (or
the current one); a snapshot without a commit git can resolve falls back
to its file's modification time, and the chart says which was used.  Ties
keep the order of the file names.

For the image (rom, ram) and each component (rom, ram and every class it
has a budget for) it draws one small SVG line chart with the budget as a
dashed line, and fits a least-squares line through the points: where that
line meets the latest budget is the estimate of when the budget will be
hit ("never" when the trend is flat or shrinking).
"""

import datetime
import html
import json
import os
import subprocess
from dataclasses import dataclass, field

from . import render_html, snapshot
from .model import CLASSES, InputError
from .summary import BUDGET_ORDER, fmt_bytes

FORMATS = ("html", "svg")
DAY = 86400.0

#: Chart geometry (SVG user units)
CHART_W, CHART_H = 400, 190
PAD_L, PAD_R, PAD_T, PAD_B = 62, 14, 44, 26
COLUMNS = 3


@dataclass
class Point:
    """One snapshot, placed in time."""

    path: str
    label: str              # short commit (+ "+dirty") or the file name
    when: float             # POSIX seconds
    when_source: str        # "commit date" or "file time"
    doc: dict


@dataclass
class Trend:
    slope: float | None     # bytes per second (None: fewer than 2 distinct times)
    intercept: float | None  # bytes at time 0 (relative to the first point)
    hit: float | None       # POSIX time the fit meets the budget, if ahead
    verdict: str            # for people: a date, "never", "over budget now", ...


@dataclass
class Series:
    owner: str              # component name or "image"
    key: str                # "rom", "ram" or a class
    points: list            # [(when, bytes, label)]
    budgets: list           # [(when, bytes)] where a budget was set
    trend: Trend = field(default=None)

    @property
    def budget(self):
        """The latest budget, or None."""
        return self.budgets[-1][1] if self.budgets else None


def _commit_time(commit, where):
    """Committer date of commit as POSIX seconds, or None when git cannot say."""
    for directory in (where, os.getcwd()):
        try:
            proc = subprocess.run(["git", "-C", directory, "show", "-s", "--format=%ct",
                                   commit, "--"], capture_output=True, text=True)
        except OSError:
            return None
        if proc.returncode == 0 and proc.stdout.strip().isdigit():
            return float(proc.stdout.strip())
    return None


def load_point(path):
    doc = snapshot.load(path)
    git = doc["provenance"].get("git") or {}
    commit = git.get("commit")
    when = _commit_time(commit, os.path.dirname(os.path.abspath(path))) if commit else None
    if when is not None:
        label = commit[:10] + ("+dirty" if git.get("dirty") else "")
        return Point(path, label, when, "commit date", doc)
    try:
        mtime = os.stat(path).st_mtime
    except OSError as err:
        raise InputError(path, err.strerror or str(err)) from None
    return Point(path, os.path.basename(path), mtime, "file time", doc)


def _claims_snapshot(path):
    """Does this JSON file say it is a snapshot?  (Unreadable: let load() say.)"""
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return True
    return isinstance(doc, dict) and doc.get("kind") == snapshot.KIND


def expand(paths, warn=None):
    """Snapshot files named, directories replaced by their *.json snapshots.

    A directory's JSON files that are not snapshots (reports/bench.json)
    are skipped, each with a warning; a file named explicitly must be one.
    @v warn     warn(path, message), for the skipped files
    """
    files = []
    for path in paths:
        if not os.path.isdir(path):
            files.append(path)
            continue
        found = []
        for name in sorted(n for n in os.listdir(path) if n.endswith(".json")):
            full = os.path.join(path, name)
            if _claims_snapshot(full):
                found.append(full)
            elif warn:
                warn(full, "not a membudget snapshot: skipped")
        if not found:
            raise InputError(path, "no snapshots (*.json) in this directory")
        files += found
    return files


def load(paths, warn=None):
    """Points of every snapshot, oldest first (see the module docstring)."""
    files = expand(paths, warn)
    points = [load_point(p) for p in files]
    order = {p: i for i, p in enumerate(files)}
    points.sort(key=lambda p: (p.when, order[p.path]))
    return points


def _sizes_of(row, key):
    if key == "rom":
        return row["code"] + row["rodata"] + row["data"]
    if key == "ram":
        return row["code"] + row["rodata"] + row["data"] + row["bss"]
    return row[key]


def _caps(lines):
    """{key: budget} of a snapshot's budget list; entries that are not one are ignored
    (snapshot.load checks sizes, not budgets)."""
    if not isinstance(lines, list):
        return {}
    return {line["class"]: line["budget"] for line in lines
            if isinstance(line, dict) and line.get("class") in BUDGET_ORDER
            and isinstance(line.get("budget"), int) and not isinstance(line["budget"], bool)}


def series(points):
    """Every series to chart: the image's rom and ram, then per component."""
    out = []
    for key in ("rom", "ram"):
        s = Series("image", key, [], [])
        for p in points:
            s.points.append((p.when, _sizes_of(p.doc["totals"], key), p.label))
            cap = _caps(p.doc.get("image_budgets")).get(key)
            if cap is not None:
                s.budgets.append((p.when, cap))
        out.append(s)
    names = []
    for p in points:
        names += [c["name"] for c in p.doc["components"] if c["name"] not in names]
    for name in names:
        rows = [(p, next((c for c in p.doc["components"] if c["name"] == name), None))
                for p in points]
        budgeted = []
        for _, row in rows:
            for key in _caps(row.get("budgets") if row else None):
                if key not in budgeted:
                    budgeted.append(key)
        keys = ["rom", "ram"] + [k for k in CLASSES if k in budgeted]
        for key in keys:
            s = Series(name, key, [], [])
            for p, row in rows:
                if row is None:
                    continue
                s.points.append((p.when, _sizes_of(row, key), p.label))
                cap = _caps(row.get("budgets")).get(key)
                if cap is not None:
                    s.budgets.append((p.when, cap))
            if s.points and (any(v for _, v, _ in s.points) or s.budgets):
                out.append(s)
    for s in out:
        s.trend = trend(s)
    return out


def fit(xs, ys):
    """Least-squares line y = a + b x: (a, b), or None without two distinct x."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return my - b * mx, b


def _date(when, fine=False):
    """A UTC date; with the time of day when the snapshots span under two days."""
    fmt = "%Y-%m-%d %H:%M" if fine else "%Y-%m-%d"
    return datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime(fmt)


def _fine(points):
    return points[-1].when - points[0].when < 2 * DAY


def trend(s):
    """Fit the series and say when its latest budget will be hit."""
    t0 = s.points[0][0]
    line = fit([w - t0 for w, _, _ in s.points], [v for _, v, _ in s.points])
    budget, last_when, last = s.budget, s.points[-1][0], s.points[-1][1]
    if line is None:
        return Trend(None, None, None, "one point in time: no trend")
    a, b = line
    if budget is None:
        return Trend(b, a, None, "no budget")
    if last > budget:
        return Trend(b, a, None, "over budget now")
    if b <= 0:
        return Trend(b, a, None, "never (flat or shrinking)")
    hit = t0 + (budget - a) / b
    if hit <= last_when:
        return Trend(b, a, hit, "now, by the trend")
    days = (hit - last_when) / DAY
    if days < 2:
        return Trend(b, a, hit, f"{_date(hit, True)} UTC (in {days * 24:,.1f} hours)")
    return Trend(b, a, hit, f"{_date(hit)} (in {days:,.1f} days)")


# Drawing

def _e(text):
    return html.escape(str(text), quote=True)


def y_range(values):
    """The y axis: the values and budgets with some room, not from 0, so a
    change of a few bytes and the gap to the budget both show."""
    lo, hi = min(values), max(values)
    pad = max((hi - lo) * 0.15, hi * 0.01, 1.0)
    return max(0.0, lo - pad), hi + pad


def _fmt_axis(n):
    return f"{n / 1024:,.1f} KiB" if n >= 10 * 1024 else f"{n:,.0f} B"


def chart(s, x, y, t_lo, t_hi):
    """One series as an SVG <g> at (x, y); time runs from t_lo to t_hi."""
    fine = t_hi - t_lo < 2 * DAY
    values = [v for _, v, _ in s.points] + [b for _, b in s.budgets]
    bottom, top = y_range(values)
    w, h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B
    span = (t_hi - t_lo) or 1.0

    def px(when):
        if t_hi == t_lo:
            return x + PAD_L + w / 2
        return x + PAD_L + (when - t_lo) / span * w

    def py(value):
        return y + PAD_T + h - (value - bottom) / (top - bottom) * h

    parts = [f'<g class="chart" data-owner="{_e(s.owner)}" data-key="{s.key}">',
             f'<rect class="frame" x="{x + PAD_L}" y="{y + PAD_T}" width="{w}" height="{h}"/>',
             f'<text class="title" x="{x + 4}" y="{y + 15}">{_e(s.owner)} {s.key}: '
             f'{fmt_bytes(s.points[-1][1])} B'
             + (f" of {fmt_bytes(s.budget)} B" if s.budget is not None else "") + "</text>",
             f'<text class="estimate" x="{x + 4}" y="{y + 31}">budget hit: '
             f'{_e(s.trend.verdict)}</text>']
    for tick in (bottom, (bottom + top) / 2, top):
        parts.append(f'<line class="grid" x1="{x + PAD_L}" x2="{x + PAD_L + w}" '
                     f'y1="{py(tick):.1f}" y2="{py(tick):.1f}"/>'
                     f'<text class="axis" x="{x + PAD_L - 4}" y="{py(tick) + 3:.1f}" '
                     f'text-anchor="end">{_fmt_axis(tick)}</text>')
    parts.append(f'<text class="axis" x="{x + PAD_L}" y="{y + CHART_H - 8}">'
                 f'{_date(t_lo, fine)}</text><text class="axis" x="{x + PAD_L + w}" '
                 f'y="{y + CHART_H - 8}" text-anchor="end">{_date(t_hi, fine)}</text>')
    if s.budgets:
        pts = [(px(w_), py(b)) for w_, b in s.budgets]
        if len(pts) == 1 or t_hi == t_lo:
            pts = [(x + PAD_L, pts[-1][1]), (x + PAD_L + w, pts[-1][1])]
        else:
            pts = [(x + PAD_L, pts[0][1])] + pts + [(x + PAD_L + w, pts[-1][1])]
        parts.append('<polyline class="budget" points="'
                     + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts) + '"/>')
    if s.trend.slope is not None:
        t0 = s.points[0][0]
        ends = [(t, s.trend.intercept + s.trend.slope * (t - t0)) for t in (t_lo, t_hi)]
        parts.append('<polyline class="trend" points="' + " ".join(
            f"{px(t):.1f},{py(min(max(bottom, v), top)):.1f}" for t, v in ends) + '"/>')
    parts.append('<polyline class="series" points="' + " ".join(
        f"{px(w_):.1f},{py(v):.1f}" for w_, v, _ in s.points) + '"/>')
    for w_, v, label in s.points:
        parts.append(f'<circle class="point" cx="{px(w_):.1f}" cy="{py(v):.1f}" r="2.5">'
                     f"<title>{_e(label)} ({_date(w_, fine)}): {fmt_bytes(v)} B</title>"
                     "</circle>")
    parts.append("</g>")
    return "".join(parts)


SVG_STYLE = (
    "text{font:11px system-ui,sans-serif;fill:#1d2329}"
    ".title{font-weight:600}.estimate{fill:#5f6670}.axis{font-size:9.5px;fill:#5f6670}"
    ".frame{fill:#f7f8fa;stroke:#d6d9de}.grid{stroke:#e3e6ea}"
    ".series{fill:none;stroke:#2f6db5;stroke-width:2}.point{fill:#2f6db5}"
    ".budget{fill:none;stroke:#c9302c;stroke-width:1.5;stroke-dasharray:6 4}"
    ".trend{fill:none;stroke:#8a8f96;stroke-width:1.2;stroke-dasharray:2 3}")


def svg(all_series, points, standalone=True):
    """Every chart in one SVG element (standalone: with its XML namespace)."""
    t_lo, t_hi = points[0].when, points[-1].when
    rows = (len(all_series) + COLUMNS - 1) // COLUMNS
    width, height = COLUMNS * CHART_W, rows * CHART_H + 30
    charts = [chart(s, (i % COLUMNS) * CHART_W, 30 + (i // COLUMNS) * CHART_H, t_lo, t_hi)
              for i, s in enumerate(all_series)]
    fine = _fine(points)
    legend = (f'<text class="title" x="4" y="18">{len(points)} snapshots, '
              f"{_date(t_lo, fine)} to {_date(t_hi, fine)}: size (blue), budget (red, dashed), "
              "least-squares trend (grey, dotted)</text>")
    space = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    return (f'<svg{space} id="history" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}">'
            f"<style>{SVG_STYLE}</style>{legend}{''.join(charts)}</svg>\n")


def _snapshot_table(points):
    rows = "".join(
        f"<tr><td>{i + 1}</td><td>{_e(p.label)}</td><td>{_date(p.when, True)}</td>"
        f"<td>{p.when_source}</td><td>{fmt_bytes(_sizes_of(p.doc['totals'], 'rom'))}</td>"
        f"<td>{fmt_bytes(_sizes_of(p.doc['totals'], 'ram'))}</td>"
        f'<td class="file">{_e(p.path)}</td></tr>' for i, p in enumerate(points))
    return ('<table id="snapshots"><thead><tr><th>#</th><th>snapshot</th><th>date</th>'
            "<th>ordered by</th><th>rom</th><th>ram</th><th>file</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _estimates_table(all_series):
    rows = []
    for s in all_series:
        slope = "-" if s.trend.slope is None else f"{s.trend.slope * DAY:+,.1f}"
        state = "over" if s.budget is not None and s.points[-1][1] > s.budget else ""
        rows.append(f'<tr class="{state}"><th>{_e(s.owner)}</th><td>{s.key}</td>'
                    f"<td>{fmt_bytes(s.points[-1][1])}</td>"
                    f"<td>{'-' if s.budget is None else fmt_bytes(s.budget)}</td>"
                    f"<td>{slope}</td><td>{_e(s.trend.verdict)}</td></tr>")
    return ('<table id="estimates"><thead><tr><th>owner</th><th>size</th><th>now (B)</th>'
            "<th>budget (B)</th><th>trend (B/day)</th><th>budget hit</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def render(points, fmt="html"):
    """The history as an SVG document or an HTML page around it."""
    all_series = series(points)
    if fmt == "svg":
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg(all_series, points)
    chart_svg = svg(all_series, points, standalone=False)
    name = next((p.doc["budgets"]["name"] for p in reversed(points)
                 if p.doc.get("budgets")), None) or os.path.basename(
                     points[-1].doc["elf"].get("path") or "image")
    body = (
        f"<header><h1>membudget history: {_e(name)}</h1>"
        '<p class="note">Snapshots are ordered by the committer date of their git '
        "commit, or by their file's modification time when git does not know the "
        "commit. The estimate is where the least-squares line through the points "
        "meets the latest budget.</p></header>\n"
        f'<section id="charts"><h2>Sizes over time</h2>{chart_svg}</section>\n'
        f'<section id="trends"><h2>When budgets will be hit</h2>'
        f"{_estimates_table(all_series)}</section>\n"
        f'<section id="list"><h2>Snapshots</h2>{_snapshot_table(points)}</section>')
    data = {"kind": "history", "series": [
        {"owner": s.owner, "key": s.key, "points": len(s.points),
         "budget": s.budget, "verdict": s.trend.verdict} for s in all_series]}
    return render_html.page(f"membudget history: {name}", body, data, script="history.js")


# Command line

def register_history(subparsers):
    parser = subparsers.add_parser(
        "history", help="sizes over snapshots, with budget lines and trend estimates",
        description="Chart rom, ram and each component over snapshots (files made by "
                    "`membudget snapshot`, or a directory of them) ordered by their "
                    "commit date, with budget lines and a least-squares estimate of "
                    "when each budget will be hit.")
    parser.add_argument("snapshots", nargs="+", metavar="SNAPSHOT|DIR",
                        help="snapshot files, or directories of *.json snapshots")
    parser.add_argument("--format", choices=FORMATS, default="html")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write to FILE (atomically) instead of stdout")
    parser.set_defaults(run=run_history, elf=None)


def run_history(args):
    from . import cli   # cli imports this module to register it
    points = load(args.snapshots, cli.warn)
    cli.write_output(render(points, args.format), args.output)
    return 0
