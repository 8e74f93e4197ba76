"""Builders for the data-input tests: the tiny county, workbooks, and one page run as an AppTest."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from db.codes import Sector
from db.models import TrainingInstitution
from db.rules.access import Principal
from tests.kits.countykit import County, add_enterprises, add_places

# 2023-06-03 10:00 in Shanghai: before the 5th, so May's table is on time.
ON_TIME = dt.datetime(2023, 6, 3, 2, 0, tzinfo=dt.UTC)
LATE = dt.datetime(2023, 6, 9, 2, 0, tzinfo=dt.UTC)


def build_county(engine: Engine) -> County:
    """Fill a migrated database with the tiny county (and the default campaign)."""
    c = County(engine)
    with Session(engine) as s:
        add_places(s, c)
        add_enterprises(
            s,
            c,
            [
                ("三合化工有限公司", Sector.HAZCHEM, "三合街道", "县经信委"),
                ("三合烟花爆竹经营部", Sector.FIREWORKS, "三合街道", None),
                ("三合机械厂", Sector.INDUSTRY_TRADE, "三合街道", "县经信委"),
                ("三合商贸公司", Sector.OTHER, "三合街道", None),
                ("名山采石场", Sector.NONCOAL_MINE, "名山街道", None),
                ("名山家具厂", Sector.INDUSTRY_TRADE, "名山街道", None),
            ],
        )
        inst = TrainingInstitution(name="三合安全培训学校", jurisdiction_id=c.ids["三合街道"])
        s.add(inst)
        s.flush()
        c.ids["三合安全培训学校"] = int(inst.id or 0)
        s.commit()
    return c


def xlsx(
    rows: list[list[Any]],
    *,
    sheet: str = "汇总表",
    merge: str | None = None,
    extra_sheets: dict[str, list[list[Any]]] | None = None,
) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    for name, more in (extra_sheets or {}).items():
        other = wb.create_sheet(name)
        for row in more:
            other.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


FRAME = str(Path(__file__).resolve().parents[1] / "db" / "data_input" / "page_frame.py")


def open_page(page: str, principal: Principal | None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An AppTest of one data-input page, run once as `principal` (None: nobody logged in)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ANPEI_TEST_PAGE", page)
    at = AppTest.from_file(FRAME, default_timeout=60)
    if principal is not None:
        at.session_state["auth.principal"] = principal
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: Any) -> str:
    """Everything the page said (titles, captions, messages, markdown) as one string."""
    parts = [
        e.value
        for kind in ("title", "caption", "markdown", "success", "error", "warning", "info")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)
