"""The product's clock: moments are stored in UTC, shown and written in the local zone
(`Settings.timezone`, Asia/Shanghai by default), and "today" is today in that zone.

Every page, export and command line that shows a time or defaults a date goes through here, so a
clerk in Beijing never meets a UTC time or yesterday's date after midnight.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from anpei.settings import get_settings


def local_zone() -> ZoneInfo:
    """The zone times are shown in (Settings.timezone)."""
    return ZoneInfo(get_settings().timezone)


def utc_now() -> dt.datetime:
    """Now, timezone-aware in UTC (what the database stores)."""
    return dt.datetime.now(dt.UTC)


def local_now() -> dt.datetime:
    """Now, timezone-aware in the local zone."""
    return utc_now().astimezone(local_zone())


def local_today() -> dt.date:
    """Today's date in the local zone (the default for 核验基准日, 检查日期 and the like)."""
    return local_now().date()


def to_local(moment: dt.datetime, zone: ZoneInfo | None = None) -> dt.datetime:
    """`moment` in the local zone (or `zone`); a naive moment is taken as UTC (how the database
    returns it)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone or local_zone())


def parse_utc(text: str) -> dt.datetime | None:
    """An ISO 8601 time from an API answer (naive means UTC); None when empty or unreadable."""
    try:
        moment = dt.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def format_local(moment: dt.datetime | str | None, *, seconds: bool = False, empty: str = "") -> str:
    """`moment` (a datetime or an ISO text; naive means UTC) as local "YYYY-MM-DD HH:MM[:SS]"."""
    if moment is None or moment == "":
        return empty
    if isinstance(moment, str):
        parsed = parse_utc(moment)
        if parsed is None:
            return moment
        moment = parsed
    return to_local(moment).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def local_date(moment: dt.datetime) -> dt.date:
    """The local calendar day of `moment` (naive means UTC)."""
    return to_local(moment).date()
