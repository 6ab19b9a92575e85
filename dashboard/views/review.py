"""Weekly review: the same review as `deliverability review`, with both files to download and
a form to attach a note to the week, a code, a carrier or a campaign.

The review covers the whole store (the sidebar filters do not apply): it is the shared
weekly artefact. Log values are shown through st.dataframe (text, never markup); anything
from the data in a header or caption goes through safe.md.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from deliverability.dashboard import charts, data, ui
from deliverability.dashboard.safe import md
from deliverability.notes import code_subject
from deliverability.render.review_html import to_html
from deliverability.render.review_markdown import to_markdown
from deliverability.render.review_tables import change_tables


def week_picker() -> str:
    weeks = data.available_weeks()
    options = weeks["week"].to_list()
    labels = {
        r["week"]: f"{r['week']}  ·  {r['messages']:,} messages"
        + ("" if r["complete"] else "  ·  incomplete")
        for r in weeks.iter_rows(named=True)
    }
    default = data.default_week()
    chosen = st.query_params.get("week")
    index = options.index(chosen) if chosen in options else options.index(default)
    week = st.selectbox(
        "Week (ISO, UTC)",
        options,
        index=index,
        format_func=labels.get,
        key="review_week",
        help="The review is the same for everyone who opens it: its weeks run Monday to "
        "Sunday in UTC, whatever the sidebar's time zone.",
    )
    if week != default or "week" in st.query_params:
        st.query_params["week"] = week
    return week


def headline(review) -> None:
    h = review.headline
    cur, prev, base = h["current"], h["previous"], h["baseline"]
    for caption, other, delta in (
        ("vs the previous week", prev, h["vs_previous"]),
        (f"vs the {h['baseline_weeks']}-week baseline (average week)", base, h["vs_baseline"]),
    ):
        st.caption(caption)
        ui.tiles(
            cur,
            delta,
            lambda key, other=other, caption=caption: (
                None if key == "messages" else f"{ui.pct(other[key])} {caption}"
            ),
        )


def changes(review, which: str) -> None:
    """The HTML review's tables (its headers and formats), one tab per dimension."""
    tables = change_tables(review, which)
    tabs = st.tabs([table.caption for table in tables])
    for tab, table in zip(tabs, tables, strict=True):
        with tab:
            if not table.rows:
                st.caption(table.empty)
            else:
                heads = [header or " " for header, _ in table.columns]
                frame = pl.DataFrame(table.rows, schema=heads, orient="row")
                ui.table(frame, key=f"review_{which}_{table.caption}")


def note_form(review) -> None:
    st.subheader("Add a note")
    scope = st.segmented_control(
        "About", ["week", "code", "carrier", "campaign"], default="week", key="review_note_scope"
    ) or "week"  # fmt: skip
    options = data.filter_options()
    with st.form("review_note", clear_on_submit=True):
        provider = channel = None
        if scope == "week":
            subject = review.week
            st.caption(f"A note on week {md(review.week)}, shown in its review.")
        elif scope == "code":
            left, middle, right = st.columns(3)
            code = left.text_input("Code")
            provider = middle.selectbox("Provider", ["any", *options["provider"]])
            channel = right.selectbox("Channel", ["any", *options["channel"]])
            subject = code
        else:
            subject = st.selectbox(scope.capitalize(), options[scope], accept_new_options=True)
        body = st.text_area("Note", max_chars=10_000)
        author = st.text_input("Your name (optional)")
        from_week = scope != "week" and st.checkbox(
            f"Only in reviews from {md(review.week)} on", value=False
        )
        if st.form_submit_button("Add note", type="primary"):
            try:
                if scope == "code":
                    subject = code_subject(
                        subject, None if provider == "any" else provider,
                        None if channel == "any" else channel,
                    )  # fmt: skip
                week = review.week if scope == "week" or from_week else None
                data.add_note(scope, subject or "", body, author or None, week)
            except ValueError as exc:
                st.error(md(exc))
            else:
                st.toast("Note added: it shows in every review that covers it.")
                st.rerun()


st.title("Weekly review")

if ui.require_data():
    week = week_picker()
    review = data.weekly_review(week)
    st.caption(
        f"{md(review.title)}. The review covers the whole store: the sidebar filters do not "
        "apply. Changes are tested against the previous week and the 4-week baseline "
        "(two-proportion tests, false discovery rate 5% over both)."
    )
    if not review.complete:
        st.warning(f"This week is not complete: the data ends at {md(review.data_until)}.")
    left, right, _ = st.columns([1, 1, 3])
    left.download_button(
        "Download HTML", to_html(review), file_name=f"deliverability-review-{week}.html",
        mime="text/html", on_click="ignore", key="review_download_html",
    )  # fmt: skip
    right.download_button(
        "Download Markdown", to_markdown(review), file_name=f"deliverability-review-{week}.md",
        mime="text/markdown", on_click="ignore", key="review_download_md",
    )  # fmt: skip

    st.header("How did we do")
    headline(review)
    chart_left, chart_right = st.columns(2)
    with chart_left:
        st.subheader("Outcomes per day")
        st.plotly_chart(charts.outcomes_over_time(review.daily), key="review_outcomes",
                        width="stretch")  # fmt: skip
    with chart_right:
        st.subheader("Failure rate per day")
        if not review.daily.is_empty():
            st.plotly_chart(charts.daily_failure_rate(review.daily_rates), key="review_failure_rate",
                            width="stretch")  # fmt: skip

    st.header("What got worse")
    st.caption(
        "Failure rate vs the previous week and the "
        f"{review.headline['baseline_weeks']}-week baseline, most significant first (q-values: "
        "the false discovery rate over both comparisons). Rows with fewer than "
        f"{review.settings['min_messages']} messages in both weeks are left out."
    )
    changes(review, "worse")
    st.header("What got better")
    changes(review, "better")

    st.header("What spiked")
    if review.spikes.is_empty():
        st.caption("No code spiked this week.")
    else:
        ui.table(review.spikes, key="review_spikes", percent=("rate", "baseline_rate"))
        st.caption("Top contributors of each spike (spike = the row number above).")
        ui.table(review.spike_contributors, key="review_spike_contributors")

    st.header("What is new")
    st.subheader("Codes new this week")
    st.caption("Reported this week, never in the 4 weeks before (same provider and channel).")
    ui.table(review.new_codes, key="review_new_codes")
    st.subheader("Uncatalogued codes")
    ui.table(review.uncatalogued, key="review_uncatalogued")

    st.header("Can we trust the data")
    week_ingests, overall = review.ingests["this_week"], review.ingests["overall"]
    tiles = st.columns(3)
    tiles[0].metric("Files with data for this week", f"{week_ingests['files']:,}")
    tiles[1].metric("Rows rejected in those files", f"{week_ingests['rejected']:,}")
    tiles[2].metric("Rows rejected overall", f"{overall['rejected']:,}")
    st.subheader("Messages with no delivery report")
    ui.table(review.report_coverage, key="review_coverage", percent=("no_report_share",))
    if not review.rejections.is_empty():
        st.subheader("Rejected rows by reason")
        ui.table(review.rejections, key="review_rejections")
    st.subheader("Ingest gaps")
    if review.gaps.is_empty():
        st.caption("No gaps: every day of the week has data.")
    else:
        ui.table(review.gaps, key="review_gaps")

    st.header("Notes")
    if review.notes.is_empty():
        st.caption("No notes cover this week yet.")
    else:
        ui.table(review.notes, key="review_notes")
    note_form(review)
