"""The verifier's own job store: jobs, their rows, and the answer cache.

Tables live on their own `MetaData` (never the dashboard's), created with `create_all` on
`Settings.verifier_database_url` — a SQLite file by default, PostgreSQL in a deployment.

A row whose `outcome` is NULL is pending. A person's answer, the cache entry and all of that person's
rows are written in one transaction (`save_person`), so a killed process never loses a row and never
queries a person whose answer was stored.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, make_url

from anpei.settings import normalise_url, private_file
from verifier.serial import decision_from_parts, record_to_json, records_from_json, records_to_json
from verifier.serial import row_from_json as _row_from_json
from verifier.types import CertRecord, Decision, Outcome, RosterRow

metadata = MetaData()


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    WAITING_CAPTCHA = "waiting_captcha"
    STOPPED = "stopped"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[JobStatus, str] = {
    JobStatus.QUEUED: "排队中",
    JobStatus.RUNNING: "核验中",
    JobStatus.PAUSED: "已暂停",
    JobStatus.WAITING_CAPTCHA: "等待输入验证码",
    JobStatus.STOPPED: "已中止（可继续）",
    JobStatus.DONE: "已完成",
    JobStatus.CANCELLED: "已取消",
}
ACTIVE = frozenset({JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.WAITING_CAPTCHA})
RESUMABLE = frozenset({JobStatus.PAUSED, JobStatus.STOPPED})
# Rows that a resume sends back to the platform: never answered, or met a stop / had no captcha.
REQUERY_ON_RESUME = frozenset(
    {
        Outcome.NOT_CHECKED,
        Outcome.BLOCKED,
        Outcome.RATE_LIMITED,
        Outcome.PARSE_ERROR,
        Outcome.CAPTCHA_REQUIRED,
    }
)

jobs_table = Table(
    "verifier_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("priority", Integer, nullable=False, default=0),
    Column("as_of", Date, nullable=False),
    Column("default_family", String(10), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("captcha", Text, nullable=False),
    Column("original_columns", JSON, nullable=False),
    Column("problems", JSON, nullable=False),
    Column("total_rows", Integer, nullable=False),
    Column("total_persons", Integer, nullable=False),
    Column("queries", Integer, nullable=False, default=0),
    Column("stop_outcome", String(32)),
    Column("stop_reason", Text),
    Column("finished_at", DateTime),
)

job_rows_table = Table(
    "verifier_job_rows",
    metadata,
    Column("job_id", Integer, ForeignKey("verifier_jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("row_number", Integer, nullable=False),
    Column("person_key", Text, nullable=False),
    Column("roster", JSON, nullable=False),
    Column("outcome", String(32)),
    Column("warnings", String(400), nullable=False, default=""),
    Column("problem", String(40), nullable=False, default=""),
    Column("explanation", Text, nullable=False, default=""),
    Column("record", JSON),
    Column("from_cache", Boolean, nullable=False, default=False),
    Column("answered_at", DateTime),
    Index("ix_verifier_job_rows_person", "job_id", "person_key", "outcome"),
    Index("ix_verifier_job_rows_outcome", "job_id", "outcome"),
)

answers_table = Table(
    "verifier_answers",
    metadata,
    Column("family", String(10), primary_key=True),
    Column("id_number", String(32), primary_key=True),
    Column("name_key", Text, primary_key=True),
    Column("records", JSON, nullable=False),
    Column("fetched_at", DateTime, nullable=False),
    Column("recheck_after", DateTime, nullable=False),
    Column("evidence", Text),
    Column("fetched_for", Date),  # the as-of date of the run that fetched it (verification.md §3)
)


# Statements of the per-person hot path, built once (building them is most of their cost).
_r = job_rows_table.c
_a = answers_table.c
_JOB_STATUS = select(jobs_table.c.status).where(jobs_table.c.id == bindparam("job_id"))
# No ORDER BY: SQLite would then walk the primary key over the whole job instead of the person index.
_PERSON_ROWS = select(_r.seq, _r.roster).where(
    _r.job_id == bindparam("job_id"), _r.person_key == bindparam("person_key"), _r.outcome.is_(None)
)
_CACHE_GET = select(_a.records, _a.recheck_after, _a.fetched_at, _a.fetched_for).where(
    _a.family == bindparam("family"),
    _a.id_number == bindparam("id_number"),
    _a.name_key == bindparam("name_key"),
)
_CACHE_DELETE = delete(answers_table).where(
    _a.family == bindparam("family"),
    _a.id_number == bindparam("id_number"),
    _a.name_key == bindparam("name_key"),
)
_CACHE_INSERT = insert(answers_table)
_JOB_TOUCH = (
    update(jobs_table)
    .where(jobs_table.c.id == bindparam("b_job_id"))
    .values(updated_at=bindparam("b_now"), queries=jobs_table.c.queries + bindparam("b_add"))
)
_WRITE_DECISION = (
    update(job_rows_table)
    .where(and_(_r.job_id == bindparam("b_job_id"), _r.seq == bindparam("b_seq"), _r.outcome.is_(None)))
    .values(
        outcome=bindparam("b_outcome"),
        warnings=bindparam("b_warnings"),
        problem=bindparam("b_problem"),
        explanation=bindparam("b_explanation"),
        record=bindparam("b_record", type_=JSON),
        answered_at=bindparam("b_answered_at"),
        from_cache=bindparam("b_from_cache"),
    )
)


def utcnow() -> dt.datetime:
    """Naive UTC: what both SQLite and PostgreSQL `timestamp` columns store."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _naive(moment: dt.datetime) -> dt.datetime:
    """Naive UTC for the timestamp columns (an aware time is converted first)."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def make_store_engine(url: str) -> Engine:
    """An engine for the job store: SQLite (WAL, foreign keys) or PostgreSQL through psycopg 3."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_file(Path(parsed.database))  # 0600: names and ID numbers
        engine = create_engine(
            parsed, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, hide_parameters=True, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a killed process loses no commit
    cur.close()


# --- value objects ------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobInfo:
    id: int
    created_at: dt.datetime
    status: JobStatus
    priority: int
    as_of: dt.date
    default_family: str
    filename: str
    captcha: str
    original_columns: list[str]
    problems: list[dict[str, Any]]
    total_rows: int
    total_persons: int
    queries: int
    stop_outcome: str | None
    stop_reason: str | None
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    by_outcome: dict[str, int] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        return self.total - self.done


@dataclass(frozen=True)
class NewRow:
    """A row as `create_job` stores it: pending (decision None) or decided without the platform."""

    seq: int
    row: RosterRow
    person_key: str
    roster_json: dict[str, Any]
    decision: Decision | None = None


@dataclass(frozen=True)
class StoredRow:
    seq: int
    row: RosterRow
    decision: Decision | None
    answered_at: dt.datetime | None
    from_cache: bool


@dataclass(frozen=True)
class CacheEntry:
    family: str
    id_number: str
    name_key: str
    records: tuple[CertRecord, ...]
    recheck_after: dt.datetime
    evidence: str | None = None
    fetched_for: dt.date | None = None  # the job's as-of date


def may_reuse(
    records: tuple[CertRecord, ...],
    *,
    name_key: str,
    fetched_day: dt.date,
    fetched_for: dt.date | None,
    today: dt.date,
    as_of: dt.date,
) -> bool:
    """verification.md §3 "Reusing answers", beyond the time-to-live (checked by the caller).

    An answer without a record carrying the roster's name (empty, or other names only) stands in only
    on the day it was fetched, for the same as-of date: a lagging platform or a newly issued
    certificate changes exactly those answers, and they lead to the gravest 问题. Any answer whose
    validity-end or review-due dates fall between the as-of date it was fetched for and the new one
    is asked again (a renewal or review may have appeared).
    """
    from verifier.names import name_key as key_of

    fetched_as_of = fetched_for or fetched_day
    own = any(key_of(record.name) == name_key for record in records)
    if not own and (fetched_day != today or fetched_for != as_of):
        return False
    low, high = sorted((fetched_as_of, as_of))
    if low == high:
        return True
    for record in records:
        for day in (record.valid_until, record.review_due):
            if day is not None and low <= day <= high:
                return False
    return True


@dataclass(frozen=True)
class CachedAnswer:
    """A stored answer as read, before the reuse rules are applied."""

    records: Any  # the stored JSON list
    recheck_after: dt.datetime
    fetched_at: dt.datetime
    fetched_for: dt.date | None

    def reusable(
        self,
        *,
        name_key: str,
        as_of: dt.date,
        now: dt.datetime | None = None,
        timezone: str = "Asia/Shanghai",
    ) -> tuple[CertRecord, ...] | None:
        """The records when they may stand in for a query at `now` (time-to-live, then `may_reuse`),
        else None. Calendar days are those of `timezone` (the users' clock); stored times are naive UTC."""
        moment = now or utcnow()
        if self.recheck_after <= moment:
            return None
        records = records_from_json(list(self.records))
        zone = _zone(timezone)

        def day(naive_utc: dt.datetime) -> dt.date:
            return naive_utc.replace(tzinfo=dt.UTC).astimezone(zone).date()

        reusable = may_reuse(
            records,
            name_key=name_key,
            fetched_day=day(self.fetched_at),
            fetched_for=self.fetched_for,
            today=day(moment),
            as_of=as_of,
        )
        return records if reusable else None


@functools.lru_cache(maxsize=8)
def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _job_info(m: Any) -> JobInfo:
    return JobInfo(
        id=m["id"],
        created_at=m["created_at"],
        status=JobStatus(m["status"]),
        priority=m["priority"],
        as_of=m["as_of"],
        default_family=m["default_family"],
        filename=m["filename"],
        captcha=m["captcha"],
        original_columns=list(m["original_columns"] or []),
        problems=list(m["problems"] or []),
        total_rows=m["total_rows"],
        total_persons=m["total_persons"],
        queries=m["queries"],
        stop_outcome=m["stop_outcome"],
        stop_reason=m["stop_reason"],
        finished_at=m["finished_at"],
    )


def _decision_values(decision: Decision, *, at: dt.datetime, from_cache: bool = False) -> dict[str, Any]:
    return {
        "outcome": decision.outcome.value,
        "warnings": ";".join(w.value for w in decision.warnings),
        "problem": decision.problem,
        "explanation": decision.explanation,
        "record": record_to_json(decision.record) if decision.record else None,
        "answered_at": at,
        "from_cache": from_cache,
    }


class JobStore:
    """All reads and writes of the verifier's tables. Thread-safe: every call opens its own connection."""

    BATCH = 1000

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> JobStore:
        store = cls(make_store_engine(url))
        store.create_tables()
        return store

    def create_tables(self) -> None:
        metadata.create_all(self.engine)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """Columns added after a store was first created (`create_all` never alters a table)."""
        from sqlalchemy import inspect, text

        present = {c["name"] for c in inspect(self.engine).get_columns(answers_table.name)}
        if "fetched_for" not in present:
            with self.engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {answers_table.name} ADD COLUMN fetched_for DATE"))

    def dispose(self) -> None:
        self.engine.dispose()

    # --- jobs -----------------------------------------------------------------------------------

    def create_job(
        self,
        *,
        filename: str,
        as_of: dt.date,
        default_family: str,
        captcha: str,
        original_columns: Sequence[str],
        problems: Sequence[dict[str, Any]],
        rows: Iterable[NewRow],
        total_rows: int,
        total_persons: int,
        priority: int = 0,
    ) -> int:
        """Insert the job and its rows in one transaction; returns the job id."""
        now = utcnow()
        with self.engine.begin() as conn:
            inserted = conn.execute(
                insert(jobs_table).values(
                    created_at=now,
                    updated_at=now,
                    status=JobStatus.QUEUED.value,
                    priority=priority,
                    as_of=as_of,
                    default_family=default_family,
                    filename=filename[:255],
                    captcha=captcha,
                    original_columns=list(original_columns),
                    problems=list(problems),
                    total_rows=total_rows,
                    total_persons=total_persons,
                    queries=0,
                )
            ).inserted_primary_key
            assert inserted is not None
            job_id = int(inserted[0])
            batch: list[dict[str, Any]] = []
            for new in rows:
                values: dict[str, Any] = {
                    "job_id": job_id,
                    "seq": new.seq,
                    "row_number": new.row.row_number,
                    "person_key": new.person_key,
                    "roster": new.roster_json,
                    "outcome": None,
                    "warnings": "",
                    "problem": "",
                    "explanation": "",
                    "record": None,
                    "answered_at": None,
                    "from_cache": False,
                }
                if new.decision is not None:
                    values.update(_decision_values(new.decision, at=now))
                batch.append(values)
                if len(batch) >= self.BATCH:
                    conn.execute(insert(job_rows_table), batch)
                    batch = []
            if batch:
                conn.execute(insert(job_rows_table), batch)
        return int(job_id)

    def get_job(self, job_id: int) -> JobInfo | None:
        with self.engine.connect() as conn:
            m = conn.execute(select(jobs_table).where(jobs_table.c.id == job_id)).mappings().first()
        return _job_info(m) if m else None

    def list_jobs(self, *, limit: int = 50) -> list[JobInfo]:
        with self.engine.connect() as conn:
            ms = conn.execute(select(jobs_table).order_by(jobs_table.c.id.desc()).limit(limit)).mappings()
            return [_job_info(m) for m in ms]

    def next_job(self) -> JobInfo | None:
        """The job the worker should run next: highest priority, then oldest, among active jobs."""
        with self.engine.connect() as conn:
            m = (
                conn.execute(
                    select(jobs_table)
                    .where(jobs_table.c.status.in_([s.value for s in ACTIVE]))
                    .order_by(jobs_table.c.priority.desc(), jobs_table.c.id)
                    .limit(1)
                )
                .mappings()
                .first()
            )
        return _job_info(m) if m else None

    def has_higher_priority(self, job: JobInfo) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(jobs_table.c.id)
                .where(jobs_table.c.status == JobStatus.QUEUED.value, jobs_table.c.priority > job.priority)
                .limit(1)
            ).first()
        return found is not None

    def set_status(
        self,
        job_id: int,
        status: JobStatus,
        *,
        only_from: Iterable[JobStatus] | None = None,
        stop_outcome: str | None = None,
        stop_reason: str | None = None,
        clear_stop: bool = False,
    ) -> bool:
        """Change the status (only from the given ones, when given); True when a row changed."""
        values: dict[str, Any] = {"status": status.value, "updated_at": utcnow()}
        if stop_outcome is not None or stop_reason is not None or clear_stop:
            values["stop_outcome"] = stop_outcome
            values["stop_reason"] = stop_reason
        if status in (JobStatus.DONE, JobStatus.CANCELLED, JobStatus.STOPPED):
            values["finished_at"] = values["updated_at"]
        stmt = update(jobs_table).where(jobs_table.c.id == job_id)
        if only_from is not None:
            stmt = stmt.where(jobs_table.c.status.in_([s.value for s in only_from]))
        with self.engine.begin() as conn:
            return conn.execute(stmt.values(**values)).rowcount > 0

    def reset_for_resume(self, job_id: int) -> bool:
        """Stopped or paused → queued; the rows that met the stop (and NOT_CHECKED ones) become pending."""
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(jobs_table)
                .where(
                    jobs_table.c.id == job_id,
                    jobs_table.c.status.in_([s.value for s in RESUMABLE]),
                )
                .values(
                    status=JobStatus.QUEUED.value,
                    updated_at=utcnow(),
                    stop_outcome=None,
                    stop_reason=None,
                    finished_at=None,
                )
            ).rowcount
            if not changed:
                return False
            conn.execute(
                update(job_rows_table)
                .where(
                    job_rows_table.c.job_id == job_id,
                    job_rows_table.c.outcome.in_([o.value for o in REQUERY_ON_RESUME]),
                )
                .values(outcome=None, warnings="", problem="", explanation="", record=None, answered_at=None)
            )
        return True

    # --- rows -----------------------------------------------------------------------------------

    def progress(self, job_id: int) -> Progress:
        c = job_rows_table.c
        with self.engine.connect() as conn:
            counts = conn.execute(
                select(c.outcome, func.count()).where(c.job_id == job_id).group_by(c.outcome)
            ).all()
        by_outcome = {str(o): int(n) for o, n in counts if o is not None}
        total = sum(int(n) for _, n in counts)
        return Progress(total=total, done=sum(by_outcome.values()), by_outcome=by_outcome)

    def pending_persons(self, job_id: int) -> list[str]:
        """Person keys with pending rows, in the order of their first pending row."""
        c = job_rows_table.c
        first = func.min(c.seq)
        with self.engine.connect() as conn:
            result = conn.execute(
                select(c.person_key, first)
                .where(c.job_id == job_id, c.outcome.is_(None))
                .group_by(c.person_key)
                .order_by(first)
            )
            return [str(key) for key, _ in result]

    def pending_rows(self, job_id: int, *, person_key: str | None = None) -> list[tuple[int, RosterRow]]:
        """Pending rows of the job (of one person, when given), in roster order."""
        if person_key is not None:
            stmt: Any = _PERSON_ROWS
            params = {"job_id": job_id, "person_key": person_key}
        else:
            stmt = select(_r.seq, _r.roster).where(_r.job_id == job_id, _r.outcome.is_(None)).order_by(_r.seq)
            params = {}
        with self.engine.connect() as conn:
            found = sorted((int(seq), roster) for seq, roster in conn.execute(stmt, params))
        return [(seq, _row_from_json(roster)) for seq, roster in found]

    def pending_rows_of(
        self, job_id: int, person_keys: Sequence[str]
    ) -> dict[str, list[tuple[int, RosterRow]]]:
        """The pending rows of several people at once (one query per `BATCH` keys), in roster order
        per person; a person without pending rows is left out."""
        found: dict[str, list[tuple[int, Any]]] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(person_keys), self.BATCH):
                keys = list(person_keys[start : start + self.BATCH])
                stmt = select(_r.person_key, _r.seq, _r.roster).where(
                    _r.job_id == job_id, _r.person_key.in_(keys), _r.outcome.is_(None)
                )
                for key, seq, roster in conn.execute(stmt):
                    found.setdefault(str(key), []).append((int(seq), roster))
        return {
            key: [(seq, _row_from_json(roster)) for seq, roster in sorted(rows, key=lambda r: r[0])]
            for key, rows in found.items()
        }

    def status(self, job_id: int) -> JobStatus | None:
        """Just the job's status (checked before every person)."""
        with self.engine.connect() as conn:
            value = conn.execute(_JOB_STATUS, {"job_id": job_id}).scalar()
        return JobStatus(value) if value is not None else None

    def save_person(
        self,
        job_id: int,
        *,
        decisions: Sequence[tuple[int, Decision]],
        from_cache: bool,
        queried: bool,
        cache: CacheEntry | None = None,
        not_checked: Sequence[tuple[int, Decision]] = (),
        stop: tuple[Outcome, str] | None = None,
    ) -> None:
        """One transaction: the person's rows, the cache entry, the query count, and a stop if any.

        Rows are only written while still pending, so a repeat never overwrites an answer.
        """
        now = utcnow()
        with self.engine.begin() as conn:
            self._write_decisions(conn, job_id, decisions, at=now, from_cache=from_cache)
            if not_checked:
                self._write_decisions(conn, job_id, not_checked, at=now)
            if cache is not None:
                self._put_cache(conn, cache, at=now)
            conn.execute(_JOB_TOUCH, {"b_job_id": job_id, "b_now": now, "b_add": 1 if queried else 0})
            if stop is not None:  # not over a pause or cancel a person asked for meanwhile
                conn.execute(
                    update(jobs_table)
                    .where(jobs_table.c.id == job_id, jobs_table.c.status.in_([s.value for s in ACTIVE]))
                    .values(
                        status=JobStatus.STOPPED.value,
                        stop_outcome=stop[0].value,
                        stop_reason=stop[1],
                        finished_at=now,
                    )
                )

    def _write_decisions(
        self,
        conn: Connection,
        job_id: int,
        decisions: Sequence[tuple[int, Decision]],
        *,
        at: dt.datetime,
        from_cache: bool = False,
    ) -> None:
        if not decisions:
            return
        params = []
        for seq, decision in decisions:
            values = _decision_values(decision, at=at, from_cache=from_cache)
            params.append({"b_job_id": job_id, "b_seq": seq, **{f"b_{k}": v for k, v in values.items()}})
        for start in range(0, len(params), self.BATCH):
            conn.execute(_WRITE_DECISION, params[start : start + self.BATCH])

    def iter_rows(self, job_id: int) -> Iterator[StoredRow]:
        """Every row of the job in roster order, streamed."""
        c = job_rows_table.c
        stmt = (
            select(
                c.seq,
                c.roster,
                c.outcome,
                c.warnings,
                c.problem,
                c.explanation,
                c.record,
                c.answered_at,
                c.from_cache,
            )
            .where(c.job_id == job_id)
            .order_by(c.seq)
        )
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=self.BATCH).execute(stmt)
            for m in result.mappings():
                decision = None
                if m["outcome"] is not None:
                    decision = decision_from_parts(
                        outcome=m["outcome"],
                        warnings=m["warnings"],
                        problem=m["problem"],
                        explanation=m["explanation"],
                        record=m["record"],
                    )
                yield StoredRow(
                    seq=int(m["seq"]),
                    row=_row_from_json(m["roster"]),
                    decision=decision,
                    answered_at=m["answered_at"],
                    from_cache=bool(m["from_cache"]),
                )

    # --- answer cache ---------------------------------------------------------------------------

    def cached_records(
        self,
        *,
        family: str,
        id_number: str,
        name_key: str,
        as_of: dt.date,
        now: dt.datetime | None = None,
        timezone: str = "Asia/Shanghai",
    ) -> tuple[CertRecord, ...] | None:
        """The cached answer for the person when it may stand in for a query (`may_reuse`), else None.

        Calendar days are those of `timezone` (the users' clock); stored times are naive UTC.
        """
        key = {"family": family, "id_number": id_number, "name_key": name_key}
        with self.engine.connect() as conn:
            m = conn.execute(_CACHE_GET, key).first()
        if m is None:
            return None
        found = CachedAnswer(records=m[0], recheck_after=m[1], fetched_at=m[2], fetched_for=m[3])
        return found.reusable(name_key=name_key, as_of=as_of, now=now, timezone=timezone)

    def cached_answers(
        self, keys: Iterable[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], CachedAnswer]:
        """The stored answers of several people (family, ID number, name key) at once, one query per
        family and `BATCH` ID numbers; whether one may stand in is `CachedAnswer.reusable`'s call."""
        wanted = set(keys)
        ids_by_family: dict[str, set[str]] = {}
        for family, id_number, _name in wanted:
            ids_by_family.setdefault(family, set()).add(id_number)
        found: dict[tuple[str, str, str], CachedAnswer] = {}
        with self.engine.connect() as conn:
            for family, ids in ids_by_family.items():
                ordered = sorted(ids)
                for start in range(0, len(ordered), self.BATCH):
                    stmt = select(
                        _a.id_number, _a.name_key, _a.records, _a.recheck_after, _a.fetched_at, _a.fetched_for
                    ).where(_a.family == family, _a.id_number.in_(ordered[start : start + self.BATCH]))
                    for id_number, name, records, recheck, fetched_at, fetched_for in conn.execute(stmt):
                        key = (family, str(id_number), str(name))
                        if key in wanted:
                            found[key] = CachedAnswer(records, recheck, fetched_at, fetched_for)
        return found

    def _put_cache(self, conn: Connection, entry: CacheEntry, *, at: dt.datetime) -> None:
        key = {"family": entry.family, "id_number": entry.id_number, "name_key": entry.name_key}
        conn.execute(_CACHE_DELETE, key)
        conn.execute(
            _CACHE_INSERT,
            {
                **key,
                "records": records_to_json(entry.records),
                "fetched_at": at,
                "recheck_after": entry.recheck_after,
                "evidence": entry.evidence,
                "fetched_for": entry.fetched_for,
            },
        )

    def clear_cache(self) -> int:
        with self.engine.begin() as conn:
            return int(conn.execute(delete(answers_table)).rowcount)

    def purge_answers(self, *, fetched_before: dt.datetime) -> int:
        """Delete cached platform answers fetched before the cut-off (raw-response retention).

        Job rows (the results of every job) are not touched; a person asked again later is simply
        queried afresh. Returns the number of answers deleted.
        """
        with self.engine.begin() as conn:
            result = conn.execute(delete(answers_table).where(_a.fetched_at < _naive(fetched_before)))
            return int(result.rowcount)
