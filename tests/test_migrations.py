"""Tests for the store's schema migrations: an old database is upgraded in place."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from pal_core.models import Phase, SessionStatus
from pal_core.store import DatabaseUnreadable, Store, migrations

FIRST = "m001_accounts_pairings_sessions"


def all_migration_names() -> list[str]:
    """Every migration the code defines, in order (pending on an empty database)."""
    return [m.name for m in migrations.pending(sqlite_utils.Database(memory=True))]


def applied(path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT migration_set, name, applied_at FROM _sqlite_migrations ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


def test_migrations_are_ordered_and_start_with_the_first():
    names = all_migration_names()
    assert names[0] == FIRST
    assert "m002_session_content" in names and "m003_summaries_and_llm" in names
    assert names == sorted(names)  # the mNNN prefix is the order
    assert len(set(names)) == len(names)


def test_fresh_database_gets_every_migration(tmp_path):
    store = Store(tmp_path / "pal.db")
    try:
        assert [name for _, name, _ in applied(store.path)] == all_migration_names()
        assert migrations.pending(store.db) == []
    finally:
        store.close()


@pytest.fixture
def old_database(tmp_path):
    """A database at the first migration only, with rows written the old way."""
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="m002_session_content")
    assert [name for _, name, _ in applied(path)] == [FIRST]
    assert "note" not in db.table_names()
    assert "version" not in db["session"].columns_dict
    with db.conn:
        db.conn.executescript(
            """
            INSERT INTO person (id, email, display_name, password_hash, created_at)
                VALUES (1, 'ann@example.com', 'Ann', NULL, '2024-01-01T09:00:00+00:00'),
                       (2, 'bo@example.com', 'Bo', 'scrypt$old', '2024-01-01T09:05:00+00:00');
            INSERT INTO pairing (id, mentee_id, pal_id, cadence_days, session_minutes, created_at)
                VALUES (1, 1, 2, 14, 45, '2024-01-02T10:00:00+00:00');
            INSERT INTO session (id, pairing_id, scheduled_at, status, rating, rating_why, rating_plus_one)
                VALUES (1, 1, '2024-01-09T10:00:00+00:00', 'completed', 8, 'Good week', 'More focus time');
            """
        )
    db.close()
    return path


def test_old_database_is_upgraded_with_rows_intact(old_database):
    store = Store(old_database)
    try:
        rows = applied(old_database)
        assert [name for _, name, _ in rows] == all_migration_names()
        assert {migration_set for migration_set, _, _ in rows} == {"pal_sessions"}
        assert migrations.pending(store.db) == []

        pairing = store.pairing(1, 1)
        assert (pairing.mentee_name, pairing.pal_name, pairing.cadence_days, pairing.session_minutes) == ("Ann", "Bo", 14, 45)
        assert pairing.is_sample is False  # new column, defaulted

        session = store.session(1, 1)  # the mentee sees their rating
        assert session.status == SessionStatus.COMPLETED
        assert (session.rating, session.rating_why, session.rating_plus_one) == (8, "Good week", "More focus time")
        # New columns, defaulted.
        assert session.version == 1
        assert session.current_phase == Phase.OPENING
        assert session.phase_seconds == {}
        assert session.agenda_shared_at is None and session.timer_running_since is None
        assert session.next_session_at is None
        # The PAL doesn't see the (never shared) rating of the old session.
        assert store.session(2, 1).rating is None

        person, password_hash = store.credentials("bo@example.com")
        assert (person.id, person.display_name, password_hash) == (2, "Bo", "scrypt$old")

        # The new tables work with the old rows.
        note = store.save_note(2, 1, Phase.REFLECTION, "reflection:successes", "Still here", expected_version=None)
        assert note.version == 1
        assert store.save_summary(1, 1, "Upgraded fine.", expected_version=None).version == 1
        assert store.integrity_ok()
    finally:
        store.close()


def test_reopening_applies_nothing_new(old_database):
    first = Store(old_database)
    first.close()
    after_first = applied(old_database)
    second = Store(old_database)
    try:
        assert applied(old_database) == after_first  # same rows, same applied_at times
        assert migrations.pending(second.db) == []
        assert second.pairing(1, 1).mentee_name == "Ann"
    finally:
        second.close()


def test_a_failing_migration_leaves_nothing_half_done(old_database):
    # An obstacle halfway through m002 (after its ALTER TABLEs): the upgrade must fail
    # cleanly, not leave new columns behind that make every later start fail.
    conn = sqlite3.connect(old_database)
    with conn:
        conn.execute("CREATE TABLE kpi (obstacle TEXT)")
    conn.close()
    with pytest.raises(DatabaseUnreadable, match="could not be opened"):
        Store(old_database)
    conn = sqlite3.connect(old_database)
    try:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(session)")}
        assert "agenda_shared_at" not in columns and "version" not in columns
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'auth_token'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM session").fetchone()[0] == 1
        with conn:
            conn.execute("DROP TABLE kpi")
    finally:
        conn.close()
    assert [name for _, name, _ in applied(old_database)] == [FIRST]
    store = Store(old_database)  # with the obstacle gone, the upgrade completes
    try:
        assert [name for _, name, _ in applied(old_database)] == all_migration_names()
        assert store.session(1, 1).version == 1
    finally:
        store.close()
