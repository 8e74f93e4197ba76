"""Fixtures for the data-input tests: the tiny county (tests/kits/inputkit.py), an upload directory,
the county in a file the pages read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.kits.countykit import County
from tests.kits.inputkit import build_county


@pytest.fixture
def county(engine: Engine) -> County:
    return build_county(engine)


@pytest.fixture
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings.upload_dir pointed at a temp directory."""
    from anpei.settings import get_settings

    target = tmp_path / "uploads"
    monkeypatch.setenv("ANPEI_UPLOAD_DIR", str(target))
    get_settings.cache_clear()
    yield target
    get_settings.cache_clear()


@pytest.fixture
def page_county(
    migrated_sqlite_url: str, monkeypatch: pytest.MonkeyPatch, uploads: Path, clean_streamlit_caches: None
) -> Iterator[County]:
    """The tiny county in a SQLite file the pages read through DATABASE_URL; clean Streamlit caches."""
    from db.engine import make_engine

    url = migrated_sqlite_url
    engine = make_engine(url)
    monkeypatch.setenv("DATABASE_URL", url)
    yield build_county(engine)
    engine.dispose()
