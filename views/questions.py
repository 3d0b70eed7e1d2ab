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


# One section at a time (a search looks through all of them), its questions as one list
# and its pins as one picker: a handful of elements per rerun. The bank has ~200
# questions, and a row of widgets for each made this the slowest page by far
# (~1,000 elements, ~0.5 s a rerun; see docs/performance.md).
section = st.radio("Section", SECTIONS, format_func=str.capitalize, horizontal=True, key="questions:section")
shown = [q for q in (bank.questions if query else bank.in_section(section))
         if not query or query in q.text.lower() or any(query in t for t in q.tags)]
if not shown:
    st.info("No question matches that search. Try a tag such as *blockers*, *career* or *kpis*.")
else:
    if query:
        st.caption(f"{len(shown)} question{'s' if len(shown) != 1 else ''} in all sections match.")
    st.markdown("\n".join(
        f"- {'📌 ' if q.id in pinned else ''}{ui.plain(q.text)} :gray[· "
        + " · ".join(([q.section] if query else []) + list(q.tags)) + "]"
        for q in shown
    ))


def _save_pins(key: str, ids: list[str]) -> None:
    wanted = set(st.session_state[key])
    current = set(store.pinned_questions(person.id, pairing.id))
    for question_id in ids:
        if (question_id in wanted) != (question_id in current):
            ui.attempt(lambda q=question_id: store.set_pinned(person.id, pairing.id, q, q in wanted))


if pairing and not query:
    ids = [q.id for q in bank.in_section(section)]
    key = f"questions:pins:{pairing.id}:{section}"
    mine = [qid for qid in ids if qid in pinned]
    if ui.memo(key).get("loaded") != mine:  # pinned elsewhere (in a session) since
        st.session_state[key] = ui.memo(key)["loaded"] = mine
    st.multiselect(
        "📌 Pinned — these come back every session", ids, key=key, on_change=_save_pins, args=(key, ids),
        format_func=lambda qid: bank.by_id(qid).text, placeholder="Pick questions to pin",
    )

own = [text for _, sec, text in custom if sec == section and not query]
if own:
    st.markdown("**Your pair's own questions**")
    st.markdown("\n".join(f"- {ui.plain(text)}" for text in own))
st.caption(f"{len(bank.questions)} questions. Add your own during a session, under *Add your own question*.")
