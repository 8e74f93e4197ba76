"""Secrets of at least 32 characters, a verifier without a token only in demo mode, SQLite files
created 0600 (issue 11 item 11)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from anpei.settings import MIN_SECRET_LENGTH, Settings
from db.engine import make_engine
from verifier.service import OpenBindRefused, serve
from verifier.store import make_store_engine


@pytest.mark.parametrize("name", ["ANPEI_SECRET_KEY", "ANPEI_VERIFIER_TOKEN"])
def test_short_secrets_are_refused_with_a_chinese_message(name: str) -> None:
    with pytest.raises(ValidationError, match=f"{name} 太短（12 个字符）：至少需要 32 个字符"):
        Settings(_env_file=None, **{name: "short-secret"})  # type: ignore[call-arg, arg-type]
    long = "x7" * (MIN_SECRET_LENGTH // 2)
    settings = Settings(_env_file=None, **{name: long})  # type: ignore[call-arg, arg-type]
    assert long in (settings.secret_key, settings.verifier_token)


def test_unset_secrets_stay_allowed() -> None:
    settings = Settings(_env_file=None, ANPEI_SECRET_KEY="")  # type: ignore[call-arg]
    assert settings.secret_key == "" and settings.verifier_token is None


def test_the_verifier_starts_without_a_token_only_in_demo_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    started: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: started.append(kwargs["host"]))
    plain = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(OpenBindRefused, match="只有演示（anpei demo）可以不设"):
        serve(host="127.0.0.1", port=1, settings=plain)
    assert started == []
    serve(host="127.0.0.1", port=1, settings=Settings(_env_file=None, ANPEI_DEMO="1"))  # type: ignore[call-arg]
    token = "t" * MIN_SECRET_LENGTH
    serve(host="127.0.0.1", port=1, settings=Settings(_env_file=None, ANPEI_VERIFIER_TOKEN=token))  # type: ignore[call-arg]
    assert started == ["127.0.0.1", "127.0.0.1"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sqlite_files_are_created_readable_by_the_owner_only(tmp_path: Path) -> None:
    for name, factory in (("anpei.db", make_engine), ("verifier.db", make_store_engine)):
        path = tmp_path / "var" / name
        engine = factory(f"sqlite:///{path}")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        assert _mode(path) == 0o600, (name, oct(_mode(path)))
        for side in path.parent.glob(name + "-*"):  # -wal and -shm take the database file's mode
            assert _mode(side) == 0o600, (side.name, oct(_mode(side)))
        engine.dispose()
