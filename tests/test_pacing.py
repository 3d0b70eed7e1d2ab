"""Tests for pal_core.pacing: phase budgets and the banked timer, on fixed datetimes."""

from __future__ import annotations

import datetime as dt

import pytest

from pal_core.models import Phase, Session, SessionStatus
from pal_core.pacing import budgets, mmss, pacing, pause, start, switch

UTC = dt.timezone.utc
T0 = dt.datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def session(phase=Phase.OPENING, seconds=None, running_since=None) -> Session:
    return Session(
        id=1, pairing_id=1, scheduled_at=T0, status=SessionStatus.IN_PROGRESS,
        current_phase=phase, phase_seconds=seconds or {}, timer_running_since=running_since,
    )


def apply(s: Session, state) -> Session:
    """What the store does with a (phase, seconds, running_since) triple."""
    phase, seconds, since = state
    return s.model_copy(update={"current_phase": phase, "phase_seconds": seconds, "timer_running_since": since})


@pytest.mark.parametrize("minutes", [10, 30, 45, 60, 120])
def test_budgets_are_5_30_30_30_5_percent(minutes):
    total = minutes * 60
    b = budgets(minutes)
    assert list(b) == list(Phase)
    assert b[Phase.OPENING] == pytest.approx(0.05 * total)
    assert b[Phase.REFLECTION] == pytest.approx(0.30 * total)
    assert b[Phase.DEVELOPMENT] == pytest.approx(0.30 * total)
    assert b[Phase.PLANNING] == pytest.approx(0.30 * total)
    assert b[Phase.CLOSING] == pytest.approx(0.05 * total)
    assert sum(b.values()) == pytest.approx(total)


def test_thirty_minute_session_budgets_in_seconds():
    b = budgets(30)
    assert [round(b[p]) for p in Phase] == [90, 540, 540, 540, 90]


def test_start_pause_and_switch_bank_the_right_seconds():
    s = session()
    # Start at T0: nothing banked yet, running since T0.
    state = start(s, T0)
    assert state == (Phase.OPENING, {}, T0)
    s = apply(s, state)
    assert pacing(s, 30, at(60)).clock(Phase.OPENING).elapsed_s == 60

    # Switch to reflection at +100 s while running: 100 s banked on opening, clock keeps running.
    state = switch(s, Phase.REFLECTION, at(100))
    assert state == (Phase.REFLECTION, {"opening": 100.0}, at(100))
    s = apply(s, state)

    # Pause at +400 s: 300 s banked on reflection.
    state = pause(s, at(400))
    assert state == (Phase.REFLECTION, {"opening": 100.0, "reflection": 300.0}, None)
    s = apply(s, state)

    # Time passing while paused adds nothing.
    p = pacing(s, 30, at(10_000))
    assert not p.running
    assert p.clock(Phase.REFLECTION).elapsed_s == 300
    assert p.total_elapsed_s == 400

    # Switching while paused stays paused and banks nothing new.
    state = switch(s, Phase.DEVELOPMENT, at(10_100))
    assert state == (Phase.DEVELOPMENT, {"opening": 100.0, "reflection": 300.0}, None)
    s = apply(s, state)

    # Start again at +20 000 s and run 50 s on development.
    s = apply(s, start(s, at(20_000)))
    p = pacing(s, 30, at(20_050))
    assert p.running and p.current == Phase.DEVELOPMENT
    assert [p.clock(ph).elapsed_s for ph in Phase] == [100, 300, 50, 0, 0]

    # Starting again while running doesn't count the run twice.
    state = start(s, at(20_060))
    assert state == (Phase.DEVELOPMENT, {"opening": 100.0, "reflection": 300.0, "development": 60.0}, at(20_060))
    assert pacing(apply(s, state), 30, at(20_070)).clock(Phase.DEVELOPMENT).elapsed_s == 70


def test_returning_to_a_phase_adds_to_its_bank():
    s = session(Phase.REFLECTION, {"reflection": 200.0}, running_since=T0)
    s = apply(s, switch(s, Phase.PLANNING, at(50)))
    s = apply(s, switch(s, Phase.REFLECTION, at(80)))
    assert s.phase_seconds == {"reflection": 250.0, "planning": 30.0}
    assert pacing(s, 30, at(100)).clock(Phase.REFLECTION).elapsed_s == 270


def test_over_and_remaining_against_the_budget():
    # 30-minute session: opening has 90 s.
    s = session(Phase.OPENING, running_since=T0)
    p = pacing(s, 30, at(60))
    opening = p.clock(Phase.OPENING)
    assert (opening.budget_s, opening.elapsed_s) == (pytest.approx(90), 60)
    assert opening.over_s == 0 and opening.remaining_s == pytest.approx(30)

    opening = pacing(s, 30, at(125)).clock(Phase.OPENING)
    assert opening.over_s == pytest.approx(35)
    assert opening.remaining_s == 0

    p = pacing(s, 30, at(125))
    assert p.total_budget_s == pytest.approx(1800)
    assert p.clock(Phase.REFLECTION).over_s == 0
    assert p.clock(Phase.REFLECTION).remaining_s == pytest.approx(540)


def test_clock_skew_never_gives_negative_time():
    s = session(Phase.OPENING, {"opening": 10.0}, running_since=at(60))
    assert pacing(s, 30, T0).clock(Phase.OPENING).elapsed_s == 10


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00"), (5, "0:05"), (59.4, "0:59"), (59.6, "1:00"), (60, "1:00"), (125, "2:05"), (3599, "59:59"), (3600, "60:00"), (5400, "90:00")],
)
def test_mmss(seconds, text):
    assert mmss(seconds) == text
