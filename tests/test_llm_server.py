"""The scriptable test server itself: it must look like a real OpenAI endpoint."""

import http.client
import json
import time

import openai
import pytest

from llm_server import close_connection, malformed, ok, slow, status, trickle


def _client(server, timeout=5.0):
    return openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0, timeout=timeout)


def _ask(client, **kwargs):
    return client.chat.completions.create(
        model="test-model", messages=[{"role": "user", "content": "hello"}], **kwargs
    )


def test_ok_is_a_chat_completion_with_usage_and_records_the_body(llm_server):
    llm_server.script(ok({"follow_ups": ["a?", "b?"]}))
    response = _ask(_client(llm_server), response_format={"type": "json_object"})
    assert json.loads(response.choices[0].message.content) == {"follow_ups": ["a?", "b?"]}
    assert response.model == "test-model"
    assert response.usage.prompt_tokens > 0 and response.usage.completion_tokens > 0
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens
    assert llm_server.request_count == 1
    body = llm_server.bodies[0]
    assert body["messages"] == [{"role": "user", "content": "hello"}]
    assert body["response_format"] == {"type": "json_object"}
    assert llm_server.paths == ["/v1/chat/completions"]
    assert llm_server.headers[0]["authorization"] == "Bearer sk-test"


def test_behaviours_are_taken_in_order_then_the_default(llm_server):
    llm_server.script(malformed("{not json"), ok("second"))
    llm_server.default = ok("default")
    client = _client(llm_server)
    assert [_ask(client).choices[0].message.content for _ in range(4)] == ["{not json", "second", "default", "default"]


def test_unscripted_request_gets_a_500(llm_server):
    with pytest.raises(openai.InternalServerError):
        _ask(_client(llm_server))
    assert llm_server.request_count == 1


@pytest.mark.parametrize(
    ("code", "error"),
    [(400, openai.BadRequestError), (401, openai.AuthenticationError), (404, openai.NotFoundError),
     (429, openai.RateLimitError), (503, openai.InternalServerError)],
)
def test_status_raises_the_matching_client_error(llm_server, code, error):
    llm_server.script(status(code, headers={"Retry-After": "7"}))
    with pytest.raises(error) as raised:
        _ask(_client(llm_server))
    assert raised.value.status_code == code
    assert raised.value.response.headers["retry-after"] == "7"


def test_slow_outlasts_a_short_client_timeout(llm_server):
    llm_server.script(slow(2.0, "late"))
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        _ask(_client(llm_server, timeout=0.3))
    assert time.monotonic() - started < 1.5


def test_trickle_sends_the_body_slowly_but_completely(llm_server):
    llm_server.script(trickle(0.0005, "done"))
    assert _ask(_client(llm_server)).choices[0].message.content == "done"


def test_close_connection_is_a_connection_error(llm_server):
    llm_server.script(close_connection())
    with pytest.raises(openai.APIConnectionError):
        _ask(_client(llm_server))
    assert llm_server.request_count == 1


def test_unknown_path_is_404_and_not_recorded(llm_server):
    conn = http.client.HTTPConnection("127.0.0.1", llm_server.port, timeout=5)
    conn.request("POST", "/v1/embeddings", body=b"{}", headers={"Content-Type": "application/json"})
    assert conn.getresponse().status == 404
    conn.close()
    assert llm_server.request_count == 0
