"""The Streamlit dashboard (placeholder until the dashboard pages land)."""

import streamlit as st

st.set_page_config(page_title="Deliverability", layout="wide")
st.title("Deliverability")
st.text("The dashboard pages are being built; the store is ready for the CLI.")
