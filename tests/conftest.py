"""Shared fixtures: the LLM test server, a fresh store, a seeded pair."""
import datetime as dt

import pytest

from llm_server import LLMServer
from pal_core.models import NewSession, Role
from pal_core.store import Store


@pytest.fixture
def llm_server():
    """A scriptable OpenAI-compatible server on 127.0.0.1 (see tests/llm_server.py)."""
    with LLMServer() as server:
        yield server


@pytest.fixture
def store(tmp_path):
    """A fresh Store on ``tmp_path / "pal.db"``."""
    db = Store(tmp_path / "pal.db")
    yield db
    db.close()


@pytest.fixture
def pair(tmp_path, monkeypatch):
    """A mentee (Ana) and her PAL (Ben) with a session in three days; the app's database."""
    path = tmp_path / "pal.db"
    monkeypatch.setenv("PAL_DB_PATH", str(path))
    store = Store(path)
    ana = store.create_person("ana@example.com", "Ana", None)
    ben = store.create_person("ben@example.com", "Ben", None)
    pairing = store.accept_invite(ben.id, store.create_invite(ana.id, Role.MENTEE))
    now = dt.datetime.now(dt.timezone.utc)
    session = store.schedule_session(ana.id, pairing.id, NewSession.at(now + dt.timedelta(days=3), now=now))
    yield store, ana, ben, pairing, session
    store.close()
