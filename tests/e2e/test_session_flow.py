"""The guided session in a real browser, with two people in two browser contexts: the
mentee prepares and shares, the PAL gets ready and runs every phase in screen-share
mode (nothing private on screen), an agreed action comes back in the next session,
committed text survives a reload and a SIGKILL of the server, two people editing one
note see the clash and each other's saves, and hostile text stays text.

Waiting: every action waits for the full script run it causes to finish, read from the
app's websocket (`Runs`: Streamlit's own new_session/script_finished messages, fragment
runs left out), then for the page to be idle and its lazily loaded widgets drawn. Never
a sleep: the only waits on the clock are the live updates in the two-person test
(`LIVE_UPDATE_MS`), which come from the timer fragment's 2-second poll.

PAL_SCREENSHOTS=1 also saves docs/screenshots/{prepare,reflection,planning,home}.png.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pal_core import auth
from pal_core.models import AgendaKind, NewSession, Phase, RatingInput, Role, Visibility
from pal_core.store import Store

from .helpers import (
    APP,
    TIMEOUT_MS,
    Runs,
    assert_no_exception,
    by_key,
    expect_text,
    screenshot,
    sign_in,
    wait_idle,
)

# Each test is a long story of bounded waits (15 s a step); on a busy 2-core machine one
# story can pass pytest.ini's 120 s without anything hanging.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PASSWORD = "plum tree by the river"
LIVE_UPDATE_MS = 8_000  # the timer fragment polls every 2 s

# What the mentee prepares: hers alone until she shares it.
POINTS = ["Getting faster at code reviews", "Speaking up in the architecture meeting"]
HELP = "Splitting the billing service into modules"
RATING_WHY = "Shipped the export feature, but reviews still pile up on my desk"
PLUS_ONE = "Clearing my review queue every afternoon"
DRAFT_GOAL = "Review 5 pull requests a week for the billing team by the end of June"
PREP = [*POINTS, HELP, RATING_WHY, PLUS_ONE, DRAFT_GOAL]

# Private notes: never on the PAL's shared screen.
MENTEE_PRIVATE = "Nervous that Sam will read this as complaining"
PAL_PREP = "Ask how the team change is landing, gently"
PAL_RESOURCES = "Bring the review checklist doc from the platform wiki"
RESOURCES = "Ask Sam about the review rota; the notes are on https://wiki.example.com/reviews"
PAL_PRIVATE = {
    "reflection": "She sounds tired lately, check workload first",
    "development": "Do not mention the promotion round yet",
    "planning": "Keep the actions small this week",
    "closing": "Ask Kim about a shadowing slot next month",
}
PRIVATE = [MENTEE_PRIVATE, PAL_PREP, PAL_RESOURCES, *PAL_PRIVATE.values()]

# Shared notes taken during the session.
CHECKIN = "Back from a week off, still catching up on email"
SHARED = {
    ("reflection", "reflection:successes"): "Export feature shipped on time and the customer liked it",
    ("reflection", "reflection:challenges"): "Review queue of 14 pull requests; tried batching them on Fridays",
    ("development", "development:skills"): "Giving short, kind review comments that still block bad changes",
    ("planning", "planning:priority-1"): "Clear the review queue down to 3",
}
ACTION = "Review two pull requests every afternoon before 4pm for the next two weeks"


# What a browser logs while the server is down (after the SIGKILL, before the restart).
OUTAGE = re.compile(
    r"ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|disconnected from server|WebSocket connection"
    r"|reaching server endpoint|server is not responding"
)


# --- waiting on the app's own script runs ------------------------------------------------


class Person:
    """One person in their own browser context, signed in."""

    def __init__(self, new_context, server, label: str, email: str):
        self.server = server
        self.page = new_context(label).new_page()
        self.runs = Runs(self.page)
        self.dialogs: list[str] = []  # alert() & co: none may ever open
        self.page.on("dialog", self._dialog)
        sign_in(self.page, server.url, email, PASSWORD)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def act(self, action: Callable[[], object], *, navigates: bool = False, timeout: int = TIMEOUT_MS) -> None:
        """Do something that reruns the app and wait until that run is over. A page
        load (`navigates`) opens a new websocket: wait for it before counting."""
        before = self.runs.started
        if navigates:
            with self.page.expect_websocket(timeout=timeout):
                action()
        else:
            action()
        self.runs.wait_past(before, timeout)
        wait_idle(self.page, timeout)
        # Widgets whose code loads lazily show a skeleton until it has arrived.
        expect(self.page.locator('[data-testid="stSkeleton"]')).to_have_count(0, timeout=timeout)

    def open(self, path: str, session_id: int | None = None) -> None:
        query = f"?session={session_id}" if session_id is not None else ""
        self.act(lambda: self.page.goto(f"{self.server.url}/{path}{query}"), navigates=True)
        expect(self.page.locator(APP)).to_be_visible()

    def reload(self, timeout: int = TIMEOUT_MS) -> None:
        self.act(self.page.reload, navigates=True, timeout=timeout)

    def key(self, key: str):
        return by_key(self.page, key)

    def click(self, key: str) -> None:
        self.act(self.key(key).locator("button").first.click)

    def write(self, key: str, text: str) -> None:
        """Type into a text area and leave it (Tab): that commits and saves it."""
        area = self.key(key).locator("textarea")

        def type_and_leave() -> None:
            area.fill(text)
            area.press("Tab")
        self.act(type_and_leave)

    def line(self, key: str, text: str) -> None:
        """Type into a text input and commit it with Enter."""
        box = self.key(key).locator("input")

        def type_and_enter() -> None:
            box.fill(text)
            box.press("Enter")
        self.act(type_and_enter)

    def expect_value(self, key: str, text: str) -> None:
        expect(self.key(key).locator("textarea, input").first).to_have_value(text)

    def open_expander(self, label: str) -> None:
        """Open an expander; a lazy one (ui.lazy_expander) reruns the page to draw its content."""
        summary = self.page.locator('[data-testid="stExpander"] summary').filter(has_text=label)
        if summary.locator("xpath=..").get_attribute("open") is None:
            self.act(summary.click)
        expect(summary.locator("xpath=..")).to_have_attribute("open", "")

    def expect_text(self, text: str) -> None:
        expect_text(self.page, text)

    def all_text(self) -> str:
        """The page's HTML, its visible text and every form field's value."""
        values = self.page.evaluate(
            "() => [...document.querySelectorAll('textarea, input')].map(e => e.value).join('\\n')"
        )
        return "\n".join([self.page.content(), self.page.inner_text("body"), values])

    def assert_absent(self, texts: list[str], where: str) -> None:
        everything = self.all_text()
        leaked = [t for t in texts if t in everything]
        assert not leaked, f"{where}: {leaked} on the page"

    def no_exception(self) -> None:
        assert_no_exception(self.page, self.server)


def note_key(session_id: int, phase: str, slot: str, visibility: str = "shared") -> str:
    return f"note:{session_id}:{phase}:{slot}:{visibility}"


def shoot(person: Person, name: str) -> None:
    """A README screenshot (PAL_SCREENSHOTS=1) of the top of the page, without focus
    rings or toasts."""
    if os.environ.get("PAL_SCREENSHOTS") != "1":
        return
    page = person.page
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for close in page.locator('[data-testid="stToast"] button').all():
        close.click()
    expect(page.locator('[data-testid="stToast"]')).to_have_count(0)
    page.evaluate("() => { for (const el of document.querySelectorAll('*')) if (el.scrollTop) el.scrollTop = 0; }")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 1_200})
    wait_idle(page)
    screenshot(page, name)
    page.set_viewport_size(size)


# --- seeding and reading the server's database ------------------------------------------


def seed(db_path: Path, tag: str, days_ahead: int = 3) -> dict:
    """A mentee and a PAL, paired, with one session `days_ahead` days away, written
    through the core into the server's DB file."""
    store = Store(db_path)
    try:
        mentee = auth.sign_up(store, f"mira.{tag}@example.com", "Mira Mentee", PASSWORD)
        pal = auth.sign_up(store, f"pat.{tag}@example.com", "Pat Pal", PASSWORD)
        pairing = store.accept_invite(pal.id, store.create_invite(mentee.id, Role.MENTEE))
        now = dt.datetime.now(dt.UTC)
        session = store.schedule_session(
            mentee.id, pairing.id, NewSession.at(now + dt.timedelta(days=days_ahead), now=now)
        )
    finally:
        store.close()
    return {
        "mentee": mentee, "pal": pal, "pairing": pairing, "session": session.id,
        "mentee_email": f"mira.{tag}@example.com", "pal_email": f"pat.{tag}@example.com",
    }


def rows(db_path: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db_path, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def note_bodies(db_path: Path, session_id: int) -> dict[tuple[str, str, int], str]:
    """Each note's text by (phase, slot, owner): owner 0 for a shared note, else the
    person whose private note it is."""
    return {
        (phase, slot, owner): body
        for phase, slot, owner, body in rows(
            db_path, "SELECT phase, question_key, owner_id, body FROM note WHERE session_id = ?", (session_id,)
        )
    }


def integrity(db_path: Path) -> str:
    return rows(db_path, "PRAGMA integrity_check")[0][0]


# --- the PAL's shared screen ----------------------------------------------------------------


def assert_shared_screen(pal: Person, where: str) -> None:
    """Screen-share mode: no sidebar, nothing private anywhere in the page."""
    page = pal.page
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
    expect(page.locator('[data-testid="stExpandSidebarButton"]')).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    expect(page.get_by_role("button", name="Leave screen-share mode")).to_be_visible()
    pal.assert_absent([*PRIVATE, "only you see this", "My private notes"], f"shared screen, {where}")
    pal.no_exception()


# --- 1, 4: preparing, sharing, and what the PAL sees before ----------------------------------


def test_mentee_prepares_and_shares_and_the_pal_sees_nothing_before(server, new_context, browser_errors):
    s = seed(server.db_path, "prep")
    sid = s["session"]
    mentee = Person(new_context, server, "mentee", s["mentee_email"])
    pal = Person(new_context, server, "PAL", s["pal_email"])

    # The mentee prepares: points, what she wants help with, a rating, a draft goal.
    mentee.open("prepare", sid)
    mentee.expect_text("Everything here is private until you share it")
    for kind, text in [("point", POINTS[0]), ("point", POINTS[1]), ("help", HELP)]:
        mentee.line(f"agenda:new:{sid}:{kind}", text)  # Enter adds it
        expect(mentee.page.locator('[data-testid="stCode"]')).to_contain_text(text)
    mentee.act(mentee.key(f"rating:{sid}:value").get_by_role("radio", name="7", exact=True).click)
    mentee.write(f"rating:{sid}:why", RATING_WHY)
    mentee.write(f"rating:{sid}:plus_one", PLUS_ONE)
    mentee.line(f"goal:new:{sid}:text", DRAFT_GOAL)
    mentee.click(f"goal:new:{sid}:add")
    mentee.expect_text(DRAFT_GOAL)
    mentee.no_exception()

    # 4. On Reflection she writes a private note and a shared check-in: committed by
    # leaving the box, both survive a reload (a new browser session).
    mentee.open("reflection", sid)
    mentee.open_expander("My private notes")
    mentee.write(note_key(sid, "reflection", "private", "private"), MENTEE_PRIVATE)
    mentee.open_expander("Opening")
    mentee.write(note_key(sid, "opening", "opening:checkin"), CHECKIN)
    mentee.reload()
    mentee.open_expander("My private notes")  # a new browser session: the section starts closed
    mentee.expect_value(note_key(sid, "reflection", "private", "private"), MENTEE_PRIVATE)
    mentee.expect_value(note_key(sid, "opening", "opening:checkin"), CHECKIN)
    mentee.expect_value(f"rating:{sid}:why", RATING_WHY)

    # Before she shares, none of her preparation (nor her private note) is on any of the
    # PAL's pages; he writes his own private notes on the way.
    hidden = [*PREP, MENTEE_PRIVATE]
    pal.open("", None)
    pal.expect_text("Your pairings")
    pal.assert_absent([*hidden, "rated 7/10"], "PAL's pairings before sharing")
    pal.open("get_ready", sid)
    pal.expect_text("hasn't shared an agenda for this session yet")
    pal.assert_absent(hidden, "Get ready before sharing")
    pal.write(note_key(sid, "opening", "pal:prep", "private"), PAL_PREP)
    pal.write(note_key(sid, "opening", "pal:resources", "private"), PAL_RESOURCES)
    pal.open("reflection", sid)
    pal.expect_value(note_key(sid, "opening", "opening:checkin"), CHECKIN)  # shared: he sees it
    pal.open_expander("My private notes")
    pal.write(note_key(sid, "reflection", "private", "private"), PAL_PRIVATE["reflection"])
    for phase, heading in [("reflection", None), ("development", "Where the mentee feels stuck"),
                           ("planning", "Top three priorities"), ("closing", "Feedback on this session")]:
        if heading:
            pal.click("runner:next")
            pal.expect_text(heading)
        pal.assert_absent(hidden, f"{phase} before sharing")
        pal.no_exception()

    # She shares: the heads-up message carries her points; Get ready now shows them.
    mentee.open("prepare", sid)
    mentee.click("prepare:share")
    mentee.expect_text("Shared with Pat Pal")
    heads_up = mentee.page.locator('[data-testid="stCode"]')
    for text in [*POINTS, HELP, "How I'm doing: 7/10", "Hi Pat Pal!"]:
        expect(heads_up).to_contain_text(text)
    expect(mentee.page.get_by_role("button", name="Share agenda with PAL")).to_have_count(0)
    shoot(mentee, "prepare")

    pal.open("get_ready", sid)
    for text in [*POINTS, HELP, RATING_WHY, PLUS_ONE]:
        pal.expect_text(text)
    pal.expect_value(note_key(sid, "opening", "pal:prep", "private"), PAL_PREP)
    pal.assert_absent([MENTEE_PRIVATE], "Get ready after sharing")
    mentee.open("reflection", sid)
    mentee.assert_absent([PAL_PREP, PAL_PRIVATE["reflection"]], "the mentee's Reflection")

    committed = note_bodies(server.db_path, sid)
    assert committed[("reflection", "private", s["mentee"].id)] == MENTEE_PRIVATE
    assert committed[("reflection", "private", s["pal"].id)] == PAL_PRIVATE["reflection"]
    assert committed[("opening", "pal:resources", s["pal"].id)] == PAL_RESOURCES
    for person in (mentee, pal):
        person.no_exception()
        assert person.dialogs == []
    assert browser_errors == [], "\n".join(browser_errors)


# --- 2, 3, 5: the session on a shared screen, a crash, and the next session -----------------


def seed_prepared(db_path: Path, s: dict) -> None:
    """The preparation and both people's private notes, written beforehand through
    the core (the UI path for these is the test above)."""
    store = Store(db_path)
    try:
        mentee, pal, sid = s["mentee"].id, s["pal"].id, s["session"]
        for kind, text in [(AgendaKind.POINT, POINTS[0]), (AgendaKind.POINT, POINTS[1]), (AgendaKind.HELP, HELP)]:
            store.add_agenda_item(mentee, sid, kind, text)
        store.save_rating(mentee, sid, RatingInput(rating=7, why=RATING_WHY, plus_one=PLUS_ONE))
        store.add_goal(mentee, sid, DRAFT_GOAL, prep=True)
        store.share_agenda(mentee, sid)
        private = {"visibility": Visibility.PRIVATE, "expected_version": None}
        store.save_note(mentee, sid, Phase.REFLECTION, "private", MENTEE_PRIVATE, **private)
        store.save_note(pal, sid, Phase.OPENING, "pal:prep", PAL_PREP, **private)
        store.save_note(pal, sid, Phase.OPENING, "pal:resources", PAL_RESOURCES, **private)
        for phase, text in PAL_PRIVATE.items():
            store.save_note(pal, sid, Phase(phase), "private", text, **private)
        store.save_note(mentee, sid, Phase.OPENING, "opening:checkin", CHECKIN, expected_version=None)
    finally:
        store.close()


def test_pal_runs_the_session_on_a_shared_screen(server, new_context, browser_errors):
    s = seed(server.db_path, "run")
    sid = s["session"]
    seed_prepared(server.db_path, s)
    pal = Person(new_context, server, "PAL", s["pal_email"])

    # Outside screen-share mode his private notes are there (so hiding them means something).
    pal.open("reflection", sid)
    pal.open_expander("My private notes")
    pal.expect_value(note_key(sid, "reflection", "private", "private"), PAL_PRIVATE["reflection"])
    pal.assert_absent([MENTEE_PRIVATE], "Reflection")

    # 2. Screen-share mode, then every phase with the Next button.
    pal.click("runner:share")
    pal.expect_text("Leave screen-share mode")
    assert_shared_screen(pal, "Reflection")
    pal.page.get_by_role("button", name="Start").click()  # inside the timer fragment
    expect(pal.page.get_by_role("button", name="Pause")).to_be_visible()
    wait_idle(pal.page)
    pal.expect_text(RATING_WHY)
    full_runs = pal.runs.full
    for (phase, slot), text in SHARED.items():
        if phase == "reflection":
            pal.write(note_key(sid, phase, slot), text)
    # A note saves with a run of its own box, not of the page, and the timer doesn't
    # rerun the page for it afterwards: this tab has drawn its own save.
    pal.runs.wait_ticks(2)
    assert pal.runs.full == full_runs, "saving a note reran the whole page"
    assert_shared_screen(pal, "Reflection with notes")
    shoot(pal, "reflection")

    pal.click("runner:next")
    pal.expect_text("Where the mentee feels stuck")
    pal.expect_text(HELP)
    assert_shared_screen(pal, "Development")
    pal.write(note_key(sid, "development", "development:skills"), SHARED[("development", "development:skills")])
    # The links under "Resources and strategies" are made of its text: its save reruns the page.
    pal.write(note_key(sid, "development", "development:resources"), RESOURCES)
    expect(pal.page.get_by_role("link", name="wiki.example.com/reviews")).to_have_attribute("href", "https://wiki.example.com/reviews")

    # 5. The server dies mid-session (SIGKILL) and comes back on the same DB file.
    committed = note_bodies(server.db_path, sid)
    for (phase, slot), text in SHARED.items():
        if phase in ("reflection", "development"):
            assert committed[(phase, slot, 0)] == text
    logged = len(browser_errors)
    server.kill9()
    expect(pal.page.locator(APP)).not_to_have_attribute("data-test-connection-state", "CONNECTED")
    server.restart()
    # The page reconnects by itself; then a reload starts a new browser session, which
    # must still be in screen-share mode (it is in the URL): nothing private may flash up
    # on the shared screen. The first run after a cold start imports everything: give it longer.
    expect(pal.page.locator(APP)).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=30_000)
    outage = browser_errors[logged:]
    del browser_errors[logged:]  # the page knocking while the server was down
    assert all(OUTAGE.search(e) for e in outage), "\n".join(outage)
    pal.reload(timeout=30_000)
    pal.expect_text("Where the mentee feels stuck")
    pal.expect_value(note_key(sid, "development", "development:skills"), SHARED[("development", "development:skills")])
    assert note_bodies(server.db_path, sid) == committed
    assert rows(server.db_path, "SELECT current_phase, timer_running_since IS NOT NULL FROM session WHERE id = ?",
                (sid,)) == [("development", 1)]
    assert integrity(server.db_path) == "ok"
    pal.expect_text("Leave screen-share mode")
    assert_shared_screen(pal, "Development after the restart")

    pal.click("runner:next")
    pal.expect_text("Top three priorities")
    assert_shared_screen(pal, "Planning")
    pal.write(note_key(sid, "planning", "planning:priority-1"), SHARED[("planning", "planning:priority-1")])
    pal.line(f"newaction:{sid}:text", ACTION)
    pal.click(f"newaction:{sid}:add")
    expect(pal.page.locator('[data-testid="stMarkdown"]').filter(has_text=ACTION)).to_have_count(1)
    assert_shared_screen(pal, "Planning with an action")
    shoot(pal, "planning")

    pal.click("runner:next")
    pal.expect_text("Feedback on this session")
    pal.expect_text(ACTION)
    assert_shared_screen(pal, "Closing")

    # Completing drafts the summary (shared content only) and schedules the next session.
    pal.click("closing:complete")
    # Still in screen-share mode on the Summary: it stays on until the PAL leaves it.
    expect(pal.page).to_have_url(f"{server.url}/summary?session={sid}&share=1")
    pal.expect_text(SHARED[("reflection", "reflection:successes")])
    pal.assert_absent(PRIVATE, "Summary on the shared screen")
    pal.no_exception()

    # 3. The agreed action comes back in the next session's Reflection.
    store = Store(server.db_path)
    try:
        sessions = store.sessions(s["pal"].id, s["pairing"].id)
    finally:
        store.close()
    assert len(sessions) == 2, sessions
    next_id = next(x.id for x in sessions if x.id != sid)
    pal.open("", None)
    pal.expect_text("Sessions (2)")
    shoot(pal, "home")
    pal.click(f"home:open:{next_id}")
    expect(pal.page).to_have_url(f"{server.url}/reflection?session={next_id}")
    pal.expect_text("Previous action points")
    pal.expect_text(ACTION)

    pal.no_exception()
    assert pal.dialogs == []
    assert integrity(server.db_path) == "ok"
    assert browser_errors == [], "\n".join(browser_errors)


# --- 6-7: two people on one note; hostile text ---------------------------------------------

HOSTILE = (
    "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) "
    "🤝🎉👩🏽‍💻 مرحبا بالعالم שלום עולם **not bold**"
)
FILLER = "abcdefghij" * 2_100


def utf16_len(text: str) -> int:
    """Length as the browser counts it (maxlength counts UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


LONG = HOSTILE + " " + FILLER[: 20_000 - utf16_len(HOSTILE) - 1]  # fills a note box exactly
LONG_LINE = HOSTILE + " " + FILLER[: 500 - utf16_len(HOSTILE) - 1]  # fills a one-line box exactly


def assert_inert(person: Person, where: str) -> None:
    """Nothing the hostile text asked for exists as markup on the page."""
    main = person.page.locator('[data-testid="stMain"]')
    expect(main.locator('img[src="x"]')).to_have_count(0)
    expect(main.locator('a[href^="javascript"]')).to_have_count(0)
    scripts = main.locator("script").evaluate_all("els => els.map(e => e.textContent)")
    assert not [t for t in scripts if "alert" in t], f"{where}: {scripts}"
    expect(main.locator("strong").filter(has_text="not bold")).to_have_count(0)
    person.no_exception()


def test_two_people_on_one_note_and_hostile_text(server, new_context, browser_errors):
    s = seed(server.db_path, "pair")
    sid = s["session"]
    people = {
        "mentee": Person(new_context, server, "mentee", s["mentee_email"]),
        "pal": Person(new_context, server, "PAL", s["pal_email"]),
    }
    mentee, pal = people["mentee"], people["pal"]
    for person in people.values():
        person.open("reflection", sid)

    # 6. Both type in the same box and leave it at once: one save wins, the other
    # person sees the clash, with the newer text in the box and their own beside it.
    key = note_key(sid, "reflection", "reflection:challenges")
    typed = {"mentee": "Mentee: the review queue is the real blocker",
             "pal": "PAL: try a review rota with two teammates"}
    for who, person in people.items():
        person.key(key).locator("textarea").fill(typed[who])
    before = {who: person.runs.started for who, person in people.items()}
    for person in people.values():
        person.key(key).locator("textarea").press("Tab")
    for who, person in people.items():
        person.runs.wait_past(before[who])
        wait_idle(person.page)
    stored = note_bodies(server.db_path, sid)[("reflection", "reflection:challenges", 0)]
    assert stored in typed.values(), stored
    winner = next(who for who in typed if typed[who] == stored)
    loser = "pal" if winner == "mentee" else "mentee"
    first, second = people[winner], people[loser]
    second.expect_text("changed this while you were typing")
    second.expect_value(key, typed[winner])
    expect(second.key(key + ":keep").get_by_role("button")).to_have_text("Save my text instead")
    expect(second.page.locator('[data-testid="stCode"]').filter(has_text=typed[loser])).to_have_count(1)

    # The second one keeps their own text; the first sees it without reloading (the
    # timer fragment polls every 2 s).
    second.click(key + ":keep")
    assert note_bodies(server.db_path, sid)[("reflection", "reflection:challenges", 0)] == typed[loser]
    expect(first.key(key).locator("textarea")).to_have_value(typed[loser], timeout=LIVE_UPDATE_MS)
    expect(second.page.get_by_role("button", name="Save my text instead")).to_have_count(0)

    # Typing over a save you haven't seen yet is a clash too, not a silent overwrite.
    key = note_key(sid, "reflection", "reflection:successes")
    still_typing = "Mentee, still typing: the export shipped"
    pals_text = "PAL: export shipped on time, customer happy"
    area = mentee.key(key).locator("textarea")
    area.fill(still_typing)  # not left yet, so not committed
    seen = mentee.runs.started
    pal.write(key, pals_text)
    mentee.runs.wait_past(seen, timeout=LIVE_UPDATE_MS)  # her page noticed the save and reran
    wait_idle(mentee.page)
    expect(area).to_have_value(still_typing)  # the browser keeps what she is typing
    mentee.act(lambda: area.press("Tab"))
    mentee.expect_text("changed this while you were typing")
    mentee.expect_value(key, pals_text)
    assert note_bodies(server.db_path, sid)[("reflection", "reflection:successes", 0)] == pals_text
    # She merges both by hand; the clash is settled and the PAL sees the merge live.
    merged = f"{pals_text}\n{still_typing}"
    mentee.write(key, merged)
    expect(mentee.page.get_by_role("button", name="Save my text instead")).to_have_count(0)
    assert note_bodies(server.db_path, sid)[("reflection", "reflection:successes", 0)] == merged
    expect(pal.key(key).locator("textarea")).to_have_value(merged, timeout=LIVE_UPDATE_MS)

    # 7. Hostile text in a note: 20,000 characters fill the box, typing more is refused,
    # and all of it is saved as typed.
    key = note_key(sid, "reflection", "reflection:kpis")
    area = mentee.key(key).locator("textarea")
    area.fill(LONG)
    area.press("End")
    area.press_sequentially("more")
    expect(area).to_have_value(LONG)
    mentee.act(lambda: area.press("Tab"))
    assert note_bodies(server.db_path, sid)[("reflection", "reflection:kpis", 0)] == LONG
    expect(pal.key(key).locator("textarea")).to_have_value(LONG, timeout=LIVE_UPDATE_MS)
    assert_inert(mentee, "mentee's Reflection")

    # ...in a feedback answer, which the other person reads as formatted text...
    mentee.open("closing", sid)
    answer = mentee.page.locator(f'[class*="st-key-note-{sid}-closing-feedback-mentee-"] textarea').first
    mentee.act(lambda: (answer.fill(HOSTILE), answer.press("Tab")))
    assert [b for (phase, slot, _), b in note_bodies(server.db_path, sid).items()
            if phase == "closing" and slot.startswith("feedback:mentee:")] == [HOSTILE]

    # ...and in an agenda point (a one-line box of 500 characters).
    mentee.open("prepare", sid)
    point = mentee.key(f"agenda:new:{sid}:point").locator("input")
    point.fill(LONG_LINE)
    point.press("End")
    point.press_sequentially("more")
    expect(point).to_have_value(LONG_LINE)
    mentee.act(lambda: point.press("Enter"))
    assert rows(server.db_path, "SELECT text FROM agenda_item WHERE session_id = ?", (sid,)) == [(LONG_LINE,)]
    mentee.click("prepare:share")
    mentee.expect_text("Shared with Pat Pal")
    expect(mentee.page.locator('[data-testid="stCode"]')).to_contain_text(HOSTILE)
    assert_inert(mentee, "Prepare")

    # The PAL reads all of it as text: the agenda on Get ready, the answer on Closing.
    pal.open("get_ready", sid)
    pal.expect_text(HOSTILE)
    assert_inert(pal, "Get ready")
    pal.open("closing", sid)
    pal.expect_text(HOSTILE)
    assert_inert(pal, "Closing")

    for person in people.values():
        assert person.dialogs == []
    assert integrity(server.db_path) == "ok"
    assert browser_errors == [], "\n".join(browser_errors)
