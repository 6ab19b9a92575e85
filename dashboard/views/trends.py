"""Failure rate over time: one line per code, category, carrier, provider or country (the
five with most failures in the selection), each with its 95% interval and the messages it
is out of. The grain is kept in the URL, like the filters."""

from __future__ import annotations

import polars as pl
import streamlit as st

from deliverability.dashboard import charts, data, filters, ui
from deliverability.queries.timeseries import TREND_DIMENSIONS

st.title("Failure rate over time")

if ui.require_data():
    current = filters.current()
    left, right = st.columns([3, 2])
    with left:
        dim = st.segmented_control(
            "Lines for", list(TREND_DIMENSIONS), default="code", key="trend_dim"
        ) or "code"  # fmt: skip
    with right:
        grain = ui.url_grain(current, key="trend_grain")
    series = data.failure_rate_series(current, dim, grain)
    if series.is_empty():
        st.success("No failed messages in this selection.")
        st.stop()
    st.caption(
        "The five with most failures in the selection. The band is each rate's 95% interval "
        "(Wilson); hover a point for the messages it is out of, click it for its failed messages. A code's rate is out of its "
        "provider and channel's messages, a category's out of all messages."
    )
    event = st.plotly_chart(
        charts.rate_lines(series),
        key="trend_chart",
        on_select="rerun",
        selection_mode="points",
        width="stretch",
    )
    points = [p for p in ui.clicked_points(event) if len(p.get("customdata") or []) == 3]
    if points:
        # A point opens the failed messages behind it: that value, in that bucket.
        drill = str(points[0]["customdata"][2])
        if dim == "code":
            provider, _, code = drill.partition("|")
            keys = {"code": code, "code_provider": provider}
        else:
            keys = {dim: drill}
        st.switch_page(
            "views/messages.py",
            query_params=ui.link_params(
                outcome="failed", **keys, **ui.bucket_window(points[0]["x"], grain)
            ),
        )
    totals = series.group_by("value").agg(pl.col("failed").sum(), pl.col("messages").sum())
    ui.table(
        totals.with_columns((totals["failed"] / totals["messages"]).alias("failure_rate")).sort(
            "failed", descending=True
        ),
        key="trend_totals",
        percent=("failure_rate",),
    )
