"""The reference page of benchmarks/session.py: what Streamlit and Plotly alone take to draw
the Overview's elements (the sidebar's filter widgets, a title, four tiles, a time-grain
picker, two Plotly bar charts, two tables), with no store, no query and no analytics.

    .venv/bin/python -m streamlit run benchmarks/session_floor.py

A first page of the dashboard cannot be drawn sooner than this one in the same browser on
the same machine; the benchmark reports the dashboard's time as a ratio to it.
"""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import polars as pl
import streamlit as st

OTHER_PAGES = ("Failures", "Failure rate over time", "Carrier comparison", "Spikes", "Messages",
               "Latency", "Catalog", "Weekly review", "Upload")  # fmt: skip


def overview() -> None:
    st.title("Overview")
    for column, (name, value) in zip(
        st.columns(4),
        [("Messages", "10,750"), ("Delivery rate", "90.12%"), ("Failure rate", "4.80%"),
         ("Pending / no report", "5.08%")],
        strict=True,
    ):  # fmt: skip
        column.metric(name, value, delta="+1.00 pp")
    st.segmented_control("Time grain", ["hour", "day", "week"], default="day")
    days = [f"2026-11-{d:02d}" for d in range(1, 22)]
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Outcomes over time")
        outcomes = go.Figure()
        for outcome in ("delivered", "failed", "pending"):
            outcomes.add_bar(x=days, y=[200 + i for i in range(len(days))], name=outcome)
        outcomes.update_layout(barmode="stack", height=360)
        st.plotly_chart(outcomes, width="stretch", on_select="rerun", selection_mode="points")
    with right:
        st.subheader("Failures by category")
        categories = ["carrier_filtered", "invalid_number", "blocked", "expired"]
        st.plotly_chart(
            go.Figure(go.Bar(x=[0.02, 0.01, 0.005, 0.002], y=categories, orientation="h")),
            width="stretch",
            on_select="rerun",
            selection_mode="points",
        )
        st.dataframe(pl.DataFrame({"category": categories, "failed": [40, 20, 10, 4]}))
    st.subheader("What changed")
    st.dataframe(pl.DataFrame({"code": [str(c) for c in range(4000, 4025)], "change": [0.1] * 25}))


def other() -> None:
    st.title("Another page")


st.set_page_config(page_title="Deliverability", layout="wide")
pages = [st.Page(overview, title="Overview", default=True)]
pages += [st.Page(other, title=t, url_path=t.lower().replace(" ", "_")) for t in OTHER_PAGES]
page = st.navigation(pages)
with st.sidebar:
    st.header("Filters")
    st.date_input("Date range (UTC, by send time)", value=(date(2026, 10, 5), date(2026, 11, 22)))
    for dim in ("provider", "channel", "carrier", "country", "campaign"):
        st.multiselect(dim.capitalize(), ["a", "b", "c"], placeholder=f"All {dim}s")
    st.toggle("Reveal phone numbers", value=False)
page.run()
