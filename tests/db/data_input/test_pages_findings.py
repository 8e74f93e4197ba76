"""The 问题清单 page through AppTest: filters, overdue highlighted, rectify, close with a revisit."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlmodel import select

from db.codes import TargetKind
from db.models import Finding
from db.records import findings
from tests.kits.countykit import County
from tests.kits.inputkit import open_page, texts

P = "data_findings"


@pytest.fixture
def two_findings(page_county: County) -> County:
    with page_county.session() as s:
        for town, ent, deadline in (
            ("三合街道", "三合化工有限公司", dt.date(2023, 6, 1)),
            ("名山街道", "名山采石场", dt.date(2023, 12, 31)),
        ):
            findings.add_finding(
                s,
                principal=page_county.county_staff,
                jurisdiction_id=page_county.ids[town],
                target_kind=TargetKind.ENTERPRISE,
                enterprise_id=page_county.ids[ent],
                institution_id=None,
                found_on=dt.date(2023, 5, 1),
                finding=findings.FindingInput(f"{ent}培训记录不实", check_item_number=5, deadline=deadline),
            )
        s.commit()
    return page_county


def test_list_and_overdue(two_findings: County, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("data_findings.py", two_findings.county_staff, monkeypatch)
    table = at.dataframe[0].value
    assert list(table["检查对象"]) == ["三合化工有限公司", "名山采石场"]  # the overdue one first
    assert "其中逾期未整改 1 条" in texts(at)
    at.checkbox(key=f"{P}.overdue").check()
    at.run()
    assert list(at.dataframe[0].value["检查对象"]) == ["三合化工有限公司"]
    township = open_page("data_findings.py", two_findings.township("名山街道"), monkeypatch)
    assert list(township.dataframe[0].value["检查对象"]) == ["名山采石场"]


def test_check_item_by_name_and_days_overdue_as_numbers(
    two_findings: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    """检查项 shows the item's short name, not a bare 5; 逾期天数 is a number column with empty cells
    where nothing is overdue (a mixed text column made pyarrow fall back and sort as text)."""
    at = open_page("data_findings.py", two_findings.county_staff, monkeypatch)
    table = at.dataframe[0].value
    assert list(table["检查项"]) == ["培训记录", "培训记录"]
    assert pd.api.types.is_integer_dtype(table["逾期天数"])
    assert table["逾期天数"].iloc[0] > 0 and pd.isna(table["逾期天数"].iloc[1])


def test_close_requires_revisit(two_findings: County, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("data_findings.py", two_findings.township("三合街道"), monkeypatch)
    F = f"{P}.{at.selectbox(key=f'{P}.chosen').value}"  # the form's keys carry the problem's id
    at.button(key=f"FormSubmitter:{F}.revisit-复查销号").click()
    at.run()
    assert any("销号须填写复查日期、复查结果、复查人" in e.value for e in at.error)
    at.date_input(key=f"{F}.revisit_date").set_value(dt.date(2023, 6, 10))
    at.radio(key=f"{F}.revisit_result").set_value("passed")
    at.text_input(key=f"{F}.revisit_by").input("赵六")
    at.button(key=f"FormSubmitter:{F}.revisit-复查销号").click()
    at.run()
    assert "已记录复查" in texts(at)
    with two_findings.session() as s:
        closed = [f for f in s.exec(select(Finding)).all() if f.status == "closed"]
    assert len(closed) == 1 and closed[0].revisit_by == "赵六"


def test_leader_cannot_close(two_findings: County, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("data_findings.py", two_findings.leader, monkeypatch)
    assert len(at.dataframe[0].value) == 2
    assert "只读" in texts(at)
    assert not [b for b in at.button if str(b.key).startswith(f"FormSubmitter:{P}.")]
