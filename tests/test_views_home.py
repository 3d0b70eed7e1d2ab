"""Page tests for sign-in/sign-up and the pairings page, with Streamlit's AppTest."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "plum tree by the river"
CODE = re.compile(r"`([0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4})`")
TIMEOUT = 15


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # ui.store() is cached per path (st.cache_resource), so every test gets its own file.
    path = tmp_path / "pal.db"
    monkeypatch.setenv("PAL_DB_PATH", str(path))
    return path


@pytest.fixture
def new_app(db_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Factory: one browser tab of the app (its own session state), signed out."""
    monkeypatch.chdir(ROOT)

    def make() -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
        at.run()
        assert not at.exception
        return at

    return make


def button(at: AppTest, label: str):
    matches = [b for b in at.button if b.label == label]
    assert len(matches) == 1, f"expected one {label!r} button, found {[b.label for b in at.button]}"
    return matches[0]


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def errors(at: AppTest) -> list[str]:
    return texts(at.error)


def sign_up(at: AppTest, name: str, email: str, password: str = PASSWORD, again: str | None = None) -> AppTest:
    at.text_input(key="signup:name").input(name)
    at.text_input(key="signup:email").input(email)
    at.text_input(key="signup:password").input(password)
    at.text_input(key="signup:password2").input(password if again is None else again)
    button(at, "Create account").click()
    at.run()
    assert not at.exception, at.exception
    return at


def on_pairings_page(at: AppTest) -> bool:
    return "Your pairings" in texts(at.title)


def on_sign_in_page(at: AppTest) -> bool:
    return "PAL Sessions" in texts(at.title) and [t.label for t in at.tabs] == ["Sign in", "Create an account"]


def test_signed_out_shows_only_sign_in(new_app):
    at = new_app()
    assert on_sign_in_page(at)
    assert not on_pairings_page(at)
    assert [b.label for b in at.button] == ["Sign in", "Create account"]
    assert not at.sidebar.button  # no "Sign out", no pages
    assert not at.exception


@pytest.mark.parametrize(
    ("name", "email", "password", "again", "message"),
    [
        ("Ada", "ada@example.com", "short", None, "at least 10 characters"),
        ("Ada", "ada@example.com", PASSWORD, PASSWORD + "!", "The two passwords differ"),
        ("Ada", "not-an-email", PASSWORD, None, "Enter an e-mail address"),
        ("", "ada@example.com", PASSWORD, None, "Enter the name"),
    ],
    ids=["short-password", "passwords-differ", "bad-email", "no-name"],
)
def test_sign_up_refuses_bad_input_with_a_clear_error(new_app, name, email, password, again, message):
    at = sign_up(new_app(), name, email, password, again)
    assert any(message in e for e in errors(at)), errors(at)
    assert on_sign_in_page(at) and not on_pairings_page(at)


def test_sign_up_refuses_an_e_mail_already_registered(new_app):
    sign_up(new_app(), "Ada", "ada@example.com")
    at = sign_up(new_app(), "Another Ada", "ADA@example.com ")
    assert errors(at), "a second account with the same e-mail was not refused"
    assert any("already" in e.lower() for e in errors(at)), errors(at)
    assert on_sign_in_page(at) and not on_pairings_page(at)


def test_good_sign_up_lands_on_an_empty_pairings_page(new_app):
    at = sign_up(new_app(), "Ada Lovelace", "ada@example.com")
    assert not errors(at)
    assert on_pairings_page(at)
    assert any("not paired with anyone yet" in i for i in texts(at.info))
    assert at.session_state["auth:person"].display_name == "Ada Lovelace"
    assert "Signed in as **Ada Lovelace**" in texts(at.sidebar.caption)


def test_sign_in_with_a_wrong_password_is_refused(new_app):
    sign_up(new_app(), "Ada", "ada@example.com")
    at = new_app()
    at.text_input(key="signin:email").input("ada@example.com")
    at.text_input(key="signin:password").input("not the password at all")
    button(at, "Sign in").click()
    at.run()
    assert any("don't match an account" in e for e in errors(at)), errors(at)
    assert on_sign_in_page(at)


def pair(mentee: AppTest, pal: AppTest) -> str:
    """The mentee creates an invite code; the PAL joins with it. Returns the code."""
    mentee.radio(key="home:role").set_value(mentee.radio(key="home:role").options[0]).run()
    button(mentee, "Create invite code").click()
    mentee.run()
    codes = [m for md in texts(mentee.markdown) for m in CODE.findall(md)]
    assert len(codes) == 1, texts(mentee.markdown)
    pal.text_input(key="home:code").input(codes[0].lower())  # typed in lower case: still accepted
    button(pal, "Join pairing").click()
    pal.run()
    assert not pal.exception and not errors(pal), errors(pal)
    return codes[0]


def test_invite_join_and_schedule(new_app):
    ada = sign_up(new_app(), "Ada Lovelace", "ada@example.com")
    bo = sign_up(new_app(), "Bo Pal", "bo@example.com")
    pair(ada, bo)

    assert "With Ada Lovelace" in texts(bo.subheader)
    assert any("You are the PAL" in c for c in texts(bo.caption))
    ada.run()
    assert "With Bo Pal" in texts(ada.subheader)
    assert any("You are the mentee" in c for c in texts(ada.caption))
    assert any("No sessions yet" in i for i in texts(ada.info))

    # A time in the past is refused with advice, and nothing is scheduled.
    yesterday = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)
    ada.date_input(key="home:day").set_value(yesterday)
    button(ada, "Schedule").click()
    ada.run()
    assert not ada.exception
    assert any("in the past" in e for e in errors(ada)), errors(ada)
    assert any("No sessions yet" in i for i in texts(ada.info))

    # A time ahead is listed for both.
    ahead = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=3)
    ada.date_input(key="home:day").set_value(ahead)
    ada.time_input(key="home:time").set_value(dt.time(14, 30))
    button(ada, "Schedule").click()
    ada.run()
    assert not ada.exception and not errors(ada), errors(ada)
    listed = dt.datetime.combine(ahead, dt.time(14, 30)).strftime("%a %d %b %Y, %H:%M")
    assert any(listed in md for md in texts(ada.markdown)), texts(ada.markdown)
    assert "Prepare" in [b.label for b in ada.button]

    bo.run()
    assert any(listed in md for md in texts(bo.markdown)), texts(bo.markdown)
    assert "Open" in [b.label for b in bo.button]


def test_joining_with_a_wrong_or_own_code_is_refused(new_app):
    ada = sign_up(new_app(), "Ada Lovelace", "ada@example.com")
    ada.text_input(key="home:code").input("ABCD-1234-EF56")
    button(ada, "Join pairing").click()
    ada.run()
    assert any("not valid" in e for e in errors(ada)), errors(ada)

    button(ada, "Create invite code").click()
    ada.run()
    own = CODE.findall(" ".join(texts(ada.markdown)))[0]
    ada.text_input(key="home:code").input(own)
    button(ada, "Join pairing").click()
    ada.run()
    assert any("your own invite code" in e for e in errors(ada)), errors(ada)
    assert not ada.exception


def test_sessions_page_by_ten_with_newer_and_older(new_app, db_path):
    from pal_core.models import NewSession
    from pal_core.store import Store

    ada = sign_up(new_app(), "Ada Lovelace", "ada@example.com")
    bo = sign_up(new_app(), "Bo Pal", "bo@example.com")
    pair(ada, bo)
    store = Store(db_path)
    try:
        me = store.credentials("ada@example.com")[0]
        pairing = store.pairings(me.id)[0]
        start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=1)
        for week in range(23):
            store.schedule_session(me.id, pairing.id, NewSession(scheduled_at=start + dt.timedelta(weeks=week)))
    finally:
        store.close()
    ada.run()
    # The schedule form is closed once there are sessions (it opens on a click).
    assert "home:day" not in [d.key for d in ada.date_input]

    def shown() -> tuple[str, int, dict[str, bool]]:
        heading = next(t for t in texts(ada.markdown) if t.startswith("**Sessions**"))
        rows = [b for b in ada.button if b.key and b.key.startswith("home:open:")]
        return heading, len(rows), {b.label: b.disabled for b in ada.button if b.key in ("home:newer", "home:older")}

    assert shown() == ("**Sessions** (1–10 of 23, newest first)", 10, {"← Newer": True, "Older →": False})
    button(ada, "Older →").click()
    ada.run()
    assert shown() == ("**Sessions** (11–20 of 23, newest first)", 10, {"← Newer": False, "Older →": False})
    button(ada, "Older →").click()
    ada.run()
    assert shown() == ("**Sessions** (21–23 of 23, newest first)", 3, {"← Newer": False, "Older →": True})
    button(ada, "← Newer").click()
    ada.run()
    assert shown()[0] == "**Sessions** (11–20 of 23, newest first)"
    assert not ada.exception
