"""The jurisdictions (乡镇（街道）and 安委会成员单位): reference data, readable by everyone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select
from sqlmodel import Session, SQLModel

import db.models  # noqa: F401  (registers every table on SQLModel.metadata)
from db.codes import JurisdictionKind

_J: Table = SQLModel.metadata.tables["jurisdiction"]

DEFAULT_KINDS: tuple[str, ...] = (JurisdictionKind.TOWNSHIP.value, JurisdictionKind.MEMBER_UNIT.value)


@dataclass(frozen=True)
class JurisdictionRef:
    id: int
    code: str
    name: str
    kind: str  # JurisdictionKind
    sort_order: int

    @property
    def kind_label(self) -> str:
        return JurisdictionKind(self.kind).label


def list_jurisdictions(
    session: Session,
    *,
    kinds: Sequence[str] | None = DEFAULT_KINDS,
    ids: Iterable[int] | None = None,
    active_only: bool = True,
) -> list[JurisdictionRef]:
    """Jurisdictions in `sort_order` (townships, then member units by default)."""
    stmt = select(_J.c.id, _J.c.code, _J.c.name, _J.c.kind, _J.c.sort_order).order_by(
        _J.c.sort_order, _J.c.id
    )
    if kinds is not None:
        stmt = stmt.where(_J.c.kind.in_(list(kinds)))
    if ids is not None:
        stmt = stmt.where(_J.c.id.in_(list(ids)))
    if active_only:
        stmt = stmt.where(_J.c.active)
    return [JurisdictionRef(r.id, r.code, r.name, r.kind, r.sort_order) for r in session.execute(stmt)]


def is_empty(session: Session) -> bool:
    """True when no jurisdiction exists yet (nothing seeded or imported)."""
    return session.execute(select(_J.c.id).limit(1)).first() is None


def active_jurisdictions(kinds: Sequence[str] | None) -> Any:
    """SELECT of the active jurisdictions' ids of `kinds` (every kind when None)."""
    stmt = select(_J.c.id).where(_J.c.active)
    if kinds is not None:
        stmt = stmt.where(_J.c.kind.in_(list(kinds)))
    return stmt
