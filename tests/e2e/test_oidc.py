"""Optional identity-provider sign-in (issue 6, part 2): with ``[auth]`` in
``.streamlit/secrets.toml`` sign-in goes through ``st.login`` and people are matched by
e-mail. End to end, offline: ``oidc-provider-mock`` (requirements-dev.txt) is the
provider, its login form has one box (placeholder ``sub``, which becomes the ``email``
claim) and an **Authorize** button.

The server reads secrets from its working directory, so it runs in a temporary directory
holding symlinks to the app and a ``.streamlit/`` of its own; the repository's
``.streamlit/secrets.toml`` is never written. The app is opened at exactly the host named
in ``redirect_uri`` (``localhost``: ``127.0.0.1`` would silently show the signed-out page).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pal_core import auth
from pal_core.models import Role
from pal_core.store import Store

from .conftest import ROOT, StreamlitServer, free_port
from .helpers import APP, SLOW_MS, by_key, click_button, visit, wait_idle

pytestmark = pytest.mark.e2e

PROVIDER_BUTTON = "Sign in with your organisation account"
REPO_SECRETS = ROOT / ".streamlit" / "secrets.toml"
APP_ENTRIES = ("app.py", "views", "pal_core", "question_bank")


class MockProvider:
    """``oidc-provider-mock`` on 127.0.0.1, in its own process group."""

    def __init__(self, log_path: Path):
        self.port = free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def metadata_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/.well-known/openid-configuration"

    def start(self) -> MockProvider:
        command = shutil.which("oidc-provider-mock")
        if command is None:
            pytest.fail("oidc-provider-mock is missing: `pip install -r requirements-dev.txt`")
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [command, "--host", "127.0.0.1", "--port", str(self.port)], stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"oidc-provider-mock exited:\n{self.log_path.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(self.metadata_url, timeout=1) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)  # polling a process we started
        self.stop()
        pytest.fail("oidc-provider-mock did not answer within 30 s")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def provider(tmp_path_factory) -> Iterator[MockProvider]:
    mock = MockProvider(tmp_path_factory.mktemp("oidc") / "provider.log").start()
    yield mock
    mock.stop()


@pytest.fixture(scope="module")
def oidc_server(provider, tmp_path_factory) -> Iterator[StreamlitServer]:
    """The app with [auth] configured, run from a directory of its own."""
    repo_secrets = REPO_SECRETS.read_bytes() if REPO_SECRETS.exists() else None
    cwd = tmp_path_factory.mktemp("oidc-app")
    for entry in APP_ENTRIES:
        (cwd / entry).symlink_to(ROOT / entry)
    (cwd / ".streamlit").mkdir()
    (cwd / ".streamlit" / "config.toml").symlink_to(ROOT / ".streamlit" / "config.toml")
    port = free_port()
    (cwd / ".streamlit" / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "pal-sessions-test"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n',
        encoding="utf-8",
    )
    server = StreamlitServer(tmp_path_factory.mktemp("oidc-server"), port=port, cwd=cwd).start()
    server.app_url = f"http://localhost:{port}"  # the host named in redirect_uri
    yield server
    server.stop()
    assert (REPO_SECRETS.read_bytes() if REPO_SECRETS.exists() else None) == repo_secrets


@pytest.fixture(autouse=True)
def _provider_page_is_not_the_app(browser_errors):
    """The mock provider's own page links a CDN stylesheet: not a request of the app."""
    yield
    browser_errors.external[:] = [e for e in browser_errors.external if "cdn.jsdelivr.net" not in e]


@pytest.fixture
def browser_page(new_context) -> Page:
    context = new_context("oidc")
    # The mock's form page links a stylesheet on a CDN; there is no internet here.
    context.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    return context.new_page()


def provider_login(page: Page, app_url: str, email: str) -> None:
    visit(page, app_url)
    expect_sign_in_page_oidc(page)
    click_button(page, PROVIDER_BUTTON)
    box = page.get_by_placeholder("sub")
    expect(box).to_be_visible(timeout=SLOW_MS)
    box.fill(email)
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("heading", name="Your pairings")).to_be_visible(timeout=SLOW_MS)
    wait_idle(page, SLOW_MS)


def expect_sign_in_page_oidc(page: Page) -> None:
    expect(page.get_by_role("button", name=PROVIDER_BUTTON)).to_be_visible(timeout=SLOW_MS)
    expect(page.get_by_role("tab", name="Create an account")).to_have_count(0)  # no local passwords
    wait_idle(page, SLOW_MS)


def sign_out(page: Page) -> None:
    """Sign out: st.logout passes through the provider's End session page."""
    page.get_by_role("button", name="Sign out").click()
    end = page.get_by_role("button", name="End session")
    expect(end).to_be_visible(timeout=SLOW_MS)
    end.click()
    expect_sign_in_page_oidc(page)


def people_with(db_path: Path, email: str) -> list[tuple[int, str]]:
    store = Store(db_path)
    try:
        return [tuple(r) for r in store.db.execute(
            "SELECT id, display_name FROM person WHERE email = ? COLLATE NOCASE", [email]).fetchall()]
    finally:
        store.close()


def test_provider_sign_in_matches_people_by_e_mail(oidc_server, browser_page, browser_errors):
    page = browser_page
    provider_login(page, oidc_server.app_url, "olu@example.com")
    [(olu_id, name)] = people_with(oidc_server.db_path, "olu@example.com")
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("Signed in as")
    # Something of this person's to find again: an invite code.
    click_button(page, "Create invite code")
    code = page.locator('[data-testid="stMarkdown"] code').first
    expect(code).to_be_visible()
    wait_idle(page, SLOW_MS)
    invite = code.inner_text().strip()

    sign_out(page)
    page.reload()
    expect_sign_in_page_oidc(page)  # the identity cookie is gone

    provider_login(page, oidc_server.app_url, "OLU@Example.com")  # the same person, other case
    assert people_with(oidc_server.db_path, "olu@example.com") == [(olu_id, name)]
    expect(page.locator(APP)).to_contain_text(invite)
    wait_idle(page, SLOW_MS)
    assert browser_errors == []


def test_provider_sign_in_finds_an_existing_local_account(oidc_server, browser_page, browser_errors):
    store = Store(oidc_server.db_path)
    try:
        ann = auth.sign_up(store, "ann.local@example.com", "Ann Local", "plum tree by the river")
        kit = auth.sign_up(store, "kit.local@example.com", "Kit Local", "plum tree by the river")
        store.accept_invite(kit.id, store.create_invite(ann.id, Role.MENTEE))
    finally:
        store.close()
    provider_login(browser_page, oidc_server.app_url, "ann.local@example.com")
    expect(browser_page.locator(APP)).to_contain_text("With Kit Local")
    expect(browser_page.locator('[data-testid="stSidebar"]')).to_contain_text("Ann Local")
    assert people_with(oidc_server.db_path, "ann.local@example.com") == [(ann.id, "Ann Local")]
    assert browser_errors == []


def test_provider_sign_out_ends_the_other_tabs(oidc_server, new_context, browser_errors):
    context = new_context("oidc-tabs")
    context.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    first = context.new_page()
    provider_login(first, oidc_server.app_url, "tab.person@example.com")
    second = context.new_page()
    visit(second, oidc_server.app_url)  # signed in by the identity cookie
    expect(second.get_by_role("heading", name="Your pairings")).to_be_visible()

    sign_out(first)
    # The other tab still holds the identity it started with (Streamlit reads st.user only
    # when a session starts), yet its next interaction signs it out.
    by_key(second, "home:invite").locator("button").click()
    expect_sign_in_page_oidc(second)
    second.reload()
    expect_sign_in_page_oidc(second)
    assert browser_errors == []
