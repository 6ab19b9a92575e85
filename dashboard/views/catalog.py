"""Catalog: every code across providers with meaning and advice; uncatalogued codes seen."""

from __future__ import annotations

import streamlit as st

from deliverability.catalog import CATEGORIES, PROVIDERS
from deliverability.dashboard import data, filters, ui
from deliverability.dashboard.safe import md
from deliverability.queries.privacy import scrub_frame

st.title("Code catalog")

left, middle, right = st.columns([3, 2, 2])
text = left.text_input(
    "Search codes", key="catalog_text", placeholder="a code (2000, 30007) or words (spam, expired)"
)
providers = middle.multiselect(
    "Providers",
    list(PROVIDERS),
    key="catalog_providers",
)
category = right.selectbox(
    "Category",
    [None, *CATEGORIES],
    key="catalog_category",
    format_func=lambda value: "All categories" if value is None else value,
)

current = filters.current()
found = data.catalog_search(text=text, providers=providers, category=category, filters=current)
entries = "entry" if found.height == 1 else "entries"
st.caption(
    f"{found.height:,} {entries}. `messages` counts the messages in the sidebar's selection "
    "whose final status is that code."
)
# What a reader looks for first; the variant and its context (other meanings a source gives
# the same code) last.
FIRST = ["provider", "channel", "code", "name", "category", "outcome", "messages", "description",
         "advice"]  # fmt: skip
LAST = ["variant", "context"]
shown = found.select(
    [c for c in FIRST if c in found.columns]
    + [c for c in found.columns if c not in FIRST and c not in LAST]
    + [c for c in LAST if c in found.columns]
)
event = ui.table(shown, key="catalog_table", select=True, height=420)
picked = ui.selected_row(event, shown)
if picked:
    st.subheader(md(f"{picked['provider']} · {picked['channel']} · {picked['code']}"))
    st.text(picked["name"] or "")
    if picked.get("description"):
        st.caption("Description")
        st.text(picked["description"])
    ui.code_advice(picked)
    if picked.get("note"):
        st.caption("Note")
        st.text(picked["note"])
    st.caption(md(f"Outcome {picked['outcome']}, category {picked['category']}; source:"))
    st.text(picked["source"])

st.subheader("Uncatalogued codes in the data")
unknown = data.uncatalogued_codes(current)
if unknown.is_empty():
    st.success("Every code reported for the selected messages is in the catalog.")
else:
    st.caption(
        "These codes are kept and counted with outcome `unknown`. Add them to your own "
        "catalog file (--catalog-extra) to give them a meaning."
    )
    if not filters.reveal_numbers():
        unknown = scrub_frame(unknown, ["example_text"])
    ui.table(unknown, key="catalog_uncatalogued")

st.subheader("Carrier names not in the carrier table")
unlisted = data.unlisted_carriers()
if unlisted.is_empty():
    st.success("Every carrier name in the data maps to a network in the carrier table.")
else:
    st.caption(
        "These names pass through as the providers wrote them, so one network may show "
        "under several of them. Add their spellings to your own carrier file "
        "(DELIVERABILITY_CARRIERS_EXTRA, the columns of catalog/carriers/carriers.csv)."
    )
    ui.table(unlisted, key="catalog_unlisted_carriers")
