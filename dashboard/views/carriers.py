"""Carrier comparison, for routing decisions: per country, each provider × carrier's
delivery and failure rates with their 95% intervals and volume, most significantly
different from the rest of the country first, with its top failure codes."""

from __future__ import annotations

import polars as pl
import streamlit as st

from deliverability.dashboard import data, filters, ui

st.title("Carrier comparison")

if ui.require_data():
    current = filters.current()
    table = data.carrier_comparison(current)
    if table.is_empty():
        ui.no_match()
        st.stop()
    countries = table["country"].drop_nulls().unique().sort().to_list()
    country = st.selectbox(
        "Country",
        [None, *countries],
        format_func=lambda value: "Every country" if value is None else value,
        key="carriers_country",
    )
    if country is not None:
        table = table.filter(pl.col("country") == country)
    st.caption(
        "Each provider and carrier against the rest of its country (two-proportion test on "
        "the failure rate): lowest p-value first within each country. Intervals are 95% "
        "(Wilson); a row with few messages has a wide one."
    )

    def interval(name: str) -> pl.Expr:
        low, high = (pl.col(f"{name}_{end}") * 100 for end in ("low", "high"))
        return pl.format("{}–{}%", low.round(1), high.round(1)).alias(f"{name} 95%")

    ui.table(
        table.select(
            "country", "provider", "carrier", "messages", "failed", "failure_rate",
            interval("failure_rate"),
            pl.col("country_failure_rate").alias("rest of country"),
            "delivery_rate", interval("delivery_rate"),
            ui.p_value("p_value").alias("p_value"), "top_codes",
        ),
        key="carriers_table",
        percent=("failure_rate", "rest of country", "delivery_rate"),
    )  # fmt: skip
