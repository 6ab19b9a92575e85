"""Overview: headline tiles vs the previous period, outcomes over time, failures by category."""

from __future__ import annotations

import streamlit as st

from deliverability.dashboard import charts, data, filters, ui
from deliverability.queries.compare import previous_period

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
            st.switch_page("views/messages.py", query_params=ui.link_params(outcome=outcome))
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

    st.subheader("What changed vs the previous period")
    changes = data.compare_periods(["code"], current, previous, min_messages=50)
    if changes.is_empty():
        st.caption("Nothing to compare: the previous period has no messages.")
    else:
        worse = changes.filter(changes["significant"] & (changes["direction"] == "worse"))
        st.caption(
            f"{worse.height} code(s) got significantly worse (two-proportion test); "
            "the table is sorted worst first."
        )
        ui.table(
            changes.select(
                "provider",
                "channel",
                "code",
                "name",
                "messages_current",
                "rate_current",
                "rate_previous",
                "delta_pp",
                "p_value",
                "direction",
            ).head(25),
            key="overview_changes",
            percent=("rate_current", "rate_previous"),
        )
