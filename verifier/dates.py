"""Calendar helpers shared by the decision rules and their explanations."""

from __future__ import annotations

import calendar
import datetime as dt

GRACE_MONTHS = 6  # 安全合格证: assessment within 6 months of appointment


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later; the month's last day when that day does not exist (31 Aug + 6 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def grace_end(appointment: dt.date) -> dt.date:
    """The last day of the 6-month assessment period after an appointment."""
    return add_months(appointment, GRACE_MONTHS)
