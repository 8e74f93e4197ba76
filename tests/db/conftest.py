"""Fixtures for the db tests: a builder for hand-made tiny data sets (`seeded`, the small sample county,
comes from tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from db.codes import FindingStatus, JurisdictionKind, MonthlyStatus, Sector, TargetKind, risk_class_of
from db.models import Enterprise, Finding, Inspection, Jurisdiction, MonthlyReport

# db.models.utcnow() returns a naive datetime, which sqlmodel's UTCDateTime refuses on insert;
# the builder passes an aware timestamp explicitly.
NOW = dt.datetime(2023, 8, 1, tzinfo=dt.UTC)


@dataclass
class Tiny:
    """Builds a hand-made data set row by row (ORM), for queries with known answers."""

    session: Session
    ids: dict[str, int] = field(default_factory=dict)

    def jurisdiction(
        self, name: str, *, kind: JurisdictionKind = JurisdictionKind.TOWNSHIP, order: int = 0
    ) -> int:
        row = Jurisdiction(code=f"T{len(self.ids) + 1:03d}", name=name, kind=kind.value, sort_order=order)
        return self._add(name, row)

    def enterprise(self, name: str, *, township: str, sector: Sector, unit: str | None = None) -> int:
        row = Enterprise(
            name=name,
            sector=sector.value,
            risk_class=risk_class_of(sector).value,
            jurisdiction_id=self.ids[township],
            member_unit_id=self.ids[unit] if unit else None,
            created_at=NOW,
        )
        return self._add(name, row)

    def inspection(self, key: str, *, enterprise: str, by: str, on: dt.date, joint: bool = False) -> int:
        row = Inspection(
            inspected_on=on,
            jurisdiction_id=self.ids[by],
            joint=joint,
            target_kind=TargetKind.ENTERPRISE.value,
            enterprise_id=self.ids[enterprise],
            created_at=NOW,
        )
        return self._add(key, row)

    def finding(
        self,
        key: str,
        *,
        by: str,
        enterprise: str,
        found: dt.date,
        deadline: dt.date | None,
        status: FindingStatus = FindingStatus.OPEN,
        rectified: dt.date | None = None,
    ) -> int:
        row = Finding(
            jurisdiction_id=self.ids[by],
            target_kind=TargetKind.ENTERPRISE.value,
            enterprise_id=self.ids[enterprise],
            found_on=found,
            description=key,
            deadline=deadline,
            status=status.value,
            rectified_on=rectified,
            check_item_number=1,
            created_at=NOW,
        )
        return self._add(key, row)

    def report(self, *, jurisdiction: str, month: str, status: MonthlyStatus) -> int:
        row = MonthlyReport(jurisdiction_id=self.ids[jurisdiction], month=month, status=status.value)
        return self._add(f"report:{jurisdiction}:{month}", row)

    def _add(self, key: str, row: Any) -> int:
        self.session.add(row)
        self.session.flush()
        self.ids[key] = row.id
        return int(row.id)


@pytest.fixture
def tiny(engine: Engine) -> Iterator[Tiny]:
    with Session(engine) as session:
        yield Tiny(session)
