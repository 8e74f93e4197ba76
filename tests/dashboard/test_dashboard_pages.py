"""Every page through Streamlit's AppTest on a seeded SQLite county.

The numbers on screen must be the query layer's numbers, and changing the month, the township or
the quarter must change what is shown.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from anpei.periods import Month, Quarter
from dashboard import ui
from db.engine import make_engine
from db.reads import campaign_calendar, jurisdiction_list, kpi_cards, month_figures
from db.rules import scoring, scoring_assessment
from db.rules.access import SYSTEM
from tests.dashboard.conftest import APP
from tests.kits.authkit import logged_in

pytestmark = pytest.mark.usefixtures("clean_streamlit_caches")
AS_OF = dt.date(2023, 10, 31)  # the default 截至日期 for the 2023 sample (today is after the campaign)


@pytest.fixture
def app_env(sample_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", sample_url)
    monkeypatch.delenv("ANPEI_SCORING_RULES", raising=False)
    yield sample_url


def _run(page: str | None = None, *, query: dict[str, str] | None = None, user: str = "county") -> AppTest:
    at = logged_in(AppTest.from_file(APP, default_timeout=60), os.environ["DATABASE_URL"], user)
    if query:
        at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _tables(at: AppTest, column: str) -> list[pd.DataFrame]:
    """Every table on the page with `column` (AppTest does not keep dataframe keys), in page order."""
    return [d.value for d in at.dataframe if column in d.value.columns]


def _session(url: str) -> Session:
    return Session(make_engine(url))


# --- 总览 -----------------------------------------------------------------------------------------


def test_overview_shows_the_query_layers_numbers(app_env: str) -> None:
    at = _run()
    assert at.title[0].value == "总览"
    month = at.selectbox(key="sidebar.month").value
    assert month == Month(2023, 7)
    with _session(app_env) as s:
        kpis = kpi_cards.county_kpis(s, principal=SYSTEM, month=month, as_of=AS_OF)
        townships = month_figures.township_month_summary(s, principal=SYSTEM, month=month, kinds=["township"])
    shown = _metrics(at)
    for k in kpis:
        label = k.label if k.unit == "%" else f"{k.label}（{k.unit}）"
        assert shown[label] == ui.fmt_value(k.value, k.unit), label
    assert shown["当前阶段"] == "总结提升"
    ranking = _tables(at, "需关注")[0]
    assert len(ranking) == len(townships) == 30
    assert ranking["排名"].dropna().iloc[0] == 1


def test_overview_changes_with_the_month(app_env: str) -> None:
    at = _run()
    before = _metrics(at)
    at.selectbox(key="sidebar.month").set_value(Month(2023, 4)).run()
    assert not at.exception
    after = _metrics(at)
    with _session(app_env) as s:
        april = {
            k.code: k for k in kpi_cards.county_kpis(s, principal=SYSTEM, month=Month(2023, 4), as_of=AS_OF)
        }
    assert after["检查生产经营单位（家）"] == ui.fmt_value(april["enterprises_inspected"].value, "家")
    assert after["无证上岗（人）"] == ui.fmt_value(april["unlicensed"].value, "人")
    assert after != before
    assert "2023年4月" in at.caption[0].value


def test_overview_detail_rows_follow_the_chosen_number(app_env: str) -> None:
    at = _run()
    at.selectbox(key="overview.detail").set_value("unlicensed").run()
    rows = _tables(at, "身份证号")[0]
    with _session(app_env) as s:
        kpi = next(
            k
            for k in kpi_cards.county_kpis(s, principal=SYSTEM, month=Month(2023, 7), as_of=AS_OF)
            if k.code == "unlicensed"
        )
    assert len(rows) == kpi.value
    assert list(rows.columns) == [
        "核查日期",
        "核查单位",
        "生产经营单位",
        "姓名",
        "身份证号",
        "操作项目",
        "问题",
        "核查结论",
    ]
    assert all("*" in x for x in rows["身份证号"])


def _detail_expander(at: AppTest) -> Any:
    (found,) = [e for e in at.expander if e.label == "查看数字背后的记录"]
    return found


def test_overview_detail_stays_open_when_a_number_is_picked(app_env: str) -> None:
    """The leader opens 查看数字背后的记录 and picks a number: it stays open (issue 10 item 10)."""
    at = _run(user="leader")
    assert not _detail_expander(at).proto.expanded
    at.session_state["overview.detail.open"] = True  # the leader opens it (the browser reports its state)
    at.run()
    at.selectbox(key="overview.detail").set_value("unlicensed").run()
    assert not at.exception, [e.value for e in at.exception]
    assert _detail_expander(at).proto.expanded, "the expander closed itself when a number was picked"
    assert _tables(at, "身份证号")
    at.selectbox(key="overview.detail").set_value("enterprises_inspected").run()
    assert _detail_expander(at).proto.expanded


def test_overview_as_of_day_moves_the_timeline(app_env: str) -> None:
    at = _run()
    at.select_slider(key="sidebar.as_of").set_value(dt.date(2023, 5, 20)).run()
    assert not at.exception
    shown = _metrics(at)
    assert shown["当前阶段"] == "执法检查"
    assert at.selectbox(key="sidebar.month").value == Month(2023, 5)  # July has not begun on that day
    assert any("2023年6月5日" in m.value for m in at.markdown)  # next deadline: the May table


def test_empty_database_says_what_to_do(migrated_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", migrated_sqlite_url)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "anpei db seed --sample" in at.warning[0].value


# --- township page --------------------------------------------------------------------------------


def _ref(url: str, name: str) -> jurisdiction_list.JurisdictionRef:
    with _session(url) as s:
        return next(r for r in jurisdiction_list.list_jurisdictions(s) if r.name == name)


def test_township_page_from_a_link(app_env: str) -> None:
    ref = _ref(app_env, "三合街道")
    at = _run("app_pages/township.py", query={"j": ref.code})
    assert at.title[0].value == "三合街道"
    with _session(app_env) as s:
        row = month_figures.township_month_summary(
            s, principal=SYSTEM, month=Month(2023, 7), jurisdiction_ids=[ref.id]
        )[0]
    shown = _metrics(at)
    assert shown["检查生产经营单位（家）"] == str(row.enterprises_inspected)
    assert shown["逾期未整改（条）"] == str(row.findings_overdue)
    assert shown["本月汇总表"] == row.monthly_status_label
    findings = _tables(at, "整改责任人")[0]
    assert len(findings) == row.findings_open
    problems = _tables(at, "身份证号")[0]
    assert all("*" in x for x in problems["身份证号"])


def test_township_page_changes_with_the_selection(app_env: str) -> None:
    ref = _ref(app_env, "三合街道")
    other = _ref(app_env, "名山街道")
    at = _run("app_pages/township.py", query={"j": ref.code})
    at.selectbox(key="township.select").set_value(other.id).run()
    assert not at.exception
    assert at.title[0].value == "名山街道"
    with _session(app_env) as s:
        row = month_figures.township_month_summary(
            s, principal=SYSTEM, month=Month(2023, 7), jurisdiction_ids=[other.id]
        )[0]
    assert _metrics(at)["检查生产经营单位（家）"] == str(row.enterprises_inspected)
    assert at.query_params["j"] == [other.code] or at.query_params["j"] == other.code


# --- 季度考核 -------------------------------------------------------------------------------------


def _assessment(url: str, quarter: str) -> scoring_assessment.Assessment:
    with _session(url) as s:
        campaign = campaign_calendar.get_campaign(s)
        assert campaign is not None
        return scoring_assessment.assess_quarter(
            s,
            principal=SYSTEM,
            campaign=campaign,
            quarter=Quarter.parse(quarter),
            as_of=AS_OF,
            rules=scoring.load_rules(),
        )


def test_assessment_page_ranks_townships_and_units_separately(app_env: str) -> None:
    at = _run("app_pages/assessment.py")
    assert at.title[0].value == "季度考核 · 2023年第三季度"
    expected = _assessment(app_env, "2023Q3")
    towns, units = _tables(at, "等次")
    assert len(towns) == 30 and len(units) == 15
    assert [None if pd.isna(x) else x for x in towns["总分"]] == [
        round(s.score, 1) if s.score is not None else None for s in expected.townships
    ]
    assert [None if pd.isna(x) else x for x in towns["排名"]] == [s.rank for s in expected.townships]
    assert at.download_button(key="assessment.circular") is not None


def test_assessment_changes_with_the_quarter_and_the_jurisdiction(app_env: str) -> None:
    at = _run("app_pages/assessment.py")
    at.selectbox(key="sidebar.quarter").set_value(Quarter(2023, 2)).run()
    assert not at.exception
    assert at.title[0].value == "季度考核 · 2023年第二季度"
    expected = _assessment(app_env, "2023Q2")
    kept = expected.find(at.selectbox(key="assessment.jurisdiction").value)  # the chosen unit stays
    assert kept is not None and kept.score is not None
    assert _metrics(at)["总分"] == f"{kept.score:.1f}"
    last = [s for s in expected.townships if s.score is not None][-1]  # the last one ranked
    at.selectbox(key="assessment.jurisdiction").set_value(last.member.jurisdiction_id).run()
    breakdown = _tables(at, "计分方式")[0]
    assert list(breakdown["指标"]) == [i.label for i in expected.rules.indicators]
    assert breakdown["得分"].sum() == pytest.approx(last.earned, abs=0.05)
    assert _metrics(at)["总分"] == f"{last.score:.1f}"


def test_assessment_button_opens_the_township_page(app_env: str) -> None:
    at = _run("app_pages/assessment.py")
    chosen = at.selectbox(key="assessment.jurisdiction").value
    at.button(key="assessment.to_township").click().run()
    assert not at.exception
    name = _assessment(app_env, "2023Q3").find(chosen)
    assert name is not None
    assert at.title[0].value == name.member.name


def test_sidebar_choices_survive_a_page_switch(app_env: str) -> None:
    at = _run()
    at.selectbox(key="sidebar.month").set_value(Month(2023, 5)).run()
    at.switch_page("app_pages/assessment.py").run()  # the month selector is not drawn here
    at.selectbox(key="sidebar.quarter").set_value(Quarter(2023, 2)).run()
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    assert at.selectbox(key="sidebar.month").value == Month(2023, 5)
    assert "2023年5月" in at.caption[0].value
    at.switch_page("app_pages/assessment.py").run()
    assert at.title[0].value == "季度考核 · 2023年第二季度"


def _all_text(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "error", "success")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize(
    ("user", "page"),
    [
        ("leader", "app_pages/assessment.py"),
        ("county", "app_pages/assessment.py"),
        ("sanhe", "app_pages/exports.py"),
        ("county", "app_pages/exports.py"),
    ],
)
def test_no_server_paths_or_commands_for_the_bureaus_staff(app_env: str, user: str, page: str) -> None:
    """A leader is not shown where the rules file lives on the server; a clerk is not told to run
    `anpei export --help` (issue 15 item 4)."""
    text = _all_text(_run(page, user=user))
    assert text  # the page drew its explanations
    for technical in (".toml", "scoring_rules", "anpei ", "--help", str(scoring.DEFAULT_RULES_PATH.parent)):
        assert technical not in text, technical


def test_overview_draws_the_closed_expanders_only_once_opened(app_env: str) -> None:
    """Tables nobody opened are not built on every run (issue 16); opening one draws it."""
    at = _run()
    labels = [e.label for e in at.expander]
    assert any(label.startswith("安委会成员单位") for label in labels) and "报送明细（含报送日期）" in labels
    assert len(_tables(at, "排名")) == 1, "only the townships' ranking: the member units' stays closed"
    assert not [t for t in at.dataframe if "4月" in t.value.columns], "the monthly-table detail stays closed"
    at.session_state["overview.grid.box"] = True
    at.session_state["overview.units.box"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    grid = [t.value for t in at.dataframe if "4月" in t.value.columns]
    assert len(grid) == 1 and len(grid[0]) == 45, "opened: every township and unit, a column per month"
    units = _tables(at, "排名")
    assert len(units) == 2, "opened: the member units' ranking below the townships'"
