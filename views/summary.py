"""Summary: the drafted summary to edit and agree on, its revisions, the follow-up
message, and the session's downloads."""

import re

import streamlit as st

from pal_core import export, summary
from pal_core.models import Role, SessionStatus
from pal_core.store import StaleWrite, StoreError
from views import ui

person = ui.me()
pairing, session = ui.open_session(person)
store = ui.store()
my_role = pairing.role_of(person.id)
tz = ui.local_tz()
KEY = ui.summary_key(session.id)

st.title("Summary")
st.caption(
    f"Session of {ui.when(session.scheduled_at)} · {ui.plain(pairing.mentee_name)} (mentee) with "
    f"{ui.plain(pairing.pal_name)} (PAL)"
)

if session.status != SessionStatus.COMPLETED:
    st.info("This session isn't completed yet. Finish it on **Closing**: completing it drafts the summary here.")
    st.page_link("views/closing.py", label="Go to Closing", icon=":material/done_all:",
                 query_params={"session": str(session.id)})
    st.stop()


# --- callbacks ---------------------------------------------------------------------------


def _loaded(body: str, version: int) -> None:
    st.session_state[KEY] = body
    ui.memo(KEY).update(v=version, loaded=body)


@ui.signed_in_only
def _save() -> None:
    mine = st.session_state.get(KEY, "")
    if mine == ui.memo(KEY).get("loaded"):
        return  # nothing new: leaving the box and pressing Save both land here
    current = store.summary(person.id, session.id)
    try:
        saved = store.save_summary(
            person.id, session.id, mine, source=current.source if current else "offline",
            expected_version=ui.memo(KEY).get("v"),
        )
    except StaleWrite as conflict:
        _loaded(conflict.current, conflict.version)
        ui.memo(KEY)["conflict"] = (mine, str(conflict))
        return
    except (StoreError, ValueError) as error:
        ui.memo(KEY)["error"] = str(error)
        return
    _loaded(saved.body, saved.version)
    ui.memo(KEY).pop("error", None)
    st.session_state["ui:flash"] = "Summary saved."


def _keep_mine(mine: str) -> None:
    """Save this person's text over the newer version they have now seen."""
    st.session_state[KEY] = mine
    ui.memo(KEY).pop("conflict", None)
    _save()


def _agree(version: int) -> None:
    current = store.summary(person.id, session.id)
    if current is None or current.version != version:
        st.session_state["ui:flash_error"] = (
            f"{current.edited_by_name if current else 'Someone'} changed the summary just now: "
            "read the new version, then mark it again."
        )
        return
    ui.attempt(lambda: store.agree_summary(person.id, session.id), "Marked as read and agreed.")


@ui.signed_in_only
def _redraft() -> None:
    try:
        saved, drafted = summary.redraft(store, ui.assistant(), person.id, session.id,
                                         ui.memo(KEY).get("v") or 1, tz)
    except StaleWrite as conflict:
        _loaded(conflict.current, conflict.version)
        st.session_state["ui:flash_error"] = f"{conflict.by_name} changed the summary first: their version is shown. Redraft again if you still want to."
        return
    except (StoreError, ValueError) as error:
        st.session_state["ui:flash_error"] = str(error)
        return
    _loaded(saved.body, saved.version)
    ui.memo(KEY)["notice"] = (drafted.source, drafted.notice)
    st.session_state["ui:flash"] = "Summary redrafted; the earlier text is kept in the revisions."


@ui.signed_in_only
def _draft() -> None:
    try:
        drafted = summary.ensure_summary(store, ui.assistant(), person.id, session.id, tz)
    except (StoreError, ValueError) as error:
        st.session_state["ui:flash_error"] = str(error)
        return
    ui.memo(KEY)["notice"] = (drafted.source, drafted.notice)


# --- safe rendering of Markdown that people wrote ------------------------------------------

_EMPHASIS = re.compile(r"(\*\*[^*\n]+?\*\*|(?<![\w*])\*[^*\s][^*\n]*?\*(?![\w*]))")


def _inline(text: str) -> str:
    """Bold and italics kept; everything else made literal with ui.plain (no links,
    images or HTML survive)."""
    out = []
    for part in _EMPHASIS.split(text):
        if part.startswith("**") and part.endswith("**") and len(part) > 4:
            out.append(f"**{ui.plain(part[2:-2])}**")
        elif part.startswith("*") and part.endswith("*") and len(part) > 2:
            out.append(f"*{ui.plain(part[1:-1])}*")
        else:
            out.append(ui.plain(part))
    return "".join(out)


def safe_markdown(body: str) -> str:
    """Headings, lists, checkboxes, bold and italics of the summary; the text literal."""
    lines: list[str] = []
    in_item = False
    for raw in body.splitlines():
        line = raw.rstrip()
        if in_item and raw.startswith("  ") and line.strip():  # a list item's next line
            lines[-1] += f"  \n  {_inline(line.strip())}"
            continue
        in_item = False
        if heading := re.match(r"(#{1,6})\s+(.*)", line):
            lines.append(f"{'#' * min(6, len(heading[1]) + 1)} {_inline(heading[2])}")
        elif item := re.match(r"\s{0,3}[-*+]\s+(\[[ xX]\]\s+)?(.*)", line):
            box = ("☑ " if item[1].strip().lower() == "[x]" else "☐ ") if item[1] else ""
            lines.append(f"- {box}{_inline(item[2])}")
            in_item = True
        elif number := re.match(r"\s{0,3}(\d+)[.)]\s+(.*)", line):
            lines.append(f"{number[1]}. {_inline(number[2])}")
            in_item = True
        elif line.strip() == "---":
            lines.append("---")
        else:
            lines.append(_inline(line) if line.strip() else "")
    return "\n".join(lines)


# --- the page ------------------------------------------------------------------------------

stored = store.summary(person.id, session.id)
if stored is None:
    st.info("This session has no summary yet. Draft one from what was shared in the session; you can edit it after.")
    st.button("Draft the summary", type="primary", key="summary:draft", icon=":material/edit_document:", on_click=_draft)
    st.stop()

marks = ui.memo(KEY)
if KEY not in st.session_state or (stored.version != marks.get("v") and st.session_state[KEY] == marks.get("loaded")):
    _loaded(stored.body, stored.version)

facts = summary.gather(store, person.id, session.id, tz)
source, notice = marks.pop("notice", (stored.source, None))
ui.source_caption(source, notice)
st.caption(f"Version {stored.version} · last edited by {ui.plain(stored.edited_by_name or 'someone')} on "
           f"{ui.when(stored.edited_at)}")

edit_col, preview_col = st.columns(2)
with edit_col:
    st.text_area(
        "Summary (Markdown) — saved when you leave the box", key=KEY, height=520, max_chars=20_000, on_change=_save,
        help="Either of you can edit it; every version is kept. An edit clears both “agreed” marks.",
    )
    ui.save_problems(KEY, _keep_mine,
                     "Or copy from your text into the box to merge both, then save.")
    save_col, redraft_col = st.columns(2)
    save_col.button("Save", key="summary:save", type="primary", icon=":material/save:", on_click=_save)
    redraft_col.button(
        "Redraft from the session", key="summary:redraft", icon=":material/refresh:", on_click=_redraft,
        help="Writes a fresh draft from the session's shared notes, rating and actions. The current text stays in the revisions.",
    )
    ui.what_will_be_sent(f"summary:{session.id}:sent", "draft_summary", facts)  # the redraft sends these shared facts, nothing else
with preview_col:
    st.markdown("**Preview**")
    with st.container(border=True):
        st.markdown(safe_markdown(st.session_state[KEY]) or "*Empty*")

st.subheader("Read and agreed")
marks = ((Role.MENTEE, pairing.mentee_name, stored.agreed_by_mentee_at), (Role.PAL, pairing.pal_name, stored.agreed_by_pal_at))
for role, name, agreed_at in marks:
    who = "You" if role == my_role else ui.plain(name)
    if agreed_at:
        st.markdown(f":material/check_circle: **{who}** marked version {stored.version} as read and agreed on {ui.when(agreed_at)}.")
    else:
        st.markdown(f":material/hourglass_empty: **{who}** {'have' if role == my_role else 'has'} not marked it as read yet.")
if next(at for role, _, at in marks if role == my_role) is None:
    st.button("Mark as read and agreed", key="summary:agree", icon=":material/task_alt:",
              on_click=_agree, args=(stored.version,))

revisions = store.summary_revisions(person.id, session.id)
with st.expander(f"Revisions ({len(revisions)})"):
    st.dataframe(
        [{"Version": v, "By": by or "—", "When": ui.when(at)} for v, _, by, at in revisions],
        hide_index=True, width="stretch",
    )
    bodies = {v: body for v, body, _, _ in revisions}
    shown = st.selectbox("Show the text of version", list(bodies), key=f"summary:{session.id}:revision")
    if shown is not None:
        st.code(bodies[shown], language=None, wrap_lines=True)

st.subheader(f"Follow-up message to {ui.plain(pairing.other_name(person.id))}")
st.caption("Copy it (icon at the top right of the box) and send it: it keeps you both aligned on what you agreed.")
st.code(summary.follow_up_message(facts, my_role), language=None, wrap_lines=True)

st.subheader("Downloads")
md_col, ics_col = st.columns(2)
md_col.download_button(
    "Summary (Markdown)", data=lambda: export.session_markdown(store, person.id, session.id, tz),
    file_name=export.session_file_name(pairing, session, "md"), mime="text/markdown", key="summary:download_md",
    icon=":material/download:", on_click="ignore",
)
next_event = export.next_session_ics(store, person.id, session.id)
if next_event is None:
    ics_col.caption("No next session is scheduled yet: schedule one on **Pairings** to get a calendar file.")
else:
    when, ics = next_event
    ics_col.download_button(
        f"Next session ({when.astimezone(tz):%d %b %Y}) for your calendar (.ics)",
        data=lambda: ics,  # made on click: the stamp changes every run, which broke pending downloads
        file_name=export.next_session_file_name(pairing, when.astimezone(tz)), mime="text/calendar",
        key="summary:download_ics", icon=":material/event:", on_click="ignore",
    )
st.page_link("views/history.py", label="See the history of this pairing", icon=":material/insights:")
