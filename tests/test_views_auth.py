"""Sign-in hardening on the page (AppTest): throttling per account and per client with one
message that never says whether an account exists, helpful password rules, sign-out that
ends every open tab and the token server-side, and the optional identity-provider sign-in
(``ui.oidc_user`` is the one wrapper of ``st.user``, patched here: AppTest can't simulate
``st.user``). The same flows in a real browser: tests/e2e/test_sign_in.py and
tests/e2e/test_oidc.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pal_core import auth
from pal_core.store import Store
from views import ui

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "plum tree by the river"
THROTTLED = "Too many failed sign-ins"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    path = tmp_path / "pal.db"  # a path per test: ui.store() is cached by path
    monkeypatch.setenv("PAL_DB_PATH", str(path))
    monkeypatch.chdir(ROOT)
    # Cheap hashing: throttling needs many attempts, and the rules are the same.
    monkeypatch.setattr(auth, "SCRYPT_N", 2**4)
    monkeypatch.setattr(auth, "_DUMMY_HASH", auth.hash_password("dummy password here"))
    store = Store(path)
    yield store
    store.close()


def tab() -> AppTest:
    """One browser tab of the app: its own session state."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    return at


def errors(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.error]


def signed_in(at: AppTest) -> bool:
    return "Your pairings" in [t.value for t in at.title]


def on_sign_in_page(at: AppTest) -> bool:
    return "PAL Sessions" in [t.value for t in at.title] and not signed_in(at)


def try_sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="signin:email").input(email)
    at.text_input(key="signin:password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert not at.exception, at.exception
    return at


def try_sign_up(at: AppTest, name: str, email: str, password: str) -> AppTest:
    at.text_input(key="signup:name").input(name)
    at.text_input(key="signup:email").input(email)
    at.text_input(key="signup:password").input(password)
    at.text_input(key="signup:password2").input(password)
    next(b for b in at.button if b.label == "Create account").click()
    at.run()
    assert not at.exception, at.exception
    return at


# --- throttling -----------------------------------------------------------------------------


def test_unknown_e_mail_and_wrong_password_read_the_same(db):
    auth.sign_up(db, "ada@example.com", "Ada", PASSWORD)
    wrong = errors(try_sign_in(tab(), "ada@example.com", "not the password at all"))
    unknown = errors(try_sign_in(tab(), "nobody@example.com", "not the password at all"))
    assert wrong == unknown == [auth.WRONG_CREDENTIALS]


def test_failures_are_throttled_per_account_with_the_same_message_for_unknown_e_mails(db, monkeypatch):
    # One client for every run (AppTest's address is a fresh mock each time), so the
    # last check is really "another account from the same client".
    monkeypatch.setattr(ui, "client_key", lambda: "198.51.100.7")
    auth.sign_up(db, "ada@example.com", "Ada", PASSWORD)
    auth.sign_up(db, "bo@example.com", "Bo", PASSWORD)
    at = tab()
    for email in ("ada@example.com", "ghost@example.com"):
        for _ in range(auth.MAX_FAILURES_PER_ACCOUNT):
            assert errors(try_sign_in(at, email, "a wrong password here")) == [auth.WRONG_CREDENTIALS]
    # The sixth try is refused even with the right password, and says how long to wait.
    refused = errors(try_sign_in(at, "ada@example.com", PASSWORD))
    assert len(refused) == 1 and THROTTLED in refused[0] and "15 minutes" in refused[0], refused
    assert on_sign_in_page(at) and "auth:person" not in at.session_state
    # An e-mail without an account is throttled with exactly the same words: no hint.
    assert errors(try_sign_in(at, "ghost@example.com", PASSWORD)) == refused
    # Another account from the same client is not held back by Ada's failures.
    assert signed_in(try_sign_in(tab(), "bo@example.com", PASSWORD))


def test_failures_are_throttled_per_client_across_accounts(db, monkeypatch):
    auth.sign_up(db, "ada@example.com", "Ada", PASSWORD)
    monkeypatch.setattr(ui, "client_key", lambda: "198.51.100.7")
    at = tab()
    for i in range(auth.MAX_FAILURES_PER_CLIENT):  # one failure each: no account reaches its own limit
        assert errors(try_sign_in(at, f"guess{i}@example.com", "a wrong password here")) == [auth.WRONG_CREDENTIALS]
    refused = errors(try_sign_in(at, "ada@example.com", PASSWORD))
    assert len(refused) == 1 and THROTTLED in refused[0], refused
    assert "auth:person" not in at.session_state
    # The same person from another client (address) signs in.
    monkeypatch.setattr(ui, "client_key", lambda: "203.0.113.9")
    assert signed_in(try_sign_in(tab(), "ada@example.com", PASSWORD))


@pytest.mark.parametrize(("password", "advice"), [
    ("short one", "Use at least 10 characters"),
    ("aaaaaaaaaaaabbbb", "Use more different characters"),
    ("my adalovelace phrase", "Don't use your e-mail name"),
])
def test_password_rules_give_advice(db, password, advice):
    at = try_sign_up(tab(), "Ada", "adalovelace@example.com", password)
    assert any(advice in e for e in errors(at)), errors(at)
    assert on_sign_in_page(at) and db.credentials("adalovelace@example.com") is None


# --- sign-out everywhere --------------------------------------------------------------------


def second_tab(first: AppTest) -> AppTest:
    """Another tab of the same browser: it was signed in from the pal_token cookie, which
    ui.current_person reads into session state (AppTest can't send cookies)."""
    other = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    other.session_state["auth:person"] = first.session_state["auth:person"]
    other.session_state["auth:token"] = first.session_state["auth:token"]
    other.run()
    assert signed_in(other)
    return other


@pytest.mark.parametrize("label", ["Load sample pairing", "Create invite code"])
def test_sign_out_ends_every_tab_and_the_token(db, label):
    auth.sign_up(db, "ada@example.com", "Ada", PASSWORD)
    first = try_sign_in(tab(), "ada@example.com", PASSWORD)
    assert signed_in(first)
    token = first.session_state["auth:token"]
    ada = auth.person_for_token(db, token)
    assert ada is not None
    other = second_tab(first)

    next(b for b in first.sidebar.button if b.label == "Sign out").click()
    first.run()
    assert on_sign_in_page(first) and not first.sidebar.button
    assert auth.person_for_token(db, token) is None  # invalid server-side

    # The other tab's next interaction is refused and signs it out: the callback wrote nothing.
    next(b for b in other.button if b.label == label).click()
    other.run()
    assert not other.exception
    assert on_sign_in_page(other)
    assert "auth:person" not in other.session_state
    assert db.pairings(ada.id) == [] and db.open_invites(ada.id) == []
    other.run()  # and it stays signed out
    assert on_sign_in_page(other)


# --- identity provider (st.login), through the one wrapper of st.user -------------------------


@pytest.fixture
def provider(monkeypatch):
    """[auth] configured; ``provider.user`` is what st.user says in every tab."""
    state = type("Provider", (), {"user": None, "logouts": 0})()
    monkeypatch.setattr(ui, "oidc_configured", lambda: True)
    monkeypatch.setattr(ui, "oidc_user", lambda: state.user)

    def logout() -> None:
        state.logouts += 1

    monkeypatch.setattr(st, "logout", logout)
    return state


def test_oidc_signed_out_shows_only_the_provider_button(db, provider):
    at = tab()
    assert on_sign_in_page(at)
    assert [b.label for b in at.button] == ["Sign in with your organisation account"]
    assert not at.text_input  # no password form when an identity provider is configured


def test_oidc_sign_in_matches_people_by_e_mail(db, provider):
    local = auth.sign_up(db, "ann@example.com", "Ann Local", PASSWORD)
    provider.user = ("ANN@example.com", "Ann from SSO")
    at = tab()
    assert signed_in(at)
    assert at.session_state["auth:person"] == local  # the existing account, matched by e-mail
    assert "Signed in as **Ann Local**" in [c.value for c in at.sidebar.caption]

    provider.user = ("olu@example.com", "Olu Ade")
    first = tab().session_state["auth:person"]
    provider.user = (" Olu@Example.COM ", "Another Name")
    again = tab().session_state["auth:person"]
    assert first == again and first.display_name == "Olu Ade"
    assert db.db.execute("SELECT count(*) FROM person WHERE email = 'olu@example.com'").fetchone()[0] == 1


def test_oidc_without_an_e_mail_is_not_signed_in(db, provider):
    provider.user = ("", "No Mail")
    at = tab()
    assert on_sign_in_page(at)
    assert db.db.execute("SELECT count(*) FROM person").fetchone()[0] == 0


def test_oidc_sign_out_logs_out_and_ends_other_tabs(db, provider):
    provider.user = ("olu@example.com", "Olu Ade")
    first, other = tab(), tab()
    assert signed_in(first) and signed_in(other)

    next(b for b in first.sidebar.button if b.label == "Sign out").click()
    provider.user = None  # st.logout cleared the identity in this tab (and deleted the cookie)
    first.run()
    assert provider.logouts == 1
    assert on_sign_in_page(first)

    # The other tab still holds a stale st.user (Streamlit only re-reads it on a new
    # session), yet its next run signs it out and does not sign it in again.
    provider.user = ("olu@example.com", "Olu Ade")
    other.run()
    assert on_sign_in_page(other)
    other.run()
    assert on_sign_in_page(other)
    # A new tab (a reload, or signing in again through the provider) is signed in.
    assert signed_in(tab())


def test_oidc_user_is_none_without_auth_configured(monkeypatch):
    monkeypatch.chdir(ROOT)  # the repository has no [auth] in .streamlit/secrets.toml
    assert ui.oidc_user() is None
