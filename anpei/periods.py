"""Months and quarters as values: parsed once (at the edge: URL, sidebar, file cell, CLI option),
then carried as `Month` / `Quarter` down to SQL.

`str(Month)` is `YYYY-MM` and `str(Quarter)` is `YYYYQn`: the forms stored in the database, used in
URLs and file names. `label` is what a person reads (`2023年5月`, `2023年第二季度`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER_RE = re.compile(r"^(\d{4})\s*[Qq]([1-4])$")
QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}


class PeriodFormatError(ValueError):
    """A month or quarter that cannot be read; the message is Chinese, for the user."""


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9999:
            raise PeriodFormatError(f"月份不存在：{self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str | Month) -> Month:
        """`2023-05` (or `2023-5`) → Month; anything else raises PeriodFormatError."""
        if isinstance(text, Month):
            return text
        match = _MONTH_RE.match(str(text).strip())
        if not match:
            raise PeriodFormatError(f"月份格式不正确：{text!r}，应为 YYYY-MM，例如 2023-05")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or year < 1900:
            raise PeriodFormatError(f"月份格式不正确：{text!r}，应为 YYYY-MM，例如 2023-05")
        return cls(year, month)

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """`2023年5月`."""
        return f"{self.year}年{self.month}月"

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def day(self, day_of_month: int) -> dt.date:
        """The given day of this month, clamped to the month's length (a due day of 31 in April is the 30th)."""
        return dt.date(self.year, self.month, max(1, min(day_of_month, self.last.day)))

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    @property
    def quarter(self) -> Quarter:
        return Quarter(self.year, (self.month - 1) // 3 + 1)

    def begun_by(self, day: dt.date) -> bool:
        """Has this month begun by `day` (its first day is on or before it)?"""
        return self.first <= day


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter."""

    year: int
    n: int

    def __post_init__(self) -> None:
        if not 1 <= self.n <= 4 or not 1900 <= self.year <= 9999:
            raise PeriodFormatError(f"季度不存在：{self.year}Q{self.n}")

    @classmethod
    def parse(cls, text: str | Quarter) -> Quarter:
        """`2023Q2` → Quarter; anything else raises PeriodFormatError."""
        if isinstance(text, Quarter):
            return text
        match = _QUARTER_RE.match(str(text).strip())
        if not match or int(match.group(1)) < 1900:
            raise PeriodFormatError(f"季度格式不正确：{text!r}，应为 YYYYQn，例如 2023Q2")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.n}"

    @property
    def label(self) -> str:
        """`2023年第二季度`."""
        return f"{self.year}年{QUARTER_NAMES[self.n]}"

    @property
    def months(self) -> tuple[Month, Month, Month]:
        first = 3 * (self.n - 1) + 1
        return (Month(self.year, first), Month(self.year, first + 1), Month(self.year, first + 2))

    @property
    def first(self) -> dt.date:
        return self.months[0].first

    @property
    def last(self) -> dt.date:
        return self.months[-1].last

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.n == 1 else Quarter(self.year, self.n - 1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.n == 4 else Quarter(self.year, self.n + 1)


def months_between(first: dt.date, last: dt.date) -> list[Month]:
    """Every month from the one holding `first` to the one holding `last`, in order (empty if reversed)."""
    return list(_walk(Month.of(first), Month.of(last)))


def _walk(start: Month, stop: Month) -> Iterator[Month]:
    month = start
    while month <= stop:
        yield month
        month = month.next()


def begun_by(months: Iterable[Month], day: dt.date) -> list[Month]:
    """The months among `months` that have begun by `day`, in the given order."""
    return [m for m in months if m.begun_by(day)]


def quarters_of(months: Iterable[Month]) -> list[Quarter]:
    """The distinct quarters of `months`, in order of first appearance."""
    out: list[Quarter] = []
    for month in months:
        if month.quarter not in out:
            out.append(month.quarter)
    return out
