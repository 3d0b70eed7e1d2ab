"""Tests for pal_core.store: the database file, connections, access control, privacy,
versioned writes, actions, agenda, invites, sessions and housekeeping.

Every test runs on a real SQLite file under ``tmp_path`` (never ``:memory:``), so WAL,
per-thread connections and the bytes on disk behave as in production.
"""

from __future__ import annotations

import datetime as dt
import inspect
import sqlite3
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

import pal_core.store as store_module
from pal_core.models import (
    ActionStatus,
    AgendaKind,
    NewAction,
    NewSession,
    Phase,
    RatingInput,
    Role,
    Session,
    SessionStatus,
    Visibility,
)
from pal_core.store import DatabaseUnreadable, NotFound, StaleWrite, Store, StoreError

UTC = dt.timezone.utc
# Sessions are scheduled relative to a fixed, far-future Monday so ordering is exact.
BASE = dt.datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
MISSING_ID = 10**6


# --- helpers -----------------------------------------------------------------------


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "sub" / "pal.db")
    yield s
    s.close()


def person(store: Store, name: str):
    return store.create_person(f"{name.lower()}@example.com", name, None)


def pair(store: Store, mentee, pal):
    """A pairing with ``mentee`` as mentee (the mentee invites, the PAL accepts)."""
    return store.accept_invite(pal.id, store.create_invite(mentee.id, Role.MENTEE))


def schedule(store: Store, actor, pairing_id: int, days: float = 0) -> Session:
    return store.schedule_session(actor.id, pairing_id, NewSession(scheduled_at=BASE + dt.timedelta(days=days)))


def raw_exec(store: Store, sql: str, params=()) -> None:
    """Manipulate a row behind the store's back, on a connection of our own."""
    conn = sqlite3.connect(store.path)
    try:
        with conn:
            conn.execute(sql, params)
    finally:
        conn.close()


def db_bytes(path: Path) -> bytes:
    """The database file plus its WAL (recent writes may live only there)."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


class Clock:
    """A controllable ``now_utc`` for the store module."""

    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs) -> dt.datetime:
        self.now += dt.timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock(dt.datetime(2029, 12, 1, 12, 0, tzinfo=UTC))
    monkeypatch.setattr(store_module, "now_utc", c)
    return c


@pytest.fixture
def ab(store):
    """A (mentee) paired with B (PAL), with two sessions a week apart."""
    a, b = person(store, "Ann"), person(store, "Bo")
    p = pair(store, a, b)
    s1, s2 = schedule(store, a, p.id, 0), schedule(store, b, p.id, 7)
    return SimpleNamespace(a=a, b=b, pairing=p, s1=s1, s2=s2)


# --- the database file and connections ------------------------------------------------


def test_file_and_parent_folder_are_created(tmp_path):
    path = tmp_path / "deep" / "er" / "pal.db"
    s = Store(path)
    try:
        assert path.parent.is_dir()
        assert path.is_file()
        assert path.read_bytes()[:16] == b"SQLite format 3\x00"
    finally:
        s.close()


def test_pragmas_wal_foreign_keys_and_busy_timeout(store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    # WAL is a property of the file: a plain connection sees it too.
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    finally:
        conn.close()
    # Foreign keys are really enforced on the store's connection.
    with pytest.raises(sqlite3.IntegrityError):
        with store.db.atomic():
            store.db.execute("INSERT INTO session (pairing_id, scheduled_at) VALUES (?, ?)", [MISSING_ID, "2030-01-01"])


def test_non_sqlite_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "pal.db"
    data = b"My thesis, chapter 3. Definitely not a database.\n" * 200
    path.write_bytes(data)
    with pytest.raises(DatabaseUnreadable, match="not a PAL Sessions database"):
        Store(path)
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pal.db"]


def test_corrupt_sqlite_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "pal.db"
    data = b"SQLite format 3\x00" + bytes(range(256)) * 20
    path.write_bytes(data)
    with pytest.raises(DatabaseUnreadable, match="is damaged"):
        Store(path)
    assert path.read_bytes() == data


def test_empty_file_is_a_fresh_database(tmp_path):
    path = tmp_path / "pal.db"
    path.write_bytes(b"")
    s = Store(path)
    try:
        a = person(s, "Ann")
        assert s.person(a.id) == a
        assert s.integrity_ok()
    finally:
        s.close()


def test_connections_are_per_thread(store):
    main_conn = store.db.conn
    conns: dict[str, sqlite3.Connection] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            conns[name] = store.db.conn
            assert store.db.conn is conns[name]  # reused within the thread
            created = person(store, name)
            assert store.person(created.id) == created
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            store.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in ("Tia", "Teo")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert set(conns) == {"Tia", "Teo"}
    assert conns["Tia"] is not conns["Teo"]
    assert main_conn is not conns["Tia"] and main_conn is not conns["Teo"]
    # Both threads' writes are visible from the main thread's connection.
    assert store.credentials("tia@example.com") is not None
    assert store.credentials("teo@example.com") is not None


# --- access matrix ---------------------------------------------------------------------


def seed_pairing(store: Store, mentee, pal) -> SimpleNamespace:
    """A pairing with something in every table, its agenda shared."""
    p = pair(store, mentee, pal)
    s1, s2 = schedule(store, mentee, p.id, 0), schedule(store, mentee, p.id, 7)
    store.add_kpi(mentee.id, p.id, "Ship the onboarding guide")
    store.add_agenda_item(mentee.id, s1.id, AgendaKind.POINT, "Talk about code review")
    store.add_agenda_item(mentee.id, s1.id, AgendaKind.POINT, "Ask about the on-call rota")
    store.save_rating(mentee.id, s1.id, RatingInput(rating=7, why="A good week", plus_one="Sleep more"))
    store.add_goal(mentee.id, s1.id, "Draft the design doc", prep=True)
    store.share_agenda(mentee.id, s1.id)
    store.save_note(pal.id, s1.id, Phase.REFLECTION, "reflection:successes", "Shipped it", expected_version=None)
    store.save_note(mentee.id, s1.id, Phase.REFLECTION, "reflection:successes", "My own thought",
                    visibility=Visibility.PRIVATE, expected_version=None)
    action = store.add_action(mentee.id, s1.id, NewAction(text="Write the tests", owner=Role.MENTEE))
    goal = store.add_goal(mentee.id, s1.id, "Learn SQL window functions")
    store.add_custom_question(mentee.id, p.id, "reflection", "What surprised you?")
    store.mark_questions_seen(mentee.id, s1.id, ["reflection.q1"])
    store.set_pinned(mentee.id, p.id, "reflection.q1", True)
    store.save_summary(pal.id, s1.id, "We talked about reviews.", expected_version=None)
    return SimpleNamespace(
        pairing=p.id,
        session=s1.id,
        session2=s2.id,
        session2_obj=store.session(mentee.id, s2.id),
        kpi=store.kpis(mentee.id, p.id)[0].id,
        agenda_item=store.agenda(mentee.id, s1.id)[0].id,
        action=action.id,
        goal=goal.id,
    )


MISSING = SimpleNamespace(
    pairing=MISSING_ID,
    session=MISSING_ID,
    session2=MISSING_ID,
    session2_obj=Session(id=MISSING_ID, pairing_id=MISSING_ID, scheduled_at=BASE, status=SessionStatus.DRAFT),
    kpi=MISSING_ID,
    agenda_item=MISSING_ID,
    action=MISSING_ID,
    goal=MISSING_ID,
)

LATER = BASE + dt.timedelta(days=30)
TODAY = dt.date(2030, 2, 1)

# Every public Store method that takes an actor and an id: "raises" → NotFound for an
# outsider, "empty" → an empty result. Each call is also run by C on C's own pairing
# (it must work there), so a wrongly formed call can't pass by accident.
ACCESS_MATRIX = {
    "pairing": ("raises", lambda s, actor, w: s.pairing(actor, w.pairing)),
    "set_session_minutes": ("raises", lambda s, actor, w: s.set_session_minutes(actor, w.pairing, 45)),
    "kpis": ("raises", lambda s, actor, w: s.kpis(actor, w.pairing)),
    "add_kpi": ("raises", lambda s, actor, w: s.add_kpi(actor, w.pairing, "Injected KPI")),
    "delete_kpi": ("raises", lambda s, actor, w: s.delete_kpi(actor, w.kpi)),
    "schedule_session": ("raises", lambda s, actor, w: s.schedule_session(actor, w.pairing, NewSession(scheduled_at=LATER))),
    "session": ("raises", lambda s, actor, w: s.session(actor, w.session)),
    "sessions": ("raises", lambda s, actor, w: s.sessions(actor, w.pairing)),
    "count_sessions": ("raises", lambda s, actor, w: s.count_sessions(actor, w.pairing)),
    "change_token": ("raises", lambda s, actor, w: s.change_token(actor, w.session)),
    "tracked": ("raises", lambda s, actor, w: s.tracked(actor, w.session, lambda: None)),
    "mark_sample": ("raises", lambda s, actor, w: s.mark_sample(actor, w.pairing)),
    "remove_sample": ("raises", lambda s, actor, w: s.remove_sample(actor, w.pairing)),
    "previous_session": ("empty", lambda s, actor, w: s.previous_session(actor, w.session2_obj)),
    "save_rating": ("raises", lambda s, actor, w: s.save_rating(actor, w.session, RatingInput(rating=2))),
    "share_agenda": ("raises", lambda s, actor, w: s.share_agenda(actor, w.session)),
    "set_phase_timer": ("raises", lambda s, actor, w: s.set_phase_timer(actor, w.session, Phase.PLANNING, {"opening": 5.0}, None)),
    "complete_session": ("raises", lambda s, actor, w: s.complete_session(actor, w.session, None)),
    "set_next_session_at": ("raises", lambda s, actor, w: s.set_next_session_at(actor, w.session, LATER)),
    "agenda": ("empty", lambda s, actor, w: s.agenda(actor, w.session)),
    "add_agenda_item": ("raises", lambda s, actor, w: s.add_agenda_item(actor, w.session, AgendaKind.HELP, "Injected")),
    "edit_agenda_item": ("raises", lambda s, actor, w: s.edit_agenda_item(actor, w.agenda_item, "Overwritten")),
    "delete_agenda_item": ("raises", lambda s, actor, w: s.delete_agenda_item(actor, w.agenda_item)),
    "move_agenda_item": ("raises", lambda s, actor, w: s.move_agenda_item(actor, w.agenda_item, +1)),
    "notes": ("empty", lambda s, actor, w: s.notes(actor, w.session)),
    "save_note": ("raises", lambda s, actor, w: s.save_note(
        actor, w.session, Phase.DEVELOPMENT, "matrix:probe", "Injected", expected_version=None)),
    "actions": ("raises", lambda s, actor, w: s.actions(actor, w.pairing)),
    "carried_over_actions": ("raises", lambda s, actor, w: s.carried_over_actions(actor, w.session2_obj)),
    "session_actions": ("raises", lambda s, actor, w: s.session_actions(actor, w.session)),
    "add_action": ("raises", lambda s, actor, w: s.add_action(actor, w.session, NewAction(text="Injected", owner=Role.PAL))),
    "update_action_status": ("raises", lambda s, actor, w: s.update_action_status(
        actor, w.action, ActionStatus.DONE, session_id=w.session2)),
    "edit_action": ("raises", lambda s, actor, w: s.edit_action(actor, w.action, NewAction(text="Overwritten", owner=Role.PAL))),
    "delete_action": ("raises", lambda s, actor, w: s.delete_action(actor, w.action)),
    "action_history": ("empty", lambda s, actor, w: s.action_history(actor, [w.action])),
    "goals": ("raises", lambda s, actor, w: s.goals(actor, w.pairing)),
    "add_goal": ("raises", lambda s, actor, w: s.add_goal(actor, w.session, "Injected goal")),
    "update_goal": ("raises", lambda s, actor, w: s.update_goal(
        actor, w.goal, text="Overwritten", kpi="", smart_json="", done=True, expected_version=1)),
    "delete_goal": ("raises", lambda s, actor, w: s.delete_goal(actor, w.goal)),
    "custom_questions": ("raises", lambda s, actor, w: s.custom_questions(actor, w.pairing)),
    "add_custom_question": ("raises", lambda s, actor, w: s.add_custom_question(actor, w.pairing, "planning", "Injected?")),
    "questions_last_seen": ("raises", lambda s, actor, w: s.questions_last_seen(actor, w.pairing, w.session2)),
    "mark_questions_seen": ("raises", lambda s, actor, w: s.mark_questions_seen(actor, w.session2, ["reflection.q1"])),
    "pinned_questions": ("raises", lambda s, actor, w: s.pinned_questions(actor, w.pairing)),
    "set_pinned": ("raises", lambda s, actor, w: s.set_pinned(actor, w.pairing, "reflection.q1", False)),
    "summary": ("raises", lambda s, actor, w: s.summary(actor, w.session)),
    "save_summary": ("raises", lambda s, actor, w: s.save_summary(actor, w.session, "Overwritten", expected_version=1)),
    "agree_summary": ("raises", lambda s, actor, w: s.agree_summary(actor, w.session)),
    "summary_revisions": ("raises", lambda s, actor, w: s.summary_revisions(actor, w.session)),
    # history and export
    "sessions_near": ("raises", lambda s, actor, w: s.sessions_near(actor, w.pairing, BASE, dt.timedelta(days=3))),
    "sessions_between": ("raises", lambda s, actor, w: s.sessions_between(actor, w.pairing)),
    "count_sessions_between": ("raises", lambda s, actor, w: s.count_sessions_between(actor, w.pairing)),
    "session_span": ("raises", lambda s, actor, w: s.session_span(actor, w.pairing)),
    "rating_points": ("raises", lambda s, actor, w: s.rating_points(actor, w.pairing)),
    "action_stats": ("raises", lambda s, actor, w: s.action_stats(actor, w.pairing, None, None, TODAY)),
    "overdue_actions": ("raises", lambda s, actor, w: s.overdue_actions(actor, w.pairing, TODAY)),
    "count_overdue_actions": ("raises", lambda s, actor, w: s.count_overdue_actions(actor, w.pairing, TODAY)),
    "completed_actions": ("raises", lambda s, actor, w: s.completed_actions(actor, w.pairing)),
    "history_goals": ("raises", lambda s, actor, w: s.history_goals(actor, w.pairing)),
    "count_history_goals": ("raises", lambda s, actor, w: s.count_history_goals(actor, w.pairing)),
    "feedback_notes": ("raises", lambda s, actor, w: s.feedback_notes(actor, w.pairing)),
    "count_feedback_notes": ("raises", lambda s, actor, w: s.count_feedback_notes(actor, w.pairing)),
    "summaries_between": ("raises", lambda s, actor, w: s.summaries_between(actor, w.pairing)),
}
# Public methods that take an actor but no id: checked by test_actor_only_methods_*.
ACTOR_ONLY = {"create_invite", "open_invites", "accept_invite", "pairings", "pal_overview", "export_rows", "import_rows"}


def public_actor_methods() -> set[str]:
    return {
        name
        for name, fn in inspect.getmembers(Store, inspect.isfunction)
        if not name.startswith("_") and "actor" in inspect.signature(fn).parameters
    }


def test_access_matrix_covers_every_public_actor_method():
    discovered = public_actor_methods()
    assert not set(ACCESS_MATRIX) & ACTOR_ONLY
    missing = discovered - set(ACCESS_MATRIX) - ACTOR_ONLY
    stale = (set(ACCESS_MATRIX) | ACTOR_ONLY) - discovered
    assert not missing, f"add these Store methods to ACCESS_MATRIX: {sorted(missing)}"
    assert not stale, f"these are no longer public actor methods: {sorted(stale)}"
    for name in ACTOR_ONLY:
        params = list(inspect.signature(getattr(Store, name)).parameters)
        assert not [p for p in params if p.endswith(("_id", "_ids")) or p == "session"], name


@pytest.fixture
def world(store):
    a, b, c, d = (person(store, n) for n in ("Ann", "Bo", "Cy", "Dee"))
    ab = seed_pairing(store, a, b)
    cd = seed_pairing(store, c, d)
    # Both are samples, so remove_sample on A–B could only be stopped by the access check.
    store.mark_sample(a.id, ab.pairing)
    store.mark_sample(c.id, cd.pairing)
    return SimpleNamespace(store=store, a=a, b=b, c=c, d=d, ab=ab, cd=cd)


def snapshot(store: Store, actor: int, w: SimpleNamespace):
    """Everything ``actor`` can see of a seeded pairing."""
    return (
        store.pairing(actor, w.pairing),
        store.sessions(actor, w.pairing),
        store.kpis(actor, w.pairing),
        store.agenda(actor, w.session),
        store.notes(actor, w.session),
        store.notes(actor, w.session2),
        store.actions(actor, w.pairing),
        store.action_history(actor, [w.action]),
        store.goals(actor, w.pairing),
        store.custom_questions(actor, w.pairing),
        store.pinned_questions(actor, w.pairing),
        store.questions_last_seen(actor, w.pairing, MISSING_ID),
        store.summary(actor, w.session),
        store.summary_revisions(actor, w.session),
    )


@pytest.mark.parametrize("name", sorted(ACCESS_MATRIX))
def test_outsider_gets_not_found_like_a_missing_id(world, name):
    store, a, c = world.store, world.a.id, world.c.id
    expect, call = ACCESS_MATRIX[name]
    before_a, before_b = snapshot(store, a, world.ab), snapshot(store, world.b.id, world.ab)

    if expect == "raises":
        with pytest.raises(NotFound) as foreign:
            call(store, c, world.ab)
        with pytest.raises(NotFound) as missing:
            call(store, c, MISSING)
        assert str(foreign.value) == str(missing.value)
        assert "not found, or you don't have access" in str(foreign.value)
    else:
        foreign, missing = call(store, c, world.ab), call(store, c, MISSING)
        assert not foreign
        assert foreign == missing
        assert call(store, a, world.ab), "a member must see what the outsider can't"

    # The outsider's own pairing works with the very same call.
    call(store, c, world.cd)
    # And nothing of A–B changed.
    assert snapshot(store, a, world.ab) == before_a
    assert snapshot(store, world.b.id, world.ab) == before_b


def test_actor_only_methods_stay_within_the_actor(world):
    store = world.store
    assert [p.id for p in store.pairings(world.c.id)] == [world.cd.pairing]
    assert [p.id for p in store.pairings(world.a.id)] == [world.ab.pairing]
    code = store.create_invite(world.a.id, Role.PAL)
    assert [i[0] for i in store.open_invites(world.a.id)] == [code]
    assert store.open_invites(world.c.id) == []

    # The PAL overview lists only pairings in which the actor is the PAL.
    assert [o["pairing_id"] for o in store.pal_overview(world.b.id, BASE, TODAY)] == [world.ab.pairing]
    assert [o["pairing_id"] for o in store.pal_overview(world.d.id, BASE, TODAY)] == [world.cd.pairing]
    assert store.pal_overview(world.c.id, BASE, TODAY) == []

    # An export holds nothing of another pairing, nor the other person's private notes.
    cd_sessions = {s.id for s in store.sessions(world.c.id, world.cd.pairing)}
    rows = store.export_rows(world.c.id)
    assert {p["email"] for p in rows["people"]} == {"cy@example.com", "dee@example.com"}
    for table, items in rows.items():
        for item in items:
            if "pairing_id" in item:
                assert item["pairing_id"] == world.cd.pairing, table
            if "session_id" in item:
                assert item["session_id"] in cd_sessions, table
    assert [p["id"] for p in rows["pairings"]] == [world.cd.pairing]
    assert all(n["visibility"] == "shared" or n["owner"] == "cy@example.com" for n in rows["notes"])
    d_notes = store.export_rows(world.d.id)["notes"]
    assert d_notes and all(n["visibility"] == "shared" for n in d_notes)

    # Importing someone else's export is refused, and changes nothing.
    before = snapshot(store, world.a.id, world.ab)
    with pytest.raises(StoreError, match="not part of"):
        store.import_rows(world.c.id, store.export_rows(world.a.id))
    assert [p.id for p in store.pairings(world.c.id)] == [world.cd.pairing]
    assert snapshot(store, world.a.id, world.ab) == before


def test_ids_from_two_pairings_cannot_be_mixed(store):
    # D belongs to both pairings, so each id alone is visible to D; mixing them is not.
    a, b, d = person(store, "Ann"), person(store, "Bo"), person(store, "Dee")
    ad, bd = pair(store, a, d), pair(store, b, d)
    s_ad, s_bd = schedule(store, a, ad.id), schedule(store, b, bd.id)
    action = store.add_action(a.id, s_ad.id, NewAction(text="Read the guide", owner=Role.MENTEE))
    with pytest.raises(NotFound):
        store.update_action_status(d.id, action.id, ActionStatus.DONE, session_id=s_bd.id)
    assert store.actions(a.id, ad.id)[0].status == ActionStatus.OPEN
    # A member of only one side can't either.
    with pytest.raises(NotFound):
        store.update_action_status(a.id, action.id, ActionStatus.DONE, session_id=s_bd.id)


def test_carried_over_actions_ignores_a_forged_session_object(world):
    store = world.store
    # C's own session id (passes the membership check) with A–B's pairing id.
    forged = world.cd.session2_obj.model_copy(update={"pairing_id": world.ab.pairing})
    try:
        seen = store.carried_over_actions(world.c.id, forged)
    except NotFound:
        seen = []
    assert all(action.pairing_id == world.cd.pairing for action in seen), "A–B's actions leaked to C"


# --- private notes ---------------------------------------------------------------------


def test_private_notes_are_never_shown_to_the_other_person(store, ab):
    a, b, s = ab.a.id, ab.b.id, ab.s1.id
    slot = (s, Phase.DEVELOPMENT, "development:stuck")
    private = store.save_note(a, *slot, "I feel stuck, don't tell", visibility=Visibility.PRIVATE, expected_version=None)
    shared = store.save_note(a, *slot, "Stuck on the deploy script", expected_version=None)
    b_private = store.save_note(b, *slot, "Bo's own reminder", visibility=Visibility.PRIVATE, expected_version=None)

    # A's private and shared notes in the same slot coexist.
    a_notes = {(n.visibility, n.body) for n in store.notes(a, s)}
    assert a_notes == {(Visibility.PRIVATE, "I feel stuck, don't tell"), (Visibility.SHARED, "Stuck on the deploy script")}
    b_notes = store.notes(b, s)
    assert {n.body for n in b_notes} == {"Stuck on the deploy script", "Bo's own reminder"}
    assert all(n.id != private.id for n in b_notes)
    assert all(n.id != b_private.id for n in store.notes(a, s))
    assert store.notes(b, s, Phase.DEVELOPMENT) == b_notes
    assert store.notes(b, s, Phase.OPENING) == []

    # B editing "their" private note in that slot can never touch A's.
    store.save_note(b, *slot, "Bo's edit", visibility=Visibility.PRIVATE, expected_version=1)
    assert store.save_note(a, *slot, "I feel stuck, still", visibility=Visibility.PRIVATE, expected_version=1).version == 2
    assert {n.body for n in store.notes(a, s)} == {"I feel stuck, still", "Stuck on the deploy script"}
    assert shared.visibility == Visibility.SHARED and private.visibility == Visibility.PRIVATE


def test_note_text_is_stored_exactly(store, ab):
    body = "🎉 Progress! שלום עולם <script>alert('x')</script> ' OR 1=1; --"
    store.save_note(ab.a.id, ab.s1.id, Phase.OPENING, "opening:checkin", body + "\x00", expected_version=None)
    assert store.notes(ab.b.id, ab.s1.id)[0].body == body


# --- the mentee's preparation ----------------------------------------------------------


def test_preparation_is_hidden_from_the_pal_until_shared(store, ab):
    a, b, s = ab.a.id, ab.b.id, ab.s1.id
    store.add_agenda_item(a, s, AgendaKind.POINT, "Promotion timeline")
    store.add_agenda_item(a, s, AgendaKind.QUESTION, "How did you learn Rust?")
    store.save_rating(a, s, RatingInput(rating=4, why="Rough week", plus_one="Fewer meetings"))
    prep_goal = store.add_goal(a, s, "Lead a design review", prep=True)
    open_goal = store.add_goal(b, s, "Pair on the migration")

    # The mentee sees their own preparation.
    assert len(store.agenda(a, s)) == 2
    assert store.session(a, s).rating == 4
    assert {g.id for g in store.goals(a, ab.pairing.id)} == {prep_goal.id, open_goal.id}

    # The PAL sees none of it, through any read.
    assert store.agenda(b, s) == []
    for seen in (store.session(b, s), store.sessions(b, ab.pairing.id)[-1], store.previous_session(b, ab.s2)):
        assert seen.id == s
        assert (seen.rating, seen.rating_why, seen.rating_plus_one) == (None, "", "")
    assert [g.id for g in store.goals(b, ab.pairing.id)] == [open_goal.id]
    assert store.goals(b, ab.pairing.id, session_id=s) == [open_goal]
    with pytest.raises(NotFound):
        store.update_goal(b, prep_goal.id, text="x", kpi="", smart_json="", done=False, expected_version=1)
    with pytest.raises(NotFound):
        store.delete_goal(b, prep_goal.id)

    shared = store.share_agenda(a, s)
    assert shared.status == SessionStatus.AGENDA_SHARED and shared.agenda_shared_at is not None

    assert [i.text for i in store.agenda(b, s)] == ["Promotion timeline", "How did you learn Rust?"]
    seen = store.session(b, s)
    assert (seen.rating, seen.rating_why, seen.rating_plus_one) == (4, "Rough week", "Fewer meetings")
    assert {g.id for g in store.goals(b, ab.pairing.id)} == {prep_goal.id, open_goal.id}
    # Another session's preparation stays private.
    store.add_agenda_item(a, ab.s2.id, AgendaKind.HELP, "Next time")
    assert store.agenda(b, ab.s2.id) == []


def test_only_the_mentee_edits_preparation_shares_or_rates(store, ab):
    a, b, s = ab.a.id, ab.b.id, ab.s1.id
    store.add_agenda_item(a, s, AgendaKind.POINT, "Mine")
    item = store.agenda(a, s)[0]
    attempts = [
        lambda: store.add_agenda_item(b, s, AgendaKind.POINT, "PAL point"),
        lambda: store.edit_agenda_item(b, item.id, "PAL edit"),
        lambda: store.move_agenda_item(b, item.id, -1),
        lambda: store.delete_agenda_item(b, item.id),
        lambda: store.share_agenda(b, s),
        lambda: store.save_rating(b, s, RatingInput(rating=10)),
        lambda: store.add_goal(b, s, "PAL prep goal", prep=True),
    ]
    for attempt in attempts:
        with pytest.raises(StoreError):
            attempt()
    store.share_agenda(a, s)
    for attempt in attempts:  # still not after sharing
        with pytest.raises(StoreError):
            attempt()
    assert [i.text for i in store.agenda(a, s)] == ["Mine"]
    assert store.session(a, s).rating is None
    with pytest.raises(StoreError, match="Only the mentee rates"):
        store.save_rating(b, s, RatingInput(rating=10))
    with pytest.raises(StoreError, match="Only the mentee can share"):
        store.share_agenda(b, s)


def test_rating_is_versioned(store, ab):
    a, s = ab.a.id, ab.s1.id
    v = store.session(a, s).version
    rated = store.save_rating(a, s, RatingInput(rating=6), expected_version=v)
    assert rated.rating == 6 and rated.version == v + 1
    with pytest.raises(StaleWrite):
        store.save_rating(a, s, RatingInput(rating=9), expected_version=v)
    assert store.session(a, s).rating == 6


# --- stale writes ----------------------------------------------------------------------


def test_second_writer_with_an_old_version_gets_the_first_writers_text(store, ab):
    a, b, s = ab.a.id, ab.b.id, ab.s1.id
    slot = (s, Phase.PLANNING, "planning:priorities")
    first = store.save_note(a, *slot, "1. Tests", expected_version=None)
    assert first.version == 1
    b_saved = store.save_note(b, *slot, "1. Tests\n2. Docs", expected_version=1)
    assert b_saved.version == 2 and b_saved.author_id == b
    with pytest.raises(StaleWrite) as stale:
        store.save_note(a, *slot, "1. Tests\n2. Deploy", expected_version=1)
    assert stale.value.current == "1. Tests\n2. Docs"
    assert stale.value.version == 2
    assert stale.value.by_name == "Bo"
    assert "changed this while you were typing" in str(stale.value)
    assert [n.body for n in store.notes(a, s)] == ["1. Tests\n2. Docs"]
    # Retrying from the version shown works.
    assert store.save_note(a, *slot, "merged", expected_version=stale.value.version).version == 3


def test_concurrent_first_insert_is_refused_with_the_winners_text(store, ab):
    a, b, s = ab.a.id, ab.b.id, ab.s1.id
    slot = (s, Phase.REFLECTION, "reflection:challenges")
    store.save_note(a, *slot, "Ann was first", expected_version=None)
    with pytest.raises(StaleWrite) as stale:
        store.save_note(b, *slot, "Bo was second", expected_version=None)
    assert (stale.value.current, stale.value.version, stale.value.by_name) == ("Ann was first", 1, "Ann")


def test_concurrent_first_insert_from_two_threads(store, ab):
    slot = (ab.s1.id, Phase.CLOSING, "closing:takeaway")
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def write(actor, text):
        try:
            barrier.wait(timeout=10)
            outcomes[text] = store.save_note(actor, *slot, text, expected_version=None)
        except BaseException as error:  # noqa: BLE001 - inspected below
            outcomes[text] = error
        finally:
            store.close()

    threads = [threading.Thread(target=write, args=(ab.a.id, "from Ann")),
               threading.Thread(target=write, args=(ab.b.id, "from Bo"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    saved = [text for text, o in outcomes.items() if not isinstance(o, BaseException)]
    refused = [o for o in outcomes.values() if isinstance(o, BaseException)]
    assert len(saved) == 1 and len(refused) == 1, outcomes
    assert isinstance(refused[0], StaleWrite)
    assert refused[0].current == saved[0] and refused[0].version == 1
    assert [n.body for n in store.notes(ab.a.id, ab.s1.id)] == saved


@pytest.mark.parametrize("what", ["note", "summary"])
def test_expected_version_on_an_empty_slot_is_a_store_error(store, ab, what):
    with pytest.raises(StoreError):
        if what == "note":
            store.save_note(ab.a.id, ab.s1.id, Phase.OPENING, "opening:never-written", "x", expected_version=1)
        else:
            store.save_summary(ab.a.id, ab.s1.id, "x", expected_version=1)


# --- summaries -------------------------------------------------------------------------


def test_summary_save_edit_stale_revisions_and_agreement(store, ab):
    a, b, s = ab.a.id, ab.b.id, ab.s1.id
    assert store.summary(a, s) is None
    first = store.save_summary(a, s, "We agreed on three goals.", expected_version=None)
    assert (first.body, first.version, first.source, first.edited_by_name) == ("We agreed on three goals.", 1, "offline", "Ann")

    agreed = store.agree_summary(a, s)
    assert agreed.agreed_by_mentee_at is not None and agreed.agreed_by_pal_at is None
    agreed = store.agree_summary(b, s)
    assert agreed.agreed_by_mentee_at is not None and agreed.agreed_by_pal_at is not None

    edited = store.save_summary(b, s, "We agreed on two goals.", source="llm", expected_version=1)
    assert (edited.version, edited.source, edited.edited_by_name) == (2, "llm", "Bo")
    assert edited.agreed_by_mentee_at is None and edited.agreed_by_pal_at is None  # they agreed to other words

    with pytest.raises(StaleWrite) as stale:
        store.save_summary(a, s, "We agreed on four goals.", expected_version=1)
    assert (stale.value.current, stale.value.version, stale.value.by_name) == ("We agreed on two goals.", 2, "Bo")
    assert store.summary(a, s).body == "We agreed on two goals."

    revisions = store.summary_revisions(b, s)
    assert [(v, body, by) for v, body, by, _ in revisions] == [
        (2, "We agreed on two goals.", "Bo"),
        (1, "We agreed on three goals.", "Ann"),
    ]
    assert all(isinstance(at, dt.datetime) for *_, at in revisions)


def test_summary_concurrent_first_save(store, ab):
    store.save_summary(ab.b.id, ab.s2.id, "Bo's draft", expected_version=None)
    with pytest.raises(StaleWrite) as stale:
        store.save_summary(ab.a.id, ab.s2.id, "Ann's draft", expected_version=None)
    assert (stale.value.current, stale.value.version) == ("Bo's draft", 1)
    assert len(store.summary_revisions(ab.a.id, ab.s2.id)) == 1


def test_summary_text_limit(store, ab):
    with pytest.raises(ValueError, match="20,000"):
        store.save_summary(ab.a.id, ab.s1.id, "x" * 20_001, expected_version=None)
    assert store.summary(ab.a.id, ab.s1.id) is None


# --- goals -----------------------------------------------------------------------------


def test_goal_versions_and_stale_edit(store, ab):
    a, b = ab.a.id, ab.b.id
    goal = store.add_goal(a, ab.s1.id, "Give a lightning talk", kpi="One talk by June")
    assert (goal.version, goal.done, goal.prep, goal.session_id) == (1, False, False, ab.s1.id)
    updated = store.update_goal(b, goal.id, text="Give a lightning talk at the meetup", kpi="One talk",
                                smart_json="{}", done=True, expected_version=1)
    assert (updated.version, updated.done, updated.kpi) == (2, True, "One talk")
    with pytest.raises(StaleWrite) as stale:
        store.update_goal(a, goal.id, text="Give two talks", kpi="", smart_json="", done=False, expected_version=1)
    assert (stale.value.current, stale.value.version) == ("Give a lightning talk at the meetup", 2)
    assert store.goals(a, ab.pairing.id) == [updated]
    with pytest.raises(ValueError):
        store.add_goal(a, ab.s1.id, "   ")
    store.delete_goal(b, goal.id)
    assert store.goals(a, ab.pairing.id) == []
    with pytest.raises(NotFound):
        store.delete_goal(a, goal.id)


# --- actions ---------------------------------------------------------------------------


def test_action_status_changes_are_recorded_with_who_when_and_note(store, ab, clock):
    a, b, s1, s2 = ab.a.id, ab.b.id, ab.s1.id, ab.s2.id
    t0 = clock.now
    action = store.add_action(a, s1, NewAction(text="Book the room", owner=Role.MENTEE, due_date=dt.date(2030, 1, 10)))
    assert (action.status, action.from_session_id, action.owner, action.due_date) == (
        ActionStatus.OPEN, s1, Role.MENTEE, dt.date(2030, 1, 10))
    assert action.created_at == t0

    t1 = clock.advance(hours=1)
    assert store.update_action_status(b, action.id, ActionStatus.IN_PROGRESS, session_id=s1).status == ActionStatus.IN_PROGRESS

    t2 = clock.advance(hours=1)
    with pytest.raises(StoreError, match="blocking"):
        store.update_action_status(a, action.id, ActionStatus.BLOCKED)
    with pytest.raises(StoreError, match="blocking"):
        store.update_action_status(a, action.id, ActionStatus.BLOCKED, blocker="   ")
    blocked = store.update_action_status(a, action.id, ActionStatus.BLOCKED, blocker="Facilities is closed")
    assert (blocked.status, blocked.blocker) == (ActionStatus.BLOCKED, "Facilities is closed")

    t3 = clock.advance(days=6)
    done = store.update_action_status(b, action.id, ActionStatus.DONE, session_id=s2)
    assert (done.status, done.blocker, done.closed_in_session_id) == (ActionStatus.DONE, "", s2)
    assert done.version > action.version

    history = store.action_history(a, [action.id])[action.id]
    assert [(e.status, e.by_name, e.at, e.session_id, e.note) for e in history] == [
        (ActionStatus.OPEN, "Ann", t0, s1, "agreed"),
        (ActionStatus.IN_PROGRESS, "Bo", t1, s1, ""),
        (ActionStatus.BLOCKED, "Ann", t2, None, "Facilities is closed"),
        (ActionStatus.DONE, "Bo", t3, s2, ""),
    ]
    assert store.action_history(b, [action.id]) == {action.id: history}
    assert store.action_history(a, []) == {}


def test_action_edit_list_and_delete(store, ab):
    a, b = ab.a.id, ab.b.id
    first = store.add_action(a, ab.s1.id, NewAction(text="Read chapter 1", owner=Role.MENTEE))
    second = store.add_action(b, ab.s1.id, NewAction(text="Send the article", owner=Role.PAL))
    edited = store.edit_action(b, first.id, NewAction(text="Read chapters 1-2", owner=Role.MENTEE, due_date=dt.date(2030, 2, 1)))
    assert (edited.text, edited.due_date, edited.version) == ("Read chapters 1-2", dt.date(2030, 2, 1), 2)
    store.update_action_status(a, second.id, ActionStatus.DROPPED, session_id=ab.s1.id)
    assert [x.id for x in store.actions(a, ab.pairing.id)] == [second.id, first.id]
    assert [x.id for x in store.actions(a, ab.pairing.id, open_only=True)] == [first.id]
    assert [x.id for x in store.session_actions(b, ab.s1.id)] == [first.id, second.id]
    store.delete_action(a, first.id)
    assert [x.id for x in store.actions(b, ab.pairing.id)] == [second.id]
    assert first.id not in store.action_history(a, [first.id, second.id])
    with pytest.raises(NotFound):
        store.edit_action(a, first.id, NewAction(text="Gone", owner=Role.MENTEE))
    with pytest.raises(ValueError, match="empty"):
        NewAction(text=" ", owner=Role.PAL)


def test_carry_over_between_sessions(store, ab):
    a, b = ab.a.id, ab.b.id
    s1, s2 = ab.s1, ab.s2
    s3 = schedule(store, ab.a, ab.pairing.id, 14)
    still_open = store.add_action(a, s1.id, NewAction(text="Still open", owner=Role.MENTEE))
    closed_in_s2 = store.add_action(a, s1.id, NewAction(text="Closed in session 2", owner=Role.PAL))
    closed_in_s1 = store.add_action(a, s1.id, NewAction(text="Done on the spot", owner=Role.PAL))
    blocked = store.add_action(a, s1.id, NewAction(text="Blocked", owner=Role.MENTEE))
    from_s2 = store.add_action(b, s2.id, NewAction(text="Agreed in session 2", owner=Role.MENTEE))

    store.update_action_status(b, closed_in_s1.id, ActionStatus.DONE, session_id=s1.id)
    store.update_action_status(b, closed_in_s2.id, ActionStatus.DONE, session_id=s2.id)
    store.update_action_status(a, blocked.id, ActionStatus.BLOCKED, blocker="Waiting on access")

    assert store.carried_over_actions(a, s1) == []
    in_s2 = store.carried_over_actions(b, s2)
    assert [x.id for x in in_s2] == [still_open.id, closed_in_s2.id, blocked.id]
    assert {x.id: x.status for x in in_s2}[closed_in_s2.id] == ActionStatus.DONE  # seen closed that session
    in_s3 = store.carried_over_actions(a, s3)
    assert [x.id for x in in_s3] == [still_open.id, blocked.id, from_s2.id]


# --- agenda ----------------------------------------------------------------------------


def test_agenda_add_edit_move_delete_with_positions(store, ab):
    a, s = ab.a.id, ab.s1.id

    def view():
        return [(i.kind, i.text, i.position) for i in store.agenda(a, s)]

    for text in ("one", "two", "three"):
        store.add_agenda_item(a, s, AgendaKind.POINT, text)
    store.add_agenda_item(a, s, AgendaKind.QUESTION, "q1")
    store.add_agenda_item(a, s, AgendaKind.HELP, "h1")
    P, Q, H = AgendaKind.POINT, AgendaKind.QUESTION, AgendaKind.HELP
    assert view() == [(H, "h1", 1), (P, "one", 1), (P, "two", 2), (P, "three", 3), (Q, "q1", 1)]

    ids = {i.text: i.id for i in store.agenda(a, s)}
    store.move_agenda_item(a, ids["three"], -1)
    assert [t for k, t, _ in view() if k == P] == ["one", "three", "two"]
    store.move_agenda_item(a, ids["three"], -1)
    assert [t for k, t, _ in view() if k == P] == ["three", "one", "two"]
    store.move_agenda_item(a, ids["three"], -1)  # already first: nothing happens
    store.move_agenda_item(a, ids["two"], +1)  # already last: nothing happens
    store.move_agenda_item(a, ids["q1"], +1)  # alone in its kind: nothing happens
    assert view() == [(H, "h1", 1), (P, "three", 1), (P, "one", 2), (P, "two", 3), (Q, "q1", 1)]
    store.move_agenda_item(a, ids["one"], +1)
    assert [t for k, t, _ in view() if k == P] == ["three", "two", "one"]

    store.edit_agenda_item(a, ids["two"], "  two, reworded  ")
    store.delete_agenda_item(a, ids["three"])
    store.add_agenda_item(a, s, AgendaKind.POINT, "four")
    points = [(t, pos) for k, t, pos in view() if k == P]
    assert [t for t, _ in points] == ["two, reworded", "one", "four"]
    assert len({pos for _, pos in points}) == 3
    # After a deletion left a gap at the top, moving still swaps with the neighbour.
    store.move_agenda_item(a, ids["one"], -1)
    assert [t for k, t, _ in view() if k == P] == ["one", "two, reworded", "four"]

    with pytest.raises(ValueError, match="empty"):
        store.add_agenda_item(a, s, AgendaKind.POINT, "   ")
    with pytest.raises(ValueError, match="500"):
        store.edit_agenda_item(a, ids["one"], "x" * 501)
    with pytest.raises(NotFound):
        store.edit_agenda_item(a, ids["three"], "deleted")


def test_agenda_add_survives_a_concurrent_write(store, ab, monkeypatch):
    a, b, s = ab.a.id, ab.b.id, ab.s1.id
    original = store_module._required_line
    other_done: list[object] = []

    def other_person_saves():
        try:
            other_done.append(store.save_note(b, s, Phase.OPENING, "opening:checkin", "Hi!", expected_version=None))
        except BaseException as error:  # noqa: BLE001
            other_done.append(error)
        finally:
            store.close()

    other = threading.Thread(target=other_person_saves)

    def slow_validation(text):
        # Runs inside add_agenda_item's transaction, between its SELECT and its INSERT:
        # the PAL saves a note at that very moment.
        if not other.is_alive() and not other_done:
            other.start()
            other.join(timeout=3)
        return original(text)

    monkeypatch.setattr(store_module, "_required_line", slow_validation)
    try:
        store.add_agenda_item(a, s, AgendaKind.POINT, "Ask about promotion")
    finally:
        other.join(timeout=30)
    assert [i.text for i in store.agenda(a, s)] == ["Ask about promotion"]
    assert [n.body for n in store.notes(a, s)] == ["Hi!"]


# --- invites and pairings --------------------------------------------------------------


def test_invites_assign_roles_and_refuse_bad_codes(store, clock):
    a, b, c = person(store, "Ann"), person(store, "Bo"), person(store, "Cy")
    code = store.create_invite(a.id, Role.MENTEE)
    assert [(i[0], i[1]) for i in store.open_invites(a.id)] == [(code, Role.MENTEE)]

    with pytest.raises(StoreError, match="your own invite code"):
        store.accept_invite(a.id, code)
    with pytest.raises(StoreError, match="not valid"):
        store.accept_invite(b.id, "NOPE-NOPE-NOPE")

    pairing = store.accept_invite(b.id, f"  {code.lower()} ")  # typed loosely
    assert (pairing.mentee_id, pairing.pal_id, pairing.mentee_name, pairing.pal_name) == (a.id, b.id, "Ann", "Bo")
    assert pairing.role_of(a.id) == Role.MENTEE and pairing.role_of(b.id) == Role.PAL
    assert store.open_invites(a.id) == []

    with pytest.raises(StoreError, match="not valid .*used") as used:
        store.accept_invite(c.id, code)
    assert "Ask for a new one" in str(used.value)
    assert store.pairings(c.id) == []

    pal_code = store.create_invite(b.id, Role.PAL)
    pairing2 = store.accept_invite(c.id, pal_code)
    assert (pairing2.mentee_id, pairing2.pal_id) == (c.id, b.id)

    # Expired by the clock...
    late = store.create_invite(c.id, Role.PAL)
    clock.advance(days=15)
    assert store.open_invites(c.id) == []
    with pytest.raises(StoreError, match="expired"):
        store.accept_invite(a.id, late)
    # ...and by the row.
    fresh = store.create_invite(c.id, Role.MENTEE)
    raw_exec(store, "UPDATE invite SET expires_at = ? WHERE code = ?", [(clock.now - dt.timedelta(seconds=1)).isoformat(), fresh])
    with pytest.raises(StoreError, match="expired"):
        store.accept_invite(a.id, fresh)
    assert [p.id for p in store.pairings(a.id)] == [pairing.id]


def test_person_in_several_pairings_in_both_roles(store):
    a, b, d = person(store, "Ann"), person(store, "Bo"), person(store, "Dee")
    as_mentee = pair(store, a, b)
    as_pal = pair(store, d, a)
    pairings = store.pairings(a.id)
    assert [p.id for p in pairings] == [as_mentee.id, as_pal.id]
    assert [p.role_of(a.id) for p in pairings] == [Role.MENTEE, Role.PAL]
    assert [p.other_name(a.id) for p in pairings] == ["Bo", "Dee"]
    # As PAL, Ann doesn't see Dee's unshared preparation; as mentee she edits her own.
    s_pal, s_mentee = schedule(store, d, as_pal.id), schedule(store, a, as_mentee.id)
    store.add_agenda_item(d.id, s_pal.id, AgendaKind.POINT, "Dee's prep")
    assert store.agenda(a.id, s_pal.id) == []
    with pytest.raises(StoreError):
        store.add_agenda_item(a.id, s_pal.id, AgendaKind.POINT, "Ann as PAL")
    store.add_agenda_item(a.id, s_mentee.id, AgendaKind.POINT, "Ann's prep")
    assert store.agenda(b.id, s_mentee.id) == []


def test_session_minutes_and_kpis(store, ab):
    a, b, pid = ab.a.id, ab.b.id, ab.pairing.id
    store.set_session_minutes(b, pid, 45)
    assert store.pairing(a, pid).session_minutes == 45
    for bad in (9, 121):
        with pytest.raises(StoreError, match="10 to 120"):
            store.set_session_minutes(a, pid, bad)
    store.add_kpi(a, pid, "Two PRs a week")
    store.add_kpi(b, pid, "One talk")
    kpis = store.kpis(b, pid)
    assert [k.text for k in kpis] == ["Two PRs a week", "One talk"]
    store.delete_kpi(b, kpis[0].id)
    assert [k.text for k in store.kpis(a, pid)] == ["One talk"]
    with pytest.raises(NotFound):
        store.delete_kpi(a, kpis[0].id)


# --- sessions --------------------------------------------------------------------------


def test_sessions_are_paginated_and_ordered(store):
    a, b = person(store, "Ann"), person(store, "Bo")
    p = pair(store, a, b)
    by_day = {days: schedule(store, a, p.id, days).id for days in (14, 0, 28, 7, 21)}

    def days(sessions):
        return [next(d for d, sid in by_day.items() if sid == s.id) for s in sessions]

    assert store.count_sessions(b.id, p.id) == 5
    assert days(store.sessions(a.id, p.id, limit=2)) == [28, 21]
    assert days(store.sessions(a.id, p.id, limit=2, offset=2)) == [14, 7]
    assert days(store.sessions(b.id, p.id, limit=2, offset=4)) == [0]
    assert store.sessions(a.id, p.id, limit=2, offset=6) == []
    assert days(store.sessions(a.id, p.id, newest_first=False)) == [0, 7, 14, 21, 28]
    s14 = store.session(a.id, by_day[14])
    assert store.previous_session(b.id, s14).id == by_day[7]
    assert store.previous_session(a.id, store.session(a.id, by_day[0])) is None


def test_sessions_in_different_time_zones_are_ordered_by_instant(store):
    a, b = person(store, "Ann"), person(store, "Bo")
    p = pair(store, a, b)
    berlin = dt.timezone(dt.timedelta(hours=2))
    early = store.schedule_session(a.id, p.id, NewSession(scheduled_at=dt.datetime(2030, 6, 3, 10, 0, tzinfo=berlin)))  # 08:00Z
    late = store.schedule_session(b.id, p.id, NewSession(scheduled_at=dt.datetime(2030, 6, 3, 9, 0, tzinfo=UTC)))  # 09:00Z
    assert [s.id for s in store.sessions(a.id, p.id, newest_first=False)] == [early.id, late.id]
    assert store.previous_session(a.id, late).id == early.id


def test_session_lifecycle_timer_and_completion(store, ab, clock):
    a, b, s = ab.a.id, ab.b.id, ab.s1.id
    started = store.set_phase_timer(b, s, Phase.OPENING, {}, clock.now)
    assert started.status == SessionStatus.IN_PROGRESS
    assert started.started_at == clock.now and started.timer_running_since == clock.now
    clock.advance(minutes=2)
    paused = store.set_phase_timer(a, s, Phase.REFLECTION, {"opening": 120.0}, None)
    assert paused.timer_running_since is None and paused.phase_seconds == {"opening": 120.0}
    assert paused.current_phase == Phase.REFLECTION and paused.started_at == started.started_at
    nxt = BASE + dt.timedelta(days=14)
    done = store.complete_session(a, s, nxt)
    assert (done.status, done.next_session_at, done.ended_at) == (SessionStatus.COMPLETED, nxt, clock.now)
    assert store.set_next_session_at(b, s, None).next_session_at is None


def test_change_token_follows_what_the_actor_sees(store, ab):
    a, b, s = ab.a.id, ab.b.id, ab.s1.id
    before_a, before_b = store.change_token(a, s), store.change_token(b, s)
    store.save_note(b, s, Phase.OPENING, "opening:checkin", "Bo's private", visibility=Visibility.PRIVATE, expected_version=None)
    assert store.change_token(a, s) == before_a  # A can't see it, so nothing changed for A
    assert store.change_token(b, s) != before_b
    store.save_note(b, s, Phase.OPENING, "opening:checkin", "Shared hello", expected_version=None)
    assert store.change_token(a, s) != before_a


def test_tracked_gives_the_tokens_around_one_write_and_undoes_a_failed_one(store, ab):
    a, s = ab.a.id, ab.s1.id
    shown = store.change_token(a, s)

    def save() -> object:
        return store.save_note(a, s, Phase.REFLECTION, "reflection:successes", "Shipped it", expected_version=None)

    before, note, after = store.tracked(a, s, save)
    assert before == shown and note.body == "Shipped it"
    assert after == store.change_token(a, s) != before

    def save_then_fail() -> None:
        store.save_note(a, s, Phase.REFLECTION, "reflection:challenges", "Half written", expected_version=None)
        raise StaleWrite("theirs", 2, "Bo")

    with pytest.raises(StaleWrite):
        store.tracked(a, s, save_then_fail)
    assert store.change_token(a, s) == after  # nothing of the failed write was kept
    outsider = person(store, "Cy")
    with pytest.raises(NotFound):  # the token is read as the actor, so no one else's session
        store.tracked(outsider.id, s, save)


def test_change_token_does_not_reveal_unshared_preparation(store, ab):
    a, b, s = ab.a.id, ab.b.id, ab.s1.id
    before = store.change_token(b, s)
    store.add_agenda_item(a, s, AgendaKind.HELP, "Something I'm not ready to share")
    store.add_goal(a, s, "A private draft goal", prep=True)
    assert store.change_token(b, s) == before


# --- question rotation -----------------------------------------------------------------


def test_question_seen_keeps_the_latest_session(store, ab):
    a, b, pid = ab.a.id, ab.b.id, ab.pairing.id
    s1, s2 = ab.s1.id, ab.s2.id
    s3 = schedule(store, ab.a, pid, 14).id
    store.mark_questions_seen(a, s2, ["q.one", "q.two"])
    store.mark_questions_seen(b, s1, ["q.one", "q.three"])  # an older session doesn't win
    assert store.questions_last_seen(a, pid, s3) == {"q.one": s2, "q.two": s2, "q.three": s1}
    assert store.questions_last_seen(b, pid, s2) == {"q.three": s1}
    store.mark_questions_seen(a, s3, ["q.one"])
    assert store.questions_last_seen(a, pid, s3) == {"q.two": s2, "q.three": s1}
    assert store.questions_last_seen(a, pid, s3 + 1)["q.one"] == s3

    store.set_pinned(a, pid, "q.two", True)
    store.set_pinned(b, pid, "q.two", True)  # idempotent
    store.set_pinned(b, pid, "q.four", True)
    assert sorted(store.pinned_questions(b, pid)) == ["q.four", "q.two"]
    store.set_pinned(a, pid, "q.two", False)
    assert store.pinned_questions(a, pid) == ["q.four"]

    qid = store.add_custom_question(b, pid, "development", "What would you try next?")
    assert store.custom_questions(a, pid) == [(qid, "development", "What would you try next?")]
    with pytest.raises(ValueError):
        store.add_custom_question(a, pid, "development", "")


# --- LLM cache and usage ---------------------------------------------------------------


def test_llm_cache_and_usage_totals(store):
    assert store.llm_cache_get("k1") is None
    store.llm_cache_put("k1", '{"answer": 1}', "model-a")
    assert store.llm_cache_get("k1") == '{"answer": 1}'
    store.llm_cache_put("k1", '{"answer": 2}', "model-b")
    assert store.llm_cache_get("k1") == '{"answer": 2}'
    assert store.llm_cache_get("k2") is None

    assert store.llm_usage_totals() == (0, 0, 0)
    store.record_llm_usage("model-a", "summary", 120, 40, cached=False)
    store.record_llm_usage("model-a", "smart", 30, 10, cached=True)
    assert store.llm_usage_totals() == (2, 150, 50)


# --- backup ----------------------------------------------------------------------------


def test_backup_is_a_complete_working_copy(world, tmp_path):
    store = world.store
    target = tmp_path / "backup.db"
    store.backup_to(target)
    assert target.read_bytes()[:16] == b"SQLite format 3\x00"

    def counts(conn):
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}

    original = sqlite3.connect(store.path)
    copy_conn = sqlite3.connect(target)
    try:
        expected = counts(original)
        assert counts(copy_conn) == expected
        assert expected["note"] > 0 and expected["summary"] > 0 and expected["action_event"] > 0
    finally:
        original.close()
        copy_conn.close()

    copy = Store(target)
    try:
        assert copy.integrity_ok()
        assert snapshot(copy, world.a.id, world.ab) == snapshot(store, world.a.id, world.ab)
        assert snapshot(copy, world.d.id, world.cd) == snapshot(store, world.d.id, world.cd)
    finally:
        copy.close()


def test_integrity_ok_on_a_live_database(world):
    assert world.store.integrity_ok() is True
