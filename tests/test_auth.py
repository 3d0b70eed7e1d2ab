"""Tests for pal_core.auth: hashing, sign-up and sign-in rules, throttling, tokens, OIDC."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pytest

from pal_core import auth
from pal_core.auth import (
    WRONG_CREDENTIALS,
    AuthError,
    hash_password,
    issue_token,
    normalise_email,
    password_problem,
    person_for_oidc,
    person_for_token,
    sign_in,
    sign_out_everywhere,
    sign_up,
    verify_password,
)
from pal_core.store import Store, StoreError

PASSWORD = "correct horse battery staple"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "sub" / "pal.db")
    yield s
    s.close()


@pytest.fixture
def fast_scrypt(monkeypatch):
    """Cheap scrypt parameters for tests that hash many times (the logic is the same)."""
    monkeypatch.setattr(auth, "SCRYPT_N", 2**4)
    monkeypatch.setattr(auth, "_DUMMY_HASH", auth.hash_password("dummy password here"))


def db_bytes(path: Path) -> bytes:
    """The database file plus its WAL (recent writes may live only there)."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def raw_exec(store: Store, sql: str, params=()) -> None:
    conn = sqlite3.connect(store.path)
    try:
        with conn:
            conn.execute(sql, params)
    finally:
        conn.close()


# --- hashing ---------------------------------------------------------------------------


def test_hash_is_salted_scrypt():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second  # a fresh salt each time
    scheme, n, r, p, salt, digest = first.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2**14, 8, 1)
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(digest)) == 32
    expected = hashlib.scrypt(PASSWORD.encode(), salt=base64.b64decode(salt), n=2**14, r=8, p=1, dklen=32)
    assert base64.b64decode(digest) == expected
    assert PASSWORD not in first


def test_verify_right_and_wrong_password():
    stored = hash_password(PASSWORD)
    assert verify_password(PASSWORD, stored) is True
    assert verify_password(PASSWORD + " ", stored) is False
    assert verify_password("Correct horse battery staple", stored) is False
    assert verify_password("", stored) is False


@pytest.mark.parametrize(
    "stored",
    [None, "", "garbage", "$$$$$", "bcrypt$16384$8$1$c2FsdHNhbHRzYWx0$ZGlnZXN0",
     "scrypt$many$8$1$c2FsdHNhbHRzYWx0$ZGlnZXN0", "scrypt$16384$8$1$c2FsdA", "scrypt$3$8$1$c2FsdA==$ZGlnZXN0",
     "scrypt$16384$8$1$c2FsdHNhbHRzYWx0$ZGlnZXN0$extra"],
)
def test_verify_garbage_is_false(stored):
    assert verify_password(PASSWORD, stored) is False


def test_verify_tampered_digest_is_false(fast_scrypt):
    stored = auth.hash_password(PASSWORD)
    head, digest = stored.rsplit("$", 1)
    flipped = bytearray(base64.b64decode(digest))
    flipped[0] ^= 1
    assert verify_password(PASSWORD, f"{head}${base64.b64encode(bytes(flipped)).decode()}") is False


def test_verify_with_a_malformed_digest_is_false():
    assert verify_password(PASSWORD, "scrypt$16$8$1$c2FsdHNhbHRzYWx0$abc") is False


# --- password rules and e-mail ---------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "email", "advice"),
    [
        ("short", "", "at least 10 characters"),
        ("123456789", "", "at least 10 characters"),
        ("x" * 1025, "", "at most 1,024"),
        ("aaaaaaaaaaaa", "", "more different characters"),
        ("abababababab", "", "more different characters"),
        ("my name is annabel!", "annabel@example.com", "e-mail name"),
        ("ANNABEL rocks 2030", "annabel@example.com", "e-mail name"),
    ],
)
def test_password_rules_give_advice(password, email, advice):
    problem = password_problem(password, email)
    assert problem is not None and advice in problem


@pytest.mark.parametrize("password", [PASSWORD, "x" * 1000 + "yzw", "Tr0ub4dor&3xyz", "пароль-надёжный", "🔑🔒🗝️ house keys"])
def test_good_passwords_pass(password):
    assert password_problem(password, "annabel@example.com") is None


def test_short_email_name_does_not_reject_ordinary_passwords():
    assert password_problem(PASSWORD, "a@example.com") is None


def test_email_is_normalised():
    assert normalise_email("  Ann.Lee@Example.COM \n") == "ann.lee@example.com"


def test_sign_up_normalises_and_validates(store, fast_scrypt):
    ann = sign_up(store, "  Ann@Example.com ", "  Ann\x00 Lee ", PASSWORD)
    assert (ann.email, ann.display_name) == ("ann@example.com", "Ann Lee")
    assert store.person(ann.id) == ann
    person, stored = store.credentials("ann@example.com")
    assert person == ann and verify_password(PASSWORD, stored)


@pytest.mark.parametrize("email", ["", "ann", "ann@", "@example.com", "ann@example", "ann@exa mple.com", "a b@example.com", "ann@example.c"])
def test_sign_up_rejects_bad_email(store, email):
    with pytest.raises(AuthError, match="such as name@example.com"):
        sign_up(store, email, "Ann", PASSWORD)


def test_sign_up_rejects_bad_name_and_password(store):
    with pytest.raises(AuthError, match="name your PAL or mentee knows you by"):
        sign_up(store, "ann@example.com", "  \x00 ", PASSWORD)
    with pytest.raises(AuthError, match="at most 80"):
        sign_up(store, "ann@example.com", "A" * 81, PASSWORD)
    with pytest.raises(AuthError, match="at least 10"):
        sign_up(store, "ann@example.com", "Ann", "short")
    with pytest.raises(AuthError, match="e-mail name"):
        sign_up(store, "annabel@example.com", "Ann", "annabel is great")
    assert store.credentials("ann@example.com") is None


def test_duplicate_sign_up_is_a_clear_error(store, fast_scrypt):
    sign_up(store, "ann@example.com", "Ann", PASSWORD)
    with pytest.raises(StoreError, match="already exists: sign in instead"):
        sign_up(store, "ANN@example.com", "Ann Again", "another good passphrase")
    assert store.credentials("ann@example.com")[0].display_name == "Ann"


def test_clear_password_never_reaches_the_database_file(store):
    secret = "Unique-Passphrase-4711-zebra"
    sign_up(store, "ann@example.com", "Ann", secret)
    sign_in(store, "ann@example.com", secret)
    with pytest.raises(AuthError):
        sign_in(store, "ann@example.com", secret + "-wrong")
    raw = db_bytes(store.path)
    assert b"scrypt$16384$8$1$" in raw  # the data we look for is really in these bytes
    assert secret.encode() not in raw
    assert secret.encode("utf-16-le") not in raw


# --- sign-in and throttling ------------------------------------------------------------


def test_sign_in_right_password(store, fast_scrypt):
    ann = sign_up(store, "ann@example.com", "Ann", PASSWORD)
    assert sign_in(store, " ANN@example.com ", PASSWORD) == ann


def test_wrong_password_and_unknown_email_get_the_same_message(store, fast_scrypt):
    sign_up(store, "ann@example.com", "Ann", PASSWORD)
    with pytest.raises(AuthError) as wrong_password:
        sign_in(store, "ann@example.com", "not the password")
    with pytest.raises(AuthError) as unknown_email:
        sign_in(store, "nobody@example.com", PASSWORD)
    assert str(wrong_password.value) == str(unknown_email.value) == WRONG_CREDENTIALS


def test_five_failures_lock_the_account_even_with_the_right_password(store, fast_scrypt, monkeypatch):
    ann = sign_up(store, "ann@example.com", "Ann", PASSWORD)
    for _ in range(5):
        with pytest.raises(AuthError, match="don't match"):
            sign_in(store, "ann@example.com", "wrong password!", client="10.0.0.1")
    with pytest.raises(AuthError, match="Wait 15 minutes") as locked:
        sign_in(store, "ann@example.com", PASSWORD, client="10.0.0.2")  # another client too
    assert "Too many failed sign-ins" in str(locked.value)
    # The lock doesn't reveal anything: an unknown account locks the same way.
    for _ in range(5):
        with pytest.raises(AuthError, match="don't match"):
            sign_in(store, "ghost@example.com", "whatever", client="10.0.0.3")
    with pytest.raises(AuthError, match="Wait"):
        sign_in(store, "ghost@example.com", "whatever", client="10.0.0.4")
    # After the window the right password works again.
    later = auth.now_utc() + auth.THROTTLE_WINDOW + dt.timedelta(minutes=1)
    monkeypatch.setattr(auth, "now_utc", lambda: later)
    assert sign_in(store, "ann@example.com", PASSWORD, client="10.0.0.2") == ann


def test_per_client_limit(store, fast_scrypt):
    ann = sign_up(store, "ann@example.com", "Ann", PASSWORD)
    for i in range(auth.MAX_FAILURES_PER_CLIENT):  # a different account each time
        with pytest.raises(AuthError, match="don't match"):
            sign_in(store, f"guess{i}@example.com", "password guess", client="203.0.113.9")
    with pytest.raises(AuthError, match="Wait"):
        sign_in(store, "ann@example.com", PASSWORD, client="203.0.113.9")
    assert sign_in(store, "ann@example.com", PASSWORD, client="198.51.100.1") == ann


def test_success_clears_the_account_counter(store, fast_scrypt):
    ann = sign_up(store, "ann@example.com", "Ann", PASSWORD)
    for _round in range(3):
        for _ in range(4):
            with pytest.raises(AuthError, match="don't match"):
                sign_in(store, "ann@example.com", "wrong password!", client=f"client-{_round}")
        assert sign_in(store, "ann@example.com", PASSWORD, client=f"client-{_round}") == ann


# --- remember-me tokens ----------------------------------------------------------------


def test_token_round_trip_stores_only_the_hash(store, fast_scrypt):
    ann = sign_up(store, "ann@example.com", "Ann", PASSWORD)
    token = issue_token(store, ann)
    assert len(token) >= 40
    assert person_for_token(store, token) == ann
    raw = db_bytes(store.path)
    assert hashlib.sha256(token.encode()).hexdigest().encode() in raw  # the row is in these bytes
    assert token.encode() not in raw
    assert issue_token(store, ann) != token


def test_sign_out_everywhere_kills_every_token(store, fast_scrypt):
    ann = sign_up(store, "ann@example.com", "Ann", PASSWORD)
    bo = sign_up(store, "bo@example.com", "Bo", PASSWORD)
    laptop, phone, bos = issue_token(store, ann), issue_token(store, ann), issue_token(store, bo)
    sign_out_everywhere(store, ann)
    assert person_for_token(store, laptop) is None
    assert person_for_token(store, phone) is None
    assert person_for_token(store, bos) == bo


def test_expired_token_is_refused(store, fast_scrypt):
    ann = sign_up(store, "ann@example.com", "Ann", PASSWORD)
    token = issue_token(store, ann)
    raw_exec(store, "UPDATE auth_token SET expires_at = ?",
             [(auth.now_utc() - dt.timedelta(seconds=1)).isoformat()])
    assert person_for_token(store, token) is None


def test_token_lasts_its_ttl(store, fast_scrypt, monkeypatch):
    import pal_core.store as store_module

    ann = sign_up(store, "ann@example.com", "Ann", PASSWORD)
    token = issue_token(store, ann)
    start = store_module.now_utc()
    monkeypatch.setattr(store_module, "now_utc", lambda: start + auth.TOKEN_TTL - dt.timedelta(minutes=1))
    assert person_for_token(store, token) == ann
    monkeypatch.setattr(store_module, "now_utc", lambda: start + auth.TOKEN_TTL + dt.timedelta(minutes=1))
    assert person_for_token(store, token) is None


@pytest.mark.parametrize("garbage", [None, "", "garbage", "x" * 101, "' OR 1=1 --", 12345, b"bytes", ["list"]])
def test_garbage_token_is_none(store, fast_scrypt, garbage):
    issue_token(store, sign_up(store, "ann@example.com", "Ann", PASSWORD))
    assert person_for_token(store, garbage) is None


# --- identity provider -----------------------------------------------------------------


def test_oidc_creates_once_then_matches_by_email(store, fast_scrypt):
    first = person_for_oidc(store, "Olu@Example.com", "Olu Ade")
    assert (first.email, first.display_name) == ("olu@example.com", "Olu Ade")
    again = person_for_oidc(store, " olu@example.COM ", "Another Name")
    assert again == first
    nameless = person_for_oidc(store, "kim@example.com", "")
    assert nameless.display_name == "kim"
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("SELECT count(*) FROM person").fetchone()[0] == 2
    finally:
        conn.close()
    # An identity-provider account has no password: signing in with one fails normally.
    with pytest.raises(AuthError, match="don't match"):
        sign_in(store, "olu@example.com", "")


def test_oidc_matches_an_existing_local_account(store, fast_scrypt):
    ann = sign_up(store, "ann@example.com", "Ann", PASSWORD)
    assert person_for_oidc(store, "ANN@example.com", "Ann from SSO") == ann
