"""The typed result of a job, for programs (the dashboard saves from it): `GET /v1/jobs/{id}/records`.

The result file (`verifier.results`, .xlsx / .csv) is for people: Chinese headers, the roster's own
columns, local wall-clock times. This is for programs: English field names, the outcome as its code,
the certificate type as `special` / `safety`, ISO dates, times as timezone-aware UTC, and the
roster's fields as the roster reader normalised them (not its raw cells). A program never has to
parse a label or a header back. ID numbers are masked unless `full_ids`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pydantic import AwareDatetime, BaseModel, Field

from verifier.ids import STORED_AS_NUMBER, mask_ids_in
from verifier.results import mask_cell
from verifier.store import JobInfo
from verifier.types import Decision, Family, Outcome, RosterRow, WarningCode

CONTRACT_VERSION = 1


class RosterFields(BaseModel):
    """What the roster said about the person, normalised by the roster reader."""

    cert_number: str | None = Field(default=None, description="名单所填证书编号")
    category: str | None = Field(default=None, description="名单所填作业类别")
    item: str | None = Field(default=None, description="名单所填操作项目")
    person_type: str | None = Field(default=None, description="名单所填人员类型")
    appointment_date: dt.date | None = Field(default=None, description="名单所填任职日期")
    issue_date: dt.date | None = Field(default=None, description="名单所填发证日期")
    enterprise: str | None = Field(default=None, description="名单所填单位名称")
    uscc: str | None = Field(default=None, description="名单所填统一社会信用代码")


class Certificate(BaseModel):
    """The platform's certificate the outcome was decided on."""

    cert_number: str | None = None
    category: str | None = None
    item: str | None = None
    person_type: str | None = None
    industry: str | None = None
    first_issue_date: dt.date | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    review_due: dt.date | None = None
    review_done: dt.date | None = None
    issuer: str | None = None


class ResultRecord(BaseModel):
    """One roster row and its outcome (verification.md §4–§7)."""

    row_number: int = Field(description="行号（与名单文件一致）")
    name: str
    id_number: str = Field(description="身份证号（默认打码）；表格把它存成了数字时为空")
    id_lost_digits: bool = Field(default=False, description="表格把身份证号存成数字，后几位已丢失")
    family: Family
    family_text: str | None = Field(default=None, description="名单中无法识别的证书类型原文")
    outcome: Outcome
    is_verdict: bool = Field(description="是否是对人员的结论（故障、未核验等不是）")
    problem: str = ""
    warnings: list[WarningCode] = Field(default_factory=list)
    explanation: str = ""
    certificate: Certificate | None = None
    checked_at: AwareDatetime | None = Field(default=None, description="查询时间（UTC）；未核验为空")
    roster: RosterFields


class JobResults(BaseModel):
    """Every row of a job, in roster order."""

    contract: int = CONTRACT_VERSION
    job_id: int
    status: str
    created_at: AwareDatetime
    finished_at: AwareDatetime | None
    as_of: dt.date
    filename: str
    full_ids: bool
    records: list[ResultRecord]


def utc(naive_utc: dt.datetime | None) -> dt.datetime | None:
    """A stored naive-UTC time as an aware UTC one."""
    if naive_utc is None:
        return None
    return naive_utc.replace(tzinfo=dt.UTC) if naive_utc.tzinfo is None else naive_utc.astimezone(dt.UTC)


def _text(value: str | None, *, full_ids: bool) -> str | None:
    if value is None or full_ids:
        return value
    return mask_ids_in(value)


def result_record(
    row: RosterRow, decision: Decision, *, checked_at: dt.datetime | None, full_ids: bool = False
) -> ResultRecord:
    """One row as a `ResultRecord` (`checked_at` aware, or naive UTC as the job store keeps it)."""
    record = decision.record
    lost = STORED_AS_NUMBER in row.errors
    if lost:
        id_number = ""
    elif full_ids:
        id_number = row.id_number
    else:
        id_number = mask_cell(row.id_number) if row.id_number else ""
    certificate = None
    if record is not None:
        certificate = Certificate(
            cert_number=_text(record.cert_number, full_ids=full_ids),
            category=record.category,
            item=record.item,
            person_type=record.person_type,
            industry=record.industry,
            first_issue_date=record.first_issue_date,
            valid_from=record.valid_from,
            valid_until=record.valid_until,
            review_due=record.review_due,
            review_done=record.review_done,
            issuer=record.issuer,
        )
    return ResultRecord(
        row_number=row.row_number,
        name=row.name,
        id_number=id_number,
        id_lost_digits=lost,
        family=row.family,
        family_text=row.family_text,
        outcome=decision.outcome,
        is_verdict=decision.outcome.is_verdict,
        problem=decision.problem,
        warnings=list(decision.warnings),
        explanation=_text(decision.explanation, full_ids=full_ids) or "",
        certificate=certificate,
        checked_at=None if decision.outcome is Outcome.NOT_CHECKED else utc(checked_at),
        roster=RosterFields(
            cert_number=_text(row.cert_number, full_ids=full_ids),
            category=row.category,
            item=row.item,
            person_type=row.person_type,
            appointment_date=row.appointment_date,
            issue_date=row.issue_date,
            enterprise=row.enterprise,
            uscc=row.uscc,
        ),
    )


def job_results(
    job: JobInfo, rows: Iterable[tuple[RosterRow, Decision, dt.datetime | None]], *, full_ids: bool = False
) -> JobResults:
    """The whole job as `JobResults` (rows: the roster row, its decision, when it was answered)."""
    created = utc(job.created_at)
    assert created is not None
    return JobResults(
        job_id=job.id,
        status=job.status.value,
        created_at=created,
        finished_at=utc(job.finished_at),
        as_of=job.as_of,
        filename=job.filename,
        full_ids=full_ids,
        records=[
            result_record(row, decision, checked_at=at, full_ids=full_ids) for row, decision, at in rows
        ],
    )
