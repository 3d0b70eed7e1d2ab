"""A clearly marked sample pairing so a newcomer can explore the app at once.

Built only through the public Store API, acting as the newcomer (the mentee) and as a
sample PAL account that has no password and so can never sign in.
"""

from __future__ import annotations

import datetime as dt
import secrets

from pal_core import summary
from pal_core.models import ActionStatus, AgendaKind, NewAction, NewSession, Pairing, Person, Phase, RatingInput, Role
from pal_core.store import Store, now_utc

SAMPLE_PAL_NAME = "Sam Sample"
_WEEKS = [
    # rating, why, +1, success, challenge, action, status at the next session
    (6, "Busy sprint, the auth flow fought back.", "Pair with someone on auth for an hour.",
     "Wrapped up the API integration.", "Struggled with the auth flow; tried two approaches.",
     "Book a pairing hour on the auth flow with Priya by Thursday", ActionStatus.DONE),
    (7, "Auth flow done, feeling steadier.", "Get earlier feedback on PRs.",
     "Auth flow merged after the pairing hour.", "Code review comments on performance.",
     "Write and merge 10 unit tests for the billing module by next Friday", ActionStatus.IN_PROGRESS),
    (8, "Tests are landing and reviews are quicker.", "Present the testing approach at the team demo.",
     "6 of 10 tests merged; review time down.", "Flaky CI slowed two merges.",
     "Present the testing approach at the Thursday team demo", ActionStatus.OPEN),
]


def load_sample(store: Store, person: Person) -> Pairing:
    """Create the sample pairing with three past sessions and one upcoming."""
    pal = store.create_person(f"sample-pal-{secrets.token_hex(4)}@example.invalid", SAMPLE_PAL_NAME, None)
    pairing = store.accept_invite(person.id, store.create_invite(pal.id, Role.PAL))
    store.mark_sample(person.id, pairing.id)
    store.add_kpi(person.id, pairing.id, "Code review turnaround under 24 hours")
    store.add_kpi(person.id, pairing.id, "Test coverage of the billing module")
    start = now_utc().replace(minute=0, second=0, microsecond=0) - dt.timedelta(weeks=len(_WEEKS))
    previous = None  # last week's action and the status it reached by this week
    for week, (rating, why, plus_one, success, challenge, action, status) in enumerate(_WEEKS):
        session = store.schedule_session(person.id, pairing.id, NewSession(scheduled_at=start + dt.timedelta(weeks=week)))
        store.add_agenda_item(person.id, session.id, AgendaKind.POINT, challenge)
        store.save_rating(person.id, session.id, RatingInput(rating=rating, why=why, plus_one=plus_one))
        store.share_agenda(person.id, session.id)
        store.save_note(person.id, session.id, Phase.REFLECTION, "reflection:successes", success, expected_version=None)
        store.save_note(pal.id, session.id, Phase.REFLECTION, "reflection:challenges", challenge, expected_version=None)
        if previous is not None:
            store.update_action_status(person.id, previous[0].id, previous[1], session_id=session.id)
        new_action = store.add_action(
            person.id, session.id,
            NewAction(text=action, owner=Role.MENTEE, due_date=(session.scheduled_at + dt.timedelta(days=6)).date()),
        )
        previous = (new_action, status)
        store.complete_session(person.id, session.id, session.scheduled_at + dt.timedelta(weeks=1))
        body = summary.offline_summary(summary.gather(store, person.id, session.id))
        store.save_summary(person.id, session.id, body, expected_version=None)
    store.schedule_session(person.id, pairing.id, NewSession(scheduled_at=start + dt.timedelta(weeks=len(_WEEKS), days=2)))
    return store.pairing(person.id, pairing.id)
