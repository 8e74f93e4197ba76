"""Fixtures for the data-input tests: a tiny county, principals of every role, file builders."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db.access import Principal
from db.codes import JurisdictionKind, Role, Sector
from db.models import AuditLog, Enterprise, Jurisdiction, TrainingInstitution

# 2023-06-03 10:00 in Shanghai: before the 5th, so May's table is on time.
ON_TIME = dt.datetime(2023, 6, 3, 2, 0, tzinfo=dt.UTC)
LATE = dt.datetime(2023, 6, 9, 2, 0, tzinfo=dt.UTC)


@dataclass
class County:
    """Two townships and a member unit with a handful of enterprises and one training institution."""

    engine: Engine
    ids: dict[str, int] = field(default_factory=dict)

    def principal(self, role: Role, jurisdiction: str | None = None) -> Principal:
        jid = self.ids[jurisdiction] if jurisdiction else None
        return Principal(username=f"{role.value}-{jurisdiction or 'all'}", role=role, jurisdiction_id=jid)

    @property
    def county_staff(self) -> Principal:
        return self.principal(Role.COUNTY_STAFF)

    @property
    def leader(self) -> Principal:
        return self.principal(Role.LEADER)

    def township(self, name: str) -> Principal:
        return self.principal(Role.LOCAL_STAFF, name)

    def session(self) -> Session:
        return Session(self.engine)

    def audit_entries(self, *, action: str | None = None, entity: str | None = None) -> list[AuditLog]:
        with Session(self.engine) as s:
            stmt = select(AuditLog)
            if action:
                stmt = stmt.where(AuditLog.action == action)
            if entity:
                stmt = stmt.where(AuditLog.entity == entity)
            return list(s.exec(stmt).all())


def build_county(engine: Engine) -> County:
    """Fill a migrated database with the tiny county (and the default campaign)."""
    from db.campaign_defaults import ensure_default_campaign

    c = County(engine)
    now = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    with Session(engine) as s:
        ensure_default_campaign(s)
        for order, (name, kind) in enumerate(
            [("三合街道", JurisdictionKind.TOWNSHIP), ("名山街道", JurisdictionKind.TOWNSHIP),
             ("县经信委", JurisdictionKind.MEMBER_UNIT)]
        ):
            j = Jurisdiction(code=f"J{order:02d}", name=name, kind=kind.value, sort_order=order)
            s.add(j)
            s.flush()
            c.ids[name] = int(j.id or 0)
        ents = [
            ("三合化工有限公司", Sector.HAZCHEM, "三合街道", "县经信委"),
            ("三合烟花爆竹经营部", Sector.FIREWORKS, "三合街道", None),
            ("三合机械厂", Sector.INDUSTRY_TRADE, "三合街道", "县经信委"),
            ("三合商贸公司", Sector.OTHER, "三合街道", None),
            ("名山采石场", Sector.NONCOAL_MINE, "名山街道", None),
            ("名山家具厂", Sector.INDUSTRY_TRADE, "名山街道", None),
        ]
        for n, (name, sector, town, unit) in enumerate(ents):
            e = Enterprise(
                name=name, sector=sector.value, jurisdiction_id=c.ids[town],
                member_unit_id=c.ids[unit] if unit else None, created_at=now, uscc=f"91500230MA{n:07d}X",
            )  # fmt: skip
            s.add(e)
            s.flush()
            c.ids[name] = int(e.id or 0)
        inst = TrainingInstitution(name="三合安全培训学校", jurisdiction_id=c.ids["三合街道"])
        s.add(inst)
        s.flush()
        c.ids["三合安全培训学校"] = int(inst.id or 0)
        s.commit()
    return c


@pytest.fixture
def county(engine: Engine) -> County:
    return build_county(engine)


@pytest.fixture
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings.upload_dir pointed at a temp directory."""
    from anpei.settings import get_settings

    target = tmp_path / "uploads"
    monkeypatch.setenv("ANPEI_UPLOAD_DIR", str(target))
    get_settings.cache_clear()
    yield target
    get_settings.cache_clear()


def xlsx(rows: list[list[Any]], *, sheet: str = "汇总表", merge: str | None = None,
         extra_sheets: dict[str, list[list[Any]]] | None = None) -> bytes:  # fmt: skip
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


# --- Streamlit pages (AppTest) -----------------------------------------------------------------

FRAME = str(Path(__file__).resolve().parent / "page_frame.py")


@pytest.fixture
def page_county(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uploads: Path) -> Iterator[County]:
    """The tiny county in a SQLite file the pages read through DATABASE_URL; clean Streamlit caches."""
    import streamlit as st

    from db import migrate
    from db.engine import make_engine

    url = f"sqlite:///{tmp_path / 'pages.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield build_county(engine)
    st.cache_data.clear()
    st.cache_resource.clear()
    engine.dispose()


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
    parts = [e.value for kind in ("title", "caption", "markdown", "success", "error", "warning", "info")
             for e in getattr(at, kind)]  # fmt: skip
    return "\n".join(str(p) for p in parts)
