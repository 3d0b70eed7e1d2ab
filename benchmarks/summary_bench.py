"""Offline summary drafting time per session (target: under 50 ms).

Seeds a pairing with five years of weekly sessions through the store (so every query
runs against a long history), fills the last session like a busy real one, then times
``summary.gather`` and ``summary.offline_summary`` on it and prints the medians.

    python benchmarks/summary_bench.py [--weeks 260] [--runs 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pal_core import summary  # noqa: E402
from pal_core.models import ActionStatus, AgendaKind, NewAction, NewSession, Phase, RatingInput, Role, \
    Visibility  # noqa: E402
from pal_core.store import Store  # noqa: E402

TARGET_MS = 50.0
TEXT = "We talked it through in detail and agreed on the next concrete step, with a date. " * 3


def seed(store: Store, weeks: int) -> tuple[int, int]:
    ana = store.create_person("ana@example.com", "Ana", None).id
    ben = store.create_person("ben@example.com", "Ben", None).id
    pid = store.accept_invite(ben, store.create_invite(ana, Role.MENTEE)).id
    for kpi in ("Ship on time", "Code review turnaround", "Mentoring juniors"):
        store.add_kpi(ana, pid, kpi)
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(weeks=weeks)
    sid = 0
    with store.db.atomic():  # one transaction for the history: seeding speed is not what is measured
        for week in range(weeks):
            sid = store.schedule_session(ana, pid, NewSession(scheduled_at=start + dt.timedelta(weeks=week))).id
            store.save_rating(ana, sid, RatingInput(rating=1 + week % 10, why="steady", plus_one="more focus time"))
            store.share_agenda(ana, sid)
            for n in range(2):
                action = store.add_action(ben, sid, NewAction(text=f"Action {week}.{n}", owner=Role.MENTEE))
                if week < weeks - 4 or n:
                    store.update_action_status(ana, action.id, ActionStatus.DONE, session_id=sid)
            store.save_note(ana, sid, Phase.REFLECTION, "reflection:successes", TEXT, expected_version=None)
            if week < weeks - 1:
                store.complete_session(ben, sid, None)

    def note(who: int, phase: Phase, key: str, *, private: bool = False, question: str = "") -> None:
        store.save_note(who, sid, phase, key, TEXT, visibility=Visibility.PRIVATE if private else Visibility.SHARED,
                        question_text=question, expected_version=None)

    for kind in AgendaKind:
        for n in range(3):
            store.add_agenda_item(ana, sid, kind, f"{kind.value} {n}: {TEXT[:120]}")
    for phase, keys in ((Phase.OPENING, ["opening:checkin"]),
                        (Phase.REFLECTION, ["reflection:challenges", "reflection:kpis", "refl-proudest-achievements"]),
                        (Phase.DEVELOPMENT, ["development:skills", "development:stuck", "development:resources"]),
                        (Phase.PLANNING, [f"planning:priority-{n}" for n in (1, 2, 3)])):
        for key in keys:
            note(ana, phase, key, question="Notes")
        note(ana, phase, "private", private=True)
        note(ben, phase, "private", private=True)
    for n, giver in enumerate((Role.MENTEE, Role.MENTEE, Role.PAL, Role.PAL)):
        note(ana if giver == Role.MENTEE else ben, Phase.CLOSING, f"feedback:{giver.value}:q{n}", question=f"Question {n}?")
    for n in range(4):
        store.add_goal(ana, sid, f"Goal {n}: reach the target by the end of the quarter", "Ship on time")
        store.add_action(ana, sid, NewAction(text=f"New action {n}", owner=Role.PAL if n % 2 else Role.MENTEE,
                                             due_date=dt.date.today() + dt.timedelta(days=7)))
    store.set_next_session_at(ana, sid, dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7))
    return ana, sid


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=260, help="weekly sessions of history (default 260: five years)")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.db")
        seeded_at = time.perf_counter()
        actor, session_id = seed(store, args.weeks)
        seeding_s = time.perf_counter() - seeded_at
        summary.offline_summary(summary.gather(store, actor, session_id))  # warm: bank, statement cache

        gather_ms, render_ms, total_ms = [], [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            facts = summary.gather(store, actor, session_id)
            t1 = time.perf_counter()
            text = summary.offline_summary(facts)
            t2 = time.perf_counter()
            gather_ms.append((t1 - t0) * 1000)
            render_ms.append((t2 - t1) * 1000)
            total_ms.append((t2 - t0) * 1000)
        store.close()

    def p95(values: list[float]) -> float:
        return sorted(values)[int(len(values) * 0.95) - 1]

    print(f"Offline summary benchmark — {args.weeks} weekly sessions of history (seeded in {seeding_s:.1f} s), "
          f"{args.runs} runs, summary of {len(text):,} characters")
    print(f"{'step':<26}{'median ms':>10}{'p95 ms':>10}")
    for label, values in (("gather (store reads)", gather_ms), ("offline_summary", render_ms),
                          ("gather + offline_summary", total_ms)):
        print(f"{label:<26}{statistics.median(values):>10.2f}{p95(values):>10.2f}")
    median = statistics.median(total_ms)
    verdict = "within" if median < TARGET_MS else "OVER"
    print(f"median per session: {median:.2f} ms — {verdict} the {TARGET_MS:.0f} ms target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
