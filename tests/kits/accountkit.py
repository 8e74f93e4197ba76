"""Helpers for the account tests: constants, synthetic ID numbers and a tiny two-township world."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from sqlmodel import Session

from db.accounts import auth
from db.accounts.auth import principal_for
from db.codes import Role
from db.models import User
from db.rules.access import Principal
from verifier.ids import check_char

NOW = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
PASSWORD = "Anquan-2024-peixun"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def synthetic_id(region: str, birth: str, serial: int) -> str:
    """A made-up 18-digit ID number with a valid GB 11643 check character."""
    first17 = f"{region}{birth}{serial:03d}"
    return first17 + check_char(first17)


@dataclass
class World:
    """Two townships (甲镇, 乙镇), a member unit, an enterprise and two people in each township."""

    session: Session
    ids: dict[str, int] = field(default_factory=dict)
    id_numbers: dict[str, str] = field(default_factory=dict)

    def user(
        self, username: str, role: Role, *, jurisdiction: str | None = None, active: bool = True
    ) -> User:
        row = User(
            username=username,
            display_name=f"{username}姓名",
            password_hash=auth.hash_password(PASSWORD),
            role=role.value,
            jurisdiction_id=self.ids[jurisdiction] if jurisdiction else None,
            active=active,
            created_at=NOW,
        )
        self.session.add(row)
        self.session.commit()
        self.session.refresh(row)
        return row

    def principal(self, username: str, role: Role, *, jurisdiction: str | None = None) -> Principal:
        return principal_for(self.user(username, role, jurisdiction=jurisdiction))
