"""pal_core.export: session Markdown, the running document (Markdown and printable HTML),
the .ics file, and the JSON export with a lossless import back."""

from __future__ import annotations

import datetime as dt
import json

import icalendar
import pytest

from pal_core import export, summary
from pal_core.assist import OFFLINE
from pal_core.models import ActionStatus, AgendaKind, NewAction, NewSession, Phase, RatingInput, Role, Visibility
from pal_core.store import StoreError, Store
from test_summary import PRIVATE_MARKERS, Seeded, at, pair, seed_session

SCRIPT = "<script>alert('x')</script>"


def rich(store: Store) -> Seeded:
    """The summary test's session, plus what an export must carry: a completed session
    with an edited and agreed summary, custom and pinned questions, a second pairing in
    which Ana is the PAL, and a session whose preparation Ana has not shared yet."""
    s = seed_session(store)
    qid = store.add_custom_question(s.ana, s.pairing, "reflection", "What surprised you this week?")
    store.set_pinned(s.ana, s.pairing, f"custom-{qid}", True)
    store.set_pinned(s.ben, s.pairing, "refl-proudest-achievements", True)
    store.mark_questions_seen(s.ben, s.session, ["refl-proudest-achievements", "dev-skill-gap"])
    store.save_note(s.ana, s.session, Phase.REFLECTION, f"custom-{qid}", "How fast the review went",
                    question_text="What surprised you this week?", expected_version=None)
    summary.complete_session(store, OFFLINE, s.ana, s.session, at(6))
    store.save_summary(s.ben, s.session, "Edited by Ben\n\n- one more point", expected_version=1)
    store.agree_summary(s.ana, s.session)
    store.save_note(s.ben, s.session, Phase.CLOSING, "private", "PRIVATE-BEN closing thoughts",
                    visibility=Visibility.PRIVATE, expected_version=None)

    cara = store.create_person("cara@example.com", "Cara", None).id
    code = store.create_invite(cara, Role.MENTEE)
    other = store.accept_invite(s.ana, code).id
    osid = store.schedule_session(cara, other, NewSession(scheduled_at=at(-2))).id
    store.add_goal(cara, osid, "Present at the guild meeting by March")
    store.update_goal(cara, store.goals(cara, other)[0].id, text="Present at the guild meeting by March", kpi="",
                      smart_json="{}", done=True, expected_version=1)

    unshared = store.schedule_session(s.ana, s.pairing, NewSession(scheduled_at=at(13))).id
    store.save_rating(s.ana, unshared, RatingInput(rating=2, why="UNSHARED-why", plus_one="UNSHARED-plus"))
    store.add_agenda_item(s.ana, unshared, AgendaKind.POINT, "UNSHARED-point")
    store.add_goal(s.ana, unshared, "UNSHARED-goal by Friday", prep=True)
    return s


@pytest.fixture
def seeded(store) -> Seeded:
    return rich(store)


def people_like(target: Store, emails_names: list[tuple[str, str]]) -> dict[str, int]:
    return {email: target.create_person(email, name, None).id for email, name in emails_names}


def comparable(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "exported_at"}


# --- the JSON round trip ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["ana", "ben"])
def test_export_import_export_is_lossless(seeded, tmp_path, who):
    actor = getattr(seeded, who)
    first = export.export_document(seeded.store, actor)
    assert all(first[table] for table in (
        "people", "pairings", "kpis", "sessions", "agenda_items", "notes", "actions", "action_events", "goals",
        "custom_questions", "questions_seen", "questions_pinned", "summaries", "summary_revisions"))

    target = Store(tmp_path / f"b-{who}.db")
    # Other people first, in another order: the database ids differ from the source's.
    target.create_person("zoe@example.com", "Zoe", None)
    ids = people_like(target, [("cara@example.com", "Cara"), ("ben@example.com", "Ben"), ("ana@example.com", "Ana")])
    text = json.dumps(first)
    new_pairings = export.import_json(target, ids[f"{who}@example.com"], text)
    assert len(new_pairings) == len(first["pairings"])

    second = export.export_document(target, ids[f"{who}@example.com"])
    for table in first:
        if table != "exported_at":
            assert second[table] == first[table], table
    assert comparable(second) == comparable(first)
    target.close()


def test_the_export_holds_only_what_the_person_may_see(seeded):
    ben_view = json.dumps(export.export_document(seeded.store, seeded.ben))
    assert "PRIVATE-BEN closing thoughts" in ben_view  # his own
    for marker in ("PRIVATE-ANA", "UNSHARED", "cara@example.com"):
        assert marker not in ben_view
    ana_view = json.dumps(export.export_document(seeded.store, seeded.ana))
    assert "PRIVATE-ANA" in ana_view and "UNSHARED-point" in ana_view and "cara@example.com" in ana_view
    assert "PRIVATE-BEN" not in ana_view


def test_times_with_other_offsets_are_stored_in_utc(seeded, tmp_path):
    doc = export.export_document(seeded.store, seeded.ana)
    doc["sessions"][0]["scheduled_at"] = "2026-11-27T11:30:00+01:00"
    target = Store(tmp_path / "b.db")
    ids = people_like(target, [("ana@example.com", "Ana"), ("ben@example.com", "Ben"), ("cara@example.com", "Cara")])
    export.import_json(target, ids["ana@example.com"], json.dumps(doc))
    assert export.export_document(target, ids["ana@example.com"])["sessions"][0]["scheduled_at"] == "2026-11-27T10:30:00+00:00"


def test_custom_question_keys_follow_the_renumbering(seeded, tmp_path):
    doc = export.export_document(seeded.store, seeded.ana)
    (custom,) = doc["custom_questions"]
    assert {"pairing_id": 1, "question_id": f"custom-{custom['id']}"} in doc["questions_pinned"]
    assert any(n["question_key"] == f"custom-{custom['id']}" for n in doc["notes"])


def bad_file(seeded, change) -> str:
    doc = export.export_document(seeded.store, seeded.ana)
    change(doc)
    return json.dumps(doc)


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda d: d["sessions"][0].update(rating="seven"), "sessions[0].rating", "valid integer"),
    (lambda d: d["sessions"][1].update(rating=11), "sessions[1].rating", "less than or equal to 10"),
    (lambda d: d["actions"][0].update(due_date="next friday"), "actions[0].due_date", "date like"),
    (lambda d: d["sessions"][0].update(scheduled_at="2026-11-27T10:00:00"), "sessions[0].scheduled_at", "time zone"),
    (lambda d: d["notes"][0].update(body=42), "notes[0].body", "valid string"),
    (lambda d: d["goals"][0].update(done="yes"), "goals[0].done", "valid boolean"),
    (lambda d: d["pairings"][0].update(colour="red"), "pairings[0].colour", "Extra inputs"),
    (lambda d: d["sessions"][0].pop("status"), "sessions[0].status", "Field required"),
    (lambda d: d["actions"][0].update(status="finished"), "actions[0].status", "'done'"),
    (lambda d: d["sessions"][0].update(pairing_id=99), "sessions[0].pairing_id", "no pairing 99"),
    (lambda d: d["notes"][0].update(author="eve@example.com"), "notes[0].author", "not listed in people"),
])
def test_import_rejects_wrong_types_naming_the_field_and_writes_nothing(seeded, tmp_path, change, field, words):
    target = Store(tmp_path / "b.db")
    ids = people_like(target, [("ana@example.com", "Ana"), ("ben@example.com", "Ben"), ("cara@example.com", "Cara")])
    with pytest.raises(export.ImportProblem) as problem:
        export.import_json(target, ids["ana@example.com"], bad_file(seeded, change))
    assert field in str(problem.value) and words in str(problem.value)
    assert "Nothing was imported" in str(problem.value)
    assert target.db.execute("SELECT count(*) FROM pairing").fetchone()[0] == 0


def test_a_failure_half_way_leaves_nothing(seeded, tmp_path):
    """A clash found by the database after many rows were written rolls all of them back."""
    target = Store(tmp_path / "b.db")
    ids = people_like(target, [("ana@example.com", "Ana"), ("ben@example.com", "Ben"), ("cara@example.com", "Cara")])
    doc = export.export_document(seeded.store, seeded.ana)
    doc["notes"].append(dict(doc["notes"][0]))  # the same slot twice: only the database sees it
    with pytest.raises(StoreError, match="Nothing was imported"):
        export.import_json(target, ids["ana@example.com"], json.dumps(doc))
    for table in ("pairing", "session", "note", "action_item", "summary"):
        assert target.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


def test_import_refuses_unknown_people_strangers_and_duplicates(seeded, tmp_path):
    text = export.export_json(seeded.store, seeded.ana)
    target = Store(tmp_path / "b.db")
    ids = people_like(target, [("ana@example.com", "Ana"), ("ben@example.com", "Ben")])
    with pytest.raises(StoreError, match="cara@example.com has no account"):
        export.import_json(target, ids["ana@example.com"], text)
    ids |= people_like(target, [("cara@example.com", "Cara"), ("dan@example.com", "Dan")])
    with pytest.raises(StoreError, match="not part of"):
        export.import_json(target, ids["dan@example.com"], text)
    export.import_json(target, ids["ana@example.com"], text)
    with pytest.raises(StoreError, match="already has a pairing"):
        export.import_json(target, ids["ana@example.com"], text)
    assert target.db.execute("SELECT count(*) FROM pairing").fetchone()[0] == 2


@pytest.mark.parametrize(("data", "words"), [
    (b"\xff\xfe not text", "not UTF-8"),
    ("{not json", r"not valid JSON \(line 1"),
    ('{"format": "something-else"}', "not a PAL Sessions export"),
    ("[1, 2]", "not a PAL Sessions export"),
])
def test_import_explains_files_that_are_not_exports(store, data, words):
    with pytest.raises(export.ImportProblem, match=words):
        export.read_export(data)


# --- one session, and the next one in a calendar -----------------------------------------------


def test_session_markdown_is_the_agreed_summary_with_its_marks(seeded):
    text = export.session_markdown(seeded.store, seeded.ben, seeded.session)
    assert text.startswith("Edited by Ben")
    assert "Version 2, last edited by Ben" in text and "Agreed by Ana on" in text
    for marker in PRIVATE_MARKERS:
        assert marker not in text


def test_session_markdown_without_a_summary_is_the_template(store):
    s = seed_session(store)
    text = export.session_markdown(store, s.ben, s.session)
    assert text.startswith("# Session summary: Ana & Ben") and "Split the billing epic into tasks" in text


def test_ics_of_the_next_session_parses_back(seeded):
    when, data = export.next_session_ics(seeded.store, seeded.ana, seeded.session)
    calendar = icalendar.Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == when
    assert event.decoded("dtend") - event.decoded("dtstart") == dt.timedelta(minutes=30)
    assert str(event.get("summary")) == "PAL session: Ana & Ben"
    assert "Split the billing epic into tasks" in str(event.get("description"))
    assert str(event.get("uid")).endswith("@pal-sessions")


def test_no_ics_without_a_next_session(store):
    ana, ben, pid = pair(store)
    sid = store.schedule_session(ana, pid, NewSession(scheduled_at=at(1))).id
    assert export.next_session_ics(store, ben, sid) is None


def test_file_names_say_what_they_are(seeded):
    pairing = seeded.store.pairing(seeded.ana, seeded.pairing)
    session = seeded.store.session(seeded.ana, seeded.session)
    day = session.scheduled_at.date().isoformat()
    assert export.session_file_name(pairing, session, "md") == f"pal-session-{day}-ana-ben.md"
    assert export.running_document_file_name(pairing, dt.date(2026, 1, 1), dt.date(2026, 11, 30), "md") == \
        "pal-running-document-ana-2026-01-01_2026-11-30.md"
    assert export.export_file_name(seeded.store.person(seeded.ana), dt.date(2026, 11, 27)) == "pal-export-ana-2026-11-27.json"
    assert export.slug("Ana María O'Neil / <b>") == "ana-maria-o-neil-b"


# --- the running document ----------------------------------------------------------------------


def running(store: Store, s: Seeded):
    return export.running_document(store, s.ben, s.pairing, at(-30).date(), at(30).date())


def test_running_document_markdown(seeded):
    text = export.running_markdown(running(seeded.store, seeded))
    assert text.startswith("# Running document: Ana with Ben")
    assert "### KPI: Code review turnaround under 24 h" in text
    assert "Cut estimate error to under 20% by the end of the quarter" in text
    assert "1 ratings · average 7.0/10" in text and "+1: Less context switching" in text
    assert "- [x] Send Ana the design-review checklist — Ben, done" in text
    assert "#### Edited by Ben" not in text and "Edited by Ben" in text
    assert "UNSHARED" not in text
    for marker in PRIVATE_MARKERS:
        assert marker not in text


def test_running_document_html_is_printable_and_escapes_everything(store):
    s = seed_session(store)
    store.add_kpi(s.ana, s.pairing, f"KPI {SCRIPT}")
    store.add_goal(s.ana, s.session, f"Goal {SCRIPT} by Friday", f"KPI {SCRIPT}")
    store.save_rating(s.ana, s.session, RatingInput(rating=6, why="w", plus_one=f"plus {SCRIPT}"))
    store.add_action(s.ana, s.session, NewAction(text=f"Action <img src=x onerror=alert(1)> {SCRIPT}", owner=Role.MENTEE))
    action = store.session_actions(s.ana, s.session)[-1]
    store.update_action_status(s.ana, action.id, ActionStatus.DONE, session_id=s.session)
    store.complete_session(s.ana, s.session, None)
    store.save_summary(s.ana, s.session, f"# Title {SCRIPT}\n- **bold** [link](javascript:alert(1)) {SCRIPT}",
                       expected_version=None)
    page = export.running_html(running(store, s))
    assert page.startswith("<!DOCTYPE html>") and "@media print" in page and "@page" in page
    assert "<script" not in page.lower() and "<img" not in page.lower() and 'href="javascript' not in page
    assert page.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") >= 5
    assert "<strong>bold</strong>" in page
    assert "<link" not in page and "src=" not in page.replace("src=x", "")  # self-contained: nothing loaded


def test_running_document_of_an_empty_range_says_so(seeded):
    doc = export.running_document(seeded.store, seeded.ana, seeded.pairing, dt.date(2001, 1, 1), dt.date(2001, 12, 31))
    text = export.running_markdown(doc)
    assert "No sessions in these dates." in text and "No ratings in these dates." in text
    assert "No sessions in these dates." in export.running_html(doc)
