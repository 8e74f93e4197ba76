"""The sample county: a deterministic, synthetic but realistic Fengdu for demos, tests and benchmarks.

`seed_sample(engine, scale=1)` writes 30 townships, 15 member units, ~2,500 enterprises, ~20,000
special-operation workers, ~3,000 managers, the campaign's inspections, findings, actions,
certificate checks and monthly tables. `scale` multiplies enterprises, people and records (the
jurisdictions stay); the same seed and scale always give the same rows.

Generation walks enterprise by enterprise (each one's people, inspections and their consequences
together), so memory stays bounded at any scale; rows go out through `BulkWriter` in chunks.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import functools
import hashlib
import itertools
import json
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, col, func
from sqlmodel import select as select_rows

from db import migrate
from db.access import SYSTEM
from db.auth import hash_password
from db.campaign_defaults import PHASES, enforcement_months, ensure_default_campaign
from db.codes import (
    ActionKind,
    FindingStatus,
    ItemResult,
    JurisdictionKind,
    MonthlyStatus,
    PersonRole,
    RevisitResult,
    RiskClass,
    Role,
    Sector,
    TargetKind,
    TipStatus,
    risk_class_of,
)
from db.metrics import Problem, is_rectified_by, item_key
from db.models import Enterprise, TrainingArchive, TrainingInstitution, TrainingLead
from db.sample import fengdu
from db.sample.bulk import CST, SEED_TIMESTAMP, BulkWriter
from db.sample.catalogue import SECTOR_OPERATIONS, category_of
from db.sample.ids import make_uscc, random_id_number
from db.sample.names import random_name
from db.training_archives import TrainingUnit, Upload, store_archive
from training_audit import sample
from verifier.types import Outcome, WarningCode

# The state of the data set: the campaign is over, the summary reports are in.
# The sample county's demo accounts all get this password, so that `anpei demo` can be tried at once
# (printed by `anpei demo`). Only `seed_sample` sets it — a real deployment never loads the sample
# county and creates its accounts with `anpei user add`, which enforces the password policy.
DEMO_PASSWORD = "anpei-demo-2023"
# username, display name, role, unit (local staff)
DEMO_ACCOUNTS: tuple[tuple[str, str, Role, str], ...] = (
    ("admin", "系统管理员", Role.ADMIN, ""),
    ("leader", "局领导", Role.LEADER, ""),
    ("county", "宣教法规科", Role.COUNTY_STAFF, ""),
    ("sanhe", "三合街道应急办", Role.LOCAL_STAFF, "三合街道"),
    ("jxw", "县经济信息委", Role.LOCAL_STAFF, "县经济信息委"),
)


@functools.cache
def demo_password_hash() -> str:
    """One argon2id hash of DEMO_PASSWORD per process (hashing is deliberately slow)."""
    return hash_password(DEMO_PASSWORD)


SNAPSHOT = dt.date(2023, 11, 6)
ISSUER = "重庆市应急管理局"


class SeedRefused(RuntimeError):
    """The database already holds county data and `force` was not given."""


@dataclass
class SeedReport:
    scale: float
    seed: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    def __str__(self) -> str:
        c = self.counts
        workers = c.get("person", 0)
        return (
            f"单位 {c.get('jurisdiction', 0)} 个，企业 {c.get('enterprise', 0)} 家，人员 {workers} 人，"
            f"检查 {c.get('inspection', 0)} 次，问题 {c.get('finding', 0)} 条，证书核验 {c.get('certificatecheck', 0)} 条，"
            f"月报 {c.get('monthlyreport', 0)} 份，培训档案 {c.get('trainingarchive', 0)} 份（线索 {c.get('traininglead', 0)} 条）；"
            f"共 {self.total_rows} 行，用时 {self.seconds:.1f} 秒"
        )


# --- database state ---------------------------------------------------------------------------

COUNTY_TABLES = ("jurisdiction", "enterprise", "person", "inspection", "monthlyreport")


def database_is_empty(engine: Engine) -> bool:
    """True when no county data is present (a missing schema counts as empty)."""
    names = set(inspect(engine).get_table_names())
    if not set(COUNTY_TABLES) <= names:
        return True
    with engine.connect() as conn:
        for name in COUNTY_TABLES:
            if conn.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() is not None:
                return False
    return True


KEPT_TABLES = ("user", "auditlog")  # accounts and the append-only audit log survive a forced re-seed


def wipe_campaign_data(engine: Engine) -> None:
    """Delete the campaign's rows (children first); accounts and the audit log stay.

    Users keep their rows but lose their link to a jurisdiction (the seed links the sample users
    again); the audit log is append-only and is never touched.
    """
    user = SQLModel.metadata.tables["user"]
    tables = [t for t in reversed(SQLModel.metadata.sorted_tables) if t.name not in KEPT_TABLES]
    with engine.begin() as conn:
        conn.execute(user.update().values(jurisdiction_id=None))
        if conn.dialect.name == "postgresql":
            # `user` references jurisdiction, so that one table is emptied with DELETE
            names = ", ".join(f'"{t.name}"' for t in tables if t.name != "jurisdiction")
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
            conn.execute(text('DELETE FROM "jurisdiction"'))
            conn.execute(text("SELECT setval(pg_get_serial_sequence('\"jurisdiction\"', 'id'), 1, false)"))
        else:
            for table in tables:
                conn.execute(table.delete())


# --- small helpers --------------------------------------------------------------------------


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    year, mon = int(month[:4]), int(month[5:7])
    return dt.date(year, mon, 1), dt.date(year, mon, calendar.monthrange(year, mon)[1])


def _workday(rng: random.Random, month: str) -> dt.date:
    first, last = month_bounds(month)
    day = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
    if day.weekday() == 5:  # Saturday → Friday, or Monday when Friday is in the previous month
        day += -dt.timedelta(days=1) if day > first else dt.timedelta(days=2)
    elif day.weekday() == 6:  # Sunday → Monday, or Friday when Monday is in the next month
        day += dt.timedelta(days=1) if day < last else -dt.timedelta(days=2)
    return day


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _quarter(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _phone(rng: random.Random) -> str:
    return rng.choice(("138", "139", "135", "136", "158", "159", "177", "182", "187", "199")) + "".join(
        rng.choice("0123456789") for _ in range(8)
    )


def _landline(rng: random.Random) -> str:
    return f"023-707{rng.randrange(10000, 99999)}"


def _short(township: str) -> str:
    for suffix in ("街道", "镇", "乡"):
        if township.endswith(suffix):
            return township[: -len(suffix)]
    return township


class _Picker:
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
class _Person:
    id: int
    name: str
    id_number: str
    role: str
    appointment: dt.date | None
    item: str | None
    state: str
    first_issue: dt.date


@dataclass
class _MonthTally:
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


# --- the generator --------------------------------------------------------------------------


class _Generator:
    def __init__(self, writer: BulkWriter, *, rng: random.Random, scale: float, campaign_id: int) -> None:
        self.w = writer
        self.rng = rng
        self.scale = scale
        self.campaign_id = campaign_id
        enforcement = next(p for p in PHASES if p.code == "enforcement")
        self.months = enforcement_months(enforcement.starts_on, enforcement.ends_on)
        self.self_months = ["2023-01", "2023-02", "2023-03"]
        self.tally: dict[tuple[int, str], _MonthTally] = defaultdict(_MonthTally)
        self.names: set[str] = set()
        self.usccs: set[str] = set()
        self.counters: Counter[str] = Counter()
        self.township_ids: list[int] = []
        self.township_name: dict[int, str] = {}
        self.unit_ids: dict[str, int] = {}
        self.unit_name: dict[int, str] = {}
        self.diligence: dict[tuple[int, str], float] = {}
        self.laxity: dict[int, float] = {}
        self.institutions: list[tuple[int, str, int]] = []
        self.relink: dict[str, int] = {}  # existing username → jurisdiction id to link again

    # jurisdictions ---------------------------------------------------------------------------

    def jurisdictions(self) -> None:
        rng = self.rng
        weak = set(rng.sample(range(len(fengdu.TOWNSHIPS)), 4))
        for n, spec in enumerate(fengdu.TOWNSHIPS, start=1):
            jid = self.w.next_id("jurisdiction")
            self.w.add(
                "jurisdiction",
                {
                    "id": jid,
                    "code": f"{fengdu.REGION_CODE}{n:03d}",
                    "name": spec.name,
                    "kind": JurisdictionKind.TOWNSHIP.value,
                    "sort_order": n,
                    "active": True,
                },
            )
            self.township_ids.append(jid)
            self.township_name[jid] = spec.name
            base = rng.uniform(0.35, 0.55) if n - 1 in weak else rng.uniform(0.62, 0.97)
            self.laxity[jid] = rng.uniform(1.3, 1.8) if n - 1 in weak else rng.uniform(0.6, 1.2)
            for k, month in enumerate(self.months):
                self.diligence[(jid, month)] = min(1.0, max(0.1, base + 0.03 * k + rng.uniform(-0.08, 0.08)))
        for n, unit in enumerate(fengdu.MEMBER_UNITS, start=1):
            jid = self.w.next_id("jurisdiction")
            self.w.add(
                "jurisdiction",
                {
                    "id": jid,
                    "code": f"{fengdu.REGION_CODE}-{unit.code}",
                    "name": unit.name,
                    "kind": JurisdictionKind.MEMBER_UNIT.value,
                    "sort_order": 100 + n,
                    "active": True,
                },
            )
            self.unit_ids[unit.code] = jid
            self.unit_name[jid] = unit.name
            quiet = unit.code in ("jw", "wjw", "gaj", "xfz", "ghj", "lyj")
            base = rng.uniform(0.01, 0.04) if quiet else rng.uniform(0.10, 0.30)
            self.laxity[jid] = rng.uniform(0.7, 1.2)
            for month in self.months:
                self.diligence[(jid, month)] = base
        self.trade_unit = {
            trade: self.unit_ids[u.code] for u in fengdu.MEMBER_UNITS for trade in u.supervises
        }

    # training institutions -------------------------------------------------------------------

    def institutions_(self) -> None:
        rng = self.rng
        count = max(2, round(6 * self.scale))
        picker = _Picker(self.township_ids, [10.0 if i < 2 else 1.0 for i in range(len(self.township_ids))])
        for _ in range(count):
            for _attempt in range(50):
                name = (
                    f"丰都县{rng.choice(fengdu.TRADE_NAMES)}{rng.choice(fengdu.TRAINING_INSTITUTION_WORDS)}"
                )
                if name not in self.names:
                    break
            else:
                name = f"丰都县{rng.choice(fengdu.TRADE_NAMES)}职业培训学校第{self.counters['inst'] + 1}分校"
            self.names.add(name)
            self.counters["inst"] += 1
            iid = self.w.next_id("traininginstitution")
            township = picker.pick(rng)
            self.w.add(
                "traininginstitution",
                {
                    "id": iid,
                    "name": name,
                    "uscc": self._uscc("52"),
                    "jurisdiction_id": township,
                    "address": f"重庆市丰都县{self.township_name[township]}平都大道{rng.randrange(1, 300)}号",
                    "contact": random_name(rng, male=rng.random() < 0.6),
                    "phone": _phone(rng),
                    "active": True,
                },
            )
            self.institutions.append((iid, name, township))

    def _uscc(self, kind: str) -> str:
        while True:
            code = make_uscc(self.rng, kind=kind)
            if code not in self.usccs:
                self.usccs.add(code)
                return code

    # enterprises -------------------------------------------------------------------------

    def enterprises(self) -> None:
        rng = self.rng
        n_total = max(30, round(2500 * self.scale))
        fixed = {
            Sector.HAZCHEM: round(18 * self.scale),
            Sector.FIREWORKS: round(8 * self.scale),
            Sector.NONCOAL_MINE: round(14 * self.scale),
            Sector.METALLURGY: max(1, round(2 * self.scale)),
            Sector.INDUSTRY_TRADE: round(600 * self.scale),
        }
        sectors: list[str] = [s.value for s, n in fixed.items() for _ in range(n)]
        sectors += [Sector.OTHER.value] * max(0, n_total - len(sectors))
        rng.shuffle(sectors)
        specs = fengdu.TOWNSHIPS
        plain = _Picker(self.township_ids, [s.weight for s in specs])
        industrial = _Picker(self.township_ids, [s.weight * s.industrial for s in specs])
        trades = list(fengdu.OTHER_TRADES)
        trade_picker = _Picker(trades, [fengdu.OTHER_TRADES[t][0] for t in trades])
        suffix_picker = _Picker([s for s, _ in fengdu.NAME_SUFFIXES], [w for _, w in fengdu.NAME_SUFFIXES])
        for sector in sectors:
            township = (plain if sector == Sector.OTHER else industrial).pick(rng)
            if sector == Sector.OTHER:
                trade = trade_picker.pick(rng)
                word = rng.choice(fengdu.OTHER_TRADES[trade][1])
                unit = self.trade_unit[trade]
            else:
                word = rng.choice(fengdu.SECTOR_WORDS[sector])
                if sector == Sector.INDUSTRY_TRADE and rng.random() < 0.6:
                    unit = self.unit_ids["jxw"]
                else:
                    unit = self.unit_ids["yjj"]
            self._enterprise(
                sector=sector, township=township, unit=unit, word=word, suffix=suffix_picker.pick(rng)
            )

    def _company_name(self, township: int, word: str, suffix: str) -> str:
        rng = self.rng
        for attempt in range(8):
            roll = rng.random()
            prefix = (
                "丰都县"
                if roll < 0.6
                else "重庆"
                if roll < 0.75
                else "重庆市丰都县"
                if roll < 0.85
                else _short(self.township_name[township])
            )
            trade = rng.choice(fengdu.TRADE_NAMES)
            if attempt >= 4:
                trade += rng.choice(fengdu.TRADE_NAMES)
            name = f"{prefix}{trade}{word}{suffix}"
            if name not in self.names:
                self.names.add(name)
                return name
        self.counters["name_fallback"] += 1
        name = f"丰都县{rng.choice(fengdu.TRADE_NAMES)}{word}{suffix}第{self.counters['name_fallback']}分公司"
        self.names.add(name)
        return name

    def _enterprise(self, *, sector: str, township: int, unit: int, word: str, suffix: str) -> None:
        rng = self.rng
        risk = risk_class_of(sector)
        eid = self.w.next_id("enterprise")
        name = self._company_name(township, word, suffix)
        tname = self.township_name[township]
        village = rng.choice(
            ("新城", "龙河", "长江", "白沙", "桂花", "新建", "柏树", "双河", "观音", "石龙", "大坪", "田坝")
        )
        address = (
            f"重庆市丰都县{tname}{village}路{rng.randrange(1, 400)}号"
            if tname.endswith("街道")
            else f"重庆市丰都县{tname}{village}村{rng.randrange(1, 12)}组"
        )
        contact_male = rng.random() < 0.75
        self.w.add(
            "enterprise",
            {
                "id": eid,
                "name": name,
                "uscc": self._uscc("92" if suffix == "经营部" else "91"),
                "sector": sector,
                "risk_class": risk.value,
                "jurisdiction_id": township,
                "member_unit_id": unit,
                "address": address,
                "contact": random_name(rng, male=contact_male),
                "phone": _phone(rng),
                "active": True,
                "created_at": SEED_TIMESTAMP,
            },
        )
        lax = rng.random() < 0.15 * self.laxity[township]
        people = self._people(eid, sector=sector, risk=risk, lax=lax)
        principal = next((p.name for p in people if p.role == PersonRole.PRINCIPAL), None)
        self._self_inspection(eid, township=township, risk=risk, lax=lax, principal=principal)
        self._inspections(
            eid,
            name=name,
            township=township,
            unit=unit,
            risk=risk,
            lax=lax,
            people=people,
            principal=principal,
        )
        if rng.random() < 0.008:
            self._tip(
                name=name,
                enterprise_id=eid,
                institution_id=None,
                township=township,
                kind=TargetKind.ENTERPRISE,
            )

    # people ------------------------------------------------------------------------------

    def _people(self, eid: int, *, sector: str, risk: RiskClass, lax: bool) -> list[_Person]:
        rng = self.rng
        mean = {RiskClass.HIGH_RISK: 25.0, RiskClass.INDUSTRY_TRADE: 14.0}.get(risk, 5.4)
        n_workers = int(rng.gammavariate(2.0, mean / 2.0) + 0.5)
        if risk == RiskClass.HIGH_RISK:
            roles = [PersonRole.PRINCIPAL] + [PersonRole.SAFETY_MANAGER] * rng.randint(2, 4)
        elif risk == RiskClass.INDUSTRY_TRADE:
            roles = [PersonRole.PRINCIPAL] + [PersonRole.SAFETY_MANAGER] * rng.randint(1, 2)
        else:
            roles = [PersonRole.PRINCIPAL] if rng.random() < 0.45 else []
            if roles and rng.random() < 0.3:
                roles.append(PersonRole.SAFETY_MANAGER)
        roles += [PersonRole.SPECIAL_WORKER] * n_workers
        operations = SECTOR_OPERATIONS.get(sector, SECTOR_OPERATIONS[Sector.OTHER])
        people: list[_Person] = []
        seen: set[str] = set()
        for role in roles:
            worker = role == PersonRole.SPECIAL_WORKER
            male = rng.random() < (0.9 if worker else 0.72)
            birth_from, birth_to = (
                (dt.date(1963, 1, 1), dt.date(2003, 6, 30))
                if worker
                else (dt.date(1960, 1, 1), dt.date(1993, 12, 31))
            )
            id_number = random_id_number(rng, birth_from=birth_from, birth_to=birth_to, male=male)
            if id_number in seen:
                continue
            seen.add(id_number)
            states = WORKER_STATES if worker else MANAGER_STATES
            state = rng.choices([s[0] for s in states], weights=[s[2] if lax else s[1] for s in states])[0]
            appointment = None
            if not worker:
                appointment = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(4200))
                if rng.random() < 0.12:  # recently appointed: some are inside the 6-month grace
                    appointment = dt.date(2022, 12, 1) + dt.timedelta(days=rng.randrange(200))
            item = rng.choice(operations) if worker else None
            pid = self.w.next_id("person")
            left = rng.random() < 0.03
            name = random_name(rng, male=male)
            self.w.add(
                "person",
                {
                    "id": pid,
                    "name": name,
                    "id_number": id_number,
                    "role": role.value,
                    "enterprise_id": eid,
                    "appointment_date": appointment,
                    "operation_item": item,
                    "active": not left,
                    "left_on": dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(300)) if left else None,
                    "created_at": SEED_TIMESTAMP,
                },
            )
            first_issue = dt.date(2014, 1, 1) + dt.timedelta(days=rng.randrange(3100))
            people.append(_Person(pid, name, id_number, role.value, appointment, item, state, first_issue))
        return people

    # inspections ----------------------------------------------------------------------------

    def _inspections(
        self,
        eid: int,
        *,
        name: str,
        township: int,
        unit: int,
        risk: RiskClass,
        lax: bool,
        people: list[_Person],
        principal: str | None,
    ) -> None:
        rng = self.rng
        target = risk != RiskClass.OTHER
        checked_once = False
        found_before: set[tuple[int, str]] = set()
        if target and rng.random() < 0.06:  # a county spot check during self-inspection
            month = rng.choice(self.self_months)
            self._inspect(
                eid,
                month=month,
                by=self.unit_ids["yjj"],
                joint=False,
                joint_unit=None,
                risk=risk,
                lax=lax,
                people=people,
                principal=principal,
                full_check=True,
                found_before=found_before,
            )
            checked_once = True
        for k, month in enumerate(self.months):
            visits: list[tuple[int, bool]] = []
            p_township = self.diligence[(township, month)] if target else 0.04
            if rng.random() < p_township:
                roll = rng.random()
                visits.append((township, roll < 0.15))
                if roll > 0.93:  # a re-inspection the same month (复查)
                    visits.append((township, False))
            p_unit = self.diligence[(unit, month)] * (1.4 if target else 0.8)
            if rng.random() < p_unit:
                visits.append((unit, False))
            improvement = 1.0 - 0.12 * k
            for by, joint in visits:
                self._inspect(
                    eid,
                    month=month,
                    by=by,
                    joint=joint,
                    joint_unit=unit if joint else None,
                    risk=risk,
                    lax=lax,
                    people=people,
                    principal=principal,
                    full_check=not checked_once,
                    found_before=found_before,
                    improvement=improvement,
                )
                checked_once = True

    def _inspect(
        self,
        eid: int,
        *,
        month: str,
        by: int,
        joint: bool,
        joint_unit: int | None,
        risk: RiskClass,
        lax: bool,
        people: list[_Person],
        principal: str | None,
        full_check: bool,
        found_before: set[tuple[int, str]],
        improvement: float = 1.0,
    ) -> None:
        rng = self.rng
        day = _workday(rng, month)
        iid = self.w.next_id("inspection")
        joint_units = ""
        if joint:
            others = ["县应急管理局"]
            if joint_unit is not None and self.unit_name[joint_unit] not in others:
                others.append(self.unit_name[joint_unit])
            joint_units = ",".join(others)
        inspectors = "、".join(random_name(rng, male=rng.random() < 0.7) for _ in range(2))
        self.w.add(
            "inspection",
            {
                "id": iid,
                "inspected_on": day,
                "jurisdiction_id": by,
                "joint": joint,
                "joint_units": joint_units,
                "target_kind": TargetKind.ENTERPRISE.value,
                "enterprise_id": eid,
                "institution_id": None,
                "inspectors": inspectors,
                "notes": "联合执法检查" if joint else "",
                "source_ref": None,
                "created_at": SEED_TIMESTAMP,
            },
        )
        in_campaign = month in self.months
        tallies: list[_MonthTally] = []
        if in_campaign:
            tallies.append(self.tally[(by, month)])
            if joint and joint_unit is not None and joint_unit != by:
                tallies.append(self.tally[(joint_unit, month)])
            for t in tallies:
                t.enterprises.add(eid)
                if risk == RiskClass.HIGH_RISK:
                    t.high_risk.add(eid)
                elif risk == RiskClass.INDUSTRY_TRADE:
                    t.industry_trade.add(eid)
        own = tallies[:1]

        # certificate checks decide items 3 and 4
        workers = [p for p in people if p.role == PersonRole.SPECIAL_WORKER]
        managers = [p for p in people if p.role != PersonRole.SPECIAL_WORKER]
        if full_check:
            to_check = workers[:15]
        else:
            to_check = rng.sample(workers, min(len(workers), 2)) if rng.random() < 0.5 else []
        item3_fail = False
        for person in to_check:
            problem = self._certificate_check(person, eid=eid, by=by, day=day, iid=iid)
            for t in own:
                t.workers_checked += 1
                t.unlicensed += problem == Problem.UNLICENSED.value
                t.suspected_fake += problem == Problem.FAKE.value
            item3_fail |= problem in (Problem.UNLICENSED.value, Problem.FAKE.value)
        item4_fail = False
        if risk != RiskClass.OTHER and (full_check or rng.random() < 0.2):
            for person in managers:
                problem = self._certificate_check(person, eid=eid, by=by, day=day, iid=iid)
                for t in own:
                    t.managers_due += 1
                    t.managers_passed += problem == ""
                    t.managers_overdue += problem == Problem.MANAGER_OVERDUE.value
                item4_fail |= problem == Problem.MANAGER_OVERDUE.value

        factor = (2.5 if lax else 1.0) * improvement
        results: dict[int, ItemResult] = {}
        for item in (1, 2, 5):
            base = {1: 0.04, 2: 0.06, 5: 0.05}[item]
            results[item] = ItemResult.FAIL if rng.random() < base * factor else ItemResult.PASS
        results[3] = (
            ItemResult.NOT_APPLICABLE if not workers else ItemResult.FAIL if item3_fail else ItemResult.PASS
        )
        if risk == RiskClass.OTHER:
            results[4] = ItemResult.NOT_APPLICABLE
        else:
            results[4] = ItemResult.FAIL if item4_fail else ItemResult.PASS
        for item in sorted(results):
            self.w.add(
                "inspectionitemresult",
                {
                    "id": self.w.next_id("inspectionitemresult"),
                    "inspection_id": iid,
                    "item_number": item,
                    "result": results[item].value,
                },
            )
        failed = [item for item in sorted(results) if results[item] == ItemResult.FAIL]
        if failed:
            self._consequences(
                target_kind=TargetKind.ENTERPRISE,
                enterprise_id=eid,
                institution_id=None,
                by=by,
                iid=iid,
                day=day,
                failed=failed,
                lax=lax,
                responsible=principal,
                found_before=found_before,
                tallies=own,
            )

    def _certificate_check(self, person: _Person, *, eid: int, by: int, day: dt.date, iid: int) -> str:
        """Write one verification result for `person` as of `day`; return its 问题 ('' when none)."""
        rng = self.rng
        special = person.role == PersonRole.SPECIAL_WORKER
        first = person.first_issue
        fields: dict[str, Any] = {
            "cert_number": None,
            "category": None,
            "item": None,
            "first_issue_date": None,
            "valid_from": None,
            "valid_until": None,
            "review_due": None,
            "review_done": None,
            "issuer": None,
        }
        warnings: list[str] = []
        problem = ""
        state = person.state
        if rng.random() < 0.004:
            outcome, explanation = Outcome.PLATFORM_ERROR, "平台多次无响应，稍后重试"
        elif special:
            # a current certificate: 6 years' validity, a review every 3 years
            valid_from = first
            valid_until = _add_months(first, 72) - dt.timedelta(days=1)
            review_due = _add_months(first, 36)
            review_done: dt.date | None = review_due - dt.timedelta(days=rng.randrange(5, 50))
            if state == "expires_soon":
                valid_until = day + dt.timedelta(days=rng.randrange(5, 55))
                valid_from = _add_months(valid_until + dt.timedelta(days=1), -72)
                review_due = _add_months(valid_from, 36)
            elif state == "expired":
                valid_until = day - dt.timedelta(days=rng.randrange(20, 400))
                valid_from = _add_months(valid_until + dt.timedelta(days=1), -72)
            elif state == "review_overdue":
                valid_until = day + dt.timedelta(days=rng.randrange(200, 900))
                valid_from = _add_months(valid_until + dt.timedelta(days=1), -72)
                review_due = day - dt.timedelta(days=rng.randrange(30, 300))
                review_done = None
            fields.update(
                cert_number="T" + person.id_number,
                category=category_of(person.item or ""),
                item=person.item,
                first_issue_date=valid_from,
                valid_from=valid_from,
                valid_until=valid_until,
                review_due=review_due,
                review_done=review_done,
                issuer=ISSUER,
            )
            outcome, problem, explanation = {
                "valid": (Outcome.VALID, "", "证书有效"),
                "expires_soon": (Outcome.VALID_WITH_WARNINGS, "", "证书有效，60天内到期"),
                "expired": (Outcome.EXPIRED, Problem.INVALID.value, "证书已过有效期"),
                "review_overdue": (Outcome.REVIEW_OVERDUE, Problem.INVALID.value, "证书逾期未复审"),
                "history": (Outcome.HISTORICAL_ONLY, Problem.INVALID.value, "平台只有历史证书"),
                "category": (
                    Outcome.CATEGORY_MISMATCH,
                    Problem.INVALID.value,
                    "所持证书的操作项目与岗位不符",
                ),
                "revoked": (Outcome.REVOKED_OR_CANCELLED, Problem.INVALID.value, "证书已注销"),
                "none": (
                    Outcome.NOT_FOUND,
                    Problem.UNLICENSED.value,
                    "名单未填证号，平台也查不到证书，疑似无证上岗",
                ),
                "fake_number": (
                    Outcome.NOT_FOUND,
                    Problem.FAKE.value,
                    "名单所填证号在平台查不到，疑似持假证",
                ),
                "name_mismatch": (
                    Outcome.NAME_MISMATCH,
                    Problem.UNLICENSED.value,
                    "平台证书的姓名与名单不符",
                ),
                "number_mismatch": (
                    Outcome.CERT_NUMBER_MISMATCH,
                    Problem.FAKE.value,
                    "所持证号与平台不符，疑似持假证",
                ),
            }[state]
            if state == "expires_soon":
                warnings.append(WarningCode.EXPIRES_SOON.value)
            if outcome in (Outcome.NOT_FOUND, Outcome.NAME_MISMATCH):
                fields = dict.fromkeys(fields)
                if state == "fake_number":
                    fields["cert_number"] = "T" + person.id_number
        else:
            appointment = person.appointment or dt.date(2015, 1, 1)
            valid_from = max(first, appointment)
            valid_until = _add_months(valid_from, 36) - dt.timedelta(days=1)
            if state == "valid" and valid_until < day:  # renewed on time
                valid_from = _add_months(valid_from, 36 * ((day - valid_from).days // 1095))
                valid_until = _add_months(valid_from, 36) - dt.timedelta(days=1)
            elif state == "expired" and valid_until >= day:
                valid_until = day - dt.timedelta(days=rng.randrange(10, 200))
                valid_from = _add_months(valid_until + dt.timedelta(days=1), -36)
            fields.update(
                cert_number=person.id_number,
                first_issue_date=valid_from,
                valid_from=valid_from,
                valid_until=valid_until,
                issuer=ISSUER,
            )
            if state == "uncertified":
                fields = dict.fromkeys(fields)
                outcome = Outcome.NOT_FOUND
                if _add_months(appointment, 6) >= day:
                    warnings.append(WarningCode.WITHIN_APPOINTMENT_GRACE.value)
                    explanation = "平台查不到合格证，任职未满6个月，仍在考核期内"
                else:
                    problem = Problem.MANAGER_OVERDUE.value
                    explanation = "任职已满6个月，平台查不到考核合格证"
            elif state == "expired":
                outcome, problem, explanation = Outcome.EXPIRED, Problem.INVALID.value, "合格证已过有效期"
            else:
                outcome, explanation = Outcome.VALID, "合格证有效"
        self.w.add(
            "certificatecheck",
            {
                "id": self.w.next_id("certificatecheck"),
                "person_id": person.id,
                "enterprise_id": eid,
                "jurisdiction_id": by,
                "family": "special" if special else "safety",
                "outcome": outcome.value,
                "warnings": ";".join(warnings),
                "problem": problem,
                "explanation": explanation,
                **fields,
                "as_of": day,
                "checked_at": dt.datetime.combine(day, dt.time(10, 0), tzinfo=CST),
                "source": "verifier",
                "job_ref": f"seed-{iid}",
                "evidence_ref": None,
            },
        )
        return problem

    # findings and actions -----------------------------------------------------------------------

    def _consequences(
        self,
        *,
        target_kind: TargetKind,
        enterprise_id: int | None,
        institution_id: int | None,
        by: int,
        iid: int,
        day: dt.date,
        failed: list[int],
        lax: bool,
        responsible: str | None,
        found_before: set[tuple[int, str]],
        tallies: list[_MonthTally],
    ) -> None:
        rng = self.rng
        month = f"{day:%Y-%m}"
        _, month_end = month_bounds(month)
        report_day = month_end + dt.timedelta(days=5)
        last_deadline = day
        for item in failed:
            description, measure = FINDING_TEXT[(target_kind, item)]
            deadline = day + dt.timedelta(days=rng.choice((7, 15, 15, 30, 30)))
            last_deadline = max(last_deadline, deadline)
            status, rectified_on, revisit_date, revisit_result = self._finding_outcome(day, deadline, lax)
            quarter = _quarter(day)
            recurring = any(key[0] == item and key[1] < quarter for key in found_before)
            found_before.add((item, quarter))
            self.w.add(
                "finding",
                {
                    "id": self.w.next_id("finding"),
                    "jurisdiction_id": by,
                    "inspection_id": iid,
                    "self_inspection_id": None,
                    "target_kind": target_kind.value,
                    "enterprise_id": enterprise_id,
                    "institution_id": institution_id,
                    "check_item_number": item,
                    "found_on": day,
                    "description": description,
                    "measure": measure,
                    "deadline": deadline,
                    "responsible_person": responsible or random_name(rng, male=True),
                    "status": status,
                    "rectified_on": rectified_on,
                    "revisit_date": revisit_date,
                    "revisit_result": revisit_result,
                    "revisit_by": "、".join(random_name(rng, male=True) for _ in range(2))
                    if revisit_date
                    else "",
                    "recurring": recurring,
                    "created_at": SEED_TIMESTAMP,
                },
            )
            for t in tallies:
                t.problems_by_item[item_key(target_kind, item)] += 1
                t.rectified += is_rectified_by(rectified_on, status, report_day)
        # 责令整改 for every inspection with a failed item; cases and penalties for the serious ones
        serious = (target_kind == TargetKind.ENTERPRISE and bool({3, 4} & set(failed))) or (
            target_kind == TargetKind.INSTITUTION and 4 in failed
        )
        self._action(
            ActionKind.ORDER_RECTIFY,
            by=by,
            iid=iid,
            target_kind=target_kind,
            enterprise_id=enterprise_id,
            institution_id=institution_id,
            day=day,
            deadline=last_deadline,
            tallies=tallies,
        )
        for t in tallies:
            t.ordered_rectify += 1
        p_case = (0.8 if lax else 0.55) if serious else 0.06
        if rng.random() < p_case:
            kw: dict[str, Any] = {
                "by": by,
                "iid": iid,
                "target_kind": target_kind,
                "enterprise_id": enterprise_id,
                "institution_id": institution_id,
                "day": day,
                "tallies": tallies,
            }
            self._action(ActionKind.CASE, **kw)
            if rng.random() < 0.85:
                amount = Decimal(rng.choice((5000, 10000, 10000, 20000, 20000, 30000, 50000)))
                self._action(ActionKind.FINE, amount=amount, **kw)
            if rng.random() < 0.35:
                self._action(ActionKind.EXPOSURE, **kw)
                if rng.random() < 0.4:
                    self._action(ActionKind.BLACKLIST, **kw)

    def _finding_outcome(
        self, day: dt.date, deadline: dt.date, lax: bool
    ) -> tuple[str, dt.date | None, dt.date | None, str | None]:
        rng = self.rng
        if rng.random() > (0.72 if lax else 0.94):
            return FindingStatus.OPEN.value, None, None, None
        allowed = (deadline - day).days
        late = rng.random() < (0.3 if lax else 0.1)
        rectified_on = day + dt.timedelta(days=rng.randint(2, allowed + (rng.randint(5, 40) if late else 0)))
        if rectified_on > SNAPSHOT:
            return FindingStatus.OPEN.value, None, None, None
        if rng.random() < 0.25:
            return FindingStatus.RECTIFIED.value, rectified_on, None, None
        revisit = min(SNAPSHOT, rectified_on + dt.timedelta(days=rng.randint(2, 12)))
        if rng.random() < 0.05:
            return FindingStatus.OPEN.value, None, revisit, RevisitResult.FAILED.value
        return FindingStatus.CLOSED.value, rectified_on, revisit, RevisitResult.PASSED.value

    def _action(
        self,
        kind: ActionKind,
        *,
        by: int,
        iid: int | None,
        target_kind: TargetKind,
        enterprise_id: int | None,
        institution_id: int | None,
        day: dt.date,
        tallies: list[_MonthTally],
        deadline: dt.date | None = None,
        amount: Decimal | None = None,
    ) -> None:
        rng = self.rng
        _, month_end = month_bounds(f"{day:%Y-%m}")
        action_day = min(month_end, day + dt.timedelta(days=rng.randrange(0, 6)))
        self.counters[f"ref-{kind}"] += 1
        n = self.counters[f"ref-{kind}"]
        ref = {
            ActionKind.ORDER_RECTIFY: f"丰都责改〔{day.year}〕{n}号",
            ActionKind.CASE: f"丰都应急罚〔{day.year}〕{n}号",
            ActionKind.FINE: f"丰都应急罚〔{day.year}〕{n}号",
            ActionKind.EXPOSURE: f"互联网+执法平台曝光第{n}期",
            ActionKind.BLACKLIST: f"诚信黑名单〔{day.year}〕{n}号",
        }[kind]
        self.w.add(
            "enforcementaction",
            {
                "id": self.w.next_id("enforcementaction"),
                "jurisdiction_id": by,
                "inspection_id": iid,
                "target_kind": target_kind.value,
                "enterprise_id": enterprise_id,
                "institution_id": institution_id,
                "kind": kind.value,
                "action_date": action_day,
                "deadline": deadline if kind == ActionKind.ORDER_RECTIFY else None,
                "fine_amount": amount,
                "case_ref": ref,
                "notes": "",
            },
        )
        for t in tallies:
            if kind == ActionKind.CASE:
                t.cases += 1
            elif kind == ActionKind.FINE and amount is not None:
                t.fines_yuan += amount
            elif kind == ActionKind.EXPOSURE:
                t.exposures += 1
            elif kind == ActionKind.BLACKLIST:
                t.blacklisted += 1

    # self-inspection, institutions, tips ----------------------------------------------------------

    def _self_inspection(
        self, eid: int, *, township: int, risk: RiskClass, lax: bool, principal: str | None
    ) -> None:
        rng = self.rng
        if rng.random() > (0.75 if risk != RiskClass.OTHER else 0.08) * (0.6 if lax else 1.0):
            return
        rid = self.w.next_id("selfinspectionreport")
        submitted = dt.date(2022, 10, 15) + dt.timedelta(days=rng.randrange(165))
        self.w.add(
            "selfinspectionreport",
            {
                "id": rid,
                "target_kind": TargetKind.ENTERPRISE.value,
                "enterprise_id": eid,
                "institution_id": None,
                "jurisdiction_id": township,
                "submitted_on": submitted,
                "period_from": dt.date(2020, 4, 1),
                "summary": "对照专项整治重点内容开展自查，问题已列入清单逐项整改。",
                "attachment": None,
                "created_at": SEED_TIMESTAMP,
            },
        )
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            item = rng.choice((1, 2, 2, 5, 5, 3))
            description, measure = FINDING_TEXT[(TargetKind.ENTERPRISE, item)]
            deadline = submitted + dt.timedelta(days=30)
            status, rectified_on, revisit, result = self._finding_outcome(submitted, deadline, lax)
            self.w.add(
                "finding",
                {
                    "id": self.w.next_id("finding"),
                    "jurisdiction_id": township,
                    "inspection_id": None,
                    "self_inspection_id": rid,
                    "target_kind": TargetKind.ENTERPRISE.value,
                    "enterprise_id": eid,
                    "institution_id": None,
                    "check_item_number": item,
                    "found_on": submitted,
                    "description": "（自查）" + description,
                    "measure": measure,
                    "deadline": deadline,
                    "responsible_person": principal or "",
                    "status": status,
                    "rectified_on": rectified_on,
                    "revisit_date": revisit,
                    "revisit_result": result,
                    "revisit_by": "",
                    "recurring": False,
                    "created_at": SEED_TIMESTAMP,
                },
            )

    def institution_inspections(self) -> None:
        rng = self.rng
        bureau = self.unit_ids["yjj"]
        for iid_inst, name, township in self.institutions:
            self.w.add(
                "selfinspectionreport",
                {
                    "id": self.w.next_id("selfinspectionreport"),
                    "target_kind": TargetKind.INSTITUTION.value,
                    "enterprise_id": None,
                    "institution_id": iid_inst,
                    "jurisdiction_id": township,
                    "submitted_on": dt.date(2023, 3, rng.randint(1, 28)),
                    "period_from": dt.date(2020, 4, 1),
                    "summary": "全面核查2020年4月以来的培训、考试工作，形成问题清单。",
                    "attachment": None,
                    "created_at": SEED_TIMESTAMP,
                },
            )
            lax = rng.random() < 0.3
            for month in self.months:
                if rng.random() > 0.55:
                    continue
                joint = rng.random() < 0.3
                day = _workday(rng, month)
                ins = self.w.next_id("inspection")
                self.w.add(
                    "inspection",
                    {
                        "id": ins,
                        "inspected_on": day,
                        "jurisdiction_id": bureau,
                        "joint": joint,
                        "joint_units": self.township_name[township] if joint else "",
                        "target_kind": TargetKind.INSTITUTION.value,
                        "enterprise_id": None,
                        "institution_id": iid_inst,
                        "inspectors": "、".join(random_name(rng, male=True) for _ in range(2)),
                        "notes": "",
                        "source_ref": None,
                        "created_at": SEED_TIMESTAMP,
                    },
                )
                tally = self.tally[(bureau, month)]
                tally.institutions.add(iid_inst)
                failed = []
                for item in (1, 2, 3, 4):
                    p = {1: 0.08, 2: 0.12, 3: 0.1, 4: 0.03}[item] * (2.5 if lax else 1.0)
                    fail = rng.random() < p
                    if fail:
                        failed.append(item)
                    self.w.add(
                        "inspectionitemresult",
                        {
                            "id": self.w.next_id("inspectionitemresult"),
                            "inspection_id": ins,
                            "item_number": item,
                            "result": (ItemResult.FAIL if fail else ItemResult.PASS).value,
                        },
                    )
                if failed:
                    self._consequences(
                        target_kind=TargetKind.INSTITUTION,
                        enterprise_id=None,
                        institution_id=iid_inst,
                        by=bureau,
                        iid=ins,
                        day=day,
                        failed=failed,
                        lax=lax,
                        responsible=None,
                        found_before=set(),
                        tallies=[tally],
                    )
            if rng.random() < 0.5:
                self._tip(
                    name=name,
                    enterprise_id=None,
                    institution_id=iid_inst,
                    township=township,
                    kind=TargetKind.INSTITUTION,
                )

    def _tip(
        self,
        *,
        name: str,
        enterprise_id: int | None,
        institution_id: int | None,
        township: int,
        kind: TargetKind,
    ) -> None:
        rng = self.rng
        template = rng.choice([t for t, k in TIP_TEXT if k == kind])
        received = dt.date(2022, 9, 5) + dt.timedelta(days=rng.randrange(400))
        age = (SNAPSHOT - received).days
        status = (
            TipStatus.CLOSED
            if age > 60
            else TipStatus.ANSWERED
            if age > 30
            else TipStatus.CHECKING
            if age > 10
            else TipStatus.ASSIGNED
            if age > 2
            else TipStatus.RECEIVED
        )
        if status == TipStatus.CLOSED and rng.random() < 0.1:
            status = TipStatus.CHECKING  # a few are left hanging
        done = status in (TipStatus.ANSWERED, TipStatus.CLOSED)
        substantiated = rng.random() < 0.4 if done else None
        self.counters["tip"] += 1
        self.w.add(
            "tip",
            {
                "id": self.w.next_id("tip"),
                "received_on": received,
                "channel": "12350" if rng.random() < 0.8 else "政府网站",
                "reference": f"12350-{received:%Y%m%d}-{self.counters['tip']:04d}",
                "content": template.format(name=name),
                "target_name": name,
                "enterprise_id": enterprise_id,
                "institution_id": institution_id,
                "jurisdiction_id": township,
                "assigned_on": received + dt.timedelta(days=1) if status != TipStatus.RECEIVED else None,
                "status": status.value,
                "check_result": (
                    "经核查，反映问题属实，已责令整改并立案查处"
                    if substantiated
                    else "经核查，未发现反映的问题"
                )
                if done
                else "",
                "substantiated": substantiated,
                "answered_on": received + dt.timedelta(days=rng.randint(8, 28)) if done else None,
            },
        )

    # monthly tables, summaries, users ---------------------------------------------------------

    def monthly_reports(self) -> None:
        rng = self.rng
        all_ids = self.township_ids + list(self.unit_name)
        late_ids = set(rng.sample(self.township_ids, 4)) | set(rng.sample(list(self.unit_name), 2))
        missing = {(rng.choice(self.township_ids), rng.choice(self.months[:-1])) for _ in range(2)}
        missing.add((rng.choice(list(self.unit_name)), rng.choice(self.months)))
        for jid in all_ids:
            for month in self.months:
                if (jid, month) in missing:
                    continue
                t = self.tally.get((jid, month)) or _MonthTally()
                _, month_end = month_bounds(month)
                due = month_end + dt.timedelta(days=5)
                if jid in late_ids and rng.random() < 0.6:
                    submitted = due + dt.timedelta(days=rng.randint(1, 15))
                    status = MonthlyStatus.LATE
                else:
                    submitted = month_end + dt.timedelta(days=rng.randint(1, 5))
                    status = MonthlyStatus.SUBMITTED
                if not t.enterprises and not t.institutions and status == MonthlyStatus.SUBMITTED:
                    status = MonthlyStatus.ZERO
                self.w.add(
                    "monthlyreport",
                    {
                        "id": self.w.next_id("monthlyreport"),
                        "jurisdiction_id": jid,
                        "month": month,
                        "status": status.value,
                        "submitted_at": dt.datetime.combine(
                            submitted, dt.time(rng.randint(8, 17), rng.randrange(60)), tzinfo=CST
                        ),
                        "enterprises_inspected": len(t.enterprises),
                        "high_risk_inspected": len(t.high_risk),
                        "industry_trade_inspected": len(t.industry_trade),
                        "institutions_inspected": len(t.institutions),
                        "problems_found": sum(t.problems_by_item.values()),
                        "problems_by_item": {k: t.problems_by_item[k] for k in sorted(t.problems_by_item)},
                        "ordered_rectify": t.ordered_rectify,
                        "rectified": t.rectified,
                        "workers_checked": t.workers_checked,
                        "unlicensed": t.unlicensed,
                        "suspected_fake": t.suspected_fake,
                        "managers_due": t.managers_due,
                        "managers_passed": t.managers_passed,
                        "managers_overdue": t.managers_overdue,
                        "cases": t.cases,
                        "fines_wan": (t.fines_yuan / Decimal(10000)).quantize(Decimal("0.0001")),
                        "exposures": t.exposures,
                        "blacklisted": t.blacklisted,
                        "filled_by": random_name(rng, male=rng.random() < 0.5),
                        "phone": _landline(rng),
                        "filled_on": submitted,
                        "scan_path": None,
                        "source_sha256": None,
                    },
                )

    def summary_reports(self) -> None:
        rng = self.rng
        for jid in self.township_ids + list(self.unit_name):
            roll = rng.random()
            if roll < 0.06:
                continue  # not submitted
            submitted = (
                dt.date(2023, 11, 1) + dt.timedelta(days=rng.randrange(5))
                if roll < 0.14
                else dt.date(2023, 9, 20) + dt.timedelta(days=rng.randrange(42))
            )
            name = self.township_name.get(jid) or self.unit_name[jid]
            self.w.add(
                "summaryreport",
                {
                    "id": self.w.next_id("summaryreport"),
                    "campaign_id": self.campaign_id,
                    "jurisdiction_id": jid,
                    "submitted_on": submitted,
                    "title": f"{name}安全生产培训“走过场”专项整治工作总结",
                    "attachment": None,
                },
            )

    def users(self, existing: dict[str, int]) -> None:
        """One sample account per role; accounts that already exist are linked again, not duplicated."""
        units = {"sanhe": self.township_ids[0], "jxw": self.unit_ids["jxw"]}
        rows = [
            (username, display, role, units.get(username)) for username, display, role, _ in DEMO_ACCOUNTS
        ]
        self.w.next_ids["user"] = max(existing.values(), default=0)
        for username, display, role, jid in rows:
            if username in existing:
                if jid is not None:
                    self.relink[username] = jid
                continue
            self.w.add(
                "user",
                {
                    "id": self.w.next_id("user"),
                    "username": username,
                    "display_name": display,
                    "password_hash": demo_password_hash(),
                    "role": role.value,
                    "jurisdiction_id": jid,
                    "active": True,
                    "failed_logins": 0,
                    "locked_until": None,
                    "created_at": SEED_TIMESTAMP,
                },
            )

    def run(self, existing_users: dict[str, int], *, demo_accounts: bool) -> None:
        self.jurisdictions()
        self.institutions_()
        self.enterprises()
        self.institution_inspections()
        self.monthly_reports()
        self.summary_reports()
        if demo_accounts:
            self.users(existing_users)


# --- entry point ------------------------------------------------------------------------------

DEMO_BESIDE_OTHERS = (
    "数据库中已有正式账号（{names}），不能再建公开密码的演示账号；演示请用单独的数据库（anpei demo）"
)


def refuse_demo_accounts_beside_others(engine: Engine) -> None:
    """SeedRefused when the database has an account that is not one of the demo accounts."""
    demo_names = {username for username, *_ in DEMO_ACCOUNTS}
    user = SQLModel.metadata.tables["user"]
    with engine.connect() as conn:
        others = sorted(n for n in conn.execute(select(user.c.username)).scalars() if n not in demo_names)
    if others:
        raise SeedRefused(
            DEMO_BESIDE_OTHERS.format(names="、".join(others[:5]) + ("等" if len(others) > 5 else ""))
        )


def seed_sample(
    engine: Engine,
    *,
    scale: float = 1,
    seed: int = 2024,
    force: bool = False,
    chunk_size: int = 5000,
    demo_accounts: bool = False,
) -> SeedReport:
    """Migrate, then write the sample county. Refuses a database with county data unless `force`.

    `force` wipes the campaign's tables first (`wipe_campaign_data`: accounts and audit log stay).
    `demo_accounts` (what `anpei demo` passes) adds one account per role with the public demo
    password; never beside other accounts (SeedRefused), so a deployment never gets them.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    started = time.monotonic()
    migrate.upgrade(engine)
    if demo_accounts:
        refuse_demo_accounts_beside_others(engine)
    if not database_is_empty(engine):
        if not force:
            raise SeedRefused("数据库中已有数据，拒绝载入示例数据；如确需清空后重新载入，请加 --force")
        wipe_campaign_data(engine)
    with Session(engine) as session:
        campaign = ensure_default_campaign(session)
        session.commit()
        assert campaign.id is not None
        campaign_id = campaign.id
    user = SQLModel.metadata.tables["user"]
    with engine.begin() as conn:
        existing_users = {r.username: r.id for r in conn.execute(select(user.c.username, user.c.id))}
        writer = BulkWriter(conn, chunk_size=chunk_size)
        generator = _Generator(writer, rng=random.Random(seed), scale=scale, campaign_id=campaign_id)
        generator.run(existing_users, demo_accounts=demo_accounts)
        writer.finish()
        for username, jid in generator.relink.items():
            conn.execute(user.update().where(user.c.username == username).values(jurisdiction_id=jid))
        _analyze(conn)
    counts = dict(writer.counts)
    counts.update(training_archives_(engine, township_id=generator.township_ids[0]))
    return SeedReport(
        scale=scale, seed=seed, seconds=time.monotonic() - started, counts=dict(sorted(counts.items()))
    )


def training_archives_(engine: Engine, *, township_id: int) -> dict[str, int]:
    """培训档案: the two planted archives of `training_audit.sample` and two clean ones (2022-09–2023-07).

    The school's archive goes to the first training institution, the enterprise's to the first
    enterprise of the first township (the `sanhe` demo account's); two more units get clean
    archives. Stored through the service as the command line, at the seed's fixed time, so the
    leads and their ids are the same on every run.
    """
    with Session(engine) as session:
        institutions = session.exec(
            select_rows(TrainingInstitution).order_by(col(TrainingInstitution.id)).limit(2)
        ).all()
        enterprises = session.exec(
            select_rows(Enterprise)
            .where(Enterprise.jurisdiction_id == township_id)
            .order_by(col(Enterprise.id))
            .limit(2)
        ).all()
        if len(institutions) < 2 or len(enterprises) < 2:
            return {}
        plan: list[tuple[TrainingInstitution | Enterprise, TargetKind, dict[str, list[list[Any]]]]] = [
            (institutions[0], TargetKind.INSTITUTION, sample.school(institutions[0].name)),
            (enterprises[0], TargetKind.ENTERPRISE, sample.company(enterprises[0].name)),
            (
                institutions[1],
                TargetKind.INSTITUTION,
                sample.clean(institutions[1].name, first_person=1000, teacher="孙涛", prefix="PX"),
            ),
            (
                enterprises[1],
                TargetKind.ENTERPRISE,
                sample.clean(
                    enterprises[1].name, first_person=2000, teacher="何芳", prefix="AQ", from_day=15
                ),
            ),
        ]
        for unit, kind, sheets in plan:
            name = f"{unit.name}-培训档案.xlsx"
            digest = hashlib.sha256(
                json.dumps(sheets, ensure_ascii=False, sort_keys=True).encode()
            ).hexdigest()
            upload = Upload(name=name, digest=digest, archive=sample.archive_of(name, sheets))
            target = TrainingUnit(kind.value, int(unit.id or 0), unit.name, unit.jurisdiction_id)
            store_archive(
                session,
                principal=SYSTEM,
                upload=upload,
                unit=target,
                now=SEED_TIMESTAMP,
                as_of=SNAPSHOT,
                audited=False,
            )
        session.commit()
        return {
            "trainingarchive": len(session.exec(select_rows(TrainingArchive.id)).all()),
            "traininglead": len(session.exec(select_rows(TrainingLead.id)).all()),
        }


def _analyze(conn: Connection) -> None:
    """Fresh planner statistics after a bulk load, for the tables written (a bare ANALYZE would take a
    lock on every table of the database: other schemas, other applications, concurrent tests)."""
    if conn.dialect.name != "postgresql":
        conn.execute(text("ANALYZE"))  # SQLite: the file is the database
        return
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    conn.execute(text(f"ANALYZE {names}"))


def seeded_counts(engine: Engine) -> dict[str, int]:
    """Rows per model table (for reports and tests)."""
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            out[table.name] = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    return out


__all__ = [
    "SNAPSHOT",
    "SeedRefused",
    "SeedReport",
    "database_is_empty",
    "seed_sample",
    "seeded_counts",
    "wipe_campaign_data",
]
