"""Shared page helpers: the store, the signed-in person, the chosen session, autosaved
fields. Each helper owns its session-state keys ("<area>:<field>") so pages don't
copy them. Pages stay thin: read through pal_core, render, call back into it.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import os
import time
import zoneinfo
from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

from pal_core import auth
from pal_core.config import ENV_NAMES, LLMSettings, Settings, _secrets_files, load_settings
from pal_core.models import Pairing, Person, Phase, Session, Visibility
from pal_core.store import DatabaseUnreadable, NotFound, StaleWrite, Store, StoreError
from pal_core.questions import QuestionBank, load_bank

if TYPE_CHECKING:
    from pal_core.assist import Assistant

TOKEN_COOKIE = "pal_token"
SHARE_MODE = "ui:share_mode"


@functools.lru_cache(maxsize=8)
def _settings(stamp: tuple) -> Settings:
    return load_settings()


_secrets_seen: tuple[float, tuple] = (float("-inf"), ())


def _secrets_stamp() -> tuple:
    """When the secrets files last changed, looked up at most once a second: each look
    is a few system calls, and under load every one of them can cost milliseconds."""
    global _secrets_seen
    checked, stamp = _secrets_seen
    if time.monotonic() - checked > 1.0:
        found = []
        for path in _secrets_files():
            try:
                found.append(path.stat().st_mtime_ns)
            except OSError:
                found.append(None)
        stamp = tuple(found)
        _secrets_seen = (time.monotonic(), stamp)
    return stamp


def current_settings() -> Settings:
    """load_settings(), read again only when what it reads changes (its environment
    variables, the secrets files). store() and assistant() ask for it many times a
    rerun, and a fresh read (environment copy, two file probes) cost about 1 ms."""
    return _settings((tuple(os.environ.get(name) for name in ENV_NAMES), _secrets_stamp()))


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> Store:
    return Store(path)


# What _open_store and _assistant returned, by their arguments: a dict lookup instead of
# st.cache_resource's (which inspects the signature and hashes the arguments, ~0.3 ms a
# call, and pages call store() 10-20 times a rerun). Same objects, same lifetime.
_stores: dict[str, Store] = {}
_assistants: dict[tuple, Assistant] = {}


def store() -> Store:
    """The app's store; a database that can't be opened stops the page with advice."""
    path = str(current_settings().db_path)
    found = _stores.get(path)
    if found is not None:
        return found
    try:
        found = _stores[path] = _open_store(path)
    except DatabaseUnreadable as error:
        st.error(str(error))
        st.stop()
    return found


@st.cache_resource(show_spinner=False)
def bank() -> QuestionBank:
    return load_bank()


@st.cache_resource(show_spinner=False)
def _assistant(base_url: str | None, model: str | None, api_key: str | None, budget_s: float, db_path: str) -> Assistant:
    from pal_core.assist import Assistant  # on first use: the landing page has none (~20 ms of a cold start)

    return Assistant(LLMSettings(base_url, model, api_key, budget_s), _open_store(db_path))


def assistant() -> Assistant:
    """One assistant per configuration, so a changed setting takes effect at once."""
    settings = current_settings()
    llm = settings.llm
    key = (llm.base_url, llm.model, llm.api_key, llm.budget_s, str(settings.db_path))
    found = _assistants.get(key)
    if found is None:
        found = _assistants[key] = _assistant(*key)
    return found


def source_caption(source: str, notice: str | None) -> None:
    """Say where a suggestion came from, and why the built-in engine answered."""
    if source == "llm":
        st.caption(":material/smart_toy: Suggested by the AI model")
    else:
        st.caption(":material/memory: Suggested by the built-in engine" + ("" if assistant().enabled else " (AI is off)"))
    if notice:
        st.warning(notice, icon=":material/cloud_off:")


def lazy_expander(label: str, key: str, *, expanded: bool = False):
    """An expander whose content a page draws only while it is open (`if box.open:
    with box: ...`). Opening or closing it reruns the page; closed, it costs a rerun
    next to nothing, where a plain expander's hidden content is built on every rerun."""
    return st.expander(label, expanded=expanded, key=key, on_change="rerun")


def what_will_be_sent(key: str, feature: str, *args, **kwargs) -> None:
    """Before anything goes to the AI, the exact text can be read (private notes never are)."""
    if assistant().enabled:
        memo(PREVIEWS)[key] = True
        box = lazy_expander("What will be sent to the AI", key)
        if box.open:
            with box:
                st.code(assistant().preview_request(feature, *args, **kwargs), language=None, wrap_lines=True)


def show_suggestions(suggestions) -> None:
    source_caption(suggestions.source, suggestions.notice)
    st.markdown("\n".join(f"- {plain(item)}" for item in suggestions.items))


def kpi_texts(person: Person, pairing: Pairing) -> list[str]:
    return [k.text for k in store().kpis(person.id, pairing.id)]


# --- who is signed in --------------------------------------------------------------


def oidc_user() -> tuple[str, str] | None:
    """(email, name) of an identity-provider sign-in, the one place st.user is read."""
    try:
        if "auth" in st.secrets and st.user.is_logged_in:
            return str(st.user.get("email") or ""), str(st.user.get("name") or "")
    except (FileNotFoundError, KeyError, AttributeError):
        return None
    return None


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


SIGNED_OUT = "auth:signed_out"  # this tab was signed out: its (stale) identity must not sign it in again


@st.cache_resource(show_spinner=False)
def _signed_out_at() -> dict[int, float]:
    """Person id → when they last signed out (this server process). Ends identity-provider
    sign-ins in the person's other open tabs, which keep a stale st.user until reloaded."""
    return {}


def _still_signed_in(person: Person) -> bool:
    """A tab stays signed in only while its sign-in does: signing out anywhere deletes
    every token (checked here, one indexed read) and ends every other tab at its next run."""
    token = st.session_state.get("auth:token")
    if token is not None:
        found = auth.person_for_token(store(), token)
        return found is not None and found.id == person.id
    since = st.session_state.get("auth:since")
    return since is None or _signed_out_at().get(person.id, 0.0) < since


def _forget_this_tab() -> None:
    # The cookie is left alone: it may already hold a newer sign-in from another tab.
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[SIGNED_OUT] = True


def current_person() -> Person | None:
    person = st.session_state.get("auth:person")
    if person is not None:
        if _still_signed_in(person):
            return person
        _forget_this_tab()
        return None
    if st.session_state.get(SIGNED_OUT):
        return None
    if oidc_configured():
        user = oidc_user()
        person = auth.person_for_oidc(store(), *user) if user and user[0] else None
        if person is not None:
            st.session_state["auth:since"] = time.time()
    else:
        token = st.context.cookies.get(TOKEN_COOKIE)
        person = auth.person_for_token(store(), token)
        if person is not None:
            st.session_state["auth:token"] = token
    if person is not None:
        st.session_state["auth:person"] = person
    return person


def remember_sign_in(person: Person) -> None:
    """Keep the person signed in across reloads with a cookie holding a random token."""
    token = auth.issue_token(store(), person)
    st.session_state.pop(SIGNED_OUT, None)
    st.session_state["auth:person"] = person
    st.session_state["auth:token"] = token
    st.session_state["auth:set_cookie"] = token


def emit_cookie_changes() -> None:
    # The token is ours (URL-safe base64), never user text, so it is safe in a script.
    token = st.session_state.pop("auth:set_cookie", None)
    if token is not None:
        max_age = 0 if token == "" else int(auth.TOKEN_TTL.total_seconds())
        st.html(
            f"<script>document.cookie = '{TOKEN_COOKIE}={token}; path=/; max-age={max_age};"
            " SameSite=Strict';</script>",
            unsafe_allow_javascript=True,
        )


def sign_out() -> None:
    """Sign out in every tab and browser: all tokens go, other tabs end at their next run."""
    person = st.session_state.get("auth:person")
    if person is not None:
        auth.sign_out_everywhere(store(), person)
        _signed_out_at()[person.id] = time.time()
    _forget_this_tab()
    st.session_state["auth:set_cookie"] = ""
    if oidc_configured():
        st.logout()  # deletes the identity cookie and ends the provider's session too


def me() -> Person:
    person = current_person()
    if person is None:  # app.py routes signed-out people to sign-in only
        st.stop()
    return person


def client_key() -> str:
    return st.context.ip_address or "unknown"


# --- time --------------------------------------------------------------------------


def local_tz() -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(st.context.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def when(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(local_tz()).strftime("%a %d %b %Y, %H:%M")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# --- the pairing and session a page works on ---------------------------------------


def choose_pairing(person: Person) -> Pairing | None:
    pairings = store().pairings(person.id)
    if not pairings:
        return None
    chosen = st.session_state.get("ctx:pairing_id")
    ids = [p.id for p in pairings]
    index = ids.index(chosen) if chosen in ids else 0
    if len(pairings) > 1:
        labels = {p.id: f"{p.mentee_name} ↔ {p.pal_name} (you: {p.role_of(person.id).value})" for p in pairings}
        chosen = st.selectbox("Pairing", ids, index=index, format_func=labels.get, key="ctx:pairing_select")
    else:
        chosen = ids[0]
    st.session_state["ctx:pairing_id"] = chosen
    return next(p for p in pairings if p.id == chosen)


def open_session(person: Person) -> tuple[Pairing, Session]:
    """The session from the URL (?session=ID) or the one chosen earlier, checked
    against the person like any read; stops the page with advice when there is none."""
    wanted = st.query_params.get("session") or st.session_state.get("ctx:session_id")
    try:
        session = store().session(person.id, int(wanted)) if wanted else None
    except (NotFound, ValueError, OverflowError):  # OverflowError: an id too large for SQLite
        st.error("That session was not found, or you don't have access to it.")
        st.page_link("views/home.py", label="Go to your pairings", icon=":material/home:")
        st.stop()
    if session is None:
        st.info("Pick a session first: open **Pairings** and choose *Open* on a scheduled session.")
        st.page_link("views/home.py", label="Go to your pairings", icon=":material/home:")
        st.stop()
    st.session_state["ctx:session_id"] = session.id
    st.session_state["ctx:pairing_id"] = session.pairing_id
    st.query_params["session"] = str(session.id)
    return store().pairing(person.id, session.pairing_id), session


def share_mode() -> bool:
    """Screen-share mode, kept in the URL (?share=1) too so that a reload or a
    reconnect while the screen is shared can't bring private things back."""
    if st.query_params.get("share") == "1":
        st.session_state[SHARE_MODE] = True
    return bool(st.session_state.get(SHARE_MODE, False))


def set_share_mode(on: bool) -> None:
    st.session_state[SHARE_MODE] = on
    if on:
        st.query_params["share"] = "1"
    else:
        st.query_params.pop("share", None)


def session_params(session_id: int) -> dict[str, str]:
    """Query parameters for a page switch within a session: the session, and share mode."""
    return {"session": str(session_id), **({"share": "1"} if share_mode() else {})}


def apply_share_mode_style() -> None:
    """Large type and no sidebar while the PAL shares the screen (static CSS only)."""
    if share_mode():
        st.html(
            "<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl']"
            " {display: none;} .stMainBlockContainer p, .stMainBlockContainer li,"
            " .stMainBlockContainer label, .stMainBlockContainer textarea {font-size: 1.3rem !important;}"
            " .stMainBlockContainer h1 {font-size: 2.6rem;} .stMainBlockContainer h2 {font-size: 2rem;}</style>"
        )


# --- safe text ---------------------------------------------------------------------


def plain(text: str) -> str:
    """Person-written text for st.markdown: HTML escaped and markdown made literal, so
    it shows as typed and can't inject links, images or layout."""
    escaped = html.escape(text, quote=False)
    for char in "\\`*_{}[]()#+-.!|>~":
        escaped = escaped.replace(char, "\\" + char)
    return escaped.replace("\n", "  \n")


def show_error(error: Exception) -> None:
    st.error(str(error), icon=":material/error:")


def signed_in_only(callback: Callable[..., None]) -> Callable[..., None]:
    """For a widget callback that writes: it does nothing when the person signed out in
    another tab since this one last ran (the run that follows shows the sign-in page)."""
    @functools.wraps(callback)
    def guarded(*args, **kwargs) -> None:
        if current_person() is not None:
            callback(*args, **kwargs)
    return guarded


MEMO = "ui:memo"


def memo(key: str) -> dict:
    """What this browser session remembers under `key` between reruns (beside a widget:
    the text it loaded, its version, a clash to show...), all under ONE session-state
    entry. Streamlit 1.67 copies every session-state entry each time it draws a text box
    or select box, so one entry per such fact made a page cost (entries × boxes),
    growing with every page visited."""
    return st.session_state.setdefault(MEMO, {}).setdefault(key, {})


def summary_key(session_id: int) -> str:
    """The Summary page's text box; Closing leaves it a notice (where the draft came from)."""
    return f"summary:{session_id}:body"


def unsaved_after_restart(key: str, stored: object) -> bool:
    """Whether widget `key`, drawn for the first time in this server session, came with
    a value from the browser other than `stored`. That happens after a server restart:
    the browser hands the values it shows to the new session without any on_change, and
    the old session may have died before saving them."""
    marks = memo(key)
    first = "drawn" not in marks
    marks["drawn"] = True
    return first and key in st.session_state and st.session_state[key] != stored


def attempt(action: Callable[[], object], done: str | None = None) -> bool:
    """Run a store call for a button; show its error as a sentence instead of a trace."""
    if current_person() is None:  # signed out in another tab since this one last ran
        return False
    try:
        action()
    except (StoreError, ValueError) as error:
        st.session_state["ui:flash_error"] = _message(error)
        return False
    if done:
        st.session_state["ui:flash"] = done
    return True


def _message(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):  # pydantic ValidationError: keep the human part
        return " ".join(str(e.get("msg", "")).removeprefix("Value error, ") for e in errors())
    return str(error)


def flash() -> None:
    """Messages from callbacks, shown once at the top of the next run."""
    if message := st.session_state.pop("ui:flash", None):
        st.toast(message, icon=":material/check_circle:")
    if message := st.session_state.pop("ui:flash_error", None):
        st.error(message, icon=":material/error:")


# --- autosaved notes ---------------------------------------------------------------


def _note_key(session_id: int, phase: Phase, slot: str, visibility: Visibility) -> str:
    return f"note:{session_id}:{phase.value}:{slot}:{visibility.value}"


# The store's change token for the session as this tab last drew it (views/runner.py's
# timer reruns the page when the token moves on); a note box that saves advances it past
# its own save, so the page needn't rerun to show what the box already shows.
CHANGES_SHOWN = "ui:changes_shown"
PREVIEWS = "ui:previews"  # memo: keys of the "What will be sent to the AI" sections drawn


@signed_in_only
def _save_note(person_id: int, session_id: int, phase: Phase, slot: str, visibility: Visibility, question: str) -> None:
    key = _note_key(session_id, phase, slot, visibility)
    mine, marks = st.session_state[key], memo(key)
    marks["saved"] = True
    expected = marks.get("v")
    seen = marks.get("seen", expected)
    if seen != expected and marks.get("loaded", "") in mine:
        expected = seen  # the other person's newer text is all still in mine: nothing is lost
    try:
        before, note, after = store().tracked(person_id, session_id, lambda: store().save_note(
            person_id, session_id, phase, slot, mine, visibility=visibility,
            question_text=question, expected_version=expected,
        ))
    except StaleWrite as conflict:
        st.session_state[key] = marks["loaded"] = conflict.current
        marks["v"] = conflict.version
        marks["stored"] = (conflict.current, conflict.version)
        marks.pop("seen", None)
        marks["conflict"] = (mine, str(conflict))
        return
    except (StoreError, ValueError) as error:
        marks["error"] = _message(error)
        return
    if st.session_state.get(CHANGES_SHOWN) == before:
        st.session_state[CHANGES_SHOWN] = after
    marks.update(v=note.version, loaded=note.body, stored=(note.body, note.version))
    for stale in ("seen", "error", "conflict"):  # a clash merged by hand is settled too
        marks.pop(stale, None)


def _keep_mine(key: str, save_args: tuple, mine: str) -> None:
    """Save this person's text over the newer version they have now seen."""
    st.session_state[key] = mine
    memo(key).pop("conflict", None)
    _save_note(*save_args)


def note_field(
    person: Person,
    session: Session,
    notes: dict[tuple[str, str, str], object],
    phase: Phase,
    slot: str,
    label: str,
    *,
    visibility: Visibility = Visibility.SHARED,
    height: int = 100,
    placeholder: str = "",
    question_text: str | None = None,
    page_shows_it: bool = False,
) -> None:
    """A text area saved when it is left. A newer version saved by the other person
    replaces the text if this person has not changed it; a clash is shown, not lost.
    Saving reruns only the box (a fragment), not the page; `page_shows_it` says the page
    shows something made of this text too (links under it), so a save reruns the page."""
    key = _note_key(session.id, phase, slot, visibility)
    stored = notes.get((phase.value, slot, visibility.value))
    # What the store holds, where the box reads it: a save reruns only the box, with the
    # arguments of the page's last run, and puts the version it saved here instead.
    memo(key)["stored"] = (stored.body, stored.version) if stored else ("", None)
    if visibility == Visibility.PRIVATE:
        label = f"🔒 {label} (private — only you see this)"
    _note_box((person.id, session.id, phase, slot, visibility, question_text or label), label, height, placeholder,
              page_shows_it)


@st.fragment
def _note_box(save_args: tuple, label: str, height: int, placeholder: str, page_shows_it: bool) -> None:
    key = _note_key(*save_args[1:5])
    marks = memo(key)
    stored_body, stored_version = marks["stored"]
    loaded = marks.get("loaded")
    if key not in st.session_state or loaded is None:
        if key in st.session_state and st.session_state[key] != stored_body:
            # A new server session (the server restarted) was handed the browser's text,
            # which the old one may not have saved: offer it beside the stored text.
            marks["conflict"] = (
                st.session_state[key], "The connection dropped while this box was being saved: the saved text "
                "is in the box now. Keep yours if it is the one you want.")
        st.session_state[key] = stored_body
        marks.update(v=stored_version, loaded=stored_body)
    elif stored_version != marks.get("v") and st.session_state[key] == loaded:
        # The other person saved: show their text, but only as "seen". The browser keeps
        # text still being typed (not yet committed) instead of it, and saving that must
        # clash rather than replace theirs unseen (see _save_note).
        st.session_state[key] = stored_body
        marks.update(loaded=stored_body, seen=stored_version)
    st.text_area(
        label, key=key, height=height, placeholder=placeholder, max_chars=20_000,
        on_change=_save_note, args=save_args,
    )
    save_problems(key, functools.partial(_keep_mine, key, save_args),
                  "Or copy from your text into the box to merge both; it saves when you leave the box.")
    if marks.pop("saved", False) and (page_shows_it or _preview_open()):
        st.rerun(scope="app")  # what else the page shows of this text must show the saved text


def _preview_open() -> bool:
    """Whether a "What will be sent to the AI" section is open: it shows notes' text, and
    must show exactly what a click would send."""
    return any(st.session_state.get(key) for key in memo(PREVIEWS))


def save_problems(key: str, keep_mine: Callable[[str], None], merge_hint: str) -> None:
    """Under an autosaved box: the save's error, or a clash with a newer version (the
    person's own text beside it, to keep or drop). `keep_mine(text)` saves the person's
    text over the newer one. Both live in memo(key)."""
    marks = memo(key)
    if error := marks.get("error"):
        st.error(error)
    if conflict := marks.get("conflict"):
        mine, message = conflict
        with st.container(border=True):
            st.warning(message, icon=":material/merge:")
            st.caption("Your text (not saved yet):")
            st.code(mine, language=None, wrap_lines=True)
            left, right = st.columns(2)
            left.button("Save my text instead", key=key + ":keep", on_click=keep_mine, args=(mine,), help=merge_hint)
            right.button("Keep their version", key=key + ":drop", on_click=marks.pop, args=("conflict", None))


def notes_by_slot(person: Person, session: Session, phase: Phase | None = None) -> dict:
    return {
        (n.phase.value, n.question_key, n.visibility.value): n
        for n in store().notes(person.id, session.id, phase)
    }
