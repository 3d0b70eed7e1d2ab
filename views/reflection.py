"""Opening and Reflection: how the mentee is doing, last actions, successes, KPIs."""

import streamlit as st

from pal_core.models import Phase, Role
from views import runner, ui, widgets

person = ui.me()
pairing, session = ui.open_session(person)
store = ui.store()
runner.header(person, pairing, session, Phase.REFLECTION)
notes = ui.notes_by_slot(person, session)
is_mentee = pairing.role_of(person.id) == Role.MENTEE
show_prep = runner.prep_visible(person, pairing, session)

opening = ui.lazy_expander("Opening — agenda and check-in", f"reflection:opening:{session.id}",
                           expanded=session.current_phase == Phase.OPENING)
if opening.open:
    with opening:
        if show_prep:
            widgets.agenda_readout(store.agenda(person.id, session.id))
        else:
            runner.prep_not_shared(person, pairing, session)
        ui.note_field(person, session, notes, Phase.OPENING, "opening:checkin", "Check-in: anything to know before we start?",
                      height=70)

st.subheader("How are you doing, 1–10?")
if show_prep:
    widgets.rating_fields(person, session, editable=is_mentee)
else:
    st.caption("The rating is part of the mentee's preparation and shows once it is shared.")

st.subheader("Previous action points")
widgets.action_updates(person, pairing, session, editable=True)

left, right = st.columns(2)
with left:
    ui.note_field(person, session, notes, Phase.REFLECTION, "reflection:successes", "Successes since last time")
with right:
    ui.note_field(person, session, notes, Phase.REFLECTION, "reflection:challenges", "Challenges, and how they were approached")
kpis = ui.kpi_texts(person, pairing)
st.caption("KPIs: " + (" · ".join(ui.plain(k) for k in kpis) if kpis else "none recorded yet (add them on Prepare)."))
ui.note_field(person, session, notes, Phase.REFLECTION, "reflection:kpis", "Check on KPIs: where do they stand?", height=80)

runner.questions_panel(person, pairing, session, Phase.REFLECTION, notes)
runner.private_notes(person, session, notes, Phase.REFLECTION)
