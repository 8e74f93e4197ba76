"""12350 tips (举报线索): record, assign to a jurisdiction, track the check and the answer.

A tip is *flagged* when nothing has been done (no check result, not answered or closed) for longer
than the campaign's `tip_action_days` since it was received. Township staff see and handle the tips
assigned to them; recording and assigning is the county's. All services flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from db.codes import AuditAction, TipStatus
from db.models import Jurisdiction, Tip
from db.records.common import InputError, active_campaign, audit, jurisdiction_by_id, local_today
from db.records.row_versions import check_version, flush_checked
from db.rules.access import Principal, require_write, scope_filter

ACTED = frozenset({TipStatus.CHECKING.value, TipStatus.ANSWERED.value, TipStatus.CLOSED.value})


def record_tip(
    session: Session,
    *,
    principal: Principal,
    received_on: dt.date,
    content: str,
    channel: str = "12350",
    reference: str = "",
    target_name: str = "",
    enterprise_id: int | None = None,
    institution_id: int | None = None,
    jurisdiction_id: int | None = None,
) -> Tip:
    """A new tip; given a jurisdiction it is assigned at once."""
    require_write(principal, jurisdiction_id)
    if not content.strip():
        raise InputError("举报内容不能为空")
    if received_on > local_today():
        raise InputError(f"受理日期 {received_on} 晚于今天")
    if jurisdiction_id is not None:
        jurisdiction_by_id(session, jurisdiction_id)
    tip = Tip(
        received_on=received_on,
        channel=channel.strip()[:20] or "12350",
        reference=reference.strip()[:50],
        content=content.strip(),
        target_name=target_name.strip(),
        enterprise_id=enterprise_id,
        institution_id=institution_id,
        jurisdiction_id=jurisdiction_id,
        assigned_on=received_on if jurisdiction_id is not None else None,
        status=(TipStatus.ASSIGNED if jurisdiction_id is not None else TipStatus.RECEIVED).value,
    )
    session.add(tip)
    session.flush()
    audit(session, principal=principal, action=AuditAction.CREATE, entity="tip", entity_id=tip.id, after=tip)
    return tip


def _load(session: Session, tip_id: int) -> Tip:
    tip = session.get(Tip, tip_id)
    if tip is None:
        raise InputError(f"找不到编号为 {tip_id} 的举报线索")
    return tip


def _save(session: Session, principal: Principal, tip: Tip, before: Tip, detail: str) -> Tip:
    session.add(tip)
    flush_checked(session, what=f"举报线索 {tip.id}")
    audit(
        session,
        principal=principal,
        action=AuditAction.UPDATE,
        entity="tip",
        entity_id=tip.id,
        before=before,
        after=tip,
        detail=detail,
    )
    return tip


def assign_tip(
    session: Session,
    *,
    principal: Principal,
    tip_id: int,
    jurisdiction_id: int,
    assigned_on: dt.date | None = None,
    expected_version: int | None = None,
) -> Tip:
    """交办: hand the tip to a jurisdiction (county staff). `expected_version`: the version the form
    was loaded with; a tip changed since is refused (StaleRecord). None skips the check."""
    require_write(principal, None)
    tip = _load(session, tip_id)
    check_version(what=f"举报线索 {tip_id}", stored=tip, expected=expected_version)
    target = jurisdiction_by_id(session, jurisdiction_id)
    if tip.status in (TipStatus.ANSWERED.value, TipStatus.CLOSED.value):
        raise InputError("该线索已答复或办结，不能再交办")
    before = tip.model_copy()
    tip.jurisdiction_id, tip.assigned_on = jurisdiction_id, assigned_on or local_today()
    if tip.status == TipStatus.RECEIVED.value:
        tip.status = TipStatus.ASSIGNED.value
    return _save(session, principal, tip, before, f"交办给{target.name}")


def record_check(
    session: Session,
    *,
    principal: Principal,
    tip_id: int,
    check_result: str,
    substantiated: bool | None,
    expected_version: int | None = None,
) -> Tip:
    """核查: what the check found, and whether the tip was substantiated (`expected_version` as for
    `assign_tip`)."""
    tip = _load(session, tip_id)
    check_version(what=f"举报线索 {tip_id}", stored=tip, expected=expected_version)
    if tip.jurisdiction_id is None:
        raise InputError("该线索尚未交办，请先交办给乡镇（街道）或成员单位")
    require_write(principal, tip.jurisdiction_id)
    if not check_result.strip():
        raise InputError("请填写核查情况")
    if tip.status == TipStatus.CLOSED.value:
        raise InputError("该线索已办结")
    before = tip.model_copy()
    tip.check_result, tip.substantiated = check_result.strip(), substantiated
    if tip.status in (TipStatus.RECEIVED.value, TipStatus.ASSIGNED.value):
        tip.status = TipStatus.CHECKING.value
    return _save(session, principal, tip, before, "核查")


def answer_tip(
    session: Session,
    *,
    principal: Principal,
    tip_id: int,
    answered_on: dt.date | None = None,
    close: bool = False,
) -> Tip:
    """答复 the person who reported (needs a check result); `close` also marks it 办结."""
    tip = _load(session, tip_id)
    require_write(principal, tip.jurisdiction_id)
    if not tip.check_result:
        raise InputError("请先填写核查情况，再答复")
    day = answered_on or local_today()
    if day < tip.received_on:
        raise InputError(f"答复日期 {day} 早于受理日期 {tip.received_on}")
    before = tip.model_copy()
    tip.answered_on = day
    tip.status = (TipStatus.CLOSED if close else TipStatus.ANSWERED).value
    return _save(session, principal, tip, before, "办结" if close else "答复")


@dataclass(frozen=True)
class TipRow:
    id: int
    received_on: dt.date
    channel: str
    reference: str
    content: str
    target_name: str
    jurisdiction_id: int | None
    jurisdiction: str
    assigned_on: dt.date | None
    status: str
    check_result: str
    substantiated: bool | None
    answered_on: dt.date | None
    days_open: int
    flagged: bool  # no action past the campaign's tip_action_days
    version: int = 1  # the row version a form editing this tip carries

    @property
    def status_label(self) -> str:
        return TipStatus(self.status).label


def list_tips(
    session: Session,
    *,
    principal: Principal,
    status: str | None = None,
    flagged_only: bool = False,
    jurisdiction_id: int | None = None,
    as_of: dt.date | None = None,
) -> list[TipRow]:
    """Tips the principal may read (flagged first, then newest)."""
    day = as_of or local_today()
    limit_days = active_campaign(session).tip_action_days
    stmt: Any = select(Tip, Jurisdiction.name).outerjoin(
        Jurisdiction, col(Jurisdiction.id) == Tip.jurisdiction_id
    )
    if (scope := scope_filter(principal, Tip.jurisdiction_id)) is not None:
        stmt = stmt.where(scope)
    if status:
        stmt = stmt.where(Tip.status == status)
    if jurisdiction_id is not None:
        stmt = stmt.where(Tip.jurisdiction_id == jurisdiction_id)
    rows: list[TipRow] = []
    for tip, jname in session.exec(stmt.order_by(col(Tip.received_on).desc(), col(Tip.id).desc())).all():
        days = (day - tip.received_on).days
        flagged = tip.status not in ACTED and not tip.check_result and days > limit_days
        if flagged_only and not flagged:
            continue
        rows.append(
            TipRow(
                int(tip.id),
                tip.received_on,
                tip.channel,
                tip.reference,
                tip.content,
                tip.target_name,
                tip.jurisdiction_id,
                jname or "",
                tip.assigned_on,
                tip.status,
                tip.check_result,
                tip.substantiated,
                tip.answered_on,
                days,
                flagged,
                tip.version,
            )
        )
    rows.sort(key=lambda r: not r.flagged)
    return rows
