"""Batch jobs: a roster becomes a job in the store, and a runner works through its people.

One person (family, ID, normalised name) is queried once for all their rows. A fresh cached answer
means no platform query. The answer, the cache entry and all the person's rows are stored in one
transaction right after the answer, so a killed process resumes without losing a row and without
asking the platform about a person twice (only the person in flight at the kill is asked again).

Stop rules (verification.md §4): BLOCKED, RATE_LIMITED and PARSE_ERROR stop the job — the person's
rows get the code, every row not yet queried NOT_CHECKED, and a resume asks again for those rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

from verifier.captcha_queue import QueueSolver
from verifier.decide import decide
from verifier.names import query_name
from verifier.roster import RosterReadResult, dedupe_key
from verifier.serial import row_to_json
from verifier.store import (
    ACTIVE,
    CachedAnswer,
    CacheEntry,
    JobInfo,
    JobStatus,
    JobStore,
    NewRow,
    Progress,
    StoredRow,
    utcnow,
)
from verifier.types import CertRecord, Decision, Family, Outcome, PlatformAnswer, RosterRow

log = logging.getLogger(__name__)

STOP_REASONS: dict[Outcome, str] = {
    Outcome.BLOCKED: "平台拒绝访问（403 或返回了网页），已中止本批核验；请稍后再继续",
    Outcome.RATE_LIMITED: "平台提示查询过于频繁，已中止本批核验；请加大查询间隔后再继续",
    Outcome.PARSE_ERROR: "平台返回了无法解析的内容（接口可能已改版），已中止本批核验；请核对后再继续",
    Outcome.CAPTCHA_REQUIRED: "无法获得验证码答案（非交互运行且未配置验证码方式），已中止；请人工输入验证码后继续",
}
CAPTCHA_TIMEOUT_REASON = "等待输入验证码超时，已暂停；继续后将重新获取验证码"


class Querier(Protocol):
    """What the runner needs from the platform client."""

    def query(self, *, id_number: str, name: str, family: Family) -> PlatformAnswer: ...


ClientFactory = Callable[[JobInfo], AbstractContextManager[Querier]]


def person_key(row: RosterRow) -> str:
    """The stored form of `roster.dedupe_key`."""
    return "|".join(dedupe_key(row))


def recheck_after(
    records: tuple[CertRecord, ...], *, fetched_at: dt.datetime, ttl_days: float
) -> dt.datetime:
    """When a cached answer must be asked again: after the time-to-live, or sooner on the day a
    current certificate's validity ends or its review falls due (a renewal or review may appear)."""
    limit = fetched_at + dt.timedelta(days=ttl_days)
    today = fetched_at.date()
    for record in records:
        if record.is_history:
            continue
        for day in (record.valid_until, record.review_due):
            if day is not None and day >= today:
                limit = min(limit, dt.datetime.combine(day, dt.time()))
    return limit


# --- creating jobs ------------------------------------------------------------------------------


def roster_problems(roster: RosterReadResult) -> list[dict[str, Any]]:
    """Every problem of the roster, with the spreadsheet's row number (None for file-level notes)."""
    problems: list[dict[str, Any]] = [{"row": None, "message": note} for note in roster.errors]
    for row in roster.rows:
        problems.extend({"row": row.row_number, "message": message} for message in row.errors)
    return problems


def _new_rows(rows: list[RosterRow], *, as_of: dt.date) -> Iterator[NewRow]:
    for seq, row in enumerate(rows):
        if row.is_valid:
            yield NewRow(seq=seq, row=row, person_key=person_key(row), roster_json=row_to_json(row))
        else:  # decided now, without the platform
            yield NewRow(
                seq=seq,
                row=row,
                person_key=f"!invalid:{seq}",
                roster_json=row_to_json(row),
                decision=decide(row, None, as_of=as_of),
            )


def create_job(
    store: JobStore,
    roster: RosterReadResult,
    *,
    filename: str,
    as_of: dt.date,
    default_family: Family,
    captcha: str,
    priority: int = 0,
) -> int:
    """Store a roster as a queued job; INPUT_INVALID rows are decided at once. Returns the job id."""
    persons = {person_key(row) for row in roster.rows if row.is_valid}
    return store.create_job(
        filename=filename,
        as_of=as_of,
        default_family=default_family.value,
        captcha=captcha,
        original_columns=roster.headers,
        problems=roster_problems(roster),
        rows=_new_rows(roster.rows, as_of=as_of),
        total_rows=len(roster.rows),
        total_persons=len(persons),
        priority=priority,
    )


# --- control ------------------------------------------------------------------------------------


def pause_job(store: JobStore, job_id: int) -> bool:
    return store.set_status(job_id, JobStatus.PAUSED, only_from=ACTIVE)


def resume_job(store: JobStore, job_id: int) -> bool:
    """A paused or stopped job goes back in the queue; rows that met a stop are asked again."""
    return store.reset_for_resume(job_id)


def cancel_job(store: JobStore, job_id: int) -> bool:
    """Cancel a job that is not finished; rows never answered become NOT_CHECKED."""
    job = store.get_job(job_id)
    if job is None or job.status in (JobStatus.DONE, JobStatus.CANCELLED):
        return False
    unfinished = [s for s in JobStatus if s not in (JobStatus.DONE, JobStatus.CANCELLED)]
    if not store.set_status(job_id, JobStatus.CANCELLED, only_from=unfinished):
        return False
    pending = store.pending_rows(job_id)
    if pending:
        store.save_person(
            job_id,
            decisions=[(seq, decide(row, None, as_of=job.as_of, stopped=True)) for seq, row in pending],
            from_cache=False,
            queried=False,
        )
    return True


# --- running ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonDone:
    """Reported to the progress callback after each person."""

    job_id: int
    rows: int
    outcome: Outcome
    from_cache: bool


class JobRunner:
    """Works through one job's pending people, one at a time."""

    CHUNK = 500  # people whose pending rows are read together

    def __init__(
        self,
        store: JobStore,
        *,
        client_factory: ClientFactory,
        cache_ttl_days: float,
        on_person: Callable[[PersonDone], None] | None = None,
        should_yield: Callable[[JobInfo], bool] | None = None,
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self.store = store
        self.timezone = timezone  # whose calendar days the reuse rule counts
        self.client_factory = client_factory
        self.cache_ttl_days = cache_ttl_days
        self.on_person = on_person
        self.should_yield = should_yield

    def run(self, job_id: int) -> JobStatus:
        """Run until the job is done, stopped, paused, cancelled or yields to a more urgent job."""
        job = self.store.get_job(job_id)
        if job is None:
            raise KeyError(job_id)
        if job.status not in ACTIVE:
            return job.status
        self.store.set_status(job_id, JobStatus.RUNNING, only_from=ACTIVE)
        persons = self.store.pending_persons(job_id)
        if not persons:
            self.store.set_status(job_id, JobStatus.DONE, only_from=ACTIVE)
            return self._status(job_id)
        with self.client_factory(job) as client:
            for start in range(0, len(persons), self.CHUNK):
                chunk = persons[start : start + self.CHUNK]
                # The rows of the next people in one query, not one per person. A row decided
                # meanwhile (a cancel) is never overwritten: decisions are written only while pending.
                pending = self.store.pending_rows_of(job_id, chunk)
                # Their stored answers too; the reuse rules are applied when each person's turn comes.
                cached = self.store.cached_answers(
                    dedupe_key(rows[0][1]) for rows in pending.values() if rows
                )
                for key in chunk:
                    status = self.store.status(job_id)
                    if status is None or status not in ACTIVE:
                        return status or JobStatus.CANCELLED
                    if self.should_yield is not None and self.should_yield(job):
                        self.store.set_status(job_id, JobStatus.QUEUED, only_from=ACTIVE)
                        return JobStatus.QUEUED
                    rows = pending.get(key)
                    if rows and not self._person(
                        job, rows, client, cached
                    ):  # stopped, or paused for a captcha
                        return self._status(job_id)
        self.store.set_status(job_id, JobStatus.DONE, only_from=ACTIVE)
        return self._status(job_id)

    def _status(self, job_id: int) -> JobStatus:
        job = self.store.get_job(job_id)
        return job.status if job else JobStatus.CANCELLED

    def _person(
        self,
        job: JobInfo,
        rows: list[tuple[int, RosterRow]],
        client: Querier,
        answers: Mapping[tuple[str, str, str], CachedAnswer],
    ) -> bool:
        """Decide one person's pending rows; False when the job must not go on."""
        first = rows[0][1]
        family, id_number, name_key_ = key = dedupe_key(first)
        stored = answers.get(key)
        cached = (
            stored.reusable(name_key=name_key_, as_of=job.as_of, timezone=self.timezone)
            if stored is not None
            else None
        )
        if cached is not None:
            answer = PlatformAnswer(records=cached, detail="使用有效期内的平台答复缓存")
            decisions = [(seq, decide(row, answer, as_of=job.as_of)) for seq, row in rows]
            self.store.save_person(job.id, decisions=decisions, from_cache=True, queried=False)
            self._report(job.id, rows, decisions, from_cache=True)
            return True

        answer = client.query(id_number=first.id_number, name=query_name(first.name), family=first.family)
        solver = getattr(client, "solver", None)
        if answer.failure is Outcome.CAPTCHA_REQUIRED and isinstance(solver, QueueSolver):
            if solver.aborted:
                return False  # paused or cancelled by a person: the rows stay pending
            if solver.timed_out:
                self.store.set_status(
                    job.id, JobStatus.PAUSED, only_from=ACTIVE, stop_reason=CAPTCHA_TIMEOUT_REASON
                )
                return False
        decisions = [(seq, decide(row, answer, as_of=job.as_of)) for seq, row in rows]
        cache = None
        if answer.records is not None:
            cache = CacheEntry(
                family=family,
                id_number=id_number,
                name_key=name_key_,
                records=answer.records,
                recheck_after=recheck_after(
                    answer.records, fetched_at=utcnow(), ttl_days=self.cache_ttl_days
                ),
                evidence=answer.evidence,
                fetched_for=job.as_of,
            )
        stop: tuple[Outcome, str] | None = None
        not_checked: list[tuple[int, Decision]] = []
        failure = answer.failure
        if failure is not None and (failure.stops_batch or failure is Outcome.CAPTCHA_REQUIRED):
            reason = STOP_REASONS[failure] + (f"。详情：{answer.detail[:200]}" if answer.detail else "")
            stop = (failure, reason)
            seqs = {seq for seq, _ in rows}
            for seq, row in self.store.pending_rows(job.id):
                if seq not in seqs:
                    if failure is Outcome.CAPTCHA_REQUIRED:
                        not_checked.append((seq, decide(row, answer, as_of=job.as_of)))
                    else:
                        not_checked.append((seq, decide(row, None, as_of=job.as_of, stopped=True)))
        self.store.save_person(
            job.id,
            decisions=decisions,
            from_cache=False,
            # a run with no captcha answer fetched an image, never asked the platform about anyone
            queried=not (answer.failure is Outcome.CAPTCHA_REQUIRED and answer.attempts <= 1),
            cache=cache,
            not_checked=not_checked,
            stop=stop,
        )
        log.info("job %s: person done (%s, %d rows)", job.id, decisions[0][1].outcome.value, len(rows))
        self._report(job.id, rows, decisions, from_cache=False)
        return stop is None

    def _report(
        self,
        job_id: int,
        rows: list[tuple[int, RosterRow]],
        decisions: list[tuple[int, Decision]],
        *,
        from_cache: bool,
    ) -> None:
        if self.on_person is not None:
            self.on_person(
                PersonDone(
                    job_id=job_id, rows=len(rows), outcome=decisions[0][1].outcome, from_cache=from_cache
                )
            )


def run_to_end(runner: JobRunner, job_id: int) -> JobStatus:
    """Run a job in the calling thread until it leaves the active states (CLI use)."""
    status = runner.run(job_id)
    while status in ACTIVE:
        status = runner.run(job_id)
    return status


def progress(store: JobStore, job_id: int) -> Progress:
    return store.progress(job_id)


def iter_decided(store: JobStore, job: JobInfo) -> Iterator[tuple[StoredRow, Decision]]:
    """Every row with its decision; rows never answered read as NOT_CHECKED."""
    for stored in store.iter_rows(job.id):
        decision = stored.decision or decide(stored.row, None, as_of=job.as_of, stopped=True)
        yield stored, decision


def single_client(client: Querier) -> ClientFactory:
    """A factory that hands out one existing client (tests, the CLI)."""

    def factory(_job: JobInfo) -> AbstractContextManager[Querier]:
        return nullcontext(client)

    return factory
