"""The bad-input corpus: hostile and odd values a person (or a crafted request) can put
into PAL Sessions. Used by tests/test_bad_input.py; load it by path (tests/data is not a
package). Each value must end up either refused with a clear message or stored intact
(after the app's documented clean-up: NUL bytes dropped, surrounding whitespace stripped)
and shown as text.

Malformed question-bank files are in ./toml: `<case>__<file stem>.toml` is copied into a
bank folder as `<file stem>.toml`, next to (or over) the good files.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOML_DIR = HERE / "toml"

_LOREM = "Lorem ipsum dolor sit amet, consectetur adipiscing elit — with ünïcödé and 数字. "

# --- free text ------------------------------------------------------------------------

TEXTS: dict[str, str] = {
    "empty": "",
    "whitespace": " \t\n   \u00a0\u2003\n ",
    "100kb": (_LOREM * (100_000 // len(_LOREM) + 1))[:100_000],
    "nul_bytes": "before\x00middle\x00after",
    "control_chars": "bell\x07 esc\x1b[31mred\x1b[0m back\x08 ff\x0c vt\x0b del\x7f c1\x85\x9b end",
    "emoji": "Shipped it 🚀 👩🏽‍💻 🇳🇱 🧑‍🤝‍🧑 ❤️‍🔥",
    "right_to_left": "مرحبا بالعالم — שלום עולם \u202eevil-override\u202c \u200fmark",
    "zero_width": "zero\u200bwidth\u200c\u200d\ufeffjoiners",
    "script_tag": "<script>alert('pwned')</script>",
    "img_onerror": '<img src=x onerror="alert(1)">',
    "markdown_javascript_link": "[click me](javascript:alert(1)) ![pic](javascript:alert(2)) <javascript:alert(3)>",
    "markdown_layout": "# Heading\n---\n| a | b |\n|---|---|\n> quote\n```\ncode\n``` :red[red] $x^2$",
    "long_word_5000": "w" * 5000,
    "just_over_a_line": "x" * 501,
    "sql_and_format": "'); DROP TABLE note; -- {0} {person} %s %(x)s {{}}",
}

# The values that stay on one line and under the one-line limit (500 characters).
SHORT = {name for name, text in TEXTS.items() if "\n" not in text and len(text) <= 500}

# --- dates ---------------------------------------------------------------------------

DATES: dict[str, dt.date] = {
    "year_1": dt.date(1, 1, 1),
    "before_epoch": dt.date(1900, 1, 1),
    "y2038": dt.date(2038, 1, 19),
    "year_9999": dt.date(9999, 12, 31),
}

# --- imported JSON --------------------------------------------------------------------

Mutation = Callable[[dict], object]


def _set(path: str, value, field: str | None = None) -> Mutation:
    """A change of one field (dotted path, numbers index lists) to `value`. The import's
    message must name `field` (default: the path written as `sessions[0].rating`)."""

    def change(doc: dict) -> dict:
        parts = path.split(".")
        target = doc
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
        return doc

    change.field = field or re.sub(r"\.(\d+)", r"[\1]", path)
    return change


def _raw(data: bytes) -> Mutation:
    return lambda doc: data


# name -> (change of a valid export, or the raw bytes to import instead). Every one of
# them must be refused with an ImportProblem and write nothing.
BAD_JSON: dict[str, Mutation] = {
    "empty_file": _raw(b""),
    "whitespace_file": _raw(b"  \n\t "),
    "not_utf8": _raw(b"\xff\xfe\x00{\x00"),
    "nul_bytes": _raw(b'{"format": "pal-sessions-export"\x00}'),
    "truncated": lambda doc: json.dumps(doc)[: len(json.dumps(doc)) // 2].encode(),
    "json_null": _raw(b"null"),
    "json_list": _raw(b"[1, 2, 3]"),
    "json_string": _raw(b'"pal-sessions-export"'),
    "deeply_nested": _raw(b"[" * 100_000 + b"]" * 100_000),
    "deeply_nested_field": lambda doc: (json.dumps(doc)[:-1] + ', "x": ' + "[" * 50_000 + "]" * 50_000 + "}").encode(),
    "no_format": lambda doc: {k: v for k, v in doc.items() if k != "format"},
    "wrong_format": _set("format", "something-else"),
    "version_as_text": _set("version", "1"),
    "people_as_object": _set("people", {"a": 1}),
    "pairings_null": _set("pairings", None),
    "pairing_id_text": _set("pairings.0.id", "1"),
    "pairing_id_zero": _set("pairings.0.id", 0),
    "is_sample_text": _set("pairings.0.is_sample", "yes"),
    "minutes_float": _set("pairings.0.session_minutes", 30.5),
    "minutes_huge": _set("pairings.0.session_minutes", 10**400),
    "email_number": _set("pairings.0.mentee", 12345),
    "rating_text": _set("sessions.0.rating", "seven"),
    "rating_eleven": _set("sessions.0.rating", 11),
    "rating_bool": _set("sessions.0.rating", True),
    "rating_nan": lambda doc: json.dumps(_set("sessions.0.rating", float("nan"))(doc)).encode(),
    "scheduled_at_number": _set("sessions.0.scheduled_at", 1_700_000_000),
    "scheduled_at_no_zone": _set("sessions.0.scheduled_at", "2026-01-01T10:00:00"),
    "scheduled_at_year_0": _set("sessions.0.scheduled_at", "0000-01-01T00:00:00+00:00"),
    "scheduled_at_far_future": _set("sessions.0.scheduled_at", "9999-12-31T23:59:59-23:59"),
    "status_unknown": _set("sessions.0.status", "exploded"),
    "phase_seconds_not_json": _set("sessions.0.phase_seconds", "{not json"),
    "note_body_list": _set("notes.0.body", ["a", "b"]),
    "note_body_too_long": _set("notes.0.body", "x" * 20_001),
    "note_private_without_owner": _set("notes.0.visibility", "private", field="notes[0]"),
    "extra_field": _set("sessions.0.surprise", 1),
    "session_of_missing_pairing": _set("sessions.0.pairing_id", 999),
    "due_date_garbage": _set("actions.0.due_date", "next tuesday"),
}

# The field each refusal must name.
FIELD_OF: dict[str, str] = {name: change.field for name, change in BAD_JSON.items() if hasattr(change, "field")}

# --- question-bank files ---------------------------------------------------------------


def bad_toml_files() -> list[Path]:
    return sorted(TOML_DIR.glob("*__*.toml"))


def target_name(path: Path) -> str:
    """The file name a malformed bank file is copied to (`case__reflection.toml` ->
    `reflection.toml`)."""
    return path.name.split("__", 1)[1]


# Bank files that are valid TOML and fine to load (no message needed, text kept intact).
# A byte-order mark (Windows editors write one) is fine: the file loads as written.
VALID_TOML = {"empty_file__prepare.toml", "hostile_text__closing.toml", "bom__closing.toml"}

# Fine entries inside malformed files: they must load even though their neighbours don't.
GOOD_IN_BAD_FILES = {
    "entry_problems__development.toml": ["dev-good-among-bad"],
    "long_text__planning.toml": ["plan-long-word-ok"],
    "wrong_types__prepare.toml": ["prep-inline-ok"],
}
