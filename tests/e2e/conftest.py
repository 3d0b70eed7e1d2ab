"""Browser-test harness: a real Streamlit server on a free port with its own SQLite
file, and Debian's headless Chromium driven by Playwright (see /work/shared/TESTING.md).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

# Assertions wait as long as actions do: a loaded 2-core machine can take seconds to rerun a page.
expect.set_options(timeout=15_000)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying hosts it cannot reach.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HEALTH_TIMEOUT_S = 30.0
VIEWPORT = {"width": 1280, "height": 900}
# Deep links make the frontend probe /<page>/_stcore/health and …/host-config first.
HARMLESS_404 = re.compile(r"/[^/]+/_stcore/(health|host-config)$")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


# --- the server ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class StreamlitServer:
    """`streamlit run app.py` in its own process group, on one port and one DB file."""

    def __init__(self, workdir: Path, *, port: int | None = None, db_path: Path | None = None,
                 env: dict[str, str] | None = None, cwd: Path | None = None):
        # cwd: where the server runs, and so whose .streamlit/ (config, secrets) it reads.
        self.cwd = Path(cwd) if cwd else ROOT
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.db_path = Path(db_path) if db_path else self.workdir / "pal.db"
        self.log_path = self.workdir / f"streamlit-{self.port}.log"
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StreamlitServer:
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError(f"server on port {self.port} is already running")
        # A stale server would pass the health check while serving the wrong data.
        if port_taken(self.port):
            raise RuntimeError(f"port {self.port} is already in use; refusing to start a second server there")
        env = {**os.environ, "PAL_DB_PATH": str(self.db_path), **self.extra_env}
        env.pop("STREAMLIT_SERVER_PORT", None)
        command = [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.headless", "true",
            "--server.port", str(self.port),
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ]
        log = self.log_path.open("ab")
        try:
            self.proc = subprocess.Popen(
                command, cwd=self.cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        finally:
            log.close()
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        health = f"{self.url}/_stcore/health"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"streamlit exited with code {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(health, timeout=1) as response:
                    if response.read().decode().strip() == "ok":
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)  # polling a process we started, not waiting on the browser
        self.stop()
        pytest.fail(f"streamlit did not answer {health} within {HEALTH_TIMEOUT_S:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it has not gone within `timeout` seconds."""
        if self.proc is None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.proc.wait(timeout=timeout)
        self.proc = None

    def kill9(self) -> None:
        """Die like a crash: no shutdown handlers run."""
        if self.proc is None:
            return
        self._signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> StreamlitServer:
        """Same port, same DB file."""
        self.stop()
        deadline = time.monotonic() + 10
        while port_taken(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.start()


# --- fixtures: servers -------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    """One server and one fresh DB per test module."""
    srv = StreamlitServer(tmp_path_factory.mktemp("server")).start()
    yield srv
    srv.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[Callable[..., StreamlitServer]]:
    """Factory for servers that live for one test: fresh_server(db_path=..., env=...)."""
    started: list[StreamlitServer] = []

    def start(**kwargs) -> StreamlitServer:
        srv = StreamlitServer(tmp_path / f"server{len(started)}", **kwargs)
        started.append(srv)
        return srv.start()

    yield start
    for srv in started:
        srv.stop()


# --- fixtures: the browser ---------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's browser with "
            "`apt-get update && apt-get install -y chromium` (or run `bash scripts/test.sh`)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class BrowserErrors(list):
    """Console errors and uncaught page errors, as 'label: message' strings.

    Failed loads from other hosts go to `.external` instead: this machine has no
    internet, so they say nothing about the app here; they are reported as warnings.
    """

    def __init__(self) -> None:
        super().__init__()
        self.external: list[str] = []

    def watch(self, page, label: str) -> None:
        def on_console(message) -> None:
            if message.type != "error":
                return
            where = (message.location or {}).get("url", "")
            if HARMLESS_404.search(urlsplit(where).path):
                return
            host = urlsplit(where).hostname
            if host and host not in LOCAL_HOSTS:
                self.external.append(f"{message.text} ({where})")
            else:
                self.append(f"{label}: console: {message.text} ({where})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.append(f"{label}: pageerror: {error}"))


@pytest.fixture
def browser_errors() -> Iterator[BrowserErrors]:
    errors = BrowserErrors()
    yield errors
    for entry in dict.fromkeys(errors.external):
        warnings.warn(f"the app asked an outside host for something: {entry}", stacklevel=1)


@pytest.fixture
def new_context(browser, browser_errors: BrowserErrors):
    """Factory: a new browser context (one person, own cookies) whose pages are watched."""
    contexts = []

    def make(label: str = "browser"):
        context = browser.new_context(viewport=VIEWPORT, timezone_id="UTC", locale="en-GB")
        context.set_default_timeout(15_000)
        context.on("page", lambda page: browser_errors.watch(page, label))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def context(new_context):
    return new_context("page")


@pytest.fixture
def page(context):
    return context.new_page()
