"""Account administration: who may do it, input checks, safeguards and the audit entries left."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, col, select

from db.accounts import users
from db.accounts.auth import PasswordPolicyError, authenticate, verify_password
from db.accounts.users import UserError
from db.codes import Role
from db.models import AuditLog, User
from db.rules.access import SYSTEM, SYSTEM_ADMIN, AccessDenied, Principal
from tests.kits.accountkit import PASSWORD, World

NEW_PASSWORD = "Brand-new-pass-1"


def _entries(session: Session) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).order_by(col(AuditLog.id))))


def test_add_user_hashes_password_and_audits_without_it(
    world: World, session: Session, admin: Principal
) -> None:
    info = users.add_user(
        session,
        principal=admin,
        username=" Town_A ",
        password=NEW_PASSWORD,
        role="local_staff",
        jurisdiction_id=world.ids["甲镇"],
        display_name="张三",
    )
    session.commit()
    assert (info.username, info.role, info.jurisdiction_name, info.active) == (
        "town_a",
        Role.LOCAL_STAFF,
        "甲镇",
        True,
    )
    stored = session.get(User, info.id)
    assert stored is not None and verify_password(stored.password_hash, NEW_PASSWORD)
    (entry,) = _entries(session)
    assert (entry.action, entry.entity, entry.entity_id, entry.username) == (
        "create",
        "user",
        str(info.id),
        "admin1",
    )
    assert (
        entry.after is not None
        and entry.after["password_hash"] == "***"
        and entry.after["username"] == "town_a"
    )
    assert NEW_PASSWORD not in repr(entry.after) + entry.detail


def test_role_accepts_chinese_label(world: World, session: Session, admin: Principal) -> None:
    info = users.add_user(session, principal=admin, username="lingdao", password=NEW_PASSWORD, role="领导")
    assert info.role is Role.LEADER


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"username": "a"}, "用户名须为"),
        ({"username": "bad name"}, "用户名须为"),
        ({"username": "x'; DROP TABLE user; --"}, "用户名须为"),
        ({"username": "admin1"}, "用户名已存在"),
        ({"role": "superuser"}, "角色不正确"),
        ({"role": "local_staff"}, "必须指定所属"),
        ({"role": "leader", "jurisdiction_id": -1}, "只有乡镇/部门工作人员"),
        ({"role": "local_staff", "jurisdiction_id": 999_999}, "所属单位不存在"),
        ({"display_name": "名" * 51}, "姓名不能超过"),
        ({"display_name": "a\x00b"}, "控制字符"),
    ],
)
def test_add_user_refusals(
    world: World, session: Session, admin: Principal, kwargs: dict[str, Any], message: str
) -> None:
    args: dict[str, Any] = {"username": "newbie", "password": NEW_PASSWORD, "role": "county_staff"} | kwargs
    with pytest.raises(UserError, match=message):
        users.add_user(session, principal=admin, **args)


def test_add_user_enforces_password_policy(world: World, session: Session, admin: Principal) -> None:
    with pytest.raises(PasswordPolicyError, match="全是数字"):
        users.add_user(
            session, principal=admin, username="newbie", password="12345678901", role="county_staff"
        )
    with pytest.raises(PasswordPolicyError, match="与用户名相同"):
        users.add_user(
            session, principal=admin, username="newbie_long", password="Newbie_Long", role="county_staff"
        )


OPERATIONS: dict[str, Callable[[Session, Principal], object]] = {
    "add": lambda s, p: users.add_user(
        s, principal=p, username="x_new", password=NEW_PASSWORD, role="leader"
    ),
    "disable": lambda s, p: users.disable_user(s, principal=p, username="target"),
    "enable": lambda s, p: users.enable_user(s, principal=p, username="target"),
    "reset": lambda s, p: users.reset_password(s, principal=p, username="target", password=NEW_PASSWORD),
    "role": lambda s, p: users.change_role(s, principal=p, username="target", role="leader"),
    "list": lambda s, p: users.list_users(s, principal=p),
}


@pytest.mark.parametrize("role", [Role.LEADER, Role.COUNTY_STAFF, Role.LOCAL_STAFF])
def test_only_admins_manage_accounts(world: World, session: Session, role: Role) -> None:
    world.user("target", Role.COUNTY_STAFF)
    actor = world.principal("actor", role, jurisdiction="甲镇" if role is Role.LOCAL_STAFF else None)
    for name, operation in OPERATIONS.items():
        with pytest.raises(AccessDenied, match="只有管理员"):
            operation(session, actor)
        with pytest.raises(AccessDenied):
            operation(session, SYSTEM)  # the county-staff CLI principal is not an admin either
        assert _entries(session) == [], name


def test_disable_enable_and_reset_are_audited(world: World, session: Session, admin: Principal) -> None:
    world.user("target", Role.COUNTY_STAFF)
    users.disable_user(session, principal=admin, username="target")
    users.enable_user(session, principal=admin, username="target")
    users.reset_password(session, principal=admin, username="TARGET", password=NEW_PASSWORD)
    session.commit()
    entries = _entries(session)
    assert [e.detail for e in entries] == ["停用账号 target", "启用账号 target", "重置账号 target 的密码"]
    assert entries[0].before is not None and entries[0].after is not None
    assert (entries[0].before["active"], entries[0].after["active"]) == (True, False)
    assert all(e.before and e.before["password_hash"] == "***" for e in entries)
    assert authenticate(session, username="target", password=NEW_PASSWORD).username == "target"


def test_reset_password_lifts_lock(world: World, session: Session, admin: Principal) -> None:

    from db.accounts.auth import MAX_FAILED_LOGINS, LoginFailed
    from tests.kits.accountkit import NOW

    target = world.user("target", Role.COUNTY_STAFF)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(LoginFailed):
            authenticate(session, username="target", password="wrong-password-1", now=NOW)
    users.reset_password(session, principal=admin, username="target", password=NEW_PASSWORD)
    session.commit()
    session.refresh(target)
    assert (target.failed_logins, target.locked_until) == (0, None)
    assert authenticate(session, username="target", password=NEW_PASSWORD, now=NOW).user_id == target.id


def test_last_admin_cannot_be_disabled_or_demoted(world: World, session: Session, admin: Principal) -> None:
    with pytest.raises(UserError, match="不能停用自己"):
        users.disable_user(session, principal=admin, username="admin1")
    with pytest.raises(UserError, match="最后一个管理员"):
        users.disable_user(session, principal=SYSTEM_ADMIN, username="admin1")
    with pytest.raises(UserError, match="最后一个管理员"):
        users.change_role(session, principal=SYSTEM_ADMIN, username="admin1", role="county_staff")
    world.user("admin2", Role.ADMIN)
    assert users.disable_user(session, principal=SYSTEM_ADMIN, username="admin1").active is False


def test_change_role_moves_jurisdiction(world: World, session: Session, admin: Principal) -> None:
    world.user("target", Role.COUNTY_STAFF)
    info = users.change_role(
        session, principal=admin, username="target", role=Role.LOCAL_STAFF, jurisdiction_id=world.ids["乙镇"]
    )
    assert (info.role, info.jurisdiction_name) == (Role.LOCAL_STAFF, "乙镇")
    entry = _entries(session)[-1]
    assert entry.before is not None and entry.after is not None
    assert (entry.before["role"], entry.after["role"]) == ("county_staff", "local_staff")
    assert entry.after["jurisdiction_id"] == world.ids["乙镇"]


def test_unknown_user(world: World, session: Session, admin: Principal) -> None:
    with pytest.raises(UserError, match="用户不存在：ghost"):
        users.disable_user(session, principal=admin, username="ghost")


def test_list_users(world: World, session: Session, admin: Principal) -> None:
    world.user("zeta", Role.LEADER, active=False)
    world.user("beta", Role.LOCAL_STAFF, jurisdiction="乙镇")
    listed = users.list_users(session, principal=admin)
    assert [u.username for u in listed] == ["admin1", "beta", "zeta"]
    assert [u.username for u in users.list_users(session, principal=admin, include_disabled=False)] == [
        "admin1",
        "beta",
    ]
    assert listed[1].jurisdiction_name == "乙镇" and listed[1].role_label == "乡镇/部门工作人员"
    assert not hasattr(listed[0], "password_hash")


def test_change_own_password(world: World, session: Session) -> None:
    me = world.principal("county1", Role.COUNTY_STAFF)
    with pytest.raises(UserError, match="原密码不正确"):
        users.change_password(session, principal=me, old_password="nope-nope-nope", new_password=NEW_PASSWORD)
    with pytest.raises(UserError, match="不能与原密码相同"):
        users.change_password(session, principal=me, old_password=PASSWORD, new_password=PASSWORD)
    users.change_password(session, principal=me, old_password=PASSWORD, new_password=NEW_PASSWORD)
    session.commit()
    assert authenticate(session, username="county1", password=NEW_PASSWORD).user_id == me.user_id
    details = [e.detail for e in _entries(session)]
    assert details[0] == "修改密码时原密码错误" and "修改本人密码" in details  # the wrong one counts
