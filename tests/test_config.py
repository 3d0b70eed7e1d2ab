"""Tests for pal_core.config: environment first, secrets file second, secrets never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from pal_core import config
from pal_core.config import DEFAULT_DB_PATH, DEFAULT_LLM_BUDGET_S, load_secrets, load_settings

KEY = "sk-test-DO-NOT-PRINT-0123456789abcdef"


def test_defaults_with_nothing_set():
    s = load_settings(env={}, secrets={})
    assert s.db_path == DEFAULT_DB_PATH
    assert (s.llm.base_url, s.llm.model, s.llm.api_key) == (None, None, None)
    assert s.llm.budget_s == DEFAULT_LLM_BUDGET_S
    assert not s.llm.enabled


def test_env_names_lists_every_variable_load_settings_reads():
    """The UI reloads settings when one of ENV_NAMES changes: a variable read but not
    listed would be ignored until restart."""
    read: set[str] = set()

    class Recording(dict):
        def get(self, name, default=None):
            read.add(name)
            return super().get(name, default)

    load_settings(env=Recording(), secrets={})
    assert read == set(config.ENV_NAMES)


def test_environment_beats_secrets_file():
    env = {"PAL_LLM_MODEL": "env-model", "PAL_LLM_API_KEY": "env-key", "PAL_DB_PATH": "/env/pal.db",
           "PAL_LLM_BASE_URL": "http://env:8000/v1", "PAL_LLM_BUDGET_S": "30"}
    secrets = {"PAL_LLM_MODEL": "file-model", "PAL_LLM_API_KEY": "file-key", "PAL_DB_PATH": "/file/pal.db",
               "PAL_LLM_BASE_URL": "http://file:8000/v1", "PAL_LLM_BUDGET_S": "60"}
    s = load_settings(env=env, secrets=secrets)
    assert (s.llm.model, s.llm.api_key, s.db_path, s.llm.base_url, s.llm.budget_s) == (
        "env-model", "env-key", Path("/env/pal.db"), "http://env:8000/v1", 30.0)


def test_secrets_file_fills_what_the_environment_lacks():
    s = load_settings(env={"PAL_LLM_MODEL": ""}, secrets={"PAL_LLM_MODEL": "file-model", "PAL_LLM_BUDGET_S": 45})
    assert s.llm.model == "file-model"  # an empty variable counts as unset
    assert s.llm.budget_s == 45.0


def test_openai_variables_are_fallbacks():
    s = load_settings(env={"OPENAI_API_KEY": "openai-key", "OPENAI_BASE_URL": "http://openai/v1", "PAL_LLM_MODEL": "m"}, secrets={})
    assert (s.llm.api_key, s.llm.base_url) == ("openai-key", "http://openai/v1")
    assert s.llm.enabled
    s = load_settings(
        env={"OPENAI_API_KEY": "openai-key", "PAL_LLM_API_KEY": "pal-key",
             "OPENAI_BASE_URL": "http://openai/v1", "PAL_LLM_BASE_URL": "http://pal/v1"},
        secrets={},
    )
    assert (s.llm.api_key, s.llm.base_url) == ("pal-key", "http://pal/v1")
    s = load_settings(env={}, secrets={"OPENAI_API_KEY": "from-file"})
    assert s.llm.api_key == "from-file"


def test_enabled_needs_a_model_and_an_endpoint_or_key():
    assert not load_settings(env={"PAL_LLM_API_KEY": "k"}, secrets={}).llm.enabled
    assert load_settings(env={"PAL_LLM_MODEL": "m", "PAL_LLM_BASE_URL": "http://x/v1"}, secrets={}).llm.enabled
    assert load_settings(env={"PAL_LLM_MODEL": "m", "PAL_LLM_API_KEY": "k"}, secrets={}).llm.enabled
    assert not load_settings(env={"PAL_LLM_MODEL": "m"}, secrets={}).llm.enabled


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("30", 30.0), ("2.5", 2.5), ("0", 1.0), ("-10", 1.0), ("0.2", 1.0), ("500", 120.0), ("1e9", 120.0), ("inf", 120.0),
     ("abc", DEFAULT_LLM_BUDGET_S), ("20s", DEFAULT_LLM_BUDGET_S), ("", DEFAULT_LLM_BUDGET_S)],
)
def test_budget_is_clamped_and_junk_ignored(raw, expected):
    assert load_settings(env={"PAL_LLM_BUDGET_S": raw}, secrets={}).llm.budget_s == expected


def test_budget_nan_is_ignored():
    budget = load_settings(env={"PAL_LLM_BUDGET_S": "nan"}, secrets={}).llm.budget_s
    assert 1.0 <= budget <= 120.0


def test_api_key_is_not_in_repr():
    s = load_settings(env={"PAL_LLM_API_KEY": KEY, "PAL_LLM_MODEL": "m"}, secrets={})
    assert s.llm.api_key == KEY
    for text in (repr(s), str(s), repr(s.llm), str(s.llm), f"{s}"):
        assert KEY not in text
        assert "sk-test" not in text
    assert "model='m'" in repr(s.llm)  # the rest is still there to debug with


def test_load_secrets_reads_the_first_readable_file(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("PAL_LLM_MODEL = = nope", encoding="utf-8")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00junk")
    good = tmp_path / "good.toml"
    good.write_text('PAL_LLM_MODEL = "from-good"\nPAL_LLM_BUDGET_S = 12\n', encoding="utf-8")
    later = tmp_path / "later.toml"
    later.write_text('PAL_LLM_MODEL = "from-later"\n', encoding="utf-8")
    missing = tmp_path / "missing.toml"
    assert load_secrets([missing, broken, binary, good, later]) == {"PAL_LLM_MODEL": "from-good", "PAL_LLM_BUDGET_S": 12}
    assert load_secrets([missing]) == {}
    assert load_secrets([]) == {}


def test_load_settings_reads_the_project_secrets_file(tmp_path, monkeypatch):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        f'PAL_LLM_MODEL = "file-model"\nPAL_LLM_API_KEY = "{KEY}"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config.Path, "home", classmethod(lambda cls: tmp_path / "nohome"))
    s = load_settings(env={"PAL_LLM_MODEL": "env-model"})
    assert (s.llm.model, s.llm.api_key) == ("env-model", KEY)
    assert KEY not in repr(s)
