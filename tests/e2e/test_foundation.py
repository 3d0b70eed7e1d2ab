"""The foundation in a real browser: two people sign up, pair with an invite code and
schedule a session; sign-in survives a reload; signed-out deep links land on sign-in;
someone outside a pairing can't open its session by URL."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pal_core import auth
from pal_core.models import NewSession, Role
from pal_core.store import Store

from .helpers import (
    assert_no_exception,
    by_key,
    click_button,
    expect_no_text,
    expect_sign_in_page,
    expect_text,
    fill_input,
    open_app,
    screenshot,
    sign_in,
    sign_up,
    wait_idle,
)

pytestmark = pytest.mark.e2e

PASSWORD = "plum tree by the river"
CODE = re.compile(r"^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$")
NO_ACCESS = "not found, or you don't have access"


def listed_when(day: dt.date, hour: int = 10) -> str:
    """How the pairings page shows a session time (the browser runs in UTC)."""
    return dt.datetime.combine(day, dt.time(hour, 0)).strftime("%a %d %b %Y, %H:%M")


def session_ids(page: Page) -> list[int]:
    """Ids of the sessions listed, read from their buttons' keys (home:open:<id>)."""
    classes = page.locator('[class*="st-key-home-open-"]').evaluate_all("els => els.map(e => e.className)")
    return [int(m) for c in classes for m in re.findall(r"st-key-home-open-(\d+)", c)]


def cookies(page: Page) -> dict[str, dict]:
    return {cookie["name"]: cookie for cookie in page.context.cookies()}


def seed_pairing(db_path: Path) -> dict:
    """Ada (mentee) and Bo (PAL), paired, with one session next week: written through
    the core, as the app would, into the DB file a server uses."""
    store = Store(db_path)
    try:
        ada = auth.sign_up(store, "ada.seed@example.com", "Ada Seeded", PASSWORD)
        bo = auth.sign_up(store, "bo.seed@example.com", "Bo Seeded", PASSWORD)
        pairing = store.accept_invite(bo.id, store.create_invite(ada.id, Role.MENTEE))
        now = dt.datetime.now(dt.timezone.utc)
        session = store.schedule_session(ada.id, pairing.id, NewSession.at(now + dt.timedelta(days=3), now=now))
    finally:
        store.close()
    return {"session_id": session.id, "names": ["Ada Seeded", "Bo Seeded"]}


def test_two_people_pair_schedule_and_stay_signed_in(server, new_context, browser_errors):
    ada = new_context("Ada").new_page()
    bo = new_context("Bo").new_page()

    sign_up(ada, server.url, "Ada Lovelace", "ada@example.com", PASSWORD)
    expect_text(ada, "You are not paired with anyone yet")
    token = cookies(ada)["pal_token"]
    assert token["sameSite"] == "Strict" and token["path"] == "/", token
    assert token["expires"] > time.time() + 13 * 86_400, token  # remembered for 14 days
    screenshot(ada, "pairings-empty")
    sign_up(bo, server.url, "Bo Pal", "bo@example.com", PASSWORD)

    # Ada invites as the mentee (the radio's first choice).
    by_key(ada, "home:role").get_by_text("mentee", exact=True).click()
    click_button(ada, "Create invite code")
    code_cell = ada.locator('[data-testid="stMarkdown"] code').filter(has_text=re.compile(CODE.pattern))
    expect(code_cell).to_have_count(1)
    wait_idle(ada)
    code = code_cell.inner_text().strip()
    assert CODE.match(code), code

    # Bo joins with it and becomes the PAL.
    fill_input(bo, "home:code", code)
    click_button(bo, "Join pairing")
    expect_text(bo, "With Ada Lovelace")
    expect_text(bo, "You are the PAL")

    # Ada sees the pairing after a reload: the pal_token cookie keeps her signed in.
    ada.reload()
    expect_text(ada, "With Bo Pal")
    expect_text(ada, "You are the mentee")

    # Ada schedules a session at the form's default: next week, 10:00.
    next_week = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7)).date()
    click_button(ada, "Schedule")
    expect_text(ada, "Sessions (1)")
    expect_text(ada, listed_when(next_week))
    expect(ada.get_by_role("button", name="Prepare", exact=True)).to_have_count(1)
    screenshot(ada, "pairings-scheduled")

    # Bo sees it too (as the PAL he opens it rather than prepares).
    bo.reload()
    expect_text(bo, "Sessions (1)")
    expect_text(bo, listed_when(next_week))
    expect(bo.get_by_role("button", name="Open", exact=True)).to_have_count(1)
    assert session_ids(ada) == session_ids(bo) and len(session_ids(ada)) == 1

    # Still there, and Ada still signed in, after another reload.
    ada.reload()
    expect_text(ada, "Sessions (1)")
    expect_text(ada, listed_when(next_week))

    # Signing out returns to sign-in and forgets the cookie.
    ada.get_by_role("button", name="Sign out").click()
    expect_sign_in_page(ada)
    expect_no_text(ada, "Your pairings")
    assert "pal_token" not in cookies(ada)
    ada.reload()
    expect_sign_in_page(ada)
    expect_no_text(ada, "Bo Pal")

    # Signing in again brings the same pairing and session back.
    sign_in(ada, server.url, "ada@example.com", PASSWORD)
    expect_text(ada, "Sessions (1)")

    for person in (ada, bo):
        assert_no_exception(person, server)
    assert browser_errors == []


@pytest.mark.parametrize("path", ["/reflection?session=1", "/home"])
def test_deep_link_on_fresh_server_lands_on_sign_in(fresh_server, new_context, browser_errors, tmp_path, path):
    db_path = tmp_path / "seeded.db"
    seeded = seed_pairing(db_path)
    assert seeded["session_id"] == 1
    srv = fresh_server(db_path=db_path)

    page = new_context("visitor").new_page()
    page.goto(srv.url + path)  # the first page this server ever serves
    expect_sign_in_page(page)
    expect(page.get_by_role("heading", name="PAL Sessions")).to_be_visible()
    for text in ["Your pairings", "Coming soon", *seeded["names"]]:
        expect_no_text(page, text)
    expect(page.get_by_role("heading", name=re.compile("reflection|pairings", re.I))).to_have_count(0)
    assert_no_exception(page, srv)
    # Streamlit logs this when the URL names a page the signed-out navigation doesn't
    # have: the gate working as intended, not a fault.
    gate = "The page that you have requested does not seem to exist"
    assert [e for e in browser_errors if gate not in e] == []


def test_someone_outside_the_pairing_cannot_open_its_session(server, new_context, browser_errors):
    seeded = seed_pairing(server.db_path)
    outsider = new_context("outsider").new_page()
    sign_up(outsider, server.url, "Cy Outsider", "cy@example.com", PASSWORD)

    open_app(outsider, f"{server.url}/reflection?session={seeded['session_id']}")
    expect_text(outsider, NO_ACCESS)
    for name in seeded["names"]:
        expect_no_text(outsider, name)
    assert_no_exception(outsider, server)
    assert browser_errors == []
