"""The campaign's metric definitions, written once: named table handles and SQL expressions.

Every read that counts something (summary, exports, reconciliation, scoring) builds on these, so a
label means the same number everywhere:

- `registered_to`: an enterprise belongs to the township it is located in AND to the member unit
  that supervises it (`Enterprise.member_unit_id`) — one (owner, enterprise) pair each.
  `is_registered_to(owner)` is the same rule as a condition on one enterprise row.
- `inspected_by_or_jointly`: an inspection counts for an owner when the owner carried it out or it
  was a joint inspection (a joint inspection counts for every party).
- `rectified_by(day)`: rectified on or before `day` (a rectified/closed status without a date
  counts as rectified). `is_rectified_by` is the same rule on one finding in memory.
- `cert_problem`: the problems a certificate check can record (`Problem`).
- `item_key`: the one key scheme of per-check-item problem counts (`enterprise-3`, `institution-1`),
  used by the monthly table, the seed, exports and the reconciliation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, union_all
from sqlmodel import SQLModel

import db.models  # noqa: F401  (registers every table on SQLModel.metadata)
from db.codes import FindingStatus, TargetKind
from verifier.types import Problem  # the verifier decides them; db counts them (db may import verifier)

ENTERPRISE = SQLModel.metadata.tables["enterprise"]
INSPECTION = SQLModel.metadata.tables["inspection"]
FINDING = SQLModel.metadata.tables["finding"]
CERT_CHECK = SQLModel.metadata.tables["certificatecheck"]


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END), 0 for no rows."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def registered_to(*conditions: ColumnElement[bool]) -> Any:
    """Subquery (owner, eid, risk): every active enterprise once for its township and once for its
    supervising member unit; `conditions` narrow the enterprises (e.g. a risk class)."""
    e = ENTERPRISE
    by_place = select(
        e.c.jurisdiction_id.label("owner"), e.c.id.label("eid"), e.c.risk_class.label("risk")
    ).where(e.c.active, *conditions)
    by_unit = select(
        e.c.member_unit_id.label("owner"), e.c.id.label("eid"), e.c.risk_class.label("risk")
    ).where(e.c.active, e.c.member_unit_id.is_not(None), *conditions)
    return union_all(by_place, by_unit).subquery("own")


def is_registered_to(owner: Any) -> ColumnElement[bool]:
    """The enterprise row belongs to `owner` (a jurisdiction id or column): located in it or
    supervised by it — the predicate form of `registered_to` (one jurisdiction's own enterprises)."""
    return or_(ENTERPRISE.c.jurisdiction_id == owner, ENTERPRISE.c.member_unit_id == owner)


def inspected_by_or_jointly(owner: Any) -> ColumnElement[bool]:
    """The inspection counts for `owner`: carried out by it, or a joint inspection."""
    return or_(INSPECTION.c.jurisdiction_id == owner, INSPECTION.c.joint)


def rectified_by(day: dt.date | Any) -> ColumnElement[bool]:
    """A finding rectified on or before `day` (a date or a column, e.g. the finding's deadline)."""
    f = FINDING
    return or_(
        and_(f.c.rectified_on.is_not(None), f.c.rectified_on <= day),
        and_(f.c.rectified_on.is_(None), f.c.status != FindingStatus.OPEN.value),
    )


def is_rectified_by(rectified_on: dt.date | None, status: str, day: dt.date) -> bool:
    """`rectified_by` on one finding already in memory (the seed's tallies, tests): the same rule."""
    if rectified_on is not None:
        return rectified_on <= day
    return status != FindingStatus.OPEN.value


def cert_problem(*problems: Problem) -> ColumnElement[bool]:
    """The certificate check recorded one of `problems`."""
    return CERT_CHECK.c.problem.in_([p.value for p in problems])


def item_key(target_kind: TargetKind | str, number: int) -> str:
    """The key of a per-check-item count: `enterprise-3`, `institution-1`."""
    kind = target_kind.value if isinstance(target_kind, TargetKind) else str(target_kind)
    return f"{kind}-{int(number)}"


__all__ = [
    "CERT_CHECK",
    "ENTERPRISE",
    "FINDING",
    "INSPECTION",
    "Problem",
    "cert_problem",
    "count_if",
    "inspected_by_or_jointly",
    "is_rectified_by",
    "is_registered_to",
    "item_key",
    "rectified_by",
    "registered_to",
]
