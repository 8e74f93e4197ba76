"""Reconciliation of a month's table with inspection records; joint inspections counted once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from anpei.periods import Month
from db.codes import ActionKind, ItemResult, TargetKind
from db.reads import reconcile
from db.records import inspections, monthly_saving
from tests.kits.countykit import County
from tests.kits.inputkit import ON_TIME

TODAY = dt.date(2023, 8, 1)


def inspect(
    county: County,
    *,
    by: str,
    enterprise: str,
    on: dt.date,
    fail: int | None = None,
    joint: bool = False,
    fine: Decimal | None = None,
) -> None:
    results = {n: (ItemResult.FAIL if n == fail else ItemResult.PASS) for n in range(1, 6)}
    actions = [inspections.ActionInput(ActionKind.FINE, on, fine_amount=fine)] if fine else []
    with county.session() as s:
        inspections.record_inspection(
            s,
            principal=county.county_staff,
            today=TODAY,
            data=inspections.InspectionInput(
                inspected_on=on,
                jurisdiction_id=county.ids[by],
                target_kind=TargetKind.ENTERPRISE,
                enterprise_id=county.ids[enterprise],
                results=results,
                joint=joint,
                actions=actions,
            ),
        )
        s.commit()


def save(county: County, **values: object) -> None:
    with county.session() as s:
        monthly_saving.save_monthly_numbers(
            s,
            principal=county.county_staff,
            jurisdiction_id=county.ids["三合街道"],
            month=Month(2023, 5),
            values=values,
            now=ON_TIME,
        )
        s.commit()


def test_consistent_table(county: County) -> None:
    inspect(
        county,
        by="三合街道",
        enterprise="三合化工有限公司",
        on=dt.date(2023, 5, 3),
        fail=3,
        fine=Decimal("5000"),
    )
    inspect(
        county, by="三合街道", enterprise="三合化工有限公司", on=dt.date(2023, 5, 20)
    )  # same enterprise again
    inspect(
        county, by="县经信委", enterprise="三合机械厂", on=dt.date(2023, 5, 8), joint=True
    )  # joint: counts here too
    save(
        county,
        enterprises_inspected=2,
        high_risk_inspected=1,
        industry_trade_inspected=1,
        problems_found=1,
        fines_wan="0.5",
        **{"item:enterprise-3": 1},
    )
    with county.session() as s:
        result = reconcile.reconcile_month(
            s,
            principal=county.township("三合街道"),
            jurisdiction_id=county.ids["三合街道"],
            month=Month(2023, 5),
        )
    assert result.has_records and result.consistent, result.differences


def test_differences_listed(county: County) -> None:
    inspect(county, by="三合街道", enterprise="三合化工有限公司", on=dt.date(2023, 5, 3), fail=1)
    save(county, enterprises_inspected=3, high_risk_inspected=2, problems_found=2, **{"item:enterprise-1": 2})
    with county.session() as s:
        result = reconcile.reconcile_month(
            s, principal=county.county_staff, jurisdiction_id=county.ids["三合街道"], month=Month(2023, 5)
        )
    found = {d.key: (d.reported, d.recorded) for d in result.differences}
    assert found == {
        "enterprises_inspected": ("3", "1"),
        "high_risk_inspected": ("2", "1"),
        "problems_found": ("2", "1"),
        "item:enterprise-1": ("2", "1"),
    }
    assert "汇总表填 3" in result.differences[0].note


def test_nothing_to_reconcile_without_records(county: County) -> None:
    save(county, enterprises_inspected=2)
    with county.session() as s:
        rows = reconcile.reconcile_all(s, principal=county.county_staff, month=Month(2023, 5))
        assert [r.jurisdiction for r in rows] == ["三合街道", "名山街道", "县经信委"]
        assert all(not r.has_records and r.consistent for r in rows)
        assert [
            r.jurisdiction
            for r in reconcile.reconcile_all(s, principal=county.township("名山街道"), month=Month(2023, 5))
        ] == ["名山街道"]
