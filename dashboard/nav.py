"""Which pages each role is offered in the navigation (the services enforce the same rules again).

- 领导 leader: the 看板 pages, read only.
- 县局 county_staff: everything but account administration.
- 乡镇/部门 local_staff: their own jurisdiction — the township page (fixed to it), the quarterly
  assessment (the county-wide ranking is public inside the government; the breakdown only for
  their own unit), data entry, verification and their own exports. No county overview.
- 培训档案核查: county staff, local staff (their units) and leaders (read only).
- 管理员 admin: 账号管理 and 审计日志, plus the 看板 pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.codes import Role


@dataclass(frozen=True)
class PageSpec:
    file: str  # in dashboard/app_pages
    title: str
    icon: str

    @property
    def url_path(self) -> str:
        return self.file.removesuffix(".py")


OVERVIEW = PageSpec("overview.py", "总览", "📊")
TOWNSHIP = PageSpec("township.py", "乡镇（街道）详情", "🏘️")
UNIT_DETAIL = PageSpec("township.py", "单位详情", "🏢")  # the same page, as a member unit's staff see it
ASSESSMENT = PageSpec("assessment.py", "季度考核", "🏆")
DATA_ENTRY = (
    PageSpec("data_monthly.py", "月度汇总表", "🗓️"),
    PageSpec("data_inspections.py", "检查记录", "🔍"),
    PageSpec("data_findings.py", "问题清单", "📋"),
    PageSpec("data_other.py", "自查、举报、曝光与总结", "📣"),
)
VERIFICATION = (PageSpec("verify.py", "核验名单", "🪪"), PageSpec("captcha.py", "验证码队列", "🔢"))
EXPORTS = (PageSpec("exports.py", "导出", "📤"),)
TRAINING_AUDIT = (PageSpec("training_audit.py", "培训档案核查", "🗂️"),)
ADMIN = (PageSpec("admin_users.py", "账号管理", "👥"), PageSpec("admin_audit.py", "审计日志", "🧾"))
LOGIN = PageSpec("login.py", "登录", "🔐")

DASHBOARD = (OVERVIEW, TOWNSHIP, ASSESSMENT)


def pages_for(role: Role, *, member_unit: bool = False) -> dict[str, tuple[PageSpec, ...]]:
    """Section heading → pages offered to this role, in navigation order (the first is the default).
    A member unit's staff (`member_unit`) see their page as 单位详情, a township's as 乡镇（街道）详情."""
    if role is Role.LEADER:
        return {"看板": DASHBOARD, "培训档案": TRAINING_AUDIT}
    if role is Role.ADMIN:
        return {"看板": DASHBOARD, "系统管理": ADMIN}
    sections = {"数据填报": DATA_ENTRY, "证书核验": VERIFICATION, "培训档案": TRAINING_AUDIT, "导出": EXPORTS}
    if role is Role.LOCAL_STAFF:
        return {"本单位": (UNIT_DETAIL if member_unit else TOWNSHIP, ASSESSMENT), **sections}
    return {"看板": DASHBOARD, **sections}


def allowed_files(role: Role) -> frozenset[str]:
    """The page files this role may open."""
    return frozenset(p.file for pages in pages_for(role).values() for p in pages)


def all_url_paths() -> frozenset[str]:
    """The address of every page any role may be offered."""
    return frozenset(p.url_path for role in Role for pages in pages_for(role).values() for p in pages)
