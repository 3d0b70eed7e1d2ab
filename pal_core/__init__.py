"""PAL Sessions core logic (no Streamlit imports)."""
