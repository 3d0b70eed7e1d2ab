"""Sign-in hardening in a real browser (issue 6, part 2): signing out in one tab ends the
session in every tab of that browser and the token server-side; failed sign-ins are
throttled with one message that never says whether the account exists. The page-level
details (per-client limits, password rules, the identity provider) are in
tests/test_views_auth.py; the identity-provider flow itself in tests/e2e/test_oidc.py."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from pal_core import auth
from pal_core.models import NewSession, Role
from pal_core.store import Store

from .helpers import (
    APP,
    SLOW_MS,
    assert_no_exception,
    click_button,
    expect_sign_in_page,
    expect_text,
    fill_input,
    sign_in,
    visit,
    wait_idle,
)

pytestmark = pytest.mark.e2e

PASSWORD = "plum tree by the river"
LIVE_POLL_MS = 20_000  # the session pages' timer fragment runs every 2 s (slack for a busy machine)


@pytest.fixture(scope="module")
def seeded(server) -> dict:
    """Eve (mentee) and Fin (PAL) with a session in an hour; Solo without a pairing."""
    store = Store(server.db_path)
    try:
        eve = auth.sign_up(store, "eve@example.com", "Eve Mentee", PASSWORD)
        fin = auth.sign_up(store, "fin@example.com", "Fin Pal", PASSWORD)
        solo = auth.sign_up(store, "solo@example.com", "Solo Person", PASSWORD)
        pairing = store.accept_invite(fin.id, store.create_invite(eve.id, Role.MENTEE))
        now = dt.datetime.now(dt.timezone.utc)
        session = store.schedule_session(eve.id, pairing.id, NewSession.at(now + dt.timedelta(hours=1), now=now))
    finally:
        store.close()
    return {"eve": eve, "solo": solo, "pairing": pairing.id, "session": session.id}


def token_of(page: Page) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == "pal_token"), None)


def test_sign_out_in_one_tab_ends_every_tab_and_the_token(server, seeded, new_context, browser_errors):
    context = new_context("Eve")
    first = context.new_page()
    sign_in(first, server.url, "eve@example.com", PASSWORD)
    token = token_of(first)
    assert token

    # Two more tabs of the same browser, signed in by the cookie: a session page (with its
    # live timer) and the pairings page.
    live = context.new_page()
    visit(live, f"{server.url}/reflection?session={seeded['session']}")
    expect(live.get_by_role("heading", name="Reflection")).to_be_visible()
    idle = context.new_page()
    visit(idle, server.url)
    expect_text(idle, "With Fin Pal", SLOW_MS)

    first.get_by_role("button", name="Sign out").click()
    expect_sign_in_page(first)
    assert token_of(first) is None
    store = Store(server.db_path)
    try:
        assert auth.person_for_token(store, token) is None  # invalid server-side
    finally:
        store.close()

    # The session page notices on its own, at the timer's next tick.
    expect(live.get_by_role("tab", name="Sign in")).to_be_visible(timeout=LIVE_POLL_MS)
    expect(live.locator(APP)).not_to_contain_text("Eve Mentee")
    # The pairings page at its next interaction.
    idle.locator('[data-testid="stExpander"] summary').filter(has_text="Schedule a session").click()
    expect_sign_in_page(idle)
    expect(idle.locator(APP)).not_to_contain_text("Fin Pal")
    for tab in (live, idle):
        tab.reload()
        expect_sign_in_page(tab)
        assert_no_exception(tab, server)
    store = Store(server.db_path)
    try:
        assert store.count_sessions(seeded["eve"].id, seeded["pairing"]) == 1  # the stale tab's click scheduled nothing
    finally:
        store.close()
    assert browser_errors == []


def try_sign_in(page: Page, url: str, email: str, password: str) -> str:
    """One attempt from a fresh page (so the message read is this attempt's own)."""
    visit(page, url)
    fill_input(page, "signin:email", email)
    fill_input(page, "signin:password", password)
    click_button(page, "Sign in")
    alert = page.locator('[data-testid="stAlert"]')
    expect(alert).to_have_count(1, timeout=SLOW_MS)
    wait_idle(page, SLOW_MS)
    return alert.inner_text().strip()


def test_failed_sign_ins_are_throttled_without_saying_whether_the_account_exists(server, seeded, new_context,
                                                                                 browser_errors):
    page = new_context("guesser").new_page()
    unknown = try_sign_in(page, server.url, "nobody-here@example.com", "a wrong password here")
    messages = [try_sign_in(page, server.url, "solo@example.com", "a wrong password here")
                for _ in range(auth.MAX_FAILURES_PER_ACCOUNT)]
    assert set(messages) == {unknown} and "don't match an account" in unknown
    throttled = try_sign_in(page, server.url, "solo@example.com", PASSWORD)  # the right password, too late
    assert "Too many failed sign-ins" in throttled and "15 minutes" in throttled
    expect_sign_in_page(page)
    expect(page.locator(APP)).not_to_contain_text("Your pairings")
    assert_no_exception(page, server)
    assert browser_errors == []
