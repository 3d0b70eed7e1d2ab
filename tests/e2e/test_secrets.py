"""Secrets and the AI (issue 6, parts 6 and 1): with an LLM key configured, people use
every assisted action through the real server — follow-up questions, a SMART rewrite, a
summary redraft (once refused by the provider with the key echoed in its error) — and
then the key is nowhere: not in the database file or its WAL, not in the server log, not
on any page (Settings names the model and endpoint only). The requests themselves carried
the key (as a header) and never a private note or the mentee's unshared preparation.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import trust_world as tw
from llm_server import LLMServer, ok, status
from playwright.sync_api import Page, expect

from .conftest import StreamlitServer
from .helpers import APP, SLOW_MS, assert_no_exception, expect_text, visit

pytestmark = pytest.mark.e2e

KEY = f"sk-test-SECRET-{secrets.token_hex(12)}"
MODEL = "pal-test-model"
AI = "Suggested by the AI model"
PAGE_TEXT = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const fields = [...app.querySelectorAll('textarea, input')].map(e => e.value);
  return app.textContent + '\\n' + fields.join('\\n');
}"""


@pytest.fixture(scope="module")
def llm():
    with LLMServer() as server:
        yield server


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tw.World:
    return tw.build(tmp_path_factory.mktemp("secrets") / "pal.db")


@pytest.fixture(scope="module")
def ai_server(world, llm, tmp_path_factory):
    server = StreamlitServer(
        tmp_path_factory.mktemp("secrets-server"), db_path=world.db_path,
        env={"PAL_LLM_BASE_URL": llm.base_url, "PAL_LLM_MODEL": MODEL, "PAL_LLM_API_KEY": KEY,
             "PAL_LLM_BUDGET_S": "15"},
    ).start()
    yield server
    server.stop()


def signed_in(new_context, server: StreamlitServer, db_path: Path, person_id: int, label: str) -> Page:
    context = new_context(label)
    context.add_cookies([{"name": "pal_token", "value": tw.cookie_token(db_path, person_id), "url": server.url}])
    return context.new_page()


def texts_seen(page: Page, shown: list[str]) -> None:
    shown.append(page.evaluate(PAGE_TEXT))


def files_holding(paths: list[Path], needle: bytes) -> list[str]:
    return [str(p) for p in paths if p.is_file() and needle in p.read_bytes()]


def test_an_open_ai_preview_shows_the_answer_just_typed(world, llm, ai_server, new_context, browser_errors):
    """A note box saves with a run of its own; while "What will be sent to the AI" is
    open beside it, the save reruns the page so that the preview is what a click sends."""
    ava = signed_in(new_context, ai_server, world.db_path, world.ava, "Ava")
    visit(ava, f"{ai_server.url}/reflection?session={world.live}")
    preview = ava.locator('[data-testid="stExpander"]').filter(
        has=ava.locator("summary", has_text="What will be sent to the AI")).first
    preview.locator("summary").click()
    expect(preview.locator('[data-testid="stCode"]')).to_be_visible(timeout=SLOW_MS)
    answer = "Shipped the export; the review queue is down to three"
    box = ava.locator(f'[class*="st-key-note-{world.live}-reflection-"]:not([class*="-reflection-reflection-"]) textarea').first
    box.fill(answer)
    box.press("Tab")
    expect(preview.locator('[data-testid="stCode"]')).to_contain_text(answer, timeout=SLOW_MS)

    llm.default = ok({"follow_ups": ["What got the queue down?", "What would you try next?"]})
    sent = llm.request_count
    ava.get_by_role("button", name="Follow-up questions").first.click()
    expect_text(ava, "What got the queue down?", SLOW_MS)
    assert answer in llm.raw_bodies[sent].decode()
    assert_no_exception(ava, ai_server)
    assert browser_errors == []


def test_the_key_is_used_and_stored_nowhere(world, llm, ai_server, new_context, browser_errors):
    shown: list[str] = []
    ava = signed_in(new_context, ai_server, world.db_path, world.ava, "Ava")
    bram = signed_in(new_context, ai_server, world.db_path, world.bram, "Bram")

    # Ava: follow-up questions on a phase page.
    llm.default = ok({"follow_ups": ["What made that work?", "What would you try next?"]})
    visit(ava, f"{ai_server.url}/reflection?session={world.live}")
    ava.get_by_role("button", name="Follow-up questions").first.click()
    expect_text(ava, AI, SLOW_MS)
    texts_seen(ava, shown)
    ava_requests = llm.request_count

    # Bram: a SMART rewrite of a goal in Planning.
    llm.default = ok({"goal": "Write and merge ten unit tests for the billing module by Friday 5 December"})
    visit(bram, f"{ai_server.url}/planning?session={world.live}")
    bram.get_by_role("button", name="Suggest a SMART rewrite").first.click()
    expect_text(bram, "Write and merge ten unit tests", SLOW_MS)
    texts_seen(bram, shown)

    # Bram: redraft the summary; the provider first refuses the key, echoing it back.
    llm.script(status(401, message=f"Incorrect API key provided: {KEY}. You can find your API key in settings."))
    visit(bram, f"{ai_server.url}/summary?session={world.done}")
    bram.get_by_role("button", name="Redraft from the session").click()
    expect_text(bram, "built-in engine", SLOW_MS)
    texts_seen(bram, shown)
    llm.default = ok({"summary_markdown": "# Drafted by the model\n\n- P1SECRET redrafted"})
    visit(bram, f"{ai_server.url}/summary?session={world.done}")
    bram.get_by_role("button", name="Redraft from the session").click()
    expect_text(bram, "Drafted by the model", SLOW_MS)
    texts_seen(bram, shown)

    # Settings shows the model and the endpoint, never the key.
    visit(bram, f"{ai_server.url}/settings")
    expect_text(bram, MODEL, SLOW_MS)
    expect(bram.locator(APP)).to_contain_text(llm.base_url)
    texts_seen(bram, shown)
    for page in (ava, bram):
        assert_no_exception(page, ai_server)

    # The requests: every one carried the key as its credential, none a private note;
    # Bram's never Ava's unshared preparation.
    assert llm.request_count >= 4
    assert all(h.get("authorization") == f"Bearer {KEY}" for h in llm.headers)
    bodies = [raw.decode() for raw in llm.raw_bodies]
    assert any(tw.SHARED in b for b in bodies), "shared text went out: the check below can see text"
    for i, body in enumerate(bodies):
        assert tw.PRIVATE_AVA not in body and tw.PRIVATE_BRAM not in body, body[:300]
        assert KEY not in body
        if i >= ava_requests:
            assert tw.UNSHARED not in body, body[:300]

    # The key is on no page, then nowhere on disk: the database, its WAL, the server log.
    assert not [t for t in shown if KEY in t or "sk-test-SECRET" in t]
    workdir_files = [p for p in ai_server.workdir.rglob("*")]
    db_files = [world.db_path, *world.db_path.parent.glob(world.db_path.name + "-*")]
    assert ai_server.log_path in workdir_files
    assert files_holding(db_files + workdir_files, KEY.encode()) == []
    ai_server.stop()  # everything flushed and checkpointed: look again
    db_files = [world.db_path, *world.db_path.parent.glob(world.db_path.name + "-*")]
    assert files_holding(db_files + workdir_files, KEY.encode()) == []
    assert files_holding(db_files + workdir_files, b"sk-test-SECRET") == []
    assert "fell back to the offline engine: auth (HTTP 401)" in ai_server.log_path.read_text(errors="replace")
    assert browser_errors == []
