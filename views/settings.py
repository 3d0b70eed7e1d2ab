"""Settings: session length, AI status and what it sends, sample data."""

from urllib.parse import urlsplit

import streamlit as st

from pal_core.config import load_settings
from views import ui

person = ui.me()
store = ui.store()
st.title("Settings")

pairing = ui.choose_pairing(person)
if pairing is not None:
    st.subheader("Session length")
    key = f"settings:minutes:{pairing.id}"

    def save_minutes() -> None:
        store.set_session_minutes(person.id, pairing.id, st.session_state[key])

    if ui.unsaved_after_restart(key, pairing.session_minutes):
        ui.attempt(save_minutes)  # what the browser shows is what is stored
    st.session_state.setdefault(key, pairing.session_minutes)
    st.number_input(
        "Minutes per session", min_value=10, max_value=120, step=5, key=key,
        on_change=ui.attempt, args=(save_minutes, "Session length saved."),
        help="Phase budgets are 5 % opening, 30 % each for reflection, development and planning, 5 % closing.",
    )

st.subheader("AI assistance")
llm = load_settings().llm


def _shown_url(url: str) -> str:
    """The endpoint without user:password@ or a query (either may carry a key)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


if llm.enabled:
    st.success(f"On: model `{llm.model}`" + (f" at `{_shown_url(llm.base_url)}`" if llm.base_url else "") + f", at most {llm.budget_s:.0f} s per request.")
    st.caption("Only shared text is sent — never private notes. The key is read from the environment or secrets and never shown or stored.")
    calls, prompt_tokens, completion_tokens = store.llm_usage_totals()
    st.caption(f"Usage so far: {calls} requests, {prompt_tokens:,} prompt and {completion_tokens:,} completion tokens.")
else:
    st.info(
        "AI is off: SMART checks, rewrites, follow-up questions and summaries come from the built-in engine. "
        "To use a model, set PAL_LLM_BASE_URL, PAL_LLM_MODEL and PAL_LLM_API_KEY (see the README)."
    )
