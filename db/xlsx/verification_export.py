"""A township's certificate verification results as a print-ready sheet, coloured by outcome; ID
numbers masked unless `full_ids` is asked for and the principal may see them (that reveal is
audited as such, every export is). Every cell is formula-safe (`db.xlsx.styles.safe_cell`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlmodel import Session, SQLModel

from anpei.cells import safe_text
from anpei.masking import mask_id, mask_ids_in
from db.codes import AuditAction
from db.records.common import audit, jurisdiction_by_id
from db.rules.access import AccessDenied, Principal, require_read
from db.xlsx.file_names import sheet_title
from db.xlsx.styles import (
    BODY_FONT,
    BORDER,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    WRAP_CENTER,
    print_setup,
    safe_cell,
    workbook_bytes,
)
from verifier.types import FAMILY_LABELS, Family, Outcome, WarningCode

_C = SQLModel.metadata.tables["certificatecheck"]
_P = SQLModel.metadata.tables["person"]
_E = SQLModel.metadata.tables["enterprise"]
_COLOURS = {"valid": "C6EFCE", "warn": "E2EFDA", "red": "FFC7CE", "orange": "FCE4D6", "grey": "E7E6E6"}
_RED = {Outcome.NOT_FOUND, Outcome.NAME_MISMATCH, Outcome.CERT_NUMBER_MISMATCH}


VERIFICATION_HEADER = (
    "序号",
    "核验日期",
    "生产经营单位",
    "姓名",
    "身份证号",
    "证书类型",
    "结论",
    "问题",
    "提示",
    "说明",
    "证号",
    "作业类别",
    "操作项目",
    "有效期结束",
    "应复审日期",
    "签发机关",
    "来源",
)
_WIDTHS = (6, 11, 26, 9, 21, 14, 12, 12, 18, 52, 22, 14, 18, 11, 11, 18, 8)
_SOURCE_LABELS = {"verifier": "批量核验", "saved_page": "保存页面", "manual": "人工录入"}


@dataclass(frozen=True)
class VerificationRow:
    as_of: dt.date
    enterprise: str
    name: str
    id_number: str
    family: str
    outcome: str
    problem: str
    warnings: str
    explanation: str
    cert_number: str
    category: str
    item: str
    valid_until: dt.date | None
    review_due: dt.date | None
    issuer: str
    source: str


def verification_rows(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    first: dt.date,
    last: dt.date,
    problems_only: bool = False,
) -> list[VerificationRow]:
    """The jurisdiction's certificate checks dated in [first, last], newest first (full ID numbers)."""
    require_read(principal, jurisdiction_id)
    conds = [_C.c.jurisdiction_id == jurisdiction_id, _C.c.as_of.between(first, last)]
    if problems_only:
        conds.append(_C.c.problem != "")
    stmt = (
        select(
            _C.c.as_of,
            _E.c.name,
            _P.c.name,
            _P.c.id_number,
            _C.c.family,
            _C.c.outcome,
            _C.c.problem,
            _C.c.warnings,
            _C.c.explanation,
            _C.c.cert_number,
            _C.c.category,
            _C.c.item,
            _C.c.valid_until,
            _C.c.review_due,
            _C.c.issuer,
            _C.c.source,
        )
        .select_from(_C.outerjoin(_P, _P.c.id == _C.c.person_id).outerjoin(_E, _E.c.id == _C.c.enterprise_id))
        .where(*conds)
        .order_by(_C.c.as_of.desc(), _E.c.name, _C.c.id)
    )
    return [
        VerificationRow(
            as_of=r[0],
            enterprise=r[1] or "",
            name=r[2] or "",
            id_number=r[3] or "",
            family=r[4],
            outcome=r[5],
            problem=r[6] or "",
            warnings=r[7] or "",
            explanation=r[8] or "",
            cert_number=r[9] or "",
            category=r[10] or "",
            item=r[11] or "",
            valid_until=r[12],
            review_due=r[13],
            issuer=r[14] or "",
            source=r[15] or "",
        )
        for r in session.execute(stmt)
    ]


def _outcome_label(code: str) -> str:
    try:
        return Outcome(code).label
    except ValueError:
        return code


def _outcome_class(code: str) -> str:
    try:
        outcome = Outcome(code)
    except ValueError:
        return "grey"
    if outcome is Outcome.VALID:
        return "valid"
    if outcome is Outcome.VALID_WITH_WARNINGS:
        return "warn"
    if outcome in _RED:
        return "red"
    return "grey" if not outcome.is_verdict else "orange"


def _warning_labels(codes: str) -> str:
    labels = []
    for code in filter(None, codes.split(";")):
        try:
            labels.append(WarningCode(code).label)
        except ValueError:
            labels.append(code)
    return "；".join(labels)


def _family_label(code: str) -> str:
    try:
        return FAMILY_LABELS[Family(code)]
    except ValueError:
        return code


def verification_xlsx(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    first: dt.date,
    last: dt.date,
    full_ids: bool = False,
    problems_only: bool = False,
) -> bytes:
    """A township's verification results as a print-ready sheet, coloured by outcome."""
    if full_ids and not principal.may_reveal_ids:
        raise AccessDenied(f"{principal.role.label}账号不能导出完整身份证号")
    jurisdiction = jurisdiction_by_id(session, jurisdiction_id)
    rows = verification_rows(
        session,
        principal=principal,
        jurisdiction_id=jurisdiction_id,
        first=first,
        last=last,
        problems_only=problems_only,
    )

    def ids(text: str) -> str:
        return text if full_ids else mask_ids_in(text)

    body = [
        [
            n,
            r.as_of,
            r.enterprise,
            r.name,
            r.id_number if full_ids else mask_id(r.id_number),
            _family_label(r.family),
            _outcome_label(r.outcome),
            r.problem,
            _warning_labels(r.warnings),
            ids(r.explanation),
            ids(r.cert_number),
            r.category,
            r.item,
            r.valid_until,
            r.review_due,
            r.issuer,
            _SOURCE_LABELS.get(r.source, r.source),
        ]
        for n, r in enumerate(rows, start=1)
    ]
    what = "问题人员" if problems_only else "证书核验结果"
    title = f"{jurisdiction.name} {what}（{first.isoformat()} 至 {last.isoformat()}，共 {len(rows)} 人次）"
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = sheet_title(what, set())
    ws.cell(row=1, column=1, value=safe_text(title)).font = TITLE_FONT
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(VERIFICATION_HEADER))
    ws.row_dimensions[1].height = 30
    for index, text in enumerate(VERIFICATION_HEADER, start=1):
        cell = ws.cell(row=2, column=index, value=text)
        cell.font, cell.fill, cell.border, cell.alignment = HEADER_FONT, HEADER_FILL, BORDER, WRAP_CENTER
        ws.column_dimensions[get_column_letter(index)].width = _WIDTHS[index - 1]
    fills = {name: PatternFill("solid", fgColor=colour) for name, colour in _COLOURS.items()}
    wrap = Alignment(wrap_text=True, vertical="top")
    for offset, (values, source) in enumerate(zip(body, rows, strict=True), start=3):
        for index, value in enumerate(values, start=1):
            cell = ws.cell(row=offset, column=index, value=safe_cell(value))
            cell.font, cell.border, cell.alignment = BODY_FONT, BORDER, wrap
            if isinstance(value, str):
                cell.data_type = "s"
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
        fill = fills[_outcome_class(source.outcome)]
        for index in (7, 8):
            ws.cell(row=offset, column=index).fill = fill
    print_setup(ws, title_rows="2:2")
    ws.freeze_panes = "A3"
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"
    audit(
        session,
        principal=principal,
        action=AuditAction.REVEAL if full_ids else AuditAction.EXPORT,
        entity="certificatecheck",
        entity_id=str(jurisdiction_id),
        detail=f"导出{what}：{jurisdiction.name} {first.isoformat()}—{last.isoformat()}，{len(rows)} 人次"
        + ("，含完整身份证号" if full_ids else "，身份证号已打码"),
    )
    return workbook_bytes(workbook)
