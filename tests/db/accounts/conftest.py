"""Fixtures for the account tests: a fast password hasher, two townships with people, and users."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine
from sqlmodel import Session

from db.accounts import auth
from db.codes import JurisdictionKind, PersonRole, Role, Sector
from db.models import CertificateCheck, Enterprise, Jurisdiction, Person
from db.rules.access import Principal
from tests.kits.accountkit import FAST, NOW, World, synthetic_id


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> PasswordHasher:
    """Cheap argon2id parameters so tests stay quick; the real ones are tested separately."""
    monkeypatch.setattr(auth, "_hasher", FAST)
    return FAST


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s:
        yield s


@pytest.fixture
def world(session: Session) -> World:
    w = World(session)
    for n, (name, kind) in enumerate(
        [
            ("甲镇", JurisdictionKind.TOWNSHIP),
            ("乙镇", JurisdictionKind.TOWNSHIP),
            ("应急局", JurisdictionKind.MEMBER_UNIT),
        ]
    ):
        row = Jurisdiction(code=f"J{n}", name=name, kind=kind.value, sort_order=n)
        session.add(row)
        session.flush()
        assert row.id is not None
        w.ids[name] = row.id
    for n, town in enumerate(["甲镇", "乙镇"]):
        ent = Enterprise(
            name=f"{town}化工厂",
            sector=Sector.HAZCHEM.value,
            jurisdiction_id=w.ids[town],
            member_unit_id=w.ids["应急局"] if town == "乙镇" else None,
            created_at=NOW,
        )
        session.add(ent)
        session.flush()
        assert ent.id is not None
        w.ids[f"{town}企业"] = ent.id
        for k, left in enumerate([dt.date(2022, 6, 30), None]):
            key = f"{town}{k}"
            number = synthetic_id("500230", f"1980010{n + 1}", 100 + k)
            person = Person(
                name=f"测试{key}",
                id_number=number,
                role=PersonRole.SPECIAL_WORKER.value,
                enterprise_id=ent.id,
                left_on=left,
                active=left is None,
                created_at=NOW,
            )
            session.add(person)
            session.flush()
            assert person.id is not None
            w.ids[key] = person.id
            w.id_numbers[key] = number
            check = CertificateCheck(
                person_id=person.id,
                enterprise_id=ent.id,
                jurisdiction_id=w.ids[town],
                family="special",
                outcome="valid",
                cert_number=f"T{number}",
                explanation=f"{person.name} 证书有效",
                evidence_ref=f"evidence/{person.id}.html",
                as_of=dt.date(2023, 5, 1),
                checked_at=NOW,
            )
            session.add(check)
    session.commit()
    return w


@pytest.fixture
def admin(world: World) -> Principal:
    return world.principal("admin1", Role.ADMIN)
