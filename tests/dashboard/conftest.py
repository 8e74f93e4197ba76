"""Fixtures for the dashboard tests: seeded databases and a clean Streamlit cache per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.engine import Engine

from db.engine import make_engine

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
SMALL_SCALE = 0.05  # about 125 enterprises: every page has something to show, seeding takes < 1 s


@pytest.fixture
def seeded_engine(engine: Engine) -> Engine:
    """The sample county at a small scale, on SQLite and on PostgreSQL."""
    from db.sample.seed import seed_sample

    seed_sample(engine, scale=SMALL_SCALE)
    return engine


@pytest.fixture(scope="module")
def sample_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A seeded SQLite file for the AppTest runs of one test module (seeded once)."""
    from db.sample.seed import seed_sample

    url = f"sqlite:///{tmp_path_factory.mktemp('dash') / 'sample.db'}"
    engine = make_engine(url)
    seed_sample(engine, scale=SMALL_SCALE)
    engine.dispose()
    yield url


@pytest.fixture
def campaign_engine(engine: Engine) -> Engine:
    """A migrated database holding only the default campaign (phases, check items, rules)."""
    from sqlmodel import Session

    from db.campaign_defaults import ensure_default_campaign

    with Session(engine) as session:
        ensure_default_campaign(session)
        session.commit()
    return engine


@pytest.fixture
def clean_streamlit_caches() -> Iterator[None]:
    """The cached engine would otherwise leak the previous test's database."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
