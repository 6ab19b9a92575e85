"""Plotly figures for the pages. Every log value that becomes a label goes through safe.label.

Charts carry the values a click needs in `customdata`, so a click can drill down without
guessing from the label text.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from deliverability.dashboard.safe import label
from deliverability.render.review_charts import OUTCOME_COLOURS  # the review file's colours


def _layout(fig: go.Figure, height: int = 360, **extra) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": -0.15},
        **extra,
    )
    return fig


def outcomes_over_time(frame: pl.DataFrame) -> go.Figure:
    """Stacked bars: messages per period by final outcome."""
    fig = go.Figure()
    for outcome, colour in OUTCOME_COLOURS.items():
        part = frame.filter(pl.col("outcome") == outcome)
        if part.is_empty():
            continue
        fig.add_bar(
            x=part["period_start"].to_list(),
            y=part["messages"].to_list(),
            name=outcome.replace("_", " "),
            marker_color=colour,
            customdata=[outcome] * part.height,
            hovertemplate="%{x}<br>%{y:,} messages<extra>" + outcome + "</extra>",
        )
    return _layout(fig, barmode="stack", yaxis_title="messages")


def bars(
    frame: pl.DataFrame,
    value: str,
    key_column: str,
    text_column: str | None = None,
    percent: bool = True,
    height: int = 320,
) -> go.Figure:
    """Horizontal bars of VALUE per KEY_COLUMN (largest on top); customdata is the key."""
    frame = frame.sort(value)
    shown = [label(v) for v in frame[text_column or key_column].to_list()]
    fig = go.Figure(
        go.Bar(
            x=frame[value].to_list(),
            y=shown,
            orientation="h",
            customdata=[str(v) for v in frame[key_column].to_list()],
            marker_color="#c62828",
            hovertemplate="%{y}: %{x" + (":.2%" if percent else ":,") + "}<extra></extra>",
        )
    )
    if percent:
        fig.update_xaxes(tickformat=".1%")
    return _layout(fig, height=max(height, 28 * frame.height + 60))


def heatmap(frame: pl.DataFrame, keys: list[str]) -> go.Figure:
    """Failure rate of row × column as square markers: clickable, unlike a heatmap trace.
    Each point carries the raw values of KEYS (columns of FRAME) for drilling down."""
    # A pair without messages (a code of one provider, a carrier only another one reaches)
    # has no rate: no marker, rather than a colour Plotly cannot draw.
    frame = frame.filter(pl.col("failure_rate").is_not_null())
    rows = frame["row"].cast(pl.String).fill_null("(none)")
    columns = frame["column"].cast(pl.String).fill_null("(none)")
    fig = go.Figure(
        go.Scatter(
            x=[label(c) for c in columns.to_list()],
            y=[label(r) for r in rows.to_list()],
            mode="markers",
            marker={
                "symbol": "square",
                "size": 26,
                "color": frame["failure_rate"].to_list(),
                # Low rates grey and see-through, high ones red: readable on light and dark
                # themes alike ("Reds" starts at white, the brightest cell in dark mode).
                "colorscale": [[0.0, "rgba(150,150,150,0.35)"], [1.0, "#c62828"]],
                "showscale": True,
                "colorbar": {"tickformat": ".0%"},
            },
            customdata=frame.select(keys).rows(),
            text=[
                f"{f:,} of {m:,}" for f, m in zip(frame["failed"], frame["messages"], strict=True)
            ],
            hovertemplate="%{y} at %{x}<br>%{marker.color:.2%} failed (%{text})<extra></extra>",
        )
    )
    return _layout(fig, height=max(360, 30 * rows.n_unique() + 120))


def _bucket_band(frame: pl.DataFrame) -> tuple[list, list]:
    """The baseline band as one flat slab per bucket, across the bucket's width, joined into a
    polygon per run of buckets that have a band (None between runs). Each bucket has its own
    band (its own volume): a line from one bucket's edge to the next would invent values in
    between, and filling across a missing bucket draws diagonals through it."""
    starts = frame["period_start"].to_list()
    if len(starts) < 2:
        return [], []
    width = min(b - a for a, b in zip(starts, starts[1:], strict=False))
    low, high = frame["baseline_low"].to_list(), frame["baseline_high"].to_list()
    xs: list = []
    ys: list = []
    run: list[int] = []
    for i in [*range(len(starts)), None]:
        if i is not None and low[i] is not None and high[i] is not None:
            run.append(i)
            continue
        if run:
            top = [(t, high[j]) for j in run for t in (starts[j], starts[j] + width)]
            bottom = [(t, low[j]) for j in reversed(run) for t in (starts[j] + width, starts[j])]
            xs += [t for t, _ in top + bottom] + [None]
            ys += [v for _, v in top + bottom] + [None]
            run = []
    return xs, ys


def code_series(frame: pl.DataFrame, title: str | None = None) -> go.Figure:
    """A code's rate per period, with the baseline band and spikes marked (TITLE: none when
    the page already names the code above the chart)."""
    x = frame["period_start"].to_list()
    fig = go.Figure()
    band_x, band_y = _bucket_band(frame)
    fig.add_scatter(
        x=band_x,
        y=band_y,
        mode="lines",
        line={"width": 0},
        fill="toself",
        fillcolor="rgba(30,136,229,0.18)",
        name="baseline band",
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=x,
        y=frame["baseline_rate"].to_list(),
        mode="lines",
        name="baseline",
        line={"dash": "dot", "color": "#1e88e5"},
    )
    fig.add_scatter(
        x=x,
        y=frame["rate"].to_list(),
        mode="lines+markers",
        name="rate",
        line={"color": "#f57c00"},  # visible on light and dark themes
        customdata=frame["count"].to_list(),
        hovertemplate="%{x}<br>%{y:.3%} (%{customdata:,} messages)<extra></extra>",
    )
    spikes = frame.filter(pl.col("is_spike"))
    if spikes.height:
        fig.add_scatter(
            x=spikes["period_start"].to_list(),
            y=spikes["rate"].to_list(),
            mode="markers",
            name="spike",
            marker={"color": "#c62828", "size": 12, "symbol": "diamond"},
        )
    # At quiet hours the band's upper edge can reach 100%; scale to the rates instead.
    top = max(
        [v for v in (frame["rate"].max(), frame["baseline_rate"].max()) if v is not None],
        default=0.0,
    )
    fig.update_yaxes(tickformat=".2%", range=[0, max(top * 1.4, 0.001)])
    if title is None:
        return _layout(fig)
    return _layout(fig, title={"text": label(title), "font": {"size": 14}})


def daily_failure_rate(daily_rates: pl.DataFrame) -> go.Figure:
    """A review's failure rate per day (Review.daily_rates, the series the review file's
    chart draws too), broken on days without messages."""
    fig = go.Figure(
        go.Scatter(
            x=daily_rates["day"].to_list(),
            y=daily_rates["failure_rate"].to_list(),
            mode="lines+markers",
            line={"color": OUTCOME_COLOURS["failed"]},
            hovertemplate="%{x|%a %d %b}: %{y:.2%} failed<extra></extra>",
        )
    )
    fig.update_yaxes(tickformat=".1%")
    fig.update_layout(height=280, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


def latency_over_time(frame: pl.DataFrame, grain: str) -> go.Figure:
    """Lines: the 50th, 90th and 99th percentile of send-to-final-report seconds per bucket."""
    fig = go.Figure()
    for column, name, dash in (
        ("latency_p50_s", "p50", "solid"),
        ("latency_p90_s", "p90", "dash"),
        ("latency_p99_s", "p99", "dot"),
    ):
        fig.add_scatter(
            x=frame[grain].to_list(),
            y=frame[column].to_list(),
            name=name,
            mode="lines+markers",
            line={"dash": dash},
            hovertemplate="%{x}<br>%{y:,.1f} s<extra>" + name + "</extra>",
        )
    return _layout(fig, yaxis_title="seconds")


# Line colours for the series of rate_lines (Plotly's default cycle, with a see-through band).
SERIES_COLOURS = ("#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a")


def _band(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},0.18)"


def rate_lines(frame: pl.DataFrame) -> go.Figure:
    """One line per value (failure_rate over period_start) inside its 95% interval band."""
    fig = go.Figure()
    for index, value in enumerate(frame["value"].unique(maintain_order=True).to_list()):
        part = frame.filter(pl.col("value") == value)
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        name = label(value)
        x = part["period_start"].to_list()
        fig.add_scatter(x=x, y=part["high"].to_list(), mode="lines", line={"width": 0},
                        showlegend=False, hoverinfo="skip", legendgroup=name)  # fmt: skip
        fig.add_scatter(x=x, y=part["low"].to_list(), mode="lines", line={"width": 0},
                        fill="tonexty", fillcolor=_band(colour), showlegend=False,
                        hoverinfo="skip", legendgroup=name)  # fmt: skip
        fig.add_scatter(
            x=x,
            y=part["failure_rate"].to_list(),
            mode="lines+markers",
            name=name,
            legendgroup=name,
            line={"color": colour},
            customdata=list(
                zip(
                    part["failed"].to_list(),
                    part["messages"].to_list(),
                    part["drill"].to_list(),
                    strict=True,
                )
            ),  # fmt: skip
            hovertemplate="%{x}<br>%{y:.2%} (%{customdata[0]:,} of %{customdata[1]:,})<extra>"
            + name
            + "</extra>",
        )
    return _layout(fig, yaxis_tickformat=".1%", yaxis_rangemode="tozero")
