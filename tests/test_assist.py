"""pal_core.assist against a real OpenAI-compatible HTTP server (tests/llm_server.py).

The real ``openai`` client talks HTTP to 127.0.0.1; budgets and backoff are shrunk so the
whole file stays well under 20 s.
"""

import logging
import socket
import time

import pytest
from pydantic import BaseModel

from llm_server import close_connection, malformed, ok, slow, status, trickle, wrong_shape
from pal_core import assist
from pal_core.assist import Assistant, render_messages
from pal_core.config import LLMSettings

KEY = "sk-TEST-do-not-leak-4b1d9c"
PRIVATE = "PRIVATE-MARKER-only-mine-93e1"
MARGIN = 2.0  # scheduling slack on a busy 2-core machine

GOOD = {"follow_ups": ["What made the auth flow hard?", "Who could pair with you on it?"]}


def make(url, store=None, *, budget=5.0, key=KEY, model="test-model", **kwargs):
    settings = LLMSettings(base_url=url, model=model, api_key=key, budget_s=budget)
    kwargs.setdefault("backoff_s", 0.01)
    return Assistant(settings, store, **kwargs)


def ask(assistant, answer="I struggled with the auth flow."):
    return assistant.follow_ups(
        "reflection", "What challenges did you face?", answer, bank_follow_ups=["Which approach would you reuse?"]
    )


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def usage_rows(store):
    return [tuple(r) for r in store.db.execute("SELECT feature, prompt_tokens, completion_tokens, cached FROM llm_usage ORDER BY id")]


@pytest.fixture
def smart():
    return pytest.importorskip("pal_core.smart")


class Facts(BaseModel):
    mentee: str
    rating: int
    actions: list[str]


FACTS = Facts(mentee="Ana", rating=7, actions=["Write the auth flow doc by Friday"])


# --- off, and the happy path ----------------------------------------------------------------


def test_not_configured_answers_offline_without_notice_or_http(llm_server, store):
    assistant = make(llm_server.base_url, store, model=None)  # no model: not enabled
    assert not assistant.enabled
    result = ask(assistant)
    assert result.source == "offline" and result.notice is None
    assert 2 <= len(result.items) <= 4
    assert assistant.draft_summary(FACTS, lambda: "template").text == "template"
    assert llm_server.request_count == 0
    assert usage_rows(store) == []


def test_module_shortcuts_use_the_offline_engine(llm_server):
    result = assist.follow_ups("planning", "What next?", "Finish the migration plan.")
    assert result.source == "offline" and result.notice is None
    assert assist.draft_summary(FACTS, lambda: "t").source == "offline"
    assert llm_server.request_count == 0


def test_valid_answer_is_used_and_the_request_is_json_mode_with_the_schema(llm_server, store):
    llm_server.script(ok(GOOD))
    result = ask(make(llm_server.base_url, store))
    assert (result.source, result.notice, result.items) == ("llm", None, GOOD["follow_ups"])
    body = llm_server.bodies[0]
    assert body["model"] == "test-model"
    assert body["response_format"] == {"type": "json_object"}
    assert '"follow_ups"' in body["messages"][0]["content"]  # the schema is in the system prompt
    assert "I struggled with the auth flow." in body["messages"][1]["content"]
    assert llm_server.request_count == 1
    [(feature, prompt_tokens, completion_tokens, cached)] = usage_rows(store)
    assert feature == "follow_ups" and prompt_tokens > 0 and completion_tokens > 0 and cached == 0


def test_garbage_items_are_cleaned_and_capped(llm_server):
    llm_server.script(ok({"follow_ups": ["  Why?  ", "", "why?", "x " * 1000, "b?", "c?", "d?"], "extra": 1}))
    items = ask(make(llm_server.base_url)).items
    assert items[0] == "Why?" and items[2:] == ["b?", "c?"]
    assert len(items) == 4 and len(items[1]) <= assist.FOLLOW_UP_LIMIT


def test_a_code_fenced_answer_is_accepted_without_repair(llm_server):
    llm_server.script(ok('```json\n{"follow_ups": ["One?", "Two?"]}\n```'))
    assert ask(make(llm_server.base_url)).items == ["One?", "Two?"]
    assert llm_server.request_count == 1


def test_draft_summary_sends_the_facts_and_uses_summary_markdown(llm_server):
    llm_server.script(ok({"summary_markdown": "## Actions\n- Write the doc"}))
    calls = []
    drafted = make(llm_server.base_url).draft_summary(FACTS, lambda: calls.append(1) or "template")
    assert (drafted.text, drafted.source, drafted.notice, calls) == ("## Actions\n- Write the doc", "llm", None, [])
    assert '"Write the auth flow doc by Friday"' in llm_server.bodies[0]["messages"][1]["content"]


def test_draft_summary_falls_back_to_the_template(llm_server):
    llm_server.default = malformed("nope")
    drafted = make(llm_server.base_url).draft_summary(FACTS, lambda: "template")
    assert (drafted.text, drafted.source) == ("template", "offline")
    assert "draft" in drafted.notice


def test_rewrite_goal_uses_the_llm_text_and_assesses_it(llm_server, smart):
    text = "Ship the auth flow doc, reviewed by two peers, by 30 June."
    llm_server.script(ok({"goal": f"  {text}\n"}))
    result = make(llm_server.base_url).rewrite_goal("improve docs", ["Docs coverage"])
    assert (result.text, result.source, result.notice) == (text, "llm", None)
    assert result.assessment == smart.assess(text, ["Docs coverage"])


def test_rewrite_goal_offline_is_smart_rewrite(llm_server, smart):
    llm_server.script(status(401))
    result = make(llm_server.base_url).rewrite_goal("improve docs", ["Docs coverage"])
    expected = smart.rewrite("improve docs", ["Docs coverage"])
    assert (result.text, result.source) == (expected, "offline")
    assert result.assessment == smart.assess(expected, ["Docs coverage"])
    assert result.notice


# --- time budget and retries -----------------------------------------------------------------


def test_slow_server_falls_back_within_the_budget(llm_server):
    llm_server.default = slow(10, GOOD)
    started = time.monotonic()
    result = ask(make(llm_server.base_url, budget=1.5))
    elapsed = time.monotonic() - started
    assert result.source == "offline"
    assert "timed out" in result.notice
    assert 1.0 < elapsed < 1.5 + MARGIN


def test_a_trickling_server_cannot_stretch_the_budget(llm_server):
    # Each byte arrives well within httpx's read timeout, so only a hard deadline stops it.
    llm_server.default = trickle(0.05, GOOD)
    started = time.monotonic()
    result = ask(make(llm_server.base_url, budget=1.2))
    assert result.source == "offline" and "timed out" in result.notice
    assert time.monotonic() - started < 1.2 + MARGIN


def test_429_with_retry_after_is_honoured_then_succeeds(llm_server):
    llm_server.script(status(429, headers={"Retry-After": "1"}), ok(GOOD))
    started = time.monotonic()
    result = ask(make(llm_server.base_url, budget=3))
    elapsed = time.monotonic() - started
    assert result.source == "llm" and result.items == GOOD["follow_ups"]
    assert llm_server.request_count == 2
    assert elapsed >= 0.95  # waited as asked, not the tiny test backoff


def test_retry_after_longer_than_the_budget_gives_up_at_once(llm_server):
    llm_server.default = status(429, headers={"Retry-After": "30"})
    started = time.monotonic()
    result = ask(make(llm_server.base_url, budget=6.0))
    assert result.source == "offline" and "busy" in result.notice
    assert llm_server.request_count == 1
    assert time.monotonic() - started < 3.0  # gave up without waiting out the budget


def test_server_errors_are_retried_then_fall_back(llm_server):
    llm_server.default = status(500)
    result = ask(make(llm_server.base_url, max_attempts=3))
    assert result.source == "offline" and "internal error" in result.notice
    assert llm_server.request_count == 3


def test_server_errors_then_success(llm_server):
    llm_server.script(status(502), status(503), ok(GOOD))
    assert ask(make(llm_server.base_url)).source == "llm"
    assert llm_server.request_count == 3


def test_retries_stop_when_the_budget_is_spent(llm_server):
    llm_server.default = status(500)
    started = time.monotonic()
    result = ask(make(llm_server.base_url, budget=1.0, backoff_s=0.3, max_attempts=50))
    assert result.source == "offline"
    assert time.monotonic() - started < 1.0 + MARGIN
    assert 1 <= llm_server.request_count < 10  # at least one try; how many depends on the machine's load


def test_dropped_connection_is_retried(llm_server):
    llm_server.script(close_connection(), ok(GOOD))
    assert ask(make(llm_server.base_url)).source == "llm"
    assert llm_server.request_count == 2


def test_connection_refused_falls_back_quickly():
    started = time.monotonic()
    result = ask(make(f"http://127.0.0.1:{free_port()}/v1", budget=5))
    assert result.source == "offline" and "could not be reached" in result.notice
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(("code", "words"), [(400, "model name"), (401, "key"), (403, "key"), (404, "model name")])
def test_client_errors_fail_fast_with_a_settings_notice(llm_server, code, words):
    llm_server.default = status(code, message=f"bad key {KEY}")  # even if the server echoes it
    result = ask(make(llm_server.base_url))
    assert result.source == "offline"
    assert llm_server.request_count == 1  # no retry
    assert words in result.notice and "settings" in result.notice
    assert KEY not in result.notice


# --- validation and repair ----------------------------------------------------------------


def test_malformed_json_gets_one_repair_request(llm_server):
    llm_server.script(malformed("{not json"), ok(GOOD))
    result = ask(make(llm_server.base_url))
    assert result.source == "llm" and result.items == GOOD["follow_ups"]
    assert llm_server.request_count == 2
    first, repair = llm_server.bodies
    assert repair["messages"][:2] == first["messages"]
    assert repair["messages"][2] == {"role": "assistant", "content": "{not json"}
    assert repair["messages"][3]["role"] == "user" and "not valid JSON" in repair["messages"][3]["content"]


def test_malformed_twice_falls_back_with_a_notice(llm_server):
    llm_server.default = malformed("still {not json")
    result = ask(make(llm_server.base_url))
    assert result.source == "offline" and "unexpected format" in result.notice
    assert llm_server.request_count == 2


def test_wrong_shape_gets_a_repair_naming_the_problem(llm_server):
    llm_server.script(wrong_shape({"questions": ["a?", "b?"]}), ok(GOOD))
    assert ask(make(llm_server.base_url)).source == "llm"
    repair = llm_server.bodies[1]["messages"][3]["content"]
    assert "follow_ups" in repair and "required" in repair.lower()


def test_too_few_usable_items_is_an_invalid_answer(llm_server):
    llm_server.default = wrong_shape({"follow_ups": ["  ", "Only one?"]})
    result = ask(make(llm_server.base_url))
    assert result.source == "offline" and llm_server.request_count == 2


# --- cache and usage ----------------------------------------------------------------------


def test_identical_request_is_answered_from_the_cache(llm_server, store):
    llm_server.script(ok(GOOD))
    first = ask(make(llm_server.base_url, store))
    again = ask(make(llm_server.base_url, store))  # a rerun builds a new Assistant
    assert first == again and again.source == "llm"
    assert llm_server.request_count == 1
    rows = usage_rows(store)
    assert [r[3] for r in rows] == [0, 1] and rows[1][1:3] == (0, 0)
    assert store.llm_usage_totals() == (2, rows[0][1], rows[0][2])


def test_a_different_request_or_model_is_not_a_cache_hit(llm_server, store):
    llm_server.default = ok(GOOD)
    ask(make(llm_server.base_url, store))
    ask(make(llm_server.base_url, store), answer="Something else entirely.")
    ask(make(llm_server.base_url, store, model="other-model"))
    assert llm_server.request_count == 3


def test_failures_are_not_cached(llm_server, store):
    llm_server.script(status(401), ok(GOOD))
    assert ask(make(llm_server.base_url, store)).source == "offline"
    assert ask(make(llm_server.base_url, store)).source == "llm"


# --- privacy --------------------------------------------------------------------------------


def test_only_what_is_passed_is_sent_and_preview_is_exactly_what_was_sent(llm_server, smart):
    private_note = f"{PRIVATE}: I might change teams"  # exists in the session, never passed
    assert private_note
    llm_server.script(ok(GOOD), ok({"goal": "Ship it by Friday."}), ok({"summary_markdown": "Done."}))
    assistant = make(llm_server.base_url)
    calls = [
        ("follow_ups", ("reflection", "What challenges?", "Shared answer"), {"bank_follow_ups": ["Why?"]}),
        ("rewrite_goal", ("improve docs", ["Docs"]), {}),
        ("draft_summary", (FACTS, lambda: "t"), {}),
    ]
    for feature, args, kwargs in calls:
        preview = assistant.preview_request(feature, *args, **kwargs)
        getattr(assistant, feature)(*args, **kwargs)
        assert render_messages(llm_server.bodies[-1]["messages"]) == preview
    assert "Shared answer" in llm_server.raw_bodies[0].decode()
    assert all(PRIVATE.encode() not in raw for raw in llm_server.raw_bodies)


def test_preview_needs_no_endpoint_and_rejects_unknown_features():
    text = assist.preview_request("follow_ups", "planning", "Q?", "A!")
    assert text.startswith("--- system ---") and "--- user ---" in text and '"A!"' in text
    with pytest.raises(ValueError, match="Unknown AI feature"):
        assist.preview_request("translate", "x")


def test_key_never_reaches_the_database_logs_or_notices(llm_server, store, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    llm_server.script(
        ok(GOOD), status(401, message=f"Incorrect API key provided: {KEY}"), status(500), malformed(), malformed(),
        close_connection(), close_connection(),
    )
    notices = []
    assistant = make(llm_server.base_url, store, max_attempts=2)
    for n in range(5):
        notices.append(ask(assistant, answer=f"answer {n}").notice)
    assert notices[0] is None and all(notices[1:])
    assert all(KEY not in notice for notice in notices[1:])
    assert llm_server.headers[0]["authorization"] == f"Bearer {KEY}"  # it was used...
    assert KEY not in caplog.text  # ...but never logged
    store.close()
    for path in tmp_path.glob("pal.db*"):
        assert KEY.encode() not in path.read_bytes(), path.name


def test_fallback_logs_one_warning_without_user_text(llm_server, caplog):
    llm_server.default = status(401)
    with caplog.at_level(logging.WARNING, logger="pal_core.assist"):
        ask(make(llm_server.base_url), answer=f"{PRIVATE} answer")
    records = [r for r in caplog.records if r.name == "pal_core.assist"]
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    assert "auth" in records[0].getMessage() and PRIVATE not in caplog.text


def test_azure_style_base_url_sends_api_version_and_api_key_header(llm_server):
    llm_server.script(ok(GOOD))
    result = ask(make(f"{llm_server.base_url}?api-version=2024-10-21"))
    assert result.source == "llm"
    assert llm_server.paths[0] == "/v1/chat/completions?api-version=2024-10-21"
    assert llm_server.headers[0]["api-key"] == KEY


# --- the offline engine ---------------------------------------------------------------------


def test_offline_follow_ups_quote_the_answer_and_keep_bank_ones_first():
    items = assist.offline_follow_ups(
        "reflection", "Q?", "I struggled with the auth flow because the docs were thin.",
        bank_follow_ups=["Which approach would you reuse next time?"],
    )
    assert items[0] == "Which approach would you reuse next time?"
    assert any("'the auth flow'" in item for item in items)
    assert 2 <= len(items) <= 4 and len({i.lower() for i in items}) == len(items)


@pytest.mark.parametrize("phase", ["opening", "reflection", "development", "planning", "closing", "unknown"])
def test_offline_follow_ups_for_an_empty_answer_are_phase_questions(phase):
    items = assist.offline_follow_ups(phase, "Q?", "   ")
    assert 2 <= len(items) <= 4 and len(set(items)) == len(items)
    assert all(item.endswith("?") for item in items)


def test_offline_follow_ups_never_duplicate_and_cap_length():
    items = assist.offline_follow_ups(
        "planning", "Q?", "the plan the plan the plan", bank_follow_ups=["Same?", "same?", "x" * 900]
    )
    assert 2 <= len(items) <= 4
    assert len({i.casefold() for i in items}) == len(items)
    assert all(len(i) <= assist.FOLLOW_UP_LIMIT for i in items)


def test_status_says_whether_ai_is_on_without_the_key_or_url(llm_server):
    assert "AI is off" in make(llm_server.base_url, model=None).status
    on = make(f"{llm_server.base_url}?token=secret").status
    assert "AI is on" in on and KEY not in on and "secret" not in on
