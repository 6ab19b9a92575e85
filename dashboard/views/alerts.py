"""Alerts: the rules `deliverability alert` ran and every alert it sent, from the store's
alert ledger. Destinations show as their kind and host (a webhook URL is a secret); a
picked spike opens on the Spikes page."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from deliverability.dashboard import data, ui

# The ledger's times are UTC, and say so.
UTC_NAMES = {
    name: f"{name} (UTC)"
    for name in ("sent_at", "period_start", "checked_until", "last_run_at", "retry_from")
}
SENT_COLUMNS = (
    "sent_at",
    "title",
    "period_start",
    "grain",
    "count",
    "messages",
    "rate",
    "baseline_rate",
    "ratio",
    "q_value",
    "destination",
    "rule",
    "is_update",
    "in_digest",
)

st.title("Alerts")

if ui.require_data():
    st.caption(
        "`deliverability alert` (or `watch`) tests for spikes as the Spikes page does and "
        "sends each new one once to every destination of its rule; a spike that grows "
        "markedly goes again as an update. Rules and deliveries are as it recorded them; "
        "the sidebar's filters do not apply here. Times are UTC."
    )
    st.subheader("Rules")
    rules = data.alert_rules()
    if rules.is_empty():
        st.info(
            "No alert rule has run on this store yet. Run `deliverability alert --config "
            "alerts.toml` (or `--webhook URL`), for example every 15 minutes from cron: see "
            "the README's `deliverability alert` section."
        )
    else:
        ui.table(
            rules.drop("checked_ingest_at").rename(UTC_NAMES, strict=False), key="alerts_rules"
        )

    st.subheader("Alerts sent")
    sent = data.sent_alerts()
    if sent.is_empty():
        st.info("No alert has been sent yet.")
        st.stop()
    listing = sent.select(SENT_COLUMNS).rename(UTC_NAMES, strict=False)
    event = ui.table(
        listing, key="alerts_sent", select=True, percent=("rate", "baseline_rate"), height=420
    )
    st.caption(f"{sent.height:,} deliveries, newest first: one row per alert and destination.")
    picked = ui.selected_row(event, sent)
    if picked is not None and picked["kind"] == "spike":
        day = picked["period_start"].date()
        if st.button("Open this spike on the Spikes page", key="alerts_to_spike", type="primary"):
            st.switch_page(
                "views/spikes.py",
                query_params=ui.link_params(
                    since=day.isoformat(),
                    until=(day + timedelta(days=1)).isoformat(),
                    provider=picked["provider"],
                    channel=picked["channel"],
                    grain=picked["grain"],
                    spike_code=picked["code"],
                    spike_at=picked["period_start"].isoformat(timespec="minutes"),
                    tz="UTC",  # the ledger's times are UTC
                ),
            )
    elif picked is not None and picked["kind"] == "sustained":
        if st.button("Open its week's review", key="alerts_to_review", type="primary"):
            iso = picked["period_start"].isocalendar()
            st.switch_page("views/review.py", query_params={"week": f"{iso.year}-W{iso.week:02d}"})
