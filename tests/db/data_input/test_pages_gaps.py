"""The 自查、举报、曝光与总结 page: re-assigning tips, the red flag, scoping, later enforcement actions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from db.models import AuditLog, EnforcementAction, Tip
from db.records import tips
from tests.kits.countykit import County
from tests.kits.inputkit import open_page, texts

P = "data_other"


def seed_tips(county: County) -> dict[str, int]:
    """Three tips received 2023-09-01 (flagged by 2023-10-31): for 三合街道, for 名山街道, not yet assigned."""
    ids: dict[str, int] = {}
    with county.session() as s:
        for label, town in (("三合", "三合街道"), ("名山", "名山街道"), ("未交办", None)):
            tip = tips.record_tip(
                s,
                principal=county.county_staff,
                received_on=dt.date(2023, 9, 1),
                content=f"{label}：培训记录造假",
                jurisdiction_id=county.ids[town] if town else None,
            )
            ids[label] = int(tip.id or 0)
        s.commit()
    return ids


def tip_frame(at: Any) -> Any:
    return next(d.value for d in at.dataframe if "举报内容" in d.value.columns)


def test_county_staff_reassigns_a_tip(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = seed_tips(page_county)
    at = open_page("data_other.py", page_county.county_staff, monkeypatch)
    at.selectbox(key=f"{P}.tip_move_chosen").set_value(ids["三合"]).run()
    F = f"{P}.tip_move.{ids['三合']}"  # the form's keys carry the tip's id
    at.selectbox(key=f"{F}.to").set_value(page_county.ids["名山街道"])
    at.date_input(key=f"{F}.on").set_value(dt.date(2023, 9, 3))
    at.button(key=f"FormSubmitter:{F}.form-交办").click()
    at.run()
    assert f"线索 {ids['三合']} 已交办给名山街道" in texts(at), texts(at)
    with page_county.session() as s:
        moved = s.get(Tip, ids["三合"])
        assert moved is not None and (moved.jurisdiction_id, moved.assigned_on) == (
            page_county.ids["名山街道"],
            dt.date(2023, 9, 3),
        )
        entry = s.exec(
            select(AuditLog).where(AuditLog.entity == "tip", AuditLog.detail == "交办给名山街道")
        ).one()
        assert entry.before is not None and entry.before["jurisdiction_id"] == page_county.ids["三合街道"]
    # the unassigned one is assigned through the same form
    at.selectbox(key=f"{P}.tip_move_chosen").set_value(ids["未交办"]).run()
    F = f"{P}.tip_move.{ids['未交办']}"
    at.selectbox(key=f"{F}.to").set_value(page_county.ids["三合街道"])
    at.button(key=f"FormSubmitter:{F}.form-交办").click()
    at.run()
    at.run()  # the list is drawn above the form: the next run shows the change
    frame = tip_frame(at)
    assert set(frame["承办单位"]) == {"三合街道", "名山街道"}


def test_flagged_tips_stand_out_in_red(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_tips(page_county)
    at = open_page("data_other.py", page_county.county_staff, monkeypatch)
    caption = next(c.value for c in at.caption if "超期未处理" in c.value)
    assert ":red[**超期未处理 3 条**]" in caption and "15 天" in caption
    table = next(d for d in at.dataframe if "举报内容" in d.value.columns)
    assert "background-color: #f5c6c1" in str(table.proto)  # the Styler's row colours travel with the table
    assert list(table.value["超期未处理"]) == ["是", "是", "是"]


def test_township_staff_see_only_their_tips_and_cannot_reassign(
    page_county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = seed_tips(page_county)
    at = open_page("data_other.py", page_county.township("三合街道"), monkeypatch)
    frame = tip_frame(at)
    assert list(frame["编号"]) == [ids["三合"]] and list(frame["承办单位"]) == ["三合街道"]
    assert not [s for s in at.selectbox if s.key == f"{P}.tip_move_chosen"]
    assert not [b for b in at.button if "tip_move" in str(b.key)]
    # the check form offers only their own tip
    assert at.selectbox(key=f"{P}.tip_chosen").options == [f"{ids['三合']}｜三合：培训记录造假"]


def test_township_registers_a_fine_against_its_enterprise(
    page_county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("data_other.py", page_county.township("三合街道"), monkeypatch)
    chem = page_county.ids["三合化工有限公司"]
    F = f"{P}.action.{page_county.ids['三合街道']}.enterprise"  # the form's keys carry the unit and the kind
    target = at.selectbox(key=f"{F}.target")
    assert "名山采石场" not in target.options and "三合化工有限公司" in target.options
    target.set_value(chem)
    at.selectbox(key=f"{F}.kind").set_value("fine")
    at.date_input(key=f"{F}.date").set_value(dt.date(2023, 7, 1))
    at.text_input(key=f"{F}.ref").input("丰应急罚〔2023〕12号")
    at.button(key=f"FormSubmitter:{F}.form-登记处理措施").click()
    at.run()
    assert "未保存：罚款须填写大于 0 的金额（元）" in texts(at), texts(at)
    at.number_input(key=f"{F}.fine").set_value(8000.0)
    at.button(key=f"FormSubmitter:{F}.form-登记处理措施").click()
    at.run()
    assert "已登记：三合化工有限公司 罚款" in texts(at), texts(at)
    with page_county.session() as s:
        (row,) = s.exec(select(EnforcementAction)).all()
        assert (row.kind, row.enterprise_id, row.jurisdiction_id, row.fine_amount, row.case_ref) == (
            "fine",
            chem,
            page_county.ids["三合街道"],
            Decimal("8000.00"),
            "丰应急罚〔2023〕12号",
        )
        assert (
            s.exec(select(AuditLog).where(AuditLog.entity == "enforcementaction")).one().username
            == "local_staff-三合街道"
        )
    at.run()
    listed = next(d.value for d in at.dataframe if "处理方式" in d.value.columns)
    assert list(listed["处理方式"]) == ["罚款"]


def test_county_orders_rectification_and_lists_every_kind(
    page_county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("data_other.py", page_county.county_staff, monkeypatch)
    at.selectbox(key=f"{P}.action_jurisdiction").set_value(page_county.ids["名山街道"])
    at.run()
    F = f"{P}.action.{page_county.ids['名山街道']}.enterprise"
    at.selectbox(key=f"{F}.target").set_value(page_county.ids["名山采石场"])
    at.selectbox(key=f"{F}.kind").set_value("order_rectify")
    at.date_input(key=f"{F}.date").set_value(dt.date(2023, 7, 1))
    at.button(key=f"FormSubmitter:{F}.form-登记处理措施").click()
    at.run()
    assert "责令整改须填写不早于处理日期的整改期限" in texts(at), texts(at)
    at.date_input(key=f"{F}.deadline").set_value(dt.date(2023, 7, 31))
    at.button(key=f"FormSubmitter:{F}.form-登记处理措施").click()
    at.run()
    assert "已登记：名山采石场 责令整改" in texts(at), texts(at)
    with page_county.session() as s:
        (row,) = s.exec(select(EnforcementAction)).all()
        assert (row.kind, row.deadline, row.fine_amount) == ("order_rectify", dt.date(2023, 7, 31), None)
    at.run()
    assert "还没有罚款、曝光或纳入黑名单的记录。" in texts(at)  # 责令整改 is not published by default
    at.checkbox(key=f"{P}.exposure_all").check()
    at.run()
    listed = next(d.value for d in at.dataframe if "处理方式" in d.value.columns)
    assert list(listed["单位名称"]) == ["名山采石场"] and list(listed["处理方式"]) == ["责令整改"]


def test_leader_sees_no_action_form(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("data_other.py", page_county.leader, monkeypatch)
    assert not [s for s in at.selectbox if str(s.key).startswith(f"{P}.action.")]
    assert "只读" in texts(at)
