"""Fixtures for the dashboard tests: seeded databases (`sample_url` and `clean_streamlit_caches` come
from tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
SMALL_SCALE = 0.05  # the scale of tests/conftest.py's sample_url (about 125 enterprises)


@pytest.fixture
def seeded_engine(engine: Engine) -> Engine:
    """The sample county at a small scale, on SQLite and on PostgreSQL."""
    from db.sample.seed import seed_sample

    seed_sample(engine, scale=SMALL_SCALE, demo_accounts=True)
    return engine


@pytest.fixture
def campaign_engine(engine: Engine) -> Engine:
    """A migrated database holding only the default campaign (phases, check items, rules)."""
    from sqlmodel import Session

    from db.campaign_defaults import ensure_default_campaign

    with Session(engine) as session:
        ensure_default_campaign(session)
        session.commit()
    return engine
