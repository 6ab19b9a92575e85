"""Messages: the individual messages behind any selection, each with its event history."""

from __future__ import annotations

import streamlit as st

from deliverability.dashboard import data, filters, ui
from deliverability.dashboard.safe import md
from deliverability.queries.privacy import scrub_frame, scrub_phones

st.title("Messages")

if ui.require_data():
    drill = filters.drill()
    selection = filters.with_drill(filters.current())
    reveal = filters.reveal_numbers()
    narrowed = [
        f"{name} {md(drill[key])}"
        for name, key in (
            ("code", "code"),
            ("category", "category"),
            ("outcome", "outcome"),
            ("provider", "code_provider"),
        )
        if drill[key]
    ]
    if narrowed:
        left, right = st.columns([4, 1])
        left.caption("Narrowed to " + ", ".join(narrowed) + " (on top of the sidebar filters)")
        if right.button("Clear", key="messages_clear_drill"):
            filters.set_drill(code=None, category=None, outcome=None, code_provider=None)
            st.rerun()

    frame = data.messages_in_selection(selection, outcome=drill["outcome"], reveal=reveal)
    # Ids stay whole in FRAME: a picked row's events are looked up by its real message_id.
    # What is shown and downloaded is masked: an id may embed the recipient (Sinch's
    # batch_id:recipient), a status text or campaign may quote a number.
    visible = frame if reveal else scrub_frame(frame)
    if frame.is_empty():
        ui.no_match()
        st.stop()
    total = data.count_in_selection(selection, outcome=drill["outcome"])
    shown = (
        f"the newest {frame.height:,} of {total:,}" if total > frame.height else f"all {total:,}"
    )
    st.caption(
        f"Showing {shown} matching messages, newest first. "
        + ("Phone numbers are revealed." if reveal else "Phone numbers are masked.")
    )
    event = ui.table(visible, key="messages_table", select=True, height=420)
    # Every matching message, not only those shown: built when clicked (a large selection
    # is not held in memory on every run), masked as the table is.
    outcome = drill["outcome"]
    st.download_button(
        f"Download all {total:,} as CSV",
        data=lambda: data.all_messages_csv(selection, outcome, reveal),
        file_name="messages.csv",
        mime="text/csv",
        key="messages_download",
        on_click="ignore",
    )

    picked = ui.selected_row(event, frame)
    if picked is None:
        st.caption("Select a message to see every report it got.")
    else:
        st.subheader(f"Events of {md(picked['provider'])} message")
        st.text(picked["message_id"] if reveal else scrub_phones(picked["message_id"]))
        history = data.message_events(
            picked["provider"],
            picked["message_id"],
            picked["message_at"],
            picked["event_count"],
            zone=selection.zone,
        )
        if not reveal:
            history = scrub_frame(history)
        if history.is_empty():
            st.info("No delivery report was received for this message.")
        else:
            ui.table(history, key="messages_events")
        entry = data.code_entry(picked["provider"], picked["channel"], picked["code"])
        if entry and entry["outcome"] == "failed":
            st.subheader(f"What to do about {md(picked['code'])}")
            ui.code_advice(entry)
