"""Searching and exporting the audit trail: admins only, filters, LIKE escaping, safe xlsx cells."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from db.audit import trail
from db.audit.search import AuditFilter, count_audit, export_audit_xlsx, search_audit
from db.codes import AuditAction, Role
from db.rules.access import AccessDenied, Principal
from tests.kits.accountkit import NOW, World


@pytest.fixture
def logged(world: World, session: Session, admin: Principal) -> Principal:
    """Five entries at known times by two users."""
    clerk = world.principal("clerk", Role.COUNTY_STAFF)
    rows = [
        (clerk, AuditAction.CREATE, "enterprise", 7, {"name": "甲化工"}, "新增企业 100%纯净"),
        (clerk, AuditAction.UPDATE, "enterprise", 7, {"name": '=HYPERLINK("http://x")'}, "改名"),
        (clerk, AuditAction.EXPORT, "monthly", "", None, "导出月报"),
        (admin, AuditAction.CREATE, "user", 3, {"username": "a_b"}, "新增账号 a_b"),
        (admin, AuditAction.REVEAL, "person", 9, None, "查看完整身份证号 500230********1234"),
    ]
    for n, (who, action, entity, entity_id, after, detail) in enumerate(rows):
        trail.record(
            session,
            principal=who,
            action=action,
            entity=entity,
            entity_id=entity_id,
            after=after,
            before={"name": "旧名"} if action is AuditAction.UPDATE else None,
            detail=detail,
            at=NOW + dt.timedelta(hours=n),
        )
    session.commit()
    return clerk


def _details(entries: list) -> list[str]:  # type: ignore[type-arg]
    return [e.detail for e in entries]


def test_newest_first_and_all_by_default(session: Session, admin: Principal, logged: Principal) -> None:
    entries = search_audit(session, principal=admin)
    assert len(entries) == 5 and entries[0].action is AuditAction.REVEAL
    assert count_audit(session, principal=admin) == 5


FILTER_CASES: list[tuple[AuditFilter, list[str]]] = [
    (AuditFilter(username="CLERK"), ["导出月报", "改名", "新增企业 100%纯净"]),
    (
        AuditFilter(actions=(AuditAction.REVEAL, AuditAction.EXPORT)),
        ["查看完整身份证号 500230********1234", "导出月报"],
    ),
    (AuditFilter(entity="enterprise", entity_id="7"), ["改名", "新增企业 100%纯净"]),
    (
        AuditFilter(since=NOW + dt.timedelta(hours=1), until=NOW + dt.timedelta(hours=3)),
        ["导出月报", "改名"],
    ),
    (AuditFilter(text="甲化工"), ["新增企业 100%纯净"]),  # inside the after JSON
    (AuditFilter(text="旧名"), ["改名"]),  # inside the before JSON
    (AuditFilter(text="100%"), ["新增企业 100%纯净"]),  # % is literal, not a wildcard
    (AuditFilter(text="a_b"), ["新增账号 a_b"]),  # _ is literal too
    (AuditFilter(text="%"), ["新增企业 100%纯净"]),
    (AuditFilter(text="' OR 1=1 --"), []),
    (AuditFilter(text="HYPERLINK"), ["改名"]),
]


def test_filters(session: Session, admin: Principal, logged: Principal) -> None:
    for where, expected in FILTER_CASES:
        assert _details(search_audit(session, principal=admin, where=where)) == expected, where
        assert count_audit(session, principal=admin, where=where) == len(expected), where


def test_changes_between_before_and_after(session: Session, admin: Principal, logged: Principal) -> None:
    (entry,) = search_audit(session, principal=admin, where=AuditFilter(actions=(AuditAction.UPDATE,)))
    assert entry.changes == {"name": ("旧名", '=HYPERLINK("http://x")')}
    assert entry.action_label == "修改"


def test_paging(session: Session, admin: Principal, logged: Principal) -> None:
    page1 = search_audit(session, principal=admin, limit=2)
    page2 = search_audit(session, principal=admin, limit=2, offset=2)
    assert len(page1) == len(page2) == 2 and not {e.id for e in page1} & {e.id for e in page2}


def test_naive_times_are_refused(session: Session, admin: Principal) -> None:
    with pytest.raises(ValueError):
        search_audit(session, principal=admin, where=AuditFilter(since=dt.datetime(2024, 1, 1)))


@pytest.mark.parametrize("role", [Role.LEADER, Role.COUNTY_STAFF, Role.LOCAL_STAFF])
def test_only_admins_search_or_export(world: World, session: Session, role: Role) -> None:
    someone = world.principal("someone", role, jurisdiction="甲镇" if role is Role.LOCAL_STAFF else None)
    for call in (search_audit, count_audit, export_audit_xlsx):
        with pytest.raises(AccessDenied):
            call(session, principal=someone)


def test_export_xlsx_local_times_safe_cells_and_is_audited(
    session: Session, admin: Principal, logged: Principal
) -> None:
    data = export_audit_xlsx(
        session, principal=admin, timezone="Asia/Shanghai", now=NOW + dt.timedelta(days=1)
    )
    session.commit()
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("编号", "时间", "用户", "操作", "对象", "对象编号", "修改前", "修改后", "说明")
    assert len(rows) == 6
    assert rows[-1][1] == "2024-03-01 17:00:00"  # 09:00 UTC is 17:00 in Beijing
    assert rows[-1][3] == "新增"
    for row in rows:
        for cell in row:
            assert not (isinstance(cell, str) and cell.startswith(("=", "+", "-", "@"))), cell
    (export,) = search_audit(
        session, principal=admin, where=AuditFilter(actions=(AuditAction.EXPORT,), entity="auditlog")
    )
    assert export.detail == "导出操作日志 5 条" and export.username == "admin1"


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"),
        ("+86 123", "'+86 123"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("普通", "普通"),
        (5, 5),
    ],
)
def test_safe_cell(value: object, expected: object) -> None:
    from db.audit.search import safe_cell

    assert safe_cell(value) == expected


def test_objects_numbers_and_changes_read_as_chinese(
    session: Session, admin: Principal, logged: Principal
) -> None:
    """The audit log shows 账号, not `user`; a verifier job's reference, not "verifier:1:2026…"; and
    its changes and export as "字段：值" text, not JSON (issue 15 item 4)."""
    trail.record(
        session,
        principal=admin,
        action=AuditAction.CREATE,
        entity="certificatecheck",
        entity_id="verifier:12:20261205191603",
        after={"saved": 3, "as_of": "2026-12-05"},
        detail="保存核验结果",
        at=NOW + dt.timedelta(hours=6),
    )
    session.commit()
    entries = search_audit(session, principal=admin)
    assert [e.entity_label for e in entries][:3] == ["证书核查", "人员", "账号"]
    assert entries[0].entity_id_label == "核验任务 12"
    (update,) = search_audit(session, principal=admin, where=AuditFilter(actions=(AuditAction.UPDATE,)))
    assert update.changes_text == '姓名：旧名 → =HYPERLINK("http://x")'
    sheet = load_workbook(io.BytesIO(export_audit_xlsx(session, principal=admin, now=NOW))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    newest = rows[1]
    assert newest[4:8] == ("证书核查", "核验任务 12", None, "核验基准日：2026-12-05\n保存条数：3")
    assert not any(isinstance(c, str) and "{" in c for row in rows for c in row)  # no JSON
