"""The SMART coach on the pages: marks with reasons, a rewrite offered only when asked,
accepted into the goal or action; the built-in engine answers when AI is off."""

from pal_core.models import NewAction, Role
from test_views_session import open_page


def test_goal_gets_marks_and_an_accepted_rewrite(pair):
    store, ana, ben, pairing, session = pair
    at = open_page(ana, "views/prepare.py", session.id)
    prefix = f"goal:new:{session.id}"
    at.text_input(key=f"{prefix}:text").input("Improve my testing skills").run()
    marks = "\n".join(m.value for m in at.markdown)
    assert "❌ **Specific**" in marks and "❌ **Time-bound**" in marks
    at.button(key=f"{prefix}:add").click().run()
    goal = store.goals(ana.id, pairing.id)[0]
    assert goal.text == "Improve my testing skills" and goal.prep
    key = f"goal:{goal.id}:rewrite"
    at.button(key=key + ":btn").click().run()
    assert any("built-in engine" in c.value for c in at.caption)
    suggested = at.text_area(key=key + ":edit").value
    assert "[by <date>]" in suggested
    at.text_area(key=key + ":edit").input("Write and merge 10 unit tests for the billing module by Friday 5 December")
    at.button(key=key + ":accept").click().run()
    assert not at.exception
    assert store.goals(ana.id, pairing.id)[0].text == "Write and merge 10 unit tests for the billing module by Friday 5 December"


def test_agreed_action_has_a_smart_check_and_rewrite(pair):
    store, ana, ben, pairing, session = pair
    action = store.add_action(ben.id, session.id, NewAction(text="be better at docs", owner=Role.MENTEE))
    at = open_page(ben, "views/planning.py", session.id)
    key = f"action:{action.id}:rewrite"
    at.button(key=key + ":btn").click().run()
    at.button(key=key + ":ignore").click().run()
    assert store.session_actions(ben.id, session.id)[0].text == "be better at docs"  # ignore changes nothing
    at.button(key=key + ":btn").click().run()
    at.button(key=key + ":accept").click().run()
    assert not at.exception
    assert "[" in store.session_actions(ben.id, session.id)[0].text  # the placeholders are the person's to fill
