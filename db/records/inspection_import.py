"""Importing inspections in bulk from a spreadsheet (`import_inspections`): every row is checked
against the layout of `db.records.inspection_sheet` and stored with `record_inspection`, or the whole
file is refused with row-numbered Chinese reasons. The same file imported again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from db.codes import ActionKind, AuditAction, ItemResult, TargetKind
from db.models import (
    Enterprise,
    Inspection,
    Jurisdiction,
    TrainingInstitution,
)
from db.records.common import (
    audit,
    check_items,
    local_today,
    sha256_hex,
)
from db.records.findings import FindingInput
from db.records.inspection_sheet import COLUMNS, KIND_CHOICES, MAX_ITEMS, RESULT_CHOICES, SHEET
from db.records.inspections import ActionInput, InspectionInput, check_inspection, record_inspection
from db.rules.access import AccessDenied, Principal, require_write
from db.xlsx.tables import (
    ImportProblem,
    ImportRefused,
    column_ref,
    find_header_row,
    header_columns,
    merged_problems,
    normalise_header,
    parse_choice,
    parse_date,
    parse_money,
    parse_text,
    parse_yes_no,
    read_tables,
)


@dataclass(frozen=True)
class InspectionImportReport:
    filename: str
    sha256: str
    inspections: int = 0
    findings: int = 0
    actions: int = 0
    duplicate_file: bool = False

    @property
    def summary(self) -> str:
        if self.duplicate_file:
            return f"文件“{self.filename}”此前已导入，未重复计入"
        return f"文件“{self.filename}”已导入：检查 {self.inspections} 次，问题 {self.findings} 条，处理措施 {self.actions} 项"


class _Lookup:
    """Names → ids, loaded once per import."""

    def __init__(self, session: Session) -> None:
        self.jurisdictions = {j.name: j.id for j in session.exec(select(Jurisdiction)).all()}
        self.enterprises: dict[str, list[int]] = defaultdict(list)
        self.institutions: dict[str, list[int]] = defaultdict(list)
        self.by_uscc: dict[tuple[str, str], int] = {}
        for eid, name, uscc in session.exec(select(Enterprise.id, Enterprise.name, Enterprise.uscc)).all():
            self.enterprises[name.strip()].append(int(eid or 0))
            if uscc:
                self.by_uscc[(TargetKind.ENTERPRISE.value, uscc.upper())] = int(eid or 0)
        for iid, name, uscc in session.exec(
            select(TrainingInstitution.id, TrainingInstitution.name, TrainingInstitution.uscc)
        ).all():
            self.institutions[name.strip()].append(int(iid or 0))
            if uscc:
                self.by_uscc[(TargetKind.INSTITUTION.value, uscc.upper())] = int(iid or 0)


def _parse_rows(
    session: Session, data: bytes, *, filename: str, max_mb: int | None, today: dt.date
) -> tuple[list[tuple[int, InspectionInput]], list[ImportProblem]]:
    tables = read_tables(data, filename=filename, max_mb=max_mb)
    required = [c.header for c in COLUMNS if c.required]
    found = next(
        (
            (t, r)
            for t in sorted(tables, key=lambda t: t.name != SHEET)
            if (r := find_header_row(t, required)) is not None
        ),
        None,
    )
    if found is None:
        names = "、".join(f"“{t.name}”" for t in tables)
        raise ImportRefused(
            [
                ImportProblem(
                    SHEET,
                    0,
                    "",
                    names,
                    "系统下载的检查记录模板",
                    f"找不到检查记录表：文件中的工作表为 {names}，没有一张含有“检查日期”“检查单位”“对象名称”等表头",
                )
            ]
        )
    table, header_row = found
    present = header_columns(table, header_row)
    positions = {
        c.key: present[normalise_header(c.header)] for c in COLUMNS if normalise_header(c.header) in present
    }
    headers = {c.key: c.header for c in COLUMNS}
    lookup = _Lookup(session)
    problems: list[ImportProblem] = []
    rows: list[tuple[int, InspectionInput]] = []
    last_data = header_row
    for r in range(header_row + 1, len(table.rows) + 1):
        if not table.row_is_blank(r):
            last_data = r
    problems += merged_problems(table, from_row=header_row)
    for r in range(header_row + 1, last_data + 1):
        if table.row_is_blank(r):
            continue
        row_problems: list[ImportProblem] = []

        def where(key: str, r: int = r) -> tuple[str, int, str]:
            return (
                table.name,
                r,
                column_ref(positions[key], headers[key]) if key in positions else headers[key],
            )

        def cell(key: str, r: int = r) -> Any:
            return table.cell(r, positions[key]) if key in positions else None

        def take(value: Any, problems: list[ImportProblem] = row_problems) -> Any:
            if isinstance(value, ImportProblem):
                problems.append(value)
                return None
            return value

        inspected_on = take(parse_date(cell("inspected_on"), where=where("inspected_on"), required=True))
        if inspected_on is not None and inspected_on > today:
            row_problems.append(
                ImportProblem(
                    *where("inspected_on"), inspected_on.isoformat(), "不晚于今天", "检查日期还没到"
                )
            )
        j_name = parse_text(cell("jurisdiction"))
        jid = lookup.jurisdictions.get(j_name)
        if jid is None:
            row_problems.append(
                ImportProblem(
                    *where("jurisdiction"),
                    j_name,
                    "系统中的乡镇（街道）或成员单位全称",
                    "找不到检查单位" if j_name else "检查单位不能为空",
                )
            )
        kind = take(
            parse_choice(
                cell("target_kind"),
                choices=KIND_CHOICES,
                where=where("target_kind"),
                expected="生产经营单位 或 安全培训机构",
            )
        )
        enterprise_id = institution_id = None
        if kind is not None:
            name, uscc = parse_text(cell("target")), parse_text(cell("uscc")).upper()
            pool = lookup.enterprises if kind == TargetKind.ENTERPRISE.value else lookup.institutions
            target_id: int | None = lookup.by_uscc.get((kind, uscc)) if uscc else None
            if uscc and target_id is None:
                row_problems.append(
                    ImportProblem(
                        *where("uscc"), uscc, "系统中登记的统一社会信用代码", "找不到这个统一社会信用代码"
                    )
                )
            elif target_id is None:
                matches = pool.get(name, [])
                if len(matches) == 1:
                    target_id = matches[0]
                else:
                    row_problems.append(
                        ImportProblem(
                            *where("target"),
                            name,
                            f"系统中登记的{TargetKind(kind).label}名称",
                            "有多家同名单位，请填写统一社会信用代码"
                            if matches
                            else ("对象名称不能为空" if not name else f"找不到这家{TargetKind(kind).label}"),
                        )
                    )
            if kind == TargetKind.ENTERPRISE.value:
                enterprise_id = target_id
            else:
                institution_id = target_id
        joint = bool(take(parse_yes_no(cell("joint"), where=where("joint"))))
        results: dict[int, str] = {}
        n_items = 4 if kind == TargetKind.INSTITUTION.value else MAX_ITEMS
        for n in range(1, MAX_ITEMS + 1):
            value = take(
                parse_choice(
                    cell(f"item{n}"),
                    choices=RESULT_CHOICES,
                    where=where(f"item{n}"),
                    required=n <= n_items,
                    expected="合格、不合格、不适用",
                )
            )
            if n > n_items and value not in (None, ItemResult.NOT_APPLICABLE.value):
                row_problems.append(
                    ImportProblem(
                        *where(f"item{n}"),
                        parse_text(cell(f"item{n}")),
                        "留空",
                        "安全培训机构只有 4 项检查内容",
                    )
                )
            elif value is not None and n <= n_items:
                results[n] = value
        deadline = take(parse_date(cell("deadline"), where=where("deadline")))
        action_date = take(parse_date(cell("action_date"), where=where("action_date"))) or inspected_on
        fine = take(parse_money(cell("fine"), where=where("fine"), places=2))
        failed = [n for n, v in results.items() if v == ItemResult.FAIL.value]
        description = parse_text(cell("description"), max_len=2000)
        if description and not failed:
            row_problems.append(
                ImportProblem(
                    *where("description"),
                    description[:20],
                    "有“不合格”检查项时才填写",
                    "填写了问题描述，但没有不合格的检查项",
                )
            )
        actions: list[ActionInput] = []
        if action_date is not None:
            if take(parse_yes_no(cell("order"), where=where("order"))):
                if deadline is None:
                    row_problems.append(
                        ImportProblem(*where("deadline"), "", "日期", "责令整改须填写整改期限")
                    )
                actions.append(ActionInput(ActionKind.ORDER_RECTIFY, action_date, deadline=deadline))
            case_ref = parse_text(cell("case_ref"), max_len=100)
            if case_ref:
                actions.append(ActionInput(ActionKind.CASE, action_date, case_ref=case_ref))
            if fine:
                actions.append(ActionInput(ActionKind.FINE, action_date, fine_amount=fine, case_ref=case_ref))
            for key, action_kind in (("exposure", ActionKind.EXPOSURE), ("blacklist", ActionKind.BLACKLIST)):
                if take(parse_yes_no(cell(key), where=where(key))):
                    actions.append(ActionInput(action_kind, action_date, case_ref=case_ref))
        if (
            inspected_on is None
            or jid is None
            or kind is None
            or (enterprise_id is None and institution_id is None)
        ):
            problems += row_problems
            continue
        items = {i: _item_short(session, kind, i) for i in failed}
        findings = [
            FindingInput(
                description=(f"【{items[n]}】{description}" if len(failed) > 1 else description)
                if description
                else _item_text(session, kind, n),
                check_item_number=n,
                measure=parse_text(cell("measure"), max_len=2000),
                deadline=deadline,
                responsible_person=parse_text(cell("responsible"), max_len=50),
            )
            for n in failed
        ]
        candidate = InspectionInput(
            inspected_on=inspected_on,
            jurisdiction_id=int(jid),
            target_kind=kind,
            enterprise_id=enterprise_id,
            institution_id=institution_id,
            results=results,
            findings=findings,
            actions=actions,
            joint=joint,
            joint_units=parse_text(cell("joint_units")),
            inspectors=parse_text(cell("inspectors")),
            notes=parse_text(cell("notes"), max_len=2000),
        )
        checks = check_inspection(session, candidate, today=today)
        if row_problems:
            # the row's other problems too, in the same report — not again what its cells already said
            problems += row_problems
            checks = [m for m in checks if not _said_by_cells(m, row_problems)]
        problems += [ImportProblem(table.name, r, "", "", "", message) for message in checks]
        if not row_problems:
            rows.append((r, candidate))
    seen: dict[tuple[Any, ...], int] = {}
    for r, item in rows:
        same = (item.jurisdiction_id, item.inspected_on, item.enterprise_id, item.institution_id)
        if same in seen:
            problems.append(
                ImportProblem(
                    table.name,
                    r,
                    "",
                    "",
                    "每次检查一行",
                    f"与第 {seen[same]} 行重复（同一单位、同一天、同一对象）",
                )
            )
        seen.setdefault(same, r)
    if not rows and not problems:
        problems.append(
            ImportProblem(table.name, header_row + 1, "", "", "至少一行检查记录", "表头下面没有数据行")
        )
    return rows, problems


def _said_by_cells(message: str, cell_problems: Sequence[ImportProblem]) -> bool:
    """A whole-row check repeating a problem already reported on one of the row's cells."""
    columns = " ".join(p.column for p in cell_problems)
    texts = " ".join(p.message for p in cell_problems)
    return (
        ("未填写检查结果" in message and "检查项" in columns)
        or ("晚于今天" in message and "检查日期还没到" in texts)
        or ("责令整改须填写" in message and ("责令整改须填写" in texts or "整改期限" in columns))
        or ("罚款" in message and "罚款" in columns)
    )


def _item_short(session: Session, kind: str, number: int) -> str:
    item = check_items(session, target_kind=kind).get(number)
    return item.short if item else f"第{number}项"


def _item_text(session: Session, kind: str, number: int) -> str:
    item = check_items(session, target_kind=kind).get(number)
    return item.text if item else f"第{number}项不合格"


def import_inspections(
    session: Session,
    *,
    principal: Principal,
    data: bytes,
    filename: str,
    max_mb: int | None = None,
    today: dt.date | None = None,
) -> InspectionImportReport:
    """Store every inspection of a spreadsheet, or none (ImportRefused with row-numbered reasons).

    The same file imported again changes nothing (`duplicate_file`).
    """
    if not principal.can_write:
        require_write(principal, principal.jurisdiction_id)
    sha = sha256_hex(data)
    marker = sha[:16]
    if (
        data
        and session.exec(
            select(Inspection.id).where(col(Inspection.source_ref).startswith(f"{marker}:"))
        ).first()
    ):
        return InspectionImportReport(filename, sha, duplicate_file=True)
    rows, problems = _parse_rows(
        session, data, filename=filename, max_mb=max_mb, today=today or local_today()
    )
    if problems:
        raise ImportRefused(problems)
    for r, item in rows:
        try:
            require_write(principal, item.jurisdiction_id)
        except AccessDenied as exc:
            raise AccessDenied(f"第 {r} 行：{exc}") from exc
    findings = actions = 0
    for r, item in rows:
        record_inspection(session, principal=principal, data=item, source_ref=f"{marker}:{r}", today=today)
        failed = sum(1 for v in item.results.values() if str(v) == ItemResult.FAIL.value)
        findings += max(failed, len(item.findings))
        actions += len(item.actions)
    audit(
        session,
        principal=principal,
        action=AuditAction.IMPORT,
        entity="inspection",
        detail=f"批量导入检查记录：文件“{filename}”，{len(rows)} 次检查，sha256={sha}",
    )
    return InspectionImportReport(filename, sha, len(rows), findings, actions)


__all__ = ["InspectionImportReport", "import_inspections"]
