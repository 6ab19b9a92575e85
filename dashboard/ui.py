"""Small pieces every page uses: notices for empty states, tables, downloads, number formats."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import data
from deliverability.output import to_csv


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.2f}%"


def require_data() -> bool:
    """False (after saying why) when there is nothing to show yet."""
    if data.is_empty():
        st.info(
            "The store is empty. Upload send logs or delivery reports on the Upload page, "
            "or run `deliverability ingest FILE...`."
        )
        return False
    return True


def no_match() -> None:
    st.info("No messages match these filters. Widen the date range or clear a filter.")


def table(frame: pl.DataFrame, key: str, select: bool = False, height: int | str = "auto"):
    """A dataframe; with select=True a single-row selection event is returned."""
    if select:
        return st.dataframe(
            frame,
            key=key,
            hide_index=True,
            on_select="rerun",
            selection_mode="single-row",
            height=height,
        )
    st.dataframe(frame, key=key, hide_index=True, height=height)
    return None


def selected_row(event, frame: pl.DataFrame) -> dict | None:
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    if not rows or rows[0] >= frame.height:
        return None
    return frame.row(rows[0], named=True)


def clicked_points(event) -> list[dict]:
    return list(getattr(getattr(event, "selection", None), "points", None) or [])


def download_csv(
    frame: pl.DataFrame, file_name: str, label: str = "Download CSV", key: str | None = None
) -> None:
    """CSV with spreadsheet formulas neutralised (see deliverability.output)."""
    st.download_button(label, to_csv(frame), file_name=file_name, mime="text/csv", key=key)
