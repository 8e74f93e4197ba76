"""list_inspections: newest first, scoped to what the principal may read, with results and link counts."""

from __future__ import annotations

import datetime as dt

import pytest

from db.codes import ItemResult, TargetKind
from db.records import inspection_edits, inspections
from db.rules.access import AccessDenied
from tests.kits.countykit import County

ALL_PASS = {n: ItemResult.PASS for n in range(1, 6)}


def inspect(county: County, *, by: str, target: str, day: dt.date, failed: tuple[int, ...] = ()) -> int:
    results = {**ALL_PASS, **{n: ItemResult.FAIL for n in failed}}
    data = inspections.InspectionInput(
        inspected_on=day,
        jurisdiction_id=county.ids[by],
        target_kind=TargetKind.ENTERPRISE,
        enterprise_id=county.ids[target],
        results=results,
    )
    with county.session() as s:
        row = inspections.record_inspection(
            s, principal=county.county_staff, data=data, today=dt.date(2023, 8, 1)
        )
        s.commit()
        return int(row.id or 0)


def test_list_inspections_scoped_and_newest_first(county: County) -> None:
    a = inspect(county, by="三合街道", target="三合化工有限公司", day=dt.date(2023, 5, 10), failed=(2, 4))
    b = inspect(county, by="三合街道", target="三合机械厂", day=dt.date(2023, 6, 1))
    c = inspect(county, by="名山街道", target="名山采石场", day=dt.date(2023, 5, 20))
    with county.session() as s:
        everything = inspection_edits.list_inspections(s, principal=county.leader)
        sanhe = inspection_edits.list_inspections(s, principal=county.township("三合街道"))
        only_mingshan = inspection_edits.list_inspections(
            s, principal=county.county_staff, jurisdiction_id=county.ids["名山街道"]
        )
        newest = inspection_edits.list_inspections(s, principal=county.county_staff, limit=1)
        with pytest.raises(AccessDenied):
            inspection_edits.list_inspections(
                s, principal=county.township("三合街道"), jurisdiction_id=county.ids["名山街道"]
            )
    assert [r.id for r in everything] == [b, c, a]
    assert [r.id for r in sanhe] == [b, a]
    assert [r.id for r in only_mingshan] == [c]
    assert [r.id for r in newest] == [b]
    first = next(r for r in everything if r.id == a)
    assert (first.target_name, first.jurisdiction, first.findings, first.actions) == (
        "三合化工有限公司",
        "三合街道",
        2,
        0,
    )
    assert first.results == {1: "pass", 2: "fail", 3: "pass", 4: "fail", 5: "pass"}
    assert str(a) in first.label and "2023-05-10" in first.label
