"""Phase time budgets and where a running session stands against them.

The timer is stored as seconds banked per phase plus the moment it was last started,
so any page (or the other person's browser) can compute the same clock from the row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pal_core.models import PHASE_SHARE, Phase, Session


@dataclass(frozen=True)
class PhaseClock:
    phase: Phase
    budget_s: float
    elapsed_s: float

    @property
    def over_s(self) -> float:
        return max(0.0, self.elapsed_s - self.budget_s)

    @property
    def remaining_s(self) -> float:
        return max(0.0, self.budget_s - self.elapsed_s)


@dataclass(frozen=True)
class Pacing:
    phases: tuple[PhaseClock, ...]
    current: Phase
    running: bool

    @property
    def total_budget_s(self) -> float:
        return sum(p.budget_s for p in self.phases)

    @property
    def total_elapsed_s(self) -> float:
        return sum(p.elapsed_s for p in self.phases)

    def clock(self, phase: Phase) -> PhaseClock:
        return next(p for p in self.phases if p.phase == phase)


def budgets(session_minutes: int) -> dict[Phase, float]:
    return {phase: share * session_minutes * 60 for phase, share in PHASE_SHARE.items()}


def _banked(session: Session, now: dt.datetime) -> dict[str, float]:
    """Seconds per phase including the run in progress."""
    seconds = dict(session.phase_seconds)
    if session.timer_running_since is not None:
        running = max(0.0, (now - session.timer_running_since).total_seconds())
        seconds[session.current_phase.value] = seconds.get(session.current_phase.value, 0.0) + running
    return seconds


def pacing(session: Session, session_minutes: int, now: dt.datetime) -> Pacing:
    seconds = _banked(session, now)
    return Pacing(
        phases=tuple(
            PhaseClock(phase, budget, seconds.get(phase.value, 0.0))
            for phase, budget in budgets(session_minutes).items()
        ),
        current=session.current_phase,
        running=session.timer_running_since is not None,
    )


def start(session: Session, now: dt.datetime) -> tuple[Phase, dict[str, float], dt.datetime]:
    return session.current_phase, _banked(session, now), now


def pause(session: Session, now: dt.datetime) -> tuple[Phase, dict[str, float], None]:
    return session.current_phase, _banked(session, now), None


def switch(session: Session, phase: Phase, now: dt.datetime) -> tuple[Phase, dict[str, float], dt.datetime | None]:
    """Move to another phase; a running timer keeps running on the new phase."""
    running_since = now if session.timer_running_since is not None else None
    return phase, _banked(session, now), running_since


def mmss(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
