"""Cached access to the read services: one engine per database URL, query results with a TTL.

Every cached function takes the database URL first, so two databases never share a cache entry.
Results are read models (frozen dataclasses) or DataFrames, never ORM rows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from anpei.settings import Settings
from db import overview as ov
from db import queries as q
from db import scoring as sc
from db.engine import make_engine

TTL = dt.timedelta(minutes=5)


def database_url() -> str:
    """`Settings.database_url` read afresh (tests and `anpei dashboard` set DATABASE_URL)."""
    return Settings().database_url


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def session(url: str) -> Session:
    return Session(engine_for(url))


@st.cache_data(ttl=TTL, show_spinner=False)
def campaigns(url: str) -> list[ov.CampaignInfo]:
    with session(url) as s:
        return ov.list_campaigns(s)


@st.cache_data(ttl=TTL, show_spinner=False)
def is_empty(url: str) -> bool:
    with session(url) as s:
        return q.is_empty(s)


def campaign(url: str, campaign_id: int) -> ov.CampaignInfo:
    found = next((c for c in campaigns(url) if c.id == campaign_id), None)
    if found is None:
        raise LookupError(f"专项整治 {campaign_id} 不存在")
    return found


@st.cache_data(ttl=TTL, show_spinner=False)
def jurisdictions(url: str) -> list[q.JurisdictionRef]:
    with session(url) as s:
        return q.list_jurisdictions(s)


def kpis(url: str, campaign_id: int, month: str, as_of: dt.date) -> list[ov.Kpi]:
    """The KPI cards, from the same cached month rows as the trend charts (one pass for both)."""
    months = tuple(ov.trend_months(campaign(url, campaign_id), month=month, as_of=as_of))
    return ov.kpis_from_trends(trends(url, months, as_of), month=month)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def month_summary(url: str, month: str, as_of: dt.date) -> list[q.JurisdictionMonthRow]:
    """Every township and member unit in `month` (`queries.township_month_summary`)."""
    with session(url) as s:
        return q.township_month_summary(s, month=month, as_of=ov.month_as_of(month, as_of))


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def grid(url: str, campaign_id: int, as_of: dt.date) -> list[ov.GridCell]:
    with session(url) as s:
        return ov.status_grid(s, campaign=campaign(url, campaign_id), as_of=as_of)


@st.cache_data(ttl=TTL, show_spinner=False)
def codes(url: str) -> dict[int, str]:
    with session(url) as s:
        return ov.jurisdiction_codes(s)


def ranking(url: str, campaign_id: int, month: str, as_of: dt.date, kind: str) -> list[ov.RankRow]:
    """The month's ranking of one kind, from the cached all-kinds summary and grid (no extra query)."""
    return ov.ranking_of(month_summary(url, month, as_of), kind=kind, month=month, codes=codes(url),
                         cells=grid(url, campaign_id, as_of))  # fmt: skip


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def trends(url: str, months: tuple[str, ...], as_of: dt.date) -> list[ov.MonthTrend]:
    with session(url) as s:
        return ov.county_trends(s, months=months, as_of=as_of)


@st.cache_data(ttl=TTL, max_entries=128, show_spinner=False)
def detail(
    url: str, kind: str, month: str, as_of: dt.date, jurisdiction_id: int | None = None
) -> pd.DataFrame:
    with session(url) as s:
        table = ov.detail_rows(s, kind=kind, month=month, as_of=as_of, jurisdiction_id=jurisdiction_id)
    return table_frame(table)


def table_frame(table: ov.Table) -> pd.DataFrame:
    frame = pd.DataFrame(table.rows, columns=list(table.columns))
    frame.attrs["total"] = table.total
    return frame


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def jurisdiction_months(url: str, jurisdiction_id: int, months: tuple[str, ...], as_of: dt.date,
                        ) -> list[q.JurisdictionMonthRow]:  # fmt: skip
    with session(url) as s:
        return ov.jurisdiction_months(s, jurisdiction_id=jurisdiction_id, months=months, as_of=as_of)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def enterprise_mix(
    url: str, jurisdiction_id: int, month: str, months: tuple[str, ...]
) -> list[ov.EnterpriseMix]:
    with session(url) as s:
        return ov.enterprise_mix(s, jurisdiction_id=jurisdiction_id, month=month, campaign_months=months)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def certificates(
    url: str, jurisdiction_id: int, first: dt.date, last: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    with session(url) as s:
        outcomes = ov.certificate_outcomes(s, jurisdiction_id=jurisdiction_id, first=first, last=last)
        problems = ov.problem_checks(s, jurisdiction_id=jurisdiction_id, first=first, last=last)
    return table_frame(outcomes), table_frame(problems)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def monthly_reports(url: str, jurisdiction_id: int, months: tuple[str, ...]) -> pd.DataFrame:
    with session(url) as s:
        return table_frame(ov.monthly_reports(s, jurisdiction_id=jurisdiction_id, months=months))


# --- scoring --------------------------------------------------------------------------------------


def rules_key() -> tuple[str, float]:
    """The rule file in use and its modification time: an edited file is read again."""
    path = sc.rules_path()
    try:
        return str(path), path.stat().st_mtime
    except OSError:
        return str(path), 0.0


@st.cache_data(ttl=TTL, show_spinner=False)
def rules(key: tuple[str, float]) -> sc.ScoringRules:
    return sc.load_rules(Path(key[0]))


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def assessment(
    url: str, campaign_id: int, quarter: str, as_of: dt.date, key: tuple[str, float]
) -> sc.Assessment:
    with session(url) as s:
        return sc.assess_quarter(
            s, campaign=campaign(url, campaign_id), quarter=quarter, as_of=as_of, rules=rules(key)
        )


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def score_history(url: str, campaign_id: int, jurisdiction_id: int, as_of: dt.date, key: tuple[str, float],
                  ) -> list[sc.ScorePoint]:  # fmt: skip
    with session(url) as s:
        return sc.score_history(s, campaign=campaign(url, campaign_id), jurisdiction_id=jurisdiction_id,
                                as_of=as_of, rules=rules(key))  # fmt: skip
