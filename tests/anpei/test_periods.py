"""Months and quarters: parsed once, compared, walked and labelled in one place (`anpei.periods`)."""

from __future__ import annotations

import datetime as dt

import pytest

from anpei.periods import Month, PeriodFormatError, Quarter, begun_by, months_between, quarters_of


@pytest.mark.parametrize(
    ("text", "expected"), [("2023-05", (2023, 5)), ("2023-5", (2023, 5)), (" 2024-12 ", (2024, 12))]
)
def test_month_parses_the_stored_form(text: str, expected: tuple[int, int]) -> None:
    assert Month.parse(text) == Month(*expected)


@pytest.mark.parametrize("text", ["2023-13", "2023-00", "23-05", "2023/05", "", "1899-12", "2023-05-01"])
def test_month_refuses_anything_else_in_chinese(text: str) -> None:
    with pytest.raises(PeriodFormatError, match="月份"):
        Month.parse(text)


def test_month_round_trips_and_reads_as_a_person_would() -> None:
    may = Month.parse("2023-5")
    assert str(may) == "2023-05"
    assert Month.parse(str(may)) is not may and Month.parse(str(may)) == may
    assert may.label == "2023年5月"
    assert (may.first, may.last) == (dt.date(2023, 5, 1), dt.date(2023, 5, 31))
    assert Month(2024, 2).last == dt.date(2024, 2, 29)
    assert Month(2023, 2).last == dt.date(2023, 2, 28)


def test_month_steps_across_the_year_end() -> None:
    assert Month(2022, 12).next() == Month(2023, 1)
    assert Month(2023, 1).previous() == Month(2022, 12)
    assert Month(2022, 12) < Month(2023, 1) < Month(2023, 2)


def test_a_due_day_past_the_months_end_is_its_last_day() -> None:
    assert Month(2023, 4).day(31) == dt.date(2023, 4, 30)
    assert Month(2023, 4).day(10) == dt.date(2023, 4, 10)


def test_a_month_has_begun_on_its_first_day_not_the_day_before() -> None:
    june = Month(2023, 6)
    assert june.begun_by(dt.date(2023, 6, 1))
    assert not june.begun_by(dt.date(2023, 5, 31))
    assert begun_by([Month(2023, 5), june, Month(2023, 7)], dt.date(2023, 6, 15)) == [Month(2023, 5), june]


def test_months_between_walks_every_month_once() -> None:
    walked = months_between(dt.date(2022, 11, 20), dt.date(2023, 2, 1))
    assert [str(m) for m in walked] == ["2022-11", "2022-12", "2023-01", "2023-02"]
    assert months_between(dt.date(2023, 3, 1), dt.date(2023, 2, 1)) == []


def test_quarter_parses_labels_and_holds_its_months() -> None:
    q2 = Quarter.parse("2023Q2")
    assert q2 == Quarter(2023, 2) == Month(2023, 5).quarter == Quarter.of(dt.date(2023, 6, 30))
    assert str(q2) == "2023Q2"
    assert q2.label == "2023年第二季度"
    assert [str(m) for m in q2.months] == ["2023-04", "2023-05", "2023-06"]
    assert (q2.first, q2.last) == (dt.date(2023, 4, 1), dt.date(2023, 6, 30))
    assert Quarter(2023, 1).previous() == Quarter(2022, 4)
    assert Quarter(2022, 4).next() == Quarter(2023, 1)


@pytest.mark.parametrize("text", ["2023Q5", "2023Q0", "2023-2", "Q2", "2023 第二季度"])
def test_quarter_refuses_anything_else_in_chinese(text: str) -> None:
    with pytest.raises(PeriodFormatError, match="季度"):
        Quarter.parse(text)


def test_quarters_of_months_keep_their_order() -> None:
    months = months_between(dt.date(2022, 9, 1), dt.date(2023, 2, 1))
    assert [str(q) for q in quarters_of(months)] == ["2022Q3", "2022Q4", "2023Q1"]
