"""Tests for the question bank files and pal_core.questions."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pydantic
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so the test also runs via plain `pytest`

from pal_core import questions as qmod  # noqa: E402
from pal_core.questions import (  # noqa: E402
    SECTIONS, TAGS, BankError, Question, QuestionBank, custom_question, load_bank, suggest,
)

# Exact prompts quoted in the PAL user's guide, with the section each belongs to.
GUIDE_PROMPTS = {
    "How are you doing on a scale of 1-10?": "reflection",
    "What achievements are you most proud of since our last meeting?": "reflection",
    "What challenges did you face, and how did you approach them?": "reflection",
    "What’s one lesson you’ve learned recently that you’d like to explore more?": "reflection",
    "What skills are you looking to improve right now?": "development",
    "Where do you feel stuck, and how can we work through that?": "development",
    "What resources or strategies could help you overcome this challenge?": "development",
    "What are your top three priorities before our next session?": "planning",
    "How do these align with your KPIs?": "planning",
    "What challenges might you face, and how can you prepare for them?": "planning",
    "What support do you need from me or others?": "planning",
    "Was my guidance during your recent project handoff helpful?": "feedback",
    "Is there anything I could do differently to make our sessions more productive?": "feedback",
    "Was my approach during the last code review clear and constructive?": "feedback",
}
# Questions from the guide's mentee section (not in quotes there, but verbatim).
GUIDE_MENTEE_QUESTIONS = {
    "What have you achieved since the last session?": "prepare",
    "What obstacles have you encountered?": "prepare",
}
MINIMUMS = {"prepare": 15, "reflection": 30, "development": 30, "planning": 30,
            "closing": 15, "feedback": 20}

GENERIC_FEEDBACK = [
    re.compile(p, re.I) for p in (
        r"\bany (other )?feedback\b", r"\bfeedback for me\b", r"^how (was|did) (it|that) go\??$",
        r"\banything else\b", r"^thoughts\??$",
    )
]
REFERS_TO_PAL_OR_SESSION = re.compile(r"\b(I|my|me|we|our|session|today)\b", re.I)


def is_generic_feedback(text: str) -> bool:
    """A feedback question is generic if it uses a catch-all phrase, is very short, or
    names neither the PAL's help nor the session."""
    return (any(p.search(text) for p in GENERIC_FEEDBACK)
            or len(text.split()) < 7
            or not REFERS_TO_PAL_OR_SESSION.search(text))


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank()


# ---------------------------------------------------------------- shipped bank

def test_shipped_bank_loads_without_errors(bank):
    assert bank.errors == (), [str(e) for e in bank.errors]
    assert len(bank.questions) >= 160


def test_shipped_bank_ids_unique_and_well_formed(bank):
    # Read raw files too: the loader drops duplicates, so check the source itself.
    import tomllib
    raw_ids = []
    for section in SECTIONS:
        with (qmod.DEFAULT_BANK_FOLDER / f"{section}.toml").open("rb") as fh:
            raw_ids += [e["id"] for e in tomllib.load(fh)["question"]]
    assert len(raw_ids) == len(set(raw_ids))
    assert all(qmod.ID_RE.match(i) for i in raw_ids)
    assert len(raw_ids) == len(bank.questions)


def test_shipped_bank_texts_unique(bank):
    texts = [q.text.lower() for q in bank.questions]
    assert len(texts) == len(set(texts))


@pytest.mark.parametrize("section", SECTIONS)
def test_each_section_has_its_minimum(bank, section):
    assert len(bank.in_section(section)) >= MINIMUMS[section]


def test_tags_are_from_the_vocabulary(bank):
    for q in bank.questions:
        assert q.tags, q.id
        assert set(q.tags) <= TAGS, q.id


def test_many_questions_have_follow_ups(bank):
    with_fups = [q for q in bank.questions if q.follow_ups]
    assert len(with_fups) >= 50
    assert all(1 <= len(q.follow_ups) <= 3 for q in with_fups)


@pytest.mark.parametrize("text,section", sorted({**GUIDE_PROMPTS, **GUIDE_MENTEE_QUESTIONS}.items()))
def test_every_guide_prompt_is_present(bank, text, section):
    matches = [q for q in bank.questions if q.text == text]
    assert len(matches) == 1, text
    assert matches[0].section == section
    assert matches[0].source == "guide"


def test_only_guide_texts_are_marked_guide(bank):
    marked = {q.text for q in bank.questions if q.source == "guide"}
    assert marked == set(GUIDE_PROMPTS) | set(GUIDE_MENTEE_QUESTIONS)
    assert all(q.source in (None, "guide") for q in bank.questions)


def test_scale_question_has_why_and_plus_one_follow_ups(bank):
    q = next(q for q in bank.questions if q.text == "How are you doing on a scale of 1-10?")
    fups = " | ".join(q.follow_ups).lower()
    assert "why" in fups and "that number" in fups
    assert "one point" in fups


def test_feedback_questions_are_specific(bank):
    fb = bank.in_section("feedback")
    assert len(fb) >= 20
    generic = [q.text for q in fb if is_generic_feedback(q.text)]
    assert generic == []
    assert all("feedback" in q.tags for q in fb)


def test_generic_feedback_checker_catches_generic_questions():
    assert is_generic_feedback("Do you have any feedback for me?")
    assert is_generic_feedback("Any other feedback?")
    assert is_generic_feedback("How did it go?")
    assert not is_generic_feedback("Was my approach during the last code review clear and constructive?")


def test_questions_module_never_imports_streamlit():
    tree = ast.parse(Path(qmod.__file__).read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not any(name.split(".")[0] == "streamlit" for name in names)


# ---------------------------------------------------------------- loader errors

GOOD_REFLECTION = '''
[[question]]
id = "refl-a"
text = "  First question?  "
tags = ["wellbeing"]
follow_ups = ["Why?"]

[[question]]
id = "refl-b"
text = "Second question?"
'''


def write(folder: Path, name: str, body: str) -> None:
    (folder / name).write_text(body, encoding="utf-8")


def test_malformed_toml_names_file_and_line_and_rest_loads(tmp_path):
    write(tmp_path, "reflection.toml", GOOD_REFLECTION)
    write(tmp_path, "planning.toml", '[[question]]\nid = "plan-a"\ntext = "unterminated\n')
    bank = load_bank(tmp_path)
    assert [q.id for q in bank.questions] == ["refl-a", "refl-b"]
    assert len(bank.errors) == 1
    msg = str(bank.errors[0])
    assert msg.startswith("planning.toml")
    assert "line 3" in msg


def test_text_is_stripped_and_section_comes_from_file_name(tmp_path):
    write(tmp_path, "reflection.toml", GOOD_REFLECTION)
    bank = load_bank(str(tmp_path))  # str folders accepted too
    q = bank.by_id("refl-a")
    assert q.text == "First question?"
    assert q.section == "reflection"
    assert q.tags == ("wellbeing",) and q.follow_ups == ("Why?",)
    assert bank.by_id("nope") is None
    assert bank.in_section("planning") == ()


def test_empty_text_error_names_file_and_entry(tmp_path):
    write(tmp_path, "reflection.toml", GOOD_REFLECTION + '''
[[question]]
id = "refl-empty"
text = "   "

[[question]]
id = "refl-c"
text = "Third?"
''')
    bank = load_bank(tmp_path)
    assert [str(e) for e in bank.errors] == ['reflection.toml, entry 3 ("refl-empty"): text is empty']
    assert [q.id for q in bank.questions] == ["refl-a", "refl-b", "refl-c"]


@pytest.mark.parametrize("bad_line,needle", [
    ('text = 5', "text must be text"),
    ('text = "Ok?"\ntags = "wellbeing"', "tags must be a list"),
    ('text = "Ok?"\ntags = [1, 2]', "tags must be a list"),
    ('text = "Ok?"\nfollow_ups = "Why?"', "follow_ups must be a list"),
    ('text = "Ok?"\nfollow_ups = ["Why?", ""]', "follow-up 2 is empty"),
    ('text = "Ok?"\nfollow_ups = [3]', "follow-up 1 must be text"),
    ('text = "Ok?"\nsource = 1', "source must be text"),
    ('text = "Ok?"\nfolow_ups = ["typo"]', "unknown key"),
    ('text = "' + "x" * 501 + '"', "limit is 500"),
])
def test_wrong_types_reject_only_that_entry(tmp_path, bad_line, needle):
    write(tmp_path, "planning.toml",
          f'[[question]]\nid = "plan-ok"\ntext = "Fine?"\n\n[[question]]\nid = "plan-bad"\n{bad_line}\n')
    bank = load_bank(tmp_path)
    assert [q.id for q in bank.questions] == ["plan-ok"]
    assert len(bank.errors) == 1
    msg = str(bank.errors[0])
    assert msg.startswith('planning.toml, entry 2 ("plan-bad"): ')
    assert needle in msg


@pytest.mark.parametrize("bad_id", ['""', '"Plan Bad"', '"-lead"', '"x"', "42"])
def test_bad_ids_are_rejected(tmp_path, bad_id):
    write(tmp_path, "planning.toml",
          f'[[question]]\nid = {bad_id}\ntext = "Hmm?"\n\n[[question]]\nid = "plan-ok"\ntext = "Fine?"\n')
    bank = load_bank(tmp_path)
    assert [q.id for q in bank.questions] == ["plan-ok"]
    assert len(bank.errors) == 1
    assert str(bank.errors[0]).startswith("planning.toml, entry 1")
    assert "id" in bank.errors[0].message


def test_duplicate_id_across_files_names_both(tmp_path):
    write(tmp_path, "reflection.toml", GOOD_REFLECTION)
    write(tmp_path, "planning.toml",
          '[[question]]\nid = "refl-a"\ntext = "Copy?"\n\n[[question]]\nid = "plan-x"\ntext = "Own?"\n')
    bank = load_bank(tmp_path)
    assert [q.id for q in bank.questions] == ["refl-a", "refl-b", "plan-x"]
    assert bank.by_id("refl-a").text == "First question?"  # the first one wins
    assert len(bank.errors) == 1
    msg = str(bank.errors[0])
    assert msg.startswith('planning.toml, entry 1 ("refl-a")')
    assert "reflection.toml" in msg


def test_unknown_file_name_is_skipped_with_error(tmp_path):
    write(tmp_path, "reflection.toml", GOOD_REFLECTION)
    write(tmp_path, "misc.toml", '[[question]]\nid = "misc-a"\ntext = "Lost?"\n')
    bank = load_bank(tmp_path)
    assert [q.id for q in bank.questions] == ["refl-a", "refl-b"]
    assert len(bank.errors) == 1
    assert str(bank.errors[0]).startswith("misc.toml")


def test_missing_folder_and_non_table_entries_do_not_raise(tmp_path):
    assert load_bank(tmp_path / "nope").errors
    write(tmp_path, "closing.toml", 'question = [1, {id = "close-a", text = "Ok?"}]\n')
    bank = load_bank(tmp_path)
    assert [q.id for q in bank.questions] == ["close-a"]
    assert str(bank.errors[0]).startswith("closing.toml, entry 1: ")


def test_bank_error_str_formats():
    assert str(BankError("a.toml", "boom")) == "a.toml: boom"
    assert str(BankError("a.toml", "boom", 7, "refl-foo")) == 'a.toml, entry 7 ("refl-foo"): boom'


# ---------------------------------------------------------------- suggest

def make(n: int) -> list[Question]:
    return [Question(id=f"q{i:02d}", section="reflection", text=f"Question {i}?") for i in range(n)]


def ids(qs) -> list[str]:
    return [q.id for q in qs]


def test_pinned_come_first_in_given_order():
    qs = make(20)
    out = suggest(qs, n=5, pinned=["q07", "missing", "q03", "q07"], seed=1)
    assert ids(out)[:2] == ["q07", "q03"]
    assert len(out) == 5 and len(set(ids(out))) == 5


def test_pinned_beyond_n_is_truncated():
    assert ids(suggest(make(10), n=2, pinned=["q05", "q04", "q03"])) == ["q05", "q04"]


def test_never_seen_preferred_then_oldest_seen():
    qs = make(10)
    last_seen = {q.id: 100 + i for i, q in enumerate(qs) if q.id not in ("q02", "q06", "q09")}
    out = ids(suggest(qs, n=6, last_seen=last_seen, seed=5))
    assert set(out[:3]) == {"q02", "q06", "q09"}
    assert out[3:] == ["q00", "q01", "q03"]  # lowest last_seen = longest ago


def test_oldest_seen_order_when_all_seen():
    qs = make(8)
    last_seen = {"q00": 9, "q01": 3, "q02": 7, "q03": 1, "q04": 5, "q05": 2, "q06": 8, "q07": 4}
    assert ids(suggest(qs, n=4, last_seen=last_seen, seed="any")) == ["q03", "q05", "q01", "q07"]


def test_rotation_avoids_recently_shown():
    qs, last_seen = make(12), {}
    shown = []
    for week in range(3):  # 3 weeks x 4 questions cover all 12 without repeats
        picked = suggest(qs, n=4, last_seen=last_seen, seed=week)
        shown += ids(picked)
        last_seen.update({q.id: week for q in picked})
    assert sorted(shown) == ids(qs)


def test_deterministic_for_a_seed_and_different_for_another():
    qs = make(30)
    a = ids(suggest(qs, n=10, seed=1))
    assert a == ids(suggest(qs, n=10, seed=1))
    assert a != ids(suggest(qs, n=10, seed=2))
    assert ids(suggest(qs, n=10, seed="pair-7")) == ids(suggest(qs, n=10, seed="pair-7"))


def test_no_duplicates_and_n_larger_than_available():
    qs = make(6) + make(3)  # repeated ids in the input
    out = suggest(qs, n=50, pinned=["q01", "q01"], seed=3)
    assert sorted(ids(out)) == ids(make(6))
    assert suggest(qs, n=0) == []
    assert suggest([], n=3) == []


# ---------------------------------------------------------------- custom questions

def test_custom_question_valid():
    q = custom_question("custom-12", "planning", "  What will you ship by Friday?  ")
    assert q.custom is True and q.section == "planning"
    assert q.text == "What will you ship by Friday?"
    assert q.tags == () and q.follow_ups == () and q.source is None


@pytest.mark.parametrize("args,needle", [
    (("c-1", "lunch", "Hungry?"), "not a session section"),
    (("c-1", "closing", "   "), "empty"),
    (("c-1", "closing", "y" * 501), "501 characters"),
    (("", "closing", "Ok?"), "needs an id"),
])
def test_custom_question_rejects_bad_input(args, needle):
    with pytest.raises(ValueError, match=needle) as exc:
        custom_question(*args)
    assert str(exc.value).endswith(".")  # a human sentence


def test_question_is_frozen():
    q = make(1)[0]
    with pytest.raises(pydantic.ValidationError):
        q.text = "changed"  # type: ignore[misc]
    assert {q} == {make(1)[0]}  # hashable, usable in sets/caches
