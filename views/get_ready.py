"""Placeholder until built."""
import streamlit as st

from views import ui

ui.me()
st.title("get_ready")
st.info("Coming soon.")
