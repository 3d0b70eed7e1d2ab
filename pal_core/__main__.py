"""Command line: `python -m pal_core backup PATH`, `restore PATH` and `check`.

Backup uses SQLite's online backup, so it is safe while the app is running. Restore
refuses to overwrite the live database unless --force is given (stop the app first).
Check runs SQLite's full integrity check (the app checks only files up to 64 MiB at start).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from pal_core.config import load_settings
from pal_core.store import DatabaseUnreadable, Store, damage


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pal_core", description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="database file (default: PAL_DB_PATH or data/pal.db)")
    commands = parser.add_subparsers(dest="command", required=True)
    backup = commands.add_parser("backup", help="copy the live database to PATH")
    backup.add_argument("path", type=Path)
    restore = commands.add_parser("restore", help="replace the database with the backup at PATH")
    restore.add_argument("path", type=Path)
    restore.add_argument("--force", action="store_true", help="overwrite an existing database (stop the app first)")
    commands.add_parser("check", help="run SQLite's integrity check on the database")
    args = parser.parse_args(argv)
    db_path = args.db or load_settings().db_path
    try:
        if args.command == "check":
            if not db_path.is_file():
                print(f"{db_path} does not exist: nothing to check.", file=sys.stderr)
                return 1
            if problem := damage(db_path, "PRAGMA integrity_check"):  # read-only: a damaged file stays as it is
                print(f"{db_path} fails SQLite's integrity check ({problem}): restore it from a backup.", file=sys.stderr)
                return 1
            print(f"{db_path} passes SQLite's integrity check.")
            return 0
        if args.command == "backup":
            if args.path.exists():
                print(f"{args.path} already exists: choose a new file name.", file=sys.stderr)
                return 1
            store = Store(db_path)
            args.path.touch(mode=0o600)  # the copy holds password hashes and private notes: owner only
            store.backup_to(args.path)
            print(f"Backed up {db_path} to {args.path}.")
            return 0
        if not args.path.is_file():
            print(f"{args.path} does not exist: nothing was restored.", file=sys.stderr)
            return 1
        checked = Store(args.path)  # refuses a file that is not a readable database
        if not checked.integrity_ok():
            print(f"{args.path} fails SQLite's integrity check: not restored.", file=sys.stderr)
            return 1
        checked.close()
        if db_path.exists() and not args.force:
            print(f"{db_path} exists: stop the app and add --force to replace it.", file=sys.stderr)
            return 1
        db_path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
        shutil.copyfile(args.path, db_path)
        print(f"Restored {db_path} from {args.path}.")
        return 0
    except DatabaseUnreadable as error:
        print(str(error), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
