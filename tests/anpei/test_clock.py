"""Beijing time everywhere (issue 15 item 1): moments are stored in UTC, shown in Settings.timezone
(Asia/Shanghai), and default dates are today in that zone — one helper, `anpei.clock`."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from anpei import clock
from anpei.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
# 2026-12-05 19:16 UTC is 2026-12-06 03:16 in Beijing: the day differs too
EVENING_UTC = dt.datetime(2026, 12, 5, 19, 16, 3, tzinfo=dt.UTC)


def test_the_default_zone_is_beijing() -> None:
    assert get_settings().timezone == "Asia/Shanghai"
    assert clock.local_zone().key == "Asia/Shanghai"


def test_a_utc_moment_is_shown_in_beijing_time() -> None:
    assert clock.format_local(EVENING_UTC) == "2026-12-06 03:16"
    assert clock.format_local(EVENING_UTC, seconds=True) == "2026-12-06 03:16:03"
    assert clock.local_date(EVENING_UTC) == dt.date(2026, 12, 6)


def test_naive_moments_and_api_texts_are_taken_as_utc() -> None:
    """The database and the verifier's JSON hand back naive UTC moments (最近的任务 提交时间)."""
    assert clock.format_local(EVENING_UTC.replace(tzinfo=None)) == "2026-12-06 03:16"
    assert clock.format_local("2026-12-05T19:16:03.123456") == "2026-12-06 03:16"
    assert clock.format_local("2026-12-05T19:16:03Z") == "2026-12-06 03:16"
    assert clock.format_local("2026-12-05T19:16:03+00:00") == "2026-12-06 03:16"
    assert clock.format_local(None, empty="—") == "—"
    assert clock.format_local("不是时间") == "不是时间"


def test_today_is_the_date_in_beijing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "utc_now", lambda: EVENING_UTC)
    assert clock.local_today() == dt.date(2026, 12, 6)  # the UTC date is still the 5th
    assert clock.local_now().hour == 3


def test_the_zone_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANPEI_TIMEZONE", "UTC")
    get_settings.cache_clear()
    try:
        assert clock.format_local(EVENING_UTC) == "2026-12-05 19:16"
    finally:
        get_settings.cache_clear()


def test_the_data_input_services_use_the_same_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from db.records import common

    monkeypatch.setattr(clock, "utc_now", lambda: EVENING_UTC)
    assert common.local_today() == dt.date(2026, 12, 6)
    assert common.aware_now() == EVENING_UTC


# The server's own zone and the UTC date must not leak into what a clerk sees: no naive "now" or
# "today" outside the clock (tests and the sample generator aside).
FORBIDDEN = re.compile(r"\bdate\.today\(\)|\bdatetime\.now\(\)|\bdatetime\.utcnow\(\)")


@pytest.mark.parametrize("package", ["dashboard", "db", "anpei"])
def test_no_naive_now_or_server_today_in_the_product(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / package).rglob("*.py"))
        if "sample" not in path.parts and "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if FORBIDDEN.search(line)
    ]
    assert not offenders, "\n".join(offenders)
