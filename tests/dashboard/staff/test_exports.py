"""The export files, opened again with openpyxl: print setup, totals, masking, formula-safe text; and
`anpei export …` on the command line."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session
from typer.testing import CliRunner

from anpei.periods import Month
from anpei_cli.cli import app
from dashboard.verify_service import check_row
from db.engine import make_engine
from db.models import Enterprise, Finding, Inspection, MonthlyReport
from db.records.cert_results import save_job_results
from db.records.monthly_table import DEFAULT_LAYOUT
from db.rules.access import SYSTEM, AccessDenied
from db.xlsx import file_names, summary_figures, township_summary, verification_export
from tests.dashboard.staff.conftest import County
from tests.kits.staffkit import people
from verifier.contract import Certificate, ResultRecord, RosterFields
from verifier.types import Family, Outcome

CROWD = people(3)
FORMULA = '=HYPERLINK("http://example.invalid","点我")'


def _book(data: bytes) -> object:
    return load_workbook(io.BytesIO(data))


def _assert_print_ready(ws: Worksheet, *, title_rows: str) -> None:
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == title_rows


def _texts(ws: Worksheet) -> str:
    return "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)


def _data(county: County) -> None:
    """May 2023 in 三合街道: a submitted table, and records (an inspection, findings, checks)."""
    j = county.ids["三合街道"]
    with county.session() as s:
        s.add(
            MonthlyReport(
                jurisdiction_id=j,
                month="2023-05",
                status="submitted",
                submitted_at=dt.datetime(2023, 6, 3, tzinfo=dt.UTC),
                enterprises_inspected=2,
                high_risk_inspected=1,
                industry_trade_inspected=1,
                problems_found=3,
                problems_by_item={"enterprise-3": 2},
                ordered_rectify=2,
                rectified=1,
                workers_checked=5,
                unlicensed=1,
                fines_wan=Decimal("1.25"),
                filled_by="张三",
                phone="023-70000000",
                filled_on=dt.date(2023, 6, 2),
            )
        )
        s.add(
            Inspection(
                inspected_on=dt.date(2023, 5, 10),
                jurisdiction_id=j,
                target_kind="enterprise",
                enterprise_id=county.ids["三合化工有限公司"],
            )
        )
        for number in (3, 3, 5):
            s.add(
                Finding(
                    jurisdiction_id=j,
                    target_kind="enterprise",
                    enterprise_id=county.ids["三合化工有限公司"],
                    check_item_number=number,
                    found_on=dt.date(2023, 5, 10),
                    description="问题",
                    deadline=dt.date(2023, 5, 20),
                )
            )
        bad = Enterprise(name=FORMULA, sector="other", jurisdiction_id=j, uscc="91500230MA9999999X")
        s.add(bad)
        s.flush()
        rows = [
            check_row(
                ResultRecord(
                    row_number=2,
                    name=CROWD[0].name,
                    id_number=CROWD[0].id_number,
                    family=Family.SPECIAL,
                    outcome=Outcome.NOT_FOUND,
                    is_verdict=True,
                    problem="无证上岗",
                    explanation=f"身份证号 {CROWD[0].id_number} 查无此证",
                    certificate=Certificate(cert_number="T" + CROWD[0].id_number),
                    checked_at=dt.datetime(2023, 5, 12, 2, 0, tzinfo=dt.UTC),
                    roster=RosterFields(),
                )
            )
        ]
        save_job_results(
            s,
            principal=SYSTEM,
            job_ref="verifier:1:1",
            as_of=dt.date(2023, 5, 12),
            rows=rows,
            enterprise_id=int(bad.id or 0),
        )
        s.commit()


def test_one_township_summary_is_print_ready_with_the_reported_numbers(county: County) -> None:
    _data(county)
    with county.session() as s:
        data = township_summary.township_summary_xlsx(
            s, principal=county.county_staff, month=Month(2023, 5), jurisdiction_id=county.ids["三合街道"]
        )
        s.commit()
    book = _book(data)
    assert book.sheetnames == ["三合街道"]  # type: ignore[attr-defined]
    ws = book["三合街道"]  # type: ignore[index]
    _assert_print_ready(ws, title_rows="$3:$4")
    text = _texts(ws)
    for expected in (
        "执法检查汇总表",
        "填报单位（盖章）：三合街道",
        "填报人：张三",
        "联系电话：023-70000000",
        "填报日期：2023年6月2日",
        "本单位报送的汇总表",
    ):
        assert expected in text, expected
    headers = {
        ws.cell(row=4, column=c).value: ws.cell(row=5, column=c).value for c in range(1, ws.max_column + 1)
    }
    assert headers["检查生产经营单位数"] == 2 and headers["无证上岗人数"] == 1
    assert headers["罚款金额（万元）"] == pytest.approx(1.25)
    assert headers["企业3.持证上岗"] == 2
    assert county.audit_entries(action="export", entity="monthlyreport")


def test_records_source_counts_the_record_level_data(county: County) -> None:
    _data(county)
    with county.session() as s:
        sheets = summary_figures.summary_sheets(
            s,
            principal=county.county_staff,
            month=Month(2023, 5),
            source="records",
            jurisdiction_ids=[county.ids["三合街道"]],
        )
    values = sheets[0].values
    assert sheets[0].source == "records"
    assert values["enterprises_inspected"] == 1 and values["problems_found"] == 3
    assert values["item:enterprise-3"] == 2 and values["item:enterprise-5"] == 1
    assert values["workers_checked"] == 1 and values["unlicensed"] == 1


def test_all_townships_total_equals_the_sum_of_the_sheets(sample_url: str) -> None:
    engine = make_engine(sample_url)
    with Session(engine) as s:
        data = township_summary.township_summary_xlsx(s, principal=SYSTEM, month=Month(2023, 5))
        sheets = summary_figures.summary_sheets(s, principal=SYSTEM, month=Month(2023, 5))
    engine.dispose()
    book = _book(data)
    names = book.sheetnames  # type: ignore[attr-defined]
    assert names[0] == township_summary.TOTAL_SHEET and len(names) == len(sheets) + 1
    total = book[township_summary.TOTAL_SHEET]  # type: ignore[index]
    header = [total.cell(row=4, column=c).value for c in range(1, total.max_column + 1)]
    total_row = next(
        r for r in range(5, total.max_row + 1) if total.cell(row=r, column=1).value == "各单位合计"
    )
    assert total_row == 5 + len(sheets)
    numeric = [i for i, column in enumerate(DEFAULT_LAYOUT, start=1) if column.kind in ("count", "money")]
    assert [header[i - 1] for i in numeric][:3] == ["检查生产经营单位数", "其中：高危行业", "其中：工贸行业"]
    checked = 0
    for col in numeric:
        per_sheet = [book[name].cell(row=5, column=col).value or 0 for name in names[1:]]  # type: ignore[index]
        assert total.cell(row=total_row, column=col).value == pytest.approx(sum(per_sheet)), header[col - 1]
        checked += sum(per_sheet) > 0
    assert checked >= 5  # the sample has real numbers in many columns
    for name in names:
        _assert_print_ready(book[name], title_rows="$3:$4")  # type: ignore[index]
    assert "填报单位（盖章）" in _texts(total)


def test_verification_export_masks_ids_and_escapes_formulas(county: County) -> None:
    _data(county)
    j = county.ids["三合街道"]
    with county.session() as s:
        data = verification_export.verification_xlsx(
            s,
            principal=county.county_staff,
            jurisdiction_id=j,
            first=dt.date(2023, 5, 1),
            last=dt.date(2023, 5, 31),
        )
        full = verification_export.verification_xlsx(
            s,
            principal=county.county_staff,
            jurisdiction_id=j,
            first=dt.date(2023, 5, 1),
            last=dt.date(2023, 5, 31),
            full_ids=True,
        )
        with pytest.raises(AccessDenied):
            verification_export.verification_xlsx(
                s,
                principal=county.leader,
                jurisdiction_id=j,
                first=dt.date(2023, 5, 1),
                last=dt.date(2023, 5, 31),
                full_ids=True,
            )
        with pytest.raises(AccessDenied):
            verification_export.verification_xlsx(
                s,
                principal=county.township("名山街道"),
                jurisdiction_id=j,
                first=dt.date(2023, 5, 1),
                last=dt.date(2023, 5, 31),
            )
        s.commit()
    ws = _book(data).active  # type: ignore[attr-defined]
    _assert_print_ready(ws, title_rows="$2:$2")
    text = _texts(ws)
    person = CROWD[0].id_number
    assert person not in text and f"{person[:6]}********{person[-4:]}" in text
    assert f"T{person[:6]}********{person[-4:]}" in text  # the T+ID certificate number is masked too
    enterprise = ws.cell(row=3, column=3)
    assert enterprise.data_type == "s" and enterprise.value == "'" + FORMULA
    assert ws.cell(row=3, column=7).value == "查无此证" and ws.cell(row=3, column=8).value == "无证上岗"
    assert person in _texts(_book(full).active)  # type: ignore[attr-defined]
    assert county.audit_entries(action="reveal", entity="certificatecheck")


def test_download_names_survive() -> None:
    assert file_names.download_name("汇总表", "三合街道", "2023-05") == "汇总表-三合街道-2023-05.xlsx"
    assert file_names.download_name('a/b:c*?"<>|', "x") == "a_b_c_-x.xlsx"
    used: set[str] = set()
    assert file_names.sheet_title("三合[街道]:*?/\\", used) == "三合_街道______"
    assert file_names.sheet_title("三合[街道]:*?/\\", used) == "三合_街道______(2)"
    assert len(file_names.sheet_title("很" * 40, used)) == 31


# --- the command line ---------------------------------------------------------------------------------


def test_cli_exports(county: County, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _data(county)
    monkeypatch.setenv("DATABASE_URL", county.url)
    runner = CliRunner()
    commands = {
        "summary.xlsx": ["export", "township-summary", "--month", "2023-05", "--jurisdiction", "三合街道"],
        "all.xlsx": ["export", "township-summary", "--month", "2023-05", "--source", "records"],
        "checks.xlsx": ["export", "verification", "--jurisdiction", "三合街道", "--month", "2023-05"],
        "findings.xlsx": ["export", "findings", "--jurisdiction", "三合街道", "--as-of", "2023-06-30"],
        "circular.xlsx": ["export", "circular", "--quarter", "2023q2", "--as-of", "2023-07-31"],
    }
    for name, args in commands.items():
        out = tmp_path / name
        result = runner.invoke(app, [*args, "--out", str(out)])
        assert result.exit_code == 0, (name, result.output)
        assert "已导出" in result.output
        assert load_workbook(out).sheetnames, name
    assert load_workbook(tmp_path / "all.xlsx").sheetnames == [
        township_summary.TOTAL_SHEET,
        "三合街道",
        "名山街道",
        "县经信委",
    ]
    assert CROWD[0].id_number not in _texts(load_workbook(tmp_path / "checks.xlsx").active)
    assert len(county.audit_entries(action="export")) >= 5


@pytest.mark.parametrize(
    "args,message",
    [
        (["township-summary", "--month", "2023-13"], "月份格式不正确"),
        (["township-summary", "--month", "2023-05", "-j", "不存在镇"], "找不到单位"),
        (["circular", "--quarter", "2021Q1"], "不在本专项整治"),
        (["circular", "--quarter", "2023Q5"], "季度格式不正确"),
        (["verification", "-j", "三合街道", "--from", "2023/05/01"], "日期格式不正确"),
    ],
)
def test_cli_errors_are_one_chinese_line(
    county: County, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", county.url)
    result = CliRunner().invoke(app, ["export", *args, "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code != 0 and message in result.output, result.output
    assert "Traceback" not in result.output
