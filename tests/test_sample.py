"""The sample pairing a newcomer can load and remove again."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pal_core.models import SessionStatus
from pal_core.sample import load_sample
from pal_core.store import Store, StoreError

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_sample_has_rated_sessions_actions_and_summaries_and_is_removable(store: Store):
    ana = store.create_person("ana@example.com", "Ana", None)
    pairing = load_sample(store, ana)
    assert pairing.is_sample and pairing.mentee_id == ana.id
    sessions = store.sessions(ana.id, pairing.id, newest_first=False)
    completed = [s for s in sessions if s.status == SessionStatus.COMPLETED]
    assert len(completed) == 3 and all(s.rating for s in completed)
    assert sessions[-1].status == SessionStatus.DRAFT  # one upcoming session to prepare
    assert all(store.summary(ana.id, s.id) for s in completed)
    assert {a.status.value for a in store.actions(ana.id, pairing.id)} == {"done", "in_progress", "open"}
    store.remove_sample(ana.id, pairing.id)
    assert store.pairings(ana.id) == []
    assert store.db.execute("SELECT count(*) FROM session").fetchone()[0] == 0
    assert store.db.execute("SELECT count(*) FROM person").fetchone()[0] == 1  # the sample PAL is gone


def test_only_a_sample_pairing_can_be_removed(store: Store):
    from pal_core.models import Role

    ana = store.create_person("ana@example.com", "Ana", None)
    ben = store.create_person("ben@example.com", "Ben", None)
    real = store.accept_invite(ben.id, store.create_invite(ana.id, Role.MENTEE))
    with pytest.raises(StoreError):
        store.remove_sample(ana.id, real.id)
    assert store.pairings(ana.id)


def test_newcomer_loads_the_sample_from_the_empty_pairings_page(tmp_path, monkeypatch):
    monkeypatch.setenv("PAL_DB_PATH", str(tmp_path / "pal.db"))
    store = Store(tmp_path / "pal.db")
    ana = store.create_person("ana@example.com", "Ana", None)
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["auth:person"] = ana
    at.run()
    at.button(key="home:sample").click().run()
    assert not at.exception
    assert any("sample pairing" in w.value for w in at.warning)
    at.button(key="home:remove_sample").click().run()
    assert store.pairings(ana.id) == []
