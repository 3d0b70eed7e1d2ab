"""Question bank: load the human-edited TOML files, validate them, rotate suggestions.

Plain Python on purpose (no Streamlit): the UI caches `load_bank()` and calls
`suggest()` on every rerun; the store turns custom-question rows into `Question`s
with `custom_question()`.
"""

from __future__ import annotations

import random
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict

SECTIONS = ("prepare", "reflection", "development", "planning", "closing", "feedback")

# Tags the shipped bank uses; unknown tags still load (editors may add new ones).
TAGS = frozenset({
    "wellbeing", "skills", "career", "kpis", "blockers", "feedback",
    "achievements", "learning", "priorities", "support", "actions", "process",
    "to-mentee",  # feedback the PAL gives the mentee (the rest of feedback goes to the PAL)
})

DEFAULT_BANK_FOLDER = Path(__file__).resolve().parent.parent / "question_bank"
MAX_TEXT = 500
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
_ENTRY_KEYS = frozenset({"id", "text", "tags", "follow_ups", "source"})


class Question(BaseModel):
    """One question, from a bank file or (custom=True) from the database."""

    model_config = ConfigDict(frozen=True)

    id: str
    section: str
    text: str
    tags: tuple[str, ...] = ()
    follow_ups: tuple[str, ...] = ()
    source: str | None = None
    custom: bool = False


@dataclass(frozen=True)
class BankError:
    """A problem in one bank file; `index` is the 1-based [[question]] position."""

    file: str
    message: str
    index: int | None = None
    id: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.index is not None:
            where += f", entry {self.index}"
            if self.id:
                where += f' ("{self.id}")'
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class QuestionBank:
    """Loaded questions (file order, sections in SECTIONS order) plus load errors."""

    questions: tuple[Question, ...] = ()
    errors: tuple[BankError, ...] = ()
    _index: dict[str, Question] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {q.id: q for q in self.questions})

    def by_id(self, id: str) -> Question | None:
        """The question with this id, or None."""
        return self._index.get(id)

    def in_section(self, section: str) -> tuple[Question, ...]:
        """Questions of one section, in file order."""
        return tuple(q for q in self.questions if q.section == section)


def _check_text(value: object, what: str) -> str:
    """Stripped text or ValueError with a human sentence."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, not {type(value).__name__}")
    text = value.strip()
    if not text:
        raise ValueError(f"{what} is empty")
    if len(text) > MAX_TEXT:
        raise ValueError(f"{what} is {len(text)} characters long (the limit is {MAX_TEXT})")
    return text


def _parse_entry(raw: object, section: str) -> Question:
    """Validate one [[question]] table; raises ValueError describing the first problem."""
    if not isinstance(raw, dict):
        raise ValueError("is not a table; write it as a [[question]] block")
    unknown = sorted(set(raw) - _ENTRY_KEYS)
    if unknown:  # catches typos like "folow_ups" that would silently drop data
        raise ValueError(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_ENTRY_KEYS))}")
    qid = raw.get("id")
    if not isinstance(qid, str) or not qid.strip():
        raise ValueError("id is missing or empty")
    if not ID_RE.match(qid):
        raise ValueError(f'id "{qid}" must be kebab-case: lowercase letters, digits and dashes, 2-64 characters')
    text = _check_text(raw.get("text", ""), "text")
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise ValueError("tags must be a list of non-empty strings")
    follow_ups = raw.get("follow_ups", [])
    if not isinstance(follow_ups, list):
        raise ValueError("follow_ups must be a list of strings")
    fups = tuple(_check_text(f, f"follow-up {i}") for i, f in enumerate(follow_ups, 1))
    source = raw.get("source")
    if source is not None and not isinstance(source, str):
        raise ValueError("source must be text")
    clean_tags = tuple(dict.fromkeys(t.strip().lower() for t in tags))  # dedupe, keep order
    return Question(id=qid, section=section, text=text, tags=clean_tags,
                    follow_ups=fups, source=source or None)


def load_bank(folder: Path | str = DEFAULT_BANK_FOLDER) -> QuestionBank:
    """Load every *.toml in `folder`. Never raises for bad content: each problem becomes
    a BankError and only the bad file/entry is skipped. A duplicate id keeps the first
    occurrence (sections load in SECTIONS order)."""
    folder = Path(folder)
    if not folder.is_dir():
        return QuestionBank(errors=(BankError(str(folder), "question bank folder not found"),))
    files = sorted(folder.glob("*.toml"),
                   key=lambda p: (SECTIONS.index(p.stem) if p.stem in SECTIONS else len(SECTIONS), p.name))
    questions: list[Question] = []
    errors: list[BankError] = []
    seen: dict[str, str] = {}  # id -> file name that defined it first
    for path in files:
        name = path.name
        if path.stem not in SECTIONS:
            errors.append(BankError(name, f"unknown section file; expected one of "
                                          f"{', '.join(s + '.toml' for s in SECTIONS)} (file skipped)"))
            continue
        try:
            # utf-8-sig: Windows editors start a UTF-8 file with a byte-order mark.
            data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
        except tomllib.TOMLDecodeError as exc:  # message carries "(at line N, column M)"
            errors.append(BankError(name, f"is not valid TOML: {exc} (file skipped)"))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(BankError(name, f"could not be read: {exc} (file skipped)"))
            continue
        for key in sorted(set(data) - {"question"}):
            errors.append(BankError(name, f'unknown top-level key "{key}" ignored; questions go in [[question]] blocks'))
        entries = data.get("question", [])
        if not isinstance(entries, list):
            errors.append(BankError(name, "question must be written as [[question]] blocks (file skipped)"))
            continue
        for index, raw in enumerate(entries, 1):
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            label = raw_id if isinstance(raw_id, str) else None
            try:
                q = _parse_entry(raw, path.stem)
            except ValueError as exc:
                errors.append(BankError(name, str(exc), index, label))
                continue
            if q.id in seen:
                errors.append(BankError(name, f'id "{q.id}" is already used in {seen[q.id]}; '
                                              f"this entry is skipped", index, q.id))
                continue
            seen[q.id] = name
            questions.append(q)
    return QuestionBank(questions=tuple(questions), errors=tuple(errors))


def suggest(bank_questions: Sequence[Question], *, n: int,
            last_seen: Mapping[str, int] | None = None, pinned: Sequence[str] = (),
            seed: int | str = 0) -> list[Question]:
    """Pick up to n questions: pinned ids first (given order, if present), then never-seen,
    then least recently seen (lower last_seen value = longer ago). Ties are broken by a
    shuffle from `seed`, so the same inputs always give the same answer. No duplicates;
    if pinned exceeds n only the first n pinned are returned."""
    if n <= 0:
        return []
    last_seen = last_seen or {}
    by_id: dict[str, Question] = {}
    for q in bank_questions:
        by_id.setdefault(q.id, q)
    picked = [by_id[pid] for pid in dict.fromkeys(pinned) if pid in by_id][:n]
    if len(picked) == n:
        return picked
    taken = {q.id for q in picked}
    # Bucket by recency instead of shuffling the whole bank: only the buckets we
    # actually draw from get randomised, which keeps this cheap on every rerun.
    unseen: list[Question] = []
    seen: dict[int, list[Question]] = {}
    for qid, q in by_id.items():
        if qid in taken:
            continue
        when = last_seen.get(qid)
        if when is None:
            unseen.append(q)
        else:
            seen.setdefault(when, []).append(q)
    rng = random.Random(seed)
    need = n - len(picked)
    for bucket in (unseen, *(seen[k] for k in sorted(seen))):
        if need <= 0:
            break
        drawn = rng.sample(bucket, min(need, len(bucket)))  # seeded tie-break
        picked.extend(drawn)
        need -= len(drawn)
    return picked


def custom_question(id: str, section: str, text: str) -> Question:
    """Build a user-added Question(custom=True). Raises ValueError with a sentence a user
    can read if the id is empty, the section is unknown, or the text is empty/too long."""
    if not isinstance(id, str) or not id.strip():
        raise ValueError("A custom question needs an id.")
    if section not in SECTIONS:
        raise ValueError(f'"{section}" is not a session section; choose one of {", ".join(SECTIONS)}.')
    if not isinstance(text, str) or not text.strip():
        raise ValueError("The question is empty; please write the question text.")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"The question is {len(text)} characters long; please keep it to {MAX_TEXT} or fewer.")
    return Question(id=id.strip(), section=section, text=text, custom=True)
