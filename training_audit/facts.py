"""Derived facts of §2 the rules share: exact credited 学时, distinct attendance, class minimums.

学时 are Decimals. To sum millions of them with numpy they are scaled to integers by a power of
ten large enough for every value (and the daily cap): integer sums of scaled values are exact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from training_audit.prepare import Prepared
from training_audit.rules_config import CategoryRow, Rules
from training_audit.tables import IntArray

MAX_PLACES = 9


@dataclass
class Facts:
    scale: int  # credited 学时 × scale are integers
    credited: IntArray  # per session, scaled
    cap: int  # the daily cap, scaled
    attend_person: IntArray  # distinct (person, session) attendance
    attend_session: IntArray
    first_date: dict[int, int]  # class → date ordinal of its first session
    last_date: dict[int, int]  # class → date ordinal of its last session
    category_rows: dict[int, CategoryRow | None]  # class → category row in effect
    minimums: dict[int, Decimal]  # class → minimum 学时 (classes that have one)

    def unscale(self, value: int) -> Decimal:
        return Decimal(int(value)) / Decimal(self.scale)


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def derive(prepared: Prepared, rules: Rules) -> Facts:
    sessions = prepared.sessions
    places = max(
        [_places(value) for value in sessions.credited if value != int(value)] + [_places(rules.daily_cap)]
    )
    if places > MAX_PLACES:
        raise ValueError(f"学时最多保留 {MAX_PLACES} 位小数")
    scale = 10**places
    credited = np.fromiter(
        (int(value * scale) for value in sessions.credited), dtype=np.int64, count=len(sessions.credited)
    )
    signins = prepared.signins
    person = signins.person[prepared.attendance_signin]
    pair = pd.unique(person * max(len(sessions.row), 1) + prepared.attendance_session)
    attend_person, attend_session = np.divmod(pair, max(len(sessions.row), 1))

    first_date: dict[int, int] = {}
    last_date: dict[int, int] = {}
    if len(sessions.row):
        order = np.lexsort((sessions.date, sessions.cls))
        cls_sorted, date_sorted = sessions.cls[order], sessions.date[order]
        starts = np.flatnonzero(np.r_[True, cls_sorted[1:] != cls_sorted[:-1]])
        ends = np.r_[starts[1:], len(order)] - 1
        first_date = dict(zip(cls_sorted[starts].tolist(), date_sorted[starts].tolist(), strict=True))
        last_date = dict(zip(cls_sorted[ends].tolist(), date_sorted[ends].tolist(), strict=True))
    category_rows: dict[int, CategoryRow | None] = {}
    minimums: dict[int, Decimal] = {}
    for info in prepared.classes:
        first = first_date.get(info.index)
        row = rules.category_row(info.category, dt.date.fromordinal(first) if first else None)
        category_rows[info.index] = row
        minimum = row.minimum(high_risk=info.high_risk) if row else None
        if minimum is not None:
            minimums[info.index] = minimum
    return Facts(
        scale=scale,
        credited=credited,
        cap=int(rules.daily_cap * scale),
        attend_person=attend_person.astype(np.int64),
        attend_session=attend_session.astype(np.int64),
        first_date=first_date,
        last_date=last_date,
        category_rows=category_rows,
        minimums=minimums,
    )
