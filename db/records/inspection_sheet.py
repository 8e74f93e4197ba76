"""The inspection spreadsheet's layout: its columns, the choices a cell may hold, and the bulk-import
template (`inspections_template`) with its sheet explaining the check items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from sqlmodel import Session

from db.codes import ItemResult, TargetKind
from db.records.common import (
    check_items,
)
from db.rules.campaign_defaults import CHECK_ITEMS
from db.xlsx.styles import print_setup, workbook_bytes, write_table
from db.xlsx.tables import column_ref

SHEET = "检查记录"
MAX_ITEMS = 5
RESULT_CHOICES: dict[str, str] = {
    **{m.label: m.value for m in ItemResult},
    **{m.value: m.value for m in ItemResult},
    "√": ItemResult.PASS.value,
    "×": ItemResult.FAIL.value,
    "/": ItemResult.NOT_APPLICABLE.value,
}
KIND_CHOICES: dict[str, str] = {
    **{m.label: m.value for m in TargetKind},
    "企业": TargetKind.ENTERPRISE.value,
    "培训机构": TargetKind.INSTITUTION.value,
}


@dataclass(frozen=True)
class ImportColumn:
    key: str
    header: str
    required: bool = False
    width: float = 12


COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn("inspected_on", "检查日期", True, 12),
    ImportColumn("jurisdiction", "检查单位", True, 12),
    ImportColumn("target_kind", "对象类型", True, 13),
    ImportColumn("target", "对象名称", True, 28),
    ImportColumn("uscc", "统一社会信用代码", False, 21),
    ImportColumn("joint", "联合检查", False, 8),
    ImportColumn("joint_units", "联合单位", False, 16),
    ImportColumn("inspectors", "检查人员", False, 14),
    *(ImportColumn(f"item{n}", f"检查项{n}", n <= 4, 8) for n in range(1, MAX_ITEMS + 1)),
    ImportColumn("description", "问题描述", False, 30),
    ImportColumn("measure", "整改措施", False, 24),
    ImportColumn("deadline", "整改期限", False, 12),
    ImportColumn("responsible", "责任人", False, 10),
    ImportColumn("order", "责令整改", False, 8),
    ImportColumn("case_ref", "立案案号", False, 16),
    ImportColumn("fine", "罚款金额（元）", False, 12),
    ImportColumn("exposure", "曝光", False, 6),
    ImportColumn("blacklist", "纳入黑名单", False, 8),
    ImportColumn("action_date", "处理日期", False, 12),
    ImportColumn("notes", "备注", False, 20),
)


def inspections_template(session: Session | None = None) -> bytes:
    """The bulk-import template: one row per inspection, and a sheet explaining the check items."""
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = SHEET
    header_row = write_table(
        ws,
        header=[c.header for c in COLUMNS],
        rows=[],
        widths=[c.width for c in COLUMNS],
        title="安全生产培训“走过场”执法检查记录（批量导入）",
    )
    last = header_row + 1000
    letters = {c.key: column_ref(i) for i, c in enumerate(COLUMNS, start=1)}

    def listed(key: str, options: str) -> None:
        validation = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
        validation.add(f"{letters[key]}{header_row + 1}:{letters[key]}{last}")
        ws.add_data_validation(validation)

    listed("target_kind", "生产经营单位,安全培训机构")
    for key in ("joint", "order", "exposure", "blacklist"):
        listed(key, "是,否")
    for n in range(1, MAX_ITEMS + 1):
        listed(f"item{n}", "合格,不合格,不适用")
    print_setup(ws, title_rows=f"{header_row}:{header_row}")
    guide = workbook.create_sheet("填写说明")
    lines: list[list[Any]] = [
        ["列", "说明"],
        ["检查日期", "如 2023-05-06、2023/5/6 或 2023年5月6日"],
        ["检查单位", "乡镇（街道）或成员单位全称，例如 三合街道"],
        ["对象类型", "生产经营单位 或 安全培训机构"],
        ["对象名称 / 统一社会信用代码", "与系统中登记的一致；同名单位请填写统一社会信用代码"],
        ["联合检查 / 联合单位", "多个单位联合检查的填“是”，并写明参加单位；同一企业同一月只计一次"],
        ["检查项1–5", "合格 / 不合格 / 不适用；安全培训机构只有 4 项，检查项5留空"],
        ["问题描述 … 责任人", "有“不合格”项时填写；每个不合格项生成一条问题清单"],
        ["责令整改 / 立案案号 / 罚款金额（元） / 曝光 / 纳入黑名单", "采取了哪些措施；责令整改须填整改期限"],
        ["处理日期", "措施的日期，不填则为检查日期"],
    ]
    items: dict[str, dict[int, str]] = {}
    if session is not None:
        for kind in TargetKind:
            items[kind.label] = {n: i.text for n, i in check_items(session, target_kind=kind).items()}
    else:
        for default in CHECK_ITEMS:
            items.setdefault(default.target_kind.label, {})[default.number] = default.text
    for label, numbered in items.items():
        for number, text in numbered.items():
            lines.append([f"{label} 检查项{number}", text])
    write_table(guide, header=lines[0], rows=lines[1:], widths=[34, 90], title="填写说明与检查项")
    return workbook_bytes(workbook)


__all__ = ["inspections_template"]
