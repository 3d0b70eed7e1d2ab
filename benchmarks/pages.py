"""Server-side rerun time of every page and phase, next to an empty Streamlit page.

    python -m benchmarks.pages                       # seeds 1k, 26k and 260k sessions itself
    python -m benchmarks.pages --sizes 1k,26k --data-dir /tmp/pal-bench   # keep/reuse seeded files
    python -m benchmarks.pages --db /tmp/pal-260k.db # one database seeded by benchmarks.seed
    python -m benchmarks.pages --quick               # a tiny run for CI (seconds)

Everything runs in this one process with Streamlit's AppTest: ONE reused AppTest per page
and size (a fresh one costs ~100 ms, a rerun a few ms), signed in as the seeded account
with the longest history (``auth:person`` in session state) and deep-linked to its latest
session (``?session=``). The session pages use the upcoming session of the pairing in
which it is the mentee; Get ready the upcoming session of its first pairing as the PAL;
Summary its latest completed session. The empty page is a script holding only
``import streamlit as st; st.write("")``, measured in the same rounds.

Reruns are taken round-robin — one rerun of every page at every size per round, in a
shuffled order — so a burst of load from something else on the machine lands on all of
them alike. The table
shows median milliseconds per rerun; ``×empty`` is a page's median over the empty page's
at the largest size, ``growth`` its median at the largest size over the smallest.

Sizes are total sessions: ``1k`` = 4 pairings × 260 weeks, ``26k`` = 100 × 260, ``260k``
= 1,000 × 260, or ``PxW`` for any other shape. The last line is always
``worst page: <name> <ms> ms, <ratio>x empty, growth <g>x``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
EMPTY_SCRIPT = 'import streamlit as st\nst.write("")\n'
SHAPES = {"1k": (4, 260), "26k": (100, 260), "260k": (1000, 260)}
QUICK_SIZES = "3x4"
TARGET_MS = 25.0
TARGET_GROWTH = 1.2

# name, page file (None: the default page), which session it opens, signed in?
# (name, page script, which session to deep-link to, signed in, the title the page must show)
CASES: list[tuple[str, str | None, str | None, bool, str]] = [
    ("sign_in", None, None, False, "PAL Sessions"),
    ("home", "views/home.py", None, True, "Your pairings"),
    ("prepare", "views/prepare.py", "latest", True, "Prepare"),
    ("get_ready", "views/get_ready.py", "pal_latest", True, "Get ready"),
    ("reflection", "views/reflection.py", "latest", True, "Reflection"),
    ("development", "views/development.py", "latest", True, "Development"),
    ("planning", "views/planning.py", "latest", True, "Planning"),
    ("closing", "views/closing.py", "latest", True, "Closing"),
    ("summary", "views/summary.py", "completed", True, "Summary"),
    ("history", "views/history.py", None, True, "History"),
    ("questions", "views/questions.py", None, True, "Question bank"),
    ("settings", "views/settings.py", None, True, "Settings"),
]


def parse_size(text: str) -> tuple[int, int]:
    text = text.strip().lower()
    if text in SHAPES:
        return SHAPES[text]
    try:
        pairings, weeks = (int(part) for part in text.split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r}: use 1k, 26k, 260k or PAIRINGSxWEEKS (e.g. 100x260)") from None
    return pairings, weeks


def label(pairings: int, weeks: int, name: str | None = None) -> str:
    total = pairings * weeks
    short = name or (f"{total / 1000:g}k" if total >= 1000 else str(total))
    return f"{short} ({pairings}×{weeks})"


@dataclass
class Target:
    """What the benchmark opens in one database: who, and which sessions."""

    db: Path
    name: str
    person: object
    pairing_id: int  # where the person is the mentee
    latest: int
    completed: int | None
    pal_latest: int | None
    sessions: int


def find_target(db: Path, name: str) -> Target:
    """The seeded account with the longest history, and its sessions, via the Store."""
    from benchmarks.seed import BENCH_EMAIL
    from pal_core.models import SessionStatus
    from pal_core.store import Store

    store = Store(db)
    try:
        found = store.credentials(BENCH_EMAIL)
        if found is None:
            raise SystemExit(f"{db} has no {BENCH_EMAIL}: seed it with python -m benchmarks.seed")
        person = found[0]
        pairings = store.pairings(person.id)
        own = next(p for p in pairings if p.mentee_id == person.id)
        recent = store.sessions(person.id, own.id, limit=5)
        completed = next((s.id for s in recent if s.status == SessionStatus.COMPLETED), None)
        pal = next((p for p in pairings if p.pal_id == person.id), None)
        pal_latest = store.sessions(person.id, pal.id, limit=1)[0].id if pal else None
        total = sum(store.count_sessions(person.id, p.id) for p in pairings)
        return Target(db, name, person, own.id, recent[0].id, completed, pal_latest, total)
    finally:
        store.close()


SQL = {"seconds": 0.0, "queries": 0}  # time in the store's reads during the current rerun


def count_sql() -> None:
    """Time every read the store makes (its two query helpers), for the sql columns."""
    from pal_core.store import Store

    for name in ("_one", "_all"):
        original = getattr(Store, name)
        if getattr(original, "counted", False):
            continue

        def counted(self, sql, params=(), _original=original):
            started = time.perf_counter()
            try:
                return _original(self, sql, params)
            finally:
                SQL["seconds"] += time.perf_counter() - started
                SQL["queries"] += 1

        counted.counted = True
        setattr(Store, name, counted)


@dataclass
class Case:
    name: str
    size: str
    db: Path | None
    at: object
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    sql: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)

    def run(self) -> float:
        if self.db is not None:
            os.environ["PAL_DB_PATH"] = str(self.db)  # ui.store() reads it on every call
        SQL["seconds"], SQL["queries"] = 0.0, 0
        cpu = time.process_time()
        started = time.perf_counter()
        self.at.run()
        elapsed = time.perf_counter() - started
        self.cpu.append(time.process_time() - cpu)
        self.sql.append(SQL["seconds"])
        self.queries.append(SQL["queries"])
        if self.at.exception:
            raise RuntimeError(f"{self.name} at {self.size} raised: {self.at.exception[0].value}")
        return elapsed


def open_case(name: str, page: str | None, which: str | None, signed_in: bool, title: str, target: Target) -> Case:
    from streamlit.testing.v1 import AppTest

    os.environ["PAL_DB_PATH"] = str(target.db)
    session_id = {"latest": target.latest, "completed": target.completed, "pal_latest": target.pal_latest}.get(which)
    if which and session_id is None:
        raise SystemExit(f"{target.db}: no {which} session to open for {name}")
    at = AppTest.from_file(APP, default_timeout=120)
    if signed_in:
        at.session_state["auth:person"] = target.person
        at.session_state["ctx:pairing_id"] = target.pairing_id
    if session_id:
        at.query_params["session"] = str(session_id)
    at.run()
    if page:
        at.switch_page(page)
        if session_id:
            at.query_params["session"] = str(session_id)
        at.run()
    case = Case(name, target.name, target.db, at)
    case.run()  # the first rerun warms caches (question bank, store, imports)
    shown = [t.value for t in at.title][:1]
    if at.exception or shown != [title]:  # time the page itself, not an error or a redirect
        raise SystemExit(f"{name} at {target.name}: expected the page titled {title!r}, got {shown} {at.exception}")
    return case


def empty_case(size: str) -> Case:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(EMPTY_SCRIPT, default_timeout=60)
    at.run()
    return Case("empty", size, None, at)


def quiet_streamlit() -> None:
    """AppTest set-up outside a script run logs "missing ScriptRunContext" for every
    page opened: harmless (as it says), and it buries the progress lines."""
    import logging

    from streamlit.runtime.scriptrunner_utils import script_run_context

    # A filter, not a level: Streamlit sets its loggers' levels again on every run.
    logging.getLogger(script_run_context.__name__).addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage())


def share_script_cache() -> None:
    """AppTest builds a new ScriptCache for every run, so it compiles app.py and the page
    again each time (~10 ms); the server keeps one cache and compiles each script once.
    Share one cache, as the server does, so a rerun here costs what it costs there."""
    import streamlit.testing.v1.app_test as app_test
    import streamlit.testing.v1.local_script_runner as local_script_runner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    shared = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared


def measure(targets: list[Target], reruns: int, warmup: int, say) -> dict[tuple[str, str], Case]:
    quiet_streamlit()
    share_script_cache()
    count_sql()
    cases: dict[tuple[str, str], Case] = {}
    for target in targets:
        cases[("empty", target.name)] = empty_case(target.name)
        for name, page, which, signed_in, title in CASES:
            cases[(name, target.name)] = open_case(name, page, which, signed_in, title, target)
        say(f"pages: {len(CASES)} pages open at {target.name}")
    order = list(cases.values())
    for _ in range(warmup):
        for case in order:
            case.run()
    for case in order:
        case.cpu.clear(), case.sql.clear(), case.queries.clear()
    gc.collect()
    gc.freeze()  # what is alive now is never collected: keeps full collections short and rare
    for round_ in range(reruns):
        random.Random(round_).shuffle(order)  # no page always runs right after the same other one
        for case in order:
            case.times.append(case.run())
        if say and (round_ + 1) % max(1, reruns // 5) == 0:
            say(f"pages: round {round_ + 1}/{reruns}")
    gc.unfreeze()
    return cases


def report(targets: list[Target], cases: dict[tuple[str, str], Case]) -> tuple[list[str], bool]:
    """The table and the verdict lines; True when every target is met."""
    ms = {key: statistics.median(case.times) * 1000 for key, case in cases.items()}
    first, last = targets[0].name, targets[-1].name
    names = ["empty", *(name for name, *_ in CASES)]
    width = max(len(t.name) for t in targets) + 2
    cpu = {key: statistics.median(case.cpu) * 1000 for key, case in cases.items()}
    sql = {key: statistics.median(case.sql) * 1000 for key, case in cases.items()}
    queries = {key: statistics.median(case.queries) for key, case in cases.items()}
    head = (f"{'page':<12}" + "".join(f"{t.name:>{width}}" for t in targets) + f"{'×empty':>9}{'growth':>9}"
            + f"{'cpu':>8}{'sql':>7}{'queries':>9}")
    lines = [f"median server-side rerun, ms ({len(next(iter(cases.values())).times)} reruns each, round-robin); "
             f"×empty and growth from the medians; cpu (process CPU time), sql (time in the store's queries) and "
             f"queries: medians per rerun at {last}", head, "-" * len(head)]
    worst = None
    slow, growing = [], []
    for name in names:
        row = f"{name:<12}" + "".join(f"{ms[(name, t.name)]:>{width}.1f}" for t in targets)
        ratio = ms[(name, last)] / ms[("empty", last)]
        growth = ms[(name, last)] / ms[(name, first)]
        key = (name, last)
        lines.append(row + f"{ratio:>8.1f}x{growth:>8.2f}x{cpu[key]:>8.1f}{sql[key]:>7.1f}{queries[key]:>9.0f}")
        if name == "empty":
            continue
        if worst is None or ms[(name, last)] > worst[1]:
            worst = (name, ms[(name, last)], ratio, growth)
        if ms[(name, last)] > TARGET_MS:
            slow.append(f"{name} {ms[(name, last)]:.1f} ms")
        if len(targets) > 1 and growth > TARGET_GROWTH:
            growing.append(f"{name} {growth:.2f}x")
    lines.append("")
    lines.append(f"target: every page ≤ {TARGET_MS:g} ms at {last}: "
                 + ("met" if not slow else "NOT met — " + ", ".join(slow)))
    if len(targets) > 1:
        lines.append(f"target: growth {first} → {last} ≤ {TARGET_GROWTH}x: "
                     + ("met" if not growing else "NOT met — " + ", ".join(growing)))
    lines.append(f"worst page: {worst[0]} {worst[1]:.1f} ms, {worst[2]:.1f}x empty, growth {worst[3]:.2f}x")
    return lines, not slow and not growing


def seeded(data_dir: Path, pairings: int, weeks: int, say) -> Path:
    """A seeded database of this shape in data_dir, made once and reused after."""
    from benchmarks import seed

    path = data_dir / f"pal-{pairings}x{weeks}.db"
    marker = path.with_suffix(".json")
    if path.exists() and marker.exists():
        return path
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    info = seed.seed(path, pairings, weeks, progress=say)
    marker.write_text(json.dumps({"pairings": pairings, "weeks": weeks, "rows": info.rows, "seconds": info.seconds}))
    say(f"pages: seeded {path.name} in {info.seconds:.0f} s")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pages", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, action="append", help="a database seeded by benchmarks.seed (repeatable)")
    parser.add_argument("--sizes", default="1k,26k,260k", help="comma-separated: 1k, 26k, 260k or PxW")
    parser.add_argument("--data-dir", type=Path, help="keep seeded databases here and reuse them (default: a temp dir)")
    parser.add_argument("--reruns", type=int, default=40, help="measured reruns per page and size (≥ 30)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help=f"one tiny size ({QUICK_SIZES}) and 2 reruns, for CI")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is not met")
    args = parser.parse_args(argv)
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731 - progress on stderr, table on stdout
    if args.quick:
        args.sizes, args.reruns, args.warmup = QUICK_SIZES, min(args.reruns, 2), 0
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    temp = None
    if args.db:
        targets = [find_target(db, db.name) for db in args.db]
    else:
        tokens = [s.strip() for s in args.sizes.split(",") if s.strip()]
        shapes = [parse_size(s) for s in tokens]
        if args.data_dir:
            data_dir = args.data_dir
            data_dir.mkdir(parents=True, exist_ok=True)
        else:
            temp = tempfile.TemporaryDirectory(prefix="pal-pages-")
            data_dir = Path(temp.name)
        targets = [find_target(seeded(data_dir, p, w, say), label(p, w, token if token.lower() in SHAPES else None))
                   for token, (p, w) in zip(tokens, shapes)]
    try:
        started, load_before = time.perf_counter(), os.getloadavg()[0]
        cases = measure(targets, args.reruns, args.warmup, say)
        lines, ok = report(targets, cases)
    finally:
        if temp is not None:
            temp.cleanup()
    print(f"PAL Sessions page benchmark · {time.strftime('%Y-%m-%d %H:%M')} · python {sys.version.split()[0]} · "
          f"{os.cpu_count()} cores · {time.perf_counter() - started:.0f} s"
          f" · load average {load_before:.1f} → {os.getloadavg()[0]:.1f} (other work inflates wall times)")
    for target in targets:
        print(f"  {target.name}: {target.db.name}, signed in as {target.person.email} "
              f"({target.sessions:,} sessions in their pairings)")
    print("\n".join(lines))
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
