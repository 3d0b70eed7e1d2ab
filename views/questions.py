"""The question bank: browse by section, pin favourites, see your pair's own questions."""

import streamlit as st

from pal_core.questions import SECTIONS
from views import ui

person = ui.me()
store = ui.store()
st.title("Question bank")
bank = ui.bank()
if bank.errors:
    with st.expander(f"{len(bank.errors)} problem(s) in the question bank files — the rest loaded", expanded=True):
        for error in bank.errors:
            st.warning(str(error))

pairing = ui.choose_pairing(person)
pinned = set(store.pinned_questions(person.id, pairing.id)) if pairing else set()
custom = store.custom_questions(person.id, pairing.id) if pairing else []
query = st.text_input("Search", key="questions:search", placeholder="e.g. blockers, KPI, code review").strip().lower()


def _pin(question_id: str, pin: bool) -> None:
    ui.attempt(lambda: store.set_pinned(person.id, pairing.id, question_id, pin))


for tab, section in zip(st.tabs([s.capitalize() for s in SECTIONS]), SECTIONS):
    with tab:
        for question in bank.in_section(section):
            if query and query not in question.text.lower() and not any(query in t for t in question.tags):
                continue
            text_col, pin_col = st.columns([8, 1])
            tags = " · ".join(question.tags)
            text_col.markdown(f"{ui.plain(question.text)}  \n:gray[{tags}]")
            if pairing:
                is_pinned = question.id in pinned
                pin_col.button("Unpin" if is_pinned else "Pin", key=f"questions:pin:{question.id}",
                               on_click=_pin, args=(question.id, not is_pinned))
        own = [text for _, sec, text in custom if sec == section]
        if own:
            st.markdown("**Your pair's own questions**")
            st.markdown("\n".join(f"- {ui.plain(text)}" for text in own))
st.caption(f"{len(bank.questions)} questions. Add your own during a session, under *Add your own question*.")
