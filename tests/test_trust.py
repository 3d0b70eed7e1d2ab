"""Trust (issue 6) below the pages: every exporting function, summary and AI request,
called with the ids of a pairing the caller is not in, or by a member of it.

The Store's own access matrix (every public method × a foreign id → NotFound, exactly as
a missing id) is tests/test_store.py::ACCESS_MATRIX; it is not repeated here. This file
covers what is built on the Store: pal_core.export (session Markdown, .ics, running
document in Markdown and HTML, JSON), pal_core.summary (facts, template, follow-up
message, completing and (re)drafting), the PAL overview, and the exact bodies the AI is
sent (tests/llm_server.py). The same rules on the running app: tests/e2e/test_access.py.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest

import trust_world as tw
from llm_server import ok
from test_views_session import open_page
from pal_core import export, summary
from pal_core.assist import OFFLINE, Assistant
from pal_core.config import LLMSettings
from pal_core.models import Role, Visibility
from pal_core.store import NotFound, Store, StoreError

UTC = dt.timezone.utc
TODAY = dt.datetime.now(UTC).date()
WIDE = (TODAY - dt.timedelta(days=400), TODAY + dt.timedelta(days=400))


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tw.World:
    return tw.build(tmp_path_factory.mktemp("trust") / "pal.db")


@pytest.fixture
def store(world, tmp_path) -> Store:
    """A copy of the world per test: some calls (completing, drafting) write."""
    source = Store(world.db_path)
    source.backup_to(tmp_path / "pal.db")
    source.close()
    db = Store(tmp_path / "pal.db")
    yield db
    db.close()


def text(value) -> str:
    """Anything a function returns, as one searchable text."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, tuple):
        return "\n".join(text(v) for v in value)
    if hasattr(value, "model_dump_json"):
        return value.model_dump_json()
    return value if isinstance(value, str) else json.dumps(value, default=str)


def leaks(output: str, markers=tw.P1_ALL) -> list[str]:
    return [m for m in markers if m in output]


# --- the outsider: every exporting function × every kind of id ------------------------------

# (name, call(store, actor, id)): each takes a session or pairing id the way the pages pass it.
BY_ID: list[tuple[str, Callable]] = [
    ("session_markdown", lambda s, a, i: export.session_markdown(s, a, i)),
    ("next_session_ics", lambda s, a, i: export.next_session_ics(s, a, i)),
    ("running_markdown", lambda s, a, i: export.running_markdown(export.running_document(s, a, i, *WIDE))),
    ("running_html", lambda s, a, i: export.running_html(export.running_document(s, a, i, *WIDE))),
    ("gather", lambda s, a, i: summary.gather(s, a, i)),
    ("offline_summary", lambda s, a, i: summary.offline_summary(summary.gather(s, a, i))),
    ("follow_up_message", lambda s, a, i: summary.follow_up_message(summary.gather(s, a, i), Role.MENTEE)),
    ("ensure_summary", lambda s, a, i: summary.ensure_summary(s, OFFLINE, a, i)),
    ("redraft", lambda s, a, i: summary.redraft(s, OFFLINE, a, i, 1)),
    ("complete_session", lambda s, a, i: summary.complete_session(s, OFFLINE, a, i, None)),
]


def p1_ids(w: tw.World) -> dict[str, int]:
    """Every id of P1, of every kind, plus ids that exist nowhere."""
    ids = {"pairing": w.p1, "action": w.action, "goal": w.goal, "agenda_item": w.agenda_item,
           "missing": 999_999, "negative": -1, "zero": 0}
    ids |= {f"session-{n}": sid for n, sid in zip(("done", "live", "prep"), w.p1_sessions)}
    ids |= {f"note-{i}": nid for i, nid in enumerate(w.note_ids)}
    return ids


def p1_state(store: Store, w: tw.World) -> tuple:
    """What the members see of P1: must not change, whatever the outsider calls."""
    return tuple(
        (store.sessions(who, w.p1), store.summary(who, w.done), [store.notes(who, s) for s in w.p1_sessions],
         store.actions(who, w.p1), store.goals(who, w.p1))
        for who in (w.ava, w.bram)
    )


@pytest.mark.parametrize("name", [name for name, _ in BY_ID])
def test_outsider_gets_nothing_of_p1_from_any_id(world, store, name):
    call = dict(BY_ID)[name]
    own = {world.p2, world.p2_done, world.p2_next}
    before = p1_state(store, world)
    for kind, value in p1_ids(world).items():
        try:
            result = call(store, world.cyd, value)
        except NotFound as refused:
            assert "not found, or you don't have access" in str(refused)
            continue
        except StoreError as refused:  # allowed only for the outsider's own ids (e.g. a stale version)
            assert value in own and not leaks(str(refused)), (name, kind, str(refused))
            continue
        # Only an id that happens to be one of the outsider's own may answer, with P2 only.
        assert value in own, f"{name}({kind}={value}) answered the outsider: {text(result)[:200]}"
        assert not leaks(text(result)), (name, kind, leaks(text(result)))
    assert p1_state(store, world) == before


def test_outsider_export_overview_and_summaries_hold_nothing_of_p1(world, store):
    doc = export.export_json(store, world.cyd)
    assert tw.P2_OWN in doc and not leaks(doc)
    assert [o["pairing_id"] for o in store.pal_overview(world.dee, dt.datetime.now(UTC), TODAY)] == [world.p2]
    assert store.pal_overview(world.cyd, dt.datetime.now(UTC), TODAY) == []
    assert [o["pairing_id"] for o in store.pal_overview(world.bram, dt.datetime.now(UTC), TODAY)] == [world.p1]
    assert not leaks(text(store.pal_overview(world.dee, dt.datetime.now(UTC), TODAY)))
    own = export.session_markdown(store, world.cyd, world.p2_done)
    assert tw.P2_OWN in own and not leaks(own)


# --- private notes: only their author, in every export and summary -----------------------------


def member_outputs(store: Store, w: tw.World, actor: int) -> dict[str, str]:
    """Everything a member can take away from P1, keyed by where it came from."""
    role = Role.MENTEE if actor == w.ava else Role.PAL
    out: dict[str, str] = {}
    for sid in w.p1_sessions:
        facts = summary.gather(store, actor, sid)
        out[f"gather-{sid}"] = text(facts)
        out[f"offline_summary-{sid}"] = summary.offline_summary(facts)
        out[f"follow_up_message-{sid}"] = summary.follow_up_message(facts, role)
        out[f"session_markdown-{sid}"] = export.session_markdown(store, actor, sid)
        out[f"ics-{sid}"] = text(export.next_session_ics(store, actor, sid))
    doc = export.running_document(store, actor, w.p1, *WIDE)
    out["running_markdown"] = export.running_markdown(doc)
    out["running_html"] = export.running_html(doc)
    out["summary_revisions"] = text(store.summary_revisions(actor, w.done))
    out["summaries_between"] = text(store.summaries_between(actor, w.p1))
    out["feedback_notes"] = text(store.feedback_notes(actor, w.p1))
    return out


@pytest.mark.parametrize("who", ["ava", "bram"])
def test_no_private_note_in_any_summary_or_shared_export(world, store, who):
    actor = getattr(world, who)
    outputs = member_outputs(store, world, actor)
    assert tw.SHARED in outputs["running_markdown"] and tw.SHARED in outputs[f"session_markdown-{world.done}"]
    for where, output in outputs.items():
        # A summary or a shared document holds no private note at all, not even one's own.
        assert not leaks(output, (tw.PRIVATE_AVA, tw.PRIVATE_BRAM)), (where, leaks(output))
        if actor == world.bram:  # the PAL never sees the mentee's unshared preparation
            assert tw.UNSHARED not in output, where


@pytest.mark.parametrize(("who", "own", "other"), [
    ("ava", tw.PRIVATE_AVA, tw.PRIVATE_BRAM), ("bram", tw.PRIVATE_BRAM, tw.PRIVATE_AVA),
])
def test_json_export_holds_only_the_authors_own_private_notes(world, store, who, own, other):
    actor = getattr(world, who)
    doc = export.export_document(store, actor)
    assert own in json.dumps(doc) and other not in json.dumps(doc)
    private = [n for n in doc["notes"] if n["visibility"] == Visibility.PRIVATE]
    assert private and all(n["owner"] == n["author"] == world.email(who) for n in private)
    assert (tw.UNSHARED in json.dumps(doc)) == (who == "ava")
    # Each page's notes, the way the pages read them.
    for sid in world.p1_sessions:
        bodies = " ".join(n.body for n in store.notes(actor, sid))
        assert other not in bodies


# --- imports: a file can't attach a pairing to an account in use, nor carry others' private notes --


def test_import_cannot_attach_a_pairing_to_an_account_in_use(world, store):
    # Cyd forges a file: a pairing of Cyd and Ava, with notes "by" Ava.
    forged = export.export_document(store, world.cyd)
    forged["people"] = [{"email": world.email("cyd"), "display_name": "Cyd"}, {"email": world.email("ava"), "display_name": "Ava"}]
    forged["pairings"][0]["pal"] = world.email("ava")
    for table, field in (("notes", "author"), ("action_events", "by"), ("summaries", "edited_by"), ("summary_revisions", "edited_by")):
        for row in forged[table]:
            if row.get(field) == world.email("dee"):
                row[field] = world.email("ava")
    forged["notes"].append({**forged["notes"][0], "question_key": "forged", "body": "FORGED by Ava",
                            "author": world.email("ava")})
    before = store.pairings(world.ava)
    with pytest.raises(StoreError, match="already has pairings in this database"):
        export.import_json(store, world.cyd, json.dumps(forged))
    assert store.pairings(world.ava) == before
    assert store.db.execute("SELECT count(*) FROM note WHERE body LIKE 'FORGED%'").fetchone()[0] == 0


def test_import_refuses_someone_elses_private_notes(world, store, tmp_path):
    target = Store(tmp_path / "fresh.db")
    try:
        for who in ("ava", "bram", "cyd", "dee"):
            target.create_person(world.email(who), who.title(), None)
        doc = export.export_document(store, world.ava)
        note = next(n for n in doc["notes"] if n["visibility"] == Visibility.PRIVATE)
        note |= {"owner": world.email("bram"), "author": world.email("bram")}
        with pytest.raises(StoreError, match="private note of bram.oakes@example.com"):
            export.import_json(target, target.credentials(world.email("ava"))[0].id, json.dumps(doc))
        assert target.db.execute("SELECT count(*) FROM pairing").fetchone()[0] == 0
        # Ava's own, unchanged export goes in (into a database where Bram has no pairing yet).
        ava = target.credentials(world.email("ava"))[0].id
        export.import_json(target, ava, export.export_json(store, world.ava))
        assert len(target.pairings(ava)) == 1
    finally:
        target.close()


# --- the AI: what is sent never holds a private note or unshared preparation -------------------


PHASE_PAGES = ("views/reflection.py", "views/development.py", "views/planning.py", "views/closing.py")


def page_follow_ups(store: Store, w: tw.World, actor: int, llm_server, monkeypatch) -> int:
    """Clicks every "Follow-up questions" button on every phase page of every P1 session
    in the real pages (views/runner.follow_ups builds each request); the number clicked."""
    monkeypatch.setenv("PAL_DB_PATH", str(store.path))
    monkeypatch.setenv("PAL_LLM_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("PAL_LLM_MODEL", "test-model")
    monkeypatch.setenv("PAL_LLM_API_KEY", "sk-test-trust")
    person, clicked = store.person(actor), 0
    for sid in w.p1_sessions:
        for page in PHASE_PAGES:
            at = open_page(person, page, sid)
            for key in [b.key for b in at.button if (b.key or "").startswith("runner:followups:")]:
                at.button(key=key).click().run()
                assert not at.exception, (page, key, at.exception)
                clicked += 1
    return clicked


def assistant_requests(store: Store, assistant: Assistant, w: tw.World, actor: int) -> None:
    """The other assisted actions, with the inputs the pages pass: a SMART rewrite of each
    goal (widgets.goal_list), a (re)drafted summary from summary.gather (closing, summary)."""
    pairing = store.pairing(actor, w.p1)
    kpis = [k.text for k in store.kpis(actor, pairing.id)]
    for sid in w.p1_sessions:
        for goal in store.goals(actor, pairing.id, session_id=sid):
            assistant.rewrite_goal(goal.text, kpis)
        assistant.draft_summary(summary.gather(store, actor, sid), lambda: "offline")


@pytest.mark.parametrize("who", ["ava", "bram"])
def test_ai_requests_hold_no_private_text(world, store, llm_server, monkeypatch, who):
    actor = getattr(world, who)
    llm_server.default = ok({"follow_ups": ["What helped?", "What next?"], "goal": "A goal by Friday",
                             "summary_markdown": "# Summary"})
    assert page_follow_ups(store, world, actor, llm_server, monkeypatch) >= 3 * len(PHASE_PAGES) * 2
    assert len(llm_server.raw_bodies) > 0, "the pages' follow-up buttons asked the model"
    assistant = Assistant(LLMSettings(llm_server.base_url, "test-model", "sk-test-trust", 10.0), None, backoff_s=0.01)
    assistant_requests(store, assistant, world, actor)
    bodies = [raw.decode() for raw in llm_server.raw_bodies]
    assert len(bodies) > 10
    assert any(tw.SHARED in b for b in bodies), "the shared text did go out: the check can see it"
    for body in bodies:
        # json.dumps escapes nothing in the markers, so a substring check is exact.
        assert not leaks(body, (tw.PRIVATE_AVA, tw.PRIVATE_BRAM)), body[:300]
        if actor == world.bram:
            assert tw.UNSHARED not in body, body[:300]


# --- backups: the copy is as sensitive as the database -------------------------------------------


def test_backup_file_is_readable_by_its_owner_only(world, tmp_path):
    from pal_core.__main__ import main

    target = tmp_path / "backup.db"
    assert main(["--db", str(world.db_path), "backup", str(target)]) == 0
    assert target.stat().st_mode & 0o777 == 0o600
    copy = Store(target)
    try:
        assert copy.integrity_ok() and copy.pairings(world.ava)
    finally:
        copy.close()
