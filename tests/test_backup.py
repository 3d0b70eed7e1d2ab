"""Backup and restore from the command line (issue 6, part 3): `python -m pal_core backup
PATH` while the app's Store keeps writing gives a consistent copy; `restore PATH` refuses
to overwrite without --force, refuses a file that is not a database or is corrupt (and
changes neither file), and with --force replaces the database with the backup's rows.

The commands run as the real CLI in a subprocess, against a Store that another thread of
this process is writing to as fast as it can.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pal_core.__main__ import main as pal_main
from pal_core.models import ActionStatus, NewAction, NewSession, Role
from pal_core.store import DatabaseUnreadable, Store

ROOT = Path(__file__).resolve().parent.parent
UTC = dt.timezone.utc


def cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pal_core", "--db", str(db), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


class Done:
    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def cli_here(capsys, db: Path, *args: str) -> Done:
    """The same command line, run in this process (no interpreter start-up per call)."""
    capsys.readouterr()
    code = pal_main([f"--db={db}", *args])
    out = capsys.readouterr()
    return Done(code, out.out, out.err)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in rowid order (read-only: the file is not touched)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [t for (t,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in tables}
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def seed(path: Path) -> dict:
    store = Store(path)
    ana = store.create_person("ana@example.com", "Ana", None).id
    ben = store.create_person("ben@example.com", "Ben", None).id
    pairing = store.accept_invite(ben, store.create_invite(ana, Role.MENTEE)).id
    session = store.schedule_session(ana, pairing, NewSession(scheduled_at=dt.datetime.now(UTC) + dt.timedelta(days=2))).id
    actions = [store.add_action(ben, session, NewAction(text=f"Action {n}", owner=Role.MENTEE)).id for n in range(3)]
    for n in range(200):  # a few pages of data, so a corrupted page can sit in a table
        store.add_kpi(ana, pairing, f"KPI number {n}: " + "padding " * 20)
    store.close()
    return {"ana": ana, "ben": ben, "pairing": pairing, "session": session, "actions": actions}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("template") / "pal.db"
    return path, seed(path)  # closed: a single file, no -wal


@pytest.fixture
def live(template, tmp_path) -> tuple[Path, dict]:
    path = tmp_path / "live" / "pal.db"
    path.parent.mkdir()
    shutil.copyfile(template[0], path)
    return path, template[1]


# --- backup ------------------------------------------------------------------------------


def action_balance(path: Path) -> dict[int, tuple[int, int]]:
    """Per action: (version, number of events). Each status change adds one to both in a
    single transaction, so in a consistent copy their difference never moves."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            action_id: (version, events)
            for action_id, version, events in conn.execute(
                "SELECT a.id, a.version, (SELECT COUNT(*) FROM action_event e WHERE e.action_id = a.id)"
                " FROM action_item a ORDER BY a.id"
            )
        }
    finally:
        conn.close()


def test_backup_while_the_store_writes_is_a_consistent_copy(live, tmp_path):
    path, ids = live
    start = action_balance(path)
    store = Store(path)
    stop = threading.Event()
    writes, failures = [0], []

    def write() -> None:
        statuses = [ActionStatus.IN_PROGRESS, ActionStatus.OPEN]
        n = 0
        try:
            while not stop.is_set():
                for action in ids["actions"]:
                    store.update_action_status(ids["ben"], action, statuses[n % 2], session_id=ids["session"])
                store.add_kpi(ids["ana"], ids["pairing"], f"written during the backup {n}")
                n += 1
                writes[0] = n
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(repr(error))
        finally:
            store.close()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    copies = []
    try:
        for n in range(2):
            before = writes[0]
            target = tmp_path / f"backup-{n}.db"
            done = cli(path, "backup", str(target))
            assert done.returncode == 0, done.stderr
            assert "Backed up" in done.stdout
            copies.append((target, before, writes[0]))
    finally:
        stop.set()
        writer.join(timeout=30)
    assert not failures, f"the writer failed while backups ran: {failures}"
    assert writes[0] > 0
    assert any(after > before for _, before, after in copies), "no backup ran while the writer wrote"

    for target, before, after in copies:
        # The copy stands alone: only its own file, nothing to replay from a -wal.
        alone = tmp_path / "alone" / target.name
        alone.parent.mkdir(exist_ok=True)
        alone.write_bytes(target.read_bytes())
        assert integrity(alone) == "ok"
        balance = action_balance(alone)
        for action, (version, events) in balance.items():
            v0, e0 = start[action]
            assert version - v0 == events - e0, f"{target.name}: action {action} is half-written"
        during = sum(1 for (_, _, text) in rows(alone)["kpi"] if text.startswith("written during the backup"))
        assert before <= during <= after + 1, (before, during, after)
        opened = Store(alone)  # and the app can open it
        assert opened.integrity_ok()
        opened.close()


def test_backup_refuses_to_overwrite_a_file(live, tmp_path, capsys):
    path, _ = live
    target = tmp_path / "exists.db"
    target.write_text("keep me")
    done = cli_here(capsys, path, "backup", str(target))
    assert done.returncode == 1
    assert "already exists" in done.stderr
    assert target.read_text() == "keep me"


# --- restore -------------------------------------------------------------------------------


@pytest.fixture
def backup(live, tmp_path) -> Path:
    path, _ = live  # the CLI's backup is tested above; here the same call, in-process
    target = tmp_path / "backup.db"
    store = Store(path)
    store.backup_to(target)
    store.close()
    return target


def test_restore_refuses_to_overwrite_without_force(live, backup, capsys):
    path, ids = live
    store = Store(path)
    store.add_kpi(ids["ana"], ids["pairing"], "written after the backup")
    store.close()
    live_before, backup_before = rows(path), digest(backup)
    done = cli_here(capsys, path, "restore", str(backup))
    assert done.returncode == 1
    assert "--force" in done.stderr
    assert rows(path) == live_before
    assert digest(backup) == backup_before


def corrupt_copy(backup: Path, target: Path, *, page: int) -> Path:
    """The backup with one page overwritten by garbage, its SQLite header intact."""
    data = bytearray(backup.read_bytes())
    size = int.from_bytes(data[16:18], "big") or 65536
    start = size * (page - 1)
    data[start:start + size] = bytes((n * 37 + 11) % 256 for n in range(size))
    target.write_bytes(bytes(data))
    return target


@pytest.mark.parametrize("kind", ["text file", "empty-looking garbage", "corrupt schema page", "corrupt data page"])
def test_restore_refuses_a_file_that_is_not_a_sound_database(live, backup, tmp_path, kind):
    """Through the real command line in a subprocess: a traceback would show in stderr."""
    path, _ = live
    bad = tmp_path / "bad.db"
    if kind == "text file":
        bad.write_text("name,email\nana,ana@example.com\n")
    elif kind == "empty-looking garbage":
        bad.write_bytes(b"\x00" * 4096)
    elif kind == "corrupt schema page":
        corrupt_copy(backup, bad, page=1 + 1)
    else:
        pages = backup.stat().st_size // (int.from_bytes(backup.read_bytes()[16:18], "big") or 65536)
        corrupt_copy(backup, bad, page=pages - 2)
    live_before, bad_before = digest(path), digest(bad)
    for force in ([], ["--force"]):
        done = cli(path, "restore", str(bad), *force)
        assert done.returncode == 1, f"{kind} was restored ({force}): {done.stdout}"
        assert digest(path) == live_before, f"{kind}: the live database changed"
        assert digest(bad) == bad_before, f"{kind}: the refused file changed"
        assert str(bad) in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_restore_with_force_replaces_the_database(live, backup, capsys):
    path, ids = live
    wanted = rows(backup)
    store = Store(path)
    store.add_kpi(ids["ana"], ids["pairing"], "written after the backup")
    store.delete_action(ids["ben"], ids["actions"][0])
    store.close()
    assert rows(path) != wanted
    done = cli_here(capsys, path, "restore", str(backup), "--force")
    assert done.returncode == 0, done.stderr
    assert "Restored" in done.stdout
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    assert rows(path) == wanted
    assert integrity(path) == "ok"
    reopened = Store(path)
    assert [k.text for k in reopened.kpis(ids["ana"], ids["pairing"])][-1].startswith("KPI number 199")
    reopened.close()


def test_restore_of_a_missing_file_changes_nothing(live, tmp_path, capsys):
    path, _ = live
    before = rows(path)
    missing = tmp_path / "typo" / "backup.db"
    done = cli_here(capsys, path, "restore", str(missing), "--force")
    assert rows(path) == before, "the live database was replaced"
    assert done.returncode == 1
    assert not missing.exists()


# --- opening a damaged file (what the app does at start, below the browser test) ---------------


def test_opening_a_damaged_rollback_journal_database_leaves_it_alone(backup, tmp_path):
    plain = tmp_path / "plain.db"
    plain.write_bytes(backup.read_bytes())
    conn = sqlite3.connect(plain)
    conn.execute("PRAGMA journal_mode = DELETE")  # as another tool, or an older copy, may leave it
    conn.close()
    bad = corrupt_copy(plain, tmp_path / "bad.db", page=2)
    before = digest(bad)
    with pytest.raises(DatabaseUnreadable):
        Store(bad)
    assert digest(bad) == before


def test_a_damaged_table_page_is_refused_when_the_store_opens(backup, tmp_path):
    pages = backup.stat().st_size // (int.from_bytes(backup.read_bytes()[16:18], "big") or 65536)
    bad = corrupt_copy(backup, tmp_path / "bad.db", page=pages - 2)
    with pytest.raises(DatabaseUnreadable):
        Store(bad).close()


def test_a_file_too_big_for_the_start_check_still_has_its_schema_read_and_check_finds_the_rest(
        backup, tmp_path, monkeypatch, capsys):
    import pal_core.store as store_module

    monkeypatch.setattr(store_module, "FULL_CHECK_BYTES", 0)  # every file counts as big
    pages = backup.stat().st_size // (int.from_bytes(backup.read_bytes()[16:18], "big") or 65536)
    bad_table = corrupt_copy(backup, tmp_path / "bad-table.db", page=pages - 2)
    before = digest(bad_table)
    done = cli_here(capsys, bad_table, "check")
    assert done.returncode == 1 and "fails SQLite's integrity check" in done.stderr
    assert digest(bad_table) == before  # the check only reads
    Store(bad_table).close()  # a damaged table page is not looked at on start
    data = bytearray(backup.read_bytes())  # the schema's page garbled after the file header
    size = int.from_bytes(data[16:18], "big") or 65536
    data[100:size] = bytes((n * 37 + 11) % 256 for n in range(size - 100))
    bad_schema = tmp_path / "bad-schema.db"
    bad_schema.write_bytes(bytes(data))
    before = digest(bad_schema)
    with pytest.raises(DatabaseUnreadable):
        Store(bad_schema)
    assert digest(bad_schema) == before
    assert cli_here(capsys, backup, "check").stdout.endswith("passes SQLite's integrity check.\n")
    assert cli_here(capsys, tmp_path / "none.db", "check").returncode == 1
