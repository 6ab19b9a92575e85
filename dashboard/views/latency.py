"""Latency: how long from send to final report, by provider, carrier or country and over
time (the 50th, 90th and 99th percentile, over messages with a send time and a final
report; queries/report.py)."""

from __future__ import annotations

import streamlit as st

from deliverability.dashboard import charts, data, filters, ui

st.title("Delivery latency")

if ui.require_data():
    current = filters.current()
    by = st.segmented_control(
        "By", ["provider", "carrier", "country"], default="provider", key="latency_by"
    ) or "provider"  # fmt: skip
    table = data.report([by], current).filter(data.has_latency())
    if table.is_empty():
        st.info(
            "No message in this selection has both a send time and a final report, so there "
            "is no latency to show (a store of delivery reports alone has no send times)."
        )
        st.stop()
    st.caption(
        "Seconds from send to final report (delivered, failed or unconfirmed), over the "
        "messages that have both."
    )
    ui.table(
        table.select(by, "messages", "latency_p50_s", "latency_p90_s", "latency_p99_s").sort(
            "latency_p90_s", descending=True, nulls_last=True
        ),
        key="latency_table",
    )
    grain = ui.grain_picker(current, key="latency_grain")
    st.subheader("Over time")
    series = data.report([grain], current)
    st.plotly_chart(charts.latency_over_time(series, grain), key="latency_chart", width="stretch")
