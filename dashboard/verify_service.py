"""核验名单's work without Streamlit (tested with plain pytest): which jobs a user sees, submitting a
roster with its save target and audit entry, saving a job's results into the database, the audited
result downloads, and a saved platform page as evidence. The page reads widgets, calls one of these,
and renders what comes back.

Results are saved from the service's typed records (`GET /v1/jobs/{id}/records`, `verifier.contract`):
outcome codes, `special` / `safety`, ISO dates, aware UTC times and the roster's normalised fields.
The result .xlsx is the file for people and is never read back.

Each function that writes opens its own session from `sessions`, commits, and says whether the
database changed (the page then drops its read caches).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel import Session

from dashboard import page_evidence
from db.codes import AuditAction
from db.records import cert_results, verifier_jobs
from db.records.common import audit
from db.records.verifier_jobs import SaveTarget
from db.rules.access import Principal
from verifier.contract import JobResults, ResultRecord
from verifier.types import Family

BEIJING = dt.timezone(dt.timedelta(hours=8))
ACTIVE = frozenset({"queued", "running", "waiting_captcha"})
RESUMABLE = frozenset({"paused", "stopped"})

Sessions = Callable[[], Session]


class Service(Protocol):
    """What these functions need of `dashboard.verifier_api.VerifierClient`."""

    def submit_roster(
        self,
        data: bytes,
        *,
        filename: str,
        family: str,
        as_of: dt.date | None = None,
        captcha: str | None = None,
        columns: Mapping[str, str] | None = None,
    ) -> dict[str, Any]: ...

    def jobs(self, *, limit: int = 20) -> list[dict[str, Any]]: ...

    def job(self, job_id: int) -> dict[str, Any]: ...

    def records(self, job_id: int, *, full_ids: bool = False) -> JobResults: ...

    def results_file(self, job_id: int, *, fmt: str = "xlsx", full_ids: bool = False) -> bytes: ...


@dataclass(frozen=True)
class Target:
    """Where a roster's results are saved: a whole township/unit, or one enterprise (`area_id`: its township)."""

    jurisdiction_id: int | None
    enterprise_id: int | None
    label: str
    area_id: int | None = None


@dataclass(frozen=True)
class SaveOutcome:
    target: SaveTarget | None  # None: no target recorded (a job from before targets were recorded)
    saved_now: bool
    message: str  # Chinese, for the page


# --- the typed records into the database --------------------------------------------------------


def check_row(record: ResultRecord) -> cert_results.CheckRow:
    """A service record as the database's `CheckRow` (field by field: nothing to parse)."""
    certificate = record.certificate
    return cert_results.CheckRow(
        row_number=record.row_number,
        name=record.name,
        id_number=record.id_number.upper(),
        family=record.family,
        outcome=record.outcome,
        warnings=";".join(w.value for w in record.warnings),
        problem=record.problem,
        explanation=record.explanation,
        cert_number=certificate.cert_number if certificate else None,
        category=certificate.category if certificate else None,
        item=certificate.item if certificate else None,
        dates={key: getattr(certificate, key) if certificate else None for key in cert_results.DATE_KEYS},
        issuer=certificate.issuer if certificate else None,
        checked_at=record.checked_at,
        roster_item=record.roster.item,
        person_type=record.roster.person_type or (certificate.person_type if certificate else None),
        appointment_date=record.roster.appointment_date,
        enterprise_name=record.roster.enterprise,
        uscc=(record.roster.uscc or "").upper() or None,
    )


# --- jobs ----------------------------------------------------------------------------------------


def visible_jobs(
    client: Service, sessions: Sessions, *, principal: Principal, limit: int = 30
) -> list[dict[str, Any]]:
    """The recent jobs this user may see (township and unit staff: their own unit's)."""
    recent = client.jobs(limit=limit)
    if principal.sees_all:
        return recent
    with sessions() as session:
        mine = verifier_jobs.visible_jobs(
            session, principal=principal, jobs=[verifier_jobs.job_key(j) for j in recent]
        )
    return [j for j in recent if verifier_jobs.job_key(j) in mine]


def open_job(client: Service, sessions: Sessions, *, principal: Principal, job_id: int) -> dict[str, Any]:
    """The job as the service describes it; AccessDenied when it is another unit's."""
    job = client.job(job_id)
    with sessions() as session:
        verifier_jobs.require_job(session, principal=principal, job=verifier_jobs.job_key(job))
    return job


def submit(
    client: Service,
    sessions: Sessions,
    *,
    principal: Principal,
    data: bytes,
    filename: str,
    family: str,
    as_of: dt.date,
    target: Target,
    rows: int,
    columns: Mapping[str, str] | None = None,
    captcha: str | None = None,
) -> int:
    """Send the roster as uploaded (with the manual column mapping), record who submitted it and
    where its results go, audit it; the job id. VerifierError when the service refuses it."""
    answer = client.submit_roster(
        data, filename=filename, family=family, as_of=as_of, captcha=captcha, columns=columns
    )
    job_id = int(answer["job_id"])
    created_at = str(answer.get("created_at") or client.job(job_id)["created_at"])
    with sessions() as session:
        verifier_jobs.record_submission(
            session,
            principal=principal,
            job=(job_id, created_at),
            label=target.label,
            jurisdiction_id=target.jurisdiction_id,
            enterprise_id=target.enterprise_id,
        )
        audit(
            session,
            principal=principal,
            action=AuditAction.IMPORT,
            entity="verifier_job",
            entity_id=job_id,
            detail=f"提交名单核验：{filename}，{rows} 行（{target.label}）",
        )
        session.commit()
    return job_id


# --- saving --------------------------------------------------------------------------------------


def _when(at: dt.datetime | None) -> str:
    if at is None:
        return ""
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def save_job(
    session: Session,
    *,
    principal: Principal,
    client: Service,
    job: Mapping[str, Any],
    jurisdiction_id: int | None,
    enterprise_id: int | None,
) -> str:
    """Store the job's verdicts against the target; the summary line (flushes, does not commit)."""
    results = client.records(int(job["id"]), full_ids=True)
    ref = cert_results.job_ref_for(int(job["id"]), str(job["created_at"]))
    report = cert_results.save_job_results(
        session,
        principal=principal,
        job_ref=ref,
        as_of=results.as_of,
        rows=[check_row(record) for record in results.records],
        enterprise_id=enterprise_id,
        jurisdiction_id=jurisdiction_id,
    )
    verifier_jobs.mark_saved(
        session, job=verifier_jobs.job_key(job), rows=int(job["progress"]["done"]), summary=report.summary
    )
    return report.summary


def save_if_finished(
    sessions: Sessions, *, principal: Principal, client: Service, job: Mapping[str, Any]
) -> SaveOutcome:
    """Save a finished job's results to its recorded target unless already saved for these rows."""
    with sessions() as session:
        key = verifier_jobs.job_key(job)
        target = verifier_jobs.target_of(session, principal=principal, job=key)
        if target is None:
            return SaveOutcome(None, False, "这个任务提交时没有登记名单所属单位，请在下面选择后保存。")
        done = int(job["progress"]["done"])
        if done == 0:
            return SaveOutcome(target, False, f"还没有核验结果；有结果后会自动保存到“{target.label}”。")
        if not target.needs_saving(done):
            return SaveOutcome(
                target,
                False,
                f"核验结果已于 {_when(target.saved_at)} 保存到“{target.label}”：{target.saved_summary}",
            )
        summary = save_job(
            session,
            principal=principal,
            client=client,
            job=job,
            jurisdiction_id=target.jurisdiction_id,
            enterprise_id=target.enterprise_id,
        )
        session.commit()
    return SaveOutcome(
        target, True, f"已核验的 {done} 行结果已自动保存到提交时选择的“{target.label}”：{summary}"
    )


def save_to(
    sessions: Sessions, *, principal: Principal, client: Service, job: Mapping[str, Any], target: Target
) -> str:
    """Save the job's verdicts to a target chosen by hand (recorded as the job's target); the message."""
    with sessions() as session:
        verifier_jobs.set_target(
            session,
            principal=principal,
            job=verifier_jobs.job_key(job),
            jurisdiction_id=target.jurisdiction_id,
            enterprise_id=target.enterprise_id,
            label=target.label,
        )
        summary = save_job(
            session,
            principal=principal,
            client=client,
            job=job,
            jurisdiction_id=target.jurisdiction_id,
            enterprise_id=target.enterprise_id,
        )
        session.commit()
    return f"已保存到“{target.label}”：{summary}"


# --- downloads -----------------------------------------------------------------------------------


def audit_download(sessions: Sessions, *, principal: Principal, job_id: int, full_ids: bool) -> None:
    with sessions() as session:
        audit(
            session,
            principal=principal,
            action=AuditAction.REVEAL if full_ids else AuditAction.EXPORT,
            entity="verifier_job",
            entity_id=job_id,
            detail=f"下载核验结果（任务 {job_id}）"
            + ("，含完整身份证号" if full_ids else "，身份证号已打码"),
        )
        session.commit()


def full_id_file(client: Service, sessions: Sessions, *, principal: Principal, job_id: int) -> bytes:
    """The result file with full ID numbers, fetched only after its audit entry is committed."""
    audit_download(sessions, principal=principal, job_id=job_id, full_ids=True)
    return client.results_file(job_id, fmt="xlsx", full_ids=True)


def masked_file(client: Service, sessions: Sessions, *, principal: Principal, job_id: int) -> bytes:
    """The result file with ID numbers masked, audited as an export (built when it is downloaded)."""
    data = client.results_file(job_id, fmt="xlsx", full_ids=False)
    audit_download(sessions, principal=principal, job_id=job_id, full_ids=False)
    return data


# --- a saved platform page -----------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceSaved:
    check: page_evidence.PageCheck
    report: cert_results.SaveReport


def save_page_evidence(
    sessions: Sessions,
    *,
    principal: Principal,
    html: bytes,
    filename: str,
    name: str,
    id_number: str,
    family: Family,
    as_of: dt.date,
    checked_at: dt.datetime,
    target: Target,
    cert_number: str = "",
    item: str = "",
    person_type: str = "",
    appointment_date: dt.date | None = None,
) -> EvidenceSaved:
    """Check one person against a result page saved from the platform's website and store the
    verdict with the page kept as evidence. EvidenceError / InputError / AccessDenied as Chinese text."""
    row = page_evidence.person_row(
        name=name,
        id_number=id_number,
        family=family,
        as_of=as_of,
        cert_number=cert_number,
        item=item,
        person_type=person_type,
        appointment_date=appointment_date,
    )
    check = page_evidence.check_page(html, row, as_of=as_of, checked_at=checked_at)
    with sessions() as session:
        path = cert_results.store_page(data=html, filename=filename)
        report = cert_results.save_job_results(
            session,
            principal=principal,
            job_ref=f"page:{hashlib.sha256(html).hexdigest()[:16]}:{row.id_number[-4:]}",
            as_of=as_of,
            rows=[check_row(check.record)],
            enterprise_id=target.enterprise_id,
            jurisdiction_id=target.jurisdiction_id,
            source="saved_page",
            evidence_ref=path,
        )
        session.commit()
    return EvidenceSaved(check, report)
