"""pal_core.summary: the facts, the offline template, the follow-up message, and
completing a session — on a session seeded through the store, with private notes of
both people that must never reach a summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from llm_server import malformed, ok
from pal_core import summary
from pal_core.assist import OFFLINE, Assistant
from pal_core.config import LLMSettings
from pal_core.models import ActionStatus, AgendaKind, NewAction, NewSession, Phase, RatingInput, Role, SessionStatus, \
    Visibility
from pal_core.store import StaleWrite, Store

UTC = dt.timezone.utc
PRIVATE_ANA = "PRIVATE-ANA-7f3a only mine"
PRIVATE_BEN = "PRIVATE-BEN-9c1d only mine"
PRIVATE_BEN_PREP = "PRIVATE-BEN-PREP-22aa resources"


@dataclass
class Seeded:
    store: Store
    ana: int  # mentee
    ben: int  # PAL
    pairing: int
    earlier: int  # the session before
    session: int  # the session summarised


def pair(store: Store, mentee=("ana@example.com", "Ana"), pal=("ben@example.com", "Ben")) -> tuple[int, int, int]:
    ana = store.create_person(*mentee, None).id
    ben = store.create_person(*pal, None).id
    code = store.create_invite(ana, Role.MENTEE)
    return ana, ben, store.accept_invite(ben, code).id


def at(days: float, hour: int = 10) -> dt.datetime:
    base = dt.datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + dt.timedelta(days=days)


def seed_session(store: Store) -> Seeded:
    """Two sessions: the earlier one agreed actions; the later one is the full session."""
    ana, ben, pid = pair(store)
    earlier = store.schedule_session(ana, pid, NewSession(scheduled_at=at(-8))).id
    carried = store.add_action(ben, earlier, NewAction(text="Finish the onboarding guide", owner=Role.MENTEE))
    closed = store.add_action(ben, earlier, NewAction(text="Send Ana the design-review checklist", owner=Role.PAL))
    store.complete_session(ben, earlier, None)

    sid = store.schedule_session(ana, pid, NewSession(scheduled_at=at(-1))).id
    store.add_kpi(ana, pid, "Code review turnaround under 24 h")
    store.add_agenda_item(ana, sid, AgendaKind.POINT, "Feedback on my first design doc")
    store.add_agenda_item(ana, sid, AgendaKind.HELP, "Estimating work more reliably")
    store.add_agenda_item(ana, sid, AgendaKind.QUESTION, "How did you learn system design?")
    store.save_rating(ana, sid, RatingInput(rating=7, why="Shipped the import feature", plus_one="Less context switching"))
    store.share_agenda(ana, sid)

    def note(who, phase, key, body, *, private=False, question=""):
        store.save_note(who, sid, phase, key, body, visibility=Visibility.PRIVATE if private else Visibility.SHARED,
                        question_text=question, expected_version=None)

    note(ana, Phase.OPENING, "opening:checkin", "A bit tired after the release")
    note(ana, Phase.REFLECTION, "reflection:successes", "Shipped the CSV import\nwith 95% test coverage")
    note(ben, Phase.REFLECTION, "reflection:challenges", "Estimates slipped by two days")
    note(ana, Phase.REFLECTION, "refl-proudest-achievements", "Pairing with Carla helped", question="Notes")
    note(ben, Phase.DEVELOPMENT, "development:skills", "Breaking work into half-day tasks")
    note(ben, Phase.DEVELOPMENT, "development:resources", "Read 'Software Estimation' chapter 3")
    note(ana, Phase.PLANNING, "planning:priority-2", "Review two PRs a day")
    note(ana, Phase.PLANNING, "planning:priority-1", "Split the next epic before Monday")
    note(ana, Phase.CLOSING, "feedback:mentee:fb-project-handoff-guidance", "Yes, the checklist saved me hours",
         question="Was my guidance during your recent project handoff helpful?")
    note(ben, Phase.CLOSING, "feedback:pal:fb-to-mentee-preparation", "Your agenda was clear and early",
         question="How useful was the preparation you shared?")
    # Private notes of both people, in several phases and slots.
    note(ana, Phase.REFLECTION, "private", PRIVATE_ANA, private=True)
    note(ana, Phase.CLOSING, "private", PRIVATE_ANA + " closing", private=True)
    note(ben, Phase.DEVELOPMENT, "private", PRIVATE_BEN, private=True)
    note(ben, Phase.OPENING, "pal:resources", PRIVATE_BEN_PREP, private=True)

    store.add_goal(ana, sid, "Cut estimate error to under 20% by the end of the quarter", "Code review turnaround under 24 h")
    store.add_action(ana, sid, NewAction(text="Split the billing epic into tasks", owner=Role.MENTEE,
                                         due_date=dt.date(2031, 3, 7)))
    store.add_action(ben, sid, NewAction(text="Introduce Ana to the staff engineer", owner=Role.PAL,
                                         due_date=dt.date(2031, 3, 10)))
    store.add_action(ana, sid, NewAction(text="Write down three estimation lessons", owner=Role.MENTEE))
    store.update_action_status(ben, closed.id, ActionStatus.DONE, session_id=sid)
    store.update_action_status(ana, carried.id, ActionStatus.BLOCKED, blocker="Waiting for the platform team", session_id=sid)
    return Seeded(store, ana, ben, pid, earlier, sid)


@pytest.fixture
def seeded(store) -> Seeded:
    return seed_session(store)


PRIVATE_MARKERS = (PRIVATE_ANA, PRIVATE_BEN, PRIVATE_BEN_PREP, "PRIVATE-")


def assert_no_private(text: str) -> None:
    for marker in PRIVATE_MARKERS:
        assert marker not in text


# --- the facts ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["ana", "ben"])
def test_gather_keeps_shared_content_only_even_for_the_author(seeded, who):
    facts = summary.gather(seeded.store, getattr(seeded, who), seeded.session)
    dumped = facts.model_dump_json()
    assert_no_private(dumped)
    # The store does return the actor's own private notes: gather is what drops them.
    own = seeded.store.notes(getattr(seeded, who), seeded.session)
    assert any(n.visibility == Visibility.PRIVATE for n in own)
    assert facts.rating == 7 and facts.rating_plus_one == "Less context switching"
    assert facts.priorities == ["Split the next epic before Monday", "Review two PRs a day"]
    assert [f.giver for f in facts.feedback] == [Role.MENTEE, Role.PAL]
    labels = [n.label for p in facts.takeaways for n in p.notes]
    assert labels[:2] == ["Check-in", "Successes"]
    assert "Challenges" in labels and "Skills to improve" in labels


def test_gather_is_the_same_for_both_people(seeded):
    assert summary.gather(seeded.store, seeded.ana, seeded.session) == summary.gather(seeded.store, seeded.ben, seeded.session)


def test_unshared_preparation_stays_out(store):
    ana, ben, pid = pair(store)
    sid = store.schedule_session(ana, pid, NewSession(scheduled_at=at(1))).id
    store.save_rating(ana, sid, RatingInput(rating=3, why="UNSHARED-WHY", plus_one="UNSHARED-PLUS"))
    store.add_agenda_item(ana, sid, AgendaKind.POINT, "UNSHARED-POINT")
    store.add_goal(ana, sid, "UNSHARED-GOAL by Friday", prep=True)
    for who in (ana, ben):
        text = summary.offline_summary(summary.gather(store, who, sid))
        assert "UNSHARED" not in text and "3/10" not in text


def test_bank_question_notes_are_labelled_with_the_question(seeded):
    facts = summary.gather(seeded.store, seeded.ana, seeded.session)
    reflection = next(p for p in facts.takeaways if p.phase == Phase.REFLECTION)
    labels = {n.label for n in reflection.notes}
    assert "What achievements are you most proud of since our last meeting?" in labels
    assert "Notes" not in labels and "refl-proudest-achievements" not in labels


# --- the offline template -----------------------------------------------------------------


def test_offline_summary_has_every_part(seeded):
    text = summary.offline_summary(summary.gather(seeded.store, seeded.ben, seeded.session))
    assert_no_private(text)
    for expected in (
        "# Session summary: Ana & Ben",
        "**7/10** — Shipped the import feature",
        "**What would make it +1:** Less context switching",
        "Feedback on my first design doc", "Estimating work more reliably", "How did you learn system design?",
        "**Successes:** Shipped the CSV import\n  with 95% test coverage",
        "**Challenges:** Estimates slipped by two days",
        "1. Split the next epic before Monday", "2. Review two PRs a day",
        "Cut estimate error to under 20% by the end of the quarter (KPI: Code review turnaround under 24 h)",
        "- [ ] Split the billing epic into tasks — **Ana**, due Fri 7 Mar 2031",
        "- [ ] Introduce Ana to the staff engineer — **Ben**, due Mon 10 Mar 2031",
        "- [ ] Write down three estimation lessons — **Ana**, no due date",
        "Finish the onboarding guide — **Ana**, no due date — blocked (Waiting for the platform team)",
        "- [x] Send Ana the design-review checklist — **Ben**, no due date — done",
        "**Ana → Ben**", "*Was my guidance during your recent project handoff helpful?* Yes, the checklist saved me hours",
        "**Ben → Ana**", "Your agenda was clear and early",
        "## Next session",
    ):
        assert expected in text, expected
    assert text.index("## Agreed actions") < text.index("## Earlier action points") < text.index("## Feedback")


def test_offline_summary_of_an_empty_session_says_what_is_missing(store):
    ana, ben, pid = pair(store)
    sid = store.schedule_session(ana, pid, NewSession(scheduled_at=at(1))).id
    text = summary.offline_summary(summary.gather(store, ben, sid))
    assert "No shared notes were taken" in text and "No new actions were agreed." in text
    assert "Not scheduled yet" in text




# --- the follow-up message ----------------------------------------------------------------


def test_follow_up_from_the_mentee(seeded):
    facts = summary.gather(seeded.store, seeded.ana, seeded.session)
    text = summary.follow_up_message(facts, Role.MENTEE)
    assert text.startswith("Hi Ben,") and text.rstrip().endswith("Ana")
    assert "- Me: Split the billing epic into tasks — by Fri 7 Mar 2031" in text
    assert "- You: Introduce Ana to the staff engineer — by Mon 10 Mar 2031" in text
    assert "I'm at 7/10; what would make it +1: Less context switching" in text
    assert "Still open from earlier:" in text and "Finish the onboarding guide" in text
    assert "Successes: Shipped the CSV import with 95% test coverage" in text
    assert_no_private(text)


def test_follow_up_from_the_pal(seeded):
    text = summary.follow_up_message(summary.gather(seeded.store, seeded.ben, seeded.session), Role.PAL)
    assert text.startswith("Hi Ana,") and text.rstrip().endswith("Ben")
    assert "- You: Split the billing epic into tasks" in text and "- Me: Introduce Ana to the staff engineer" in text
    assert "7/10" not in text
    assert_no_private(text)


# --- completing a session -----------------------------------------------------------------


def test_complete_session_completes_schedules_and_drafts(seeded):
    store = seeded.store
    next_at = at(6, hour=9)
    drafted = summary.complete_session(store, OFFLINE, seeded.ana, seeded.session, next_at)
    session = store.session(seeded.ana, seeded.session)
    assert session.status == SessionStatus.COMPLETED and session.next_session_at == next_at
    scheduled = store.sessions_near(seeded.ana, seeded.pairing, next_at, dt.timedelta(minutes=1))
    assert len(scheduled) == 1
    saved = store.summary(seeded.ben, seeded.session)
    assert (drafted.source, drafted.notice, saved.body, saved.source) == ("offline", None, drafted.text, "offline")
    assert summary.format_when(next_at) in saved.body
    assert_no_private(saved.body)
    assert len(store.summary_revisions(seeded.ana, seeded.session)) == 1


def test_complete_session_twice_is_harmless(seeded):
    store = seeded.store
    next_at = at(6)
    first = summary.complete_session(store, OFFLINE, seeded.ana, seeded.session, next_at)
    version = store.session(seeded.ana, seeded.session).version
    second = summary.complete_session(store, OFFLINE, seeded.ben, seeded.session, next_at)
    assert second.text == first.text
    assert store.session(seeded.ana, seeded.session).version == version
    assert store.count_sessions(seeded.ana, seeded.pairing) == 3
    assert len(store.summary_revisions(seeded.ana, seeded.session)) == 1


def test_an_existing_session_near_the_date_is_the_next_one(seeded):
    store = seeded.store
    existing = store.schedule_session(seeded.ana, seeded.pairing, NewSession(scheduled_at=at(6, hour=14))).id
    summary.complete_session(store, OFFLINE, seeded.ben, seeded.session, at(6, hour=9))
    assert store.count_sessions(seeded.ana, seeded.pairing) == 3
    assert store.session(seeded.ana, seeded.session).next_session_at == store.session(seeded.ana, existing).scheduled_at


def test_a_past_next_date_changes_nothing(seeded):
    with pytest.raises(ValueError, match="past"):
        summary.complete_session(seeded.store, OFFLINE, seeded.ana, seeded.session, at(-3))
    assert seeded.store.session(seeded.ana, seeded.session).status != SessionStatus.COMPLETED
    assert seeded.store.summary(seeded.ana, seeded.session) is None


def test_complete_without_a_next_date(seeded):
    drafted = summary.complete_session(seeded.store, OFFLINE, seeded.ana, seeded.session, None)
    assert "## Next session" in drafted.text
    assert seeded.store.count_sessions(seeded.ana, seeded.pairing) == 2


def test_the_existing_summary_wins_a_race(seeded):
    store = seeded.store
    store.complete_session(seeded.ana, seeded.session, None)
    store.save_summary(seeded.ben, seeded.session, "Ben's words", expected_version=None)
    drafted = summary.ensure_summary(store, OFFLINE, seeded.ana, seeded.session)
    assert drafted.text == "Ben's words"


def test_redraft_keeps_the_old_text_in_the_revisions(seeded):
    store = seeded.store
    summary.complete_session(store, OFFLINE, seeded.ana, seeded.session, None)
    edited = store.save_summary(seeded.ben, seeded.session, "Edited by Ben", expected_version=1)
    saved, drafted = summary.redraft(store, OFFLINE, seeded.ana, seeded.session, edited.version)
    assert saved.version == 3 and saved.body == drafted.text
    assert [r[1] for r in store.summary_revisions(seeded.ana, seeded.session)][1] == "Edited by Ben"
    with pytest.raises(StaleWrite):
        summary.redraft(store, OFFLINE, seeded.ana, seeded.session, edited.version)


# --- the LLM path, against the scripted OpenAI-compatible test server ---------------------------


def llm(url: str, store: Store | None = None) -> Assistant:
    return Assistant(LLMSettings(base_url=url, model="test-model", api_key="sk-test", budget_s=5.0), store, backoff_s=0.01)


def test_llm_summary_is_saved_and_was_sent_shared_facts_only(seeded, llm_server):
    llm_server.script(ok({"summary_markdown": "## Takeaways\n- Ana shipped the CSV import"}))
    drafted = summary.complete_session(seeded.store, llm(llm_server.base_url, seeded.store), seeded.ana, seeded.session, at(6))
    assert (drafted.source, drafted.notice) == ("llm", None)
    saved = seeded.store.summary(seeded.ben, seeded.session)
    assert (saved.body, saved.source) == ("## Takeaways\n- Ana shipped the CSV import", "llm")
    sent = llm_server.raw_bodies[0].decode()
    assert "Split the billing epic into tasks" in sent and "Less context switching" in sent
    for marker in PRIVATE_MARKERS:
        assert marker not in sent


def test_llm_failure_falls_back_to_the_template_and_says_so(seeded, llm_server):
    llm_server.default = malformed("not json at all")
    drafted = summary.complete_session(seeded.store, llm(llm_server.base_url), seeded.ana, seeded.session, None)
    assert drafted.source == "offline" and drafted.notice and "built-in engine" in drafted.notice
    assert drafted.text.startswith("# Session summary: Ana & Ben")
    assert seeded.store.summary(seeded.ana, seeded.session).source == "offline"
