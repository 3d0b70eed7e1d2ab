"""Bad input (issue 6, part 4): every text field of every page, for both people and
signed out, gets the hostile values of the corpus in tests/data/bad_input; so do the
date inputs (at their extremes), the sign-up form, the JSON import and the question bank.

Each value must end either refused with a clear message (st.error / st.warning) or
stored intact (read back through the Store, after the documented clean-up: NUL bytes
dropped, surrounding whitespace stripped) and shown as text (no HTML, link or image
made from it). Never an exception, never a lost or truncated value.

Every kind of field (a note, a new agenda point, a goal…) gets the whole corpus where
the mentee first meets it; every other field, and every field of the PAL's pages, gets
the sharpest values (SHARP): the same code behind the same kind of field.

Values go in with `set_value`, which skips the browser's `max_chars` limit: a crafted
request can send anything, so the server must cope on its own. A box with `max_chars`
holds at most that many characters (the browser stops typing and pasting there, and
Streamlit cuts a longer value on the server too), so for those the value is its first
`max_chars` characters. To stay fast, one
AppTest per page is reused and all the fields that save on change get the same value
in one run; fields saved by a button or a form get a run each.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pal_core import auth, export, summary
from pal_core.assist import OFFLINE
from pal_core.models import ActionStatus, AgendaKind, NewAction, NewSession, Phase, RatingInput, Role
from pal_core.questions import DEFAULT_BANK_FOLDER, load_bank
from pal_core.store import Store
from test_views_session import open_sections
from views import ui

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
_spec = importlib.util.spec_from_file_location("bad_input_corpus", ROOT / "tests" / "data" / "bad_input" / "corpus.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

PASSWORD = "plum tree by the river"
UTC = dt.timezone.utc
# Markup that would become HTML, a link or an image if person-written text reached
# Markdown unescaped (ui.plain turns "<" into "&lt;" and escapes "[", "]", "(", ")").
UNSAFE = re.compile(r"<\s*(script|img)|\]\(\s*javascript:", re.I)


def cleaned(value: str) -> str:
    """What the app keeps of a value: models._clean and auth.sign_up drop NUL bytes and
    surrounding whitespace, nothing else."""
    return value.replace("\x00", "").strip()


# --- the world: two people, a pairing, sessions with something in every list ------------


@dataclass
class World:
    store: Store
    ana: int  # the mentee
    ben: int  # the PAL
    pairing: int
    session: int  # upcoming, agenda shared
    done: int  # completed, with a summary
    seeded_agenda: set[int]
    seeded_goals: set[int]
    seeded_kpis: set[int]
    seeded_actions: set[int]

    def person(self, who: str):
        return self.store.person(self.ana if who == "mentee" else self.ben)

    def actor(self, who: str) -> int:
        return self.ana if who == "mentee" else self.ben

    def clean_up(self) -> None:
        """Remove what a run added to the lists, so pages stay small and the next value's
        check starts from the same rows."""
        s, a = self.store, self.ana
        for item in s.agenda(a, self.session):
            if item.id not in self.seeded_agenda:
                s.delete_agenda_item(a, item.id)
        for goal in s.goals(a, self.pairing):
            if goal.id not in self.seeded_goals:
                s.delete_goal(a, goal.id)
        for kpi in s.kpis(a, self.pairing):
            if kpi.id not in self.seeded_kpis:
                s.delete_kpi(a, kpi.id)
        for action in s.session_actions(a, self.session):
            if action.id not in self.seeded_actions:
                s.delete_action(a, action.id)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    path = tmp_path_factory.mktemp("bad_input") / "pal.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PAL_DB_PATH", str(path))  # ui.store() is cached by path: one per module
        for name in ("PAL_LLM_MODEL", "PAL_LLM_BASE_URL", "OPENAI_BASE_URL", "PAL_LLM_API_KEY", "OPENAI_API_KEY"):
            mp.delenv(name, raising=False)
        store = Store(path)
        ana = auth.sign_up(store, "ana@example.com", "Ana", PASSWORD).id
        ben = auth.sign_up(store, "ben@example.com", "Ben", PASSWORD).id
        pid = store.accept_invite(ben, store.create_invite(ana, Role.MENTEE)).id
        now = dt.datetime.now(UTC)
        # An earlier, completed session agreed an action that is now blocked: it comes
        # back on Prepare and Reflection with its status box and the blocker field.
        earlier = store.schedule_session(ana, pid, NewSession(scheduled_at=now - dt.timedelta(days=8))).id
        carried = store.add_action(ben, earlier, NewAction(text="Get access to the staging logs", owner=Role.MENTEE))
        store.update_action_status(ben, carried.id, ActionStatus.BLOCKED, blocker="Waiting on the platform team")
        summary.complete_session(store, OFFLINE, ben, earlier, None)
        sid = store.schedule_session(ana, pid, NewSession.at(now + dt.timedelta(days=3), now=now)).id
        store.add_agenda_item(ana, sid, AgendaKind.POINT, "Seeded point")
        store.add_kpi(ana, pid, "Seeded KPI")
        store.add_goal(ana, sid, "Seeded goal: merge 3 pull requests by Friday", prep=True)
        agreed = store.add_action(ben, sid, NewAction(text="Seeded agreed action", owner=Role.MENTEE))
        store.update_action_status(ben, agreed.id, ActionStatus.BLOCKED, blocker="Seeded blocker", session_id=sid)
        store.save_rating(ana, sid, RatingInput(rating=6, why="Seeded why", plus_one="Seeded plus one"))
        store.save_note(ana, sid, Phase.REFLECTION, "reflection:successes", "Seeded note", expected_version=None)
        # Pinned questions come first: the question notes stay the same while own
        # questions are added (they join the pool the suggestions are drawn from).
        bank = load_bank()
        for section in ("reflection", "development", "planning", "closing"):
            for question in bank.in_section(section)[:3]:
                store.set_pinned(ana, pid, question.id, True)
        store.share_agenda(ana, sid)
        yield World(
            store, ana, ben, pid, sid, earlier,
            seeded_agenda={i.id for i in store.agenda(ana, sid)},
            seeded_goals={g.id for g in store.goals(ana, pid)},
            seeded_kpis={k.id for k in store.kpis(ana, pid)},
            seeded_actions={a.id for a in store.session_actions(ana, sid)},
        )
        store.close()
        ui._open_store.clear()


def open_page(person, page: str, session_id: int | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if person is not None:
        at.session_state["auth:person"] = person
    at.run()
    if page != "views/sign_in.py":
        at.switch_page(page)
    if session_id is not None:
        at.query_params["session"] = str(session_id)
    return open_sections(at.run())


def messages(at: AppTest) -> list[str]:
    return [str(e.value) for e in [*at.error, *at.warning]]


def visible_text(at: AppTest) -> list[str]:
    """Every Markdown-rendered string of the page (where text could become HTML)."""
    parts = [*at.markdown, *at.caption, *at.title, *at.subheader, *at.header, *at.info, *at.warning,
             *at.error, *at.success]
    return [str(p.value) for p in parts]


def page_problems(at: AppTest, where: str) -> list[str]:
    problems = [f"{where}: exception {e.value}" for e in at.exception]
    problems += [f"{where}: unescaped markup in {text[:120]!r}" for text in visible_text(at) if UNSAFE.search(text)]
    problems += [f"{where}: unclear message {m[:160]!r}" for m in messages(at)
                 if "Traceback" in m or "validation error for" in m or "pydantic" in m]
    return problems


# --- what each text field is, how it is committed, and where it is stored ---------------


@dataclass
class Field:
    key: str
    kind: str
    commit: str  # "change" (saved on change), "button:<key>", "form:<form id>", "rewrite:<goal id>"
    read: Callable[[], list[str]] | None  # where the value lands; None: never stored
    scalar: bool  # read() is the one current value, not a list that grows
    shown: Callable[[AppTest, str], bool] | None  # the page shows the stored text, as text
    max_chars: int = 0  # the box holds at most this much (browser and server both cut there)

    def label(self) -> str:
        return f"{self.kind} ({self.key})"


def _md_has(at: AppTest, text: str) -> bool:
    return any(ui.plain(text) in value for value in visible_text(at))


def _widget_value(key: str) -> Callable[[AppTest, str], bool]:
    def shown(at: AppTest, text: str) -> bool:
        values = [w.value for w in [*at.text_area, *at.text_input] if w.key == key]
        return bool(values) and cleaned(values[0] or "") == text
    return shown


def _agenda_shown(at: AppTest, text: str) -> bool:
    inputs = [w.value for w in at.text_input if re.fullmatch(r"agenda:\d+", w.key or "")]
    return text in inputs or any(text in c.value for c in at.code)


def classify(w, world: World, who: str) -> Field | None:
    """The Field for a widget, or None for one this test does not know (a failure: a
    new text field needs a line here)."""
    s, actor, key = world.store, world.actor(who), w.key or ""
    sid, pid = world.session, world.pairing
    if m := re.fullmatch(r"note:(\d+):(\w+):(.+):(shared|private)", key):
        session_id, phase, slot, vis = int(m[1]), m[2], m[3], m[4]

        def read_note() -> list[str]:
            return [n.body for n in s.notes(actor, session_id) if n.phase.value == phase
                    and n.question_key == slot and n.visibility.value == vis]
        return Field(key, "note", "change", read_note, True, _widget_value(key))
    if m := re.fullmatch(r"rating:(\d+):(why|plus_one)", key):
        attr = "rating_why" if m[2] == "why" else "rating_plus_one"
        return Field(key, "rating text", "change", lambda: [getattr(s.session(actor, int(m[1])), attr)], True,
                     _widget_value(key))
    if m := re.fullmatch(r"agenda:new:(\d+):(\w+)", key):
        return Field(key, "new agenda point", f"form:{w.form_id}",
                     lambda: [i.text for i in s.agenda(actor, int(m[1])) if i.kind.value == m[2]], False, _agenda_shown)
    if m := re.fullmatch(r"agenda:(\d+)", key):
        return Field(key, "agenda point edit", "change",
                     lambda: [i.text for i in s.agenda(actor, sid) if i.id == int(m[1])], True, _widget_value(key))
    if re.fullmatch(r"kpi:new:(\d+)", key):
        return Field(key, "new KPI", f"form:{w.form_id}", lambda: [k.text for k in s.kpis(actor, pid)], False, _md_has)
    if m := re.fullmatch(r"goal:new:(\d+):text", key):
        return Field(key, "new goal", f"button:goal:new:{m[1]}:add",
                     lambda: [g.text for g in s.goals(actor, pid)], False, _md_has)
    if m := re.fullmatch(r"goal:(\d+):rewrite:edit", key):
        return Field(key, "goal rewrite", f"rewrite:{m[1]}",
                     lambda: [g.text for g in s.goals(actor, pid) if g.id == int(m[1])], True, _md_has)
    if m := re.fullmatch(r"newaction:(\d+):text", key):
        return Field(key, "new action", f"button:newaction:{m[1]}:add",
                     lambda: [a.text for a in s.session_actions(actor, int(m[1]))], False, _md_has)
    if m := re.fullmatch(r"runner:new_question:(\w+)", key):
        return Field(key, "own question", f"form:{w.form_id}",
                     lambda: [t for _, section, t in s.custom_questions(actor, pid) if section == m[1]], False, None)
    if m := re.fullmatch(r"action:(\d+):(\d+):status:blocker", key):
        def read_blocker() -> list[str]:
            session = s.session(actor, int(m[1]))
            actions = [*s.carried_over_actions(actor, session), *s.session_actions(actor, session.id)]
            return [a.blocker for a in actions if a.id == int(m[2])]
        return Field(key, "action blocker", "change", read_blocker, True, _widget_value(key))
    if m := re.fullmatch(r"summary:(\d+):body", key):
        return Field(key, "summary", "change", lambda: [s.summary(actor, int(m[1])).body], True, _widget_value(key))
    if key == "home:code":
        return Field(key, "invite code", f"form:{w.form_id}", lambda: [], False, None)
    if key == "questions:search":
        return Field(key, "question search", "change", None, True, _widget_value(key))
    return None


# --- feeding the values --------------------------------------------------------------------


def verdict(field: Field, value: str, before: list[str], at: AppTest, new_messages: list[str], where: str) -> list[str]:
    """Problems with one field after one value went in (empty when all is well)."""
    want = cleaned(value[: field.max_chars] if field.max_chars else value)
    if field.read is None:  # never stored: it must just be shown back
        if field.shown and not field.shown(at, want):
            return [f"{where}: {field.label()} does not show {value[:40]!r} back"]
        return []
    after = field.read()
    if field.scalar:
        stored = want in after or (want == "" and not after)
        partial = [a for a in after if a and a != want and want.startswith(a) and a not in before]
    else:
        added = list((Counter(after) - Counter(before)).elements())
        stored = want in added
        partial = [a for a in added if a != want]
    problems = []
    if partial:
        problems.append(f"{where}: {field.label()} stored a changed value {partial[0][:60]!r} for {value[:40]!r}")
    if stored:
        if field.shown and want and not field.shown(at, want):
            problems.append(f"{where}: {field.label()} stored {value[:40]!r} but the page does not show it as text")
    elif not (want == "" and field.scalar) and not new_messages:
        problems.append(f"{where}: {field.label()}: {value[:40]!r} was neither stored nor refused with a message")
    return problems


def _submit(at: AppTest, form_id: str):
    return next(b for b in at.button if b.form_id == form_id and b.proto.is_form_submitter)


def feed_page(world: World, who: str, page: str, session_id: int | None, covered: set[str]) -> tuple[list[str], list[str]]:
    """(problems, field labels) for the corpus in every text field of a page. A kind of
    field gets the whole corpus where the mentee first meets it (`covered` records
    that); everywhere else, and for the PAL, the sharpest values (SHARP)."""
    person = world.person(who)
    at = open_page(person, page, session_id)
    problems = page_problems(at, f"{who} {page}")
    # A SMART rewrite box appears once asked for: ask for one on the first goal.
    if rewrite := [b for b in at.button if re.fullmatch(r"goal:\d+:rewrite:btn", b.key or "")]:
        rewrite[0].click()
        at.run()
    fields, unknown = [], []
    for w in [*at.text_area, *at.text_input]:
        field = classify(w, world, who)
        if field:
            field.max_chars = w.max_chars or 0
        (fields.append(field) if field else unknown.append(f"{who} {page}: unknown text field {w.key!r} ({w.label!r})"))
    problems += unknown
    baseline = set(messages(at))

    def values(group: list[Field]) -> list[str]:
        full = who == "mentee" and any(f.kind not in covered and f.kind != "goal rewrite" for f in group)
        covered.update(f.kind for f in group)
        return list(corpus.TEXTS) if full else SHARP

    def widget(key: str):
        return at.text_area(key=key) if key in {w.key for w in at.text_area} else at.text_input(key=key)

    on_change = [f for f in fields if f.commit == "change"]
    if on_change:
        for name in values(on_change):
            value, where = corpus.TEXTS[name], f"{who} {page} [{name}]"
            before = {f.key: f.read() if f.read else [] for f in on_change}
            for f in on_change:
                widget(f.key).set_value(value)
            at.run()
            problems += page_problems(at, where)
            fresh = [m for m in messages(at) if m not in baseline]
            for f in on_change:
                problems += verdict(f, value, before[f.key], at, fresh, where)
    for f in [f for f in fields if f.commit != "change"]:
        how, _, target = f.commit.partition(":")
        for name in values([f]):
            value, where = corpus.TEXTS[name], f"{who} {page} [{name}]"
            if how == "rewrite":
                at.button(key=f"goal:{target}:rewrite:btn").click()
                at.run()
            before = f.read() if f.read else []
            widget(f.key).set_value(value)
            if how == "form":
                _submit(at, target).click()
            elif how == "button":
                at.button(key=target).click()
            else:
                at.button(key=f"goal:{target}:rewrite:accept").click()
            at.run()
            problems += page_problems(at, where)
            fresh = [m for m in messages(at) if m not in baseline]
            problems += verdict(f, value, before, at, fresh, where)
            world.clean_up()
    return problems, [f.label() for f in fields]


# The values that break things most often, for every field the whole corpus has not
# been through already.
SHARP = ["whitespace", "100kb", "nul_bytes", "script_tag", "right_to_left"]


PAGES = {
    "mentee": [("views/home.py", False), ("views/prepare.py", True), ("views/reflection.py", True),
               ("views/development.py", True), ("views/planning.py", True), ("views/closing.py", True),
               ("views/summary.py", "done"), ("views/questions.py", False), ("views/history.py", False),
               ("views/settings.py", False), ("views/get_ready.py", True)],
    "pal": [("views/home.py", False), ("views/get_ready.py", True), ("views/reflection.py", True),
            ("views/development.py", True), ("views/planning.py", True), ("views/closing.py", True),
            ("views/summary.py", "done"), ("views/questions.py", False), ("views/prepare.py", True)],
}


@pytest.mark.parametrize("who", ["mentee", "pal"])
def test_every_text_field_of_every_page_keeps_or_refuses_each_value(world, who):
    problems, seen, covered = [], [], set()
    for page, session in PAGES[who]:
        sid = world.done if session == "done" else world.session if session else None
        found, labels = feed_page(world, who, page, sid, covered)
        problems += found
        seen += labels
    kinds = {label.split(" (")[0] for label in seen}
    expected = {"note", "new agenda point", "agenda point edit", "new goal", "goal rewrite", "new action",
                "own question", "action blocker", "summary", "invite code", "question search"}
    if who == "mentee":  # the PAL reads the preparation, he doesn't write it
        expected |= {"rating text", "new KPI", "new agenda point", "agenda point edit"}
    else:
        expected -= {"new agenda point", "agenda point edit"}
    assert expected <= kinds, f"fields never reached: {expected - kinds}"
    assert not problems, "\n".join(problems)


def test_sign_in_and_sign_up_forms(world):
    store = world.store
    at = open_page(None, "views/sign_in.py")
    problems = page_problems(at, "sign-in")
    for n, (name, value) in enumerate(corpus.TEXTS.items()):
        where = f"sign-in [{name}]"
        at.text_input(key="signin:email").set_value(value)
        at.text_input(key="signin:password").set_value(value)
        _submit(at, "signin").click()
        at.run()
        problems += page_problems(at, where)
        if not at.error or "auth:person" in at.session_state:
            problems.append(f"{where}: a bad sign-in was not refused with a message")
        # Sign-up: the value in one field at a time, the others fine.
        for field in ("name", "email", "password"):
            email = f"new{n}.{field}@example.com"
            filled = {"name": "New Person", "email": email, "password": PASSWORD, field: value}
            at.text_input(key="signup:name").set_value(filled["name"])
            at.text_input(key="signup:email").set_value(filled["email"])
            at.text_input(key="signup:password").set_value(filled["password"])
            at.text_input(key="signup:password2").set_value(filled["password"])
            _submit(at, "signup").click()
            at.run()
            problems += page_problems(at, f"{where} sign-up {field}")
            made = store.credentials(auth.normalise_email(filled["email"]))
            if made is None:
                if not at.error:
                    problems.append(f"{where}: sign-up with a bad {field} was neither accepted nor refused with a message")
                continue
            person = made[0]
            if field == "name" and person.display_name != cleaned(value[: auth.NAME_LIMIT]):
                problems.append(f"{where}: the name was stored as {person.display_name[:40]!r}")
            if field == "password" and auth.sign_in(store, person.email, value).id != person.id:
                problems.append(f"{where}: the password does not sign in")
            shown = " ".join(str(c.value) for c in at.caption)
            if field == "name" and ui.plain(person.display_name) not in shown:
                problems.append(f"{where}: the new name is not shown as text in the sidebar")
            # Signed in now: sign out for the next value.
            at.button(key="auth:sign_out").click()
            at.run()
            if "auth:person" in at.session_state:
                problems.append(f"{where}: sign-out failed")
    assert not problems, "\n".join(problems)


def test_dates_at_their_extremes(world):
    """Streamlit itself refuses a date outside a date input's min/max (the box keeps its
    default), so year 1 and 9999 act as the default; each input's own limits must be
    refused with a message or stored exactly."""
    store, ana, ben, pid = world.store, world.ana, world.ben, world.pairing
    problems: list[str] = []

    # Pairings: schedule a session far in the past or future.
    home = open_page(world.person("mentee"), "views/home.py")
    day = home.date_input(key="home:day")
    default = day.value
    for value in [*corpus.DATES.values(), day.min, day.max]:
        effective = value if day.min <= value <= day.max else default
        count = store.count_sessions(ana, pid)
        home.date_input(key="home:day").set_value(value)
        _submit(home, "home:schedule").click()
        home.run()
        problems += page_problems(home, f"schedule {value}")
        if home.date_input(key="home:day").value != effective:
            problems.append(f"schedule {value}: the date box holds {home.date_input(key='home:day').value}")
        added = store.count_sessions(ana, pid) - count
        if added and not any(s.scheduled_at.date() == effective for s in store.sessions(ana, pid, limit=500)):
            problems.append(f"schedule {value}: a session was added, but not on {effective}")
        if not added and not home.error:
            problems.append(f"schedule {value}: neither scheduled nor refused with a message")

    # Planning: an action due on an extreme date.
    planning = open_page(world.person("pal"), "views/planning.py", world.session)
    due = planning.date_input(key=f"newaction:{world.session}:due")
    for value in [*corpus.DATES.values(), due.min, due.max]:
        text = f"Action due {value}"
        planning.text_input(key=f"newaction:{world.session}:text").set_value(text)
        planning.date_input(key=f"newaction:{world.session}:due").set_value(value)
        planning.button(key=f"newaction:{world.session}:add").click()
        planning.run()
        problems += page_problems(planning, f"action due {value}")
        saved = [a for a in store.session_actions(ben, world.session) if a.text == text]
        in_range = due.min <= value <= due.max
        if in_range and not (saved and saved[0].due_date == value) and not planning.error:
            problems.append(f"action due {value}: neither stored with that date nor refused")
        if saved and not in_range and saved[0].due_date == value:
            problems.append(f"action due {value}: an out-of-range date got through")
        world.clean_up()

    # Closing: complete sessions with the next one at an extreme date (a session each).
    now = dt.datetime.now(UTC)
    for n, pick in enumerate(["year_1", "year_9999", "min", "max"]):
        sid = store.schedule_session(ben, pid, NewSession.at(now + dt.timedelta(days=20 + n), now=now)).id
        closing = open_page(world.person("pal"), "views/closing.py", sid)
        box = closing.date_input(key=f"closing:{sid}:day")
        value = {"year_1": corpus.DATES["year_1"], "year_9999": corpus.DATES["year_9999"],
                 "min": box.min, "max": box.max}[pick]
        closing.date_input(key=f"closing:{sid}:day").set_value(value)
        closing.button(key="closing:complete").click()
        closing.run()
        problems += page_problems(closing, f"next session on {value}")
        session = store.session(ben, sid)
        if session.status.value != "completed" and not closing.error:
            problems.append(f"next session on {value}: neither completed nor refused with a message")
        if session.status.value == "completed" and session.next_session_at and box.min <= value <= box.max \
                and session.next_session_at.date() != value:
            problems.append(f"next session on {value}: stored as {session.next_session_at}")

    # History: the widest range its picker allows, and beyond.
    history = open_page(world.person("mentee"), "views/history.py")
    dates = next(d for d in history.date_input if (d.key or "").startswith("history:"))
    for low, high in [(dates.min, dates.max), (corpus.DATES["year_1"], corpus.DATES["year_9999"]),
                      (dates.max, dates.min)]:
        history.date_input(key=dates.key).set_value((low, high))
        history.run()
        problems += page_problems(history, f"history {low}..{high}")
    assert not problems, "\n".join(problems)


# --- JSON import -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_export(world) -> dict:
    return json.loads(export.export_json(world.store, world.ana))


def _bad_documents(good: dict) -> dict[str, bytes]:
    docs = {}
    for name, change in corpus.BAD_JSON.items():
        doc = change(json.loads(json.dumps(good)))
        docs[name] = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return docs


@pytest.mark.parametrize("name", list(corpus.BAD_JSON))
def test_import_refuses_a_malformed_document_naming_the_problem(good_export, tmp_path, name):
    """Straight through pal_core, into an empty database: refused, named, nothing written."""
    data = _bad_documents(good_export)[name]
    target = Store(tmp_path / "target.db")
    try:
        ana = target.create_person("ana@example.com", "Ana", None).id
        target.create_person("ben@example.com", "Ben", None)
        with pytest.raises(export.ImportProblem) as refused:
            export.import_json(target, ana, data)
        field = corpus.FIELD_OF.get(name)
        assert field is None or field in str(refused.value), f"the message does not name {field}: {refused.value}"
        assert target.pairings(ana) == [], "something was written"
    finally:
        target.close()


def test_import_page_shows_a_message_for_each_malformed_document(world, good_export):
    at = open_page(world.person("mentee"), "views/history.py")
    pairings = [p.id for p in world.store.pairings(world.ana)]
    problems = []
    for name, data in _bad_documents(good_export).items():
        at.get_by_key("history:import_file").set_value((f"{name}.json", data, "application/json"))
        at.run()
        at.button(key="history:import").click()
        at.run()
        problems += page_problems(at, f"import {name}")
        if not at.error:
            problems.append(f"import {name}: no message")
        if [p.id for p in world.store.pairings(world.ana)] != pairings:
            problems.append(f"import {name}: the pairings changed")
    assert not problems, "\n".join(problems)


# --- the question bank ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", corpus.bad_toml_files(), ids=lambda p: p.stem)
def test_bank_loads_the_good_files_beside_a_malformed_one(tmp_path, bad):
    folder = tmp_path / "bank"
    shutil.copytree(DEFAULT_BANK_FOLDER, folder)
    target = corpus.target_name(bad)
    shutil.copyfile(bad, folder / target)
    good = load_bank(DEFAULT_BANK_FOLDER)
    bank = load_bank(folder)  # must not raise
    untouched = [q.id for q in good.questions if f"{q.section}.toml" != target]
    missing = [qid for qid in untouched if bank.by_id(qid) is None]
    assert not missing, f"good questions lost beside {bad.name}: {missing[:5]}"
    for error in bank.errors:
        assert str(error).startswith(target), f"an error that does not name the file: {error}"
    for qid in corpus.GOOD_IN_BAD_FILES.get(bad.name, []):
        assert bank.by_id(qid) is not None, f"{qid} (fine) was dropped with its file's bad entries"
    if bad.name in corpus.VALID_TOML:
        assert not bank.errors
        raw = bad.read_text(encoding="utf-8")
        assert set(re.findall(r'^id = "([^"]+)"', raw, re.M)) <= {q.id for q in bank.questions}  # every one loaded
        for question in bank.questions:
            if f"{question.section}.toml" == target and question.id not in {q.id for q in good.questions}:
                assert question.text in raw  # kept intact
    else:
        assert bank.errors, f"{bad.name} loaded without a word"


def test_question_bank_page_lists_the_problems_and_shows_hostile_text_as_text(world, tmp_path, monkeypatch):
    folder = tmp_path / "bank"
    shutil.copytree(DEFAULT_BANK_FOLDER, folder)
    for bad in corpus.bad_toml_files():  # the last file for a section wins: all kinds of problem
        shutil.copyfile(bad, folder / corpus.target_name(bad))
    bank = load_bank(folder)
    monkeypatch.setattr(ui, "load_bank", lambda: bank)
    ui.bank.clear()
    try:
        at = open_page(world.person("mentee"), "views/questions.py")
        problems = page_problems(at, "question bank")
        shown = messages(at)
        problems += [f"not listed: {error}" for error in bank.errors if str(error) not in shown]
        at.text_input(key="questions:search").set_value("<script>").run()
        problems += page_problems(at, "question bank search")
        if not any("&lt;script&gt;" in text for text in visible_text(at)):
            problems.append("the hostile bank question is not shown (escaped) when searched for")
    finally:
        ui.bank.clear()
    assert not problems, "\n".join(problems)
