"""Fixtures for the dashboard tests: seeded databases (`sample_url` and `clean_streamlit_caches` come
from tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")


@pytest.fixture
def seeded_engine(seeded: Engine) -> Engine:
    """The sample county at a small scale, on SQLite and on PostgreSQL (tests/conftest.py's `seeded`)."""
    return seeded


@pytest.fixture
def campaign_engine(engine: Engine) -> Engine:
    """A migrated database holding only the default campaign (phases, check items, rules)."""
    from sqlmodel import Session

    from db.rules.campaign_defaults import ensure_default_campaign

    with Session(engine) as session:
        ensure_default_campaign(session)
        session.commit()
    return engine
