"""Exports: a session as Markdown, the running document (Markdown and a printable HTML
page), the next session as an ``.ics`` file, and all of a person's pairings as JSON with
a lossless import back.

Nothing here reads more than the acting person may see: every read goes through the
store with ``actor``, and summaries are built from :func:`pal_core.summary.gather`
(shared content only). In the HTML page every piece of person-written text is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from pal_core import summary as summaries
from pal_core.models import (
    LINE_LIMIT,
    TEXT_LIMIT,
    ActionStatus,
    AgendaKind,
    Pairing,
    Person,
    Phase,
    Role,
    Session,
    SessionStatus,
    Visibility,
)
from pal_core.store import Store

EXPORT_FORMAT = "pal-sessions-export"
EXPORT_VERSION = 1
MAX_IMPORT_BYTES = 50 * 1024 * 1024
_CUSTOM_KEY = re.compile(r"custom-(\d+)")


# --- file names ------------------------------------------------------------------------------


def slug(text: str) -> str:
    """``"Ana María"`` → ``"ana-maria"``: safe in a file name on every system."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40] or "person"


def session_file_name(pairing: Pairing, session: Session, ext: str) -> str:
    """``pal-session-2026-11-27-ana-ben.md``"""
    return f"pal-session-{session.scheduled_at.date().isoformat()}-{slug(pairing.mentee_name)}-{slug(pairing.pal_name)}.{ext}"


def next_session_file_name(pairing: Pairing, when: dt.datetime) -> str:
    """``pal-next-session-2026-12-04-ana-ben.ics``"""
    return f"pal-next-session-{when.date().isoformat()}-{slug(pairing.mentee_name)}-{slug(pairing.pal_name)}.ics"


def running_document_file_name(pairing: Pairing, start: dt.date, end: dt.date, ext: str) -> str:
    """``pal-running-document-ana-2026-01-01_2026-11-30.md`` (named after the mentee:
    it is their record of progress)."""
    return f"pal-running-document-{slug(pairing.mentee_name)}-{start.isoformat()}_{end.isoformat()}.{ext}"


def export_file_name(person: Person, today: dt.date) -> str:
    """``pal-export-ana-2026-11-27.json``"""
    return f"pal-export-{slug(person.display_name)}-{today.isoformat()}.json"


# --- one session -------------------------------------------------------------------------------


def session_markdown(store: Store, actor: int, session_id: int, tz: dt.tzinfo | None = None) -> str:
    """The session's summary as both see it (the stored, agreed text when there is one,
    else the template), with who agreed and when."""
    stored = store.summary(actor, session_id)
    if stored is None:
        return summaries.offline_summary(summaries.gather(store, actor, session_id, tz))
    pairing = store.pairing(actor, store.session(actor, session_id).pairing_id)
    tz = tz or dt.timezone.utc
    marks = [
        f"Agreed by {name} on {summaries.format_when(when.astimezone(tz))}."
        for name, when in ((pairing.mentee_name, stored.agreed_by_mentee_at), (pairing.pal_name, stored.agreed_by_pal_at))
        if when is not None
    ]
    footer = [
        "", "---", "",
        f"Version {stored.version}, last edited by {stored.edited_by_name or 'someone'} on "
        f"{summaries.format_when(stored.edited_at.astimezone(tz))}.",
        *marks,
    ]
    return stored.body.rstrip() + "\n" + "\n".join(footer) + "\n"


def next_session_ics(store: Store, actor: int, session_id: int) -> tuple[dt.datetime, bytes] | None:
    """The session after this one as a calendar event (None when none is scheduled)."""
    from icalendar import Calendar, Event

    session = store.session(actor, session_id)
    pairing = store.pairing(actor, session.pairing_id)
    when = session.next_session_at
    following = None
    if when is not None:
        near = store.sessions_near(actor, pairing.id, when, summaries.NEXT_SESSION_WINDOW)
        following = min(near, key=lambda s: abs(s.scheduled_at - when)) if near else None
    else:
        later = store.sessions_between(actor, pairing.id, session.scheduled_at + dt.timedelta(minutes=1), limit=1)
        following = later[0] if later else None
        when = following.scheduled_at if following else None
    if when is None:
        return None
    if following is not None:
        when = following.scheduled_at
    actions = store.session_actions(actor, session_id)
    lines = [
        f"PAL session: {pairing.mentee_name} (mentee) with {pairing.pal_name} (PAL).",
        "Mentee: prepare your agenda in PAL Sessions and share it about 48 hours ahead.",
    ]
    if actions:
        lines += ["", "Actions agreed last time:"]
        for action in actions:
            owner = pairing.mentee_name if action.owner == Role.MENTEE else pairing.pal_name
            due = f", due {summaries.format_day(action.due_date)}" if action.due_date else ""
            lines.append(f"- {action.text} ({owner}{due})")

    calendar = Calendar()
    calendar.add("prodid", "-//PAL Sessions//pal-sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    uid = f"pal-session-{following.id}" if following else f"pal-after-session-{session.id}"
    event.add("uid", f"{uid}@pal-sessions")
    event.add("dtstamp", dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
    start = when.astimezone(dt.timezone.utc).replace(microsecond=0)
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=pairing.session_minutes))
    event.add("summary", f"PAL session: {pairing.mentee_name} & {pairing.pal_name}")
    event.add("description", "\n".join(lines))
    calendar.add_component(event)
    return when, calendar.to_ical()


# --- the running document --------------------------------------------------------------------------


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True)


class DocGoal(_Doc):
    text: str
    kpi: str
    done: bool
    set_on: dt.date | None


class DocRating(_Doc):
    on: dt.date
    rating: int
    why: str
    plus_one: str


class DocAction(_Doc):
    text: str
    owner: str
    closed_on: dt.date | None


class DocSession(_Doc):
    at: dt.datetime
    status: SessionStatus
    rating: int | None
    summary: str | None


class RunningDocument(_Doc):
    mentee: str
    pal: str
    start: dt.date
    end: dt.date  # inclusive
    kpis: list[str]
    goals: list[DocGoal]
    ratings: list[DocRating]
    completed_actions: list[DocAction]
    open_actions: int
    sessions: list[DocSession]

    def goals_by_kpi(self) -> list[tuple[str, list[DocGoal]]]:
        """(KPI, its goals) in the order of the KPIs, then goals of other or no KPIs ("")."""
        groups: dict[str, list[DocGoal]] = {kpi: [] for kpi in self.kpis}
        for goal in self.goals:
            groups.setdefault(goal.kpi, []).append(goal)
        ordered = [(kpi, goals) for kpi, goals in groups.items() if kpi and goals]
        return ordered + ([("", groups[""])] if groups.get("") else [])


def _day_bounds(start: dt.date, end: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    return (dt.datetime.combine(start, dt.time(), tz), dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz))


def running_document(
    store: Store, actor: int, pairing_id: int, start: dt.date, end: dt.date, tz: dt.tzinfo = dt.timezone.utc
) -> RunningDocument:
    """Everything the running document shows for sessions from ``start`` to ``end``
    (whole days, inclusive, in ``tz``)."""
    pairing = store.pairing(actor, pairing_id)
    lo, hi = _day_bounds(start, end, tz)
    sessions = store.sessions_between(actor, pairing_id, lo, hi, limit=100_000)
    bodies = store.summaries_between(actor, pairing_id, lo, hi)
    goals, offset = [], 0
    while page := store.history_goals(actor, pairing_id, lo, hi, limit=500, offset=offset):
        goals.extend(page)
        offset += len(page)
    return RunningDocument(
        mentee=pairing.mentee_name,
        pal=pairing.pal_name,
        start=start,
        end=end,
        kpis=[k.text for k in store.kpis(actor, pairing_id)],
        goals=[
            DocGoal(text=g.text, kpi=g.kpi, done=g.done, set_on=set_at.astimezone(tz).date() if set_at else None)
            for g, set_at in reversed(goals)
        ],
        ratings=[
            DocRating(on=p["scheduled_at"].astimezone(tz).date(), rating=p["rating"], why=p["why"], plus_one=p["plus_one"])
            for p in store.rating_points(actor, pairing_id, lo, hi)
        ],
        completed_actions=[
            DocAction(text=a.text, owner=pairing.mentee_name if a.owner == Role.MENTEE else pairing.pal_name,
                      closed_on=closed.astimezone(tz).date() if closed else None)
            for a, closed in store.completed_actions(actor, pairing_id, lo, hi, limit=100_000)
        ],
        open_actions=store.action_stats(actor, pairing_id, lo, hi, dt.date.today())["open"],
        sessions=[
            DocSession(at=s.scheduled_at.astimezone(tz), status=s.status, rating=s.rating, summary=bodies.get(s.id))
            for s in sessions
        ],
    )


def _demote(markdown: str, levels: int = 2) -> str:
    """Headings of an embedded summary pushed down so they sit under the session's own."""
    out = []
    for line in markdown.splitlines():
        found = re.match(r"(#{1,6})(\s.*)", line)
        out.append("#" * min(6, len(found[1]) + levels) + found[2] if found else line)
    return "\n".join(out)


def _rating_stats(ratings: list[DocRating]) -> str:
    values = [r.rating for r in ratings]
    average = sum(values) / len(values)
    return (f"{len(values)} ratings · average {average:.1f}/10 · lowest {min(values)} · highest {max(values)} · "
            f"first {values[0]}/10 ({summaries.format_day(ratings[0].on)}) → latest {values[-1]}/10 "
            f"({summaries.format_day(ratings[-1].on)})")


def _period(doc: RunningDocument) -> str:
    completed = sum(1 for s in doc.sessions if s.status == SessionStatus.COMPLETED)
    return (f"{summaries.format_day(doc.start)} – {summaries.format_day(doc.end)} · {len(doc.sessions)} sessions, "
            f"{completed} completed · {len(doc.completed_actions)} actions completed, {doc.open_actions} still open")


def running_markdown(doc: RunningDocument) -> str:
    """The running document in Markdown (person-written text as typed)."""
    lines = [f"# Running document: {doc.mentee} with {doc.pal}", "", _period(doc)]

    lines += ["", "## Goals by KPI", ""]
    groups = doc.goals_by_kpi()
    if not groups:
        lines.append("No goals were set in these dates.")
    for kpi, goals in groups:
        lines += [f"### {'KPI: ' + kpi if kpi else 'Goals without a KPI'}", ""]
        for g in goals:
            when = f" (set {summaries.format_day(g.set_on)})" if g.set_on else ""
            lines.append(f"- [{'x' if g.done else ' '}] {g.text}{when}")
        lines.append("")
    kpis_without_goals = [k for k in doc.kpis if k not in {kpi for kpi, _ in groups}]
    if kpis_without_goals:
        lines += ["KPIs without goals in these dates: " + "; ".join(kpis_without_goals), ""]

    lines += ["## Rating trend", ""]
    if doc.ratings:
        lines += [_rating_stats(doc.ratings), ""]
        for r in doc.ratings:
            bar = "█" * r.rating + "░" * (10 - r.rating)
            plus = f" — +1: {' '.join(r.plus_one.split())}" if r.plus_one.strip() else ""
            lines.append(f"- {summaries.format_day(r.on)} `{bar}` {r.rating}/10{plus}")
    else:
        lines.append("No ratings in these dates.")

    lines += ["", "## Completed actions", ""]
    lines += [
        f"- [x] {a.text} — {a.owner}" + (f", done {summaries.format_day(a.closed_on)}" if a.closed_on else "")
        for a in doc.completed_actions
    ] or ["No actions were completed in these dates."]

    lines += ["", "## Sessions", ""]
    if not doc.sessions:
        lines.append("No sessions in these dates.")
    for s in doc.sessions:
        rating = f" · {s.rating}/10" if s.rating is not None else ""
        lines += [f"### {summaries.format_when(s.at)}{rating}", ""]
        lines += [_demote(s.summary).strip() if s.summary else "No summary.", ""]
    return "\n".join(lines).rstrip() + "\n"


_PRINT_CSS = """
:root { color-scheme: light; }
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b;
       max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { font-size: 1.3rem; border-bottom: 1px solid #ccc;
     padding-bottom: .2rem; margin-top: 2rem; } h3 { font-size: 1.1rem; margin-bottom: .3rem; }
h4, h5, h6 { font-size: 1rem; margin: .8rem 0 .2rem; }
.meta { color: #555; } .done { color: #1a7f37; } .open { color: #9a6700; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .25rem .5rem;
        border-bottom: 1px solid #e3e3e3; vertical-align: top; }
meter { width: 8rem; } .session { break-inside: avoid-page; page-break-inside: avoid; }
.summary { border-left: 3px solid #d0d7de; padding-left: .8rem; }
@page { size: A4; margin: 18mm 16mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid-page; page-break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def markdown_to_safe_html(markdown: str) -> str:
    """A small, safe rendering of summary Markdown: headings, lists, bold and paragraphs.
    Everything is escaped first, so no tag, link or script a person typed survives."""
    out: list[str] = []
    in_list: str | None = None

    def inline(text: str) -> str:
        escaped = _e(text)
        escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
        return re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", escaped)

    def close_list() -> None:
        nonlocal in_list
        if in_list:
            out.append(f"</{in_list}>")
            in_list = None

    for raw in markdown.splitlines():
        line = raw.rstrip()
        heading = re.match(r"(#{1,6})\s+(.*)", line)
        bullet = re.match(r"\s{0,3}[-*+]\s+(\[[ xX]\]\s+)?(.*)", line)
        numbered = re.match(r"\s{0,3}\d+[.)]\s+(.*)", line)
        if heading:
            close_list()
            level = min(6, len(heading[1]) + 2)  # under the page's own h1/h2
            out.append(f"<h{level}>{inline(heading[2])}</h{level}>")
        elif bullet or numbered:
            kind = "ul" if bullet else "ol"
            if in_list != kind:
                close_list()
                out.append(f"<{kind}>")
                in_list = kind
            box = ""
            if bullet and bullet[1]:
                box = "☑ " if bullet[1].strip().lower() == "[x]" else "☐ "
            out.append(f"<li>{box}{inline(bullet[2] if bullet else numbered[1])}</li>")
        elif not line.strip() or line.strip() == "---":
            close_list()
        elif in_list and raw.startswith("  "):
            out[-1] = out[-1].removesuffix("</li>") + f"<br>{inline(line.strip())}</li>"
        else:
            close_list()
            out.append(f"<p>{inline(line)}</p>")
    close_list()
    return "\n".join(out)


def running_html(doc: RunningDocument) -> str:
    """The running document as one self-contained, printable HTML page."""
    title = f"Running document: {doc.mentee} with {doc.pal}"
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>", f"<style>{_PRINT_CSS}</style>", "</head>", "<body>",
        f"<h1>{_e(title)}</h1>", f'<p class="meta">{_e(_period(doc))}</p>',
        "<h2>Goals by KPI</h2>",
    ]
    groups = doc.goals_by_kpi()
    if not groups:
        parts.append("<p>No goals were set in these dates.</p>")
    for kpi, goals in groups:
        parts.append(f"<h3>{_e('KPI: ' + kpi) if kpi else 'Goals without a KPI'}</h3><ul>")
        for g in goals:
            state = '<span class="done">☑ done</span>' if g.done else '<span class="open">☐ open</span>'
            when = f" <span class=\"meta\">(set {_e(summaries.format_day(g.set_on))})</span>" if g.set_on else ""
            parts.append(f"<li>{state} — {_e(g.text)}{when}</li>")
        parts.append("</ul>")

    parts.append("<h2>Rating trend</h2>")
    if doc.ratings:
        parts.append(f'<p class="meta">{_e(_rating_stats(doc.ratings))}</p>')
        parts.append("<table><thead><tr><th>Date</th><th>Rating</th><th></th><th>What would make it +1</th></tr></thead><tbody>")
        for r in doc.ratings:
            parts.append(
                f"<tr><td>{_e(summaries.format_day(r.on))}</td><td>{r.rating}/10</td>"
                f'<td><meter min="1" max="10" value="{r.rating}">{r.rating}/10</meter></td><td>{_e(r.plus_one)}</td></tr>'
            )
        parts.append("</tbody></table>")
    else:
        parts.append("<p>No ratings in these dates.</p>")

    parts.append("<h2>Completed actions</h2>")
    if doc.completed_actions:
        parts.append("<ul>")
        for a in doc.completed_actions:
            when = f", done {_e(summaries.format_day(a.closed_on))}" if a.closed_on else ""
            parts.append(f"<li>☑ {_e(a.text)} — {_e(a.owner)}{when}</li>")
        parts.append("</ul>")
    else:
        parts.append("<p>No actions were completed in these dates.</p>")

    parts.append("<h2>Sessions</h2>")
    if not doc.sessions:
        parts.append("<p>No sessions in these dates.</p>")
    for s in doc.sessions:
        rating = f" · {s.rating}/10" if s.rating is not None else ""
        body = f'<div class="summary">{markdown_to_safe_html(s.summary)}</div>' if s.summary else "<p>No summary.</p>"
        parts.append(f'<section class="session"><h3>{_e(summaries.format_when(s.at))}{rating}</h3>{body}</section>')
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


# --- all of a person's pairings as JSON ----------------------------------------------------------------


class ImportProblem(ValueError):
    """The file can't be imported; the message names the field and says what to do."""


def _iso_datetime(value: str) -> str:
    """The time in UTC, as the store keeps it (so that text order is time order)."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date and time like 2026-11-27T10:00:00+00:00") from None
    if parsed.tzinfo is None:
        raise ValueError("must include a time zone, like 2026-11-27T10:00:00+00:00")
    try:
        return parsed.astimezone(dt.timezone.utc).isoformat()
    except OverflowError:
        raise ValueError("is a date too far in the past or future") from None


def _iso_date(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date like 2026-11-27") from None
    return value


def _email(value: str) -> str:
    if "@" not in value or len(value) > 320:
        raise ValueError("must be an e-mail address")
    return value


def _phase_seconds(value: str) -> str:
    try:
        parsed = json.loads(value)
    except ValueError:
        raise ValueError("must be JSON text of seconds per phase, like {\"reflection\": 420.0}") from None
    if not isinstance(parsed, dict) or not all(
        isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool) for k, v in parsed.items()
    ):
        raise ValueError("must be JSON text of seconds per phase, like {\"reflection\": 420.0}")
    return value


Stamp = Annotated[str, AfterValidator(_iso_datetime)]
Day = Annotated[str, AfterValidator(_iso_date)]
Email = Annotated[str, AfterValidator(_email)]
Ref = Annotated[int, Field(ge=1)]
Line = Annotated[str, Field(max_length=LINE_LIMIT)]
Text = Annotated[str, Field(max_length=TEXT_LIMIT)]
Key = Annotated[str, Field(min_length=1, max_length=200)]
Version = Annotated[int, Field(ge=1)]


class _Row(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class PersonRow(_Row):
    email: Email
    display_name: Annotated[str, Field(min_length=1, max_length=200)]


class PairingRow(_Row):
    id: Ref
    mentee: Email
    pal: Email
    cadence_days: Annotated[int, Field(ge=1, le=366)]
    session_minutes: Annotated[int, Field(ge=10, le=120)]
    created_at: Stamp
    is_sample: bool


class KpiRow(_Row):
    pairing_id: Ref
    text: Line


class SessionRow(_Row):
    id: Ref
    pairing_id: Ref
    scheduled_at: Stamp
    status: SessionStatus
    started_at: Stamp | None
    ended_at: Stamp | None
    rating: Annotated[int, Field(ge=1, le=10)] | None
    rating_why: Text
    rating_plus_one: Text
    agenda_shared_at: Stamp | None
    current_phase: Phase
    phase_seconds: Annotated[str, AfterValidator(_phase_seconds)]
    timer_running_since: Stamp | None
    next_session_at: Stamp | None
    version: Version


class AgendaRow(_Row):
    session_id: Ref
    kind: AgendaKind
    text: Line
    position: int


class NoteRow(_Row):
    session_id: Ref
    phase: Phase
    question_key: Key
    question_text: Text
    body: Text
    author: Email
    visibility: Visibility
    owner: Email | None
    version: Version
    updated_at: Stamp

    @model_validator(mode="after")
    def _owner_matches_visibility(self) -> NoteRow:
        if (self.visibility == Visibility.PRIVATE) != (self.owner is not None):
            raise ValueError("owner must be the author's e-mail for a private note and null for a shared one")
        return self


class ActionRow(_Row):
    id: Ref
    pairing_id: Ref
    text: Line
    owner: Role
    due_date: Day | None
    status: ActionStatus
    blocker: Text
    from_session_id: Ref | None
    closed_in_session_id: Ref | None
    created_at: Stamp
    version: Version


class ActionEventRow(_Row):
    action_id: Ref
    session_id: Ref | None
    at: Stamp
    status: ActionStatus
    note: Text
    by: Email | None


class GoalRow(_Row):
    pairing_id: Ref
    session_id: Ref | None
    text: Line
    kpi: Line
    smart_json: Text
    done: bool
    prep: bool
    version: Version


class CustomQuestionRow(_Row):
    id: Ref
    pairing_id: Ref
    section: Annotated[str, Field(min_length=1, max_length=40)]
    text: Line
    created_by: Email | None
    created_at: Stamp


class SeenRow(_Row):
    pairing_id: Ref
    question_id: Key
    session_id: Ref


class PinRow(_Row):
    pairing_id: Ref
    question_id: Key


class SummaryRow(_Row):
    session_id: Ref
    body: Text
    source: Annotated[str, Field(min_length=1, max_length=40)]
    version: Version
    edited_by: Email | None
    edited_at: Stamp
    agreed_by_mentee_at: Stamp | None
    agreed_by_pal_at: Stamp | None


class RevisionRow(_Row):
    session_id: Ref
    version: Version
    body: Text
    edited_by: Email | None
    edited_at: Stamp


_PERSON_FIELDS = {
    "pairings": ("mentee", "pal"), "notes": ("author", "owner"), "action_events": ("by",),
    "custom_questions": ("created_by",), "summaries": ("edited_by",), "summary_revisions": ("edited_by",),
}


class ExportDocument(_Row):
    """The JSON file. Ids are the file's own (1, 2, 3… per table), not a database's."""

    format: Literal["pal-sessions-export"]
    version: Literal[1]
    exported_at: Stamp
    exported_by: Email
    people: list[PersonRow]
    pairings: list[PairingRow]
    kpis: list[KpiRow]
    sessions: list[SessionRow]
    agenda_items: list[AgendaRow]
    notes: list[NoteRow]
    actions: list[ActionRow]
    action_events: list[ActionEventRow]
    goals: list[GoalRow]
    custom_questions: list[CustomQuestionRow]
    questions_seen: list[SeenRow]
    questions_pinned: list[PinRow]
    summaries: list[SummaryRow]
    summary_revisions: list[RevisionRow]

    def reference_problems(self) -> list[str]:
        """Rows that point at a pairing, session, action or person the file lacks."""
        problems: list[str] = []
        people = {p.email.casefold() for p in self.people}
        ids = {
            "pairing": {p.id for p in self.pairings},
            "session": {s.id for s in self.sessions},
            "action": {a.id for a in self.actions},
        }
        for table in ("pairings", "sessions", "actions", "custom_questions"):
            seen: set[int] = set()
            for i, row in enumerate(getattr(self, table)):
                if row.id in seen:
                    problems.append(f"{table}[{i}].id: {row.id} is used twice")
                seen.add(row.id)
        for table, rows in self.model_dump(exclude={"format", "version", "exported_at", "exported_by", "people"}).items():
            for i, row in enumerate(rows):
                for field, value in row.items():
                    target = {"pairing_id": "pairing", "session_id": "session", "from_session_id": "session",
                              "closed_in_session_id": "session", "action_id": "action"}.get(field)
                    if target and value is not None and value not in ids[target]:
                        problems.append(f"{table}[{i}].{field}: there is no {target} {value} in the file")
                    if field in _PERSON_FIELDS.get(table, ()) and value is not None and value.casefold() not in people:
                        problems.append(f"{table}[{i}].{field}: {value} is not listed in people")
        return problems


def _canonical(rows: dict[str, list[dict]], actor_email: str) -> dict:
    """The store's rows with the file's own ids: numbered 1, 2, 3… in database order, so
    the same data exports to the same file from any database."""
    maps: dict[str, dict[int, int]] = {
        name: {row["id"]: ref for ref, row in enumerate(rows.get(table, []), 1)}
        for name, table in (("pairing", "pairings"), ("session", "sessions"), ("action", "actions"),
                            ("custom", "custom_questions"))
    }

    def ref(kind: str, value: int | None) -> int | None:
        return None if value is None else maps[kind].get(value)

    def key(question_id: str) -> str:
        found = _CUSTOM_KEY.fullmatch(question_id)
        if found and int(found[1]) in maps["custom"]:
            return f"custom-{maps['custom'][int(found[1])]}"
        return question_id

    def rows_of(table: str, drop_id: bool = True, **changes) -> list[dict]:
        out = []
        for row in rows.get(table, []):
            new = {k: v for k, v in row.items() if not (drop_id and k == "id")}
            for field, change in changes.items():
                new[field] = change(row)
            out.append(new)
        return out

    doc = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "exported_by": actor_email,
        "people": rows.get("people", []),
        "pairings": rows_of("pairings", False, id=lambda r: ref("pairing", r["id"]), is_sample=lambda r: bool(r["is_sample"])),
        "kpis": rows_of("kpis", pairing_id=lambda r: ref("pairing", r["pairing_id"])),
        "sessions": rows_of("sessions", False, id=lambda r: ref("session", r["id"]),
                            pairing_id=lambda r: ref("pairing", r["pairing_id"])),
        "agenda_items": rows_of("agenda_items", session_id=lambda r: ref("session", r["session_id"])),
        "notes": rows_of("notes", session_id=lambda r: ref("session", r["session_id"]),
                         question_key=lambda r: key(r["question_key"])),
        "actions": rows_of("actions", False, id=lambda r: ref("action", r["id"]),
                           pairing_id=lambda r: ref("pairing", r["pairing_id"]),
                           from_session_id=lambda r: ref("session", r["from_session_id"]),
                           closed_in_session_id=lambda r: ref("session", r["closed_in_session_id"])),
        "action_events": rows_of("action_events", action_id=lambda r: ref("action", r["action_id"]),
                                 session_id=lambda r: ref("session", r["session_id"])),
        "goals": rows_of("goals", pairing_id=lambda r: ref("pairing", r["pairing_id"]),
                         session_id=lambda r: ref("session", r["session_id"]),
                         done=lambda r: bool(r["done"]), prep=lambda r: bool(r["prep"])),
        "custom_questions": rows_of("custom_questions", False, id=lambda r: ref("custom", r["id"]),
                                    pairing_id=lambda r: ref("pairing", r["pairing_id"])),
        # A "seen" mark of a session that no longer exists means nothing: it is left out.
        "questions_seen": sorted(
            (row for row in rows_of("questions_seen", pairing_id=lambda r: ref("pairing", r["pairing_id"]),
                                    question_id=lambda r: key(r["question_id"]),
                                    session_id=lambda r: ref("session", r["session_id"]))
             if row["session_id"] is not None),
            key=lambda r: (r["pairing_id"], r["question_id"]),
        ),
        "questions_pinned": sorted(
            rows_of("questions_pinned", pairing_id=lambda r: ref("pairing", r["pairing_id"]),
                    question_id=lambda r: key(r["question_id"])),
            key=lambda r: (r["pairing_id"], r["question_id"]),
        ),
        "summaries": rows_of("summaries", session_id=lambda r: ref("session", r["session_id"])),
        "summary_revisions": rows_of("summary_revisions", session_id=lambda r: ref("session", r["session_id"])),
    }
    return doc


def export_document(store: Store, actor: int) -> dict:
    """All of the actor's pairings, as the JSON document (a dict)."""
    person = store.person(actor)
    if person is None:
        raise ImportProblem("That person does not exist.")
    return _canonical(store.export_rows(actor), person.email)


def export_json(store: Store, actor: int) -> str:
    return json.dumps(export_document(store, actor), ensure_ascii=False, indent=1)


def _where(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "the file"


def read_export(data: bytes | str) -> ExportDocument:
    """The validated document. :raises ImportProblem: naming the first fields that are
    wrong (type, value, or a reference to a row the file lacks)."""
    if isinstance(data, bytes):
        if len(data) > MAX_IMPORT_BYTES:
            raise ImportProblem(f"The file is larger than {MAX_IMPORT_BYTES // 2**20} MB: it is not a PAL Sessions export.")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportProblem("The file is not UTF-8 text: choose the .json file PAL Sessions exported.") from None
    try:
        raw = json.loads(data)
    except RecursionError:
        raise ImportProblem("The file is nested too deeply to be a PAL Sessions export. Nothing was imported.") from None
    except json.JSONDecodeError as error:
        raise ImportProblem(
            f"The file is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}). "
            "Choose the .json file PAL Sessions exported, unchanged."
        ) from None
    if not isinstance(raw, dict) or raw.get("format") != EXPORT_FORMAT:
        raise ImportProblem("This is not a PAL Sessions export (its \"format\" is not \"pal-sessions-export\").")
    try:
        doc = ExportDocument.model_validate_json(data)
    except RecursionError:
        raise ImportProblem("The file is nested too deeply to be a PAL Sessions export. Nothing was imported.") from None
    except ValidationError as error:
        problems = [
            f"{_where(e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            + (f" (found {json.dumps(e['input'])[:60]})" if e["type"] not in ("missing", "extra_forbidden")
               and not isinstance(e.get("input"), (dict, list)) else "")
            for e in error.errors(include_url=False)
        ]
        raise ImportProblem(_problem_message(problems)) from None
    if problems := doc.reference_problems():
        raise ImportProblem(_problem_message(problems))
    return doc


def _problem_message(problems: list[str]) -> str:
    shown = "; ".join(problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return f"The file can't be imported: {shown}{more}. Nothing was imported."


def import_json(store: Store, actor: int, data: bytes | str) -> list[int]:
    """Validate the file and add its pairings in one transaction; the new pairing ids.

    :raises ImportProblem: when the file is not a valid export (nothing is written).
    :raises StoreError: when it does not fit this database (nothing is written).
    """
    doc = read_export(data)
    return store.import_rows(actor, doc.model_dump(mode="json", exclude={"format", "version", "exported_at", "exported_by"}))
