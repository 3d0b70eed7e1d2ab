"""Settings, from the environment first and `.streamlit/secrets.toml` second.

Read without Streamlit so the core and its tests can use them. Secrets (the LLM key)
live only in the returned object: they are never written to the database or logged.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_DIR / "data" / "pal.db"
DEFAULT_LLM_BUDGET_S = 20.0
# Every environment variable load_settings reads: the UI watches exactly these for changes.
ENV_NAMES = ("PAL_DB_PATH", "PAL_LLM_BASE_URL", "OPENAI_BASE_URL", "PAL_LLM_MODEL", "PAL_LLM_API_KEY",
             "OPENAI_API_KEY", "PAL_LLM_BUDGET_S")


def _secrets_files() -> list[Path]:
    # The same two places Streamlit reads, project first.
    return [Path.cwd() / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"]


def load_secrets(files: list[Path] | None = None) -> dict:
    """Top-level keys of the first readable secrets file; an unreadable one is skipped."""
    for path in files if files is not None else _secrets_files():
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
    return {}


@dataclass(frozen=True)
class LLMSettings:
    base_url: str | None
    model: str | None
    api_key: str | None = field(default=None, repr=False)  # never printed
    budget_s: float = DEFAULT_LLM_BUDGET_S

    @property
    def enabled(self) -> bool:
        return bool(self.model and (self.base_url or self.api_key))


@dataclass(frozen=True)
class Settings:
    db_path: Path
    llm: LLMSettings


def _pick(env: dict, secrets: dict, *names: str) -> str | None:
    for name in names:
        value = env.get(name) or secrets.get(name)
        if value:
            return str(value)
    return None


def load_settings(env: dict | None = None, secrets: dict | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    secrets = load_secrets() if secrets is None else secrets
    try:
        budget = float(_pick(env, secrets, "PAL_LLM_BUDGET_S") or DEFAULT_LLM_BUDGET_S)
    except ValueError:
        budget = DEFAULT_LLM_BUDGET_S
    if math.isnan(budget):
        budget = DEFAULT_LLM_BUDGET_S
    return Settings(
        db_path=Path(_pick(env, secrets, "PAL_DB_PATH") or DEFAULT_DB_PATH),
        llm=LLMSettings(
            base_url=_pick(env, secrets, "PAL_LLM_BASE_URL", "OPENAI_BASE_URL"),
            model=_pick(env, secrets, "PAL_LLM_MODEL"),
            api_key=_pick(env, secrets, "PAL_LLM_API_KEY", "OPENAI_API_KEY"),
            budget_s=min(max(budget, 1.0), 120.0),
        ),
    )
