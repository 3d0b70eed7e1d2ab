"""Get ready (PAL): the mentee's shared agenda, private prep notes, suggested questions."""

import streamlit as st

from pal_core.models import Phase, Role, Visibility
from pal_core.questions import suggest
from views import runner, ui, widgets

person = ui.me()
pairing, session = ui.open_session(person)
store = ui.store()
st.title("Get ready")
st.caption(f"Session with {ui.plain(pairing.mentee_name)} on {ui.when(session.scheduled_at)}")

if pairing.role_of(person.id) != Role.PAL:
    st.info("This page is for the PAL. You prepare on **Prepare**.")
    st.page_link("views/prepare.py", label="Go to Prepare", icon=":material/edit_note:")
    st.stop()
if ui.share_mode():
    st.warning("Your preparation is private, so it is hidden in screen-share mode.")
    st.stop()

st.subheader(f"{ui.plain(pairing.mentee_name)}'s agenda")
if session.agenda_shared_at:
    st.caption(f"Shared on {ui.when(session.agenda_shared_at)}")
    widgets.agenda_readout(store.agenda(person.id, session.id))
    widgets.rating_fields(person, session, editable=False)
else:
    runner.prep_not_shared(person, pairing, session)

st.subheader("Open action points")
widgets.action_updates(person, pairing, session, editable=False)

notes = ui.notes_by_slot(person, session, Phase.OPENING)
st.subheader("My preparation (private)")
ui.note_field(person, session, notes, Phase.OPENING, "pal:prep", "Notes for myself", visibility=Visibility.PRIVATE)
ui.note_field(person, session, notes, Phase.OPENING, "pal:resources", "Resources to bring", visibility=Visibility.PRIVATE,
              placeholder="Links, docs, people to introduce…")

st.subheader("Suggested questions")
last_seen = store.questions_last_seen(person.id, pairing.id, session.id)
pinned = store.pinned_questions(person.id, pairing.id)
for phase in (Phase.REFLECTION, Phase.DEVELOPMENT, Phase.PLANNING):
    st.markdown(f"**{runner.PHASE_TITLES[phase]}**")
    questions = suggest(ui.bank().in_section(phase.value), n=3, last_seen=last_seen, pinned=pinned, seed=f"{session.id}:0")
    st.markdown("\n".join(f"- {ui.plain(q.text)}" for q in questions))
