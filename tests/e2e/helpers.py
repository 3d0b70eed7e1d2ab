"""Small verbs for driving the app in the browser. Every action waits for the app to
settle: first for the text the action should produce, then for the script to be idle.
Never sleep.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
TIMEOUT_MS = 15_000
# Session pages rerun a timer fragment every 2 s; on a busy machine (others run browser
# tests too) the page is idle only now and then, so waits get a generous budget.
SLOW_MS = 45_000

APP = '[data-testid="stApp"]'
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
STATUS = '[data-testid="stStatusWidget"]'


def key_class(key: str) -> str:
    """The CSS class Streamlit 1.67 gives an element made with key=`key`: st-key- plus
    the key with every character outside [A-Za-z0-9_-] turned into '-'
    ("signup:name" -> "st-key-signup-name")."""
    return "st-key-" + re.sub(r"[^A-Za-z0-9_-]", "-", key.strip())


def by_key(page: Page, key: str) -> Locator:
    """The element created with key=`key`; `~=` matches one whole class name."""
    return page.locator(f'[class~="{key_class(key)}"]')


def wait_idle(page: Page, timeout: int = TIMEOUT_MS) -> None:
    """The script has finished its run. Call after expecting the action's result: just
    after a click the state may still read notRunning before the rerun starts."""
    expect(page.locator(IDLE)).to_have_count(1, timeout=timeout)
    expect(page.locator(STATUS)).to_have_count(0, timeout=timeout)


def visit(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator(APP)).to_be_visible(timeout=SLOW_MS)
    wait_idle(page, SLOW_MS)


class Runs:
    """Counts the runs one page asked for, from the websocket: `started` goes up when a
    run begins that a person's action caused (the whole app, or a fragment such as a note
    box saving itself), `finished` holds the number of the last such run that ended
    successfully. The timer's runs every 2 s (a fragment the server told the page to rerun
    on its own, `auto_rerun`) don't count. The DOM can't tell: the timer flips the same
    "running" state."""

    def __init__(self, page: Page):
        self.started = self.finished = self._current = 0
        self.full = 0  # how many of the started runs were of the whole app
        self.ticks = 0  # timer runs finished
        self.ws = None
        self._timed: set[str] = set()  # fragment ids that rerun on a timer
        page.on("websocket", self._attach)

    def _attach(self, ws) -> None:
        self.ws = ws
        ws.on("framereceived", lambda payload: self._frame(ws, payload))

    def _frame(self, ws, payload) -> None:
        if ws is not self.ws or isinstance(payload, str):  # only the page's latest connection
            return
        msg = ForwardMsg.FromString(payload)
        kind = msg.WhichOneof("type")
        if kind == "auto_rerun":
            self._timed.add(msg.auto_rerun.fragment_id)
        elif kind == "new_session":
            fragments = set(msg.metadata.run.fragment_ids)
            if fragments and fragments <= self._timed:
                self._current = -1
            else:
                self.started += 1
                self.full += not fragments
                self._current = self.started
        elif kind == "script_finished" and msg.script_finished in (
                ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
            if self._current > 0:
                self.finished = self._current
            elif self._current < 0:
                self.ticks += 1

    def _until(self, done, what: str, timeout: int) -> None:
        """Each frame is awaited (no sleeping); the deadline bounds the whole wait."""
        deadline = time.monotonic() + timeout / 1000
        while not done():
            assert self.ws is not None, "the page has no websocket"
            left_ms = (deadline - time.monotonic()) * 1000
            assert left_ms > 0, f"no {what} within {timeout} ms"
            try:  # in slices: after a reconnect the socket to listen on is a new one
                self.ws.wait_for_event("framereceived", timeout=min(left_ms, 1_000))
            except PlaywrightTimeout:
                pass

    def wait_past(self, before: int, timeout: int = TIMEOUT_MS) -> None:
        """Until a run that started after `before` runs had started has finished (the
        timer fragment sends frames every 2 s whether or not such a run comes)."""
        self._until(lambda: self.finished > before, "script run", timeout)

    def wait_ticks(self, count: int, timeout: int = TIMEOUT_MS) -> None:
        """Until the timer has run `count` more times: what the page does meanwhile."""
        target = self.ticks + count
        self._until(lambda: self.ticks >= target, f"{count} timer runs", timeout)


def expect_text(page: Page, text: str, timeout: int = TIMEOUT_MS) -> None:
    expect(page.locator(APP)).to_contain_text(text, timeout=timeout)
    wait_idle(page, timeout)


def expect_no_text(page: Page, text: str) -> None:
    expect(page.locator(APP)).not_to_contain_text(text)


def assert_no_exception(page: Page, server=None) -> None:
    """No error box on the page; with `server`, a failure shows the end of its log
    (the page itself only says the details were redacted)."""
    try:
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    except AssertionError as error:
        if server is None:
            raise
        raise AssertionError(f"{error}\n--- server log ---\n{server.log_tail()}") from None


def click_button(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def fill_input(page: Page, key: str, text: str) -> None:
    """Type into the text input with this key (committed by a form submit, Enter or blur)."""
    by_key(page, key).locator("input").fill(text)


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator(APP)).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page)


def sign_up(page: Page, url: str, name: str, email: str, password: str) -> None:
    """Create an account from the sign-in page; ends on "Your pairings" with the sign-in
    cookie set (a page opened next by URL must find it)."""
    open_app(page, url)
    page.get_by_role("tab", name="Create an account").click()
    fill_input(page, "signup:name", name)
    fill_input(page, "signup:email", email)
    fill_input(page, "signup:password", password)
    fill_input(page, "signup:password2", password)
    click_button(page, "Create account")
    expect(page.get_by_role("heading", name="Your pairings")).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_sign_in_cookie(page)
    wait_idle(page)


def sign_in(page: Page, url: str, email: str, password: str) -> None:
    """Sign in from the sign-in page; ends on "Your pairings" with the sign-in cookie set."""
    open_app(page, url)
    fill_input(page, "signin:email", email)
    fill_input(page, "signin:password", password)
    click_button(page, "Sign in")
    expect(page.get_by_role("heading", name="Your pairings")).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_sign_in_cookie(page)
    wait_idle(page)


def wait_for_sign_in_cookie(page: Page) -> None:
    """The remember-me cookie is written by a script the page renders, maybe just after
    the heading that says the sign-in worked."""
    page.wait_for_function("document.cookie.includes('pal_token=')", timeout=SLOW_MS)


# History's tabs and the keyed container each draws (views/history.py).
HISTORY_TABS = {"How the mentee is doing": "rating", "Actions": "actions", "Goals": "goals",
                "Feedback over time": "feedback", "Running document": "document"}


def open_tab(page: Page, name: str) -> None:
    """Select one of History's tabs and wait for its part: a tab draws its content only
    while open (st.tabs(on_change="rerun")), so selecting one reruns the page."""
    page.get_by_role("tab", name=name, exact=True).click()
    expect(by_key(page, f"history:part:{HISTORY_TABS[name]}")).to_be_visible(timeout=SLOW_MS)
    wait_idle(page, SLOW_MS)


def expect_sign_in_page(page: Page) -> None:
    expect(page.get_by_role("tab", name="Sign in")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_role("tab", name="Create an account")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    wait_idle(page)


def screenshot(page: Page, name: str) -> Path | None:
    """Save docs/screenshots/<name>.png when PAL_SCREENSHOTS=1 (for the README)."""
    if os.environ.get("PAL_SCREENSHOTS") != "1":
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
