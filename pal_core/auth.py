"""Local accounts: password hashing, sign-up and sign-in rules, remember-me tokens.

Passwords are hashed with scrypt (memory-hard, in the standard library). Failed
sign-ins are throttled per account and per client; the message never says whether an
account exists.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets

from pal_core.models import Person
from pal_core.store import Store, StoreError, now_utc

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # ~16 MiB of memory per guess
PASSWORD_MIN = 10
TOKEN_TTL = dt.timedelta(days=14)
THROTTLE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_CLIENT = 20
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,}$")
NAME_LIMIT = 80
WRONG_CREDENTIALS = "That e-mail and password don't match an account. Check both and try again."


class AuthError(StoreError):
    pass


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
        return hmac.compare_digest(candidate, base64.b64decode(digest))
    except ValueError:  # includes binascii.Error: a damaged stored hash never matches
        return False


# A real hash to check against when the account does not exist, so both cases take
# the same time and a timing difference can't tell whether an e-mail is registered.
# Made on first use, not at import: one scrypt is ~70 ms of every server start.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(8))
    return _DUMMY_HASH


def password_problem(password: str, email: str = "") -> str | None:
    """The first rule the password breaks, as advice; None when it is fine."""
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters — a short phrase is easy to remember."
    if len(password) > 1024:
        return "That password is too long: use at most 1,024 characters."
    if len(set(password)) < 4:
        return "Use more different characters: a phrase of a few words works well."
    local_part = email.split("@")[0].lower()
    if len(local_part) >= 4 and local_part in password.lower():
        return "Don't use your e-mail name in the password."
    return None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def sign_up(store: Store, email: str, display_name: str, password: str) -> Person:
    """:raises AuthError: with advice when a field is not acceptable."""
    email = normalise_email(email)
    display_name = display_name.replace("\x00", "").strip()
    if not EMAIL_RE.match(email):
        raise AuthError("Enter an e-mail address such as name@example.com.")
    if not display_name:
        raise AuthError("Enter the name your PAL or mentee knows you by.")
    if len(display_name) > NAME_LIMIT:
        raise AuthError(f"Use a name of at most {NAME_LIMIT} characters.")
    problem = password_problem(password, email)
    if problem:
        raise AuthError(problem)
    try:
        return store.create_person(email, display_name, hash_password(password))
    except StoreError as error:
        raise AuthError(str(error)) from error


def _throttle_keys(email: str, client: str) -> tuple[str, str]:
    return f"account:{email}", f"client:{client}"


def sign_in(store: Store, email: str, password: str, client: str = "unknown") -> Person:
    """:raises AuthError: on wrong credentials or too many recent failures."""
    email = normalise_email(email)
    account_key, client_key = _throttle_keys(email, client)
    since = now_utc() - THROTTLE_WINDOW
    if (
        store.login_failures_since(account_key, since) >= MAX_FAILURES_PER_ACCOUNT
        or store.login_failures_since(client_key, since) >= MAX_FAILURES_PER_CLIENT
    ):
        minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
        raise AuthError(f"Too many failed sign-ins. Wait {minutes} minutes, then try again.")
    found = store.credentials(email)
    stored_hash = found[1] if found else _dummy_hash()
    if not verify_password(password, stored_hash) or found is None:
        store.record_login_failure([account_key, client_key])
        raise AuthError(WRONG_CREDENTIALS)
    store.clear_login_failures(account_key)
    return found[0]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(store: Store, person: Person) -> str:
    """A random remember-me token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    store.add_token(_token_hash(token), person.id, now_utc() + TOKEN_TTL)
    return token


def person_for_token(store: Store, token: str | None) -> Person | None:
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    return store.person_for_token(_token_hash(token))


def sign_out_everywhere(store: Store, person: Person) -> None:
    store.delete_tokens(person.id)


def person_for_oidc(store: Store, email: str, name: str) -> Person:
    """Match an identity-provider user to a local person by e-mail, creating one if new."""
    email = normalise_email(email)
    found = store.credentials(email)
    if found:
        return found[0]
    return store.create_person(email, (name or email.split("@")[0])[:NAME_LIMIT], None)
