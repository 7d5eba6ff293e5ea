"""Sizes over time and when budgets break: the model behind `membudget history`.

Reads `membudget snapshot` files (a directory means every *.json in it)
and orders them by their provenance: the committer date of the snapshot's
git commit, looked up in the git checkout that holds the snapshot file (or
the current one); a snapshot without a commit git can resolve falls back
to its file's modification time, and the chart says which was used.  Ties
keep the order of the file names.

For the image (rom, ram) and each component (rom, ram and every class it
has a budget for) it makes one series (render/history.py draws each as a
chart, the budget as a dashed line), and fits a least-squares line through
the points: where that line meets the latest budget is the estimate of
when the budget will be hit ("never" when the trend is flat or shrinking).
"""

import datetime
import json
import os
import subprocess
from dataclasses import dataclass, field

from ..model import CLASSES, InputError
from ..read import snapshot
from .summary import BUDGET_ORDER, Sizes

DAY = 86400.0


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


@dataclass
class History:
    """Snapshots oldest first and the series charted over them."""

    points: list[Point]
    series: list[Series]

    @property
    def name(self):
        """The image's name: the latest budgets file's, else the ELF's."""
        return next((p.doc["budgets"]["name"] for p in reversed(self.points)
                     if p.doc.get("budgets")), None) or os.path.basename(
                         self.points[-1].doc["elf"].get("path") or "image")

    def fine(self):
        """True when the snapshots span under two days: show times of day."""
        return self.points[-1].when - self.points[0].when < 2 * DAY


def load(paths, warn=None):
    """Every snapshot, oldest first (see the module docstring), and its series."""
    files = expand(paths, warn)
    points = [load_point(p) for p in files]
    order = {p: i for i, p in enumerate(files)}
    points.sort(key=lambda p: (p.when, order[p.path]))
    return History(points, series(points))


def sizes_of(row, key, xip=False):
    """A document row's bytes for a class, rom or ram (xip: ram = data + bss)."""
    return Sizes(**{k: row[k] for k in CLASSES}, xip=bool(xip)).get(key)


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
            size = sizes_of(p.doc["totals"], key, p.doc.get("xip"))
            s.points.append((p.when, size, p.label))
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
                size = sizes_of(row, key, p.doc.get("xip"))
                s.points.append((p.when, size, p.label))
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


def date_text(when, fine=False):
    """A UTC date; with the time of day when the snapshots span under two days."""
    fmt = "%Y-%m-%d %H:%M" if fine else "%Y-%m-%d"
    return datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime(fmt)


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
        return Trend(b, a, hit, f"{date_text(hit, True)} UTC (in {days * 24:,.1f} hours)")
    return Trend(b, a, hit, f"{date_text(hit)} (in {days:,.1f} days)")
