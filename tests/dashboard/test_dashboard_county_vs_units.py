"""检查生产经营单位 has one meaning everywhere: the county figure is distinct enterprises (全县（去重）),
the units' sum counts an enterprise per unit and a joint inspection per party (各单位合计); the 总览,
the exported 全县合计 and `anpei summary` name both, with the same numbers."""

from __future__ import annotations

import io
import os

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from anpei.periods import Month
from anpei_cli.cli import app
from db.engine import make_engine
from db.reads import county_dedup, month_figures, month_trends
from db.rules.access import SYSTEM
from db.xlsx import township_summary
from tests.dashboard.conftest import APP
from tests.kits.authkit import logged_in

MONTH = Month(2023, 7)


def _figures(engine: Engine) -> list[county_dedup.CountyVsUnits]:
    with Session(engine) as s:
        rows = month_figures.township_month_summary(s, principal=SYSTEM, month=MONTH)
        county = month_figures.county_totals(s, principal=SYSTEM, month=MONTH, rows=rows)
        trend = next(
            t
            for t in month_trends.county_trends(s, principal=SYSTEM, months=[MONTH])
            if t.month == str(MONTH)
        )
    assert (trend.enterprises_inspected, trend.high_risk_inspected, trend.industry_trade_inspected) == (
        county.enterprises_inspected,
        county.high_risk_inspected,
        county.industry_trade_inspected,
    )  # the 总览 card and the CLI's 全县 row read the same distinct count
    return county_dedup.county_vs_units(county=county, units_sum=county_dedup.units_sum(rows))


def test_export_and_cli_name_both_figures(seeded_engine: Engine, db_url_engine: tuple[str, Engine]) -> None:
    url = db_url_engine[0]
    figures = _figures(seeded_engine)
    first = figures[0]
    assert (
        first.label == "检查生产经营单位" and first.units > first.county
    )  # the sample has joint inspections
    sentence = county_dedup.county_vs_units_text(figures)
    assert f"检查生产经营单位：全县（去重）{first.county}；各单位合计 {first.units}" in sentence

    with Session(seeded_engine) as s:
        data = township_summary.township_summary_xlsx(s, principal=SYSTEM, month=MONTH)
    ws = load_workbook(io.BytesIO(data))[township_summary.TOTAL_SHEET]
    cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert any(sentence in c for c in cells), cells[:5]
    total_row = next(
        r for r in range(5, ws.max_row + 1) if ws.cell(row=r, column=1).value == township_summary.TOTAL_ROW
    )
    header = {ws.cell(row=4, column=c).value: c for c in range(1, ws.max_column + 1)}
    assert ws.cell(row=total_row, column=header["检查生产经营单位数"]).value == first.units

    result = CliRunner().invoke(app, ["summary", "--month", str(MONTH), "--database-url", url])
    assert result.exit_code == 0, result.stderr
    assert sentence in result.stdout
    assert "全县（企业去重）" in result.stdout and f"{first.county}/" in result.stdout


@pytest.fixture
def app_env(sample_url: str, monkeypatch: pytest.MonkeyPatch, clean_streamlit_caches: None) -> str:
    monkeypatch.setenv("DATABASE_URL", sample_url)
    return sample_url


def test_overview_names_both_figures(app_env: str) -> None:
    at = logged_in(AppTest.from_file(APP, default_timeout=60), os.environ["DATABASE_URL"], "county")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="sidebar.month").set_value(MONTH).run()
    engine = make_engine(app_env)
    try:
        sentence = county_dedup.county_vs_units_text(_figures(engine))
    finally:
        engine.dispose()
    assert sentence in [c.value for c in at.caption]
