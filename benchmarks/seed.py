"""Seed a realistic PAL Sessions database, fast.

    python -m benchmarks.seed --db /tmp/pal-260k.db --pairings 1000 --weeks 260

Every pairing gets ``--weeks`` weekly sessions: all but the last are completed (agenda,
rating with why and +1, notes in every phase — some private — feedback both ways,
actions with their status events, goals, a summary with its revisions); the last one is
upcoming in a few days, most with the agenda already shared. Pairings also have KPIs,
custom and pinned questions and question rotation state.

One account can sign in: ``bench-mentee@example.com`` (password printed at the end). It
has the longest history: mentee in pairing 1 and PAL of the next ``BENCH_PAL_OF``
pairings, while every other PAL has at most ``PAL_MENTEES`` mentees. The other accounts
have no password (``password_hash`` NULL), so they can never sign in.

The schema comes from ``Store(path)`` (the app's migrations); rows go in with
``Store.bulk_insert`` (one prepared INSERT, executemany) in large transactions, with
``PRAGMA synchronous=OFF`` for the load only (``Store.bulk_load``). ``--writer insert_all``
writes the same rows with sqlite-utils' ``db[table].insert_all`` in list mode instead: it
converts every value in Python and runs ~3× slower (~25k rows/s here, ~200 s for the
4.9 M rows of 1,000 × 260), too slow for the 3-minute budget. Sessions are written
week by week across all pairings, as a real server would, so a pairing's rows are spread
through the tables rather than stored together. Deterministic for a given ``--seed``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import queue
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pal_core import smart
from pal_core.auth import hash_password
from pal_core.questions import load_bank
from pal_core.store import Store

BENCH_EMAIL = "bench-mentee@example.com"
BENCH_NAME = "Bea Bench"
BENCH_PASSWORD = "bench-password-2024"  # a benchmark fixture's account, printed on purpose
BENCH_PAL_OF = 12  # pairings in which the bench account is the PAL
PAL_MENTEES = 4  # mentees of every other PAL: fewer than the bench account's 1 + 12
BATCH = 2_000  # rows per insert_all batch (well under SQLite's 32,766 bound variables)
WEEKS_PER_COMMIT = 8
WRITERS = ("bulk", "insert_all")

# Tables in foreign-key order: a chunk is flushed in this order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "person": ("id", "email", "display_name", "password_hash", "created_at"),
    "pairing": ("id", "mentee_id", "pal_id", "cadence_days", "session_minutes", "created_at", "is_sample"),
    "kpi": ("id", "pairing_id", "text"),
    "custom_question": ("id", "pairing_id", "section", "text", "created_by", "created_at"),
    "question_pin": ("pairing_id", "question_id"),
    "session": ("id", "pairing_id", "scheduled_at", "status", "started_at", "ended_at", "rating", "rating_why",
                "rating_plus_one", "agenda_shared_at", "current_phase", "phase_seconds", "timer_running_since",
                "next_session_at", "version"),
    "agenda_item": ("id", "session_id", "kind", "text", "position"),
    "note": ("id", "session_id", "phase", "question_key", "question_text", "body", "author_id", "visibility",
             "owner_id", "version", "updated_at"),
    "action_item": ("id", "pairing_id", "text", "owner", "due_date", "status", "blocker", "from_session_id",
                    "closed_in_session_id", "created_at", "version"),
    "action_event": ("id", "action_id", "session_id", "at", "status", "note", "by_id"),
    "goal": ("id", "pairing_id", "session_id", "text", "kpi", "smart_json", "done", "prep", "version"),
    "summary": ("session_id", "body", "source", "version", "edited_by", "edited_at", "agreed_by_mentee_at",
                "agreed_by_pal_at"),
    "summary_revision": ("id", "session_id", "version", "body", "edited_by", "edited_at"),
    "question_seen": ("pairing_id", "question_id", "session_id"),
}

# --- text pools: short, varied, realistic --------------------------------------------------

FIRST = ["Ana", "Ben", "Chloé", "Dev", "Eli", "Farah", "Gus", "Hana", "Ivo", "Jun", "Kemi", "Lior", "Maya", "Nils",
         "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Vik", "Wen", "Xavi", "Yara", "Zoe"]
LAST = ["Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski",
        "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Quispe", "Rossi", "Singh", "Tanaka", "Ueda", "Varga"]
KPIS = ["Code review turnaround under 24 hours", "Test coverage of the billing module above 80%",
        "Ship the quarterly roadmap items on time", "Mentor one junior engineer",
        "On-call incidents resolved within SLA",
        "Customer NPS for the onboarding flow", "Deploy frequency: daily", "Write one design doc per quarter",
        "Reduce p95 latency of the search API", "Present at two team demos per quarter"]
TOPICS = ["the auth flow", "the billing module", "the search API", "our CI pipeline", "the onboarding redesign",
          "the data migration", "the quarterly roadmap", "on-call rotations", "the design review", "the mobile release",
          "code reviews", "the team retro", "the hiring loop", "the incident post-mortem", "the new dashboard"]
PEOPLE = ["Priya", "Marco", "the tech lead", "my manager", "the product owner", "the SRE team", "a senior engineer",
          "the design team", "the new joiner", "QA"]
SUCCESS = ["Shipped {t} a day early and the rollout was clean.", "Got positive feedback from {p} on {t}.",
           "Finally closed the long-running ticket on {t}.", "Ran my first design review for {t}; it went well.",
           "Paired with {p} on {t} and we unblocked it in an hour.", "Merged six of the ten tests planned for {t}.",
           "Presented {t} at the team demo without notes.", "Cut the build time of {t} by a third."]
CHALLENGE = ["Struggled with {t}; tried two approaches before asking {p}.", "Review comments on {t} were hard to take.",
             "Context switching between {t} and support work ate my week.", "Flaky tests in {t} slowed two merges.",
             "Not sure how to push back on scope for {t}.", "Waited three days for {p} to answer about {t}."]
KPI_NOTE = ["Review turnaround is at about 30 hours, down from 40.", "Coverage moved from 62% to 68%.",
            "Two of three roadmap items are on track; {t} is at risk.", "Incidents this week: one, resolved in 2 h.",
            "Latency p95 is flat at 420 ms; {t} should help."]
SKILLS = ["Writing smaller pull requests for {t}.", "Estimating work on {t} more honestly.",
          "Asking for help earlier when stuck on {t}.", "Explaining trade-offs of {t} to non-engineers.",
          "Reading unfamiliar code in {t} faster.", "Giving specific review comments."]
STUCK = ["Where to start with the legacy parts of {t}.", "How to say no to {p} without sounding unhelpful.",
         "Testing the async parts of {t}.", "Knowing when {t} is good enough to ship."]
RESOURCES = ["Read 'A Philosophy of Software Design' ch. 4: https://example.org/apsd",
             "Talk to {p} about how they approached {t}.", "Try the strangler pattern on {t}.",
             "Watch the talk on testing async code: https://example.org/async-testing",
             "Book a 30-minute pairing slot with {p} on {t}."]
QUESTION_ANSWER = ["We agreed {t} is the main thing to focus on.", "Talked it through: {p} can help with {t}.",
                   "Honestly, {t} felt overwhelming, but it is smaller than it looked.",
                   "Good progress; next step is a draft of {t} by Friday.",
                   "The blocker is {p}'s availability; will ask for a fixed slot."]
PRIORITY = ["Finish the first draft of {t}.", "Get {t} reviewed by {p}.", "Fix the flaky tests in {t}.",
            "Write the rollout plan for {t}.", "Prepare the demo of {t}.",
            "Clear the review queue before starting {t}."]
ACTIONS = ["Write and merge 10 unit tests for {t} by Friday", "Book a pairing hour with {p} on {t}",
           "Draft the design doc for {t} and share it with {p}", "Ask {p} for feedback on {t} by Wednesday",
           "Present {t} at the Thursday team demo", "Timebox {t} to two hours a day this week",
           "Read the runbook for {t} before the next on-call shift"]
BLOCKERS = ["Waiting on {p}.", "The staging environment for {t} is down.", "Priorities changed mid-week."]
WHY = ["Busy sprint but {t} is moving.", "Good week: {t} landed.", "Tired; {t} dragged on.",
       "Steady. Reviews on {t} are quicker now.", "Better than last week thanks to {p}.",
       "Stuck on {t} most of the week."]
PLUS_ONE = ["Pair with {p} on {t} for an hour.", "Get earlier feedback on {t}.", "Protect two mornings for deep work.",
            "Finish {t} before starting anything new.", "Ask {p} for a clearer scope on {t}."]
AGENDA = {"point": ["How {t} went this week.", "Feedback I got from {p}.", "Whether to volunteer for {t}.",
                    "My workload around {t}."],
          "help": ["Structuring the design doc for {t}.", "Handling review comments on {t}.",
                   "Getting {p} to prioritise {t}."],
          "question": ["How did you learn to estimate work like {t}?", "What would you do about {p}?",
                       "Is {t} a good next step for my career?"]}
FEEDBACK = ["Your question about {t} made me see it differently.", "The example about {p} was really helpful.",
            "More time on {t} next time, please.", "Clear and specific: I knew what to do about {t}.",
            "It helped that you let me think before suggesting things about {t}."]
PRIVATE_PAL = ["Ask about {t} gently; last week was rough.", "Bring the article on {t}.",
               "They undersell their work on {t}: point that out.", "Check whether {p} is the real blocker."]
PRIVATE_MENTEE = ["I'm not sure I want to stay on {t}.", "Feeling nervous about the review with {p}.",
                  "Remember to mention {t} without downplaying it."]
CHECKIN = ["All good, a bit tired.", "Busy week, but in a good place.", "Need to leave five minutes early.",
           "Excited about {t}.", "Slightly stressed about {t}."]
GOALS = ["Write and merge 10 unit tests for {t} by the end of the month",
         "Reduce code review turnaround to under 24 hours by next quarter",
         "Present {t} at two team demos before the end of the quarter",
         "Get better at {t}", "Lead the design review for {t} by Friday 15 May",
         "Mentor the new joiner through their first on-call week"]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(t=rng.choice(TOPICS), p=rng.choice(PEOPLE))


def _pool(templates: list[str], rng: random.Random, size: int = 120) -> list[str]:
    """Pre-filled texts: cheap to pick per row, varied enough to look real."""
    return [_fill(rng.choice(templates), rng) for _ in range(size)]


def _iso(value: dt.datetime) -> str:
    return value.isoformat()


# --- the generator -------------------------------------------------------------------------


@dataclass
class SeedInfo:
    path: Path
    pairings: int
    weeks: int
    seconds: float
    rows: dict[str, int]
    write_seconds: float = 0.0
    cpu_seconds: float = 0.0
    latest_session_id: int = 0  # the bench account's own pairing's (pairing 1) upcoming session

    @property
    def sessions(self) -> int:
        return self.rows.get("session", 0)


class _Writer:
    """Buffers rows per table; a thread of its own writes each flushed batch in
    foreign-key order inside ``Store.bulk_load``, while the next week is generated (SQLite
    works with the GIL released, so the two overlap on a second core). Rows go in with
    ``Store.bulk_insert`` (executemany) by default, or sqlite-utils' ``insert_all`` in list
    mode (``writer="insert_all"``: same rows, ~3× slower, it converts every value in Python)."""

    def __init__(self, store: Store, writer: str = "bulk"):
        if writer not in WRITERS:
            raise ValueError(f"writer must be one of {', '.join(WRITERS)}")
        self.store, self.writer = store, writer
        self.buffers: dict[str, list[tuple]] = {table: [] for table in COLUMNS}
        self.counts: dict[str, int] = dict.fromkeys(COLUMNS, 0)
        self.seconds = 0.0  # spent writing
        self.error: BaseException | None = None
        self.queue: queue.Queue = queue.Queue(maxsize=4)  # generation runs at most 4 batches ahead
        self.thread = threading.Thread(target=self._run, name="seed-writer", daemon=True)
        self.thread.start()

    def add(self, table: str, row: tuple) -> None:
        self.buffers[table].append(row)

    def flush(self) -> None:
        batch = {table: rows for table, rows in self.buffers.items() if rows}
        for table, rows in batch.items():
            self.counts[table] += len(rows)
        self.buffers = {table: [] for table in COLUMNS}
        self._put(("rows", batch))

    def commit(self) -> None:
        self._put(("commit", None))

    def close(self) -> None:
        """Write what is left, rebuild the indexes, and wait for it."""
        self._put(("stop", None))
        self.thread.join()
        if self.error is not None:
            raise self.error

    def _put(self, item: tuple) -> None:
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        try:
            with self.store.bulk_load() as db:
                db.begin()
                while True:
                    kind, batch = self.queue.get()
                    if kind == "stop":
                        break
                    if kind == "commit":
                        db.commit()
                        db.begin()
                        continue
                    started = time.perf_counter()
                    for table in COLUMNS:  # foreign-key order
                        if rows := batch.get(table):
                            if self.writer == "insert_all":
                                db[table].insert_all([COLUMNS[table], *rows], batch_size=BATCH)
                            else:
                                self.store.bulk_insert(table, COLUMNS[table], rows)
                    self.seconds += time.perf_counter() - started
        except BaseException as error:  # noqa: BLE001 - handed to the generating thread
            self.error = error
        finally:
            self.store.close()


def seed(path: str | Path, pairings: int, weeks: int, *, seed_value: int = 7,
         progress: Callable[[str], None] | None = print, now: dt.datetime | None = None,
         writer: str = "bulk") -> SeedInfo:
    """Create ``path`` (which must not exist yet) and fill it. Returns what was made."""
    if pairings < 1 or weeks < 1:
        raise ValueError("need at least one pairing and one week")
    path = Path(path)
    if path.exists() and path.stat().st_size:
        raise FileExistsError(f"{path} exists: seed into a new file (or use --force)")
    started, cpu_started = time.perf_counter(), time.process_time()
    say = progress or (lambda _message: None)
    rng = random.Random(seed_value)
    r = rng.random
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(minute=0, second=0,
                                                                                       microsecond=0)
    store = Store(path)
    writer = _Writer(store, writer)
    add = writer.add
    bank = load_bank()
    sections = {s: [q for q in bank.in_section(s)] for s in ("reflection", "development", "planning", "closing")}
    fb_to_pal = [q for q in bank.in_section("feedback") if "to-mentee" not in q.tags]
    fb_to_mentee = [q for q in bank.in_section("feedback") if "to-mentee" in q.tags]

    pools = {name: _pool(templates, rng) for name, templates in {
        "success": SUCCESS, "challenge": CHALLENGE, "kpi": KPI_NOTE, "skills": SKILLS, "stuck": STUCK,
        "resources": RESOURCES, "answer": QUESTION_ANSWER, "priority": PRIORITY, "action": ACTIONS,
        "blocker": BLOCKERS, "why": WHY, "plus_one": PLUS_ONE, "feedback": FEEDBACK, "private_pal": PRIVATE_PAL,
        "private_mentee": PRIVATE_MENTEE, "checkin": CHECKIN, "goal": GOALS,
        **{f"agenda:{kind}": texts for kind, texts in AGENDA.items()},
    }.items()}
    goal_texts = pools["goal"][:24]
    smart_json = {text: smart.assess(text, KPIS[:3]).model_dump_json() for text in goal_texts}
    phase_seconds = [json.dumps({"opening": 60 + rng.randrange(120), "reflection": 400 + rng.randrange(300),
                                 "development": 400 + rng.randrange(300), "planning": 380 + rng.randrange(300),
                                 "closing": 60 + rng.randrange(150)}) for _ in range(32)]
    def choice(seq):  # rng.choice costs ~1 µs; this ~0.1 µs, and it runs millions of times
        return seq[int(r() * len(seq))]

    def randrange(n: int) -> int:
        return int(r() * n)

    # --- people and pairings ---------------------------------------------------------------
    created = _iso(now - dt.timedelta(weeks=weeks + 4))
    bench_pal_of = min(BENCH_PAL_OF, pairings - 1)
    others = pairings - 1 - bench_pal_of
    pal_count = -(-others // PAL_MENTEES) if others > 0 else 0
    people: list[tuple] = [(1, BENCH_EMAIL, BENCH_NAME, hash_password(BENCH_PASSWORD), created)]
    mentee_of = [1]  # pairing index -> mentee person id
    for i in range(1, pairings):
        pid = len(people) + 1
        people.append((pid, f"mentee-{i}@example.com", f"{choice(FIRST)} {choice(LAST)}", None, created))
        mentee_of.append(pid)
    pal_pool: list[int] = []
    for k in range(pal_count):
        # Every fifth PAL is also someone's mentee (a person can be both), picked from the
        # pairings outside this PAL's own group so nobody mentors themselves.
        reuse = pairings - 1 - k
        group = range(1 + bench_pal_of + k * PAL_MENTEES, 1 + bench_pal_of + (k + 1) * PAL_MENTEES)
        if k % 5 == 0 and reuse > bench_pal_of and reuse not in group:
            pal_pool.append(mentee_of[reuse])
        else:
            pid = len(people) + 1
            people.append((pid, f"pal-{k}@example.com", f"{choice(FIRST)} {choice(LAST)}", None, created))
            pal_pool.append(pid)
    pal_of = [0] * pairings
    for i in range(1, pairings):
        pal_of[i] = 1 if i <= bench_pal_of else pal_pool[(i - 1 - bench_pal_of) // PAL_MENTEES]
    pal_of[0] = len(people) + 1  # the bench account's own PAL mentors only it
    people.append((pal_of[0], "bench-pal@example.com", f"{choice(FIRST)} {choice(LAST)}", None, created))
    for row in people:
        add("person", row)
    kpi_id = custom_id = 0
    pairing_kpis: list[list[str]] = []
    # Each pairing draws from a random stream of its own, so pairing 1 (the bench account's)
    # holds the same history whatever the number of pairings: sizes compare like for like.
    streams = [random.Random(seed_value * 1_000_003 + i) for i in range(pairings)]
    for i in range(pairings):
        r = streams[i].random
        add("pairing", (i + 1, mentee_of[i], pal_of[i], 7, choice((30, 30, 30, 45, 60)), created, 0))
        texts = streams[i].sample(KPIS, 2 + randrange(3))
        pairing_kpis.append(texts)
        for text in texts:
            kpi_id += 1
            add("kpi", (kpi_id, i + 1, text))
        for _ in range(randrange(3)):
            custom_id += 1
            section = choice(("reflection", "development", "planning"))
            add("custom_question", (custom_id, i + 1, section, _fill(choice(AGENDA["question"]), streams[i]),
                                    mentee_of[i], created))
        for qid in streams[i].sample([q.id for q in sections["reflection"] + sections["planning"]], randrange(3)):
            add("question_pin", (i + 1, qid))

    # --- sessions: all rows first, so later rows can point at any of them -----------------------
    def sid(i: int, w: int) -> int:
        return 1 + w * pairings + i

    anchors = [dt.datetime.combine(now.date() + dt.timedelta(days=1 + (i % 5) if i else 2),
                                   dt.time(8 + (i % 9) if i else 10), dt.timezone.utc) for i in range(pairings)]
    week = dt.timedelta(weeks=1)
    last = weeks - 1
    sched_iso: list[list[str]] = [[""] * weeks for _ in range(pairings)]
    rated = [[False] * weeks for _ in range(pairings)]
    shared = [[False] * weeks for _ in range(pairings)]
    mood = [5 + int(stream.random() * 3) for stream in streams]
    for w in range(weeks):
        for i in range(pairings):
            r = streams[i].random
            at = anchors[i] - (last - w) * week
            sched_iso[i][w] = _iso(at)
            upcoming = w == last
            share = r() < (0.85 if not upcoming else 0.7) or (upcoming and i <= 1)
            rating = None
            why = plus = ""
            if share or r() < 0.3:
                mood[i] = min(10, max(1, mood[i] + choice((-1, 0, 0, 1))))
                rating, why, plus = mood[i], choice(pools["why"]), choice(pools["plus_one"])
            shared[i][w], rated[i][w] = share, rating is not None
            shared_at = _iso(at - dt.timedelta(hours=48 if r() < 0.8 else 6)) if share else None
            if upcoming:
                if shared_at and at - dt.timedelta(hours=48) > now:
                    shared_at = _iso(now - dt.timedelta(hours=12))
                add("session", (sid(i, w), i + 1, sched_iso[i][w], "agenda_shared" if share else "draft", None, None,
                                rating, why, plus, shared_at, "opening", "{}", None, None, 3))
            else:
                begin = at + dt.timedelta(minutes=randrange(5))
                add("session", (sid(i, w), i + 1, sched_iso[i][w], "completed", _iso(begin),
                                _iso(begin + dt.timedelta(minutes=28 + randrange(9))), rating, why, plus, shared_at,
                                "closing", choice(phase_seconds), None, _iso(at + week), 8 + randrange(12)))
    say(f"seed: {pairings:,} pairings × {weeks} weeks: people, pairings and sessions generated "
        f"({time.perf_counter() - started:.1f} s)")

    # --- everything said in the sessions, week by week ----------------------------------------
    ids = dict.fromkeys(("agenda_item", "note", "action_item", "action_event", "goal", "summary_revision"), 0)
    pending_events: dict[int, list[tuple]] = {}  # week -> events that happen then (ids given on write)
    seen: list[dict[str, int]] = [{} for _ in range(pairings)]

    def note(session: int, phase: str, key: str, qtext: str, body: str, author: int, owner: int, at: str) -> None:
        ids["note"] += 1
        add("note", (ids["note"], session, phase, key, qtext, body, author, "private" if owner else "shared", owner,
                     1 if r() < 0.7 else 2, at))

    writer.flush()
    for w in range(weeks):
        upcoming = w == last
        for i in range(pairings):
            r = streams[i].random
            s = sid(i, w)
            mentee, pal, at = mentee_of[i], pal_of[i], sched_iso[i][w]
            # the mentee's preparation
            if shared[i][w] or r() < 0.4:
                for kind, chance, position in (("point", 1.0, 1), ("point", 0.6, 2), ("help", 0.6, 1),
                                               ("question", 0.5, 1)):
                    if r() < chance:
                        ids["agenda_item"] += 1
                        add("agenda_item", (ids["agenda_item"], s, kind, choice(pools[f"agenda:{kind}"]), position))
                if r() < 0.2 or (upcoming and i == 0):
                    ids["goal"] += 1
                    text = choice(goal_texts)
                    add("goal", (ids["goal"], i + 1, s, text, choice(pairing_kpis[i]), smart_json[text],
                                 int(w < last - 8 and r() < 0.65), 1, 1))
            if upcoming:
                if i == 0:
                    note(s, "reflection", "private", "Notes", choice(pools["private_mentee"]), mentee, mentee, at)
                if i <= 1 or r() < 0.3:
                    note(s, "opening", "pal:prep", "Notes for myself", choice(pools["private_pal"]), pal, pal, at)
                continue
            # the session itself: shared notes in every phase, some private ones
            done_at = sched_iso[i][w]
            if r() < 0.5:
                note(s, "opening", "opening:checkin", "Check-in: anything to know before we start?",
                     choice(pools["checkin"]), mentee, 0, done_at)
            note(s, "reflection", "reflection:successes", "Successes since last time", choice(pools["success"]),
                 mentee, 0, done_at)
            if r() < 0.8:
                note(s, "reflection", "reflection:challenges", "Challenges, and how they were approached",
                     choice(pools["challenge"]), mentee, 0, done_at)
            if r() < 0.3:
                note(s, "reflection", "reflection:kpis", "Check on KPIs: where do they stand?",
                     choice(pools["kpi"]), pal, 0, done_at)
            for section, chance in (("reflection", 0.5), ("development", 0.4), ("planning", 0.2),
                                    ("closing", 0.1)):
                pool = sections[section]  # a run of 2-3 neighbours from a random start: distinct, cheap
                first = randrange(len(pool))
                questions = [pool[(first + k) % len(pool)] for k in range(3 if section != "closing" else 2)]
                for q in questions:
                    seen[i][q.id] = s
                if r() < chance:
                    note(s, section, questions[0].id, "Notes", choice(pools["answer"]), choice((mentee, pal)),
                         0, done_at)
            if r() < 0.7:
                note(s, "development", "development:skills", "Skills to improve right now",
                     choice(pools["skills"]), mentee, 0, done_at)
            if r() < 0.4:
                note(s, "development", "development:stuck", "Where the mentee feels stuck",
                     choice(pools["stuck"]), mentee, 0, done_at)
            if r() < 0.3:
                note(s, "development", "development:resources", "Resources and strategies",
                     choice(pools["resources"]), pal, 0, done_at)
            for rank in range(1, 1 + choice((1, 1, 2, 2, 3))):
                note(s, "planning", f"planning:priority-{rank}", f"Priority {rank}", choice(pools["priority"]),
                     mentee, 0, done_at)
            if r() < 0.7:
                q = choice(fb_to_pal)
                note(s, "closing", f"feedback:mentee:{q.id}", q.text, choice(pools["feedback"]), mentee, 0, done_at)
            if r() < 0.6:
                q = choice(fb_to_mentee)
                note(s, "closing", f"feedback:pal:{q.id}", q.text, choice(pools["feedback"]), pal, 0, done_at)
            if r() < 0.3:
                note(s, "opening", "pal:prep", "Notes for myself", choice(pools["private_pal"]), pal, pal, done_at)
            if r() < 0.15:
                note(s, "reflection", "private", "Notes", choice(pools["private_mentee"]), mentee, mentee, done_at)
            if r() < 0.25:
                ids["goal"] += 1
                text = choice(goal_texts)
                add("goal", (ids["goal"], i + 1, s, text, choice(pairing_kpis[i] + [""]), smart_json[text],
                             int(w < last - 8 and r() < 0.65), 0, 1 + (r() < 0.3)))
            # agreed actions, with what happens to them later
            created_at = sched_iso[i][w][:14] + "25:00+00:00"
            due = (dt.date.fromisoformat(at[:10]) + dt.timedelta(days=choice((7, 7, 7, 14)))).isoformat()
            for _ in range(choice((0, 1, 1, 1, 2, 2))):
                ids["action_item"] += 1
                aid = ids["action_item"]
                owner = "mentee" if r() < 0.75 else "pal"
                fate = r()
                close_week = w + (1 if fate < 0.6 else 2 if fate < 0.8 else 3 + randrange(4))
                status, closed_in, blocker = ("done" if r() < 0.9 else "dropped"), None, ""
                events = [(aid, s, created_at, "open", "agreed", choice((mentee, pal)))]
                if close_week > w + 1 and w + 1 < last:
                    events.append((aid, sid(i, w + 1), sched_iso[i][w + 1], "in_progress", "", mentee))
                stale = fate > 0.98 and w < last - 8  # forgotten: open and overdue for good
                if stale or close_week >= last:
                    status = "blocked" if r() < 0.2 else "in_progress" if len(events) > 1 else "open"
                    if status == "blocked":
                        blocker = choice(pools["blocker"])
                        events.append((aid, None, sched_iso[i][min(w + 1, last)], "blocked", blocker, mentee))
                else:
                    closed_in = sid(i, close_week)
                    pending_events.setdefault(close_week, []).append(
                        (aid, closed_in, sched_iso[i][close_week][:14] + "10:00+00:00", status, "", mentee))
                add("action_item", (aid, i + 1, choice(pools["action"]), owner, due, status, blocker, s, closed_in,
                                    created_at, len(events) + (closed_in is not None)))
                for event in events:
                    ids["action_event"] += 1
                    add("action_event", (ids["action_event"], *event))
            # the summary, and its revisions
            version = 1 if r() < 0.85 else 2
            editor = mentee if r() < 0.6 else pal
            body = _summary_body(people, mentee, pal, at, rated[i][w], pools, choice)
            edited = sched_iso[i][w][:14] + "45:00+00:00"
            add("summary", (s, body, "offline" if r() < 0.9 else "llm", version, editor, edited,
                            edited if r() < 0.7 else None, edited if r() < 0.6 else None))
            for v in range(1, version + 1):
                ids["summary_revision"] += 1
                text = body if v == version else body[: len(body) // 2]  # the first draft was shorter
                add("summary_revision", (ids["summary_revision"], s, v, text, editor, edited))
        for event in pending_events.pop(w, ()):
            ids["action_event"] += 1
            add("action_event", (ids["action_event"], *event))
        writer.flush()
        if (w + 1) % WEEKS_PER_COMMIT == 0 or w == last:
            writer.commit()
            done = (w + 1) / weeks
            elapsed = time.perf_counter() - started
            say(f"seed: week {w + 1}/{weeks} ({done:.0%}) · {writer.counts['session']:,} sessions, "
                f"{writer.counts['note']:,} notes, {writer.counts['action_item']:,} actions · {elapsed:.0f} s")
    for i in range(pairings):
        for qid, session_id in seen[i].items():
            add("question_seen", (i + 1, qid, session_id))
    writer.flush()
    writer.close()
    store.close()
    seconds = time.perf_counter() - started
    info = SeedInfo(
        path=path, pairings=pairings, weeks=weeks, seconds=seconds, rows=dict(writer.counts),
        write_seconds=writer.seconds,
        cpu_seconds=time.process_time() - cpu_started,
        latest_session_id=sid(0, last),
    )
    return info


def _summary_body(people: list[tuple], mentee: int, pal: int, at: str, rated: bool, pools: dict,
                  choice: Callable) -> str:
    m, p = people[mentee - 1][2], people[pal - 1][2]
    rating = f"\n\n## How {m} is doing\n\n**{choice(range(4, 10))}/10** — {choice(pools['why'])}" if rated else ""
    return (
        f"# Session summary: {m} & {p}\n\n{at[:10]} · {m} (mentee) with {p} (PAL) · 30 minutes{rating}\n\n"
        f"## Takeaways\n\n### Reflection\n\n- **Successes:** {choice(pools['success'])}\n"
        f"- **Challenges:** {choice(pools['challenge'])}\n\n### Development\n\n- **Skills to improve:** "
        f"{choice(pools['skills'])}\n\n## Priorities\n\n1. {choice(pools['priority'])}\n"
        f"2. {choice(pools['priority'])}\n\n"
        f"## Actions\n\n- [ ] {choice(pools['action'])} — **{m}**\n\n## Feedback\n\n- {choice(pools['feedback'])}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.seed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, type=Path, help="the SQLite file to create")
    parser.add_argument("--pairings", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=260)
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same data)")
    parser.add_argument("--writer", choices=WRITERS, default="bulk",
                        help="bulk: Store.bulk_insert (executemany, default); insert_all: sqlite-utils, slower")
    parser.add_argument("--force", action="store_true", help="replace the file if it exists")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    if args.force:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    try:
        info = seed(args.db, args.pairings, args.weeks, seed_value=args.seed, writer=args.writer,
                    progress=None if args.quiet else lambda line: print(line, flush=True))
    except FileExistsError as error:
        print(f"seed: {error}", file=sys.stderr)
        return 2
    size = sum(Path(f"{args.db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{args.db}{s}").exists())
    print(f"seed: {info.sessions:,} sessions, {sum(info.rows.values()):,} rows, {size / 2**20:,.0f} MiB "
          f"in {info.seconds:.1f} s ({info.cpu_seconds:.1f} s of CPU, {info.write_seconds:.1f} s in the writer thread)"
          f" -> {info.path}")
    print("seed: rows " + ", ".join(f"{t} {n:,}" for t, n in info.rows.items()))
    print(f"seed: sign in as {BENCH_EMAIL} / {BENCH_PASSWORD} (mentee of pairing 1, "
          f"PAL of {min(BENCH_PAL_OF, info.pairings - 1)}; upcoming session {info.latest_session_id})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
