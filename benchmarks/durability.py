"""Durability: committed values survive the server being killed (SIGKILL) at any moment.

    python -m benchmarks.durability                 # 20 trials
    python -m benchmarks.durability --trials 50 --seed 7
    python -m benchmarks.durability --quick         # 3 trials, for CI (tests/e2e/test_durability.py)
    python -m benchmarks.durability --seed 7 --keep --verbose   # look into a loss

A real Streamlit server (tests/e2e/conftest.py's StreamlitServer) on a fresh database and
Debian's headless Chromium, signed in as the mentee of a seeded pairing. Each trial, in a
random order, commits one value into every kind of field the session pages have:

    agenda   a text input in its form (Prepare, "Add a point", Enter)
    rating   the 1-10 segmented control (Prepare)
    action   the status buttons of a carried-over action (Prepare, a segmented control)
    goal     a text input and its "Add goal" button (Prepare)
    note     a text area, committed by leaving it (Reflection, "Successes since last time")

and kills the server with SIGKILL at a random point: before a step, just as a step is
sent, or some milliseconds into it (the RNG is seeded; the seed is printed, --seed
repeats a run). A value counts as committed once the script run it caused has finished
(read from the app's websocket) and the app is idle again. After a restart on the same
database every committed value — this trial's and all earlier trials' — must be in the
database (read through the Store) and shown after a reload, a value caught in flight
must be either the old or the new one, and `PRAGMA integrity_check` must say ok.

The last line is `trials: N, lost values: L, integrity failures: F, stuck steps: S`
(a step whose run did not finish within the time-out); exit status 1 when L, F or S is
not 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from pal_core import auth  # noqa: E402
from pal_core.models import ActionStatus, NewAction, NewSession, Phase, Role  # noqa: E402
from pal_core.store import Store  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, StreamlitServer  # noqa: E402
from tests.e2e.helpers import APP, Runs, by_key, wait_idle  # noqa: E402
from views import widgets  # noqa: E402

PASSWORD = "plum tree by the river"
EMAIL = "mira.durable@example.com"
TIMEOUT_MS = 30_000  # generous: other browser tests may share the machine's two cores
SHOW_TIMEOUT_MS = 10_000  # for a value to appear in a field after the page's run
KINDS = ("agenda", "rating", "action", "goal", "note")
# The status box's labels, as the page shows them; blocked needs a reason: not used.
STATUS_LABELS = {s: label for s, label in widgets.STATUS_LABELS.items() if s != ActionStatus.BLOCKED}
NOTE = (Phase.REFLECTION, "reflection:successes")
VERBOSE = False  # --verbose: the database after every step, the rating the browser sends


# --- waiting on the app's own script runs ----------------------------------------------------


def print_sent_ratings(page: Page) -> None:
    """--verbose: what the browser says the rating box holds in each rerun request."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    def sent(payload) -> None:
        if isinstance(payload, str):
            return
        msg = BackMsg.FromString(payload)
        if msg.WhichOneof("type") == "rerun_script":
            for state in msg.rerun_script.widget_states.widgets:
                if state.id.endswith(":value") and "rating" in state.id:
                    kind = state.WhichOneof("value")
                    value = list(getattr(state, kind).data) if kind and hasattr(getattr(state, kind), "data") else kind
                    print(f"    sent rating state {kind}={value}", flush=True)
    page.on("websocket", lambda ws: ws.on("framesent", sent))


# --- the world ------------------------------------------------------------------------------


@dataclass
class World:
    db: Path
    mentee: int
    session: int
    action: int


def seed(db: Path) -> World:
    store = Store(db)
    try:
        mentee = auth.sign_up(store, EMAIL, "Mira Durable", PASSWORD)
        pal = auth.sign_up(store, "pat.durable@example.com", "Pat Durable", PASSWORD)
        pairing = store.accept_invite(pal.id, store.create_invite(mentee.id, Role.MENTEE)).id
        now = dt.datetime.now(dt.timezone.utc)
        earlier = store.schedule_session(mentee.id, pairing, NewSession(scheduled_at=now - dt.timedelta(days=7))).id
        action = store.add_action(pal.id, earlier, NewAction(text="Carried-over action for the trials", owner=Role.MENTEE))
        session = store.schedule_session(mentee.id, pairing, NewSession.at(now + dt.timedelta(days=3), now=now)).id
    finally:
        store.close()
    return World(db, mentee.id, session, action.id)


def read_db(world: World) -> dict:
    """What the database holds, read through the Store (the server may be running)."""
    store = Store(world.db)
    try:
        session = store.session(world.mentee, world.session)
        notes = {(n.phase, n.question_key): n.body for n in store.notes(world.mentee, world.session)}
        carried = {a.id: a.status for a in store.carried_over_actions(world.mentee, session)}
        return {
            "agenda": [i.text for i in store.agenda(world.mentee, world.session)],
            "rating": session.rating,
            "action": carried.get(world.action),
            "goal": [g.text for g in store.goals(world.mentee, session.pairing_id, session_id=world.session)],
            "note": notes.get(NOTE, ""),
        }
    finally:
        store.close()


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


# --- the browser side --------------------------------------------------------------------------


class Browser:
    def __init__(self, page: Page, url: str, world: World):
        self.page, self.url, self.world = page, url, world
        self.runs = Runs(page)
        if VERBOSE:
            print_sent_ratings(page)
        self.at: str | None = None

    def sign_in(self) -> None:
        with self.page.expect_websocket(timeout=TIMEOUT_MS):
            before = self.act(lambda: self.page.goto(self.url))
        self.settle(before)
        self.key("signin:email").locator("input").fill(EMAIL)
        self.key("signin:password").locator("input").fill(PASSWORD)
        self.settle(self.act(self.page.get_by_role("button", name="Sign in", exact=True).click))
        expect(self.page.get_by_role("heading", name="Your pairings")).to_be_visible(timeout=TIMEOUT_MS)
        # The remember-me cookie is set by a script the page renders, maybe after the heading.
        self.page.wait_for_function("document.cookie.includes('pal_token=')", timeout=TIMEOUT_MS)

    def act(self, action: Callable[[], object]) -> int:
        """Start something that reruns the app; the run count before it, to wait on."""
        before = self.runs.started
        action()
        return before

    def settle(self, before: int) -> None:
        self.runs.wait_past(before, TIMEOUT_MS)
        wait_idle(self.page, TIMEOUT_MS)

    def open(self, name: str) -> None:
        with self.page.expect_websocket(timeout=TIMEOUT_MS):
            before = self.act(lambda: self.page.goto(f"{self.url}/{name}?session={self.world.session}"))
        self.settle(before)
        expect(self.page.locator(APP)).to_be_visible()
        self.at = name

    def key(self, key: str):
        return by_key(self.page, key)

    # Each step: (go to the page, then) send the commit; returns the run count to wait on.

    def send(self, kind: str, value) -> int:
        sid = self.world.session
        page_of = {"note": "reflection"}.get(kind, "prepare")
        if self.at != page_of:
            self.open(page_of)
        if kind == "agenda":
            box = self.key(f"agenda:new:{sid}:point").locator("input")
            box.fill(value)
            return self.act(lambda: box.press("Enter"))
        if kind == "rating":
            return self.act(self.rating_button(value).click)
        if kind == "action":
            return self.act(self.segment(f"action:{sid}:{self.world.action}:status", STATUS_LABELS[value]).click)
        if kind == "goal":
            box = self.key(f"goal:new:{sid}:text").locator("input")
            box.fill(value)
            self.settle(self.act(lambda: box.press("Enter")))  # the draft is committed (SMART marks show)
            return self.act(self.key(f"goal:new:{sid}:add").locator("button").click)
        if kind == "note":
            area = self.key(f"note:{sid}:{NOTE[0].value}:{NOTE[1]}:shared").locator("textarea")
            area.fill(value)
            return self.act(lambda: area.press("Tab"))
        raise ValueError(kind)

    def segment(self, key: str, text: str):
        """The button showing `text` in segmented control `key` (role "radio" in Streamlit 1.67)."""
        buttons = self.key(key).locator('button[data-variant="segmented_control"]')
        return buttons.filter(has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))

    def rating_button(self, value: int):
        return self.segment(f"rating:{self.world.session}:value", str(value))

    # What the page shows after a reload.

    def shown(self, expected: dict) -> list[str]:
        """The expected values the pages do not show after a reload (empty when all are
        there). Each check waits (with a bound) for the page to show the value: fields are
        filled in just after the run that draws them."""
        sid, aid = self.world.session, self.world.action
        missing: list[str] = []

        def check(what: str, assertion: Callable[[], object]) -> None:
            try:
                assertion()
            except (AssertionError, PlaywrightTimeout) as error:
                missing.append(f"{what}: {str(error).splitlines()[0][:200]}")

        self.open("prepare")
        check(f"agenda {expected['agenda']}", lambda: self.page.wait_for_function(
            """wanted => {
                const values = [...document.querySelectorAll('[class*="st-key-agenda-"] input')].map(e => e.value);
                return wanted.every(text => values.includes(text));
            }""", arg=expected["agenda"], timeout=SHOW_TIMEOUT_MS))
        if expected["rating"] is not None:
            check(f"rating {expected['rating']}", lambda: expect(self.rating_button(expected["rating"])).to_have_attribute(
                "aria-checked", "true", timeout=SHOW_TIMEOUT_MS))
        status = self.segment(f"action:{sid}:{aid}:status", STATUS_LABELS.get(expected["action"], "?"))
        check(f"action status {expected['action']}", lambda: expect(status).to_have_attribute(
            "aria-checked", "true", timeout=SHOW_TIMEOUT_MS))
        for text in expected["goal"]:
            check(f"goal {text!r}", lambda text=text: expect(self.page.locator(APP)).to_contain_text(
                text, timeout=SHOW_TIMEOUT_MS))
        self.open("reflection")
        area = self.key(f"note:{sid}:{NOTE[0].value}:{NOTE[1]}:shared").locator("textarea")
        check(f"note {expected['note']!r}", lambda: expect(area).to_have_value(expected["note"], timeout=SHOW_TIMEOUT_MS))
        return missing


# --- one trial -------------------------------------------------------------------------------------


@dataclass
class Trial:
    number: int
    kill_at: int  # index of the step the kill comes at (len(steps): after the last)
    how: str  # "before" the step, "sent" (right after sending it), "delay" (ms after sending)
    delay_ms: int
    steps: list[tuple[str, object]]
    committed: dict = field(default_factory=dict)
    in_flight: tuple[str, object] | None = None
    stuck: str | None = None  # a step whose run never finished (the harness's problem or the app's)


def plan(rng: random.Random, number: int, current: dict) -> Trial:
    token = rng.randrange(16**6)
    rating = rng.choice([n for n in range(1, 11) if n != current["rating"]])
    status = rng.choice([s for s in STATUS_LABELS if s != current["action"]])
    values = {
        "agenda": f"Trial {number} point {token:06x} — ünïcødé 🚀",
        "rating": rating,
        "action": status,
        "goal": f"Trial {number}: merge {rng.randint(2, 9)} pull requests by Friday ({token:06x})",
        "note": f"Trial {number} note {token:06x}\nsecond line — مرحبا",
    }
    order = list(KINDS)
    rng.shuffle(order)
    steps = [(kind, values[kind]) for kind in order]
    kill_at = rng.randint(0, len(steps))
    how = "before" if kill_at == len(steps) else rng.choice(["before", "sent", "delay"])
    return Trial(number, kill_at, how, rng.randint(5, 400) if how == "delay" else 0, steps)


def run_trial(browser: Browser, server: StreamlitServer, trial: Trial) -> None:
    for index, (kind, value) in enumerate(trial.steps):
        if index == trial.kill_at and trial.how == "before":
            break
        try:
            before = browser.send(kind, value)
            if index == trial.kill_at:
                trial.in_flight = (kind, value)
                if trial.how == "delay":
                    time.sleep(trial.delay_ms / 1000)  # the random moment of the crash
                break
            browser.settle(before)
        except (TimeoutError, PlaywrightTimeout, AssertionError) as error:
            # Not confirmed, so not counted as committed: it is checked like one in flight.
            trial.in_flight, trial.stuck = (kind, value), f"{kind}: {str(error).splitlines()[0][:160]}"
            browser.page.screenshot(path=str(browser.world.db.parent / f"stuck-{trial.number}.png"), full_page=True)
            break
        trial.committed[kind] = value
        if VERBOSE:
            print(f"  after {kind}: {read_db(browser.world)}", flush=True)
    server.kill9()
    browser.page.goto("about:blank")  # no reconnecting to the restarted server behind our back
    browser.at = None


def check(expected: dict, trial: Trial, stored: dict) -> tuple[dict, list[str]]:
    """The new expected state and the lost values (a value in flight may be the old or the new one)."""
    lost = []
    new = {k: (list(v) if isinstance(v, list) else v) for k, v in expected.items()}
    for kind, value in trial.committed.items():
        if kind in ("agenda", "goal"):
            new[kind].append(value)
        else:
            new[kind] = value
    if trial.in_flight:
        kind, value = trial.in_flight
        if kind in ("agenda", "goal"):
            if stored[kind].count(value) == 1:
                new[kind].append(value)  # it made it: from now on it must stay
            elif stored[kind].count(value) > 1:
                lost.append(f"{kind} {value!r} saved twice")
        elif stored[kind] == value:
            new[kind] = value
    for kind in ("agenda", "goal"):
        lost += [f"{kind} {t!r}" for t in new[kind] if t not in stored[kind]]
    for kind in ("rating", "action", "note"):
        if stored[kind] != new[kind]:
            lost.append(f"{kind}: stored {stored[kind]!r}, committed {new[kind]!r}")
    return new, lost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.durability", description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="3 trials (for CI)")
    parser.add_argument("--seed", type=int, help="repeat a run (default: a new random seed, printed)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder (database and server logs)")
    parser.add_argument("--verbose", action="store_true",
                        help="print the database after every step and the rating each rerun request carries "
                             "(slower: it changes the timing)")
    args = parser.parse_args(argv)
    global VERBOSE
    VERBOSE = args.verbose
    trials = 3 if args.quick else args.trials
    seed_value = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed_value)
    workdir = Path(tempfile.mkdtemp(prefix="pal-durability-"))
    print(f"seed: {seed_value}  (repeat with --seed {seed_value})  folder: {workdir}", flush=True)

    world = seed(workdir / "pal.db")
    server = StreamlitServer(workdir, db_path=world.db)
    expected = {"agenda": [], "rating": None, "action": ActionStatus.OPEN, "goal": [], "note": ""}
    lost_total = integrity_failures = stuck = 0
    try:
        server.start()
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = chromium.new_context(viewport=VIEWPORT, timezone_id="UTC", locale="en-GB")
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            browser = Browser(page, server.url, world)
            browser.sign_in()  # the cookie keeps the sign-in across restarts
            for number in range(1, trials + 1):
                trial = plan(rng, number, expected)
                print(f"trial {number}: plan {[k for k, _ in trial.steps]}, kill {trial.how} step {trial.kill_at}", flush=True)
                run_trial(browser, server, trial)
                server.restart()
                stored = read_db(world)
                expected, lost = check(expected, trial, stored)
                lost += [f"not shown: {m}" for m in browser.shown(expected)]
                if VERBOSE:
                    print(f"  after the check: {read_db(world)}", flush=True)
                verdict = integrity(world.db)
                integrity_failures += verdict != "ok"
                lost_total += len(lost)
                step = trial.steps[trial.kill_at][0] if trial.kill_at < len(trial.steps) else "the end"
                when = {"before": "before", "sent": "as it was sent:", "delay": f"{trial.delay_ms} ms into"}[trial.how]
                flight = ""
                if trial.in_flight:
                    kind, value = trial.in_flight
                    saved = stored[kind] == value or (isinstance(stored[kind], list) and value in stored[kind])
                    flight = f"; in flight: {kind} ({'saved' if saved else 'not saved'})"
                stuck += trial.stuck is not None
                print(f"trial {number}: killed {when} {step}; committed {len(trial.committed)}/{len(KINDS)}"
                      f"{flight}; integrity {verdict}" + (f"; STUCK: {trial.stuck}" if trial.stuck else "")
                      + (f"; LOST: {lost}" if lost else ""), flush=True)
            context.close()
            chromium.close()
    finally:
        server.stop()
        if not args.keep and lost_total == 0 and integrity_failures == 0 and not stuck:
            shutil.rmtree(workdir, ignore_errors=True)
    if stuck:
        print(f"{stuck} trial(s) had a step whose run did not finish within {TIMEOUT_MS // 1000} s; "
              "their value was checked as in flight (see stuck-*.png in the folder)")
    # A stuck step fails the run too: if no save ever finished, nothing would count as lost.
    print(f"trials: {trials}, lost values: {lost_total}, integrity failures: {integrity_failures}, stuck steps: {stuck}")
    return 1 if lost_total or integrity_failures or stuck else 0


if __name__ == "__main__":
    sys.exit(main())
