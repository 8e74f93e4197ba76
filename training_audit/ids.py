"""IDs checked as `verification.md` §2, many at a time.

`verifier.ids.check_id` is the one home of the ID rules. A clean 18-character ASCII ID (the usual
case) is checked here with numpy in one pass — check character, birth date not after the day of
the run — with the same outcome `check_id` would give; every other value (15-digit IDs, white
space, full-width digits, numbers, anything that fails) goes to `check_id` for its answer and its
Chinese message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from verifier.ids import CHECK_CHARS, WEIGHTS, check_id

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_DIGITS = frozenset("0123456789")


def _clean(value: Any) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 18
        and value.isascii()
        and value[:17].isdigit()
        and (value[17] in _DIGITS or value[17] == "X")
    )


def _slow(value: Any, as_of: dt.date) -> tuple[str, str | None]:
    id18, errors, _ = check_id(value, as_of=as_of)
    return id18, (errors[0].replace("核验基准日", "核查当日") if errors else None)


def check_ids(values: Sequence[Any], *, as_of: dt.date) -> list[tuple[str, str | None]]:
    """(normalised 18-character ID, Chinese error or None) for each raw cell value."""
    results: list[tuple[str, str | None] | None] = [None] * len(values)
    clean = [index for index, value in enumerate(values) if _clean(value)]
    if clean:
        texts = [values[index] for index in clean]
        digits = np.frombuffer("".join(text[:17] for text in texts).encode("ascii"), dtype=np.uint8)
        sums = (digits.reshape(-1, 17).astype(np.int64) - 48) @ np.array(WEIGHTS, dtype=np.int64)
        expected = np.frombuffer(CHECK_CHARS.encode("ascii"), dtype=np.uint8)[sums % 11]
        actual = np.frombuffer("".join(text[17] for text in texts).encode("ascii"), dtype=np.uint8)
        check_ok = expected == actual
        births = digits.reshape(-1, 17)[:, 6:14].astype(np.int64) - 48
        year = births[:, 0] * 1000 + births[:, 1] * 100 + births[:, 2] * 10 + births[:, 3]
        month = births[:, 4] * 10 + births[:, 5]
        day = births[:, 6] * 10 + births[:, 7]
        good = (
            check_ok & _real_days(year, month, day) & (year * 10000 + month * 100 + day <= _as_number(as_of))
        )
        for position in np.flatnonzero(good).tolist():
            results[clean[position]] = (texts[position], None)
    return [
        found if found is not None else _slow(values[index], as_of) for index, found in enumerate(results)
    ]


_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _as_number(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _real_days(year: IntArray, month: IntArray, day: IntArray) -> BoolArray:
    """Calendar days (Gregorian leap years), year ≥ 1."""
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    ok_month = (month >= 1) & (month <= 12)
    longest = _MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    result: BoolArray = (year >= 1) & ok_month & (day >= 1) & (day <= longest)
    return result
