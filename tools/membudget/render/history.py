"""Draw a history (analysis/history.py): SVG line charts, one HTML page.

Each series is a small chart: the sizes as a line, the budget as a dashed
line, the least-squares trend dotted; the page adds the estimates and the
list of snapshots.
"""

from ..analysis.history import DAY, date_text, sizes_of
from .fmt import fmt_bytes
from .html import escape as _e, page

#: Chart geometry (SVG user units)
CHART_W, CHART_H = 400, 190
PAD_L, PAD_R, PAD_T, PAD_B = 62, 14, 44, 26
COLUMNS = 3


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
                 f'{date_text(t_lo, fine)}</text><text class="axis" x="{x + PAD_L + w}" '
                 f'y="{y + CHART_H - 8}" text-anchor="end">{date_text(t_hi, fine)}</text>')
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
                     f"<title>{_e(label)} ({date_text(w_, fine)}): {fmt_bytes(v)} B</title>"
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


def svg(history, standalone=True):
    """Every chart in one SVG element (standalone: with its XML namespace)."""
    all_series, points = history.series, history.points
    t_lo, t_hi = points[0].when, points[-1].when
    rows = (len(all_series) + COLUMNS - 1) // COLUMNS
    width, height = COLUMNS * CHART_W, rows * CHART_H + 30
    charts = [chart(s, (i % COLUMNS) * CHART_W, 30 + (i // COLUMNS) * CHART_H, t_lo, t_hi)
              for i, s in enumerate(all_series)]
    fine = history.fine()
    legend = (f'<text class="title" x="4" y="18">{len(points)} snapshots, '
              f"{date_text(t_lo, fine)} to {date_text(t_hi, fine)}: size (blue), "
              "budget (red, dashed), least-squares trend (grey, dotted)</text>")
    space = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    return (f'<svg{space} id="history" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}">'
            f"<style>{SVG_STYLE}</style>{legend}{''.join(charts)}</svg>\n")


def _snapshot_table(points):
    rows = "".join(
        f"<tr><td>{i + 1}</td><td>{_e(p.label)}</td><td>{date_text(p.when, True)}</td>"
        f"<td>{p.when_source}</td><td>{fmt_bytes(sizes_of(p.doc['totals'], 'rom'))}</td>"
        f"<td>{fmt_bytes(sizes_of(p.doc['totals'], 'ram', p.doc.get('xip')))}</td>"
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


def render_svg(history):
    """The charts as a standalone SVG document."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg(history)


def render_html(history):
    """The charts, the estimates and the snapshots as one HTML page."""
    all_series, points, name = history.series, history.points, history.name
    chart_svg = svg(history, standalone=False)
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
    return page(f"membudget history: {name}", body, data, script="history.js")


RENDERERS = {"html": render_html, "svg": render_svg}
