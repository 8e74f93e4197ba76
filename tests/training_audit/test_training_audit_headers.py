"""Header rows before reading (`inspect_headers`) and the user's own header names (`synonyms`)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from training_audit import ArchiveError, audit, read_archive
from training_audit.headers import BY_NAME, BY_SYNONYM, BY_USER, inspect_headers
from training_audit.sample import write_sample


def renamed(tmp_path: Path, sheet: str, old: str, new: str) -> Path:
    """The sample school's workbook with one header cell of `sheet` renamed."""
    workbook, _ = write_sample(tmp_path / "sample")
    book = openpyxl.load_workbook(workbook)
    (cell,) = [c for row in book[sheet].iter_rows(max_row=10) for c in row if c.value == old]
    cell.value = new
    out = tmp_path / "改过表头.xlsx"
    book.save(out)
    return out


def test_headers_report_names_synonyms_and_missing(tmp_path: Path) -> None:
    path = renamed(tmp_path, "签到", "身份证号", "证件号")
    headers = inspect_headers(path)
    by_sheet = {s.sheet: s for s in headers.sheets}
    assert list(by_sheet) == ["班次", "课程安排", "签到", "考试"]
    assert not by_sheet["班次"].missing and by_sheet["班次"].row is not None
    signin = by_sheet["签到"]
    assert signin.missing == ("身份证号",) and not headers.complete
    assert [c.text for c in signin.unrecognised] == ["证件号"]
    assert "身份证号" in signin.unfilled
    assert {c.field: c.how for c in signin.recognised}["姓名"] == BY_NAME


def test_a_mapped_header_reads_like_its_field_in_that_sheet_only(tmp_path: Path) -> None:
    path = renamed(tmp_path, "班次", "培训单位", "机构全称")
    with pytest.raises(ArchiveError, match="班次"):
        read_archive(path)  # the 班次 sheet without 培训单位 fails the archive
    before = path.read_bytes()
    synonyms = {"班次": {"机构全称": "培训单位"}}
    headers = inspect_headers(path, synonyms=synonyms)
    assert headers.complete
    (mapped,) = [c for s in headers.sheets for c in s.cells if c.text == "机构全称"]
    assert (mapped.field, mapped.how) == ("培训单位", BY_USER)
    archive = read_archive(path, synonyms=synonyms)
    reference, _ = write_sample(tmp_path / "reference")
    expected = audit([read_archive(reference)])
    got = audit([archive])
    assert [lead.sort_key() for lead in got.leads] == [lead.sort_key() for lead in expected.leads]
    assert path.read_bytes() == before  # the file itself is not rewritten
    # a field of another sheet is refused with a Chinese message
    with pytest.raises(ArchiveError, match="没有“身份证号”列"):
        read_archive(path, synonyms={"班次": {"机构全称": "身份证号"}})


def test_builtin_synonym_is_told_apart_from_the_name(tmp_path: Path) -> None:
    path = renamed(tmp_path, "签到", "身份证号", "公民身份号码")
    signin = {s.sheet: s for s in inspect_headers(path).sheets}["签到"]
    assert {c.field: c.how for c in signin.recognised}["身份证号"] == BY_SYNONYM
