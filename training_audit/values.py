"""Reading one cell's value: dates, times, numbers, class keys, teachers (training-audit.md §1 Values).

Every parser takes the raw cell (text from a CSV, or what openpyxl read from a workbook) and
returns the value, or `None` when the cell does not read. Blank cells are the caller's business.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from verifier.names import MIDDLE_DOTS

_DATE_RES = (
    re.compile(r"^([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})(?:(?:\s+|T)(.+))?$"),
    re.compile(r"^([0-9]{4})(年)([0-9]{1,2})月([0-9]{1,2})日(?:(?:\s*|T)(.+))?$"),
)
_TIME_RE = re.compile(r"^([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?$")
_NUMBER_RE = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_TEACHER_SPLIT = re.compile(r"[、，,/;；]")
_SECONDS_IN_FORMAT = re.compile(r"s")
_QUOTED = re.compile(r'"[^"]*"')

# The white space of `str.isspace()` plus the zero-width characters (verifier.names.strip_space),
# removed by one regular expression: the same result, many times faster on a million cells.
_SPACE = re.compile("[\\s\u200b\u200c\u200d\u2060\ufeff]+")
_NOT_SPACE = re.compile("[^\\s\u200b\u200c\u200d\u2060\ufeff]")
_DOTS = str.maketrans(dict.fromkeys(MIDDLE_DOTS, "·"))

HIGH_RISK_WORDS = ("煤矿", "非煤矿山", "危险化学品", "危化", "烟花爆竹", "金属冶炼", "高危")
ONLINE_WORDS = frozenset({"线上", "网络", "在线"})
PASS_WORDS = frozenset({"合格", "通过", "是"})
FAIL_WORDS = frozenset({"不合格", "未通过", "否", "缺考"})


@dataclass(frozen=True)
class TimeCell:
    """A time or date-time cell of a workbook: seconds since midnight, and whether its format shows seconds."""

    seconds: int
    shows_seconds: bool


@dataclass(frozen=True)
class TimeValue:
    """A time that read: seconds since midnight; `carries_seconds` per §1 (text or format has seconds)."""

    seconds: int
    carries_seconds: bool


def strip_space(text: str) -> str:
    """All white space (including U+3000) and zero-width characters removed."""
    return _SPACE.sub("", text)


def item_key(text: str) -> str:
    """NFKC, no white space (as `verifier.names.item_key`); ASCII text is already NFKC."""
    return strip_space(text if text.isascii() else unicodedata.normalize("NFKC", text))


def name_key(text: str) -> str:
    """Names compare equal when these are equal (as `verifier.names.name_key`)."""
    return item_key(text).translate(_DOTS)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and _NOT_SPACE.search(value) is None)


def format_shows_seconds(number_format: str | None) -> bool:
    """An `s` outside quoted text in a cell's number format."""
    if not number_format:
        return False
    return bool(_SECONDS_IN_FORMAT.search(_QUOTED.sub("", number_format)))


def _clock(hours: str, minutes: str, seconds: str | None) -> TimeValue | None:
    h, m, s = int(hours), int(minutes), int(seconds or 0)
    if h > 23 or m > 59 or s > 59:
        return None
    return TimeValue(h * 3600 + m * 60 + s, seconds is not None)


def _time_text(text: str) -> TimeValue | None:
    match = _TIME_RE.match(text)
    return _clock(match.group(1), match.group(2), match.group(3)) if match else None


def _date_text(text: str) -> tuple[dt.date, TimeValue | None] | None:
    """`YYYY-M-D` & co., optionally with a time; None when either part does not read."""
    for pattern in _DATE_RES:
        match = pattern.match(text)
        if not match:
            continue
        try:
            day = dt.date(int(match.group(1)), int(match.group(3)), int(match.group(4)))
        except ValueError:
            return None
        rest = match.group(5)
        if rest is None or not rest.strip():
            return day, None
        clock = _time_text(rest.strip())
        return (day, clock) if clock else None
    return None


def _seconds_of(value: dt.time | dt.datetime) -> int:
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    return seconds + (1 if value.microsecond >= 500_000 else 0)


def parse_date(raw: Any) -> dt.date | None:
    """A date or date-time cell (its date part), or a date text; None when it does not read."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if not isinstance(raw, str):
        return None
    parsed = _date_text(unicodedata.normalize("NFKC", raw).strip())
    return parsed[0] if parsed else None


def parse_time(raw: Any) -> TimeValue | None:
    """A time or date-time cell (its time part), or `H:MM[:SS]` text, or a date-time text."""
    if isinstance(raw, TimeCell):
        return TimeValue(raw.seconds, raw.shows_seconds)
    if isinstance(raw, dt.datetime | dt.time):
        return TimeValue(_seconds_of(raw), False)
    if not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    clock = _time_text(text)
    if clock is not None:
        return clock
    parsed = _date_text(text)
    return parsed[1] if parsed else None


def parse_number(raw: Any) -> Decimal | None:
    """A number cell or a decimal text → Decimal; anything else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            return None
        return Decimal(repr(raw))
    if not isinstance(raw, str):
        return None
    text = strip_space(unicodedata.normalize("NFKC", raw))
    if not _NUMBER_RE.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def key_text(raw: Any) -> str:
    """Class keys (培训单位, 班次编号): NFKC, no white space; an integer-valued number is its integer text."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        raw = raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    elif isinstance(raw, dt.date):
        raw = raw.isoformat()
    return item_key(str(raw))


def plain_text(raw: Any) -> str:
    """A cell as trimmed text (names, results, industry, mode)."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def is_high_risk(industry: str) -> bool:
    text = item_key(industry)
    return any(word in text for word in HIGH_RISK_WORDS)


def is_online(mode: str) -> bool:
    return item_key(mode) in ONLINE_WORDS


def split_teachers(raw: Any) -> list[str]:
    """`王 强、李四/Zhang` → ['王强', '李四', 'zhang']: NFKC, no white space, case folded; empties dropped."""
    text = unicodedata.normalize("NFKC", plain_text(raw))
    parts = (strip_space(part).casefold() for part in _TEACHER_SPLIT.split(text))
    return [part for part in parts if part]


def result_pass(result: str) -> bool | None:
    """结果 → True (pass), False (fail or any other text), None when empty (成绩 decides)."""
    text = item_key(result)
    if not text:
        return None
    return text in PASS_WORDS


def format_decimal(value: Decimal) -> str:
    """`8.50` → `8.5`, `8.0` → `8`: a number as people write it."""
    text = format(value.normalize(), "f")
    return text
