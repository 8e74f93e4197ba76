"""Fixtures for the staff-workflow tests: a tiny county, a seeded sample county, a running verifier
service against the platform double, clean Streamlit caches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db.access import Principal
from db.codes import JurisdictionKind, Role, Sector
from db.engine import make_engine
from db.models import AuditLog, Enterprise, Jurisdiction
from tests.staff.kit import ServiceRun, start_service

ROOT = Path(__file__).resolve().parents[2]
SMALL_SCALE = 0.05


@dataclass
class County:
    """Two townships, a member unit and a handful of enterprises (every name synthetic)."""

    engine: Engine
    url: str = ""
    ids: dict[str, int] = field(default_factory=dict)

    def principal(self, role: Role, jurisdiction: str | None = None) -> Principal:
        jid = self.ids[jurisdiction] if jurisdiction else None
        return Principal(username=f"{role.value}-{jurisdiction or 'all'}", role=role, jurisdiction_id=jid)

    @property
    def county_staff(self) -> Principal:
        return self.principal(Role.COUNTY_STAFF)

    @property
    def leader(self) -> Principal:
        return self.principal(Role.LEADER)

    def township(self, name: str) -> Principal:
        return self.principal(Role.LOCAL_STAFF, name)

    def session(self) -> Session:
        return Session(self.engine)

    def audit_entries(self, *, action: str | None = None, entity: str | None = None) -> list[AuditLog]:
        with Session(self.engine) as s:
            stmt = select(AuditLog)
            if action:
                stmt = stmt.where(AuditLog.action == action)
            if entity:
                stmt = stmt.where(AuditLog.entity == entity)
            return list(s.exec(stmt).all())


def build_county(engine: Engine, url: str = "") -> County:
    from db.campaign_defaults import ensure_default_campaign

    c = County(engine, url)
    with Session(engine) as s:
        ensure_default_campaign(s)
        places = [("三合街道", JurisdictionKind.TOWNSHIP), ("名山街道", JurisdictionKind.TOWNSHIP),
                  ("县经信委", JurisdictionKind.MEMBER_UNIT)]  # fmt: skip
        for order, (name, kind) in enumerate(places):
            j = Jurisdiction(code=f"J{order:02d}", name=name, kind=kind.value, sort_order=order)
            s.add(j)
            s.flush()
            c.ids[name] = int(j.id or 0)
        ents = [
            ("三合化工有限公司", Sector.HAZCHEM, "三合街道", "县经信委"),
            ("三合机械厂", Sector.INDUSTRY_TRADE, "三合街道", None),
            ("名山采石场", Sector.NONCOAL_MINE, "名山街道", None),
        ]
        for n, (name, sector, town, unit) in enumerate(ents):
            e = Enterprise(
                name=name, sector=sector.value, jurisdiction_id=c.ids[town],
                member_unit_id=c.ids[unit] if unit else None, uscc=f"91500230MA{n:07d}X",
                created_at=dt.datetime(2023, 1, 1, tzinfo=dt.UTC),
            )  # fmt: skip
            s.add(e)
            s.flush()
            c.ids[name] = int(e.id or 0)
        s.commit()
    return c


@pytest.fixture
def county(db_url_engine: tuple[str, Engine]) -> County:
    """The tiny county on SQLite and on PostgreSQL (migrated)."""
    from db import migrate

    url, engine = db_url_engine
    migrate.upgrade(engine)
    return build_county(engine, url)


@pytest.fixture(scope="module")
def sample_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The seeded sample county (small scale) in a SQLite file, seeded once per module."""
    from db.sample.seed import seed_sample

    url = f"sqlite:///{tmp_path_factory.mktemp('staff') / 'sample.db'}"
    engine = make_engine(url)
    seed_sample(engine, scale=SMALL_SCALE)
    engine.dispose()
    yield url


@pytest.fixture
def clean_streamlit_caches() -> Iterator[None]:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ServiceRun]:
    """The double (fixed captcha 8888) and the verifier service, both on free loopback ports."""
    with start_service(tmp_path, people_count=12) as run:
        yield run


@pytest.fixture
def queue_service(tmp_path: Path) -> Iterator[ServiceRun]:
    """As `service`, but jobs default to the captcha queue: a person must type every code."""
    with start_service(tmp_path, people_count=12, default_captcha="queue") as run:
        yield run
