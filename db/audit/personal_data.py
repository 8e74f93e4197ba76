"""Personal data: revealing a full ID number on request, and purging people who have left.

Screens and files show `Person.id_masked`. The full number is returned only by
`reveal_id_number`, only to roles that may see it (`Principal.may_reveal_ids`) and only for people
of a jurisdiction the principal may read; every reveal is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select, update

from anpei.masking import mask_id
from db.audit import trail
from db.codes import AuditAction
from db.models import CertificateCheck, Enterprise, Person
from db.rules.access import AccessDenied, Principal, can_read, require_read

# Fields of a certificate check that point at one person; cleared when the person is purged.
# Outcome, problem, dates and the enterprise stay, so monthly statistics do not change.
CHECK_PERSONAL_FIELDS = ("person_id", "cert_number", "evidence_ref", "explanation")


class PersonNotFound(LookupError):
    """No such person (or not one the principal may read: the two are not told apart)."""


def _may_read_person(session: Session, principal: Principal, person: Person) -> bool:
    enterprise = session.get(Enterprise, person.enterprise_id)
    if enterprise is None:
        return principal.sees_all
    return can_read(principal, enterprise.jurisdiction_id) or (
        enterprise.member_unit_id is not None and can_read(principal, enterprise.member_unit_id)
    )


def reveal_id_number(
    session: Session, *, principal: Principal, person_id: int, now: dt.datetime | None = None
) -> str:
    """The full ID number of a person, logged as a reveal. Commits (the log entry must stay).

    AccessDenied for roles that see masks only; PersonNotFound for an unknown person or one of
    another jurisdiction (so ids of other townships cannot be probed).
    """
    if not principal.may_reveal_ids:
        raise AccessDenied(f"{principal.role.label}账号不能查看完整身份证号")
    person = session.get(Person, person_id)
    if person is None or not _may_read_person(session, principal, person):
        raise PersonNotFound("找不到该人员")
    trail.record(
        session,
        principal=principal,
        action=AuditAction.REVEAL,
        entity="person",
        entity_id=person.id,
        detail=f"查看完整身份证号 {mask_id(person.id_number)}",
        at=now,
    )
    session.commit()
    return person.id_number


@dataclass(frozen=True)
class PersonChoice:
    """A person offered for a reveal: the masked number only."""

    person_id: int
    name: str
    id_masked: str

    @property
    def label(self) -> str:
        return f"{self.name}（{self.id_masked}）"


def problem_people(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    first: dt.date,
    last: dt.date,
    limit: int = 500,
) -> list[PersonChoice]:
    """People whose certificate check by the jurisdiction in [first, last] found a problem, by name
    (the rows of a township page's problem list, to choose whom to reveal). Masked numbers only."""
    require_read(principal, jurisdiction_id)
    stmt = (
        select(Person.id, Person.name, Person.id_number)
        .join(CertificateCheck, col(CertificateCheck.person_id) == col(Person.id))
        .where(
            CertificateCheck.jurisdiction_id == jurisdiction_id,
            col(CertificateCheck.as_of).between(first, last),
            CertificateCheck.problem != "",
        )
        .distinct()
        .order_by(col(Person.name), col(Person.id))
        .limit(limit)
    )
    return [PersonChoice(int(pid or 0), name, mask_id(number)) for pid, name, number in session.exec(stmt)]


@dataclass(frozen=True)
class PurgeReport:
    left_before: dt.date
    people: int
    checks_cleared: int

    def __str__(self) -> str:
        return f"{self.left_before.isoformat()} 前离职人员 {self.people} 人，清除证书核验记录中的个人信息 {self.checks_cleared} 条"


def require_purge(principal: Principal) -> None:
    """Purging is county-wide: administrators and county staff only."""
    if not (principal.is_admin or (principal.can_write and principal.sees_all)):
        raise AccessDenied("只有管理员或县局工作人员可以清除离职人员信息")


def purge_people(
    session: Session,
    *,
    principal: Principal,
    left_before: dt.date,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> PurgeReport:
    """Delete people who left before `left_before`, and the personal fields of their checks.

    Each deleted person leaves an audit entry without name or ID number (the purge must not copy
    the data it removes into the log). Flushes; the caller commits (or rolls back for a dry run).
    """
    require_purge(principal)
    people = list(
        session.exec(
            select(Person)
            .where(col(Person.left_on).is_not(None), col(Person.left_on) < left_before)
            .order_by(col(Person.id))
        )
    )
    ids = [p.id for p in people if p.id is not None]
    checks = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        checks += len(
            session.exec(select(CertificateCheck.id).where(col(CertificateCheck.person_id).in_(chunk))).all()
        )
    report = PurgeReport(left_before=left_before, people=len(ids), checks_cleared=checks)
    if dry_run or not ids:
        return report
    cleared = dict.fromkeys(CHECK_PERSONAL_FIELDS)
    cleared["explanation"] = ""
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.exec(
            update(CertificateCheck).where(col(CertificateCheck.person_id).in_(chunk)).values(**cleared)
        )
    for person in people:
        trail.record(
            session,
            principal=principal,
            action=AuditAction.DELETE,
            entity="person",
            entity_id=person.id,
            before={"role": person.role, "enterprise_id": person.enterprise_id, "left_on": person.left_on},
            detail="清除离职人员信息",
            at=now,
        )
        session.delete(person)
    trail.record(
        session,
        principal=principal,
        action=AuditAction.DELETE,
        entity="person",
        detail=str(report),
        at=now,
        after={"left_before": left_before, "people": report.people, "checks_cleared": report.checks_cleared},
    )
    session.flush()
    return report
