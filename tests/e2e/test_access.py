"""The access-control matrix on the running app (issue 6, part 1).

Four people, seeded through the core straight into the server's database
(tests/trust_world.py): Ava (mentee) and Bram (PAL) in P1, Cyd and Dee in P2. Cyd,
signed in, tries every page deep link with every P1 session id, odd and mixed query
parameters, on a freshly started server (the deep link is its very first request, the
sign-in cookie already set) and on a warm one (after Ava and Bram have opened P1): zero
successes, no P1 text anywhere on the page, no download offered there, and Cyd's own
files hold nothing of P1. Private notes show only to their author, on every page and in
every file the page offers.

Below the pages, every exporting function, summary and AI request is probed by
tests/test_trust.py, and every Store method by tests/test_store.py::ACCESS_MATRIX.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trust_world as tw
from playwright.sync_api import Page, expect

from pal_core.store import Store

from .conftest import StreamlitServer
from .helpers import (
    APP,
    HISTORY_TABS,
    SLOW_MS,
    assert_no_exception,
    by_key,
    expect_text,
    open_tab,
    visit,
    wait_idle,
)

pytestmark = pytest.mark.e2e

NO_ACCESS = "That session was not found, or you don't have access to it."
SESSION_PAGES = ["prepare", "get_ready", "reflection", "development", "planning", "closing", "summary"]
OTHER_PAGES = {"": "Your pairings", "history": "History", "questions": "Question bank", "settings": "Settings"}
# Everything in the app's DOM a person could read: text, hidden text (collapsed
# expanders) and the values of every field.
PAGE_TEXT = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const fields = [...app.querySelectorAll('textarea, input')].map(e => e.value);
  return app.textContent + '\\n' + fields.join('\\n');
}"""


def page_text(page: Page) -> str:
    return page.evaluate(PAGE_TEXT)


def leaks(text: str, markers=tw.P1_ALL) -> list[str]:
    return [m for m in markers if m in text]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tw.World:
    return tw.build(tmp_path_factory.mktemp("access") / "pal.db")


@pytest.fixture(scope="module")
def srv(world, tmp_path_factory):
    server = StreamlitServer(tmp_path_factory.mktemp("access-server"), db_path=world.db_path).start()
    yield server
    server.stop()


def signed_in_as(new_context, server: StreamlitServer, db_path: Path, person_id: int, label: str) -> Page:
    """A browser context already holding the person's pal_token cookie: its first
    request is signed in, as after an earlier sign-in in that browser."""
    context = new_context(label)
    context.add_cookies([{"name": "pal_token", "value": tw.cookie_token(db_path, person_id), "url": server.url}])
    return context.new_page()


def expect_refused(page: Page, server: StreamlitServer, url: str) -> None:
    visit(page, url)
    expect_text(page, NO_ACCESS, SLOW_MS)
    text = page_text(page)
    assert not leaks(text), (url, leaks(text))
    expect(page.locator('[data-testid="stDownloadButton"]')).to_have_count(0)
    assert_no_exception(page, server)


def download(page: Page, key: str) -> str:
    with page.expect_download() as info:
        by_key(page, key).locator("button").first.click()  # (the second is a help icon)
    return Path(info.value.path()).read_text(encoding="utf-8")


# --- a freshly started server: the foreign deep link is its very first request -----------------


@pytest.mark.parametrize("first", ["summary?session={done}", "prepare?session={prep}", "reflection?session={live}"])
def test_fresh_server_first_request_is_a_foreign_deep_link(world, fresh_server, new_context, browser_errors, tmp_path, first):
    copy = tmp_path / "copy.db"
    source = Store(world.db_path)
    source.backup_to(copy)  # online backup: right even while the module's server has it open
    source.close()
    server = fresh_server(db_path=copy)
    page = signed_in_as(new_context, server, copy, world.cyd, "Cyd")
    expect_refused(page, server, f"{server.url}/{first.format(done=world.done, prep=world.prep, live=world.live)}")
    assert browser_errors == []


# --- a warm server: the members have opened P1 first ---------------------------------------------


def outsider_urls(w: tw.World) -> list[str]:
    urls = [f"{page}?session={sid}" for page in SESSION_PAGES for sid in w.p1_sessions]
    urls += [
        f"reflection?session={w.p2_next}&session={w.live}",  # the last value counts
        f"summary?session={w.done}&pairing={w.p2}",
        f"closing?session={w.live}&pairing={w.p1}",
        f"summary?session=%20{w.done}%20",
        f"planning?session={w.note_ids[0]}",  # a note id (= a P1 session id by number)
        "reflection?session=99999999999999999999999",  # too large for SQLite
        "reflection?session=-1",
        "summary?session=1e3",
    ]
    return urls


def test_outsider_reaches_nothing_of_p1_on_a_warm_server(world, srv, new_context, browser_errors):
    # Warm: Ava has the completed session open (this is also the positive control: the
    # markers the outsider must not see are on this very page for a member).
    ava = signed_in_as(new_context, srv, world.db_path, world.ava, "Ava")
    visit(ava, f"{srv.url}/summary?session={world.done}")
    expect_text(ava, tw.SHARED, SLOW_MS)
    seen = page_text(ava)
    assert "Ava Quill" in seen and f"{tw.SHARED} agenda point" in seen

    page = signed_in_as(new_context, srv, world.db_path, world.cyd, "Cyd")
    for url in outsider_urls(world):
        expect_refused(page, srv, f"{srv.url}/{url}")
    # Pages that don't take a session: the outsider's own pairing only, whatever the URL says.
    for name, title in OTHER_PAGES.items():
        visit(page, f"{srv.url}/{name}?session={world.done}&pairing={world.p1}")
        expect(page.get_by_role("heading", name=title)).to_be_visible()
        wait_idle(page, SLOW_MS)
        text = page_text(page)
        assert not leaks(text), (name, leaks(text))
        assert_no_exception(page, srv)
    # The outsider's own session still opens (so the refusals above were not an outage).
    visit(page, f"{srv.url}/summary?session={world.p2_done}")
    expect_text(page, tw.P2_OWN, SLOW_MS)
    assert browser_errors == []


def test_outsider_downloads_hold_nothing_of_p1(world, srv, new_context):
    page = signed_in_as(new_context, srv, world.db_path, world.cyd, "Cyd")
    visit(page, f"{srv.url}/history")
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    wait_idle(page, SLOW_MS)
    open_tab(page, "Running document")
    files = {key: download(page, key) for key in ("history:export_json", "history:running_md", "history:running_html")}
    visit(page, f"{srv.url}/summary?session={world.p2_done}")
    expect_text(page, tw.P2_OWN, SLOW_MS)
    files["summary:download_md"] = download(page, "summary:download_md")
    files["summary:download_ics"] = download(page, "summary:download_ics")
    assert tw.P2_OWN in files["history:export_json"] and tw.P2_OWN in files["summary:download_md"]
    for key, content in files.items():
        assert not leaks(content), (key, leaks(content))
    assert [p["mentee"] for p in json.loads(files["history:export_json"])["pairings"]] == [world.email("cyd")]


# --- private notes: only their author sees them, on every page and in every file ------------------


MEMBER_PAGES = [
    # (who, path, the person's own private text expected there (or None))
    ("ava", "reflection?session={live}", f"{tw.PRIVATE_AVA} live reflection"),
    ("ava", "development?session={live}", f"{tw.PRIVATE_AVA} live development"),
    ("ava", "planning?session={live}", f"{tw.PRIVATE_AVA} live planning"),
    ("ava", "closing?session={live}", f"{tw.PRIVATE_AVA} live closing"),
    ("ava", "reflection?session={done}", f"{tw.PRIVATE_AVA} reflection"),
    ("ava", "closing?session={done}", None),
    ("ava", "summary?session={done}", None),
    ("ava", "get_ready?session={live}", None),
    ("ava", "history", None),
    ("bram", "get_ready?session={live}", f"{tw.PRIVATE_BRAM} live prep"),
    ("bram", "reflection?session={live}", f"{tw.PRIVATE_BRAM} live reflection"),
    ("bram", "development?session={live}", None),
    ("bram", "planning?session={live}", f"{tw.PRIVATE_BRAM} live planning"),
    ("bram", "closing?session={done}", f"{tw.PRIVATE_BRAM} closing"),
    ("bram", "summary?session={done}", None),
    ("bram", "prepare?session={prep}", None),
    ("bram", "get_ready?session={prep}", None),
    ("bram", "reflection?session={prep}", None),
    ("bram", "history", None),
]


@pytest.mark.parametrize("who", ["ava", "bram"])
def test_private_notes_show_only_to_their_author(world, srv, new_context, browser_errors, who):
    other = tw.PRIVATE_BRAM if who == "ava" else tw.PRIVATE_AVA
    hidden = (other,) if who == "ava" else (other, tw.UNSHARED)  # the PAL never sees unshared prep
    page = signed_in_as(new_context, srv, world.db_path, getattr(world, who), who)
    for person, path, own in MEMBER_PAGES:
        if person != who:
            continue
        visit(page, f"{srv.url}/{path.format(done=world.done, live=world.live, prep=world.prep)}")
        if own is not None:
            # Private notes are drawn only once their section is opened (ui.lazy_expander).
            closed = page.locator('[data-testid="stExpander"] details:not([open]) summary').filter(
                has_text="My private notes")
            if closed.count():
                closed.click()
            expect(page.locator(APP)).to_contain_text("only you see this", timeout=SLOW_MS)
            wait_idle(page, SLOW_MS)
        text = page_text(page)
        if path == "history":  # each tab draws its part only while open: read them all
            for tab in list(HISTORY_TABS)[1:]:
                open_tab(page, tab)
                text += page_text(page)
        assert NO_ACCESS not in text, path  # the page really shows the member's data
        assert not leaks(text, hidden), (path, leaks(text, hidden))
        if own is not None:
            assert own in text, (path, own)
        if path.startswith("summary"):
            assert not leaks(text, (tw.PRIVATE_AVA, tw.PRIVATE_BRAM)), path  # the summary is shared
        assert_no_exception(page, srv)

    # Every file the pages offer: no one else's private note; only the JSON holds one's own.
    visit(page, f"{srv.url}/summary?session={world.done}")
    expect_text(page, tw.SHARED, SLOW_MS)
    files = {"summary:download_md": download(page, "summary:download_md")}
    visit(page, f"{srv.url}/history")
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    wait_idle(page, SLOW_MS)
    open_tab(page, "Running document")
    for key in ("history:export_json", "history:running_md", "history:running_html"):
        files[key] = download(page, key)
    own = tw.PRIVATE_AVA if who == "ava" else tw.PRIVATE_BRAM
    for key, content in files.items():
        assert tw.SHARED in content, key
        assert not leaks(content, hidden), (key, leaks(content, hidden))
        assert (own in content) == (key == "history:export_json"), key
    assert browser_errors == []
