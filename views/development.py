"""Development: skills, where the mentee is stuck, resources and strategies."""

import streamlit as st

from pal_core.links import safe_links
from pal_core.models import AgendaKind, Phase
from views import runner, ui

person = ui.me()
pairing, session = ui.open_session(person)
runner.header(person, pairing, session, Phase.DEVELOPMENT)
notes = ui.notes_by_slot(person, session)

if runner.prep_visible(person, pairing, session):
    wanted = [i.text for i in ui.store().agenda(person.id, session.id) if i.kind == AgendaKind.HELP]
    if wanted:
        st.markdown("**The mentee wants help with**")
        st.markdown("\n".join(f"- {ui.plain(text)}" for text in wanted))

left, right = st.columns(2)
with left:
    ui.note_field(person, session, notes, Phase.DEVELOPMENT, "development:skills", "Skills to improve right now")
with right:
    ui.note_field(person, session, notes, Phase.DEVELOPMENT, "development:stuck", "Where the mentee feels stuck")
ui.note_field(
    person, session, notes, Phase.DEVELOPMENT, "development:resources", "Resources and strategies",
    placeholder="Books, talks, people to ask, approaches to try — links welcome (https://…)", page_shows_it=True,
)
resources = notes.get((Phase.DEVELOPMENT.value, "development:resources", "shared"))
if resources and (links := safe_links(resources.body)):
    st.markdown("**Links**  \n" + "  \n".join(f"[{ui.plain(label)}]({url})" for label, url in links))

runner.questions_panel(person, pairing, session, Phase.DEVELOPMENT, notes)
runner.private_notes(person, session, notes, Phase.DEVELOPMENT)
