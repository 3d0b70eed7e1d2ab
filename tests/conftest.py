# --- LLM test server and store fixtures (owner: assist / LLM) ----------------------------
import pytest

from llm_server import LLMServer


@pytest.fixture
def llm_server():
    """A scriptable OpenAI-compatible server on 127.0.0.1 (see tests/llm_server.py)."""
    with LLMServer() as server:
        yield server


@pytest.fixture
def store(tmp_path):
    """A fresh Store on ``tmp_path / "pal.db"``."""
    from pal_core.store import Store

    db = Store(tmp_path / "pal.db")
    yield db
    db.close()
# --- end of LLM fixtures -----------------------------------------------------------------
