"""Database commands: `anpei db upgrade`, `anpei db seed`, `anpei summary`."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from db.engine import DatabaseUrlError, make_engine

db_app = typer.Typer(help="数据库：建表升级、载入示例县数据。", no_args_is_help=True, rich_markup_mode=None)


def fail(message: str, code: int = 1) -> NoReturn:
    """One clear Chinese line on stderr and a non-zero exit, never a traceback."""
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code)


def open_engine(url: str | None):  # type: ignore[no-untyped-def]
    try:
        engine = make_engine(url)
        with engine.connect():
            pass
        return engine
    except DatabaseUrlError as exc:
        fail(str(exc))
    except OperationalError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        fail(f"无法连接数据库（DATABASE_URL={engine.url.render_as_string(hide_password=True)}）：{first}")


@db_app.command("upgrade")
def upgrade_cmd(
    database_url: str | None = typer.Option(None, "--database-url", envvar="DATABASE_URL", help="数据库地址，默认读取 DATABASE_URL。"),
) -> None:
    """把数据库结构升级到最新版本（首次使用时建表）。"""
    from db import migrate

    engine = open_engine(database_url)
    try:
        migrate.upgrade(engine)
    except (OperationalError, ProgrammingError) as exc:
        fail(f"数据库升级失败：{str(getattr(exc, 'orig', exc)).splitlines()[0]}")
    typer.echo(f"数据库已升级到最新版本：{engine.url.render_as_string(hide_password=True)}", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(db_app())
