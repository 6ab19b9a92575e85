"""Failures: category → code → carrier / country / campaign, and a code × carrier heatmap.

The drill-down lives in the URL (?category=…&code=…&code_provider=…), so a drilled view can
be shared by link; clicking a bar, a row or a heatmap cell moves one level down.
"""

from __future__ import annotations

import streamlit as st

from deliverability.dashboard import charts, data, filters, ui
from deliverability.dashboard.safe import md

st.title("Failures")


def code_details(code: dict) -> None:
    """The catalog's meaning of one code, as plain text (it is data, not markup)."""
    st.subheader(
        md(f"{code['provider']} · {code['channel'] or '(no channel)'} · code {code['code']}")
    )
    st.text(code.get("name") or "(not in the catalog: uncatalogued code)")
    if code.get("description"):
        st.caption("Meaning")
        st.text(code["description"])
    ui.code_advice(code)


def by_dimension(current, parent: dict, key: str) -> None:
    """The code's failures by carrier, country and campaign; a row opens its messages."""
    tabs = st.tabs(["Carrier", "Country", "Campaign"])
    for tab, level in zip(tabs, ("carrier", "country", "campaign"), strict=True):
        with tab:
            st.caption(f"Select a row to see the failed messages of that {level}.")
            frame = data.failure_breakdown(current, level=level, parent=parent)
            event = ui.table(
                frame,
                key=f"{key}_{level}",
                select=True,
                percent=("failure_rate", "share_of_failures"),
            )
            picked = ui.selected_row(event, frame)
            if picked and picked.get(level):
                st.switch_page(
                    "views/messages.py",
                    query_params=ui.link_params(
                        code=parent["code"],
                        code_provider=parent["provider"],
                        outcome="failed",
                        **{level: picked[level]},
                    ),
                )


if ui.require_data():
    current = filters.current()
    drill = filters.drill()
    categories = data.failure_breakdown(current, level="category")
    if categories.is_empty():
        st.success("No failed messages match these filters.")
        st.stop()

    # Streamlit keeps a chart's or table's selection across reruns under the same key, so a
    # kept selection would put back the drill that Back just cleared, or pick whatever code
    # sits at the old row of another category's list. Keys that change with the drill start
    # their selection empty.
    generation = st.session_state.setdefault("failures_drill_generation", 0)
    crumbs = st.columns([4, 1])
    crumbs[0].caption(
        "All failures"
        + (f" › {md(drill['category'])}" if drill["category"] else "")
        + (f" › code {md(drill['code'])}" if drill["code"] else "")
    )
    if (drill["category"] or drill["code"]) and crumbs[1].button("Back to all failures"):
        filters.set_drill(category=None, code=None, code_provider=None)
        st.session_state["failures_drill_generation"] = generation + 1
        st.rerun()

    top, side = st.columns([3, 2])
    with top:
        st.subheader("Failure rate by category")
        event = st.plotly_chart(
            charts.bars(categories, "failure_rate", "category"),
            key=f"failures_categories_{generation}",
            on_select="rerun",
            selection_mode="points",
            width="stretch",
        )
        points = ui.clicked_points(event)
        if points and ui.point_key(points[0]) != drill["category"]:
            filters.set_drill(category=ui.point_key(points[0]), code=None, code_provider=None)
            st.rerun()
    with side:
        st.subheader("Share of all failures")
        ui.table(
            categories.select("category", "failed", "share_of_failures", "failure_rate"),
            key="failures_category_table",
            percent=("failure_rate", "share_of_failures"),
        )

    parent = {"category": drill["category"]} if drill["category"] else None
    codes = data.failure_breakdown(current, level="code", parent=parent)
    st.subheader(
        f"Codes in {md(drill['category'])}" if drill["category"] else "Codes behind the failures"
    )
    st.caption("Select a row to see its carriers, countries and campaigns.")
    shown = codes.select(
        "provider",
        "channel",
        "code",
        "name",
        "category",
        "failed",
        "failure_rate",
        "share_of_failures",
    )
    event = ui.table(
        shown,
        key=f"failures_codes_{generation}_{drill['category']}",
        select=True,
        percent=("failure_rate", "share_of_failures"),
    )
    picked = ui.selected_row(event, codes)
    if picked and (picked["code"], picked["provider"]) != (drill["code"], drill["code_provider"]):
        filters.set_drill(code=picked["code"], code_provider=picked["provider"])
        st.rerun()

    if drill["code"]:
        matches = codes.filter(codes["code"] == drill["code"])
        if drill["code_provider"]:
            matches = matches.filter(matches["provider"] == drill["code_provider"])
        if matches.is_empty():
            st.info(f"Code {md(drill['code'])} has no failures in this selection.")
        else:
            code = matches.row(0, named=True)
            code_details(code)
            parent = {k: code[k] for k in ("provider", "channel", "code")}
            by_dimension(
                current, parent, key=f"failures_{generation}_{code['provider']}_{code['code']}"
            )
            if st.button("Show these messages", key="failures_to_messages", type="primary"):
                st.switch_page(
                    "views/messages.py",
                    query_params=ui.link_params(
                        code=code["code"], provider=code["provider"], outcome="failed"
                    ),
                )

    st.subheader("Failure rate: code × carrier")
    cells = data.failure_heatmap(current, rows="code", columns="carrier", top=15)
    if cells.is_empty():
        st.caption("No carrier is known for the failed messages.")
    else:
        keys = ["row_provider", "row_code", "column_carrier"]
        event = st.plotly_chart(
            charts.heatmap(cells, keys),
            key="failures_heatmap",
            on_select="rerun",
            selection_mode="points",
            width="stretch",
        )
        points = ui.clicked_points(event)
        if points and points[0].get("customdata"):
            provider, code, carrier = points[0]["customdata"]
            st.switch_page(
                "views/messages.py",
                query_params=ui.link_params(
                    code=code, code_provider=provider, carrier=carrier, outcome="failed"
                ),
            )
