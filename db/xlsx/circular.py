"""The quarter's circular (通报) as a print-ready .xlsx: A4, title, fitted width, repeated header.

One sheet per group (乡镇（街道）, 安委会成员单位), ranked, with every indicator's points, and a
sheet explaining the rules and the tiny-denominator guard. `circular_workbook` assesses the quarter
and builds the file for a download (county staff only; audited, the caller commits).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session

from anpei import clock
from anpei.cells import safe_cell
from anpei.periods import Quarter
from db.codes import AuditAction
from db.reads import campaign_calendar
from db.records.common import InputError, audit
from db.rules import scoring, scoring_assessment, scoring_ranking
from db.rules.access import AccessDenied, Principal
from db.xlsx.file_names import download_name

FONT_NAME = "宋体"
TITLE_FONT = Font(name="方正小标宋简体", size=16, bold=True)
HEADER_FONT = Font(name=FONT_NAME, size=10, bold=True)
BODY_FONT = Font(name=FONT_NAME, size=10)
RED_FONT = Font(name=FONT_NAME, size=10, color="C0392B", bold=True)
THIN = Side(style="thin", color="555555")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F0")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)


def circular_title(campaign_name: str, quarter: Quarter) -> str:
    return f"关于{quarter.label}{campaign_name}督查考核情况的通报"


def _rank_change(s: scoring_ranking.JurisdictionScore) -> str:
    change = s.rank_change
    if s.previous_rank is None or change is None:
        return "—"
    return f"↑{change}" if change > 0 else f"↓{-change}" if change < 0 else "持平"


def _group_sheet(
    ws: Worksheet,
    *,
    title: str,
    subtitle: str,
    group: str,
    scores: Sequence[scoring_ranking.JurisdictionScore],
    rules: scoring.ScoringRules,
) -> None:
    headers = ["排名", group, "总分", "等次", "排名变化"]
    headers += [f"{i.heading}\n（{i.max_points:g}分）" for i in rules.indicators]
    headers.append("扣分合计")
    width = len(headers)
    last_col = get_column_letter(width)
    ws.merge_cells(f"A1:{last_col}1")
    ws["A1"] = title
    ws["A1"].font = TITLE_FONT
    ws["A1"].alignment = CENTER
    ws.row_dimensions[1].height = 42
    ws.merge_cells(f"A2:{last_col}2")
    ws["A2"] = subtitle
    ws["A2"].font = BODY_FONT
    ws["A2"].alignment = LEFT
    ws.row_dimensions[2].height = 48
    header_row = 3
    for col, text in enumerate(headers, start=1):
        cell = ws.cell(row=header_row, column=col, value=text)
        cell.font, cell.alignment, cell.border, cell.fill = HEADER_FONT, CENTER, BORDER, HEADER_FILL
    ws.row_dimensions[header_row].height = 44
    for n, s in enumerate(scores, start=header_row + 1):
        values: list[object] = [
            s.rank if s.rank is not None else "—",
            s.member.name,
            round(s.score, 1) if s.score is not None else "—",
            s.grade or ("不参与排名" if s.not_ranked else "无考核数据"),
            _rank_change(s),
        ]
        values += [round(i.points, 1) if i.points is not None else "不适用" for i in s.indicators]
        values.append(round(sum(i.deduction for i in s.indicators), 1))
        failing = s.score is not None and s.grade == _lowest_grade(rules)
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=n, column=col, value=safe_cell(value))
            cell.font = RED_FONT if failing and col in (2, 3, 4) else BODY_FONT
            cell.alignment = LEFT if col == 2 else CENTER
            cell.border = BORDER
            if isinstance(value, float):
                cell.number_format = "0.0"
        ws.row_dimensions[n].height = 20
    not_ranked = [s for s in scores if s.not_ranked]
    if not_ranked:
        note_row = header_row + len(scores) + 1
        ws.merge_cells(start_row=note_row, start_column=1, end_row=note_row, end_column=width)
        reasons: dict[str, list[str]] = {}
        for s in not_ranked:
            reasons.setdefault(s.not_ranked, []).append(s.member.name)
        note = ws.cell(
            row=note_row,
            column=1,
            value="不参与排名："
            + "；".join(f"{'、'.join(names)}（{reason}）" for reason, names in reasons.items()),
        )
        note.font, note.alignment = BODY_FONT, LEFT
        ws.row_dimensions[note_row].height = 32
    widths = [6, 18, 8, 8, 8] + [12] * len(rules.indicators) + [8]
    for col, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = w
    _print_setup(ws, header_row=header_row, landscape=width > 9)


def _lowest_grade(rules: scoring.ScoringRules) -> str:
    grades = sorted(rules.grades, key=lambda g: g.min_score)
    return grades[0].label if grades else ""


def _print_setup(ws: Worksheet, *, header_row: int, landscape: bool) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def _rules_sheet(ws: Worksheet, *, assessment: scoring_assessment.Assessment) -> None:
    rules = assessment.rules
    ws.merge_cells("A1:D1")
    ws["A1"] = "评分规则说明"
    ws["A1"].font = TITLE_FONT
    ws["A1"].alignment = CENTER
    ws.row_dimensions[1].height = 36
    headers = ["指标", "满分", "计算方法", "乡镇（街道）平均率"]
    for col, text in enumerate(headers, start=1):
        cell = ws.cell(row=2, column=col, value=text)
        cell.font, cell.alignment, cell.border, cell.fill = HEADER_FONT, CENTER, BORDER, HEADER_FILL
    rates = assessment.group_rates.get("township", {})
    row = 3
    for ind in rules.indicators:
        rate = rates.get(ind.code)
        num = "＋".join(
            f"{scoring.MEASURES[k]}×{w:g}" if w != 1 else scoring.MEASURES[k]
            for k, w in ind.numerator.items()
        )
        den = "＋".join(
            f"{scoring.MEASURES[k]}×{w:g}" if w != 1 else scoring.MEASURES[k]
            for k, w in ind.denominator.items()
        )
        values = [
            ind.label,
            ind.max_points,
            f"（{num}）÷（{den}）。{ind.explain}",
            f"{rate * 100:.1f}%" if rate is not None else "—",
        ]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.font, cell.border = BODY_FONT, BORDER
            cell.alignment = LEFT if col == 3 else CENTER
        ws.row_dimensions[row].height = 48
        row += 1
    notes = [
        rules.guard.describe(),
        f"不适用的指标（本季度无应完成事项）不计入满分，总分 = 实得分 ÷ 可得满分 × {rules.total_points:g}。",
        "等次："
        + "，".join(
            f"{g.label} ≥ {g.min_score:g} 分" for g in sorted(rules.grades, key=lambda g: -g.min_score)
        ),
        f"评分规则：{rules.name}（第 {rules.version} 版）。",
    ]
    for note in notes:
        row += 1
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        cell = ws.cell(row=row, column=1, value=note)
        cell.font, cell.alignment = BODY_FONT, LEFT
        ws.row_dimensions[row].height = 46
    for letter, w in zip("ABCD", (20, 8, 60, 14), strict=True):
        ws.column_dimensions[letter].width = w
    _print_setup(ws, header_row=2, landscape=False)


def circular_xlsx(
    assessment: scoring_assessment.Assessment,
    *,
    campaign_name: str,
    issuer: str = "",
    issued_on: dt.date | None = None,
) -> bytes:
    """The circular workbook as bytes (open it in Excel or WPS and print on A4)."""
    window = assessment.window
    day = issued_on or clock.local_today()
    title = circular_title(campaign_name, assessment.quarter)
    months = "、".join(m.label for m in window.months) or "无"
    basis = (
        f"考核依据：{months}执法检查及月报数据，统计截至 {window.cutoff:%Y年%m月%d日}"
        + ("（暂评，待全部月报到期后定稿）" if window.provisional else "")
        + f"。{issuer}　{day.year}年{day.month}月{day.day}日"
    )
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "乡镇（街道）"
    _group_sheet(
        first,
        title=title,
        subtitle="一、乡镇（街道）考核排名。" + basis,
        group="乡镇（街道）",
        scores=assessment.townships,
        rules=assessment.rules,
    )
    units = wb.create_sheet("安委会成员单位")
    _group_sheet(
        units,
        title=title,
        subtitle="二、安委会成员单位考核排名。" + basis,
        group="安委会成员单位",
        scores=assessment.member_units,
        rules=assessment.rules,
    )
    _rules_sheet(wb.create_sheet("评分说明"), assessment=assessment)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def circular_workbook(
    session: Session,
    *,
    principal: Principal,
    quarter: Quarter,
    as_of: dt.date | None = None,
) -> tuple[bytes, str]:
    """The quarterly circular (`db.xlsx.circular`) and its file name; audited."""
    if not principal.sees_all:
        raise AccessDenied("季度通报含全部乡镇（部门），只有县局账号可以导出")
    campaign = campaign_calendar.get_campaign(session)
    if campaign is None:
        raise InputError("数据库中没有专项整治，请先运行 anpei db seed --sample 或导入数据")
    if quarter not in campaign.quarters:
        choices = "、".join(str(q) for q in campaign.quarters) or "无"
        raise InputError(f"季度“{quarter}”不在本专项整治的考核季度内（可选：{choices}）")
    day = as_of or campaign_calendar.default_as_of(campaign, today=clock.local_today())
    result = scoring_assessment.assess_quarter(
        session,
        principal=principal,
        campaign=campaign,
        quarter=quarter,
        as_of=day,
        rules=scoring.load_rules(),
    )
    data = circular_xlsx(result, campaign_name=campaign.name, issuer=campaign.issuer, issued_on=day)
    audit(
        session,
        principal=principal,
        action=AuditAction.EXPORT,
        entity="assessment",
        entity_id=str(quarter),
        detail=f"导出季度通报：{quarter.label}，截至 {day.isoformat()}",
    )
    return data, download_name(circular_title(campaign.name, quarter))
