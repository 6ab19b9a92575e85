"""Inline SVG charts for the HTML review: no script, no external file, opens offline.

Every text that reaches the SVG goes through html.escape (labels from logs included).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from html import escape

import polars as pl

OUTCOME_COLOURS = {
    "delivered": "#2e7d32",
    "failed": "#c62828",
    "pending": "#f9a825",
    "unconfirmed": "#8e8e8e",
    "no_report": "#b0bec5",
    "unknown": "#6a1b9a",
}
WIDTH, HEIGHT = 900, 260
LEFT, RIGHT, TOP, BOTTOM = 60, 10, 30, 40


def _svg(body: list[str], label: str, height: int = HEIGHT) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "middle", size: int = 11, **attrs) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(str(v))}"' for k, v in attrs.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"{extra}>'
        f"{escape(text)}</text>"
    )


def _days(start: datetime, end: datetime) -> list[date]:
    return [(start + timedelta(days=i)).date() for i in range((end - start).days)]


def _week_band(days: list[date], week_start: date, x_of, step: float, plot_h: float) -> str:
    if week_start not in days:
        return ""
    x = x_of(days.index(week_start))
    return (
        f'<rect x="{x:.1f}" y="{TOP}" width="{step * 7:.1f}" height="{plot_h:.1f}" '
        'fill="#e3f2fd"/>' + _text(x + step * 3.5, TOP - 8, "review week", size=11)
    )


def _day_axis(days: list[date]) -> tuple[float, float, Callable[[int], float]]:
    """The plot's height, one day's width, and the left edge of day i."""
    step = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    return HEIGHT - TOP - BOTTOM, step, lambda i: LEFT + i * step


def _gridlines(plot_h: float, labels: list[str]) -> list[str]:
    """Horizontal lines at the bottom, middle and top of the plot, labelled LABELS."""
    body = []
    for frac, text in zip((0, 0.5, 1), labels, strict=True):
        y = TOP + plot_h * (1 - frac)
        body.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        body.append(_text(LEFT - 6, y + 4, text, anchor="end", size=10))
    return body


def _x_ticks(days: list[date], x_of, step: float, y: float) -> list[str]:
    return [
        _text(x_of(i) + step / 2, y, d.strftime("%d %b"), size=10)
        for i, d in enumerate(days)
        if d.weekday() == 0
    ]


def daily_outcomes(daily: pl.DataFrame, start: datetime, end: datetime, week_start: date) -> str:
    """Stacked bars: messages per day by final outcome, the review week shaded."""
    days = _days(start, end)
    counts: dict[date, dict[str, int]] = {d: {} for d in days}
    for row in daily.iter_rows(named=True):
        day = row["period_start"].date()
        if day in counts:
            counts[day][row["outcome"]] = int(row["messages"])
    totals = [sum(counts[d].values()) for d in days]
    top = max(totals + [1])
    plot_h, step, x_of = _day_axis(days)

    body = [_week_band(days, week_start, x_of, step, plot_h)]
    body += _gridlines(plot_h, [f"{round(top * frac):,}" for frac in (0, 0.5, 1)])
    for i, day in enumerate(days):
        y = TOP + plot_h
        for outcome, colour in OUTCOME_COLOURS.items():
            n = counts[day].get(outcome, 0)
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            tip = f"{day.isoformat()}: {n:,} {outcome.replace('_', ' ')}"
            body.append(
                f'<rect x="{x_of(i) + 1:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(tip)}</title></rect>'
            )
        if not totals[i]:
            body.append(_text(x_of(i) + step / 2, TOP + plot_h - 4, "×", size=12, fill="#c62828"))
    body += _x_ticks(days, x_of, step, HEIGHT - BOTTOM + 16)
    legend_x = LEFT
    for outcome, colour in OUTCOME_COLOURS.items():
        body.append(
            f'<rect x="{legend_x}" y="{HEIGHT - 14}" width="10" height="10" fill="{colour}"/>'
        )
        body.append(
            _text(legend_x + 14, HEIGHT - 5, outcome.replace("_", " "), anchor="start", size=10)
        )
        legend_x += 110
    return _svg(body, "Messages per day by final outcome (× marks a day with no data)")


def daily_failure_rate(daily_rates: pl.DataFrame, week_start: date) -> str:
    """Failure rate per day as a line (broken on days without messages), from a Review's
    daily_rates (every day, its messages, failed and failure_rate)."""
    days = [d.date() for d in daily_rates["day"].to_list()]
    failed = dict(zip(days, daily_rates["failed"].to_list(), strict=True))
    total = dict(zip(days, daily_rates["messages"].to_list(), strict=True))
    rates = daily_rates["failure_rate"].to_list()
    top = max([r for r in rates if r is not None] + [0.01]) * 1.15
    plot_h, step, x_of = _day_axis(days)

    body = [_week_band(days, week_start, x_of, step, plot_h)]
    body += _gridlines(plot_h, [f"{top * frac:.1%}" for frac in (0, 0.5, 1)])
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, rate in enumerate(rates):
        if rate is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        x, y = x_of(i) + step / 2, TOP + plot_h * (1 - rate / top)
        segment.append(f"{x:.1f},{y:.1f}")
        tip = (
            f"{days[i].isoformat()}: {rate:.2%} failed ({failed[days[i]]:,} of {total[days[i]]:,})"
        )
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#c62828">'
            f"<title>{escape(tip)}</title></circle>"
        )
    if segment:
        segments.append(segment)
    for points in segments:
        body.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="#c62828" stroke-width="2"/>'
        )
    body += _x_ticks(days, x_of, step, HEIGHT - BOTTOM + 16)
    return _svg(body, "Failure rate per day")


def change_bars(labels: list[str], deltas: list[float], title: str) -> str:
    """Horizontal bars of change in percentage points (red: worse, green: better)."""
    if not labels:
        return ""
    row_h, left = 24, 330
    height = TOP + row_h * len(labels) + 20
    extent = max(abs(d) for d in deltas) or 1.0
    zero = left + (WIDTH - left - RIGHT) / 2
    half = (WIDTH - left - RIGHT) / 2 - 50
    body = [
        f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{TOP - 4}" y2="{height - 16}" stroke="#999"/>'
    ]
    for i, (text, delta) in enumerate(zip(labels, deltas, strict=True)):
        y = TOP + i * row_h
        w = half * abs(delta) / extent
        x = zero if delta >= 0 else zero - w
        colour = "#c62828" if delta > 0 else "#2e7d32"
        shown = text if len(text) <= 48 else text[:47] + "…"
        body.append(_text(left - 8, y + 15, shown, anchor="end", size=11))
        body.append(
            f'<rect x="{x:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 8}" '
            f'fill="{colour}"><title>{escape(text)}: {delta:+.2f} pp</title></rect>'
        )
        tx = x + w + 4 if delta >= 0 else x - 4
        body.append(
            _text(tx, y + 15, f"{delta:+.2f} pp", anchor="start" if delta >= 0 else "end", size=10)
        )
    body.append(_text(left, 16, title, anchor="start", size=12, font_weight="bold"))
    return _svg(body, title, height=height)
