"""Placeholder until built."""
import streamlit as st

from views import ui

ui.me()
st.title("reflection")
st.info("Coming soon.")
