"""Durability (issue 6, part 3) in a real browser: the quick run of the SIGKILL benchmark
(benchmarks/durability.py, 3 trials) loses nothing, and a damaged or unreadable
database file stops the app at the start with a clear message, without a trace, and
with the file's bytes unchanged.

The Store-level cases (the backup/restore command line, damage the Store does not see at
open) are in tests/test_backup.py.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pal_core.models import Role
from pal_core.store import Store

from .conftest import ROOT
from .helpers import APP, TIMEOUT_MS, assert_no_exception, open_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

@pytest.mark.timeout(1500)
def test_the_quick_durability_run_loses_nothing():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.durability", "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=1400,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert re.search(r"^trials: 3, lost values: 0, integrity failures: 0, stuck steps: 0$", done.stdout, re.M), output[-6000:]


# --- a damaged database file ------------------------------------------------------------------


def _sqlite_with_a_bad_page(path: Path) -> None:
    """A PAL Sessions database (WAL mode, as the app leaves it) whose schema page is
    overwritten: the SQLite header is intact, the rest is not."""
    source = path.with_name("source.db")
    store = Store(source)
    ana = store.create_person("ana@example.com", "Ana", None).id
    ben = store.create_person("ben@example.com", "Ben", None).id
    store.accept_invite(ben, store.create_invite(ana, Role.MENTEE))
    store.close()
    data = bytearray(source.read_bytes())
    size = int.from_bytes(data[16:18], "big") or 65536
    data[size:2 * size] = bytes((n * 37 + 11) % 256 for n in range(size))
    path.write_bytes(bytes(data))
    source.unlink()


DAMAGE = {
    "a text file": lambda path: path.write_text("name,email\nana,ana@example.com\n"),
    "random bytes": lambda path: path.write_bytes(bytes((n * 131 + 7) % 256 for n in range(20_000))),
    "SQLite with a bad page": _sqlite_with_a_bad_page,
    "a folder, not a file": lambda path: path.mkdir(),
}
MESSAGES = {
    "a text file": "is not a PAL Sessions database",
    "random bytes": "is not a PAL Sessions database",
    "SQLite with a bad page": "is damaged",
    "a folder, not a file": "can't be read",
}


def fingerprint(path: Path) -> str:
    if path.is_dir():
        return "folder: " + ",".join(sorted(p.name for p in path.iterdir()))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_database_stops_the_app_with_a_message_and_is_left_alone(
    fresh_server, new_context, browser_errors, tmp_path, damage
):
    db = tmp_path / "data" / "pal.db"
    db.parent.mkdir()
    DAMAGE[damage](db)
    before = fingerprint(db)
    server = fresh_server(db_path=db)
    page = new_context("visitor").new_page()

    for path in ("", "/reflection?session=1"):  # the front door and a deep link
        open_app(page, server.url + path)
        alert = page.locator('[data-testid="stAlert"]')
        expect(alert).to_contain_text(MESSAGES[damage], timeout=TIMEOUT_MS)
        expect(alert).to_contain_text(str(db))
        expect(alert).to_contain_text("PAL_DB_PATH")  # and what to do about it
        assert_no_exception(page, server)
        expect(page.get_by_role("button", name="Sign in", exact=True)).to_have_count(0)
        expect(page.locator(APP)).not_to_contain_text("Traceback")

    server.stop()
    assert fingerprint(db) == before, "the damaged file was changed"
    gate = "The page that you have requested does not seem to exist"  # the deep link, signed out
    assert [e for e in browser_errors if gate not in e] == []
