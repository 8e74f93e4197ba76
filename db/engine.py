"""Engine factory and session helper. The URL comes from `Settings.database_url`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session, create_engine

from anpei.settings import get_settings, normalise_url, private_file


class DatabaseUrlError(ValueError):
    """DATABASE_URL cannot be used; the message is one clear Chinese line."""


def make_engine(url: str | None = None, *, echo: bool = False) -> Engine:
    """An engine for `url` (default: Settings.database_url). Statement parameters (names, ID numbers)
    are kept out of error messages and logs (`hide_parameters`)."""
    raw = url or get_settings().database_url
    try:
        parsed = make_url(normalise_url(raw))
    except ArgumentError as exc:
        raise DatabaseUrlError(
            f"DATABASE_URL 格式不正确：{raw!r}（示例：sqlite:///var/anpei.db 或 postgresql://用户@主机:5432/库名）"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_file(Path(parsed.database))  # 0600: names and ID numbers
        engine = create_engine(
            parsed, echo=echo, hide_parameters=True, connect_args={"check_same_thread": False}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        return create_engine(parsed, echo=echo, hide_parameters=True, pool_pre_ping=True)
    raise DatabaseUrlError(f"不支持的数据库类型：{backend}（只支持 sqlite 与 postgresql）")


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    return make_engine(url or get_settings().database_url, echo=get_settings().sql_echo)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine or get_engine()) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
