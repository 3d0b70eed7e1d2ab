"""The summary of a session: the facts it rests on, the offline Markdown template, the
follow-up message, and completing a session (which drafts the summary).

Privacy: :func:`gather` is the only reader of the session, and it keeps shared content
only. The store already hides the other person's private notes; the actor's *own*
private notes come back from ``Store.notes`` too, so they are dropped here explicitly,
as is the mentee's preparation (agenda, rating, prep goals) until it is shared. Both the
template and the LLM see nothing but these facts.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from pydantic import BaseModel, ConfigDict

from pal_core.assist import Assistant, Drafted
from pal_core.models import CLOSED_ACTION_STATUSES, ActionItem, ActionStatus, AgendaKind, NewSession, Phase, Role, \
    SessionStatus, Summary, Visibility
from pal_core.store import StaleWrite, Store

NEXT_SESSION_WINDOW = dt.timedelta(hours=12)  # an existing session this close counts as "the next one"
FOLLOW_UP_CLIP = 240  # characters of one takeaway in the follow-up message

PHASE_TITLES = {
    Phase.OPENING: "Opening",
    Phase.REFLECTION: "Reflection",
    Phase.DEVELOPMENT: "Development",
    Phase.PLANNING: "Planning",
    Phase.CLOSING: "Closing",
}
SLOT_LABELS = {
    "opening:checkin": "Check-in",
    "reflection:successes": "Successes",
    "reflection:challenges": "Challenges",
    "reflection:kpis": "KPIs",
    "development:skills": "Skills to improve",
    "development:stuck": "Where the mentee feels stuck",
    "development:resources": "Resources and strategies",
}
_PRIORITY = re.compile(r"planning:priority-(\d+)")
_GENERIC_QUESTION_TEXT = {"", "notes"}  # what a slot's question_text holds when it names no question
STATUS_WORDS = {
    ActionStatus.OPEN: "open",
    ActionStatus.IN_PROGRESS: "in progress",
    ActionStatus.BLOCKED: "blocked",
    ActionStatus.DONE: "done",
    ActionStatus.DROPPED: "dropped",
}


# --- the facts ---------------------------------------------------------------------------


class _Fact(BaseModel):
    model_config = ConfigDict(frozen=True)


class AgendaFact(_Fact):
    kind: AgendaKind
    text: str


class NoteFact(_Fact):
    label: str
    text: str


class PhaseFacts(_Fact):
    phase: Phase
    title: str
    notes: list[NoteFact]


class GoalFact(_Fact):
    text: str
    kpi: str = ""
    done: bool = False


class ActionFact(_Fact):
    text: str
    owner: str  # the owner's name
    owner_role: Role
    due: dt.date | None = None
    status: ActionStatus = ActionStatus.OPEN
    blocker: str = ""


class FeedbackFact(_Fact):
    giver: Role  # mentee: the mentee's feedback to the PAL; pal: the PAL's to the mentee
    from_name: str
    to_name: str
    question: str
    answer: str


class SummaryFacts(_Fact):
    """Everything a summary may say, shared content only (this is what the LLM is sent)."""

    mentee: str
    pal: str
    session_at: dt.datetime
    session_minutes: int
    rating: int | None = None
    rating_why: str = ""
    rating_plus_one: str = ""
    agenda: list[AgendaFact] = []
    kpis: list[str] = []
    takeaways: list[PhaseFacts] = []
    priorities: list[str] = []
    goals: list[GoalFact] = []
    actions: list[ActionFact] = []
    earlier_actions: list[ActionFact] = []  # agreed before this session: closed in it, or still open
    feedback: list[FeedbackFact] = []
    next_session_at: dt.datetime | None = None


@functools.cache
def _bank_texts() -> dict[str, str]:
    from pal_core.questions import load_bank

    bank = load_bank()
    return {q.id: q.text for section in ("prepare", "reflection", "development", "planning", "closing", "feedback")
            for q in bank.in_section(section)}


def _action_fact(action: ActionItem, mentee: str, pal: str) -> ActionFact:
    return ActionFact(
        text=action.text, owner=mentee if action.owner == Role.MENTEE else pal, owner_role=action.owner,
        due=action.due_date, status=action.status, blocker=action.blocker,
    )


def gather(store: Store, actor: int, session_id: int, tz: dt.tzinfo | None = None) -> SummaryFacts:
    """The shared facts of a session, times shown in ``tz`` (default: the session's own).

    :raises NotFound: when the actor may not see the session.
    """
    session = store.session(actor, session_id)
    pairing = store.pairing(actor, session.pairing_id)
    tz = tz or session.scheduled_at.tzinfo
    prep_shared = session.agenda_shared_at is not None
    mentee, pal = pairing.mentee_name, pairing.pal_name

    slot_order = {key: i for i, key in enumerate(SLOT_LABELS)}
    takeaways: dict[Phase, list[tuple[int, int, NoteFact]]] = {}  # fixed slots first, then as written
    priorities: list[tuple[int, str]] = []
    feedback: list[FeedbackFact] = []
    custom: dict[str, str] | None = None
    for note in store.notes(actor, session_id):
        if note.visibility != Visibility.SHARED or not note.body.strip():
            continue  # the actor's own private notes come back from the store too
        key = note.question_key
        if key.startswith("feedback:"):
            giver = Role.PAL if key.startswith("feedback:pal:") else Role.MENTEE
            feedback.append(FeedbackFact(
                giver=giver, from_name=mentee if giver == Role.MENTEE else pal,
                to_name=pal if giver == Role.MENTEE else mentee,
                question=note.question_text or _bank_texts().get(key.split(":", 2)[-1], "Feedback"), answer=note.body,
            ))
            continue
        if rank := _PRIORITY.fullmatch(key):
            priorities.append((int(rank[1]), note.body))
            continue
        label = SLOT_LABELS.get(key)
        if label is None and note.question_text.strip().casefold() not in _GENERIC_QUESTION_TEXT:
            label = note.question_text
        if label is None and key.startswith("custom-"):
            if custom is None:
                custom = {f"custom-{qid}": text for qid, _, text in store.custom_questions(actor, pairing.id)}
            label = custom.get(key)
        if label is None:
            label = _bank_texts().get(key, "Other notes")
        order = slot_order.get(key, len(slot_order))
        takeaways.setdefault(note.phase, []).append((order, note.id, NoteFact(label=label, text=note.body)))
    feedback.sort(key=lambda f: f.giver != Role.MENTEE)  # mentee → PAL first, stable otherwise

    phases = [
        PhaseFacts(phase=phase, title=PHASE_TITLES[phase], notes=[fact for *_, fact in sorted(takeaways[phase])])
        for phase in Phase if phase in takeaways
    ]

    next_at = session.next_session_at
    if next_at is None:
        later = store.sessions_between(actor, pairing.id, session.scheduled_at + dt.timedelta(minutes=1), limit=1)
        next_at = later[0].scheduled_at if later else None

    goals = [g for g in reversed(store.goals(actor, pairing.id, session_id=session_id)) if prep_shared or not g.prep]
    return SummaryFacts(
        mentee=mentee,
        pal=pal,
        session_at=session.scheduled_at.astimezone(tz),
        session_minutes=pairing.session_minutes,
        rating=session.rating if prep_shared else None,
        rating_why=session.rating_why if prep_shared else "",
        rating_plus_one=session.rating_plus_one if prep_shared else "",
        agenda=[AgendaFact(kind=i.kind, text=i.text) for i in store.agenda(actor, session_id)] if prep_shared else [],
        kpis=[k.text for k in store.kpis(actor, pairing.id)],
        takeaways=phases,
        priorities=[text for _, text in sorted(priorities)],
        goals=[GoalFact(text=g.text, kpi=g.kpi, done=g.done) for g in goals],
        actions=[_action_fact(a, mentee, pal) for a in store.session_actions(actor, session_id)],
        earlier_actions=[_action_fact(a, mentee, pal) for a in store.carried_over_actions(actor, session)],
        feedback=feedback,
        next_session_at=next_at.astimezone(tz) if next_at else None,
    )


# --- formatting --------------------------------------------------------------------------


def format_when(value: dt.datetime) -> str:
    """``Thu 27 Nov 2026, 10:00 CET`` in the value's own time zone."""
    zone = value.tzname() or ""
    return f"{value:%a} {value.day} {value:%b %Y, %H:%M}" + (f" {zone}" if zone else "")


def format_day(value: dt.date) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


def _block(text: str, indent: str = "  ") -> str:
    """Person-written text inside a list item: later lines indented so they stay in it."""
    return text.strip().replace("\r\n", "\n").replace("\n", "\n" + indent)


def _action_line(action: ActionFact, *, with_status: bool) -> str:
    done = action.status == ActionStatus.DONE
    due = f", due {format_day(action.due)}" if action.due else ", no due date"
    status = ""
    if with_status:
        status = f" — {STATUS_WORDS[action.status]}"
        if action.status == ActionStatus.BLOCKED and action.blocker:
            status += f" ({_block(action.blocker, '    ')})"
    return f"- [{'x' if done else ' '}] {_block(action.text)} — **{action.owner}**{due}{status}"


def offline_summary(facts: SummaryFacts) -> str:
    """The template summary, in Markdown. Person-written text goes in as typed: show the
    result as text, or escape it before rendering it as Markdown."""
    lines = [
        f"# Session summary: {facts.mentee} & {facts.pal}",
        "",
        f"{format_when(facts.session_at)} · {facts.mentee} (mentee) with {facts.pal} (PAL) · {facts.session_minutes} minutes",
    ]

    def section(title: str, body: list[str]) -> None:
        if body:
            lines.extend(["", f"## {title}", "", *body])

    rating: list[str] = []
    if facts.rating is not None:
        rating.append(f"**{facts.rating}/10**" + (f" — {_block(facts.rating_why, '')}" if facts.rating_why.strip() else ""))
        if facts.rating_plus_one.strip():
            rating.extend(["", f"**What would make it +1:** {_block(facts.rating_plus_one, '')}"])
    section(f"How {facts.mentee} is doing", rating)

    agenda: list[str] = []
    for kind, title in ((AgendaKind.POINT, "Discussion points"), (AgendaKind.HELP, "Wanted help with"),
                        (AgendaKind.QUESTION, "Questions for the PAL")):
        items = [a.text for a in facts.agenda if a.kind == kind]
        if items:
            agenda.extend([*([""] if agenda else []), f"**{title}**", *(f"- {_block(t)}" for t in items)])
    section("Agenda", agenda)

    takeaways: list[str] = []
    for phase in facts.takeaways:
        takeaways.extend([*([""] if takeaways else []), f"### {phase.title}", ""])
        takeaways.extend(f"- **{note.label}:** {_block(note.text)}" for note in phase.notes)
    section("Key takeaways", takeaways or ["No shared notes were taken in this session."])

    decisions: list[str] = []
    if facts.priorities:
        decisions.extend(["**Top priorities until the next session**", "",
                          *(f"{i}. {_block(p, '   ')}" for i, p in enumerate(facts.priorities, 1))])
    if facts.goals:
        decisions.extend([*([""] if decisions else []), "**Goals**", ""])
        decisions.extend(
            f"- [{'x' if g.done else ' '}] {_block(g.text)}" + (f" (KPI: {g.kpi})" if g.kpi else "") for g in facts.goals
        )
    section("Decisions", decisions)

    section("Agreed actions", [_action_line(a, with_status=False) for a in facts.actions]
            or ["No new actions were agreed."])

    closed = [a for a in facts.earlier_actions if a.status in CLOSED_ACTION_STATUSES]
    still_open = [a for a in facts.earlier_actions if a.status not in CLOSED_ACTION_STATUSES]
    earlier: list[str] = []
    if still_open:
        earlier.extend(["**Carried over (still open)**", "", *(_action_line(a, with_status=True) for a in still_open)])
    if closed:
        earlier.extend([*([""] if earlier else []), "**Closed**", "", *(_action_line(a, with_status=True) for a in closed)])
    section("Earlier action points", earlier)

    feedback: list[str] = []
    for giver in (Role.MENTEE, Role.PAL):
        given = [f for f in facts.feedback if f.giver == giver]
        if given:
            feedback.extend([*([""] if feedback else []), f"**{given[0].from_name} → {given[0].to_name}**", ""])
            feedback.extend(f"- *{_block(f.question)}* {_block(f.answer)}" for f in given)
    section("Feedback", feedback)

    section("Next session", [format_when(facts.next_session_at) if facts.next_session_at
                             else "Not scheduled yet: pick a date on the Pairings page."])
    return "\n".join(lines)


def _clip(text: str, limit: int = FOLLOW_UP_CLIP) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def follow_up_message(facts: SummaryFacts, from_role: Role) -> str:
    """A short plain-text message to send the other person after the session: the
    takeaways, the actions with owners and dates, and the next session."""
    me, other = (facts.mentee, facts.pal) if Role(from_role) == Role.MENTEE else (facts.pal, facts.mentee)
    my_role = Role(from_role)

    def owner(action: ActionFact) -> str:
        return "Me" if action.owner_role == my_role else "You"

    def due(action: ActionFact) -> str:
        return f" — by {format_day(action.due)}" if action.due else ""

    lines = [f"Hi {other},", "", "Thanks for today's session. Here is what I took away and what we agreed."]
    takeaways = [f"- {note.label}: {_clip(note.text)}" for phase in facts.takeaways for note in phase.notes]
    if my_role == Role.MENTEE and facts.rating is not None:
        rating = f"- I'm at {facts.rating}/10"
        if facts.rating_plus_one.strip():
            rating += f"; what would make it +1: {_clip(facts.rating_plus_one)}"
        takeaways.insert(0, rating)
    if takeaways:
        lines.extend(["", "Key takeaways:", *takeaways])
    decisions = [f"- Priority {i}: {_clip(p)}" for i, p in enumerate(facts.priorities, 1)]
    decisions += [f"- Goal: {_clip(g.text)}" for g in facts.goals if not g.done]
    if decisions:
        lines.extend(["", "Decisions:", *decisions])
    lines.extend(["", "Actions:"])
    lines.extend([f"- {owner(a)}: {_clip(a.text)}{due(a)}" for a in facts.actions] or ["- No new actions this time."])
    still_open = [a for a in facts.earlier_actions if a.status not in CLOSED_ACTION_STATUSES]
    if still_open:
        lines.extend(["", "Still open from earlier:",
                      *(f"- {owner(a)}: {_clip(a.text)}{due(a)} ({STATUS_WORDS[a.status]})" for a in still_open)])
    if facts.next_session_at:
        lines.extend(["", f"Next session: {format_when(facts.next_session_at)}."])
    lines.extend(["", "Thanks,", me])
    return "\n".join(lines)


# --- completing a session and drafting ------------------------------------------------------


def ensure_summary(store: Store, assistant: Assistant, actor: int, session_id: int, tz: dt.tzinfo | None = None) -> Drafted:
    """Draft and save the summary unless one exists; the existing one wins a race."""
    if (existing := store.summary(actor, session_id)) is not None:
        return Drafted(existing.body, existing.source)  # type: ignore[arg-type]
    facts = gather(store, actor, session_id, tz)
    drafted = assistant.draft_summary(facts, lambda: offline_summary(facts))
    try:
        store.save_summary(actor, session_id, drafted.text, source=drafted.source, expected_version=None)
    except StaleWrite as first:  # the other person's draft landed first: keep theirs
        existing = store.summary(actor, session_id)
        return Drafted(first.current, existing.source if existing else drafted.source)  # type: ignore[arg-type]
    return drafted


def redraft(
    store: Store, assistant: Assistant, actor: int, session_id: int, expected_version: int, tz: dt.tzinfo | None = None
) -> tuple[Summary, Drafted]:
    """Replace the summary with a fresh draft from the session as it is now; the old
    text stays in the revisions. :raises StaleWrite: when someone saved in between."""
    facts = gather(store, actor, session_id, tz)
    drafted = assistant.draft_summary(facts, lambda: offline_summary(facts))
    saved = store.save_summary(actor, session_id, drafted.text, source=drafted.source, expected_version=expected_version)
    return saved, drafted


def complete_session(
    store: Store, assistant: Assistant, actor: int, session_id: int, next_at: dt.datetime | None
) -> Drafted:
    """Complete the session, make sure the next one is scheduled, and draft the summary.

    The next session is scheduled at ``next_at`` unless the pairing already has one
    within 12 hours of it. Safe to call twice (a double click): a completed session
    stays as it is, and an existing summary is returned, not redrafted.

    :raises ValueError: when ``next_at`` is in the past or more than a year ahead and
      must be scheduled; nothing is changed then.
    """
    session = store.session(actor, session_id)
    new_session: NewSession | None = None
    if next_at is not None:
        near = [s for s in store.sessions_near(actor, session.pairing_id, next_at, NEXT_SESSION_WINDOW) if s.id != session_id]
        if near:
            next_at = min(near, key=lambda s: abs(s.scheduled_at - next_at)).scheduled_at
        else:
            new_session = NewSession.at(next_at, now=dt.datetime.now(dt.timezone.utc))
    if session.status != SessionStatus.COMPLETED:
        store.complete_session(actor, session_id, next_at)
    if new_session is not None:
        store.schedule_session(actor, session.pairing_id, new_session)
    return ensure_summary(store, assistant, actor, session_id, next_at.tzinfo if next_at else None)
