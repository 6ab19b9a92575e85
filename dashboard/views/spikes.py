"""Spikes: codes whose rate jumped above their own baseline, and who is behind each jump."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import streamlit as st

from deliverability.dashboard import charts, data, filters, ui
from deliverability.dashboard.safe import md
from deliverability.queries.privacy import scrub_contributors
from deliverability.queries.spikes import SpikeSettings
from deliverability.queries.zones import to_utc


def linked_spike(listing: pl.DataFrame) -> dict | None:
    """The spike an alert's link names (spike_code, spike_at), when this selection has it."""
    code, at = st.query_params.get("spike_code"), st.query_params.get("spike_at")
    try:
        moment = datetime.fromisoformat(at) if code and at else None
    except ValueError:
        return None
    if moment is None:
        return None
    rows = listing.filter((pl.col("code") == code) & (pl.col("period_start") == moment))
    if rows.height:
        return rows.row(0, named=True)
    provider = st.query_params.get("provider")
    if not provider:
        return None
    # The test's false discovery rate is controlled over the buckets of the selection: a
    # borderline spike an alert found over all the data may not be one in a single day.
    st.caption(
        "The alert's spike is not among this selection's spikes (the false discovery rate "
        "is controlled over the buckets tested, here this selection's): its series is shown."
    )
    return {
        "provider": provider,
        "channel": st.query_params.get("channel") or None,
        "code": code,
        "period_start": moment,
    }


st.title("Spikes")

if ui.require_data():
    current = filters.current()
    defaults = SpikeSettings()
    left, middle, right = st.columns(3)
    # An alert's link names its grain and its spike (?grain=hour&spike_code=…&spike_at=…).
    if st.query_params.get("grain") in ("hour", "day") and "spikes_grain" not in st.session_state:
        st.session_state["spikes_grain"] = st.query_params["grain"]
    # Day by default: the page is for looking back over the window (and a day-grain test of
    # weeks of data is a fraction of the hour grain's cost); hour for "is it spiking now".
    grain = (
        left.segmented_control("Grain", ["hour", "day"], default="day", key="spikes_grain") or "day"
    )
    min_count = middle.number_input(
        "Minimum count",
        min_value=1,
        value=defaults.min_count,
        key="spikes_min_count",
        help="A bucket needs at least this many messages ending on the code to alert.",
    )
    min_ratio = right.number_input(
        "Minimum ratio to baseline",
        min_value=1.0,
        value=float(defaults.min_ratio),
        step=0.5,
        key="spikes_min_ratio",
    )
    settings = SpikeSettings(grain=grain, min_count=int(min_count), min_ratio=float(min_ratio))
    found = data.find_spikes(current, settings)
    st.caption(
        f"Each bucket's count of a code is tested against the previous "
        f"{settings.baseline_days} days of the same provider and channel, with messages as "
        "exposure; the false discovery rate is controlled across every bucket tested."
    )
    if found.is_empty():
        st.success("No spikes in this selection.")
        st.stop()

    listing = found.drop("top_contributors")
    event = ui.table(
        listing, key="spikes_table", select=True, percent=("rate", "baseline_rate"), height=320
    )
    picked = ui.selected_row(event, listing) or linked_spike(listing)
    if picked is None:
        picked = listing.row(0, named=True)
        st.caption("Showing the most significant spike; select a row to see another.")

    title = f"{picked['provider']} · {picked['channel'] or '(no channel)'} · {picked['code']}"
    st.subheader(md(title))
    if picked.get("name"):
        st.text(picked["name"])
    # The chart spans the days around the spike, not the whole window: hourly points over
    # weeks would hide it.
    around = timedelta(days=3) if settings.grain == "hour" else timedelta(days=28)
    start = to_utc(picked["period_start"] - around, current.zone)
    end = to_utc(picked["period_start"] + around / 3, current.zone)
    window = current.with_(
        since=max(start, current.since) if current.since else start,
        until=min(end, current.until) if current.until else end,
    )
    series = data.code_series(
        window, picked["provider"], picked["channel"], picked["code"], settings
    )
    st.plotly_chart(charts.code_series(series), key="spikes_series", width="stretch")

    contributors = found.filter(
        pl.col("provider").eq_missing(picked["provider"])
        & pl.col("channel").eq_missing(picked["channel"])
        & pl.col("code").eq_missing(picked["code"])
        & pl.col("period_start").eq_missing(picked["period_start"])
    )["top_contributors"]
    st.subheader("Top contributors to the excess")
    if contributors.is_empty() or contributors[0] is None or len(contributors[0]) == 0:
        st.caption("No single carrier, country, campaign or sender stands out.")
    else:
        table = pl.DataFrame(contributors[0].to_list())
        if not filters.reveal_numbers():
            table = scrub_contributors(table)  # sender values are often phone numbers
        ui.table(table, key="spikes_contributors")
    if st.button("Show these messages", key="spikes_to_messages", type="primary"):
        st.switch_page(
            "views/messages.py",
            query_params=ui.link_params(
                code=picked["code"],
                provider=picked["provider"],
                since=picked["period_start"].date().isoformat(),
                until=(picked["period_start"].date() + timedelta(days=1)).isoformat(),
            ),
        )
