"""Domain model: what a pairing, a session and everything said in it are.

Validation happens here, at the edge, with messages a person can act on; the store
only ever writes values that passed through these models.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

TEXT_LIMIT = 20_000  # characters in any free-text field (a note, a summary)
LINE_LIMIT = 500  # characters in a one-line field (an agenda point, a goal, an action)
SESSION_MINUTES = (10, 120)


class Phase(StrEnum):
    OPENING = "opening"
    REFLECTION = "reflection"
    DEVELOPMENT = "development"
    PLANNING = "planning"
    CLOSING = "closing"


# Share of the session length each phase may take (the guide's 30/30/30 with brief
# opening and closing moments).
PHASE_SHARE = {
    Phase.OPENING: 0.05,
    Phase.REFLECTION: 0.30,
    Phase.DEVELOPMENT: 0.30,
    Phase.PLANNING: 0.30,
    Phase.CLOSING: 0.05,
}


class Role(StrEnum):
    MENTEE = "mentee"
    PAL = "pal"


class Visibility(StrEnum):
    SHARED = "shared"
    PRIVATE = "private"


class SessionStatus(StrEnum):
    DRAFT = "draft"
    AGENDA_SHARED = "agenda_shared"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    DROPPED = "dropped"


CLOSED_ACTION_STATUSES = (ActionStatus.DONE, ActionStatus.DROPPED)


class AgendaKind(StrEnum):
    POINT = "point"  # a discussion point
    HELP = "help"  # something the mentee wants help with
    QUESTION = "question"  # a question for the PAL


def _clean(text: str, limit: int, what: str) -> str:
    # NUL bytes break SQLite text handling in some tools and never mean anything.
    text = text.replace("\x00", "").strip()
    if len(text) > limit:
        raise ValueError(
            f"{what} is {len(text):,} characters long; the limit is {limit:,}. "
            "Shorten it or split it in two."
        )
    return text


def _required_line(text: str) -> str:
    text = _clean(text, LINE_LIMIT, "This line")
    if not text:
        raise ValueError("This can't be empty: write a few words.")
    return text


def _optional_text(text: str) -> str:
    return _clean(text, TEXT_LIMIT, "This text")


RequiredLine = Annotated[str, AfterValidator(_required_line)]
FreeText = Annotated[str, AfterValidator(_optional_text)]
Rating = Annotated[
    int,
    Field(ge=1, le=10, description="How the mentee is doing, 1 (awful) to 10 (great)."),
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=False)


class Person(_Model):
    id: int
    email: str
    display_name: str


class Pairing(_Model):
    id: int
    mentee_id: int
    pal_id: int
    mentee_name: str
    pal_name: str
    cadence_days: int = 7
    session_minutes: int = 30
    is_sample: bool = False

    def role_of(self, person_id: int) -> Role:
        return Role.MENTEE if person_id == self.mentee_id else Role.PAL

    def other_name(self, person_id: int) -> str:
        return self.pal_name if person_id == self.mentee_id else self.mentee_name


class Session(_Model):
    id: int
    pairing_id: int
    scheduled_at: dt.datetime
    status: SessionStatus
    agenda_shared_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    rating: int | None = None
    rating_why: str = ""
    rating_plus_one: str = ""
    current_phase: Phase = Phase.OPENING
    phase_seconds: dict[str, float] = Field(default_factory=dict)  # time banked per phase
    timer_running_since: dt.datetime | None = None  # None while the timer is paused
    next_session_at: dt.datetime | None = None
    version: int = 1


class NewSession(_Model):
    scheduled_at: dt.datetime

    @classmethod
    def at(cls, when: dt.datetime, *, now: dt.datetime) -> NewSession:
        """:raises ValueError: when `when` is in the past, too far ahead, or has no time zone."""
        if when.tzinfo is None:
            raise ValueError("The time needs a time zone; this is a bug in the page, please report it.")
        if when < now - dt.timedelta(minutes=5):
            raise ValueError("That time is in the past: pick a date and time that is still ahead.")
        if when > now + dt.timedelta(days=366):
            raise ValueError("That is more than a year away: schedule sessions at most a year ahead.")
        return cls(scheduled_at=when)


class RatingInput(_Model):
    rating: Rating | None = None
    why: FreeText = ""
    plus_one: FreeText = ""


class AgendaItem(_Model):
    id: int
    session_id: int
    kind: AgendaKind
    text: str
    position: int


class Note(_Model):
    id: int
    session_id: int
    phase: Phase
    question_key: str  # a bank question id, or a fixed slot such as "reflection:successes"
    question_text: str
    body: str
    author_id: int
    visibility: Visibility
    version: int
    updated_at: dt.datetime


class ActionItem(_Model):
    id: int
    pairing_id: int
    text: str
    owner: Role
    due_date: dt.date | None
    status: ActionStatus
    blocker: str = ""
    from_session_id: int | None = None
    closed_in_session_id: int | None = None
    created_at: dt.datetime
    version: int = 1


class NewAction(_Model):
    text: RequiredLine
    owner: Role
    due_date: dt.date | None = None


class ActionEvent(_Model):
    action_id: int
    session_id: int | None
    at: dt.datetime
    status: ActionStatus
    note: str
    by_name: str


class Goal(_Model):
    id: int
    pairing_id: int
    session_id: int | None
    text: str
    kpi: str = ""
    smart_json: str = ""
    done: bool = False
    prep: bool = False  # drafted while preparing: private until the agenda is shared
    version: int = 1


class Kpi(_Model):
    id: int
    pairing_id: int
    text: str


class Summary(_Model):
    session_id: int
    body: str
    source: str  # "offline" or "llm"
    version: int
    edited_by_name: str
    edited_at: dt.datetime
    agreed_by_mentee_at: dt.datetime | None = None
    agreed_by_pal_at: dt.datetime | None = None
