"""History: how a pairing is going over time — rating trend with the +1 notes, actions,
goals, feedback — the running document, and the JSON export/import of all pairings."""

import datetime as dt

import pyarrow as pa
import streamlit as st

from pal_core import export
from pal_core.models import Role
from pal_core.store import StoreError
from views import ui

PAGE = 10
STATUS = {"open": "open", "in_progress": "in progress", "blocked": "blocked", "done": "done", "dropped": "dropped"}

person = ui.me()
store = ui.store()
tz = ui.local_tz()
now = ui.now()
today = now.astimezone(tz).date()
st.title("History")


def _day(value: dt.datetime | None) -> str:
    return value.astimezone(tz).strftime("%d %b %Y") if value else "—"


def _pager(label: str, total: int, key: str) -> int:
    """The offset of the page the person picked (a page picker only when needed)."""
    pages = max(1, -(-total // PAGE))
    if pages == 1:
        return 0
    page = st.number_input(f"{label} — page (of {pages})", 1, pages, 1, key=key)
    return (int(page) - 1) * PAGE


@ui.signed_in_only
def _import() -> None:
    upload = st.session_state.get("history:import_file")
    if upload is None:
        st.session_state["ui:flash_error"] = "Choose an export file (.json) first."
        return
    try:
        added = export.import_json(store, person.id, upload.getvalue())
    except (export.ImportProblem, StoreError) as error:
        st.session_state["ui:flash_error"] = str(error)
        return
    st.session_state["ui:flash"] = f"Imported {len(added)} pairing{'s' if len(added) != 1 else ''}."


def data_section() -> None:
    st.subheader("All your pairings as a file")
    st.caption("A JSON file with every pairing you are in — sessions, notes you may see, actions, goals, summaries — "
               "to keep as a backup or to move to another PAL Sessions server. Your private notes are in it: keep it safe.")
    left, right = st.columns(2)
    left.download_button(
        "Export all my pairings (JSON)", data=lambda: export.export_json(store, person.id),
        file_name=export.export_file_name(person, today), mime="application/json", key="history:export_json",
        icon=":material/download:", on_click="ignore",
    )
    with right:
        st.file_uploader("Import an export file", type=["json"], key="history:import_file",
                         help="Adds the file's pairings to this database, all or nothing. The other people in it "
                              "need an account here first.")
        st.button("Import", key="history:import", icon=":material/upload:", on_click=_import)


# --- a PAL with several mentees: the overview -------------------------------------------------

overview = store.pal_overview(person.id, now, today)
if len(overview) > 1:
    st.subheader("Your mentees")

    def _agenda(row: dict) -> str:
        if row["next_agenda_shared"] is None:
            return "no session scheduled"
        return "shared" if row["next_agenda_shared"] else "not yet"

    st.dataframe(
        pa.Table.from_pylist([{
            "Mentee": row["mentee_name"],
            "Next session": ui.when(row["next_session_at"]) if row["next_session_at"] else "—",
            "Agenda shared": _agenda(row),
            "Overdue actions": row["overdue"],
            "Last rating": f"{row['last_rating']}/10 ({_day(row['last_rating_at'])})" if row["last_rating"] else "—",
        } for row in overview]),
        hide_index=True, width="stretch",
    )

pairing = ui.choose_pairing(person)
if pairing is None:
    st.info("You are not paired with anyone yet. Pair up on **Pairings**; the history fills in as you hold sessions. "
            "Or import an export file below.")
    st.page_link("views/home.py", label="Go to your pairings", icon=":material/home:")
    data_section()
    st.stop()

first, last = store.session_span(person.id, pairing.id)
if first is None:
    st.info(f"No sessions with {ui.plain(pairing.other_name(person.id))} yet. Schedule one on **Pairings**; "
            "ratings, actions, goals and feedback show here once you have met.")
    st.page_link("views/home.py", label="Go to your pairings", icon=":material/home:")
    data_section()
    st.stop()

first_day = first.astimezone(tz).date()
default_start = max(first_day, today - dt.timedelta(days=365))
picked = st.date_input(
    "Dates", value=(default_start, max(today, default_start)), min_value=min(first_day, today),
    max_value=max(today, last.astimezone(tz).date()) + dt.timedelta(days=366), format="YYYY-MM-DD",
    key=f"history:{pairing.id}:dates", help="Sessions scheduled on these days, both included.",
)
start, end = (picked[0], picked[-1]) if isinstance(picked, (tuple, list)) and picked else (default_start, today)
lo = dt.datetime.combine(start, dt.time(), tz)
hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)

total, completed = store.count_sessions_between(person.id, pairing.id, lo, hi)
st.caption(f"{total} sessions from {start:%d %b %Y} to {end:%d %b %Y}, {completed} completed · "
           f"first session {_day(first)}")


def _rating_part() -> None:
    """The rating trend, its numbers and the +1 notes."""
    points = store.rating_points(person.id, pairing.id, lo, hi)
    if not points:
        hint = ("Rate how you are doing (1–10) when you prepare each session and share the agenda."
                if pairing.role_of(person.id) == Role.MENTEE else
                f"{ui.plain(pairing.mentee_name)} rates how they are doing when preparing; it shows here once shared.")
        st.info(f"No ratings in these dates. {hint}")
    else:
        # Tables go to Streamlit as Arrow, built directly: through pandas they cost
        # several times more, on a page that shows five of them.
        ratings = pa.table({
            "Date": [p["scheduled_at"].astimezone(tz).replace(tzinfo=None) for p in points],
            "Rating": [p["rating"] for p in points],
            "Why": [p["why"] for p in points],
            "Plus one": [p["plus_one"] for p in points],
        })
        latest = points[-1]["rating"]
        with st.container(horizontal=True):  # a flex row: one block, where columns are one per metric more
            st.metric("Latest rating", f"{latest}/10", width="stretch",
                      delta=latest - points[-2]["rating"] if len(points) > 1 else None, help="Change since the rating before")
            st.metric("Average in these dates", f"{sum(p['rating'] for p in points) / len(points):.1f}/10", width="stretch")
            st.metric("Ratings", len(points), width="stretch")
        # The Vega-Lite spec altair would build, written out: altair validates its spec
        # against the JSON schema on every rerun, which cost more than the page's queries.
        chart = {
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": {"field": "Date", "type": "temporal", "title": None},
                "y": {"field": "Rating", "type": "quantitative", "scale": {"domain": [1, 10]}, "title": "Rating (1–10)"},
                "tooltip": [{"field": "Date", "type": "temporal", "format": "%d %b %Y"},
                            {"field": "Rating", "type": "quantitative"},
                            {"field": "Why", "type": "nominal", "title": "Why"},
                            {"field": "Plus one", "type": "nominal", "title": "What would make it +1"}],
            },
        }
        st.vega_lite_chart(ratings, chart, width="stretch", key=f"history:{pairing.id}:ratings")
        plus = [p for p in reversed(points) if p["plus_one"].strip()]
        st.markdown("**What would make it +1** (newest first)")
        if plus:
            st.dataframe(
                pa.Table.from_pylist([{"Date": _day(p["scheduled_at"]), "Rating": p["rating"],
                                       "What would make it +1": p["plus_one"], "Why": p["why"]} for p in plus]),
                hide_index=True, width="stretch", height=min(36 * (len(plus) + 1) + 2, 320),
            )
        else:
            st.caption("No “+1” notes yet: when rating, say what would make it one point higher.")


def _actions_part() -> None:
    """Actions agreed in these dates, and the overdue ones."""
    stats = store.action_stats(person.id, pairing.id, lo, hi, today)
    overdue_total = store.count_overdue_actions(person.id, pairing.id, today)
    with st.container(horizontal=True):
        st.metric("Agreed in these dates", stats["agreed"], width="stretch")
        st.metric("Completed", f"{stats['done'] / stats['agreed']:.0%}" if stats["agreed"] else "—", width="stretch",
                  help=f"{stats['done']} done, {stats['dropped']} dropped of {stats['agreed']} agreed")
        st.metric("Still open", stats["open"], width="stretch")
        st.metric("Overdue now", overdue_total, width="stretch")
    if stats["agreed"] == 0:
        st.caption("No actions were agreed in these dates. Agree them in Planning, each with an owner and a due date.")
    if overdue_total:
        st.markdown("**Overdue** (most overdue first)")
        offset = _pager("Overdue actions", overdue_total, f"history:{pairing.id}:overdue_page")
        st.dataframe(
            pa.Table.from_pylist([{
                "Action": a.text,
                "Owner": pairing.mentee_name if a.owner == Role.MENTEE else pairing.pal_name,
                "Due": a.due_date.strftime("%d %b %Y") if a.due_date else "—",
                "Days overdue": (today - a.due_date).days if a.due_date else 0,
                "Status": STATUS[a.status.value],
            } for a in store.overdue_actions(person.id, pairing.id, today, limit=PAGE, offset=offset)]),
            hide_index=True, width="stretch",
        )
    else:
        st.success("No overdue actions.", icon=":material/check_circle:")


def _goals_part() -> None:
    """Goals set in these dates."""
    goal_total, goals_done = store.count_history_goals(person.id, pairing.id, lo, hi)
    if goal_total == 0:
        st.info("No goals set in these dates. Draft goals when preparing, or set them in Planning during a session.")
    else:
        st.caption(f"{goals_done} of {goal_total} done")
        st.progress(goals_done / goal_total)
        offset = _pager("Goals", goal_total, f"history:{pairing.id}:goals_page")
        st.dataframe(
            pa.Table.from_pylist([{
                "Goal": goal.text, "KPI": goal.kpi or "—", "Status": "done" if goal.done else "open",
                "Set on": _day(set_at),
            } for goal, set_at in store.history_goals(person.id, pairing.id, lo, hi, limit=PAGE, offset=offset)]),
            hide_index=True, width="stretch",
        )


def _feedback_part() -> None:
    """Both people's answers to the closing feedback questions."""
    feedback_total = store.count_feedback_notes(person.id, pairing.id, lo, hi)
    if feedback_total == 0:
        st.info("No feedback in these dates yet. Answer the specific feedback questions on **Closing** at the end of "
                "each session — both ways.")
    else:
        offset = _pager("Feedback", feedback_total, f"history:{pairing.id}:feedback_page")
        names = {"mentee": f"{pairing.mentee_name} → {pairing.pal_name}", "pal": f"{pairing.pal_name} → {pairing.mentee_name}"}
        st.dataframe(
            pa.Table.from_pylist([{
                "Date": _day(f["scheduled_at"]), "Who": names.get(f["direction"], "—"),
                "Question": f["question"], "Answer": f["answer"],
            } for f in store.feedback_notes(person.id, pairing.id, lo, hi, limit=PAGE, offset=offset)]),
            hide_index=True, width="stretch",
        )


def _document_part() -> None:
    """The running document, to download."""
    st.caption("Every session in these dates, goals by KPI, the rating trend and completed actions — for your own "
               "records and performance reviews.")

    def _document() -> export.RunningDocument:
        return export.running_document(store, person.id, pairing.id, start, end, tz)

    with st.container(horizontal=True):
        st.download_button(
            "Running document (Markdown)", data=lambda: export.running_markdown(_document()),
            file_name=export.running_document_file_name(pairing, start, end, "md"), mime="text/markdown",
            key="history:running_md", icon=":material/download:", on_click="ignore",
        )
        st.download_button(
            "Running document (printable page)", data=lambda: export.running_html(_document()),
            file_name=export.running_document_file_name(pairing, start, end, "html"), mime="text/html",
            key="history:running_html", icon=":material/print:", on_click="ignore",
            help="Open it in a browser and print it, or save it as PDF.",
        )


if total == 0:
    st.info("No sessions in these dates. Widen the dates above, or schedule a session on **Pairings**.")
else:
    # One part at a time: a tab's content is drawn only while it is open, and History's
    # tables and chart were most of its rerun and of the browser's drawing. Each part is
    # in a keyed container, so a test can tell it has been drawn.
    parts = {"How the mentee is doing": ("rating", _rating_part), "Actions": ("actions", _actions_part),
             "Goals": ("goals", _goals_part), "Feedback over time": ("feedback", _feedback_part),
             "Running document": ("document", _document_part)}
    tabs = st.tabs(list(parts), key=f"history:{pairing.id}:tab", on_change="rerun")
    for tab, (name, draw) in zip(tabs, parts.values()):
        if tab.open:
            with tab, st.container(key=f"history:part:{name}"):
                draw()

data_section()
