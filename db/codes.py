"""Enumerations stored as short codes in the database, each with its Chinese label."""

from __future__ import annotations

from enum import StrEnum


class LabelledEnum(StrEnum):
    @property
    def label(self) -> str:
        return LABELS[self.__class__.__name__][self.value]

    @classmethod
    def from_label(cls, text: str) -> LabelledEnum:
        """The member whose code or Chinese label is `text` (stripped); ValueError otherwise."""
        text = text.strip()
        for member in cls:
            if text in (member.value, member.label):
                return member
        raise ValueError(text)

    @classmethod
    def choices(cls) -> dict[str, str]:
        return {m.value: m.label for m in cls}


class JurisdictionKind(LabelledEnum):
    COUNTY = "county"
    TOWNSHIP = "township"  # 乡镇（街道）
    MEMBER_UNIT = "member_unit"  # 安委会成员单位


class Sector(LabelledEnum):
    HAZCHEM = "hazchem"
    FIREWORKS = "fireworks"
    NONCOAL_MINE = "noncoal_mine"
    METALLURGY = "metallurgy"
    COAL_MINE = "coal_mine"
    INDUSTRY_TRADE = "industry_trade"
    OTHER = "other"


class RiskClass(LabelledEnum):
    HIGH_RISK = "high_risk"
    INDUSTRY_TRADE = "industry_trade"
    OTHER = "other"


HIGH_RISK_SECTORS = frozenset(
    {Sector.HAZCHEM, Sector.FIREWORKS, Sector.NONCOAL_MINE, Sector.METALLURGY, Sector.COAL_MINE}
)


def risk_class_of(sector: str) -> RiskClass:
    """高危行业 for the five high-risk sectors, 工贸行业 for 工贸, 其他 otherwise."""
    if sector in HIGH_RISK_SECTORS:
        return RiskClass.HIGH_RISK
    if sector == Sector.INDUSTRY_TRADE:
        return RiskClass.INDUSTRY_TRADE
    return RiskClass.OTHER


class PersonRole(LabelledEnum):
    SPECIAL_WORKER = "special_worker"
    PRINCIPAL = "principal"
    SAFETY_MANAGER = "safety_manager"


class TargetKind(LabelledEnum):
    ENTERPRISE = "enterprise"
    INSTITUTION = "institution"


class ItemResult(LabelledEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "na"


class FindingStatus(LabelledEnum):
    OPEN = "open"  # 整改中
    RECTIFIED = "rectified"  # 已整改（待复查）
    CLOSED = "closed"  # 复查通过，已销号


class RevisitResult(LabelledEnum):
    PASSED = "passed"
    FAILED = "failed"


class ActionKind(LabelledEnum):
    ORDER_RECTIFY = "order_rectify"
    CASE = "case"
    FINE = "fine"
    EXPOSURE = "exposure"
    BLACKLIST = "blacklist"


class MonthlyStatus(LabelledEnum):
    UNREPORTED = "unreported"
    SUBMITTED = "submitted"
    LATE = "late"
    ZERO = "zero"


class TipStatus(LabelledEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    CHECKING = "checking"
    ANSWERED = "answered"
    CLOSED = "closed"


class Role(LabelledEnum):
    LEADER = "leader"
    COUNTY_STAFF = "county_staff"
    LOCAL_STAFF = "local_staff"
    ADMIN = "admin"


class AuditAction(LabelledEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    IMPORT = "import"
    EXPORT = "export"
    REVEAL = "reveal"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"


LABELS: dict[str, dict[str, str]] = {
    "JurisdictionKind": {"county": "县级", "township": "乡镇（街道）", "member_unit": "安委会成员单位"},
    "Sector": {
        "hazchem": "危险化学品",
        "fireworks": "烟花爆竹",
        "noncoal_mine": "非煤矿山",
        "metallurgy": "金属冶炼",
        "coal_mine": "煤矿",
        "industry_trade": "工贸",
        "other": "其他",
    },
    "RiskClass": {"high_risk": "高危行业", "industry_trade": "工贸行业", "other": "其他行业"},
    "PersonRole": {
        "special_worker": "特种作业人员",
        "principal": "主要负责人",
        "safety_manager": "安全生产管理人员",
    },
    "TargetKind": {"enterprise": "生产经营单位", "institution": "安全培训机构"},
    "ItemResult": {"pass": "合格", "fail": "不合格", "na": "不适用"},
    "FindingStatus": {"open": "整改中", "rectified": "已整改待复查", "closed": "已销号"},
    "RevisitResult": {"passed": "复查合格", "failed": "复查不合格"},
    "ActionKind": {
        "order_rectify": "责令整改",
        "case": "立案",
        "fine": "罚款",
        "exposure": "曝光",
        "blacklist": "纳入黑名单",
    },
    "MonthlyStatus": {"unreported": "未报", "submitted": "已报", "late": "逾期", "zero": "零报告"},
    "TipStatus": {
        "received": "已接收",
        "assigned": "已交办",
        "checking": "核查中",
        "answered": "已答复",
        "closed": "已办结",
    },
    "Role": {
        "leader": "领导",
        "county_staff": "县局工作人员",
        "local_staff": "乡镇/部门工作人员",
        "admin": "管理员",
    },
    "AuditAction": {
        "create": "新增",
        "update": "修改",
        "delete": "删除",
        "import": "导入",
        "export": "导出",
        "reveal": "查看完整身份证号",
        "login": "登录",
        "login_failed": "登录失败",
        "logout": "退出",
    },
}
