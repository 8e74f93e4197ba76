"""A tiny hand-made county for the data-input and staff tests (every name synthetic).

`County` holds the engine and the ids of what a test's builder added; `add_places` and
`add_enterprises` write the parts both builders share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db.codes import JurisdictionKind, Role, Sector
from db.models import AuditLog, Enterprise, Jurisdiction
from db.rules.access import Principal

# Two townships and a member unit, in their sort order.
PLACES = [
    ("三合街道", JurisdictionKind.TOWNSHIP),
    ("名山街道", JurisdictionKind.TOWNSHIP),
    ("县经信委", JurisdictionKind.MEMBER_UNIT),
]
CREATED = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)


@dataclass
class County:
    """A migrated database with a tiny county; `ids` maps each added name to its row id."""

    engine: Engine
    url: str = ""
    ids: dict[str, int] = field(default_factory=dict)

    def principal(self, role: Role, jurisdiction: str | None = None) -> Principal:
        jid = self.ids[jurisdiction] if jurisdiction else None
        return Principal(username=f"{role.value}-{jurisdiction or 'all'}", role=role, jurisdiction_id=jid)

    @property
    def county_staff(self) -> Principal:
        return self.principal(Role.COUNTY_STAFF)

    @property
    def leader(self) -> Principal:
        return self.principal(Role.LEADER)

    def township(self, name: str) -> Principal:
        return self.principal(Role.LOCAL_STAFF, name)

    def session(self) -> Session:
        return Session(self.engine)

    def audit_entries(self, *, action: str | None = None, entity: str | None = None) -> list[AuditLog]:
        with Session(self.engine) as s:
            stmt = select(AuditLog)
            if action:
                stmt = stmt.where(AuditLog.action == action)
            if entity:
                stmt = stmt.where(AuditLog.entity == entity)
            return list(s.exec(stmt).all())


def add_places(s: Session, county: County) -> None:
    """The default campaign and the jurisdictions of `PLACES` (codes J00, J01, …)."""
    from db.rules.campaign_defaults import ensure_default_campaign

    ensure_default_campaign(s)
    for order, (name, kind) in enumerate(PLACES):
        j = Jurisdiction(code=f"J{order:02d}", name=name, kind=kind.value, sort_order=order)
        s.add(j)
        s.flush()
        county.ids[name] = int(j.id or 0)


def add_enterprises(s: Session, county: County, rows: list[tuple[str, Sector, str, str | None]]) -> None:
    """One enterprise per (name, sector, township, member unit or None), USCCs numbered in order."""
    for n, (name, sector, town, unit) in enumerate(rows):
        e = Enterprise(
            name=name,
            sector=sector.value,
            jurisdiction_id=county.ids[town],
            member_unit_id=county.ids[unit] if unit else None,
            created_at=CREATED,
            uscc=f"91500230MA{n:07d}X",
        )
        s.add(e)
        s.flush()
        county.ids[name] = int(e.id or 0)
