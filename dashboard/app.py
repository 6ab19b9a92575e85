"""The deliverability dashboard: `deliverability dashboard` runs this with Streamlit.

This file is the frame around every page: page config, the shared sidebar filters, and
st.navigation over the pages in views/ (one module per page).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from deliverability.dashboard.serve import wait_for_warm_up

# The first run after a start: let the server's warm-up finish the imports below rather
# than race it for them.
wait_for_warm_up()

import duckdb  # noqa: E402

from deliverability.connection import StoreBusy  # noqa: E402
from deliverability.dashboard import filters  # noqa: E402
from deliverability.dashboard.auth import login_pending, require_login  # noqa: E402
from deliverability.dashboard.state import reading  # noqa: E402

# A bundled file, served by this server: a ":material/...:" favicon is fetched from Google.
ICON = Path(__file__).resolve().parent / "static" / "favicon.png"
st.set_page_config(page_title="Deliverability", page_icon=ICON, layout="wide")

PAGES = [
    st.Page("views/overview.py", title="Overview", icon=":material/monitoring:", default=True),
    st.Page("views/failures.py", title="Failures", icon=":material/error:"),
    st.Page("views/trends.py", title="Failure rate over time", icon=":material/show_chart:"),
    st.Page("views/carriers.py", title="Carrier comparison", icon=":material/compare_arrows:"),
    st.Page("views/spikes.py", title="Spikes", icon=":material/trending_up:"),
    st.Page("views/messages.py", title="Messages", icon=":material/list:"),
    st.Page("views/latency.py", title="Latency", icon=":material/timer:"),
    st.Page("views/catalog.py", title="Catalog", icon=":material/menu_book:"),
    st.Page("views/review.py", title="Weekly review", icon=":material/summarize:"),
    st.Page("views/alerts.py", title="Alerts", icon=":material/notifications:"),
    st.Page("views/upload.py", title="Upload", icon=":material/upload:"),
]

page = st.navigation(PAGES, position="hidden" if login_pending() else "sidebar")
require_login()  # before anything reads the store
# The store is held read-only for this run only: the CLI may write it between runs.
try:
    with reading():
        st.session_state["filters"] = filters.sidebar_filters()
        page.run()
except StoreBusy as exc:
    # A large ingest from the CLI holds the store for minutes: say so, in one line.
    st.warning(str(exc), icon=":material/hourglass_top:")
except duckdb.Error as exc:
    st.error(f"cannot read the store: {str(exc).splitlines()[0]}", icon=":material/error:")
