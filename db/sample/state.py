"""What every part of the sample county's generator shares: the data set's fixed facts, small
helpers, the texts records are made from, and `GeneratorState` (the writer, the random source, the
jurisdictions and enterprises written so far, and the monthly tallies the tables are built from).
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import itertools
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from anpei.periods import Month
from db.codes import (
    TargetKind,
)
from db.rules.campaign_defaults import PHASES, enforcement_months
from db.sample.bulk import BulkWriter

# The state of the data set: the campaign is over, the summary reports are in.
SNAPSHOT = dt.date(2023, 11, 6)
ISSUER = "重庆市应急管理局"


# --- small helpers --------------------------------------------------------------------------


def workday(rng: random.Random, month: Month) -> dt.date:
    first, last = month.first, month.last
    day = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
    if day.weekday() == 5:  # Saturday → Friday, or Monday when Friday is in the previous month
        day += -dt.timedelta(days=1) if day > first else dt.timedelta(days=2)
    elif day.weekday() == 6:  # Sunday → Monday, or Friday when Monday is in the next month
        day += dt.timedelta(days=1) if day < last else -dt.timedelta(days=2)
    return day


def add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def mobile_number(rng: random.Random) -> str:
    return rng.choice(("138", "139", "135", "136", "158", "159", "177", "182", "187", "199")) + "".join(
        rng.choice("0123456789") for _ in range(8)
    )


def landline_number(rng: random.Random) -> str:
    return f"023-707{rng.randrange(10000, 99999)}"


def short_name(township: str) -> str:
    for suffix in ("街道", "镇", "乡"):
        if township.endswith(suffix):
            return township[: -len(suffix)]
    return township


class Picker:
    """Weighted choice by bisection over cumulative weights (fast for repeated draws)."""

    def __init__(self, items: list[Any], weights: list[float]) -> None:
        self.items = items
        self.cum = list(itertools.accumulate(weights))

    def pick(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


# --- record templates -----------------------------------------------------------------------

FINDING_TEXT: dict[tuple[str, int], tuple[str, str]] = {
    (TargetKind.ENTERPRISE, 1): (
        "未建立安全生产教育培训制度，或制度未明确培训对象、学时和考核要求",
        "制定完善安全生产教育培训制度并印发执行",
    ),
    (TargetKind.ENTERPRISE, 2): (
        "未制定年度安全生产培训计划，或未按计划组织实施",
        "制定年度培训计划，补训并建立培训台账",
    ),
    (TargetKind.ENTERPRISE, 3): (
        "特种作业人员无证上岗或所持证书无法在全国查询平台核验",
        "立即停止相关人员作业，安排参加培训考试取证后上岗",
    ),
    (TargetKind.ENTERPRISE, 4): (
        "主要负责人、安全生产管理人员任职6个月内未经考核合格",
        "组织相关人员参加应急管理部门考核，限期取得合格证",
    ),
    (TargetKind.ENTERPRISE, 5): (
        "安全生产教育培训档案记录不全，存在补签、代签现象",
        "如实补全培训记录，建立一人一档",
    ),
    (TargetKind.INSTITUTION, 1): (
        "专（兼）职师资力量不足，实操场地设备不满足培训大纲要求",
        "补充专职教师，完善实操实训条件",
    ),
    (TargetKind.INSTITUTION, 2): (
        "压缩培训学时，以模拟题代替理论培训",
        "严格按培训大纲组织教学，如实记录学时",
    ),
    (TargetKind.INSTITUTION, 3): ("培训档案不完整，学员签到表与实际不符", "规范培训档案管理，逐期核对归档"),
    (TargetKind.INSTITUTION, 4): ("招生宣传中承诺“包过”，收取高价培训费", "停止违规招生宣传，退还违规收费"),
}

TIP_TEXT: tuple[tuple[str, str], ...] = (
    ("反映{name}特种作业人员无证上岗", TargetKind.ENTERPRISE),
    ("反映{name}电焊工所持操作证疑似伪造", TargetKind.ENTERPRISE),
    ("反映{name}新员工未经三级安全教育即上岗", TargetKind.ENTERPRISE),
    ("反映{name}安全培训记录代签、补签", TargetKind.ENTERPRISE),
    ("反映{name}举办“包过班”，收取高价培训费", TargetKind.INSTITUTION),
    ("反映{name}培训学时不足，以刷题代替授课", TargetKind.INSTITUTION),
)

# Special-operation certificate states (good enterprise, lax enterprise) → checks read from them.
WORKER_STATES: tuple[tuple[str, float, float], ...] = (
    ("valid", 0.906, 0.63),
    ("expires_soon", 0.03, 0.04),
    ("expired", 0.015, 0.05),
    ("review_overdue", 0.02, 0.06),
    ("history", 0.005, 0.02),
    ("category", 0.005, 0.02),
    ("revoked", 0.002, 0.01),
    ("none", 0.01, 0.10),  # no certificate, none presented → 无证上岗
    ("fake_number", 0.003, 0.03),  # a number presented that the platform does not know → 疑似持假证
    ("name_mismatch", 0.002, 0.01),
    ("number_mismatch", 0.002, 0.02),
)
MANAGER_STATES: tuple[tuple[str, float, float], ...] = (
    ("valid", 0.90, 0.66),
    ("expired", 0.02, 0.06),
    ("uncertified", 0.08, 0.28),  # NOT_FOUND: 逾期未考核合格 past 6 months of appointment
)


@dataclass
class Person:
    id: int
    name: str
    id_number: str
    role: str
    appointment: dt.date | None
    item: str | None
    state: str
    first_issue: dt.date


@dataclass
class MonthTally:
    """What a jurisdiction's monthly table reports, gathered from the records it produced."""

    enterprises: set[int] = field(default_factory=set)
    high_risk: set[int] = field(default_factory=set)
    industry_trade: set[int] = field(default_factory=set)
    institutions: set[int] = field(default_factory=set)
    problems_by_item: Counter[str] = field(default_factory=Counter)
    ordered_rectify: int = 0
    rectified: int = 0
    workers_checked: int = 0
    unlicensed: int = 0
    suspected_fake: int = 0
    managers_due: int = 0
    managers_passed: int = 0
    managers_overdue: int = 0
    cases: int = 0
    fines_yuan: Decimal = Decimal("0")
    exposures: int = 0
    blacklisted: int = 0


class GeneratorState:
    """The generator's shared state; the generating methods live in the mixins built on it."""

    def __init__(self, writer: BulkWriter, *, rng: random.Random, scale: float, campaign_id: int) -> None:
        self.w = writer
        self.rng = rng
        self.scale = scale
        self.campaign_id = campaign_id
        enforcement = next(p for p in PHASES if p.code == "enforcement")
        self.months = enforcement_months(enforcement.starts_on, enforcement.ends_on)
        self.self_months = [Month(2023, 1), Month(2023, 2), Month(2023, 3)]
        self.tally: dict[tuple[int, Month], MonthTally] = defaultdict(MonthTally)
        self.names: set[str] = set()
        self.usccs: set[str] = set()
        self.counters: Counter[str] = Counter()
        self.township_ids: list[int] = []
        self.township_name: dict[int, str] = {}
        self.unit_ids: dict[str, int] = {}
        self.unit_name: dict[int, str] = {}
        self.diligence: dict[tuple[int, Month], float] = {}
        self.laxity: dict[int, float] = {}
        self.institutions: list[tuple[int, str, int]] = []
        self.relink: dict[str, int] = {}  # existing username → jurisdiction id to link again
