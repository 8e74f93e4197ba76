"""Verifier jobs on the dashboard side: who submitted each one, where its results are saved, and
which jobs a user may see and act on.

The verifier service has no accounts (one token for the dashboard) and holds rosters of every
township. Each submission is therefore recorded here, in `VerifierJobTarget`: the job (the
verifier's id AND its creation time — the service numbers jobs from 1 again after its store is
reset, so the id alone could name another unit's job), the submitting account, its unit (the owner)
and the save target chosen at submit (a whole township/unit, or one enterprise). Township and unit
staff see only jobs owned by their own jurisdiction; roles that read every jurisdiction see every job.
When the job has finished, its results are saved to that target once per answered row count
(`needs_saving` / `mark_saved`), without a second click.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from db.models import Enterprise, VerifierJobTarget, utcnow
from db.records.common import InputError
from db.rules.access import AccessDenied, Principal, require_read

ENTITY = "verifier_job"

JobKey = tuple[int, str]  # (the verifier's job id, its created_at as the service sent it)


def job_key(job: Mapping[str, Any]) -> JobKey:
    """The key of a job as the verifier service describes it (`id`, `created_at`)."""
    return int(job["id"]), str(job["created_at"])


@dataclass(frozen=True)
class SaveTarget:
    """Where a job's results go: a whole township/unit (rows matched by enterprise name) or one enterprise."""

    jurisdiction_id: int | None
    enterprise_id: int | None
    label: str
    saved_rows: int | None = None
    saved_at: dt.datetime | None = None
    saved_summary: str = ""
    area_id: int | None = None  # the township/unit the target lies in (the enterprise's township)

    def needs_saving(self, answered_rows: int) -> bool:
        """Not saved yet, or saved before more rows were answered (a resumed job)."""
        return self.saved_rows != int(answered_rows)


def _owner(
    session: Session, *, principal: Principal, jurisdiction_id: int | None, enterprise_id: int | None
) -> int:
    if principal.jurisdiction_id is not None:
        return principal.jurisdiction_id
    if jurisdiction_id is not None:
        return jurisdiction_id
    enterprise = session.get(Enterprise, enterprise_id) if enterprise_id is not None else None
    if enterprise is None:
        raise InputError("请选择名单所属的乡镇（街道）、部门或企业")
    return int(enterprise.jurisdiction_id)


def record_submission(
    session: Session,
    *,
    principal: Principal,
    job: JobKey,
    jurisdiction_id: int | None,
    enterprise_id: int | None,
    label: str,
    now: dt.datetime | None = None,
) -> VerifierJobTarget:
    """Store who submitted `job` and where its results are to be saved (flushes, does not commit).

    AccessDenied when the target lies outside what the principal may change is left to the save
    itself; here a township user may only name targets it may read.
    """
    if (jurisdiction_id is None) == (enterprise_id is None):
        raise InputError("请选择名单所属的乡镇（街道）、部门或企业（二者选一）")
    owner = _owner(session, principal=principal, jurisdiction_id=jurisdiction_id, enterprise_id=enterprise_id)
    if jurisdiction_id is not None:
        require_read(principal, jurisdiction_id)
    job_id, created_at = job
    existing = _find(session, job)
    if existing is not None:
        raise InputError(f"任务 {job_id}（{created_at}）已登记过所属单位")
    row = VerifierJobTarget(
        job_id=job_id,
        job_created_at=created_at,
        owner_jurisdiction_id=owner,
        jurisdiction_id=jurisdiction_id,
        enterprise_id=enterprise_id,
        target_label=label[:200],
        submitted_by=principal.user_id,
        submitted_username=principal.username[:50],
        submitted_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def _find(session: Session, job: JobKey) -> VerifierJobTarget | None:
    job_id, created_at = job
    return session.exec(
        select(VerifierJobTarget).where(
            VerifierJobTarget.job_id == job_id, VerifierJobTarget.job_created_at == created_at
        )
    ).first()


def visible_jobs(session: Session, *, principal: Principal, jobs: Iterable[JobKey]) -> set[JobKey]:
    """The subset of `jobs` the principal may see: every one for county-wide roles; otherwise those
    recorded here as owned by the principal's jurisdiction (same id AND creation time)."""
    wanted = {(int(i), str(c)) for i, c in jobs}
    if principal.sees_all or not wanted:
        return wanted
    ids = sorted({i for i, _ in wanted})
    rows = session.exec(
        select(VerifierJobTarget.job_id, VerifierJobTarget.job_created_at).where(
            col(VerifierJobTarget.job_id).in_(ids),
            VerifierJobTarget.owner_jurisdiction_id == principal.jurisdiction_id,
        )
    ).all()
    return {(int(i), str(c)) for i, c in rows} & wanted


def require_job(session: Session, *, principal: Principal, job: JobKey) -> None:
    """AccessDenied unless the principal may see this job."""
    if job not in visible_jobs(session, principal=principal, jobs=[job]):
        raise AccessDenied("无权查看其他乡镇（部门）提交的核验任务")


def target_of(session: Session, *, principal: Principal, job: JobKey) -> SaveTarget | None:
    """The save target recorded at submit (None for a job submitted before targets were recorded)."""
    require_job(session, principal=principal, job=job)
    row = _find(session, job)
    if row is None:
        return None
    enterprise = session.get(Enterprise, row.enterprise_id) if row.enterprise_id is not None else None
    area = row.jurisdiction_id if enterprise is None else int(enterprise.jurisdiction_id)
    return SaveTarget(
        row.jurisdiction_id,
        row.enterprise_id,
        row.target_label,
        row.saved_rows,
        row.saved_at,
        row.saved_summary,
        area,
    )


def set_target(
    session: Session,
    *,
    principal: Principal,
    job: JobKey,
    jurisdiction_id: int | None,
    enterprise_id: int | None,
    label: str,
) -> None:
    """Record (or change) the save target of a job that has none yet or is being saved elsewhere."""
    require_job(session, principal=principal, job=job)
    row = _find(session, job)
    if row is None:
        record_submission(
            session,
            principal=principal,
            job=job,
            jurisdiction_id=jurisdiction_id,
            enterprise_id=enterprise_id,
            label=label,
        )
        return
    row.jurisdiction_id, row.enterprise_id, row.target_label = jurisdiction_id, enterprise_id, label[:200]
    row.saved_rows, row.saved_at, row.saved_summary = None, None, ""
    session.add(row)
    session.flush()


def mark_saved(
    session: Session, *, job: JobKey, rows: int, summary: str, now: dt.datetime | None = None
) -> None:
    """Note that the job's results were saved with `rows` rows answered (flushes)."""
    row = _find(session, job)
    if row is None:
        return
    row.saved_rows, row.saved_at, row.saved_summary = int(rows), now or utcnow(), summary
    session.add(row)
    session.flush()


__all__ = [
    "ENTITY",
    "JobKey",
    "SaveTarget",
    "job_key",
    "mark_saved",
    "record_submission",
    "require_job",
    "set_target",
    "target_of",
    "visible_jobs",
]
