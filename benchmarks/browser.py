"""What a person waits for in a real browser, next to an empty Streamlit app started the same way.

    python -m benchmarks.browser --db /tmp/pal-260k.db   # a database from benchmarks.seed
    python -m benchmarks.browser --quick                 # tiny: seeds a small database, 2 runs

Headless Chromium (Debian's /usr/bin/chromium, the flags of tests/e2e) against
``streamlit run`` in its own process group on a free port, as tests/e2e does:

- **cold start**: from launching the server process to the first page rendered and idle
  (the app signed in by its remember-me cookie, so it shows "Your pairings"; the baseline
  shows its one page);
- **click to idle** on a session page of the account with the longest history: save a
  note (type, leave the box, until the rerun is done), go to the next phase, open History;
  the baseline is a two-page app with one text area, one button and the same navigation;
- **memory**: the server's resident memory (VmRSS of the process and its children, from
  /proc) idle, with 20 browser sessions (contexts) open on a session page, and across 200
  reruns of one page (first and last, so a growth trend shows).

Times are medians over ``--runs`` (≥ 10) with the ratio to the baseline. The machine is
shared: run it when nothing else is busy, and read the ratios rather than the absolutes.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT  # noqa: E402  the harness's browser settings
from tests.e2e.helpers import Runs  # noqa: E402  counts the runs a page asked for

TIMEOUT_MS = 60_000
BASELINE_APP = '''import streamlit as st


def notes():
    st.title("Notes")
    st.text_area("Notes", key="notes")
    if st.button("Next"):
        st.switch_page(history)


def other():
    st.title("History")


history = st.Page(other, title="History", url_path="history")
st.navigation([st.Page(notes, title="Notes", default=True), history]).run()
'''


# --- the server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``streamlit run SCRIPT`` in its own process group on a free port (as tests/e2e)."""

    def __init__(self, script: Path, cwd: Path, db: Path | None, log: Path):
        self.script, self.cwd, self.db, self.log = script, cwd, db, log
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.launched_at = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                raise RuntimeError(f"port {self.port} is taken; refusing to start a second server there")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("STREAMLIT_SERVER_PORT", None)
        if self.db is not None:
            env["PAL_DB_PATH"] = str(self.db)
        command = [sys.executable, "-m", "streamlit", "run", str(self.script), "--server.headless", "true",
                   "--server.port", str(self.port), "--browser.gatherUsageStats", "false",
                   "--server.fileWatcherType", "none"]
        with self.log.open("ab") as log:
            self.launched_at = time.perf_counter()
            self.proc = subprocess.Popen(command, cwd=self.cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited ({self.proc.returncode}); see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as response:
                    if response.read().strip() == b"ok":
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.01)  # polling the process we started
        self.stop()
        raise RuntimeError(f"streamlit did not answer within 60 s; see {self.log}")

    def stop(self) -> None:
        if self.proc is None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            if self.proc.poll() is None:
                try:
                    os.kill(self.proc.pid, sig)
                    self.proc.wait(timeout=wait)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    continue
            break
        self.proc = None

    def rss_mib(self) -> float:
        """VmRSS of the server and every process below it, in MiB."""
        return sum(_rss_kib(pid) for pid in _tree(self.proc.pid)) / 1024

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                pass
    return pids


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- the browser side --------------------------------------------------------------------

# Ready, checked in the page on every animation frame: the script is not running, no
# status widget, no element still waiting for its lazily loaded code (a skeleton), and the
# page has the heading the step should lead to. Playwright's expect() re-checks only after 100,
# 250, 500 and 1,000 ms, which added up to 0.4 s to whichever app missed the first check.
READY = """text => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSkeleton"]')
        && [...app.querySelectorAll('h1')].some(h => h.textContent.includes(text));
}"""


def wait_ready(page, heading: str) -> None:
    page.wait_for_function(READY, arg=heading, polling="raf", timeout=TIMEOUT_MS)


def new_context(browser, url: str, token: str | None):
    context = browser.new_context(viewport=VIEWPORT, timezone_id="UTC", locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    if token:
        context.add_cookies([{"name": "pal_token", "value": token, "url": url}])
    return context


def open_and_wait(page, url: str, heading: str) -> None:
    """Open ``url`` and wait until it shows ``heading`` and is idle."""
    page.goto(url)
    wait_ready(page, heading)


class Target:
    """One app under test: how to start it, open its session page and do the actions."""

    def __init__(self, name: str, script: Path, cwd: Path, db: Path | None, token: str | None,
                 landing: str, session_path: str, note_box: str, next_button: str, next_text: str,
                 session_title: str):
        self.name, self.script, self.cwd, self.db, self.token = name, script, cwd, db, token
        self.landing, self.session_path, self.note_box = landing, session_path, note_box
        self.next_button, self.next_text, self.session_title = next_button, next_text, session_title

    def server(self, workdir: Path) -> Server:
        return Server(self.script, self.cwd, self.db, workdir / f"{self.name}.log")


def cold_start(browser, target: Target, workdir: Path, keep: bool = False) -> tuple[float, Server | None]:
    """Seconds from launching the server to its first page rendered and idle; with
    ``keep`` the server is left running and returned (for the next measures)."""
    server = target.server(workdir)
    try:
        server.start()
        context = new_context(browser, server.url, target.token)
        try:
            open_and_wait(context.new_page(), server.url, target.landing)
            seconds = time.perf_counter() - server.launched_at
        finally:
            context.close()
    except BaseException:
        server.stop()
        raise
    if keep:
        return seconds, server
    server.stop()
    return seconds, None


def actions(browser, target: Target, server: Server, runs: int, say, warmup: int = 1) -> dict[str, list[float]]:
    """Click-to-idle seconds of the three actions, ``runs`` times each: from the action
    until the run it caused has finished (the websocket says so) and the page is ready."""
    times: dict[str, list[float]] = {"save a note (type + blur)": [], "next phase (click)": [],
                                     "open history (click)": []}
    context = new_context(browser, server.url, target.token)
    page = context.new_page()
    runs_seen = Runs(page)

    def timed(action, heading: str) -> float:
        before, started = runs_seen.started, time.perf_counter()
        action()
        runs_seen.wait_past(before, TIMEOUT_MS)
        wait_ready(page, heading)
        return time.perf_counter() - started

    try:
        for run in range(runs + warmup):  # warm-up rounds are not counted
            open_and_wait(page, server.url + target.session_path, target.session_title)
            box = page.locator(target.note_box).first
            note = timed(lambda: (box.fill(f"Run {run}: shipped the billing tests and paired with Priya on the auth flow."),
                                  box.press("Tab")), target.session_title)
            step = timed(page.get_by_role("button", name=target.next_button).click, target.next_text)
            history = timed(page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="History").click,
                            "History")
            if run >= warmup:
                for key, value in zip(times, (note, step, history)):
                    times[key].append(value)
        say(f"browser: {target.name}: {runs} rounds of note / next phase / history")
    finally:
        context.close()
    return times


def memory(browser, target: Target, server: Server, contexts: int, reruns: int, say, idle_seconds: float = 10) -> dict:
    """RSS idle, with ``contexts`` sessions on the session page, and across ``reruns``."""
    result = {"idle": server.rss_mib()}
    opened = []
    try:
        slow = 0
        for _ in range(contexts):
            context = new_context(browser, server.url, target.token)
            opened.append(context)
            page = context.new_page()
            try:
                open_and_wait(page, server.url + target.session_path, target.session_title)
            except PlaywrightTimeout:
                slow += 1  # still open (its session exists on the server), just not idle in time
        result["slow_to_open"] = slow
        result["sessions"] = contexts
        result["with_sessions"] = server.rss_mib()
        # What the open pages cost the server while nobody touches them: the timer
        # fragment of each session page reruns every 2 s.
        cpu, started = server.cpu_seconds(), time.perf_counter()
        opened[0].pages[0].wait_for_timeout(idle_seconds * 1000)
        result["idle_cpu"] = (server.cpu_seconds() - cpu) / (time.perf_counter() - started)
        say(f"browser: {contexts} sessions open, server RSS {result['with_sessions']:.0f} MiB, "
            f"{result['idle_cpu']:.0%} of a core while idle")
        page = opened[0].pages[0]
        runs_seen = Runs(page)  # frames from now on: the socket is already open, so reload once
        open_and_wait(page, server.url + target.session_path, target.session_title)
        samples = []
        for rerun in range(reruns):
            before = runs_seen.started
            for attempt in range(3):  # a key press landing mid-run can be dropped: press again
                page.evaluate("document.activeElement && document.activeElement.blur()")  # R reruns unless typing
                page.keyboard.press("r")
                try:
                    runs_seen.wait_past(before, timeout=10_000 if attempt < 2 else TIMEOUT_MS)
                    break
                except AssertionError:
                    if attempt == 2:
                        raise
            if rerun == 0 or (rerun + 1) % max(1, reruns // 10) == 0:
                samples.append(server.rss_mib())
        wait_ready(page, target.session_title)
        result["reruns"], result["rerun_rss"] = reruns, samples
    finally:
        for context in opened:
            context.close()
    return result


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.browser", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a database from benchmarks.seed (default: seed a small one)")
    parser.add_argument("--runs", type=int, default=10, help="runs of each measure (≥ 10)")
    parser.add_argument("--contexts", type=int, default=20, help="browser sessions open at once for the memory measure")
    parser.add_argument("--reruns", type=int, default=200, help="reruns of one page for the memory trend")
    parser.add_argument("--quick", action="store_true", help="tiny: 2 runs, 2 contexts, 10 reruns, small database")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.contexts, args.reruns = 2, 2, 10
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    if not os.access(CHROMIUM, os.X_OK):
        print(f"{CHROMIUM} is missing: apt-get install -y chromium", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    from benchmarks import seed
    from pal_core import auth
    from pal_core.store import Store

    with tempfile.TemporaryDirectory(prefix="pal-browser-") as temp:
        workdir = Path(temp)
        db = args.db
        if db is None:
            db = workdir / "pal.db"
            seed.seed(db, 3, 8, progress=None)
        store = Store(db)
        person = store.credentials(seed.BENCH_EMAIL)[0]
        own = next(p for p in store.pairings(person.id) if p.mentee_id == person.id)
        latest = store.sessions(person.id, own.id, limit=1)[0]
        token = auth.issue_token(store, person)
        store.close()
        (workdir / "baseline.py").write_text(BASELINE_APP)
        app = Target("app", ROOT / "app.py", ROOT, db, token, "Your pairings", f"/reflection?session={latest.id}",
                     '[class*="st-key-note-"][class*="reflection-successes-shared"] textarea', "Development →",
                     "Development", "Reflection")
        # Started the same way: same flags, same working directory, so same .streamlit/config.toml.
        empty = Target("empty", workdir / "baseline.py", ROOT, None, None, "Notes", "/", "textarea", "Next",
                       "History", "Notes")
        started, load_before = time.perf_counter(), os.getloadavg()[0]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                cold, kept = {"app": [], "empty": []}, {}
                for run in range(args.runs):
                    for target in (app, empty):
                        seconds, server = cold_start(browser, target, workdir, keep=run == args.runs - 1)
                        cold[target.name].append(seconds)
                        if server is not None:
                            kept[target.name] = server  # the last cold start's server serves the clicks
                say(f"browser: {args.runs} cold starts each")
                clicks, mem = {}, None
                try:
                    for target in (app, empty):
                        clicks[target.name] = actions(browser, target, kept[target.name], args.runs, say,
                                                      warmup=0 if args.quick else 1)
                    try:
                        mem = memory(browser, app, kept["app"], args.contexts, args.reruns, say,
                                     idle_seconds=2 if args.quick else 10)
                    except Exception as error:  # noqa: BLE001 - still print the times measured so far
                        mem = {"error": f"{type(error).__name__}: {str(error).splitlines()[0]}"}
                finally:
                    for server in kept.values():
                        server.stop()
            finally:
                browser.close()
        size = db.stat().st_size / 2**20
    print(f"PAL Sessions browser benchmark · {time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} cores · "
          f"{time.perf_counter() - started:.0f} s"
          f" · load average {load_before:.1f} → {os.getloadavg()[0]:.1f} (other work inflates wall times)")
    print(f"  database {db.name} ({size:,.0f} MiB), signed in as {seed.BENCH_EMAIL}, session page "
          f"{app.session_path}; medians of {args.runs} runs")
    head = f"{'measure':<34}{'app ms':>10}{'empty ms':>10}{'ratio':>8}"
    print(head)
    print("-" * len(head))
    rows = [("cold start (launch → first page)", cold["app"], cold["empty"])]
    rows += [(name, clicks["app"][name], clicks["empty"][name]) for name in clicks["app"]]
    for name, mine, base in rows:
        print(f"{name:<34}{median_ms(mine):>10.0f}{median_ms(base):>10.0f}{median_ms(mine) / median_ms(base):>7.2f}x")
    if "error" in mem:
        print(f"memory: not measured — {mem['error']}")
        return 1
    per = (mem["with_sessions"] - mem["idle"]) / max(1, mem["sessions"])
    late = f"; {mem['slow_to_open']} of them not idle within {TIMEOUT_MS // 1000} s" if mem["slow_to_open"] else ""
    print(f"memory: server RSS idle {mem['idle']:.0f} MiB; with {mem['sessions']} sessions on a session page "
          f"{mem['with_sessions']:.0f} MiB (+{per:.1f} MiB a session{late})")
    print(f"cpu: with those {mem['sessions']} session pages open and nobody typing (timer ticks every 2 s), the "
          f"server used {mem['idle_cpu']:.0%} of one core")
    samples = mem["rerun_rss"]
    print(f"memory: {mem['reruns']} reruns of the session page: first {samples[0]:.0f} MiB, last {samples[-1]:.0f} MiB "
          f"(samples: {', '.join(f'{s:.0f}' for s in samples)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
