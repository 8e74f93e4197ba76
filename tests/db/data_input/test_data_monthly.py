"""汇总表: template, validation of broken files, import all-or-nothing, zero report, form, scans."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from anpei.periods import Month
from db.codes import MonthlyStatus
from db.models import MonthlyReport
from db.records import monthly_saving, monthly_table, monthly_validation
from db.records.common import InputError
from db.rules.access import AccessDenied
from db.xlsx.tables import ImportRefused
from tests.kits.countykit import County
from tests.kits.inputkit import LATE, ON_TIME, xlsx

HEADERS = [c.header for c in monthly_table.DEFAULT_LAYOUT]


def row(name: str = "三合街道", month: Any = "2023-05", **numbers: Any) -> list[Any]:
    values = {
        "enterprises_inspected": 3,
        "high_risk_inspected": 2,
        "industry_trade_inspected": 1,
        "institutions_inspected": 1,
        "problems_found": 3,
        "item:enterprise-1": 2,
        "item:enterprise-3": 1,
        "ordered_rectify": 3,
        "rectified": 2,
        "workers_checked": 10,
        "unlicensed": 1,
        "suspected_fake": 1,
        "managers_due": 4,
        "managers_passed": 3,
        "managers_overdue": 1,
        "cases": 1,
        "fines_wan": 0.5,
        "exposures": 1,
        "blacklisted": 0,
        "filled_by": "张三",
        "phone": "023-70000000",
        "filled_on": "2023-06-02",
    }
    values.update(numbers)
    out: list[Any] = []
    for c in monthly_table.DEFAULT_LAYOUT:
        if c.key == "jurisdiction":
            out.append(name)
        elif c.key == "month":
            out.append(month)
        else:
            out.append(values.get(c.key))
    return out


def table(*rows: list[Any], title: bool = True) -> bytes:
    top: list[list[Any]] = [[monthly_table.TITLE], ["填报单位（盖章）：三合街道"]] if title else []
    return xlsx([*top, HEADERS, *rows])


def col(key: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter([c.key for c in monthly_table.DEFAULT_LAYOUT].index(key) + 1)


def refused(county: County, data: bytes, filename: str = "5月汇总表.xlsx") -> list[str]:
    with county.session() as s, pytest.raises(ImportRefused) as info:
        monthly_saving.import_monthly(
            s, principal=county.county_staff, data=data, filename=filename, now=ON_TIME
        )
    with county.session() as s:
        assert s.exec(select(MonthlyReport)).all() == []  # nothing stored
    return [str(p) for p in info.value.problems]


# --- template -------------------------------------------------------------------------------


def test_template_is_prefilled_and_print_ready(county: County) -> None:
    with county.session() as s:
        data = monthly_table.build_template(
            s,
            principal=county.township("三合街道"),
            jurisdiction_id=county.ids["三合街道"],
            month=Month(2023, 5),
        )
        s.commit()
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["汇总表", "企业名单"]
    ws = wb["汇总表"]
    assert ws["A1"].value == monthly_table.TITLE
    assert "填报单位（盖章）：三合街道" in ws["A2"].value
    assert [ws.cell(row=4, column=i + 1).value for i in range(len(HEADERS))] == HEADERS
    assert ws["A5"].value == "三合街道" and ws["B5"].value == "2023-05"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$3:$4"
    assert any("填报人" in str(c.value) for c in ws["A"] if c.value)
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert {"whole", "decimal", "date"} <= kinds
    names = [r[1] for r in wb["企业名单"].iter_rows(min_row=3, values_only=True)]
    assert names[:0] == [] and set(names) == {
        "三合化工有限公司",
        "三合烟花爆竹经营部",
        "三合机械厂",
        "三合商贸公司",
    }
    assert "其中高危行业 2 家、工贸行业 1 家" in wb["企业名单"]["A1"].value
    assert county.audit_entries(action="export", entity="monthlyreport")


def test_filled_template_imports(county: County) -> None:
    with county.session() as s:
        data = monthly_table.build_template(
            s, principal=county.county_staff, jurisdiction_id=county.ids["三合街道"], month=Month(2023, 5)
        )
    wb = load_workbook(io.BytesIO(data))
    ws = wb["汇总表"]
    for index, value in enumerate(row(), start=1):
        if index > 2:
            ws.cell(row=5, column=index, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    with county.session() as s:
        report = monthly_saving.import_monthly(
            s, principal=county.township("三合街道"), data=buf.getvalue(), filename="t.xlsx", now=ON_TIME
        )
        s.commit()
    assert report.created == ["三合街道 2023-05"]
    with county.session() as s:
        stored = s.exec(select(MonthlyReport)).one()
        assert stored.enterprises_inspected == 3 and stored.fines_wan == Decimal("0.5")
        assert stored.problems_by_item == {"enterprise-1": 2, "enterprise-3": 1}
        assert stored.status == MonthlyStatus.SUBMITTED.value and stored.filled_on == dt.date(2023, 6, 2)


# --- broken files ---------------------------------------------------------------------------


def test_wrong_sheet(county: County) -> None:
    data = xlsx([["姓名", "身份证号"], ["张三", "500230199001011234"]], sheet="人员名单")
    (message,) = refused(county, data)
    assert "找不到汇总表" in message and "人员名单" in message


def test_merged_cells_in_data(county: County) -> None:
    data = xlsx([[monthly_table.TITLE], ["x"], HEADERS, row(), row("名山街道")], merge="C4:D4")
    messages = refused(county, data)
    assert any("合并单元格 C4:D4" in m and "第 4 行" in m for m in messages), messages


def test_text_in_number_column(county: County) -> None:
    messages = refused(county, table(row(enterprises_inspected="三家")))
    assert messages == [
        f"工作表“汇总表”第 4 行 {col('enterprises_inspected')}（检查生产经营单位数） 列：数量列填写了文字（读到“三家”，应为不小于 0 的整数）"
    ]


@pytest.mark.parametrize(
    "key,value,fragment",
    [
        ("rectified", -1, "数量不能为负数"),
        ("workers_checked", 2.5, "数量应为整数"),
        ("fines_wan", -0.1, "金额不能为负数"),
        ("fines_wan", "一万", "金额列填写了文字"),
        ("filled_on", "六月二日", "日期无法识别"),
    ],
)
def test_bad_values(county: County, key: str, value: Any, fragment: str) -> None:
    messages = refused(county, table(row(**{key: value})))
    assert len(messages) == 1 and fragment in messages[0] and f" {col(key)}（" in messages[0], messages


@pytest.mark.parametrize(
    "numbers,fragment",
    [
        ({"enterprises_inspected": 5}, "大于本单位登记的生产经营单位数"),
        (
            {"high_risk_inspected": 3, "industry_trade_inspected": 1},
            "其中：高危行业与其中：工贸行业之和大于检查生产经营单位数",
        ),
        ({"rectified": 4}, "已整改数大于责令整改数"),
        ({"ordered_rectify": 5, "rectified": 1}, "责令整改数大于发现问题数"),
        ({"unlicensed": 6, "suspected_fake": 5}, "无证上岗人数与疑似持假证人数之和大于核查特种作业人员数"),
        ({"managers_passed": 4}, "已考核合格数与逾期未考核数之和大于应考核人数"),
        ({"item:enterprise-2": 5}, "发现问题数（3）与按检查项填写的问题数之和（8）不一致"),
    ],
)
def test_sanity_rules(county: County, numbers: dict[str, Any], fragment: str) -> None:
    messages = refused(county, table(row(**numbers)))
    assert any(fragment in m for m in messages), messages


@pytest.mark.parametrize(
    "numbers", [{"problems_found": 5}, {"item:enterprise-3": None, "ordered_rectify": 2, "rectified": 1}]
)
def test_item_columns_add_up_to_problems_found(county: County, numbers: dict[str, Any]) -> None:
    """Each problem has one check item: a row whose item columns do not add up to 发现问题数 is refused,
    named by file, sheet, row and column (the 发现问题数 column)."""
    messages = refused(county, table(row(**numbers)))
    assert len(messages) == 1, messages
    assert (
        "与按检查项填写的问题数之和" in messages[0]
        and f" {col('problems_found')}（发现问题数）" in messages[0]
    ), messages
    assert messages[0].startswith("工作表“汇总表”第 4 行 "), messages


def test_every_problem_of_a_row_is_reported_at_once(county: County) -> None:
    """A −1 does not hide the cross-column violations of the same row (issue 10 item 9)."""
    numbers = {
        "rectified": 4,
        "ordered_rectify": 3,
        "unlicensed": -1,
        "high_risk_inspected": 3,
        "industry_trade_inspected": 1,
        "managers_passed": 4,
    }
    messages = refused(county, table(row(**numbers)))
    assert any("数量不能为负数" in m and f" {col('unlicensed')}（" in m for m in messages), messages
    assert any("已整改数大于责令整改数" in m for m in messages), messages
    assert any("其中：高危行业与其中：工贸行业之和大于检查生产经营单位数" in m for m in messages), messages
    assert any("已考核合格数与逾期未考核数之和大于应考核人数" in m for m in messages), messages
    # a rule that involves the unreadable number is not judged on a guess
    assert not any("核查特种作业人员数" in m and "之和大于" in m for m in messages), messages
    assert len(messages) == 4, messages


def test_unreadable_bound_does_not_raise_false_violations(county: County) -> None:
    messages = refused(county, table(row(enterprises_inspected="三家", rectified=4)))
    assert any("数量列填写了文字" in m for m in messages) and any(
        "已整改数大于责令整改数" in m for m in messages
    )
    assert not any("大于检查生产经营单位数" in m for m in messages), messages


def test_form_reports_every_problem_at_once(county: County) -> None:
    jid = county.ids["三合街道"]
    with county.session() as s, pytest.raises(ImportRefused) as info:
        monthly_saving.save_monthly_numbers(
            s,
            principal=county.county_staff,
            jurisdiction_id=jid,
            month=Month(2023, 5),
            values={
                "enterprises_inspected": 1,
                "high_risk_inspected": 2,
                "workers_checked": -1,
                "ordered_rectify": 1,
                "rectified": 2,
                "problems_found": 1,
            },
        )
    text = str(info.value)
    assert (
        "数量不能为负数" in text and "已整改数大于责令整改数" in text and "之和大于检查生产经营单位数" in text
    ), text


@pytest.mark.parametrize("value", ["2023-06-02", "2023/6/2", "2023年6月2日", dt.date(2023, 6, 2), "20230602"])
def test_dates_in_several_formats(county: County, value: Any) -> None:
    with county.session() as s:
        monthly_saving.import_monthly(
            s, principal=county.county_staff, data=table(row(filled_on=value)), filename="t.xlsx", now=ON_TIME
        )
        s.commit()
        assert s.exec(select(MonthlyReport)).one().filled_on == dt.date(2023, 6, 2)


@pytest.mark.parametrize("value", ["2023-05", "2023/5", "2023年5月", dt.datetime(2023, 5, 1), "202305"])
def test_month_in_several_formats(county: County, value: Any) -> None:
    result = monthly_validation.validate_monthly_file(table(row(month=value)), filename="t.xlsx")
    assert result.ok and result.rows[0].month == Month(2023, 5), result.messages


def test_gbk_csv(county: County) -> None:
    lines = [",".join(HEADERS), ",".join("" if v is None else str(v) for v in row())]
    data = ("\r\n".join(lines) + "\r\n").encode("gbk")
    with county.session() as s:
        report = monthly_saving.import_monthly(
            s, principal=county.county_staff, data=data, filename="汇总表.csv", now=ON_TIME
        )
        s.commit()
    assert report.created == ["三合街道 2023-05"]


def test_empty_file(county: County) -> None:
    assert refused(county, b"") == ["文件：文件“5月汇总表.xlsx”是空的，没有任何内容"]
    assert "没有任何数据" in refused(county, xlsx([]))[0]


def test_header_without_rows(county: County) -> None:
    assert "表头下面没有数据行" in refused(county, table())[0]


def test_oversize_file(county: County) -> None:
    data = b"PK" + b"\0" * (20 * 1024 * 1024 + 1)
    (message,) = refused(county, data)
    assert "超过上传上限 20 MB" in message


def test_corrupt_and_unsupported(county: County) -> None:
    assert "无法打开" in refused(county, b"not a zip file")[0]
    assert "另存为" in refused(county, b"\xd0\xcf\x11\xe0", filename="x.xls")[0]


def test_unknown_jurisdiction_and_duplicate_rows(county: County) -> None:
    messages = refused(county, table(row("不存在镇"), row(), row()))
    assert any("找不到这个填报单位" in m for m in messages)
    assert any("与第 5 行重复" in m for m in messages)


def test_future_month_refused(county: County) -> None:
    assert "月份还没到" in refused(county, table(row(month="2999-01")))[0]


def test_all_or_nothing_when_one_row_is_bad(county: County) -> None:
    messages = refused(county, table(row(), row("名山街道", enterprises_inspected=-1)))
    assert len(messages) == 1 and "第 5 行" in messages[0]


# --- import behaviour ------------------------------------------------------------------------


def test_same_file_twice_and_correction(county: County) -> None:
    first = table(row())
    with county.session() as s:
        monthly_saving.import_monthly(
            s, principal=county.county_staff, data=first, filename="a.xlsx", now=ON_TIME
        )
        s.commit()
    with county.session() as s:
        again = monthly_saving.import_monthly(
            s, principal=county.county_staff, data=first, filename="a.xlsx", now=LATE
        )
        s.commit()
    assert again.unchanged == ["三合街道 2023-05"] and not again.created and not again.replaced
    corrected = table(row(enterprises_inspected=4, high_risk_inspected=3))
    with county.session() as s:
        fixed = monthly_saving.import_monthly(
            s, principal=county.county_staff, data=corrected, filename="b.xlsx", now=LATE
        )
        s.commit()
    assert fixed.replaced == ["三合街道 2023-05"]
    with county.session() as s:
        (stored,) = s.exec(select(MonthlyReport)).all()
        assert stored.enterprises_inspected == 4
        assert stored.status == MonthlyStatus.SUBMITTED.value  # the first submission was on time
    entries = county.audit_entries(action="import", entity="monthlyreport")
    assert len(entries) == 2
    assert entries[1].before is not None and entries[1].before["enterprises_inspected"] == 3
    assert entries[1].after is not None and entries[1].after["enterprises_inspected"] == 4


def test_late_submission(county: County) -> None:
    with county.session() as s:
        monthly_saving.import_monthly(
            s, principal=county.county_staff, data=table(row()), filename="a.xlsx", now=LATE
        )
        s.commit()
        assert s.exec(select(MonthlyReport)).one().status == MonthlyStatus.LATE.value


def test_due_date() -> None:
    assert monthly_table.due_date(Month(2023, 5), 5) == dt.date(2023, 6, 5)
    assert monthly_table.due_date(Month(2023, 12), 5) == dt.date(2024, 1, 5)
    assert monthly_table.due_date(Month(2023, 1), 31) == dt.date(2023, 2, 28)
    # 2023-06-05 23:30 in Shanghai is 15:30 UTC: still on time
    assert not monthly_table.is_late(
        dt.datetime(2023, 6, 5, 15, 30, tzinfo=dt.UTC), month=Month(2023, 5), due_day=5
    )
    assert monthly_table.is_late(
        dt.datetime(2023, 6, 5, 16, 30, tzinfo=dt.UTC), month=Month(2023, 5), due_day=5
    )


def test_township_cannot_import_another_township(county: County) -> None:
    with county.session() as s, pytest.raises(AccessDenied, match="只能修改本乡镇"):
        monthly_saving.import_monthly(
            s, principal=county.township("名山街道"), data=table(row()), filename="a.xlsx"
        )
    with county.session() as s, pytest.raises(AccessDenied, match="只读"):
        monthly_saving.import_monthly(s, principal=county.leader, data=table(row()), filename="a.xlsx")
    with county.session() as s:
        assert s.exec(select(MonthlyReport)).all() == []


# --- zero report, form, scan -----------------------------------------------------------------


def test_zero_report(county: County) -> None:
    jid = county.ids["名山街道"]
    with county.session() as s:
        monthly_saving.submit_zero_report(
            s,
            principal=county.township("名山街道"),
            jurisdiction_id=jid,
            month=Month(2023, 5),
            filled_by="李四",
            now=ON_TIME,
        )
        s.commit()
    with county.session() as s:
        stored = s.exec(select(MonthlyReport)).one()
        assert stored.status == MonthlyStatus.ZERO.value and stored.submitted_at is not None
        monthly_saving.submit_zero_report(
            s, principal=county.county_staff, jurisdiction_id=jid, month=Month(2023, 5)
        )  # idempotent
        s.commit()
    assert len(county.audit_entries(entity="monthlyreport")) == 1
    with county.session() as s, pytest.raises(AccessDenied):
        monthly_saving.submit_zero_report(
            s, principal=county.township("三合街道"), jurisdiction_id=jid, month=Month(2023, 5)
        )


def test_zero_report_refused_when_numbers_exist(county: County) -> None:
    with county.session() as s:
        monthly_saving.import_monthly(
            s, principal=county.county_staff, data=table(row()), filename="a.xlsx", now=ON_TIME
        )
        s.commit()
    with county.session() as s, pytest.raises(InputError, match="不能再提交零报告"):
        monthly_saving.submit_zero_report(
            s, principal=county.county_staff, jurisdiction_id=county.ids["三合街道"], month=Month(2023, 5)
        )


def test_form_save_and_correct(county: County) -> None:
    jid = county.ids["三合街道"]
    p = county.township("三合街道")
    with county.session() as s:
        monthly_saving.save_monthly_numbers(
            s,
            principal=p,
            jurisdiction_id=jid,
            month=Month(2023, 5),
            now=LATE,
            values={
                "enterprises_inspected": "2",
                "high_risk_inspected": 1,
                "fines_wan": "0.2",
                "item:enterprise-3": 1,
                "problems_found": 1,
            },
        )
        s.commit()
    with county.session() as s:
        stored = s.exec(select(MonthlyReport)).one()
        assert stored.status == MonthlyStatus.LATE.value and stored.problems_by_item == {"enterprise-3": 1}
        values = monthly_saving.form_values(stored)
        assert values["enterprises_inspected"] == 2 and values["item:enterprise-3"] == 1
    with county.session() as s, pytest.raises(ImportRefused) as info:
        monthly_saving.save_monthly_numbers(
            s,
            principal=p,
            jurisdiction_id=jid,
            month=Month(2023, 5),
            values={"enterprises_inspected": 1, "high_risk_inspected": 2},
        )
    assert "在线填报" in str(info.value) and "之和大于检查生产经营单位数" in str(info.value)
    with county.session() as s, pytest.raises(AccessDenied):
        monthly_saving.save_monthly_numbers(
            s, principal=county.township("名山街道"), jurisdiction_id=jid, month=Month(2023, 5), values={}
        )
    with county.session() as s, pytest.raises(AccessDenied):
        monthly_saving.save_monthly_numbers(
            s, principal=county.leader, jurisdiction_id=jid, month=Month(2023, 5), values={}
        )
    assert len(county.audit_entries(entity="monthlyreport", action="create")) == 1


def test_attach_scan(county: County, uploads: Path) -> None:
    jid = county.ids["三合街道"]
    pdf = b"%PDF-1.4\n% stamped\n"
    with county.session() as s, pytest.raises(InputError, match="尚未报送"):
        monthly_saving.attach_scan(
            s,
            principal=county.county_staff,
            jurisdiction_id=jid,
            month=Month(2023, 5),
            data=pdf,
            filename="a.pdf",
        )
    with county.session() as s:
        monthly_saving.submit_zero_report(
            s, principal=county.county_staff, jurisdiction_id=jid, month=Month(2023, 5), now=ON_TIME
        )
        report = monthly_saving.attach_scan(
            s,
            principal=county.township("三合街道"),
            jurisdiction_id=jid,
            month=Month(2023, 5),
            data=pdf,
            filename="盖章.pdf",
        )
        s.commit()
        assert report.scan_path and (uploads / report.scan_path).read_bytes() == pdf
    with county.session() as s, pytest.raises(InputError, match=r"不是有效的 \.pdf"):
        monthly_saving.attach_scan(
            s,
            principal=county.county_staff,
            jurisdiction_id=jid,
            month=Month(2023, 5),
            data=b"MZ",
            filename="x.pdf",
        )
    with county.session() as s, pytest.raises(InputError, match="不支持的文件类型"):
        monthly_saving.attach_scan(
            s,
            principal=county.county_staff,
            jurisdiction_id=jid,
            month=Month(2023, 5),
            data=b"x",
            filename="x.exe",
        )
    assert any("盖章扫描件" in e.detail for e in county.audit_entries(entity="monthlyreport"))
