"""The world the trust tests (issue 6) probe: two pairings written through the core.

P1: Ava Quill (mentee) and Bram Oakes (PAL) with a completed session and its summary, a
live session and a session whose preparation Ava has not shared; shared notes, private
notes of both, agenda, rating, KPIs, a custom question, actions, goals and feedback.
P2: Cyd Outsider (mentee) and Dee Other (PAL), with a completed session of their own.

Every text of P1 carries a marker, so a leak anywhere (a page, a file, an AI request) is
one substring away: ``P1SECRET`` on what both members may see, ``P1PRIVATE-AVA`` /
``P1PRIVATE-BRAM`` on private notes, ``P1UNSHARED`` on Ava's unshared preparation.
Used by tests/test_trust.py, tests/e2e/test_access.py and tests/e2e/test_secrets.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pal_core import auth, summary
from pal_core.assist import OFFLINE
from pal_core.models import AgendaKind, NewAction, NewSession, Phase, RatingInput, Role, Visibility
from pal_core.store import Store

PASSWORD = "plum tree by the river"
SHARED = "P1SECRET"
PRIVATE_AVA = "P1PRIVATE-AVA"
PRIVATE_BRAM = "P1PRIVATE-BRAM"
UNSHARED = "P1UNSHARED"
P1_NAMES = ("Ava Quill", "Bram Oakes")
P1_EMAILS = ("ava.quill@example.com", "bram.oakes@example.com")
# Nothing of P1 may reach someone outside it: not its text, not its people.
P1_ALL = (SHARED, PRIVATE_AVA, PRIVATE_BRAM, UNSHARED, "Quill", "Oakes", *P1_EMAILS)
P2_OWN = "CYDOWN"  # on P2's texts: proves the outsider's own pages did render


@dataclass
class World:
    db_path: Path
    ava: int = 0
    bram: int = 0
    cyd: int = 0
    dee: int = 0
    p1: int = 0
    p2: int = 0
    done: int = 0  # P1, completed, with a summary
    live: int = 0  # P1, agenda shared, in the coming hours
    prep: int = 0  # P1, Ava's preparation not shared
    p2_done: int = 0
    p2_next: int = 0
    action: int = 0
    goal: int = 0
    agenda_item: int = 0
    note_ids: list[int] = field(default_factory=list)

    @property
    def p1_sessions(self) -> tuple[int, int, int]:
        return self.done, self.live, self.prep

    def email(self, who: str) -> str:
        return {"ava": P1_EMAILS[0], "bram": P1_EMAILS[1], "cyd": "cyd.outsider@example.com",
                "dee": "dee.other@example.com"}[who]


def _pair(store: Store, mentee: int, pal: int) -> int:
    return store.accept_invite(pal, store.create_invite(mentee, Role.MENTEE)).id


def _note(store: Store, actor: int, session: int, phase: Phase, slot: str, body: str, *,
          private: bool = False, question: str = "") -> int:
    return store.save_note(
        actor, session, phase, slot, body, visibility=Visibility.PRIVATE if private else Visibility.SHARED,
        question_text=question, expected_version=None,
    ).id


def build(db_path: Path, now: dt.datetime | None = None) -> World:
    """Write the world into the database file at ``db_path`` (a server may use it)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    w = World(Path(db_path))
    store = Store(db_path)
    try:
        w.ava = auth.sign_up(store, P1_EMAILS[0], P1_NAMES[0], PASSWORD).id
        w.bram = auth.sign_up(store, P1_EMAILS[1], P1_NAMES[1], PASSWORD).id
        w.cyd = auth.sign_up(store, w.email("cyd"), "Cyd Outsider", PASSWORD).id
        w.dee = auth.sign_up(store, w.email("dee"), "Dee Other", PASSWORD).id
        w.p1 = _pair(store, w.ava, w.bram)
        w.p2 = _pair(store, w.cyd, w.dee)
        ava, bram = w.ava, w.bram

        store.add_kpi(ava, w.p1, f"{SHARED} KPI review turnaround")
        qid = store.add_custom_question(bram, w.p1, "reflection", f"{SHARED} custom question?")

        # The completed session: everything, then completed (which drafts the summary).
        w.done = store.schedule_session(ava, w.p1, NewSession(scheduled_at=now - dt.timedelta(days=7))).id
        w.live = store.schedule_session(ava, w.p1, NewSession(scheduled_at=now + dt.timedelta(hours=2))).id
        done = w.done
        store.add_agenda_item(ava, done, AgendaKind.POINT, f"{SHARED} agenda point")
        w.agenda_item = store.agenda(ava, done)[0].id
        store.add_agenda_item(ava, done, AgendaKind.HELP, f"{SHARED} help wanted")
        store.save_rating(ava, done, RatingInput(rating=6, why=f"{SHARED} why six", plus_one=f"{SHARED} plus one"))
        store.add_goal(ava, done, f"{SHARED} prep goal shared later by Friday", prep=True)
        store.share_agenda(ava, done)
        w.note_ids += [
            _note(store, ava, done, Phase.OPENING, "opening:checkin", f"{SHARED} check-in"),
            _note(store, ava, done, Phase.REFLECTION, "reflection:successes", f"{SHARED} success"),
            _note(store, bram, done, Phase.DEVELOPMENT, "development:skills", f"{SHARED} skill"),
            _note(store, bram, done, Phase.REFLECTION, f"custom-{qid}", f"{SHARED} custom answer",
                  question=f"{SHARED} custom question?"),
            _note(store, ava, done, Phase.PLANNING, "planning:priority-1", f"{SHARED} priority"),
            _note(store, ava, done, Phase.CLOSING, "feedback:mentee:probe", f"{SHARED} feedback to Bram",
                  question="What should I keep doing?"),
            _note(store, bram, done, Phase.CLOSING, "feedback:pal:probe", f"{SHARED} feedback to Ava",
                  question="What went well?"),
            _note(store, ava, done, Phase.REFLECTION, "private", f"{PRIVATE_AVA} reflection", private=True),
            _note(store, bram, done, Phase.CLOSING, "private", f"{PRIVATE_BRAM} closing", private=True),
            _note(store, bram, done, Phase.OPENING, "pal:prep", f"{PRIVATE_BRAM} prep", private=True),
        ]
        action = store.add_action(bram, done, NewAction(
            text=f"{SHARED} action overdue", owner=Role.MENTEE, due_date=(now - dt.timedelta(days=2)).date()))
        w.action = action.id
        store.add_action(ava, done, NewAction(text=f"{SHARED} action done", owner=Role.PAL,
                                              due_date=(now + dt.timedelta(days=3)).date()))
        w.goal = store.add_goal(bram, done, f"{SHARED} goal ship the tests by Friday").id
        summary.complete_session(store, OFFLINE, ava, done, now + dt.timedelta(hours=2))
        done_action = next(a for a in store.session_actions(ava, done) if "done" in a.text)
        store.update_action_status(ava, done_action.id, "done", session_id=done)

        # The live session: shared agenda, notes of both, private notes of both.
        live = w.live
        store.add_agenda_item(ava, live, AgendaKind.POINT, f"{SHARED} live agenda")
        store.save_rating(ava, live, RatingInput(rating=7, why=f"{SHARED} live why", plus_one=f"{SHARED} live plus"))
        store.share_agenda(ava, live)
        w.note_ids += [
            _note(store, ava, live, Phase.REFLECTION, "reflection:successes", f"{SHARED} live success"),
            _note(store, bram, live, Phase.DEVELOPMENT, "development:stuck", f"{SHARED} live stuck"),
            _note(store, ava, live, Phase.REFLECTION, "private", f"{PRIVATE_AVA} live reflection", private=True),
            _note(store, ava, live, Phase.DEVELOPMENT, "private", f"{PRIVATE_AVA} live development", private=True),
            _note(store, ava, live, Phase.PLANNING, "private", f"{PRIVATE_AVA} live planning", private=True),
            _note(store, ava, live, Phase.CLOSING, "private", f"{PRIVATE_AVA} live closing", private=True),
            _note(store, bram, live, Phase.REFLECTION, "private", f"{PRIVATE_BRAM} live reflection", private=True),
            _note(store, bram, live, Phase.PLANNING, "private", f"{PRIVATE_BRAM} live planning", private=True),
            _note(store, bram, live, Phase.OPENING, "pal:prep", f"{PRIVATE_BRAM} live prep", private=True),
            _note(store, bram, live, Phase.OPENING, "pal:resources", f"{PRIVATE_BRAM} live resources", private=True),
        ]
        store.add_goal(bram, live, f"{SHARED} live goal write ten tests by Friday")

        # Ava's next session: prepared, not shared.
        w.prep = store.schedule_session(ava, w.p1, NewSession(scheduled_at=now + dt.timedelta(days=7))).id
        store.add_agenda_item(ava, w.prep, AgendaKind.POINT, f"{UNSHARED} agenda")
        store.save_rating(ava, w.prep, RatingInput(rating=3, why=f"{UNSHARED} why", plus_one=f"{UNSHARED} plus"))
        store.add_goal(ava, w.prep, f"{UNSHARED} goal by Friday", prep=True)

        # P2: the outsider's own pairing, with a completed session and a next one.
        w.p2_done = store.schedule_session(w.cyd, w.p2, NewSession(scheduled_at=now - dt.timedelta(days=3))).id
        store.share_agenda(w.cyd, w.p2_done)
        _note(store, w.cyd, w.p2_done, Phase.REFLECTION, "reflection:successes", f"{P2_OWN} success")
        store.add_action(w.dee, w.p2_done, NewAction(text=f"{P2_OWN} action", owner=Role.MENTEE,
                                                     due_date=(now + dt.timedelta(days=5)).date()))
        summary.complete_session(store, OFFLINE, w.cyd, w.p2_done, now + dt.timedelta(days=4))
        w.p2_next = store.sessions(w.cyd, w.p2, limit=1)[0].id
    finally:
        store.close()
    return w


def cookie_token(db_path: Path, person_id: int) -> str:
    """A remember-me token for the pal_token cookie, as signing in would issue."""
    store = Store(db_path)
    try:
        return auth.issue_token(store, store.person(person_id))
    finally:
        store.close()
