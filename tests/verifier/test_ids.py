"""ID normalisation and checks (verification.md §2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from verifier.ids import (
    STORED_AS_NUMBER,
    check_char,
    check_id,
    convert_legacy,
    is_valid_id,
    make_id,
    mask_id,
    sex_from_id,
)
from verifier.names import item_key, name_errors, name_key, query_name
from verifier.types import WarningCode

AS_OF = dt.date(2023, 6, 30)
GOOD = make_id("500230", dt.date(1990, 1, 1), 1)


def test_standard_example_check_character() -> None:
    assert check_char("11010519491231002") == "X"


def test_make_id_is_valid() -> None:
    assert len(GOOD) == 18
    assert check_id(GOOD, as_of=AS_OF) == (GOOD, [], [])
    assert is_valid_id(GOOD, as_of=AS_OF)


@pytest.mark.parametrize(
    "raw",
    [
        f" {GOOD[:6]} {GOOD[6:]} ",
        f"\u3000{GOOD}\t\n",
        GOOD.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    ],
)
def test_normalisation(raw: str) -> None:
    assert check_id(raw, as_of=AS_OF)[0] == GOOD


def test_lower_case_x_is_upper_cased() -> None:
    assert check_id("11010519491231002x", as_of=AS_OF) == ("11010519491231002X", [], [])


def test_full_width_x() -> None:
    assert check_id("11010519491231002ｘ", as_of=AS_OF)[1] == []


def test_wrong_check_character() -> None:
    wrong = GOOD[:17] + ("0" if GOOD[17] != "0" else "1")
    _, errors, _ = check_id(wrong, as_of=AS_OF)
    assert len(errors) == 1 and "校验位" in errors[0]


@pytest.mark.parametrize(
    "raw", ["50023019900101001", "5002301990010100111", "50023019900101001Y", "X00230199001010011"]
)
def test_bad_pattern(raw: str) -> None:
    _, errors, _ = check_id(raw, as_of=AS_OF)
    assert errors and "身份证号" in errors[0]


@pytest.mark.parametrize("raw", [None, "", "  \u3000 "])
def test_empty(raw: Any) -> None:
    assert check_id(raw, as_of=AS_OF)[1] == ["身份证号为空"]


def test_impossible_birth_date() -> None:
    body = "50023019900230001"  # 30 February
    _, errors, _ = check_id(body + check_char(body), as_of=AS_OF)
    assert errors and "不是有效日期" in errors[0]


def test_birth_date_after_as_of() -> None:
    future = make_id("500230", dt.date(2023, 7, 1), 1)
    _, errors, _ = check_id(future, as_of=AS_OF)
    assert errors and "晚于" in errors[0]
    on_day = make_id("500230", AS_OF, 1)
    assert check_id(on_day, as_of=AS_OF)[1] == []


def test_legacy_15_digit_conversion() -> None:
    id15 = "500230900101001"
    converted = convert_legacy(id15)
    assert converted == "50023019900101001" + check_char("50023019900101001")
    assert check_id(id15, as_of=AS_OF) == (converted, [], [WarningCode.LEGACY_ID_CONVERTED])


def test_legacy_with_bad_birth_date() -> None:
    normalised, errors, warnings = check_id("500230901301001", as_of=AS_OF)
    assert errors and warnings == [WarningCode.LEGACY_ID_CONVERTED] and len(normalised) == 18


@pytest.mark.parametrize("raw", [500230199001010011, 5.0023019900101e17, 500230199001010000.0])
def test_numeric_cells_lose_digits(raw: int | float) -> None:
    _, errors, _ = check_id(raw, as_of=AS_OF)
    assert errors == [STORED_AS_NUMBER]


@pytest.mark.parametrize("raw", [500230.5, 12.5])
def test_a_number_with_a_fraction_is_not_told_digits_were_lost(raw: float) -> None:
    """Issue 12.9: `500230.5` has 7 digits; "more than 15 digits lost" would mislead the clerk."""
    _, errors, _ = check_id(raw, as_of=AS_OF)
    assert errors and STORED_AS_NUMBER not in errors and str(raw) in errors[0]


@pytest.mark.parametrize("raw", ["5.00230E+17", "5.0023019900101E+17", "5e17", "５．００２３Ｅ＋１７"])
def test_scientific_text(raw: str) -> None:
    assert check_id(raw, as_of=AS_OF)[1] == [STORED_AS_NUMBER]


@pytest.mark.parametrize("raw", [500230900101001, 500230900101001.0])
def test_numeric_15_digits_is_legacy(raw: int | float) -> None:
    normalised, errors, warnings = check_id(raw, as_of=AS_OF)
    assert errors == [] and warnings == [WarningCode.LEGACY_ID_CONVERTED]
    assert normalised == convert_legacy("500230900101001")


def test_sex_from_id() -> None:
    assert sex_from_id(make_id("500230", dt.date(1990, 1, 1), 1)) == "男"
    assert sex_from_id(make_id("500230", dt.date(1990, 1, 1), 2)) == "女"
    assert sex_from_id("123") is None


def test_mask_id() -> None:
    assert mask_id("50023019900101123X") == "500230********123X"
    assert mask_id("") == ""
    assert mask_id("12345") == "*****"


def test_make_id_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        make_id("5002", dt.date(1990, 1, 1), 1)
    with pytest.raises(ValueError):
        make_id("500230", dt.date(1990, 1, 1), 1000)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("阿依古丽・买买提", "阿依古丽·买买提"),
        ("阿依古丽‧买买提", "阿依古丽·买买提"),
        ("阿依古丽∙买买提", "阿依古丽·买买提"),
        ("阿依古丽･买买提", "阿依古丽·买买提"),
        ("张 伟", "张伟"),
        ("张\u3000伟", "张伟"),
    ],
)
def test_name_key(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


def test_query_name_only_removes_space() -> None:
    assert query_name(" 张\u3000伟 ") == "张伟"


def test_item_key_unifies_brackets() -> None:
    assert item_key("煤矿采煤机(掘进机)操作作业") == item_key("煤矿采煤机（掘进机）操作作业")
    assert item_key("高压电工作业") != item_key("低压电工作业")


@pytest.mark.parametrize(
    ("name", "ok"), [("张伟", True), ("", False), ("  ", False), ("张伟2", False), ("张伟２", False)]
)
def test_name_errors(name: str, ok: bool) -> None:
    assert (name_errors(name) == []) is ok
