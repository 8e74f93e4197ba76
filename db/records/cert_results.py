"""Verification results into the campaign database: people and `CertificateCheck` rows, audited.

A verifier job's results (the service's typed records, `verifier.contract`, turned into `CheckRow`s
by the dashboard: full ID numbers, the outcome code, ISO dates, aware UTC times and the roster's
normalised fields — nothing parsed back from a result file) become one check per person and job. Only verdicts are stored: a
non-verdict (信息有误, 平台故障, 未核验 …) says nothing about the person and would inflate the
overview's "核查特种作业人员数". Saving the same job again replaces its checks (idempotent per job),
so a job resumed after a stop can be saved once more.

People are matched by ID number and enterprise (and created when new); a roster that belongs to a
jurisdiction rather than one enterprise finds each row's enterprise by its 统一社会信用代码 or name.
Services flush and never commit: the caller's transaction holds the change and its audit entry.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, insert
from sqlmodel import Session, col, select

from anpei.settings import get_settings
from db.codes import AuditAction, JurisdictionKind, PersonRole
from db.models import CertificateCheck, Enterprise, Person
from db.records.common import InputError, audit, jurisdiction_by_id, sha256_hex
from db.rules.access import AccessDenied, Principal, require_read, require_write
from db.rules.metrics import is_registered_to
from verifier.types import Family, Outcome

MANAGER_TYPES = {"主要负责人": PersonRole.PRINCIPAL, "安全生产管理人员": PersonRole.SAFETY_MANAGER}
DATE_KEYS = ("first_issue_date", "valid_from", "valid_until", "review_due", "review_done")


@dataclass(frozen=True)
class CheckRow:
    """One result row: the verifier's conclusion and what the roster said about the person.

    `dates` holds the platform certificate's `DATE_KEYS`; `checked_at` is timezone-aware."""

    row_number: int
    name: str
    id_number: str
    family: Family
    outcome: Outcome
    warnings: str
    problem: str
    explanation: str
    cert_number: str | None
    category: str | None
    item: str | None
    dates: Mapping[str, dt.date | None]
    issuer: str | None
    checked_at: dt.datetime | None
    roster_item: str | None = None
    person_type: str | None = None
    appointment_date: dt.date | None = None
    enterprise_name: str | None = None
    uscc: str | None = None

    @property
    def role(self) -> PersonRole:
        if self.family is Family.SPECIAL:
            return PersonRole.SPECIAL_WORKER
        return MANAGER_TYPES.get((self.person_type or "").strip(), PersonRole.SAFETY_MANAGER)

    @property
    def person_key(self) -> tuple[str, str, str]:
        return (self.family.value, self.id_number, _norm(self.name))


@dataclass(frozen=True)
class SaveReport:
    job_ref: str
    saved: int = 0
    replaced: int = 0  # checks of an earlier save of the same job, removed
    skipped_non_verdict: int = 0
    skipped_duplicates: int = 0
    people_created: int = 0
    without_enterprise: int = 0  # saved against the jurisdiction only (no enterprise found)

    @property
    def summary(self) -> str:
        parts = [f"已保存 {self.saved} 条核验结论"]
        if self.replaced:
            parts.append(f"替换本任务此前保存的 {self.replaced} 条")
        if self.people_created:
            parts.append(f"新建人员 {self.people_created} 人")
        if self.skipped_non_verdict:
            parts.append(f"{self.skipped_non_verdict} 行不是结论（信息有误、平台故障、未核验等），未保存")
        if self.skipped_duplicates:
            parts.append(f"{self.skipped_duplicates} 行为同一人的重复行，只保存一次")
        if self.without_enterprise:
            parts.append(f"{self.without_enterprise} 人找不到所在企业，只记在辖区名下")
        return "；".join(parts) + "。"


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _cut(text: str | None, size: int) -> str | None:
    return (text or "")[:size] or None


# --- matching --------------------------------------------------------------------------------


class _EnterpriseFinder:
    """Find a row's enterprise by 统一社会信用代码, else by exact name (within the jurisdiction)."""

    def __init__(self, session: Session, *, jurisdiction_id: int | None) -> None:
        stmt = select(Enterprise)
        if jurisdiction_id is not None:
            stmt = stmt.where(is_registered_to(jurisdiction_id))
        self.by_uscc: dict[str, Enterprise] = {}
        self.by_name: dict[str, Enterprise] = {}
        for e in session.exec(stmt).all():
            if e.uscc:
                self.by_uscc[e.uscc.upper()] = e
            self.by_name.setdefault(_norm(e.name), e)

    def find(self, row: CheckRow) -> Enterprise | None:
        if row.uscc and row.uscc in self.by_uscc:
            return self.by_uscc[row.uscc]
        if row.enterprise_name:
            return self.by_name.get(_norm(row.enterprise_name))
        return None


class _People:
    """The people of the job's ID numbers, loaded in a few queries (not one per row); new ones are
    added to the session and flushed together."""

    CHUNK = 500

    def __init__(self, session: Session, id_numbers: set[str]) -> None:
        self.session = session
        self.by_key: dict[tuple[str, int], list[Person]] = {}
        numbers = sorted(id_numbers)
        for start in range(0, len(numbers), self.CHUNK):
            chunk = numbers[start : start + self.CHUNK]
            stmt = select(Person).where(col(Person.id_number).in_(chunk)).order_by(col(Person.id))
            for person in session.exec(stmt).all():
                self.by_key.setdefault((person.id_number, int(person.enterprise_id)), []).append(person)

    def get(self, row: CheckRow, enterprise: Enterprise) -> tuple[Person, bool]:
        """The person with this ID at this enterprise (same role preferred); created when new."""
        assert enterprise.id is not None
        found = self.by_key.get((row.id_number, enterprise.id), [])
        same_role = [p for p in found if p.role == row.role.value]
        if same_role or found:
            person = (same_role or found)[0]
            if row.appointment_date and person.appointment_date is None:
                person.appointment_date = row.appointment_date
            return person, False
        person = Person(
            name=row.name[:50],
            id_number=row.id_number,
            role=row.role.value,
            enterprise_id=enterprise.id,
            appointment_date=row.appointment_date,
            operation_item=(row.roster_item or row.item or None) if row.family is Family.SPECIAL else None,
        )
        self.session.add(person)
        self.by_key.setdefault((row.id_number, enterprise.id), []).append(person)
        return person, True


# --- saving ----------------------------------------------------------------------------------


def _target(
    session: Session, *, principal: Principal, enterprise_id: int | None, jurisdiction_id: int | None
) -> tuple[Enterprise | None, int]:
    if (enterprise_id is None) == (jurisdiction_id is None):
        raise InputError("请选择名单所属的企业或辖区（二选一）")
    if enterprise_id is not None:
        enterprise = session.get(Enterprise, enterprise_id)
        if enterprise is None:
            raise InputError(f"企业 {enterprise_id} 不存在")
        owners = {enterprise.jurisdiction_id, enterprise.member_unit_id} - {None}
        if not principal.sees_all and principal.jurisdiction_id not in owners:
            raise AccessDenied("只能保存本乡镇（部门）企业的核验结果")
        jid = enterprise.jurisdiction_id if principal.sees_all else principal.jurisdiction_id
        assert jid is not None
        require_write(principal, jid)
        return enterprise, jid
    assert jurisdiction_id is not None
    jurisdiction_by_id(session, jurisdiction_id)
    require_write(principal, jurisdiction_id)
    return None, jurisdiction_id


def save_job_results(
    session: Session,
    *,
    principal: Principal,
    job_ref: str,
    as_of: dt.date,
    rows: Sequence[CheckRow],
    enterprise_id: int | None = None,
    jurisdiction_id: int | None = None,
    source: str = "verifier",
    evidence_ref: str | None = None,
) -> SaveReport:
    """Store a job's verdicts against people and the enterprise (or jurisdiction) the roster belongs to.

    `rows` carry full ID numbers. Exactly one of `enterprise_id` and `jurisdiction_id`. Saving a
    `job_ref` again replaces its earlier checks. Audited as an import.
    """
    if not job_ref.strip():
        raise InputError("缺少任务编号，无法保存核验结果")
    enterprise, jid = _target(
        session, principal=principal, enterprise_id=enterprise_id, jurisdiction_id=jurisdiction_id
    )
    for row in rows:
        if row.checked_at is not None and row.checked_at.tzinfo is None:
            raise InputError(f"第 {row.row_number} 行的核验时间缺少时区，无法保存")
    earlier = session.execute(
        select(CertificateCheck.jurisdiction_id, func.count())
        .where(col(CertificateCheck.job_ref) == job_ref)
        .group_by(col(CertificateCheck.jurisdiction_id))
    ).all()
    for earlier_jid, _n in earlier:
        if earlier_jid is not None:
            require_write(principal, int(earlier_jid))
    replaced = sum(int(n) for _jid, n in earlier)
    if replaced:
        session.execute(delete(CertificateCheck).where(col(CertificateCheck.job_ref) == job_ref))
    finder = None
    if enterprise is None:  # a county-level roster may name any enterprise of the county
        county = jurisdiction_by_id(session, jid).kind == JurisdictionKind.COUNTY.value
        finder = _EnterpriseFinder(session, jurisdiction_id=None if county else jid)
    seen: set[tuple[str, str, str]] = set()
    non_verdict = duplicates = created = unplaced = 0
    placed: list[tuple[CheckRow, Enterprise | None, Person | None]] = []
    for row in rows:
        if not row.outcome.is_verdict:
            non_verdict += 1
            continue
        if row.person_key in seen:
            duplicates += 1
            continue
        seen.add(row.person_key)
        placed.append(
            (row, enterprise if enterprise is not None else (finder.find(row) if finder else None), None)
        )
    people = _People(session, {row.id_number for row, place, _ in placed if place is not None})
    for index, (row, place, _) in enumerate(placed):
        if place is not None and len(row.id_number) == 18:
            person, new = people.get(row, place)
            created += new
            placed[index] = (row, place, person)
        else:
            unplaced += 1
    session.flush()  # the new people, together: their ids for the checks
    now = dt.datetime.now(dt.UTC)
    checks = [
        {
            "person_id": person.id if person else None,
            "enterprise_id": place.id if place else None,
            "jurisdiction_id": jid,
            "family": row.family.value,
            "outcome": row.outcome.value,
            "warnings": row.warnings[:300],
            "problem": row.problem[:20],
            "explanation": row.explanation,
            "cert_number": _cut(row.cert_number, 40),
            "category": _cut(row.category, 50),
            "item": _cut(row.item, 80) or _cut(row.roster_item, 80),
            "issuer": _cut(row.issuer, 100),
            "as_of": as_of,
            "checked_at": row.checked_at or now,
            "source": source[:20],
            "job_ref": job_ref[:64],
            "evidence_ref": evidence_ref,
            **{key: row.dates.get(key) for key in DATE_KEYS},
        }
        for row, place, person in placed
    ]
    for start in range(0, len(checks), 1000):
        session.execute(insert(CertificateCheck), checks[start : start + 1000])
    saved = len(checks)
    session.flush()
    report = SaveReport(job_ref, saved, replaced, non_verdict, duplicates, created, unplaced)
    where = enterprise.name if enterprise is not None else jurisdiction_by_id(session, jid).name
    audit(
        session,
        principal=principal,
        action=AuditAction.IMPORT,
        entity="certificatecheck",
        entity_id=job_ref,
        after={"saved": saved, "replaced": replaced, "people_created": created, "as_of": as_of},
        detail=f"保存证书核验结果（{where}，{job_ref}）：{report.summary}",
    )
    return report


def saved_job_refs(session: Session, *, refs: Sequence[str]) -> dict[str, int]:
    """How many checks each of these job references has stored (absent: not saved yet)."""
    if not refs:
        return {}
    rows = session.execute(
        select(CertificateCheck.job_ref, func.count())
        .where(col(CertificateCheck.job_ref).in_(list(refs)))
        .group_by(col(CertificateCheck.job_ref))
    ).all()
    return {str(ref): int(n) for ref, n in rows}


@dataclass(frozen=True)
class EnterpriseChoice:
    id: int
    name: str
    uscc: str
    jurisdiction_id: int


def enterprise_choices(
    session: Session, *, principal: Principal, jurisdiction_id: int, limit: int = 5000
) -> list[EnterpriseChoice]:
    """Active enterprises located in or supervised by the jurisdiction, by name (for choosing a roster's owner)."""
    require_read(principal, jurisdiction_id)
    stmt = (
        select(Enterprise)
        .where(
            col(Enterprise.active),
            is_registered_to(jurisdiction_id),
        )
        .order_by(col(Enterprise.name))
        .limit(limit)
    )
    return [
        EnterpriseChoice(int(e.id or 0), e.name, e.uscc or "", e.jurisdiction_id)
        for e in session.exec(stmt).all()
    ]


def store_page(*, data: bytes, filename: str, upload_dir: Path | None = None) -> str:
    """Keep a saved platform result page (HTML) as evidence under Settings.upload_dir/evidence/;
    the path relative to upload_dir (named by content hash, so a page uploaded twice is stored once)."""
    settings = get_settings()
    if Path(filename).suffix.lower() not in (".html", ".htm"):
        raise InputError(f"不支持的文件类型“{filename}”，请上传从查询平台保存的 .html 页面")
    if not data:
        raise InputError(f"文件“{filename}”是空的")
    if len(data) > settings.max_upload_mb * 1024 * 1024:
        raise InputError(f"文件“{filename}”超过上限 {settings.max_upload_mb} MB")
    relative = Path("evidence") / f"{sha256_hex(data)[:24]}.html"
    target = (upload_dir or settings.upload_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_bytes(data)
    return relative.as_posix()


def job_ref_for(job_id: int, created_at: str) -> str:
    """The stored reference of a verifier job: its id and creation time (ids restart with a new store)."""
    stamp = "".join(ch for ch in created_at if ch.isdigit())[:14]
    return f"verifier:{job_id}:{stamp}"


__all__ = [
    "CheckRow",
    "EnterpriseChoice",
    "SaveReport",
    "enterprise_choices",
    "job_ref_for",
    "save_job_results",
    "saved_job_refs",
    "store_page",
]
