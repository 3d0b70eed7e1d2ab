"""The SQLite layer: schema, migrations, and every query the app runs.

Connections: one per thread (``threading.local``), never two threads on one connection
at a time, so no lock is needed; WAL lets readers run beside the single writer and
``busy_timeout`` makes a writer wait its turn. Streamlit runs almost every rerun on a new
script thread, and opening a connection (schema parse, WAL set-up) cost more than a whole
page's queries, so a thread's connection goes back to a pool when the thread ends
(:class:`_Lease`) and the next thread takes it from there, warm page cache included.

Access: every public method that touches pairing data takes ``actor`` (the signed-in
person's id) and scopes its SQL to the pairings that person belongs to. A row the actor
may not see raises :class:`NotFound` exactly as a row that does not exist, so ids can't
be probed. Private notes and the mentee's unshared preparation are filtered in the SQL.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import secrets
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pal_core.models import (
    CLOSED_ACTION_STATUSES,
    ActionEvent,
    ActionItem,
    ActionStatus,
    AgendaItem,
    AgendaKind,
    Goal,
    Kpi,
    NewAction,
    NewSession,
    Note,
    Pairing,
    Person,
    Phase,
    RatingInput,
    Role,
    Session,
    SessionStatus,
    Summary,
    Visibility,
    _optional_text,
    _required_line,
)

# sqlite-utils imports pandas and numpy when they are installed (Streamlit brings them)
# only to store their values, which this app never does: hidden for that one import, they
# no longer cost ~0.8 s of every cold start. Later imports of them work as usual.
_HIDDEN = [name for name in ("pandas", "numpy") if name not in sys.modules]
sys.modules.update(dict.fromkeys(_HIDDEN))
try:
    import sqlite_utils
    from sqlite_utils.migrations import Migrations
finally:
    for _name in _HIDDEN:
        if sys.modules.get(_name) is None:
            del sys.modules[_name]

SQLITE_HEADER = b"SQLite format 3\x00"
# Files up to this size (~12k sessions) get SQLite's quick_check at start, at most ~0.3 s
# when the file is in the page cache; a larger one only has its schema read, and
# `python -m pal_core check` does the rest.
FULL_CHECK_BYTES = 64 * 1024 * 1024
# Reads (parses) the whole schema, whatever the file's size.
SCHEMA_CHECK = "SELECT 'ok' FROM (SELECT count(*) FROM sqlite_master)"
INVITE_TTL = dt.timedelta(days=14)


def damage(path: Path, check: str) -> str | None:
    """What `check` (a statement that answers 'ok' for a sound file, like PRAGMA
    integrity_check) finds wrong with the database at `path`, on a read-only connection
    that never changes the file; None when it is fine."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            result = str(conn.execute(check).fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return str(error)
    return None if result == "ok" else result


class StoreError(Exception):
    """Base of the errors a page shows to a person."""


class NotFound(StoreError):
    def __init__(self, what: str = "That item"):
        super().__init__(f"{what} was not found, or you don't have access to it.")


class StaleWrite(StoreError):
    """Someone saved a newer version first; ``current`` is their text, never lost."""

    def __init__(self, current: str, version: int, by_name: str = "someone"):
        self.current = current
        self.version = version
        self.by_name = by_name
        super().__init__(
            f"{by_name} changed this while you were typing. Their version is shown; "
            "your text is kept beside it so you can merge the two."
        )


class DatabaseUnreadable(StoreError):
    pass


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    """ISO text; datetimes in UTC so that text order is time order."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("A time without a time zone can't be stored.")
        value = value.astimezone(dt.timezone.utc)
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


# --- schema ------------------------------------------------------------------------

migrations = Migrations("pal_sessions")


@migrations()
def m001_accounts_pairings_sessions(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE person (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            display_name TEXT NOT NULL,
            password_hash TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE pairing (
            id INTEGER PRIMARY KEY,
            mentee_id INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
            pal_id INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
            cadence_days INTEGER NOT NULL DEFAULT 7,
            session_minutes INTEGER NOT NULL DEFAULT 30,
            created_at TEXT NOT NULL,
            CHECK (mentee_id != pal_id)
        );
        CREATE INDEX pairing_mentee ON pairing(mentee_id);
        CREATE INDEX pairing_pal ON pairing(pal_id);
        CREATE TABLE invite (
            code TEXT PRIMARY KEY,
            inviter_id INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
            inviter_role TEXT NOT NULL CHECK (inviter_role IN ('mentee', 'pal')),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            pairing_id INTEGER REFERENCES pairing(id) ON DELETE CASCADE
        );
        CREATE INDEX invite_inviter ON invite(inviter_id);
        CREATE TABLE session (
            id INTEGER PRIMARY KEY,
            pairing_id INTEGER NOT NULL REFERENCES pairing(id) ON DELETE CASCADE,
            scheduled_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'draft',
            started_at TEXT,
            ended_at TEXT,
            rating INTEGER CHECK (rating BETWEEN 1 AND 10),
            rating_why TEXT NOT NULL DEFAULT '',
            rating_plus_one TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX session_pairing_time ON session(pairing_id, scheduled_at);
        """
    )


@migrations()
def m002_session_content(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        ALTER TABLE session ADD COLUMN agenda_shared_at TEXT;
        ALTER TABLE session ADD COLUMN current_phase TEXT NOT NULL DEFAULT 'opening';
        ALTER TABLE session ADD COLUMN phase_seconds TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE session ADD COLUMN timer_running_since TEXT;
        ALTER TABLE session ADD COLUMN next_session_at TEXT;
        ALTER TABLE session ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        CREATE TABLE auth_token (
            token_hash TEXT PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE INDEX auth_token_person ON auth_token(person_id);
        CREATE TABLE login_failure (
            key TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX login_failure_key_at ON login_failure(key, at);
        CREATE TABLE kpi (
            id INTEGER PRIMARY KEY,
            pairing_id INTEGER NOT NULL REFERENCES pairing(id) ON DELETE CASCADE,
            text TEXT NOT NULL
        );
        CREATE INDEX kpi_pairing ON kpi(pairing_id);
        CREATE TABLE agenda_item (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            position INTEGER NOT NULL
        );
        CREATE INDEX agenda_item_session ON agenda_item(session_id, position);
        -- A shared note belongs to the pair (owner_id 0); a private one to its author.
        CREATE TABLE note (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
            phase TEXT NOT NULL,
            question_key TEXT NOT NULL,
            question_text TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL,
            author_id INTEGER NOT NULL REFERENCES person(id),
            visibility TEXT NOT NULL CHECK (visibility IN ('shared', 'private')),
            owner_id INTEGER NOT NULL DEFAULT 0,
            version INTEGER NOT NULL DEFAULT 1,
            updated_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX note_slot ON note(session_id, phase, question_key, owner_id);
        CREATE TABLE action_item (
            id INTEGER PRIMARY KEY,
            pairing_id INTEGER NOT NULL REFERENCES pairing(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            owner TEXT NOT NULL CHECK (owner IN ('mentee', 'pal')),
            due_date TEXT,
            status TEXT NOT NULL DEFAULT 'open',
            blocker TEXT NOT NULL DEFAULT '',
            from_session_id INTEGER REFERENCES session(id) ON DELETE SET NULL,
            closed_in_session_id INTEGER REFERENCES session(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX action_pairing_status ON action_item(pairing_id, status);
        CREATE INDEX action_from_session ON action_item(from_session_id);
        CREATE TABLE action_event (
            id INTEGER PRIMARY KEY,
            action_id INTEGER NOT NULL REFERENCES action_item(id) ON DELETE CASCADE,
            session_id INTEGER REFERENCES session(id) ON DELETE SET NULL,
            at TEXT NOT NULL,
            status TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            by_id INTEGER REFERENCES person(id)
        );
        CREATE INDEX action_event_action ON action_event(action_id, at);
        -- prep = 1: drafted while preparing; private to the mentee until the agenda is shared.
        CREATE TABLE goal (
            id INTEGER PRIMARY KEY,
            pairing_id INTEGER NOT NULL REFERENCES pairing(id) ON DELETE CASCADE,
            session_id INTEGER REFERENCES session(id) ON DELETE SET NULL,
            text TEXT NOT NULL,
            kpi TEXT NOT NULL DEFAULT '',
            smart_json TEXT NOT NULL DEFAULT '',
            done INTEGER NOT NULL DEFAULT 0,
            prep INTEGER NOT NULL DEFAULT 0,
            version INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX goal_pairing ON goal(pairing_id);
        CREATE INDEX goal_session ON goal(session_id);
        CREATE TABLE custom_question (
            id INTEGER PRIMARY KEY,
            pairing_id INTEGER NOT NULL REFERENCES pairing(id) ON DELETE CASCADE,
            section TEXT NOT NULL,
            text TEXT NOT NULL,
            created_by INTEGER REFERENCES person(id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX custom_question_pairing ON custom_question(pairing_id, section);
        CREATE TABLE question_seen (
            pairing_id INTEGER NOT NULL REFERENCES pairing(id) ON DELETE CASCADE,
            question_id TEXT NOT NULL,
            session_id INTEGER NOT NULL,
            PRIMARY KEY (pairing_id, question_id)
        );
        CREATE TABLE question_pin (
            pairing_id INTEGER NOT NULL REFERENCES pairing(id) ON DELETE CASCADE,
            question_id TEXT NOT NULL,
            PRIMARY KEY (pairing_id, question_id)
        );
        """
    )


@migrations()
def m003_summaries_and_llm(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        ALTER TABLE pairing ADD COLUMN is_sample INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE summary (
            session_id INTEGER PRIMARY KEY REFERENCES session(id) ON DELETE CASCADE,
            body TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT 'offline',
            version INTEGER NOT NULL DEFAULT 1,
            edited_by INTEGER REFERENCES person(id),
            edited_at TEXT NOT NULL,
            agreed_by_mentee_at TEXT,
            agreed_by_pal_at TEXT
        );
        CREATE TABLE summary_revision (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            body TEXT NOT NULL,
            edited_by INTEGER REFERENCES person(id),
            edited_at TEXT NOT NULL
        );
        CREATE INDEX summary_revision_session ON summary_revision(session_id, version);
        CREATE TABLE llm_cache (
            key TEXT PRIMARY KEY,
            response TEXT NOT NULL,
            model TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE llm_usage (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            model TEXT NOT NULL,
            feature TEXT NOT NULL,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cached INTEGER NOT NULL DEFAULT 0
        );
        """
    )


@migrations()
def m004_history_indexes(db: sqlite_utils.Database) -> None:
    # Overdue actions (History, the PAL overview) are the few open ones of a pairing with
    # years of closed ones: a partial index keeps them one short range away.
    db.execute(
        "CREATE INDEX action_open_due ON action_item(pairing_id, due_date)"
        " WHERE status NOT IN ('done', 'dropped')"
    )


@migrations()
def m005_performance_indexes(db: sqlite_utils.Database) -> None:
    # Found with benchmarks.pages on 1,000 pairings × 260 weekly sessions and kept honest by
    # tests/test_query_plans.py: no page query scans a big table or a pairing's history.
    for sql in (
        # Carried-over actions: those closed in this session or a later one (store
        # .carried_over_actions walks the sessions from this one on, then these).
        "CREATE INDEX action_closed_in ON action_item(closed_in_session_id)",
        # History counts go through the sessions in the date range; the few goals and
        # actions without a session (it was deleted) sit in these tiny partial indexes.
        "CREATE INDEX goal_no_session ON goal(pairing_id) WHERE session_id IS NULL",
        "CREATE INDEX action_no_session ON action_item(pairing_id, created_at) WHERE from_session_id IS NULL",
        # Foreign keys whose parent row can be deleted (a sample pairing's sessions, the
        # sample PAL): without an index on the child column SQLite scans the whole child
        # table once per deleted parent row — seconds at a million notes.
        "CREATE INDEX action_event_session ON action_event(session_id)",
        "CREATE INDEX action_event_by ON action_event(by_id)",
        "CREATE INDEX note_author ON note(author_id)",
        "CREATE INDEX summary_edited_by ON summary(edited_by)",
        "CREATE INDEX summary_revision_edited_by ON summary_revision(edited_by)",
        "CREATE INDEX custom_question_created_by ON custom_question(created_by)",
        "CREATE INDEX invite_pairing ON invite(pairing_id)",
    ):
        db.execute(sql)


# --- row mapping -------------------------------------------------------------------

_SESSION_COLS = (
    "s.id, s.pairing_id, s.scheduled_at, s.status, s.agenda_shared_at, s.started_at,"
    " s.ended_at, s.rating, s.rating_why, s.rating_plus_one, s.current_phase,"
    " s.phase_seconds, s.timer_running_since, s.next_session_at, s.version, p.mentee_id"
)
_PAIRING_COLS = (
    "p.id, p.mentee_id, p.pal_id, m.display_name AS mentee_name,"
    " pl.display_name AS pal_name, p.cadence_days, p.session_minutes, p.is_sample"
)
_PAIRING_FROM = (
    "pairing p JOIN person m ON m.id = p.mentee_id JOIN person pl ON pl.id = p.pal_id"
)
_MEMBER = "(p.mentee_id = :actor OR p.pal_id = :actor)"
# The mentee's preparation is theirs alone until they share the agenda.
_PREP_VISIBLE = "(s.agenda_shared_at IS NOT NULL OR p.mentee_id = :actor)"


def _session(row: sqlite3.Row, actor: int) -> Session:
    prep_visible = row["agenda_shared_at"] is not None or row["mentee_id"] == actor
    return Session(
        id=row["id"],
        pairing_id=row["pairing_id"],
        scheduled_at=_dt(row["scheduled_at"]),
        status=row["status"],
        agenda_shared_at=_dt(row["agenda_shared_at"]),
        started_at=_dt(row["started_at"]),
        ended_at=_dt(row["ended_at"]),
        rating=row["rating"] if prep_visible else None,
        rating_why=row["rating_why"] if prep_visible else "",
        rating_plus_one=row["rating_plus_one"] if prep_visible else "",
        current_phase=row["current_phase"],
        phase_seconds=json.loads(row["phase_seconds"]),
        timer_running_since=_dt(row["timer_running_since"]),
        next_session_at=_dt(row["next_session_at"]),
        version=row["version"],
    )


def _note(row: sqlite3.Row) -> Note:
    return Note(
        id=row["id"],
        session_id=row["session_id"],
        phase=row["phase"],
        question_key=row["question_key"],
        question_text=row["question_text"],
        body=row["body"],
        author_id=row["author_id"],
        visibility=row["visibility"],
        version=row["version"],
        updated_at=_dt(row["updated_at"]),
    )


def _action(row: sqlite3.Row) -> ActionItem:
    return ActionItem(
        id=row["id"],
        pairing_id=row["pairing_id"],
        text=row["text"],
        owner=row["owner"],
        due_date=dt.date.fromisoformat(row["due_date"]) if row["due_date"] else None,
        status=row["status"],
        blocker=row["blocker"],
        from_session_id=row["from_session_id"],
        closed_in_session_id=row["closed_in_session_id"],
        created_at=_dt(row["created_at"]),
        version=row["version"],
    )


def _goal(row: sqlite3.Row) -> Goal:
    return Goal(
        id=row["id"],
        pairing_id=row["pairing_id"],
        session_id=row["session_id"],
        text=row["text"],
        kpi=row["kpi"],
        smart_json=row["smart_json"],
        done=bool(row["done"]),
        prep=bool(row["prep"]),
        version=row["version"],
    )


class _Lease:
    """Held in a thread's locals: when the thread ends, its connection (rolled back if it
    left a transaction open) goes back to the pool for the next thread."""

    __slots__ = ("pool", "db")

    def __init__(self, pool: queue.SimpleQueue, db: sqlite_utils.Database):
        self.pool, self.db = pool, db

    def __del__(self) -> None:
        db, self.db = self.db, None
        if db is None:
            return
        try:
            if db.conn.in_transaction:
                db.conn.rollback()
            self.pool.put(db)
        except sqlite3.Error:  # closed or broken: let it go
            pass


class Store:
    """All persistence. Create one per database file and share it (it is thread-safe)."""

    def __init__(self, path: str | Path):
        """:raises DatabaseUnreadable: if the file exists but is not a usable SQLite
        database; the file is left untouched."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._check_readable()
        self._local = threading.local()
        self._pool: queue.SimpleQueue[sqlite_utils.Database] = queue.SimpleQueue()
        self._bulk_columns: dict[str, set[str]] = {}
        try:
            migrations.apply(self.db)
        except sqlite3.DatabaseError as error:
            raise DatabaseUnreadable(
                f"The database file {self.path} could not be opened ({error}). It was not "
                "changed. Restore it from a backup, or set PAL_DB_PATH to another file."
            ) from error

    def _check_readable(self) -> None:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        try:
            with self.path.open("rb") as handle:
                header = handle.read(len(SQLITE_HEADER))
        except OSError as error:
            raise DatabaseUnreadable(
                f"The database file {self.path} can't be read ({error.strerror}). "
                "Check its permissions, or set PAL_DB_PATH to another file."
            ) from error
        if header != SQLITE_HEADER:
            raise DatabaseUnreadable(
                f"The file {self.path} is not a PAL Sessions database (it is not SQLite). "
                "It was not changed. Restore it from a backup, or set PAL_DB_PATH to "
                "another file."
            )
        # Read-only, before anything writes: even setting WAL mode rewrites the header.
        small = self.path.stat().st_size <= FULL_CHECK_BYTES
        if problem := damage(self.path, "PRAGMA quick_check" if small else SCHEMA_CHECK):
            raise DatabaseUnreadable(
                f"The database file {self.path} is damaged ({problem}). It was not changed. "
                "Restore it from a backup (python -m pal_core restore), or set PAL_DB_PATH to another file."
            )

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                db = self._pool.get_nowait()  # a finished thread's connection
            except queue.Empty:
                # check_same_thread off: a pooled connection moves to the next thread,
                # but only ever serves one thread at a time (see _Lease).
                conn = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA busy_timeout = 10000")
                conn.execute("PRAGMA synchronous = NORMAL")
                db = sqlite_utils.Database(conn, execute_plugins=False)
            self._local.db = db
            self._local.lease = _Lease(self._pool, db)
        return db

    def close(self) -> None:
        """Close this thread's connection and the pooled ones."""
        db = getattr(self._local, "db", None)
        if db is not None:
            self._local.lease.db = None
            db.close()
            self._local.db = None
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                break

    @contextmanager
    def _tx(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction. BEGIN IMMEDIATE takes the write lock up front, so a read
        followed by a write waits (busy_timeout) instead of failing with "locked"."""
        db = self.db
        if db.conn.in_transaction:
            with db.atomic():
                yield db
            return
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        db.conn.execute("COMMIT")

    def _one(self, sql: str, params: dict | Sequence = ()) -> sqlite3.Row | None:
        return self.db.execute(sql, params).fetchone()

    def _all(self, sql: str, params: dict | Sequence = ()) -> list[sqlite3.Row]:
        return self.db.execute(sql, params).fetchall()

    def integrity_ok(self) -> bool:
        try:
            return self._one("PRAGMA integrity_check")[0] == "ok"
        except sqlite3.DatabaseError:  # a damaged page can fail the check itself
            return False

    def backup_to(self, target: str | Path) -> None:
        """Copy the live database with SQLite's online backup (safe while in use)."""
        target_conn = sqlite3.connect(target)
        try:
            self.db.conn.backup(target_conn)
        finally:
            target_conn.close()

    @contextmanager
    def bulk_load(self) -> Iterator[sqlite_utils.Database]:
        """This thread's connection set up for a bulk load (benchmarks.seed only): no
        fsync, a large page cache, and the schema's own indexes dropped for the load and
        built again at the end (one sort each instead of millions of B-tree inserts; a
        unique index refuses to come back over duplicate rows). Unsafe if the machine
        crashes mid-load, so the app never uses it; the settings are restored on exit."""
        db = self.db
        indexes = self._all("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        for name, _ in indexes:
            db.execute(f'DROP INDEX "{name}"')
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA cache_size = -262144")  # 256 MiB
        try:
            yield db
        finally:
            db.commit()
            with db.atomic():
                for _, sql in indexes:
                    db.execute(sql)
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA cache_size = -2000")

    def bulk_insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
        """Insert many rows with one prepared statement (benchmarks.seed; several times
        faster than sqlite-utils' insert_all, which converts every value in Python).
        Table and column names must exist in the schema; values are always bound."""
        known = self._bulk_columns.get(table)
        if known is None:
            known = self._bulk_columns[table] = set(self.db[table].columns_dict) if self.db[table].exists() else set()
        if not known or not set(columns) <= known:
            raise ValueError(f"unknown table or columns: {table}({', '.join(columns)})")
        marks = ", ".join("?" * len(columns))
        self.db.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    # --- people and sign-in --------------------------------------------------------

    def create_person(self, email: str, display_name: str, password_hash: str | None) -> Person:
        """:raises StoreError: if the e-mail is already registered."""
        try:
            with self._tx() as db:
                cursor = db.execute(
                    "INSERT INTO person (email, display_name, password_hash, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    [email, display_name, password_hash, _iso(now_utc())],
                )
        except sqlite3.IntegrityError as error:
            raise StoreError("An account with that e-mail already exists: sign in instead.") from error
        return Person(id=cursor.lastrowid, email=email, display_name=display_name)

    def person(self, person_id: int) -> Person | None:
        row = self._one("SELECT id, email, display_name FROM person WHERE id = ?", [person_id])
        return Person(**dict(row)) if row else None

    def credentials(self, email: str) -> tuple[Person, str | None] | None:
        row = self._one(
            "SELECT id, email, display_name, password_hash FROM person WHERE email = ?", [email]
        )
        if row is None:
            return None
        return Person(id=row["id"], email=row["email"], display_name=row["display_name"]), row[
            "password_hash"
        ]

    def set_password_hash(self, person_id: int, password_hash: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE person SET password_hash = ? WHERE id = ?", [password_hash, person_id])

    def add_token(self, token_hash: str, person_id: int, expires_at: dt.datetime) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO auth_token VALUES (?, ?, ?, ?)",
                [token_hash, person_id, _iso(now_utc()), _iso(expires_at)],
            )

    def person_for_token(self, token_hash: str) -> Person | None:
        row = self._one(
            "SELECT p.id, p.email, p.display_name FROM auth_token t"
            " JOIN person p ON p.id = t.person_id WHERE t.token_hash = ? AND t.expires_at > ?",
            [token_hash, _iso(now_utc())],
        )
        return Person(**dict(row)) if row else None

    def delete_tokens(self, person_id: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM auth_token WHERE person_id = ?", [person_id])

    def record_login_failure(self, keys: Sequence[str]) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM login_failure WHERE at < ?", [_iso(now_utc() - dt.timedelta(days=1))])
            for key in keys:
                db.execute("INSERT INTO login_failure VALUES (?, ?)", [key, _iso(now_utc())])

    def login_failures_since(self, key: str, since: dt.datetime) -> int:
        return self._one(
            "SELECT count(*) FROM login_failure WHERE key = ? AND at > ?", [key, _iso(since)]
        )[0]

    def clear_login_failures(self, key: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM login_failure WHERE key = ?", [key])

    # --- pairings ------------------------------------------------------------------

    def create_invite(self, actor: int, inviter_role: Role) -> str:
        code = "-".join(secrets.token_hex(2).upper() for _ in range(3))
        with self._tx() as db:
            db.execute(
                "INSERT INTO invite (code, inviter_id, inviter_role, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [code, actor, Role(inviter_role).value, _iso(now_utc()), _iso(now_utc() + INVITE_TTL)],
            )
        return code

    def open_invites(self, actor: int) -> list[tuple[str, Role, dt.datetime]]:
        rows = self._all(
            "SELECT code, inviter_role, expires_at FROM invite WHERE inviter_id = ?"
            " AND pairing_id IS NULL AND expires_at > ? ORDER BY created_at DESC",
            [actor, _iso(now_utc())],
        )
        return [(r["code"], Role(r["inviter_role"]), _dt(r["expires_at"])) for r in rows]

    def accept_invite(self, actor: int, code: str) -> Pairing:
        """:raises StoreError: if the code is unknown, used, expired or the actor's own."""
        code = code.strip().upper()
        with self._tx() as db:
            row = db.execute(
                "SELECT inviter_id, inviter_role, expires_at, pairing_id FROM invite WHERE code = ?",
                [code],
            ).fetchone()
            if row is None or row["pairing_id"] is not None or _dt(row["expires_at"]) < now_utc():
                raise StoreError(
                    "That invite code is not valid (it may be mistyped, used or expired). "
                    "Ask for a new one."
                )
            if row["inviter_id"] == actor:
                raise StoreError("That is your own invite code: send it to the other person.")
            mentee, pal = (
                (row["inviter_id"], actor) if row["inviter_role"] == Role.MENTEE else (actor, row["inviter_id"])
            )
            pairing_id = db.execute(
                "INSERT INTO pairing (mentee_id, pal_id, created_at) VALUES (?, ?, ?)",
                [mentee, pal, _iso(now_utc())],
            ).lastrowid
            db.execute("UPDATE invite SET pairing_id = ? WHERE code = ?", [pairing_id, code])
        return self.pairing(actor, pairing_id)

    def pairings(self, actor: int) -> list[Pairing]:
        rows = self._all(
            f"SELECT {_PAIRING_COLS} FROM {_PAIRING_FROM} WHERE {_MEMBER} ORDER BY p.id",
            {"actor": actor},
        )
        return [Pairing(**dict(r)) for r in rows]

    def pairing(self, actor: int, pairing_id: int) -> Pairing:
        row = self._one(
            f"SELECT {_PAIRING_COLS} FROM {_PAIRING_FROM} WHERE p.id = :id AND {_MEMBER}",
            {"id": pairing_id, "actor": actor},
        )
        if row is None:
            raise NotFound("That pairing")
        return Pairing(**dict(row))

    def mark_sample(self, actor: int, pairing_id: int) -> None:
        self.pairing(actor, pairing_id)
        with self._tx() as db:
            db.execute("UPDATE pairing SET is_sample = 1 WHERE id = ?", [pairing_id])

    def remove_sample(self, actor: int, pairing_id: int) -> None:
        """Delete a sample pairing with everything in it, and its sample PAL account."""
        pairing = self.pairing(actor, pairing_id)
        if not pairing.is_sample:
            raise StoreError("Only a sample pairing can be removed this way.")
        other = pairing.pal_id if pairing.mentee_id == actor else pairing.mentee_id
        with self._tx() as db:
            db.execute("DELETE FROM pairing WHERE id = ?", [pairing_id])
            db.execute("DELETE FROM person WHERE id = ? AND password_hash IS NULL AND email LIKE '%@example.invalid'", [other])

    def set_session_minutes(self, actor: int, pairing_id: int, minutes: int) -> None:
        self.pairing(actor, pairing_id)
        if not 10 <= minutes <= 120:
            raise StoreError("A session can last from 10 to 120 minutes.")
        with self._tx() as db:
            db.execute("UPDATE pairing SET session_minutes = ? WHERE id = ?", [minutes, pairing_id])

    def kpis(self, actor: int, pairing_id: int) -> list[Kpi]:
        self.pairing(actor, pairing_id)
        rows = self._all("SELECT id, pairing_id, text FROM kpi WHERE pairing_id = ? ORDER BY id", [pairing_id])
        return [Kpi(**dict(r)) for r in rows]

    def add_kpi(self, actor: int, pairing_id: int, text: str) -> None:
        self.pairing(actor, pairing_id)
        with self._tx() as db:
            db.execute("INSERT INTO kpi (pairing_id, text) VALUES (?, ?)", [pairing_id, _required_line(text)])

    def delete_kpi(self, actor: int, kpi_id: int) -> None:
        with self._tx() as db:
            deleted = db.execute(
                f"DELETE FROM kpi WHERE id = :id AND pairing_id IN"
                f" (SELECT p.id FROM pairing p WHERE {_MEMBER})",
                {"id": kpi_id, "actor": actor},
            ).rowcount
        if not deleted:
            raise NotFound("That KPI")

    # --- sessions ------------------------------------------------------------------

    def schedule_session(self, actor: int, pairing_id: int, new: NewSession) -> Session:
        self.pairing(actor, pairing_id)
        with self._tx() as db:
            session_id = db.execute(
                "INSERT INTO session (pairing_id, scheduled_at) VALUES (?, ?)",
                [pairing_id, _iso(new.scheduled_at)],
            ).lastrowid
        return self.session(actor, session_id)

    def session(self, actor: int, session_id: int) -> Session:
        row = self._one(
            f"SELECT {_SESSION_COLS} FROM session s JOIN pairing p ON p.id = s.pairing_id"
            f" WHERE s.id = :id AND {_MEMBER}",
            {"id": session_id, "actor": actor},
        )
        if row is None:
            raise NotFound("That session")
        return _session(row, actor)

    def sessions(
        self, actor: int, pairing_id: int, *, limit: int = 20, offset: int = 0, newest_first: bool = True
    ) -> list[Session]:
        self.pairing(actor, pairing_id)
        order = "DESC" if newest_first else "ASC"
        rows = self._all(
            f"SELECT {_SESSION_COLS} FROM session s JOIN pairing p ON p.id = s.pairing_id"
            f" WHERE s.pairing_id = :pid ORDER BY s.scheduled_at {order} LIMIT :limit OFFSET :offset",
            {"pid": pairing_id, "limit": limit, "offset": offset},
        )
        return [_session(r, actor) for r in rows]

    def count_sessions(self, actor: int, pairing_id: int) -> int:
        self.pairing(actor, pairing_id)
        return self._one("SELECT count(*) FROM session WHERE pairing_id = ?", [pairing_id])[0]

    def change_token(self, actor: int, session_id: int) -> tuple:
        """Changes whenever anything this actor sees of the session is saved (cheap to poll)."""
        row = self._one(
            "SELECT s.version,"
            " (SELECT count(*) || ':' || coalesce(max(updated_at), '') FROM note n WHERE n.session_id = s.id"
            "   AND (n.visibility = 'shared' OR n.owner_id = :actor)),"
            " (SELECT count(*) || ':' || coalesce(sum(version), 0) FROM action_item a WHERE a.pairing_id = s.pairing_id"
            "   AND a.status NOT IN ('done', 'dropped')),"
            f" (SELECT count(*) || ':' || coalesce(sum(version), 0) FROM goal g WHERE g.session_id = s.id AND (g.prep = 0 OR {_PREP_VISIBLE})),"
            f" (SELECT count(*) || ':' || coalesce(max(id), 0) FROM agenda_item i WHERE i.session_id = s.id AND {_PREP_VISIBLE})"
            f" FROM session s JOIN pairing p ON p.id = s.pairing_id WHERE s.id = :id AND {_MEMBER}",
            {"id": session_id, "actor": actor},
        )
        if row is None:
            raise NotFound("That session")
        return tuple(row)

    def tracked(self, actor: int, session_id: int, write: Callable[[], object]) -> tuple[tuple, object, tuple]:
        """``(token before, write(), token after)``, all in one transaction: a page that
        had drawn everything up to ``before`` is up to date at ``after`` once it shows
        what ``write`` changed, and no one else's save can fall between the two."""
        with self._tx():
            before = self.change_token(actor, session_id)
            result = write()
            return before, result, self.change_token(actor, session_id)

    def previous_session(self, actor: int, session: Session) -> Session | None:
        row = self._one(
            f"SELECT {_SESSION_COLS} FROM session s JOIN pairing p ON p.id = s.pairing_id"
            f" WHERE s.pairing_id = :pid AND s.scheduled_at < :at AND {_MEMBER}"
            " ORDER BY s.scheduled_at DESC LIMIT 1",
            {"pid": session.pairing_id, "at": _iso(session.scheduled_at), "actor": actor},
        )
        return _session(row, actor) if row else None

    def _bump_session(self, actor: int, session_id: int, sets: str, params: dict, expected_version: int | None = None) -> Session:
        """Update session columns, refusing a stale write when a version is given."""
        self.session(actor, session_id)
        guard = " AND version = :expected" if expected_version is not None else ""
        with self._tx() as db:
            changed = db.execute(
                f"UPDATE session SET {sets}, version = version + 1 WHERE id = :id{guard}",
                {**params, "id": session_id, "expected": expected_version},
            ).rowcount
        current = self.session(actor, session_id)
        if not changed:
            raise StaleWrite(current.model_dump_json(), current.version, "The other person")
        return current

    def save_rating(self, actor: int, session_id: int, rating: RatingInput, expected_version: int | None = None) -> Session:
        pairing = self.pairing(actor, self.session(actor, session_id).pairing_id)
        if actor != pairing.mentee_id:
            raise StoreError("Only the mentee rates how they are doing.")
        return self._bump_session(
            actor,
            session_id,
            "rating = :rating, rating_why = :why, rating_plus_one = :plus_one",
            {"rating": rating.rating, "why": rating.why, "plus_one": rating.plus_one},
            expected_version,
        )

    def share_agenda(self, actor: int, session_id: int) -> Session:
        session = self.session(actor, session_id)
        if actor != self.pairing(actor, session.pairing_id).mentee_id:
            raise StoreError("Only the mentee can share their agenda.")
        status = SessionStatus.AGENDA_SHARED if session.status == SessionStatus.DRAFT else session.status
        return self._bump_session(
            actor,
            session_id,
            "agenda_shared_at = coalesce(agenda_shared_at, :at), status = :status",
            {"at": _iso(now_utc()), "status": status.value},
        )

    def set_phase_timer(self, actor: int, session_id: int, phase: Phase, phase_seconds: dict[str, float], running_since: dt.datetime | None) -> Session:
        """Store the pacing state (computed by ``pacing``); starting marks the session in progress."""
        session = self.session(actor, session_id)
        status = session.status
        if status in (SessionStatus.DRAFT, SessionStatus.AGENDA_SHARED) and running_since is not None:
            status = SessionStatus.IN_PROGRESS
        return self._bump_session(
            actor,
            session_id,
            "current_phase = :phase, phase_seconds = :seconds, timer_running_since = :since,"
            " status = :status, started_at = coalesce(started_at, :since)",
            {
                "phase": Phase(phase).value,
                "seconds": json.dumps(phase_seconds),
                "since": _iso(running_since),
                "status": status.value,
            },
        )

    def complete_session(self, actor: int, session_id: int, next_session_at: dt.datetime | None) -> Session:
        """Mark the session completed; actions still open stay open and carry over."""
        return self._bump_session(
            actor,
            session_id,
            "status = 'completed', ended_at = :now, timer_running_since = NULL,"
            " next_session_at = :next, started_at = coalesce(started_at, :now)",
            {"now": _iso(now_utc()), "next": _iso(next_session_at)},
        )

    def set_next_session_at(self, actor: int, session_id: int, when: dt.datetime | None) -> Session:
        return self._bump_session(actor, session_id, "next_session_at = :next", {"next": _iso(when)})

    # --- agenda ----------------------------------------------------------------------

    def _prep_session(self, actor: int, session_id: int) -> Session:
        session = self.session(actor, session_id)
        if actor != self.pairing(actor, session.pairing_id).mentee_id:
            raise StoreError("Only the mentee edits their preparation.")
        return session

    def agenda(self, actor: int, session_id: int) -> list[AgendaItem]:
        rows = self._all(
            "SELECT a.id, a.session_id, a.kind, a.text, a.position FROM agenda_item a"
            " JOIN session s ON s.id = a.session_id JOIN pairing p ON p.id = s.pairing_id"
            f" WHERE a.session_id = :sid AND {_MEMBER} AND {_PREP_VISIBLE} ORDER BY a.kind, a.position",
            {"sid": session_id, "actor": actor},
        )
        return [AgendaItem(**dict(r)) for r in rows]

    def add_agenda_item(self, actor: int, session_id: int, kind: AgendaKind, text: str) -> None:
        self._prep_session(actor, session_id)
        with self._tx() as db:
            position = db.execute(
                "SELECT coalesce(max(position), 0) + 1 FROM agenda_item WHERE session_id = ? AND kind = ?",
                [session_id, AgendaKind(kind).value],
            ).fetchone()[0]
            db.execute(
                "INSERT INTO agenda_item (session_id, kind, text, position) VALUES (?, ?, ?, ?)",
                [session_id, AgendaKind(kind).value, _required_line(text), position],
            )

    def _agenda_row(self, actor: int, item_id: int) -> sqlite3.Row:
        row = self._one(
            "SELECT a.* FROM agenda_item a JOIN session s ON s.id = a.session_id"
            " JOIN pairing p ON p.id = s.pairing_id WHERE a.id = :id AND p.mentee_id = :actor",
            {"id": item_id, "actor": actor},
        )
        if row is None:
            raise NotFound("That agenda point")
        return row

    def edit_agenda_item(self, actor: int, item_id: int, text: str) -> None:
        self._agenda_row(actor, item_id)
        with self._tx() as db:
            db.execute("UPDATE agenda_item SET text = ? WHERE id = ?", [_required_line(text), item_id])

    def delete_agenda_item(self, actor: int, item_id: int) -> None:
        self._agenda_row(actor, item_id)
        with self._tx() as db:
            db.execute("DELETE FROM agenda_item WHERE id = ?", [item_id])

    def move_agenda_item(self, actor: int, item_id: int, step: int) -> None:
        """Swap the item with its neighbour above (step -1) or below (+1)."""
        row = self._agenda_row(actor, item_id)
        op, order = ("<", "DESC") if step < 0 else (">", "ASC")
        with self._tx() as db:
            other = db.execute(
                f"SELECT id, position FROM agenda_item WHERE session_id = ? AND kind = ?"
                f" AND position {op} ? ORDER BY position {order} LIMIT 1",
                [row["session_id"], row["kind"], row["position"]],
            ).fetchone()
            if other is None:
                return
            db.execute("UPDATE agenda_item SET position = ? WHERE id = ?", [other["position"], item_id])
            db.execute("UPDATE agenda_item SET position = ? WHERE id = ?", [row["position"], other["id"]])

    # --- notes -----------------------------------------------------------------------

    def notes(self, actor: int, session_id: int, phase: Phase | None = None) -> list[Note]:
        """Shared notes and the actor's own private notes; never anyone else's."""
        phase_filter = " AND n.phase = :phase" if phase is not None else ""
        rows = self._all(
            "SELECT n.* FROM note n JOIN session s ON s.id = n.session_id"
            " JOIN pairing p ON p.id = s.pairing_id"
            f" WHERE n.session_id = :sid AND {_MEMBER}"
            f" AND (n.visibility = 'shared' OR n.owner_id = :actor){phase_filter} ORDER BY n.id",
            {"sid": session_id, "actor": actor, "phase": phase.value if phase else None},
        )
        return [_note(r) for r in rows]

    def save_note(
        self,
        actor: int,
        session_id: int,
        phase: Phase,
        question_key: str,
        body: str,
        *,
        visibility: Visibility = Visibility.SHARED,
        question_text: str = "",
        expected_version: int | None,
    ) -> Note:
        """Create or update the note in its slot.

        ``expected_version`` is the version the person started editing from (None when
        the slot was empty). :raises StaleWrite: when the stored version is newer.
        """
        self.session(actor, session_id)
        body = _optional_text(body)
        owner = actor if visibility == Visibility.PRIVATE else 0
        slot = {"sid": session_id, "phase": Phase(phase).value, "key": question_key, "owner": owner}
        with self._tx() as db:
            if expected_version is None:
                try:
                    db.execute(
                        "INSERT INTO note (session_id, phase, question_key, question_text, body,"
                        " author_id, visibility, owner_id, updated_at) VALUES"
                        " (:sid, :phase, :key, :qtext, :body, :actor, :vis, :owner, :now)",
                        {**slot, "qtext": question_text, "body": body, "actor": actor,
                         "vis": Visibility(visibility).value, "now": _iso(now_utc())},
                    )
                    changed = 1
                except sqlite3.IntegrityError:
                    changed = 0
            else:
                changed = db.execute(
                    "UPDATE note SET body = :body, author_id = :actor, updated_at = :now,"
                    " version = version + 1 WHERE session_id = :sid AND phase = :phase"
                    " AND question_key = :key AND owner_id = :owner AND version = :expected",
                    {**slot, "body": body, "actor": actor, "now": _iso(now_utc()), "expected": expected_version},
                ).rowcount
            row = db.execute(
                "SELECT n.*, pe.display_name AS author_name FROM note n JOIN person pe ON pe.id = n.author_id"
                " WHERE session_id = :sid AND phase = :phase AND question_key = :key AND owner_id = :owner",
                slot,
            ).fetchone()
        if row is None:
            raise NotFound("That note")
        if not changed:
            raise StaleWrite(row["body"], row["version"], row["author_name"])
        return _note(row)

    # --- actions ---------------------------------------------------------------------

    def actions(self, actor: int, pairing_id: int, *, open_only: bool = False, limit: int = 200) -> list[ActionItem]:
        self.pairing(actor, pairing_id)
        status_filter = " AND status NOT IN ('done', 'dropped')" if open_only else ""
        rows = self._all(
            f"SELECT * FROM action_item WHERE pairing_id = ?{status_filter} ORDER BY id DESC LIMIT ?",
            [pairing_id, limit],
        )
        return [_action(r) for r in rows]

    def carried_over_actions(self, actor: int, session: Session) -> list[ActionItem]:
        """Actions agreed before this session that were not closed before it started."""
        session = self.session(actor, session.id)  # trust the stored row, not the caller's copy
        # Two short index ranges instead of the pairing's every action: the open ones
        # (partial index action_open_due), and those closed in this session or a later one
        # (this session is among those scheduled at or after its own time).
        rows = self._all(
            "SELECT a.* FROM action_item a JOIN session f ON f.id = a.from_session_id"
            " WHERE a.pairing_id = :pid AND a.status NOT IN ('done', 'dropped') AND f.scheduled_at < :at"
            " UNION SELECT a.* FROM session c JOIN action_item a ON a.closed_in_session_id = c.id"
            " JOIN session f ON f.id = a.from_session_id"  # +a.pairing_id: a check, not an index to walk
            " WHERE c.pairing_id = :pid AND c.scheduled_at >= :at AND +a.pairing_id = :pid AND f.scheduled_at < :at"
            " ORDER BY id",
            {"pid": session.pairing_id, "at": _iso(session.scheduled_at)},
        )
        return [_action(r) for r in rows]

    def session_actions(self, actor: int, session_id: int) -> list[ActionItem]:
        self.session(actor, session_id)
        rows = self._all("SELECT * FROM action_item WHERE from_session_id = ? ORDER BY id", [session_id])
        return [_action(r) for r in rows]

    def add_action(self, actor: int, session_id: int, new: NewAction) -> ActionItem:
        session = self.session(actor, session_id)
        with self._tx() as db:
            action_id = db.execute(
                "INSERT INTO action_item (pairing_id, text, owner, due_date, from_session_id, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [session.pairing_id, new.text, new.owner.value, _iso(new.due_date), session_id, _iso(now_utc())],
            ).lastrowid
            db.execute(
                "INSERT INTO action_event (action_id, session_id, at, status, note, by_id) VALUES (?, ?, ?, 'open', 'agreed', ?)",
                [action_id, session_id, _iso(now_utc()), actor],
            )
        return self._action_for(actor, action_id)

    def _action_for(self, actor: int, action_id: int) -> ActionItem:
        row = self._one(
            f"SELECT a.* FROM action_item a JOIN pairing p ON p.id = a.pairing_id WHERE a.id = :id AND {_MEMBER}",
            {"id": action_id, "actor": actor},
        )
        if row is None:
            raise NotFound("That action")
        return _action(row)

    def update_action_status(
        self, actor: int, action_id: int, status: ActionStatus, *, blocker: str = "", session_id: int | None = None
    ) -> ActionItem:
        action = self._action_for(actor, action_id)
        status = ActionStatus(status)
        blocker = _optional_text(blocker)
        if status == ActionStatus.BLOCKED and not blocker:
            raise StoreError("Say what is blocking it, so the two of you can deal with it.")
        if session_id is not None and self.session(actor, session_id).pairing_id != action.pairing_id:
            raise NotFound("That session")
        closed_in = session_id if status in CLOSED_ACTION_STATUSES else None
        with self._tx() as db:
            db.execute(
                "UPDATE action_item SET status = ?, blocker = ?, closed_in_session_id = ?,"
                " version = version + 1 WHERE id = ?",
                [status.value, blocker if status == ActionStatus.BLOCKED else "", closed_in, action_id],
            )
            db.execute(
                "INSERT INTO action_event (action_id, session_id, at, status, note, by_id) VALUES (?, ?, ?, ?, ?, ?)",
                [action_id, session_id, _iso(now_utc()), status.value, blocker, actor],
            )
        return self._action_for(actor, action_id)

    def edit_action(self, actor: int, action_id: int, new: NewAction) -> ActionItem:
        self._action_for(actor, action_id)
        with self._tx() as db:
            db.execute(
                "UPDATE action_item SET text = ?, owner = ?, due_date = ?, version = version + 1 WHERE id = ?",
                [new.text, new.owner.value, _iso(new.due_date), action_id],
            )
        return self._action_for(actor, action_id)

    def delete_action(self, actor: int, action_id: int) -> None:
        self._action_for(actor, action_id)
        with self._tx() as db:
            db.execute("DELETE FROM action_item WHERE id = ?", [action_id])

    def action_history(self, actor: int, action_ids: Sequence[int]) -> dict[int, list[ActionEvent]]:
        if not action_ids:
            return {}
        marks = ",".join("?" * len(action_ids))
        rows = self._all(
            "SELECT e.action_id, e.session_id, e.at, e.status, e.note, coalesce(pe.display_name, '') AS by_name"
            " FROM action_event e JOIN action_item a ON a.id = e.action_id JOIN pairing p ON p.id = a.pairing_id"
            f" LEFT JOIN person pe ON pe.id = e.by_id WHERE e.action_id IN ({marks})"
            " AND (p.mentee_id = ? OR p.pal_id = ?) ORDER BY e.at, e.id",
            [*action_ids, actor, actor],
        )
        history: dict[int, list[ActionEvent]] = {}
        for r in rows:
            history.setdefault(r["action_id"], []).append(
                ActionEvent(action_id=r["action_id"], session_id=r["session_id"], at=_dt(r["at"]),
                            status=r["status"], note=r["note"], by_name=r["by_name"])
            )
        return history

    # --- goals -----------------------------------------------------------------------

    def goals(self, actor: int, pairing_id: int, *, session_id: int | None = None) -> list[Goal]:
        self.pairing(actor, pairing_id)
        session_filter = " AND g.session_id = :sid" if session_id is not None else ""
        rows = self._all(
            "SELECT g.* FROM goal g JOIN pairing p ON p.id = g.pairing_id"
            " LEFT JOIN session s ON s.id = g.session_id"
            f" WHERE g.pairing_id = :pid AND (g.prep = 0 OR {_PREP_VISIBLE}){session_filter}"
            " ORDER BY g.id DESC LIMIT 200",
            {"pid": pairing_id, "actor": actor, "sid": session_id},
        )
        return [_goal(r) for r in rows]

    def add_goal(self, actor: int, session_id: int, text: str, kpi: str = "", smart_json: str = "", *, prep: bool = False) -> Goal:
        session = self._prep_session(actor, session_id) if prep else self.session(actor, session_id)
        with self._tx() as db:
            goal_id = db.execute(
                "INSERT INTO goal (pairing_id, session_id, text, kpi, smart_json, prep) VALUES (?, ?, ?, ?, ?, ?)",
                [session.pairing_id, session_id, _required_line(text), kpi, smart_json, int(prep)],
            ).lastrowid
        return self._goal_for(actor, goal_id)

    def _goal_for(self, actor: int, goal_id: int) -> Goal:
        row = self._one(
            "SELECT g.* FROM goal g JOIN pairing p ON p.id = g.pairing_id LEFT JOIN session s ON s.id = g.session_id"
            f" WHERE g.id = :id AND {_MEMBER} AND (g.prep = 0 OR {_PREP_VISIBLE})",
            {"id": goal_id, "actor": actor},
        )
        if row is None:
            raise NotFound("That goal")
        return _goal(row)

    def update_goal(self, actor: int, goal_id: int, *, text: str, kpi: str, smart_json: str, done: bool, expected_version: int) -> Goal:
        self._goal_for(actor, goal_id)
        with self._tx() as db:
            changed = db.execute(
                "UPDATE goal SET text = ?, kpi = ?, smart_json = ?, done = ?, version = version + 1"
                " WHERE id = ? AND version = ?",
                [_required_line(text), kpi, smart_json, int(done), goal_id, expected_version],
            ).rowcount
        current = self._goal_for(actor, goal_id)
        if not changed:
            raise StaleWrite(current.text, current.version, "The other person")
        return current

    def delete_goal(self, actor: int, goal_id: int) -> None:
        self._goal_for(actor, goal_id)
        with self._tx() as db:
            db.execute("DELETE FROM goal WHERE id = ?", [goal_id])

    # --- question rotation and custom questions ----------------------------------------

    def custom_questions(self, actor: int, pairing_id: int) -> list[tuple[int, str, str]]:
        self.pairing(actor, pairing_id)
        rows = self._all(
            "SELECT id, section, text FROM custom_question WHERE pairing_id = ? ORDER BY id", [pairing_id]
        )
        return [(r["id"], r["section"], r["text"]) for r in rows]

    def add_custom_question(self, actor: int, pairing_id: int, section: str, text: str) -> int:
        self.pairing(actor, pairing_id)
        with self._tx() as db:
            return db.execute(
                "INSERT INTO custom_question (pairing_id, section, text, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
                [pairing_id, section, _required_line(text), actor, _iso(now_utc())],
            ).lastrowid

    def questions_last_seen(self, actor: int, pairing_id: int, before_session_id: int) -> dict[str, int]:
        """Question id → the session it was last shown in, for sessions before this one."""
        self.pairing(actor, pairing_id)
        rows = self._all(
            "SELECT question_id, session_id FROM question_seen WHERE pairing_id = ? AND session_id < ?",
            [pairing_id, before_session_id],
        )
        return {r["question_id"]: r["session_id"] for r in rows}

    def mark_questions_seen(self, actor: int, session_id: int, question_ids: Sequence[str]) -> None:
        session = self.session(actor, session_id)
        with self._tx() as db:
            db.conn.executemany(
                "INSERT INTO question_seen VALUES (?, ?, ?) ON CONFLICT (pairing_id, question_id)"
                " DO UPDATE SET session_id = max(session_id, excluded.session_id)",
                [(session.pairing_id, qid, session_id) for qid in question_ids],
            )

    def pinned_questions(self, actor: int, pairing_id: int) -> list[str]:
        self.pairing(actor, pairing_id)
        return [r[0] for r in self._all("SELECT question_id FROM question_pin WHERE pairing_id = ?", [pairing_id])]

    def set_pinned(self, actor: int, pairing_id: int, question_id: str, pinned: bool) -> None:
        self.pairing(actor, pairing_id)
        with self._tx() as db:
            if pinned:
                db.execute("INSERT OR IGNORE INTO question_pin VALUES (?, ?)", [pairing_id, question_id])
            else:
                db.execute("DELETE FROM question_pin WHERE pairing_id = ? AND question_id = ?", [pairing_id, question_id])

    # --- summaries -------------------------------------------------------------------

    def summary(self, actor: int, session_id: int) -> Summary | None:
        self.session(actor, session_id)
        row = self._one(
            "SELECT s.*, coalesce(pe.display_name, '') AS edited_by_name FROM summary s"
            " LEFT JOIN person pe ON pe.id = s.edited_by WHERE s.session_id = ?",
            [session_id],
        )
        if row is None:
            return None
        return Summary(
            session_id=row["session_id"], body=row["body"], source=row["source"], version=row["version"],
            edited_by_name=row["edited_by_name"], edited_at=_dt(row["edited_at"]),
            agreed_by_mentee_at=_dt(row["agreed_by_mentee_at"]), agreed_by_pal_at=_dt(row["agreed_by_pal_at"]),
        )

    def save_summary(self, actor: int, session_id: int, body: str, *, source: str = "offline", expected_version: int | None) -> Summary:
        """Create (expected_version None) or edit the summary; every version is kept.

        An edit clears both people's "agreed" marks: they agreed to other words.
        :raises StaleWrite: when someone saved a newer version first.
        """
        self.session(actor, session_id)
        body = _optional_text(body)
        now = _iso(now_utc())
        with self._tx() as db:
            if expected_version is None:
                changed = db.execute(
                    "INSERT OR IGNORE INTO summary (session_id, body, source, edited_by, edited_at) VALUES (?, ?, ?, ?, ?)",
                    [session_id, body, source, actor, now],
                ).rowcount
            else:
                changed = db.execute(
                    "UPDATE summary SET body = ?, source = ?, edited_by = ?, edited_at = ?, version = version + 1,"
                    " agreed_by_mentee_at = NULL, agreed_by_pal_at = NULL WHERE session_id = ? AND version = ?",
                    [body, source, actor, now, session_id, expected_version],
                ).rowcount
            if changed:
                db.execute(
                    "INSERT INTO summary_revision (session_id, version, body, edited_by, edited_at)"
                    " SELECT session_id, version, body, edited_by, edited_at FROM summary WHERE session_id = ?",
                    [session_id],
                )
        current = self.summary(actor, session_id)
        if current is None:
            raise NotFound("That summary")
        if not changed:
            raise StaleWrite(current.body, current.version, current.edited_by_name)
        return current

    def agree_summary(self, actor: int, session_id: int) -> Summary:
        session = self.session(actor, session_id)
        column = "agreed_by_mentee_at" if self.pairing(actor, session.pairing_id).role_of(actor) == Role.MENTEE else "agreed_by_pal_at"
        with self._tx() as db:
            db.execute(f"UPDATE summary SET {column} = ? WHERE session_id = ?", [_iso(now_utc()), session_id])
        return self.summary(actor, session_id)

    def summary_revisions(self, actor: int, session_id: int) -> list[tuple[int, str, str, dt.datetime]]:
        self.session(actor, session_id)
        rows = self._all(
            "SELECT r.version, r.body, coalesce(pe.display_name, '') AS by_name, r.edited_at FROM summary_revision r"
            " LEFT JOIN person pe ON pe.id = r.edited_by WHERE r.session_id = ? ORDER BY r.version DESC",
            [session_id],
        )
        return [(r["version"], r["body"], r["by_name"], _dt(r["edited_at"])) for r in rows]

    # --- LLM cache (requests never hold private text, so the cache is not per person) ---

    def llm_cache_get(self, key: str) -> str | None:
        row = self._one("SELECT response FROM llm_cache WHERE key = ?", [key])
        return row[0] if row else None

    def llm_cache_put(self, key: str, response: str, model: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO llm_cache VALUES (?, ?, ?, ?)", [key, response, model, _iso(now_utc())]
            )

    def record_llm_usage(self, model: str, feature: str, prompt_tokens: int, completion_tokens: int, cached: bool) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO llm_usage (at, model, feature, prompt_tokens, completion_tokens, cached) VALUES (?, ?, ?, ?, ?, ?)",
                [_iso(now_utc()), model, feature, prompt_tokens, completion_tokens, int(cached)],
            )

    def llm_usage_totals(self) -> tuple[int, int, int]:
        row = self._one("SELECT count(*), coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0) FROM llm_usage")
        return row[0], row[1], row[2]

    # --- history and export (issue 5) ----------------------------------------------------
    # History pages and exports read a pairing's whole past, which may be years of weekly
    # sessions: every count and page here is done in SQL, and every method is scoped to
    # the actor's pairings like the rest of the store. Times compare as stored ISO text,
    # as elsewhere in this file.

    @staticmethod
    def _range(start: dt.datetime | None, end: dt.datetime | None) -> dict:
        return {"start": _iso(start) if start else "", "end": _iso(end) if end else "9999"}

    def sessions_near(self, actor: int, pairing_id: int, when: dt.datetime, window: dt.timedelta) -> list[Session]:
        """Sessions of the pairing scheduled within ``window`` of ``when``, either side."""
        self.pairing(actor, pairing_id)
        pad = window + dt.timedelta(days=1)  # stored offsets differ: widen the text range, then compare exactly
        rows = self._all(
            f"SELECT {_SESSION_COLS} FROM session s JOIN pairing p ON p.id = s.pairing_id"
            " WHERE s.pairing_id = :pid AND s.scheduled_at >= :lo AND s.scheduled_at <= :hi ORDER BY s.scheduled_at",
            {"pid": pairing_id, "lo": _iso(when - pad), "hi": _iso(when + pad)},
        )
        return [s for s in (_session(r, actor) for r in rows) if abs(s.scheduled_at - when) <= window]

    def sessions_between(
        self, actor: int, pairing_id: int, start: dt.datetime | None = None, end: dt.datetime | None = None,
        *, limit: int = 1000, offset: int = 0, newest_first: bool = False,
    ) -> list[Session]:
        """Sessions scheduled in [start, end), oldest first unless ``newest_first``."""
        self.pairing(actor, pairing_id)
        order = "DESC" if newest_first else "ASC"
        rows = self._all(
            f"SELECT {_SESSION_COLS} FROM session s JOIN pairing p ON p.id = s.pairing_id"
            " WHERE s.pairing_id = :pid AND s.scheduled_at >= :start AND s.scheduled_at < :end"
            f" ORDER BY s.scheduled_at {order} LIMIT :limit OFFSET :offset",
            {"pid": pairing_id, **self._range(start, end), "limit": limit, "offset": offset},
        )
        return [_session(r, actor) for r in rows]

    def count_sessions_between(
        self, actor: int, pairing_id: int, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> tuple[int, int]:
        """(sessions, completed sessions) scheduled in [start, end)."""
        self.pairing(actor, pairing_id)
        row = self._one(
            "SELECT count(*), coalesce(sum(status = 'completed'), 0) FROM session"
            " WHERE pairing_id = :pid AND scheduled_at >= :start AND scheduled_at < :end",
            {"pid": pairing_id, **self._range(start, end)},
        )
        return row[0], row[1]

    def session_span(self, actor: int, pairing_id: int) -> tuple[dt.datetime | None, dt.datetime | None]:
        """When the pairing's first and last sessions are scheduled (None, None without any)."""
        self.pairing(actor, pairing_id)
        row = self._one(  # two subqueries: each is one index probe, min() and max() together are a scan
            "SELECT (SELECT min(scheduled_at) FROM session WHERE pairing_id = :pid),"
            " (SELECT max(scheduled_at) FROM session WHERE pairing_id = :pid)",
            {"pid": pairing_id},
        )
        return _dt(row[0]), _dt(row[1])

    def rating_points(
        self, actor: int, pairing_id: int, start: dt.datetime | None = None, end: dt.datetime | None = None,
        *, limit: int = 2000,
    ) -> list[dict]:
        """Rated sessions in [start, end), oldest first, as dicts with ``session_id,
        scheduled_at, rating, why, plus_one``. The PAL sees a rating once it is shared."""
        self.pairing(actor, pairing_id)
        rows = self._all(
            "SELECT s.id, s.scheduled_at, s.rating, s.rating_why, s.rating_plus_one"
            " FROM session s JOIN pairing p ON p.id = s.pairing_id"
            " WHERE s.pairing_id = :pid AND s.scheduled_at >= :start AND s.scheduled_at < :end"
            f" AND s.rating IS NOT NULL AND {_PREP_VISIBLE} ORDER BY s.scheduled_at LIMIT :limit",
            {"pid": pairing_id, "actor": actor, **self._range(start, end), "limit": limit},
        )
        return [
            {"session_id": r[0], "scheduled_at": _dt(r[1]), "rating": r[2], "why": r[3], "plus_one": r[4]}
            for r in rows
        ]

    def action_stats(
        self, actor: int, pairing_id: int, start: dt.datetime | None, end: dt.datetime | None, today: dt.date
    ) -> dict[str, int]:
        """Counts over the actions agreed in sessions in [start, end): ``agreed, done,
        dropped, open`` (not closed) and ``overdue`` (not closed, due before ``today``)."""
        self.pairing(actor, pairing_id)
        row = self._one(
            "SELECT count(*), coalesce(sum(status = 'done'), 0), coalesce(sum(status = 'dropped'), 0),"
            " coalesce(sum(status NOT IN ('done', 'dropped')), 0),"
            " coalesce(sum(status NOT IN ('done', 'dropped') AND due_date < :today), 0)"
            # through the sessions in the range, not the pairing's every action
            " FROM (SELECT sa.status, sa.due_date FROM session f JOIN action_item sa ON sa.from_session_id = f.id"
            "   WHERE f.pairing_id = :pid AND f.scheduled_at >= :start AND f.scheduled_at < :end AND +sa.pairing_id = :pid"
            "  UNION ALL SELECT status, due_date FROM action_item WHERE pairing_id = :pid AND from_session_id IS NULL"
            "   AND created_at >= :start AND created_at < :end) ranged",
            {"pid": pairing_id, "today": today.isoformat(), **self._range(start, end)},
        )
        return dict(zip(("agreed", "done", "dropped", "open", "overdue"), tuple(row)))

    _OVERDUE = "status NOT IN ('done', 'dropped') AND due_date < :today"  # matches index action_open_due

    def overdue_actions(
        self, actor: int, pairing_id: int, today: dt.date, *, limit: int = 10, offset: int = 0
    ) -> list[ActionItem]:
        """Actions not closed and due before ``today``, the longest overdue first."""
        self.pairing(actor, pairing_id)
        rows = self._all(
            f"SELECT * FROM action_item WHERE pairing_id = :pid AND {self._OVERDUE}"
            " ORDER BY due_date, id LIMIT :limit OFFSET :offset",
            {"pid": pairing_id, "today": today.isoformat(), "limit": limit, "offset": offset},
        )
        return [_action(r) for r in rows]

    def count_overdue_actions(self, actor: int, pairing_id: int, today: dt.date) -> int:
        self.pairing(actor, pairing_id)
        return self._one(
            f"SELECT count(*) FROM action_item WHERE pairing_id = :pid AND {self._OVERDUE}",
            {"pid": pairing_id, "today": today.isoformat()},
        )[0]

    def completed_actions(
        self, actor: int, pairing_id: int, start: dt.datetime | None = None, end: dt.datetime | None = None,
        *, limit: int = 1000, offset: int = 0,
    ) -> list[tuple[ActionItem, dt.datetime | None]]:
        """Done actions closed in [start, end), oldest first, with when they were closed:
        the closing session's time, else when they were marked done."""
        self.pairing(actor, pairing_id)
        rows = self._all(
            "SELECT * FROM (SELECT a.*, coalesce(c.scheduled_at, (SELECT max(e.at) FROM action_event e"
            "   WHERE e.action_id = a.id AND e.status = 'done')) AS closed_at"
            " FROM action_item a LEFT JOIN session c ON c.id = a.closed_in_session_id"
            " WHERE a.pairing_id = :pid AND a.status = 'done')"
            " WHERE coalesce(closed_at, '') >= :start AND coalesce(closed_at, '') < :end"
            " ORDER BY closed_at, id LIMIT :limit OFFSET :offset",
            {"pid": pairing_id, **self._range(start, end), "limit": limit, "offset": offset},
        )
        return [(_action(r), _dt(r["closed_at"])) for r in rows]

    # Goals of the sessions in the range (reached through the sessions, not the pairing's
    # every goal), plus goals without a session; ``set_at`` is their session's time.
    _HISTORY_GOALS = (
        " FROM (SELECT sg.*, s.scheduled_at AS set_at, s.agenda_shared_at FROM session s JOIN goal sg ON sg.session_id = s.id"
        "   WHERE s.pairing_id = :pid AND s.scheduled_at >= :start AND s.scheduled_at < :end AND +sg.pairing_id = :pid"
        "  UNION ALL SELECT ng.*, NULL, NULL FROM goal ng WHERE ng.pairing_id = :pid AND ng.session_id IS NULL) g"
        " JOIN pairing p ON p.id = g.pairing_id WHERE (g.prep = 0 OR g.agenda_shared_at IS NOT NULL OR p.mentee_id = :actor)"
    )

    def history_goals(
        self, actor: int, pairing_id: int, start: dt.datetime | None = None, end: dt.datetime | None = None,
        *, limit: int = 10, offset: int = 0,
    ) -> list[tuple[Goal, dt.datetime | None]]:
        """Goals set in sessions in [start, end) (and goals without a session), newest
        first, each with the time of the session it was set in."""
        self.pairing(actor, pairing_id)
        rows = self._all(
            f"SELECT g.*{self._HISTORY_GOALS} ORDER BY g.id DESC LIMIT :limit OFFSET :offset",
            {"pid": pairing_id, "actor": actor, **self._range(start, end), "limit": limit, "offset": offset},
        )
        return [(_goal(r), _dt(r["set_at"])) for r in rows]

    def count_history_goals(
        self, actor: int, pairing_id: int, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> tuple[int, int]:
        """(goals, goals done) among those :meth:`history_goals` pages through."""
        self.pairing(actor, pairing_id)
        row = self._one(
            f"SELECT count(*), coalesce(sum(g.done), 0){self._HISTORY_GOALS}",
            {"pid": pairing_id, "actor": actor, **self._range(start, end)},
        )
        return row[0], row[1]

    _FEEDBACK = (
        " FROM session s JOIN note n ON n.session_id = s.id"
        " WHERE s.pairing_id = :pid AND s.scheduled_at >= :start AND s.scheduled_at < :end"
        " AND n.phase = 'closing' AND n.question_key >= 'feedback:' AND n.question_key < 'feedback;'"
        " AND n.visibility = 'shared' AND n.body != ''"
    )

    def feedback_notes(
        self, actor: int, pairing_id: int, start: dt.datetime | None = None, end: dt.datetime | None = None,
        *, limit: int = 20, offset: int = 0, newest_first: bool = True,
    ) -> list[dict]:
        """Shared answers to the closing feedback questions in [start, end), as dicts with
        ``session_id, scheduled_at, direction`` ("mentee": mentee → PAL, "pal": PAL →
        mentee), ``question, answer``."""
        self.pairing(actor, pairing_id)
        order = "DESC" if newest_first else "ASC"
        rows = self._all(
            f"SELECT s.id, s.scheduled_at, n.question_key, n.question_text, n.body{self._FEEDBACK}"
            f" ORDER BY s.scheduled_at {order}, n.question_key, n.id LIMIT :limit OFFSET :offset",
            {"pid": pairing_id, **self._range(start, end), "limit": limit, "offset": offset},
        )
        return [
            {"session_id": r[0], "scheduled_at": _dt(r[1]), "direction": (r[2].split(":") + [""])[1],
             "question": r[3], "answer": r[4]}
            for r in rows
        ]

    def count_feedback_notes(
        self, actor: int, pairing_id: int, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> int:
        self.pairing(actor, pairing_id)
        return self._one(f"SELECT count(*){self._FEEDBACK}", {"pid": pairing_id, **self._range(start, end)})[0]

    def summaries_between(
        self, actor: int, pairing_id: int, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> dict[int, str]:
        """Session id → summary text, for the sessions in [start, end) that have one."""
        self.pairing(actor, pairing_id)
        rows = self._all(
            "SELECT s.id, su.body FROM session s JOIN summary su ON su.session_id = s.id"
            " WHERE s.pairing_id = :pid AND s.scheduled_at >= :start AND s.scheduled_at < :end",
            {"pid": pairing_id, **self._range(start, end)},
        )
        return {r[0]: r[1] for r in rows}

    def pal_overview(self, actor: int, now: dt.datetime, today: dt.date) -> list[dict]:
        """One dict per pairing in which the actor is the PAL: ``pairing_id, mentee_name,
        next_session_at, next_agenda_shared`` (None without a next session), ``overdue``
        (actions), ``last_rating, last_rating_at`` (shared ratings only)."""
        rows = self._all(
            "SELECT p.id, m.display_name,"
            " (SELECT n.scheduled_at || '|' || (n.agenda_shared_at IS NOT NULL) FROM session n"
            "   WHERE n.pairing_id = p.id AND n.scheduled_at >= :now AND n.status != 'completed'"
            "   ORDER BY n.scheduled_at LIMIT 1),"
            " (SELECT count(*) FROM action_item a WHERE a.pairing_id = p.id"
            "   AND a.status NOT IN ('done', 'dropped') AND a.due_date < :today),"
            " (SELECT r.rating || '|' || r.scheduled_at FROM session r WHERE r.pairing_id = p.id"
            "   AND r.rating IS NOT NULL AND r.agenda_shared_at IS NOT NULL AND r.scheduled_at <= :now"
            "   ORDER BY r.scheduled_at DESC LIMIT 1)"
            " FROM pairing p JOIN person m ON m.id = p.mentee_id WHERE p.pal_id = :actor"
            " ORDER BY m.display_name, p.id",
            {"actor": actor, "now": _iso(now), "today": today.isoformat()},
        )
        overview = []
        for pid, name, upcoming, overdue, rated in rows:
            next_at, shared = upcoming.rsplit("|", 1) if upcoming else (None, None)
            rating, rated_at = rated.split("|", 1) if rated else (None, None)
            overview.append({
                "pairing_id": pid, "mentee_name": name, "next_session_at": _dt(next_at),
                "next_agenda_shared": None if shared is None else shared == "1", "overdue": overdue,
                "last_rating": int(rating) if rating else None, "last_rating_at": _dt(rated_at),
            })
        return overview

    # The export holds every row of the actor's pairings that the actor may see: shared
    # notes and their own private ones, the mentee's unshared preparation only for the
    # mentee. People are named by e-mail; ids are this database's (pal_core.export
    # renumbers them for the file, and import_rows maps them to new ones).

    def export_rows(self, actor: int) -> dict[str, list[dict]]:
        mine = f"(SELECT p.id FROM pairing p WHERE {_MEMBER})"
        in_session = f"JOIN session s ON s.id = {{}}.session_id JOIN pairing p ON p.id = s.pairing_id WHERE {_MEMBER}"
        queries = {
            "people": "SELECT email, display_name FROM person WHERE id IN"
                      f" (SELECT p.mentee_id FROM pairing p WHERE {_MEMBER} UNION SELECT p.pal_id FROM pairing p WHERE {_MEMBER})"
                      " ORDER BY email",
            "pairings": "SELECT p.id, m.email AS mentee, pl.email AS pal, p.cadence_days, p.session_minutes,"
                        f" p.created_at, p.is_sample FROM {_PAIRING_FROM} WHERE {_MEMBER} ORDER BY p.id",
            "kpis": f"SELECT id, pairing_id, text FROM kpi WHERE pairing_id IN {mine} ORDER BY id",
            "sessions": "SELECT s.id, s.pairing_id, s.scheduled_at, s.status, s.started_at, s.ended_at,"
                        f" CASE WHEN {_PREP_VISIBLE} THEN s.rating END AS rating,"
                        f" CASE WHEN {_PREP_VISIBLE} THEN s.rating_why ELSE '' END AS rating_why,"
                        f" CASE WHEN {_PREP_VISIBLE} THEN s.rating_plus_one ELSE '' END AS rating_plus_one,"
                        " s.agenda_shared_at, s.current_phase, s.phase_seconds, s.timer_running_since,"
                        " s.next_session_at, s.version"
                        f" FROM session s JOIN pairing p ON p.id = s.pairing_id WHERE {_MEMBER} ORDER BY s.id",
            "agenda_items": "SELECT a.id, a.session_id, a.kind, a.text, a.position FROM agenda_item a"
                            f" {in_session.format('a')} AND {_PREP_VISIBLE} ORDER BY a.id",
            "notes": "SELECT n.id, n.session_id, n.phase, n.question_key, n.question_text, n.body,"
                     " au.email AS author, n.visibility, ow.email AS owner, n.version, n.updated_at FROM note n"
                     " JOIN person au ON au.id = n.author_id LEFT JOIN person ow ON ow.id = n.owner_id"
                     f" {in_session.format('n')} AND (n.visibility = 'shared' OR n.owner_id = :actor) ORDER BY n.id",
            "actions": "SELECT id, pairing_id, text, owner, due_date, status, blocker, from_session_id,"
                       f" closed_in_session_id, created_at, version FROM action_item WHERE pairing_id IN {mine} ORDER BY id",
            "action_events": "SELECT e.id, e.action_id, e.session_id, e.at, e.status, e.note, pe.email AS by"
                             " FROM action_event e JOIN action_item a ON a.id = e.action_id"
                             f" LEFT JOIN person pe ON pe.id = e.by_id WHERE a.pairing_id IN {mine} ORDER BY e.id",
            "goals": "SELECT g.id, g.pairing_id, g.session_id, g.text, g.kpi, g.smart_json, g.done, g.prep, g.version"
                     " FROM goal g JOIN pairing p ON p.id = g.pairing_id LEFT JOIN session s ON s.id = g.session_id"
                     f" WHERE {_MEMBER} AND (g.prep = 0 OR {_PREP_VISIBLE}) ORDER BY g.id",
            "custom_questions": "SELECT c.id, c.pairing_id, c.section, c.text, pe.email AS created_by, c.created_at"
                                " FROM custom_question c LEFT JOIN person pe ON pe.id = c.created_by"
                                f" WHERE c.pairing_id IN {mine} ORDER BY c.id",
            "questions_seen": f"SELECT pairing_id, question_id, session_id FROM question_seen WHERE pairing_id IN {mine}"
                              " ORDER BY pairing_id, question_id",
            "questions_pinned": f"SELECT pairing_id, question_id FROM question_pin WHERE pairing_id IN {mine}"
                                " ORDER BY pairing_id, question_id",
            "summaries": "SELECT su.session_id, su.body, su.source, su.version, pe.email AS edited_by, su.edited_at,"
                         " su.agreed_by_mentee_at, su.agreed_by_pal_at FROM summary su"
                         f" LEFT JOIN person pe ON pe.id = su.edited_by {in_session.format('su')} ORDER BY su.session_id",
            "summary_revisions": "SELECT r.id, r.session_id, r.version, r.body, pe.email AS edited_by, r.edited_at"
                                 f" FROM summary_revision r LEFT JOIN person pe ON pe.id = r.edited_by"
                                 f" {in_session.format('r')} ORDER BY r.id",
        }
        db = self.db
        if db.conn.in_transaction:
            return {table: [dict(r) for r in self._all(sql, {"actor": actor})] for table, sql in queries.items()}
        db.conn.execute("BEGIN")  # a read transaction: one snapshot, so a save landing mid-export can't tear the file
        try:
            return {table: [dict(r) for r in self._all(sql, {"actor": actor})] for table, sql in queries.items()}
        finally:
            db.conn.execute("COMMIT")

    def import_rows(self, actor: int, doc: dict[str, list[dict]]) -> list[int]:
        """Add the pairings of an export (validated by ``pal_core.export.read_export``)
        to this database, in one transaction: everything or nothing. Returns the new
        pairing ids.

        :raises StoreError: when a person in the file has no account here, when the
          actor is not in one of its pairings, or when this database already has a
          pairing of the same two people (import into a fresh database, or remove it),
          when the other person of a pairing already has a (non-sample) pairing here (a
          file must not attach a pairing to an account in use), or when it holds private
          notes that are not the actor's own.
        """
        import re

        people: dict[str, int] = {}
        custom_key = re.compile(r"custom-(\d+)")
        ids: dict[str, dict[int, int]] = {"pairing": {}, "session": {}, "action": {}, "custom": {}}

        def pid(email: str | None) -> int | None:
            if email is None:
                return None
            try:
                return people[email.casefold()]
            except KeyError:
                raise StoreError(f"{email} is used in the file but not listed in its people. Nothing was imported.") from None

        def check_fits() -> None:
            for person in doc.get("people", []):
                row = self._one("SELECT id FROM person WHERE email = ?", [person["email"]])
                if row is None:
                    raise StoreError(
                        f"{person['email']} has no account in this database yet. Ask them to sign up (or sign in once),"
                        " then import the file again. Nothing was imported."
                    )
                people[person["email"].casefold()] = row[0]
            for pairing in doc.get("pairings", []):
                mentee, pal = pid(pairing["mentee"]), pid(pairing["pal"])
                if actor not in (mentee, pal):
                    raise StoreError(
                        f"The file holds a pairing of {pairing['mentee']} and {pairing['pal']}, which you are not part of."
                        " Import only your own export. Nothing was imported."
                    )
                if self._one("SELECT 1 FROM pairing WHERE mentee_id = ? AND pal_id = ?", [mentee, pal]):
                    raise StoreError(
                        f"This database already has a pairing of {pairing['mentee']} (mentee) and {pairing['pal']} (PAL)."
                        " Import into a fresh database, or remove that pairing first. Nothing was imported."
                    )
                # A file can name anyone: it may add a pairing (and rows in their name) only
                # with someone who has no real pairing here yet, never to an account in use.
                other, email = (pal, pairing["pal"]) if mentee == actor else (mentee, pairing["mentee"])
                if self._one("SELECT 1 FROM pairing WHERE (mentee_id = :p OR pal_id = :p) AND is_sample = 0", {"p": other}):
                    raise StoreError(
                        f"{email} already has pairings in this database, and an import can't add one to an account"
                        " in use. Pair with an invite code instead. Nothing was imported."
                    )
            for note in doc.get("notes", []):  # an export holds only its exporter's private notes
                if note["visibility"] == Visibility.PRIVATE.value and (pid(note["owner"]), pid(note["author"])) != (actor, actor):
                    raise StoreError(
                        f"The file holds a private note of {note['owner']}: only your own private notes can be imported."
                        " Import only your own export. Nothing was imported."
                    )

        def new(kind: str, old: int | None) -> int | None:
            return None if old is None else ids[kind][old]

        def key(question_id: str) -> str:
            found = custom_key.fullmatch(question_id)
            if found and int(found[1]) in ids["custom"]:
                return f"custom-{ids['custom'][int(found[1])]}"
            return question_id

        def insert(db: sqlite_utils.Database, table: str, row: dict, *copied: str, **mapped: object) -> int:
            values = {**{c: row[c] for c in copied}, **mapped}  # column names are ours, never the file's
            cols = ", ".join(values)
            marks = ", ".join(f":{c}" for c in values)
            return db.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", values).lastrowid

        try:
            with self._tx() as db:
                check_fits()  # inside the write lock: nothing can slip in between the checks and the rows
                for r in doc.get("pairings", []):
                    ids["pairing"][r["id"]] = insert(
                        db, "pairing", r, "cadence_days", "session_minutes", "created_at",
                        mentee_id=pid(r["mentee"]), pal_id=pid(r["pal"]), is_sample=int(r["is_sample"]),
                    )
                for r in doc.get("kpis", []):
                    insert(db, "kpi", r, "text", pairing_id=new("pairing", r["pairing_id"]))
                for r in doc.get("sessions", []):
                    ids["session"][r["id"]] = insert(
                        db, "session", r, "scheduled_at", "status", "started_at", "ended_at", "rating", "rating_why",
                        "rating_plus_one", "agenda_shared_at", "current_phase", "phase_seconds", "timer_running_since",
                        "next_session_at", "version", pairing_id=new("pairing", r["pairing_id"]),
                    )
                for r in doc.get("agenda_items", []):
                    insert(db, "agenda_item", r, "kind", "text", "position", session_id=new("session", r["session_id"]))
                for r in doc.get("custom_questions", []):
                    ids["custom"][r["id"]] = insert(
                        db, "custom_question", r, "section", "text", "created_at",
                        pairing_id=new("pairing", r["pairing_id"]), created_by=pid(r["created_by"]),
                    )
                for r in doc.get("notes", []):
                    insert(
                        db, "note", r, "phase", "question_text", "body", "visibility", "version", "updated_at",
                        session_id=new("session", r["session_id"]), question_key=key(r["question_key"]),
                        author_id=pid(r["author"]), owner_id=pid(r["owner"]) or 0,
                    )
                for r in doc.get("actions", []):
                    ids["action"][r["id"]] = insert(
                        db, "action_item", r, "text", "owner", "due_date", "status", "blocker", "created_at", "version",
                        pairing_id=new("pairing", r["pairing_id"]), from_session_id=new("session", r["from_session_id"]),
                        closed_in_session_id=new("session", r["closed_in_session_id"]),
                    )
                for r in doc.get("action_events", []):
                    insert(
                        db, "action_event", r, "at", "status", "note", action_id=new("action", r["action_id"]),
                        session_id=new("session", r["session_id"]), by_id=pid(r["by"]),
                    )
                for r in doc.get("goals", []):
                    insert(
                        db, "goal", r, "text", "kpi", "smart_json", "version", pairing_id=new("pairing", r["pairing_id"]),
                        session_id=new("session", r["session_id"]), done=int(r["done"]), prep=int(r["prep"]),
                    )
                for r in doc.get("questions_seen", []):
                    insert(
                        db, "question_seen", r, pairing_id=new("pairing", r["pairing_id"]),
                        question_id=key(r["question_id"]), session_id=new("session", r["session_id"]),
                    )
                for r in doc.get("questions_pinned", []):
                    insert(db, "question_pin", r, pairing_id=new("pairing", r["pairing_id"]), question_id=key(r["question_id"]))
                for r in doc.get("summaries", []):
                    insert(
                        db, "summary", r, "body", "source", "version", "edited_at", "agreed_by_mentee_at", "agreed_by_pal_at",
                        session_id=new("session", r["session_id"]), edited_by=pid(r["edited_by"]),
                    )
                for r in doc.get("summary_revisions", []):
                    insert(
                        db, "summary_revision", r, "version", "body", "edited_at",
                        session_id=new("session", r["session_id"]), edited_by=pid(r["edited_by"]),
                    )
        except KeyError as missing:
            raise StoreError(f"The file refers to a row it does not contain ({missing}). Nothing was imported.") from None
        except sqlite3.IntegrityError as error:
            raise StoreError(f"The file's rows contradict each other ({error}). Nothing was imported.") from None
        return list(ids["pairing"].values())
