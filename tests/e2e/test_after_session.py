"""After the session, in the browser: complete it, read the drafted summary, download
the session's Markdown and the running document."""

import datetime as dt

import pytest

from pal_core import auth
from pal_core.models import NewAction, NewSession, Phase, RatingInput, Role, Visibility
from pal_core.store import Store

from .helpers import assert_no_exception, expect_text, open_app, open_tab, screenshot, wait_idle

pytestmark = pytest.mark.e2e

ACTION = "Write and merge 10 unit tests for Project X by next Friday"
PRIVATE = "PRIVATEWORDS83a"


def download_button(page, label: str):
    wait_idle(page)
    return page.get_by_test_id("stDownloadButton").filter(has_text=label).get_by_role("button", name=label)


def test_complete_session_then_download_summary_and_running_document(server, new_context):
    store = Store(server.db_path)
    ana = auth.sign_up(store, "ana.after@example.com", "Ana", "correct horse battery")
    ben = auth.sign_up(store, "ben.after@example.com", "Ben", "correct horse battery")
    pairing = store.accept_invite(ben.id, store.create_invite(ana.id, Role.MENTEE))
    now = dt.datetime.now(dt.timezone.utc)
    session = store.schedule_session(ana.id, pairing.id, NewSession.at(now + dt.timedelta(minutes=10), now=now))
    store.save_rating(ana.id, session.id, RatingInput(rating=7, why="Good week", plus_one="More focus time"))
    store.share_agenda(ana.id, session.id)
    store.save_note(ben.id, session.id, Phase.REFLECTION, "reflection:successes", "Shipped the API", expected_version=None)
    store.save_note(ben.id, session.id, Phase.PLANNING, "private", PRIVATE, visibility=Visibility.PRIVATE, expected_version=None)
    store.add_action(ben.id, session.id, NewAction(text=ACTION, owner=Role.MENTEE))
    store.close()

    context = new_context("pal")
    context.add_cookies([{"name": "pal_token", "value": auth.issue_token(Store(server.db_path), ben), "url": server.url}])
    page = context.new_page()
    open_app(page, f"{server.url}/closing?session={session.id}")
    expect_text(page, "Complete session and draft the summary")
    page.get_by_role("button", name="Complete session and draft the summary").click()
    expect_text(page, "Session summary")
    assert_no_exception(page, server)
    body = page.locator('[data-testid="stApp"]').inner_text()
    assert ACTION in body and "7/10" in body and PRIVATE not in body
    screenshot(page, "summary")

    with page.expect_download() as download:
        download_button(page, "Summary (Markdown)").click()
    markdown = open(download.value.path(), encoding="utf-8").read()
    assert download.value.suggested_filename.endswith(".md")
    assert ACTION in markdown and "Shipped the API" in markdown and PRIVATE not in markdown

    open_app(page, f"{server.url}/history")
    open_tab(page, "Running document")
    expect_text(page, "Running document (Markdown)")
    assert_no_exception(page, server)
    with page.expect_download() as download:
        download_button(page, "Running document (Markdown)").click()
    running = open(download.value.path(), encoding="utf-8").read()
    assert ACTION in running and PRIVATE not in running
    with page.expect_download() as download:
        download_button(page, "Running document (printable page)").click()
    printable = open(download.value.path(), encoding="utf-8").read()
    assert printable.lstrip().lower().startswith("<!doctype html") and ACTION in printable
