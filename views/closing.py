"""Closing: actions read back, specific feedback both ways, next session, complete."""

import datetime as dt

import streamlit as st

from pal_core import summary
from pal_core.models import Phase, Role, SessionStatus
from pal_core.questions import suggest
from pal_core.store import StoreError
from views import runner, ui, widgets

person = ui.me()
pairing, session = ui.open_session(person)
store = ui.store()
runner.header(person, pairing, session, Phase.CLOSING)
notes = ui.notes_by_slot(person, session)
my_role = pairing.role_of(person.id)

st.subheader("Agreed actions")
actions = store.session_actions(person.id, session.id)
if not actions:
    st.caption("No actions agreed yet — add them in Planning.")
else:
    with st.container(border=True):
        for action in actions:
            widgets.action_row(person, pairing, session, action, editable=False)

st.subheader("Feedback on this session")
st.caption("Specific questions get useful answers. Each of you answers the questions in your column.")
feedback = ui.bank().in_section("feedback")
columns = st.columns(2)
for column, role, title, wanted in (
    (columns[0], Role.MENTEE, f"{pairing.mentee_name} → {pairing.pal_name}", False),
    (columns[1], Role.PAL, f"{pairing.pal_name} → {pairing.mentee_name}", True),
):
    pool = [q for q in feedback if ("to-mentee" in q.tags) == wanted]
    with column:
        st.markdown(f"**{ui.plain(title)}**")
        for question in suggest(pool, n=2, seed=f"feedback:{session.id}"):
            slot = f"feedback:{role.value}:{question.id}"
            if role == my_role:
                ui.note_field(person, session, notes, Phase.CLOSING, slot, question.text, height=80)
            else:
                answer = notes.get((Phase.CLOSING.value, slot, "shared"))
                st.markdown(f"*{ui.plain(question.text)}*  \n{ui.plain(answer.body) if answer and answer.body else '—'}")

runner.questions_panel(person, pairing, session, Phase.CLOSING, notes, n=2)
runner.private_notes(person, session, notes, Phase.CLOSING)

st.subheader("Next session")
default_next = (session.next_session_at or session.scheduled_at + dt.timedelta(days=pairing.cadence_days)).astimezone(ui.local_tz())
day_col, time_col = st.columns(2)
day_col.date_input("Date", value=default_next.date(), key=f"closing:{session.id}:day", format="YYYY-MM-DD")
time_col.time_input("Time", value=default_next.time().replace(second=0, microsecond=0), key=f"closing:{session.id}:time",
                    step=dt.timedelta(minutes=15))


if session.status == SessionStatus.COMPLETED:
    st.success("This session is completed.")
    st.page_link("views/summary.py", label="Read the summary", icon=":material/summarize:",
                 query_params={"session": str(session.id)})
    st.stop()
if not ui.share_mode() and ui.assistant().enabled:
    ui.what_will_be_sent(f"closing:{session.id}:sent", "draft_summary", summary.gather(store, person.id, session.id))
if st.button("Complete session and draft the summary", type="primary", key="closing:complete", icon=":material/task_alt:"):
    day, time = st.session_state[f"closing:{session.id}:day"], st.session_state[f"closing:{session.id}:time"]
    next_at = dt.datetime.combine(day, time, tzinfo=ui.local_tz())
    with st.spinner("Completing the session and drafting its summary…"):
        try:
            drafted = summary.complete_session(store, ui.assistant(), person.id, session.id, next_at)
        except (StoreError, ValueError) as error:
            ui.show_error(error)
            st.stop()
    # The Summary page shows where the draft came from, and why if the AI fell back.
    ui.memo(ui.summary_key(session.id))["notice"] = (drafted.source, drafted.notice)
    st.switch_page("views/summary.py", query_params=ui.session_params(session.id))
