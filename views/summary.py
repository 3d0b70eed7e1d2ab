"""Placeholder until built."""
import streamlit as st

from views import ui

ui.me()
st.title("summary")
st.info("Coming soon.")
