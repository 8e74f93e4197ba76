"""The verifier's shared vocabulary: families, outcome and warning codes, records, answers.

Codes are used verbatim in files, the API and the database (see `verification.md`); screens show
the Chinese label.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Family(StrEnum):
    SPECIAL = "special"  # 特种作业操作证
    SAFETY = "safety"  # 安全生产知识和管理能力考核合格证

    @property
    def label(self) -> str:
        return FAMILY_LABELS[self]


FAMILY_LABELS: dict[Family, str] = {
    Family.SPECIAL: "特种作业操作证",
    Family.SAFETY: "安全生产知识和管理能力考核合格证",
}


class Outcome(StrEnum):
    """Outcome codes in the order of precedence of `verification.md` §4."""

    INPUT_INVALID = "INPUT_INVALID"
    CAPTCHA_REQUIRED = "CAPTCHA_REQUIRED"
    BLOCKED = "BLOCKED"
    RATE_LIMITED = "RATE_LIMITED"
    CAPTCHA_FAILED = "CAPTCHA_FAILED"
    PLATFORM_ERROR = "PLATFORM_ERROR"
    PARSE_ERROR = "PARSE_ERROR"
    NOT_CHECKED = "NOT_CHECKED"
    NOT_FOUND = "NOT_FOUND"
    HISTORICAL_ONLY = "HISTORICAL_ONLY"
    NAME_MISMATCH = "NAME_MISMATCH"
    CATEGORY_MISMATCH = "CATEGORY_MISMATCH"
    REVOKED_OR_CANCELLED = "REVOKED_OR_CANCELLED"
    EXPIRED = "EXPIRED"
    REVIEW_OVERDUE = "REVIEW_OVERDUE"
    CERT_NUMBER_MISMATCH = "CERT_NUMBER_MISMATCH"
    VALID_WITH_WARNINGS = "VALID_WITH_WARNINGS"
    VALID = "VALID"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]

    @property
    def is_verdict(self) -> bool:
        """False for the first eight codes: they say nothing about the person."""
        return self not in NON_VERDICTS

    @property
    def stops_batch(self) -> bool:
        return self in STOPPING


OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.INPUT_INVALID: "信息有误",
    Outcome.CAPTCHA_REQUIRED: "待输入验证码",
    Outcome.BLOCKED: "平台拒绝访问",
    Outcome.RATE_LIMITED: "查询过于频繁",
    Outcome.CAPTCHA_FAILED: "验证码错误",
    Outcome.PLATFORM_ERROR: "平台故障",
    Outcome.PARSE_ERROR: "无法解析",
    Outcome.NOT_CHECKED: "未核验",
    Outcome.NOT_FOUND: "查无此证",
    Outcome.HISTORICAL_ONLY: "仅有历史证书",
    Outcome.NAME_MISMATCH: "姓名不符",
    Outcome.CATEGORY_MISMATCH: "类别不符",
    Outcome.REVOKED_OR_CANCELLED: "已注销/撤销",
    Outcome.EXPIRED: "已过期",
    Outcome.REVIEW_OVERDUE: "逾期未复审",
    Outcome.CERT_NUMBER_MISMATCH: "证号不符",
    Outcome.VALID_WITH_WARNINGS: "有效(需关注)",
    Outcome.VALID: "有效",
}

NON_VERDICTS: frozenset[Outcome] = frozenset(
    {
        Outcome.INPUT_INVALID,
        Outcome.CAPTCHA_REQUIRED,
        Outcome.BLOCKED,
        Outcome.RATE_LIMITED,
        Outcome.CAPTCHA_FAILED,
        Outcome.PLATFORM_ERROR,
        Outcome.PARSE_ERROR,
        Outcome.NOT_CHECKED,
    }
)
STOPPING: frozenset[Outcome] = frozenset({Outcome.BLOCKED, Outcome.RATE_LIMITED, Outcome.PARSE_ERROR})


class WarningCode(StrEnum):
    EXPIRES_SOON = "EXPIRES_SOON"
    REVIEW_DUE_SOON = "REVIEW_DUE_SOON"
    REVIEW_DATE_MISSING = "REVIEW_DATE_MISSING"
    SEX_MISMATCH = "SEX_MISMATCH"
    UNKNOWN_ITEM = "UNKNOWN_ITEM"
    LEGACY_ID_CONVERTED = "LEGACY_ID_CONVERTED"
    DATA_MAY_LAG = "DATA_MAY_LAG"
    WITHIN_APPOINTMENT_GRACE = "WITHIN_APPOINTMENT_GRACE"

    @property
    def label(self) -> str:
        return WARNING_LABELS[self]


WARNING_LABELS: dict[WarningCode, str] = {
    WarningCode.EXPIRES_SOON: "证书60天内到期",
    WarningCode.REVIEW_DUE_SOON: "60天内应复审",
    WarningCode.REVIEW_DATE_MISSING: "平台无应复审日期",
    WarningCode.SEX_MISMATCH: "性别与身份证号不符",
    WarningCode.UNKNOWN_ITEM: "操作项目不在目录内",
    WarningCode.LEGACY_ID_CONVERTED: "15位身份证号已转换为18位",
    WarningCode.DATA_MAY_LAG: "发证不足3天，平台数据可能滞后",
    WarningCode.WITHIN_APPOINTMENT_GRACE: "任职未满6个月，仍在考核期内",
}


class Problem(StrEnum):
    """The 问题 column (verification.md §6): what a check found wrong. The code is the Chinese label
    itself (stored so in the results file and in `CertificateCheck.problem`); `db.rules.metrics` counts by it."""

    UNLICENSED = "无证上岗"
    FAKE = "疑似持假证"
    INVALID = "证书失效或不符"
    MANAGER_OVERDUE = "逾期未考核合格"

    @property
    def code(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        return self.value


@dataclass(frozen=True)
class CertRecord:
    """One certificate as the platform (or a saved page) returned it, read through the key map.

    `raw` keeps every key the platform sent, known or not, as evidence.
    """

    name: str
    sex: str | None = None
    cert_number: str | None = None
    category: str | None = None  # 作业类别 (special)
    item: str | None = None  # 操作项目 (special)
    person_type: str | None = None  # 人员类型 (safety)
    industry: str | None = None  # 行业类别 (safety)
    first_issue_date: dt.date | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    review_due: dt.date | None = None
    review_done: dt.date | None = None
    issuer: str | None = None
    status: str | None = None
    is_history: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class PlatformAnswer:
    """What one query (after all its attempts) came to.

    Either `records` (the platform answered `code == 200` with a readable list, possibly empty), or
    `failure`, one of the non-verdict outcomes BLOCKED, RATE_LIMITED, CAPTCHA_FAILED, PLATFORM_ERROR,
    PARSE_ERROR, CAPTCHA_REQUIRED, with a Chinese `detail` for the 说明 column.
    """

    records: tuple[CertRecord, ...] | None = None
    failure: Outcome | None = None
    detail: str = ""
    attempts: int = 0
    evidence: str | None = None  # reference to the stored raw response, when kept

    def __post_init__(self) -> None:
        if (self.records is None) == (self.failure is None):
            raise ValueError("PlatformAnswer needs exactly one of records or failure")
        if self.failure is not None and self.failure.is_verdict:
            raise ValueError(f"{self.failure} is a verdict, not a platform failure")


@dataclass
class RosterRow:
    """One roster row after local normalisation (verification.md §2 and §8)."""

    row_number: int  # as the user sees it in the spreadsheet (1-based, header included)
    name: str
    id_number: str  # normalised; 18 characters when valid
    family: Family
    cert_number: str | None = None
    category: str | None = None
    item: str | None = None
    person_type: str | None = None
    appointment_date: dt.date | None = None
    issue_date: dt.date | None = None
    enterprise: str | None = None
    uscc: str | None = None
    family_text: str | None = None  # a 证书类型 value that is not in the list (the row is INPUT_INVALID)
    errors: list[str] = field(default_factory=list)  # non-empty → INPUT_INVALID, never queried
    warnings: list[WarningCode] = field(default_factory=list)  # row warnings (LEGACY_ID_CONVERTED)
    original: dict[str, Any] = field(default_factory=dict)  # the original cells, header → value

    @property
    def is_valid(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Decision:
    """The outcome of one roster row (verification.md §4–§6)."""

    outcome: Outcome
    warnings: tuple[WarningCode, ...] = ()
    problem: str = ""  # the 问题 column: 无证上岗 / 疑似持假证 / 证书失效或不符 / 逾期未考核合格 / ""
    explanation: str = ""  # the 说明 column, Chinese
    record: CertRecord | None = None  # the chosen record, when one was chosen
