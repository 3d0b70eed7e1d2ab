"""The heads-up the mentee sends ~48 hours before the session, and whether it is on time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pal_core.models import AgendaItem, AgendaKind, Pairing, Session

HEADS_UP_BEFORE = dt.timedelta(hours=48)


@dataclass(frozen=True)
class Timing:
    late: bool
    message: str


def _span(delta: dt.timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours >= 48:
        return f"{hours // 24} days"
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{max(1, int(delta.total_seconds() // 60))} minutes"


def timing(session: Session, now: dt.datetime) -> Timing:
    """Whether the heads-up went (or can still go) 48 hours before the session."""
    deadline = session.scheduled_at - HEADS_UP_BEFORE
    if session.agenda_shared_at is not None:
        if session.agenda_shared_at > deadline:
            early = session.scheduled_at - session.agenda_shared_at
            return Timing(True, f"It went {_span(early)} before the session — later than the 48 hours your PAL needs to prepare.")
        return Timing(False, "That was in good time: at least 48 hours before the session.")
    if now < deadline:
        return Timing(False, f"Send it within {_span(deadline - now)} to give your PAL 48 hours to prepare.")
    if now < session.scheduled_at:
        return Timing(True, f"The session is in {_span(session.scheduled_at - now)}: less than 48 hours away, so send it as soon as you can.")
    return Timing(True, "The session time has passed: share what you prepared so it is on record.")


def message(pairing: Pairing, session: Session, agenda: list[AgendaItem], tz: dt.tzinfo) -> str:
    when = session.scheduled_at.astimezone(tz).strftime("%A %d %B at %H:%M")
    lines = [f"Hi {pairing.pal_name}! Ahead of our PAL session on {when}, here's what I'd like to cover:"]
    sections = (
        (AgendaKind.POINT, "Discussion points"),
        (AgendaKind.HELP, "Where I'd like your help"),
        (AgendaKind.QUESTION, "Questions for you"),
    )
    for kind, title in sections:
        points = [item.text for item in agenda if item.kind == kind]
        if points:
            lines += ["", f"{title}:", *(f"• {text}" for text in points)]
    if session.rating:
        lines += ["", f"How I'm doing: {session.rating}/10." + (f" {session.rating_why}" if session.rating_why else "")]
    if len(lines) == 1:
        lines += ["", "(No points yet — add them on the Prepare page.)"]
    lines += ["", "Thanks!", pairing.mentee_name]
    return "\n".join(lines)
