"""Planning: top three priorities, goals, and agreed actions."""

import streamlit as st

from pal_core.models import Phase
from views import runner, ui, widgets

person = ui.me()
pairing, session = ui.open_session(person)
runner.header(person, pairing, session, Phase.PLANNING)
notes = ui.notes_by_slot(person, session)

st.subheader("Top three priorities before the next session")
for rank in (1, 2, 3):
    ui.note_field(person, session, notes, Phase.PLANNING, f"planning:priority-{rank}", f"Priority {rank}", height=68)

st.subheader("Goals")
widgets.goal_list(person, pairing, session, prep=False)

st.subheader("Agreed actions")
if agreed := ui.store().session_actions(person.id, session.id):
    with st.container(border=True):
        for action in agreed:
            widgets.action_row(person, pairing, session, action, editable=True)
plus_one = session.rating_plus_one if runner.prep_visible(person, pairing, session) else ""
if plus_one.strip():
    st.button(
        "Turn the “+1” from Reflection into an action", key="planning:plus_one", icon=":material/add_task:",
        on_click=st.session_state.__setitem__, args=(f"newaction:{session.id}:text", plus_one.strip()[:500]),
        help=plus_one[:300],
    )
widgets.new_action_form(person, pairing, session)

runner.questions_panel(person, pairing, session, Phase.PLANNING, notes)
runner.private_notes(person, session, notes, Phase.PLANNING)
