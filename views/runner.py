"""The session runner's shared parts: header with pacing timer, phase navigation,
screen-share toggle, live refresh, and the question panel each phase uses."""

from __future__ import annotations

import streamlit as st

from pal_core import pacing
from pal_core.models import Pairing, Person, Phase, Session, SessionStatus, Visibility
from pal_core.questions import Question, custom_question, suggest
from views import ui, widgets

PHASE_PAGES = {
    Phase.OPENING: "views/reflection.py",
    Phase.REFLECTION: "views/reflection.py",
    Phase.DEVELOPMENT: "views/development.py",
    Phase.PLANNING: "views/planning.py",
    Phase.CLOSING: "views/closing.py",
}
PHASE_TITLES = {
    Phase.OPENING: "Opening",
    Phase.REFLECTION: "Reflection",
    Phase.DEVELOPMENT: "Development",
    Phase.PLANNING: "Planning",
    Phase.CLOSING: "Closing",
}
ORDER = list(Phase)


def _set_timer(person_id: int, session: Session, change) -> None:
    phase, seconds, since = change(session, ui.now())
    ui.attempt(lambda: ui.store().set_phase_timer(person_id, session.id, phase, seconds, since))


@ui.signed_in_only
def _go(person_id: int, session_id: int, phase: Phase) -> None:
    session = ui.store().session(person_id, session_id)
    _set_timer(person_id, session, lambda s, now: pacing.switch(s, phase, now))
    # From the callback (Streamlit 1.67 runs the new page next): a page switch in the
    # script body cost a run of this page up to that line first.
    st.switch_page(PHASE_PAGES[phase], query_params=ui.session_params(session_id))


def _toggle_share_mode() -> None:
    ui.set_share_mode(not ui.share_mode())


def header(person: Person, pairing: Pairing, session: Session, phase: Phase) -> None:
    """Title, share-mode toggle, the pacing timer, and Previous/Next."""
    # Rows are flex containers, not st.columns: one block instead of one per column,
    # and these are drawn on every rerun of every session page.
    with st.container(horizontal=True, vertical_alignment="center"):
        st.title(PHASE_TITLES[phase])
        st.button(
            "Leave screen-share mode" if ui.share_mode() else "Screen-share mode",
            key="runner:share", on_click=_toggle_share_mode, icon=":material/present_to_all:",
            help="Large type, no sidebar, nothing private on screen.",
        )
    st.caption(
        f"Session of {ui.when(session.scheduled_at)} · {ui.plain(pairing.mentee_name)} (mentee) with "
        f"{ui.plain(pairing.pal_name)} (PAL)"
    )
    if session.status == SessionStatus.COMPLETED:
        st.info("This session is completed. Its summary is on the **Summary** page.")
    # What this run shows; the timer fragment reruns the page when it changes.
    st.session_state[ui.CHANGES_SHOWN] = ui.store().change_token(person.id, session.id)
    _timer(person, pairing, session.id, phase)
    _phase_nav(person, session, phase)


@st.fragment(run_every=2)
def _timer(person: Person, pairing: Pairing, session_id: int, phase: Phase) -> None:
    """Redrawn every 2 s; also reruns the page when the other person saved something."""
    if ui.current_person() is None:  # signed out in another tab: leave the page now
        st.rerun(scope="app")
    store = ui.store()
    session = store.session(person.id, session_id)
    if st.session_state.get(ui.CHANGES_SHOWN) != store.change_token(person.id, session_id):
        st.rerun(scope="app")
    clocks = pacing.pacing(session, pairing.session_minutes, ui.now())
    # The five clocks and the total as one Markdown table (name, time / budget, a bar):
    # this redraws every 2 s on every open session page, and one element costs the
    # server a fraction of the columns of text and progress bars it replaced.
    heads, times, bars = [], [], []
    for clock in clocks.phases:
        mark = "▶ " if clock.phase == clocks.current and clocks.running else ""
        heads.append(f"{mark}**{PHASE_TITLES[clock.phase]}**")
        over = f" · **{pacing.mmss(clock.over_s)} over**" if clock.over_s else ""
        times.append(f"{pacing.mmss(clock.elapsed_s)} / {pacing.mmss(clock.budget_s)}{over}")
        bars.append(_bar(clock.elapsed_s / clock.budget_s if clock.budget_s else 0.0))
    total_over = clocks.total_elapsed_s - clocks.total_budget_s
    heads.append("**Total**")
    times.append(f"{pacing.mmss(clocks.total_elapsed_s)} / {pacing.mmss(clocks.total_budget_s)}"
                 + (f" · :red[**{pacing.mmss(total_over)} over**]" if total_over > 0 else ""))
    bars.append("")
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        st.markdown("\n".join("| " + " | ".join(row) + " |" for row in (heads, ["---"] * len(heads), times, bars)))
        if session.status != SessionStatus.COMPLETED:
            if clocks.running:
                st.button("Pause", key="runner:pause", icon=":material/pause:",
                          on_click=_set_timer, args=(person.id, session, pacing.pause))
            else:
                st.button("Start" if not session.started_at else "Resume", key="runner:start",
                          icon=":material/play_arrow:", type="primary",
                          on_click=_set_timer, args=(person.id, session, pacing.start))


def _bar(fraction: float, cells: int = 10) -> str:
    """A text progress bar: ``▰▰▰▱▱▱▱▱▱▱`` for 0.3 (full when over budget)."""
    filled = max(0, min(cells, round(fraction * cells)))
    return "▰" * filled + "▱" * (cells - filled)


def _phase_nav(person: Person, session: Session, phase: Phase) -> None:
    index = ORDER.index(phase)
    with st.container(horizontal=True, horizontal_alignment="distribute"):
        if index > 0:
            before = ORDER[index - 1]
            st.button(f"← {PHASE_TITLES[before]}", key="runner:prev", on_click=_go, args=(person.id, session.id, before))
        else:
            st.space()  # keeps Next on the right
        if index < len(ORDER) - 1:
            after = ORDER[index + 1]
            st.button(f"{PHASE_TITLES[after]} →", key="runner:next", type="primary",
                      on_click=_go, args=(person.id, session.id, after))


# --- questions -----------------------------------------------------------------------


def _custom(pairing: Pairing, person: Person, section: str) -> list[Question]:
    rows = ui.store().custom_questions(person.id, pairing.id)
    return [custom_question(f"custom-{qid}", sec, text) for qid, sec, text in rows if sec == section]


def _shuffle(marks: dict) -> None:
    marks["round"] = marks.get("round", 0) + 1


def _pin(person_id: int, pairing_id: int, question_id: str, pinned: bool) -> None:
    ui.attempt(lambda: ui.store().set_pinned(person_id, pairing_id, question_id, pinned))


def _add_question(person_id: int, pairing_id: int, section: str, key: str) -> None:
    text = st.session_state.get(key, "")
    try:
        custom_question("custom-new", section, text)
    except ValueError as error:
        st.session_state["ui:flash_error"] = str(error)
        return
    if ui.attempt(lambda: ui.store().add_custom_question(person_id, pairing_id, section, text), "Question added."):
        st.session_state[key] = ""


def questions_panel(person: Person, pairing: Pairing, session: Session, phase: Phase, notes: dict, n: int = 3) -> None:
    """2–4 rotating questions from the bank (pinned first), each with a shared note."""
    section = phase.value
    store = ui.store()
    pinned = store.pinned_questions(person.id, pairing.id)
    shuffled = ui.memo(f"runner:shuffle:{section}")
    shuffle_round = shuffled.get("round", 0)
    questions = suggest(
        [*ui.bank().in_section(section), *_custom(pairing, person, section)],
        n=n,
        last_seen=store.questions_last_seen(person.id, pairing.id, session.id),
        pinned=pinned,
        seed=f"{session.id}:{shuffle_round}",
    )
    seen = shuffled.setdefault("seen", set())
    if (session.id, shuffle_round) not in seen and session.status != SessionStatus.COMPLETED:
        store.mark_questions_seen(person.id, session.id, [q.id for q in questions if not q.custom])
        seen.add((session.id, shuffle_round))
    with st.container(horizontal=True, vertical_alignment="center"):
        st.subheader("Questions")
        st.button("Shuffle", key=f"runner:shuffle_btn:{section}", icon=":material/shuffle:",
                  on_click=_shuffle, args=(shuffled,), help="Show other questions from the bank.")
    for question in questions:
        # The question is its note box's label, its two buttons one row under it: the
        # fewest elements for what each question needs (each costs every rerun).
        ui.note_field(person, session, notes, phase, question.id, f"**{ui.plain(question.text)}**", height=90,
                      question_text=question.text)
        is_pinned = question.id in pinned
        buttons = st.container(horizontal=True)
        buttons.button(
            "Unpin" if is_pinned else "Pin", key=f"runner:pin:{section}:{question.id}", type="tertiary",
            icon=":material/push_pin:", on_click=_pin, args=(person.id, pairing.id, question.id, not is_pinned),
            help="Pinned questions come back every session.",
        )
        follow_ups(question, session, notes, phase, buttons)
    if not ui.share_mode():
        box = ui.lazy_expander("Add your own question", f"runner:add_question:{section}")
        if box.open:
            with box:
                key = f"runner:new_question:{section}"
                widgets.add_row(key, "Question", "It is kept for your pair and comes up like the others",
                                _add_question, (person.id, pairing.id, section, key))


def follow_ups(question: Question, session: Session, notes: dict, phase: Phase, buttons) -> None:
    """Follow-up questions from the bank and the answer so far (LLM when configured);
    their button goes in the question's row of `buttons`."""
    key = f"runner:followups:{session.id}:{question.id}"
    note = notes.get((phase.value, question.id, Visibility.SHARED.value))
    request = (phase.value, question.text, note.body if note else "")
    if buttons.button("Follow-up questions", key=key + ":btn", icon=":material/lightbulb:", type="tertiary"):
        with st.spinner("Thinking of follow-up questions…"):
            ui.memo(key)["suggestions"] = ui.assistant().follow_ups(*request, bank_follow_ups=question.follow_ups)
    if not ui.share_mode():
        ui.what_will_be_sent(key + ":sent", "follow_ups", *request, bank_follow_ups=question.follow_ups)
    if suggestions := ui.memo(key).get("suggestions"):
        ui.show_suggestions(suggestions)


# --- privacy on a shared screen ----------------------------------------------------------


def prep_visible(person: Person, pairing: Pairing, session: Session) -> bool:
    """The mentee's preparation shows once shared; unshared, only to the mentee and
    never in screen-share mode."""
    if session.agenda_shared_at is not None:
        return True
    return pairing.role_of(person.id).value == "mentee" and not ui.share_mode()


def prep_not_shared(person: Person, pairing: Pairing, session: Session) -> None:
    if pairing.role_of(person.id).value == "mentee":
        st.info("Your preparation is still private. Share it so it can be used in the session.")
        st.button(
            "Share agenda with PAL", key="runner:share_agenda", icon=":material/send:",
            on_click=ui.attempt, args=(lambda: ui.store().share_agenda(person.id, session.id), "Agenda shared."),
        )
    else:
        st.info(f"{ui.plain(pairing.mentee_name)} hasn't shared an agenda for this session yet.")


def private_notes(person: Person, session: Session, notes: dict, phase: Phase) -> None:
    """The person's own notes for this phase; not rendered at all in screen-share mode."""
    if ui.share_mode():
        return
    box = ui.lazy_expander("My private notes", f"runner:private:{phase.value}")
    if box.open:
        with box:
            ui.note_field(person, session, notes, phase, "private", "Notes", visibility=Visibility.PRIVATE)
