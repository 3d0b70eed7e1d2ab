"""AppTest page tests of Summary and History: editing with conflicts, agreeing, the
follow-up message, safe rendering, and History over two years of weekly sessions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pal_core import export, summary
from pal_core.assist import OFFLINE
from pal_core.models import ActionStatus, NewAction, NewSession, Phase, RatingInput, Role
from pal_core.store import Store
from test_summary import PRIVATE_MARKERS, at, seed_session

APP = str(Path(__file__).resolve().parent.parent / "app.py")
UTC = dt.timezone.utc


@pytest.fixture
def db(tmp_path, monkeypatch) -> Store:
    path = tmp_path / "pal.db"  # a path per test: ui.store() is cached by path
    monkeypatch.setenv("PAL_DB_PATH", str(path))
    for name in ("PAL_LLM_MODEL", "PAL_LLM_BASE_URL", "OPENAI_BASE_URL", "PAL_LLM_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    store = Store(path)
    yield store
    store.close()


def open_page(store: Store, person_id: int, page: str, session_id: int | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.session_state["auth:person"] = store.person(person_id)
    app.run()
    app.switch_page(page)
    if session_id is not None:
        app.query_params["session"] = str(session_id)
    return app.run()


def text_of(app: AppTest) -> str:
    parts = [e.value for e in app.markdown] + [e.value for e in app.caption] + [e.value for e in app.code]
    parts += [e.value for e in app.text_area] + [str(e.value) for e in app.info] + [str(e.value) for e in app.warning]
    parts += [str(e.value) for e in app.success] + [str(e.value) for e in app.error] + [e.value for e in app.subheader]
    return "\n".join(str(p) for p in parts)


def completed(store: Store):
    seeded = seed_session(store)
    summary.complete_session(store, OFFLINE, seeded.ana, seeded.session, at(6))
    return seeded


# --- Summary -------------------------------------------------------------------------------


def test_summary_of_an_open_session_points_to_closing(db):
    seeded = seed_session(db)
    app = open_page(db, seeded.ben, "views/summary.py", seeded.session)
    assert not app.exception
    assert "isn't completed yet" in text_of(app)
    assert not app.text_area


@pytest.mark.parametrize("who", ["ana", "ben"])
def test_summary_page_shows_the_draft_message_and_no_private_note(db, who):
    seeded = completed(db)
    app = open_page(db, getattr(seeded, who), "views/summary.py", seeded.session)
    assert not app.exception
    body = app.text_area(key=f"summary:{seeded.session}:body").value
    assert body.startswith("# Session summary: Ana & Ben")
    text = text_of(app)
    for marker in PRIVATE_MARKERS:
        assert marker not in text
    other = "Ben" if who == "ana" else "Ana"
    assert f"Hi {other}," in app.code[-1].value  # the follow-up message
    assert "Split the billing epic into tasks" in app.code[-1].value
    assert "Suggested by the built-in engine" in text
    assert any(b.label == "Mark as read and agreed" for b in app.button)


def test_editing_saves_a_version_and_agreeing_is_recorded(db):
    seeded = completed(db)
    app = open_page(db, seeded.ben, "views/summary.py", seeded.session)
    key = f"summary:{seeded.session}:body"
    app.text_area(key=key).input("## Ben's summary\n- Ana ships the epic").run()
    saved = db.summary(seeded.ana, seeded.session)
    assert (saved.body, saved.version, saved.edited_by_name) == ("## Ben's summary\n- Ana ships the epic", 2, "Ben")
    app.button(key="summary:agree").click().run()
    assert db.summary(seeded.ana, seeded.session).agreed_by_pal_at is not None
    assert not app.exception
    assert "marked version 2 as read and agreed" in text_of(app)
    assert [v for v, *_ in db.summary_revisions(seeded.ana, seeded.session)] == [2, 1]


def test_a_conflicting_edit_shows_their_text_and_keeps_mine(db):
    seeded = completed(db)
    app = open_page(db, seeded.ana, "views/summary.py", seeded.session)
    db.save_summary(seeded.ben, seeded.session, "Ben's newer words", expected_version=1)
    key = f"summary:{seeded.session}:body"
    app.text_area(key=key).input("Ana's words").run()
    assert not app.exception
    assert app.text_area(key=key).value == "Ben's newer words"
    assert any("Ana's words" == c.value for c in app.code)
    assert db.summary(seeded.ana, seeded.session).body == "Ben's newer words"
    app.button(key=key + ":keep").click().run()
    assert db.summary(seeded.ana, seeded.session).body == "Ana's words"


def test_the_preview_never_renders_what_people_typed_as_html_or_links(db):
    seeded = completed(db)
    db.save_summary(seeded.ana, seeded.session,
                    "# Title <script>alert(1)</script>\n- **Bold** [click](javascript:alert(1)) ![x](http://e.x/i.png)",
                    expected_version=1)
    app = open_page(db, seeded.ana, "views/summary.py", seeded.session)
    assert not app.exception
    preview = "\n".join(m.value for m in app.markdown)
    assert "<script>" not in preview and "](javascript" not in preview and "![x](" not in preview
    assert "&lt;script&gt;" in preview and "**Bold**" in preview


def test_redraft_replaces_the_text_and_keeps_the_old_one(db):
    seeded = completed(db)
    db.save_summary(seeded.ben, seeded.session, "Short", expected_version=1)
    app = open_page(db, seeded.ana, "views/summary.py", seeded.session)
    app.button(key="summary:redraft").click().run()
    assert not app.exception
    current = db.summary(seeded.ana, seeded.session)
    assert current.version == 3 and current.body.startswith("# Session summary")
    assert app.text_area(key=f"summary:{seeded.session}:body").value == current.body


def test_summary_for_someone_else_is_refused(db):
    seeded = completed(db)
    stranger = db.create_person("eve@example.com", "Eve", None).id
    app = open_page(db, stranger, "views/summary.py", seeded.session)
    assert not app.exception
    assert "not found" in text_of(app) and "Split the billing" not in text_of(app)


# --- History --------------------------------------------------------------------------------


def two_years(store: Store):
    """104 weekly sessions through the store, every one rated, with actions, goals and
    feedback; the last few actions overdue."""
    ana = store.create_person("ana@example.com", "Ana", None).id
    ben = store.create_person("ben@example.com", "Ben", None).id
    pid = store.accept_invite(ben, store.create_invite(ana, Role.MENTEE)).id
    store.add_kpi(ana, pid, "Ship on time")
    start = dt.datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) - dt.timedelta(weeks=104)
    for week in range(104):
        sid = store.schedule_session(ana, pid, NewSession(scheduled_at=start + dt.timedelta(weeks=week))).id
        store.save_rating(ana, sid, RatingInput(rating=4 + week % 6, why=f"week {week}", plus_one=f"plus-one {week}"))
        store.share_agenda(ana, sid)
        action = store.add_action(ben, sid, NewAction(
            text=f"Action {week}", owner=Role.MENTEE if week % 2 else Role.PAL,
            due_date=(start + dt.timedelta(weeks=week + 1)).date(),
        ))
        if week < 100:
            store.update_action_status(ana, action.id, ActionStatus.DONE if week % 5 else ActionStatus.DROPPED, session_id=sid)
        if week % 4 == 0:
            store.add_goal(ana, sid, f"Goal {week} by the end of the month", "Ship on time")
        store.save_note(ana, sid, Phase.CLOSING, "feedback:mentee:fb-project-handoff-guidance", f"Helpful {week}",
                        question_text="Was my guidance helpful?", expected_version=None)
        store.complete_session(ben, sid, None)
    return ana, ben, pid


def open_tab(app: AppTest, pairing_id: int, title: str) -> AppTest:
    """Switch History to one of its tabs (each draws its content only while open)."""
    app.session_state[f"history:{pairing_id}:tab"] = title
    return app.run()


def test_history_with_two_years_of_weekly_sessions(db):
    ana, ben, pid = two_years(db)
    assert db.count_sessions(ben, pid) == 104
    app = open_page(db, ben, "views/history.py")
    assert not app.exception
    assert [t.label for t in app.tabs] == ["How the mentee is doing", "Actions", "Goals", "Feedback over time",
                                           "Running document"]
    assert len(app.get("vega_lite_chart")) == 1
    assert {m.label: m.value for m in app.metric}["Ratings"] in {"52", "53"}  # the default range: the last year
    assert "plus-one 103" in str(app.dataframe[0].value.to_dict())
    assert "Overdue now" not in {m.label for m in app.metric}  # other tabs are not drawn
    open_tab(app, pid, "Actions")
    assert not app.exception and not app.get("vega_lite_chart")
    assert {m.label: m.value for m in app.metric}["Overdue now"] == "3"  # weeks 100-102 (103's is due later)
    open_tab(app, pid, "Goals")
    assert "Goal 100 by the end of the month" in str(app.dataframe[0].value.to_dict())
    open_tab(app, pid, "Feedback over time")
    assert "Helpful 103" in str(app.dataframe[0].value.to_dict())
    open_tab(app, pid, "Running document")
    downloads = {d.proto.label for d in app.get("download_button")}
    assert {"Running document (Markdown)", "Running document (printable page)", "Export all my pairings (JSON)"} <= downloads
    # the whole span: every session
    open_tab(app, pid, "How the mentee is doing")
    app.date_input(key=f"history:{pid}:dates").set_value((dt.datetime.now(UTC).date() - dt.timedelta(weeks=104), dt.datetime.now(UTC).date())).run()
    assert not app.exception
    assert {m.label: m.value for m in app.metric}["Ratings"] == "104"


def test_history_pages_through_long_lists(db):
    ana, ben, pid = two_years(db)
    app = open_tab(open_page(db, ana, "views/history.py"), pid, "Feedback over time")
    first_page = str(app.dataframe[0].value.to_dict())
    app.number_input(key=f"history:{pid}:feedback_page").set_value(3).run()
    assert not app.exception
    assert str(app.dataframe[0].value.to_dict()) != first_page


def test_history_empty_states_say_what_to_do(db):
    ana = db.create_person("ana@example.com", "Ana", None).id
    app = open_page(db, ana, "views/history.py")
    assert not app.exception
    assert "not paired with anyone yet" in text_of(app)
    ben = db.create_person("ben@example.com", "Ben", None).id
    db.accept_invite(ben, db.create_invite(ana, Role.MENTEE))
    app = open_page(db, ana, "views/history.py")
    assert "No sessions with Ben yet" in text_of(app)


def test_pal_with_several_mentees_sees_the_overview(db):
    ben = db.create_person("ben@example.com", "Ben", None).id
    now = dt.datetime.now(UTC)
    for name, shared in (("Ana", True), ("Cara", False)):
        mentee = db.create_person(f"{name.lower()}@example.com", name, None).id
        pid = db.accept_invite(ben, db.create_invite(mentee, Role.MENTEE)).id
        past = db.schedule_session(mentee, pid, NewSession(scheduled_at=now - dt.timedelta(days=7))).id
        db.save_rating(mentee, past, RatingInput(rating=8 if shared else 5))
        db.share_agenda(mentee, past)
        db.add_action(ben, past, NewAction(text="Late", owner=Role.MENTEE, due_date=(now - dt.timedelta(days=2)).date()))
        upcoming = db.schedule_session(mentee, pid, NewSession(scheduled_at=now + dt.timedelta(days=2))).id
        if shared:
            db.share_agenda(mentee, upcoming)
    rows = {r["mentee_name"]: r for r in db.pal_overview(ben, now, now.date())}
    assert rows["Ana"]["next_agenda_shared"] is True and rows["Cara"]["next_agenda_shared"] is False
    assert rows["Ana"]["overdue"] == 1 and rows["Ana"]["last_rating"] == 8 and rows["Cara"]["last_rating"] == 5
    app = open_page(db, ben, "views/history.py")
    assert not app.exception
    table = app.dataframe[0].value
    assert list(table["Mentee"]) == ["Ana", "Cara"]
    assert list(table["Agenda shared"]) == ["shared", "not yet"]


def test_import_through_the_page(db, tmp_path):
    source = Store(tmp_path / "source.db")
    seeded = seed_session(source)
    data = export.export_json(source, seeded.ana).encode()
    ana = db.create_person("ana@example.com", "Ana", None).id
    db.create_person("ben@example.com", "Ben", None)
    app = open_page(db, ana, "views/history.py")
    bad = json.loads(data)
    bad["sessions"][0]["rating"] = "seven"
    app.get_by_key("history:import_file").set_value(("bad.json", json.dumps(bad).encode(), "application/json")).run()
    app.button(key="history:import").click().run()
    assert not app.exception
    assert "sessions[0].rating" in text_of(app) and db.pairings(ana) == []
    app.get_by_key("history:import_file").set_value(("pal-export-ana.json", data, "application/json")).run()
    app.button(key="history:import").click().run()
    assert not app.exception
    assert len(db.pairings(ana)) == 1 and db.count_sessions(ana, db.pairings(ana)[0].id) == 2


def test_completing_on_closing_drafts_the_summary_and_opens_it(db):
    ana = db.create_person("ana@example.com", "Ana", None).id
    ben = db.create_person("ben@example.com", "Ben", None).id
    pid = db.accept_invite(ben, db.create_invite(ana, Role.MENTEE)).id
    sid = db.schedule_session(ana, pid, NewSession(scheduled_at=at(2))).id
    db.add_action(ben, sid, NewAction(text="Book the design review", owner=Role.MENTEE, due_date=dt.date(2031, 1, 9)))
    app = open_page(db, ben, "views/closing.py", sid)
    app.button(key="closing:complete").click().run()
    assert not app.exception
    saved = db.summary(ana, sid)
    assert saved is not None and "Book the design review" in saved.body
    assert db.count_sessions(ana, pid) == 2  # the next one, a cadence later
    assert app.text_area(key=f"summary:{sid}:body").value == saved.body
