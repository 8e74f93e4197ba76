"""`anpei user …` and `anpei purge people` through the real CLI (in-process CliRunner)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from anpei_cli.cli import app
from db.accounts import auth
from db.accounts.auth import authenticate
from db.codes import AuditAction, JurisdictionKind, PersonRole, Role, Sector
from db.models import AuditLog, Enterprise, Jurisdiction, Person, User
from tests.kits.accountkit import FAST, NOW, synthetic_id

PASSWORD = "Cli-peixun-2024"


@pytest.fixture
def cli_db(
    db_url_engine: tuple[str, Engine], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, Engine]:
    url = db_url_engine[0]
    monkeypatch.setattr(auth, "_hasher", FAST)
    with Session(engine) as session:
        session.add(Jurisdiction(code="T01", name="三合街道", kind=JurisdictionKind.TOWNSHIP.value))
        session.commit()
    return url, engine


def run(url: str, *args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--database-url", url], input=input)
    return result.exit_code, result.stdout, result.stderr


def _entries(engine: Engine) -> list[AuditLog]:
    with Session(engine) as session:
        return list(session.exec(select(AuditLog).order_by(col(AuditLog.id))))


def test_add_with_prompt_then_login(cli_db: tuple[str, Engine]) -> None:
    url, engine = cli_db
    code, _, err = run(
        url,
        "user",
        "add",
        "zhang_san",
        "--role",
        "local_staff",
        "--jurisdiction",
        "三合街道",
        "--display-name",
        "张三",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert code == 0, err
    assert "已新增账号 zhang_san（乡镇/部门工作人员，所属 三合街道）" in err
    with Session(engine) as session:
        principal = authenticate(session, username="zhang_san", password=PASSWORD, now=NOW)
        assert principal.role is Role.LOCAL_STAFF and principal.display_name == "张三"
    (created, _login) = _entries(engine)
    assert (created.action, created.username) == (AuditAction.CREATE.value, "system")
    assert PASSWORD not in repr((created.after, created.detail))


def test_add_with_password_stdin(cli_db: tuple[str, Engine]) -> None:
    url, engine = cli_db
    code, _, err = run(
        url, "user", "add", "boss", "--role", "admin", "--password-stdin", input=PASSWORD + "\n"
    )
    assert code == 0, err
    with Session(engine) as session:
        assert authenticate(session, username="boss", password=PASSWORD, now=NOW).role is Role.ADMIN


def test_prompt_mismatch_is_asked_again(cli_db: tuple[str, Engine]) -> None:
    url, _ = cli_db
    code, out, err = run(
        url,
        "user",
        "add",
        "boss",
        "--role",
        "admin",
        input=f"{PASSWORD}\nother-password-1\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert code == 0, err
    assert out.strip() == ""  # prompts go to stderr (the runner echoes the hidden input's newlines)
    assert PASSWORD not in err


@pytest.mark.parametrize(
    "args,stdin,message",
    [
        (["user", "add", "x1", "--role", "god", "--password-stdin"], PASSWORD, "角色不正确"),
        (["user", "add", "x1", "--role", "local_staff", "--password-stdin"], PASSWORD, "必须指定所属"),
        (
            ["user", "add", "x1", "--role", "local_staff", "--jurisdiction", "火星镇", "--password-stdin"],
            PASSWORD,
            "找不到单位：火星镇",
        ),
        (["user", "add", "x1", "--role", "admin", "--password-stdin"], "1234567890", "密码不能全是数字"),
        (["user", "add", "x1", "--role", "admin", "--password-stdin"], "short", "至少需要 10 位"),
        (["user", "add", "x1", "--role", "admin", "--password-stdin"], "", "没有读到密码"),
        (
            ["user", "add", "x'; DROP TABLE user;--", "--role", "admin", "--password-stdin"],
            PASSWORD,
            "用户名须为",
        ),
        (["user", "disable", "ghost"], None, "用户不存在：ghost"),
        (["user", "reset-password", "ghost", "--password-stdin"], PASSWORD, "用户不存在：ghost"),
        (["purge", "people", "--left-before", "2023-13-01"], None, "日期格式不正确"),
    ],
)
def test_one_line_chinese_errors(
    cli_db: tuple[str, Engine], args: list[str], stdin: str | None, message: str
) -> None:
    url, _ = cli_db
    code, _, err = run(url, *args, input=None if stdin is None else stdin + "\n")
    assert code == 1
    assert message in err and err.startswith("错误：") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_duplicate_user(cli_db: tuple[str, Engine]) -> None:
    url, _ = cli_db
    assert (
        run(url, "user", "add", "boss", "--role", "admin", "--password-stdin", input=PASSWORD + "\n")[0] == 0
    )
    code, _, err = run(
        url, "user", "add", "BOSS", "--role", "admin", "--password-stdin", input=PASSWORD + "\n"
    )
    assert code == 1 and "用户名已存在：boss" in err


def test_disable_enable_reset_and_list(cli_db: tuple[str, Engine]) -> None:
    url, engine = cli_db
    for name, role in [("boss", "admin"), ("clerk", "county_staff"), ("chief", "领导")]:
        assert (
            run(url, "user", "add", name, "--role", role, "--password-stdin", input=PASSWORD + "\n")[0] == 0
        )
    code, _, err = run(url, "user", "disable", "clerk")
    assert code == 0 and "已停用账号 clerk" in err
    code, out, _ = run(url, "user", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["用户名", "姓名", "角色", "所属单位", "状态", "最近登录"]
    clerk = next(line for line in lines if line.startswith("clerk"))
    assert "县局工作人员" in clerk and "已停用" in clerk and "全县" in clerk
    assert "领导" in next(line for line in lines if line.startswith("chief"))
    assert "argon2" not in out
    new = "Another-pass-99"
    code, _, err = run(url, "user", "reset-password", "clerk", input=f"{new}\n{new}\n")
    assert code == 0 and "已重置账号 clerk 的密码" in err
    assert run(url, "user", "enable", "clerk")[0] == 0
    with Session(engine) as session:
        assert authenticate(session, username="clerk", password=new, now=NOW).username == "clerk"
    details = [e.detail for e in _entries(engine)]
    assert details[3:6] == ["停用账号 clerk", "重置账号 clerk 的密码", "启用账号 clerk"]


def test_list_when_empty(cli_db: tuple[str, Engine]) -> None:
    url, _ = cli_db
    code, out, err = run(url, "user", "list")
    assert code == 0 and out == "" and "还没有账号" in err


def test_not_migrated_database(db_url_engine: tuple[str, Engine]) -> None:
    url, _ = db_url_engine
    code, _, err = run(url, "user", "list")
    assert code == 1 and "请先运行 anpei db upgrade" in err


def _people(engine: Engine) -> None:
    with Session(engine) as session:
        town = session.exec(select(Jurisdiction)).one()
        ent = Enterprise(name="测试厂", sector=Sector.OTHER.value, jurisdiction_id=town.id, created_at=NOW)
        session.add(ent)
        session.flush()
        for n, left in enumerate([dt.date(2021, 3, 1), dt.date(2022, 3, 1), None]):
            session.add(
                Person(
                    name=f"人员{n}",
                    id_number=synthetic_id("500230", "19900101", n),
                    role=PersonRole.SPECIAL_WORKER.value,
                    enterprise_id=ent.id,
                    left_on=left,
                    created_at=NOW,
                )
            )
        session.commit()


def test_purge_people(cli_db: tuple[str, Engine]) -> None:
    url, engine = cli_db
    _people(engine)
    code, _, err = run(url, "purge", "people", "--left-before", "2022-01-01", "--dry-run")
    assert code == 0 and "（试运行）" in err and "离职人员 1 人" in err
    code, _, err = run(url, "purge", "people", "--left-before", "2023-01-01", input="n\n")
    assert code == 1 and "离职人员 2 人" in err and "已取消" in err  # declined at the prompt
    with Session(engine) as session:
        assert len(session.exec(select(Person)).all()) == 3
    code, _, err = run(url, "purge", "people", "--left-before", "2023-01-01", input="y\n")
    assert code == 0 and "已删除" in err and "离职人员 2 人" in err
    code, _, err = run(url, "purge", "people", "--left-before", "2023-01-01", "--yes")
    assert code == 0 and "离职人员 0 人" in err
    with Session(engine) as session:
        assert [p.name for p in session.exec(select(Person))] == ["人员2"]
    deletes = [e for e in _entries(engine) if e.action == AuditAction.DELETE.value]
    assert len(deletes) == 3 and deletes[-1].username == "system"


def test_users_are_stored_lowercase(cli_db: tuple[str, Engine]) -> None:
    url, engine = cli_db
    assert (
        run(url, "user", "add", "MiXed", "--role", "admin", "--password-stdin", input=PASSWORD + "\n")[0] == 0
    )
    with Session(engine) as session:
        assert session.exec(select(User.username)).all() == ["mixed"]
