"""The captcha queue: a job's runner publishes the image, a person answers it through the API.

`CaptchaHub` holds at most one waiting captcha per job (in memory: after a restart the runner simply
fetches a fresh captcha). `QueueSolver` is the `CaptchaSolver` a queued job runs with.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from verifier.captcha import CaptchaContext

DEFAULT_WAIT_S = 600.0


@dataclass
class Challenge:
    """One captcha waiting for a person."""

    job_id: int
    image_png: bytes
    context: CaptchaContext
    created_at: float = field(default_factory=time.time)
    answer: str | None = None
    aborted: bool = False
    event: threading.Event = field(default_factory=threading.Event)


class CaptchaHub:
    """Thread-safe meeting point between runners (waiting) and the API (answering)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[int, Challenge] = {}
        self._aborted: set[int] = set()

    def publish(self, job_id: int, image_png: bytes, context: CaptchaContext) -> Challenge | None:
        """Make a captcha the job's waiting one; None when the job was told to stop waiting."""
        with self._lock:
            if job_id in self._aborted:
                return None
            challenge = Challenge(job_id=job_id, image_png=image_png, context=context)
            self._waiting[job_id] = challenge
            return challenge

    def current(self, job_id: int) -> Challenge | None:
        with self._lock:
            return self._waiting.get(job_id)

    def answer(self, job_id: int, code: str) -> bool:
        """Hand a person's answer to the waiting runner; False when nothing is waiting."""
        with self._lock:
            challenge = self._waiting.pop(job_id, None)
        if challenge is None:
            return False
        challenge.answer = code
        challenge.event.set()
        return True

    def abort(self, job_id: int) -> None:
        """Stop the job's waiting (pause, cancel): the runner gets no answer, now and until `reset`."""
        with self._lock:
            self._aborted.add(job_id)
            challenge = self._waiting.pop(job_id, None)
        if challenge is not None:
            challenge.aborted = True
            challenge.event.set()

    def reset(self, job_id: int) -> None:
        """The job runs again: captchas may be published for it."""
        with self._lock:
            self._aborted.discard(job_id)

    def withdraw(self, challenge: Challenge) -> None:
        with self._lock:
            if self._waiting.get(challenge.job_id) is challenge:
                del self._waiting[challenge.job_id]


class QueueSolver:
    """A `CaptchaSolver` that waits for a person to answer through the API.

    `on_wait(True)` is called when waiting starts and `on_wait(False)` when it ends, so the runner can
    show the job as waiting for a captcha. After a timeout or an abort `solve` returns None, and
    `timed_out` / `aborted` say which.
    """

    def __init__(
        self,
        hub: CaptchaHub,
        *,
        job_id: int,
        wait_s: float = DEFAULT_WAIT_S,
        on_wait: Callable[[bool], None] | None = None,
    ) -> None:
        self.hub = hub
        self.job_id = job_id
        self.wait_s = wait_s
        self.on_wait = on_wait
        self.timed_out = False
        self.aborted = False

    def solve(self, image_png: bytes, *, context: CaptchaContext) -> str | None:
        challenge = self.hub.publish(self.job_id, image_png, context)
        if challenge is None:
            self.aborted = True
            return None
        if self.on_wait is not None:
            self.on_wait(True)
        try:
            if not challenge.event.wait(self.wait_s):
                self.hub.withdraw(challenge)
                if not challenge.event.is_set():
                    self.timed_out = True
                    return None
        finally:
            if self.on_wait is not None:
                self.on_wait(False)
        if challenge.aborted:
            self.aborted = True
            return None
        answer = (challenge.answer or "").strip()
        return answer or None
