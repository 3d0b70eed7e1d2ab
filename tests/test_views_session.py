"""AppTest page tests of the session flow: every page and phase for both people, privacy
of preparation and private notes (also in screen-share mode), autosave and conflicts."""

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pal_core.models import ActionStatus, NewAction, NewSession, Phase, Role, Visibility

SESSION_PAGES = [
    "views/prepare.py",
    "views/get_ready.py",
    "views/reflection.py",
    "views/development.py",
    "views/planning.py",
    "views/closing.py",
]
APP = str(Path(__file__).resolve().parent.parent / "app.py")
SECRET = "MENTEEPRIVATE7f3a"
PAL_SECRET = "PALPRIVATE91bc"
PREP_SECRET = "UNSHAREDPREP44d2"


def open_page(person, page, session_id, *, closed: bool = False, **state):
    """The page as `person` sees it with every section opened (unless `closed`)."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["auth:person"] = person
    for key, value in state.items():
        at.session_state[key] = value
    at.query_params["session"] = str(session_id)
    at.run()
    at.switch_page(page)
    at.query_params["session"] = str(session_id)
    at.run()
    return at if closed else open_sections(at)


def open_sections(at: AppTest) -> AppTest:
    """Open every closed lazy expander (ui.lazy_expander: its content is drawn only while
    open), as a person clicking each would, until none is left closed."""
    for _ in range(3):  # an open section can hold another
        closed = [e.proto.id.split("-", 2)[2] for e in at.expander if e.proto.id and not at.session_state[
            e.proto.id.split("-", 2)[2]]]
        if not closed:
            break
        for key in closed:
            at.session_state[key] = True
        at.run()
    return at


def page_text(at) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.code]
    parts += [e.value for e in at.text_area] + [e.value for e in at.text_input] + [str(e.value) for e in at.info]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", SESSION_PAGES)
@pytest.mark.parametrize("who", ["mentee", "pal"])
def test_every_session_page_renders_for_both(pair, page, who):
    store, ana, ben, pairing, session = pair
    at = open_page(ana if who == "mentee" else ben, page, session.id)
    assert not at.exception, at.exception
    assert at.title, "page shows a title"


def test_unshared_prep_is_hidden_from_the_pal_until_shared(pair):
    store, ana, ben, pairing, session = pair
    store.add_agenda_item(ana.id, session.id, "point", PREP_SECRET)
    for page in ("views/get_ready.py", "views/reflection.py"):
        assert PREP_SECRET not in page_text(open_page(ben, page, session.id))
    store.share_agenda(ana.id, session.id)
    assert PREP_SECRET in page_text(open_page(ben, "views/get_ready.py", session.id))


@pytest.mark.parametrize("page", SESSION_PAGES[2:])
def test_screen_share_mode_shows_nothing_private(pair, page):
    store, ana, ben, pairing, session = pair
    store.add_agenda_item(ana.id, session.id, "point", PREP_SECRET)
    for phase in Phase:
        store.save_note(ana.id, session.id, phase, "private", SECRET, visibility=Visibility.PRIVATE, expected_version=None)
        store.save_note(ben.id, session.id, phase, "private", PAL_SECRET, visibility=Visibility.PRIVATE, expected_version=None)
    store.save_note(ben.id, session.id, Phase.OPENING, "pal:prep", PAL_SECRET, visibility=Visibility.PRIVATE, expected_version=None)
    for person in (ana, ben):
        normal = page_text(open_page(person, page, session.id))
        own = SECRET if person == ana else PAL_SECRET
        other = PAL_SECRET if person == ana else SECRET
        assert own in normal, "outside share mode a person sees their own private notes"
        assert other not in normal
        shared_screen = page_text(open_page(person, page, session.id, **{"ui:share_mode": True}))
        for secret in (SECRET, PAL_SECRET, PREP_SECRET):
            assert secret not in shared_screen


def test_note_autosaves_on_change_and_survives_a_new_browser_session(pair):
    store, ana, ben, pairing, session = pair
    at = open_page(ana, "views/reflection.py", session.id)
    key = f"note:{session.id}:reflection:reflection:successes:shared"
    text = "Shipped the API 🚀 — مرحبا <script>alert(1)</script> **bold**"
    at.text_area(key=key).input(text).run()
    assert not at.exception
    assert store.notes(ben.id, session.id, Phase.REFLECTION)[0].body == text
    again = open_page(ben, "views/reflection.py", session.id)
    assert again.text_area(key=key).value == text


def test_a_stale_save_shows_both_texts_and_loses_neither(pair):
    store, ana, ben, pairing, session = pair
    key = f"note:{session.id}:reflection:reflection:successes:shared"
    ana_at = open_page(ana, "views/reflection.py", session.id)
    ben_at = open_page(ben, "views/reflection.py", session.id)
    ana_at.text_area(key=key).input("Ana's version").run()
    ben_at.text_area(key=key).input("Ben's version").run()
    assert not ben_at.exception
    assert ben_at.text_area(key=key).value == "Ana's version"  # the newer text is shown
    assert "Ben's version" in [c.value for c in ben_at.code]  # and Ben's own is kept beside it
    assert store.notes(ben.id, session.id, Phase.REFLECTION)[0].body == "Ana's version"
    ben_at.button(key=key + ":keep").click().run()
    assert store.notes(ana.id, session.id, Phase.REFLECTION)[0].body == "Ben's version"


def test_outsider_gets_no_access_by_deep_link(pair, tmp_path):
    store, ana, ben, pairing, session = pair
    eve = store.create_person("eve@example.com", "Eve", None)
    store.save_note(ana.id, session.id, Phase.REFLECTION, "reflection:successes", "ana's shared words", expected_version=None)
    for page in SESSION_PAGES + ["views/summary.py"]:
        at = open_page(eve, page, session.id)
        assert not at.exception
        assert any("not found" in e.value for e in at.error), page
        assert "ana's shared words" not in page_text(at)


def test_next_and_previous_move_the_timer_phase(pair):
    store, ana, ben, pairing, session = pair
    at = open_page(ben, "views/reflection.py", session.id)
    at.button(key="runner:start").click().run()
    assert store.session(ben.id, session.id).timer_running_since is not None
    at.button(key="runner:next").click().run()
    assert store.session(ben.id, session.id).current_phase == Phase.DEVELOPMENT


def test_agreed_actions_carry_over_to_the_next_reflection(pair):
    store, ana, ben, pairing, session = pair
    at = open_page(ben, "views/planning.py", session.id)
    at.text_input(key=f"newaction:{session.id}:text").input("Write and merge 10 unit tests for Project X by Friday").run()
    at.button(key=f"newaction:{session.id}:add").click().run()
    assert not at.exception
    assert [a.text for a in store.session_actions(ana.id, session.id)] == ["Write and merge 10 unit tests for Project X by Friday"]
    later = store.schedule_session(ana.id, pairing.id, NewSession.at(session.scheduled_at + dt.timedelta(days=7), now=session.scheduled_at))
    nxt = open_page(ana, "views/reflection.py", later.id)
    assert "Write and merge 10 unit tests for Project X by Friday" in page_text(nxt)


def test_bad_input_is_shown_as_text_and_saved_intact(pair):
    store, ana, ben, pairing, session = pair
    at = open_page(ana, "views/prepare.py", session.id)
    key = f"agenda:new:{session.id}:point"
    for text in ("<img src=x onerror=alert(1)>", "[click](javascript:alert(1))", "שלום 👋🏽 " + "x" * 400):
        at.text_input(key=key).input(text)  # inside a form: sent with the submit
        at.button(key=f"FormSubmitter:{key}:form-Add").click().run()
        assert not at.exception
    at.text_input(key=key).input("   ")
    at.button(key=f"FormSubmitter:{key}:form-Add").click().run()
    assert any("can't be empty" in e.value for e in at.error)
    stored = [i.text for i in store.agenda(ana.id, session.id)]
    assert stored == ["<img src=x onerror=alert(1)>", "[click](javascript:alert(1))", "שלום 👋🏽 " + "x" * 400]


def test_closed_sections_draw_nothing_until_opened(pair):
    """Private notes and the own-question form are in sections drawn only while open
    (ui.lazy_expander): closed, nothing of them reaches the browser. The opening's
    check-in is open while the session is in its opening phase."""
    store, ana, ben, pairing, session = pair
    store.save_note(ben.id, session.id, Phase.REFLECTION, "private", PAL_SECRET, visibility=Visibility.PRIVATE, expected_version=None)
    store.save_note(ana.id, session.id, Phase.OPENING, "opening:checkin", "CHECKIN42", expected_version=None)
    at = open_page(ben, "views/reflection.py", session.id, closed=True)
    keys = {w.key for w in [*at.text_area, *at.text_input]}
    assert PAL_SECRET not in page_text(at) and "CHECKIN42" in page_text(at)
    assert not {k for k in keys if k.startswith("runner:new_question") or k.endswith(":private:private")}
    opened = open_sections(at)
    assert PAL_SECRET in page_text(opened)
    assert any(w.key.startswith("runner:new_question") for w in opened.text_input)


def test_screen_share_mode_survives_a_reload_through_the_url(pair):
    store, ana, ben, pairing, session = pair
    store.save_note(ben.id, session.id, Phase.REFLECTION, "private", PAL_SECRET, visibility=Visibility.PRIVATE, expected_version=None)
    at = open_page(ben, "views/reflection.py", session.id)
    at.button(key="runner:share").click().run()
    assert at.query_params["share"] == ["1"] or at.query_params["share"] == "1"
    # A reload is a new browser session that only has the URL.
    reloaded = AppTest.from_file(APP, default_timeout=30)
    reloaded.session_state["auth:person"] = ben
    reloaded.query_params["session"] = str(session.id)
    reloaded.query_params["share"] = "1"
    reloaded.run()
    reloaded.switch_page("views/reflection.py")
    reloaded.query_params["session"] = str(session.id)
    reloaded.query_params["share"] = "1"
    reloaded.run()
    assert not reloaded.exception
    assert PAL_SECRET not in page_text(reloaded)
    reloaded.button(key="runner:share").click().run()
    assert "share" not in reloaded.query_params
    assert PAL_SECRET in page_text(open_sections(reloaded))


def test_rating_is_saved_and_a_second_click_on_the_chosen_number_keeps_it(pair):
    store, ana, ben, pairing, session = pair
    at = open_page(ana, "views/prepare.py", session.id)
    rating = at.button_group(key=f"rating:{session.id}:value")
    rating.set_value(7).run()
    assert store.session(ana.id, session.id).rating == 7
    at.button_group(key=f"rating:{session.id}:value").set_value(None).run()  # what that click sends
    assert not at.exception
    assert store.session(ana.id, session.id).rating == 7
    assert at.button_group(key=f"rating:{session.id}:value").value == 7


def test_after_a_server_restart_what_the_browser_still_shows_is_saved_or_offered(pair):
    """A new server session gets the browser's widget values with its first run (the old
    one died, maybe before saving them). The rating and an agenda point are saved; a
    note's text, which may clash with the other person's, is offered beside the saved one."""
    store, ana, ben, pairing, session = pair
    store.save_note(ana.id, session.id, Phase.REFLECTION, "reflection:successes", "saved text", expected_version=None)
    note = f"note:{session.id}:reflection:reflection:successes:shared"
    store.add_agenda_item(ana.id, session.id, "point", "saved point")
    point = store.agenda(ana.id, session.id)[0]
    prep = open_page(ana, "views/prepare.py", session.id,
                     **{f"rating:{session.id}:value": 9, f"agenda:{point.id}": "point the browser held"})
    assert not prep.exception
    assert store.session(ana.id, session.id).rating == 9
    assert [i.text for i in store.agenda(ana.id, session.id)] == ["point the browser held"]
    at = open_page(ana, "views/reflection.py", session.id, **{note: "text the browser held"})
    assert not at.exception
    assert at.text_area(key=note).value == "saved text"
    assert "text the browser held" in [c.value for c in at.code]
    assert any("connection dropped" in w.value for w in at.warning)
    assert [n.body for n in store.notes(ana.id, session.id)] == ["saved text"]  # nothing overwritten unasked
    at.button(key=note + ":keep").click().run()
    assert at.text_area(key=note).value == "text the browser held"
    assert [n.body for n in store.notes(ana.id, session.id)] == ["text the browser held"]


def test_after_a_server_restart_the_session_length_and_a_goal_the_browser_shows_are_saved(pair):
    store, ana, ben, pairing, session = pair
    goal = store.add_goal(ana.id, session.id, "Merge 3 pull requests by Friday", prep=True)
    settings = open_page(ana, "views/settings.py", session.id, **{f"settings:minutes:{pairing.id}": 45})
    assert not settings.exception
    assert store.pairing(ana.id, pairing.id).session_minutes == 45
    prep = open_page(ana, "views/prepare.py", session.id, **{f"goal:{goal.id}:done": True})
    assert not prep.exception
    assert [g.done for g in store.goals(ana.id, pairing.id, session_id=session.id)] == [True]


def test_action_history_dates_name_the_year_when_it_is_not_this_one():
    from views.widgets import _short_day

    today = dt.date.today()
    assert _short_day(today) == f"{today:%d %b}"
    assert _short_day(dt.date(today.year - 2, 9, 16)) == f"16 Sep {today.year - 2}"


def test_many_carried_over_actions_are_one_list_with_one_status_editor(pair):
    """Each carried-over action is a line of one list; the one picked gets the status
    buttons, and a status set there is saved for that action only."""
    store, ana, ben, pairing, session = pair
    earlier = store.schedule_session(ana.id, pairing.id, NewSession(
        scheduled_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=7))).id
    first, second = (store.add_action(ben.id, earlier, NewAction(text=text, owner=Role.MENTEE))
                     for text in ("Write the design doc", "Book the review"))
    store.complete_session(ben.id, earlier, None)
    at = open_page(ana, "views/reflection.py", session.id)
    listed = "\n".join(m.value for m in at.markdown)
    assert "Write the design doc" in listed and "Book the review" in listed
    assert not [b for b in at.button_group if b.key == f"action:{session.id}:{second.id}:status"]
    at.selectbox(key=f"actions:{session.id}:pick").set_value(second.id).run()
    status = [b for b in at.button_group if b.key == f"action:{session.id}:{second.id}:status"]
    assert len(status) == 1 and not at.exception
    status[0].set_value(ActionStatus.DONE).run()
    assert not at.exception
    by_id = {a.id: a.status for a in store.carried_over_actions(ana.id, store.session(ana.id, session.id))}
    assert by_id == {first.id: ActionStatus.OPEN, second.id: ActionStatus.DONE}
