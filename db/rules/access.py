"""Who may read and change what: the current user as a `Principal`, and jurisdiction scoping.

Every service function that reads or writes campaign data takes `principal=` and applies these
rules itself, so a township user cannot read or change another township's rows even by calling
the service directly or editing a URL.

Roles (db.codes.Role):
- 领导 leader: all jurisdictions, read only, ID numbers masked.
- 县局工作人员 county_staff: all jurisdictions, read and write.
- 乡镇/部门工作人员 local_staff: their own jurisdiction only, read and write.
- 管理员 admin: accounts and settings (and, to administer, read everything).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from db.codes import Role


class AccessDenied(PermissionError):
    """The principal may not do this; the message is Chinese and safe to show."""


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role
    user_id: int | None = None
    jurisdiction_id: int | None = None  # required for local_staff
    display_name: str = ""

    def __post_init__(self) -> None:
        if self.role is Role.LOCAL_STAFF and self.jurisdiction_id is None:
            raise ValueError("local_staff needs a jurisdiction")

    @property
    def sees_all(self) -> bool:
        return self.role is not Role.LOCAL_STAFF

    @property
    def can_write(self) -> bool:
        return self.role in (Role.COUNTY_STAFF, Role.LOCAL_STAFF)

    @property
    def may_reveal_ids(self) -> bool:
        """Full ID numbers may be shown on request (the reveal is logged). Leaders see masks only."""
        return self.role in (Role.COUNTY_STAFF, Role.LOCAL_STAFF)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


# The command line acts for the bureau itself (county staff rights), recorded as `system`.
SYSTEM = Principal(username="system", role=Role.COUNTY_STAFF, display_name="命令行")
# Account commands (`anpei user …`) act as an administrator, also recorded as `system`.
SYSTEM_ADMIN = Principal(username="system", role=Role.ADMIN, display_name="命令行")


def readable_jurisdiction_ids(principal: Principal) -> frozenset[int] | None:
    """None when the principal reads every jurisdiction, else the ids it may read."""
    if principal.sees_all:
        return None
    assert principal.jurisdiction_id is not None
    return frozenset({principal.jurisdiction_id})


def can_read(principal: Principal, jurisdiction_id: int | None) -> bool:
    allowed = readable_jurisdiction_ids(principal)
    return allowed is None or (jurisdiction_id is not None and jurisdiction_id in allowed)


def require_read(principal: Principal, jurisdiction_id: int | None) -> None:
    if not can_read(principal, jurisdiction_id):
        raise AccessDenied("无权查看其他乡镇（部门）的数据")


def require_write(principal: Principal, jurisdiction_id: int | None) -> None:
    """Raise AccessDenied unless the principal may change data of this jurisdiction."""
    if not principal.can_write:
        raise AccessDenied(f"{principal.role.label}账号为只读，不能修改数据")
    if not principal.sees_all and jurisdiction_id != principal.jurisdiction_id:
        raise AccessDenied("只能修改本乡镇（部门）的数据")


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise AccessDenied("只有管理员可以管理账号和设置")


def scope_filter(principal: Principal, column: Any) -> ColumnElement[bool] | None:
    """A WHERE clause limiting `column` (a jurisdiction id column) to what the principal may read.

    None when no filter is needed. Use: `if (f := scope_filter(p, Model.jurisdiction_id)) is not None:
    stmt = stmt.where(f)`.
    """
    allowed = readable_jurisdiction_ids(principal)
    if allowed is None:
        return None
    return column.in_(sorted(allowed))  # type: ignore[no-any-return]


def narrow(principal: Principal, wanted: Iterable[int] | None) -> list[int] | None:
    """Intersect a caller's requested jurisdiction ids with what the principal may read."""
    allowed = readable_jurisdiction_ids(principal)
    if allowed is None:
        return None if wanted is None else list(wanted)
    if wanted is None:
        return sorted(allowed)
    return [j for j in wanted if j in allowed]


def require_county_wide(principal: Principal) -> None:
    """County-wide figures (totals, trends, the whole grid) are for roles that read every jurisdiction."""
    if not principal.sees_all:
        raise AccessDenied("全县汇总数据只有县局、领导和管理员账号可以查看")


def read_scope(principal: Principal) -> Principal:
    """The least principal with the same read rights: a cache key shared by users who may read the same.

    Use it only for reads (it carries no user id, so it must never be used to write or audit).
    """
    if principal.sees_all:
        return Principal(username="scope:all", role=Role.LEADER)
    return Principal(
        username=f"scope:{principal.jurisdiction_id}",
        role=Role.LOCAL_STAFF,
        jurisdiction_id=principal.jurisdiction_id,
    )
