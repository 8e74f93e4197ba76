"""The service's one background worker: runs queued jobs one at a time, most urgent first.

Only one job talks to the platform at any moment, so the pacing between queries holds for the whole
service. On start it picks up jobs left running by a service that died (their pending rows are simply
asked next; every answered row is already stored). Between jobs, once a day (and at start), it purges
raw platform responses older than `Settings.raw_response_days` (`verifier.retention`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from anpei.settings import VAR_DIR, Settings
from verifier.captcha import CaptchaSolver, solver_from_spec
from verifier.captcha_queue import DEFAULT_WAIT_S, CaptchaHub, QueueSolver
from verifier.client import DEFAULT_BACKOFF_BASE_S, PlatformClient
from verifier.jobs import JobRunner, Querier
from verifier.keymap import DEFAULT_KEY_MAP, KeyMap, load_key_map
from verifier.retention import purge_raw_responses
from verifier.store import ACTIVE, JobInfo, JobStatus, JobStore

log = logging.getLogger(__name__)

QUEUE = "queue"
INTERNAL_ERROR_REASON = "核验服务内部错误（{kind}），本批已中止；请查看服务日志后继续"
PURGE_EVERY_S = 24 * 3600.0
PRIORITY_LOOK_S = 1.0  # a job queued by another process is noticed within this time
DEFAULT_RECORD_DIR = VAR_DIR / "recordings"  # where record-mode files are kept, if any


def check_captcha_spec(spec: str) -> str:
    """The captcha modes a service job may use: `queue` (a person answers through the API) or
    `fixed:CODE` (the test double). Raises ValueError with a Chinese message otherwise."""
    text = spec.strip()
    if text == QUEUE:
        return text
    if text.startswith("fixed:") and text[len("fixed:") :].strip():
        return text
    raise ValueError(f"无法识别的验证码方式 {spec!r}：服务中可用 queue（人工在页面输入）或 fixed:验证码")


class Worker:
    """A daemon thread that runs jobs from the store until stopped."""

    def __init__(
        self,
        store: JobStore,
        *,
        settings: Settings,
        hub: CaptchaHub,
        platform_url: str | None = None,
        min_interval_s: float | None = None,
        backoff_base_s: float | None = None,
        captcha_wait_s: float = DEFAULT_WAIT_S,
        idle_wait_s: float = 0.5,
        purge_every_s: float | None = PURGE_EVERY_S,
        record_dir: Path | None = DEFAULT_RECORD_DIR,
    ) -> None:
        self.store = store
        self.settings = settings
        self.hub = hub
        self.platform_url = platform_url or settings.platform_url
        self.min_interval_s = settings.min_interval_s if min_interval_s is None else min_interval_s
        self.backoff_base_s = backoff_base_s
        self.captcha_wait_s = captcha_wait_s
        self.idle_wait_s = idle_wait_s
        self.purge_every_s = purge_every_s  # None: never purge (tests that count cache entries)
        self.record_dir = record_dir
        self._next_purge = 0.0  # due at the first look
        self.key_map: KeyMap = (
            load_key_map(settings.key_map_file) if settings.key_map_file else DEFAULT_KEY_MAP
        )
        self._wake = threading.Event()
        self._queued = threading.Event()  # a job was queued or resumed since the last priority look
        self._next_priority_look = 0.0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.current_job: int | None = None
        self._platform_client: PlatformClient | None = None
        self.runner = JobRunner(
            store,
            client_factory=self._client_for,
            cache_ttl_days=settings.cache_ttl_days,
            should_yield=self._should_yield,
            timezone=settings.timezone,
        )

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="verifier-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Finish the person in hand, then stop; the job stays queued for the next start."""
        self._stopping.set()
        self._wake.set()
        if self.current_job is not None:
            self.hub.abort(self.current_job)
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        if self._platform_client is not None:
            self._platform_client.close()
            self._platform_client = None

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """A job was queued or resumed: look now instead of at the next idle tick."""
        self._queued.set()
        self._wake.set()

    def purge_if_due(self, *, now: float | None = None) -> bool:
        """Purge old raw responses when a day has passed since the last purge; True when it ran."""
        moment = time.monotonic() if now is None else now
        if self.purge_every_s is None or moment < self._next_purge:
            return False
        self._next_purge = moment + self.purge_every_s
        try:
            report = purge_raw_responses(
                self.store, days=self.settings.raw_response_days, record_dir=self.record_dir
            )
            log.info("raw responses purged: %d cached answers, %d files", report.answers, report.files)
        except Exception as exc:  # retention must never stop the worker
            log.error("raw response purge failed: %s", type(exc).__name__)
        return True

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self.purge_if_due()
            job = self.store.next_job()
            if job is None:
                self._wake.wait(self.idle_wait_s)
                self._wake.clear()
                continue
            self._run(job)

    def _run(self, job: JobInfo) -> None:
        self.current_job = job.id
        self.hub.reset(job.id)
        try:
            status = self.runner.run(job.id)
            log.info("job %s: %s", job.id, status.value)
        except Exception as exc:  # one bad job must not end the worker
            # the type only: exception texts can carry names and ID numbers
            log.error("job %s failed: %s", job.id, type(exc).__name__)
            self.store.set_status(
                job.id,
                JobStatus.STOPPED,
                only_from=ACTIVE,
                stop_reason=INTERNAL_ERROR_REASON.format(kind=type(exc).__name__),
            )
        finally:
            self.current_job = None

    def _should_yield(self, job: JobInfo) -> bool:
        """Asked before every person. The store is asked for a more urgent job when one was queued
        through this service since the last look, else at most every `PRIORITY_LOOK_S` (a job queued
        by another process) — not once per person."""
        if self._stopping.is_set():
            return True
        now = time.monotonic()
        if not self._queued.is_set() and now < self._next_priority_look:
            return False
        self._queued.clear()
        self._next_priority_look = now + PRIORITY_LOOK_S
        return self.store.has_higher_priority(job)

    # --- clients --------------------------------------------------------------------------------

    def _solver(self, job: JobInfo) -> CaptchaSolver:
        if job.captcha.strip() == QUEUE:
            return QueueSolver(
                self.hub, job_id=job.id, wait_s=self.captcha_wait_s, on_wait=self._on_wait(job.id)
            )
        return solver_from_spec(job.captcha)

    def _on_wait(self, job_id: int) -> Callable[[bool], None]:
        def on_wait(waiting: bool) -> None:
            if waiting:
                self.store.set_status(job_id, JobStatus.WAITING_CAPTCHA, only_from=[JobStatus.RUNNING])
            else:
                self.store.set_status(job_id, JobStatus.RUNNING, only_from=[JobStatus.WAITING_CAPTCHA])

        return on_wait

    def _client_for(self, job: JobInfo) -> AbstractContextManager[Querier]:
        """The worker's one client (its pacing spans jobs), answering captchas the job's way."""
        if self._platform_client is None:
            self._platform_client = PlatformClient(
                self.platform_url,
                solver=self._solver(job),
                settings=self.settings,
                key_map=self.key_map,
                min_interval_s=self.min_interval_s,
                backoff_base_s=DEFAULT_BACKOFF_BASE_S if self.backoff_base_s is None else self.backoff_base_s,
            )
        self._platform_client.solver = self._solver(job)
        return nullcontext(self._platform_client)
