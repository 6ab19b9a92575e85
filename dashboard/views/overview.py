"""Overview: headline tiles vs the previous period, outcomes over time, failures by category."""

from __future__ import annotations

import polars as pl
import streamlit as st

from deliverability.dashboard import charts, data, filters, ui
from deliverability.queries.compare import (
    FAILURE_CATEGORIES,
    comparison_windows,
    previous_period,
)

st.title("Overview")

if ui.require_data():
    current = filters.current()
    previous = previous_period(current)
    head = data.headline(current, previous)
    if head["current"]["messages"] == 0:
        ui.no_match()
        st.stop()

    ui.headline_tiles(head)
    if not data.has_send_log():
        st.info(
            "This store holds delivery reports only (no send log), so messages are dated by "
            "their first report and messages that never got a report cannot be counted."
        )

    grain = ui.grain_picker(current, key="overview_grain")
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Outcomes over time")
        series = data.outcomes_over_time(current, grain=grain)
        event = st.plotly_chart(
            charts.outcomes_over_time(series),
            key="overview_outcomes",
            on_select="rerun",
            selection_mode="points",
            width="stretch",
        )
        points = ui.clicked_points(event)
        if points and points[0].get("customdata"):
            outcome = points[0]["customdata"]
            outcome = outcome[0] if isinstance(outcome, list) else outcome
            # The messages of that bar: its outcome in its bucket, not in the whole range.
            window = ui.bucket_window(points[0]["x"], grain) if points[0].get("x") else {}
            st.switch_page(
                "views/messages.py", query_params=ui.link_params(outcome=outcome, **window)
            )
    with right:
        st.subheader("Failures by category")
        by_category = data.failure_breakdown(current, level="category")
        if by_category.is_empty():
            st.success("No failed messages in this selection.")
        else:
            event = st.plotly_chart(
                charts.bars(by_category, "failure_rate", "category"),
                key="overview_categories",
                on_select="rerun",
                selection_mode="points",
                width="stretch",
            )
            points = ui.clicked_points(event)
            if points:
                st.switch_page(
                    "views/failures.py",
                    query_params=ui.link_params(category=ui.point_key(points[0])),
                )
            ui.table(
                by_category.select("category", "failed", "failure_rate", "share_of_failures"),
                key="overview_category_table",
                percent=("failure_rate", "share_of_failures"),
            )

    st.subheader("What changed")
    then, before = comparison_windows(
        current, head["previous"]["messages"] > 0, data.time_range()["last_at"]
    )
    st.caption(
        f"Failure codes, {ui.span(then)} vs {ui.span(before)}"
        + ("" if then == current else " (the period before the selection has no messages)")
    )
    changes = data.compare_periods(["code"], then, before, min_messages=50)
    changes = changes.filter(pl.col("category").is_in(FAILURE_CATEGORIES).fill_null(False))
    if changes.is_empty():
        st.caption("No failure code to compare in these periods.")
    else:
        worse = changes.filter(pl.col("significant") & (pl.col("direction") == "worse"))
        st.caption(
            f"{worse.height} failure code(s) got significantly worse (two-proportion test); "
            "worst first."
        )
        ui.table(
            changes.head(25).select(
                "provider",
                "channel",
                "code",
                "name",
                "messages_current",
                "rate_current",
                "rate_previous",
                ui.pp("delta_pp").alias("change"),
                ui.p_value("p_value").alias("p_value"),
                "direction",
            ),
            key="overview_changes",
            percent=("rate_current", "rate_previous"),
        )
