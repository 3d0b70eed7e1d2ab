"""Your pairings: invite or join, schedule sessions, open one."""

import datetime as dt

import streamlit as st

from pal_core.models import NewSession, Role, SessionStatus
from views import ui

person = ui.me()
store = ui.store()
st.title("Your pairings")

STATUS_LABEL = {
    SessionStatus.DRAFT: "preparing",
    SessionStatus.AGENDA_SHARED: "agenda shared",
    SessionStatus.IN_PROGRESS: "in progress",
    SessionStatus.COMPLETED: "completed",
}


@ui.signed_in_only
def _invite(role: Role) -> None:
    code = store.create_invite(person.id, role)
    st.session_state["ui:flash"] = f"Invite code {code} created: send it to the other person."


def _join() -> None:
    ui.attempt(lambda: store.accept_invite(person.id, st.session_state["home:code"]), "You are now paired.")


def _pair_with_someone() -> None:
    st.write(
        "One of you creates an invite code and sends it to the other, who enters it here. "
        "The code says who is the mentee and who is the PAL."
    )
    invite_col, join_col = st.columns(2)
    with invite_col:
        role = st.radio(
            "In this pairing I am the…", [Role.MENTEE, Role.PAL], key="home:role",
            format_func=lambda r: "mentee" if r == Role.MENTEE else "PAL (mentor)", horizontal=True,
        )
        st.button("Create invite code", key="home:invite", on_click=_invite, args=(role,))
        for code, inviter_role, expires in store.open_invites(person.id):
            st.markdown(f"`{code}` — you as **{inviter_role.value}**, valid until {ui.when(expires)}")
    with join_col:
        with st.form("home:join_form", clear_on_submit=True):
            st.text_input("Invite code you received", key="home:code", max_chars=40, placeholder="ABCD-1234-EF56")
            st.form_submit_button("Join pairing", on_click=_join)


pair_box = ui.lazy_expander("Pair with someone", "home:pair", expanded=not store.pairings(person.id))
if pair_box.open:
    with pair_box:
        _pair_with_someone()

def _load_sample() -> None:
    from pal_core.sample import load_sample  # on first use: most visits of this page have no button for it

    load_sample(store, person)


pairing = ui.choose_pairing(person)
if pairing is None:
    st.info("You are not paired with anyone yet. Create an invite code above, or enter one you received.")
    st.write("Just looking around? Load a sample pairing with a few past sessions; you can remove it again.")
    st.button("Load sample pairing", key="home:sample", icon=":material/science:",
              on_click=ui.attempt, args=(_load_sample, "Sample pairing loaded."))
    st.stop()

other = pairing.other_name(person.id)
you = pairing.role_of(person.id)
st.subheader(f"With {other}" + (" · sample" if pairing.is_sample else ""))
st.caption(f"You are the {'mentee' if you == Role.MENTEE else 'PAL'} · sessions of {pairing.session_minutes} minutes")
if pairing.is_sample:
    st.warning("This is a **sample pairing** with made-up sessions, for exploring the app.", icon=":material/science:")
    st.button("Remove sample pairing", key="home:remove_sample",
              on_click=ui.attempt, args=(lambda: store.remove_sample(person.id, pairing.id), "Sample pairing removed."))


def _schedule(pairing_id: int) -> None:
    day, time = st.session_state["home:day"], st.session_state["home:time"]
    local = dt.datetime.combine(day, time, tzinfo=ui.local_tz())
    ui.attempt(
        lambda: store.schedule_session(person.id, pairing_id, NewSession.at(local, now=ui.now())),
        "Session scheduled.",
    )


total = store.count_sessions(person.id, pairing.id)
# Open while there is no session yet; later sessions are usually set on Closing. Closed,
# its date and time boxes are not drawn, and the browser of a first visit need not load
# their code before the page is ready.
schedule_box = ui.lazy_expander("Schedule a session", "home:schedule_box", expanded=total == 0)
if schedule_box.open:
    with schedule_box, st.form("home:schedule", border=False):
        left, right = st.columns(2)
        next_week = (ui.now().astimezone(ui.local_tz()) + dt.timedelta(days=7)).date()
        left.date_input("Date", value=next_week, key="home:day", format="YYYY-MM-DD")
        right.time_input("Time", value=dt.time(10, 0), key="home:time", step=dt.timedelta(minutes=15))
        st.form_submit_button("Schedule", type="primary", on_click=_schedule, args=(pairing.id,))

if total == 0:
    st.info(f"No sessions yet. Schedule your first one with {other} above.")
    st.stop()

PAGE_SIZE = 10
pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
paging = ui.memo(f"home:page:{pairing.id}")
page = paging["page"] = min(max(paging.get("page", 1), 1), pages)


def _turn(step: int) -> None:
    paging["page"] = page + step


with st.container(horizontal=True, vertical_alignment="center"):
    if pages == 1:
        st.markdown(f"**Sessions** ({total})")
    else:  # buttons, not a number box: a page of sessions is one click away, and buttons cost the browser less
        first_shown, last_shown = (page - 1) * PAGE_SIZE + 1, min(page * PAGE_SIZE, total)
        st.markdown(f"**Sessions** ({first_shown}–{last_shown} of {total}, newest first)", width="stretch")
        st.button("← Newer", key="home:newer", disabled=page == 1, on_click=_turn, args=(-1,))
        st.button("Older →", key="home:older", disabled=page == pages, on_click=_turn, args=(1,))


def _open(session_id: int, target: str) -> None:
    st.session_state["ctx:session_id"] = session_id
    st.switch_page(target, query_params={"session": str(session_id)})  # from the callback: no run of this page first


for session in store.sessions(person.id, pairing.id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE):
    # A bordered flex row: one block per session instead of four.
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        rating = f" · rated {session.rating}/10" if session.rating else ""
        st.markdown(f"**{ui.when(session.scheduled_at)}** — {STATUS_LABEL[session.status]}{rating}", width="stretch")
        if session.status == SessionStatus.COMPLETED:
            target, label = "views/summary.py", "Summary"
        elif you == Role.MENTEE and session.status == SessionStatus.DRAFT:
            target, label = "views/prepare.py", "Prepare"
        else:
            target, label = "views/reflection.py", "Open"
        st.button(label, key=f"home:open:{session.id}", on_click=_open, args=(session.id, target))
