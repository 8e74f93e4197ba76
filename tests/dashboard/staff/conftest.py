"""Fixtures for the staff-workflow tests: a tiny county and a running verifier service against the
platform double (the seeded sample county and clean Streamlit caches come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from db.codes import Sector
from tests.kits.countykit import County, add_enterprises, add_places
from tests.kits.staffkit import ServiceRun, start_service

ROOT = Path(__file__).resolve().parents[3]


def build_county(engine: Engine, url: str = "") -> County:
    c = County(engine, url)
    with Session(engine) as s:
        add_places(s, c)
        add_enterprises(
            s,
            c,
            [
                ("三合化工有限公司", Sector.HAZCHEM, "三合街道", "县经信委"),
                ("三合机械厂", Sector.INDUSTRY_TRADE, "三合街道", None),
                ("名山采石场", Sector.NONCOAL_MINE, "名山街道", None),
            ],
        )
        s.commit()
    return c


@pytest.fixture
def county(db_url_engine: tuple[str, Engine], engine: Engine) -> County:
    """The tiny county on SQLite and on PostgreSQL (migrated)."""
    url = db_url_engine[0]
    return build_county(engine, url)


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
