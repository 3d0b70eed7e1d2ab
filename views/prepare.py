"""Prepare (mentee): agenda, how am I doing, action updates, goals; share with the PAL."""

import streamlit as st

from pal_core import headsup
from pal_core.models import AgendaKind, Role
from views import ui, widgets

person = ui.me()
pairing, session = ui.open_session(person)
store = ui.store()
st.title("Prepare")
st.caption(f"Your session with {ui.plain(pairing.pal_name)} on {ui.when(session.scheduled_at)}")

if pairing.role_of(person.id) != Role.MENTEE:
    st.info(
        f"{ui.plain(pairing.mentee_name)} prepares this session. What they share appears on "
        "**Get ready (PAL)**."
    )
    st.page_link("views/get_ready.py", label="Go to Get ready", icon=":material/fact_check:")
    st.stop()

timing = headsup.timing(session, ui.now())
if session.agenda_shared_at:
    st.success(f"Shared with {ui.plain(pairing.pal_name)} on {ui.when(session.agenda_shared_at)}. {timing.message}")
else:
    (st.warning if timing.late else st.info)(
        "Everything here is private until you share it. " + timing.message, icon=":material/lock:"
    )

AGENDA_SECTIONS = (
    (AgendaKind.POINT, "Discussion points", "What do you want to talk about?"),
    (AgendaKind.HELP, "What I want help with", "Where would your PAL's view help most?"),
    (AgendaKind.QUESTION, "Questions for my PAL", "Anything you want to ask?"),
)
items = store.agenda(person.id, session.id)
for kind, heading, hint in AGENDA_SECTIONS:
    st.subheader(heading)
    widgets.agenda_list(person, session, [i for i in items if i.kind == kind], kind, hint)

st.subheader("How am I doing?")
widgets.rating_fields(person, session)

st.subheader("Last session's action points")
widgets.action_updates(person, pairing, session, editable=True)

st.subheader("My KPIs and focus areas")
widgets.kpi_list(person, pairing)

st.subheader("Draft goals")
widgets.goal_list(person, pairing, session, prep=True)

st.divider()
if not session.agenda_shared_at:
    st.button(
        "Share agenda with PAL", type="primary", key="prepare:share", icon=":material/send:",
        on_click=ui.attempt,
        args=(lambda: store.share_agenda(person.id, session.id), "Agenda shared with your PAL."),
    )
st.subheader("Heads-up message")
st.caption(f"Copy this into Slack or e-mail to {ui.plain(pairing.pal_name)} (the copy icon is top right).")
st.code(
    headsup.message(pairing, session, store.agenda(person.id, session.id), ui.local_tz()),
    language=None, wrap_lines=True,
)
