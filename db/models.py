"""Every table of the campaign, in one place (SQLModel).

Enumerated columns hold the short codes of `db.codes` (their Chinese labels are for screens).
Money is stored in yuan as an exact decimal; the monthly table reports it in 万元.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from anpei.masking import mask_id
from db.codes import risk_class_of


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def version_column() -> Column[int]:
    """The row version of a table edited through forms (optimistic locking).

    Mapped as the table's `version_id_col`: every ORM UPDATE or DELETE of the row carries
    `WHERE id = :id AND version = :version` and bumps it, and a row changed in between raises
    StaleDataError instead of being overwritten. A form keeps the version it was loaded with and the
    save service refuses a different one (`db.records.common.check_version`). Rows start at 1; 0
    stands for "nothing was stored when the form was loaded".
    """
    return Column("version", Integer, nullable=False, server_default="1")


# --- campaign settings (data, not code) -----------------------------------------------------


class Campaign(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(40), unique=True, index=True)
    name: str = Field(sa_type=String(200))
    notice_ref: str = Field(default="", sa_type=String(100))  # 丰都安办法（2024）40号
    issuer: str = Field(default="", sa_type=String(100))
    starts_on: dt.date
    ends_on: dt.date
    summary_due_on: dt.date
    monthly_due_day: int = 5  # a month's table is due on this day of the following month
    tip_action_days: int = 15  # a tip left without action this long is flagged
    scoring_rules: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    active: bool = True


class CampaignPhase(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    seq: int
    code: str = Field(sa_type=String(30))  # self_inspection / enforcement / summary
    name: str = Field(sa_type=String(50))  # 自查自改 / 执法检查 / 总结提升
    starts_on: dt.date
    ends_on: dt.date
    description: str = ""


class CheckItem(SQLModel, table=True):
    """One check item of the notice's section 二 (4 for institutions, 5 for enterprises)."""

    __table_args__ = (UniqueConstraint("campaign_id", "target_kind", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    target_kind: str = Field(sa_type=String(20))  # TargetKind
    number: int
    short: str = Field(sa_type=String(40))
    text: str


# --- who inspects, who is inspected ------------------------------------------------------


class Jurisdiction(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(20), unique=True, index=True)
    name: str = Field(sa_type=String(50), unique=True, index=True)
    kind: str = Field(sa_type=String(20), index=True)  # JurisdictionKind
    sort_order: int = 0
    active: bool = True


class Enterprise(SQLModel, table=True):
    # who an enterprise is registered to (db.rules.metrics.registered_to), read from the index alone: by its
    # township and by its supervising member unit, active enterprises only (issue 16 item 3)
    __table_args__ = (
        Index(
            "ix_enterprise_active_place",
            "jurisdiction_id",
            "risk_class",
            "id",
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
        Index(
            "ix_enterprise_active_unit",
            "member_unit_id",
            "risk_class",
            "id",
            postgresql_where=text("active AND member_unit_id IS NOT NULL"),
            sqlite_where=text("active AND member_unit_id IS NOT NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200), index=True)
    uscc: str | None = Field(default=None, sa_type=String(18), unique=True)  # 统一社会信用代码
    sector: str = Field(sa_type=String(20), index=True)  # Sector
    risk_class: str = Field(sa_type=String(20), index=True)  # RiskClass, derived from sector
    jurisdiction_id: int = Field(foreign_key="jurisdiction.id", index=True)
    member_unit_id: int | None = Field(default=None, foreign_key="jurisdiction.id", index=True)
    address: str = ""
    contact: str = ""
    phone: str = ""
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow)

    def __init__(self, **data: Any) -> None:
        if "sector" in data and not data.get("risk_class"):
            data["risk_class"] = risk_class_of(data["sector"]).value
        super().__init__(**data)


class TrainingInstitution(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200), unique=True)
    uscc: str | None = Field(default=None, sa_type=String(18), unique=True)
    jurisdiction_id: int = Field(foreign_key="jurisdiction.id", index=True)
    address: str = ""
    contact: str = ""
    phone: str = ""
    active: bool = True


class Person(SQLModel, table=True):
    """A worker or manager. The full ID number is stored once, here; screens show `id_masked`."""

    __table_args__ = (
        UniqueConstraint("id_number", "enterprise_id", "role"),
        # special workers per enterprise, counted by the quarterly assessment (issue 16)
        Index(
            "ix_person_special_worker_enterprise",
            "enterprise_id",
            postgresql_where=text("active AND role = 'special_worker'"),
            sqlite_where=text("active AND role = 'special_worker'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(50))
    id_number: str = Field(sa_type=String(18), index=True)
    role: str = Field(sa_type=String(20), index=True)  # PersonRole
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    appointment_date: dt.date | None = None  # 主要负责人 / 安全生产管理人员
    operation_item: str | None = Field(default=None, sa_type=String(50))  # 特种作业 操作项目
    active: bool = True
    left_on: dt.date | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)

    @property
    def id_masked(self) -> str:
        return mask_id(self.id_number)


class CertificateCheck(SQLModel, table=True):
    """One verification result (verification.md outcome codes) for a person on a given day."""

    # the month's and quarter's checks per jurisdiction read from the index alone (PostgreSQL, issue 16)
    __table_args__ = (
        Index(
            "ix_certificatecheck_as_of_cover",
            "as_of",
            postgresql_include=["jurisdiction_id", "family", "problem", "person_id", "enterprise_id"],
        ),
        # one jurisdiction's checks in a period (the township page)
        Index(
            "ix_certificatecheck_jurisdiction_as_of",
            "jurisdiction_id",
            "as_of",
            postgresql_include=["family", "problem", "person_id"],
        ),
        # … and only those that found a problem (its problem list; migration a9d4e6b8c2f0)
        Index(
            "ix_certificatecheck_problem_jurisdiction_as_of",
            "jurisdiction_id",
            "as_of",
            postgresql_where=text("problem <> ''"),
            sqlite_where=text("problem <> ''"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    jurisdiction_id: int | None = Field(default=None, foreign_key="jurisdiction.id", index=True)
    family: str = Field(sa_type=String(10))  # special / safety
    outcome: str = Field(sa_type=String(30), index=True)
    warnings: str = Field(default="", sa_type=String(300))  # codes joined by ';'
    problem: str = Field(default="", sa_type=String(20), index=True)  # 无证上岗 / 疑似持假证 / …
    explanation: str = ""
    cert_number: str | None = Field(default=None, sa_type=String(40))
    category: str | None = Field(default=None, sa_type=String(50))
    item: str | None = Field(default=None, sa_type=String(80))
    first_issue_date: dt.date | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    review_due: dt.date | None = None
    review_done: dt.date | None = None
    issuer: str | None = Field(default=None, sa_type=String(100))
    as_of: dt.date = Field(index=True)
    checked_at: dt.datetime = Field(default_factory=utcnow)
    source: str = Field(default="verifier", sa_type=String(20))  # verifier / saved_page / manual
    job_ref: str | None = Field(default=None, sa_type=String(64), index=True)
    evidence_ref: str | None = Field(default=None, sa_type=String(200))


# --- enforcement ----------------------------------------------------------------------------


_INSPECTION_VERSION = version_column()


class Inspection(SQLModel, table=True):
    # a month's or quarter's inspections read from the index alone (PostgreSQL, issue 16)
    __table_args__ = (
        Index(
            "ix_inspection_inspected_on_cover",
            "inspected_on",
            postgresql_include=["enterprise_id", "jurisdiction_id", "joint"],
        ),
        # the month's training-institution inspections (few) per jurisdiction (issue 16 item 3)
        Index(
            "ix_inspection_institution_inspected_on",
            "inspected_on",
            "jurisdiction_id",
            "institution_id",
            postgresql_where=text("institution_id IS NOT NULL"),
            sqlite_where=text("institution_id IS NOT NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_INSPECTION_VERSION)
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _INSPECTION_VERSION}
    inspected_on: dt.date = Field(index=True)
    jurisdiction_id: int = Field(foreign_key="jurisdiction.id", index=True)  # who inspected
    joint: bool = False  # 联合执法检查
    joint_units: str = ""  # other units taking part, comma-separated names
    target_kind: str = Field(sa_type=String(20))  # TargetKind
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    institution_id: int | None = Field(default=None, foreign_key="traininginstitution.id", index=True)
    inspectors: str = ""
    notes: str = ""
    source_ref: str | None = Field(default=None, sa_type=String(80))  # import file hash + row
    created_at: dt.datetime = Field(default_factory=utcnow)


class InspectionItemResult(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("inspection_id", "item_number"),)
    id: int | None = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    item_number: int  # CheckItem.number for the inspection's target kind
    result: str = Field(sa_type=String(4))  # ItemResult


class SelfInspectionReport(SQLModel, table=True):
    """自查报告 of an institution or enterprise (phase 自查自改)."""

    id: int | None = Field(default=None, primary_key=True)
    target_kind: str = Field(sa_type=String(20))
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    institution_id: int | None = Field(default=None, foreign_key="traininginstitution.id", index=True)
    jurisdiction_id: int = Field(foreign_key="jurisdiction.id", index=True)
    submitted_on: dt.date
    period_from: dt.date = dt.date(2020, 4, 1)
    summary: str = ""
    attachment: str | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)


_FINDING_VERSION = version_column()


class Finding(SQLModel, table=True):
    """One line of a 问题清单: problem, measure, deadline, responsible person, revisit."""

    # the stock of findings as of a day (found by then, rectified by then, overdue) and those due in a
    # quarter, counted from the indexes alone on PostgreSQL (issue 16 item 3)
    __table_args__ = (
        Index(
            "ix_finding_found_on_cover",
            "found_on",
            postgresql_include=["jurisdiction_id", "rectified_on", "status", "deadline"],
        ),
        Index(
            "ix_finding_deadline_cover",
            "deadline",
            postgresql_include=["jurisdiction_id", "rectified_on", "status"],
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_FINDING_VERSION)
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _FINDING_VERSION}
    jurisdiction_id: int = Field(foreign_key="jurisdiction.id", index=True)
    inspection_id: int | None = Field(default=None, foreign_key="inspection.id", index=True)
    self_inspection_id: int | None = Field(default=None, foreign_key="selfinspectionreport.id")
    target_kind: str = Field(sa_type=String(20))
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    institution_id: int | None = Field(default=None, foreign_key="traininginstitution.id", index=True)
    check_item_number: int | None = None
    found_on: dt.date = Field(index=True)
    description: str
    measure: str = ""  # 整改措施
    deadline: dt.date | None = Field(default=None, index=True)
    responsible_person: str = ""
    status: str = Field(default="open", sa_type=String(12), index=True)  # FindingStatus
    rectified_on: dt.date | None = None
    revisit_date: dt.date | None = None  # 复查日期
    revisit_result: str | None = Field(default=None, sa_type=String(10))  # RevisitResult
    revisit_by: str = ""
    recurring: bool = False  # the same item at the same enterprise was found in an earlier quarter
    # the 培训档案线索 this finding was raised from (属实); the lead points back by `finding_id`.
    # use_alter: the two tables point at each other (the constraint is added after both exist).
    training_lead_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("traininglead.id", use_alter=True, name="fk_finding_training_lead_id"),
            nullable=True,
            index=True,
        ),
    )
    created_at: dt.datetime = Field(default_factory=utcnow)


class EnforcementAction(SQLModel, table=True):
    # "was this enterprise punished by this jurisdiction in the quarter" (assessment, issue 16)
    __table_args__ = (
        Index(
            "ix_enforcementaction_enterprise_jurisdiction_date",
            "enterprise_id",
            "jurisdiction_id",
            "action_date",
            postgresql_include=["kind"],
        ),
        # a period's actions per jurisdiction by kind, fines summed, from the index alone (issue 16 item 3)
        Index(
            "ix_enforcementaction_action_date_cover",
            "action_date",
            postgresql_include=["jurisdiction_id", "kind", "fine_amount"],
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    jurisdiction_id: int = Field(foreign_key="jurisdiction.id", index=True)
    inspection_id: int | None = Field(default=None, foreign_key="inspection.id", index=True)
    target_kind: str = Field(sa_type=String(20))
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    institution_id: int | None = Field(default=None, foreign_key="traininginstitution.id")
    kind: str = Field(sa_type=String(20), index=True)  # ActionKind
    action_date: dt.date = Field(index=True)
    deadline: dt.date | None = None  # 责令整改 deadline
    fine_amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 2)))  # yuan
    case_ref: str = ""  # 案号 / publication reference
    notes: str = ""


_MONTHLY_VERSION = version_column()


class MonthlyReport(SQLModel, table=True):
    """汇总表: one row per jurisdiction and month (the numbers of the campaign's summary table)."""

    __table_args__ = (UniqueConstraint("jurisdiction_id", "month"),)
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_MONTHLY_VERSION)
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _MONTHLY_VERSION}
    jurisdiction_id: int = Field(foreign_key="jurisdiction.id", index=True)
    month: str = Field(sa_type=String(7), index=True)  # YYYY-MM
    status: str = Field(default="unreported", sa_type=String(12), index=True)  # MonthlyStatus
    submitted_at: dt.datetime | None = None
    enterprises_inspected: int = 0
    high_risk_inspected: int = 0
    industry_trade_inspected: int = 0
    institutions_inspected: int = 0
    problems_found: int = 0
    problems_by_item: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ordered_rectify: int = 0
    rectified: int = 0
    workers_checked: int = 0
    unlicensed: int = 0
    suspected_fake: int = 0
    managers_due: int = 0
    managers_passed: int = 0
    managers_overdue: int = 0
    cases: int = 0
    fines_wan: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(12, 4), nullable=False))
    exposures: int = 0
    blacklisted: int = 0
    filled_by: str = ""
    phone: str = ""
    filled_on: dt.date | None = None
    scan_path: str | None = None  # stamped copy (PDF or image)
    source_sha256: str | None = Field(default=None, sa_type=String(64))


_TIP_VERSION = version_column()


class Tip(SQLModel, table=True):
    """A 12350 (or website) tip and its handling."""

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_TIP_VERSION)
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _TIP_VERSION}
    received_on: dt.date = Field(index=True)
    channel: str = Field(default="12350", sa_type=String(20))
    reference: str = Field(default="", sa_type=String(50))
    content: str
    target_name: str = ""
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")
    institution_id: int | None = Field(default=None, foreign_key="traininginstitution.id")
    jurisdiction_id: int | None = Field(default=None, foreign_key="jurisdiction.id", index=True)
    assigned_on: dt.date | None = None
    status: str = Field(default="received", sa_type=String(12), index=True)  # TipStatus
    check_result: str = ""
    substantiated: bool | None = None
    answered_on: dt.date | None = None


class SummaryReport(SQLModel, table=True):
    """总结提升: a jurisdiction's or member unit's written summary."""

    __table_args__ = (UniqueConstraint("campaign_id", "jurisdiction_id"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    jurisdiction_id: int = Field(foreign_key="jurisdiction.id", index=True)
    submitted_on: dt.date | None = None
    title: str = ""
    attachment: str | None = None


# --- training archives (培训档案核查, training-audit.md) ------------------------------------------


class TrainingArchive(SQLModel, table=True):
    """One uploaded archive (a workbook, or the CSV files of one folder) of a training unit."""

    id: int | None = Field(default=None, primary_key=True)
    file_name: str = Field(sa_type=String(200))
    sha256: str = Field(sa_type=String(64), unique=True, index=True)  # the same file twice is one archive
    target_kind: str = Field(sa_type=String(20))  # TargetKind: who ran the training
    institution_id: int | None = Field(default=None, foreign_key="traininginstitution.id", index=True)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    unit_name: str = Field(sa_type=String(200))
    jurisdiction_id: int = Field(foreign_key="jurisdiction.id", index=True)
    uploaded_by: str = Field(default="", sa_type=String(50))
    uploaded_at: dt.datetime = Field(default_factory=utcnow)  # UTC
    row_count: int = 0
    class_count: int = 0
    problem_count: int = 0


class TrainingArchiveSheet(SQLModel, table=True):
    """One sheet of a stored archive as the engine reads it: dictionary-encoded columns, compressed.

    `data` is zlib-compressed JSON (`db.training.sheets`): the row numbers, and per field the
    distinct raw values and one code per row — what `training_audit.Sheet` holds in memory.
    """

    __table_args__ = (UniqueConstraint("archive_id", "sheet"),)
    id: int | None = Field(default=None, primary_key=True)
    archive_id: int = Field(foreign_key="trainingarchive.id", index=True)
    sheet: str = Field(sa_type=String(10))  # 班次 / 课程安排 / 签到 / 考试
    row_count: int = 0
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class TrainingLead(SQLModel, table=True):
    """A lead (线索) of the county-wide re-check, matched across re-runs by its rule key."""

    id: int | None = Field(default=None, primary_key=True)
    rule_key: str = Field(sa_type=String(64), unique=True, index=True)  # sha256 of code + key fields
    code: str = Field(sa_type=String(30), index=True)
    unit: str = Field(default="", sa_type=String(200))
    class_code: str = Field(default="", sa_type=String(100))
    other_unit: str = Field(default="", sa_type=String(200))
    other_code: str = Field(default="", sa_type=String(100))
    name: str = Field(default="", sa_type=String(50))
    id_number: str = Field(default="", sa_type=String(18))
    teacher: str = Field(default="", sa_type=String(50))
    lead_date: dt.date | None = None
    basis: str = Field(default="", sa_type=String(200))
    text: str = Field(default="", sa_column=Column(Text, nullable=False))  # 说明
    evidence: list[Any] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )  # [[archive id, sheet, [rows]]]
    archive_id: int = Field(foreign_key="trainingarchive.id", index=True)  # the archive of the lead's class
    jurisdiction_id: int = Field(foreign_key="jurisdiction.id", index=True)
    other_jurisdiction_id: int | None = Field(default=None, foreign_key="jurisdiction.id", index=True)
    active: bool = True  # False once a re-check no longer raises it
    status: str = Field(default="pending", sa_type=String(12), index=True)  # LeadStatus
    reason: str = ""
    status_by: str = Field(default="", sa_type=String(50))
    status_at: dt.datetime | None = None
    finding_id: int | None = Field(default=None, foreign_key="finding.id")
    first_raised_at: dt.datetime = Field(default_factory=utcnow)
    last_raised_at: dt.datetime = Field(default_factory=utcnow)


# --- accounts and audit ---------------------------------------------------------------------


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_type=String(50), unique=True, index=True)
    display_name: str = Field(default="", sa_type=String(50))
    password_hash: str = Field(default="", sa_type=String(200))
    role: str = Field(sa_type=String(20))  # Role
    jurisdiction_id: int | None = Field(default=None, foreign_key="jurisdiction.id")
    active: bool = True
    failed_logins: int = 0
    locked_until: dt.datetime | None = None
    # Bumped by logout, password reset, disable and role change: older login cookies stop working.
    session_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_login_at: dt.datetime | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    """Append-only: the application inserts rows and never updates or deletes them."""

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    username: str = Field(default="", sa_type=String(50))
    action: str = Field(sa_type=String(20), index=True)  # AuditAction
    entity: str = Field(default="", sa_type=String(50))
    entity_id: str = Field(default="", sa_type=String(50))
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    detail: str = ""


class VerifierJobTarget(SQLModel, table=True):
    """Who submitted a verifier job and where its results are saved (chosen at submit).

    A job is named by the verifier's id AND its creation time: the verifier numbers jobs from 1
    again after its store is reset, so the id alone could name another unit's job.
    """

    __table_args__ = (UniqueConstraint("job_id", "job_created_at", name="uq_verifierjobtarget_job"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(index=True)
    job_created_at: str = Field(sa_type=String(40))  # the verifier's created_at, as it sent it
    owner_jurisdiction_id: int | None = Field(default=None, foreign_key="jurisdiction.id", index=True)
    # the save target: a whole township or unit (rows matched by enterprise name), or one enterprise
    jurisdiction_id: int | None = Field(default=None, foreign_key="jurisdiction.id")
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")
    target_label: str = Field(default="", sa_type=String(200))
    submitted_by: int | None = Field(default=None, foreign_key="user.id")
    submitted_username: str = Field(default="", sa_type=String(50))
    submitted_at: dt.datetime = Field(default_factory=utcnow)
    saved_rows: int | None = None  # rows answered when the results were last saved
    saved_at: dt.datetime | None = None
    saved_summary: str = ""


# --- what the readers keep: the data generation and the figures stored against it -----------------


class DataGeneration(SQLModel, table=True):
    """One row (id 1): a number that every write to a campaign table raises in its own transaction.

    Database triggers raise it (migration `d7e3f1a9b2c4`), so no write path can forget: any INSERT,
    UPDATE or DELETE of the tables in `db.reads.data_generation.WATCHED_TABLES`, from the dashboard, the
    command line or an SQL console. Readers that keep results (the dashboard's caches in every process,
    `db.reads.stored_figures`) key them by it and so never serve figures older than the last commit.
    """

    id: int | None = Field(default=None, primary_key=True)
    value: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})


class JurisdictionChange(SQLModel, table=True):
    """The data generation of the last write that reached each jurisdiction (`jurisdiction_id` 0: a
    write that reaches the whole county, e.g. a township renamed or an enterprise moved).

    Written by the same triggers as `DataGeneration` (migration `e8b2c6d4f1a7`), from the rows each
    write touched (`db.reads.data_generation.REACH`). A township's own tables stay valid while no write
    reached it: a save by one township no longer makes the other 44 compute theirs again.
    """

    jurisdiction_id: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    generation: int = Field(sa_type=BigInteger)


class StoredFigure(SQLModel, table=True):
    """A read's result, kept for every dashboard process and across restarts
    (`db.reads.stored_figures`): a county-wide one (`jurisdiction_id` None) is valid while the data
    generation it was computed at is current; one jurisdiction's own table while no write has reached
    that jurisdiction since (`JurisdictionChange`)."""

    key: str = Field(primary_key=True, sa_type=String(200))
    generation: int = Field(sa_type=BigInteger)
    jurisdiction_id: int | None = Field(default=None, sa_type=BigInteger)
    payload: str = Field(sa_type=Text)  # JSON
    computed_at: dt.datetime = Field(default_factory=utcnow)
