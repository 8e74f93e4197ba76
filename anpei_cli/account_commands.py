"""Account and personal-data commands: `anpei user add/disable/enable/reset-password/list` and
`anpei purge people`. They act as `db.rules.access.SYSTEM_ADMIN` (audited as `system`).
"""

from __future__ import annotations

import datetime as dt
import sys
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError
from sqlmodel import Session, col, or_, select

from anpei import clock
from anpei_cli.db_commands import DATABASE_URL_OPTION, fail, open_engine
from db.accounts.auth import PasswordPolicyError, password_problem
from db.accounts.users import (
    UserError,
    add_user,
    clean_username,
    disable_user,
    enable_user,
    list_users,
    reset_password,
)
from db.audit.personal_data import PersonNotFound, purge_people
from db.codes import Role
from db.models import Jurisdiction
from db.rules.access import SYSTEM, SYSTEM_ADMIN, AccessDenied

T = TypeVar("T")

user_app = typer.Typer(
    help="账号管理：新增、停用、启用、重置密码、列出账号。", no_args_is_help=True, rich_markup_mode=None
)
purge_app = typer.Typer(
    help="清除个人信息：删除离职人员及其证书核验记录中的个人信息。",
    no_args_is_help=True,
    rich_markup_mode=None,
)

ROLE_HELP = "角色：leader（领导，只读）、county_staff（县局工作人员）、local_staff（乡镇/部门工作人员）、admin（管理员）。"
NOT_MIGRATED = "数据库尚未建表，请先运行 anpei db upgrade"


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    """A session on the configured database; known errors end the command with one Chinese line."""
    engine = open_engine(database_url)
    try:
        with Session(engine) as session:
            yield session
    except (UserError, PasswordPolicyError, AccessDenied, PersonNotFound) as exc:
        fail(str(exc))
    except IntegrityError:
        fail("保存失败：数据与已有记录冲突（例如用户名已存在），请检查后重试")
    except (OperationalError, ProgrammingError, DBAPIError) as exc:
        text = str(exc)
        if "no such table" in text or "does not exist" in text or "no such column" in text:
            fail(NOT_MIGRATED)
        fail(f"数据库操作失败：{text.splitlines()[0]}")
    finally:
        engine.dispose()


def _read_password(*, from_stdin: bool, username: str) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            fail("标准输入中没有读到密码")
        return password
    typed: str = typer.prompt(
        f"{username} 的新密码", hide_input=True, confirmation_prompt="再输入一次", err=True
    )
    return typed


def _jurisdiction_id(session: Session, name: str | None) -> int | None:
    if name is None or not name.strip():
        return None
    wanted = name.strip()
    row = session.exec(
        select(Jurisdiction).where(or_(col(Jurisdiction.name) == wanted, col(Jurisdiction.code) == wanted))
    ).first()
    if row is None:
        fail(f"找不到单位：{wanted}（请使用乡镇（街道）或部门的全称，例如 三合街道）")
    assert row.id is not None
    return row.id


def _role(value: str) -> Role:
    try:
        return Role(Role.from_label(value))
    except ValueError:
        fail(f"角色不正确：{value}。{ROLE_HELP}")


def _run(database_url: str | None, action: Callable[[Session], T]) -> T:
    with _session(database_url) as session:
        result = action(session)
        session.commit()
        return result
    raise AssertionError("unreachable")  # pragma: no cover - _session always yields or exits


PASSWORD_STDIN_OPTION = typer.Option(
    False, "--password-stdin", help="从标准输入读取密码（一行），供脚本使用；不加则交互输入两次。"
)


@user_app.command("add")
def add_cmd(
    username: str = typer.Argument(..., help="用户名（字母、数字、汉字或 _ . -）。"),
    role: str = typer.Option(..., "--role", help=ROLE_HELP),
    jurisdiction: str | None = typer.Option(
        None, "--jurisdiction", help="所属乡镇（街道）或部门的全称；乡镇/部门工作人员必填。"
    ),
    display_name: str = typer.Option("", "--display-name", help="姓名，显示在页面和操作日志中。"),
    password_stdin: bool = PASSWORD_STDIN_OPTION,
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """新增账号（密码至少 10 位，不能全是数字，不能与用户名相同）。"""
    the_role = _role(role)
    try:
        name = clean_username(username)
    except ValueError as exc:
        fail(str(exc))
    password = _read_password(from_stdin=password_stdin, username=name)
    if problem := password_problem(password, username=name):
        fail(problem)

    def act(session: Session) -> str:
        info = add_user(
            session,
            principal=SYSTEM_ADMIN,
            username=name,
            password=password,
            role=the_role,
            jurisdiction_id=_jurisdiction_id(session, jurisdiction),
            display_name=display_name,
        )
        where = f"，所属 {info.jurisdiction_name}" if info.jurisdiction_name else ""
        return f"已新增账号 {info.username}（{info.role_label}{where}）"

    typer.echo(_run(database_url, act), err=True)


@user_app.command("disable")
def disable_cmd(
    username: str = typer.Argument(..., help="要停用的用户名。"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """停用账号：不能再登录，已登录的页面立即失效。"""
    info = _run(database_url, lambda s: disable_user(s, principal=SYSTEM_ADMIN, username=username))
    typer.echo(f"已停用账号 {info.username}", err=True)


@user_app.command("enable")
def enable_cmd(
    username: str = typer.Argument(..., help="要重新启用的用户名。"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """重新启用已停用的账号（同时解除登录锁定）。"""
    info = _run(database_url, lambda s: enable_user(s, principal=SYSTEM_ADMIN, username=username))
    typer.echo(f"已启用账号 {info.username}", err=True)


@user_app.command("reset-password")
def reset_password_cmd(
    username: str = typer.Argument(..., help="要重置密码的用户名。"),
    password_stdin: bool = PASSWORD_STDIN_OPTION,
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """重置密码：解除登录锁定，该账号已登录的页面全部失效。"""
    password = _read_password(from_stdin=password_stdin, username=username.strip())
    info = _run(
        database_url,
        lambda s: reset_password(s, principal=SYSTEM_ADMIN, username=username, password=password),
    )
    typer.echo(f"已重置账号 {info.username} 的密码", err=True)


@user_app.command("list")
def list_cmd(database_url: str | None = DATABASE_URL_OPTION) -> None:
    """列出全部账号（用户名、姓名、角色、所属单位、状态、最近登录）。"""
    users = _run(database_url, lambda s: list_users(s, principal=SYSTEM_ADMIN))
    if not users:
        typer.echo("还没有账号。新增：anpei user add 用户名 --role admin", err=True)
        return
    now = clock.utc_now()
    rows = [
        [
            u.username,
            u.display_name or "-",
            u.role_label,
            u.jurisdiction_name or "全县",
            "已停用" if not u.active else ("已锁定" if u.is_locked(now=now) else "正常"),
            clock.format_local(u.last_login_at, empty="-"),
        ]
        for u in users
    ]
    typer.echo(_text_table(["用户名", "姓名", "角色", "所属单位", "状态", "最近登录"], rows))


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    """Left-aligned columns by display width (a Chinese character is two columns)."""

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)

    widths = [max(width(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = []
    for row in [header, ["-" * w for w in widths], *rows]:
        lines.append(
            "  ".join(cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip()
        )
    return "\n".join(lines)


@purge_app.command("people")
def purge_people_cmd(
    left_before: str = typer.Option(
        ..., "--left-before", help="删除离职日期早于此日期的人员，格式 YYYY-MM-DD。"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="只统计将删除多少人，不做修改。"),
    yes: bool = typer.Option(False, "--yes", "-y", help="不再询问确认（供脚本使用）。"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """删除离职人员，并清除其证书核验记录中的个人信息（统计数字保留；操作记入日志）。"""
    try:
        cutoff = dt.date.fromisoformat(left_before.strip())
    except ValueError:
        fail(f"日期格式不正确：{left_before!r}，应为 YYYY-MM-DD，例如 2023-01-01")
    with _session(database_url) as session:
        preview = purge_people(session, principal=SYSTEM, left_before=cutoff, dry_run=True)
        session.rollback()
        if dry_run or preview.people == 0:
            typer.echo(f"{'（试运行）' if dry_run else ''}将删除：{preview}", err=True)
            return
        if not yes and not typer.confirm(f"将删除：{preview}。此操作不可撤销，确定吗？", err=True):
            fail("已取消，未做任何修改")
        report = purge_people(session, principal=SYSTEM, left_before=cutoff)
        session.commit()
        typer.echo(f"已删除：{report}", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(purge_app, name="purge")
