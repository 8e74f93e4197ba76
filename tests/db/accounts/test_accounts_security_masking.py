"""ID numbers quoted inside 核查结论 text are masked on every read path that is not an audited reveal."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from anpei.periods import Month
from dashboard.data import table_frame
from dashboard.ui import csv_bytes
from db.codes import Role
from db.models import CertificateCheck
from db.reads import kpi_details, one_jurisdiction
from db.rules.metrics import Problem
from tests.kits.accountkit import NOW, World


def _mismatch_check(world: World, session: Session) -> str:
    """A 证号不符 check whose explanation quotes the platform's number (for 安全合格证: the ID)."""
    number = world.id_numbers["甲镇1"]
    check = CertificateCheck(
        person_id=world.ids["甲镇1"],
        enterprise_id=world.ids["甲镇企业"],
        jurisdiction_id=world.ids["甲镇"],
        family="special",
        outcome="cert_number_mismatch",
        problem=Problem.FAKE.value,
        cert_number="T123",
        explanation=f"名单证号 T123 与平台证号 T{number} 不一致（平台记录身份证号 {number}）",
        evidence_ref="evidence/x.html",
        as_of=dt.date(2023, 5, 2),
        checked_at=NOW,
    )
    session.add(check)
    session.commit()
    return number


def test_township_problem_checks_mask_ids_in_the_explanation(world: World, session: Session) -> None:
    number = _mismatch_check(world, session)
    leader = world.principal("leader1", Role.LEADER)
    table = one_jurisdiction.problem_checks(
        session,
        principal=leader,
        jurisdiction_id=world.ids["甲镇"],
        first=dt.date(2023, 5, 1),
        last=dt.date(2023, 5, 31),
    )
    (row,) = table.rows
    text = " ".join(str(cell) for cell in row)
    assert number not in text and number[:6] in text and number[-4:] in text
    assert number not in csv_bytes(table_frame(table)).decode("utf-8-sig")


def test_overview_drill_down_masks_ids_in_the_explanation(world: World, session: Session) -> None:
    number = _mismatch_check(world, session)
    leader = world.principal("leader1", Role.LEADER)
    table = kpi_details.detail_rows(session, principal=leader, kind="suspected_fake", month=Month(2023, 5))
    assert len(table.rows) == 1
    assert number not in " ".join(str(cell) for cell in table.rows[0])
    assert number not in csv_bytes(table_frame(table)).decode("utf-8-sig")
