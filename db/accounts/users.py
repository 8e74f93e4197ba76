"""Account administration: add, disable, enable, reset passwords, change roles, list.

Every function takes the acting `principal` (an administrator; the `anpei user` commands act as
`db.rules.access.SYSTEM_ADMIN`), checks it, and records an audit entry with before/after (password
hashes shown as `***`). Functions flush but do not commit: the caller commits, so a change and its
audit entry go in together.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from sqlmodel import Session, col, func, select

from db.accounts.auth import (
    LOCKOUT,
    MAX_FAILED_LOGINS,
    check_own_password,
    check_password_policy,
    hash_password,
    normalise_username,
    verify_password,
)
from db.accounts.sessions import invalidate_sessions
from db.audit import trail
from db.codes import AuditAction, Role
from db.models import Jurisdiction, User
from db.rules.access import SYSTEM, SYSTEM_ADMIN, Principal, require_admin

USERNAME_PATTERN = re.compile(r"^[\w.\-]{2,50}$")


class UserError(ValueError):
    """The request cannot be carried out; the message is Chinese and safe to show."""


@dataclass(frozen=True)
class UserInfo:
    """A user as screens and the CLI show it (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    jurisdiction_id: int | None
    jurisdiction_name: str
    active: bool
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None
    created_at: dt.datetime

    @property
    def role_label(self) -> str:
        return self.role.label

    def is_locked(self, *, now: dt.datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or dt.datetime.now(dt.UTC))


# --- validation ---------------------------------------------------------------------------------


OLD_PASSWORD_WRONG = (
    f"原密码不正确（连续输错 {MAX_FAILED_LOGINS} 次账号将锁定 {int(LOCKOUT.total_seconds() // 60)} 分钟）"
)
# The command line acts as `system` (shown as 命令行) in the audit log: no account may look like it.
RESERVED_USERNAMES = frozenset({SYSTEM.username, SYSTEM_ADMIN.username, SYSTEM.display_name})


def has_accounts(session: Session) -> bool:
    """True once any account exists (enabled or not): the login page's first-run hint is shown before."""
    return session.exec(select(User.id).limit(1)).first() is not None


def clean_username(username: str) -> str:
    """The stored form of a username (trimmed, case-folded); UserError when not acceptable."""
    name = normalise_username(username)
    if not USERNAME_PATTERN.fullmatch(name):
        raise UserError("用户名须为 2–50 个字母、数字、汉字或 _ . -，不能含空格和其他符号")
    if name in RESERVED_USERNAMES:
        raise UserError(f"用户名“{name}”为系统保留，请换一个")
    return name


def clean_display_name(display_name: str) -> str:
    text = display_name.strip()
    if len(text) > 50:
        raise UserError("姓名不能超过 50 个字")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise UserError("姓名不能含控制字符")
    if text.casefold() in RESERVED_USERNAMES:
        raise UserError(f"姓名“{text}”为系统保留，请换一个")
    return text


def _role(role: Role | str) -> Role:
    try:
        return role if isinstance(role, Role) else Role(Role.from_label(role))
    except ValueError:
        choices = "、".join(f"{r.value}（{r.label}）" for r in Role)
        raise UserError(f"角色不正确：{role}，可选 {choices}") from None


def _jurisdiction_for(session: Session, role: Role, jurisdiction_id: int | None) -> int | None:
    if role is not Role.LOCAL_STAFF:
        if jurisdiction_id is not None:
            raise UserError("只有乡镇/部门工作人员需要指定所属单位")
        return None
    if jurisdiction_id is None:
        raise UserError("乡镇/部门工作人员必须指定所属乡镇（街道）或部门")
    row = session.get(Jurisdiction, jurisdiction_id)
    if row is None or not row.active:
        raise UserError("所属单位不存在或已停用")
    return jurisdiction_id


def _get(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == normalise_username(username))).first()
    if user is None:
        raise UserError(f"用户不存在：{username.strip()}")
    return user


def _info(session: Session, user: User) -> UserInfo:
    assert user.id is not None
    jurisdiction = session.get(Jurisdiction, user.jurisdiction_id) if user.jurisdiction_id else None
    return UserInfo(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        jurisdiction_id=user.jurisdiction_id,
        jurisdiction_name=jurisdiction.name if jurisdiction else "",
        active=user.active,
        locked_until=user.locked_until,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
    )


def _other_active_admins(session: Session, user: User) -> int:
    stmt = (
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN.value, col(User.active), User.id != user.id)
    )
    return int(session.exec(stmt).one())


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


@contextmanager
def _audited_user_change(
    session: Session, *, principal: Principal, user: User, detail: str, now: dt.datetime | None
) -> Iterator[User]:
    """Change `user` inside the block; then flush and record one audit UPDATE with before/after.

    Nothing is recorded when the block raises.
    """
    before = trail.snapshot(user)
    yield user
    session.add(user)
    session.flush()
    trail.record(
        session,
        principal=principal,
        action=AuditAction.UPDATE,
        entity="user",
        entity_id=user.id,
        before=before,
        after=user,
        detail=detail,
        at=now,
    )


# --- the operations -------------------------------------------------------------------------------


def add_user(
    session: Session,
    *,
    principal: Principal,
    username: str,
    password: str,
    role: Role | str,
    jurisdiction_id: int | None = None,
    display_name: str = "",
    now: dt.datetime | None = None,
) -> UserInfo:
    """Create an account. UserError / PasswordPolicyError (Chinese) when the input is refused."""
    require_admin(principal)
    name = clean_username(username)
    the_role = _role(role)
    check_password_policy(password, username=name)
    if session.exec(select(User.id).where(User.username == name)).first() is not None:
        raise UserError(f"用户名已存在：{name}")
    user = User(
        username=name,
        display_name=clean_display_name(display_name),
        password_hash=hash_password(password),
        role=the_role.value,
        jurisdiction_id=_jurisdiction_for(session, the_role, jurisdiction_id),
        created_at=_now(now),
    )
    session.add(user)
    session.flush()
    trail.record(
        session,
        principal=principal,
        action=AuditAction.CREATE,
        entity="user",
        entity_id=user.id,
        after=user,
        detail=f"新增账号 {name}（{the_role.label}）",
        at=now,
    )
    return _info(session, user)


def _set_active(
    session: Session, *, principal: Principal, username: str, active: bool, now: dt.datetime | None
) -> UserInfo:
    require_admin(principal)
    user = _get(session, username)
    if user.active == active:
        return _info(session, user)
    if not active:
        if principal.user_id is not None and principal.user_id == user.id:
            raise UserError("不能停用自己的账号")
        if user.role == Role.ADMIN.value and _other_active_admins(session, user) == 0:
            raise UserError("不能停用最后一个管理员账号")
    detail = ("启用" if active else "停用") + f"账号 {user.username}"
    with _audited_user_change(session, principal=principal, user=user, detail=detail, now=now):
        user.active = active
        if active:
            user.failed_logins = 0
            user.locked_until = None
        else:
            invalidate_sessions(user)
    return _info(session, user)


def disable_user(
    session: Session, *, principal: Principal, username: str, now: dt.datetime | None = None
) -> UserInfo:
    """Disable an account: it can no longer log in and its open sessions end at once."""
    return _set_active(session, principal=principal, username=username, active=False, now=now)


def enable_user(
    session: Session, *, principal: Principal, username: str, now: dt.datetime | None = None
) -> UserInfo:
    """Enable a disabled account again (and lift any lock-out)."""
    return _set_active(session, principal=principal, username=username, active=True, now=now)


def reset_password(
    session: Session, *, principal: Principal, username: str, password: str, now: dt.datetime | None = None
) -> UserInfo:
    """Set a new password, lift any lock-out and end the user's open sessions."""
    require_admin(principal)
    user = _get(session, username)
    check_password_policy(password, username=user.username)
    detail = f"重置账号 {user.username} 的密码"
    with _audited_user_change(session, principal=principal, user=user, detail=detail, now=now):
        user.password_hash = hash_password(password)
        user.failed_logins = 0
        user.locked_until = None
        invalidate_sessions(user)
    return _info(session, user)


def change_password(
    session: Session,
    *,
    principal: Principal,
    old_password: str,
    new_password: str,
    now: dt.datetime | None = None,
) -> UserInfo:
    """A user changes their own password (the old one is required); other sessions end."""
    if principal.user_id is None:
        raise UserError("命令行账号没有密码")
    user = session.get(User, principal.user_id)
    if user is None or not user.active:
        raise UserError("账号不存在或已停用")
    if not check_own_password(session, user=user, password=old_password, now=now):
        raise UserError(OLD_PASSWORD_WRONG)
    check_password_policy(new_password, username=user.username)
    if verify_password(user.password_hash, new_password):
        raise UserError("新密码不能与原密码相同")
    with _audited_user_change(session, principal=principal, user=user, detail="修改本人密码", now=now):
        user.password_hash = hash_password(new_password)
        invalidate_sessions(user)
    return _info(session, user)


def change_role(
    session: Session,
    *,
    principal: Principal,
    username: str,
    role: Role | str,
    jurisdiction_id: int | None = None,
    now: dt.datetime | None = None,
) -> UserInfo:
    """Give a user another role (and jurisdiction); their open sessions end."""
    require_admin(principal)
    user = _get(session, username)
    the_role = _role(role)
    new_jurisdiction = _jurisdiction_for(session, the_role, jurisdiction_id)
    if user.role == the_role.value and user.jurisdiction_id == new_jurisdiction:
        return _info(session, user)
    if (
        user.role == Role.ADMIN.value
        and the_role is not Role.ADMIN
        and _other_active_admins(session, user) == 0
    ):
        raise UserError("不能取消最后一个管理员的管理员角色")
    detail = f"账号 {user.username} 改为{the_role.label}"
    with _audited_user_change(session, principal=principal, user=user, detail=detail, now=now):
        user.role = the_role.value
        user.jurisdiction_id = new_jurisdiction
        invalidate_sessions(user)
    return _info(session, user)


def list_users(session: Session, *, principal: Principal, include_disabled: bool = True) -> list[UserInfo]:
    """Every account, by username."""
    require_admin(principal)
    stmt = select(User).order_by(col(User.username))
    if not include_disabled:
        stmt = stmt.where(col(User.active))
    return [_info(session, user) for user in session.exec(stmt)]


@lru_cache(maxsize=1024)
def _is_demo_hash(password_hash: str) -> bool:
    # the sample county's public password; deferred: the sample county module is large and a
    # deployment's dashboard needs it only for this check
    from db.sample.seed import DEMO_PASSWORD

    return verify_password(password_hash, DEMO_PASSWORD)


def demo_password_accounts(session: Session, *, principal: Principal) -> list[str]:
    """Active accounts whose password is still the public demo password (the admin page warns).

    Each stored hash is checked once per process (argon2 is slow on purpose); a changed password is
    a new hash and is checked again.
    """
    require_admin(principal)
    rows = session.exec(
        select(User.username, User.password_hash).where(col(User.active)).order_by(col(User.username))
    )
    return [username for username, password_hash in rows if _is_demo_hash(password_hash)]
