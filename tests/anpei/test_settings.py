"""Settings are read one way (`get_settings`) and a database URL is rewritten for the driver in one
place (`anpei.settings.normalise_url`), for the dashboard's database and the verifier's job store."""

from __future__ import annotations

import pytest

from anpei.settings import get_settings, normalise_url
from db.engine import make_engine
from verifier.store import make_store_engine


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u@db.example:5432/anpei", "postgresql+psycopg://u@db.example:5432/anpei"),
        ("postgresql://u@db.example/anpei", "postgresql+psycopg://u@db.example/anpei"),
        ("postgresql+psycopg://u@db.example/anpei", "postgresql+psycopg://u@db.example/anpei"),
        ("sqlite:///var/anpei.db", "sqlite:///var/anpei.db"),
    ],
)
def test_one_rewrite_for_both_engines(given: str, used: str) -> None:
    assert normalise_url(given) == used
    if given.startswith("postgres"):  # building an engine does not connect
        assert make_engine(given).url.drivername == "postgresql+psycopg"
        assert make_store_engine(given).url.drivername == "postgresql+psycopg"


def test_the_dashboard_reads_the_database_url_through_get_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import data

    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/first.db")
    assert data.database_url() == get_settings().database_url == "sqlite:////tmp/first.db"
    assert get_settings() is get_settings()  # built once, not per call
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/second.db")  # the tests' monkeypatch forgets it
    assert data.database_url() == "sqlite:////tmp/second.db"
