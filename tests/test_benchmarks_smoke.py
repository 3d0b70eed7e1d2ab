"""The benchmarks still run: each one's tiny ``--quick`` mode, in a subprocess (they set
PAL_DB_PATH and the working directory for themselves). Numbers are not judged here —
only that every stage runs and prints what docs/performance.md says it prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.seed import BENCH_EMAIL, BENCH_PASSWORD
from pal_core.auth import verify_password
from pal_core.store import Store

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, timeout: float) -> str:
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert done.returncode == 0, f"{args[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.parametrize("writer", ["bulk", "insert_all"])
def test_seed_makes_a_database_the_bench_account_can_use(tmp_path, writer):
    db = tmp_path / "pal.db"
    out = run("benchmarks.seed", "--db", str(db), "--pairings", "3", "--weeks", "4", "--writer", writer, timeout=60)
    assert "seed: week 4/4 (100%)" in out
    assert f"sign in as {BENCH_EMAIL} / {BENCH_PASSWORD}" in out
    store = Store(db)
    try:
        assert store.integrity_ok()
        person, password_hash = store.credentials(BENCH_EMAIL)
        assert verify_password(BENCH_PASSWORD, password_hash)
        pairings = store.pairings(person.id)
        assert [p.mentee_id == person.id for p in pairings].count(True) == 1 and len(pairings) == 3
        own = next(p for p in pairings if p.mentee_id == person.id)
        sessions = store.sessions(person.id, own.id, limit=10)
        assert len(sessions) == 4 and sessions[0].status != "completed" and sessions[1].status == "completed"
        assert store.notes(person.id, sessions[1].id) and store.summary(person.id, sessions[1].id) is not None
    finally:
        store.close()
    # The other accounts can never sign in.
    assert all(Store(db).credentials(f"mentee-{i}@example.com")[1] is None for i in (1, 2))


def test_seed_refuses_to_overwrite(tmp_path):
    db = tmp_path / "pal.db"
    run("benchmarks.seed", "--db", str(db), "--pairings", "1", "--weeks", "2", "--quiet", timeout=60)
    done = subprocess.run([sys.executable, "-m", "benchmarks.seed", "--db", str(db), "--pairings", "1", "--weeks", "2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "exists" in done.stderr


@pytest.mark.timeout(240)
def test_pages_quick_prints_every_page_and_the_worst():
    out = run("benchmarks.pages", "--quick", timeout=230)
    lines = out.strip().splitlines()
    for page in ("empty", "sign_in", "home", "prepare", "get_ready", "reflection", "development", "planning",
                 "closing", "summary", "history", "questions", "settings"):
        assert any(line.startswith(f"{page} ") for line in lines), f"no row for {page}:\n{out}"
    assert re.fullmatch(r"worst page: \w+ \d+\.\d ms, \d+\.\dx empty, growth \d+\.\d\dx", lines[-1]), lines[-1]


@pytest.mark.e2e
@pytest.mark.timeout(400)
def test_browser_quick_measures_cold_start_clicks_and_memory():
    if not os.access("/usr/bin/chromium", os.X_OK):
        pytest.fail("/usr/bin/chromium is missing: apt-get install -y chromium (or bash scripts/test.sh)")
    out = run("benchmarks.browser", "--quick", timeout=390)
    for measure in ("cold start (launch → first page)", "save a note (type + blur)", "next phase (click)",
                    "open history (click)"):
        assert re.search(rf"^{re.escape(measure)}\s+\d+\s+\d+\s+\d+\.\d\dx$", out, re.MULTILINE), f"{measure}:\n{out}"
    assert re.search(r"^memory: server RSS idle \d+ MiB; with 2 sessions", out, re.MULTILINE), out
    assert re.search(r"^memory: 10 reruns of the session page: first \d+ MiB, last \d+ MiB", out, re.MULTILINE), out


def test_summary_bench_prints_the_median_per_session():
    out = run("benchmarks.summary_bench", "--weeks", "4", "--runs", "3", timeout=60)
    assert re.search(r"^median per session: [\d.]+ ms", out, re.M), out
