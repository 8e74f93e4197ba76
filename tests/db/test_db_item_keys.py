"""Per-check-item problem counts have one key scheme (`enterprise-3`, `institution-1`) everywhere:
the seed writes it, the migration converts rows stored under the old bare `"3"`, and the sample
county reconciles, fills the form and adds up in the exported county total."""

from __future__ import annotations

import datetime as dt
import importlib

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anpei.periods import Month
from db import migrate
from db.codes import JurisdictionKind, MonthlyStatus, Role, TargetKind
from db.models import Finding, Jurisdiction, MonthlyReport
from db.reads import campaign_calendar, reconcile
from db.records import monthly_saving, monthly_table
from db.rules.access import Principal
from db.rules.campaign_defaults import CHECK_ITEMS
from db.xlsx import summary_figures

STAFF = Principal(username="county", role=Role.COUNTY_STAFF)
ITEM_KEYS = {f"{i.target_kind.value}-{i.number}" for i in CHECK_ITEMS}


def test_sample_county_uses_one_key_scheme_and_reconciles(seeded: Engine) -> None:
    with Session(seeded) as s:
        reports = s.exec(select(MonthlyReport)).all()
        assert any(r.problems_by_item for r in reports)
        for r in reports:
            assert set(r.problems_by_item) <= ITEM_KEYS, r.problems_by_item
            assert sum(r.problems_by_item.values()) == r.problems_found
        months = campaign_calendar.campaign_months(s)
        false_differences = [
            (row.jurisdiction, m, [(d.key, d.reported, d.recorded) for d in row.differences])
            for m in months
            for row in reconcile.reconcile_all(s, principal=STAFF, month=m)
            if row.differences
        ]
    assert false_differences == []


def test_form_and_county_total_show_the_stored_items(seeded: Engine) -> None:
    with Session(seeded) as s:
        columns = monthly_table.layout_for(s)
        item_columns = [c.key for c in columns if c.key.startswith(monthly_table.ITEM_PREFIX)]
        report = next(r for r in s.exec(select(MonthlyReport)).all() if r.problems_found >= 2)
        values = monthly_saving.form_values(report, columns)
        assert sum(values[k] for k in item_columns) == report.problems_found  # 在线填报 shows them, not 0
        sheets = summary_figures.summary_sheets(s, principal=STAFF, month=Month.parse(report.month))
        totals = summary_figures.total_values(sheets, columns)
    assert totals["problems_found"] > 0
    assert sum(totals[k] for k in item_columns) == totals["problems_found"]  # 全县合计 adds up


ITEM_KEYS_MIGRATION = "db.migrations.versions.5c1e7a90b3d4_item_keys_and_verifier_job_targets"


def test_migration_rewrites_bare_item_keys(empty_engine: Engine) -> None:
    # the schema just before the item-key migration (the rows below use today's models)
    migrate.upgrade(empty_engine, importlib.import_module(ITEM_KEYS_MIGRATION).down_revision)
    now = dt.datetime(2023, 8, 1, tzinfo=dt.UTC)
    with Session(empty_engine) as s:
        town = Jurisdiction(code="J01", name="三合街道", kind=JurisdictionKind.TOWNSHIP.value)
        s.add(town)
        s.flush()
        s.add(
            MonthlyReport(
                jurisdiction_id=town.id,
                month="2023-05",
                status=MonthlyStatus.SUBMITTED.value,
                problems_found=5,
                problems_by_item={"1": 2, "3": 1, "5": 1, "enterprise-2": 1},
            )
        )
        s.add(
            MonthlyReport(
                jurisdiction_id=town.id,
                month="2023-06",
                status=MonthlyStatus.SUBMITTED.value,
                problems_found=1,
                problems_by_item={"enterprise-4": 1},
            )
        )
        # one institution problem of item 1 recorded in May: one of the two bare "1" is the institution's
        # a Core insert of the columns that schema has (today's Finding has columns added later)
        s.execute(
            insert(Finding.__table__).values(  # type: ignore[attr-defined]
                version=1,
                jurisdiction_id=town.id,
                target_kind=TargetKind.INSTITUTION.value,
                check_item_number=1,
                found_on=dt.date(2023, 5, 9),
                description="制度不健全",
                status="open",
                recurring=False,
                created_at=now,
            )
        )
        s.commit()
    migrate.upgrade(empty_engine)
    with Session(empty_engine) as s:
        stored = {r.month: r.problems_by_item for r in s.exec(select(MonthlyReport)).all()}
    assert stored == {
        "2023-05": {
            "enterprise-1": 1,
            "enterprise-2": 1,
            "enterprise-3": 1,
            "enterprise-5": 1,
            "institution-1": 1,
        },
        "2023-06": {"enterprise-4": 1},
    }


def test_convert_keys_is_pure() -> None:
    module = importlib.import_module(ITEM_KEYS_MIGRATION)
    assert module.convert_keys({"4": 3}, {4: 5}) == {"institution-4": 3}
    assert module.convert_keys({"2": 2, "enterprise-2": 1}, {}) == {"enterprise-2": 3}
