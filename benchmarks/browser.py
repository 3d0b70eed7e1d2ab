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

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT  # noqa: E402  the harness's browser settings

TIMEOUT_MS = 60_000
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
BASELINE_APP = '''import streamlit as st


def notes():
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


def wait_idle(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator(IDLE)).to_have_count(1, timeout=TIMEOUT_MS)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=TIMEOUT_MS)


class Runs:
    """When the page heard that a whole-app script run finished, read off the websocket.

    The DOM can't tell: the session pages' timer fragment runs every 2 s and flips the
    same "running" state, and a quick rerun may never show as running at all. The
    server's ``script_finished`` message says which kind of run ended."""

    def __init__(self, page):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.message, self.full_run = ForwardMsg, ForwardMsg.FINISHED_SUCCESSFULLY
        self.finished: list[float] = []
        page.on("websocket", lambda socket: socket.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        if not isinstance(payload, (bytes, bytearray)):
            return
        message = self.message()
        try:
            message.ParseFromString(bytes(payload))
        except Exception:  # noqa: BLE001 - not a ForwardMsg: not ours to judge
            return
        if message.WhichOneof("type") == "script_finished" and message.script_finished == self.full_run:
            self.finished.append(time.perf_counter())

    def wait_after(self, page, started: float, timeout: float = TIMEOUT_MS / 1000) -> None:
        """Until a whole-app run finished after ``started``, then the page is idle."""
        deadline = time.perf_counter() + timeout
        while not self.finished or self.finished[-1] <= started:
            if time.perf_counter() > deadline:
                raise TimeoutError("no script run finished")
            page.wait_for_timeout(5)  # lets playwright deliver the websocket frames
        wait_idle(page)


def new_context(browser, url: str, token: str | None):
    context = browser.new_context(viewport=VIEWPORT, timezone_id="UTC", locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    if token:
        context.add_cookies([{"name": "pal_token", "value": token, "url": url}])
    return context


def open_and_wait(page, url: str, text: str, *, button: bool = False) -> None:
    """Open ``url`` and wait until ``text`` (or a button named so) shows and the page is idle."""
    from playwright.sync_api import expect

    page.goto(url)
    if button:
        expect(page.get_by_role("button", name=text)).to_be_visible(timeout=TIMEOUT_MS)
    else:
        expect(page.locator('[data-testid="stApp"]')).to_contain_text(text, timeout=TIMEOUT_MS)
    wait_idle(page)


class Target:
    """One app under test: how to start it, open its session page and do the actions."""

    def __init__(self, name: str, script: Path, cwd: Path, db: Path | None, token: str | None,
                 landing: str, session_path: str, note_box: str, next_button: str, next_text: str,
                 session_text: str):
        self.name, self.script, self.cwd, self.db, self.token = name, script, cwd, db, token
        self.landing, self.session_path, self.note_box = landing, session_path, note_box
        self.next_button, self.next_text, self.session_text = next_button, next_text, session_text

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
    """Click-to-idle seconds of the three actions, ``runs`` times each."""
    from playwright.sync_api import expect

    times: dict[str, list[float]] = {"save a note (type + blur)": [], "next phase (click)": [],
                                     "open history (click)": []}
    context = new_context(browser, server.url, target.token)
    page = context.new_page()
    runs_seen = Runs(page)
    try:
        for run in range(runs + warmup):  # warm-up rounds are not counted
            open_and_wait(page, server.url + target.session_path, target.next_button, button=True)
            box = page.locator(target.note_box).first
            started = time.perf_counter()
            box.fill(f"Run {run}: shipped the billing tests and paired with Priya on the auth flow.")
            box.press("Tab")
            runs_seen.wait_after(page, started)
            note = time.perf_counter() - started
            started = time.perf_counter()
            page.get_by_role("button", name=target.next_button).click()
            expect(page.get_by_role("heading", name=target.next_text)).to_be_visible(timeout=TIMEOUT_MS)
            runs_seen.wait_after(page, started)
            step = time.perf_counter() - started
            started = time.perf_counter()
            page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="History").click()
            expect(page.get_by_role("heading", name="History")).to_be_visible(timeout=TIMEOUT_MS)
            runs_seen.wait_after(page, started)
            history = time.perf_counter() - started
            if run >= warmup:
                for key, value in zip(times, (note, step, history)):
                    times[key].append(value)
        say(f"browser: {target.name}: {runs} rounds of note / next phase / history")
    finally:
        context.close()
    return times


def memory(browser, target: Target, server: Server, contexts: int, reruns: int, say, idle_seconds: float = 10) -> dict:
    """RSS idle, with ``contexts`` sessions on the session page, and across ``reruns``."""
    from playwright.sync_api import expect

    result = {"idle": server.rss_mib()}
    opened = []
    try:
        slow = 0
        for _ in range(contexts):
            context = new_context(browser, server.url, target.token)
            opened.append(context)
            page = context.new_page()
            try:
                open_and_wait(page, server.url + target.session_path, target.session_text)
            except AssertionError:
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
        open_and_wait(page, server.url + target.session_path, target.session_text)
        samples = []
        for rerun in range(reruns):
            started = time.perf_counter()
            for attempt in range(3):  # a key press landing mid-run can be dropped: press again
                page.evaluate("document.activeElement && document.activeElement.blur()")  # R reruns unless typing
                page.keyboard.press("r")
                try:
                    runs_seen.wait_after(page, started, timeout=10 if attempt < 2 else TIMEOUT_MS / 1000)
                    break
                except TimeoutError:
                    if attempt == 2:
                        raise
            if rerun == 0 or (rerun + 1) % max(1, reruns // 10) == 0:
                samples.append(server.rss_mib())
        expect(page.locator('[data-testid="stApp"]')).to_contain_text(target.next_button)
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
                     "Development", "My private notes")
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
