"""Result rows and the CSV / XLSX writers (verification.md §7)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from pathlib import Path

import openpyxl
import pytest

from verifier.decide import decide
from verifier.ids import make_id, mask_id
from verifier.results import (
    ALL_COLUMNS,
    COLOURS,
    FILE_COLUMNS,
    LOST_DIGITS,
    ORIGINAL_KEY,
    RESULT_COLUMNS,
    outcome_class,
    result_rows,
    safe_text,
    summary_counts,
    write_csv,
    write_xlsx,
)
from verifier.types import CertRecord, Decision, Family, Outcome, PlatformAnswer, RosterRow, WarningCode

AS_OF = dt.date(2023, 6, 30)
CHECKED = dt.datetime(2023, 6, 30, 9, 15, 2)
ID1 = make_id("500230", dt.date(1990, 1, 1), 11)
ID2 = make_id("500230", dt.date(1985, 5, 6), 22)

SECTION_7 = [
    "行号",
    "姓名",
    "身份证号",
    "证书类型",
    "outcome",
    "结论",
    "问题",
    "warnings",
    "说明",
    "证号",
    "作业类别",
    "操作项目",
    "初领日期",
    "有效期开始",
    "有效期结束",
    "应复审日期",
    "实际复审日期",
    "签发机关",
    "核验时间",
]
FILE_SECTION_7 = [
    "行号",
    "姓名",
    "身份证号",
    "证书类型",
    "结论代码",
    "结论",
    "问题",
    "提示代码",
    "说明",
    "平台·证号",
    "平台·作业类别",
    "平台·操作项目",
    "平台·初领日期",
    "平台·有效期开始",
    "平台·有效期结束",
    "平台·应复审日期",
    "平台·实际复审日期",
    "平台·签发机关",
]


def record(**kw: object) -> CertRecord:
    base: dict[str, object] = {
        "name": "张伟",
        "sex": "男",
        "cert_number": "T" + ID1,
        "category": "电工作业",
        "item": "低压电工作业",
        "first_issue_date": dt.date(2021, 1, 10),
        "valid_from": dt.date(2021, 1, 10),
        "valid_until": dt.date(2023, 8, 1),
        "review_due": dt.date(2024, 1, 9),
        "issuer": "重庆市应急管理局",
    }
    base.update(kw)
    return CertRecord(**base)  # type: ignore[arg-type]


def pairs() -> list[tuple[RosterRow, Decision]]:
    valid = RosterRow(
        row_number=4,
        name="张伟",
        id_number=ID1,
        family=Family.SPECIAL,
        cert_number="T" + ID1,
        original={
            "序号": 1,
            "姓名": "张伟",
            "身份证号码": ID1.lower(),
            "证书编号": "T" + ID1,
            "备注": "=1+1",
        },
    )
    missing = RosterRow(
        row_number=5,
        name='=HYPERLINK("x")',
        id_number=ID2,
        family=Family.SAFETY,
        original={
            "序号": 2,
            "姓名": '=HYPERLINK("x")',
            "身份证号码": int(ID2[:15]),
            "证书编号": None,
            "备注": None,
        },
    )
    stopped = RosterRow(row_number=7, name="李强", id_number=ID2, family=Family.SPECIAL, original={"序号": 3})
    return [
        (valid, decide(valid, PlatformAnswer(records=(record(),)), as_of=AS_OF)),
        (missing, decide(missing, PlatformAnswer(records=()), as_of=AS_OF)),
        (stopped, decide(stopped, None, as_of=AS_OF, stopped=True)),
    ]


def test_columns_follow_section_7() -> None:
    assert list(RESULT_COLUMNS) == SECTION_7
    assert list(ALL_COLUMNS[: len(SECTION_7)]) == SECTION_7


def test_result_rows_masked() -> None:
    first, second, third = result_rows(pairs(), checked_at=CHECKED)
    assert list(first)[: len(SECTION_7)] == SECTION_7
    assert first["行号"] == 4 and first["姓名"] == "张伟"
    assert first["身份证号"] == mask_id(ID1) and "********" in first["身份证号"]
    assert first["证号"] == "T" + mask_id(ID1)
    assert first["证书类型"] == "特种作业操作证"
    assert first["outcome"] == "VALID_WITH_WARNINGS" and first["结论"] == "有效(需关注)"
    assert first["warnings"] == "EXPIRES_SOON"
    assert first["有效期结束"] == "2023-08-01" and first["实际复审日期"] == ""
    assert first["核验时间"] == "2023-06-30 09:15:02"
    assert second["outcome"] == "NOT_FOUND" and second["问题"] == "逾期未考核合格" and second["证号"] == ""
    assert third["outcome"] == "NOT_CHECKED" and third["核验时间"] == "" and third["问题"] == ""
    assert ORIGINAL_KEY not in first
    for row in (first, second, third):
        for value in row.values():
            assert ID1 not in str(value) and ID2 not in str(value)


def test_result_rows_full_ids() -> None:
    first, *_ = result_rows(pairs(), checked_at=CHECKED, full_ids=True, with_original=True)
    assert first["身份证号"] == ID1 and first["证号"] == "T" + ID1
    assert first[ORIGINAL_KEY]["身份证号码"] == ID1.lower()


def test_original_cells_are_masked() -> None:
    first, second, _ = result_rows(pairs(), checked_at=CHECKED, with_original=True)
    assert first[ORIGINAL_KEY]["身份证号码"] == mask_id(ID1.lower())
    assert first[ORIGINAL_KEY]["证书编号"] == "T" + mask_id(ID1)
    assert first[ORIGINAL_KEY]["序号"] == 1
    assert second[ORIGINAL_KEY]["身份证号码"] == mask_id(ID2[:15])


def test_write_csv_bom_and_injection(tmp_path: Path) -> None:
    rows = result_rows(pairs(), checked_at=CHECKED)
    path = tmp_path / "out.csv"
    write_csv(rows, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][: len(FILE_SECTION_7)] == FILE_SECTION_7 and table[0][-1] == "核验时间"
    assert len(table) == 4
    assert table[2][1] == '\'=HYPERLINK("x")'
    assert table[1][2] == mask_id(ID1)


@pytest.mark.parametrize("kind", ["bytes", "text"])
def test_write_csv_to_buffers(kind: str) -> None:
    rows = result_rows(pairs(), checked_at=CHECKED)
    if kind == "bytes":
        buffer = io.BytesIO()
        write_csv(rows, buffer)
        text = buffer.getvalue().decode("utf-8")
    else:
        sbuffer = io.StringIO()
        write_csv(rows, sbuffer)
        text = sbuffer.getvalue()
    assert text.startswith("\ufeff行号,姓名,身份证号")


def test_write_xlsx_with_original_columns(tmp_path: Path) -> None:
    rows = result_rows(pairs(), checked_at=CHECKED, with_original=True)
    original = ["序号", "姓名", "身份证号码", "证书编号", "备注"]
    path = tmp_path / "out.xlsx"
    write_xlsx(rows, path, original_columns=original)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    width = len(FILE_COLUMNS)
    assert header[: len(FILE_SECTION_7)] == FILE_SECTION_7 and header[width - 1] == "核验时间"
    assert header[width:] == original  # the roster's own columns after the §7 ones
    assert sheet.freeze_panes == "C2"
    assert sheet[1][0].font.bold
    assert sheet.column_dimensions["I"].width == 60  # 说明 is the 9th column
    data = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert len(data) == 3
    first = dict(zip(header[:width], data[0][:width], strict=True))
    assert first["身份证号"] == mask_id(ID1)
    assert data[0][width + 2] == mask_id(ID1.lower())  # original ID column masked too
    assert first["结论代码"] == "VALID_WITH_WARNINGS" and first["平台·有效期结束"] == dt.datetime(2023, 8, 1)
    # formula injection: stored as text, shown with a quote prefix
    formula_cell = sheet.cell(row=2, column=width + 5)
    assert formula_cell.value == "=1+1" and formula_cell.data_type == "s" and formula_cell.quotePrefix
    name_cell = sheet.cell(row=3, column=2)
    assert name_cell.value == '=HYPERLINK("x")' and name_cell.data_type == "s"
    # fills by outcome class
    outcome_col = header.index("结论代码") + 1
    colours = [sheet.cell(row=r, column=outcome_col).fill.fgColor.rgb for r in (2, 3, 4)]
    assert colours == ["00" + COLOURS["warn"], "00" + COLOURS["red"], "00" + COLOURS["grey"]]


def test_write_xlsx_to_buffer_without_original() -> None:
    buffer = io.BytesIO()
    write_xlsx(result_rows(pairs(), checked_at=CHECKED), buffer)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][: len(FILE_SECTION_7)] == FILE_SECTION_7


def _workbook(rows: list[dict[str, object]], original: list[str]) -> openpyxl.Workbook:
    buffer = io.BytesIO()
    write_xlsx(rows, buffer, original_columns=original)
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def test_the_file_a_clerk_opens() -> None:
    """Issue 15.2: Chinese headers, platform columns told apart, date cells, print setup."""
    row = RosterRow(
        row_number=4,
        name="张伟",
        id_number=ID1,
        family=Family.SPECIAL,
        original={"姓名": "张伟", "身份证号": ID1, "证号": "T" + ID1, "发证日期": "2022-03-15T00:00:00"},
    )
    rows = result_rows(
        [(row, decide(row, PlatformAnswer(records=(record(),)), as_of=AS_OF))],
        checked_at=CHECKED,
        with_original=True,
    )
    sheet = _workbook(rows, list(row.original)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert "outcome" not in header and "warnings" not in header
    assert header.count("证号") == 1 and "平台·证号" in header  # the roster's and the platform's
    values = dict(zip(header, [c.value for c in sheet[2]], strict=False))
    assert values["结论代码"] == "VALID_WITH_WARNINGS" and values["结论"] == "有效(需关注)"
    assert values["提示代码"] == "EXPIRES_SOON"
    cells = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert cells["平台·有效期结束"].is_date and cells["平台·有效期结束"].number_format == "yyyy-mm-dd"
    assert cells["发证日期"].is_date and cells["发证日期"].value.date() == dt.date(2022, 3, 15)
    assert cells["核验时间"].is_date and cells["核验时间"].value == CHECKED
    assert sheet.page_setup.orientation == "landscape" and str(sheet.page_setup.paperSize) == "9"
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"


def test_lost_digits_are_never_written_as_a_number() -> None:
    """Issue 15.2: an ID Excel stored as a number looked real once masked (500230********1632)."""
    from verifier.roster import read_roster

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号"])
    sheet.append(["张伟", int(ID1[:-1] + "0") * 1.0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    roster = read_roster(buffer.getvalue(), filename="r.xlsx", default_family=None, as_of=AS_OF)
    (row,) = roster.rows
    for full_ids in (False, True):
        (out,) = result_rows(
            [(row, decide(row, None, as_of=AS_OF))], checked_at=CHECKED, full_ids=full_ids, with_original=True
        )
        assert out["身份证号"] == LOST_DIGITS
        assert out[ORIGINAL_KEY]["身份证号"] == LOST_DIGITS


@pytest.mark.parametrize(
    "raw",
    [
        "５００２３０１９９００１０１００１１",  # full-width digits
        "500230\u00a0199001010011",  # NBSP
        "500230\u200b199001010011",  # zero-width space
        "500230-19860819-6114",  # hyphens (malformed)
        "50023019900101001",  # 17 digits
    ],
)
def test_every_id_column_is_masked_malformed_ids_too(raw: str) -> None:
    """Issue 12.2: the roster's own ID column and 身份证号 leaked everything but clean 15/18-digit runs."""
    from verifier.roster import read_roster

    data = f"姓名,身份证号码,证书编号,备注\n张伟,{raw},T{raw},{raw}\n".encode()
    (row,) = read_roster(data, filename="r.csv", default_family=None, as_of=AS_OF).rows
    (out,) = result_rows([(row, decide(row, None, as_of=AS_OF))], checked_at=CHECKED, with_original=True)
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", raw) if ch.isdigit())
    middle = digits[6:-4]
    for value in [out["身份证号"], *out[ORIGINAL_KEY].values()]:
        compact = "".join(ch for ch in unicodedata.normalize("NFKC", str(value)) if ch.isdigit())
        assert middle not in compact, value
    assert out[ORIGINAL_KEY]["身份证号码"].count("*") >= 7


@pytest.mark.parametrize(
    ("outcome", "cls"),
    [
        (Outcome.VALID, "valid"),
        (Outcome.VALID_WITH_WARNINGS, "warn"),
        (Outcome.NOT_FOUND, "red"),
        (Outcome.CERT_NUMBER_MISMATCH, "red"),
        (Outcome.EXPIRED, "orange"),
        (Outcome.BLOCKED, "grey"),
        (Outcome.INPUT_INVALID, "grey"),
    ],
)
def test_outcome_class(outcome: Outcome, cls: str) -> None:
    assert outcome_class(outcome) == cls
    assert outcome_class(outcome.value) == cls


@pytest.mark.parametrize(
    ("value", "safe"), [("=1", "'=1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("张", "张"), (3, 3)]
)
def test_safe_text(value: object, safe: object) -> None:
    assert safe_text(value) == safe


def test_summary_counts() -> None:
    counts = summary_counts(result_rows(pairs(), checked_at=CHECKED))
    assert counts == {"NOT_CHECKED": 1, "NOT_FOUND": 1, "VALID_WITH_WARNINGS": 1}


def test_warnings_joined_with_semicolon() -> None:
    row = RosterRow(
        row_number=2,
        name="张伟",
        id_number=ID1,
        family=Family.SPECIAL,
        warnings=[WarningCode.LEGACY_ID_CONVERTED],
    )
    decision = decide(row, PlatformAnswer(records=(record(review_due=None),)), as_of=AS_OF)
    (out,) = result_rows([(row, decision)], checked_at="2023-06-30")
    assert out["warnings"] == "EXPIRES_SOON;REVIEW_DATE_MISSING;LEGACY_ID_CONVERTED"
    assert out["核验时间"] == "2023-06-30"


def test_an_unrecognised_family_is_shown_as_written() -> None:
    """Issue 12.9: a row whose 证书类型 was unrecognised was labelled with the default family."""
    from verifier.roster import read_roster

    data = f"姓名,身份证号,证书类型\n张伟,{ID1},驾驶证\n".encode()
    (row,) = read_roster(data, filename="r.csv", default_family=None, as_of=AS_OF).rows
    (out,) = result_rows([(row, decide(row, None, as_of=AS_OF))], checked_at=CHECKED)
    assert out["证书类型"] == "驾驶证" and out["outcome"] == "INPUT_INVALID"
