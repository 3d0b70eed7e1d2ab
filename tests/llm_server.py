"""A real OpenAI-compatible HTTP server for tests, scriptable per test.

It serves ``POST .../chat/completions`` on 127.0.0.1 (a free port) from a thread of the
standard library's ``ThreadingHTTPServer``, so the real ``openai`` client talks real HTTP
to it. Each request takes the next scripted behaviour from a queue (``server.script(...)``);
when the queue is empty it uses ``server.default`` (unset: a 500 that says so). Every
request body is recorded, parsed (``server.bodies``) and raw (``server.raw_bodies``).

Behaviours::

    ok({"follow_ups": [...]})          200, the payload as the message content (JSON text)
    ok("plain text")                   200, a string is sent as the content unchanged
    slow(2.0, payload)                 waits, then answers like ok()
    trickle(0.3, payload)              sends headers at once, then the body a byte at a time
    status(429, headers={"Retry-After": "1"})
    status(500)                        an error status with an OpenAI-style error body
    malformed("{not json")             200 whose content is not JSON
    wrong_shape({"questions": []})     200 whose content is JSON of the wrong shape
    close_connection()                 reads the request, then hangs up without answering
"""

from __future__ import annotations

import collections
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Behaviour:
    kind: str  # "ok", "status", "close", "trickle"
    content: str | None = None
    delay: float = 0.0
    code: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def _content(payload: Any) -> str:
    return payload if isinstance(payload, str) else json.dumps(payload)


def ok(payload: Any) -> Behaviour:
    return Behaviour("ok", _content(payload))


def slow(seconds: float, payload: Any) -> Behaviour:
    return Behaviour("ok", _content(payload), delay=seconds)


def trickle(seconds_per_byte: float, payload: Any) -> Behaviour:
    return Behaviour("trickle", _content(payload), delay=seconds_per_byte)


def status(code: int, headers: dict[str, str] | None = None, message: str = "scripted error") -> Behaviour:
    return Behaviour("status", message, code=code, headers=dict(headers or {}))


def malformed(text: str = "{not json") -> Behaviour:
    return Behaviour("ok", text)


def wrong_shape(payload: Any) -> Behaviour:
    return Behaviour("ok", _content(payload))


def close_connection() -> Behaviour:
    return Behaviour("close")


_ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_api_key", 403: "permission_denied",
                404: "model_not_found", 429: "rate_limit_exceeded"}


def completion_json(content: str, model: str, prompt_tokens: int, completion_tokens: int, n: int) -> bytes:
    return json.dumps({
        "id": f"chatcmpl-test{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }).encode()


class LLMServer:
    """Start with ``start()`` (or as a context manager); ``base_url`` ends in ``/v1``."""

    def __init__(self) -> None:
        self.default: Behaviour | None = None
        self.raw_bodies: list[bytes] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self._queue: collections.deque[Behaviour] = collections.deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- scripting and inspection -------------------------------------------------

    def script(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    @property
    def bodies(self) -> list[dict]:
        with self._lock:
            return [json.loads(raw) for raw in self.raw_bodies]

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.raw_bodies)

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> LLMServer:
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="llm-test-server"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # cuts short any slow() or trickle() still running
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- used by the handler -----------------------------------------------------------

    def _take(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[Behaviour, int]:
        with self._lock:
            self.raw_bodies.append(raw)
            self.paths.append(path)
            self.headers.append(headers)
            behaviour = self._queue.popleft() if self._queue else self.default
        return behaviour or status(500, message="no behaviour scripted for this request"), next(self._ids)


class _Handler(BaseHTTPRequestHandler):
    owner: LLMServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?", 1)[0]
        if not path.endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": f"no route {path}", "type": "not_found"}})
            return
        behaviour, n = self.owner._take(self.path, {k.lower(): v for k, v in self.headers.items()}, raw)
        try:
            self._perform(behaviour, raw, n)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (a timeout): nothing to answer

    def _perform(self, behaviour: Behaviour, raw: bytes, n: int) -> None:
        stopping = self.owner._stopping
        if behaviour.kind == "close":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if behaviour.kind == "status":
            body = {"error": {"message": behaviour.content, "type": _ERROR_TYPES.get(behaviour.code, "server_error"),
                              "param": None, "code": None}}
            self._send_json(behaviour.code, body, behaviour.headers)
            return
        if behaviour.delay and behaviour.kind == "ok" and stopping.wait(behaviour.delay):
            return
        try:
            request = json.loads(raw)
        except ValueError:
            request = {}
        model = str(request.get("model", "test-model"))
        content = behaviour.content or ""
        body = completion_json(content, model, max(1, len(raw) // 4), max(1, len(content) // 4), n)
        if behaviour.kind == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.flush()
            for i in range(len(body)):
                if stopping.wait(behaviour.delay):
                    return
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
            return
        self._send_bytes(200, body, {})

    def _send_json(self, code: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send_bytes(code, json.dumps(payload).encode(), headers or {})

    def _send_bytes(self, code: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
