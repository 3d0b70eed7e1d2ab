"""Domain widgets shared by the preparation and session pages: agenda lists, the
rating, action points, KPIs, goals with their SMART check. Each saves on change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from pal_core import smart
from pal_core.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    AgendaKind,
    Goal,
    NewAction,
    Pairing,
    Person,
    RatingInput,
    Role,
    Session,
)
from views import ui

STATUS_LABELS = {
    ActionStatus.OPEN: "open",
    ActionStatus.IN_PROGRESS: "in progress",
    ActionStatus.BLOCKED: "blocked",
    ActionStatus.DONE: "done",
    ActionStatus.DROPPED: "dropped",
}
MARK = {True: "✅", False: "❌", None: "❔"}
CRITERIA = (
    ("specific", "Specific"),
    ("measurable", "Measurable"),
    ("achievable", "Achievable"),
    ("relevant", "Relevant"),
    ("time_bound", "Time-bound"),
)


def add_row(key: str, label: str, hint: str, on_add, args: tuple) -> None:
    """A one-line input with an Add button; Enter adds too. The text is cleared only
    once it is saved, so a refused entry stays in the box to fix."""
    with st.form(key + ":form", border=False, enter_to_submit=True):
        with st.container(horizontal=True, vertical_alignment="bottom"):
            st.text_input(label, key=key, max_chars=500, placeholder=hint)
            st.form_submit_button("Add", on_click=on_add, args=args)


# --- agenda --------------------------------------------------------------------------


def _edit_item(person_id: int, item_id: int, key: str) -> None:
    ui.attempt(lambda: ui.store().edit_agenda_item(person_id, item_id, st.session_state[key]))


def _add_item(person_id: int, session_id: int, kind: AgendaKind, key: str) -> None:
    if ui.attempt(lambda: ui.store().add_agenda_item(person_id, session_id, kind, st.session_state.get(key, ""))):
        st.session_state[key] = ""


def agenda_list(person: Person, session: Session, items: list[AgendaItem], kind: AgendaKind, hint: str) -> None:
    """Editable for the mentee: edit in place, move up/down, remove, add."""
    store = ui.store()
    for index, item in enumerate(items):
        key = f"agenda:{item.id}"
        if ui.unsaved_after_restart(key, item.text):
            _edit_item(person.id, item.id, key)  # what the browser shows is what is stored
        elif key not in st.session_state:
            st.session_state[key] = item.text
        # A flex row, not st.columns: one block instead of five, for every point.
        with st.container(horizontal=True, vertical_alignment="bottom"):
            st.text_input(f"Point {index + 1}", key=key, max_chars=500, on_change=_edit_item, args=(person.id, item.id, key))
            st.button("↑", key=key + ":up", disabled=index == 0, help="Move up",
                      on_click=ui.attempt, args=(lambda i=item.id: store.move_agenda_item(person.id, i, -1),))
            st.button("↓", key=key + ":down", disabled=index == len(items) - 1, help="Move down",
                      on_click=ui.attempt, args=(lambda i=item.id: store.move_agenda_item(person.id, i, 1),))
            st.button("✕", key=key + ":del", help="Remove",
                      on_click=ui.attempt, args=(lambda i=item.id: store.delete_agenda_item(person.id, i),))
    add_key = f"agenda:new:{session.id}:{kind.value}"
    add_row(add_key, "Add a point", hint, _add_item, (person.id, session.id, kind, add_key))


def agenda_readout(items: list[AgendaItem]) -> None:
    """The shared agenda, read-only, as one Markdown block."""
    titles = {AgendaKind.POINT: "Discussion points", AgendaKind.HELP: "Wants help with", AgendaKind.QUESTION: "Questions for the PAL"}
    parts = []
    for kind, title in titles.items():
        if points := [i.text for i in items if i.kind == kind]:
            parts.append(f"**{title}**\n\n" + "\n".join(f"- {ui.plain(p)}" for p in points))
    if parts:
        st.markdown("\n\n".join(parts))


# --- rating --------------------------------------------------------------------------


def _save_rating(person_id: int, session_id: int) -> None:
    prefix = f"rating:{session_id}"

    def save() -> None:
        if st.session_state[f"{prefix}:value"] is None:  # a click on the chosen number unselects it: keep it
            st.session_state[f"{prefix}:value"] = ui.store().session(person_id, session_id).rating
        ui.store().save_rating(person_id, session_id, RatingInput(
            rating=st.session_state[f"{prefix}:value"],
            why=st.session_state[f"{prefix}:why"],
            plus_one=st.session_state[f"{prefix}:plus_one"],
        ))
    ui.attempt(save)


def rating_fields(person: Person, session: Session, *, editable: bool = True) -> None:
    """The 1–10 with why and +1; editable by the mentee, read-only for the PAL."""
    prefix = f"rating:{session.id}"
    if not editable:
        if session.rating is None:
            st.caption("No rating shared yet.")
            return
        st.metric("How the mentee is doing", f"{session.rating}/10")
        st.markdown(f"**Why:** {ui.plain(session.rating_why) or '—'}")
        st.markdown(f"**What would make it +1:** {ui.plain(session.rating_plus_one) or '—'}")
        return
    stored = {"value": session.rating, "why": session.rating_why, "plus_one": session.rating_plus_one}
    unsaved = [ui.unsaved_after_restart(f"{prefix}:{field}", value) for field, value in stored.items()]
    for field, value in stored.items():
        st.session_state.setdefault(f"{prefix}:{field}", value)
    args = (person.id, session.id)
    if any(unsaved):  # save what the browser shows, so that what is shown is what is stored
        _save_rating(*args)
    st.segmented_control(
        "How are you doing on a scale of 1–10?", list(range(1, 11)), key=f"{prefix}:value",
        on_change=_save_rating, args=args,
    )
    st.text_area("Why that number?", key=f"{prefix}:why", height=80, max_chars=20_000, on_change=_save_rating, args=args)
    st.text_area("What would make it one point higher?", key=f"{prefix}:plus_one", height=80, max_chars=20_000,
                 on_change=_save_rating, args=args)


# --- actions -------------------------------------------------------------------------


def _action_status(person_id: int, action_id: int, session_id: int, key: str) -> None:
    status = st.session_state[key]
    blocker = st.session_state.get(key + ":blocker", ui.memo(key).get("blocker", ""))
    if status == ActionStatus.BLOCKED and not blocker.strip():
        return  # saved once the reason is typed
    ui.attempt(lambda: ui.store().update_action_status(person_id, action_id, status, blocker=blocker, session_id=session_id))


def _describe(action: ActionItem, pairing: Pairing) -> str:
    owner = pairing.mentee_name if action.owner == Role.MENTEE else pairing.pal_name
    due = f", due {action.due_date:%d %b %Y}" if action.due_date else ""
    overdue = " · **overdue**" if action.due_date and action.due_date < dt.date.today() and action.status not in (
        ActionStatus.DONE, ActionStatus.DROPPED) else ""
    return f"{ui.plain(action.text)} — *{ui.plain(owner)}{due}*{overdue}"


def _status_editor(person: Person, session: Session, action: ActionItem) -> None:
    """The action's status as five buttons (one click sets it; `required` keeps a second
    click on the chosen one from clearing it), and the reason when it is blocked."""
    key = f"action:{session.id}:{action.id}:status"
    marks = ui.memo(key)
    if key not in st.session_state or marks.get("seen") != action.version:
        st.session_state[key] = action.status
        st.session_state.pop(key + ":blocker", None)  # drawn again from the stored reason
        marks.update(seen=action.version, blocker=action.blocker)
    st.segmented_control(
        "Status", list(ActionStatus), key=key, format_func=STATUS_LABELS.get, label_visibility="collapsed",
        required=True, on_change=_action_status, args=(person.id, action.id, session.id, key),
    )
    if st.session_state[key] == ActionStatus.BLOCKED:
        st.session_state.setdefault(key + ":blocker", marks["blocker"])
        st.text_input(
            "What is blocking it?", key=key + ":blocker", max_chars=500,
            on_change=_action_status, args=(person.id, action.id, session.id, key),
        )


def action_row(person: Person, pairing: Pairing, session: Session, action: ActionItem, *, editable: bool) -> None:
    """An action agreed in this session: what, who and due, its status, its SMART check."""
    st.markdown(_describe(action, pairing) + ("" if editable else f" · **{STATUS_LABELS[action.status]}**"))
    if not editable:
        return
    _status_editor(person, session, action)
    if action.from_session_id == session.id and not ui.share_mode():
        def save(text: str, a: ActionItem = action) -> ActionItem:
            return ui.store().edit_action(person.id, a.id, NewAction(text=text, owner=a.owner, due_date=a.due_date))

        box = ui.lazy_expander("SMART check", f"action:{action.id}:smart")
        if box.open:
            with box:
                smart_coach(f"action:{action.id}:rewrite", action.text, ui.kpi_texts(person, pairing), save,
                            "Action updated.")


def _short_day(day: dt.date) -> str:
    """"16 Sep" this year, "16 Sep 2023" before: pairings carry actions over for years."""
    return f"{day:%d %b}" if day.year == dt.date.today().year else f"{day:%d %b %Y}"


def action_updates(person: Person, pairing: Pairing, session: Session, *, editable: bool) -> None:
    """Actions carried over from earlier sessions with their status and history, as one
    list, and one status editor for the action picked from it. (A status control per
    action made this the costliest part of every rerun: pairings carry a dozen open.)"""
    store = ui.store()
    actions = store.carried_over_actions(person.id, session)
    if not actions:
        st.caption("No open action points from earlier sessions.")
        return
    history = store.action_history(person.id, [a.id for a in actions])
    tz = ui.local_tz()
    lines = []
    for action in actions:
        steps = " → ".join(
            f"{_short_day(e.at.astimezone(tz).date())}: {STATUS_LABELS[e.status]}"
            + (f" ({ui.plain(e.note)})" if e.note and e.note != "agreed" else "")
            for e in history.get(action.id, [])
        )
        lines.append(f"- {_describe(action, pairing)} · **{STATUS_LABELS[action.status]}**"
                     + (f"  \n  :small[:gray[{steps}]]" if steps else ""))
    with st.container(border=True):
        st.markdown("\n".join(lines))
        if not editable:
            return
        picked = actions[0]
        if len(actions) > 1:
            texts = {a.id: a.text for a in actions}
            chosen = st.selectbox("Update the status of", list(texts), key=f"actions:{session.id}:pick",
                                  format_func=lambda aid: texts[aid][:120])
            picked = next(a for a in actions if a.id == chosen)
        _status_editor(person, session, picked)


def _add_action(person_id: int, session_id: int, prefix: str) -> None:
    def add() -> None:
        ui.store().add_action(person_id, session_id, NewAction(
            text=st.session_state[f"{prefix}:text"], owner=st.session_state[f"{prefix}:owner"],
            due_date=st.session_state[f"{prefix}:due"],
        ))
    if ui.attempt(add, "Action added."):
        st.session_state[f"{prefix}:text"] = ""


def new_action_form(person: Person, pairing: Pairing, session: Session) -> None:
    prefix = f"newaction:{session.id}"
    st.text_input("Action", key=f"{prefix}:text", max_chars=500,
                  placeholder="e.g. Write and merge 10 unit tests for Project X by next Friday")
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.selectbox("Owner", [Role.MENTEE, Role.PAL], key=f"{prefix}:owner",
                     format_func=lambda r: f"{pairing.mentee_name} (mentee)" if r == Role.MENTEE else f"{pairing.pal_name} (PAL)")
        st.date_input("Due", value=session.scheduled_at.date() + dt.timedelta(days=pairing.cadence_days),
                      key=f"{prefix}:due", format="YYYY-MM-DD")
        st.button("Add action", key=f"{prefix}:add", type="primary", on_click=_add_action, args=(person.id, session.id, prefix))
    if draft := st.session_state.get(f"{prefix}:text", "").strip():
        smart_panel(smart.assess(draft, ui.kpi_texts(person, pairing)))


# --- KPIs and goals ------------------------------------------------------------------


def _add_kpi(person_id: int, pairing_id: int, key: str) -> None:
    if ui.attempt(lambda: ui.store().add_kpi(person_id, pairing_id, st.session_state.get(key, ""))):
        st.session_state[key] = ""


def kpi_list(person: Person, pairing: Pairing) -> None:
    store = ui.store()
    for kpi in store.kpis(person.id, pairing.id):
        with st.container(horizontal=True, vertical_alignment="center"):
            st.markdown(f"- {ui.plain(kpi.text)}", width="stretch")
            st.button("✕", key=f"kpi:{kpi.id}:del", help="Remove",
                      on_click=ui.attempt, args=(lambda k=kpi.id: store.delete_kpi(person.id, k),))
    key = f"kpi:new:{pairing.id}"
    add_row(key, "Add a KPI or focus area", "e.g. Code review turnaround", _add_kpi, (person.id, pairing.id, key))


def smart_panel(assessment: smart.SmartAssessment) -> None:
    """Five marks with the reason for each; names what is missing."""
    lines = []
    for field, title in CRITERIA:
        verdict = getattr(assessment, field)
        evidence = f" (“{ui.plain(verdict.evidence)}”)" if verdict.evidence else ""
        lines.append(f"{MARK[verdict.met]} **{title}** — {ui.plain(verdict.reason)}{evidence}")
    if assessment.multiple_goals:
        lines.append("⚠️ This looks like several goals in one: consider splitting it.")
    st.markdown("  \n".join(lines))


def _add_goal(person_id: int, session_id: int, prefix: str, kpis: list[str], prep: bool) -> None:
    text = st.session_state.get(f"{prefix}:text", "")
    kpi = st.session_state.get(f"{prefix}:kpi") or ""
    assessment = smart.assess(text, kpis)
    if ui.attempt(lambda: ui.store().add_goal(person_id, session_id, text, kpi, assessment.model_dump_json(), prep=prep), "Goal added."):
        st.session_state[f"{prefix}:text"] = ""


def _accept_rewrite(key: str, save: Callable[[str], object], done: str) -> None:
    if ui.attempt(lambda: save(st.session_state[key + ":edit"]), done):
        _dismiss_rewrite(key)


def _dismiss_rewrite(key: str) -> None:
    ui.memo(key).pop("rewrite", None)
    st.session_state.pop(key + ":edit", None)


def smart_coach(key: str, text: str, kpis: list[str], save: Callable[[str], object], done: str) -> None:
    """The SMART marks for a goal or action, and a rewrite offered only when asked:
    accept (after editing the placeholders) or ignore."""
    smart_panel(smart.assess(text, kpis))
    if st.button("Suggest a SMART rewrite", key=key + ":btn", icon=":material/auto_fix_high:", type="tertiary"):
        with st.spinner("Drafting a SMART version…"):
            ui.memo(key)["rewrite"] = ui.assistant().rewrite_goal(text, kpis)
        st.session_state.pop(key + ":edit", None)
    if not ui.share_mode():
        ui.what_will_be_sent(key + ":sent", "rewrite_goal", text, kpis)
    if rewrite := ui.memo(key).get("rewrite"):
        ui.source_caption(rewrite.source, rewrite.notice)
        st.session_state.setdefault(key + ":edit", rewrite.text)
        st.text_area("Suggested rewrite — fill in the [placeholders], then accept", key=key + ":edit", height=80)
        accept, ignore = st.columns(2)
        accept.button("Accept", key=key + ":accept", on_click=_accept_rewrite, args=(key, save, done))
        ignore.button("Ignore", key=key + ":ignore", on_click=_dismiss_rewrite, args=(key,))


def _save_goal(person_id: int, goal: Goal, kpis: list[str], *, text: str | None = None, done: bool | None = None) -> Goal:
    text = goal.text if text is None else text
    return ui.store().update_goal(
        person_id, goal.id, text=text, kpi=goal.kpi, smart_json=smart.assess(text, kpis).model_dump_json(),
        done=goal.done if done is None else done, expected_version=goal.version,
    )


def goal_list(person: Person, pairing: Pairing, session: Session, *, prep: bool) -> None:
    store = ui.store()
    kpis = ui.kpi_texts(person, pairing)
    for goal in store.goals(person.id, pairing.id, session_id=session.id):
        with st.container(border=True):
            with st.container(horizontal=True, vertical_alignment="center"):
                kpi = f" · KPI: {ui.plain(goal.kpi)}" if goal.kpi else ""
                st.markdown(f"**{ui.plain(goal.text)}**{kpi}", width="stretch")
                st.button("✕", key=f"goal:{goal.id}:del", help="Remove goal",
                          on_click=ui.attempt, args=(lambda g=goal.id: store.delete_goal(person.id, g),))
            done_key = f"goal:{goal.id}:done"

            def save_done(g: Goal = goal, k: str = done_key) -> Goal:
                return _save_goal(person.id, g, kpis, done=st.session_state[k])

            if ui.unsaved_after_restart(done_key, goal.done):
                ui.attempt(save_done)  # what the browser shows is what is stored
            st.checkbox("Done", value=goal.done, key=done_key, on_change=ui.attempt, args=(save_done,))
            smart_coach(f"goal:{goal.id}:rewrite", goal.text, kpis,
                        lambda text, g=goal: _save_goal(person.id, g, kpis, text=text), "Goal updated.")
    prefix = f"goal:new:{session.id}"
    st.text_input("New goal", key=f"{prefix}:text", max_chars=500,
                  placeholder="e.g. Write and merge 10 unit tests for Project X by next Friday")
    if kpis:
        st.selectbox("Linked KPI", ["", *kpis], key=f"{prefix}:kpi", format_func=lambda k: k or "(none)")
    if draft := st.session_state.get(f"{prefix}:text", "").strip():
        smart_panel(smart.assess(draft, kpis))
    st.button("Add goal", key=f"{prefix}:add", on_click=_add_goal, args=(person.id, session.id, prefix, kpis, prep))
