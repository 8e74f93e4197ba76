"""Cached access to the read services: one engine per database URL, query results with a TTL.

Results are shared by every session of the process (`st.cache_resource`, one object, never a copy per
session: issue 16) and are read-only — pages build new frames from them, never change them. A write
calls `invalidate()`, which drops them all in this process (other dashboard processes behind the same
proxy see the change when their entries expire, after TTL).

Every cached function takes the database URL first, so two databases never share a cache entry,
and the reader's scope (`db.rules.access.read_scope` of the logged-in user) second, so users who may read
the same share entries and a township's cache never holds another township's rows. The services
check the scope themselves (AccessDenied for another jurisdiction). Results are read models (frozen
dataclasses) or DataFrames, never ORM rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from anpei.periods import Month, Quarter
from anpei.settings import get_settings
from db.engine import make_engine
from db.reads import (
    campaign_calendar,
    county_dedup,
    jurisdiction_list,
    kpi_cards,
    kpi_details,
    month_figures,
    month_trends,
    one_jurisdiction,
    rankings,
    status_grid,
)
from db.rules import scoring, scoring_assessment
from db.rules.access import SYSTEM, Principal, can_read, read_scope, require_read

TTL = dt.timedelta(minutes=5)


def database_url() -> str:
    """`Settings.database_url` (DATABASE_URL)."""
    return get_settings().database_url


_SHARED: list[Any] = []
F = TypeVar("F", bound=Callable[..., Any])


def _principal_key(principal: Principal) -> tuple[object, ...]:
    return (
        principal.username,
        principal.role.value,
        principal.user_id,
        principal.jurisdiction_id,
        principal.display_name,
    )


def _month_key(month: Month) -> int:
    return month.year * 100 + month.month


def _quarter_key(quarter: Quarter) -> int:
    return quarter.year * 10 + quarter.n


# Cache keys hashed by their fields: Streamlit's generic hashing of a dataclass or a date (by pickling)
# cost ~0.3 ms an argument, a few milliseconds of every page run (issue 16).
HASH_FUNCS: dict[str | type[Any], Callable[[Any], Any]] = {
    Principal: _principal_key,
    dt.date: dt.date.toordinal,
    Month: _month_key,
    Quarter: _quarter_key,
}


def _shared(*, max_entries: int | None = None) -> Callable[[F], F]:
    """`st.cache_resource` with the TTL, registered for `invalidate`."""

    def wrap(func: F) -> F:
        cached = st.cache_resource(
            ttl=TTL, max_entries=max_entries, show_spinner=False, hash_funcs=HASH_FUNCS
        )(func)
        _SHARED.append(cached)
        return cast(F, cached)

    return wrap


def invalidate() -> None:
    """After a write: every cached read of this process is dropped (the engines stay)."""
    st.cache_data.clear()
    for cached in _SHARED:
        cached.clear()


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def session(url: str) -> Session:
    return Session(engine_for(url))


@_shared()
def campaigns(url: str) -> list[campaign_calendar.CampaignInfo]:
    with session(url) as s:
        return campaign_calendar.list_campaigns(s)


@_shared()
def is_empty(url: str) -> bool:
    with session(url) as s:
        return jurisdiction_list.is_empty(s)


def campaign(url: str, campaign_id: int) -> campaign_calendar.CampaignInfo:
    found = next((c for c in campaigns(url) if c.id == campaign_id), None)
    if found is None:
        raise LookupError(f"专项整治 {campaign_id} 不存在")
    return found


@_shared()
def jurisdictions(url: str) -> list[jurisdiction_list.JurisdictionRef]:
    with session(url) as s:
        return jurisdiction_list.list_jurisdictions(s)


def kpis(
    url: str, principal: Principal, campaign_id: int, month: Month, as_of: dt.date
) -> list[kpi_cards.Kpi]:
    """The KPI cards, from the same cached month rows as the trend charts (one pass for both)."""
    months = tuple(kpi_cards.trend_months(campaign(url, campaign_id), month=month, as_of=as_of))
    return kpi_cards.kpis_from_trends(trends(url, principal, months, as_of), month=month)


def county_vs_units(
    url: str, principal: Principal, campaign_id: int, month: Month, as_of: dt.date
) -> list[county_dedup.CountyVsUnits]:
    """检查生产经营单位 (and 其中): the KPI's 全县（去重） next to the sum of the units' rows."""
    months = tuple(kpi_cards.trend_months(campaign(url, campaign_id), month=month, as_of=as_of))
    county = next((t for t in trends(url, principal, months, as_of) if t.month == str(month)), None)
    if county is None:
        return []
    return county_dedup.county_vs_units(
        county=county, units_sum=county_dedup.units_sum(month_summary(url, principal, month, as_of))
    )


def month_summary(
    url: str, principal: Principal, month: Month, as_of: dt.date
) -> list[month_figures.JurisdictionMonthRow]:
    """Every readable township and member unit in `month` (`month_figures.township_month_summary`), cut from
    the one county-wide summary of that month that every session shares."""
    kinds = set(jurisdiction_list.DEFAULT_KINDS)
    return [
        r
        for r in _county_month(url, month, month_figures.month_as_of(month, as_of))
        if r.kind in kinds and can_read(principal, r.jurisdiction_id)
    ]


@_shared(max_entries=256)
def _county_month(url: str, month: Month, day: dt.date) -> list[month_figures.JurisdictionMonthRow]:
    """Every jurisdiction of any kind in `month` as of `day`: shared, narrowed by the callers."""
    with session(url) as s:
        return month_figures.township_month_summary(s, principal=SYSTEM, month=month, as_of=day, kinds=None)


def grid(url: str, principal: Principal, campaign_id: int, as_of: dt.date) -> list[status_grid.GridCell]:
    return _grid(url, read_scope(principal), campaign_id, as_of)


@_shared(max_entries=256)
def _grid(url: str, scope: Principal, campaign_id: int, as_of: dt.date) -> list[status_grid.GridCell]:
    with session(url) as s:
        return status_grid.status_grid(s, principal=scope, campaign=campaign(url, campaign_id), as_of=as_of)


@_shared()
def codes(url: str) -> dict[int, str]:
    with session(url) as s:
        return rankings.jurisdiction_codes(s)


def ranking(
    url: str, principal: Principal, campaign_id: int, month: Month, as_of: dt.date, kind: str
) -> list[rankings.RankRow]:
    """The month's ranking of one kind, from the cached all-kinds summary and grid (no extra query)."""
    return rankings.ranking_of(
        month_summary(url, principal, month, as_of),
        kind=kind,
        month=month,
        codes=codes(url),
        cells=grid(url, principal, campaign_id, as_of),
    )


def trends(
    url: str, principal: Principal, months: tuple[Month, ...], as_of: dt.date
) -> list[month_trends.MonthTrend]:
    return _trends(url, read_scope(principal), months, as_of)


@_shared(max_entries=256)
def _trends(
    url: str, scope: Principal, months: tuple[Month, ...], as_of: dt.date
) -> list[month_trends.MonthTrend]:
    with session(url) as s:
        return month_trends.county_trends(s, principal=scope, months=months, as_of=as_of)


def detail(
    url: str,
    principal: Principal,
    kind: str,
    month: Month,
    as_of: dt.date,
    jurisdiction_id: int | None = None,
) -> pd.DataFrame:
    return _detail(url, read_scope(principal), kind, month, as_of, jurisdiction_id)


@_shared(max_entries=256)
def _detail(
    url: str, scope: Principal, kind: str, month: Month, as_of: dt.date, jurisdiction_id: int | None
) -> pd.DataFrame:
    with session(url) as s:
        table = kpi_details.detail_rows(
            s, principal=scope, kind=kind, month=month, as_of=as_of, jurisdiction_id=jurisdiction_id
        )
    return table_frame(table)


def table_frame(table: kpi_details.Table) -> pd.DataFrame:
    frame = pd.DataFrame(table.rows, columns=list(table.columns))
    frame.attrs["total"] = table.total
    return frame


def jurisdiction_months(
    url: str,
    principal: Principal,
    jurisdiction_id: int,
    months: tuple[Month, ...],
    as_of: dt.date,
) -> list[month_figures.JurisdictionMonthRow]:
    """The jurisdiction's row of each month (`one_jurisdiction.jurisdiction_months`: AccessDenied for another's
    staff), from the county-wide month summaries every session shares."""
    require_read(principal, jurisdiction_id)
    return [
        r
        for month in months
        for r in _county_month(url, month, month_figures.month_as_of(month, as_of))
        if r.jurisdiction_id == jurisdiction_id
    ]


def enterprise_mix(
    url: str, principal: Principal, jurisdiction_id: int, month: Month, months: tuple[Month, ...]
) -> list[one_jurisdiction.EnterpriseMix]:
    return _enterprise_mix(url, read_scope(principal), jurisdiction_id, month, months)


@_shared(max_entries=256)
def _enterprise_mix(
    url: str, scope: Principal, jurisdiction_id: int, month: Month, months: tuple[Month, ...]
) -> list[one_jurisdiction.EnterpriseMix]:
    with session(url) as s:
        return one_jurisdiction.enterprise_mix(
            s, principal=scope, jurisdiction_id=jurisdiction_id, month=month, campaign_months=months
        )


def certificates(
    url: str, principal: Principal, jurisdiction_id: int, first: dt.date, last: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _certificates(url, read_scope(principal), jurisdiction_id, first, last)


@_shared(max_entries=256)
def _certificates(
    url: str, scope: Principal, jurisdiction_id: int, first: dt.date, last: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    with session(url) as s:
        outcomes = one_jurisdiction.certificate_outcomes(
            s, principal=scope, jurisdiction_id=jurisdiction_id, first=first, last=last
        )
        problems = one_jurisdiction.problem_checks(
            s, principal=scope, jurisdiction_id=jurisdiction_id, first=first, last=last
        )
    return table_frame(outcomes), table_frame(problems)


def monthly_reports(
    url: str, principal: Principal, jurisdiction_id: int, months: tuple[Month, ...]
) -> pd.DataFrame:
    return _monthly_reports(url, read_scope(principal), jurisdiction_id, months)


@_shared(max_entries=256)
def _monthly_reports(
    url: str, scope: Principal, jurisdiction_id: int, months: tuple[Month, ...]
) -> pd.DataFrame:
    with session(url) as s:
        return table_frame(
            one_jurisdiction.monthly_reports(
                s, principal=scope, jurisdiction_id=jurisdiction_id, months=months
            )
        )


@_shared(max_entries=1024)
def chart(url: str, key: tuple[object, ...], _build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A chart spec with its tables encoded once (`charts.encoded`), shared by every session whose
    `key` is the same: the key must name everything the spec is built from (the reader's scope, the
    campaign, the month, the day), `_build` is called only on a miss. Dropped by `invalidate`."""
    from dashboard import charts

    return charts.encoded(_build())


# --- scoring --------------------------------------------------------------------------------------


def rules_key() -> tuple[str, float]:
    """The rule file in use and its modification time: an edited file is read again."""
    configured = get_settings().scoring_rules_file  # as scoring.rules_path()
    path = Path(configured) if configured else scoring.DEFAULT_RULES_PATH
    try:
        return str(path), path.stat().st_mtime
    except OSError:
        return str(path), 0.0


@_shared()
def rules(key: tuple[str, float]) -> scoring.ScoringRules:
    return scoring.load_rules(Path(key[0]))


def assessment(
    url: str, principal: Principal, campaign_id: int, quarter: Quarter, as_of: dt.date, key: tuple[str, float]
) -> scoring_assessment.Assessment:
    """The quarter's assessment as `principal` may read it, from one county-wide computation shared by all."""
    return scoring_assessment.for_reader(
        _county_assessment(url, campaign_id, quarter, as_of, key, True), principal=principal
    )


@_shared(max_entries=32)
def _county_assessment(
    url: str, campaign_id: int, quarter: Quarter, as_of: dt.date, key: tuple[str, float], with_previous: bool
) -> scoring_assessment.Assessment:
    """Every township's and unit's scores with every measure: shared (read-only) by every session and
    never handed out as it is — `assessment` and `score_history` narrow it to the reader first."""
    with session(url) as s:
        return scoring_assessment.assess_quarter(
            s,
            principal=SYSTEM,
            campaign=campaign(url, campaign_id),
            quarter=quarter,
            as_of=as_of,
            rules=rules(key),
            with_previous=with_previous,
        )


def score_history(
    url: str,
    principal: Principal,
    campaign_id: int,
    jurisdiction_id: int,
    as_of: dt.date,
    key: tuple[str, float],
) -> list[scoring_assessment.ScorePoint]:
    """One jurisdiction's quarters (`scoring_assessment.score_history`: AccessDenied for another's staff), from the
    shared county-wide assessments rather than one computation per reader."""
    require_read(principal, jurisdiction_id)
    quarters = scoring_assessment.history_quarters(campaign(url, campaign_id), as_of=as_of)
    return scoring_assessment.history_points(
        [_county_assessment(url, campaign_id, x, as_of, key, False) for x in quarters],
        jurisdiction_id=jurisdiction_id,
    )
