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
category = right.selectbox("Category", [None, *CATEGORIES], key="catalog_category")

current = filters.current()
found = data.catalog_search(text=text, providers=providers, category=category, filters=current)
st.caption(
    f"{found.height:,} entries. `messages` counts the messages in the sidebar's selection "
    "whose final status is that code."
)
event = ui.table(found, key="catalog_table", select=True, height=420)
picked = ui.selected_row(event, found)
if picked:
    st.subheader(md(f"{picked['provider']} · {picked['channel']} · {picked['code']}"))
    st.text(picked["name"] or "")
    for label in ("description", "advice", "note"):
        if picked.get(label):
            st.caption(label.capitalize())
            st.text(picked[label])
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
