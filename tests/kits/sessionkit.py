"""Many dashboard sessions at once: a Streamlit websocket client, bench accounts, server processes.

A session here is what a browser tab does, over Streamlit's own protocol: it opens the websocket
`/_stcore/stream` with the login cookie (`anpei_session`, as `db.accounts.sessions` signs it), sends a
`rerun_script` BackMsg, and reads ForwardMsgs until `script_finished` — the page is drawn. Then it
changes the sidebar's month (or quarter) selectbox, as a user does, and waits for that run too.

An error is anything a user would see as one: a failed connection, a run that does not finish in
time, a run that ends in anything but success, an exception box on the page, or the login form
instead of the page (the cookie was refused).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session, select
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from anpei_cli.procs import free_port, streamlit_command, wait_http
from dashboard.ui import PAGE_FAILED
from db.accounts import sessions
from db.codes import Role
from db.engine import make_engine
from db.models import Jurisdiction, User

ROOT = Path(__file__).resolve().parents[2]
SIDEBAR_WIDGETS = ("sidebar.month", "sidebar.quarter")
BENCH_SECRET = "anpei-bench-secret-key-not-for-production-0123456789"
PREFIX = "bench"
COUNTY_SESSIONS = 10  # leaders and county staff (every fifth session); the rest are townships and units


# --- accounts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    jurisdiction: str  # the unit of a local account, "" for the county
    token: str


def bench_accounts(url: str, count: int, *, secret: str = BENCH_SECRET) -> list[Account]:
    """`count` distinct accounts: every fifth up to COUNTY_SESSIONS a leader or county staff, the rest
    local staff of every township and member unit in turn (a second round when there are more sessions than units).
    Created once (idempotent by username), each with a freshly signed login token."""
    from db.sample.seed import demo_password_hash

    key = sessions.signing_key(secret=secret)
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            units = sorted(s.exec(select(Jurisdiction)).all(), key=lambda j: j.id or 0)
            existing = {u.username: u for u in s.exec(select(User).where(User.username.startswith(PREFIX)))}
            wanted: list[tuple[str, Role, Jurisdiction | None]] = []
            county = local = 0
            for i in range(count):
                if i % 5 == 0 and county < COUNTY_SESSIONS:  # every fifth session, up to ten
                    role = Role.LEADER if county % 2 == 0 else Role.COUNTY_STAFF
                    wanted.append((f"{PREFIX}_{role.value}_{county}", role, None))
                    county += 1
                else:
                    j = units[local % len(units)]
                    wanted.append((f"{PREFIX}_local_{j.id}_{local // len(units)}", Role.LOCAL_STAFF, j))
                    local += 1
            users = []
            for username, role, unit in wanted:
                user = existing.get(username)
                if user is None:
                    user = User(
                        username=username,
                        display_name=username,
                        password_hash=demo_password_hash(),
                        role=role.value,
                        jurisdiction_id=unit.id if unit else None,
                    )
                    s.add(user)
                users.append((user, role, unit))
            s.commit()
            return [
                Account(user.username, role, unit.name if unit else "", sessions.issue_token(user, key=key))
                for user, role, unit in users
            ]
    finally:
        engine.dispose()


# --- one session ----------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    error: str | None = None
    title: str = ""


@dataclass
class SessionOutcome:
    account: Account
    runs: list[Run] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [f"{self.account.username}: {r.error}" for r in self.runs if r.error]


def _rerun(widget_id: str | None = None, value: str | None = None, page_hash: str = "") -> bytes:
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = ""
    state.page_script_hash = page_hash
    state.context_info.timezone = "Asia/Shanghai"
    state.context_info.locale = "zh-CN"
    if widget_id is not None:
        w = state.widget_states.widgets.add()
        w.id = widget_id
        w.string_value = value or ""
    return msg.SerializeToString()


@dataclass
class _Page:
    title: str = ""
    selectbox: tuple[str, list[str], str] | None = None  # (widget id, options, current value)
    page_hash: str = ""
    login_form: bool = False
    exception: str | None = None


async def _until_finished(ws: object, page: _Page, *, timeout_s: float) -> int:
    """Read ForwardMsgs until script_finished; returns its status."""
    async with asyncio.timeout(timeout_s):
        while True:
            raw = await ws.recv()  # type: ignore[attr-defined]
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "script_finished":
                return int(msg.script_finished)
            if kind == "new_session":
                page.page_hash = msg.new_session.page_script_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                which = element.WhichOneof("type")
                if which == "exception":
                    page.exception = f"{element.exception.type}: {element.exception.message[:200]}"
                elif which == "alert" and element.alert.body.startswith(PAGE_FAILED[:6]):
                    page.exception = (
                        f"页面出错（ui.guarded）：{element.alert.body[:60]}"  # see the server log
                    )
                elif which == "heading" and not page.title:
                    page.title = element.heading.body
                elif which == "text_input" and element.text_input.label == "密码":
                    page.login_form = True
                elif which == "selectbox" and element.selectbox.id.endswith(SIDEBAR_WIDGETS):
                    box = element.selectbox
                    page.selectbox = (box.id, list(box.options), box.raw_value)


def _check(page: _Page, status: int) -> str | None:
    if status not in (ForwardMsg.FINISHED_SUCCESSFULLY,):
        return f"运行未正常结束（状态 {status}）"
    if page.exception:
        return f"页面出现异常：{page.exception}"
    if page.login_form:
        return "显示了登录页（登录令牌未被接受）"
    if not page.title:
        return "页面没有标题"
    return None


async def run_session(base_url: str, account: Account, *, timeout_s: float) -> SessionOutcome:
    """Open the first page, then change the sidebar month/quarter once; both runs timed."""
    import websockets

    outcome = SessionOutcome(account)
    ws_url = base_url.replace("http://", "ws://") + "/_stcore/stream"
    started = time.perf_counter()
    try:
        async with websockets.connect(
            ws_url,
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=timeout_s,  # type: ignore[list-item]
            additional_headers={"Cookie": f"{sessions.COOKIE_NAME}={account.token}"},
        ) as ws:
            await ws.send(_rerun())
            first = _Page()
            status = await _until_finished(ws, first, timeout_s=timeout_s)
            outcome.runs.append(Run(time.perf_counter() - started, _check(first, status), first.title))
            if first.selectbox is None:
                outcome.runs.append(Run(0.0, "侧栏没有月份或季度选择框"))
                return outcome
            widget_id, options, current = first.selectbox
            other = next((o for o in reversed(options) if o != current), current)
            second = _Page()
            started = time.perf_counter()
            await ws.send(_rerun(widget_id, other, first.page_hash))
            status = await _until_finished(ws, second, timeout_s=timeout_s)
            outcome.runs.append(Run(time.perf_counter() - started, _check(second, status), second.title))
    except TimeoutError:
        outcome.runs.append(Run(time.perf_counter() - started, f"{timeout_s:.0f} 秒内未完成"))
    except Exception as exc:  # a refused or dropped connection is an error of the run, not of the bench
        outcome.runs.append(Run(time.perf_counter() - started, f"{type(exc).__name__}: {exc}"[:200]))
    return outcome


async def clear_caches(base_url: str, account: Account, *, timeout_s: float = 120) -> SessionOutcome:
    """One session opens its first page (imports done, pages compiled), then clears every cache."""
    outcome = await run_session(base_url, account, timeout_s=timeout_s)
    import websockets

    ws_url = base_url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(ws_url, subprotocols=["streamlit"]) as ws:  # type: ignore[list-item]
        msg = BackMsg()
        msg.clear_cache = True
        await ws.send(msg.SerializeToString())
        await asyncio.sleep(0.5)
    return outcome


async def run_sessions(
    base_urls: Sequence[str], accounts: Sequence[Account], *, ramp_s: float, timeout_s: float
) -> list[SessionOutcome]:
    """Every account's session, started evenly over `ramp_s`; session i on server i mod len(base_urls)
    (what sticky sessions behind a proxy do)."""

    async def one(i: int, account: Account) -> SessionOutcome:
        await asyncio.sleep(ramp_s * i / max(len(accounts), 1))
        return await run_session(base_urls[i % len(base_urls)], account, timeout_s=timeout_s)

    return list(await asyncio.gather(*(one(i, a) for i, a in enumerate(accounts))))


# --- the server processes -------------------------------------------------------------------------


@dataclass
class ProcSample:
    rss_mb: float
    cpu_s: float


def sample_proc(pid: int) -> ProcSample:
    """RSS and CPU seconds (user + system) of a process and its children, from /proc."""
    rss_kb = 0
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return ProcSample(rss_kb / 1024, cpu)


class Watcher:
    """Samples the servers' RSS and CPU every `interval_s` in a thread, between start() and stop()."""

    def __init__(self, pids: Sequence[int], interval_s: float = 0.1) -> None:
        self.pids = list(pids)
        self.interval_s = interval_s
        self.before = [sample_proc(p) for p in self.pids]
        self.peak_rss = [s.rss_mb for s in self.before]
        self.after = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            for i, pid in enumerate(self.pids):
                with contextlib.suppress(OSError):
                    self.peak_rss[i] = max(self.peak_rss[i], sample_proc(pid).rss_mb)

    def start(self) -> None:
        self.started = time.perf_counter()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.wall_s = time.perf_counter() - self.started
        self.after = [sample_proc(p) for p in self.pids]
        for i, s in enumerate(self.after):
            self.peak_rss[i] = max(self.peak_rss[i], s.rss_mb)

    @property
    def cpu_s(self) -> list[float]:
        return [a.cpu_s - b.cpu_s for a, b in zip(self.after, self.before, strict=True)]

    @property
    def growth_mb(self) -> list[float]:
        return [p - b.rss_mb for p, b in zip(self.peak_rss, self.before, strict=True)]


def _command_of(root: Path, port: int) -> list[str]:
    """The dashboard command as the checkout at `root` builds it (its own flags)."""
    import json
    import sys

    code = (
        "import json; from anpei_cli.procs import streamlit_command; "
        f"print(json.dumps(streamlit_command(host='127.0.0.1', port={port})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [str(c) for c in json.loads(out)]


@contextlib.contextmanager
def dashboards(
    count: int,
    *,
    database_url: str,
    log_dir: Path,
    secret: str = BENCH_SECRET,
    root: Path = ROOT,
    python_code: str | None = None,
) -> Iterator[list[tuple[str, int]]]:
    """`count` dashboard processes on free loopback ports: [(base URL, pid)]. Each runs in its own
    process group and the whole group is stopped afterwards. `root`: another checkout of the project
    (its `dashboard/app.py`, its packages first on the path), to measure an older version.
    `python_code`: run the Streamlit command line through this `python -c` code instead of `-m
    streamlit` (a profiler around it: `page_cpu.py`)."""
    env = {**os.environ, "DATABASE_URL": database_url, "ANPEI_SECRET_KEY": secret}
    if root != ROOT:
        env["PYTHONPATH"] = str(root)
    env.pop("ANPEI_SCORING_RULES", None)
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        for n in range(count):
            port = free_port()
            with (log_dir / f"dashboard-{n}.log").open("wb") as out:
                command = (
                    streamlit_command(host="127.0.0.1", port=port)
                    if root == ROOT
                    else _command_of(root, port)
                )
                if python_code is not None:
                    command = [command[0], "-c", python_code, *command[3:]]
                proc = subprocess.Popen(
                    command, env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
            procs.append((f"http://127.0.0.1:{port}", proc))
        for base, proc in procs:
            if not wait_http(f"{base}/_stcore/health", proc=proc, timeout_s=90):
                raise RuntimeError(f"看板未能启动（{base}），见 {log_dir}")
        yield [(base, proc.pid) for base, proc in procs]
    finally:
        for _, proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for _, proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


# --- figures --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 55 values is the 53rd smallest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def load_average() -> str:
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


def stored_figures(url: str, *, state: str) -> int:
    """Prepare the figures stored in the database (`db.reads.stored_figures`) for a run and say how
    many there are: `cold` none; `written` what earlier runs left, then a real write (one township's
    monthly table) and the refresh the saving dashboard process runs (`dashboard.data.after_write`):
    the county-wide figures and that township's tables are stale, the other townships' stay;
    `kept` whatever earlier runs left."""
    from db.reads import stored_figures as kept

    engine = make_engine(url)
    try:
        if state == "cold":
            kept.forget_all(engine)
        if state == "written":
            from dashboard import data

            with engine.begin() as conn:  # a township's save, as far as every kept read is concerned
                conn.execute(
                    text("UPDATE monthlyreport SET id = id WHERE id = (SELECT min(id) FROM monthlyreport)")
                )
            refresh = data.after_write(url)
            if refresh is not None:
                refresh.result(timeout=600)
        with Session(engine) as s:
            return len(s.exec(select(kept.StoredFigure)).all())
    finally:
        engine.dispose()
