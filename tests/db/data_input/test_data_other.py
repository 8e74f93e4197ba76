"""Self-inspection, 12350 tips, exposure/blacklist list, summary reports."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from db.codes import ActionKind, TargetKind, TipStatus
from db.reads import exposures
from db.records import self_inspections, summary_reports, tips
from db.records.common import InputError
from db.records.finding_list import list_findings
from db.records.findings import FindingInput
from db.records.inspections import ActionInput, add_action
from db.rules.access import AccessDenied
from tests.kits.countykit import County


def test_self_inspection_with_problems(county: County, uploads: Path) -> None:
    with county.session() as s:
        report = self_inspections.submit_self_inspection(
            s,
            principal=county.township("三合街道"),
            target_kind=TargetKind.INSTITUTION,
            institution_id=county.ids["三合安全培训学校"],
            submitted_on=dt.date(2023, 1, 10),
            summary="自查发现两项问题",
            problems=[
                FindingInput(
                    "培训档案缺失",
                    check_item_number=3,
                    deadline=dt.date(2023, 2, 28),
                    responsible_person="校长",
                ),
                FindingInput("师资不足", check_item_number=1),
            ],
            attachment=b"%PDF-1.7 report",
            filename="自查报告.pdf",
        )
        s.commit()
        assert report.attachment and (uploads / report.attachment).exists()
    with county.session() as s:
        (row,) = self_inspections.list_self_inspections(s, principal=county.county_staff)
        assert (row.target_name, row.problems, row.problems_open) == ("三合安全培训学校", 2, 2)
        assert self_inspections.list_self_inspections(s, principal=county.township("名山街道")) == []
        assert {f.description for f in list_findings(s, principal=county.county_staff)} == {
            "培训档案缺失",
            "师资不足",
        }
    with county.session() as s, pytest.raises(AccessDenied):
        self_inspections.submit_self_inspection(
            s,
            principal=county.township("名山街道"),
            target_kind="enterprise",
            enterprise_id=county.ids["三合机械厂"],
            summary="x",
        )
    with county.session() as s, pytest.raises(InputError, match="请填写自查情况"):
        self_inspections.submit_self_inspection(
            s, principal=county.county_staff, target_kind="enterprise", enterprise_id=county.ids["三合机械厂"]
        )
    assert county.audit_entries(entity="selfinspectionreport", action="create")


def test_tip_lifecycle_and_flag(county: County) -> None:
    jid = county.ids["名山街道"]
    with county.session() as s:
        a = tips.record_tip(
            s,
            principal=county.county_staff,
            received_on=dt.date(2023, 5, 1),
            content="某采石场爆破工无证上岗",
            reference="12350-0001",
            target_name="名山采石场",
        )
        b = tips.record_tip(
            s,
            principal=county.county_staff,
            received_on=dt.date(2023, 5, 25),
            content="培训走过场",
            jurisdiction_id=jid,
        )
        s.commit()
        a_id, b_id = int(a.id or 0), int(b.id or 0)
    as_of = dt.date(2023, 6, 1)  # 31 and 7 days later; the default limit is 15 days
    with county.session() as s:
        flagged = tips.list_tips(s, principal=county.county_staff, as_of=as_of, flagged_only=True)
        assert [t.id for t in flagged] == [a_id]
        assert tips.list_tips(s, principal=county.township("名山街道"), as_of=as_of)[0].id == b_id
        with pytest.raises(AccessDenied):
            tips.assign_tip(s, principal=county.township("名山街道"), tip_id=a_id, jurisdiction_id=jid)
        with pytest.raises(InputError, match="尚未交办"):
            tips.record_check(
                s, principal=county.county_staff, tip_id=a_id, check_result="x", substantiated=True
            )
        tips.assign_tip(
            s,
            principal=county.county_staff,
            tip_id=a_id,
            jurisdiction_id=jid,
            assigned_on=dt.date(2023, 5, 2),
        )
        with pytest.raises(InputError, match="请先填写核查情况"):
            tips.answer_tip(s, principal=county.township("名山街道"), tip_id=a_id)
        tips.record_check(
            s,
            principal=county.township("名山街道"),
            tip_id=a_id,
            check_result="属实，已责令停岗",
            substantiated=True,
        )
        done = tips.answer_tip(
            s,
            principal=county.township("名山街道"),
            tip_id=a_id,
            answered_on=dt.date(2023, 5, 30),
            close=True,
        )
        s.commit()
        assert done.status == TipStatus.CLOSED.value
        assert tips.list_tips(s, principal=county.county_staff, as_of=as_of, flagged_only=True) == []
    with county.session() as s, pytest.raises(AccessDenied):
        tips.record_check(
            s, principal=county.township("三合街道"), tip_id=b_id, check_result="x", substantiated=None
        )
    assert len(county.audit_entries(entity="tip")) == 5


def test_exposure_list_and_export(county: County) -> None:
    with county.session() as s:
        for kind, extra in (
            (ActionKind.FINE, {"fine_amount": Decimal("30000")}),
            (ActionKind.BLACKLIST, {}),
            (ActionKind.EXPOSURE, {}),
            (ActionKind.CASE, {}),
        ):
            add_action(
                s,
                principal=county.county_staff,
                jurisdiction_id=county.ids["三合街道"],
                target_kind="enterprise",
                enterprise_id=county.ids["三合化工有限公司"],
                institution_id=None,
                action=ActionInput(kind, dt.date(2023, 6, 1), case_ref="丰应急罚〔2023〕7号", **extra),
            )
        s.commit()
        rows = exposures.list_exposures(s, principal=county.county_staff)
        assert sorted(r.kind for r in rows) == ["blacklist", "exposure", "fine"]
        assert exposures.list_exposures(s, principal=county.township("名山街道")) == []
        data = exposures.export_exposures(s, principal=county.leader)
        s.commit()
    ws = load_workbook(io.BytesIO(data)).active
    assert ws is not None
    assert (
        ws["B2"].value == "单位名称"
        and ws["B3"].value == "三合化工有限公司"
        and ws["C3"].value == "91500230MA0000000X"
    )
    assert county.audit_entries(action="export", entity="enforcementaction")[0].username.startswith("leader")
    with county.session() as s, pytest.raises(InputError, match="罚款须填写"):
        add_action(
            s,
            principal=county.county_staff,
            jurisdiction_id=county.ids["三合街道"],
            target_kind="enterprise",
            enterprise_id=county.ids["三合化工有限公司"],
            institution_id=None,
            action=ActionInput(ActionKind.FINE, dt.date(2023, 6, 1)),
        )


def test_summary_reports(county: County, uploads: Path) -> None:
    with county.session() as s:
        summary_reports.upload_summary_report(
            s,
            principal=county.township("三合街道"),
            jurisdiction_id=county.ids["三合街道"],
            data=b"PK\x03\x04docx",
            filename="三合街道总结.docx",
            submitted_on=dt.date(2023, 10, 20),
        )
        summary_reports.upload_summary_report(
            s,
            principal=county.county_staff,
            jurisdiction_id=county.ids["县经信委"],
            data=b"%PDF-1.4",
            filename="经信委总结.pdf",
            submitted_on=dt.date(2023, 11, 2),
        )
        s.commit()
        rows = {
            r.jurisdiction: r
            for r in summary_reports.summary_report_status(
                s, principal=county.county_staff, as_of=dt.date(2023, 11, 5)
            )
        }
        assert {k: r.status_label for k, r in rows.items()} == {
            "三合街道": "按时报送",
            "名山街道": "未报",
            "县经信委": "逾期报送",
        }
        before = summary_reports.summary_report_status(
            s, principal=county.township("名山街道"), as_of=dt.date(2023, 10, 1)
        )
        assert [(r.jurisdiction, r.status) for r in before] == [("名山街道", "pending")]
        with pytest.raises(AccessDenied):
            summary_reports.upload_summary_report(
                s,
                principal=county.leader,
                jurisdiction_id=county.ids["名山街道"],
                data=b"%PDF",
                filename="a.pdf",
            )
        with pytest.raises(InputError, match="不支持的文件类型"):
            summary_reports.upload_summary_report(
                s,
                principal=county.county_staff,
                jurisdiction_id=county.ids["名山街道"],
                data=b"x",
                filename="a.exe",
            )
    assert county.audit_entries(entity="summaryreport")
