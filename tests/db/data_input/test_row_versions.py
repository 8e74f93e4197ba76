"""Optimistic locking of the rows edited through forms (issue 10 item 3), on SQLite and PostgreSQL.

A form carries the version of the row it was loaded from; the save refuses (StaleRecord, a Chinese
message) when the row changed, appeared or vanished in between — also when the other change is
committed while this save is already running (the database's `WHERE version = :v` matches nothing).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from anpei.periods import Month
from db.codes import FindingStatus, ItemResult, TargetKind
from db.models import Finding, Inspection, MonthlyReport
from db.records import findings, inspection_edits, monthly_saving
from db.records.row_versions import NO_ROW, StaleRecord, version_of
from tests.db.data_input.test_inspection_edits import TODAY, inspect
from tests.kits.countykit import County

MONTH = Month(2023, 5)


def numbers(n: int) -> dict[str, Any]:
    return {"enterprises_inspected": n, "high_risk_inspected": 1, "problems_found": 1, "item:enterprise-1": 1}


def stored_month(county: County, jid: int) -> MonthlyReport | None:
    with county.session() as s:
        return s.exec(
            select(MonthlyReport).where(
                MonthlyReport.jurisdiction_id == jid, MonthlyReport.month == str(MONTH)
            )
        ).first()


def save_month(county: County, jid: int, n: int, expected: int | None) -> MonthlyReport:
    with county.session() as s:
        report = monthly_saving.save_monthly_numbers(
            s,
            principal=county.county_staff,
            jurisdiction_id=jid,
            month=MONTH,
            values=numbers(n),
            expected_version=expected,
        )
        s.commit()
        s.refresh(report)
        return report


def test_monthly_table_refuses_a_form_loaded_before_a_change(county: County) -> None:
    jid = county.ids["三合街道"]
    assert version_of(stored_month(county, jid)) == NO_ROW
    first = save_month(county, jid, 2, NO_ROW)  # the first report of the month
    assert first.version == 1
    with pytest.raises(StaleRecord, match="三合街道 2023-05 汇总表在您打开表单之后已被修改") as info:
        save_month(county, jid, 3, NO_ROW)  # a second form, opened while nothing was stored
    assert "未保存" in str(info.value)
    second = save_month(county, jid, 3, 1)
    assert second.version == 2
    with pytest.raises(StaleRecord):
        save_month(county, jid, 1, 1)  # loaded at version 1, the table is at 2 now
    after = stored_month(county, jid)
    assert after is not None and after.enterprises_inspected == 3 and after.version == 2
    save_month(county, jid, 2, None)  # without a form (CLI): not checked, but bumps the version
    with pytest.raises(StaleRecord):
        save_month(county, jid, 1, 2)


def _finding(county: County) -> int:
    with county.session() as s:
        row = findings.add_finding(
            s,
            principal=county.county_staff,
            jurisdiction_id=county.ids["三合街道"],
            target_kind=TargetKind.ENTERPRISE,
            enterprise_id=county.ids["三合化工有限公司"],
            institution_id=None,
            found_on=dt.date(2023, 5, 1),
            finding=findings.FindingInput("培训记录不实", check_item_number=5),
        )
        s.commit()
        return int(row.id or 0)


def _finding_row(county: County, fid: int) -> Finding:
    with county.session() as s:
        found = s.get(Finding, fid)
        assert found is not None
        return found


def test_finding_refuses_a_stale_form(county: County) -> None:
    fid = _finding(county)
    loaded = _finding_row(county, fid).version
    with county.session() as s:
        findings.update_finding(
            s, principal=county.county_staff, finding_id=fid, measure="补训", expected_version=loaded
        )
        s.commit()
    with county.session() as s, pytest.raises(StaleRecord, match="问题"):
        findings.update_finding(
            s,
            principal=county.county_staff,
            finding_id=fid,
            measure="旧表单的措施",
            rectified_on=dt.date(2023, 6, 1),
            expected_version=loaded,
        )
    with county.session() as s, pytest.raises(StaleRecord):
        findings.close_finding(
            s,
            principal=county.county_staff,
            finding_id=fid,
            revisit_date=dt.date(2023, 6, 2),
            revisit_result="passed",
            revisit_by="赵六",
            expected_version=loaded,
        )
    row = _finding_row(county, fid)
    assert row.measure == "补训" and row.status == FindingStatus.OPEN.value and row.version == loaded + 1


def test_inspection_refuses_a_stale_form_and_results_alone_bump_the_version(county: County) -> None:
    iid = inspect(county)
    with county.session() as s:
        loaded = s.get(Inspection, iid).version  # type: ignore[union-attr]
    with county.session() as s:
        inspection_edits.update_inspection(
            s,
            principal=county.county_staff,
            inspection_id=iid,
            results={3: ItemResult.NOT_APPLICABLE},
            today=TODAY,
            expected_version=loaded,
        )
        s.commit()
    with county.session() as s:
        now = s.get(Inspection, iid)
        assert now is not None and now.version == loaded + 1  # only an item result changed
    with county.session() as s, pytest.raises(StaleRecord, match=f"检查记录 {iid}"):
        inspection_edits.update_inspection(
            s,
            principal=county.county_staff,
            inspection_id=iid,
            notes="旧表单",
            today=TODAY,
            expected_version=loaded,
        )
    with county.session() as s, pytest.raises(StaleRecord):
        inspection_edits.delete_inspection(
            s, principal=county.county_staff, inspection_id=iid, expected_version=loaded
        )
    with county.session() as s:
        assert s.get(Inspection, iid) is not None


def _race(
    county: County, first: Callable[[Session], object], second: Callable[[Session], object]
) -> BaseException | None:
    """`first` writes (not yet committed); `second` runs in another connection meanwhile, having read
    the row before `first` commits; then `first` commits. What `second` raised (None: it saved)."""
    outcome: dict[str, BaseException | None] = {}
    a = county.session()
    first(a)
    a.flush()  # the UPDATE is sent: the row is locked until `a` commits

    def run() -> None:
        with county.session() as b:
            try:
                second(b)
                b.commit()
                outcome["error"] = None
            except BaseException as exc:
                b.rollback()
                outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.5)  # `second` has read the row and is waiting for the lock
    a.commit()
    a.close()
    worker.join(timeout=30)
    assert not worker.is_alive()
    return outcome["error"]


def test_concurrent_saves_of_one_finding_the_second_is_refused(county: County) -> None:
    fid = _finding(county)
    loaded = _finding_row(county, fid).version

    def first(s: Session) -> object:
        return findings.update_finding(
            s, principal=county.county_staff, finding_id=fid, measure="甲的措施", expected_version=loaded
        )

    def second(s: Session) -> object:
        return findings.update_finding(
            s,
            principal=county.township("三合街道"),
            finding_id=fid,
            measure="乙的措施",
            expected_version=loaded,
        )

    error = _race(county, first, second)
    assert isinstance(error, StaleRecord), repr(error)
    assert isinstance(error.__cause__, StaleDataError)  # refused by the database's WHERE version = :v
    assert _finding_row(county, fid).measure == "甲的措施"


def test_concurrent_first_reports_of_one_month_the_second_is_refused(county: County) -> None:
    jid = county.ids["三合街道"]

    def first(s: Session) -> object:
        return monthly_saving.save_monthly_numbers(
            s,
            principal=county.county_staff,
            jurisdiction_id=jid,
            month=MONTH,
            values=numbers(2),
            expected_version=NO_ROW,
        )

    def second(s: Session) -> object:
        return monthly_saving.save_monthly_numbers(
            s,
            principal=county.township("三合街道"),
            jurisdiction_id=jid,
            month=MONTH,
            values=numbers(1),
            expected_version=NO_ROW,
        )

    error = _race(county, first, second)
    assert isinstance(error, StaleRecord), repr(error)
    assert isinstance(error.__cause__, IntegrityError)  # refused by the database's unique (unit, month)
    stored = stored_month(county, jid)
    assert stored is not None and stored.enterprises_inspected == 2


def test_tip_refuses_a_stale_form(county: County) -> None:
    from db.models import Tip
    from db.records import tips

    with county.session() as s:
        tid = int(
            tips.record_tip(
                s,
                principal=county.county_staff,
                received_on=dt.date(2023, 9, 1),
                content="某厂培训记录造假",
                jurisdiction_id=county.ids["三合街道"],
            ).id
            or 0
        )
        s.commit()
    with county.session() as s:
        loaded = version_of(s.get(Tip, tid))
        tips.record_check(
            s,
            principal=county.county_staff,
            tip_id=tid,
            check_result="属实，已立案",
            substantiated=True,
            expected_version=loaded,
        )
        s.commit()
    with county.session() as s, pytest.raises(StaleRecord, match=f"举报线索 {tid}"):
        tips.assign_tip(
            s,
            principal=county.county_staff,
            tip_id=tid,
            jurisdiction_id=county.ids["名山街道"],
            expected_version=loaded,
        )
    with county.session() as s, pytest.raises(StaleRecord):
        tips.record_check(
            s,
            principal=county.county_staff,
            tip_id=tid,
            check_result="不属实",
            substantiated=False,
            expected_version=loaded,
        )
    with county.session() as s:
        tip = s.get(Tip, tid)
        assert (
            tip is not None
            and tip.check_result == "属实，已立案"
            and tip.jurisdiction_id == county.ids["三合街道"]
        )
