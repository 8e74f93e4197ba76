"""统一社会信用代码 and ID numbers: validation, generation, masking."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from anpei.masking import mask_id
from db.models import Person
from db.sample.ids import id_check_char, is_valid_id_number, make_id_number, make_uscc
from db.uscc import is_valid_uscc, uscc_check_char, uscc_problem
from verifier.ids import check_char as verifier_check_char
from verifier.ids import mask_id as verifier_mask_id


@pytest.mark.parametrize(
    "code",
    ["91350100M000100Y43", "91110000600037341L", "915002301773883545", " 9150023059420291xk "],
)
def test_valid_uscc(code: str) -> None:
    assert is_valid_uscc(code), uscc_problem(code)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y44", "校验位错误"),
        ("9135010", "应为18位"),
        ("91350100M000100YI3", "不允许的字符"),
        ("91ABCDEFM000100Y43", "行政区划码"),
    ],
)
def test_invalid_uscc(code: str, reason: str) -> None:
    problem = uscc_problem(code)
    assert problem is not None and reason in problem


def test_generated_uscc_are_valid_and_local() -> None:
    rng = random.Random(7)
    codes = [make_uscc(rng) for _ in range(500)]
    assert all(is_valid_uscc(c) for c in codes)
    assert all(c[2:8] == "500230" for c in codes)
    assert all(c[17] == uscc_check_char(c[:17]) for c in codes)


@pytest.mark.parametrize("male", [True, False])
def test_generated_ids_have_valid_check_characters_and_sex(male: bool) -> None:
    for seq in range(0, 1200, 7):
        number = make_id_number(region="500230", birth=dt.date(1985, 2, 28), seq=seq, male=male)
        assert is_valid_id_number(number)
        assert number[17] == verifier_check_char(number[:17]) == id_check_char(number[:17])
        assert int(number[16]) % 2 == (1 if male else 0)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("500230198806143136", "500230********3136"),
        ("50023019880614313X", "500230********313X"),
        ("", ""),
        (None, ""),
        ("12345", "*****"),
        ("5002301234", "**********"),  # ten characters: nothing left to show (shown whole before)
        ("500230123", "*********"),
    ],
)
def test_mask_id_number(number: str | None, masked: str) -> None:
    """One masking rule for the database, the verifier and the training audit (`anpei.masking`)."""
    assert mask_id(number) == masked
    if number:
        assert verifier_mask_id(number) == masked
        assert Person(name="甲", id_number=number).id_masked == masked


def test_invalid_id_numbers_are_rejected() -> None:
    good = make_id_number(region="500101", birth=dt.date(1990, 1, 1), seq=11, male=True)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    assert not is_valid_id_number(bad_check)
    assert not is_valid_id_number("500230199002300011")  # 30 February
    assert not is_valid_id_number(good[:17])
