"""Every query the pages run is answered through an index, never by reading a big table.

A small realistic database is seeded with benchmarks.seed; every statement the store
runs is recorded (sqlite3's trace callback on the store's connections) while AppTest
renders each page and phase for the mentee and for the PAL, while the downloads are
built, and while the usual edits are saved. Each statement is then run through
``EXPLAIN QUERY PLAN``:

- no ``SCAN`` of a big table (SEARCH … USING INDEX is what we want);
- on a page or an edit, no walk over a whole pairing's history (an index searched on
  ``pairing_id`` alone) unless ``PAIRING_WIDE`` says why it stays small. The downloads
  (JSON export, running document) read the whole history on purpose, once, when
  clicked: for them only the first rule holds.

Plans are taken without ``ANALYZE`` statistics, as a real database has them (the app never
runs ANALYZE), so the planner's choices here are the ones it makes there. The trace
callback hands over statements with their values filled in; the plans match those of
the parameterised statements (SQLite's planner does not look at bound values here).
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from benchmarks.seed import BENCH_EMAIL, seed
from pal_core import export, summary
from pal_core.models import ActionStatus, NewAction, Phase, RatingInput, Role
from pal_core.store import Store

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
BIG = {"session", "note", "action_item", "action_event", "goal", "summary", "summary_revision", "agenda_item",
       "question_seen"}
# Indexes searched on pairing_id alone, i.e. over everything of one pairing, that stay
# small or stop early whatever the length of the history: (table, index) → why.
PAIRING_WIDE = {
    ("session", "session_pairing_time"):
        "the session list walks it newest first and stops at its LIMIT (10); the pager's "
        "total is count(*) over the covering index (a few hundred entries after 5 years); "
        "session_span's min() and max() are one probe each",
    ("question_seen", "sqlite_autoindex_question_seen_1"):
        "one row per bank question a pair has seen (≤ the bank's ~200), not per session",
    ("question_pin", "sqlite_autoindex_question_pin_1"): "a pair's pinned questions (a handful)",
    ("action_item", "action_open_due"):
        "partial index of open actions only: closed ones (years of them) are not in it",
    ("goal", "goal_no_session"): "partial index of goals without a session (one was deleted): next to none",
}
STATEMENT = re.compile(r"^\s*(SELECT|WITH|UPDATE|DELETE|INSERT)\b", re.IGNORECASE)
SOURCE = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_]\w*)(?:\s+(?:AS\s+)?([A-Za-z_]\w*))?", re.IGNORECASE)
SUBQUERY = re.compile(r"\)\s+(?:AS\s+)?([A-Za-z_]\w*)", re.IGNORECASE)
KEYWORDS = {"where", "on", "join", "left", "inner", "cross", "order", "group", "limit", "union", "and", "or",
            "set", "values", "as", "using", "natural", "having", "window", "except", "intersect", "then", "end",
            "else", "when", "is", "not", "in", "desc", "asc", "offset"}


def aliases(sql: str) -> dict[str, str | None]:
    """Name in the plan → table (None for a subquery)."""
    names: dict[str, str | None] = {}
    for table, alias in SOURCE.findall(sql):
        if table.lower() in KEYWORDS:
            continue
        names.setdefault(table, table)
        if alias and alias.lower() not in KEYWORDS:
            names[alias] = table
    for alias in SUBQUERY.findall(sql):
        if alias.lower() not in KEYWORDS:
            names.setdefault(alias, None)
    return names


def problems_in(sql: str, plan: list[str], *, whole_history_ok: bool = False) -> list[str]:
    names = aliases(sql)
    found = []
    for detail in plan:
        words = detail.split()
        if len(words) < 2 or words[0] not in ("SCAN", "SEARCH"):
            continue
        table = names.get(words[1], words[1])
        if table not in BIG:
            continue
        if words[0] == "SCAN":
            found.append(f"full scan of {table}: {detail}")
        index = re.search(r"USING (?:COVERING )?INDEX (\w+) \((.*)\)$", detail)
        if (words[0] == "SEARCH" and index and index[2] == "pairing_id=?" and not whole_history_ok
                and (table, index[1]) not in PAIRING_WIDE):
            found.append(f"walks a pairing's whole history in {table}: {detail}")
    return found


# --- the database and what the app runs against it ----------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("plans") / "pal.db"
    info = seed(path, 6, 20, progress=None)
    store = Store(path)
    person = store.credentials(BENCH_EMAIL)[0]
    pairings = store.pairings(person.id)
    own = next(p for p in pairings if p.mentee_id == person.id)
    pal = next(p for p in pairings if p.pal_id == person.id)
    yield path, store, person, own, pal, info
    store.close()


@pytest.fixture(scope="module")
def statements(world, monkeypatch_module):
    """Every statement the store ran: {"pages": while the pages rendered and the edits
    were saved, "downloads": while the downloads were built}."""
    path, store, person, own, pal, _ = world
    seen: list[str] = []
    original = Store.db.fget

    def traced(self):
        db = original(self)
        db.conn.set_trace_callback(lambda sql: seen.append(sql))
        return db

    monkeypatch_module.setattr(Store, "db", property(traced))
    monkeypatch_module.setenv("PAL_DB_PATH", str(path))

    def latest(pairing, completed=False):
        recent = store.sessions(person.id, pairing.id, limit=3)
        return next(s for s in recent if s.status == "completed") if completed else recent[0]

    pages = {
        "views/home.py": None, "views/history.py": None, "views/questions.py": None, "views/settings.py": None,
        "views/prepare.py": latest(own), "views/get_ready.py": latest(pal),
        "views/summary.py": latest(own, completed=True),
    }
    for phase_page in ("reflection", "development", "planning", "closing"):
        pages[f"views/{phase_page}.py"] = latest(own)
    renders = [(page, session, own.id) for page, session in pages.items()]
    # The same pages as the PAL of a pairing: other branches, other queries.
    renders += [(page, latest(pal, page == "views/summary.py"), pal.id)
                for page in ("views/reflection.py", "views/closing.py", "views/summary.py")]
    renders.append(("views/history.py", None, pal.id))
    for page, session, pairing_id in renders:
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["auth:person"] = person
        at.session_state["ctx:pairing_id"] = pairing_id
        if session is not None:
            at.query_params["session"] = str(session.id)
        at.run()
        at.switch_page(page)
        if session is not None:
            at.query_params["session"] = str(session.id)
        at.run()
        assert not at.exception, f"{page}: {at.exception}"
        for tab in [t.label for t in at.tabs][1:] if page == "views/history.py" else []:
            at.session_state[f"history:{pairing_id}:tab"] = tab  # each tab draws its part only while open
            at.run()
            assert not at.exception, f"{page}, {tab}: {at.exception}"
    # The everyday edits, then the downloads (built when clicked).
    done = latest(own, completed=True)
    summary.gather(store, person.id, done.id, dt.timezone.utc)
    upcoming = latest(own)
    note = store.save_note(person.id, upcoming.id, Phase.REFLECTION, "reflection:successes", "Shipped it",
                           expected_version=None)
    store.save_note(person.id, upcoming.id, Phase.REFLECTION, "reflection:successes", "Shipped it early",
                    expected_version=note.version)
    store.save_rating(person.id, upcoming.id, RatingInput(rating=7, why="good week", plus_one="more focus"))
    action = store.add_action(person.id, upcoming.id, NewAction(text="Write the plan by Friday", owner=Role.MENTEE))
    store.update_action_status(person.id, action.id, ActionStatus.DONE, session_id=upcoming.id)
    store.set_phase_timer(person.id, upcoming.id, Phase.REFLECTION, {"opening": 60.0}, None)
    current = store.summary(person.id, done.id)
    store.save_summary(person.id, done.id, current.body + "\nEdited.", expected_version=current.version)
    store.agree_summary(person.id, done.id)
    store.mark_questions_seen(person.id, upcoming.id, ["refl-scale-1-10"])
    store.add_goal(person.id, upcoming.id, "Merge 3 pull requests by Friday")
    pages_seen = len(seen)
    today = dt.date.today()
    export.export_json(store, person.id)
    export.session_markdown(store, person.id, done.id, dt.timezone.utc)
    export.next_session_ics(store, person.id, done.id)
    export.running_markdown(export.running_document(store, person.id, own.id, today - dt.timedelta(days=365),
                                                    today, dt.timezone.utc))
    monkeypatch_module.undo()

    def unique(part: list[str]) -> list[str]:
        found: dict[str, str] = {}
        for sql in part:
            if STATEMENT.match(sql):
                found.setdefault(re.sub(r"'[^']*'|\b\d+\b", "?", sql), sql)
        return list(found.values())

    return {"pages": unique(seen[:pages_seen]), "downloads": unique(seen[pages_seen:])}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_the_capture_saw_the_pages_queries(statements):
    text = "\n".join(statements["pages"])
    for fragment in ("FROM note n", "FROM action_item", "FROM summary", "question_seen", "UPDATE note",
                     "WHERE p.pal_id", "FROM goal", "JOIN session f", "count(*)",
                     "n.question_text, n.body"):  # History's feedback tab: every tab was drawn
        assert fragment in text, f"no statement with {fragment!r} was recorded"
    assert len(statements["pages"]) > 40
    assert any("FROM action_event" in sql for sql in statements["downloads"])


@pytest.mark.parametrize("part", ["pages", "downloads"])
def test_no_query_scans_a_big_table_or_a_whole_history(world, statements, part):
    conn = sqlite3.connect(world[0])
    try:
        problems = []
        for sql in statements[part]:
            plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
            problems += [f"{p}\n    in: {sql[:300]}"
                         for p in problems_in(sql, plan, whole_history_ok=part == "downloads")]
    finally:
        conn.close()
    assert not problems, "\n".join(problems)


def test_every_foreign_key_on_a_big_table_has_an_index(world):
    """Deleting a parent row (a sample pairing's sessions, the sample PAL) looks up its
    children; without an index on the child column that is a scan of the child table per
    deleted row."""
    conn = sqlite3.connect(world[0])
    try:
        missing = []
        for table in sorted(BIG):
            leading = {conn.execute(f"PRAGMA index_info({name!r})").fetchone()[2]
                       for _, name, *_ in conn.execute(f"PRAGMA index_list({table!r})")}
            primary = {row[1] for row in conn.execute(f"PRAGMA table_info({table!r})") if row[5] == 1}
            for fk in conn.execute(f"PRAGMA foreign_key_list({table!r})"):
                column = fk[3]
                if column not in leading and column not in primary:
                    missing.append(f"{table}.{column} → {fk[2]}")
    finally:
        conn.close()
    assert not missing, "foreign keys without an index: " + ", ".join(missing)


@pytest.mark.parametrize(("sql", "plan", "expected"), [
    ("SELECT * FROM note n WHERE n.body = 'x'", ["SCAN n"], ["full scan of note: SCAN n"]),
    ("SELECT * FROM note WHERE session_id = 1", ["SEARCH note USING INDEX note_slot (session_id=?)"], []),
    ("SELECT * FROM goal g WHERE g.pairing_id = 1", ["SEARCH g USING INDEX goal_pairing (pairing_id=?)"],
     ["walks a pairing's whole history in goal: SEARCH g USING INDEX goal_pairing (pairing_id=?)"]),
    ("SELECT count(*) FROM (SELECT a.id FROM action_item a) ranged", ["SCAN ranged"], []),
    ("SELECT * FROM pairing p", ["SCAN p"], []),
])
def test_the_checker_itself(sql, plan, expected):
    assert problems_in(sql, plan) == expected
