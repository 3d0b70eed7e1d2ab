"""Agreement of the offline SMART engine with the labelled goal sets, and its speed.

    python benchmarks/smart_eval.py [--show-misses] [--set dev|holdout]
    python -m benchmarks.smart_eval

Prints, per set, the share of goals where the engine agrees with the label on each
criterion, then the median and p95 time per goal in microseconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from pal_core.smart import assess  # noqa: E402

DATA = ROOT / "tests" / "data"
SETS = {"dev": DATA / "smart_goals_dev.jsonl", "holdout": DATA / "smart_goals_holdout.jsonl"}
COLUMNS = ("specific", "measurable", "time_bound", "achievable", "relevant")
SHORT = {"specific": "S", "measurable": "M", "time_bound": "T", "achievable": "A", "relevant": "R"}


def load(name: str) -> list[dict]:
    with SETS[name].open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def misses(rows: list[dict]) -> list[tuple[dict, str, object, object]]:
    """(row, criterion, label, engine) for every disagreement."""
    out = []
    for row in rows:
        result = assess(row["goal"], row.get("kpis", []))
        for column in COLUMNS:
            got = getattr(result, column).met
            if got != row[column]:
                out.append((row, column, row[column], got))
    return out


def agreement(rows: list[dict]) -> dict[str, float]:
    """Share of rows where the engine's verdict equals the label, per criterion."""
    wrong = {column: 0 for column in COLUMNS}
    for _, column, _, _ in misses(rows):
        wrong[column] += 1
    return {column: 1 - wrong[column] / len(rows) for column in COLUMNS}


def timings_us(goals: list[tuple[str, list[str]]], rounds: int = 5) -> list[float]:
    """Microseconds per ``assess`` call, one figure per goal: the median of several rounds, so a
    busy shared machine does not turn one preempted call into that goal's time."""
    for goal, kpis in goals:  # warm up caches
        assess(goal, kpis)
    per_goal: list[list[float]] = [[] for _ in goals]
    for _ in range(rounds):
        for times, (goal, kpis) in zip(per_goal, goals):
            start = time.perf_counter_ns()
            assess(goal, kpis)
            times.append((time.perf_counter_ns() - start) / 1000)
    return [statistics.median(times) for times in per_goal]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true", help="list every disagreement")
    parser.add_argument("--set", choices=sorted(SETS), action="append", help="only this set (repeatable)")
    args = parser.parse_args(argv)
    names = args.set or ["dev", "holdout"]

    header = f"{'set':<8} {'n':>4}  " + "  ".join(f"{SHORT[c]:>5}" for c in COLUMNS)
    print(header)
    print("-" * len(header))
    every_goal = []
    for name in names:
        rows = load(name)
        every_goal += [(row["goal"], row.get("kpis", [])) for row in rows]
        scores = agreement(rows)
        print(f"{name:<8} {len(rows):>4}  " + "  ".join(f"{scores[c]:>5.2f}" for c in COLUMNS))
    print("(S specific, M measurable, T time-bound, A achievable, R relevant: share agreeing with the label)")

    samples = sorted(timings_us(every_goal))
    p95 = samples[min(len(samples) - 1, int(0.95 * len(samples)))]
    print(f"\nspeed: {len(every_goal)} goals (median of 5 rounds each): median {statistics.median(samples):.0f} µs, "
          f"p95 {p95:.0f} µs per goal")
    long_goal = "Write and merge 10 unit tests for Project X by next Friday. " * 1700  # ~100 KB
    start = time.perf_counter()
    assess(long_goal)
    print(f"100 KB goal: {(time.perf_counter() - start) * 1000:.1f} ms")

    if args.show_misses:
        for name in names:
            print(f"\nmisses in {name}:")
            for row, column, label, got in misses(load(name)):
                kpis = f"  kpis={row['kpis']}" if row.get("kpis") else ""
                print(f"  {SHORT[column]} label={label!s:<5} engine={got!s:<5} {row['goal'][:110]!r}{kpis}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
