"""Revealing full ID numbers (by role and jurisdiction, always logged) and purging people who left."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, col, select

from db.audit.personal_data import PersonNotFound, purge_people, reveal_id_number
from db.codes import AuditAction, Role
from db.models import AuditLog, CertificateCheck, Person
from db.rules.access import SYSTEM, AccessDenied, Principal
from tests.kits.accountkit import NOW, World


def _log(session: Session) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).order_by(col(AuditLog.id))))


# (role, own jurisdiction, person) -> may reveal?
CASES = [
    (Role.COUNTY_STAFF, None, "甲镇1", True),
    (Role.COUNTY_STAFF, None, "乙镇1", True),
    (Role.LOCAL_STAFF, "甲镇", "甲镇1", True),
    (Role.LOCAL_STAFF, "甲镇", "乙镇1", False),  # another township
    (Role.LOCAL_STAFF, "应急局", "乙镇1", True),  # the member unit supervising that enterprise
    (Role.LOCAL_STAFF, "应急局", "甲镇1", False),
    (Role.LEADER, None, "甲镇1", False),  # masks only
    (Role.ADMIN, None, "甲镇1", False),
]


@pytest.mark.parametrize("role,home,person,allowed", CASES)
def test_reveal_by_role_and_jurisdiction(
    world: World, session: Session, role: Role, home: str | None, person: str, allowed: bool
) -> None:
    who = world.principal("viewer", role, jurisdiction=home)
    person_id = world.ids[person]
    if allowed:
        assert (
            reveal_id_number(session, principal=who, person_id=person_id, now=NOW) == world.id_numbers[person]
        )
        (entry,) = _log(session)
        assert (entry.action, entry.entity, entry.entity_id, entry.user_id) == (
            AuditAction.REVEAL.value,
            "person",
            str(person_id),
            who.user_id,
        )
        full = world.id_numbers[person]
        assert full not in repr((entry.detail, entry.before, entry.after))
        assert entry.detail.endswith(full[:6] + "********" + full[-4:])
    else:
        expected = AccessDenied if role in (Role.LEADER, Role.ADMIN) else PersonNotFound
        with pytest.raises(expected):
            reveal_id_number(session, principal=who, person_id=person_id)
        assert _log(session) == []


def test_reveal_unknown_person_looks_like_another_townships(world: World, session: Session) -> None:
    who = world.principal("viewer", Role.LOCAL_STAFF, jurisdiction="甲镇")
    with pytest.raises(PersonNotFound, match="找不到该人员"):
        reveal_id_number(session, principal=who, person_id=987_654)


def test_purge_removes_people_who_left_and_personal_fields(world: World, session: Session) -> None:
    report = purge_people(session, principal=SYSTEM, left_before=dt.date(2023, 1, 1), now=NOW)
    session.commit()
    assert (report.people, report.checks_cleared) == (2, 2)
    remaining = {p.name for p in session.exec(select(Person))}
    assert remaining == {"测试甲镇1", "测试乙镇1"}
    checks = list(session.exec(select(CertificateCheck).order_by(col(CertificateCheck.id))))
    assert len(checks) == 4  # the statistics stay
    purged = [c for c in checks if c.person_id is None]
    assert len(purged) == 2
    assert all((c.cert_number, c.evidence_ref, c.explanation) == (None, None, "") for c in purged)
    assert all(c.outcome == "valid" and c.enterprise_id for c in purged)
    kept = [c for c in checks if c.person_id is not None]
    assert all(c.cert_number and c.explanation for c in kept)
    entries = _log(session)
    assert [e.action for e in entries] == [AuditAction.DELETE.value] * 3
    assert entries[-1].detail == str(report)
    gone = [world.id_numbers["甲镇0"], world.id_numbers["乙镇0"], "测试甲镇0", "测试乙镇0"]
    for entry in entries:
        text = repr((entry.detail, entry.before, entry.after, entry.entity_id))
        assert not any(g in text for g in gone)
        assert not any(g[:6] + "********" in text for g in gone[:2])


def test_purge_dry_run_changes_nothing(world: World, session: Session) -> None:
    report = purge_people(session, principal=SYSTEM, left_before=dt.date(2030, 1, 1), dry_run=True)
    session.commit()
    assert report.people == 2
    assert len(session.exec(select(Person)).all()) == 4 and _log(session) == []


def test_purge_cutoff_is_exclusive(world: World, session: Session) -> None:
    assert purge_people(session, principal=SYSTEM, left_before=dt.date(2022, 6, 30)).people == 0
    assert _log(session) == []


@pytest.mark.parametrize("role", [Role.LEADER, Role.LOCAL_STAFF])
def test_purge_refused_for_roles_without_county_write(world: World, session: Session, role: Role) -> None:
    who: Principal = world.principal(
        "someone", role, jurisdiction="甲镇" if role is Role.LOCAL_STAFF else None
    )
    with pytest.raises(AccessDenied):
        purge_people(session, principal=who, left_before=dt.date(2030, 1, 1))


def test_admin_may_purge(world: World, session: Session, admin: Principal) -> None:
    assert purge_people(session, principal=admin, left_before=dt.date(2030, 1, 1)).people == 2
