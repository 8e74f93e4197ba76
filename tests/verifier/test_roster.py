"""Reading rosters (verification.md §2, §8)."""

from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.kits.certkit import many_rows_xlsx
from verifier.ids import STORED_AS_NUMBER, convert_legacy, make_id
from verifier.roster import (
    MAX_ROWS,
    MAX_SHARED_STRINGS,
    MAX_UNPACKED_BYTES,
    RosterError,
    RosterTooLarge,
    dedupe_key,
    family_from_text,
    header_key,
    parse_cell_date,
    read_roster,
)
from verifier.types import Family, WarningCode

AS_OF = dt.date(2023, 6, 30)
ID1 = make_id("500230", dt.date(1990, 1, 1), 11)
ID2 = make_id("500230", dt.date(1985, 5, 6), 22)
ID3 = make_id("500101", dt.date(1979, 2, 3), 420)


def xlsx_bytes(rows: list[list[Any]], *, sheets: list[list[list[Any]]] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    all_sheets = [*(sheets or []), rows]
    for index, sheet_rows in enumerate(all_sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet(f"表{index + 1}")
        assert sheet is not None
        if index == 0:
            sheet.title = "表1"
        for row in sheet_rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(",".join("" if v is None else str(v) for v in row) for row in rows) + "\r\n"
    return text.encode(encoding)


def read(data: bytes, filename: str = "名单.xlsx", **kw: Any) -> Any:
    kw.setdefault("default_family", None)
    return read_roster(data, filename=filename, as_of=AS_OF, **kw)


BASIC = [
    ["重庆市某区特种作业人员名单"],
    [],
    ["序号", "姓名*", "身份证号码（必填）", "证书编号", "作业类别", "操作项目", "发证日期", "备注"],
    [1, "张伟", ID1, "T" + ID1, "电工作业", "低压电工作业", dt.datetime(2023, 6, 28), "x"],
    [2, " 王 芳 ", ID2.lower(), None, "焊接与热切割作业", "熔化焊接与热切割作业", "2020/3/4", None],
    [None, None, None, None, None, None, None, None],
    [3, "李强", ID3, None, None, None, "2021年5月6日", None],
]


def test_xlsx_basic() -> None:
    result = read(xlsx_bytes(BASIC))
    assert result.header_row == 3
    assert result.sheet == "表1"
    assert result.columns == {
        "name": "姓名*",
        "id_number": "身份证号码（必填）",
        "cert_number": "证书编号",
        "category": "作业类别",
        "item": "操作项目",
        "issue_date": "发证日期",
    }
    assert result.unknown_headers == ["序号", "备注"]
    assert [r.row_number for r in result.rows] == [4, 5, 7]
    first, second, third = result.rows
    assert first.name == "张伟" and first.id_number == ID1 and first.family is Family.SPECIAL
    assert first.cert_number == "T" + ID1 and first.item == "低压电工作业"
    assert first.issue_date == dt.date(2023, 6, 28)
    assert first.original["备注"] == "x" and first.original["序号"] == 1
    assert second.name == "王 芳" and second.id_number == ID2 and second.issue_date == dt.date(2020, 3, 4)
    assert third.issue_date == dt.date(2021, 5, 6)
    assert all(r.is_valid for r in result.rows)
    assert result.headers[:3] == ["序号", "姓名*", "身份证号码（必填）"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_encodings(encoding: str) -> None:
    rows = [
        ["姓名", "身份证号", "人员类型", "任职日期", "单位名称"],
        ["王芳", ID2, "主要负责人", "2023.01.05", "某某化工有限公司"],
    ]
    result = read(csv_bytes(rows, encoding), filename="roster.csv", default_family=Family.SAFETY)
    (row,) = result.rows
    assert row.name == "王芳" and row.family is Family.SAFETY and row.person_type == "主要负责人"
    assert row.appointment_date == dt.date(2023, 1, 5) and row.enterprise == "某某化工有限公司"
    assert result.sheet is None and row.row_number == 2


def test_csv_from_path(tmp_path: Path) -> None:
    path = tmp_path / "名单.csv"
    path.write_bytes(csv_bytes([["姓名", "身份证号"], ["张伟", ID1]], "gbk"))
    result = read_roster(path, default_family=None, as_of=AS_OF)
    assert result.rows[0].id_number == ID1


def test_xls() -> None:
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    sheet = book.add_sheet("名单")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for col, value in enumerate(["姓名", "身份证号", "发证日期"]):
        sheet.write(0, col, value)
    sheet.write(1, 0, "张伟")
    sheet.write(1, 1, ID1)
    sheet.write(1, 2, dt.date(2023, 6, 29), date_style)
    sheet.write(3, 0, "王芳")
    sheet.write(3, 1, float(ID2))  # stored as a number: digits lost
    buffer = io.BytesIO()
    book.save(buffer)
    result = read(buffer.getvalue(), filename="old.xls")
    assert result.sheet == "名单"
    first, second = result.rows
    assert first.row_number == 2 and first.is_valid and first.issue_date == dt.date(2023, 6, 29)
    assert second.row_number == 4 and second.errors == [STORED_AS_NUMBER]


def test_numeric_cells() -> None:
    rows = [["姓名", "身份证号"], ["张伟", int(ID1)], ["王芳", 500230900101001], ["李强", "5.00230E+17"]]
    result = read(xlsx_bytes(rows))
    big, legacy, scientific = result.rows
    assert big.errors == [STORED_AS_NUMBER]
    assert legacy.is_valid and legacy.id_number == convert_legacy("500230900101001")
    assert legacy.warnings == [WarningCode.LEGACY_ID_CONVERTED]
    assert scientific.errors == [STORED_AS_NUMBER]


def test_family_column() -> None:
    rows = [
        ["姓名", "身份证号", "证书类型"],
        ["甲", ID1, "特种作业操作证"],
        ["乙", ID2, "安全合格证"],
        ["丙", ID3, ""],
        ["丁", ID1, "电工证"],
        ["戊", ID2, " 安全生产知识和管理能力考核合格证 "],
    ]
    result = read(xlsx_bytes(rows), default_family=Family.SAFETY)
    families = [r.family for r in result.rows]
    assert families == [Family.SPECIAL, Family.SAFETY, Family.SAFETY, Family.SAFETY, Family.SAFETY]
    assert [r.is_valid for r in result.rows] == [True, True, True, False, True]
    assert "电工证" in result.rows[3].errors[0]


def test_default_family_is_special() -> None:
    result = read(xlsx_bytes([["姓名", "身份证号"], ["甲", ID1]]))
    assert result.rows[0].family is Family.SPECIAL


@pytest.mark.parametrize(
    ("text", "family"),
    [("特种作业", Family.SPECIAL), ("安全生产考核合格证", Family.SAFETY), ("证件类型", None)],
)
def test_family_from_text(text: str, family: Family | None) -> None:
    assert family_from_text(text) is family


def test_id_from_certificate_number() -> None:
    rows = [
        ["姓名", "操作证号"],
        ["甲", "T" + ID1],
        ["乙", " ｔ" + ID2.lower()],
        ["丙", "T123"],
        ["丁", None],
    ]
    result = read(xlsx_bytes(rows))
    a, b, c, d = result.rows
    assert a.id_number == ID1 and a.is_valid
    assert b.id_number == ID2 and b.is_valid
    assert not c.is_valid and not d.is_valid and "身份证号" in c.errors[0]


def test_id_from_certificate_number_only_for_special() -> None:
    rows = [["姓名", "身份证号", "证号"], ["甲", "", "T" + ID1]]
    assert read(xlsx_bytes(rows)).rows[0].id_number == ID1
    safety = read(xlsx_bytes(rows), default_family=Family.SAFETY).rows[0]
    assert safety.errors == ["身份证号为空"]


def test_id_from_cert_is_checked() -> None:
    bad = ID1[:17] + ("0" if ID1[17] != "0" else "1")
    result = read(xlsx_bytes([["姓名", "证书编号"], ["甲", "T" + bad]]))
    assert not result.rows[0].is_valid and "校验位" in result.rows[0].errors[0]


def test_name_checks() -> None:
    result = read(xlsx_bytes([["姓名", "身份证号"], ["", ID1], ["张伟3", ID2], [None, ID3]]))
    assert [r.errors for r in result.rows] == [["姓名为空"], ["姓名中含有数字，请核对"], ["姓名为空"]]


def test_bad_dates_are_row_errors() -> None:
    result = read(
        xlsx_bytes([["姓名", "身份证号", "任职日期"], ["甲", ID1, "去年"], ["乙", ID2, "2023-02-30"]])
    )
    assert all(not r.is_valid for r in result.rows)
    assert "任职日期" in result.rows[0].errors[0]


def test_header_in_second_sheet() -> None:
    cover = [["说明"], ["本表为名单"]]
    result = read(xlsx_bytes([["名字", "证件号码"], ["甲", ID1]], sheets=[cover]))
    assert result.sheet == "表2" and result.header_row == 1


def test_header_beyond_row_20_is_not_found() -> None:
    rows: list[list[Any]] = [["标题"]] * 20 + [["姓名", "身份证号"], ["甲", ID1]]
    with pytest.raises(RosterError, match="表头"):
        read(xlsx_bytes(rows))
    rows = [["标题"]] * 19 + [["姓名", "身份证号"], ["甲", ID1]]
    assert read(xlsx_bytes(rows)).header_row == 20


def test_header_needs_name_and_id_or_cert() -> None:
    with pytest.raises(RosterError) as info:
        read(xlsx_bytes([["姓名", "单位名称"], ["甲", "某公司"]]))
    assert "名单.xlsx" in info.value.message


def test_no_substring_header_matching() -> None:
    # 身份证号 contains 证号, 证件类型 is not 证书类型
    result = read(xlsx_bytes([["姓名", "身份证号", "证件类型"], ["甲", ID1, "身份证"]]))
    assert result.columns == {"name": "姓名", "id_number": "身份证号"}
    assert result.unknown_headers == ["证件类型"]
    assert result.rows[0].cert_number is None


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("身份证号码（必填）", "身份证号码"),
        ("*姓名", "姓名"),
        ("姓 名：", "姓名"),
        ("姓名【必填】", "姓名"),
        ("证书编号[选填]", "证书编号"),
        ("发证日期(yyyy-mm-dd)", "发证日期"),
        ("作业类别 (见目录)", "作业类别"),
    ],
)
def test_header_key(header: str, key: str) -> None:
    assert header_key(header) == key


def test_extra_synonyms() -> None:
    rows = [["职工姓名", "身份证号"], ["甲", ID1]]
    with pytest.raises(RosterError):
        read(xlsx_bytes(rows))
    result = read(xlsx_bytes(rows), extra_synonyms={"name": ["职工姓名"]})
    assert result.rows[0].name == "甲"


def test_duplicate_columns_are_noted() -> None:
    result = read(xlsx_bytes([["姓名", "身份证号", "姓名"], ["甲", ID1, "乙"]]))
    assert result.rows[0].name == "甲"
    assert len(result.errors) == 1 and "第 C 列" in result.errors[0] and "名单.xlsx" in result.errors[0]


def test_empty_roster() -> None:
    with pytest.raises(RosterError, match="没有数据行"):
        read(xlsx_bytes([["姓名", "身份证号"], [None, None]]))


@pytest.mark.parametrize(
    ("data", "filename"),
    [(b"not a zip", "x.xlsx"), (b"garbage", "x.xls"), (b"anything", "x.pdf"), (b"", "x.csv")],
)
def test_unreadable_files(data: bytes, filename: str) -> None:
    with pytest.raises(RosterError) as info:
        read(data, filename=filename)
    assert filename in info.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match="找不到"):
        read_roster(tmp_path / "none.xlsx", default_family=None, as_of=AS_OF)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-01-05", dt.date(2023, 1, 5)),
        ("2023/1/5", dt.date(2023, 1, 5)),
        ("2023.01.05", dt.date(2023, 1, 5)),
        ("2023年1月5日", dt.date(2023, 1, 5)),
        ("20230105", dt.date(2023, 1, 5)),
        ("2023-01-05 00:00:00", dt.date(2023, 1, 5)),
        (dt.datetime(2023, 1, 5, 8, 0), dt.date(2023, 1, 5)),
        (dt.date(2023, 1, 5), dt.date(2023, 1, 5)),
        ("", None),
        (None, None),
    ],
)
def test_parse_cell_date(value: Any, expected: dt.date | None) -> None:
    assert parse_cell_date(value) == expected


def test_dedupe_key() -> None:
    rows = [
        ["姓名", "身份证号", "证书类型"],
        ["阿依古丽•买买提", ID1, ""],
        ["阿依古丽·买买提", ID1.lower(), "特种作业"],
        ["阿依古丽·买买提", ID1, "安全合格证"],
    ]
    a, b, c = read(xlsx_bytes(rows)).rows
    assert dedupe_key(a) == dedupe_key(b) != dedupe_key(c)


def test_csv_tab_separated() -> None:
    data = f"姓名\t身份证号\n张伟\t{ID1}\n".encode()
    assert read(data, filename="x.csv").rows[0].id_number == ID1


# --- issue 12: separators, the API's family codes, names, caps, encrypted files ---------------------


def test_a_semicolon_inside_a_cell_keeps_commas() -> None:
    """Issue 12.3: one cell `见;"附件";说明` made the sniffer choose `;` and lose the header."""
    data = f'姓名,身份证号,备注\n张伟,{ID1},"见;""附件"";说明"\n王芳,{ID2},\n'.encode()
    roster = read(data, filename="x.csv")
    assert [r.id_number for r in roster.rows] == [ID1, ID2]
    assert roster.rows[0].original["备注"] == '见;"附件";说明'


def test_semicolon_file_without_commas() -> None:
    data = f"姓名;身份证号\n张伟;{ID1}\n".encode()
    assert read(data, filename="x.csv").rows[0].id_number == ID1


@pytest.mark.parametrize(
    ("text", "family"), [("special", Family.SPECIAL), ("safety", Family.SAFETY), ("SAFETY", Family.SAFETY)]
)
def test_the_api_family_codes_are_accepted(text: str, family: Family) -> None:
    """Issue 12.4: the service's own enum values reach the reader through JSON rows."""
    (row,) = read(xlsx_bytes([["姓名", "身份证号", "证书类型"], ["张伟", ID1, text]])).rows
    assert row.is_valid and row.family is family


def test_an_unrecognised_family_is_kept_as_written() -> None:
    (row,) = read(xlsx_bytes([["姓名", "身份证号", "证书类型"], ["张伟", ID1, "驾驶证"]])).rows
    assert not row.is_valid and row.family_text == "驾驶证"


def test_a_name_over_30_characters_is_invalid_and_not_kept_whole() -> None:
    long_name = "张" * 31
    huge = "王" * 100_000
    a, b = read(xlsx_bytes([["姓名", "身份证号"], [long_name, ID1], [huge, ID2]])).rows
    assert not a.is_valid and "30" in a.errors[0]
    assert not b.is_valid and len(b.name) <= 61
    (ok_row,) = read(xlsx_bytes([["姓名", "身份证号"], ["张" * 30, ID1]])).rows
    assert ok_row.is_valid


def test_more_than_60000_rows_are_refused_naming_the_limit() -> None:
    data = ("姓名,身份证号\n" + f"张伟,{ID1}\n" * (MAX_ROWS + 1)).encode()
    with pytest.raises(RosterTooLarge, match="60,000"):
        read(data, filename="x.csv")
    assert len(read(data[: data.rindex(b"\n", 0, -1) + 1], filename="x.csv").rows) == MAX_ROWS


def test_a_million_row_xlsx_is_refused_within_seconds() -> None:
    """Issue 12.6 / 11.5: a small .xlsx expanding to 1,000,000 rows took 110 s and 2.65 GB."""
    data = many_rows_xlsx(1_000_000)
    started = time.monotonic()
    with pytest.raises(RosterTooLarge, match="60,000"):
        read(data)
    assert time.monotonic() - started < 10


def _zip_bomb(*, part: str = "xl/sharedStrings.xml", content: bytes) -> bytes:
    """A valid-looking .xlsx with one part replaced by `content` (which compresses to almost nothing)."""
    import zipfile

    template = xlsx_bytes([["姓名", "身份证号"], ["张伟", ID1]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != part:
                dst.writestr(info.filename, src.read(info.filename))
        dst.writestr(part, content)
    return out.getvalue()


def test_an_xlsx_unpacking_beyond_200_mb_is_refused_before_reading() -> None:
    """Issue 12.6: one 200 MB shared string (a small file) took 4.9 GB and 118 s."""
    body = (
        b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
    )
    data = _zip_bomb(content=body + b"A" * (MAX_UNPACKED_BYTES + 1) + b"</t></si></sst>")
    assert len(data) < 1_000_000
    with pytest.raises(RosterTooLarge, match="200 MB"):
        read(data)


def test_millions_of_tiny_shared_strings_are_refused() -> None:
    body = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    data = _zip_bomb(content=body + b"<si><t>a</t></si>" * (MAX_SHARED_STRINGS + 1) + b"</sst>")
    with pytest.raises(RosterTooLarge):
        read(data)


def test_a_password_protected_xlsx_says_so() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096
    with pytest.raises(RosterError, match="加密"):
        read(ole + "EncryptionInfo".encode("utf-16-le") + b"\0" * 64)
    with pytest.raises(RosterError, match=r"97-2003 格式（\.xls），却以 \.xlsx 结尾"):
        read(ole)


def test_a_million_line_csv_is_refused_before_reading_rows() -> None:
    data = ("姓名,身份证号\n" + f"张伟,{ID1}\n" * 1_000_000).encode()
    started = time.monotonic()
    with pytest.raises(RosterTooLarge, match="60,000"):
        read(data, filename="x.csv")
    assert time.monotonic() - started < 5
