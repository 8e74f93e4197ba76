"""The numbers of the leadership pages and the exports are pinned on the seeded sample county, on
SQLite and PostgreSQL: a speed-up (indexes, rewritten queries, a faster workbook writer) must leave
every figure — and every cell of the all-townships 汇总表 workbook, its look included — exactly as
it was. The expected values in `pinned_figures.json` were written by the code before issue 16
item 3's work (`python -m tests.db.test_db_pinned_figures` rewrites them: only do that for an
intended change of a number, and say so in the commit).

Covered: `township_month_summary` and `county_totals` of every campaign month, `county_trends`, the
status grid, every 总览 detail table (its row count and first rows), the quarterly assessment of every
quarter (scores, ranks, grades, points, measures) and the all-townships workbook of two months.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import io
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from anpei.periods import Month, Quarter
from db.reads import campaign_calendar, kpi_details, month_figures, month_trends, status_grid
from db.rules import scoring, scoring_assessment
from db.rules.access import SYSTEM
from db.xlsx import township_summary

PINNED = Path(__file__).with_name("pinned_figures.json")
AS_OF = dt.date(2023, 10, 31)
DETAIL_KINDS = (
    "inspected",
    "inspected_high_risk",
    "inspected_industry_trade",
    "findings_found",
    "findings_open",
    "findings_overdue",
    "findings_rectified",
    "workers_checked",
    "unlicensed",
    "suspected_fake",
    "managers_overdue",
    "cases",
    "exposures",
    "blacklisted",
)


def plain(value: Any) -> Any:
    """JSON-comparable: dataclasses as dicts, months, quarters, dates and decimals as text, floats rounded."""
    if isinstance(value, (Month, Quarter)):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "rules"}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, (Decimal, dt.date, dt.datetime)):
        return str(value)
    return value


def _cell(cell: Any) -> list[Any]:
    fill = cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fill_type else None
    return [
        cell.coordinate,
        plain(cell.value),
        cell.number_format,
        cell.font.name,
        float(cell.font.size or 0),
        bool(cell.font.b),
        fill,
        cell.border.left.style,
        cell.alignment.horizontal,
        cell.alignment.vertical,
        bool(cell.alignment.wrap_text),
    ]


def workbook_figures(data: bytes) -> dict[str, Any]:
    """Every cell (value and look), merged ranges, widths, heights, print titles of every sheet: in
    full for the county total sheet and the first jurisdiction's, as a digest (and the data row's
    values) for the others."""
    book = load_workbook(io.BytesIO(data))
    out: dict[str, Any] = {}
    for index, ws in enumerate(book.worksheets):
        sheet = {
            "cells": [_cell(c) for row in ws.iter_rows() for c in row if c.value is not None or c.has_style],
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "widths": {k: d.width for k, d in sorted(ws.column_dimensions.items()) if d.width},
            "heights": {str(k): d.height for k, d in sorted(ws.row_dimensions.items()) if d.height},
            "freeze": ws.freeze_panes,
            "print_titles": ws.print_title_rows,
            "footer": ws.oddFooter.center.text,
            "landscape": ws.page_setup.orientation,
        }
        if index < 2:
            out[ws.title] = sheet
        else:
            text = json.dumps(sheet, ensure_ascii=False, sort_keys=True)
            out[ws.title] = {
                "digest": hashlib.sha256(text.encode()).hexdigest(),
                "data row": [plain(c.value) for c in ws[5]],
            }
    return out


def figures(engine: Engine) -> dict[str, Any]:
    """Every pinned figure of the seeded county, as plain JSON values."""
    out: dict[str, Any] = {}
    with Session(engine) as s:
        campaign = campaign_calendar.get_campaign(s)
        assert campaign is not None
        months = list(campaign.enforcement_months)
        for month in months:
            rows = month_figures.township_month_summary(s, principal=SYSTEM, month=month)
            out[f"summary {month}"] = plain(rows)
            out[f"county {month}"] = plain(
                month_figures.county_totals(s, principal=SYSTEM, month=month, rows=rows)
            )
        out["summary 2023-07 as of"] = plain(
            month_figures.township_month_summary(
                s,
                principal=SYSTEM,
                month=Month(2023, 7),
                as_of=month_figures.month_as_of(Month(2023, 7), AS_OF),
            )
        )
        out["trends"] = plain(month_trends.county_trends(s, principal=SYSTEM, months=months, as_of=AS_OF))
        out["grid"] = plain(status_grid.status_grid(s, principal=SYSTEM, campaign=campaign, as_of=AS_OF))
        for kind in DETAIL_KINDS:
            table = kpi_details.detail_rows(s, principal=SYSTEM, kind=kind, month=Month(2023, 7), as_of=AS_OF)
            out[f"detail {kind}"] = {"total": table.total, "first": plain(table.rows[:5])}
        rules = scoring.load_rules()
        for quarter in campaign.quarters:
            assessment = scoring_assessment.assess_quarter(
                s,
                principal=SYSTEM,
                campaign=campaign,
                quarter=quarter,
                as_of=AS_OF,
                rules=rules,
            )
            out[f"assessment {quarter}"] = plain(assessment)
        for month in (Month(2023, 5), Month(2023, 7)):
            out[f"workbook {month}"] = workbook_figures(
                township_summary.township_summary_xlsx(s, principal=SYSTEM, month=month)
            )
        s.rollback()  # the exports' audit rows
    return out


def _differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{where}/{k}: missing" for k in expected if k not in actual]
        out += [f"{where}/{k}: unexpected" for k in actual if k not in expected]
        for k in expected:
            if k in actual:
                out += _differences(expected[k], actual[k], f"{where}/{k}")
        return out
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in _differences(e, a, f"{where}[{i}]")
        ]
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


def test_every_figure_is_what_it_was(seeded: Engine) -> None:
    expected = json.loads(PINNED.read_text(encoding="utf-8"))
    actual = json.loads(json.dumps(figures(seeded), ensure_ascii=False))
    differences = _differences(expected, actual)
    assert not differences, f"{len(differences)} figures changed, e.g.:\n" + "\n".join(differences[:20])


def test_the_pin_is_not_empty() -> None:
    """The pinned file holds real figures (a wiped file would make the comparison above vacuous)."""
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    assert any(r["enterprises_inspected"] > 0 for r in pinned["summary 2023-07"])
    assert any(s["score"] for s in pinned["assessment 2023Q3"]["groups"]["township"])
    assert len(pinned["workbook 2023-05"]) > 10 and pinned["detail inspected"]["total"] > 0


if __name__ == "__main__":  # rewrite the pin from the current code on a fresh SQLite sample county
    import tempfile

    from db.engine import make_engine
    from db.sample.seed import seed_sample
    from tests.conftest import SAMPLE_SCALE

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/pin.db")
        seed_sample(engine, scale=SAMPLE_SCALE, demo_accounts=True)
        data = figures(engine)
        engine.dispose()
    lines = [
        f"{json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False, sort_keys=True)}"
        for k, v in sorted(data.items())
    ]
    PINNED.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")  # one line per group
    print(f"wrote {PINNED} ({len(data)} groups)", file=sys.stderr)
